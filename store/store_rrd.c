/*
 * store_rrd.c: the RRD files, dir/rrd/<AREA>.rrd, and everything librrd.
 *
 * Invariants:
 * - A file on disk is always whole: it is created, or rewritten to add data
 *   sources, under a ".tmp-" name beside it, fsync'd, and then linked or
 *   renamed into place (librrd itself renames without fsync).
 * - Every write of a store (create, tune, update) and every use of
 *   librrd's rrdcached client (one global connection in librrd) happens
 *   under st->lock; rrdc_* calls also hold rrdc_lock, as the connection is
 *   shared by every store of the process.
 * - rrd_xport runs under no lock of ours: it is reentrant in 1.7.2 (its
 *   options go through optparse, not getopt, and rrd_parsetime keeps its
 *   static scanner under a mutex of librrd's own; its tzset() and mktime()
 *   are glibc's, locked inside glibc, which TSan cannot see: tests/tsan.supp).
 * - librrd's error text is per thread: rrd_clear_error() before a call,
 *   copy rrd_get_error() after.
 * - The table of areas remembers, per area, the signature of the measures
 *   and heartbeat the file was last brought up to, so that a prepare per
 *   document costs a hash and a lookup and touches no file.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <limits.h>
#include <unistd.h>

/* store_rrd_fetch keeps files open through rrd_open and rrd_t (rrd.h's
 * deprecated section, rrd_format.h). */
#define RRD_EXPORT_DEPRECATED
#include <rrd.h>
#include <rrd_client.h>

#include "log.h"
#include "store_rrd.h"
#include "xmalloc.h"

/* Samples per rrd_update_r call. */
#define UPDATE_CHUNK 256
/* rrdc_update sends one line of at most RRD_CMD_MAX bytes. */
#define CACHED_LINE_MAX (RRD_CMD_MAX - 64)
/* Most values one xport returns: a longer range comes at a coarser step. */
#define XPORT_MAX_CELLS (8UL * 1024 * 1024)
#define XPORT_MAX_ROWS 200000UL
#define XPORT_MIN_TIME ((time_t)3600 * 24 * 365 * 10) /* 1979-12-29 */
/* Leftover temporary files older than this are removed at start. */
#define STALE_TMP_S 3600
#define TMP_PREFIX ".tmp-"

struct area_state {
	char area[AREA_CODE_MAX];   /* "": a free slot */
	uint64_t sig;               /* measures + heartbeat prepared; 0: none */
	char (*ds)[MEASURE_ID_MAX]; /* the file's data sources, in order */
	size_t n_ds;
	time_t last; /* last update sent to rrdcached; 0: ask the file */
};

struct store_rrd {
	char *dir; /* absolute dir/rrd */
	int step_s;
	char *rrdcached; /* NULL: write the files directly */
	pthread_mutex_t lock;
	struct area_state *areas; /* open addressing, cap a power of two */
	size_t n_areas, cap_areas;
	_Atomic(struct readers *) readers; /* store_rrd_fetch's; lazily */
};

static void readers_free(struct readers *rs);

/* A data source as the file has it. */
struct ds_info {
	char name[MEASURE_ID_MAX];
	unsigned long index;
	unsigned long heartbeat_s;
	double min, max;
	bool is_gauge;
};

static pthread_mutex_t rrdc_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ulong n_tmp;

static bool
valid_area(const char *area)
{
	size_t i;

	for (i = 0; area[i] != '\0'; i++)
		if (i >= AREA_CODE_MAX - 1 ||
		    !((area[i] >= 'A' && area[i] <= 'Z') ||
		      (area[i] >= '0' && area[i] <= '9')))
			return false;
	return i > 0;
}

/* A DS name is also a token in templates and DEFs: nothing else gets in. */
static bool
valid_ds(const char *id)
{
	size_t i;

	if (!(id[0] >= 'a' && id[0] <= 'z'))
		return false;
	for (i = 1; id[i] != '\0'; i++)
		if (i >= MEASURE_ID_MAX - 1 ||
		    !((id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '_'))
			return false;
	return true;
}

static int
check_measures(const struct measure *m, size_t n, struct error *err)
{
	size_t i;

	if (n == 0)
		return error_set(err, 0, "no measures");
	for (i = 0; i < n; i++)
		if (!valid_ds(m[i].id))
			return error_set(err, 0,
			                 "bad data source name \"%.*s\"",
			                 MEASURE_ID_MAX, m[i].id);
	return 0;
}

static int
file_path(const struct store_rrd *st, const char *area, char *out, size_t size,
          struct error *err)
{
	int n;

	if (!valid_area(area))
		return error_set(err, 0, "bad area code \"%.*s\"",
		                 AREA_CODE_MAX, area);
	n = snprintf(out, size, "%s/%s.rrd", st->dir, area);
	if (n < 0 || (size_t)n >= size)
		return error_set(err, 0, "path too long for %s", area);
	return 0;
}

static int
tmp_path(const struct store_rrd *st, const char *area, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/" TMP_PREFIX "%s.%ld.%lu.rrd", st->dir,
	                 area, (long)getpid(), atomic_fetch_add(&n_tmp, 1));

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Copies librrd's error for this thread into err. */
static int
rrd_fail(struct error *err, const char *what, const char *area)
{
	const char *msg = rrd_get_error();

	return error_set(
	    err, 0, "%s %s: %s", what, area,
	    msg != NULL && msg[0] != '\0' ? msg : "unknown librrd error");
}

static void
format_limit(double v, char *out, size_t size)
{
	if (isfinite(v))
		snprintf(out, size, "%.17g", v);
	else
		snprintf(out, size, "U");
}

static bool
same_limit(double a, double b)
{
	if (!isfinite(a) || !isfinite(b))
		return !isfinite(a) && !isfinite(b);
	return a == b;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
measures_sig(const struct measure *m, size_t n, int heartbeat_s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	h = fnv(h, &heartbeat_s, sizeof(heartbeat_s));
	for (i = 0; i < n; i++) {
		double lim[2] = { isfinite(m[i].min) ? m[i].min : NAN,
			          isfinite(m[i].max) ? m[i].max : NAN };
		char lims[64];

		h = fnv(h, m[i].id, strlen(m[i].id) + 1);
		snprintf(lims, sizeof(lims), "%a %a", lim[0], lim[1]);
		h = fnv(h, lims, strlen(lims));
	}
	return h == 0 ? 1 : h;
}

/* --- the table of areas (under st->lock) --- */

static size_t
area_hash(const char *area)
{
	return (size_t)fnv(0xcbf29ce484222325ULL, area, strlen(area));
}

static struct area_state *
area_find(struct store_rrd *st, const char *area, bool create)
{
	size_t i, mask;

	if (create && (st->n_areas + 1) * 2 > st->cap_areas) {
		struct area_state *old = st->areas;
		size_t old_cap = st->cap_areas, j;

		st->cap_areas = old_cap == 0 ? 64 : old_cap * 2;
		st->areas = xcalloc(st->cap_areas, sizeof(*st->areas));
		mask = st->cap_areas - 1;
		for (j = 0; j < old_cap; j++) {
			if (old[j].area[0] == '\0')
				continue;
			for (i = area_hash(old[j].area) & mask;
			     st->areas[i].area[0] != '\0'; i = (i + 1) & mask)
				;
			st->areas[i] = old[j];
		}
		free(old);
	}
	if (st->cap_areas == 0)
		return NULL;
	mask = st->cap_areas - 1;
	for (i = area_hash(area) & mask; st->areas[i].area[0] != '\0';
	     i = (i + 1) & mask)
		if (strcmp(st->areas[i].area, area) == 0)
			return &st->areas[i];
	if (!create)
		return NULL;
	snprintf(st->areas[i].area, sizeof(st->areas[i].area), "%s", area);
	st->n_areas++;
	return &st->areas[i];
}

/* Forgets what is known of an area's file: the next prepare looks. */
static void
area_forget(struct store_rrd *st, const char *area)
{
	struct area_state *a = area_find(st, area, false);

	if (a == NULL)
		return;
	a->sig = 0;
	a->last = 0;
	free(a->ds);
	a->ds = NULL;
	a->n_ds = 0;
}

static void
area_set_ds(struct area_state *a, const struct ds_info *ds, size_t n)
{
	size_t i;

	free(a->ds);
	a->ds = xcalloc(n, sizeof(*a->ds));
	for (i = 0; i < n; i++)
		snprintf(a->ds[i], sizeof(a->ds[i]), "%s", ds[i].name);
	a->n_ds = n;
}

/* --- files --- */

static int
fsync_path(const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
copy_file(const char *from, const char *to)
{
	char *buf = xmalloc(65536);
	int in = -1, out = -1, rc = -1;
	struct stat sb;
	ssize_t n;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0 || fstat(in, &sb) < 0)
		goto out;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	           sb.st_mode & 0777);
	if (out < 0)
		goto out;
	while ((n = read(in, buf, 65536)) != 0) {
		ssize_t off = 0, w;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		while (off < n) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto out;
			off += w;
		}
	}
	rc = 0;
out:
	if (out >= 0 && close(out) < 0)
		rc = -1;
	if (in >= 0)
		close(in);
	free(buf);
	return rc;
}

