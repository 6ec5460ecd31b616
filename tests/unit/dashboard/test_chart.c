/*
 * test_chart.c: charts drawn by librrd from real RRD files in a temporary
 * folder. The values drawn are read back with VDEF/PRINT and compared with
 * hand-computed ratios of sums (and with aggregate.c, the series API's
 * arithmetic); images are checked for their format and size; the handler
 * is called directly for statuses, headers, caching and suppression.
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "app.h"
#include "catalog.h"
#include "chart.h"
#include "check.h"
#include "query.h"
#include "respond.h"
#include "routes.h"
#include "store_db.h"
#include "store_rrd.h"
#include "timespec.h"
#include "fixture.h"

#define STEP 3600
/* 2023-11-14 22:00 UTC, on a step boundary */
#define T0 ((time_t)1700000000 - 1700000000 % STEP)
#define HOUR ((time_t)3600)

static char root[64];

/* Read by ThreadSanitizer in TSan builds: Pango starts fontconfig on a
 * thread of its own ("[pango] FcInit") and hands it over through locks
 * and atomics in uninstrumented code, which TSan cannot see. Our side of
 * every render is under store_rrd's graph lock. */
const char *__tsan_default_suppressions(void);
const char *
__tsan_default_suppressions(void)
{
	return "race:libfontconfig.so\n"
	       "race:libpangoft2-1.0.so\n"
	       "race:g_str_has_suffix\n";
}

/* Read by LeakSanitizer in sanitizer builds: librrd 1.7.2 loses about 90
 * bytes a graph (option strings), and fontconfig, Pango and GLib keep
 * their caches to the end. None of it is ours to free. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:librrd.so\n"
	       "leak:libfontconfig.so\n"
	       "leak:libpango\n"
	       "leak:libglib\n"
	       "leak:libgobject\n"
	       "leak:libcairo\n"
	       "leak:libharfbuzz\n"
	       "leak:vasprintf\n"; /* librrd's, unwound no further */
}

static void
remove_root(void)
{
	fixture_rmtree(root);
	root[0] = '\0';
}

/* A fresh folder; the previous one is removed. */
static const char *
fresh_dir(void)
{
	remove_root();
	fixture_tmpdir(root, sizeof(root), "test_chart");
	return root;
}

/* --- a small catalog: MK01 of four municipalities, MK02 of one ---
 * Turku comes first, so that the country's first DEF has no file. */

static const char regions_csv[] = "code,name_fi,name_sv,name_en\n"
                                  "01,Uusimaa,Nyland,Uusimaa\n"
                                  "02,Varsinais-Suomi,Egentliga Finland,"
                                  "Southwest Finland\n";
/* pop_fl 100, 300, 600 and 50 */
static const char munis_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "853,Turku,Åbo,02,Varsinais-Suomi,Egentliga Finland,4000,400\n"
    "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,1000,100\n"
    "049,Espoo,Esbo,01,Uusimaa,Nyland,2000,300\n"
    "092,Vantaa,Vanda,01,Uusimaa,Nyland,3000,600\n"
    "106,Hyvinkää,Hyvinge,01,Uusimaa,Nyland,500,50\n";

#define NAMES(x)                                                               \
	"\"name\": {\"fi\": \"" x " fi\", \"sv\": \"" x " sv\", "              \
	"\"en\": \"" x " en\"}"
static const char
    measures_json[] = "{\"measures\": ["
                      "{\"id\": \"gp_open\", \"unit\": \"0/1\", \"min\": 0, "
                      "\"max\": 1, "
                      "\"aggregate\": \"sum\", " NAMES(
                          "Open") "},"
                                  "{\"id\": \"gp_hours\", \"unit\": "
                                  "\"h/week\", \"min\": 0, \"max\": 168, "
                                  "\"aggregate\": \"mean\", " NAMES("Hours") "}"
                                                                             ","
                                                                             "{"
                                                                             "\"id\": \"gp_languages\", \"unit\": \"languages\", \"min\": 0, "
                                                                             "\"max\": 200, \"aggregate\": \"max\", " NAMES(
                                                                                 "Languages") "},"
                                                                                              "{\"id\": \"wait_days\", \"unit\": \"days\", \"min\": 0, "
                                                                                              "\"max\": 1000, \"aggregate\": \"min\", " NAMES(
                                                                                                  "Wait") "},"
                                                                                                          "{\"id\": \"contacts\", \"unit\": \"contacts/month\", \"min\": 0, "
                                                                                                          "\"max\": 1000000, \"aggregate\": \"sum\", \"is_count\": true, " NAMES("Contacts") "},"
                                                                                                                                                                                             "{\"id\": \"contacts_remote\", \"unit\": \"contacts/month\", "
                                                                                                                                                                                             "\"min\": 0, \"max\": 1000000, \"aggregate\": \"sum\", "
                                                                                                                                                                                             "\"is_count\": true, " NAMES(
                                                                                                                                                                                                 "Remote") "},"
                                                                                                                                                                                                           "{\"id\": \"assessments\", \"unit\": \"n\", \"min\": 0, "
                                                                                                                                                                                                           "\"max\": 1000000, \"aggregate\": \"sum\", \"is_count\": true, " NAMES("Assessments") "},"
                                                                                                                                                                                                                                                                                                 "{\"id\": \"assessments_ontime\", \"unit\": \"n\", \"min\": 0, "
                                                                                                                                                                                                                                                                                                 "\"max\": 1000000, \"aggregate\": \"sum\", \"is_count\": true, " NAMES(
                                                                                                                                                                                                                                                                                                     "Ontime") "}"
                                                                                                                                                                                                                                                                                                               "], \"indicators\": ["
                                                                                                                                                                                                                                                                                                               "{\"id\": \"gp_coverage\", \"numerator\": \"gp_open*pop_fl\", "
                                                                                                                                                                                                                                                                                                               "\"denominator\": \"pop_fl\", \"scale\": 100, \"unit\": \"%\", "
                                                                                                                                                                                                                                                                                                               "\"name\": {\"fi\": \"Ohjauspisteiden kattavuus\", "
                                                                                                                                                                                                                                                                                                               "\"sv\": \"Vägledningspunkternas täckning\", "
                                                                                                                                                                                                                                                                                                               "\"en\": \"Guidance point coverage\"}},"
                                                                                                                                                                                                                                                                                                               "{\"id\": \"remote_share\", \"numerator\": \"contacts_remote\", "
                                                                                                                                                                                                                                                                                                               "\"denominator\": \"contacts\", \"scale\": 100, \"unit\": \"%\", " NAMES("Remote share") "},"
                                                                                                                                                                                                                                                                                                                                                                                                        "{\"id\": \"ontime_pct\", \"numerator\": \"assessments_ontime\", "
                                                                                                                                                                                                                                                                                                                                                                                                        "\"denominator\": \"assessments\", \"scale\": 100, \"unit\": \"%\", " NAMES(
                                                                                                                                                                                                                                                                                                                                                                                                            "On time") "},"
                                                                                                                                                                                                                                                                                                                                                                                                                       "{\"id\": \"contacts_k\", \"numerator\": \"contacts\", "
                                                                                                                                                                                                                                                                                                                                                                                                                       "\"scale\": 0.001, \"unit\": \"thousands\", " NAMES(
                                                                                                                                                                                                                                                                                                                                                                                                                           "Contacts k") "},"
                                                                                                                                                                                                                                                                                                                                                                                                                                         "{\"id\": \"pop_ratio\", \"numerator\": \"pop_fl\", "
                                                                                                                                                                                                                                                                                                                                                                                                                                         "\"denominator\": \"pop_total\", \"scale\": 100, \"unit\": \"%\", " NAMES("Population") "},"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                 "{\"id\": \"reporting_rate\", \"kind\": \"reporting\", \"scale\": 100, "
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                 "\"unit\": \"%\", " NAMES("Reporting") "}"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                        "]}";

