/*
 * figure.c: the one place an area's value in a period is formed (the
 * rule is in figure.h). One pass over the area's municipalities per call:
 * the catalog orders municipalities after the regions, so members are
 * found by their region index without an allocation.
 */
#include <math.h>
#include <string.h>

#include "figure.h"

static const char *const flag_names[] = { "ok", "missing", "suppressed" };

const char *
figure_flag_name(enum figure_flag flag)
{
	return flag_names[flag];
}

bool
figure_is_member(const struct catalog *cat, int area, int i)
{
	const struct area *a = &cat->areas[area];

	if (cat->areas[i].level != AREA_MUNICIPALITY)
		return false;
	switch (a->level) {
	case AREA_COUNTRY:
		return true;
	case AREA_REGION:
		return cat->areas[i].region == area;
	case AREA_MUNICIPALITY:
		break;
	}
	return i == area;
}

/* The municipalities behind an area's figure: the catalog's grouped list,
 * or (a catalog built by hand, not finished) a scan of them all. */
struct members {
	const struct catalog *cat;
	int area;
	const int *list; /* NULL: scanning */
	size_t k, end;
};

static void
members_begin(struct members *it, const struct catalog *cat, int area)
{
	it->cat = cat;
	it->area = area;
	it->end = catalog_members(cat, area, &it->list);
	it->k = 0;
	if (it->list == NULL) {
		it->k = cat->first_municipality;
		it->end = cat->n_areas;
	}
}

/* The next one's area index, -1 after the last. */
static int
members_next(struct members *it)
{
	if (it->list != NULL)
		return it->k < it->end ? it->list[it->k++] : -1;
	while (it->k < it->end) {
		int i = (int)it->k++;

		if (figure_is_member(it->cat, it->area, i))
			return i;
	}
	return -1;
}

static bool
has_term(const struct term *t)
{
	return t->measure >= 0 || t->ref != REF_NONE;
}

/* A municipality's term: measure * reference figure, or either alone;
 * NaN where the measure is unknown. */
static double
term_value(const struct catalog *cat, const struct matrix *mx,
           const struct term *t, int i, int period)
{
	double ref = catalog_ref_value(&cat->areas[i], t->ref);

	if (t->measure < 0)
		return ref;
	return matrix_get(mx, i, period, t->measure) * ref;
}

static bool
is_count(const struct catalog *cat, int m)
{
	return m >= 0 && cat->measures[m].is_count;
}

/* --- disclosure control (the rule is in figure.h) --- */

/* A region's figures of one count measure in one period. */
struct group {
	int n_reporting;
	int n_small;      /* of them below SUPPRESS_BELOW */
	double small_sum; /* their sum */
	double total;     /* the sum over all that reported */
	int smallest;     /* the smallest figure not small (the first in
	                   * catalog order on a tie), -1 if none */
};

static void
group_scan(const struct catalog *cat, const struct matrix *mx, int region,
           int m, int period, struct group *g)
{
	double v, least = 0;
	struct members it;
	int i;

	memset(g, 0, sizeof(*g));
	g->smallest = -1;
	for (members_begin(&it, cat, region); (i = members_next(&it)) >= 0;) {
		v = matrix_get(mx, i, period, m);
		if (isnan(v))
			continue;
		g->n_reporting++;
		g->total += v;
		if (v < SUPPRESS_BELOW) {
			g->n_small++;
			g->small_sum += v;
		} else if (g->smallest < 0 || v < least) {
			g->smallest = i;
			least = v;
		}
	}
}

/* Whether a region's figure is withheld on its own account: fewer than
 * three behind it, or small figures that no partner can cover. */
static bool
is_withheld_alone(const struct group *g)
{
	if (g->n_reporting == 0)
		return false;
	if (g->n_reporting < 3)
		return true;
	return g->n_small == g->n_reporting && g->small_sum < SUPPRESS_BELOW;
}

enum standing { UNREPORTED, ALONE, PUBLIC };

/* A region's standing in the country's group, without reading every
 * member: in most regions the first few already show it public. */
