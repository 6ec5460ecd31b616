/*
 * pages.c: the dashboard's HTML pages (/, /region/MK01,
 * /municipality/KU091, /health, /signin) and the embedded assets they
 * load (/assets/NAME.js|.css|.json|.svg).
 *
 * A page is the embedded template page.html with its {{...}} placeholders
 * filled: the language, title and heading, which page and area it is, the
 * hashed URLs of the assets and texts from the embedded i18n files. The
 * script (app.js) draws everything else from the JSON API, so the server
 * never formats a figure. The language comes from ?lang=, else the best
 * of fi, sv, en in Accept-Language, else fi; the script may switch it
 * again from the visitor's remembered choice.
 *
 * Every page is served without a session, also with public = no: the
 * script asks GET /api/v1/session and, where the visitor may not read,
 * draws the sign-in form in place of the figures (SPEC §8). /signin is
 * the same template with that form only.
 *
 * Invariants: every value put into a page is HTML-escaped; a page names an
 * area only after the catalog knows it at the right level (else 404); no
 * inline script or style, so the Content-Security-Policy can be 'self'
 * only. Asset URLs carry the bytes' hash: such a URL never changes meaning
 * and is cached for a year; the unhashed name is revalidated.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "assets.h"
#include "buf.h"
#include "catalog.h"
#include "lang.h"
#include "respond.h"
#include "routes.h"
#include "xmalloc.h"

#define PAGE_MAX_BYTES ((size_t)1 << 20)
#define PLACEHOLDER_MAX 64

/* Self only; scripts and styles come from files, never inline. */
#define PAGE_CSP                                                               \
	"default-src 'self'; object-src 'none'; base-uri 'none'; "             \
	"form-action 'self'; frame-ancestors 'none'"
#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define CACHE_REVALIDATE "no-cache"

/* The top-level string members of i18n/<lang>.json, parsed once. */
struct text {
	char *key;
	char *value;
};

static struct {
	pthread_once_t once;
	struct text *texts[N_LANGS];
	size_t n_texts[N_LANGS];
} i18n = { .once = PTHREAD_ONCE_INIT };

static const struct asset *
asset_find(const char *name)
{
	size_t i;

	for (i = 0; i < assets_n; i++)
		if (strcmp(assets_table[i].name, name) == 0)
			return &assets_table[i];
	return NULL;
}

static void
i18n_load(void)
{
	char name[32];
	int l;

	for (l = 0; l < N_LANGS; l++) {
		const struct asset *a;
		const cJSON *item;
		cJSON *root;
		size_t n = 0;

		snprintf(name, sizeof(name), "i18n-%s.json",
		         lang_code((enum lang)l));
		a = asset_find(name);
		if (a == NULL)
			continue;
		root = cJSON_ParseWithLength((const char *)a->data, a->len);
		if (root == NULL)
			continue; /* the browser test would show raw keys */
		i18n.texts[l] = xcalloc((size_t)cJSON_GetArraySize(root) + 1,
		                        sizeof(struct text));
		cJSON_ArrayForEach(item, root)
		{
			if (!cJSON_IsString(item) || item->string == NULL)
				continue;
			i18n.texts[l][n].key = xstrdup(item->string);
			i18n.texts[l][n].value = xstrdup(item->valuestring);
			n++;
		}
		i18n.n_texts[l] = n;
		cJSON_Delete(root);
	}
}

/* The text of key in lang; the key itself if there is none, so a missing
 * translation shows instead of vanishing. */
static const char *
text_of(enum lang lang, const char *key)
{
	size_t i;

	pthread_once(&i18n.once, i18n_load);
	for (i = 0; i < i18n.n_texts[lang]; i++)
		if (strcmp(i18n.texts[lang][i].key, key) == 0)
			return i18n.texts[lang][i].value;
	return key;
}

static void
put_escaped(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			(void)buf_puts(out, "&amp;");
			break;
		case '<':
			(void)buf_puts(out, "&lt;");
			break;
		case '>':
			(void)buf_puts(out, "&gt;");
			break;
		case '"':
			(void)buf_puts(out, "&quot;");
			break;
		case '\'':
			(void)buf_puts(out, "&#39;");
			break;
		default:
			(void)buf_append(out, s, 1);
		}
	}
}

/* "/assets/app-0123456789ab.js" for "app.js"; "" if there is none. */
static void
asset_url(const char *name, char *out, size_t size)
{
	const struct asset *a = asset_find(name);
	const char *dot = a != NULL ? strrchr(a->name, '.') : NULL;

	if (dot == NULL) {
		out[0] = '\0';
		return;
	}
	snprintf(out, size, "/assets/%.*s-%s%s", (int)(dot - a->name), a->name,
	         a->hash, dot);
}

struct page {
	enum lang lang;
	const char *kind; /* "overview", "region", "municipality", "health",
	                     "signin" */
	const char *area; /* code, "" for none */
	const char *heading;
	char title[2 * NAME_MAX_BYTES + 64];
};

/* Writes one placeholder's value (escaped) for the template. */
static void
put_placeholder(struct buf *out, const struct page *pg, const char *name)
{
	char url[128];

	if (strcmp(name, "lang") == 0)
		put_escaped(out, lang_code(pg->lang));
	else if (strcmp(name, "page") == 0)
		put_escaped(out, pg->kind);
	else if (strcmp(name, "area") == 0)
		put_escaped(out, pg->area);
	else if (strcmp(name, "title") == 0)
		put_escaped(out, pg->title);
	else if (strcmp(name, "h1") == 0)
		put_escaped(out, pg->heading);
	else if (strncmp(name, "asset:", 6) == 0) {
		asset_url(name + 6, url, sizeof(url));
		put_escaped(out, url);
	} else if (strncmp(name, "t:", 2) == 0)
		put_escaped(out, text_of(pg->lang, name + 2));
}

