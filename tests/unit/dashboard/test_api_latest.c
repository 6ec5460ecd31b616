/*
 * test_api_latest.c: GET /api/v1/latest and GET /api/v1/health, handlers
 * called directly with a struct request (no socket), over a small catalog
 * and real RRD and SQLite stores in a temporary folder.
 *
 * The fixture, relative to the expected period E:
 *   KU091 Helsinki  (MK01, endpoint)  reported E, polled ok
 *   KU049 Espoo     (MK01, endpoint)  reported E, then failed twice
 *   KU092 Vantaa    (MK01)            never reported
 *   KU853 Turku     (MK02)            reported E-3 by submission: late
 *   KU478 Mariehamn (MK21, endpoint)  reported E, contacts 3: suppressed
 *   KU035 Brändö    (MK21)            never reported
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
#include "lang.h"
#include "reporting.h"
#include "routes.h"
#include "store_db.h"
#include "store_rrd.h"
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

static char tmp_dir[64];
static struct app app;
static int expected;   /* the expected period E */
static time_t t_write; /* the last time written to any file */
static char last_body[256 * 1024];

static struct catalog *
test_catalog(void)
{
	return fixture_catalog(regions_csv, municipalities_csv, measures_json,
	                       endpoints_csv);
}

/* Writes one sample (NaN: unknown) to area's file at t_write + 1. */
static void
write_values(const char *area, const double *v)
{
	struct error err = { 0 };
	time_t t = ++t_write;

	if (store_rrd_prepare(app.rrd, area, app.cat->measures,
	                      app.cat->n_measures, 40 * 86400, t - 86400,
	                      &err) < 0 ||
	    store_rrd_update(app.rrd, area, app.cat->measures,
	                     app.cat->n_measures, &t, v, 1, &err) < 0) {
		fprintf(stderr, "write %s: %s\n", area, err.msg);
		exit(1);
	}
}

/* Records a document of period taken from area (source "poll" or
 * "submission"), or a failed poll if error is set. */
static void
record(const char *area, const char *source, int period, const char *error,
       const char *violation)
{
	struct db_outcome o = { 0 };
	const char *viol[1] = { violation };

	o.area = area;
	o.time = time(NULL) - 600;
	o.source = source;
	o.http_status = error != NULL ? 503 : 200;
	o.latency_ms = 12.5;
	o.period = error != NULL ? -1 : period;
	o.n_accepted = error != NULL ? 0 : N_M;
	o.error = error;
	o.violations = viol;
	o.n_violations = violation != NULL;
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
	const double v091[N_M] = { 1, 1000, 200, 12, 10, 4 };
	const double v049[N_M] = { 0, 500, 100, 5, 4, 2 };
	const double v853[N_M] = { 1, 300, 30, 8, 3, 3 };
	const double v478[N_M] = { 1, 3, 1, 3, 1, 1 };

	fixture_tmpdir(tmp_dir, sizeof(tmp_dir), "test_api_latest");
	memset(&app, 0, sizeof(app));
	pthread_mutex_init(&app.lock, NULL);
	app.cat = test_catalog();
	config_init(&app.cfg);
	app.cfg.is_public = true;
	app.started = time(NULL);
	snprintf(path, sizeof(path), "%s/kuntamon.db", tmp_dir);
	app.db = store_db_open(path, &err);
	app.rrd = store_rrd_new(tmp_dir, 3600, NULL, &err);
	if (app.db == NULL || app.rrd == NULL) {
		fprintf(stderr, "stores: %s\n", err.msg);
		exit(1);
	}
	expected = reporting_expected_period(time(NULL), app.cfg.ontime_days);
	t_write = time(NULL) - 3600;
	write_values("KU091", v091);
	write_values("KU049", v049);
	write_values("KU853", v853);
	write_values("KU478", v478);
	record("KU091", "poll", expected, NULL, NULL);
	record("KU049", "poll", expected, NULL, NULL);
	record("KU049", "poll", -1, "HTTP 503", NULL);
	record("KU049", "poll", -1, "HTTP 503", NULL);
	record("KU853", "submission", expected - 3, NULL,
	       "contacts_remote <= contacts");
	record("KU478", "poll", expected, NULL, "second violation");
}

