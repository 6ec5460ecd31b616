/*
 * test_catalog.c: the shipped catalog (config/) loads whole and matches
 * SPEC §3; a small catalog under tests/data/catalog/ exercises profiles,
 * endpoints, CRLF and BOM; and a table of broken catalogs is refused, each
 * with the right line and message.
 *
 * The repository root is $SRC (tests/run.sh sets it), else found from
 * __FILE__ or by walking up from the working folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "check.h"

static char root[900];

static int
has_config(const char *dir)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/config/measures.json", dir);
	return access(path, R_OK) == 0;
}

static void
find_root(void)
{
	const char *env = getenv("SRC");
	const char *tail = "/tests/unit/model/test_catalog.c";
	size_t n = strlen(__FILE__), t = strlen(tail);
	int up;

	if (env != NULL && env[0] != '\0' && has_config(env)) {
		snprintf(root, sizeof(root), "%s", env);
		return;
	}
	if (n >= t && strcmp(__FILE__ + n - t, tail) == 0) {
		snprintf(root, sizeof(root), "%.*s", (int)(n - t), __FILE__);
		if (root[0] == '\0')
			snprintf(root, sizeof(root), "/");
		if (has_config(root))
			return;
	}
	snprintf(root, sizeof(root), ".");
	for (up = 0; up < 5 && !has_config(root); up++)
		snprintf(root + strlen(root), sizeof(root) - strlen(root),
		         "/..");
}

static char *
read_all(const char *path, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		fclose(f);
		return NULL;
	}
	data[n] = '\0';
	fclose(f);
	*out_len = (size_t)n;
	return data;
}

/* snprintf that treats truncation as a failed test. */
static void
fmt_path(char *out, size_t size, const char *dir, const char *file)
{
	if (snprintf(out, size, "%s/%s/%s", root, dir, file) >= (int)size) {
		fprintf(stderr, "path too long: %s/%s/%s\n", root, dir, file);
		check_fails++;
	}
}

static void
set_paths(struct config *cfg, const char *dir, const char *endpoints)
{
	memset(cfg, 0, sizeof(*cfg));
	fmt_path(cfg->regions_path, sizeof(cfg->regions_path), dir,
	         "regions.csv");
	fmt_path(cfg->municipalities_path, sizeof(cfg->municipalities_path),
	         dir, "municipalities.csv");
	fmt_path(cfg->measures_path, sizeof(cfg->measures_path), dir,
	         "measures.json");
	fmt_path(cfg->endpoints_path, sizeof(cfg->endpoints_path), dir,
	         endpoints);
}

static struct catalog *
load_shipped(void)
{
	struct config cfg;
	struct error err;
	struct catalog *cat;

	memset(&err, 0, sizeof(err));
	set_paths(&cfg, "config", "endpoints.csv");
	cat = catalog_load(&cfg, &err);
	if (cat == NULL)
		fprintf(stderr, "%s:%d: %s\n", err.file, err.line, err.msg);
	return cat;
}

static void
test_shipped_areas(void)
{
	struct catalog *cat = load_shipped();
	const int *members_none;
	int *out, a, i;
	size_t n, n_sum = 0;
	double pop = 0, pop_fl = 0;

	CHECK(cat != NULL);
	if (cat == NULL)
		return;
	CHECK(cat->n_areas == 1 + 19 + 308);
	CHECK(cat->n_regions == 19);
	CHECK(cat->first_municipality == 20);
	CHECK_STR(cat->areas[0].code, "SSS");
	CHECK(cat->areas[0].level == AREA_COUNTRY);
	CHECK_STR(cat->areas[0].name[LANG_FI], "Koko maa");
	CHECK_STR(cat->areas[0].name[LANG_SV], "Hela landet");
	CHECK_STR(cat->areas[0].name[LANG_EN], "Whole country");
	CHECK_NEAR(cat->areas[0].pop_total, 5652881, 0);
	CHECK_NEAR(cat->areas[0].pop_fl, 646283, 0);

	/* Regions in file order; their sums add up to the country. */
	CHECK_STR(cat->areas[1].code, "MK01");
	CHECK_STR(cat->areas[19].code, "MK21");
	out = malloc(cat->n_areas * sizeof(int));
	for (i = 1; i <= 19; i++) {
		CHECK(cat->areas[i].level == AREA_REGION);
		CHECK(cat->areas[i].region == -1);
		n = catalog_municipalities_of(cat, i, out);
		CHECK(n > 0);
		n_sum += n;
		pop += cat->areas[i].pop_total;
		pop_fl += cat->areas[i].pop_fl;
	}
	CHECK(n_sum == 308);
	CHECK_NEAR(pop, 5652881, 0);
	CHECK_NEAR(pop_fl, 646283, 0);
	CHECK(catalog_municipalities_of(cat, 0, out) == 308);
	CHECK(out[0] == 20 && out[307] == 327);

	a = catalog_find_area(cat, "MK01");
	CHECK(a == 1);
	n = catalog_municipalities_of(cat, a, out);
	CHECK(n == 26);
	for (i = 0; i < (int)n; i++)
		CHECK(cat->areas[out[i]].region == a);
	CHECK_STR(cat->areas[catalog_find_area(cat, "MK02")].name[LANG_EN],
	          "Southwest Finland");
	CHECK_STR(cat->areas[catalog_find_area(cat, "MK17")].name[LANG_EN],
	          "North Ostrobothnia");
	CHECK_STR(cat->areas[catalog_find_area(cat, "MK21")].name[LANG_EN],
	          "Åland");
	CHECK_STR(cat->areas[catalog_find_area(cat, "MK21")].name[LANG_FI],
	          "Ahvenanmaa");
	CHECK_STR(cat->areas[catalog_find_area(cat, "MK05")].name[LANG_SV],
	          "Egentliga Tavastland");
	CHECK(catalog_municipalities_of(cat, catalog_find_area(cat, "MK21"),
	                                out) == 16);

	/* Municipalities: codes keep their leading zeros; English names. */
	a = catalog_find_area(cat, "KU091");
	CHECK(a >= 20);
	CHECK_STR(cat->areas[a].name[LANG_FI], "Helsinki");
	CHECK_STR(cat->areas[a].name[LANG_SV], "Helsingfors");
	CHECK_STR(cat->areas[a].name[LANG_EN], "Helsinki");
	CHECK(cat->areas[a].level == AREA_MUNICIPALITY);
	CHECK(cat->areas[a].region == 1);
	CHECK(cat->areas[a].endpoint == -1);
	CHECK(catalog_municipalities_of(cat, a, out) == 1 && out[0] == a);
	/* the finished catalog's grouped lists are the same, every area */
	for (i = 0; i < (int)cat->n_areas; i++) {
		const int *members;
		size_t n_members = catalog_members(cat, i, &members);

		n = catalog_municipalities_of(cat, i, out);
		CHECK(members != NULL && n_members == n &&
		      memcmp(members, out, n * sizeof(int)) == 0);
	}
	CHECK(catalog_members(cat, (int)cat->n_areas, &members_none) == 0 &&
	      members_none == NULL);
	CHECK_STR(cat->areas[20].code, "KU005");
	CHECK_NEAR(cat->areas[20].pop_total, 8982, 0);
	CHECK_NEAR(cat->areas[20].pop_fl, 467, 0);
	a = catalog_find_area(cat, "KU478");
	CHECK_STR(cat->areas[a].name[LANG_FI], "Maarianhamina");
	CHECK_STR(cat->areas[a].name[LANG_EN], "Mariehamn");
	a = catalog_find_area(cat, "KU853");
	CHECK_STR(cat->areas[a].name[LANG_EN], "Turku");
	CHECK(catalog_find_area(cat, "KU588") == -1); /* merged in 2026 */
	CHECK(catalog_find_area(cat, "KU099") == -1);
	free(out);
	catalog_unref(cat);
}

