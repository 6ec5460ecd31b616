/*
 * test_series.c: series from the question to the bytes, on matrices
 * built by hand.
 *
 * MK01 has Helsinki (KU091, pop_fl 200), Espoo (KU049, 100) and Vantaa
 * (KU092, 50); MK02 has Turku (KU853, 60). P0 is 2026-01:
 *            P0 (2026-01)          P1 (2026-02)       P2 (2026-03)
 *   KU091   contacts 100, staff 2  contacts 110, staff 3
 *   KU049   contacts 4, staff 1    contacts 50, staff 1
 *   KU092                          contacts 10
 *   KU853   contacts 20, staff 4                      contacts 30
 * Every expected value below is worked out by hand from these.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "check.h"
#include "fixture.h"
#include "matrix.h"
#include "series.h"
#include "timespec.h"

#define P0 (2026 * 12)
#define T_JAN ((time_t)1767225600) /* 2026-01-01T00:00:00Z */
#define T_FEB ((time_t)1769904000)
#define T_MAR ((time_t)1772323200)
#define T_APR ((time_t)1775001600)
#define DAY 86400
/* 2026-10-15T12:00:00Z: the clock the tests resolve against */
#define NOW ((time_t)1792065600)

static const char regions_csv[] = "code,name_fi,name_sv,name_en\n"
                                  "01,Uusimaa,Nyland,Uusimaa\n"
                                  "02,Varsinais-Suomi,Egentliga Finland,"
                                  "Southwest Finland\n";
static const char munis_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,1000,200\n"
    "049,Espoo,Esbo,01,Uusimaa,Nyland,500,100\n"
    "092,Vantaa,Vanda,01,Uusimaa,Nyland,400,50\n"
    "853,Turku,Åbo,02,Varsinais-Suomi,Egentliga Finland,300,60\n";
/* one catalog entry a line */
/* clang-format off */
static const char measures_json[] =
    "{\"measures\": ["
      FIXTURE_MEASURE("gp_open", "sum", "false") ","
      FIXTURE_MEASURE("contacts", "sum", "true") ","
      FIXTURE_MEASURE("staff_fte", "mean", "false") "],"
    "\"indicators\": ["
      FIXTURE_RATIO("gp_coverage", "gp_open*pop_fl", "pop_fl", "100", "%") ","
      FIXTURE_RATIO("contacts_per_1000", "contacts", "pop_fl", "1000",
            "per 1000") ","
      "{\"id\": \"reporting_rate\", \"kind\": \"reporting\", "
      "\"scale\": 100, \"unit\": \"%\", " FIXTURE_NAMES "}"
    "], \"rules\": []}";
/* clang-format on */

static struct catalog *cat;
static struct matrix *mx;

static void
set(const char *area, int period, const char *measure, double value)
{
	int a = catalog_find_area(cat, area),
	    m = catalog_find_measure(cat, measure);

	if (a < 0 || m < 0) {
		fprintf(stderr, "fixture: no %s or %s\n", area, measure);
		abort();
	}
	matrix_set(mx, a, period, m, value, T_APR);
}

static void
setup(void)
{
	cat = fixture_catalog(regions_csv, munis_csv, measures_json, NULL);
	mx = matrix_new(cat->n_areas, cat->n_measures);
	set("KU091", P0, "contacts", 100);
	set("KU091", P0, "staff_fte", 2);
	set("KU049", P0, "contacts", 4);
	set("KU049", P0, "staff_fte", 1);
	set("KU853", P0, "contacts", 20);
	set("KU853", P0, "staff_fte", 4);
	set("KU091", P0 + 1, "contacts", 110);
	set("KU091", P0 + 1, "staff_fte", 3);
	set("KU049", P0 + 1, "contacts", 50);
	set("KU049", P0 + 1, "staff_fte", 1);
	set("KU092", P0 + 1, "contacts", 10);
	set("KU853", P0 + 2, "contacts", 30);
}

static int
resolve(const char *area, const char *indicator, const char *start,
        const char *end, const char *step, time_t now, struct series_spec *out,
        struct error *err)
{
	struct series_params p;

	p.area = area;
	p.indicator = indicator;
	p.start = start;
	p.end = end;
	p.step = step;
	return series_resolve(cat, &p, now, out, err);
}

