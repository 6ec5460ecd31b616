/*
 * query.c: percent-decoding and checking of request paths and query
 * strings. Pure. Invariants of a parsed struct query: every name matches
 * [A-Za-z0-9_.-]{1,QUERY_NAME_MAX} and appears once; every value is valid
 * UTF-8 without control bytes and at most QUERY_VALUE_MAX bytes; names and
 * values point into one heap block, q->storage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "query.h"
#include "utf8.h"
#include "xmalloc.h"

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte that "%XX" at s (n bytes left) stands for, or -1. */
static int
escape_value(const char *s, size_t n)
{
	int hi, lo;

	if (n < 3 || s[0] != '%')
		return -1;
	hi = hex_value(s[1]);
	lo = hex_value(s[2]);
	if (hi < 0 || lo < 0)
		return -1;
	return hi * 16 + lo;
}

static bool
is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool
is_utf8(const char *s, size_t n)
{
	return utf8_count(s, n) >= 0;
}

static bool
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

enum decode_status { DECODE_OK, DECODE_BAD_ESCAPE, DECODE_CONTROL };

/* Decodes n bytes of s ('+' as space) into out, which has room for n + 1
 * bytes; NUL-terminates and stores the length in *out_len. */
static enum decode_status
form_decode(const char *s, size_t n, char *out, size_t *out_len)
{
	size_t i = 0, o = 0;
	int c;

	while (i < n) {
		if (s[i] == '%') {
			c = escape_value(s + i, n - i);
			if (c < 0)
				return DECODE_BAD_ESCAPE;
			i += 3;
		} else {
			c = (unsigned char)(s[i] == '+' ? ' ' : s[i]);
			i++;
		}
		if (is_control((unsigned char)c))
			return DECODE_CONTROL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*out_len = o;
	return DECODE_OK;
}

/* Decodes and checks one "name=value" pair of len bytes into *p, its
 * strings written at *cursor (advanced past them). */
static int
parse_pair(const char *s, size_t len, struct query_param *p, char **cursor,
           struct error *err)
{
	const char *eq = memchr(s, '=', len);
	size_t name_raw = eq != NULL ? (size_t)(eq - s) : len;
	size_t value_raw = eq != NULL ? len - name_raw - 1 : 0;
	char *name = *cursor, *value;
	size_t name_len, value_len, i;

	if (name_raw == 0)
		return error_set(err, 0, "empty parameter name");
	if (form_decode(s, name_raw, name, &name_len) != DECODE_OK ||
	    name_len == 0)
		return error_set(err, 0, "invalid parameter name");
	if (name_len > QUERY_NAME_MAX)
		return error_set(err, 0,
		                 "parameter name too long (at most %d bytes)",
		                 QUERY_NAME_MAX);
	for (i = 0; i < name_len; i++)
		if (!is_name_char(name[i]))
			return error_set(err, 0, "invalid parameter name");
	value = name + name_len + 1;
	switch (form_decode(eq != NULL ? eq + 1 : "", value_raw, value,
	                    &value_len)) {
	case DECODE_BAD_ESCAPE:
		return error_set(err, 0, "parameter %s: invalid %% escape",
		                 name);
	case DECODE_CONTROL:
		return error_set(err, 0,
		                 "parameter %s: contains a NUL or control byte",
		                 name);
	case DECODE_OK:
		break;
	}
	if (value_len > QUERY_VALUE_MAX)
		return error_set(
		    err, 0, "parameter %s: value too long (at most %d bytes)",
		    name, QUERY_VALUE_MAX);
	if (!is_utf8(value, value_len))
		return error_set(err, 0, "parameter %s: not valid UTF-8", name);
	p->name = name;
	p->value = value;
	*cursor = value + value_len + 1;
	return 0;
}

int
query_parse(const char *text, size_t len, struct query *out, struct error *err)
{
	size_t i = 0, end, j;
	char *cursor;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > QUERY_MAX_BYTES)
		return error_set(err, 0,
		                 "query string too long (at most %d bytes)",
		                 QUERY_MAX_BYTES);
	/* Decoding never grows a pair; each pair adds at most two NULs. */
	out->storage = xmalloc(len + 2 * (QUERY_MAX_PARAMS + 1));
	cursor = out->storage;
	while (i < len) {
		const char *amp = memchr(text + i, '&', len - i);

		end = amp != NULL ? (size_t)(amp - text) : len;
		if (end > i) {
			struct query_param *p = &out->params[out->n_params];

			if (out->n_params == QUERY_MAX_PARAMS) {
				error_set(err, 0,
				          "too many parameters (at most %d)",
				          QUERY_MAX_PARAMS);
				goto out;
			}
			if (parse_pair(text + i, end - i, p, &cursor, err) < 0)
				goto out;
			for (j = 0; j < out->n_params; j++) {
				if (strcmp(out->params[j].name, p->name) == 0) {
					error_set(err, 0,
					          "parameter %s: given more "
					          "than once",
					          p->name);
					goto out;
				}
			}
			out->n_params++;
		}
		i = end + 1;
	}
	rc = 0;
out:
	if (rc < 0)
		query_reset(out);
	return rc;
}

