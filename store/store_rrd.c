/*
 * store_rrd.c: the RRD files, dir/rrd/<AREA>.rrd, in period time; the only
 * user of librrd and of rrdcached's protocol.
 *
 * Invariants:
 * - Period P is written as an update at period_end(P), which fills the
 *   days (period_start(P), period_end(P)] with P's values, preceded by an
 *   update of unknowns at period_start(P) unless the file ends there. So a
 *   day holds its own period's figure or nothing, never a neighbour's; a
 *   file ends at a period's end (or, holding none, a day before one).
 * - A file on disk is whole. A direct rebuild writes .AREA.rrd.XXXXXX
 *   beside it, fsyncs it, renames it over and fsyncs the folder. Through
 *   rrdcached, the daemon's CREATE does the same without the fsyncs.
 * - Every write of a store holds st->lock: librrd's file locks belong to
 *   the process, and the store's rrdcached connection (its own: librrd's
 *   client is one connection for the whole process, and refuses absolute
 *   paths over TCP) carries one conversation at a time. Between two
 *   conversations nothing is due on it, so a readable socket is a closed one.
 * - One rrd_graph_v at a time in the whole process (graph_lock).
 * - librrd's error text is per thread: rrd_clear_error() before a call,
 *   copy rrd_get_error() after.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "store_rrd.h"
#include "timespec.h"
#include "xmalloc.h"

/* An update spanning a whole month (31 days) stays known. */
#define HEARTBEAT_S (32 * 86400)
#define DAILY_ROWS 3653  /* 10 years of 365.25 days, rounded up */
#define WEEKLY_ROWS 1566 /* 30 years of weeks, rounded up */
#define N_RRAS 6
/* rrdcached refuses a file starting before 1980; periods stay after it. */
#define PERIOD_MIN (1980 * 12)
#define PERIOD_MAX (9999 * 12 + 11)
/* Leftover temporary files older than this are removed at start. */
#define STALE_TMP_S 3600
/* rrdcached reads commands of up to 4096 bytes (RRD_CMD_MAX) and journals
 * no more of an UPDATE: every line we send stays below. */
#define CACHED_LINE_MAX 4000
#define CACHED_READ_MAX 4096
#define CACHED_PATH_MAX 1024       /* leaves room for samples on a line */
#define CACHED_CREATE_ARGS_MAX 128 /* rrdcached's CREATE: av[128] */
#define CACHED_DEFAULT_PORT "42217"
#define CACHED_TIMEOUT_S 30 /* a FLUSH waits for the file's write */
#define SAMPLES_MAX ((size_t)256 * 1024 * 1024)

/* A conversation with rrdcached: done, refused by the daemon (err says
 * why; final), or the connection failed (closed; worth one more try). */
enum { CACHED_OK = 0, CACHED_NO = 1, CACHED_LOST = -1 };

struct cached {
	char *addr; /* as configured, for messages */
	bool is_unix;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char host[256], port[8];
	int fd;                   /* -1: not connected */
	char in[CACHED_READ_MAX]; /* received, not yet read */
	size_t n_in;
};

struct store_rrd {
	char *dir;             /* absolute dir/rrd */
	pthread_mutex_t lock;  /* every write; the rrdcached connection */
	struct cached *cached; /* NULL: write the files directly */
	int lock_fd;           /* dir/rrd/.lock: a byte per area (hashed) */
};

/* Bytes of dir/rrd/.lock: areas share one by hash, which only makes two
 * of them wait for each other now and then. */
#define LOCK_SLOTS 4096

/* Samples for rrd_update_r or rrdcached's UPDATE: "TIME:V:V...". */
struct samples {
	struct buf text; /* each sample NUL-terminated, one after another */
	size_t *at;      /* where each begins in text */
	size_t n, cap;
	time_t last; /* the file's last update once they are written */
};

/* What rrd_lastupdate_r says of a file. */
struct last {
	time_t at;
	unsigned long n_ds;
	char **names, **values; /* librrd's; in the file's order */
};

/* librrd 1.7.2 renders through one Pango font map shared by every thread
 * (fixed only in 1.8): one graph at a time in the whole process, whatever
 * the store. Nothing else is taken while it is held. */
static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;

/* --- names and paths --- */

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

/* A DS name is also a token in templates, DEFs and rrdcached commands:
 * nothing else gets in. */
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
	size_t i, j;

	if (n == 0)
		return error_set(err, 0, "no measures");
	for (i = 0; i < n; i++) {
		if (!valid_ds(m[i].id))
			return error_set(err, 0,
			                 "bad data source name \"%.*s\"",
			                 MEASURE_ID_MAX, m[i].id);
		for (j = 0; j < i; j++)
			if (strcmp(m[i].id, m[j].id) == 0)
				return error_set(err, 0,
				                 "data source %s given twice",
				                 m[i].id);
	}
	return 0;
}

