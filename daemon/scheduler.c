/*
 * scheduler.c: the collection thread. Owns per-endpoint state (consecutive
 * failures, when it is next due) keyed by area code, so it survives a
 * catalog swap. A cycle: take the current catalog and config, pick the
 * endpoints that are due, hand them to the collector, and ingest each
 * result as it arrives (so one slow endpoint never delays another's
 * write). Each result is its own SQLite transaction: a transaction held
 * across a cycle would make token commands and submissions wait for the
 * slowest endpoint, and a 202 could go out before its record is durable.
 * In WAL mode with synchronous=NORMAL a commit costs no fsync.
 * Cycles run back to back on one thread: they cannot overlap.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "collector.h"
#include "ingest.h"
#include "log.h"
#include "scheduler.h"
#include "xmalloc.h"

#define BACKOFF_MAX_INTERVALS 32
#define BACKOFF_MAX_S 86400

/* The HTTP validators an endpoint last answered with, sent back so that
 * an unchanged document costs a 304; longer ones are not kept. */
#define VALIDATOR_MAX 260

struct ep_state {
	char area[AREA_CODE_MAX];
	int n_failures;
	time_t next_due;
	char etag[VALIDATOR_MAX];          /* "": none */
	char last_modified[VALIDATOR_MAX]; /* "": none */
};

/* A cycle's poll rows go to the database in batches at most this old:
 * unchanged polls cost no commit each, and no other program waits long
 * for the database. Figures and submissions are committed at once
 * whatever the batch (store_db_record). */
#define BATCH_MS 100

/* How often the collection thread looks for figures another program
 * (kuntamonctl import) committed, while it waits for the next cycle. */
#define FIGURES_CHECK_S 1

/* Retention ([storage] retention_days): the logs are pruned at start and
 * then at most this often, between cycles, PRUNE_BATCH rows a
 * transaction so that a submission waits for one batch at most. */
#define PRUNE_EVERY_S 3600
#define PRUNE_BATCH 1000

struct scheduler {
	struct app *app;
	pthread_t thread;
	bool is_started;
	pthread_mutex_t lock; /* guards stop with wake */
	pthread_cond_t wake;
	atomic_bool stop;

	/* Collection thread only from here on. */
	struct catalog *state_cat; /* a reference: what `state` is indexed by */
	struct ep_state *state;    /* [n_areas] of state_cat */
	size_t n_state;
	struct ep_state *restored; /* from the database, until first cycle */
	size_t n_restored;
	/* The collector's state lives across cycles, so its connections are
	 * kept alive; it is made anew only when its options change. */
	const struct collector *col;
	void *col_state;
	struct collect_options col_opts;
	long long pruned_ms; /* CLOCK_MONOTONIC of the last prune; 0: never */
};

