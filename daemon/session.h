/*
 * session.h: browser sessions (SPEC §8). A token signs in once; the
 * browser then holds a cookie "kuntamon_session=" + 43 base64url
 * characters (32 random bytes) and acts as the token's principal until
 * [server] session_hours pass, it signs out, or the token is revoked.
 * Every request with the cookie that changes state also carries the
 * session's CSRF value (32 random bytes, base64url) in X-CSRF-Token.
 *
 * The parsers (session_cookie_parse, session_csrf_parse) are pure. The
 * rest uses libsodium and the database; with token.c the only file that
 * includes <sodium.h>.
 */
#ifndef KUNTAMON_SESSION_H
#define KUNTAMON_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "access.h"
#include "error.h"
#include "store_db.h"

#define SESSION_COOKIE_NAME "kuntamon_session"
#define SESSION_SECRET_BYTES 32
#define SESSION_CSRF_BYTES 32
#define SESSION_TEXT_LEN 43 /* base64url of 32 bytes, no padding */
#define SESSION_TEXT_SIZE (SESSION_TEXT_LEN + 1)
#define SESSION_CSRF_HEADER "X-CSRF-Token"
/* A Cookie header longer than this is not read (browsers keep a site's
 * cookies under 4 KiB each; ours is 60 bytes). */
#define SESSION_COOKIE_HEADER_MAX 8192
/* An X-CSRF-Token header longer than this is refused unread. */
#define SESSION_CSRF_HEADER_MAX 256
/* Sessions one token keeps at once; signing in past them ends the
 * oldest, so the table stays bounded however often a token signs in. */
#define SESSION_MAX_PER_TOKEN 64

enum session_result {
	SESSION_VALID,
	SESSION_INVALID, /* unknown, expired, or its token revoked */
	SESSION_ERROR,   /* the database failed: 503 */
};

/* A valid session: who it acts as, and what the page needs. */
struct session {
	long long id;
	struct principal who;
	time_t expires;
	char csrf[SESSION_TEXT_SIZE]; /* base64url text */
};

/* Reads the session cookie from a Cookie header: pairs "name=value"
 * split on ';', blanks around each ignored, a value in double quotes
 * taken without them; other cookies are skipped whatever they hold.
 * 1 with *out_secret filled; 0 if there is no session cookie; -1 with err
 * if the header is too long, or the session cookie is malformed or comes
 * twice with different values. Pure. */
int session_cookie_parse(const char *header, unsigned char *out_secret,
                         struct error *err);

/* Parses an X-CSRF-Token header value: blanks, 43 canonical base64url
 * characters, blanks. Pure; -1 with err (never echoing the value). */
int session_csrf_parse(const char *header, unsigned char *out_csrf,
                       struct error *err);

/* Writes 32 bytes as 43 base64url characters and a NUL. */
void session_format(const unsigned char *bytes, char *out);

/* Starts a session for who (a valid token's principal) at now, lasting
 * hours: stores the hash of a new secret with a new CSRF value, fills
 * *out and writes the cookie's value (SESSION_TEXT_SIZE bytes) to
 * out_cookie: the only time it exists outside the browser. -1 with err. */
int session_create(struct store_db *db, const struct principal *who, time_t now,
                   int hours, struct session *out, char *out_cookie,
                   struct error *err);

/* The session of the cookie secret, read from the database on every call
 * (its token with it, so a revocation counts at once). Thread-safe. */
enum session_result session_authenticate(struct store_db *db,
                                         const unsigned char *secret,
                                         time_t now, struct session *out);

/* Whether csrf (SESSION_CSRF_BYTES) is s's, in constant time. */
bool session_csrf_matches(const struct session *s, const unsigned char *csrf);

/* Ends session id: 0 (also if it was gone already), -1 on error. */
int session_end(struct store_db *db, long long id);

#endif
