/*
 * store_db.h: the only user of SQLite (WAL). Holds the figures - (area,
 * period, measure) -> value with when and how it arrived - and every value
 * they replaced (the history); every poll's and submission's outcome,
 * rejected measures, rule violations, which period each municipality
 * reported and when, per-endpoint collection state, hashed tokens and the
 * audit log of submissions, and browser sessions.
 *
 * One connection per store, serialised by a mutex: any thread may call.
 */
#ifndef KUNTAMON_STORE_DB_H
#define KUNTAMON_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "error.h"

struct store_db;

/* Opens or creates the database at path, sets WAL and creates the schema.
 * NULL with err on failure. */
struct store_db *store_db_open(const char *path, struct error *err);
void store_db_close(struct store_db *db);

/* Groups many records in one transaction (a collection cycle). Nesting is
 * not supported. Records outside begin/commit are committed one by one. */
int store_db_begin(struct store_db *db);
int store_db_commit(struct store_db *db);
/* Commits the batch and opens the next one if it began age_ms ago or
 * more: a collection cycle's poll rows in few transactions, none holding
 * the database from other programs for long. */
int store_db_commit_if_older(struct store_db *db, long long age_ms);
/* Milliseconds since the open batch began, -1 if none is open. */
long long store_db_batch_age_ms(struct store_db *db);
/* A batch that is all or nothing (an import): records with changes do not
 * commit it early; store_db_rollback drops it whole. */
int store_db_begin_atomic(struct store_db *db);
int store_db_rollback(struct store_db *db);

#define AREA_CODE_BYTES 8

/* A figure a document sets: new, or replacing the period's value (which
 * goes to the history). */
struct db_change {
	const char *measure;
	double value;
	bool is_revision;
};

/* An outlier a document's figure raises (figures/outlier.h). */
struct db_flag {
	const char *measure;
	double value;
	double z; /* +-INFINITY: stored as NULL */
	double median;
};

struct db_rejection {
	const char *measure;
	const char *reason; /* document_reason_name() */
	const char *detail; /* may be NULL */
};

/* The outcome of one poll, submission or import. */
struct db_outcome {
	const char *area;
	time_t time;
	const char *source; /* "poll", "submission", "import" */
	int http_status;    /* 0 if none */
	double latency_ms;
	size_t n_bytes;
	int period; /* -1 if the document named none usable */
	size_t n_accepted, n_rejected;
	const char *error; /* NULL: the document was taken (maybe partly) */
	const struct db_rejection *rejections;
	size_t n_rejections;
	const char *const *violations; /* rule texts */
	size_t n_violations;
	long long token_id; /* a submission's token; 0: none */
	bool is_durable;    /* committed before return, even in a batch */
	const struct db_change *changes; /* figures of o->period it sets */
	size_t n_changes;
	/* outliers among the changes: a revised figure's open flag is
	 * cleared (at o->time), then these are raised, in the same
	 * transaction as the figures */
	const struct db_flag *flags;
	size_t n_flags;
};

/* Records o: a poll row, its rejections and violations; if the document was
 * taken with at least one accepted measure, that area reported period at
 * o->time (the first receipt of a period is kept); its changes to the
 * figures (the replaced values into the history) and the area marked for
 * an RRD rewrite (store_db_clean); for source "poll" the endpoint's state
 * (last success or error, consecutive failures, latency). All or nothing.
 * A record with changes, or is_durable, is committed when this returns 0,
 * inside a store_db_begin batch too (the batch is committed with it and
 * goes on); so is an audit line (store_db_audit). */
int store_db_record(struct store_db *db, const struct db_outcome *o);

struct db_endpoint_state {
	char area[8];
	time_t last_poll, last_success, last_error_time; /* 0: never */
	char last_error[256];
	int consecutive_failures;
	double latency_ms;
};

typedef int (*store_db_state_fn)(void *ctx, const struct db_endpoint_state *s);
/* Calls fn for each area ever polled, in area order. */
int store_db_each_endpoint_state(struct store_db *db, store_db_state_fn fn,
                                 void *ctx);

struct db_report {
	char area[8];
	int period;           /* the latest period reported */
	time_t received;      /* when it first arrived */
	time_t last_received; /* the latest document of any period */
};

