/*
 * respond.c: fills struct response and converts it for libmicrohttpd.
 * Invariant: resp->body is NULL or a malloc'd block of body_len bytes (plus
 * a NUL for text), so libmicrohttpd can free it (MHD_RESPMEM_MUST_FREE) and
 * no answer is copied on its way out.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "respond.h"
#include "timespec.h"
#include "xmalloc.h"

#define FNV_OFFSET 14695981039346656037ULL /* FNV-1a, 64 bits */
#define FNV_PRIME 1099511628211ULL

/* The run of the daemon respond_etag's tags belong to (respond_etag_run);
 * written once before the server serves. */
static atomic_ullong etag_run;

void
response_init(struct response *resp)
{
	memset(resp, 0, sizeof(*resp));
}

void
respond_defer(struct response *resp)
{
	response_reset(resp);
	resp->is_deferred = true;
}

void
response_reset(struct response *resp)
{
	free(resp->body);
	response_init(resp);
}

static bool
is_header_text(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return i < max;
}

int
respond_header(struct response *resp, const char *name, const char *value)
{
	struct response_header *h = NULL;
	size_t i;

	if (name[0] == '\0' || strchr(name, ':') != NULL ||
	    !is_header_text(name, RESPONSE_HEADER_NAME_MAX) ||
	    !is_header_text(value, RESPONSE_HEADER_VALUE_MAX))
		return -1;
	for (i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			h = &resp->headers[i];
	if (h == NULL) {
		if (resp->n_headers == RESPONSE_MAX_HEADERS)
			return -1;
		h = &resp->headers[resp->n_headers++];
	}
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->value, sizeof(h->value), "%s", value);
	return 0;
}

