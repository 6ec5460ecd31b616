/*
 * test_store_db.c: store_db against a real SQLite database in a temporary
 * folder. The tests open the file with SQLite too, to see what was
 * written and that the file is sound.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "store_db.h"
#include "fixture.h"

static struct fixture_db fx;

/* One integer from SQL run on a second connection; -1 on error. */
static long long
query_int(const char *sql)
{
	return fixture_db_int(&fx, sql);
}

/* One text from SQL on a second connection, into out ("" if none). */
static const char *
query_text(const char *sql, char *out, size_t size)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	if (sqlite3_open_v2(fx.path, &h, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		snprintf(out, size, "%s",
		         (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static struct db_outcome
poll_ok(const char *area, time_t t, int period, size_t n_accepted)
{
	struct db_outcome o;

	memset(&o, 0, sizeof(o));
	o.area = area;
	o.time = t;
	o.source = "poll";
	o.http_status = 200;
	o.latency_ms = 12.5;
	o.n_bytes = 321;
	o.period = period;
	o.n_accepted = n_accepted;
	return o;
}

static struct db_outcome
poll_failed(const char *area, time_t t, const char *error)
{
	struct db_outcome o = poll_ok(area, t, -1, 0);

	o.http_status = 503;
	o.latency_ms = 99;
	o.error = error;
	return o;
}

struct states {
	struct db_endpoint_state s[8];
	size_t n;
	int stop_after;      /* 0: never */
	struct store_db *db; /* to call back into */
};

static int
collect_state(void *ctx, const struct db_endpoint_state *s)
{
	struct states *c = ctx;

	if (c->db != NULL) { /* must not deadlock */
		size_t a, b;

		store_db_count_reported(c->db, 1, 0, &a, &b);
	}
	if (c->n < 8)
		c->s[c->n++] = *s;
	return c->stop_after != 0 && (int)c->n >= c->stop_after ? 7 : 0;
}

struct reports {
	struct db_report r[8];
	size_t n;
};

static int
collect_report(void *ctx, const struct db_report *r)
{
	struct reports *c = ctx;

	if (c->n < 8)
		c->r[c->n++] = *r;
	return 0;
}

static void
test_open_wal_schema(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	char mode[16];

	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK_STR(query_text("PRAGMA journal_mode", mode, sizeof(mode)), "wal");
	CHECK(query_int("PRAGMA user_version") == 2);
	CHECK(query_int("SELECT COUNT(*) FROM sqlite_schema WHERE type = "
	                "'table' AND name IN ('polls', 'rejections', "
	                "'violations', 'reports', 'areas_seen', "
	                "'endpoint_state', 'tokens', 'audit')") == 8);
	CHECK(query_int("SELECT COUNT(*) FROM sqlite_schema WHERE type = "
	                "'index' AND name = 'reports_period'") == 1);
	store_db_close(db);
	store_db_close(NULL);
}

static void
test_record_poll_and_submission(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct db_rejection rej[2] = { { "contacts", "out_of_range", "-4 < 0" },
		                       { "nosuch", "unknown", NULL } };
	const char *viol[1] = { "contacts_remote <= contacts" };
	struct db_outcome o = poll_ok("KU091", 1000, 24310, 14);
	char text[128];

	CHECK(db != NULL);
	if (db == NULL)
		return;
	o.n_rejected = 2;
	o.rejections = rej;
	o.n_rejections = 2;
	o.violations = viol;
	o.n_violations = 1;
	CHECK(store_db_record(db, &o) == 0);
	o = poll_ok("KU049", 1500, 24310, 3);
	o.source = "submission";
	o.http_status = 0;
	CHECK(store_db_record(db, &o) == 0);
	o = poll_failed("KU020", 1600, "HTTP 503");
	CHECK(store_db_record(db, &o) == 0);
	CHECK(query_int("SELECT COUNT(*) FROM polls") == 3);
	CHECK(query_int("SELECT accepted FROM polls WHERE area = 'KU091'") ==
	      14);
	CHECK(query_int("SELECT rejected FROM polls WHERE area = 'KU091'") ==
	      2);
	CHECK(query_int("SELECT bytes FROM polls WHERE area = 'KU091'") == 321);
	CHECK(query_int("SELECT http_status FROM polls WHERE area = "
	                "'KU020'") == 503);
	CHECK(query_int("SELECT period IS NULL FROM polls WHERE area = "
	                "'KU020'") == 1);
	CHECK(query_int("SELECT error IS NULL FROM polls WHERE area = "
	                "'KU091'") == 1);
	CHECK_STR(query_text("SELECT error FROM polls WHERE area = 'KU020'",
	                     text, sizeof(text)),
	          "HTTP 503");
	CHECK_STR(query_text("SELECT source FROM polls WHERE area = 'KU049'",
	                     text, sizeof(text)),
	          "submission");
	CHECK(query_int("SELECT COUNT(*) FROM rejections r JOIN polls p ON "
	                "p.id = r.poll_id WHERE p.area = 'KU091'") == 2);
	CHECK_STR(query_text("SELECT detail FROM rejections WHERE measure = "
	                     "'contacts'",
	                     text, sizeof(text)),
	          "-4 < 0");
	CHECK(query_int("SELECT detail IS NULL FROM rejections WHERE "
	                "measure = 'nosuch'") == 1);
	CHECK_STR(query_text("SELECT rule FROM violations", text, sizeof(text)),
	          "contacts_remote <= contacts");
	/* a submission is no poll: no endpoint state */
	CHECK(query_int("SELECT COUNT(*) FROM endpoint_state WHERE area = "
	                "'KU049'") == 0);
	/* an outcome without an area is refused, nothing written */
	o.area = NULL;
	CHECK(store_db_record(db, &o) == -1);
	CHECK(query_int("SELECT COUNT(*) FROM polls") == 3);
	store_db_close(db);
}

static void
test_endpoint_state(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct states c;
	struct db_outcome o;
	size_t i;
	static const struct {
		int ok; /* else failed */
		time_t t;
		int want_failures;
	} steps[] = {
		{ 0, 100, 1 }, { 0, 200, 2 }, { 0, 300, 3 }, { 1, 400, 0 },
		{ 0, 500, 1 }, { 1, 600, 0 }, { 1, 700, 0 },
	};

	CHECK(db != NULL);
	if (db == NULL)
		return;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char msg[32];

		snprintf(msg, sizeof(msg), "timeout %zu", i);
		o = steps[i].ok ? poll_ok("KU091", steps[i].t, 24310, 1)
		                : poll_failed("KU091", steps[i].t, msg);
		CHECK(store_db_record(db, &o) == 0);
		memset(&c, 0, sizeof(c));
		CHECK(store_db_each_endpoint_state(db, collect_state, &c) == 0);
		CHECK(c.n == 1);
		CHECK_STR(c.s[0].area, "KU091");
		CHECK(c.s[0].last_poll == steps[i].t);
		CHECK(c.s[0].consecutive_failures == steps[i].want_failures);
		if (steps[i].ok) {
			CHECK(c.s[0].last_success == steps[i].t);
			CHECK(c.s[0].latency_ms == 12.5);
		} else {
			CHECK(c.s[0].last_error_time == steps[i].t);
			CHECK_STR(c.s[0].last_error, msg);
			CHECK(c.s[0].latency_ms == 99);
		}
	}
	/* the last error is kept after recovery */
	CHECK(c.s[0].last_error_time == 500);
	CHECK_STR(c.s[0].last_error, "timeout 4");
	/* never succeeded: last_success 0; areas in order; stop early;
	 * fn may call back in */
	o = poll_failed("KU005", 800, "refused");
	CHECK(store_db_record(db, &o) == 0);
	memset(&c, 0, sizeof(c));
	c.db = db;
	CHECK(store_db_each_endpoint_state(db, collect_state, &c) == 0);
	CHECK(c.n == 2);
	CHECK_STR(c.s[0].area, "KU005");
	CHECK(c.s[0].last_success == 0 && c.s[0].consecutive_failures == 1);
	CHECK_STR(c.s[1].area, "KU091");
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	CHECK(store_db_each_endpoint_state(db, collect_state, &c) == 7);
	CHECK(c.n == 1);
	store_db_close(db);
}

static void
test_first_receipt_kept(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct reports c;
	struct db_outcome o;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	o = poll_ok("KU091", 100, 5, 10);
	CHECK(store_db_record(db, &o) == 0);
	o = poll_ok("KU091", 200, 5, 10);
	CHECK(store_db_record(db, &o) == 0);
	memset(&c, 0, sizeof(c));
	CHECK(store_db_each_latest(db, collect_report, &c) == 0);
	CHECK(c.n == 1 && c.r[0].period == 5 && c.r[0].received == 100);
	CHECK(c.r[0].last_received == 200);
	/* a newer period becomes the latest; an older one arriving later
	 * does not take its place, but counts as the latest document */
	o = poll_ok("KU091", 300, 6, 10);
	CHECK(store_db_record(db, &o) == 0);
	o = poll_ok("KU091", 400, 5, 10);
	CHECK(store_db_record(db, &o) == 0);
	memset(&c, 0, sizeof(c));
	CHECK(store_db_each_latest(db, collect_report, &c) == 0);
	CHECK(c.n == 1 && c.r[0].period == 6 && c.r[0].received == 300);
	CHECK(c.r[0].last_received == 400);
	CHECK(query_int("SELECT received FROM reports WHERE area = 'KU091' "
	                "AND period = 5") == 100);
	/* an earlier receipt recorded late (an import) is the first */
	o = poll_ok("KU091", 50, 5, 10);
	o.source = "import";
	CHECK(store_db_record(db, &o) == 0);
	CHECK(query_int("SELECT received FROM reports WHERE area = 'KU091' "
	                "AND period = 5") == 50);
	/* not reports: a failure, nothing accepted, no period */
	o = poll_failed("KU049", 500, "HTTP 500");
	o.period = 7;
	CHECK(store_db_record(db, &o) == 0);
	o = poll_ok("KU049", 600, 7, 0);
	CHECK(store_db_record(db, &o) == 0);
	o = poll_ok("KU049", 700, -1, 3);
	CHECK(store_db_record(db, &o) == 0);
	memset(&c, 0, sizeof(c));
	CHECK(store_db_each_latest(db, collect_report, &c) == 0);
	CHECK(c.n == 1);
	/* a submission reports */
	o = poll_ok("KU049", 800, 7, 2);
	o.source = "submission";
	CHECK(store_db_record(db, &o) == 0);
	memset(&c, 0, sizeof(c));
	CHECK(store_db_each_latest(db, collect_report, &c) == 0);
	CHECK(c.n == 2);
	CHECK_STR(c.r[0].area, "KU049");
	CHECK(c.r[0].period == 7 && c.r[0].received == 800);
	CHECK_STR(c.r[1].area, "KU091");
	store_db_close(db);
}

static void
test_count_reported(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	static const struct {
		const char *area;
		int period;
		time_t t;
	} rows[] = {
		{ "KU005", 10, 100 }, { "KU009", 10, 200 },
		{ "KU010", 10, 300 }, { "KU010", 10, 50 }, /* first: 50 */
		{ "KU016", 11, 100 }, { "KU005", 10, 400 },
	};
	static const struct {
		int period;
		time_t deadline;
		size_t reported, ontime;
	} want[] = {
		{ 10, 0, 3, 0 },    { 10, 50, 3, 1 },  { 10, 100, 3, 2 },
		{ 10, 199, 3, 2 },  { 10, 200, 3, 3 }, { 11, 1000, 1, 1 },
		{ 12, 1000, 0, 0 },
	};
	size_t i, reported, ontime;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct db_outcome o =
		    poll_ok(rows[i].area, rows[i].t, rows[i].period, 4);

		o.source = "submission";
		CHECK(store_db_record(db, &o) == 0);
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		reported = ontime = 99;
		CHECK(store_db_count_reported(db, want[i].period,
		                              want[i].deadline, &reported,
		                              &ontime) == 0);
		CHECK(reported == want[i].reported);
		CHECK(ontime == want[i].ontime);
	}
	store_db_close(db);
}

static void
test_transactions(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct db_outcome o;
	int i;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(store_db_commit(db) == -1); /* without begin */
	CHECK(store_db_begin(db) == 0);
	CHECK(store_db_begin(db) == -1); /* no nesting */
	for (i = 0; i < 100; i++) {
		o = poll_ok(i % 2 ? "KU091" : "KU049", 1000 + i, 3, 1);
		CHECK(store_db_record(db, &o) == 0);
	}
	/* another connection sees nothing before the commit */
	CHECK(query_int("SELECT COUNT(*) FROM polls") == 0);
	o.area = NULL; /* a failed record leaves the others */
	CHECK(store_db_record(db, &o) == -1);
	CHECK(store_db_commit(db) == 0);
	CHECK(query_int("SELECT COUNT(*) FROM polls") == 100);
	CHECK(query_int("SELECT consecutive_failures FROM endpoint_state "
	                "WHERE area = 'KU091'") == 0);
	/* records outside a transaction commit at once */
	o = poll_failed("KU091", 5000, "x");
	CHECK(store_db_record(db, &o) == 0);
	CHECK(query_int("SELECT COUNT(*) FROM polls") == 101);
	store_db_close(db);
}

struct writer {
	struct store_db *db;
	const char *area;
	int n_failed;
};

static void *
write_loop(void *arg)
{
	struct writer *w = arg;
	int i;

	for (i = 0; i < 200; i++) {
		struct db_outcome o = i % 3
		                          ? poll_ok(w->area, 1000 + i, i, 1)
		                          : poll_failed(w->area, 1000 + i, "e");

		if (store_db_record(w->db, &o) < 0)
			w->n_failed++;
	}
	return NULL;
}

static void
test_threads(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct writer w[3] = { { db, "KU005", 0 },
		               { db, "KU009", 0 },
		               { db, "KU010", 0 } };
	pthread_t th[3];
	int i;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	for (i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, write_loop, &w[i]);
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		CHECK(w[i].n_failed == 0);
	}
	CHECK(query_int("SELECT COUNT(*) FROM polls") == 600);
	CHECK(query_int("SELECT COUNT(*) FROM reports") == 3 * 133);
	store_db_close(db);
}

static void
test_reopen_keeps_data(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct error err = { 0 };
	struct reports c;
	struct db_outcome o = poll_ok("KU091", 100, 5, 10);
	char ok[16];
	sqlite3 *h;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(store_db_record(db, &o) == 0);
	store_db_close(db);
	db = store_db_open(fx.path, &err);
	CHECK(db != NULL);
	if (db == NULL)
		return;
	memset(&c, 0, sizeof(c));
	CHECK(store_db_each_latest(db, collect_report, &c) == 0);
	CHECK(c.n == 1 && c.r[0].period == 5 && c.r[0].received == 100);
	o = poll_ok("KU091", 200, 6, 10);
	CHECK(store_db_record(db, &o) == 0);
	CHECK_STR(query_text("PRAGMA integrity_check", ok, sizeof(ok)), "ok");
	CHECK(query_int("SELECT COUNT(*) FROM pragma_foreign_key_check") == 0);
	store_db_close(db);
	/* a database from a newer program is refused, and left alone */
	CHECK(sqlite3_open(fx.path, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL) ==
	      SQLITE_OK);
	sqlite3_close(h);
	err.msg[0] = '\0';
	CHECK(store_db_open(fx.path, &err) == NULL);
	CHECK(strstr(err.msg, "newer") != NULL);
	CHECK(query_int("PRAGMA user_version") == 99);
	/* nor is a file that is no database */
	snprintf(fx.path, sizeof(fx.path), "%s/not.db", fx.dir);
	{
		FILE *f = fopen(fx.path, "w");

		fputs("this is not a database, not at all, no\n", f);
		fclose(f);
	}
	CHECK(store_db_open(fx.path, &err) == NULL);
	snprintf(fx.path, sizeof(fx.path), "%s/no/such/dir/x.db", fx.dir);
	CHECK(store_db_open(fx.path, &err) == NULL);
}

struct figs {
	struct db_figure f[16];
	size_t n;
};

static int
collect_figure(void *ctx, const struct db_figure *f)
{
	struct figs *c = ctx;

	if (c->n < 16)
		c->f[c->n++] = *f;
	return 0;
}

struct revs {
	struct db_revision r[16];
	size_t n;
};

static int
collect_revision(void *ctx, const struct db_revision *r)
{
	struct revs *c = ctx;

	if (c->n < 16)
		c->r[c->n++] = *r;
	return 0;
}

static int
collect_dirty(void *ctx, const char *area)
{
	int *n = ctx;

	(*n)++;
	return strcmp(area, "KU091") == 0 ? 0 : 5;
}

/* A figure, revised: the history keeps the old value with when it was
 * replaced; revisions list both, newest first; the area is marked for its
 * RRD file until cleaned. */
static void
test_figures_and_history(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct db_change c[2] = { { "contacts", 50, false },
		                  { "staff_fte", 2.5, false } };
	struct db_outcome o = poll_ok("KU091", 100, 24321, 2);
	struct figs f;
	struct revs r;
	int n_dirty = 0;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	o.changes = c;
	o.n_changes = 2;
	CHECK(store_db_record(db, &o) == 0);
	c[0].value = 10;
	c[0].is_revision = true;
	o = poll_ok("KU091", 200, 24321, 1);
	o.source = "submission";
	o.token_id = 0;
	o.changes = c;
	o.n_changes = 1;
	CHECK(store_db_record(db, &o) == 0);
	CHECK(query_int("SELECT COUNT(*) FROM figures") == 2);
	CHECK(query_int("SELECT value FROM figures WHERE measure = "
	                "'contacts'") == 10);
	CHECK(query_int("SELECT COUNT(*) FROM history") == 1);
	CHECK(query_int("SELECT value FROM history") == 50);
	CHECK(query_int("SELECT replaced FROM history") == 200);
	memset(&f, 0, sizeof(f));
	CHECK(store_db_each_figure(db, NULL, collect_figure, &f) == 0);
	memset(&f, 0, sizeof(f));
	CHECK(store_db_each_figure(db, "KU049", collect_figure, &f) == 0);
	CHECK(f.n == 0);
	CHECK(store_db_each_figure(db, "KU091", collect_figure, &f) == 0);
	CHECK(f.n == 2);
	/* a figure carries its period's first receipt */
	CHECK(f.n == 2 && f.f[0].received == 100 && f.f[1].received == 100);
	CHECK(f.n == 2 && f.f[0].period == 24321);
	memset(&r, 0, sizeof(r));
	CHECK(store_db_each_revision(db, "KU091", -1, "contacts", 100,
	                             collect_revision, &r) == 0);
	CHECK(r.n == 2);
	CHECK(r.n == 2 && r.r[0].value == 10 && r.r[0].replaced == 0);
	CHECK_STR(r.r[0].source, "submission");
	CHECK(r.n == 2 && r.r[1].value == 50 && r.r[1].replaced == 200);
	CHECK_STR(r.r[1].source, "poll");
	memset(&r, 0, sizeof(r));
	CHECK(store_db_each_revision(db, "KU091", 24320, NULL, 100,
	                             collect_revision, &r) == 0);
	CHECK(r.n == 0);
	CHECK(store_db_each_dirty(db, collect_dirty, &n_dirty) == 0);
	CHECK(n_dirty == 1);
	CHECK(store_db_clean(db, "KU091") == 0);
	n_dirty = 0;
	CHECK(store_db_each_dirty(db, collect_dirty, &n_dirty) == 0);
	CHECK(n_dirty == 0);
	store_db_close(db);
}

struct flag_rows {
	struct db_flag_row f[4];
	size_t n;
};

static int
collect_flag(void *ctx, const struct db_flag_row *f)
{
	struct flag_rows *r = ctx;

	if (r->n < 4)
		r->f[r->n++] = *f;
	return 0;
}

static int
count_key(void *ctx, const struct db_flag_key *k)
{
	(void)k;
	(*(int *)ctx)++;
	return 0;
}

/* Outlier flags: raised with their figures, an infinite z kept as NULL,
 * confirmed with a comment, cleared by a revision of their figure (and
 * raised anew in the same record), never by another figure's. */
static void
test_flags(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct db_change c[2] = { { "contacts", 400, false },
		                  { "staff_fte", 40, false } };
	struct db_flag fl[2] = { { "contacts", 400, 134.9, 100 },
		                 { "staff_fte", 40, INFINITY, 4 } };
	struct db_outcome o = poll_ok("KU091", 100, 24321, 2);
	struct db_flag_row row;
	struct flag_rows r;
	char text[64];
	int n = 0;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	o.changes = c;
	o.n_changes = 2;
	o.flags = fl;
	o.n_flags = 2;
	CHECK(store_db_record(db, &o) == 0);
	CHECK(query_int("SELECT COUNT(*) FROM flags WHERE raised = 100 AND "
	                "cleared IS NULL AND period = 24321") == 2);
	CHECK(query_int("SELECT COUNT(*) FROM flags WHERE z IS NULL AND "
	                "measure = 'staff_fte'") == 1);
	memset(&r, 0, sizeof(r));
	CHECK(store_db_each_flag(db, "KU091", false, 10, collect_flag, &r) ==
	      0);
	CHECK(r.n == 2);
	CHECK_STR(r.f[0].measure, "contacts");
	CHECK(r.n == 2 && r.f[0].z == 134.9 && r.f[0].median == 100 &&
	      r.f[0].value == 400 && r.f[0].confirmed == 0);
	CHECK(r.n == 2 && isnan(r.f[1].z));
	memset(&r, 0, sizeof(r));
	CHECK(store_db_each_flag(db, "KU049", true, 10, collect_flag, &r) == 0);
	CHECK(r.n == 0);
	/* confirmed: 1 and the row; no such flag: 0 */
	CHECK(store_db_flag_confirm(db, "KU091", "contacts", 24321, "right", 7,
	                            150, &row) == 1);
	CHECK_STR(row.comment, "right");
	CHECK(row.confirmed == 150 && row.confirmed_by == 7);
	CHECK(store_db_flag_confirm(db, "KU091", "contacts", 24320, "x", 7, 150,
	                            &row) == 0);
	CHECK_STR(query_text("SELECT comment FROM flags WHERE measure = "
	                     "'contacts'",
	                     text, sizeof(text)),
	          "right");
	/* a revision of contacts: its flag cleared; staff_fte's stays */
	c[0].value = 101;
	c[0].is_revision = true;
	o = poll_ok("KU091", 200, 24321, 1);
	o.changes = c;
	o.n_changes = 1;
	CHECK(store_db_record(db, &o) == 0);
	CHECK(query_int("SELECT cleared FROM flags WHERE measure = "
	                "'contacts'") == 200);
	CHECK(query_int("SELECT COUNT(*) FROM flags WHERE cleared IS NULL") ==
	      1);
	CHECK(store_db_flag_confirm(db, "KU091", "contacts", 24321, "late", 7,
	                            250, &row) == 0);
	memset(&r, 0, sizeof(r));
	CHECK(store_db_each_flag(db, NULL, false, 10, collect_flag, &r) == 0);
	CHECK(r.n == 1);
	memset(&r, 0, sizeof(r));
	CHECK(store_db_each_flag(db, NULL, true, 10, collect_flag, &r) == 0);
	CHECK(r.n == 2);
	CHECK(store_db_each_open_flag(db, 24321, 24321, count_key, &n) == 0);
	CHECK(n == 1);
	n = 0;
	CHECK(store_db_each_open_flag(db, 24300, 24320, count_key, &n) == 0);
	CHECK(n == 0);
	/* revised to another far value: cleared and raised anew, open */
	c[0].value = 900;
	fl[0].value = 900;
	o = poll_ok("KU091", 300, 24321, 1);
	o.changes = c;
	o.n_changes = 1;
	o.flags = fl;
	o.n_flags = 1;
	CHECK(store_db_record(db, &o) == 0);
	CHECK(query_int("SELECT COUNT(*) FROM flags WHERE measure = "
	                "'contacts' AND value = 900 AND raised = 300 AND "
	                "cleared IS NULL AND confirmed IS NULL") == 1);
	store_db_close(db);
}

/* Changes inside a batch are committed when recorded; an atomic batch
 * (an import) is all or nothing. */
static void
test_batches(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct db_change c = { "contacts", 7, false };
	struct db_outcome o = poll_ok("KU049", 100, 24321, 1);
	long long v0 = 0, v1 = 0;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	o.changes = &c;
	o.n_changes = 1;
	CHECK(store_db_data_version(db, &v0) == 0);
	CHECK(store_db_begin(db) == 0);
	CHECK(store_db_record(db, &o) == 0);
	/* seen from another connection before the batch ends */
	CHECK(query_int("SELECT COUNT(*) FROM figures") == 1);
	CHECK(store_db_commit(db) == 0);
	CHECK(store_db_begin_atomic(db) == 0);
	o = poll_ok("KU020", 100, 24321, 1);
	o.source = "import";
	o.changes = &c;
	o.n_changes = 1;
	CHECK(store_db_record(db, &o) == 0);
	CHECK(query_int("SELECT COUNT(*) FROM figures") == 1);
	CHECK(store_db_rollback(db) == 0);
	CHECK(query_int("SELECT COUNT(*) FROM figures") == 1);
	CHECK(query_int("SELECT COUNT(*) FROM polls WHERE source = "
	                "'import'") == 0);
	/* our own commits do not move the data version; another's do */
	CHECK(store_db_data_version(db, &v1) == 0);
	CHECK(v1 == v0);
	{
		sqlite3 *h;

		CHECK(sqlite3_open(fx.path, &h) == SQLITE_OK);
		CHECK(sqlite3_exec(h, "DELETE FROM rrd_dirty", NULL, NULL,
		                   NULL) == SQLITE_OK);
		sqlite3_close(h);
	}
	CHECK(store_db_data_version(db, &v1) == 0);
	CHECK(v1 != v0);
	store_db_close(db);
}

/* Retention: polls with their rejections and violations, and audit
 * lines, older than the cut go, in batches, the newer ones stay; figures,
 * their history, reports and tokens never go, however old. */
static void
test_prune(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct db_rejection rej = { "contacts", "out_of_range", NULL };
	const char *viol = "contacts_remote <= contacts";
	struct db_change c = { "contacts", 5, false };
	unsigned char hash[DB_TOKEN_HASH_BYTES] = { 1 };
	struct db_audit a = { 0 };
	struct db_outcome o;
	long long token = 0;
	size_t n = 0;
	time_t t;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(store_db_token_insert(db, "municipality", "KU091", hash, 10,
	                            &token) == 0);
	/* 2,500 old polls (t 1000..3499), each with a rejection and a
	 * violation, then 10 new ones (t 5000..); the first old one
	 * changes a figure, the second revises it */
	for (t = 1000; t < 3500; t++) {
		o = poll_ok("KU091", t, 24321, 1);
		o.rejections = &rej;
		o.n_rejections = 1;
		o.violations = &viol;
		o.n_violations = 1;
		if (t < 1002) {
			c.value = (double)t;
			c.is_revision = t == 1001;
			o.changes = &c;
			o.n_changes = 1;
		}
		CHECK(store_db_record(db, &o) == 0);
	}
	for (t = 5000; t < 5010; t++) {
		o = poll_ok("KU091", t, 24322, 1);
		o.rejections = &rej;
		o.n_rejections = 1;
		CHECK(store_db_record(db, &o) == 0);
	}
	a.token_id = token;
	a.remote = "127.0.0.1";
	a.area = "KU091";
	a.outcome = "accepted";
	for (t = 1500; t < 1700; t++) {
		a.time = t;
		CHECK(store_db_audit(db, &a) == 0);
	}
	a.time = 5000;
	CHECK(store_db_audit(db, &a) == 0);
	/* nothing is older than the first row */
	CHECK(store_db_prune(db, 1000, 1000, &n) == 0);
	CHECK(n == 0);
	/* the cut is exclusive: t < 5000 goes; 2,500 polls in batches of
	 * 1,000 (three transactions), 200 audit lines */
	CHECK(store_db_prune(db, 5000, 1000, &n) == 0);
	CHECK(n == 2700);
	CHECK(query_int("SELECT COUNT(*) FROM polls") == 10);
	CHECK(query_int("SELECT MIN(time) FROM polls") == 5000);
	CHECK(query_int("SELECT COUNT(*) FROM rejections") == 10);
	CHECK(query_int("SELECT COUNT(*) FROM violations") == 0);
	CHECK(query_int("SELECT COUNT(*) FROM audit") == 1);
	CHECK(query_int("SELECT COUNT(*) FROM figures") == 1);
	CHECK(query_int("SELECT value FROM figures") == 1001);
	CHECK(query_int("SELECT COUNT(*) FROM history") == 1);
	CHECK(query_int("SELECT received FROM history") == 1000);
	CHECK(query_int("SELECT COUNT(*) FROM reports") == 2);
	CHECK(query_int("SELECT COUNT(*) FROM tokens") == 1);
	CHECK(query_int("SELECT COUNT(*) FROM rejections WHERE poll_id"
	                " NOT IN (SELECT id FROM polls)") == 0);
	/* again: nothing left to prune */
	n = 0;
	CHECK(store_db_prune(db, 5000, 1000, &n) == 0);
	CHECK(n == 0);
	/* never inside a batch: it would commit the batch's rows */
	CHECK(store_db_begin(db) == 0);
	CHECK(store_db_prune(db, 6000, 1000, &n) == -1);
	CHECK(store_db_commit(db) == 0);
	CHECK(query_int("SELECT COUNT(*) FROM polls") == 10);
	store_db_close(db);
}

static int
count_area(void *ctx, const char *area)
{
	(void)area;
	(*(int *)ctx)++;
	return 0;
}

/* An import: staged rows count for nothing until committed; applied in
 * transactions of a few groups, each as store_db_record records it (new,
 * revised with the old value in the history, as held: nothing); an
 * interrupted apply is finished by the next open; an abort drops it. */
static void
test_import(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct db_change c = { "contacts", 5, false };
	struct db_outcome o = poll_ok("KU091", 100, 24321, 1);
	struct db_import_row rows[40];
	struct db_import_tally t = { 0 };
	struct error err = { 0 };
	char area[40][8];
	int i, n_touched = 0;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	o.changes = &c;
	o.n_changes = 1;
	CHECK(store_db_record(db, &o) == 0); /* KU091 24321 contacts 5 */
	for (i = 0; i < 40; i++) {           /* 20 groups of 2, sorted */
		snprintf(area[i], sizeof(area[i]), "KU%03d",
		         i < 36 ? 80 + i / 4 : 91);
		rows[i].area = area[i];
		rows[i].period = 24320 + (i / 2) % 2;
		rows[i].measure = i % 2 ? "staff_fte" : "contacts";
		rows[i].value = 7;
		rows[i].first_time = 50;
	}
	/* KU091 24321: contacts 5 -> 5 (as held), staff_fte new */
	rows[38].value = 5;
	/* KU091 24320: contacts new, staff_fte new; KU090 all new */
	CHECK(store_db_import_pending(db) == 0);
	CHECK(store_db_import_stage(db, 1000, rows, 40, 50, &t) == 0);
	CHECK(store_db_import_pending(db) == 1);
	CHECK(query_int("SELECT COUNT(*) FROM figures") == 1);
	CHECK(store_db_import_abort(db) == 0);
	CHECK(store_db_import_pending(db) == 0);
	CHECK(query_int("SELECT COUNT(*) FROM import_rows") == 0);
	/* staged and committed, then "killed": the next open applies it */
	rows[39].value = 9; /* KU091 24321 staff_fte */
	rows[37].value = 9; /* KU091 24320 staff_fte */
	CHECK(store_db_import_stage(db, 1000, rows, 40, 50, &t) == 0);
	CHECK(store_db_import_commit(db) == 0);
	CHECK(store_db_import_pending(db) == 2);
	store_db_close(db);
	db = store_db_open(fx.path, &err);
	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(store_db_import_pending(db) == 0);
	CHECK(query_int("SELECT COUNT(*) FROM figures") == 40);
	CHECK(query_int("SELECT COUNT(*) FROM history") == 0); /* 5 = 5 */
	CHECK(query_int("SELECT received FROM figures WHERE area = 'KU091'"
	                " AND period = 24320 AND measure = 'contacts'") == 50);
	/* a held period: the import's time */
	CHECK(query_int("SELECT received FROM figures WHERE area = 'KU091'"
	                " AND period = 24321 AND measure = 'staff_fte'") ==
	      1000);
	CHECK(query_int("SELECT COUNT(*) FROM polls WHERE source ="
	                " 'import'") == 20);
	CHECK(query_int("SELECT COUNT(*) FROM reports") == 20);
	CHECK(query_int("SELECT COUNT(*) FROM rrd_dirty") == 10);
	/* a revision, applied a group at a time by a small max_ms */
	rows[38].value = 6;
	memset(&t, 0, sizeof(t));
	CHECK(store_db_import_stage(db, 2000, rows, 40, 50, &t) == 0);
	CHECK(store_db_import_commit(db) == 0);
	CHECK(store_db_import_apply(db, 0, count_area, &n_touched, &t) == 0);
	CHECK(t.n_new == 0 && t.n_revised == 1 && t.n_unchanged == 39);
	CHECK(t.n_groups == 20);
	CHECK(n_touched == 1);
	CHECK(query_int("SELECT value FROM history") == 5);
	CHECK(query_int("SELECT replaced FROM history") == 2000);
	CHECK(query_int("SELECT value FROM figures WHERE area = 'KU091'"
	                " AND period = 24321 AND measure = 'contacts'") == 6);
	CHECK(query_int("SELECT COUNT(*) FROM import_rows") == 0);
	CHECK(query_int("SELECT COUNT(*) FROM import_state") == 0);
	store_db_close(db);
}

/* A v1 database (figures filed by arrival time) is refused, saying what
 * to do. */
static void
test_v1_refused(void)
{
	struct store_db *db = fixture_db_open(&fx, "test_store_db");
	struct error err = { 0 };
	sqlite3 *h;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	store_db_close(db);
	CHECK(sqlite3_open(fx.path, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "PRAGMA user_version = 1", NULL, NULL, NULL) ==
	      SQLITE_OK);
	sqlite3_close(h);
	CHECK(store_db_open(fx.path, &err) == NULL);
	CHECK(strstr(err.msg, "kuntamon v1") != NULL);
	CHECK(strstr(err.msg, "kuntamonctl import") != NULL);
	CHECK(query_int("PRAGMA user_version") == 1);
}

int
main(void)
{
	RUN(test_open_wal_schema);
	RUN(test_record_poll_and_submission);
	RUN(test_endpoint_state);
	RUN(test_first_receipt_kept);
	RUN(test_count_reported);
	RUN(test_transactions);
	RUN(test_threads);
	RUN(test_reopen_keeps_data);
	RUN(test_figures_and_history);
	RUN(test_flags);
	RUN(test_batches);
	RUN(test_prune);
	RUN(test_import);
	RUN(test_v1_refused);
	fixture_db_remove(&fx, NULL);
	return check_done();
}
