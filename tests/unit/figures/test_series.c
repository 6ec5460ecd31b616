/*
 * test_series.c: series against real RRD files and a real database in a
 * temporary folder, written through store_rrd and store_db.
 *
 * The catalog has two regions: MK01 with Helsinki (KU091, pop_fl 200),
 * Espoo (KU049, pop_fl 100) and Vantaa (KU092, pop_fl 50, never reports:
 * no file), and MK02 with Turku (KU853, pop_fl 60). Ten days of hourly
 * samples from T0 hold one value per day, so daily points are exact:
 *   KU091  gp_open 1, contacts 100+d, contacts_remote 3, staff_fte 2.5
 *   KU049  gp_open d%2, contacts 4 on day 0 then 50, contacts_remote 10,
 *          staff_fte unknown on day 3 else 1, gp_languages 7
 *   KU853  gp_open 1, contacts 20, contacts_remote 5, staff_fte 3
 * Every expected value below is worked out by hand from these.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "catalog.h"
#include "check.h"
#include "fixture.h"
#include "series.h"
#include "store_db.h"
#include "store_rrd.h"
#include "timespec.h"

#define DAY 86400
#define T0 ((time_t)1767225600) /* 2026-01-01T00:00:00Z */
#define N_DAYS 10
#define NOW (T0 + 12 * DAY) /* the clock the tests resolve against */

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
#define NAMES "\"name\": {\"fi\": \"x\", \"sv\": \"x\", \"en\": \"x\"}"
#define MEASURE(id, agg, count)                                                \
	"{\"id\": \"" id "\", \"unit\": \"n\", \"min\": 0, \"max\": 1000000, " \
	"\"aggregate\": \"" agg "\", \"is_count\": " count ", " NAMES "}"
#define RATIO(id, num, den, scale, unit)                                       \
	"{\"id\": \"" id "\", \"numerator\": \"" num "\", \"denominator\": "   \
	"\"" den "\", \"scale\": " scale ", \"unit\": \"" unit "\", " NAMES    \
	"}"
static const char
    measures_json[] = "{\"measures\": [" MEASURE("gp_open", "sum", "false") "," MEASURE("contacts", "sum", "true") "," MEASURE(
        "contacts_remote", "sum",
        "true") "," MEASURE("staff_fte", "sum",
                            "false") "," MEASURE("gp_languages", "max",
                                                 "false") "], \"indicators\": "
                                                          "[" RATIO(
                                                              "gp_"
                                                              "coverage",
                                                              "gp_open*"
                                                              "pop_fl",
                                                              "pop_fl", "100",
                                                              "%") "," RATIO("c"
                                                                             "o"
                                                                             "n"
                                                                             "t"
                                                                             "a"
                                                                             "c"
                                                                             "t"
                                                                             "s"
                                                                             "_"
                                                                             "p"
                                                                             "e"
                                                                             "r"
                                                                             "_"
                                                                             "1"
                                                                             "0"
                                                                             "0"
                                                                             "0",
                                                                             "c"
                                                                             "o"
                                                                             "n"
                                                                             "t"
                                                                             "a"
                                                                             "c"
                                                                             "t"
                                                                             "s",
                                                                             "p"
                                                                             "o"
                                                                             "p"
                                                                             "_"
                                                                             "f"
                                                                             "l",
                                                                             "1"
                                                                             "0"
                                                                             "0"
                                                                             "0",
                                                                             "p"
                                                                             "e"
                                                                             "r"
                                                                             " "
                                                                             "1"
                                                                             "0"
                                                                             "0"
                                                                             "0") "," RATIO("remote_share",
                                                                                            "contacts_remote",
                                                                                            "contacts",
                                                                                            "100",
                                                                                            "%") ","
                                                                                                 "{\"id\": \"reporting_rate\", \"kind\": \"reporting\", \"scale\": 100,"
                                                                                                 " \"unit\": \"%\", " NAMES
                                                                                                 "}"
                                                                                                 "], \"rules\": []}";
static const char endpoints_csv[] = "area,url,profile\n";

static char root[64];
static struct catalog *cat;
static struct store_rrd *rrd;
static struct store_db *db;

static struct catalog *
make_catalog(void)
{
	return fixture_catalog(regions_csv, munis_csv, measures_json,
	                       endpoints_csv);
}

/* The value of measure id for area on day d (NaN: unknown). */
static double
value_of(const char *area, const char *id, int d)
{
	if (strcmp(area, "KU091") == 0) {
		if (strcmp(id, "gp_open") == 0)
			return 1;
		if (strcmp(id, "contacts") == 0)
			return 100 + d;
		if (strcmp(id, "contacts_remote") == 0)
			return 3;
		if (strcmp(id, "staff_fte") == 0)
			return 2.5;
	} else if (strcmp(area, "KU049") == 0) {
		if (strcmp(id, "gp_open") == 0)
			return d % 2;
		if (strcmp(id, "contacts") == 0)
			return d == 0 ? 4 : 50;
		if (strcmp(id, "contacts_remote") == 0)
			return 10;
		if (strcmp(id, "staff_fte") == 0)
			return d == 3 ? NAN : 1;
		if (strcmp(id, "gp_languages") == 0)
			return 7;
	} else if (strcmp(area, "KU853") == 0) {
		if (strcmp(id, "gp_open") == 0)
			return 1;
		if (strcmp(id, "contacts") == 0)
			return 20;
		if (strcmp(id, "contacts_remote") == 0)
			return 5;
		if (strcmp(id, "staff_fte") == 0)
			return 3;
	}
	return NAN;
}

