/*
 * server.c: libmicrohttpd's daemon and the bridge from its callbacks to
 * the route table. Owns the listen socket, the per-request contexts and
 * the request counters.
 *
 * A request's life: uri_logged (raw URI, before libmicrohttpd decodes it)
 * creates its struct request_ctx and counts it in flight; on_request
 * checks the raw path and query ourselves (libmicrohttpd's own decoding
 * would turn "%2e%2e" into ".." and "%00" into a cut string), matches the
 * route, reads a body only for routes that accept one and only up to
 * max_body, runs the handler and queues its answer; request_done frees the
 * context and wakes server_stop when the last request in flight ends.
 *
 * Reads (GET, HEAD) follow HTTP's caching rules here, for every handler
 * alike (apply_caching): a validator (the handler's ETag, else a hash of
 * the bytes), Cache-Control public for the public and private for a token
 * or session, Vary, and 304 for a matching If-None-Match. CORS ([server]
 * cors_origins) covers the API and charts, preflights included.
 *
 * TLS: with [server] tls_cert and tls_key the one listen socket speaks
 * HTTPS only (libmicrohttpd's GnuTLS). The PEM files are read at start and
 * kept, the key wiped when the server stops; a new certificate takes a
 * restart.
 *
 * Threads: libmicrohttpd runs event-driven (epoll) on a pool of a few
 * threads, so an open connection costs a file descriptor and a struct
 * conn, not a thread. Nothing slow may run there: a route marked is_slow
 * (charts, series, /api/v1/data) is first asked with may_defer and answers
 * what it has at hand (a cached answer); what it defers runs on our own
 * workers with the connection suspended, and its answer is queued when
 * libmicrohttpd calls on_request again after the resume. Besides one a
 * worker, at most SLOW_QUEUE_PER_WORKER a worker wait, each for at most
 * SLOW_WAIT_MS; past either the answer is 503 with Retry-After, so a
 * flood of expensive requests holds a bounded amount of memory and a
 * cached chart is never behind it. Every suspended connection is resumed
 * before MHD_stop_daemon (which aborts the process otherwise).
 *
 * Connections (struct conn, NOTIFY_CONNECTION): counted per client address
 * (an IPv4 address, an IPv6 /64) by our accept policy, and swept: one
 * whose request headers are not in within header_timeout of its opening
 * or of its previous answer is shut down. libmicrohttpd's own timeout is
 * idle-based (every byte read restarts it), so a client trickling a header
 * byte a second would otherwise keep its connection for ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "app.h"
#include "api_submit.h"
#include "auth.h"
#include "buf.h"
#include "gate.h"
#include "log.h"
#include "query.h"
#include "respond.h"
#include "routes.h"
#include "server.h"
#include "session.h"
#include "xmalloc.h"

/* Headers and request line share this; 64 KiB refuses oversized ones. */
#define CONNECTION_MEMORY_BYTES (64 * 1024)
/* libmicrohttpd takes this many connections past max_connections, so
 * that a client over the limit gets a 503 JSON answer instead of a reset;
 * past these too, it refuses the connection. */
#define OVERLOAD_HEADROOM 16u
/* Handlers (chart rendering: librrd -> cairo/pango, on the workers) run on
 * these stacks: a 1200x400 rrd_graph_v takes under 64 KiB. glibc puts
 * static TLS inside this size, and libtsan's is ~770 KiB, so under TSan
 * ~250 KiB are left: still room. */
#define THREAD_STACK_BYTES (1024 * 1024)
/* libmicrohttpd's threads and our workers for slow routes: one of each
 * per core, at least 2 (one slow or busy thread leaves another) and at
 * most this many. */
#define MAX_THREADS 8
/* Open files kept for everything but connections: the database, RRD
 * files, the collector's sockets, logs. max_connections is lowered to fit
 * RLIMIT_NOFILE less these. */
#define FD_RESERVE 256
/* How often connections are checked against header_timeout. */
#define SWEEP_MS 250
/* Slow requests waiting for a worker: at most this many a worker, each
 * for at most SLOW_WAIT_MS; past either, 503 with Retry-After. What
 * waits holds its request only; what runs is bounded by the workers. */
#define SLOW_QUEUE_PER_WORKER 4u
#define SLOW_WAIT_MS 2000
#define SLOW_RETRY_AFTER_S 1
/* A chunked body past max_body is read on and dropped, to answer 413 at
 * its end (libmicrohttpd 0.9.75 queues no answer mid-body); one that goes
 * on past this many times max_body is cut off. */
#define DISCARD_FACTOR 32u
/* A certificate chain is a few KiB; this only bounds a wrong file. */
#define PEM_MAX_BYTES (1024 * 1024)
/* libmicrohttpd logs every refused connection and malformed request, so
 * a client could write our log at its own pace: at most this many of its
 * lines a window, the rest counted and the count logged. */
#define MHD_LOG_BURST 20
#define MHD_LOG_WINDOW_S 60
/* Anonymous reads may be reused this long without asking again: data
 * lands at most once a poll interval (5 min by default), and a minute
 * keeps a busy dashboard's repeated views off the server. Reads with a
 * token are revalidated every time (a municipality sees its own
 * submission at once), cheaply, with If-None-Match. */
#define PUBLIC_MAX_AGE_S 60
/* How long a browser may reuse the answer to a CORS preflight. */
#define PREFLIGHT_MAX_AGE_S 600

/* The statuses counted one by one; anything else counts as "other". */
static const int counted_statuses[] = { 200, 202, 204, 304, 400, 401, 403,
	                                404, 405, 413, 429, 500, 503 };
#define N_COUNTED (sizeof(counted_statuses) / sizeof(counted_statuses[0]))
#define N_STATUS_SLOTS (N_COUNTED + 1)

const unsigned long server_duration_bounds_us[SERVER_N_DURATION_BOUNDS] = {
	1000,   2500,   5000,    10000,   25000,   50000,    100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000,
};
/* A route's histogram: its buckets, +Inf, and the sum. */
#define DURATION_SLOTS (SERVER_N_DURATION_BOUNDS + 2)
#define DURATION_SUM (SERVER_N_DURATION_BOUNDS + 1)

/* PEM text, NUL-terminated as libmicrohttpd wants it; both NULL or both
 * set. libmicrohttpd borrows them for the daemon's lifetime. */
struct tls {
	char *cert;
	char *key;
	size_t key_len;
};

/* One open connection (libmicrohttpd's socket context). */
struct conn {
	struct server *srv;
	struct conn *prev, *next; /* in srv->conns, under srv->conn_lock */
	MHD_socket fd;
	char key[SERVER_ADDR_KEY_MAX]; /* "" if not counted per address */
	/* monotonic ms since which request headers are awaited; waiting
	 * false while a request is read, handled or answered */
	atomic_llong waiting_since_ms;
	atomic_bool is_waiting;
};

/* Connections per address key, chained; entries exist while count > 0. */
struct addr_count {
	struct addr_count *next;
	unsigned count;
	char key[SERVER_ADDR_KEY_MAX];
};

struct server {
	struct MHD_Daemon *daemon;
	struct tls tls;
	struct app *app;
	struct auth *auth; /* tokens, access, brute-force and write limits */
	const struct route *routes;
	size_t n_routes;
	size_t *slot_of_route; /* first route with the same pattern */
	atomic_ulong *counts;  /* [(n_routes + 1) * N_STATUS_SLOTS] */
	/* [(n_routes + 1) * DURATION_SLOTS]: per slot the buckets (each
	 * request in one: not cumulative) and the sum in microseconds */
	atomic_ulong *durations;
	size_t max_body_bytes;
	unsigned int max_connections; /* beyond: 503 (see OVERLOAD_HEADROOM) */
	unsigned int per_addr_connections;
	long long header_timeout_ms;
	int port;

	/* open connections, for the header deadline; conn_lock is held by
	 * the sweep while it shuts sockets down and by NOTIFY_CONNECTION's
	 * CLOSED (before libmicrohttpd closes the socket), so a socket shut
	 * down is always still ours */
	pthread_mutex_t conn_lock;
	struct conn *conns;
	atomic_ulong n_conns;
	atomic_ulong n_header_timeouts;
	pthread_t sweeper;
	pthread_cond_t sweep_wake;
	bool is_sweeping; /* under conn_lock */

