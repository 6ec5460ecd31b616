/*
 * test_export.c: the JSON-stat and XLSX exports of a data table built by
 * hand (no matrix: the cells are set directly).
 *
 * The table asks for Helsinki (KU091) and Uusimaa (MK01), the indicator
 * contacts_per_1000 and the measure contacts, in 2026-01..2026-03, in
 * Swedish. Cell (a, i, p) holds a * 100 + i * 10 + p + 0.5, except
 * (KU091, contacts, 2026-02), withheld, and (MK01, contacts_per_1000,
 * 2026-03), missing. JSON-stat orders the cube indicator, area, period:
 * the withheld cell is value[(1 * 2 + 0) * 3 + 1] = value[7], the
 * missing one value[(0 * 2 + 1) * 3 + 2] = value[5].
 *
 * The workbook's contents are read by openpyxl in the integration tests
 * (tests/clients/xlsx.py); here it is a zip, the same bytes for the same
 * table and time, and made safely from several threads at once.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "catalog.h"
#include "check.h"
#include "data.h"
#include "export.h"
#include "fixture.h"
#include "timespec.h"
#include "xmalloc.h"

#define P (2026 * 12) /* 2026-01 */
#define N_AREAS 2
#define N_ITEMS 2
#define N_PERIODS 3
#define MADE ((time_t)1769904000) /* 2026-02-01T00:00:00Z */

static const char regions_csv[] = "code,name_fi,name_sv,name_en\n"
                                  "01,Uusimaa,Nyland,Uusimaa\n";
/* a name with a quote and a backslash, to be escaped */
static const char munis_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "091,Helsinki,\"Helsing\"\"fors\\\",01,Uusimaa,Nyland,1000,200\n"
    "049,Espoo,Esbo,01,Uusimaa,Nyland,500,100\n";
/* clang-format off */
static const char measures_json[] =
    "{\"measures\": ["
      FIXTURE_MEASURE("contacts", "sum", "true") ","
      FIXTURE_MEASURE("staff_fte", "sum", "false") "],"
    "\"indicators\": ["
      FIXTURE_RATIO("contacts_per_1000", "contacts", "pop_fl", "1000",
                    "per 1000") "],"
    "\"rules\": []}";
/* clang-format on */

static struct catalog *cat;

static double
cell_value(size_t a, size_t i, size_t p)
{
	return (double)(a * 100 + i * 10 + p) + 0.5;
}

static bool
is_withheld(size_t a, size_t i, size_t p)
{
	return a == 0 && i == 1 && p == 1;
}

static bool
is_missing(size_t a, size_t i, size_t p)
{
	return a == 1 && i == 0 && p == 2;
}

static void
make_table(struct data_table *t)
{
	size_t a, i, p;

	memset(t, 0, sizeof(*t));
	t->cat = catalog_ref(cat);
	t->q.n_areas = N_AREAS;
	t->q.areas = xcalloc(N_AREAS, sizeof(int));
	t->q.areas[0] = catalog_find_area(cat, "KU091");
	t->q.areas[1] = catalog_find_area(cat, "MK01");
	t->q.n_items = N_ITEMS;
	t->q.items = xcalloc(N_ITEMS, sizeof(*t->q.items));
	t->q.items[0].indicator =
	    catalog_find_indicator(cat, "contacts_per_1000");
	t->q.items[0].measure = -1;
	t->q.items[1].indicator = -1;
	t->q.items[1].measure = catalog_find_measure(cat, "contacts");
	t->q.first_period = P;
	t->q.last_period = P + N_PERIODS - 1;
	t->q.lang = LANG_SV;
	snprintf(t->q.text, sizeof(t->q.text),
	         "indicator=contacts_per_1000,contacts&area=KU091,MK01&"
	         "period=2026-01..2026-03&lang=sv");
	t->n_periods = N_PERIODS;
	t->n_cells = N_AREAS * N_ITEMS * N_PERIODS;
	t->cells = xcalloc(t->n_cells, sizeof(*t->cells));
	for (a = 0; a < N_AREAS; a++)
		for (i = 0; i < N_ITEMS; i++)
			for (p = 0; p < N_PERIODS; p++) {
				struct figure *f =
				    &t->cells[(a * N_ITEMS + i) * N_PERIODS +
				              p];

				f->value = f->numerator = cell_value(a, i, p);
				f->denominator = i == 0 ? 200 : NAN;
				f->reporting = 1;
				f->expected = a == 0 ? 1 : 2;
				f->flag = FIGURE_OK;
				if (is_withheld(a, i, p) ||
				    is_missing(a, i, p)) {
					f->value = f->numerator = NAN;
					f->denominator = NAN;
					f->reporting = 0;
					f->flag = is_withheld(a, i, p)
					              ? FIGURE_SUPPRESSED
					              : FIGURE_MISSING;
				}
			}
}

