/*
 * series.c: a series from the question to the bytes of the answer.
 *
 * Every value is figure_compute's (figure.h): this file only decides
 * which periods to ask for and prints the answers. Resolving works on
 * text and the clock, so relative times ("-1y", "now") resolve to whole
 * months or to multiples of the step, and equal questions within a month
 * or a step resolve to equal specs (the API's cache key).
 *
 * The formats are built by hand rather than through cJSON: the only text
 * in them comes from the catalog (escaped all the same), numbers are
 * printed in the shortest form that reads back exactly, and the same
 * functions serve the API and the export.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "number.h"
#include "series.h"
#include "timespec.h"
#include "xmalloc.h"

/* 10000 points of at most ~60 bytes: far below; a limit all the same. */
#define FORMAT_MAX_BYTES ((size_t)16 << 20)

/* User text echoed in messages is cut short; respond_error makes it UTF-8. */
#define ECHO "%.40s"

static int
bad(struct error *err, const char *param, const char *msg)
{
	error_set(err, 0, "parameter %s: %s", param, msg);
	return SERIES_BAD_PARAM;
}

/* A time spec; as an end, "YYYY-MM" is the month's last second so that the
 * month is included (SPEC §6). */
static int
parse_time(const char *param, const char *text, time_t now, bool is_end,
           time_t *out, struct error *err)
{
	struct error e = { 0 };

	if ((is_end ? timespec_parse_end : timespec_parse)(text, now, out, &e) <
	    0)
		return bad(err, param, e.msg);
	return 0;
}

/* "month" (*out 0) or seconds in 1..SERIES_MAX_STEP_S. */
static int
parse_step(const char *text, unsigned long *out, struct error *err)
{
	char *end;
	long v;

	if (strcmp(text, "month") == 0) {
		*out = 0;
		return 0;
	}
	errno = 0;
	v = strtol(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
	    v < 1 || v > SERIES_MAX_STEP_S) {
		error_set(err, 0,
		          "parameter step: must be month or an integer between "
		          "1 and %ld (seconds)",
		          SERIES_MAX_STEP_S);
		return SERIES_BAD_PARAM;
	}
	*out = (unsigned long)v;
	return 0;
}

static int
too_many(const char *param, long long n, const char *unit, struct error *err)
{
	error_set(err, 0,
	          "parameter %s: the range holds %lld points of %s, more than "
	          "%d; ask for a shorter range or a larger step",
	          param, n, unit, SERIES_MAX_POINTS);
	return SERIES_BAD_PARAM;
}

int
series_resolve(const struct catalog *cat, const struct series_params *p,
               time_t now, struct series_spec *out, struct error *err)
{
	unsigned long step = 0;
	long long n;
	time_t start, end;
	int rc;

	memset(out, 0, sizeof(*out));
	out->key.indicator = out->key.measure = -1;
	if (p->area == NULL || p->area[0] == '\0')
		return bad(err, "area", "required (SSS, MK01, KU091, ...)");
	if ((out->key.area = catalog_find_area(cat, p->area)) < 0) {
		error_set(err, 0, "parameter area: unknown area \"" ECHO "\"",
		          p->area);
		return SERIES_NOT_FOUND;
	}
	if (p->indicator == NULL || p->indicator[0] == '\0')
		return bad(err, "indicator",
		           "required (an indicator or a measure id)");
	out->key.indicator = catalog_find_indicator(cat, p->indicator);
	if (out->key.indicator < 0 &&
	    (out->key.measure = catalog_find_measure(cat, p->indicator)) < 0) {
		error_set(err, 0,
		          "parameter indicator: unknown indicator or measure "
		          "\"" ECHO "\"",
		          p->indicator);
		return SERIES_NOT_FOUND;
	}
	if ((rc = parse_time("start",
	                     p->start != NULL ? p->start : SERIES_DEFAULT_START,
	                     now, false, &start, err)) < 0 ||
	    (rc =
	         parse_time("end", p->end != NULL ? p->end : SERIES_DEFAULT_END,
	                    now, true, &end, err)) < 0)
		return rc;
	if (end <= start)
		return bad(err, "end", "must be after start");
	if (p->step != NULL && (rc = parse_step(p->step, &step, err)) < 0)
		return rc;
	if (step == 0) {
		int first = period_of(start), last = period_of(end);

		n = (long long)last - first + 1;
		if (n > SERIES_MAX_POINTS)
			return too_many("start", n, "a month", err);
		out->is_monthly = true;
		out->first_period = first;
		out->start = period_start(first);
		out->end = period_end(last);
	} else {
		char unit[32];

		/* points on multiples of the step, as RRD's grid: the same
		 * spec for every clock within one step */
		out->start = start - (start % (time_t)step + (time_t)step) %
		                         (time_t)step;
		n = ((long long)end - out->start + (long long)step - 1) /
		    (long long)step;
		snprintf(unit, sizeof(unit), "%lu s", step);
		if (n > SERIES_MAX_POINTS)
			return too_many("step", n, unit, err);
		out->step = step;
		out->end = out->start + (time_t)(n * (long long)step);
	}
	out->n_points = (size_t)n;
	return SERIES_OK;
}

