/*
 * data.c: /api/v1/data's question, table and text (data.h).
 *
 * Resolving turns the parameters' text into catalog indices and a range
 * of periods, and writes the question back as one canonical text (the
 * XLSX query sheet, the JSON's "query", the ETag's key): the periods
 * spelled out (LAST_N_MONTHS moves with the clock), `*` as the ids it
 * stands for, area items that add nothing dropped. Malformed text is a
 * bad parameter; well-formed codes the catalog lacks are not found.
 *
 * Every cell is figure_compute's; this file only decides which cells to
 * ask for and prints them. Printing works on the table alone, so it runs
 * after the figures' lock is dropped. Each area's, item's and period's
 * leading fields are formatted once, not once a row: an answer is up to
 * DATA_MAX_CELLS rows, and the rows differ only in their numbers.
 *
 * Memory: the table is n_cells struct figure (40 bytes each, at most 4 MB
 * at the limit) and the text at most row_max() bytes a row, a bound
 * computed from the table and enforced by the buffer.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "data.h"
#include "number.h"
#include "timespec.h"
#include "xmalloc.h"

/* User text echoed in messages is cut short; respond_error makes it UTF-8. */
#define ECHO "%.40s"
#define ITEM_MAX 64 /* bytes of one list item we look at, with its NUL */
#define DEFAULT_PERIOD "LAST_12_MONTHS"

const char *const data_columns[] = {
	"area",      "area_name",   "region",    "indicator", "period", "value",
	"numerator", "denominator", "reporting", "expected",  "flag",
};
const size_t data_n_columns = sizeof(data_columns) / sizeof(data_columns[0]);

static const char *const lang_codes[N_LANGS] = { "fi", "sv", "en" };
static const char *const level_names[] = { "country", "region",
	                                   "municipality" };

const char *
data_flag_text(enum figure_flag flag)
{
	switch (flag) {
	case FIGURE_OK:
		break;
	case FIGURE_MISSING:
		return "missing";
	case FIGURE_SUPPRESSED:
		return "suppressed";
	}
	return "";
}

const char *
data_row_flag(const struct figure *f)
{
	if (f->flag == FIGURE_OK && f->is_outlier)
		return "outlier";
	return data_flag_text(f->flag);
}

/* --- resolving --- */

static int
bad(struct error *err, const char *param, const char *msg)
{
	error_set(err, 0, "parameter %s: %s", param, msg);
	return DATA_BAD;
}

/* The next comma-separated item of *list into item (ITEM_MAX bytes);
 * false at the end. An item too long to be anything is cut to the bytes
 * that fit, with a byte over, so that it still fails to match. */
static bool
next_item(const char **list, char *item)
{
	const char *s = *list, *comma;
	size_t n;

	if (s == NULL)
		return false;
	comma = strchr(s, ',');
	n = comma != NULL ? (size_t)(comma - s) : strlen(s);
	*list = comma != NULL ? comma + 1 : NULL;
	if (n >= ITEM_MAX)
		n = ITEM_MAX - 1;
	memcpy(item, s, n);
	item[n] = '\0';
	return true;
}

/* An area code's shape: capitals, then digits, AREA_CODE_MAX - 1 bytes at
 * most ("SSS", "MK01", "KU091"). */
static bool
is_area_code(const char *s)
{
	size_t i = 0;

	while (s[i] >= 'A' && s[i] <= 'Z')
		i++;
	if (i == 0)
		return false;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	return i < AREA_CODE_MAX && s[i] == '\0';
}

