/*
 * store_db.c: the SQLite database, kuntamon.db, and everything SQLite.
 *
 * Invariants:
 * - One connection, in WAL mode with synchronous=NORMAL: a crash loses at
 *   most the last transactions, never consistency. db->lock serialises
 *   every use of the connection and of its cached statements.
 * - Each record is all or nothing: its own transaction, or a savepoint
 *   inside the caller's store_db_begin/commit (a plain poll row with its
 *   endpoint's state, in a batch, goes without: see store_db_record).
 * - reports keeps the first receipt of each (area, period); areas_seen the
 *   latest document of any period. endpoint_state has one row per polled
 *   area, changed only by polls.
 * - tokens holds hashes only, never a token's text; a token is revoked,
 *   never deleted, so the audit log's token ids always resolve. sessions
 *   likewise holds the hash of a cookie's secret; a revocation deletes
 *   the token's sessions, and the lookup joins the token anyway.
 * - The schema version is PRAGMA user_version; a newer database than this
 *   program knows is refused rather than guessed at.
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_db.h"
#include "xmalloc.h"

/* 1: kuntamon v1, which filed figures in RRD files by arrival time and
 * kept none here; such a database is refused, not migrated (its files
 * hold no periods to migrate from). */
#define SCHEMA_VERSION 2

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS polls ("
    " id INTEGER PRIMARY KEY,"
    " area TEXT NOT NULL,"
    " time INTEGER NOT NULL,"
    " source TEXT NOT NULL,"
    " http_status INTEGER NOT NULL DEFAULT 0,"
    " latency_ms REAL NOT NULL DEFAULT 0,"
    " bytes INTEGER NOT NULL DEFAULT 0,"
    " period INTEGER," /* NULL: none usable */
    " accepted INTEGER NOT NULL DEFAULT 0,"
    " rejected INTEGER NOT NULL DEFAULT 0,"
    " error TEXT);" /* NULL: the document was taken */
    "CREATE INDEX IF NOT EXISTS polls_area_time ON polls(area, time);"
    "CREATE INDEX IF NOT EXISTS polls_time ON polls(time);"
    "CREATE TABLE IF NOT EXISTS rejections ("
    " poll_id INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,"
    " measure TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " detail TEXT);"
    "CREATE INDEX IF NOT EXISTS rejections_poll ON rejections(poll_id);"
    "CREATE TABLE IF NOT EXISTS violations ("
    " poll_id INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,"
    " rule TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS violations_poll ON violations(poll_id);"
    "CREATE TABLE IF NOT EXISTS reports ("
    " area TEXT NOT NULL,"
    " period INTEGER NOT NULL,"
    " received INTEGER NOT NULL,"
    " PRIMARY KEY (area, period)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS reports_period ON reports(period, received);"
    "CREATE TABLE IF NOT EXISTS areas_seen ("
    " area TEXT PRIMARY KEY,"
    " last_received INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS endpoint_state ("
    " area TEXT PRIMARY KEY,"
    " last_poll INTEGER NOT NULL DEFAULT 0,"
    " last_success INTEGER NOT NULL DEFAULT 0,"
    " last_error_time INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '',"
    " consecutive_failures INTEGER NOT NULL DEFAULT 0,"
    " latency_ms REAL NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tokens ("
    " id INTEGER PRIMARY KEY,"
    " role TEXT NOT NULL,"
    " area TEXT,"
    " hash BLOB NOT NULL UNIQUE,"
    " created INTEGER NOT NULL,"
    " last_used INTEGER,"
    " revoked INTEGER);"
    /* browser sessions (daemon/session.c): the hash of the cookie's
     * secret; valid while unexpired and its token unrevoked */
    "CREATE TABLE IF NOT EXISTS sessions ("
    " id INTEGER PRIMARY KEY,"
    " hash BLOB NOT NULL UNIQUE,"
    " token_id INTEGER NOT NULL REFERENCES tokens(id),"
    " csrf BLOB NOT NULL,"
    " created INTEGER NOT NULL,"
    " expires INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS sessions_token ON sessions(token_id);"
    "CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires);"
    "CREATE TABLE IF NOT EXISTS audit ("
    " id INTEGER PRIMARY KEY,"
    " time INTEGER NOT NULL,"
    " token_id INTEGER REFERENCES tokens(id),"
    " remote TEXT,"
    " area TEXT,"
    " outcome TEXT NOT NULL,"
    " detail TEXT);"
    "CREATE INDEX IF NOT EXISTS audit_time ON audit(time);"
    "CREATE TABLE IF NOT EXISTS figures ("
    " area TEXT NOT NULL,"
    " period INTEGER NOT NULL,"
    " measure TEXT NOT NULL,"
    " value REAL NOT NULL,"
    " received INTEGER NOT NULL,"
    " source TEXT NOT NULL,"
    " token_id INTEGER," /* a submission's token */
    " PRIMARY KEY (area, period, measure)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS history ("
    " area TEXT NOT NULL,"
    " period INTEGER NOT NULL,"
    " measure TEXT NOT NULL,"
    " value REAL NOT NULL,"
    " received INTEGER NOT NULL,"
    " source TEXT NOT NULL,"
    " token_id INTEGER,"
    " replaced INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS history_area ON history(area, period);"
    /* outliers (figures/outlier.h) raised on a figure, one row per
     * figure: cleared when a revision replaces it, confirmed with a
     * comment by its municipality; never pruned. z NULL: infinite. */
    "CREATE TABLE IF NOT EXISTS flags ("
    " area TEXT NOT NULL,"
    " measure TEXT NOT NULL,"
    " period INTEGER NOT NULL,"
    " value REAL NOT NULL,"
    " z REAL,"
    " median REAL NOT NULL,"
    " raised INTEGER NOT NULL,"
    " comment TEXT,"
    " confirmed INTEGER,"
    " confirmed_by INTEGER,"
    " cleared INTEGER,"
    " PRIMARY KEY (area, measure, period)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS flags_raised ON flags(raised);"
    "CREATE TABLE IF NOT EXISTS rrd_dirty ("
    " area TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS audit_area_time ON audit(area, time);"
    /* kuntamonctl import: the checked rows, staged, then applied group by
     * group (grp: one (area, period) each, ascending) once import_state
     * says 'applying'; see store_db_import_stage */
    "CREATE TABLE IF NOT EXISTS import_rows ("
    " grp INTEGER NOT NULL,"
    " area TEXT NOT NULL,"
    " period INTEGER NOT NULL,"
    " measure TEXT NOT NULL,"
    " value REAL NOT NULL,"
    " first_time INTEGER NOT NULL," /* received if the period is new */
    " time INTEGER,"                /* when applied: received */
    " change INTEGER);"             /* 0 as held, 1 new, 2 revised */
    "CREATE INDEX IF NOT EXISTS import_rows_grp ON import_rows(grp);"
    "CREATE TABLE IF NOT EXISTS import_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " time INTEGER NOT NULL,"
    " state TEXT NOT NULL);"; /* 'staging' or 'applying' */

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_POLL,
	ST_REJECTION,
	ST_VIOLATION,
	ST_REPORT,
	ST_SEEN,
	ST_STATE_OK,
	ST_STATE_FAIL,
	ST_STATES,
	ST_LATEST,
	ST_COUNT,
	ST_TOKEN_INSERT,
	ST_TOKEN_FIND,
	ST_TOKEN_TOUCH,
	ST_TOKEN_REVOKE,
	ST_TOKENS,
	ST_SESSION_INSERT,
	ST_SESSION_TRIM,
	ST_SESSION_FIND,
	ST_SESSION_DELETE,
	ST_SESSION_END_TOKEN,
	ST_SESSION_PRUNE,
	ST_AUDIT,
	ST_FIG_HISTORY,
	ST_FIG_PUT,
	ST_DIRTY,
	ST_CLEAN,
	ST_DIRTIES,
	ST_FIGURES,
	ST_FIGURES_OF,
	ST_REVISIONS,
	ST_DATA_VERSION,
	N_STMTS
};

