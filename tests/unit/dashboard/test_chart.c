/*
 * test_chart.c: charts drawn by librrd, in memory, of the figure
 * function's monthly values (the series module's), as a step function on
 * the time base of one real RRD file in a temporary folder. The values
 * drawn are read back with VDEF/PRINT and compared with the values given
 * or, through the series module, with hand-computed ratios of sums; images
 * are checked for their format and size; the handler is called directly
 * for statuses, headers, caching and suppression.
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "catalog.h"
#include "chart.h"
#include "clock.h"
#include "gate.h"
#include "check.h"
#include "ingest.h"
#include "query.h"
#include "respond.h"
#include "routes.h"
#include "series.h"
#include "store_db.h"
#include "store_rrd.h"
#include "timespec.h"
#include "fixture.h"

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

#define N_IDS 8
static const char *const ids[N_IDS] = {
	"gp_open",  "gp_hours",        "gp_languages", "wait_days",
	"contacts", "contacts_remote", "assessments",  "assessments_ontime",
};
enum { I_OPEN, I_HOURS, I_LANGS, I_WAIT, I_CONTACTS, I_REMOTE };

/*
 * The figures, by month from P0 = 2023-09 (month 2, 2023-11: nobody
 * reported; NaN: not reported):
 *                 open hours lang wait contacts remote ass ontime
 * KU091 (fl 100)
 *       month 0    1    10    3    20    100      10    0     0
 *       month 1    1    10    3    20    120      30    0     0
 *       month 3    1    10    3    20    200      50    0     0
 * KU049 (fl 300)
 *       month 0    0    20    7    30     50      20    0     0
 *       month 1    1    20    7    30     40       4    0     0
 *       month 3    1    20    7    30     60       6    0     0
 * KU092 (fl 600)
 *       month 0    U     U    5    10     30       3    0     0
 *       month 1    1     U    5    10     60       3    0     0
 *       month 3    1     U    5    10     80       8    0     0
 * KU106 (fl 50)
 *       month 0    1    40    9     5      4       U    U     U
 *       month 1    1    40    9     5     10       5    U     U
 * KU853 (MK02): nothing, and no file.
 */
#define P0_TEXT "2023-09"
#define U NAN
static const struct {
	const char *area;
	int month;
	double v[N_IDS];
} figures[] = {
	{ "KU091", 0, { 1, 10, 3, 20, 100, 10, 0, 0 } },
	{ "KU091", 1, { 1, 10, 3, 20, 120, 30, 0, 0 } },
	{ "KU091", 3, { 1, 10, 3, 20, 200, 50, 0, 0 } },
	{ "KU049", 0, { 0, 20, 7, 30, 50, 20, 0, 0 } },
	{ "KU049", 1, { 1, 20, 7, 30, 40, 4, 0, 0 } },
	{ "KU049", 3, { 1, 20, 7, 30, 60, 6, 0, 0 } },
	{ "KU092", 0, { U, U, 5, 10, 30, 3, 0, 0 } },
	{ "KU092", 1, { 1, U, 5, 10, 60, 3, 0, 0 } },
	{ "KU092", 3, { 1, U, 5, 10, 80, 8, 0, 0 } },
	{ "KU106", 0, { 1, 40, 9, 5, 4, U, U, U } },
	{ "KU106", 1, { 1, 40, 9, 5, 10, 5, U, U } },
};
#undef U

static int p0; /* the period of month 0 */

/* Records area's figures of period into db, as ingest does. */
static void
record(struct store_db *db, const char *area, int period, const double *v)
{
	struct db_outcome o;
	struct db_change changes[N_IDS];
	size_t i, n = 0;

	for (i = 0; i < N_IDS; i++) {
		if (isnan(v[i]))
			continue;
		changes[n].measure = ids[i];
		changes[n].value = v[i];
		changes[n].is_revision = false;
		n++;
	}
	memset(&o, 0, sizeof(o));
	o.area = area;
	o.time = period_end(period) + 86400;
	o.source = "import";
	o.period = period;
	o.n_accepted = n;
	o.changes = changes;
	o.n_changes = n;
	if (store_db_record(db, &o) < 0) {
		fprintf(stderr, "record %s failed\n", area);
		exit(1);
	}
}

/* An app over a fresh folder: the figures above in SQLite and in memory,
 * and each municipality's RRD file rebuilt from them (KU853 has none). */
