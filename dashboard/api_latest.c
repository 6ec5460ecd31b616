/*
 * api_latest.c: GET /api/v1/latest?indicator=&level=&region=&lang=, the
 * latest figure of one indicator (or measure) for every municipality, every
 * region or the country, with the period it describes and how reporting
 * stands: what the dashboard's map and ranked tables show.
 *
 * The answer is a JSON array sorted by area code; each element has "area",
 * "name" (in the language of lang= or Accept-Language, Finnish by default),
 * "value" (null if unknown), "suppressed", "period" ("YYYY-MM", null if
 * none) and "status" (ok, late, failing, never).
 * - A municipality (level=municipality, optionally region=MKxx): the value
 *   comes from its latest document, i.e. the RRD file's last update (a
 *   measure that document lacked is null); period is the latest period it
 *   reported; status is reporting_status(). "region" names its region.
 * - A region (level=region) or the country (level=country): the value is
 *   formed from its municipalities' latest values as the series are:
 *   measures by their aggregate rule, indicators as sum(num)/sum(den)*scale
 *   over the municipalities that have both. period is the latest period
 *   most of its municipalities reported (a tie goes to the later one).
 *   status is failing if any municipality is failing, else late if any is
 *   late or never reported, else ok. "reporting" of "expected"
 *   municipalities reported the expected period.
 * - reporting_rate is reporting / expected * 100 for the expected period;
 *   for a municipality 100 or 0.
 * - Suppression (SPEC §7): to a reader who is not unsuppressed for the area
 *   (access_is_unsuppressed; with public = no as well, for a municipal
 *   token reading another municipality), a municipality's count below 5,
 *   or an indicator built on one, is null with "suppressed": true; so is a
 *   region's value that is one municipality's figure in disguise (only one
 *   municipality contributed, or the min or max of a count is below 5).
 *
 * Reading 308 files costs about 100 ms (0.3 ms a file), so the raw figures
 * (each municipality's last value of every measure, its latest period,
 * consecutive failures, whether it reported the expected period) live in
 * one snapshot shared by every indicator, level, language and reader. It is
 * rebuilt when the country's data generation, the failure counters, the
 * expected period, the catalog or the stores change. A rebuild reads again
 * only the files of municipalities whose own data generation moved, and
 * every file once SNAPSHOT_MAX_AGE_S have passed since they were all read
 * (kuntamonctl import writes from outside and bumps no generation); the
 * database is read whole each time, a few milliseconds. Generations and
 * counters are read before the figures, so a change during a build only
 * causes one more read. A snapshot holds a catalog reference: while it
 * lives, that catalog's address cannot be reused by a newer one, so
 * comparing pointers is exact.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "access.h"
#include "aggregate.h"
#include "app.h"
#include "catalog.h"
#include "lang.h"
#include "log.h"
#include "reporting.h"
#include "respond.h"
#include "routes.h"
#include "store_db.h"
#include "store_rrd.h"
#include "timespec.h"
#include "xmalloc.h"

#define SNAPSHOT_MAX_AGE_S 60

enum level { LEVEL_REGION, LEVEL_MUNICIPALITY, LEVEL_COUNTRY };

static const char *const level_choices[] = {
	[LEVEL_REGION] = "region",
	[LEVEL_MUNICIPALITY] = "municipality",
	[LEVEL_COUNTRY] = "country",
};

struct snapshot {
	atomic_int refs;
	/* What it was built from. */
	struct catalog *cat; /* referenced */
	const struct store_rrd *rrd;
	const struct store_db *db;
	unsigned long generation; /* the country's */
	unsigned long n_failed;   /* polls failed + documents rejected */
	int expected;             /* the period `reported` is about */
	time_t all_read;          /* when every file was last read */
	/* Per municipality i (area cat->first_municipality + i). */
	size_t n_mun;
	unsigned long *gens; /* its data generation when its file was read */
	double *values;      /* [i * n_measures + m]; NaN: unknown */
	int *latest;         /* latest period reported; -1: never */
	int *failures;       /* consecutive failed polls; 0: no endpoint */
	bool *reported;      /* reported the expected period */
};

struct params {
	int measure;   /* the measure asked for, or -1 */
	int indicator; /* the indicator asked for, or -1 */
	int level;     /* enum level */
	int region;    /* area index of region=, or -1 */
	enum lang lang;
};

