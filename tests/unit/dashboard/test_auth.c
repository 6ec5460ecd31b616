/*
 * test_auth.c: the door of every request, without a socket: an app with a
 * real SQLite database in a temporary folder, tokens made with
 * token_create, and routes of each access kind.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "check.h"
#include "clock.h"
#include "routes.h"
#include "token.h"
#include "fixture.h"

static char root[64];
static struct app app;
static char municipal[TOKEN_TEXT_SIZE], ministry[TOKEN_TEXT_SIZE];
static char revoked[TOKEN_TEXT_SIZE];
static long long municipal_id, ministry_id;

static void
nothing(const struct request *req, struct response *resp)
{
	(void)req;
	(void)resp;
}

static const struct route open_route = { "GET",      "/healthz", nothing,
	                                 ROUTE_OPEN, false,      false };
static const struct route read_route = { "GET",   "/api/v1/series",
	                                 nothing, ROUTE_PUBLIC,
	                                 false,   false };
static const struct route token_route = { "GET",       "/secret", nothing,
	                                  ROUTE_TOKEN, false,     false };
static const struct route write_route = { "POST",  "/api/v1/submissions",
	                                  nothing, ROUTE_TOKEN,
	                                  true,    false };

static void
setup(void)
{
	struct error err = { 0 };
	char path[128];
	long long id;

	fixture_tmpdir(root, sizeof(root), "test_auth");
	snprintf(path, sizeof(path), "%s/kuntamon.db", root);
	memset(&app, 0, sizeof(app));
	pthread_mutex_init(&app.lock, NULL);
	config_init(&app.cfg);
	app.db = store_db_open(path, &err);
	if (app.db == NULL ||
	    token_create(app.db, ROLE_MUNICIPALITY, "KU091", clock_now(),
	                 &municipal_id, municipal, &err) < 0 ||
	    token_create(app.db, ROLE_MINISTRY, NULL, clock_now(), &ministry_id,
	                 ministry, &err) < 0 ||
	    token_create(app.db, ROLE_MUNICIPALITY, "KU049", clock_now(), &id,
	                 revoked, &err) < 0 ||
	    store_db_token_revoke(app.db, id, clock_now()) != 1) {
		fprintf(stderr, "setup: %s\n", err.msg);
		exit(1);
	}
}

static void
teardown(void)
{
	store_db_close(app.db);
	pthread_mutex_destroy(&app.lock);
	fixture_rmtree(root);
}

/* auth_request with "Bearer TOKEN" (token NULL: no header). */
static int
ask(struct auth *a, const struct route *r, const char *token,
    const char *remote, struct principal *who)
{
	char header[128], msg[256];

	if (token != NULL)
		snprintf(header, sizeof(header), "Bearer %s", token);
	return auth_request(a, &app, r, token != NULL ? header : NULL, remote,
	                    who, msg, sizeof(msg));
}

