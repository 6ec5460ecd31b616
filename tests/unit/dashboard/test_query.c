/*
 * test_query.c: query strings, request paths and the route matcher (all
 * pure), table-driven.
 */
#include <string.h>

#include "check.h"
#include "query.h"
#include "routes.h"

/* Route handlers the tables below never call. */
static void
nop(const struct request *req, struct response *resp)
{
	(void)req;
	(void)resp;
}

static void
test_parse_ok(void)
{
	static const struct {
		const char *in;
		size_t n;
		const char *names[4], *values[4];
	} cases[] = {
		{ "", 0, { NULL }, { NULL } },
		{ "a=1", 1, { "a" }, { "1" } },
		{ "area=KU091&indicator=gp_coverage",
		  2,
		  { "area", "indicator" },
		  { "KU091", "gp_coverage" } },
		{ "start=-30d&end=now",
		  2,
		  { "start", "end" },
		  { "-30d", "now" } },
		{ "q=a%20b+c", 1, { "q" }, { "a b c" } },
		{ "q=%41%62%2f", 1, { "q" }, { "Ab/" } },
		{ "flag", 1, { "flag" }, { "" } },
		{ "flag=", 1, { "flag" }, { "" } },
		{ "a=1&&b=2&", 2, { "a", "b" }, { "1", "2" } },
		{ "a==b", 1, { "a" }, { "=b" } },
		{ "name=%C3%A4%C3%B6", 1, { "name" }, { "\xc3\xa4\xc3\xb6" } },
		{ "x.y-z_1=v", 1, { "x.y-z_1" }, { "v" } },
		{ "%61=b", 1, { "a" }, { "b" } },
	};
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct query q;
		struct error err = { 0 };
		int rc =
		    query_parse(cases[i].in, strlen(cases[i].in), &q, &err);

		CHECK(rc == 0);
		if (rc != 0) {
			fprintf(stderr, "  case %s: %s\n", cases[i].in,
			        err.msg);
			continue;
		}
		CHECK(q.n_params == cases[i].n);
		for (k = 0; k < cases[i].n && k < q.n_params; k++) {
			CHECK_STR(q.params[k].name, cases[i].names[k]);
			CHECK_STR(q.params[k].value, cases[i].values[k]);
			CHECK_STR(query_get(&q, cases[i].names[k]),
			          cases[i].values[k]);
		}
		CHECK(query_get(&q, "absent") == NULL);
		query_reset(&q);
	}
}

static void
test_parse_errors(void)
{
	static char many[512], long_value[QUERY_VALUE_MAX + 16],
	    long_query[QUERY_MAX_BYTES + 8];
	static const struct {
		const char *in;
		const char *msg;
	} cases[] = {
		{ "area=%zz", "parameter area: invalid % escape" },
		{ "area=%4", "parameter area: invalid % escape" },
		{ "area=%", "parameter area: invalid % escape" },
		{ "area=a%00b",
		  "parameter area: contains a NUL or control byte" },
		{ "area=a%0ab",
		  "parameter area: contains a NUL or control byte" },
		{ "area=a%7f",
		  "parameter area: contains a NUL or control byte" },
		{ "area=1&area=2", "parameter area: given more than once" },
		{ "a=1&b=2&a=3", "parameter a: given more than once" },
		{ "=x", "empty parameter name" },
		{ "a%00=x", "invalid parameter name" },
		{ "a[]=x", "invalid parameter name" },
		{ "a%3cb=x", "invalid parameter name" },
		{ "%zz=x", "invalid parameter name" },
		{ "abcdefghijabcdefghijabcdefghijabc=1",
		  "parameter name too long (at most 32 bytes)" },
		{ "name=%C3", "parameter name: not valid UTF-8" },
		{ "name=%C0%AF", "parameter name: not valid UTF-8" },
		{ "name=%ED%A0%80", "parameter name: not valid UTF-8" },
		{ "name=\xff", "parameter name: not valid UTF-8" },
		{ many, "too many parameters (at most 32)" },
		{ long_value,
		  "parameter v: value too long (at most 1024 bytes)" },
		{ long_query, "query string too long (at most 4096 bytes)" },
	};
	size_t i, o = 0;

	for (i = 0; i < 33; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%sp%zu=1",
		                      i > 0 ? "&" : "", i);
	memcpy(long_value, "v=", 2);
	memset(long_value + 2, 'x', QUERY_VALUE_MAX + 1);
	memset(long_query, 'x', QUERY_MAX_BYTES + 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct query q;
		struct error err = { 0 };

		CHECK(query_parse(cases[i].in, strlen(cases[i].in), &q, &err) ==
		      -1);
		CHECK_STR(err.msg, cases[i].msg);
		CHECK(q.n_params == 0 && q.storage == NULL);
	}
}

