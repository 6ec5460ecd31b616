/*
 * metrics.c: the daemon's own health: GET /metrics in the Prometheus text
 * exposition format 0.0.4, and GET /healthz.
 *
 * The app_stats counters are one table (stat_metrics[]); HTTP requests and
 * their durations come from the server's counters, labelled by route
 * pattern (never the raw path, which would let clients create series);
 * per-endpoint collection state and the municipalities' reporting status
 * come from the database, the status counted by the function /health
 * uses. The process_* families are those Prometheus' own client libraries
 * export, with the same names and meaning, so ready-made dashboards work.
 * Every family is written whole (HELP, TYPE, all its samples) before the
 * next, as the format requires.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "buf.h"
#include "catalog.h"
#include "clock.h"
#include "document.h"
#include "procstat.h"
#include "reporting.h"
#include "respond.h"
#include "routes.h"
#include "server.h"
#include "store_db.h"
#include "store_rrd.h"
#include "version.h" /* generated: KUNTAMON_VERSION */

#define CONTENT_TYPE_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_MAX_BYTES (8 * 1024 * 1024)

struct stat_metric {
	const char *name;
	const char *type;
	const char *help;
	size_t offset; /* of an atomic_ulong in struct app_stats */
	double scale;  /* 0: the value as is; else value * scale */
};

static const struct stat_metric stat_metrics[] = {
	{ "kuntamon_documents_accepted_total", "counter",
	  "Municipal documents taken, maybe partly.",
	  offsetof(struct app_stats, documents_accepted), 0 },
	{ "kuntamon_documents_rejected_total", "counter",
	  "Municipal documents rejected whole.",
	  offsetof(struct app_stats, documents_rejected), 0 },
	{ "kuntamon_polls_failed_total", "counter",
	  "Polls that gave no document (HTTP error, timeout).",
	  offsetof(struct app_stats, polls_failed), 0 },
	{ "kuntamon_measures_accepted_total", "counter",
	  "Measure values accepted and stored.",
	  offsetof(struct app_stats, measures_accepted), 0 },
	{ "kuntamon_cycles_total", "counter", "Collection cycles finished.",
	  offsetof(struct app_stats, cycles), 0 },
	{ "kuntamon_last_cycle_duration_seconds", "gauge",
	  "How long the last collection cycle took.",
	  offsetof(struct app_stats, last_cycle_ms), 0.001 },
	{ "kuntamon_last_cycle_end_timestamp_seconds", "gauge",
	  "When the last collection cycle ended (Unix time, 0: never).",
	  offsetof(struct app_stats, last_cycle_end), 0 },
	{ "kuntamon_cycle_running", "gauge", "1 while a collection cycle runs.",
	  offsetof(struct app_stats, cycle_running), 0 },
	{ "kuntamon_cache_hits_total", "counter",
	  "Chart and series cache hits.",
	  offsetof(struct app_stats, cache_hits), 0 },
	{ "kuntamon_cache_misses_total", "counter",
	  "Chart and series cache misses.",
	  offsetof(struct app_stats, cache_misses), 0 },
};

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends s as a label value: backslash, double quote and newline are
 * escaped as the exposition format says. */
static void
label_value(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_puts(b, "\\\\");
		else if (*s == '"')
			buf_puts(b, "\\\"");
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_append(b, s, 1);
	}
}

/* A family of one sample without labels. */
static void
single(struct buf *b, const char *name, const char *type, const char *help,
       double value)
{
	family(b, name, type, help);
	buf_printf(b, "%s %.15g\n", name, value);
}

static void
write_build_info(struct buf *b)
{
	family(b, "kuntamon_build_info", "gauge",
	       "Always 1; the version of kuntamon and of the libraries it "
	       "runs with, as labels.");
	buf_puts(b, "kuntamon_build_info{version=\"");
	label_value(b, KUNTAMON_VERSION);
	buf_puts(b, "\",libmicrohttpd=\"");
	label_value(b, server_library_version());
	buf_puts(b, "\",librrd=\"");
	label_value(b, store_rrd_library_version());
	buf_puts(b, "\",sqlite=\"");
	label_value(b, store_db_library_version());
	buf_puts(b, "\"} 1\n");
}