static enum standing
standing_of(const struct catalog *cat, const struct matrix *mx, int region,
            int m, int period)
{
	struct group g = { 0 };
	bool has_large = false;
	struct members it;
	double v;
	int i;

	for (members_begin(&it, cat, region); (i = members_next(&it)) >= 0;) {
		v = matrix_get(mx, i, period, m);
		if (isnan(v))
			continue;
		g.n_reporting++;
		if (v < SUPPRESS_BELOW) {
			g.n_small++;
			g.small_sum += v;
		} else
			has_large = true;
		if (g.n_reporting >= 3 &&
		    (has_large || g.small_sum >= SUPPRESS_BELOW))
			return PUBLIC;
	}
	if (g.n_reporting == 0)
		return UNREPORTED;
	return is_withheld_alone(&g) ? ALONE : PUBLIC;
}

/* The region after r, wrapping around. */
static int
next_region(const struct catalog *cat, int r)
{
	return r >= (int)cat->n_regions ? 1 : r + 1;
}

/* The country's group (the regions): the region withheld as the
 * partner of those withheld alone (-1: none), and whether the country's
 * own figure is withheld. */
struct country {
	int partner;
	bool is_withheld;
};

static void
country_step(const struct catalog *cat, const struct matrix *mx, int m,
             int period, struct country *out)
{
	int r, n_reporting = 0, n_withheld = 0, first = -1;
	double withheld_sum = 0;
	struct group g;
	bool is_any = false;

	out->partner = -1;
	out->is_withheld = false;
	for (r = 1; r <= (int)cat->n_regions && !is_any; r++)
		is_any = standing_of(cat, mx, r, m, period) == ALONE;
	if (!is_any)
		return; /* every region that reported has three behind it */
	for (r = 1; r <= (int)cat->n_regions; r++) {
		group_scan(cat, mx, r, m, period, &g);
		n_reporting += g.n_reporting;
		if (is_withheld_alone(&g)) {
			n_withheld++;
			withheld_sum += g.total;
			if (first < 0)
				first = r;
		}
	}
	if (n_reporting < 3) {
		out->is_withheld = true;
		return;
	}
	if (n_withheld >= 2 && withheld_sum >= SUPPRESS_BELOW)
		return;
	/* the first public region after the first withheld alone */
	for (r = next_region(cat, first); r != first; r = next_region(cat, r))
		if (standing_of(cat, mx, r, m, period) == PUBLIC) {
			out->partner = r;
			return;
		}
	out->is_withheld = true;
}

/* Whether region (public on its own) is the country's partner region:
 * only if a region withheld alone comes before it, past regions that
 * did not report, so mostly one look at the region before. */
static bool
is_country_partner(const struct catalog *cat, const struct matrix *mx,
                   int region, int m, int period)
{
	struct country c;
	bool is_after_alone = false;
	int r;

	for (r = region - 1 < 1 ? (int)cat->n_regions : region - 1; r != region;
	     r = r - 1 < 1 ? (int)cat->n_regions : r - 1) {
		enum standing st = standing_of(cat, mx, r, m, period);

		if (st == PUBLIC)
			break;
		if (st == ALONE)
			is_after_alone = true;
	}
	if (!is_after_alone)
		return false;
	country_step(cat, mx, m, period, &c);
	return c.partner == region;
}

/* A region's outcome: whether its own figure is withheld, and the member
 * withheld as a partner of its small ones (-1: none). */
struct region {
	struct group g;
	bool is_withheld;
	int partner;
};

/* c: the country's step, or NULL to work it out if needed. */
static void
region_step(const struct catalog *cat, const struct matrix *mx, int region,
            int m, int period, const struct country *c, struct region *out)
{
	group_scan(cat, mx, region, m, period, &out->g);
	out->partner = -1;
	out->is_withheld = is_withheld_alone(&out->g);
	if (!out->is_withheld && out->g.n_reporting > 0)
		out->is_withheld =
		    c != NULL ? c->partner == region
		              : is_country_partner(cat, mx, region, m, period);
	if (out->is_withheld) {
		/* the region's figure can't be told from its members' */
		if (out->g.n_small == 0)
			out->partner = out->g.smallest;
	} else if (out->g.n_small > 0 &&
	           (out->g.n_small < 2 || out->g.small_sum < SUPPRESS_BELOW)) {
		/* the difference from the public members must hold two
		 * withheld figures, at least SUPPRESS_BELOW together */
		out->partner = out->g.smallest;
	}
}

