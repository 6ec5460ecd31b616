/*
 * api_submit.h: the pure pieces of POST /api/v1/submissions, apart from
 * the handler so that unit tests and the fuzzer reach them without a
 * socket or storage.
 */
#ifndef KUNTAMON_API_SUBMIT_H
#define KUNTAMON_API_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "document.h"
#include "ingest.h"

/* Whether a Content-Type header value is application/json (any case),
 * with parameters of proper syntax and, if a charset is named, UTF-8. */
bool api_submit_is_json(const char *content_type);
/* The same for text/csv: a CSV upload (SPEC §8). */
bool api_submit_is_csv(const char *content_type);

/* Whether ?dry_run= asks for a dry run: 1 if "1" or "true", 0 if absent,
 * "0" or "false", -1 for anything else. */
int api_submit_dry_run(const char *value);

/* The status for a submission ingest_document refused (a negative enum
 * ingest_result; document_parse's -1 and DOCUMENT_OTHER_AREA mean the
 * same): 403 for another municipality's document, 400 for a document
 * rejected whole, else 503 (nothing was stored: send again). */
int api_submit_refusal_status(int result);

/* The 202 answer for a document taken: {"area", "period", "kind" (new,
 * revision, late, unchanged), "accepted": [ids], "rejected": [{"measure",
 * "reason"}], "violations": [rule texts]}. The caller frees it with
 * cJSON_Delete. */
cJSON *api_submit_answer(const struct catalog *cat, const struct document *doc,
                         enum ingest_kind kind);

/* A CSV upload, checked whole: its rows as one document per period,
 * periods ascending, each judged by document_parse as a submitted one
 * (rule violations included). A measure without a row is not rejected:
 * it keeps the figure it had. */
struct upload {
	size_t n_rows;
	struct document *docs;
	size_t n_docs;
};

/* Reads body (the import format, area,period,measure,value) as area's
 * rows at now: 0 with *out filled (api_submit_upload_reset), or the
 * status to answer with err->msg naming the line: 400 for a malformed
 * row, a bad or out-of-bounds value, a future period, a duplicate or no
 * rows at all; 403 for a row of another municipality. Pure. */
int api_submit_upload_parse(const struct catalog *cat, int area,
                            const char *body, size_t len, time_t now,
                            struct upload *out, struct error *err);
void api_submit_upload_reset(struct upload *up);

/* The answer for an upload taken: {"area", "rows", "periods": [{"period",
 * "kind", "accepted", "rejected", "violations"}]}, kinds[up->n_docs]. The
 * caller frees it with cJSON_Delete. */
cJSON *api_submit_upload_answer(const struct catalog *cat,
                                const struct upload *up,
                                const enum ingest_kind *kinds);

#endif
