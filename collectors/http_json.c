/*
 * http_json.c: the libcurl multi poller, and the only user of libcurl.
 *
 * A fixed pool of `concurrency` slots, each an easy handle configured once
 * and reused for every transfer, so connections stay alive in the multi
 * handle's cache from one target, and one cycle, to the next. A cycle feeds
 * targets into free slots in order and emits each result the moment its
 * transfer ends, then starts the next target.
 *
 * Invariants: a slot is either free (on the free stack) or carries exactly
 * one target and is added to the multi handle; every target is emitted
 * exactly once, by completion, by cancellation or by a failure to start;
 * a body never holds more than max_body_bytes.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "http_json.h"
#include "xmalloc.h"

#define USER_AGENT "kuntamon/0.1"
#define MAX_REDIRECTS 3L
#define CONNECT_TIMEOUT_MAX_MS 5000L
#define CANCEL_POLL_MS 100         /* how late a cancel may be noticed */
#define KEEP_BUF_BYTES (64 * 1024) /* larger bodies give their storage back */

struct slot {
	CURL *easy;
	struct http_json *hj;
	size_t target; /* index into the running cycle's targets */
	bool is_busy;
	struct buf body;
	size_t n_bytes;    /* received, including what did not fit */
	bool is_too_large; /* the write callback refused a chunk */
	char curl_error[CURL_ERROR_SIZE];
	char error[CURL_ERROR_SIZE + 64];
};

struct http_json {
	struct collect_options opts;
	long connect_timeout_ms;
	CURLM *multi;
	struct curl_slist *headers;
	struct slot *slots; /* [opts.concurrency] */
	size_t *free_slots; /* stack of slot indices */
	size_t n_free;
};

int
http_json_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
http_json_global_cleanup(void)
{
	curl_global_cleanup();
}

/* Appends into the slot's bounded buffer; returning short makes curl abort
 * the transfer with CURLE_WRITE_ERROR at once, so memory stays bounded. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct slot *s = arg;
	size_t n = size * nmemb;

	s->n_bytes += n;
	if (buf_append(&s->body, data, n) < 0) {
		s->is_too_large = true;
		return 0;
	}
	return n;
}

static int
slot_init(struct http_json *hj, struct slot *s)
{
	const struct collect_options *o = &hj->opts;
	CURL *e;
	int rc = 0;

	s->hj = hj;
	buf_init(&s->body, o->max_body_bytes);
	s->easy = e = curl_easy_init();
	if (e == NULL)
		return -1;
	/* any failing option leaves a nonzero code in rc */
	rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, s);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->curl_error);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (o->timeout_ms > 0)
		rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                       hj->connect_timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0: the _STR forms */
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	                       (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS,
	                       (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
	rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, hj->headers);
	/* A declared length past the limit fails before any body arrives. */
	if (o->max_body_bytes <= (size_t)INT64_MAX)
		rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
		                       (curl_off_t)o->max_body_bytes);
	return rc == CURLE_OK ? 0 : -1;
}

struct http_json *
http_json_new(const struct collect_options *opts)
{
	struct http_json *hj = xcalloc(1, sizeof(*hj));
	size_t i, n;

	hj->opts = *opts;
	if (hj->opts.concurrency < 1)
		hj->opts.concurrency = 1;
	n = (size_t)hj->opts.concurrency;
	hj->connect_timeout_ms =
	    hj->opts.timeout_ms > 0 &&
	            hj->opts.timeout_ms < CONNECT_TIMEOUT_MAX_MS
	        ? hj->opts.timeout_ms
	        : CONNECT_TIMEOUT_MAX_MS;
	hj->multi = curl_multi_init();
	/* no Accept-Encoding: max_body then limits the bytes we parse */
	hj->headers = curl_slist_append(NULL, "Accept: application/json");
	hj->slots = xcalloc(n, sizeof(*hj->slots));
	hj->free_slots = xcalloc(n, sizeof(*hj->free_slots));
	if (hj->multi == NULL || hj->headers == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		if (slot_init(hj, &hj->slots[i]) < 0)
			goto fail;
		hj->free_slots[hj->n_free++] = n - 1 - i;
	}
	return hj;
fail:
	http_json_free(hj);
	return NULL;
}

