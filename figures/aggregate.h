/*
 * aggregate.h: a region's or the country's value from its municipalities,
 * and suppression of small counts (SPEC §3, §7). Pure arithmetic.
 *
 * Series are row-major by municipality: x[i * n_points + t] is
 * municipality i at point t; NaN means unknown.
 */
#ifndef KUNTAMON_AGGREGATE_H
#define KUNTAMON_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"

#define SUPPRESS_BELOW 5 /* public counts below this are withheld */

/* A measure over n_series municipalities by its aggregate rule, skipping
 * unknowns. out[t] is NaN where none reported; out_reporting[t] (may be
 * NULL) counts those that did. */
void aggregate_measure(enum aggregate agg, const double *x, size_t n_series,
                       size_t n_points, double *out, int *out_reporting);

/* sum(num)/sum(den)*scale over the municipalities that have both at t
 * (never a mean of ratios). den NULL: sum(num)*scale over those with num.
 * A zero denominator sum gives NaN. */
void aggregate_ratio(const double *num, const double *den, size_t n_series,
                     size_t n_points, double scale, double *out,
                     int *out_reporting);

/* Whether a single municipality's value of a count measure is withheld
 * from the public: known and below SUPPRESS_BELOW. */
bool aggregate_is_suppressed_count(const struct measure *m, double v);

#endif