static const char *const stmt_sql[N_STMTS] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT record",
	[ST_RELEASE] = "RELEASE record",
	[ST_ROLLBACK_TO] = "ROLLBACK TO record",
	[ST_POLL] = "INSERT INTO polls (area, time, source, http_status,"
	            " latency_ms, bytes, period, accepted, rejected, error)"
	            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_REJECTION] = "INSERT INTO rejections (poll_id, measure, reason,"
	                 " detail) VALUES (?1, ?2, ?3, ?4)",
	[ST_VIOLATION] = "INSERT INTO violations (poll_id, rule)"
	                 " VALUES (?1, ?2)",
	[ST_REPORT] = "INSERT INTO reports (area, period, received)"
	              " VALUES (?1, ?2, ?3) ON CONFLICT (area, period)"
	              " DO UPDATE SET received = MIN(received,"
	              " excluded.received)",
	[ST_SEEN] = "INSERT INTO areas_seen (area, last_received)"
	            " VALUES (?1, ?2) ON CONFLICT (area) DO UPDATE SET"
	            " last_received = MAX(last_received,"
	            " excluded.last_received)",
	[ST_STATE_OK] = "INSERT INTO endpoint_state (area, last_poll,"
	                " last_success, consecutive_failures, latency_ms)"
	                " VALUES (?1, ?2, ?2, 0, ?3) ON CONFLICT (area)"
	                " DO UPDATE SET last_poll = excluded.last_poll,"
	                " last_success = excluded.last_success,"
	                " consecutive_failures = 0,"
	                " latency_ms = excluded.latency_ms",
	[ST_STATE_FAIL] = "INSERT INTO endpoint_state (area, last_poll,"
	                  " last_error_time, last_error,"
	                  " consecutive_failures, latency_ms)"
	                  " VALUES (?1, ?2, ?2, ?3, 1, ?4) ON CONFLICT (area)"
	                  " DO UPDATE SET last_poll = excluded.last_poll,"
	                  " last_error_time = excluded.last_error_time,"
	                  " last_error = excluded.last_error,"
	                  " consecutive_failures = consecutive_failures + 1,"
	                  " latency_ms = excluded.latency_ms",
	[ST_STATES] = "SELECT area, last_poll, last_success, last_error_time,"
	              " last_error, consecutive_failures, latency_ms"
	              " FROM endpoint_state ORDER BY area",
	[ST_LATEST] = "SELECT r.area, r.period, r.received,"
	              " COALESCE(s.last_received, r.received)"
	              " FROM reports r LEFT JOIN areas_seen s USING (area)"
	              " WHERE r.period = (SELECT MAX(period) FROM reports"
	              " WHERE area = r.area) ORDER BY r.area",
	[ST_COUNT] = "SELECT COUNT(*), COALESCE(SUM(received <= ?2), 0)"
	             " FROM reports WHERE period = ?1",
	[ST_TOKEN_INSERT] = "INSERT INTO tokens (role, area, hash, created)"
	                    " VALUES (?1, ?2, ?3, ?4)",
	[ST_TOKEN_FIND] = "SELECT id, role, area, hash, created, last_used,"
	                  " revoked FROM tokens WHERE hash = ?1",
	[ST_TOKEN_TOUCH] = "UPDATE tokens SET last_used = ?2 WHERE id = ?1",
	[ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked = ?2"
	                    " WHERE id = ?1 AND revoked IS NULL",
	[ST_TOKENS] = "SELECT id, role, area, hash, created, last_used,"
	              " revoked FROM tokens ORDER BY id",
	[ST_SESSION_INSERT] = "INSERT INTO sessions (hash, token_id, csrf,"
	                      " created, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
	/* a token's expired sessions, and all but its newest ?2 */
	[ST_SESSION_TRIM] = "DELETE FROM sessions WHERE token_id = ?1 AND"
	                    " (expires <= ?3 OR id NOT IN (SELECT id FROM"
	                    " sessions WHERE token_id = ?1 ORDER BY id DESC"
	                    " LIMIT ?2))",
	/* with its token, read afresh on every request (see tokens) */
	[ST_SESSION_FIND] = "SELECT s.id, s.hash, s.token_id, s.csrf,"
	                    " s.created, s.expires, t.role, t.area, t.revoked"
	                    " FROM sessions s JOIN tokens t ON t.id ="
	                    " s.token_id WHERE s.hash = ?1",
	[ST_SESSION_DELETE] = "DELETE FROM sessions WHERE id = ?1",
	[ST_SESSION_END_TOKEN] = "DELETE FROM sessions WHERE token_id = ?1",
	[ST_SESSION_PRUNE] = "DELETE FROM sessions WHERE expires <= ?1",
	[ST_AUDIT] = "INSERT INTO audit (time, token_id, remote, area,"
	             " outcome, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_FIG_HISTORY] = "INSERT INTO history (area, period, measure,"
	                   " value, received, source, token_id, replaced)"
	                   " SELECT area, period, measure, value, received,"
	                   " source, token_id, ?4 FROM figures WHERE"
	                   " area = ?1 AND period = ?2 AND measure = ?3",
	[ST_FIG_PUT] = "INSERT INTO figures (area, period, measure, value,"
	               " received, source, token_id)"
	               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	               " ON CONFLICT (area, period, measure) DO UPDATE SET"
	               " value = excluded.value,"
	               " received = excluded.received,"
	               " source = excluded.source,"
	               " token_id = excluded.token_id",
	[ST_DIRTY] = "INSERT OR IGNORE INTO rrd_dirty (area) VALUES (?1)",
	[ST_CLEAN] = "DELETE FROM rrd_dirty WHERE area = ?1",
	[ST_DIRTIES] = "SELECT area FROM rrd_dirty ORDER BY area",
	[ST_FIGURES] = "SELECT f.area, f.period, f.measure, f.value,"
	               " COALESCE(r.received, f.received) FROM figures f"
	               " LEFT JOIN reports r USING (area, period)"
	               " WHERE (f.area, f.period, f.measure) > (?1, ?2, ?3)"
	               " ORDER BY f.area, f.period, f.measure LIMIT ?4",
	[ST_FIGURES_OF] = "SELECT f.area, f.period, f.measure, f.value,"
	                  " COALESCE(r.received, f.received) FROM figures f"
	                  " LEFT JOIN reports r USING (area, period)"
	                  " WHERE f.area = ?1 ORDER BY f.period",
	[ST_REVISIONS] = "SELECT period, measure, value, received, source,"
	                 " token_id, 0 FROM figures WHERE area = ?1"
	                 " AND (?2 < 0 OR period = ?2)"
	                 " AND (?3 IS NULL OR measure = ?3)"
	                 " UNION ALL SELECT period, measure, value, received,"
	                 " source, token_id, replaced FROM history"
	                 " WHERE area = ?1 AND (?2 < 0 OR period = ?2)"
	                 " AND (?3 IS NULL OR measure = ?3)"
	                 " ORDER BY 4 DESC, 7, 1 DESC, 2 LIMIT ?4",
	[ST_DATA_VERSION] = "PRAGMA data_version",
};

struct store_db {
	sqlite3 *db;
	sqlite3_stmt *stmts[N_STMTS];
	pthread_mutex_t lock;
	bool in_tx;         /* inside store_db_begin .. store_db_commit */
	bool is_atomic;     /* ... and all of it or nothing (an import) */
	long long begun_ms; /* CLOCK_MONOTONIC when the batch began */
};

/* Runs a statement that returns no rows; SQLITE_DONE or the error. */
static int
run(struct store_db *db, enum stmt s)
{
	sqlite3_stmt *st = db->stmts[s];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* A LIMIT of at most max rows. */
static void
bind_limit(sqlite3_stmt *st, int i, size_t limit, size_t max)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)(limit < max ? limit : max));
}

static void
log_db(const char *what, const char *area, const struct store_db *db)
{
	char q[300];

	log_warn(what, "area=%s err=%s", area != NULL ? area : "-",
	         log_quote(sqlite3_errmsg(db->db), q, sizeof(q)));
}