static void
test_find_area(void)
{
	static const char *const unknown[] = { "",    "ku091", "KU91", "KU0910",
		                               "091", "MK03",  "MK1",  "SSS ",
		                               "sss", "KU999" };
	struct catalog *cat = load_shipped();
	struct catalog hand;
	size_t i;

	CHECK(cat != NULL);
	if (cat == NULL)
		return;
	for (i = 0; i < cat->n_areas; i++)
		CHECK(catalog_find_area(cat, cat->areas[i].code) == (int)i);
	for (i = 0; i < sizeof(unknown) / sizeof(*unknown); i++)
		CHECK(catalog_find_area(cat, unknown[i]) == -1);
	CHECK(catalog_find_area(cat, NULL) == -1);
	CHECK(catalog_find_measure(cat, NULL) == -1);
	CHECK(catalog_find_indicator(cat, "contacts") == -1);
	CHECK(catalog_find_measure(cat, "gp_coverage") == -1);
	CHECK(catalog_find_profile(cat, "nope") == -1);

	/* A catalog built by hand (no hash) is scanned instead. */
	memcpy(&hand, cat, sizeof(hand));
	hand.area_hash = NULL;
	hand.area_hash_cap = 0;
	CHECK(catalog_find_area(&hand, "KU992") ==
	      catalog_find_area(cat, "KU992"));
	CHECK(catalog_find_area(&hand, "KU992") > 0);
	CHECK(catalog_find_area(&hand, "KU993") == -1);
	catalog_unref(cat);
}

static void
test_shipped_measures(void)
{
	static const struct {
		const char *id;
		enum aggregate agg;
		bool is_count;
		double max;
	} want[] = {
		{ "gp_open", AGG_SUM, false, 1 },
		{ "gp_remote", AGG_SUM, false, 1 },
		{ "gp_hours", AGG_SUM, false, 168 },
		{ "gp_languages", AGG_MAX, false, 200 },
		{ "staff_fte", AGG_SUM, false, 10000 },
		{ "contacts", AGG_SUM, true, 1000000 },
		{ "contacts_remote", AGG_SUM, true, 1000000 },
		{ "outreach_events", AGG_SUM, true, 1000000 },
		{ "target_olf", AGG_SUM, true, 1000000 },
		{ "reached_olf", AGG_SUM, true, 1000000 },
		{ "reached_parents", AGG_SUM, true, 1000000 },
		{ "assessments", AGG_SUM, true, 1000000 },
		{ "assessments_ontime", AGG_SUM, true, 1000000 },
		{ "integration_plans", AGG_SUM, true, 1000000 },
		{ "orientation", AGG_SUM, true, 1000000 },
		{ "referrals", AGG_SUM, true, 1000000 },
	};
	struct catalog *cat = load_shipped();
	size_t i;
	int l;

	CHECK(cat != NULL);
	if (cat == NULL)
		return;
	CHECK(cat->n_measures == sizeof(want) / sizeof(*want));
	for (i = 0; i < sizeof(want) / sizeof(*want); i++) {
		int m = catalog_find_measure(cat, want[i].id);
		const struct measure *ms;

		CHECK(m == (int)i);
		if (m < 0) {
			fprintf(stderr, "missing measure %s\n", want[i].id);
			continue;
		}
		ms = &cat->measures[m];
		CHECK(ms->aggregate == want[i].agg);
		CHECK(ms->is_count == want[i].is_count);
		CHECK_NEAR(ms->min, 0, 0);
		CHECK_NEAR(ms->max, want[i].max, 0);
		CHECK(ms->unit[0] != '\0');
		for (l = 0; l < N_LANGS; l++)
			CHECK(ms->name[l][0] != '\0');
		/* Three languages, three different names (Åland aside). */
		CHECK(strcmp(ms->name[LANG_FI], ms->name[LANG_SV]) != 0);
		CHECK(strcmp(ms->name[LANG_FI], ms->name[LANG_EN]) != 0);
	}
	CHECK_STR(cat->measures[0].name[LANG_FI],
	          "Matalan kynnyksen ohjauspiste avoinna");
	CHECK_STR(cat->measures[0].name[LANG_SV],
	          "Lågtröskelvägledningspunkt öppen");
	CHECK_STR(cat->measures[0].unit, "0/1");
	CHECK_STR(catalog_aggregate_name(AGG_SUM), "sum");
	CHECK_STR(catalog_aggregate_name(AGG_MEAN), "mean");
	CHECK_STR(catalog_aggregate_name(AGG_MIN), "min");
	CHECK_STR(catalog_aggregate_name(AGG_MAX), "max");
	catalog_unref(cat);
}