static int
check_period(long long period, struct error *err)
{
	if (period < PERIOD_MIN || period > PERIOD_MAX)
		return error_set(err, 0, "period %lld is not within %d..%d",
		                 period, PERIOD_MIN, PERIOD_MAX);
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

/* Copies librrd's error for this thread into err. */
static int
rrd_fail(struct error *err, const char *what, const char *area)
{
	const char *msg = rrd_get_error();

	return error_set(
	    err, 0, "%s %s: %s", what, area,
	    msg != NULL && msg[0] != '\0' ? msg : "unknown librrd error");
}

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

/* A temporary file of ours (".KU091.rrd.XXXXXX", and librrd's own
 * ".KU091.rrd.XXXXXXYYYYYY" inside it), of kuntamon v1 (".tmp-"), or
 * librrd's when rrdcached creates a file ("KU091.rrdXXXXXX"). */
static bool
is_tmp_name(const char *name)
{
	const char *rrd = strstr(name, ".rrd");

	if (strncmp(name, ".tmp-", 5) == 0)
		return true;
	if (rrd == NULL || rrd == name)
		return false;
	if (name[0] == '.')
		return rrd[4] == '.';
	return strlen(rrd) == 4 + 6;
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

		if (!is_tmp_name(e->d_name) ||
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

/* Refuses a folder kuntamon v1 wrote: its files stepped in arrival time. */
static int
check_steps(const char *dir, struct error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX], q[300];
	int rc = -1;

	if (d == NULL)
		return error_set(err, 0, "cannot open %s: %s", dir,
		                 strerror(errno));
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		rrd_info_t *info, *p;
		unsigned long step = 0;
		int n;

		if (e->d_name[0] == '.' || len < 5 ||
		    strcmp(e->d_name + len - 4, ".rrd") != 0)
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		rrd_clear_error();
		if ((info = rrd_info_r(path)) == NULL) {
			/* the next rebuild replaces it */
			log_warn("cannot read file", "file=%s err=%s", path,
			         log_quote(rrd_get_error(), q, sizeof(q)));
			continue;
		}
		for (p = info; p != NULL; p = p->next)
			if (strcmp(p->key, "step") == 0 && p->type == RD_I_CNT)
				step = p->value.u_cnt;
		rrd_info_free(info);
		if (step != STORE_RRD_STEP_S) {
			error_set(
			    err, 0,
			    "%s has a step of %lu s: this data directory "
			    "was written by kuntamon v1, which filed "
			    "figures by arrival time; start v2 on a new "
			    "[storage] dir and re-import the history with "
			    "kuntamonctl import",
			    path, step);
			goto out;
		}
	}
	rc = 0;
out:
	closedir(d);
	return rc;
}

/* --- what is written --- */

/* The data sources and archives of a file for measures m[0 .. n), as
 * rrd_create_r2 and rrdcached's CREATE take them. */
static char **
create_args(const struct measure *m, size_t n)
{
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };
	char **argv = xcalloc(n + N_RRAS + 1, sizeof(*argv));
	size_t i, k = 0, len = 32 + MEASURE_ID_MAX + 2 * 26;

	for (i = 0; i < n; i++) {
		char lo[32] = "U", hi[32] = "U";

		if (isfinite(m[i].min))
			snprintf(lo, sizeof(lo), "%.17g", m[i].min);
		if (isfinite(m[i].max))
			snprintf(hi, sizeof(hi), "%.17g", m[i].max);
		argv[k] = xmalloc(len);
		snprintf(argv[k++], len, "DS:%s:GAUGE:%d:%s:%s", m[i].id,
		         HEARTBEAT_S, lo, hi);
	}
	for (i = 0; i < 3; i++) {
		argv[k] = xmalloc(48);
		snprintf(argv[k++], 48, "RRA:%s:0.5:1:%d", cfs[i], DAILY_ROWS);
		argv[k] = xmalloc(48);
		snprintf(argv[k++], 48, "RRA:%s:0.5:7:%d", cfs[i], WEEKLY_ROWS);
	}
	return argv;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
samples_init(struct samples *s, time_t last)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->text, SAMPLES_MAX);
	s->last = last;
}

static void
samples_reset(struct samples *s)
{
	buf_reset(&s->text);
	free(s->at);
	memset(s, 0, sizeof(*s));
}

/* One sample at t: for each of n_cols columns, values[col[c]] (col NULL:
 * values[c]; values NULL or col[c] < 0: unknown). */
static int
samples_add(struct samples *s, time_t t, const double *values, const long *col,
            size_t n_cols, struct error *err)
{
	size_t start = s->text.len, c;
	int rc = buf_printf(&s->text, "%lld", (long long)t);

	for (c = 0; c < n_cols && rc == 0; c++) {
		long k = col != NULL ? col[c] : (long)c;
		double v = values != NULL && k >= 0 ? values[k] : NAN;

		rc = isfinite(v) ? buf_printf(&s->text, ":%.17g", v)
		                 : buf_puts(&s->text, ":U");
	}
	if (rc == 0)
		rc = buf_append(&s->text, "", 1);
	if (rc < 0) {
		s->text.len = start;
		if (s->text.data != NULL)
			s->text.data[start] = '\0';
		return error_set(err, 0, "too many samples");
	}
	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 64 : s->cap * 2;
		s->at = xreallocarray(s->at, s->cap, sizeof(*s->at));
	}
	s->at[s->n++] = start;
	s->last = t;
	return 0;
}

