/*
 * ingest.c: the one path from a municipal document to storage, and the one
 * writer of the figures in memory.
 *
 * Order of writes: SQLite first (the figures, their history and a mark
 * that the area's RRD file must follow), committed; then the matrix; then
 * the RRD file, and the mark cleared. A crash between leaves the mark, and
 * ingest_repair rebuilds the file on the next start. A document whose
 * figures are all as held writes nothing but its poll row: no history, no
 * RRD write, and a rejected measure is recorded once per period and run.
 *
 * Documents are taken one at a time (fig->write): classification reads the
 * matrix and the write that follows must not race another document of the
 * same area. Readers are held off only while the matrix itself changes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "log.h"
#include "outlier.h"
#include "timespec.h"
#include "xmalloc.h"

/* Rejections noted per (area, period): bit m for measure m < 63, bit 63
 * for unknown keys. Measures past 62 are recorded every time. */
#define NOTE_UNKNOWN ((uint64_t)1 << 63)

static const char *const kind_names[] = { "new", "revision", "late",
	                                  "unchanged" };

const char *
ingest_kind_name(enum ingest_kind kind)
{
	return kind_names[kind];
}

static uint64_t
note_bit(size_t m)
{
	return m < 63 ? (uint64_t)1 << m : 0;
}

/* Whether doc's measure i counts as rejected: with rows (is_sparse), a
 * measure not given is just not there. */
static bool
is_rejected(const struct document *doc, size_t i, bool is_sparse)
{
	return doc->status[i] != REJECT_NONE &&
	       !(is_sparse && doc->status[i] == REJECT_MISSING);
}

/* v as text that reads back as v: 15 digits where they do ("1.1", not
 * "1.1000000000000001"), else 17. */
static void
format_given(double v, char *out, size_t size)
{
	snprintf(out, size, "%.15g", v);
	if (strtod(out, NULL) != v)
		snprintf(out, size, "%.17g", v);
}

/* An outcome and the arrays it points to (outcome_free). */
struct outcome {
	struct db_outcome o;
	struct db_rejection *rej;
	const char **viol;
	char (*given)[32]; /* a rejected number as given: rej[].detail */
};

/* Fills out with the outcome of area's document (doc NULL: none taken),
 * with the rejections not yet noted (all when noted is 0) and the
 * changes. */
static void
outcome_fill(const struct ingest_ctx *ctx, const struct area *a, time_t now,
             const struct ingest_meta *meta, size_t len,
             const struct document *doc, uint64_t noted, bool with_violations,
             const struct db_change *changes, size_t n_changes,
             const char *error, struct outcome *out)
{
	const struct catalog *cat = ctx->cat;
	struct db_outcome *o = &out->o;
	struct db_rejection *rej = NULL;
	const char **viol = NULL;
	size_t i, n = 0;

	memset(out, 0, sizeof(*out));
	o->area = a->code;
	o->time = now;
	o->source = meta->source;
	o->http_status = meta->http_status;
	o->latency_ms = meta->latency_ms;
	o->token_id = meta->token_id;
	/* someone is answered after a submission: what it says is on disk */
	o->is_durable = strcmp(meta->source, "poll") != 0;
	o->n_bytes = len;
	o->period = doc != NULL ? doc->period : -1;
	o->error = error;
	o->changes = changes;
	o->n_changes = n_changes;
	if (doc != NULL) {
		/* one per measure at most, plus the unknown keys kept */
		rej = xcalloc(doc->n_measures + DOCUMENT_MAX_UNKNOWN,
		              sizeof(*rej));
		viol = xcalloc(doc->n_violations + 1, sizeof(*viol));
		out->given = xcalloc(doc->n_measures + 1, sizeof(*out->given));
		o->n_accepted = doc->n_accepted;
		o->n_rejected = doc->n_unknown;
		for (i = 0; i < doc->n_measures; i++) {
			if (!is_rejected(doc, i, meta->is_sparse))
				continue;
			o->n_rejected++;
			if ((noted & note_bit(i)) != 0)
				continue;
			rej[n].measure = cat->measures[i].id;
			rej[n].reason = document_reason_name(doc->status[i]);
			/* what was given, for the municipality's record
			 * (/api/v1/activity) */
			if (doc->given != NULL && isfinite(doc->given[i])) {
				format_given(doc->given[i], out->given[n],
				             sizeof(out->given[n]));
				rej[n].detail = out->given[n];
			}
			n++;
		}
		for (i = 0; i < doc->n_unknown && i < DOCUMENT_MAX_UNKNOWN &&
		            (noted & NOTE_UNKNOWN) == 0;
		     i++) {
			rej[n].measure = doc->unknown[i];
			rej[n].reason = document_reason_name(REJECT_UNKNOWN);
			n++;
		}
		for (i = 0; with_violations && i < doc->n_violations; i++)
			viol[o->n_violations++] =
			    cat->rules[doc->violations[i]].text;
	}
	o->rejections = rej;
	o->n_rejections = n;
	o->violations = viol;
	out->rej = rej;
	out->viol = viol;
}