static struct catalog *
small_catalog(void)
{
	return fixture_catalog(regions_csv, munis_csv, measures_json,
	                       "area,url\n");
}

/* Writes hours first..last (T0 + h * HOUR) of area with the values of
 * the measures named in ids (NAN: unknown). */
static void
write_hours(struct store_rrd *st, const struct catalog *cat, const char *area,
            const char *const *ids, const double *vals, size_t n, int first,
            int last)
{
	struct measure *m = calloc(n, sizeof(*m));
	size_t n_samples = (size_t)(last - first + 1), s, i;
	time_t *times = calloc(n_samples, sizeof(*times));
	double *values = calloc(n_samples * n, sizeof(*values));
	struct error err;

	memset(&err, 0, sizeof(err));
	for (i = 0; i < n; i++)
		m[i] = cat->measures[catalog_find_measure(cat, ids[i])];
	for (s = 0; s < n_samples; s++) {
		times[s] = T0 + (time_t)(first + (int)s) * HOUR;
		for (i = 0; i < n; i++)
			values[s * n + i] = vals[i];
	}
	if (store_rrd_update(st, area, m, n, times, values, n_samples, &err) <
	    0) {
		fprintf(stderr, "update %s: %s\n", area, err.msg);
		exit(1);
	}
	free(values);
	free(times);
	free(m);
}

static void
prepare(struct store_rrd *st, const struct catalog *cat, const char *area,
        size_t n_measures)
{
	struct error err;

	memset(&err, 0, sizeof(err));
	if (store_rrd_prepare(st, area, cat->measures, n_measures, 3 * STEP, T0,
	                      &err) < 0) {
		fprintf(stderr, "prepare %s: %s\n", area, err.msg);
		exit(1);
	}
}

#define N_IDS 8
static const char *const ids[N_IDS] = {
	"gp_open",  "gp_hours",        "gp_languages", "wait_days",
	"contacts", "contacts_remote", "assessments",  "assessments_ontime",
};

/*
 * The data, hours 1..24 ("first") and 25..48 ("second"):
 *            open hours lang wait contacts remote ass ontime
 * KU091 1st   1    10    3    20    100      10    0     0
 *       2nd   1    10    3    20     U        5    0     0
 * KU049 1st   0    20    7    30     50      20    0     0
 *       2nd   1    20    7    30     40       4    0     0
 * KU092 1st   U     U    5    10     30       U    0     0
 *       2nd   1     U    5    10     60       3    0     0
 * KU106: its file lacks contacts_remote and later measures (a measure not
 *        yet added); open 1, hours 40, lang 9, wait 5, contacts 4 in both
 * KU853 (MK02): no file at all.
 */
static struct store_rrd *
small_store(const struct catalog *cat)
{
	static const double first[3][N_IDS] = {
		{ 1, 10, 3, 20, 100, 10, 0, 0 },
		{ 0, 20, 7, 30, 50, 20, 0, 0 },
		{ NAN, NAN, 5, 10, 30, NAN, 0, 0 },
	};
	static const double second[3][N_IDS] = {
		{ 1, 10, 3, 20, NAN, 5, 0, 0 },
		{ 1, 20, 7, 30, 40, 4, 0, 0 },
		{ 1, NAN, 5, 10, 60, 3, 0, 0 },
	};
	static const double ku106[5] = { 1, 40, 9, 5, 4 };
	static const char *const areas[3] = { "KU091", "KU049", "KU092" };
	struct error err;
	struct store_rrd *st;
	size_t a;

	memset(&err, 0, sizeof(err));
	st = store_rrd_new(fresh_dir(), STEP, NULL, &err);
	if (st == NULL) {
		fprintf(stderr, "store: %s\n", err.msg);
		exit(1);
	}
	for (a = 0; a < 3; a++) {
		prepare(st, cat, areas[a], N_IDS);
		write_hours(st, cat, areas[a], ids, first[a], N_IDS, 1, 24);
		write_hours(st, cat, areas[a], ids, second[a], N_IDS, 25, 48);
	}
	prepare(st, cat, "KU106", 5);
	write_hours(st, cat, "KU106", ids, ku106, 5, 1, 48);
	return st;
}

static struct chart_spec
spec_of(const struct catalog *cat, const char *area, const char *ind,
        time_t start, time_t end)
{
	struct chart_spec s;

	memset(&s, 0, sizeof(s));
	s.area = catalog_find_area(cat, area);
	s.indicator = catalog_find_indicator(cat, ind);
	s.measure = s.indicator < 0 ? catalog_find_measure(cat, ind) : -1;
	s.start = start;
	s.end = end;
	s.width = 400;
	s.height = 200;
	s.lang = LANG_EN;
	s.format = CHART_PNG;
	return s;
}

/* Renders spec's plan and reads the drawn value back: its minimum,
 * average and maximum over the range (NAN where nothing is drawn). */
