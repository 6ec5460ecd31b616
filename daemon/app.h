/*
 * app.h: what the running daemon shares between its threads: the current
 * configuration and catalog (swapped whole on SIGHUP), the stores, and the
 * self-metrics counters. kuntamond.c owns it; the scheduler, ingest and the
 * HTTP handlers borrow it.
 */
#ifndef KUNTAMON_APP_H
#define KUNTAMON_APP_H

#include <pthread.h>
#include <stdatomic.h>

#include "catalog.h"
#include "config.h"
#include "document.h"
#include "ingest.h"
#include "store_db.h"
#include "store_rrd.h"

/* Self-metrics counters, written with atomics from any thread. */
#define APP_N_REFUSALS 8

struct app_stats {
	atomic_ulong documents_accepted; /* taken, maybe partly */
	atomic_ulong documents_rejected; /* rejected whole */
	atomic_ulong polls_failed;       /* no document: HTTP error, timeout */
	atomic_ulong measures_accepted;
	atomic_ulong measures_rejected[N_REJECT_REASONS];
	atomic_ulong cycles;
	atomic_ulong last_cycle_ms;
	atomic_ulong last_cycle_end; /* Unix seconds */
	atomic_ulong cycle_running;  /* 1 while a cycle runs */
	atomic_ulong cache_hits, cache_misses;
	/* refused submissions by reason (auth_refusal_reason) */
	atomic_ulong submissions_refused[APP_N_REFUSALS];
};

#define APP_GENERATION_SLOTS 1024

struct app {
	pthread_mutex_t lock; /* guards cat and cfg (the pointers/struct) */
	struct catalog *cat;
	struct config cfg;
	struct store_rrd *rrd;
	struct store_db *db;
	struct ingest_figures figures; /* what every reader computes from */
	struct app_stats stats;
	/* Data generations by hash of area code: bumped for a municipality,
	 * its region and the country when new data lands, so cached series
	 * and charts of those areas go stale. A collision only costs an
	 * extra miss. */
	atomic_ulong generation[APP_GENERATION_SLOTS];
	time_t started;
};

/* The current catalog with a reference the caller drops (catalog_unref). */
struct catalog *app_catalog(struct app *app);
/* Copies the current configuration. */
void app_config(struct app *app, struct config *out);
/* Installs a new catalog and configuration (takes ownership of cat's
 * reference); the old catalog is dropped when its last reader is done. */
void app_swap(struct app *app, struct catalog *cat, const struct config *cfg);

/* New data landed for municipality area (index into cat; -1: any area):
 * every area's cached answers go stale, not only its, its region's and
 * the country's. What the public sees of an area depends on other areas'
 * figures (figure.h): a municipality's on its region's members, and
 * through the partner withheld beside a withheld region, any region's.
 * ingest calls it as figures.landed_fn (ctx: the app) with the figures'
 * lock held for writing. */
void app_data_landed(void *ctx, const struct catalog *cat, int area);
/* Reloads the figures if another program (kuntamonctl import) committed
 * some, and makes every cached answer stale then. Cheap when nothing
 * changed: one PRAGMA. */
void app_check_figures(struct app *app);
/* The data generation of an area, for cache keys. */
unsigned long app_generation(struct app *app, const char *area_code);

#endif