/* Hourly samples from T0 + 1 h to T0 + n_days; the sample at t stands for
 * the hour before it, so it carries the value of the day that hour is in. */
static void
write_area(const char *area, time_t from, int n_days)
{
	size_t n_m = cat->n_measures, n = (size_t)n_days * 24, s, i;
	time_t *times = calloc(n, sizeof(*times));
	double *values = calloc(n * n_m, sizeof(*values));
	struct error err = { 0 };

	for (s = 0; s < n; s++) {
		times[s] = from + (time_t)(s + 1) * 3600;
		for (i = 0; i < n_m; i++)
			values[s * n_m + i] =
			    value_of(area, cat->measures[i].id,
			             (int)((times[s] - 1 - T0) / DAY));
	}
	if (store_rrd_prepare(rrd, area, cat->measures, n_m, 3 * DAY, from - 1,
	                      &err) < 0 ||
	    store_rrd_update(rrd, area, cat->measures, n_m, times, values, n,
	                     &err) < 0) {
		fprintf(stderr, "write %s: %s\n", area, err.msg);
		exit(1);
	}
	free(times);
	free(values);
}

static void
record_report(const char *area, int period)
{
	struct db_outcome o = { 0 };

	o.area = area;
	o.time = period_end(period);
	o.source = "import";
	o.period = period;
	o.n_accepted = 1;
	if (store_db_record(db, &o) < 0) {
		fprintf(stderr, "cannot record a report\n");
		exit(1);
	}
}

static void
setup(void)
{
	struct error err = { 0 };
	char path[128];
	int p = period_of(T0);

	fixture_tmpdir(root, sizeof(root), "test_series");
	cat = make_catalog();
	rrd = store_rrd_new(root, 3600, NULL, &err);
	snprintf(path, sizeof(path), "%s/kuntamon.db", root);
	db = store_db_open(path, &err);
	if (rrd == NULL || db == NULL) {
		fprintf(stderr, "stores: %s\n", err.msg);
		exit(1);
	}
	write_area("KU091", T0, N_DAYS);
	write_area("KU049", T0, N_DAYS);
	write_area("KU853", T0, N_DAYS);
	/* reports of the two months before T0's */
	record_report("KU091", p - 2);
	record_report("KU091", p - 1);
	record_report("KU049", p - 1);
	record_report("KU853", p - 2);
	record_report("KU092", p + 5); /* outside the range asked */
}

static void
teardown(void)
{
	store_db_close(db);
	store_rrd_free(rrd);
	catalog_unref(cat);
	fixture_rmtree(root);
}

/* Resolves and computes; the series is empty on failure. */
static int
get(const char *area, const char *ind, time_t start, time_t end,
    const char *step, bool is_unsuppressed, struct series *out)
{
	struct series_params p = { 0 };
	struct series_spec spec;
	struct error err = { 0 };
	char s[24], e[24];

	snprintf(s, sizeof(s), "%lld", (long long)start);
	snprintf(e, sizeof(e), "%lld", (long long)end);
	p.area = area;
	p.indicator = ind;
	p.start = s;
	p.end = e;
	p.step = step;
	memset(out, 0, sizeof(*out));
	if (series_resolve(cat, 3600, &p, NOW, &spec, &err) != SERIES_OK) {
		fprintf(stderr, "resolve %s %s: %s\n", area, ind, err.msg);
		return -1;
	}
	if (series_compute(cat, rrd, db, &spec, is_unsuppressed, out, &err) <
	    0) {
		fprintf(stderr, "compute %s %s: %s\n", area, ind, err.msg);
		return -1;
	}
	return 0;
}

static int
get_days(const char *area, const char *ind, bool is_unsuppressed,
         struct series *out)
{
	return get(area, ind, T0, T0 + N_DAYS * DAY, "86400", is_unsuppressed,
	           out);
}

