/*
 * ratelimit.c: token buckets in a set-associative table.
 *
 * A key hashes to one set of WAYS entries. A bucket that has refilled
 * completely is the same as no entry, so it may be dropped at any time;
 * when a set holds only partly empty buckets, the least recently used one
 * is dropped and that key starts full again. Only someone with more keys
 * than the table holds (thousands of addresses) gains by that, and such a
 * client has other ways round a per-address limit anyway.
 *
 * Times only move forward here: a now_ms older than an entry's last refill
 * refills nothing rather than draining the bucket.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "xmalloc.h"

#define WAYS 4

struct entry {
	char key[RATELIMIT_KEY_MAX]; /* "" : free */
	double units;
	long long last_ms; /* when units was last brought up to date */
	long long used_ms; /* when the key was last asked about */
};

struct ratelimit {
	pthread_mutex_t lock;
	size_t n_sets;         /* a power of two */
	struct entry *entries; /* [n_sets * WAYS] */
};

struct ratelimit *
ratelimit_new(size_t n_keys)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	rl->n_sets = 1;
	while (rl->n_sets * WAYS < n_keys)
		rl->n_sets *= 2;
	rl->entries = xcalloc(rl->n_sets * WAYS, sizeof(*rl->entries));
	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->entries);
	free(rl);
}

static uint64_t
hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*key != '\0') {
		h ^= (unsigned char)*key++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Brings e's units up to now. */
static void
refill(struct entry *e, double burst, double per_minute, long long now_ms)
{
	if (now_ms > e->last_ms) {
		e->units +=
		    (double)(now_ms - e->last_ms) * per_minute / 60000.0;
		e->last_ms = now_ms;
	}
	if (e->units > burst)
		e->units = burst;
}

/* key's entry, refilled; NULL if it has none and !create. */
static struct entry *
find(struct ratelimit *rl, const char *key, double burst, double per_minute,
     long long now_ms, bool create)
{
	char k[RATELIMIT_KEY_MAX];
	struct entry *set, *victim = NULL;
	size_t i;

	snprintf(k, sizeof(k), "%s", key);
	set = &rl->entries[(hash(k) & (rl->n_sets - 1)) * WAYS];
	for (i = 0; i < WAYS; i++) {
		if (set[i].key[0] != '\0' && strcmp(set[i].key, k) == 0) {
			refill(&set[i], burst, per_minute, now_ms);
			if (now_ms > set[i].used_ms)
				set[i].used_ms = now_ms;
			return &set[i];
		}
	}
	if (!create)
		return NULL;
	for (i = 0; i < WAYS; i++) {
		struct entry *e = &set[i];

		if (e->key[0] != '\0')
			refill(e, burst, per_minute, now_ms);
		if (e->key[0] == '\0' || e->units >= burst) {
			victim = e; /* free, or as good as */
			break;
		}
		if (victim == NULL || e->used_ms < victim->used_ms)
			victim = e;
	}
	snprintf(victim->key, sizeof(victim->key), "%s", k);
	victim->units = burst;
	victim->last_ms = now_ms;
	victim->used_ms = now_ms;
	return victim;
}

bool
ratelimit_take(struct ratelimit *rl, const char *key, double burst,
               double per_minute, long long now_ms)
{
	struct entry *e;
	bool ok;

	pthread_mutex_lock(&rl->lock);
	e = find(rl, key, burst, per_minute, now_ms, true);
	ok = e->units >= 1.0;
	if (ok)
		e->units -= 1.0;
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

bool
ratelimit_peek(struct ratelimit *rl, const char *key, double burst,
               double per_minute, long long now_ms)
{
	struct entry *e;
	bool ok;

	pthread_mutex_lock(&rl->lock);
	e = find(rl, key, burst, per_minute, now_ms, false);
	ok = e == NULL || e->units >= 1.0;
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
