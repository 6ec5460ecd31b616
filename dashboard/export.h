/*
 * export.h: a data table (data.h) in the formats analysts' tools read
 * besides JSON and CSV: JSON-stat 2.0 (rjstat, pyjstat, jsonstat-toolkit)
 * and XLSX (libxlsxwriter, only in export_xlsx.c). /api/v1/data and
 * `kuntamonctl export` share them, so both give the same bytes' meaning.
 */
#ifndef KUNTAMON_EXPORT_H
#define KUNTAMON_EXPORT_H

#include <stddef.h>
#include <time.h>

#include "data.h"
#include "error.h"

#define CONTENT_TYPE_JSONSTAT "application/json; charset=utf-8"
#define CONTENT_TYPE_XLSX                                                      \
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* JSON-stat 2.0, class "dataset": dimensions indicator, area and period
 * (roles metric, geo, time), units and decimals per indicator, updated
 * (ISO 8601 UTC), withheld and missing cells null with a status.
 * malloc'd, *out_len bytes. */
char *export_jsonstat(const struct data_table *t, time_t updated,
                      size_t *out_len);

/* An XLSX workbook: "data" (the rows, numbers as numeric cells), the
 * indicators' definitions in the query's language, and the query with
 * when it was made. malloc'd, *out_len bytes; NULL with err if the
 * workbook cannot be written. Thread-safe. */
char *export_xlsx(const struct data_table *t, time_t made, size_t *out_len,
                  struct error *err);

#endif
