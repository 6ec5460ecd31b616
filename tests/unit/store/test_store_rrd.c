/*
 * test_store_rrd.c: store_rrd against real librrd files in a temporary
 * folder, read back with librrd's own rrd_fetch_r and `rrdtool fetch`,
 * and against a real rrdcached (unix socket and TCP) when it is installed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>

#include "check.h"
#include "clock.h"
#include "fixture.h"
#include "store_rrd.h"
#include "timespec.h"

#define DAY 86400
#define P2020 (2020 * 12) /* 2020-01 */
#define U NAN
#define MAX_PERIODS 8

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

static const char *
path_of(const char *dir, const char *area)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/rrd/%s.rrd", dir, area);
	return path;
}

static bool
same(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

/* How many days of period p in the file do not hold want for data source
 * ds, read with rrd_fetch_r at one day; -1 if unreadable or not every day
 * of the period came back. */
static int
period_mismatches(const char *path, const char *ds, int p, double want)
{
	time_t ps = period_start(p), pe = period_end(p), start = ps,
	       end = pe - 1, t;
	unsigned long step = DAY, n_ds = 0, k, i, n_rows;
	char **names = NULL;
	rrd_value_t *data = NULL;
	int bad = 0, days = 0;
	long col = -1;

	rrd_clear_error();
	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &n_ds, &names,
	                &data) != 0) {
		fprintf(stderr, "fetch %s: %s\n", path, rrd_get_error());
		return -1;
	}
	for (k = 0; k < n_ds; k++)
		if (strcmp(names[k], ds) == 0)
			col = (long)k;
	n_rows = step == DAY ? (unsigned long)(end - start) / step : 0;
	for (i = 0; i < n_rows && col >= 0; i++) {
		t = start + (time_t)((i + 1) * step); /* row's end */
		if (t <= ps || t > pe)
			continue;
		days++;
		if (!same(data[i * n_ds + (unsigned long)col], want)) {
			if (bad == 0)
				fprintf(
				    stderr,
				    "  %s %s day ending %lld: %g, want %g\n",
				    path, ds, (long long)t,
				    data[i * n_ds + (unsigned long)col], want);
			bad++;
		}
	}
	for (k = 0; k < n_ds; k++)
		rrd_freemem(names[k]);
	rrd_freemem(names);
	rrd_freemem(data);
	if (col < 0 || days != (int)((pe - ps) / DAY))
		return -1;
	return bad;
}

static time_t
file_last(const char *path)
{
	rrd_clear_error();
	return rrd_last_r(path);
}