static struct app *
test_app(bool is_public)
{
	struct app *app = calloc(1, sizeof(*app));
	struct ingest_ctx ctx;
	struct error err;
	char path[128];
	size_t i;

	memset(&err, 0, sizeof(err));
	period_parse(P0_TEXT, &p0);
	pthread_mutex_init(&app->lock, NULL);
	app->cat = small_catalog();
	config_init(&app->cfg);
	app->cfg.is_public = is_public;
	snprintf(path, sizeof(path), "%s/kuntamon.db", fresh_dir());
	app->db = store_db_open(path, &err);
	if (app->db == NULL) {
		fprintf(stderr, "db: %s\n", err.msg);
		exit(1);
	}
	for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
		record(app->db, figures[i].area, p0 + figures[i].month,
		       figures[i].v);
	app->rrd = store_rrd_new(root, NULL, &err);
	if (app->rrd == NULL ||
	    ingest_figures_init(&app->figures, app->cat, app->db, &err) < 0) {
		fprintf(stderr, "stores: %s\n", err.msg);
		exit(1);
	}
	ctx.cat = app->cat;
	ctx.rrd = app->rrd;
	ctx.db = app->db;
	ctx.fig = &app->figures;
	for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
		int a = catalog_find_area(app->cat, figures[i].area);

		if (ingest_rebuild(&ctx, a, &err) < 0) {
			fprintf(stderr, "rebuild %s: %s\n", figures[i].area,
			        err.msg);
			exit(1);
		}
	}
	return app;
}

static void
free_app(struct app *app)
{
	ingest_figures_reset(&app->figures);
	store_rrd_free(app->rrd);
	store_db_close(app->db);
	catalog_unref(app->cat);
	pthread_mutex_destroy(&app->lock);
	free(app);
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

/* KU091's file lends the time base; its own figures are not drawn. */
static const struct rrd_graph_def base_def = { "base", "KU091", "contacts" };

static void
add_extra(struct chart_plan *plan, const char *const *extra, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		plan->args = realloc(plan->args,
		                     (plan->n_args + 1) * sizeof(*plan->args));
		plan->args[plan->n_args++] = strdup(extra[i]);
	}
}

/* Renders plan (which it resets) and reads the drawn value back: its
 * minimum, average and maximum over the chart's range (NAN where nothing
 * is drawn). */
static int
drawn_value(struct store_rrd *st, struct chart_plan *plan, double out[3])
{
	static const char *const extra[] = {
		"VDEF:vmin=value,MINIMUM", "VDEF:vavg=value,AVERAGE",
		"VDEF:vmax=value,MAXIMUM", "PRINT:vmin:%.12lf",
		"PRINT:vavg:%.12lf",       "PRINT:vmax:%.12lf",
	};
	struct rrd_image img;
	struct error err;
	size_t i;
	int rc;

	memset(&err, 0, sizeof(err));
	add_extra(plan, extra, sizeof(extra) / sizeof(extra[0]));
	rc = store_rrd_graph(st, plan->defs, plan->n_defs,
	                     (const char *const *)plan->args, plan->n_args,
	                     &img, &err);
	chart_plan_reset(plan);
	if (rc != 0) {
		fprintf(stderr, "graph: %d %s\n", rc, err.msg);
		return -1;
	}
	if (img.n_prints != 3) {
		rrd_image_reset(&img);
		return -1;
	}
	for (i = 0; i < 3; i++) {
		out[i] = strtod(img.prints[i], NULL);
		if (strstr(img.prints[i], "nan") != NULL)
			out[i] = NAN;
	}
	rrd_image_reset(&img);
	return 0;
}

/* The value drawn over [from, to) of a plan of the months given: NAN
 * if nothing, -999 on error, -998 if not constant. */
static double
drawn_between(struct store_rrd *st, const struct catalog *cat, const char *area,
              const char *ind, time_t from, time_t to, const time_t *starts,
              const double *values, size_t n, time_t end)
{
	struct chart_spec s = spec_of(cat, area, ind, from, to);
	struct chart_plan plan;
	double v[3];

	chart_plan_build(cat, &s, &base_def, starts, values, n, end, false,
	                 &plan);
	if (drawn_value(st, &plan, v) < 0)
		return -999;
	if (!(isnan(v[0]) && isnan(v[2])) &&
	    !(fabs(v[0] - v[2]) < 1e-9 && fabs(v[1] - v[0]) < 1e-9)) {
		fprintf(stderr, "%s %s: not constant: %g %g %g\n", area, ind,
		        v[0], v[1], v[2]);
		return -998;
	}
	return v[1];
}