static void
outcome_free(struct outcome *out)
{
	free(out->given);
	free(out->viol);
	free(out->rej);
}

/* Records the outcome of area's document, as outcome_fill. */
static int
record(const struct ingest_ctx *ctx, const struct area *a, time_t now,
       const struct ingest_meta *meta, size_t len, const struct document *doc,
       uint64_t noted, bool with_violations, const struct db_change *changes,
       size_t n_changes, const char *error)
{
	struct outcome out;
	int rc;

	outcome_fill(ctx, a, now, meta, len, doc, noted, with_violations,
	             changes, n_changes, error, &out);
	rc = store_db_record(ctx->db, &out.o);
	outcome_free(&out);
	return rc;
}

/* The bits of doc's rejections. */
static uint64_t
rejection_bits(const struct document *doc, bool is_sparse)
{
	uint64_t bits = doc->n_unknown > 0 ? NOTE_UNKNOWN : 0;
	size_t i;

	for (i = 0; i < doc->n_measures; i++)
		if (is_rejected(doc, i, is_sparse))
			bits |= note_bit(i);
	return bits;
}

/* The index in the figures' catalog of ctx->cat's measure i. */
static int
fig_measure(const struct ingest_ctx *ctx, const struct catalog *fcat, size_t i)
{
	if (fcat == ctx->cat)
		return (int)i;
	return catalog_find_measure(fcat, ctx->cat->measures[i].id);
}

struct area_rows {
	struct db_figure *rows;
	size_t n, cap;
};

static int
keep_row(void *ctx, const struct db_figure *f)
{
	struct area_rows *r = ctx;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->rows = xreallocarray(r->rows, r->cap, sizeof(*r->rows));
	}
	r->rows[r->n++] = *f;
	return 0;
}

/* Tells the listener, with fig->lock held for writing, that area's
 * figures (-1: any area's) changed. */
static void
landed(const struct ingest_figures *fig, int area)
{
	if (fig->landed_fn != NULL)
		fig->landed_fn(fig->landed_ctx, fig->cat, area);
}

/* Reads area's figures from the database into fig->mx: another process
 * (an import, or the daemon beside one) may have committed some. Read
 * first and applied after, so that the database's lock is never held
 * while waiting for the matrix's. The caller holds fig->write. */
static int
refresh_area(struct ingest_figures *fig, struct store_db *db, int fa)
{
	struct area_rows r = { 0 };
	size_t i;
	int m;

	if (store_db_each_figure(db, fig->cat->areas[fa].code, keep_row, &r) <
	    0) {
		free(r.rows);
		return -1;
	}
	pthread_rwlock_wrlock(&fig->lock);
	for (i = 0; i < r.n; i++)
		if ((m = catalog_find_measure(fig->cat, r.rows[i].measure)) >=
		        0 &&
		    isfinite(r.rows[i].value))
			matrix_set(fig->mx, fa, r.rows[i].period, m,
			           r.rows[i].value, r.rows[i].received);
	if (r.n > 0)
		landed(fig, fa);
	pthread_rwlock_unlock(&fig->lock);
	free(r.rows);
	return 0;
}