static int
count_tmp_files(const char *dir)
{
	char path[256];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/rrd", dir);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, ".lock") == 0) /* the files' locks */
			continue;
		if (e->d_name[0] == '.' || len < 4 ||
		    strcmp(e->d_name + len - 4, ".rrd") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static const struct measure two[2] = {
	{ .id = "alpha", .min = 0, .max = 1e9 },
	{ .id = "beta", .min = NAN, .max = NAN },
};

/* --- rebuild --- */

struct rebuild_case {
	const char *name;
	int first;
	size_t n_periods;
	double v[MAX_PERIODS][2];
};

static const struct rebuild_case rebuild_cases[] = {
	{ "contiguous", P2020, 3, { { 1, 10 }, { 2, 20 }, { 3.25, 30 } } },
	{ "gaps",
	  P2020 + 5,
	  5,
	  { { 1, 10 }, { U, U }, { 3, U }, { U, 40 }, { 5.5e6, -7 } } },
	{ "one", P2020 + 11, 1, { { 42, 0 } } },
	{ "none", P2020, 0, { { 0 } } },
	{ "leap february", 2024 * 12, 2, { { 29, 2.9 }, { 31, 3.1 } } },
	{ "decade",
	  2001 * 12,
	  8,
	  { { 0, 1 }, { 1e9, 2 }, { 0.1, 3 }, { 7, 4 }, { 8, 5 } } },
};

static void
test_rebuild_every_day(void)
{
	size_t c, p, i;

	for (c = 0; c < sizeof(rebuild_cases) / sizeof(rebuild_cases[0]); c++) {
		const struct rebuild_case *rc = &rebuild_cases[c];
		struct error err = { 0 };
		const char *dir = fresh_dir();
		struct store_rrd *st = store_rrd_new(dir, NULL, &err);
		double vals[MAX_PERIODS * 2], last[2];
		int q, last_p = -2, fails = check_fails;

		CHECK(st != NULL);
		if (st == NULL)
			return;
		for (p = 0; p < rc->n_periods; p++)
			for (i = 0; i < 2; i++)
				vals[p * 2 + i] = rc->v[p][i];
		CHECK(store_rrd_rebuild(st, "KU091", two, 2, rc->first,
		                        rc->n_periods, vals, &err) == 0);
		CHECK(store_rrd_exists(st, "KU091"));
		/* the periods around it too: unknown, never a neighbour's */
		for (q = rc->first - 2; q < rc->first + (int)rc->n_periods + 2;
		     q++) {
			bool inside = q >= rc->first &&
			              q < rc->first + (int)rc->n_periods;

			for (i = 0; i < 2; i++)
				CHECK(period_mismatches(
				          path_of(dir, "KU091"), two[i].id, q,
				          inside ? rc->v[q - rc->first][i]
				                 : U) == 0);
		}
		CHECK(store_rrd_last_period(st, "KU091", two, 2, &last_p, last,
		                            &err) == 0);
		if (rc->n_periods > 0) {
			CHECK(last_p == rc->first + (int)rc->n_periods - 1);
			for (i = 0; i < 2; i++)
				CHECK(
				    same(last[i], rc->v[rc->n_periods - 1][i]));
		} else {
			CHECK(last_p == -1);
			CHECK(isnan(last[0]) && isnan(last[1]));
		}
		CHECK(count_tmp_files(dir) == 0);
		if (check_fails != fails)
			fprintf(stderr, "  in case \"%s\"\n", rc->name);
		store_rrd_free(st);
	}
}

/* The month now: its end is in the future, which librrd takes. */
static void
test_rebuild_current_month(void)
{
	struct error err = { 0 };
	const char *dir = fresh_dir();
	struct store_rrd *st = store_rrd_new(dir, "", &err);
	int now = period_of(clock_now()), last_p;
	double vals[4] = { 1, 2, 3, 4 }, last[2];

	CHECK(store_rrd_rebuild(st, "KU091", two, 2, now - 1, 2, vals, &err) ==
	      0);
	CHECK(period_mismatches(path_of(dir, "KU091"), "alpha", now - 1, 1) ==
	      0);
	CHECK(period_mismatches(path_of(dir, "KU091"), "beta", now, 4) == 0);
	CHECK(file_last(path_of(dir, "KU091")) == period_end(now));
	CHECK(store_rrd_last_period(st, "KU091", two, 2, &last_p, last, &err) ==
	      0);
	CHECK(last_p == now);
	CHECK(last[0] == 3 && last[1] == 4);
	store_rrd_free(st);
}

/* What SPEC §5 promises, with the command it names. */
static void
test_rrdtool_fetch_command(void)
{
	struct error err = { 0 };
	const char *dir = fresh_dir();
	struct store_rrd *st = store_rrd_new(dir, NULL, &err);
	double vals[6] = { 5, 50, U, U, 7, 70 };
	char cmd[512], line[256];
	int p, rows, bad;
	FILE *f;

	CHECK(store_rrd_rebuild(st, "KU091", two, 2, P2020, 3, vals, &err) ==
	      0);
	for (p = P2020; p < P2020 + 3; p++) {
		snprintf(cmd, sizeof(cmd),
		         "rrdtool fetch %s AVERAGE -r 86400 -s %lld -e %lld",
		         path_of(dir, "KU091"), (long long)period_start(p),
		         (long long)period_end(p) - 1);
		f = popen(cmd, "r");
		CHECK(f != NULL);
		if (f == NULL)
			break;
		rows = bad = 0;
		while (fgets(line, sizeof(line), f) != NULL) {
			long long t;
			double a, b;
			char sa[64], sb[64];

			if (sscanf(line, "%lld: %63s %63s", &t, sa, sb) != 3)
				continue;
			a = strcmp(sa, "-nan") == 0 || strcmp(sa, "nan") == 0
			        ? U
			        : strtod(sa, NULL);
			b = strcmp(sb, "-nan") == 0 || strcmp(sb, "nan") == 0
			        ? U
			        : strtod(sb, NULL);
			rows++;
			if (!same(a, vals[(p - P2020) * 2]) ||
			    !same(b, vals[(p - P2020) * 2 + 1]))
				bad++;
		}
		CHECK(pclose(f) == 0);
		CHECK(rows == (int)((period_end(p) - period_start(p)) / DAY));
		CHECK(bad == 0);
	}
	store_rrd_free(st);
}

/* Rebuild is a new file renamed over the old: another inode each time,
 * nothing left beside it, readable by others. */
static void
test_rebuild_atomic(void)
{
	struct error err = { 0 };
	const char *dir = fresh_dir();
	struct store_rrd *st = store_rrd_new(dir, NULL, &err);
	double vals[2] = { 1, 2 }, revised[2] = { 3, 4 };
	struct stat a, b;
	int fd;

	CHECK(store_rrd_rebuild(st, "KU091", two, 2, P2020, 1, vals, &err) ==
	      0);
	CHECK(stat(path_of(dir, "KU091"), &a) == 0);
	/* a reader holding the old file keeps reading it whole */
	fd = open(path_of(dir, "KU091"), O_RDONLY);
	CHECK(fd >= 0);
	CHECK(store_rrd_rebuild(st, "KU091", two, 2, P2020, 1, revised, &err) ==
	      0);
	CHECK(stat(path_of(dir, "KU091"), &b) == 0);
	CHECK(a.st_ino != b.st_ino);
	CHECK((b.st_mode & 0777) == 0644);
	CHECK(a.st_size == b.st_size);
	CHECK(count_tmp_files(dir) == 0);
	CHECK(period_mismatches(path_of(dir, "KU091"), "alpha", P2020, 3) == 0);
	if (fd >= 0) {
		struct stat o;

		CHECK(fstat(fd, &o) == 0 && o.st_ino == a.st_ino &&
		      o.st_size == a.st_size);
		close(fd);
	}
	store_rrd_free(st);
}

/* A file of 120 periods x 16 measures, the size of kuntamon's catalog. */
static void
test_rebuild_speed(void)
{
	struct measure m[16];
	struct error err = { 0 };
	const char *dir = fresh_dir();
	struct store_rrd *st = store_rrd_new(dir, NULL, &err);
	double *vals = calloc(120 * 16, sizeof(double)), best = 1e9, sum = 0,
	       ms;
	struct timespec t0, t1;
	size_t i;
	int run;

	for (i = 0; i < 16; i++) {
		char id[16];

		snprintf(id, sizeof(id), "m%zu", i);
		m[i] = measure(id, 0, NAN);
	}
	for (i = 0; i < 120 * 16; i++)
		vals[i] = (i % 7 == 0) ? U : (double)i * 1.5;
	for (run = 0; run < 10; run++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(store_rrd_rebuild(st, "KU091", m, 16, 2015 * 12, 120,
		                        vals, &err) == 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		sum += ms;
		if (ms < best)
			best = ms;
	}
	printf("# rebuild of 120 periods x 16 measures: best %.2f ms, "
	       "mean %.2f ms (incl. fsync)\n",
	       best, sum / 10);
	CHECK(best < 1000);
	for (i = 0; i < 16; i += 5)
		CHECK(period_mismatches(path_of(dir, "KU091"), m[i].id,
		                        2015 * 12 + 119,
		                        vals[119 * 16 + i]) == 0);
	free(vals);
	store_rrd_free(st);
}

/* --- append --- */

struct append_step {
	const char *what;
	const char *area;
	size_t n;   /* measures: two[0 .. n), or three when 3 */
	int period; /* after P2020 */
	double v[3];
	int want;
};

static const struct measure three[3] = {
	{ .id = "alpha", .min = 0, .max = 1e9 },
	{ .id = "beta", .min = NAN, .max = NAN },
	{ .id = "gamma", .min = NAN, .max = NAN },
};

static void
test_append(void)
{
	/* KU091 is rebuilt with P2020+0 and +1 first */
	static const struct append_step steps[] = {
		{ "the next period", "KU091", 2, 2, { 3, 30 }, 0 },
		{ "after a gap of two", "KU091", 2, 5, { 6, U }, 0 },
		{ "the same again", "KU091", 2, 5, { 7, 70 }, 1 },
		{ "an earlier one", "KU091", 2, 4, { 5, 50 }, 1 },
		{ "a data source it lacks", "KU091", 3, 6, { 1, 1, 1 }, 1 },
		{ "some of its data sources", "KU091", 1, 6, { 8 }, 0 },
		{ "no file", "KU092", 2, 6, { 1, 1 }, 1 },
	};
	/* what each period then holds */
	static const double want[8][2] = { { 1, 10 }, { 2, 20 }, { 3, 30 },
		                           { U, U },  { U, U },  { 6, U },
		                           { 8, U },  { U, U } };
	struct error err = { 0 };
	const char *dir = fresh_dir();
	struct store_rrd *st = store_rrd_new(dir, NULL, &err);
	double vals[4] = { 1, 10, 2, 20 }, last[2];
	time_t before;
	size_t i;
	int p, last_p;

	CHECK(store_rrd_rebuild(st, "KU091", two, 2, P2020, 2, vals, &err) ==
	      0);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct append_step *s = &steps[i];
		int rc;

		before = file_last(path_of(dir, "KU091"));
		rc = store_rrd_append(st, s->area, s->n == 3 ? three : two,
		                      s->n, P2020 + s->period, s->v, &err);
		CHECK(rc == s->want);
		if (rc != s->want)
			fprintf(stderr, "  append %s: %d (%s)\n", s->what, rc,
			        err.msg);
		if (s->want == 1) /* nothing written */
			CHECK(file_last(path_of(dir, "KU091")) == before);
	}
	CHECK(!store_rrd_exists(st, "KU092"));
	for (p = 0; p < 8; p++)
		for (i = 0; i < 2; i++)
			CHECK(period_mismatches(path_of(dir, "KU091"),
			                        two[i].id, P2020 + p,
			                        want[p][i]) == 0);
	CHECK(store_rrd_last_period(st, "KU091", two, 2, &last_p, last, &err) ==
	      0);
	CHECK(last_p == P2020 + 6);
	CHECK(last[0] == 8 && isnan(last[1]));
	store_rrd_free(st);
}

/* A file of no period takes this month; one that ends inside a period
 * holds part of it already. */
static void
test_append_edges(void)
{
	struct error err = { 0 };
	const char *dir = fresh_dir();
	struct store_rrd *st = store_rrd_new(dir, NULL, &err);
	int now = period_of(clock_now()), last_p;
	double v[2] = { 9, 90 }, last[2];
	char sample[64];
	const char *argv[1] = { sample };

	CHECK(store_rrd_rebuild(st, "KU091", two, 2, 0, 0, NULL, &err) == 0);
	CHECK(store_rrd_append(st, "KU091", two, 2, now - 1, v, &err) == 1);
	CHECK(store_rrd_append(st, "KU091", two, 2, now, v, &err) == 0);
	CHECK(period_mismatches(path_of(dir, "KU091"), "beta", now, 90) == 0);
	CHECK(period_mismatches(path_of(dir, "KU091"), "beta", now - 1, U) ==
	      0);

	CHECK(store_rrd_rebuild(st, "KU092", two, 2, P2020, 1, v, &err) == 0);
	snprintf(sample, sizeof(sample), "%lld:1:1",
	         (long long)period_start(P2020 + 1) + 3 * DAY);
	rrd_clear_error();
	CHECK(rrd_update_r(path_of(dir, "KU092"), NULL, 1, argv) == 0);
	CHECK(store_rrd_append(st, "KU092", two, 2, P2020 + 1, v, &err) == 1);
	CHECK(store_rrd_last_period(st, "KU092", two, 2, &last_p, last, &err) ==
	      0);
	CHECK(last_p == -1); /* no period ends there */
	CHECK(isnan(last[0]) && isnan(last[1]));
	CHECK(store_rrd_append(st, "KU092", two, 2, P2020 + 2, v, &err) == 0);
	CHECK(period_mismatches(path_of(dir, "KU092"), "alpha", P2020 + 2, 9) ==
	      0);
	store_rrd_free(st);
}

/* --- last_period --- */

static void
test_last_period(void)
{
	struct error err = { 0 };
	const char *dir = fresh_dir();
	struct store_rrd *st = store_rrd_new(dir, NULL, &err);
	double vals[4] = { 1, 10, 0.1, U }, last[3] = { 5, 5, 5 };
	int p = 7;

	CHECK(store_rrd_last_period(st, "KU091", two, 2, &p, last, &err) == 0);
	CHECK(p == -1 && isnan(last[0]) && isnan(last[1]));
	CHECK(store_rrd_rebuild(st, "KU091", two, 2, P2020, 2, vals, &err) ==
	      0);
	CHECK(store_rrd_last_period(st, "KU091", two, 2, &p, last, &err) == 0);
	CHECK(p == P2020 + 1);
	CHECK(last[0] == 0.1 && isnan(last[1])); /* exactly: %.17g */
	/* measures in another order, or fewer */
	CHECK(store_rrd_last_period(st, "KU091", two + 1, 1, &p, last, &err) ==
	      0);
	CHECK(p == P2020 + 1 && isnan(last[0]));
	CHECK(store_rrd_last_period(st, "KU091", three, 3, &p, last, &err) ==
	      1);
	CHECK(store_rrd_last_period(st, "ku091", two, 2, &p, last, &err) == -1);
	store_rrd_free(st);
}

/* --- refusals --- */

static void
test_v1_dir_refused(void)
{
	const char *dir = fresh_dir();
	const char *argv[2] = { "DS:contacts:GAUGE:600:0:U",
		                "RRA:AVERAGE:0.5:1:100" };
	struct error err = { 0 };
	struct store_rrd *st;
	char rrd[256];

	snprintf(rrd, sizeof(rrd), "%s/rrd", dir);
	CHECK(mkdir(rrd, 0755) == 0);
	rrd_clear_error();
	CHECK(rrd_create_r2(path_of(dir, "KU091"), 300, 1700000000, 0, NULL,
	                    NULL, 2, argv) == 0);
	st = store_rrd_new(dir, NULL, &err);
	CHECK(st == NULL);
	CHECK(strstr(err.msg, "/rrd/KU091.rrd has a step of 300 s") != NULL);
	CHECK(strstr(err.msg, "kuntamon v1") != NULL);
	CHECK(strstr(err.msg, "kuntamonctl import") != NULL);
	store_rrd_free(st);
	/* a v2 file beside it changes nothing; without it, all is well */
	CHECK(unlink(path_of(dir, "KU091")) == 0);
	rrd_clear_error();
	CHECK(rrd_create_r2(path_of(dir, "KU092"), 86400, 1700000000, 0, NULL,
	                    NULL, 2, argv) == 0);
	st = store_rrd_new(dir, NULL, &err);
	CHECK(st != NULL);
	store_rrd_free(st);
}

static void
test_stale_tmp_removed(void)
{
	static const char *const names[] = { ".KU091.rrd.ab12cd",
		                             ".KU091.rrd.ab12cdXY34ZW",
		                             ".tmp-KU091.77.0.rrd",
		                             "KU091.rrdQ1w2E3" };
	const char *dir = fresh_dir();
	struct error err = { 0 };
	struct timeval old[2] = { { time(NULL) - 7200, 0 },
		                  { time(NULL) - 7200, 0 } };
	char path[300];
	size_t i;
	int fresh_n = 0;

	snprintf(path, sizeof(path), "%s/rrd", dir);
	CHECK(mkdir(path, 0755) == 0);
	for (i = 0; i < 4; i++) {
		int fd;

		/* an old one, and a fresh one another writer may own */
		snprintf(path, sizeof(path), "%s/rrd/%s", dir, names[i]);
		fd = open(path, O_CREAT | O_WRONLY, 0644);
		CHECK(fd >= 0 && close(fd) == 0);
		CHECK(utimes(path, old) == 0);
		snprintf(path, sizeof(path), "%s/rrd/%s.fresh", dir, names[i]);
		if (names[i][0] == '.') {
			fd = open(path, O_CREAT | O_WRONLY, 0644);
			CHECK(fd >= 0 && close(fd) == 0);
			fresh_n++;
		}
	}
	store_rrd_free(store_rrd_new(dir, NULL, &err));
	CHECK(count_tmp_files(dir) == fresh_n);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/rrd/%s", dir, names[i]);
		CHECK(access(path, F_OK) < 0);
	}
}

static void
test_bad_input(void)
{
	static const char *const bad_areas[] = { "", "ku091", "KU0911234",
		                                 "KU/91", "../X" };
	static const char *const bad_addrs[] = { "unix:",     "unix:relative",
		                                 "host:0",    "host:65536",
		                                 "[::1",      "[::1]x",
		                                 "host:12ab", ":42217" };
	static const char *const good_addrs[] = {
		"unix:/x/y.sock", "/x/y",  "127.0.0.1:42217",
		"[::1]:1",        "[::1]", "localhost"
	};
	struct measure bad_ds[2] = { measure("Alpha", 0, 1),
		                     measure("a-b", 0, 1) };
	struct measure twice[2] = { measure("alpha", 0, 1),
		                    measure("alpha", 0, 1) };
	struct error err = { 0 };
	const char *dir = fresh_dir();
	struct store_rrd *st = store_rrd_new(dir, NULL, &err);
	double v[2] = { 1, 2 }, last[2];
	size_t i;
	int p;

	for (i = 0; i < sizeof(bad_areas) / sizeof(bad_areas[0]); i++) {
		CHECK(store_rrd_rebuild(st, bad_areas[i], two, 2, P2020, 1, v,
		                        &err) == -1);
		CHECK(store_rrd_append(st, bad_areas[i], two, 2, P2020, v,
		                       &err) == -1);
		CHECK(store_rrd_last_period(st, bad_areas[i], two, 2, &p, last,
		                            &err) == -1);
		CHECK(!store_rrd_exists(st, bad_areas[i]));
	}
	CHECK(store_rrd_rebuild(st, "KU091", bad_ds, 1, P2020, 1, v, &err) ==
	      -1);
	CHECK(store_rrd_rebuild(st, "KU091", bad_ds + 1, 1, P2020, 1, v,
	                        &err) == -1);
	CHECK(store_rrd_rebuild(st, "KU091", twice, 2, P2020, 1, v, &err) ==
	      -1);
	CHECK(strstr(err.msg, "twice") != NULL);
	CHECK(store_rrd_rebuild(st, "KU091", two, 0, P2020, 1, v, &err) == -1);
	CHECK(store_rrd_rebuild(st, "KU091", two, 2, 1970 * 12, 1, v, &err) ==
	      -1);
	CHECK(store_rrd_append(st, "KU091", two, 2, -1, v, &err) == -1);
	CHECK(!store_rrd_exists(st, "KU091"));
	CHECK(count_tmp_files(dir) == 0);
	store_rrd_free(st);
	for (i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
		st = store_rrd_new(dir, bad_addrs[i], &err);
		CHECK(st == NULL);
		if (st != NULL)
			fprintf(stderr, "  took \"%s\"\n", bad_addrs[i]);
		store_rrd_free(st);
	}
	for (i = 0; i < sizeof(good_addrs) / sizeof(good_addrs[0]); i++) {
		st = store_rrd_new(dir, good_addrs[i], &err);
		CHECK(st != NULL); /* connected only when written through */
		if (st == NULL)
			fprintf(stderr, "  \"%s\": %s\n", good_addrs[i],
			        err.msg);
		store_rrd_free(st);
	}
}

/* --- charts --- */

static void
test_graph(void)
{
	struct error err = { 0 };
	const char *dir = fresh_dir();
	struct store_rrd *st = store_rrd_new(dir, NULL, &err);
	double vals[6] = { 4, 1, 4, 2, 4, 3 };
	struct rrd_graph_def defs[3] = { { "a", "KU091", "alpha" },
		                         { "b", "KU091", "gamma" },
		                         { "c", "KU092", "alpha" } };
	char from[32], to[32];
	const char *args[] = { "--start",
		               from,
		               "--end",
		               to,
		               "VDEF:avg=a,AVERAGE",
		               "PRINT:avg:%.3lf",
		               "LINE1:a#ff0000",
		               "LINE1:b#00ff00",
		               "LINE1:c#0000ff" };
	const char *svg[] = { "--imgformat", "SVG", "--start",       from,
		              "--end",       to,    "LINE1:a#ff0000" };
	/* a frame of no data, as charts draw before any file exists */
	const char *frame[] = { "--start",         "end-1d",
		                "--lower-limit",   "0",
		                "--upper-limit",   "1",
		                "HRULE:0#FFFFFF00" };
	struct rrd_image img = { 0 };

	snprintf(from, sizeof(from), "%lld", (long long)period_start(P2020));
	snprintf(to, sizeof(to), "%lld", (long long)period_end(P2020 + 2));
	CHECK(store_rrd_rebuild(st, "KU091", two, 2, P2020, 3, vals, &err) ==
	      0);
	/* alpha is 4 throughout; gamma is no data source of the file and
	 * KU092 no file: both draw as unknown */
	CHECK(store_rrd_graph(st, defs, 3, args, 9, &img, &err) == 0);
	CHECK(img.len > 8 && memcmp(img.data, "\x89PNG", 4) == 0);
	CHECK(img.width > 0 && img.height > 0);
	CHECK(img.n_prints == 1);
	if (img.n_prints == 1)
		CHECK_STR(img.prints[0], "4.000");
	rrd_image_reset(&img);
	CHECK(img.data == NULL && img.n_prints == 0);
	CHECK(store_rrd_graph(st, defs, 1, svg, 7, &img, &err) == 0);
	CHECK(img.len > 5 && memcmp(img.data, "<?xml", 5) == 0);
	rrd_image_reset(&img);
	CHECK(store_rrd_graph(st, defs + 2, 1, svg, 7, &img, &err) == 1);
	CHECK(store_rrd_graph(NULL, NULL, 0, frame, 7, &img, &err) == 0);
	CHECK(img.len > 0);
	rrd_image_reset(&img);
	store_rrd_free(st);
}

/* --- threads --- */

struct worker {
	struct store_rrd *st;
	char area[8];
	int failures;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct error err = { 0 };
	double v[2 * 12], last[2];
	struct rrd_graph_def def = { "a", "", "alpha" };
	const char *args[] = { "--start", "end-3y", "LINE1:a#ff0000" };
	struct rrd_image img;
	int i, p;

	snprintf(def.area, sizeof(def.area), "%s", w->area);
	for (i = 0; i < 24; i++)
		v[i] = i;
	for (i = 0; i < 10; i++) {
		if (store_rrd_rebuild(w->st, w->area, two, 2, P2020, 12, v,
		                      &err) != 0 ||
		    store_rrd_append(w->st, w->area, two, 2, P2020 + 12, v,
		                     &err) != 0 ||
		    store_rrd_last_period(w->st, w->area, two, 2, &p, last,
		                          &err) != 0 ||
		    p != P2020 + 12)
			w->failures++;
		if (i % 3 == 0) {
			if (store_rrd_graph(w->st, &def, 1, args, 3, &img,
			                    &err) != 0)
				w->failures++;
			rrd_image_reset(&img);
		}
	}
	if (w->failures > 0)
		fprintf(stderr, "  %s: %s\n", w->area, err.msg);
	return NULL;
}

static void
run_workers(struct store_rrd *st)
{
	struct worker w[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].st = st;
		snprintf(w[i].area, sizeof(w[i].area), "KU%03u",
		         (unsigned)i % 1000);
		CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(w[i].failures == 0);
	}
}

