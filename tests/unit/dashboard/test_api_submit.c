/*
 * test_api_submit.c: the pure pieces of POST /api/v1/submissions: which
 * Content-Type is JSON or CSV, which whole rejection is 403, the 202
 * answer for a parsed document with its kind (new, revision, late,
 * unchanged), a CSV upload read into one document per period (400 and
 * 403 naming the line); and, against a real database and RRD files in a
 * temporary folder, what the handler asks of ingest: a dry run that
 * stores nothing, and an upload's periods committed together.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "api_submit.h"
#include "check.h"
#include "ingest.h"
#include "fixture.h"
#include "timespec.h"

#define NOW ((time_t)1794744000) /* 2026-11-15 12:00:00 UTC */

/* clang-format off */
static const char measures_json[] =
    "{\"measures\": ["
    FIXTURE_BOUNDED("gp_open", "0", "1", "false") ","
    FIXTURE_BOUNDED("contacts", "0", "1000000", "true") ","
    FIXTURE_BOUNDED("contacts_remote", "0", "1000000", "true")
    "], \"rules\": [\"contacts_remote <= contacts\"]}";
/* clang-format on */

static struct catalog *
small_catalog(void)
{
	return fixture_catalog(FIXTURE_REGIONS, FIXTURE_MUNICIPALITIES,
	                       measures_json, NULL);
}

static void
test_content_type(void)
{
	static const struct {
		const char *ct;
		bool want;
	} cases[] = {
		{ "application/json", true },
		{ "Application/JSON", true },
		{ "application/json; charset=utf-8", true },
		{ "application/json;charset=UTF-8", true },
		{ "application/json ; charset=\"utf-8\"", true },
		{ "application/json; foo=bar; charset=utf-8", true },
		{ " application/json ", true },
		{ NULL, false },
		{ "", false },
		{ "text/plain", false },
		{ "application/x-www-form-urlencoded", false },
		{ "application/jsonx", false },
		{ "application/json-seq", false },
		{ "application/json+x", false },
		{ "application/problem+json", false },
		{ "application/json; charset=latin1", false },
		{ "application/json; charset=\"utf-16\"", false },
		{ "application/json; charset", false },
		{ "application/json; charset=", false },
		{ "application/json;", false },
		{ "application/json; =x", false },
		{ "application/json; a=\"unterminated", false },
		{ "application/json x", false },
		{ "multipart/form-data; boundary=x", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (api_submit_is_json(cases[i].ct) != cases[i].want) {
			fprintf(stderr, "\"%s\": want %d\n",
			        cases[i].ct ? cases[i].ct : "(null)",
			        cases[i].want);
			CHECK(0);
		}
	}
}

/* The status of every whole rejection document_parse makes. */
static void
test_reject_status(void)
{
	static const struct {
		const char *body;
		int want;
	} cases[] = {
		{ "{\"municipality\": \"KU049\", \"period\": \"2026-10\"}",
		  403 },
		{ "{\"municipality\": \"KU999\", \"period\": \"2026-10\"}",
		  403 },
		{ "{\"municipality\": \"\", \"period\": \"2026-10\"}", 403 },
		{ "{\"period\": \"2026-10\"}", 400 },
		{ "{\"municipality\": 91, \"period\": \"2026-10\"}", 400 },
		{ "{\"municipality\": \"KU091\", \"period\": \"2027-01\"}",
		  400 },
		{ "{\"municipality\": \"KU091\", \"period\": \"2026-13\"}",
		  400 },
		{ "{\"municipality\": \"KU091\"}", 400 },
		{ "[1, 2]", 400 },
		{ "not json", 400 },
		{ "", 400 },
	};
	struct catalog *cat = small_catalog();
	int area = catalog_find_area(cat, "KU091");
	struct document doc;
	struct error err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		rc = document_parse(cat, area, -1, cases[i].body,
		                    strlen(cases[i].body), NOW, &doc, &err);
		CHECK(rc < 0);
		if (api_submit_refusal_status(rc) != cases[i].want) {
			fprintf(stderr, "%s -> \"%s\"\n", cases[i].body,
			        err.msg);
			CHECK(0);
		}
	}
	/* What storage says: nothing stored, send again. No result is a 429
	 * any more: a second document in the same second is stored too. */
	CHECK(api_submit_refusal_status(INGEST_STORE_FAILED) == 503);
	CHECK(api_submit_refusal_status(INGEST_REJECTED) == 400);
	CHECK(api_submit_refusal_status(INGEST_OTHER_AREA) == 403);
	CHECK(api_submit_refusal_status(DOCUMENT_OTHER_AREA) == 403);
	CHECK(api_submit_refusal_status(-3) == 503); /* v1's too soon */
	catalog_unref(cat);
}

