/*
 * procstat.c: the process's own CPU time, memory, threads, descriptors and
 * start time for /metrics, read the way Prometheus' client libraries read
 * them, so that dashboards built for those work unchanged: /proc/self/stat
 * for times and memory, /proc/stat's btime to turn the start time (ticks
 * since boot) into Unix time, /proc/self/fd counted, getrlimit for the
 * limits. Each read is a few small files; nothing is kept between calls.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "buf.h"
#include "procstat.h"

/* /proc/self/stat is a few hundred bytes; /proc/stat grows with the CPUs
 * and interrupts, a few KiB to some hundred. */
#define PROC_STAT_SELF_MAX_BYTES 4096
#define PROC_STAT_MAX_BYTES (4 * 1024 * 1024)

/* The fields of /proc/PID/stat we read, numbered as proc(5) does. */
enum {
	F_STATE = 3, /* the first field after the command name */
	F_UTIME = 14,
	F_STIME = 15,
	F_NUM_THREADS = 20,
	F_STARTTIME = 22,
	F_VSIZE = 23,
	F_RSS = 24,
};

int
procstat_parse_stat(const char *text, long ticks_per_s, long page_bytes,
                    time_t boot_time, struct procstat *out)
{
	/* the command name is anything up to the last ')' */
	const char *p = strrchr(text, ')');
	long long v[F_RSS + 1] = { 0 };
	int field;
	char *end;

	if (p == NULL || strchr(text, '(') == NULL || ticks_per_s <= 0 ||
	    page_bytes <= 0)
		return -1;
	p++;
	for (field = F_STATE; field <= F_RSS; field++) {
		if (*p != ' ')
			return -1;
		p++;
		if (field == F_STATE) { /* one letter */
			if (*p == '\0' || *p == ' ')
				return -1;
			p++;
			continue;
		}
		/* signed: priority and nice, between those we read, may be
		 * negative */
		errno = 0;
		v[field] = strtoll(p, &end, 10);
		if (end == p || errno != 0)
			return -1;
		if (v[field] < 0)
			v[field] = 0;
		p = end;
	}
	if (*p != ' ' && *p != '\n' && *p != '\0')
		return -1;
	out->cpu_s = (double)(v[F_UTIME] + v[F_STIME]) / (double)ticks_per_s;
	out->virtual_bytes = (double)v[F_VSIZE];
	out->resident_bytes = (double)v[F_RSS] * (double)page_bytes;
	out->start_time_s =
	    (double)boot_time + (double)v[F_STARTTIME] / (double)ticks_per_s;
	out->n_threads = (long)v[F_NUM_THREADS];
	return 0;
}

int
procstat_parse_btime(const char *text, size_t len, time_t *out)
{
	const char *p = text, *end = text + len, *nl;
	char num[32];
	size_t n;
	long long t;
	char *e;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) <= 6 || memcmp(p, "btime ", 6) != 0)
			continue;
		n = (size_t)(nl - p) - 6;
		if (n == 0 || n >= sizeof(num))
			return -1;
		memcpy(num, p + 6, n);
		num[n] = '\0';
		errno = 0;
		t = strtoll(num, &e, 10);
		if (e == num || *e != '\0' || errno != 0 || t < 0)
			return -1;
		*out = (time_t)t;
		return 0;
	}
	return -1;
}

/* Reads path whole into b (bounded by b's maximum). */
static int
read_whole(const char *path, struct buf *b)
{
	char chunk[4096];
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (buf_append(b, chunk, (size_t)n) != 0)
			goto out;
	}
	rc = b->data != NULL ? 0 : -1; /* NUL-terminated, not counted */
out:
	close(fd);
	return rc;
}

/* Open descriptors, the one reading the folder not counted. */
static long
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	const struct dirent *e;
	long n = 0;
	char *end;
	long fd;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		fd = strtol(e->d_name, &end, 10);
		if (end == e->d_name || *end != '\0')
			continue; /* "." and ".." */
		if (fd != dirfd(d))
			n++;
	}
	closedir(d);
	return n;
}

static double
soft_limit(int resource)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) != 0)
		return -1;
	return (double)rl.rlim_cur; /* RLIM_INFINITY: 2^64 - 1 */
}

int
procstat_read(struct procstat *out)
{
	struct buf self, all;
	time_t boot_time;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->max_fds = soft_limit(RLIMIT_NOFILE);
	out->max_virtual_bytes = soft_limit(RLIMIT_AS);
	out->n_open_fds = count_fds();
	buf_init(&self, PROC_STAT_SELF_MAX_BYTES);
	buf_init(&all, PROC_STAT_MAX_BYTES);
	if (read_whole("/proc/stat", &all) < 0 ||
	    procstat_parse_btime(all.data, all.len, &boot_time) < 0 ||
	    read_whole("/proc/self/stat", &self) < 0 ||
	    procstat_parse_stat(self.data, sysconf(_SC_CLK_TCK),
	                        sysconf(_SC_PAGESIZE), boot_time, out) < 0)
		goto out;
	rc = 0;
out:
	buf_reset(&all);
	buf_reset(&self);
	return rc;
}