static void
test_parse_limits(void)
{
	static char ok32[512], value_max[QUERY_VALUE_MAX + 8];
	struct query q;
	struct error err = { 0 };
	size_t i, o = 0;

	for (i = 0; i < 32; i++)
		o += (size_t)snprintf(ok32 + o, sizeof(ok32) - o, "%sp%zu=%zu",
		                      i > 0 ? "&" : "", i, i);
	CHECK(query_parse(ok32, strlen(ok32), &q, &err) == 0);
	CHECK(q.n_params == 32);
	CHECK_STR(query_get(&q, "p31"), "31");
	query_reset(&q);

	memcpy(value_max, "v=", 2);
	memset(value_max + 2, 'y', QUERY_VALUE_MAX);
	CHECK(query_parse(value_max, strlen(value_max), &q, &err) == 0);
	CHECK(strlen(query_get(&q, "v")) == QUERY_VALUE_MAX);
	query_reset(&q);

	/* Not NUL-terminated: only len bytes count. */
	CHECK(query_parse("a=1&b=2", 3, &q, &err) == 0);
	CHECK(q.n_params == 1 && query_get(&q, "b") == NULL);
	query_reset(&q);
}

static void
test_get_int(void)
{
	static const struct {
		const char *query;
		int rc;
		long want;
	} cases[] = {
		{ "", 0, 800 },
		{ "width=100", 0, 100 },
		{ "width=4000", 0, 4000 },
		{ "width=1234", 0, 1234 },
		{ "width=99", -1, 0 },
		{ "width=4001", -1, 0 },
		{ "width=", -1, 0 },
		{ "width=12px", -1, 0 },
		{ "width=+500", -1, 0 },
		{ "width=%20500", -1, 0 },
		{ "width=0x200", -1, 0 },
		{ "width=99999999999999999999999", -1, 0 },
		{ "width=-500", -1, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct query q;
		struct error err = { 0 };
		long v = -7;

		CHECK(query_parse(cases[i].query, strlen(cases[i].query), &q,
		                  &err) == 0);
		CHECK(query_get_int(&q, "width", 100, 4000, 800, &v, &err) ==
		      cases[i].rc);
		if (cases[i].rc == 0)
			CHECK(v == cases[i].want);
		else
			CHECK_STR(err.msg, "parameter width: must be an "
			                   "integer between 100 and 4000");
		query_reset(&q);
	}
}

static void
test_get_choice(void)
{
	static const char *const levels[] = { "region", "municipality" };
	struct query q;
	struct error err = { 0 };
	int v = -1;

	CHECK(query_parse("level=municipality", 18, &q, &err) == 0);
	CHECK(query_get_choice(&q, "level", levels, 2, 0, &v, &err) == 0);
	CHECK(v == 1);
	CHECK(query_get_choice(&q, "other", levels, 2, 0, &v, &err) == 0);
	CHECK(v == 0);
	query_reset(&q);
	CHECK(query_parse("level=Region", 12, &q, &err) == 0);
	CHECK(query_get_choice(&q, "level", levels, 2, 0, &v, &err) == -1);
	CHECK_STR(err.msg,
	          "parameter level: must be one of region, municipality");
	query_reset(&q);
}

static void
test_path_decode(void)
{
	static char long_path[QUERY_PATH_MAX + 8];
	static const struct {
		const char *raw;
		const char *want; /* NULL: an error */
	} cases[] = {
		{ "/", "/" },
		{ "/api/v1/catalog", "/api/v1/catalog" },
		{ "/municipality/KU091", "/municipality/KU091" },
		{ "/a%20b", "/a b" },
		{ "/%4b%55091", "/KU091" },
		{ "/chart/../../etc/passwd.svg", NULL },
		{ "/%2e%2e/x", NULL },
		{ "/%2E%2E/x", NULL },
		{ "/.%2e/x", NULL },
		{ "/a%2fb", NULL },
		{ "/a%2Fb", NULL },
		{ "/a%5cb", NULL },
		{ "/a\\b", NULL },
		{ "/a%00b", NULL },
		{ "/a%0d%0ab", NULL },
		{ "/a%zz", NULL },
		{ "/a%4", NULL },
		{ "//etc/passwd", NULL },
		{ "/a//b", NULL },
		{ "/./a", NULL },
		{ "/a/.", NULL },
		{ "/a/..", NULL },
		{ "/..", NULL },
		{ "/a..b", NULL },
		{ "relative", NULL },
		{ "", NULL },
		{ "*", NULL },
		{ "http://host/x", NULL },
		{ "/%ff", NULL },
		{ "/\x01", NULL },
		{ long_path, NULL },
	};
	size_t i;

	long_path[0] = '/';
	memset(long_path + 1, 'a', QUERY_PATH_MAX);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[QUERY_PATH_MAX + 1];
		struct error err = { 0 };
		int rc = query_path_decode(cases[i].raw, strlen(cases[i].raw),
		                           out, sizeof(out), &err);

		if (cases[i].want != NULL) {
			CHECK(rc == 0);
			if (rc == 0)
				CHECK_STR(out, cases[i].want);
		} else {
			CHECK(rc == -1);
			CHECK(err.msg[0] != '\0');
			if (rc == 0)
				fprintf(stderr, "  accepted %s\n",
				        cases[i].raw);
		}
	}
	/* A raw NUL byte inside the given length. */
	{
		char out[64];

		CHECK(query_path_decode("/a\0b", 4, out, sizeof(out), NULL) ==
		      -1);
		CHECK(query_path_decode("/abc", 4, out, 4, NULL) == -1);
		CHECK(query_path_decode("/abc", 4, out, 5, NULL) == 0);
	}
}