	pthread_mutex_t addr_lock; /* guards addr_buckets */
	struct addr_count **addr_buckets;
	size_t n_addr_buckets; /* a power of 2 */

	/* slow routes: contexts waiting for a worker, first in first out */
	pthread_mutex_t job_lock;
	pthread_cond_t job_ready;
	struct request_ctx *jobs_head, *jobs_tail;
	size_t n_jobs;        /* waiting, under job_lock */
	size_t n_running;     /* taken by a worker, under job_lock */
	bool is_job_stopping; /* under job_lock: no more suspending */
	pthread_t workers[MAX_THREADS];
	size_t n_workers;

	pthread_mutex_t lock; /* guards in_flight's zero crossing, stopping */
	pthread_cond_t drained;
	atomic_ulong in_flight;
	atomic_bool is_stopping;

	pthread_mutex_t log_lock;    /* guards the libmicrohttpd log budget */
	time_t log_window;           /* monotonic start of the current window */
	unsigned n_logged;           /* libmicrohttpd lines in the window */
	unsigned long n_log_dropped; /* over the budget, not yet reported */
};

enum ctx_state {
	CTX_NEW,  /* headers read, nothing decided */
	CTX_BODY, /* routed; reading the body, if any, until the end */
	CTX_SLOW, /* suspended: a worker runs the handler */
	CTX_DONE, /* answer queued */
};

struct request_ctx {
	struct server *srv;
	enum ctx_state state;
	/* monotonic, at the request line: where its duration starts */
	struct timespec started;
	char *uri; /* raw, as received */
	char remote_addr[64];
	char path[QUERY_PATH_MAX + 1];
	struct query query;
	struct route_match match;
	size_t slot;      /* counter slot: the route's pattern, or unmatched */
	int error_status; /* 0, or the answer decided before any handler */
	char error_msg[256];
	bool accepts_body;
	struct principal who; /* from the Authorization header or the
	                       * session cookie (auth.c) */
	long long session_id; /* > 0: the session cookie's (auth.c) */
	bool is_read;         /* GET or HEAD */
	bool is_preflight;    /* OPTIONS on an API read path: CORS */
	struct buf body;
	bool is_too_large;  /* the body passed max_body: being discarded */
	size_t n_discarded; /* bytes of a body dropped, not kept anywhere */
	/* CTX_SLOW: the suspended connection, the request the worker runs,
	 * and its answer, ready once is_ready (set by the worker before it
	 * resumes the connection) */
	struct MHD_Connection *conn;
	struct request req;
	struct response resp;
	atomic_bool is_ready;
	struct request_ctx *next_job;
	long long queued_ms; /* monotonic_ms() when queued */
};

static size_t
status_slot(int status)
{
	size_t i;

	for (i = 0; i < N_COUNTED; i++)
		if (counted_statuses[i] == status)
			return i;
	return N_COUNTED;
}

static void
count_request(struct server *srv, size_t route_slot, int status)
{
	atomic_fetch_add(
	    &srv->counts[route_slot * N_STATUS_SLOTS + status_slot(status)], 1);
}

size_t
server_duration_bucket(unsigned long long duration_us)
{
	size_t i;

	for (i = 0; i < SERVER_N_DURATION_BOUNDS; i++)
		if (duration_us <= server_duration_bounds_us[i])
			break;
	return i;
}

/* Adds the answered request's duration to its route's histogram. */
static void
observe_duration(struct server *srv, const struct request_ctx *ctx)
{
	atomic_ulong *h = &srv->durations[ctx->slot * DURATION_SLOTS];
	struct timespec now;
	long long us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (long long)(now.tv_sec - ctx->started.tv_sec) * 1000000 +
	     (now.tv_nsec - ctx->started.tv_nsec) / 1000;
	if (us < 0) /* a monotonic clock does not go back; be sure */
		us = 0;
	atomic_fetch_add(&h[server_duration_bucket((unsigned long long)us)], 1);
	atomic_fetch_add(&h[DURATION_SUM], (unsigned long)us);
}

static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- connections: per-address counts, header deadline ------------------ */

int
server_address_key(const struct sockaddr *addr, size_t addr_len, char *out)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0,    0,
		                                  0, 0, 0, 0, 0xff, 0xff };
	const struct sockaddr_in6 *a6;
	struct in6_addr prefix;
	struct in_addr a4;
	size_t len;

	out[0] = '\0';
	if (addr == NULL)
		return -1;
	if (addr->sa_family == AF_INET &&
	    addr_len >= sizeof(struct sockaddr_in)) {
		a4 = ((const struct sockaddr_in *)(const void *)addr)->sin_addr;
		return inet_ntop(AF_INET, &a4, out, SERVER_ADDR_KEY_MAX) != NULL
		           ? 0
		           : -1;
	}
	if (addr->sa_family != AF_INET6 ||
	    addr_len < sizeof(struct sockaddr_in6))
		return -1;
	a6 = (const struct sockaddr_in6 *)(const void *)addr;
	if (memcmp(a6->sin6_addr.s6_addr, mapped, sizeof(mapped)) == 0) {
		memcpy(&a4, a6->sin6_addr.s6_addr + 12, 4);
		return inet_ntop(AF_INET, &a4, out, SERVER_ADDR_KEY_MAX) != NULL
		           ? 0
		           : -1;
	}
	memset(&prefix, 0, sizeof(prefix));
	memcpy(prefix.s6_addr, a6->sin6_addr.s6_addr, 8);
	if (inet_ntop(AF_INET6, &prefix, out, SERVER_ADDR_KEY_MAX - 4) == NULL)
		return -1;
	len = strlen(out);
	snprintf(out + len, SERVER_ADDR_KEY_MAX - len, "/64");
	return 0;
}

static size_t
addr_bucket(const struct server *srv, const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h & (srv->n_addr_buckets - 1);
}

/* Counts one more connection from key, unless it has its limit. */
static bool
addr_take(struct server *srv, const char *key)
{
	struct addr_count **head = &srv->addr_buckets[addr_bucket(srv, key)];
	struct addr_count *e;
	bool is_taken = true;

	pthread_mutex_lock(&srv->addr_lock);
	for (e = *head; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		snprintf(e->key, sizeof(e->key), "%s", key);
		e->next = *head;
		*head = e;
	}
	if (e->count < srv->per_addr_connections)
		e->count++;
	else
		is_taken = false;
	pthread_mutex_unlock(&srv->addr_lock);
	return is_taken;
}