/* An indicator's or measure's id: [a-z][a-z0-9_]*, under 32 bytes. */
static bool
is_item_id(const char *s)
{
	size_t i;

	if (s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return i < 32;
}

/* Appends to the question's text; false once it would not fit. */
static bool
put_text(struct buf *text, const char *s)
{
	return buf_puts(text, s) == 0;
}

static int
too_long(struct error *err, const char *param)
{
	error_set(err, 0,
	          "parameter %s: the question is too long (more than %d "
	          "bytes as resolved); ask for fewer items, or use "
	          "level= or CODE:children",
	          param, DATA_QUERY_MAX - 1);
	return DATA_BAD;
}

static int
parse_lang(const char *text, enum lang *out, struct error *err)
{
	int i;

	*out = LANG_FI;
	if (text == NULL)
		return DATA_OK;
	for (i = 0; i < N_LANGS; i++)
		if (strcmp(text, lang_codes[i]) == 0) {
			*out = (enum lang)i;
			return DATA_OK;
		}
	return bad(err, "lang", "must be one of fi, sv, en");
}

/* Adds an item unless it is there; whether it was added. */
static bool
add_item(struct data_query *q, int indicator, int measure)
{
	size_t i;

	for (i = 0; i < q->n_items; i++)
		if (q->items[i].indicator == indicator &&
		    q->items[i].measure == measure)
			return false;
	q->items[q->n_items].indicator = indicator;
	q->items[q->n_items].measure = measure;
	q->n_items++;
	return true;
}

static int
parse_items(const struct catalog *cat, const char *list, struct data_query *q,
            struct buf *text, struct error *err)
{
	char item[ITEM_MAX], msg[160];
	size_t i;

	if (list == NULL || list[0] == '\0')
		return bad(err, "indicator",
		           "required: indicator or measure ids, "
		           "comma-separated, or * (every indicator)");
	q->items =
	    xcalloc(cat->n_indicators + cat->n_measures + 1, sizeof(*q->items));
	while (next_item(&list, item)) {
		int ind, m = -1;

		if (strcmp(item, "*") == 0) {
			for (i = 0; i < cat->n_indicators; i++)
				add_item(q, (int)i, -1);
			continue;
		}
		if (item[0] == '\0')
			return bad(err, "indicator",
			           "an empty item in the list");
		if (!is_item_id(item)) {
			snprintf(msg, sizeof(msg),
			         "\"" ECHO
			         "\" is not an indicator or measure id",
			         item);
			return bad(err, "indicator", msg);
		}
		if ((ind = catalog_find_indicator(cat, item)) < 0 &&
		    (m = catalog_find_measure(cat, item)) < 0) {
			error_set(err, 0,
			          "parameter indicator: unknown indicator or "
			          "measure \"" ECHO "\"",
			          item);
			return DATA_NOT_FOUND;
		}
		add_item(q, ind, m);
	}
	/* written back as the ids asked for, `*` spelled out */
	if (!put_text(text, "indicator="))
		return too_long(err, "indicator");
	for (i = 0; i < q->n_items; i++) {
		const struct data_item *it = &q->items[i];

		if ((i > 0 && !put_text(text, ",")) ||
		    !put_text(text, it->indicator >= 0
		                        ? cat->indicators[it->indicator].id
		                        : cat->measures[it->measure].id))
			return too_long(err, "indicator");
	}
	return DATA_OK;
}

/* Adds area a unless it is there; whether it was added. */
static bool
add_area(struct data_query *q, bool *seen, int a)
{
	if (seen[a])
		return false;
	seen[a] = true;
	q->areas[q->n_areas++] = a;
	return true;
}

/* Adds the municipalities of region r, or the regions (r = 0, the
 * country), in catalog order; whether any was added. */
static bool
add_children(const struct catalog *cat, struct data_query *q, bool *seen, int r)
{
	bool any = false;
	size_t i;

	for (i = 1; i < cat->n_areas; i++) {
		const struct area *a = &cat->areas[i];

		if (r == 0 ? a->level == AREA_REGION
		           : a->level == AREA_MUNICIPALITY && a->region == r)
			any = add_area(q, seen, (int)i) || any;
	}
	return any;
}

/* An area's code as asked ("MK01"): its index, or an error. */
static int
find_area(const struct catalog *cat, const char *param, const char *code,
          int *out, struct error *err)
{
	char msg[160];

	if (!is_area_code(code)) {
		snprintf(msg, sizeof(msg),
		         "\"" ECHO "\" is not an area code (SSS, MK01, KU091)",
		         code);
		return bad(err, param, msg);
	}
	if ((*out = catalog_find_area(cat, code)) < 0) {
		error_set(err, 0, "parameter %s: unknown area \"" ECHO "\"",
		          param, code);
		return DATA_NOT_FOUND;
	}
	return DATA_OK;
}

/* area=CODE[:children],... */
static int
parse_area_list(const struct catalog *cat, const char *list,
                struct data_query *q, bool *seen, struct buf *text,
                struct error *err)
{
	char item[ITEM_MAX], msg[160];
	bool first = true;
	int rc;

	if (list[0] == '\0')
		return bad(err, "area",
		           "empty; give area codes, "
		           "comma-separated (SSS, MK01, KU091, "
		           "MK01:children)");
	if (!put_text(text, "&area="))
		return too_long(err, "area");
	while (next_item(&list, item)) {
		char *colon = strchr(item, ':');
		bool is_children = false, is_new;
		int a;

		if (item[0] == '\0')
			return bad(err, "area", "an empty item in the list");
		if (colon != NULL) {
			if (strcmp(colon, ":children") != 0) {
				snprintf(msg, sizeof(msg),
				         "\"" ECHO "\": the only suffix is "
				         ":children",
				         item);
				return bad(err, "area", msg);
			}
			*colon = '\0';
			is_children = true;
		}
		if ((rc = find_area(cat, "area", item, &a, err)) != DATA_OK)
			return rc;
		if (is_children && cat->areas[a].level == AREA_MUNICIPALITY) {
			snprintf(msg, sizeof(msg),
			         "%s has no children (only SSS and the "
			         "regions have)",
			         cat->areas[a].code);
			return bad(err, "area", msg);
		}
		is_new = is_children ? add_children(cat, q, seen, a)
		                     : add_area(q, seen, a);
		/* an item that adds nothing is left out of the text */
		if (is_new && ((!first && !put_text(text, ",")) ||
		               !put_text(text, cat->areas[a].code) ||
		               (is_children && !put_text(text, ":children"))))
			return too_long(err, "area");
		first = first && !is_new;
	}
	return DATA_OK;
}

/* level=municipality|region|country[&region=MKxx] */
static int
parse_level(const struct catalog *cat, const struct data_params *p,
            struct data_query *q, bool *seen, struct buf *text,
            struct error *err)
{
	enum area_level level;
	int region = -1, rc;
	size_t i;

	for (i = 0; i < 3; i++)
		if (strcmp(p->level, level_names[i]) == 0)
			break;
	if (i == 3)
		return bad(err, "level",
		           "must be one of municipality, region, country");
	level = (enum area_level)i;
	if (p->region != NULL) {
		if (level != AREA_MUNICIPALITY)
			return bad(err, "region",
			           "only with level=municipality");
		if ((rc = find_area(cat, "region", p->region, &region, err)) !=
		    DATA_OK)
			return rc;
		if (cat->areas[region].level != AREA_REGION) {
			char msg[160];

			snprintf(msg, sizeof(msg), "%s is not a region",
			         cat->areas[region].code);
			return bad(err, "region", msg);
		}
	}
	if (level == AREA_COUNTRY)
		add_area(q, seen, 0);
	else if (level == AREA_REGION)
		add_children(cat, q, seen, 0);
	else
		for (i = 1; i < cat->n_areas; i++)
			if (cat->areas[i].level == AREA_MUNICIPALITY &&
			    (region < 0 || cat->areas[i].region == region))
				add_area(q, seen, (int)i);
	if (!put_text(text, "&level=") || !put_text(text, p->level) ||
	    (region >= 0 && (!put_text(text, "&region=") ||
	                     !put_text(text, cat->areas[region].code))))
		return too_long(err, "level");
	return DATA_OK;
}

static int
parse_areas(const struct catalog *cat, const struct data_params *p,
            struct data_query *q, struct buf *text, struct error *err)
{
	bool *seen = xcalloc(cat->n_areas + 1, sizeof(*seen));
	int rc;

	q->areas = xcalloc(cat->n_areas + 1, sizeof(*q->areas));
	if (p->level != NULL && p->area != NULL)
		rc = bad(err, "level", "give area= or level=, not both");
	else if (p->level != NULL)
		rc = parse_level(cat, p, q, seen, text, err);
	else if (p->region != NULL)
		rc = bad(err, "region", "only with level=municipality");
	else
		rc = parse_area_list(cat, p->area != NULL ? p->area : "SSS", q,
		                     seen, text, err);
	free(seen);
	return rc;
}

/* "LAST_N_MONTHS" with N in 1..DATA_MAX_MONTHS, no sign, no leading 0. */
static int
parse_last(const char *s, long *out)
{
	static const char head[] = "LAST_", tail[] = "_MONTHS";
	size_t n = strlen(s), digits;
	const char *d = s + sizeof(head) - 1;
	char *end;

	if (n < sizeof(head) + sizeof(tail) - 1 ||
	    strncmp(s, head, sizeof(head) - 1) != 0 ||
	    strcmp(s + n - (sizeof(tail) - 1), tail) != 0)
		return -1;
	digits = n - (sizeof(head) - 1) - (sizeof(tail) - 1);
	if (digits > 3 || d[0] < '1' || d[0] > '9')
		return -1;
	errno = 0;
	*out = strtol(d, &end, 10);
	if (errno != 0 || end != d + digits)
		return -1;
	return 0;
}

static int
parse_period(const char *s, int expected_period, struct data_query *q,
             struct buf *text, struct error *err)
{
	static const char how[] =
	    "must be YYYY-MM, YYYY-MM..YYYY-MM or LAST_N_MONTHS "
	    "(N 1..120)";
	const char *dots = strstr(s, "..");
	char first[16], last[16];
	long n;

	if (strncmp(s, "LAST_", 5) == 0) {
		if (parse_last(s, &n) < 0)
			return bad(err, "period", how);
		if (n > DATA_MAX_MONTHS)
			return bad(err, "period",
			           "LAST_N_MONTHS: N is at most 120");
		q->last_period = expected_period;
		q->first_period = expected_period - (int)n + 1;
	} else if (dots != NULL) {
		size_t n1 = (size_t)(dots - s);

		if (n1 >= sizeof(first) || strlen(dots + 2) >= sizeof(last))
			return bad(err, "period", how);
		memcpy(first, s, n1);
		first[n1] = '\0';
		snprintf(last, sizeof(last), "%s", dots + 2);
		if (period_parse(first, &q->first_period) < 0 ||
		    period_parse(last, &q->last_period) < 0)
			return bad(err, "period", how);
		if (q->first_period > q->last_period)
			return bad(err, "period",
			           "the first month is after the last");
	} else {
		if (period_parse(s, &q->first_period) < 0)
			return bad(err, "period", how);
		q->last_period = q->first_period;
	}
	period_format(q->first_period, first, sizeof(first));
	period_format(q->last_period, last, sizeof(last));
	if (!put_text(text, "&period=") || !put_text(text, first) ||
	    !put_text(text, "..") || !put_text(text, last))
		return too_long(err, "period");
	return DATA_OK;
}

int
data_resolve(const struct catalog *cat, const struct data_params *p,
             int expected_period, struct data_query *out, struct error *err)
{
	struct buf text;
	unsigned long long n_cells;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&text, DATA_QUERY_MAX - 1);
	if ((rc = parse_lang(p->lang, &out->lang, err)) != DATA_OK ||
	    (rc = parse_items(cat, p->indicator, out, &text, err)) != DATA_OK ||
	    (rc = parse_areas(cat, p, out, &text, err)) != DATA_OK ||
	    (rc = parse_period(p->period != NULL ? p->period : DEFAULT_PERIOD,
	                       expected_period, out, &text, err)) != DATA_OK)
		goto out;
	if (!put_text(&text, "&lang=") ||
	    !put_text(&text, lang_codes[out->lang])) {
		rc = too_long(err, "lang");
		goto out;
	}
	n_cells =
	    (unsigned long long)out->n_areas * out->n_items *
	    (unsigned long long)(out->last_period - out->first_period + 1);
	if (n_cells > DATA_MAX_CELLS) {
		error_set(err, 0,
		          "too many cells: %zu x %zu x %d (areas x indicators "
		          "x periods) = %llu, more than the limit of %d a "
		          "request; ask for fewer areas, indicators or months",
		          out->n_areas, out->n_items,
		          out->last_period - out->first_period + 1, n_cells,
		          DATA_MAX_CELLS);
		rc = DATA_TOO_BIG;
		goto out;
	}
	if (text.data != NULL)
		memcpy(out->text, text.data, text.len + 1);
out:
	buf_reset(&text);
	if (rc != DATA_OK)
		data_query_reset(out);
	return rc;
}