/* Removes temporary files a crash left behind. Only old ones: another
 * process (kuntamonctl import) may be writing a fresh one. */
static void
remove_stale_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat sb;

		if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0 ||
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) <
		        0 ||
		    !S_ISREG(sb.st_mode) || now - sb.st_mtime < STALE_TMP_S)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			log_info("removed a leftover temporary file",
			         "dir=%s file=%s", dir, e->d_name);
	}
	closedir(d);
}

/* Reads the file's data sources, in file order. */
static int
read_ds(const char *path, const char *area, struct ds_info **out, size_t *out_n,
        struct error *err)
{
	struct ds_info *ds = NULL;
	size_t n = 0, i;
	rrd_info_t *info, *p;

	rrd_clear_error();
	info = rrd_info_r(path);
	if (info == NULL)
		return rrd_fail(err, "cannot read", area);
	for (p = info; p != NULL; p = p->next) {
		const char *k = p->key, *close_br;
		char name[MEASURE_ID_MAX];
		size_t len;

		if (strncmp(k, "ds[", 3) != 0 ||
		    (close_br = strchr(k + 3, ']')) == NULL ||
		    close_br[1] != '.')
			continue;
		len = (size_t)(close_br - (k + 3));
		if (len == 0 || len >= sizeof(name))
			continue;
		memcpy(name, k + 3, len);
		name[len] = '\0';
		for (i = 0; i < n && strcmp(ds[i].name, name) != 0; i++)
			;
		if (i == n) {
			ds = xreallocarray(ds, n + 1, sizeof(*ds));
			memset(&ds[n], 0, sizeof(ds[n]));
			snprintf(ds[n].name, sizeof(ds[n].name), "%s", name);
			ds[n].min = ds[n].max = NAN;
			n++;
		}
		k = close_br + 2;
		if (strcmp(k, "index") == 0 && p->type == RD_I_CNT)
			ds[i].index = p->value.u_cnt;
		else if (strcmp(k, "type") == 0 && p->type == RD_I_STR)
			ds[i].is_gauge = strcmp(p->value.u_str, "GAUGE") == 0;
		else if (strcmp(k, "minimal_heartbeat") == 0 &&
		         p->type == RD_I_CNT)
			ds[i].heartbeat_s = p->value.u_cnt;
		else if (strcmp(k, "min") == 0 && p->type == RD_I_VAL)
			ds[i].min = p->value.u_val;
		else if (strcmp(k, "max") == 0 && p->type == RD_I_VAL)
			ds[i].max = p->value.u_val;
	}
	rrd_info_free(info);
	/* info lists them in index order already; make sure of it */
	for (i = 1; i < n; i++) {
		struct ds_info t = ds[i];
		size_t j = i;

		for (; j > 0 && ds[j - 1].index > t.index; j--)
			ds[j] = ds[j - 1];
		ds[j] = t;
	}
	*out = ds;
	*out_n = n;
	return 0;
}