static void
addr_release(struct server *srv, const char *key)
{
	struct addr_count **p = &srv->addr_buckets[addr_bucket(srv, key)];
	struct addr_count *e;

	pthread_mutex_lock(&srv->addr_lock);
	for (; (e = *p) != NULL; p = &e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (e != NULL && e->count > 0 && --e->count == 0) {
		*p = e->next;
		free(e);
	}
	pthread_mutex_unlock(&srv->addr_lock);
}

/* libmicrohttpd's accept policy: the per-address limit. Its own per-IP
 * option counts exact addresses, so one IPv6 host with a /64 could take
 * every slot. The count taken here is given back when NOTIFY_CONNECTION
 * reports the connection closed. libmicrohttpd 0.9.75 drops a connection
 * between the two without telling only when an allocation or a TLS
 * session's setup fails: that address then keeps one count too many. */
static enum MHD_Result
accept_policy(void *cls, const struct sockaddr *addr, socklen_t addr_len)
{
	struct server *srv = cls;
	char key[SERVER_ADDR_KEY_MAX];

	if (server_address_key(addr, (size_t)addr_len, key) < 0)
		return MHD_YES; /* not an IP client: nothing to count by */
	return addr_take(srv, key) ? MHD_YES : MHD_NO;
}

static void
conn_wait_headers(struct conn *c)
{
	atomic_store(&c->waiting_since_ms, monotonic_ms());
	atomic_store(&c->is_waiting, true);
}

static struct conn *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

/* A connection opens (after accept_policy let it in) or closes (before
 * libmicrohttpd closes its socket). */
static void
notify_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                  enum MHD_ConnectionNotificationCode code)
{
	struct server *srv = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn *c;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		c = xcalloc(1, sizeof(*c));
		c->srv = srv;
		ci = MHD_get_connection_info(conn,
		                             MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = ci != NULL ? ci->connect_fd : MHD_INVALID_SOCKET;
		ci = MHD_get_connection_info(
		    conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		/* the same key accept_policy counted */
		if (ci == NULL ||
		    server_address_key(ci->client_addr,
		                       ci->client_addr != NULL &&
		                               ci->client_addr->sa_family ==
		                                   AF_INET6
		                           ? sizeof(struct sockaddr_in6)
		                           : sizeof(struct sockaddr_in),
		                       c->key) < 0)
			c->key[0] = '\0';
		atomic_init(&c->waiting_since_ms, monotonic_ms());
		atomic_init(&c->is_waiting, true);
		pthread_mutex_lock(&srv->conn_lock);
		c->next = srv->conns;
		if (srv->conns != NULL)
			srv->conns->prev = c;
		srv->conns = c;
		pthread_mutex_unlock(&srv->conn_lock);
		atomic_fetch_add(&srv->n_conns, 1);
		*socket_ctx = c;
		return;
	}
	c = *socket_ctx;
	if (code != MHD_CONNECTION_NOTIFY_CLOSED || c == NULL)
		return;
	*socket_ctx = NULL;
	pthread_mutex_lock(&srv->conn_lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&srv->conn_lock);
	atomic_fetch_sub(&srv->n_conns, 1);
	if (c->key[0] != '\0')
		addr_release(srv, c->key);
	free(c);
}

/* Shuts down the connections whose headers are overdue. libmicrohttpd's
 * thread then reads the end of the stream and closes the connection
 * itself; its socket stays open until then (NOTIFY_CONNECTION's CLOSED
 * waits for conn_lock), so the descriptor is never another's. */
static void *
sweep_main(void *arg)
{
	struct server *srv = arg;
	struct timespec until;
	long long now;
	struct conn *c;

	pthread_mutex_lock(&srv->conn_lock);
	while (srv->is_sweeping) {
		now = monotonic_ms();
		for (c = srv->conns; c != NULL; c = c->next) {
			if (!atomic_load(&c->is_waiting) ||
			    now - atomic_load(&c->waiting_since_ms) <
			        srv->header_timeout_ms ||
			    c->fd == MHD_INVALID_SOCKET)
				continue;
			atomic_store(&c->is_waiting, false);
			atomic_fetch_add(&srv->n_header_timeouts, 1);
			shutdown(c->fd, SHUT_RDWR);
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += SWEEP_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&srv->sweep_wake, &srv->conn_lock,
		                       &until);
	}
	pthread_mutex_unlock(&srv->conn_lock);
	return NULL;
}

unsigned long
server_header_timeouts(const struct server *s)
{
	return atomic_load(&s->n_header_timeouts);
}

static void *
uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct server *srv = cls;
	struct request_ctx *ctx = xcalloc(1, sizeof(*ctx));
	const union MHD_ConnectionInfo *ci;

	ctx->srv = srv;
	ctx->state = CTX_NEW;
	ctx->uri = xstrdup(uri);
	response_init(&ctx->resp);
	atomic_init(&ctx->is_ready, false);
	clock_gettime(CLOCK_MONOTONIC, &ctx->started);
	buf_init(&ctx->body, srv->max_body_bytes);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL ||
	    getnameinfo(ci->client_addr,
	                ci->client_addr->sa_family == AF_INET6
	                    ? sizeof(struct sockaddr_in6)
	                    : sizeof(struct sockaddr_in),
	                ctx->remote_addr, sizeof(ctx->remote_addr), NULL, 0,
	                NI_NUMERICHOST) != 0)
		snprintf(ctx->remote_addr, sizeof(ctx->remote_addr), "?");
	atomic_fetch_add(&srv->in_flight, 1);
	return ctx;
}

static void
request_done(void *cls, struct MHD_Connection *conn, void **req_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct request_ctx *ctx = *req_cls;
	struct conn *c = conn_of(conn);

	(void)toe;
	/* a kept-alive connection's next request has header_timeout */
	if (c != NULL)
		conn_wait_headers(c);
	if (ctx == NULL)
		return;
	*req_cls = NULL;
	/* A submission cut off unanswered (endless body, client gone) is
	 * audited too. */
	if (ctx->state != CTX_DONE && ctx->accepts_body &&
	    ctx->slot < srv->n_routes)
		auth_refused(srv->app, &srv->routes[ctx->match.index],
		             &ctx->who, ctx->remote_addr, 0,
		             ctx->is_too_large
		                 ? "body too large: cut off"
		                 : "connection closed unanswered");
	query_reset(&ctx->query);
	buf_reset(&ctx->body);
	response_reset(&ctx->resp);
	if (ctx->state == CTX_DONE)
		observe_duration(srv, ctx);
	free(ctx->uri);
	free(ctx);
	pthread_mutex_lock(&srv->lock);
	if (atomic_fetch_sub(&srv->in_flight, 1) == 1 &&
	    atomic_load(&srv->is_stopping))
		pthread_cond_broadcast(&srv->drained);
	pthread_mutex_unlock(&srv->lock);
}

/* --- HTTP conventions of reads (SPEC §6): validators, caching, CORS ----- */

/* The paths a page of another origin may read ([server] cors_origins):
 * the JSON and CSV API and the charts; never pages, assets or /metrics. */
static bool
is_api_path(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 ||
	       strncmp(path, "/chart/", 7) == 0;
}

/* Whether origin is one of list's (cors_origins: one space apart), byte
 * for byte: config.c checked that each is written as browsers send it. */
static bool
is_allowed_origin(const char *list, const char *origin)
{
	size_t n = strlen(origin), len;
	const char *p;

	for (p = list; n > 0 && *p != '\0'; p += len) {
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (len == n && memcmp(p, origin, n) == 0)
			return true;
	}
	return false;
}

/* The current [server] cors_origins: SIGHUP may change it. */
static void
cors_origins(struct server *srv, char out[CONFIG_ORIGINS_MAX])
{
	pthread_mutex_lock(&srv->app->lock);
	memcpy(out, srv->app->cfg.cors_origins, CONFIG_ORIGINS_MAX);
	pthread_mutex_unlock(&srv->app->lock);
}

/* CORS on any answer to an API read or preflight, errors included (so a
 * page can show why): with cors_origins set, Vary: Origin on all of them,
 * and Access-Control-Allow-Origin for a listed origin only. Without
 * Access-Control-Allow-Credentials a browser sends no cookie along, so a
 * session never reads across origins; a token sent by the page does. */
static void
add_cors(struct MHD_Connection *conn, const struct request_ctx *ctx,
         struct response *resp)
{
	char list[CONFIG_ORIGINS_MAX];
	const char *origin;

	if (!(ctx->is_read || ctx->is_preflight) || !is_api_path(ctx->path))
		return;
	cors_origins(ctx->srv, list);
	if (list[0] == '\0')
		return;
	(void)respond_vary(resp, "Origin");
	origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                     MHD_HTTP_HEADER_ORIGIN);
	if (origin == NULL || !is_allowed_origin(list, origin))
		return;
	(void)respond_header(resp, "Access-Control-Allow-Origin", origin);
	if (!ctx->is_preflight)
		(void)respond_header(resp, "Access-Control-Expose-Headers",
		                     "ETag, Content-Disposition");
}

bool
server_etag_match(const char *list, const char *etag)
{
	const char *p = list, *end;
	size_t n;

	if (etag == NULL)
		return false;
	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	n = strlen(etag);
	while (*p != '\0') {
		p += strspn(p, " \t,");
		if (*p == '*') {
			end = p + 1 + strspn(p + 1, " \t");
			if (*end == ',' || *end == '\0')
				return true;
		} else {
			if (strncmp(p, "W/", 2) == 0)
				p += 2;
			end = *p == '"' ? strchr(p + 1, '"') : NULL;
			if (end != NULL) {
				if ((size_t)(end + 1 - p) == n &&
				    memcmp(p, etag, n) == 0)
					return true;
				p = end + 1 + strspn(end + 1, " \t");
				if (*p == ',' || *p == '\0')
					continue;
			}
		}
		p += strcspn(p, ","); /* a malformed member: the next one */
	}
	return false;
}

