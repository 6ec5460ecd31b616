/*
 * test_outlier.c: outlier_test and outlier_history, every expected value
 * worked out by hand.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "outlier.h"

/* 10..15: median 12.5; deviations 2.5 1.5 0.5 0.5 1.5 2.5, sorted
 * 0.5 0.5 1.5 1.5 2.5 2.5: MAD 1.5. z = 0.6745 (x - 12.5) / 1.5. */
static const double steady[] = { 13, 10, 15, 11, 14, 12 };

static void
test_mad(void)
{
	struct outlier o;

	/* 0.6745 * 7.5 / 1.5 = 3.3725: not past 3.5 */
	CHECK(!outlier_test(20, steady, 6, &o));
	CHECK_NEAR(o.z, 3.3725, 1e-12);
	CHECK_NEAR(o.median, 12.5, 0);
	CHECK(o.n_history == 6);
	/* 0.6745 * 8.5 / 1.5 = 3.822166... */
	CHECK(outlier_test(21, steady, 6, &o));
	CHECK_NEAR(o.z, 0.6745 * 8.5 / 1.5, 1e-12);
	CHECK_NEAR(o.z, 3.8221666666666665, 1e-12);
	/* below: 0.6745 * -8.5 / 1.5 */
	CHECK(outlier_test(4, steady, 6, &o));
	CHECK_NEAR(o.z, -3.8221666666666665, 1e-12);
	CHECK(!outlier_test(5, steady, 6, &o));
	CHECK_NEAR(o.z, -3.3725, 1e-12);
	CHECK(!outlier_test(12.5, steady, 6, &o));
	CHECK_NEAR(o.z, 0, 0);
}

static void
test_odd_history(void)
{
	/* 1 2 3 4 100 6 7: sorted 1 2 3 4 6 7 100, median 4; deviations
	 * 3 2 1 0 96 2 3, sorted 0 1 2 2 3 3 96: MAD 2. The 100 does not
	 * widen the band: 0.6745 * 7 / 2 = 2.36075, 0.6745 * 11 / 2 =
	 * 3.709750 */
	static const double h[] = { 1, 2, 3, 4, 100, 6, 7 };
	struct outlier o;

	CHECK(!outlier_test(11, h, 7, &o));
	CHECK_NEAR(o.z, 2.36075, 1e-12);
	CHECK(outlier_test(15, h, 7, &o));
	CHECK_NEAR(o.z, 3.70975, 1e-12);
	CHECK_NEAR(o.median, 4, 0);
}

static void
test_mean_ad(void)
{
	/* 10 x5 and 16: median 10, deviations 0 0 0 0 0 6: MAD 0, mean
	 * absolute deviation 1. z = (x - 10) / 1.2533: 14 gives 3.19157...,
	 * 15 gives 3.98947... */
	static const double h[] = { 10, 10, 16, 10, 10, 10 };
	struct outlier o;

	CHECK(!outlier_test(14, h, 6, &o));
	CHECK_NEAR(o.z, 4 / 1.2533, 1e-12);
	CHECK_NEAR(o.z, 3.1915742439958508, 1e-9);
	CHECK(outlier_test(15, h, 6, &o));
	CHECK_NEAR(o.z, 3.9894678049948133, 1e-9);
	CHECK(outlier_test(5, h, 6, &o));
	CHECK_NEAR(o.z, -3.9894678049948133, 1e-9);
}

static void
test_no_spread(void)
{
	static const double h[] = { 7, 7, 7, 7, 7, 7 };
	static const double zeros[] = { 0, 0, 0, 0, 0, 0 };
	struct outlier o;

	/* a tenth of the value, 0.7, stands for one standard deviation */
	CHECK(!outlier_test(7, h, 6, &o));
	CHECK(o.z == 0);
	CHECK(!outlier_test(9, h, 6, &o));
	CHECK_NEAR(o.z, 2 / 0.7, 1e-12);
	CHECK(outlier_test(9.5, h, 6, &o));
	CHECK_NEAR(o.z, 2.5 / 0.7, 1e-12);
	CHECK(outlier_test(4, h, 6, &o));
	CHECK_NEAR(o.z, -3 / 0.7, 1e-12);
	CHECK_NEAR(o.median, 7, 0);
	/* from nothing at all, anything is news */
	CHECK(outlier_test(0.001, zeros, 6, &o));
	CHECK(isinf(o.z) && o.z > 0);
	CHECK(outlier_test(-1, zeros, 6, &o));
	CHECK(isinf(o.z) && o.z < 0);
	CHECK(!outlier_test(0, zeros, 6, &o));
}

static void
test_too_short(void)
{
	struct outlier o;

	/* five earlier values are no verdict, however far x is */
	CHECK(!outlier_test(1e9, steady, 5, &o));
	CHECK(o.n_history == 5);
	CHECK(o.z == 0);
	CHECK(!outlier_test(NAN, steady, 6, &o));
}

static void
test_only_24(void)
{
	/* 24 values of 100..123 and then 1000s: only the first 24 count.
	 * median 111.5, MAD 6 (deviations 0.5 .. 11.5, twelve below 6.5
	 * and twelve from it: (5.5 + 6.5) / 2 = 6). 0.6745 * 40 / 6 =
	 * 4.4966... */
	double h[30];
	struct outlier o;
	size_t i;

	for (i = 0; i < 24; i++)
		h[i] = 100 + (double)i;
	for (; i < 30; i++)
		h[i] = 1000;
	CHECK(outlier_test(151.5, h, 30, &o));
	CHECK(o.n_history == 24);
	CHECK_NEAR(o.median, 111.5, 0);
	CHECK_NEAR(o.z, 0.6745 * 40 / 6, 1e-12);
}

/* Periods 100..139; values only in even periods, equal to the period. */
static double
even_value(void *ctx, int period)
{
	(void)ctx;
	return period % 2 == 0 ? (double)period : NAN;
}

static void
test_history(void)
{
	double h[OUTLIER_MAX_HISTORY];
	size_t n;

	/* before 140: 138, 136, ... down to 100: 20 values */
	n = outlier_history(even_value, NULL, 100, 140, h);
	CHECK(n == 20);
	CHECK(h[0] == 138 && h[19] == 100);
	/* a long history stops at 24 */
	n = outlier_history(even_value, NULL, 0, 140, h);
	CHECK(n == 24);
	CHECK(h[0] == 138 && h[23] == 92);
	/* nothing before the first period */
	CHECK(outlier_history(even_value, NULL, 140, 140, h) == 0);
	CHECK(outlier_history(even_value, NULL, 139, 140, h) == 0);
}

int
main(void)
{
	RUN(test_mad);
	RUN(test_odd_history);
	RUN(test_mean_ad);
	RUN(test_no_spread);
	RUN(test_too_short);
	RUN(test_only_24);
	RUN(test_history);
	return check_done();
}
