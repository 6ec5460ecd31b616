/*
 * api_health.c: GET /api/v1/health[?lang=][&area=KU091], how collection
 * stands, for the operators' page and the municipality pages:
 *
 *   {"generated": t, "expected_period": "YYYY-MM",
 *    "cycle": {"running", "last_duration_s", "last_end", "cycles"},
 *    "endpoints": [{"area", "name", "url", "last_poll", "last_success",
 *                   "last_error", "last_error_time", "consecutive_failures",
 *                   "latency_ms", "period", "status"}],
 *    "violations": [{"area", "time", "period", "rule"}],
 *    "rejections": [{"area", "time", "period", "source", "measure",
 *                    "reason", "detail"}],
 *    "counts": {"ok", "late", "failing", "never"},
 *    "outliers": [...]}   (a ministry reader only: GET /api/v1/flags's rows)
 *
 * - endpoints: every municipality the catalog gives an endpoint, sorted by
 *   area code, polled yet or not. Times are Unix seconds, null for never
 *   (as are last_error and latency_ms when there is none); period is the
 *   latest period the municipality reported; status as in
 *   /api/v1/latest. name is in the language of lang= or Accept-Language.
 * - url is only the endpoint's origin (scheme://host[:port]): a path or
 *   query may carry an API key, user:password@ certainly does, and this
 *   page is public.
 * - violations, rejections: rule violations and rejected measures, newest
 *   first: the latest HEALTH_RECENT anywhere, or with area= (a
 *   municipality) those of its latest HEALTH_DOCUMENTS documents — what
 *   its page shows as "rejected in the latest documents, and why".
 * - counts: the status of every municipality of the catalog, those that
 *   report by submission included.
 *
 * Built fresh on each request: a few indexed queries, no files read.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "access.h"
#include "api_flags.h"
#include "app.h"
#include "catalog.h"
#include "clock.h"
#include "lang.h"
#include "reporting.h"
#include "respond.h"
#include "routes.h"
#include "store_db.h"
#include "timespec.h"
#include "xmalloc.h"

#define HEALTH_RECENT 100
#define HEALTH_DOCUMENTS 5
#define HEALTH_OUTLIERS 1000

/* What the database knows, by area index. */
struct health {
	const struct catalog *cat;
	int *latest; /* latest period reported; -1: never */
	struct db_endpoint_state *states;
	bool *has_state;
	cJSON *violations;
	cJSON *rejections;
};

static int
on_latest(void *ctx, const struct db_report *r)
{
	struct health *h = ctx;
	int a = catalog_find_area(h->cat, r->area);

	if (a >= 0)
		h->latest[a] = r->period;
	return 0;
}

static int
on_state(void *ctx, const struct db_endpoint_state *s)
{
	struct health *h = ctx;
	int a = catalog_find_area(h->cat, s->area);

	if (a >= 0) {
		h->states[a] = *s;
		h->has_state[a] = true;
	}
	return 0;
}

static void
health_init(struct health *h, const struct catalog *cat)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	h->cat = cat;
	h->latest = xcalloc(cat->n_areas + 1, sizeof(*h->latest));
	h->states = xcalloc(cat->n_areas + 1, sizeof(*h->states));
	h->has_state = xcalloc(cat->n_areas + 1, sizeof(*h->has_state));
	for (i = 0; i < cat->n_areas; i++)
		h->latest[i] = -1;
}

static void
health_reset(struct health *h)
{
	free(h->has_state);
	free(h->states);
	free(h->latest);
}

/* Each municipality's latest period and its endpoint's state; -1 if the
 * database fails. */
static int
health_load(struct health *h, struct app *app)
{
	if (app->db == NULL ||
	    store_db_each_latest(app->db, on_latest, h) < 0 ||
	    store_db_each_endpoint_state(app->db, on_state, h) < 0)
		return -1;
	return 0;
}

/* Municipality area's reporting status: an endpoint's failures count,
 * a municipality that submits never fails. */
static enum report_status
area_status(const struct health *h, size_t area, time_t now, int ontime_days)
{
	int failures = h->cat->areas[area].endpoint >= 0 && h->has_state[area]
	                   ? h->states[area].consecutive_failures
	                   : 0;

	return reporting_status(h->latest[area], failures, now, ontime_days);
}

/* How many municipalities are in each status. */
static void
health_count(const struct health *h, time_t now, int ontime_days,
             size_t counts[N_REPORT_STATUSES])
{
	size_t i;

	memset(counts, 0, N_REPORT_STATUSES * sizeof(counts[0]));
	for (i = h->cat->first_municipality; i < h->cat->n_areas; i++)
		counts[area_status(h, i, now, ontime_days)]++;
}