/* Resolves and computes; false (and a message) if it does not resolve. */
static bool
get(const char *area, const char *indicator, const char *start, const char *end,
    const char *step, bool is_unsuppressed, struct series *out)
{
	struct series_spec spec;
	struct error err = { 0 };

	if (resolve(area, indicator, start, end, step, NOW, &spec, &err) !=
	    SERIES_OK) {
		fprintf(stderr, "resolve %s %s: %s\n", area, indicator,
		        err.msg);
		memset(out, 0, sizeof(*out));
		return false;
	}
	series_compute(cat, mx, &spec, is_unsuppressed, out);
	return true;
}

static bool
same(double got, double want)
{
	if (isnan(want))
		return isnan(got);
	return fabs(got - want) <= 1e-9 * (fabs(want) > 1 ? fabs(want) : 1);
}

/* --- resolving --- */

static void
test_resolve_defaults(void)
{
	struct series_spec spec;
	struct error err = { 0 };

	/* -1y to now, monthly: 2025-10-15 lies in 2025-10, now in 2026-10 */
	CHECK(resolve("KU091", "contacts", NULL, NULL, NULL, NOW, &spec,
	              &err) == SERIES_OK);
	CHECK(spec.key.area == catalog_find_area(cat, "KU091"));
	CHECK(spec.key.measure == catalog_find_measure(cat, "contacts"));
	CHECK(spec.key.indicator == -1);
	CHECK(spec.is_monthly && spec.step == 0);
	CHECK(spec.first_period == 2025 * 12 + 9);
	CHECK(spec.n_points == 13);
	CHECK(spec.start == (time_t)1759276800); /* 2025-10-01 */
	CHECK(spec.end == (time_t)1793491200);   /* 2026-11-01 */
	/* an indicator; "month" spelled out is the default */
	CHECK(resolve("MK01", "gp_coverage", NULL, NULL, "month", NOW, &spec,
	              &err) == SERIES_OK);
	CHECK(spec.key.indicator == catalog_find_indicator(cat, "gp_coverage"));
	CHECK(spec.key.measure == -1);
	CHECK(spec.is_monthly && spec.n_points == 13);
	/* within one month, the same spec whatever the clock */
	{
		struct series_spec later;

		CHECK(resolve("KU091", "contacts", "-30d", NULL, NULL, NOW,
		              &spec, &err) == SERIES_OK);
		CHECK(resolve("KU091", "contacts", "-30d", NULL, NULL,
		              NOW + 3 * DAY, &later, &err) == SERIES_OK);
		CHECK(spec.first_period == later.first_period &&
		      spec.n_points == later.n_points &&
		      spec.start == later.start && spec.end == later.end);
	}
}

/* YYYY-MM as start is the month's first second, as end its last: the
 * month is included. */
static void
test_resolve_months_inclusive(void)
{
	struct series_spec spec;
	struct error err = { 0 };

	CHECK(resolve("KU091", "contacts", "2026-01", "2026-03", NULL, NOW,
	              &spec, &err) == SERIES_OK);
	CHECK(spec.is_monthly && spec.first_period == P0);
	CHECK(spec.n_points == 3);
	CHECK(spec.start == T_JAN && spec.end == T_APR);
	/* one month */
	CHECK(resolve("KU091", "contacts", "2026-02", "2026-02", "month", NOW,
	              &spec, &err) == SERIES_OK);
	CHECK(spec.n_points == 1 && spec.first_period == P0 + 1);
	CHECK(spec.start == T_FEB && spec.end == T_MAR);
	/* Unix seconds: the month each lies in */
	CHECK(resolve("KU091", "contacts", "1767225600", "1769904000", NULL,
	              NOW, &spec, &err) == SERIES_OK);
	CHECK(spec.first_period == P0 && spec.n_points == 2);
	CHECK(resolve("KU091", "contacts", "1767225600", "1769903999", NULL,
	              NOW, &spec, &err) == SERIES_OK);
	CHECK(spec.n_points == 1);
	/* in seconds too, the end month is whole: January's 31 days */
	CHECK(resolve("KU091", "contacts", "2026-01", "2026-01", "86400", NOW,
	              &spec, &err) == SERIES_OK);
	CHECK(!spec.is_monthly && spec.step == DAY);
	CHECK(spec.start == T_JAN && spec.n_points == 31);
	CHECK(spec.end == T_FEB);
}

