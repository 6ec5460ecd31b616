/*
 * catalog.c: the catalog snapshot (SPEC §3): its parsers, its checks, its
 * lookups and its reference count.
 *
 * Invariants once catalog_finish has succeeded: areas[0] is SSS, areas
 * 1..n_regions are regions, the rest municipalities, each with a valid
 * region; every code is unique and in area_hash; every term, rule and
 * profile names a measure that exists; every profile has n_measures
 * pointers, all valid RFC 6901. Nothing changes after that, so readers need
 * no lock, only a reference.
 *
 * The parsers are pure: they fill struct error and never log. Errors in
 * measures.json name the line of the offending entry, found by walking the
 * text again along the same path (cJSON keeps no positions).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "csv.h"
#include "jsonptr.h"
#include "xmalloc.h"

#define MAX_ENTRIES 256                   /* per section of measures.json */
#define MAX_FILE_BYTES (16 * 1024 * 1024) /* any one catalog file */
#define INDICATOR_ID_MAX 32
#define PROFILE_NAME_MAX 32
#define ALAND_REGION "MK21" /* monolingually Swedish: English uses sv */

static const char *const aggregate_names[] = {
	[AGG_SUM] = "sum",
	[AGG_MEAN] = "mean",
	[AGG_MIN] = "min",
	[AGG_MAX] = "max",
};

static const char *const lang_keys[N_LANGS] = {
	[LANG_FI] = "fi",
	[LANG_SV] = "sv",
	[LANG_EN] = "en",
};

/* Grows an array of n elements so that it holds n + 1. Capacity is
 * implicit: the array is reallocated whenever n is 0 or a power of two,
 * which keeps appends amortised O(1) without storing a capacity. */
static void *
grow(void *p, size_t n, size_t size)
{
	if (n == 0)
		return xreallocarray(p, 1, size);
	if ((n & (n - 1)) == 0)
		return xreallocarray(p, n * 2, size);
	return p;
}

/* --- area hash -------------------------------------------------------- */

