/*
 * test_store_rrd.c: store_rrd against real librrd files in a temporary
 * folder, and against a real rrdcached when it is installed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "store_rrd.h"

#define STEP 3600
/* 2023-11-14 22:00 UTC, on a step boundary */
#define T0 ((time_t)1700000000 - 1700000000 % STEP)

static char root[64];

/* A fresh folder for one test; the previous one is removed. */
static const char *
fresh_dir(void)
{
	fixture_rmtree(root);
	fixture_tmpdir(root, sizeof(root), "test_store_rrd");
	return root;
}

static struct measure
measure(const char *id, double min, double max)
{
	struct measure m;

	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "%s", id);
	m.min = min;
	m.max = max;
	return m;
}

static int
stat_file(const char *area, struct stat *sb)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/rrd/%s.rrd", root, area);
	return stat(path, sb);
}

/* Number of entries in dir/rrd besides the .rrd files. */
static int
count_strays(void)
{
	char path[256];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/rrd", root);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (len < 4 || strcmp(e->d_name + len - 4, ".rrd") != 0 ||
		    e->d_name[0] == '.')
			n++;
	}
	closedir(d);
	return n;
}

/* The value of column c in the point covering (t - STEP, t]. */
static double
at(const struct rrd_block *b, size_t c, time_t t)
{
	time_t from = t - (time_t)b->step;

	if (from < b->start || (from - b->start) % (time_t)b->step != 0)
		return -12345.0;
	if ((size_t)((from - b->start) / (time_t)b->step) >= b->n_points)
		return -12345.0;
	return b
	    ->data[(size_t)((from - b->start) / (time_t)b->step) * b->n_cols +
	           c];
}

static int
xport1(struct store_rrd *st, const char *area, const char *ds, time_t start,
       time_t end, struct rrd_block *b)
{
	struct error err = { 0 };
	const char *areas[1] = { area }, *dss[1] = { ds };
	int rc = store_rrd_xport(st, areas, dss, 1, start, end, STEP, b, &err);

	if (rc < 0)
		fprintf(stderr, "xport: %s\n", err.msg);
	return rc;
}

static void
test_create_update_read(void)
{
	struct measure m[2] = { measure("alpha", 0, 1e9),
		                measure("beta", 0, NAN) };
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(fresh_dir(), STEP, "", &err);
	/* a constant over (T0, T0+STEP] from three writes; one write for the
	 * next step; unknown beta there */
	time_t times[4] = { T0 + 1200, T0 + 2400, T0 + 3600, T0 + 7200 };
	double v[8] = { 12.5, 0.1, 12.5, 0.1, 12.5, 0.1, 1.0 / 3, NAN };
	const char *areas[2] = { "KU091", "KU091" },
	           *ds[2] = { "alpha", "beta" };
	struct rrd_block b;
	time_t last = 0;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(!store_rrd_exists(st, "KU091"));
	CHECK(store_rrd_last(st, "KU091", &last, &err) == 0 && last == 0);
	CHECK(store_rrd_prepare(st, "KU091", m, 2, 2 * STEP, T0, &err) == 0);
	CHECK(store_rrd_exists(st, "KU091"));
	CHECK(store_rrd_last(st, "KU091", &last, &err) == 0 && last == T0);
	CHECK(store_rrd_update(st, "KU091", m, 2, times, v, 4, &err) == 0);
	CHECK(store_rrd_last(st, "KU091", &last, &err) == 0 &&
	      last == T0 + 7200);
	CHECK(store_rrd_xport(st, areas, ds, 2, T0, T0 + 3 * STEP, STEP, &b,
	                      &err) == 0);
	CHECK(b.step == STEP && b.n_cols == 2 && b.start == T0);
	CHECK(b.n_points == 3 && b.end == T0 + 3 * STEP);
	if (b.n_points == 3) {
		CHECK(at(&b, 0, T0 + 3600) == 12.5);
		CHECK_NEAR(at(&b, 1, T0 + 3600), 0.1, 1e-16);
		CHECK(at(&b, 0, T0 + 7200) == 1.0 / 3);
		CHECK(isnan(at(&b, 1, T0 + 7200)));
		CHECK(isnan(at(&b, 0, T0 + 10800)));
		CHECK(isnan(at(&b, 1, T0 + 10800)));
	}
	rrd_block_reset(&b);
	CHECK(b.data == NULL && b.n_points == 0);
	CHECK(count_strays() == 0);
	store_rrd_free(st);
}

