/*
 * fuzz_flags.c: api_flags_parse_confirm, the body of POST /api/v1/flags,
 * over arbitrary bytes. Checks: a refusal says what is wrong and leaves
 * nothing behind; a body taken has its strings whole and within their
 * buffers, a period that formats back to what parses, and a comment of
 * 1..500 characters of UTF-8 with no control characters but tab and line
 * ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_flags.h"
#include "timespec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Characters of s, counting lead bytes; -1 on a byte no comment has. */
static long
n_chars(const char *s)
{
	long n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f || c == 0xc0 || c == 0xc1 || c > 0xf4)
			return -1;
		if ((c & 0xc0) != 0x80)
			n++;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flags_confirm *c = calloc(1, sizeof(*c));
	struct error err;
	char period[16];
	int back;
	long n;

	if (c == NULL)
		abort();
	memset(&err, 0, sizeof(err));
	if (api_flags_parse_confirm((const char *)data, size, c, &err) < 0) {
		if (err.msg[0] == '\0' || c->area[0] != '\0' ||
		    c->comment[0] != '\0')
			abort();
		goto out;
	}
	if (c->area[0] == '\0' || c->measure[0] == '\0' ||
	    memchr(c->area, '\0', sizeof(c->area)) == NULL ||
	    memchr(c->measure, '\0', sizeof(c->measure)) == NULL ||
	    memchr(c->comment, '\0', sizeof(c->comment)) == NULL)
		abort();
	n = n_chars(c->comment);
	if (n < 1 || n > FLAGS_COMMENT_MAX_CHARS)
		abort();
	period_format(c->period, period, sizeof(period));
	if (period_parse(period, &back) < 0 || back != c->period)
		abort();
out:
	free(c);
	return 0;
}
