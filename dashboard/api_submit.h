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

/* Whether a Content-Type header value is application/json (any case),
 * with parameters of proper syntax and, if a charset is named, UTF-8. */
bool api_submit_is_json(const char *content_type);

/* The status for a document rejected whole with msg (document_parse's):
 * 403 when it names another municipality than the token's, else 400. */
int api_submit_reject_status(const char *msg);

/* The 202 answer for a document taken: {"area", "period", "accepted":
 * [ids], "rejected": [{"measure", "reason"}], "violations": [rule texts]}.
 * The caller frees it with cJSON_Delete. */
cJSON *api_submit_answer(const struct catalog *cat, const struct document *doc);

#endif
