/*
 * session.c: browser sessions: reading the cookie and the CSRF header
 * off a request, starting a session at sign-in, and finding whose it is.
 *
 * Invariants:
 * - A cookie's secret exists only in session_create's output, the
 *   browser and requests; the database holds BLAKE2b-256(secret), keyed
 *   apart from token hashes, as token.c argues for tokens (256 random
 *   bits need no slow hash).
 * - Every lookup reads the session with its token, so a revocation by
 *   kuntamonctl (another process) ends its sessions from the next
 *   request on, even before their rows are deleted.
 * - The CSRF value is stored as it is given: it is no credential alone
 *   (without the cookie it opens nothing), and the page must be able to
 *   ask for it again after a reload (GET /api/v1/session). It defends the
 *   writes against cross-site requests, which carry the cookie but cannot
 *   read the value or set the header.
 * - Only the canonical base64url form of 32 bytes parses, so no two
 *   strings name the same session.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "session.h"
#include "token.h"

_Static_assert(SESSION_CSRF_BYTES == DB_SESSION_CSRF_BYTES,
               "the database stores CSRF values of this size");
_Static_assert(SESSION_SECRET_BYTES == TOKEN_SECRET_BYTES,
               "a session's hash is stored where a token's would be");

#define HASH_CONTEXT "kuntamon session v1" /* public; see token.c */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Decodes exactly SESSION_TEXT_LEN canonical base64url characters into
 * 32 bytes; -1 for anything else (libsodium refuses non-zero spare
 * bits). */
