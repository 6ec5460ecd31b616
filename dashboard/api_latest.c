/*
 * api_latest.c: GET /api/v1/latest?indicator=&level=&region=&lang=, the
 * latest figure of one indicator (or measure) for every municipality, every
 * region or the country, with the period it describes and how reporting
 * stands: what the dashboard's map, cards and ranked tables show.
 *
 * The answer is a JSON array sorted by area code; each element has "area",
 * "name" (in the language of lang= or Accept-Language, Finnish by default),
 * "value" (null if unknown or withheld), "suppressed", "period" ("YYYY-MM",
 * null if none), "status" (ok, late, failing, never), "reporting" and
 * "expected"; a municipality's also "region".
 * - The period is figure_latest_period's: a municipality's latest reported
 *   one; a region's or the country's latest that at least half of its
 *   municipalities reported. The value is figure_compute's for exactly
 *   that period, never a mix of periods: the same number as the series
 *   point of that period.
 * - A region's status is failing if any municipality is failing, else late
 *   if any is late or never reported, else ok.
 * - The statuses change with the clock and with polls that bring no data,
 *   so the ETag is the country's data generation and the bytes themselves
 *   (the answer is small and computed anyway).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "access.h"
#include "app.h"
#include "catalog.h"
#include "clock.h"
#include "figure.h"
#include "lang.h"
#include "number.h"
#include "reporting.h"
#include "respond.h"
#include "routes.h"
#include "store_db.h"
#include "timespec.h"
#include "xmalloc.h"

enum level { LEVEL_REGION, LEVEL_MUNICIPALITY, LEVEL_COUNTRY };

static const char *const level_choices[] = {
	[LEVEL_REGION] = "region",
	[LEVEL_MUNICIPALITY] = "municipality",
	[LEVEL_COUNTRY] = "country",
};

struct params {
	int measure;   /* the measure asked for, or -1 */
	int indicator; /* the indicator asked for, or -1 */
	int level;     /* enum level */
	int region;    /* area index of region=, or -1 */
	enum lang lang;
};

/* Consecutive failed polls by area index, from the database. */
struct failures {
	const struct catalog *cat;
	int *n;
};

static int
on_state(void *ctx, const struct db_endpoint_state *st)
{
	struct failures *f = ctx;
	int a = catalog_find_area(f->cat, st->area);

	/* an endpoint since removed from the catalog fails no one */
	if (a >= 0 && f->cat->areas[a].endpoint >= 0)
		f->n[a] = st->consecutive_failures;
	return 0;
}

static void
add_row(cJSON *arr, const struct catalog *cat, int area, int period,
        const struct figure *f, enum report_status status, enum lang lang)
{
	const struct area *a = &cat->areas[area];
	cJSON *o = xmust(cJSON_CreateObject());
	char text[NUMBER_TEXT_MAX];

	cJSON_AddItemToArray(arr, o);
	xmust(cJSON_AddStringToObject(o, "area", a->code));
	xmust(cJSON_AddStringToObject(o, "name", a->name[lang]));
	if (a->level == AREA_MUNICIPALITY && a->region >= 0)
		xmust(cJSON_AddStringToObject(o, "region",
		                              cat->areas[a->region].code));
	/* the series' bytes for the same number (number.h) */
	if (f->flag == FIGURE_OK)
		xmust(cJSON_AddRawToObject(
		    o, "value", number_format(f->value, text, sizeof(text))));
	else
		xmust(cJSON_AddNullToObject(o, "value"));
	xmust(cJSON_AddBoolToObject(o, "suppressed",
	                            f->flag == FIGURE_SUPPRESSED));
	if (period >= 0) {
		period_format(period, text, sizeof(text));
		xmust(cJSON_AddStringToObject(o, "period", text));
	} else {
		xmust(cJSON_AddNullToObject(o, "period"));
	}
	xmust(cJSON_AddStringToObject(o, "status",
	                              reporting_status_name(status)));
	xmust(cJSON_AddNumberToObject(o, "reporting", f->reporting));
	xmust(cJSON_AddNumberToObject(o, "expected", f->expected));
}

/* An area's status: a municipality's own; a group's the worst of its
 * municipalities' (failing, then late or never). */
static enum report_status
status_of(const struct catalog *cat, const struct matrix *mx,
          const int *failures, int area, time_t now, int ontime_days)
{
	bool any = false, any_late = false;
	size_t i;

	if (cat->areas[area].level == AREA_MUNICIPALITY)
		return reporting_status(matrix_latest(mx, area), failures[area],
		                        now, ontime_days);
	for (i = cat->first_municipality; i < cat->n_areas; i++) {
		enum report_status st;

		if (!figure_is_member(cat, area, (int)i))
			continue;
		st = reporting_status(matrix_latest(mx, (int)i), failures[i],
		                      now, ontime_days);
		if (st == REPORT_FAILING)
			return REPORT_FAILING;
		any = true;
		any_late = any_late || st != REPORT_OK;
	}
	return !any ? REPORT_NEVER : any_late ? REPORT_LATE : REPORT_OK;
}