/* The value the chart of area's ind draws over month m (two days in from
 * each edge: where a month ends is test_step's business), planned as the
 * handler plans it: the series module's monthly values for this reader.
 * *out_withheld: whether the plan has the legend's note. */
static double
month_value(struct app *app, const char *area, const char *ind, int m,
            bool is_unsuppressed, bool *out_withheld)
{
	struct series_params sp = { area, ind, NULL, NULL, "month" };
	struct series_spec ss;
	struct series series;
	struct chart_spec s;
	struct chart_plan plan;
	const struct catalog *cat;
	const struct matrix *mx;
	struct error err;
	char text[2][16];
	double v[3];

	memset(&err, 0, sizeof(err));
	period_format(p0, text[0], sizeof(text[0]));
	period_format(p0 + 3, text[1], sizeof(text[1]));
	sp.start = text[0];
	sp.end = text[1];
	mx = ingest_read(&app->figures, &cat);
	if (series_resolve(cat, &sp, clock_now(), &ss, &err) != SERIES_OK) {
		ingest_done(&app->figures);
		fprintf(stderr, "series: %s\n", err.msg);
		return -997;
	}
	series_compute(cat, mx, &ss, is_unsuppressed, &series);
	ingest_done(&app->figures);
	s = spec_of(app->cat, area, ind, period_start(p0 + m) + 2 * 86400,
	            period_end(p0 + m) - 2 * 86400);
	chart_plan_build(app->cat, &s, &base_def, series.times, series.values,
	                 series.n_points, series.end, series.n_withheld > 0,
	                 &plan);
	if (out_withheld != NULL)
		*out_withheld = plan.has_note;
	series_reset(&series);
	if (drawn_value(app->rrd, &plan, v) < 0)
		return -999;
	if (!(isnan(v[0]) && isnan(v[2])) &&
	    !(fabs(v[0] - v[2]) < 1e-9 && fabs(v[1] - v[0]) < 1e-9))
		return -998;
	return v[1];
}

#define NEAR(a, b) CHECK_NEAR(a, b, 1e-6)

static const char *
arg_after(const struct chart_plan *p, const char *opt)
{
	size_t i;

	for (i = 0; i + 1 < p->n_args; i++)
		if (strcmp(p->args[i], opt) == 0)
			return p->args[i + 1];
	return NULL;
}