void
query_reset(struct query *q)
{
	free(q->storage);
	memset(q, 0, sizeof(*q));
}

const char *
query_get(const struct query *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->n_params; i++)
		if (strcmp(q->params[i].name, name) == 0)
			return q->params[i].value;
	return NULL;
}

int
query_get_int(const struct query *q, const char *name, long min, long max,
              long def, long *out, struct error *err)
{
	const char *s = query_get(q, name);
	char *end;
	long v;

	if (s == NULL) {
		*out = def;
		return 0;
	}
	/* strtol alone would take leading spaces and a '+'. */
	if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '-'))
		goto bad;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return error_set(err, 0,
	                 "parameter %s: must be an integer between %ld and %ld",
	                 name, min, max);
}

int
query_get_choice(const struct query *q, const char *name,
                 const char *const *choices, size_t n_choices, int def,
                 int *out, struct error *err)
{
	const char *s = query_get(q, name);
	struct buf list;
	size_t i;

	if (s == NULL) {
		*out = def;
		return 0;
	}
	for (i = 0; i < n_choices; i++) {
		if (strcmp(s, choices[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	buf_init(&list, sizeof(err->msg));
	for (i = 0; i < n_choices; i++)
		if (buf_printf(&list, "%s%s", i > 0 ? ", " : "", choices[i]) <
		    0)
			break;
	error_set(err, 0, "parameter %s: must be one of %s", name,
	          list.data != NULL ? list.data : "");
	buf_reset(&list);
	return -1;
}

int
query_path_decode(const char *raw, size_t len, char *out, size_t out_size,
                  struct error *err)
{
	size_t i = 0, o = 0;
	int c;

	if (len > QUERY_PATH_MAX)
		return error_set(err, 0, "path too long (at most %d bytes)",
		                 QUERY_PATH_MAX);
	while (i < len) {
		if (raw[i] == '%') {
			c = escape_value(raw + i, len - i);
			if (c < 0)
				return error_set(err, 0,
				                 "invalid %% escape in path");
			if (c == '/' || c == '.' || c == '\\' ||
			    is_control((unsigned char)c))
				return error_set(err, 0,
				                 "forbidden escape in path");
			i += 3;
		} else {
			c = (unsigned char)raw[i];
			i++;
		}
		if (o + 1 >= out_size)
			return error_set(err, 0, "path too long");
		out[o++] = (char)c;
	}
	if (out_size == 0)
		return error_set(err, 0, "path too long");
	out[o] = '\0';
	if (strlen(out) != o)
		return error_set(err, 0, "NUL byte in path");
	return query_path_check(out, err);
}

int
query_path_check(const char *path, struct error *err)
{
	size_t len = strlen(path), i;

	if (path[0] != '/')
		return error_set(err, 0, "path must start with /");
	if (len > QUERY_PATH_MAX)
		return error_set(err, 0, "path too long (at most %d bytes)",
		                 QUERY_PATH_MAX);
	for (i = 0; i < len; i++)
		if (is_control((unsigned char)path[i]) || path[i] == '\\')
			return error_set(err, 0, "forbidden byte in path");
	if (strstr(path, "..") != NULL || strstr(path, "//") != NULL ||
	    strstr(path, "/./") != NULL ||
	    (len >= 2 && strcmp(path + len - 2, "/.") == 0))
		return error_set(err, 0, "forbidden sequence in path");
	if (!is_utf8(path, len))
		return error_set(err, 0, "path is not valid UTF-8");
	return 0;
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 tchar. */
static bool
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

bool
query_media_type_is(const char *content_type, const char *type)
{
	size_t type_len = strlen(type);
	const char *p = content_type, *name, *value;
	size_t name_len, value_len;

	if (p == NULL)
		return false;
	while (is_ows(*p))
		p++;
	if (strncasecmp(p, type, type_len) != 0)
		return false;
	p += type_len;
	for (;;) {
		while (is_ows(*p))
			p++;
		if (*p == '\0')
			return true;
		if (*p++ != ';')
			return false;
		while (is_ows(*p))
			p++;
		for (name = p; is_tchar(*p); p++)
			;
		name_len = (size_t)(p - name);
		if (name_len == 0 || *p++ != '=')
			return false;
		if (*p == '"') {
			for (value = ++p; *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '\0')
					return false;
			}
			value_len = (size_t)(p++ - value);
		} else {
			for (value = p; is_tchar(*p); p++)
				;
			value_len = (size_t)(p - value);
			if (value_len == 0)
				return false;
		}
		if (name_len == 7 && strncasecmp(name, "charset", 7) == 0 &&
		    !(value_len == 5 && strncasecmp(value, "utf-8", 5) == 0))
			return false;
	}
}
