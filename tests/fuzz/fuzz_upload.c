/*
 * fuzz_upload.c: a CSV upload to POST /api/v1/submissions before
 * storage, on arbitrary bytes: the body read as the token's
 * municipality's rows (KU091) against a fixed small catalog. Checks what
 * the handler relies on: a refusal is 400 or 403 with a message naming
 * its line; a taken upload is one document per period, ascending, each
 * KU091's, every row an accepted figure (bounds were checked per row)
 * and no measure rejected but the ones without a row; its answer is JSON
 * that parses back with one entry per period. Writes no files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_submit.h"
#include "fixture.h"

#define MAX_INPUT_BYTES (256 * 1024)
#define NOW ((time_t)1794744000) /* 2026-11-15 12:00:00 UTC */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* clang-format off */
static const char measures_json[] =
    "{" FIXTURE_SUBMIT_MEASURES "}";
/* clang-format on */

static struct catalog *
fixed_catalog(void)
{
	static struct catalog *cat;

	if (cat == NULL)
		cat = fixture_catalog(FIXTURE_REGIONS, FIXTURE_MUNICIPALITIES,
		                      measures_json, NULL);
	return cat;
}

static void
check_taken(const struct catalog *cat, int area, const struct upload *up)
{
	enum ingest_kind *kinds = calloc(up->n_docs + 1, sizeof(*kinds));
	size_t i, m, n_accepted = 0;
	cJSON *a, *back, *periods;
	char *text;

	if (kinds == NULL || up->n_docs == 0 || up->n_docs > up->n_rows)
		abort();
	for (i = 0; i < up->n_docs; i++) {
		const struct document *d = &up->docs[i];

		if (d->area != area || (i > 0 && d->period <= d[-1].period) ||
		    d->n_unknown != 0 || d->n_accepted == 0)
			abort();
		for (m = 0; m < d->n_measures; m++)
			if (d->status[m] != REJECT_NONE &&
			    d->status[m] != REJECT_MISSING)
				abort();
		n_accepted += d->n_accepted;
		kinds[i] = (enum ingest_kind)(i % 4);
	}
	if (n_accepted != up->n_rows)
		abort();
	a = api_submit_upload_answer(cat, up, kinds);
	text = cJSON_PrintUnformatted(a);
	if (text == NULL)
		abort();
	back = cJSON_Parse(text);
	periods = cJSON_GetObjectItemCaseSensitive(back, "periods");
	if (back == NULL || !cJSON_IsArray(periods) ||
	    cJSON_GetArraySize(periods) != (int)up->n_docs)
		abort();
	cJSON_Delete(back);
	cJSON_free(text);
	cJSON_Delete(a);
	free(kinds);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct catalog *cat = fixed_catalog();
	int area = catalog_find_area(cat, "KU091");
	struct upload up;
	struct error err;
	char *body;
	int status;

	if (size > MAX_INPUT_BYTES)
		return 0;
	body = malloc(size + 1); /* NUL-terminated, as the server's */
	if (body == NULL)
		abort();
	if (size > 0)
		memcpy(body, data, size);
	body[size] = '\0';
	memset(&err, 0, sizeof(err));
	status = api_submit_upload_parse(cat, area, body, size, NOW, &up, &err);
	if (status == 0) {
		check_taken(cat, area, &up);
		api_submit_upload_reset(&up);
	} else if ((status != 400 && status != 403) ||
	           strncmp(err.msg, "line ", 5) != 0 || up.docs != NULL) {
		abort();
	}
	free(body);
	return 0;
}