static void
test_municipality_exact(void)
{
	struct series s;
	int d;

	CHECK(get_days("KU091", "contacts", true, &s) == 0);
	CHECK(s.n_points == N_DAYS);
	CHECK(s.step == DAY);
	CHECK(s.start == T0);
	CHECK(s.end == T0 + N_DAYS * DAY);
	CHECK(s.reporting == 1);
	CHECK(s.expected == 1);
	CHECK_STR(s.area, "KU091");
	CHECK_STR(s.indicator, "contacts");
	CHECK_STR(s.unit, "n");
	for (d = 0; d < N_DAYS && d < (int)s.n_points; d++) {
		CHECK(s.times[d] == T0 + d * DAY);
		CHECK_NEAR(s.values[d], 100 + d, 0);
	}
	series_reset(&s);

	/* hourly: each hour holds its day's value */
	CHECK(get("KU091", "contacts", T0, T0 + 2 * DAY, NULL, true, &s) == 0);
	CHECK(s.step == 3600);
	CHECK(s.n_points == 48);
	if (s.n_points == 48) {
		CHECK_NEAR(s.values[0], 100, 0);
		CHECK_NEAR(s.values[23], 100, 0);
		CHECK_NEAR(s.values[24], 101, 0);
		CHECK(s.times[24] == T0 + DAY);
	}
	series_reset(&s);

	/* before the file began and after its last update: unknown */
	CHECK(get("KU091", "contacts", T0 - 2 * DAY, NOW, "86400", true, &s) ==
	      0);
	CHECK(s.n_points == 14);
	if (s.n_points == 14) {
		CHECK(isnan(s.values[0]) && isnan(s.values[1]));
		CHECK_NEAR(s.values[2], 100, 0);
		CHECK_NEAR(s.values[11], 109, 0);
		CHECK(isnan(s.values[12]) && isnan(s.values[13]));
	}
	series_reset(&s);

	/* a municipality's indicator is the same arithmetic over one */
	CHECK(get_days("KU091", "contacts_per_1000", true, &s) == 0);
	CHECK_NEAR(s.values[0], 100.0 / 200 * 1000, 1e-9);
	CHECK_NEAR(s.values[9], 109.0 / 200 * 1000, 1e-9);
	series_reset(&s);
	CHECK(get_days("KU049", "staff_fte", true, &s) == 0);
	CHECK_NEAR(s.values[2], 1, 0);
	CHECK(isnan(s.values[3]));
	CHECK(s.reporting == 1);
	series_reset(&s);
	/* Vantaa has no file: every point unknown, not reporting */
	CHECK(get_days("KU092", "contacts", true, &s) == 0);
	CHECK(s.n_points == N_DAYS && isnan(s.values[0]) && s.reporting == 0);
	CHECK(s.expected == 1);
	series_reset(&s);
}

static void
test_region_ratio_of_sums(void)
{
	struct series s;
	int d;

	/* gp_coverage of MK01: (gp_open * pop_fl summed) / (pop_fl of those
	 * that reported) * 100; Vantaa never reported and counts in neither.
	 * Even days: Espoo closed: 200 / 300; odd days: 300 / 300. A mean
	 * of the ratios would give 50 on even days. */
	CHECK(get_days("MK01", "gp_coverage", false, &s) == 0);
	CHECK(s.reporting == 2);
	CHECK(s.expected == 3);
	CHECK(s.n_withheld == 0);
	for (d = 0; d < N_DAYS && d < (int)s.n_points; d++)
		CHECK_NEAR(s.values[d], d % 2 == 0 ? 200.0 / 300 * 100 : 100,
		           1e-9);
	series_reset(&s);

	/* remote_share: sum of remote / sum of contacts, never suppressed
	 * for a region though Helsinki's 3 and Espoo's 4 are small */
	CHECK(get_days("MK01", "remote_share", false, &s) == 0);
	CHECK_NEAR(s.values[0], (3.0 + 10) / (100 + 4) * 100, 1e-9);
	CHECK_NEAR(s.values[5], (3.0 + 10) / (105 + 50) * 100, 1e-9);
	series_reset(&s);

	/* the country: contacts per 1000 foreign-language residents of the
	 * municipalities that reported contacts (not Vantaa) */
	CHECK(get_days("SSS", "contacts_per_1000", false, &s) == 0);
	CHECK(s.expected == 4);
	CHECK(s.reporting == 3);
	CHECK_NEAR(s.values[0], (100.0 + 4 + 20) / (200 + 100 + 60) * 1000,
	           1e-9);
	CHECK_NEAR(s.values[7], (107.0 + 50 + 20) / (200 + 100 + 60) * 1000,
	           1e-9);
	series_reset(&s);

	/* staff_fte summed over those that reported it: Espoo's unknown
	 * day 3 leaves Helsinki's alone */
	CHECK(get_days("MK01", "staff_fte", false, &s) == 0);
	CHECK_NEAR(s.values[2], 3.5, 1e-12);
	CHECK_NEAR(s.values[3], 2.5, 1e-12);
	series_reset(&s);
}

static void
test_measure_vs_indicator(void)
{
	struct series s;

	/* a measure aggregates by its rule */
	CHECK(get_days("MK01", "contacts", false, &s) == 0);
	CHECK_NEAR(s.values[0], 104, 0);
	CHECK_NEAR(s.values[1], 151, 0);
	CHECK_STR(s.indicator, "contacts");
	series_reset(&s);
	CHECK(get_days("MK01", "gp_languages", false, &s) == 0);
	CHECK_NEAR(s.values[0], 7, 0); /* max of Espoo's 7, Helsinki's none */
	CHECK(s.reporting == 1);
	series_reset(&s);
	CHECK(get_days("SSS", "gp_open", false, &s) == 0);
	CHECK_NEAR(s.values[0], 2, 0);
	CHECK_NEAR(s.values[1], 3, 0);
	series_reset(&s);
	/* the indicator of the same figure */
	CHECK(get_days("MK01", "contacts_per_1000", false, &s) == 0);
	CHECK_NEAR(s.values[0], 104.0 / 300 * 1000, 1e-9);
	CHECK_STR(s.unit, "per 1000");
	series_reset(&s);
}

