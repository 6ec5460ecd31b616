/*
 * http_json.c: the libcurl multi poller, and the only user of libcurl.
 *
 * A fixed pool of `concurrency` slots, each an easy handle configured once
 * and reused for every transfer, so connections stay alive in the multi
 * handle's cache from one target, and one cycle, to the next. A cycle feeds
 * targets into free slots in order and emits each result the moment its
 * transfer ends, then starts the next target.
 *
 * The loop is libcurl's event-driven one: curl tells us which sockets to
 * watch (kept in an epoll set) and when its next timeout is due, and we
 * hand it only the sockets that are ready, so a wake-up costs O(ready
 * sockets) rather than a poll of every transfer. A wait never exceeds
 * CANCEL_POLL_MS, so the cancel flag is seen in time.
 *
 * Invariants: a slot is either free (on the free stack) or carries exactly
 * one target and is added to the multi handle; every target is emitted
 * exactly once, by completion, by cancellation or by a failure to start;
 * a body never holds more than max_body_bytes.
 *
 * Conditional requests: a target's validators are sent only if well formed
 * (they reach a header line verbatim), and a 304 counts as a success only
 * when we sent one. The validators reported are those of the last response
 * of a transfer (a redirect's are forgotten), from its headers, not its
 * trailers; one that repeats, folds onto a second line or is malformed is
 * dropped rather than guessed at.
 *
 * Redirects: curl follows them (at most MAX_REDIRECTS, http and https
 * only), and redirect.h's policy judges every hop after the first on the
 * address it goes to, after DNS: in the open-socket callback, before a new
 * connection is made, and in the pre-request callback, which also sees a
 * connection reused from the cache (opened for another target, perhaps an
 * endpoint allowed to use it). The endpoint's own kind of address is the
 * one its first request went to. A refused hop ends the transfer before
 * its request is sent, and its reason is the result's error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

/* CURLOPT_PREREQFUNCTION is the one place that sees a redirect reuse a
 * connection: without it the redirect policy could be bypassed. */
#if LIBCURL_VERSION_NUM < 0x075000
#error "libcurl 7.80.0 or newer is needed (CURLOPT_PREREQFUNCTION)"
#endif

#include "buf.h"
#include "http_json.h"
#include "redirect.h"
#include "xmalloc.h"

#define USER_AGENT "kuntamon/0.1"
#define MAX_REDIRECTS 3L
#define CONNECT_TIMEOUT_MAX_MS 5000L
#define CANCEL_POLL_MS 100         /* how late a cancel may be noticed */
#define KEEP_BUF_BYTES (64 * 1024) /* larger bodies give their storage back */
#define MAX_EVENTS 64              /* ready sockets taken per wake-up */
#define IF_NONE_MATCH "If-None-Match: "
#define IF_MODIFIED_SINCE "If-Modified-Since: "

/* No Accept-Encoding: max_body then limits the bytes we parse. Not const:
 * a curl_slist holds char *, but curl only reads it. */
static char accept_header[] = "Accept: application/json";

/* A validator header of the response in progress. */
struct validator {
	char value[HTTP_JSON_VALIDATOR_MAX + 1];
	bool is_seen;    /* the header came, usable or not */
	bool is_dropped; /* malformed, too long, repeated or folded */
};

struct slot {
	CURL *easy;
	struct http_json *hj;
	size_t target; /* index into the running cycle's targets */
	bool is_busy;
	struct buf body;
	size_t n_bytes;    /* received, including what did not fit */
	bool is_too_large; /* the write callback refused a chunk */
	/* The request's header list, set on the handle once and relinked for
	 * each target: Accept, then the validators that are well formed. */
	struct curl_slist headers[3];
	char if_none_match[sizeof(IF_NONE_MATCH) + HTTP_JSON_VALIDATOR_MAX];
	char if_modified_since[sizeof(IF_MODIFIED_SINCE) +
	                       HTTP_JSON_VALIDATOR_MAX];
	bool is_conditional;  /* we sent a validator: a 304 is fine */
	bool is_past_headers; /* what comes now are trailers */
	enum http_json_validator last_header; /* for folded lines */
	struct validator etag, last_modified;
	/* The redirect policy's view of the transfer: the endpoint's own
	 * kind of address, the scheme of the last hop let through, and why
	 * a hop was refused ("" if none was since the last one let through) */
	enum redirect_net endpoint_net;
	enum redirect_scheme last_scheme;
	char refusal[INET6_ADDRSTRLEN + 160];
	char curl_error[CURL_ERROR_SIZE];
	char error[CURL_ERROR_SIZE + 64];
};