static int
on_violation(void *ctx, const struct db_violation *v)
{
	struct health *h = ctx;
	cJSON *o = xmust(cJSON_CreateObject());

	cJSON_AddItemToArray(h->violations, o);
	xmust(cJSON_AddStringToObject(o, "area", v->area));
	respond_add_time(o, "time", v->time);
	respond_add_period(o, "period", v->period);
	xmust(cJSON_AddStringToObject(o, "rule", v->rule));
	return 0;
}

static int
on_rejection(void *ctx, const struct db_rejection_row *r)
{
	struct health *h = ctx;
	cJSON *o = xmust(cJSON_CreateObject());

	cJSON_AddItemToArray(h->rejections, o);
	xmust(cJSON_AddStringToObject(o, "area", r->area));
	respond_add_time(o, "time", r->time);
	respond_add_period(o, "period", r->period);
	xmust(cJSON_AddStringToObject(o, "source", r->source));
	xmust(cJSON_AddStringToObject(o, "measure", r->measure));
	xmust(cJSON_AddStringToObject(o, "reason", r->reason));
	if (r->detail[0] != '\0')
		xmust(cJSON_AddStringToObject(o, "detail", r->detail));
	else
		xmust(cJSON_AddNullToObject(o, "detail"));
	return 0;
}

/* scheme://host[:port] of url, without user information, path or query;
 * "" if url has no scheme. */
static void
url_origin(const char *url, char *out, size_t size)
{
	const char *sep = strstr(url, "://"), *host, *at;
	size_t scheme_len, authority_len;

	out[0] = '\0';
	if (sep == NULL || sep == url)
		return;
	scheme_len = (size_t)(sep - url);
	host = sep + 3;
	authority_len = strcspn(host, "/?#");
	/* the last '@' of the authority ends the user information */
	for (at = host + authority_len; at > host && at[-1] != '@'; at--)
		;
	authority_len -= (size_t)(at - host);
	host = at;
	if (authority_len == 0)
		return;
	snprintf(out, size, "%.*s://%.*s", (int)scheme_len, url,
	         (int)authority_len, host);
}

static int
cmp_area_code(const void *a, const void *b, void *ctx)
{
	const struct catalog *cat = ctx;

	return strcmp(cat->areas[*(const int *)a].code,
	              cat->areas[*(const int *)b].code);
}

static void
add_endpoint(cJSON *arr, const struct health *h, int area, enum lang lang,
             enum report_status st)
{
	const struct catalog *cat = h->cat;
	const struct area *a = &cat->areas[area];
	const struct db_endpoint_state *s = &h->states[area];
	cJSON *o = xmust(cJSON_CreateObject());
	char origin[256];

	cJSON_AddItemToArray(arr, o);
	xmust(cJSON_AddStringToObject(o, "area", a->code));
	xmust(cJSON_AddStringToObject(o, "name", a->name[lang]));
	url_origin(cat->endpoints[a->endpoint].url, origin, sizeof(origin));
	if (origin[0] != '\0')
		xmust(cJSON_AddStringToObject(o, "url", origin));
	else
		xmust(cJSON_AddNullToObject(o, "url"));
	respond_add_time(o, "last_poll", h->has_state[area] ? s->last_poll : 0);
	respond_add_time(o, "last_success",
	                 h->has_state[area] ? s->last_success : 0);
	if (h->has_state[area] && s->last_error[0] != '\0')
		xmust(cJSON_AddStringToObject(o, "last_error", s->last_error));
	else
		xmust(cJSON_AddNullToObject(o, "last_error"));
	respond_add_time(o, "last_error_time",
	                 h->has_state[area] ? s->last_error_time : 0);
	xmust(cJSON_AddNumberToObject(
	    o, "consecutive_failures",
	    h->has_state[area] ? s->consecutive_failures : 0));
	if (h->has_state[area] && s->last_poll > 0 && isfinite(s->latency_ms))
		xmust(cJSON_AddNumberToObject(o, "latency_ms", s->latency_ms));
	else
		xmust(cJSON_AddNullToObject(o, "latency_ms"));
	respond_add_period(o, "period", h->latest[area]);
	xmust(cJSON_AddStringToObject(o, "status", reporting_status_name(st)));
}

static void
add_cycle(cJSON *root, struct app *app)
{
	const struct app_stats *st = &app->stats;
	cJSON *c = xmust(cJSON_AddObjectToObject(root, "cycle"));

	xmust(cJSON_AddBoolToObject(c, "running",
	                            atomic_load(&st->cycle_running) != 0));
	if (atomic_load(&st->cycles) > 0)
		xmust(cJSON_AddNumberToObject(
		    c, "last_duration_s",
		    (double)atomic_load(&st->last_cycle_ms) / 1000.0));
	else
		xmust(cJSON_AddNullToObject(c, "last_duration_s"));
	respond_add_time(c, "last_end",
	                 (time_t)atomic_load(&st->last_cycle_end));
	xmust(cJSON_AddNumberToObject(c, "cycles",
	                              (double)atomic_load(&st->cycles)));
}

