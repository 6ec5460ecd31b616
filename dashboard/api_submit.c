/*
 * api_submit.c: POST /api/v1/submissions, a municipality's own document,
 * or its rows in the import format (Content-Type text/csv), or either one
 * checked only (?dry_run=1).
 *
 * The server has already checked the token (auth.c: 401, 429) and the
 * size (413) before the body was read. Here: only a municipal token
 * submits (403), the body must say it is JSON or CSV (415), and the
 * document goes through ingest_document, the same path as a polled one,
 * as the token's municipality at the time of arrival. Every outcome,
 * taken or refused, goes to the audit log.
 *
 * The answer says what the document did to the figures (new, revision,
 * late, unchanged: SPEC §4); what it says is committed before it is sent
 * (store_db_record commits a submission's record at once). A 202 means
 * the figures and the document's record are committed; a write that
 * fails (disk full, the database locked past its busy timeout) rolls
 * back whole and answers 503, so the client sends it again. The audit
 * line of a 202 is written after the commit: should that one write fail,
 * the receipt stands (logged), as the figures do.
 *
 * A dry run takes the same path with ingest's is_dry_run: parsed, judged
 * and classified against the figures held, and nothing written - no
 * figure, record, audit line or counter - so a form may check itself as
 * it is filled. Its answer is the receipt a real one would get (200, and
 * "dry_run": true); a document refused whole is refused as a real one.
 *
 * A CSV upload is all or none: every row is checked first (the import's
 * own parser, model/import_csv.c), each period's rows become a document
 * judged by document_parse like any other, and the periods are committed
 * together in one transaction (ingest_documents). A value a document
 * would have had rejected on its own refuses the whole upload here:
 * rows are checked figures, not a form half filled in.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_submit.h"
#include "app.h"
#include "auth.h"
#include "clock.h"
#include "import_csv.h"
#include "ingest.h"
#include "query.h"
#include "routes.h"
#include "timespec.h"
#include "xmalloc.h"

bool
api_submit_is_json(const char *content_type)
{
	return query_media_type_is(content_type, "application/json");
}

bool
api_submit_is_csv(const char *content_type)
{
	return query_media_type_is(content_type, "text/csv");
}

int
api_submit_dry_run(const char *value)
{
	if (value == NULL || strcmp(value, "0") == 0 ||
	    strcmp(value, "false") == 0)
		return 0;
	if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0)
		return 1;
	return -1;
}

int
api_submit_refusal_status(int result)
{
	switch (result) {
	case INGEST_OTHER_AREA:
		return 403;
	case INGEST_REJECTED:
		return 400;
	default:
		return 503;
	}
}

static void
add_string(cJSON *array, const char *s)
{
	cJSON_AddItemToArray(array, cJSON_CreateString(s));
}

static void
add_rejection(cJSON *array, const char *measure, const char *reason)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "measure", measure);
	cJSON_AddStringToObject(r, "reason", reason);
	cJSON_AddItemToArray(array, r);
}

/* doc's judgement into obj: "period", "kind", "accepted", "rejected",
 * "violations"; with is_sparse (rows) a measure not given is left out. */
static void
add_document(cJSON *obj, const struct catalog *cat, const struct document *doc,
             enum ingest_kind kind, bool is_sparse)
{
	cJSON *accepted = cJSON_CreateArray(), *rejected = cJSON_CreateArray();
	cJSON *violations = cJSON_CreateArray();
	char period[16];
	size_t i;

	period_format(doc->period, period, sizeof(period));
	cJSON_AddStringToObject(obj, "period", period);
	cJSON_AddStringToObject(obj, "kind", ingest_kind_name(kind));
	for (i = 0; i < doc->n_measures; i++) {
		if (doc->status[i] == REJECT_NONE)
			add_string(accepted, cat->measures[i].id);
		else if (!is_sparse || doc->status[i] != REJECT_MISSING)
			add_rejection(rejected, cat->measures[i].id,
			              document_reason_name(doc->status[i]));
	}
	for (i = 0; i < doc->n_unknown && i < DOCUMENT_MAX_UNKNOWN; i++)
		add_rejection(rejected, doc->unknown[i],
		              document_reason_name(REJECT_UNKNOWN));
	for (i = 0; i < doc->n_violations; i++)
		add_string(violations, cat->rules[doc->violations[i]].text);
	cJSON_AddItemToObject(obj, "accepted", accepted);
	cJSON_AddItemToObject(obj, "rejected", rejected);
	cJSON_AddItemToObject(obj, "violations", violations);
}

