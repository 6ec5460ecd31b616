/*
 * api_activity.c: GET /api/v1/activity?area=KU091[&limit=50], one
 * municipality's record as it reports (SPEC §8): its submissions (the
 * audit log: taken or refused, and why), its polls, the values rejected
 * and why, rule violations and the revisions of its figures, each newest
 * first and at most limit. Needs the municipality's own token (or
 * session) or the ministry's; the route table asks for a token, this file
 * for the right one.
 *
 * The answer is a table of sections, each one member read on its own:
 * a new kind of record is one more line in sections[]. Everything is
 * read from the database (kuntamonctl import writes there before the
 * daemon notices), so the ETag is made of the bytes too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "access.h"
#include "api_flags.h"
#include "app.h"
#include "respond.h"
#include "routes.h"
#include "timespec.h"

#define ACTIVITY_LIMIT_DEFAULT 50
#define ACTIVITY_LIMIT_MAX 500

struct activity {
	struct app *app;
	const char *area; /* a municipality's code, checked */
	size_t limit;
};

/* An audit line's detail is "STATUS what": a taken document's says
 * "kind=KIND" among the rest. */
static int
add_submission(void *ctx, const struct db_audit_row *a)
{
	cJSON *o = cJSON_CreateObject();
	const char *detail = a->detail, *k;
	char *end, kind[16];
	long status = strtol(detail, &end, 10);
	size_t n;

	if (end != detail && *end == ' ')
		detail = end + 1;
	else
		status = 0;
	cJSON_AddNumberToObject(o, "time", (double)a->time);
	cJSON_AddStringToObject(o, "outcome", a->outcome);
	cJSON_AddNumberToObject(o, "status", (double)status);
	cJSON_AddStringToObject(o, "detail", detail);
	if ((k = strstr(detail, "kind=")) != NULL &&
	    (k == detail || k[-1] == ' ')) {
		k += 5;
		n = strcspn(k, " ");
		if (n > 0 && n < sizeof(kind)) {
			memcpy(kind, k, n);
			kind[n] = '\0';
			cJSON_AddStringToObject(o, "kind", kind);
		}
	}
	cJSON_AddItemToArray(ctx, o);
	return 0;
}

static int
add_submissions(const struct activity *act, cJSON *array)
{
	return store_db_each_audit(act->app->db, act->area, act->limit,
	                           add_submission, array);
}

static int
add_poll(void *ctx, const struct db_poll_row *p)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "time", (double)p->time);
	cJSON_AddBoolToObject(o, "ok", p->error[0] == '\0');
	cJSON_AddNumberToObject(o, "http_status", p->http_status);
	if (p->error[0] != '\0')
		cJSON_AddStringToObject(o, "error", p->error);
	else
		cJSON_AddNullToObject(o, "error");
	cJSON_AddNumberToObject(o, "latency_ms", p->latency_ms);
	respond_add_period(o, "period", p->period);
	cJSON_AddItemToArray(ctx, o);
	return 0;
}

static int
add_polls(const struct activity *act, cJSON *array)
{
	return store_db_each_poll(act->app->db, act->area, "poll", act->limit,
	                          add_poll, array);
}

/* A rejection's detail holds the value as given when it was a number. */
static int
add_rejection(void *ctx, const struct db_rejection_row *r)
{
	cJSON *o = cJSON_CreateObject();
	char *end;
	double v = strtod(r->detail, &end);

	cJSON_AddNumberToObject(o, "time", (double)r->time);
	respond_add_period(o, "period", r->period);
	cJSON_AddStringToObject(o, "measure", r->measure);
	if (r->detail[0] != '\0' && *end == '\0')
		cJSON_AddNumberToObject(o, "value", v);
	else
		cJSON_AddNullToObject(o, "value");
	cJSON_AddStringToObject(o, "reason", r->reason);
	cJSON_AddStringToObject(o, "source", r->source);
	cJSON_AddItemToArray(ctx, o);
	return 0;
}

/* Rejections and violations are read per document: the latest limit
 * documents' (of any source), then cut at limit rows. */
static int
add_rejections(const struct activity *act, cJSON *array)
{
	return store_db_each_rejection(act->app->db, act->area, act->limit,
	                               add_rejection, array);
}

static int
add_violation(void *ctx, const struct db_violation *v)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "time", (double)v->time);
	respond_add_period(o, "period", v->period);
	cJSON_AddStringToObject(o, "rule", v->rule);
	cJSON_AddItemToArray(ctx, o);
	return 0;
}

static int
add_violations(const struct activity *act, cJSON *array)
{
	return store_db_each_violation(act->app->db, act->area, act->limit,
	                               add_violation, array);
}

/* The rows of /api/v1/revisions, by its own code. */
static int
add_revisions(const struct activity *act, cJSON *array)
{
	return api_revisions_add(act->app, act->area, -1, NULL, act->limit,
	                         array);
}

/* Its outlier flags, open and cleared (each row says which), as
 * /api/v1/flags shows them (api_flags.c). */
static int
add_flags(const struct activity *act, cJSON *array)
{
	return api_flags_add(act->app, act->area, true, LANG_FI, act->limit,
	                     array);
}

/* The members of the answer after "area", in order: each an array of at
 * most limit rows, newest first. One line a member. */
struct section {
	const char *name;
	int (*add_fn)(const struct activity *act, cJSON *array);
};

/* clang-format off */
static const struct section sections[] = {
	{ "submissions", add_submissions },
	{ "polls", add_polls },
	{ "rejections", add_rejections },
	{ "violations", add_violations },
	{ "revisions", add_revisions },
	{ "flags", add_flags },
};
/* clang-format on */

/* Keeps the first limit items of array (readers that go by document may
 * give more rows). */
static void
cut(cJSON *array, size_t limit)
{
	while ((size_t)cJSON_GetArraySize(array) > limit)
		cJSON_DeleteItemFromArray(array, cJSON_GetArraySize(array) - 1);
}

void
api_activity_get(const struct request *req, struct response *resp)
{
	struct app *app = req->app;
	struct catalog *cat = app_catalog(app);
	struct activity act = { 0 };
	struct error err = { 0 };
	unsigned long generation;
	cJSON *root;
	size_t i;
	long limit;
	int a;

	if ((a = request_own_municipality(req, cat, "activity", resp)) < 0)
		goto out;
	if (query_get_int(req->query, "limit", 1, ACTIVITY_LIMIT_MAX,
	                  ACTIVITY_LIMIT_DEFAULT, &limit, &err) < 0) {
		respond_error(resp, 400, "%s", err.msg);
		goto out;
	}
	act.app = app;
	act.area = cat->areas[a].code;
	act.limit = (size_t)limit;
	generation = app_generation(app, act.area);
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "area", act.area);
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		cJSON *array = cJSON_AddArrayToObject(root, sections[i].name);

		if (sections[i].add_fn(&act, array) < 0) {
			cJSON_Delete(root);
			respond_error(resp, 503,
			              "the database is not available");
			goto out;
		}
		cut(array, act.limit);
	}
	respond_json_private(resp, root, generation);
	cJSON_Delete(root);
out:
	catalog_unref(cat);
}
