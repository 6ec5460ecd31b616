/*
 * fuzz_query.c: query_parse and query_path_decode on arbitrary bytes, with
 * the invariants the handlers rely on: a parsed query has at most
 * QUERY_MAX_PARAMS unique, well-formed names and values without control
 * bytes; a decoded path passes query_path_check and holds no "..";
 * every failure says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_query(const uint8_t *data, size_t size)
{
	static const char *const choices[] = { "fi", "sv", "en" };
	struct query q;
	struct error err;
	size_t i, j, k;
	long v;
	int c;

	memset(&err, 0, sizeof(err));
	if (query_parse((const char *)data, size, &q, &err) < 0) {
		if (err.msg[0] == '\0' || q.n_params != 0 || q.storage != NULL)
			abort();
		return;
	}
	if (q.n_params > QUERY_MAX_PARAMS)
		abort();
	for (i = 0; i < q.n_params; i++) {
		const char *n = q.params[i].name, *val = q.params[i].value;
		size_t nlen = strlen(n), vlen = strlen(val);

		if (nlen == 0 || nlen > QUERY_NAME_MAX ||
		    vlen > QUERY_VALUE_MAX)
			abort();
		for (k = 0; k < vlen; k++)
			if ((unsigned char)val[k] < 0x20 || val[k] == 0x7f)
				abort();
		for (j = 0; j < i; j++)
			if (strcmp(q.params[j].name, n) == 0)
				abort();
		if (query_get(&q, n) != val)
			abort();
		memset(&err, 0, sizeof(err));
		if (query_get_int(&q, n, -1000, 1000, 7, &v, &err) == 0) {
			if (v < -1000 || v > 1000)
				abort();
		} else if (err.msg[0] == '\0') {
			abort();
		}
		if (query_get_choice(&q, n, choices, 3, 0, &c, &err) == 0 &&
		    strcmp(choices[c], val) != 0)
			abort();
	}
	query_reset(&q);
}

static void
check_path(const uint8_t *data, size_t size)
{
	char out[QUERY_PATH_MAX + 1];
	struct error err;

	memset(&err, 0, sizeof(err));
	if (query_path_decode((const char *)data, size, out, sizeof(out),
	                      &err) < 0) {
		if (err.msg[0] == '\0')
			abort();
		return;
	}
	if (out[0] != '/' || strstr(out, "..") != NULL ||
	    strstr(out, "//") != NULL || strchr(out, '\\') != NULL ||
	    query_path_check(out, NULL) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_query(data, size);
	check_path(data, size);
	return 0;
}
