/*
 * cache.c: rendered answers by key, bounded by bytes, least recently used
 * first out (cache.h).
 *
 * A chained hash table finds entries; a doubly linked list orders them from
 * most to least recently used. One mutex guards both. An entry's cost is
 * its data, key and bookkeeping, so many small entries cannot pass the
 * bound either. Staleness needs no clock: an entry remembers the data
 * generation it was built at, and a lookup with another generation drops
 * it. Invariants: every entry is in exactly one bucket chain and in the
 * list; used_bytes is the sum of the entries' costs and never exceeds
 * max_bytes after a put returns.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "xmalloc.h"

#define MIN_BUCKETS 64
#define TYPE_MAX 64

struct entry {
	struct entry *next_in_bucket;
	struct entry *newer, *older; /* the LRU list */
	uint64_t hash;
	unsigned long generation;
	char *key;
	char *data;
	size_t len;
	size_t cost;
	char content_type[TYPE_MAX];
};

struct cache {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t n_buckets; /* a power of two */
	size_t n_entries;
	struct entry *newest, *oldest;
	size_t used_bytes, max_bytes;
};

static uint64_t
hash_key(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static size_t
entry_cost(size_t key_len, size_t data_len)
{
	return sizeof(struct entry) + key_len + 1 + data_len;
}

struct cache *
cache_new(size_t max_bytes)
{
	struct cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	c->n_buckets = MIN_BUCKETS;
	c->buckets = xcalloc(c->n_buckets, sizeof(*c->buckets));
	c->max_bytes = max_bytes;
	return c;
}

static void
entry_free(struct entry *e)
{
	free(e->key);
	free(e->data);
	free(e);
}

void
cache_free(struct cache *c)
{
	struct entry *e, *next;

	if (c == NULL)
		return;
	for (e = c->newest; e != NULL; e = next) {
		next = e->older;
		entry_free(e);
	}
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void
list_unlink(struct cache *c, struct entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
list_push_newest(struct cache *c, struct entry *e)
{
	e->newer = NULL;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	c->newest = e;
	if (c->oldest == NULL)
		c->oldest = e;
}

/* The slot that points at key's entry (or where it would go). */
static struct entry **
find_slot(struct cache *c, const char *key, uint64_t h)
{
	struct entry **p = &c->buckets[h & (c->n_buckets - 1)];

	while (*p != NULL && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
		p = &(*p)->next_in_bucket;
	return p;
}

/* Takes e out of the table and the list and frees it. */
static void
remove_entry(struct cache *c, struct entry **slot)
{
	struct entry *e = *slot;

	*slot = e->next_in_bucket;
	list_unlink(c, e);
	c->used_bytes -= e->cost;
	c->n_entries--;
	entry_free(e);
}

static void
grow(struct cache *c)
{
	size_t n = c->n_buckets * 2, i;
	struct entry **b = xcalloc(n, sizeof(*b));

	for (i = 0; i < c->n_buckets; i++) {
		struct entry *e = c->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next_in_bucket;
			e->next_in_bucket = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->n_buckets = n;
}

int
cache_get(struct cache *c, const char *key, unsigned long generation,
          char **out_data, size_t *out_len, char *out_type)
{
	uint64_t h = hash_key(key);
	struct entry **slot, *e;
	char *copy;
	int rc = -1;

	pthread_mutex_lock(&c->lock);
	slot = find_slot(c, key, h);
	e = *slot;
	if (e == NULL)
		goto out;
	if (e->generation != generation) {
		remove_entry(c, slot); /* new data since: never good again */
		goto out;
	}
	list_unlink(c, e);
	list_push_newest(c, e);
	copy = xmalloc(e->len + 1);
	memcpy(copy, e->data, e->len);
	copy[e->len] = '\0';
	*out_data = copy;
	*out_len = e->len;
	snprintf(out_type, TYPE_MAX, "%s", e->content_type);
	rc = 0;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
cache_put(struct cache *c, const char *key, unsigned long generation,
          const void *data, size_t len, const char *content_type)
{
	size_t key_len = strlen(key), cost = entry_cost(key_len, len);
	uint64_t h = hash_key(key);
	struct entry **slot, *e;

	if (cost > c->max_bytes)
		return; /* would push out everything and still not fit */
	/* built outside the lock: copying is the slow part */
	e = xcalloc(1, sizeof(*e));
	e->hash = h;
	e->generation = generation;
	e->key = xmalloc(key_len + 1);
	memcpy(e->key, key, key_len + 1);
	e->data = xmalloc(len + 1);
	if (len > 0)
		memcpy(e->data, data, len);
	e->data[len] = '\0';
	e->len = len;
	e->cost = cost;
	snprintf(e->content_type, sizeof(e->content_type), "%s",
	         content_type != NULL ? content_type : "");

	pthread_mutex_lock(&c->lock);
	slot = find_slot(c, key, h);
	if (*slot != NULL)
		remove_entry(c, slot);
	while (c->used_bytes + cost > c->max_bytes && c->oldest != NULL)
		remove_entry(c, find_slot(c, c->oldest->key, c->oldest->hash));
	if (c->n_entries + 1 > c->n_buckets)
		grow(c);
	slot = &c->buckets[h & (c->n_buckets - 1)];
	e->next_in_bucket = *slot;
	*slot = e;
	list_push_newest(c, e);
	c->used_bytes += cost;
	c->n_entries++;
	pthread_mutex_unlock(&c->lock);
}
