/*
 * ratelimit.h: token buckets by key (a client address, a token id) in a
 * table of fixed size, so memory stays bounded however many keys come.
 * The clock is the caller's (now_ms, monotonic), so tests need no sleeps.
 * Thread-safe.
 */
#ifndef KUNTAMON_RATELIMIT_H
#define KUNTAMON_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>

#define RATELIMIT_KEY_MAX 48 /* bytes of a key with its NUL; longer: cut */

struct ratelimit;

/* A table for about n_keys keys at once (at least 4). */
struct ratelimit *ratelimit_new(size_t n_keys);
/* NULL is a no-op. */
void ratelimit_free(struct ratelimit *rl);

/* Takes one unit from key's bucket, which holds at most burst units and
 * refills at per_minute units a minute; a key not seen before (or
 * forgotten) starts full. Returns whether there was a unit to take. */
bool ratelimit_take(struct ratelimit *rl, const char *key, double burst,
                    double per_minute, long long now_ms);

/* Whether key's bucket holds a unit now; takes nothing. */
bool ratelimit_peek(struct ratelimit *rl, const char *key, double burst,
                    double per_minute, long long now_ms);

#endif
