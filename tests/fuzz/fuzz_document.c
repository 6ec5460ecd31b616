/*
 * fuzz_document.c: municipal documents against a fixed small catalog, read
 * through the default layout (KU091) and a profile (KU049, "p"). Checks
 * the document's own invariants on every accepted input: counts add up,
 * values are NaN exactly where rejected and in range where accepted,
 * unknown names are terminated, violations name real rules.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "document.h"
#include "fixture.h"

#define MAX_BODY_BYTES (256 * 1024)
#define NOW ((time_t)1794744000) /* 2026-11-15 12:00:00 UTC */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* clang-format off */
static const char measures_json[] =
    "{" FIXTURE_SUBMIT_MEASURES ","
    " \"profiles\": {\"p\": {\"municipality\": \"/m/k\","
    " \"period\": \"/m/p/0\", \"measures\": {"
    "\"gp_open\": \"/d/a~1b\", \"contacts\": \"/d/c~0/1\","
    " \"contacts_remote\": \"/measures/r\"}}}}";
static const char endpoints_csv[] =
    "area,url,profile\nKU049,http://127.0.0.1:1/,p\n";
/* clang-format on */

static struct catalog *
fixed_catalog(void)
{
	static struct catalog *cat;

	if (cat == NULL)
		cat = fixture_catalog(FIXTURE_REGIONS, FIXTURE_MUNICIPALITIES,
		                      measures_json, endpoints_csv);
	return cat;
}

static void
check(const struct catalog *cat, const struct document *doc)
{
	size_t i, n_bad = 0, n_good = 0;

	if (doc->n_measures != cat->n_measures)
		abort();
	for (i = 0; i < doc->n_measures; i++) {
		const struct measure *m = &cat->measures[i];

		if (doc->status[i] == REJECT_NONE) {
			if (!(doc->values[i] >= m->min &&
			      doc->values[i] <= m->max) ||
			    signbit(doc->values[i]) != (doc->values[i] < 0))
				abort();
			n_good++;
		} else {
			if (!isnan(doc->values[i]) ||
			    doc->status[i] >= N_REJECT_REASONS ||
			    doc->status[i] == REJECT_UNKNOWN)
				abort();
			n_bad++;
		}
	}
	if (doc->n_accepted != n_good ||
	    doc->n_rejected != n_bad + doc->n_unknown)
		abort();
	for (i = 0; i < doc->n_unknown && i < DOCUMENT_MAX_UNKNOWN; i++)
		if (memchr(doc->unknown[i], '\0', sizeof(doc->unknown[i])) ==
		    NULL)
			abort();
	if (doc->n_violations > cat->n_rules)
		abort();
	for (i = 0; i < doc->n_violations; i++)
		if (doc->violations[i] < 0 ||
		    (size_t)doc->violations[i] >= cat->n_rules)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct catalog *cat = fixed_catalog();
	struct document doc;
	struct error err;
	char *body;
	int area;

	if (size > MAX_BODY_BYTES)
		return 0;
	/* An exact-size copy, so a read past len is caught. */
	body = malloc(size ? size : 1);
	if (body == NULL)
		return 0;
	memcpy(body, data, size);
	area = catalog_find_area(cat, "KU091");
	memset(&err, 0, sizeof(err));
	if (document_parse(cat, area, -1, body, size, NOW, &doc, &err) == 0) {
		check(cat, &doc);
		document_reset(&doc);
	} else if (err.msg[0] == '\0' || doc.values != NULL) {
		abort();
	}
	area = catalog_find_area(cat, "KU049");
	if (document_parse(cat, area, cat->endpoints[0].profile, body, size,
	                   NOW, &doc, &err) == 0) {
		check(cat, &doc);
		document_reset(&doc);
	} else if (err.msg[0] == '\0' || doc.values != NULL) {
		abort();
	}
	free(body);
	return 0;
}
