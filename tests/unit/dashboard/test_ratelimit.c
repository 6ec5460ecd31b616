/*
 * test_ratelimit.c: token buckets with a clock the test moves by hand:
 * burst, refill, independence of keys, peek taking nothing, and a full
 * table forgetting the right entries.
 */
#include <stdio.h>

#include "check.h"
#include "ratelimit.h"

/* How many takes in a row succeed at now_ms. */
static int
drain(struct ratelimit *rl, const char *key, double burst, double per_min,
      long long now_ms)
{
	int n = 0;

	while (n < 100000 && ratelimit_take(rl, key, burst, per_min, now_ms))
		n++;
	return n;
}

static void
test_burst_and_refill(void)
{
	struct ratelimit *rl = ratelimit_new(16);
	const struct {
		long long at_ms;
		int want; /* takes that succeed at that time */
	} steps[] = {
		{ 1000, 10 }, /* a new key starts full */
		{ 1000, 0 },  /* and is empty now */
		{ 6999, 0 },  /* 10 a minute: one per 6 s */
		{ 7000, 1 },    { 19000, 2 },
		{ 500000, 10 }, /* never more than the burst */
		{ 400000, 0 },  /* time going back refills nothing */
	};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int got = drain(rl, "10.0.0.1", 10, 10, steps[i].at_ms);

		if (got != steps[i].want) {
			fprintf(stderr, "step %zu: %d takes, want %d\n", i, got,
			        steps[i].want);
			CHECK(0);
		}
	}
	ratelimit_free(rl);
}

static void
test_keys_apart(void)
{
	struct ratelimit *rl = ratelimit_new(16);

	CHECK(drain(rl, "a", 3, 60, 0) == 3);
	CHECK(drain(rl, "b", 3, 60, 0) == 3);
	CHECK(!ratelimit_take(rl, "a", 3, 60, 0));
	/* 60 a minute: one a second. */
	CHECK(ratelimit_take(rl, "a", 3, 60, 1000));
	CHECK(!ratelimit_take(rl, "a", 3, 60, 1000));
	ratelimit_free(rl);
}

static void
test_peek(void)
{
	struct ratelimit *rl = ratelimit_new(16);
	int i;

	CHECK(ratelimit_peek(rl, "x", 2, 1, 0)); /* unknown: full */
	for (i = 0; i < 50; i++)
		CHECK(ratelimit_peek(rl, "x", 2, 1, 0));
	CHECK(ratelimit_take(rl, "x", 2, 1, 0));
	CHECK(ratelimit_peek(rl, "x", 2, 1, 0));
	CHECK(ratelimit_take(rl, "x", 2, 1, 0));
	CHECK(!ratelimit_peek(rl, "x", 2, 1, 0));
	CHECK(!ratelimit_peek(rl, "x", 2, 1, 59999));
	CHECK(ratelimit_peek(rl, "x", 2, 1, 60000));
	ratelimit_free(rl);
}

/* A table of 4 keys (one set): full buckets go first, then the least
 * recently used; a key that is forgotten starts full again. */
static void
test_eviction(void)
{
	struct ratelimit *rl = ratelimit_new(4);
	char key[16];
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		CHECK(drain(rl, key, 2, 1, 1000 + i) == 2);
	}
	/* Asked about again, k0 is recent; k1 is now the least recently
	 * used, and "new" takes its place. */
	CHECK(!ratelimit_peek(rl, "k0", 2, 1, 1500));
	CHECK(ratelimit_take(rl, "new", 2, 1, 2000));
	CHECK(ratelimit_peek(rl, "k1", 2, 1, 2000));  /* forgotten: full */
	CHECK(!ratelimit_peek(rl, "k0", 2, 1, 2000)); /* still empty */
	CHECK(!ratelimit_peek(rl, "k2", 2, 1, 2000));
	CHECK(!ratelimit_peek(rl, "k3", 2, 1, 2000));
	/* Keys longer than RATELIMIT_KEY_MAX are cut, not overrun. */
	CHECK(ratelimit_take(rl,
	                     "0123456789012345678901234567890123456789"
	                     "0123456789012345678901234567890123456789",
	                     1, 1, 3000));
	CHECK(!ratelimit_take(rl,
	                      "0123456789012345678901234567890123456789"
	                      "0123456789",
	                      1, 1, 3000));
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

int
main(void)
{
	RUN(test_burst_and_refill);
	RUN(test_keys_apart);
	RUN(test_peek);
	RUN(test_eviction);
	return check_done();
}
