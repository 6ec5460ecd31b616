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
#include "session.h"
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
static const struct route page_route = { "GET",   "/municipality/{area}",
	                                 nothing, ROUTE_PAGE,
	                                 false,   false };
static const struct route delete_route = { "DELETE", "/api/v1/session",
	                                   nothing,  ROUTE_TOKEN,
	                                   false,    false };

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
	struct auth_input in = { NULL, NULL, NULL, remote, false };
	char header[128], msg[256];
	long long session_id;

	if (token != NULL)
		snprintf(header, sizeof(header), "Bearer %s", token);
	in.authorization = token != NULL ? header : NULL;
	return auth_request(a, &app, r, &in, who, &session_id, msg,
	                    sizeof(msg));
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

/* Dry runs (the report form checks fields as they are typed) count
 * apart, against ten times submit_rate: checking never uses up the
 * submission, and has a bound of its own. */
static void
test_check_rate(void)
{
	struct auth *a = auth_new();
	struct auth_input in = { NULL, NULL, NULL, "10.0.0.5", true };
	struct principal who;
	char header[128], msg[256];
	long long session_id;
	int i, n_ok = 0;

	app.cfg.submit_rate = 2;
	snprintf(header, sizeof(header), "Bearer %s", municipal);
	in.authorization = header;
	for (i = 0; i < 25; i++)
		n_ok += auth_request(a, &app, &write_route, &in, &who,
		                     &session_id, msg, sizeof(msg)) == 0;
	CHECK(n_ok == 2 * AUTH_CHECKS_PER_WRITE);
	CHECK(auth_request(a, &app, &write_route, &in, &who, &session_id, msg,
	                   sizeof(msg)) == 429);
	CHECK(strstr(msg, "dry runs") != NULL);
	/* the submissions are all still there */
	CHECK(ask(a, &write_route, municipal, "10.0.0.5", &who) == 0);
	CHECK(ask(a, &write_route, municipal, "10.0.0.5", &who) == 0);
	CHECK(ask(a, &write_route, municipal, "10.0.0.5", &who) == 429);
	app.cfg.submit_rate = 60;
	auth_free(a);
}

/* An integer key of [server] with its default and bounds: absent, both
 * bounds taken; past them or not an integer, refused naming the key and
 * the default kept. get reads it from a config. */
static void
check_server_int_key(const char *key, int dflt, int lo, int hi,
                     int (*get)(const struct config *))
{
	const struct {
		int value, rc, want;
	} cases[] = {
		{ lo, 0, lo },
		{ hi, 0, hi },
		{ lo - 1, -1, dflt },
		{ hi + 1, -1, dflt },
	};
	static const char *const bad[] = { "ten", "1.5" };
	struct config cfg;
	struct error err;
	char text[128];
	size_t i;

	memset(&err, 0, sizeof(err));
	config_init(&cfg);
	CHECK(config_parse("", 0, &cfg, &err) == 0 && get(&cfg) == dflt);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]) + 2; i++) {
		int rc = i < 4 ? cases[i].rc : -1;
		int want = i < 4 ? cases[i].want : dflt;

		if (i < 4)
			snprintf(text, sizeof(text), "[server]\n%s = %d\n", key,
			         cases[i].value);
		else
			snprintf(text, sizeof(text), "[server]\n%s = %s\n", key,
			         bad[i - 4]);
		memset(&err, 0, sizeof(err));
		config_init(&cfg);
		CHECK(config_parse(text, strlen(text), &cfg, &err) == rc);
		CHECK(get(&cfg) == want);
		if (rc < 0)
			CHECK(strstr(err.msg, key) != NULL);
	}
}

static int
submit_rate_of(const struct config *cfg)
{
	return cfg->submit_rate;
}

static int
session_hours_of(const struct config *cfg)
{
	return cfg->session_hours;
}

/* [server] submit_rate: default 60, 1..100000. */
static void
test_submit_rate_key(void)
{
	check_server_int_key("submit_rate", 60, 1, 100000, submit_rate_of);
}

