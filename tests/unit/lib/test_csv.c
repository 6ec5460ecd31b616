/*
 * test_csv.c: the RFC 4180 reader: quoting, line ends, BOM, empty lines,
 * limits, and every error with the line it names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csv.h"

/* Records flattened to "line:f1|f2|...;" so a whole parse is one string. */
struct collect {
	char out[8192];
	size_t len;
	int stop_at; /* return -1 at this record (1-based), 0: never */
	int n_records;
};

static int
collect_row(void *ctx, int line, char **fields, size_t n, struct error *err)
{
	struct collect *c = ctx;
	size_t i;
	int k;

	c->n_records++;
	if (c->stop_at == c->n_records)
		return error_set(err, line, "stopped by callback");
	k = snprintf(c->out + c->len, sizeof(c->out) - c->len, "%d:", line);
	c->len += (size_t)k;
	for (i = 0; i < n; i++) {
		k = snprintf(c->out + c->len, sizeof(c->out) - c->len, "%s%s",
		             i ? "|" : "", fields[i]);
		c->len += (size_t)k;
	}
	k = snprintf(c->out + c->len, sizeof(c->out) - c->len, ";");
	c->len += (size_t)k;
	return 0;
}

static int
parse(const char *data, size_t len, struct collect *c, struct error *err)
{
	memset(c, 0, sizeof(*c));
	memset(err, 0, sizeof(*err));
	return csv_parse(data, len, collect_row, c, err);
}

static void
test_valid(void)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "", "" },
		{ "a,b,c\n", "1:a|b|c;" },
		{ "a,b,c", "1:a|b|c;" }, /* no final line end */
		{ "a,b\r\nc,d\r\n", "1:a|b;2:c|d;" },
		{ "a\rb\r", "1:a;2:b;" }, /* lone CR ends a line */
		{ "\xEF\xBB\xBFx,y\n", "1:x|y;" },
		{ "x,\xEF\xBB\xBFy\n",
		  "1:x|\xEF\xBB\xBFy;" }, /* BOM only first */
		{ "\n\na\n\r\n\nb\n\n", "3:a;6:b;" },
		{ "a,,\n", "1:a||;" },
		{ ",\n", "1:|;" },
		{ "\"\"\n", "1:;" }, /* one empty field, not an empty line */
		{ " a , b \n", "1: a | b ;" }, /* spaces are data */
		{ "\"a,b\",c\n", "1:a,b|c;" },
		{ "\"say \"\"hi\"\"\",x\n", "1:say \"hi\"|x;" },
		{ "\"two\nlines\",x\ny\n", "1:two\nlines|x;3:y;" },
		{ "\"crlf\r\ninside\"\r\nz\r\n", "1:crlf\r\ninside;3:z;" },
		{ "\"\",\"\"", "1:|;" },
		{ "\"\"\"\"", "1:\";" },
		{ "Åland,Ahvenanmaa\n", "1:Åland|Ahvenanmaa;" },
	};
	struct collect c;
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int rc = parse(cases[i].in, strlen(cases[i].in), &c, &err);

		CHECK(rc == 0);
		if (rc != 0)
			fprintf(stderr, "case %zu: %d: %s\n", i, err.line,
			        err.msg);
		CHECK_STR(c.out, cases[i].want);
	}
}

static void
test_errors(void)
{
	static const struct {
		const char *in;
		int line;
		const char *msg;
	} cases[] = {
		{ "a\n\"open,b\n", 2, "unterminated quoted field" },
		{ "a\nb,\"x\ny\nz", 2, "unterminated quoted field" },
		{ "\"abc\"d\n", 1, "unexpected character after closing quote" },
		{ "a\n\"x\ny\" z\n", 3,
		  "unexpected character after closing quote" },
		{ "a\nb\"c\n", 2, "quote inside unquoted field" },
		{ "ok\n\nx,\"y\ny\"\nbad\"\n", 5,
		  "quote inside unquoted field" },
	};
	struct collect c;
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		CHECK(parse(cases[i].in, strlen(cases[i].in), &c, &err) == -1);
		CHECK(err.line == cases[i].line);
		if (err.line != cases[i].line)
			fprintf(stderr, "case %zu: line %d\n", i, err.line);
		CHECK_STR(err.msg, cases[i].msg);
	}
}

