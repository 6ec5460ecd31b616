/*
 * config.c: the INI configuration (SPEC §2) -> struct config.
 *
 * Every key is one row of keys[] (section, name, type, field, default,
 * bounds); defaults go through the same setters as the file's values, so a
 * default can never bypass a check. config_parse is pure: it reads bytes,
 * fills a struct and an error, and leaves the caller's struct untouched
 * unless the whole text is valid. config_load adds the file I/O: it makes
 * relative paths relative to the file's folder and reads the TLS files.
 *
 * libinih does the INI syntax, fed through our own line reader, which is
 * where we count lines (Debian's inih 55 passes the handler no line
 * number), reject NUL and control bytes, catch lines longer than inih's
 * line buffer (inih would split them silently), check section headers
 * (inih never reports an empty section to the handler) and strip leading
 * blanks (so an indented key is a key, not a continuation of the previous
 * value). inih goes on after an error; only the first one is kept.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "xmalloc.h"

/* A configuration file is a few hundred bytes; anything near this is a
 * mistake (a log file named by accident), not a configuration. */
#define CONFIG_MAX_BYTES (1024 * 1024)

enum key_type {
	KEY_INT,     /* strtol, base 10, within [min, max]; int or long field */
	KEY_BOOL,    /* yes/no, true/false, on/off, 1/0 */
	KEY_STRING,  /* any text, may be empty */
	KEY_PATH,    /* non-empty; relative to the config file's folder */
	KEY_FILE,    /* "": not set; else as KEY_PATH */
	KEY_LISTEN,  /* host:port into listen_host and listen_port */
	KEY_ORIGINS, /* origins for CORS, checked, stored one space apart */
};

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset; /* of the field in struct config */
	size_t size;   /* of the field: int or long, or the string's capacity */
	const char *def;
	long min, max; /* KEY_INT only */
};

#define FIELD(m) offsetof(struct config, m), sizeof(((struct config *)0)->m)

static const struct key keys[] = {
	{ "server", "listen", KEY_LISTEN, FIELD(listen_host), "127.0.0.1:8080",
	  0, 0 },
	{ "server", "max_connections", KEY_INT, FIELD(max_connections), "4096",
	  1, 100000 },
	{ "server", "per_ip_connections", KEY_INT, FIELD(per_ip_connections),
	  "32", 1, 100000 },
	{ "server", "connection_timeout", KEY_INT, FIELD(connection_timeout_s),
	  "30", 1, 3600 },
	{ "server", "header_timeout", KEY_INT, FIELD(header_timeout_s), "10", 1,
	  3600 },
	{ "server", "public", KEY_BOOL, FIELD(is_public), "yes", 0, 0 },
	{ "server", "submit_rate", KEY_INT, FIELD(submit_rate), "60", 1,
	  100000 },
	{ "server", "session_hours", KEY_INT, FIELD(session_hours), "12", 1,
	  720 },
	{ "server", "tls_cert", KEY_FILE, FIELD(tls_cert_path), "", 0, 0 },
	{ "server", "tls_key", KEY_FILE, FIELD(tls_key_path), "", 0, 0 },
	{ "server", "cors_origins", KEY_ORIGINS, FIELD(cors_origins), "", 0,
	  0 },

	{ "storage", "dir", KEY_PATH, FIELD(storage_dir), "var", 0, 0 },
	{ "storage", "rrdcached", KEY_STRING, FIELD(rrdcached), "", 0, 0 },
	{ "storage", "retention_days", KEY_INT, FIELD(retention_days), "400", 1,
	  36500 },

	{ "collect", "interval", KEY_INT, FIELD(interval_s), "300", 1, 86400 },
	{ "collect", "timeout", KEY_INT, FIELD(timeout_s), "10", 1, 3600 },
	{ "collect", "concurrency", KEY_INT, FIELD(concurrency), "32", 1,
	  1024 },
	{ "collect", "max_body", KEY_INT, FIELD(max_body_bytes), "1048576",
	  1024, 1073741824 },
	{ "collect", "ontime_days", KEY_INT, FIELD(ontime_days), "15", 0, 365 },
	{ "collect", "allow_private", KEY_BOOL, FIELD(is_private_allowed), "no",
	  0, 0 },

	{ "catalog", "regions", KEY_PATH, FIELD(regions_path), "regions.csv", 0,
	  0 },
	{ "catalog", "municipalities", KEY_PATH, FIELD(municipalities_path),
	  "municipalities.csv", 0, 0 },
	{ "catalog", "measures", KEY_PATH, FIELD(measures_path),
	  "measures.json", 0, 0 },
	{ "catalog", "endpoints", KEY_PATH, FIELD(endpoints_path),
	  "endpoints.csv", 0, 0 },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

struct parse_ctx {
	const char *text;
	size_t len;
	size_t pos; /* next byte the reader hands to inih */
	int line;   /* the line inih is working on (1-based) */
	struct config *cfg;
	int key_lines[N_KEYS]; /* where each key was set; 0: not set */
	bool has_error;
	struct error first; /* the first error found, if has_error */
};

static void *
field_of(struct config *cfg, const struct key *k)
{
	return (char *)cfg + k->offset;
}

static bool
is_known_section(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (strlen(keys[i].section) == len &&
		    memcmp(keys[i].section, name, len) == 0)
			return true;
	return false;
}

static const struct key *
find_key(const char *section, const char *name, size_t *out_index)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0) {
			*out_index = i;
			return &keys[i];
		}
	}
	return NULL;
}