/* step=N: points on multiples of N covering start to end. */
static void
test_resolve_seconds(void)
{
	struct series_spec spec, later;
	struct error err = { 0 };

	/* 05:00 on Jan 1 to 05:00 on Jan 3: three days from midnight */
	CHECK(resolve("KU091", "contacts", "1767243600", "1767416400", "86400",
	              NOW, &spec, &err) == SERIES_OK);
	CHECK(!spec.is_monthly && spec.step == DAY);
	CHECK(spec.start == T_JAN && spec.n_points == 3);
	CHECK(spec.end == T_JAN + 3 * DAY);
	/* an end on a point's start does not add a point */
	CHECK(resolve("KU091", "contacts", "1767225600", "1767398400", "86400",
	              NOW, &spec, &err) == SERIES_OK);
	CHECK(spec.n_points == 2 && spec.end == T_JAN + 2 * DAY);
	/* relative times: the same spec within one step */
	CHECK(resolve("KU091", "contacts", "-2d", "now", "3600", NOW + 10,
	              &spec, &err) == SERIES_OK);
	CHECK(resolve("KU091", "contacts", "-2d", "now", "3600", NOW + 3000,
	              &later, &err) == SERIES_OK);
	CHECK(spec.start == later.start && spec.n_points == later.n_points &&
	      spec.end == later.end);
	CHECK(spec.start == NOW - 2 * DAY && spec.n_points == 49);
	/* the largest step */
	CHECK(resolve("KU091", "contacts", "0", "now", "315360000", NOW, &spec,
	              &err) == SERIES_OK);
	CHECK(spec.start == 0 && spec.n_points == 6);
}

static void
test_resolve_too_many(void)
{
	struct series_spec spec;
	struct error err = { 0 };

	CHECK(resolve("KU091", "contacts", "-1d", "now", "1", NOW, &spec,
	              &err) == SERIES_BAD_PARAM);
	CHECK(strncmp(err.msg, "parameter step: ", 16) == 0);
	CHECK(strstr(err.msg, "86400 points") != NULL);
	/* 10000 points is the limit, one more is too many */
	CHECK(resolve("KU091", "contacts", "1767225600", "1767825600", "60",
	              NOW, &spec, &err) == SERIES_OK);
	CHECK(spec.n_points == SERIES_MAX_POINTS);
	CHECK(resolve("KU091", "contacts", "1767225600", "1767825601", "60",
	              NOW, &spec, &err) == SERIES_BAD_PARAM);
	/* months: 1970-01..2803-04 is 10000 of them */
	CHECK(resolve("KU091", "contacts", "1970-01", "2803-04", NULL, NOW,
	              &spec, &err) == SERIES_OK);
	CHECK(spec.n_points == SERIES_MAX_POINTS);
	CHECK(resolve("KU091", "contacts", "1970-01", "2803-05", NULL, NOW,
	              &spec, &err) == SERIES_BAD_PARAM);
	CHECK(strncmp(err.msg, "parameter start: ", 17) == 0);
	CHECK(resolve("KU091", "contacts", "0", "9999-12", "month", NOW, &spec,
	              &err) == SERIES_BAD_PARAM);
}

