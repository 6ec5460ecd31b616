/*
 * test_figure.c: figure_compute and figure_latest_period on matrices
 * built by hand, every expected value worked out by hand.
 *
 * MK01 has Helsinki (KU091, pop_fl 200), Espoo (KU049, 100), Vantaa
 * (KU092, 50) and Kauniainen (KU235, 10); MK02 has Turku (KU853, 60).
 * In period P (2026-01):
 *          gp_open contacts remote staff_fte gp_hours gp_languages queue
 *   KU091     1      100      3        2        10        4         3
 *   KU049     0        4      1        1        20        7         8
 *   KU092  (nothing reported)
 *   KU235     1       -       -        3         5        -         -
 *   KU853     1       20      5        4         8        2         6
 * in P+1 only KU853, with contacts 0 and contacts_remote 0, and in P+2
 * only KU049, with contacts 4 and contacts_remote 2. Counts: contacts,
 * contacts_remote and queue (the shortest queue: aggregate min).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "check.h"
#include "figure.h"
#include "fixture.h"
#include "matrix.h"
#include "timespec.h"

#define P (2026 * 12) /* 2026-01 */
#define WHEN ((time_t)1769904000)

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
    "853,Turku,Åbo,02,Varsinais-Suomi,Egentliga Finland,300,60\n";
/* one catalog entry a line */
/* clang-format off */
static const char measures_json[] =
    "{\"measures\": ["
      FIXTURE_MEASURE("gp_open", "sum", "false") ","
      FIXTURE_MEASURE("contacts", "sum", "true") ","
      FIXTURE_MEASURE("contacts_remote", "sum", "true") ","
      FIXTURE_MEASURE("staff_fte", "mean", "false") ","
      FIXTURE_MEASURE("gp_hours", "min", "false") ","
      FIXTURE_MEASURE("gp_languages", "max", "false") ","
      FIXTURE_MEASURE("queue", "min", "true") "],"
    "\"indicators\": ["
      FIXTURE_RATIO("gp_coverage", "gp_open*pop_fl", "pop_fl", "100", "u") ","
      FIXTURE_RATIO("contacts_per_1000", "contacts", "pop_fl", "1000", "u") ","
      FIXTURE_RATIO("remote_share", "contacts_remote", "contacts", "100", "u") ","
      "{\"id\": \"staff_total\", \"numerator\": \"staff_fte\", "
      "\"scale\": 1, \"unit\": \"FTE\", " FIXTURE_NAMES "},"
      "{\"id\": \"reporting_rate\", \"kind\": \"reporting\", "
      "\"scale\": 100, \"unit\": \"%\", " FIXTURE_NAMES "}"
    "], \"rules\": []}";
/* clang-format on */

static struct catalog *cat;

static int
area(const char *code)
{
	int a = catalog_find_area(cat, code);

	if (a < 0) {
		fprintf(stderr, "no area %s\n", code);
		abort();
	}
	return a;
}

static int
measure(const char *id)
{
	int m = catalog_find_measure(cat, id);

	if (m < 0) {
		fprintf(stderr, "no measure %s\n", id);
		abort();
	}
	return m;
}

/* One municipality's figures of a period: NaN leaves a measure out. */
static void
put(struct matrix *mx, const char *code, int period, double gp_open,
    double contacts, double remote, double staff, double hours, double langs,
    double queue)
{
	static const char *const ids[] = {
		"gp_open",  "contacts",     "contacts_remote", "staff_fte",
		"gp_hours", "gp_languages", "queue",
	};
	double v[7];
	size_t i;

	v[0] = gp_open;
	v[1] = contacts;
	v[2] = remote;
	v[3] = staff;
	v[4] = hours;
	v[5] = langs;
	v[6] = queue;
	for (i = 0; i < 7; i++)
		if (!isnan(v[i]))
			matrix_set(mx, area(code), period, measure(ids[i]),
			           v[i], WHEN);
}

static struct matrix *
make_matrix(void)
{
	struct matrix *mx = matrix_new(cat->n_areas, cat->n_measures);

	put(mx, "KU091", P, 1, 100, 3, 2, 10, 4, 3);
	put(mx, "KU049", P, 0, 4, 1, 1, 20, 7, 8);
	put(mx, "KU235", P, 1, NAN, NAN, 3, 5, NAN, NAN);
	put(mx, "KU853", P, 1, 20, 5, 4, 8, 2, 6);
	put(mx, "KU853", P + 1, NAN, 0, 0, NAN, NAN, NAN, NAN);
	put(mx, "KU049", P + 2, NAN, 4, 2, NAN, NAN, NAN, NAN);
	return mx;
}

