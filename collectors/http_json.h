/*
 * http_json.h: the libcurl multi poller. http and https only, at most 3
 * redirects and only where redirect.h's policy allows, TLS verified, `concurrency`
 * transfers in flight, a per-request timeout, and a body past max_body
 * aborts the transfer as it arrives (never buffered whole). Conditional:
 * a target's validators go out as If-None-Match / If-Modified-Since, and a
 * 304 to them is a success without a body.
 */
#ifndef KUNTAMON_HTTP_JSON_H
#define KUNTAMON_HTTP_JSON_H

#include "collector.h"

/* Call once at program start, before threads (curl_global_init). */
int http_json_global_init(void);
void http_json_global_cleanup(void);

struct http_json;

struct http_json *http_json_new(const struct collect_options *opts);
void http_json_free(struct http_json *hj);
/* See collector.h. Not thread-safe per object. */
int http_json_run_cycle(struct http_json *hj,
                        const struct collect_target *targets, size_t n,
                        collect_emit_fn emit, void *ctx);

extern const struct collector http_json_collector;

/* Longest ETag or Last-Modified value kept; a longer one is dropped, never
 * cut into a validator the server would not recognise. */
#define HTTP_JSON_VALIDATOR_MAX 256

enum http_json_validator {
	HTTP_JSON_NOT_VALIDATOR, /* any other header line */
	HTTP_JSON_ETAG,
	HTTP_JSON_LAST_MODIFIED,
};

/*
 * One raw response header line as libcurl hands it over ("Name: value",
 * CRLF or LF at the end, not NUL-terminated): which validator it names,
 * the name matched without regard to case. For a validator, out receives
 * its value without surrounding blanks, or "" when the value is unusable:
 * longer than HTTP_JSON_VALIDATOR_MAX, an ETag that is not an RFC 9110
 * entity-tag of visible ASCII, a Last-Modified that is not an IMF-fixdate.
 * Pure; out is always NUL-terminated.
 */
enum http_json_validator
http_json_parse_validator(const char *line, size_t len,
                          char out[HTTP_JSON_VALIDATOR_MAX + 1]);

#endif
