/*
 * timespec.c: time specifications ("now", "-30d", Unix seconds, "YYYY-MM")
 * and monthly reporting periods. Pure: no clock, no locale, no time zone.
 *
 * Calendar arithmetic is the proleptic Gregorian calendar in UTC, done with
 * integer day counts (Howard Hinnant's days_from_civil and its inverse)
 * rather than timegm/gmtime, which read the environment and are slower.
 * Every time a spec yields lies in [0, TIMESPEC_MAX] except "now", which is
 * whatever the caller passes: a relative spec reaching before 1970 stops at
 * 0, so "-100y" means "from the beginning".
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "timespec.h"

/* 9999-12-31T23:59:59Z: the last second a "YYYY-MM" period can name. */
#define TIMESPEC_MAX 253402300799LL
#define DAY_S 86400LL

static long long
floor_div(long long a, long long b)
{
	long long q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days since 1970-01-01 of the date y-m-d (m 1..12, d 1..31). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse: the year and month (1..12) of a day count. */
static void
civil_from_days(long long z, long long *out_y, int *out_m)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*out_m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*out_y = yoe + era * 400 + (*out_m <= 2);
}

static time_t
start_of(long long period)
{
	long long y = floor_div(period, 12);
	int m = (int)(period - y * 12) + 1;

	return (time_t)(days_from_civil(y, m, 1) * DAY_S);
}

int
period_parse(const char *s, int *out_period)
{
	int i, year = 0, month;

	if (s == NULL || strlen(s) != 7 || s[4] != '-')
		return -1;
	for (i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return -1;
	for (i = 0; i < 4; i++)
		year = year * 10 + (s[i] - '0');
	month = (s[5] - '0') * 10 + (s[6] - '0');
	if (year < 1970 || month < 1 || month > 12)
		return -1;
	*out_period = year * 12 + month - 1;
	return 0;
}

void
period_format(int period, char *out, size_t out_size)
{
	long long y = floor_div(period, 12);
	int m = (int)(period - y * 12) + 1;

	snprintf(out, out_size, "%04lld-%02d", y, m);
}

time_t
period_start(int period)
{
	return start_of(period);
}

time_t
period_end(int period)
{
	return start_of((long long)period + 1);
}

int
period_of(time_t t)
{
	long long y, p;
	int m;

	civil_from_days(floor_div((long long)t, DAY_S), &y, &m);
	p = y * 12 + m - 1;
	/* Only reachable for times millions of years away; keep it defined. */
	if (p > INT_MAX)
		return INT_MAX;
	if (p < INT_MIN)
		return INT_MIN;
	return (int)p;
}

/* Digits only, at most max; -1 if empty, not digits, or too large. */
static int
parse_digits(const char *s, size_t n, long long max, long long *out)
{
	long long v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Echo the input in messages only when it is short, printable text: it
 * comes from URLs and ends up in JSON error bodies and logs. */
static int
is_echoable(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 32 || s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int
bad_spec(const char *s, const char *why, struct error *err)
{
	if (is_echoable(s))
		return error_set(err, 0, "\"%s\" %s", s, why);
	return error_set(err, 0, "time %s", why);
}

#define USAGE "(use now, -30d, -12h, Unix seconds or YYYY-MM)"
#define NOT_RELATIVE "is not a relative time (use -N and a unit: s m h d w y)"

/* "-N" and a unit, N digits; s is at least "-". */
static int
parse_relative(const char *s, size_t len, time_t now, time_t *out,
               struct error *err)
{
	static const struct {
		char unit;
		long long seconds;
	} units[] = {
		{ 's', 1 },     { 'm', 60 },        { 'h', 3600 },
		{ 'd', DAY_S }, { 'w', 7 * DAY_S }, { 'y', 365 * DAY_S },
	};
	const size_t n_units = sizeof(units) / sizeof(units[0]);
	long long n, max, delta;
	size_t i;

	for (i = 0; i < n_units; i++)
		if (units[i].unit == s[len - 1])
			break;
	if (len < 3 || i == n_units || strspn(s + 1, "0123456789") != len - 2)
		return bad_spec(s, NOT_RELATIVE, err);
	/* Bounding N by the unit keeps N * seconds from overflowing and any
	 * result within the years a time spec can name. */
	max = TIMESPEC_MAX / units[i].seconds;
	if (parse_digits(s + 1, len - 2, max, &n) != 0)
		return bad_spec(s, "reaches too far back", err);
	delta = n * units[i].seconds;
	*out = (long long)now < delta ? 0 : now - (time_t)delta;
	return 0;
}

int
timespec_parse(const char *s, time_t now, time_t *out, struct error *err)
{
	long long n;
	size_t len;
	int period;

	if (s == NULL || s[0] == '\0')
		return error_set(err, 0, "empty time " USAGE);
	len = strlen(s);
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (s[0] == '-')
		return parse_relative(s, len, now, out, err);
	if (len == 7 && s[4] == '-') {
		if (period_parse(s, &period) != 0)
			return bad_spec(
			    s, "is not a month YYYY-MM (1970-01 to 9999-12)",
			    err);
		*out = period_start(period);
		return 0;
	}
	if (strspn(s, "0123456789") == len) {
		if (parse_digits(s, len, TIMESPEC_MAX, &n) != 0)
			return bad_spec(s, "is past the year 9999", err);
		*out = (time_t)n;
		return 0;
	}
	return bad_spec(s, "is not a time " USAGE, err);
}

int
timespec_parse_end(const char *s, time_t now, time_t *out, struct error *err)
{
	int period;

	if (timespec_parse(s, now, out, err) < 0)
		return -1;
	if (period_parse(s, &period) == 0)
		*out = period_end(period) - 1;
	return 0;
}