static void
test_resolve_errors(void)
{
	static const struct {
		const char *area, *indicator, *start, *end, *step;
		int rc;
		const char *msg; /* how err.msg begins */
	} cases[] = {
		{ NULL, "contacts", NULL, NULL, NULL, SERIES_BAD_PARAM,
		  "parameter area: required" },
		{ "", "contacts", NULL, NULL, NULL, SERIES_BAD_PARAM,
		  "parameter area: required" },
		{ "KU999", "contacts", NULL, NULL, NULL, SERIES_NOT_FOUND,
		  "parameter area: unknown area \"KU999\"" },
		{ "ku091", "contacts", NULL, NULL, NULL, SERIES_NOT_FOUND,
		  "parameter area: unknown" },
		{ "KU091", NULL, NULL, NULL, NULL, SERIES_BAD_PARAM,
		  "parameter indicator: required" },
		{ "KU091", "nope", NULL, NULL, NULL, SERIES_NOT_FOUND,
		  "parameter indicator: unknown indicator or measure "
		  "\"nope\"" },
		{ "KU091", "contacts", "yesterday", NULL, NULL,
		  SERIES_BAD_PARAM, "parameter start: " },
		{ "KU091", "contacts", "", NULL, NULL, SERIES_BAD_PARAM,
		  "parameter start: " },
		{ "KU091", "contacts", NULL, "2026-13", NULL, SERIES_BAD_PARAM,
		  "parameter end: " },
		{ "KU091", "contacts", "2026-03", "2026-02", NULL,
		  SERIES_BAD_PARAM, "parameter end: must be after start" },
		{ "KU091", "contacts", "now", "now", NULL, SERIES_BAD_PARAM,
		  "parameter end: must be after start" },
		{ "KU091", "contacts", NULL, NULL, "0", SERIES_BAD_PARAM,
		  "parameter step: " },
		{ "KU091", "contacts", NULL, NULL, "-5", SERIES_BAD_PARAM,
		  "parameter step: " },
		{ "KU091", "contacts", NULL, NULL, "+5", SERIES_BAD_PARAM,
		  "parameter step: " },
		{ "KU091", "contacts", NULL, NULL, "86400x", SERIES_BAD_PARAM,
		  "parameter step: " },
		{ "KU091", "contacts", NULL, NULL, "", SERIES_BAD_PARAM,
		  "parameter step: " },
		{ "KU091", "contacts", NULL, NULL, "Month", SERIES_BAD_PARAM,
		  "parameter step: " },
		{ "KU091", "contacts", NULL, NULL, "315360001",
		  SERIES_BAD_PARAM, "parameter step: " },
		{ "KU091", "contacts", NULL, NULL, "99999999999999999999",
		  SERIES_BAD_PARAM, "parameter step: " },
	};
	struct series_spec spec;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error err = { 0 };
		int rc =
		    resolve(cases[i].area, cases[i].indicator, cases[i].start,
		            cases[i].end, cases[i].step, NOW, &spec, &err);

		if (rc != cases[i].rc ||
		    strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
			fprintf(stderr, "case %zu: %d \"%s\"\n", i, rc,
			        err.msg);
		CHECK(rc == cases[i].rc);
		CHECK(strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) ==
		      0);
	}
}

/* --- computing --- */

/* A region's indicator: sum over sum over the municipalities that
 * reported, never a mean of ratios; monthly points at the periods' first
 * seconds. */
static void
test_compute_region_ratio(void)
{
	static const double want[] = { 104.0 / 300 * 1000, 170.0 / 350 * 1000,
		                       NAN };
	static const int reported[] = { 2, 3, 0 };
	static const time_t times[] = { T_JAN, T_FEB, T_MAR };
	struct series s;
	size_t t;

	CHECK(get("MK01", "contacts_per_1000", "2026-01", "2026-03", NULL, true,
	          &s));
	CHECK_STR(s.area, "MK01");
	CHECK_STR(s.indicator, "contacts_per_1000");
	CHECK_STR(s.unit, "per 1000");
	CHECK(s.is_monthly && s.step == 0);
	CHECK(s.start == T_JAN && s.end == T_APR);
	CHECK(s.n_points == 3);
	for (t = 0; t < 3 && t < s.n_points; t++) {
		CHECK(same(s.values[t], want[t]));
		CHECK(s.reporting[t] == reported[t]);
		CHECK(s.times[t] == times[t]);
		CHECK(s.periods[t] == P0 + (int)t);
		CHECK(!s.is_withheld[t]);
	}
	CHECK(s.last_reporting == 3 && s.expected == 3);
	CHECK(s.n_withheld == 0);
	series_reset(&s);
	/* the country adds Turku */
	CHECK(get("SSS", "contacts_per_1000", "2026-01", "2026-01", NULL, true,
	          &s));
	CHECK(s.n_points == 1 && same(s.values[0], 124.0 / 360 * 1000));
	CHECK(s.reporting[0] == 3 && s.expected == 4);
	series_reset(&s);
}

