/*
 * export_jsonstat.c: a data table as a JSON-stat 2.0 dataset, the form
 * statistical offices publish cubes in (rjstat, pyjstat and
 * jsonstat-toolkit read it into a table in one call).
 *
 * The cube is the table's: dimensions indicator, area and period in that
 * order (roles metric, geo and time), so value[(i * n_areas + a) *
 * n_periods + p] is the table's cell (a, i, p) - data.h keeps areas
 * outermost, so the cells are remapped here. A value is printed exactly
 * as in the data table's JSON (number.h); one that is not known is null
 * and its cell carries a status: "suppressed" (withheld from this reader)
 * or "missing", the words of the rows' flag column, in a sparse object
 * keyed by the cell's index, which jsonstat-toolkit spreads over the
 * cells (Dataset.Data(n).status). extension.status explains them.
 *
 * Decimals are a display hint, not a rounding of the values: 1 for a
 * percentage (scale 100, reporting_rate), 2 for a rate per 1000 (scale
 * 1000) or any other ratio, 0 for a measure that counts (is_count, or a
 * 0/1 flag summed into how many municipalities have it), 2 for a
 * measure averaged over municipalities, 1 for the other measures (hours,
 * FTE).
 *
 * Built by hand into a bounded buffer like the table's JSON: text comes
 * only from the catalog and the resolved query, escaped all the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "export.h"
#include "number.h"
#include "timespec.h"

/* 100,000 cells of at most ~40 bytes each, plus the dimensions' names. */
#define JSONSTAT_MAX_BYTES ((size_t)64 << 20)

/* The dimensions' labels, by enum lang. */
static const char *const dim_labels[N_LANGS][3] = {
	[LANG_FI] = { "indikaattori", "alue", "kuukausi" },
	[LANG_SV] = { "indikator", "område", "månad" },
	[LANG_EN] = { "indicator", "area", "month" },
};

static const char *
item_id(const struct catalog *cat, const struct data_item *it)
{
	return it->indicator >= 0 ? cat->indicators[it->indicator].id
	                          : cat->measures[it->measure].id;
}

static const char *
item_name(const struct catalog *cat, const struct data_item *it, enum lang lang)
{
	return it->indicator >= 0 ? cat->indicators[it->indicator].name[lang]
	                          : cat->measures[it->measure].name[lang];
}

static const char *
item_unit(const struct catalog *cat, const struct data_item *it)
{
	return it->indicator >= 0 ? cat->indicators[it->indicator].unit
	                          : cat->measures[it->measure].unit;
}

/* The decimals a reader shows the item with (above). */
static int
item_decimals(const struct catalog *cat, const struct data_item *it)
{
	const struct measure *m;
	const struct indicator *ind;

	if (it->indicator >= 0) {
		ind = &cat->indicators[it->indicator];
		if (ind->kind == IND_REPORTING || ind->scale == 100)
			return 1;
		return 2;
	}
	m = &cat->measures[it->measure];
	if (m->aggregate == AGG_MEAN)
		return 2;
	if (m->is_count || (m->min == 0 && m->max == 1))
		return 0;
	return 1;
}

static void
put_key(struct buf *b, const char *key, bool is_first)
{
	if (!is_first)
		buf_puts(b, ",");
	buf_put_json_string(b, key);
	buf_puts(b, ":");
}

static void
put_dimension_indicator(struct buf *b, const struct data_table *t)
{
	const struct catalog *cat = t->cat;
	const struct data_query *q = &t->q;
	size_t i;

	buf_puts(b, "\"indicator\":{\"label\":");
	buf_put_json_string(b, dim_labels[q->lang][0]);
	buf_puts(b, ",\"category\":{\"index\":{");
	for (i = 0; i < q->n_items; i++) {
		put_key(b, item_id(cat, &q->items[i]), i == 0);
		buf_printf(b, "%zu", i);
	}
	buf_puts(b, "},\"label\":{");
	for (i = 0; i < q->n_items; i++) {
		put_key(b, item_id(cat, &q->items[i]), i == 0);
		buf_put_json_string(b, item_name(cat, &q->items[i], q->lang));
	}
	buf_puts(b, "},\"unit\":{");
	for (i = 0; i < q->n_items; i++) {
		put_key(b, item_id(cat, &q->items[i]), i == 0);
		buf_puts(b, "{\"label\":");
		buf_put_json_string(b, item_unit(cat, &q->items[i]));
		buf_printf(b, ",\"decimals\":%d}",
		           item_decimals(cat, &q->items[i]));
	}
	buf_puts(b, "}}}");
}

