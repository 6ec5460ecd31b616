/*
 * reporting.h: whether a municipality's reporting is on time (SPEC §5).
 * Pure arithmetic on periods and times.
 */
#ifndef KUNTAMON_REPORTING_H
#define KUNTAMON_REPORTING_H

#include <stdbool.h>
#include <time.h>

enum report_status {
	REPORT_OK,
	REPORT_LATE,
	REPORT_FAILING,
	REPORT_NEVER,
	N_REPORT_STATUSES
};

/* "ok", "late", "failing", "never". */
const char *reporting_status_name(enum report_status st);

/* The latest period a municipality should have reported by now: last
 * month once ontime_days have passed since it ended, else the month
 * before. */
int reporting_expected_period(time_t now, int ontime_days);

/* A report of period received at `received` is on time if it arrived
 * within ontime_days after the period ended. */
bool reporting_is_ontime(int period, time_t received, int ontime_days);

/* latest_period: -1 if it never reported. n_failures: consecutive failed
 * polls (0 for municipalities that submit). failing > never > late > ok:
 * an endpoint that fails is named so even if it never reported. */
enum report_status reporting_status(int latest_period, int n_failures,
                                    time_t now, int ontime_days);

#endif