static void
test_shipped_indicators(void)
{
	static const struct {
		const char *id;
		const char *num;
		enum ref num_ref;
		const char *den; /* NULL: a reference figure or none */
		enum ref den_ref;
		double scale;
	} want[] = {
		{ "gp_coverage", "gp_open", REF_POP_FL, NULL, REF_POP_FL, 100 },
		{ "remote_coverage", "gp_remote", REF_POP_FL, NULL, REF_POP_FL,
		  100 },
		{ "outreach_reach", "reached_olf", REF_NONE, "target_olf",
		  REF_NONE, 100 },
		{ "staff_per_1000", "staff_fte", REF_NONE, NULL, REF_POP_FL,
		  1000 },
		{ "hours_per_1000", "gp_hours", REF_NONE, NULL, REF_POP_FL,
		  1000 },
		{ "contacts_per_1000", "contacts", REF_NONE, NULL, REF_POP_FL,
		  1000 },
		{ "remote_share", "contacts_remote", REF_NONE, "contacts",
		  REF_NONE, 100 },
		{ "assessments_ontime_pct", "assessments_ontime", REF_NONE,
		  "assessments", REF_NONE, 100 },
	};
	struct catalog *cat = load_shipped();
	const struct indicator *ind;
	size_t i;
	int k, l;

	CHECK(cat != NULL);
	if (cat == NULL)
		return;
	CHECK(cat->n_indicators == 9);
	for (i = 0; i < sizeof(want) / sizeof(*want); i++) {
		k = catalog_find_indicator(cat, want[i].id);
		CHECK(k >= 0);
		if (k < 0) {
			fprintf(stderr, "missing indicator %s\n", want[i].id);
			continue;
		}
		ind = &cat->indicators[k];
		CHECK(ind->kind == IND_RATIO);
		CHECK(ind->num.measure ==
		      catalog_find_measure(cat, want[i].num));
		CHECK(ind->num.ref == want[i].num_ref);
		CHECK(ind->den.measure ==
		      (want[i].den ? catalog_find_measure(cat, want[i].den)
		                   : -1));
		CHECK(ind->den.ref == want[i].den_ref);
		CHECK_NEAR(ind->scale, want[i].scale, 0);
		CHECK(ind->unit[0] != '\0');
		for (l = 0; l < N_LANGS; l++)
			CHECK(ind->name[l][0] != '\0');
	}
	k = catalog_find_indicator(cat, "reporting_rate");
	CHECK(k >= 0);
	if (k >= 0) {
		ind = &cat->indicators[k];
		CHECK(ind->kind == IND_REPORTING);
		CHECK_NEAR(ind->scale, 100, 0);
		CHECK_STR(ind->unit, "%");
		CHECK(ind->num.measure == -1 && ind->den.measure == -1);
		CHECK_STR(ind->name[LANG_EN], "Reporting rate");
	}
	catalog_unref(cat);
}

static void
test_shipped_rules_profiles(void)
{
	static const struct {
		const char *lhs, *rhs;
	} want[] = {
		{ "contacts_remote", "contacts" },
		{ "reached_parents", "reached_olf" },
		{ "reached_olf", "target_olf" },
		{ "assessments_ontime", "assessments" },
	};
	struct catalog *cat = load_shipped();
	const struct profile *p;
	size_t i;
	int k;

	CHECK(cat != NULL);
	if (cat == NULL)
		return;
	CHECK(cat->n_rules == 4);
	for (i = 0; i < 4 && i < cat->n_rules; i++) {
		CHECK(cat->rules[i].lhs ==
		      catalog_find_measure(cat, want[i].lhs));
		CHECK(cat->rules[i].rhs ==
		      catalog_find_measure(cat, want[i].rhs));
		CHECK(cat->rules[i].op == RULE_LE);
	}
	CHECK_STR(cat->rules[0].text, "contacts_remote <= contacts");

	CHECK(cat->n_profiles == 1);
	k = catalog_find_profile(cat, "kuntarajapinta");
	CHECK(k == 0);
	if (k == 0) {
		p = &cat->profiles[k];
		CHECK_STR(p->municipality_ptr, "/kunta");
		CHECK_STR(p->period_ptr, "/kausi");
		CHECK_STR(p->measure_ptr[catalog_find_measure(cat, "contacts")],
		          "/tiedot/yhteydet");
		/* Not listed: the default layout. */
		CHECK_STR(
		    p->measure_ptr[catalog_find_measure(cat, "referrals")],
		    "/measures/referrals");
	}
	CHECK(cat->n_endpoints == 0);
	catalog_unref(cat);
}

static void
test_refcount(void)
{
	struct catalog *cat = catalog_new();
	struct area a;

	CHECK(atomic_load(&cat->refs) == 1);
	CHECK(catalog_ref(cat) == cat);
	CHECK(atomic_load(&cat->refs) == 2);
	catalog_unref(cat);
	CHECK(atomic_load(&cat->refs) == 1);
	CHECK(cat->n_areas == 1);
	CHECK_STR(cat->areas[0].code, "SSS");
	CHECK(catalog_find_area(cat, "SSS") == 0);
	catalog_unref(cat); /* the last: frees (ASan/valgrind check it) */
	catalog_unref(NULL);

	memset(&a, 0, sizeof(a));
	a.pop_total = 1000;
	a.pop_fl = 120;
	CHECK_NEAR(catalog_ref_value(&a, REF_POP_TOTAL), 1000, 0);
	CHECK_NEAR(catalog_ref_value(&a, REF_POP_FL), 120, 0);
	CHECK_NEAR(catalog_ref_value(&a, REF_NONE), 1, 0);
}

/* The small catalog: BOM and CRLF in regions.csv, an empty line, quoted
 * fields, two profiles, three endpoints, spaced terms and rules. */
