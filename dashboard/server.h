/*
 * server.h: the dashboard's HTTP server (libmicrohttpd): binds, enforces
 * the connection, size and time limits, turns each request into a struct
 * request for the route table's handler, and counts requests by route and
 * status for /metrics.
 *
 * Event-driven: a few libmicrohttpd threads (epoll) serve every
 * connection, so a slow or idle client costs a file descriptor, not a
 * thread; routes marked is_slow (charts, large exports) run on a small
 * pool of workers with their connection suspended, so they never hold up
 * the others. Limits: max_connections open at once (past it, 503 except
 * /healthz; lowered to fit the open-file limit), per_ip_connections per
 * client address (an IPv6 /64 counts as one address), headers within
 * header_timeout, idle connections closed after connection_timeout. With
 * tls_cert and tls_key the socket speaks HTTPS only.
 *
 * Bodies: only routes with accepts_body get one, of at most max_body bytes
 * (as configured at start). A larger declared Content-Length is answered
 * 413 before a byte is read; a chunked body is dropped, unbuffered, once
 * it passes the limit and answered 413 at its end (libmicrohttpd 0.9.75
 * cannot answer mid-body), and cut off only past 32 times the limit.
 */
#ifndef KUNTAMON_SERVER_H
#define KUNTAMON_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "error.h"

struct app;
struct route;
struct server;

/* Starts serving routes_table on cfg->listen_host:listen_port ("*": all
 * interfaces, a host with ':' is IPv6, port 0: any free port) with cfg's
 * limits, and logs the bound address. app is borrowed for the server's
 * lifetime. NULL with err if it cannot listen. */
struct server *server_start(struct app *app, const struct config *cfg,
                            struct error *err);
/* server_start with another route table (borrowed; tests add routes). */
struct server *server_start_routes(struct app *app, const struct config *cfg,
                                   const struct route *routes, size_t n_routes,
                                   struct error *err);

/* Checks, before anything starts, what only the server can: with
 * tls_cert and tls_key set, that libmicrohttpd has TLS and GnuTLS takes
 * the certificate and key. 0 without TLS; -1 with err (file: cfg->path). */
int server_check(const struct config *cfg, struct error *err);

/* The port actually bound (useful after port 0). */
int server_port(const struct server *s);

/* Stops accepting, lets requests in flight finish for up to drain_ms
 * (answers carry "Connection: close" meanwhile), then closes everything
 * and frees s. A handler still running after the deadline is waited for:
 * handlers must be bounded. NULL is a no-op. */
void server_stop(struct server *s, int drain_ms);

/* Called once per (route pattern, status) with a nonzero count; route is
 * NULL for requests that matched no route, status 0 for a status outside
 * the counted set. libmicrohttpd's own refusals (oversized headers,
 * malformed requests) are not counted. */
typedef void (*server_count_fn)(void *ctx, const char *route, int status,
                                unsigned long n);
/* Reports the request counters. Thread-safe; counts are read one by one,
 * not as an atomic snapshot. */
void server_each_request_count(const struct server *s, server_count_fn fn,
                               void *ctx);
/* Requests received and not yet answered in full. */
unsigned long server_in_flight(const struct server *s);

/* Slow requests (routes with is_slow) the workers run at once, and how
 * many more may wait for them (past that, 503 with Retry-After). */
size_t server_slow_workers(const struct server *s);
size_t server_slow_queue_max(const struct server *s);
/* Slow requests waiting for a worker now. Thread-safe. */
size_t server_slow_waiting(struct server *s);

/* Whether an If-None-Match value names etag: "*", or an entity tag equal
 * to etag by the weak comparison (RFC 9110 §8.8.3.2: "W/" is ignored);
 * malformed members are skipped. Pure. */
bool server_etag_match(const char *if_none_match, const char *etag);

/* The request-duration histogram's upper bounds in microseconds,
 * ascending; a last bucket, +Inf, takes the rest. From a JSON answer
 * (well under 1 ms) to a large export or a chart under load (seconds). */
#define SERVER_N_DURATION_BOUNDS 13
extern const unsigned long server_duration_bounds_us[SERVER_N_DURATION_BOUNDS];

/* The bucket a duration falls in: the first bound it does not exceed, or
 * SERVER_N_DURATION_BOUNDS (+Inf). Pure. */
size_t server_duration_bucket(unsigned long long duration_us);

/* One route pattern's request durations: from the request line received
 * to the answer sent in full (or the connection given up after it was
 * queued). The requests counted are those kuntamon_http_requests_total
 * counts: answered ones. */
struct server_durations {
	const char *route; /* NULL: requests that matched no route */
	/* [i]: requests that took at most server_duration_bounds_us[i];
	 * [SERVER_N_DURATION_BOUNDS]: all of them */
	unsigned long cumulative[SERVER_N_DURATION_BOUNDS + 1];
	double sum_s;
};
typedef void (*server_durations_fn)(void *ctx,
                                    const struct server_durations *d);
/* Reports the histogram of every route pattern, requests or not, then of
 * unmatched requests if there were any. Thread-safe and lock-free; the buckets are read one
 * by one, so a scrape may see a request in cumulative and not yet in
 * sum_s, never a later bucket smaller than an earlier one. */
void server_each_request_duration(const struct server *s,
                                  server_durations_fn fn, void *ctx);

/* The key under which per_ip_connections counts a client, into out
 * (SERVER_ADDR_KEY_MAX bytes): an IPv4 address as itself ("192.0.2.7",
 * also when it comes IPv4-mapped, "::ffff:192.0.2.7"), an IPv6 address by
 * its /64 ("2001:db8:1:2::/64"): one host is handed a whole /64, so its
 * addresses are one client. -1 for another family or a short addr. Pure. */
#define SERVER_ADDR_KEY_MAX 48
int server_address_key(const struct sockaddr *addr, size_t addr_len, char *out);

/* Connections shut down for not sending their headers within
 * header_timeout. */
unsigned long server_header_timeouts(const struct server *s);

/* libmicrohttpd's version, as it reports it ("0.9.75"). */
const char *server_library_version(void);

#endif
