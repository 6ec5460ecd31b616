/*
 * series.c: a series from the question to the bytes of the answer.
 *
 * The arithmetic is aggregate.c's: a region's or the country's indicator
 * is sum(numerator)/sum(denominator) * scale over the municipalities that
 * have both at a point, a measure follows its aggregate rule, and a single
 * municipality is the same sum over one. Resolving and formatting are
 * pure; series_compute is the only part that reads the stores, through
 * store_rrd_fetch (all the area's files in one pass) or the database.
 *
 * The formats are built by hand rather than through cJSON: the only text
 * in them comes from the catalog (escaped all the same), numbers are
 * printed in the shortest form that reads back exactly, and the same
 * function serves the API and the export.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "buf.h"
#include "series.h"
#include "timespec.h"
#include "xmalloc.h"

#define FORMAT_MAX_BYTES ((size_t)1 << 30)

/* User text echoed in messages is cut short; respond_error makes it UTF-8. */
#define ECHO "%.40s"

static int
bad(struct error *err, const char *param, const char *msg)
{
	error_set(err, 0, "parameter %s: %s", param, msg);
	return SERIES_BAD_PARAM;
}

static int
parse_time(const char *param, const char *text, time_t now, time_t *out,
           struct error *err)
{
	struct error e = { 0 };

	if (timespec_parse(text, now, out, &e) < 0)
		return bad(err, param, e.msg);
	return 0;
}

static int
parse_step(const char *text, unsigned long *out, struct error *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
	    v < 1 || v > SERIES_MAX_STEP_S) {
		error_set(err, 0,
		          "parameter step: must be an integer between 1 and "
		          "%ld (seconds)",
		          SERIES_MAX_STEP_S);
		return SERIES_BAD_PARAM;
	}
	*out = (unsigned long)v;
	return 0;
}

static int
too_many(const char *param, size_t n, unsigned long step, struct error *err)
{
	error_set(err, 0,
	          "parameter %s: the range holds %zu points of %lu s, more "
	          "than %d; ask for a shorter range or a larger step",
	          param, n, step, SERIES_MAX_POINTS);
	return SERIES_BAD_PARAM;
}

int
series_resolve(const struct catalog *cat, int rrd_step_s,
               const struct series_params *p, time_t now,
               struct series_spec *out, struct error *err)
{
	unsigned long step = 1; /* the finest archive that covers the range */
	time_t start, end;
	int rc;

	memset(out, 0, sizeof(*out));
	out->indicator = out->measure = -1;
	if (p->area == NULL || p->area[0] == '\0')
		return bad(err, "area", "required (SSS, MK01, KU091, ...)");
	if ((out->area = catalog_find_area(cat, p->area)) < 0) {
		error_set(err, 0, "parameter area: unknown area \"" ECHO "\"",
		          p->area);
		return SERIES_NOT_FOUND;
	}
	if (p->indicator == NULL || p->indicator[0] == '\0')
		return bad(err, "indicator",
		           "required (an indicator or a measure id)");
	out->indicator = catalog_find_indicator(cat, p->indicator);
	if (out->indicator < 0 &&
	    (out->measure = catalog_find_measure(cat, p->indicator)) < 0) {
		error_set(err, 0,
		          "parameter indicator: unknown indicator or measure "
		          "\"" ECHO "\"",
		          p->indicator);
		return SERIES_NOT_FOUND;
	}
	if ((rc = parse_time("start",
	                     p->start != NULL ? p->start : SERIES_DEFAULT_START,
	                     now, &start, err)) < 0 ||
	    (rc =
	         parse_time("end", p->end != NULL ? p->end : SERIES_DEFAULT_END,
	                    now, &end, err)) < 0)
		return rc;
	if (end <= start)
		return bad(err, "end", "must be after start");
	if (p->step != NULL && (rc = parse_step(p->step, &step, err)) < 0)
		return rc;
	if (out->indicator >= 0 &&
	    cat->indicators[out->indicator].kind == IND_REPORTING) {
		/* the months that start in the range and end by its end */
		int first = period_of(start), last = period_of(end) - 1;

		if (last < first)
			last = first;
		if ((long long)last - first + 1 > SERIES_MAX_POINTS)
			return too_many("start", (size_t)(last - first + 1),
			                SERIES_MONTH_S, err);
		out->is_monthly = true;
		out->first_period = first;
		out->grid.start = period_start(first);
		out->grid.step = SERIES_MONTH_S;
		out->grid.n_points = (size_t)(last - first + 1);
		out->end = period_end(last);
		return SERIES_OK;
	}
	if (store_rrd_grid(rrd_step_s, start, end, step, now, &out->grid) < 0)
		return bad(err, "start", "cannot make a grid of the range");
	if (out->grid.n_points > SERIES_MAX_POINTS)
		return too_many(p->step != NULL ? "step" : "start",
		                out->grid.n_points, out->grid.step, err);
	out->end =
	    out->grid.start + (time_t)(out->grid.n_points * out->grid.step);
	return SERIES_OK;
}

