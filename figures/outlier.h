/*
 * outlier.h: whether a figure is far from its own history (SPEC §8): the
 * robust z-score of a municipality's value of a measure in a period
 * against the same municipality's same measure in the periods before it.
 *
 *   z = 0.6745 (x - median) / MAD            (MAD: median |h - median|)
 *   z = (x - median) / (1.2533 meanAD)       when MAD is 0
 *   z = (x - median) / (0.1 |median|)        when both are 0 (one value)
 *   z = +-infinity                           ... and the median is 0
 *
 * over the OUTLIER_MAX_HISTORY most recent earlier periods that have a
 * value, at least OUTLIER_MIN_HISTORY of them (else no verdict); |z| >
 * OUTLIER_THRESHOLD flags. Median and MAD rather than mean and standard
 * deviation: a single earlier outlier does not hide the next one.
 *
 * Pure: no I/O, no globals; thread-safe.
 */
#ifndef KUNTAMON_OUTLIER_H
#define KUNTAMON_OUTLIER_H

#include <stdbool.h>
#include <stddef.h>

#define OUTLIER_MIN_HISTORY 6
#define OUTLIER_MAX_HISTORY 24
#define OUTLIER_THRESHOLD 3.5

struct outlier {
	double z;         /* +-INFINITY when the history is all zeros */
	double median;    /* of the history */
	size_t n_history; /* values it was judged against */
};

/* Judges x against history[0 .. n) (finite values, any order; only the
 * first OUTLIER_MAX_HISTORY are used). Returns true when x is flagged;
 * out is filled when n >= OUTLIER_MIN_HISTORY (else z is 0). */
bool outlier_test(double x, const double *history, size_t n,
                  struct outlier *out);

/* The value of a figure in period; NaN when there is none. */
typedef double (*outlier_value_fn)(void *ctx, int period);

/* Fills out[0 .. OUTLIER_MAX_HISTORY) with the values value_fn gives for
 * the periods before period, newest first, skipping those without one
 * and looking no further back than first_period. Returns how many. */
size_t outlier_history(outlier_value_fn value_fn, void *ctx, int first_period,
                       int period, double *out);

#endif