static void
test_suppression(void)
{
	struct series s;
	int d;

	/* Helsinki's 3 remote contacts: the public sees no remote_share */
	CHECK(get_days("KU091", "remote_share", false, &s) == 0);
	CHECK(s.n_withheld == N_DAYS);
	for (d = 0; d < N_DAYS; d++)
		CHECK(isnan(s.values[d]) && s.is_withheld[d]);
	series_reset(&s);
	CHECK(get_days("KU091", "remote_share", true, &s) == 0);
	CHECK(s.n_withheld == 0);
	CHECK_NEAR(s.values[0], 3.0 / 100 * 100, 1e-9);
	series_reset(&s);
	CHECK(get_days("KU091", "contacts_remote", false, &s) == 0);
	CHECK(s.n_withheld == N_DAYS && isnan(s.values[4]));
	series_reset(&s);

	/* Espoo's 4 contacts on day 0 only; its remote_share is withheld
	 * that day too, through the denominator */
	CHECK(get_days("KU049", "contacts", false, &s) == 0);
	CHECK(s.n_withheld == 1);
	CHECK(isnan(s.values[0]) && s.is_withheld[0]);
	CHECK_NEAR(s.values[1], 50, 0);
	CHECK(!s.is_withheld[1]);
	series_reset(&s);
	CHECK(get_days("KU049", "contacts", true, &s) == 0);
	CHECK(s.n_withheld == 0);
	CHECK_NEAR(s.values[0], 4, 0);
	series_reset(&s);
	CHECK(get_days("KU049", "remote_share", false, &s) == 0);
	CHECK(s.n_withheld == 1 && s.is_withheld[0]);
	CHECK_NEAR(s.values[1], 10.0 / 50 * 100, 1e-9);
	series_reset(&s);

	/* not built on a count: nothing to withhold */
	CHECK(get_days("KU049", "gp_coverage", false, &s) == 0);
	CHECK(s.n_withheld == 0);
	CHECK_NEAR(s.values[1], 100, 1e-9);
	series_reset(&s);
	CHECK(get_days("KU091", "staff_fte", false, &s) == 0);
	CHECK(s.n_withheld == 0);
	CHECK_NEAR(s.values[0], 2.5, 0);
	series_reset(&s);
	/* 5 is not below 5 */
	CHECK(get_days("KU853", "contacts_remote", false, &s) == 0);
	CHECK(s.n_withheld == 0);
	CHECK_NEAR(s.values[0], 5, 0);
	series_reset(&s);
	/* unknown values are not "withheld": there is nothing to withhold */
	CHECK(get_days("KU092", "contacts", false, &s) == 0);
	CHECK(s.n_withheld == 0);
	series_reset(&s);
}

static void
test_suppressible(void)
{
	static const struct {
		const char *area, *ind;
		bool want;
	} cases[] = {
		{ "KU091", "contacts", true },
		{ "KU091", "remote_share", true },
		{ "KU091", "contacts_per_1000", true },
		{ "KU091", "gp_coverage", false },
		{ "KU091", "staff_fte", false },
		{ "KU091", "reporting_rate", false },
		{ "MK01", "contacts", false },
		{ "SSS", "remote_share", false },
	};
	struct series_params p = { 0 };
	struct series_spec spec;
	struct error err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.area = cases[i].area;
		p.indicator = cases[i].ind;
		CHECK(series_resolve(cat, 3600, &p, NOW, &spec, &err) ==
		      SERIES_OK);
		if (series_is_suppressible(cat, &spec) != cases[i].want) {
			fprintf(stderr, "suppressible %s %s\n", cases[i].area,
			        cases[i].ind);
			CHECK(0);
		}
	}
}

static void
test_reporting_rate(void)
{
	struct series s;
	int p = period_of(T0);

	/* the two months before T0's: MK01 expects 3 */
	CHECK(get("MK01", "reporting_rate", period_start(p - 2),
	          period_start(p), NULL, false, &s) == 0);
	CHECK(s.n_points == 2);
	CHECK(s.step == SERIES_MONTH_S);
	CHECK(s.expected == 3);
	CHECK(s.reporting == 2);
	if (s.n_points == 2) {
		CHECK(s.times[0] == period_start(p - 2));
		CHECK(s.times[1] == period_start(p - 1));
		CHECK_NEAR(s.values[0], 100.0 / 3, 1e-9); /* Helsinki */
		CHECK_NEAR(s.values[1], 200.0 / 3, 1e-9); /* and Espoo */
	}
	CHECK(s.start == period_start(p - 2));
	CHECK(s.end == period_start(p));
	series_reset(&s);
	/* the country: Turku reported the first month */
	CHECK(get("SSS", "reporting_rate", period_start(p - 2) + 5 * DAY,
	          period_start(p) + 3 * DAY, "3600", false, &s) == 0);
	CHECK(s.n_points == 2 && s.expected == 4 && s.reporting == 3);
	if (s.n_points == 2) {
		CHECK_NEAR(s.values[0], 50, 1e-9);
		CHECK_NEAR(s.values[1], 50, 1e-9);
	}
	series_reset(&s);
	/* a single municipality: 0 or 100 */
	CHECK(get("KU049", "reporting_rate", period_start(p - 2),
	          period_start(p), NULL, false, &s) == 0);
	CHECK(s.n_points == 2 && s.reporting == 1 && s.expected == 1);
	if (s.n_points == 2) {
		CHECK_NEAR(s.values[0], 0, 0);
		CHECK_NEAR(s.values[1], 100, 0);
	}
	series_reset(&s);
}

