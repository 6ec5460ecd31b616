/*
 * ingest.c: the one path from a municipal document to storage. Polled and
 * submitted documents both come here: parse -> validate -> write the
 * accepted measures to the area's RRD file -> record the outcome in SQLite.
 * It holds no state of its own; the stores serialise their writes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "log.h"
#include "timespec.h"
#include "xmalloc.h"

int
ingest_heartbeat(const struct ingest_ctx *ctx, int area)
{
	if (ctx->cat->areas[area].endpoint >= 0)
		return 3 * ctx->interval_s;
	return SUBMISSION_HEARTBEAT_S;
}

/* The record of a document that was taken, with its rejections. */
static int
record(const struct ingest_ctx *ctx, const struct area *a, time_t now,
       const struct ingest_meta *meta, size_t len, const struct document *doc,
       const char *error)
{
	const struct catalog *cat = ctx->cat;
	struct db_rejection *rej = NULL;
	const char **viol = NULL;
	struct db_outcome o = { 0 };
	size_t i, n = 0;
	int rc;

	o.area = a->code;
	o.time = now;
	o.source = meta->source;
	o.http_status = meta->http_status;
	o.latency_ms = meta->latency_ms;
	o.n_bytes = len;
	o.period = doc != NULL ? doc->period : -1;
	o.error = error;
	if (doc != NULL) {
		/* every rejection is recorded: one per measure at most, plus
		 * the unknown keys the document kept by name */
		rej = xcalloc(doc->n_measures + DOCUMENT_MAX_UNKNOWN,
		              sizeof(*rej));
		viol = xcalloc(doc->n_violations + 1, sizeof(*viol));
		o.n_accepted = doc->n_accepted;
		o.n_rejected = doc->n_rejected;
		for (i = 0; i < doc->n_measures; i++) {
			if (doc->status[i] == REJECT_NONE)
				continue;
			rej[n].measure = cat->measures[i].id;
			rej[n].reason = document_reason_name(doc->status[i]);
			n++;
		}
		for (i = 0; i < doc->n_unknown && i < DOCUMENT_MAX_UNKNOWN;
		     i++) {
			rej[n].measure = doc->unknown[i];
			rej[n].reason = document_reason_name(REJECT_UNKNOWN);
			n++;
		}
		for (i = 0; i < doc->n_violations; i++)
			viol[i] = cat->rules[doc->violations[i]].text;
		o.n_violations = doc->n_violations;
	}
	o.rejections = rej;
	o.n_rejections = n;
	o.violations = viol;
	rc = store_db_record(ctx->db, &o);
	free(viol);
	free(rej);
	return rc;
}

int
ingest_document(const struct ingest_ctx *ctx, int area, const char *body,
                size_t len, time_t now, const struct ingest_meta *meta,
                struct document *out_doc, struct error *err)
{
	const struct catalog *cat = ctx->cat;
	const struct area *a = &cat->areas[area];
	struct error ignored = { 0 };
	time_t last = 0;
	int profile = -1, rc;

	/* A submission is always in the layout of SPEC §4; a profile
	 * describes one endpoint's document only. */
	if (a->endpoint >= 0 && strcmp(meta->source, "poll") == 0)
		profile = cat->endpoints[a->endpoint].profile;
	if ((rc = document_parse(cat, area, profile, body, len, now, out_doc,
	                         err)) < 0) {
		record(ctx, a, now, meta, len, NULL, err->msg);
		return rc == DOCUMENT_OTHER_AREA ? INGEST_OTHER_AREA
		                                 : INGEST_REJECTED;
	}
	if (out_doc->n_accepted > 0) {
		if (store_rrd_prepare(
		        ctx->rrd, a->code, cat->measures, cat->n_measures,
		        ingest_heartbeat(ctx, area), now - 1, err) < 0 ||
		    store_rrd_update(ctx->rrd, a->code, cat->measures,
		                     cat->n_measures, &now, out_doc->values, 1,
		                     err) < 0) {
			record(ctx, a, now, meta, len, NULL, err->msg);
			document_reset(out_doc);
			/* An RRD file takes one write a second: a poll or
			 * another submission got there first. Asked only on
			 * failure, off the hot path. */
			if (store_rrd_last(ctx->rrd, a->code, &last,
			                   &ignored) == 0 &&
			    last >= now)
				return INGEST_TOO_SOON;
			return INGEST_STORE_FAILED;
		}
	}
	record(ctx, a, now, meta, len, out_doc, NULL);
	return INGEST_TAKEN;
}

int
ingest_failure(const struct ingest_ctx *ctx, int area, time_t now,
               const struct ingest_meta *meta, size_t n_bytes,
               const char *error)
{
	return record(ctx, &ctx->cat->areas[area], now, meta, n_bytes, NULL,
	              error);
}

int
ingest_prepare_all(const struct ingest_ctx *ctx)
{
	const struct catalog *cat = ctx->cat;
	struct error err = { 0 };
	size_t i;
	int n_failed = 0;

	for (i = cat->first_municipality; i < cat->n_areas; i++) {
		const char *code = cat->areas[i].code;
		char q[300];

		if (!store_rrd_exists(ctx->rrd, code))
			continue;
		if (store_rrd_prepare(
		        ctx->rrd, code, cat->measures, cat->n_measures,
		        ingest_heartbeat(ctx, (int)i), time(NULL), &err) < 0) {
			log_error("cannot bring file up to the catalog",
			          "area=%s err=%s", code,
			          log_quote(err.msg, q, sizeof(q)));
			n_failed++;
		}
	}
	return n_failed;
}