cJSON *
api_submit_answer(const struct catalog *cat, const struct document *doc,
                  enum ingest_kind kind)
{
	cJSON *root = cJSON_CreateObject();

	cJSON_AddStringToObject(root, "area", cat->areas[doc->area].code);
	add_document(root, cat, doc, kind, false);
	return root;
}

/* ---- CSV uploads ---- */

void
api_submit_upload_reset(struct upload *up)
{
	size_t i;

	if (up == NULL)
		return;
	for (i = 0; i < up->n_docs; i++)
		document_reset(&up->docs[i]);
	free(up->docs);
	memset(up, 0, sizeof(*up));
}

/* rows[0 .. n) (one period's, of area) as the document a municipality
 * would send, judged by document_parse: the one place a figure is judged.
 * Numbers print back exactly (cJSON prints 17 digits where 15 do not
 * round-trip). */
static int
period_document(const struct catalog *cat, int area,
                const struct import_row *rows, size_t n, time_t now,
                struct document *out, struct error *err)
{
	cJSON *root = cJSON_CreateObject(), *measures;
	char period[16], *text;
	size_t i;
	int rc;

	period_format(rows[0].period, period, sizeof(period));
	cJSON_AddStringToObject(root, "municipality", cat->areas[area].code);
	cJSON_AddStringToObject(root, "period", period);
	measures = cJSON_AddObjectToObject(root, "measures");
	for (i = 0; i < n; i++)
		cJSON_AddNumberToObject(
		    measures, cat->measures[rows[i].measure].id, rows[i].value);
	text = xmust(cJSON_PrintUnformatted(root));
	cJSON_Delete(root);
	rc = document_parse(cat, area, -1, text, strlen(text), now, out, err);
	cJSON_free(text);
	return rc;
}

int
api_submit_upload_parse(const struct catalog *cat, int area, const char *body,
                        size_t len, time_t now, struct upload *out,
                        struct error *err)
{
	struct import_row *rows = NULL;
	size_t n = 0, i, j, first_other = 0;
	int status = 400, k;

	memset(out, 0, sizeof(*out));
	if (import_csv_parse(cat, period_of(now), body, len, &rows, &n, err) <
	    0) {
		/* name the line for whoever reads the message alone */
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		error_set(err, err->line, "line %d: %s", err->line, msg);
		return 400;
	}
	if (n == 0) {
		error_set(err, 2, "line 2: no rows after the header");
		goto out;
	}
	/* another municipality's rows: the first in the file is named */
	for (i = 0; i < n; i++)
		if (rows[i].area != area &&
		    (first_other == 0 ||
		     rows[i].line < rows[first_other - 1].line))
			first_other = i + 1;
	if (first_other > 0) {
		const struct import_row *r = &rows[first_other - 1];

		error_set(
		    err, r->line,
		    "line %d: a row of %s; this token reports for %s only",
		    r->line, cat->areas[r->area].code, cat->areas[area].code);
		status = 403;
		goto out;
	}
	out->n_rows = n;
	out->docs = xcalloc(n, sizeof(*out->docs));
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && rows[j].period == rows[i].period; j++)
			;
		if ((k = period_document(cat, area, &rows[i], j - i, now,
		                         &out->docs[out->n_docs], err)) < 0) {
			/* the rows were checked: only a clock that went back
			 * since gets here */
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			error_set(err, rows[i].line, "line %d: %s",
			          rows[i].line, msg);
			goto out;
		}
		out->n_docs++;
	}
	status = 0;
out:
	if (status != 0)
		api_submit_upload_reset(out);
	free(rows);
	return status;
}

