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
#include "store_db.h"
#include "store_rrd.h"

/* Self-metrics counters, written with atomics from any thread. */
struct app_stats {
	atomic_ulong documents_accepted; /* taken, maybe partly */
	atomic_ulong documents_rejected; /* rejected whole */
	atomic_ulong polls_failed;	 /* no document: HTTP error, timeout */
	atomic_ulong measures_accepted;
	atomic_ulong measures_rejected[N_REJECT_REASONS];
	atomic_ulong cycles;
	atomic_ulong last_cycle_ms;
	atomic_ulong last_cycle_end; /* Unix seconds */
	atomic_ulong cycle_running;  /* 1 while a cycle runs */
	atomic_ulong cache_hits, cache_misses;
	atomic_ulong data_generation; /* bumped whenever new data lands */
};

struct app {
	pthread_mutex_t lock; /* guards cat and cfg (the pointers/struct) */
	struct catalog *cat;
	struct config cfg;
	struct store_rrd *rrd;
	struct store_db *db;
	struct app_stats stats;
	time_t started;
};

/* The current catalog with a reference the caller drops (catalog_unref). */
struct catalog *app_catalog(struct app *app);
/* Copies the current configuration. */
void app_config(struct app *app, struct config *out);
/* Installs a new catalog and configuration (takes ownership of cat's
 * reference); the old catalog is dropped when its last reader is done. */
void app_swap(struct app *app, struct catalog *cat, const struct config *cfg);

#endif
