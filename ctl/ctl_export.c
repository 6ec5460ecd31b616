/*
 * ctl_export.c: `kuntamonctl export`, from the figures in the database,
 * with or without the daemon running:
 *   - a series (--area, --indicator) as CSV or JSON, through series.c
 *     like GET /api/v1/series;
 *   - with --data, the data table (many areas x indicators x periods)
 *     as JSON, CSV, Finnish Excel's CSV, XLSX or JSON-stat, through
 *     data.c and export.h like GET /api/v1/data and its siblings.
 *
 * It loads the figures as the daemon does (ingest_load), so the answer
 * is the API's for the same question asked with a ministry token: the
 * operator reads small counts unsuppressed. JSON has no trailing newline,
 * as the API's; one is added only on a terminal. An XLSX workbook is not
 * written to a terminal.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "api_flags.h"
#include "clock.h"
#include "ctl.h"
#include "data.h"
#include "export.h"
#include "ingest.h"
#include "matrix.h"
#include "reporting.h"
#include "series.h"

/* The formats of --data, and what makes each. */
enum data_format { FMT_JSON, FMT_CSV, FMT_EXCEL_FI, FMT_XLSX, FMT_JSONSTAT };

static const char *const data_format_names[] = {
	[FMT_JSON] = "json",         [FMT_CSV] = "csv",
	[FMT_EXCEL_FI] = "excel-fi", [FMT_XLSX] = "xlsx",
	[FMT_JSONSTAT] = "jsonstat",
};

/* Every flag of both modes; NULL where absent. */
struct flags {
	bool is_data;
	const char *area, *indicator, *format, *output;
	const char *start, *end, *step;             /* a series */
	const char *level, *region, *period, *lang; /* the data table */
};

static int
usage(const char *why)
{
	fprintf(stderr,
	        "kuntamonctl export: %s\n"
	        "usage: kuntamonctl export --area A --indicator I "
	        "[--start S] [--end E] [--step month|SECONDS]\n"
	        "         [--format csv|json] [--output FILE]\n"
	        "       kuntamonctl export --data --indicator LIST|'*' "
	        "[--area LIST] [--level L]\n"
	        "         [--region R] [--period P] [--lang fi|sv|en]\n"
	        "         [--format json|csv|excel-fi|xlsx|jsonstat] "
	        "[--output FILE]\n"
	        "  times: now, -30d, -12h, Unix seconds or YYYY-MM "
	        "(default -1y to now;\n"
	        "  YYYY-MM as --end includes the month); step: month "
	        "(default) or seconds\n"
	        "  --data: areas KU091,MK01, MK01:children or --level "
	        "municipality|region;\n"
	        "  periods YYYY-MM, YYYY-MM..YYYY-MM or LAST_N_MONTHS "
	        "(default LAST_12_MONTHS)\n",
	        why);
	return 2;
}

static int
parse_flags(int argc, char **argv, struct flags *f)
{
	const struct {
		const char *name;
		const char **slot;
	} valued[] = {
		{ "--area", &f->area },     { "--indicator", &f->indicator },
		{ "--format", &f->format }, { "--output", &f->output },
		{ "--start", &f->start },   { "--end", &f->end },
		{ "--step", &f->step },     { "--level", &f->level },
		{ "--region", &f->region }, { "--period", &f->period },
		{ "--lang", &f->lang },
	};
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 1; i < argc; i++) {
		const char **slot = NULL;
		size_t k;

		if (strcmp(argv[i], "--data") == 0) {
			f->is_data = true;
			continue;
		}
		for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
			if (strcmp(argv[i], valued[k].name) == 0)
				slot = valued[k].slot;
		if (slot == NULL) {
			fprintf(stderr,
			        "kuntamonctl export: unknown argument "
			        "\"%s\"\n",
			        argv[i]);
			return usage("see above");
		}
		if (i + 1 >= argc) {
			fprintf(stderr,
			        "kuntamonctl export: %s needs a value\n",
			        argv[i]);
			return usage("see above");
		}
		*slot = argv[++i];
	}
	return 0;
}

/* "parameter start: ..." reads as "--start: ..." here. */
static int
bad_parameter(const struct error *err)
{
	const char *msg = err->msg;

	if (strncmp(msg, "parameter ", 10) == 0)
		msg += 10;
	fprintf(stderr, "kuntamonctl export: --%s\n", msg);
	return 2;
}

/* Writes len bytes to path, or to standard output when path is NULL
 * (with a newline after JSON on a terminal). */
static int
emit(const char *path, const char *bytes, size_t len, bool is_json)
{
	FILE *out = stdout;
	int rc = 0;

	if (path != NULL && (out = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "kuntamonctl export: %s: %s\n", path,
		        strerror(errno));
		return 1;
	}
	if (fwrite(bytes, 1, len, out) != len)
		rc = 1;
	if (rc == 0 && path == NULL && is_json && isatty(STDOUT_FILENO))
		putc('\n', out);
	if (path != NULL) {
		if (fclose(out) != 0)
			rc = 1;
	} else if (fflush(out) != 0) {
		rc = 1;
	}
	if (rc != 0) {
		fprintf(stderr, "kuntamonctl export: cannot write %s\n",
		        path != NULL ? path : "the output");
		if (path != NULL)
			remove(path);
	}
	return rc;
}

