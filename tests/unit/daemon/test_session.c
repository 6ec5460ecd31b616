/*
 * test_session.c: the session cookie and X-CSRF-Token parsers
 * (table-driven), and sessions against a real SQLite database in a
 * temporary folder: started, found, judged by expiry and by their
 * token's revocation, ended, bounded per token, pruned; stored only as a
 * hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "session.h"
#include "store_db.h"
#include "token.h"
#include "fixture.h"

#define NOW ((time_t)1794744000)

/* 32 bytes 0x00..0x1f, and their base64url text */
#define V "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
/* another 32 bytes: all 0xff */
#define W "__________________________________________8"

static struct fixture_db fx;

static void
test_format(void)
{
	unsigned char b[SESSION_SECRET_BYTES], back[SESSION_SECRET_BYTES];
	char text[SESSION_TEXT_SIZE];
	struct error err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)i;
	session_format(b, text);
	CHECK_STR(text, V);
	CHECK(strlen(text) == SESSION_TEXT_LEN);
	CHECK(session_csrf_parse(text, back, &err) == 0);
	CHECK(memcmp(b, back, sizeof(b)) == 0);
	memset(b, 0xff, sizeof(b));
	session_format(b, text);
	CHECK_STR(text, W);
}

static void
test_cookie_parse(void)
{
	static const struct {
		const char *header;
		int want;         /* 1 found, 0 none, -1 refused */
		const char *text; /* the secret found, for want 1 */
	} cases[] = {
		{ "", 0, NULL },
		{ "other=1", 0, NULL },
		{ "kuntamon_session=" V, 1, V },
		{ "a=b; kuntamon_session=" V "; c=d", 1, V },
		{ "a=b;kuntamon_session=" V ";c=d", 1, V },
		/* blanks around names, '=' and values; tabs too */
		{ "  a=b ;  kuntamon_session = " V "  ; c", 1, V },
		{ "\tkuntamon_session=\t" V "\t", 1, V },
		/* quoted, as RFC 6265 lets a value be */
		{ "kuntamon_session=\"" V "\"", 1, V },
		{ "kuntamon_session=\"" V, -1, NULL },
		/* twice: the same value is one session; two are ambiguous */
		{ "kuntamon_session=" V "; kuntamon_session=" V, 1, V },
		{ "kuntamon_session=" V "; kuntamon_session=" W, -1, NULL },
		{ "kuntamon_session=" W "; x=1; kuntamon_session=\"" W "\"", 1,
		  W },
		/* emptied (what sign-out sets) counts as none */
		{ "kuntamon_session=", 0, NULL },
		{ "kuntamon_session=\"\"", 0, NULL },
		{ "kuntamon_session=; kuntamon_session=" V, 1, V },
		/* names are exact and case-sensitive */
		{ "Kuntamon_session=" V, 0, NULL },
		{ "xkuntamon_session=" V, 0, NULL },
		{ "kuntamon_sessionx=" V, 0, NULL },
		{ "kuntamon_session", 0, NULL },
		/* other cookies may hold anything */
		{ "junk; ;; =x; a=\"; kuntamon_session=" V, 1, V },
		/* not 43 canonical base64url characters */
		{ "kuntamon_session=short", -1, NULL },
		{ "kuntamon_session=" V "A", -1, NULL },
		{ "kuntamon_session="
		  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9",
		  -1, NULL }, /* spare bits set */
		{ "kuntamon_session=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd+"
		  "h8",
		  -1, NULL }, /* standard base64 */
		{ "kuntamon_session=AAECAwQFBgcI "
		  "CQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		  -1, NULL },
		{ "kuntamon_session=km_"
		  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		  -1, NULL }, /* a token is not a session */
	};
	unsigned char secret[SESSION_SECRET_BYTES];
	char text[SESSION_TEXT_SIZE];
	struct error err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		rc = session_cookie_parse(cases[i].header, secret, &err);
		if (rc != cases[i].want)
			fprintf(stderr, "case %zu: \"%s\": %d, want %d\n", i,
			        cases[i].header, rc, cases[i].want);
		CHECK(rc == cases[i].want);
		if (rc == 1 && cases[i].want == 1) {
			session_format(secret, text);
			CHECK_STR(text, cases[i].text);
		}
		if (rc < 0) {
			CHECK(err.msg[0] != '\0');
			/* the refusal never echoes the cookie */
			CHECK(strstr(err.msg, "AAEC") == NULL);
		}
	}
	CHECK(session_cookie_parse(NULL, secret, &err) == 0);
}

