/*
 * http_json.h: the libcurl multi poller. http and https only, at most 3
 * redirects and never to another protocol, TLS verified, `concurrency`
 * transfers in flight, a per-request timeout, and a body past max_body
 * aborts the transfer as it arrives (never buffered whole).
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

#endif