static const char *
str_at(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
num_at(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The category of dimension dim: index of each id, and their labels. */
static void
check_category(const cJSON *root, const char *dim, const char *const *ids,
               const char *const *labels, size_t n)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(root, "dimension"), dim);
	const cJSON *cat_ = cJSON_GetObjectItemCaseSensitive(d, "category");
	const cJSON *index = cJSON_GetObjectItemCaseSensitive(cat_, "index");
	const cJSON *label = cJSON_GetObjectItemCaseSensitive(cat_, "label");
	const cJSON *first;
	size_t k;

	CHECK(cJSON_IsObject(index));
	CHECK(cJSON_GetArraySize(index) == (int)n);
	/* object key order is the cube's order too, for readers that use it */
	first = index != NULL ? index->child : NULL;
	CHECK(first != NULL && strcmp(first->string, ids[0]) == 0);
	for (k = 0; k < n; k++) {
		CHECK(num_at(index, ids[k]) == (double)k);
		CHECK_STR(str_at(label, ids[k]), labels[k]);
	}
}

static void
test_jsonstat_dataset(void)
{
	static const char *const items[] = { "contacts_per_1000", "contacts" };
	static const char *const areas[] = { "KU091", "MK01" };
	static const char *const area_names[] = { "Helsing\"fors\\", "Nyland" };
	static const char *const periods[] = { "2026-01", "2026-02",
		                               "2026-03" };
	struct data_table t;
	const cJSON *id, *size, *role, *unit;
	cJSON *root;
	size_t len;
	char *text;

	make_table(&t);
	text = export_jsonstat(&t, MADE, &len);
	CHECK(strlen(text) == len);
	root = cJSON_ParseWithLength(text, len);
	CHECK(root != NULL);
	if (root == NULL) {
		fprintf(stderr, "%s\n", text);
		goto out;
	}
	CHECK_STR(str_at(root, "version"), "2.0");
	CHECK_STR(str_at(root, "class"), "dataset");
	CHECK_STR(str_at(root, "source"), "kuntamon");
	CHECK_STR(str_at(root, "updated"), "2026-02-01T00:00:00Z");
	id = cJSON_GetObjectItemCaseSensitive(root, "id");
	CHECK(cJSON_GetArraySize(id) == 3);
	CHECK_STR(cJSON_GetArrayItem(id, 0)->valuestring, "indicator");
	CHECK_STR(cJSON_GetArrayItem(id, 1)->valuestring, "area");
	CHECK_STR(cJSON_GetArrayItem(id, 2)->valuestring, "period");
	size = cJSON_GetObjectItemCaseSensitive(root, "size");
	CHECK(cJSON_GetArraySize(size) == 3);
	CHECK(cJSON_GetArrayItem(size, 0)->valuedouble == N_ITEMS);
	CHECK(cJSON_GetArrayItem(size, 1)->valuedouble == N_AREAS);
	CHECK(cJSON_GetArrayItem(size, 2)->valuedouble == N_PERIODS);
	role = cJSON_GetObjectItemCaseSensitive(root, "role");
	CHECK_STR(cJSON_GetArrayItem(
	              cJSON_GetObjectItemCaseSensitive(role, "time"), 0)
	              ->valuestring,
	          "period");
	CHECK_STR(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(role, "geo"), 0)
	        ->valuestring,
	    "area");
	CHECK_STR(cJSON_GetArrayItem(
	              cJSON_GetObjectItemCaseSensitive(role, "metric"), 0)
	              ->valuestring,
	          "indicator");
	check_category(root, "indicator", items,
	               (const char *const[]){ "x", "x" }, N_ITEMS);
	check_category(root, "area", areas, area_names, N_AREAS);
	check_category(root, "period", periods, periods, N_PERIODS);
	unit = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(
	            cJSON_GetObjectItemCaseSensitive(root, "dimension"),
	            "indicator"),
	        "category"),
	    "unit");
	CHECK_STR(
	    str_at(cJSON_GetObjectItemCaseSensitive(unit, "contacts_per_1000"),
	           "label"),
	    "per 1000");
	CHECK(
	    num_at(cJSON_GetObjectItemCaseSensitive(unit, "contacts_per_1000"),
	           "decimals") == 2);
	CHECK(num_at(cJSON_GetObjectItemCaseSensitive(unit, "contacts"),
	             "decimals") == 0);