struct if_none_match {
	const char *etag;
	bool is_match;
};

/* Every If-None-Match line of the request counts, as if joined. */
static enum MHD_Result
on_if_none_match(void *cls, enum MHD_ValueKind kind, const char *key,
                 const char *value)
{
	struct if_none_match *m = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_IF_NONE_MATCH) == 0 &&
	    value != NULL && server_etag_match(value, m->etag))
		m->is_match = true;
	return MHD_YES;
}

/* Whether the Cache-Control value cc has the directive name. */
static bool
has_directive(const char *cc, const char *name)
{
	size_t n = strlen(name), len;
	const char *p;

	for (p = cc; *p != '\0'; p += len) {
		p += strspn(p, " \t,");
		len = strcspn(p, ",");
		if (strcspn(p, " \t,=") == n && strncasecmp(p, name, n) == 0)
			return true;
	}
	return false;
}

/* Cache-Control of a read: "public" for the public, "private" for a
 * reader with a token or a session (SPEC §6), whatever the handler said;
 * the handler's other directives stay. Without any: the public reuses an
 * answer PUBLIC_MAX_AGE_S, others revalidate every time. */
static void
set_cache_control(struct response *resp, bool is_public)
{
	const char *cc = respond_header_get(resp, "Cache-Control"), *p;
	const char *audience = is_public ? "public" : "private";
	char value[RESPONSE_HEADER_VALUE_MAX];
	size_t len, n, name_len;

	if (cc == NULL) {
		if (is_public)
			snprintf(value, sizeof(value), "public, max-age=%d",
			         PUBLIC_MAX_AGE_S);
		else
			snprintf(value, sizeof(value), "private, no-cache");
		(void)respond_header(resp, "Cache-Control", value);
		return;
	}
	len = (size_t)snprintf(value, sizeof(value), "%s", audience);
	for (p = cc; *p != '\0'; p += n) {
		p += strspn(p, " \t,");
		n = strcspn(p, ",");
		name_len = strcspn(p, " \t,=");
		if (n == 0 ||
		    (name_len == 6 && strncasecmp(p, "public", 6) == 0) ||
		    (name_len == 7 && strncasecmp(p, "private", 7) == 0))
			continue;
		if (len + 2 + n >= sizeof(value))
			break;
		len += (size_t)snprintf(value + len, sizeof(value) - len,
		                        ", %.*s", (int)n, p);
		while (value[len - 1] == ' ' || value[len - 1] == '\t')
			value[--len] = '\0';
	}
	(void)respond_header(resp, "Cache-Control", value);
}

/* The 304 for resp: of its headers those a cache refreshes its stored
 * answer with (RFC 9110 §15.4.5; CORS comes later). The body stays in the
 * response only for libmicrohttpd to state its length, as RFC 9110 §8.6
 * allows, rather than a "Content-Length: 0" a cache could take for the
 * stored answer's; a 304 sends no body. */
static void
make_not_modified(struct response *resp)
{
	static const char *const kept[] = { "ETag", "Cache-Control", "Vary",
		                            "Expires", "Content-Location" };
	struct response nm;
	size_t i, k;

	response_init(&nm);
	nm.status = 304;
	nm.body = resp->body;
	nm.body_len = resp->body_len;
	resp->body = NULL;
	for (i = 0; i < resp->n_headers; i++)
		for (k = 0; k < sizeof(kept) / sizeof(kept[0]); k++)
			if (strcasecmp(resp->headers[i].name, kept[k]) == 0)
				(void)respond_header(&nm, resp->headers[i].name,
				                     resp->headers[i].value);
	response_reset(resp);
	*resp = nm;
}

/* What HTTP caching needs on a read answered 200 (SPEC §6): an ETag (the
 * handler's, else a hash of the bytes), Cache-Control for this reader,
 * Vary on what tells readers apart, and 304 for an If-None-Match that
 * names the ETag. The handler has run either way: a 304 saves the
 * transfer. Answers marked no-store (metrics, health) are about the
 * moment and left alone. */
static void
apply_caching(struct MHD_Connection *conn, const struct request_ctx *ctx,
              struct response *resp)
{
	const char *cc = respond_header_get(resp, "Cache-Control");
	bool is_immutable = cc != NULL && has_directive(cc, "immutable");
	struct if_none_match m = { NULL, false };

	if (!ctx->is_read || resp->status != 200 ||
	    (cc != NULL && has_directive(cc, "no-store")))
		return;
	if (respond_header_get(resp, "ETag") == NULL)
		respond_etag_content(resp);
	set_cache_control(resp, ctx->who.role == ROLE_PUBLIC &&
	                            ctx->who.token_id == 0);
	/* a token or a session may change the bytes; an immutable asset's
	 * never change */
	if (!is_immutable) {
		(void)respond_vary(resp, "Authorization");
		(void)respond_vary(resp, "Cookie");
	}
	m.etag = respond_header_get(resp, "ETag");
	MHD_get_connection_values(conn, MHD_HEADER_KIND, on_if_none_match, &m);
	if (m.is_match)
		make_not_modified(resp);
}