/* The key of an indicator or, failing that, a measure id. */
static struct figure_key
key_of(const char *code, const char *id)
{
	struct figure_key k;

	k.area = area(code);
	k.indicator = catalog_find_indicator(cat, id);
	k.measure = k.indicator < 0 ? measure(id) : -1;
	return k;
}

#define X NAN /* no value: NaN expected */

struct compute_case {
	const char *area, *id;
	int period;
	bool is_unsuppressed;
	enum figure_flag flag;
	double value, numerator, denominator;
	int reporting, expected;
};

static bool
same(double got, double want)
{
	if (isnan(want))
		return isnan(got);
	return fabs(got - want) <= 1e-9 * (fabs(want) > 1 ? fabs(want) : 1);
}

static void
run_cases(const struct compute_case *cases, size_t n)
{
	struct matrix *mx = make_matrix();
	struct figure fig;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct compute_case *c = &cases[i];
		struct figure_key k = key_of(c->area, c->id);
		bool ok;

		figure_compute(cat, mx, &k, c->period, c->is_unsuppressed,
		               &fig);
		ok = fig.flag == c->flag && same(fig.value, c->value) &&
		     same(fig.numerator, c->numerator) &&
		     same(fig.denominator, c->denominator) &&
		     fig.reporting == c->reporting &&
		     fig.expected == c->expected;
		if (!ok)
			fprintf(stderr,
			        "case %zu: %s %s P%+d%s: got %s %.17g "
			        "(%.17g / %.17g) %d of %d\n",
			        i, c->area, c->id, c->period - P,
			        c->is_unsuppressed ? " unsuppressed" : "",
			        figure_flag_name(fig.flag), fig.value,
			        fig.numerator, fig.denominator, fig.reporting,
			        fig.expected);
		CHECK(ok);
	}
	matrix_free(mx);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A region's or the country's indicator: sum over sum over the
 * municipalities that reported both sides, never a mean of ratios. The
 * arithmetic is read unsuppressed; test_suppression covers the public. */
static void
test_ratio_of_sums(void)
{
	static const struct compute_case cases[] = {
		/* (200 + 0 + 10) / (200 + 100 + 10): KU092 reported nothing;
		 * a mean of ratios would be 66.67 */
		{ "MK01", "gp_coverage", P, true, FIGURE_OK, 210.0 / 310 * 100,
		  210, 310, 3, 4 },
		/* KU235 has no contacts: (100 + 4) / (200 + 100); a mean of
		 * ratios would be 270 */
		{ "MK01", "contacts_per_1000", P, true, FIGURE_OK,
		  104.0 / 300 * 1000, 104, 300, 2, 4 },
		{ "SSS", "contacts_per_1000", P, true, FIGURE_OK,
		  124.0 / 360 * 1000, 124, 360, 3, 5 },
		{ "MK01", "remote_share", P, true, FIGURE_OK, 4.0 / 104 * 100,
		  4, 104, 2, 4 },
		{ "MK02", "remote_share", P, true, FIGURE_OK, 25, 5, 20, 1, 1 },
		/* no denominator: the numerator's sum times the scale */
		{ "MK01", "staff_total", P, true, FIGURE_OK, 6, 6, X, 3, 4 },
		/* a zero denominator is missing, for everyone */
		{ "MK02", "remote_share", P + 1, true, FIGURE_MISSING, X, X, X,
		  1, 1 },
		{ "SSS", "remote_share", P + 1, true, FIGURE_MISSING, X, X, X,
		  1, 5 },
		/* a period nobody reported */
		{ "MK01", "gp_coverage", P + 1, true, FIGURE_MISSING, X, X, X,
		  0, 4 },
		{ "SSS", "contacts_per_1000", P - 1, true, FIGURE_MISSING, X, X,
		  X, 0, 5 },
		/* a municipality: its own terms */
		{ "KU091", "gp_coverage", P, true, FIGURE_OK, 100, 200, 200, 1,
		  1 },
		{ "KU091", "contacts_per_1000", P, true, FIGURE_OK, 500, 100,
		  200, 1, 1 },
		{ "KU235", "contacts_per_1000", P, true, FIGURE_MISSING, X, X,
		  X, 0, 1 },
		{ "KU092", "gp_coverage", P, true, FIGURE_MISSING, X, X, X, 0,
		  1 },
	};

	run_cases(cases, N_OF(cases));
}