static void
test_resolve_errors(void)
{
	static const struct {
		const char *area, *ind, *start, *end, *step;
		int want;
		const char *msg; /* a part of err.msg */
	} cases[] = {
		{ NULL, "contacts", NULL, NULL, NULL, SERIES_BAD_PARAM,
		  "parameter area: required" },
		{ "KU999", "contacts", NULL, NULL, NULL, SERIES_NOT_FOUND,
		  "unknown area \"KU999\"" },
		{ "ku091", "contacts", NULL, NULL, NULL, SERIES_NOT_FOUND,
		  "parameter area" },
		{ "../KU091", "contacts", NULL, NULL, NULL, SERIES_NOT_FOUND,
		  "parameter area" },
		{ "KU091", NULL, NULL, NULL, NULL, SERIES_BAD_PARAM,
		  "parameter indicator: required" },
		{ "KU091", "contactz", NULL, NULL, NULL, SERIES_NOT_FOUND,
		  "\"contactz\"" },
		{ "KU091", "contacts", "yesterday", NULL, NULL,
		  SERIES_BAD_PARAM, "parameter start: " },
		{ "KU091", "contacts", NULL, "2026-13", NULL, SERIES_BAD_PARAM,
		  "parameter end: " },
		{ "KU091", "contacts", "now", "-1d", NULL, SERIES_BAD_PARAM,
		  "parameter end: must be after start" },
		{ "KU091", "contacts", "-1d", "-1d", NULL, SERIES_BAD_PARAM,
		  "parameter end: must be after start" },
		{ "KU091", "contacts", NULL, NULL, "0", SERIES_BAD_PARAM,
		  "parameter step: " },
		{ "KU091", "contacts", NULL, NULL, "abc", SERIES_BAD_PARAM,
		  "parameter step: " },
		{ "KU091", "contacts", NULL, NULL, "-3600", SERIES_BAD_PARAM,
		  "parameter step: " },
		{ "KU091", "contacts", NULL, NULL, "3600x", SERIES_BAD_PARAM,
		  "parameter step: " },
		{ "KU091", "contacts", NULL, NULL, "99999999999999999999",
		  SERIES_BAD_PARAM, "parameter step: " },
		/* weekly from 1980 to 9999: far more than 10000 points */
		{ "KU091", "contacts", "1980-01", "9999-12", NULL,
		  SERIES_BAD_PARAM, "parameter start: " },
		{ "KU091", "reporting_rate", "1980-01", "9999-12", NULL,
		  SERIES_BAD_PARAM, "more than 10000" },
		{ "KU091", "contacts", "-1y", "now", "86400", SERIES_OK, "" },
		{ "SSS", "reporting_rate", NULL, NULL, NULL, SERIES_OK, "" },
	};
	struct series_params p;
	struct series_spec spec;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error err = { 0 };
		int rc;

		p.area = cases[i].area;
		p.indicator = cases[i].ind;
		p.start = cases[i].start;
		p.end = cases[i].end;
		p.step = cases[i].step;
		rc = series_resolve(cat, 3600, &p, NOW, &spec, &err);
		if (rc != cases[i].want ||
		    strstr(err.msg, cases[i].msg) == NULL) {
			fprintf(stderr, "case %zu: rc %d msg \"%s\"\n", i, rc,
			        err.msg);
			CHECK(0);
		}
	}
}

/* The 10000-point limit, where the archives allow that many: at a step
 * of 60 s the finest archive holds 90 days of minutes. */
static void
test_point_limit(void)
{
	struct series_params p = { 0 };
	struct series_spec spec;
	struct error err = { 0 };

	p.area = "SSS";
	p.indicator = "contacts";
	p.start = "-6d"; /* 8640 minutes */
	CHECK(series_resolve(cat, 60, &p, NOW, &spec, &err) == SERIES_OK);
	CHECK(spec.grid.step == 60 && spec.grid.n_points == 8640);
	p.start = "-7d"; /* 10080 */
	CHECK(series_resolve(cat, 60, &p, NOW, &spec, &err) ==
	      SERIES_BAD_PARAM);
	CHECK(strstr(err.msg, "parameter start: ") != NULL);
	CHECK(strstr(err.msg, "10080 points") != NULL);
	p.step = "60";
	CHECK(series_resolve(cat, 60, &p, NOW, &spec, &err) ==
	      SERIES_BAD_PARAM);
	CHECK(strstr(err.msg, "parameter step: ") != NULL);
	p.step = "86400"; /* a coarser archive: fine */
	CHECK(series_resolve(cat, 60, &p, NOW, &spec, &err) == SERIES_OK);
	CHECK(spec.grid.step == 86400);
	/* exactly 10000 */
	p.step = NULL;
	p.start = "-10000m";
	CHECK(series_resolve(cat, 60, &p, NOW - NOW % 60, &spec, &err) ==
	      SERIES_OK);
	CHECK(spec.grid.n_points == 10000);
}

