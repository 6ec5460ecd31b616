/*
 * test_aggregate.c: region and country figures from municipal series:
 * each aggregate rule with unknowns, ratio of sums (not mean of ratios),
 * zero denominators, no reporters, and small-count suppression.
 */
#include <stdbool.h>

#include "aggregate.h"
#include "check.h"

#define N_POINTS 4

/* Three municipalities over four points, row-major; NaN unknown. At t=3
 * nobody reported. */
static const double x3[3 * N_POINTS] = {
	1, 10,  NAN, NAN, /* municipality 0 */
	2, NAN, NAN, NAN, /* municipality 1 */
	6, 4,   -3,  NAN, /* municipality 2 */
};

static void
check_series(const double *got, const double *want, size_t n)
{
	size_t t;

	for (t = 0; t < n; t++) {
		if (isnan(want[t])) {
			if (!isnan(got[t])) {
				fprintf(stderr, "t=%zu: %g, want NaN\n", t,
				        got[t]);
				CHECK(0);
			}
		} else {
			CHECK_NEAR(got[t], want[t], 1e-12);
		}
	}
}

static void
test_measure_rules(void)
{
	static const struct {
		enum aggregate agg;
		double want[N_POINTS];
	} cases[] = {
		{ AGG_SUM, { 9, 14, -3, NAN } },
		{ AGG_MEAN, { 3, 7, -3, NAN } },
		{ AGG_MIN, { 1, 4, -3, NAN } },
		{ AGG_MAX, { 6, 10, -3, NAN } },
	};
	static const int want_reporting[N_POINTS] = { 3, 2, 1, 0 };
	double out[N_POINTS];
	int reporting[N_POINTS];
	size_t i, t;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (t = 0; t < N_POINTS; t++)
			reporting[t] = -1;
		aggregate_measure(cases[i].agg, x3, 3, N_POINTS, out,
		                  reporting);
		check_series(out, cases[i].want, N_POINTS);
		for (t = 0; t < N_POINTS; t++)
			CHECK(reporting[t] == want_reporting[t]);
	}
	/* out_reporting may be NULL. */
	aggregate_measure(AGG_SUM, x3, 3, N_POINTS, out, NULL);
	check_series(out, cases[0].want, N_POINTS);
}

/* Min and max must not be seeded with 0 or with a NaN. */
static void
test_min_max_signs(void)
{
	static const double neg[3] = { NAN, -5, -2 }; /* one point, 3 series */
	static const double pos[3] = { 7, NAN, 3 };
	double out[1];
	int rep[1];

	aggregate_measure(AGG_MAX, neg, 3, 1, out, rep);
	CHECK_NEAR(out[0], -2, 0);
	CHECK(rep[0] == 2);
	aggregate_measure(AGG_MIN, pos, 3, 1, out, rep);
	CHECK_NEAR(out[0], 3, 0);
	aggregate_measure(AGG_MIN, neg, 3, 1, out, rep);
	CHECK_NEAR(out[0], -5, 0);
	aggregate_measure(AGG_MAX, pos, 3, 1, out, rep);
	CHECK_NEAR(out[0], 7, 0);
}

static void
test_no_reporters(void)
{
	static const double none[2 * 2] = { NAN, NAN, NAN, NAN };
	enum aggregate aggs[] = { AGG_SUM, AGG_MEAN, AGG_MIN, AGG_MAX };
	double out[2] = { 1, 1 };
	int rep[2] = { 9, 9 };
	size_t i;

	for (i = 0; i < 4; i++) {
		aggregate_measure(aggs[i], none, 2, 2, out, rep);
		CHECK(isnan(out[0]) && isnan(out[1]));
		CHECK(rep[0] == 0 && rep[1] == 0);
	}
	/* No municipalities at all. */
	out[0] = out[1] = 1;
	aggregate_measure(AGG_SUM, NULL, 0, 2, out, rep);
	CHECK(isnan(out[0]) && isnan(out[1]) && rep[0] == 0 && rep[1] == 0);
	aggregate_ratio(NULL, NULL, 0, 2, 100, out, rep);
	CHECK(isnan(out[0]) && isnan(out[1]) && rep[0] == 0);
	/* No points: nothing written, nothing read. */
	aggregate_measure(AGG_SUM, none, 2, 0, NULL, NULL);
	aggregate_ratio(none, none, 2, 0, 1, NULL, NULL);
}

/* A big municipality with a low rate and a small one with a high rate:
 * the ratio of sums weighs by the denominator, the mean of ratios does
 * not, and the two must differ. */