/* A measure follows its aggregate rule over those that reported it. */
static void
test_measure_aggregates(void)
{
	static const struct compute_case cases[] = {
		{ "MK01", "contacts", P, true, FIGURE_OK, 104, 104, X, 2, 4 },
		{ "SSS", "contacts", P, true, FIGURE_OK, 124, 124, X, 3, 5 },
		{ "MK01", "gp_open", P, true, FIGURE_OK, 2, 2, X, 3, 4 },
		{ "MK01", "staff_fte", P, true, FIGURE_OK, 2, 2, X, 3, 4 },
		{ "SSS", "staff_fte", P, true, FIGURE_OK, 2.5, 2.5, X, 4, 5 },
		{ "SSS", "gp_hours", P, true, FIGURE_OK, 5, 5, X, 4, 5 },
		{ "MK02", "gp_hours", P, true, FIGURE_OK, 8, 8, X, 1, 1 },
		{ "SSS", "gp_languages", P, true, FIGURE_OK, 7, 7, X, 3, 5 },
		{ "MK01", "gp_languages", P, true, FIGURE_OK, 7, 7, X, 2, 4 },
		/* a zero is a value, not a gap */
		{ "SSS", "contacts", P + 1, true, FIGURE_OK, 0, 0, X, 1, 5 },
		{ "SSS", "queue", P, true, FIGURE_OK, 3, 3, X, 3, 5 },
		{ "MK02", "queue", P, true, FIGURE_OK, 6, 6, X, 1, 1 },
		{ "MK01", "contacts", P + 1, true, FIGURE_MISSING, X, X, X, 0,
		  4 },
		{ "KU091", "staff_fte", P, true, FIGURE_OK, 2, 2, X, 1, 1 },
		{ "KU092", "staff_fte", P, true, FIGURE_MISSING, X, X, X, 0,
		  1 },
	};

	run_cases(cases, N_OF(cases));
}

/* reporting_rate: municipalities with any figure of the period over
 * those expected, times 100; never withheld. */
static void
test_reporting_rate(void)
{
	static const struct compute_case cases[] = {
		{ "MK01", "reporting_rate", P, false, FIGURE_OK, 75, 3, 4, 3,
		  4 },
		{ "SSS", "reporting_rate", P, false, FIGURE_OK, 80, 4, 5, 4,
		  5 },
		{ "SSS", "reporting_rate", P + 1, false, FIGURE_OK, 20, 1, 5, 1,
		  5 },
		{ "MK01", "reporting_rate", P + 1, false, FIGURE_OK, 0, 0, 4, 0,
		  4 },
		{ "KU049", "reporting_rate", P, false, FIGURE_OK, 100, 1, 1, 1,
		  1 },
		{ "KU092", "reporting_rate", P, false, FIGURE_OK, 0, 0, 1, 0,
		  1 },
	};

	run_cases(cases, N_OF(cases));
}

/* To the public, a municipality's count below 5 and every indicator
 * built on it are withheld; a region's or the country's value when fewer
 * than three stand behind it, or it is the min or max of a count that is
 * small. test_disclosure has the partners and the groups. */