static int
drawn_value(struct store_rrd *st, const struct catalog *cat,
            const struct chart_spec *spec, double out[3])
{
	static const char *const extra[] = {
		"VDEF:vmin=value,MINIMUM", "VDEF:vavg=value,AVERAGE",
		"VDEF:vmax=value,MAXIMUM", "PRINT:vmin:%.12lf",
		"PRINT:vavg:%.12lf",       "PRINT:vmax:%.12lf",
	};
	struct chart_plan plan;
	struct rrd_image img;
	struct error err;
	size_t i;
	int rc;

	memset(&err, 0, sizeof(err));
	if (chart_plan_build(cat, spec, &plan, &err) < 0) {
		fprintf(stderr, "plan: %s\n", err.msg);
		return -1;
	}
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		plan.args =
		    realloc(plan.args, (plan.n_args + 1) * sizeof(*plan.args));
		plan.args[plan.n_args++] = strdup(extra[i]);
	}
	rc = store_rrd_graph(st, plan.defs, plan.n_defs,
	                     (const char *const *)plan.args, plan.n_args, &img,
	                     &err);
	chart_plan_reset(&plan);
	if (rc == 1) { /* none of the files: nothing drawn */
		out[0] = out[1] = out[2] = NAN;
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr, "graph: %d %s\n", rc, err.msg);
		return -1;
	}
	if (img.n_prints != 3) {
		rrd_image_reset(&img);
		return -1;
	}
	for (i = 0; i < 3; i++) {
		char *end;

		out[i] = strtod(img.prints[i], &end);
		if (strstr(img.prints[i], "nan") != NULL)
			out[i] = NAN;
	}
	rrd_image_reset(&img);
	return 0;
}

/* The value drawn over the first or the second day (hours 1..24 and
 * 25..48, a few hours in from the edges), constant within each. */
static double
day_value(struct store_rrd *st, const struct catalog *cat, const char *area,
          const char *ind, int day, bool is_suppressed)
{
	time_t start = T0 + (day == 1 ? 3 : 27) * HOUR;
	struct chart_spec s = spec_of(cat, area, ind, start, start + 20 * HOUR);
	double v[3];

	s.is_suppressed = is_suppressed;
	if (drawn_value(st, cat, &s, v) < 0)
		return -999;
	if (!(isnan(v[0]) && isnan(v[2])) &&
	    !(fabs(v[0] - v[2]) < 1e-9 && fabs(v[1] - v[0]) < 1e-9)) {
		fprintf(stderr, "%s %s day %d: not constant: %g %g %g\n", area,
		        ind, day, v[0], v[1], v[2]);
		return -998;
	}
	return v[1];
}

#define NEAR(a, b) CHECK_NEAR(a, b, 1e-6)

/* A region's indicator is sum(num)/sum(den) over the municipalities that
 * reported both sides, never a mean of ratios nor a sum over those that
 * reported one side. */
static void
test_region_ratio(void)
{
	struct catalog *cat = small_catalog();
	struct store_rrd *st = small_store(cat);

	/* day 1: (100 + 0 + 50) / (100 + 300 + 50); KU092 did not say.
	 * A mean of ratios would be 66.7, all pop_fl in the sum 15.8. */
	NEAR(day_value(st, cat, "MK01", "gp_coverage", 1, false),
	     150.0 / 450 * 100);
	NEAR(day_value(st, cat, "MK01", "gp_coverage", 2, false), 100);
	/* day 1: (10 + 20) / (100 + 50): KU092 and KU106 have contacts but
	 * no remote contacts, so neither side counts them */
	NEAR(day_value(st, cat, "MK01", "remote_share", 1, false), 20);
	/* day 2: KU091's contacts unknown: (4 + 3) / (40 + 60) */
	NEAR(day_value(st, cat, "MK01", "remote_share", 2, false), 7);
	/* suppression is of a single municipality's counts only */
	NEAR(day_value(st, cat, "MK01", "remote_share", 2, true), 7);
	/* every denominator zero: unknown, not infinite */
	CHECK(isnan(day_value(st, cat, "MK01", "ontime_pct", 1, false)));
	/* no denominator: sum(num) * scale */
	NEAR(day_value(st, cat, "MK01", "contacts_k", 1, false), 0.184);
	NEAR(day_value(st, cat, "MK01", "contacts_k", 2, false), 0.104);
	/* the country: MK02 has no file at all; nor has its first DEF */
	NEAR(day_value(st, cat, "SSS", "remote_share", 1, false), 20);
	NEAR(day_value(st, cat, "SSS", "gp_coverage", 2, false), 100);
	NEAR(day_value(st, cat, "SSS", "contacts", 1, false), 184);
	/* a single municipality */
	NEAR(day_value(st, cat, "KU091", "gp_coverage", 1, false), 100);
	NEAR(day_value(st, cat, "KU049", "gp_coverage", 1, false), 0);
	NEAR(day_value(st, cat, "KU049", "remote_share", 1, false), 40);
	CHECK(isnan(day_value(st, cat, "KU092", "gp_coverage", 1, false)));
	store_rrd_free(st);
	catalog_unref(cat);
}

/* Measures by their aggregate rule, ignoring unknowns. */
static void
test_region_measure(void)
{
	struct catalog *cat = small_catalog();
	struct store_rrd *st = small_store(cat);

	NEAR(day_value(st, cat, "MK01", "contacts", 1, false), 184);
	NEAR(day_value(st, cat, "MK01", "contacts", 2, false), 104);
	NEAR(day_value(st, cat, "MK01", "gp_open", 1, false), 2);
	NEAR(day_value(st, cat, "MK01", "gp_hours", 1, false), 70.0 / 3);
	NEAR(day_value(st, cat, "MK01", "gp_languages", 1, false), 9);
	NEAR(day_value(st, cat, "MK01", "wait_days", 2, false), 5);
	/* KU106's file lacks the data source: unknown, the rest drawn */
	NEAR(day_value(st, cat, "MK01", "contacts_remote", 1, false), 30);
	CHECK(isnan(day_value(st, cat, "KU106", "contacts_remote", 1, false)));
	NEAR(day_value(st, cat, "KU092", "contacts", 2, false), 60);
	store_rrd_free(st);
	catalog_unref(cat);
}

/* The public's view of one municipality: a count below 5, and an
 * indicator built on one, is not drawn; other figures are. */