static void
test_grid_choice(void)
{
	struct rrd_grid g;

	/* the finest archive that reaches back to start */
	CHECK(store_rrd_grid(3600, NOW - 30 * DAY, NOW, 1, NOW, &g) == 0);
	CHECK(g.step == 3600 && g.n_points == 720);
	CHECK(store_rrd_grid(3600, NOW - 365 * DAY, NOW, 1, NOW, &g) == 0);
	CHECK(g.step == DAY && g.n_points == 365);
	CHECK(store_rrd_grid(3600, NOW - 10 * 365 * DAY, NOW, 1, NOW, &g) == 0);
	CHECK(g.step == 7 * DAY);
	/* the step nearest the one asked for */
	CHECK(store_rrd_grid(3600, NOW - 30 * DAY, NOW, 500000, NOW, &g) == 0);
	CHECK(g.step == 7 * DAY);
	CHECK(store_rrd_grid(3600, NOW - 30 * DAY, NOW, 80000, NOW, &g) == 0);
	CHECK(g.step == DAY && g.n_points == 30);
	/* nothing reaches back 40 years: the archive covering most */
	CHECK(store_rrd_grid(3600, NOW - 40 * 365 * DAY, NOW, 3600, NOW, &g) ==
	      0);
	CHECK(g.step == 7 * DAY);
	/* start rounds down, end down to the last whole interval */
	CHECK(store_rrd_grid(3600, T0 + 5000, T0 + 4 * 3600 + 10, 3600, NOW,
	                     &g) == 0);
	CHECK(g.start == T0 + 3600 && g.n_points == 3);
	/* at least one point */
	CHECK(store_rrd_grid(3600, T0 + 10, T0 + 20, 3600, NOW, &g) == 0);
	CHECK(g.start == T0 && g.n_points == 1);
	CHECK(store_rrd_grid(3600, T0, T0, 3600, NOW, &g) == -1);
}

static void
test_format(void)
{
	struct series s;
	char *text;
	size_t len;

	CHECK(get("KU049", "contacts", T0, T0 + 3 * DAY, "86400", false, &s) ==
	      0);
	text = series_format_json(&s, &len);
	CHECK_STR(text, "{\"area\":\"KU049\",\"indicator\":\"contacts\","
	                "\"unit\":\"n\",\"start\":1767225600,"
	                "\"end\":1767484800,\"step\":86400,\"points\":"
	                "[[1767225600,null],[1767312000,50],"
	                "[1767398400,50]],\"reporting\":1,\"expected\":1,"
	                "\"suppressed\":true,\"suppressed_points\":"
	                "[1767225600]}");
	CHECK(len == strlen(text));
	free(text);
	text = series_format_csv(&s, &len);
	CHECK_STR(text, "time,value\n"
	                "2026-01-01T00:00:00Z,\n"
	                "2026-01-02T00:00:00Z,50\n"
	                "2026-01-03T00:00:00Z,50\n");
	CHECK(len == strlen(text));
	free(text);
	{
		char name[64];

		series_filename(&s, "csv", name, sizeof(name));
		CHECK_STR(name, "KU049_contacts.csv");
	}
	series_reset(&s);

	/* shortest exact numbers; unknown is null / empty */
	CHECK(get("MK01", "gp_coverage", T0, T0 + 2 * DAY, "86400", true, &s) ==
	      0);
	text = series_format_json(&s, &len);
	CHECK(
	    strstr(text, "[[1767225600,66.66666666666666],[1767312000,100]]") !=
	    NULL);
	CHECK(strstr(text, "\"suppressed\":false,\"suppressed_points\":[]}") !=
	      NULL);
	CHECK(strstr(text, "\"reporting\":2,\"expected\":3") != NULL);
	free(text);
	text = series_format_csv(&s, &len);
	CHECK_STR(text, "time,value\n"
	                "2026-01-01T00:00:00Z,66.66666666666666\n"
	                "2026-01-02T00:00:00Z,100\n");
	free(text);
	series_reset(&s);
	CHECK(get("KU092", "gp_open", T0, T0 + DAY, "86400", true, &s) == 0);
	text = series_format_csv(&s, &len);
	CHECK_STR(text, "time,value\n2026-01-01T00:00:00Z,\n");
	free(text);
	series_reset(&s);
}

/* store_rrd_fetch reads what librrd's own xport reads. */
static void
test_fetch_matches_xport(void)
{
	static const char *const areas[] = { "KU091", "KU049", "KU092",
		                             "KU853" };
	static const char *const ds[] = { "contacts", "staff_fte" };
	const unsigned long steps[] = { 3600, DAY };
	size_t k, a, d, t, n_bad = 0, n_known = 0;

	for (k = 0; k < 2; k++) {
		struct rrd_grid g;
		struct rrd_block b;
		struct error err = { 0 };
		const char *xa[8], *xd[8];
		double *out;

		CHECK(store_rrd_grid(3600, T0 - DAY, T0 + 11 * DAY, steps[k],
		                     NOW, &g) == 0);
		CHECK(g.step == steps[k]);
		out = calloc(2 * 4 * g.n_points, sizeof(*out));
		CHECK(store_rrd_fetch(rrd, areas, 4, ds, 2, &g, out, &err) ==
		      0);
		for (a = 0; a < 4; a++)
			for (d = 0; d < 2; d++) {
				xa[a * 2 + d] = areas[a];
				xd[a * 2 + d] = ds[d];
			}
		CHECK(store_rrd_xport(rrd, xa, xd, 8, g.start,
		                      g.start + (time_t)(g.n_points * g.step),
		                      g.step, &b, &err) == 0);
		CHECK(b.step == g.step);
		for (t = 0; t < b.n_points; t++) {
			time_t at = b.start + (time_t)(t * b.step);
			size_t i;

			if (at < g.start)
				continue;
			i = (size_t)(at - g.start) / g.step;
			if (i >= g.n_points)
				break;
			for (a = 0; a < 4; a++)
				for (d = 0; d < 2; d++) {
					double
					    x = out[(d * 4 + a) * g.n_points +
					            i],
					    y = b.data[t * 8 + a * 2 + d];

					n_known += !isnan(x);
					if (!(x == y || (isnan(x) && isnan(y))))
						n_bad++;
				}
		}
		CHECK(n_bad == 0);
		rrd_block_reset(&b);
		free(out);
	}
	CHECK(n_known > 0);
}

