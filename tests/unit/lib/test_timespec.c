/*
 * test_timespec.c: timespec_parse and the period arithmetic. Expected
 * times are written out as Unix seconds (checked against `date -u`), and
 * the calendar is checked against an independent day-by-day walk.
 */
#include <limits.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "timespec.h"

#define NOW ((time_t)1767225600) /* 2026-01-01T00:00:00Z */

static void
test_forms(void)
{
	static const struct {
		const char *s;
		time_t want;
	} cases[] = {
		{ "now", NOW },
		{ "-0s", NOW },
		{ "-90s", NOW - 90 },
		{ "-15m", NOW - 15 * 60 },
		{ "-12h", NOW - 12 * 3600 },
		{ "-30d", NOW - 30 * 86400 },
		{ "-2w", NOW - 14 * 86400 },
		{ "-1y", NOW - 365 * 86400 },
		{ "-007d", NOW - 7 * 86400 },
		{ "-56y", 14 * 86400 }, /* 365-day years: 14 leap days left */
		{ "-57y", 0 },          /* before 1970: stops at 0 */
		{ "-100y", 0 },
		{ "-8035y", 0 },
		{ "0", 0 },
		{ "1700000000", 1700000000 },
		{ "0001700000000", 1700000000 },
		{ "253402300799", 253402300799LL },
		{ "2026", 2026 }, /* digits are seconds, not a year */
		{ "1970-01", 0 },
		{ "2024-02", 1706745600 },
		{ "2024-03", 1709251200 },
		{ "2026-10", 1790812800 },
		{ "9999-12", 253399622400LL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error err = { 0 };
		time_t t = -1;

		CHECK(timespec_parse(cases[i].s, NOW, &t, &err) == 0);
		if (t != cases[i].want)
			fprintf(stderr, "%s: %lld, want %lld\n", cases[i].s,
			        (long long)t, (long long)cases[i].want);
		CHECK(t == cases[i].want);
		CHECK(err.msg[0] == '\0');
	}
}

static void
test_errors(void)
{
	static const struct {
		const char *s;
		const char *msg;
	} cases[] = {
		{ "",
		  "empty time (use now, -30d, -12h, Unix seconds or YYYY-MM)" },
		{ "Now", "\"Now\" is not a time (use now, -30d, -12h, Unix "
		         "seconds or YYYY-MM)" },
		{ "now ", NULL },
		{ " 5", NULL },
		{ "+5d", NULL },
		{ "5d", NULL },
		{ "-5", "\"-5\" is not a relative time (use -N and a unit: s m "
		        "h d w y)" },
		{ "-d", NULL },
		{ "-", NULL },
		{ "--5d", NULL },
		{ "-5x", NULL },
		{ "-5 d", NULL },
		{ "-5dd", NULL },
		{ "-5D", NULL },
		{ "-1.5d", NULL },
		{ "-0x5d", NULL },
		{ "-8036y", "\"-8036y\" reaches too far back" },
		{ "-2932897d", "\"-2932897d\" reaches too far back" },
		{ "-253402300800s", "\"-253402300800s\" reaches too far back" },
		{ "-99999999999999999999999s", NULL },
		{ "253402300800", "\"253402300800\" is past the year 9999" },
		{ "99999999999999999999999", NULL },
		{ "-1", NULL },
		{ "1e9", NULL },
		{ "17000000x0", NULL },
		{ "2026-13",
		  "\"2026-13\" is not a month YYYY-MM (1970-01 to 9999-12)" },
		{ "2026-00", NULL },
		{ "1969-12", NULL },
		{ "0000-01", NULL },
		{ "2026-1", NULL },
		{ "2026-1x", NULL },
		{ "26-10", NULL },
		{ "2026-10-01", NULL },
		{ "2026/10", NULL },
		{ "\x01\x02", "time is not a time (use now, -30d, -12h, Unix "
		              "seconds or YYYY-MM)" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "time is not a time (use now, -30d, -12h, Unix seconds or "
		  "YYYY-MM)" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error err = { 0 };
		time_t t = 12345;

		CHECK(timespec_parse(cases[i].s, NOW, &t, &err) == -1);
		if (t != 12345)
			fprintf(stderr, "\"%s\" parsed\n", cases[i].s);
		CHECK(t == 12345); /* *out untouched */
		CHECK(err.msg[0] != '\0');
		if (cases[i].msg != NULL)
			CHECK_STR(err.msg, cases[i].msg);
	}
	{
		struct error err = { 0 };
		time_t t;

		CHECK(timespec_parse(NULL, NOW, &t, &err) == -1);
		/* err may be NULL */
		CHECK(timespec_parse("bad", NOW, &t, NULL) == -1);
	}
}

/* The largest relative specs that still fit, per unit. */
static void
test_relative_limits(void)
{
	struct error err = { 0 };
	time_t t = -1;

	CHECK(timespec_parse("-8035y", 253402300799LL, &t, &err) == 0);
	CHECK(t == 253402300799LL - 8035LL * 365 * 86400);
	CHECK(timespec_parse("-2932896d", 253402300799LL, &t, &err) == 0);
	CHECK(t == 253402300799LL - 2932896LL * 86400);
	CHECK(timespec_parse("-253402300799s", 253402300799LL, &t, &err) == 0);
	CHECK(t == 0);
	/* "now" near the ends of time_t does not overflow */
	CHECK(timespec_parse("-1s", (time_t)LLONG_MIN, &t, &err) == 0);
	CHECK(t == 0);
	CHECK(timespec_parse("now", (time_t)LLONG_MAX, &t, &err) == 0);
	CHECK(t == (time_t)LLONG_MAX);
	CHECK(timespec_parse("-1w", (time_t)LLONG_MAX, &t, &err) == 0);
	CHECK(t == (time_t)LLONG_MAX - 7 * 86400);
}

static void
test_period_parse_format(void)
{
	static const struct {
		const char *s;
		int period;
	} good[] = {
		{ "1970-01", 1970 * 12 },      { "2024-02", 2024 * 12 + 1 },
		{ "2026-10", 2026 * 12 + 9 },  { "2026-12", 2026 * 12 + 11 },
		{ "9999-12", 9999 * 12 + 11 },
	};
	static const char *const bad[] = {
		"",         "1969-12",   "2026-00",  "2026-13", "2026-1",
		"2026-100", "20261-01",  "2026_10",  "2026-1a", "abcd-ef",
		"-026-10",  "2026-10\n", " 2026-10", "+026-10",
	};
	char out[16];
	size_t i;
	int p;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		p = -1;
		CHECK(period_parse(good[i].s, &p) == 0);
		CHECK(p == good[i].period);
		period_format(p, out, sizeof(out));
		CHECK_STR(out, good[i].s);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = 42;
		CHECK(period_parse(bad[i], &p) == -1);
		CHECK(p == 42);
	}
	CHECK(period_parse(NULL, &p) == -1);

	/* Exactly 8 bytes is enough; less truncates, never overflows. */
	memset(out, 'x', sizeof(out));
	period_format(2026 * 12 + 9, out, 8);
	CHECK_STR(out, "2026-10");
	memset(out, 'x', sizeof(out));
	period_format(2026 * 12 + 9, out, 5);
	CHECK_STR(out, "2026");
	CHECK(out[5] == 'x');
}

static void
test_period_bounds(void)
{
	static const struct {
		int year, month;
		time_t start, end;
	} cases[] = {
		{ 1970, 1, 0, 2678400 },
		{ 1970, 2, 2678400, 5097600 },
		{ 2000, 2, 949363200, 951868800 },       /* leap: 29 days */
		{ 2023, 2, 1675209600, 1677628800 },     /* 28 days */
		{ 2024, 2, 1706745600, 1709251200 },     /* 29 days */
		{ 2100, 2, 4105123200LL, 4107542400LL }, /* not leap: 28 */
		{ 2025, 12, 1764547200, 1767225600 },
		{ 2026, 1, 1767225600, 1769904000 },
		{ 2038, 1, 2145916800LL, 2148595200LL }, /* past 2^31 */
		{ 9999, 12, 253399622400LL, 253402300800LL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int p = cases[i].year * 12 + cases[i].month - 1;

		CHECK(period_start(p) == cases[i].start);
		CHECK(period_end(p) == cases[i].end);
		CHECK(period_of(cases[i].start) == p);
		CHECK(period_of(cases[i].end - 1) == p);
		CHECK(period_of(cases[i].end) == p + 1);
	}
	/* Before 1970 the arithmetic still holds (floor, not truncation). */
	CHECK(period_start(1969 * 12 + 11) == -31 * 86400);
	CHECK(period_of(-1) == 1969 * 12 + 11);
	CHECK(period_of(-31 * 86400) == 1969 * 12 + 11);
	CHECK(period_of(-31 * 86400 - 1) == 1969 * 12 + 10);
	/* The extremes stay defined. */
	CHECK(period_of((time_t)LLONG_MAX) == INT_MAX);
	CHECK(period_of((time_t)LLONG_MIN) == INT_MIN);
	CHECK(period_end(INT_MAX) > period_start(INT_MAX));
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Walks every month from 1970 to 2400 with a plain month-length table and
 * checks start, end, period_of at and around both boundaries, and
 * format/parse round trips. */
static void
test_round_trip(void)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
		                    31, 31, 30, 31, 30, 31 };
	long long t = 0;
	time_t parsed;
	int y, m, bad = 0;

	for (y = 1970; y <= 2400; y++) {
		for (m = 1; m <= 12; m++) {
			int p = y * 12 + m - 1, q = -1;
			long long len = days[m - 1] + (m == 2 && is_leap(y));
			char s[8];

			if (period_start(p) != t)
				bad++;
			if (period_end(p) != t + len * 86400)
				bad++;
			if (period_of(t) != p || period_of(t + 86399) != p ||
			    period_of(t + len * 86400 - 1) != p)
				bad++;
			if (t > 0 && period_of(t - 1) != p - 1)
				bad++;
			period_format(p, s, sizeof(s));
			if (period_parse(s, &q) != 0 || q != p)
				bad++;
			if (timespec_parse(s, NOW, &parsed, NULL) != 0 ||
			    parsed != period_start(p))
				bad++;
			t += len * 86400;
		}
	}
	if (bad != 0)
		fprintf(stderr, "%d mismatches\n", bad);
	CHECK(bad == 0);
	CHECK(t == 13601088000LL); /* 2401-01-01 */
}

/* As the end of a range, a month is included to its last second; every
 * other form means what it means as a start. */
static void
test_end(void)
{
	struct error err = { 0 };
	time_t t = 0, now = 1790000000;

	CHECK(timespec_parse_end("2026-09", now, &t, &err) == 0);
	CHECK(t == 1790812799); /* 2026-09-30T23:59:59Z */
	CHECK(timespec_parse_end("2024-02", now, &t, &err) == 0);
	CHECK(t == 1709251199); /* 2024-02-29T23:59:59Z */
	CHECK(timespec_parse_end("now", now, &t, &err) == 0);
	CHECK(t == now);
	CHECK(timespec_parse_end("-1d", now, &t, &err) == 0);
	CHECK(t == now - 86400);
	CHECK(timespec_parse_end("1700000000", now, &t, &err) == 0);
	CHECK(t == 1700000000);
	CHECK(timespec_parse_end("2026-13", now, &t, &err) == -1);
	CHECK(err.msg[0] != '\0');
}

int
main(void)
{
	RUN(test_forms);
	RUN(test_errors);
	RUN(test_relative_limits);
	RUN(test_period_parse_format);
	RUN(test_period_bounds);
	RUN(test_round_trip);
	RUN(test_end);
	return check_done();
}
