/*
 * api_catalog.c: GET /api/v1/catalog, the areas, measures, indicators and
 * rules with their names, as the dashboard and analysts need them.
 *
 * The catalog changes only on SIGHUP, so its JSON is built once per
 * catalog snapshot and kept. The cache holds a reference to the snapshot it
 * was built from: while cached, that snapshot cannot be freed and its
 * address reused by a newer one, so comparing pointers is exact.
 *
 * The catalog's generation is its JSON: the ETag is made once per
 * snapshot from the bytes, so a reload that changes nothing keeps it and
 * any change to an area, measure or name makes a new one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "catalog.h"
#include "respond.h"
#include "routes.h"
#include "xmalloc.h"

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct catalog *cache_cat; /* referenced; NULL when empty */
static char *cache_json;          /* cJSON_free */
static size_t cache_len;
static char cache_etag[RESPONSE_HEADER_VALUE_MAX];

static const char *const level_names[] = {
	[AREA_COUNTRY] = "country",
	[AREA_REGION] = "region",
	[AREA_MUNICIPALITY] = "municipality",
};

static const char *const lang_keys[N_LANGS] = {
	[LANG_FI] = "fi",
	[LANG_SV] = "sv",
	[LANG_EN] = "en",
};

static void
add_names(cJSON *obj, const char names[N_LANGS][NAME_MAX_BYTES])
{
	cJSON *n = xmust(cJSON_AddObjectToObject(obj, "name"));
	int l;

	for (l = 0; l < N_LANGS; l++)
		xmust(cJSON_AddStringToObject(n, lang_keys[l], names[l]));
}

static const char *
ref_name(enum ref ref)
{
	switch (ref) {
	case REF_POP_TOTAL:
		return "pop_total";
	case REF_POP_FL:
		return "pop_fl";
	case REF_NONE:
		break;
	}
	return NULL;
}

/* A term as measures.json writes it ("gp_open*pop_fl"), or JSON null. */
static void
add_term(cJSON *obj, const char *key, const struct catalog *cat,
         const struct term *t)
{
	const char *ref = ref_name(t->ref);
	char text[MEASURE_ID_MAX + 16];

	if (t->measure >= 0 && ref != NULL)
		snprintf(text, sizeof(text), "%s*%s",
		         cat->measures[t->measure].id, ref);
	else if (t->measure >= 0)
		snprintf(text, sizeof(text), "%s",
		         cat->measures[t->measure].id);
	else if (ref != NULL)
		snprintf(text, sizeof(text), "%s", ref);
	else {
		xmust(cJSON_AddNullToObject(obj, key));
		return;
	}
	xmust(cJSON_AddStringToObject(obj, key, text));
}

static void
add_areas(cJSON *root, const struct catalog *cat)
{
	cJSON *arr = xmust(cJSON_AddArrayToObject(root, "areas"));
	size_t i;

	for (i = 0; i < cat->n_areas; i++) {
		const struct area *a = &cat->areas[i];
		cJSON *o = xmust(cJSON_CreateObject());

		cJSON_AddItemToArray(arr, o);
		xmust(cJSON_AddStringToObject(o, "code", a->code));
		xmust(
		    cJSON_AddStringToObject(o, "level", level_names[a->level]));
		if (a->level == AREA_MUNICIPALITY && a->region >= 0)
			xmust(cJSON_AddStringToObject(
			    o, "region", cat->areas[a->region].code));
		add_names(o, a->name);
		xmust(cJSON_AddNumberToObject(o, "pop_total", a->pop_total));
		xmust(cJSON_AddNumberToObject(o, "pop_fl", a->pop_fl));
		if (a->level == AREA_MUNICIPALITY)
			xmust(cJSON_AddStringToObject(
			    o, "reports_by",
			    a->endpoint >= 0 ? "endpoint" : "submission"));
	}
}

static void
add_measures(cJSON *root, const struct catalog *cat)
{
	cJSON *arr = xmust(cJSON_AddArrayToObject(root, "measures"));
	size_t i;

	for (i = 0; i < cat->n_measures; i++) {
		const struct measure *m = &cat->measures[i];
		cJSON *o = xmust(cJSON_CreateObject());

		cJSON_AddItemToArray(arr, o);
		xmust(cJSON_AddStringToObject(o, "id", m->id));
		xmust(cJSON_AddStringToObject(o, "unit", m->unit));
		xmust(cJSON_AddNumberToObject(o, "min", m->min));
		xmust(cJSON_AddNumberToObject(o, "max", m->max));
		xmust(cJSON_AddStringToObject(
		    o, "aggregate", catalog_aggregate_name(m->aggregate)));
		xmust(cJSON_AddBoolToObject(o, "is_count", m->is_count));
		add_names(o, m->name);
	}
}

static void
add_indicators(cJSON *root, const struct catalog *cat)
{
	cJSON *arr = xmust(cJSON_AddArrayToObject(root, "indicators"));
	size_t i;

	for (i = 0; i < cat->n_indicators; i++) {
		const struct indicator *ind = &cat->indicators[i];
		cJSON *o = xmust(cJSON_CreateObject());

		cJSON_AddItemToArray(arr, o);
		xmust(cJSON_AddStringToObject(o, "id", ind->id));
		xmust(cJSON_AddStringToObject(o, "unit", ind->unit));
		xmust(cJSON_AddNumberToObject(o, "scale", ind->scale));
		add_term(o, "numerator", cat, &ind->num);
		add_term(o, "denominator", cat, &ind->den);
		xmust(cJSON_AddStringToObject(
		    o, "kind",
		    ind->kind == IND_REPORTING ? "reporting" : "ratio"));
		add_names(o, ind->name);
	}
}

/* The catalog's JSON as a heap string (cJSON_free). */
static char *
catalog_json(const struct catalog *cat)
{
	cJSON *root = xmust(cJSON_CreateObject()), *rules;
	char *text;
	size_t i;

	add_areas(root, cat);
	add_measures(root, cat);
	add_indicators(root, cat);
	rules = xmust(cJSON_AddArrayToObject(root, "rules"));
	for (i = 0; i < cat->n_rules; i++)
		cJSON_AddItemToArray(
		    rules, xmust(cJSON_CreateString(cat->rules[i].text)));
	text = xmust(cJSON_PrintUnformatted(root));
	cJSON_Delete(root);
	return text;
}

void
api_catalog_get(const struct request *req, struct response *resp)
{
	struct catalog *cat = app_catalog(req->app), *old = NULL;

	pthread_mutex_lock(&cache_lock);
	if (cache_cat != cat) {
		char *text = catalog_json(cat);

		struct response tagged;
		const char *tag;

		old = cache_cat;
		cJSON_free(cache_json);
		cache_json = text;
		cache_len = strlen(text);
		cache_cat = catalog_ref(cat);
		response_init(&tagged);
		respond_etag(&tagged, 0, cache_json);
		tag = respond_header_get(&tagged, "ETag");
		snprintf(cache_etag, sizeof(cache_etag), "%s",
		         tag != NULL ? tag : "");
	}
	respond_json_text(resp, 200, cache_json, cache_len);
	(void)respond_header(resp, "ETag", cache_etag);
	pthread_mutex_unlock(&cache_lock);
	catalog_unref(old);
	catalog_unref(cat);
}

void
api_catalog_release(void)
{
	struct catalog *old;

	pthread_mutex_lock(&cache_lock);
	old = cache_cat;
	cache_cat = NULL;
	cJSON_free(cache_json);
	cache_json = NULL;
	cache_len = 0;
	pthread_mutex_unlock(&cache_lock);
	catalog_unref(old);
}