/* The template with its placeholders filled, as a heap string. */
static char *
page_render(const struct page *pg, size_t *out_len)
{
	const struct asset *tpl = asset_find("page.html");
	const char *p, *end, *open, *close;
	char name[PLACEHOLDER_MAX];
	struct buf out;

	buf_init(&out, PAGE_MAX_BYTES);
	if (tpl == NULL)
		return buf_detach(&out, out_len);
	p = (const char *)tpl->data;
	end = p + tpl->len;
	while (p < end) {
		open = strstr(p, "{{");
		close = open != NULL ? strstr(open, "}}") : NULL;
		if (open == NULL || close == NULL) {
			(void)buf_append(&out, p, (size_t)(end - p));
			break;
		}
		(void)buf_append(&out, p, (size_t)(open - p));
		if ((size_t)(close - open - 2) < sizeof(name)) {
			memcpy(name, open + 2, (size_t)(close - open - 2));
			name[close - open - 2] = '\0';
			put_placeholder(&out, pg, name);
		}
		p = close + 2;
	}
	return buf_detach(&out, out_len);
}

static void
set_page_headers(struct response *resp)
{
	(void)respond_header(resp, "Content-Security-Policy", PAGE_CSP);
	(void)respond_header(resp, "Cache-Control", CACHE_REVALIDATE);
	(void)respond_header(resp, "Vary", "Accept-Language");
	(void)respond_header(resp, "Referrer-Policy", "same-origin");
	(void)respond_header(resp, "X-Frame-Options", "DENY");
}

void
pages_get(const struct request *req, struct response *resp)
{
	struct catalog *cat = app_catalog(req->app);
	const char *code = request_param(req, "area");
	struct page pg;
	const char *site;
	char *html;
	size_t len;
	int area = -1;

	memset(&pg, 0, sizeof(pg));
	/* A page is lenient where the API is strict: a bad ?lang= falls
	 * back to the browser's languages rather than failing the page. */
	if (lang_negotiate(query_get(req->query, "lang"), req->accept_language,
	                   &pg.lang, NULL) < 0)
		(void)lang_negotiate(NULL, req->accept_language, &pg.lang,
		                     NULL);
	pg.area = "";
	if (strncmp(req->path, "/region/", 8) == 0) {
		pg.kind = "region";
		area = catalog_find_area(cat, code);
		if (area < 0 || cat->areas[area].level != AREA_REGION) {
			respond_error(resp, 404, "unknown region \"%s\"", code);
			goto out;
		}
	} else if (strncmp(req->path, "/municipality/", 14) == 0) {
		pg.kind = "municipality";
		area = catalog_find_area(cat, code);
		if (area < 0 || cat->areas[area].level != AREA_MUNICIPALITY) {
			respond_error(resp, 404, "unknown municipality \"%s\"",
			              code);
			goto out;
		}
	} else if (strcmp(req->path, "/health") == 0) {
		pg.kind = "health";
		pg.heading = text_of(pg.lang, "health_title");
	} else if (strcmp(req->path, "/signin") == 0) {
		pg.kind = "signin";
		pg.heading = text_of(pg.lang, "signin_title");
	} else {
		pg.kind = "overview";
		pg.heading = text_of(pg.lang, "overview_title");
	}
	if (area >= 0) {
		pg.area = cat->areas[area].code;
		pg.heading = cat->areas[area].name[pg.lang];
	}
	site = text_of(pg.lang, "site_name");
	snprintf(pg.title, sizeof(pg.title), "%s – %s", pg.heading, site);
	html = page_render(&pg, &len);
	respond_take(resp, 200, "text/html; charset=utf-8", html, len);
	set_page_headers(resp);
out:
	catalog_unref(cat);
}

static bool
is_hash_like(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 12;
}

void
pages_asset_get(const struct request *req, struct response *resp)
{
	const char *name = request_param(req, "name");
	const char *ext = strrchr(req->path, '.');
	const struct asset *a;
	size_t i, stem;
	char etag[32];

	if (name == NULL || ext == NULL) {
		respond_error(resp, 404, "no such asset");
		return;
	}
	for (i = 0; i < assets_n; i++) {
		a = &assets_table[i];
		stem = strcspn(a->name, ".");
		if (strcmp(a->name + stem, ext) != 0 ||
		    strncmp(a->name, name, stem) != 0)
			continue;
		if (name[stem] == '\0' ||
		    (name[stem] == '-' && is_hash_like(name + stem + 1)))
			break;
	}
	/* the template is no file to fetch; the OpenAPI document has its
	 * own route, so that it has one URL */
	if (i == assets_n || strcmp(a->name, "page.html") == 0 ||
	    strcmp(a->name, API_OPENAPI_ASSET) == 0) {
		respond_error(resp, 404, "no such asset");
		return;
	}
	respond_blob(resp, a->content_type, a->data, a->len);
	snprintf(etag, sizeof(etag), "\"%s\"", a->hash);
	(void)respond_header(resp, "ETag", etag);
	/* The current hash never changes meaning; an older one (a page from
	 * before an upgrade) gets today's bytes, revalidated. */
	(void)respond_header(resp, "Cache-Control",
	                     name[stem] == '-' &&
	                             strcmp(name + stem + 1, a->hash) == 0
	                         ? CACHE_IMMUTABLE
	                         : CACHE_REVALIDATE);
}
