/*
 * test_openapi.c: the embedded OpenAPI document against the route table.
 * Every route of routes_table is in it (pattern as the path, method as
 * the operation; HEAD is implied by GET, so it need not be there), with
 * the access the table gives it (x-kuntamon-access and security); the
 * document has no path or operation the table lacks; every placeholder
 * of a pattern is a path parameter; it is JSON with an "openapi": "3.x".
 * The checker runs on altered tables too, to show that it can fail.
 * GET /api/v1/openapi.json serves the bytes with their hash as ETag, and
 * /assets/ does not serve them.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "assets.h"
#include "check.h"
#include "routes.h"

static const char *const methods[] = { "get",     "put",  "post",  "delete",
	                               "options", "head", "patch", "trace" };
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

/* While the checker runs on altered tables, its findings are expected. */
static bool is_quiet;

static int problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a finding of the checker (unless is_quiet); 1, to count it. */
static int
problem(const char *fmt, ...)
{
	va_list ap;

	if (is_quiet)
		return 1;
	va_start(ap, fmt);
	fputs("openapi.json: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static const struct asset *
openapi_asset(void)
{
	size_t i;

	for (i = 0; i < assets_n; i++)
		if (strcmp(assets_table[i].name, API_OPENAPI_ASSET) == 0)
			return &assets_table[i];
	return NULL;
}

static cJSON *
parse_document(void)
{
	const struct asset *a = openapi_asset();

	if (a == NULL)
		return NULL;
	return cJSON_ParseWithLength((const char *)a->data, a->len);
}

static const char *
access_name(enum route_access access)
{
	switch (access) {
	case ROUTE_OPEN:
		return "open";
	case ROUTE_PUBLIC:
		return "public";
	case ROUTE_TOKEN:
		return "token";
	case ROUTE_PAGE:
		return "page";
	}
	return "?";
}

/* "GET" -> "get" into out. */
static void
lower(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	out[i] = '\0';
}

/* Whether a security requirement list says what access does: open, none
 * ([]); public and page, anonymous ({}) or the bearer token; token, the
 * bearer token or the session cookie (sessionCookie, which stands for a
 * token: where a route says it, it names what a browser sends), not
 * anonymous. */
static bool
security_matches(const cJSON *security, enum route_access access)
{
	const cJSON *req;
	bool has_anonymous = false, has_bearer = false, has_cookie = false;
	int n = 0;

	if (!cJSON_IsArray(security))
		return false;
	cJSON_ArrayForEach(req, security)
	{
		if (!cJSON_IsObject(req))
			return false;
		n++;
		if (req->child == NULL)
			has_anonymous = true;
		else if (cJSON_GetObjectItemCaseSensitive(req, "bearerAuth") !=
		             NULL &&
		         cJSON_GetArraySize(req) == 1)
			has_bearer = true;
		else if (cJSON_GetObjectItemCaseSensitive(
		             req, "sessionCookie") != NULL &&
		         cJSON_GetArraySize(req) == 1)
			has_cookie = true;
	}
	switch (access) {
	case ROUTE_OPEN:
		return n == 0;
	case ROUTE_PUBLIC:
	case ROUTE_PAGE:
		return n == 2 && has_anonymous && has_bearer;
	case ROUTE_TOKEN:
		return n == (int)has_bearer + (int)has_cookie && n > 0;
	}
	return false;
}

/* A parameter object, its $ref ("#/components/parameters/X") followed. */
static const cJSON *
resolve_parameter(const cJSON *doc, const cJSON *p)
{
	static const char prefix[] = "#/components/parameters/";
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(p, "$ref");
	const cJSON *params;

	if (!cJSON_IsString(ref))
		return p;
	if (strncmp(ref->valuestring, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	params = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(doc, "components"), "parameters");
	return cJSON_GetObjectItemCaseSensitive(params, ref->valuestring +
	                                                    sizeof(prefix) - 1);
}

/* Whether op (or its path item) declares name as a path parameter. */
static bool
has_path_parameter(const cJSON *doc, const cJSON *item, const cJSON *op,
                   const char *name)
{
	const cJSON *lists[2] = {
		cJSON_GetObjectItemCaseSensitive(op, "parameters"),
		cJSON_GetObjectItemCaseSensitive(item, "parameters"),
	};
	const cJSON *item_p, *p, *in, *pname;
	size_t i;

	for (i = 0; i < 2; i++)
		cJSON_ArrayForEach(item_p, lists[i])
		{
			p = resolve_parameter(doc, item_p);
			in = cJSON_GetObjectItemCaseSensitive(p, "in");
			pname = cJSON_GetObjectItemCaseSensitive(p, "name");
			if (cJSON_IsString(in) &&
			    strcmp(in->valuestring, "path") == 0 &&
			    cJSON_IsString(pname) &&
			    strcmp(pname->valuestring, name) == 0)
				return true;
		}
	return false;
}

/* paths[pattern][method] of doc, or NULL. */
static cJSON *
operation(const cJSON *doc, const char *pattern, const char *method)
{
	return cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(doc, "paths"), pattern),
	    method);
}

/* The problems of one route's operation in doc. */
static int
check_route(const cJSON *doc, const struct route *r)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(doc, "paths"), r->pattern);
	const cJSON *op, *access, *responses;
	const char *p, *close, *want = access_name(r->access);
	char method[16], name[ROUTE_NAME_MAX];
	int n = 0;

	lower(r->method, method, sizeof(method));
	op = operation(doc, r->pattern, method);
	if (!cJSON_IsObject(op))
		return problem("lacks %s %s", r->method, r->pattern);
	access = cJSON_GetObjectItemCaseSensitive(op, "x-kuntamon-access");
	if (!cJSON_IsString(access) || strcmp(access->valuestring, want) != 0)
		n += problem("%s %s: x-kuntamon-access is not %s", r->method,
		             r->pattern, want);
	if (!security_matches(cJSON_GetObjectItemCaseSensitive(op, "security"),
	                      r->access))
		n += problem("%s %s: security does not say %s", r->method,
		             r->pattern, want);
	responses = cJSON_GetObjectItemCaseSensitive(op, "responses");
	if (!cJSON_IsObject(responses) || responses->child == NULL)
		n += problem("%s %s: no responses", r->method, r->pattern);
	if (r->accepts_body !=
	    (cJSON_GetObjectItemCaseSensitive(op, "requestBody") != NULL))
		n += problem("%s %s: requestBody %s", r->method, r->pattern,
		             r->accepts_body ? "missing" : "not taken");
	for (p = strchr(r->pattern, '{'); p != NULL; p = strchr(close, '{')) {
		close = strchr(p, '}');
		if (close == NULL || (size_t)(close - p - 1) >= sizeof(name))
			return n + problem("%s: a bad pattern", r->pattern);
		memcpy(name, p + 1, (size_t)(close - p - 1));
		name[close - p - 1] = '\0';
		if (!has_path_parameter(doc, item, op, name))
			n += problem("%s %s: no path parameter %s", r->method,
			             r->pattern, name);
	}
	return n;
}