out:
	cJSON_Delete(root);
	free(text);
	data_table_reset(&t);
}

static void
test_jsonstat_values_and_status(void)
{
	struct data_table t;
	const cJSON *value, *status;
	cJSON *root;
	size_t len, a, i, p, n = 0;
	char *text;

	make_table(&t);
	text = export_jsonstat(&t, MADE, &len);
	root = cJSON_ParseWithLength(text, len);
	CHECK(root != NULL);
	value = cJSON_GetObjectItemCaseSensitive(root, "value");
	status = cJSON_GetObjectItemCaseSensitive(root, "status");
	CHECK(cJSON_GetArraySize(value) == N_AREAS * N_ITEMS * N_PERIODS);
	/* the cube's order: indicator outermost, then area, then period */
	for (i = 0; i < N_ITEMS; i++)
		for (a = 0; a < N_AREAS; a++)
			for (p = 0; p < N_PERIODS; p++, n++) {
				const cJSON *v =
				    cJSON_GetArrayItem(value, (int)n);
				char key[16];

				snprintf(key, sizeof(key), "%zu", n);
				if (is_withheld(a, i, p)) {
					CHECK(cJSON_IsNull(v));
					CHECK_STR(str_at(status, key),
					          "suppressed");
				} else if (is_missing(a, i, p)) {
					CHECK(cJSON_IsNull(v));
					CHECK_STR(str_at(status, key),
					          "missing");
				} else {
					CHECK(cJSON_IsNumber(v) &&
					      v->valuedouble ==
					          cell_value(a, i, p));
					CHECK(str_at(status, key) == NULL);
				}
			}
	/* by the header's arithmetic */
	CHECK_STR(str_at(status, "7"), "suppressed");
	CHECK_STR(str_at(status, "5"), "missing");
	CHECK(cJSON_GetArraySize(status) == 2);
	cJSON_Delete(root);
	free(text);
	data_table_reset(&t);
}

static void
test_xlsx_is_a_zip(void)
{
	struct data_table t;
	struct error err = { 0 };
	size_t len = 0, len2 = 0;
	char *bytes, *again;

	make_table(&t);
	bytes = export_xlsx(&t, MADE, &len, &err);
	CHECK(bytes != NULL);
	if (bytes == NULL) {
		fprintf(stderr, "export_xlsx: %s\n", err.msg);
		goto out;
	}
	CHECK(len > 1000);
	CHECK(memcmp(bytes, "PK\3\4", 4) == 0);
	/* a zip ends in its end-of-central-directory record */
	CHECK(len > 22 && memcmp(bytes + len - 22, "PK\5\6", 4) == 0);
	/* the creation time stamps the entries: same table, same bytes */
	again = export_xlsx(&t, MADE, &len2, &err);
	CHECK(again != NULL && len2 == len && memcmp(bytes, again, len) == 0);
	free(again);
out:
	free(bytes);
	data_table_reset(&t);
}

#define N_THREADS 4

struct job {
	const struct data_table *t;
	char *bytes;
	size_t len;
};

static void *
make_one(void *arg)
{
	struct job *j = arg;
	struct error err = { 0 };

	j->bytes = export_xlsx(j->t, MADE, &j->len, &err);
	return NULL;
}

/* Workbooks made at once share nothing: each is the one made alone. */
static void
test_xlsx_threads(void)
{
	struct data_table t;
	struct job jobs[N_THREADS] = { { 0 } };
	pthread_t th[N_THREADS];
	struct error err = { 0 };
	size_t len = 0, k;
	char *alone;

	make_table(&t);
	alone = export_xlsx(&t, MADE, &len, &err);
	CHECK(alone != NULL);
	for (k = 0; k < N_THREADS; k++) {
		jobs[k].t = &t;
		CHECK(pthread_create(&th[k], NULL, make_one, &jobs[k]) == 0);
	}
	for (k = 0; k < N_THREADS; k++) {
		pthread_join(th[k], NULL);
		CHECK(jobs[k].bytes != NULL && jobs[k].len == len &&
		      alone != NULL && memcmp(jobs[k].bytes, alone, len) == 0);
		free(jobs[k].bytes);
	}
	free(alone);
	data_table_reset(&t);
}

int
main(void)
{
	cat = fixture_catalog(regions_csv, munis_csv, measures_json, NULL);
	RUN(test_jsonstat_dataset);
	RUN(test_jsonstat_values_and_status);
	RUN(test_xlsx_is_a_zip);
	RUN(test_xlsx_threads);
	catalog_unref(cat);
	return check_done();
}
