/*
 * matrix.c: the figures in memory, area by period by measure.
 *
 * Invariants: every array covers n_areas x n_periods (x n_measures) and
 * periods grow at either end by whole reallocations, so a slice of one
 * area stays contiguous; latest[a] is the largest period with received
 * set for a. Growth doubles the span, so a history imported month by month
 * costs O(log n) copies.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "xmalloc.h"

struct matrix *
matrix_new(size_t n_areas, size_t n_measures)
{
	struct matrix *mx = xcalloc(1, sizeof(*mx));
	size_t a;

	mx->n_areas = n_areas;
	mx->n_measures = n_measures;
	mx->latest = xcalloc(n_areas + 1, sizeof(*mx->latest));
	for (a = 0; a < n_areas; a++)
		mx->latest[a] = -1;
	return mx;
}

void
matrix_free(struct matrix *mx)
{
	if (mx == NULL)
		return;
	free(mx->values);
	free(mx->received);
	free(mx->noted);
	free(mx->latest);
	free(mx);
}

static int
holds(const struct matrix *mx, int area, int period)
{
	return area >= 0 && (size_t)area < mx->n_areas && mx->n_periods > 0 &&
	       period >= mx->first_period &&
	       (size_t)(period - mx->first_period) < mx->n_periods;
}

/* Makes the range hold period: the new span is at least double the old,
 * extended on the side that period lies. */
static void
grow(struct matrix *mx, int period)
{
	size_t n_old = mx->n_periods, n_new, a, off;
	int first;
	double *values;
	time_t *received;
	uint64_t *noted;
	size_t i, m = mx->n_measures;

	if (n_old == 0) {
		n_new = 12;
		first = period - 11; /* most arrivals are newer months */
	} else {
		n_new = n_old * 2;
		if (period < mx->first_period) {
			size_t need =
			    n_old + (size_t)(mx->first_period - period);
			n_new = need > n_new ? need : n_new;
			first = mx->first_period - (int)(n_new - n_old);
		} else {
			size_t need = (size_t)(period - mx->first_period) + 1;
			n_new = need > n_new ? need : n_new;
			first = mx->first_period;
		}
	}
	off = n_old == 0 ? 0 : (size_t)(mx->first_period - first);
	values = xmalloc(mx->n_areas * n_new * (m ? m : 1) * sizeof(*values));
	for (i = 0; i < mx->n_areas * n_new * m; i++)
		values[i] = NAN;
	received = xcalloc(mx->n_areas * n_new + 1, sizeof(*received));
	noted = xcalloc(mx->n_areas * n_new + 1, sizeof(*noted));
	for (a = 0; a < mx->n_areas && n_old > 0; a++) {
		memcpy(values + (a * n_new + off) * m,
		       mx->values + a * n_old * m, n_old * m * sizeof(*values));
		memcpy(received + a * n_new + off, mx->received + a * n_old,
		       n_old * sizeof(*received));
		memcpy(noted + a * n_new + off, mx->noted + a * n_old,
		       n_old * sizeof(*noted));
	}
	free(mx->values);
	free(mx->received);
	free(mx->noted);
	mx->values = values;
	mx->received = received;
	mx->noted = noted;
	mx->first_period = first;
	mx->n_periods = n_new;
}

void
matrix_set(struct matrix *mx, int area, int period, int measure, double value,
           time_t received)
{
	size_t cell;

	if (area < 0 || (size_t)area >= mx->n_areas || measure < 0 ||
	    (size_t)measure >= mx->n_measures || period < 0)
		return;
	/* received 0 means "not reported": a figure held is reported even
	 * when its arrival is unknown, or the period would hold a figure
	 * that reporting ignores and matrix_area would scan past the row */
	if (received <= 0)
		received = 1;
	if (!holds(mx, area, period))
		grow(mx, period);
	cell =
	    (size_t)area * mx->n_periods + (size_t)(period - mx->first_period);
	mx->values[cell * mx->n_measures + (size_t)measure] = value;
	if (mx->received[cell] == 0 || received < mx->received[cell])
		mx->received[cell] = received;
	if (period > mx->latest[area])
		mx->latest[area] = period;
}

double
matrix_get(const struct matrix *mx, int area, int period, int measure)
{
	if (!holds(mx, area, period) || measure < 0 ||
	    (size_t)measure >= mx->n_measures)
		return NAN;
	return mx->values[((size_t)area * mx->n_periods +
	                   (size_t)(period - mx->first_period)) *
	                      mx->n_measures +
	                  (size_t)measure];
}

time_t
matrix_received(const struct matrix *mx, int area, int period)
{
	if (!holds(mx, area, period))
		return 0;
	return mx->received[(size_t)area * mx->n_periods +
	                    (size_t)(period - mx->first_period)];
}

int
matrix_latest(const struct matrix *mx, int area)
{
	if (area < 0 || (size_t)area >= mx->n_areas)
		return -1;
	return mx->latest[area];
}

const double *
matrix_area(const struct matrix *mx, int area, int *out_first_period,
            size_t *out_n_periods)
{
	size_t p = 0;

	if (area < 0 || (size_t)area >= mx->n_areas || mx->latest[area] < 0) {
		*out_first_period = 0;
		*out_n_periods = 0;
		return NULL;
	}
	while (mx->received[(size_t)area * mx->n_periods + p] == 0)
		p++;
	*out_first_period = mx->first_period + (int)p;
	*out_n_periods = (size_t)(mx->latest[area] - mx->first_period) + 1 - p;
	return mx->values + ((size_t)area * mx->n_periods + p) * mx->n_measures;
}

uint64_t
matrix_noted(const struct matrix *mx, int area, int period)
{
	if (!holds(mx, area, period))
		return 0;
	return mx->noted[(size_t)area * mx->n_periods +
	                 (size_t)(period - mx->first_period)];
}

void
matrix_note(struct matrix *mx, int area, int period, uint64_t bits)
{
	if (area < 0 || (size_t)area >= mx->n_areas || period < 0)
		return;
	if (!holds(mx, area, period))
		grow(mx, period);
	mx->noted[(size_t)area * mx->n_periods +
	          (size_t)(period - mx->first_period)] |= bits;
}
