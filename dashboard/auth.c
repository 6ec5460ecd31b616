/*
 * auth.c: the access rules of SPEC §7 at the server's door, and the
 * audit log of submissions.
 *
 * Every request that routes is judged here once its headers are in, before
 * a byte of its body is read: a refused submission is never buffered. A
 * token is looked up in the database on every request (token.c), so a
 * revocation counts at once. The two limits live in memory and start over
 * when the daemon does (and so does the count of refused submissions,
 * which stands in for audit lines of requests without a valid token):
 * - failed token attempts per client address: a brute-force guesser is
 *   held to AUTH_FAIL_PER_MINUTE guesses, and while it is held, requests
 *   of its address that carry a token get 429 unlooked-at (so the answer
 *   tells nothing about the token); requests without one are served;
 * - writes per token, [server] submit_rate a minute with as much burst
 *   (sign-ins count as writes).
 * A session cookie is looked up in the database on every request, with
 * its token, so a revocation ends the session at once too.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "clock.h"
#include "ratelimit.h"
#include "routes.h"
#include "session.h"
#include "token.h"
#include "xmalloc.h"

struct auth {
	struct ratelimit *failures; /* by auth_client_key */
	struct ratelimit *writes;   /* by token id */
	struct ratelimit *checks;   /* dry runs, by token id */
};

