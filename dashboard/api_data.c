/*
 * api_data.c: GET /api/v1/data (JSON), /api/v1/data.csv, .xlsx and
 * .jsonstat: many areas x indicators x periods in one answer (SPEC §6).
 * data.c resolves, computes and formats JSON and CSV; export_*.c write
 * the workbook and JSON-stat; this file adds access, the validator and
 * the HTTP details.
 *
 * The question is resolved against the catalog the figures are indexed
 * by (ingest_read), and the read lock is held only while the cells are
 * computed: the table keeps a reference to that catalog, so the text is
 * formatted unlocked.
 *
 * Answers are not cached here: one can be megabytes (66,528 rows of all
 * municipalities, every indicator and two years are 5 MB of CSV) and
 * would push the series and charts out of a shared cache, and analysts'
 * questions rarely repeat. Clients cache instead: the ETag is the
 * country's data generation (it moves whenever data lands anywhere, or
 * the catalog is swapped) with the format, the question as resolved
 * (LAST_N_MONTHS spelled out, so a new month is a new tag), the dialect
 * and the reader's view, read with the figures under their lock. The
 * workbook's and JSON-stat's stamp of when the answer was made is left
 * out of it: a matching tag means the data is the same.
 *
 * Memory per request: the cells (40 bytes each, at most DATA_MAX_CELLS)
 * and the answer's text, bounded by data.c per row: up to ~16 MB while a
 * 100,000-cell JSON answer is written, 64 such requests at once held a
 * gigabyte. So every request takes a slot of the expensive-request gate
 * (gate.h) from resolving until its text is made; past the limit, 503
 * with Retry-After.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "api_flags.h"
#include "app.h"
#include "clock.h"
#include "data.h"
#include "export.h"
#include "figure.h"
#include "gate.h"
#include "reporting.h"
#include "respond.h"
#include "routes.h"

#define KEY_MAX (DATA_QUERY_MAX + 64)

enum format { FORMAT_JSON, FORMAT_CSV, FORMAT_XLSX, FORMAT_JSONSTAT };

static const char *const format_names[] = {
	[FORMAT_JSON] = "json",
	[FORMAT_CSV] = "csv",
	[FORMAT_XLSX] = "xlsx",
	[FORMAT_JSONSTAT] = "jsonstat",
};

/* Who the answer is for, as far as its bytes go: "all" when nothing in
 * it could be withheld or the reader sees everything, "own:KU091" when a
 * municipal token's own municipality is among the areas, else "public". */
static void
view_of(const struct catalog *cat, const struct data_query *q,
        const struct principal *who, char *out, size_t size)
{
	bool is_suppressible = false;
	size_t i;

	for (i = 0; i < q->n_items && !is_suppressible; i++) {
		struct figure_key key = { 0, q->items[i].indicator,
			                  q->items[i].measure };

		is_suppressible = figure_is_suppressible(cat, &key);
	}
	if (!is_suppressible || who->role == ROLE_MINISTRY) {
		snprintf(out, size, "all");
		return;
	}
	for (i = 0; i < q->n_areas; i++)
		if (access_is_unsuppressed(who, cat->areas[q->areas[i]].code)) {
			snprintf(out, size, "own:%s",
			         cat->areas[q->areas[i]].code);
			return;
		}
	snprintf(out, size, "public");
}