struct http_json {
	struct collect_options opts;
	long connect_timeout_ms;
	CURLM *multi;
	int epoll_fd;         /* the sockets curl asked us to watch */
	int64_t timer_at_ms;  /* curl's next timeout, monotonic; -1: none */
	bool is_watch_failed; /* epoll refused a socket: the cycle fails */
	struct slot *slots;   /* [opts.concurrency] */
	size_t *free_slots;   /* stack of slot indices */
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

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 entity-tag: [W/] DQUOTE *etagc DQUOTE, etagc limited to visible
 * ASCII without DQUOTE. obs-text is refused: the value is stored as text
 * and goes back out in a header line. */
static bool
etag_is_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n >= 2 && s[0] == 'W' && s[1] == '/')
		i = 2;
	if (n - i < 2 || s[i] != '"' || s[n - 1] != '"')
		return false;
	for (i++; i < n - 1; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e ||
		    s[i] == '"')
			return false;
	return true;
}

static bool
is_digits(const char *s, size_t n, int min, int max)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	return v >= min && v <= max;
}

static bool
is_one_of(const char *s, const char *list)
{
	const char *p;

	for (p = list; *p != '\0'; p += 3)
		if (memcmp(s, p, 3) == 0)
			return true;
	return false;
}

/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": the only form RFC 9110
 * lets a server send. The obsolete forms are dropped: the poll is then
 * unconditional, never wrong. */
static bool
http_date_is_valid(const char *s, size_t n)
{
	return n == 29 && is_one_of(s, "MonTueWedThuFriSatSun") &&
	       memcmp(s + 3, ", ", 2) == 0 && is_digits(s + 5, 2, 1, 31) &&
	       s[7] == ' ' &&
	       is_one_of(s + 8, "JanFebMarAprMayJunJulAugSepOctNovDec") &&
	       s[11] == ' ' && is_digits(s + 12, 4, 0, 9999) && s[16] == ' ' &&
	       is_digits(s + 17, 2, 0, 23) && s[19] == ':' &&
	       is_digits(s + 20, 2, 0, 59) && s[22] == ':' &&
	       is_digits(s + 23, 2, 0, 60) && memcmp(s + 25, " GMT", 4) == 0;
}

static bool
is_name(const char *line, size_t n, const char *name)
{
	return n == strlen(name) && strncasecmp(line, name, n) == 0;
}

enum http_json_validator
http_json_parse_validator(const char *line, size_t len,
                          char out[HTTP_JSON_VALIDATOR_MAX + 1])
{
	enum http_json_validator kind;
	const char *colon = memchr(line, ':', len), *v, *end = line + len;
	bool is_valid;

	out[0] = '\0';
	if (colon == NULL)
		return HTTP_JSON_NOT_VALIDATOR;
	/* no blank before the colon: RFC 9110 calls that line malformed */
	if (is_name(line, (size_t)(colon - line), "ETag"))
		kind = HTTP_JSON_ETAG;
	else if (is_name(line, (size_t)(colon - line), "Last-Modified"))
		kind = HTTP_JSON_LAST_MODIFIED;
	else
		return HTTP_JSON_NOT_VALIDATOR;
	if (end > colon + 1 && end[-1] == '\n')
		end--;
	if (end > colon + 1 && end[-1] == '\r')
		end--;
	for (v = colon + 1; v < end && is_blank(*v); v++)
		;
	while (end > v && is_blank(end[-1]))
		end--;
	if ((size_t)(end - v) > HTTP_JSON_VALIDATOR_MAX)
		return kind;
	is_valid = kind == HTTP_JSON_ETAG
	               ? etag_is_valid(v, (size_t)(end - v))
	               : http_date_is_valid(v, (size_t)(end - v));
	if (is_valid) {
		memcpy(out, v, (size_t)(end - v));
		out[end - v] = '\0';
	}
	return kind;
}

static void
validator_take(struct validator *v, const char *value)
{
	/* RFC 9110 allows one of each; two leave us unsure which is right */
	if (v->is_seen || value[0] == '\0')
		v->is_dropped = true;
	else
		snprintf(v->value, sizeof(v->value), "%s", value);
	v->is_seen = true;
}

