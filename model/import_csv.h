/*
 * import_csv.h: the import format - CSV rows area,period,measure,value
 * under that header - checked against a catalog. Pure. kuntamonctl import
 * and a CSV upload to POST /api/v1/submissions read it here, so that a
 * file one of them takes the other takes too.
 */
#ifndef KUNTAMON_IMPORT_CSV_H
#define KUNTAMON_IMPORT_CSV_H

#include <stddef.h>

#include "catalog.h"
#include "error.h"

struct import_row {
	int area, period,
	    measure; /* indices into the catalog; see timespec.h */
	int line;    /* the row's line in the file, 1-based */
	double value;
};

/* Parses data: the header, then rows, each a municipality of cat, a period
 * YYYY-MM not after last_period, a measure of cat and a number within its
 * bounds; a second row for the same (area, period, measure) is an error.
 * 0 with *out_rows (sorted by area, period and measure; the caller frees)
 * and *out_n, or -1 with err naming the first bad line (the duplicate's
 * later one) and nothing to free. */
int import_csv_parse(const struct catalog *cat, int last_period,
                     const char *data, size_t len, struct import_row **out_rows,
                     size_t *out_n, struct error *err);

#endif