/* Adds the samples that write period p after what s ends with. */
static int
samples_period(struct samples *s, int p, const double *values, const long *col,
               size_t n_cols, struct error *err)
{
	time_t start = period_start(p);

	if (s->last < start &&
	    samples_add(s, start, NULL, col, n_cols, err) < 0)
		return -1;
	return samples_add(s, period_end(p), values, col, n_cols, err);
}

static const char *
sample(const struct samples *s, size_t i)
{
	return s->text.data + s->at[i];
}

/* --- reading a file's last update --- */

static void
last_reset(struct last *l)
{
	unsigned long k;

	for (k = 0; k < l->n_ds; k++) {
		rrd_freemem(l->names[k]);
		rrd_freemem(l->values[k]);
	}
	rrd_freemem(l->names);
	rrd_freemem(l->values);
	memset(l, 0, sizeof(*l));
}

static int
last_read(const char *path, const char *area, struct last *out,
          struct error *err)
{
	memset(out, 0, sizeof(*out));
	rrd_clear_error();
	if (rrd_lastupdate_r(path, &out->at, &out->n_ds, &out->names,
	                     &out->values) != 0) {
		memset(out, 0, sizeof(*out));
		return rrd_fail(err, "cannot read", area);
	}
	return 0;
}

/* The file's data source named id; -1 if it has none. */
static long
last_find(const struct last *l, const char *id)
{
	unsigned long k;

	for (k = 0; k < l->n_ds; k++)
		if (strcmp(l->names[k], id) == 0)
			return (long)k;
	return -1;
}

/* A last value as librrd keeps it: the text given to the update. */
static double
parse_value(const char *s)
{
	char *end;
	double v;

	if (s == NULL || s[0] == '\0')
		return NAN;
	v = strtod(s, &end);
	return end != s && *end == '\0' && isfinite(v) ? v : NAN;
}

/* --- rrdcached: its line protocol on a connection of the store's own --- */

/* Parses "unix:/path", "/path", "host:port", "[v6]:port", "host" or
 * "[v6]" into c. */
static int
parse_address(const char *addr, struct cached *c, struct error *err)
{
	const char *host = addr, *port = NULL, *path = NULL;
	size_t host_len;

	if (strncmp(addr, "unix:", 5) == 0)
		path = addr + 5;
	else if (addr[0] == '/')
		path = addr;
	if (path != NULL) {
		if (path[0] != '/' || strlen(path) >= sizeof(c->path))
			return error_set(err, 0, "bad rrdcached socket \"%s\"",
			                 addr);
		c->is_unix = true;
		snprintf(c->path, sizeof(c->path), "%s", path);
		return 0;
	}
	if (addr[0] == '[') {
		const char *close_br = strchr(addr, ']');

		if (close_br == NULL ||
		    (close_br[1] != '\0' && close_br[1] != ':'))
			return error_set(err, 0, "bad rrdcached address \"%s\"",
			                 addr);
		host = addr + 1;
		host_len = (size_t)(close_br - host);
		if (close_br[1] == ':')
			port = close_br + 2;
	} else {
		port = strrchr(addr, ':');
		host_len = port != NULL ? (size_t)(port - addr) : strlen(addr);
		if (port != NULL)
			port++;
	}
	if (host_len == 0 || host_len >= sizeof(c->host))
		return error_set(err, 0, "bad rrdcached address \"%s\"", addr);
	memcpy(c->host, host, host_len);
	c->host[host_len] = '\0';
	if (port != NULL) {
		char *end;
		long p;

		errno = 0;
		p = strtol(port, &end, 10);
		if (port[0] < '0' || port[0] > '9' || *end != '\0' ||
		    errno != 0 || p < 1 || p > 65535)
			return error_set(err, 0,
			                 "bad port in rrdcached address \"%s\"",
			                 addr);
		snprintf(c->port, sizeof(c->port), "%ld", p);
	} else {
		snprintf(c->port, sizeof(c->port), "%s", CACHED_DEFAULT_PORT);
	}
	return 0;
}

static void
cached_close(struct cached *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->n_in = 0;
}

static void
cached_free(struct cached *c)
{
	if (c == NULL)
		return;
	cached_close(c);
	free(c->addr);
	free(c);
}

static struct cached *
cached_new(const char *addr, struct error *err)
{
	struct cached *c = xcalloc(1, sizeof(*c));

	c->fd = -1;
	c->addr = xstrdup(addr);
	if (parse_address(addr, c, err) < 0) {
		cached_free(c);
		return NULL;
	}
	return c;
}

/* A socket with both timeouts set (on Linux SO_SNDTIMEO bounds connect
 * too), connected to sa; -1 with errno. */
static int
connect_to(int family, const struct sockaddr *sa, socklen_t len)
{
	struct timeval tv = { CACHED_TIMEOUT_S, 0 };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, sa, len) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