static void
test_answer(void)
{
	static const char body[] =
	    "{\"municipality\": \"KU091\", \"period\": \"2026-10\","
	    " \"measures\": {\"contacts\": 3, \"contacts_remote\": 7,"
	    " \"gp_open\": \"yes\", \"bogus\": 1}}";
	struct catalog *cat = small_catalog();
	struct document doc;
	struct error err = { 0 };
	cJSON *a, *r;
	char *text;

	CHECK(document_parse(cat, catalog_find_area(cat, "KU091"), -1, body,
	                     strlen(body), NOW, &doc, &err) == 0);
	a = api_submit_answer(cat, &doc, INGEST_NEW);
	text = cJSON_PrintUnformatted(a);
	CHECK_STR(text, "{\"area\":\"KU091\",\"period\":\"2026-10\","
	                "\"kind\":\"new\","
	                "\"accepted\":[\"contacts\",\"contacts_remote\"],"
	                "\"rejected\":[{\"measure\":\"gp_open\","
	                "\"reason\":\"not_number\"},"
	                "{\"measure\":\"bogus\",\"reason\":\"unknown\"}],"
	                "\"violations\":[\"contacts_remote <= contacts\"]}");
	r = cJSON_GetObjectItem(a, "rejected");
	CHECK(cJSON_GetArraySize(r) == (int)doc.n_rejected);
	cJSON_free(text);
	cJSON_Delete(a);
	document_reset(&doc);
	catalog_unref(cat);
}

/* Each kind of document says so in the receipt (SPEC §4), the rest of
 * the answer unchanged. */
static void
test_answer_kinds(void)
{
	static const struct {
		enum ingest_kind kind;
		const char *name;
	} cases[] = {
		{ INGEST_NEW, "new" },
		{ INGEST_REVISION, "revision" },
		{ INGEST_LATE, "late" },
		{ INGEST_UNCHANGED, "unchanged" },
	};
	static const char body[] =
	    "{\"municipality\": \"KU049\", \"period\": \"2026-09\","
	    " \"measures\": {\"contacts\": 12, \"contacts_remote\": 5,"
	    " \"gp_open\": 1}}";
	struct catalog *cat = small_catalog();
	struct document doc;
	struct error err = { 0 };
	size_t i;

	CHECK(document_parse(cat, catalog_find_area(cat, "KU049"), -1, body,
	                     strlen(body), NOW, &doc, &err) == 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *a = api_submit_answer(cat, &doc, cases[i].kind);
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(a, "kind");
		const cJSON *acc =
		    cJSON_GetObjectItemCaseSensitive(a, "accepted");

		CHECK_STR(ingest_kind_name(cases[i].kind), cases[i].name);
		CHECK(cJSON_IsString(k));
		CHECK_STR(cJSON_IsString(k) ? k->valuestring : NULL,
		          cases[i].name);
		CHECK_STR(cJSON_GetStringValue(
		              cJSON_GetObjectItemCaseSensitive(a, "area")),
		          "KU049");
		CHECK_STR(cJSON_GetStringValue(
		              cJSON_GetObjectItemCaseSensitive(a, "period")),
		          "2026-09");
		CHECK(cJSON_GetArraySize(acc) == 3);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
		          a, "rejected")) == 0);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
		          a, "violations")) == 0);
		cJSON_Delete(a);
	}
	document_reset(&doc);
	catalog_unref(cat);
}