struct row {
	int area;
	const char *code;
	double value;
	bool is_suppressed;
	int period; /* -1: none */
	enum report_status status;
	int reporting, expected; /* regions and the country; else -1 */
};

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *snap_current; /* guarded by snap_lock */

/* cJSON returns NULL only when malloc fails; a daemon aborts then. */
static void *
must(void *p)
{
	if (p == NULL) {
		fputs("kuntamon: out of memory\n", stderr);
		abort();
	}
	return p;
}

/* --- the snapshot ------------------------------------------------------ */

static void
snapshot_unref(struct snapshot *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	free(s->gens);
	free(s->values);
	free(s->latest);
	free(s->failures);
	free(s->reported);
	catalog_unref(s->cat);
	free(s);
}

/* Municipality index of an area code, or -1. */
static int
mun_index(const struct snapshot *s, const char *code)
{
	int a = catalog_find_area(s->cat, code);

	if (a < (int)s->cat->first_municipality)
		return -1;
	return a - (int)s->cat->first_municipality;
}

static int
on_latest(void *ctx, const struct db_report *r)
{
	struct snapshot *s = ctx;
	int i = mun_index(s, r->area);

	if (i >= 0)
		s->latest[i] = r->period;
	return 0;
}

static int
on_state(void *ctx, const struct db_endpoint_state *e)
{
	struct snapshot *s = ctx;
	int i = mun_index(s, e->area);

	/* an endpoint since removed from the catalog fails no one */
	if (i >= 0 &&
	    s->cat->areas[s->cat->first_municipality + (size_t)i].endpoint >= 0)
		s->failures[i] = e->consecutive_failures;
	return 0;
}

static int
on_reported(void *ctx, const char *area, int period)
{
	struct snapshot *s = ctx;
	int i = mun_index(s, area);

	(void)period;
	if (i >= 0)
		s->reported[i] = true;
	return 0;
}

/* Whether prev's file figures may be reused for a build at now. */
static bool
is_reusable(const struct snapshot *prev, const struct app *app,
            const struct catalog *cat, time_t now)
{
	return prev != NULL && prev->cat == cat && prev->rrd == app->rrd &&
	       now >= prev->all_read &&
	       now - prev->all_read < SNAPSHOT_MAX_AGE_S;
}

/* Reads every municipality's figures, taking from prev (may be NULL) those
 * whose file has seen no new data. NULL if the database fails; a file that
 * cannot be read is logged and counts as unknown. */
static struct snapshot *
snapshot_build(struct app *app, struct catalog *cat, int expected, time_t now,
               const struct snapshot *prev)
{
	struct snapshot *s = xcalloc(1, sizeof(*s));
	size_t nm = cat->n_measures, i, m;
	const char **ds = xcalloc(nm + 1, sizeof(*ds));
	bool is_reuse = is_reusable(prev, app, cat, now);

	atomic_init(&s->refs, 1);
	s->cat = catalog_ref(cat);
	s->rrd = app->rrd;
	s->db = app->db;
	s->expected = expected;
	s->all_read = is_reuse ? prev->all_read : now;
	s->n_mun = cat->n_areas - cat->first_municipality;
	s->gens = xcalloc(s->n_mun + 1, sizeof(*s->gens));
	s->values = xcalloc(s->n_mun * nm + 1, sizeof(*s->values));
	s->latest = xcalloc(s->n_mun + 1, sizeof(*s->latest));
	s->failures = xcalloc(s->n_mun + 1, sizeof(*s->failures));
	s->reported = xcalloc(s->n_mun + 1, sizeof(*s->reported));
	for (m = 0; m < nm; m++)
		ds[m] = cat->measures[m].id;
	for (i = 0; i < s->n_mun; i++) {
		const char *code = cat->areas[cat->first_municipality + i].code;
		struct error err = { 0 };
		time_t t;

		s->latest[i] = -1;
		s->gens[i] = app_generation(app, code);
		if (is_reuse && s->gens[i] == prev->gens[i]) {
			memcpy(&s->values[i * nm], &prev->values[i * nm],
			       nm * sizeof(*s->values));
			continue;
		}
		for (m = 0; m < nm; m++)
			s->values[i * nm + m] = NAN;
		if (app->rrd != NULL &&
		    store_rrd_lastupdate(app->rrd, code, ds, nm, &t,
		                         &s->values[i * nm], &err) < 0) {
			char q[300];

			log_warn("cannot read the latest values",
			         "area=%s err=%s", code,
			         log_quote(err.msg, q, sizeof(q)));
		}
	}
	free(ds);
	if (app->db == NULL ||
	    store_db_each_latest(app->db, on_latest, s) < 0 ||
	    store_db_each_endpoint_state(app->db, on_state, s) < 0 ||
	    store_db_each_report(app->db, expected, expected, on_reported, s) <
	        0) {
		snapshot_unref(s);
		return NULL;
	}
	return s;
}

