/*
 * store_rrd.h: the only user of librrd. One file per municipality,
 * dir/rrd/<AREA>.rrd, one GAUGE data source per measure (SPEC §5).
 *
 * RRAs: AVERAGE, MIN and MAX at step for 90 days, daily for 5 years, weekly
 * for 20 years. Writes of one store are serialised (librrd's file locks
 * belong to the process); reads may run on any thread. With rrdcached
 * configured, updates go through the daemon and reads flush first.
 */
#ifndef KUNTAMON_STORE_RRD_H
#define KUNTAMON_STORE_RRD_H

#include <stddef.h>
#include <time.h>

#include "catalog.h"
#include "error.h"

struct store_rrd;

/* Opens the store rooted at dir (files go in dir/rrd/, created if missing).
 * rrdcached: "" or NULL to write files directly, else a unix socket address
 * such as "unix:/run/rrdcached.sock" (the files are read directly, so the
 * daemon must be local; RRDCACHED_ADDRESS in the environment is dropped).
 * Removes temporary files a crash left in dir/rrd/ over an hour ago.
 * NULL with err on failure. */
struct store_rrd *store_rrd_new(const char *dir, int step_s,
    const char *rrdcached, struct error *err);
void store_rrd_free(struct store_rrd *st);

/* Ensures area's file exists and has a data source for each of the n
 * measures (heartbeat_s each; min/max from the measure). A missing file is
 * created starting at start; missing data sources are added to an existing
 * file without losing data (the file is rewritten beside it and renamed
 * over, so a crash leaves the old or the new file). Thread-safe. */
int store_rrd_prepare(struct store_rrd *st, const char *area,
    const struct measure *measures, size_t n, int heartbeat_s, time_t start,
    struct error *err);

/* Writes n_samples samples in time order: at times[s] the values
 * values[s * n + i] for measures[i] (NaN or infinite: unknown). The file
 * must have been prepared. A time not after the file's last update is an
 * error naming it, and nothing is written: all times are checked before the
 * first write. Thread-safe. */
int store_rrd_update(struct store_rrd *st, const char *area,
    const struct measure *measures, size_t n, const time_t *times,
    const double *values, size_t n_samples, struct error *err);

/* The file's last update time, 0 if the file does not exist. */
int store_rrd_last(struct store_rrd *st, const char *area, time_t *out,
    struct error *err);

/* Whether area's file exists. */
int store_rrd_exists(struct store_rrd *st, const char *area);

/* A block of consolidated points: data[t * n_cols + c]. */
struct rrd_block {
	time_t start, end; /* start of the first point, end of the last */
	unsigned long step;
	size_t n_points, n_cols;
	double *data; /* free with rrd_block_reset */
};

/* Reads the AVERAGE of (areas[c], ds[c]) for c < n_cols over [start, end]
 * at step (librrd picks the best RRA; out->step is what it gave). Point t
 * covers (out->start + t * step, out->start + (t + 1) * step]. Areas whose
 * file does not exist, or lacks the data source, give a column of NaN. At
 * most 8M values: a longer range comes at a coarser step. Runs in parallel
 * with other reads. Thread-safe. */
int store_rrd_xport(struct store_rrd *st, const char *const *areas,
    const char *const *ds, size_t n_cols, time_t start, time_t end,
    unsigned long step, struct rrd_block *out, struct error *err);
void rrd_block_reset(struct rrd_block *b);

#endif
