/*
 * outlier.c: the robust z-score of outlier.h. The history is at most
 * OUTLIER_MAX_HISTORY values, so sorting copies of it on the stack is
 * cheaper than anything cleverer.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "outlier.h"

/* 0.6745 is the normal distribution's third quartile: MAD / 0.6745
 * estimates the standard deviation. 1.2533 = sqrt(pi / 2) does the same
 * for the mean absolute deviation, used when more than half of the
 * history is one value (MAD 0) but not all of it. */
#define MAD_SCALE 0.6745
#define MEANAD_SCALE 1.2533
/* A history of one value only (staff 4 FTE every month) has no spread to
 * scale by: there a tenth of its value stands for one standard deviation,
 * so 4 -> 5 FTE is no outlier (z 2.5) and 4 -> 6 is (z 5). Any change
 * from a history of zeros is (z infinite). */
#define FLAT_SCALE 0.1

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0 .. n), n > 0; sorts v. */
static double
median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool
outlier_test(double x, const double *history, size_t n, struct outlier *out)
{
	double v[OUTLIER_MAX_HISTORY], dev[OUTLIER_MAX_HISTORY];
	double median, mad, mean_ad = 0, d = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (n > OUTLIER_MAX_HISTORY)
		n = OUTLIER_MAX_HISTORY;
	out->n_history = n;
	if (n < OUTLIER_MIN_HISTORY || !isfinite(x))
		return false;
	memcpy(v, history, n * sizeof(*v));
	median = median_of(v, n);
	for (i = 0; i < n; i++) {
		dev[i] = fabs(history[i] - median);
		mean_ad += dev[i];
	}
	mean_ad /= (double)n;
	mad = median_of(dev, n);
	out->median = median;
	d = x - median;
	if (mad > 0)
		out->z = MAD_SCALE * d / mad;
	else if (mean_ad > 0)
		out->z = d / (MEANAD_SCALE * mean_ad);
	else if (median != 0)
		out->z = d / (FLAT_SCALE * fabs(median));
	else
		out->z = d > 0 ? INFINITY : d < 0 ? -INFINITY : 0;
	return fabs(out->z) > OUTLIER_THRESHOLD;
}

size_t
outlier_history(outlier_value_fn value_fn, void *ctx, int first_period,
                int period, double *out)
{
	size_t n = 0;
	int p;

	for (p = period - 1; p >= first_period && n < OUTLIER_MAX_HISTORY;
	     p--) {
		double v = value_fn(ctx, p);

		if (isfinite(v))
			out[n++] = v;
	}
	return n;
}
