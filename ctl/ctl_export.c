/*
 * ctl_export.c: `kuntamonctl export`, a series as CSV or JSON from the
 * figures in the database, with or without the daemon running.
 *
 * It loads the figures as the daemon does (ingest_load) and goes through
 * series.c like GET /api/v1/series, so the bytes are the API's for the
 * same question asked with a ministry token: the operator reads small
 * counts unsuppressed. The JSON has no trailing newline, as the API's; one
 * is added only on a terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ingest.h"
#include "matrix.h"
#include "series.h"

static int
usage(const char *why)
{
	fprintf(stderr,
	        "kuntamonctl export: %s\n"
	        "usage: kuntamonctl export --area A --indicator I "
	        "[--start S] [--end E] [--step month|SECONDS] "
	        "[--format csv|json]\n"
	        "  times: now, -30d, -12h, Unix seconds or YYYY-MM "
	        "(default -1y to now;\n"
	        "  YYYY-MM as --end includes the month); step: month "
	        "(default) or seconds\n",
	        why);
	return 2;
}

int
ctl_export(struct ctl *c, int argc, char **argv)
{
	struct series_params p = { 0 };
	struct series_spec spec;
	struct series s;
	struct matrix *mx;
	struct error err = { 0 };
	const char *format = "csv";
	char *text;
	size_t len;
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--area") == 0)
			slot = &p.area;
		else if (strcmp(argv[i], "--indicator") == 0)
			slot = &p.indicator;
		else if (strcmp(argv[i], "--start") == 0)
			slot = &p.start;
		else if (strcmp(argv[i], "--end") == 0)
			slot = &p.end;
		else if (strcmp(argv[i], "--step") == 0)
			slot = &p.step;
		else if (strcmp(argv[i], "--format") == 0)
			slot = &format;
		else {
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
	if (p.area == NULL)
		return usage("--area is required");
	if (p.indicator == NULL)
		return usage("--indicator is required");
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return usage("--format must be csv or json");
	rc = series_resolve(c->cat, &p, time(NULL), &spec, &err);
	if (rc != SERIES_OK) {
		/* "parameter start: ..." reads as "--start: ..." here */
		const char *msg = err.msg;

		if (strncmp(msg, "parameter ", 10) == 0)
			msg += 10;
		fprintf(stderr, "kuntamonctl export: --%s\n", msg);
		return 2;
	}
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
	rc = fwrite(text, 1, len, stdout) == len ? 0 : 1;
	if (rc == 0 && strcmp(format, "json") == 0 && isatty(STDOUT_FILENO))
		putchar('\n');
	if (fflush(stdout) != 0)
		rc = 1;
	free(text);
	if (rc != 0)
		fprintf(stderr,
		        "kuntamonctl export: cannot write the output\n");
	return rc;
}
