/*
 * api_series.c: GET /api/v1/series (JSON) and /api/v1/series.csv, one
 * area's indicator or measure over time (SPEC §6). series.c resolves,
 * computes and formats; this file adds access, the cache and the HTTP
 * details.
 *
 * Answers are cached by everything that shapes them: format, area,
 * indicator, the resolved grid (relative times like -30d or now are
 * resolved and rounded down to the step first, so they hit the cache until
 * the next step begins) and, where small counts could be withheld, whether
 * this reader sees them. The area's data generation (app_generation) makes
 * an entry stale once new data lands there, in its region or anywhere for
 * the country, or the catalog is swapped. The generation is read before
 * computing, so data landing meanwhile leaves the entry already stale.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "app.h"
#include "cache.h"
#include "log.h"
#include "respond.h"
#include "routes.h"
#include "series.h"

#define CACHE_MAX_BYTES ((size_t)64 << 20)
#define KEY_MAX 160

enum format { FORMAT_JSON, FORMAT_CSV };

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(struct cache *) series_cache;

/* The cache, made on first use; api_series_release drops it once the
 * server has stopped serving. */
static struct cache *
cache_of(void)
{
	struct cache *c = atomic_load(&series_cache);

	if (c != NULL)
		return c;
	pthread_mutex_lock(&cache_lock);
	c = atomic_load(&series_cache);
	if (c == NULL) {
		c = cache_new(CACHE_MAX_BYTES);
		atomic_store(&series_cache, c);
	}
	pthread_mutex_unlock(&cache_lock);
	return c;
}

void
api_series_release(void)
{
	pthread_mutex_lock(&cache_lock);
	cache_free(atomic_exchange(&series_cache, NULL));
	pthread_mutex_unlock(&cache_lock);
}

static void
add_filename(struct response *resp, const struct catalog *cat,
             const struct series_spec *spec)
{
	const char *id = spec->indicator >= 0
	                     ? cat->indicators[spec->indicator].id
	                     : cat->measures[spec->measure].id;
	char value[RESPONSE_HEADER_VALUE_MAX];

	/* catalog ids and codes only: nothing to quote */
	snprintf(value, sizeof(value), "attachment; filename=\"%s_%s.csv\"",
	         cat->areas[spec->area].code, id);
	respond_header(resp, "Content-Disposition", value);
}

static void
serve(const struct request *req, struct response *resp, enum format format)
{
	struct app *app = req->app;
	struct catalog *cat = app_catalog(app);
	struct series_params p = { 0 };
	struct series_spec spec;
	struct series s;
	struct error err = { 0 };
	struct config cfg;
	const char *type =
	    format == FORMAT_CSV ? CONTENT_TYPE_CSV : CONTENT_TYPE_JSON;
	char key[KEY_MAX], got_type[64], *text;
	unsigned long generation;
	bool sees_all;
	size_t len;
	int rc;

	app_config(app, &cfg);
	if (!access_may_read(&req->who, cfg.is_public)) {
		respond_error(resp, 401, "a token is needed to read");
		goto out;
	}
	p.area = query_get(req->query, "area");
	p.indicator = query_get(req->query, "indicator");
	p.start = query_get(req->query, "start");
	p.end = query_get(req->query, "end");
	p.step = query_get(req->query, "step");
	rc = series_resolve(cat, cfg.step_s, &p, time(NULL), &spec, &err);
	if (rc != SERIES_OK) {
		respond_error(resp, rc == SERIES_NOT_FOUND ? 404 : 400, "%s",
		              err.msg);
		goto out;
	}
	sees_all =
	    !series_is_suppressible(cat, &spec) ||
	    access_is_unsuppressed(&req->who, cat->areas[spec.area].code);
	snprintf(key, sizeof(key), "series|%s|%s|%s|%lld|%lld|%lu|%s",
	         format == FORMAT_CSV ? "csv" : "json",
	         cat->areas[spec.area].code,
	         spec.indicator >= 0 ? cat->indicators[spec.indicator].id
	                             : cat->measures[spec.measure].id,
	         (long long)spec.grid.start, (long long)spec.end,
	         spec.grid.step, sees_all ? "all" : "public");
	generation = app_generation(app, cat->areas[spec.area].code);
	if (cache_get(cache_of(), key, generation, &text, &len, got_type) ==
	    0) {
		atomic_fetch_add(&app->stats.cache_hits, 1);
		respond_take(resp, 200, got_type, text, len);
	} else {
		atomic_fetch_add(&app->stats.cache_misses, 1);
		if (series_compute(cat, app->rrd, app->db, &spec, sees_all, &s,
		                   &err) < 0) {
			char q[300];

			log_warn("series failed", "area=%s indicator=%s err=%s",
			         cat->areas[spec.area].code, p.indicator,
			         log_quote(err.msg, q, sizeof(q)));
			respond_error(resp, 503, "cannot read the series");
			goto out;
		}
		text = format == FORMAT_CSV ? series_format_csv(&s, &len)
		                            : series_format_json(&s, &len);
		series_reset(&s);
		cache_put(cache_of(), key, generation, text, len, type);
		respond_take(resp, 200, type, text, len);
	}
	if (format == FORMAT_CSV)
		add_filename(resp, cat, &spec);
out:
	catalog_unref(cat);
}

void
api_series_get(const struct request *req, struct response *resp)
{
	serve(req, resp, FORMAT_JSON);
}

void
api_series_csv_get(const struct request *req, struct response *resp)
{
	serve(req, resp, FORMAT_CSV);
}