static void
test_threads(void)
{
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(fresh_dir(), NULL, &err);

	run_workers(st);
	CHECK(count_tmp_files(root) == 0);
	store_rrd_free(st);
}

/* --- rrdcached --- */

/* Writes through the daemon at addr: it writes files only hourly, so a
 * value found in a file proves the store flushed. */
static void
through_rrdcached(const char *dir, const char *addr)
{
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(dir, addr, &err);
	double vals[4] = { 1, 10, 2, 20 }, v3[2] = { 3, 30 }, last[2];
	double revised[8] = { 1, 11, 2, 22, 3, 33, 4, 44 };
	struct rrd_graph_def def = { "a", "KU091", "alpha" };
	const char *args[] = { "--start", "end-20y", "LINE1:a#ff0000" };
	struct rrd_image img = { 0 };
	struct stat a, b;
	int p;

	CHECK(st != NULL);
	if (st == NULL) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	/* a rebuild lands whole: CREATE, BATCH, FLUSH */
	CHECK(store_rrd_rebuild(st, "KU091", two, 2, P2020, 2, vals, &err) ==
	      0);
	if (err.msg[0] != '\0')
		fprintf(stderr, "  rebuild: %s\n", err.msg);
	CHECK(period_mismatches(path_of(dir, "KU091"), "beta", P2020 + 1, 20) ==
	      0);
	CHECK(file_last(path_of(dir, "KU091")) == period_end(P2020 + 1));
	/* an append stays in the daemon until a reader flushes */
	CHECK(store_rrd_append(st, "KU091", two, 2, P2020 + 2, v3, &err) == 0);
	CHECK(file_last(path_of(dir, "KU091")) == period_end(P2020 + 1));
	CHECK(store_rrd_last_period(st, "KU091", two, 2, &p, last, &err) == 0);
	CHECK(p == P2020 + 2 && last[0] == 3 && last[1] == 30);
	CHECK(period_mismatches(path_of(dir, "KU091"), "alpha", P2020 + 2, 3) ==
	      0);
	CHECK(store_rrd_append(st, "KU091", two, 2, P2020 + 2, v3, &err) == 1);
	CHECK(store_rrd_append(st, "KU091", three, 3, P2020 + 3, v3, &err) ==
	      1);
	CHECK(store_rrd_append(st, "KU099", two, 2, P2020 + 3, v3, &err) == 1);
	/* a rebuild over updates the daemon still holds */
	CHECK(store_rrd_append(st, "KU091", two, 2, P2020 + 3, v3, &err) == 0);
	CHECK(stat(path_of(dir, "KU091"), &a) == 0);
	CHECK(store_rrd_rebuild(st, "KU091", two, 2, P2020, 4, revised, &err) ==
	      0);
	CHECK(stat(path_of(dir, "KU091"), &b) == 0);
	CHECK(a.st_ino != b.st_ino);
	for (p = 0; p < 4; p++)
		CHECK(period_mismatches(path_of(dir, "KU091"), "beta",
		                        P2020 + p, revised[p * 2 + 1]) == 0);
	CHECK(store_rrd_last_period(st, "KU091", two, 2, &p, last, &err) == 0);
	CHECK(p == P2020 + 3 && last[1] == 44);
	/* and a chart sees what the daemon holds */
	CHECK(store_rrd_append(st, "KU091", two, 2, P2020 + 5, v3, &err) == 0);
	CHECK(store_rrd_graph(st, &def, 1, args, 3, &img, &err) == 0);
	CHECK(file_last(path_of(dir, "KU091")) == period_end(P2020 + 5));
	rrd_image_reset(&img);
	/* an empty file through the daemon */
	CHECK(store_rrd_rebuild(st, "KU092", two, 2, 0, 0, NULL, &err) == 0);
	CHECK(store_rrd_last_period(st, "KU092", two, 2, &p, last, &err) == 0);
	CHECK(p == -1);
	run_workers(st);
	CHECK(count_tmp_files(dir) == 0);
	store_rrd_free(st);
}