static const struct route table[] = {
	{ "GET", "/healthz", nop, ROUTE_OPEN, false, false },
	{ "GET", "/region/{area}", nop, ROUTE_PUBLIC, false, false },
	{ "GET", "/chart/{area}/{indicator}.svg", nop, ROUTE_PUBLIC, false,
	  false },
	{ "GET", "/chart/{area}/{indicator}.png", nop, ROUTE_PUBLIC, false,
	  false },
	{ "GET", "/api/v1/submissions", nop, ROUTE_TOKEN, false, false },
	{ "POST", "/api/v1/submissions", nop, ROUTE_TOKEN, true, false },
	{ "GET", "/x/pre{v}post", nop, ROUTE_PUBLIC, false, false },
	{ "GET", "/", nop, ROUTE_PUBLIC, false, false },
};

static void
test_match(void)
{
	static const struct {
		const char *method, *path;
		int result;
		size_t index;
		const char *c1, *c2; /* captures, or allow for 405 */
	} cases[] = {
		{ "GET", "/healthz", ROUTE_FOUND, 0, NULL, NULL },
		{ "HEAD", "/healthz", ROUTE_FOUND, 0, NULL, NULL },
		{ "GET", "/", ROUTE_FOUND, 7, NULL, NULL },
		{ "POST", "/healthz", ROUTE_BAD_METHOD, 0, "GET, HEAD", NULL },
		{ "DELETE", "/api/v1/submissions", ROUTE_BAD_METHOD, 0,
		  "GET, HEAD, POST", NULL },
		{ "POST", "/api/v1/submissions", ROUTE_FOUND, 5, NULL, NULL },
		{ "GET", "/healthz/", ROUTE_NOT_FOUND, 0, NULL, NULL },
		{ "GET", "/healthzz", ROUTE_NOT_FOUND, 0, NULL, NULL },
		{ "GET", "/region/MK01", ROUTE_FOUND, 1, "MK01", NULL },
		{ "GET", "/region/", ROUTE_NOT_FOUND, 0, NULL, NULL },
		{ "GET", "/region/MK01/x", ROUTE_NOT_FOUND, 0, NULL, NULL },
		{ "GET", "/region/MK 01", ROUTE_NOT_FOUND, 0, NULL, NULL },
		{ "GET", "/chart/KU091/gp_coverage.svg", ROUTE_FOUND, 2,
		  "KU091", "gp_coverage" },
		{ "HEAD", "/chart/KU091/gp_coverage.png", ROUTE_FOUND, 3,
		  "KU091", "gp_coverage" },
		{ "GET", "/chart/KU091/a.b.svg", ROUTE_NOT_FOUND, 0, NULL,
		  NULL },
		{ "GET", "/chart/KU091/.svg", ROUTE_NOT_FOUND, 0, NULL, NULL },
		{ "GET", "/chart/KU091/x.gif", ROUTE_NOT_FOUND, 0, NULL, NULL },
		{ "GET", "/chart/../../etc/passwd.svg", ROUTE_BAD_PATH, 0, NULL,
		  NULL },
		{ "GET", "/chart//x.svg", ROUTE_BAD_PATH, 0, NULL, NULL },
		{ "GET", "/chart/a\\b/x.svg", ROUTE_BAD_PATH, 0, NULL, NULL },
		{ "GET", "/x/preABCpost", ROUTE_FOUND, 6, "ABC", NULL },
		{ "GET", "/x/prepost", ROUTE_NOT_FOUND, 0, NULL, NULL },
		{ "GET", "/x/prpost", ROUTE_NOT_FOUND, 0, NULL, NULL },
		{ "GET", "relative", ROUTE_BAD_PATH, 0, NULL, NULL },
		{ "get", "/healthz", ROUTE_BAD_METHOD, 0, "GET, HEAD", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct route_match m;
		int rc =
		    routes_match_in(table, sizeof(table) / sizeof(table[0]),
		                    cases[i].method, cases[i].path, &m);

		CHECK(rc == cases[i].result);
		if (rc != cases[i].result) {
			fprintf(stderr, "  case %s %s: %d\n", cases[i].method,
			        cases[i].path, rc);
			continue;
		}
		if (rc == ROUTE_FOUND) {
			CHECK(m.index == cases[i].index);
			CHECK(m.n_captures == (size_t)((cases[i].c1 != NULL) +
			                               (cases[i].c2 != NULL)));
			if (cases[i].c1 != NULL)
				CHECK_STR(m.captures[0], cases[i].c1);
			if (cases[i].c2 != NULL)
				CHECK_STR(m.captures[1], cases[i].c2);
		}
		if (rc == ROUTE_BAD_METHOD)
			CHECK_STR(m.allow, cases[i].c1);
	}
}

static void
test_capture_names(void)
{
	struct route_match m;
	struct request req;
	size_t i;
	char seg[80];

	CHECK(routes_match_in(table, sizeof(table) / sizeof(table[0]), "GET",
	                      "/chart/MK01/outreach_reach.svg",
	                      &m) == ROUTE_FOUND);
	memset(&req, 0, sizeof(req));
	memcpy(req.capture_names, m.capture_names, sizeof(m.capture_names));
	memcpy(req.captures, m.captures, sizeof(m.captures));
	req.n_captures = m.n_captures;
	CHECK_STR(request_param(&req, "area"), "MK01");
	CHECK_STR(request_param(&req, "indicator"), "outreach_reach");
	CHECK(request_param(&req, "other") == NULL);

	/* A capture is at most ROUTE_CAPTURE_MAX - 1 bytes. */
	memcpy(seg, "/region/", 8);
	for (i = 8; i < 8 + ROUTE_CAPTURE_MAX - 1; i++)
		seg[i] = 'a';
	seg[i] = '\0';
	CHECK(routes_match_in(table, sizeof(table) / sizeof(table[0]), "GET",
	                      seg, &m) == ROUTE_FOUND);
	seg[i] = 'a';
	seg[i + 1] = '\0';
	CHECK(routes_match_in(table, sizeof(table) / sizeof(table[0]), "GET",
	                      seg, &m) == ROUTE_NOT_FOUND);
}

static void
test_real_table(void)
{
	struct route_match m;

	CHECK(routes_match("GET", "/healthz", &m) == ROUTE_FOUND);
	CHECK(routes_table[m.index].handler == metrics_healthz);
	CHECK(routes_match("GET", "/api/v1/catalog", &m) == ROUTE_FOUND);
	CHECK(routes_table[m.index].handler == api_catalog_get);
	CHECK(routes_match("GET", "/metrics", &m) == ROUTE_FOUND);
	CHECK(routes_match("PUT", "/metrics", &m) == ROUTE_BAD_METHOD);
	CHECK(routes_match("GET", "/nope", &m) == ROUTE_NOT_FOUND);
}

int
main(void)
{
	RUN(test_parse_ok);
	RUN(test_parse_errors);
	RUN(test_parse_limits);
	RUN(test_get_int);
	RUN(test_get_choice);
	RUN(test_path_decode);
	RUN(test_match);
	RUN(test_capture_names);
	RUN(test_real_table);
	return check_done();
}