/* A measure follows its aggregate rule. */
static void
test_compute_measure(void)
{
	struct series s;

	/* staff_fte is a mean: (2 + 1) / 2, then (3 + 1) / 2 */
	CHECK(get("MK01", "staff_fte", "2026-01", "2026-03", NULL, false, &s));
	CHECK(s.n_points == 3);
	if (s.n_points == 3) {
		CHECK(same(s.values[0], 1.5) && same(s.values[1], 2));
		CHECK(isnan(s.values[2]));
		CHECK(s.reporting[0] == 2 && s.reporting[2] == 0);
	}
	CHECK_STR(s.unit, "n");
	series_reset(&s);
	/* contacts is a sum; the country over all four */
	CHECK(get("SSS", "contacts", "2026-01", "2026-03", NULL, true, &s));
	if (s.n_points == 3) {
		CHECK(same(s.values[0], 124) && same(s.values[1], 170));
		CHECK(same(s.values[2], 30));
		CHECK(s.reporting[1] == 3 && s.reporting[2] == 1);
	}
	CHECK(s.last_reporting == 1 && s.expected == 4);
	series_reset(&s);
}

/* reporting_rate: municipalities that reported the month / expected. */
static void
test_compute_reporting_rate(void)
{
	struct series s;

	CHECK(get("MK01", "reporting_rate", "2026-01", "2026-03", NULL, false,
	          &s));
	CHECK(s.n_points == 3);
	if (s.n_points == 3) {
		CHECK(same(s.values[0], 200.0 / 3));
		CHECK(same(s.values[1], 100) && same(s.values[2], 0));
		CHECK(s.reporting[0] == 2 && s.reporting[1] == 3);
	}
	/* a rate of 0 is known: its point is the last one */
	CHECK(s.last_reporting == 0 && s.expected == 3);
	CHECK(s.n_withheld == 0);
	series_reset(&s);
	CHECK(get("SSS", "reporting_rate", "2026-01", "2026-04", NULL, false,
	          &s));
	if (s.n_points == 4) {
		CHECK(same(s.values[0], 75) && same(s.values[1], 75));
		CHECK(same(s.values[2], 25) && same(s.values[3], 0));
	}
	series_reset(&s);
}

/* A municipality's count below 5 is withheld from the public and shown
 * to the unsuppressed. */
static void
test_compute_suppression(void)
{
	struct series s;

	CHECK(get("KU049", "contacts", "2026-01", "2026-03", NULL, false, &s));
	CHECK(s.n_points == 3);
	if (s.n_points == 3) {
		CHECK(isnan(s.values[0]) && s.is_withheld[0]);
		CHECK(same(s.values[1], 50) && !s.is_withheld[1]);
		CHECK(isnan(s.values[2]) && !s.is_withheld[2]);
		CHECK(s.reporting[0] == 1 && s.reporting[2] == 0);
	}
	CHECK(s.n_withheld == 1);
	CHECK(s.last_reporting == 1 && s.expected == 1);
	series_reset(&s);
	CHECK(get("KU049", "contacts", "2026-01", "2026-03", NULL, true, &s));
	if (s.n_points == 3) {
		CHECK(same(s.values[0], 4) && !s.is_withheld[0]);
		CHECK(same(s.values[1], 50));
	}
	CHECK(s.n_withheld == 0);
	series_reset(&s);
	/* an indicator built on it too */
	CHECK(get("KU049", "contacts_per_1000", "2026-01", "2026-01", NULL,
	          false, &s));
	CHECK(s.n_points == 1 && isnan(s.values[0]) && s.n_withheld == 1);
	series_reset(&s);
	CHECK(get("KU049", "contacts_per_1000", "2026-01", "2026-01", NULL,
	          true, &s));
	CHECK(s.n_points == 1 && same(s.values[0], 40) && s.n_withheld == 0);
	series_reset(&s);
	/* the country, over three: shown */
	CHECK(get("SSS", "contacts", "2026-01", "2026-01", NULL, false, &s));
	CHECK(s.n_points == 1 && same(s.values[0], 124) && s.n_withheld == 0);
	series_reset(&s);
}

