/*
 * ingest.h: the single path from a municipal document to storage, for
 * polled and submitted documents alike: parse -> validate -> write RRD ->
 * record in SQLite.
 */
#ifndef KUNTAMON_INGEST_H
#define KUNTAMON_INGEST_H

#include <stddef.h>
#include <time.h>

#include "catalog.h"
#include "document.h"
#include "error.h"
#include "store_db.h"
#include "store_rrd.h"

#define SUBMISSION_HEARTBEAT_S (40 * 86400)

struct ingest_ctx {
	const struct catalog *cat;
	struct store_rrd *rrd;
	struct store_db *db;
	int interval_s; /* polled files' heartbeat is three intervals */
};

/* How a document arrived, for the record. */
struct ingest_meta {
	const char *source; /* "poll" or "submission" */
	int http_status;
	double latency_ms;
};

/* The heartbeat of area's file: three intervals if it has an endpoint,
 * 40 days if it reports by submission. */
int ingest_heartbeat(const struct ingest_ctx *ctx, int area);

/* What ingest_document did; callers that answer someone (submissions)
 * branch on it. */
enum ingest_result {
	INGEST_TAKEN = 0,
	INGEST_REJECTED = -1,                    /* the document, whole */
	INGEST_OTHER_AREA = DOCUMENT_OTHER_AREA, /* names another one */
	INGEST_TOO_SOON = -3, /* the file already took a write this second */
	INGEST_STORE_FAILED = -4,
};

/* Takes body as area's document at now: writes the accepted measures to its
 * RRD file and records the outcome. Returns INGEST_TAKEN with *out_doc
 * filled (the caller calls document_reset) when the document was taken,
 * maybe partly; else a negative enum ingest_result with err->msg (the
 * outcome is recorded either way). Thread-safe. */
int ingest_document(const struct ingest_ctx *ctx, int area, const char *body,
                    size_t len, time_t now, const struct ingest_meta *meta,
                    struct document *out_doc, struct error *err);

/* Records a poll that brought no document (error says why). */
int ingest_failure(const struct ingest_ctx *ctx, int area, time_t now,
                   const struct ingest_meta *meta, size_t n_bytes,
                   const char *error);

/* Brings every existing file up to the catalog: data sources for measures
 * added since, heartbeats. Run on start and after SIGHUP. Returns how many
 * files failed (each logged). */
int ingest_prepare_all(const struct ingest_ctx *ctx);

#endif