static void
test_nul(void)
{
	static const char in1[] = "a,b\nc\0d\n";
	static const char in2[] = "a\n\n\"x\ny\0\"\n";
	struct collect c;
	struct error err;

	CHECK(parse(in1, sizeof(in1) - 1, &c, &err) == -1);
	CHECK(err.line == 2);
	CHECK_STR(err.msg, "NUL byte");
	CHECK(parse(in2, sizeof(in2) - 1, &c, &err) == -1);
	CHECK(err.line == 4);
	CHECK_STR(err.msg, "NUL byte");
}

/* Fields up to the limit pass; one byte more fails, quoted or not. */
static void
test_field_limit(void)
{
	size_t n = CSV_MAX_FIELD + 16;
	char *in = malloc(n + 8);
	struct collect c;
	struct error err;
	size_t len;

	/* "x\n" then a field of exactly CSV_MAX_FIELD bytes */
	memcpy(in, "x\n", 2);
	memset(in + 2, 'a', CSV_MAX_FIELD);
	len = 2 + CSV_MAX_FIELD;
	CHECK(parse(in, len, &c, &err) == 0);
	CHECK(c.n_records == 2);

	in[len] = 'a';
	CHECK(parse(in, len + 1, &c, &err) == -1);
	CHECK(err.line == 2);
	CHECK_STR(err.msg, "field longer than 4096 bytes");

	/* Quoted, starting on line 2, with "" escapes counted once each. */
	in[2] = '"';
	memset(in + 3, '"', 2);
	memset(in + 5, 'b', CSV_MAX_FIELD - 1);
	in[5 + CSV_MAX_FIELD - 1] = '"';
	len = 5 + CSV_MAX_FIELD;
	CHECK(parse(in, len, &c, &err) == 0);
	CHECK(c.n_records == 2);
	in[len - 1] = 'b';
	in[len] = '"';
	CHECK(parse(in, len + 1, &c, &err) == -1);
	CHECK(err.line == 2);
	CHECK_STR(err.msg, "field longer than 4096 bytes");
	free(in);
}

static void
test_fields_limit(void)
{
	char in[512];
	struct collect c;
	struct error err;
	size_t len = 0;
	int i;

	len += (size_t)snprintf(in + len, sizeof(in) - len, "h\n\n");
	for (i = 0; i < CSV_MAX_FIELDS; i++)
		len += (size_t)snprintf(in + len, sizeof(in) - len, "%s%d",
		                        i ? "," : "", i);
	CHECK(parse(in, len, &c, &err) == 0);
	CHECK(c.n_records == 2);
	len += (size_t)snprintf(in + len, sizeof(in) - len, ",x\n");
	CHECK(parse(in, len, &c, &err) == -1);
	CHECK(err.line == 3);
	CHECK_STR(err.msg, "more than 64 fields");
	/* An empty 65th field counts too. */
	in[len - 2] = '\n';
	CHECK(parse(in, len - 2, &c, &err) == -1);
	CHECK_STR(err.msg, "more than 64 fields");
}

static void
test_callback_stops(void)
{
	const char *in = "a\nb\nc\n";
	struct collect c;
	struct error err;

	memset(&c, 0, sizeof(c));
	memset(&err, 0, sizeof(err));
	c.stop_at = 2;
	CHECK(csv_parse(in, strlen(in), collect_row, &c, &err) == -1);
	CHECK(err.line == 2);
	CHECK_STR(err.msg, "stopped by callback");
	CHECK(c.n_records == 2);
}

/* Fields are NUL-terminated copies: a field never runs into the next. */
static void
test_fields_terminated(void)
{
	const char *in = "abc,\"d,e\",f\n";
	struct collect c;
	struct error err;

	CHECK(parse(in, strlen(in), &c, &err) == 0);
	CHECK_STR(c.out, "1:abc|d,e|f;");
	/* Input need not be NUL-terminated: nothing past len is read. */
	in = "abc,def,ghi\n";
	CHECK(parse(in, 5, &c, &err) == 0);
	CHECK_STR(c.out, "1:abc|d;");
}

int
main(void)
{
	RUN(test_valid);
	RUN(test_errors);
	RUN(test_nul);
	RUN(test_field_limit);
	RUN(test_fields_limit);
	RUN(test_callback_stops);
	RUN(test_fields_terminated);
	return check_done();
}