/* auth_request with the headers given (NULL: absent). */
static int
ask_with(struct auth *a, const struct route *r, const char *authorization,
         const char *cookie, const char *csrf, const char *remote,
         struct principal *who, long long *session_id)
{
	struct auth_input in = { authorization, cookie, csrf, remote, false };
	char msg[256];

	return auth_request(a, &app, r, &in, who, session_id, msg, sizeof(msg));
}

/* A session of the municipal token: its Cookie header and CSRF value. */
static long long
sign_in(char *cookie_header, size_t size, char *csrf)
{
	unsigned char secret[TOKEN_SECRET_BYTES];
	char cookie[SESSION_TEXT_SIZE];
	struct error err = { 0 };
	struct principal who;
	struct session s;

	if (token_parse(municipal, strlen(municipal), secret, &err) < 0 ||
	    token_authenticate(app.db, secret, clock_now(), &who) !=
	        TOKEN_VALID ||
	    session_create(app.db, &who, clock_now(), 12, &s, cookie, &err) < 0)
		return -1;
	snprintf(cookie_header, size, "theme=dark; kuntamon_session=%s",
	         cookie);
	memcpy(csrf, s.csrf, SESSION_TEXT_SIZE);
	return s.id;
}

static void
test_session_cookie(void)
{
	struct auth *a = auth_new();
	char cookie[128], csrf[SESSION_TEXT_SIZE], bearer[128];
	const char *gone = "kuntamon_session="
	                   "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
	struct principal who;
	long long id, sid;

	app.cfg.is_public = true;
	id = sign_in(cookie, sizeof(cookie), csrf);
	CHECK(id > 0);
	snprintf(bearer, sizeof(bearer), "Bearer %s", ministry);
	/* a read with the cookie acts as its token */
	CHECK(ask_with(a, &read_route, NULL, cookie, NULL, "10.1.0.1", &who,
	               &sid) == 0);
	CHECK(who.role == ROLE_MUNICIPALITY && who.token_id == municipal_id);
	CHECK_STR(who.area, "KU091");
	CHECK(sid == id);
	CHECK(ask_with(a, &token_route, NULL, cookie, NULL, "10.1.0.1", &who,
	               &sid) == 0);
	/* a write needs its CSRF value too, and only it */
	CHECK(ask_with(a, &write_route, NULL, cookie, NULL, "10.1.0.1", &who,
	               &sid) == 403);
	/* refused, but audited as the token's */
	CHECK(who.token_id == municipal_id && sid == 0);
	CHECK(ask_with(a, &write_route, NULL, cookie,
	               "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
	               "10.1.0.1", &who, &sid) == 403);
	CHECK(ask_with(a, &write_route, NULL, cookie, "junk", "10.1.0.1", &who,
	               &sid) == 403);
	CHECK(ask_with(a, &write_route, NULL, cookie, csrf, "10.1.0.1", &who,
	               &sid) == 0);
	CHECK(who.token_id == municipal_id && sid == id);
	CHECK(ask_with(a, &delete_route, NULL, cookie, NULL, "10.1.0.1", &who,
	               &sid) == 403);
	/* a bearer token needs none, and wins over the cookie */
	CHECK(ask_with(a, &write_route, bearer, cookie, NULL, "10.1.0.1", &who,
	               &sid) == 0);
	CHECK(who.role == ROLE_MINISTRY && sid == 0);
	/* a cookie naming no session: the public on a read, 401 on a
	 * write, and no failed attempt counted */
	CHECK(ask_with(a, &read_route, NULL, gone, NULL, "10.1.0.2", &who,
	               &sid) == 0);
	CHECK(who.role == ROLE_PUBLIC && who.token_id == 0 && sid == 0);
	CHECK(ask_with(a, &read_route, NULL, "kuntamon_session=bad", NULL,
	               "10.1.0.2", &who, &sid) == 0);
	CHECK(ask_with(a, &write_route, NULL, gone, csrf, "10.1.0.2", &who,
	               &sid) == 401);
	CHECK(ask_with(a, &write_route, NULL, "kuntamon_session=bad", csrf,
	               "10.1.0.2", &who, &sid) == 401);
	CHECK(ask_with(a, &token_route, NULL, gone, NULL, "10.1.0.2", &who,
	               &sid) == 401);
	/* other cookies alone are none of ours */
	CHECK(ask_with(a, &write_route, NULL, "theme=dark", NULL, "10.1.0.2",
	               &who, &sid) == 401);
	CHECK(ask_with(a, &read_route, NULL, "theme=dark", NULL, "10.1.0.2",
	               &who, &sid) == 0);
	/* the open route ignores it */
	CHECK(ask_with(a, &open_route, NULL, cookie, NULL, "10.1.0.1", &who,
	               &sid) == 0);
	CHECK(who.role == ROLE_PUBLIC && sid == 0);
	/* signed out: gone at once */
	CHECK(session_end(app.db, id) == 0);
	CHECK(ask_with(a, &read_route, NULL, cookie, NULL, "10.1.0.1", &who,
	               &sid) == 0);
	CHECK(who.role == ROLE_PUBLIC);
	CHECK(ask_with(a, &write_route, NULL, cookie, csrf, "10.1.0.1", &who,
	               &sid) == 401);
	auth_free(a);
}