void
data_query_reset(struct data_query *q)
{
	free(q->areas);
	free(q->items);
	memset(q, 0, sizeof(*q));
}

/* --- computing --- */

void
data_compute(const struct catalog *cat, const struct matrix *mx,
             struct data_query *q, const struct principal *who,
             struct data_table *out)
{
	struct figure *cell;
	size_t a, i, p;

	memset(out, 0, sizeof(*out));
	/* the reference keeps the names alive; the catalog is never
	 * changed through it */
	out->cat = catalog_ref((struct catalog *)cat);
	out->q = *q;
	memset(q, 0, sizeof(*q));
	q = &out->q;
	if (q->n_areas > 0 && q->n_items > 0)
		out->n_periods = (size_t)(q->last_period - q->first_period + 1);
	out->n_cells = q->n_areas * q->n_items * out->n_periods;
	out->cells = xcalloc(out->n_cells + 1, sizeof(*out->cells));
	cell = out->cells;
	for (a = 0; a < q->n_areas; a++) {
		bool is_unsuppressed =
		    access_is_unsuppressed(who, cat->areas[q->areas[a]].code);

		for (i = 0; i < q->n_items; i++) {
			struct figure_key key = { q->areas[a],
				                  q->items[i].indicator,
				                  q->items[i].measure };

			for (p = 0; p < out->n_periods; p++)
				figure_compute(cat, mx, &key,
				               q->first_period + (int)p,
				               is_unsuppressed, cell++);
		}
	}
}

