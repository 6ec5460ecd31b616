/*
 * test_document.c: the municipal document against a small catalog: every
 * per-measure reject reason, every whole reject, number edge cases,
 * profiles with custom pointers, unknown keys, rules, duplicate keys and
 * the period boundary.
 */
#include <math.h>
#include <time.h>

#include "catalog.h"
#include "check.h"
#include "document.h"
#include "timespec.h"
#include "xmalloc.h"
#include "fixture.h"

static struct catalog *cat;
static int ku091, ku049, espoo; /* area, area, profile */
static time_t now;              /* 2026-11-15 12:00:00 UTC */

/* The test catalog, through the real parsers: two municipalities, seven
 * measures, two rules and the profile "espoo", which reads the
 * municipality at /meta/kunta, the period at /meta/kausi, gp_open at
 * /data/palvelupiste/auki, contacts at /data/Yhteydenotot,
 * contacts_remote at /measures/etä~1yhteydet (a key with "/"), staff_fte
 * at /data/henkilöstö/1 (an array element), temp_delta at /data/a~0b, and
 * the rest at /measures/<id>. */
/* clang-format off */
#define MEASURE(id, min, max, agg, count)                                   \
	"{\"id\": \"" id "\", \"unit\": \"n\", \"min\": " min               \
	", \"max\": " max ", \"aggregate\": \"" agg "\", \"is_count\": "    \
	count ", \"name\": {\"fi\": \"" id "\", \"sv\": \"" id              \
	"\", \"en\": \"" id "\"}}"
static const char measures_json[] =
    "{\"measures\": ["
    MEASURE("gp_open", "0", "1", "mean", "false") ","
    MEASURE("contacts", "0", "1000000", "sum", "true") ","
    MEASURE("contacts_remote", "0", "1e6", "sum", "true") ","
    MEASURE("staff_fte", "0", "10000", "sum", "false") ","
    MEASURE("assessments", "0", "100000", "sum", "true") ","
    MEASURE("assessments_ontime", "0", "100000", "sum", "true") ","
    MEASURE("temp_delta", "-50", "50", "mean", "false")
    "],\n\"rules\": [\"contacts_remote <= contacts\","
    " \"assessments_ontime <= assessments\"],\n"
    "\"profiles\": {\"espoo\": {\"municipality\": \"/meta/kunta\","
    " \"period\": \"/meta/kausi\", \"measures\": {"
    "\"gp_open\": \"/data/palvelupiste/auki\","
    " \"contacts\": \"/data/Yhteydenotot\","
    " \"contacts_remote\": \"/measures/et\xc3\xa4~1yhteydet\","
    " \"staff_fte\": \"/data/henkil\xc3\xb6st\xc3\xb6/1\","
    " \"temp_delta\": \"/data/a~0b\"}}}}\n";
static const char endpoints_csv[] =
    "area,url,profile\nKU049,http://127.0.0.1:1/espoo.json,espoo\n"
    "KU091,http://127.0.0.1:1/helsinki.json,\n";
/* clang-format on */

static struct catalog *
make_catalog(void)
{
	return fixture_catalog(FIXTURE_REGIONS, FIXTURE_MUNICIPALITIES,
	                       measures_json, endpoints_csv);
}

static int
area_of(const char *code)
{
	size_t i;

	for (i = 0; i < cat->n_areas; i++)
		if (strcmp(cat->areas[i].code, code) == 0)
			return (int)i;
	fprintf(stderr, "no area %s in the test catalog\n", code);
	abort();
}

static size_t
measure_of(const char *id)
{
	size_t i;

	for (i = 0; i < cat->n_measures; i++)
		if (strcmp(cat->measures[i].id, id) == 0)
			return i;
	fprintf(stderr, "no measure %s in the test catalog\n", id);
	abort();
}

static int
profile_of(const char *name)
{
	size_t i;

	for (i = 0; i < cat->n_profiles; i++)
		if (strcmp(cat->profiles[i].name, name) == 0)
			return (int)i;
	fprintf(stderr, "no profile %s in the test catalog\n", name);
	abort();
}

static int
parse_espoo(const char *body, struct document *doc, struct error *err)
{
	return document_parse(cat, ku049, espoo, body, strlen(body), now, doc,
	                      err);
}

static int
parse_default(const char *body, struct document *doc, struct error *err)
{
	return document_parse(cat, ku091, -1, body, strlen(body), now, doc,
	                      err);
}

/* A whole document for KU091, 2026-10, with one measure's text replaced
 * by value (NULL: the measure left out). */