static void
test_cookie_too_long(void)
{
	char *h = malloc(SESSION_COOKIE_HEADER_MAX + 2);
	unsigned char secret[SESSION_SECRET_BYTES];
	struct error err = { 0 };
	size_t prefix;

	if (h == NULL)
		return;
	/* at the limit, the cookie last: read */
	prefix = SESSION_COOKIE_HEADER_MAX - strlen("; kuntamon_session=" V);
	memset(h, 'x', prefix);
	h[0] = 'p';
	h[1] = '=';
	snprintf(h + prefix, SESSION_COOKIE_HEADER_MAX + 2 - prefix,
	         "; kuntamon_session=" V);
	CHECK(strlen(h) == SESSION_COOKIE_HEADER_MAX);
	CHECK(session_cookie_parse(h, secret, &err) == 1);
	/* one byte more: refused unread */
	memmove(h + 1, h, SESSION_COOKIE_HEADER_MAX + 1);
	h[0] = ' ';
	CHECK(session_cookie_parse(h, secret, &err) == -1);
	CHECK(strstr(err.msg, "too long") != NULL);
	free(h);
}

static void
test_csrf_parse(void)
{
	static const struct {
		const char *header;
		int want;
	} cases[] = {
		{ V, 0 },
		{ "  " V "\t ", 0 },
		{ W, 0 },
		{ "", -1 },
		{ "   ", -1 },
		{ V "A", -1 },
		{ "\"" V "\"", -1 },
		{ "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", -1 },
		{ "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd/h8", -1 },
		{ V " " V, -1 },
		{ "Bearer " V, -1 },
	};
	unsigned char csrf[SESSION_CSRF_BYTES];
	char longer[SESSION_CSRF_HEADER_MAX + 2];
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		CHECK(session_csrf_parse(cases[i].header, csrf, &err) ==
		      cases[i].want);
		if (cases[i].want < 0)
			CHECK(err.msg[0] != '\0' &&
			      strstr(err.msg, "AAEC") == NULL);
	}
	memset(longer, ' ', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer, V, strlen(V));
	CHECK(session_csrf_parse(longer, csrf, &err) == -1);
	CHECK(strstr(err.msg, "too long") != NULL);
}

/* A session of a new token for area (NULL: the ministry). */
static long long
start(struct store_db *db, const char *area, time_t now, int hours,
      struct session *s, char *cookie, long long *out_token)
{
	char text[TOKEN_TEXT_SIZE];
	struct error err = { 0 };
	struct principal who = { 0 };

	if (token_create(db, area != NULL ? ROLE_MUNICIPALITY : ROLE_MINISTRY,
	                 area, now, &who.token_id, text, &err) < 0)
		return -1;
	who.role = area != NULL ? ROLE_MUNICIPALITY : ROLE_MINISTRY;
	if (area != NULL)
		snprintf(who.area, sizeof(who.area), "%s", area);
	if (out_token != NULL)
		*out_token = who.token_id;
	if (session_create(db, &who, now, hours, s, cookie, &err) < 0)
		return -1;
	return s->id;
}

/* The session of a cookie's text at now. */
static enum session_result
lookup(struct store_db *db, const char *cookie, time_t now, struct session *s)
{
	unsigned char secret[SESSION_SECRET_BYTES];
	struct error err = { 0 };
	char header[128];

	snprintf(header, sizeof(header), "kuntamon_session=%s", cookie);
	if (session_cookie_parse(header, secret, &err) != 1)
		return SESSION_INVALID;
	return session_authenticate(db, secret, now, s);
}

static void
test_create_and_find(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_session");
	char cookie[SESSION_TEXT_SIZE], cookie2[SESSION_TEXT_SIZE];
	unsigned char csrf[SESSION_CSRF_BYTES], hash[DB_TOKEN_HASH_BYTES];
	unsigned char secret[SESSION_SECRET_BYTES];
	struct session s, found, m;
	struct db_session row;
	struct error err = { 0 };
	struct principal nobody = { 0 };
	long long token;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(start(db, "KU091", NOW, 12, &s, cookie, &token) > 0);
	CHECK(strlen(cookie) == SESSION_TEXT_LEN);
	CHECK(strlen(s.csrf) == SESSION_TEXT_LEN);
	CHECK(strcmp(cookie, s.csrf) != 0);
	CHECK(s.expires == NOW + 12 * 3600);
	CHECK(s.who.role == ROLE_MUNICIPALITY && s.who.token_id == token);

	CHECK(lookup(db, cookie, NOW + 60, &found) == SESSION_VALID);
	CHECK(found.id == s.id && found.who.role == ROLE_MUNICIPALITY);
	CHECK(found.who.token_id == token);
	CHECK_STR(found.who.area, "KU091");
	CHECK_STR(found.csrf, s.csrf);
	CHECK(found.expires == s.expires);

	/* the CSRF value, compared whole */
	CHECK(session_csrf_parse(s.csrf, csrf, &err) == 0);
	CHECK(session_csrf_matches(&found, csrf));
	csrf[31] ^= 1;
	CHECK(!session_csrf_matches(&found, csrf));

	/* stored as a hash only: the cookie's bytes are not in the row,
	 * and its hash is not the token hash of the same bytes */
	CHECK(session_csrf_parse(cookie, secret, &err) == 0);
	token_hash(secret, hash);
	CHECK(store_db_session_find(db, hash, &row) == 0);

	/* a second session of the ministry: its own, no area */
	CHECK(start(db, NULL, NOW, 1, &m, cookie2, NULL) > 0);
	CHECK(lookup(db, cookie2, NOW, &found) == SESSION_VALID);
	CHECK(found.who.role == ROLE_MINISTRY && found.who.area[0] == '\0');

	/* an unknown cookie */
	CHECK(lookup(db, V, NOW, &found) == SESSION_INVALID);
	CHECK(found.who.role == ROLE_PUBLIC && found.id == 0);

	/* nobody signs in without a token */
	CHECK(session_create(db, &nobody, NOW, 12, &found, cookie2, &err) ==
	      -1);
	fixture_db_remove(&fx, db);
}