static int
export_series(struct ctl *c, const struct flags *f)
{
	struct series_params p = { 0 };
	const char *format = f->format != NULL ? f->format : "csv";
	struct series_spec spec;
	struct series s;
	struct matrix *mx;
	struct error err = { 0 };
	char *text;
	size_t len;
	int rc;

	if (f->level != NULL || f->region != NULL || f->period != NULL ||
	    f->lang != NULL)
		return usage("--level, --region, --period and --lang "
		             "go with --data");
	if (f->area == NULL)
		return usage("--area is required");
	if (f->indicator == NULL)
		return usage("--indicator is required");
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return usage("--format must be csv or json (more with --data)");
	p.area = f->area;
	p.indicator = f->indicator;
	p.start = f->start;
	p.end = f->end;
	p.step = f->step;
	rc = series_resolve(c->cat, &p, clock_now(), &spec, &err);
	if (rc != SERIES_OK)
		return bad_parameter(&err);
	if (ctl_open_stores(c) < 0)
		return 1;
	/* the catalog resolved against is the one the figures are indexed
	 * by, as the daemon's readers' */
	if ((mx = ingest_load(c->cat, c->db, &err)) == NULL) {
		fprintf(stderr, "kuntamonctl export: %s\n", err.msg);
		return 1;
	}
	series_compute(c->cat, mx, &spec, true, &s);
	matrix_free(mx);
	text = strcmp(format, "json") == 0 ? series_format_json(&s, &len)
	                                   : series_format_csv(&s, &len);
	series_reset(&s);
	rc = emit(f->output, text, len, strcmp(format, "json") == 0);
	free(text);
	return rc;
}

static int
export_data(struct ctl *c, const struct flags *f)
{
	const struct principal ministry = { .role = ROLE_MINISTRY };
	struct data_params p = { 0 };
	struct data_query q = { 0 };
	struct data_table t = { 0 };
	struct error err = { 0 };
	enum data_format fmt = FMT_CSV;
	struct matrix *mx;
	time_t now = clock_now();
	char *bytes = NULL;
	size_t len = 0, k;
	int rc;

	if (f->start != NULL || f->end != NULL || f->step != NULL)
		return usage("--start, --end and --step are for a series; "
		             "--data takes --period");
	if (f->indicator == NULL)
		return usage("--indicator is required (a list, or '*' for "
		             "every indicator)");
	if (f->format != NULL) {
		for (k = 0; k < sizeof(data_format_names) /
		                    sizeof(data_format_names[0]);
		     k++)
			if (strcmp(f->format, data_format_names[k]) == 0)
				break;
		if (k ==
		    sizeof(data_format_names) / sizeof(data_format_names[0]))
			return usage("--format must be json, csv, excel-fi, "
			             "xlsx or jsonstat");
		fmt = (enum data_format)k;
	}
	if (fmt == FMT_XLSX && f->output == NULL && isatty(STDOUT_FILENO))
		return usage("an XLSX workbook is not for a terminal: give "
		             "--output FILE or redirect");
	p.indicator = f->indicator;
	p.area = f->area;
	p.level = f->level;
	p.region = f->region;
	p.period = f->period;
	p.lang = f->lang;
	rc = data_resolve(c->cat, &p,
	                  reporting_expected_period(now, c->cfg.ontime_days),
	                  &q, &err);
	if (rc != DATA_OK)
		return bad_parameter(&err);
	if (ctl_open_stores(c) < 0) {
		data_query_reset(&q);
		return 1;
	}
	if ((mx = ingest_load(c->cat, c->db, &err)) == NULL) {
		fprintf(stderr, "kuntamonctl export: %s\n", err.msg);
		data_query_reset(&q);
		return 1;
	}
	data_compute(c->cat, mx, &q, &ministry, &t);
	matrix_free(mx);
	/* the flag column as /api/v1/data gives it */
	if (api_flags_mark_data(c->db, &t) < 0) {
		fprintf(stderr, "kuntamonctl export: cannot read the flags\n");
		data_table_reset(&t);
		return 1;
	}
	switch (fmt) {
	case FMT_JSON:
		bytes = data_format_json(&t, &len);
		break;
	case FMT_CSV:
	case FMT_EXCEL_FI:
		bytes = data_format_csv(&t, fmt == FMT_EXCEL_FI, &len);
		break;
	case FMT_JSONSTAT:
		bytes = export_jsonstat(&t, now, &len);
		break;
	case FMT_XLSX:
		bytes = export_xlsx(&t, now, &len, &err);
		break;
	}
	data_table_reset(&t);
	if (bytes == NULL) {
		fprintf(stderr, "kuntamonctl export: %s\n", err.msg);
		return 1;
	}
	rc =
	    emit(f->output, bytes, len, fmt == FMT_JSON || fmt == FMT_JSONSTAT);
	free(bytes);
	return rc;
}

int
ctl_export(struct ctl *c, int argc, char **argv)
{
	struct flags f;
	int rc;

	if ((rc = parse_flags(argc, argv, &f)) != 0)
		return rc;
	return f.is_data ? export_data(c, &f) : export_series(c, &f);
}
