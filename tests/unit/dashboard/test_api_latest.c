/*
 * test_api_latest.c: GET /api/v1/latest, GET /api/v1/revisions and GET
 * /api/v1/health, handlers called directly with a struct request (no
 * socket), over a small catalog and the figures in a real SQLite database
 * in a temporary folder, loaded into memory as the daemon does
 * (ingest_figures_init). No RRD file is read: reads come from the figures.
 *
 * The fixture, relative to the expected period E (figures below, in
 * fig_* order: gp_open, contacts, contacts_remote, gp_languages,
 * staff_fte, outreach_events):
 *   KU091 Helsinki  (MK01, endpoint)  E-1 polled (contacts 800, revised to
 *                                     900 by submission), E polled, then
 *                                     a late report of E-2 submitted
 *   KU049 Espoo     (MK01, endpoint)  E-1 polled, then failed twice
 *   KU092 Vantaa    (MK01)            never reported
 *   KU853 Turku     (MK02)            E-3 by submission: late
 *   KU478 Mariehamn (MK21, endpoint)  E-1 polled (contacts 8), E polled
 *                                     (contacts 3: withheld from the public)
 *   KU035 Brändö    (MK21)            never reported
 * So MK01's latest period is E-1 (two of three; E only one), MK21's is E
 * (one of two), the country's E-1 (three of six; E only two).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "check.h"
#include "clock.h"
#include "ingest.h"
#include "lang.h"
#include "reporting.h"
#include "routes.h"
#include "store_db.h"
#include "timespec.h"
#include "fixture.h"

static const char regions_csv[] = "code,name_fi,name_sv,name_en\n"
                                  "01,Uusimaa,Nyland,Uusimaa\n"
                                  "02,Varsinais-Suomi,Egentliga Finland,"
                                  "Southwest Finland\n"
                                  "21,Ahvenanmaa,Åland,Åland\n";
static const char municipalities_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,600000,100000\n"
    "049,Espoo,Esbo,01,Uusimaa,Nyland,300000,60000\n"
    "092,Vantaa,Vanda,01,Uusimaa,Nyland,200000,50000\n"
    "853,Turku,Åbo,02,Varsinais-Suomi,Egentliga Finland,200000,30000\n"
    "478,Maarianhamina,Mariehamn,21,Ahvenanmaa,Åland,11900,1650\n"
    "035,Brändö,Brändö,21,Ahvenanmaa,Åland,457,30\n";
static const char measures_json[] =
    "{\"measures\": [\n"
    " {\"id\": \"gp_open\", \"unit\": \"0/1\", \"min\": 0, \"max\": 1,\n"
    "  \"aggregate\": \"sum\",\n"
    "  \"name\": {\"fi\": \"Auki\", \"sv\": \"Öppen\", \"en\": \"Open\"}},\n"
    " {\"id\": \"contacts\", \"unit\": \"n\", \"min\": 0, \"max\": 1e6,\n"
    "  \"aggregate\": \"sum\", \"is_count\": true,\n"
    "  \"name\": {\"fi\": \"Kontaktit\", \"sv\": \"Kontakter\", \"en\": "
    "\"Contacts\"}},\n"
    " {\"id\": \"contacts_remote\", \"unit\": \"n\", \"min\": 0, \"max\": "
    "1e6,\n"
    "  \"aggregate\": \"sum\", \"is_count\": true,\n"
    "  \"name\": {\"fi\": \"Etä\", \"sv\": \"Distans\", \"en\": \"Remote\"}},\n"
    " {\"id\": \"gp_languages\", \"unit\": \"n\", \"min\": 0, \"max\": 200,\n"
    "  \"aggregate\": \"max\",\n"
    "  \"name\": {\"fi\": \"Kielet\", \"sv\": \"Språk\", \"en\": "
    "\"Languages\"}},\n"
    " {\"id\": \"staff_fte\", \"unit\": \"FTE\", \"min\": 0, \"max\": 1e4,\n"
    "  \"aggregate\": \"mean\",\n"
    "  \"name\": {\"fi\": \"Htv\", \"sv\": \"Årsv\", \"en\": \"FTE\"}},\n"
    " {\"id\": \"outreach_events\", \"unit\": \"n\", \"min\": 0, \"max\": "
    "1e6,\n"
    "  \"aggregate\": \"max\", \"is_count\": true,\n"
    "  \"name\": {\"fi\": \"Jalk\", \"sv\": \"Uppsök\", \"en\": "
    "\"Outreach\"}}],\n"
    " \"indicators\": [\n"
    " {\"id\": \"gp_coverage\",\n"
    "  \"numerator\": \"gp_open*pop_fl\", \"denominator\": \"pop_fl\",\n"
    "  \"scale\": 100, \"unit\": \"%\",\n"
    "  \"name\": {\"fi\": \"Kattavuus\", \"sv\": \"Täckning\", \"en\": "
    "\"Coverage\"}},\n"
    " {\"id\": \"remote_share\",\n"
    "  \"numerator\": \"contacts_remote\", \"denominator\": \"contacts\",\n"
    "  \"scale\": 100, \"unit\": \"%\",\n"
    "  \"name\": {\"fi\": \"Etäosuus\", \"sv\": \"Distansandel\", \"en\": "
    "\"Remote share\"}},\n"
    " {\"id\": \"contacts_per_1000\",\n"
    "  \"numerator\": \"contacts\", \"denominator\": \"pop_fl\",\n"
    "  \"scale\": 1000, \"unit\": \"‰\",\n"
    "  \"name\": {\"fi\": \"Kontaktit\", \"sv\": \"Kontakter\", \"en\": "
    "\"Contacts\"}},\n"
    " {\"id\": \"reporting_rate\",\n"
    "  \"kind\": \"reporting\",\n"
    "  \"scale\": 100, \"unit\": \"%\",\n"
    "  \"name\": {\"fi\": \"Raportointi\", \"sv\": \"Rapportering\", \"en\": "
    "\"Reporting\"}}],\n"
    " \"rules\": [\"contacts_remote <= contacts\"]}\n";
static const char endpoints_csv[] =
    "area,url\n"
    "KU091,https://user:pw@helsinki.example:8443/api?key=SECRET\n"
    "KU049,http://espoo.example/kunta/049\n"
    "KU478,http://127.0.0.1:9/KU478\n";

enum { M_OPEN, M_CONTACTS, M_REMOTE, M_LANGS, M_STAFF, M_OUTREACH, N_M };

static const char *const measure_ids[N_M] = {
	"gp_open",      "contacts",  "contacts_remote",
	"gp_languages", "staff_fte", "outreach_events",
};

/* The figures (NaN: not in the document). */
static const double ku091_e1[N_M] = { 1, 800, 180, 12, 10, 4 };
static const double ku091_e1_rev[N_M] = { NAN, 900, NAN, NAN, NAN, NAN };
static const double ku091_e[N_M] = { 1, 1000, 200, 12, 10, 4 };
static const double ku091_e2_late[N_M] = { 0, 700, 70, 10, 9, 3 };
static const double ku049_e1[N_M] = { 0, 500, 150, 5, 4, 2 };
static const double ku478_e1[N_M] = { 1, 8, 2, 4, 1, 1 };
static const double ku478_e[N_M] = { 1, 3, 1, 3, 1, 1 };
static const double ku853_e3[N_M] = { 1, 300, 30, 8, 3, 3 };

