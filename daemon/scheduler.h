/*
 * scheduler.h: the collection clock. One thread runs a cycle every
 * `interval` seconds; a cycle never overlaps itself (the next starts only
 * after the last result of the previous one is written). Each endpoint has
 * its own state: a failing endpoint is retried with backoff (doubling to a
 * cap, reset on success). Results are ingested as each transfer completes.
 */
#ifndef KUNTAMON_SCHEDULER_H
#define KUNTAMON_SCHEDULER_H

#include <time.h>

#include "app.h"

struct scheduler;

/* The delay before retrying an endpoint after its n-th consecutive
 * failure: interval * 2^(n-1), capped at min(32 intervals, 1 day) but
 * never below one interval. n <= 0: one interval. Pure. */
time_t scheduler_backoff_s(int interval_s, int n_failures);

/* Borrows app for its lifetime. Restores per-endpoint failure counts from
 * the database so backoff goes on across restarts. */
struct scheduler *scheduler_new(struct app *app);
/* Starts the collection thread; the first cycle begins at once. */
int scheduler_start(struct scheduler *s);
/* Cancels transfers in flight, lets the result being written finish,
 * commits, and joins the thread. Safe to call if never started. */
void scheduler_stop(struct scheduler *s);
void scheduler_free(struct scheduler *s);

#endif