static char *
ds_spec(const struct measure *m, int heartbeat_s)
{
	char lo[32], hi[32], *s = xmalloc(96);

	format_limit(m->min, lo, sizeof(lo));
	format_limit(m->max, hi, sizeof(hi));
	snprintf(s, 96, "DS:%s:GAUGE:%d:%s:%s", m->id, heartbeat_s, lo, hi);
	return s;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Creates area's file. 1 if another writer created it meanwhile. */
static int
create_file(struct store_rrd *st, const char *area, const char *path,
            const struct measure *m, size_t n, int heartbeat_s, time_t start,
            struct error *err)
{
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };
	unsigned long step = (unsigned long)st->step_s;
	const unsigned long pdp[3] = { 1, 86400 / step, 604800 / step };
	const unsigned long rows[3] = { (90 * 86400 + step - 1) / step, 1826,
		                        1043 };
	size_t argc = 0, i, j;
	char **argv = xcalloc(n + 9, sizeof(*argv));
	char tmp[PATH_MAX];
	int rc = -1;

	for (i = 0; i < n; i++)
		argv[argc++] = ds_spec(&m[i], heartbeat_s);
	/* at step for 90 days, daily for 5 years, weekly for 20 years */
	for (j = 0; j < 3; j++) {
		for (i = 0; i < 3; i++) {
			argv[argc] = xmalloc(64);
			snprintf(argv[argc++], 64, "RRA:%s:0.5:%lu:%lu", cfs[i],
			         pdp[j], rows[j]);
		}
	}
	if (tmp_path(st, area, tmp, sizeof(tmp)) < 0) {
		error_set(err, 0, "path too long for %s", area);
		goto out;
	}
	rrd_clear_error();
	if (rrd_create_r2(tmp, step, start, 1, NULL, NULL, (int)argc,
	                  (const char **)argv) != 0) {
		rrd_fail(err, "cannot create", area);
		unlink(tmp);
		goto out;
	}
	if (fsync_path(tmp, 0) < 0) {
		error_set(err, 0, "cannot sync %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* link, not rename: never replace a file someone else created */
	if (link(tmp, path) < 0) {
		int e = errno;

		if (e == EEXIST) {
			unlink(tmp);
			rc = 1;
			goto out;
		}
		if (e != EPERM && e != EOPNOTSUPP && e != ENOSYS) {
			error_set(err, 0, "cannot create %s: %s", path,
			          strerror(e));
			unlink(tmp);
			goto out;
		}
		if (rename(tmp, path) < 0) { /* no hard links here */
			error_set(err, 0, "cannot create %s: %s", path,
			          strerror(errno));
			unlink(tmp);
			goto out;
		}
	} else {
		unlink(tmp);
	}
	fsync_path(st->dir, O_DIRECTORY);
	rc = 0;
out:
	free_strv(argv, argc);
	return rc;
}

/* --- rrdcached (under st->lock and rrdc_lock) --- */

/* librrd prefixes what the daemon answered with "rrdcached@ADDRESS: " (in
 * 1.7.2; "rrdcached: " before); anything else is the connection's fault. */
static bool
daemon_answered(void)
{
	const char *msg = rrd_get_error();

	return strncmp(msg, "rrdcached", 9) == 0 &&
	       (msg[9] == '@' || msg[9] == ':');
}

static int
cached_connect(const struct store_rrd *st, struct error *err)
{
	rrd_clear_error();
	if (rrdc_connect(st->rrdcached) != 0) {
		const char *msg = rrd_get_error();

		rrdc_disconnect();
		return error_set(err, 0, "cannot connect to rrdcached %s: %s",
		                 st->rrdcached, msg[0] != '\0' ? msg : "error");
	}
	return 0;
}

static int
cached_flush(const struct store_rrd *st, const char *path, const char *area,
             struct error *err)
{
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (cached_connect(st, err) < 0)
			return -1;
		rrd_clear_error();
		if (rrdc_flush(path) == 0)
			return 0;
		if (daemon_answered())
			break;
		rrdc_disconnect(); /* a broken connection: once more */
	}
	return rrd_fail(err, "rrdcached cannot flush", area);
}

/* Sends one line of samples. If the connection breaks, asks the file
 * whether they arrived, and sends them again only if none did. */
static int
cached_update(const struct store_rrd *st, const char *path, const char *area,
              const char **vals, int n, time_t first, time_t last,
              struct error *err)
{
	int attempt;
	time_t now_last;

	for (attempt = 0;; attempt++) {
		if (cached_connect(st, err) < 0)
			return -1;
		rrd_clear_error();
		if (rrdc_update(path, n, vals) == 0)
			return 0;
		if (daemon_answered() || attempt > 0)
			return rrd_fail(err, "rrdcached refused update of",
			                area);
		rrdc_disconnect();
		if (cached_flush(st, path, area, err) < 0)
			return -1;
		rrd_clear_error();
		now_last = rrd_last_r(path);
		if (now_last == last)
			return 0;
		if (now_last < 0 || now_last >= first)
			return error_set(
			    err, 0,
			    "rrdcached connection lost while updating %s; "
			    "some samples may have been written",
			    area);
	}
}

/* --- public --- */

struct store_rrd *
store_rrd_new(const char *dir, int step_s, const char *rrdcached,
              struct error *err)
{
	struct store_rrd *st = NULL;
	char path[PATH_MAX], real[PATH_MAX];
	int n;

	if (step_s < 1 || step_s > 86400) {
		error_set(err, 0, "step %d s is not within 1..86400", step_s);
		return NULL;
	}
	if (rrdcached != NULL && rrdcached[0] != '\0' &&
	    strncmp(rrdcached, "unix:/", 6) != 0 && rrdcached[0] != '/') {
		/* librrd refuses absolute file names over TCP, and reads
		 * go to the files anyway: the daemon must be local */
		error_set(err, 0,
		          "rrdcached address \"%s\" is not a unix socket "
		          "(unix:/path)",
		          rrdcached);
		return NULL;
	}
	n = snprintf(path, sizeof(path), "%s/rrd", dir);
	if (dir[0] == '\0' || n < 0 || (size_t)n >= sizeof(path)) {
		error_set(err, 0, "bad storage dir \"%s\"", dir);
		return NULL;
	}
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(path, 0755) < 0 && errno != EEXIST)) {
		error_set(err, 0, "cannot create %s: %s", path,
		          strerror(errno));
		return NULL;
	}
	if (realpath(path, real) == NULL) {
		error_set(err, 0, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (strchr(real, ':') != NULL) {
		/* a file name in a DEF ends at the first ':' */
		error_set(err, 0, "storage path %s contains ':'", real);
		return NULL;
	}
	if (getenv("RRDCACHED_ADDRESS") != NULL) {
		/* librrd would send xport's reads to the daemon by itself,
		 * on its one connection, from any thread */
		log_warn("ignoring RRDCACHED_ADDRESS; use storage.rrdcached",
		         NULL);
		unsetenv("RRDCACHED_ADDRESS");
	}
	remove_stale_tmp(real);
	st = xcalloc(1, sizeof(*st));
	st->dir = xstrdup(real);
	st->step_s = step_s;
	if (rrdcached != NULL && rrdcached[0] != '\0')
		st->rrdcached = xstrdup(rrdcached);
	pthread_mutex_init(&st->lock, NULL);
	return st;
}

void
store_rrd_free(struct store_rrd *st)
{
	size_t i;

	if (st == NULL)
		return;
	if (st->rrdcached != NULL) {
		pthread_mutex_lock(&rrdc_lock);
		rrdc_disconnect();
		pthread_mutex_unlock(&rrdc_lock);
	}
	for (i = 0; i < st->cap_areas; i++)
		free(st->areas[i].ds);
	free(st->areas);
	readers_free(atomic_load(&st->readers));
	pthread_mutex_destroy(&st->lock);
	free(st->rrdcached);
	free(st->dir);
	free(st);
}

static void
lock_writes(struct store_rrd *st)
{
	pthread_mutex_lock(&st->lock);
	if (st->rrdcached != NULL)
		pthread_mutex_lock(&rrdc_lock);
}

static void
unlock_writes(struct store_rrd *st)
{
	if (st->rrdcached != NULL)
		pthread_mutex_unlock(&rrdc_lock);
	pthread_mutex_unlock(&st->lock);
}

static int
tune(const char *tmp, const char *area, char **args, size_t n_args,
     struct error *err)
{
	char **argv = xcalloc(n_args + 2, sizeof(*argv));
	int rc;

	argv[0] = "tune";
	argv[1] = (char *)tmp;
	memcpy(argv + 2, args, n_args * sizeof(*args));
	rrd_clear_error();
	rc = rrd_tune((int)(n_args + 2), argv);
	free(argv);
	return rc == 0 ? 0 : rrd_fail(err, "cannot tune", area);
}

/* Brings an existing file up to the measures: adds missing data sources
 * and corrects heartbeat, min and max, on a copy that then replaces it. */
static int
update_file(struct store_rrd *st, const char *area, const char *path,
            const struct measure *m, size_t n, int heartbeat_s,
            struct area_state *a, struct error *err)
{
	struct ds_info *ds = NULL;
	size_t n_ds = 0, i, j, n_fix = 0, n_add = 0;
	char **fix = NULL, **add = NULL, tmp[PATH_MAX];
	bool have_tmp = false;
	int rc = -1;

	if (read_ds(path, area, &ds, &n_ds, err) < 0)
		return -1;
	fix = xcalloc(6 * n, sizeof(*fix));
	add = xcalloc(n, sizeof(*add));
	for (i = 0; i < n; i++) {
		for (j = 0; j < n_ds && strcmp(ds[j].name, m[i].id) != 0; j++)
			;
		if (j == n_ds) {
			add[n_add++] = ds_spec(&m[i], heartbeat_s);
			continue;
		}
		if (!ds[j].is_gauge) {
			error_set(err, 0, "%s: data source %s is not a GAUGE",
			          area, m[i].id);
			goto out;
		}
		if (ds[j].heartbeat_s != (unsigned long)heartbeat_s) {
			fix[n_fix++] = xstrdup("--heartbeat");
			fix[n_fix] = xmalloc(64);
			snprintf(fix[n_fix++], 64, "%s:%d", m[i].id,
			         heartbeat_s);
		}
		if (!same_limit(ds[j].min, m[i].min)) {
			char v[32];

			format_limit(m[i].min, v, sizeof(v));
			fix[n_fix++] = xstrdup("--minimum");
			fix[n_fix] = xmalloc(64);
			snprintf(fix[n_fix++], 64, "%s:%s", m[i].id, v);
		}
		if (!same_limit(ds[j].max, m[i].max)) {
			char v[32];

			format_limit(m[i].max, v, sizeof(v));
			fix[n_fix++] = xstrdup("--maximum");
			fix[n_fix] = xmalloc(64);
			snprintf(fix[n_fix++], 64, "%s:%s", m[i].id, v);
		}
	}
	if (n_fix == 0 && n_add == 0) {
		area_set_ds(a, ds, n_ds);
		rc = 0;
		goto out;
	}
	if (st->rrdcached != NULL) {
		/* pending updates go into the file before it is copied;
		 * forget makes the daemon reopen the new file */
		if (cached_flush(st, path, area, err) < 0)
			goto out;
		rrd_clear_error();
		rrdc_forget(path);
		a->last = 0;
	}
	if (tmp_path(st, area, tmp, sizeof(tmp)) < 0 ||
	    copy_file(path, tmp) < 0) {
		error_set(err, 0, "cannot copy %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	have_tmp = true;
	/* rrd_tune changes options in place, and writes added data sources
	 * to a new file it renames over tmp: both only touch the copy */
	if ((n_fix > 0 && tune(tmp, area, fix, n_fix, err) < 0) ||
	    (n_add > 0 && tune(tmp, area, add, n_add, err) < 0))
		goto out;
	if (fsync_path(tmp, 0) < 0 || rename(tmp, path) < 0) {
		error_set(err, 0, "cannot replace %s: %s", path,
		          strerror(errno));
		goto out;
	}
	have_tmp = false;
	fsync_path(st->dir, O_DIRECTORY);
	free(ds);
	ds = NULL;
	if (read_ds(path, area, &ds, &n_ds, err) < 0)
		goto out;
	area_set_ds(a, ds, n_ds);
	rc = 0;
out:
	if (have_tmp)
		unlink(tmp);
	free_strv(fix, n_fix);
	free_strv(add, n_add);
	free(ds);
	return rc;
}

int
store_rrd_prepare(struct store_rrd *st, const char *area,
                  const struct measure *measures, size_t n, int heartbeat_s,
                  time_t start, struct error *err)
{
	char path[PATH_MAX];
	uint64_t sig;
	struct area_state *a;
	struct stat sb;
	int rc = -1, created;

	if (file_path(st, area, path, sizeof(path), err) < 0 ||
	    check_measures(measures, n, err) < 0)
		return -1;
	if (heartbeat_s < 1)
		return error_set(err, 0, "heartbeat %d s is not positive",
		                 heartbeat_s);
	sig = measures_sig(measures, n, heartbeat_s);
	lock_writes(st);
	a = area_find(st, area, true);
	if (a->sig == sig) {
		rc = 0;
		goto out;
	}
	a->sig = 0;
	if (stat(path, &sb) < 0) {
		if (errno != ENOENT) {
			error_set(err, 0, "cannot open %s: %s", path,
			          strerror(errno));
			goto out;
		}
		created = create_file(st, area, path, measures, n, heartbeat_s,
		                      start, err);
		if (created < 0)
			goto out;
		if (created == 0) {
			free(a->ds);
			a->ds = xcalloc(n, sizeof(*a->ds));
			for (a->n_ds = 0; a->n_ds < n; a->n_ds++)
				snprintf(a->ds[a->n_ds], sizeof(a->ds[0]), "%s",
				         measures[a->n_ds].id);
			a->last = 0;
			a->sig = sig;
			rc = 0;
			goto out;
		}
	}
	if (update_file(st, area, path, measures, n, heartbeat_s, a, err) < 0)
		goto out;
	a->sig = sig;
	rc = 0;
out:
	unlock_writes(st);
	return rc;
}

static int
check_times(const char *area, const time_t *times, size_t n_samples,
            time_t last, struct error *err)
{
	size_t s;

	if (times[0] <= last)
		return error_set(
		    err, 0, "%s: time %lld is not after the last update %lld",
		    area, (long long)times[0], (long long)last);
	for (s = 1; s < n_samples; s++)
		if (times[s] <= times[s - 1])
			return error_set(
			    err, 0, "%s: time %lld is not after %lld", area,
			    (long long)times[s], (long long)times[s - 1]);
	return 0;
}

static void
put_value(char *out, size_t size, double v)
{
	if (isfinite(v))
		snprintf(out, size, ":%.17g", v);
	else
		snprintf(out, size, ":U");
}

static int
update_direct(const char *area, const char *path, const struct measure *m,
              size_t n, const time_t *times, const double *values,
              size_t n_samples, struct error *err)
{
	size_t line_max = 24 + n * 26, s, i, k;
	char *tmpl = xmalloc(n * MEASURE_ID_MAX + 1), *lines;
	const char **argv = xcalloc(UPDATE_CHUNK, sizeof(*argv));
	time_t last;
	int rc = -1;

	lines = xmalloc(UPDATE_CHUNK * line_max);
	rrd_clear_error();
	last = rrd_last_r(path);
	if (last < 0) {
		rrd_fail(err, "cannot read", area);
		goto out;
	}
	if (check_times(area, times, n_samples, last, err) < 0)
		goto out;
	tmpl[0] = '\0';
	for (i = 0, k = 0; i < n; i++)
		k += (size_t)snprintf(tmpl + k, MEASURE_ID_MAX + 1, "%s%s",
		                      i > 0 ? ":" : "", m[i].id);
	for (s = 0; s < n_samples; s += k) {
		for (k = 0; k < UPDATE_CHUNK && s + k < n_samples; k++) {
			char *line = lines + k * line_max;
			size_t len = (size_t)snprintf(line, line_max, "%lld",
			                              (long long)times[s + k]);

			for (i = 0; i < n; i++) {
				put_value(line + len, line_max - len,
				          values[(s + k) * n + i]);
				len += strlen(line + len);
			}
			argv[k] = line;
		}
		rrd_clear_error();
		if (rrd_update_r(path, tmpl, (int)k, argv) != 0) {
			rrd_fail(err, "cannot update", area);
			goto out;
		}
	}
	rc = 0;
out:
	free(lines);
	free(argv);
	free(tmpl);
	return rc;
}

static int
update_cached(struct store_rrd *st, const char *area, const char *path,
              const struct measure *m, size_t n, const time_t *times,
              const double *values, size_t n_samples, struct error *err)
{
	struct area_state *a = area_find(st, area, true);
	size_t line_max, s, i, k, fixed, used;
	size_t *col = xcalloc(n, sizeof(*col));
	char *lines = NULL;
	const char **vals = NULL;
	int rc = -1;

	if (a->ds == NULL) {
		struct ds_info *ds;
		size_t n_ds;

		if (read_ds(path, area, &ds, &n_ds, err) < 0)
			goto out;
		area_set_ds(a, ds, n_ds);
		free(ds);
	}
	for (i = 0; i < n; i++) {
		for (col[i] = 0;
		     col[i] < a->n_ds && strcmp(a->ds[col[i]], m[i].id) != 0;
		     col[i]++)
			;
		if (col[i] == a->n_ds) {
			error_set(err, 0, "%s has no data source %s", area,
			          m[i].id);
			goto out;
		}
	}
	if (a->last == 0) {
		/* rrdcached's LAST rounds down to the step: flush, read */
		if (cached_flush(st, path, area, err) < 0)
			goto out;
		rrd_clear_error();
		a->last = rrd_last_r(path);
		if (a->last < 0) {
			a->last = 0;
			rrd_fail(err, "cannot read", area);
			goto out;
		}
	}
	if (check_times(area, times, n_samples, a->last, err) < 0)
		goto out;
	line_max = 24 + a->n_ds * 26;
	fixed = strlen("update ") + strlen(path) + 2;
	if (fixed + line_max + 1 > CACHED_LINE_MAX) {
		error_set(err, 0,
		          "%s: a sample of %zu values is too long "
		          "for rrdcached",
		          area, a->n_ds);
		goto out;
	}
	lines = xmalloc(n_samples * line_max);
	vals = xcalloc(n_samples, sizeof(*vals));
	for (s = 0; s < n_samples; s++) {
		char *line = lines + s * line_max;
		size_t len = (size_t)snprintf(line, line_max, "%lld",
		                              (long long)times[s]);
		size_t d;

		for (d = 0; d < a->n_ds; d++) {
			double v = NAN;

			for (i = 0; i < n; i++)
				if (col[i] == d) {
					v = values[s * n + i];
					break;
				}
			put_value(line + len, line_max - len, v);
			len += strlen(line + len);
		}
		vals[s] = line;
	}
	for (s = 0; s < n_samples; s += k) {
		used = fixed;
		for (k = 0; s + k < n_samples; k++) {
			size_t len = strlen(vals[s + k]) + 1;

			if (used + len > CACHED_LINE_MAX)
				break;
			used += len;
		}
		if (cached_update(st, path, area, vals + s, (int)k, times[s],
		                  times[s + k - 1], err) < 0) {
			a->last = 0;
			goto out;
		}
		a->last = times[s + k - 1];
	}
	rc = 0;
out:
	free(vals);
	free(lines);
	free(col);
	return rc;
}

int
store_rrd_update(struct store_rrd *st, const char *area,
                 const struct measure *measures, size_t n, const time_t *times,
                 const double *values, size_t n_samples, struct error *err)
{
	char path[PATH_MAX];
	int rc;

	if (file_path(st, area, path, sizeof(path), err) < 0 ||
	    check_measures(measures, n, err) < 0)
		return -1;
	if (n_samples == 0)
		return 0;
	lock_writes(st);
	if (st->rrdcached != NULL)
		rc = update_cached(st, area, path, measures, n, times, values,
		                   n_samples, err);
	else
		rc = update_direct(area, path, measures, n, times, values,
		                   n_samples, err);
	if (rc < 0 && access(path, F_OK) < 0)
		area_forget(st, area); /* gone: the next prepare creates it */
	unlock_writes(st);
	return rc;
}

/* area's file name into path, flushed from rrdcached first if one is
 * configured, ready for a direct read: 1, or 0 if there is no file, or -1
 * with err. */
static int
readable_path(struct store_rrd *st, const char *area, char *path, size_t size,
              struct error *err)
{
	int rc = 0;

	if (file_path(st, area, path, size, err) < 0)
		return -1;
	if (access(path, F_OK) < 0)
		return 0;
	if (st->rrdcached != NULL) {
		lock_writes(st);
		rc = cached_flush(st, path, area, err);
		unlock_writes(st);
	}
	return rc < 0 ? -1 : 1;
}

int
store_rrd_last(struct store_rrd *st, const char *area, time_t *out,
               struct error *err)
{
	char path[PATH_MAX];
	time_t last;
	int rc;

	*out = 0;
	if ((rc = readable_path(st, area, path, sizeof(path), err)) <= 0)
		return rc;
	rrd_clear_error();
	last = rrd_last_r(path);
	if (last < 0)
		return rrd_fail(err, "cannot read", area);
	*out = last;
	return 0;
}

int
store_rrd_exists(struct store_rrd *st, const char *area)
{
	char path[PATH_MAX];

	if (file_path(st, area, path, sizeof(path), NULL) < 0)
		return 0;
	return access(path, F_OK) == 0;
}

void
rrd_block_reset(struct rrd_block *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* All unknown at the requested step, aligned as rrd_xport aligns. */
static int
nan_block(time_t start, time_t end, unsigned long step, size_t n_cols,
          struct rrd_block *out)
{
	size_t n_points, i;

	out->step = step;
	out->start = start - start % (time_t)step;
	n_points =
	    (size_t)((end - out->start + (time_t)step - 1) / (time_t)step);
	if (n_points > XPORT_MAX_ROWS)
		n_points = XPORT_MAX_ROWS;
	out->n_points = n_points;
	out->end = out->start + (time_t)(n_points * step);
	out->n_cols = n_cols;
	out->data = xcalloc(n_points * n_cols + 1, sizeof(double));
	for (i = 0; i < n_points * n_cols; i++)
		out->data[i] = NAN;
	return 0;
}

/* One rrd_xport of the live columns; the others are NaN. */
static int
run_xport(const struct store_rrd *st, const char *const *areas,
          const char *const *ds, size_t n_cols, const bool *live, size_t n_live,
          time_t start, time_t end, unsigned long step, struct rrd_block *out,
          struct error *err)
{
	char path[PATH_MAX], **argv, **legend = NULL;
	size_t c, argc = 0, max_rows, want_rows, i;
	time_t x_start = 0, x_end = 0;
	unsigned long x_step = 0, x_cols = 0;
	rrd_value_t *data = NULL;
	int xsize = 0, rc = -1;

	want_rows = (size_t)((end - start) / (time_t)step) + 2;
	max_rows = XPORT_MAX_CELLS / n_live;
	if (max_rows > XPORT_MAX_ROWS)
		max_rows = XPORT_MAX_ROWS;
	if (want_rows > max_rows)
		want_rows = max_rows;
	if (want_rows < 10)
		want_rows = 10; /* rrd_xport's least */
	argv = xcalloc(9 + 2 * n_live, sizeof(*argv));
	argv[argc++] = xstrdup("xport");
	argv[argc++] = xstrdup("--start");
	argv[argc] = xmalloc(24);
	snprintf(argv[argc++], 24, "%lld", (long long)start);
	argv[argc++] = xstrdup("--end");
	argv[argc] = xmalloc(24);
	snprintf(argv[argc++], 24, "%lld", (long long)end);
	argv[argc++] = xstrdup("--step");
	argv[argc] = xmalloc(24);
	snprintf(argv[argc++], 24, "%lu", step);
	argv[argc++] = xstrdup("--maxrows");
	argv[argc] = xmalloc(24);
	snprintf(argv[argc++], 24, "%zu", want_rows);
	for (c = 0; c < n_cols; c++) {
		size_t len;

		if (!live[c])
			continue;
		file_path(st, areas[c], path, sizeof(path), NULL);
		len = strlen(path) + 64;
		argv[argc] = xmalloc(len);
		snprintf(argv[argc++], len, "DEF:c%zu=%s:%s:AVERAGE", c, path,
		         ds[c]);
		argv[argc] = xmalloc(32);
		snprintf(argv[argc++], 32, "XPORT:c%zu", c);
	}
	rrd_clear_error();
	if (rrd_xport((int)argc, argv, &xsize, &x_start, &x_end, &x_step,
	              &x_cols, &legend, &data) != 0) {
		error_set(err, 0, "cannot read the files: %s", rrd_get_error());
		goto out;
	}
	if (x_cols != n_live || x_step == 0 || x_end < x_start) {
		error_set(err, 0, "rrd_xport gave %lu columns for %zu", x_cols,
		          n_live);
		goto out;
	}
	out->start = x_start;
	out->end = x_end;
	out->step = x_step;
	out->n_points = (size_t)((x_end - x_start) / (time_t)x_step);
	out->n_cols = n_cols;
	out->data = xcalloc(out->n_points * n_cols + 1, sizeof(double));
	for (i = 0; i < out->n_points; i++) {
		size_t k = 0;

		for (c = 0; c < n_cols; c++)
			out->data[i * n_cols + c] =
			    live[c] ? data[i * x_cols + k++] : NAN;
	}
	rc = 0;
out:
	if (legend != NULL) {
		for (c = 0; c < x_cols; c++)
			free(legend[c]);
		free(legend);
	}
	free(data);
	free_strv(argv, argc);
	return rc;
}

/* After a failed xport: takes out the columns whose file lacks the data
 * source (a measure not yet added) or has gone. How many it took out. */
static size_t
drop_missing(const struct store_rrd *st, const char *const *areas,
             const char *const *ds, size_t n_cols, bool *live)
{
	char path[PATH_MAX];
	struct error ignored;
	size_t c, d, k, n_dropped = 0;

	for (c = 0; c < n_cols; c++) {
		struct ds_info *info = NULL;
		size_t n_info = 0;
		bool readable;

		for (d = 0; d < c && strcmp(areas[d], areas[c]) != 0; d++)
			;
		if (!live[c] || d < c)
			continue; /* an area seen already */
		file_path(st, areas[c], path, sizeof(path), NULL);
		readable =
		    read_ds(path, areas[c], &info, &n_info, &ignored) == 0;
		for (d = c; d < n_cols; d++) {
			if (!live[d] || strcmp(areas[d], areas[c]) != 0)
				continue;
			for (k = 0; readable && k < n_info &&
			            strcmp(info[k].name, ds[d]) != 0;
			     k++)
				;
			if (!readable || k == n_info) {
				live[d] = false;
				n_dropped++;
			}
		}
		free(info);
	}
	return n_dropped;
}

int
store_rrd_xport(struct store_rrd *st, const char *const *areas,
                const char *const *ds, size_t n_cols, time_t start, time_t end,
                unsigned long step, struct rrd_block *out, struct error *err)
{
	char path[PATH_MAX];
	bool *live = NULL;
	size_t c, d, n_live = 0, n_dropped;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (start < XPORT_MIN_TIME)
		start = XPORT_MIN_TIME; /* rrd_xport refuses anything earlier */
	if (step == 0 || end <= start)
		return error_set(err, 0, "bad range %lld..%lld step %lu",
		                 (long long)start, (long long)end, step);
	live = xcalloc(n_cols + 1, sizeof(*live));
	for (c = 0; c < n_cols; c++) {
		if (!valid_ds(ds[c])) {
			error_set(err, 0, "bad data source name \"%.*s\"",
			          MEASURE_ID_MAX, ds[c]);
			goto out;
		}
		if (file_path(st, areas[c], path, sizeof(path), err) < 0)
			goto out;
		live[c] = access(path, F_OK) == 0;
		n_live += live[c];
	}
	if (n_live > 0 && st->rrdcached != NULL) {
		lock_writes(st);
		for (c = 0; c < n_cols; c++) {
			for (d = 0; d < c && strcmp(areas[d], areas[c]) != 0;
			     d++)
				;
			if (!live[c] || d < c)
				continue; /* flushed already */
			file_path(st, areas[c], path, sizeof(path), NULL);
			if (cached_flush(st, path, areas[c], err) < 0) {
				unlock_writes(st);
				goto out;
			}
		}
		unlock_writes(st);
	}
	if (n_live > 0)
		rc = run_xport(st, areas, ds, n_cols, live, n_live, start, end,
		               step, out, err);
	/* the rare failure: one file must not blank the others */
	if (rc < 0 && n_live > 0 &&
	    (n_dropped = drop_missing(st, areas, ds, n_cols, live)) > 0) {
		n_live -= n_dropped;
		if (n_live > 0)
			rc = run_xport(st, areas, ds, n_cols, live, n_live,
			               start, end, step, out, err);
	}
	if (n_live == 0)
		rc = nan_block(start, end, step, n_cols, out);
out:
	if (rc < 0)
		rrd_block_reset(out);
	free(live);
	return rc;
}

/* A last_ds string as librrd keeps it: a number, or "U". */
static double
parse_last_ds(const char *s)
{
	char *end;
	double v;

	if (s == NULL || s[0] == '\0')
		return NAN;
	v = strtod(s, &end);
	return end != s && *end == '\0' && isfinite(v) ? v : NAN;
}

int
store_rrd_lastupdate(struct store_rrd *st, const char *area,
                     const char *const *ds, size_t n, time_t *out_time,
                     double *out_values, struct error *err)
{
	char path[PATH_MAX], **names = NULL, **last = NULL;
	unsigned long n_ds = 0, k;
	time_t t = 0;
	size_t i;
	int rc;

	*out_time = 0;
	for (i = 0; i < n; i++)
		out_values[i] = NAN;
	if ((rc = readable_path(st, area, path, sizeof(path), err)) <= 0)
		return rc;
	rrd_clear_error();
	if (rrd_lastupdate_r(path, &t, &n_ds, &names, &last) != 0)
		return rrd_fail(err, "cannot read", area);
	for (i = 0; i < n; i++) {
		for (k = 0; k < n_ds && strcmp(names[k], ds[i]) != 0; k++)
			;
		if (k < n_ds)
			out_values[i] = parse_last_ds(last[k]);
	}
	*out_time = t;
	for (k = 0; k < n_ds; k++) {
		rrd_freemem(names[k]);
		rrd_freemem(last[k]);
	}
	rrd_freemem(names);
	rrd_freemem(last);
	return 0;
}

/* --- charts --- */

/* librrd 1.7.2 renders through one Pango font map shared by every thread
 * (fixed only in 1.8): one graph at a time in the whole process, whatever
 * the store. Nothing else is taken while it is held. */
static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;

void
rrd_image_reset(struct rrd_image *img)
{
	size_t i;

	free(img->data);
	for (i = 0; i < img->n_prints; i++)
		free(img->prints[i]);
	free(img->prints);
	memset(img, 0, sizeof(*img));
}

/* Copies what rrd_graph_v answered: the "image" blob, the size and the
 * PRINT lines. */
static int
take_image(rrd_info_t *info, struct rrd_image *out, struct error *err)
{
	rrd_info_t *p;

	for (p = info; p != NULL; p = p->next) {
		if (strcmp(p->key, "image") == 0 && p->type == RD_I_BLO &&
		    out->data == NULL) {
			out->len = p->value.u_blo.size;
			out->data = xmalloc(out->len + 1);
			memcpy(out->data, p->value.u_blo.ptr, out->len);
		} else if (strcmp(p->key, "image_width") == 0 &&
		           p->type == RD_I_CNT) {
			out->width = p->value.u_cnt;
		} else if (strcmp(p->key, "image_height") == 0 &&
		           p->type == RD_I_CNT) {
			out->height = p->value.u_cnt;
		} else if (strncmp(p->key, "print[", 6) == 0 &&
		           p->type == RD_I_STR) {
			out->prints = xreallocarray(
			    out->prints, out->n_prints + 1, sizeof(char *));
			out->prints[out->n_prints++] = xstrdup(p->value.u_str);
		}
	}
	if (out->data == NULL || out->len == 0)
		return error_set(err, 0, "librrd rendered no image");
	return 0;
}

/* One rrd_graph_v: a DEF for each live def, and for the others a CDEF of
 * unknowns on the time base of the first live one (RPN needs a variable). */
static int
run_graph(const struct store_rrd *st, const struct rrd_graph_def *defs,
          size_t n_defs, const bool *live, const char *const *args,
          size_t n_args, struct rrd_image *out, struct error *err)
{
	char path[PATH_MAX], **argv;
	const char *base = NULL;
	size_t argc = 0, i, len;
	rrd_info_t *info;
	int rc;

	memset(out, 0, sizeof(*out));
	argv = xcalloc(n_defs + n_args + 3, sizeof(*argv));
	argv[argc++] = xstrdup("graph");
	argv[argc++] = xstrdup("-"); /* in memory, as the blob "image" */
	for (i = 0; i < n_defs && base == NULL; i++)
		if (live[i])
			base = defs[i].vname;
	for (i = 0; i < n_defs; i++) {
		if (!live[i])
			continue;
		file_path(st, defs[i].area, path, sizeof(path), NULL);
		len = strlen(path) + 96;
		argv[argc] = xmalloc(len);
		snprintf(argv[argc++], len, "DEF:%s=%s:%s:AVERAGE",
		         defs[i].vname, path, defs[i].ds);
	}
	/* after every DEF: a variable is defined before it is used */
	for (i = 0; i < n_defs; i++) {
		if (live[i])
			continue;
		argv[argc] = xmalloc(96);
		snprintf(argv[argc++], 96, "CDEF:%s=%s,POP,UNKN", defs[i].vname,
		         base);
	}
	/* copies: librrd's parsers are not promised to leave them alone */
	for (i = 0; i < n_args; i++)
		argv[argc++] = xstrdup(args[i]);
	pthread_mutex_lock(&graph_lock);
	rrd_clear_error();
	info = rrd_graph_v((int)argc, argv);
	if (info == NULL) {
		rc = error_set(err, 0, "cannot render: %s",
		               rrd_get_error()[0] != '\0' ? rrd_get_error()
		                                          : "unknown error");
	} else {
		rc = take_image(info, out, err);
		rrd_info_free(info);
	}
	pthread_mutex_unlock(&graph_lock);
	if (rc < 0)
		rrd_image_reset(out);
	free_strv(argv, argc);
	return rc;
}

static bool
valid_vname(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= sizeof(((struct rrd_graph_def *)0)->vname) - 1 ||
		    !((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return i > 0;
}

int
store_rrd_graph(struct store_rrd *st, const struct rrd_graph_def *defs,
                size_t n_defs, const char *const *args, size_t n_args,
                struct rrd_image *out, struct error *err)
{
	char path[PATH_MAX];
	const char **areas = NULL, **ds = NULL;
	bool *live = NULL;
	size_t i, j, n_live = 0, n_dropped;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (n_defs == 0) /* a chart of no file: the warm-up, a frame */
		return run_graph(st, defs, 0, NULL, args, n_args, out, err);
	live = xcalloc(n_defs, sizeof(*live));
	areas = xcalloc(n_defs, sizeof(*areas));
	ds = xcalloc(n_defs, sizeof(*ds));
	for (i = 0; i < n_defs; i++) {
		if (!valid_vname(defs[i].vname) || !valid_ds(defs[i].ds)) {
			error_set(err, 0, "bad graph def \"%.*s\" of \"%.*s\"",
			          16, defs[i].vname, MEASURE_ID_MAX,
			          defs[i].ds);
			goto out;
		}
		if (file_path(st, defs[i].area, path, sizeof(path), err) < 0)
			goto out;
		areas[i] = defs[i].area;
		ds[i] = defs[i].ds;
		live[i] = access(path, F_OK) == 0;
		n_live += live[i];
	}
	if (n_live == 0) {
		rc = 1;
		goto out;
	}
	if (st->rrdcached != NULL) {
		/* before the graph lock: a flush waits for the writer */
		lock_writes(st);
		for (i = 0; i < n_defs; i++) {
			for (j = 0; j < i && strcmp(areas[j], areas[i]) != 0;
			     j++)
				;
			if (!live[i] || j < i)
				continue; /* flushed already */
			file_path(st, areas[i], path, sizeof(path), NULL);
			if (cached_flush(st, path, areas[i], err) < 0) {
				unlock_writes(st);
				goto out;
			}
		}
		unlock_writes(st);
	}
	rc = run_graph(st, defs, n_defs, live, args, n_args, out, err);
	/* the rare failure: a data source not yet added to a file */
	if (rc < 0 &&
	    (n_dropped = drop_missing(st, areas, ds, n_defs, live)) > 0) {
		n_live -= n_dropped;
		rc = n_live > 0 ? run_graph(st, defs, n_defs, live, args,
		                            n_args, out, err)
		                : 1;
	}
out:
	free(ds);
	free(areas);
	free(live);
	return rc;
}

/* --- reading many files: store_rrd_grid, store_rrd_fetch --- */

/*
 * A series of the country reads 308 files per request. Through rrd_xport
 * (one DEF per data source) that took 60-260 ms, and one rrd_fetch_r per
 * file ~50 ms: each call opens, maps, faults in and unmaps its file. So
 * store_rrd_fetch keeps every file it has read open through librrd's own
 * rrd_open (read-only, mapped, RRD_READVALUES: rrd.rrd_value points at the
 * archives in the mapping) and reads the rows in place with rrd_fetch_fn's
 * arithmetic: about a millisecond for the 308 files.
 *
 * Invariants:
 * - A reader maps the file that was at its path when it was opened (dev,
 *   ino). Each read stats the path first and reopens if it names another
 *   file now: prepare replaces a file by renaming a new one over it.
 * - Updates in place (rrd_update here, or in kuntamonctl) show through the
 *   mapping: it is never written, so its pages are the page cache's. A read
 *   that overlaps an update (last_up or cur_row moved meanwhile) is redone.
 *   (Rewriting a file in place, as `rrdtool create` over it would, is as
 *   unsafe for this as for a concurrent rrd_fetch_r.)
 * - The descriptor is closed once the file is mapped, so hundreds of files
 *   stay readable without holding hundreds of descriptors; rrd_close then
 *   fails on close(-1), which is ignored.
 * - A reader's rwlock is held shared while its rows are read, exclusive
 *   while it is reopened. Slots are taken under the table's mutex and never
 *   given back until store_rrd_free; lookups take no lock.
 */

/* rrd_open's flags, from rrd_tool.h (not installed; the same since 1.4). */
#define RRD_OPEN_READONLY (1 << 0)
#define RRD_OPEN_READVALUES (1 << 6)
#define READERS_CAP 1024 /* a power of two, > 2 * the 330 areas */
#define READ_TRIES 4
#define N_ARCHIVES 3
/* Orders the reads of rows between two reads of last_up and cur_row. The
 * thread sanitizer models no fences (gcc warns); a compiler barrier stands
 * in there. */
#if defined(__SANITIZE_THREAD__)
#define READ_BARRIER() atomic_signal_fence(memory_order_seq_cst)
#else
#define READ_BARRIER() atomic_thread_fence(memory_order_acquire)
#endif

struct reader {
	atomic_int is_taken; /* area is set and never changes after */
	char area[AREA_CODE_MAX];
	pthread_rwlock_t lock;
	rrd_t rrd;
	rrd_file_t *file; /* NULL: not open */
	dev_t dev;        /* of the file opened, or that failed to open */
	ino_t ino;
	bool is_broken; /* dev/ino could not be read: not tried again */
	bool is_copy;   /* librrd did not map it: a copy, reopen each time */
};

struct readers {
	pthread_mutex_t lock; /* taking slots */
	int dir_fd; /* dir/rrd, for stats without a path walk; -1: none */
	struct reader slot[READERS_CAP];
};

static void
reader_close(struct reader *r)
{
	if (r->file != NULL) {
		rrd_clear_error();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		rrd_close(r->file);
		rrd_free(&r->rrd);
#pragma GCC diagnostic pop
		rrd_clear_error();
	}
	r->file = NULL;
}

static void
readers_free(struct readers *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < READERS_CAP; i++) {
		reader_close(&rs->slot[i]);
		pthread_rwlock_destroy(&rs->slot[i].lock);
	}
	if (rs->dir_fd >= 0)
		close(rs->dir_fd);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}

static struct readers *
readers_of(struct store_rrd *st)
{
	struct readers *rs = atomic_load(&st->readers), *none = NULL;
	size_t i;

	if (rs != NULL)
		return rs;
	rs = xcalloc(1, sizeof(*rs));
	pthread_mutex_init(&rs->lock, NULL);
	rs->dir_fd = open(st->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < READERS_CAP; i++)
		pthread_rwlock_init(&rs->slot[i].lock, NULL);
	if (atomic_compare_exchange_strong(&st->readers, &none, rs))
		return rs;
	readers_free(rs);
	return none; /* another thread's, installed meanwhile */
}

/* area's reader, taking a free slot for it if need be; NULL if full. */
static struct reader *
reader_find(struct readers *rs, const char *area)
{
	size_t mask = READERS_CAP - 1, i = area_hash(area) & mask, n;

	for (n = 0; n < READERS_CAP; n++, i = (i + 1) & mask) {
		struct reader *r = &rs->slot[i];

		if (!atomic_load(&r->is_taken)) {
			pthread_mutex_lock(&rs->lock);
			if (!atomic_load(&r->is_taken)) {
				snprintf(r->area, sizeof(r->area), "%s", area);
				atomic_store(&r->is_taken, 1);
				pthread_mutex_unlock(&rs->lock);
				return r;
			}
			pthread_mutex_unlock(&rs->lock);
		}
		if (strcmp(r->area, area) == 0)
			return r;
	}
	return NULL;
}

/* Whether r must be (re)opened to read the file sb describes. */
static bool
reader_is_stale(const struct reader *r, const struct stat *sb)
{
	if (r->dev != sb->st_dev || r->ino != sb->st_ino)
		return true;
	return r->file == NULL ? !r->is_broken : r->is_copy;
}

/* (Re)opens r's file; r->lock held exclusively. A failure is logged once
 * per file and leaves r->file NULL. */
static void
reader_open(struct reader *r, const char *path, const struct stat *sb)
{
	rrd_simple_file_t *simple;
	rrd_file_t *file;
	struct stat fsb;
	char q[300];

	reader_close(r);
	r->dev = sb->st_dev;
	r->ino = sb->st_ino;
	r->is_broken = true;
	r->is_copy = false;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	rrd_init(&r->rrd);
	rrd_clear_error();
	file = rrd_open(path, &r->rrd, RRD_OPEN_READONLY | RRD_OPEN_READVALUES);
	if (file == NULL) {
		log_warn("cannot read file", "area=%s err=%s", r->area,
		         log_quote(rrd_get_error(), q, sizeof(q)));
		rrd_free(&r->rrd);
		rrd_clear_error();
		return;
	}
#pragma GCC diagnostic pop
	simple = file->pvt;
	if (fstat(simple->fd, &fsb) == 0) {
		r->dev = fsb.st_dev; /* what was opened, if replaced since */
		r->ino = fsb.st_ino;
	}
	/* not mapped (or an old file whose live_head librrd copies): what
	 * was read goes stale, so it is read afresh each time */
	r->is_copy = r->rrd.__mmap_start == NULL ||
	             (char *)r->rrd.live_head < (char *)r->rrd.__mmap_start ||
	             (char *)r->rrd.live_head >=
	                 (char *)r->rrd.__mmap_start + r->rrd.__mmap_size;
	if (!r->is_copy) {
		close(simple->fd);
		simple->fd = -1;
	}
	r->file = file;
	r->is_broken = false;
}

/* The AVERAGE archive of r's file at step; -1 if it has none. Its first
 * value's index into rrd_value in *out_base. */
static long
reader_archive(const struct reader *r, unsigned long step, size_t *out_base)
{
	const rrd_t *rrd = &r->rrd;
	unsigned long i, n_ds = rrd->stat_head->ds_cnt;
	size_t base = 0;

	for (i = 0; i < rrd->stat_head->rra_cnt; i++) {
		const rra_def_t *a = &rrd->rra_def[i];

		if (strcmp(a->cf_nam, "AVERAGE") == 0 &&
		    a->pdp_cnt * rrd->stat_head->pdp_step == step &&
		    a->row_cnt > 0) {
			*out_base = base;
			return (long)i;
		}
		base += (size_t)a->row_cnt * n_ds;
	}
	return -1;
}

/* Reads the columns col[0 .. n_cols) (data source indices, -1: absent) of
 * archive `arc` over the grid into out[c * stride + t]. r->lock is held
 * shared. */
static void
reader_rows(const struct reader *r, long arc, size_t base, const long *col,
            size_t n_cols, const struct rrd_grid *g, double *out, size_t stride)
{
	const rrd_t *rrd = &r->rrd;
	const unsigned long rows = rrd->rra_def[arc].row_cnt;
	const size_t n_ds = rrd->stat_head->ds_cnt;
	const time_t step = (time_t)g->step;
	const volatile time_t *last_up = &rrd->live_head->last_up;
	const volatile unsigned long *cur_row = &rrd->rra_ptr[arc].cur_row;
	const rrd_value_t *values = rrd->rrd_value + base;
	int attempt;
	size_t c, t;

	for (attempt = 0; attempt < READ_TRIES; attempt++) {
		time_t last = *last_up, rra_end, first_end;
		unsigned long cur = *cur_row, row;
		size_t t0, t1;
		long long k;

		READ_BARRIER();
		/* Row cur_row covers (rra_end - step, rra_end]; the one k
		 * rows before it, k steps earlier (rrd_fetch_fn). */
		rra_end = last - last % step;
		first_end = g->start + step;
		t0 = t1 = 0; /* the points the archive holds: [t0, t1) */
		row = 0;
		k = first_end <= rra_end ? (rra_end - first_end) / step : -1;
		if (cur < rows && k >= 0) {
			if (k >= (long long)rows) { /* starts before it */
				t0 = (size_t)(k - (long long)rows + 1);
				k = (long long)rows - 1;
			}
			t1 = t0 + (size_t)k + 1; /* to the last complete row */
			if (t0 > g->n_points)
				t0 = g->n_points;
			if (t1 > g->n_points)
				t1 = g->n_points;
			row = (unsigned long)(((long long)cur - k +
			                       (long long)rows) %
			                      (long long)rows);
		}
		for (c = 0; c < n_cols; c++) {
			double *o = out + c * stride;

			for (t = 0; t < g->n_points; t++)
				if (col[c] < 0 || t < t0 || t >= t1)
					o[t] = NAN;
		}
		for (t = t0; t < t1; t++) {
			const rrd_value_t *v = values + (size_t)row * n_ds;

			for (c = 0; c < n_cols; c++)
				if (col[c] >= 0)
					out[c * stride + t] = v[col[c]];
			if (++row == rows)
				row = 0;
		}
		READ_BARRIER();
		if (*last_up == last && *cur_row == cur)
			return;
	}
}

/* Which of r's data sources each of ds[0 .. n) is (-1: none). */
static void
reader_columns(const struct reader *r, const char *const *ds, size_t n,
               long *col)
{
	const rrd_t *rrd = &r->rrd;
	unsigned long k;
	size_t i;

	for (i = 0; i < n; i++) {
		col[i] = -1;
		for (k = 0; k < rrd->stat_head->ds_cnt; k++)
			if (strncmp(rrd->ds_def[k].ds_nam, ds[i],
			            sizeof(rrd->ds_def[k].ds_nam)) == 0) {
				col[i] = (long)k;
				break;
			}
	}
}

static void
fill_nan(double *out, size_t n_cols, size_t stride, size_t n_points)
{
	size_t c, t;

	for (c = 0; c < n_cols; c++)
		for (t = 0; t < n_points; t++)
			out[c * stride + t] = NAN;
}

/* A file without an archive at the grid's step (made under another
 * storage.step): librrd's xport consolidates it. */
static void
fetch_by_xport(struct store_rrd *st, const char *area, const char *const *ds,
               size_t n_ds, const struct rrd_grid *g, double *out,
               size_t stride)
{
	const char **areas = xcalloc(n_ds, sizeof(*areas));
	bool *live = xcalloc(n_ds, sizeof(*live));
	struct rrd_block b = { 0 };
	struct error err = { 0 };
	time_t from = g->start,
	       end = g->start + (time_t)(g->n_points * g->step);
	size_t c, t, i;
	char q[300];

	if (from < XPORT_MIN_TIME) /* rrd_xport refuses anything earlier */
		from = XPORT_MIN_TIME - XPORT_MIN_TIME % (time_t)g->step;
	if (end <= from)
		goto out;

	for (c = 0; c < n_ds; c++) {
		areas[c] = area;
		live[c] = true;
	}
	if (run_xport(st, areas, ds, n_ds, live, n_ds, from, end, g->step, &b,
	              &err) < 0 ||
	    b.step != g->step) {
		log_warn("cannot read file at the series step",
		         "area=%s err=%s", area,
		         log_quote(err.msg[0] != '\0'
		                       ? err.msg
		                       : "no archive at that step",
		                   q, sizeof(q)));
		goto out;
	}
	for (i = 0; i < b.n_points; i++) {
		time_t at = b.start + (time_t)(i * b.step);

		if (at < g->start || (at - g->start) % (time_t)g->step != 0)
			continue;
		t = (size_t)((at - g->start) / (time_t)g->step);
		if (t >= g->n_points)
			break;
		for (c = 0; c < n_ds; c++)
			out[c * stride + t] = b.data[i * b.n_cols + c];
	}
out:
	rrd_block_reset(&b);
	free(live);
	free(areas);
}

int
store_rrd_grid(int step_s, time_t start, time_t end, unsigned long step,
               time_t now, struct rrd_grid *out)
{
	unsigned long s = (unsigned long)step_s;
	/* as create_file makes them */
	const unsigned long pdp[N_ARCHIVES] = { 1, 86400 / s, 604800 / s };
	const unsigned long rows[N_ARCHIVES] = { (90 * 86400 + s - 1) / s, 1826,
		                                 1043 };
	long long best_full_diff = 0, best_part_diff = 0, best_match = 0;
	int best_full = -1, best_part = -1, i;
	time_t a_step, g_end;

	memset(out, 0, sizeof(*out));
	if (step_s < 1 || start < 0 || end <= start)
		return -1;
	/* rrd_fetch_fn's choice: of the archives that reach back to start,
	 * the step nearest the one asked for; if none does, the archive that
	 * covers most of the range */
	for (i = 0; i < N_ARCHIVES; i++) {
		long long span = (long long)(pdp[i] * s * rows[i]);
		time_t cal_end, cal_start;
		long long diff, match;

		a_step = (time_t)(pdp[i] * s);
		cal_end = now - now % a_step;
		cal_start = cal_end - (time_t)span;
		diff = llabs((long long)step - (long long)a_step);
		if (cal_start <= start) {
			if (best_full < 0 || diff < best_full_diff) {
				best_full = i;
				best_full_diff = diff;
			}
			continue;
		}
		match =
		    (long long)(end - start) - (long long)(cal_start - start);
		if (best_part < 0 || match > best_match ||
		    (match == best_match && diff < best_part_diff)) {
			best_part = i;
			best_match = match;
			best_part_diff = diff;
		}
	}
	i = best_full >= 0 ? best_full : best_part;
	a_step = (time_t)(pdp[i] * s);
	out->step = (unsigned long)a_step;
	out->start = start - start % a_step;
	g_end = end - end % a_step;
	if (g_end <= out->start)
		g_end = out->start + a_step;
	out->n_points = (size_t)((g_end - out->start) / a_step);
	return 0;
}

int
store_rrd_fetch(struct store_rrd *st, const char *const *areas, size_t n_areas,
                const char *const *ds, size_t n_ds, const struct rrd_grid *g,
                double *out, struct error *err)
{
	const size_t stride = g->n_points, col_stride = n_areas * g->n_points;
	char path[PATH_MAX];
	struct readers *rs;
	struct stat *sb = NULL;
	bool *exists = NULL;
	long *col = NULL;
	size_t a, i;
	int rc = -1;

	if (g->step == 0 || g->start < 0 || g->start % (time_t)g->step != 0)
		return error_set(err, 0, "bad grid: start %lld step %lu",
		                 (long long)g->start, g->step);
	for (i = 0; i < n_ds; i++)
		if (!valid_ds(ds[i]))
			return error_set(err, 0,
			                 "bad data source name \"%.*s\"",
			                 MEASURE_ID_MAX, ds[i]);
	sb = xcalloc(n_areas + 1, sizeof(*sb));
	exists = xcalloc(n_areas + 1, sizeof(*exists));
	col = xcalloc(n_ds + 1, sizeof(*col));
	rs = readers_of(st);
	for (a = 0; a < n_areas; a++) {
		char name[AREA_CODE_MAX + 8];

		if (!valid_area(areas[a])) {
			file_path(st, areas[a], path, sizeof(path), err);
			goto out;
		}
		snprintf(name, sizeof(name), "%s.rrd", areas[a]);
		if (rs->dir_fd >= 0)
			exists[a] = fstatat(rs->dir_fd, name, &sb[a], 0) == 0;
		else
			exists[a] = file_path(st, areas[a], path, sizeof(path),
			                      NULL) == 0 &&
			            stat(path, &sb[a]) == 0;
	}
	if (st->rrdcached != NULL) {
		lock_writes(st);
		for (a = 0; a < n_areas; a++) {
			if (!exists[a])
				continue;
			file_path(st, areas[a], path, sizeof(path), NULL);
			if (cached_flush(st, path, areas[a], err) < 0) {
				unlock_writes(st);
				goto out;
			}
		}
		unlock_writes(st);
	}
	for (a = 0; a < n_areas; a++) {
		struct reader spare, *r;
		bool is_spare = false, use_xport = false;
		size_t base = 0;
		long arc;

		if (!exists[a]) {
			fill_nan(out + a * stride, n_ds, col_stride, stride);
			continue;
		}
		r = reader_find(rs, areas[a]);
		if (r == NULL) { /* the table is full: open for this read */
			memset(&spare, 0, sizeof(spare));
			snprintf(spare.area, sizeof(spare.area), "%s",
			         areas[a]);
			pthread_rwlock_init(&spare.lock, NULL);
			r = &spare;
			is_spare = true;
		}
		pthread_rwlock_rdlock(&r->lock);
		if (reader_is_stale(r, &sb[a])) {
			pthread_rwlock_unlock(&r->lock);
			pthread_rwlock_wrlock(&r->lock);
			if (reader_is_stale(r, &sb[a])) {
				file_path(st, areas[a], path, sizeof(path),
				          NULL);
				reader_open(r, path, &sb[a]);
			}
			pthread_rwlock_unlock(&r->lock);
			pthread_rwlock_rdlock(&r->lock);
		}
		arc = r->file != NULL ? reader_archive(r, g->step, &base) : -1;
		if (arc >= 0) {
			reader_columns(r, ds, n_ds, col);
			reader_rows(r, arc, base, col, n_ds, g,
			            out + a * stride, col_stride);
		} else {
			fill_nan(out + a * stride, n_ds, col_stride, stride);
			use_xport = r->file != NULL;
		}
		pthread_rwlock_unlock(&r->lock);
		if (is_spare) {
			reader_close(r);
			pthread_rwlock_destroy(&r->lock);
		}
		if (use_xport)
			fetch_by_xport(st, areas[a], ds, n_ds, g,
			               out + a * stride, col_stride);
	}
	rc = 0;
out:
	free(col);
	free(exists);
	free(sb);
	return rc;
}
