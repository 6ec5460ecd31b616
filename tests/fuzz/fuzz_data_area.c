/*
 * fuzz_data_area.c: data_resolve's area=, level= and region= (and the
 * indicator list) on arbitrary text, against a fixed small catalog. The
 * input is lines "name=value" (area, level, region, indicator; others
 * are ignored; the indicator defaults to gp_open). Whatever resolves
 * holds each area once, by a valid index, with a question text that
 * resolves again to the same areas and the same text; it computes and
 * prints a row a cell. Whatever does not says which parameter is wrong,
 * or names the limit, and leaves nothing to free.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "data.h"
#include "fixture.h"
#include "matrix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXPECTED (2026 * 12 + 2) /* 2026-03 */
#define INPUT_MAX 4096

/* clang-format off */
static const char regions_csv[] =
    "code,name_fi,name_sv\n01,Uusimaa,Nyland\n02,Varsinais-Suomi,Egentliga Finland\n";
static const char municipalities_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "049,Espoo,Esbo,01,Uusimaa,Nyland,320931,63123\n"
    "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,684018,124010\n"
    "853,Turku,Åbo,02,Varsinais-Suomi,Egentliga Finland,200000,30000\n";
static const char measures_json[] =
    "{\"measures\": ["
      FIXTURE_MEASURE("gp_open", "sum", "false") ","
      FIXTURE_MEASURE("contacts", "sum", "true") "],"
    "\"indicators\": ["
      FIXTURE_RATIO("contacts_per_1000", "contacts", "pop_fl", "1000", "u")
    "], \"rules\": []}";
/* clang-format on */

static struct catalog *cat;
static struct matrix *mx;

static void
setup(void)
{
	int i;

	if (cat != NULL)
		return;
	cat = fixture_catalog(regions_csv, municipalities_csv, measures_json,
	                      NULL);
	mx = matrix_new(cat->n_areas, cat->n_measures);
	for (i = 1; i <= 3; i++) {
		int a = (int)cat->first_municipality + i - 1;

		matrix_set(mx, a, EXPECTED, 0, 1, 1);
		matrix_set(mx, a, EXPECTED, 1, i * 2, 1);
	}
}

/* The value of "name=" among the lines of text (modified in place:
 * lines end at their NUL); NULL if absent. */
static const char *
param(char *const *lines, size_t n, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < n; i++)
		if (strncmp(lines[i], name, len) == 0 && lines[i][len] == '=')
			return lines[i] + len + 1;
	return NULL;
}

static size_t
split(char *text, char **lines, size_t max, char sep)
{
	size_t n = 0;
	char *s = text, *end;

	while (n < max) {
		lines[n++] = s;
		if ((end = strchr(s, sep)) == NULL)
			break;
		*end = '\0';
		s = end + 1;
	}
	return n;
}

static int
resolve(char *const *lines, size_t n, struct data_query *q, struct error *err)
{
	struct data_params p;

	memset(&p, 0, sizeof(p));
	p.indicator = param(lines, n, "indicator");
	if (p.indicator == NULL)
		p.indicator = "gp_open";
	p.area = param(lines, n, "area");
	p.level = param(lines, n, "level");
	p.region = param(lines, n, "region");
	p.period = "2026-03";
	memset(err, 0, sizeof(*err));
	return data_resolve(cat, &p, EXPECTED, q, err);
}

static void
check_ok(const struct data_query *q)
{
	struct data_query again;
	struct data_table t;
	struct principal who = { ROLE_PUBLIC, 0, "" };
	struct error err;
	char text[DATA_QUERY_MAX], *lines[8], *out;
	bool seen[64] = { false };
	size_t i, n, len, rows = 0;

	if (q->n_areas == 0 || q->n_areas > cat->n_areas || q->n_items == 0 ||
	    strlen(q->text) >= DATA_QUERY_MAX ||
	    strncmp(q->text, "indicator=", 10) != 0)
		abort();
	for (i = 0; i < q->n_areas; i++) {
		if (q->areas[i] < 0 || (size_t)q->areas[i] >= cat->n_areas ||
		    seen[q->areas[i]])
			abort();
		seen[q->areas[i]] = true;
	}
	/* the text is the question: it resolves to the same */
	memcpy(text, q->text, sizeof(text));
	n = split(text, lines, 8, '&');
	if (resolve(lines, n, &again, &err) != DATA_OK ||
	    again.n_areas != q->n_areas ||
	    memcmp(again.areas, q->areas, q->n_areas * sizeof(int)) != 0 ||
	    again.n_items != q->n_items || strcmp(again.text, q->text) != 0)
		abort();
	/* a row a cell, and a header */
	data_compute(cat, mx, &again, &who, &t);
	if (t.n_cells != q->n_areas * q->n_items)
		abort();
	out = data_format_csv(&t, false, &len);
	for (i = 0; i < len; i++)
		rows += out[i] == '\n';
	if (rows != t.n_cells + 1 || strlen(out) != len)
		abort();
	free(out);
	out = data_format_json(&t, &len);
	if (len < 2 || out[0] != '{' || strlen(out) != len)
		abort();
	free(out);
	data_table_reset(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[INPUT_MAX + 1], *lines[8];
	struct data_query q;
	struct error err;
	size_t n;
	int rc;

	setup();
	if (size > INPUT_MAX)
		size = INPUT_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	n = split(text, lines, 8, '\n');
	rc = resolve(lines, n, &q, &err);
	switch (rc) {
	case DATA_OK:
		check_ok(&q);
		data_query_reset(&q);
		break;
	case DATA_BAD:
	case DATA_NOT_FOUND:
		if (strncmp(err.msg, "parameter ", 10) != 0)
			abort();
		goto empty;
	case DATA_TOO_BIG:
		if (strstr(err.msg, "100000") == NULL)
			abort();
		goto empty;
	default:
		abort();
	empty:
		if (q.areas != NULL || q.items != NULL || q.n_areas != 0 ||
		    q.text[0] != '\0')
			abort();
	}
	return 0;
}