static void
teardown(void)
{
	store_rrd_free(app.rrd);
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
		CHECK(cJSON_GetObjectItemCaseSensitive(r, "value") != NULL);
		CHECK(cJSON_GetObjectItemCaseSensitive(r, "period") != NULL);
		CHECK(cJSON_GetObjectItemCaseSensitive(r, "reporting") == NULL);
		n++;
	}
	CHECK(n == 6);
	r = row_of(arr, "KU091");
	CHECK_NEAR(num_of(r, "value"), 1000, 0);
	CHECK_STR(str_of(r, "status"), "ok");
	CHECK_STR(str_of(r, "period"), period_text(expected));
	CHECK_STR(str_of(r, "name"), "Helsinki");
	CHECK_STR(str_of(r, "region"), "MK01");
	CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "suppressed")));
	r = row_of(arr, "KU049");
	CHECK_NEAR(num_of(r, "value"), 500, 0);
	CHECK_STR(str_of(r, "status"), "failing");
	r = row_of(arr, "KU092");
	CHECK(is_null(r, "value") && is_null(r, "period"));
	CHECK_STR(str_of(r, "status"), "never");
	r = row_of(arr, "KU853");
	CHECK_NEAR(num_of(r, "value"), 300, 0);
	CHECK_STR(str_of(r, "status"), "late");
	CHECK_STR(str_of(r, "period"), period_text(expected - 3));
	/* a count below 5, to the public */
	r = row_of(arr, "KU478");
	CHECK(is_null(r, "value") && is_true(r, "suppressed"));
	CHECK_STR(str_of(r, "status"), "ok");
	CHECK_STR(str_of(r, "period"), period_text(expected));
	CHECK(strstr(last_body, "\"suppressed\":true") != NULL);
	cJSON_Delete(arr);

	/* region= filters */
	arr = latest("indicator=contacts&level=municipality&region=MK21",
	             &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == 2);
	CHECK(row_of(arr, "KU035") != NULL && row_of(arr, "KU478") != NULL);
	cJSON_Delete(arr);
}

