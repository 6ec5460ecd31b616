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
 * - To the public, a municipality's count below SUPPRESS_BELOW, and every
 *   indicator built on one, is withheld; so is a region's or the
 *   country's value when one municipality alone stands behind it and its
 *   count is small, and a group's min or max of a count below
 *   SUPPRESS_BELOW.
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
