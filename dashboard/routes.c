/*
 * routes.c: the route table and the pure matcher.
 *
 * Order matters only between patterns that can match the same path: the
 * first match with the right method wins. A handler sees only paths that
 * passed query_path_check and captures of [A-Za-z0-9_-].
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "chart.h"
#include "routes.h"

const struct route routes_table[] = {
	/* method  pattern          handler        access   body  slow */
	{ "GET", "/healthz", metrics_healthz, ROUTE_OPEN, false, false },
	{ "GET", "/metrics", metrics_get, ROUTE_PUBLIC, false, false },
	{ "GET", "/api/v1/catalog", api_catalog_get, ROUTE_PUBLIC, false,
	  false },
	{ "GET", "/api/v1/series", api_series_get, ROUTE_PUBLIC, false, true },
	{ "GET", "/api/v1/series.csv", api_series_csv_get, ROUTE_PUBLIC, false,
	  true },
	{ "GET", "/api/v1/latest", api_latest_get, ROUTE_PUBLIC, false, false },
	{ "GET", "/api/v1/data", api_data_get, ROUTE_PUBLIC, false, true },
	{ "GET", "/api/v1/data.csv", api_data_csv_get, ROUTE_PUBLIC, false,
	  true },
	{ "GET", "/api/v1/data.xlsx", api_data_xlsx_get, ROUTE_PUBLIC, false,
	  true },
	{ "GET", "/api/v1/data.jsonstat", api_data_jsonstat_get, ROUTE_PUBLIC,
	  false, true },
	{ "GET", "/api/v1/health", api_health_get, ROUTE_PUBLIC, false, false },
	{ "GET", "/api/v1/revisions", api_revisions_get, ROUTE_TOKEN, false,
	  false },
	{ "GET", "/api/v1/activity", api_activity_get, ROUTE_TOKEN, false,
	  false },
	{ "GET", "/api/v1/flags", api_flags_get, ROUTE_TOKEN, false, false },
	{ "POST", "/api/v1/flags", api_flags_post, ROUTE_TOKEN, true, false },
	/* open: it describes the interface and discloses no data */
	{ "GET", "/api/v1/openapi.json", api_openapi_get, ROUTE_OPEN, false,
	  false },
	{ "POST", "/api/v1/submissions", api_submissions_post, ROUTE_TOKEN,
	  true, false },
	/* open: sign-in checks the token it is given (api_session.c), and
	 * who is signed in is no secret to the one signed in */
	{ "POST", "/api/v1/session", api_session_post, ROUTE_OPEN, true,
	  false },
	{ "GET", "/api/v1/session", api_session_get, ROUTE_OPEN, false, false },
	/* a session and its CSRF value (auth.c) */
	{ "DELETE", "/api/v1/session", api_session_delete, ROUTE_TOKEN, false,
	  false },
	{ "GET", "/chart/{area}/{indicator}.svg", chart_svg_get, ROUTE_PUBLIC,
	  false, true },
	{ "GET", "/chart/{area}/{indicator}.png", chart_png_get, ROUTE_PUBLIC,
	  false, true },
	{ "GET", "/", pages_get, ROUTE_PAGE, false, false },
	{ "GET", "/region/{area}", pages_get, ROUTE_PAGE, false, false },
	{ "GET", "/municipality/{area}", pages_get, ROUTE_PAGE, false, false },
	{ "GET", "/health", pages_get, ROUTE_PAGE, false, false },
	{ "GET", "/signin", pages_get, ROUTE_PAGE, false, false },
	{ "GET", "/assets/{name}.js", pages_asset_get, ROUTE_PAGE, false,
	  false },
	{ "GET", "/assets/{name}.css", pages_asset_get, ROUTE_PAGE, false,
	  false },
	{ "GET", "/assets/{name}.json", pages_asset_get, ROUTE_PAGE, false,
	  false },
	{ "GET", "/assets/{name}.svg", pages_asset_get, ROUTE_PAGE, false,
	  false },
};
const size_t routes_n = sizeof(routes_table) / sizeof(routes_table[0]);

static bool
is_capture_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Matches one path segment (seg, n bytes) against one pattern segment
 * (pat, m bytes), capturing a placeholder's value into out. */
static bool
match_segment(const char *pat, size_t m, const char *seg, size_t n,
              struct route_match *out)
{
	const char *open = memchr(pat, '{', m), *close;
	size_t prefix, suffix, name_len, value_len, i;

