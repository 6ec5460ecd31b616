/*
 * figure.h: THE rule for an area's value of an indicator or a measure in
 * a period (SPEC §3, §6, §7). Every reader - series, latest, charts, the
 * dashboard's tables, the export - calls it; nothing re-derives it.
 *
 * - A municipality's value is its own figure (a measure), or its
 *   numerator term over its denominator term times the scale (an
 *   indicator; a term is a measure, a measure weighted by a reference
 *   figure, or a reference figure alone).
 * - A region's or the country's indicator is sum(numerator terms) /
 *   sum(denominator terms) * scale over the municipalities that reported
 *   both in that period, never a mean of ratios; a measure follows its
 *   aggregate rule over the municipalities that reported it.
 * - reporting_rate is the municipalities that reported the period (any
 *   figure) over those expected, times 100.
 * - reporting counts the municipalities behind the value; expected is the
 *   number the area has.
 * - Disclosure control (SPEC §7): what the public sees. It works on each
 *   count measure (is_count) and period by itself, over two kinds of
 *   group, each a total and its parts: a region and its municipalities
 *   that reported the count, the country and its regions that did.
 *   1. Primary: a municipality's count below SUPPRESS_BELOW is withheld.
 *   2. A region's total is withheld when fewer than three municipalities
 *      stand behind it, or when all of them are small and together
 *      below SUPPRESS_BELOW (no partner could cover them); the country's
 *      when fewer than three stand behind it.
 *   3. The country's group: unless no region is withheld, or at least
 *      two are and they hold SUPPRESS_BELOW or more together, the first
 *      region after the first withheld one (catalog order, wrapping)
 *      that is not withheld is withheld as its partner; if there is
 *      none, the country's total is.
 *   4. Each region's group: if its total is public and its withheld
 *      members are one, or hold less than SUPPRESS_BELOW together, its
 *      smallest public member (the first in catalog order on a tie) is
 *      withheld as their partner; if its total is withheld and none of
 *      its members is, the same member is withheld, so that the total
 *      cannot be added up from its members.
 *   After these steps, in every group the withheld figures are none or
 *   at least two, and if the total is public its withheld parts hold at
 *   least SUPPRESS_BELOW together: no difference of public figures (a
 *   total minus its public parts, the country minus its public regions
 *   and their public members) gives one withheld count, nor a small sum.
 *   Steps 3 and 4 only add: 4 never withholds a region, so no further
 *   round is needed.
 *   A min or max of a count is one municipality's figure: withheld as
 *   the group's total is, and also when below SUPPRESS_BELOW or equal to
 *   a withheld member's figure.
 * - An indicator built on counts (numerator or denominator) is withheld
 *   wherever one of its counts is; a region's or the country's also
 *   when fewer than three municipalities stand behind it, or when a
 *   municipality whose count is withheld is not among them (its sums
 *   would then differ from the count's by withheld figures alone), or,
 *   for a count weighted by a reference figure, when any member's count
 *   is withheld. Its numerator and denominator are then withheld with
 *   it; a public one's follow from public figures. reporting_rate is
 *   never withheld.
 * - A reader who sees everything (the ministry, a municipality for its
 *   own figures: is_unsuppressed) gets the figures as they are. A
 *   municipality's own token sees its own count and can subtract it
 *   from its region's: that tells it its partner's figure, which is
 *   never below SUPPRESS_BELOW. Its neighbours' figures stay under the
 *   rule.
 * - Cost: a municipality's figure reads its region's members (mostly
 *   only until a smaller figure), and the country's only for its
 *   region's smallest member; a region's its own members and, for step
 *   3, mostly the few first members of the region before it. What the
 *   public sees of an area depends on other areas' figures, so new
 *   figures anywhere make cached public answers stale (app.c).
 *
 * Pure: reads the catalog and a matrix the caller keeps still.
 */
#ifndef KUNTAMON_FIGURE_H
#define KUNTAMON_FIGURE_H

#include <stdbool.h>

#include "catalog.h"
#include "matrix.h"

#define SUPPRESS_BELOW 5 /* public counts below this are withheld */

enum figure_flag {
	FIGURE_OK,         /* value is known */
	FIGURE_MISSING,    /* nobody reported it (or a zero denominator) */
	FIGURE_SUPPRESSED, /* withheld from this reader */
};

/* One area's indicator (indicator >= 0) or measure (indicator -1). */
struct figure_key {
	int area;
	int indicator;
	int measure;
};

struct figure {
	double value;       /* NaN unless FIGURE_OK */
	double numerator;   /* the numerator's sum (a measure: its value);
	                     * NaN unless FIGURE_OK */
	double denominator; /* the denominator's sum; NaN without one */
	int reporting;      /* municipalities behind the value */
	int expected;       /* municipalities of the area */
	enum figure_flag flag;
	/* a municipality's value built on a figure flagged as an outlier
	 * (figures/outlier.h): set by data_mark_outliers, never here */
	bool is_outlier;
};

/* The figure of key in period, for a reader who sees small counts
 * (is_unsuppressed) or the public. */
void figure_compute(const struct catalog *cat, const struct matrix *mx,
                    const struct figure_key *key, int period,
                    bool is_unsuppressed, struct figure *out);

/* The period an area's latest figures describe: a municipality's latest
 * reported period; a region's or the country's latest period that at
 * least half of its municipalities reported, else the one the most
 * reported (the later on a tie). -1 if none of them ever reported. */
int figure_latest_period(const struct catalog *cat, const struct matrix *mx,
                         int area);

/* Whether key's figures could ever be withheld from the public (a count,
 * or an indicator built on one, of any area): otherwise every reader gets
 * the same answer, and caches may share it. */
bool figure_is_suppressible(const struct catalog *cat,
                            const struct figure_key *key);

/* Whether municipality i belongs to area (itself, its region, the
 * country). */
bool figure_is_member(const struct catalog *cat, int area, int i);

/* "ok" (the value is known), "missing", "suppressed". */
const char *figure_flag_name(enum figure_flag flag);

#endif
