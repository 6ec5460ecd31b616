/*
 * test_data.c: /api/v1/data from the parameters' text to the bytes, on a
 * matrix built by hand.
 *
 * MK01 has Helsinki (KU091, pop_fl 200), Espoo (KU049, 100), Vantaa
 * (KU092, 50) and Kauniainen (KU235, 10); MK02 has Turku (KU853, 60),
 * Kaarina (KU202, 40; its names need quoting in CSV), Raisio (KU680, 20)
 * and Naantali (KU529, 20). With SSS that is 11 areas. P0 is 2026-01:
 *            P0 (2026-01)                       P1        P2
 *   KU091   gp_open 1, contacts 100, staff 2.5   contacts 110
 *   KU049   gp_open 0, contacts 4
 *   KU853   gp_open 1, contacts 20                         contacts 30
 *   KU202   gp_open 1, contacts 3
 * contacts is a count: 4 and 3 are withheld from the public. The
 * expected period (ending LAST_N_MONTHS) is P2. Every expected value
 * below is worked out by hand from these.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "catalog.h"
#include "check.h"
#include "data.h"
#include "figure.h"
#include "fixture.h"
#include "matrix.h"
#include "number.h"
#include "timespec.h"

#define P0 (2026 * 12)
#define EXP (P0 + 2)
#define WHEN ((time_t)1775001600)

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
    "235,Kauniainen,Grankulla,01,Uusimaa,Nyland,100,10\n"
    "853,Turku,Åbo,02,Varsinais-Suomi,Egentliga Finland,300,60\n"
    "202,\"Kaarina, \"\"test\"\"\",S:t Karins; test,02,Varsinais-Suomi,"
    "Egentliga Finland,200,40\n"
    "680,Raisio,Reso,02,Varsinais-Suomi,Egentliga Finland,100,20\n"
    "529,Naantali,Nådendal,02,Varsinais-Suomi,Egentliga Finland,100,20\n";
/* one catalog entry a line */
/* clang-format off */
static const char measures_json[] =
    "{\"measures\": ["
      FIXTURE_MEASURE("gp_open", "sum", "false") ","
      FIXTURE_MEASURE("contacts", "sum", "true") ","
      FIXTURE_MEASURE("staff_fte", "mean", "false") "],"
    "\"indicators\": ["
      "{\"id\": \"gp_coverage\", \"numerator\": \"gp_open*pop_fl\", "
      "\"denominator\": \"pop_fl\", \"scale\": 100, \"unit\": \"%\", "
      "\"name\": {\"fi\": \"Kattavuus\", \"sv\": \"Täckning\", "
      "\"en\": \"Coverage \\\"all\\\"\"}},"
      FIXTURE_RATIO("contacts_per_1000", "contacts", "pop_fl", "1000",
            "per 1000") ","
      "{\"id\": \"reporting_rate\", \"kind\": \"reporting\", "
      "\"scale\": 100, \"unit\": \"%\", " FIXTURE_NAMES "}"
    "], \"rules\": []}";
/* clang-format on */

static struct catalog *cat;
static struct matrix *mx;

static const struct principal public_reader = { ROLE_PUBLIC, 0, "" };
static const struct principal ministry = { ROLE_MINISTRY, 1, "" };
static const struct principal kaarina = { ROLE_MUNICIPALITY, 2, "KU202" };

static void
set(const char *area, int period, const char *measure, double value)
{
	int a = catalog_find_area(cat, area),
	    m = catalog_find_measure(cat, measure);

	if (a < 0 || m < 0) {
		fprintf(stderr, "fixture: no %s or %s\n", area, measure);
		abort();
	}
	matrix_set(mx, a, period, m, value, WHEN);
}

static void
setup(void)
{
	cat = fixture_catalog(regions_csv, munis_csv, measures_json, NULL);
	mx = matrix_new(cat->n_areas, cat->n_measures);
	set("KU091", P0, "gp_open", 1);
	set("KU091", P0, "contacts", 100);
	set("KU091", P0, "staff_fte", 2.5);
	set("KU049", P0, "gp_open", 0);
	set("KU049", P0, "contacts", 4);
	set("KU853", P0, "gp_open", 1);
	set("KU853", P0, "contacts", 20);
	set("KU202", P0, "gp_open", 1);
	set("KU202", P0, "contacts", 3);
	set("KU091", P0 + 1, "contacts", 110);
	set("KU853", P0 + 2, "contacts", 30);
}

/* The parameters of a case; NULL where absent. */
struct params {
	const char *indicator, *area, *level, *region, *period, *lang;
};

static int
resolve(const struct params *c, struct data_query *q, struct error *err)
{
	struct data_params p;

	p.indicator = c->indicator;
	p.area = c->area;
	p.level = c->level;
	p.region = c->region;
	p.period = c->period;
	p.lang = c->lang;
	memset(err, 0, sizeof(*err));
	return data_resolve(cat, &p, EXP, q, err);
}

/* Resolves and computes for who; false (with a message) if it does not
 * resolve. */
static bool
table(const struct params *c, const struct principal *who,
      struct data_table *out)
{
	struct data_query q;
	struct error err;

	if (resolve(c, &q, &err) != DATA_OK) {
		fprintf(stderr, "resolve: %s\n", err.msg);
		memset(out, 0, sizeof(*out));
		return false;
	}
	data_compute(cat, mx, &q, who, out);
	CHECK(q.areas == NULL && q.items == NULL && q.n_areas == 0);
	return true;
}

/* The areas' codes, space-separated, and the items' ids, comma-separated */
static void
describe(const struct data_query *q, char *areas, char *items, size_t size)
{
	size_t i, n = 0;

	areas[0] = items[0] = '\0';
	for (i = 0; i < q->n_areas; i++)
		n += (size_t)snprintf(areas + n, size - n, "%s%s",
		                      i > 0 ? " " : "",
		                      cat->areas[q->areas[i]].code);
	for (i = 0, n = 0; i < q->n_items; i++) {
		const struct data_item *it = &q->items[i];

		n += (size_t)snprintf(
		    items + n, size - n, "%s%s", i > 0 ? "," : "",
		    it->indicator >= 0 ? cat->indicators[it->indicator].id
		                       : cat->measures[it->measure].id);
	}
}