static void
serve(const struct request *req, struct response *resp, enum format format)
{
	struct app *app = req->app;
	const struct catalog *cat;
	const struct matrix *mx;
	struct data_params p;
	struct data_query q;
	struct data_table t;
	struct error err = { 0 };
	struct config cfg;
	const char *dialect = query_get(req->query, "dialect");
	char key[KEY_MAX], view[32], disposition[64], *text = NULL;
	unsigned long generation;
	bool is_excel_fi;
	size_t len = 0;
	time_t now = clock_now();
	int rc;

	app_config(app, &cfg);
	if (!access_may_read(&req->who, cfg.is_public)) {
		respond_error(resp, 401, "a token is needed to read");
		respond_header(resp, "WWW-Authenticate", "Bearer");
		return;
	}
	/* never cached here: computed on a worker, off libmicrohttpd's
	 * threads */
	if (req->may_defer) {
		respond_defer(resp);
		return;
	}
	if (dialect != NULL && dialect[0] != '\0' &&
	    strcmp(dialect, "excel-fi") != 0) {
		respond_error(resp, 400,
		              "parameter dialect: must be excel-fi or empty "
		              "(plain RFC 4180 CSV)");
		return;
	}
	is_excel_fi = dialect != NULL && dialect[0] != '\0';
	p.indicator = query_get(req->query, "indicator");
	p.area = query_get(req->query, "area");
	p.level = query_get(req->query, "level");
	p.region = query_get(req->query, "region");
	p.period = query_get(req->query, "period");
	p.lang = query_get(req->query, "lang");

	/* under the read lock: ingest moves generations under the write
	 * lock, so these figures and this generation go together */
	mx = ingest_read(&app->figures, &cat);
	generation = app_generation(app, "SSS");
	rc = data_resolve(
	    cat, &p, reporting_expected_period(now, cfg.ontime_days), &q, &err);
	if (rc != DATA_OK) {
		ingest_done(&app->figures);
		respond_error(resp, rc == DATA_NOT_FOUND ? 404 : 400, "%s",
		              err.msg);
		return;
	}
	if (!gate_try_enter(&gate_expensive, gate_expensive_limit())) {
		ingest_done(&app->figures);
		gate_respond_busy(resp, GATE_RETRY_AFTER_S,
		                  "uncached series and data requests");
		return;
	}
	view_of(cat, &q, &req->who, view, sizeof(view));
	data_compute(cat, mx, &q, &req->who, &t);
	ingest_done(&app->figures);
	if (api_flags_mark_data(app->db, &t) < 0) {
		gate_leave(&gate_expensive);
		respond_error(resp, 503, "the database is not available");
		goto out;
	}

	switch (format) {
	case FORMAT_JSON:
		text = data_format_json(&t, &len);
		respond_take(resp, 200, CONTENT_TYPE_JSON, text, len);
		break;
	case FORMAT_CSV:
		text = data_format_csv(&t, is_excel_fi, &len);
		respond_take(resp, 200, CONTENT_TYPE_CSV, text, len);
		break;
	case FORMAT_JSONSTAT:
		text = export_jsonstat(&t, now, &len);
		respond_take(resp, 200, CONTENT_TYPE_JSONSTAT, text, len);
		break;
	case FORMAT_XLSX:
		text = export_xlsx(&t, now, &len, &err);
		if (text == NULL) {
			gate_leave(&gate_expensive);
			respond_error(resp, 503,
			              "the workbook could not be written: %s",
			              err.msg);
			goto out;
		}
		respond_take(resp, 200, CONTENT_TYPE_XLSX, text, len);
		break;
	}
	gate_leave(&gate_expensive);
	snprintf(key, sizeof(key), "data|%s|%s|%s|%s", format_names[format],
	         t.q.text, is_excel_fi ? "excel-fi" : "", view);
	respond_etag(resp, generation, key);
	if (format != FORMAT_JSON) {
		snprintf(disposition, sizeof(disposition),
		         "attachment; filename=\"kuntamon_data.%s\"",
		         format_names[format]);
		respond_header(resp, "Content-Disposition", disposition);
	}
out:
	data_table_reset(&t);
}

void
api_data_get(const struct request *req, struct response *resp)
{
	serve(req, resp, FORMAT_JSON);
}

void
api_data_csv_get(const struct request *req, struct response *resp)
{
	serve(req, resp, FORMAT_CSV);
}

void
api_data_xlsx_get(const struct request *req, struct response *resp)
{
	serve(req, resp, FORMAT_XLSX);
}

void
api_data_jsonstat_get(const struct request *req, struct response *resp)
{
	serve(req, resp, FORMAT_JSONSTAT);
}