static void
test_suppression(void)
{
	static const struct compute_case cases[] = {
		/* KU049's contacts are 4 */
		{ "KU049", "contacts", P, false, FIGURE_SUPPRESSED, X, X, X, 1,
		  1 },
		{ "KU049", "contacts", P, true, FIGURE_OK, 4, 4, X, 1, 1 },
		{ "KU049", "contacts_per_1000", P, false, FIGURE_SUPPRESSED, X,
		  X, X, 1, 1 },
		{ "KU049", "contacts_per_1000", P, true, FIGURE_OK, 40, 4, 100,
		  1, 1 },
		/* the count on either side withholds the ratio */
		{ "KU049", "remote_share", P, false, FIGURE_SUPPRESSED, X, X, X,
		  1, 1 },
		{ "KU091", "remote_share", P, false, FIGURE_SUPPRESSED, X, X, X,
		  1, 1 },
		{ "KU091", "remote_share", P, true, FIGURE_OK, 3, 3, 100, 1,
		  1 },
		{ "KU091", "contacts_remote", P, false, FIGURE_SUPPRESSED, X, X,
		  X, 1, 1 },
		/* 5 is not small, but Turku is alone in MK02: the region's
		 * total is withheld, and so Turku's, which is all of it
		 * (test_disclosure has 5 shown) */
		{ "KU853", "contacts_remote", P, false, FIGURE_SUPPRESSED, X, X,
		  X, 1, 1 },
		{ "KU853", "remote_share", P, false, FIGURE_SUPPRESSED, X, X, X,
		  1, 1 },
		{ "KU853", "contacts_remote", P, true, FIGURE_OK, 5, 5, X, 1,
		  1 },
		/* not counts: shown, however small */
		{ "KU049", "gp_open", P, false, FIGURE_OK, 0, 0, X, 1, 1 },
		{ "KU049", "gp_coverage", P, false, FIGURE_OK, 0, 0, 100, 1,
		  1 },
		{ "KU049", "staff_fte", P, false, FIGURE_OK, 1, 1, X, 1, 1 },
		{ "KU049", "reporting_rate", P, false, FIGURE_OK, 100, 1, 1, 1,
		  1 },
		/* the country over three: shown, small members or not
		 * (complementary suppression withholds a second
		 * municipality, not the sum) */
		{ "SSS", "contacts", P, false, FIGURE_OK, 124, 124, X, 3, 5 },
		{ "SSS", "contacts_remote", P, false, FIGURE_OK, 9, 9, X, 3,
		  5 },
		{ "SSS", "remote_share", P, false, FIGURE_OK, 9.0 / 124 * 100,
		  9, 124, 3, 5 },
		/* ... but one municipality alone is its own figure */
		{ "MK01", "contacts", P + 2, false, FIGURE_SUPPRESSED, X, X, X,
		  1, 4 },
		{ "MK01", "contacts", P + 2, true, FIGURE_OK, 4, 4, X, 1, 4 },
		{ "SSS", "contacts_per_1000", P + 2, false, FIGURE_SUPPRESSED,
		  X, X, X, 1, 5 },
		{ "SSS", "contacts_per_1000", P + 2, true, FIGURE_OK, 40, 4,
		  100, 1, 5 },
		{ "SSS", "contacts", P + 1, false, FIGURE_SUPPRESSED, X, X, X,
		  1, 5 },
		{ "MK02", "contacts_remote", P + 1, false, FIGURE_SUPPRESSED, X,
		  X, X, 1, 1 },
		{ "MK01", "gp_coverage", P + 2, false, FIGURE_MISSING, X, X, X,
		  0, 4 },
		/* the smallest count of a group is one municipality's */
		{ "SSS", "queue", P, false, FIGURE_SUPPRESSED, X, X, X, 3, 5 },
		{ "MK01", "queue", P, false, FIGURE_SUPPRESSED, X, X, X, 2, 4 },
		{ "MK01", "queue", P, true, FIGURE_OK, 3, 3, X, 2, 4 },
		/* reporting_rate is never withheld */
		{ "MK01", "reporting_rate", P + 2, false, FIGURE_OK, 25, 1, 4,
		  1, 4 },
		/* a small count that is missing is missing, not withheld */
		{ "KU853", "remote_share", P + 1, false, FIGURE_MISSING, X, X,
		  X, 1, 1 },
		{ "KU092", "contacts", P, false, FIGURE_MISSING, X, X, X, 0,
		  1 },
	};

	run_cases(cases, N_OF(cases));
}

/* Which municipalities make up an area. */
static void
test_members(void)
{
	CHECK(figure_is_member(cat, area("SSS"), area("KU853")));
	CHECK(figure_is_member(cat, area("MK01"), area("KU235")));
	CHECK(!figure_is_member(cat, area("MK01"), area("KU853")));
	CHECK(figure_is_member(cat, area("KU091"), area("KU091")));
	CHECK(!figure_is_member(cat, area("KU091"), area("KU049")));
	/* regions are not members of the country: no double counting */
	CHECK(!figure_is_member(cat, area("SSS"), area("MK01")));
	CHECK_STR(figure_flag_name(FIGURE_OK), "ok");
	CHECK_STR(figure_flag_name(FIGURE_MISSING), "missing");
	CHECK_STR(figure_flag_name(FIGURE_SUPPRESSED), "suppressed");
}

/* figure_latest_period: each case lists who reported which periods
 * (offsets from P) and the period expected for some areas. */
struct latest_case {
	const char *name;
	const char *reports; /* "KU091:0,1 KU049:0", offsets from P */
	const char *area;
	int want; /* an offset from P; LATEST_NONE: -1 */
};

#define LATEST_NONE 1000

static void
put_reports(struct matrix *mx, const char *reports)
{
	char code[8];
	const char *s = reports;
	int n, off;

	while (sscanf(s, " %7[^:]:%n", code, &n) == 1) {
		s += n;
		while (sscanf(s, "%d%n", &off, &n) == 1) {
			s += n;
			matrix_set(mx, area(code), P + off, measure("gp_open"),
			           1, WHEN);
			if (*s != ',')
				break;
			s++;
		}
	}
}