/* Brings area's file in line with its figures, holding the file's lock
 * against other processes: the newest period is appended when is_append
 * (period), anything else rebuilds the file; figures another process
 * committed meanwhile are read first. Then the area's mark is cleared.
 * The caller holds fig->write. */
static int
sync_file(const struct ingest_ctx *ctx, int fa, int period, bool is_append,
          struct error *err)
{
	struct ingest_figures *fig = ctx->fig;
	const struct catalog *fcat = fig->cat;
	const char *code = fcat->areas[fa].code;
	long long version;
	double *row;
	size_t m;
	int rc = 1;

	if (store_rrd_lock(ctx->rrd, code, err) < 0)
		return -1;
	if (store_db_data_version(ctx->db, &version) == 0 &&
	    version != fig->data_version) {
		if (refresh_area(fig, ctx->db, fa) < 0) {
			rc = error_set(err, 0, "cannot read the figures");
			goto out;
		}
		is_append = false;
	}
	if (is_append) {
		row = xcalloc(fcat->n_measures + 1, sizeof(*row));
		for (m = 0; m < fcat->n_measures; m++)
			row[m] = matrix_get(fig->mx, fa, period, (int)m);
		rc = store_rrd_append(ctx->rrd, code, fcat->measures,
		                      fcat->n_measures, period, row, err);
		free(row);
	}
	if (rc == 1)
		rc = ingest_rebuild(ctx, fa, err);
	if (rc == 0)
		store_db_clean(ctx->db, code);
out:
	store_rrd_unlock(ctx->rrd, code);
	return rc;
}

/* Writes area's file after its figures changed in period; a failure is
 * logged, and the mark left for the next start. */
static void
write_file(const struct ingest_ctx *ctx, int fa, int period, bool is_append)
{
	struct error err = { 0 };
	char q[300];

	if (sync_file(ctx, fa, period, is_append, &err) < 0)
		log_error("cannot write RRD file; rebuilt on next start",
		          "area=%s err=%s", ctx->fig->cat->areas[fa].code,
		          log_quote(err.msg, q, sizeof(q)));
}

int
ingest_sync(const struct ingest_ctx *ctx, int area, struct error *err)
{
	int rc;

	pthread_mutex_lock(&ctx->fig->write);
	rc = sync_file(ctx, area, -1, false, err);
	pthread_mutex_unlock(&ctx->fig->write);
	return rc;
}

/* One document being taken: what it changes, its kind, its record. */
struct taking {
	struct db_change *changes;
	int *fm; /* ctx->cat's measure i in the figures' catalog, or -1 */
	size_t n_changes;
	enum ingest_kind kind;
	uint64_t bits, noted;
	struct outcome out;
	struct db_flag *flags; /* outliers among the changes (evaluate) */
	size_t n_flags;
};

/* Classifies doc against area fa's figures (fig->write held), whose
 * latest period is latest: t's changes and kind (SPEC §4). */
static void
classify(const struct ingest_ctx *ctx, const struct catalog *fcat, int fa,
         int latest, const struct document *doc, const struct ingest_meta *meta,
         struct taking *t)
{
	const struct catalog *cat = ctx->cat;
	const struct matrix *mx = ctx->fig->mx;
	int period = doc->period;
	size_t i;