void
http_json_free(struct http_json *hj)
{
	size_t i;

	if (hj == NULL)
		return;
	for (i = 0; i < (size_t)hj->opts.concurrency; i++) {
		if (hj->slots[i].easy != NULL)
			curl_easy_cleanup(hj->slots[i].easy);
		buf_reset(&hj->slots[i].body);
	}
	if (hj->multi != NULL)
		curl_multi_cleanup(hj->multi);
	curl_slist_free_all(hj->headers);
	free(hj->slots);
	free(hj->free_slots);
	free(hj);
}

/* The cycle in progress. */
struct cycle {
	struct http_json *hj;
	const struct collect_target *targets;
	size_t n, next; /* next: first target not started */
	size_t n_active;
	collect_emit_fn emit;
	void *ctx;
};

static void
emit_unstarted(struct cycle *c, size_t target, const char *error,
               bool is_cancelled)
{
	struct collect_result res;

	memset(&res, 0, sizeof(res));
	res.area = c->targets[target].area;
	res.error = error;
	res.is_cancelled = is_cancelled;
	c->emit(c->ctx, &res);
}

static void
release(struct cycle *c, struct slot *s)
{
	curl_multi_remove_handle(c->hj->multi, s->easy);
	s->is_busy = false;
	if (s->body.cap > KEEP_BUF_BYTES)
		buf_reset(&s->body);
	c->hj->free_slots[c->hj->n_free++] = (size_t)(s - c->hj->slots);
	c->n_active--;
}

/* Starts targets while slots are free; a target that cannot start is
 * emitted failed on the spot. */
static void
fill_slots(struct cycle *c)
{
	struct http_json *hj = c->hj;
	struct slot *s;
	size_t t;

	while (hj->n_free > 0 && c->next < c->n) {
		t = c->next++;
		s = &hj->slots[hj->free_slots[hj->n_free - 1]];
		s->target = t;
		s->n_bytes = 0;
		s->is_too_large = false;
		s->curl_error[0] = '\0';
		buf_clear(&s->body);
		if (curl_easy_setopt(s->easy, CURLOPT_URL, c->targets[t].url) !=
		        CURLE_OK ||
		    curl_multi_add_handle(hj->multi, s->easy) != CURLM_OK) {
			emit_unstarted(c, t, "cannot start the transfer",
			               false);
			continue;
		}
		s->is_busy = true;
		hj->n_free--;
		c->n_active++;
	}
}