bool
series_is_suppressible(const struct catalog *cat,
                       const struct series_spec *spec)
{
	const struct indicator *ind;

	if (cat->areas[spec->area].level != AREA_MUNICIPALITY)
		return false;
	if (spec->measure >= 0)
		return cat->measures[spec->measure].is_count;
	ind = &cat->indicators[spec->indicator];
	if (ind->kind != IND_RATIO)
		return false;
	return (ind->num.measure >= 0 &&
	        cat->measures[ind->num.measure].is_count) ||
	       (ind->den.measure >= 0 &&
	        cat->measures[ind->den.measure].is_count);
}

void
series_reset(struct series *s)
{
	free(s->times);
	free(s->values);
	free(s->is_withheld);
	memset(s, 0, sizeof(*s));
}

/* --- computing --- */

static bool
has_term(const struct term *t)
{
	return t->measure >= 0 || t->ref != REF_NONE;
}

/* A term's values for municipality a from its measure's readings x:
 * measure * reference figure (NaN where the measure is unknown), or the
 * figure alone. x is not read for a figure alone. */
static void
put_term(const struct term *term, const struct area *a, const double *x,
         size_t n_points, double *out)
{
	double ref = catalog_ref_value(a, term->ref);
	size_t t;

	for (t = 0; t < n_points; t++)
		out[t] = term->measure >= 0 ? x[t] * ref : ref;
}

/* Counts the municipalities (rows of x and, if given, y) with at least
 * one point where both are known. */
static int
count_reporting(const double *x, const double *y, size_t n, size_t n_points)
{
	size_t i, t;
	int k = 0;

	for (i = 0; i < n; i++)
		for (t = 0; t < n_points; t++)
			if (!isnan(x[i * n_points + t]) &&
			    (y == NULL || !isnan(y[i * n_points + t]))) {
				k++;
				break;
			}
	return k;
}

static void
withhold(struct series *s, size_t t)
{
	if (isnan(s->values[t]))
		return; /* nothing is shown there anyway */
	s->values[t] = NAN;
	s->is_withheld[t] = true;
	s->n_withheld++;
}