static void
test_out_of_order_refused(void)
{
	struct measure m[1] = { measure("alpha", 0, 100) };
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(fresh_dir(), STEP, NULL, &err);
	time_t t1[2] = { T0 + 3600, T0 + 7200 };
	double v1[2] = { 1, 2 };
	static const struct {
		time_t times[3];
		size_t n;
		time_t named; /* the time the error must name */
	} bad[] = {
		{ { T0 + 7200 }, 1, T0 + 7200 }, /* equal to the last */
		{ { T0 + 3600 }, 1, T0 + 3600 }, /* before the last */
		{ { T0 + 9000, T0 + 9000 }, 2, T0 + 9000 }, /* repeated */
		{ { T0 + 9000, T0 + 10800, T0 + 9999 }, 3, T0 + 9999 },
	};
	struct rrd_block b;
	size_t i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(store_rrd_prepare(st, "KU049", m, 1, 2 * STEP, T0, &err) == 0);
	CHECK(store_rrd_update(st, "KU049", m, 1, t1, v1, 2, &err) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		double v[3] = { 50, 60, 70 };
		time_t last = 0;
		char named[32];

		snprintf(named, sizeof(named), "time %lld ",
		         (long long)bad[i].named);
		err.msg[0] = '\0';
		CHECK(store_rrd_update(st, "KU049", m, 1, bad[i].times, v,
		                       bad[i].n, &err) == -1);
		CHECK(strstr(err.msg, named) != NULL);
		CHECK(store_rrd_last(st, "KU049", &last, &err) == 0 &&
		      last == T0 + 7200);
	}
	/* nothing of the refused batches reached the file */
	CHECK(xport1(st, "KU049", "alpha", T0, T0 + 4 * STEP, &b) == 0);
	CHECK(at(&b, 0, T0 + 3600) == 1 && at(&b, 0, T0 + 7200) == 2);
	CHECK(isnan(at(&b, 0, T0 + 10800)));
	rrd_block_reset(&b);
	/* an unprepared area cannot be written */
	CHECK(store_rrd_update(st, "KU050", m, 1, t1, v1, 2, &err) == -1);
	CHECK(!store_rrd_exists(st, "KU050"));
	store_rrd_free(st);
}

static void
test_add_ds_keeps_data(void)
{
	struct measure m[3] = { measure("alpha", 0, 100),
		                measure("beta", 0, 100),
		                measure("gamma", -5, 5) };
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(fresh_dir(), STEP, "", &err);
	time_t t1[3] = { T0 + 3600, T0 + 7200, T0 + 10800 };
	double v1[3] = { 7, 8, 9 };
	time_t t2[1] = { T0 + 14400 };
	double v2[3] = { 10, 20, -3 };
	const char *areas[3] = { "KU091", "KU091", "KU091" },
	           *ds[3] = { "alpha", "beta", "gamma" };
	struct stat before, after;
	struct rrd_block b;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(store_rrd_prepare(st, "KU091", m, 1, 2 * STEP, T0, &err) == 0);
	CHECK(store_rrd_update(st, "KU091", m, 1, t1, v1, 3, &err) == 0);
	CHECK(stat_file("KU091", &before) == 0);
	CHECK(store_rrd_prepare(st, "KU091", m, 3, 2 * STEP, T0, &err) == 0);
	CHECK(stat_file("KU091", &after) == 0);
	CHECK(before.st_ino != after.st_ino); /* rewritten and renamed */
	CHECK(count_strays() == 0);
	CHECK(store_rrd_update(st, "KU091", m, 3, t2, v2, 1, &err) == 0);
	CHECK(store_rrd_xport(st, areas, ds, 3, T0, T0 + 5 * STEP, STEP, &b,
	                      &err) == 0);
	if (b.n_points == 5) {
		CHECK(at(&b, 0, T0 + 3600) == 7);
		CHECK(at(&b, 0, T0 + 7200) == 8);
		CHECK(at(&b, 0, T0 + 10800) == 9);
		CHECK(at(&b, 0, T0 + 14400) == 10);
		CHECK(isnan(at(&b, 1, T0 + 3600)));
		CHECK(isnan(at(&b, 2, T0 + 10800)));
		CHECK(at(&b, 1, T0 + 14400) == 20);
		CHECK(at(&b, 2, T0 + 14400) == -3);
	} else {
		CHECK(b.n_points == 5);
	}
	rrd_block_reset(&b);
	/* the rewritten file keeps its last update: the past stays closed */
	CHECK(store_rrd_update(st, "KU091", m, 3, t1, v2, 1, &err) == -1);
	store_rrd_free(st);
}