static int
exec_sql(sqlite3 *h, const char *sql, struct error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error_set(err, 0, "%s", msg != NULL ? msg : sqlite3_errmsg(h));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* The single-value answer of a pragma, as text. */
static int
pragma_text(sqlite3 *h, const char *sql, char *out, size_t size,
            struct error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		error_set(err, 0, "%s: %s", sql, sqlite3_errmsg(h));
		goto out;
	}
	snprintf(out, size, "%s",
	         sqlite3_column_text(st, 0) != NULL
	             ? (const char *)sqlite3_column_text(st, 0)
	             : "");
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

static int
migrate(sqlite3 *h, struct error *err)
{
	char v[32];
	long version;

	if (exec_sql(h, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (pragma_text(h, "PRAGMA user_version", v, sizeof(v), err) < 0)
		goto fail;
	version = strtol(v, NULL, 10);
	if (version == 1) {
		error_set(
		    err, 0,
		    "the database was written by kuntamon v1, which filed "
		    "figures by arrival time: start v2 on a new [storage] "
		    "dir and re-import the history with kuntamonctl import");
		goto fail;
	}
	if (version > SCHEMA_VERSION) {
		error_set(
		    err, 0,
		    "database schema version %ld is newer than this program's "
		    "(%d)",
		    version, SCHEMA_VERSION);
		goto fail;
	}
	if (exec_sql(h, schema, err) < 0)
		goto fail;
	if (version < SCHEMA_VERSION) {
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		         SCHEMA_VERSION);
		if (exec_sql(h, sql, err) < 0)
			goto fail;
	}
	return exec_sql(h, "COMMIT", err);
fail:
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

struct store_db *
store_db_open(const char *path, struct error *err)
{
	struct store_db *db = xcalloc(1, sizeof(*db));
	char mode[32];
	int i;

	if (sqlite3_open_v2(path, &db->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                        SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		error_set(err, 0, "cannot open %s: %s", path,
		          db->db != NULL ? sqlite3_errmsg(db->db)
		                         : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->db, 5000);
	if (pragma_text(db->db, "PRAGMA journal_mode = WAL", mode, sizeof(mode),
	                err) < 0)
		goto fail;
	if (strcmp(mode, "wal") != 0) {
		error_set(err, 0, "%s: cannot use WAL (journal mode %s)", path,
		          mode);
		goto fail;
	}
	if (exec_sql(db->db,
	             "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
	             err) < 0)
		goto fail;
	if (migrate(db->db, err) < 0)
		goto fail;
	for (i = 0; i < N_STMTS; i++)
		if (sqlite3_prepare_v3(db->db, stmt_sql[i], -1,
		                       SQLITE_PREPARE_PERSISTENT, &db->stmts[i],
		                       NULL) != SQLITE_OK) {
			error_set(err, 0, "%s: %s", path,
			          sqlite3_errmsg(db->db));
			goto fail;
		}
	pthread_mutex_init(&db->lock, NULL);
	if (store_db_import_pending(db) == 2) {
		/* an import was committed and then interrupted: finish it,
		 * so that it counts whole (its files are marked) */
		struct db_import_tally t = { 0 };

		if (store_db_import_apply(db, 50, NULL, NULL, &t) == 0)
			log_info("interrupted import finished",
			         "groups=%zu new=%zu revised=%zu", t.n_groups,
			         t.n_new, t.n_revised);
	}
	return db;
fail:
	for (i = 0; i < N_STMTS; i++)
		sqlite3_finalize(db->stmts[i]);
	sqlite3_close(db->db);
	free(db);
	return NULL;
}

void
store_db_close(struct store_db *db)
{
	int i;

	if (db == NULL)
		return;
	if (db->in_tx && run(db, ST_COMMIT) != SQLITE_DONE)
		log_db("database commit failed", NULL, db);
	for (i = 0; i < N_STMTS; i++)
		sqlite3_finalize(db->stmts[i]);
	if (sqlite3_close(db->db) != SQLITE_OK)
		log_db("database close failed", NULL, db);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

int
store_db_begin_atomic(struct store_db *db)
{
	int rc = store_db_begin(db);

	pthread_mutex_lock(&db->lock);
	db->is_atomic = rc == 0;
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int
store_db_rollback(struct store_db *db)
{
	pthread_mutex_lock(&db->lock);
	if (db->in_tx)
		run(db, ST_ROLLBACK);
	db->in_tx = db->is_atomic = false;
	pthread_mutex_unlock(&db->lock);
	return 0;
}

int
store_db_begin(struct store_db *db)
{
	int rc = 0;

	pthread_mutex_lock(&db->lock);
	if (db->in_tx) {
		log_warn("database transaction already open", NULL);
		rc = -1;
	} else if (run(db, ST_BEGIN) != SQLITE_DONE) {
		log_db("database begin failed", NULL, db);
		rc = -1;
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		db->in_tx = true;
		db->begun_ms =
		    (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/* Commits a batch early and opens the next, unless it is atomic (an
 * import, all or nothing). Lock held. */
static int
commit_batch(struct store_db *db, const char *area)
{
	if (!db->in_tx || db->is_atomic)
		return 0;
	if (run(db, ST_COMMIT) != SQLITE_DONE) {
		log_db("database commit failed", area, db);
		run(db, ST_ROLLBACK);
		db->in_tx = false;
		return -1;
	}
	if (run(db, ST_BEGIN) != SQLITE_DONE) {
		log_db("database begin failed", area, db);
		db->in_tx = false;
	}
	return 0;
}

long long
store_db_batch_age_ms(struct store_db *db)
{
	struct timespec ts;
	long long age = -1;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&db->lock);
	if (db->in_tx)
		age = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
		      db->begun_ms;
	pthread_mutex_unlock(&db->lock);
	return age;
}

int
store_db_commit_if_older(struct store_db *db, long long age_ms)
{
	struct timespec ts;
	long long now;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	pthread_mutex_lock(&db->lock);
	if (db->in_tx && now - db->begun_ms >= age_ms) {
		rc = commit_batch(db, NULL);
		db->begun_ms = now;
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int
store_db_commit(struct store_db *db)
{
	int rc = 0;

	pthread_mutex_lock(&db->lock);
	if (!db->in_tx) {
		log_warn("database commit without begin", NULL);
		rc = -1;
	} else if (run(db, ST_COMMIT) != SQLITE_DONE) {
		/* the batch is lost, but the connection stays usable */
		log_db("database commit failed", NULL, db);
		run(db, ST_ROLLBACK);
		db->in_tx = false;
		rc = -1;
	} else {
		db->in_tx = false;
	}
	db->is_atomic = false;
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/* One figure of o: the value it replaces goes to the history first. */
static int
put_figure(struct store_db *db, const struct db_outcome *o,
           const struct db_change *c)
{
	sqlite3_stmt *st;

	if (c->is_revision) {
		st = db->stmts[ST_FIG_HISTORY];
		bind_text(st, 1, o->area);
		sqlite3_bind_int(st, 2, o->period);
		bind_text(st, 3, c->measure);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)o->time);
		if (run(db, ST_FIG_HISTORY) != SQLITE_DONE)
			return -1;
	}
	st = db->stmts[ST_FIG_PUT];
	bind_text(st, 1, o->area);
	sqlite3_bind_int(st, 2, o->period);
	bind_text(st, 3, c->measure);
	sqlite3_bind_double(st, 4, c->value);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)o->time);
	bind_text(st, 6, o->source != NULL ? o->source : "poll");
	if (o->token_id > 0)
		sqlite3_bind_int64(st, 7, o->token_id);
	else
		sqlite3_bind_null(st, 7);
	return run(db, ST_FIG_PUT) == SQLITE_DONE ? 0 : -1;
}

static sqlite3_stmt *prepare_once(struct store_db *db, const char *sql);

/* o's outliers: a revised figure's open flag is cleared, then the flags
 * o raises replace any row of their figure. Prepared per call: revisions
 * and outliers are rare beside the polls' plain writes. */
static int
put_flags(struct store_db *db, const struct db_outcome *o)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = -1;

	for (i = 0; i < o->n_changes; i++) {
		if (!o->changes[i].is_revision)
			continue;
		if (st == NULL &&
		    (st = prepare_once(db, "UPDATE flags SET cleared = ?4"
		                           " WHERE area = ?1 AND measure = ?2"
		                           " AND period = ?3 AND cleared IS"
		                           " NULL")) == NULL)
			goto out;
		bind_text(st, 1, o->area);
		bind_text(st, 2, o->changes[i].measure);
		sqlite3_bind_int(st, 3, o->period);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)o->time);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	for (i = 0; i < o->n_flags; i++) {
		const struct db_flag *f = &o->flags[i];

		if (st == NULL &&
		    (st = prepare_once(db, "INSERT OR REPLACE INTO flags (area,"
		                           " measure, period, value, z, median,"
		                           " raised) VALUES (?1, ?2, ?3, ?4,"
		                           " ?5, ?6, ?7)")) == NULL)
			goto out;
		bind_text(st, 1, o->area);
		bind_text(st, 2, f->measure);
		sqlite3_bind_int(st, 3, o->period);
		sqlite3_bind_double(st, 4, f->value);
		if (isfinite(f->z))
			sqlite3_bind_double(st, 5, f->z);
		else
			sqlite3_bind_null(st, 5);
		sqlite3_bind_double(st, 6, f->median);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)o->time);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
		sqlite3_reset(st);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* The rows of one outcome; the caller holds the lock and a transaction. */
static int
write_outcome(struct store_db *db, const struct db_outcome *o)
{
	sqlite3_stmt *st = db->stmts[ST_POLL];
	sqlite3_int64 poll_id;
	size_t i;

	bind_text(st, 1, o->area);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)o->time);
	bind_text(st, 3, o->source != NULL ? o->source : "poll");
	sqlite3_bind_int(st, 4, o->http_status);
	sqlite3_bind_double(st, 5, o->latency_ms);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)o->n_bytes);
	if (o->period >= 0)
		sqlite3_bind_int(st, 7, o->period);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)o->n_accepted);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)o->n_rejected);
	bind_text(st, 10, o->error);
	if (run(db, ST_POLL) != SQLITE_DONE)
		return -1;
	poll_id = sqlite3_last_insert_rowid(db->db);
	for (i = 0; i < o->n_rejections; i++) {
		const struct db_rejection *r = &o->rejections[i];

		st = db->stmts[ST_REJECTION];
		sqlite3_bind_int64(st, 1, poll_id);
		bind_text(st, 2, r->measure != NULL ? r->measure : "");
		bind_text(st, 3, r->reason != NULL ? r->reason : "");
		bind_text(st, 4, r->detail);
		if (run(db, ST_REJECTION) != SQLITE_DONE)
			return -1;
	}
	for (i = 0; i < o->n_violations; i++) {
		st = db->stmts[ST_VIOLATION];
		sqlite3_bind_int64(st, 1, poll_id);
		bind_text(st, 2,
		          o->violations[i] != NULL ? o->violations[i] : "");
		if (run(db, ST_VIOLATION) != SQLITE_DONE)
			return -1;
	}
	if (o->error == NULL && o->n_accepted > 0 && o->period >= 0) {
		st = db->stmts[ST_REPORT];
		bind_text(st, 1, o->area);
		sqlite3_bind_int(st, 2, o->period);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)o->time);
		if (run(db, ST_REPORT) != SQLITE_DONE)
			return -1;
		st = db->stmts[ST_SEEN];
		bind_text(st, 1, o->area);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)o->time);
		if (run(db, ST_SEEN) != SQLITE_DONE)
			return -1;
	}
	for (i = 0; i < o->n_changes; i++)
		if (put_figure(db, o, &o->changes[i]) < 0)
			return -1;
	if (put_flags(db, o) < 0)
		return -1;
	if (o->n_changes > 0) {
		st = db->stmts[ST_DIRTY];
		bind_text(st, 1, o->area);
		if (run(db, ST_DIRTY) != SQLITE_DONE)
			return -1;
	}
	if (o->source != NULL && strcmp(o->source, "poll") == 0) {
		enum stmt s = o->error == NULL ? ST_STATE_OK : ST_STATE_FAIL;

		st = db->stmts[s];
		bind_text(st, 1, o->area);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)o->time);
		if (o->error == NULL) {
			sqlite3_bind_double(st, 3, o->latency_ms);
		} else {
			bind_text(st, 3, o->error);
			sqlite3_bind_double(st, 4, o->latency_ms);
		}
		if (run(db, s) != SQLITE_DONE)
			return -1;
	}
	return 0;
}

