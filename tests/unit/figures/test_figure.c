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
 * built on it are withheld; a region's or the country's value only when
 * it is one municipality's small count in disguise: a single contributor,
 * or the min or max of a count. */
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
		/* 5 is shown */
		{ "KU853", "contacts_remote", P, false, FIGURE_OK, 5, 5, X, 1,
		  1 },
		{ "KU853", "remote_share", P, false, FIGURE_OK, 25, 5, 20, 1,
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

int
main(void)
{
	cat = fixture_catalog(regions_csv, munis_csv, measures_json, NULL);
	RUN(test_ratio_of_sums);
	RUN(test_measure_aggregates);
	RUN(test_reporting_rate);
	RUN(test_suppression);
	RUN(test_members);
	RUN(test_latest_period);
	RUN(test_unknown_arrival);
	catalog_unref(cat);
	return check_done();
}