static void
test_expiry(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_session");
	char cookie[SESSION_TEXT_SIZE];
	struct session s, found;
	size_t n = 0;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(start(db, "KU049", NOW, 2, &s, cookie, NULL) > 0);
	CHECK(lookup(db, cookie, NOW + 2 * 3600 - 1, &found) == SESSION_VALID);
	CHECK(lookup(db, cookie, NOW + 2 * 3600, &found) == SESSION_INVALID);
	CHECK(lookup(db, cookie, NOW + 30 * 86400, &found) == SESSION_INVALID);
	/* retention deletes it then, not before */
	CHECK(store_db_session_prune(db, NOW + 3600, &n) == 0 && n == 0);
	CHECK(lookup(db, cookie, NOW + 3600, &found) == SESSION_VALID);
	CHECK(store_db_session_prune(db, NOW + 2 * 3600, &n) == 0 && n == 1);
	CHECK(lookup(db, cookie, NOW, &found) == SESSION_INVALID);
	fixture_db_remove(&fx, db);
}

static void
test_revoke_and_end(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_session");
	char a[SESSION_TEXT_SIZE], b[SESSION_TEXT_SIZE], c[SESSION_TEXT_SIZE];
	struct session sa, sb, sc, found;
	struct principal who;
	struct error err = { 0 };
	long long token, other;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(start(db, "KU091", NOW, 12, &sa, a, &token) > 0);
	who = sa.who;
	CHECK(session_create(db, &who, NOW, 12, &sb, b, &err) == 0);
	CHECK(start(db, "KU049", NOW, 12, &sc, c, &other) > 0);
	CHECK(lookup(db, b, NOW, &found) == SESSION_VALID);

	/* revocation ends every session of the token at once, no other */
	CHECK(store_db_token_revoke(db, token, NOW + 10) == 1);
	CHECK(lookup(db, a, NOW + 11, &found) == SESSION_INVALID);
	CHECK(lookup(db, b, NOW + 11, &found) == SESSION_INVALID);
	CHECK(lookup(db, c, NOW + 11, &found) == SESSION_VALID);
	/* ... and a session started with it after is no good either */
	CHECK(session_create(db, &who, NOW + 20, 12, &sa, a, &err) == 0);
	CHECK(lookup(db, a, NOW + 21, &found) == SESSION_INVALID);

	/* sign-out: that session only, and again is harmless */
	CHECK(session_end(db, sc.id) == 0);
	CHECK(lookup(db, c, NOW + 30, &found) == SESSION_INVALID);
	CHECK(session_end(db, sc.id) == 0);
	fixture_db_remove(&fx, db);
}

static void
test_bounded_per_token(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_session");
	char first[SESSION_TEXT_SIZE], cookie[SESSION_TEXT_SIZE];
	char second[SESSION_TEXT_SIZE];
	struct session s, found;
	struct principal who;
	struct error err = { 0 };
	int i;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(start(db, "KU091", NOW, 12, &s, first, NULL) > 0);
	who = s.who;
	CHECK(session_create(db, &who, NOW, 12, &s, second, &err) == 0);
	for (i = 2; i < SESSION_MAX_PER_TOKEN; i++)
		CHECK(session_create(db, &who, NOW, 12, &s, cookie, &err) == 0);
	CHECK(lookup(db, first, NOW, &found) == SESSION_VALID);
	/* one more ends the oldest */
	CHECK(session_create(db, &who, NOW, 12, &s, cookie, &err) == 0);
	CHECK(lookup(db, first, NOW, &found) == SESSION_INVALID);
	CHECK(lookup(db, second, NOW, &found) == SESSION_VALID);
	CHECK(lookup(db, cookie, NOW, &found) == SESSION_VALID);
	fixture_db_remove(&fx, db);
}

int
main(void)
{
	RUN(test_format);
	RUN(test_cookie_parse);
	RUN(test_cookie_too_long);
	RUN(test_csrf_parse);
	RUN(test_create_and_find);
	RUN(test_expiry);
	RUN(test_revoke_and_end);
	RUN(test_bounded_per_token);
	return check_done();
}