/* Whether municipality i's count m of period is withheld from the
 * public. Reads i's region, mostly only until a smaller figure than i's
 * shows that i is not its region's partner; the country only when it
 * is. */
static bool
is_municipality_withheld(const struct catalog *cat, const struct matrix *mx,
                         int i, int m, int period)
{
	double own = matrix_get(mx, i, period, m), v;
	int region = cat->areas[i].region, j;
	struct members it;
	struct region r;

	if (isnan(own))
		return false;
	if (own < SUPPRESS_BELOW)
		return true;
	if (region < 0)
		return false;
	/* a partner is its region's smallest figure not small */
	for (members_begin(&it, cat, region); (j = members_next(&it)) >= 0;) {
		v = matrix_get(mx, j, period, m);
		if (j != i && !isnan(v) && v >= SUPPRESS_BELOW &&
		    (v < own || (v == own && j < i)))
			return false;
	}
	region_step(cat, mx, region, m, period, NULL, &r);
	return r.partner == i;
}

/* What a group's withheld members must not show. */
struct leak_check {
	const struct indicator *ind; /* or NULL: a min or max */
	bool is_weighted;            /* the count is weighted: any */
	double extreme;              /* a min or max: its value */
	int n_contributors;          /* an indicator's: its reporting */
};

static bool
is_contributor(const struct catalog *cat, const struct matrix *mx,
               const struct indicator *ind, int i, int period)
{
	double n = term_value(cat, mx, &ind->num, i, period);
	double d =
	    has_term(&ind->den) ? term_value(cat, mx, &ind->den, i, period) : 0;

	return !isnan(n) && !isnan(d) &&
	       (ind->num.measure >= 0 || ind->den.measure >= 0);
}

/* Whether a withheld member of region r would show through the group's
 * figure: outside an indicator's contributors (the indicator's sums would
 * differ from the measure's by withheld figures alone), or the extreme of
 * a min or max. */
static bool
is_leaking(const struct catalog *cat, const struct matrix *mx,
           const struct region *st, int r, int m, int period,
           const struct leak_check *lc)
{
	struct members it;
	double v;
	int i;

	if (st->g.n_small == 0 && st->partner < 0)
		return false;
	/* every member that reported the count contributes */
	if (lc->ind != NULL && !lc->is_weighted &&
	    lc->n_contributors == st->g.n_reporting)
		return false;
	for (members_begin(&it, cat, r); (i = members_next(&it)) >= 0;) {
		v = matrix_get(mx, i, period, m);
		if (isnan(v) || (v >= SUPPRESS_BELOW && i != st->partner))
			continue;
		if (lc->ind == NULL
		        ? v == lc->extreme
		        : lc->is_weighted ||
		              !is_contributor(cat, mx, lc->ind, i, period))
			return true;
	}
	return false;
}

/* Whether a region's or the country's count m of period, as a sum, is
 * withheld from the public, or (lc not NULL) one of its withheld members
 * would show through the figure lc describes. */
