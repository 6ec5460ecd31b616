/*
 * test_token.c: token text and Authorization parsing (table-driven), and
 * tokens against a real SQLite database in a temporary folder: created,
 * found, revoked, stored only as a hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store_db.h"
#include "token.h"
#include "fixture.h"

#define NOW ((time_t)1794744000)

static struct fixture_db fx;

static void
test_format_known(void)
{
	unsigned char zero[TOKEN_SECRET_BYTES] = { 0 },
	              ones[TOKEN_SECRET_BYTES];
	unsigned char back[TOKEN_SECRET_BYTES];
	char text[TOKEN_TEXT_SIZE], want[TOKEN_TEXT_SIZE];
	struct error err = { 0 };

	token_format(zero, text);
	snprintf(want, sizeof(want), "km_%s",
	         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	CHECK_STR(text, want);
	CHECK(strlen(text) == TOKEN_TEXT_LEN);

	/* 42 characters of six 1 bits, then 1111 and two zero bits: '8'. */
	memset(ones, 0xff, sizeof(ones));
	token_format(ones, text);
	snprintf(want, sizeof(want), "km_%s8",
	         "__________________________________________");
	CHECK_STR(text, want);
	CHECK(token_parse(text, strlen(text), back, &err) == 0);
	CHECK(memcmp(back, ones, sizeof(ones)) == 0);
}

static void
test_roundtrip(void)
{
	unsigned char secret[TOKEN_SECRET_BYTES], back[TOKEN_SECRET_BYTES];
	char text[TOKEN_TEXT_SIZE];
	struct error err = { 0 };
	int i, n_bad = 0;
	size_t k;

	srand(7);
	for (i = 0; i < 1000; i++) {
		for (k = 0; k < sizeof(secret); k++)
			secret[k] = (unsigned char)rand();
		token_format(secret, text);
		if (strlen(text) != TOKEN_TEXT_LEN ||
		    strncmp(text, "km_", 3) != 0 ||
		    token_parse(text, strlen(text), back, &err) != 0 ||
		    memcmp(back, secret, sizeof(secret)) != 0)
			n_bad++;
	}
	CHECK(n_bad == 0);
}

static void
test_parse_refuses(void)
{
	static const char good[] =
	    "km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	static const char *const bad[] = {
		"",
		"km_",
		/* one character short and one too many */
		"km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* wrong prefix */
		"kx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"KM_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* standard base64, padding, and a space */
		"km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
		"km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
		"km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"km_AAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA",
		/* the last character's two spare bits set: not canonical */
		"km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
		"km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_",
	};
	unsigned char out[TOKEN_SECRET_BYTES];
	struct error err;
	size_t i;

	memset(&err, 0, sizeof(err));
	CHECK(token_parse(good, strlen(good), out, &err) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (token_parse(bad[i], strlen(bad[i]), out, &err) != -1 ||
		    err.msg[0] == '\0') {
			fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
	/* A NUL inside is not the end of the text. */
	{
		char with_nul[TOKEN_TEXT_SIZE];

		memcpy(with_nul, good, sizeof(with_nul));
		with_nul[10] = '\0';
		CHECK(token_parse(with_nul, TOKEN_TEXT_LEN, out, &err) == -1);
	}
}

static void
test_authorization(void)
{
	static const char t[] =
	    "km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	/* pre, then the token n_tokens times, then post */
	struct {
		const char *pre;
		int n_tokens;
		const char *post;
		int want;
	} cases[] = {
		{ "Bearer ", 1, "", 0 },
		{ "bearer ", 1, "", 0 },
		{ "BEARER ", 1, "", 0 },
		{ "Bearer   ", 1, "", 0 },
		{ " Bearer ", 1, "", 0 },
		{ "Bearer ", 1, " ", 0 },
		{ "Bearer ", 1, "\t", 0 },
		{ "", 0, "", -1 },
		{ " ", 0, "", -1 },
		{ "Bearer", 0, "", -1 },
		{ "Bearer ", 0, "", -1 },
		{ "Bearer   ", 0, "", -1 },
		{ "", 1, "", -1 },
		{ "Basic ", 1, "", -1 },
		{ "Bearer", 1, "", -1 },
		{ "Bearer\t", 1, "", -1 },
		{ "Bearer ", 1, " x", -1 },
		{ "Bearer ", 1, ",", -1 },
		{ "Bearer ", 2, "", -1 },
		{ "Bearer \"", 1, "\"", -1 },
		{ "Bearer ", 1, "\r\n", -1 },
		{ "Token ", 1, "", -1 },
		{ "Bearer: ", 1, "", -1 },
	};
	unsigned char out[TOKEN_SECRET_BYTES];
	char header[512], long_header[TOKEN_HEADER_MAX + 64];
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(header, sizeof(header), "%s%s%s%s", cases[i].pre,
		         cases[i].n_tokens > 0 ? t : "",
		         cases[i].n_tokens > 1 ? t : "", cases[i].post);
		memset(&err, 0, sizeof(err));
		if (token_parse_authorization(header, out, &err) !=
		        cases[i].want ||
		    (cases[i].want < 0 && err.msg[0] == '\0')) {
			fprintf(stderr, "case \"%s\": %s\n", header, err.msg);
			CHECK(0);
		}
		/* Messages never echo what was sent. */
		CHECK(strstr(err.msg, "km_A") == NULL);
	}
	/* Leading blanks past the limit: refused unread. */
	memset(long_header, ' ', sizeof(long_header));
	snprintf(long_header + sizeof(long_header) - 60, 60, "Bearer %s", t);
	CHECK(token_parse_authorization(long_header, out, &err) == -1);
	CHECK(strstr(err.msg, "too long") != NULL);
}