static void
test_prepare_unchanged_is_free(void)
{
	struct measure m[2] = { measure("alpha", 0, 100),
		                measure("beta", 0, 1) };
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(fresh_dir(), STEP, "", &err), *st2;
	struct stat s1, s2;
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char path[256];
	time_t t[1] = { T0 + 3600 };
	double v[2] = { 5, 1 };
	struct rrd_block b;
	int i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(store_rrd_prepare(st, "KU020", m, 2, 2 * STEP, T0, &err) == 0);
	/* an old mtime shows any write, however fast the test runs */
	snprintf(path, sizeof(path), "%s/rrd/KU020.rrd", root);
	CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
	CHECK(stat_file("KU020", &s1) == 0);
	for (i = 0; i < 3; i++)
		CHECK(store_rrd_prepare(st, "KU020", m, 2, 2 * STEP, T0 + i,
		                        &err) == 0);
	/* a new store knows nothing yet: it reads the file, writes nothing */
	st2 = store_rrd_new(root, STEP, "", &err);
	CHECK(store_rrd_prepare(st2, "KU020", m, 2, 2 * STEP, T0, &err) == 0);
	CHECK(stat_file("KU020", &s2) == 0);
	CHECK(s1.st_ino == s2.st_ino && s2.st_mtime == 1000000000);
	/* a changed heartbeat or max is written, data kept */
	CHECK(store_rrd_update(st, "KU020", m, 2, t, v, 1, &err) == 0);
	CHECK(stat_file("KU020", &s1) == 0);
	m[1].max = 2;
	CHECK(store_rrd_prepare(st2, "KU020", m, 2, 3 * STEP, T0, &err) == 0);
	CHECK(stat_file("KU020", &s2) == 0);
	CHECK(s1.st_ino != s2.st_ino);
	CHECK(stat_file("KU020", &s1) == 0);
	CHECK(store_rrd_prepare(st2, "KU020", m, 2, 3 * STEP, T0, &err) == 0);
	CHECK(stat_file("KU020", &s2) == 0);
	CHECK(s1.st_ino == s2.st_ino);
	/* the new max admits 2 (the old one, 1, would make it unknown) */
	t[0] = T0 + 7200;
	v[1] = 2;
	CHECK(store_rrd_update(st2, "KU020", m, 2, t, v, 1, &err) == 0);
	CHECK(xport1(st2, "KU020", "beta", T0, T0 + 2 * STEP, &b) == 0);
	CHECK(at(&b, 0, T0 + 3600) == 1 && at(&b, 0, T0 + 7200) == 2);
	rrd_block_reset(&b);
	CHECK(count_strays() == 0);
	store_rrd_free(st2);
	store_rrd_free(st);
}