/* Queues resp, counting it under route_slot. */
static enum MHD_Result
send_response(struct MHD_Connection *conn, struct request_ctx *ctx,
              size_t route_slot, struct response *resp)
{
	struct server *srv = ctx->srv;
	struct MHD_Response *r;
	enum MHD_Result ret;
	int status;

	if (resp->status < 100 || resp->status > 599)
		respond_error(resp, 500, "internal error: no answer");
	status = resp->status;
	count_request(srv, route_slot, status);
	ctx->state = CTX_DONE;
	add_cors(conn, ctx, resp);
	r = respond_to_mhd(resp);
	if (r == NULL)
		return MHD_NO;
	/* While draining, no connection is kept for a next request. */
	if (atomic_load(&srv->is_stopping))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(conn, (unsigned int)status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Answers with an error decided before any handler ran. */
static enum MHD_Result
send_error(struct MHD_Connection *conn, struct request_ctx *ctx, int status,
           const char *msg)
{
	struct response resp;

	response_init(&resp);
	respond_error(&resp, status, "%s", msg);
	if (status == 405 && is_api_path(ctx->path) &&
	    strstr(ctx->match.allow, "GET") != NULL) {
		char allow[sizeof(ctx->match.allow) + 16];

		snprintf(allow, sizeof(allow), "%s, OPTIONS", ctx->match.allow);
		respond_header(&resp, "Allow", allow);
	} else if (status == 405) {
		respond_header(&resp, "Allow", ctx->match.allow);
	}
	if (status == 401)
		respond_header(&resp, "WWW-Authenticate", "Bearer");
	/* a refused submission is audited */
	if (ctx->slot < ctx->srv->n_routes)
		auth_refused(ctx->srv->app, &ctx->srv->routes[ctx->match.index],
		             &ctx->who, ctx->remote_addr, status, msg);
	return send_response(conn, ctx, ctx->slot, &resp);
}

static enum MHD_Result
send_too_large(struct MHD_Connection *conn, struct request_ctx *ctx)
{
	char msg[96];

	buf_reset(&ctx->body);
	snprintf(msg, sizeof(msg), "body too large (at most %zu bytes)",
	         ctx->srv->max_body_bytes);
	return send_error(conn, ctx, 413, msg);
}

static void
set_error(struct request_ctx *ctx, int status, const char *msg)
{
	ctx->error_status = status;
	snprintf(ctx->error_msg, sizeof(ctx->error_msg), "%s", msg);
}

/* Decodes the raw URI and matches it: fills ctx->match and ctx->slot, or
 * sets the error to answer. */
static void
route_request(struct request_ctx *ctx, const char *method)
{
	struct server *srv = ctx->srv;
	const char *q = strchr(ctx->uri, '?');
	size_t path_len = q != NULL ? (size_t)(q - ctx->uri) : strlen(ctx->uri);
	struct error err = { 0 };

	ctx->slot = srv->n_routes;
	if (query_path_decode(ctx->uri, path_len, ctx->path, sizeof(ctx->path),
	                      &err) < 0) {
		set_error(ctx, 400, err.msg);
		return;
	}
	switch (routes_match_in(srv->routes, srv->n_routes, method, ctx->path,
	                        &ctx->match)) {
	case ROUTE_FOUND:
		break;
	case ROUTE_NOT_FOUND:
		set_error(ctx, 404, "not found");
		return;
	case ROUTE_BAD_METHOD:
		set_error(ctx, 405, "method not allowed");
		return;
	default:
		set_error(ctx, 400, "forbidden path");
		return;
	}
	ctx->slot = srv->slot_of_route[ctx->match.index];
	ctx->accepts_body = srv->routes[ctx->match.index].accepts_body;
	if (q != NULL &&
	    query_parse(q + 1, strlen(q + 1), &ctx->query, &err) < 0)
		set_error(ctx, 400, err.msg);
}

/* OPTIONS on a path the API reads (a route answers GET there): a CORS
 * preflight, to be answered by send_preflight instead of 405. */
static void
route_preflight(struct request_ctx *ctx)
{
	struct server *srv = ctx->srv;
	struct route_match m;

	if (ctx->error_status != 405 || !is_api_path(ctx->path) ||
	    routes_match_in(srv->routes, srv->n_routes, "GET", ctx->path, &m) !=
	        ROUTE_FOUND)
		return;
	ctx->match = m;
	ctx->slot = srv->slot_of_route[m.index];
	ctx->error_status = 0;
	ctx->is_preflight = true;
}

/* A browser asks before a read from another origin that carries a token
 * (or other headers of its own), without credentials, so no token is
 * asked for here. A listed origin gets 204 and what it may send; any
 * other 403, so that the refusal shows in the browser's console and in
 * the request counters; an OPTIONS without Origin (no browser's) gets 204
 * with Allow. */
static enum MHD_Result
send_preflight(struct MHD_Connection *conn, struct request_ctx *ctx)
{
	const char *origin = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
	char list[CONFIG_ORIGINS_MAX], max_age[16];
	struct response resp;

	response_init(&resp);
	cors_origins(ctx->srv, list);
	if (origin != NULL && !is_allowed_origin(list, origin)) {
		respond_error(&resp, 403,
		              "origin %.100s may not read this API from a "
		              "browser ([server] cors_origins)",
		              origin);
	} else {
		resp.status = 204;
		if (origin != NULL) {
			snprintf(max_age, sizeof(max_age), "%d",
			         PREFLIGHT_MAX_AGE_S);
			respond_header(&resp, "Access-Control-Allow-Methods",
			               "GET, HEAD");
			respond_header(&resp, "Access-Control-Allow-Headers",
			               "Authorization, If-None-Match");
			respond_header(&resp, "Access-Control-Max-Age",
			               max_age);
		}
	}
	respond_header(&resp, "Allow", "GET, HEAD, OPTIONS");
	return send_response(conn, ctx, ctx->slot, &resp);
}

/* Who is asking and whether they may: before any body is read. */
static void
authorize(struct MHD_Connection *conn, struct request_ctx *ctx)
{
	struct server *srv = ctx->srv;
	struct auth_input in;
	int status;

	if (ctx->error_status != 0 || ctx->slot >= srv->n_routes ||
	    ctx->is_preflight)
		return;
	in.authorization = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	/* browsers send one Cookie line (RFC 6265 §5.4) */
	in.cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                        MHD_HTTP_HEADER_COOKIE);
	in.csrf = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                      SESSION_CSRF_HEADER);
	in.remote = ctx->remote_addr;
	/* only the submissions route knows a dry run */
	in.is_check =
	    srv->routes[ctx->match.index].handler == api_submissions_post &&
	    api_submit_dry_run(query_get(&ctx->query, "dry_run")) == 1;
	status = auth_request(
	    srv->auth, srv->app, &srv->routes[ctx->match.index], &in, &ctx->who,
	    &ctx->session_id, ctx->error_msg, sizeof(ctx->error_msg));
	if (status != 0)
		ctx->error_status = status;
}

/* Whether the request announces a body, and whether its declared length
 * already passes max. A malformed length is libmicrohttpd's to refuse. */
static bool
has_body(struct MHD_Connection *conn, size_t max, bool *out_too_large)
{
	const char *cl = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	*out_too_large = false;
	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                MHD_HTTP_HEADER_TRANSFER_ENCODING) !=
	    NULL)
		return true;
	if (cl == NULL)
		return false;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (end == cl || *end != '\0')
		return false;
	*out_too_large = errno == ERANGE || n > max;
	return n > 0;
}

/* Fills req for ctx's handler; its strings are libmicrohttpd's and ctx's,
 * valid until the request ends (also while the connection is
 * suspended). */
static void
prepare_request(struct MHD_Connection *conn, struct request_ctx *ctx,
                const char *method, struct request *out)
{
	struct server *srv = ctx->srv;
	struct request req;

	memset(&req, 0, sizeof(req));
	req.app = srv->app;
	req.server = srv;
	req.method = method;
	req.path = ctx->path;
	req.query = &ctx->query;
	memcpy(req.capture_names, ctx->match.capture_names,
	       sizeof(req.capture_names));
	memcpy(req.captures, ctx->match.captures, sizeof(req.captures));
	req.n_captures = ctx->match.n_captures;
	req.authorization = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	req.cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                         MHD_HTTP_HEADER_COOKIE);
	req.csrf = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                       SESSION_CSRF_HEADER);
	req.fetch_site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                             "Sec-Fetch-Site");
	req.accept_language = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
	req.content_type = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req.if_none_match = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	req.origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                         MHD_HTTP_HEADER_ORIGIN);
	req.remote_addr = ctx->remote_addr;
	req.who = ctx->who;
	req.session_id = ctx->session_id;
	req.is_tls = srv->tls.key != NULL;
	req.auth = srv->auth;
	req.body = ctx->body.data != NULL ? ctx->body.data : "";
	req.body_len = ctx->body.len;
	*out = req;
}

/* A slow route's handler, on a worker: the connection is suspended, so
 * nothing else touches it or ctx until the resume. */
static void
run_slow(struct request_ctx *ctx)
{
	const struct route *route = &ctx->srv->routes[ctx->match.index];

	/* its client was told nothing yet: a turn come too late is a 503 it
	 * may retry, not work done for a client likely gone */
	if (monotonic_ms() - ctx->queued_ms > SLOW_WAIT_MS)
		gate_respond_busy(&ctx->resp, SLOW_RETRY_AFTER_S,
		                  "the queue of slow requests");
	else
		route->handler(&ctx->req, &ctx->resp);
	apply_caching(ctx->conn, ctx, &ctx->resp);
	atomic_store(&ctx->is_ready, true);
	MHD_resume_connection(ctx->conn);
}

static void *
worker_main(void *arg)
{
	struct server *srv = arg;
	struct request_ctx *ctx;

	pthread_mutex_lock(&srv->job_lock);
	for (;;) {
		while (srv->jobs_head == NULL && !srv->is_job_stopping)
			pthread_cond_wait(&srv->job_ready, &srv->job_lock);
		ctx = srv->jobs_head;
		if (ctx == NULL)
			break; /* stopping, and every job done */
		srv->jobs_head = ctx->next_job;
		if (srv->jobs_head == NULL)
			srv->jobs_tail = NULL;
		srv->n_jobs--;
		srv->n_running++;
		pthread_mutex_unlock(&srv->job_lock);
		run_slow(ctx);
		pthread_mutex_lock(&srv->job_lock);
		srv->n_running--;
	}
	pthread_mutex_unlock(&srv->job_lock);
	return NULL;
}

enum queued { QUEUED, QUEUE_FULL, QUEUE_STOPPED };

/* Hands a slow route's request to the workers, the connection suspended
 * until its answer is ready: QUEUED; QUEUE_FULL if as many wait as the
 * workers may take in SLOW_WAIT_MS (the caller answers 503);
 * QUEUE_STOPPED once the workers stop (server_stop), and the caller runs
 * it here.
 *
 * Full counts every job not done, waiting or running, against the
 * workers and their queue together: a job a worker is about to take
 * (signalled, not yet scheduled on a busy machine) is still in n_jobs,
 * and counting n_jobs alone against the queue would refuse a request
 * while a worker is idle, by how fast the scheduler runs that worker. */
