/*
 * series.h: one area's indicator or measure over time (SPEC §3, §5-7):
 * the request's text resolved against the catalog and the clock, the
 * values computed from the municipalities' RRD files (reporting_rate from
 * the database), and the answer formatted as JSON or CSV. The HTTP API
 * and `kuntamonctl export` both go through here, so they give the same
 * bytes for the same question.
 *
 * A point stands for one interval of the grid and carries the interval's
 * start as its time: a daily point of 2026-10-01T00:00:00Z is that day's
 * value, a monthly one (reporting_rate) that month's.
 */
#ifndef KUNTAMON_SERIES_H
#define KUNTAMON_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "catalog.h"
#include "error.h"
#include "store_db.h"
#include "store_rrd.h"

#define SERIES_MAX_POINTS 10000
/* The step a monthly series (reporting_rate) reports: a nominal month of
 * 30 days. Its points are at the calendar months' starts, whatever their
 * length. */
#define SERIES_MONTH_S 2592000
#define SERIES_DEFAULT_START "-1y"
#define SERIES_DEFAULT_END "now"
#define SERIES_MAX_STEP_S 315360000L /* ten years */

enum series_result {
	SERIES_OK = 0,
	SERIES_BAD_PARAM = -1, /* a parameter is missing or malformed: 400 */
	SERIES_NOT_FOUND = -2, /* the area or indicator is not known: 404 */
};

/* The question as text, from a query string or a command line. area and
 * indicator are required; NULL start, end, step take the defaults
 * (SERIES_DEFAULT_START, SERIES_DEFAULT_END, the finest step that covers
 * the range). */
struct series_params {
	const char *area;
	const char *indicator; /* an indicator id, or a measure id */
	const char *start, *end, *step;
};

/* The question resolved: catalog indices and the grid of points. */
struct series_spec {
	int area;
	int indicator;        /* -1 when a measure is asked for */
	int measure;          /* the measure asked for, else -1 */
	bool is_monthly;      /* reporting_rate: one point per calendar month */
	int first_period;     /* is_monthly: the first month's period */
	struct rrd_grid grid; /* is_monthly: start of the first month,
	                       * SERIES_MONTH_S, the number of months */
	time_t end;           /* the end of the last point's interval */
};

/* Resolves p against cat and now: SERIES_OK with *out, or
 * SERIES_BAD_PARAM / SERIES_NOT_FOUND with err->msg naming the parameter
 * ("parameter start: ..."). rrd_step_s is [storage] step: the archives it
 * implies pick the grid (store_rrd_grid); more than SERIES_MAX_POINTS
 * points is a bad parameter. Pure. */
int series_resolve(const struct catalog *cat, int rrd_step_s,
                   const struct series_params *p, time_t now,
                   struct series_spec *out, struct error *err);

/* Whether small counts could be withheld from this answer (§7): a single
 * municipality's count measure, or an indicator built on one. Otherwise
 * every reader gets the same answer. */
bool series_is_suppressible(const struct catalog *cat,
                            const struct series_spec *spec);

/* A computed series. */
struct series {
	char area[AREA_CODE_MAX];
	char indicator[32]; /* the id asked for: indicator or measure */
	char unit[32];
	time_t start, end; /* of the grid: first point's start, last's end */
	unsigned long step;
	size_t n_points;
	time_t *times;     /* the start of each point's interval */
	double *values;    /* NaN: unknown, or withheld */
	bool *is_withheld; /* withheld from this reader (§7) */
	size_t n_withheld;
	int reporting; /* municipalities with at least one known point */
	int expected;  /* municipalities of the area */
};

/* Computes spec from the stores. is_unsuppressed: the reader sees small
 * counts (access_is_unsuppressed; the operator's export does); otherwise
 * a suppressible series (series_is_suppressible) withholds each point
 * whose count, or an indicator's numerator or denominator count, is known
 * and below SUPPRESS_BELOW. Regions and the country are sums over their
 * municipalities and never withheld. 0 with *out (free with
 * series_reset), or -1 with err. Thread-safe. */
int series_compute(const struct catalog *cat, struct store_rrd *rrd,
                   struct store_db *db, const struct series_spec *spec,
                   bool is_unsuppressed, struct series *out, struct error *err);
void series_reset(struct series *s);

/* {"area","indicator","unit","start","end","step","points":[[t,v],...],
 * "reporting","expected","suppressed","suppressed_points":[t,...]}: v is
 * null where unknown or withheld. A heap string the caller frees. */
char *series_format_json(const struct series *s, size_t *out_len);
/* time,value (SPEC §6): ISO 8601 UTC times, an empty value where unknown
 * or withheld; which points were withheld is in the JSON form. A heap
 * string the caller frees. */
char *series_format_csv(const struct series *s, size_t *out_len);
/* "KU091_gp_coverage.csv" */
void series_filename(const struct series *s, const char *extension, char *out,
                     size_t out_size);

#endif