static const char *
validator_get(const struct validator *v)
{
	return v->is_seen && !v->is_dropped ? v->value : NULL;
}

static void
validators_clear(struct slot *s)
{
	memset(&s->etag, 0, sizeof(s->etag));
	memset(&s->last_modified, 0, sizeof(s->last_modified));
	s->last_header = HTTP_JSON_NOT_VALIDATOR;
	s->is_past_headers = false;
}

/* Every header line of every response of the transfer, in order. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct slot *s = arg;
	size_t n = size * nmemb;
	char value[HTTP_JSON_VALIDATOR_MAX + 1];
	enum http_json_validator kind;

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* a new response: a redirect's or a 1xx's validators are
		 * not the document's */
		validators_clear(s);
		return n;
	}
	if (s->is_past_headers)
		return n;
	if (n == 0 || data[0] == '\r' || data[0] == '\n') {
		s->is_past_headers = true;
		return n;
	}
	if (is_blank(data[0])) {
		/* obs-fold: the value goes on; we never saw all of it */
		if (s->last_header == HTTP_JSON_ETAG)
			s->etag.is_dropped = true;
		else if (s->last_header == HTTP_JSON_LAST_MODIFIED)
			s->last_modified.is_dropped = true;
		return n;
	}
	kind = http_json_parse_validator(data, n, value);
	if (kind == HTTP_JSON_ETAG)
		validator_take(&s->etag, value);
	else if (kind == HTTP_JSON_LAST_MODIFIED)
		validator_take(&s->last_modified, value);
	s->last_header = kind;
	return n;
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

/* Whether the transfer's current hop may go to the address addr (as text)
 * of kind net; if not, says why in s->refusal. The first hop is the
 * endpoint itself, which the policy never judges. */
static bool
hop_is_allowed(struct slot *s, const char *addr, enum redirect_net net)
{
	long n_redirects = 0;
	char *url = NULL;
	const char *problem;

	curl_easy_getinfo(s->easy, CURLINFO_REDIRECT_COUNT, &n_redirects);
	if (n_redirects == 0)
		return true;
	curl_easy_getinfo(s->easy, CURLINFO_EFFECTIVE_URL, &url);
	problem =
	    redirect_scheme_problem(s->last_scheme, redirect_scheme_of(url));
	if (problem != NULL) {
		snprintf(s->refusal, sizeof(s->refusal), "redirect refused: %s",
		         problem);
		return false;
	}
	problem = redirect_address_problem(s->endpoint_net, net,
	                                   s->hj->opts.is_private_allowed);
	if (problem != NULL) {
		snprintf(s->refusal, sizeof(s->refusal),
		         "redirect refused: %s is %s", addr, problem);
		return false;
	}
	return true;
}

/* curl's CURLOPT_OPENSOCKETFUNCTION: a hop the policy refuses never gets
 * a socket, so nothing is sent to its address, not even a SYN; curl then
 * tries the name's next address, or fails with CURLE_COULDNT_CONNECT. */
static curl_socket_t
on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct slot *s = arg;
	struct sockaddr_storage ss;
	const void *ip = NULL;
	char text[INET6_ADDRSTRLEN] = "an unknown address";
	size_t len = a->addrlen < sizeof(ss) ? a->addrlen : sizeof(ss);

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	/* the address is addrlen bytes, more than struct sockaddr holds */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, (const char *)a + offsetof(struct curl_sockaddr, addr),
	       len);
	if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in))
		ip = &((const struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		ip = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
	if (ip != NULL)
		inet_ntop(ss.ss_family, ip, text, sizeof(text));
	if (!hop_is_allowed(
	        s, text, redirect_classify((const struct sockaddr *)&ss, len)))
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* curl's CURLOPT_PREREQFUNCTION: every hop, on a new connection or one
 * reused from the cache, after connecting and before the request. Hop 0
 * tells the endpoint's own kind of address. */
static int
on_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port,
          int local_port)
{
	struct slot *s = arg;
	enum redirect_net net = redirect_classify_text(primary_ip);
	long n_redirects = 0;
	char *url = NULL;

	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	curl_easy_getinfo(s->easy, CURLINFO_REDIRECT_COUNT, &n_redirects);
	if (n_redirects == 0)
		s->endpoint_net = net;
	else if (!hop_is_allowed(s, primary_ip, net))
		return CURL_PREREQFUNC_ABORT;
	curl_easy_getinfo(s->easy, CURLINFO_EFFECTIVE_URL, &url);
	s->last_scheme = redirect_scheme_of(url);
	s->refusal[0] = '\0';
	return CURL_PREREQFUNC_OK;
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
	rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
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
	rc |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	rc |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, s);
	rc |= curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
	rc |= curl_easy_setopt(e, CURLOPT_PREREQDATA, s);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
	s->headers[0].data = accept_header;
	rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	/* A declared length past the limit fails before any body arrives. */
	if (o->max_body_bytes <= (size_t)INT64_MAX)
		rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
		                       (curl_off_t)o->max_body_bytes);
	return rc == CURLE_OK ? 0 : -1;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* curl's CURLMOPT_SOCKETFUNCTION: watch fd for what curl waits on. Never
 * returns -1: that would mark the multi handle dead for good, and it
 * outlives the cycle; the failure ends the cycle instead. */