static void
test_suppression(void)
{
	struct catalog *cat = small_catalog();
	struct store_rrd *st = small_store(cat);

	NEAR(day_value(st, cat, "KU092", "contacts_remote", 2, false), 3);
	CHECK(isnan(day_value(st, cat, "KU092", "contacts_remote", 2, true)));
	NEAR(day_value(st, cat, "KU092", "remote_share", 2, false), 5);
	CHECK(isnan(day_value(st, cat, "KU092", "remote_share", 2, true)));
	NEAR(day_value(st, cat, "KU106", "contacts", 1, false), 4);
	CHECK(isnan(day_value(st, cat, "KU106", "contacts", 1, true)));
	/* 5 and up, and figures that are not counts, stay */
	NEAR(day_value(st, cat, "KU091", "contacts_remote", 2, true), 5);
	NEAR(day_value(st, cat, "KU049", "remote_share", 1, true), 40);
	NEAR(day_value(st, cat, "KU106", "gp_coverage", 1, true), 100);
	store_rrd_free(st);
	catalog_unref(cat);
}

/* What the files cannot draw is refused with a reason. */
static void
test_not_drawable(void)
{
	struct catalog *cat = small_catalog();
	struct chart_spec s =
	    spec_of(cat, "MK01", "reporting_rate", T0, T0 + 48 * HOUR);
	struct chart_plan plan;
	struct error err;

	memset(&err, 0, sizeof(err));
	CHECK(chart_plan_build(cat, &s, &plan, &err) == -1);
	CHECK(strstr(err.msg, "reporting_rate") != NULL);
	CHECK(plan.n_args == 0 && plan.args == NULL);
	s = spec_of(cat, "MK01", "pop_ratio", T0, T0 + 48 * HOUR);
	CHECK(chart_plan_build(cat, &s, &plan, &err) == -1);
	CHECK(strstr(err.msg, "no measure") != NULL);
	catalog_unref(cat);
}

static const char *
arg_after(const struct chart_plan *p, const char *opt)
{
	size_t i;

	for (i = 0; i + 1 < p->n_args; i++)
		if (strcmp(p->args[i], opt) == 0)
			return p->args[i + 1];
	return NULL;
}

/* Title and axis label in the chart's language; the rrdtool tag off. */
static void
test_titles(void)
{
	static const struct {
		enum lang lang;
		const char *area, *ind, *title, *unit;
	} cases[] = {
		{ LANG_FI, "MK02", "gp_coverage",
		  "Varsinais-Suomi — Ohjauspisteiden kattavuus", "%" },
		{ LANG_SV, "MK02", "gp_coverage",
		  "Egentliga Finland — Vägledningspunkternas täckning", "%" },
		{ LANG_EN, "MK02", "gp_coverage",
		  "Southwest Finland — Guidance point coverage", "%" },
		{ LANG_SV, "KU853", "contacts", "Åbo — Contacts sv",
		  "contacts/month" },
		{ LANG_EN, "SSS", "remote_share",
		  "Whole country — Remote share en", "%" },
	};
	struct catalog *cat = small_catalog();
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chart_spec s = spec_of(cat, cases[i].area, cases[i].ind,
		                              T0, T0 + 48 * HOUR);
		struct chart_plan plan;
		struct error err;
		bool has_tag_off = false;

		s.lang = cases[i].lang;
		s.width = 800;
		CHECK(chart_plan_build(cat, &s, &plan, &err) == 0);
		CHECK_STR(arg_after(&plan, "--title"), cases[i].title);
		CHECK_STR(arg_after(&plan, "--vertical-label"), cases[i].unit);
		CHECK_STR(arg_after(&plan, "--imgformat"), "PNG");
		for (j = 0; j < plan.n_args; j++)
			has_tag_off |=
			    strcmp(plan.args[j], "--disable-rrdtool-tag") == 0;
		CHECK(has_tag_off);
		chart_plan_reset(&plan);
	}
	/* too long for the width: a smaller font, then cut at a space */
	{
		struct chart_spec s =
		    spec_of(cat, "MK02", "gp_coverage", T0, T0 + 48 * HOUR);
		struct chart_plan plan;
		struct error err;

		s.lang = LANG_SV;
		s.width = 200;
		CHECK(chart_plan_build(cat, &s, &plan, &err) == 0);
		CHECK_STR(arg_after(&plan, "--title"),
		          "Egentliga Finland — Vägledn…");
		for (j = 0; j + 1 < plan.n_args; j++)
			if (strncmp(plan.args[j + 1], "TITLE:", 6) == 0)
				CHECK_STR(plan.args[j + 1],
				          "TITLE:8:DejaVu Sans Bold");
		chart_plan_reset(&plan);
		s.width = 400; /* fits at 9 points */
		CHECK(chart_plan_build(cat, &s, &plan, &err) == 0);
		CHECK_STR(arg_after(&plan, "--title"),
		          "Egentliga Finland — Vägledningspunkternas täckning");
		chart_plan_reset(&plan);
	}
	catalog_unref(cat);
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The whole image is the size asked for (full-size mode). */
static void
test_png_size(void)
{
	static const int sizes[][2] = {
		{ 200, 100 },
		{ 640, 240 },
		{ 800, 300 },
		{ 2000, 1200 },
	};
	struct catalog *cat = small_catalog();
	struct store_rrd *st = small_store(cat);
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct chart_spec s =
		    spec_of(cat, "MK01", "remote_share", T0, T0 + 48 * HOUR);
		struct chart_plan plan;
		struct rrd_image img;
		struct error err;

		s.width = sizes[i][0];
		s.height = sizes[i][1];
		CHECK(chart_plan_build(cat, &s, &plan, &err) == 0);
		CHECK(store_rrd_graph(st, plan.defs, plan.n_defs,
		                      (const char *const *)plan.args,
		                      plan.n_args, &img, &err) == 0);
		chart_plan_reset(&plan);
		CHECK(img.len > 24);
		if (img.len <= 24)
			continue;
		CHECK(memcmp(img.data, "\x89PNG\r\n\x1a\n", 8) == 0);
		CHECK(memcmp(img.data + 12, "IHDR", 4) == 0);
		CHECK(be32(img.data + 16) == (uint32_t)sizes[i][0]);
		CHECK(be32(img.data + 20) == (uint32_t)sizes[i][1]);
		CHECK(img.width == (unsigned long)sizes[i][0]);
		CHECK(img.height == (unsigned long)sizes[i][1]);
		rrd_image_reset(&img);
	}
	store_rrd_free(st);
	catalog_unref(cat);
}

