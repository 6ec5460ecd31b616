/*
 * kuntamonctl.c: the operator's tool. Every command takes -c FILE.
 *   check                  validate config and catalog (exit 2 if bad)
 *   import FILE.csv        history: area,period,measure,value
 *   status                 collection health per municipality
 *   export ...             a series as CSV or JSON (ctl_export.c)
 *   token ...              create, list, revoke tokens (ctl_token.c)
 * It works on the files directly; the daemon need not run.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "catalog.h"
#include "config.h"
#include "csv.h"
#include "ctl.h"
#include "ingest.h"
#include "reporting.h"
#include "store_db.h"
#include "store_rrd.h"
#include "timespec.h"
#include "xmalloc.h"

#define IMPORT_MAX_BYTES (1024L * 1024 * 1024)

static int
usage(FILE *f)
{
	fputs(
	    "usage: kuntamonctl [-c FILE] COMMAND\n"
	    "  check               validate configuration and catalog\n"
	    "  import FILE.csv     import history (area,period,measure,value)\n"
	    "  status              collection health per municipality\n"
	    "  export --area A --indicator I [--start S] [--end E]\n"
	    "         [--format csv|json]\n"
	    "  token create AREA|--ministry | token list | token revoke ID\n"
	    "-c FILE may stand anywhere; default config/kuntamon.conf\n",
	    f);
	return f == stdout ? 0 : 2;
}

static int
load(struct ctl *c)
{
	struct error err = { 0 };
	char msg[600];

	if (config_load(c->path, &c->cfg, &err) == 0) {
		memset(&err, 0, sizeof(err));
		c->cat = catalog_load(&c->cfg, &err);
	}
	if (c->cat == NULL) {
		error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	return 0;
}

static int
cmd_check(struct ctl *c)
{
	printf("%s: ok (%zu municipalities, %zu regions, %zu measures, "
	       "%zu indicators, %zu rules, %zu endpoints)\n",
	       c->path, c->cat->n_areas - c->cat->first_municipality,
	       c->cat->n_regions, c->cat->n_measures, c->cat->n_indicators,
	       c->cat->n_rules, c->cat->n_endpoints);
	return 0;
}

/* ---- import ---- */

struct row {
	int area, period, measure, line;
	double value;
};

struct import {
	const struct catalog *cat;
	time_t now;
	struct row *rows;
	size_t n_rows, cap;
	int is_header_seen;
};

