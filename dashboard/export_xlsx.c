/*
 * export_xlsx.c: a data table as an XLSX workbook, through libxlsxwriter
 * (the only file that includes <xlsxwriter.h>).
 *
 * Three sheets: "data" (the rows of the table's JSON, data_columns as the
 * header; value, numerator, denominator, reporting and expected as numeric
 * cells, empty where the JSON has null; the flag as text), "indicators"
 * (what each item is, in the query's language: name, unit and how it is
 * computed) and "query" (the question, when the answer was made and how
 * small counts are withheld).
 *
 * libxlsxwriter 1.1.4 writes only to a named file, so the workbook goes to
 * an anonymous memory file (memfd, named as /proc/self/fd/N) that is read
 * back and closed: nothing is left on disk and nothing is shared between
 * calls but one thing: closing a workbook calls gmtime(), whose result
 * lives in libc's one static buffer, so closes take turns (close_lock).
 * With constant_memory each row goes to the sheet's temporary
 * file as it is written, so a 66,528-row table costs little memory. The
 * document's creation time is `made`, which libxlsxwriter also stamps on
 * the zip's entries: the same table made at the same second gives the
 * same bytes.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "export.h"
#include "number.h"
#include "timespec.h"
#include "version.h" /* generated: KUNTAMON_VERSION */
#include "xmalloc.h"

/* A workbook of DATA_MAX_CELLS rows is ~3 MB; a limit all the same. */
#define XLSX_MAX_BYTES ((off_t)256 << 20)

/* The prose of the indicators and query sheets, by enum lang, put
 * together in pieces rather than through format strings. A ratio reads
 * "sum(num) / sum(den) x scale <over_both>", a measure
 * "<measure_rule> <aggregate> <over_it>". */
struct words {
	const char *indicator, *measure;
	const char *sum;
	const char *over_both, *over_it;
	const char *reporting;
	const char *measure_rule;
	const char *aggregate[4]; /* by enum aggregate */
	const char *suppression;
};

static const struct words words[N_LANGS] = {
	[LANG_FI] = {
	    "indikaattori", "mittari", "summa",
	    "niistä kunnista, jotka ilmoittivat molemmat",
	    "niistä kunnista, jotka ilmoittivat sen",
	    "ilmoittaneet kunnat / odotetut kunnat × 100",
	    "kunnan oma luku; maakunnan ja koko maan luku on",
	    { "summa", "keskiarvo", "pienin", "suurin" },
	    "Kunnan alle 5:n lukumäärä, jokainen siitä laskettu luku ja "
	    "luvut, joista sellaisen voisi päätellä, jätetään julkisesti "
	    "näyttämättä: solu on tyhjä ja flag on "
	    "\"suppressed\". Solu, jota kukaan ei ilmoittanut, on tyhjä ja "
	    "flag on \"missing\".",
	},
	[LANG_SV] = {
	    "indikator", "mått", "summa",
	    "över de kommuner som rapporterat båda",
	    "över de kommuner som rapporterat den",
	    "rapporterande kommuner / förväntade kommuner × 100",
	    "kommunens egen siffra; landskapets och hela landets är",
	    { "summan", "medelvärdet", "minimum", "maximum" },
	    "En kommuns antal under 5, varje tal som bygger på det och tal "
	    "som skulle röja ett sådant visas inte offentligt: cellen är "
	    "tom och flag är "
	    "\"suppressed\". En cell som ingen rapporterat är tom och flag "
	    "är \"missing\".",
	},
	[LANG_EN] = {
	    "indicator", "measure", "sum",
	    "over the municipalities that reported both",
	    "over the municipalities that reported it",
	    "municipalities reporting / municipalities expected × 100",
	    "the municipality's own figure; a region's and the country's is "
	    "the",
	    { "sum", "mean", "minimum", "maximum" },
	    "A municipality's count below 5, every figure built on it and "
	    "figures from which one could be worked out are withheld from "
	    "the public: the cell is empty and the flag is "
	    "\"suppressed\". A cell nobody reported is empty and the flag is "
	    "\"missing\".",
	},
};

/* libxlsxwriter 1.1.4 stamps the document with gmtime(), not gmtime_r():
 * two workbooks closing at once would share libc's static result. */
static pthread_mutex_t close_lock = PTHREAD_MUTEX_INITIALIZER;

/* The first workbook error, kept so that the rest of the writes can go
 * on unchecked and the caller hears of the first one. */
struct sink {
	lxw_error error;
};

static void
check(struct sink *s, lxw_error e)
{
	if (s->error == LXW_NO_ERROR)
		s->error = e;
}

static void
put_text(struct sink *s, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
         const char *text, lxw_format *fmt)
{
	if (text[0] != '\0')
		check(s, worksheet_write_string(ws, row, col, text, fmt));
}

/* A number, or nothing where the JSON has null. */
static void
put_number(struct sink *s, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
           double v)
{
	if (isfinite(v))
		check(s, worksheet_write_number(ws, row, col, v, NULL));
}