static void
test_small_catalog(void)
{
	struct config cfg;
	struct error err;
	struct catalog *cat;
	const struct profile *p;
	int a, m, k, out[16];

	memset(&err, 0, sizeof(err));
	set_paths(&cfg, "tests/data/catalog", "endpoints.csv");
	cat = catalog_load(&cfg, &err);
	CHECK(cat != NULL);
	if (cat == NULL) {
		fprintf(stderr, "%s:%d: %s\n", err.file, err.line, err.msg);
		return;
	}
	CHECK(cat->n_regions == 3);
	CHECK(cat->n_areas == 1 + 3 + 5);
	CHECK_STR(cat->areas[2].code, "MK02");
	CHECK_STR(cat->areas[2].name[LANG_EN], "Southwest Finland");
	CHECK_NEAR(cat->areas[0].pop_total,
	           684018 + 320931 + 206073 + 11900 + 457, 0);
	CHECK_NEAR(cat->areas[1].pop_fl, 120347 + 66000, 0);
	CHECK_NEAR(cat->areas[3].pop_total, 11900 + 457, 0);
	CHECK(catalog_municipalities_of(cat, 1, out) == 2);
	CHECK(out[0] == catalog_find_area(cat, "KU091"));
	CHECK(out[1] == catalog_find_area(cat, "KU049"));
	CHECK(catalog_municipalities_of(cat, -1, out) == 0);
	CHECK(catalog_municipalities_of(cat, 99, out) == 0);

	CHECK(cat->n_measures == 4);
	CHECK(cat->measures[3].aggregate == AGG_MAX);
	CHECK(cat->measures[0].is_count == false);
	CHECK(cat->measures[1].is_count == true);
	CHECK(cat->n_indicators == 4);
	k = catalog_find_indicator(cat, "gp_coverage");
	CHECK(cat->indicators[k].num.measure == 0);
	CHECK(cat->indicators[k].num.ref == REF_POP_FL);
	k = catalog_find_indicator(cat, "contacts_total");
	CHECK(cat->indicators[k].den.measure == -1);
	CHECK(cat->indicators[k].den.ref == REF_NONE);
	CHECK_NEAR(cat->indicators[k].scale, 1, 0);
	k = catalog_find_indicator(cat, "contacts_per_capita");
	CHECK(cat->indicators[k].den.ref == REF_POP_TOTAL);
	CHECK(cat->n_rules == 2);
	CHECK(cat->rules[0].op == RULE_LE);
	CHECK(cat->rules[1].op == RULE_GE);
	CHECK(cat->rules[1].lhs == 1 && cat->rules[1].rhs == 2);
	CHECK_STR(cat->rules[1].text, "  contacts >= contacts_remote  ");

	CHECK(cat->n_profiles == 2);
	p = &cat->profiles[0];
	CHECK_STR(p->measure_ptr[0], "/ohjaus~1piste/0");
	CHECK_STR(p->measure_ptr[1], "/tiedot/yhteydet");
	CHECK_STR(p->measure_ptr[2], "/measures/contacts_remote");
	p = &cat->profiles[1];
	CHECK_STR(p->name, "plain");
	CHECK_STR(p->municipality_ptr, "/municipality");
	CHECK_STR(p->period_ptr, "/period");
	for (m = 0; m < 4; m++) {
		char want[64];

		snprintf(want, sizeof(want), "/measures/%s",
		         cat->measures[m].id);
		CHECK_STR(p->measure_ptr[m], want);
	}

	CHECK(cat->n_endpoints == 3);
	a = catalog_find_area(cat, "KU091");
	CHECK(cat->areas[a].endpoint == 0);
	CHECK(cat->endpoints[0].area == a);
	CHECK(cat->endpoints[0].profile == 0);
	CHECK_STR(cat->endpoints[0].url,
	          "https://helsinki.example/api/v1/kotoutuminen?format=json");
	a = catalog_find_area(cat, "KU853");
	CHECK(cat->areas[a].endpoint == 1);
	CHECK(cat->endpoints[1].profile == -1);
	CHECK_STR(cat->endpoints[1].url, "http://127.0.0.1:8081/muni/KU853");
	CHECK(cat->endpoints[2].profile == 1);
	CHECK(cat->areas[catalog_find_area(cat, "KU049")].endpoint == -1);
	CHECK_STR(cat->areas[catalog_find_area(cat, "KU035")].name[LANG_EN],
	          "Brändö");
	catalog_unref(cat);
}

/* catalog_load names the file at fault; a missing optional endpoints
 * file (empty path) is fine, a missing named one is not. */
static void
test_load_errors(void)
{
	struct config cfg;
	struct error err;
	struct catalog *cat;
	char want[1200];

	memset(&err, 0, sizeof(err));
	set_paths(&cfg, "tests/data/catalog", "bad_endpoints.csv");
	cat = catalog_load(&cfg, &err);
	CHECK(cat == NULL);
	CHECK(err.line == 4);
	CHECK_STR(err.msg, "duplicate endpoint for KU091");
	fmt_path(want, sizeof(want), "tests/data/catalog", "bad_endpoints.csv");
	CHECK(strstr(want, err.file) != NULL && strlen(err.file) > 20);

	memset(&err, 0, sizeof(err));
	set_paths(&cfg, "tests/data/catalog", "no_such_file.csv");
	CHECK(catalog_load(&cfg, &err) == NULL);
	CHECK(strstr(err.file, "no_such_file.csv") != NULL);
	CHECK(strstr(err.msg, "cannot open") != NULL);

	memset(&err, 0, sizeof(err));
	set_paths(&cfg, "tests/data/catalog", "");
	cfg.endpoints_path[0] = '\0';
	cat = catalog_load(&cfg, &err);
	CHECK(cat != NULL);
	if (cat != NULL)
		CHECK(cat->n_endpoints == 0);
	catalog_unref(cat);

	memset(&err, 0, sizeof(err));
	set_paths(&cfg, "tests/data/catalog", "endpoints.csv");
	fmt_path(cfg.measures_path, sizeof(cfg.measures_path),
	         "tests/data/catalog", "regions.csv");
	CHECK(catalog_load(&cfg, &err) == NULL);
	CHECK(strstr(err.file, "regions.csv") != NULL);
	CHECK(err.line == 1);
	CHECK(strstr(err.msg, "JSON syntax error") != NULL);
}

/* --- broken catalogs ---------------------------------------------------- */

enum file { F_REGIONS, F_MUNIS, F_MEASURES, F_ENDPOINTS, F_FINISH };

#define NAMES "\"name\": {\"fi\": \"a\", \"sv\": \"b\", \"en\": \"c\"}"
#define MEASURE(id)                                                            \
	"{\"id\": \"" id "\", \"unit\": \"n\", \"min\": 0, \"max\": 9, "       \
	"\"aggregate\": \"sum\", " NAMES "}"
/* Two measures on lines 3 and 4, then whatever follows from line 5. */
#define MEASURES_THEN(rest)                                                    \
	"{\n\"measures\": [\n" MEASURE("contacts") ",\n" MEASURE(              \
	    "contacts_remote") "\n],\n" rest "\n}\n"
#define INDICATOR(body)                                                        \
	"\"indicators\": [\n{\"id\": \"x\", " body ", \"unit\": \"%\", " NAMES \
	"}\n]"

static const char base_regions[] = "code,name_fi,name_sv,name_en\n"
                                   "01,Uusimaa,Nyland,Uusimaa\n"
                                   "21,Ahvenanmaa,Åland,Åland\n";