int
store_db_record(struct store_db *db, const struct db_outcome *o)
{
	bool own_tx, is_plain;
	int rc = -1;

	if (o->area == NULL || o->area[0] == '\0') {
		log_warn("database write failed", "area=- err=\"no area\"");
		return -1;
	}
	pthread_mutex_lock(&db->lock);
	own_tx = !db->in_tx;
	/* In a batch, a poll that brought nothing to keep but its row and
	 * its endpoint's state (most polls: a 304) goes without a savepoint:
	 * each statement is whole by itself, and a state left behind by a
	 * failed second one is put right by the next poll. */
	is_plain = !own_tx && o->n_rejections == 0 && o->n_violations == 0 &&
	           o->n_changes == 0 && !o->is_durable;
	if (!is_plain &&
	    run(db, own_tx ? ST_BEGIN : ST_SAVEPOINT) != SQLITE_DONE) {
		log_db("database write failed", o->area, db);
		goto out;
	}
	if (write_outcome(db, o) < 0) {
		log_db("database write failed", o->area, db);
		if (own_tx) {
			run(db, ST_ROLLBACK);
		} else if (sqlite3_get_autocommit(db->db)) {
			/* SQLite rolled the whole batch back (disk full,
			 * I/O error): later records commit one by one */
			log_warn("database transaction rolled back", "area=%s",
			         o->area);
			db->in_tx = false;
		} else if (!is_plain) {
			run(db, ST_ROLLBACK_TO);
			run(db, ST_RELEASE);
		}
		goto out;
	}
	if (!is_plain &&
	    run(db, own_tx ? ST_COMMIT : ST_RELEASE) != SQLITE_DONE) {
		log_db("database write failed", o->area, db);
		if (own_tx)
			run(db, ST_ROLLBACK);
		goto out;
	}
	/* Figures are committed before the caller writes the RRD file
	 * (derived from them) or answers 202: a batch is committed with
	 * them and goes on in a new transaction. */
	if (!own_tx && (o->n_changes > 0 || o->is_durable) &&
	    commit_batch(db, o->area) < 0)
		goto out;
	rc = 0;
out:
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int
store_db_record_all(struct store_db *db, const struct db_outcome *o, size_t n)
{
	bool own_tx;
	size_t i;
	int rc = -1;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (o[i].area == NULL || o[i].area[0] == '\0') {
			log_warn("database write failed",
			         "area=- err=\"no area\"");
			return -1;
		}
	pthread_mutex_lock(&db->lock);
	own_tx = !db->in_tx;
	/* in a collection cycle's batch, a savepoint of their own: the
	 * batch is committed with them, as store_db_record does */
	if (run(db, own_tx ? ST_BEGIN : ST_SAVEPOINT) != SQLITE_DONE) {
		log_db("database write failed", o[0].area, db);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (write_outcome(db, &o[i]) < 0)
			break;
	if (i < n) {
		log_db("database write failed", o[0].area, db);
		if (own_tx) {
			run(db, ST_ROLLBACK);
		} else if (sqlite3_get_autocommit(db->db)) {
			log_warn("database transaction rolled back", "area=%s",
			         o[0].area);
			db->in_tx = false;
		} else {
			run(db, ST_ROLLBACK_TO);
			run(db, ST_RELEASE);
		}
		goto out;
	}
	if (run(db, own_tx ? ST_COMMIT : ST_RELEASE) != SQLITE_DONE) {
		log_db("database write failed", o[0].area, db);
		if (own_tx)
			run(db, ST_ROLLBACK);
		goto out;
	}
	if (!own_tx && commit_batch(db, o[0].area) < 0)
		goto out;
	rc = 0;
out:
	pthread_mutex_unlock(&db->lock);
	return rc;
}

static void
copy_text(char *out, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(out, size, "%s", s != NULL ? (const char *)s : "");
}

/* Steps st (bound, lock held) to the end, copying each row with copy_row
 * into a malloc'd array of `size`-byte rows (*out_rows, the caller frees):
 * callers call back outside the lock, so fn may use the store. */
static int
read_rows(struct store_db *db, sqlite3_stmt *st, size_t size,
          void (*copy_row)(void *row, sqlite3_stmt *st), char **out_rows,
          size_t *out_n)
{
	char *rows = NULL;
	size_t n = 0, cap = 0;
	int step;

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			rows = xreallocarray(rows, cap, size);
		}
		memset(rows + n * size, 0, size);
		copy_row(rows + n * size, st);
		n++;
	}
	*out_rows = rows;
	*out_n = n;
	if (step != SQLITE_DONE) {
		log_db("database read failed", NULL, db);
		return -1;
	}
	return 0;
}

/* A read of its own statement, in two halves around its binding:
 * read_begin locks the store and prepares sql (NULL, the lock released,
 * if it does not prepare); read_end reads its rows with read_rows,
 * finalizes it and releases the lock. */
static sqlite3_stmt *
read_begin(struct store_db *db, const char *sql)
{
	sqlite3_stmt *st;

	pthread_mutex_lock(&db->lock);
	st = prepare_once(db, sql);
	if (st == NULL)
		pthread_mutex_unlock(&db->lock);
	return st;
}

static int
read_end(struct store_db *db, sqlite3_stmt *st, size_t size,
         void (*copy_row)(void *row, sqlite3_stmt *st), char **out_rows,
         size_t *out_n)
{
	int rc = read_rows(db, st, size, copy_row, out_rows, out_n);

	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

static void
copy_state(void *row, sqlite3_stmt *st)
{
	struct db_endpoint_state *s = row;

	copy_text(s->area, sizeof(s->area), st, 0);
	s->last_poll = (time_t)sqlite3_column_int64(st, 1);
	s->last_success = (time_t)sqlite3_column_int64(st, 2);
	s->last_error_time = (time_t)sqlite3_column_int64(st, 3);
	copy_text(s->last_error, sizeof(s->last_error), st, 4);
	s->consecutive_failures = sqlite3_column_int(st, 5);
	s->latency_ms = sqlite3_column_double(st, 6);
}

int
store_db_each_endpoint_state(struct store_db *db, store_db_state_fn fn,
                             void *ctx)
{
	struct db_endpoint_state *rows;
	char *raw;
	size_t n, i;
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = read_rows(db, db->stmts[ST_STATES], sizeof(*rows), copy_state,
	               &raw, &n);
	sqlite3_reset(db->stmts[ST_STATES]);
	pthread_mutex_unlock(&db->lock);
	rows = (struct db_endpoint_state *)(void *)raw;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, &rows[i]);
	free(raw);
	return rc;
}

static void
copy_report(void *row, sqlite3_stmt *st)
{
	struct db_report *r = row;

	copy_text(r->area, sizeof(r->area), st, 0);
	r->period = sqlite3_column_int(st, 1);
	r->received = (time_t)sqlite3_column_int64(st, 2);
	r->last_received = (time_t)sqlite3_column_int64(st, 3);
}

int
store_db_each_latest(struct store_db *db, store_db_report_fn fn, void *ctx)
{
	struct db_report *rows;
	char *raw;
	size_t n, i;
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = read_rows(db, db->stmts[ST_LATEST], sizeof(*rows), copy_report,
	               &raw, &n);
	sqlite3_reset(db->stmts[ST_LATEST]);
	pthread_mutex_unlock(&db->lock);
	rows = (struct db_report *)(void *)raw;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, &rows[i]);
	free(raw);
	return rc;
}

int
store_db_count_reported(struct store_db *db, int period, time_t deadline,
                        size_t *out_reported, size_t *out_ontime)
{
	sqlite3_stmt *st;
	int rc = -1;

	*out_reported = *out_ontime = 0;
	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_COUNT];
	sqlite3_bind_int(st, 1, period);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)deadline);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out_reported = (size_t)sqlite3_column_int64(st, 0);
		*out_ontime = (size_t)sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		log_db("database read failed", NULL, db);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/* Prepares sql, not kept: for the rarely run reads. Caller holds the lock. */
