/*
 * test_ingest.c: ingest_document's classification of documents against
 * the figures held (new, revision, late, unchanged, SPEC §4) and what each
 * writes, against a real SQLite database and real RRD files in a temporary
 * folder: the figures and their history, the matrix, the file (untouched
 * when nothing changed), rejections once per period.
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "check.h"
#include "fixture.h"
#include "ingest.h"
#include "timespec.h"

static const char regions_csv[] = "code,name_fi,name_sv,name_en\n"
                                  "01,Uusimaa,Nyland,Uusimaa\n";
static const char munis_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,1000,200\n"
    "049,Espoo,Esbo,01,Uusimaa,Nyland,500,100\n";
/* clang-format off */
static const char measures_json[] =
    "{\"measures\": ["
      "{\"id\": \"contacts\", \"unit\": \"n\", \"min\": 0, \"max\": 1e6, "
      "\"aggregate\": \"sum\", \"is_count\": true, " FIXTURE_NAMES "},"
      "{\"id\": \"staff_fte\", \"unit\": \"n\", \"min\": 0, \"max\": 1e3, "
      "\"aggregate\": \"sum\", " FIXTURE_NAMES "}"
    "], \"indicators\": [], \"rules\": []}";
/* clang-format on */

#define P_SEP (2026 * 12 + 8)
#define NOW ((time_t)1793491200 + 86400 * 20) /* 2026-11-21 */

static struct fixture_db fx;
static struct catalog *cat;
static struct store_db *db;
static struct store_rrd *rrd;
static struct ingest_figures fig;
static struct ingest_ctx ctx;
static int ku091;

static void
setup(void)
{
	struct error err = { 0 };

	cat = fixture_catalog(regions_csv, munis_csv, measures_json, NULL);
	db = fixture_db_open(&fx, "test_ingest");
	rrd = store_rrd_new(fx.dir, NULL, &err);
	if (db == NULL || rrd == NULL ||
	    ingest_figures_init(&fig, cat, db, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		exit(1);
	}
	ctx.cat = cat;
	ctx.rrd = rrd;
	ctx.db = db;
	ctx.fig = &fig;
	ku091 = catalog_find_area(cat, "KU091");
}

static void
teardown(void)
{
	ingest_figures_reset(&fig);
	store_rrd_free(rrd);
	catalog_unref(cat);
	fixture_db_remove(&fx, db);
}

/* Takes KU091's document of period with its measures' JSON; the result,
 * *out_kind set when taken. */
static int
take(int period, const char *measures, time_t now, enum ingest_kind *out_kind)
{
	struct ingest_meta meta = { .source = "submission" };
	struct document doc;
	struct error err = { 0 };
	char body[512], p[16];
	int rc;

	period_format(period, p, sizeof(p));
	snprintf(body, sizeof(body),
	         "{\"municipality\": \"KU091\", \"period\": \"%s\", "
	         "\"measures\": {%s}}",
	         p, measures);
	rc = ingest_document(&ctx, ku091, body, strlen(body), now, &meta, &doc,
	                     out_kind, &err);
	if (rc == INGEST_TAKEN)
		document_reset(&doc);
	else
		fprintf(stderr, "ingest: %s\n", err.msg);
	return rc;
}

static long long
query_int(const char *sql)
{
	return fixture_db_int(&fx, sql);
}

static bool
file_stat(struct stat *sb)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/rrd/KU091.rrd", fx.dir);
	return stat(path, sb) == 0;
}

static double
held(int period, const char *measure)
{
	const struct catalog *c;
	const struct matrix *mx = ingest_read(&fig, &c);
	double v =
	    matrix_get(mx, ku091, period, catalog_find_measure(c, measure));

	ingest_done(&fig);
	return v;
}

