/*
 * fuzz_measures.c: catalog_parse_measures over arbitrary bytes, then
 * catalog_finish and the lookups, then catalog_unref: no crash, no leak,
 * and a refused file always says where and what.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog *cat = catalog_new();
	struct error err;
	size_t i;

	memset(&err, 0, sizeof(err));
	if (catalog_parse_measures(cat, (const char *)data, size, &err) < 0) {
		if (err.msg[0] == '\0' || err.line < 1)
			abort();
		goto out;
	}
	if (catalog_finish(cat, &err) < 0)
		goto out;
	/* What the rest of the daemon relies on once a catalog is finished. */
	for (i = 0; i < cat->n_measures; i++)
		if (catalog_find_measure(cat, cat->measures[i].id) != (int)i ||
		    !(cat->measures[i].min <= cat->measures[i].max))
			abort();
	for (i = 0; i < cat->n_indicators; i++) {
		const struct indicator *ind = &cat->indicators[i];

		if (catalog_find_indicator(cat, ind->id) != (int)i ||
		    ind->num.measure >= (int)cat->n_measures ||
		    ind->den.measure >= (int)cat->n_measures)
			abort();
	}
	for (i = 0; i < cat->n_rules; i++)
		if (cat->rules[i].lhs < 0 || cat->rules[i].rhs < 0 ||
		    cat->rules[i].lhs >= (int)cat->n_measures ||
		    cat->rules[i].rhs >= (int)cat->n_measures)
			abort();
	for (i = 0; i < cat->n_profiles; i++) {
		size_t m;

		for (m = 0; m < cat->n_measures; m++)
			if (cat->profiles[i].measure_ptr[m] == NULL)
				abort();
	}
out:
	catalog_unref(cat);
	return 0;
}