static void
test_suppressible(void)
{
	static const struct {
		const char *area, *id;
		bool is_suppressible;
	} cases[] = {
		{ "KU049", "contacts", true },
		{ "KU049", "contacts_per_1000", true },
		/* a region can be one municipality's count in disguise */
		{ "MK01", "contacts", true },
		{ "SSS", "contacts_per_1000", true },
		{ "KU049", "gp_open", false },
		{ "KU049", "staff_fte", false },
		{ "KU049", "gp_coverage", false },
		{ "KU049", "reporting_rate", false },
		{ "SSS", "reporting_rate", false },
	};
	struct series_spec spec;
	struct error err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(resolve(cases[i].area, cases[i].id, NULL, NULL, NULL, NOW,
		              &spec, &err) == SERIES_OK);
		if (series_is_suppressible(cat, &spec) !=
		    cases[i].is_suppressible)
			fprintf(stderr, "case %zu: %s %s\n", i, cases[i].area,
			        cases[i].id);
		CHECK(series_is_suppressible(cat, &spec) ==
		      cases[i].is_suppressible);
	}
}

/* step=N: each point shows the figure of the period its start lies in. */
static void
test_compute_seconds(void)
{
	struct series s;
	size_t t;

	/* 12:00 on Jan 31 to 12:00 on Feb 1, every 12 hours */
	CHECK(get("KU091", "contacts", "1769860800", "1769947200", "43200",
	          false, &s));
	CHECK(!s.is_monthly && s.step == 43200);
	CHECK(s.n_points == 2);
	if (s.n_points == 2) {
		CHECK(s.times[0] == T_FEB - 43200 && s.times[1] == T_FEB);
		CHECK(s.periods[0] == P0 && s.periods[1] == P0 + 1);
		CHECK(same(s.values[0], 100) && same(s.values[1], 110));
	}
	series_reset(&s);
	/* daily over all of January: every day is January's figure */
	CHECK(
	    get("KU049", "contacts", "2026-01", "2026-01", "86400", true, &s));
	CHECK(s.n_points == 31);
	for (t = 0; t < s.n_points; t++) {
		CHECK(s.times[t] == T_JAN + (time_t)t * DAY);
		CHECK(same(s.values[t], 4) && s.periods[t] == P0);
	}
	series_reset(&s);
	/* and withheld day by day for the public */
	CHECK(
	    get("KU049", "contacts", "2026-01", "2026-01", "86400", false, &s));
	CHECK(s.n_points == 31 && s.n_withheld == 31);
	series_reset(&s);
}

/* --- formatting --- */

static void
test_format_monthly(void)
{
	struct series s;
	char *text, name[64];
	size_t len;

	CHECK(get("KU049", "contacts", "2026-01", "2026-03", NULL, false, &s));
	text = series_format_json(&s, &len);
	CHECK_STR(text, "{\"area\":\"KU049\",\"indicator\":\"contacts\","
	                "\"unit\":\"n\",\"start\":1767225600,"
	                "\"end\":1775001600,\"step\":\"month\",\"points\":"
	                "[[1767225600,null],[1769904000,50],"
	                "[1772323200,null]],\"periods\":[\"2026-01\","
	                "\"2026-02\",\"2026-03\"],\"reported\":[1,1,0],"
	                "\"reporting\":1,\"expected\":1,\"suppressed\":true,"
	                "\"suppressed_points\":[1767225600]}");
	CHECK(len == strlen(text));
	free(text);
	text = series_format_csv(&s, &len);
	CHECK_STR(text, "period,value\n2026-01,\n2026-02,50\n2026-03,\n");
	CHECK(len == strlen(text));
	free(text);
	series_filename(&s, "csv", name, sizeof(name));
	CHECK_STR(name, "KU049_contacts.csv");
	series_reset(&s);

	/* numbers in the shortest form that reads back exactly */
	CHECK(get("MK01", "contacts_per_1000", "2026-01", "2026-03", NULL, true,
	          &s));
	text = series_format_csv(&s, &len);
	CHECK_STR(text, "period,value\n"
	                "2026-01,346.6666666666667\n"
	                "2026-02,485.7142857142857\n"
	                "2026-03,\n");
	free(text);
	text = series_format_json(&s, &len);
	CHECK(strstr(text, "\"points\":[[1767225600,346.6666666666667],"
	                   "[1769904000,485.7142857142857],"
	                   "[1772323200,null]],") != NULL);
	CHECK(strstr(text, "\"reported\":[2,3,0],\"reporting\":3,"
	                   "\"expected\":3,\"suppressed\":false,"
	                   "\"suppressed_points\":[]}") != NULL);
	free(text);
	series_reset(&s);
}