static int
compute_rrd(const struct catalog *cat, struct store_rrd *rrd,
            const struct series_spec *spec, const int *munis, size_t n,
            bool suppress, struct series *out, struct error *err)
{
	const size_t np = spec->grid.n_points;
	const struct indicator *ind =
	    spec->indicator >= 0 ? &cat->indicators[spec->indicator] : NULL;
	const char **codes = xcalloc(n + 1, sizeof(*codes));
	const char *ds[2];
	int ds_measure[2];
	size_t n_ds = 0, i, t, num_col = 0, den_col = 0;
	double *cols = NULL, *num = NULL, *den = NULL;
	int rc = -1;

	if (ind == NULL) {
		ds_measure[n_ds++] = spec->measure;
	} else {
		if (ind->num.measure >= 0)
			ds_measure[n_ds++] = ind->num.measure;
		den_col = n_ds;
		if (ind->den.measure >= 0 &&
		    ind->den.measure != ind->num.measure)
			ds_measure[n_ds++] = ind->den.measure;
		else if (ind->den.measure >= 0)
			den_col = num_col;
	}
	for (i = 0; i < n_ds; i++)
		ds[i] = cat->measures[ds_measure[i]].id;
	for (i = 0; i < n; i++)
		codes[i] = cat->areas[munis[i]].code;
	cols = xmalloc((n_ds * n * np + 1) * sizeof(*cols));
	if (rrd == NULL) {
		error_set(err, 0, "no RRD files to read from");
		goto out;
	}
	if (n_ds > 0 && n > 0 &&
	    store_rrd_fetch(rrd, codes, n, ds, n_ds, &spec->grid, cols, err) <
	        0)
		goto out;
	if (ind == NULL) {
		const struct measure *m = &cat->measures[spec->measure];

		aggregate_measure(m->aggregate, cols, n, np, out->values, NULL);
		out->reporting = count_reporting(cols, NULL, n, np);
		for (t = 0; suppress && t < np; t++)
			if (aggregate_is_suppressed_count(m, cols[t]))
				withhold(out, t);
		rc = 0;
		goto out;
	}
	/* an indicator: its terms per municipality, then the sums */
	num = xmalloc((n * np + 1) * sizeof(*num));
	if (has_term(&ind->den))
		den = xmalloc((n * np + 1) * sizeof(*den));
	for (i = 0; i < n; i++) {
		const struct area *a = &cat->areas[munis[i]];

		put_term(&ind->num, a,
		         ind->num.measure >= 0 ? cols + (num_col * n + i) * np
		                               : NULL,
		         np, num + i * np);
		if (den != NULL)
			put_term(&ind->den, a,
			         ind->den.measure >= 0
			             ? cols + (den_col * n + i) * np
			             : NULL,
			         np, den + i * np);
	}
	aggregate_ratio(num, den, n, np, ind->scale, out->values, NULL);
	out->reporting = count_reporting(num, den, n, np);
	for (t = 0; suppress && t < np; t++) {
		/* the raw counts behind the value, not the weighted terms */
		if ((ind->num.measure >= 0 &&
		     aggregate_is_suppressed_count(
		         &cat->measures[ind->num.measure],
		         cols[num_col * n * np + t])) ||
		    (ind->den.measure >= 0 &&
		     aggregate_is_suppressed_count(
		         &cat->measures[ind->den.measure],
		         cols[den_col * n * np + t])))
			withhold(out, t);
	}
	rc = 0;
out:
	free(den);
	free(num);
	free(cols);
	free(codes);
	return rc;
}

struct reporting_ctx {
	const struct catalog *cat;
	bool *is_member;    /* by area index */
	bool *has_reported; /* by area index */
	int first, last;
	int *counts; /* by period - first */
};

static int
count_report(void *ctx, const char *area, int period)
{
	struct reporting_ctx *rc = ctx;
	int a = catalog_find_area(rc->cat, area);

	if (a < 0 || !rc->is_member[a] || period < rc->first ||
	    period > rc->last)
		return 0;
	rc->counts[period - rc->first]++;
	rc->has_reported[a] = true;
	return 0;
}

/* reporting_rate (SPEC §5): per month, the area's municipalities that
 * reported it / those expected * scale. */
static int
compute_reporting(const struct catalog *cat, struct store_db *db,
                  const struct series_spec *spec, const int *munis, size_t n,
                  struct series *out, struct error *err)
{
	const struct indicator *ind = &cat->indicators[spec->indicator];
	struct reporting_ctx ctx;
	size_t i, t;
	int rc = -1;

	if (db == NULL)
		return error_set(err, 0, "no database to read reports from");
	ctx.cat = cat;
	ctx.first = spec->first_period;
	ctx.last = spec->first_period + (int)spec->grid.n_points - 1;
	ctx.counts = xcalloc(spec->grid.n_points, sizeof(*ctx.counts));
	ctx.has_reported = xcalloc(cat->n_areas, sizeof(*ctx.has_reported));
	ctx.is_member = xcalloc(cat->n_areas, sizeof(*ctx.is_member));
	for (i = 0; i < n; i++)
		ctx.is_member[munis[i]] = true;
	if (store_db_each_report(db, ctx.first, ctx.last, count_report, &ctx) <
	    0) {
		error_set(err, 0, "cannot read the reports");
		goto out;
	}
	for (t = 0; t < spec->grid.n_points; t++)
		out->values[t] =
		    n > 0 ? (double)ctx.counts[t] / (double)n * ind->scale
		          : NAN;
	out->reporting = 0;
	for (i = 0; i < n; i++)
		out->reporting += ctx.has_reported[munis[i]];
	rc = 0;
out:
	free(ctx.is_member);
	free(ctx.has_reported);
	free(ctx.counts);
	return rc;
}