	t->changes = xcalloc(cat->n_measures + 1, sizeof(*t->changes));
	t->fm = xcalloc(cat->n_measures + 1, sizeof(*t->fm));
	for (i = 0; i < cat->n_measures; i++) {
		double old, v = doc->values[i];

		t->fm[i] = fig_measure(ctx, fcat, i);
		if (doc->status[i] != REJECT_NONE || t->fm[i] < 0)
			continue;
		old = matrix_get(mx, fa, period, t->fm[i]);
		if (old == v)
			continue;
		t->changes[t->n_changes].measure = cat->measures[i].id;
		t->changes[t->n_changes].value = v;
		t->changes[t->n_changes].is_revision = !isnan(old);
		t->n_changes++;
	}
	if (t->n_changes == 0)
		t->kind = INGEST_UNCHANGED;
	else if (period < latest)
		t->kind = INGEST_LATE;
	else if (matrix_received(mx, fa, period) != 0)
		t->kind = INGEST_REVISION;
	else
		t->kind = INGEST_NEW;
	t->bits = rejection_bits(doc, meta->is_sparse);
	/* an unchanged document records only rejections not yet noted in
	 * this period, and no violations (its figures were checked when they
	 * came) */
	t->noted =
	    t->kind == INGEST_UNCHANGED ? matrix_noted(mx, fa, period) : 0;
}

/* Puts what doc set into the matrix (fig->write held). */
static void
apply(const struct ingest_ctx *ctx, int fa, const struct document *doc,
      const struct taking *t, time_t now)
{
	struct ingest_figures *fig = ctx->fig;
	size_t i;

	if (t->n_changes == 0 && (t->bits & ~t->noted) == 0)
		return;
	pthread_rwlock_wrlock(&fig->lock);
	snprintf(fig->written[fig->n_writes++ % INGEST_WRITTEN],
	         AREA_CODE_BYTES, "%s", fig->cat->areas[fa].code);
	for (i = 0; i < ctx->cat->n_measures; i++)
		if (doc->status[i] == REJECT_NONE && t->fm[i] >= 0)
			matrix_set(fig->mx, fa, doc->period, t->fm[i],
			           doc->values[i], now);
	matrix_note(fig->mx, fa, doc->period, t->bits);
	if (t->n_changes > 0)
		landed(fig, fa);
	pthread_rwlock_unlock(&fig->lock);
}

/* A figure's value as it will stand once docs[0 .. k) are recorded: the
 * earlier periods of a CSV upload are history for its later ones. */
struct held {
	const struct matrix *mx;
	const struct document *docs;
	size_t k, i; /* measure i of ctx->cat */
	int fa, fm;  /* the area and measure in the figures' catalog */
};

static double
held_value(void *ctx, int period)
{
	const struct held *h = ctx;
	size_t j;

	for (j = 0; j < h->k; j++)
		if (h->docs[j].period == period &&
		    h->docs[j].status[h->i] == REJECT_NONE)
			return h->docs[j].values[h->i];
	return matrix_get(h->mx, h->fa, period, h->fm);
}

/* A measure that is 0 or 1 (a point open, remote guidance offered): its
 * history has no spread, so any change would be flagged; a service
 * opening or closing is news, not an outlier. */
static bool
is_yes_no(const struct measure *m)
{
	return m->min == 0 && m->max == 1;
}

/* Judges each figure docs[k] changes against the area's earlier periods
 * (figures/outlier.h): t[k].flags. The caller holds fig->write. */
static void
evaluate(const struct ingest_ctx *ctx, int fa, const struct document *docs,
         size_t k, struct taking *t)
{
	const struct document *doc = &docs[k];
	struct taking *tk = &t[k];
	struct held h = { ctx->fig->mx, docs, k, 0, fa, -1 };
	double history[OUTLIER_MAX_HISTORY];
	struct outlier o;
	size_t i, n;
	int first = docs[0].period;

	if (matrix_area(h.mx, fa, &first, &n) == NULL || n == 0 ||
	    docs[0].period < first)
		first = docs[0].period;
	tk->flags = xcalloc(tk->n_changes + 1, sizeof(*tk->flags));
	for (i = 0; i < ctx->cat->n_measures; i++) {
		double v = doc->values[i];

		if (doc->status[i] != REJECT_NONE || tk->fm[i] < 0 ||
		    matrix_get(h.mx, fa, doc->period, tk->fm[i]) == v ||
		    is_yes_no(&ctx->cat->measures[i]))
			continue;
		h.i = i;
		h.fm = tk->fm[i];
		n = outlier_history(held_value, &h, first, doc->period,
		                    history);
		if (!outlier_test(v, history, n, &o))
			continue;
		tk->flags[tk->n_flags].measure = ctx->cat->measures[i].id;
		tk->flags[tk->n_flags].value = v;
		tk->flags[tk->n_flags].z = o.z;
		tk->flags[tk->n_flags].median = o.median;
		tk->n_flags++;
	}
}

