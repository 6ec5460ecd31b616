/*
 * aggregate.c: a region's or the country's figure from its municipalities,
 * and the small-count suppression rule (SPEC §3, §7).
 *
 * NaN is "unknown" and is skipped, never propagated into a sum: an area's
 * value at t is formed from the municipalities that reported at t, and
 * out_reporting says how many those were, so a reader can tell a full
 * figure from a partial one. Pure arithmetic; no allocation.
 */
#include <math.h>

#include "aggregate.h"

void
aggregate_measure(enum aggregate agg, const double *x, size_t n_series,
                  size_t n_points, double *out, int *out_reporting)
{
	size_t i, t;
	double v, acc;
	int n;

	for (t = 0; t < n_points; t++) {
		acc = 0;
		n = 0;
		for (i = 0; i < n_series; i++) {
			v = x[i * n_points + t];
			if (isnan(v))
				continue;
			if (n == 0 && (agg == AGG_MIN || agg == AGG_MAX))
				acc = v;
			else if (agg == AGG_MIN)
				acc = v < acc ? v : acc;
			else if (agg == AGG_MAX)
				acc = v > acc ? v : acc;
			else
				acc += v;
			n++;
		}
		if (n == 0)
			out[t] = NAN;
		else if (agg == AGG_MEAN)
			out[t] = acc / n;
		else
			out[t] = acc;
		if (out_reporting != NULL)
			out_reporting[t] = n;
	}
}

void
aggregate_ratio(const double *num, const double *den, size_t n_series,
                size_t n_points, double scale, double *out, int *out_reporting)
{
	size_t i, t;
	double a, b, sum_num, sum_den;
	int n;

	for (t = 0; t < n_points; t++) {
		sum_num = 0;
		sum_den = 0;
		n = 0;
		for (i = 0; i < n_series; i++) {
			a = num[i * n_points + t];
			b = den != NULL ? den[i * n_points + t] : 0;
			/* Both sides from the same municipalities, or the
			 * ratio compares different populations. */
			if (isnan(a) || isnan(b))
				continue;
			sum_num += a;
			sum_den += b;
			n++;
		}
		if (n == 0 || (den != NULL && sum_den == 0))
			out[t] = NAN;
		else if (den != NULL)
			out[t] = sum_num / sum_den * scale;
		else
			out[t] = sum_num * scale;
		if (out_reporting != NULL)
			out_reporting[t] = n;
	}
}

bool
aggregate_is_suppressed_count(const struct measure *m, double v)
{
	return m->is_count && !isnan(v) && v < SUPPRESS_BELOW;
}