/* "gp_open*pop_fl", "pop_fl", "staff_fte". */
static void
term_text(const struct catalog *cat, const struct term *t, char *out,
          size_t size)
{
	const char *ref = t->ref == REF_POP_TOTAL ? "pop_total"
	                  : t->ref == REF_POP_FL  ? "pop_fl"
	                                          : "";

	if (t->measure >= 0 && ref[0] != '\0')
		snprintf(out, size, "%s*%s", cat->measures[t->measure].id, ref);
	else if (t->measure >= 0)
		snprintf(out, size, "%s", cat->measures[t->measure].id);
	else
		snprintf(out, size, "%s", ref);
}

static void
write_data(struct sink *s, lxw_workbook *wb, const struct data_table *t,
           lxw_format *bold)
{
	const struct catalog *cat = t->cat;
	const struct data_query *q = &t->q;
	lxw_worksheet *ws = workbook_add_worksheet(wb, "data");
	char period[16];
	lxw_row_t row = 1;
	size_t a, i, p, c;

	for (c = 0; c < data_n_columns; c++)
		put_text(s, ws, 0, (lxw_col_t)c, data_columns[c], bold);
	for (a = 0; a < q->n_areas; a++) {
		const struct area *ar = &cat->areas[q->areas[a]];
		/* as the rows' JSON: a region is its own region */
		const char *region = ar->level == AREA_REGION ? ar->code
		                     : ar->region >= 0
		                         ? cat->areas[ar->region].code
		                         : "";

		for (i = 0; i < q->n_items; i++) {
			const struct data_item *it = &q->items[i];
			const char *id = it->indicator >= 0
			                     ? cat->indicators[it->indicator].id
			                     : cat->measures[it->measure].id;

			for (p = 0; p < t->n_periods; p++, row++) {
				const struct figure *f = data_cell(t, a, i, p);
				bool is_ok = f->flag == FIGURE_OK;

				period_format(q->first_period + (int)p, period,
				              sizeof(period));
				put_text(s, ws, row, 0, ar->code, NULL);
				put_text(s, ws, row, 1, ar->name[q->lang],
				         NULL);
				put_text(s, ws, row, 2, region, NULL);
				put_text(s, ws, row, 3, id, NULL);
				put_text(s, ws, row, 4, period, NULL);
				if (is_ok) {
					put_number(s, ws, row, 5, f->value);
					put_number(s, ws, row, 6, f->numerator);
					put_number(s, ws, row, 7,
					           f->denominator);
				}
				put_number(s, ws, row, 8, f->reporting);
				put_number(s, ws, row, 9, f->expected);
				put_text(s, ws, row, 10, data_row_flag(f),
				         NULL);
			}
		}
	}
	check(s, worksheet_set_column(ws, 1, 1, 24, NULL));
	check(s, worksheet_set_column(ws, 3, 3, 24, NULL));
	check(s, worksheet_set_column(ws, 5, 7, 14, NULL));
	worksheet_freeze_panes(ws, 1, 0);
	check(s, worksheet_autofilter(ws, 0, 0, row - 1,
	                              (lxw_col_t)data_n_columns - 1));
}

static void
write_indicators(struct sink *s, lxw_workbook *wb, const struct data_table *t,
                 lxw_format *bold)
{
	static const char *const header[] = {
		"id",          "kind",  "name",      "unit",      "numerator",
		"denominator", "scale", "aggregate", "definition"
	};
	const struct catalog *cat = t->cat;
	const struct data_query *q = &t->q;
	const struct words *w = &words[q->lang];
	lxw_worksheet *ws = workbook_add_worksheet(wb, "indicators");
	char num[64], den[64], scale[NUMBER_TEXT_MAX], def[512];
	size_t i, c;

	for (c = 0; c < sizeof(header) / sizeof(header[0]); c++)
		put_text(s, ws, 0, (lxw_col_t)c, header[c], bold);
	for (i = 0; i < q->n_items; i++) {
		const struct data_item *it = &q->items[i];
		lxw_row_t row = (lxw_row_t)i + 1;

		if (it->indicator >= 0) {
			const struct indicator *ind =
			    &cat->indicators[it->indicator];
			bool has_den =
			    ind->den.measure >= 0 || ind->den.ref != REF_NONE;

			put_text(s, ws, row, 0, ind->id, NULL);
			put_text(s, ws, row, 1, w->indicator, NULL);
			put_text(s, ws, row, 2, ind->name[q->lang], NULL);
			put_text(s, ws, row, 3, ind->unit, NULL);
			number_format(ind->scale, scale, sizeof(scale));
			if (ind->kind == IND_REPORTING) {
				snprintf(def, sizeof(def), "%s", w->reporting);
			} else {
				term_text(cat, &ind->num, num, sizeof(num));
				put_text(s, ws, row, 4, num, NULL);
				if (has_den) {
					term_text(cat, &ind->den, den,
					          sizeof(den));
					put_text(s, ws, row, 5, den, NULL);
				}
				put_number(s, ws, row, 6, ind->scale);
				if (has_den)
					snprintf(def, sizeof(def),
					         "%s(%s) / %s(%s) × %s %s",
					         w->sum, num, w->sum, den,
					         scale, w->over_both);
				else
					snprintf(def, sizeof(def),
					         "%s(%s) × %s %s", w->sum, num,
					         scale, w->over_it);
			}
			put_text(s, ws, row, 8, def, NULL);
		} else {
			const struct measure *m = &cat->measures[it->measure];

			put_text(s, ws, row, 0, m->id, NULL);
			put_text(s, ws, row, 1, w->measure, NULL);
			put_text(s, ws, row, 2, m->name[q->lang], NULL);
			put_text(s, ws, row, 3, m->unit, NULL);
			put_text(s, ws, row, 7,
			         catalog_aggregate_name(m->aggregate), NULL);
			snprintf(def, sizeof(def), "%s %s %s", w->measure_rule,
			         w->aggregate[m->aggregate], w->over_it);
			put_text(s, ws, row, 8, def, NULL);
		}
	}
	check(s, worksheet_set_column(ws, 0, 0, 24, NULL));
	check(s, worksheet_set_column(ws, 2, 2, 48, NULL));
	check(s, worksheet_set_column(ws, 3, 5, 16, NULL));
	check(s, worksheet_set_column(ws, 8, 8, 64, NULL));
}