static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *socketp)
{
	struct http_json *hj = arg;
	struct epoll_event ev;
	int op = socketp != NULL ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, rc;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		/* fails harmlessly if curl closed it first: epoll forgot it */
		epoll_ctl(hj->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) |
	            (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	ev.data.fd = fd;
	rc = epoll_ctl(hj->epoll_fd, op, fd, &ev);
	/* a socket closed unannounced, its number reused */
	if (rc < 0 && errno == ENOENT)
		rc = epoll_ctl(hj->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
	else if (rc < 0 && errno == EEXIST)
		rc = epoll_ctl(hj->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
	if (rc < 0) {
		hj->is_watch_failed = true;
		return 0;
	}
	if (socketp == NULL)
		curl_multi_assign(hj->multi, fd, hj); /* marks it as added */
	return 0;
}

/* curl's CURLMOPT_TIMERFUNCTION: one non-repeating timer, -1 cancels. */
static int
on_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct http_json *hj = arg;

	(void)multi;
	hj->timer_at_ms = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	return 0;
}

struct http_json *
http_json_new(const struct collect_options *opts)
{
	struct http_json *hj = xcalloc(1, sizeof(*hj));
	size_t i, n;
	int rc = 0;

	hj->epoll_fd = -1;
	hj->timer_at_ms = -1;
	hj->opts = *opts;
	if (hj->opts.concurrency < 1)
		hj->opts.concurrency = 1;
	n = (size_t)hj->opts.concurrency;
	hj->connect_timeout_ms =
	    hj->opts.timeout_ms > 0 &&
	            hj->opts.timeout_ms < CONNECT_TIMEOUT_MAX_MS
	        ? hj->opts.timeout_ms
	        : CONNECT_TIMEOUT_MAX_MS;
	hj->slots = xcalloc(n, sizeof(*hj->slots));
	hj->free_slots = xcalloc(n, sizeof(*hj->free_slots));
	hj->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	hj->multi = curl_multi_init();
	if (hj->epoll_fd < 0 || hj->multi == NULL)
		goto fail;
	rc |= curl_multi_setopt(hj->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	rc |= curl_multi_setopt(hj->multi, CURLMOPT_SOCKETDATA, hj);
	rc |= curl_multi_setopt(hj->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	rc |= curl_multi_setopt(hj->multi, CURLMOPT_TIMERDATA, hj);
	if (rc != CURLM_OK)
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
	if (hj->epoll_fd >= 0)
		close(hj->epoll_fd);
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

/* Relinks the slot's header list (already set on the handle) for t:
 * Accept, then the target's validators. One that is not well formed is not
 * sent: it cannot have come from a result we reported, and it must never
 * smuggle a header line in. */
static void
set_request_headers(struct slot *s, const struct collect_target *t)
{
	struct curl_slist *last = &s->headers[0];
	size_t n_etag = 0, n_date = 0;

	if (t->etag != NULL)
		n_etag = strnlen(t->etag, HTTP_JSON_VALIDATOR_MAX + 1);
	if (t->last_modified != NULL)
		n_date = strnlen(t->last_modified, HTTP_JSON_VALIDATOR_MAX + 1);
	s->is_conditional = false;
	if (n_etag <= HTTP_JSON_VALIDATOR_MAX &&
	    etag_is_valid(t->etag, n_etag)) {
		snprintf(s->if_none_match, sizeof(s->if_none_match), "%s%s",
		         IF_NONE_MATCH, t->etag);
		last = last->next = &s->headers[1];
		last->data = s->if_none_match;
		s->is_conditional = true;
	}
	if (n_date <= HTTP_JSON_VALIDATOR_MAX &&
	    http_date_is_valid(t->last_modified, n_date)) {
		snprintf(s->if_modified_since, sizeof(s->if_modified_since),
		         "%s%s", IF_MODIFIED_SINCE, t->last_modified);
		last = last->next = &s->headers[2];
		last->data = s->if_modified_since;
		s->is_conditional = true;
	}
	last->next = NULL;
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
		s->refusal[0] = '\0';
		/* the strictest until its first request says otherwise */
		s->endpoint_net = REDIRECT_NET_PUBLIC;
		s->last_scheme = redirect_scheme_of(c->targets[t].url);
		validators_clear(s);
		buf_clear(&s->body);
		set_request_headers(s, &c->targets[t]);
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

	if (s->refusal[0] != '\0' && (code == CURLE_COULDNT_CONNECT ||
	                              code == CURLE_ABORTED_BY_CALLBACK)) {
		snprintf(s->error, sizeof(s->error), "%s", s->refusal);
		return s->error;
	}
	switch (code) {
	case CURLE_OK:
		snprintf(s->error, sizeof(s->error), "HTTP %ld%s", status,
		         status == 304 ? " to an unconditional request" : "");
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
		res.etag = validator_get(&s->etag);
		res.last_modified = validator_get(&s->last_modified);
	} else if (code == CURLE_OK && status == 304 && s->is_conditional) {
		res.is_not_modified = true;
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

/* How long to sleep: until curl's timer is due, and never longer than
 * CANCEL_POLL_MS. */
static int
wait_ms(const struct http_json *hj)
{
	int64_t left;

	if (hj->timer_at_ms < 0)
		return CANCEL_POLL_MS;
	left = hj->timer_at_ms - now_ms();
	if (left < 0)
		return 0;
	return left < CANCEL_POLL_MS ? (int)left : CANCEL_POLL_MS;
}

/* What epoll saw, as curl's bits. A socket in error or hung up is ready
 * for whatever curl waits on, which then reads the reason. */
static int
select_bits(uint32_t events)
{
	int bits = 0;

	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		bits |= CURL_CSELECT_IN;
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		bits |= CURL_CSELECT_OUT;
	return bits;
}

/* Sleeps until a socket is ready or curl's timer is due, and runs curl on
 * just those. NULL, or why the cycle cannot go on. */
static const char *
step(struct http_json *hj)
{
	struct epoll_event ev[MAX_EVENTS];
	CURLMcode mc = CURLM_OK;
	int i, n_ready, n_running;

	n_ready = epoll_wait(hj->epoll_fd, ev, MAX_EVENTS, wait_ms(hj));
	if (n_ready < 0 && errno != EINTR)
		return "cannot wait for sockets";
	for (i = 0; i < n_ready && mc == CURLM_OK; i++)
		mc = curl_multi_socket_action(hj->multi, ev[i].data.fd,
		                              select_bits(ev[i].events),
		                              &n_running);
	if (mc == CURLM_OK && hj->timer_at_ms >= 0 &&
	    hj->timer_at_ms <= now_ms()) {
		/* fired: curl sets it again if anything is still pending */
		hj->timer_at_ms = -1;
		mc = curl_multi_socket_action(hj->multi, CURL_SOCKET_TIMEOUT, 0,
		                              &n_running);
	}
	if (mc != CURLM_OK)
		return curl_multi_strerror(mc);
	if (hj->is_watch_failed) {
		hj->is_watch_failed = false;
		return "cannot watch a socket";
	}
	return NULL;
}

int
http_json_run_cycle(struct http_json *hj, const struct collect_target *targets,
                    size_t n, collect_emit_fn emit, void *ctx)
{
	struct cycle c = {
		.hj = hj, .targets = targets, .n = n, .emit = emit, .ctx = ctx
	};
	const char *error;

	for (;;) {
		if (cancel_requested(hj)) {
			abandon(&c, "cancelled", true);
			return 0;
		}
		fill_slots(&c);
		if (c.n_active == 0)
			return 0;
		if ((error = step(hj)) != NULL) {
			abandon(&c, error, false);
			return -1;
		}
		drain_done(&c);
		if (hj->opts.tick != NULL)
			hj->opts.tick(ctx);
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