static enum queued
queue_slow(struct MHD_Connection *conn, struct request_ctx *ctx)
{
	struct server *srv = ctx->srv;
	enum queued rc = QUEUE_STOPPED;

	pthread_mutex_lock(&srv->job_lock);
	if (!srv->is_job_stopping &&
	    srv->n_jobs + srv->n_running >=
	        srv->n_workers + server_slow_queue_max(srv)) {
		rc = QUEUE_FULL;
	} else if (!srv->is_job_stopping) {
		ctx->queued_ms = monotonic_ms();
		ctx->conn = conn;
		ctx->state = CTX_SLOW;
		ctx->next_job = NULL;
		/* before the job is seen: a resume must follow the suspend */
		MHD_suspend_connection(conn);
		if (srv->jobs_tail != NULL)
			srv->jobs_tail->next_job = ctx;
		else
			srv->jobs_head = ctx;
		srv->jobs_tail = ctx;
		srv->n_jobs++;
		pthread_cond_signal(&srv->job_ready);
		rc = QUEUED;
	}
	pthread_mutex_unlock(&srv->job_lock);
	return rc;
}

static enum MHD_Result
run_handler(struct MHD_Connection *conn, struct request_ctx *ctx,
            const char *method)
{
	struct server *srv = ctx->srv;
	const struct route *route = &srv->routes[ctx->match.index];

	prepare_request(conn, ctx, method, &ctx->req);
	ctx->req.may_defer = route->is_slow;
	route->handler(&ctx->req, &ctx->resp);
	if (ctx->resp.is_deferred) {
		response_reset(&ctx->resp);
		ctx->req.may_defer = false;
		switch (queue_slow(conn, ctx)) {
		case QUEUED:
			return MHD_YES;
		case QUEUE_FULL:
			gate_respond_busy(&ctx->resp, SLOW_RETRY_AFTER_S,
			                  "the queue of slow requests");
			break;
		case QUEUE_STOPPED:
			route->handler(&ctx->req, &ctx->resp);
			break;
		}
	}
	apply_caching(conn, ctx, &ctx->resp);
	return send_response(conn, ctx, ctx->slot, &ctx->resp);
}

/*
 * libmicrohttpd calls this once when the headers are in, once per piece of
 * body, and once more when the request is complete (*upload_data_size 0).
 * The answer waits for that last call whenever it can: one queued earlier
 * makes libmicrohttpd close the connection after it, which is right for a
 * refused body and wasteful for a plain GET. libmicrohttpd 0.9.75 also
 * takes no answer in the middle of a body (MHD_queue_response refuses
 * while the body is being read), so a body found too large on the way is
 * dropped unbuffered and answered 413 at its end, or cut off if it goes
 * on past DISCARD_FACTOR times the limit.
 */
/* Whether more than max_connections are open (/healthz is always
 * answered: it is how operators see that the daemon lives). */
static bool
is_overloaded(struct MHD_Connection *conn, const struct request_ctx *ctx)
{
	const struct server *srv = ctx->srv;

	(void)conn;
	if (ctx->slot < srv->n_routes &&
	    srv->routes[ctx->match.index].access == ROUTE_OPEN)
		return false;
	/* our count: libmicrohttpd's is per pool thread */
	return atomic_load(&srv->n_conns) > srv->max_connections;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **req_cls)
{
	struct request_ctx *ctx = *req_cls;
	size_t max;
	bool is_declared_too_large;

	(void)cls;
	(void)url;
	(void)version;
	if (ctx == NULL) /* uri_logged runs first for every request */
		return MHD_NO;
	max = ctx->srv->max_body_bytes;
	switch (ctx->state) {
	case CTX_NEW:
		if (conn_of(conn) != NULL) /* the headers are in */
			atomic_store(&conn_of(conn)->is_waiting, false);
		route_request(ctx, method);
		ctx->is_read = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		               strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
		if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0)
			route_preflight(ctx);
		authorize(conn, ctx);
		if (ctx->error_status == 0 && is_overloaded(conn, ctx))
			set_error(ctx, 503, "the server is busy; try again");
		ctx->state = CTX_BODY;
		if (!has_body(conn, max, &is_declared_too_large))
			return MHD_YES;
		/* Refused before a byte of the body is read (so no "100
		 * Continue" either). */
		if (ctx->error_status != 0)
			return send_error(conn, ctx, ctx->error_status,
			                  ctx->error_msg);
		if (is_declared_too_large)
			return send_too_large(conn, ctx);
		return MHD_YES;
	case CTX_BODY:
		if (*upload_data_size == 0) {
			if (ctx->error_status != 0)
				return send_error(conn, ctx, ctx->error_status,
				                  ctx->error_msg);
			if (ctx->is_too_large)
				return send_too_large(conn, ctx);
			if (ctx->is_preflight)
				return send_preflight(conn, ctx);
			return run_handler(conn, ctx, method);
		}
		if (ctx->accepts_body && !ctx->is_too_large &&
		    buf_append(&ctx->body, upload_data, *upload_data_size) ==
		        0) {
			*upload_data_size = 0;
			return MHD_YES;
		}
		/* A body the route does not take is ignored, as HTTP says
		 * for GET; one past the limit is refused. */
		if (ctx->accepts_body && !ctx->is_too_large) {
			ctx->is_too_large = true;
			buf_reset(&ctx->body);
		}
		ctx->n_discarded += *upload_data_size;
		*upload_data_size = 0;
		return ctx->n_discarded / DISCARD_FACTOR > max ? MHD_NO
		                                               : MHD_YES;
	case CTX_SLOW:
		/* called again after the worker's resume */
		if (!atomic_load(&ctx->is_ready))
			return MHD_YES;
		return send_response(conn, ctx, ctx->slot, &ctx->resp);
	case CTX_DONE:
		/* Answered early; what is left of a body is not ours. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	return MHD_NO;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* libmicrohttpd's own messages, as one logfmt line each, within the
 * budget of MHD_LOG_BURST lines per window. */
static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct server *srv = cls;
	char text[512], quoted[600];
	struct timespec now;
	unsigned long n_dropped = 0;
	bool is_kept;
	size_t len;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&srv->log_lock);
	if (now.tv_sec - srv->log_window >= MHD_LOG_WINDOW_S) {
		n_dropped = srv->n_log_dropped;
		srv->n_log_dropped = 0;
		srv->n_logged = 0;
		srv->log_window = now.tv_sec;
	}
	is_kept = srv->n_logged < MHD_LOG_BURST;
	if (is_kept)
		srv->n_logged++;
	else
		srv->n_log_dropped++;
	pthread_mutex_unlock(&srv->log_lock);
	if (n_dropped > 0)
		log_warn("libmicrohttpd messages suppressed", "n=%lu",
		         n_dropped);
	if (!is_kept)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	log_warn("libmicrohttpd", "detail=%s",
	         log_quote(text, quoted, sizeof(quoted)));
}

/* Reads a PEM file whole into *out (NUL-terminated, heap). */
static int
read_pem(const char *path, char **out, size_t *out_len, struct error *err)
{
	struct buf b;
	char chunk[4096];
	ssize_t n;
	int fd, rc = -1;

	buf_init(&b, PEM_MAX_BYTES);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, 0, "%s: %s", path, strerror(errno));
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, 0, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (buf_append(&b, chunk, (size_t)n) != 0) {
			error_set(err, 0, "%s: larger than %d bytes", path,
			          PEM_MAX_BYTES);
			goto out;
		}
	}
	if (b.len == 0) {
		error_set(err, 0, "%s: empty file", path);
		goto out;
	}
	*out = buf_detach(&b, out_len);
	rc = 0;
out:
	explicit_bzero(chunk, sizeof(chunk));
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_reset(&b);
	close(fd);
	return rc;
}

static void
tls_reset(struct tls *t)
{
	if (t->key != NULL)
		explicit_bzero(t->key, t->key_len);
	free(t->key);
	free(t->cert);
	memset(t, 0, sizeof(*t));
}

/* Loads cfg's certificate and key, if any; t stays empty without TLS. */
static int
tls_load(struct tls *t, const struct config *cfg, struct error *err)
{
	size_t cert_len;

	memset(t, 0, sizeof(*t));
	if (cfg->tls_cert_path[0] == '\0' && cfg->tls_key_path[0] == '\0')
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return error_set(err, 0,
		                 "[server] tls_cert and tls_key are set, but "
		                 "this libmicrohttpd was built without TLS "
		                 "(GnuTLS) support");
	if (read_pem(cfg->tls_cert_path, &t->cert, &cert_len, err) < 0 ||
	    read_pem(cfg->tls_key_path, &t->key, &t->key_len, err) < 0) {
		tls_reset(t);
		return -1;
	}
	return 0;
}