static char *
doc_with(const char *id, const char *value)
{
	static const char *const ids[] = {
		"gp_open",   "contacts",    "contacts_remote",
		"staff_fte", "assessments", "assessments_ontime",
		"temp_delta"
	};
	static const char *const vals[] = { "1",  "1234", "56",  "12.5",
		                            "40", "30",   "-3.5" };
	char *out = xmalloc(4096);
	size_t i, n;
	const char *sep = "";

	n = (size_t)snprintf(out, 4096,
	                     "{\"municipality\": \"KU091\", "
	                     "\"period\": \"2026-10\", "
	                     "\"measures\": {");
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const char *v = vals[i];

		if (strcmp(ids[i], id) == 0) {
			if (value == NULL)
				continue;
			v = value;
		}
		n += (size_t)snprintf(out + n, 4096 - n, "%s\"%s\": %s", sep,
		                      ids[i], v);
		sep = ", ";
	}
	snprintf(out + n, 4096 - n, "}}");
	return out;
}

static void
test_accept_all(void)
{
	struct document doc;
	struct error err = { 0 };
	char *body = doc_with("", NULL);
	size_t i;

	CHECK(parse_default(body, &doc, &err) == 0);
	CHECK(doc.area == ku091);
	CHECK(doc.period == 2026 * 12 + 9);
	CHECK(doc.n_measures == cat->n_measures);
	CHECK(doc.n_accepted == cat->n_measures);
	CHECK(doc.n_rejected == 0);
	CHECK(doc.n_unknown == 0);
	CHECK(doc.n_violations == 0);
	for (i = 0; i < doc.n_measures; i++)
		CHECK(doc.status[i] == REJECT_NONE);
	CHECK_NEAR(doc.values[measure_of("gp_open")], 1, 0);
	CHECK_NEAR(doc.values[measure_of("contacts")], 1234, 0);
	CHECK_NEAR(doc.values[measure_of("contacts_remote")], 56, 0);
	CHECK_NEAR(doc.values[measure_of("staff_fte")], 12.5, 0);
	CHECK_NEAR(doc.values[measure_of("temp_delta")], -3.5, 0);
	document_reset(&doc);
	CHECK(doc.values == NULL && doc.status == NULL && doc.n_measures == 0);
	document_reset(&doc); /* twice is harmless */
	free(body);
}

/* One measure's value against its reason. contacts is [0, 1e6];
 * temp_delta is [-50, 50]. */