struct auth *
auth_new(void)
{
	struct auth *a = xcalloc(1, sizeof(*a));

	token_init(); /* only hashing here, which works without it */
	a->failures = ratelimit_new(AUTH_LIMIT_KEYS);
	a->writes = ratelimit_new(AUTH_LIMIT_KEYS);
	a->checks = ratelimit_new(AUTH_LIMIT_KEYS);
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	ratelimit_free(a->failures);
	ratelimit_free(a->writes);
	ratelimit_free(a->checks);
	free(a);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
auth_client_key(const char *remote, char *out, size_t size)
{
	unsigned char a6[16];
	char text[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET6, remote, a6) != 1) {
		snprintf(out, size, "%s", remote);
		return;
	}
	if (memcmp(a6, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		inet_ntop(AF_INET, a6 + 12, text, sizeof(text));
		snprintf(out, size, "%s", text);
		return;
	}
	memset(a6 + 8, 0, 8);
	inet_ntop(AF_INET6, a6, text, sizeof(text));
	snprintf(out, size, "%s/64", text);
}

/* Counts a failed attempt of remote's address. */
static void
note_failure(struct auth *a, const char *remote, long long now)
{
	char key[RATELIMIT_KEY_MAX];

	auth_client_key(remote, key, sizeof(key));
	ratelimit_take(a->failures, key, AUTH_FAIL_BURST, AUTH_FAIL_PER_MINUTE,
	               now);
}

/* Whether remote's address is held for failed attempts: 429 with msg. */
static int
held(struct auth *a, const char *remote, long long now, char *msg,
     size_t msg_size)
{
	char key[RATELIMIT_KEY_MAX];

	auth_client_key(remote, key, sizeof(key));
	if (ratelimit_peek(a->failures, key, AUTH_FAIL_BURST,
	                   AUTH_FAIL_PER_MINUTE, now))
		return 0;
	snprintf(msg, msg_size,
	         "too many failed token attempts from this address; try "
	         "again in a minute");
	return 429;
}

/* Who secret (a token's) belongs to: 0, or 401 (counted against remote)
 * or 503 with msg. */
static int
by_token(struct auth *a, struct app *app, const unsigned char *secret,
         const char *remote, long long now, struct principal *out_who,
         char *msg, size_t msg_size)
{
	switch (token_authenticate(app->db, secret, clock_now(), out_who)) {
	case TOKEN_VALID:
		return 0;
	case TOKEN_INVALID:
		note_failure(a, remote, now);
		snprintf(msg, msg_size, "unknown or revoked token");
		return 401;
	case TOKEN_ERROR:
		break;
	}
	snprintf(msg, msg_size, "cannot check the token now; try again");
	return 503;
}

/* Who the session cookie in->cookie stands for, on a request that is a
 * write (is_write) or a read: 0 (*out_who stays the public's without a
 * valid session on a read), or 401, 403 (no or a wrong CSRF value) or 503
 * with msg. Cookies are not counted as failed attempts: nobody guesses
 * 256 bits, and a browser with an expired cookie would otherwise hold
 * its own address on every page it loads. */
static int
by_session(struct app *app, const struct auth_input *in, bool is_write,
           struct principal *out_who, long long *out_session_id, char *msg,
           size_t msg_size)
{
	unsigned char secret[SESSION_SECRET_BYTES], csrf[SESSION_CSRF_BYTES];
	struct error err = { 0 };
	struct session s;
	int rc;

	rc = session_cookie_parse(in->cookie, secret, &err);
	if (rc == 0)
		return 0;
	if (rc > 0) {
		switch (
		    session_authenticate(app->db, secret, clock_now(), &s)) {
		case SESSION_VALID:
			break;
		case SESSION_INVALID:
			snprintf(err.msg, sizeof(err.msg),
			         "the session has ended (expired, signed out "
			         "or its token revoked); sign in again");
			rc = -1;
			break;
		case SESSION_ERROR:
			snprintf(msg, msg_size,
			         "cannot check the session now; try again");
			return 503;
		}
	}
	if (rc < 0) {
		if (!is_write)
			return 0; /* read as the public */
		snprintf(msg, msg_size, "%s", err.msg);
		return 401;
	}
	/* who, even if refused below: a refused write is audited as the
	 * token's, as one past its submit_rate is */
	*out_who = s.who;
	if (is_write) {
		if (in->csrf == NULL) {
			snprintf(msg, msg_size,
			         "a change made with a session cookie needs "
			         "the header " SESSION_CSRF_HEADER
			         " with the value given at sign-in");
			return 403;
		}
		if (session_csrf_parse(in->csrf, csrf, &err) < 0 ||
		    !session_csrf_matches(&s, csrf)) {
			snprintf(msg, msg_size,
			         SESSION_CSRF_HEADER
			         " is not this session's (see GET "
			         "/api/v1/session)");
			return 403;
		}
	}
	*out_session_id = s.id;
	return 0;
}

/* Counts a write of who against its token's submit_rate (a check, which
 * stores nothing, against AUTH_CHECKS_PER_WRITE times as many, apart):
 * 0, or 429. */
static int
take_write(struct auth *a, struct app *app, const struct principal *who,
           bool is_check, long long now, char *msg, size_t msg_size)
{
	char key[RATELIMIT_KEY_MAX];
	struct config cfg;
	int rate;

	app_config(app, &cfg);
	rate = is_check ? AUTH_CHECKS_PER_WRITE * cfg.submit_rate
	                : cfg.submit_rate;
	snprintf(key, sizeof(key), "token %lld", who->token_id);
	if (ratelimit_take(is_check ? a->checks : a->writes, key, rate, rate,
	                   now))
		return 0;
	snprintf(msg, msg_size,
	         "more than %d %s a minute with this token; try again later",
	         rate, is_check ? "dry runs" : "submissions");
	return 429;
}

int
auth_request(struct auth *a, struct app *app, const struct route *route,
             const struct auth_input *in, struct principal *out_who,
             long long *out_session_id, char *msg, size_t msg_size)
{
	unsigned char secret[TOKEN_SECRET_BYTES];
	struct error err = { 0 };
	struct config cfg;
	long long now = now_ms();
	/* GET routes also serve HEAD; anything else changes state */
	bool is_write = strcmp(route->method, "GET") != 0;
	int status;

	memset(out_who, 0, sizeof(*out_who));
	out_who->role = ROLE_PUBLIC;
	*out_session_id = 0;
	if (route->access == ROUTE_OPEN)
		return 0;
	if (in->authorization != NULL) {
		if ((status = held(a, in->remote, now, msg, msg_size)) != 0)
			return status;
		if (token_parse_authorization(in->authorization, secret, &err) <
		    0) {
			note_failure(a, in->remote, now);
			snprintf(msg, msg_size, "%s", err.msg);
			return 401;
		}
		status = by_token(a, app, secret, in->remote, now, out_who, msg,
		                  msg_size);
		if (status != 0)
			return status;
	} else if (in->cookie != NULL) {
		status = by_session(app, in, is_write, out_who, out_session_id,
		                    msg, msg_size);
		if (status != 0)
			return status;
	}
	if (out_who->role == ROLE_PUBLIC) {
		if (route->access == ROUTE_TOKEN) {
			snprintf(msg, msg_size,
			         "this needs a token (Authorization: Bearer "
			         "TOKEN) or a session (sign in)");
			return 401;
		}
		app_config(app, &cfg);
		if (!cfg.is_public && route->access != ROUTE_PAGE) {
			snprintf(msg, msg_size,
			         "reading needs a token (Authorization: Bearer "
			         "TOKEN) or a session (sign in)");
			return 401;
		}
		return 0;
	}
	if (route->accepts_body)
		return take_write(a, app, out_who, in->is_check, now, msg,
		                  msg_size);
	return 0;
}

int
auth_sign_in(struct auth *a, struct app *app, const char *text, size_t len,
             const char *remote, struct principal *out_who, char *msg,
             size_t msg_size)
{
	unsigned char secret[TOKEN_SECRET_BYTES];
	struct error err = { 0 };
	long long now = now_ms();
	int status;

	memset(out_who, 0, sizeof(*out_who));
	out_who->role = ROLE_PUBLIC;
	if ((status = held(a, remote, now, msg, msg_size)) != 0)
		return status;
	if (token_parse(text, len, secret, &err) < 0) {
		note_failure(a, remote, now);
		snprintf(msg, msg_size, "%s", err.msg);
		return 401;
	}
	status = by_token(a, app, secret, remote, now, out_who, msg, msg_size);
	if (status == 0)
		status = take_write(a, app, out_who, false, now, msg, msg_size);
	if (status != 0) {
		memset(out_who, 0, sizeof(*out_who));
		out_who->role = ROLE_PUBLIC;
	}
	return status;
}

const char *
auth_outcome_name(int status)
{
	switch (status) {
	case 202:
		return "accepted";
	case 400:
		return "rejected";
	case 401:
		return "unauthorized";
	case 403:
		return "forbidden";
	case 413:
		return "too_large";
	case 415:
		return "unsupported_type";
	case 429:
		return "rate_limited";
	case 0:
		return "aborted";
	default:
		return "error";
	}
}

/* The statuses of refusals, counted in this order; the last counts any
 * other (503). */
static const int refusal_statuses[APP_N_REFUSALS] = { 400, 401, 403, 413,
	                                              415, 429, 0,   503 };

const char *
auth_refusal_reason(size_t i)
{
	return auth_outcome_name(
	    refusal_statuses[i < APP_N_REFUSALS ? i : APP_N_REFUSALS - 1]);
}

void
auth_audit(struct app *app, const struct principal *who, const char *remote,
           int status, const char *detail)
{
	struct db_audit line = { 0 };
	char text[320];
	size_t i;

	if (status != 202) {
		for (i = 0;
		     i < APP_N_REFUSALS - 1 && refusal_statuses[i] != status;
		     i++)
			;
		atomic_fetch_add(&app->stats.submissions_refused[i], 1);
	}
	if (who == NULL || who->token_id <= 0)
		return; /* counted only */
	snprintf(text, sizeof(text), "%d %s", status,
	         detail != NULL ? detail : "");
	line.time = clock_now();
	line.token_id = who != NULL ? who->token_id : 0;
	line.remote = remote;
	line.area =
	    who != NULL && who->role == ROLE_MUNICIPALITY ? who->area : NULL;
	line.outcome = auth_outcome_name(status);
	line.detail = text;
	store_db_audit(app->db, &line);
}

void
auth_refused(struct app *app, const struct route *route,
             const struct principal *who, const char *remote, int status,
             const char *msg)
{
	/* open routes that take a body (sign-in) are no submissions */
	if (route == NULL || !route->accepts_body ||
	    route->access == ROUTE_OPEN)
		return;
	auth_audit(app, who, remote, status, msg);
}
