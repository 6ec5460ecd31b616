/*
 * matrix.h: every municipality's figures by period, in memory: the compact
 * table the figure function reads (SPEC §4-5). SQLite holds the truth; a
 * matrix is loaded from it and kept in step by ingest.
 *
 * Pure: no I/O, no locks. The daemon guards a shared matrix (app.h).
 * Areas and measures are catalog indices; periods are months since year 0
 * (timespec.h). Rows of one area are contiguous, period after period, so a
 * file rebuild reads them in one slice (matrix_area).
 */
#ifndef KUNTAMON_MATRIX_H
#define KUNTAMON_MATRIX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct matrix {
	size_t n_areas;
	size_t n_measures;
	int first_period; /* the period of column 0 */
	size_t n_periods; /* columns held: first_period .. + n_periods - 1 */
	double *values;   /* [(area * n_periods + p) * n_measures + m]; NaN:
	                    * no figure */
	time_t *received; /* [area * n_periods + p]: when the area's first
	                    * figure of the period arrived; 0: not reported */
	uint64_t *noted;  /* [area * n_periods + p]: rejections already
	                    * recorded this run (bit m; bit 63: unknown keys) */
	int *latest;      /* [area]: the latest period reported; -1: none */
};

/* An empty matrix for n_areas areas and n_measures measures. */
struct matrix *matrix_new(size_t n_areas, size_t n_measures);
void matrix_free(struct matrix *mx);

/* Sets area's figure of measure in period (value finite), growing the
 * period range as needed; received is kept as the period's first receipt
 * (the earliest seen; 0 or less, unknown, is kept as 1: still reported). */
void matrix_set(struct matrix *mx, int area, int period, int measure,
                double value, time_t received);

/* The figure, NaN if none (or outside the range held). */
double matrix_get(const struct matrix *mx, int area, int period, int measure);

/* When area first reported period, 0 if it has not. */
time_t matrix_received(const struct matrix *mx, int area, int period);

/* area's latest reported period, -1 if none. */
int matrix_latest(const struct matrix *mx, int area);

/* Area's figures as one slice, from its first reported period to its
 * latest: *out_n_periods rows of n_measures values from *out_first_period
 * on (NULL and 0 if it never reported). Valid until the next change. */
const double *matrix_area(const struct matrix *mx, int area,
                          int *out_first_period, size_t *out_n_periods);

/* The bits of area's rejections noted in period (0 outside the range);
 * matrix_note adds bits (growing the range as needed). */
uint64_t matrix_noted(const struct matrix *mx, int area, int period);
void matrix_note(struct matrix *mx, int area, int period, uint64_t bits);

#endif