static void
test_latest_period(void)
{
	static const struct latest_case cases[] = {
		{ "nobody", "", "MK01", LATEST_NONE },
		{ "nobody", "", "SSS", LATEST_NONE },
		{ "nobody", "", "KU091", LATEST_NONE },
		{ "others only", "KU853:0", "MK01", LATEST_NONE },
		/* a municipality: its own latest, gaps or not */
		{ "own", "KU091:0,2 KU049:5", "KU091", 2 },
		{ "own", "KU091:0,2 KU049:5", "KU092", LATEST_NONE },
		/* half of four is enough */
		{ "half", "KU091:0,1 KU049:0,1 KU092:0 KU235:0,2", "MK01", 1 },
		/* the latest that half reported, not the latest anyone did */
		{ "all then one", "KU091:0,1 KU049:0 KU092:0 KU235:0", "MK01",
		  0 },
		{ "late report", "KU091:3,1 KU049:1 KU092:1", "MK01", 1 },
		/* nobody reaches half (3 of 5): the most reported */
		{ "most", "KU091:0 KU049:0 KU853:1", "SSS", 0 },
		/* a tie: the later */
		{ "tie", "KU091:0 KU049:0 KU853:1 KU092:2 KU235:2", "SSS", 2 },
		{ "tie of ones", "KU091:0 KU049:1", "MK01", 1 },
		{ "half of five", "KU091:0,3 KU049:0,3 KU853:1,3 KU092:2",
		  "SSS", 3 },
		/* MK02's one municipality is all of it */
		{ "one of one", "KU853:4 KU091:7", "MK02", 4 },
	};
	size_t i;

	for (i = 0; i < N_OF(cases); i++) {
		const struct latest_case *c = &cases[i];
		struct matrix *mx = matrix_new(cat->n_areas, cat->n_measures);
		int want = c->want == LATEST_NONE ? -1 : P + c->want;
		int got;

		put_reports(mx, c->reports);
		got = figure_latest_period(cat, mx, area(c->area));
		if (got != want)
			fprintf(stderr, "case %s (%s): got %d, want %d\n",
			        c->name, c->area, got < 0 ? got : got - P,
			        want < 0 ? want : want - P);
		CHECK(got == want);
		matrix_free(mx);
	}
}

/* matrix_set keeps a figure whose arrival is unknown as reported. */
static void
test_unknown_arrival(void)
{
	struct matrix *mx = matrix_new(cat->n_areas, cat->n_measures);
	struct figure_key k = key_of("MK01", "reporting_rate");
	struct figure fig;
	const double *row;
	size_t n;
	int first;

	matrix_set(mx, area("KU049"), P, measure("contacts"), 9, 0);
	CHECK(matrix_received(mx, area("KU049"), P) != 0);
	figure_compute(cat, mx, &k, P, false, &fig);
	CHECK(fig.flag == FIGURE_OK && fig.reporting == 1);
	row = matrix_area(mx, area("KU049"), &first, &n);
	CHECK(row != NULL && first == P && n == 1);
	CHECK(row != NULL && row[measure("contacts")] == 9);
	CHECK(figure_latest_period(cat, mx, area("MK01")) == P);
	matrix_free(mx);
}

/* --- disclosure control on a larger country (figure.h's steps) ---
 *
 * MK01 has five municipalities, MK02 three, MK04 two, MK05 three, in
 * this catalog order; every pop_fl is 100. */
static const char regions2_csv[] = "code,name_fi,name_sv,name_en\n"
                                   "01,A,A,A\n02,B,B,B\n04,C,C,C\n05,D,D,D\n";
static const char munis2_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "091,a1,a1,01,A,A,1000,100\n049,a2,a2,01,A,A,1000,100\n"
    "092,a3,a3,01,A,A,1000,100\n235,a4,a4,01,A,A,1000,100\n"
    "257,a5,a5,01,A,A,1000,100\n"
    "853,b1,b1,02,B,B,1000,100\n202,b2,b2,02,B,B,1000,100\n"
    "529,b3,b3,02,B,B,1000,100\n"
    "837,c1,c1,04,C,C,1000,100\n980,c2,c2,04,C,C,1000,100\n"
    "179,d1,d1,05,D,D,1000,100\n182,d2,d2,05,D,D,1000,100\n"
    "410,d3,d3,05,D,D,1000,100\n";

static struct catalog *cat2;

/* Sets measure id of period P from "KU091=100 KU049=4 ..." in cat2. */
static void
put2(struct matrix *mx, const char *id, const char *values)
{
	int m = catalog_find_measure(cat2, id), n, a;
	const char *s = values;
	char code[8];
	double v;

	while (sscanf(s, " %7[^=]=%lf%n", code, &v, &n) == 2) {
		s += n;
		a = catalog_find_area(cat2, code);
		if (a < 0 || m < 0) {
			fprintf(stderr, "no %s or %s\n", code, id);
			abort();
		}
		matrix_set(mx, a, P, m, v, WHEN);
	}
}