static void
test_reject_reasons(void)
{
	static const struct {
		const char *id, *text; /* text NULL: left out */
		enum reject_reason want;
		double value; /* when accepted */
	} cases[] = {
		{ "contacts", NULL, REJECT_MISSING, 0 },
		{ "contacts", "null", REJECT_NULL, 0 },
		{ "contacts", "\"12\"", REJECT_NOT_NUMBER, 0 },
		{ "contacts", "\"\"", REJECT_NOT_NUMBER, 0 },
		{ "contacts", "\"NaN\"", REJECT_NOT_NUMBER, 0 },
		{ "contacts", "true", REJECT_NOT_NUMBER, 0 },
		{ "contacts", "false", REJECT_NOT_NUMBER, 0 },
		{ "contacts", "{\"value\": 12}", REJECT_NOT_NUMBER, 0 },
		{ "contacts", "{}", REJECT_NOT_NUMBER, 0 },
		{ "contacts", "[12]", REJECT_NOT_NUMBER, 0 },
		{ "contacts", "[]", REJECT_NOT_NUMBER, 0 },
		{ "contacts", "-1", REJECT_OUT_OF_RANGE, 0 },
		{ "contacts", "-0.000001", REJECT_OUT_OF_RANGE, 0 },
		{ "contacts", "1000000.0001", REJECT_OUT_OF_RANGE, 0 },
		{ "contacts", "1000001", REJECT_OUT_OF_RANGE, 0 },
		{ "contacts", "1e308", REJECT_OUT_OF_RANGE, 0 },
		{ "contacts", "-1e308", REJECT_OUT_OF_RANGE, 0 },
		{ "contacts", "1e309", REJECT_OUT_OF_RANGE, 0 },   /* inf */
		{ "contacts", "1e99999", REJECT_OUT_OF_RANGE, 0 }, /* inf */
		{ "contacts", "-1E400", REJECT_OUT_OF_RANGE, 0 },  /* -inf */
		{ "temp_delta", "1e999", REJECT_OUT_OF_RANGE, 0 },
		{ "temp_delta", "-1e999", REJECT_OUT_OF_RANGE, 0 },
		{ "temp_delta", "50.000000001", REJECT_OUT_OF_RANGE, 0 },
		{ "temp_delta", "-50.000000001", REJECT_OUT_OF_RANGE, 0 },
		/* The bounds themselves are in range. */
		{ "contacts", "0", REJECT_NONE, 0 },
		{ "contacts", "1000000", REJECT_NONE, 1000000 },
		{ "contacts", "1e6", REJECT_NONE, 1000000 },
		{ "contacts", "1E+6", REJECT_NONE, 1000000 },
		{ "contacts", "1000000.0", REJECT_NONE, 1000000 },
		{ "temp_delta", "-50", REJECT_NONE, -50 },
		{ "temp_delta", "50", REJECT_NONE, 50 },
		{ "temp_delta", "-49.5e0", REJECT_NONE, -49.5 },
		/* -0 is 0; a subnormal underflow reads as 0. */
		{ "contacts", "-0", REJECT_NONE, 0 },
		{ "contacts", "-0.0", REJECT_NONE, 0 },
		{ "contacts", "1e-400", REJECT_NONE, 0 },
		{ "contacts", "0.5", REJECT_NONE, 0.5 },
		{ "contacts", "12", REJECT_NONE, 12 },
		{ "contacts", "12.000", REJECT_NONE, 12 },
		{ "gp_open", "1", REJECT_NONE, 1 },
		{ "gp_open", "2", REJECT_OUT_OF_RANGE, 0 },
		{ "gp_open", "true", REJECT_NOT_NUMBER, 0 },
	};
	struct document doc;
	struct error err = { 0 };
	size_t i, k;
	char *body;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		body = doc_with(cases[i].id, cases[i].text);
		k = measure_of(cases[i].id);
		if (parse_default(body, &doc, &err) != 0) {
			fprintf(stderr, "case %zu (%s): rejected whole: %s\n",
			        i, body, err.msg);
			CHECK(0);
			free(body);
			continue;
		}
		if (doc.status[k] != cases[i].want) {
			fprintf(stderr, "case %zu (%s = %s): %s, want %s\n", i,
			        cases[i].id,
			        cases[i].text ? cases[i].text : "-",
			        document_reason_name(doc.status[k]),
			        document_reason_name(cases[i].want));
			CHECK(0);
		}
		if (cases[i].want == REJECT_NONE) {
			CHECK_NEAR(doc.values[k], cases[i].value, 0);
			CHECK(!signbit(doc.values[k]) || cases[i].value < 0);
			CHECK(doc.n_accepted == cat->n_measures);
			CHECK(doc.n_rejected == 0);
		} else {
			CHECK(isnan(doc.values[k]));
			CHECK(doc.n_accepted == cat->n_measures - 1);
			CHECK(doc.n_rejected == 1);
		}
		document_reset(&doc);
		free(body);
	}
}

static void
test_reason_names(void)
{
	CHECK_STR(document_reason_name(REJECT_MISSING), "missing");
	CHECK_STR(document_reason_name(REJECT_NULL), "null");
	CHECK_STR(document_reason_name(REJECT_NOT_NUMBER), "not_number");
	CHECK_STR(document_reason_name(REJECT_OUT_OF_RANGE), "out_of_range");
	CHECK_STR(document_reason_name(REJECT_UNKNOWN), "unknown");
	CHECK(document_reason_name(REJECT_NONE) != NULL);
	CHECK(document_reason_name(N_REJECT_REASONS) != NULL);
	CHECK(document_reason_name((enum reject_reason) - 1) != NULL);
}

static char *
deep_body(size_t depth)
{
	char *s = xmalloc(depth * 6 + 64), *p = s;
	size_t i;

	p += snprintf(p, 64, "{\"municipality\":\"KU091\",\"x\":");
	for (i = 0; i < depth; i++) {
		memcpy(p, "{\"a\":", 5);
		p += 5;
	}
	*p++ = '1';
	for (i = 0; i < depth + 1; i++)
		*p++ = '}';
	*p = '\0';
	return s;
}

static const char nul_body[] =
    "{\"municipality\":\"KU091\0x\",\"period\":\"2026-10\"}";

