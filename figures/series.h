/*
 * series.h: one area's indicator or measure over time (SPEC §6): the
 * request's text resolved against the catalog and the clock, each point
 * computed by the figure function (figure.h) from the figures in memory,
 * and the answer formatted as JSON or CSV. The HTTP API, the charts and
 * `kuntamonctl export` all go through here, so they give the same numbers
 * for the same question.
 *
 * step=month (the default) gives one point per period, carrying the
 * period's first second as its time. step=N seconds gives points every N
 * seconds, each the figure of the period its start lies in: what the RRD
 * files hold day by day.
 */
#ifndef KUNTAMON_SERIES_H
#define KUNTAMON_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "catalog.h"
#include "error.h"
#include "figure.h"
#include "matrix.h"

#define SERIES_MAX_POINTS 10000
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
 * (SERIES_DEFAULT_START, SERIES_DEFAULT_END, "month"). step is "month" or
 * seconds; start and end are time specs (timespec.h), "YYYY-MM" as end
 * meaning the month's last second. */
struct series_params {
	const char *area;
	const char *indicator; /* an indicator id, or a measure id */
	const char *start, *end, *step;
};

/* The question resolved: catalog indices and the points. */
struct series_spec {
	struct figure_key key;
	bool is_monthly;    /* step=month */
	int first_period;   /* is_monthly: the first point's period */
	time_t start;       /* the first point's time */
	unsigned long step; /* seconds between points; 0 when is_monthly */
	size_t n_points;
	time_t end; /* the end of the last point's interval */
};

/* Resolves p against cat and now: SERIES_OK with *out, or
 * SERIES_BAD_PARAM / SERIES_NOT_FOUND with err->msg naming the parameter
 * ("parameter start: ..."). With step=month, the months from the one start
 * lies in to the one end lies in; with step=N, the multiples of N from
 * the last one at or before start to the last one before end. More than
 * SERIES_MAX_POINTS points is a bad parameter. Pure. */
int series_resolve(const struct catalog *cat, const struct series_params *p,
                   time_t now, struct series_spec *out, struct error *err);

/* Whether small counts could be withheld from this answer (§7): a count,
 * or an indicator built on one, of any area (a region can be one
 * municipality's count in disguise). Otherwise every reader gets the
 * same answer. */
bool series_is_suppressible(const struct catalog *cat,
                            const struct series_spec *spec);

/* A computed series. */
struct series {
	char area[AREA_CODE_MAX];
	char indicator[32]; /* the id asked for: indicator or measure */
	char unit[32];
	bool is_monthly;
	time_t start, end;  /* the first point's start, the last one's end */
	unsigned long step; /* 0 when is_monthly */
	size_t n_points;
	time_t *times;     /* each point's start */
	int *periods;      /* the period each point shows */
	double *values;    /* NaN: unknown, or withheld */
	int *reporting;    /* municipalities behind each point */
	bool *is_withheld; /* withheld from this reader (§7) */
	size_t n_withheld;
	int last_reporting; /* of the last point with a value (0 if none) */
	int expected;       /* municipalities of the area */
};

/* Computes spec from the figures in mx (the caller keeps it still, and
 * cat is the catalog mx is indexed by), each point by figure_compute for
 * this reader (is_unsuppressed: access_is_unsuppressed; the operator's
 * export is). Free with series_reset. Pure. */
void series_compute(const struct catalog *cat, const struct matrix *mx,
                    const struct series_spec *spec, bool is_unsuppressed,
                    struct series *out);
void series_reset(struct series *s);

/* {"area","indicator","unit","start","end","step","points":[[t,v],...],
 * "reporting","expected","suppressed","suppressed_points":[t,...]} where
 * step is "month" or seconds, reporting the last known point's, and
 * "periods":["2026-10",...] and "reported":[n,...] run beside the points.
 * v is null where unknown or withheld. A heap string the caller frees. */
char *series_format_json(const struct series *s, size_t *out_len);
/* period,value (2026-10,48.2) for a monthly series, time,value (ISO 8601
 * UTC) otherwise; an empty value where unknown or withheld. A heap string
 * the caller frees. */
char *series_format_csv(const struct series *s, size_t *out_len);
/* "KU091_gp_coverage.csv" */
void series_filename(const struct series *s, const char *extension, char *out,
                     size_t out_size);

#endif