/* Takes docs[0 .. n) of area (see ingest_documents; one for
 * ingest_document), recording each with len bytes. *out_is_store_down
 * when the record itself failed (no second try to record that). */
static int
take(const struct ingest_ctx *ctx, int area, const struct document *docs,
     size_t n, size_t len, time_t now, const struct ingest_meta *meta,
     enum ingest_kind *out_kinds, bool *out_is_store_down, struct error *err)
{
	const struct catalog *cat = ctx->cat, *fcat;
	const struct area *a = &cat->areas[area];
	struct ingest_figures *fig = ctx->fig;
	struct taking *t = xcalloc(n + 1, sizeof(*t));
	struct db_outcome *o = xcalloc(n + 1, sizeof(*o));
	size_t k, n_changes = 0;
	int rc, fa, latest;
	long long version;

	*out_is_store_down = false;
	pthread_mutex_lock(&fig->write);
	fcat = fig->cat;
	fa = catalog_find_area(fcat, a->code);
	if (fa < 0) {
		error_set(err, 0, "the catalog is being reloaded; try again");
		rc = INGEST_STORE_FAILED;
		goto out;
	}
	/* figures another program committed (an import) are classified
	 * against, and kept in a rebuilt file: this area's are read now,
	 * the rest by the next ingest_figures_reload (a whole reload here
	 * would make every submission during an import wait for one) */
	if (store_db_data_version(ctx->db, &version) < 0 ||
	    (version != fig->data_version &&
	     refresh_area(fig, ctx->db, fa) < 0)) {
		error_set(err, 0, "cannot read the figures");
		rc = INGEST_STORE_FAILED;
		goto out;
	}
	/* periods ascend: a later document of docs is never late for an
	 * earlier one, so each is classified against the figures held */
	latest = matrix_latest(fig->mx, fa);
	for (k = 0; k < n; k++) {
		classify(ctx, fcat, fa, latest, &docs[k], meta, &t[k]);
		n_changes += t[k].n_changes;
		out_kinds[k] = t[k].kind;
	}
	if (meta->is_dry_run) {
		rc = INGEST_TAKEN;
		goto out;
	}
	for (k = 0; k < n; k++) {
		evaluate(ctx, fa, docs, k, t);
		outcome_fill(ctx, a, now, meta, len, &docs[k], t[k].noted,
		             t[k].kind != INGEST_UNCHANGED, t[k].changes,
		             t[k].n_changes, NULL, &t[k].out);
		t[k].out.o.flags = t[k].flags;
		t[k].out.o.n_flags = t[k].n_flags;
		o[k] = t[k].out.o;
	}
	if ((n == 1 ? store_db_record(ctx->db, &o[0])
	            : store_db_record_all(ctx->db, o, n)) < 0) {
		/* rolled back whole: no figure, no history, nothing in
		 * memory or in the file; and no second try to record the
		 * failure, which would wait for the same lock again */
		error_set(err, 0, "the figures could not be stored");
		rc = INGEST_STORE_FAILED;
		*out_is_store_down = true;
		goto out;
	}
	for (k = 0; k < n; k++)
		apply(ctx, fa, &docs[k], &t[k], now);
	/* one document of a period after the latest appends to the file;
	 * anything else rebuilds it */
	if (n_changes > 0)
		write_file(ctx, fa, docs[n - 1].period,
		           n == 1 && t[0].kind == INGEST_NEW &&
		               docs[0].period > latest);
	rc = INGEST_TAKEN;
out:
	pthread_mutex_unlock(&fig->write);
	for (k = 0; k < n; k++) {
		outcome_free(&t[k].out);
		free(t[k].flags);
		free(t[k].fm);
		free(t[k].changes);
	}
	free(o);
	free(t);
	return rc;
}

