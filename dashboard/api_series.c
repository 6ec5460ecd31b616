/*
 * api_series.c: GET /api/v1/series (JSON) and /api/v1/series.csv, one
 * area's indicator or measure over time (SPEC §6). series.c resolves,
 * computes and formats; this file adds access, the cache and the HTTP
 * details.
 *
 * The question is resolved against the catalog the figures are indexed
 * by (ingest_read), never app_catalog: after SIGHUP the two differ until
 * the figures are reloaded, and an index of one means nothing in the
 * other. The read lock is held from resolving until the series is
 * computed; formatting works on the computed copy, unlocked.
 *
 * Answers are cached by everything that shapes them: format, area,
 * indicator, the resolved points (relative times like -30d or now resolve
 * to whole months or multiples of the step, so they hit the cache until
 * the next one begins) and, where small counts could be withheld, whether
 * this reader sees them. The area's data generation (app_generation) makes
 * an entry stale once new data lands anywhere (a public figure may depend
 * on any region's, figure.h), or the catalog is swapped. The generation
 * is read before computing, so data landing meanwhile leaves the entry
 * already stale.
 * The ETag is made of the same generation and key, so a cached answer and
 * a computed one carry the same tag, and a new one once data lands.
 *
 * A series is at most SERIES_MAX_POINTS points (400 past it), each one
 * figure of at most every municipality: ~30 ms and ~0.5 MB for the
 * largest. Computing one takes a slot of the expensive-request gate
 * (gate.h), so that a flood of such requests, each a new cache key,
 * holds a bounded amount of memory: past it, 503 with Retry-After. Cache
 * hits take no slot.
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
#include "gate.h"
#include "clock.h"
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
serve(const struct request *req, struct response *resp, enum format format)
{
	struct app *app = req->app;
	const struct catalog *cat;
	const struct matrix *mx;
	struct series_params p = { 0 };
	struct series_spec spec;
	struct series s;
	struct error err = { 0 };
	struct config cfg;
	const char *type =
	    format == FORMAT_CSV ? CONTENT_TYPE_CSV : CONTENT_TYPE_JSON;
	const char *code, *id;
	char key[KEY_MAX], got_type[64], *text;
	char disposition[RESPONSE_HEADER_VALUE_MAX];
	unsigned long generation;
	bool sees_all;
	size_t len;
	int rc;

	app_config(app, &cfg);
	if (!access_may_read(&req->who, cfg.is_public)) {
		respond_error(resp, 401, "a token is needed to read");
		return;
	}
	p.area = query_get(req->query, "area");
	p.indicator = query_get(req->query, "indicator");
	p.start = query_get(req->query, "start");
	p.end = query_get(req->query, "end");
	p.step = query_get(req->query, "step");
	mx = ingest_read(&app->figures, &cat);
	rc = series_resolve(cat, &p, clock_now(), &spec, &err);
	if (rc != SERIES_OK) {
		ingest_done(&app->figures);
		respond_error(resp, rc == SERIES_NOT_FOUND ? 404 : 400, "%s",
		              err.msg);
		return;
	}
	code = cat->areas[spec.key.area].code;
	id = spec.key.indicator >= 0 ? cat->indicators[spec.key.indicator].id
	                             : cat->measures[spec.key.measure].id;
	sees_all = !series_is_suppressible(cat, &spec) ||
	           access_is_unsuppressed(&req->who, code);
	snprintf(key, sizeof(key), "series|%s|%s|%s|%lld|%lld|%lu|%zu|%s",
	         format == FORMAT_CSV ? "csv" : "json", code, id,
	         (long long)spec.start, (long long)spec.end, spec.step,
	         spec.n_points, sees_all ? "all" : "public");
	/* catalog ids and codes only: nothing to quote */
	snprintf(disposition, sizeof(disposition),
	         "attachment; filename=\"%s_%s.csv\"", code, id);
	generation = app_generation(app, code);
	if (cache_get(cache_of(), key, generation, &text, &len, got_type) ==
	    0) {
		ingest_done(&app->figures);
		atomic_fetch_add(&app->stats.cache_hits, 1);
		respond_take(resp, 200, got_type, text, len);
	} else if (req->may_defer) {
		/* computed on a worker, off libmicrohttpd's threads */
		ingest_done(&app->figures);
		respond_defer(resp);
		return;
	} else if (!gate_try_enter(&gate_expensive, gate_expensive_limit())) {
		ingest_done(&app->figures);
		gate_respond_busy(resp, GATE_RETRY_AFTER_S,
		                  "uncached series and data requests");
		return;
	} else {
		series_compute(cat, mx, &spec, sees_all, &s);
		ingest_done(&app->figures);
		atomic_fetch_add(&app->stats.cache_misses, 1);
		text = format == FORMAT_CSV ? series_format_csv(&s, &len)
		                            : series_format_json(&s, &len);
		series_reset(&s);
		gate_leave(&gate_expensive);
		cache_put(cache_of(), key, generation, text, len, type);
		respond_take(resp, 200, type, text, len);
	}
	respond_etag(resp, generation, key);
	if (format == FORMAT_CSV)
		respond_header(resp, "Content-Disposition", disposition);
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
