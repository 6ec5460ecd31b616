/*
 * clock.h: the wall clock, "now" as a date: what periods, the expected
 * period, on-time, received times, token and session expiry, audit lines
 * and retention are measured against. Timers and timeouts (poll
 * intervals, deadlines, waits) use CLOCK_MONOTONIC instead, and log lines
 * carry the real time.
 *
 * Test builds (every binary `make` and `make check` build; not the ones
 * `make install` installs) read KUNTAMON_TEST_NOW so that the suite can
 * run on any date (tests/run.sh, tests/check-all.sh):
 *
 *   KUNTAMON_TEST_NOW=WHEN        WHEN at the process's first clock_now(),
 *                                 then advancing with the real clock
 *   KUNTAMON_TEST_NOW=WHEN@REAL   WHEN at the real Unix time REAL, so that
 *                                 processes started apart agree
 *
 * WHEN is Unix seconds or a UTC date "YYYY-MM-DD[THH:MM[:SS]][Z]".
 */
#ifndef KUNTAMON_CLOCK_H
#define KUNTAMON_CLOCK_H

#include <time.h>

#include "error.h"

/* Unix seconds now. Thread-safe. In a test build with a malformed
 * KUNTAMON_TEST_NOW it aborts with a message on the first call. */
time_t clock_now(void);

/* Parses a KUNTAMON_TEST_NOW value read at the real time real_now into
 * the offset to add to the real clock. Pure; -1 with err->msg if
 * malformed. */
int clock_parse_test_now(const char *text, time_t real_now,
                         time_t *out_offset_s, struct error *err);

#endif