int
ingest_document(const struct ingest_ctx *ctx, int area, const char *body,
                size_t len, time_t now, const struct ingest_meta *meta,
                struct document *out_doc, enum ingest_kind *out_kind,
                struct error *err)
{
	const struct catalog *cat = ctx->cat;
	const struct area *a = &cat->areas[area];
	int profile = -1, rc;
	bool is_store_down;

	/* A submission is always in the layout of SPEC §4; a profile
	 * describes one endpoint's document only. */
	if (a->endpoint >= 0 && strcmp(meta->source, "poll") == 0)
		profile = cat->endpoints[a->endpoint].profile;
	if ((rc = document_parse(cat, area, profile, body, len, now, out_doc,
	                         err)) < 0) {
		if (!meta->is_dry_run)
			record(ctx, a, now, meta, len, NULL, 0, false, NULL, 0,
			       err->msg);
		return rc == DOCUMENT_OTHER_AREA ? INGEST_OTHER_AREA
		                                 : INGEST_REJECTED;
	}
	rc = take(ctx, area, out_doc, 1, len, now, meta, out_kind,
	          &is_store_down, err);
	if (rc != INGEST_TAKEN) {
		if (!is_store_down && !meta->is_dry_run)
			record(ctx, a, now, meta, len, NULL, 0, false, NULL, 0,
			       err->msg);
		document_reset(out_doc);
	}
	return rc;
}

int
ingest_documents(const struct ingest_ctx *ctx, int area,
                 const struct document *docs, size_t n, time_t now,
                 const struct ingest_meta *meta, enum ingest_kind *out_kinds,
                 struct error *err)
{
	bool is_store_down;

	if (n == 0)
		return INGEST_TAKEN;
	/* the upload's outcome is the caller's to record (an audit line):
	 * a failed one leaves no poll row per period */
	return take(ctx, area, docs, n, 0, now, meta, out_kinds, &is_store_down,
	            err);
}

int
ingest_not_modified(const struct ingest_ctx *ctx, int area, time_t now,
                    const struct ingest_meta *meta)
{
	return record(ctx, &ctx->cat->areas[area], now, meta, 0, NULL, 0, false,
	              NULL, 0, NULL);
}

int
ingest_failure(const struct ingest_ctx *ctx, int area, time_t now,
               const struct ingest_meta *meta, size_t n_bytes,
               const char *error)
{
	return record(ctx, &ctx->cat->areas[area], now, meta, n_bytes, NULL, 0,
	              false, NULL, 0, error);
}

/* ---- the figures in memory ---- */

struct load_ctx {
	const struct catalog *cat;
	struct matrix *mx;
	char area[AREA_CODE_BYTES];
	int a;
};

static int
load_figure(void *ctx, const struct db_figure *f)
{
	struct load_ctx *l = ctx;
	int m;

	if (strcmp(f->area, l->area) != 0) {
		snprintf(l->area, sizeof(l->area), "%s", f->area);
		l->a = catalog_find_area(l->cat, f->area);
	}
	m = catalog_find_measure(l->cat, f->measure);
	/* figures of areas or measures no longer in the catalog stay in
	 * the database, unread */
	if (l->a >= 0 && m >= 0 && isfinite(f->value))
		matrix_set(l->mx, l->a, f->period, m, f->value, f->received);
	return 0;
}

struct matrix *
ingest_load(const struct catalog *cat, struct store_db *db, struct error *err)
{
	struct load_ctx l = { 0 };

	l.cat = cat;
	l.mx = matrix_new(cat->n_areas, cat->n_measures);
	l.a = -1;
	if (store_db_each_figure(db, NULL, load_figure, &l) < 0) {
		error_set(err, 0, "cannot read the figures from the database");
		matrix_free(l.mx);
		return NULL;
	}
	return l.mx;
}