/* reporting_rate by month: a step function of time, each month's value
 * drawn across the month, unknown months not drawn. */
static void
test_monthly(void)
{
	struct catalog *cat = small_catalog();
	struct store_rrd *st = small_store(cat);
	struct rrd_graph_def base = { "base", "KU091", "gp_open" };
	int p0, i;
	time_t starts[4], end;
	const double values[4] = { 25, NAN, 50, 75 };
	double want[4] = { 25, NAN, 50, 75 };

	period_parse("2023-09", &p0);
	for (i = 0; i < 4; i++)
		starts[i] = period_start(p0 + i);
	end = period_end(p0 + 3);
	for (i = 0; i < 4; i++) {
		time_t to = i < 3 ? starts[i + 1] : end;
		struct chart_spec s = spec_of(cat, "MK01", "reporting_rate",
		                              starts[i] + 86400, to - 86400);
		struct chart_plan plan;
		struct rrd_image img;
		struct error err;
		const char *extra[] = { "VDEF:vmin=value,MINIMUM",
			                "VDEF:vmax=value,MAXIMUM",
			                "PRINT:vmin:%.6lf",
			                "PRINT:vmax:%.6lf" };
		size_t k;

		chart_plan_monthly(cat, &s, &base, starts, values, 4, end,
		                   &plan);
		CHECK_STR(arg_after(&plan, "--upper-limit"), "100");
		for (k = 0; k < 4; k++) {
			plan.args = realloc(plan.args, (plan.n_args + 1) *
			                                   sizeof(*plan.args));
			plan.args[plan.n_args++] = strdup(extra[k]);
		}
		CHECK(store_rrd_graph(st, plan.defs, plan.n_defs,
		                      (const char *const *)plan.args,
		                      plan.n_args, &img, &err) == 0);
		chart_plan_reset(&plan);
		CHECK(img.n_prints == 2);
		if (img.n_prints != 2)
			continue;
		if (isnan(want[i])) {
			CHECK(strstr(img.prints[0], "nan") != NULL);
			CHECK(strstr(img.prints[1], "nan") != NULL);
		} else {
			CHECK_NEAR(strtod(img.prints[0], NULL), want[i], 1e-9);
			CHECK_NEAR(strtod(img.prints[1], NULL), want[i], 1e-9);
		}
		rrd_image_reset(&img);
	}
	store_rrd_free(st);
	catalog_unref(cat);
}

/* --- the handler --- */

struct call {
	struct request req;
	struct query query;
	struct response resp;
};