static void
test_ratio_of_sums(void)
{
	static const double num[2] = { 10, 9 };    /* reached */
	static const double den[2] = { 1000, 10 }; /* target */
	double out[1], mean_of_ratios;
	int rep[1];

	aggregate_ratio(num, den, 2, 1, 100, out, rep);
	CHECK_NEAR(out[0], 19.0 / 1010.0 * 100, 1e-12); /* 1.881...% */
	CHECK(rep[0] == 2);
	mean_of_ratios = (10.0 / 1000 + 9.0 / 10) / 2 * 100; /* 45.5% */
	CHECK(fabs(out[0] - mean_of_ratios) > 40);
}

/* Only municipalities with both sides known at t count, on both sides. */
static void
test_ratio_pairs(void)
{
	/* Two series, three points. */
	static const double num[2 * 3] = {
		5, NAN, 1, 20, 3, NAN,
	};
	static const double den[2 * 3] = {
		10, 4, NAN, NAN, 6, 2,
	};
	double out[3];
	int rep[3];

	aggregate_ratio(num, den, 2, 3, 100, out, rep);
	/* t=0: only series 0 has both (20 has no den): 5/10. */
	CHECK_NEAR(out[0], 50, 1e-12);
	CHECK(rep[0] == 1);
	/* t=1: only series 1: 3/6 (den 4 has no num). */
	CHECK_NEAR(out[1], 50, 1e-12);
	CHECK(rep[1] == 1);
	/* t=2: none has both. */
	CHECK(isnan(out[2]));
	CHECK(rep[2] == 0);
}

static void
test_ratio_zero_den(void)
{
	static const double num[2] = { 3, 0 };
	static const double den[2] = { 0, 0 };
	static const double num0[2] = { 0, 0 };
	static const double den_mixed[2] = { 0, 4 };
	double out[1];
	int rep[1];

	aggregate_ratio(num, den, 2, 1, 100, out, rep);
	CHECK(isnan(out[0]));
	CHECK(rep[0] == 2); /* they reported; the ratio is undefined */
	aggregate_ratio(num0, den, 2, 1, 100, out, rep);
	CHECK(isnan(out[0]));
	/* One zero denominator among others is fine: 3/4. */
	aggregate_ratio(num, den_mixed, 2, 1, 100, out, rep);
	CHECK_NEAR(out[0], 75, 1e-12);
	/* Zero numerator over a positive sum is 0, not unknown. */
	aggregate_ratio(num0, den_mixed, 2, 1, 100, out, rep);
	CHECK_NEAR(out[0], 0, 0);
	CHECK(!isnan(out[0]));
}

/* No denominator: sum(num) * scale over those with num (e.g. gp_open *
 * pop_fl). */
static void
test_ratio_no_den(void)
{
	static const double num[3 * 2] = {
		1, NAN, NAN, NAN, 2.5, 4,
	};
	double out[2];
	int rep[2];

	aggregate_ratio(num, NULL, 3, 2, 1000, out, rep);
	CHECK_NEAR(out[0], 3500, 1e-9);
	CHECK(rep[0] == 2);
	CHECK_NEAR(out[1], 4000, 1e-9);
	CHECK(rep[1] == 1);
	aggregate_ratio(num, NULL, 3, 2, 1, out, NULL);
	CHECK_NEAR(out[0], 3.5, 1e-12);
}

static void
test_suppression(void)
{
	static const struct {
		bool is_count;
		double v;
		bool want;
	} cases[] = {
		{ true, 0, true },    { true, 1, true },
		{ true, 4, true },    { true, 4.999, true },
		{ true, 5, false },   { true, 6, false },
		{ true, 1e9, false }, { true, NAN, false },
		{ true, -0.0, true }, { false, 0, false },
		{ false, 3, false },  { false, NAN, false },
	};
	struct measure m;
	size_t i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m.is_count = cases[i].is_count;
		if (aggregate_is_suppressed_count(&m, cases[i].v) !=
		    cases[i].want) {
			fprintf(stderr, "is_count=%d v=%g\n", cases[i].is_count,
			        cases[i].v);
			CHECK(0);
		}
	}
	CHECK(SUPPRESS_BELOW == 5);
}

int
main(void)
{
	RUN(test_measure_rules);
	RUN(test_min_max_signs);
	RUN(test_no_reporters);
	RUN(test_ratio_of_sums);
	RUN(test_ratio_pairs);
	RUN(test_ratio_zero_den);
	RUN(test_ratio_no_den);
	RUN(test_suppression);
	return check_done();
}