/* The current snapshot with a reference the caller drops, rebuilt first
 * if stale; NULL if it cannot be built. */
static struct snapshot *
snapshot_get(struct app *app, struct catalog *cat, int expected, time_t now)
{
	unsigned long gen = app_generation(app, cat->areas[0].code);
	unsigned long failed = atomic_load(&app->stats.polls_failed) +
	                       atomic_load(&app->stats.documents_rejected);
	struct snapshot *s, *old = NULL;

	pthread_mutex_lock(&snap_lock);
	s = snap_current;
	/* built under the lock: concurrent readers wait for one build
	 * rather than all reading the files at once */
	if (s == NULL || s->cat != cat || s->rrd != app->rrd ||
	    s->db != app->db || s->generation != gen || s->n_failed != failed ||
	    s->expected != expected || now < s->all_read ||
	    now - s->all_read >= SNAPSHOT_MAX_AGE_S) {
		s = snapshot_build(app, cat, expected, now, snap_current);
		if (s == NULL) {
			pthread_mutex_unlock(&snap_lock);
			return NULL;
		}
		s->generation = gen;
		s->n_failed = failed;
		old = snap_current;
		snap_current = s;
	}
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&snap_lock);
	snapshot_unref(old);
	return s;
}

/* --- figures ----------------------------------------------------------- */

static double
mval(const struct snapshot *s, size_t i, int m)
{
	return s->values[i * s->cat->n_measures + (size_t)m];
}

static bool
has_term(const struct term *t)
{
	return t->measure >= 0 || t->ref != REF_NONE;
}

/* One side of an indicator for municipality i. */
static double
term_value(const struct snapshot *s, size_t i, const struct term *t)
{
	const struct area *a = &s->cat->areas[s->cat->first_municipality + i];

	if (t->measure >= 0)
		return mval(s, i, t->measure) * catalog_ref_value(a, t->ref);
	if (t->ref != REF_NONE)
		return catalog_ref_value(a, t->ref);
	return NAN;
}

/* Whether a count behind municipality i's figure is below the public
 * limit. */
static bool
is_small_count(const struct snapshot *s, size_t i, const struct params *p)
{
	const struct catalog *cat = s->cat;
	const struct indicator *ind;

	if (p->measure >= 0)
		return aggregate_is_suppressed_count(&cat->measures[p->measure],
		                                     mval(s, i, p->measure));
	ind = &cat->indicators[p->indicator];
	if (ind->kind != IND_RATIO)
		return false;
	return (ind->num.measure >= 0 &&
	        aggregate_is_suppressed_count(&cat->measures[ind->num.measure],
	                                      mval(s, i, ind->num.measure))) ||
	       (ind->den.measure >= 0 &&
	        aggregate_is_suppressed_count(&cat->measures[ind->den.measure],
	                                      mval(s, i, ind->den.measure)));
}

/* The figure over the municipalities mun[0 .. n) (indices into the
 * snapshot), as the series form it; scratch holds 2 * n doubles.
 * *out_contributor is the one that formed it if only one did, else -1. */
static double
figure(const struct snapshot *s, const struct params *p, const size_t *mun,
       size_t n, double *scratch, int *out_contributor)
{
	const struct indicator *ind = NULL;
	double *x = scratch, *y = scratch + n, v = NAN;
	size_t k, n_reported = 0;
	int n_used = 0;

	*out_contributor = -1;
	if (p->measure >= 0) {
		for (k = 0; k < n; k++)
			x[k] = mval(s, mun[k], p->measure);
		aggregate_measure(s->cat->measures[p->measure].aggregate, x, n,
		                  1, &v, &n_used);
	} else if ((ind = &s->cat->indicators[p->indicator])->kind ==
	           IND_REPORTING) {
		for (k = 0; k < n; k++)
			n_reported += s->reported[mun[k]];
		if (n > 0)
			v = (double)n_reported / (double)n * ind->scale;
		return v; /* not a count of anyone's clients */
	} else {
		bool has_den = has_term(&ind->den);

		for (k = 0; k < n; k++) {
			x[k] = term_value(s, mun[k], &ind->num);
			y[k] = has_den ? term_value(s, mun[k], &ind->den) : 0;
		}
		aggregate_ratio(x, has_den ? y : NULL, n, 1, ind->scale, &v,
		                &n_used);
	}
	if (n_used == 1)
		for (k = 0; k < n; k++)
			if (!isnan(x[k]) && (ind == NULL || !isnan(y[k])))
				*out_contributor = (int)mun[k];
	return v;
}

