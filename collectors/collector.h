/*
 * collector.h: the collector interface (collectd's split, compiled in).
 *
 * The daemon owns timing, backoff and fan-out; a collector only fetches each
 * target once and hands every result to emit, on the calling thread, as it
 * completes, so one slow endpoint never delays another's write.
 * run_cycle emits exactly one result per target and returns when all are
 * done (or cancelled).
 */
#ifndef KUNTAMON_COLLECTOR_H
#define KUNTAMON_COLLECTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct collect_target {
	int area;              /* passed back in the result */
	const char *area_code; /* for logs */
	const char *url;
	/* Validators of the endpoint's last stored answer, borrowed, NULL for
	 * none: sent as If-None-Match and If-Modified-Since, so an unchanged
	 * document costs a 304 instead of a whole body. */
	const char *etag;
	const char *last_modified;
};

struct collect_result {
	int area;
	int http_status;   /* 0 if no response */
	double latency_ms; /* from start of transfer to its end */
	size_t n_bytes;    /* body bytes received */
	const char
	    *body; /* borrowed during emit; NUL-terminated; NULL on error */
	size_t body_len;
	/* NULL on success: a 2xx with a complete body, or a 304 */
	const char *error;
	/* The response's ETag and Last-Modified, borrowed during emit; only
	 * for a 2xx with a complete body, NULL if absent or not well formed
	 * (the daemon stores them with the document and passes them back) */
	const char *etag, *last_modified;
	/* 304 to our validators: a successful poll of an unchanged document
	 * (http_status 304, error and body NULL) */
	bool is_not_modified;
	bool
	    is_cancelled; /* stopped by shutdown: not a failure of the endpoint */
};

typedef void (*collect_emit_fn)(void *ctx, const struct collect_result *res);

struct collect_options {
	int concurrency;           /* transfers in flight at once */
	long timeout_ms;           /* whole transfer, per request */
	size_t max_body_bytes;     /* a larger body aborts the transfer */
	const atomic_bool *cancel; /* may be NULL; when true, stop at once */
	/* A redirect may lead to a private address whatever the endpoint's
	 * own ([collect] allow_private; the policy is in redirect.h) */
	bool is_private_allowed;
	/* May be NULL; else called with run_cycle's ctx every time the
	 * cycle wakes, results or not, at least every 100 ms while it
	 * waits: the daemon commits its batch of poll rows there, so that
	 * a slow endpoint never keeps the database locked. */
	void (*tick)(void *ctx);
};

struct collector {
	const char *name;
	void *(*create)(const struct collect_options *opts);
	void (*destroy)(void *state);
	int (*run_cycle)(void *state, const struct collect_target *targets,
	                 size_t n, collect_emit_fn emit, void *ctx);
};

/* The compiled-in collectors (registry.c); NULL if name is unknown. */
const struct collector *collector_find(const char *name);

#endif
