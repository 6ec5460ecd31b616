/*
 * csv.h: RFC 4180 CSV reader (quoted fields, "" escapes, CRLF or LF).
 *
 * Pure: takes bytes, calls back once per record. Records are bounded
 * (CSV_MAX_FIELDS fields, CSV_MAX_FIELD bytes each); past that it is an
 * error naming the line, never a silent truncation.
 */
#ifndef KUNTAMON_CSV_H
#define KUNTAMON_CSV_H

#include <stddef.h>

#include "error.h"

#define CSV_MAX_FIELDS 64
#define CSV_MAX_FIELD 4096

/* Called for each record (the header too). fields are NUL-terminated and
 * valid during the call only; line is the record's first line (1-based).
 * Return 0 to go on, -1 to stop (fill err first). */
typedef int (*csv_row_fn)(void *ctx, int line, char **fields, size_t n_fields,
                          struct error *err);

/* Empty lines are skipped. A UTF-8 BOM at the start is skipped. Returns 0,
 * or -1 with err (set by the parser or by fn). */
int csv_parse(const char *data, size_t len, csv_row_fn fn, void *ctx,
              struct error *err);

#endif
