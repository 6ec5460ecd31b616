/*
 * test_clock.c: the test clock. KUNTAMON_TEST_NOW's forms and what is
 * refused, and that a test build's clock_now() follows it. Expected times
 * are Unix seconds checked against `date -u -d`.
 */
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "clock.h"

#define REAL ((time_t)1767225600) /* 2026-01-01T00:00:00Z */

static void
test_forms(void)
{
	static const struct {
		const char *s;
		time_t want; /* fake time at REAL */
	} cases[] = {
		{ "1798761590", 1798761590 },
		{ "0", 0 },
		{ "2026-12-31", 1798675200 },
		{ "2026-12-31T23:59", 1798761540 },
		{ "2026-12-31T23:59:50", 1798761590 },
		{ "2026-12-31T23:59:50Z", 1798761590 },
		{ "2026-12-31 23:59:50Z", 1798761590 },
		{ "2028-02-29", 1835395200 },
		{ "2026-03-01Z", 1772323200 },
		/* WHEN@REAL: WHEN at the real time REAL, not at now */
		{ "2026-12-31T23:59:50Z@1767225500", 1798761590 + 100 },
		{ "1000@900", REAL + 100 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error err = { 0 };
		time_t off = -1;

		if (clock_parse_test_now(cases[i].s, REAL, &off, &err) < 0 ||
		    REAL + off != cases[i].want) {
			fprintf(stderr, "%s: %lld, want %lld (%s)\n",
			        cases[i].s, (long long)(REAL + off),
			        (long long)cases[i].want, err.msg);
			check_fails++;
		}
	}
}

static void
test_refused(void)
{
	static const char *bad[] = {
		"",
		"now",
		"-5",
		"+5",
		" 1000",
		"1000 ",
		"1e9",
		"2026-02-30",
		"2026-13-01",
		"2026-00-10",
		"2026-12-31T24:00",
		"2026-12-31T23:60",
		"2026-12-31T23:59:61",
		"2026-12-31T",
		"2026-12-31T23",
		"2026-12-31T23:59:5",
		"2026-12-31Zx",
		"26-12-31",
		"2026-1-31",
		"1969-12-31",
		"1000@",
		"1000@x",
		"1000@@5",
		"@1000",
		"1234567890123",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct error err = { 0 };
		time_t off = 12345;

		if (clock_parse_test_now(bad[i], REAL, &off, &err) != -1 ||
		    off != 12345 || err.msg[0] == '\0') {
			fprintf(stderr, "\"%s\" was taken\n", bad[i]);
			check_fails++;
		}
	}
}

/* This binary is a test build: clock_now() reads KUNTAMON_TEST_NOW once,
 * then advances with the real clock. */
static void
test_now(void)
{
	time_t want = 1798761590, t0, t1; /* 2026-12-31T23:59:50Z */

	setenv("KUNTAMON_TEST_NOW", "2026-12-31T23:59:50Z", 1);
	t0 = clock_now();
	CHECK(t0 >= want && t0 <= want + 2);
	setenv("KUNTAMON_TEST_NOW", "2000-01-01", 1); /* read once only */
	t1 = clock_now();
	CHECK(t1 >= t0 && t1 <= t0 + 2);
}

int
main(void)
{
	RUN(test_forms);
	RUN(test_refused);
	RUN(test_now);
	return check_done();
}