typedef int (*store_db_report_fn)(void *ctx, const struct db_report *r);
/* Calls fn for each area that ever reported, with its latest period. */
int store_db_each_latest(struct store_db *db, store_db_report_fn fn, void *ctx);

/* Counts the municipalities that reported period, and those that did so
 * by deadline (received <= deadline). */
int store_db_count_reported(struct store_db *db, int period, time_t deadline,
                            size_t *out_reported, size_t *out_ontime);

struct db_violation {
	char area[8];
	time_t time;
	int period; /* -1 if the document named none */
	char rule[96];
};

typedef int (*store_db_violation_fn)(void *ctx, const struct db_violation *v);
/* Calls fn for rule violations, newest first: with area NULL the latest
 * `limit` anywhere, else those in area's latest `limit` documents. */
int store_db_each_violation(struct store_db *db, const char *area, size_t limit,
                            store_db_violation_fn fn, void *ctx);

struct db_rejection_row {
	char area[8];
	time_t time;
	int period; /* -1 if the document named none */
	char source[16];
	char measure[64];
	char reason[16];
	char detail[128];
};

typedef int (*store_db_rejection_fn)(void *ctx,
                                     const struct db_rejection_row *r);
/* Calls fn for rejected measures, newest first: with area NULL the latest
 * `limit` anywhere, else those in area's latest `limit` documents. */
int store_db_each_rejection(struct store_db *db, const char *area, size_t limit,
                            store_db_rejection_fn fn, void *ctx);

/* Records o[0..n) (one area's documents of one request: a CSV upload) as
 * store_db_record would each, all of them or none, committed when this
 * returns 0. */
int store_db_record_all(struct store_db *db, const struct db_outcome *o,
                        size_t n);

struct db_poll_row {
	time_t time;
	char source[16];
	int http_status;
	double latency_ms;
	int period; /* -1 if the document named none */
	size_t n_accepted, n_rejected;
	char error[256]; /* "": the document was taken */
};

typedef int (*store_db_poll_fn)(void *ctx, const struct db_poll_row *p);
/* Calls fn for area's latest `limit` outcomes of source (NULL: any),
 * newest first. */
int store_db_each_poll(struct store_db *db, const char *area,
                       const char *source, size_t limit, store_db_poll_fn fn,
                       void *ctx);

/* ---- tokens (token.c holds the rules; this only stores them) ---- */

#define DB_TOKEN_HASH_BYTES 32

struct db_token {
	long long id;
	char role[16]; /* "municipality" or "ministry" */
	char area[8];  /* "" for a ministry token */
	unsigned char hash[DB_TOKEN_HASH_BYTES];
	time_t created, last_used, revoked; /* 0: never */
};

/* Stores a new token's hash (DB_TOKEN_HASH_BYTES); its id in *out_id. */
int store_db_token_insert(struct store_db *db, const char *role,
                          const char *area, const unsigned char *hash,
                          time_t created, long long *out_id);
/* The token with this hash: 1 with *out filled, 0 if none, -1 on error. */
int store_db_token_find(struct store_db *db, const unsigned char *hash,
                        struct db_token *out);
/* Sets a token's last use. */
int store_db_token_touch(struct store_db *db, long long id, time_t now);
/* Revokes token id as of now and deletes its sessions: 1 if it was live,
 * 0 if there is no such token or it was revoked already, -1 on error. */
int store_db_token_revoke(struct store_db *db, long long id, time_t now);

/* ---- browser sessions (session.c holds the rules) ---- */

#define DB_SESSION_CSRF_BYTES 32

struct db_session {
	long long id;
	unsigned char hash[DB_TOKEN_HASH_BYTES]; /* of the cookie's secret */
	long long token_id;
	unsigned char csrf[DB_SESSION_CSRF_BYTES];
	time_t created, expires;
	/* the token's, read with the session */
	char role[16];
	char area[8];
	time_t revoked; /* 0: live */
};

/* Stores session s (id ignored; its id in *out_id), then deletes its
 * token's expired sessions and all but its newest keep. Committed when
 * this returns 0, inside a store_db_begin batch too. */
int store_db_session_insert(struct store_db *db, const struct db_session *s,
                            size_t keep, long long *out_id);