/* error_set with the "[section] key: " prefix every value error carries. */
static int key_error(struct error *err, int line, const struct key *k,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
key_error(struct error *err, int line, const struct key *k, const char *fmt,
          ...)
{
	char what[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return error_set(err, line, "[%s] %s: %s", k->section, k->name, what);
}

static int
set_int(const struct key *k, const char *value, struct config *cfg, int line,
        struct error *err)
{
	char *end;
	long v;

	if (value[0] == '\0')
		return key_error(err, line, k,
		                 "empty value, expected an integer");
	errno = 0;
	v = strtol(value, &end, 10);
	if (end == value || *end != '\0')
		return key_error(err, line, k, "\"%s\" is not an integer",
		                 value);
	/* strtol clamps on ERANGE, so the clamped value still compares on
	 * the right side of the bound; print the text as written. */
	if (v < k->min)
		return key_error(err, line, k, "%s is below the minimum %ld",
		                 value, k->min);
	if (v > k->max)
		return key_error(err, line, k, "%s is above the maximum %ld",
		                 value, k->max);
	if (k->size == sizeof(int))
		*(int *)field_of(cfg, k) = (int)v;
	else
		*(long *)field_of(cfg, k) = v;
	return 0;
}

static int
set_bool(const struct key *k, const char *value, struct config *cfg, int line,
         struct error *err)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*(bool *)field_of(cfg, k) = true;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*(bool *)field_of(cfg, k) = false;
			return 0;
		}
	}
	return key_error(err, line, k,
	                 "\"%s\" is not a boolean (use yes or no)", value);
}

static int
set_string(const struct key *k, const char *value, struct config *cfg, int line,
           struct error *err)
{
	size_t n = strlen(value);

	if (k->type == KEY_PATH && n == 0)
		return key_error(err, line, k, "empty path");
	if (n >= k->size)
		return key_error(err, line, k, "longer than %zu bytes",
		                 k->size - 1);
	memcpy(field_of(cfg, k), value, n + 1);
	return 0;
}

/* A DNS name: dot-separated labels of letters, digits and inner hyphens. */
static bool
is_hostname(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum(c) || c == '-') {
			if (label == 0 && c == '-')
				return false;
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[len - 1] != '-';
}

static bool
is_ip_literal(int family, const char *s, size_t len)
{
	char tmp[64];
	unsigned char addr[16];

	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(family, tmp, addr) == 1;
}

/* What a host without brackets fails to be ("*", an IPv4 address or a
 * DNS name), or NULL if it is fine. */
static const char *
plain_host_problem(const char *host, size_t len)
{
	size_t i;

	if (len == 1 && host[0] == '*')
		return NULL;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)host[i]) && host[i] != '.')
			break;
	if (i == len)
		return is_ip_literal(AF_INET, host, len) ? NULL
		                                         : "an IPv4 address";
	return is_hostname(host, len) ? NULL : "a host name or address";
}

/* "host:port", "[v6]:port" or "*:port", port 0..65535. The host is stored
 * without brackets; "*" stays "*" (every address). */
static int
set_listen(const struct key *k, const char *value, struct config *cfg, int line,
           struct error *err)
{
	const char *host, *port, *p, *what;
	size_t host_len;
	long port_num = 0;

