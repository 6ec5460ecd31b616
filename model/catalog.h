/*
 * catalog.h: areas, measures, indicators, rules, profiles and endpoints
 * (SPEC §3) as one immutable snapshot.
 *
 * A catalog is built by the pure catalog_parse_* functions, checked whole by
 * catalog_finish, and then never changes: the daemon swaps snapshots on
 * SIGHUP only if the new one validates, and readers hold a reference
 * (catalog_ref/catalog_unref are thread-safe).
 *
 * Area order: index 0 is the country SSS, then the regions (MKxx) in the
 * order of regions.csv, then the municipalities (KUxxx) in the order of
 * municipalities.csv.
 */
#ifndef KUNTAMON_CATALOG_H
#define KUNTAMON_CATALOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "error.h"

enum lang { LANG_FI, LANG_SV, LANG_EN, N_LANGS };

enum area_level { AREA_COUNTRY, AREA_REGION, AREA_MUNICIPALITY };

#define AREA_CODE_MAX 8 /* "KU091" + NUL fits; "SSS", "MK01" */
#define NAME_MAX_BYTES 128
#define MEASURE_ID_MAX 20 /* [a-z][a-z0-9_]{0,18} + NUL: an RRD DS name */

struct area {
	char code[AREA_CODE_MAX];
	char name[N_LANGS][NAME_MAX_BYTES];
	enum area_level level;
	int region;       /* a municipality's region (area index), else -1 */
	double pop_total; /* reference figures; for regions and the country */
	double pop_fl;    /* the sums over their municipalities */
	int endpoint;     /* index into endpoints; -1: reports by submission */
};

enum aggregate { AGG_SUM, AGG_MEAN, AGG_MIN, AGG_MAX };

struct measure {
	char id[MEASURE_ID_MAX];
	char unit[32];
	double min, max;
	enum aggregate aggregate;
	bool is_count;
	char name[N_LANGS][NAME_MAX_BYTES];
};

/* A reference figure of an area. */
enum ref { REF_NONE, REF_POP_TOTAL, REF_POP_FL };

/* One side of an indicator: a measure, a measure weighted by a reference
 * figure ("gp_open*pop_fl"), or a reference figure alone ("pop_fl"). */
struct term {
	int measure; /* measure index, or -1 */
	enum ref ref;
};

enum indicator_kind {
	IND_RATIO, /* sum(num)/sum(den)*scale (den absent: sum(num)*scale) */
	IND_REPORTING, /* reporting_rate: municipalities reporting/expected*100 */
};

struct indicator {
	char id[32];
	enum indicator_kind kind;
	struct term num;
	struct term den; /* den.measure == -1 && den.ref == REF_NONE: none */
	double scale;
	char unit[32];
	char name[N_LANGS][NAME_MAX_BYTES];
};

enum rule_op { RULE_LT, RULE_LE, RULE_EQ, RULE_GE, RULE_GT };

/* A cross-check within one document: lhs op rhs. */
struct rule {
	int lhs, rhs; /* measure indices */
	enum rule_op op;
	char text[96]; /* as written: "contacts_remote <= contacts" */
};

/* Where an endpoint's document keeps its figures. Pointers are RFC 6901. */
struct profile {
	char name[32];
	char *municipality_ptr; /* default "/municipality" */
	char *period_ptr;       /* default "/period" */
	char **measure_ptr;     /* [n_measures]; default "/measures/<id>" */
};

struct endpoint {
	int area; /* a municipality */
	char *url;
	int profile; /* index into profiles; -1: the default layout */
};

struct catalog {
	atomic_int refs;

	struct area *areas;
	size_t n_areas;
	size_t n_regions;          /* areas[1 .. n_regions] */
	size_t first_municipality; /* = 1 + n_regions once finished */

	struct measure *measures;
	size_t n_measures;
	struct indicator *indicators;
	size_t n_indicators;
	struct rule *rules;
	size_t n_rules;
	struct profile *profiles;
	size_t n_profiles;
	struct endpoint *endpoints;
	size_t n_endpoints;

	/* Private to catalog.c: open-addressing hash of area codes (slots hold
	 * area index + 1, 0 is empty) for catalog_find_area. A catalog built
	 * by hand (tests) leaves it NULL and lookups scan instead. */
	int *area_hash;
	size_t area_hash_cap; /* a power of two, at least 2 * n_areas */
	/* Private to catalog.c: the municipalities of every area, grouped by
	 * catalog_finish (area a's are members[members_start[a] ..
	 * members_start[a + 1])), for catalog_members. */
	int *members;
	size_t *members_start;
};

/* An empty catalog holding only the country SSS, with one reference. */
struct catalog *catalog_new(void);
struct catalog *catalog_ref(struct catalog *cat);
/* Drops a reference; frees on the last. NULL is a no-op. */
void catalog_unref(struct catalog *cat);

/* Pure parsers, each of one file's bytes, applied in this order. On error
 * -1 with err->line (1-based line in that file) and err->msg. */
/* regions.csv: code,name_fi,name_sv[,name_en] with header; "01" -> MK01. */
int catalog_parse_regions(struct catalog *cat, const char *text, size_t len,
                          struct error *err);
/* municipalities.csv: code,name_fi,name_sv,region_code,region_name_fi,
 * region_name_sv,population,foreign_language_population; "091" -> KU091. */
int catalog_parse_municipalities(struct catalog *cat, const char *text,
                                 size_t len, struct error *err);
/* measures.json: {"measures":[...],"indicators":[...],"rules":[...],
 * "profiles":{...}}. err->line is the line of the offending entry. */
int catalog_parse_measures(struct catalog *cat, const char *text, size_t len,
                           struct error *err);
/* endpoints.csv: area,url[,profile] with header. */
int catalog_parse_endpoints(struct catalog *cat, const char *text, size_t len,
                            struct error *err);
/* Cross-checks the whole and sums reference figures into regions and the
 * country. */
int catalog_finish(struct catalog *cat, struct error *err);

/* Reads the four files cfg names and returns a finished catalog with one
 * reference, or NULL with err->file, err->line, err->msg. */
struct catalog *catalog_load(const struct config *cfg, struct error *err);

/* Lookups by code or id; -1 if unknown. Exact, case-sensitive. */
int catalog_find_area(const struct catalog *cat, const char *code);
int catalog_find_measure(const struct catalog *cat, const char *id);
int catalog_find_indicator(const struct catalog *cat, const char *id);
int catalog_find_profile(const struct catalog *cat, const char *name);

/* The municipalities an area covers, as area indices into out (capacity
 * cat->n_areas): all for SSS, a region's own, or the municipality itself.
 * Returns how many. */
size_t catalog_municipalities_of(const struct catalog *cat, int area, int *out);

/* The municipalities an area covers, as catalog_municipalities_of lists
 * them, without a copy: *out points into the finished catalog. An
 * unfinished catalog has no lists: 0 and NULL (callers scan instead). */
size_t catalog_members(const struct catalog *cat, int area, const int **out);

/* The value of a reference figure for an area; 1 for REF_NONE, so that a
 * term's value is always measure * catalog_ref_value(area, ref). */
double catalog_ref_value(const struct area *a, enum ref ref);

const char *catalog_aggregate_name(enum aggregate agg);

#endif