/* Whether table has a route of pattern with method ("head": a GET). */
static bool
table_has(const struct route *table, size_t n, const char *pattern,
          const char *method)
{
	char m[16];
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(table[i].pattern, pattern) != 0)
			continue;
		lower(table[i].method, m, sizeof(m));
		if (strcmp(m, method) == 0 ||
		    (strcmp(method, "head") == 0 && strcmp(m, "get") == 0))
			return true;
	}
	return false;
}

/* The problems between doc and table[0 .. n), both ways. */
static int
check_table(const cJSON *doc, const struct route *table, size_t n)
{
	const cJSON *paths = cJSON_GetObjectItemCaseSensitive(doc, "paths");
	const cJSON *item;
	size_t i, k;
	int problems = 0;

	for (i = 0; i < n; i++)
		problems += check_route(doc, &table[i]);
	cJSON_ArrayForEach(item, paths)
	{
		bool has_operation = false;

		for (k = 0; k < N_METHODS; k++) {
			if (cJSON_GetObjectItemCaseSensitive(
			        item, methods[k]) == NULL)
				continue;
			has_operation = true;
			if (!table_has(table, n, item->string, methods[k]))
				problems += problem(
				    "has %s %s, the route table does not",
				    methods[k], item->string);
		}
		if (!has_operation)
			problems +=
			    problem("%s has no operation", item->string);
	}
	return problems;
}

static void
test_document(void)
{
	cJSON *doc = parse_document();
	const cJSON *v, *info;

	CHECK(openapi_asset() != NULL);
	CHECK(cJSON_IsObject(doc));
	v = cJSON_GetObjectItemCaseSensitive(doc, "openapi");
	CHECK(cJSON_IsString(v) && strncmp(v->valuestring, "3.", 2) == 0);
	info = cJSON_GetObjectItemCaseSensitive(doc, "info");
	CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(info, "title")));
	CHECK(
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(info, "version")));
	CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(doc, "components"),
	        "securitySchemes"),
	    "bearerAuth")));
	cJSON_Delete(doc);
}

static void
test_every_route(void)
{
	cJSON *doc = parse_document();

	CHECK(doc != NULL);
	CHECK(check_table(doc, routes_table, routes_n) == 0);
	cJSON_Delete(doc);
}

