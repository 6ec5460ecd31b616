/*
 * api_submit.c: POST /api/v1/submissions, a municipality's own document.
 *
 * The server has already checked the token (auth.c: 401, 429) and the
 * size (413) before the body was read. Here: only a municipal token
 * submits (403), the body must say it is JSON (415), and the document
 * goes through ingest_document, the same path as a polled one, as the
 * token's municipality at the time of arrival. Every outcome, taken or
 * refused, goes to the audit log.
 *
 * The answer says what the document did to the figures (new, revision,
 * late, unchanged: SPEC §4); what it says is committed before it is sent
 * (store_db_record commits a submission's record at once). A 202 means
 * the figures and the document's record are committed; a write that
 * fails (disk full, the database locked past its busy timeout) rolls
 * back whole and answers 503, so the client sends it again. The audit
 * line of a 202 is written after the commit: should that one write fail,
 * the receipt stands (logged), as the figures do.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_submit.h"
#include "app.h"
#include "auth.h"
#include "clock.h"
#include "ingest.h"
#include "routes.h"
#include "timespec.h"

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 tchar. */
static bool
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

bool
api_submit_is_json(const char *content_type)
{
	static const char type[] = "application/json";
	const char *p = content_type, *name, *value;
	size_t name_len, value_len;

	if (p == NULL)
		return false;
	while (is_ows(*p))
		p++;
	if (strncasecmp(p, type, sizeof(type) - 1) != 0)
		return false;
	p += sizeof(type) - 1;
	for (;;) {
		while (is_ows(*p))
			p++;
		if (*p == '\0')
			return true;
		if (*p++ != ';')
			return false;
		while (is_ows(*p))
			p++;
		for (name = p; is_tchar(*p); p++)
			;
		name_len = (size_t)(p - name);
		if (name_len == 0 || *p++ != '=')
			return false;
		if (*p == '"') {
			for (value = ++p; *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '\0')
					return false;
			}
			value_len = (size_t)(p++ - value);
		} else {
			for (value = p; is_tchar(*p); p++)
				;
			value_len = (size_t)(p - value);
			if (value_len == 0)
				return false;
		}
		if (name_len == 7 && strncasecmp(name, "charset", 7) == 0 &&
		    !(value_len == 5 && strncasecmp(value, "utf-8", 5) == 0))
			return false;
	}
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

cJSON *
api_submit_answer(const struct catalog *cat, const struct document *doc,
                  enum ingest_kind kind)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *accepted = cJSON_CreateArray(), *rejected = cJSON_CreateArray();
	cJSON *violations = cJSON_CreateArray();
	char period[16];
	size_t i;

	period_format(doc->period, period, sizeof(period));
	cJSON_AddStringToObject(root, "area", cat->areas[doc->area].code);
	cJSON_AddStringToObject(root, "period", period);
	cJSON_AddStringToObject(root, "kind", ingest_kind_name(kind));
	for (i = 0; i < doc->n_measures; i++) {
		if (doc->status[i] == REJECT_NONE)
			add_string(accepted, cat->measures[i].id);
		else
			add_rejection(rejected, cat->measures[i].id,
			              document_reason_name(doc->status[i]));
	}
	for (i = 0; i < doc->n_unknown && i < DOCUMENT_MAX_UNKNOWN; i++)
		add_rejection(rejected, doc->unknown[i],
		              document_reason_name(REJECT_UNKNOWN));
	for (i = 0; i < doc->n_violations; i++)
		add_string(violations, cat->rules[doc->violations[i]].text);
	cJSON_AddItemToObject(root, "accepted", accepted);
	cJSON_AddItemToObject(root, "rejected", rejected);
	cJSON_AddItemToObject(root, "violations", violations);
	return root;
}

/* The counters, as the scheduler keeps them for a polled document. */
static void
count_taken(struct app *app, const struct document *doc)
{
	struct app_stats *stats = &app->stats;
	size_t i;

	atomic_fetch_add(&stats->documents_accepted, 1);
	atomic_fetch_add(&stats->measures_accepted, doc->n_accepted);
	for (i = 0; i < doc->n_measures; i++)
		if (doc->status[i] != REJECT_NONE)
			atomic_fetch_add(
			    &stats->measures_rejected[doc->status[i]], 1);
	atomic_fetch_add(&stats->measures_rejected[REJECT_UNKNOWN],
	                 doc->n_unknown);
}

void
api_submissions_post(const struct request *req, struct response *resp)
{
	struct app *app = req->app;
	const struct principal *who = &req->who;
	struct catalog *cat = NULL;
	struct ingest_ctx ictx;
	struct ingest_meta meta = { "submission", 0, 0, who->token_id };
	enum ingest_kind kind;
	struct document doc;
	struct error err = { 0 };
	char detail[300], period[16];
	time_t now = clock_now();
	int area, status, rc;
	cJSON *answer;

	if (who->role != ROLE_MUNICIPALITY) {
		status = 403;
		snprintf(detail, sizeof(detail),
		         "only a municipality's token may submit");
		goto refuse;
	}
	if (!api_submit_is_json(req->content_type)) {
		status = 415;
		snprintf(detail, sizeof(detail),
		         "Content-Type must be application/json");
		goto refuse;
	}
	cat = app_catalog(app);
	area = catalog_find_area(cat, who->area);
	if (area < 0 || cat->areas[area].level != AREA_MUNICIPALITY) {
		status = 403;
		snprintf(detail, sizeof(detail),
		         "the token's municipality %s is not in the catalog",
		         who->area);
		goto refuse;
	}
	ictx.cat = cat;
	ictx.rrd = app->rrd;
	ictx.db = app->db;
	ictx.fig = &app->figures;
	if ((rc = ingest_document(&ictx, area, req->body, req->body_len, now,
	                          &meta, &doc, &kind, &err)) < 0) {
		status = api_submit_refusal_status(rc);
		if (status != 503)
			atomic_fetch_add(&app->stats.documents_rejected, 1);
		snprintf(detail, sizeof(detail), "%s",
		         status == 503 ? "cannot store the document now"
		                       : err.msg);
		if (status == 503) {
			/* the store is down: an audit line would wait for
			 * the same lock and fail too; counted only */
			respond_error(resp, status, "%s", detail);
			auth_audit(app, NULL, req->remote_addr, status, detail);
			goto out;
		}
		goto refuse;
	}
	count_taken(app, &doc);
	answer = api_submit_answer(cat, &doc, kind);
	respond_json(resp, 202, answer);
	cJSON_Delete(answer);
	period_format(doc.period, period, sizeof(period));
	snprintf(detail, sizeof(detail),
	         "period=%s kind=%s accepted=%zu rejected=%zu violations=%zu",
	         period, ingest_kind_name(kind), doc.n_accepted, doc.n_rejected,
	         doc.n_violations);
	auth_audit(app, who, req->remote_addr, 202, detail);
	document_reset(&doc);
	goto out;
refuse:
	respond_error(resp, status, "%s", detail);
	auth_audit(app, who, req->remote_addr, status, detail);
out:
	catalog_unref(cat);
}