void
data_table_reset(struct data_table *t)
{
	catalog_unref(t->cat);
	data_query_reset(&t->q);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* Whether item is built on measure m. reporting_rate is built on none. */
static bool
is_built_on(const struct catalog *cat, const struct data_item *item, int m)
{
	const struct indicator *ind;

	if (item->indicator < 0)
		return item->measure == m;
	ind = &cat->indicators[item->indicator];
	return ind->kind == IND_RATIO &&
	       (ind->num.measure == m || ind->den.measure == m);
}

void
data_mark_outliers(struct data_table *t, const struct data_outlier *o, size_t n)
{
	const struct data_query *q = &t->q;
	size_t k, a, i, p;

	for (k = 0; k < n; k++) {
		if (o[k].period < q->first_period ||
		    o[k].period > q->last_period)
			continue;
		p = (size_t)(o[k].period - q->first_period);
		/* the question names a few areas; flags are few */
		for (a = 0; a < q->n_areas; a++) {
			if (q->areas[a] != o[k].area)
				continue;
			for (i = 0; i < q->n_items; i++)
				if (is_built_on(t->cat, &q->items[i],
				                o[k].measure))
					t->cells[(a * q->n_items + i) *
					             t->n_periods +
					         p]
					    .is_outlier = true;
		}
	}
}

const struct figure *
data_cell(const struct data_table *t, size_t a, size_t i, size_t p)
{
	return &t->cells[(a * t->q.n_items + i) * t->n_periods + p];
}

/* --- formatting --- */

/* The fields every row of an area, item or period begins with, formatted
 * once. */
struct piece {
	char *text;
	size_t len;
};

struct pieces {
	struct piece *area;   /* [n_areas]: area, area_name, region */
	struct piece *item;   /* [n_items]: indicator */
	struct piece *period; /* [n_periods]: period */
	size_t max_len;       /* the longest area + item + period */
};

static void
pieces_reset(struct pieces *pc, const struct data_table *t)
{
	size_t i;

	for (i = 0; pc->area != NULL && i < t->q.n_areas; i++)
		free(pc->area[i].text);
	for (i = 0; pc->item != NULL && i < t->q.n_items; i++)
		free(pc->item[i].text);
	for (i = 0; pc->period != NULL && i < t->n_periods; i++)
		free(pc->period[i].text);
	free(pc->area);
	free(pc->item);
	free(pc->period);
	memset(pc, 0, sizeof(*pc));
}

static const char *
item_id(const struct catalog *cat, const struct data_item *it)
{
	return it->indicator >= 0 ? cat->indicators[it->indicator].id
	                          : cat->measures[it->measure].id;
}

/* The code of the region an area lies in: a municipality's region, a
 * region itself; NULL for the country. */
static const char *
region_of(const struct catalog *cat, int area)
{
	const struct area *a = &cat->areas[area];

	if (a->level == AREA_MUNICIPALITY && a->region >= 0)
		return cat->areas[a->region].code;
	if (a->level == AREA_REGION)
		return a->code;
	return NULL;
}

/* A field of CSV: as it is, or quoted when it holds the separator, a
 * quote or a line end (RFC 4180), quotes doubled. */
static void
put_csv_field(struct buf *b, const char *s, char sep)
{
	const char *q;

	if (strchr(s, sep) == NULL && strpbrk(s, "\"\r\n") == NULL) {
		buf_puts(b, s);
		return;
	}
	buf_puts(b, "\"");
	while ((q = strchr(s, '"')) != NULL) {
		buf_append(b, s, (size_t)(q - s + 1));
		buf_puts(b, "\"");
		s = q + 1;
	}
	buf_puts(b, s);
	buf_puts(b, "\"");
}

static char *
detach(struct buf *b, size_t *len)
{
	size_t n;
	char *s = buf_detach(b, &n);

	if (len != NULL)
		*len = n;
	return s;
}

/* The leading fields: JSON (sep 0) as `["KU091","Helsinki","MK01",`,
 * CSV as `KU091,Helsinki,MK01,`. */
static void
pieces_init(struct pieces *pc, const struct data_table *t, char sep)
{
	const struct catalog *cat = t->cat;
	size_t i, longest_area = 0, longest_item = 0, longest_period = 0;
	struct buf b;
	char text[16];

	pc->area = xcalloc(t->q.n_areas + 1, sizeof(*pc->area));
	pc->item = xcalloc(t->q.n_items + 1, sizeof(*pc->item));
	pc->period = xcalloc(t->n_periods + 1, sizeof(*pc->period));
	buf_init(&b, (size_t)4 << 10);
	for (i = 0; i < t->q.n_areas; i++) {
		const struct area *a = &cat->areas[t->q.areas[i]];
		const char *region = region_of(cat, t->q.areas[i]);
		size_t n;

		if (sep == 0) {
			buf_puts(&b, "[");
			buf_put_json_string(&b, a->code);
			buf_puts(&b, ",");
			buf_put_json_string(&b, a->name[t->q.lang]);
			buf_puts(&b, ",");
			if (region != NULL)
				buf_put_json_string(&b, region);
			else
				buf_puts(&b, "null");
			buf_puts(&b, ",");
		} else {
			put_csv_field(&b, a->code, sep);
			buf_append(&b, &sep, 1);
			put_csv_field(&b, a->name[t->q.lang], sep);
			buf_append(&b, &sep, 1);
			put_csv_field(&b, region != NULL ? region : "", sep);
			buf_append(&b, &sep, 1);
		}
		pc->area[i].text = detach(&b, &n);
		pc->area[i].len = n;
		longest_area = n > longest_area ? n : longest_area;
	}
	for (i = 0; i < t->q.n_items; i++) {
		const char *id = item_id(cat, &t->q.items[i]);
		size_t n;

		if (sep == 0) {
			buf_put_json_string(&b, id);
			buf_puts(&b, ",");
		} else {
			put_csv_field(&b, id, sep);
			buf_append(&b, &sep, 1);
		}
		pc->item[i].text = detach(&b, &n);
		pc->item[i].len = n;
		longest_item = n > longest_item ? n : longest_item;
	}
	for (i = 0; i < t->n_periods; i++) {
		size_t n;

		period_format(t->q.first_period + (int)i, text, sizeof(text));
		if (sep == 0)
			buf_printf(&b, "\"%s\",", text);
		else
			buf_printf(&b, "%s%c", text, sep);
		pc->period[i].text = detach(&b, &n);
		pc->period[i].len = n;
		longest_period = n > longest_period ? n : longest_period;
	}
	buf_reset(&b);
	pc->max_len = longest_area + longest_item + longest_period;
}

/* The most bytes a row's numbers and flag take, separators and line end
 * included: three numbers, two counts, the flag. */
#define ROW_NUMBERS_MAX (3 * NUMBER_TEXT_MAX + 2 * 12 + 16 + 16)

/* v as number_format prints it (the same bytes every route prints) in a
 * fraction of its time: number_format tries %.15g, %.16g and %.17g with
 * a strtod each (about 1.4 us for a ratio), and an answer holds up to
 * 300,000 numbers.
 *
 * Integers below 1e15 print as integers, as %.15g prints them. Other
 * values from 1e-5 to 1e15 are worked out exactly in 128-bit integers:
 * v = mant 2^-s, so n = v 10^k 2^s = mant 10^k is an integer, with k
 * chosen so that v 10^k has 17 digits before the point (q = n >> s).
 * Each p-digit rounding c (halves to even, as printf) reads back as v
 * when 2 |c 10^(17-p) 2^s - n| is below 10^k (twice half an ulp in the
 * same scale; equal: when mant is even, as strtod rounds), and the
 * shortest that does is printed as %g would. Whatever is left (tiny or
 * huge values, compilers without 128-bit integers) goes to
 * number_format itself. */
static size_t
put_g(char *out, const char *d, int precision, int x)
{
	size_t n = 0;
	int len = precision, i;

	while (len > 1 && d[len - 1] == '0')
		len--;
	if (x < precision && x >= -4) {
		if (x >= 0) {
			for (i = 0; i <= x; i++)
				out[n++] = i < len ? d[i] : '0';
			if (len > x + 1)
				out[n++] = '.';
			for (i = x + 1; i < len; i++)
				out[n++] = d[i];
		} else {
			out[n++] = '0';
			out[n++] = '.';
			for (i = 0; i < -x - 1; i++)
				out[n++] = '0';
			for (i = 0; i < len; i++)
				out[n++] = d[i];
		}
		out[n] = '\0';
		return n;
	}
	out[n++] = d[0];
	if (len > 1)
		out[n++] = '.';
	for (i = 1; i < len; i++)
		out[n++] = d[i];
	n += (size_t)snprintf(out + n, NUMBER_TEXT_MAX - n, "e%c%02d",
	                      x < 0 ? '-' : '+', x < 0 ? -x : x);
	return n;
}

/* k in decimal; returns the length. */
static size_t
put_unsigned(char *out, unsigned long long k)
{
	char tmp[24];
	size_t n = 0, i = 0;

	do {
		tmp[i++] = (char)('0' + k % 10);
		k /= 10;
	} while (k > 0);
	while (i > 0)
		out[n++] = tmp[--i];
	out[n] = '\0';
	return n;
}

static size_t
put_integer(char *out, double v)
{
	long long k = (long long)v;

	if (k < 0 || (v == 0 && signbit(v))) {
		out[0] = '-';
		return 1 + put_unsigned(out + 1, 0 - (unsigned long long)k);
	}
	return put_unsigned(out, (unsigned long long)k);
}

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128;

#define E16 10000000000000000ULL

/* v in [1e-5, 1e15), not an integer: n fits 128 bits (mant < 2^53,
 * 10^k <= 10^22 < 2^74) and so does c 10^(17-p) 2^s (10^17 2^69). */
static size_t
put_exact(char *out, double v)
{
	static const uint64_t unit_digits[3] = { 100, 10, 1 };
	uint64_t mant, q = 0, c, div;
	u128 n = 0, pow_k = 1, low, unit, r, cn, diff;
	int e, s, x, k, p, i, tries;
	char d[24];

	mant = (uint64_t)ldexp(frexp(v, &e), 53);
	s = 53 - e;
	x = (int)floor(log10(v));
	for (tries = 0; tries < 3; tries++) {
		k = 16 - x;
		for (i = 0, pow_k = 1; i < k; i++)
			pow_k *= 10;
		n = (u128)mant * pow_k;
		q = (uint64_t)(n >> s);
		if (q < E16)
			x--;
		else if (q >= 10 * E16)
			x++;
		else
			break;
	}
	if (tries == 3 || k < 0 || k > 22 || s < 1 || s > 70)
		return 0; /* not for here after all */
	low = n & (((u128)1 << s) - 1);
	for (p = 15; p <= 17; p++) {
		div = unit_digits[p - 15];
		unit = (u128)div << s;
		r = ((u128)(q % div) << s) | low;
		c = q / div;
		if (2 * r > unit || (2 * r == unit && (c & 1) != 0))
			c++;
		cn = (u128)(c * div) << s;
		diff = cn > n ? cn - n : n - cn;
		if (2 * diff < pow_k || (2 * diff == pow_k && (mant & 1) == 0))
			break;
	}
	if (p > 17)
		return 0; /* 17 digits always read back: not reached */
	/* a rounding up to 10^p is 1 and zeros, one decade up */
	if (put_unsigned(d, c) > (size_t)p)
		x++;
	return put_g(out, d, p, x);
}
#endif

static size_t
format_double(char *out, double v)
{
	double a = fabs(v);

	if (!isfinite(v)) {
		out[0] = '\0';
		return 0;
	}
	if (v == trunc(v) && a < 1e15)
		return put_integer(out, v);
#ifdef __SIZEOF_INT128__
	if (a >= 1e-5 && a < 1e15) {
		size_t n = v < 0, k;

		out[0] = '-';
		if ((k = put_exact(out + n, a)) > 0)
			return n + k;
	}
#endif
	number_format(v, out, NUMBER_TEXT_MAX);
	return strlen(out);
}

/* A figure's number, "" where unknown; with a decimal comma for
 * excel-fi. */
static size_t
put_number(char *out, double v, bool is_comma)
{
	size_t n = format_double(out, v);
	char *dot;

	if (is_comma && (dot = memchr(out, '.', n)) != NULL)
		*dot = ',';
	return n;
}

/* One row's numbers and flag, CSV or JSON (empties as null), into out
 * (ROW_NUMBERS_MAX bytes); returns the length. */
static size_t
format_numbers(char *out, const struct figure *f, char sep, bool is_comma)
{
	const bool is_json = sep == 0, is_ok = f->flag == FIGURE_OK;
	const double nums[3] = { f->value, f->numerator, f->denominator };
	const char s = is_json ? ',' : sep;
	const char *flag;
	size_t n = 0, k, len;

	for (k = 0; k < 3; k++) {
		len = is_ok ? put_number(out + n, nums[k], is_comma) : 0;
		if (len == 0 && is_json) {
			memcpy(out + n, "null", 4);
			len = 4;
		}
		n += len;
		out[n++] = s;
	}
	n += put_integer(out + n, f->reporting);
	out[n++] = s;
	n += put_integer(out + n, f->expected);
	out[n++] = s;
	flag = data_row_flag(f);
	len = strlen(flag);
	if (is_json && flag[0] == '\0') {
		memcpy(out + n, "null]", 5);
		n += 5;
	} else if (is_json) {
		out[n++] = '"';
		memcpy(out + n, flag, len);
		n += len;
		memcpy(out + n, "\"]", 2);
		n += 2;
	} else {
		memcpy(out + n, flag, len);
		n += len;
		memcpy(out + n, "\r\n", 2);
		n += 2;
	}
	return n;
}

/* The rows, in the cube's order; JSON rows joined by ",\n". Each row is
 * put together in row (pc->max_len + ROW_NUMBERS_MAX bytes), then
 * appended. */
static void
put_rows(struct buf *b, const struct data_table *t, const struct pieces *pc,
         char sep, bool is_comma)
{
	char *row = xmalloc(pc->max_len + ROW_NUMBERS_MAX + 2);
	const struct figure *f = t->cells;
	const struct piece *pa, *pi, *pp;
	size_t a, i, p, n;

	for (a = 0; a < t->q.n_areas; a++)
		for (i = 0; i < t->q.n_items; i++)
			for (p = 0; p < t->n_periods; p++, f++) {
				pa = &pc->area[a];
				pi = &pc->item[i];
				pp = &pc->period[p];
				n = 0;
				if (sep == 0 && f != t->cells) {
					memcpy(row, ",\n", 2);
					n = 2;
				}
				memcpy(row + n, pa->text, pa->len);
				n += pa->len;
				memcpy(row + n, pi->text, pi->len);
				n += pi->len;
				memcpy(row + n, pp->text, pp->len);
				n += pp->len;
				n += format_numbers(row + n, f, sep, is_comma);
				buf_append(b, row, n);
			}
	free(row);
}

/* The names of the areas in the answer: those asked for, then the regions
 * the region column names besides. */
static void
put_area_names(struct buf *b, const struct data_table *t)
{
	const struct catalog *cat = t->cat;
	bool *seen = xcalloc(cat->n_areas + 1, sizeof(*seen));
	const char *sep = "";
	size_t i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < t->q.n_areas; i++) {
			int a = t->q.areas[i];
			const struct area *ar;

			if (k == 1) {
				a = cat->areas[a].level == AREA_MUNICIPALITY
				        ? cat->areas[a].region
				        : -1;
				if (a < 0)
					continue;
			}
			if (seen[a])
				continue;
			seen[a] = true;
			ar = &cat->areas[a];
			buf_puts(b, sep);
			buf_put_json_string(b, ar->code);
			buf_puts(b, ":");
			buf_put_json_string(b, ar->name[t->q.lang]);
			sep = ",";
		}
	free(seen);
}