static void
test_hash(void)
{
	unsigned char a[TOKEN_SECRET_BYTES] = { 1 },
	              b[TOKEN_SECRET_BYTES] = { 2 };
	unsigned char ha[TOKEN_HASH_BYTES], ha2[TOKEN_HASH_BYTES];
	unsigned char hb[TOKEN_HASH_BYTES];

	token_hash(a, ha);
	token_hash(a, ha2);
	token_hash(b, hb);
	CHECK(memcmp(ha, ha2, sizeof(ha)) == 0);
	CHECK(memcmp(ha, hb, sizeof(ha)) != 0);
	CHECK(memcmp(ha, a, sizeof(ha)) != 0);
}

static void
test_roles(void)
{
	enum role r = ROLE_PUBLIC;

	CHECK_STR(token_role_name(ROLE_MUNICIPALITY), "municipality");
	CHECK_STR(token_role_name(ROLE_MINISTRY), "ministry");
	CHECK(token_role_parse("ministry", &r) == 0 && r == ROLE_MINISTRY);
	CHECK(token_role_parse("municipality", &r) == 0 &&
	      r == ROLE_MUNICIPALITY);
	CHECK(token_role_parse("public", &r) == -1);
	CHECK(token_role_parse("Ministry", &r) == -1);
}

struct seen {
	struct db_token rows[8];
	size_t n;
};

static int
collect(void *ctx, const struct db_token *t)
{
	struct seen *s = ctx;

	if (s->n < 8)
		s->rows[s->n++] = *t;
	return 0;
}

/* Whether the database file holds the bytes of s. */
static int
file_holds(const char *path, const void *s, size_t n)
{
	FILE *f = fopen(path, "rb");
	static char data[1 << 20];
	size_t len;

	if (f == NULL)
		return -1;
	len = fread(data, 1, sizeof(data), f);
	fclose(f);
	return memmem(data, len, s, n) != NULL;
}

