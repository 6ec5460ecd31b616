/*
 * api_revisions.c: GET /api/v1/revisions?area=KU091[&period=][&measure=],
 * every value each of a municipality's figures has had, newest first
 * (SPEC §6): what a municipality checks of its own reporting, and what the
 * ministry follows up. Needs the municipality's own token or a ministry
 * token; the route table asks for a token, this file for the right one.
 * The history is read from the database, which kuntamonctl import writes
 * before the daemon notices, so the ETag is made of the bytes too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "access.h"
#include "app.h"
#include "respond.h"
#include "routes.h"
#include "timespec.h"

/* At most this many values in one answer: ten years of 16 measures
 * revised a few times each. */
#define REVISIONS_MAX 20000

static int
add_revision(void *ctx, const struct db_revision *r)
{
	cJSON *o = cJSON_CreateObject();
	char period[16];

	period_format(r->period, period, sizeof(period));
	cJSON_AddStringToObject(o, "period", period);
	cJSON_AddStringToObject(o, "measure", r->measure);
	cJSON_AddNumberToObject(o, "value", r->value);
	cJSON_AddNumberToObject(o, "received", (double)r->received);
	cJSON_AddStringToObject(o, "source", r->source);
	if (r->token_id > 0)
		cJSON_AddNumberToObject(o, "token", (double)r->token_id);
	else
		cJSON_AddNullToObject(o, "token");
	if (r->replaced > 0)
		cJSON_AddNumberToObject(o, "replaced", (double)r->replaced);
	else
		cJSON_AddNullToObject(o, "replaced");
	cJSON_AddItemToArray(ctx, o);
	return 0;
}

int
api_revisions_add(struct app *app, const char *area, int period,
                  const char *measure, size_t limit, cJSON *array)
{
	return store_db_each_revision(
	    app->db, area, period, measure,
	    limit < REVISIONS_MAX ? limit : REVISIONS_MAX, add_revision, array);
}

void
api_revisions_get(const struct request *req, struct response *resp)
{
	struct app *app = req->app;
	struct catalog *cat = app_catalog(app);
	const char *period = query_get(req->query, "period");
	const char *measure = query_get(req->query, "measure");
	unsigned long generation;
	int a, p = -1;
	cJSON *arr;

	if ((a = request_own_municipality(req, cat, "revisions", resp)) < 0)
		goto out;
	if (period != NULL && period_parse(period, &p) < 0) {
		respond_error(resp, 400, "parameter period: not YYYY-MM");
		goto out;
	}
	if (measure != NULL && catalog_find_measure(cat, measure) < 0) {
		respond_error(resp, 404, "unknown measure \"%.40s\"", measure);
		goto out;
	}
	generation = app_generation(app, cat->areas[a].code);
	arr = cJSON_CreateArray();
	if (api_revisions_add(app, cat->areas[a].code, p, measure,
	                      REVISIONS_MAX, arr) < 0) {
		cJSON_Delete(arr);
		respond_error(resp, 503, "the database is not available");
		goto out;
	}
	respond_json_private(resp, arr, generation);
	cJSON_Delete(arr);
out:
	catalog_unref(cat);
}