/* public = no: reads need a token or a session; pages need neither. */
static void
test_public_no(void)
{
	struct auth *a = auth_new();
	char cookie[128], csrf[SESSION_TEXT_SIZE], bearer[128];
	struct principal who;
	long long sid;

	CHECK(sign_in(cookie, sizeof(cookie), csrf) > 0);
	snprintf(bearer, sizeof(bearer), "Bearer %s", revoked);
	app.cfg.is_public = false;
	CHECK(ask_with(a, &read_route, NULL, NULL, NULL, "10.2.0.1", &who,
	               &sid) == 401);
	CHECK(ask_with(a, &read_route, NULL, cookie, NULL, "10.2.0.1", &who,
	               &sid) == 0);
	CHECK(who.role == ROLE_MUNICIPALITY);
	CHECK(ask_with(a, &page_route, NULL, NULL, NULL, "10.2.0.1", &who,
	               &sid) == 0);
	CHECK(who.role == ROLE_PUBLIC);
	CHECK(ask_with(a, &page_route, NULL, "kuntamon_session=x", NULL,
	               "10.2.0.1", &who, &sid) == 0);
	/* a bad token is refused on a page as anywhere */
	CHECK(ask_with(a, &page_route, bearer, NULL, NULL, "10.2.0.1", &who,
	               &sid) == 401);
	app.cfg.is_public = true;
	auth_free(a);
}

static void
test_sign_in(void)
{
	struct auth *a = auth_new();
	unsigned char secret[TOKEN_SECRET_BYTES] = { 0 };
	char guess[TOKEN_TEXT_SIZE], msg[256];
	struct principal who;
	int i, n_401 = 0, n_429 = 0, rc;

	CHECK(auth_sign_in(a, &app, municipal, strlen(municipal), "10.3.0.1",
	                   &who, msg, sizeof(msg)) == 0);
	CHECK(who.role == ROLE_MUNICIPALITY && who.token_id == municipal_id);
	CHECK(auth_sign_in(a, &app, revoked, strlen(revoked), "10.3.0.1", &who,
	                   msg, sizeof(msg)) == 401);
	CHECK(who.role == ROLE_PUBLIC);
	/* bad tokens count as bearer guesses do, for the same address */
	for (i = 0; i < 15; i++) {
		secret[1] = (unsigned char)i;
		token_format(secret, guess);
		rc = auth_sign_in(a, &app, guess, strlen(guess), "10.3.0.2",
		                  &who, msg, sizeof(msg));
		n_401 += rc == 401;
		n_429 += rc == 429;
	}
	CHECK(n_401 == AUTH_FAIL_BURST && n_429 == 15 - AUTH_FAIL_BURST);
	CHECK(auth_sign_in(a, &app, municipal, strlen(municipal), "10.3.0.2",
	                   &who, msg, sizeof(msg)) == 429);
	CHECK(strstr(msg, "too many failed") != NULL);
	/* ... and a bearer token from that address waits too */
	CHECK(ask(a, &read_route, municipal, "10.3.0.2", &who) == 429);
	CHECK(auth_sign_in(a, &app, "km_x", 4, "10.3.0.3", &who, msg,
	                   sizeof(msg)) == 401);
	/* sign-ins are writes of their token */
	app.cfg.submit_rate = 3;
	for (i = 0, rc = 0; i < 5; i++)
		rc += auth_sign_in(a, &app, ministry, strlen(ministry),
		                   "10.3.0.4", &who, msg, sizeof(msg)) == 0;
	CHECK(rc == 3);
	app.cfg.submit_rate = 60;
	auth_free(a);
}