static struct figure
fig2(const struct matrix *mx, int area, const char *id, bool is_unsuppressed)
{
	struct figure_key k = { area, catalog_find_indicator(cat2, id), -1 };
	struct figure f;

	if (k.indicator < 0)
		k.measure = catalog_find_measure(cat2, id);
	figure_compute(cat2, mx, &k, P, is_unsuppressed, &f);
	return f;
}

/* The areas whose contacts the public does not see, in catalog order. */
static void
withheld_list(const struct matrix *mx, const char *id, char *out, size_t size)
{
	size_t a, len = 0;

	out[0] = '\0';
	for (a = 0; a < cat2->n_areas; a++)
		if (fig2(mx, (int)a, id, false).flag == FIGURE_SUPPRESSED)
			len += (size_t)snprintf(out + len, size - len, "%s%s",
			                        len > 0 ? " " : "",
			                        cat2->areas[a].code);
}

struct group_case {
	const char *name;
	const char *contacts; /* of period P */
	const char *withheld; /* areas, in catalog order */
};

/* Every area's contacts and contacts_per_1000 for the public: the
 * withheld set, step by step. */
static void
test_disclosure(void)
{
	static const char base[] = "KU853=50 KU202=30 KU529=70 "
	                           "KU179=10 KU182=20 KU410=30";
	static const struct group_case cases[] = {
		{ "nothing small",
		  "KU091=100 KU049=40 KU092=20 KU235=8 KU257=60", "" },
		/* KU235 alone would be MK01 minus the other four: KU092, the
		 * smallest public member, is withheld beside it */
		{ "one small", "KU091=100 KU049=40 KU092=20 KU235=3 KU257=60",
		  "KU092 KU235" },
		{ "one small, a tie", "KU091=100 KU049=20 KU092=20 KU235=3",
		  "KU049 KU235" },
		/* two that hold 5 together cover each other */
		{ "two small", "KU091=100 KU049=40 KU092=20 KU235=3 KU257=2",
		  "KU235 KU257" },
		/* two that hold 4 together would show a small sum */
		{ "two small, below 5 together",
		  "KU091=100 KU049=40 KU092=20 KU235=3 KU257=1",
		  "KU092 KU235 KU257" },
		{ "zeros", "KU091=100 KU049=40 KU092=20 KU235=0 KU257=0",
		  "KU092 KU235 KU257" },
		/* MK04 has two behind it: withheld, with its smaller member
		 * (else it would be their sum); the country then withholds
		 * the next region, MK05, with its smallest member */
		{ "a region of two",
		  "KU091=100 KU049=40 KU092=20 KU837=50 KU980=70",
		  "MK04 MK05 KU837 KU179" },
		{ "a region of two, one small",
		  "KU091=100 KU049=40 KU092=20 KU837=3 KU980=70",
		  "MK04 MK05 KU837 KU179" },
		{ "a region of one", "KU091=100 KU049=40 KU092=20 KU837=50",
		  "MK04 MK05 KU837 KU179" },
		/* two regions withheld cover each other in the country */
		{ "two regions of two",
		  "KU091=100 KU049=40 KU092=20 KU837=50 KU980=70 "
		  "KU853=9 KU202=8 KU529=-1",
		  "MK02 MK04 KU202 KU837" },
		/* small figures that no partner can cover: the region */
		{ "a region all small",
		  "KU091=100 KU049=40 KU092=20 KU853=1 KU202=0 KU529=2",
		  "MK02 MK05 KU853 KU202 KU529 KU179" },
		{ "a region all small, 5 together",
		  "KU091=100 KU049=40 KU092=20 KU853=1 KU202=2 KU529=2",
		  "KU853 KU202 KU529" },
	};
	char got[256];
	size_t i;

	for (i = 0; i < N_OF(cases); i++) {
		struct matrix *mx = matrix_new(cat2->n_areas, cat2->n_measures);
		char ind[256];

		/* MK02 and MK05 as given unless the case names them */
		if (strstr(cases[i].contacts, "KU853") == NULL)
			put2(mx, "contacts", base);
		else
			put2(mx, "contacts",
			     base + strlen("KU853=50 KU202=30 "
			                   "KU529=70 "));
		put2(mx, "contacts", cases[i].contacts);
		/* -1 stands for "did not report": a test-only gap */
		{
			int a = catalog_find_area(cat2, "KU529");
			int m = catalog_find_measure(cat2, "contacts");

			if (matrix_get(mx, a, P, m) < 0) {
				struct matrix *copy =
				    matrix_new(cat2->n_areas, cat2->n_measures);
				size_t b;

				for (b = 0; b < cat2->n_areas; b++)
					if ((int)b != a &&
					    !isnan(
					        matrix_get(mx, (int)b, P, m)))
						matrix_set(copy, (int)b, P, m,
						           matrix_get(mx,
						                      (int)b, P,
						                      m),
						           WHEN);
				matrix_free(mx);
				mx = copy;
			}
		}
		withheld_list(mx, "contacts", got, sizeof(got));
		withheld_list(mx, "contacts_per_1000", ind, sizeof(ind));
		if (strcmp(got, cases[i].withheld) != 0)
			fprintf(stderr, "case %s: withheld \"%s\"\n",
			        cases[i].name, got);
		CHECK(strcmp(got, cases[i].withheld) == 0);
		/* an indicator on the count alone: the same cells */
		CHECK_STR(ind, got);
		/* the ministry and each municipality's own view: all */
		{
			size_t a;

			for (a = 0; a < cat2->n_areas; a++)
				CHECK(fig2(mx, (int)a, "contacts", true).flag !=
				      FIGURE_SUPPRESSED);
		}
		matrix_free(mx);
	}
}