/* A superset of what figure_compute withholds: any area's count, or an
 * indicator (not reporting_rate) with a count on either side. Regions
 * count too (one municipality alone, the min or max of a count). Erring
 * towards true only splits the API's cache; erring towards false would
 * serve withheld figures to the public. */
bool
series_is_suppressible(const struct catalog *cat,
                       const struct series_spec *spec)
{
	return figure_is_suppressible(cat, &spec->key);
}

void
series_compute(const struct catalog *cat, const struct matrix *mx,
               const struct series_spec *spec, bool is_unsuppressed,
               struct series *out)
{
	const size_t np = spec->n_points;
	struct figure fig = { 0 };
	const char *id, *unit;
	size_t t;

	memset(out, 0, sizeof(*out));
	if (spec->key.indicator >= 0) {
		id = cat->indicators[spec->key.indicator].id;
		unit = cat->indicators[spec->key.indicator].unit;
	} else {
		id = cat->measures[spec->key.measure].id;
		unit = cat->measures[spec->key.measure].unit;
	}
	snprintf(out->area, sizeof(out->area), "%s",
	         cat->areas[spec->key.area].code);
	snprintf(out->indicator, sizeof(out->indicator), "%s", id);
	snprintf(out->unit, sizeof(out->unit), "%s", unit);
	out->is_monthly = spec->is_monthly;
	out->start = spec->start;
	out->end = spec->end;
	out->step = spec->step;
	out->n_points = np;
	out->times = xcalloc(np + 1, sizeof(*out->times));
	out->periods = xcalloc(np + 1, sizeof(*out->periods));
	out->values = xcalloc(np + 1, sizeof(*out->values));
	out->reporting = xcalloc(np + 1, sizeof(*out->reporting));
	out->is_withheld = xcalloc(np + 1, sizeof(*out->is_withheld));
	for (t = 0; t < np; t++) {
		if (spec->is_monthly) {
			out->periods[t] = spec->first_period + (int)t;
			out->times[t] = period_start(out->periods[t]);
		} else {
			out->times[t] =
			    spec->start + (time_t)(t * (size_t)spec->step);
			out->periods[t] = period_of(out->times[t]);
		}
		/* finer steps repeat a period: compute it once */
		if (t == 0 || out->periods[t] != out->periods[t - 1])
			figure_compute(cat, mx, &spec->key, out->periods[t],
			               is_unsuppressed, &fig);
		out->values[t] = fig.flag == FIGURE_OK ? fig.value : NAN;
		out->reporting[t] = fig.reporting;
		out->expected = fig.expected;
		if (fig.flag == FIGURE_OK)
			out->last_reporting = fig.reporting;
		if (fig.flag == FIGURE_SUPPRESSED) {
			out->is_withheld[t] = true;
			out->n_withheld++;
		}
	}
}

void
series_reset(struct series *s)
{
	free(s->times);
	free(s->periods);
	free(s->values);
	free(s->reporting);
	free(s->is_withheld);
	memset(s, 0, sizeof(*s));
}

/* --- formatting --- */

char *
series_format_json(const struct series *s, size_t *out_len)
{
	struct buf b;
	char num[32], period[16];
	const char *sep = "";
	size_t t;

	buf_init(&b, FORMAT_MAX_BYTES);
	buf_puts(&b, "{\"area\":");
	buf_put_json_string(&b, s->area);
	buf_puts(&b, ",\"indicator\":");
	buf_put_json_string(&b, s->indicator);
	buf_puts(&b, ",\"unit\":");
	buf_put_json_string(&b, s->unit);
	buf_printf(&b, ",\"start\":%lld,\"end\":%lld", (long long)s->start,
	           (long long)s->end);
	if (s->is_monthly)
		buf_puts(&b, ",\"step\":\"month\"");
	else
		buf_printf(&b, ",\"step\":%lu", s->step);
	buf_puts(&b, ",\"points\":[");
	for (t = 0; t < s->n_points; t++) {
		number_format(s->values[t], num, sizeof(num));
		buf_printf(&b, "%s[%lld,%s]", t > 0 ? "," : "",
		           (long long)s->times[t],
		           num[0] != '\0' ? num : "null");
	}
	buf_puts(&b, "],\"periods\":[");
	for (t = 0; t < s->n_points; t++) {
		period_format(s->periods[t], period, sizeof(period));
		buf_printf(&b, "%s\"%s\"", t > 0 ? "," : "", period);
	}
	buf_puts(&b, "],\"reported\":[");
	for (t = 0; t < s->n_points; t++)
		buf_printf(&b, "%s%d", t > 0 ? "," : "", s->reporting[t]);
	buf_printf(&b,
	           "],\"reporting\":%d,\"expected\":%d,\"suppressed\":%s,"
	           "\"suppressed_points\":[",
	           s->last_reporting, s->expected,
	           s->n_withheld > 0 ? "true" : "false");
	for (t = 0; t < s->n_points; t++) {
		if (!s->is_withheld[t])
			continue;
		buf_printf(&b, "%s%lld", sep, (long long)s->times[t]);
		sep = ",";
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
	buf_puts(&b, s->is_monthly ? "period,value\n" : "time,value\n");
	for (t = 0; t < s->n_points; t++) {
		if (s->is_monthly)
			period_format(s->periods[t], when, sizeof(when));
		else
			format_time(s->times[t], when, sizeof(when));
		number_format(s->values[t], num, sizeof(num));
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
