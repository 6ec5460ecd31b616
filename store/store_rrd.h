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
                      const struct measure *measures, size_t n, int heartbeat_s,
                      time_t start, struct error *err);

/* Writes n_samples samples in time order: at times[s] the values
 * values[s * n + i] for measures[i] (NaN or infinite: unknown). The file
 * must have been prepared. A time not after the file's last update is an
 * error naming it, and nothing is written: all times are checked before the
 * first write. Thread-safe. */
int store_rrd_update(struct store_rrd *st, const char *area,
                     const struct measure *measures, size_t n,
                     const time_t *times, const double *values,
                     size_t n_samples, struct error *err);

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
                    const char *const *ds, size_t n_cols, time_t start,
                    time_t end, unsigned long step, struct rrd_block *out,
                    struct error *err);
void rrd_block_reset(struct rrd_block *b);

/* The values of data sources ds[0 .. n) as last written to area's file
 * (rrd_lastupdate_r: NaN where unknown or the file lacks the data source),
 * and when; no file: *out_time 0 and every value NaN. Flushes rrdcached
 * first when configured. Thread-safe. */
int store_rrd_lastupdate(struct store_rrd *st, const char *area,
                         const char *const *ds, size_t n, time_t *out_time,
                         double *out_values, struct error *err);

/* A data source a chart reads: the AVERAGE of area's ds, named vname
 * ([A-Za-z0-9_]{1,15}) in the graph's RPN. */
struct rrd_graph_def {
	char vname[16];
	char area[AREA_CODE_MAX];
	char ds[MEASURE_ID_MAX];
};

/* A chart rendered in memory. */
struct rrd_image {
	unsigned char *data; /* PNG or SVG bytes; free with rrd_image_reset */
	size_t len;
	unsigned long width, height; /* as librrd reports them */
	char **prints;               /* what PRINT elements gave, in order */
	size_t n_prints;
};

/* Renders with rrd_graph_v into memory: a DEF for each of defs[0 ..
 * n_defs), then args (options, CDEF/VDEF, drawing and PRINT elements; no
 * file name, no DEF). A def whose file or data source is missing reads as
 * unknown throughout; if no def's file exists, 1 and nothing rendered (RPN
 * needs a time base). n_defs 0 renders args alone (st may be NULL). With
 * rrdcached, flushes the files first. One render at a time per process
 * (librrd 1.7.2 is not thread-safe here); other reads go on. Thread-safe.
 * 0: *out filled, free with rrd_image_reset; -1: err. */
int store_rrd_graph(struct store_rrd *st, const struct rrd_graph_def *defs,
                    size_t n_defs, const char *const *args, size_t n_args,
                    struct rrd_image *out, struct error *err);
void rrd_image_reset(struct rrd_image *img);

/* A regular grid of consolidated points: point t stands for the interval
 * (start + t * step, start + (t + 1) * step]; start is a multiple of step. */
struct rrd_grid {
	time_t start;
	unsigned long step;
	size_t n_points;
};

/* The grid for the range [start, end) at about step seconds: the archive
 * that librrd's fetch would choose among those this store creates with
 * step_s (of the ones reaching back to start, the step nearest `step`;
 * else the one covering most), as if the files had been updated at now;
 * then every interval from the one holding start to the last that ends by
 * end, at least one. Pure: what a cache key needs. -1 if end <= start. */
int store_rrd_grid(int step_s, time_t start, time_t end, unsigned long step,
                   time_t now, struct rrd_grid *out);

/* Reads the AVERAGE of data sources ds[0 .. n_ds) of each of the n_areas
 * files over grid g into out[(d * n_areas + a) * g->n_points + t] (the
 * caller's, n_ds * n_areas * g->n_points values). NaN where unknown, where
 * the file or data source is missing, and outside the file's archive.
 * Files stay open and mapped between calls (a file replaced since is
 * reopened), so a call costs no open per file; a file without an archive
 * at g->step is read through rrd_xport. Flushes rrdcached first when
 * configured. Thread-safe. */
int store_rrd_fetch(struct store_rrd *st, const char *const *areas,
                    size_t n_areas, const char *const *ds, size_t n_ds,
                    const struct rrd_grid *g, double *out, struct error *err);

#endif