	if (open == NULL)
		return m == n && memcmp(pat, seg, n) == 0;
	close = memchr(open, '}', m - (size_t)(open - pat));
	if (close == NULL || out->n_captures == ROUTE_MAX_CAPTURES)
		return false;
	prefix = (size_t)(open - pat);
	suffix = m - (size_t)(close - pat) - 1;
	name_len = (size_t)(close - open) - 1;
	if (n <= prefix + suffix || name_len >= ROUTE_NAME_MAX)
		return false;
	value_len = n - prefix - suffix;
	if (value_len >= ROUTE_CAPTURE_MAX || memcmp(pat, seg, prefix) != 0 ||
	    memcmp(close + 1, seg + n - suffix, suffix) != 0)
		return false;
	for (i = 0; i < value_len; i++)
		if (!is_capture_char(seg[prefix + i]))
			return false;
	memcpy(out->capture_names[out->n_captures], open + 1, name_len);
	out->capture_names[out->n_captures][name_len] = '\0';
	memcpy(out->captures[out->n_captures], seg + prefix, value_len);
	out->captures[out->n_captures][value_len] = '\0';
	out->n_captures++;
	return true;
}

/* Whether path matches pattern segment by segment; captures go to out. */
static bool
match_pattern(const char *pattern, const char *path, struct route_match *out)
{
	const char *p = pattern, *s = path;

	out->n_captures = 0;
	for (;;) {
		size_t m = strcspn(p, "/"), n = strcspn(s, "/");

		if (!match_segment(p, m, s, n, out))
			return false;
		p += m;
		s += n;
		if (*p == '\0' || *s == '\0')
			return *p == '\0' && *s == '\0';
		p++;
		s++;
	}
}

/* Appends method to the comma-separated list unless it is there. */
static void
allow_add(char *allow, size_t size, const char *method)
{
	size_t len = strlen(allow), mlen = strlen(method);
	const char *p = allow;

	while ((p = strstr(p, method)) != NULL) {
		if ((p == allow || p[-1] == ' ') &&
		    (p[mlen] == ',' || p[mlen] == '\0'))
			return;
		p += mlen;
	}
	snprintf(allow + len, size - len, "%s%s", len > 0 ? ", " : "", method);
}

int
routes_match_in(const struct route *table, size_t n, const char *method,
                const char *path, struct route_match *out)
{
	bool is_head = strcmp(method, "HEAD") == 0, path_known = false;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (query_path_check(path, NULL) < 0)
		return ROUTE_BAD_PATH;
	for (i = 0; i < n; i++) {
		if (!match_pattern(table[i].pattern, path, out))
			continue;
		if (strcmp(table[i].method, method) == 0 ||
		    (is_head && strcmp(table[i].method, "GET") == 0)) {
			out->index = i;
			out->allow[0] = '\0';
			return ROUTE_FOUND;
		}
		path_known = true;
		allow_add(out->allow, sizeof(out->allow), table[i].method);
		if (strcmp(table[i].method, "GET") == 0)
			allow_add(out->allow, sizeof(out->allow), "HEAD");
	}
	out->n_captures = 0;
	return path_known ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

int
routes_match(const char *method, const char *path, struct route_match *out)
{
	return routes_match_in(routes_table, routes_n, method, path, out);
}

const char *
request_param(const struct request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_captures; i++)
		if (strcmp(req->capture_names[i], name) == 0)
			return req->captures[i];
	return NULL;
}

int
request_own_municipality(const struct request *req, const struct catalog *cat,
                         const char *what, struct response *resp)
{
	const char *area = query_get(req->query, "area");
	int a;

	if (area == NULL || area[0] == '\0') {
		respond_error(resp, 400, "parameter area: required");
		return -1;
	}
	a = catalog_find_area(cat, area);
	if (a < 0 || cat->areas[a].level != AREA_MUNICIPALITY) {
		respond_error(resp, 404, "unknown municipality \"%.40s\"",
		              area);
		return -1;
	}
	if (!access_is_unsuppressed(&req->who, cat->areas[a].code)) {
		respond_error(
		    resp, 403,
		    "only %s's own token or a ministry token may read "
		    "its %s",
		    cat->areas[a].code, what);
		return -1;
	}
	return a;
}

void
routes_release(void)
{
	api_catalog_release();
	api_series_release();
	chart_release();
}
