/*
 * fuzz_data_period.c: data_resolve's period= (and lang=) on arbitrary
 * text: the first line is the period, a second one the language. What
 * resolves is a range of months, first <= last, LAST_N_MONTHS ending at
 * the expected period with N in 1..120, written back into the question
 * as YYYY-MM..YYYY-MM, which resolves again to the same range. What does
 * not names the parameter and leaves nothing to free.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "data.h"
#include "fixture.h"
#include "timespec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXPECTED (2026 * 12 + 2) /* 2026-03 */
#define INPUT_MAX 1100

/* clang-format off */
static const char regions_csv[] = "code,name_fi,name_sv\n01,Uusimaa,Nyland\n";
static const char municipalities_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,684018,124010\n";
static const char measures_json[] =
    "{\"measures\": [" FIXTURE_MEASURE("gp_open", "sum", "false") "],"
    " \"rules\": []}";
/* clang-format on */

static int
resolve(const struct catalog *cat, const char *period, const char *lang,
        struct data_query *q, struct error *err)
{
	struct data_params p;

	memset(&p, 0, sizeof(p));
	p.indicator = "gp_open";
	p.area = "KU091";
	p.period = period;
	p.lang = lang;
	memset(err, 0, sizeof(*err));
	return data_resolve(cat, &p, EXPECTED, q, err);
}

static void
check_ok(const struct catalog *cat, const char *period, const char *lang,
         const struct data_query *q)
{
	struct data_query again;
	struct error err;
	char first[16], last[16], want[48];
	long n;
	int p;

	if (q->first_period > q->last_period || q->n_areas != 1 ||
	    q->n_items != 1)
		abort();
	if (strncmp(period, "LAST_", 5) == 0) {
		n = strtol(period + 5, NULL, 10);
		if (q->last_period != EXPECTED || n < 1 ||
		    n > DATA_MAX_MONTHS || q->first_period != EXPECTED - n + 1)
			abort();
	} else if (strstr(period, "..") == NULL) {
		if (period_parse(period, &p) < 0 || p != q->first_period ||
		    p != q->last_period)
			abort();
	}
	if (lang != NULL && (int)q->lang != (strcmp(lang, "sv") == 0   ? 1
	                                     : strcmp(lang, "en") == 0 ? 2
	                                                               : 0))
		abort();
	/* the range as the question's text says it resolves to itself */
	period_format(q->first_period, first, sizeof(first));
	period_format(q->last_period, last, sizeof(last));
	snprintf(want, sizeof(want), "&period=%s..%s&", first, last);
	if (strstr(q->text, want) == NULL)
		abort();
	snprintf(want, sizeof(want), "%s..%s", first, last);
	if (resolve(cat, want, lang, &again, &err) != DATA_OK ||
	    again.first_period != q->first_period ||
	    again.last_period != q->last_period ||
	    strcmp(again.text, q->text) != 0)
		abort();
	data_query_reset(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct catalog *cat;
	char text[INPUT_MAX + 1], *lang = NULL, *nl;
	struct data_query q;
	struct error err;
	int rc;

	if (cat == NULL)
		cat = fixture_catalog(regions_csv, municipalities_csv,
		                      measures_json, NULL);
	if (size > INPUT_MAX)
		size = INPUT_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	if ((nl = strchr(text, '\n')) != NULL) {
		*nl = '\0';
		lang = nl + 1;
	}
	rc = resolve(cat, text, lang, &q, &err);
	if (rc == DATA_OK) {
		check_ok(cat, text, lang, &q);
		data_query_reset(&q);
		return 0;
	}
	/* one area and one item: at most 96,360 months, never too many */
	if (rc != DATA_BAD ||
	    (strncmp(err.msg, "parameter period: ", 18) != 0 &&
	     strncmp(err.msg, "parameter lang: ", 16) != 0) ||
	    q.areas != NULL || q.items != NULL || q.text[0] != '\0')
		abort();
	return 0;
}