cJSON *
api_submit_upload_answer(const struct catalog *cat, const struct upload *up,
                         const enum ingest_kind *kinds)
{
	cJSON *root = cJSON_CreateObject(), *periods;
	size_t i;

	cJSON_AddStringToObject(
	    root, "area",
	    up->n_docs > 0 ? cat->areas[up->docs[0].area].code : "");
	cJSON_AddNumberToObject(root, "rows", (double)up->n_rows);
	periods = cJSON_AddArrayToObject(root, "periods");
	for (i = 0; i < up->n_docs; i++) {
		cJSON *p = cJSON_CreateObject();

		add_document(p, cat, &up->docs[i], kinds[i], true);
		cJSON_AddItemToArray(periods, p);
	}
	return root;
}

/* ---- the handler ---- */

/* The counters, as the scheduler keeps them for a polled document; with
 * is_sparse (an upload's rows) a measure without a row is no rejection. */
static void
count_taken(struct app *app, const struct document *doc, bool is_sparse)
{
	struct app_stats *stats = &app->stats;
	size_t i;

	atomic_fetch_add(&stats->documents_accepted, 1);
	atomic_fetch_add(&stats->measures_accepted, doc->n_accepted);
	for (i = 0; i < doc->n_measures; i++)
		if (doc->status[i] != REJECT_NONE &&
		    !(is_sparse && doc->status[i] == REJECT_MISSING))
			atomic_fetch_add(
			    &stats->measures_rejected[doc->status[i]], 1);
	atomic_fetch_add(&stats->measures_rejected[REJECT_UNKNOWN],
	                 doc->n_unknown);
}

/* What a request asks and who asks it, for the two kinds of body. */
struct submit {
	const struct request *req;
	struct response *resp;
	struct app *app;
	const struct catalog *cat;
	struct ingest_ctx ictx;
	struct ingest_meta meta;
	int area;
	time_t now;
	char detail[300]; /* for the audit line */
};

/* Answers a refusal; a dry run leaves no trace (no audit line, no
 * counter). */
static void
refuse(struct submit *s, int status)
{
	respond_error(s->resp, status, "%s", s->detail);
	if (s->meta.is_dry_run)
		return;
	/* the store is down: an audit line would wait for the same lock
	 * and fail too; counted only */
	auth_audit(s->app, status == 503 ? NULL : &s->req->who,
	           s->req->remote_addr, status, s->detail);
}

/* Answers 202, or 200 for a dry run (with "dry_run": true). */
static void
answer(struct submit *s, cJSON *json)
{
	if (s->meta.is_dry_run)
		cJSON_AddTrueToObject(json, "dry_run");
	respond_json(s->resp, s->meta.is_dry_run ? 200 : 202, json);
	cJSON_Delete(json);
	if (!s->meta.is_dry_run)
		auth_audit(s->app, &s->req->who, s->req->remote_addr, 202,
		           s->detail);
}

static void
post_document(struct submit *s)
{
	const struct request *req = s->req;
	enum ingest_kind kind;
	struct document doc;
	struct error err = { 0 };
	char period[16];
	int rc;

	if ((rc = ingest_document(&s->ictx, s->area, req->body, req->body_len,
	                          s->now, &s->meta, &doc, &kind, &err)) < 0) {
		int status = api_submit_refusal_status(rc);

		snprintf(s->detail, sizeof(s->detail), "%s",
		         status == 503 ? "cannot store the document now"
		                       : err.msg);
		if (status != 503 && !s->meta.is_dry_run)
			atomic_fetch_add(&s->app->stats.documents_rejected, 1);
		refuse(s, status);
		return;
	}
	if (!s->meta.is_dry_run)
		count_taken(s->app, &doc, false);
	period_format(doc.period, period, sizeof(period));
	snprintf(s->detail, sizeof(s->detail),
	         "period=%s kind=%s accepted=%zu rejected=%zu violations=%zu",
	         period, ingest_kind_name(kind), doc.n_accepted, doc.n_rejected,
	         doc.n_violations);
	answer(s, api_submit_answer(s->cat, &doc, kind));
	document_reset(&doc);
}