/* foreign-language population (pop_fl) of the catalog */
#define FL_091 100000.0
#define FL_049 60000.0
#define FL_478 1650.0

#define TOKEN_091 7 /* the token KU091 submits with */
#define TOKEN_853 9

static char tmp_dir[64];
static struct app app;
static int expected;  /* the expected period E */
static time_t t_e1;   /* E-1 polled */
static time_t t_e3;   /* KU853's submission */
static time_t t_rev;  /* KU091's revision of E-1 */
static time_t t_e;    /* E polled */
static time_t t_late; /* KU091's late report of E-2 */
static char last_body[256 * 1024];

static struct catalog *
test_catalog(void)
{
	return fixture_catalog(regions_csv, municipalities_csv, measures_json,
	                       endpoints_csv);
}

/* Records a document of period for area into db, as ingest does: source
 * "poll", "submission" or "import", its figures v (NaN: not in the
 * document) as new ones or, if is_revision, replacing those held; v NULL:
 * a document whose every figure was as held (nothing changes). */
static void
record_into(struct store_db *db, const char *area, const char *source,
            long long token_id, int period, time_t t, const double *v,
            bool is_revision, const char *violation)
{
	struct db_outcome o = { 0 };
	struct db_change changes[N_M];
	const char *viol[1] = { violation };
	size_t i, n = 0;

	for (i = 0; i < N_M && v != NULL; i++) {
		if (isnan(v[i]))
			continue;
		changes[n].measure = measure_ids[i];
		changes[n].value = v[i];
		changes[n].is_revision = is_revision;
		n++;
	}
	o.area = area;
	o.time = t;
	o.source = source;
	o.http_status = strcmp(source, "poll") == 0 ? 200 : 0;
	o.latency_ms = 12.5;
	o.period = period;
	o.n_accepted = v != NULL ? n : N_M;
	o.violations = viol;
	o.n_violations = violation != NULL;
	o.token_id = token_id;
	o.changes = changes;
	o.n_changes = n;
	if (store_db_record(db, &o) < 0) {
		fprintf(stderr, "record %s failed\n", area);
		exit(1);
	}
}

static void
record(const char *area, const char *source, long long token_id, int period,
       time_t t, const double *v, bool is_revision, const char *violation)
{
	record_into(app.db, area, source, token_id, period, t, v, is_revision,
	            violation);
}

/* A poll of area that brought no document. */
static void
record_failure(const char *area, time_t t, const char *error)
{
	struct db_outcome o = { 0 };

	o.area = area;
	o.time = t;
	o.source = "poll";
	o.http_status = 503;
	o.latency_ms = 12.5;
	o.period = -1;
	o.error = error;
	if (store_db_record(app.db, &o) < 0) {
		fprintf(stderr, "record %s failed\n", area);
		exit(1);
	}
}

static void
setup(void)
{
	char path[512];
	struct error err = { 0 };
	time_t now = clock_now();

	fixture_tmpdir(tmp_dir, sizeof(tmp_dir), "test_api_latest");
	memset(&app, 0, sizeof(app));
	pthread_mutex_init(&app.lock, NULL);
	app.cat = test_catalog();
	config_init(&app.cfg);
	app.cfg.is_public = true;
	app.started = now;
	snprintf(path, sizeof(path), "%s/kuntamon.db", tmp_dir);
	app.db = store_db_open(path, &err);
	if (app.db == NULL) {
		fprintf(stderr, "store: %s\n", err.msg);
		exit(1);
	}
	expected = reporting_expected_period(now, app.cfg.ontime_days);
	t_e1 = now - 5000;
	t_e3 = now - 4500;
	t_rev = now - 4000;
	t_e = now - 3000;
	t_late = now - 2000;
	record("KU091", "poll", 0, expected - 1, t_e1, ku091_e1, false, NULL);
	record("KU049", "poll", 0, expected - 1, t_e1, ku049_e1, false, NULL);
	record("KU478", "poll", 0, expected - 1, t_e1, ku478_e1, false, NULL);
	record("KU853", "submission", TOKEN_853, expected - 3, t_e3, ku853_e3,
	       false, "contacts_remote <= contacts");
	record("KU091", "submission", TOKEN_091, expected - 1, t_rev,
	       ku091_e1_rev, true, NULL);
	record("KU091", "poll", 0, expected, t_e, ku091_e, false, NULL);
	record("KU478", "poll", 0, expected, t_e, ku478_e, false,
	       "second violation");
	record("KU091", "submission", TOKEN_091, expected - 2, t_late,
	       ku091_e2_late, false, NULL);
	record_failure("KU049", now - 1000, "HTTP 503");
	record_failure("KU049", now - 900, "HTTP 503");
	if (ingest_figures_init(&app.figures, app.cat, app.db, &err) < 0) {
		fprintf(stderr, "figures: %s\n", err.msg);
		exit(1);
	}
}

static void
teardown(void)
{
	ingest_figures_reset(&app.figures);
	store_db_close(app.db);
	catalog_unref(app.cat);
	pthread_mutex_destroy(&app.lock);
	fixture_rmtree(tmp_dir);
}

/* Calls handler with the query string; returns the parsed JSON body (the
 * caller deletes it) or NULL, the status in *out_status. The raw body is
 * kept in last_body. */
static cJSON *
call(route_handler_fn handler, const char *query, const char *accept_lang,
     const struct principal *who, int *out_status)
{
	struct request req;
	struct response resp;
	struct query q = { 0 };
	struct error err = { 0 };
	cJSON *json = NULL;

	memset(&req, 0, sizeof(req));
	if (query_parse(query, strlen(query), &q, &err) < 0) {
		fprintf(stderr, "query %s: %s\n", query, err.msg);
		*out_status = -1;
		return NULL;
	}
	req.app = &app;
	req.method = "GET";
	req.path = "/api/v1/latest";
	req.query = &q;
	req.accept_language = accept_lang;
	req.remote_addr = "127.0.0.1";
	if (who != NULL)
		req.who = *who;
	response_init(&resp);
	handler(&req, &resp);
	*out_status = resp.status;
	snprintf(last_body, sizeof(last_body), "%.*s", (int)resp.body_len,
	         resp.body != NULL ? resp.body : "");
	if (strncmp(resp.content_type, "application/json", 16) != 0)
		fprintf(stderr, "content type %s\n", resp.content_type);
	else
		json = cJSON_ParseWithLength(resp.body, resp.body_len);
	response_reset(&resp);
	query_reset(&q);
	return json;
}

static cJSON *
latest(const char *query, int *out_status)
{
	return call(api_latest_get, query, NULL, NULL, out_status);
}

/* As the ministry reads it: the figures as they are. In this small
 * catalog some municipalities stand alone or in twos in their regions'
 * periods, and the public's figures are withheld there (figure.h). */
static cJSON *
latest_all(const char *query, int *out_status)
{
	static const struct principal ministry = { ROLE_MINISTRY, 1, "" };

	return call(api_latest_get, query, NULL, &ministry, out_status);
}

static cJSON *
row_of(const cJSON *arr, const char *area)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, arr)
	{
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(r, "area");

		if (cJSON_IsString(a) && strcmp(a->valuestring, area) == 0)
			return (cJSON *)r;
	}
	return NULL;
}