static int
import_row(void *ctx, int line, char **f, size_t n, struct error *err)
{
	struct import *im = ctx;
	const struct catalog *cat = im->cat;
	struct row r;
	char *end;

	if (!im->is_header_seen) {
		im->is_header_seen = 1;
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
	if (period_start(r.period) > im->now)
		return error_set(err, line, "period %s is in the future", f[1]);
	r.measure = catalog_find_measure(cat, f[2]);
	if (r.measure < 0)
		return error_set(err, line, "unknown measure \"%.32s\"", f[2]);
	errno = 0;
	r.value = strtod(f[3], &end);
	if (f[3][0] == '\0' || *end != '\0' || errno != 0 || !isfinite(r.value))
		return error_set(err, line, "value \"%.32s\" is not a number",
		                 f[3]);
	if (r.value < cat->measures[r.measure].min ||
	    r.value > cat->measures[r.measure].max)
		return error_set(err, line, "%s = %g is outside [%g, %g]", f[2],
		                 r.value, cat->measures[r.measure].min,
		                 cat->measures[r.measure].max);
	if (im->n_rows == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 1024;
		im->rows = xreallocarray(im->rows, im->cap, sizeof(*im->rows));
	}
	im->rows[im->n_rows++] = r;
	return 0;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->area != y->area)
		return x->area < y->area ? -1 : 1;
	if (x->period != y->period)
		return x->period < y->period ? -1 : 1;
	if (x->measure != y->measure)
		return x->measure < y->measure ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static char *
read_file(const char *path, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			if (cap > (size_t)IMPORT_MAX_BYTES) {
				free(data);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			data = xrealloc(data, cap);
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		free(data);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*out_len = len;
	return data;
}

/* The samples that stand for one area's periods [r, r_end): one every
 * `spacing` seconds across each period (up to now), so that no gap passes
 * the file's heartbeat; each sample holds the period's values. */
static size_t
build_samples(const struct catalog *cat, const struct row *r,
              const struct row *r_end, time_t spacing, time_t now,
              time_t **out_times, double **out_values)
{
	size_t n_m = cat->n_measures, n = 0, cap = 0, i;
	time_t *times = NULL;
	double *values = NULL;

	while (r < r_end) {
		int period = r->period;
		double v[256];
		time_t t, end = period_end(period);

		for (i = 0; i < n_m; i++)
			v[i] = NAN;
		for (; r < r_end && r->period == period; r++)
			v[r->measure] = r->value;
		if (end > now)
			end = now;
		for (t = period_start(period) + spacing;; t += spacing) {
			if (t > end)
				t = end;
			if (n > 0 && t <= times[n - 1])
				break;
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				times =
				    xreallocarray(times, cap, sizeof(*times));
				values = xreallocarray(values, cap * n_m,
				                       sizeof(*values));
			}
			times[n] = t;
			memcpy(values + n * n_m, v, n_m * sizeof(*v));
			n++;
			if (t == end)
				break;
		}
	}
	*out_times = times;
	*out_values = values;
	return n;
}

static void
format_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
cmd_import(struct ctl *c, const char *file)
{
	struct import im = { 0 };
	struct ingest_ctx ictx;
	struct error err = { 0 };
	const struct catalog *cat = c->cat;
	char *data;
	size_t len = 0, i, j, n_samples = 0, n_files = 0;
	int status = 1;

	im.cat = cat;
	im.now = time(NULL);
	if (cat->n_measures > 256) {
		fprintf(stderr, "import supports at most 256 measures\n");
		return 1;
	}
	if ((data = read_file(file, &len)) == NULL) {
		fprintf(stderr, "%s: %s\n", file, strerror(errno));
		return 1;
	}
	if (csv_parse(data, len, import_row, &im, &err) < 0) {
		fprintf(stderr, "%s:%d: %s\n", file, err.line, err.msg);
		goto out;
	}
	if (!im.is_header_seen) {
		fprintf(stderr, "%s: empty file\n", file);
		goto out;
	}
	qsort(im.rows, im.n_rows, sizeof(*im.rows), row_cmp);
	for (i = 1; i < im.n_rows; i++) {
		const struct row *a = &im.rows[i - 1], *b = &im.rows[i];

		if (a->area == b->area && a->period == b->period &&
		    a->measure == b->measure) {
			fprintf(stderr, "%s:%d: duplicate of line %d\n", file,
			        b->line, a->line);
			goto out;
		}
	}
	if (ctl_open_stores(c) < 0)
		goto out;
	ictx.cat = cat;
	ictx.rrd = c->rrd;
	ictx.db = c->db;
	ictx.interval_s = c->cfg.interval_s;

	/* Check every file before writing any: a row older than what a file
	 * holds stops the import with nothing written. */
	for (i = 0; i < im.n_rows; i = j) {
		const struct row *r = &im.rows[i];
		time_t last = 0;
		char when[32], p[8];

		for (j = i; j < im.n_rows && im.rows[j].area == r->area; j++)
			;
		if (store_rrd_last(c->rrd, cat->areas[r->area].code, &last,
		                   &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			goto out;
		}
		if (last != 0 && period_start(r->period) < last) {
			/* the row of this area with the earliest period */
			int line = r->line;
			size_t k;

			for (k = i; k < j && im.rows[k].period == r->period;
			     k++)
				if (im.rows[k].line < line)
					line = im.rows[k].line;
			format_time(last, when, sizeof(when));
			period_format(r->period, p, sizeof(p));
			fprintf(
			    stderr,
			    "%s:%d: %s %s is older than what %s.rrd already "
			    "holds (last update %s); nothing was imported\n",
			    file, line, cat->areas[r->area].code, p,
			    cat->areas[r->area].code, when);
			goto out;
		}
	}

	store_db_begin(c->db);
	for (i = 0; i < im.n_rows; i = j) {
		const struct row *r = &im.rows[i];
		const char *code = cat->areas[r->area].code;
		int hb = ingest_heartbeat(&ictx, r->area);
		time_t spacing = hb < c->cfg.step_s ? hb : c->cfg.step_s;
		time_t *times;
		double *values;
		size_t n;

		for (j = i; j < im.n_rows && im.rows[j].area == r->area; j++)
			;
		n = build_samples(cat, r, im.rows + j, spacing, im.now, &times,
		                  &values);
		if (store_rrd_prepare(c->rrd, code, cat->measures,
		                      cat->n_measures, hb,
		                      period_start(r->period) - 1, &err) < 0 ||
		    store_rrd_update(c->rrd, code, cat->measures,
		                     cat->n_measures, times, values, n,
		                     &err) < 0) {
			fprintf(stderr, "%s:%d: %s: %s\n", file, r->line, code,
			        err.msg);
			free(times);
			free(values);
			store_db_commit(c->db);
			goto out;
		}
		free(times);
		free(values);
		n_samples += n;
		n_files++;
		/* Each period reported, as of its end. */
		for (; r < im.rows + j;) {
			struct db_outcome o = { 0 };
			int period = r->period;
			size_t n_acc = 0;

			for (; r < im.rows + j && r->period == period; r++)
				n_acc++;
			o.area = code;
			o.time = period_end(period) < im.now
			             ? period_end(period)
			             : im.now;
			o.source = "import";
			o.period = period;
			o.n_accepted = n_acc;
			store_db_record(c->db, &o);
		}
	}
	store_db_commit(c->db);
	printf("imported %zu rows into %zu files (%zu samples)\n", im.n_rows,
	       n_files, n_samples);
	status = 0;
out:
	free(im.rows);
	free(data);
	return status;
}

/* ---- status ---- */

struct status_ctx {
	const struct catalog *cat;
	struct db_endpoint_state *states; /* by area index */
	struct db_report *reports;
};

static int
status_state(void *ctx, const struct db_endpoint_state *s)
{
	struct status_ctx *sc = ctx;
	int a = catalog_find_area(sc->cat, s->area);

	if (a >= 0)
		sc->states[a] = *s;
	return 0;
}

static int
status_report(void *ctx, const struct db_report *r)
{
	struct status_ctx *sc = ctx;
	int a = catalog_find_area(sc->cat, r->area);

	if (a >= 0)
		sc->reports[a] = *r;
	return 0;
}

static int
cmd_status(struct ctl *c)
{
	const struct catalog *cat = c->cat;
	struct status_ctx sc = { cat, NULL, NULL };
	size_t i, counts[4] = { 0 };
	time_t now = time(NULL);

	if (ctl_open_stores(c) < 0)
		return 1;
	sc.states = xcalloc(cat->n_areas, sizeof(*sc.states));
	sc.reports = xcalloc(cat->n_areas, sizeof(*sc.reports));
	for (i = 0; i < cat->n_areas; i++)
		sc.reports[i].period = -1;
	store_db_each_endpoint_state(c->db, status_state, &sc);
	store_db_each_latest(c->db, status_report, &sc);
	printf("%-6s %-8s %-7s %-20s %-20s %4s  %s\n", "area", "status",
	       "period", "received", "last_success", "fail", "last_error");
	for (i = cat->first_municipality; i < cat->n_areas; i++) {
		const struct db_endpoint_state *s = &sc.states[i];
		const struct db_report *r = &sc.reports[i];
		enum report_status st =
		    reporting_status(r->period, s->consecutive_failures, now,
		                     c->cfg.ontime_days);
		char p[8] = "-", recv[32] = "-", ok[32] = "-";

		counts[st]++;
		if (r->period >= 0) {
			period_format(r->period, p, sizeof(p));
			format_time(r->received, recv, sizeof(recv));
		}
		if (s->last_success > 0)
			format_time(s->last_success, ok, sizeof(ok));
		printf("%-6s %-8s %-7s %-20s %-20s %4d  %s\n",
		       cat->areas[i].code, reporting_status_name(st), p, recv,
		       ok, s->consecutive_failures,
		       s->consecutive_failures > 0 ? s->last_error : "");
	}
	printf("total: %zu ok, %zu late, %zu failing, %zu never\n",
	       counts[REPORT_OK], counts[REPORT_LATE], counts[REPORT_FAILING],
	       counts[REPORT_NEVER]);
	free(sc.states);
	free(sc.reports);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl c = { .path = "config/kuntamon.conf" };
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	int i, n = 0, status;

	if (args == NULL)
		return 1;
	for (i = 1; i < argc; i++) { /* -c FILE anywhere */
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			c.path = argv[++i];
		else
			args[n++] = argv[i];
	}
	if (n == 0 || strcmp(args[0], "-h") == 0 ||
	    strcmp(args[0], "--help") == 0) {
		free(args);
		return usage(n == 0 ? stderr : stdout);
	}
	if (load(&c) < 0) {
		free(args);
		return 2;
	}
	if (strcmp(args[0], "check") == 0 && n == 1)
		status = cmd_check(&c);
	else if (strcmp(args[0], "import") == 0 && n == 2)
		status = cmd_import(&c, args[1]);
	else if (strcmp(args[0], "status") == 0 && n == 1)
		status = cmd_status(&c);
	else if (strcmp(args[0], "export") == 0)
		status = ctl_export(&c, n, args);
	else if (strcmp(args[0], "token") == 0)
		status = ctl_token(&c, n, args);
	else
		status = usage(stderr);
	store_rrd_free(c.rrd);
	store_db_close(c.db);
	catalog_unref(c.cat);
	free(args);
	return status;
}