cached_connect(struct cached *c, struct error *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	int gai, e = 0;

	if (c->fd >= 0) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

		if (poll(&pfd, 1, 0) == 0)
			return 0;
		cached_close(c); /* closed by the daemon (restarted?) */
	}
	if (c->is_unix) {
		struct sockaddr_un sa;

		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		memcpy(sa.sun_path, c->path, strlen(c->path));
		c->fd = connect_to(AF_UNIX, (struct sockaddr *)&sa, sizeof(sa));
		e = errno;
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV;
		gai = getaddrinfo(c->host, c->port, &hints, &res);
		if (gai != 0)
			return error_set(err, 0,
			                 "cannot resolve rrdcached %s: %s",
			                 c->addr, gai_strerror(gai));
		for (ai = res; ai != NULL && c->fd < 0; ai = ai->ai_next) {
			c->fd = connect_to(ai->ai_family, ai->ai_addr,
			                   ai->ai_addrlen);
			e = errno;
		}
		freeaddrinfo(res);
	}
	if (c->fd < 0)
		return error_set(err, 0, "cannot connect to rrdcached %s: %s",
		                 c->addr, strerror(e));
	c->n_in = 0;
	return 0;
}

static int
cached_send(struct cached *c, const char *p, size_t n, struct error *err)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			error_set(err, 0, "cannot write to rrdcached %s: %s",
			          c->addr, strerror(errno));
			cached_close(c);
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The next line the daemon sent, without its newline (cut to fit). */
static int
cached_line(struct cached *c, char *out, size_t size, struct error *err)
{
	char *nl;
	size_t len;

	while ((nl = memchr(c->in, '\n', c->n_in)) == NULL) {
		ssize_t r;

		if (c->n_in == sizeof(c->in)) {
			error_set(err, 0, "rrdcached %s sent too long a line",
			          c->addr);
			cached_close(c);
			return -1;
		}
		r = recv(c->fd, c->in + c->n_in, sizeof(c->in) - c->n_in, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			error_set(err, 0, "cannot read from rrdcached %s: %s",
			          c->addr,
			          r == 0 ? "connection closed"
			                 : strerror(errno));
			cached_close(c);
			return -1;
		}
		c->n_in += (size_t)r;
	}
	len = (size_t)(nl - c->in);
	snprintf(out, size, "%.*s", (int)len, c->in);
	c->n_in -= len + 1;
	memmove(c->in, nl + 1, c->n_in);
	return 0;
}

/* Sends text (whole lines) and reads the answer to its last line:
 * "STATUS MESSAGE", then STATUS lines if it is positive. CACHED_NO if
 * STATUS is negative, or positive and is_batch (the lines are the
 * commands that failed): err says what the daemon said. */
static int
cached_request(struct cached *c, const char *text, size_t len, bool is_batch,
               const char *area, struct error *err)
{
	char line[CACHED_READ_MAX], first[CACHED_READ_MAX] = "";
	long status, i;
	char *end;

	if (cached_send(c, text, len, err) < 0 ||
	    cached_line(c, line, sizeof(line), err) < 0)
		return CACHED_LOST;
	errno = 0;
	status = strtol(line, &end, 10);
	if (end == line || errno != 0 || status > 100000) {
		error_set(err, 0, "rrdcached %s answered \"%.64s\"", c->addr,
		          line);
		cached_close(c);
		return CACHED_LOST;
	}
	for (i = 0; i < status; i++)
		if (cached_line(c, i == 0 ? first : line,
		                i == 0 ? sizeof(first) : sizeof(line), err) < 0)
			return CACHED_LOST;
	if (status < 0)
		error_set(err, 0, "rrdcached %s refused %.*s for %s: %s",
		          c->addr, (int)strcspn(text, " \n"), text, area,
		          end[0] == ' ' ? end + 1 : end);
	else if (status > 0 && is_batch)
		error_set(err, 0, "rrdcached %s refused updates of %s: %s",
		          c->addr, area, first);
	return status < 0 || (status > 0 && is_batch) ? CACHED_NO : CACHED_OK;
}

/* One command about path: "VERB path\n". */
static int
cached_file_cmd(struct cached *c, const char *verb, const char *path,
                const char *area, struct error *err)
{
	char line[CACHED_LINE_MAX];
	int n = snprintf(line, sizeof(line), "%s %s\n", verb, path);

	if (n < 0 || (size_t)n >= sizeof(line)) {
		error_set(err, 0, "path too long for rrdcached: %s", path);
		return CACHED_NO;
	}
	return cached_request(c, line, (size_t)n, false, area, err);
}

/* "UPDATE path" lines carrying the samples, each under CACHED_LINE_MAX
 * bytes, appended to out. */
static int
cached_update_lines(struct buf *out, const char *path, const struct samples *s,
                    struct error *err)
{
	size_t head = strlen("UPDATE ") + strlen(path), len = 0, i, n;
	int rc = 0;