static const char base_munis[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,684018,120347\n"
    "478,Maarianhamina,Mariehamn,21,Ahvenanmaa,Åland,11900,1650\n";
static const char base_measures[] = MEASURES_THEN(
    "\"profiles\": {\"p1\": {\"measures\": {\"contacts\": \"/c\"}}}");
static const char base_endpoints[] = "area,url,profile\n"
                                     "KU091,https://hel.example/api,p1\n";
#define MUNI_HEADER                                                            \
	"code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"      \
	"population,foreign_language_population\n"

static const struct broken {
	enum file file; /* the file replaced by text, and at fault */
	const char *text;
	int line;
	const char *msg; /* a part of the message */
} broken[] = {
	/* regions.csv */
	{ F_REGIONS, "", 1, "empty file: expected a header" },
	{ F_REGIONS, "kode,name_fi,name_sv\n01,Uusimaa,Nyland\n", 1,
	  "expected the header code,name_fi,name_sv[,name_en]" },
	{ F_REGIONS, "code,name_fi\n", 1, "expected the header" },
	{ F_REGIONS, "code,name_fi,name_sv\n1,Uusimaa,Nyland\n", 2,
	  "malformed region code \"1\": want two digits" },
	{ F_REGIONS, "code,name_fi,name_sv\n001,Uusimaa,Nyland\n", 2,
	  "malformed region code \"001\"" },
	{ F_REGIONS, "code,name_fi,name_sv\nMK01,Uusimaa,Nyland\n", 2,
	  "malformed region code \"MK01\"" },
	{ F_REGIONS, "code,name_fi,name_sv\n01,Uusimaa,Nyland\n\n01,A,B\n", 4,
	  "duplicate region code 01" },
	{ F_REGIONS,
	  "code,name_fi,name_sv,name_en\n01,Uusimaa,Nyland,Uusimaa\n"
	  "02,Varsinais-Suomi,Egentliga Finland\n",
	  3, "name_en is empty" },
	{ F_REGIONS, "code,name_fi,name_sv\n01,Uusimaa,\n", 2,
	  "name_sv is empty" },
	{ F_REGIONS, "code,name_fi,name_sv\n01,Uusi\xffmaa,Nyland\n", 2,
	  "name_fi is not valid UTF-8" },
	{ F_REGIONS, "code,name_fi,name_sv\n01,\"Uusimaa,Nyland\n", 2,
	  "unterminated quoted field" },
	/* municipalities.csv */
	{ F_MUNIS, "code,name_fi\n", 1,
	  "expected the header code,name_fi,name_sv,region_code" },
	{ F_MUNIS,
	  MUNI_HEADER
	  "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,1,0\n"
	  "049,Espoo,Esbo,02,Varsinais-Suomi,Egentliga Finland,5,1\n",
	  3, "unknown region 02" },
	{ F_MUNIS,
	  MUNI_HEADER "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,1,0\n"
	              "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,1,0\n",
	  3, "duplicate municipality code 091" },
	{ F_MUNIS,
	  MUNI_HEADER "91,Helsinki,Helsingfors,01,Uusimaa,Nyland,1,0\n", 2,
	  "malformed municipality code \"91\"" },
	{ F_MUNIS,
	  MUNI_HEADER "09a,Helsinki,Helsingfors,01,Uusimaa,Nyland,1,0\n", 2,
	  "malformed municipality code" },
	{ F_MUNIS,
	  MUNI_HEADER "091,Helsinki,Helsingfors,1,Uusimaa,Nyland,1,0\n", 2,
	  "malformed region code \"1\"" },
	{ F_MUNIS,
	  MUNI_HEADER "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,68k,0\n", 2,
	  "population \"68k\" is not a whole number" },
	{ F_MUNIS,
	  MUNI_HEADER "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,-5,0\n", 2,
	  "population \"-5\" is not a whole number" },
	{ F_MUNIS,
	  MUNI_HEADER "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,,0\n", 2,
	  "population \"\" is not a whole number" },
	{ F_MUNIS,
	  MUNI_HEADER "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,10,1.5\n", 2,
	  "foreign_language_population \"1.5\" is not a whole number" },
	{ F_MUNIS,
	  MUNI_HEADER "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,10,11\n", 2,
	  "foreign_language_population 11 is more than population 10" },
	{ F_MUNIS, MUNI_HEADER "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,1\n",
	  2, "expected 8 fields, found 7" },
	{ F_MUNIS,
	  MUNI_HEADER "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,1,0,x\n", 2,
	  "expected 8 fields, found 9" },
	{ F_MUNIS,
	  MUNI_HEADER "091,Helsinki,Helsingfors,01,Nyland,Uusimaa,1,0\n", 2,
	  "region 01 is \"Uusimaa\" / \"Nyland\" in regions.csv" },
	{ F_MUNIS, MUNI_HEADER "091,,Helsingfors,01,Uusimaa,Nyland,1,0\n", 2,
	  "name_fi is empty" },
	/* measures.json: syntax */
	{ F_MEASURES, "{\n\"measures\": [\n{\"id\": \"a\",,}\n]\n}\n", 3,
	  "JSON syntax error near \"}\"" },
	{ F_MEASURES, "{\n\"measures\": [\n", 3,
	  "JSON syntax error: the text ends too early" },
	{ F_MEASURES, "", 1, "JSON syntax error: the text ends too early" },
	{ F_MEASURES, MEASURES_THEN("\"rules\": []") "\n\n{}", 10,
	  "text after the JSON object" },
	{ F_MEASURES, "[]", 1, "must hold one JSON object" },
	{ F_MEASURES, "{\n\"measures\": [],\n\"rule\": []\n}", 3,
	  "unknown key \"rule\" in measures.json" },
	{ F_MEASURES, "{\n\"rules\": []\n}", 1, "no \"measures\" array" },
	{ F_MEASURES, "{\n\"measures\": {}\n}", 2,
	  "\"measures\" must be an array" },
	{ F_MEASURES, "{\n\"measures\": [\n" MEASURE("a") ",\n\"b\"\n]\n}", 4,
	  "measure 2 must be an object" },
	/* measures.json: measures */
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE("a") ",\n" MEASURE(
	      "Contacts") "\n]\n}",
	  4, "bad measure id \"Contacts\": want [a-z][a-z0-9_]{0,18}" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE("a") ",\n" MEASURE(
	      "abcdefghij0123456789") "\n]\n}",
	  4, "bad measure id \"abcdefghij0123456789\"" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE("a") ",\n" MEASURE("1a") "\n]\n}", 4,
	  "bad measure id \"1a\"" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE("a") ",\n" MEASURE("a-b") "\n]\n}", 4,
	  "bad measure id \"a-b\"" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE("a") ",\n{\"id\": 5}\n]\n}", 4,
	  "bad measure id: want" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE("a") ",\n{\"unit\": \"n\"}\n]\n}", 4,
	  "measure 2 has no \"id\"" },
	{ F_MEASURES, "{\n\"measures\": [\n" MEASURE("pop_fl") "\n]\n}", 3,
	  "measure id \"pop_fl\" is reserved" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE("a") ",\n" MEASURE("b") ",\n" MEASURE(
	      "a") "\n]\n}",
	  5, "duplicate measure id \"a\"" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 5, \"max\": 1, "
	           "\"aggregate\": \"sum\", " NAMES "}\n]\n}",
	  4, "measure \"b\": min 5 is greater than max 1" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 0, \"max\": 1, "
	           "\"aggregate\": \"avg\", " NAMES "}\n]\n}",
	  4,
	  "measure \"b\": unknown aggregate \"avg\" (want sum, mean, min "
	  "or max)" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 0, \"max\": 1, "
	           "\"aggregate\": \"summation-of-all-values\", " NAMES
	           "}\n]\n}",
	  4, "measure \"b\": unknown aggregate" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 0, \"max\": 1, "
	           "\"aggregate\": \"sum\"}\n]\n}",
	  4, "measure \"b\" has no \"name\"" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 0, \"max\": 1, "
	           "\"aggregate\": \"sum\", \"name\": {\"fi\": \"a\", \"en\": "
	           "\"c\"}}\n]\n}",
	  4, "measure \"b\" has no name in \"sv\"" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 0, \"max\": 1, "
	           "\"aggregate\": \"sum\", \"name\": {\"fi\": \"a\", \"sv\": "
	           "\"b\", "
	           "\"en\": \"\"}}\n]\n}",
	  4, "name \"en\" of measure \"b\" is empty" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 0, \"max\": 1, "
	           "\"aggregate\": \"sum\", \"name\": {\"fi\": \"a\", \"sv\": "
	           "\"b\", "
	           "\"en\": \"c\", \"de\": \"d\"}}\n]\n}",
	  4, "unknown key \"de\" in the name of measure \"b\"" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 0, "
	           "\"aggregate\": \"sum\", " NAMES "}\n]\n}",
	  4, "measure \"b\" has no \"max\"" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 0, \"max\": "
	           "\"9\", "
	           "\"aggregate\": \"sum\", " NAMES "}\n]\n}",
	  4, "\"max\" of measure \"b\" must be a finite number" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 0, \"max\": "
	           "1e999, "
	           "\"aggregate\": \"sum\", " NAMES "}\n]\n}",
	  4, "\"max\" of measure \"b\" must be a finite number" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 0, \"max\": 1, "
	           "\"aggregate\": \"sum\", \"is_count\": \"yes\", " NAMES
	           "}\n]\n}",
	  4, "\"is_count\" of measure \"b\" must be true or false" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"unit\": \"n\", \"min\": 0, \"maxx\": 1, "
	           "\"aggregate\": \"sum\", " NAMES "}\n]\n}",
	  4, "unknown key \"maxx\" in measure \"b\"" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"id\": \"c\", \"unit\": \"n\", \"min\": "
	           "0, "
	           "\"max\": 1, \"aggregate\": \"sum\", " NAMES "}\n]\n}",
	  4, "duplicate key \"id\" in measure \"b\"" },
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\"id\": \"b\", \"min\": 0, \"max\": 1, "
	           "\"aggregate\": \"sum\", " NAMES "}\n]\n}",
	  4, "measure \"b\" has no \"unit\"" },
	/* A member on its own line: the error names that line. */
	{ F_MEASURES,
	  "{\n\"measures\": [\n" MEASURE(
	      "a") ",\n"
	           "{\n\"id\": \"b\",\n\"unit\": \"n\",\n\"min\": 0,\n\"max\": "
	           "1,\n"
	           "\"aggregate\": \"median\",\n" NAMES "\n}\n]\n}",
	  9, "unknown aggregate \"median\"" },
	/* measures.json: indicators */
	{ F_MEASURES, MEASURES_THEN(INDICATOR("\"numerator\": \"nope\"")), 7,
	  "indicator \"x\": numerator: unknown measure \"nope\"" },
	{ F_MEASURES,
	  MEASURES_THEN(INDICATOR(
	      "\"numerator\": \"contacts\", \"denominator\": \"pop\"")),
	  7, "indicator \"x\": denominator: unknown measure \"pop\"" },
	{ F_MEASURES,
	  MEASURES_THEN(INDICATOR("\"numerator\": \"contacts*pop\"")), 7,
	  "numerator: unknown reference \"pop\": want pop_fl or pop_total" },
	{ F_MEASURES, MEASURES_THEN(INDICATOR("\"numerator\": \"*pop_fl\"")), 7,
	  "numerator: malformed term \"*pop_fl\"" },
	{ F_MEASURES, MEASURES_THEN(INDICATOR("\"numerator\": \"contacts*\"")),
	  7, "malformed term" },
	{ F_MEASURES,
	  MEASURES_THEN(INDICATOR("\"numerator\": \"contacts*pop_fl*pop_fl\"")),
	  7, "malformed term" },
	{ F_MEASURES,
	  MEASURES_THEN(INDICATOR("\"numerator\": \"pop_fl*contacts\"")), 7,
	  "malformed term \"pop_fl*contacts\": a reference figure weights" },
	{ F_MEASURES, MEASURES_THEN(INDICATOR("\"numerator\": \"  \"")), 7,
	  "malformed term" },
	{ F_MEASURES, MEASURES_THEN(INDICATOR("\"numerator\": 5")), 7,
	  "numerator must be a string" },
	{ F_MEASURES, MEASURES_THEN(INDICATOR("\"denominator\": \"pop_fl\"")),
	  7, "indicator \"x\" has no \"numerator\"" },
	{ F_MEASURES,
	  MEASURES_THEN(INDICATOR("\"kind\": \"reporting\", \"numerator\": "
	                          "\"contacts\"")),
	  7, "a reporting indicator has no numerator" },
	{ F_MEASURES,
	  MEASURES_THEN(INDICATOR("\"kind\": \"share\", \"numerator\": "
	                          "\"contacts\"")),
	  7, "unknown kind \"share\" (want ratio or reporting)" },
	{ F_MEASURES,
	  MEASURES_THEN(INDICATOR("\"numerator\": \"contacts\", \"scale\": 0")),
	  7, "scale must be positive" },
	{ F_MEASURES,
	  MEASURES_THEN("\"indicators\": [\n{\"id\": \"contacts\", "
	                "\"numerator\": \"contacts\", \"unit\": \"n\", " NAMES
	                "}\n]"),
	  7, "indicator id \"contacts\" is also a measure id" },
	{ F_MEASURES,
	  MEASURES_THEN("\"indicators\": [\n{\"id\": \"Share\", "
	                "\"numerator\": \"contacts\", \"unit\": \"n\", " NAMES
	                "}\n]"),
	  7, "bad indicator id \"Share\"" },
	{ F_MEASURES,
	  MEASURES_THEN("\"indicators\": [\n{\"id\": \"y\", "
	                "\"numerator\": \"contacts\", \"unit\": \"n\", " NAMES
	                "},\n{\"id\": \"y\", \"numerator\": \"contacts\", "
	                "\"unit\": \"n\", " NAMES "}\n]"),
	  8, "duplicate indicator id \"y\"" },
	{ F_MEASURES,
	  MEASURES_THEN("\"indicators\": [\n{\"id\": \"y\", "
	                "\"numerator\": \"contacts\", \"unit\": \"n\"}\n]"),
	  7, "indicator \"y\" has no \"name\"" },
	/* measures.json: rules */
	{ F_MEASURES,
	  MEASURES_THEN("\"rules\": [\n\"contacts_remote <= contacts\",\n"
	                "\"contacts_remote => contacts\"\n]"),
	  8,
	  "malformed rule \"contacts_remote => contacts\": want "
	  "\"measure OP measure\"" },
	{ F_MEASURES, MEASURES_THEN("\"rules\": [\n\"contacts <= \"\n]"), 7,
	  "malformed rule" },
	{ F_MEASURES,
	  MEASURES_THEN("\"rules\": [\n\"contacts <= contacts_remote x\"\n]"),
	  7, "malformed rule" },
	{ F_MEASURES, MEASURES_THEN("\"rules\": [\n\"contacts = x\"\n]"), 7,
	  "malformed rule" },
	{ F_MEASURES, MEASURES_THEN("\"rules\": [\n\"visits <= contacts\"\n]"),
	  7, "rule \"visits <= contacts\": unknown measure \"visits\"" },
	{ F_MEASURES, MEASURES_THEN("\"rules\": [\n\"contacts < visits\"\n]"),
	  7, "unknown measure \"visits\"" },
	{ F_MEASURES,
	  MEASURES_THEN("\"rules\": [\n\"contacts == contacts\"\n]"), 7,
	  "compares a measure with itself" },
	{ F_MEASURES,
	  MEASURES_THEN("\"rules\": [\n\"contacts > contacts_remote\",\n"
	                "\"contacts>contacts_remote\"\n]"),
	  8, "duplicate rule" },
	{ F_MEASURES, MEASURES_THEN("\"rules\": [\n7\n]"), 7,
	  "rule 1 must be a string" },
	/* measures.json: profiles */
	{ F_MEASURES,
	  MEASURES_THEN("\"profiles\": {\n\"p\": {\n\"measures\": {\n"
	                "\"contacts\": \"/c\",\n\"visits\": \"/v\"\n}\n}\n}"),
	  10, "profile \"p\": unknown measure \"visits\"" },
	{ F_MEASURES,
	  MEASURES_THEN("\"profiles\": {\n\"p\": {\n\"municipality\": "
	                "\"kunta\"\n}\n}"),
	  8,
	  "profile \"p\": municipality: JSON pointer must be empty or "
	  "start with \"/\"" },
	{ F_MEASURES,
	  MEASURES_THEN("\"profiles\": {\n\"p\": {\n\"measures\": {\n"
	                "\"contacts\": \"/a~2b\"\n}\n}\n}"),
	  9,
	  "profile \"p\": contacts: JSON pointer has \"~\" not followed by "
	  "0 or 1" },
	{ F_MEASURES,
	  MEASURES_THEN("\"profiles\": {\n\"p\": {\n\"period\": 5\n}\n}"), 8,
	  "profile \"p\": period must be a JSON Pointer string" },
	{ F_MEASURES, MEASURES_THEN("\"profiles\": {\n\"a b\": {}\n}"), 7,
	  "bad profile name \"a b\"" },
	{ F_MEASURES,
	  MEASURES_THEN("\"profiles\": {\n\"p\": {},\n\"p\": {}\n}"), 8,
	  "duplicate profile \"p\"" },
	{ F_MEASURES, MEASURES_THEN("\"profiles\": {\n\"p\": {\"url\": 1}\n}"),
	  7, "unknown key \"url\" in profile \"p\"" },
	{ F_MEASURES, MEASURES_THEN("\"profiles\": []"), 6,
	  "\"profiles\" must be an object" },
	{ F_MEASURES,
	  MEASURES_THEN("\"profiles\": {\n\"p\": {\"measures\": {\n"
	                "\"contacts\": \"/a\",\n\"contacts\": \"/b\"\n}}\n}"),
	  9, "measure \"contacts\" is mapped twice" },
	/* endpoints.csv */
	{ F_ENDPOINTS, "area,url\nKU999,https://x.example/\n", 2,
	  "unknown area \"KU999\"" },
	{ F_ENDPOINTS, "area,url\nMK01,https://x.example/\n", 2,
	  "MK01 is not a municipality" },
	{ F_ENDPOINTS, "area,url\nSSS,https://x.example/\n", 2,
	  "SSS is not a municipality" },
	{ F_ENDPOINTS,
	  "area,url\nKU091,https://x.example/\nKU478,http://y.example/\n"
	  "KU091,https://z.example/\n",
	  4, "duplicate endpoint for KU091" },
	{ F_ENDPOINTS, "area,url\nKU091,ftp://x.example/\n", 2,
	  "url \"ftp://x.example/\" must start with http:// or https://" },
	{ F_ENDPOINTS, "area,url\nKU091,x.example\n", 2,
	  "must start with http:// or https://" },
	{ F_ENDPOINTS, "area,url\nKU091,https://\n", 2, "has no host" },
	{ F_ENDPOINTS, "area,url\nKU091,https://x.example/a b\n", 2,
	  "url holds a space or control character at byte 20" },
	{ F_ENDPOINTS, "area,url,profile\nKU091,https://x.example/,p9\n", 2,
	  "unknown profile \"p9\"" },
	{ F_ENDPOINTS, "area,url,profile\nKU091\n", 2,
	  "expected 3 fields, found 1" },
	{ F_ENDPOINTS, "area,address\n", 1,
	  "expected the header area,url[,profile]" },
	{ F_ENDPOINTS, "", 1, "empty file" },
	/* the whole */
	{ F_FINISH, "{\"measures\": []}", 0, "no measures defined" },
};

