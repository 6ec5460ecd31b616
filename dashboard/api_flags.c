/*
 * api_flags.c: GET and POST /api/v1/flags, the outliers ingest flagged
 * (figures/outlier.h, SPEC §8), and the rows /api/v1/health and
 * /api/v1/activity show of them.
 *
 * - GET ?area=KU091[&all=1][&lang=]: a municipality reads its own flags
 *   (area required), the ministry any area's, or without area every open
 *   flag. Open: not cleared by a revision; confirmed flags stay open and
 *   listed with their comment. all=1 adds the cleared ones.
 * - POST {"area","measure","period","comment"}: the municipality itself
 *   confirms a flagged figure as right, with a comment; the ministry
 *   reads but does not confirm (403). A figure that is wrong is corrected
 *   by a revision instead, which clears its flag.
 *
 * Flags are read from the database (the only place they are kept), so
 * the ETag is made of the bytes, as for revisions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "access.h"
#include "api_flags.h"
#include "api_submit.h"
#include "app.h"
#include "clock.h"
#include "respond.h"
#include "routes.h"
#include "timespec.h"
#include "utf8.h"
#include "xmalloc.h"

/* At most this many flags in one answer. */
#define FLAGS_MAX 2000

/* The number of characters of s (n bytes), or -1 when it is not UTF-8
 * or holds a control character other than tab and line ends (C0, DEL,
 * C1): a comment is shown on pages. */
static long
comment_chars(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n; i++)
		if ((u[i] < 0x20 && u[i] != '\t' && u[i] != '\n' &&
		     u[i] != '\r') ||
		    u[i] == 0x7f ||
		    (u[i] == 0xc2 && i + 1 < n && u[i + 1] >= 0x80 &&
		     u[i + 1] < 0xa0))
			return -1;
	return utf8_count(s, n);
}

/* Copies member name of obj, a string of 1..size-1 bytes, into out. */
static int
get_string(const cJSON *obj, const char *name, char *out, size_t size,
           struct error *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	size_t len;

	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return error_set(err, 0, "\"%s\": a string is required", name);
	len = strlen(item->valuestring);
	if (len == 0 || len >= size)
		return error_set(err, 0, "\"%s\": must be 1 to %zu bytes", name,
		                 size - 1);
	memcpy(out, item->valuestring, len + 1);
	return 0;
}

int
api_flags_parse_confirm(const char *body, size_t len, struct flags_confirm *out,
                        struct error *err)
{
	cJSON *root;
	char period[16];
	long chars;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root)) {
		error_set(err, 0,
		          "the body must be a JSON object {\"area\", "
		          "\"measure\", \"period\", \"comment\"}");
		goto out;
	}
	if (get_string(root, "area", out->area, sizeof(out->area), err) < 0 ||
	    get_string(root, "measure", out->measure, sizeof(out->measure),
	               err) < 0 ||
	    get_string(root, "period", period, sizeof(period), err) < 0)
		goto out;
	if (period_parse(period, &out->period) < 0) {
		error_set(err, 0, "\"period\": not YYYY-MM");
		goto out;
	}
	if (get_string(root, "comment", out->comment, sizeof(out->comment),
	               err) < 0)
		goto out;
	chars = comment_chars(out->comment, strlen(out->comment));
	if (chars < 0) {
		error_set(err, 0,
		          "\"comment\": must be UTF-8 text without "
		          "control characters");
		goto out;
	}
	if (chars > FLAGS_COMMENT_MAX_CHARS) {
		error_set(err, 0, "\"comment\": at most %d characters",
		          FLAGS_COMMENT_MAX_CHARS);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* One flag as the answers show it. */
static cJSON *
flag_json(const struct catalog *cat, enum lang lang,
          const struct db_flag_row *f)
{
	cJSON *o = xmust(cJSON_CreateObject());
	int a = catalog_find_area(cat, f->area);
	char period[16];

	period_format(f->period, period, sizeof(period));
	xmust(cJSON_AddStringToObject(o, "area", f->area));
	if (a >= 0)
		xmust(cJSON_AddStringToObject(o, "area_name",
		                              cat->areas[a].name[lang]));
	else
		xmust(cJSON_AddNullToObject(o, "area_name"));
	xmust(cJSON_AddStringToObject(o, "measure", f->measure));
	xmust(cJSON_AddStringToObject(o, "period", period));
	xmust(cJSON_AddNumberToObject(o, "value", f->value));
	/* an infinite z (no spread in the history) is null */
	if (isfinite(f->z))
		xmust(cJSON_AddNumberToObject(o, "z", f->z));
	else
		xmust(cJSON_AddNullToObject(o, "z"));
	xmust(cJSON_AddNumberToObject(o, "median", f->median));
	respond_add_time(o, "raised", f->raised);
	if (f->confirmed > 0)
		xmust(cJSON_AddStringToObject(o, "comment", f->comment));
	else
		xmust(cJSON_AddNullToObject(o, "comment"));
	respond_add_time(o, "confirmed", f->confirmed);
	respond_add_time(o, "cleared", f->cleared);
	return o;
}

struct adding {
	const struct catalog *cat;
	enum lang lang;
	cJSON *array;
};

static int
add_flag(void *ctx, const struct db_flag_row *f)
{
	struct adding *ad = ctx;

	cJSON_AddItemToArray(ad->array, flag_json(ad->cat, ad->lang, f));
	return 0;
}

int
api_flags_add(struct app *app, const char *area, bool with_cleared,
              enum lang lang, size_t limit, cJSON *array)
{
	struct adding ad = { app_catalog(app), lang, array };
	int rc;

	rc = store_db_each_flag(app->db, area, with_cleared,
	                        limit < FLAGS_MAX ? limit : FLAGS_MAX, add_flag,
	                        &ad);
	catalog_unref((struct catalog *)ad.cat);
	return rc;
}

struct marks {
	const struct catalog *cat;
	struct data_outlier *o;
	size_t n, cap;
};

static int
add_mark(void *ctx, const struct db_flag_key *k)
{
	struct marks *m = ctx;
	int a = catalog_find_area(m->cat, k->area);
	int measure = catalog_find_measure(m->cat, k->measure);

	if (a < 0 || measure < 0)
		return 0;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->o = xreallocarray(m->o, m->cap, sizeof(*m->o));
	}
	m->o[m->n].area = a;
	m->o[m->n].measure = measure;
	m->o[m->n].period = k->period;
	m->n++;
	return 0;
}