static void
municipality_row(const struct snapshot *s, const struct params *p,
                 const struct principal *who, size_t i, time_t now,
                 int ontime_days, double *scratch, struct row *r)
{
	int area = (int)(s->cat->first_municipality + i), contributor;

	memset(r, 0, sizeof(*r));
	r->area = area;
	r->code = s->cat->areas[area].code;
	r->value = figure(s, p, &i, 1, scratch, &contributor);
	if (isfinite(r->value) && !access_is_unsuppressed(who, r->code) &&
	    is_small_count(s, i, p)) {
		r->value = NAN;
		r->is_suppressed = true;
	}
	r->period = s->latest[i];
	r->status =
	    reporting_status(s->latest[i], s->failures[i], now, ontime_days);
	r->reporting = r->expected = -1;
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The period most of periods[0 .. n) name, ties to the later; -1 if none.
 * Sorts periods. */
static int
common_period(int *periods, size_t n)
{
	size_t k, run = 0, best_run = 0;
	int best = -1;

	qsort(periods, n, sizeof(*periods), cmp_int);
	for (k = 0; k < n; k++) {
		run = k > 0 && periods[k] == periods[k - 1] ? run + 1 : 1;
		if (run >= best_run) {
			best_run = run;
			best = periods[k];
		}
	}
	return best;
}

/* Room for one group's figures: n_areas of each. */
struct work {
	int *areas;
	size_t *mun;
	int *periods;
	double *scratch; /* 2 * n_areas */
};

/* A region's or the country's row. */
static void
group_row(const struct snapshot *s, const struct params *p,
          const struct principal *who, int area, time_t now, int ontime_days,
          const struct work *w, struct row *r)
{
	const struct catalog *cat = s->cat;
	size_t *mun = w->mun, n, k, n_periods = 0;
	int *periods = w->periods;
	bool any_failing = false, any_late = false;
	int contributor;

	memset(r, 0, sizeof(*r));
	r->area = area;
	r->code = cat->areas[area].code;
	n = catalog_municipalities_of(cat, area, w->areas);
	for (k = 0; k < n; k++)
		mun[k] = (size_t)w->areas[k] - cat->first_municipality;
	r->value = figure(s, p, mun, n, w->scratch, &contributor);
	if (isfinite(r->value) &&
	    ((contributor >= 0 &&
	      !access_is_unsuppressed(
	          who, cat->areas[cat->first_municipality + (size_t)contributor]
	                   .code) &&
	      is_small_count(s, (size_t)contributor, p)) ||
	     (p->measure >= 0 &&
	      (cat->measures[p->measure].aggregate == AGG_MIN ||
	       cat->measures[p->measure].aggregate == AGG_MAX) &&
	      aggregate_is_suppressed_count(&cat->measures[p->measure],
	                                    r->value) &&
	      !access_is_unsuppressed(who, r->code)))) {
		r->value = NAN;
		r->is_suppressed = true;
	}
	r->reporting = 0;
	r->expected = (int)n;
	for (k = 0; k < n; k++) {
		size_t i = mun[k];
		enum report_status st = reporting_status(
		    s->latest[i], s->failures[i], now, ontime_days);

		r->reporting += s->reported[i];
		if (st == REPORT_FAILING)
			any_failing = true;
		else if (st != REPORT_OK)
			any_late = true;
		if (s->latest[i] >= 0)
			periods[n_periods++] = s->latest[i];
	}
	r->period = common_period(periods, n_periods);
	r->status = n == 0        ? REPORT_NEVER
	            : any_failing ? REPORT_FAILING
	            : any_late    ? REPORT_LATE
	                          : REPORT_OK;
}

static int
cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->code,
	              ((const struct row *)b)->code);
}