/* A short, clear reason for a failed transfer, in s->error. */
static const char *
describe(struct slot *s, CURLcode code, long status)
{
	const struct collect_options *o = &s->hj->opts;
	long os_errno = 0, n_redirects = 0;
	curl_off_t connect_us = 0;
	const char *detail =
	    s->curl_error[0] != '\0' ? s->curl_error : curl_easy_strerror(code);

	switch (code) {
	case CURLE_OK:
		snprintf(s->error, sizeof(s->error), "HTTP %ld", status);
		break;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (code == CURLE_FILESIZE_EXCEEDED || s->is_too_large) {
			snprintf(s->error, sizeof(s->error),
			         "body larger than %zu bytes",
			         o->max_body_bytes);
			break;
		}
		snprintf(s->error, sizeof(s->error), "%s", detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(s->easy, CURLINFO_CONNECT_TIME_T,
		                  &connect_us);
		if (connect_us == 0 &&
		    s->hj->connect_timeout_ms < o->timeout_ms)
			snprintf(s->error, sizeof(s->error),
			         "connect timeout after %ld ms",
			         s->hj->connect_timeout_ms);
		else
			snprintf(s->error, sizeof(s->error),
			         "timeout after %ld ms", o->timeout_ms);
		break;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(s->easy, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == ECONNREFUSED)
			snprintf(s->error, sizeof(s->error),
			         "connection refused");
		else
			snprintf(s->error, sizeof(s->error), "%s", detail);
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		snprintf(s->error, sizeof(s->error), "more than %ld redirects",
		         MAX_REDIRECTS);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		curl_easy_getinfo(s->easy, CURLINFO_REDIRECT_COUNT,
		                  &n_redirects);
		snprintf(s->error, sizeof(s->error), "%s%s",
		         n_redirects > 0 || status / 100 == 3
		             ? "redirect refused: "
		             : "",
		         detail);
		break;
	default:
		snprintf(s->error, sizeof(s->error), "%s", detail);
		break;
	}
	return s->error;
}

static void
finish(struct cycle *c, struct slot *s, CURLcode code)
{
	struct collect_result res;
	curl_off_t total_us = 0;
	long status = 0;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(s->easy, CURLINFO_TOTAL_TIME_T, &total_us);
	memset(&res, 0, sizeof(res));
	res.area = c->targets[s->target].area;
	res.http_status = (int)status;
	res.latency_ms = (double)total_us / 1000.0;
	res.n_bytes = s->n_bytes;
	if (code == CURLE_OK && status >= 200 && status < 300) {
		res.body = s->body.data != NULL ? s->body.data : "";
		res.body_len = s->body.len;
	} else {
		res.error = describe(s, code, status);
	}
	c->emit(c->ctx, &res);
}

static void
drain_done(struct cycle *c)
{
	struct slot *s;
	CURLMsg *msg;
	CURLcode code;
	int n_left;

	while ((msg = curl_multi_info_read(c->hj->multi, &n_left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		s = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s);
		code = msg->data.result; /* msg dies with remove_handle */
		finish(c, s, code);
		release(c, s);
	}
}

static bool
cancel_requested(const struct http_json *hj)
{
	return hj->opts.cancel != NULL && atomic_load(hj->opts.cancel);
}

/* Takes every transfer off the wire and emits it and every target not
 * started as cancelled (or failed with error, when curl broke). */
static void
abandon(struct cycle *c, const char *error, bool is_cancelled)
{
	struct http_json *hj = c->hj;
	struct slot *s;
	size_t i;

	for (i = 0; i < (size_t)hj->opts.concurrency && c->n_active > 0; i++) {
		s = &hj->slots[i];
		if (!s->is_busy)
			continue;
		emit_unstarted(c, s->target, error, is_cancelled);
		release(c, s);
	}
	while (c->next < c->n)
		emit_unstarted(c, c->next++, error, is_cancelled);
}

int
http_json_run_cycle(struct http_json *hj, const struct collect_target *targets,
                    size_t n, collect_emit_fn emit, void *ctx)
{
	struct cycle c = {
		.hj = hj, .targets = targets, .n = n, .emit = emit, .ctx = ctx
	};
	int n_running;
	CURLMcode mc;

	for (;;) {
		if (cancel_requested(hj)) {
			abandon(&c, "cancelled", true);
			return 0;
		}
		fill_slots(&c);
		if (c.n_active == 0)
			return 0;
		mc = curl_multi_perform(hj->multi, &n_running);
		if (mc == CURLM_OK) {
			drain_done(&c);
			/* a freed slot takes the next target before we sleep */
			if (hj->n_free > 0 && c.next < c.n)
				continue;
			if (c.n_active == 0)
				continue;
			mc = curl_multi_poll(hj->multi, NULL, 0, CANCEL_POLL_MS,
			                     NULL);
		}
		if (mc != CURLM_OK) {
			abandon(&c, curl_multi_strerror(mc), false);
			return -1;
		}
	}
}

static void *
adapter_create(const struct collect_options *opts)
{
	return http_json_new(opts);
}

static void
adapter_destroy(void *state)
{
	http_json_free(state);
}

static int
adapter_run_cycle(void *state, const struct collect_target *targets, size_t n,
                  collect_emit_fn emit, void *ctx)
{
	return http_json_run_cycle(state, targets, n, emit, ctx);
}

const struct collector http_json_collector = {
	.name = "http_json",
	.create = adapter_create,
	.destroy = adapter_destroy,
	.run_cycle = adapter_run_cycle,
};