int
ingest_figures_init(struct ingest_figures *fig, struct catalog *cat,
                    struct store_db *db, struct error *err)
{
	pthread_rwlockattr_t attr;

	memset(fig, 0, sizeof(*fig));
	if (store_db_data_version(db, &fig->data_version) < 0) {
		error_set(err, 0, "cannot read the database's data version");
		return -1;
	}
	if ((fig->mx = ingest_load(cat, db, err)) == NULL)
		return -1;
	fig->cat = catalog_ref(cat);
	/* glibc prefers readers by default: a steady stream of requests
	 * would keep ingest from ever changing the matrix. No reader takes
	 * the lock twice, which writer preference would deadlock. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(
	    &attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&fig->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&fig->write, NULL);
	return 0;
}

void
ingest_figures_reset(struct ingest_figures *fig)
{
	if (fig->mx == NULL)
		return;
	matrix_free(fig->mx);
	catalog_unref(fig->cat);
	pthread_rwlock_destroy(&fig->lock);
	pthread_mutex_destroy(&fig->write);
	memset(fig, 0, sizeof(*fig));
}

/* ingest_figures_reload with fig->write held. */
static int
reload_locked(struct ingest_figures *fig, struct catalog *cat,
              struct store_db *db, struct error *err)
{
	struct matrix *mx, *old_mx;
	struct catalog *old_cat;
	long long version;

	if (store_db_data_version(db, &version) < 0) {
		error_set(err, 0, "cannot read the database's data version");
		return -1;
	}
	if ((cat == NULL || cat == fig->cat) && version == fig->data_version)
		return 0;
	if (cat == NULL)
		cat = fig->cat;
	if ((mx = ingest_load(cat, db, err)) == NULL)
		return -1;
	pthread_rwlock_wrlock(&fig->lock);
	old_mx = fig->mx;
	old_cat = fig->cat;
	fig->mx = mx;
	fig->cat = catalog_ref(cat);
	fig->data_version = version;
	landed(fig, -1);
	pthread_rwlock_unlock(&fig->lock);
	matrix_free(old_mx);
	catalog_unref(old_cat);
	return 1;
}

int
ingest_figures_reload(struct ingest_figures *fig, struct catalog *cat,
                      struct store_db *db, struct error *err)
{
	struct matrix *mx, *old_mx;
	struct catalog *load_cat, *old_cat;
	unsigned long n_writes;
	long long version;
	int rc;