static void
test_format_seconds(void)
{
	struct series s;
	char *text;
	size_t len;

	CHECK(get("KU091", "contacts", "1769817600", "1769990400", "86400",
	          false, &s));
	text = series_format_json(&s, &len);
	CHECK_STR(text, "{\"area\":\"KU091\",\"indicator\":\"contacts\","
	                "\"unit\":\"n\",\"start\":1769817600,"
	                "\"end\":1769990400,\"step\":86400,\"points\":"
	                "[[1769817600,100],[1769904000,110]],\"periods\":"
	                "[\"2026-01\",\"2026-02\"],\"reported\":[1,1],"
	                "\"reporting\":1,\"expected\":1,\"suppressed\":false,"
	                "\"suppressed_points\":[]}");
	CHECK(len == strlen(text));
	free(text);
	text = series_format_csv(&s, &len);
	CHECK_STR(text, "time,value\n"
	                "2026-01-31T00:00:00Z,100\n"
	                "2026-02-01T00:00:00Z,110\n");
	CHECK(len == strlen(text));
	free(text);
	series_reset(&s);
}

/* Text is escaped; numbers print exactly; what is not finite is null. */
static void
test_format_edges(void)
{
	time_t times[5] = { 0, 60, 120, 180, 240 };
	int periods[5] = { 1970 * 12, 1970 * 12, 1970 * 12, 1970 * 12,
		           1970 * 12 };
	double values[5] = { 0.1, 1e-7, 1.0 / 3, -2.5, INFINITY };
	int reporting[5] = { 1, 1, 1, 1, 0 };
	bool withheld[5] = { false, false, false, false, false };
	struct series s;
	char *text;
	size_t len;

	memset(&s, 0, sizeof(s));
	snprintf(s.area, sizeof(s.area), "KU091");
	snprintf(s.indicator, sizeof(s.indicator), "x");
	snprintf(s.unit, sizeof(s.unit), "a\"b\\c\n");
	s.start = 0;
	s.end = 300;
	s.step = 60;
	s.n_points = 5;
	s.times = times;
	s.periods = periods;
	s.values = values;
	s.reporting = reporting;
	s.is_withheld = withheld;
	s.last_reporting = 1;
	s.expected = 1;
	text = series_format_json(&s, &len);
	CHECK_STR(text, "{\"area\":\"KU091\",\"indicator\":\"x\",\"unit\":"
	                "\"a\\\"b\\\\c\\u000a\",\"start\":0,\"end\":300,"
	                "\"step\":60,\"points\":[[0,0.1],[60,1e-07],"
	                "[120,0.3333333333333333],[180,-2.5],[240,null]],"
	                "\"periods\":[\"1970-01\",\"1970-01\",\"1970-01\","
	                "\"1970-01\",\"1970-01\"],\"reported\":[1,1,1,1,0],"
	                "\"reporting\":1,\"expected\":1,\"suppressed\":false,"
	                "\"suppressed_points\":[]}");
	free(text);
	text = series_format_csv(&s, &len);
	CHECK_STR(text, "time,value\n"
	                "1970-01-01T00:00:00Z,0.1\n"
	                "1970-01-01T00:01:00Z,1e-07\n"
	                "1970-01-01T00:02:00Z,0.3333333333333333\n"
	                "1970-01-01T00:03:00Z,-2.5\n"
	                "1970-01-01T00:04:00Z,\n");
	free(text);
}

int
main(void)
{
	setup();
	RUN(test_resolve_defaults);
	RUN(test_resolve_months_inclusive);
	RUN(test_resolve_seconds);
	RUN(test_resolve_too_many);
	RUN(test_resolve_errors);
	RUN(test_compute_region_ratio);
	RUN(test_compute_measure);
	RUN(test_compute_reporting_rate);
	RUN(test_compute_suppression);
	RUN(test_suppressible);
	RUN(test_compute_seconds);
	RUN(test_format_monthly);
	RUN(test_format_seconds);
	RUN(test_format_edges);
	matrix_free(mx);
	catalog_unref(cat);
	return check_done();
}