static void
test_whole_rejects(void)
{
	static const struct {
		const char *body, *msg;
	} cases[] = {
		{ "", "body is not a JSON object" },
		{ " ", "body is not a JSON object" },
		{ "[]", "body is not a JSON object" },
		{ "[{\"municipality\": \"KU091\"}]",
		  "body is not a JSON object" },
		{ "null", "body is not a JSON object" },
		{ "42", "body is not a JSON object" },
		{ "\"KU091\"", "body is not a JSON object" },
		{ "{", "body is not a JSON object" },
		{ "{\"municipality\": \"KU091\",}",
		  "body is not a JSON object" },
		{ "{\"municipality\": \"KU091\", \"period\": \"2026-10\"} x",
		  "body is not a JSON object" },
		{ "{\"municipality\": \"KU091\", \"period\": \"2026-10\"}{}",
		  "body is not a JSON object" },
		{ "{\"municipality\": \"KU091\", \"period\": \"2026-10\"},",
		  "body is not a JSON object" },
		{ "{'municipality': 'KU091'}", "body is not a JSON object" },
		{ "{\"period\": \"2026-10\"}", "missing municipality" },
		{ "{}", "missing municipality" },
		{ "{\"municipality\": null, \"period\": \"2026-10\"}",
		  "missing municipality" },
		{ "{\"municipality\": 91, \"period\": \"2026-10\"}",
		  "municipality is not a string" },
		{ "{\"municipality\": [\"KU091\"], \"period\": \"2026-10\"}",
		  "municipality is not a string" },
		{ "{\"municipality\": \"KU049\", \"period\": \"2026-10\"}",
		  "document names KU049, expected KU091" },
		{ "{\"municipality\": \"ku091\", \"period\": \"2026-10\"}",
		  "document names ku091, expected KU091" },
		{ "{\"municipality\": \"KU091 \", \"period\": \"2026-10\"}",
		  "document names KU091 , expected KU091" },
		{ "{\"municipality\": \"\", \"period\": \"2026-10\"}",
		  "document names , expected KU091" },
		{ "{\"municipality\": \"K\\nU\\u0001\", \"period\": \"x\"}",
		  "document names K?U?, expected KU091" },
		{ "{\"municipality\": \"0123456789012345678901234567890\"}",
		  "document names 012345678901234567890123..., expected "
		  "KU091" },
		/* The municipality is checked before the period. */
		{ "{\"municipality\": \"KU049\"}",
		  "document names KU049, expected KU091" },
		{ "{\"municipality\": \"KU091\"}", "missing period" },
		{ "{\"municipality\": \"KU091\", \"period\": null}",
		  "missing period" },
		{ "{\"municipality\": \"KU091\", \"period\": 202610}",
		  "period is not a string" },
		{ "{\"municipality\": \"KU091\", \"period\": \"2026-13\"}",
		  "period 2026-13 is not YYYY-MM" },
		{ "{\"municipality\": \"KU091\", \"period\": \"2026-1\"}",
		  "period 2026-1 is not YYYY-MM" },
		{ "{\"municipality\": \"KU091\", \"period\": \"2026-10-01\"}",
		  "period 2026-10-01 is not YYYY-MM" },
		{ "{\"municipality\": \"KU091\", \"period\": \"\"}",
		  "period  is not YYYY-MM" },
		{ "{\"municipality\": \"KU091\", \"period\": \"2026-12\"}",
		  "period 2026-12 is in the future" },
		{ "{\"municipality\": \"KU091\", \"period\": \"2027-01\"}",
		  "period 2027-01 is in the future" },
		{ "{\"municipality\": \"KU091\", \"period\": \"9999-12\"}",
		  "period 9999-12 is in the future" },
	};
	struct document doc;
	struct error err = { 0 };
	size_t i;
	char *deep;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&doc, 0x55, sizeof(doc));
		err.msg[0] = '\0';
		rc = parse_default(cases[i].body, &doc, &err);
		if (rc >= 0) {
			fprintf(stderr, "case %zu accepted: %s\n", i,
			        cases[i].body);
			CHECK(0);
			document_reset(&doc);
			continue;
		}
		CHECK_STR(err.msg, cases[i].msg);
		/* Another municipality is told apart from other rejects. */
		CHECK(rc == (strncmp(cases[i].msg, "document names ", 15) == 0
		                 ? DOCUMENT_OTHER_AREA
		                 : -1));
		/* Nothing to free, and reset is still harmless. */
		CHECK(doc.values == NULL && doc.status == NULL &&
		      doc.violations == NULL);
		document_reset(&doc);
	}
	/* NULL body, and a body cut short by len. */
	CHECK(document_parse(cat, ku091, -1, NULL, 0, now, &doc, &err) == -1);
	CHECK_STR(err.msg, "body is not a JSON object");
	CHECK(document_parse(cat, ku091, -1, "{\"a\":1}", 6, now, &doc, &err) ==
	      -1);
	CHECK_STR(err.msg, "body is not a JSON object");
	/* Bytes after the object, even a NUL, are garbage. */
	CHECK(document_parse(
	          cat, ku091, -1,
	          "{\"municipality\":\"KU091\",\"period\":\"2026-10\"}\0", 46,
	          now, &doc, &err) == -1);
	CHECK_STR(err.msg, "body is not a JSON object");
	/* A raw NUL inside a string does not end it early: it is not JSON. */
	CHECK(document_parse(cat, ku091, -1, nul_body, sizeof(nul_body) - 1,
	                     now, &doc, &err) == -1);
	CHECK_STR(err.msg, "body is not a JSON object");
	/* Nesting past cJSON's limit is a clean whole reject... */
	deep = deep_body(100000);
	CHECK(parse_default(deep, &doc, &err) == -1);
	CHECK_STR(err.msg, "body is not a JSON object");
	free(deep);
	/* ...while nesting below it is just an ignored member. */
	deep = deep_body(500);
	CHECK(parse_default(deep, &doc, &err) == -1);
	CHECK_STR(err.msg, "missing period");
	free(deep);
	/* Bad arguments are errors, not crashes. */
	CHECK(document_parse(cat, (int)cat->n_areas, -1, "{}", 2, now, &doc,
	                     &err) == -1);
	CHECK(document_parse(cat, -1, -1, "{}", 2, now, &doc, &err) == -1);
	CHECK(document_parse(cat, ku091, (int)cat->n_profiles, "{}", 2, now,
	                     &doc, &err) == -1);
}

