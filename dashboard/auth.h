/*
 * auth.h: who is asking and what they may do (SPEC §7), for the server:
 * the Authorization header -> a principal, the route table's access rule,
 * a limit on failed token attempts per client address (brute force) and
 * on writes per token, and the audit log of submissions.
 *
 * Reads, as SPEC §7 means them: with public = yes anyone reads, and only
 * a municipal token's own municipality (or, for a ministry token,
 * everything) comes unsuppressed; with public = no a read needs a valid
 * token, and a municipal token then reads other areas as the public would
 * have with public = yes (suppressed), never unsuppressed. Which figures
 * are suppressed is the handlers' business (access_is_unsuppressed).
 */
#ifndef KUNTAMON_AUTH_H
#define KUNTAMON_AUTH_H

#include <stddef.h>

#include "access.h"

struct app;
struct route;
struct auth;

/* Failed token attempts one client address (an IPv6 /64) may make at
 * once, and then per minute; past them any request of that address that
 * carries a token is answered 429 without the token being looked at. */
#define AUTH_FAIL_BURST 10
#define AUTH_FAIL_PER_MINUTE 10
/* Client addresses and tokens tracked at once (see ratelimit.c). */
#define AUTH_LIMIT_KEYS 4096

struct auth *auth_new(void);
/* NULL is a no-op. */
void auth_free(struct auth *a);

/* Decides whether a request for route (with the Authorization header
 * authorization, NULL if none, from client address remote) may go on:
 * 0 with *out_who filled (ROLE_PUBLIC without a token), or the HTTP
 * status to answer (401, 429, 503) with msg. Route ROUTE_OPEN ignores any
 * token. With a token, a route that takes a body (a write) counts
 * against the token's [server] submit_rate. Thread-safe. */
int auth_request(struct auth *a, struct app *app, const struct route *route,
                 const char *authorization, const char *remote,
                 struct principal *out_who, char *msg, size_t msg_size);

/* Notes a request to route answered status without its handler running
 * (refused token, body too large, ...; 0: never answered), as auth_audit
 * does, if route takes a body (a write); other routes are not audited. */
void auth_refused(struct app *app, const struct route *route,
                  const struct principal *who, const char *remote, int status,
                  const char *msg);

/* Notes that who (from remote) got status for a submission, with detail:
 * a refusal is counted by reason (app->stats.submissions_refused), and an
 * audit line is written if who holds a valid token. A request without
 * one (no token, an unknown or revoked one, 429 for a guessing address)
 * is counted only: anyone can send those, and a line each would let
 * anonymous clients grow the database. */
void auth_audit(struct app *app, const struct principal *who,
                const char *remote, int status, const char *detail);

/* The reason of refusal i < APP_N_REFUSALS, an auth_outcome_name, for
 * kuntamon_submissions_refused_total{reason}. */
const char *auth_refusal_reason(size_t i);

/* The audit outcome of an HTTP status: 202 "accepted", 400 "rejected",
 * 401 "unauthorized", 403 "forbidden", 413 "too_large", 415
 * "unsupported_type", 429 "rate_limited", 0 (no answer: the connection
 * was cut) "aborted", else "error". Pure. */
const char *auth_outcome_name(int status);

/* The rate-limit key of a client address: IPv4 as is, IPv6 by its /64
 * (one host usually holds a whole /64), IPv4-mapped IPv6 as IPv4. An
 * address that does not parse is its own key. Pure. */
void auth_client_key(const char *remote, char *out, size_t size);

#endif