/* A file updated in place shows through the kept mapping; one replaced
 * (a measure added) is reopened. */
static void
test_fetch_sees_changes(void)
{
	static const char *const area[] = { "KU853" };
	const char *ds[] = { "contacts", "outreach" };
	struct measure *m = calloc(cat->n_measures + 1, sizeof(*m));
	struct rrd_grid g = { T0, 3600, 12 * 24 };
	struct error err = { 0 };
	double out[2 * 12 * 24], v[16];
	time_t t = T0 + N_DAYS * DAY + 3600;
	size_t i, n_m = cat->n_measures;

	CHECK(store_rrd_fetch(rrd, area, 1, ds, 1, &g, out, &err) == 0);
	CHECK_NEAR(out[N_DAYS * 24 - 1], 20, 0);
	CHECK(isnan(out[N_DAYS * 24]));
	/* in place */
	for (i = 0; i < n_m; i++)
		v[i] = 77;
	CHECK(store_rrd_update(rrd, "KU853", cat->measures, n_m, &t, v, 1,
	                       &err) == 0);
	CHECK(store_rrd_fetch(rrd, area, 1, ds, 1, &g, out, &err) == 0);
	CHECK_NEAR(out[N_DAYS * 24], 77, 0);
	/* replaced: a new data source */
	memcpy(m, cat->measures, n_m * sizeof(*m));
	snprintf(m[n_m].id, sizeof(m[n_m].id), "outreach");
	m[n_m].min = 0;
	m[n_m].max = 100;
	CHECK(store_rrd_prepare(rrd, "KU853", m, n_m + 1, 3 * DAY, T0, &err) ==
	      0);
	t += 3600;
	for (i = 0; i <= n_m; i++)
		v[i] = 88;
	CHECK(store_rrd_update(rrd, "KU853", m, n_m + 1, &t, v, 1, &err) == 0);
	CHECK(store_rrd_fetch(rrd, area, 1, ds, 2, &g, out, &err) == 0);
	CHECK_NEAR(out[N_DAYS * 24 - 1], 20, 0); /* history kept */
	CHECK_NEAR(out[N_DAYS * 24], 77, 0);
	CHECK_NEAR(out[N_DAYS * 24 + 1], 88, 0);
	CHECK(isnan(out[12 * 24 + N_DAYS * 24])); /* outreach before */
	CHECK_NEAR(out[12 * 24 + N_DAYS * 24 + 1], 88, 0);
	/* a grid not on the step is refused; a bad data source name too */
	g.start = T0 + 1;
	CHECK(store_rrd_fetch(rrd, area, 1, ds, 1, &g, out, &err) == -1);
	g.start = T0;
	ds[0] = "../x";
	CHECK(store_rrd_fetch(rrd, area, 1, ds, 1, &g, out, &err) == -1);
	free(m);
}

/* Files made under another storage.step have no archive at the grid's
 * step: they are read through rrd_xport, which consolidates. */
static void
test_fetch_other_step(void)
{
	static const char *const area[] = { "KU091" };
	static const char *const ds[] = { "contacts" };
	struct rrd_grid g = { T0, 3600, 48 };
	struct error err = { 0 };
	struct store_rrd *half;
	char dir[128];
	double out[48];
	time_t *times = calloc(96, sizeof(*times));
	double *values = calloc(96 * cat->n_measures, sizeof(*values));
	size_t s, i, n_m = cat->n_measures;

	snprintf(dir, sizeof(dir), "%s/half", root);
	half = store_rrd_new(dir, 1800, NULL, &err);
	CHECK(half != NULL);
	if (half == NULL)
		return;
	for (s = 0; s < 96; s++) { /* every half hour, two days */
		times[s] = T0 + (time_t)(s + 1) * 1800;
		for (i = 0; i < n_m; i++)
			values[s * n_m + i] = (double)(s / 2); /* per hour */
	}
	CHECK(store_rrd_prepare(half, "KU091", cat->measures, n_m, DAY, T0 - 1,
	                        &err) == 0);
	CHECK(store_rrd_update(half, "KU091", cat->measures, n_m, times, values,
	                       96, &err) == 0);
	CHECK(store_rrd_fetch(half, area, 1, ds, 1, &g, out, &err) == 0);
	for (s = 0; s < 48; s++)
		CHECK_NEAR(out[s], (double)s, 0);
	store_rrd_free(half);
	free(times);
	free(values);
}

