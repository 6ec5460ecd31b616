/*
 * chart.h: GET /chart/AREA/INDICATOR.svg and .png (SPEC §6), charts drawn
 * by librrd in memory of the figure function's monthly values (the series
 * API's numbers, SPEC §6-7), and kept in a cache of rendered images.
 *
 * The plan (DEFs and arguments for store_rrd_graph) is built by a pure
 * function, so that tests can run it against real files and read the drawn
 * value back: the plan names it "value" in the graph's RPN.
 */
#ifndef KUNTAMON_CHART_H
#define KUNTAMON_CHART_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "catalog.h"
#include "error.h"
#include "store_rrd.h"

/* Bounds of the image's size in pixels (the whole image: full-size mode):
 * a size asked for within them is drawn at the next of a few sizes
 * (chart_normalise), so that the charts there are to render and cache
 * are few. */
#define CHART_WIDTH_MIN 200
#define CHART_WIDTH_MAX 2000
#define CHART_WIDTH_DEFAULT 800
#define CHART_HEIGHT_MIN 100
#define CHART_HEIGHT_MAX 1200
#define CHART_HEIGHT_DEFAULT 300
/* The longest range a chart spans: the RRAs keep 20 years, and a chart
 * may show some time around them. */
#define CHART_RANGE_MAX_S ((time_t)366 * 86400 * 30)

/* Renders wait in a queue of at most CHART_QUEUE_MAX, each for at most
 * CHART_WAIT_MS (also while another request renders the same chart);
 * past either, 503 with Retry-After: CHART_RETRY_AFTER_S. Cached charts
 * are served at once, whatever the queue holds. */
#define CHART_QUEUE_MAX 8
#define CHART_WAIT_MS 2000
#define CHART_RETRY_AFTER_S 2

enum chart_format { CHART_PNG, CHART_SVG };

/* What one chart shows. */
struct chart_spec {
	int area;      /* index into cat->areas */
	int indicator; /* index into cat->indicators, or -1 for a measure */
	int measure;   /* index into cat->measures when indicator is -1 */
	time_t start, end;
	int width, height; /* of the whole image */
	enum lang lang;
	enum chart_format format;
	bool is_suppressed; /* the reader is not unsuppressed for the area
	                       (SPEC §7): a municipality's small counts are
	                       not drawn (regions have none to withhold) */
};

/* Rounds spec's size up to the next of the drawn sizes (widths 400, 720,
 * 800, 1200, 2000; heights 150, 300, 600, 1200) and its range out to
 * whole months (what the chart draws is monthly): start to its month's
 * first second, end to the end of the month that holds end - 1. Pure. */
void chart_normalise(struct chart_spec *spec);

/* The arguments of one store_rrd_graph call. */
struct chart_plan {
	struct rrd_graph_def *defs;
	size_t n_defs;
	char **args;
	size_t n_args;
	bool has_note; /* a note on withheld counts is in the legend */
};

/* The plan of spec's chart: values[i] (the figure of a period; NaN:
 * unknown or withheld) from starts[i] to starts[i + 1] (the last to end),
 * drawn as a step function on the time base of the DEF base (any file:
 * librrd draws nothing without one); a note says counts were withheld if
 * has_withheld. The drawn value is the RPN variable "value". Pure. Free
 * with chart_plan_reset. */
void chart_plan_build(const struct catalog *cat, const struct chart_spec *spec,
                      const struct rrd_graph_def *base, const time_t *starts,
                      const double *values, size_t n, time_t end,
                      bool has_withheld, struct chart_plan *out);
/* The chart's frame alone (title, axes, "no data"), no DEF: for an area
 * none of whose municipalities has a file yet. Pure. */
void chart_plan_frame(const struct catalog *cat, const struct chart_spec *spec,
                      struct chart_plan *out);
void chart_plan_reset(struct chart_plan *p);

/* Renders one small chart so that librrd loads its fonts (~27 ms) before
 * the first request, and makes the cache. Call once at start-up, before
 * the server. */
void chart_init(void);
/* Drops the cache of rendered charts (routes_release calls it). */
void chart_release(void);

struct gate_queue;
/* The render queue (gate.h), made on first use: tests take its turn to
 * hold renders back. */
struct gate_queue *chart_render_queue(void);

#endif