static void
test_latest_indicators(void)
{
	int status;
	cJSON *arr;
	const cJSON *r;

	arr = latest("indicator=remote_share&level=municipality", &status);
	CHECK(status == 200);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 20, 1e-9);
	CHECK_NEAR(num_of(row_of(arr, "KU853"), "value"), 10, 1e-9);
	/* built on a count below 5 */
	r = row_of(arr, "KU478");
	CHECK(is_null(r, "value") && is_true(r, "suppressed"));
	cJSON_Delete(arr);

	arr = latest("indicator=gp_coverage&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 100, 1e-9);
	CHECK_NEAR(num_of(row_of(arr, "KU049"), "value"), 0, 0);
	/* not a count: shown */
	CHECK_NEAR(num_of(row_of(arr, "KU478"), "value"), 100, 1e-9);
	CHECK(is_null(row_of(arr, "KU092"), "value"));
	cJSON_Delete(arr);

	arr = latest("indicator=contacts_per_1000&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 10, 1e-9);
	CHECK(is_true(row_of(arr, "KU478"), "suppressed"));
	cJSON_Delete(arr);

	arr = latest("indicator=reporting_rate&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 100, 0);
	CHECK_NEAR(num_of(row_of(arr, "KU853"), "value"), 0, 0);
	CHECK_NEAR(num_of(row_of(arr, "KU092"), "value"), 0, 0);
	CHECK(!is_true(row_of(arr, "KU478"), "suppressed"));
	cJSON_Delete(arr);
}

static void
test_latest_regions(void)
{
	int status;
	cJSON *arr;
	const cJSON *r;

	arr = latest("indicator=contacts&level=region", &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == 3);
	CHECK_STR(str_of(cJSON_GetArrayItem(arr, 0), "area"), "MK01");
	CHECK_STR(str_of(cJSON_GetArrayItem(arr, 2), "area"), "MK21");
	r = row_of(arr, "MK01");
	CHECK_NEAR(num_of(r, "value"), 1500, 0);
	CHECK_STR(str_of(r, "status"), "failing");
	CHECK_STR(str_of(r, "period"), period_text(expected));
	CHECK_NEAR(num_of(r, "reporting"), 2, 0);
	CHECK_NEAR(num_of(r, "expected"), 3, 0);
	CHECK_STR(str_of(r, "name"), "Uusimaa");
	CHECK(str_of(r, "region") == NULL);
	r = row_of(arr, "MK02");
	CHECK_NEAR(num_of(r, "value"), 300, 0);
	CHECK_STR(str_of(r, "status"), "late");
	CHECK_STR(str_of(r, "period"), period_text(expected - 3));
	CHECK_NEAR(num_of(r, "reporting"), 0, 0);
	CHECK_NEAR(num_of(r, "expected"), 1, 0);
	/* one municipality's count below 5 in disguise */
	r = row_of(arr, "MK21");
	CHECK(is_null(r, "value") && is_true(r, "suppressed"));
	CHECK_STR(str_of(r, "status"), "late"); /* KU035 never reported */
	CHECK_NEAR(num_of(r, "reporting"), 1, 0);
	CHECK_NEAR(num_of(r, "expected"), 2, 0);
	cJSON_Delete(arr);

	/* sum(num)/sum(den) over those with both, never a mean of ratios */
	arr = latest("indicator=gp_coverage&level=region", &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"),
	           100000.0 / 160000.0 * 100, 1e-9);
	CHECK_NEAR(num_of(row_of(arr, "MK21"), "value"), 100, 1e-9);
	cJSON_Delete(arr);
	arr = latest("indicator=remote_share&level=region", &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"), 20, 1e-9);
	cJSON_Delete(arr);
	/* aggregate rules: max, mean */
	arr = latest("indicator=gp_languages&level=region", &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"), 12, 0);
	CHECK_NEAR(num_of(row_of(arr, "MK21"), "value"), 3, 0);
	cJSON_Delete(arr);
	arr = latest("indicator=staff_fte&level=region", &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"), 7, 1e-9);
	cJSON_Delete(arr);
	/* the max of counts below 5 is one municipality's count */
	arr = latest("indicator=outreach_events&level=region", &status);
	CHECK(is_null(row_of(arr, "MK01"), "value"));
	CHECK(is_true(row_of(arr, "MK01"), "suppressed"));
	CHECK(is_true(row_of(arr, "MK02"), "suppressed"));
	cJSON_Delete(arr);
	arr = latest("indicator=outreach_events&level=country", &status);
	CHECK(is_true(row_of(arr, "SSS"), "suppressed"));
	cJSON_Delete(arr);

	arr = latest("indicator=reporting_rate&level=region", &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"), 200.0 / 3, 1e-9);
	CHECK_NEAR(num_of(row_of(arr, "MK02"), "value"), 0, 0);
	CHECK_NEAR(num_of(row_of(arr, "MK21"), "value"), 50, 1e-9);
	cJSON_Delete(arr);

	arr = latest("indicator=contacts&level=country", &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == 1);
	r = row_of(arr, "SSS");
	CHECK_NEAR(num_of(r, "value"), 1803, 0);
	CHECK_NEAR(num_of(r, "reporting"), 3, 0);
	CHECK_NEAR(num_of(r, "expected"), 6, 0);
	CHECK_STR(str_of(r, "status"), "failing");
	CHECK_STR(str_of(r, "period"), period_text(expected));
	cJSON_Delete(arr);

	/* level defaults to region */
	arr = latest("indicator=contacts", &status);
	CHECK(status == 200 && cJSON_GetArraySize(arr) == 3);
	cJSON_Delete(arr);
}

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
	CHECK_NEAR(num_of(row_of(arr, "KU478"), "value"), 3, 0);
	CHECK(!is_true(row_of(arr, "KU478"), "suppressed"));
	cJSON_Delete(arr);
	arr = call(api_latest_get, "indicator=contacts&level=region", NULL,
	           &ministry, &status);
	CHECK_NEAR(num_of(row_of(arr, "MK21"), "value"), 3, 0);
	cJSON_Delete(arr);
	arr = call(api_latest_get, "indicator=outreach_events&level=region",
	           NULL, &ministry, &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"), 4, 0);
	cJSON_Delete(arr);
	arr = call(api_latest_get, "indicator=remote_share&level=municipality",
	           NULL, &own, &status);
	CHECK_NEAR(num_of(row_of(arr, "KU478"), "value"), 100.0 / 3, 1e-9);
	cJSON_Delete(arr);
	arr = call(api_latest_get, "indicator=contacts&level=municipality",
	           NULL, &other, &status);
	CHECK(is_true(row_of(arr, "KU478"), "suppressed"));
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 1000, 0);
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

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status;
		cJSON *json = latest(cases[i].query, &status);
		const char *msg = str_of(json, "error");

		if (status != cases[i].status || msg == NULL ||
		    strstr(last_body, cases[i].msg) == NULL) {
			fprintf(stderr, "%s: %d %s\n", cases[i].query, status,
			        last_body);
			CHECK(0);
		}
		cJSON_Delete(json);
	}
}

/* New data and new failures show at once; what bumps no counter waits
 * for the snapshot to age. */
static void
test_latest_snapshot(void)
{
	const double v[N_M] = { 1, 2000, 300, 12, 10, 4 };
	const double v049[N_M] = { 0, 777, 100, 5, 4, 2 };
	int status, ku091 = catalog_find_area(app.cat, "KU091");
	int ku049 = catalog_find_area(app.cat, "KU049");
	cJSON *arr;

	arr = latest("indicator=contacts&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 1000, 0);
	cJSON_Delete(arr);
	write_values("KU091", v);
	arr = latest("indicator=contacts&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 1000, 0); /* kept */
	cJSON_Delete(arr);
	app_data_landed(&app, app.cat, ku091);
	arr = latest("indicator=contacts&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU091"), "value"), 2000, 0);
	CHECK_STR(str_of(row_of(arr, "KU091"), "status"), "ok");
	cJSON_Delete(arr);
	/* the region follows */
	arr = latest("indicator=contacts&level=region", &status);
	CHECK_NEAR(num_of(row_of(arr, "MK01"), "value"), 2500, 0);
	cJSON_Delete(arr);

	/* a rebuild reads again only the files whose generation moved */
	write_values("KU049", v049);
	app_data_landed(&app, app.cat, ku091);
	arr = latest("indicator=contacts&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU049"), "value"), 500, 0); /* kept */
	cJSON_Delete(arr);
	app_data_landed(&app, app.cat, ku049);
	arr = latest("indicator=contacts&level=municipality", &status);
	CHECK_NEAR(num_of(row_of(arr, "KU049"), "value"), 777, 0);
	cJSON_Delete(arr);

	record("KU091", "poll", -1, "timeout", NULL);
	atomic_fetch_add(&app.stats.polls_failed, 1);
	arr = latest("indicator=contacts&level=municipality", &status);
	CHECK_STR(str_of(row_of(arr, "KU091"), "status"), "failing");
	cJSON_Delete(arr);
	/* a good poll again */
	record("KU091", "poll", expected, NULL, NULL);
	app_data_landed(&app, app.cat, ku091);
	arr = latest("indicator=contacts&level=municipality", &status);
	CHECK_STR(str_of(row_of(arr, "KU091"), "status"), "ok");
	cJSON_Delete(arr);
}

/* A measure missing from the latest document is unknown, and a measure
 * the file lacks is unknown too, not an error. */
static void
test_store_rrd_lastupdate(void)
{
	const char *ds[] = { "contacts", "no_such_ds", "gp_open" };
	double v[N_M], got[3];
	struct error err = { 0 };
	time_t t = 1;
	size_t i;

	for (i = 0; i < N_M; i++)
		v[i] = NAN;
	v[M_OPEN] = 1;
	write_values("KU049", v);
	CHECK(store_rrd_lastupdate(app.rrd, "KU049", ds, 3, &t, got, &err) ==
	      0);
	CHECK(t == t_write);
	CHECK(isnan(got[0]) && isnan(got[1]));
	CHECK_NEAR(got[2], 1, 0);
	CHECK(store_rrd_lastupdate(app.rrd, "KU092", ds, 3, &t, got, &err) ==
	      0);
	CHECK(t == 0 && isnan(got[0]) && isnan(got[2]));
	CHECK(store_rrd_lastupdate(app.rrd, "../x", ds, 3, &t, got, &err) ==
	      -1);
	CHECK(strstr(err.msg, "bad area") != NULL);
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
	/* KU049's failures no longer count: it has no endpoint now */
	h = latest("indicator=contacts&level=municipality", &status);
	CHECK_STR(str_of(row_of(h, "KU049"), "status"), "ok");
	cJSON_Delete(h);
	app.cat = old;
	catalog_unref(cat);
}

int
main(void)
{
	setup();
	RUN(test_lang);
	RUN(test_latest_municipalities);
	RUN(test_latest_indicators);
	RUN(test_latest_regions);
	RUN(test_latest_access);
	RUN(test_latest_names);
	RUN(test_latest_errors);
	RUN(test_health);
	RUN(test_health_never_polled);
	RUN(test_latest_snapshot);
	RUN(test_store_rrd_lastupdate);
	teardown();
	return check_done();
}
