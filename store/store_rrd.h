/*
 * store_rrd.h: the only user of librrd. One file per municipality,
 * dir/rrd/<AREA>.rrd, one GAUGE data source per measure, in period time
 * (SPEC §5): step one day, every day of period P holding P's figure, a
 * period never reported unknown. RRAs AVERAGE, MIN and MAX daily for 10
 * years and weekly for 30 years.
 *
 * The files are derived from the figures (SQLite holds the truth): the
 * newest period is appended; a late report or a revision rebuilds the file
 * from the figures beside the old one and renames it over (fsync file,
 * then directory), so a crash leaves one or the other whole. Writes of one
 * store are serialised; reads may run on any thread. With rrdcached
 * configured ("unix:/path", "/path", "host:port", "[v6addr]:port"; the
 * port defaults to 42217), writes go through it on a connection of the
 * store's own: an append is one UPDATE, a rebuild a CREATE that replaces
 * the file, one BATCH of updates, then FLUSH; reads flush first.
 *
 * What the operator configures for rrdcached (over TCP as over a socket):
 * - The store names files by absolute path (dir/rrd/KU091.rrd, dir made
 *   absolute), and charts and start-up repair read the files themselves:
 *   rrdcached must run where it sees them at that same path (this host,
 *   or the same mount), with write access to dir/rrd (CREATE writes a
 *   temporary file there and renames it).
 * - No -b is needed. If rrdcached runs with -B (recommended on TCP), its
 *   -b must be dir/rrd or a folder above it: other absolute paths get
 *   "Permission denied".
 * - If a listening address is limited with -P, it must allow FLUSH,
 *   FORGET, CREATE, BATCH and UPDATE.
 * - The storage path may hold no ':', space or backslash.
 */
#ifndef KUNTAMON_STORE_RRD_H
#define KUNTAMON_STORE_RRD_H

#include <stddef.h>
#include <time.h>

#include "catalog.h"
#include "error.h"

#define STORE_RRD_STEP_S 86400

struct store_rrd;

/* Opens the store rooted at dir (files go in dir/rrd/, created if
 * missing). rrdcached: NULL or "" to write files directly, else the
 * address of an rrdcached (RRDCACHED_ADDRESS in the environment is
 * ignored). Removes temporary files a crash left in dir/rrd/ over an hour
 * ago. A dir/rrd/ holding a file of another step (kuntamon v1 kept files
 * in arrival time) is refused: NULL with err naming the file and saying to
 * re-import the history into a new data directory. NULL with err on any
 * failure. */
struct store_rrd *store_rrd_new(const char *dir, const char *rrdcached,
                                struct error *err);
void store_rrd_free(struct store_rrd *st);

/* Rewrites area's file from its figures: values[p * n + i] is measures[i]
 * in period first_period + p, for p < n_periods (NaN: unknown; n_periods 0
 * makes a file of unknowns ending a day before this month, which takes an
 * append of this month). The file holds a data source for each of the n
 * measures (min/max from the measure) and starts a day before
 * first_period; periods from 1980-01. Atomic as above. Thread-safe. */
int store_rrd_rebuild(struct store_rrd *st, const char *area,
                      const struct measure *measures, size_t n,
                      int first_period, size_t n_periods, const double *values,
                      struct error *err);

/* Appends period to area's file with values[i] for measures[i] (NaN:
 * unknown; a data source of the file not among measures: unknown); the
 * periods between the file's last one and this are unknown. 0: done; 1:
 * nothing written, because the file does not exist, lacks one of the
 * measures' data sources, or already reaches into period (its last update
 * is after period_start(period)): the caller rebuilds; -1 with err.
 * Thread-safe. */
int store_rrd_append(struct store_rrd *st, const char *area,
                     const struct measure *measures, size_t n, int period,
                     const double *values, struct error *err);

/* The last period area's file holds (the one whose period_end is its last
 * update) and its values there for measures[0 .. n) (NaN: unknown). 0 with
 * *out_period, -1 and all NaN if the file does not exist or ends at no
 * period's end (it holds no period, or an update was cut short); 1 if the
 * file lacks one of the measures' data sources; -1 with err. Flushes
 * rrdcached first. For start-up repair. */
int store_rrd_last_period(struct store_rrd *st, const char *area,
                          const struct measure *measures, size_t n,
                          int *out_period, double *out_values,
                          struct error *err);

/* Holds area's file against writers in other processes (kuntamonctl
 * import beside the daemon) until store_rrd_unlock: a byte of
 * dir/rrd/.lock (an open file description lock, so it is released if the
 * process dies). Threads of one process share the store's description
 * and do not exclude each other this way. 0, or -1 with err. */
int store_rrd_lock(struct store_rrd *st, const char *area, struct error *err);
void store_rrd_unlock(struct store_rrd *st, const char *area);

/* Whether area's file exists. */
int store_rrd_exists(struct store_rrd *st, const char *area);

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

/* librrd's version ("1.7.2"), for /metrics' build information. */
const char *store_rrd_library_version(void);

#endif
