/*
 * routes.h: what a handler sees (struct request), the route table and the
 * pure matcher from method and path to a route.
 *
 * Adding a route is one line in routes_table[] (routes.c) and a handler in
 * its own api_*.c file. Handlers never touch libmicrohttpd: they read a
 * struct request and fill a struct response (respond.h), so they can be
 * tested without a socket.
 *
 * Patterns are literal paths, or have segments with one placeholder and
 * optional literal text around it: "/chart/{area}/{indicator}.svg". A
 * placeholder matches 1..ROUTE_CAPTURE_MAX-1 bytes of [A-Za-z0-9_-] only,
 * so a captured value can never name a file-system trick; handlers still
 * look it up in the catalog before using it.
 */
#ifndef KUNTAMON_ROUTES_H
#define KUNTAMON_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "access.h"
#include "query.h"
#include "respond.h"

struct app;
struct auth;
struct catalog;
struct server;

#define ROUTE_MAX_CAPTURES 4
#define ROUTE_CAPTURE_MAX 64 /* bytes of a captured value, with its NUL */
#define ROUTE_NAME_MAX 24    /* bytes of a placeholder's name, with NUL */

struct request {
	struct app *app;
	struct server *server; /* NULL when a test calls a handler directly */
	const char *method; /* "GET", "HEAD" (served by the GET route), ... */
	const char *path;   /* decoded and checked (query_path_decode) */
	const struct query *query;
	/* The placeholders' values, by name (request_param). */
	char capture_names[ROUTE_MAX_CAPTURES][ROUTE_NAME_MAX];
	char captures[ROUTE_MAX_CAPTURES][ROUTE_CAPTURE_MAX];
	size_t n_captures;
	/* Headers; NULL if absent. */
	const char *authorization;
	const char *cookie; /* the session cookie is read from it */
	const char *csrf;   /* X-CSRF-Token */
	/* Sec-Fetch-Site: what a browser says of the page that sent it
	 * ("same-origin", "cross-site", ...) */
	const char *fetch_site;
	const char *accept_language;
	const char *content_type;
	const char *if_none_match; /* server.c answers it after the handler */
	const char *origin;        /* server.c adds the CORS headers */
	const char *remote_addr;   /* "127.0.0.1", "::1" */
	/* Who is asking: ROLE_PUBLIC unless a valid token or session came
	 * with it; session_id > 0 when a session cookie authenticated it
	 * (and, on a write, its CSRF value came along). */
	struct principal who;
	long long session_id;
	bool is_tls;       /* the server speaks HTTPS: cookies are Secure */
	struct auth *auth; /* the server's (auth.h); NULL in tests */
	/* A slow route's first call, on libmicrohttpd's thread: a handler
	 * whose answer is not at hand (not cached) calls respond_defer and
	 * returns; server.c calls it again on a worker, may_defer false. */
	bool may_defer;
	/* The body, for routes with accepts_body; NUL-terminated. */
	const char *body;
	size_t body_len;
};

/* Fills resp (see respond.h); resp->status 0 is taken as 500. */
typedef void (*route_handler_fn)(const struct request *req,
                                 struct response *resp);

/* Who may call a route; the checks are the handlers' (later a shared
 * helper's) business, the table only records the intent. */
enum route_access {
	ROUTE_OPEN,   /* anyone, even with public = no (/healthz) */
	ROUTE_PUBLIC, /* anyone when public = yes, else a token */
	ROUTE_TOKEN,  /* always a token (or a session standing for one) */
	/* as ROUTE_PUBLIC, but also served with public = no to anyone: the
	 * pages, which hold no figures (their script asks the API, and
	 * shows the sign-in form where it must), and their assets */
	ROUTE_PAGE,
};

struct route {
	const char *method; /* "GET" (also serves HEAD), "POST", "DELETE" */
	const char *pattern;
	route_handler_fn handler;
	enum route_access access;
	bool accepts_body; /* the body is read, up to max_body, else refused */
	/* may take long (a chart render, a series or an export computed):
	 * called first with may_defer, answering what it has at hand (a
	 * cached answer); what it defers runs on server.c's workers with the
	 * connection suspended, off libmicrohttpd's few threads, in a
	 * bounded queue with a deadline (503 with Retry-After past them) */
	bool is_slow;
};

extern const struct route routes_table[];
extern const size_t routes_n;

enum route_result {
	ROUTE_FOUND,
	ROUTE_NOT_FOUND,
	ROUTE_BAD_METHOD, /* the path is known, not with this method */
	ROUTE_BAD_PATH,   /* fails query_path_check */
};