	if (value[0] == '[') {
		const char *close = strchr(value, ']');

		if (close == NULL || close[1] != ':')
			return key_error(err, line, k,
			                 "\"%s\" is not [address]:port", value);
		host = value + 1;
		host_len = (size_t)(close - host);
		port = close + 2;
		if (!is_ip_literal(AF_INET6, host, host_len))
			return key_error(err, line, k,
			                 "\"%.*s\" is not an IPv6 address",
			                 (int)host_len, host);
	} else {
		const char *colon = strrchr(value, ':');

		if (colon == NULL)
			return key_error(
			    err, line, k,
			    "\"%s\" is not host:port (e.g. 127.0.0.1:8080)",
			    value);
		host = value;
		host_len = (size_t)(colon - value);
		port = colon + 1;
		if (host_len == 0)
			return key_error(
			    err, line, k,
			    "no host in \"%s\" (use *:port for every address)",
			    value);
		if (memchr(host, ':', host_len) != NULL)
			return key_error(
			    err, line, k,
			    "an IPv6 address needs brackets, e.g. [::1]:8080");
		what = plain_host_problem(host, host_len);
		if (what != NULL)
			return key_error(err, line, k, "\"%.*s\" is not %s",
			                 (int)host_len, host, what);
	}

	/* Digits only (strtol would take "+80" and " 80"); 6 digits is
	 * already out of range, and stopping there bounds the arithmetic. */
	if (port[0] == '\0')
		return key_error(err, line, k, "no port in \"%s\"", value);
	for (p = port; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return key_error(err, line, k,
			                 "port \"%s\" is not a number", port);
		if (p - port < 6)
			port_num = port_num * 10 + (*p - '0');
	}
	if (p - port > 5 || port_num > 65535)
		return key_error(err, line, k,
		                 "port %s is above the maximum 65535", port);

	memcpy(cfg->listen_host, host, host_len);
	cfg->listen_host[host_len] = '\0';
	cfg->listen_port = (int)port_num;
	return 0;
}

/* What keeps s (n bytes) from being an origin as a browser sends it in
 * Origin (RFC 6454: lower-case scheme and host, no default port, nothing
 * after the port), or NULL. The server compares origins byte for byte, so
 * one written otherwise would never match. */
static const char *
origin_problem(const char *s, size_t n)
{
	const char *host, *end = s + n, *p, *default_port;
	size_t i, host_len;

	if (n > 7 && memcmp(s, "http://", 7) == 0) {
		host = s + 7;
		default_port = "80";
	} else if (n > 8 && memcmp(s, "https://", 8) == 0) {
		host = s + 8;
		default_port = "443";
	} else {
		return "is not an origin: scheme://host[:port] with http or "
		       "https (\"*\" and \"null\" are not taken: list each "
		       "origin)";
	}
	for (p = host; p < end; p++)
		if (*p >= 'A' && *p <= 'Z')
			return "has capitals: browsers send an origin in lower "
			       "case";
	if (*host == '[') {
		p = memchr(host, ']', (size_t)(end - host));
		if (p == NULL ||
		    !is_ip_literal(AF_INET6, host + 1, (size_t)(p - host - 1)))
			return "has no valid [IPv6 address]";
		p++;
	} else {
		host_len = strcspn(host, ":/?#@");
		if (host_len > (size_t)(end - host))
			host_len = (size_t)(end - host);
		if (host_len == 0 || (host_len == 1 && *host == '*') ||
		    plain_host_problem(host, host_len) != NULL)
			return "has no valid host name or address";
		p = host + host_len;
	}
	if (p < end && *p == ':') {
		for (i = 1; p + i < end && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == 1 || i > 6 || p[1] == '0' ||
		    strtol(p + 1, NULL, 10) > 65535)
			return "has no valid port (1..65535)";
		if (i - 1 == strlen(default_port) &&
		    memcmp(p + 1, default_port, i - 1) == 0)
			return "names its scheme's default port: browsers send "
			       "the origin without it";
		p += i;
	}
	if (p < end)
		return "has more than scheme://host[:port] (an origin has no "
		       "path, not even \"/\")";
	return NULL;
}

/* Origins separated by blanks or commas, kept one space apart. */
static int
set_origins(const struct key *k, const char *value, struct config *cfg,
            int line, struct error *err)
{
	char *out = field_of(cfg, k);
	char list[CONFIG_ORIGINS_MAX];
	const char *p = value, *problem;
	size_t n, len = 0;

	list[0] = '\0';
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t,");
		problem = origin_problem(p, n);
		if (problem != NULL)
			return key_error(err, line, k, "\"%.*s\" %s",
			                 (int)(n < 100 ? n : 100), p, problem);
		if (len + (len > 0) + n >= k->size)
			return key_error(err, line, k, "longer than %zu bytes",
			                 k->size - 1);
		if (len > 0)
			list[len++] = ' ';
		memcpy(list + len, p, n);
		len += n;
		list[len] = '\0';
		p += n;
	}
	memcpy(out, list, len + 1);
	return 0;
}

