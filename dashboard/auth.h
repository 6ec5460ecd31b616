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
 *
 * A browser session (SPEC §8, daemon/session.c) stands for its token: a
 * request with a valid session cookie acts as the token's principal, and
 * one that changes state (any method but GET and HEAD) must also carry the
 * session's CSRF value in X-CSRF-Token, or it is refused 403. A bearer
 * token needs no CSRF value (a browser never adds one by itself); when a
 * request carries both, the Authorization header wins. With public = no
 * the pages and their assets (ROUTE_PAGE) are served without either: a
 * page holds no figures, and its script shows the sign-in form.
 */
#ifndef KUNTAMON_AUTH_H
#define KUNTAMON_AUTH_H

#include <stdbool.h>
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

/* What of a request tells who sends it. */
struct auth_input {
	const char *authorization; /* the headers' values; NULL if absent */
	const char *cookie;
	const char *csrf;   /* X-CSRF-Token */
	const char *remote; /* the client's address */
	/* stores nothing (a submission's ?dry_run=1, which the report form
	 * sends as its fields are typed): counted apart from writes, against
	 * AUTH_CHECKS_PER_WRITE times submit_rate, so checking never uses up
	 * what the real submission needs */
	bool is_check;
};

/* Checks a token may make for each write it may make. */
#define AUTH_CHECKS_PER_WRITE 10

/* Decides whether a request for route may go on: 0 with *out_who filled
 * (ROLE_PUBLIC without a token or session) and *out_session_id (0 unless
 * a session cookie authenticated it), or the HTTP status to answer (401,
 * 403, 429, 503) with msg, *out_who still the token's if it was valid
 * (403 for a missing CSRF value, 429 past submit_rate: audited as its).
 * Route ROUTE_OPEN ignores any token or cookie. An invalid session
 * cookie is no cookie on a read, 401 on a write. With
 * a token or session, a route that takes a body (a write) counts against
 * the token's [server] submit_rate. Thread-safe. */
int auth_request(struct auth *a, struct app *app, const struct route *route,
                 const struct auth_input *in, struct principal *out_who,
                 long long *out_session_id, char *msg, size_t msg_size);

/* Checks the text of a token (len bytes) offered for sign-in from remote
 * as auth_request checks a bearer token: a bad one counts against the
 * address's failed attempts, and a held address gets 429 unlooked-at; a
 * good one counts as a write against its submit_rate. 0 with *out_who, or
 * the status to answer (401, 429, 503) with msg. Thread-safe. */
int auth_sign_in(struct auth *a, struct app *app, const char *text, size_t len,
                 const char *remote, struct principal *out_who, char *msg,
                 size_t msg_size);

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