/* What one cycle's results need. */
struct cycle {
	struct scheduler *s;
	struct ingest_ctx ingest;
	int interval_s;
	time_t started;
	size_t n_ok, n_failed, n_rejected, n_unchanged;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

time_t
scheduler_backoff_s(int interval_s, int n_failures)
{
	time_t cap = (time_t)interval_s * BACKOFF_MAX_INTERVALS;
	time_t d = interval_s;
	int i;

	if (cap > BACKOFF_MAX_S)
		cap = BACKOFF_MAX_S;
	for (i = 1; i < n_failures && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	return d < interval_s ? interval_s : d;
}

static int
restore_one(void *ctx, const struct db_endpoint_state *st)
{
	struct scheduler *s = ctx;
	struct ep_state *e;

	s->restored =
	    xreallocarray(s->restored, s->n_restored + 1, sizeof(*s->restored));
	e = &s->restored[s->n_restored++];
	snprintf(e->area, sizeof(e->area), "%s", st->area);
	e->n_failures = st->consecutive_failures;
	e->next_due = st->last_poll;
	return 0;
}

struct scheduler *
scheduler_new(struct app *app)
{
	struct scheduler *s = xcalloc(1, sizeof(*s));
	pthread_condattr_t ca;

	s->app = app;
	s->col = collector_find("http_json");
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&s->stop, false);
	store_db_each_endpoint_state(app->db, restore_one, s);
	return s;
}

/* Re-indexes endpoint state by cat's areas, keeping what is known by code.
 * The first time, state comes from the database: a failing endpoint stays
 * in backoff across a restart. */
static void
reindex(struct scheduler *s, struct catalog *cat, int interval_s)
{
	struct ep_state *old = s->state, *from = old;
	size_t n_old = s->n_state, i, j;

	if (s->state_cat == cat)
		return;
	if (from == NULL) {
		from = s->restored;
		n_old = s->n_restored;
		for (i = 0; i < n_old; i++) /* last poll -> when next due */
			if (from[i].n_failures > 0)
				from[i].next_due += scheduler_backoff_s(
				    interval_s, from[i].n_failures);
			else
				from[i].next_due = 0;
	}
	s->state = xcalloc(cat->n_areas, sizeof(*s->state));
	s->n_state = cat->n_areas;
	for (i = 0; i < cat->n_areas; i++) {
		snprintf(s->state[i].area, sizeof(s->state[i].area), "%s",
		         cat->areas[i].code);
		for (j = 0; j < n_old; j++)
			if (strcmp(from[j].area, cat->areas[i].code) == 0) {
				s->state[i] = from[j];
				/* a new catalog may judge the same bytes
				 * otherwise: fetch every document whole once */
				s->state[i].etag[0] = '\0';
				s->state[i].last_modified[0] = '\0';
				break;
			}
	}
	free(old);
	free(s->restored);
	s->restored = NULL;
	s->n_restored = 0;
	catalog_unref(s->state_cat);
	s->state_cat = catalog_ref(cat);
}

static void
keep_validator(char *out, const char *v)
{
	if (v == NULL || strlen(v) >= VALIDATOR_MAX)
		out[0] = '\0';
	else
		snprintf(out, VALIDATOR_MAX, "%s", v);
}

/* The collector's tick: a batch (BEGIN IMMEDIATE: it holds the write
 * lock) is committed and closed once it is BATCH_MS old, results or not,
 * so that a slow endpoint never keeps other programs (an import) from
 * the database while the cycle waits on the network; the next result
 * opens the next batch. Only this thread opens and closes batches. */
static void
on_tick(void *ctx)
{
	struct cycle *c = ctx;

	if (store_db_batch_age_ms(c->s->app->db) >= BATCH_MS)
		store_db_commit(c->s->app->db);
}

static void
on_result(void *ctx, const struct collect_result *res)
{
	struct cycle *c = ctx;
	struct scheduler *s = c->s;
	struct app_stats *stats = &s->app->stats;
	struct ep_state *e = &s->state[res->area];
	const char *code = c->ingest.cat->areas[res->area].code;
	struct ingest_meta meta = { .source = "poll",
		                    .http_status = res->http_status,
		                    .latency_ms = res->latency_ms };
	struct document doc;
	struct error err = { 0 };
	enum ingest_kind kind;
	time_t now = clock_now();
	bool is_ok = false;
	size_t i;

	if (res->is_cancelled)
		return;
	if (store_db_batch_age_ms(s->app->db) < 0)
		store_db_begin(s->app->db); /* on_tick closed the last */
	if (res->is_not_modified) {
		ingest_not_modified(&c->ingest, res->area, now, &meta);
		is_ok = true;
		c->n_unchanged++;
	} else if (res->error != NULL) {
		ingest_failure(&c->ingest, res->area, now, &meta, res->n_bytes,
		               res->error);
		atomic_fetch_add(&stats->polls_failed, 1);
		snprintf(err.msg, sizeof(err.msg), "%s", res->error);
	} else if (ingest_document(&c->ingest, res->area, res->body,
	                           res->body_len, now, &meta, &doc, &kind,
	                           &err) < 0) {
		atomic_fetch_add(&stats->documents_rejected, 1);
		c->n_rejected++;
	} else {
		is_ok = true;
		/* the document is stored: the next poll may ask whether it
		 * changed */
		keep_validator(e->etag, res->etag);
		keep_validator(e->last_modified, res->last_modified);
		if (kind == INGEST_UNCHANGED)
			c->n_unchanged++;
		atomic_fetch_add(&stats->documents_accepted, 1);
		atomic_fetch_add(&stats->measures_accepted, doc.n_accepted);
		for (i = 0; i < doc.n_measures; i++)
			if (doc.status[i] != REJECT_NONE)
				atomic_fetch_add(
				    &stats->measures_rejected[doc.status[i]],
				    1);
		atomic_fetch_add(&stats->measures_rejected[REJECT_UNKNOWN],
		                 doc.n_unknown);
		document_reset(&doc);
	}
	if (!is_ok)
		e->etag[0] = e->last_modified[0] = '\0';
	store_db_commit_if_older(s->app->db, BATCH_MS);
	if (is_ok) {
		e->n_failures = 0;
		e->next_due = 0;
		c->n_ok++;
	} else {
		char q[300];

		e->n_failures++;
		e->next_due = c->started +
		              scheduler_backoff_s(c->interval_s, e->n_failures);
		c->n_failed++;
		log_warn("poll failed",
		         "area=%s http_status=%d failures=%d "
		         "error=%s",
		         code, res->http_status, e->n_failures,
		         log_quote(err.msg, q, sizeof(q)));
	}
}

/* The collector's state for cfg, made anew if its options changed. */
static void *
collector_for(struct scheduler *s, const struct config *cfg)
{
	struct collect_options opts = { 0 };

	opts.concurrency = cfg->concurrency;
	opts.timeout_ms = (long)cfg->timeout_s * 1000;
	opts.max_body_bytes = (size_t)cfg->max_body_bytes;
	opts.cancel = &s->stop;
	opts.is_private_allowed = cfg->is_private_allowed;
	opts.tick = on_tick;
	if (s->col_state != NULL &&
	    opts.concurrency == s->col_opts.concurrency &&
	    opts.timeout_ms == s->col_opts.timeout_ms &&
	    opts.max_body_bytes == s->col_opts.max_body_bytes &&
	    opts.is_private_allowed == s->col_opts.is_private_allowed)
		return s->col_state;
	if (s->col_state != NULL)
		s->col->destroy(s->col_state);
	s->col_opts = opts;
	s->col_state = s->col->create(&s->col_opts);
	return s->col_state;
}

static void
run_cycle(struct scheduler *s, struct catalog *cat, const struct config *cfg)
{
	struct collect_target *targets;
	struct cycle c = { 0 };
	size_t i, n = 0;
	long long t0 = now_ms();
	void *state;

	c.s = s;
	c.ingest.cat = cat;
	c.ingest.rrd = s->app->rrd;
	c.ingest.db = s->app->db;
	c.ingest.fig = &s->app->figures;
	c.interval_s = cfg->interval_s;
	c.started = clock_now();
	reindex(s, cat, cfg->interval_s);

	targets =
	    xcalloc(cat->n_endpoints ? cat->n_endpoints : 1, sizeof(*targets));
	for (i = 0; i < cat->n_endpoints; i++) {
		const struct endpoint *ep = &cat->endpoints[i];

		if (s->state[ep->area].next_due > c.started)
			continue; /* backing off */
		targets[n].area = ep->area;
		targets[n].area_code = cat->areas[ep->area].code;
		targets[n].url = ep->url;
		targets[n].etag = s->state[ep->area].etag[0] != '\0'
		                      ? s->state[ep->area].etag
		                      : NULL;
		targets[n].last_modified =
		    s->state[ep->area].last_modified[0] != '\0'
		        ? s->state[ep->area].last_modified
		        : NULL;
		n++;
	}
	state = collector_for(s, cfg);

	atomic_store(&s->app->stats.cycle_running, 1);
	store_db_begin(s->app->db);
	s->col->run_cycle(state, targets, n, on_result, &c);
	if (store_db_batch_age_ms(s->app->db) >= 0)
		store_db_commit(s->app->db);
	atomic_store(&s->app->stats.cycle_running, 0);

	free(targets);
	atomic_fetch_add(&s->app->stats.cycles, 1);
	atomic_store(&s->app->stats.last_cycle_ms,
	             (unsigned long)(now_ms() - t0));
	atomic_store(&s->app->stats.last_cycle_end, (unsigned long)clock_now());
	log_info("cycle done",
	         "endpoints=%zu polled=%zu ok=%zu unchanged=%zu failed=%zu "
	         "rejected=%zu ms=%lld",
	         cat->n_endpoints, n, c.n_ok, c.n_unchanged,
	         c.n_failed - c.n_rejected, c.n_rejected, now_ms() - t0);
}

/* Prunes the logs older than retention_days, and the expired sessions, if
 * the last prune is an hour old (or there was none). */
static void
prune_logs(struct scheduler *s)
{
	struct config cfg;
	long long t0 = now_ms();
	size_t n = 0;

	if (s->pruned_ms != 0 && t0 - s->pruned_ms < PRUNE_EVERY_S * 1000LL)
		return;
	s->pruned_ms = t0;
	app_config(s->app, &cfg);
	if (store_db_prune(s->app->db,
	                   clock_now() - (time_t)cfg.retention_days * 86400,
	                   PRUNE_BATCH, &n) < 0 ||
	    store_db_session_prune(s->app->db, clock_now(), &n) < 0)
		return; /* logged; tried again in an hour */
	if (n > 0)
		log_info("logs pruned", "rows=%zu retention_days=%d ms=%lld", n,
		         cfg.retention_days, now_ms() - t0);
}

/* Waits for stop or deadline, at most FIGURES_CHECK_S: ETIMEDOUT once the
 * deadline passed, 0 after a stop, EAGAIN when a check is due. */
static int
wait_until(struct scheduler *s, const struct timespec *deadline)
{
	struct timespec slice;
	int rc = EAGAIN;

	clock_gettime(CLOCK_MONOTONIC, &slice);
	slice.tv_sec += FIGURES_CHECK_S;
	if (slice.tv_sec > deadline->tv_sec ||
	    (slice.tv_sec == deadline->tv_sec &&
	     slice.tv_nsec >= deadline->tv_nsec))
		slice = *deadline;
	pthread_mutex_lock(&s->lock);
	while (!atomic_load(&s->stop)) {
		if (pthread_cond_timedwait(&s->wake, &s->lock, &slice) ==
		    ETIMEDOUT) {
			if (slice.tv_sec == deadline->tv_sec &&
			    slice.tv_nsec == deadline->tv_nsec)
				rc = ETIMEDOUT;
			break;
		}
	}
	if (atomic_load(&s->stop))
		rc = 0;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static void *
thread_main(void *arg)
{
	struct scheduler *s = arg;
	struct timespec deadline;

	while (!atomic_load(&s->stop)) {
		struct catalog *cat = app_catalog(s->app);
		struct config cfg;

		prune_logs(s);
		app_config(s->app, &cfg);
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += cfg.interval_s;
		run_cycle(s, cat, &cfg);
		catalog_unref(cat);
		app_check_figures(s->app);

		while (wait_until(s, &deadline) == EAGAIN) {
			app_check_figures(s->app);
			prune_logs(s);
		}
	}
	return NULL;
}

int
scheduler_start(struct scheduler *s)
{
	if (pthread_create(&s->thread, NULL, thread_main, s) != 0)
		return -1;
	s->is_started = true;
	return 0;
}

void
scheduler_stop(struct scheduler *s)
{
	if (s == NULL || !s->is_started)
		return;
	pthread_mutex_lock(&s->lock);
	atomic_store(&s->stop, true);
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->is_started = false;
}

void
scheduler_free(struct scheduler *s)
{
	if (s == NULL)
		return;
	scheduler_stop(s);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	if (s->col_state != NULL)
		s->col->destroy(s->col_state);
	free(s->state);
	free(s->restored);
	catalog_unref(s->state_cat);
	free(s);
}