static void
test_rrdcached_unix(void)
{
	const char *dir = fresh_dir();
	struct error err = { 0 };
	double v[2] = { 5, 50 }, last[2];
	char addr[600];
	struct store_rrd *st;
	pid_t pid = fixture_rrdcached_start(dir, addr, sizeof(addr));
	int p;

	CHECK(pid > 0);
	if (pid <= 0)
		return;
	through_rrdcached(dir, addr);
	/* the same address, without "unix:" */
	st = store_rrd_new(dir, addr + 5, &err);
	CHECK(store_rrd_append(st, "KU091", two, 2, P2020 + 6, v, &err) == 0);
	/* a daemon restarted between two writes: the store reconnects */
	CHECK(fixture_rrdcached_stop(pid));
	pid = fixture_rrdcached_start(dir, addr, sizeof(addr));
	CHECK(pid > 0);
	CHECK(store_rrd_append(st, "KU091", two, 2, P2020 + 7, v, &err) == 0);
	if (err.msg[0] != '\0')
		fprintf(stderr, "  after restart: %s\n", err.msg);
	CHECK(store_rrd_last_period(st, "KU091", two, 2, &p, last, &err) == 0);
	CHECK(p == P2020 + 7);
	/* a daemon gone: an error that says so, and no file touched */
	if (pid > 0)
		CHECK(fixture_rrdcached_stop(pid));
	err.msg[0] = '\0';
	CHECK(store_rrd_append(st, "KU091", two, 2, P2020 + 8, v, &err) == -1);
	CHECK(strstr(err.msg, "rrdcached") != NULL);
	CHECK(store_rrd_rebuild(st, "KU091", two, 2, P2020, 1, v, &err) == -1);
	CHECK(file_last(path_of(dir, "KU091")) == period_end(P2020 + 7));
	store_rrd_free(st);
}

