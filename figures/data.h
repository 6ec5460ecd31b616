/*
 * data.h: GET /api/v1/data and `kuntamonctl export`: many areas x
 * indicators (or measures) x periods as long, tidy rows (SPEC §6 v2).
 * Every value is figure_compute's, so a row equals what /api/v1/series,
 * /api/v1/latest, the charts and the pages show for the same question.
 *
 * Pure: the question is resolved against a catalog, the table computed
 * from a matrix the caller keeps still, the text formatted from the table
 * alone (it holds a reference to the catalog, so it may be formatted after
 * the figures' lock is dropped).
 *
 * The table is the whole cube, in the order areas (as asked), items (as
 * asked), periods (oldest first): row ((a * n_items) + i) * n_periods + p.
 * A cell nobody reported is a row with flag "missing"; one withheld from
 * this reader a row with flag "suppressed" and no value.
 */
#ifndef KUNTAMON_DATA_H
#define KUNTAMON_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "access.h"
#include "catalog.h"
#include "error.h"
#include "figure.h"
#include "matrix.h"

#define DATA_MAX_CELLS 100000 /* areas x items x periods in one answer */
#define DATA_MAX_MONTHS 120   /* LAST_N_MONTHS: N <= this */
#define DATA_QUERY_MAX 1024   /* bytes of data_query.text, with its NUL */

/* The parameters as given (borrowed; NULL when absent). */
struct data_params {
	const char *indicator; /* "a,b", "*" (every indicator); required */
	const char *area;      /* "KU091,MK01", "MK01:children",
	                        * "SSS:children"; default "SSS" */
	const char *level;     /* "municipality" | "region" | "country" */
	const char *region;    /* with level: only this region's areas */
	const char *period;    /* "YYYY-MM", "YYYY-MM..YYYY-MM",
	                        * "LAST_N_MONTHS"; default LAST_12_MONTHS */
	const char *lang;      /* "fi" (default), "sv", "en" */
};

/* An indicator (indicator >= 0, measure -1) or a measure (indicator -1). */
struct data_item {
	int indicator;
	int measure;
};

struct data_query {
	int *areas; /* catalog area indices, as asked, no duplicates */
	size_t n_areas;
	struct data_item *items; /* as asked, no duplicates */
	size_t n_items;
	int first_period, last_period; /* inclusive; timespec.h periods */
	enum lang lang;
	/* The question as resolved, for the XLSX query sheet and the JSON:
	 * "indicator=...&area=...&period=2025-01..2026-10&lang=fi". */
	char text[DATA_QUERY_MAX];
};

enum data_result {
	DATA_OK,
	DATA_BAD,       /* a malformed parameter: 400 naming it */
	DATA_NOT_FOUND, /* an unknown area or indicator code: 404 */
	DATA_TOO_BIG,   /* past DATA_MAX_CELLS: 400 naming the limit */
};

/* Resolves p against cat; expected_period (reporting.h) ends the
 * LAST_N_MONTHS ranges. DATA_OK fills out (data_query_reset frees it);
 * otherwise err->msg says what is wrong, naming the parameter
 * ("parameter period: ..."), and out holds nothing to free. */
int data_resolve(const struct catalog *cat, const struct data_params *p,
                 int expected_period, struct data_query *out,
                 struct error *err);
void data_query_reset(struct data_query *q);

struct data_table {
	struct catalog *cat;  /* a reference (catalog_ref), dropped on reset */
	struct data_query q;  /* owned */
	struct figure *cells; /* n_cells, in the cube's order (above) */
	size_t n_cells;
	size_t n_periods;
};

/* Computes every cell of q (taken over: q is empty after) as who may see
 * it (access_is_unsuppressed per area). cat must be the catalog mx is
 * indexed by; the caller keeps mx still for the call. */
void data_compute(const struct catalog *cat, const struct matrix *mx,
                  struct data_query *q, const struct principal *who,
                  struct data_table *out);
void data_table_reset(struct data_table *t);

/* The cell of (area a, item i, period p) by position in the query. */
const struct figure *data_cell(const struct data_table *t, size_t a, size_t i,
                               size_t p);

/* The columns, in order: area, area_name, region, indicator, period, value,
 * numerator, denominator, reporting, expected, flag. */
extern const char *const data_columns[];
extern const size_t data_n_columns;

/* "" (a value), "suppressed", "missing" (the row's flag column). */
const char *data_flag_text(enum figure_flag flag);
/* The flag column of a row: data_flag_text's, or "outlier" for a known
 * value marked by data_mark_outliers (suppressed and missing win). */
const char *data_row_flag(const struct figure *f);

/* An open outlier flag: catalog indices of the figures' catalog. */
struct data_outlier {
	int area;
	int measure;
	int period;
};

/* Marks the cells of t built on a flagged figure - the measure itself,
 * or an indicator with it in its numerator or denominator, of that
 * municipality and period - as outliers. */
void data_mark_outliers(struct data_table *t, const struct data_outlier *o,
                        size_t n);

/* {"columns": [...], "rows": [[...], ...], "query": ..., "areas": {code:
 * name}, "indicators": {id: {name, unit}}}; malloc'd, *out_len bytes. */
char *data_format_json(const struct data_table *t, size_t *out_len);
/* RFC 4180 CSV with a header row, CRLF line ends; is_excel_fi: a UTF-8
 * byte-order mark, ';' between fields and a decimal comma. */
char *data_format_csv(const struct data_table *t, bool is_excel_fi,
                      size_t *out_len);

#endif