/* A municipality whose count is withheld but who is not behind the
 * indicator would leave the indicator's sums apart from the count's by
 * that count alone: the region's indicator is withheld. */
static void
test_disclosure_indicators(void)
{
	struct matrix *mx = matrix_new(cat2->n_areas, cat2->n_measures);
	int mk01 = catalog_find_area(cat2, "MK01");
	int ku235 = catalog_find_area(cat2, "KU235");
	int ku091 = catalog_find_area(cat2, "KU091");
	struct figure f;

	put2(mx, "contacts",
	     "KU091=100 KU049=40 KU092=20 KU257=60 "
	     "KU853=50 KU202=30 KU529=70");
	put2(mx, "contacts_remote",
	     "KU091=10 KU049=12 KU092=15 KU235=3 "
	     "KU257=20 KU853=5 KU202=6 KU529=7");
	/* KU235 (remote 3, no contacts) and its partner KU091 (10) */
	CHECK(fig2(mx, ku235, "contacts_remote", false).flag ==
	      FIGURE_SUPPRESSED);
	CHECK(fig2(mx, ku091, "contacts_remote", false).flag ==
	      FIGURE_SUPPRESSED);
	f = fig2(mx, mk01, "contacts_remote", false);
	CHECK(f.flag == FIGURE_OK && f.value == 60);
	/* remote_share's numerator (57) would be 60 - 3 */
	f = fig2(mx, mk01, "remote_share", false);
	CHECK(f.flag == FIGURE_SUPPRESSED && isnan(f.numerator) &&
	      isnan(f.denominator));
	f = fig2(mx, mk01, "remote_share", true);
	CHECK(f.flag == FIGURE_OK && f.numerator == 57 && f.reporting == 4);
	/* KU091 public in contacts, withheld in remote_share */
	CHECK(fig2(mx, ku091, "contacts", false).flag == FIGURE_OK);
	f = fig2(mx, ku091, "remote_share", false);
	CHECK(f.flag == FIGURE_SUPPRESSED && isnan(f.numerator) &&
	      isnan(f.denominator));
	/* KU235 reports contacts too: its withheld remote count is inside
	 * the indicator's sums as in the count's, and the region shows */
	put2(mx, "contacts", "KU235=30");
	f = fig2(mx, mk01, "remote_share", false);
	CHECK(f.flag == FIGURE_OK && f.numerator == 60 && f.denominator == 250);
	matrix_free(mx);
}

/* Random figures: whatever they are, in every group (a region and its
 * members, the country and its regions) the public sees none or at least
 * two withheld, a public total's withheld parts hold 5 or more, a
 * withheld total has a withheld part, and a public aggregate indicator's
 * numerator and denominator follow from public figures. */