static sqlite3_stmt *
prepare_once(struct store_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_db("database read failed", NULL, db);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Selects rows of table t (violations or rejections, aliased t) with
 * their document, newest first: the latest ?2 anywhere, or (?1 not NULL)
 * those in area ?1's latest ?2 documents. rowid order is insertion order,
 * so neither form scans the whole history. */
#define DOCUMENT_ROWS_SQL(cols, table)                                         \
	"SELECT p.area, p.time, p.period, p.source, " cols " FROM " table      \
	" t JOIN polls p ON p.id = t.poll_id WHERE ?1 IS NULL AND t.rowid >"   \
	" (SELECT coalesce(max(rowid), 0) - ?2 FROM " table ")"                \
	" OR ?1 IS NOT NULL AND t.poll_id IN (SELECT id FROM polls"            \
	" WHERE area = ?1 ORDER BY time DESC, id DESC LIMIT ?2)"               \
	" ORDER BY t.rowid DESC"

/* Runs one of the DOCUMENT_ROWS_SQL reads through read_rows. */
static int
read_document_rows(struct store_db *db, const char *sql, const char *area,
                   size_t limit, size_t size,
                   void (*copy_row)(void *row, sqlite3_stmt *st),
                   char **out_rows, size_t *out_n)
{
	sqlite3_stmt *st;

	*out_rows = NULL;
	*out_n = 0;
	st = read_begin(db, sql);
	if (st == NULL)
		return -1;
	bind_text(st, 1, area);
	bind_limit(st, 2, limit, 1000000);
	return read_end(db, st, size, copy_row, out_rows, out_n);
}

static int
column_period(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL
	           ? -1
	           : sqlite3_column_int(st, col);
}

static void
copy_violation(void *row, sqlite3_stmt *st)
{
	struct db_violation *v = row;

	copy_text(v->area, sizeof(v->area), st, 0);
	v->time = (time_t)sqlite3_column_int64(st, 1);
	v->period = column_period(st, 2);
	copy_text(v->rule, sizeof(v->rule), st, 4);
}

int
store_db_each_violation(struct store_db *db, const char *area, size_t limit,
                        store_db_violation_fn fn, void *ctx)
{
	struct db_violation *rows;
	char *raw = NULL;
	size_t n = 0, i;
	int rc;

	rc = read_document_rows(db, DOCUMENT_ROWS_SQL("t.rule", "violations"),
	                        area, limit, sizeof(*rows), copy_violation,
	                        &raw, &n);
	rows = (struct db_violation *)(void *)raw;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, &rows[i]);
	free(raw);
	return rc;
}

static void
copy_rejection(void *row, sqlite3_stmt *st)
{
	struct db_rejection_row *r = row;

	copy_text(r->area, sizeof(r->area), st, 0);
	r->time = (time_t)sqlite3_column_int64(st, 1);
	r->period = column_period(st, 2);
	copy_text(r->source, sizeof(r->source), st, 3);
	copy_text(r->measure, sizeof(r->measure), st, 4);
	copy_text(r->reason, sizeof(r->reason), st, 5);
	copy_text(r->detail, sizeof(r->detail), st, 6);
}

int
store_db_each_rejection(struct store_db *db, const char *area, size_t limit,
                        store_db_rejection_fn fn, void *ctx)
{
	struct db_rejection_row *rows;
	char *raw = NULL;
	size_t n = 0, i;
	int rc;

	rc = read_document_rows(
	    db,
	    DOCUMENT_ROWS_SQL("t.measure, t.reason, t.detail", "rejections"),
	    area, limit, sizeof(*rows), copy_rejection, &raw, &n);
	rows = (struct db_rejection_row *)(void *)raw;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, &rows[i]);
	free(raw);
	return rc;
}

static void
copy_poll(void *row, sqlite3_stmt *st)
{
	struct db_poll_row *p = row;

	p->time = (time_t)sqlite3_column_int64(st, 0);
	copy_text(p->source, sizeof(p->source), st, 1);
	p->http_status = sqlite3_column_int(st, 2);
	p->latency_ms = sqlite3_column_double(st, 3);
	p->period = column_period(st, 4);
	p->n_accepted = (size_t)sqlite3_column_int64(st, 5);
	p->n_rejected = (size_t)sqlite3_column_int64(st, 6);
	copy_text(p->error, sizeof(p->error), st, 7);
}

int
store_db_each_poll(struct store_db *db, const char *area, const char *source,
                   size_t limit, store_db_poll_fn fn, void *ctx)
{
	struct db_poll_row *rows;
	sqlite3_stmt *st;
	char *raw = NULL;
	size_t n = 0, i;
	int rc;

	st = read_begin(db, "SELECT time, source, http_status, latency_ms,"
	                    " period, accepted, rejected, error FROM polls"
	                    " WHERE area = ?1 AND (?2 IS NULL OR source = ?2)"
	                    " ORDER BY time DESC, id DESC LIMIT ?3");
	if (st == NULL)
		return -1;
	bind_text(st, 1, area);
	bind_text(st, 2, source);
	bind_limit(st, 3, limit, 1000000);
	rc = read_end(db, st, sizeof(*rows), copy_poll, &raw, &n);
	rows = (struct db_poll_row *)(void *)raw;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, &rows[i]);
	free(raw);
	return rc;
}

/* ---- tokens and audit ---- */

int
store_db_token_insert(struct store_db *db, const char *role, const char *area,
                      const unsigned char *hash, time_t created,
                      long long *out_id)
{
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_TOKEN_INSERT];
	bind_text(st, 1, role);
	bind_text(st, 2, area != NULL && area[0] != '\0' ? area : NULL);
	sqlite3_bind_blob(st, 3, hash, DB_TOKEN_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)created);
	if (run(db, ST_TOKEN_INSERT) == SQLITE_DONE) {
		*out_id = (long long)sqlite3_last_insert_rowid(db->db);
		rc = 0;
	} else {
		log_db("token insert failed", area, db);
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/* The columns id, role, area, hash, created, last_used, revoked. */
static void
read_token(sqlite3_stmt *st, struct db_token *t)
{
	const void *hash = sqlite3_column_blob(st, 3);

	memset(t, 0, sizeof(*t));
	t->id = (long long)sqlite3_column_int64(st, 0);
	copy_text(t->role, sizeof(t->role), st, 1);
	copy_text(t->area, sizeof(t->area), st, 2);
	if (hash != NULL && sqlite3_column_bytes(st, 3) == DB_TOKEN_HASH_BYTES)
		memcpy(t->hash, hash, DB_TOKEN_HASH_BYTES);
	t->created = (time_t)sqlite3_column_int64(st, 4);
	t->last_used = (time_t)sqlite3_column_int64(st, 5);
	t->revoked = (time_t)sqlite3_column_int64(st, 6);
}

int
store_db_token_find(struct store_db *db, const unsigned char *hash,
                    struct db_token *out)
{
	sqlite3_stmt *st;
	int step, rc = -1;

	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_TOKEN_FIND];
	sqlite3_bind_blob(st, 1, hash, DB_TOKEN_HASH_BYTES, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		read_token(st, out);
		rc = 1;
	} else if (step == SQLITE_DONE) {
		rc = 0;
	} else {
		log_db("token lookup failed", NULL, db);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int
store_db_token_touch(struct store_db *db, long long id, time_t now)
{
	sqlite3_stmt *st;
	int rc = 0;

	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_TOKEN_TOUCH];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (run(db, ST_TOKEN_TOUCH) != SQLITE_DONE) {
		log_db("token use not recorded", NULL, db);
		rc = -1;
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int
store_db_token_revoke(struct store_db *db, long long id, time_t now)
{
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_TOKEN_REVOKE];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (run(db, ST_TOKEN_REVOKE) == SQLITE_DONE)
		rc = sqlite3_changes(db->db) > 0 ? 1 : 0;
	else
		log_db("token revoke failed", NULL, db);
	/* Its sessions go too (already revoked or not: a leftover from a
	 * failed delete goes now). The lookup checks revoked anyway, so a
	 * failure here ends no session later than the revocation. */
	if (rc >= 0) {
		st = db->stmts[ST_SESSION_END_TOKEN];
		sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
		if (run(db, ST_SESSION_END_TOKEN) != SQLITE_DONE)
			log_db("revoked token's sessions not deleted", NULL,
			       db);
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

static void
copy_token(void *row, sqlite3_stmt *st)
{
	read_token(st, row);
}

int
store_db_each_token(struct store_db *db, store_db_token_fn fn, void *ctx)
{
	struct db_token *rows;
	char *raw;
	size_t n, i;
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = read_rows(db, db->stmts[ST_TOKENS], sizeof(*rows), copy_token,
	               &raw, &n);
	sqlite3_reset(db->stmts[ST_TOKENS]);
	pthread_mutex_unlock(&db->lock);
	rows = (struct db_token *)(void *)raw;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, &rows[i]);
	free(raw);
	return rc;
}

/* ---- sessions ---- */

int
store_db_session_insert(struct store_db *db, const struct db_session *s,
                        size_t keep, long long *out_id)
{
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_SESSION_INSERT];
	sqlite3_bind_blob(st, 1, s->hash, DB_TOKEN_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)s->token_id);
	sqlite3_bind_blob(st, 3, s->csrf, DB_SESSION_CSRF_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)s->created);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)s->expires);
	if (run(db, ST_SESSION_INSERT) != SQLITE_DONE) {
		log_db("session insert failed", NULL, db);
		goto out;
	}
	*out_id = (long long)sqlite3_last_insert_rowid(db->db);
	/* Bounded however often a token signs in; best effort. */
	st = db->stmts[ST_SESSION_TRIM];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->token_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(keep > 0 ? keep : 1));
	sqlite3_bind_int64(st, 3, (sqlite3_int64)s->created);
	if (run(db, ST_SESSION_TRIM) != SQLITE_DONE)
		log_db("old sessions not deleted", NULL, db);
	/* the cookie is about to be handed out: the row is on disk */
	rc = commit_batch(db, NULL) < 0 ? -1 : 0;
