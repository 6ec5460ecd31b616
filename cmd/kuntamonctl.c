/*
 * kuntamonctl.c: the operator's tool. Every command takes -c FILE.
 *   check                  validate config and catalog (exit 2 if bad)
 *   import FILE.csv        figures: area,period,measure,value (ctl_import.c)
 *   status                 collection health per municipality
 *   export ...             a series, or the data table in five formats
 *                          (ctl_export.c)
 *   token ...              create, list, revoke tokens (ctl_token.c)
 * It works on the files directly; the daemon need not run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "clock.h"
#include "config.h"
#include "ctl.h"
#include "reporting.h"
#include "store_db.h"
#include "store_rrd.h"
#include "timespec.h"
#include "xmalloc.h"

static int
usage(FILE *f)
{
	fputs(
	    "usage: kuntamonctl [-c FILE] COMMAND\n"
	    "  check               validate configuration and catalog\n"
	    "  import FILE.csv     import figures (area,period,measure,value)\n"
	    "  status              collection health per municipality\n"
	    "  export --area A --indicator I [--start S] [--end E]\n"
	    "         [--step month|SECONDS] [--format csv|json] [--output F]\n"
	    "  export --data --indicator LIST|'*' [--area LIST] [--level L]\n"
	    "         [--region R] [--period P] [--lang fi|sv|en]\n"
	    "         [--format json|csv|excel-fi|xlsx|jsonstat] [--output F]\n"
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

static void
format_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
	time_t now = clock_now();

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
	else if (strcmp(args[0], "import") == 0)
		status = ctl_import(&c, n, args);
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