/* Whitespace around the object and a UTF-8 BOM are fine; len is obeyed. */
static void
test_framing(void)
{
	static const char good[] =
	    "{\"municipality\":\"KU091\",\"period\":\"2026-10\","
	    "\"measures\":{\"contacts\":7}}";
	struct document doc;
	struct error err = { 0 };
	char body[256];

	snprintf(body, sizeof(body), " \r\n\t%s \r\n\t", good);
	CHECK(parse_default(body, &doc, &err) == 0);
	CHECK_NEAR(doc.values[measure_of("contacts")], 7, 0);
	document_reset(&doc);
	snprintf(body, sizeof(body), "\xef\xbb\xbf%s\n", good);
	CHECK(parse_default(body, &doc, &err) == 0);
	document_reset(&doc);
	/* Garbage past len is not read. */
	snprintf(body, sizeof(body), "%sGARBAGE", good);
	CHECK(document_parse(cat, ku091, -1, body, strlen(good), now, &doc,
	                     &err) == 0);
	CHECK(doc.n_accepted == 1);
	document_reset(&doc);
	/* A body that is not NUL-terminated at len. */
	{
		size_t n = strlen(good);
		char *copy = xmalloc(n);

		memcpy(copy, good, n);
		CHECK(document_parse(cat, ku091, -1, copy, n, now, &doc,
		                     &err) == 0);
		document_reset(&doc);
		free(copy);
	}
}

/* The period may be the current month, never the next. */
static void
test_period_boundary(void)
{
	static const char next[] =
	    "{\"municipality\":\"KU091\",\"period\":\"2026-12\"}";
	static const char cur[] =
	    "{\"municipality\":\"KU091\",\"period\":\"2026-11\"}";
	static const char old[] =
	    "{\"municipality\":\"KU091\",\"period\":\"1970-01\"}";
	struct document doc;
	struct error err = { 0 };
	int dec;
	time_t dec_start;

	CHECK(parse_default(cur, &doc, &err) == 0);
	CHECK(doc.period == 2026 * 12 + 10);
	CHECK(doc.n_accepted == 0);
	CHECK(doc.n_rejected == cat->n_measures); /* all missing */
	document_reset(&doc);
	CHECK(parse_default(old, &doc, &err) == 0);
	document_reset(&doc);
	CHECK(parse_default(next, &doc, &err) == -1);
	CHECK_STR(err.msg, "period 2026-12 is in the future");
	/* At the first second of December, December is current. */
	CHECK(period_parse("2026-12", &dec) == 0);
	dec_start = period_start(dec);
	CHECK(document_parse(cat, ku091, -1, next, strlen(next), dec_start,
	                     &doc, &err) == 0);
	document_reset(&doc);
	CHECK(document_parse(cat, ku091, -1, next, strlen(next), dec_start - 1,
	                     &doc, &err) == -1);
	CHECK_STR(err.msg, "period 2026-12 is in the future");
}