static void
post_csv(struct submit *s)
{
	const struct request *req = s->req;
	struct upload up;
	struct error err = { 0 };
	enum ingest_kind *kinds = NULL;
	size_t i, n_kind[INGEST_UNCHANGED + 1] = { 0 };
	int status;

	if ((status = api_submit_upload_parse(s->cat, s->area, req->body,
	                                      req->body_len, s->now, &up,
	                                      &err)) != 0) {
		if (!s->meta.is_dry_run)
			atomic_fetch_add(&s->app->stats.documents_rejected, 1);
		/* the answer names the line; the audit line says it was CSV */
		respond_error(s->resp, status, "%s", err.msg);
		snprintf(s->detail, sizeof(s->detail), "csv: %s", err.msg);
		if (!s->meta.is_dry_run)
			auth_audit(s->app, &req->who, req->remote_addr, status,
			           s->detail);
		return;
	}
	kinds = xcalloc(up.n_docs + 1, sizeof(*kinds));
	if (ingest_documents(&s->ictx, s->area, up.docs, up.n_docs, s->now,
	                     &s->meta, kinds, &err) < 0) {
		snprintf(s->detail, sizeof(s->detail),
		         "cannot store the rows now; nothing was stored");
		refuse(s, 503);
		goto out;
	}
	for (i = 0; i < up.n_docs; i++) {
		n_kind[kinds[i]]++;
		if (!s->meta.is_dry_run)
			count_taken(s->app, &up.docs[i], true);
	}
	snprintf(s->detail, sizeof(s->detail),
	         "csv rows=%zu periods=%zu new=%zu revision=%zu late=%zu "
	         "unchanged=%zu",
	         up.n_rows, up.n_docs, n_kind[INGEST_NEW],
	         n_kind[INGEST_REVISION], n_kind[INGEST_LATE],
	         n_kind[INGEST_UNCHANGED]);
	answer(s, api_submit_upload_answer(s->cat, &up, kinds));
out:
	free(kinds);
	api_submit_upload_reset(&up);
}

void
api_submissions_post(const struct request *req, struct response *resp)
{
	struct app *app = req->app;
	const struct principal *who = &req->who;
	struct catalog *cat = NULL;
	struct submit s;
	int dry_run = api_submit_dry_run(query_get(req->query, "dry_run"));
	bool is_csv = api_submit_is_csv(req->content_type);

	memset(&s, 0, sizeof(s));
	s.req = req;
	s.resp = resp;
	s.app = app;
	s.now = clock_now();
	s.meta.source = "submission";
	s.meta.token_id = who->token_id;
	s.meta.is_dry_run = dry_run == 1;
	s.meta.is_sparse = is_csv;
	if (dry_run < 0) {
		snprintf(s.detail, sizeof(s.detail),
		         "parameter dry_run: 1 or 0");
		refuse(&s, 400);
		return;
	}
	if (who->role != ROLE_MUNICIPALITY) {
		snprintf(s.detail, sizeof(s.detail),
		         "only a municipality's token may submit");
		refuse(&s, 403);
		return;
	}
	if (!is_csv && !api_submit_is_json(req->content_type)) {
		snprintf(s.detail, sizeof(s.detail),
		         "Content-Type must be application/json or text/csv");
		refuse(&s, 415);
		return;
	}
	cat = app_catalog(app);
	s.cat = cat;
	s.area = catalog_find_area(cat, who->area);
	if (s.area < 0 || cat->areas[s.area].level != AREA_MUNICIPALITY) {
		snprintf(s.detail, sizeof(s.detail),
		         "the token's municipality %s is not in the catalog",
		         who->area);
		refuse(&s, 403);
		goto out;
	}
	s.ictx.cat = cat;
	s.ictx.rrd = app->rrd;
	s.ictx.db = app->db;
	s.ictx.fig = &app->figures;
	if (is_csv)
		post_csv(&s);
	else
		post_document(&s);
out:
	catalog_unref(cat);
}
