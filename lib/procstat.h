/*
 * procstat.h: the process's own resource use, as Prometheus' process_*
 * metrics report it, from Linux's /proc and getrlimit. The parsers are
 * pure; procstat_read does the reading.
 */
#ifndef KUNTAMON_PROCSTAT_H
#define KUNTAMON_PROCSTAT_H

#include <stddef.h>
#include <time.h>

struct procstat {
	double cpu_s;          /* user + system CPU time */
	double virtual_bytes;  /* vsize */
	double resident_bytes; /* rss pages * page size */
	double start_time_s;   /* Unix time */
	long n_threads;
	long n_open_fds;          /* -1: unknown */
	double max_fds;           /* soft RLIMIT_NOFILE; -1: unknown */
	double max_virtual_bytes; /* soft RLIMIT_AS (2^64 - 1: unlimited);
	                           * -1: unknown */
};

/* Parses the text of /proc/PID/stat (the command name may hold spaces and
 * parentheses) into cpu_s, virtual_bytes, resident_bytes, start_time_s
 * and n_threads of out; ticks_per_s is sysconf(_SC_CLK_TCK), boot_time
 * /proc/stat's btime. 0, or -1 if the text is not such a line. */
int procstat_parse_stat(const char *text, long ticks_per_s, long page_bytes,
                        time_t boot_time, struct procstat *out);

/* The btime of /proc/stat's text (len bytes, not NUL-terminated): 0, or -1
 * if there is none. */
int procstat_parse_btime(const char *text, size_t len, time_t *out);

/* Fills out for this process. -1 if /proc cannot be read (not Linux, no
 * /proc mounted); the limits are filled even then. Thread-safe. */
int procstat_read(struct procstat *out);

#endif