static size_t
hash_code(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static void
hash_insert(struct catalog *cat, int idx)
{
	size_t mask = cat->area_hash_cap - 1;
	size_t i = hash_code(cat->areas[idx].code) & mask;

	while (cat->area_hash[i] != 0)
		i = (i + 1) & mask;
	cat->area_hash[i] = idx + 1;
}

/* Makes room for n areas at most half full, rehashing those there are. */
static void
hash_fit(struct catalog *cat, size_t n)
{
	size_t cap = cat->area_hash_cap ? cat->area_hash_cap : 16, i;

	if (cat->area_hash != NULL && n * 2 <= cap)
		return;
	while (n * 2 > cap)
		cap *= 2;
	free(cat->area_hash);
	cat->area_hash = xcalloc(cap, sizeof(int));
	cat->area_hash_cap = cap;
	for (i = 0; i < cat->n_areas; i++)
		hash_insert(cat, (int)i);
}

/* Appends an area (code and names already checked) and indexes it. */
static int
add_area(struct catalog *cat, const char *code, enum area_level level)
{
	struct area *a;

	hash_fit(cat, cat->n_areas + 1);
	cat->areas = grow(cat->areas, cat->n_areas, sizeof(*cat->areas));
	a = &cat->areas[cat->n_areas];
	memset(a, 0, sizeof(*a));
	snprintf(a->code, sizeof(a->code), "%s", code);
	a->level = level;
	a->region = -1;
	a->endpoint = -1;
	cat->n_areas++;
	hash_insert(cat, (int)cat->n_areas - 1);
	return (int)cat->n_areas - 1;
}

/* --- lifecycle -------------------------------------------------------- */

struct catalog *
catalog_new(void)
{
	struct catalog *cat = xcalloc(1, sizeof(*cat));
	struct area *a;
	int i;

	atomic_init(&cat->refs, 1);
	i = add_area(cat, "SSS", AREA_COUNTRY);
	a = &cat->areas[i];
	snprintf(a->name[LANG_FI], sizeof(a->name[LANG_FI]), "Koko maa");
	snprintf(a->name[LANG_SV], sizeof(a->name[LANG_SV]), "Hela landet");
	snprintf(a->name[LANG_EN], sizeof(a->name[LANG_EN]), "Whole country");
	cat->first_municipality = 1;
	return cat;
}

struct catalog *
catalog_ref(struct catalog *cat)
{
	atomic_fetch_add_explicit(&cat->refs, 1, memory_order_relaxed);
	return cat;
}

static void
free_profile(struct profile *p, size_t n_measures)
{
	size_t i;

	free(p->municipality_ptr);
	free(p->period_ptr);
	if (p->measure_ptr != NULL)
		for (i = 0; i < n_measures; i++)
			free(p->measure_ptr[i]);
	free(p->measure_ptr);
}

void
catalog_unref(struct catalog *cat)
{
	size_t i;

	if (cat == NULL)
		return;
	/* acq_rel: the last owner must see every other owner's reads done. */
	if (atomic_fetch_sub_explicit(&cat->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (i = 0; i < cat->n_profiles; i++)
		free_profile(&cat->profiles[i], cat->n_measures);
	for (i = 0; i < cat->n_endpoints; i++)
		free(cat->endpoints[i].url);
	free(cat->area_hash);
	free(cat->members);
	free(cat->members_start);
	free(cat->endpoints);
	free(cat->profiles);
	free(cat->rules);
	free(cat->indicators);
	free(cat->measures);
	free(cat->areas);
	free(cat);
}

/* --- small checks ----------------------------------------------------- */

/* Whether s is well-formed UTF-8 (no overlongs, surrogates or code points
 * past U+10FFFF) without control characters: names end up in HTML, JSON
 * and chart labels. */
static int
is_clean_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned c = *p;
		unsigned cp, n, i;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, cp = c & 0x07;
		} else {
			return 0;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 &&
		     (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* Copies a name into out (NAME_MAX_BYTES), or fills why. */
static int
copy_name(char *out, const char *s, char *why, size_t why_size)
{
	size_t n = strlen(s);

	if (n == 0) {
		snprintf(why, why_size, "is empty");
		return -1;
	}
	if (n >= NAME_MAX_BYTES) {
		snprintf(why, why_size, "is longer than %d bytes",
		         NAME_MAX_BYTES - 1);
		return -1;
	}
	if (!is_clean_text(s)) {
		snprintf(why, why_size,
		         "is not valid UTF-8 or holds a control character");
		return -1;
	}
	memcpy(out, s, n + 1);
	return 0;
}

static int
is_digits(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* [a-z][a-z0-9_]{0,max_len-1} */
static int
is_ident(const char *s, size_t max_len)
{
	size_t i;

	if (s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (i >= max_len)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	}
	return 1;
}

/* A head count: 1 to 10 decimal digits, at most 1e9. -1 otherwise. */
static double
parse_count(const char *s)
{
	char *end;
	long long v;

	if (s[0] < '0' || s[0] > '9' || strlen(s) > 10)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 1000000000LL)
		return -1;
	return (double)v;
}

/* --- CSV files -------------------------------------------------------- */

struct csv_ctx {
	struct catalog *cat;
	const char *const *header; /* expected column names */
	size_t n_required;         /* columns that must be there */
	size_t n_max;              /* columns that may be there */
	size_t n_columns;          /* as the header has them */
	int (*row)(struct csv_ctx *c, int line, char **f, struct error *err);
};

/* Checks the header against c->header and records how many columns rows
 * must have. */
static int
check_header(struct csv_ctx *c, int line, char **f, size_t n, struct error *err)
{
	char want[256];
	size_t i, used = 0;

	/* "code,name_fi,name_sv[,name_en]": optional columns in brackets. */
	for (i = 0; i < c->n_max; i++) {
		const char *sep = i == 0 ? "" : ",";
		int k;

		if (i == c->n_required)
			sep = "[,";
		k = snprintf(want + used, sizeof(want) - used, "%s%s%s", sep,
		             c->header[i],
		             i + 1 == c->n_max && i >= c->n_required ? "]"
		                                                     : "");
		if (k < 0 || (size_t)k >= sizeof(want) - used)
			break;
		used += (size_t)k;
	}
	if (n < c->n_required || n > c->n_max)
		return error_set(err, line, "expected the header %s", want);
	for (i = 0; i < n; i++)
		if (strcmp(f[i], c->header[i]) != 0)
			return error_set(
			    err, line,
			    "expected the header %s; column %zu is \"%.64s\"",
			    want, i + 1, f[i]);
	c->n_columns = n;
	return 0;
}

static int
csv_row(void *ctx, int line, char **f, size_t n, struct error *err)
{
	struct csv_ctx *c = ctx;

	if (c->n_columns == 0)
		return check_header(c, line, f, n, err);
	if (n < c->n_required || n > c->n_columns)
		return error_set(err, line, "expected %zu fields, found %zu",
		                 c->n_columns, n);
	if (n < c->n_columns) { /* optional trailing columns left out */
		static char empty[] = "";
		char *padded[CSV_MAX_FIELDS];
		size_t i;

		for (i = 0; i < c->n_columns; i++)
			padded[i] = i < n ? f[i] : empty;
		return c->row(c, line, padded, err);
	}
	return c->row(c, line, f, err);
}

static int
parse_csv(struct csv_ctx *c, const char *text, size_t len, struct error *err)
{
	if (csv_parse(text, len, csv_row, c, err) < 0)
		return -1;
	if (c->n_columns == 0)
		return error_set(err, 1, "empty file: expected a header");
	return 0;
}

/* Copies the three names of an area, reporting which column is at fault. */
static int
set_names(struct area *a, const char *fi, const char *sv, const char *en,
          int line, struct error *err)
{
	const char *names[N_LANGS] = { fi, sv, en };
	char why[96];
	int i;

	for (i = 0; i < N_LANGS; i++)
		if (copy_name(a->name[i], names[i], why, sizeof(why)) < 0)
			return error_set(err, line, "name_%s %s", lang_keys[i],
			                 why);
	return 0;
}

static int
region_row(struct csv_ctx *c, int line, char **f, struct error *err)
{
	struct catalog *cat = c->cat;
	char code[AREA_CODE_MAX];
	int i;

	if (!is_digits(f[0], 2))
		return error_set(
		    err, line,
		    "malformed region code \"%.32s\": want two digits, as "
		    "\"01\"",
		    f[0]);
	snprintf(code, sizeof(code), "MK%s", f[0]);
	if (catalog_find_area(cat, code) >= 0)
		return error_set(err, line, "duplicate region code %s", f[0]);
	i = add_area(cat, code, AREA_REGION);
	cat->n_regions++;
	cat->first_municipality = 1 + cat->n_regions;
	return set_names(&cat->areas[i], f[1], f[2],
	                 c->n_columns > 3 ? f[3] : f[1], line, err);
}

int
catalog_parse_regions(struct catalog *cat, const char *text, size_t len,
                      struct error *err)
{
	static const char *const header[] = { "code", "name_fi", "name_sv",
		                              "name_en" };
	struct csv_ctx c = { cat, header, 3, 4, 0, region_row };

	if (cat->n_areas != 1 + cat->n_regions)
		return error_set(err, 0,
		                 "regions must be read before municipalities");
	return parse_csv(&c, text, len, err);
}

static int
municipality_row(struct csv_ctx *c, int line, char **f, struct error *err)
{
	struct catalog *cat = c->cat;
	char code[AREA_CODE_MAX], region_code[AREA_CODE_MAX];
	const struct area *r;
	struct area *a;
	double pop, pop_fl;
	int i, ri;

	/* Statistics Finland's codes have three digits; four are allowed
	 * for synthetic catalogs larger than Finland (bench/collect). */
	if (!is_digits(f[0], 3) && !is_digits(f[0], 4))
		return error_set(
		    err, line,
		    "malformed municipality code \"%.32s\": want three "
		    "digits, as \"091\"",
		    f[0]);
	snprintf(code, sizeof(code), "KU%s", f[0]);
	if (catalog_find_area(cat, code) >= 0)
		return error_set(err, line, "duplicate municipality code %s",
		                 f[0]);
	if (!is_digits(f[3], 2))
		return error_set(
		    err, line,
		    "malformed region code \"%.32s\": want two digits, as "
		    "\"01\"",
		    f[3]);
	snprintf(region_code, sizeof(region_code), "MK%s", f[3]);
	ri = catalog_find_area(cat, region_code);
	if (ri < 0 || cat->areas[ri].level != AREA_REGION)
		return error_set(err, line,
		                 "unknown region %s: not in regions.csv", f[3]);
	/* The region's names are redundant here; a mismatch means a wrong
	 * region code more often than a renamed region. */
	r = &cat->areas[ri];
	if (strcmp(f[4], r->name[LANG_FI]) != 0 ||
	    strcmp(f[5], r->name[LANG_SV]) != 0)
		return error_set(
		    err, line,
		    "region %s is \"%s\" / \"%s\" in regions.csv, not "
		    "\"%.48s\" / \"%.48s\"",
		    f[3], r->name[LANG_FI], r->name[LANG_SV], f[4], f[5]);
	pop = parse_count(f[6]);
	if (pop < 0)
		return error_set(
		    err, line,
		    "population \"%.32s\" is not a whole number from 0 to "
		    "1000000000",
		    f[6]);
	pop_fl = parse_count(f[7]);
	if (pop_fl < 0)
		return error_set(
		    err, line,
		    "foreign_language_population \"%.32s\" is not a whole "
		    "number from 0 to 1000000000",
		    f[7]);
	if (pop_fl > pop)
		return error_set(
		    err, line,
		    "foreign_language_population %s is more than population "
		    "%s",
		    f[7], f[6]);
	i = add_area(cat, code, AREA_MUNICIPALITY);
	a = &cat->areas[i];
	a->region = ri;
	a->pop_total = pop;
	a->pop_fl = pop_fl;
	/* Åland's municipalities have Swedish names only, in English too. */
	return set_names(a, f[1], f[2],
	                 strcmp(region_code, ALAND_REGION) == 0 ? f[2] : f[1],
	                 line, err);
}

int
catalog_parse_municipalities(struct catalog *cat, const char *text, size_t len,
                             struct error *err)
{
	static const char *const header[] = {
		"code",           "name_fi",
		"name_sv",        "region_code",
		"region_name_fi", "region_name_sv",
		"population",     "foreign_language_population"
	};
	struct csv_ctx c = { cat, header, 8, 8, 0, municipality_row };

	return parse_csv(&c, text, len, err);
}

static int
endpoint_row(struct csv_ctx *c, int line, char **f, struct error *err)
{
	struct catalog *cat = c->cat;
	struct endpoint *e;
	const char *url = f[1], *host;
	int a, profile = -1;
	size_t i;

	a = catalog_find_area(cat, f[0]);
	if (a < 0)
		return error_set(err, line, "unknown area \"%.32s\"", f[0]);
	if (cat->areas[a].level != AREA_MUNICIPALITY)
		return error_set(
		    err, line,
		    "%s is not a municipality: endpoints belong to "
		    "municipalities (KUxxx)",
		    f[0]);
	if (cat->areas[a].endpoint >= 0)
		return error_set(err, line, "duplicate endpoint for %s", f[0]);
	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return error_set(
		    err, line,
		    "url \"%.64s\" must start with http:// or https://", url);
	if (*host == '\0' || *host == '/')
		return error_set(err, line, "url \"%.64s\" has no host", url);
	for (i = 0; url[i] != '\0'; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return error_set(
			    err, line,
			    "url holds a space or control character at byte "
			    "%zu",
			    i + 1);
	if (c->n_columns > 2 && f[2][0] != '\0') {
		profile = catalog_find_profile(cat, f[2]);
		if (profile < 0)
			return error_set(
			    err, line,
			    "unknown profile \"%.32s\": not in measures.json",
			    f[2]);
	}
	cat->endpoints =
	    grow(cat->endpoints, cat->n_endpoints, sizeof(*cat->endpoints));
	e = &cat->endpoints[cat->n_endpoints];
	e->area = a;
	e->url = xstrdup(url);
	e->profile = profile;
	cat->areas[a].endpoint = (int)cat->n_endpoints++;
	return 0;
}

int
catalog_parse_endpoints(struct catalog *cat, const char *text, size_t len,
                        struct error *err)
{
	static const char *const header[] = { "area", "url", "profile" };
	struct csv_ctx c = { cat, header, 2, 3, 0, endpoint_row };

	return parse_csv(&c, text, len, err);
}

/* --- locating entries in measures.json ---------------------------------- */

/* One step of a path into the JSON text: a member by key, or the index-th
 * element of an array or member of an object (which tells duplicate keys
 * apart). */
struct step {
	const char *key; /* NULL: by index */
	int index;
};

struct src {
	const char *text;
	size_t len;
	size_t start; /* after a BOM */
	struct error *err;
};

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && is_ws(s[i]))
		i++;
	return i;
}

/* s[i] is '"': the offset just past the closing quote. */
static size_t
skip_string(const char *s, size_t n, size_t i)
{
	for (i++; i < n && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < n ? i + 1 : n;
}

/* The offset just past the value at i. A loop with a depth count, not
 * recursion: the text was accepted by cJSON, but stay bounded anyway. */
static size_t
skip_value(const char *s, size_t n, size_t i)
{
	size_t depth = 0;

	while (i < n) {
		char ch = s[i];

		if (ch == '"') {
			i = skip_string(s, n, i);
			if (depth == 0)
				return i;
			continue;
		}
		if (ch == '{' || ch == '[') {
			depth++;
		} else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return i;
			if (--depth == 0)
				return i + 1;
		} else if (depth == 0 &&
		           (ch == ',' || ch == ':' || is_ws(ch))) {
			return i;
		}
		i++;
	}
	return n;
}

/* In the container at i, the offset of the member's key (or of the
 * element), with *out_value where its value starts; n if not found. */
static size_t
find_in(const char *s, size_t n, size_t i, const struct step *st,
        size_t *out_value)
{
	size_t klen = st->key ? strlen(st->key) : 0;
	int idx = 0, is_object;

	if (i >= n || (s[i] != '{' && s[i] != '['))
		return n;
	is_object = s[i] == '{';
	if (st->key != NULL && !is_object)
		return n;
	for (i++;; idx++) {
		size_t at = i = skip_ws(s, n, i);
		int match;

		if (i >= n || s[i] == '}' || s[i] == ']')
			return n;
		if (is_object) {
			if (s[i] != '"')
				return n;
			i = skip_string(s, n, i);
			match = st->key
			            ? i - at >= 2 && i - at - 2 == klen &&
			                  memcmp(s + at + 1, st->key, klen) == 0
			            : idx == st->index;
			i = skip_ws(s, n, i);
			if (i >= n || s[i] != ':')
				return n;
			i = skip_ws(s, n, i + 1);
		} else {
			match = idx == st->index;
		}
		if (match) {
			*out_value = i;
			return at;
		}
		i = skip_ws(s, n, skip_value(s, n, i));
		if (i >= n || s[i] != ',')
			return n;
		i++;
	}
}

/* The 1-based line of byte at in text. */
static int
line_at(const char *text, size_t at)
{
	size_t i;
	int line = 1;

	for (i = 0; i < at; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* The 1-based line of the deepest point of path found in the text. */
static int
line_of(const struct src *src, const struct step *path, size_t n_path)
{
	size_t pos = skip_ws(src->text, src->len, src->start), best = pos;
	size_t i;

	for (i = 0; i < n_path; i++) {
		size_t value,
		    at = find_in(src->text, src->len, pos, &path[i], &value);

		if (at >= src->len)
			break;
		best = at;
		pos = value;
	}
	return line_at(src->text, best < src->len ? best : src->len);
}

/* Fails at the entry path[0..n_path) points at. */
static int fail(const struct src *src, const struct step *path, size_t n_path,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(const struct src *src, const struct step *path, size_t n_path,
     const char *fmt, ...)
{
	char msg[sizeof(src->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(src->err, line_of(src, path, n_path), "%s", msg);
}

/* --- measures.json ---------------------------------------------------- */

/* Refuses keys not in allowed (NULL-terminated) and duplicate keys. path
 * names obj; the error points at the key. */
static int
check_keys(const struct src *src, struct step *path, size_t n_path,
           const cJSON *obj, const char *const *allowed, const char *what)
{
	const cJSON *c, *d;
	size_t i;
	int idx = 0;

	for (c = obj->child; c != NULL; c = c->next, idx++) {
		path[n_path].key = NULL;
		path[n_path].index = idx;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(c->string, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return fail(src, path, n_path + 1,
			            "unknown key \"%.32s\" in %s", c->string,
			            what);
		for (d = obj->child; d != c; d = d->next)
			if (strcmp(d->string, c->string) == 0)
				return fail(src, path, n_path + 1,
				            "duplicate key \"%.32s\" in %s",
				            c->string, what);
	}
	return 0;
}

/* The string member key of obj into out (size out_size); absent is an
 * error unless is_optional (then out is left as it is). */
static int
get_string(const struct src *src, struct step *path, size_t n_path,
           const cJSON *obj, const char *key, bool is_optional, char *out,
           size_t out_size, const char *what)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	path[n_path].key = key;
	if (v == NULL) {
		if (is_optional)
			return 0;
		return fail(src, path, n_path, "%s has no \"%s\"", what, key);
	}
	if (!cJSON_IsString(v))
		return fail(src, path, n_path + 1,
		            "\"%s\" of %s must be a string", key, what);
	if (strlen(v->valuestring) >= out_size)
		return fail(src, path, n_path + 1,
		            "\"%s\" of %s is longer than %zu bytes", key, what,
		            out_size - 1);
	if (!is_clean_text(v->valuestring))
		return fail(
		    src, path, n_path + 1,
		    "\"%s\" of %s is not valid UTF-8 or holds a control "
		    "character",
		    key, what);
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

static int
get_number(const struct src *src, struct step *path, size_t n_path,
           const cJSON *obj, const char *key, bool is_optional, double *out,
           const char *what)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	path[n_path].key = key;
	if (v == NULL) {
		if (is_optional)
			return 0;
		return fail(src, path, n_path, "%s has no \"%s\"", what, key);
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return fail(src, path, n_path + 1,
		            "\"%s\" of %s must be a finite number", key, what);
	*out = v->valuedouble;
	return 0;
}

/* "name": {"fi": ..., "sv": ..., "en": ...}, all three required. */
static int
get_names(const struct src *src, struct step *path, size_t n_path,
          const cJSON *obj, char (*out)[NAME_MAX_BYTES], const char *what)
{
	static const char *const keys[] = { "fi", "sv", "en", NULL };
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(obj, "name");
	char why[96], of[96];
	int i;

	path[n_path].key = "name";
	if (names == NULL)
		return fail(
		    src, path, n_path,
		    "%s has no \"name\": names in fi, sv and en are required",
		    what);
	if (!cJSON_IsObject(names))
		return fail(
		    src, path, n_path + 1,
		    "\"name\" of %s must be an object with fi, sv and en",
		    what);
	snprintf(of, sizeof(of), "the name of %s", what);
	if (check_keys(src, path, n_path + 1, names, keys, of) < 0)
		return -1;
	for (i = 0; i < N_LANGS; i++) {
		const cJSON *v =
		    cJSON_GetObjectItemCaseSensitive(names, lang_keys[i]);

		path[n_path + 1].key = lang_keys[i];
		if (v == NULL)
			return fail(src, path, n_path + 1,
			            "%s has no name in \"%s\"", what,
			            lang_keys[i]);
		if (!cJSON_IsString(v))
			return fail(src, path, n_path + 2,
			            "name \"%s\" of %s must be a string",
			            lang_keys[i], what);
		if (copy_name(out[i], v->valuestring, why, sizeof(why)) < 0)
			return fail(src, path, n_path + 2,
			            "name \"%s\" of %s %s", lang_keys[i], what,
			            why);
	}
	return 0;
}

/* How errors name an entry: by its id if it has a good one, else by its
 * place ("measure 3"). */
static void
entry_name(char *out, size_t size, const char *kind, int idx, const cJSON *item,
           size_t id_max)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");

	if (cJSON_IsString(id) && is_ident(id->valuestring, id_max - 1))
		snprintf(out, size, "%s \"%s\"", kind, id->valuestring);
	else
		snprintf(out, size, "%s %d", kind, idx + 1);
}

static int
parse_measure(struct catalog *cat, const struct src *src, int idx,
              const cJSON *item)
{
	static const char *const keys[] = { "id",   "unit",      "min",
		                            "max",  "aggregate", "is_count",
		                            "name", NULL };
	struct step path[4] = { { "measures", 0 }, { NULL, idx } };
	struct measure m;
	char agg[16], what[64];
	const cJSON *v;
	size_t i;

	memset(&m, 0, sizeof(m));
	entry_name(what, sizeof(what), "measure", idx, item, MEASURE_ID_MAX);
	if (!cJSON_IsObject(item))
		return fail(src, path, 2, "%s must be an object", what);
	if (check_keys(src, path, 2, item, keys, what) < 0)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(item, "id");
	path[2].key = "id";
	if (v == NULL)
		return fail(src, path, 2, "%s has no \"id\"", what);
	if (!cJSON_IsString(v) || !is_ident(v->valuestring, MEASURE_ID_MAX - 1))
		return fail(
		    src, path, 3,
		    "bad measure id%s%.32s%s: want [a-z][a-z0-9_]{0,18} (an "
		    "RRD data-source name)",
		    cJSON_IsString(v) ? " \"" : "",
		    cJSON_IsString(v) ? v->valuestring : "",
		    cJSON_IsString(v) ? "\"" : "");
	snprintf(m.id, sizeof(m.id), "%s", v->valuestring);
	snprintf(what, sizeof(what), "measure \"%s\"", m.id);
	if (strcmp(m.id, "pop_fl") == 0 || strcmp(m.id, "pop_total") == 0)
		return fail(
		    src, path, 3,
		    "measure id \"%s\" is reserved for a reference figure",
		    m.id);
	for (i = 0; i < cat->n_measures; i++)
		if (strcmp(cat->measures[i].id, m.id) == 0)
			return fail(src, path, 3, "duplicate measure id \"%s\"",
			            m.id);
	if (get_string(src, path, 2, item, "unit", false, m.unit,
	               sizeof(m.unit), what) < 0 ||
	    get_number(src, path, 2, item, "min", false, &m.min, what) < 0 ||
	    get_number(src, path, 2, item, "max", false, &m.max, what) < 0)
		return -1;
	if (m.min > m.max) {
		path[2].key = "min";
		return fail(src, path, 3, "%s: min %g is greater than max %g",
		            what, m.min, m.max);
	}
	if (get_string(src, path, 2, item, "aggregate", false, agg, sizeof(agg),
	               what) < 0) {
		/* A too-long value is just an unknown aggregate. */
		if (cJSON_IsString(
		        cJSON_GetObjectItemCaseSensitive(item, "aggregate")))
			return fail(
			    src, path, 3,
			    "%s: unknown aggregate (want sum, mean, min or "
			    "max)",
			    what);
		return -1;
	}
	for (i = 0; i < sizeof(aggregate_names) / sizeof(*aggregate_names); i++)
		if (strcmp(agg, aggregate_names[i]) == 0)
			break;
	if (i == sizeof(aggregate_names) / sizeof(*aggregate_names))
		return fail(
		    src, path, 3,
		    "%s: unknown aggregate \"%s\" (want sum, mean, min or "
		    "max)",
		    what, agg);
	m.aggregate = (enum aggregate)i;
	v = cJSON_GetObjectItemCaseSensitive(item, "is_count");
	path[2].key = "is_count";
	if (v != NULL && !cJSON_IsBool(v))
		return fail(src, path, 3,
		            "\"is_count\" of %s must be true or "
		            "false",
		            what);
	m.is_count = cJSON_IsTrue(v);
	if (get_names(src, path, 2, item, m.name, what) < 0)
		return -1;
	cat->measures =
	    grow(cat->measures, cat->n_measures, sizeof(*cat->measures));
	cat->measures[cat->n_measures++] = m;
	return 0;
}

static int
is_ref_name(const char *s, size_t n, enum ref *out)
{
	if (n == 6 && memcmp(s, "pop_fl", 6) == 0) {
		*out = REF_POP_FL;
		return 1;
	}
	if (n == 9 && memcmp(s, "pop_total", 9) == 0) {
		*out = REF_POP_TOTAL;
		return 1;
	}
	return 0;
}

/* s[0..n) trimmed of spaces, in place. */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

static int
find_measure_n(const struct catalog *cat, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < cat->n_measures; i++)
		if (strlen(cat->measures[i].id) == n &&
		    memcmp(cat->measures[i].id, s, n) == 0)
			return (int)i;
	return -1;
}

/* "measure", "measure*pop_fl", "measure*pop_total", "pop_fl" or
 * "pop_total", spaces allowed around "*". Fills why on error. */
static int
parse_term(const struct catalog *cat, const char *s, struct term *out,
           char *why, size_t why_size)
{
	const char *star = strchr(s, '*'), *a = s, *b = NULL;
	size_t na = star ? (size_t)(star - s) : strlen(s), nb = 0;
	enum ref ref;

	trim(&a, &na);
	if (star != NULL) {
		b = star + 1;
		nb = strlen(b);
		trim(&b, &nb);
	}
	if (na == 0 || (star != NULL && (nb == 0 || strchr(b, '*') != NULL))) {
		snprintf(
		    why, why_size,
		    "malformed term \"%.40s\": want measure, measure*pop_fl, "
		    "measure*pop_total, pop_fl or pop_total",
		    s);
		return -1;
	}
	if (is_ref_name(a, na, &ref)) {
		if (star != NULL) {
			snprintf(why, why_size,
			         "malformed term \"%.40s\": a reference figure "
			         "weights a measure, as \"measure*pop_fl\"",
			         s);
			return -1;
		}
		out->measure = -1;
		out->ref = ref;
		return 0;
	}
	out->measure = find_measure_n(cat, a, na);
	if (out->measure < 0) {
		snprintf(why, why_size, "unknown measure \"%.*s\"",
		         (int)(na > 32 ? 32 : na), a);
		return -1;
	}
	out->ref = REF_NONE;
	if (star != NULL && !is_ref_name(b, nb, &out->ref)) {
		snprintf(why, why_size,
		         "unknown reference \"%.*s\": want pop_fl or pop_total",
		         (int)(nb > 32 ? 32 : nb), b);
		return -1;
	}
	return 0;
}

static int
parse_indicator(struct catalog *cat, const struct src *src, int idx,
                const cJSON *item)
{
	static const char *const keys[] = { "id",          "kind",  "numerator",
		                            "denominator", "scale", "unit",
		                            "name",        NULL };
	static const char *const sides[] = { "numerator", "denominator" };
	struct step path[4] = { { "indicators", 0 }, { NULL, idx } };
	struct indicator ind;
	char kind[16] = "ratio", what[64], why[160];
	const cJSON *v;
	size_t i;
	int side;

	memset(&ind, 0, sizeof(ind));
	ind.num.measure = ind.den.measure = -1;
	ind.scale = 1;
	entry_name(what, sizeof(what), "indicator", idx, item,
	           INDICATOR_ID_MAX);
	if (!cJSON_IsObject(item))
		return fail(src, path, 2, "%s must be an object", what);
	if (check_keys(src, path, 2, item, keys, what) < 0)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(item, "id");
	path[2].key = "id";
	if (v == NULL)
		return fail(src, path, 2, "%s has no \"id\"", what);
	if (!cJSON_IsString(v) ||
	    !is_ident(v->valuestring, INDICATOR_ID_MAX - 1))
		return fail(
		    src, path, 3,
		    "bad indicator id%s%.40s%s: want [a-z][a-z0-9_]{0,30}",
		    cJSON_IsString(v) ? " \"" : "",
		    cJSON_IsString(v) ? v->valuestring : "",
		    cJSON_IsString(v) ? "\"" : "");
	snprintf(ind.id, sizeof(ind.id), "%s", v->valuestring);
	snprintf(what, sizeof(what), "indicator \"%s\"", ind.id);
	for (i = 0; i < cat->n_indicators; i++)
		if (strcmp(cat->indicators[i].id, ind.id) == 0)
			return fail(src, path, 3,
			            "duplicate indicator id \"%s\"", ind.id);
	/* The series API takes a measure where it takes an indicator. */
	if (catalog_find_measure(cat, ind.id) >= 0)
		return fail(src, path, 3,
		            "indicator id \"%s\" is also a measure id", ind.id);
	if (get_string(src, path, 2, item, "kind", true, kind, sizeof(kind),
	               what) < 0)
		return -1;
	if (strcmp(kind, "ratio") == 0) {
		ind.kind = IND_RATIO;
	} else if (strcmp(kind, "reporting") == 0) {
		ind.kind = IND_REPORTING;
	} else {
		path[2].key = "kind";
		return fail(src, path, 3,
		            "%s: unknown kind \"%s\" (want ratio or reporting)",
		            what, kind);
	}
	for (side = 0; side < 2; side++) {
		struct term *t = side == 0 ? &ind.num : &ind.den;

		v = cJSON_GetObjectItemCaseSensitive(item, sides[side]);
		path[2].key = sides[side];
		if (ind.kind == IND_REPORTING) {
			if (v != NULL)
				return fail(
				    src, path, 3,
				    "%s: a reporting indicator has no %s", what,
				    sides[side]);
			continue;
		}
		if (v == NULL) {
			if (side == 0)
				return fail(src, path, 2,
				            "%s has no \"numerator\"", what);
			continue;
		}
		if (!cJSON_IsString(v))
			return fail(src, path, 3, "%s: %s must be a string",
			            what, sides[side]);
		if (parse_term(cat, v->valuestring, t, why, sizeof(why)) < 0)
			return fail(src, path, 3, "%s: %s: %s", what,
			            sides[side], why);
	}
	if (get_number(src, path, 2, item, "scale", true, &ind.scale, what) < 0)
		return -1;
	if (!(ind.scale > 0)) {
		path[2].key = "scale";
		return fail(src, path, 3, "%s: scale must be positive", what);
	}
	if (get_string(src, path, 2, item, "unit", false, ind.unit,
	               sizeof(ind.unit), what) < 0 ||
	    get_names(src, path, 2, item, ind.name, what) < 0)
		return -1;
	cat->indicators =
	    grow(cat->indicators, cat->n_indicators, sizeof(*cat->indicators));
	cat->indicators[cat->n_indicators++] = ind;
	return 0;
}

/* [a-z0-9_]+ at s; its length. */
static size_t
ident_len(const char *s)
{
	size_t n = 0;

	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
	       s[n] == '_')
		n++;
	return n;
}

static int
parse_rule(struct catalog *cat, const struct src *src, int idx,
           const cJSON *item)
{
	static const struct {
		const char *text;
		enum rule_op op;
	} ops[] = {
		/* two-character operators first */
		{ "<=", RULE_LE }, { ">=", RULE_GE }, { "==", RULE_EQ },
		{ "<", RULE_LT },  { ">", RULE_GT },
	};
	struct step path[2] = { { "rules", 0 }, { NULL, idx } };
	struct rule r;
	const char *s, *p, *lhs, *rhs;
	size_t nl, nr, i;

	memset(&r, 0, sizeof(r));
	if (!cJSON_IsString(item))
		return fail(src, path, 2, "rule %d must be a string", idx + 1);
	s = item->valuestring;
	if (strlen(s) >= sizeof(r.text))
		return fail(src, path, 2, "rule %d is longer than %zu bytes",
		            idx + 1, sizeof(r.text) - 1);
	p = s + strspn(s, " \t");
	lhs = p;
	nl = ident_len(p);
	p += nl;
	p += strspn(p, " \t");
	for (i = 0; i < sizeof(ops) / sizeof(*ops); i++)
		if (strncmp(p, ops[i].text, strlen(ops[i].text)) == 0)
			break;
	if (nl == 0 || i == sizeof(ops) / sizeof(*ops))
		goto malformed;
	r.op = ops[i].op;
	p += strlen(ops[i].text);
	p += strspn(p, " \t");
	rhs = p;
	nr = ident_len(p);
	p += nr;
	p += strspn(p, " \t");
	if (nr == 0 || *p != '\0')
		goto malformed;
	r.lhs = find_measure_n(cat, lhs, nl);
	r.rhs = find_measure_n(cat, rhs, nr);
	if (r.lhs < 0 || r.rhs < 0)
		return fail(src, path, 2,
		            "rule \"%s\": unknown measure \"%.*s\"", s,
		            (int)(r.lhs < 0 ? nl : nr), r.lhs < 0 ? lhs : rhs);
	if (r.lhs == r.rhs)
		return fail(src, path, 2,
		            "rule \"%s\" compares a measure with itself", s);
	for (i = 0; i < cat->n_rules; i++)
		if (cat->rules[i].lhs == r.lhs && cat->rules[i].rhs == r.rhs &&
		    cat->rules[i].op == r.op)
			return fail(src, path, 2, "duplicate rule \"%s\"", s);
	memcpy(r.text, s, strlen(s) + 1);
	cat->rules = grow(cat->rules, cat->n_rules, sizeof(*cat->rules));
	cat->rules[cat->n_rules++] = r;
	return 0;
malformed:
	return fail(
	    src, path, 2,
	    "malformed rule \"%s\": want \"measure OP measure\" with OP one "
	    "of < <= == >= >",
	    s);
}

/* A JSON Pointer member (field) of a profile (what) into *out (heap),
 * validated. */
static int
get_pointer(const struct src *src, struct step *path, size_t n_path,
            const cJSON *v, const char *what, const char *field, char **out)
{
	struct error perr;

	memset(&perr, 0, sizeof(perr));
	if (!cJSON_IsString(v))
		return fail(src, path, n_path,
		            "%s: %s must be a JSON Pointer string", what,
		            field);
	if (jsonptr_validate(v->valuestring, &perr) < 0)
		return fail(src, path, n_path, "%s: %s: %s", what, field,
		            perr.msg);
	free(*out);
	*out = xstrdup(v->valuestring);
	return 0;
}

static int
parse_profile(struct catalog *cat, const struct src *src, int idx,
              const cJSON *item)
{
	static const char *const keys[] = { "municipality", "period",
		                            "measures", NULL };
	struct step path[4] = { { "profiles", 0 }, { NULL, idx } };
	const char *name = item->string;
	struct profile *p;
	char what[64], buf[MEASURE_ID_MAX + 16];
	const cJSON *v, *c;
	size_t i, n = strlen(name);
	int k = 0;

	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		      name[i] == '-' || name[i] == '.'))
			break;
	if (n == 0 || n >= PROFILE_NAME_MAX || i < n)
		return fail(src, path, 2,
		            "bad profile name \"%.40s\": want 1 to %d of "
		            "[A-Za-z0-9_.-]",
		            name, PROFILE_NAME_MAX - 1);
	snprintf(what, sizeof(what), "profile \"%s\"", name);
	if (catalog_find_profile(cat, name) >= 0)
		return fail(src, path, 2, "duplicate profile \"%s\"", name);
	if (!cJSON_IsObject(item))
		return fail(src, path, 2, "%s must be an object", what);
	if (check_keys(src, path, 2, item, keys, what) < 0)
		return -1;

	/* Append first, filled with defaults, so that catalog_unref frees
	 * whatever an error below leaves half-done. */
	cat->profiles =
	    grow(cat->profiles, cat->n_profiles, sizeof(*cat->profiles));
	p = &cat->profiles[cat->n_profiles++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->municipality_ptr = xstrdup("/municipality");
	p->period_ptr = xstrdup("/period");
	p->measure_ptr =
	    xcalloc(cat->n_measures ? cat->n_measures : 1, sizeof(char *));
	for (i = 0; i < cat->n_measures; i++) {
		snprintf(buf, sizeof(buf), "/measures/%s", cat->measures[i].id);
		p->measure_ptr[i] = xstrdup(buf);
	}

	v = cJSON_GetObjectItemCaseSensitive(item, "municipality");
	path[2].key = "municipality";
	if (v != NULL && get_pointer(src, path, 3, v, what, "municipality",
	                             &p->municipality_ptr) < 0)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(item, "period");
	path[2].key = "period";
	if (v != NULL &&
	    get_pointer(src, path, 3, v, what, "period", &p->period_ptr) < 0)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(item, "measures");
	path[2].key = "measures";
	if (v == NULL)
		return 0;
	if (!cJSON_IsObject(v))
		return fail(
		    src, path, 3,
		    "%s: \"measures\" must be an object of measure ids to "
		    "JSON Pointers",
		    what);
	for (c = v->child; c != NULL; c = c->next, k++) {
		int m = catalog_find_measure(cat, c->string);

		path[3].key = NULL;
		path[3].index = k;
		if (m < 0)
			return fail(src, path, 4,
			            "%s: unknown measure \"%.32s\"", what,
			            c->string);
		for (const cJSON *d = v->child; d != c; d = d->next)
			if (strcmp(d->string, c->string) == 0)
				return fail(
				    src, path, 4,
				    "%s: measure \"%s\" is mapped twice", what,
				    c->string);
		if (get_pointer(src, path, 4, c, what, c->string,
		                &p->measure_ptr[m]) < 0)
			return -1;
	}
	return 0;
}

/* Applies parse to each element of the array (or member of the object)
 * under key, if there is one. */
static int
parse_section(struct catalog *cat, const struct src *src, const cJSON *root,
              const char *key, bool is_object, bool is_required,
              int (*parse)(struct catalog *, const struct src *, int,
                           const cJSON *))
{
	const cJSON *sec = cJSON_GetObjectItemCaseSensitive(root, key), *c;
	struct step path[1] = { { key, 0 } };
	int i = 0;

	if (sec == NULL) {
		if (is_required)
			return fail(src, path, 0, "no \"%s\" array", key);
		return 0;
	}
	if (is_object ? !cJSON_IsObject(sec) : !cJSON_IsArray(sec))
		return fail(src, path, 1, "\"%s\" must be an %s", key,
		            is_object ? "object" : "array");
	for (c = sec->child; c != NULL; c = c->next, i++) {
		if (i >= MAX_ENTRIES) {
			struct step at[2] = { { key, 0 }, { NULL, i } };

			return fail(src, at, 2,
			            "more than %d entries in \"%s\"",
			            MAX_ENTRIES, key);
		}
		if (parse(cat, src, i, c) < 0)
			return -1;
	}
	return 0;
}

int
catalog_parse_measures(struct catalog *cat, const char *text, size_t len,
                       struct error *err)
{
	static const char *const keys[] = { "measures", "indicators", "rules",
		                            "profiles", NULL };
	struct src src = { text, len, 0, err };
	struct step path[1];
	const char *end = NULL;
	const void *nul;
	cJSON *root = NULL;
	size_t at;
	int rc = -1;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		src.start = 3;
	/* cJSON would end a string at a NUL without a word. */
	nul = memchr(text, '\0', len);
	if (nul != NULL)
		return error_set(
		    err, line_at(text, (size_t)((const char *)nul - text)),
		    "NUL byte");
	/* The Opts variant reports where parsing stopped through an
	 * argument, not cJSON's global error, so concurrent parses elsewhere
	 * cannot garble the line. */
	root = cJSON_ParseWithLengthOpts(text + src.start, len - src.start,
	                                 &end, 0);
	at = end != NULL && end >= text && end <= text + len
	         ? (size_t)(end - text)
	         : len;
	if (root == NULL) {
		int n = 0;

		if (skip_ws(text, len, at) >= len)
			return error_set(
			    err, line_at(text, len),
			    "JSON syntax error: the text ends too early");
		/* Quote printable ASCII only: the message may reach a log. */
		while (n < 16 && at + n < len && text[at + n] >= 0x20 &&
		       text[at + n] < 0x7f)
			n++;
		if (n == 0)
			return error_set(err, line_at(text, at),
			                 "JSON syntax error");
		return error_set(err, line_at(text, at),
		                 "JSON syntax error near \"%.*s\"", n,
		                 text + at);
	}
	at = skip_ws(text, len, at);
	if (at < len) {
		error_set(err, line_at(text, at), "text after the JSON object");
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		error_set(err, 1, "measures.json must hold one JSON object");
		goto out;
	}
	if (check_keys(&src, path, 0, root, keys, "measures.json") < 0)
		goto out;
	if (parse_section(cat, &src, root, "measures", false, true,
	                  parse_measure) < 0 ||
	    parse_section(cat, &src, root, "indicators", false, false,
	                  parse_indicator) < 0 ||
	    parse_section(cat, &src, root, "rules", false, false, parse_rule) <
	        0 ||
	    parse_section(cat, &src, root, "profiles", true, false,
	                  parse_profile) < 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

/* --- the whole ---------------------------------------------------------- */

/* Every area's municipalities in one array, in catalog order: the
 * country's, each region's, each municipality itself. */
static void
group_members(struct catalog *cat)
{
	size_t a, n = 0;

	free(cat->members);
	free(cat->members_start);
	cat->members = xcalloc(3 * cat->n_areas + 1, sizeof(*cat->members));
	cat->members_start =
	    xcalloc(cat->n_areas + 1, sizeof(*cat->members_start));
	for (a = 0; a < cat->n_areas; a++) {
		cat->members_start[a] = n;
		n += catalog_municipalities_of(cat, (int)a, cat->members + n);
	}
	cat->members_start[cat->n_areas] = n;
}

int
catalog_finish(struct catalog *cat, struct error *err)
{
	size_t i;

	if (cat->n_measures == 0)
		return error_set(err, 0, "no measures defined");
	cat->first_municipality = 1 + cat->n_regions;
	for (i = 0; i < cat->first_municipality; i++)
		cat->areas[i].pop_total = cat->areas[i].pop_fl = 0;
	for (i = cat->first_municipality; i < cat->n_areas; i++) {
		const struct area *m = &cat->areas[i];

		if (m->level != AREA_MUNICIPALITY || m->region < 1 ||
		    (size_t)m->region > cat->n_regions)
			return error_set(
			    err, 0,
			    "area %s is out of order: regions must be read "
			    "before municipalities",
			    m->code);
		cat->areas[m->region].pop_total += m->pop_total;
		cat->areas[m->region].pop_fl += m->pop_fl;
		cat->areas[0].pop_total += m->pop_total;
		cat->areas[0].pop_fl += m->pop_fl;
	}
	group_members(cat);
	return 0;
}

/* Reads a whole file, at most MAX_FILE_BYTES. */
static char *
read_file(const char *path, size_t *out_len, struct error *err)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		error_set(err, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			data = xrealloc(data, cap);
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (len > MAX_FILE_BYTES) {
			error_set(err, 0, "larger than %d bytes",
			          MAX_FILE_BYTES);
			goto fail;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		error_set(err, 0, "cannot read: %s", strerror(errno));
		goto fail;
	}
	fclose(f);
	*out_len = len;
	return data;
fail:
	fclose(f);
	free(data);
	return NULL;
}

/* Names the file at fault; a path too long for err->file keeps its end,
 * the part that tells files apart. */
static void
set_file(struct error *err, const char *path)
{
	size_t n = strlen(path), room = sizeof(err->file) - 1;

	memcpy(err->file, n > room ? path + (n - room) : path,
	       (n > room ? room : n) + 1);
}

struct catalog *
catalog_load(const struct config *cfg, struct error *err)
{
	static const struct {
		size_t path_offset;
		int (*parse)(struct catalog *, const char *, size_t,
		             struct error *);
		bool is_optional; /* an empty path means none */
	} files[] = {
		{ offsetof(struct config, regions_path), catalog_parse_regions,
		  false },
		{ offsetof(struct config, municipalities_path),
		  catalog_parse_municipalities, false },
		{ offsetof(struct config, measures_path),
		  catalog_parse_measures, false },
		{ offsetof(struct config, endpoints_path),
		  catalog_parse_endpoints, true },
	};
	struct catalog *cat = catalog_new();
	size_t i, len;

	for (i = 0; i < sizeof(files) / sizeof(*files); i++) {
		const char *path = (const char *)cfg + files[i].path_offset;
		char *text;
		int rc;

		if (files[i].is_optional && path[0] == '\0')
			continue;
		set_file(err, path);
		text = read_file(path, &len, err);
		if (text == NULL)
			goto fail;
		rc = files[i].parse(cat, text, len, err);
		free(text);
		if (rc < 0)
			goto fail;
	}
	/* What catalog_finish checks is about measures. */
	set_file(err, cfg->measures_path);
	if (catalog_finish(cat, err) < 0)
		goto fail;
	err->file[0] = '\0';
	return cat;
fail:
	catalog_unref(cat);
	return NULL;
}

/* --- lookups ------------------------------------------------------------ */

int
catalog_find_area(const struct catalog *cat, const char *code)
{
	size_t i;

	if (code == NULL)
		return -1;
	if (cat->area_hash != NULL) {
		size_t mask = cat->area_hash_cap - 1;

		for (i = hash_code(code) & mask; cat->area_hash[i] != 0;
		     i = (i + 1) & mask)
			if (strcmp(cat->areas[cat->area_hash[i] - 1].code,
			           code) == 0)
				return cat->area_hash[i] - 1;
		return -1;
	}
	for (i = 0; i < cat->n_areas; i++)
		if (strcmp(cat->areas[i].code, code) == 0)
			return (int)i;
	return -1;
}

int
catalog_find_measure(const struct catalog *cat, const char *id)
{
	return id == NULL ? -1 : find_measure_n(cat, id, strlen(id));
}

int
catalog_find_indicator(const struct catalog *cat, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < cat->n_indicators; i++)
		if (strcmp(cat->indicators[i].id, id) == 0)
			return (int)i;
	return -1;
}

int
catalog_find_profile(const struct catalog *cat, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < cat->n_profiles; i++)
		if (strcmp(cat->profiles[i].name, name) == 0)
			return (int)i;
	return -1;
}

size_t
catalog_municipalities_of(const struct catalog *cat, int area, int *out)
{
	size_t i, n = 0, first = 1 + cat->n_regions;

	if (area < 0 || (size_t)area >= cat->n_areas)
		return 0;
	switch (cat->areas[area].level) {
	case AREA_MUNICIPALITY:
		out[n++] = area;
		break;
	case AREA_REGION:
	case AREA_COUNTRY:
		for (i = first; i < cat->n_areas; i++)
			if (cat->areas[area].level == AREA_COUNTRY ||
			    cat->areas[i].region == area)
				out[n++] = (int)i;
		break;
	}
	return n;
}

size_t
catalog_members(const struct catalog *cat, int area, const int **out)
{
	if (cat->members == NULL || area < 0 || (size_t)area >= cat->n_areas) {
		*out = NULL;
		return 0;
	}
	*out = cat->members + cat->members_start[area];
	return cat->members_start[area + 1] - cat->members_start[area];
}

double
catalog_ref_value(const struct area *a, enum ref ref)
{
	switch (ref) {
	case REF_POP_TOTAL:
		return a->pop_total;
	case REF_POP_FL:
		return a->pop_fl;
	case REF_NONE:
		break;
	}
	return 1;
}

const char *
catalog_aggregate_name(enum aggregate agg)
{
	if ((unsigned)agg < sizeof(aggregate_names) / sizeof(*aggregate_names))
		return aggregate_names[agg];
	return "unknown";
}