static void
test_measures_not_object(void)
{
	static const char *const bodies[] = {
		"{\"municipality\":\"KU091\",\"period\":\"2026-10\","
		"\"measures\":[1,2,3]}",
		"{\"municipality\":\"KU091\",\"period\":\"2026-10\","
		"\"measures\":5}",
		"{\"municipality\":\"KU091\",\"period\":\"2026-10\","
		"\"measures\":\"contacts\"}",
		"{\"municipality\":\"KU091\",\"period\":\"2026-10\","
		"\"measures\":null}",
		"{\"municipality\":\"KU091\",\"period\":\"2026-10\","
		"\"contacts\":5}",
	};
	struct document doc;
	struct error err = { 0 };
	size_t i, k;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		CHECK(parse_default(bodies[i], &doc, &err) == 0);
		CHECK(doc.n_accepted == 0);
		CHECK(doc.n_unknown == 0);
		CHECK(doc.n_rejected == cat->n_measures);
		for (k = 0; k < doc.n_measures; k++) {
			CHECK(doc.status[k] == REJECT_MISSING);
			CHECK(isnan(doc.values[k]));
		}
		document_reset(&doc);
	}
}

static void
test_unknown_keys(void)
{
	struct document doc;
	struct error err = { 0 };
	char body[8192], name[64];
	size_t n, i;

	n = (size_t)snprintf(
	    body, sizeof(body),
	    "{\"municipality\":\"KU091\",\"period\":\"2026-10\","
	    "\"measures\":{\"contacts\":3");
	for (i = 0; i < 20; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
		                      ",\"extra_%02zu\":%zu", i, i);
	/* 100 bytes of name, cut to 63. */
	n += (size_t)snprintf(body + n, sizeof(body) - n, ",\"%s\":1",
	                      "0123456789012345678901234567890123456789"
	                      "0123456789012345678901234567890123456789"
	                      "01234567890123456789");
	/* Case matters: "Contacts" is not "contacts". */
	n += (size_t)snprintf(body + n, sizeof(body) - n, ",\"Contacts\":1}}");
	CHECK(n < sizeof(body));
	CHECK(parse_default(body, &doc, &err) == 0);
	CHECK(doc.n_unknown == 22);
	CHECK(doc.n_accepted == 1);
	CHECK(doc.n_rejected == 22 + cat->n_measures - 1);
	for (i = 0; i < DOCUMENT_MAX_UNKNOWN; i++) {
		snprintf(name, sizeof(name), "extra_%02zu", i);
		CHECK_STR(doc.unknown[i], name);
	}
	document_reset(&doc);

	/* Long names are cut to 63 bytes, on a character boundary, and
	 * control bytes and broken UTF-8 become "?". */
	snprintf(
	    body, sizeof(body),
	    "{\"municipality\":\"KU091\",\"period\":\"2026-10\","
	    "\"measures\":{\"%s\":1,"
	    "\"\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
	    "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
	    "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
	    "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
	    "\xc3\xa4\xc3\xa4\":1,"
	    "\"a\\nb\\u0000c\":1,\"x\xff\xc3y\":1,\"\":1}}",
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "01234567890123456789");
	CHECK(parse_default(body, &doc, &err) == 0);
	CHECK(doc.n_unknown == 5);
	CHECK(strlen(doc.unknown[0]) == 63);
	CHECK(strncmp(doc.unknown[0], "0123456789", 10) == 0);
	CHECK(strlen(doc.unknown[1]) == 62); /* 31 two-byte characters */
	CHECK(strncmp(doc.unknown[1], "\xc3\xa4\xc3\xa4", 4) == 0);
	CHECK_STR(doc.unknown[2], "a?b"); /* cJSON stops the key at \u0000 */
	CHECK_STR(doc.unknown[3], "x??y");
	CHECK_STR(doc.unknown[4], "");
	document_reset(&doc);

	/* Duplicate unknown keys are each counted. */
	CHECK(parse_default("{\"municipality\":\"KU091\",\"period\":"
	                    "\"2026-10\",\"measures\":{\"x\":1,\"x\":2}}",
	                    &doc, &err) == 0);
	CHECK(doc.n_unknown == 2);
	document_reset(&doc);
}

/* cJSON keeps duplicate members and lookups take the first, so the first
 * occurrence wins: for a measure, and for the municipality. */