static void
test_xport_missing_files(void)
{
	struct measure m[1] = { measure("alpha", 0, 100) };
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(fresh_dir(), STEP, "", &err);
	time_t t[2] = { T0 + 3600, T0 + 7200 };
	double v[2] = { 3, 4 };
	const char *areas[3] = { "KU999", "KU091", "KU998" },
	           *ds[3] = { "alpha", "alpha", "alpha" };
	struct rrd_block b;
	size_t i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	/* no file at all: the range at the requested step, all unknown */
	CHECK(store_rrd_xport(st, areas, ds, 3, T0 + 100, T0 + 4 * STEP, STEP,
	                      &b, &err) == 0);
	CHECK(b.start == T0 && b.step == STEP && b.n_cols == 3);
	CHECK(b.n_points == 4 && b.end == T0 + 4 * STEP);
	for (i = 0; i < b.n_points * b.n_cols; i++)
		CHECK(isnan(b.data[i]));
	rrd_block_reset(&b);
	CHECK(store_rrd_prepare(st, "KU091", m, 1, 2 * STEP, T0, &err) == 0);
	CHECK(store_rrd_update(st, "KU091", m, 1, t, v, 2, &err) == 0);
	CHECK(store_rrd_xport(st, areas, ds, 3, T0, T0 + 2 * STEP, STEP, &b,
	                      &err) == 0);
	CHECK(b.n_cols == 3 && b.n_points == 2);
	if (b.n_points == 2) {
		CHECK(isnan(at(&b, 0, T0 + 3600)) &&
		      isnan(at(&b, 0, T0 + 7200)));
		CHECK(at(&b, 1, T0 + 3600) == 3 && at(&b, 1, T0 + 7200) == 4);
		CHECK(isnan(at(&b, 2, T0 + 3600)) &&
		      isnan(at(&b, 2, T0 + 7200)));
	}
	rrd_block_reset(&b);
	/* a data source a file lacks (a measure not yet added) is unknown
	 * too, and does not blank the other columns */
	areas[0] = "KU091";
	ds[0] = "nosuch";
	CHECK(store_rrd_xport(st, areas, ds, 3, T0, T0 + 2 * STEP, STEP, &b,
	                      &err) == 0);
	CHECK(b.n_cols == 3 && b.n_points == 2);
	if (b.n_points == 2) {
		CHECK(isnan(at(&b, 0, T0 + 3600)) &&
		      isnan(at(&b, 0, T0 + 7200)));
		CHECK(at(&b, 1, T0 + 3600) == 3 && at(&b, 1, T0 + 7200) == 4);
		CHECK(isnan(at(&b, 2, T0 + 3600)));
	}
	rrd_block_reset(&b);
	ds[1] = "nosuch";
	CHECK(store_rrd_xport(st, areas, ds, 3, T0, T0 + 2 * STEP, STEP, &b,
	                      &err) == 0);
	CHECK(b.n_cols == 3 && b.step == STEP && b.n_points == 2);
	for (i = 0; i < b.n_points * b.n_cols; i++)
		CHECK(isnan(b.data[i]));
	rrd_block_reset(&b);
	store_rrd_free(st);
}

static void
test_bad_names_refused(void)
{
	static const char *const bad_areas[] = { "",          "ku091",
		                                 "../KU091",  "KU091/",
		                                 "KU 91",     "ABCDEFGH",
		                                 "KU091.rrd", "K:1" };
	static const char *const bad_ds[] = { "",    "Alpha", "1a",
		                              "a:b", "a-b",   "a b" };
	struct measure m[1] = { measure("alpha", 0, 100) };
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(fresh_dir(), STEP, "", &err);
	time_t t[1] = { T0 + 3600 }, last;
	double v[1] = { 1 };
	struct rrd_block b;
	size_t i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	for (i = 0; i < sizeof(bad_areas) / sizeof(bad_areas[0]); i++) {
		const char *a[1] = { bad_areas[i] }, *d[1] = { "alpha" };

		CHECK(store_rrd_prepare(st, bad_areas[i], m, 1, STEP, T0,
		                        &err) == -1);
		CHECK(strstr(err.msg, "bad area code") != NULL);
		CHECK(store_rrd_update(st, bad_areas[i], m, 1, t, v, 1, &err) ==
		      -1);
		CHECK(store_rrd_last(st, bad_areas[i], &last, &err) == -1);
		CHECK(!store_rrd_exists(st, bad_areas[i]));
		CHECK(store_rrd_xport(st, a, d, 1, T0, T0 + STEP, STEP, &b,
		                      &err) == -1);
	}
	for (i = 0; i < sizeof(bad_ds) / sizeof(bad_ds[0]); i++) {
		const char *a[1] = { "KU091" }, *d[1] = { bad_ds[i] };
		struct measure bm = measure(bad_ds[i], 0, 1);

		CHECK(store_rrd_prepare(st, "KU091", &bm, 1, STEP, T0, &err) ==
		      -1);
		CHECK(store_rrd_xport(st, a, d, 1, T0, T0 + STEP, STEP, &b,
		                      &err) == -1);
	}
	{
		const char *a[1] = { "KU091" },
		           *d[1] = { "abcdefghijklmnopqrstu" }; /* > 19 */

		CHECK(store_rrd_xport(st, a, d, 1, T0, T0 + STEP, STEP, &b,
		                      &err) == -1);
	}
	CHECK(count_strays() == 0);
	/* the good codes of the catalog */
	CHECK(store_rrd_prepare(st, "SSS", m, 1, STEP, T0, &err) == 0);
	CHECK(store_rrd_prepare(st, "MK01", m, 1, STEP, T0, &err) == 0);
	CHECK(store_rrd_prepare(st, "KU091", m, 1, STEP, T0, &err) == 0);
	/* config errors */
	CHECK(store_rrd_new(root, 0, "", &err) == NULL);
	CHECK(store_rrd_new(root, STEP, "localhost:42217", &err) == NULL);
	store_rrd_free(st);
	store_rrd_free(NULL);
}

