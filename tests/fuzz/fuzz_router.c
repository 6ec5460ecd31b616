/*
 * fuzz_router.c: the server's path from raw request target to route:
 * "METHOD TARGET" (first space splits) -> query_path_decode ->
 * routes_match_in, over the real table and one with placeholders. Whatever
 * matches must be a clean path, and every capture [A-Za-z0-9_-]{1,63}.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
nop(const struct request *req, struct response *resp)
{
	(void)req;
	(void)resp;
}

static const struct route table[] = {
	{ "GET", "/", nop, ROUTE_PUBLIC, false, false },
	{ "GET", "/region/{area}", nop, ROUTE_PUBLIC, false, false },
	{ "GET", "/municipality/{area}", nop, ROUTE_PUBLIC, false, false },
	{ "GET", "/chart/{area}/{indicator}.svg", nop, ROUTE_PUBLIC, false,
	  false },
	{ "GET", "/chart/{area}/{indicator}.png", nop, ROUTE_PUBLIC, false,
	  false },
	{ "GET", "/api/v1/series.csv", nop, ROUTE_PUBLIC, false, false },
	{ "POST", "/api/v1/submissions", nop, ROUTE_TOKEN, true, false },
	{ "GET", "/a/x{v}y/{w}", nop, ROUTE_PUBLIC, false, false },
};

static void
check_match(const struct route *t, size_t n, const char *method,
            const char *path)
{
	struct route_match m;
	size_t i, k;
	int rc = routes_match_in(t, n, method, path, &m);

	switch (rc) {
	case ROUTE_FOUND:
		if (m.index >= n || query_path_check(path, NULL) < 0 ||
		    m.n_captures > ROUTE_MAX_CAPTURES)
			abort();
		for (i = 0; i < m.n_captures; i++) {
			size_t len = strlen(m.captures[i]);

			if (len == 0 || len >= ROUTE_CAPTURE_MAX)
				abort();
			for (k = 0; k < len; k++)
				if (strchr("abcdefghijklmnopqrstuvwxyz"
				           "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				           "0123456789_-",
				           m.captures[i][k]) == NULL)
					abort();
		}
		break;
	case ROUTE_BAD_METHOD:
		if (m.allow[0] == '\0')
			abort();
		break;
	case ROUTE_NOT_FOUND:
	case ROUTE_BAD_PATH:
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sp = memchr(data, ' ', size);
	char method[16], path[QUERY_PATH_MAX + 1], raw[QUERY_PATH_MAX + 64];
	size_t mlen, rlen;

	if (sp == NULL)
		return 0;
	mlen = (size_t)(sp - data);
	if (mlen >= sizeof(method))
		return 0;
	memcpy(method, data, mlen);
	method[mlen] = '\0';
	rlen = size - mlen - 1;
	if (rlen >= sizeof(raw))
		rlen = sizeof(raw) - 1;
	memcpy(raw, sp + 1, rlen);
	raw[rlen] = '\0';

	/* Straight to the matcher, as a handler-facing pure function. */
	check_match(routes_table, routes_n, method, raw);
	check_match(table, sizeof(table) / sizeof(table[0]), method, raw);
	/* And the way the server goes: decode first. */
	if (query_path_decode(raw, rlen, path, sizeof(path), NULL) == 0) {
		check_match(routes_table, routes_n, method, path);
		check_match(table, sizeof(table) / sizeof(table[0]), method,
		            path);
	}
	return 0;
}