static void
test_rrdcached_tcp(void)
{
	const char *dir = fresh_dir();
	char addr[64], outside[64];
	struct error err = { 0 };
	double v[2] = { 5, 50 };
	struct store_rrd *st;
	pid_t pid = fixture_rrdcached_start_tcp(dir, addr, sizeof(addr));

	CHECK(pid > 0);
	if (pid <= 0)
		return;
	through_rrdcached(dir, addr);
	/* started with -B -b: a storage dir outside the base is refused */
	fixture_tmpdir(outside, sizeof(outside), "test_store_rrd_out");
	st = store_rrd_new(outside, addr, &err);
	CHECK(st != NULL);
	CHECK(store_rrd_rebuild(st, "KU091", two, 2, P2020, 1, v, &err) == -1);
	CHECK(strstr(err.msg, "Permission denied") != NULL);
	store_rrd_free(st);
	fixture_rmtree(outside);
	CHECK(fixture_rrdcached_stop(pid));
}

/* In a child process: whether another process holds a lock anywhere in
 * dir/rrd/.lock (F_OFD_GETLK over the whole file). */
static bool
child_sees_lock(const char *dir)
{
	char path[256];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/rrd/.lock", dir);
	pid = fork();
	if (pid == 0) {
		struct flock fl = { 0 };
		int fd = open(path, O_RDWR);

		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fd < 0 || fcntl(fd, F_OFD_GETLK, &fl) < 0)
			_exit(2);
		_exit(fl.l_type == F_WRLCK ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return false;
	return WEXITSTATUS(status) == 1;
}

/* The file lock is seen by another process (kuntamonctl import beside
 * the daemon), and given back. */
static void
test_lock_between_processes(void)
{
	const char *dir = fresh_dir();
	struct error err = { 0 };
	struct store_rrd *st = store_rrd_new(dir, NULL, &err);

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(!child_sees_lock(dir));
	CHECK(store_rrd_lock(st, "KU091", &err) == 0);
	CHECK(child_sees_lock(dir));
	store_rrd_unlock(st, "KU091");
	CHECK(!child_sees_lock(dir));
	store_rrd_free(st);
}

int
main(void)
{
	/* a data dir's rrdcached is [storage] rrdcached, never this */
	unsetenv("RRDCACHED_ADDRESS");
	RUN(test_rebuild_every_day);
	RUN(test_rebuild_current_month);
	RUN(test_rrdtool_fetch_command);
	RUN(test_rebuild_atomic);
	RUN(test_rebuild_speed);
	RUN(test_append);
	RUN(test_append_edges);
	RUN(test_last_period);
	RUN(test_v1_dir_refused);
	RUN(test_stale_tmp_removed);
	RUN(test_bad_input);
	RUN(test_graph);
	RUN(test_threads);
	RUN(test_lock_between_processes);
	if (fixture_has_rrdcached()) {
		RUN(test_rrdcached_unix);
		RUN(test_rrdcached_tcp);
	} else {
		printf("skip test_rrdcached_unix (rrdcached not installed)\n");
		printf("skip test_rrdcached_tcp (rrdcached not installed)\n");
	}
	fixture_rmtree(root);
	return check_done();
}