out:
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int
store_db_session_find(struct store_db *db, const unsigned char *hash,
                      struct db_session *out)
{
	const void *blob;
	sqlite3_stmt *st;
	int step, rc = -1;

	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_SESSION_FIND];
	sqlite3_bind_blob(st, 1, hash, DB_TOKEN_HASH_BYTES, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = (long long)sqlite3_column_int64(st, 0);
		blob = sqlite3_column_blob(st, 1);
		if (blob != NULL &&
		    sqlite3_column_bytes(st, 1) == DB_TOKEN_HASH_BYTES)
			memcpy(out->hash, blob, DB_TOKEN_HASH_BYTES);
		out->token_id = (long long)sqlite3_column_int64(st, 2);
		blob = sqlite3_column_blob(st, 3);
		if (blob != NULL &&
		    sqlite3_column_bytes(st, 3) == DB_SESSION_CSRF_BYTES)
			memcpy(out->csrf, blob, DB_SESSION_CSRF_BYTES);
		out->created = (time_t)sqlite3_column_int64(st, 4);
		out->expires = (time_t)sqlite3_column_int64(st, 5);
		copy_text(out->role, sizeof(out->role), st, 6);
		copy_text(out->area, sizeof(out->area), st, 7);
		out->revoked = (time_t)sqlite3_column_int64(st, 8);
		rc = 1;
	} else if (step == SQLITE_DONE) {
		rc = 0;
	} else {
		log_db("session lookup failed", NULL, db);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int
store_db_session_delete(struct store_db *db, long long id)
{
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_SESSION_DELETE];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (run(db, ST_SESSION_DELETE) == SQLITE_DONE)
		rc = sqlite3_changes(db->db) > 0 ? 1 : 0;
	else
		log_db("session delete failed", NULL, db);
	if (rc >= 0 && commit_batch(db, NULL) < 0)
		rc = -1;
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int
store_db_session_prune(struct store_db *db, time_t now, size_t *out_n)
{
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_SESSION_PRUNE];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	if (run(db, ST_SESSION_PRUNE) == SQLITE_DONE) {
		*out_n += (size_t)sqlite3_changes(db->db);
		rc = 0;
	} else {
		log_db("database prune failed", NULL, db);
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int
store_db_audit(struct store_db *db, const struct db_audit *a)
{
	sqlite3_stmt *st;
	int rc = 0;

	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_AUDIT];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)a->time);
	if (a->token_id > 0)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)a->token_id);
	else
		sqlite3_bind_null(st, 2);
	bind_text(st, 3, a->remote);
	bind_text(st, 4,
	          a->area != NULL && a->area[0] != '\0' ? a->area : NULL);
	bind_text(st, 5, a->outcome != NULL ? a->outcome : "unknown");
	bind_text(st, 6, a->detail);
	if (run(db, ST_AUDIT) != SQLITE_DONE) {
		log_db("audit write failed", a->area, db);
		rc = -1;
	} else if (commit_batch(db, a->area) < 0) {
		/* an answer follows: what it says is on disk */
		rc = -1;
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

static void
copy_audit(void *row, sqlite3_stmt *st)
{
	struct db_audit_row *a = row;

	a->time = (time_t)sqlite3_column_int64(st, 0);
	a->token_id = sqlite3_column_int64(st, 1);
	copy_text(a->outcome, sizeof(a->outcome), st, 2);
	copy_text(a->detail, sizeof(a->detail), st, 3);
}

int
store_db_each_audit(struct store_db *db, const char *area, size_t limit,
                    store_db_audit_fn fn, void *ctx)
{
	struct db_audit_row *rows;
	sqlite3_stmt *st;
	char *raw = NULL;
	size_t n = 0, i;
	int rc;

	st = read_begin(db, "SELECT time, token_id, outcome, detail"
	                    " FROM audit WHERE area = ?1"
	                    " ORDER BY time DESC, id DESC LIMIT ?2");
	if (st == NULL)
		return -1;
	bind_text(st, 1, area);
	bind_limit(st, 2, limit, 1000000);
	rc = read_end(db, st, sizeof(*rows), copy_audit, &raw, &n);
	rows = (struct db_audit_row *)(void *)raw;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, &rows[i]);
	free(raw);
	return rc;
}

struct period_row {
	char area[8];
	int period;
};

static void
copy_period_row(void *row, sqlite3_stmt *st)
{
	struct period_row *r = row;

	copy_text(r->area, sizeof(r->area), st, 0);
	r->period = sqlite3_column_int(st, 1);
}

int
store_db_each_report(struct store_db *db, int first, int last,
                     store_db_period_fn fn, void *ctx)
{
	struct period_row *rows;
	sqlite3_stmt *st;
	char *raw = NULL;
	size_t n = 0, i;
	int rc;

	st = read_begin(db, "SELECT area, period FROM reports"
	                    " WHERE period BETWEEN ?1 AND ?2"
	                    " ORDER BY period, area");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, first);
	sqlite3_bind_int(st, 2, last);
	rc = read_end(db, st, sizeof(*rows), copy_period_row, &raw, &n);
	rows = (struct period_row *)(void *)raw;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, rows[i].area, rows[i].period);
	free(raw);
	return rc;
}

/* Reads of every figure go a page at a time, the store's lock let go
 * between two: a writer (a submission) waits for one page, not for the
 * whole table (100,000 figures and more after an import). */
#define FIGURES_PAGE 4096

int
store_db_each_figure(struct store_db *db, const char *area,
                     store_db_figure_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	struct db_figure f;
	size_t n;
	int step = SQLITE_DONE, rc = 0;

	memset(&f, 0, sizeof(f));
	f.period = -1;
	do {
		pthread_mutex_lock(&db->lock);
		st = db->stmts[area != NULL ? ST_FIGURES_OF : ST_FIGURES];
		if (area != NULL) {
			bind_text(st, 1, area);
		} else { /* after the last row of the previous page */
			sqlite3_bind_text(st, 1, f.area, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int(st, 2, f.period);
			sqlite3_bind_text(st, 3, f.measure, -1,
			                  SQLITE_TRANSIENT);
			sqlite3_bind_int(st, 4, FIGURES_PAGE);
		}
		n = 0;
		while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
			copy_text(f.area, sizeof(f.area), st, 0);
			f.period = sqlite3_column_int(st, 1);
			copy_text(f.measure, sizeof(f.measure), st, 2);
			f.value = sqlite3_column_double(st, 3);
			f.received = (time_t)sqlite3_column_int64(st, 4);
			rc = fn(ctx, &f);
			n++;
		}
		if (rc == 0 && step != SQLITE_DONE) {
			log_db("database read failed", NULL, db);
			rc = -1;
		}
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		pthread_mutex_unlock(&db->lock);
	} while (rc == 0 && area == NULL && n == FIGURES_PAGE);
	return rc;
}

static void
copy_revision(void *row, sqlite3_stmt *st)
{
	struct db_revision *r = row;

	r->period = sqlite3_column_int(st, 0);
	copy_text(r->measure, sizeof(r->measure), st, 1);
	r->value = sqlite3_column_double(st, 2);
	r->received = (time_t)sqlite3_column_int64(st, 3);
	copy_text(r->source, sizeof(r->source), st, 4);
	r->token_id = sqlite3_column_int64(st, 5);
	r->replaced = (time_t)sqlite3_column_int64(st, 6);
}

int
store_db_each_revision(struct store_db *db, const char *area, int period,
                       const char *measure, size_t limit,
                       store_db_revision_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	struct db_revision *rows;
	char *raw;
	size_t n, i;
	int rc;

	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_REVISIONS];
	bind_text(st, 1, area);
	sqlite3_bind_int(st, 2, period);
	bind_text(st, 3, measure);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
	rc = read_rows(db, st, sizeof(*rows), copy_revision, &raw, &n);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	pthread_mutex_unlock(&db->lock);
	rows = (struct db_revision *)(void *)raw;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, &rows[i]);
	free(raw);
	return rc;
}

/* ---- outlier flags ---- */

#define FLAG_COLUMNS                                                           \
	"area, measure, period, value, z, median, raised, comment,"            \
	" confirmed, confirmed_by, cleared"

static void
copy_flag(void *row, sqlite3_stmt *st)
{
	struct db_flag_row *f = row;

	copy_text(f->area, sizeof(f->area), st, 0);
	copy_text(f->measure, sizeof(f->measure), st, 1);
	f->period = sqlite3_column_int(st, 2);
	f->value = sqlite3_column_double(st, 3);
	f->z = sqlite3_column_type(st, 4) == SQLITE_NULL
	           ? NAN
	           : sqlite3_column_double(st, 4);
	f->median = sqlite3_column_double(st, 5);
	f->raised = (time_t)sqlite3_column_int64(st, 6);
	copy_text(f->comment, sizeof(f->comment), st, 7);
	f->confirmed = (time_t)sqlite3_column_int64(st, 8);
	f->confirmed_by = (long long)sqlite3_column_int64(st, 9);
	f->cleared = (time_t)sqlite3_column_int64(st, 10);
}

int
store_db_each_flag(struct store_db *db, const char *area, bool with_cleared,
                   size_t limit, store_db_flag_fn fn, void *ctx)
{
	struct db_flag_row *rows;
	sqlite3_stmt *st;
	char *raw = NULL;
	size_t n = 0, i;
	int rc;

	st = read_begin(db, "SELECT " FLAG_COLUMNS " FROM flags"
	                    " WHERE (?1 IS NULL OR area = ?1)"
	                    " AND (?2 OR cleared IS NULL)"
	                    " ORDER BY raised DESC, area, measure, period"
	                    " LIMIT ?3");
	if (st == NULL)
		return -1;
	bind_text(st, 1, area);
	sqlite3_bind_int(st, 2, with_cleared);
	bind_limit(st, 3, limit, 100000);
	rc = read_end(db, st, sizeof(*rows), copy_flag, &raw, &n);
	rows = (struct db_flag_row *)(void *)raw;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, &rows[i]);
	free(raw);
	return rc;
}

