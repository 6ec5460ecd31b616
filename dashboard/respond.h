/*
 * respond.h: what a handler answers, as a plain struct (status, content
 * type, owned body, a few extra headers), and the helpers that fill it:
 * JSON, {"error": ...}, text, CSV and binary blobs. server.c turns it into
 * a libmicrohttpd response with respond_to_mhd.
 *
 * Every helper replaces what the response held before, so a handler may
 * start an answer and still turn it into an error.
 */
#ifndef KUNTAMON_RESPOND_H
#define KUNTAMON_RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

/* A page carries five headers of its own; server.c adds the validator,
 * Vary and the CORS headers to any answer. */
#define RESPONSE_MAX_HEADERS 12
#define RESPONSE_HEADER_NAME_MAX 32
#define RESPONSE_HEADER_VALUE_MAX 160

#define CONTENT_TYPE_JSON "application/json; charset=utf-8"
#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"
#define CONTENT_TYPE_CSV "text/csv; charset=utf-8"

struct response_header {
	char name[RESPONSE_HEADER_NAME_MAX];
	char value[RESPONSE_HEADER_VALUE_MAX];
};

struct response {
	int status;             /* 0 until a helper sets it */
	char content_type[128]; /* XLSX's is 65 bytes */
	char *body; /* owned, from malloc (xmalloc); NULL if empty */
	size_t body_len;
	struct response_header headers[RESPONSE_MAX_HEADERS];
	size_t n_headers;
	bool is_deferred; /* respond_defer: no answer yet */
};

void response_init(struct response *resp);
/* No answer here: a slow route's handler called with may_defer
 * (routes.h) asks to be called again on a worker. */
void respond_defer(struct response *resp);
/* Frees the body and forgets everything; the response is reusable. */
void response_reset(struct response *resp);

/* Adds or replaces a header (Allow, Cache-Control, ...). Names or values
 * too long, holding CR, LF or other control bytes, or past
 * RESPONSE_MAX_HEADERS are refused: -1. */
int respond_header(struct response *resp, const char *name, const char *value);

/* The value of header name (any case), or NULL. */
const char *respond_header_get(const struct response *resp, const char *name);
/* Adds field to the Vary header unless it is listed there already. */
int respond_vary(struct response *resp, const char *field);

/* Sets ETag to a strong validator of what shapes this answer: the data
 * generation it was computed at and key (everything else the bytes depend
 * on: route, parameters as resolved, the reader's view). server.c answers
 * a matching If-None-Match with 304. The same generation and key give the
 * same tag within one run of the daemon (respond_etag_run), so a cached
 * answer and a recomputed one have the same tag. */
void respond_etag(struct response *resp, unsigned long generation,
                  const char *key);
/* Sets ETag to a hash of the body and its type: for answers that have no
 * generation, or that also depend on the clock. */
void respond_etag_content(struct response *resp);
/* Names this run of the daemon in every respond_etag tag: generations
 * start again at 0 in every run, and a tag of the last run must not match
 * an answer of this one. server_start sets it once, before serving; 0
 * (the default, for tests calling handlers directly) names no run. */
void respond_etag_run(unsigned long long run);

/* Members of a JSON answer: Unix seconds, or null for 0 (never); a period
 * "YYYY-MM", or null for -1 (none). */
void respond_add_time(cJSON *o, const char *key, time_t t);
void respond_add_period(cJSON *o, const char *key, int period);

/* The JSON serialisation of json (borrowed) as the body. */
void respond_json(struct response *resp, int status, const cJSON *json);
/* A read of one reader's own records (a token's or a session's): json
 * (borrowed) as a 200 body, tagged by generation and its bytes, and
 * Cache-Control private, no-cache. */
void respond_json_private(struct response *resp, const cJSON *json,
                          unsigned long generation);
/* text (borrowed, already JSON) as the body. */
void respond_json_text(struct response *resp, int status, const char *text,
                       size_t len);
/* {"error": "<message>"}, the message properly escaped; invalid UTF-8 in
 * it (say, an echoed parameter) is replaced by '?'. */
void respond_error(struct response *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void respond_text(struct response *resp, int status, const char *text);
void respond_csv(struct response *resp, int status, const char *text,
                 size_t len);
/* A 200 answer of len bytes copied from data. */
void respond_blob(struct response *resp, const char *content_type,
                  const void *data, size_t len);
/* Like respond_blob with any status, taking ownership of data (from malloc,
 * e.g. buf_detach). */
void respond_take(struct response *resp, int status, const char *content_type,
                  char *data, size_t len);

struct MHD_Response;
/* Builds the libmicrohttpd response, handing it the body (no copy); the
 * response is empty after. NULL if libmicrohttpd refuses. */
struct MHD_Response *respond_to_mhd(struct response *resp);

#endif