static void
test_kinds(void)
{
	enum ingest_kind kind = INGEST_UNCHANGED;
	struct stat a, b;

	/* a first period: new, and the file is made */
	CHECK(take(P_SEP, "\"contacts\": 100, \"staff_fte\": 2", NOW, &kind) ==
	      INGEST_TAKEN);
	CHECK(kind == INGEST_NEW);
	CHECK(held(P_SEP, "contacts") == 100);
	CHECK(file_stat(&a));
	/* the same figures again: unchanged, nothing written */
	CHECK(take(P_SEP, "\"contacts\": 100, \"staff_fte\": 2", NOW + 1,
	           &kind) == INGEST_TAKEN);
	CHECK(kind == INGEST_UNCHANGED);
	CHECK(file_stat(&b));
	CHECK(a.st_ino == b.st_ino && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
	      a.st_mtim.tv_nsec == b.st_mtim.tv_nsec);
	CHECK(query_int("SELECT COUNT(*) FROM history") == 0);
	CHECK(query_int("SELECT COUNT(*) FROM polls") == 2);
	/* a measure it lacks keeps its figure: still unchanged */
	CHECK(take(P_SEP, "\"contacts\": 100", NOW + 2, &kind) == INGEST_TAKEN);
	CHECK(kind == INGEST_UNCHANGED);
	CHECK(held(P_SEP, "staff_fte") == 2);
	/* a changed figure of the period held: revision, the old value kept */
	CHECK(take(P_SEP, "\"contacts\": 120", NOW + 3, &kind) == INGEST_TAKEN);
	CHECK(kind == INGEST_REVISION);
	CHECK(held(P_SEP, "contacts") == 120);
	CHECK(held(P_SEP, "staff_fte") == 2);
	CHECK(query_int("SELECT value FROM history WHERE measure = "
	                "'contacts'") == 100);
	CHECK(file_stat(&b) && b.st_ino != a.st_ino); /* rebuilt */
	/* the next month: new, appended (same file) */
	CHECK(file_stat(&a));
	CHECK(take(P_SEP + 1, "\"contacts\": 130, \"staff_fte\": 3", NOW + 4,
	           &kind) == INGEST_TAKEN);
	CHECK(kind == INGEST_NEW);
	CHECK(file_stat(&b) && b.st_ino == a.st_ino);
	/* a month before the latest: late, its own period only */
	CHECK(take(P_SEP - 3, "\"contacts\": 90", NOW + 5, &kind) ==
	      INGEST_TAKEN);
	CHECK(kind == INGEST_LATE);
	CHECK(held(P_SEP - 3, "contacts") == 90);
	CHECK(held(P_SEP + 1, "contacts") == 130);
	{
		const struct catalog *c;
		const struct matrix *mx = ingest_read(&fig, &c);

		CHECK(matrix_latest(mx, ku091) == P_SEP + 1);
		ingest_done(&fig);
	}
	/* a late report revised: still late (earlier than the latest) */
	CHECK(take(P_SEP - 3, "\"contacts\": 95", NOW + 6, &kind) ==
	      INGEST_TAKEN);
	CHECK(kind == INGEST_LATE);
	/* files in line with the figures: nothing left marked */
	CHECK(query_int("SELECT COUNT(*) FROM rrd_dirty") == 0);
	/* every figure carries its source */
	CHECK(query_int("SELECT COUNT(*) FROM figures WHERE source != "
	                "'submission'") == 0);
}

/* A missing measure is recorded once per period, not at every document. */
static void
test_rejections_once(void)
{
	enum ingest_kind kind;
	long long before = query_int("SELECT COUNT(*) FROM rejections");
	int i;

	for (i = 0; i < 3; i++)
		CHECK(take(P_SEP + 1, "\"contacts\": 130", NOW + 10 + i,
		           &kind) == INGEST_TAKEN);
	CHECK(kind == INGEST_UNCHANGED);
	CHECK(query_int("SELECT COUNT(*) FROM rejections") == before + 1);
	/* another period notes it again */
	CHECK(take(P_SEP - 5, "\"contacts\": 70", NOW + 20, &kind) ==
	      INGEST_TAKEN);
	CHECK(query_int("SELECT COUNT(*) FROM rejections") == before + 2);
}

/* What landed_fn saw: calls, the last area, whether a reader could
 * have slipped in between the change and the call. */
static int n_landed, last_landed;
static bool was_readable;

static void
on_landed(void *c, const struct catalog *landed_cat, int area)
{
	(void)c;
	(void)landed_cat;
	n_landed++;
	last_landed = area;
	if (pthread_rwlock_tryrdlock(&fig.lock) == 0) {
		was_readable = true;
		pthread_rwlock_unlock(&fig.lock);
	}
}

/* The data generation moves with the figures, inside the write lock, so
 * no reader pairs new figures with an old cache key or ETag. */