/* TLS 1.2 and 1.3 only: 1.0 and 1.1 are deprecated (RFC 8996), and
 * GnuTLS's NORMAL still offers them. */
static char tls_priorities[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";

/* The options that turn a daemon into an HTTPS one, into items (room for
 * 3); returns how many. */
static size_t
tls_options(const struct tls *t, struct MHD_OptionItem *items)
{
	if (t->key == NULL)
		return 0;
	items[0] =
	    (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, t->key };
	items[1] =
	    (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert };
	items[2] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
		                            tls_priorities };
	return 3;
}

static void capture_logger(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Keeps libmicrohttpd's first message: the one that says what failed. */
static void
capture_logger(void *cls, const char *fmt, va_list ap)
{
	char *text = cls; /* 256 bytes, "" until the first message */
	size_t len;

	if (text[0] != '\0')
		return;
	vsnprintf(text, 256, fmt, ap);
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
}

static enum MHD_Result
refuse_all(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **req_cls)
{
	(void)cls;
	(void)conn;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	return MHD_NO;
}

int
server_check(const struct config *cfg, struct error *err)
{
	struct tls t;
	struct MHD_OptionItem items[4];
	struct MHD_Daemon *d;
	char detail[256] = "";
	size_t n;

	if (err != NULL)
		snprintf(err->file, sizeof(err->file), "%.*s",
		         (int)sizeof(err->file) - 1, cfg->path);
	if (tls_load(&t, cfg, err) < 0)
		return -1;
	if (t.key == NULL)
		return 0;
	n = tls_options(&t, items);
	items[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* No socket and no thread: only the certificate and key are set up,
	 * as the real start will. */
	d = MHD_start_daemon(
	    MHD_USE_NO_LISTEN_SOCKET | MHD_USE_TLS | MHD_USE_ERROR_LOG, 0, NULL,
	    NULL, refuse_all, NULL, MHD_OPTION_EXTERNAL_LOGGER, capture_logger,
	    detail, MHD_OPTION_ARRAY, items, MHD_OPTION_END);
	if (d != NULL)
		MHD_stop_daemon(d);
	tls_reset(&t);
	if (d == NULL)
		return error_set(err, 0,
		                 "[server] tls_cert, tls_key: GnuTLS refused "
		                 "the certificate or key (%s)",
		                 detail[0] != '\0' ? detail : "no detail");
	return 0;
}

/* Threads for libmicrohttpd's pool, and as many workers: one a core,
 * within [2, MAX_THREADS]. */
static size_t
n_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 2 ? 2 : n > MAX_THREADS ? MAX_THREADS : (size_t)n;
}

/* max_connections as configured, or lower to fit the open-file limit,
 * which is first raised to its hard limit (systemd sets LimitNOFILE). */
static unsigned int
fit_connections(int configured)
{
	unsigned long want = (unsigned long)configured + OVERLOAD_HEADROOM, fit;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return (unsigned int)configured;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		struct rlimit raised = rl;

		raised.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			rl = raised;
	}
	if (rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= (rlim_t)(want + FD_RESERVE))
		return (unsigned int)configured;
	fit = rl.rlim_cur > FD_RESERVE + OVERLOAD_HEADROOM + 1
	          ? (unsigned long)rl.rlim_cur - FD_RESERVE - OVERLOAD_HEADROOM
	          : 1;
	log_warn("max_connections lowered to fit the open-file limit",
	         "max_connections=%d fit=%lu nofile=%llu", configured, fit,
	         (unsigned long long)rl.rlim_cur);
	return (unsigned int)fit;
}

/* Starts libmicrohttpd with flags and an optional address to bind. */
static struct MHD_Daemon *
start_daemon(struct server *srv, const struct config *cfg, unsigned int flags,
             const struct sockaddr *addr)
{
	const unsigned int common = MHD_USE_EPOLL_INTERNAL_THREAD |
	                            MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
	                            MHD_USE_ERROR_LOG;
	struct MHD_OptionItem extra[5];
	size_t n = 0;

	if (addr != NULL)
		extra[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0,
			                              (void *)addr };
	if (srv->tls.key != NULL)
		flags |= MHD_USE_TLS;
	n += tls_options(&srv->tls, extra + n);
	extra[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	/* The logger goes first, or earlier options log to stderr. */
	/* No MHD_OPTION_PER_IP_CONNECTION_LIMIT: accept_policy counts by
	 * address and IPv6 /64. The connection limit is split among the
	 * pool's threads. */
	return MHD_start_daemon(
	    common | flags, (uint16_t)cfg->listen_port, accept_policy, srv,
	    on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, srv,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logged, srv,
	    MHD_OPTION_NOTIFY_COMPLETED, request_done, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_connection, srv,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)n_threads(),
	    MHD_OPTION_CONNECTION_LIMIT,
	    srv->max_connections + OVERLOAD_HEADROOM,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)cfg->connection_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_BYTES,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK_BYTES,
	    MHD_OPTION_ARRAY, extra, MHD_OPTION_END);
}

/* Binds as cfg says; -1 with err when no daemon could start. */
static int
listen_on(struct server *srv, const struct config *cfg, struct error *err)
{
	const char *host = cfg->listen_host;
	struct addrinfo hints, *ai = NULL;
	char port[16];
	int rc;

	if (strcmp(host, "*") == 0) {
		/* Both families on one socket; IPv4 alone where IPv6 is
		 * disabled. */
		srv->daemon = start_daemon(srv, cfg, MHD_USE_DUAL_STACK, NULL);
		if (srv->daemon == NULL)
			srv->daemon = start_daemon(srv, cfg, 0, NULL);
		goto out;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", cfg->listen_port);
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		return error_set(err, 0, "cannot resolve listen address %s: %s",
		                 host, gai_strerror(rc));
	srv->daemon =
	    start_daemon(srv, cfg, ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0,
	                 ai->ai_addr);
	freeaddrinfo(ai);
out:
	if (srv->daemon == NULL)
		return error_set(err, 0, "cannot listen on %s port %d: %s",
		                 host, cfg->listen_port,
		                 errno != 0 ? strerror(errno)
		                            : "unknown error");
	return 0;
}

/* A number that names this run of the daemon among all others on the
 * host: the time it started to the nanosecond, and its process id. */
static unsigned long long
run_id(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((unsigned long long)ts.tv_sec * 1000000000ULL +
	        (unsigned long long)ts.tv_nsec) ^
	       ((unsigned long long)getpid() << 40);
}

/* Starts the workers and the header-deadline sweep; -1 with err. */
static int
start_threads(struct server *srv, struct error *err)
{
	pthread_attr_t attr;
	size_t n = n_threads();
	int rc = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK_BYTES);
	for (srv->n_workers = 0; srv->n_workers < n; srv->n_workers++) {
		rc = pthread_create(&srv->workers[srv->n_workers], &attr,
		                    worker_main, srv);
		if (rc != 0)
			break;
	}
	if (rc == 0) {
		srv->is_sweeping = true;
		rc = pthread_create(&srv->sweeper, NULL, sweep_main, srv);
		if (rc != 0)
			srv->is_sweeping = false;
	}
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return error_set(err, 0,
		                 "cannot start the server's threads: %s",
		                 strerror(rc));
	return 0;
}

/* Stops the workers once every job is done (every suspended connection
 * resumed) and the sweep. Idempotent. */
static void
stop_threads(struct server *srv)
{
	size_t i;
	bool was_sweeping;

	pthread_mutex_lock(&srv->job_lock);
	srv->is_job_stopping = true;
	pthread_cond_broadcast(&srv->job_ready);
	pthread_mutex_unlock(&srv->job_lock);
	for (i = 0; i < srv->n_workers; i++)
		pthread_join(srv->workers[i], NULL);
	srv->n_workers = 0;
	pthread_mutex_lock(&srv->conn_lock);
	was_sweeping = srv->is_sweeping;
	srv->is_sweeping = false;
	pthread_cond_broadcast(&srv->sweep_wake);
	pthread_mutex_unlock(&srv->conn_lock);
	if (was_sweeping)
		pthread_join(srv->sweeper, NULL);
}