static void
test_duplicates(void)
{
	struct document doc;
	struct error err = { 0 };

	CHECK(parse_default("{\"municipality\":\"KU091\",\"period\":"
	                    "\"2026-10\",\"measures\":{\"contacts\":1,"
	                    "\"contacts\":2,\"gp_open\":\"x\","
	                    "\"gp_open\":1}}",
	                    &doc, &err) == 0);
	CHECK_NEAR(doc.values[measure_of("contacts")], 1, 0);
	CHECK(doc.status[measure_of("gp_open")] == REJECT_NOT_NUMBER);
	CHECK(doc.n_unknown == 0); /* known ids are never unknown */
	document_reset(&doc);
	CHECK(parse_default("{\"municipality\":\"KU091\",\"municipality\":"
	                    "\"KU049\",\"period\":\"2026-10\"}",
	                    &doc, &err) == 0);
	document_reset(&doc);
	CHECK(parse_default("{\"municipality\":\"KU049\",\"municipality\":"
	                    "\"KU091\",\"period\":\"2026-10\"}",
	                    &doc, &err) == DOCUMENT_OTHER_AREA);
	CHECK_STR(err.msg, "document names KU049, expected KU091");
	/* Two "measures" objects: only the first is read. */
	CHECK(parse_default("{\"municipality\":\"KU091\",\"period\":"
	                    "\"2026-10\",\"measures\":{\"contacts\":1},"
	                    "\"measures\":{\"gp_open\":1,\"zz\":1}}",
	                    &doc, &err) == 0);
	CHECK(doc.n_accepted == 1);
	CHECK(doc.n_unknown == 0);
	document_reset(&doc);
}

static void
test_rules(void)
{
	size_t contacts = measure_of("contacts");
	size_t remote = measure_of("contacts_remote");
	struct document doc;
	struct error err = { 0 };
	char *body;

	/* contacts_remote <= contacts: 56 <= 10 fails; the values stay. */
	body = doc_with("contacts", "10");
	CHECK(parse_default(body, &doc, &err) == 0);
	CHECK(doc.n_violations == 1);
	CHECK(doc.violations[0] == 0);
	CHECK(cat->rules[doc.violations[0]].lhs == (int)remote);
	CHECK(doc.status[contacts] == REJECT_NONE);
	CHECK(doc.status[remote] == REJECT_NONE);
	CHECK_NEAR(doc.values[contacts], 10, 0);
	CHECK_NEAR(doc.values[remote], 56, 0);
	CHECK(doc.n_accepted == cat->n_measures);
	CHECK(doc.n_rejected == 0);
	document_reset(&doc);
	free(body);
	/* Equal is allowed by <=. */
	body = doc_with("contacts", "56");
	CHECK(parse_default(body, &doc, &err) == 0);
	CHECK(doc.n_violations == 0);
	document_reset(&doc);
	free(body);
	/* A rejected side means the rule is not checked. */
	body = doc_with("contacts", "\"10\"");
	CHECK(parse_default(body, &doc, &err) == 0);
	CHECK(doc.n_violations == 0);
	document_reset(&doc);
	free(body);
	body = doc_with("contacts", NULL);
	CHECK(parse_default(body, &doc, &err) == 0);
	CHECK(doc.n_violations == 0);
	document_reset(&doc);
	free(body);
	/* Both rules broken, listed in catalog order. */
	CHECK(parse_default("{\"municipality\":\"KU091\",\"period\":"
	                    "\"2026-10\",\"measures\":{\"contacts\":1,"
	                    "\"contacts_remote\":2,\"assessments\":0,"
	                    "\"assessments_ontime\":0.5}}",
	                    &doc, &err) == 0);
	CHECK(doc.n_violations == 2);
	CHECK(doc.n_violations == 2 && doc.violations[0] == 0 &&
	      doc.violations[1] == 1);
	document_reset(&doc);
}

/* The "espoo" profile: municipality at /meta/kunta, period at /meta/kausi,
 * gp_open at /data/palvelupiste/auki, contacts at /data/Yhteydenotot,
 * contacts_remote at /measures/etä~1yhteydet (a key with "/"), staff_fte
 * at /data/henkilöstö/1 (an array), temp_delta at /data/a~0b, the rest at
 * /measures/<id>. */
