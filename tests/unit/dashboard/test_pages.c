/*
 * test_pages.c: the dashboard's pages and embedded assets, through their
 * handlers (no socket): language choice, 404 for codes the catalog does
 * not know at that level, escaping, security and cache headers, hashed
 * asset URLs, and the three i18n files having the same keys.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "assets.h"
#include "check.h"
#include "routes.h"
#include "fixture.h"

static const char regions_csv[] = "code,name_fi,name_sv,name_en\n"
                                  "01,Uusimaa,Nyland,Uusimaa\n"
                                  "02,Varsinais-Suomi,Egentliga Finland,"
                                  "Southwest Finland\n";
static const char municipalities_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,674500,120000\n"
    "049,\"Es<b>\"\"poo&\",Esbo,01,Uusimaa,Nyland,320000,70000\n"
    "853,Turku,Åbo,02,Varsinais-Suomi,Egentliga Finland,200000,25000\n";
static const char measures_json[] =
    "{\"measures\": [{\"id\": \"contacts\", \"unit\": \"count\", \"min\": 0,"
    " \"max\": 1000000, \"aggregate\": \"sum\", \"is_count\": true,"
    " \"name\": {\"fi\": \"Kontaktit\", \"sv\": \"Kontakter\","
    " \"en\": \"Contacts\"}}], \"indicators\": [], \"rules\": []}\n";

static struct app app;

static struct catalog *
test_catalog(void)
{
	return fixture_catalog(regions_csv, municipalities_csv, measures_json,
	                       NULL);
}

/* GETs path (with query string qs, may be NULL) through the route table's
 * handler, as server.c would. */
static void
get(const char *path, const char *qs, const char *accept_language,
    struct response *resp)
{
	struct route_match m;
	struct request req;
	struct query q;
	struct error err = { 0 };
	size_t i;

	response_init(resp);
	memset(&req, 0, sizeof(req));
	memset(&q, 0, sizeof(q));
	if (routes_match("GET", path, &m) != ROUTE_FOUND) {
		resp->status = -1; /* no route: not the handler's business */
		return;
	}
	if (qs != NULL && query_parse(qs, strlen(qs), &q, &err) < 0) {
		fprintf(stderr, "query %s: %s\n", qs, err.msg);
		exit(1);
	}
	req.app = &app;
	req.method = "GET";
	req.path = path;
	req.query = &q;
	req.accept_language = accept_language;
	for (i = 0; i < m.n_captures; i++) {
		memcpy(req.capture_names[i], m.capture_names[i],
		       sizeof(req.capture_names[i]));
		memcpy(req.captures[i], m.captures[i], sizeof(req.captures[i]));
	}
	req.n_captures = m.n_captures;
	routes_table[m.index].handler(&req, resp);
	query_reset(&q);
}

static const char *
header(const struct response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

static bool
body_has(const struct response *resp, const char *s)
{
	return resp->body != NULL && strstr(resp->body, s) != NULL;
}

static void
test_language(void)
{
	static const struct {
		const char *qs, *accept, *want;
	} cases[] = {
		{ NULL, NULL, "<html lang=\"fi\">" },
		{ NULL, "sv-FI,sv;q=0.9,en;q=0.8", "<html lang=\"sv\">" },
		{ NULL, "de-DE,en-GB;q=0.7,fi;q=0.5", "<html lang=\"en\">" },
		{ NULL, "en;q=0.2,sv;q=0.9", "<html lang=\"sv\">" },
		{ NULL, "de,fr", "<html lang=\"fi\">" },
		{ "lang=en", "sv-FI", "<html lang=\"en\">" },
		{ "lang=sv", NULL, "<html lang=\"sv\">" },
		/* a page is lenient where the API is strict */
		{ "lang=de", "sv", "<html lang=\"sv\">" },
		{ "lang=", NULL, "<html lang=\"fi\">" },
	};
	struct response resp;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		get("/", cases[i].qs, cases[i].accept, &resp);
		CHECK(resp.status == 200);
		if (!body_has(&resp, cases[i].want))
			fprintf(stderr, "case %zu: want %s\n", i,
			        cases[i].want);
		CHECK(body_has(&resp, cases[i].want));
		response_reset(&resp);
	}
}