static void
test_csv_type(void)
{
	CHECK(api_submit_is_csv("text/csv"));
	CHECK(api_submit_is_csv("Text/CSV; charset=utf-8"));
	CHECK(api_submit_is_csv("text/csv; header=present"));
	CHECK(!api_submit_is_csv("text/csv; charset=latin1"));
	CHECK(!api_submit_is_csv("text/csvx"));
	CHECK(!api_submit_is_csv("text/plain"));
	CHECK(!api_submit_is_csv("application/json"));
	CHECK(!api_submit_is_csv(NULL));
	CHECK(!api_submit_is_json("text/csv"));
}

static void
test_dry_run_param(void)
{
	CHECK(api_submit_dry_run(NULL) == 0);
	CHECK(api_submit_dry_run("0") == 0);
	CHECK(api_submit_dry_run("false") == 0);
	CHECK(api_submit_dry_run("1") == 1);
	CHECK(api_submit_dry_run("true") == 1);
	CHECK(api_submit_dry_run("") == -1);
	CHECK(api_submit_dry_run("yes") == -1);
	CHECK(api_submit_dry_run("10") == -1);
}

/* Rows of two periods, out of order, with a BOM and CRLF: one document a
 * period, ascending; a measure without a row is not rejected; the rule
 * is checked as for a document. */
static void
test_upload(void)
{
	static const char body[] = "\xEF\xBB\xBF"
	                           "area,period,measure,value\r\n"
	                           "KU091,2026-10,contacts,3\r\n"
	                           "KU091,2026-09,contacts,12\r\n"
	                           "KU091,2026-10,contacts_remote,7\r\n"
	                           "\r\n"
	                           "KU091,2026-09,gp_open,1\r\n";
	struct catalog *cat = small_catalog();
	int area = catalog_find_area(cat, "KU091");
	enum ingest_kind kinds[2] = { INGEST_NEW, INGEST_REVISION };
	struct upload up;
	struct error err = { 0 };
	cJSON *a;
	char *text;

	CHECK(api_submit_upload_parse(cat, area, body, sizeof(body) - 1, NOW,
	                              &up, &err) == 0);
	CHECK(up.n_rows == 4);
	CHECK(up.n_docs == 2);
	if (up.n_docs == 2) {
		CHECK(up.docs[0].period == 2026 * 12 + 8);
		CHECK(up.docs[1].period == 2026 * 12 + 9);
		CHECK(up.docs[0].n_accepted == 2);
		CHECK(up.docs[1].n_violations == 1);
	}
	a = api_submit_upload_answer(cat, &up, kinds);
	text = cJSON_PrintUnformatted(a);
	CHECK_STR(text, "{\"area\":\"KU091\",\"rows\":4,\"periods\":["
	                "{\"period\":\"2026-09\",\"kind\":\"new\","
	                "\"accepted\":[\"gp_open\",\"contacts\"],"
	                "\"rejected\":[],\"violations\":[]},"
	                "{\"period\":\"2026-10\",\"kind\":\"revision\","
	                "\"accepted\":[\"contacts\",\"contacts_remote\"],"
	                "\"rejected\":[],"
	                "\"violations\":[\"contacts_remote <= contacts\"]}]}");
	cJSON_free(text);
	cJSON_Delete(a);
	api_submit_upload_reset(&up);
	api_submit_upload_reset(&up); /* twice is fine */
	catalog_unref(cat);
}