static int
set_value(const struct key *k, const char *value, struct config *cfg, int line,
          struct error *err)
{
	switch (k->type) {
	case KEY_INT:
		return set_int(k, value, cfg, line, err);
	case KEY_BOOL:
		return set_bool(k, value, cfg, line, err);
	case KEY_STRING:
	case KEY_PATH:
	case KEY_FILE:
		return set_string(k, value, cfg, line, err);
	case KEY_LISTEN:
		return set_listen(k, value, cfg, line, err);
	case KEY_ORIGINS:
		return set_origins(k, value, cfg, line, err);
	}
	return key_error(err, line, k, "unknown key type");
}

void
config_init(struct config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < N_KEYS; i++) {
		/* The defaults are ours and tested; one that fails its own
		 * check is a bug to catch at once, not a runtime condition. */
		if (set_value(&keys[i], keys[i].def, cfg, 0, NULL) != 0)
			abort();
	}
}

static void
note_error(struct parse_ctx *ctx, const struct error *e)
{
	if (ctx->has_error)
		return;
	ctx->first = *e;
	ctx->has_error = true;
}

/* inih's reader: fgets-like, one line per call, so ctx->line is the line
 * of every handler call that follows. Returning NULL ends the input. */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	const char *start, *nl, *p;
	size_t n, content;
	struct error e = { 0 };

	if (ctx->pos >= ctx->len)
		return NULL;
	start = ctx->text + ctx->pos;
	nl = memchr(start, '\n', ctx->len - ctx->pos);
	n = nl != NULL ? (size_t)(nl - start) + 1 : ctx->len - ctx->pos;
	ctx->pos += n;
	ctx->line++;

	content = n;
	if (content > 0 && start[content - 1] == '\n')
		content--;
	if (content > 0 && start[content - 1] == '\r')
		content--;
	/* inih needs room for "\r\n\0" after the text (see ini.h). */
	if (num < 4 || content > (size_t)num - 3) {
		error_set(&e, ctx->line,
		          "line too long (the limit is %d characters)",
		          num - 3);
		note_error(ctx, &e);
		return NULL;
	}
	for (p = start; p < start + content; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f) {
			if (c == '\0')
				error_set(&e, ctx->line, "NUL byte in line");
			else
				error_set(&e, ctx->line,
				          "control character 0x%02x in line",
				          c);
			note_error(ctx, &e);
			return NULL;
		}
	}

	while (content > 0 && (*start == ' ' || *start == '\t')) {
		start++;
		content--;
	}
	memcpy(str, start, content);
	str[content] = '\n';
	str[content + 1] = '\0';

	if (str[0] == '[') {
		const char *close = memchr(str + 1, ']', content - 1);

		if (close != NULL &&
		    !is_known_section(str + 1, (size_t)(close - str - 1))) {
			error_set(&e, ctx->line, "unknown section [%.*s]",
			          (int)(close - str - 1), str + 1);
			note_error(ctx, &e);
		}
	}
	return str;
}

static int
handle(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;
	const struct key *k;
	size_t i = 0;
	struct error e = { 0 };

	if (ctx->has_error)
		return 1; /* the first error is the one reported */
	k = find_key(section, name, &i);
	if (k == NULL) {
		if (name[0] == '\0')
			error_set(&e, ctx->line, "no key name before \"=\"");
		else if (section[0] == '\0')
			error_set(&e, ctx->line,
			          "key \"%s\" is outside any [section]", name);
		else if (!is_known_section(section, strlen(section)))
			error_set(&e, ctx->line, "unknown section [%s]",
			          section);
		else if (strcmp(section, "storage") == 0 &&
		         strcmp(name, "step") == 0)
			/* v1's: figures are now filed by the month they
			 * describe, in files of one-day steps */
			error_set(&e, ctx->line,
			          "[storage] step is gone: RRD files hold one "
			          "point a day in the period each figure "
			          "describes; remove this line");
		else
			error_set(&e, ctx->line, "unknown key \"%s\" in [%s]",
			          name, section);
		note_error(ctx, &e);
		return 0;
	}
	if (ctx->key_lines[i] != 0) {
		error_set(&e, ctx->line,
		          "duplicate key \"%s\" in [%s] (first set on line %d)",
		          name, section, ctx->key_lines[i]);
		note_error(ctx, &e);
		return 0;
	}
	ctx->key_lines[i] = ctx->line;
	if (set_value(k, value, ctx->cfg, ctx->line, &e) != 0) {
		note_error(ctx, &e);
		return 0;
	}
	return 1;
}