static void
test_broken(void)
{
	size_t i;

	for (i = 0; i < sizeof(broken) / sizeof(*broken); i++) {
		const struct broken *b = &broken[i];
		const char *text[4] = { base_regions, base_munis, base_measures,
			                base_endpoints };
		int (*const parse[4])(struct catalog *, const char *, size_t,
		                      struct error *) = {
			catalog_parse_regions, catalog_parse_municipalities,
			catalog_parse_measures, catalog_parse_endpoints
		};
		struct catalog *cat = catalog_new();
		struct error err;
		int f, failed_at = -1;

		memset(&err, 0, sizeof(err));
		if (b->file == F_FINISH) {
			text[F_MEASURES] = b->text;
			text[F_ENDPOINTS] = "area,url\n";
		} else {
			text[b->file] = b->text;
		}
		for (f = 0; f < 4 && failed_at < 0; f++)
			if (parse[f](cat, text[f], strlen(text[f]), &err) < 0)
				failed_at = f;
		if (failed_at < 0 && catalog_finish(cat, &err) < 0)
			failed_at = F_FINISH;
		CHECK(failed_at == (int)b->file);
		CHECK(err.line == b->line);
		CHECK(strstr(err.msg, b->msg) != NULL);
		if (failed_at != (int)b->file || err.line != b->line ||
		    strstr(err.msg, b->msg) == NULL)
			fprintf(
			    stderr,
			    "case %zu: failed at %d, line %d: %s\n  want %d, "
			    "line %d: %s\n",
			    i, failed_at, err.line, err.msg, (int)b->file,
			    b->line, b->msg);
		catalog_unref(cat);
	}
}

