/*
 * token.c: API tokens: making them, reading them off a request, and
 * finding whose they are.
 *
 * Invariants:
 * - A token's text exists only in token_create's output and in requests;
 *   the database holds BLAKE2b-256(secret) and nothing from which the
 *   secret could be recovered.
 * - Text and secret correspond one to one: only the canonical base64url
 *   form of 32 bytes parses (the 2 spare bits of the last character are
 *   zero), so no two strings name the same token.
 * - Every authentication reads the database, so a revocation by
 *   kuntamonctl (another process) counts from the next request on.
 *
 * Why a fast hash: a token is 256 bits from the kernel's CSPRNG, not a
 * password. Nobody can guess one, so a slow, salted password hash (argon2)
 * would cost every request milliseconds and buy nothing; a preimage-
 * resistant hash is enough that a stolen database yields no token. The
 * hash is keyed with a fixed, public string only to keep these hashes
 * apart from any other BLAKE2b use; the key is not a secret.
 *
 * Constant time: the lookup itself goes through SQLite's index, whose
 * timing depends on the hash of what the client sent. That tells the
 * client nothing it could use (it would have to find a preimage), and the
 * match found is compared once more with sodium_memcmp.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "token.h"

_Static_assert(TOKEN_HASH_BYTES == DB_TOKEN_HASH_BYTES,
               "the database stores token hashes of this size");

#define HASH_CONTEXT "kuntamon token v1" /* public; see above */
#define BASE64_LEN (TOKEN_TEXT_LEN - (sizeof(TOKEN_PREFIX) - 1))
/* A last use older than this is written again; more often would make
 * every read a database write. */
#define TOUCH_EVERY_S 60

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
token_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void
token_format(const unsigned char *secret, char *out)
{
	size_t i, o = sizeof(TOKEN_PREFIX) - 1;
	unsigned long acc = 0;
	int bits = 0;

	memcpy(out, TOKEN_PREFIX, o);
	for (i = 0; i < TOKEN_SECRET_BYTES; i++) {
		acc = (acc << 8) | secret[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64url[(acc >> bits) & 63];
		}
	}
	if (bits > 0) /* 256 bits: 4 left, padded with 2 zero bits */
		out[o++] = b64url[(acc << (6 - bits)) & 63];
	out[o] = '\0';
}

/* The 6-bit value of a base64url character, -1 for anything else. */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
token_parse(const char *text, size_t len, unsigned char *out_secret,
            struct error *err)
{
	const size_t plen = sizeof(TOKEN_PREFIX) - 1;
	unsigned long acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	if (len != TOKEN_TEXT_LEN || memcmp(text, TOKEN_PREFIX, plen) != 0)
		return error_set(err, 0,
		                 "malformed token (expected km_ and 43 "
		                 "base64url characters)");
	for (i = plen; i < len; i++) {
		v = b64url_value((unsigned char)text[i]);
		if (v < 0)
			return error_set(err, 0,
			                 "malformed token (not base64url)");
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out_secret[o++] = (unsigned char)(acc >> bits);
		}
		acc &= (1UL << bits) - 1;
	}
	/* 43 characters carry 258 bits: the last 2 must be zero. */
	if (o != TOKEN_SECRET_BYTES || acc != 0)
		return error_set(err, 0, "malformed token (not canonical)");
	return 0;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
token_parse_authorization(const char *header, unsigned char *out_secret,
                          struct error *err)
{
	static const char scheme[] = "Bearer";
	const size_t slen = sizeof(scheme) - 1;
	size_t len = strnlen(header, TOKEN_HEADER_MAX + 1), i, start;

