/*
 * token.h: API tokens (SPEC §7): 32 random bytes, shown once as text
 * "km_" + 43 base64url characters, stored only as a hash, looked up by that
 * hash and compared in constant time, revocable.
 *
 * The parsers (token_parse, token_parse_authorization) are pure. The rest
 * uses libsodium (randomness, BLAKE2b, constant-time comparison) and the
 * database; this is the only file that includes <sodium.h>.
 */
#ifndef KUNTAMON_TOKEN_H
#define KUNTAMON_TOKEN_H

#include <stddef.h>
#include <time.h>

#include "access.h"
#include "error.h"
#include "store_db.h"

#define TOKEN_SECRET_BYTES 32
#define TOKEN_HASH_BYTES 32
#define TOKEN_PREFIX "km_"
#define TOKEN_TEXT_LEN 46 /* "km_" + 43 base64url characters, no padding */
#define TOKEN_TEXT_SIZE (TOKEN_TEXT_LEN + 1)
/* An Authorization header longer than this is refused unread. */
#define TOKEN_HEADER_MAX 256

enum token_result {
	TOKEN_VALID,
	TOKEN_INVALID, /* unknown or revoked: the client's fault, 401 */
	TOKEN_ERROR,   /* the database failed: ours, 503 */
};

/* Initialises libsodium; idempotent and thread-safe. -1 if it cannot
 * (no entropy source). token_create calls it itself. */
int token_init(void);

/* Writes secret as "km_..." (TOKEN_TEXT_LEN characters and a NUL). */
void token_format(const unsigned char *secret, char *out);

/* Parses a token's text (len bytes, exactly TOKEN_TEXT_LEN, canonical
 * base64url) into its TOKEN_SECRET_BYTES bytes. Pure; -1 with err. */
int token_parse(const char *text, size_t len, unsigned char *out_secret,
                struct error *err);

/* Parses an Authorization header value: "Bearer" (any case), one or more
 * spaces, a token, optional trailing blanks, nothing else. Pure; -1 with
 * err (the message never echoes the header). */
int token_parse_authorization(const char *header, unsigned char *out_secret,
                              struct error *err);

/* The hash stored for a secret (BLAKE2b-256; see token.c for why). */
void token_hash(const unsigned char *secret, unsigned char *out_hash);

/* "municipality" / "ministry" (stored in the database), and back. */
const char *token_role_name(enum role role);
int token_role_parse(const char *name, enum role *out);

/* Makes a token for area (a municipality; NULL or "" for ROLE_MINISTRY),
 * stores its hash and writes its text to out_text (TOKEN_TEXT_SIZE bytes):
 * the only time the text exists. -1 with err. */
int token_create(struct store_db *db, enum role role, const char *area,
                 time_t now, long long *out_id, char *out_text,
                 struct error *err);

/* Who secret belongs to, looked up in the database on every call (so a
 * revocation by another process counts at once); notes the use at most
 * once a minute. Thread-safe. */
enum token_result token_authenticate(struct store_db *db,
                                     const unsigned char *secret, time_t now,
                                     struct principal *out);

#endif
