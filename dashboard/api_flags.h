/*
 * api_flags.h: the outlier flags' routes (api_flags.c) and what other
 * answers show of them (/api/v1/health, /api/v1/activity).
 */
#ifndef KUNTAMON_API_FLAGS_H
#define KUNTAMON_API_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "data.h"
#include "error.h"
#include "lang.h"
#include "store_db.h"

struct app;

#define FLAGS_COMMENT_MAX_CHARS 500
#define FLAGS_COMMENT_BYTES (4 * FLAGS_COMMENT_MAX_CHARS + 1)

/* A confirmation's body, {"area", "measure", "period", "comment"}, as
 * given: not yet looked up in the catalog. */
struct flags_confirm {
	char area[16];
	char measure[64];
	int period;
	char comment[FLAGS_COMMENT_BYTES]; /* 1..500 characters of UTF-8 */
};

/* Reads a confirmation's JSON body of len bytes. Pure: 0 with out
 * filled, or -1 with err naming what is wrong. */
int api_flags_parse_confirm(const char *body, size_t len,
                            struct flags_confirm *out, struct error *err);

/* Adds to array the flags of area (a checked code; NULL: every area),
 * open ones only unless with_cleared, newest first, at most limit, as
 * GET /api/v1/flags shows them (names in lang). -1 if the database
 * fails. */
int api_flags_add(struct app *app, const char *area, bool with_cleared,
                  enum lang lang, size_t limit, cJSON *array);

/* Marks t's cells built on a figure with an open outlier flag (flag
 * "outlier"; data_mark_outliers), reading the flags of t's periods from
 * db: /api/v1/data and kuntamonctl export --data. -1 if db fails. */
int api_flags_mark_data(struct store_db *db, struct data_table *t);

#endif