static void
test_stale_tmp_removed(void)
{
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(fresh_dir(), STEP, "", &err);
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char stale[256], fresh[256];
	int fd;

	store_rrd_free(st);
	snprintf(stale, sizeof(stale), "%s/rrd/.tmp-KU091.1.1.rrd", root);
	snprintf(fresh, sizeof(fresh), "%s/rrd/.tmp-KU091.1.2.rrd", root);
	fd = open(stale, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	close(fd);
	CHECK(utimensat(AT_FDCWD, stale, old, 0) == 0);
	fd = open(fresh, O_WRONLY | O_CREAT, 0644);
	close(fd);
	st = store_rrd_new(root, STEP, "", &err);
	CHECK(st != NULL);
	CHECK(access(stale, F_OK) < 0 && errno == ENOENT);
	CHECK(access(fresh, F_OK) == 0); /* maybe another writer's */
	store_rrd_free(st);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* All 308 municipalities x 2 data sources in one read. */
static void
test_xport_many_columns(void)
{
	struct measure m[2] = { measure("alpha", 0, 1e6),
		                measure("beta", 0, 1e6) };
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(fresh_dir(), STEP, "", &err);
	enum { N_AREAS = 308, N_COLS = 2 * N_AREAS };
	static char codes[N_AREAS][8];
	const char *areas[N_COLS], *ds[N_COLS];
	struct rrd_block b;
	double t_ms;
	size_t i, bad = 0;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	for (i = 0; i < N_AREAS; i++) {
		time_t t[2] = { T0 + 3600, T0 + 7200 };
		double v[4] = { (double)i, (double)i + 0.5, (double)i * 2,
			        NAN };

		snprintf(codes[i], sizeof(codes[i]), "KU%03zu", i + 5);
		areas[2 * i] = areas[2 * i + 1] = codes[i];
		ds[2 * i] = "alpha";
		ds[2 * i + 1] = "beta";
		if (i % 10 == 9)
			continue; /* some without a file */
		if (store_rrd_prepare(st, codes[i], m, 2, 2 * STEP, T0, &err) <
		        0 ||
		    store_rrd_update(st, codes[i], m, 2, t, v, 2, &err) < 0)
			bad++;
	}
	CHECK(bad == 0);
	t_ms = now_ms();
	CHECK(store_rrd_xport(st, areas, ds, N_COLS, T0, T0 + 48 * STEP, STEP,
	                      &b, &err) == 0);
	t_ms = now_ms() - t_ms;
	fprintf(stderr, "xport of %d columns x %zu points: %.1f ms\n", N_COLS,
	        b.n_points, t_ms);
	CHECK(b.n_cols == N_COLS && b.n_points == 48 && b.step == STEP);
	for (i = 0; i < N_AREAS && b.n_points == 48; i++) {
		if (i % 10 == 9) {
			CHECK(isnan(at(&b, 2 * i, T0 + 3600)));
			continue;
		}
		CHECK(at(&b, 2 * i, T0 + 3600) == (double)i);
		CHECK(at(&b, 2 * i + 1, T0 + 3600) == (double)i + 0.5);
		CHECK(at(&b, 2 * i, T0 + 7200) == (double)i * 2);
		CHECK(isnan(at(&b, 2 * i + 1, T0 + 7200)));
		CHECK(isnan(at(&b, 2 * i, T0 + 10800)));
	}
	rrd_block_reset(&b);
	store_rrd_free(st);
}

struct reader {
	struct store_rrd *st;
	int n_bad;
};

static void *
read_loop(void *arg)
{
	struct reader *r = arg;
	int i;

	for (i = 0; i < 200; i++) {
		struct rrd_block b;

		if (xport1(r->st, "KU091", "alpha", T0, T0 + 3 * STEP, &b) <
		        0 ||
		    at(&b, 0, T0 + 3600) != 42)
			r->n_bad++;
		rrd_block_reset(&b);
	}
	return NULL;
}

/* rrd_xport keeps its time parser's state in statics: readers on several
 * threads must not trample each other (run under ASan/TSan to see). */
static void
test_xport_threads(void)
{
	struct measure m[1] = { measure("alpha", 0, 100) };
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(fresh_dir(), STEP, "", &err);
	time_t t[1] = { T0 + 3600 };
	double v[1] = { 42 };
	struct reader r[3];
	pthread_t th[3];
	int i;

	CHECK(store_rrd_prepare(st, "KU091", m, 1, 2 * STEP, T0, &err) == 0);
	CHECK(store_rrd_update(st, "KU091", m, 1, t, v, 1, &err) == 0);
	for (i = 0; i < 3; i++) {
		r[i].st = st;
		r[i].n_bad = 0;
		pthread_create(&th[i], NULL, read_loop, &r[i]);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		CHECK(r[i].n_bad == 0);
	}
	store_rrd_free(st);
}

/* --- rrdcached --- */

static void
test_rrdcached(void)
{
	struct measure m[2] = { measure("alpha", 0, 100),
		                measure("beta", 0, 100) };
	struct error err = { 0 };
	struct store_rrd *st, *direct = NULL, *other;
	char addr[200], dir[64];
	time_t t1[3] = { T0 + 1800, T0 + 3600, T0 + 7200 }, last = 0;
	double v1[6] = { 10, NAN, 10, 1, 20, 2 };
	time_t t2[1] = { T0 + 10800 };
	double v2[3] = { 30, 3, 33 };
	const char *areas[3] = { "KU091", "KU091", "KU091" },
	           *ds[3] = { "alpha", "beta", "gamma" };
	struct rrd_block b;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s", fresh_dir());
	pid = fixture_rrdcached_start(dir, addr, sizeof(addr));
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	st = store_rrd_new(dir, STEP, addr, &err);
	CHECK(st != NULL);
	if (st == NULL)
		goto out;
	CHECK(store_rrd_prepare(st, "KU091", m, 2, 2 * STEP, T0, &err) == 0);
	CHECK(store_rrd_update(st, "KU091", m, 2, t1, v1, 3, &err) == 0);
	/* the daemon holds them (it writes hourly): reads flush first */
	direct = store_rrd_new(dir, STEP, "", &err);
	CHECK(store_rrd_last(direct, "KU091", &last, &err) == 0);
	CHECK(last == T0);
	CHECK(store_rrd_xport(st, areas, ds, 2, T0, T0 + 3 * STEP, STEP, &b,
	                      &err) == 0);
	if (b.n_points == 3) {
		CHECK(at(&b, 0, T0 + 3600) == 10);
		/* half the step unknown still makes a known point */
		CHECK(at(&b, 1, T0 + 3600) == 1);
		CHECK(at(&b, 0, T0 + 7200) == 20 && at(&b, 1, T0 + 7200) == 2);
	} else {
		CHECK(b.n_points == 3);
	}
	rrd_block_reset(&b);
	CHECK(store_rrd_last(direct, "KU091", &last, &err) == 0);
	CHECK(last == T0 + 7200);
	t1[0] = T0 + 8000;
	CHECK(store_rrd_update(st, "KU091", m, 2, t1, v1, 1, &err) == 0);
	CHECK(store_rrd_last(direct, "KU091", &last, &err) == 0);
	CHECK(last == T0 + 7200);
	CHECK(store_rrd_last(st, "KU091", &last, &err) == 0);
	CHECK(last == T0 + 8000);
	/* the past is refused before the daemon sees it */
	CHECK(store_rrd_update(st, "KU091", m, 2, t1 + 2, v1, 1, &err) == -1);
	CHECK(strstr(err.msg, "time 1700006400 ") != NULL);
	/* pending samples survive a data source being added */
	t1[0] = T0 + 9000;
	CHECK(store_rrd_update(st, "KU091", m, 2, t1, v1, 1, &err) == 0);
	m[1].max = 50;
	{
		struct measure m3[3] = { m[0], m[1], measure("gamma", 0, 99) };

		CHECK(store_rrd_prepare(st, "KU091", m3, 3, 2 * STEP, T0,
		                        &err) == 0);
		CHECK(store_rrd_update(st, "KU091", m3, 3, t2, v2, 1, &err) ==
		      0);
	}
	CHECK(store_rrd_xport(st, areas, ds, 3, T0, T0 + 3 * STEP, STEP, &b,
	                      &err) == 0);
	if (b.n_points == 3) {
		CHECK(at(&b, 0, T0 + 3600) == 10);
		CHECK(at(&b, 0, T0 + 7200) == 20);
		/* (T0+7200, T0+8000] 10, (T0+8000, T0+9000] 10,
		 * (T0+9000, T0+10800] 30 */
		CHECK(at(&b, 0, T0 + 10800) == 20);
		CHECK(isnan(at(&b, 2, T0 + 7200)));
		CHECK(at(&b, 2, T0 + 10800) == 33);
	} else {
		CHECK(b.n_points == 3);
	}
	rrd_block_reset(&b);
	/* a restarted daemon: the store's connection is dead, it notices,
	 * finds that the samples did not arrive, and sends them again */
	CHECK(fixture_rrdcached_stop(pid));
	pid = fixture_rrdcached_start(dir, addr, sizeof(addr));
	CHECK(pid > 0);
	if (pid <= 0) {
		store_rrd_free(direct);
		store_rrd_free(st);
		return;
	}
	t2[0] = T0 + 14400;
	v2[0] = 40;
	{
		struct measure m3[3] = { m[0], m[1], measure("gamma", 0, 99) };

		CHECK(store_rrd_update(st, "KU091", m3, 3, t2, v2, 1, &err) ==
		      0);
	}
	CHECK(xport1(st, "KU091", "alpha", T0, T0 + 4 * STEP, &b) == 0);
	CHECK(at(&b, 0, T0 + 14400) == 40);
	rrd_block_reset(&b);
	/* a second writer the store does not know of: the daemon refuses
	 * what is older than what it holds, and says why */
	other = store_rrd_new(dir, STEP, addr, &err);
	t2[0] = T0 + 18000;
	CHECK(store_rrd_update(other, "KU091", m, 2, t2, v2, 1, &err) == 0);
	t2[0] = T0 + 16000;
	CHECK(store_rrd_update(st, "KU091", m, 2, t2, v2, 1, &err) == -1);
	CHECK(strstr(err.msg, "illegal attempt") != NULL);
	/* after that the store asks the file, and refuses by itself */
	t2[0] = T0 + 17000;
	CHECK(store_rrd_update(st, "KU091", m, 2, t2, v2, 1, &err) == -1);
	CHECK(strstr(err.msg, "after the last update 1700017200") != NULL);
	t2[0] = T0 + 19000;
	CHECK(store_rrd_update(st, "KU091", m, 2, t2, v2, 1, &err) == 0);
	store_rrd_free(other);
	CHECK(count_strays() == 0);
	store_rrd_free(direct);
	store_rrd_free(st);
out:
	CHECK(fixture_rrdcached_stop(pid));
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as kuntamond does */
	RUN(test_create_update_read);
	RUN(test_out_of_order_refused);
	RUN(test_add_ds_keeps_data);
	RUN(test_prepare_unchanged_is_free);
	RUN(test_xport_missing_files);
	RUN(test_bad_names_refused);
	RUN(test_stale_tmp_removed);
	RUN(test_xport_many_columns);
	RUN(test_xport_threads);
	if (fixture_has_rrdcached())
		check_run("store_rrd_rrdcached", test_rrdcached);
	else
		printf("skip store_rrd_rrdcached (rrdcached not installed)\n");
	fixture_rmtree(root);
	return check_done();
}
