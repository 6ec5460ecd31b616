/*
 * ctl_import.c: kuntamonctl import FILE.csv, figures in the import format
 * (area,period,measure,value) for any periods, earlier ones too.
 *
 * All rows or none, and never holding the database from a running daemon
 * for more than about IMPORT_TX_MS: the whole file is parsed and checked
 * before anything is written; then its rows are staged, committed at one
 * point and applied a few (area, period) groups a transaction
 * (store_db_import_*). Killed before the commit point, nothing of the
 * import counts (the next import drops the staged rows); after it, the
 * next program to open the database (kuntamond's start, any kuntamonctl
 * command) applies the rest, so it lands whole. While the groups are
 * applied (a few seconds for two years of every municipality), a running
 * daemon may serve the periods applied so far. Each group's figures are
 * classified, when applied, against those held as ingest does (an equal
 * value is no change; a changed one that was held is a revision, its old
 * value going to the history). One import at a time (dir/import.lock).
 * The RRD files are derived: after the apply, each touched municipality's
 * file is rebuilt once from the figures, through ingest_sync: the daemon's
 * own path, holding the file's lock and reading again what a running
 * daemon committed meanwhile, so the two never leave a file behind the
 * figures. Should a rebuild fail, the figures stand and the file stays
 * marked for the daemon's start-up repair.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"
#include "import_csv.h"
#include "ingest.h"
#include "timespec.h"
#include "xmalloc.h"

/* Larger than any history we know of (the demo's two years for every
 * municipality are 3 MB), small enough to hold in memory. */
#define IMPORT_MAX_BYTES (1024L * 1024 * 1024)

struct import {
	const struct catalog *cat;
	int last_period; /* the current month: later ones are the future */
	struct import_row *rows; /* sorted by area, period and measure */
	size_t n_rows;
};

static int
usage(void)
{
	fputs("usage: kuntamonctl import FILE.csv "
	      "(area,period,measure,value)\n",
	      stderr);
	return 2;
}

/* The whole file, at most IMPORT_MAX_BYTES; NULL with errno. */
static char *
read_whole(const char *path, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, n;
	int saved;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : (size_t)1 << 20;
			if (cap > (size_t)IMPORT_MAX_BYTES + 65536) {
				errno = EFBIG;
				goto fail;
			}
			data = xrealloc(data, cap);
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		errno = EIO;
		goto fail;
	}
	fclose(f);
	*out_len = len;
	return data;
fail:
	saved = errno;
	fclose(f);
	free(data);
	errno = saved;
	return NULL;
}

/* Parses and checks the whole file into im->rows, sorted; prints
 * FILE:LINE: what is wrong and returns -1 at the first bad row. */
static int
parse_file(struct import *im, const char *file)
{
	struct error err = { 0 };
	char *data;
	size_t len = 0;
	int rc = -1;

	if ((data = read_whole(file, &len)) == NULL) {
		fprintf(stderr, "%s: %s\n", file, strerror(errno));
		return -1;
	}
	if (import_csv_parse(im->cat, im->last_period, data, len, &im->rows,
	                     &im->n_rows, &err) < 0) {
		fprintf(stderr, "%s:%d: %s\n", file, err.line, err.msg);
		goto out;
	}
	rc = 0;
out:
	free(data);
	return rc;
}

struct tally {
	size_t n_files, n_failed;
	struct db_import_tally db;
};

/* A transaction of an import holds the database from the daemon at most
 * about this long (it waits at most that for its writes). */
#define IMPORT_TX_MS 50

struct touch_ctx {
	const struct catalog *cat;
	bool *touched;
};

static int
mark_touched(void *ctx, const char *area)
{
	struct touch_ctx *tc = ctx;
	int a = catalog_find_area(tc->cat, area);

	if (a >= 0)
		tc->touched[a] = true;
	return 0;
}

/* Writes the figures of im that differ from those held: staged, then
 * committed at one point, then applied in transactions of at most about
 * IMPORT_TX_MS (store_db.h); marks the areas touched. 0, or -1 (printed)
 * with nothing of the import counted, or (past the commit point) with the
 * rest to be applied by the next kuntamonctl command or kuntamond start. */
static int
write_figures(struct ctl *c, const struct import *im, time_t now, bool *touched,
              struct tally *t)
{
	const struct catalog *cat = c->cat;
	struct db_import_row *rows;
	struct touch_ctx tc = { cat, touched };
	size_t i;
	int rc = -1;

