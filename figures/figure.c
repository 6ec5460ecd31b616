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

/* A count below SUPPRESS_BELOW of municipality i: withheld from the
 * public, with every indicator built on it. */
static bool
is_small_count(const struct catalog *cat, const struct matrix *mx, int m, int i,
               int period)
{
	double v;

	if (m < 0 || !cat->measures[m].is_count)
		return false;
	v = matrix_get(mx, i, period, m);
	return !isnan(v) && v < SUPPRESS_BELOW;
}

static void
measure_figure(const struct catalog *cat, const struct matrix *mx,
               const struct figure_key *key, int period, struct figure *out,
               int *out_contributor)
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
		*out_contributor = (int)i;
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
             int period, struct figure *out, int *out_contributor)
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
		*out_contributor = (int)i;
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
	bool is_small = false;
	int who = -1; /* the last municipality counted */

	out->value = out->numerator = out->denominator = NAN;
	out->reporting = out->expected = 0;
	out->flag = FIGURE_MISSING;
	if (ind == NULL)
		measure_figure(cat, mx, key, period, out, &who);
	else if (ind->kind == IND_REPORTING)
		reporting_figure(cat, mx, ind, key, period, out);
	else
		ratio_figure(cat, mx, ind, key, period, out, &who);
	if (is_unsuppressed || out->flag != FIGURE_OK ||
	    (ind != NULL && ind->kind == IND_REPORTING))
		return;
	/* a group of one is that municipality's figure in disguise */
	if (cat->areas[key->area].level != AREA_MUNICIPALITY &&
	    out->reporting != 1)
		who = -1;
	if (who >= 0 && ind == NULL)
		is_small = is_small_count(cat, mx, key->measure, who, period);
	else if (who >= 0)
		is_small =
		    is_small_count(cat, mx, ind->num.measure, who, period) ||
		    is_small_count(cat, mx, ind->den.measure, who, period);
	/* the smallest or largest count of a group is one municipality's */
	if (ind == NULL && cat->measures[key->measure].is_count &&
	    (cat->measures[key->measure].aggregate == AGG_MIN ||
	     cat->measures[key->measure].aggregate == AGG_MAX) &&
	    out->value < SUPPRESS_BELOW)
		is_small = true;
	if (is_small) {
		out->value = out->numerator = out->denominator = NAN;
		out->flag = FIGURE_SUPPRESSED;
	}
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