static double
num_of(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *
str_of(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
is_null(const cJSON *obj, const char *key)
{
	return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static bool
is_true(const cJSON *obj, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* Whether handler answers query with status and a JSON error whose body
 * holds msg (said on stderr if not). */
static bool
is_error(route_handler_fn handler, const struct principal *who,
         const char *query, int want_status, const char *msg)
{
	int status;
	cJSON *json = call(handler, query, NULL, who, &status);
	bool ok = status == want_status && str_of(json, "error") != NULL &&
	          strstr(last_body, msg) != NULL;

	if (!ok)
		fprintf(stderr, "%s: %d %s\n", query, status, last_body);
	cJSON_Delete(json);
	return ok;
}

static const char *
period_text(int period)
{
	static char text[4][16];
	static int k;

	k = (k + 1) % 4;
	period_format(period, text[k], sizeof(text[k]));
	return text[k];
}

/* --- lang ------------------------------------------------------------ */

static void
test_lang(void)
{
	static const struct {
		const char *param, *header;
		int rc;
		enum lang want;
	} cases[] = {
		{ NULL, NULL, 0, LANG_FI },
		{ "sv", NULL, 0, LANG_SV },
		{ "en", "sv", 0, LANG_EN },
		{ "de", NULL, -1, LANG_FI },
		{ "", NULL, -1, LANG_FI },
		{ "FI", NULL, -1, LANG_FI },
		{ NULL, "sv-FI,sv;q=0.9,en;q=0.8", 0, LANG_SV },
		{ NULL, "de-DE, en;q=0.7, fi;q=0.3", 0, LANG_EN },
		{ NULL, "en;q=0.5, SV;q=0.9", 0, LANG_SV },
		{ NULL, "en, sv", 0, LANG_EN }, /* a tie: the first */
		{ NULL, "sv;q=0, en;q=0.1", 0, LANG_EN },
		{ NULL, "sv;q=0", 0, LANG_FI },
		{ NULL, "de, *", 0, LANG_FI },
		{ NULL, "sv;q=2, en;q=0.2", 0, LANG_EN },
		{ NULL, "sv;q=abc", 0, LANG_FI },
		{ NULL, "svenska, en-GB;q=0.8", 0, LANG_EN },
		{ NULL, "", 0, LANG_FI },
		{ NULL, ",,;,", 0, LANG_FI },
		{ NULL, "  sv  ; q=0.5 ,", 0, LANG_SV },
		{ NULL, "en;q=0.999,sv;q=1.000", 0, LANG_SV },
		{ NULL, "en;q=0.9999", 0, LANG_FI },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error err = { 0 };
		enum lang got = N_LANGS;
		int rc =
		    lang_negotiate(cases[i].param, cases[i].header, &got, &err);

		if (rc != cases[i].rc || (rc == 0 && got != cases[i].want)) {
			fprintf(stderr, "case %zu (%s, %s): rc %d lang %d\n", i,
			        cases[i].param ? cases[i].param : "-",
			        cases[i].header ? cases[i].header : "-", rc,
			        (int)got);
			CHECK(0);
		}
		if (rc < 0)
			CHECK_STR(err.msg,
			          "parameter lang: must be one of fi, sv, en");
	}
	CHECK_STR(lang_code(LANG_SV), "sv");
}

/* Whether the public's row of area in query's answer is withheld. */
static bool
public_withheld(const char *query, const char *area)
{
	int status;
	cJSON *arr = latest(query, &status);
	const cJSON *r = row_of(arr, area);
	bool is_withheld =
	    r != NULL && is_null(r, "value") && is_true(r, "suppressed");

	cJSON_Delete(arr);
	return is_withheld;
}

/* --- latest ---------------------------------------------------------- */

static void
test_latest_municipalities(void)
{
	int status;
	cJSON *arr = latest("indicator=contacts&level=municipality", &status);
	const cJSON *r;
	const char *prev = "";
	int n = 0;

	CHECK(status == 200);
	CHECK(cJSON_IsArray(arr));
	CHECK(cJSON_GetArraySize(arr) == 6);
	cJSON_ArrayForEach(r, arr)
	{
		const char *area = str_of(r, "area");

		/* sorted by area code, every field there */
		CHECK(area != NULL && strcmp(prev, area) < 0);
		prev = area != NULL ? area : "";
		CHECK(str_of(r, "name") != NULL);
		CHECK(str_of(r, "status") != NULL);
		CHECK(str_of(r, "region") != NULL);
		CHECK(cJSON_GetObjectItemCaseSensitive(r, "value") != NULL);
		CHECK(cJSON_GetObjectItemCaseSensitive(r, "period") != NULL);
		CHECK(cJSON_IsBool(
		    cJSON_GetObjectItemCaseSensitive(r, "suppressed")));
		/* v2: on every level */
		CHECK_NEAR(num_of(r, "expected"), 1, 0);
		CHECK(num_of(r, "reporting") == 0 ||
		      num_of(r, "reporting") == 1);
		n++;
	}
	CHECK(n == 6);
	cJSON_Delete(arr);
	arr = latest_all("indicator=contacts&level=municipality", &status);
	r = row_of(arr, "KU091");
	CHECK_NEAR(num_of(r, "value"), ku091_e[M_CONTACTS], 0);
	CHECK_STR(str_of(r, "status"), "ok");
	CHECK_STR(str_of(r, "period"), period_text(expected));
	CHECK_STR(str_of(r, "name"), "Helsinki");
	CHECK_STR(str_of(r, "region"), "MK01");
	CHECK_NEAR(num_of(r, "reporting"), 1, 0);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "suppressed")));
	/* its latest period is E-1, not the expected one */
	r = row_of(arr, "KU049");
	CHECK_NEAR(num_of(r, "value"), ku049_e1[M_CONTACTS], 0);
	CHECK_STR(str_of(r, "period"), period_text(expected - 1));
	CHECK_STR(str_of(r, "status"), "failing");
	r = row_of(arr, "KU092");
	CHECK(is_null(r, "value") && is_null(r, "period"));
	CHECK(!is_true(r, "suppressed"));
	CHECK_STR(str_of(r, "status"), "never");
	CHECK_NEAR(num_of(r, "reporting"), 0, 0);
	CHECK_NEAR(num_of(r, "expected"), 1, 0);
	r = row_of(arr, "KU853");
	CHECK_NEAR(num_of(r, "value"), ku853_e3[M_CONTACTS], 0);
	CHECK_STR(str_of(r, "status"), "late");
	CHECK_STR(str_of(r, "period"), period_text(expected - 3));
	/* a count below 5, to the public: withheld, the period still said */
	cJSON_Delete(arr);
	arr = latest("indicator=contacts&level=municipality", &status);
	r = row_of(arr, "KU478");
	CHECK(is_null(r, "value") && is_true(r, "suppressed"));
	CHECK_STR(str_of(r, "status"), "ok");
	CHECK_STR(str_of(r, "period"), period_text(expected));
	CHECK_NEAR(num_of(r, "reporting"), 1, 0);
	CHECK(strstr(last_body, "\"suppressed\":true") != NULL);
	cJSON_Delete(arr);

	/* region= filters */
	arr = latest("indicator=contacts&level=municipality&region=MK21",
	             &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == 2);
	CHECK(row_of(arr, "KU035") != NULL && row_of(arr, "KU478") != NULL);
	cJSON_Delete(arr);
}

/* A late report (E-2, after E arrived) is stored under its own period: it
 * changes neither the latest period shown nor its figures; a revision
 * (E-1's contacts 800 -> 900) replaces its period's figure. */
static void
test_latest_late_report(void)
{
	static const int measures[] = { M_OPEN, M_CONTACTS, M_LANGS, M_STAFF };
	int status;
	size_t i;
	cJSON *arr;
	const cJSON *r;

	for (i = 0; i < sizeof(measures) / sizeof(measures[0]); i++) {
		char q[96];
		int m = measures[i];

		snprintf(q, sizeof(q),
		         "indicator=%s&level=municipality&region=MK01",
		         measure_ids[m]);
		arr = latest_all(q, &status);
		r = row_of(arr, "KU091");
		CHECK(status == 200);
		CHECK_STR(str_of(r, "period"), period_text(expected));
		CHECK_NEAR(num_of(r, "value"), ku091_e[m], 0);
		CHECK(num_of(r, "value") != ku091_e2_late[m] ||
		      ku091_e[m] == ku091_e2_late[m]);
		cJSON_Delete(arr);
	}
	/* the indicator too: E's 200/1000, not E-2's 70/700 */
	arr = latest_all("indicator=remote_share&level=municipality", &status);
	r = row_of(arr, "KU091");
	CHECK_STR(str_of(r, "period"), period_text(expected));
	CHECK_NEAR(num_of(r, "value"),
	           ku091_e[M_REMOTE] / ku091_e[M_CONTACTS] * 100, 1e-9);
	cJSON_Delete(arr);
	/* gp_open was 0 in the late report: the coverage of E stands */
	arr = latest_all("indicator=gp_coverage&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 100, 1e-9);
	cJSON_Delete(arr);
}

static void
test_latest_indicators(void)
{
	int status;
	cJSON *arr;
	const cJSON *r;

	arr = latest_all("indicator=remote_share&level=municipality", &status);
	CHECK(status == 200);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 20, 1e-9);
	r = row_of(arr, "KU049"); /* of its latest period, E-1 */
	CHECK_NEAR(num_of(r, "value"), 30, 1e-9);
	CHECK_STR(str_of(r, "period"), period_text(expected - 1));
	CHECK_NEAR(num_of(row_of(arr, "KU853"), "value"), 10, 1e-9);
	/* built on a count below 5 */
	CHECK(public_withheld("indicator=remote_share&level=municipality",
	                      "KU478"));
	CHECK(is_null(row_of(arr, "KU092"), "value"));
	cJSON_Delete(arr);

	arr = latest_all("indicator=gp_coverage&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 100, 1e-9);
	CHECK_NEAR(num_of(row_of(arr, "KU049"), "value"), 0, 0);
	CHECK(!is_true(row_of(arr, "KU049"), "suppressed"));
	/* not a count: shown */
	CHECK_NEAR(num_of(row_of(arr, "KU478"), "value"), 100, 1e-9);
	CHECK(!is_true(row_of(arr, "KU478"), "suppressed"));
	CHECK(is_null(row_of(arr, "KU092"), "value"));
	cJSON_Delete(arr);

	arr = latest_all("indicator=contacts_per_1000&level=municipality",
	                 &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"),
	           ku091_e[M_CONTACTS] / FL_091 * 1000, 1e-9);
	CHECK_NEAR(num_of(row_of(arr, "KU049"), "value"),
	           ku049_e1[M_CONTACTS] / FL_049 * 1000, 1e-9);
	CHECK(public_withheld("indicator=contacts_per_1000&level=municipality",
	                      "KU478"));
	cJSON_Delete(arr);

	/* a municipality reported its own latest period, or has none */
	arr =
	    latest_all("indicator=reporting_rate&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 100, 0);
	CHECK_NEAR(num_of(row_of(arr, "KU853"), "value"), 100, 0);
	CHECK_STR(str_of(row_of(arr, "KU853"), "period"),
	          period_text(expected - 3));
	CHECK_NEAR(num_of(row_of(arr, "KU092"), "value"), 0, 0);
	CHECK(is_null(row_of(arr, "KU092"), "period"));
	/* a rate of municipalities is never withheld */
	CHECK_NEAR(num_of(row_of(arr, "KU478"), "value"), 100, 0);
	CHECK(!is_true(row_of(arr, "KU478"), "suppressed"));
	cJSON_Delete(arr);
}

/* A region's period is the latest that at least half of its
 * municipalities reported, and its value that period's ratio of sums
 * over the municipalities that reported it, worked out here by hand. */
static void
test_latest_regions(void)
{
	/* MK01 in E-1: KU091 (revised) and KU049; KU092 never reported */
	const double c091 = ku091_e1_rev[M_CONTACTS];
	const double c049 = ku049_e1[M_CONTACTS];
	const double r091 = ku091_e1[M_REMOTE], r049 = ku049_e1[M_REMOTE];
	int status;
	cJSON *arr;
	const cJSON *r;
	double v;

	arr = latest_all("indicator=contacts&level=region", &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == 3);
	CHECK_STR(str_of(cJSON_GetArrayItem(arr, 0), "area"), "MK01");
	CHECK_STR(str_of(cJSON_GetArrayItem(arr, 2), "area"), "MK21");
	r = row_of(arr, "MK01");
	/* E: only KU091 of three; E-1: two of three */
	CHECK_STR(str_of(r, "period"), period_text(expected - 1));
	CHECK_NEAR(num_of(r, "value"), c091 + c049, 0);
	/* never a mix of periods (E's 1000 + E-1's 500), nor the value the
	 * revision replaced */
	CHECK(num_of(r, "value") != ku091_e[M_CONTACTS] + ku049_e1[M_CONTACTS]);
	CHECK(num_of(r, "value") !=
	      ku091_e1[M_CONTACTS] + ku049_e1[M_CONTACTS]);
	CHECK_STR(str_of(r, "status"), "failing");
	CHECK_NEAR(num_of(r, "reporting"), 2, 0);
	CHECK_NEAR(num_of(r, "expected"), 3, 0);
	CHECK_STR(str_of(r, "name"), "Uusimaa");
	CHECK(str_of(r, "region") == NULL);
	CHECK(!is_true(r, "suppressed"));
	/* one municipality, of one */
	r = row_of(arr, "MK02");
	CHECK_NEAR(num_of(r, "value"), ku853_e3[M_CONTACTS], 0);
	CHECK_STR(str_of(r, "status"), "late");
	CHECK_STR(str_of(r, "period"), period_text(expected - 3));
	CHECK_NEAR(num_of(r, "reporting"), 1, 0);
	CHECK_NEAR(num_of(r, "expected"), 1, 0);
	/* E: one of two is half. Its value stands on KU478 alone, whose
	 * count is below 5: that count in disguise */
	r = row_of(arr, "MK21");
	CHECK_STR(str_of(r, "period"), period_text(expected));
	CHECK(public_withheld("indicator=contacts&level=region", "MK21"));
	CHECK_STR(str_of(r, "status"), "late"); /* KU035 never reported */
	CHECK_NEAR(num_of(r, "reporting"), 1, 0);
	CHECK_NEAR(num_of(r, "expected"), 2, 0);
	cJSON_Delete(arr);

	/* sum(num)/sum(den) over those with both, never a mean of ratios */
	arr = latest_all("indicator=gp_coverage&level=region", &status);
	r = row_of(arr, "MK01");
	CHECK_STR(str_of(r, "period"), period_text(expected - 1));
	CHECK_NEAR(num_of(r, "value"),
	           (ku091_e1[M_OPEN] * FL_091 + ku049_e1[M_OPEN] * FL_049) /
	               (FL_091 + FL_049) * 100,
	           1e-9);
	CHECK_NEAR(num_of(r, "value"), 62.5, 1e-9);
	CHECK_NEAR(num_of(r, "reporting"), 2, 0);
	CHECK_NEAR(num_of(r, "expected"), 3, 0);
	/* not a count: a group of one is shown */
	CHECK_NEAR(num_of(row_of(arr, "MK21"), "value"), 100, 1e-9);
	cJSON_Delete(arr);
	arr = latest_all("indicator=remote_share&level=region", &status);
	r = row_of(arr, "MK01");
	v = (r091 + r049) / (c091 + c049) * 100;
	CHECK_NEAR(num_of(r, "value"), v, 1e-9);
	CHECK(fabs(num_of(r, "value") - (r091 / c091 + r049 / c049) / 2 * 100) >
	      0.5);
	CHECK_STR(str_of(r, "period"), period_text(expected - 1));
	CHECK_NEAR(num_of(r, "reporting"), 2, 0);
	CHECK(public_withheld("indicator=remote_share&level=region", "MK21"));
	cJSON_Delete(arr);
	arr = latest_all("indicator=contacts_per_1000&level=region", &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"),
	           (c091 + c049) / (FL_091 + FL_049) * 1000, 1e-9);
	cJSON_Delete(arr);
	/* aggregate rules: max, mean */
	arr = latest_all("indicator=gp_languages&level=region", &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"), 12, 0);
	CHECK_NEAR(num_of(row_of(arr, "MK21"), "value"), ku478_e[M_LANGS], 0);
	cJSON_Delete(arr);
	arr = latest_all("indicator=staff_fte&level=region", &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"),
	           (ku091_e1[M_STAFF] + ku049_e1[M_STAFF]) / 2, 1e-9);
	cJSON_Delete(arr);
	/* the max of counts below 5 is one municipality's count */
	arr = latest_all("indicator=outreach_events&level=region", &status);
	CHECK(
	    public_withheld("indicator=outreach_events&level=region", "MK01"));
	CHECK(
	    public_withheld("indicator=outreach_events&level=region", "MK02"));
	cJSON_Delete(arr);
	arr = latest_all("indicator=outreach_events&level=country", &status);
	CHECK(
	    public_withheld("indicator=outreach_events&level=country", "SSS"));
	cJSON_Delete(arr);

	arr = latest_all("indicator=reporting_rate&level=region", &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"), 200.0 / 3, 1e-9);
	CHECK_NEAR(num_of(row_of(arr, "MK02"), "value"), 100, 0);
	CHECK_NEAR(num_of(row_of(arr, "MK21"), "value"), 50, 1e-9);
	CHECK_NEAR(num_of(row_of(arr, "MK21"), "reporting"), 1, 0);
	CHECK_NEAR(num_of(row_of(arr, "MK21"), "expected"), 2, 0);
	cJSON_Delete(arr);

	/* the country: E has two of six, E-1 three (KU091, KU049, KU478) */
	arr = latest_all("indicator=contacts&level=country", &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == 1);
	r = row_of(arr, "SSS");
	CHECK_STR(str_of(r, "period"), period_text(expected - 1));
	CHECK_NEAR(num_of(r, "value"), c091 + c049 + ku478_e1[M_CONTACTS], 0);
	CHECK_NEAR(num_of(r, "reporting"), 3, 0);
	CHECK_NEAR(num_of(r, "expected"), 6, 0);
	CHECK_STR(str_of(r, "status"), "failing");
	CHECK(str_of(r, "region") == NULL);
	cJSON_Delete(arr);
	arr = latest_all("indicator=remote_share&level=country", &status);
	r = row_of(arr, "SSS");
	CHECK_NEAR(num_of(r, "value"),
	           (r091 + r049 + ku478_e1[M_REMOTE]) /
	               (c091 + c049 + ku478_e1[M_CONTACTS]) * 100,
	           1e-9);
	cJSON_Delete(arr);
	arr = latest_all("indicator=gp_coverage&level=country", &status);
	CHECK_NEAR(num_of(row_of(arr, "SSS"), "value"),
	           (FL_091 + FL_478) / (FL_091 + FL_049 + FL_478) * 100, 1e-9);
	cJSON_Delete(arr);
	arr = latest_all("indicator=reporting_rate&level=country", &status);
	CHECK_NEAR(num_of(row_of(arr, "SSS"), "value"), 50, 1e-9);
	cJSON_Delete(arr);

	/* level defaults to region */
	arr = latest_all("indicator=contacts", &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == 3);
	cJSON_Delete(arr);
}

/* What the public does not see, the ministry and the municipality's own
 * token do. */
static void
test_latest_access(void)
{
	struct principal ministry = { ROLE_MINISTRY, 1, "" };
	struct principal own = { ROLE_MUNICIPALITY, 2, "KU478" };
	struct principal other = { ROLE_MUNICIPALITY, 3, "KU091" };
	int status;
	cJSON *arr;

	arr = call(api_latest_get, "indicator=contacts&level=municipality",
	           NULL, &ministry, &status);
	CHECK(status == 200);
	CHECK_NEAR(num_of(row_of(arr, "KU478"), "value"), ku478_e[M_CONTACTS],
	           0);
	CHECK(!is_true(row_of(arr, "KU478"), "suppressed"));
	cJSON_Delete(arr);
	arr = call(api_latest_get, "indicator=contacts&level=region", NULL,
	           &ministry, &status);
	CHECK_NEAR(num_of(row_of(arr, "MK21"), "value"), ku478_e[M_CONTACTS],
	           0);
	CHECK(!is_true(row_of(arr, "MK21"), "suppressed"));
	cJSON_Delete(arr);
	arr = call(api_latest_get, "indicator=remote_share&level=region", NULL,
	           &ministry, &status);
	CHECK_NEAR(num_of(row_of(arr, "MK21"), "value"),
	           ku478_e[M_REMOTE] / ku478_e[M_CONTACTS] * 100, 1e-9);
	cJSON_Delete(arr);
	arr = call(api_latest_get, "indicator=outreach_events&level=region",
	           NULL, &ministry, &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"), 4, 0);
	cJSON_Delete(arr);
	/* the municipality's own token */
	arr = call(api_latest_get, "indicator=remote_share&level=municipality",
	           NULL, &own, &status);
	CHECK_NEAR(num_of(row_of(arr, "KU478"), "value"), 100.0 / 3, 1e-9);
	CHECK(!is_true(row_of(arr, "KU478"), "suppressed"));
	cJSON_Delete(arr);
	arr = call(api_latest_get, "indicator=contacts&level=municipality",
	           NULL, &own, &status);
	CHECK_NEAR(num_of(row_of(arr, "KU478"), "value"), ku478_e[M_CONTACTS],
	           0);
	cJSON_Delete(arr);
	/* another municipality's token reads it as the public does */
	arr = call(api_latest_get, "indicator=contacts&level=municipality",
	           NULL, &other, &status);
	CHECK(is_null(row_of(arr, "KU478"), "value"));
	CHECK(is_true(row_of(arr, "KU478"), "suppressed"));
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), ku091_e[M_CONTACTS],
	           0);
	cJSON_Delete(arr);

	/* public = no: reads need a token */
	app.cfg.is_public = false;
	arr = latest("indicator=contacts", &status);
	CHECK(status == 401);
	CHECK(strstr(last_body, "token") != NULL);
	cJSON_Delete(arr);
	arr = call(api_health_get, "", NULL, NULL, &status);
	CHECK(status == 401);
	cJSON_Delete(arr);
	arr = call(api_latest_get, "indicator=contacts", NULL, &ministry,
	           &status);
	CHECK(status == 200);
	cJSON_Delete(arr);
	app.cfg.is_public = true;
}

static void
test_latest_names(void)
{
	int status;
	cJSON *arr;

	arr = latest("indicator=contacts&level=municipality&lang=sv", &status);
	CHECK_STR(str_of(row_of(arr, "KU091"), "name"), "Helsingfors");
	cJSON_Delete(arr);
	arr = call(api_latest_get, "indicator=contacts&level=region",
	           "en-GB,en;q=0.9", NULL, &status);
	CHECK_STR(str_of(row_of(arr, "MK02"), "name"), "Southwest Finland");
	cJSON_Delete(arr);
	arr = call(api_latest_get, "indicator=contacts&level=region&lang=fi",
	           "sv", NULL, &status);
	CHECK_STR(str_of(row_of(arr, "MK21"), "name"), "Ahvenanmaa");
	cJSON_Delete(arr);
}

static void
test_latest_errors(void)
{
	static const struct {
		const char *query;
		int status;
		const char *msg; /* the error names this */
	} cases[] = {
		{ "", 400, "parameter indicator: required" },
		{ "indicator=", 400, "parameter indicator: required" },
		{ "level=region", 400, "parameter indicator" },
		{ "indicator=nope", 404, "unknown indicator \\\"nope\\\"" },
		{ "indicator=contacts&level=county", 400,
		  "parameter level: must be one of region, municipality" },
		{ "indicator=contacts&level=", 400, "parameter level" },
		{ "indicator=contacts&level=region&region=MK01", 400,
		  "parameter region: only with level=municipality" },
		{ "indicator=contacts&region=MK01", 400, "parameter region" },
		{ "indicator=contacts&level=municipality&region=MK99", 404,
		  "unknown region" },
		{ "indicator=contacts&level=municipality&region=KU091", 400,
		  "parameter region: KU091 is not a region" },
		{ "indicator=contacts&level=municipality&region=SSS", 400,
		  "parameter region" },
		{ "indicator=contacts&lang=de", 400, "parameter lang" },
		{ "indicator=..%2F..%2Fetc%2Fpasswd", 404,
		  "unknown indicator" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(is_error(api_latest_get, NULL, cases[i].query,
		               cases[i].status, cases[i].msg));
}

/* --- revisions ------------------------------------------------------- */

/* The route asks for a token (401 without, from the server); the handler
 * for the right one. */
static void
test_revisions_access(void)
{
	struct principal ministry = { ROLE_MINISTRY, 1, "" };
	struct principal own = { ROLE_MUNICIPALITY, TOKEN_091, "KU091" };
	struct principal other = { ROLE_MUNICIPALITY, 3, "KU049" };
	struct principal ku092 = { ROLE_MUNICIPALITY, 4, "KU092" };
	struct route_match m;
	int status;
	cJSON *arr;

	CHECK(routes_match("GET", "/api/v1/revisions", &m) == ROUTE_FOUND);
	CHECK(routes_table[m.index].handler == api_revisions_get);
	CHECK(routes_table[m.index].access == ROUTE_TOKEN);

	arr = call(api_revisions_get, "area=KU091", NULL, &other, &status);
	CHECK(status == 403);
	CHECK(str_of(arr, "error") != NULL);
	CHECK(strstr(last_body, "KU091") != NULL);
	CHECK(strstr(last_body, "900") == NULL);
	cJSON_Delete(arr);
	/* the public, if it ever got this far */
	arr = call(api_revisions_get, "area=KU091", NULL, NULL, &status);
	CHECK(status == 403);
	cJSON_Delete(arr);
	arr = call(api_revisions_get, "area=KU091", NULL, &own, &status);
	CHECK(status == 200 && cJSON_IsArray(arr));
	CHECK(cJSON_GetArraySize(arr) == 19);
	cJSON_Delete(arr);
	arr = call(api_revisions_get, "area=KU091", NULL, &ministry, &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == 19);
	cJSON_Delete(arr);
	/* own token, any municipality of the ministry's */
	arr = call(api_revisions_get, "area=KU853", NULL, &ministry, &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == N_M);
	CHECK_STR(str_of(cJSON_GetArrayItem(arr, 0), "source"), "submission");
	CHECK_NEAR(num_of(cJSON_GetArrayItem(arr, 0), "token"), TOKEN_853, 0);
	cJSON_Delete(arr);
	/* a municipality that never reported: nothing, not an error */
	arr = call(api_revisions_get, "area=KU092", NULL, &ku092, &status);
	CHECK(status == 200 && cJSON_IsArray(arr) &&
	      cJSON_GetArraySize(arr) == 0);
	CHECK(strcmp(last_body, "[]") == 0);
	cJSON_Delete(arr);
}

/* Every value KU091's figures have had, newest first. */
static void
test_revisions_values(void)
{
	struct principal own = { ROLE_MUNICIPALITY, TOKEN_091, "KU091" };
	int status, i;
	cJSON *arr;
	const cJSON *r, *prev = NULL;

	arr = call(api_revisions_get, "area=KU091", NULL, &own, &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == 19);
	cJSON_ArrayForEach(r, arr)
	{
		const cJSON *f;

		/* every field, and nothing else */
		CHECK(str_of(r, "period") != NULL);
		CHECK(str_of(r, "measure") != NULL);
		CHECK(!isnan(num_of(r, "value")));
		CHECK(num_of(r, "received") > 0);
		CHECK(str_of(r, "source") != NULL);
		CHECK(cJSON_GetObjectItemCaseSensitive(r, "token") != NULL);
		CHECK(cJSON_GetObjectItemCaseSensitive(r, "replaced") != NULL);
		i = 0;
		cJSON_ArrayForEach(f, r) i++;
		CHECK(i == 7);
		if (prev != NULL)
			CHECK(num_of(prev, "received") >=
			      num_of(r, "received"));
		prev = r;
	}
	/* the newest: the late report of E-2, current values */
	r = cJSON_GetArrayItem(arr, 0);
	CHECK_STR(str_of(r, "period"), period_text(expected - 2));
	CHECK_NEAR(num_of(r, "received"), (double)t_late, 0);
	CHECK_STR(str_of(r, "source"), "submission");
	CHECK_NEAR(num_of(r, "token"), TOKEN_091, 0);
	CHECK(is_null(r, "replaced"));
	/* then E, polled: no token */
	r = cJSON_GetArrayItem(arr, N_M);
	CHECK_STR(str_of(r, "period"), period_text(expected));
	CHECK_STR(str_of(r, "source"), "poll");
	CHECK(is_null(r, "token") && is_null(r, "replaced"));
	/* then the revision of E-1's contacts, the current value */
	r = cJSON_GetArrayItem(arr, 2 * N_M);
	CHECK_STR(str_of(r, "period"), period_text(expected - 1));
	CHECK_STR(str_of(r, "measure"), "contacts");
	CHECK_NEAR(num_of(r, "value"), ku091_e1_rev[M_CONTACTS], 0);
	CHECK_NEAR(num_of(r, "received"), (double)t_rev, 0);
	CHECK(is_null(r, "replaced"));
	CHECK_STR(str_of(r, "source"), "submission");
	cJSON_Delete(arr);

	/* period= */
	{
		char q[64];

		snprintf(q, sizeof(q), "area=KU091&period=%s",
		         period_text(expected - 1));
		arr = call(api_revisions_get, q, NULL, &own, &status);
		CHECK(status == 200 && cJSON_GetArraySize(arr) == N_M + 1);
		cJSON_ArrayForEach(r, arr)
		    CHECK_STR(str_of(r, "period"), period_text(expected - 1));
		cJSON_Delete(arr);
		/* ... and measure=: the value and the one it replaced */
		snprintf(q, sizeof(q), "area=KU091&period=%s&measure=contacts",
		         period_text(expected - 1));
		arr = call(api_revisions_get, q, NULL, &own, &status);
		CHECK(status == 200 && cJSON_GetArraySize(arr) == 2);
		r = cJSON_GetArrayItem(arr, 0);
		CHECK_NEAR(num_of(r, "value"), ku091_e1_rev[M_CONTACTS], 0);
		CHECK(is_null(r, "replaced"));
		r = cJSON_GetArrayItem(arr, 1);
		CHECK_NEAR(num_of(r, "value"), ku091_e1[M_CONTACTS], 0);
		CHECK_NEAR(num_of(r, "received"), (double)t_e1, 0);
		CHECK_NEAR(num_of(r, "replaced"), (double)t_rev, 0);
		CHECK_STR(str_of(r, "source"), "poll");
		CHECK(is_null(r, "token"));
		cJSON_Delete(arr);
		/* a period with nothing */
		snprintf(q, sizeof(q), "area=KU091&period=%s",
		         period_text(expected - 5));
		arr = call(api_revisions_get, q, NULL, &own, &status);
		CHECK(status == 200 && cJSON_GetArraySize(arr) == 0);
		cJSON_Delete(arr);
	}
	/* measure= alone: each period's contacts, newest first */
	arr = call(api_revisions_get, "area=KU091&measure=contacts", NULL, &own,
	           &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == 4);
	{
		static const double want[4] = { 700, 1000, 900, 800 };

		for (i = 0; i < 4; i++) {
			r = cJSON_GetArrayItem(arr, i);
			CHECK_STR(str_of(r, "measure"), "contacts");
			CHECK_NEAR(num_of(r, "value"), want[i], 0);
			CHECK(i == 3 ? !is_null(r, "replaced")
			             : is_null(r, "replaced"));
		}
	}
	cJSON_Delete(arr);
}

static void
test_revisions_errors(void)
{
	static const struct {
		const char *query;
		int status;
		const char *msg; /* the error names this */
	} cases[] = {
		{ "", 400, "parameter area: required" },
		{ "area=", 400, "parameter area: required" },
		{ "area=KU091&period=2026-13", 400, "parameter period" },
		{ "area=KU091&period=abc", 400, "parameter period" },
		{ "area=KU091&period=", 400, "parameter period" },
		{ "area=KU091&period=2026-1", 400, "parameter period" },
		{ "area=KU999", 404, "unknown municipality" },
		{ "area=MK01", 404, "unknown municipality" },
		{ "area=SSS", 404, "unknown municipality" },
		{ "area=..%2Fetc", 404, "unknown municipality" },
		{ "area=KU091&measure=nope", 404,
		  "unknown measure \\\"nope\\\"" },
		/* an indicator has no figures of its own */
		{ "area=KU091&measure=remote_share", 404, "unknown measure" },
	};
	struct principal ministry = { ROLE_MINISTRY, 1, "" };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(is_error(api_revisions_get, &ministry, cases[i].query,
		               cases[i].status, cases[i].msg));
}

/* --- the figures in memory follow the database ------------------------ */

/* Figures another program commits (kuntamonctl import) are served once
 * the daemon notices (app_check_figures); failures and good polls show at
 * once, as they are read from the database. Changes the fixture: runs
 * last. */
static void
test_latest_reload(void)
{
	static const double ku092_e[N_M] = { 1, 50, 10, 2, 1, 0 };
	static const double ku091_e_rev[N_M] = {
		NAN, 2000, NAN, NAN, NAN, NAN,
	};
	struct store_db *other;
	struct error err = { 0 };
	char path[512];
	time_t now = clock_now();
	int status;
	cJSON *arr;
	const cJSON *r;

	snprintf(path, sizeof(path), "%s/kuntamon.db", tmp_dir);
	other = store_db_open(path, &err);
	CHECK(other != NULL);
	if (other == NULL)
		return;
	record_into(other, "KU092", "import", 0, expected, now - 100, ku092_e,
	            false, NULL);
	record_into(other, "KU091", "import", 0, expected, now - 100,
	            ku091_e_rev, true, NULL);
	store_db_close(other);

	/* not yet noticed: the figures in memory */
	arr = latest_all("indicator=contacts&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), ku091_e[M_CONTACTS],
	           0);
	CHECK(is_null(row_of(arr, "KU092"), "period"));
	cJSON_Delete(arr);
	app_check_figures(&app);
	arr = latest_all("indicator=contacts&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 2000, 0);
	r = row_of(arr, "KU092");
	CHECK_NEAR(num_of(r, "value"), ku092_e[M_CONTACTS], 0);
	CHECK_STR(str_of(r, "period"), period_text(expected));
	CHECK_STR(str_of(r, "status"), "ok");
	cJSON_Delete(arr);
	/* MK01 now has two of three in E: its period moves to E */
	arr = latest_all("indicator=contacts&level=region", &status);
	r = row_of(arr, "MK01");
	CHECK_STR(str_of(r, "period"), period_text(expected));
	CHECK_NEAR(num_of(r, "value"), 2000 + ku092_e[M_CONTACTS], 0);
	CHECK_NEAR(num_of(r, "reporting"), 2, 0);
	cJSON_Delete(arr);
	/* a second check with nothing new changes nothing */
	app_check_figures(&app);
	arr = latest_all("indicator=contacts&level=region", &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"),
	           2000 + ku092_e[M_CONTACTS], 0);
	cJSON_Delete(arr);

	record_failure("KU091", now - 50, "timeout");
	arr = latest_all("indicator=contacts&level=municipality", &status);
	CHECK_STR(str_of(row_of(arr, "KU091"), "status"), "failing");
	cJSON_Delete(arr);
	/* a good poll again */
	record("KU091", "poll", 0, expected, now - 10, NULL, false, NULL);
	arr = latest_all("indicator=contacts&level=municipality", &status);
	CHECK_STR(str_of(row_of(arr, "KU091"), "status"), "ok");
	cJSON_Delete(arr);
}

/* --- health ---------------------------------------------------------- */

static void
test_health(void)
{
	int status;
	cJSON *h = call(api_health_get, "", NULL, NULL, &status);
	const cJSON *eps, *viol, *counts, *cycle, *r;

	CHECK(status == 200);
	CHECK(num_of(h, "generated") >= (double)app.started);
	CHECK_STR(str_of(h, "expected_period"), period_text(expected));
	cycle = cJSON_GetObjectItemCaseSensitive(h, "cycle");
	CHECK(
	    cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cycle, "running")));
	CHECK(is_null(cycle, "last_end") && is_null(cycle, "last_duration_s"));
	CHECK_NEAR(num_of(cycle, "cycles"), 0, 0);

	eps = cJSON_GetObjectItemCaseSensitive(h, "endpoints");
	CHECK(cJSON_GetArraySize(eps) == 3);
	CHECK_STR(str_of(cJSON_GetArrayItem(eps, 0), "area"), "KU049");
	CHECK_STR(str_of(cJSON_GetArrayItem(eps, 1), "area"), "KU091");
	CHECK_STR(str_of(cJSON_GetArrayItem(eps, 2), "area"), "KU478");
	r = row_of(eps, "KU049");
	CHECK_STR(str_of(r, "status"), "failing");
	CHECK_NEAR(num_of(r, "consecutive_failures"), 2, 0);
	CHECK_STR(str_of(r, "last_error"), "HTTP 503");
	CHECK(num_of(r, "last_error_time") > 0 &&
	      num_of(r, "last_success") > 0);
	CHECK_NEAR(num_of(r, "latency_ms"), 12.5, 1e-9);
	CHECK_STR(str_of(r, "url"), "http://espoo.example");
	CHECK_STR(str_of(r, "name"), "Espoo");
	/* no credentials, path or query of a URL ever shown */
	r = row_of(eps, "KU091");
	CHECK_STR(str_of(r, "url"), "https://helsinki.example:8443");
	CHECK(strstr(last_body, "SECRET") == NULL);
	CHECK(strstr(last_body, "pw") == NULL);
	CHECK(strstr(last_body, "/api") == NULL);
	CHECK_STR(str_of(r, "status"), "ok");
	CHECK(is_null(r, "last_error") && is_null(r, "last_error_time"));
	CHECK_STR(str_of(r, "period"), period_text(expected));

	viol = cJSON_GetObjectItemCaseSensitive(h, "violations");
	CHECK(cJSON_GetArraySize(viol) == 2);
	r = cJSON_GetArrayItem(viol, 0); /* newest first */
	CHECK_STR(str_of(r, "area"), "KU478");
	CHECK_STR(str_of(r, "rule"), "second violation");
	CHECK_STR(str_of(r, "period"), period_text(expected));
	r = cJSON_GetArrayItem(viol, 1);
	CHECK_STR(str_of(r, "area"), "KU853");
	CHECK_STR(str_of(r, "rule"), "contacts_remote <= contacts");
	CHECK(num_of(r, "time") > 0);

	counts = cJSON_GetObjectItemCaseSensitive(h, "counts");
	CHECK_NEAR(num_of(counts, "ok"), 2, 0);
	CHECK_NEAR(num_of(counts, "late"), 1, 0);
	CHECK_NEAR(num_of(counts, "failing"), 1, 0);
	CHECK_NEAR(num_of(counts, "never"), 2, 0);
	cJSON_Delete(h);

	/* a cycle ran; names follow the language */
	atomic_store(&app.stats.cycles, 3);
	atomic_store(&app.stats.last_cycle_ms, 1500);
	atomic_store(&app.stats.last_cycle_end, 1700000000);
	atomic_store(&app.stats.cycle_running, 1);
	h = call(api_health_get, "lang=sv", NULL, NULL, &status);
	cycle = cJSON_GetObjectItemCaseSensitive(h, "cycle");
	CHECK(is_true(cycle, "running"));
	CHECK_NEAR(num_of(cycle, "last_duration_s"), 1.5, 1e-9);
	CHECK_NEAR(num_of(cycle, "last_end"), 1700000000, 0);
	CHECK_NEAR(num_of(cycle, "cycles"), 3, 0);
	eps = cJSON_GetObjectItemCaseSensitive(h, "endpoints");
	CHECK_STR(str_of(row_of(eps, "KU091"), "name"), "Helsingfors");
	cJSON_Delete(h);
	h = call(api_health_get, "lang=xx", NULL, NULL, &status);
	CHECK(status == 400 && strstr(last_body, "parameter lang") != NULL);
	cJSON_Delete(h);
	atomic_store(&app.stats.cycle_running, 0);
}

/* An endpoint in the catalog that was never polled is listed. */
static void
test_health_never_polled(void)
{
	static const char more[] = "area,url\n"
	                           "KU092,https://vantaa.example/x\n";
	struct catalog *cat, *old;
	struct error err = { 0 };
	const cJSON *eps, *r;
	int status;
	cJSON *h;

	/* the same areas, and KU092 its only endpoint */
	cat = fixture_catalog(regions_csv, municipalities_csv, measures_json,
	                      more);
	old = app.cat;
	app.cat = cat;
	h = call(api_health_get, "", NULL, NULL, &status);
	eps = cJSON_GetObjectItemCaseSensitive(h, "endpoints");
	CHECK(cJSON_GetArraySize(eps) == 1);
	r = row_of(eps, "KU092");
	CHECK_STR(str_of(r, "status"), "never");
	CHECK(is_null(r, "last_poll") && is_null(r, "last_success"));
	CHECK(is_null(r, "latency_ms") && is_null(r, "period"));
	CHECK_NEAR(num_of(r, "consecutive_failures"), 0, 0);
	cJSON_Delete(h);
	/* KU049's failures no longer count: it has no endpoint now (SIGHUP
	 * swaps the figures' catalog with the app's). Its latest period is
	 * E-1: late, not failing. */
	CHECK(ingest_figures_reload(&app.figures, cat, app.db, &err) == 1);
	h = latest_all("indicator=contacts&level=municipality", &status);
	CHECK_STR(str_of(row_of(h, "KU049"), "status"), "late");
	CHECK_NEAR(num_of(row_of(h, "KU049"), "value"), ku049_e1[M_CONTACTS],
	           0);
	cJSON_Delete(h);
	h = latest_all("indicator=contacts&level=region", &status);
	CHECK_STR(str_of(row_of(h, "MK01"), "status"), "late");
	cJSON_Delete(h);
	app.cat = old;
	CHECK(ingest_figures_reload(&app.figures, old, app.db, &err) == 1);
	catalog_unref(cat);
}

int
main(void)
{
	setup();
	RUN(test_lang);
	RUN(test_latest_municipalities);
	RUN(test_latest_late_report);
	RUN(test_latest_indicators);
	RUN(test_latest_regions);
	RUN(test_latest_access);
	RUN(test_latest_names);
	RUN(test_latest_errors);
	RUN(test_revisions_access);
	RUN(test_revisions_values);
	RUN(test_revisions_errors);
	RUN(test_health);
	RUN(test_health_never_polled);
	RUN(test_latest_reload);
	teardown();
	return check_done();
}
