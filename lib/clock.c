/*
 * clock.c: the wall clock, and in test builds (KUNTAMON_TEST_CLOCK
 * defined) the test clock: the real clock plus an offset read once from
 * KUNTAMON_TEST_NOW. The offset is fixed after the first call, so time
 * still advances at the real rate and every thread sees the same clock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* Exactly n decimal digits at *p into *out; advances *p. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Unix seconds: 1..12 digits, nothing else. */
static int
parse_seconds(const char *s, size_t len, time_t *out)
{
	long long v = 0;
	size_t i;

	if (len == 0 || len > 12)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = (time_t)v;
	return 0;
}

/* "YYYY-MM-DD[(T| )HH:MM[:SS]][Z]", UTC, a real calendar date. */
static int
parse_date(const char *s, size_t len, time_t *out)
{
	const char *p = s, *end = s + len;
	struct tm tm = { 0 }, back;
	time_t t;

	if (len < 10 || digits(&p, 4, &tm.tm_year) < 0 || *p++ != '-' ||
	    digits(&p, 2, &tm.tm_mon) < 0 || *p++ != '-' ||
	    digits(&p, 2, &tm.tm_mday) < 0)
		return -1;
	if (p < end && (*p == 'T' || *p == ' ')) {
		p++;
		if (end - p < 5 || digits(&p, 2, &tm.tm_hour) < 0 ||
		    *p++ != ':' || digits(&p, 2, &tm.tm_min) < 0)
			return -1;
		if (p < end && *p == ':') {
			p++;
			if (end - p < 2 || digits(&p, 2, &tm.tm_sec) < 0)
				return -1;
		}
	}
	if (p < end && *p == 'Z')
		p++;
	if (p != end || tm.tm_year < 1970)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	back = tm;
	t = timegm(&tm);
	/* timegm normalises 02-30 to 03-02: a date that moved was not one */
	if (t == (time_t)-1 || tm.tm_year != back.tm_year ||
	    tm.tm_mon != back.tm_mon || tm.tm_mday != back.tm_mday ||
	    tm.tm_hour != back.tm_hour || tm.tm_min != back.tm_min ||
	    tm.tm_sec != back.tm_sec)
		return -1;
	*out = t;
	return 0;
}

int
clock_parse_test_now(const char *text, time_t real_now, time_t *out_offset_s,
                     struct error *err)
{
	const char *at = strchr(text, '@');
	size_t len = at ? (size_t)(at - text) : strlen(text);
	time_t when, real = real_now;

	if (parse_seconds(text, len, &when) < 0 &&
	    parse_date(text, len, &when) < 0)
		return error_set(err, 0,
		                 "\"%.*s\": want Unix seconds or "
		                 "YYYY-MM-DD[THH:MM[:SS]][Z]",
		                 (int)(len > 40 ? 40 : len), text);
	if (at && parse_seconds(at + 1, strlen(at + 1), &real) < 0)
		return error_set(
		    err, 0, "\"%.40s\": want the real Unix seconds after @",
		    at + 1);
	*out_offset_s = when - real;
	return 0;
}

#ifdef KUNTAMON_TEST_CLOCK
static pthread_once_t test_once = PTHREAD_ONCE_INIT;
static time_t test_offset_s;

static void
read_test_now(void)
{
	const char *v = getenv("KUNTAMON_TEST_NOW");
	struct error err = { 0 };

	if (v == NULL || v[0] == '\0')
		return;
	if (clock_parse_test_now(v, time(NULL), &test_offset_s, &err) < 0) {
		fprintf(stderr, "KUNTAMON_TEST_NOW: %s\n", err.msg);
		abort();
	}
}
#endif

time_t
clock_now(void)
{
#ifdef KUNTAMON_TEST_CLOCK
	pthread_once(&test_once, read_test_now);
	return time(NULL) + test_offset_s;
#else
	return time(NULL);
#endif
}