/* inih reports its own syntax errors only as a line number; say what a
 * line must look like. */
static void
syntax_error(const char *text, size_t len, int line, struct error *err)
{
	size_t pos = 0;
	int n;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	for (n = 1; n < line && pos < len; n++) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		pos = nl != NULL ? (size_t)(nl - text) + 1 : len;
	}
	while (pos < len && (text[pos] == ' ' || text[pos] == '\t'))
		pos++;
	if (pos < len && text[pos] == '[')
		error_set(err, line, "section header without \"]\"");
	else
		error_set(
		    err, line,
		    "expected \"[section]\", \"key = value\" or a comment");
}

/* tls_cert and tls_key go together: one alone is a half-done HTTPS set-up,
 * and serving plain HTTP instead would hide it. */
static int
check_tls_pair(const struct config *cfg, const int key_lines[N_KEYS],
               struct error *err)
{
	size_t ci = 0, ki = 0;
	const struct key *cert = find_key("server", "tls_cert", &ci);
	const struct key *key = find_key("server", "tls_key", &ki);
	bool has_cert = cfg->tls_cert_path[0] != '\0';
	bool has_key = cfg->tls_key_path[0] != '\0';

	if (has_cert && !has_key)
		return key_error(err, key_lines[ci], cert,
		                 "set without tls_key (set both or neither)");
	if (has_key && !has_cert)
		return key_error(err, key_lines[ki], key,
		                 "set without tls_cert (set both or neither)");
	return 0;
}

/* Parses text over a copy of cfg; on success copies it back and, if
 * out_key_lines is given, tells where each key was set. */