/* --- resolving --- */

static void
test_resolve_forms(void)
{
	static const struct {
		struct params p;
		const char *areas, *items, *first, *last;
		enum lang lang;
		const char *text;
	} cases[] = {
		/* the defaults: the country, the last 12 months, Finnish */
		{ { "gp_coverage", NULL, NULL, NULL, NULL, NULL },
		  "SSS",
		  "gp_coverage",
		  "2025-04",
		  "2026-03",
		  LANG_FI,
		  "indicator=gp_coverage&area=SSS&period=2025-04..2026-03"
		  "&lang=fi" },
		/* * is every indicator, not the measures */
		{ { "*", "MK01", NULL, NULL, "2026-01", "sv" },
		  "MK01",
		  "gp_coverage,contacts_per_1000,reporting_rate",
		  "2026-01",
		  "2026-01",
		  LANG_SV,
		  "indicator=gp_coverage,contacts_per_1000,reporting_rate"
		  "&area=MK01&period=2026-01..2026-01&lang=sv" },
		/* duplicates dropped, order kept; measures allowed */
		{ { "contacts,gp_coverage,contacts", "KU091", NULL, NULL,
		    "2025-11..2026-02", "en" },
		  "KU091",
		  "contacts,gp_coverage",
		  "2025-11",
		  "2026-02",
		  LANG_EN,
		  "indicator=contacts,gp_coverage&area=KU091"
		  "&period=2025-11..2026-02&lang=en" },
		{ { "*,gp_open,gp_coverage", "SSS", NULL, NULL, "2026-01",
		    "fi" },
		  "SSS",
		  "gp_coverage,contacts_per_1000,reporting_rate,gp_open",
		  "2026-01",
		  "2026-01",
		  LANG_FI,
		  NULL },
		/* a region's children: its municipalities, catalog order */
		{ { "gp_open", "MK01:children", NULL, NULL, "LAST_1_MONTHS",
		    NULL },
		  "KU091 KU049 KU092 KU235",
		  "gp_open",
		  "2026-03",
		  "2026-03",
		  LANG_FI,
		  "indicator=gp_open&area=MK01:children"
		  "&period=2026-03..2026-03&lang=fi" },
		/* the country's: the regions */
		{ { "gp_open", "SSS:children", NULL, NULL, "LAST_120_MONTHS",
		    NULL },
		  "MK01 MK02",
		  "gp_open",
		  "2016-04",
		  "2026-03",
		  LANG_FI,
		  NULL },
		/* items that add nothing are dropped from the list and the
		 * text; the order is the order asked */
		{ { "gp_open", "KU853,MK02:children,KU853,MK01,KU529", NULL,
		    NULL, "2026-01", NULL },
		  "KU853 KU202 KU680 KU529 MK01",
		  "gp_open",
		  "2026-01",
		  "2026-01",
		  LANG_FI,
		  "indicator=gp_open&area=KU853,MK02:children,MK01"
		  "&period=2026-01..2026-01&lang=fi" },
		{ { "gp_open", "SSS:children,MK01,SSS", NULL, NULL, "2026-01",
		    NULL },
		  "MK01 MK02 SSS",
		  "gp_open",
		  "2026-01",
		  "2026-01",
		  LANG_FI,
		  "indicator=gp_open&area=SSS:children,SSS"
		  "&period=2026-01..2026-01&lang=fi" },
		/* level= and region= */
		{ { "gp_open", NULL, "municipality", NULL, "2026-01", NULL },
		  "KU091 KU049 KU092 KU235 KU853 KU202 KU680 KU529",
		  "gp_open",
		  "2026-01",
		  "2026-01",
		  LANG_FI,
		  "indicator=gp_open&level=municipality"
		  "&period=2026-01..2026-01&lang=fi" },
		{ { "gp_open", NULL, "municipality", "MK02", "2026-01", NULL },
		  "KU853 KU202 KU680 KU529",
		  "gp_open",
		  "2026-01",
		  "2026-01",
		  LANG_FI,
		  "indicator=gp_open&level=municipality&region=MK02"
		  "&period=2026-01..2026-01&lang=fi" },
		{ { "gp_open", NULL, "region", NULL, "2026-01", NULL },
		  "MK01 MK02",
		  "gp_open",
		  "2026-01",
		  "2026-01",
		  LANG_FI,
		  NULL },
		{ { "gp_open", NULL, "country", NULL, "2026-01", NULL },
		  "SSS",
		  "gp_open",
		  "2026-01",
		  "2026-01",
		  LANG_FI,
		  "indicator=gp_open&level=country"
		  "&period=2026-01..2026-01&lang=fi" },
		/* a period that is one month, and one in the future */
		{ { "gp_open", "SSS", NULL, NULL, "2030-12", NULL },
		  "SSS",
		  "gp_open",
		  "2030-12",
		  "2030-12",
		  LANG_FI,
		  NULL },
		{ { "gp_open", "SSS", NULL, NULL, "1970-01..1970-01", NULL },
		  "SSS",
		  "gp_open",
		  "1970-01",
		  "1970-01",
		  LANG_FI,
		  NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct data_query q;
		struct error err;
		char areas[256], items[256], first[16], last[16];
		int rc = resolve(&cases[i].p, &q, &err);

		if (rc != DATA_OK)
			fprintf(stderr, "case %zu: %d %s\n", i, rc, err.msg);
		CHECK(rc == DATA_OK);
		if (rc != DATA_OK)
			continue;
		describe(&q, areas, items, sizeof(areas));
		period_format(q.first_period, first, sizeof(first));
		period_format(q.last_period, last, sizeof(last));
		CHECK_STR(areas, cases[i].areas);
		CHECK_STR(items, cases[i].items);
		CHECK_STR(first, cases[i].first);
		CHECK_STR(last, cases[i].last);
		CHECK(q.lang == cases[i].lang);
		if (cases[i].text != NULL)
			CHECK_STR(q.text, cases[i].text);
		data_query_reset(&q);
		CHECK(q.areas == NULL && q.items == NULL);
	}
}

static void
test_resolve_errors(void)
{
	static const struct {
		struct params p;
		int rc;
		const char *msg; /* how err.msg begins */
	} cases[] = {
		/* indicator */
		{ { NULL, "SSS", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter indicator: required" },
		{ { "", "SSS", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter indicator: required" },
		{ { "gp_open,", "SSS", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter indicator: an empty item" },
		{ { ",gp_open", "SSS", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter indicator: an empty item" },
		{ { "GP_OPEN", "SSS", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter indicator: \"GP_OPEN\" is not an indicator" },
		{ { "gp open", "SSS", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter indicator: \"gp open\" is not" },
		{ { "**", "SSS", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter indicator: \"**\" is not" },
		{ { "a_very_long_identifier_of_32_byte", "SSS", NULL, NULL,
		    NULL, NULL },
		  DATA_BAD,
		  "parameter indicator: " },
		{ { "gp_open,nope", "SSS", NULL, NULL, NULL, NULL },
		  DATA_NOT_FOUND,
		  "parameter indicator: unknown indicator or measure "
		  "\"nope\"" },
		/* area */
		{ { "gp_open", "", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter area: empty" },
		{ { "gp_open", "MK01,,KU091", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter area: an empty item" },
		{ { "gp_open", "ku091", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter area: \"ku091\" is not an area code" },
		{ { "gp_open", "../etc/passwd", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter area: \"../etc/passwd\" is not an area code" },
		{ { "gp_open", "KU0911234", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter area: \"KU0911234\" is not" },
		{ { "gp_open", ":children", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter area: \"\" is not" },
		{ { "gp_open", "KU999", NULL, NULL, NULL, NULL },
		  DATA_NOT_FOUND,
		  "parameter area: unknown area \"KU999\"" },
		{ { "gp_open", "MK99:children", NULL, NULL, NULL, NULL },
		  DATA_NOT_FOUND,
		  "parameter area: unknown area \"MK99\"" },
		{ { "gp_open", "KU091:children", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter area: KU091 has no children" },
		{ { "gp_open", "MK01:kids", NULL, NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter area: \"MK01:kids\": the only suffix is "
		  ":children" },
		{ { "gp_open", "MK01:children:children", NULL, NULL, NULL,
		    NULL },
		  DATA_BAD,
		  "parameter area: " },
		/* level and region */
		{ { "gp_open", NULL, "county", NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter level: must be one of municipality, region, "
		  "country" },
		{ { "gp_open", NULL, "", NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter level: must be one of" },
		{ { "gp_open", "SSS", "region", NULL, NULL, NULL },
		  DATA_BAD,
		  "parameter level: give area= or level=, not both" },
		{ { "gp_open", NULL, NULL, "MK01", NULL, NULL },
		  DATA_BAD,
		  "parameter region: only with level=municipality" },
		{ { "gp_open", NULL, "region", "MK01", NULL, NULL },
		  DATA_BAD,
		  "parameter region: only with level=municipality" },
		{ { "gp_open", NULL, "municipality", "MK99", NULL, NULL },
		  DATA_NOT_FOUND,
		  "parameter region: unknown area \"MK99\"" },
		{ { "gp_open", NULL, "municipality", "KU091", NULL, NULL },
		  DATA_BAD,
		  "parameter region: KU091 is not a region" },
		{ { "gp_open", NULL, "municipality", "", NULL, NULL },
		  DATA_BAD,
		  "parameter region: \"\" is not an area code" },
		/* period */
		{ { "gp_open", "SSS", NULL, NULL, "", NULL },
		  DATA_BAD,
		  "parameter period: must be YYYY-MM, YYYY-MM..YYYY-MM or "
		  "LAST_N_MONTHS" },
		{ { "gp_open", "SSS", NULL, NULL, "2026-13", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "2026-1", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "1969-12", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "2026-03..2026-01", NULL },
		  DATA_BAD,
		  "parameter period: the first month is after the last" },
		{ { "gp_open", "SSS", NULL, NULL, "2026-01..", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "..2026-01", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "2026-01...2026-02", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "2026-01..2026-02..2026-03",
		    NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "2026-01-2026-02", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "LAST_0_MONTHS", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "LAST_121_MONTHS", NULL },
		  DATA_BAD,
		  "parameter period: LAST_N_MONTHS: N is at most 120" },
		{ { "gp_open", "SSS", NULL, NULL, "LAST_012_MONTHS", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "LAST_+12_MONTHS", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "LAST__MONTHS", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "LAST_MONTHS", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "LAST_12_MONTH", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "last_12_months", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "LAST_1000_MONTHS", NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		{ { "gp_open", "SSS", NULL, NULL, "LAST_99999999999999_MONTHS",
		    NULL },
		  DATA_BAD,
		  "parameter period: must be" },
		/* lang */
		{ { "gp_open", "SSS", NULL, NULL, NULL, "de" },
		  DATA_BAD,
		  "parameter lang: must be one of fi, sv, en" },
		{ { "gp_open", "SSS", NULL, NULL, NULL, "" },
		  DATA_BAD,
		  "parameter lang: must be one of fi, sv, en" },
		{ { "gp_open", "SSS", NULL, NULL, NULL, "FI" },
		  DATA_BAD,
		  "parameter lang: " },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct data_query q;
		struct error err;
		int rc = resolve(&cases[i].p, &q, &err);

		if (rc != cases[i].rc ||
		    strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
			fprintf(stderr, "case %zu: %d \"%s\"\n", i, rc,
			        err.msg);
		CHECK(rc == cases[i].rc);
		CHECK(strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) ==
		      0);
		/* nothing to free after an error */
		CHECK(q.areas == NULL && q.items == NULL && q.n_areas == 0 &&
		      q.n_items == 0 && q.text[0] == '\0');
	}
}

/* The limit: areas x items x periods; exactly DATA_MAX_CELLS is one
 * answer, one more is too big, and the message names the limit. */
static void
test_limit(void)
{
	char period[40], first[16], last[16];
	struct params p = { "gp_open", NULL, NULL, NULL, period, NULL };
	struct data_query q;
	struct data_table t;
	struct error err;
	size_t len;
	char *text;

	/* 8 municipalities x 1 x 12500 months = 100000 */
	p.level = "municipality";
	period_format(1970 * 12, first, sizeof(first));
	period_format(1970 * 12 + 12499, last, sizeof(last));
	snprintf(period, sizeof(period), "%s..%s", first, last);
	CHECK(resolve(&p, &q, &err) == DATA_OK);
	CHECK(q.n_areas * q.n_items *
	          (size_t)(q.last_period - q.first_period + 1) ==
	      DATA_MAX_CELLS);
	data_query_reset(&q);
	/* ... computed and printed whole */
	CHECK(table(&p, &ministry, &t));
	CHECK(t.n_cells == DATA_MAX_CELLS && t.n_periods == 12500);
	text = data_format_csv(&t, false, &len);
	CHECK(text != NULL && len > 0);
	/* the header and a row a cell */
	{
		size_t lines = 0, i;

		for (i = 0; text != NULL && i < len; i++)
			lines += text[i] == '\n';
		CHECK(lines == DATA_MAX_CELLS + 1);
	}
	free(text);
	data_table_reset(&t);
	/* 11 areas x 1 x 9091 months = 100001 */
	p.level = NULL;
	p.area = "SSS,SSS:children,MK01:children,MK02:children";
	period_format(1970 * 12 + 9090, last, sizeof(last));
	snprintf(period, sizeof(period), "%s..%s", first, last);
	CHECK(resolve(&p, &q, &err) == DATA_TOO_BIG);
	CHECK(strstr(err.msg, "100000") != NULL);
	CHECK(strstr(err.msg, "100001") != NULL);
	CHECK(q.areas == NULL && q.items == NULL);
	/* 10 areas x 1 x 10000 = 100000 again */
	p.area = "SSS:children,MK01:children,MK02:children";
	period_format(1970 * 12 + 9999, last, sizeof(last));
	snprintf(period, sizeof(period), "%s..%s", first, last);
	CHECK(resolve(&p, &q, &err) == DATA_OK);
	data_query_reset(&q);
	/* the widest range: 1970-01..9999-12 for one area and item */
	p.area = "SSS";
	CHECK(snprintf(period, sizeof(period), "1970-01..9999-12") > 0);
	CHECK(resolve(&p, &q, &err) == DATA_OK);
	CHECK(q.last_period - q.first_period + 1 == 96360);
	data_query_reset(&q);
	/* every indicator of every municipality for 4167 months is over */
	p.indicator = "*";
	p.area = NULL;
	p.level = "municipality";
	CHECK(snprintf(period, sizeof(period), "1970-01..2317-03") > 0);
	CHECK(resolve(&p, &q, &err) == DATA_TOO_BIG);
	{
		static const char want[] =
		    "too many cells: 8 x 3 x 4167 (areas x indicators x "
		    "periods) = 100008, more than the limit of 100000 a "
		    "request";

		CHECK(strncmp(err.msg, want, sizeof(want) - 1) == 0);
	}
}

/* A question that does not fit DATA_QUERY_MAX as resolved is refused,
 * naming the parameter: a catalog of 200 municipalities, 180 asked by
 * code. */
static void
test_too_long(void)
{
	struct catalog *big;
	struct buf munis, list;
	struct data_params p = { 0 };
	struct data_query q;
	struct error err = { 0 };
	int i;

	buf_init(&munis, (size_t)1 << 20);
	buf_init(&list, (size_t)1 << 20);
	buf_puts(&munis, "code,name_fi,name_sv,region_code,region_name_fi,"
	                 "region_name_sv,population,"
	                 "foreign_language_population\n");
	for (i = 100; i < 300; i++)
		buf_printf(&munis, "%03d,M%d,M%d,01,Uusimaa,Nyland,10,1\n", i,
		           i, i);
	for (i = 100; i < 280; i++)
		buf_printf(&list, "%sKU%03d", i > 100 ? "," : "", i);
	big = fixture_catalog(regions_csv, munis.data, measures_json, NULL);
	p.indicator = "gp_open";
	p.area = list.data;
	p.period = "2026-01";
	CHECK(list.len == 180 * 6 - 1 && list.len > DATA_QUERY_MAX);
	CHECK(data_resolve(big, &p, EXP, &q, &err) == DATA_BAD);
	CHECK(strncmp(err.msg, "parameter area: the question is too long",
	              40) == 0);
	CHECK(q.areas == NULL);
	/* 150 of them fit */
	list.data[150 * 6 - 1] = '\0';
	CHECK(data_resolve(big, &p, EXP, &q, &err) == DATA_OK);
	CHECK(q.n_areas == 150 && strlen(q.text) < DATA_QUERY_MAX);
	data_query_reset(&q);
	catalog_unref(big);
	buf_reset(&munis);
	buf_reset(&list);
}

/* --- computing --- */

/* The cube: areas as asked, items as asked, periods oldest first; every
 * cell is figure_compute's for that reader. */
static void
test_cube_order(void)
{
	struct params p = { "contacts,gp_coverage,reporting_rate",
		            "MK02,KU091,SSS,KU202",
		            NULL,
		            NULL,
		            "2026-01..2026-03",
		            NULL };
	struct data_table t;
	const struct principal *who[] = { &public_reader, &ministry, &kaarina };
	size_t w, a, i, k, n;

	for (w = 0; w < 3; w++) {
		CHECK(table(&p, who[w], &t));
		CHECK(t.q.n_areas == 4 && t.q.n_items == 3 &&
		      t.n_periods == 3 && t.n_cells == 36);
		CHECK(t.cat == cat);
		n = 0;
		for (a = 0; a < t.q.n_areas; a++)
			for (i = 0; i < t.q.n_items; i++)
				for (k = 0; k < t.n_periods; k++, n++) {
					struct figure_key key = {
						t.q.areas[a],
						t.q.items[i].indicator,
						t.q.items[i].measure
					};
					struct figure f;
					const struct figure *c =
					    data_cell(&t, a, i, k);

					figure_compute(
					    cat, mx, &key, P0 + (int)k,
					    access_is_unsuppressed(
					        who[w],
					        cat->areas[key.area].code),
					    &f);
					CHECK(c == &t.cells[n]);
					CHECK(c->flag == f.flag);
					CHECK(c->reporting == f.reporting &&
					      c->expected == f.expected);
					CHECK((isnan(c->value) &&
					       isnan(f.value)) ||
					      c->value == f.value);
				}
		data_table_reset(&t);
		CHECK(t.cells == NULL && t.cat == NULL);
	}
	/* by hand: MK02's contacts in P0 are 20 + 3 of 4 municipalities;
	 * SSS's P2 is Turku's. Two or one behind them: withheld from the
	 * public (figure.h), so read as the ministry */
	CHECK(table(&p, &public_reader, &t));
	CHECK(data_cell(&t, 0, 0, 0)->flag == FIGURE_SUPPRESSED);
	CHECK(data_cell(&t, 2, 0, 2)->flag == FIGURE_SUPPRESSED);
	data_table_reset(&t);
	CHECK(table(&p, &ministry, &t));
	CHECK(data_cell(&t, 0, 0, 0)->value == 23);
	CHECK(data_cell(&t, 0, 0, 0)->reporting == 2);
	CHECK(data_cell(&t, 0, 0, 0)->expected == 4);
	CHECK(data_cell(&t, 0, 0, 0)->flag == FIGURE_OK);
	CHECK(data_cell(&t, 2, 0, 2)->value == 30);
	CHECK(data_cell(&t, 2, 0, 2)->expected == 8);
	/* reporting_rate of SSS in P0: 4 of 8 */
	CHECK(data_cell(&t, 2, 2, 0)->value == 50);
	CHECK(data_cell(&t, 2, 2, 0)->numerator == 4);
	CHECK(data_cell(&t, 2, 2, 0)->denominator == 8);
	data_table_reset(&t);
}

/* The table holds a reference: the catalog outlives its last other
 * holder until the table is reset. */
static void
test_catalog_reference(void)
{
	struct params p = { "gp_open", "SSS", NULL, NULL, "2026-01", NULL };
	struct data_table t;
	int refs = atomic_load(&cat->refs);

	CHECK(table(&p, &public_reader, &t));
	CHECK(atomic_load(&cat->refs) == refs + 1);
	data_table_reset(&t);
	CHECK(atomic_load(&cat->refs) == refs);
	data_table_reset(&t); /* twice is harmless */
}

/* Small counts: withheld from the public, a municipal token's own shown,
 * the ministry's all; in the cells, the CSV and the JSON. */
static void
test_suppression(void)
{
	static const struct {
		const struct principal *who;
		const char *ku049, *ku202; /* the contacts rows' tails */
	} cases[] = {
		{ &public_reader, ",,,,1,1,suppressed", ",,,,1,1,suppressed" },
		{ &ministry, ",4,4,,1,1,", ",3,3,,1,1," },
		{ &kaarina, ",,,,1,1,suppressed", ",3,3,,1,1," },
	};
	struct params p = { "contacts,contacts_per_1000",
		            "KU049,KU202,MK02",
		            NULL,
		            NULL,
		            "2026-01",
		            NULL };
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct data_table t;
		char want[160], *csv, *json;
		size_t len;
		bool sees049 = cases[c].who == &ministry,
		     sees202 = cases[c].who != &public_reader;

		CHECK(table(&p, cases[c].who, &t));
		CHECK(data_cell(&t, 0, 0, 0)->flag ==
		      (sees049 ? FIGURE_OK : FIGURE_SUPPRESSED));
		CHECK(data_cell(&t, 1, 0, 0)->flag ==
		      (sees202 ? FIGURE_OK : FIGURE_SUPPRESSED));
		/* the indicator built on the count too: 3/40*1000 */
		CHECK(data_cell(&t, 1, 1, 0)->flag ==
		      (sees202 ? FIGURE_OK : FIGURE_SUPPRESSED));
		if (sees202)
			CHECK(data_cell(&t, 1, 1, 0)->value == 75);
		/* the region, two behind it: withheld but from the
		 * ministry (Kaarina's 3 would be MK02 minus Turku's 20) */
		CHECK(data_cell(&t, 2, 0, 0)->flag ==
		      (sees049 ? FIGURE_OK : FIGURE_SUPPRESSED));
		csv = data_format_csv(&t, false, &len);
		snprintf(want, sizeof(want),
		         "\r\nKU049,Espoo,MK01,contacts,2026-01%s\r\n",
		         cases[c].ku049);
		CHECK(strstr(csv, want) != NULL);
		snprintf(want, sizeof(want),
		         "\r\nKU202,\"Kaarina, \"\"test\"\"\",MK02,contacts,"
		         "2026-01%s\r\n",
		         cases[c].ku202);
		CHECK(strstr(csv, want) != NULL);
		CHECK(strstr(csv, sees049
		                      ? "MK02,Varsinais-Suomi,MK02,contacts,"
		                        "2026-01,23,23,,2,4,\r\n"
		                      : "MK02,Varsinais-Suomi,MK02,contacts,"
		                        "2026-01,,,,2,4,suppressed\r\n") !=
		      NULL);
		if (!sees202)
			CHECK(strstr(csv, ",75,") == NULL);
		json = data_format_json(&t, &len);
		CHECK(strstr(json, sees049 ? "[\"KU049\",\"Espoo\",\"MK01\","
		                             "\"contacts\",\"2026-01\",4,4,"
		                             "null,1,1,null]"
		                           : "[\"KU049\",\"Espoo\",\"MK01\","
		                             "\"contacts\",\"2026-01\",null,"
		                             "null,null,1,1,\"suppressed\"]") !=
		      NULL);
		CHECK(strstr(json, sees202 ? ",\"contacts_per_1000\","
		                             "\"2026-01\",75,3,40,1,1,null]"
		                           : ",\"contacts_per_1000\","
		                             "\"2026-01\",null,null,null,1,1,"
		                             "\"suppressed\"]") != NULL);
		free(csv);
		free(json);
		data_table_reset(&t);
	}
}

/* --- formatting --- */

static void
test_columns_and_flags(void)
{
	static const char *const want[] = {
		"area",      "area_name", "region",    "indicator",
		"period",    "value",     "numerator", "denominator",
		"reporting", "expected",  "flag",
	};
	size_t i;

	CHECK(data_n_columns == 11);
	for (i = 0; i < data_n_columns && i < 11; i++)
		CHECK_STR(data_columns[i], want[i]);
	CHECK_STR(data_flag_text(FIGURE_OK), "");
	CHECK_STR(data_flag_text(FIGURE_MISSING), "missing");
	CHECK_STR(data_flag_text(FIGURE_SUPPRESSED), "suppressed");
}

/* Helsinki's 110 in 2026-02 is withheld: alone in its region that
 * month, it is all of MK01's (figure.h) */
static const char csv_want[] =
    "area,area_name,region,indicator,period,value,numerator,denominator,"
    "reporting,expected,flag\r\n"
    "KU091,Helsinki,MK01,contacts,2026-01,100,100,,1,1,\r\n"
    "KU091,Helsinki,MK01,contacts,2026-02,,,,1,1,suppressed\r\n"
    "KU091,Helsinki,MK01,gp_coverage,2026-01,100,200,200,1,1,\r\n"
    "KU091,Helsinki,MK01,gp_coverage,2026-02,,,,0,1,missing\r\n"
    "KU091,Helsinki,MK01,staff_fte,2026-01,2.5,2.5,,1,1,\r\n"
    "KU091,Helsinki,MK01,staff_fte,2026-02,,,,0,1,missing\r\n"
    "KU202,\"Kaarina, \"\"test\"\"\",MK02,contacts,2026-01,,,,1,1,"
    "suppressed\r\n"
    "KU202,\"Kaarina, \"\"test\"\"\",MK02,contacts,2026-02,,,,0,1,"
    "missing\r\n"
    "KU202,\"Kaarina, \"\"test\"\"\",MK02,gp_coverage,2026-01,100,40,40,"
    "1,1,\r\n"
    "KU202,\"Kaarina, \"\"test\"\"\",MK02,gp_coverage,2026-02,,,,0,1,"
    "missing\r\n"
    "KU202,\"Kaarina, \"\"test\"\"\",MK02,staff_fte,2026-01,,,,0,1,"
    "missing\r\n"
    "KU202,\"Kaarina, \"\"test\"\"\",MK02,staff_fte,2026-02,,,,0,1,"
    "missing\r\n"
    "SSS,Koko maa,,staff_fte,2026-01,2.5,2.5,,1,8,\r\n";

/* excel-fi in Swedish: the byte-order mark, ';', decimal commas, and the
 * name with a ';' quoted (the one with ',' needs no quotes here) */
static const char excel_want[] =
    "\xEF\xBB\xBF"
    "area;area_name;region;indicator;period;value;numerator;denominator;"
    "reporting;expected;flag\r\n"
    "KU091;Helsingfors;MK01;contacts;2026-01;100;100;;1;1;\r\n"
    "KU091;Helsingfors;MK01;contacts;2026-02;;;;1;1;suppressed\r\n"
    "KU091;Helsingfors;MK01;gp_coverage;2026-01;100;200;200;1;1;\r\n"
    "KU091;Helsingfors;MK01;gp_coverage;2026-02;;;;0;1;missing\r\n"
    "KU091;Helsingfors;MK01;staff_fte;2026-01;2,5;2,5;;1;1;\r\n"
    "KU091;Helsingfors;MK01;staff_fte;2026-02;;;;0;1;missing\r\n"
    "KU202;\"S:t Karins; test\";MK02;contacts;2026-01;;;;1;1;"
    "suppressed\r\n"
    "KU202;\"S:t Karins; test\";MK02;contacts;2026-02;;;;0;1;missing\r\n"
    "KU202;\"S:t Karins; test\";MK02;gp_coverage;2026-01;100;40;40;1;1;"
    "\r\n"
    "KU202;\"S:t Karins; test\";MK02;gp_coverage;2026-02;;;;0;1;"
    "missing\r\n"
    "KU202;\"S:t Karins; test\";MK02;staff_fte;2026-01;;;;0;1;missing\r\n"
    "KU202;\"S:t Karins; test\";MK02;staff_fte;2026-02;;;;0;1;missing\r\n"
    "SSS;Hela landet;;staff_fte;2026-01;2,5;2,5;;1;8;\r\n";

/* The CSV of a small table, byte for byte, in both dialects. */
static void
test_csv_bytes(void)
{
	struct params p = { "contacts,gp_coverage,staff_fte",
		            "KU091,KU202",
		            NULL,
		            NULL,
		            "2026-01..2026-02",
		            "fi" };
	struct params sss = { "staff_fte", "SSS", NULL, NULL, "2026-01", "fi" };
	struct data_table t, s;
	char *text, *tail, *all;
	size_t len, tail_len;

	/* two tables' CSV joined: the second's rows after the first's */
	CHECK(table(&p, &public_reader, &t));
	CHECK(table(&sss, &public_reader, &s));
	text = data_format_csv(&t, false, &len);
	tail = data_format_csv(&s, false, &tail_len);
	all = malloc(len + tail_len + 1);
	if (all == NULL)
		abort();
	memcpy(all, text, len);
	/* without the second header */
	memcpy(all + len, strchr(tail, '\n') + 1,
	       tail_len - (size_t)(strchr(tail, '\n') + 1 - tail) + 1);
	CHECK_STR(all, csv_want);
	CHECK(len == strlen(text));
	free(text);
	free(tail);
	free(all);
	data_table_reset(&t);
	data_table_reset(&s);

	p.lang = sss.lang = "sv";
	CHECK(table(&p, &public_reader, &t));
	CHECK(table(&sss, &public_reader, &s));
	text = data_format_csv(&t, true, &len);
	tail = data_format_csv(&s, true, &tail_len);
	all = malloc(len + tail_len + 1);
	if (all == NULL)
		abort();
	memcpy(all, text, len);
	memcpy(all + len, strchr(tail, '\n') + 1,
	       tail_len - (size_t)(strchr(tail, '\n') + 1 - tail) + 1);
	CHECK_STR(all, excel_want);
	free(text);
	free(tail);
	free(all);
	data_table_reset(&t);
	data_table_reset(&s);
}

static const cJSON *
item(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* The JSON: columns, rows of numbers, strings and nulls, the query and
 * the names of what it holds. */
static void
test_json_shape(void)
{
	struct params p = { "contacts,gp_coverage",
		            "KU202,SSS,MK01",
		            NULL,
		            NULL,
		            "2026-01..2026-02",
		            "en" };
	struct data_table t;
	const cJSON *cols, *rows, *row, *areas, *inds, *ind;
	cJSON *doc;
	char *text;
	size_t len, i;

	CHECK(table(&p, &ministry, &t));
	text = data_format_json(&t, &len);
	CHECK(len == strlen(text));
	doc = cJSON_ParseWithLength(text, len);
	CHECK(doc != NULL && cJSON_IsObject(doc));
	if (doc == NULL)
		goto out;
	cols = item(doc, "columns");
	CHECK(cJSON_GetArraySize(cols) == 11);
	for (i = 0; i < 11; i++)
		CHECK_STR(cJSON_GetArrayItem(cols, (int)i)->valuestring,
		          data_columns[i]);
	rows = item(doc, "rows");
	CHECK(cJSON_GetArraySize(rows) == 3 * 2 * 2);
	cJSON_ArrayForEach(row, rows) CHECK(cJSON_GetArraySize(row) == 11);
	/* KU202's contacts in 2026-01, the ministry's view: 3 */
	row = cJSON_GetArrayItem(rows, 0);
	CHECK_STR(cJSON_GetArrayItem(row, 0)->valuestring, "KU202");
	CHECK_STR(cJSON_GetArrayItem(row, 1)->valuestring, "Kaarina, \"test\"");
	CHECK_STR(cJSON_GetArrayItem(row, 2)->valuestring, "MK02");
	CHECK_STR(cJSON_GetArrayItem(row, 3)->valuestring, "contacts");
	CHECK_STR(cJSON_GetArrayItem(row, 4)->valuestring, "2026-01");
	CHECK(cJSON_IsNumber(cJSON_GetArrayItem(row, 5)) &&
	      cJSON_GetArrayItem(row, 5)->valuedouble == 3);
	CHECK(cJSON_IsNull(cJSON_GetArrayItem(row, 7)));
	CHECK(cJSON_GetArrayItem(row, 8)->valueint == 1);
	CHECK(cJSON_GetArrayItem(row, 9)->valueint == 1);
	CHECK(cJSON_IsNull(cJSON_GetArrayItem(row, 10)));
	/* its 2026-02: missing */
	row = cJSON_GetArrayItem(rows, 1);
	CHECK(cJSON_IsNull(cJSON_GetArrayItem(row, 5)) &&
	      cJSON_IsNull(cJSON_GetArrayItem(row, 6)));
	CHECK_STR(cJSON_GetArrayItem(row, 10)->valuestring, "missing");
	/* the country: no region; 100 + 4 + 20 + 3 contacts */
	row = cJSON_GetArrayItem(rows, 4);
	CHECK_STR(cJSON_GetArrayItem(row, 0)->valuestring, "SSS");
	CHECK(cJSON_IsNull(cJSON_GetArrayItem(row, 2)));
	CHECK(cJSON_GetArrayItem(row, 5)->valuedouble == 127);
	CHECK(cJSON_GetArrayItem(row, 8)->valueint == 4 &&
	      cJSON_GetArrayItem(row, 9)->valueint == 8);
	/* a region: its own code as region; gp_coverage in 2026-01 over
	 * Helsinki and Espoo: 200 / 300 * 100 */
	row = cJSON_GetArrayItem(rows, 10);
	CHECK_STR(cJSON_GetArrayItem(row, 0)->valuestring, "MK01");
	CHECK_STR(cJSON_GetArrayItem(row, 2)->valuestring, "MK01");
	CHECK_STR(cJSON_GetArrayItem(row, 3)->valuestring, "gp_coverage");
	CHECK_NEAR(cJSON_GetArrayItem(row, 5)->valuedouble, 200.0 / 3, 1e-12);
	CHECK(cJSON_GetArrayItem(row, 6)->valuedouble == 200 &&
	      cJSON_GetArrayItem(row, 7)->valuedouble == 300);
	/* the question as resolved */
	CHECK_STR(item(doc, "query")->valuestring,
	          "indicator=contacts,gp_coverage&area=KU202,SSS,MK01"
	          "&period=2026-01..2026-02&lang=en");
	/* the names: the areas asked, then KU202's region */
	areas = item(doc, "areas");
	CHECK(cJSON_GetArraySize(areas) == 4);
	CHECK_STR(item(areas, "KU202")->valuestring, "Kaarina, \"test\"");
	CHECK_STR(item(areas, "SSS")->valuestring, "Whole country");
	CHECK_STR(item(areas, "MK01")->valuestring, "Uusimaa");
	CHECK_STR(item(areas, "MK02")->valuestring, "Southwest Finland");
	CHECK_STR(areas->child->string, "KU202");
	CHECK_STR(areas->child->next->next->next->string, "MK02");
	inds = item(doc, "indicators");
	CHECK(cJSON_GetArraySize(inds) == 2);
	ind = item(inds, "gp_coverage");
	CHECK_STR(item(ind, "name")->valuestring, "Coverage \"all\"");
	CHECK_STR(item(ind, "unit")->valuestring, "%");
	CHECK_STR(item(item(inds, "contacts"), "unit")->valuestring, "n");
	/* a number prints as every route prints it (number.h) */
	{
		char num[NUMBER_TEXT_MAX], want[80];

		number_format(200.0 / 300 * 100, num, sizeof(num));
		snprintf(want, sizeof(want), ",%s,200,300,2,4,null]", num);
		CHECK(strstr(text, want) != NULL);
	}
	cJSON_Delete(doc);
out:
	free(text);
	data_table_reset(&t);
}

/* An empty table (nothing resolved) formats as an empty answer. */
static void
test_empty_table(void)
{
	struct data_query q;
	struct data_table t;
	char *text;
	size_t len;

	memset(&q, 0, sizeof(q));
	data_compute(cat, mx, &q, &public_reader, &t);
	CHECK(t.n_cells == 0);
	text = data_format_csv(&t, false, &len);
	CHECK_STR(text, "area,area_name,region,indicator,period,value,"
	                "numerator,denominator,reporting,expected,flag\r\n");
	free(text);
	text = data_format_json(&t, &len);
	CHECK(strstr(text, "\"rows\":[\n]") != NULL);
	free(text);
	data_table_reset(&t);
}

/* data_mark_outliers: the measure and the indicators built on it, of
 * that municipality and period only; suppressed and missing win. */
static void
test_outliers(void)
{
	const struct params c = {
		"contacts,contacts_per_1000,reporting_rate,staff_fte",
		"KU091,KU853",
		NULL,
		NULL,
		"2026-01..2026-02",
		NULL
	};
	int k91 = catalog_find_area(cat, "KU091"),
	    k853 = catalog_find_area(cat, "KU853"),
	    k49 = catalog_find_area(cat, "KU049"),
	    contacts = catalog_find_measure(cat, "contacts"),
	    staff = catalog_find_measure(cat, "staff_fte");
	const struct data_outlier o[] = {
		{ k91, contacts, P0 }, { k91, contacts, P0 + 1 },
		{ k853, staff, P0 },   { k91, contacts, P0 + 5 },
		{ k49, contacts, P0 },
	};
	struct data_table t;
	size_t len;
	char *text;

	if (!table(&c, &ministry, &t))
		return;
	data_mark_outliers(&t, o, sizeof(o) / sizeof(o[0]));
	/* KU091: contacts and contacts_per_1000 in both months */
	CHECK_STR(data_row_flag(data_cell(&t, 0, 0, 0)), "outlier");
	CHECK_STR(data_row_flag(data_cell(&t, 0, 0, 1)), "outlier");
	CHECK_STR(data_row_flag(data_cell(&t, 0, 1, 0)), "outlier");
	CHECK_STR(data_row_flag(data_cell(&t, 0, 1, 1)), "outlier");
	/* reporting_rate is built on no measure; staff_fte not flagged */
	CHECK_STR(data_row_flag(data_cell(&t, 0, 2, 0)), "");
	CHECK_STR(data_row_flag(data_cell(&t, 0, 3, 0)), "");
	/* KU853: staff_fte flagged but missing; contacts not flagged */
	CHECK_STR(data_row_flag(data_cell(&t, 1, 3, 0)), "missing");
	CHECK_STR(data_row_flag(data_cell(&t, 1, 0, 0)), "");
	CHECK(data_cell(&t, 0, 0, 0)->value == 100);
	text = data_format_csv(&t, false, &len);
	CHECK(strstr(text, "KU091,Helsinki,MK01,contacts,2026-01,100,100,,1,1,"
	                   "outlier\r\n") != NULL);
	free(text);
	text = data_format_json(&t, &len);
	CHECK(strstr(text, "\"2026-01\",100,100,null,1,1,\"outlier\"]") !=
	      NULL);
	free(text);
	data_table_reset(&t);
	/* the public: Helsinki's February is withheld, which wins */
	if (!table(&c, &public_reader, &t))
		return;
	data_mark_outliers(&t, o, sizeof(o) / sizeof(o[0]));
	CHECK_STR(data_row_flag(data_cell(&t, 0, 0, 0)), "outlier");
	CHECK_STR(data_row_flag(data_cell(&t, 0, 0, 1)), "suppressed");
	data_table_reset(&t);
}

int
main(void)
{
	setup();
	RUN(test_resolve_forms);
	RUN(test_resolve_errors);
	RUN(test_limit);
	RUN(test_too_long);
	RUN(test_cube_order);
	RUN(test_catalog_reference);
	RUN(test_suppression);
	RUN(test_columns_and_flags);
	RUN(test_csv_bytes);
	RUN(test_json_shape);
	RUN(test_empty_table);
	RUN(test_outliers);
	matrix_free(mx);
	catalog_unref(cat);
	return check_done();
}