/* The whole answer, or NULL if the database fails. */
static cJSON *
health_json(struct app *app, const struct catalog *cat,
            const struct config *cfg, enum lang lang, const char *area,
            time_t now)
{
	struct health h;
	int *order = xcalloc(cat->n_areas + 1, sizeof(*order));
	size_t i, n_order = 0, counts[N_REPORT_STATUSES];
	cJSON *root = xmust(cJSON_CreateObject()), *arr, *c;

	health_init(&h, cat);
	xmust(cJSON_AddNumberToObject(root, "generated", (double)now));
	respond_add_period(root, "expected_period",
	                   reporting_expected_period(now, cfg->ontime_days));
	add_cycle(root, app);
	arr = xmust(cJSON_AddArrayToObject(root, "endpoints"));
	h.violations = xmust(cJSON_AddArrayToObject(root, "violations"));
	h.rejections = xmust(cJSON_AddArrayToObject(root, "rejections"));
	if (health_load(&h, app) < 0 ||
	    store_db_each_violation(app->db, area,
	                            area ? HEALTH_DOCUMENTS : HEALTH_RECENT,
	                            on_violation, &h) < 0 ||
	    store_db_each_rejection(app->db, area,
	                            area ? HEALTH_DOCUMENTS : HEALTH_RECENT,
	                            on_rejection, &h) < 0) {
		cJSON_Delete(root);
		root = NULL;
		goto out;
	}
	health_count(&h, now, cfg->ontime_days, counts);
	for (i = cat->first_municipality; i < cat->n_areas; i++)
		if (cat->areas[i].endpoint >= 0)
			order[n_order++] = (int)i;
	qsort_r(order, n_order, sizeof(*order), cmp_area_code, (void *)cat);
	for (i = 0; i < n_order; i++)
		add_endpoint(
		    arr, &h, order[i], lang,
		    area_status(&h, (size_t)order[i], now, cfg->ontime_days));
	c = xmust(cJSON_AddObjectToObject(root, "counts"));
	for (i = 0; i < N_REPORT_STATUSES; i++)
		xmust(cJSON_AddNumberToObject(
		    c, reporting_status_name((enum report_status)i),
		    (double)counts[i]));
out:
	health_reset(&h);
	free(order);
	return root;
}

int
api_health_status_counts(struct app *app, const struct catalog *cat,
                         int ontime_days, time_t now, size_t *out_counts)
{
	struct health h;
	int rc = -1;

	health_init(&h, cat);
	if (health_load(&h, app) == 0) {
		health_count(&h, now, ontime_days, out_counts);
		rc = 0;
	}
	health_reset(&h);
	return rc;
}

void
api_health_get(const struct request *req, struct response *resp)
{
	struct app *app = req->app;
	struct catalog *cat = app_catalog(app);
	struct error err = { 0 };
	const char *area = query_get(req->query, "area");
	struct config cfg;
	enum lang lang;
	cJSON *root;
	int a = -1;

	app_config(app, &cfg);
	if (!access_may_read(&req->who, cfg.is_public)) {
		respond_error(resp, 401, "a token is required");
		respond_header(resp, "WWW-Authenticate", "Bearer");
		goto out;
	}
	if (lang_negotiate(query_get(req->query, "lang"), req->accept_language,
	                   &lang, &err) < 0) {
		respond_error(resp, 400, "%s", err.msg);
		goto out;
	}
	if (area != NULL && ((a = catalog_find_area(cat, area)) < 0 ||
	                     cat->areas[a].level != AREA_MUNICIPALITY)) {
		respond_error(resp, 404,
		              "parameter area: no municipality %.16s", area);
		goto out;
	}
	root = health_json(app, cat, &cfg, lang, area, clock_now());
	/* the open outlier flags (of area, if given) are the ministry's to
	 * follow up: absent for anyone else */
	if (root != NULL && req->who.role == ROLE_MINISTRY &&
	    api_flags_add(app, a >= 0 ? cat->areas[a].code : NULL, false, lang,
	                  HEALTH_OUTLIERS,
	                  xmust(cJSON_AddArrayToObject(root, "outliers"))) <
	        0) {
		cJSON_Delete(root);
		root = NULL;
	}
	if (root == NULL) {
		respond_error(resp, 503, "the database is not available");
		goto out;
	}
	respond_json(resp, 200, root);
	cJSON_Delete(root);
	respond_header(resp, "Cache-Control", "no-store");
out:
	catalog_unref(cat);
}
