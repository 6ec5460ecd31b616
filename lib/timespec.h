/*
 * timespec.h: time specifications and reporting periods. Pure.
 *
 * A period is a calendar month, encoded as year * 12 + (month - 1), so
 * consecutive months are consecutive integers. All times are UTC.
 */
#ifndef KUNTAMON_TIMESPEC_H
#define KUNTAMON_TIMESPEC_H

#include <time.h>

#include "error.h"

/* Parses "now", "-30d" / "-12h" / "-15m" / "-90s" / "-2w" / "-1y" (relative
 * to now), Unix seconds ("1700000000"), or "YYYY-MM" (the month's first
 * second). Anything else is -1 with err->msg. */
int timespec_parse(const char *s, time_t now, time_t *out, struct error *err);
/* The same as the end of a range: "YYYY-MM" is the month's last second,
 * so that the month is included (SPEC §6). */
int timespec_parse_end(const char *s, time_t now, time_t *out,
                       struct error *err);

/* "YYYY-MM" (year 1970..9999, month 01..12) -> period; -1 if malformed. */
int period_parse(const char *s, int *out_period);
/* Writes "YYYY-MM" into out (at least 8 bytes). */
void period_format(int period, char *out, size_t out_size);
/* First second of the period, and first second after it. */
time_t period_start(int period);
time_t period_end(int period);
/* The period that contains t. */
int period_of(time_t t);

#endif