static void
test_profile(void)
{
	static const char body[] =
	    "{\"meta\": {\"kunta\": \"KU049\", \"kausi\": \"2026-09\"},"
	    " \"data\": {\"palvelupiste\": {\"auki\": 0},"
	    " \"Yhteydenotot\": 900, \"yhteydenotot\": 1,"
	    " \"henkil\xc3\xb6st\xc3\xb6\": [99, 7.5], \"a~b\": -2},"
	    " \"measures\": {\"et\xc3\xa4/yhteydet\": 80, \"assessments\": 4,"
	    " \"assessments_ontime\": null, \"contacts\": 5,"
	    " \"muuta\": 1}}";
	struct document doc;
	struct error err = { 0 };

	CHECK(document_parse(cat, ku049, espoo, body, strlen(body), now, &doc,
	                     &err) == 0);
	CHECK(doc.area == ku049);
	CHECK(doc.period == 2026 * 12 + 8);
	CHECK(doc.status[measure_of("gp_open")] == REJECT_NONE);
	CHECK_NEAR(doc.values[measure_of("gp_open")], 0, 0);
	CHECK_NEAR(doc.values[measure_of("contacts")], 900, 0); /* not 5 */
	CHECK_NEAR(doc.values[measure_of("contacts_remote")], 80, 0);
	CHECK_NEAR(doc.values[measure_of("staff_fte")], 7.5, 0);
	CHECK_NEAR(doc.values[measure_of("temp_delta")], -2, 0);
	CHECK_NEAR(doc.values[measure_of("assessments")], 4, 0);
	CHECK(doc.status[measure_of("assessments_ontime")] == REJECT_NULL);
	/* "etä/yhteydet" is the profile's own key and "contacts" an id:
	 * only "muuta" is unknown. */
	CHECK(doc.n_unknown == 1);
	CHECK_STR(doc.unknown[0], "muuta");
	CHECK(doc.n_accepted == cat->n_measures - 1);
	CHECK(doc.n_rejected == 2);
	document_reset(&doc);

	/* The default pointers mean nothing under a profile. */
	CHECK(parse_espoo("{\"municipality\":\"KU049\",\"period\":"
	                  "\"2026-09\"}",
	                  &doc, &err) == -1);
	CHECK_STR(err.msg, "missing municipality");
	CHECK(parse_espoo("{\"meta\":{\"kunta\":\"KU091\",\"kausi\":"
	                  "\"2026-09\"}}",
	                  &doc, &err) == DOCUMENT_OTHER_AREA);
	CHECK_STR(err.msg, "document names KU091, expected KU049");
	CHECK(parse_espoo("{\"meta\":{\"kunta\":\"KU049\",\"kausi\":"
	                  "\"2027-09\"}}",
	                  &doc, &err) == -1);
	CHECK_STR(err.msg, "period 2027-09 is in the future");
	/* No "/measures" object: nothing unknown, all missing. */
	CHECK(parse_espoo("{\"meta\":{\"kunta\":\"KU049\",\"kausi\":"
	                  "\"2026-09\"},\"measures\":[1]}",
	                  &doc, &err) == 0);
	CHECK(doc.n_unknown == 0);
	CHECK(doc.n_accepted == 0);
	CHECK(doc.n_rejected == cat->n_measures);
	document_reset(&doc);
	/* The array index must exist. */
	CHECK(parse_espoo("{\"meta\":{\"kunta\":\"KU049\",\"kausi\":"
	                  "\"2026-09\"},\"data\":{\"henkil\xc3\xb6st"
	                  "\xc3\xb6\":[1]}}",
	                  &doc, &err) == 0);
	CHECK(doc.status[measure_of("staff_fte")] == REJECT_MISSING);
	document_reset(&doc);
}

/* A number's length is no limit: 400 digits read as the nearest double. */
static void
test_long_numbers(void)
{
	struct document doc;
	struct error err = { 0 };
	char digits[400], *body;

	memset(digits, '0', sizeof(digits));
	memcpy(digits, "12.", 3);
	digits[sizeof(digits) - 2] = '1';
	digits[sizeof(digits) - 1] = '\0';
	body = doc_with("contacts", digits);
	CHECK(parse_default(body, &doc, &err) == 0);
	CHECK(doc.status[measure_of("contacts")] == REJECT_NONE);
	CHECK_NEAR(doc.values[measure_of("contacts")], 12, 0);
	document_reset(&doc);
	free(body);
	memset(digits, '9', 300); /* a 399-digit integer: inf */
	body = doc_with("contacts", digits);
	CHECK(parse_default(body, &doc, &err) == 0);
	CHECK(doc.status[measure_of("contacts")] == REJECT_OUT_OF_RANGE);
	document_reset(&doc);
	free(body);
}

int
main(void)
{
	struct tm tm = { 0 };

	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 10;
	tm.tm_mday = 15;
	tm.tm_hour = 12;
	now = timegm(&tm);
	cat = make_catalog();
	ku091 = area_of("KU091");
	ku049 = area_of("KU049");
	espoo = profile_of("espoo");

	RUN(test_accept_all);
	RUN(test_reject_reasons);
	RUN(test_reason_names);
	RUN(test_whole_rejects);
	RUN(test_framing);
	RUN(test_period_boundary);
	RUN(test_measures_not_object);
	RUN(test_unknown_keys);
	RUN(test_duplicates);
	RUN(test_rules);
	RUN(test_profile);
	RUN(test_long_numbers);
	catalog_unref(cat);
	return check_done();
}