static const char *
header_of(const struct response *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* Calls the chart handler of the format for /chart/AREA/IND.FORMAT?QUERY;
 * the answer is in c->resp (response_reset after). */
static void
call_chart_as(struct call *c, struct app *app, const struct principal *who,
              const char *area, const char *ind, bool is_svg, const char *query,
              const char *accept_language)
{
	struct error err;

	memset(c, 0, sizeof(*c));
	memset(&err, 0, sizeof(err));
	if (query_parse(query, strlen(query), &c->query, &err) < 0) {
		fprintf(stderr, "query %s: %s\n", query, err.msg);
		exit(1);
	}
	c->req.app = app;
	c->req.method = "GET";
	c->req.path = "/chart/x/y.svg";
	c->req.query = &c->query;
	snprintf(c->req.capture_names[0], ROUTE_NAME_MAX, "area");
	snprintf(c->req.captures[0], ROUTE_CAPTURE_MAX, "%s", area);
	snprintf(c->req.capture_names[1], ROUTE_NAME_MAX, "indicator");
	snprintf(c->req.captures[1], ROUTE_CAPTURE_MAX, "%s", ind);
	c->req.n_captures = 2;
	c->req.accept_language = accept_language;
	c->req.remote_addr = "127.0.0.1";
	c->req.who.role = ROLE_PUBLIC;
	if (who != NULL)
		c->req.who = *who;
	response_init(&c->resp);
	if (is_svg)
		chart_svg_get(&c->req, &c->resp);
	else
		chart_png_get(&c->req, &c->resp);
}

static void
call_chart(struct call *c, struct app *app, const char *area, const char *ind,
           bool is_svg, const char *query, const char *accept_language)
{
	call_chart_as(c, app, NULL, area, ind, is_svg, query, accept_language);
}

static void
done(struct call *c)
{
	response_reset(&c->resp);
	query_reset(&c->query);
}

static bool
body_has(const struct response *r, const char *s)
{
	return r->body != NULL && memmem(r->body, r->body_len, s, strlen(s));
}

static struct app *
test_app(struct catalog *cat, struct store_rrd *st, bool is_public)
{
	struct app *app = calloc(1, sizeof(*app));

	pthread_mutex_init(&app->lock, NULL);
	app->cat = cat;
	config_init(&app->cfg);
	app->cfg.is_public = is_public;
	app->rrd = st;
	return app;
}

static void
free_app(struct app *app)
{
	pthread_mutex_destroy(&app->lock);
	free(app);
}

#define RANGE "start=1700010000&end=1700200000"

static void
test_handler_images(void)
{
	struct catalog *cat = small_catalog();
	struct store_rrd *st = small_store(cat);
	struct app *app = test_app(cat, st, true);
	struct call c;

	call_chart(&c, app, "MK01", "remote_share", false,
	           RANGE "&width=640&height=240", NULL);
	CHECK(c.resp.status == 200);
	CHECK_STR(c.resp.content_type, "image/png");
	CHECK(c.resp.body_len > 24 &&
	      memcmp(c.resp.body, "\x89PNG\r\n\x1a\n", 8) == 0 &&
	      be32((unsigned char *)c.resp.body + 16) == 640 &&
	      be32((unsigned char *)c.resp.body + 20) == 240);
	CHECK_STR(header_of(&c.resp, "Cache-Control"), "public, max-age=60");
	CHECK_STR(header_of(&c.resp, "Vary"), "Accept-Language");
	done(&c);

	/* SVG: the size, and the title as text in the language asked */
	call_chart(&c, app, "MK02", "gp_coverage", true,
	           RANGE "&width=500&height=200&lang=sv", "en");
	CHECK(c.resp.status == 200);
	CHECK_STR(c.resp.content_type, "image/svg+xml");
	CHECK(body_has(&c.resp, "<svg"));
	/* pixels, as the PNG: librrd's "500pt" would show a third larger */
	CHECK(body_has(&c.resp, "width=\"500\" height=\"200\" "
	                        "viewBox=\"0 0 500 200\""));
	CHECK(body_has(&c.resp, "role=\"img\" aria-label=\"Egentliga"));
	CHECK(body_has(&c.resp, "<title>Egentliga Finland — "
	                        "Vägledningspunkternas täckning</title>"));
	CHECK(body_has(&c.resp, "</svg>"));
	CHECK(header_of(&c.resp, "Vary") == NULL);
	done(&c);

	/* the language from Accept-Language, by q */
	call_chart(&c, app, "KU049", "contacts", true, RANGE,
	           "fi;q=0.3, en;q=0.9, sv;q=0.5");
	CHECK(c.resp.status == 200);
	CHECK(body_has(&c.resp, "<title>Espoo — Contacts en</title>"));
	CHECK(body_has(&c.resp, "width=\"800\" height=\"300\""));
	done(&c);
	call_chart(&c, app, "KU049", "contacts", true, RANGE, NULL);
	CHECK(body_has(&c.resp, "<title>Espoo — Contacts fi</title>"));
	done(&c);
	call_chart(&c, app, "KU049", "contacts", true, RANGE,
	           "de, sv-FI;q=0.8, en;q=0.7");
	CHECK(body_has(&c.resp, "<title>Esbo — Contacts sv</title>"));
	done(&c);
	call_chart(&c, app, "KU049", "contacts", true, RANGE "&lang=en", "sv");
	CHECK(body_has(&c.resp, "<title>Espoo — Contacts en</title>"));
	done(&c);

	/* MK02 has no file yet: a frame, not an error */
	call_chart(&c, app, "KU853", "contacts", false, RANGE, NULL);
	CHECK(c.resp.status == 200);
	CHECK(c.resp.body_len > 24 &&
	      memcmp(c.resp.body, "\x89PNG\r\n\x1a\n", 8) == 0);
	done(&c);

	chart_release();
	free_app(app);
	store_rrd_free(st);
	catalog_unref(cat);
}

/* reporting_rate through the handler: counted from the database by the
 * series module, drawn on a municipality's file. */
static void
test_handler_reporting(void)
{
	struct catalog *cat = small_catalog();
	struct store_rrd *st = small_store(cat);
	struct app *app = test_app(cat, st, true);
	struct error err;
	char path[128];
	struct call c;
	int p0, i;

	memset(&err, 0, sizeof(err));
	snprintf(path, sizeof(path), "%s/kuntamon.db", root);
	app->db = store_db_open(path, &err);
	CHECK(app->db != NULL);
	period_parse("2023-09", &p0);
	for (i = 0; i < 3 && app->db != NULL; i++) {
		struct db_outcome o;

		memset(&o, 0, sizeof(o));
		o.area = i == 0 ? "KU091" : "KU049";
		o.time = period_end(p0 + i) + 86400;
		o.source = "import";
		o.period = p0 + i;
		o.n_accepted = 1;
		CHECK(store_db_record(app->db, &o) == 0);
	}
	call_chart(&c, app, "MK01", "reporting_rate", false,
	           "start=2023-09&end=2024-01&width=300&height=150", "en");
	CHECK(c.resp.status == 200);
	CHECK(c.resp.body_len > 24 &&
	      memcmp(c.resp.body, "\x89PNG\r\n\x1a\n", 8) == 0 &&
	      be32((unsigned char *)c.resp.body + 16) == 300);
	done(&c);
	/* an area none of whose municipalities has a file */
	call_chart(&c, app, "MK02", "reporting_rate", true,
	           "start=2023-09&end=2024-01", "en");
	CHECK(c.resp.status == 200);
	CHECK(body_has(&c.resp, "<title>Southwest Finland — Reporting en"));
	done(&c);
	chart_release();
	store_db_close(app->db);
	free_app(app);
	store_rrd_free(st);
	catalog_unref(cat);
}

static void
test_handler_errors(void)
{
	static const struct {
		const char *area, *ind, *query;
		int status;
		const char *msg;
	} cases[] = {
		{ "MK99", "contacts", "", 404, "unknown area MK99" },
		{ "mk01", "contacts", "", 404, "unknown area mk01" },
		{ "MK01", "nope", "", 404, "unknown indicator nope" },
		{ "MK01", "pop_ratio", "", 404, "no measure" },
		{ "MK01", "contacts", "width=199", 400, "parameter width" },
		{ "MK01", "contacts", "width=2001", 400, "parameter width" },
		{ "MK01", "contacts", "width=abc", 400, "parameter width" },
		{ "MK01", "contacts", "height=99", 400, "parameter height" },
		{ "MK01", "contacts", "height=1201", 400, "parameter height" },
		{ "MK01", "contacts", "lang=de", 400, "parameter lang" },
		{ "MK01", "contacts", "lang=", 400, "parameter lang" },
		{ "MK01", "contacts", "start=yesterday", 400,
		  "parameter start" },
		{ "MK01", "contacts", "end=2026-13", 400, "parameter end" },
		{ "MK01", "contacts", "start=now&end=-1d", 400,
		  "start must be before end" },
		{ "MK01", "contacts", "start=1980-01&end=now", 400,
		  "30 years" },
		{ "MK01", "contacts", "start=1&end=100000", 400,
		  "parameter start: before 1980" },
	};
	struct catalog *cat = small_catalog();
	struct store_rrd *st = small_store(cat);
	struct app *app = test_app(cat, st, true);
	struct call c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		call_chart(&c, app, cases[i].area, cases[i].ind, i % 2 == 0,
		           cases[i].query, NULL);
		CHECK(c.resp.status == cases[i].status);
		CHECK(body_has(&c.resp, cases[i].msg));
		CHECK(strstr(c.resp.content_type, "application/json") != NULL);
		if (c.resp.status != cases[i].status ||
		    !body_has(&c.resp, cases[i].msg))
			fprintf(stderr, "  case %zu: %d %.*s\n", i,
			        c.resp.status, (int)c.resp.body_len,
			        c.resp.body ? c.resp.body : "");
		done(&c);
	}
	/* public = no: a token is needed */
	app->cfg.is_public = false;
	call_chart(&c, app, "MK01", "contacts", true, "", NULL);
	CHECK(c.resp.status == 401);
	CHECK(body_has(&c.resp, "token"));
	done(&c);
	chart_release();
	free_app(app);
	store_rrd_free(st);
	catalog_unref(cat);
}