static void
write_query(struct sink *s, lxw_workbook *wb, const struct data_table *t,
            time_t made, lxw_format *bold)
{
	const struct data_query *q = &t->q;
	lxw_worksheet *ws = workbook_add_worksheet(wb, "query");
	char when[32];
	struct tm tm;

	gmtime_r(&made, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	put_text(s, ws, 0, 0, "query", bold);
	put_text(s, ws, 0, 1, q->text, NULL);
	put_text(s, ws, 1, 0, "made", bold);
	put_text(s, ws, 1, 1, when, NULL);
	put_text(s, ws, 2, 0, "source", bold);
	put_text(s, ws, 2, 1, "kuntamon " KUNTAMON_VERSION, NULL);
	put_text(s, ws, 3, 0, "rows", bold);
	put_number(s, ws, 3, 1, (double)t->n_cells);
	put_text(s, ws, 4, 0, "suppression", bold);
	put_text(s, ws, 4, 1, words[q->lang].suppression, NULL);
	check(s, worksheet_set_column(ws, 0, 0, 14, NULL));
	check(s, worksheet_set_column(ws, 1, 1, 100, NULL));
}

/* The whole of fd's file, malloc'd; NULL with err. */
static char *
read_back(int fd, size_t *out_len, struct error *err)
{
	struct stat st;
	size_t done = 0;
	char *bytes;

	if (fstat(fd, &st) < 0) {
		error_set(err, 0, "xlsx: %s", strerror(errno));
		return NULL;
	}
	if (st.st_size <= 0 || st.st_size > XLSX_MAX_BYTES) {
		error_set(err, 0, "xlsx: the workbook is %lld bytes",
		          (long long)st.st_size);
		return NULL;
	}
	bytes = xmalloc((size_t)st.st_size);
	while (done < (size_t)st.st_size) {
		ssize_t n = pread(fd, bytes + done, (size_t)st.st_size - done,
		                  (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error_set(err, 0, "xlsx: reading back: %s",
			          n < 0 ? strerror(errno) : "short file");
			free(bytes);
			return NULL;
		}
		done += (size_t)n;
	}
	*out_len = done;
	return bytes;
}

char *
export_xlsx(const struct data_table *t, time_t made, size_t *out_len,
            struct error *err)
{
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE };
	lxw_doc_properties props = { 0 };
	struct sink s = { LXW_NO_ERROR };
	lxw_workbook *wb;
	lxw_format *bold;
	char path[64], title[DATA_QUERY_MAX + 16];
	char *bytes = NULL;
	lxw_error closed;
	int fd;

	if ((fd = memfd_create("kuntamon-xlsx", MFD_CLOEXEC)) < 0) {
		error_set(err, 0, "xlsx: memfd_create: %s", strerror(errno));
		return NULL;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((wb = workbook_new_opt(path, &opt)) == NULL) {
		error_set(err, 0, "xlsx: cannot open %s", path);
		goto out;
	}
	snprintf(title, sizeof(title), "kuntamon: %s", t->q.text);
	props.title = title;
	props.author = "kuntamon";
	props.created = made;
	check(&s, workbook_set_properties(wb, &props));
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	write_data(&s, wb, t, bold);
	write_indicators(&s, wb, t, bold);
	write_query(&s, wb, t, made, bold);
	/* closing writes the file and frees the workbook, whatever happened */
	pthread_mutex_lock(&close_lock);
	closed = workbook_close(wb);
	pthread_mutex_unlock(&close_lock);
	check(&s, closed);
	if (s.error != LXW_NO_ERROR) {
		error_set(err, 0, "xlsx: %s", lxw_strerror(s.error));
		goto out;
	}
	bytes = read_back(fd, out_len, err);
out:
	close(fd);
	return bytes;
}