static void
test_client_key(void)
{
	static const struct {
		const char *remote, *want;
	} cases[] = {
		{ "127.0.0.1", "127.0.0.1" },
		{ "192.0.2.7", "192.0.2.7" },
		{ "::1", "::/64" },
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2:ffff::1", "2001:db8:1:2::/64" },
		{ "::ffff:192.0.2.7", "192.0.2.7" },
		{ "?", "?" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		auth_client_key(cases[i].remote, out, sizeof(out));
		CHECK_STR(out, cases[i].want);
	}
}

static void
test_outcomes(void)
{
	CHECK_STR(auth_outcome_name(202), "accepted");
	CHECK_STR(auth_outcome_name(400), "rejected");
	CHECK_STR(auth_outcome_name(401), "unauthorized");
	CHECK_STR(auth_outcome_name(403), "forbidden");
	CHECK_STR(auth_outcome_name(413), "too_large");
	CHECK_STR(auth_outcome_name(415), "unsupported_type");
	CHECK_STR(auth_outcome_name(429), "rate_limited");
	CHECK_STR(auth_outcome_name(503), "error");
	CHECK_STR(auth_outcome_name(0), "aborted");
}

static void
test_who(void)
{
	struct auth *a = auth_new();
	struct principal who;

	app.cfg.is_public = true;
	CHECK(ask(a, &read_route, NULL, "10.0.0.1", &who) == 0);
	CHECK(who.role == ROLE_PUBLIC && who.token_id == 0);
	CHECK(ask(a, &read_route, municipal, "10.0.0.1", &who) == 0);
	CHECK(who.role == ROLE_MUNICIPALITY && who.token_id == municipal_id);
	CHECK_STR(who.area, "KU091");
	CHECK(ask(a, &read_route, ministry, "10.0.0.1", &who) == 0);
	CHECK(who.role == ROLE_MINISTRY && who.token_id == ministry_id);
	CHECK_STR(who.area, "");
	/* A bad or revoked token is refused, not read as the public. */
	CHECK(ask(a, &read_route, revoked, "10.0.0.1", &who) == 401);
	CHECK(who.role == ROLE_PUBLIC);
	CHECK(ask(a, &read_route, "km_nonsense", "10.0.0.1", &who) == 401);
	/* /healthz ignores any token. */
	CHECK(ask(a, &open_route, revoked, "10.0.0.1", &who) == 0);
	CHECK(who.role == ROLE_PUBLIC);
	/* Routes for tokens only. */
	CHECK(ask(a, &token_route, NULL, "10.0.0.1", &who) == 401);
	CHECK(ask(a, &token_route, municipal, "10.0.0.1", &who) == 0);
	CHECK(ask(a, &write_route, NULL, "10.0.0.1", &who) == 401);
	CHECK(ask(a, &write_route, ministry, "10.0.0.1", &who) == 0);

	/* public = no: every read needs a token; any valid one does. */
	app.cfg.is_public = false;
	CHECK(ask(a, &read_route, NULL, "10.0.0.2", &who) == 401);
	CHECK(ask(a, &read_route, municipal, "10.0.0.2", &who) == 0);
	CHECK(ask(a, &read_route, ministry, "10.0.0.2", &who) == 0);
	CHECK(ask(a, &open_route, NULL, "10.0.0.2", &who) == 0);
	app.cfg.is_public = true;
	auth_free(a);
}

static void
test_brute_force(void)
{
	struct auth *a = auth_new();
	struct principal who;
	char guess[TOKEN_TEXT_SIZE];
	unsigned char secret[TOKEN_SECRET_BYTES] = { 0 };
	int i, n_401 = 0, n_429 = 0, rc;

	for (i = 0; i < 30; i++) {
		secret[0] = (unsigned char)i;
		token_format(secret, guess);
		rc = ask(a, &read_route, guess, "192.0.2.9", &who);
		n_401 += rc == 401;
		n_429 += rc == 429;
	}
	CHECK(n_401 == AUTH_FAIL_BURST);
	CHECK(n_429 == 30 - AUTH_FAIL_BURST);
	/* While held, even a good token from that address is not looked at;
	 * without a token the address still reads; others are not held. */
	CHECK(ask(a, &read_route, municipal, "192.0.2.9", &who) == 429);
	CHECK(who.role == ROLE_PUBLIC);
	CHECK(ask(a, &read_route, NULL, "192.0.2.9", &who) == 0);
	CHECK(ask(a, &read_route, municipal, "192.0.2.10", &who) == 0);
	/* IPv6 counts by /64. */
	for (i = 0; i < AUTH_FAIL_BURST; i++)
		CHECK(ask(a, &read_route, "km_x", "2001:db8::1", &who) == 401);
	CHECK(ask(a, &read_route, municipal, "2001:db8::2", &who) == 429);
	CHECK(ask(a, &read_route, municipal, "2001:db8:0:1::2", &who) == 0);
	auth_free(a);
}

static void
test_write_rate(void)
{
	struct auth *a = auth_new();
	struct principal who;
	int i, n_ok = 0;

	app.cfg.submit_rate = 5;
	for (i = 0; i < 8; i++)
		n_ok += ask(a, &write_route, municipal, "10.0.0.3", &who) == 0;
	CHECK(n_ok == 5);
	CHECK(ask(a, &write_route, municipal, "10.0.0.4", &who) == 429);
	/* Per token: another token is not held; reads are not counted. */
	CHECK(ask(a, &write_route, ministry, "10.0.0.3", &who) == 0);
	CHECK(ask(a, &read_route, municipal, "10.0.0.3", &who) == 0);
	app.cfg.submit_rate = 60;
	auth_free(a);
}

/* [server] submit_rate: default 60, 1..100000. */
static void
test_submit_rate_key(void)
{
	static const struct {
		const char *text;
		int rc, want;
	} cases[] = {
		{ "", 0, 60 },
		{ "[server]\nsubmit_rate = 1\n", 0, 1 },
		{ "[server]\nsubmit_rate = 100000\n", 0, 100000 },
		{ "[server]\nsubmit_rate = 0\n", -1, 60 },
		{ "[server]\nsubmit_rate = 100001\n", -1, 60 },
		{ "[server]\nsubmit_rate = ten\n", -1, 60 },
	};
	struct config cfg;
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		config_init(&cfg);
		CHECK(config_parse(cases[i].text, strlen(cases[i].text), &cfg,
		                   &err) == cases[i].rc);
		CHECK(cfg.submit_rate == cases[i].want);
		if (cases[i].rc < 0)
			CHECK(strstr(err.msg, "submit_rate") != NULL);
	}
}

int
main(void)
{
	setup();
	RUN(test_client_key);
	RUN(test_outcomes);
	RUN(test_who);
	RUN(test_brute_force);
	RUN(test_write_rate);
	RUN(test_submit_rate_key);
	teardown();
	return check_done();
}