static void
copy_flag_key(void *row, sqlite3_stmt *st)
{
	struct db_flag_key *k = row;

	copy_text(k->area, sizeof(k->area), st, 0);
	copy_text(k->measure, sizeof(k->measure), st, 1);
	k->period = sqlite3_column_int(st, 2);
}

int
store_db_each_open_flag(struct store_db *db, int first, int last,
                        store_db_flag_key_fn fn, void *ctx)
{
	struct db_flag_key *rows;
	sqlite3_stmt *st;
	char *raw = NULL;
	size_t n = 0, i;
	int rc;

	st = read_begin(db, "SELECT area, measure, period FROM flags"
	                    " WHERE cleared IS NULL AND period BETWEEN ?1"
	                    " AND ?2");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, first);
	sqlite3_bind_int(st, 2, last);
	rc = read_end(db, st, sizeof(*rows), copy_flag_key, &raw, &n);
	rows = (struct db_flag_key *)(void *)raw;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, &rows[i]);
	free(raw);
	return rc;
}

int
store_db_flag_confirm(struct store_db *db, const char *area,
                      const char *measure, int period, const char *comment,
                      long long token_id, time_t now, struct db_flag_row *out)
{
	sqlite3_stmt *st;
	int rc = -1, step;

	pthread_mutex_lock(&db->lock);
	st = prepare_once(db, "UPDATE flags SET comment = ?4, confirmed = ?5,"
	                      " confirmed_by = ?6 WHERE area = ?1 AND"
	                      " measure = ?2 AND period = ?3 AND cleared IS"
	                      " NULL RETURNING " FLAG_COLUMNS);
	if (st == NULL)
		goto out;
	bind_text(st, 1, area);
	bind_text(st, 2, measure);
	sqlite3_bind_int(st, 3, period);
	bind_text(st, 4, comment);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	if (token_id > 0)
		sqlite3_bind_int64(st, 6, (sqlite3_int64)token_id);
	else
		sqlite3_bind_null(st, 6);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		copy_flag(out, st);
		step = sqlite3_step(st);
		rc = 1;
	} else if (step == SQLITE_DONE) {
		rc = 0;
	}
	if (step != SQLITE_DONE) {
		log_db("flag confirmation failed", area, db);
		rc = -1;
	}
	sqlite3_finalize(st);
	/* the answer says it is confirmed: the row is on disk */
	if (rc == 1 && commit_batch(db, area) < 0)
		rc = -1;
out:
	pthread_mutex_unlock(&db->lock);
	return rc;
}

static void
copy_area(void *row, sqlite3_stmt *st)
{
	copy_text(row, AREA_CODE_BYTES, st, 0);
}

int
store_db_each_dirty(struct store_db *db, store_db_area_fn fn, void *ctx)
{
	char *raw;
	size_t n, i;
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = read_rows(db, db->stmts[ST_DIRTIES], AREA_CODE_BYTES, copy_area,
	               &raw, &n);
	sqlite3_reset(db->stmts[ST_DIRTIES]);
	pthread_mutex_unlock(&db->lock);
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, raw + i * AREA_CODE_BYTES);
	free(raw);
	return rc;
}

int
store_db_clean(struct store_db *db, const char *area)
{
	int rc = 0;

	pthread_mutex_lock(&db->lock);
	bind_text(db->stmts[ST_CLEAN], 1, area);
	if (run(db, ST_CLEAN) != SQLITE_DONE) {
		log_db("database write failed", area, db);
		rc = -1;
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/* The logs store_db_prune deletes, oldest first through their time
 * index; a poll's rejections and violations go with it (ON DELETE
 * CASCADE). */
static const char *const prune_sql[] = {
	"DELETE FROM polls WHERE id IN (SELECT id FROM polls"
	" WHERE time < ?1 ORDER BY time LIMIT ?2)",
	"DELETE FROM audit WHERE id IN (SELECT id FROM audit"
	" WHERE time < ?1 ORDER BY time LIMIT ?2)",
};

/* One batch of prune_sql[i] in its own transaction: the rows deleted, or
 * -1. Lock held. */
static long long
prune_batch(struct store_db *db, size_t i, time_t before, size_t batch)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (run(db, ST_BEGIN) != SQLITE_DONE) {
		log_db("database prune failed", NULL, db);
		return -1;
	}
	if ((st = prepare_once(db, prune_sql[i])) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)before);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)batch);
	if (sqlite3_step(st) == SQLITE_DONE)
		n = (long long)sqlite3_changes(db->db);
	else
		log_db("database prune failed", NULL, db);
	sqlite3_finalize(st);
out:
	if (n < 0 || run(db, ST_COMMIT) != SQLITE_DONE) {
		if (n >= 0)
			log_db("database prune failed", NULL, db);
		run(db, ST_ROLLBACK);
		n = -1;
	}
	return n;
}

int
store_db_prune(struct store_db *db, time_t before, size_t batch, size_t *out_n)
{
	size_t i;
	long long n;

	if (batch == 0)
		batch = 1;
	for (i = 0; i < sizeof(prune_sql) / sizeof(prune_sql[0]); i++) {
		do {
			pthread_mutex_lock(&db->lock);
			if (db->in_tx) {
				pthread_mutex_unlock(&db->lock);
				log_warn("database prune inside a batch", NULL);
				return -1;
			}
			n = prune_batch(db, i, before, batch);
			pthread_mutex_unlock(&db->lock);
			if (n < 0)
				return -1;
			*out_n += (size_t)n;
		} while ((size_t)n == batch);
	}
	return 0;
}

/* ---- imports ---- */

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs sql with ?1.. bound to args, stepping through any rows; SQLITE_DONE
 * or the error (logged). Lock held. */
static int
exec_args(struct store_db *db, const char *sql, const sqlite3_int64 *args,
          int n)
{
	sqlite3_stmt *st = prepare_once(db, sql);
	int rc, i;

	if (st == NULL)
		return SQLITE_ERROR;
	for (i = 0; i < n; i++)
		sqlite3_bind_int64(st, i + 1, args[i]);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		log_db("database import failed", NULL, db);
	sqlite3_finalize(st);
	return rc;
}

/* One integer from sql (0 if no row; -1 on error). Lock held. */
static long long
int_of(struct store_db *db, const char *sql)
{
	sqlite3_stmt *st = prepare_once(db, sql);
	long long v = -1;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL
		        ? 0
		        : (long long)sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		v = 0;
	else
		log_db("database import failed", NULL, db);
	sqlite3_finalize(st);
	return v;
}

/* Opens a transaction of an import step; its start in *t0. Lock held. */
static int
import_begin(struct store_db *db, long long *t0)
{
	if (db->in_tx) {
		log_warn("database import inside a batch", NULL);
		return -1;
	}
	if (run(db, ST_BEGIN) != SQLITE_DONE) {
		log_db("database import failed", NULL, db);
		return -1;
	}
	*t0 = mono_ms();
	return 0;
}

/* Commits (ok) or rolls back a step's transaction, noting its length in
 * t. Lock held. */
static int
import_end(struct store_db *db, bool ok, long long t0,
           struct db_import_tally *t)
{
	long long ms;

	if (ok && run(db, ST_COMMIT) != SQLITE_DONE) {
		log_db("database import failed", NULL, db);
		ok = false;
	}
	if (!ok)
		run(db, ST_ROLLBACK);
	ms = mono_ms() - t0;
	if (t != NULL) {
		t->n_tx++;
		if (ms > t->longest_ms)
			t->longest_ms = ms;
	}
	return ok ? 0 : -1;
}

int
store_db_import_pending(struct store_db *db)
{
	long long v;

	pthread_mutex_lock(&db->lock);
	v = int_of(db, "SELECT CASE state WHEN 'staging' THEN 1"
	               " WHEN 'applying' THEN 2 ELSE 0 END FROM import_state");
	pthread_mutex_unlock(&db->lock);
	return (int)v;
}

/* Deletes staged rows in transactions of at most 5,000 rows. */
static int
drop_staged(struct store_db *db, struct db_import_tally *t)
{
	long long t0, n;

	do {
		pthread_mutex_lock(&db->lock);
		if (import_begin(db, &t0) < 0) {
			pthread_mutex_unlock(&db->lock);
			return -1;
		}
		n = exec_args(db,
		              "DELETE FROM import_rows WHERE rowid IN (SELECT"
		              " rowid FROM import_rows LIMIT 5000)",
		              NULL, 0) == SQLITE_DONE
		        ? sqlite3_changes(db->db)
		        : -1;
		if (import_end(db, n >= 0, t0, t) < 0)
			n = -1;
		pthread_mutex_unlock(&db->lock);
		if (n < 0)
			return -1;
	} while (n == 5000);
	return 0;
}