	rows = xcalloc(im->n_rows + 1, sizeof(*rows));
	for (i = 0; i < im->n_rows; i++) {
		const struct import_row *r = &im->rows[i];

		rows[i].area = cat->areas[r->area].code;
		rows[i].period = r->period;
		rows[i].measure = cat->measures[r->measure].id;
		rows[i].value = r->value;
		/* A period first reported by this import counts as reported
		 * at its end (capped at now), as v1 did: importing history
		 * must not make every past period late for the reporting
		 * rate. A revision of a held period happens now, so its
		 * history says truly when the old value was replaced. */
		rows[i].first_time =
		    period_end(r->period) < now ? period_end(r->period) : now;
	}
	if (store_db_import_pending(c->db) == 2) {
		struct db_import_tally prev = { 0 };

		fprintf(stderr, "finishing an import that was interrupted\n");
		if (store_db_import_apply(c->db, IMPORT_TX_MS, NULL, NULL,
		                          &prev) < 0) {
			fprintf(stderr,
			        "cannot finish it; nothing of this file "
			        "was imported\n");
			goto out;
		}
	}
	if (store_db_import_stage(c->db, now, rows, im->n_rows, IMPORT_TX_MS,
	                          &t->db) < 0 ||
	    store_db_import_commit(c->db) < 0) {
		store_db_import_abort(c->db);
		fprintf(stderr, "the figures could not be stored; nothing was "
		                "imported\n");
		goto out;
	}
	if (store_db_import_apply(c->db, IMPORT_TX_MS, mark_touched, &tc,
	                          &t->db) < 0) {
		if (t->db.n_groups == 0 && store_db_import_abort(c->db) == 0)
			fprintf(stderr, "the figures could not be stored; "
			                "nothing was imported\n");
		else
			fprintf(stderr,
			        "the figures could not all be stored: the "
			        "import is committed, and the rest is applied "
			        "by the next kuntamonctl command or kuntamond "
			        "start\n");
		goto out;
	}
	rc = 0;
out:
	free(rows);
	return rc;
}

/* Rebuilds each touched area's file once, from the figures of fig. */
static void
rebuild_files(struct ctl *c, struct ingest_figures *fig, const bool *touched,
              struct tally *t)
{
	const struct catalog *cat = c->cat;
	struct ingest_ctx ictx = { 0 };
	struct error err = { 0 };
	size_t a;

	ictx.cat = cat;
	ictx.rrd = c->rrd;
	ictx.db = c->db;
	ictx.fig = fig;
	for (a = cat->first_municipality; a < cat->n_areas; a++) {
		if (!touched[a])
			continue;
		if (ingest_sync(&ictx, (int)a, &err) < 0) {
			fprintf(stderr,
			        "%s: cannot rewrite its RRD file: %s (the "
			        "figures are imported; kuntamond rebuilds the "
			        "file when it starts)\n",
			        cat->areas[a].code, err.msg);
			t->n_failed++;
			continue;
		}
		t->n_files++;
	}
}

/* Takes dir/import.lock, so that one import runs at a time (the staged
 * rows are one table); the descriptor, or -1 (printed). */
static int
lock_imports(struct ctl *c)
{
	char path[CONFIG_PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/import.lock", c->cfg.storage_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "%s: %s\n", path,
		        errno == EWOULDBLOCK ? "another import is running"
		                             : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int
ctl_import(struct ctl *c, int argc, char **argv)
{
	struct import im = { 0 };
	struct ingest_figures fig = { 0 };
	struct tally t = { 0 };
	struct timespec t0;
	struct error err = { 0 };
	bool *touched = NULL;
	int lock_fd = -1;
	const char *file;
	time_t now;
	int status = 1;

	if (argc != 2)
		return usage();
	file = argv[1];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	now = clock_now();
	im.cat = c->cat;
	im.last_period = period_of(now);
	if (parse_file(&im, file) < 0)
		goto out;
	if (ctl_open_stores(c) < 0)
		goto out;
	if ((lock_fd = lock_imports(c)) < 0)
		goto out;
	touched = xcalloc(c->cat->n_areas + 1, sizeof(*touched));
	if (write_figures(c, &im, now, touched, &t) < 0)
		goto out;
	if (ingest_figures_init(&fig, c->cat, c->db, &err) < 0) {
		fprintf(stderr,
		        "%s (the figures are imported; kuntamond "
		        "rebuilds the files when it starts)\n",
		        err.msg);
		goto out;
	}
	rebuild_files(c, &fig, touched, &t);
	printf("%s: %zu rows: %zu figures new, %zu revised, %zu unchanged; "
	       "%zu RRD files rebuilt; %.2f s; %zu transactions, the "
	       "longest %lld ms\n",
	       file, im.n_rows, t.db.n_new, t.db.n_revised, t.db.n_unchanged,
	       t.n_files, seconds_since(&t0), t.db.n_tx, t.db.longest_ms);
	status = t.n_failed > 0 ? 1 : 0;
out:
	if (lock_fd >= 0)
		close(lock_fd); /* and with it the lock */
	ingest_figures_reset(&fig);
	free(touched);
	free(im.rows);
	return status;
}
