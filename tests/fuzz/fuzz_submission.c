/*
 * fuzz_submission.c: what POST /api/v1/submissions does with a request
 * before storage, on arbitrary bytes: the first line is the Content-Type,
 * the rest the body. The body is parsed as the token's municipality's
 * document (KU091, the SPEC §4 layout) against a fixed small catalog; a
 * taken document becomes the 202 answer, a refused one the 400/403 error.
 * Checks: both answers are JSON that parses back, the 202 answer's lists
 * match the document's counts, a refusal is 400 or 403 only. Writes no
 * files: ingest's storage half is left out.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_submit.h"
#include "respond.h"
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

static int
array_size(const cJSON *obj, const char *name)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!cJSON_IsArray(a))
		abort();
	return cJSON_GetArraySize(a);
}

static void
check_answer(const struct catalog *cat, const struct document *doc)
{
	/* the kind is the ingest's, not the document's: any one will do */
	cJSON *a = api_submit_answer(cat, doc, INGEST_NEW), *back;
	char *text = cJSON_PrintUnformatted(a);
	size_t n_unknown = doc->n_unknown < DOCUMENT_MAX_UNKNOWN
	                       ? doc->n_unknown
	                       : DOCUMENT_MAX_UNKNOWN;

	if (text == NULL)
		abort();
	back = cJSON_Parse(text);
	if (back == NULL ||
	    array_size(back, "accepted") != (int)doc->n_accepted ||
	    array_size(back, "rejected") !=
	        (int)(doc->n_measures - doc->n_accepted + n_unknown) ||
	    array_size(back, "violations") != (int)doc->n_violations ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(back, "period")) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(back, "kind")))
		abort();
	cJSON_Delete(back);
	cJSON_free(text);
	cJSON_Delete(a);
}

static void
check_refusal(int rc, const struct error *err)
{
	int status = api_submit_refusal_status(rc);
	struct response resp;
	cJSON *back;

	if (status != 400 && status != 403)
		abort();
	response_init(&resp);
	respond_error(&resp, status, "%s", err->msg);
	back = cJSON_ParseWithLength(resp.body, resp.body_len);
	if (back == NULL ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(back, "error")))
		abort();
	cJSON_Delete(back);
	response_reset(&resp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct catalog *cat = fixed_catalog();
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ct_len = nl != NULL ? (size_t)(nl - data) : size;
	size_t body_len = nl != NULL ? size - ct_len - 1 : 0;
	struct document doc;
	struct error err;
	int rc;
	char *ct, *body;

	if (size > MAX_INPUT_BYTES)
		return 0;
	ct = malloc(ct_len + 1);
	body = malloc(body_len + 1); /* NUL-terminated, as the server's */
	if (ct == NULL || body == NULL)
		abort();
	memcpy(ct, data, ct_len);
	ct[ct_len] = '\0';
	if (body_len > 0)
		memcpy(body, nl + 1, body_len);
	body[body_len] = '\0';

	(void)api_submit_is_json(ct);
	memset(&err, 0, sizeof(err));
	rc = document_parse(cat, catalog_find_area(cat, "KU091"), -1, body,
	                    body_len, NOW, &doc, &err);
	if (rc == 0) {
		check_answer(cat, &doc);
		document_reset(&doc);
	} else {
		check_refusal(rc, &err);
	}
	free(body);
	free(ct);
	return 0;
}