int
store_db_import_stage(struct store_db *db, time_t now,
                      const struct db_import_row *rows, size_t n,
                      long long max_ms, struct db_import_tally *t)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 arg = (sqlite3_int64)now;
	long long t0 = 0;
	size_t i = 0;
	int grp = 0, rc = -1;
	bool is_open = false;

	pthread_mutex_lock(&db->lock);
	if (import_begin(db, &t0) < 0)
		goto out;
	if (int_of(db, "SELECT COUNT(*) FROM import_state"
	               " WHERE state = 'applying'") != 0) {
		log_warn("database import: another is being applied", NULL);
		import_end(db, false, t0, t);
		goto out;
	}
	if (exec_args(db,
	              "INSERT OR REPLACE INTO import_state (id, time, state)"
	              " VALUES (1, ?1, 'staging')",
	              &arg, 1) != SQLITE_DONE) {
		import_end(db, false, t0, t);
		goto out;
	}
	if (import_end(db, true, t0, t) < 0)
		goto out;
	pthread_mutex_unlock(&db->lock);
	if (drop_staged(db, t) < 0)
		return -1;
	pthread_mutex_lock(&db->lock);
	st = prepare_once(db, "INSERT INTO import_rows (grp, area, period,"
	                      " measure, value, first_time)"
	                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (st == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const struct db_import_row *r = &rows[i];

		if (!is_open) {
			if (import_begin(db, &t0) < 0)
				goto out;
			is_open = true;
		}
		if (i > 0 && (strcmp(r->area, rows[i - 1].area) != 0 ||
		              r->period != rows[i - 1].period))
			grp++;
		sqlite3_bind_int(st, 1, grp);
		bind_text(st, 2, r->area);
		sqlite3_bind_int(st, 3, r->period);
		bind_text(st, 4, r->measure);
		sqlite3_bind_double(st, 5, r->value);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)r->first_time);
		if (sqlite3_step(st) != SQLITE_DONE) {
			log_db("database import failed", r->area, db);
			goto out;
		}
		sqlite3_reset(st);
		if (mono_ms() - t0 >= max_ms / 2 || i + 1 == n) {
			is_open = false;
			if (import_end(db, true, t0, t) < 0)
				goto out;
			/* the daemon may write between two */
			pthread_mutex_unlock(&db->lock);
			pthread_mutex_lock(&db->lock);
		}
	}
	rc = 0;
out:
	if (is_open)
		import_end(db, false, t0, t);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int
store_db_import_commit(struct store_db *db)
{
	long long t0;
	int rc = -1;

	pthread_mutex_lock(&db->lock);
	if (import_begin(db, &t0) == 0)
		rc = import_end(db,
		                exec_args(db,
		                          "UPDATE import_state SET state ="
		                          " 'applying' WHERE state = 'staging'",
		                          NULL, 0) == SQLITE_DONE &&
		                    sqlite3_changes(db->db) == 1,
		                t0, NULL);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/* Applies groups ?1..?2 of the staged rows, as of the import's time ?3,
 * as store_db_record records a group with changes; in this order. */
static const char *const apply_sql[] = {
	/* judged against the figures held now: unchanged, new or revised;
	 * a period held gets the import's time, a new one its own */
	"UPDATE import_rows SET change = coalesce((SELECT CASE WHEN"
	" f.value = import_rows.value THEN 0 ELSE 2 END FROM figures f"
	" WHERE f.area = import_rows.area AND f.period = import_rows.period"
	" AND f.measure = import_rows.measure), 1), time = CASE WHEN EXISTS"
	" (SELECT 1 FROM figures f WHERE f.area = import_rows.area AND"
	" f.period = import_rows.period) THEN ?3 ELSE first_time END"
	" WHERE grp BETWEEN ?1 AND ?2",
	"INSERT INTO history (area, period, measure, value, received,"
	" source, token_id, replaced) SELECT f.area, f.period, f.measure,"
	" f.value, f.received, f.source, f.token_id, s.time FROM import_rows s"
	" JOIN figures f ON f.area = s.area AND f.period = s.period AND"
	" f.measure = s.measure WHERE s.grp BETWEEN ?1 AND ?2 AND s.change = 2",
	/* a revised figure's outlier flag is cleared, as ingest's are (an
	 * import brings history: it raises none) */
	"UPDATE flags SET cleared = ?3 WHERE cleared IS NULL AND EXISTS"
	" (SELECT 1 FROM import_rows s WHERE s.grp BETWEEN ?1 AND ?2 AND"
	" s.change = 2 AND s.area = flags.area AND s.period = flags.period"
	" AND s.measure = flags.measure)",
	"INSERT INTO figures (area, period, measure, value, received, source,"
	" token_id) SELECT area, period, measure, value, time, 'import', NULL"
	" FROM import_rows WHERE grp BETWEEN ?1 AND ?2 AND change > 0"
	" ORDER BY grp ON CONFLICT (area, period, measure) DO UPDATE SET"
	" value = excluded.value, received = excluded.received,"
	" source = excluded.source, token_id = NULL",
	"INSERT INTO polls (area, time, source, period, accepted)"
	" SELECT area, MIN(time), 'import', period, COUNT(*) FROM import_rows"
	" WHERE grp BETWEEN ?1 AND ?2 GROUP BY grp HAVING MAX(change) > 0"
	" ORDER BY grp",
	"INSERT INTO reports (area, period, received) SELECT area, period,"
	" MIN(time) FROM import_rows WHERE grp BETWEEN ?1 AND ?2 GROUP BY grp"
	" HAVING MAX(change) > 0 ON CONFLICT (area, period) DO UPDATE SET"
	" received = MIN(received, excluded.received)",
	"INSERT INTO areas_seen (area, last_received) SELECT area, MAX(time)"
	" FROM import_rows WHERE grp BETWEEN ?1 AND ?2 AND change > 0"
	" GROUP BY area ON CONFLICT (area) DO UPDATE SET last_received ="
	" MAX(last_received, excluded.last_received)",
	"INSERT OR IGNORE INTO rrd_dirty (area) SELECT DISTINCT area"
	" FROM import_rows WHERE grp BETWEEN ?1 AND ?2 AND change > 0",
};

/* Applies groups lo..hi in one transaction, with the tally and fn; the
 * import is done when no row is left. Lock held. */
static int
apply_groups(struct store_db *db, long long lo, long long hi, time_t at,
             store_db_area_fn fn, void *ctx, struct db_import_tally *t)
{
	sqlite3_int64 args[3] = { lo, hi, (sqlite3_int64)at };
	struct db_import_tally got = { 0 };
	sqlite3_stmt *st = NULL;
	long long t0;
	size_t i;
	bool ok = false;

	if (import_begin(db, &t0) < 0)
		return -1;
	for (i = 0; i < sizeof(apply_sql) / sizeof(apply_sql[0]); i++)
		if (exec_args(db, apply_sql[i], args, 3) != SQLITE_DONE)
			goto out;
	st = prepare_once(db, "SELECT area, SUM(change = 1), SUM(change = 2),"
	                      " SUM(change = 0), COUNT(DISTINCT grp),"
	                      " MAX(change) FROM import_rows WHERE grp"
	                      " BETWEEN ?1 AND ?2 GROUP BY area");
	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, args[0]);
	sqlite3_bind_int64(st, 2, args[1]);
	while (sqlite3_step(st) == SQLITE_ROW) {
		got.n_new += (size_t)sqlite3_column_int64(st, 1);
		got.n_revised += (size_t)sqlite3_column_int64(st, 2);
		got.n_unchanged += (size_t)sqlite3_column_int64(st, 3);
		got.n_groups += (size_t)sqlite3_column_int64(st, 4);
		if (fn != NULL && sqlite3_column_int(st, 5) > 0)
			fn(ctx, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (exec_args(db, "DELETE FROM import_rows WHERE grp BETWEEN ?1 AND ?2",
	              args, 2) != SQLITE_DONE ||
	    exec_args(db,
	              "DELETE FROM import_state WHERE NOT EXISTS"
	              " (SELECT 1 FROM import_rows)",
	              NULL, 0) != SQLITE_DONE)
		goto out;
	ok = true;
out:
	if (import_end(db, ok, t0, t) < 0)
		return -1;
	t->n_new += got.n_new;
	t->n_revised += got.n_revised;
	t->n_unchanged += got.n_unchanged;
	t->n_groups += got.n_groups;
	return 0;
}

int
store_db_import_apply(struct store_db *db, long long max_ms,
                      store_db_area_fn fn, void *ctx, struct db_import_tally *t)
{
	long long k = 8, lo, at;
	int rc = 0;

	for (;;) {
		long long t0 = mono_ms();

		pthread_mutex_lock(&db->lock);
		at = int_of(db, "SELECT time FROM import_state"
		                " WHERE state = 'applying'");
		lo = at > 0 ? int_of(db, "SELECT MIN(grp) FROM import_rows")
		            : at;
		if (at <= 0 || lo < 0) {
			pthread_mutex_unlock(&db->lock);
			rc = at < 0 || lo < 0 ? -1 : 0;
			break;
		}
		rc = apply_groups(db, lo, lo + k - 1, (time_t)at, fn, ctx, t);
		pthread_mutex_unlock(&db->lock);
		if (rc < 0)
			break;
		/* as many groups as fit in max_ms, doubling and halving */
		t0 = mono_ms() - t0;
		if (t0 < max_ms / 4 && k < 1 << 20)
			k *= 2;
		else if (t0 > max_ms / 2 && k > 1)
			k /= 2;
	}
	return rc;
}

int
store_db_import_abort(struct store_db *db)
{
	long long t0;
	int rc;

	if (drop_staged(db, NULL) < 0)
		return -1;
	pthread_mutex_lock(&db->lock);
	rc = import_begin(db, &t0);
	if (rc == 0)
		rc = import_end(db,
		                exec_args(db, "DELETE FROM import_state", NULL,
		                          0) == SQLITE_DONE,
		                t0, NULL);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int
store_db_data_version(struct store_db *db, long long *out)
{
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&db->lock);
	st = db->stmts[ST_DATA_VERSION];
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		log_db("database read failed", NULL, db);
	}
	sqlite3_reset(st);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

const char *
store_db_library_version(void)
{
	return sqlite3_libversion();
}