/* Every refusal names its line; all or none: nothing is kept. */
static void
test_upload_refused(void)
{
	static const struct {
		const char *body;
		int want;
		const char *msg;
	} cases[] = {
		{ "area,period,measure,value\nKU091,2026-10,contacts,3\n"
		  "KU049,2026-10,contacts,4\n",
		  403, "line 3: a row of KU049; this token reports for KU091" },
		{ "area,period,measure,value\nKU049,2026-10,contacts,3\n"
		  "KU091,2026-10,contacts,x\n",
		  400, "line 3: value \"x\" is not a number" },
		{ "area,period,measure,value\nKU091,2026-10,gp_open,2\n", 400,
		  "line 2: gp_open = 2 is outside [0, 1]" },
		{ "area,period,measure,value\nKU091,2026-10,contacts,1\n"
		  "KU091,2026-10,contacts,2\n",
		  400, "line 3: duplicate of line 2" },
		{ "area,period,measure,value\nKU091,2027-01,contacts,1\n", 400,
		  "line 2: period 2027-01 is in the future" },
		{ "area,period,measure,value\nKU091,2026-10,bogus,1\n", 400,
		  "line 2: unknown measure \"bogus\"" },
		{ "area,period,measure,value\nMK01,2026-10,contacts,1\n", 400,
		  "line 2: unknown municipality \"MK01\"" },
		{ "area;period;measure;value\n", 400,
		  "line 1: header must be area,period,measure,value" },
		{ "area,period,measure,value\n", 400,
		  "line 2: no rows after the header" },
		{ "", 400, "line 1: empty file" },
		{ "area,period,measure,value\nKU091,2026-10,contacts,\"1\n",
		  400, "line 2: unterminated quoted field" },
		{ "area,period,measure,value\nKU091,2026-10,contacts\n", 400,
		  "line 2: expected 4 fields, got 3" },
	};
	struct catalog *cat = small_catalog();
	int area = catalog_find_area(cat, "KU091");
	struct upload up;
	struct error err;
	size_t i;
	int status;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		status = api_submit_upload_parse(cat, area, cases[i].body,
		                                 strlen(cases[i].body), NOW,
		                                 &up, &err);
		if (status != cases[i].want ||
		    strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0) {
			fprintf(stderr, "case %zu: %d \"%s\"\n", i, status,
			        err.msg);
			CHECK(0);
		}
		CHECK(up.n_docs == 0 && up.docs == NULL);
	}
	catalog_unref(cat);
}

/* ---- the storage half: what the handler asks of ingest ---- */

static struct fixture_db fx;
static struct catalog *scat;
static struct store_db *db;
static struct store_rrd *rrd;
static struct ingest_figures fig;
static struct ingest_ctx ictx;

static void
setup(void)
{
	struct error err = { 0 };

	scat = small_catalog();
	db = fixture_db_open(&fx, "test_api_submit");
	rrd = store_rrd_new(fx.dir, NULL, &err);
	if (db == NULL || rrd == NULL ||
	    ingest_figures_init(&fig, scat, db, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		exit(1);
	}
	ictx.cat = scat;
	ictx.rrd = rrd;
	ictx.db = db;
	ictx.fig = &fig;
}

static void
teardown(void)
{
	ingest_figures_reset(&fig);
	store_rrd_free(rrd);
	catalog_unref(scat);
	fixture_db_remove(&fx, db);
}

static long long
count(const char *table)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	return fixture_db_int(&fx, sql);
}

/* The rows of every table a submission writes, as one number each. */
struct counts {
	long long figures, history, polls, rejections, violations, reports;
};

static struct counts
counts_now(void)
{
	struct counts c;

	c.figures = count("figures");
	c.history = count("history");
	c.polls = count("polls");
	c.rejections = count("rejections");
	c.violations = count("violations");
	c.reports = count("reports");
	return c;
}

