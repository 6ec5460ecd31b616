/*
 * test_api_submit.c: the pure pieces of POST /api/v1/submissions: which
 * Content-Type is JSON, which whole rejection is 403, and the 202 answer
 * for a parsed document with its kind (new, revision, late, unchanged).
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_submit.h"
#include "check.h"
#include "ingest.h"
#include "fixture.h"

#define NOW ((time_t)1794744000) /* 2026-11-15 12:00:00 UTC */

/* clang-format off */
static const char regions_csv[] = "code,name_fi,name_sv\n01,Uusimaa,Nyland\n";
static const char municipalities_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "049,Espoo,Esbo,01,Uusimaa,Nyland,320931,63123\n"
    "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,684018,124010\n";
#define MEASURE(id, min, max, count)                                        \
	"{\"id\": \"" id "\", \"unit\": \"n\", \"min\": " min               \
	", \"max\": " max ", \"aggregate\": \"sum\", \"is_count\": " count  \
	", \"name\": {\"fi\": \"x\", \"sv\": \"x\", \"en\": \"x\"}}"
static const char measures_json[] =
    "{\"measures\": ["
    MEASURE("gp_open", "0", "1", "false") ","
    MEASURE("contacts", "0", "1000000", "true") ","
    MEASURE("contacts_remote", "0", "1000000", "true")
    "], \"rules\": [\"contacts_remote <= contacts\"]}";
/* clang-format on */

static struct catalog *
small_catalog(void)
{
	return fixture_catalog(regions_csv, municipalities_csv, measures_json,
	                       NULL);
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

int
main(void)
{
	RUN(test_content_type);
	RUN(test_reject_status);
	RUN(test_answer);
	RUN(test_answer_kinds);
	return check_done();
}