static int
parse(const char *text, size_t len, struct config *cfg,
      int out_key_lines[N_KEYS], struct error *err)
{
	struct parse_ctx ctx;
	struct config tmp = *cfg;
	int rc;

	if (len > CONFIG_MAX_BYTES)
		return error_set(err, 0, "larger than %d bytes",
		                 CONFIG_MAX_BYTES);
	memset(&ctx, 0, sizeof(ctx));
	ctx.text = text;
	ctx.len = len;
	ctx.cfg = &tmp;
	/* inih also skips a BOM, but only its own copy of the line. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		ctx.pos = 3;

	rc = ini_parse_stream(read_line, &ctx, handle, &ctx);
	if (rc > 0 && (!ctx.has_error || rc < ctx.first.line)) {
		syntax_error(text, len, rc, err);
		return -1;
	}
	if (ctx.has_error)
		return error_set(err, ctx.first.line, "%s", ctx.first.msg);
	if (rc < 0)
		return error_set(err, 0, "INI parser failed (%d)", rc);
	if (check_tls_pair(&tmp, ctx.key_lines, err) != 0)
		return -1;

	*cfg = tmp;
	if (out_key_lines != NULL)
		memcpy(out_key_lines, ctx.key_lines, sizeof(ctx.key_lines));
	return 0;
}

int
config_parse(const char *text, size_t len, struct config *cfg,
             struct error *err)
{
	return parse(text, len, cfg, NULL, err);
}

/* Reads at most CONFIG_MAX_BYTES of path into b. */
static int
read_file(const char *path, struct buf *b, struct error *err)
{
	char chunk[8192];
	int fd, rc = -1;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, 0, "cannot read: %s", strerror(errno));
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, 0, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (buf_append(b, chunk, (size_t)n) != 0) {
			error_set(err, 0, "larger than %d bytes",
			          CONFIG_MAX_BYTES);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static bool
has_text(const struct buf *b, const char *s)
{
	return b->data != NULL && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

/* Reads a TLS file now, so that an unreadable or wrong one is a FILE:LINE
 * error of the configuration rather than a failed start. Only the PEM
 * armour is checked here; GnuTLS judges the contents when the server
 * starts. The bytes are wiped: one of these files is a private key. */
static int
check_pem(const struct key *k, const char *path, bool is_key, int line,
          struct error *err)
{
	struct buf b;
	struct error read_err = { 0 };
	const char *problem = NULL;
	int rc = -1;

	buf_init(&b, CONFIG_MAX_BYTES);
	if (read_file(path, &b, &read_err) != 0) {
		key_error(err, line, k, "%s: %s", path, read_err.msg);
		goto out;
	}
	if (!is_key && !has_text(&b, "-----BEGIN CERTIFICATE-----"))
		problem = "not a PEM certificate (no \"-----BEGIN "
		          "CERTIFICATE-----\" line)";
	else if (is_key && !has_text(&b, "PRIVATE KEY-----"))
		problem = "not a PEM private key (no \"-----BEGIN ... "
		          "PRIVATE KEY-----\" line)";
	else if (is_key && (has_text(&b, "ENCRYPTED PRIVATE KEY") ||
	                    has_text(&b, "Proc-Type: 4,ENCRYPTED")))
		problem = "the key is encrypted; kuntamond needs it "
		          "unencrypted";
	if (problem != NULL) {
		key_error(err, line, k, "%s: %s", path, problem);
		goto out;
	}
	rc = 0;
out:
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_reset(&b);
	return rc;
}

static int
check_tls_files(const struct config *cfg, const int key_lines[N_KEYS],
                struct error *err)
{
	size_t ci = 0, ki = 0;
	const struct key *cert = find_key("server", "tls_cert", &ci);
	const struct key *key = find_key("server", "tls_key", &ki);

	if (cfg->tls_cert_path[0] == '\0') /* neither: check_tls_pair */
		return 0;
	if (check_pem(cert, cfg->tls_cert_path, false, key_lines[ci], err) != 0)
		return -1;
	return check_pem(key, cfg->tls_key_path, true, key_lines[ki], err);
}

/* Prefixes a relative path with dir ("" or ending in '/'). */
static int
resolve_path(const struct key *k, const char *dir, struct config *cfg, int line,
             struct error *err)
{
	char *p = field_of(cfg, k);
	char joined[CONFIG_PATH_MAX];
	int n;

	if (p[0] == '/' || dir[0] == '\0')
		return 0;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (p[0] == '\0') /* "./" is the folder itself */
		n = snprintf(joined, sizeof(joined), "%s.", dir);
	else
		n = snprintf(joined, sizeof(joined), "%s%s", dir, p);
	if (n < 0 || (size_t)n >= k->size)
		return key_error(
		    err, line, k,
		    "longer than %zu bytes once joined to the folder \"%s\"",
		    k->size - 1, dir);
	memcpy(field_of(cfg, k), joined, (size_t)n + 1);
	return 0;
}

int
config_load(const char *path, struct config *cfg, struct error *err)
{
	struct config *tmp = NULL;
	struct buf b;
	char dir[CONFIG_PATH_MAX];
	const char *text, *slash;
	int key_lines[N_KEYS];
	size_t i, dir_len;
	int rc = -1;

	buf_init(&b, CONFIG_MAX_BYTES);
	if (err != NULL)
		snprintf(err->file, sizeof(err->file), "%s", path);
	if (strlen(path) >= CONFIG_PATH_MAX) {
		error_set(err, 0, "file name longer than %d bytes",
		          CONFIG_PATH_MAX - 1);
		goto out;
	}
	if (read_file(path, &b, err) != 0)
		goto out;

	tmp = xmalloc(sizeof(*tmp));
	config_init(tmp);
	text = b.data != NULL ? b.data : ""; /* an empty file: no storage */
	if (parse(text, b.len, tmp, key_lines, err) != 0)
		goto out;
	memcpy(tmp->path, path, strlen(path) + 1);

	/* "conf/k.conf" -> "conf/", "/k.conf" -> "/", "k.conf" -> "" */
	slash = strrchr(path, '/');
	dir_len = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	memcpy(dir, path, dir_len);
	dir[dir_len] = '\0';
	for (i = 0; i < N_KEYS; i++) {
		bool is_set = keys[i].type == KEY_PATH ||
		              (keys[i].type == KEY_FILE &&
		               ((char *)field_of(tmp, &keys[i]))[0] != '\0');

		if (is_set &&
		    resolve_path(&keys[i], dir, tmp, key_lines[i], err) != 0)
			goto out;
	}
	if (check_tls_files(tmp, key_lines, err) != 0)
		goto out;

	*cfg = *tmp;
	rc = 0;
out:
	free(tmp);
	buf_reset(&b);
	return rc;
}