static bool
counts_equal(struct counts a, struct counts b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static int
submit(const char *body, bool is_dry_run, enum ingest_kind *out_kind,
       struct document *out_doc)
{
	struct ingest_meta meta = { .source = "submission",
		                    .is_dry_run = is_dry_run };
	struct error err = { 0 };

	return ingest_document(&ictx, catalog_find_area(scat, "KU091"), body,
	                       strlen(body), NOW, &meta, out_doc, out_kind,
	                       &err);
}

static bool
rrd_exists(void)
{
	char path[128];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/rrd/KU091.rrd", fx.dir);
	return stat(path, &sb) == 0;
}

/* A dry run is classified as the real one would be and writes nothing:
 * no figure, record, rejection, violation, report nor RRD file. */
static void
test_dry_run(void)
{
	static const char doc1[] =
	    "{\"municipality\": \"KU091\", \"period\": \"2026-10\","
	    " \"measures\": {\"contacts\": 3, \"contacts_remote\": 7,"
	    " \"gp_open\": 2}}";
	static const char doc2[] =
	    "{\"municipality\": \"KU091\", \"period\": \"2026-10\","
	    " \"measures\": {\"contacts\": 30, \"contacts_remote\": 7,"
	    " \"gp_open\": 1}}";
	static const char other[] =
	    "{\"municipality\": \"KU049\", \"period\": \"2026-10\"}";
	struct counts before;
	enum ingest_kind kind = INGEST_UNCHANGED, real_kind;
	struct document dry, real;
	char *dry_text, *real_text;
	cJSON *a;

	setup();
	before = counts_now();
	CHECK(submit(doc1, true, &kind, &dry) == INGEST_TAKEN);
	CHECK(kind == INGEST_NEW);
	CHECK(counts_equal(counts_now(), before));
	CHECK(before.polls == 0 && before.figures == 0);
	CHECK(!rrd_exists());
	CHECK(isnan(matrix_get(fig.mx, catalog_find_area(scat, "KU091"),
	                       2026 * 12 + 9, 1)));
	/* the same answer as the real one */
	a = api_submit_answer(scat, &dry, kind);
	dry_text = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	CHECK(submit(doc1, false, &real_kind, &real) == INGEST_TAKEN);
	a = api_submit_answer(scat, &real, real_kind);
	real_text = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	CHECK_STR(dry_text, real_text);
	CHECK(count("figures") == 2 && count("polls") == 1);
	CHECK(count("rejections") == 1 && count("violations") == 1);
	/* the value rejected, as given, for the municipality's record */
	CHECK(count("rejections WHERE measure = 'gp_open' AND reason ="
	            " 'out_of_range' AND detail = '2'") == 1);
	CHECK(rrd_exists());
	cJSON_free(dry_text);
	cJSON_free(real_text);
	document_reset(&dry);
	document_reset(&real);
	/* against what is held now: a revision, then unchanged */
	before = counts_now();
	CHECK(submit(doc2, true, &kind, &dry) == INGEST_TAKEN);
	CHECK(kind == INGEST_REVISION);
	document_reset(&dry);
	CHECK(submit(doc1, true, &kind, &dry) == INGEST_TAKEN);
	CHECK(kind == INGEST_UNCHANGED);
	document_reset(&dry);
	/* refused whole as a real one, and not recorded */
	CHECK(submit(other, true, &kind, &dry) == INGEST_OTHER_AREA);
	CHECK(submit("[]", true, &kind, &dry) == INGEST_REJECTED);
	CHECK(counts_equal(counts_now(), before));
	teardown();
}

static int
upload(const char *body, bool is_dry_run, enum ingest_kind *kinds,
       size_t *out_n)
{
	struct ingest_meta meta = { .source = "submission",
		                    .is_dry_run = is_dry_run,
		                    .is_sparse = true };
	int area = catalog_find_area(scat, "KU091");
	struct upload up;
	struct error err = { 0 };
	int rc;

	if (api_submit_upload_parse(scat, area, body, strlen(body), NOW, &up,
	                            &err) != 0) {
		fprintf(stderr, "upload: %s\n", err.msg);
		return -100;
	}
	rc = ingest_documents(&ictx, area, up.docs, up.n_docs, NOW, &meta,
	                      kinds, &err);
	*out_n = up.n_docs;
	api_submit_upload_reset(&up);
	return rc;
}

/* An upload's periods land together, each with its kind; a measure
 * without a row keeps its figure and is no rejection; a dry run of it
 * writes nothing. */
static void
test_upload_stored(void)
{
	enum ingest_kind kinds[4];
	struct document doc;
	struct counts before;
	size_t n = 0;

	setup();
	CHECK(submit("{\"municipality\": \"KU091\", \"period\": \"2026-09\","
	             " \"measures\": {\"contacts\": 5, \"gp_open\": 1,"
	             " \"contacts_remote\": 1}}",
	             false, &kinds[0], &doc) == INGEST_TAKEN);
	document_reset(&doc);
	before = counts_now();
	CHECK(upload("area,period,measure,value\n"
	             "KU091,2026-07,contacts,1\n"
	             "KU091,2026-09,contacts,6\n"
	             "KU091,2026-10,contacts,7\n",
	             true, kinds, &n) == INGEST_TAKEN);
	CHECK(n == 3);
	CHECK(kinds[0] == INGEST_LATE && kinds[1] == INGEST_REVISION &&
	      kinds[2] == INGEST_NEW);
	CHECK(counts_equal(counts_now(), before));
	CHECK(upload("area,period,measure,value\n"
	             "KU091,2026-07,contacts,1\n"
	             "KU091,2026-09,contacts,6\n"
	             "KU091,2026-10,contacts,7\n",
	             false, kinds, &n) == INGEST_TAKEN);
	CHECK(kinds[0] == INGEST_LATE && kinds[1] == INGEST_REVISION &&
	      kinds[2] == INGEST_NEW);
	CHECK(count("figures") == before.figures + 2);
	CHECK(count("history") == before.history + 1);
	CHECK(count("polls") == before.polls + 3);
	CHECK(count("rejections") == before.rejections);
	CHECK(count("reports") == before.reports + 2);
	/* the measures without a row kept their figures */
	CHECK(matrix_get(fig.mx, catalog_find_area(scat, "KU091"),
	                 2026 * 12 + 8,
	                 catalog_find_measure(scat, "gp_open")) == 1);
	/* again: unchanged, and nothing written but the outcomes */
	before = counts_now();
	CHECK(upload("area,period,measure,value\n"
	             "KU091,2026-09,contacts,6\n",
	             false, kinds, &n) == INGEST_TAKEN);
	CHECK(kinds[0] == INGEST_UNCHANGED);
	CHECK(count("figures") == before.figures);
	CHECK(count("history") == before.history);
	teardown();
}

/* An upload's records are all or none: one that cannot be written rolls
 * back those before it, in a collection cycle's batch too. */
static void
test_record_all_or_none(void)
{
	struct db_change change = { "contacts", 5, false };
	struct db_change bad = { NULL, 5, false }; /* NOT NULL fails */
	struct db_outcome o[2];
	int pass;

	setup();
	for (pass = 0; pass < 2; pass++) {
		memset(o, 0, sizeof(o));
		o[0].area = "KU091";
		o[0].time = NOW;
		o[0].source = "submission";
		o[0].period = 2026 * 12 + 8;
		o[0].n_accepted = 1;
		o[0].changes = &change;
		o[0].n_changes = 1;
		o[1] = o[0];
		o[1].period = 2026 * 12 + 9;
		o[1].changes = &bad; /* cannot be written */
		if (pass == 1)
			CHECK(store_db_begin(db) == 0);
		CHECK(store_db_record_all(db, o, 2) < 0);
		if (pass == 1)
			store_db_commit(db);
		CHECK(count("figures") == 0 && count("polls") == 0);
		CHECK(count("reports") == 0);
	}
	o[1].changes = &change;
	CHECK(store_db_record_all(db, o, 2) == 0);
	CHECK(count("figures") == 2 && count("polls") == 2);
	teardown();
}

int
main(void)
{
	RUN(test_content_type);
	RUN(test_reject_status);
	RUN(test_answer);
	RUN(test_answer_kinds);
	RUN(test_csv_type);
	RUN(test_dry_run_param);
	RUN(test_upload);
	RUN(test_upload_refused);
	RUN(test_dry_run);
	RUN(test_upload_stored);
	RUN(test_record_all_or_none);
	return check_done();
}