static void
test_signin_body(void)
{
	static const struct {
		const char *type, *body;
		int want;
		const char *text;
	} cases[] = {
		{ "application/json", "{\"token\": \"km_abc\"}", 0, "km_abc" },
		{ "Application/JSON; charset=utf-8", "{\"token\":\"km_a\"}", 0,
		  "km_a" },
		{ "application/x-www-form-urlencoded", "token=km_a%2Db", 0,
		  "km_a-b" },
		{ "application/x-www-form-urlencoded; charset=UTF-8",
		  "next=%2F&token=km_z", 0, "km_z" },
		{ "application/json", "{\"token\": 5}", 400, NULL },
		{ "application/json", "{}", 400, NULL },
		{ "application/json", "[\"km_a\"]", 400, NULL },
		{ "application/json", "{\"token\": \"km_", 400, NULL },
		{ "application/json", "", 400, NULL },
		{ "application/x-www-form-urlencoded", "tok=km_a", 400, NULL },
		{ "application/x-www-form-urlencoded", "token=%zz", 400, NULL },
		{ "text/plain", "token=km_a", 415, NULL },
		{ NULL, "{\"token\": \"km_a\"}", 415, NULL },
		{ "application/jsonx", "{\"token\": \"km_a\"}", 415, NULL },
		/* the Content-Type check submissions use: another charset, or a
		 * parameter of broken syntax, is refused */
		{ "application/x-www-form-urlencoded; charset=ISO-8859-1",
		  "token=km_a", 415, NULL },
		{ "application/json; charset", "{\"token\": \"km_a\"}", 415,
		  NULL },
		/* too long for any token: refused before it is looked at */
		{ "application/json",
		  "{\"token\": "
		  "\"km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
		  400, NULL },
	};
	char out[TOKEN_TEXT_SIZE + 16];
	struct error err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		rc = api_session_parse_signin(cases[i].type, cases[i].body,
		                              strlen(cases[i].body), out,
		                              sizeof(out), &err);
		if (rc != cases[i].want)
			fprintf(stderr, "case %zu: %d, want %d (%s)\n", i, rc,
			        cases[i].want, err.msg);
		CHECK(rc == cases[i].want);
		if (rc == 0 && cases[i].text != NULL)
			CHECK_STR(out, cases[i].text);
		if (rc != 0)
			CHECK(err.msg[0] != '\0');
	}
}

/* [server] session_hours: default 12, 1..720. */
static void
test_session_hours_key(void)
{
	check_server_int_key("session_hours", 12, 1, 720, session_hours_of);
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
	RUN(test_check_rate);
	RUN(test_submit_rate_key);
	RUN(test_session_cookie);
	RUN(test_public_no);
	RUN(test_sign_in);
	RUN(test_signin_body);
	RUN(test_session_hours_key);
	teardown();
	return check_done();
}
