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
 * - writes per token, [server] submit_rate a minute with as much burst.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "clock.h"
#include "ratelimit.h"
#include "routes.h"
#include "token.h"
#include "xmalloc.h"

struct auth {
	struct ratelimit *failures; /* by auth_client_key */
	struct ratelimit *writes;   /* by token id */
};

struct auth *
auth_new(void)
{
	struct auth *a = xcalloc(1, sizeof(*a));

	token_init(); /* only hashing here, which works without it */
	a->failures = ratelimit_new(AUTH_LIMIT_KEYS);
	a->writes = ratelimit_new(AUTH_LIMIT_KEYS);
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	ratelimit_free(a->failures);
	ratelimit_free(a->writes);
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

int
auth_request(struct auth *a, struct app *app, const struct route *route,
             const char *authorization, const char *remote,
             struct principal *out_who, char *msg, size_t msg_size)
{
	unsigned char secret[TOKEN_SECRET_BYTES];
	struct error err = { 0 };
	struct config cfg;
	char key[RATELIMIT_KEY_MAX];
	long long now = now_ms();

	memset(out_who, 0, sizeof(*out_who));
	out_who->role = ROLE_PUBLIC;
	if (route->access == ROUTE_OPEN)
		return 0;
	if (authorization != NULL) {
		auth_client_key(remote, key, sizeof(key));
		if (!ratelimit_peek(a->failures, key, AUTH_FAIL_BURST,
		                    AUTH_FAIL_PER_MINUTE, now)) {
			snprintf(msg, msg_size,
			         "too many failed token attempts from this "
			         "address; try again in a minute");
			return 429;
		}
		if (token_parse_authorization(authorization, secret, &err) <
		    0) {
			note_failure(a, remote, now);
			snprintf(msg, msg_size, "%s", err.msg);
			return 401;
		}
		switch (
		    token_authenticate(app->db, secret, clock_now(), out_who)) {
		case TOKEN_VALID:
			break;
		case TOKEN_INVALID:
			note_failure(a, remote, now);
			snprintf(msg, msg_size, "unknown or revoked token");
			return 401;
		case TOKEN_ERROR:
			snprintf(msg, msg_size,
			         "cannot check the token now; try again");
			return 503;
		}
	}
	if (out_who->role == ROLE_PUBLIC) {
		if (route->access == ROUTE_TOKEN) {
			snprintf(msg, msg_size,
			         "this needs a token (Authorization: Bearer "
			         "TOKEN)");
			return 401;
		}
		app_config(app, &cfg);
		if (!cfg.is_public) {
			snprintf(msg, msg_size,
			         "reading needs a token (Authorization: Bearer "
			         "TOKEN)");
			return 401;
		}
		return 0;
	}
	if (route->accepts_body) {
		app_config(app, &cfg);
		snprintf(key, sizeof(key), "token %lld", out_who->token_id);
		if (!ratelimit_take(a->writes, key, cfg.submit_rate,
		                    cfg.submit_rate, now)) {
			snprintf(msg, msg_size,
			         "more than %d submissions a minute with this "
			         "token; try again later",
			         cfg.submit_rate);
			return 429;
		}
	}
	return 0;
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
	if (route == NULL || !route->accepts_body)
		return;
	auth_audit(app, who, remote, status, msg);
}