static bool
is_group_withheld(const struct catalog *cat, const struct matrix *mx, int area,
                  int m, int period, const struct leak_check *lc)
{
	struct leak_check whole;
	struct country c;
	struct region st;
	int r, n_reporting = 0;

	if (cat->areas[area].level == AREA_REGION) {
		region_step(cat, mx, area, m, period, NULL, &st);
		return st.is_withheld ||
		       (lc != NULL &&
		        is_leaking(cat, mx, &st, area, m, period, lc));
	}
	country_step(cat, mx, m, period, &c);
	if (c.is_withheld || lc == NULL)
		return c.is_withheld;
	whole = *lc;
	if (lc->ind != NULL && !lc->is_weighted) {
		for (r = 1; r <= (int)cat->n_regions; r++) {
			group_scan(cat, mx, r, m, period, &st.g);
			n_reporting += st.g.n_reporting;
		}
		if (n_reporting == lc->n_contributors)
			return false;
	}
	whole.n_contributors = -1; /* by region, not as a whole */
	for (r = 1; r <= (int)cat->n_regions; r++) {
		region_step(cat, mx, r, m, period, &c, &st);
		if (is_leaking(cat, mx, &st, r, m, period, &whole))
			return true;
	}
	return false;
}

/* A count term of an indicator withheld at area, or showing a withheld
 * member's figure through the group's sums. */
static bool
is_term_withheld(const struct catalog *cat, const struct matrix *mx,
                 const struct indicator *ind, const struct term *t, int area,
                 int period, int reporting)
{
	struct leak_check lc = { ind, t->ref != REF_NONE, 0, reporting };

	if (!is_count(cat, t->measure))
		return false;
	if (cat->areas[area].level == AREA_MUNICIPALITY)
		return is_municipality_withheld(cat, mx, area, t->measure,
		                                period);
	return is_group_withheld(cat, mx, area, t->measure, period, &lc);
}

/* Whether a figure known to this point is withheld from the public. */
static bool
is_withheld(const struct catalog *cat, const struct matrix *mx,
            const struct figure_key *key, int period, const struct figure *f)
{
	const struct indicator *ind;
	const struct measure *ms;
	struct leak_check lc = { NULL, false, f->value, 0 };
	bool is_group = cat->areas[key->area].level != AREA_MUNICIPALITY;

	if (key->indicator >= 0) {
		ind = &cat->indicators[key->indicator];
		if (ind->kind == IND_REPORTING ||
		    (!is_count(cat, ind->num.measure) &&
		     !is_count(cat, ind->den.measure)))
			return false;
		if (is_group && f->reporting < 3)
			return true;
		return is_term_withheld(cat, mx, ind, &ind->num, key->area,
		                        period, f->reporting) ||
		       is_term_withheld(cat, mx, ind, &ind->den, key->area,
		                        period, f->reporting);
	}
	ms = &cat->measures[key->measure];
	if (!ms->is_count)
		return false;
	if (!is_group)
		return is_municipality_withheld(cat, mx, key->area,
		                                key->measure, period);
	if (ms->aggregate != AGG_MIN && ms->aggregate != AGG_MAX)
		return is_group_withheld(cat, mx, key->area, key->measure,
		                         period, NULL);
	/* the smallest or largest count of a group is one municipality's */
	return f->reporting < 3 || f->value < SUPPRESS_BELOW ||
	       is_group_withheld(cat, mx, key->area, key->measure, period, &lc);
}

static void
measure_figure(const struct catalog *cat, const struct matrix *mx,
               const struct figure_key *key, int period, struct figure *out)
{
	enum aggregate agg = cat->measures[key->measure].aggregate;
	double acc = 0, v;
	struct members it;
	int i;

	for (members_begin(&it, cat, key->area);
	     (i = members_next(&it)) >= 0;) {
		out->expected++;
		v = matrix_get(mx, (int)i, period, key->measure);
		if (isnan(v))
			continue;
		if (out->reporting == 0)
			acc = v;
		else if (agg == AGG_MIN)
			acc = v < acc ? v : acc;
		else if (agg == AGG_MAX)
			acc = v > acc ? v : acc;
		else
			acc += v;
		out->reporting++;
	}
	if (out->reporting == 0)
		return;
	out->value = agg == AGG_MEAN ? acc / out->reporting : acc;
	out->numerator = out->value;
	out->flag = FIGURE_OK;
}

