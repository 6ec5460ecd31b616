/*
 * test_reporting.c: on-time rules, statuses, and the scheduler's backoff.
 */
#include "check.h"
#include "reporting.h"
#include "scheduler.h"
#include "timespec.h"

static time_t
utc(int y, int m, int d)
{
	return period_start(y * 12 + m - 1) + (time_t)(d - 1) * 86400;
}

static void
test_expected_period(void)
{
	int oct = 2026 * 12 + 9, sep = oct - 1;

	/* Before Oct's deadline (Nov 1 + 15 days) September is expected. */
	CHECK(reporting_expected_period(utc(2026, 11, 10), 15) == sep);
	CHECK(reporting_expected_period(utc(2026, 11, 16) - 1, 15) == sep);
	CHECK(reporting_expected_period(utc(2026, 11, 16), 15) == oct);
	CHECK(reporting_expected_period(utc(2026, 11, 30), 15) == oct);
	/* ontime_days 0: due the moment the month ends. */
	CHECK(reporting_expected_period(utc(2026, 11, 1), 0) == oct);
	/* Across a year end. */
	CHECK(reporting_expected_period(utc(2027, 1, 20), 15) ==
	      2026 * 12 + 11);
}

static void
test_ontime(void)
{
	int oct = 2026 * 12 + 9;

	CHECK(reporting_is_ontime(oct, utc(2026, 11, 16), 15));
	CHECK(!reporting_is_ontime(oct, utc(2026, 11, 16) + 1, 15));
	CHECK(reporting_is_ontime(oct, utc(2026, 10, 20), 15));
}

static void
test_status(void)
{
	time_t now = utc(2026, 11, 23);
	static const struct {
		int latest, failures;
		enum report_status want;
	} cases[] = {
		{ -1, 0, REPORT_NEVER },
		{ -1, 3, REPORT_FAILING },
		{ 2026 * 12 + 9, 0, REPORT_OK },
		{ 2026 * 12 + 8, 0, REPORT_LATE },
		{ 2026 * 12 + 9, 1, REPORT_FAILING },
		{ 2026 * 12 + 10, 0, REPORT_OK },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(reporting_status(cases[i].latest, cases[i].failures, now,
		                       15) == cases[i].want);
	CHECK_STR(reporting_status_name(REPORT_LATE), "late");
	CHECK_STR(reporting_status_name(REPORT_NEVER), "never");
}

static void
test_backoff(void)
{
	/* Doubling from one interval, capped at 32 intervals. */
	CHECK(scheduler_backoff_s(300, 0) == 300);
	CHECK(scheduler_backoff_s(300, 1) == 300);
	CHECK(scheduler_backoff_s(300, 2) == 600);
	CHECK(scheduler_backoff_s(300, 3) == 1200);
	CHECK(scheduler_backoff_s(300, 6) == 9600);
	CHECK(scheduler_backoff_s(300, 7) == 9600);
	CHECK(scheduler_backoff_s(300, 1000) == 9600);
	/* And at one day. */
	CHECK(scheduler_backoff_s(3600, 10) == 86400);
	CHECK(scheduler_backoff_s(1, 3) == 4);
	/* An interval longer than the cap is still one interval. */
	CHECK(scheduler_backoff_s(86400 * 2, 5) == 86400 * 2);
}

int
main(void)
{
	RUN(test_expected_period);
	RUN(test_ontime);
	RUN(test_status);
	RUN(test_backoff);
	return check_done();
}
