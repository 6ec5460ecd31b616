/*
 * test_cache.c: the answer cache: hits and misses, staleness by
 * generation, the byte bound with least recently used entries going
 * first, and a few threads hammering it at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "check.h"

static int
get_text(struct cache *c, const char *key, unsigned long gen, char *out,
         size_t size, char *type)
{
	char *data = NULL;
	size_t len = 0;

	if (cache_get(c, key, gen, &data, &len, type) < 0)
		return -1;
	snprintf(out, size, "%.*s", (int)len, data);
	free(data);
	return (int)len;
}

static void
test_hit_and_miss(void)
{
	struct cache *c = cache_new(1 << 20);
	char text[64], type[64];

	CHECK(get_text(c, "a", 1, text, sizeof(text), type) == -1);
	cache_put(c, "a", 1, "hello", 5, "text/plain");
	cache_put(c, "b", 1, "world!", 6, "application/json");
	CHECK(get_text(c, "a", 1, text, sizeof(text), type) == 5);
	CHECK_STR(text, "hello");
	CHECK_STR(type, "text/plain");
	CHECK(get_text(c, "b", 1, text, sizeof(text), type) == 6);
	CHECK_STR(text, "world!");
	CHECK_STR(type, "application/json");
	CHECK(get_text(c, "c", 1, text, sizeof(text), type) == -1);
	CHECK(get_text(c, "", 1, text, sizeof(text), type) == -1);
	/* a key that is a prefix of another is another key */
	CHECK(get_text(c, "aa", 1, text, sizeof(text), type) == -1);
	/* replacing */
	cache_put(c, "a", 1, "bye", 3, "text/csv");
	CHECK(get_text(c, "a", 1, text, sizeof(text), type) == 3);
	CHECK_STR(text, "bye");
	CHECK_STR(type, "text/csv");
	/* empty data is an answer too */
	cache_put(c, "empty", 7, "", 0, "text/plain");
	CHECK(get_text(c, "empty", 7, text, sizeof(text), type) == 0);
	CHECK_STR(text, "");
	cache_free(c);
	cache_free(NULL);
}

static void
test_binary_data(void)
{
	struct cache *c = cache_new(1 << 20);
	const char bytes[] = { 'x', '\0', 'y', '\n', '\0' };
	char *data = NULL, type[64];
	size_t len = 0;

	cache_put(c, "png", 3, bytes, sizeof(bytes), "image/png");
	CHECK(cache_get(c, "png", 3, &data, &len, type) == 0);
	CHECK(len == sizeof(bytes));
	CHECK(data != NULL && memcmp(data, bytes, sizeof(bytes)) == 0);
	free(data);
	cache_free(c);
}

static void
test_generation(void)
{
	struct cache *c = cache_new(1 << 20);
	char text[64], type[64];

	cache_put(c, "k", 5, "old", 3, "text/plain");
	CHECK(get_text(c, "k", 5, text, sizeof(text), type) == 3);
	/* new data landed: stale, and dropped for good */
	CHECK(get_text(c, "k", 6, text, sizeof(text), type) == -1);
	CHECK(get_text(c, "k", 5, text, sizeof(text), type) == -1);
	cache_put(c, "k", 6, "new", 3, "text/plain");
	CHECK(get_text(c, "k", 6, text, sizeof(text), type) == 3);
	CHECK_STR(text, "new");
	/* an answer computed before data landed is stale at once */
	cache_put(c, "j", 6, "racy", 4, "text/plain");
	CHECK(get_text(c, "j", 7, text, sizeof(text), type) == -1);
	cache_free(c);
}

/* Entries of 1000 bytes in a cache that holds four of them (the
 * bookkeeping of an entry is well under 250 bytes). */
