/*
 * api_submit.h: the pure pieces of POST /api/v1/submissions, apart from
 * the handler so that unit tests and the fuzzer reach them without a
 * socket or storage.
 */
#ifndef KUNTAMON_API_SUBMIT_H
#define KUNTAMON_API_SUBMIT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "document.h"
#include "ingest.h"

/* Whether a Content-Type header value is application/json (any case),
 * with parameters of proper syntax and, if a charset is named, UTF-8. */
bool api_submit_is_json(const char *content_type);

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

#endif
