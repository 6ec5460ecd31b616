/*
 * test_api_flags.c: api_flags_parse_confirm, the body of POST
 * /api/v1/flags: what it takes and what it refuses, and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_flags.h"
#include "check.h"
#include "timespec.h"

static const struct {
	const char *body;
	const char *error; /* NULL: taken; else a part of the message */
} cases[] = {
	{ "{\"area\": \"KU091\", \"measure\": \"contacts\", \"period\": "
	  "\"2026-10\", \"comment\": \"A new office.\"}",
	  NULL },
	/* tab and line ends are text; escapes are read */
	{ "{\"area\": \"KU091\", \"measure\": \"contacts\", \"period\": "
	  "\"2026-10\", \"comment\": \"a\\tb\\nc \\u00e4 \\ud83d\\ude00\"}",
	  NULL },
	{ "[1]", "JSON object" },
	{ "{\"area\": \"KU091\"", "JSON object" },
	{ "", "JSON object" },
	{ "{\"measure\": \"contacts\", \"period\": \"2026-10\", "
	  "\"comment\": \"x\"}",
	  "\"area\": a string" },
	{ "{\"area\": 91, \"measure\": \"contacts\", \"period\": \"2026-10\", "
	  "\"comment\": \"x\"}",
	  "\"area\": a string" },
	{ "{\"area\": \"KU091\", \"measure\": \"\", \"period\": \"2026-10\", "
	  "\"comment\": \"x\"}",
	  "\"measure\": must be 1 to" },
	{ "{\"area\": \"KU091\", \"measure\": \"contacts\", \"period\": "
	  "\"2026-13\", \"comment\": \"x\"}",
	  "\"period\": not YYYY-MM" },
	{ "{\"area\": \"KU091\", \"measure\": \"contacts\", \"period\": "
	  "\"2026-10\"}",
	  "\"comment\": a string" },
	{ "{\"area\": \"KU091\", \"measure\": \"contacts\", \"period\": "
	  "\"2026-10\", \"comment\": \"\"}",
	  "\"comment\": must be 1 to" },
	{ "{\"area\": \"KU091\", \"measure\": \"contacts\", \"period\": "
	  "\"2026-10\", \"comment\": \"a\\u0007b\"}",
	  "control characters" },
	{ "{\"area\": \"KU091\", \"measure\": \"contacts\", \"period\": "
	  "\"2026-10\", \"comment\": \"\xc0\xaf\"}",
	  "must be UTF-8" },
	{ "{\"area\": \"KU091\", \"measure\": \"contacts\", \"period\": "
	  "\"2026-10\", \"comment\": \"\xed\xa0\x80\"}",
	  "must be UTF-8" },
	{ "{\"area\": \"KU091\", \"measure\": \"contacts\", \"period\": "
	  "\"2026-10\", \"comment\": \"\xc2\x85\"}",
	  "control characters" },
};

static void
test_cases(void)
{
	struct flags_confirm *c = calloc(1, sizeof(*c));
	struct error err;
	size_t i;

	for (i = 0; c != NULL && i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		memset(&err, 0, sizeof(err));
		rc = api_flags_parse_confirm(cases[i].body,
		                             strlen(cases[i].body), c, &err);
		if (cases[i].error == NULL) {
			CHECK(rc == 0);
			CHECK_STR(c->area, "KU091");
			CHECK_STR(c->measure, "contacts");
			CHECK(c->period == 2026 * 12 + 9);
		} else if (rc == 0 || strstr(err.msg, cases[i].error) == NULL) {
			fprintf(stderr,
			        "case %zu: rc %d, \"%s\", want \"%s\"\n", i, rc,
			        err.msg, cases[i].error);
			CHECK(0);
		}
	}
	free(c);
}

/* 500 characters are the most; bytes do not count, characters do. */
static void
test_comment_length(void)
{
	struct flags_confirm *c = calloc(1, sizeof(*c));
	char *body = malloc(8192);
	struct error err = { 0 };
	size_t n, i;

	if (c == NULL || body == NULL)
		abort();
	/* 500 four-byte characters: 2000 bytes, taken */
	n = (size_t)snprintf(body, 8192,
	                     "{\"area\": \"KU091\", \"measure\": \"m\", "
	                     "\"period\": \"2026-10\", \"comment\": \"");
	for (i = 0; i < 500; i++, n += 4)
		memcpy(body + n, "\xf0\x9f\x98\x80", 4);
	memcpy(body + n, "\"}", 3);
	CHECK(api_flags_parse_confirm(body, strlen(body), c, &err) == 0);
	CHECK(strlen(c->comment) == 2000);
	/* 501 one-byte characters: refused */
	n = (size_t)snprintf(body, 8192,
	                     "{\"area\": \"KU091\", \"measure\": \"m\", "
	                     "\"period\": \"2026-10\", \"comment\": \"");
	memset(body + n, 'x', 501);
	memcpy(body + n + 501, "\"}", 3);
	CHECK(api_flags_parse_confirm(body, strlen(body), c, &err) < 0);
	CHECK(strstr(err.msg, "at most 500 characters") != NULL);
	CHECK(c->comment[0] == '\0');
	free(body);
	free(c);
}

int
main(void)
{
	RUN(test_cases);
	RUN(test_comment_length);
	return check_done();
}