/* The base of the broken table is itself valid (so each case fails for
 * its own reason). */
static void
test_broken_base(void)
{
	struct catalog *cat = catalog_new();
	struct error err;

	memset(&err, 0, sizeof(err));
	CHECK(catalog_parse_regions(cat, base_regions, strlen(base_regions),
	                            &err) == 0);
	CHECK(catalog_parse_municipalities(cat, base_munis, strlen(base_munis),
	                                   &err) == 0);
	CHECK(catalog_parse_measures(cat, base_measures, strlen(base_measures),
	                             &err) == 0);
	CHECK(catalog_parse_endpoints(cat, base_endpoints,
	                              strlen(base_endpoints), &err) == 0);
	CHECK(catalog_finish(cat, &err) == 0);
	CHECK(cat->n_areas == 5);
	CHECK_STR(cat->areas[4].name[LANG_EN], "Mariehamn");
	CHECK(cat->n_measures == 2);
	CHECK(cat->endpoints[0].profile == 0);
	/* Regions after municipalities are refused. */
	CHECK(catalog_parse_regions(cat, base_regions, strlen(base_regions),
	                            &err) == -1);
	CHECK(strstr(err.msg, "before municipalities") != NULL);
	catalog_unref(cat);
}

/* Errors in the shipped measures.json name the right line in its layout:
 * break one entry of each section and look where the error points. */