struct route_match {
	size_t index; /* into the table, for ROUTE_FOUND */
	char capture_names[ROUTE_MAX_CAPTURES][ROUTE_NAME_MAX];
	char captures[ROUTE_MAX_CAPTURES][ROUTE_CAPTURE_MAX];
	size_t n_captures;
	char allow[64]; /* for ROUTE_BAD_METHOD: "GET, HEAD, POST" */
};

/* Matches method and path against table[0 .. n). Pure and thread-safe.
 * Returns a ROUTE_* result; out is filled for ROUTE_FOUND (index,
 * captures) and ROUTE_BAD_METHOD (allow). */
int routes_match_in(const struct route *table, size_t n, const char *method,
                    const char *path, struct route_match *out);
/* routes_match_in over routes_table. */
int routes_match(const char *method, const char *path, struct route_match *out);

/* A placeholder's captured value, NULL if the route has no such name. */
const char *request_param(const struct request *req, const char *name);

/* The municipality of parameter area that the reader may read
 * unsuppressed (its own token or session, or the ministry's): its index
 * in cat. Else -1 with resp filled: 400 if none is named, 404 if cat has
 * no such municipality, 403 if it is another's ("may read its WHAT"). */
int request_own_municipality(const struct request *req,
                             const struct catalog *cat, const char *what,
                             struct response *resp);

/* The handlers of routes_table, one family per file. */
void api_catalog_get(const struct request *req, struct response *resp);
void metrics_get(const struct request *req, struct response *resp);
void metrics_healthz(const struct request *req, struct response *resp);
/* api_series.c */
void api_series_get(const struct request *req, struct response *resp);
void api_series_csv_get(const struct request *req, struct response *resp);
/* api_latest.c */
void api_latest_get(const struct request *req, struct response *resp);
/* api_data.c: /api/v1/data as JSON, CSV, XLSX and JSON-stat */
void api_data_get(const struct request *req, struct response *resp);
void api_data_csv_get(const struct request *req, struct response *resp);
void api_data_xlsx_get(const struct request *req, struct response *resp);
void api_data_jsonstat_get(const struct request *req, struct response *resp);
void api_revisions_get(const struct request *req, struct response *resp);
/* Adds to array the rows of /api/v1/revisions for area (a checked code;
 * period -1 and measure NULL: any), at most limit: what /api/v1/activity
 * shows of them. -1 if the database fails. */
int api_revisions_add(struct app *app, const char *area, int period,
                      const char *measure, size_t limit, cJSON *array);
/* api_activity.c */
void api_activity_get(const struct request *req, struct response *resp);
/* api_flags.c: outliers, read and confirmed (api_flags.h) */
void api_flags_get(const struct request *req, struct response *resp);
void api_flags_post(const struct request *req, struct response *resp);
/* api_health.c */
void api_health_get(const struct request *req, struct response *resp);
/* How many municipalities of cat are in each reporting status at now,
 * as /api/v1/health counts them: out_counts[N_REPORT_STATUSES], by enum
 * report_status. -1 if the database fails. */
int api_health_status_counts(struct app *app, const struct catalog *cat,
                             int ontime_days, time_t now, size_t *out_counts);
/* chart.c */
void chart_svg_get(const struct request *req, struct response *resp);
void chart_png_get(const struct request *req, struct response *resp);
/* pages.c: the dashboard's HTML pages and embedded assets */
void pages_get(const struct request *req, struct response *resp);
void pages_asset_get(const struct request *req, struct response *resp);
/* api_submit.c */
void api_submissions_post(const struct request *req, struct response *resp);
/* api_session.c: sign-in, who is signed in, sign-out (SPEC §8) */
void api_session_post(const struct request *req, struct response *resp);
void api_session_get(const struct request *req, struct response *resp);
void api_session_delete(const struct request *req, struct response *resp);
/* The token text of a sign-in body (len bytes) of type content_type:
 * JSON {"token": "km_..."} or a form "token=km_...". Pure: 0 with the
 * text in out (out_size bytes, at least TOKEN_TEXT_SIZE), or the status
 * to answer (400, 415) with err. */
int api_session_parse_signin(const char *content_type, const char *body,
                             size_t len, char *out, size_t out_size,
                             struct error *err);
/* api_openapi.c: the OpenAPI document, the embedded file API_OPENAPI_ASSET
 * (which pages.c does not serve under /assets/) */
#define API_OPENAPI_ASSET "openapi.json"
void api_openapi_get(const struct request *req, struct response *resp);

/* Drops what handlers cache between requests (the serialised catalog);
 * server_stop calls it. */
void routes_release(void);
void api_catalog_release(void);
void api_series_release(void);

#endif