/* A second request is served from the cache; new data for the area (a
 * new generation) renders again; each view is cached apart. */
static void
test_handler_cache(void)
{
	struct catalog *cat = small_catalog();
	struct store_rrd *st = small_store(cat);
	struct app *app = test_app(cat, st, true);
	struct principal ku091 = { ROLE_MUNICIPALITY, 1, "KU091" };
	struct principal ku092 = { ROLE_MUNICIPALITY, 2, "KU092" };
	struct call c;
	char *first;
	size_t first_len;

	call_chart(&c, app, "KU092", "contacts_remote", false, RANGE, "sv");
	CHECK(c.resp.status == 200);
	first = malloc(c.resp.body_len);
	memcpy(first, c.resp.body, c.resp.body_len);
	first_len = c.resp.body_len;
	done(&c);
	CHECK(app->stats.cache_misses == 1 && app->stats.cache_hits == 0);
	call_chart(&c, app, "KU092", "contacts_remote", false, RANGE, "sv");
	CHECK(c.resp.status == 200);
	CHECK(app->stats.cache_misses == 1 && app->stats.cache_hits == 1);
	CHECK(c.resp.body_len == first_len &&
	      memcmp(c.resp.body, first, first_len) == 0);
	done(&c);
	/* another language, format or view is another chart */
	call_chart(&c, app, "KU092", "contacts_remote", false, RANGE, "en");
	CHECK(app->stats.cache_misses == 2);
	done(&c);
	/* the municipality's own token: unsuppressed, private */
	call_chart_as(&c, app, &ku092, "KU092", "contacts_remote", false, RANGE,
	              "sv");
	CHECK(c.resp.status == 200);
	CHECK(app->stats.cache_misses == 3);
	CHECK(c.resp.body_len != first_len ||
	      memcmp(c.resp.body, first, first_len) != 0);
	CHECK_STR(header_of(&c.resp, "Cache-Control"), "private, max-age=60");
	done(&c);
	/* another municipality's token, even with public = no, reads it as
	 * the public does: the same image, from the cache */
	app->cfg.is_public = false;
	call_chart_as(&c, app, &ku091, "KU092", "contacts_remote", false, RANGE,
	              "sv");
	CHECK(c.resp.status == 200);
	CHECK(app->stats.cache_misses == 3);
	CHECK(c.resp.body_len == first_len &&
	      memcmp(c.resp.body, first, first_len) == 0);
	done(&c);
	/* ... and a chart without counts is one for everybody */
	call_chart_as(&c, app, &ku092, "KU092", "gp_coverage", false, RANGE,
	              "sv");
	CHECK(app->stats.cache_misses == 4);
	done(&c);
	call_chart_as(&c, app, &ku091, "KU092", "gp_coverage", false, RANGE,
	              "sv");
	CHECK(app->stats.cache_misses == 4);
	done(&c);
	app->cfg.is_public = true;
	/* new data for KU092 */
	app_data_landed(app, cat, catalog_find_area(cat, "KU092"));
	call_chart(&c, app, "KU092", "contacts_remote", false, RANGE, "sv");
	CHECK(app->stats.cache_misses == 5);
	done(&c);
	/* relative ranges a few seconds apart are one chart */
	call_chart(&c, app, "MK01", "contacts", true, "start=-1y", "sv");
	done(&c);
	call_chart(&c, app, "MK01", "contacts", true, "start=-1y&end=now",
	           "sv");
	done(&c);
	CHECK(app->stats.cache_misses == 6 || app->stats.cache_misses == 7);
	free(first);
	chart_release();
	free_app(app);
	store_rrd_free(st);
	catalog_unref(cat);
}

struct racer {
	struct app *app;
	pthread_barrier_t *start;
	int status;
	size_t len;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct call c;

	pthread_barrier_wait(r->start);
	call_chart(&c, r->app, "SSS", "remote_share", false, RANGE, "en");
	r->status = c.resp.status;
	r->len = c.resp.body_len;
	done(&c);
	return NULL;
}

/* Many asking at once for a chart not yet cached: one renders, the
 * others wait for it and are served from the cache. */
static void
test_handler_single_flight(void)
{
	struct catalog *cat = small_catalog();
	struct store_rrd *st = small_store(cat);
	struct app *app = test_app(cat, st, true);
	struct racer r[8];
	pthread_t t[8];
	pthread_barrier_t start;
	size_t i;

	pthread_barrier_init(&start, NULL, 8);
	for (i = 0; i < 8; i++) {
		r[i].app = app;
		r[i].start = &start;
		pthread_create(&t[i], NULL, race, &r[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		CHECK(r[i].status == 200);
		CHECK(r[i].len == r[0].len && r[i].len > 0);
	}
	CHECK(app->stats.cache_misses == 1);
	CHECK(app->stats.cache_hits == 7);
	pthread_barrier_destroy(&start);
	chart_release();
	free_app(app);
	store_rrd_free(st);
	catalog_unref(cat);
}

/* --- the whole country: 308 municipalities, 616 DEFs --- */

static char src_root[900];

static int
has_config(const char *dir)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/config/municipalities.csv", dir);
	return access(path, R_OK) == 0;
}

/* $SRC, else the checkout this file is in, else up from here. */
static void
find_root(void)
{
	const char *env = getenv("SRC");
	const char *tail = "/tests/unit/dashboard/test_chart.c";
	size_t n = strlen(__FILE__), t = strlen(tail);
	int up;

	if (env != NULL && env[0] != '\0' && has_config(env)) {
		snprintf(src_root, sizeof(src_root), "%s", env);
		return;
	}
	if (n >= t && strcmp(&__FILE__[n - t], tail) == 0) {
		snprintf(src_root, sizeof(src_root), "%.*s", (int)(n - t),
		         __FILE__);
		if (has_config(src_root))
			return;
	}
	snprintf(src_root, sizeof(src_root), ".");
	for (up = 0; up < 5 && !has_config(src_root); up++)
		snprintf(src_root + strlen(src_root),
		         sizeof(src_root) - strlen(src_root), "/..");
}

static char *
read_file(const char *name, size_t *out_len)
{
	char path[1200];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof(path), "%s/config/%s", src_root, name);
	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0) {
		perror(path);
		exit(1);
	}
	data = malloc((size_t)n + 1);
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	data[n] = '\0';
	fclose(f);
	*out_len = (size_t)n;
	return data;
}

