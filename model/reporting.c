/*
 * reporting.c: on-time and status rules for municipal reports. Pure.
 */
#include "reporting.h"
#include "timespec.h"

static const char *const status_names[] = { "ok", "late", "failing", "never" };

const char *
reporting_status_name(enum report_status st)
{
	return status_names[st];
}

int
reporting_expected_period(time_t now, int ontime_days)
{
	int last = period_of(now) - 1;

	if (now >= period_end(last) + (time_t)ontime_days * 86400)
		return last;
	return last - 1;
}

bool
reporting_is_ontime(int period, time_t received, int ontime_days)
{
	return received <= period_end(period) + (time_t)ontime_days * 86400;
}

enum report_status
reporting_status(int latest_period, int n_failures, time_t now, int ontime_days)
{
	if (n_failures > 0)
		return REPORT_FAILING;
	if (latest_period < 0)
		return REPORT_NEVER;
	if (latest_period < reporting_expected_period(now, ontime_days))
		return REPORT_LATE;
	return REPORT_OK;
}