static void
test_landed(void)
{
	enum ingest_kind kind;

	fig.landed_fn = on_landed;
	n_landed = 0;
	CHECK(take(P_SEP + 1, "\"contacts\": 130", NOW + 30, &kind) ==
	      INGEST_TAKEN);
	CHECK(kind == INGEST_UNCHANGED);
	CHECK(n_landed == 0);
	CHECK(take(P_SEP + 1, "\"contacts\": 131", NOW + 31, &kind) ==
	      INGEST_TAKEN);
	CHECK(kind == INGEST_REVISION);
	CHECK(n_landed == 1 && last_landed == ku091);
	CHECK(!was_readable);
	fig.landed_fn = NULL;
}

/* A document rejected whole changes nothing. */
static void
test_rejected_whole(void)
{
	enum ingest_kind kind;
	long long n = query_int("SELECT COUNT(*) FROM figures");

	CHECK(take(P_SEP + 4, "\"contacts\": 1", NOW, &kind) ==
	      INGEST_REJECTED); /* 2027-01 is in the future */
	CHECK(query_int("SELECT COUNT(*) FROM figures") == n);
	CHECK(isnan(held(P_SEP + 4, "contacts")));
}

/* KU049's document of period with contacts = v, parsed. */
static int
parse49(int period, double v, struct document *out)
{
	struct error err = { 0 };
	char body[256], p[16];

	period_format(period, p, sizeof(p));
	snprintf(body, sizeof(body),
	         "{\"municipality\": \"KU049\", \"period\": \"%s\", "
	         "\"measures\": {\"contacts\": %g, \"staff_fte\": 1}}",
	         p, v);
	return document_parse(cat, catalog_find_area(cat, "KU049"), -1, body,
	                      strlen(body), NOW, out, &err);
}

/* Outliers are judged in the figures' transaction (figures/outlier.h):
 * a CSV upload's earlier periods are history for its later ones; a dry
 * run raises nothing; a revision clears and judges anew. KU049, 2025. */
static void
test_outliers(void)
{
	const int p0 = 2025 * 12;
	const double v[7] = { 10, 11, 12, 13, 14, 15, 21 };
	struct ingest_meta meta = { .source = "submission", .is_sparse = true };
	struct document docs[7], doc;
	enum ingest_kind kinds[7], kind;
	struct error err = { 0 };
	char sql[160];
	size_t i;
	int k49 = catalog_find_area(cat, "KU049");

	for (i = 0; i < 7; i++)
		CHECK(parse49(p0 + (int)i, v[i], &docs[i]) == 0);
	/* history 10..15: median 12.5, MAD 1.5; 21: z = 0.6745 * 8.5 / 1.5
	 * (staff_fte: 1 throughout, no spread and no other value) */
	CHECK(ingest_documents(&ctx, k49, docs, 7, NOW, &meta, kinds, &err) ==
	      INGEST_TAKEN);
	for (i = 0; i < 7; i++)
		document_reset(&docs[i]);
	CHECK(query_int("SELECT COUNT(*) FROM flags WHERE area = 'KU049'") ==
	      1);
	snprintf(sql, sizeof(sql),
	         "SELECT CAST(round(z * 1e6) AS INTEGER) FROM flags WHERE "
	         "area = 'KU049' AND measure = 'contacts' AND period = %d",
	         p0 + 6);
	CHECK(query_int(sql) == 3822167);
	/* a dry run of a far value stores no flag */
	meta.is_sparse = false;
	meta.is_dry_run = true;
	CHECK(parse49(p0 + 7, 1000, &doc) == 0);
	CHECK(ingest_documents(&ctx, k49, &doc, 1, NOW, &meta, &kind, &err) ==
	      INGEST_TAKEN);
	document_reset(&doc);
	CHECK(query_int("SELECT COUNT(*) FROM flags WHERE area = 'KU049'") ==
	      1);
	/* the flagged figure revised to an ordinary value: cleared */
	meta.is_dry_run = false;
	CHECK(parse49(p0 + 6, 12, &doc) == 0);
	CHECK(ingest_documents(&ctx, k49, &doc, 1, NOW, &meta, &kind, &err) ==
	      INGEST_TAKEN);
	document_reset(&doc);
	CHECK(kind == INGEST_REVISION);
	snprintf(sql, sizeof(sql),
	         "SELECT COUNT(*) FROM flags WHERE area = 'KU049' AND "
	         "cleared = %lld",
	         (long long)NOW);
	CHECK(query_int(sql) == 1);
}

int
main(void)
{
	setup();
	RUN(test_kinds);
	RUN(test_rejections_once);
	RUN(test_landed);
	RUN(test_rejected_whole);
	RUN(test_outliers);
	teardown();
	return check_done();
}