static const char country_measures[] =
    "{\"measures\": ["
    "{\"id\": \"contacts\", \"unit\": \"n\", \"min\": 0, \"max\": 1000000, "
    "\"aggregate\": \"sum\", \"is_count\": true, " NAMES(
        "Contacts") "},"
                    "{\"id\": \"contacts_remote\", \"unit\": \"n\", \"min\": "
                    "0, "
                    "\"max\": 1000000, \"aggregate\": \"mean\", \"is_count\": "
                    "true, " NAMES(
                        "Remote") "}"
                                  "], \"indicators\": ["
                                  "{\"id\": \"remote_share\", \"numerator\": "
                                  "\"contacts_remote\", "
                                  "\"denominator\": \"contacts\", \"scale\": "
                                  "100, \"unit\": \"%\", " NAMES(
                                      "Remote share") "},"
                                                      "{\"id\": "
                                                      "\"remote_per_fl\", "
                                                      "\"numerator\": "
                                                      "\"contacts_remote\", "
                                                      "\"denominator\": "
                                                      "\"pop_fl\", \"scale\": "
                                                      "1000, \"unit\": "
                                                      "\"\", " NAMES(
                                                          "Remote per fl") "}"
                                                                           "]}";

/* Municipality i's figures: remote unknown for every fifth, contacts for
 * every seventh. */
static double
country_contacts(size_t i)
{
	return i % 7 == 3 ? NAN : (double)(100 + i * 3);
}

static double
country_remote(size_t i)
{
	return i % 5 == 0 ? NAN : (double)(i % 11);
}

static void
test_country(void)
{
	size_t len[2], n, i;
	char *regions = (find_root(), read_file("regions.csv", &len[0]));
	char *munis = read_file("municipalities.csv", &len[1]);
	struct catalog *cat = catalog_new();
	struct store_rrd *st;
	struct error err;
	int *idx;
	double *num, *den, want[2], sum_remote = 0, v;
	int n_remote = 0;
	struct timespec t0, t1;

	memset(&err, 0, sizeof(err));
	CHECK(catalog_parse_regions(cat, regions, len[0], &err) == 0);
	CHECK(catalog_parse_municipalities(cat, munis, len[1], &err) == 0);
	CHECK(catalog_parse_measures(cat, country_measures,
	                             strlen(country_measures), &err) == 0);
	CHECK(catalog_parse_endpoints(cat, "area,url\n", 9, &err) == 0);
	CHECK(catalog_finish(cat, &err) == 0);
	free(regions);
	free(munis);
	/* a step of a day keeps 308 files small */
	st = store_rrd_new(fresh_dir(), 86400, NULL, &err);
	idx = calloc(cat->n_areas, sizeof(*idx));
	n = catalog_municipalities_of(cat, 0, idx);
	CHECK(n == 308);
	num = calloc(n, sizeof(*num));
	den = calloc(n, sizeof(*den));
	for (i = 0; i < n; i++) {
		const char *code = cat->areas[idx[i]].code;
		double vals[2] = { country_contacts(i), country_remote(i) };
		time_t times[4];
		double values[8];
		size_t s;

		CHECK(store_rrd_prepare(st, code, cat->measures, 2, 3 * 86400,
		                        T0, &err) == 0);
		for (s = 0; s < 4; s++) {
			times[s] = T0 + (time_t)(s + 1) * 86400;
			values[2 * s] = vals[0];
			values[2 * s + 1] = vals[1];
		}
		CHECK(store_rrd_update(st, code, cat->measures, 2, times,
		                       values, 4, &err) == 0);
		num[i] = country_remote(i);
		den[i] = country_contacts(i);
		if (!isnan(num[i])) {
			sum_remote += num[i];
			n_remote++;
		}
	}
	/* the series API's arithmetic gives the same */
	aggregate_ratio(num, den, n, 1, 100, &want[0], NULL);
	for (i = 0; i < n; i++)
		den[i] = cat->areas[idx[i]].pop_fl;
	aggregate_ratio(num, den, n, 1, 1000, &want[1], NULL);
	{
		struct chart_spec s = spec_of(cat, "SSS", "remote_share",
		                              T0 + 86400, T0 + 4 * 86400);
		double got[3];

		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(drawn_value(st, cat, &s, got) == 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		CHECK(want[0] > 0);
		CHECK_NEAR(got[1], want[0], 1e-9);
		CHECK_NEAR(got[0], got[2], 1e-9);
		fprintf(stderr,
		        "# SSS remote_share: %.6f (308 files) in %ld ms\n",
		        got[1],
		        (long)((t1.tv_sec - t0.tv_sec) * 1000 +
		               (t1.tv_nsec - t0.tv_nsec) / 1000000));
		s = spec_of(cat, "SSS", "remote_per_fl", T0 + 86400,
		            T0 + 4 * 86400);
		CHECK(drawn_value(st, cat, &s, got) == 0);
		CHECK_NEAR(got[1], want[1], 1e-9);
		/* the mean of 308 through one AVG */
		s = spec_of(cat, "SSS", "contacts_remote", T0 + 86400,
		            T0 + 4 * 86400);
		CHECK(drawn_value(st, cat, &s, got) == 0);
		v = sum_remote / n_remote;
		CHECK_NEAR(got[1], v, 1e-9);
	}
	free(num);
	free(den);
	free(idx);
	store_rrd_free(st);
	catalog_unref(cat);
}

/* The warm-up renders without any file. */
static void
test_init(void)
{
	chart_init();
	chart_release();
	chart_release(); /* twice is harmless */
}

int
main(void)
{
	RUN(test_titles);
	RUN(test_not_drawable);
	RUN(test_region_ratio);
	RUN(test_region_measure);
	RUN(test_suppression);
	RUN(test_png_size);
	RUN(test_monthly);
	RUN(test_handler_images);
	RUN(test_handler_reporting);
	RUN(test_handler_errors);
	RUN(test_handler_cache);
	RUN(test_handler_single_flight);
	RUN(test_country);
	RUN(test_init);
	remove_root();
	return check_done();
}