static void
test_pages(void)
{
	static const struct {
		const char *path, *accept, *want[3];
	} cases[] = {
		{ "/",
		  "fi",
		  { "data-page=\"overview\"", "data-area=\"\"",
		    "<title>Maahanmuuttajien ohjauspalvelut Suomessa" } },
		{ "/region/MK01",
		  "sv",
		  { "data-page=\"region\"", "data-area=\"MK01\"",
		    "<h1 id=\"heading\">Nyland</h1>" } },
		{ "/region/MK02",
		  "en",
		  { "<title>Southwest Finland – ", "data-area=\"MK02\"",
		    "Skip to content" } },
		{ "/municipality/KU091",
		  "sv",
		  { "data-page=\"municipality\"",
		    "<h1 id=\"heading\">Helsingfors",
		    "Hoppa till innehållet" } },
		{ "/health",
		  "en",
		  { "data-page=\"health\"",
		    "<h1 id=\"heading\">Data collection",
		    "aria-label=\"Main\"" } },
		{ "/signin",
		  "sv",
		  { "data-page=\"signin\"", "<h1 id=\"heading\">Logga in",
		    "href=\"/signin\" id=\"signin-link\"" } },
	};
	struct response resp;
	const char *csp;
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		get(cases[i].path, NULL, cases[i].accept, &resp);
		CHECK(resp.status == 200);
		CHECK_STR(resp.content_type, "text/html; charset=utf-8");
		for (j = 0; j < 3; j++) {
			if (!body_has(&resp, cases[i].want[j]))
				fprintf(stderr, "%s: want %s\n", cases[i].path,
				        cases[i].want[j]);
			CHECK(body_has(&resp, cases[i].want[j]));
		}
		/* every placeholder filled, no inline script or style */
		CHECK(!body_has(&resp, "{{"));
		CHECK(!body_has(&resp, "<script>"));
		CHECK(!body_has(&resp, "style="));
		CHECK(!body_has(&resp, "<style"));
		csp = header(&resp, "Content-Security-Policy");
		CHECK(csp != NULL && strstr(csp, "default-src 'self'") != NULL);
		CHECK(csp != NULL && strstr(csp, "unsafe") == NULL);
		CHECK_STR(header(&resp, "Cache-Control"), "no-cache");
		CHECK_STR(header(&resp, "Vary"), "Accept-Language");
		response_reset(&resp);
	}
}

static void
test_unknown_areas(void)
{
	static const char *const paths[] = {
		"/region/MK99",       "/region/KU091",
		"/region/SSS",        "/municipality/KU999",
		"/municipality/MK01", "/municipality/ku091",
	};
	struct response resp;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		get(paths[i], NULL, NULL, &resp);
		CHECK(resp.status == 404);
		CHECK(strncmp(resp.content_type, "application/json", 16) == 0);
		CHECK(body_has(&resp, "{\"error\":\"unknown "));
		response_reset(&resp);
	}
}

static void
test_escaping(void)
{
	struct response resp;

	get("/municipality/KU049", NULL, "fi", &resp);
	CHECK(resp.status == 200);
	CHECK(body_has(&resp, "<title>Es&lt;b&gt;&quot;poo&amp; – "));
	CHECK(body_has(&resp, ">Es&lt;b&gt;&quot;poo&amp;</h1>"));
	CHECK(!body_has(&resp, "<b>"));
	response_reset(&resp);
}

/* The URL path of the n-th "/assets/..." reference in text, or NULL. */
static const char *
asset_ref(const char *text, char *out, size_t size)
{
	const char *p = strstr(text, "\"/assets/"), *end;

	if (p == NULL)
		return NULL;
	p++;
	end = strchr(p, '"');
	if (end == NULL || (size_t)(end - p) >= size)
		return NULL;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return end;
}

static void
test_page_assets_resolve(void)
{
	struct response page, resp;
	const char *p;
	char path[128];
	size_t n = 0;

	get("/", NULL, NULL, &page);
	CHECK(page.status == 200);
	for (p = page.body; p != NULL && (p = asset_ref(p, path, sizeof(path)));
	     n++) {
		get(path, NULL, NULL, &resp);
		if (resp.status != 200)
			fprintf(stderr, "%s: %d\n", path, resp.status);
		CHECK(resp.status == 200);
		CHECK_STR(header(&resp, "Cache-Control"),
		          "public, max-age=31536000, immutable");
		CHECK(resp.body_len > 0);
		response_reset(&resp);
	}
	/* favicon twice, css, js, three i18n files */
	CHECK(n == 7);
	response_reset(&page);
}