/* The session with this hash and its token: 1 with *out filled, 0 if
 * none, -1 on error. Expiry and revocation are the caller's to judge. */
int store_db_session_find(struct store_db *db, const unsigned char *hash,
                          struct db_session *out);
/* Deletes session id: 1 if it existed, 0 if not, -1 on error. */
int store_db_session_delete(struct store_db *db, long long id);
/* Deletes the sessions expired by now (retention), adding them to
 * *out_n. */
int store_db_session_prune(struct store_db *db, time_t now, size_t *out_n);

typedef int (*store_db_token_fn)(void *ctx, const struct db_token *t);
/* Calls fn for every token, revoked ones too, in id order. */
int store_db_each_token(struct store_db *db, store_db_token_fn fn, void *ctx);

/* One line of the audit log: a submission, taken or refused. */
struct db_audit {
	time_t time;
	long long token_id;  /* 0: no valid token */
	const char *remote;  /* client address */
	const char *area;    /* the token's municipality; NULL if none */
	const char *outcome; /* "accepted", "unauthorized", ... */
	const char *detail;  /* may be NULL */
};

/* Appends a to the audit log; a->token_id must name a stored token. */
int store_db_audit(struct store_db *db, const struct db_audit *a);

struct db_audit_row {
	time_t time;
	long long token_id;
	char outcome[24];
	char detail[320];
};

typedef int (*store_db_audit_fn)(void *ctx, const struct db_audit_row *a);
/* Calls fn for the latest `limit` audit lines of area's tokens, newest
 * first. */
int store_db_each_audit(struct store_db *db, const char *area, size_t limit,
                        store_db_audit_fn fn, void *ctx);

typedef int (*store_db_period_fn)(void *ctx, const char *area, int period);
/* Calls fn for each (area, period) reported with first <= period <= last,
 * by period and then area (series: reporting_rate). */
int store_db_each_report(struct store_db *db, int first, int last,
                         store_db_period_fn fn, void *ctx);

/* ---- figures ---- */

struct db_figure {
	char area[AREA_CODE_BYTES];
	int period;
	char measure[24];
	double value;
	time_t received; /* the period's first receipt */
};

typedef int (*store_db_figure_fn)(void *ctx, const struct db_figure *f);
/* Calls fn for every figure (area NULL) or area's, by area and period,
 * with the store locked: fn must not use the store. Every figure is read
 * a page at a time, the lock let go between pages: what another
 * connection commits meanwhile may be read in part (its data_version
 * tells). */
int store_db_each_figure(struct store_db *db, const char *area,
                         store_db_figure_fn fn, void *ctx);

struct db_revision {
	int period;
	char measure[24];
	double value;
	time_t received;
	char source[16];
	long long token_id; /* 0: none */
	time_t replaced;    /* 0: the current value */
};

typedef int (*store_db_revision_fn)(void *ctx, const struct db_revision *r);
/* Calls fn for every value area's figures have had (period -1: any;
 * measure NULL: any), newest first, at most limit. */
int store_db_each_revision(struct store_db *db, const char *area, int period,
                           const char *measure, size_t limit,
                           store_db_revision_fn fn, void *ctx);

/* ---- outlier flags (figures/outlier.h) ---- */

#define DB_FLAG_COMMENT_BYTES 2048 /* 500 characters of UTF-8, and NUL */

struct db_flag_row {
	char area[AREA_CODE_BYTES];
	char measure[24];
	int period;
	double value;
	double z; /* NAN: infinite (no spread in the history) */
	double median;
	time_t raised;
	char comment[DB_FLAG_COMMENT_BYTES]; /* "" unless confirmed */
	time_t confirmed;                    /* 0: not */
	long long confirmed_by;              /* the token; 0: none */
	time_t cleared; /* 0: open; else when a revision replaced it */
};

typedef int (*store_db_flag_fn)(void *ctx, const struct db_flag_row *f);
/* Calls fn for the flags of area (NULL: any), open ones only unless
 * with_cleared, newest first, at most limit. */
int store_db_each_flag(struct store_db *db, const char *area, bool with_cleared,
                       size_t limit, store_db_flag_fn fn, void *ctx);
