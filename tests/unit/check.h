/*
 * check.h: the unit-test harness. Each test binary runs its tests and
 * prints one line per test, "ok NAME" or "not ok NAME", which tests/run.sh
 * counts. A failed CHECK prints where and what, and the test goes on.
 *
 *   static void test_parse(void) { CHECK(f() == 0); CHECK_STR(s, "x"); }
 *   int main(void) { RUN(test_parse); return check_done(); }
 */
#ifndef KUNTAMON_CHECK_H
#define KUNTAMON_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_fails;    /* failed CHECKs in the running test */
static int check_n_failed; /* failed tests */

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
			        __LINE__, #cond);                              \
			check_fails++;                                         \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *check_a_ = (a), *check_b_ = (b);                   \
		if (check_a_ == NULL || check_b_ == NULL ||                    \
		    strcmp(check_a_, check_b_) != 0) {                         \
			fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, \
			        __LINE__, check_a_ ? check_a_ : "(null)",      \
			        check_b_ ? check_b_ : "(null)");               \
			check_fails++;                                         \
		}                                                              \
	} while (0)

#define CHECK_NEAR(a, b, eps)                                                  \
	do {                                                                   \
		double check_x_ = (a), check_y_ = (b);                         \
		if (!(fabs(check_x_ - check_y_) <= (eps))) {                   \
			fprintf(stderr, "%s:%d: %s = %.17g, want %.17g\n",     \
			        __FILE__, __LINE__, #a, check_x_, check_y_);   \
			check_fails++;                                         \
		}                                                              \
	} while (0)

static inline void
check_run(const char *name, void (*fn)(void))
{
	check_fails = 0;
	fn();
	if (check_fails == 0) {
		printf("ok %s\n", name);
	} else {
		printf("not ok %s\n", name);
		check_n_failed++;
	}
	fflush(stdout);
}

#define RUN(fn) check_run(#fn, fn)

static inline int
check_done(void)
{
	return check_n_failed == 0 ? 0 : 1;
}

#endif