	for (i = 0; i < s->n && rc == 0; i++) {
		n = strlen(sample(s, i));
		if (head + 1 + n + 1 > CACHED_LINE_MAX)
			return error_set(err, 0,
			                 "a sample is too long for rrdcached");
		if (len == 0 || len + 1 + n + 1 > CACHED_LINE_MAX) {
			if (len > 0)
				rc |= buf_puts(out, "\n");
			rc |= buf_printf(out, "UPDATE %s", path);
			len = head;
		}
		rc |= buf_printf(out, " %s", sample(s, i));
		len += 1 + n;
	}
	if (len > 0)
		rc |= buf_puts(out, "\n");
	return rc < 0 ? error_set(err, 0, "too many samples for rrdcached") : 0;
}

/* --- public --- */

/* Makes dir/rrd and its absolute name, real, and checks that files can be
 * named there and that kuntamon v2 wrote them. */
static int
open_dir(const char *dir, bool is_cached, char *real, struct error *err)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/rrd", dir);

	if (dir[0] == '\0' || n < 0 || (size_t)n >= sizeof(path))
		return error_set(err, 0, "bad storage dir \"%s\"", dir);
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(path, 0755) < 0 && errno != EEXIST))
		return error_set(err, 0, "cannot create %s: %s", path,
		                 strerror(errno));
	if (realpath(path, real) == NULL)
		return error_set(err, 0, "cannot open %s: %s", path,
		                 strerror(errno));
	/* a file name in a DEF ends at the first ':'; one in an rrdcached
	 * command at the first space, and a backslash escapes */
	if (strpbrk(real, is_cached ? ": \t\r\n\\" : ":") != NULL)
		return error_set(err, 0, "storage path %s contains %s", real,
		                 is_cached ? "':', a space or a backslash"
		                           : "':'");
	if (is_cached && strlen(real) > CACHED_PATH_MAX)
		return error_set(
		    err, 0, "storage path %s is too long for rrdcached", real);
	return check_steps(real, err);
}