/* The figure of an open flag. */
struct db_flag_key {
	char area[AREA_CODE_BYTES];
	char measure[24];
	int period;
};

typedef int (*store_db_flag_key_fn)(void *ctx, const struct db_flag_key *k);
/* Calls fn for every open flag of a period first .. last (inclusive),
 * in no particular order: what /api/v1/data marks. */
int store_db_each_open_flag(struct store_db *db, int first, int last,
                            store_db_flag_key_fn fn, void *ctx);

/* Confirms the open flag of (area, measure, period) with comment by
 * token_id at now, and reads it back into *out: 1, or 0 if there is no
 * such open flag, -1 on error. Committed when this returns 1. */
int store_db_flag_confirm(struct store_db *db, const char *area,
                          const char *measure, int period, const char *comment,
                          long long token_id, time_t now,
                          struct db_flag_row *out);

typedef int (*store_db_area_fn)(void *ctx, const char *area);
/* Calls fn for each area whose figures changed since its RRD file was
 * last written (a crash between the two writes). */
int store_db_each_dirty(struct store_db *db, store_db_area_fn fn, void *ctx);
/* Area's RRD file is in line with its figures. */
int store_db_clean(struct store_db *db, const char *area);

/* Retention: deletes the logs older than before - polls with their
 * rejections and violations, and audit lines - at most batch rows of a
 * table a transaction, the store's lock let go between two, so no other
 * writer waits for more than one batch. Figures, their history, the
 * reports, endpoint state and tokens are never touched. The rows deleted
 * (polls and audit lines) are added to *out_n. Not inside a
 * store_db_begin batch. */
int store_db_prune(struct store_db *db, time_t before, size_t batch,
                   size_t *out_n);

/* ---- imports: staged, then applied in bounded transactions ----
 *
 * kuntamonctl import's figures go in three steps, none holding the
 * database for long: store_db_import_stage writes the checked rows to a
 * staging table, a transaction at most max_ms; store_db_import_commit
 * marks them to be applied, in one small transaction (the commit point:
 * before it nothing of the import counts, after it all of it will);
 * store_db_import_apply applies them a few (area, period) groups a
 * transaction, each group as store_db_record would record it, and
 * deletes what it applied in the same transaction. An apply that is
 * interrupted is finished by the next store_db_open (kuntamond's start,
 * any kuntamonctl command). One import at a time: the caller holds a
 * lock against other imports. */

struct db_import_row {
	const char *area;
	int period;
	const char *measure;
	double value;
	time_t first_time; /* its received if the period is not held yet */
};

struct db_import_tally {
	size_t n_new, n_revised, n_unchanged;
	size_t n_groups;      /* (area, period) groups applied */
	size_t n_tx;          /* transactions */
	long long longest_ms; /* the longest of them */
};

/* 0: no import pending, 1: one staged (not committed: its rows are
 * garbage unless its stager still runs), 2: one committed, being
 * applied; -1 on error. */
int store_db_import_pending(struct store_db *db);
/* Drops any staged rows left behind and stages n rows, sorted by area and
 * period, for an import at time now, in transactions of at most about
 * max_ms. -1 on error (the staged rows stay, harmless; store_db_import_
 * abort drops them). */
int store_db_import_stage(struct store_db *db, time_t now,
                          const struct db_import_row *rows, size_t n,
                          long long max_ms, struct db_import_tally *t);
/* The commit point: the staged rows are to be applied. */
int store_db_import_commit(struct store_db *db);
/* Applies the committed import's rows in transactions of about max_ms,
 * adding to *t, calling fn (may be NULL) with the store locked for each
 * area whose figures changed: fn must not use the store. 0 when all are
 * applied, -1 on error (what is applied stands; the rest is applied by
 * the next call or store_db_open). */
int store_db_import_apply(struct store_db *db, long long max_ms,
                          store_db_area_fn fn, void *ctx,
                          struct db_import_tally *t);
/* Drops the staged import whole: only before anything of it is applied. */
int store_db_import_abort(struct store_db *db);

/* PRAGMA data_version: changes when another connection (kuntamonctl
 * import) commits. */
int store_db_data_version(struct store_db *db, long long *out);

/* SQLite's version ("3.40.1"), for /metrics' build information. */
const char *store_db_library_version(void);

#endif