#define N_READERS 4
#define N_READS 150

struct reading {
	int n_bad, n_done;
};

/* Reads the country's contacts over the ten days again and again: the
 * history must come back whole while files change underneath. */
static void *
read_loop(void *arg)
{
	static const char *const areas[] = { "KU091", "KU049", "KU092", "KU853",
		                             "KU005" };
	static const char *const ds[] = { "contacts", "gp_open" };
	struct reading *r = arg;
	struct rrd_grid g = { T0, DAY, N_DAYS };
	double out[2 * 5 * N_DAYS];
	int k, d;

	for (k = 0; k < N_READS; k++) {
		struct error err = { 0 };

		if (store_rrd_fetch(rrd, areas, 5, ds, 2, &g, out, &err) < 0) {
			r->n_bad++;
			continue;
		}
		for (d = 0; d < N_DAYS; d++)
			if (out[0 * N_DAYS + d] != 100 + d ||
			    out[1 * N_DAYS + d] != (d == 0 ? 4 : 50) ||
			    !isnan(out[2 * N_DAYS + d]) ||
			    out[5 * N_DAYS + 1 * N_DAYS + d] != d % 2)
				r->n_bad++;
		r->n_done++;
	}
	return NULL;
}

static void
test_fetch_threads(void)
{
	struct reading r[N_READERS];
	pthread_t th[N_READERS];
	struct error err = { 0 };
	double v[16];
	time_t t = T0 + N_DAYS * DAY;
	size_t i, n_m = cat->n_measures;
	int k, n_bad = 0, n_done = 0;

	for (i = 0; i < n_m; i++)
		v[i] = 9;
	memset(r, 0, sizeof(r));
	for (k = 0; k < N_READERS; k++)
		CHECK(pthread_create(&th[k], NULL, read_loop, &r[k]) == 0);
	/* meanwhile: updates in place, and files appearing */
	for (k = 0; k < 200; k++) {
		t += 60;
		if (store_rrd_update(rrd, "KU091", cat->measures, n_m, &t, v, 1,
		                     &err) < 0)
			n_bad++;
	}
	write_area("KU005", T0 + 20 * DAY, 1);
	for (k = 0; k < N_READERS; k++) {
		pthread_join(th[k], NULL);
		n_bad += r[k].n_bad;
		n_done += r[k].n_done;
	}
	CHECK(n_bad == 0);
	CHECK(n_done == N_READERS * N_READS);
}

/* --- through rrdcached: reads flush first --- */

static void
test_fetch_rrdcached(void)
{
	static const char *const area[] = { "KU091" };
	static const char *const ds[] = { "contacts" };
	struct rrd_grid g = { T0, 3600, 24 };
	struct error err = { 0 };
	struct store_rrd *st;
	char dir[128], addr[200];
	double out[24], v[16];
	time_t t;
	size_t i, n_m = cat->n_measures;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/cached", root);
	mkdir(dir, 0755);
	pid = fixture_rrdcached_start(dir, addr, sizeof(addr));
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	st = store_rrd_new(dir, 3600, addr, &err);
	CHECK(st != NULL);
	CHECK(store_rrd_prepare(st, "KU091", cat->measures, n_m, DAY, T0 - 1,
	                        &err) == 0);
	for (t = T0 + 3600; t <= T0 + 12 * 3600; t += 3600) {
		for (i = 0; i < n_m; i++)
			v[i] = (double)(t - T0) / 3600;
		CHECK(store_rrd_update(st, "KU091", cat->measures, n_m, &t, v,
		                       1, &err) == 0);
	}
	CHECK(store_rrd_fetch(st, area, 1, ds, 1, &g, out, &err) == 0);
	for (i = 0; i < 12; i++)
		CHECK_NEAR(out[i], (double)(i + 1), 0);
	CHECK(isnan(out[12]));
	/* more after the file is open: flushed again */
	t = T0 + 13 * 3600;
	for (i = 0; i < n_m; i++)
		v[i] = 42;
	CHECK(store_rrd_update(st, "KU091", cat->measures, n_m, &t, v, 1,
	                       &err) == 0);
	CHECK(store_rrd_fetch(st, area, 1, ds, 1, &g, out, &err) == 0);
	CHECK_NEAR(out[12], 42, 0);
	store_rrd_free(st);
	CHECK(fixture_rrdcached_stop(pid));
}

int
main(void)
{
	setup();
	RUN(test_municipality_exact);
	RUN(test_region_ratio_of_sums);
	RUN(test_measure_vs_indicator);
	RUN(test_suppression);
	RUN(test_suppressible);
	RUN(test_reporting_rate);
	RUN(test_resolve_errors);
	RUN(test_point_limit);
	RUN(test_grid_choice);
	RUN(test_format);
	RUN(test_fetch_matches_xport);
	RUN(test_fetch_other_step);
	RUN(test_fetch_threads);
	if (fixture_has_rrdcached())
		RUN(test_fetch_rrdcached);
	else
		printf("skip test_fetch_rrdcached (rrdcached not installed)\n");
	RUN(test_fetch_sees_changes); /* changes KU853: last */
	teardown();
	return check_done();
}