static void
test_disclosure_random(void)
{
	int mc = catalog_find_measure(cat2, "contacts");
	int mr = catalog_find_measure(cat2, "contacts_remote");
	int ms[2] = { mc, mr }, trial, k;
	unsigned seed = 11;

	for (trial = 0; trial < 400; trial++) {
		struct matrix *mx = matrix_new(cat2->n_areas, cat2->n_measures);
		size_t a;
		int r;

		for (a = cat2->first_municipality; a < cat2->n_areas; a++)
			for (k = 0; k < 2; k++) {
				int x = (int)((seed = seed * 1103515245u +
				                      12345u) >>
				              16) %
				        100;

				if (x < 15)
					continue; /* not reported */
				matrix_set(mx, (int)a, P, ms[k],
				           x < 55 ? x % 5 : x - 40, WHEN);
			}
		for (k = 0; k < 2; k++) {
			const char *id = cat2->measures[ms[k]].id;
			int n_w_regions = 0, n_w_in_w = 0;
			double c_diff = 0, w_sum = 0;
			struct figure c = fig2(mx, 0, id, false);
			struct figure cu = fig2(mx, 0, id, true);

			for (r = 1; r <= (int)cat2->n_regions; r++) {
				struct figure t = fig2(mx, r, id, false);
				struct figure tu = fig2(mx, r, id, true);
				int n_w = 0;
				double sum_w = 0;

				if (tu.flag != FIGURE_OK)
					continue;
				for (a = cat2->first_municipality;
				     a < cat2->n_areas; a++) {
					struct figure f;
					double v =
					    matrix_get(mx, (int)a, P, ms[k]);

					if (cat2->areas[a].region != r ||
					    isnan(v))
						continue;
					f = fig2(mx, (int)a, id, false);
					CHECK(v >= 5 ||
					      f.flag == FIGURE_SUPPRESSED);
					if (f.flag == FIGURE_SUPPRESSED) {
						n_w++;
						sum_w += v;
					}
				}
				if (t.flag == FIGURE_OK)
					CHECK(n_w == 0 ||
					      (n_w >= 2 && sum_w >= 5));
				else
					CHECK(n_w >= 1);
				if (t.flag != FIGURE_OK) {
					n_w_regions++;
					w_sum += tu.value;
					n_w_in_w += n_w;
				} else
					c_diff += tu.value;
			}
			if (cu.flag != FIGURE_OK)
				continue;
			if (c.flag == FIGURE_OK) {
				CHECK(n_w_regions == 0 ||
				      (n_w_regions >= 2 && w_sum >= 5));
				/* the country minus its public regions and
				 * the public members of the others */
				CHECK(n_w_in_w != 1);
				CHECK(fabs(cu.value - c_diff - w_sum) < 1e-9);
			} else
				CHECK(n_w_regions >= 1);
		}
		/* remote_share where public: its sums follow from the
		 * public counts of the area and of those not behind it */
		for (r = 0; r <= (int)cat2->n_regions; r++) {
			struct figure f = fig2(mx, r, "remote_share", false);
			double num, den;

			if (f.flag != FIGURE_OK)
				continue;
			num = fig2(mx, r, "contacts_remote", false).value;
			den = fig2(mx, r, "contacts", false).value;
			CHECK(!isnan(num) && !isnan(den));
			for (a = cat2->first_municipality; a < cat2->n_areas;
			     a++) {
				double vr = matrix_get(mx, (int)a, P, mr);
				double vc = matrix_get(mx, (int)a, P, mc);

				if (!figure_is_member(cat2, r, (int)a) ||
				    (!isnan(vr) && !isnan(vc)))
					continue;
				/* not behind the indicator: public */
				if (!isnan(vr)) {
					struct figure g =
					    fig2(mx, (int)a, "contacts_remote",
					         false);

					CHECK(g.flag == FIGURE_OK);
					num -= g.value;
				}
				if (!isnan(vc)) {
					struct figure g =
					    fig2(mx, (int)a, "contacts", false);

					CHECK(g.flag == FIGURE_OK);
					den -= g.value;
				}
			}
			CHECK(fabs(f.numerator - num) < 1e-9 &&
			      fabs(f.denominator - den) < 1e-9);
		}
		matrix_free(mx);
	}
}

/* A min of a count: a withheld member's figure is not shown as the
 * group's. */
static void
test_disclosure_min(void)
{
	struct matrix *mx = matrix_new(cat2->n_areas, cat2->n_measures);
	int mk01 = catalog_find_area(cat2, "MK01");
	struct figure f;

	put2(mx, "queue", "KU091=30 KU049=40 KU092=20 KU235=25 KU257=60");
	f = fig2(mx, mk01, "queue", false);
	CHECK(f.flag == FIGURE_OK && f.value == 20);
	/* KU235's 3 withholds KU092's 20 beside it: the min is 3, small */
	put2(mx, "queue", "KU235=3");
	CHECK(fig2(mx, mk01, "queue", false).flag == FIGURE_SUPPRESSED);
	CHECK(fig2(mx, mk01, "queue", true).value == 3);
	matrix_free(mx);
}

int
main(void)
{
	cat = fixture_catalog(regions_csv, munis_csv, measures_json, NULL);
	cat2 = fixture_catalog(regions2_csv, munis2_csv, measures_json, NULL);
	RUN(test_ratio_of_sums);
	RUN(test_measure_aggregates);
	RUN(test_reporting_rate);
	RUN(test_suppression);
	RUN(test_disclosure);
	RUN(test_disclosure_indicators);
	RUN(test_disclosure_random);
	RUN(test_disclosure_min);
	RUN(test_members);
	RUN(test_latest_period);
	RUN(test_unknown_arrival);
	catalog_unref(cat2);
	catalog_unref(cat);
	return check_done();
}