static int
decode(const char *text, size_t len, unsigned char *out)
{
	const char *end = NULL;
	size_t i, n = 0;

	if (len != SESSION_TEXT_LEN)
		return -1;
	for (i = 0; i < len; i++)
		if (!is_b64url(text[i]))
			return -1;
	if (sodium_base642bin(out, SESSION_SECRET_BYTES, text, len, NULL, &n,
	                      &end,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != SESSION_SECRET_BYTES || end != text + len)
		return -1;
	return 0;
}

void
session_format(const unsigned char *bytes, char *out)
{
	sodium_bin2base64(out, SESSION_TEXT_SIZE, bytes, SESSION_SECRET_BYTES,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
session_cookie_parse(const char *header, unsigned char *out_secret,
                     struct error *err)
{
	static const char name[] = SESSION_COOKIE_NAME;
	const size_t nlen = sizeof(name) - 1;
	unsigned char secret[SESSION_SECRET_BYTES];
	size_t len, i = 0, start, end, eq, vs, ve;
	int found = 0;

	if (header == NULL)
		return 0;
	len = strnlen(header, SESSION_COOKIE_HEADER_MAX + 1);
	if (len > SESSION_COOKIE_HEADER_MAX)
		return error_set(err, 0, "Cookie header too long");
	while (i < len) {
		while (i < len && (is_blank(header[i]) || header[i] == ';'))
			i++;
		start = i;
		while (i < len && header[i] != ';')
			i++;
		end = i; /* the pair is header[start .. end) */
		for (eq = start; eq < end && header[eq] != '='; eq++)
			;
		if (eq == end)
			continue; /* no '=': not a cookie we can read */
		vs = eq;
		while (vs > start && is_blank(header[vs - 1]))
			vs--;
		if (vs - start != nlen || memcmp(header + start, name, nlen))
			continue; /* another cookie: none of ours */
		vs = eq + 1;
		ve = end;
		while (vs < ve && is_blank(header[vs]))
			vs++;
		while (ve > vs && is_blank(header[ve - 1]))
			ve--;
		if (ve - vs >= 2 && header[vs] == '"' &&
		    header[ve - 1] == '"') {
			vs++;
			ve--;
		}
		if (ve == vs)
			continue; /* emptied, as sign-out leaves it */
		if (decode(header + vs, ve - vs, secret) < 0) {
			sodium_memzero(secret, sizeof(secret));
			return error_set(err, 0,
			                 "malformed session cookie; sign in "
			                 "again");
		}
		if (found && sodium_memcmp(secret, out_secret,
		                           SESSION_SECRET_BYTES) != 0) {
			sodium_memzero(secret, sizeof(secret));
			return error_set(err, 0,
			                 "two different session cookies; sign "
			                 "in again");
		}
		memcpy(out_secret, secret, SESSION_SECRET_BYTES);
		found = 1;
	}
	sodium_memzero(secret, sizeof(secret));
	return found;
}

int
session_csrf_parse(const char *header, unsigned char *out_csrf,
                   struct error *err)
{
	size_t len, i = 0, end;

	len = strnlen(header, SESSION_CSRF_HEADER_MAX + 1);
	if (len > SESSION_CSRF_HEADER_MAX)
		return error_set(err, 0, SESSION_CSRF_HEADER " too long");
	while (i < len && is_blank(header[i]))
		i++;
	end = len;
	while (end > i && is_blank(header[end - 1]))
		end--;
	if (decode(header + i, end - i, out_csrf) < 0)
		return error_set(err, 0,
		                 "malformed " SESSION_CSRF_HEADER
		                 " (expected the 43 characters given at "
		                 "sign-in)");
	return 0;
}

static void
hash_secret(const unsigned char *secret, unsigned char *out_hash)
{
	crypto_generichash(
	    out_hash, DB_TOKEN_HASH_BYTES, secret, SESSION_SECRET_BYTES,
	    (const unsigned char *)HASH_CONTEXT, sizeof(HASH_CONTEXT) - 1);
}

int
session_create(struct store_db *db, const struct principal *who, time_t now,
               int hours, struct session *out, char *out_cookie,
               struct error *err)
{
	unsigned char secret[SESSION_SECRET_BYTES];
	struct db_session row;
	int rc = -1;

	memset(&row, 0, sizeof(row));
	memset(out, 0, sizeof(*out));
	if (who->role == ROLE_PUBLIC || who->token_id <= 0 || hours <= 0) {
		error_set(err, 0, "a session needs a valid token");
		goto out;
	}
	if (token_init() < 0) {
		error_set(err, 0, "libsodium cannot start (no entropy?)");
		goto out;
	}
	randombytes_buf(secret, sizeof(secret));
	randombytes_buf(row.csrf, sizeof(row.csrf));
	hash_secret(secret, row.hash);
	row.token_id = who->token_id;
	row.created = now;
	row.expires = now + (time_t)hours * 3600;
	if (store_db_session_insert(db, &row, SESSION_MAX_PER_TOKEN, &out->id) <
	    0) {
		error_set(err, 0, "cannot store the session");
		goto out;
	}
	out->who = *who;
	out->expires = row.expires;
	session_format(row.csrf, out->csrf);
	session_format(secret, out_cookie);
	rc = 0;
out:
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

enum session_result
session_authenticate(struct store_db *db, const unsigned char *secret,
                     time_t now, struct session *out)
{
	unsigned char hash[DB_TOKEN_HASH_BYTES];
	struct db_session row;
	enum role role;
	int found;

	memset(out, 0, sizeof(*out));
	out->who.role = ROLE_PUBLIC;
	hash_secret(secret, hash);
	found = store_db_session_find(db, hash, &row);
	if (found < 0)
		return SESSION_ERROR;
	if (found == 0 || sodium_memcmp(hash, row.hash, sizeof(hash)) != 0 ||
	    row.revoked != 0 || now >= row.expires ||
	    token_role_parse(row.role, &role) < 0 ||
	    (role == ROLE_MUNICIPALITY && row.area[0] == '\0'))
		return SESSION_INVALID;
	out->id = row.id;
	out->who.role = role;
	out->who.token_id = row.token_id;
	if (role == ROLE_MUNICIPALITY)
		snprintf(out->who.area, sizeof(out->who.area), "%s", row.area);
	out->expires = row.expires;
	session_format(row.csrf, out->csrf);
	return SESSION_VALID;
}

bool
session_csrf_matches(const struct session *s, const unsigned char *csrf)
{
	char text[SESSION_TEXT_SIZE];

	session_format(csrf, text);
	return s->csrf[0] != '\0' &&
	       sodium_memcmp(text, s->csrf, SESSION_TEXT_LEN) == 0;
}

int
session_end(struct store_db *db, long long id)
{
	return store_db_session_delete(db, id) < 0 ? -1 : 0;
}
