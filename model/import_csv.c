/*
 * import_csv.c: the import format's rows, checked whole before anyone
 * writes a figure (all rows or none).
 *
 * A value is a plain decimal number: strtod alone would take " 12",
 * "0x1p3", "nan" and "inf", none of which a spreadsheet means as a
 * figure. Messages name the line an editor shows (csv.c counts them) and
 * quote at most a few bytes of what the file holds.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "import_csv.h"
#include "timespec.h"
#include "xmalloc.h"

struct reading {
	const struct catalog *cat;
	int last_period; /* later ones are the future */
	struct import_row *rows;
	size_t n_rows, cap;
	bool is_header_seen;
};

/* One record of the file: the header first, then a row to check. */
static int
take_row(void *ctx, int line, char **f, size_t n, struct error *err)
{
	struct reading *rd = ctx;
	const struct catalog *cat = rd->cat;
	const struct measure *m;
	struct import_row r;
	char *end;

	if (!rd->is_header_seen) {
		rd->is_header_seen = true;
		if (n != 4 || strcmp(f[0], "area") != 0 ||
		    strcmp(f[1], "period") != 0 ||
		    strcmp(f[2], "measure") != 0 || strcmp(f[3], "value") != 0)
			return error_set(
			    err, line,
			    "header must be area,period,measure,value");
		return 0;
	}
	if (n != 4)
		return error_set(err, line, "expected 4 fields, got %zu", n);
	r.line = line;
	r.area = catalog_find_area(cat, f[0]);
	if (r.area < 0 || cat->areas[r.area].level != AREA_MUNICIPALITY)
		return error_set(err, line, "unknown municipality \"%.16s\"",
		                 f[0]);
	if (period_parse(f[1], &r.period) < 0)
		return error_set(err, line, "period \"%.16s\" is not YYYY-MM",
		                 f[1]);
	if (r.period > rd->last_period)
		return error_set(err, line, "period %s is in the future", f[1]);
	r.measure = catalog_find_measure(cat, f[2]);
	if (r.measure < 0)
		return error_set(err, line, "unknown measure \"%.32s\"", f[2]);
	m = &cat->measures[r.measure];
	errno = 0;
	r.value = strtod(f[3], &end);
	if (f[3][0] == '\0' || f[3][0] == ' ' || f[3][0] == '\t' ||
	    *end != '\0' || errno != 0 || !isfinite(r.value) ||
	    strpbrk(f[3], "xX") != NULL)
		return error_set(err, line, "value \"%.32s\" is not a number",
		                 f[3]);
	if (r.value < m->min || r.value > m->max)
		return error_set(err, line, "%s = %g is outside [%g, %g]",
		                 m->id, r.value, m->min, m->max);
	r.value += 0.0; /* -0 is stored as 0, as a document's */
	if (rd->n_rows == rd->cap) {
		rd->cap = rd->cap ? rd->cap * 2 : 4096;
		rd->rows = xreallocarray(rd->rows, rd->cap, sizeof(*rd->rows));
	}
	rd->rows[rd->n_rows++] = r;
	return 0;
}

/* By area, period and measure: a group of one (area, period) is then a
 * run, and a duplicate sits next to its first (the earlier line). */
static int
row_cmp(const void *a, const void *b)
{
	const struct import_row *x = a, *y = b;

	if (x->area != y->area)
		return x->area < y->area ? -1 : 1;
	if (x->period != y->period)
		return x->period < y->period ? -1 : 1;
	if (x->measure != y->measure)
		return x->measure < y->measure ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

int
import_csv_parse(const struct catalog *cat, int last_period, const char *data,
                 size_t len, struct import_row **out_rows, size_t *out_n,
                 struct error *err)
{
	struct reading rd = { 0 };
	size_t i;

	*out_rows = NULL;
	*out_n = 0;
	rd.cat = cat;
	rd.last_period = last_period;
	if (csv_parse(data, len, take_row, &rd, err) < 0)
		goto fail;
	if (!rd.is_header_seen) {
		error_set(err, 1,
		          "empty file; the header must be "
		          "area,period,measure,value");
		goto fail;
	}
	if (rd.n_rows > 1)
		qsort(rd.rows, rd.n_rows, sizeof(*rd.rows), row_cmp);
	for (i = 1; i < rd.n_rows; i++) {
		const struct import_row *a = &rd.rows[i - 1], *b = &rd.rows[i];

		if (a->area == b->area && a->period == b->period &&
		    a->measure == b->measure) {
			error_set(err, b->line, "duplicate of line %d",
			          a->line);
			goto fail;
		}
	}
	*out_rows = rd.rows;
	*out_n = rd.n_rows;
	return 0;
fail:
	free(rd.rows);
	return -1;
}