/* The checker finds a route missing from the document, a path the table
 * lacks, another method, a changed access and a missing placeholder: each
 * counted over what it finds in the real table (nothing, unless
 * test_every_route fails). */
static void
test_checker_can_fail(void)
{
	cJSON *doc = parse_document();
	struct route *t = calloc(routes_n + 1, sizeof(*t));
	cJSON *params;
	size_t i;
	int base;

	CHECK(doc != NULL && t != NULL && routes_n > 1);
	if (doc == NULL || t == NULL || routes_n < 2)
		goto out;
	is_quiet = true;
	base = check_table(doc, routes_table, routes_n);
	memcpy(t, routes_table, routes_n * sizeof(*t));
	t[routes_n] = t[0];
	t[routes_n].pattern = "/api/v1/undescribed";
	CHECK(check_table(doc, t, routes_n + 1) == base + 1);
	/* the table without its last route: a path the table lacks */
	CHECK(check_table(doc, t, routes_n - 1) >= base + 1);
	for (i = 0; i < routes_n; i++) {
		struct route saved = t[i];

		t[i].method = strcmp(saved.method, "GET") == 0 ? "POST" : "GET";
		CHECK(check_table(doc, t, routes_n) >= base + 2);
		t[i] = saved;
		t[i].access =
		    saved.access == ROUTE_TOKEN ? ROUTE_OPEN : ROUTE_TOKEN;
		CHECK(check_table(doc, t, routes_n) == base + 2);
		t[i] = saved;
	}
	/* a placeholder the document does not declare */
	params = cJSON_GetObjectItemCaseSensitive(
	    operation(doc, "/chart/{area}/{indicator}.svg", "get"),
	    "parameters");
	CHECK(cJSON_IsArray(params));
	cJSON_DeleteItemFromArray(params, 0); /* {area} */
	CHECK(check_table(doc, routes_table, routes_n) == base + 1);
out:
	is_quiet = false;
	free(t);
	cJSON_Delete(doc);
}

static const char *
header(const struct response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->n_headers; i++)
		if (strcmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

static void
test_handler(void)
{
	const struct asset *a = openapi_asset();
	struct request req;
	struct response resp;
	struct route_match m;
	char etag[32];

	CHECK(routes_match("GET", "/api/v1/openapi.json", &m) == ROUTE_FOUND);
	CHECK(routes_table[m.index].handler == api_openapi_get);
	CHECK(routes_table[m.index].access == ROUTE_OPEN);
	CHECK(routes_match("HEAD", "/api/v1/openapi.json", &m) == ROUTE_FOUND);
	CHECK(routes_match("POST", "/api/v1/openapi.json", &m) ==
	      ROUTE_BAD_METHOD);
	if (a == NULL)
		return;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = "/api/v1/openapi.json";
	response_init(&resp);
	api_openapi_get(&req, &resp);
	CHECK(resp.status == 200);
	CHECK(strncmp(resp.content_type, "application/json", 16) == 0);
	CHECK(resp.body_len == a->len &&
	      memcmp(resp.body, a->data, a->len) == 0);
	snprintf(etag, sizeof(etag), "\"%s\"", a->hash);
	CHECK_STR(header(&resp, "ETag"), etag);
	CHECK_STR(header(&resp, "Cache-Control"), "public, no-cache");
	response_reset(&resp);
}

/* One URL: the document is not an asset of the dashboard. */
static void
test_not_an_asset(void)
{
	const struct asset *a = openapi_asset();
	struct request req;
	struct response resp;
	struct route_match m;
	char paths[2][96];
	size_t i;

	if (a == NULL) {
		CHECK(0);
		return;
	}
	snprintf(paths[0], sizeof(paths[0]), "/assets/openapi.json");
	snprintf(paths[1], sizeof(paths[1]), "/assets/openapi-%s.json",
	         a->hash);
	for (i = 0; i < 2; i++) {
		CHECK(routes_match("GET", paths[i], &m) == ROUTE_FOUND);
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.path = paths[i];
		memcpy(req.capture_names, m.capture_names,
		       sizeof(req.capture_names));
		memcpy(req.captures, m.captures, sizeof(req.captures));
		req.n_captures = m.n_captures;
		response_init(&resp);
		routes_table[m.index].handler(&req, &resp);
		CHECK(resp.status == 404);
		response_reset(&resp);
	}
}

int
main(void)
{
	RUN(test_document);
	RUN(test_every_route);
	RUN(test_checker_can_fail);
	RUN(test_handler);
	RUN(test_not_an_asset);
	return check_done();
}