	if (len > TOKEN_HEADER_MAX)
		return error_set(err, 0, "Authorization header too long");
	i = 0;
	while (i < len && is_blank(header[i]))
		i++;
	if (len - i < slen || strncasecmp(header + i, scheme, slen) != 0 ||
	    (i + slen < len && header[i + slen] != ' '))
		return error_set(err, 0,
		                 "Authorization must be \"Bearer TOKEN\"");
	i += slen;
	if (i == len || header[i] != ' ')
		return error_set(err, 0, "Authorization has no token");
	while (i < len && header[i] == ' ')
		i++;
	start = i;
	while (i < len && !is_blank(header[i]))
		i++;
	if (i == start)
		return error_set(err, 0, "Authorization has no token");
	if (token_parse(header + start, i - start, out_secret, err) < 0)
		return -1;
	while (i < len && is_blank(header[i]))
		i++;
	if (i != len) /* a second word, or a NUL inside: not ours */
		return error_set(err, 0,
		                 "Authorization must be \"Bearer TOKEN\"");
	return 0;
}

void
token_hash(const unsigned char *secret, unsigned char *out_hash)
{
	crypto_generichash(
	    out_hash, TOKEN_HASH_BYTES, secret, TOKEN_SECRET_BYTES,
	    (const unsigned char *)HASH_CONTEXT, sizeof(HASH_CONTEXT) - 1);
}

const char *
token_role_name(enum role role)
{
	switch (role) {
	case ROLE_MUNICIPALITY:
		return "municipality";
	case ROLE_MINISTRY:
		return "ministry";
	case ROLE_PUBLIC:
		break;
	}
	return "public";
}

int
token_role_parse(const char *name, enum role *out)
{
	if (strcmp(name, "municipality") == 0)
		*out = ROLE_MUNICIPALITY;
	else if (strcmp(name, "ministry") == 0)
		*out = ROLE_MINISTRY;
	else
		return -1;
	return 0;
}

int
token_create(struct store_db *db, enum role role, const char *area, time_t now,
             long long *out_id, char *out_text, struct error *err)
{
	unsigned char secret[TOKEN_SECRET_BYTES], hash[TOKEN_HASH_BYTES];
	bool is_municipal = role == ROLE_MUNICIPALITY;
	int rc = -1;

	if (role == ROLE_PUBLIC ||
	    is_municipal != (area != NULL && area[0] != '\0')) {
		error_set(err, 0,
		          "a municipal token needs its municipality, "
		          "a ministry token none");
		goto out;
	}
	if (token_init() < 0) {
		error_set(err, 0, "libsodium cannot start (no entropy?)");
		goto out;
	}
	randombytes_buf(secret, sizeof(secret));
	token_hash(secret, hash);
	if (store_db_token_insert(db, token_role_name(role),
	                          is_municipal ? area : NULL, hash, now,
	                          out_id) < 0) {
		error_set(err, 0, "cannot store the token");
		goto out;
	}
	token_format(secret, out_text);
	rc = 0;
out:
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

enum token_result
token_authenticate(struct store_db *db, const unsigned char *secret, time_t now,
                   struct principal *out)
{
	unsigned char hash[TOKEN_HASH_BYTES];
	struct db_token t;
	enum role role;
	int found;

	memset(out, 0, sizeof(*out));
	out->role = ROLE_PUBLIC;
	token_hash(secret, hash);
	found = store_db_token_find(db, hash, &t);
	if (found < 0)
		return TOKEN_ERROR;
	if (found == 0 || sodium_memcmp(hash, t.hash, sizeof(hash)) != 0 ||
	    t.revoked != 0 || token_role_parse(t.role, &role) < 0 ||
	    (role == ROLE_MUNICIPALITY && t.area[0] == '\0'))
		return TOKEN_INVALID;
	out->role = role;
	out->token_id = t.id;
	if (role == ROLE_MUNICIPALITY)
		snprintf(out->area, sizeof(out->area), "%s", t.area);
	/* Best effort: a busy database must not turn a good token away. */
	if (now - t.last_used >= TOUCH_EVERY_S)
		store_db_token_touch(db, t.id, now);
	return TOKEN_VALID;
}