	/* Loaded without fig->write, which every document waits for: during
	 * an import a whole load takes long and comes every second. Should
	 * ingest change the matrix meanwhile, the load is done again with
	 * the lock held. The version is read first, so anything committed
	 * during the load is read again next time. */
	pthread_mutex_lock(&fig->write);
	if (store_db_data_version(db, &version) < 0) {
		pthread_mutex_unlock(&fig->write);
		error_set(err, 0, "cannot read the database's data version");
		return -1;
	}
	if ((cat == NULL || cat == fig->cat) && version == fig->data_version) {
		pthread_mutex_unlock(&fig->write);
		return 0;
	}
	load_cat = catalog_ref(cat != NULL ? cat : fig->cat);
	n_writes = fig->n_writes;
	pthread_mutex_unlock(&fig->write);
	mx = ingest_load(load_cat, db, err);
	pthread_mutex_lock(&fig->write);
	if (mx == NULL || fig->n_writes - n_writes > INGEST_WRITTEN) {
		matrix_free(mx);
		rc = reload_locked(fig, cat, db, err);
		pthread_mutex_unlock(&fig->write);
		catalog_unref(load_cat);
		return rc;
	}
	pthread_rwlock_wrlock(&fig->lock);
	old_mx = fig->mx;
	old_cat = fig->cat;
	fig->mx = mx;
	fig->cat = load_cat; /* takes the reference */
	fig->data_version = version;
	landed(fig, -1);
	pthread_rwlock_unlock(&fig->lock);
	/* what ingest wrote during the load may have been read before */
	rc = 1;
	for (; n_writes != fig->n_writes && rc == 1; n_writes++) {
		int a = catalog_find_area(
		    fig->cat, fig->written[n_writes % INGEST_WRITTEN]);

		if (a >= 0 && refresh_area(fig, db, a) < 0) {
			fig->data_version = -1; /* load again next time */
			error_set(err, 0, "cannot read the figures");
			rc = -1;
		}
	}
	pthread_mutex_unlock(&fig->write);
	matrix_free(old_mx);
	catalog_unref(old_cat);
	return rc;
}

const struct matrix *
ingest_read(struct ingest_figures *fig, const struct catalog **out_cat)
{
	pthread_rwlock_rdlock(&fig->lock);
	*out_cat = fig->cat;
	return fig->mx;
}

void
ingest_done(struct ingest_figures *fig)
{
	pthread_rwlock_unlock(&fig->lock);
}

int
ingest_rebuild(const struct ingest_ctx *ctx, int area, struct error *err)
{
	const struct catalog *fcat = ctx->fig->cat;
	const double *values;
	size_t n_periods;
	int first;

	values = matrix_area(ctx->fig->mx, area, &first, &n_periods);
	return store_rrd_rebuild(ctx->rrd, fcat->areas[area].code,
	                         fcat->measures, fcat->n_measures, first,
	                         n_periods, values, err);
}

/* Whether area's file agrees with its figures at its last period. */
static bool
is_in_line(const struct ingest_ctx *ctx, int a)
{
	const struct catalog *fcat = ctx->fig->cat;
	const struct matrix *mx = ctx->fig->mx;
	double *values = xcalloc(fcat->n_measures + 1, sizeof(*values));
	struct error err = { 0 };
	int period, latest = matrix_latest(mx, a);
	bool ok = false;
	size_t m;

	if (store_rrd_last_period(ctx->rrd, fcat->areas[a].code, fcat->measures,
	                          fcat->n_measures, &period, values,
	                          &err) != 0 ||
	    period != latest)
		goto out;
	for (m = 0; m < fcat->n_measures; m++) {
		double want = matrix_get(mx, a, latest, (int)m);

		if (!(isnan(want) && isnan(values[m])) && want != values[m])
			goto out;
	}
	ok = true;
out:
	free(values);
	return ok;
}

struct dirty_ctx {
	const struct catalog *cat;
	bool *is_dirty;
};

static int
note_dirty(void *ctx, const char *area)
{
	struct dirty_ctx *d = ctx;
	int a = catalog_find_area(d->cat, area);

	if (a >= 0)
		d->is_dirty[a] = true;
	return 0;
}

int
ingest_repair(const struct ingest_ctx *ctx)
{
	struct ingest_figures *fig = ctx->fig;
	const struct catalog *fcat;
	struct dirty_ctx d;
	struct error err = { 0 };
	size_t i;
	int n_failed = 0, n_rebuilt = 0;
	char q[300];

	pthread_mutex_lock(&fig->write);
	fcat = fig->cat;
	d.cat = fcat;
	d.is_dirty = xcalloc(fcat->n_areas + 1, sizeof(*d.is_dirty));
	store_db_each_dirty(ctx->db, note_dirty, &d);
	for (i = fcat->first_municipality; i < fcat->n_areas; i++) {
		const char *code = fcat->areas[i].code;

		if (matrix_latest(fig->mx, (int)i) < 0 && !d.is_dirty[i])
			continue;
		if (!d.is_dirty[i] && is_in_line(ctx, (int)i))
			continue;
		if (sync_file(ctx, (int)i, -1, false, &err) < 0) {
			log_error("cannot rebuild RRD file", "area=%s err=%s",
			          code, log_quote(err.msg, q, sizeof(q)));
			n_failed++;
			continue;
		}
		n_rebuilt++;
	}
	pthread_mutex_unlock(&fig->write);
	if (n_rebuilt > 0)
		log_info("RRD files rebuilt from the figures", "files=%d",
		         n_rebuilt);
	free(d.is_dirty);
	return n_failed;
}