static void
test_assets(void)
{
	static const struct {
		const char *path;
		int status;
		const char *type, *cache;
	} cases[] = {
		{ "/assets/app.js", 200, "text/javascript; charset=utf-8",
		  "no-cache" },
		{ "/assets/app.css", 200, "text/css; charset=utf-8",
		  "no-cache" },
		{ "/assets/favicon.svg", 200, "image/svg+xml", "no-cache" },
		{ "/assets/i18n-sv.json", 200,
		  "application/json; charset=utf-8", "no-cache" },
		/* a hash from before an upgrade: today's bytes, revalidated */
		{ "/assets/app-000000000000.js", 200,
		  "text/javascript; charset=utf-8", "no-cache" },
		{ "/assets/app.svg", 404, NULL, NULL },
		{ "/assets/nope.js", 404, NULL, NULL },
		{ "/assets/app-00000000000.js", 404, NULL, NULL },
		{ "/assets/app-00000000000g.js", 404, NULL, NULL },
		{ "/assets/i18n.json", 404, NULL, NULL },
		{ "/assets/i18n-de.json", 404, NULL, NULL },
	};
	struct response resp;
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		get(cases[i].path, NULL, NULL, &resp);
		if (resp.status != cases[i].status)
			fprintf(stderr, "%s: %d\n", cases[i].path, resp.status);
		CHECK(resp.status == cases[i].status);
		if (cases[i].type != NULL) {
			CHECK_STR(resp.content_type, cases[i].type);
			CHECK_STR(header(&resp, "Cache-Control"),
			          cases[i].cache);
			CHECK(header(&resp, "ETag") != NULL);
		}
		response_reset(&resp);
	}
	/* each asset's bytes, exactly, under its hashed name */
	for (i = 0; i < assets_n; i++) {
		const struct asset *a = &assets_table[i];
		const char *dot = strrchr(a->name, '.');

		if (strcmp(a->name, "page.html") == 0 ||
		    strcmp(a->name, API_OPENAPI_ASSET) == 0)
			continue; /* not served here (test_openapi) */
		snprintf(path, sizeof(path), "/assets/%.*s-%s%s",
		         (int)(dot - a->name), a->name, a->hash, dot);
		get(path, NULL, NULL, &resp);
		CHECK(resp.status == 200);
		CHECK(resp.body_len == a->len &&
		      memcmp(resp.body, a->data, a->len) == 0);
		response_reset(&resp);
	}
	/* the template is no asset to fetch */
	CHECK(routes_match("GET", "/assets/page.html",
	                   &(struct route_match){ 0 }) != ROUTE_FOUND);
}

/* Every language has every text: a key missing in one shows up raw. */
static void
test_i18n_keys(void)
{
	static const char *const names[] = { "i18n-fi.json", "i18n-sv.json",
		                             "i18n-en.json" };
	cJSON *root[3] = { NULL, NULL, NULL }, *item;
	size_t i, j;

	for (i = 0; i < 3; i++)
		for (j = 0; j < assets_n; j++)
			if (strcmp(assets_table[j].name, names[i]) == 0)
				root[i] = cJSON_ParseWithLength(
				    (const char *)assets_table[j].data,
				    assets_table[j].len);
	for (i = 0; i < 3; i++) {
		CHECK(cJSON_IsObject(root[i]));
		CHECK(cJSON_GetObjectItemCaseSensitive(root[i], "units") !=
		      NULL);
		for (j = 0; j < 3 && root[i] != NULL; j++) {
			cJSON_ArrayForEach(item, root[i])
			{
				if (root[j] != NULL &&
				    !cJSON_HasObjectItem(root[j],
				                         item->string)) {
					fprintf(stderr, "%s lacks %s\n",
					        names[j], item->string);
					CHECK(0);
				}
			}
		}
	}
	for (i = 0; i < 3; i++)
		cJSON_Delete(root[i]);
}

int
main(void)
{
	pthread_mutex_init(&app.lock, NULL);
	app.cat = test_catalog();
	RUN(test_language);
	RUN(test_pages);
	RUN(test_unknown_areas);
	RUN(test_escaping);
	RUN(test_page_assets_resolve);
	RUN(test_assets);
	RUN(test_i18n_keys);
	catalog_unref(app.cat);
	pthread_mutex_destroy(&app.lock);
	return check_done();
}