/* Whether area is one of the rows asked for. */
static bool
is_asked(const struct catalog *cat, const struct params *p, size_t area)
{
	const struct area *a = &cat->areas[area];

	switch (p->level) {
	case LEVEL_MUNICIPALITY:
		return a->level == AREA_MUNICIPALITY &&
		       (p->region < 0 || a->region == p->region);
	case LEVEL_REGION:
		return a->level == AREA_REGION;
	}
	return a->level == AREA_COUNTRY;
}

static int
cmp_code(const void *a, const void *b, void *cat)
{
	const struct catalog *c = cat;

	return strcmp(c->areas[*(const int *)a].code,
	              c->areas[*(const int *)b].code);
}

/* The rows asked for, as a JSON array sorted by area code. */
static cJSON *
latest_json(const struct catalog *cat, const struct matrix *mx,
            const struct params *p, const struct principal *who,
            const int *failures, time_t now, int ontime_days)
{
	int *areas = xcalloc(cat->n_areas + 1, sizeof(*areas));
	cJSON *arr = xmust(cJSON_CreateArray());
	struct figure_key key = { 0, p->indicator, p->measure };
	struct figure f;
	size_t i, n = 0;

	for (i = 0; i < cat->n_areas; i++)
		if (is_asked(cat, p, i))
			areas[n++] = (int)i;
	qsort_r(areas, n, sizeof(*areas), cmp_code, (void *)cat);
	for (i = 0; i < n; i++) {
		int period = figure_latest_period(cat, mx, areas[i]);

		key.area = areas[i];
		figure_compute(
		    cat, mx, &key, period,
		    access_is_unsuppressed(who, cat->areas[areas[i]].code), &f);
		add_row(
		    arr, cat, areas[i], period, &f,
		    status_of(cat, mx, failures, areas[i], now, ontime_days),
		    p->lang);
	}
	free(areas);
	return arr;
}

/* --- the handler ------------------------------------------------------- */

/* Reads and checks the parameters; on error answers resp and returns -1. */
static int
parse_params(const struct request *req, const struct catalog *cat,
             struct params *p, struct response *resp)
{
	const char *id = query_get(req->query, "indicator");
	const char *region = query_get(req->query, "region");
	struct error err = { 0 };
	int a;

	memset(p, 0, sizeof(*p));
	p->measure = p->indicator = p->region = -1;
	if (lang_negotiate(query_get(req->query, "lang"), req->accept_language,
	                   &p->lang, &err) < 0 ||
	    query_get_choice(req->query, "level", level_choices,
	                     sizeof(level_choices) / sizeof(level_choices[0]),
	                     LEVEL_REGION, &p->level, &err) < 0) {
		respond_error(resp, 400, "%s", err.msg);
		return -1;
	}
	if (id == NULL || id[0] == '\0') {
		respond_error(resp, 400, "parameter indicator: required");
		return -1;
	}
	p->indicator = catalog_find_indicator(cat, id);
	if (p->indicator < 0)
		p->measure = catalog_find_measure(cat, id);
	if (p->indicator < 0 && p->measure < 0) {
		respond_error(resp, 404, "unknown indicator \"%s\"", id);
		return -1;
	}
	if (region == NULL)
		return 0;
	if (p->level != LEVEL_MUNICIPALITY) {
		respond_error(resp, 400,
		              "parameter region: only with level=municipality");
		return -1;
	}
	a = catalog_find_area(cat, region);
	if (a < 0) {
		respond_error(resp, 404, "unknown region \"%s\"", region);
		return -1;
	}
	if (cat->areas[a].level != AREA_REGION) {
		respond_error(resp, 400, "parameter region: %s is not a region",
		              cat->areas[a].code);
		return -1;
	}
	p->region = a;
	return 0;
}

void
api_latest_get(const struct request *req, struct response *resp)
{
	struct app *app = req->app;
	const struct catalog *cat;
	const struct matrix *mx;
	struct failures fails = { 0 };
	struct config cfg;
	struct params p;
	time_t now = clock_now();
	unsigned long generation = 0;
	cJSON *arr = NULL;
	char *text;

	app_config(app, &cfg);
	if (!access_may_read(&req->who, cfg.is_public)) {
		respond_error(resp, 401, "a token is required");
		respond_header(resp, "WWW-Authenticate", "Bearer");
		return;
	}
	mx = ingest_read(&app->figures, &cat);
	if (parse_params(req, cat, &p, resp) < 0)
		goto out;
	generation = app_generation(app, cat->areas[0].code);
	fails.cat = cat;
	fails.n = xcalloc(cat->n_areas + 1, sizeof(*fails.n));
	if (store_db_each_endpoint_state(app->db, on_state, &fails) < 0) {
		respond_error(resp, 503, "the database is not available");
		goto out;
	}
	arr =
	    latest_json(cat, mx, &p, &req->who, fails.n, now, cfg.ontime_days);
out:
	ingest_done(&app->figures);
	free(fails.n);
	if (arr == NULL)
		return;
	text = xmust(cJSON_PrintUnformatted(arr));
	cJSON_Delete(arr);
	respond_json_text(resp, 200, text, strlen(text));
	respond_etag(resp, generation, text);
	cJSON_free(text);
	/* Cache-Control is server.c's: public for the public, private for a
	 * token, whose answer may hold unsuppressed figures */
	respond_header(resp, "Vary", "Accept-Language, Authorization");
}
