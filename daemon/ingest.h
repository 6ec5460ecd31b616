/*
 * ingest.h: the single path from a municipal document to storage, for
 * polled and submitted documents alike: parse -> validate -> classify
 * against the figures held -> record in SQLite -> write the RRD file.
 * It also owns the figures in memory (the matrix every reader computes
 * from), as their one writer.
 */
#ifndef KUNTAMON_INGEST_H
#define KUNTAMON_INGEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "catalog.h"
#include "document.h"
#include "error.h"
#include "matrix.h"
#include "store_db.h"
#include "store_rrd.h"

/* The figures in memory and the catalog they are indexed by, swapped
 * together. Ingest changes mx holding `write` and, while it changes mx,
 * the write side of `lock`; readers hold the read side (ingest_read). */
#define INGEST_WRITTEN 32

struct ingest_figures {
	pthread_rwlock_t lock;
	pthread_mutex_t write;
	struct catalog *cat; /* a reference */
	struct matrix *mx;
	long long data_version; /* the database's when mx was last in step */
	/* Changes to mx by ingest, under write, and the last areas written
	 * (n_writes % INGEST_WRITTEN): a reload that loaded without write
	 * reads these areas again. */
	unsigned long n_writes;
	char written[INGEST_WRITTEN][AREA_CODE_BYTES];
	/* Told of every change to mx while lock is held for writing (area:
	 * an index into cat; -1: any area), so that a reader holding the
	 * lock for reading sees the figures and the data generation that
	 * stands for them together (app.c: cache keys and ETags). NULL:
	 * nobody is told. */
	void (*landed_fn)(void *ctx, const struct catalog *cat, int area);
	void *landed_ctx;
};

struct ingest_ctx {
	const struct catalog *cat; /* the caller's: documents parse by it */
	struct store_rrd *rrd;
	struct store_db *db;
	struct ingest_figures *fig;
};

/* How a document arrived, for the record. */
struct ingest_meta {
	const char *source; /* "poll" or "submission" */
	int http_status;
	double latency_ms;
	long long token_id; /* a submission's token; 0: none */
	/* Classify only (?dry_run=1): the document is judged against the
	 * figures held and nothing is stored, not even its outcome. */
	bool is_dry_run;
	/* Rows (a CSV upload), not a whole document: a measure it does not
	 * give is no rejection (its figure keeps what it was). */
	bool is_sparse;
};

/* What a taken document did to the figures (SPEC §4). */
enum ingest_kind {
	INGEST_NEW,       /* a period not held, after the latest one */
	INGEST_REVISION,  /* a period held, some figure changed */
	INGEST_LATE,      /* a period earlier than the latest one held */
	INGEST_UNCHANGED, /* every figure as held: nothing written */
};

/* "new", "revision", "late", "unchanged". */
const char *ingest_kind_name(enum ingest_kind kind);

/* What ingest_document did; callers that answer someone (submissions)
 * branch on it. */
enum ingest_result {
	INGEST_TAKEN = 0,
	INGEST_REJECTED = -1,                    /* the document, whole */
	INGEST_OTHER_AREA = DOCUMENT_OTHER_AREA, /* names another one */
	INGEST_STORE_FAILED = -4, /* nothing recorded: try again */
};

/* Takes body as area's document at now. INGEST_TAKEN with *out_doc filled
 * (the caller calls document_reset) and *out_kind when the document was
 * taken, maybe partly: its figures are committed to SQLite before this
 * returns, and the area's RRD file written after (a failure there is
 * logged and repaired on the next start). Else a negative enum
 * ingest_result with err->msg (the outcome is recorded when it can be).
 * With meta->is_dry_run the same, but nothing is stored: *out_kind says
 * what the document would have done.
 * Thread-safe: documents are taken one at a time. */
int ingest_document(const struct ingest_ctx *ctx, int area, const char *body,
                    size_t len, time_t now, const struct ingest_meta *meta,
                    struct document *out_doc, enum ingest_kind *out_kind,
                    struct error *err);

/* Takes docs[0 .. n), area's documents parsed by document_parse with
 * periods ascending and distinct (a CSV upload's), as one: each classified
 * against the figures held as ingest_document would, then all recorded in
 * one transaction or none, and the area's RRD file rebuilt once.
 * out_kinds[n] gets each one's kind. The caller keeps and resets docs.
 * INGEST_TAKEN, or INGEST_STORE_FAILED with err (nothing stored). */
int ingest_documents(const struct ingest_ctx *ctx, int area,
                     const struct document *docs, size_t n, time_t now,
                     const struct ingest_meta *meta,
                     enum ingest_kind *out_kinds, struct error *err);

/* Records a poll answered 304 Not Modified: a success, nothing changed. */
int ingest_not_modified(const struct ingest_ctx *ctx, int area, time_t now,
                        const struct ingest_meta *meta);

/* Records a poll that brought no document (error says why). */
int ingest_failure(const struct ingest_ctx *ctx, int area, time_t now,
                   const struct ingest_meta *meta, size_t n_bytes,
                   const char *error);

/* ---- the figures in memory ---- */

/* A matrix of every figure in db, indexed by cat. NULL with err. */
struct matrix *ingest_load(const struct catalog *cat, struct store_db *db,
                           struct error *err);

/* Loads the figures for cat into fig (which takes a reference of cat).
 * 0, or -1 with err. */
int ingest_figures_init(struct ingest_figures *fig, struct catalog *cat,
                        struct store_db *db, struct error *err);
void ingest_figures_reset(struct ingest_figures *fig);

/* Reloads the figures from db, for cat (a new catalog after SIGHUP; NULL
 * keeps the current one), and swaps them in: when the catalog changed or
 * another program (kuntamonctl import) committed figures. 1 if reloaded,
 * 0 if there was nothing to do (same catalog, same data version), -1
 * with err (the old figures stay). */
int ingest_figures_reload(struct ingest_figures *fig, struct catalog *cat,
                          struct store_db *db, struct error *err);

/* Borrows the figures and their catalog for reading, until ingest_done;
 * never held across a wait. */
const struct matrix *ingest_read(struct ingest_figures *fig,
                                 const struct catalog **out_cat);
void ingest_done(struct ingest_figures *fig);

/* Brings every municipality's RRD file in line with its figures: those
 * whose figures changed since the file was written (a crash between the
 * two writes), and those whose last period or its values differ, or that
 * lack a measure's data source, are rebuilt. Run on start and after
 * SIGHUP. Returns how many files failed (each logged). */
int ingest_repair(const struct ingest_ctx *ctx);

/* Rebuilds area's file from the figures of ctx->fig. 0, or -1 with err. */
int ingest_rebuild(const struct ingest_ctx *ctx, int area, struct error *err);

/* Rebuilds area's file holding its lock against other processes, after
 * reading again its figures if another process committed some, and
 * clears its mark: what kuntamonctl import does for each file it
 * touched, beside a running daemon that does the same. 0, or -1 with
 * err (the mark stays for the next start). */
int ingest_sync(const struct ingest_ctx *ctx, int area, struct error *err);

#endif