/* The most bytes the JSON's names take: every area twice (asked for and
 * as a region), every item; each name at most 6 bytes a byte escaped. */
static size_t
names_max(const struct data_table *t)
{
	return (2 * t->q.n_areas + t->q.n_items + 1) *
	           (6 * (NAME_MAX_BYTES + 32 + 32) + 32) +
	       6 * DATA_QUERY_MAX + 256;
}

/* The header's, rows' and names' bound: past it the buffer refuses. */
static size_t
text_max(const struct data_table *t, const struct pieces *pc)
{
	return 1024 + t->n_cells * (pc->max_len + ROW_NUMBERS_MAX + 2) +
	       names_max(t);
}

/*
 * JSON: numbers are JSON numbers, period and codes strings; an empty
 * field (the country's region, a value, numerator or denominator not
 * known or withheld, the flag of a known value not an outlier) is null,
 * where the CSV has an empty field.
 */
char *
data_format_json(const struct data_table *t, size_t *out_len)
{
	const struct catalog *cat = t->cat;
	struct pieces pc = { 0 };
	struct buf b;
	size_t i;

	pieces_init(&pc, t, 0);
	buf_init(&b, text_max(t, &pc));
	buf_puts(&b, "{\"columns\":[");
	for (i = 0; i < data_n_columns; i++) {
		if (i > 0)
			buf_puts(&b, ",");
		buf_put_json_string(&b, data_columns[i]);
	}
	buf_puts(&b, "],\n\"rows\":[\n");
	put_rows(&b, t, &pc, 0, false);
	buf_puts(&b, "],\n\"query\":");
	buf_put_json_string(&b, t->q.text);
	buf_puts(&b, ",\n\"areas\":{");
	put_area_names(&b, t);
	buf_puts(&b, "},\n\"indicators\":{");
	for (i = 0; i < t->q.n_items; i++) {
		const struct data_item *it = &t->q.items[i];
		const char *name, *unit;

		if (it->indicator >= 0) {
			name = cat->indicators[it->indicator].name[t->q.lang];
			unit = cat->indicators[it->indicator].unit;
		} else {
			name = cat->measures[it->measure].name[t->q.lang];
			unit = cat->measures[it->measure].unit;
		}
		if (i > 0)
			buf_puts(&b, ",");
		buf_put_json_string(&b, item_id(cat, it));
		buf_puts(&b, ":{\"name\":");
		buf_put_json_string(&b, name);
		buf_puts(&b, ",\"unit\":");
		buf_put_json_string(&b, unit);
		buf_puts(&b, "}");
	}
	buf_puts(&b, "}}\n");
	pieces_reset(&pc, t);
	return detach(&b, out_len);
}

char *
data_format_csv(const struct data_table *t, bool is_excel_fi, size_t *out_len)
{
	const char sep = is_excel_fi ? ';' : ',';
	struct pieces pc = { 0 };
	struct buf b;
	size_t i;

	pieces_init(&pc, t, sep);
	buf_init(&b, text_max(t, &pc));
	if (is_excel_fi)
		buf_puts(&b, "\xEF\xBB\xBF");
	for (i = 0; i < data_n_columns; i++) {
		if (i > 0)
			buf_append(&b, &sep, 1);
		buf_puts(&b, data_columns[i]);
	}
	buf_puts(&b, "\r\n");
	put_rows(&b, t, &pc, sep, is_excel_fi);
	pieces_reset(&pc, t);
	return detach(&b, out_len);
}