static void
test_create_authenticate_revoke(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_token");
	char text[TOKEN_TEXT_SIZE], text2[TOKEN_TEXT_SIZE];
	char wal_path[160];
	unsigned char secret[TOKEN_SECRET_BYTES], hash[TOKEN_HASH_BYTES];
	struct principal who;
	struct error err = { 0 };
	struct seen seen = { 0 };
	long long id = 0, id2 = 0;

	if (db == NULL) {
		CHECK(0);
		return;
	}
	CHECK(token_create(db, ROLE_MUNICIPALITY, "KU091", NOW, &id, text,
	                   &err) == 0);
	CHECK(id == 1);
	CHECK(token_create(db, ROLE_MINISTRY, NULL, NOW + 1, &id2, text2,
	                   &err) == 0);
	CHECK(id2 == 2);
	CHECK(strcmp(text, text2) != 0);
	/* Wrong combinations make nothing. */
	CHECK(token_create(db, ROLE_MUNICIPALITY, "", NOW, &id, text2, &err) ==
	      -1);
	CHECK(token_create(db, ROLE_MINISTRY, "KU091", NOW, &id, text2, &err) ==
	      -1);
	CHECK(token_create(db, ROLE_PUBLIC, NULL, NOW, &id, text2, &err) == -1);

	CHECK(token_parse(text, strlen(text), secret, &err) == 0);
	CHECK(token_authenticate(db, secret, NOW + 5, &who) == TOKEN_VALID);
	CHECK(who.role == ROLE_MUNICIPALITY);
	CHECK(who.token_id == 1);
	CHECK_STR(who.area, "KU091");

	CHECK(store_db_each_token(db, collect, &seen) == 0);
	CHECK(seen.n == 2);
	token_hash(secret, hash);
	CHECK(memcmp(seen.rows[0].hash, hash, sizeof(hash)) == 0);
	CHECK_STR(seen.rows[0].role, "municipality");
	CHECK_STR(seen.rows[0].area, "KU091");
	CHECK(seen.rows[0].created == NOW);
	CHECK(seen.rows[0].last_used == NOW + 5);
	CHECK(seen.rows[0].revoked == 0);
	CHECK_STR(seen.rows[1].role, "ministry");
	CHECK_STR(seen.rows[1].area, "");

	/* Last use is written at most once a minute. */
	CHECK(token_authenticate(db, secret, NOW + 30, &who) == TOKEN_VALID);
	seen.n = 0;
	store_db_each_token(db, collect, &seen);
	CHECK(seen.rows[0].last_used == NOW + 5);
	CHECK(token_authenticate(db, secret, NOW + 65, &who) == TOKEN_VALID);
	seen.n = 0;
	store_db_each_token(db, collect, &seen);
	CHECK(seen.rows[0].last_used == NOW + 65);

	CHECK(token_parse(text2, strlen(text2), secret, &err) == 0);
	CHECK(token_authenticate(db, secret, NOW, &who) == TOKEN_VALID);
	CHECK(who.role == ROLE_MINISTRY && who.token_id == 2);
	CHECK_STR(who.area, "");

	/* An unknown token. */
	memset(secret, 0x5a, sizeof(secret));
	CHECK(token_authenticate(db, secret, NOW, &who) == TOKEN_INVALID);
	CHECK(who.role == ROLE_PUBLIC && who.token_id == 0);

	/* Revoked: refused from the next call on; revoking twice changes
	 * nothing; no such token. */
	CHECK(store_db_token_revoke(db, 1, NOW + 100) == 1);
	CHECK(token_parse(text, strlen(text), secret, &err) == 0);
	CHECK(token_authenticate(db, secret, NOW + 101, &who) == TOKEN_INVALID);
	CHECK(who.role == ROLE_PUBLIC);
	CHECK(store_db_token_revoke(db, 1, NOW + 200) == 0);
	CHECK(store_db_token_revoke(db, 99, NOW + 200) == 0);
	seen.n = 0;
	store_db_each_token(db, collect, &seen);
	CHECK(seen.rows[0].revoked == NOW + 100);
	CHECK(seen.rows[1].revoked == 0);

	/* Only the hash is stored: neither the text nor the secret is in the
	 * database or its log. */
	snprintf(wal_path, sizeof(wal_path), "%s-wal", fx.path);
	CHECK(file_holds(fx.path, text, strlen(text)) != 1);
	CHECK(file_holds(wal_path, text, strlen(text)) != 1);
	CHECK(file_holds(wal_path, secret, sizeof(secret)) != 1);
	token_hash(secret, hash);
	CHECK(file_holds(fx.path, hash, sizeof(hash)) == 1 ||
	      file_holds(wal_path, hash, sizeof(hash)) == 1);

	fixture_db_remove(&fx, db);
}

static void
test_audit_rows(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_token");
	struct db_audit a = {
		NOW, 0, "127.0.0.1", NULL, "unauthorized", "401 x"
	};
	char text[TOKEN_TEXT_SIZE];
	struct error err = { 0 };
	long long id = 0;

	if (db == NULL) {
		CHECK(0);
		return;
	}
	CHECK(store_db_audit(db, &a) == 0);
	CHECK(token_create(db, ROLE_MUNICIPALITY, "KU091", NOW, &id, text,
	                   &err) == 0);
	a.token_id = id;
	a.area = "KU091";
	a.outcome = "accepted";
	CHECK(store_db_audit(db, &a) == 0);
	/* A token id that does not exist breaks the foreign key. */
	a.token_id = 999;
	CHECK(store_db_audit(db, &a) == -1);
	fixture_db_remove(&fx, db);
}

int
main(void)
{
	RUN(test_format_known);
	RUN(test_roundtrip);
	RUN(test_parse_refuses);
	RUN(test_authorization);
	RUN(test_hash);
	RUN(test_roles);
	RUN(test_create_authenticate_revoke);
	RUN(test_audit_rows);
	return check_done();
}