static void
test_lru_bound(void)
{
	struct cache *c = cache_new(4 * 1250);
	char big[1000], text[8], type[64], key[8];
	int i, n_hits;

	memset(big, 'x', sizeof(big));
	cache_put(c, "A", 1, big, sizeof(big), "t");
	cache_put(c, "B", 1, big, sizeof(big), "t");
	cache_put(c, "C", 1, big, sizeof(big), "t");
	cache_put(c, "D", 1, big, sizeof(big), "t");
	CHECK(get_text(c, "A", 1, text, sizeof(text), type) == 1000);
	cache_put(c, "E", 1, big, sizeof(big), "t");
	/* B was the least recently used: A was read after it */
	CHECK(get_text(c, "B", 1, text, sizeof(text), type) == -1);
	CHECK(get_text(c, "A", 1, text, sizeof(text), type) == 1000);
	CHECK(get_text(c, "C", 1, text, sizeof(text), type) == 1000);
	CHECK(get_text(c, "D", 1, text, sizeof(text), type) == 1000);
	CHECK(get_text(c, "E", 1, text, sizeof(text), type) == 1000);
	/* many more: never more than four stay */
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		cache_put(c, key, 1, big, sizeof(big), "t");
	}
	for (i = 0, n_hits = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		n_hits += get_text(c, key, 1, text, sizeof(text), type) >= 0;
	}
	CHECK(n_hits == 4);
	CHECK(get_text(c, "k99", 1, text, sizeof(text), type) == 1000);
	/* one entry larger than the whole cache is not kept, nor does it
	 * push the others out */
	{
		char *huge = calloc(1, 10000);

		cache_put(c, "huge", 1, huge, 10000, "t");
		free(huge);
	}
	CHECK(get_text(c, "huge", 1, text, sizeof(text), type) == -1);
	CHECK(get_text(c, "k99", 1, text, sizeof(text), type) == 1000);
	cache_free(c);
}

/* Many small entries: the table grows and every one is found. */
static void
test_many_keys(void)
{
	struct cache *c = cache_new(64 << 20);
	char key[32], want[32], text[32], type[64];
	int i, bad = 0;

	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "series|KU%d|x", i);
		snprintf(want, sizeof(want), "v%d", i);
		cache_put(c, key, (unsigned long)i, want, strlen(want), "t");
	}
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "series|KU%d|x", i);
		snprintf(want, sizeof(want), "v%d", i);
		if (get_text(c, key, (unsigned long)i, text, sizeof(text),
		             type) < 0 ||
		    strcmp(text, want) != 0)
			bad++;
	}
	CHECK(bad == 0);
	cache_free(c);
}

#define N_THREADS 4
#define N_KEYS 64
#define N_OPS 20000

struct worker {
	struct cache *c;
	int id;
	int n_bad, n_hits;
};

/* Each key's data is its name repeated, so a reader can tell whether it
 * got the right bytes, whole. */
static void *
work(void *arg)
{
	struct worker *w = arg;
	unsigned seed = (unsigned)w->id * 7919u + 1;
	char key[16], data[512], type[64], *got;
	size_t len, i;
	int op;

	for (op = 0; op < N_OPS; op++) {
		int k;
		unsigned long gen;

		seed = seed * 1103515245u + 12345u;
		k = (int)((seed >> 8) % N_KEYS);
		gen = (seed >> 20) % 3;
		snprintf(key, sizeof(key), "key%02d", k);
		if ((seed >> 4) % 2 == 0) {
			len = 16 + (size_t)k * 7;
			for (i = 0; i < len; i++)
				data[i] = key[i % 5];
			cache_put(w->c, key, gen, data, len, key);
			continue;
		}
		if (cache_get(w->c, key, gen, &got, &len, type) < 0)
			continue;
		w->n_hits++;
		if (len != 16 + (size_t)k * 7 || strcmp(type, key) != 0)
			w->n_bad++;
		for (i = 0; i < len; i++)
			if (got[i] != key[i % 5]) {
				w->n_bad++;
				break;
			}
		free(got);
	}
	return NULL;
}

static void
test_threads(void)
{
	/* small enough that entries are evicted all the time */
	struct cache *c = cache_new(8 * 1024);
	struct worker w[N_THREADS];
	pthread_t th[N_THREADS];
	int i, n_bad = 0, n_hits = 0;

	for (i = 0; i < N_THREADS; i++) {
		w[i].c = c;
		w[i].id = i;
		w[i].n_bad = w[i].n_hits = 0;
		CHECK(pthread_create(&th[i], NULL, work, &w[i]) == 0);
	}
	for (i = 0; i < N_THREADS; i++) {
		pthread_join(th[i], NULL);
		n_bad += w[i].n_bad;
		n_hits += w[i].n_hits;
	}
	CHECK(n_bad == 0);
	CHECK(n_hits > 0);
	cache_free(c);
}

int
main(void)
{
	RUN(test_hit_and_miss);
	RUN(test_binary_data);
	RUN(test_generation);
	RUN(test_lru_bound);
	RUN(test_many_keys);
	RUN(test_threads);
	return check_done();
}