const char *
respond_header_get(const struct response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

int
respond_vary(struct response *resp, const char *field)
{
	const char *cur = respond_header_get(resp, "Vary"), *p;
	char value[RESPONSE_HEADER_VALUE_MAX];
	size_t n = strlen(field), len;
	int rc;

	if (cur == NULL)
		return respond_header(resp, "Vary", field);
	for (p = cur; *p != '\0'; p += len) {
		p += strspn(p, " \t,");
		len = strcspn(p, " \t,");
		if ((len == n && strncasecmp(p, field, n) == 0) ||
		    (len == 1 && *p == '*'))
			return 0;
	}
	/* value is a copy: cur points into the header being replaced */
	rc = snprintf(value, sizeof(value), "%s, %s", cur, field);
	if (rc < 0 || (size_t)rc >= sizeof(value))
		return -1;
	return respond_header(resp, "Vary", value);
}

static unsigned long long
fnv1a(unsigned long long h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

void
respond_etag_run(unsigned long long run)
{
	atomic_store(&etag_run, run);
}

void
respond_etag(struct response *resp, unsigned long generation, const char *key)
{
	unsigned long long run = atomic_load(&etag_run), h = FNV_OFFSET;
	char tag[48];

	if (run != 0)
		h = fnv1a(h, &run, sizeof(run));
	h = fnv1a(h, key, strlen(key));
	snprintf(tag, sizeof(tag), "\"%lx-%016llx\"", generation, h);
	(void)respond_header(resp, "ETag", tag);
}

void
respond_etag_content(struct response *resp)
{
	unsigned long long h;
	char tag[24];

	/* the type's NUL too: "ab" as text/csv is not "a" as text/csvb */
	h = fnv1a(FNV_OFFSET, resp->content_type,
	          strlen(resp->content_type) + 1);
	h = fnv1a(h, resp->body, resp->body != NULL ? resp->body_len : 0);
	snprintf(tag, sizeof(tag), "\"%016llx\"", h);
	(void)respond_header(resp, "ETag", tag);
}

/* Replaces the body, status and type; keeps the extra headers. */
static void
set_body(struct response *resp, int status, const char *content_type,
         char *body, size_t len)
{
	free(resp->body);
	resp->status = status;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s",
	         content_type);
	resp->body = body;
	resp->body_len = len;
}

static char *
copy_bytes(const void *data, size_t len)
{
	char *p = xmalloc(len + 1);

	if (len > 0)
		memcpy(p, data, len);
	p[len] = '\0';
	return p;
}

void
respond_add_time(cJSON *o, const char *key, time_t t)
{
	if (t > 0)
		xmust(cJSON_AddNumberToObject(o, key, (double)t));
	else
		xmust(cJSON_AddNullToObject(o, key));
}

void
respond_add_period(cJSON *o, const char *key, int period)
{
	char text[16];

	if (period < 0) {
		xmust(cJSON_AddNullToObject(o, key));
		return;
	}
	period_format(period, text, sizeof(text));
	xmust(cJSON_AddStringToObject(o, key, text));
}

void
respond_json(struct response *resp, int status, const cJSON *json)
{
	char *text = xmust(cJSON_PrintUnformatted(json));

	respond_json_text(resp, status, text, strlen(text));
	cJSON_free(text);
}

void
respond_json_private(struct response *resp, const cJSON *json,
                     unsigned long generation)
{
	char *text = xmust(cJSON_PrintUnformatted(json));

	respond_json_text(resp, 200, text, strlen(text));
	respond_etag(resp, generation, text);
	cJSON_free(text);
	respond_header(resp, "Cache-Control", "private, no-cache");
}

void
respond_json_text(struct response *resp, int status, const char *text,
                  size_t len)
{
	set_body(resp, status, CONTENT_TYPE_JSON, copy_bytes(text, len), len);
}

/* Replaces each byte that does not start a valid UTF-8 sequence by '?'.
 * cJSON copies strings verbatim, and a JSON text must be UTF-8. */
static void
fix_utf8(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t i = 0, len, k;

	while (p[i] != '\0') {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		len = p[i] >= 0xc2 && p[i] <= 0xdf   ? 2
		      : p[i] >= 0xe0 && p[i] <= 0xef ? 3
		      : p[i] >= 0xf0 && p[i] <= 0xf4 ? 4
		                                     : 0;
		for (k = 1; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				break;
		/* Overlong 3/4-byte forms, surrogates and > U+10FFFF. */
		if (len != 0 && k == len &&
		    !(p[i] == 0xe0 && p[i + 1] < 0xa0) &&
		    !(p[i] == 0xed && p[i + 1] >= 0xa0) &&
		    !(p[i] == 0xf0 && p[i + 1] < 0x90) &&
		    !(p[i] == 0xf4 && p[i + 1] >= 0x90)) {
			i += len;
			continue;
		}
		p[i++] = '?';
	}
}

void
respond_error(struct response *resp, int status, const char *fmt, ...)
{
	char msg[512];
	cJSON *obj;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fix_utf8(msg);
	obj = xmust(cJSON_CreateObject());
	xmust(cJSON_AddStringToObject(obj, "error", msg));
	respond_json(resp, status, obj);
	cJSON_Delete(obj);
}

void
respond_text(struct response *resp, int status, const char *text)
{
	size_t len = strlen(text);

	set_body(resp, status, CONTENT_TYPE_TEXT, copy_bytes(text, len), len);
}

void
respond_csv(struct response *resp, int status, const char *text, size_t len)
{
	set_body(resp, status, CONTENT_TYPE_CSV, copy_bytes(text, len), len);
}

void
respond_blob(struct response *resp, const char *content_type, const void *data,
             size_t len)
{
	set_body(resp, 200, content_type, copy_bytes(data, len), len);
}

void
respond_take(struct response *resp, int status, const char *content_type,
             char *data, size_t len)
{
	set_body(resp, status, content_type, data, len);
}

struct MHD_Response *
respond_to_mhd(struct response *resp)
{
	struct MHD_Response *r;
	size_t i;

	if (resp->body != NULL) {
		r = MHD_create_response_from_buffer(resp->body_len, resp->body,
		                                    MHD_RESPMEM_MUST_FREE);
		if (r == NULL)
			goto out;
		resp->body = NULL; /* libmicrohttpd frees it now */
	} else {
		r = MHD_create_response_from_buffer(0, NULL,
		                                    MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			goto out;
	}
	if (resp->content_type[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		                        resp->content_type);
	/* Browsers must not guess a type: an error echoing a parameter is
	 * never HTML. */
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	for (i = 0; i < resp->n_headers; i++)
		MHD_add_response_header(r, resp->headers[i].name,
		                        resp->headers[i].value);
out:
	response_reset(resp);
	return r;
}