/* Flags change only with figures, so the data generation that makes
 * /api/v1/data's ETag covers them. */
int
api_flags_mark_data(struct store_db *db, struct data_table *t)
{
	struct marks m = { t->cat, NULL, 0, 0 };
	int rc;

	if (t->n_cells == 0)
		return 0;
	rc = store_db_each_open_flag(db, t->q.first_period, t->q.last_period,
	                             add_mark, &m);
	if (rc == 0)
		data_mark_outliers(t, m.o, m.n);
	free(m.o);
	return rc;
}

void
api_flags_get(const struct request *req, struct response *resp)
{
	struct app *app = req->app;
	struct catalog *cat = app_catalog(app);
	const char *area = query_get(req->query, "area");
	const char *all = query_get(req->query, "all");
	struct error err = { 0 };
	unsigned long generation;
	enum lang lang;
	cJSON *arr;
	int a = -1;

	if (req->who.role == ROLE_PUBLIC) {
		respond_error(resp, 401, "a token or a session is needed");
		goto out;
	}
	if (lang_negotiate(query_get(req->query, "lang"), req->accept_language,
	                   &lang, &err) < 0) {
		respond_error(resp, 400, "%s", err.msg);
		goto out;
	}
	if (all != NULL && strcmp(all, "0") != 0 && strcmp(all, "1") != 0) {
		respond_error(resp, 400, "parameter all: must be 0 or 1");
		goto out;
	}
	if (area != NULL && area[0] != '\0') {
		if ((a = request_own_municipality(req, cat, "flags", resp)) < 0)
			goto out;
	} else if (req->who.role != ROLE_MINISTRY) {
		respond_error(resp, 400, "parameter area: required");
		goto out;
	}
	generation = app_generation(app, a >= 0 ? cat->areas[a].code : "SSS");
	arr = xmust(cJSON_CreateArray());
	if (api_flags_add(app, a >= 0 ? cat->areas[a].code : NULL,
	                  all != NULL && strcmp(all, "1") == 0, lang, FLAGS_MAX,
	                  arr) < 0) {
		cJSON_Delete(arr);
		respond_error(resp, 503, "the database is not available");
		goto out;
	}
	respond_json_private(resp, arr, generation);
	cJSON_Delete(arr);
out:
	catalog_unref(cat);
}

void
api_flags_post(const struct request *req, struct response *resp)
{
	struct app *app = req->app;
	struct catalog *cat = app_catalog(app);
	struct flags_confirm *c = xmust(calloc(1, sizeof(*c)));
	struct db_flag_row *row = xmust(calloc(1, sizeof(*row)));
	struct error err = { 0 };
	enum lang lang;
	cJSON *json;
	char period[16];
	int a, rc;

	if (req->who.role == ROLE_PUBLIC) {
		respond_error(resp, 401, "a token or a session is needed");
		goto out;
	}
	if (req->who.role != ROLE_MUNICIPALITY) {
		respond_error(resp, 403,
		              "a flagged figure is confirmed by its own "
		              "municipality");
		goto out;
	}
	if (!api_submit_is_json(req->content_type)) {
		respond_error(resp, 415, "the body must be application/json");
		goto out;
	}
	if (api_flags_parse_confirm(req->body, req->body_len, c, &err) < 0) {
		respond_error(resp, 400, "%s", err.msg);
		goto out;
	}
	a = catalog_find_area(cat, c->area);
	if (a < 0 || strcmp(cat->areas[a].code, req->who.area) != 0) {
		respond_error(resp, 403,
		              "a token of %s may confirm only %s's figures",
		              req->who.area, req->who.area);
		goto out;
	}
	period_format(c->period, period, sizeof(period));
	if (catalog_find_measure(cat, c->measure) < 0) {
		respond_error(resp, 404, "no open flag on %s %s %.40s",
		              cat->areas[a].code, period, c->measure);
		goto out;
	}
	rc = store_db_flag_confirm(app->db, cat->areas[a].code, c->measure,
	                           c->period, c->comment, req->who.token_id,
	                           clock_now(), row);
	if (rc < 0) {
		respond_error(resp, 503, "the database is not available");
		goto out;
	}
	if (rc == 0) {
		respond_error(resp, 404, "no open flag on %s %s %.40s",
		              cat->areas[a].code, period, c->measure);
		goto out;
	}
	if (lang_negotiate(query_get(req->query, "lang"), req->accept_language,
	                   &lang, &err) < 0)
		lang = LANG_FI;
	json = flag_json(cat, lang, row);
	respond_json(resp, 200, json);
	cJSON_Delete(json);
	respond_header(resp, "Cache-Control", "no-store");
out:
	free(row);
	free(c);
	catalog_unref(cat);
}