/* Frees what start_threads' threads and accept_policy shared. */
static void
free_server_sync(struct server *srv)
{
	struct addr_count *e;
	size_t i;

	for (i = 0; i < srv->n_addr_buckets; i++)
		while ((e = srv->addr_buckets[i]) != NULL) {
			srv->addr_buckets[i] = e->next;
			free(e);
		}
	free(srv->addr_buckets);
	pthread_cond_destroy(&srv->job_ready);
	pthread_mutex_destroy(&srv->job_lock);
	pthread_mutex_destroy(&srv->addr_lock);
	pthread_mutex_destroy(&srv->conn_lock);
	pthread_cond_destroy(&srv->sweep_wake);
}

struct server *
server_start_routes(struct app *app, const struct config *cfg,
                    const struct route *routes, size_t n_routes,
                    struct error *err)
{
	struct server *srv = xcalloc(1, sizeof(*srv));
	const union MHD_DaemonInfo *info;
	pthread_condattr_t attr;
	size_t i, j;

	srv->app = app;
	srv->auth = auth_new();
	srv->routes = routes;
	srv->n_routes = n_routes;
	srv->max_connections = fit_connections(cfg->max_connections);
	srv->per_addr_connections = (unsigned int)cfg->per_ip_connections;
	srv->header_timeout_ms = (long long)cfg->header_timeout_s * 1000;
	for (srv->n_addr_buckets = 64;
	     srv->n_addr_buckets < srv->max_connections + OVERLOAD_HEADROOM;)
		srv->n_addr_buckets *= 2;
	srv->addr_buckets =
	    xcalloc(srv->n_addr_buckets, sizeof(*srv->addr_buckets));
	srv->max_body_bytes =
	    cfg->max_body_bytes > 0 ? (size_t)cfg->max_body_bytes : 0;
	srv->slot_of_route = xcalloc(n_routes + 1, sizeof(size_t));
	for (i = 0; i < n_routes; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(routes[j].pattern, routes[i].pattern) == 0)
				break;
		srv->slot_of_route[i] = j;
	}
	srv->counts =
	    xcalloc((n_routes + 1) * N_STATUS_SLOTS, sizeof(atomic_ulong));
	for (i = 0; i < (n_routes + 1) * N_STATUS_SLOTS; i++)
		atomic_init(&srv->counts[i], 0);
	srv->durations =
	    xcalloc((n_routes + 1) * DURATION_SLOTS, sizeof(atomic_ulong));
	for (i = 0; i < (n_routes + 1) * DURATION_SLOTS; i++)
		atomic_init(&srv->durations[i], 0);
	atomic_init(&srv->in_flight, 0);
	atomic_init(&srv->is_stopping, false);
	pthread_mutex_init(&srv->lock, NULL);
	pthread_mutex_init(&srv->log_lock, NULL);
	srv->log_window = -MHD_LOG_WINDOW_S; /* the first line opens one */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->drained, &attr);
	pthread_cond_init(&srv->sweep_wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&srv->conn_lock, NULL);
	pthread_mutex_init(&srv->addr_lock, NULL);
	pthread_mutex_init(&srv->job_lock, NULL);
	pthread_cond_init(&srv->job_ready, NULL);
	atomic_init(&srv->n_conns, 0);
	atomic_init(&srv->n_header_timeouts, 0);

	if (tls_load(&srv->tls, cfg, err) < 0)
		goto fail;
	if (start_threads(srv, err) < 0)
		goto fail;
	respond_etag_run(run_id());
	errno = 0;
	if (listen_on(srv, cfg, err) < 0)
		goto fail;
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info != NULL ? info->port : cfg->listen_port;
	log_info("listening", "addr=%s port=%d tls=%s", cfg->listen_host,
	         srv->port, srv->tls.key != NULL ? "yes" : "no");
	return srv;
fail:
	stop_threads(srv);
	tls_reset(&srv->tls);
	auth_free(srv->auth);
	free_server_sync(srv);
	pthread_cond_destroy(&srv->drained);
	pthread_mutex_destroy(&srv->log_lock);
	pthread_mutex_destroy(&srv->lock);
	free(srv->durations);
	free(srv->counts);
	free(srv->slot_of_route);
	free(srv);
	return NULL;
}

struct server *
server_start(struct app *app, const struct config *cfg, struct error *err)
{
	return server_start_routes(app, cfg, routes_table, routes_n, err);
}

int
server_port(const struct server *s)
{
	return s->port;
}

void
server_stop(struct server *s, int drain_ms)
{
	struct timespec deadline;
	MHD_socket fd;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	atomic_store(&s->is_stopping, true);
	pthread_mutex_unlock(&s->lock);
	fd = MHD_quiesce_daemon(s->daemon);

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += drain_ms / 1000;
	deadline.tv_nsec += (long)(drain_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	while (atomic_load(&s->in_flight) > 0)
		if (pthread_cond_timedwait(&s->drained, &s->lock, &deadline) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&s->lock);
	if (atomic_load(&s->in_flight) > 0)
		log_warn("stopping with requests in flight", "n=%lu",
		         atomic_load(&s->in_flight));

	/* Slow handlers still running are waited for, and their connections
	 * resumed: libmicrohttpd aborts on a suspended one. Slow requests
	 * after this run inline (queue_slow). */
	stop_threads(s);
	MHD_stop_daemon(s->daemon);
	if (s->n_log_dropped > 0)
		log_warn("libmicrohttpd messages suppressed", "n=%lu",
		         s->n_log_dropped);
	/* After a quiesce the listen socket is ours to close, and only once
	 * the daemon's threads are gone. */
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	tls_reset(&s->tls);
	routes_release();
	auth_free(s->auth);
	free_server_sync(s);
	pthread_cond_destroy(&s->drained);
	pthread_mutex_destroy(&s->log_lock);
	pthread_mutex_destroy(&s->lock);
	free(s->durations);
	free(s->counts);
	free(s->slot_of_route);
	free(s);
}

void
server_each_request_count(const struct server *s, server_count_fn fn, void *ctx)
{
	size_t i, k;
	unsigned long n;

	for (i = 0; i <= s->n_routes; i++) {
		if (i < s->n_routes && s->slot_of_route[i] != i)
			continue;
		for (k = 0; k < N_STATUS_SLOTS; k++) {
			n = atomic_load(&s->counts[i * N_STATUS_SLOTS + k]);
			if (n == 0)
				continue;
			fn(ctx, i < s->n_routes ? s->routes[i].pattern : NULL,
			   k < N_COUNTED ? counted_statuses[k] : 0, n);
		}
	}
}

unsigned long
server_in_flight(const struct server *s)
{
	return atomic_load(&s->in_flight);
}

void
server_each_request_duration(const struct server *s, server_durations_fn fn,
                             void *ctx)
{
	struct server_durations d;
	const atomic_ulong *h;
	unsigned long n;
	size_t i, k;

	for (i = 0; i <= s->n_routes; i++) {
		if (i < s->n_routes && s->slot_of_route[i] != i)
			continue;
		h = &s->durations[i * DURATION_SLOTS];
		d.sum_s = (double)atomic_load(&h[DURATION_SUM]) / 1e6;
		for (n = 0, k = 0; k <= SERVER_N_DURATION_BOUNDS; k++) {
			n += atomic_load(&h[k]);
			d.cumulative[k] = n;
		}
		if (i == s->n_routes && n == 0)
			continue; /* nothing unmatched yet */
		d.route = i < s->n_routes ? s->routes[i].pattern : NULL;
		fn(ctx, &d);
	}
}

const char *
server_library_version(void)
{
	return MHD_get_version();
}

size_t
server_slow_workers(const struct server *s)
{
	return s->n_workers;
}

size_t
server_slow_queue_max(const struct server *s)
{
	return SLOW_QUEUE_PER_WORKER * s->n_workers;
}

size_t
server_slow_waiting(struct server *s)
{
	size_t n;

	pthread_mutex_lock(&s->job_lock);
	n = s->n_jobs;
	pthread_mutex_unlock(&s->job_lock);
	return n;
}