/* What /proc does not give (no /proc mounted) is left out. */
static void
write_process(struct buf *b)
{
	struct procstat ps;
	int has_proc = procstat_read(&ps) == 0;

	if (has_proc) {
		single(b, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.",
		       ps.cpu_s);
		single(b, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.", ps.resident_bytes);
		single(b, "process_virtual_memory_bytes", "gauge",
		       "Virtual memory size in bytes.", ps.virtual_bytes);
		single(b, "process_start_time_seconds", "gauge",
		       "Start time of the process since unix epoch in seconds.",
		       ps.start_time_s);
		single(b, "process_threads", "gauge",
		       "Number of OS threads in the process.",
		       (double)ps.n_threads);
	}
	if (ps.max_virtual_bytes >= 0)
		single(b, "process_virtual_memory_max_bytes", "gauge",
		       "Maximum amount of virtual memory available in bytes.",
		       ps.max_virtual_bytes);
	if (ps.n_open_fds >= 0)
		single(b, "process_open_fds", "gauge",
		       "Number of open file descriptors.",
		       (double)ps.n_open_fds);
	if (ps.max_fds >= 0)
		single(b, "process_max_fds", "gauge",
		       "Maximum number of open file descriptors.", ps.max_fds);
}

static void
write_stats(struct buf *b, const struct app *app)
{
	const struct app_stats *st = &app->stats;
	size_t i;
	int r;

	family(b, "kuntamon_start_time_seconds", "gauge",
	       "When the daemon started (Unix time).");
	buf_printf(b, "kuntamon_start_time_seconds %lld\n",
	           (long long)app->started);
	for (i = 0; i < sizeof(stat_metrics) / sizeof(stat_metrics[0]); i++) {
		const struct stat_metric *m = &stat_metrics[i];
		const atomic_ulong *v =
		    (const atomic_ulong *)((const char *)st + m->offset);
		unsigned long n = atomic_load(v);

		family(b, m->name, m->type, m->help);
		if (m->scale != 0)
			buf_printf(b, "%s %.15g\n", m->name,
			           (double)n * m->scale);
		else
			buf_printf(b, "%s %lu\n", m->name, n);
	}
	family(b, "kuntamon_measures_rejected_total", "counter",
	       "Measure values rejected, by reason.");
	for (r = REJECT_NONE + 1; r < N_REJECT_REASONS; r++) {
		buf_puts(b, "kuntamon_measures_rejected_total{reason=\"");
		label_value(b, document_reason_name((enum reject_reason)r));
		buf_printf(b, "\"} %lu\n",
		           atomic_load(&st->measures_rejected[r]));
	}
	family(b, "kuntamon_submissions_refused_total", "counter",
	       "Submissions refused, by reason (those without a valid token "
	       "are counted here, not written to the audit log).");
	for (i = 0; i < APP_N_REFUSALS; i++) {
		buf_puts(b, "kuntamon_submissions_refused_total{reason=\"");
		label_value(b, auth_refusal_reason(i));
		buf_printf(b, "\"} %lu\n",
		           atomic_load(&st->submissions_refused[i]));
	}
}

static void
count_line(void *ctx, const char *route, int status, unsigned long n)
{
	struct buf *b = ctx;

	buf_puts(b, "kuntamon_http_requests_total{route=\"");
	label_value(b, route != NULL ? route : "unmatched");
	if (status != 0)
		buf_printf(b, "\",code=\"%d\"} %lu\n", status, n);
	else
		buf_printf(b, "\",code=\"other\"} %lu\n", n);
}

#define DURATION_FAMILY "kuntamon_http_request_duration_seconds"

static void
duration_lines(void *ctx, const struct server_durations *d)
{
	struct buf *b = ctx;
	size_t k;

	for (k = 0; k <= SERVER_N_DURATION_BOUNDS; k++) {
		buf_puts(b, DURATION_FAMILY "_bucket{route=\"");
		label_value(b, d->route != NULL ? d->route : "unmatched");
		if (k < SERVER_N_DURATION_BOUNDS)
			buf_printf(b, "\",le=\"%.15g\"} %lu\n",
			           (double)server_duration_bounds_us[k] / 1e6,
			           d->cumulative[k]);
		else
			buf_printf(b, "\",le=\"+Inf\"} %lu\n",
			           d->cumulative[k]);
	}
	buf_puts(b, DURATION_FAMILY "_sum{route=\"");
	label_value(b, d->route != NULL ? d->route : "unmatched");
	buf_printf(b, "\"} %.15g\n", d->sum_s);
	buf_puts(b, DURATION_FAMILY "_count{route=\"");
	label_value(b, d->route != NULL ? d->route : "unmatched");
	buf_printf(b, "\"} %lu\n", d->cumulative[SERVER_N_DURATION_BOUNDS]);
}

static void
write_http(struct buf *b, const struct server *srv)
{
	family(b, "kuntamon_http_requests_total", "counter",
	       "HTTP requests answered, by route pattern and status code.");
	server_each_request_count(srv, count_line, b);
	family(b, DURATION_FAMILY, "histogram",
	       "Time from an answered HTTP request's first line to its answer "
	       "sent, by route pattern.");
	server_each_request_duration(srv, duration_lines, b);
	family(b, "kuntamon_http_requests_in_flight", "gauge",
	       "HTTP requests received and not yet answered in full.");
	buf_printf(b, "kuntamon_http_requests_in_flight %lu\n",
	           server_in_flight(srv));
}

/* One buffer per endpoint family, filled in one pass over the database
 * and written one after the other. */
enum { EP_UP, EP_DURATION, EP_FAILURES, EP_SUCCESS, N_EP };

static const struct {
	const char *name, *help;
} endpoint_families[N_EP] = {
	[EP_UP] = { "kuntamon_endpoint_up",
	            "1 if the last poll of the area's endpoint succeeded." },
	[EP_DURATION] = { "kuntamon_endpoint_last_poll_duration_seconds",
	                  "How long the last poll of the endpoint took." },
	[EP_FAILURES] = { "kuntamon_endpoint_consecutive_failures",
	                  "Polls of the endpoint failed in a row." },
	[EP_SUCCESS] = { "kuntamon_endpoint_last_success_timestamp_seconds",
	                 "When a poll of the endpoint last succeeded (Unix "
	                 "time, 0: "
	                 "never)." },
};

/* Municipalities by reporting status, as /health counts them. */
static void
write_municipalities(struct buf *b, struct app *app)
{
	struct catalog *cat = app_catalog(app);
	size_t counts[N_REPORT_STATUSES];
	struct config cfg;
	int st;

	app_config(app, &cfg);
	family(b, "kuntamon_municipalities", "gauge",
	       "Municipalities by reporting status, as /health shows them: "
	       "ok, late (the expected period missing), failing (the "
	       "endpoint's last poll failed), never (nothing reported).");
	if (api_health_status_counts(app, cat, cfg.ontime_days, clock_now(),
	                             counts) == 0)
		for (st = 0; st < N_REPORT_STATUSES; st++)
			buf_printf(
			    b, "kuntamon_municipalities{status=\"%s\"} %zu\n",
			    reporting_status_name((enum report_status)st),
			    counts[st]);
	catalog_unref(cat);
}

static int
endpoint_lines(void *ctx, const struct db_endpoint_state *s)
{
	struct buf *ep = ctx;
	int k;

	for (k = 0; k < N_EP; k++) {
		buf_printf(&ep[k], "%s{area=\"", endpoint_families[k].name);
		label_value(&ep[k], s->area);
		buf_puts(&ep[k], "\"} ");
	}
	buf_printf(&ep[EP_UP], "%d\n",
	           s->last_success != 0 && s->consecutive_failures == 0);
	buf_printf(&ep[EP_DURATION], "%.15g\n",
	           isfinite(s->latency_ms) ? s->latency_ms / 1000.0 : 0.0);
	buf_printf(&ep[EP_FAILURES], "%d\n", s->consecutive_failures);
	buf_printf(&ep[EP_SUCCESS], "%lld\n", (long long)s->last_success);
	return 0;
}

static void
write_endpoints(struct buf *b, struct store_db *db)
{
	struct buf ep[N_EP];
	int k, ok;

	for (k = 0; k < N_EP; k++)
		buf_init(&ep[k], METRICS_MAX_BYTES);
	ok = store_db_each_endpoint_state(db, endpoint_lines, ep) == 0;
	/* A broken database must not hide the rest of the metrics. */
	family(b, "kuntamon_store_db_up", "gauge",
	       "1 if the database answered this scrape.");
	buf_printf(b, "kuntamon_store_db_up %d\n", ok);
	for (k = 0; k < N_EP; k++) {
		family(b, endpoint_families[k].name, "gauge",
		       endpoint_families[k].help);
		if (ok && ep[k].data != NULL)
			buf_append(b, ep[k].data, ep[k].len);
		buf_reset(&ep[k]);
	}
}

void
metrics_get(const struct request *req, struct response *resp)
{
	struct buf b;
	char *text;
	size_t len;

	buf_init(&b, METRICS_MAX_BYTES);
	write_build_info(&b);
	write_process(&b);
	write_stats(&b, req->app);
	if (req->server != NULL)
		write_http(&b, req->server);
	if (req->app->db != NULL) {
		write_endpoints(&b, req->app->db);
		write_municipalities(&b, req->app);
	}
	text = buf_detach(&b, &len);
	respond_take(resp, 200, CONTENT_TYPE_PROMETHEUS, text, len);
	respond_header(resp, "Cache-Control", "no-store");
}

void
metrics_healthz(const struct request *req, struct response *resp)
{
	(void)req;
	respond_text(resp, 200, "ok\n");
	respond_header(resp, "Cache-Control", "no-store");
}