static void
ratio_figure(const struct catalog *cat, const struct matrix *mx,
             const struct indicator *ind, const struct figure_key *key,
             int period, struct figure *out)
{
	bool has_den = has_term(&ind->den);
	double sum_num = 0, sum_den = 0, n, d;
	struct members it;
	int i;

	for (members_begin(&it, cat, key->area);
	     (i = members_next(&it)) >= 0;) {
		out->expected++;
		n = term_value(cat, mx, &ind->num, (int)i, period);
		d = has_den ? term_value(cat, mx, &ind->den, (int)i, period)
		            : 0;
		/* a term of reference figures alone counts only beside a
		 * reported one */
		if (isnan(n) || isnan(d) ||
		    (ind->num.measure < 0 && ind->den.measure < 0))
			continue;
		sum_num += n;
		sum_den += d;
		out->reporting++;
	}
	if (out->reporting == 0 || (has_den && sum_den == 0))
		return;
	out->numerator = sum_num;
	out->denominator = has_den ? sum_den : NAN;
	out->value = (has_den ? sum_num / sum_den : sum_num) * ind->scale;
	out->flag = FIGURE_OK;
}

static void
reporting_figure(const struct catalog *cat, const struct matrix *mx,
                 const struct indicator *ind, const struct figure_key *key,
                 int period, struct figure *out)
{
	struct members it;
	int i;

	for (members_begin(&it, cat, key->area);
	     (i = members_next(&it)) >= 0;) {
		out->expected++;
		if (matrix_received(mx, (int)i, period) != 0)
			out->reporting++;
	}
	if (out->expected == 0)
		return;
	out->numerator = out->reporting;
	out->denominator = out->expected;
	out->value = (double)out->reporting / out->expected * ind->scale;
	out->flag = FIGURE_OK;
}

void
figure_compute(const struct catalog *cat, const struct matrix *mx,
               const struct figure_key *key, int period, bool is_unsuppressed,
               struct figure *out)
{
	const struct indicator *ind =
	    key->indicator >= 0 ? &cat->indicators[key->indicator] : NULL;

	out->value = out->numerator = out->denominator = NAN;
	out->reporting = out->expected = 0;
	out->flag = FIGURE_MISSING;
	out->is_outlier = false;
	if (ind == NULL)
		measure_figure(cat, mx, key, period, out);
	else if (ind->kind == IND_REPORTING)
		reporting_figure(cat, mx, ind, key, period, out);
	else
		ratio_figure(cat, mx, ind, key, period, out);
	if (is_unsuppressed || out->flag != FIGURE_OK ||
	    !is_withheld(cat, mx, key, period, out))
		return;
	out->value = out->numerator = out->denominator = NAN;
	out->flag = FIGURE_SUPPRESSED;
}

int
figure_latest_period(const struct catalog *cat, const struct matrix *mx,
                     int area)
{
	int p, best = -1, best_n = 0, n, expected = 0, last = -1, first, i;
	struct members it;

	if (cat->areas[area].level == AREA_MUNICIPALITY)
		return matrix_latest(mx, area);
	first = mx->first_period;
	for (members_begin(&it, cat, area); (i = members_next(&it)) >= 0;) {
		expected++;
		if (matrix_latest(mx, i) > last)
			last = matrix_latest(mx, i);
	}
	for (p = last; p >= first && last >= 0; p--) {
		n = 0;
		for (members_begin(&it, cat, area);
		     (i = members_next(&it)) >= 0;)
			if (matrix_received(mx, i, p) != 0)
				n++;
		if (2 * n >= expected && n > 0)
			return p;
		if (n > best_n) {
			best_n = n;
			best = p;
		}
	}
	return best;
}

bool
figure_is_suppressible(const struct catalog *cat, const struct figure_key *key)
{
	const struct indicator *ind;

	if (key->indicator < 0)
		return cat->measures[key->measure].is_count;
	ind = &cat->indicators[key->indicator];
	if (ind->kind == IND_REPORTING)
		return false;
	return (ind->num.measure >= 0 &&
	        cat->measures[ind->num.measure].is_count) ||
	       (ind->den.measure >= 0 &&
	        cat->measures[ind->den.measure].is_count);
}