static void
test_shipped_lines(void)
{
	static const struct {
		const char *from, *to;
		const char *msg;
	} edits[] = {
		{ "\"id\": \"referrals\", \"unit\": \"referrals/month\", "
		  "\"min\": 0",
		  "\"id\": \"referrals\", \"unit\": \"referrals/month\", "
		  "\"min\": 2000000",
		  "measure \"referrals\": min 2e+06 is greater than max" },
		{ "\"id\": \"gp_languages\"", "\"id\": \"gp-languages\"",
		  "bad measure id \"gp-languages\"" },
		{ "\"numerator\": \"reached_olf\"",
		  "\"numerator\": \"reached\"", "unknown measure \"reached\"" },
		{ "\"reached_olf <= target_olf\"",
		  "\"reached_olf =< target_olf\"", "malformed rule" },
		{ "\"contacts\": \"/tiedot/yhteydet\"",
		  "\"kontaktit\": \"/tiedot/yhteydet\"",
		  "unknown measure \"kontaktit\"" },
		{ "\"period\": \"/kausi\"", "\"period\": \"kausi\"",
		  "period: JSON pointer must" },
	};
	char path[1200];
	char *text;
	size_t len, i;

	fmt_path(path, sizeof(path), "config", "measures.json");
	text = read_all(path, &len);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	for (i = 0; i < sizeof(edits) / sizeof(*edits); i++) {
		char *at = strstr(text, edits[i].from), *copy;
		size_t nf = strlen(edits[i].from), nt = strlen(edits[i].to);
		struct catalog *cat = catalog_new();
		struct error err;
		int want_line = 1;
		char *p;

		CHECK(at != NULL);
		if (at == NULL) {
			catalog_unref(cat);
			continue;
		}
		for (p = text; p < at; p++)
			if (*p == '\n')
				want_line++;
		copy = malloc(len - nf + nt + 1);
		memcpy(copy, text, (size_t)(at - text));
		memcpy(copy + (at - text), edits[i].to, nt);
		memcpy(copy + (at - text) + nt, at + nf,
		       len - (size_t)(at - text) - nf + 1);
		memset(&err, 0, sizeof(err));
		CHECK(catalog_parse_measures(cat, copy, len - nf + nt, &err) ==
		      -1);
		CHECK(err.line == want_line);
		CHECK(strstr(err.msg, edits[i].msg) != NULL);
		if (err.line != want_line || !strstr(err.msg, edits[i].msg))
			fprintf(stderr, "edit %zu: line %d (want %d): %s\n", i,
			        err.line, want_line, err.msg);
		free(copy);
		catalog_unref(cat);
	}
	free(text);
}

int
main(void)
{
	find_root();
	RUN(test_shipped_areas);
	RUN(test_find_area);
	RUN(test_shipped_measures);
	RUN(test_shipped_indicators);
	RUN(test_shipped_rules_profiles);
	RUN(test_refcount);
	RUN(test_small_catalog);
	RUN(test_load_errors);
	RUN(test_broken_base);
	RUN(test_broken);
	RUN(test_shipped_lines);
	return check_done();
}