static bool
has_arg(const struct chart_plan *p, const char *prefix)
{
	size_t i;

	for (i = 0; i < p->n_args; i++)
		if (strncmp(p->args[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/* --- the plan --- */

/* The months' values drawn as a step function: each month's value across
 * the whole month, its last day too, an unknown (or withheld) month not
 * drawn, nothing before the first month nor after the end; the base
 * file's own data never shows. A graph's point at TIME t stands for the
 * step that ends at t (as the file's daily samples do): the day before
 * starts[i + 1] is month i's. */
static void
test_step(void)
{
	struct app *app = test_app(true);
	const struct catalog *cat = app->cat;
	time_t starts[4], end;
	const double values[4] = { 25, NAN, 50, 75 };
	int i;

	for (i = 0; i < 4; i++)
		starts[i] = period_start(p0 + i);
	end = period_end(p0 + 3);
	for (i = 0; i < 4; i++) {
		time_t to = i < 3 ? starts[i + 1] : end;
		double v = drawn_between(app->rrd, cat, "MK01", "remote_share",
		                         starts[i] + 86400, to - 86400, starts,
		                         values, 4, end);

		if (isnan(values[i]))
			CHECK(isnan(v));
		else
			NEAR(v, values[i]);
	}
	/* across months 2 and 3: 50 then 75 */
	{
		struct chart_spec s = spec_of(cat, "MK01", "remote_share",
		                              starts[2] + 86400, end - 86400);
		struct chart_plan plan;
		double v[3];

		chart_plan_build(cat, &s, &base_def, starts, values, 4, end,
		                 false, &plan);
		CHECK(drawn_value(app->rrd, &plan, v) == 0);
		NEAR(v[0], 50);
		NEAR(v[2], 75);
		CHECK(v[1] > 50 && v[1] < 75);
	}
	/* before the first month and after the end: not drawn */
	CHECK(isnan(drawn_between(app->rrd, cat, "MK01", "remote_share",
	                          starts[0] - 20 * 86400, starts[0] - 86400,
	                          starts, values, 4, end)));
	CHECK(isnan(drawn_between(app->rrd, cat, "MK01", "remote_share",
	                          end + 86400, end + 20 * 86400, starts, values,
	                          4, end)));
	/* no months at all: nothing drawn, still an image */
	CHECK(isnan(drawn_between(app->rrd, cat, "MK01", "remote_share",
	                          starts[0], end, starts, values, 0, end)));
	/* a share of municipalities: the whole scale in view */
	{
		struct chart_spec s =
		    spec_of(cat, "MK01", "reporting_rate", starts[0], end);
		struct chart_plan plan;

		chart_plan_build(cat, &s, &base_def, starts, values, 4, end,
		                 false, &plan);
		CHECK_STR(arg_after(&plan, "--upper-limit"), "100");
		chart_plan_reset(&plan);
		s = spec_of(cat, "MK01", "remote_share", starts[0], end);
		chart_plan_build(cat, &s, &base_def, starts, values, 4, end,
		                 false, &plan);
		CHECK(arg_after(&plan, "--upper-limit") == NULL);
		CHECK(plan.n_defs == 1);
		CHECK_STR(plan.defs[0].area, "KU091");
		chart_plan_reset(&plan);
	}
	free_app(app);
}

/* has_withheld: a note in the legend, in the chart's language, and the
 * chart still renders (librrd's COMMENT escapes). */
static void
test_withheld_note(void)
{
	static const struct {
		enum lang lang;
		const char *note;
	} cases[] = {
		{ LANG_FI,
		  "COMMENT:Pieniä lukuja ja niitä paljastavia ei näytetä" },
		{ LANG_SV, "COMMENT:Små tal och tal som röjer dem visas inte" },
		{ LANG_EN,
		  "COMMENT:Small counts and figures revealing them not "
		  "shown (privacy)" },
	};
	struct app *app = test_app(true);
	const struct catalog *cat = app->cat;
	time_t starts[2] = { period_start(p0), period_start(p0 + 1) };
	const double values[2] = { NAN, 8 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chart_spec s = spec_of(cat, "KU092", "contacts_remote",
		                              starts[0], period_end(p0 + 1));
		struct chart_plan plan;
		struct rrd_image img;
		struct error err;

		memset(&err, 0, sizeof(err));
		s.lang = cases[i].lang;
		s.format = CHART_SVG;
		chart_plan_build(cat, &s, &base_def, starts, values, 2,
		                 period_end(p0 + 1), true, &plan);
		CHECK(plan.has_note);
		CHECK(has_arg(&plan, cases[i].note));
		CHECK(store_rrd_graph(app->rrd, plan.defs, plan.n_defs,
		                      (const char *const *)plan.args,
		                      plan.n_args, &img, &err) == 0);
		chart_plan_reset(&plan);
		CHECK(img.len > 0 && memmem(img.data, img.len, "<svg", 4));
		rrd_image_reset(&img);
		/* without: no note */
		chart_plan_build(cat, &s, &base_def, starts, values, 2,
		                 period_end(p0 + 1), false, &plan);
		CHECK(!plan.has_note);
		CHECK(!has_arg(&plan, "COMMENT:"));
		chart_plan_reset(&plan);
	}
	free_app(app);
}

/* What the handler draws: the series module's monthly values, the figure
 * function's (ratios of sums over those that reported both sides), worked
 * out here by hand from the table above. */
static void
test_series_drawn(void)
{
	struct app *app = test_app(true);
	bool withheld;

	/* month 0: KU106 has no remote contacts: (10 + 20 + 3) / (100 + 50
	 * + 30); a mean of ratios would be 20. Withheld from the public:
	 * its 180 would be MK01's contacts (184) minus KU106's 4 (figure.h) */
	CHECK(isnan(
	    month_value(app, "MK01", "remote_share", 0, false, &withheld)));
	CHECK(withheld);
	NEAR(month_value(app, "MK01", "remote_share", 0, true, &withheld),
	     33.0 / 180 * 100);
	CHECK(!withheld);
	NEAR(month_value(app, "MK01", "remote_share", 1, false, NULL),
	     (30.0 + 4 + 3 + 5) / (120 + 40 + 60 + 10) * 100);
	/* nobody reported month 2: not drawn, not the month before */
	CHECK(isnan(month_value(app, "MK01", "remote_share", 2, false, NULL)));
	NEAR(month_value(app, "MK01", "remote_share", 3, false, NULL),
	     (50.0 + 6 + 8) / (200 + 60 + 80) * 100);
	/* KU092's gp_open unknown in month 0: (100 + 0 + 50) / (100 + 300 +
	 * 50) */
	NEAR(month_value(app, "MK01", "gp_coverage", 0, false, NULL),
	     150.0 / 450 * 100);
	NEAR(month_value(app, "MK01", "contacts", 0, false, NULL), 184);
	NEAR(month_value(app, "SSS", "contacts", 1, false, NULL), 230);
	/* a group's sum is not one municipality's small count */
	NEAR(month_value(app, "MK01", "contacts", 0, true, NULL), 184);
	/* a municipality's count below 5 is withheld from the public, with
	 * the note, and drawn for those who may see it */
	CHECK(isnan(
	    month_value(app, "KU092", "contacts_remote", 0, false, &withheld)));
	CHECK(withheld);
	NEAR(month_value(app, "KU092", "contacts_remote", 0, true, &withheld),
	     3);
	CHECK(!withheld);
	NEAR(month_value(app, "KU092", "contacts_remote", 3, false, NULL), 8);
	CHECK(isnan(month_value(app, "KU092", "remote_share", 1, false, NULL)));
	NEAR(month_value(app, "KU092", "remote_share", 1, true, NULL), 5);
	CHECK(isnan(month_value(app, "KU106", "contacts", 0, false, NULL)));
	NEAR(month_value(app, "KU106", "contacts", 1, false, NULL), 10);
	/* not a count: shown */
	NEAR(month_value(app, "KU106", "gp_coverage", 0, false, NULL), 100);
	/* MK02 has no figures: nothing drawn */
	CHECK(isnan(month_value(app, "MK02", "contacts", 0, true, NULL)));
	free_app(app);
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
	time_t t0 = period_start(600 * 12), t1 = t0 + 48 * 3600;
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chart_spec s =
		    spec_of(cat, cases[i].area, cases[i].ind, t0, t1);
		struct chart_plan plan;
		bool has_tag_off = false;

		s.lang = cases[i].lang;
		s.width = 800;
		chart_plan_build(cat, &s, &base_def, NULL, NULL, 0, t1, false,
		                 &plan);
		CHECK_STR(arg_after(&plan, "--title"), cases[i].title);
		CHECK_STR(arg_after(&plan, "--vertical-label"), cases[i].unit);
		CHECK_STR(arg_after(&plan, "--imgformat"), "PNG");
		for (j = 0; j < plan.n_args; j++)
			has_tag_off |=
			    strcmp(plan.args[j], "--disable-rrdtool-tag") == 0;
		CHECK(has_tag_off);
		chart_plan_reset(&plan);
		/* the frame alone has the same title */
		chart_plan_frame(cat, &s, &plan);
		CHECK_STR(arg_after(&plan, "--title"), cases[i].title);
		CHECK(plan.n_defs == 0);
		chart_plan_reset(&plan);
	}
	/* too long for the width: a smaller font, then cut at a space */
	{
		struct chart_spec s =
		    spec_of(cat, "MK02", "gp_coverage", t0, t1);
		struct chart_plan plan;

		s.lang = LANG_SV;
		s.width = 200;
		chart_plan_build(cat, &s, &base_def, NULL, NULL, 0, t1, false,
		                 &plan);
		CHECK_STR(arg_after(&plan, "--title"),
		          "Egentliga Finland — Vägledn…");
		for (j = 0; j + 1 < plan.n_args; j++)
			if (strncmp(plan.args[j + 1], "TITLE:", 6) == 0)
				CHECK_STR(plan.args[j + 1],
				          "TITLE:8:DejaVu Sans Bold");
		chart_plan_reset(&plan);
		s.width = 400; /* fits at 9 points */
		chart_plan_build(cat, &s, &base_def, NULL, NULL, 0, t1, false,
		                 &plan);
		CHECK_STR(arg_after(&plan, "--title"),
		          "Egentliga Finland — Vägledningspunkternas täckning");
		chart_plan_reset(&plan);
	}
	catalog_unref(cat);
}

/* Time-axis labels by the range and the width, in the chart's language:
 * as many as fit, and no hours alone on a range of days. */
static void
test_xgrid(void)
{
	static const struct {
		time_t range_s;
		int width;
		enum lang lang;
		const char *grid;
	} cases[] = {
		{ 6 * 3600, 800, LANG_FI, "MINUTE:15:HOUR:1:HOUR:1:0:%H:%M" },
		{ 48 * 3600, 800, LANG_EN, "HOUR:6:DAY:1:DAY:1:0:%-d %b" },
		{ 48 * 3600, 800, LANG_FI, "HOUR:6:DAY:1:DAY:1:0:%-d.%-m." },
		{ 122 * 86400, 800, LANG_SV, "DAY:1:WEEK:1:WEEK:2:0:%-d/%-m" },
		{ 366 * 86400, 800, LANG_FI,
		  "MONTH:1:MONTH:1:MONTH:2:0:%-m/%Y" },
		{ 366 * 86400, 200, LANG_FI,
		  "MONTH:1:MONTH:6:MONTH:6:0:%-m/%Y" },
		{ 20 * 366 * 86400, 800, LANG_EN,
		  "MONTH:6:YEAR:1:YEAR:2:0:%Y" },
	};
	struct catalog *cat = small_catalog();
	time_t t0 = period_start(2023 * 12);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chart_spec s =
		    spec_of(cat, "MK01", "contacts", t0, t0 + cases[i].range_s);
		struct chart_plan plan;

		s.width = cases[i].width;
		s.lang = cases[i].lang;
		chart_plan_build(cat, &s, &base_def, NULL, NULL, 0, s.end,
		                 false, &plan);
		if (arg_after(&plan, "--x-grid") == NULL ||
		    strcmp(arg_after(&plan, "--x-grid"), cases[i].grid) != 0) {
			fprintf(stderr, "case %zu: %s\n", i,
			        arg_after(&plan, "--x-grid"));
			CHECK(0);
		}
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
	struct app *app = test_app(true);
	time_t starts[2] = { period_start(p0), period_start(p0 + 1) };
	const double values[2] = { 20, 30 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct chart_spec s = spec_of(app->cat, "MK01", "remote_share",
		                              starts[0], period_end(p0 + 1));
		struct chart_plan plan;
		struct rrd_image img;
		struct error err;

		memset(&err, 0, sizeof(err));
		s.width = sizes[i][0];
		s.height = sizes[i][1];
		chart_plan_build(app->cat, &s, &base_def, starts, values, 2,
		                 period_end(p0 + 1), false, &plan);
		CHECK(store_rrd_graph(app->rrd, plan.defs, plan.n_defs,
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
	free_app(app);
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

#define RANGE "start=2023-09&end=2023-12"

static void
test_handler_images(void)
{
	struct app *app = test_app(true);
	struct call c;

	/* drawn at the next of the sizes: 720x300 */
	call_chart(&c, app, "MK01", "remote_share", false,
	           RANGE "&width=640&height=240", NULL);
	CHECK(c.resp.status == 200);
	CHECK_STR(c.resp.content_type, "image/png");
	CHECK(c.resp.body_len > 24 &&
	      memcmp(c.resp.body, "\x89PNG\r\n\x1a\n", 8) == 0 &&
	      be32((unsigned char *)c.resp.body + 16) == 720 &&
	      be32((unsigned char *)c.resp.body + 20) == 300);
	/* Cache-Control is the server's (it knows who asks); the validator
	 * is the chart's */
	CHECK(header_of(&c.resp, "Cache-Control") == NULL);
	CHECK(header_of(&c.resp, "ETag") != NULL &&
	      header_of(&c.resp, "ETag")[0] == '"');
	CHECK_STR(header_of(&c.resp, "Vary"), "Accept-Language");
	done(&c);

	/* SVG: the size, and the title as text in the language asked */
	call_chart(&c, app, "MK02", "gp_coverage", true,
	           RANGE "&width=400&height=150&lang=sv", "en");
	CHECK(c.resp.status == 200);
	CHECK_STR(c.resp.content_type, "image/svg+xml");
	CHECK(body_has(&c.resp, "<svg"));
	/* pixels, as the PNG: librrd's "500pt" would show a third larger */
	CHECK(body_has(&c.resp, "width=\"400\" height=\"150\" "
	                        "viewBox=\"0 0 400 150\""));
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
}

/* reporting_rate through the handler: the series module's share of
 * municipalities that reported each month, drawn on a municipality's
 * file; an area none of whose municipalities has a file gets the frame. */
static void
test_handler_reporting(void)
{
	struct app *app = test_app(true);
	struct call c;

	call_chart(&c, app, "MK01", "reporting_rate", false,
	           "start=2023-09&end=2024-01&width=300&height=150", "en");
	CHECK(c.resp.status == 200);
	CHECK(c.resp.body_len > 24 &&
	      memcmp(c.resp.body, "\x89PNG\r\n\x1a\n", 8) == 0 &&
	      be32((unsigned char *)c.resp.body + 16) == 400);
	done(&c);
	call_chart(&c, app, "MK02", "reporting_rate", true,
	           "start=2023-09&end=2024-01", "en");
	CHECK(c.resp.status == 200);
	CHECK(body_has(&c.resp, "<title>Southwest Finland — Reporting en"));
	done(&c);
	chart_release();
	free_app(app);
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
	struct app *app = test_app(true);
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
}

/* A second request is served from the cache; new data for the area (a
 * new generation) renders again; each view is cached apart. */
static void
test_handler_cache(void)
{
	struct app *app = test_app(true);
	struct catalog *cat = app->cat;
	struct principal ku091 = { ROLE_MUNICIPALITY, 1, "KU091" };
	struct principal ku092 = { ROLE_MUNICIPALITY, 2, "KU092" };
	struct call c;
	char *first, tag[64];
	size_t first_len;

	call_chart(&c, app, "KU092", "contacts_remote", false, RANGE, "sv");
	CHECK(c.resp.status == 200);
	first = malloc(c.resp.body_len);
	memcpy(first, c.resp.body, c.resp.body_len);
	first_len = c.resp.body_len;
	CHECK(header_of(&c.resp, "ETag") != NULL);
	snprintf(tag, sizeof(tag), "%s", header_of(&c.resp, "ETag"));
	done(&c);
	CHECK(app->stats.cache_misses == 1 && app->stats.cache_hits == 0);
	call_chart(&c, app, "KU092", "contacts_remote", false, RANGE, "sv");
	CHECK(c.resp.status == 200);
	CHECK(app->stats.cache_misses == 1 && app->stats.cache_hits == 1);
	CHECK(c.resp.body_len == first_len &&
	      memcmp(c.resp.body, first, first_len) == 0);
	/* the hit has the miss's validator */
	CHECK_STR(header_of(&c.resp, "ETag"), tag);
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
	CHECK(strcmp(header_of(&c.resp, "ETag"), tag) != 0);
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
	CHECK_STR(header_of(&c.resp, "ETag"), tag);
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
	CHECK(strcmp(header_of(&c.resp, "ETag"), tag) != 0);
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
	struct app *app = test_app(true);
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
}

/* Sizes snap up to a few, clamped to the largest; ranges to whole
 * months. */
static void
test_normalise(void)
{
	static const struct {
		int w, h, want_w, want_h;
	} sizes[] = {
		{ 200, 100, 400, 150 },     { 400, 150, 400, 150 },
		{ 401, 151, 720, 300 },     { 640, 240, 720, 300 },
		{ 720, 300, 720, 300 },     { 800, 300, 800, 300 },
		{ 801, 301, 1200, 600 },    { 1999, 1199, 2000, 1200 },
		{ 2000, 1200, 2000, 1200 }, { 5000, 5000, 2000, 1200 },
	};
	struct chart_spec s;
	int p = period_of((time_t)1700000000); /* 2023-11 */
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.width = sizes[i].w;
		s.height = sizes[i].h;
		s.start = period_start(p);
		s.end = period_end(p);
		chart_normalise(&s);
		CHECK(s.width == sizes[i].want_w);
		CHECK(s.height == sizes[i].want_h);
		if (s.width != sizes[i].want_w || s.height != sizes[i].want_h)
			fprintf(stderr, "  %dx%d: %dx%d\n", sizes[i].w,
			        sizes[i].h, s.width, s.height);
	}
	/* mid-month to mid-month: the two months whole */
	s.start = period_start(p) + 86400 * 10 + 7;
	s.end = period_start(p + 1) + 3600;
	chart_normalise(&s);
	CHECK(s.start == period_start(p));
	CHECK(s.end == period_end(p + 1));
	/* a month's end as end (its first second after) stays */
	s.start = period_start(p);
	s.end = period_end(p + 2);
	chart_normalise(&s);
	CHECK(s.start == period_start(p));
	CHECK(s.end == period_end(p + 2));
	/* ... and so does "YYYY-MM" as end, the month's last second */
	s.end = period_end(p + 2) - 1;
	chart_normalise(&s);
	CHECK(s.end == period_end(p + 2));
}

/* Polls (bounded: 20 s) until n renders wait in the queue. */
static bool
queue_holds(size_t n)
{
	struct timespec pause = { 0, 1000000 };
	int i;

	for (i = 0; i < 20000; i++) {
		if (gate_queue_waiting(chart_render_queue()) == n)
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000 +
	       (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

struct asker {
	struct app *app;
	char query[64];
	int status;
};

static void *
ask(void *arg)
{
	struct asker *a = arg;
	struct call c;

	call_chart(&c, a->app, "MK01", "contacts", false, a->query, "en");
	a->status = c.resp.status;
	done(&c);
	return NULL;
}

/* With a render going on (the test holds the queue's turn) and the queue
 * full of uncached charts: another uncached chart is refused at once with
 * 503 and Retry-After; a cached chart is served at once; once the render
 * ends, the waiting ones are rendered in turn. */
static void
test_handler_queue_full(void)
{
	struct app *app = test_app(true);
	struct gate_queue *q = chart_render_queue();
	struct asker a[CHART_QUEUE_MAX];
	pthread_t t[CHART_QUEUE_MAX];
	struct timespec t0, deadline;
	struct call c;
	size_t i;

	call_chart(&c, app, "MK01", "contacts", true, RANGE, "fi");
	CHECK(c.resp.status == 200);
	done(&c);
	gate_deadline(1000, &deadline);
	CHECK(gate_queue_enter(q, &deadline) == GATE_TURN);
	for (i = 0; i < CHART_QUEUE_MAX; i++) {
		a[i].app = app;
		snprintf(a[i].query, sizeof(a[i].query),
		         "start=2022-%02zu&end=2023-12", i + 1);
		pthread_create(&t[i], NULL, ask, &a[i]);
	}
	CHECK(queue_holds(CHART_QUEUE_MAX));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	call_chart(&c, app, "MK01", "contacts", false, "start=2021-01", "en");
	CHECK(c.resp.status == 503);
	CHECK(header_of(&c.resp, "Retry-After") != NULL &&
	      atoi(header_of(&c.resp, "Retry-After")) >= 1);
	CHECK(body_has(&c.resp, "\"error\""));
	CHECK(ms_since(&t0) < 1000);
	done(&c);
	/* the cached one: at once */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	call_chart(&c, app, "MK01", "contacts", true, RANGE, "fi");
	CHECK(c.resp.status == 200);
	CHECK(body_has(&c.resp, "<svg"));
	CHECK(ms_since(&t0) < 1000);
	done(&c);
	gate_queue_leave(q);
	for (i = 0; i < CHART_QUEUE_MAX; i++) {
		pthread_join(t[i], NULL);
		/* eight renders of tens of ms: all within the deadline */
		CHECK(a[i].status == 200);
	}
	chart_release();
	free_app(app);
}

/* A render whose turn does not come within CHART_WAIT_MS is refused with
 * 503 and Retry-After, and so is one waiting for the same chart. */
static void
test_handler_queue_deadline(void)
{
	struct app *app = test_app(true);
	struct gate_queue *q = chart_render_queue();
	struct asker a = { app, "start=2020-01", 0 };
	struct timespec t0, deadline;
	pthread_t t;
	struct call c;
	long ms;

	gate_deadline(1000, &deadline);
	CHECK(gate_queue_enter(q, &deadline) == GATE_TURN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&t, NULL, ask, &a);
	CHECK(queue_holds(1));
	/* the same chart: waits for that render, within its own deadline */
	call_chart(&c, app, "MK01", "contacts", false, "start=2020-01", "en");
	CHECK(c.resp.status == 503);
	CHECK(header_of(&c.resp, "Retry-After") != NULL);
	done(&c);
	pthread_join(t, NULL);
	ms = ms_since(&t0);
	CHECK(a.status == 503);
	CHECK(ms >= CHART_WAIT_MS - 50 && ms < CHART_WAIT_MS + 3000);
	gate_queue_leave(q);
	/* free again: rendered */
	call_chart(&c, app, "MK01", "contacts", false, "start=2020-01", "en");
	CHECK(c.resp.status == 200);
	done(&c);
	chart_release();
	free_app(app);
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
	RUN(test_xgrid);
	RUN(test_step);
	RUN(test_withheld_note);
	RUN(test_series_drawn);
	RUN(test_png_size);
	RUN(test_handler_images);
	RUN(test_handler_reporting);
	RUN(test_handler_errors);
	RUN(test_handler_cache);
	RUN(test_handler_single_flight);
	RUN(test_normalise);
	RUN(test_handler_queue_full);
	RUN(test_handler_queue_deadline);
	RUN(test_init);
	remove_root();
	return check_done();
}
