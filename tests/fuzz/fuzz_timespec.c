/*
 * fuzz_timespec.c: timespec_parse and period_parse on arbitrary strings,
 * with the round trips that must hold for whatever parses: a period
 * formats back to the same text and contains its own first and last
 * second; a time that is not "now"-relative lies in [0, 9999-12-31].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timespec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW ((time_t)1767225600) /* 2026-01-01 */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64], back[16];
	struct error err;
	time_t t;
	int p;

	/* Specs come from query strings; longer ones are just as invalid. */
	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(&err, 0, sizeof(err));
	if (timespec_parse(s, NOW, &t, &err) == 0) {
		if (err.msg[0] != '\0' || t < 0 || t > 253402300799LL)
			abort();
		if (s[0] == '-' && t > NOW)
			abort();
	} else if (err.msg[0] == '\0') {
		abort();
	}

	if (period_parse(s, &p) == 0) {
		period_format(p, back, sizeof(back));
		if (strcmp(back, s) != 0 || period_of(period_start(p)) != p ||
		    period_of(period_end(p) - 1) != p ||
		    period_end(p) <= period_start(p) ||
		    timespec_parse(s, NOW, &t, NULL) != 0 ||
		    t != period_start(p))
			abort();
	}

	/* Any 64-bit time maps to a period whose bounds contain it, as long
	 * as the period is representable. */
	if (size >= 8) {
		int64_t v;

		memcpy(&v, data, sizeof(v));
		p = period_of((time_t)v);
		if (v > -((int64_t)1 << 50) && v < ((int64_t)1 << 50) &&
		    (period_start(p) > v || period_end(p) <= v))
			abort();
	}
	return 0;
}