int
series_compute(const struct catalog *cat, struct store_rrd *rrd,
               struct store_db *db, const struct series_spec *spec,
               bool is_unsuppressed, struct series *out, struct error *err)
{
	const size_t np = spec->grid.n_points;
	const char *id, *unit;
	int *munis = xcalloc(cat->n_areas + 1, sizeof(*munis));
	size_t n, t;
	int rc;

	memset(out, 0, sizeof(*out));
	if (spec->indicator >= 0) {
		id = cat->indicators[spec->indicator].id;
		unit = cat->indicators[spec->indicator].unit;
	} else {
		id = cat->measures[spec->measure].id;
		unit = cat->measures[spec->measure].unit;
	}
	snprintf(out->area, sizeof(out->area), "%s",
	         cat->areas[spec->area].code);
	snprintf(out->indicator, sizeof(out->indicator), "%s", id);
	snprintf(out->unit, sizeof(out->unit), "%s", unit);
	out->start = spec->grid.start;
	out->end = spec->end;
	out->step = spec->grid.step;
	out->n_points = np;
	out->times = xcalloc(np + 1, sizeof(*out->times));
	out->values = xcalloc(np + 1, sizeof(*out->values));
	out->is_withheld = xcalloc(np + 1, sizeof(*out->is_withheld));
	for (t = 0; t < np; t++) {
		out->times[t] =
		    spec->is_monthly
		        ? period_start(spec->first_period + (int)t)
		        : spec->grid.start + (time_t)(t * spec->grid.step);
		out->values[t] = NAN;
	}
	n = catalog_municipalities_of(cat, spec->area, munis);
	out->expected = (int)n;
	if (spec->is_monthly)
		rc = compute_reporting(cat, db, spec, munis, n, out, err);
	else
		rc = compute_rrd(cat, rrd, spec, munis, n,
		                 !is_unsuppressed &&
		                     series_is_suppressible(cat, spec),
		                 out, err);
	free(munis);
	if (rc < 0)
		series_reset(out);
	return rc;
}

/* --- formatting --- */

/* The shortest of %.15g..%.17g that reads back as v. */
static void
format_number(double v, char *out, size_t size)
{
	int prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, size, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

static void
put_json_string(struct buf *b, const char *s)
{
	buf_puts(b, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_append(b, s, 1);
	}
	buf_puts(b, "\"");
}

char *
series_format_json(const struct series *s, size_t *out_len)
{
	struct buf b;
	char num[32];
	size_t t;
	bool first = true;

	buf_init(&b, FORMAT_MAX_BYTES);
	buf_puts(&b, "{\"area\":");
	put_json_string(&b, s->area);
	buf_puts(&b, ",\"indicator\":");
	put_json_string(&b, s->indicator);
	buf_puts(&b, ",\"unit\":");
	put_json_string(&b, s->unit);
	buf_printf(&b, ",\"start\":%lld,\"end\":%lld,\"step\":%lu,\"points\":[",
	           (long long)s->start, (long long)s->end, s->step);
	for (t = 0; t < s->n_points; t++) {
		if (isfinite(s->values[t]))
			format_number(s->values[t], num, sizeof(num));
		else
			snprintf(num, sizeof(num), "null");
		buf_printf(&b, "%s[%lld,%s]", t > 0 ? "," : "",
		           (long long)s->times[t], num);
	}
	buf_printf(&b,
	           "],\"reporting\":%d,\"expected\":%d,\"suppressed\":%s,"
	           "\"suppressed_points\":[",
	           s->reporting, s->expected,
	           s->n_withheld > 0 ? "true" : "false");
	for (t = 0; t < s->n_points; t++) {
		if (!s->is_withheld[t])
			continue;
		buf_printf(&b, "%s%lld", first ? "" : ",",
		           (long long)s->times[t]);
		first = false;
	}
	buf_puts(&b, "]}");
	return buf_detach(&b, out_len);
}

static void
format_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *
series_format_csv(const struct series *s, size_t *out_len)
{
	struct buf b;
	char when[80], num[32];
	size_t t;

	buf_init(&b, FORMAT_MAX_BYTES);
	buf_puts(&b, "time,value\n");
	for (t = 0; t < s->n_points; t++) {
		format_time(s->times[t], when, sizeof(when));
		if (isfinite(s->values[t]))
			format_number(s->values[t], num, sizeof(num));
		else
			num[0] = '\0';
		buf_printf(&b, "%s,%s\n", when, num);
	}
	return buf_detach(&b, out_len);
}

void
series_filename(const struct series *s, const char *extension, char *out,
                size_t out_size)
{
	snprintf(out, out_size, "%s_%s.%s", s->area, s->indicator, extension);
}
