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
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "app.h"
#include "buf.h"
#include "log.h"
#include "query.h"
#include "respond.h"
#include "routes.h"
#include "server.h"
#include "xmalloc.h"

/* Headers and request line share this; 64 KiB refuses oversized ones. */
#define CONNECTION_MEMORY_BYTES (64 * 1024)
/* Chart rendering (librrd -> cairo/pango) runs on these stacks; 1 MiB
 * leaves room, and 256 connections reserve address space, not memory. */
#define THREAD_STACK_BYTES (1024 * 1024)

/* The statuses counted one by one; anything else counts as "other". */
static const int counted_statuses[] = { 200, 202, 204, 304, 400, 401, 403,
	                                404, 405, 413, 429, 500, 503 };
#define N_COUNTED (sizeof(counted_statuses) / sizeof(counted_statuses[0]))
#define N_STATUS_SLOTS (N_COUNTED + 1)

struct server {
	struct MHD_Daemon *daemon;
	struct app *app;
	const struct route *routes;
	size_t n_routes;
	size_t *slot_of_route; /* first route with the same pattern */
	atomic_ulong *counts;  /* [(n_routes + 1) * N_STATUS_SLOTS] */
	size_t max_body_bytes;
	int port;

	pthread_mutex_t lock; /* guards in_flight's zero crossing, stopping */
	pthread_cond_t drained;
	atomic_ulong in_flight;
	atomic_bool is_stopping;
};

enum ctx_state {
	CTX_NEW,  /* headers read, nothing decided */
	CTX_BODY, /* routed; reading the body, if any, until the end */
	CTX_DONE, /* answer queued */
};

struct request_ctx {
	struct server *srv;
	enum ctx_state state;
	char *uri; /* raw, as received */
	char remote_addr[64];
	char path[QUERY_PATH_MAX + 1];
	struct query query;
	struct route_match match;
	size_t slot;      /* counter slot: the route's pattern, or unmatched */
	int error_status; /* 0, or the answer decided before any handler */
	char error_msg[256];
	bool accepts_body;
	struct buf body;
	bool is_too_large;  /* the body passed max_body: being discarded */
	size_t n_discarded; /* bytes of a body dropped, not kept anywhere */
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

static void *
uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct server *srv = cls;
	struct request_ctx *ctx = xcalloc(1, sizeof(*ctx));
	const union MHD_ConnectionInfo *ci;

	ctx->srv = srv;
	ctx->state = CTX_NEW;
	ctx->uri = xstrdup(uri);
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

	(void)conn;
	(void)toe;
	if (ctx == NULL)
		return;
	*req_cls = NULL;
	query_reset(&ctx->query);
	buf_reset(&ctx->body);
	free(ctx->uri);
	free(ctx);
	pthread_mutex_lock(&srv->lock);
	if (atomic_fetch_sub(&srv->in_flight, 1) == 1 &&
	    atomic_load(&srv->is_stopping))
		pthread_cond_broadcast(&srv->drained);
	pthread_mutex_unlock(&srv->lock);
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
	if (status == 405)
		respond_header(&resp, "Allow", ctx->match.allow);
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

static enum MHD_Result
run_handler(struct MHD_Connection *conn, struct request_ctx *ctx,
            const char *method)
{
	struct server *srv = ctx->srv;
	const struct route *route = &srv->routes[ctx->match.index];
	struct request req;
	struct response resp;

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
	req.accept_language = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
	req.content_type = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req.remote_addr = ctx->remote_addr;
	req.body = ctx->body.data != NULL ? ctx->body.data : "";
	req.body_len = ctx->body.len;
	response_init(&resp);
	route->handler(&req, &resp);
	return send_response(conn, ctx, ctx->slot, &resp);
}

/*
 * libmicrohttpd calls this once when the headers are in, once per piece of
 * body, and once more when the request is complete (*upload_data_size 0).
 * The answer waits for that last call whenever it can: one queued earlier
 * makes libmicrohttpd close the connection after it, which is right for a
 * refused body and wasteful for a plain GET. libmicrohttpd 0.9.75 also
 * takes no answer in the middle of a body, so a body found too large on
 * the way is dropped unbuffered and answered 413 at its end, or cut off
 * if it goes on past twice the limit.
 */
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
		route_request(ctx, method);
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
		return ctx->n_discarded > max ? MHD_NO : MHD_YES;
	case CTX_DONE:
		/* Answered early; what is left of a body is not ours. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	return MHD_NO;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* libmicrohttpd's own messages, as one logfmt line each. */
static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char text[512], quoted[600];
	size_t len;

	(void)cls;
	vsnprintf(text, sizeof(text), fmt, ap);
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	log_warn("libmicrohttpd", "detail=%s",
	         log_quote(text, quoted, sizeof(quoted)));
}

/* Starts libmicrohttpd with flags and an optional address to bind. */
static struct MHD_Daemon *
start_daemon(struct server *srv, const struct config *cfg, unsigned int flags,
             const struct sockaddr *addr)
{
	const unsigned int common =
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem sock[] = {
		{ addr != NULL ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, 0,
		  (void *)addr },
		{ MHD_OPTION_END, 0, NULL },
	};

	/* The logger goes first, or earlier options log to stderr. */
	return MHD_start_daemon(
	    common | flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request,
	    srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, srv,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logged, srv,
	    MHD_OPTION_NOTIFY_COMPLETED, request_done, srv,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)cfg->per_ip_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)cfg->connection_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_BYTES,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK_BYTES,
	    MHD_OPTION_ARRAY, sock, MHD_OPTION_END);
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
	srv->routes = routes;
	srv->n_routes = n_routes;
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
	atomic_init(&srv->in_flight, 0);
	atomic_init(&srv->is_stopping, false);
	pthread_mutex_init(&srv->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->drained, &attr);
	pthread_condattr_destroy(&attr);

	errno = 0;
	if (listen_on(srv, cfg, err) < 0)
		goto fail;
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info != NULL ? info->port : cfg->listen_port;
	log_info("listening", "addr=%s port=%d", cfg->listen_host, srv->port);
	return srv;
fail:
	pthread_cond_destroy(&srv->drained);
	pthread_mutex_destroy(&srv->lock);
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

	MHD_stop_daemon(s->daemon);
	/* After a quiesce the listen socket is ours to close, and only once
	 * the daemon's threads are gone. */
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	routes_release();
	pthread_cond_destroy(&s->drained);
	pthread_mutex_destroy(&s->lock);
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