static void
add_row(cJSON *arr, const struct catalog *cat, const struct row *r,
        enum lang lang)
{
	const struct area *a = &cat->areas[r->area];
	cJSON *o = must(cJSON_CreateObject());
	char period[16];

	cJSON_AddItemToArray(arr, o);
	must(cJSON_AddStringToObject(o, "area", a->code));
	must(cJSON_AddStringToObject(o, "name", a->name[lang]));
	if (a->level == AREA_MUNICIPALITY && a->region >= 0)
		must(cJSON_AddStringToObject(o, "region",
		                             cat->areas[a->region].code));
	if (isfinite(r->value))
		must(cJSON_AddNumberToObject(o, "value", r->value));
	else
		must(cJSON_AddNullToObject(o, "value"));
	must(cJSON_AddBoolToObject(o, "suppressed", r->is_suppressed));
	if (r->period >= 0) {
		period_format(r->period, period, sizeof(period));
		must(cJSON_AddStringToObject(o, "period", period));
	} else {
		must(cJSON_AddNullToObject(o, "period"));
	}
	must(cJSON_AddStringToObject(o, "status",
	                             reporting_status_name(r->status)));
	if (r->expected >= 0) {
		must(cJSON_AddNumberToObject(o, "reporting", r->reporting));
		must(cJSON_AddNumberToObject(o, "expected", r->expected));
	}
}

/* The rows asked for, as a JSON array sorted by area code. */
static cJSON *
latest_json(const struct snapshot *s, const struct params *p,
            const struct principal *who, time_t now, int ontime_days)
{
	const struct catalog *cat = s->cat;
	size_t n_max = cat->n_areas, n = 0, i;
	struct row *rows = xcalloc(n_max + 1, sizeof(*rows));
	struct work w;
	cJSON *arr = must(cJSON_CreateArray());

	w.areas = xcalloc(n_max + 1, sizeof(*w.areas));
	w.mun = xcalloc(n_max + 1, sizeof(*w.mun));
	w.periods = xcalloc(n_max + 1, sizeof(*w.periods));
	w.scratch = xcalloc(2 * n_max + 1, sizeof(*w.scratch));

	if (p->level == LEVEL_MUNICIPALITY) {
		for (i = 0; i < s->n_mun; i++) {
			const struct area *a =
			    &cat->areas[cat->first_municipality + i];

			if (p->region >= 0 && a->region != p->region)
				continue;
			municipality_row(s, p, who, i, now, ontime_days,
			                 w.scratch, &rows[n++]);
		}
	} else if (p->level == LEVEL_REGION) {
		for (i = 1; i < cat->first_municipality; i++)
			if (cat->areas[i].level == AREA_REGION)
				group_row(s, p, who, (int)i, now, ontime_days,
				          &w, &rows[n++]);
	} else {
		group_row(s, p, who, 0, now, ontime_days, &w, &rows[n++]);
	}
	qsort(rows, n, sizeof(*rows), cmp_row);
	for (i = 0; i < n; i++)
		add_row(arr, cat, &rows[i], p->lang);
	free(w.scratch);
	free(w.periods);
	free(w.mun);
	free(w.areas);
	free(rows);
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
	struct catalog *cat = app_catalog(app);
	struct snapshot *s = NULL;
	struct config cfg;
	struct params p;
	time_t now = time(NULL);
	cJSON *arr;

	app_config(app, &cfg);
	if (!access_may_read(&req->who, cfg.is_public)) {
		respond_error(resp, 401, "a token is required");
		respond_header(resp, "WWW-Authenticate", "Bearer");
		goto out;
	}
	if (parse_params(req, cat, &p, resp) < 0)
		goto out;
	s = snapshot_get(app, cat,
	                 reporting_expected_period(now, cfg.ontime_days), now);
	if (s == NULL) {
		respond_error(resp, 503, "the database is not available");
		goto out;
	}
	arr = latest_json(s, &p, &req->who, now, cfg.ontime_days);
	respond_json(resp, 200, arr);
	cJSON_Delete(arr);
	/* answers differ by token: no shared cache may keep them */
	respond_header(resp, "Cache-Control", "private, no-cache");
	respond_header(resp, "Vary", "Accept-Language, Authorization");
out:
	snapshot_unref(s);
	catalog_unref(cat);
}