static void
put_dimension_area(struct buf *b, const struct data_table *t)
{
	const struct catalog *cat = t->cat;
	const struct data_query *q = &t->q;
	size_t a;

	buf_puts(b, ",\"area\":{\"label\":");
	buf_put_json_string(b, dim_labels[q->lang][1]);
	buf_puts(b, ",\"category\":{\"index\":{");
	for (a = 0; a < q->n_areas; a++) {
		put_key(b, cat->areas[q->areas[a]].code, a == 0);
		buf_printf(b, "%zu", a);
	}
	buf_puts(b, "},\"label\":{");
	for (a = 0; a < q->n_areas; a++) {
		const struct area *ar = &cat->areas[q->areas[a]];

		put_key(b, ar->code, a == 0);
		buf_put_json_string(b, ar->name[q->lang]);
	}
	buf_puts(b, "}}}");
}

static void
put_dimension_period(struct buf *b, const struct data_table *t)
{
	const struct data_query *q = &t->q;
	char period[16];
	size_t p;

	buf_puts(b, ",\"period\":{\"label\":");
	buf_put_json_string(b, dim_labels[q->lang][2]);
	buf_puts(b, ",\"category\":{\"index\":{");
	for (p = 0; p < t->n_periods; p++) {
		period_format(q->first_period + (int)p, period, sizeof(period));
		put_key(b, period, p == 0);
		buf_printf(b, "%zu", p);
	}
	buf_puts(b, "},\"label\":{");
	for (p = 0; p < t->n_periods; p++) {
		period_format(q->first_period + (int)p, period, sizeof(period));
		put_key(b, period, p == 0);
		buf_put_json_string(b, period);
	}
	buf_puts(b, "}}}");
}

char *
export_jsonstat(const struct data_table *t, time_t updated, size_t *out_len)
{
	const struct data_query *q = &t->q;
	size_t n_areas = q->n_areas, n_items = q->n_items;
	size_t n_periods = t->n_periods;
	size_t a, i, p, n;
	struct buf b;
	struct tm tm;
	char when[32], number[NUMBER_TEXT_MAX];
	const char *sep;

	gmtime_r(&updated, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);

	buf_init(&b, JSONSTAT_MAX_BYTES);
	buf_puts(&b, "{\"version\":\"2.0\",\"class\":\"dataset\",\"label\":");
	{
		char label[DATA_QUERY_MAX + 16];

		snprintf(label, sizeof(label), "kuntamon: %s", q->text);
		buf_put_json_string(&b, label);
	}
	buf_printf(&b,
	           ",\"source\":\"kuntamon\",\"updated\":\"%s\","
	           "\"id\":[\"indicator\",\"area\",\"period\"],"
	           "\"size\":[%zu,%zu,%zu],"
	           "\"role\":{\"time\":[\"period\"],\"geo\":[\"area\"],"
	           "\"metric\":[\"indicator\"]},\"dimension\":{",
	           when, n_items, n_areas, n_periods);
	put_dimension_indicator(&b, t);
	put_dimension_area(&b, t);
	put_dimension_period(&b, t);
	buf_puts(&b, "},\"value\":[");
	sep = "";
	for (i = 0; i < n_items; i++)
		for (a = 0; a < n_areas; a++)
			for (p = 0; p < n_periods; p++) {
				const struct figure *f = data_cell(t, a, i, p);

				buf_puts(&b, sep);
				sep = ",";
				if (f->flag != FIGURE_OK ||
				    number_format(f->value, number,
				                  sizeof(number))[0] == '\0')
					buf_puts(&b, "null");
				else
					buf_puts(&b, number);
			}
	buf_puts(&b, "],\"status\":{");
	sep = "";
	n = 0;
	for (i = 0; i < n_items; i++)
		for (a = 0; a < n_areas; a++)
			for (p = 0; p < n_periods; p++, n++) {
				const struct figure *f = data_cell(t, a, i, p);

				if (data_row_flag(f)[0] == '\0')
					continue;
				buf_printf(&b, "%s\"%zu\":\"%s\"", sep, n,
				           data_row_flag(f));
				sep = ",";
			}
	buf_puts(&b, "},\"note\":[");
	buf_put_json_string(
	    &b, "Counts below 5 of a municipality, every figure built on "
	        "them, and figures from which one could be worked out (a "
	        "difference of public figures) are withheld from the public: "
	        "such a cell is null "
	        "with the status \"suppressed\". A cell nobody reported is "
	        "null with the status \"missing\".");
	buf_puts(&b, "],\"extension\":{\"query\":");
	buf_put_json_string(&b, q->text);
	buf_puts(&b, ",\"status\":{\"label\":{\"suppressed\":\"withheld "
	             "from this reader (disclosure control)\",\"missing\":"
	             "\"not reported\"}}}}");
	return buf_detach(&b, out_len);
}