struct store_rrd *
store_rrd_new(const char *dir, const char *rrdcached, struct error *err)
{
	struct store_rrd *st;
	struct cached *c = NULL;
	char real[PATH_MAX];

	if (rrdcached != NULL && rrdcached[0] != '\0' &&
	    (c = cached_new(rrdcached, err)) == NULL)
		return NULL;
	if (open_dir(dir, c != NULL, real, err) < 0) {
		cached_free(c);
		return NULL;
	}
	if (getenv("RRDCACHED_ADDRESS") != NULL) {
		/* librrd would send a graph's reads to that daemon by
		 * itself; writes go where [storage] rrdcached says */
		log_warn("ignoring RRDCACHED_ADDRESS; use storage.rrdcached",
		         NULL);
		unsetenv("RRDCACHED_ADDRESS");
	}
	remove_stale_tmp(real);
	st = xcalloc(1, sizeof(*st));
	st->dir = xstrdup(real);
	st->cached = c;
	snprintf(real + strlen(real), sizeof(real) - strlen(real), "/.lock");
	st->lock_fd = open(real, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (st->lock_fd < 0) {
		error_set(err, 0, "cannot open %s: %s", real, strerror(errno));
		cached_free(c);
		free(st->dir);
		free(st);
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	return st;
}

static int
lock_slot(struct store_rrd *st, const char *area, short type)
{
	struct flock fl = { 0 };
	unsigned long h = 5381;

	while (*area != '\0')
		h = h * 33 + (unsigned char)*area++;
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)(h % LOCK_SLOTS);
	fl.l_len = 1;
	while (fcntl(st->lock_fd, F_OFD_SETLKW, &fl) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

int
store_rrd_lock(struct store_rrd *st, const char *area, struct error *err)
{
	if (lock_slot(st, area, F_WRLCK) < 0)
		return error_set(err, 0, "cannot lock %s's file: %s", area,
		                 strerror(errno));
	return 0;
}

void
store_rrd_unlock(struct store_rrd *st, const char *area)
{
	lock_slot(st, area, F_UNLCK);
}

void
store_rrd_free(struct store_rrd *st)
{
	if (st == NULL)
		return;
	cached_free(st->cached);
	close(st->lock_fd);
	pthread_mutex_destroy(&st->lock);
	free(st->dir);
	free(st);
}

int
store_rrd_exists(struct store_rrd *st, const char *area)
{
	char path[PATH_MAX];

	if (file_path(st, area, path, sizeof(path), NULL) < 0)
		return 0;
	return access(path, F_OK) == 0;
}

/* Writes the file beside path and renames it over. */
static int
rebuild_direct(struct store_rrd *st, const char *area, const char *path,
               char **args, size_t n_args, time_t start,
               const struct samples *s, struct error *err)
{
	char tmp[PATH_MAX];
	const char **argv = NULL;
	bool have_tmp = false;
	size_t i;
	int fd, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s/.%s.rrd.XXXXXX", st->dir, area);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		error_set(err, 0, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	have_tmp = true;
	/* librrd gives the new file the mode of the one it replaces */
	if (fchmod(fd, 0644) < 0) {
		error_set(err, 0, "cannot chmod %s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	rrd_clear_error();
	if (rrd_create_r2(tmp, STORE_RRD_STEP_S, start, 0, NULL, NULL,
	                  (int)n_args, (const char **)args) != 0) {
		rrd_fail(err, "cannot create", area);
		goto out;
	}
	if (s->n > 0) {
		argv = xcalloc(s->n, sizeof(*argv));
		for (i = 0; i < s->n; i++)
			argv[i] = sample(s, i);
		rrd_clear_error();
		if (rrd_update_r(tmp, NULL, (int)s->n, argv) != 0) {
			rrd_fail(err, "cannot write", area);
			goto out;
		}
	}
	if (fsync_path(tmp, 0) < 0 || rename(tmp, path) < 0) {
		error_set(err, 0, "cannot replace %s: %s", path,
		          strerror(errno));
		goto out;
	}
	have_tmp = false;
	if (fsync_path(st->dir, O_DIRECTORY) < 0) {
		error_set(err, 0, "cannot sync %s: %s", st->dir,
		          strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (have_tmp)
		unlink(tmp);
	free(argv);
	return rc;
}

/* Through rrdcached: what it holds of the old file written and dropped
 * (else it would write it into the new one), CREATE over it, the samples
 * in one BATCH, FLUSH. Each step may be repeated: the whole is. */
static int
rebuild_cached_once(struct cached *c, const char *area, const char *path,
                    const struct buf *create, const struct buf *batch,
                    struct error *err)
{
	struct error ignored;
	int rc;

	if (cached_connect(c, err) < 0)
		return CACHED_LOST;
	/* refusals are fine: there may be no file, or nothing cached */
	if (cached_file_cmd(c, "FLUSH", path, area, &ignored) == CACHED_LOST ||
	    cached_file_cmd(c, "FORGET", path, area, &ignored) == CACHED_LOST) {
		error_set(err, 0, "%s", ignored.msg);
		return CACHED_LOST;
	}
	rc = cached_request(c, create->data, create->len, false, area, err);
	if (rc == CACHED_OK && batch->len > 0) {
		rc = cached_request(c, "BATCH\n", 6, false, area, err);
		if (rc == CACHED_OK)
			rc = cached_request(c, batch->data, batch->len, true,
			                    area, err);
	}
	if (rc == CACHED_OK)
		rc = cached_file_cmd(c, "FLUSH", path, area, err);
	return rc;
}

static int
rebuild_cached(struct store_rrd *st, const char *area, const char *path,
               char **args, size_t n_args, time_t start,
               const struct samples *s, struct error *err)
{
	struct buf create, batch;
	size_t i;
	int rc = -1, attempt, r;

	buf_init(&create, CACHED_LINE_MAX);
	buf_init(&batch, SAMPLES_MAX);
	if (n_args > CACHED_CREATE_ARGS_MAX) {
		error_set(err, 0, "%zu measures are too many for rrdcached",
		          n_args - N_RRAS);
		goto out;
	}
	r = buf_printf(&create, "CREATE %s -b %lld -s %d", path,
	               (long long)start, STORE_RRD_STEP_S);
	for (i = 0; i < n_args; i++)
		r |= buf_printf(&create, " %s", args[i]);
	if ((r | buf_puts(&create, "\n")) < 0) {
		error_set(err, 0, "the CREATE of %s is too long for rrdcached",
		          area);
		goto out;
	}
	if (cached_update_lines(&batch, path, s, err) < 0)
		goto out;
	if (batch.len > 0 && buf_puts(&batch, ".\n") < 0) {
		error_set(err, 0, "too many samples for rrdcached");
		goto out;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		r = rebuild_cached_once(st->cached, area, path, &create, &batch,
		                        err);
		if (r != CACHED_LOST) {
			rc = r == CACHED_OK ? 0 : -1;
			break;
		}
	}
out:
	buf_reset(&batch);
	buf_reset(&create);
	return rc;
}

int
store_rrd_rebuild(struct store_rrd *st, const char *area,
                  const struct measure *measures, size_t n, int first_period,
                  size_t n_periods, const double *values, struct error *err)
{
	char path[PATH_MAX], **args = NULL;
	struct samples s;
	time_t start;
	size_t p;
	int rc = -1;

	if (file_path(st, area, path, sizeof(path), err) < 0 ||
	    check_measures(measures, n, err) < 0)
		return -1;
	if (n_periods > 0 &&
	    (check_period(first_period, err) < 0 ||
	     check_period((long long)first_period + (long long)n_periods - 1,
	                  err) < 0))
		return -1;
	/* a day before the first period: a file of no period ends at no
	 * period's end, and the first period's first day is written */
	start = (n_periods > 0 ? period_start(first_period)
	                       : period_start(period_of(clock_now()))) -
	        STORE_RRD_STEP_S;
	samples_init(&s, start);
	for (p = 0; p < n_periods; p++)
		if (samples_period(&s, first_period + (int)p, values + p * n,
		                   NULL, n, err) < 0)
			goto out;
	args = create_args(measures, n);
	pthread_mutex_lock(&st->lock);
	if (st->cached != NULL)
		rc = rebuild_cached(st, area, path, args, n + N_RRAS, start, &s,
		                    err);
	else
		rc = rebuild_direct(st, area, path, args, n + N_RRAS, start, &s,
		                    err);
	pthread_mutex_unlock(&st->lock);
out:
	free_strv(args, n + N_RRAS);
	samples_reset(&s);
	return rc;
}

/* The samples that append period to the file l describes, in its data
 * sources' order (cached) or in the measures' (direct, with a template).
 * 1 if the file cannot take it. */
static int
append_samples(const struct last *l, const struct measure *measures, size_t n,
               int period, const double *values, bool in_file_order,
               struct samples *out, struct error *err)
{
	long *col = NULL;
	size_t i;
	int rc = 1;

	for (i = 0; i < n; i++)
		if (last_find(l, measures[i].id) < 0)
			return 1;
	/* one that ends inside period holds part of it already */
	if (l->at > period_start(period))
		return 1;
	samples_init(out, l->at);
	if (in_file_order) {
		col = xcalloc(l->n_ds + 1, sizeof(*col));
		for (i = 0; i < l->n_ds; i++)
			col[i] = -1;
		for (i = 0; i < n; i++)
			col[last_find(l, measures[i].id)] = (long)i;
	}
	rc = samples_period(out, period, values, col,
	                    in_file_order ? l->n_ds : n, err);
	free(col);
	return rc;
}

static int
append_direct(const char *area, const char *path,
              const struct measure *measures, size_t n, int period,
              const double *values, struct error *err)
{
	struct last l = { 0 };
	struct samples s = { 0 };
	const char *argv[2];
	struct buf tmpl;
	size_t i;
	int rc;

	buf_init(&tmpl, n * MEASURE_ID_MAX + 1);
	if ((rc = last_read(path, area, &l, err)) != 0 ||
	    (rc = append_samples(&l, measures, n, period, values, false, &s,
	                         err)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		buf_printf(&tmpl, "%s%s", i > 0 ? ":" : "", measures[i].id);
	for (i = 0; i < s.n; i++)
		argv[i] = sample(&s, i);
	rrd_clear_error();
	if (rrd_update_r(path, tmpl.data, (int)s.n, argv) != 0)
		rc = rrd_fail(err, "cannot write", area);
out:
	buf_reset(&tmpl);
	samples_reset(&s);
	last_reset(&l);
	return rc;
}

/* Through rrdcached: FLUSH so that the file tells where it ends, then one
 * UPDATE (one line: line can hold no more). If the connection fails after
 * the UPDATE went out, the file, flushed again, says whether it arrived;
 * it is sent again only if it did not. */
static int
append_cached(struct cached *c, const char *area, const char *path,
              const struct measure *measures, size_t n, int period,
              const double *values, struct error *err)
{
	struct last l = { 0 };
	struct samples s = { 0 };
	struct buf line;
	bool is_sent = false;
	time_t before = 0;
	int rc = -1, attempt, r;

	buf_init(&line, CACHED_LINE_MAX);
	for (attempt = 0; attempt < 3; attempt++) {
		if (cached_connect(c, err) < 0)
			goto out;
		r = cached_file_cmd(c, "FLUSH", path, area, err);
		if (r == CACHED_LOST)
			continue;
		last_reset(&l);
		if (r == CACHED_NO || last_read(path, area, &l, err) < 0)
			goto out;
		if (is_sent && l.at == s.last) { /* it arrived */
			rc = 0;
			goto out;
		}
		if (is_sent && l.at != before) {
			error_set(err, 0,
			          "%s changed while rrdcached %s was away",
			          area, c->addr);
			goto out;
		}
		if (!is_sent) {
			rc = append_samples(&l, measures, n, period, values,
			                    true, &s, err);
			if (rc != 0 || (rc = cached_update_lines(&line, path,
			                                         &s, err)) < 0)
				goto out;
			rc = -1;
			before = l.at;
		}
		is_sent = true;
		r = cached_request(c, line.data, line.len, false, area, err);
		if (r != CACHED_LOST) {
			rc = r == CACHED_OK ? 0 : -1;
			goto out;
		}
	}
out:
	buf_reset(&line);
	samples_reset(&s);
	last_reset(&l);
	return rc;
}

int
store_rrd_append(struct store_rrd *st, const char *area,
                 const struct measure *measures, size_t n, int period,
                 const double *values, struct error *err)
{
	char path[PATH_MAX];
	int rc;

	if (file_path(st, area, path, sizeof(path), err) < 0 ||
	    check_measures(measures, n, err) < 0 ||
	    check_period(period, err) < 0)
		return -1;
	pthread_mutex_lock(&st->lock);
	if (access(path, F_OK) < 0)
		rc = 1;
	else if (st->cached != NULL)
		rc = append_cached(st->cached, area, path, measures, n, period,
		                   values, err);
	else
		rc =
		    append_direct(area, path, measures, n, period, values, err);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* Has rrdcached write out what it holds of path; 0 without rrdcached. */
static int
flush(struct store_rrd *st, const char *area, const char *path,
      struct error *err)
{
	int rc = CACHED_LOST, attempt;

	if (st == NULL || st->cached == NULL)
		return 0;
	pthread_mutex_lock(&st->lock);
	for (attempt = 0; attempt < 2 && rc == CACHED_LOST; attempt++)
		if (cached_connect(st->cached, err) == 0)
			rc = cached_file_cmd(st->cached, "FLUSH", path, area,
			                     err);
		else
			break;
	pthread_mutex_unlock(&st->lock);
	return rc == CACHED_OK ? 0 : -1;
}

int
store_rrd_last_period(struct store_rrd *st, const char *area,
                      const struct measure *measures, size_t n, int *out_period,
                      double *out_values, struct error *err)
{
	char path[PATH_MAX];
	struct last l = { 0 };
	size_t i;
	long k;
	int p, rc = -1;

	*out_period = -1;
	for (i = 0; i < n; i++)
		out_values[i] = NAN;
	if (file_path(st, area, path, sizeof(path), err) < 0 ||
	    check_measures(measures, n, err) < 0)
		return -1;
	if (access(path, F_OK) < 0)
		return 0;
	if (flush(st, area, path, err) < 0 ||
	    last_read(path, area, &l, err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((k = last_find(&l, measures[i].id)) < 0) {
			rc = 1;
			goto out;
		}
		out_values[i] = parse_value(l.values[k]);
	}
	p = period_of(l.at - 1);
	if (period_end(p) == l.at) {
		*out_period = p;
	} else { /* no period ends there: it holds none */
		for (i = 0; i < n; i++)
			out_values[i] = NAN;
	}
	rc = 0;
out:
	if (rc != 0)
		for (i = 0; i < n; i++)
			out_values[i] = NAN;
	last_reset(&l);
	return rc;
}

/* --- charts --- */

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

/* After a failed render: takes out the defs whose file lacks the data
 * source (a measure not yet added) or has gone. How many it took out. */
static size_t
drop_missing(const struct store_rrd *st, const struct rrd_graph_def *defs,
             size_t n_defs, bool *live)
{
	char path[PATH_MAX];
	size_t i, j, n_dropped = 0;

	for (i = 0; i < n_defs; i++) {
		struct error ignored;
		struct last l;
		bool readable;

		for (j = 0; j < i && strcmp(defs[j].area, defs[i].area) != 0;
		     j++)
			;
		if (!live[i] || j < i)
			continue; /* an area seen already */
		file_path(st, defs[i].area, path, sizeof(path), NULL);
		readable = last_read(path, defs[i].area, &l, &ignored) == 0;
		for (j = i; j < n_defs; j++) {
			if (!live[j] || strcmp(defs[j].area, defs[i].area) != 0)
				continue;
			if (!readable || last_find(&l, defs[j].ds) < 0) {
				live[j] = false;
				n_dropped++;
			}
		}
		if (readable)
			last_reset(&l);
	}
	return n_dropped;
}

int
store_rrd_graph(struct store_rrd *st, const struct rrd_graph_def *defs,
                size_t n_defs, const char *const *args, size_t n_args,
                struct rrd_image *out, struct error *err)
{
	char path[PATH_MAX];
	bool *live = NULL;
	size_t i, j, n_live = 0, n_dropped;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (n_defs == 0) /* a chart of no file: the warm-up, a frame */
		return run_graph(st, defs, 0, NULL, args, n_args, out, err);
	live = xcalloc(n_defs, sizeof(*live));
	for (i = 0; i < n_defs; i++) {
		if (!valid_vname(defs[i].vname) || !valid_ds(defs[i].ds)) {
			error_set(err, 0, "bad graph def \"%.*s\" of \"%.*s\"",
			          16, defs[i].vname, MEASURE_ID_MAX,
			          defs[i].ds);
			goto out;
		}
		if (file_path(st, defs[i].area, path, sizeof(path), err) < 0)
			goto out;
		live[i] = access(path, F_OK) == 0;
		n_live += live[i];
	}
	if (n_live == 0) {
		rc = 1;
		goto out;
	}
	/* before the graph lock: a flush waits for the writer */
	for (i = 0; i < n_defs; i++) {
		for (j = 0; j < i && strcmp(defs[j].area, defs[i].area) != 0;
		     j++)
			;
		if (!live[i] || j < i)
			continue; /* flushed already */
		file_path(st, defs[i].area, path, sizeof(path), NULL);
		if (flush(st, defs[i].area, path, err) < 0)
			goto out;
	}
	rc = run_graph(st, defs, n_defs, live, args, n_args, out, err);
	/* the rare failure: a data source not yet added to a file */
	if (rc < 0 && (n_dropped = drop_missing(st, defs, n_defs, live)) > 0) {
		n_live -= n_dropped;
		rc = n_live > 0 ? run_graph(st, defs, n_defs, live, args,
		                            n_args, out, err)
		                : 1;
	}
out:
	free(live);
	return rc;
}

const char *
store_rrd_library_version(void)
{
	return rrd_strversion();
}
