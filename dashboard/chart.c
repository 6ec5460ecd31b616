/*
 * chart.c: GET /chart/AREA/INDICATOR.svg and .png, the charts librrd draws
 * in memory, and the cache of rendered ones.
 *
 * The drawn value is the series API's: the figure function's value of each
 * period (figure.h: ratios of sums, aggregates, suppression for this
 * reader), drawn as a step function of TIME over one RRD file's time base.
 * Regions and the country need no file of their own, and nothing here
 * re-derives the arithmetic.
 * Every chart is a function of its key (area, indicator, range in whole
 * months, size, language, format, view) and the area's data generation,
 * so cached images are dropped exactly when new data lands for the area,
 * and the ETag is made of the two: the same for a cached image and a new
 * render. Sizes are a few (chart_normalise), languages three, so that
 * the keys a client can make are few too.
 *
 * librrd renders one chart at a time (store_rrd_graph holds the lock).
 * Renders take turns in a queue (gate.h) of bounded length, each waiter
 * with a deadline: a flood of uncached charts gets 503 with Retry-After
 * past it, holding nothing, and cannot make others wait without end.
 * Requests for a chart being rendered wait for that render (within the
 * same deadline) instead of queueing their own. A cached chart is served
 * before any of this, at once.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "app.h"
#include "buf.h"
#include "cache.h"
#include "chart.h"
#include "gate.h"
#include "clock.h"
#include "lang.h"
#include "log.h"
#include "routes.h"
#include "figure.h"
#include "series.h"
#include "timespec.h"
#include "xmalloc.h"

#define CACHE_BYTES (24u * 1024 * 1024)
#define KEY_MAX 256
#define MAX_IN_FLIGHT 32
/* 1980-01-01: librrd takes smaller numbers for dates ("month 100080") */
#define TIME_MIN ((time_t)315532800)
#define DEFAULT_START "-1y"
#define DEFAULT_END "now"

/* Colours: a dark blue line (contrast 6.6:1 on white) over a light fill,
 * quiet grey grid and axes, near-black text. */
#define LINE_COLOUR "#1F5FAD"
#define FILL_COLOUR "#1F5FAD26"
#define TITLE_PT 11
#define TITLE_PT_MIN 8

/* Legend notes (add_comment escapes them for librrd). A withheld month
 * may hold a count of 5 or more: one withheld so that a difference of
 * public figures cannot reveal a small one (figure.h). */
static const char *const note_withheld[N_LANGS] = {
	[LANG_FI] =
	    "Pieniä lukuja ja niitä paljastavia ei näytetä (tietosuoja)",
	[LANG_SV] = "Små tal och tal som röjer dem visas inte (dataskydd)",
	[LANG_EN] =
	    "Small counts and figures revealing them not shown (privacy)",
};
static const char *const note_no_data[N_LANGS] = {
	[LANG_FI] = "Ei tietoja",
	[LANG_SV] = "Inga uppgifter",
	[LANG_EN] = "No data",
};

enum xfmt { XF_TIME, XF_DAY, XF_MONTH, XF_YEAR };

/* Time-axis labels by spacing, finest first; the formats are numeric (or
 * English) so that no locale is needed. */
static const struct {
	time_t label_s;
	const char *grid; /* --x-grid without the label format */
	enum xfmt fmt;
} xgrids[] = {
	{ 3600, "MINUTE:15:HOUR:1:HOUR:1:0", XF_TIME },
	{ 3 * 3600, "HOUR:1:HOUR:3:HOUR:3:0", XF_TIME },
	{ 6 * 3600, "HOUR:1:HOUR:6:HOUR:6:0", XF_TIME },
	{ 12 * 3600, "HOUR:3:HOUR:12:HOUR:12:0", XF_TIME },
	{ 86400, "HOUR:6:DAY:1:DAY:1:0", XF_DAY },
	{ 2 * 86400, "HOUR:12:DAY:1:DAY:2:0", XF_DAY },
	{ 7 * 86400, "DAY:1:WEEK:1:WEEK:1:0", XF_DAY },
	{ 14 * 86400, "DAY:1:WEEK:1:WEEK:2:0", XF_DAY },
	{ 31 * 86400, "WEEK:1:MONTH:1:MONTH:1:0", XF_MONTH },
	{ 62 * 86400, "MONTH:1:MONTH:1:MONTH:2:0", XF_MONTH },
	{ 92 * 86400, "MONTH:1:MONTH:3:MONTH:3:0", XF_MONTH },
	{ 183 * 86400, "MONTH:1:MONTH:6:MONTH:6:0", XF_MONTH },
	{ 366 * 86400, "MONTH:3:YEAR:1:YEAR:1:0", XF_YEAR },
	{ 731 * 86400, "MONTH:6:YEAR:1:YEAR:2:0", XF_YEAR },
	{ 1827 * 86400, "YEAR:1:YEAR:5:YEAR:5:0", XF_YEAR },
	{ 3653 * 86400, "YEAR:1:YEAR:10:YEAR:10:0", XF_YEAR },
};

static const struct {
	int label_px; /* room a label needs, with space around it */
	const char *fmt[N_LANGS];
} xfmts[] = {
	[XF_TIME] = { 55, { "%H:%M", "%H:%M", "%H:%M" } },
	[XF_DAY] = { 55, { "%-d.%-m.", "%-d/%-m", "%-d %b" } },
	[XF_MONTH] = { 70, { "%-m/%Y", "%Y-%m", "%b %Y" } },
	[XF_YEAR] = { 45, { "%Y", "%Y", "%Y" } },
};

static const char *const chart_types[] = {
	[CHART_PNG] = "image/png",
	[CHART_SVG] = "image/svg+xml",
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache *chart_cache;

/* The drawn sizes, ascending (chart.h). */
static const int widths[] = { 400, 720, 800, 1200, CHART_WIDTH_MAX };
static const int heights[] = { 150, 300, 600, CHART_HEIGHT_MAX };

/* The queue of renders; flight_done is on CLOCK_MONOTONIC too. Made once
 * (make_queue), kept until exit: a thread may still wait in it. */
static pthread_once_t queue_once = PTHREAD_ONCE_INIT;
static struct gate_queue render_queue;

/* The charts being rendered, by key and generation. */
static pthread_mutex_t flight_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flight_done;
static struct {
	bool is_used;
	unsigned long generation;
	char key[KEY_MAX];
} in_flight[MAX_IN_FLIGHT];

/* --- the plan (pure) --- */

static void add_arg(struct chart_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends s (from malloc) to the arguments; the plan owns it. */
static void
add_arg_take(struct chart_plan *p, char *s)
{
	p->args = xreallocarray(p->args, p->n_args + 1, sizeof(*p->args));
	p->args[p->n_args++] = s;
}

static void
add_arg(struct chart_plan *p, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	int len;
	char *s;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	n = (size_t)(len < 0 ? 0 : len) + 1;
	s = xmalloc(n);
	va_start(ap, fmt);
	vsnprintf(s, n, fmt, ap);
	va_end(ap);
	add_arg_take(p, s);
}

/* A DEF named prefix and i ("n12"); returns its name. */
void
chart_plan_reset(struct chart_plan *p)
{
	size_t i;

	for (i = 0; i < p->n_args; i++)
		free(p->args[i]);
	free(p->args);
	free(p->defs);
	memset(p, 0, sizeof(*p));
}

/* text with librrd's COMMENT escapes: ':' as "\:", and no backslash that
 * could start a legend directive. */
static void
add_comment(struct chart_plan *p, const char *text)
{
	size_t n = strlen(text), i, k = 0;
	char *s = xmalloc(2 * n + 1);

	for (i = 0; i < n; i++) {
		if (text[i] == '\\')
			continue;
		if (text[i] == ':')
			s[k++] = '\\';
		s[k++] = text[i];
	}
	s[k] = '\0';
	add_arg(p, "COMMENT:%s\\c", s);
	free(s);
}

static const char *
xgrid_for(time_t range_s, int width, enum lang lang, char *out, size_t size)
{
	size_t i, n = sizeof(xgrids) / sizeof(xgrids[0]);

	for (i = 0; i + 1 < n; i++) {
		int px = xfmts[xgrids[i].fmt].label_px;
		time_t max_labels = (width - 70) / px;

		if (max_labels < 2)
			max_labels = 2;
		/* hours alone name no day: only within about one */
		if (xgrids[i].fmt == XF_TIME && range_s > 36 * 3600)
			continue;
		if (range_s / xgrids[i].label_s <= max_labels)
			break;
	}
	snprintf(out, size, "%s:%s", xgrids[i].grid,
	         xfmts[xgrids[i].fmt].fmt[lang]);
	return out;
}

static const char *
spec_name(const struct catalog *cat, const struct chart_spec *s)
{
	return s->indicator >= 0 ? cat->indicators[s->indicator].name[s->lang]
	                         : cat->measures[s->measure].name[s->lang];
}

static const char *
spec_unit(const struct catalog *cat, const struct chart_spec *s)
{
	return s->indicator >= 0 ? cat->indicators[s->indicator].unit
	                         : cat->measures[s->measure].unit;
}

/* The title's font size for the image's width, and the title cut short
 * with an ellipsis (at a space if one is near) if even the smallest size
 * is too wide: librrd clips it at both ends. DejaVu Sans Bold runs about
 * 0.8 of its size a character. */
static int
fit_title(const char *title, int width, char *out, size_t size)
{
	double room = width - 16;
	size_t n = 0, i, cut = 0, max_chars, space = 0;
	int pt;

	for (i = 0; title[i] != '\0'; i++)
		n += ((unsigned char)title[i] & 0xC0) != 0x80;
	for (pt = TITLE_PT; pt > TITLE_PT_MIN && n * 0.8 * pt > room; pt--)
		;
	max_chars = (size_t)(room / (0.8 * pt));
	if (n <= max_chars) {
		snprintf(out, size, "%s", title);
		return pt;
	}
	/* the byte where code point max_chars - 1 starts */
	for (i = 0, n = 0; title[i] != '\0'; i++) {
		if (((unsigned char)title[i] & 0xC0) == 0x80)
			continue;
		if (n == max_chars - 1) {
			cut = i;
			break;
		}
		if (title[i] == ' ')
			space = i;
		n++;
	}
	if (space > cut * 3 / 4)
		cut = space;
	snprintf(out, size, "%.*s…", (int)cut, title);
	return pt;
}

/* Title, axes, style: what every chart has, data or not. */
static void
add_layout(struct chart_plan *p, const char *title, const char *unit,
           const struct chart_spec *s)
{
	char grid[128], fitted[2 * NAME_MAX_BYTES + 16];
	int title_pt;

	add_arg(p, "--imgformat");
	add_arg(p, "%s", s->format == CHART_SVG ? "SVG" : "PNG");
	add_arg(p, "--start");
	add_arg(p, "%lld", (long long)s->start);
	add_arg(p, "--end");
	add_arg(p, "%lld", (long long)s->end);
	/* width and height of the whole image, not of the plot */
	add_arg(p, "--full-size-mode");
	add_arg(p, "--width");
	add_arg(p, "%d", s->width);
	add_arg(p, "--height");
	add_arg(p, "%d", s->height);
	title_pt = fit_title(title, s->width, fitted, sizeof(fitted));
	add_arg(p, "--title");
	add_arg(p, "%s", fitted);
	if (unit[0] != '\0') {
		add_arg(p, "--vertical-label");
		add_arg(p, "%s", unit);
	}
	add_arg(p, "--disable-rrdtool-tag");
	add_arg(p, "--slope-mode");
	add_arg(p, "--border");
	add_arg(p, "0");
	/* every figure is a count, a share or a rate: from zero up */
	add_arg(p, "--lower-limit");
	add_arg(p, "0");
	/* 0.8 FTE, not "800 m" */
	add_arg(p, "--units-exponent");
	add_arg(p, "0");
	add_arg(p, "--x-grid");
	add_arg(p, "%s",
	        xgrid_for(s->end - s->start, s->width, s->lang, grid,
	                  sizeof(grid)));
	add_arg(p, "--grid-dash");
	add_arg(p, "1:0");
	add_arg(p, "--font");
	add_arg(p, "DEFAULT:9:DejaVu Sans");
	add_arg(p, "--font");
	add_arg(p, "TITLE:%d:DejaVu Sans Bold", title_pt);
	add_arg(p, "--font");
	add_arg(p, "AXIS:8:DejaVu Sans");
	add_arg(p, "--font");
	add_arg(p, "LEGEND:9:DejaVu Sans");
	add_arg(p, "--color");
	add_arg(p, "BACK#FFFFFF");
	add_arg(p, "--color");
	add_arg(p, "CANVAS#FFFFFF");
	add_arg(p, "--color");
	add_arg(p, "SHADEA#FFFFFF");
	add_arg(p, "--color");
	add_arg(p, "SHADEB#FFFFFF");
	add_arg(p, "--color");
	add_arg(p, "GRID#E6E6E6");
	add_arg(p, "--color");
	add_arg(p, "MGRID#C4C4C4");
	add_arg(p, "--color");
	add_arg(p, "FONT#1A1A1A");
	add_arg(p, "--color");
	add_arg(p, "AXIS#595959");
	add_arg(p, "--color");
	add_arg(p, "ARROW#595959");
	add_arg(p, "--color");
	add_arg(p, "FRAME#FFFFFF");
}

static void
format_title(const struct catalog *cat, const struct chart_spec *s, char *out,
             size_t size)
{
	snprintf(out, size, "%s — %s", cat->areas[s->area].name[s->lang],
	         spec_name(cat, s));
}

/* The frame with a note and nothing drawn: an invisible rule gives librrd
 * something to draw, which it needs to draw at all. */
static void
plan_frame(struct chart_plan *p, const char *title, const char *unit,
           const char *note, const struct chart_spec *s)
{
	memset(p, 0, sizeof(*p));
	add_layout(p, title, unit, s);
	add_arg(p, "--upper-limit");
	add_arg(p, "1");
	add_arg(p, "HRULE:0#FFFFFF00");
	add_comment(p, note);
}

void
chart_plan_frame(const struct catalog *cat, const struct chart_spec *spec,
                 struct chart_plan *out)
{
	char title[2 * NAME_MAX_BYTES + 8];

	format_title(cat, spec, title, sizeof(title));
	plan_frame(out, title, spec_unit(cat, spec), note_no_data[spec->lang],
	           spec);
}

void
chart_plan_build(const struct catalog *cat, const struct chart_spec *spec,
                 const struct rrd_graph_def *base, const time_t *starts,
                 const double *values, size_t n, time_t end, bool has_withheld,
                 struct chart_plan *out)
{
	char title[2 * NAME_MAX_BYTES + 8];
	struct buf b;
	size_t i;

	memset(out, 0, sizeof(*out));
	format_title(cat, spec, title, sizeof(title));
	add_layout(out, title, spec_unit(cat, spec), spec);
	if (spec->indicator >= 0 &&
	    cat->indicators[spec->indicator].kind == IND_REPORTING) {
		/* a share of municipalities: the whole scale in view */
		add_arg(out, "--upper-limit");
		add_arg(out, "%.17g", cat->indicators[spec->indicator].scale);
	}
	out->defs = xcalloc(1, sizeof(*out->defs));
	out->defs[0] = *base;
	out->n_defs = 1;
	/* (TIME < t0) ? UNKN : (TIME < t1) ? v0 : ... (TIME < end) ? v[n-1]
	 * : UNKN; the DEF only lends its time base */
	buf_init(&b, (size_t)-1);
	buf_printf(&b, "CDEF:value=%s,POP,TIME,%lld,LE,UNKN", base->vname,
	           n > 0 ? (long long)starts[0] : (long long)end);
	for (i = 0; i < n; i++) {
		buf_printf(&b, ",TIME,%lld,LE,",
		           (long long)(i + 1 < n ? starts[i + 1] : end));
		if (isfinite(values[i]))
			buf_printf(&b, "%.17g", values[i]);
		else
			buf_puts(&b, "UNKN");
	}
	buf_puts(&b, ",UNKN");
	for (i = 0; i <= n; i++)
		buf_puts(&b, ",IF");
	add_arg_take(out, buf_detach(&b, NULL));
	add_arg(out, "AREA:value%s", FILL_COLOUR);
	add_arg(out, "LINE2:value%s", LINE_COLOUR);
	if (has_withheld) {
		add_comment(out, note_withheld[spec->lang]);
		out->has_note = true;
	}
}

/* --- rendering --- */

static struct cache *
get_cache(void)
{
	struct cache *c;

	pthread_mutex_lock(&cache_lock);
	if (chart_cache == NULL)
		chart_cache = cache_new(CACHE_BYTES);
	c = chart_cache;
	pthread_mutex_unlock(&cache_lock);
	return c;
}

static void
xml_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		default:
			buf_append(b, s, 1);
		}
	}
}

/* Appends the root tag's attributes from a to b, with width and height
 * in pixels: librrd writes points ("800pt"), which a browser shows a third
 * larger than the PNG of the same size. */
static void
put_svg_attributes(struct buf *out, const char *a, const char *b, int width,
                   int height)
{
	static const char *const names[] = { " width=\"", " height=\"" };
	size_t i, n;

	while (a < b) {
		for (i = 0; i < 2; i++) {
			n = strlen(names[i]);
			if ((size_t)(b - a) > n && memcmp(a, names[i], n) == 0)
				break;
		}
		if (i == 2 || memchr(a + n, '"', (size_t)(b - a) - n) == NULL) {
			buf_append(out, a++, 1);
			continue;
		}
		buf_printf(out, "%s%d\"", names[i], i == 0 ? width : height);
		a = (const char *)memchr(a + n, '"', (size_t)(b - a) - n) + 1;
	}
}

/* librrd's SVG draws its text as glyph outlines: the title goes in again
 * as the <title> that screen readers and search read, with role="img",
 * and the size is made pixels. A heap copy (free), *out_len bytes. */
static char *
svg_finish(const unsigned char *svg, size_t len, const char *title, int width,
           int height, size_t *out_len)
{
	const char *text = (const char *)svg, *open = NULL, *close;
	struct buf b;
	size_t i;

	for (i = 0; i + 4 <= len && open == NULL; i++)
		if (memcmp(text + i, "<svg", 4) == 0)
			open = text + i;
	close = open != NULL ? memchr(open, '>', len - (size_t)(open - text))
	                     : NULL;
	buf_init(&b, (size_t)-1);
	if (close == NULL || close[-1] == '/') {
		buf_append(&b, svg, len);
		return buf_detach(&b, out_len);
	}
	buf_append(&b, text, (size_t)(open - text) + 4);
	buf_puts(&b, " role=\"img\" aria-label=\"");
	xml_escape(&b, title);
	buf_puts(&b, "\"");
	put_svg_attributes(&b, open + 4, close, width, height);
	buf_puts(&b, ">\n<title>");
	xml_escape(&b, title);
	buf_puts(&b, "</title>");
	buf_append(&b, close + 1, len - (size_t)(close + 1 - text));
	return buf_detach(&b, out_len);
}

/* The plan of spec's chart: the figure function's monthly series (what
 * the series API gives for the same question), drawn as a step function
 * on the time base of one RRD file, the area's own or a member's. 1: no
 * file at all, no plan. */
static int
plan_series(struct app *app, const struct chart_spec *spec,
            struct chart_plan *out, struct error *err)
{
	const struct catalog *cat;
	const struct matrix *mx;
	struct series_spec ss;
	struct series series;
	struct rrd_graph_def base;
	size_t i;

	memset(&base, 0, sizeof(base));
	mx = ingest_read(&app->figures, &cat);
	for (i = (size_t)spec->area; i < cat->n_areas && base.area[0] == '\0';
	     i++)
		if (figure_is_member(cat, spec->area, (int)i) &&
		    store_rrd_exists(app->rrd, cat->areas[i].code))
			snprintf(base.area, sizeof(base.area), "%s",
			         cat->areas[i].code);
	if (base.area[0] == '\0' || cat->n_measures == 0) {
		ingest_done(&app->figures);
		return 1;
	}
	snprintf(base.vname, sizeof(base.vname), "base");
	snprintf(base.ds, sizeof(base.ds), "%s", cat->measures[0].id);
	memset(&ss, 0, sizeof(ss));
	ss.key.area = spec->area;
	ss.key.indicator = spec->indicator;
	ss.key.measure = spec->measure;
	ss.is_monthly = true;
	ss.first_period = period_of(spec->start);
	ss.n_points = (size_t)(period_of(spec->end - 1) - ss.first_period) + 1;
	ss.start = period_start(ss.first_period);
	ss.end = period_end(period_of(spec->end - 1));
	series_compute(cat, mx, &ss, !spec->is_suppressed, &series);
	ingest_done(&app->figures);
	chart_plan_build(cat, spec, &base, series.times, series.values,
	                 series.n_points, series.end, series.n_withheld > 0,
	                 out);
	series_reset(&series);
	(void)err;
	return 0;
}

/* Renders spec's chart into a heap buffer: the plan, or the frame if no
 * file of the area exists yet. */
static int
render(struct app *app, const struct catalog *cat,
       const struct chart_spec *spec, char **out_data, size_t *out_len,
       struct error *err)
{
	struct chart_plan plan;
	struct rrd_image img;
	char title[2 * NAME_MAX_BYTES + 8];
	int rc;

	rc = plan_series(app, spec, &plan, err);
	if (rc == 0) {
		rc = store_rrd_graph(app->rrd, plan.defs, plan.n_defs,
		                     (const char *const *)plan.args,
		                     plan.n_args, &img, err);
		chart_plan_reset(&plan);
	}
	if (rc == 1) {
		chart_plan_frame(cat, spec, &plan);
		rc = store_rrd_graph(app->rrd, NULL, 0,
		                     (const char *const *)plan.args,
		                     plan.n_args, &img, err);
		chart_plan_reset(&plan);
	}
	if (rc < 0)
		return -1;
	if (spec->format == CHART_SVG) {
		format_title(cat, spec, title, sizeof(title));
		*out_data = svg_finish(img.data, img.len, title, spec->width,
		                       spec->height, out_len);
	} else {
		*out_data = (char *)img.data;
		*out_len = img.len;
		img.data = NULL;
	}
	rrd_image_reset(&img);
	return 0;
}

/* The first of sizes[n] (ascending) at least px, or the last. */
static int
snap(int px, const int *sizes, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && sizes[i] < px; i++)
		;
	return sizes[i];
}

void
chart_normalise(struct chart_spec *spec)
{
	spec->width =
	    snap(spec->width, widths, sizeof(widths) / sizeof(*widths));
	spec->height =
	    snap(spec->height, heights, sizeof(heights) / sizeof(*heights));
	spec->start = period_start(period_of(spec->start));
	spec->end = period_end(period_of(spec->end - 1));
}

/* start= or end= (as an end, YYYY-MM includes the month, as the series
 * API reads it). */
static int
parse_time(const struct query *q, const char *name, const char *def, time_t now,
           time_t *out, struct error *err)
{
	const char *s = query_get(q, name);
	struct error e;

	memset(&e, 0, sizeof(e));
	if ((strcmp(name, "end") == 0 ? timespec_parse_end : timespec_parse)(
	        s != NULL ? s : def, now, out, &e) < 0)
		return error_set(err, 0, "parameter %s: %s", name, e.msg);
	return 0;
}

/* Whether spec's chart can be drawn: a ratio of reference figures alone
 * has no time. */
static bool
is_drawable(const struct catalog *cat, const struct chart_spec *s,
            struct error *err)
{
	const struct indicator *ind;

	if (s->indicator < 0)
		return true;
	ind = &cat->indicators[s->indicator];
	if (ind->kind == IND_RATIO && ind->num.measure < 0 &&
	    ind->den.measure < 0) {
		error_set(err, 0, "no chart of %s: it reads no measure",
		          ind->id);
		return false;
	}
	return true;
}

/* The chart spec of a request, or -1 with status and message. */
static int
read_spec(const struct request *req, const struct catalog *cat,
          enum chart_format format, struct chart_spec *s, int *out_status,
          struct error *err)
{
	const char *area = request_param(req, "area");
	const char *ind = request_param(req, "indicator");
	long w, h;
	time_t now = clock_now();

	memset(s, 0, sizeof(*s));
	*out_status = 404;
	s->area = area != NULL ? catalog_find_area(cat, area) : -1;
	if (s->area < 0)
		return error_set(err, 0, "unknown area %s",
		                 area != NULL ? area : "");
	s->indicator = ind != NULL ? catalog_find_indicator(cat, ind) : -1;
	s->measure = s->indicator < 0 && ind != NULL
	                 ? catalog_find_measure(cat, ind)
	                 : -1;
	if (s->indicator < 0 && s->measure < 0)
		return error_set(err, 0, "unknown indicator %s",
		                 ind != NULL ? ind : "");
	if (!is_drawable(cat, s, err))
		return -1;
	*out_status = 400;
	if (query_get_int(req->query, "width", CHART_WIDTH_MIN, CHART_WIDTH_MAX,
	                  CHART_WIDTH_DEFAULT, &w, err) < 0 ||
	    query_get_int(req->query, "height", CHART_HEIGHT_MIN,
	                  CHART_HEIGHT_MAX, CHART_HEIGHT_DEFAULT, &h,
	                  err) < 0 ||
	    lang_negotiate(query_get(req->query, "lang"), req->accept_language,
	                   &s->lang, err) < 0 ||
	    parse_time(req->query, "start", DEFAULT_START, now, &s->start,
	               err) < 0 ||
	    parse_time(req->query, "end", DEFAULT_END, now, &s->end, err) < 0)
		return -1;
	if (s->start < TIME_MIN)
		return error_set(err, 0, "parameter start: before 1980-01");
	if (s->end <= s->start)
		return error_set(err, 0, "start must be before end");
	if (s->end - s->start > CHART_RANGE_MAX_S)
		return error_set(err, 0, "a chart spans at most 30 years");
	s->width = (int)w;
	s->height = (int)h;
	s->format = format;
	chart_normalise(s);
	/* with public = no too: a municipal token reads other areas as the
	 * public does (auth.h). Charts without counts are the same for all,
	 * and cached as one. */
	s->is_suppressed =
	    figure_is_suppressible(
	        cat,
	        &(struct figure_key){ s->area, s->indicator, s->measure }) &&
	    !access_is_unsuppressed(&req->who, cat->areas[s->area].code);
	return 0;
}

/* Whether key is being rendered; under flight_lock. */
static bool
is_in_flight(const char *key, unsigned long generation)
{
	size_t i;

	for (i = 0; i < MAX_IN_FLIGHT; i++)
		if (in_flight[i].is_used &&
		    in_flight[i].generation == generation &&
		    strcmp(in_flight[i].key, key) == 0)
			return true;
	return false;
}

static void
make_queue(void)
{
	pthread_condattr_t attr;

	gate_queue_init(&render_queue, CHART_QUEUE_MAX);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&flight_done, &attr);
	pthread_condattr_destroy(&attr);
}

struct gate_queue *
chart_render_queue(void)
{
	pthread_once(&queue_once, make_queue);
	return &render_queue;
}

/* The chart of key from the cache, or rendered and cached: 0, or 1 if the
 * render queue is full or the turn did not come by CHART_WAIT_MS (503),
 * or -1 with err. A request for a chart that another is rendering waits
 * for it rather than render it again: after new data, a popular chart is
 * asked for by many at once, and renders run one at a time. */
static int
cached_or_rendered(struct app *app, const struct catalog *cat,
                   const struct chart_spec *spec, const char *key,
                   unsigned long generation, char **out_data, size_t *out_len,
                   struct error *err)
{
	struct gate_queue *queue = chart_render_queue();
	struct timespec deadline;
	char type[64];
	size_t slot = MAX_IN_FLIGHT, i;
	int rc;

	gate_deadline(CHART_WAIT_MS, &deadline);
	for (;;) {
		if (cache_get(get_cache(), key, generation, out_data, out_len,
		              type) == 0) {
			atomic_fetch_add(&app->stats.cache_hits, 1);
			return 0;
		}
		pthread_mutex_lock(&flight_lock);
		if (!is_in_flight(key, generation))
			break;
		rc = pthread_cond_timedwait(&flight_done, &flight_lock,
		                            &deadline);
		pthread_mutex_unlock(&flight_lock);
		if (rc != 0 && rc != EINTR)
			return 1;
	}
	/* the table full: render without telling anyone */
	for (i = 0; i < MAX_IN_FLIGHT && slot == MAX_IN_FLIGHT; i++)
		if (!in_flight[i].is_used)
			slot = i;
	if (slot < MAX_IN_FLIGHT) {
		in_flight[slot].is_used = true;
		in_flight[slot].generation = generation;
		snprintf(in_flight[slot].key, sizeof(in_flight[slot].key), "%s",
		         key);
	}
	pthread_mutex_unlock(&flight_lock);
	if (gate_queue_enter(queue, &deadline) != GATE_TURN) {
		rc = 1;
		goto out;
	}
	atomic_fetch_add(&app->stats.cache_misses, 1);
	rc = render(app, cat, spec, out_data, out_len, err);
	gate_queue_leave(queue);
	if (rc == 0)
		cache_put(get_cache(), key, generation, *out_data, *out_len,
		          chart_types[spec->format]);
out:
	if (slot < MAX_IN_FLIGHT) {
		pthread_mutex_lock(&flight_lock);
		in_flight[slot].is_used = false;
		pthread_cond_broadcast(&flight_done);
		pthread_mutex_unlock(&flight_lock);
	}
	return rc;
}

static void
chart_get(const struct request *req, struct response *resp,
          enum chart_format format)
{
	struct app *app = req->app;
	struct catalog *cat = app_catalog(app);
	struct config *cfg = xmalloc(sizeof(*cfg));
	struct chart_spec spec;
	struct error err;
	char key[KEY_MAX], *data = NULL, quoted[320];
	const char *code, *id;
	unsigned long generation;
	size_t len = 0;
	int status;

	memset(&err, 0, sizeof(err));
	app_config(app, cfg);
	if (!access_may_read(&req->who, cfg->is_public)) {
		respond_error(resp, 401, "a token is required");
		respond_header(resp, "WWW-Authenticate", "Bearer");
		goto out;
	}
	if (read_spec(req, cat, format, &spec, &status, &err) < 0) {
		respond_error(resp, status, "%s", err.msg);
		goto out;
	}
	code = cat->areas[spec.area].code;
	id = spec.indicator >= 0 ? cat->indicators[spec.indicator].id
	                         : cat->measures[spec.measure].id;
	snprintf(key, sizeof(key), "chart|%s|%s|%lld|%lld|%d|%d|%s|%s|%s", code,
	         id, (long long)spec.start, (long long)spec.end, spec.width,
	         spec.height, lang_code(spec.lang), chart_types[format],
	         spec.is_suppressed ? "public" : "full");
	/* read before rendering: data landing meanwhile makes it stale */
	generation = app_generation(app, code);
	if (req->may_defer) {
		/* on libmicrohttpd's thread: a cached chart at once, a render
		 * on a worker */
		char type[64];

		if (cache_get(get_cache(), key, generation, &data, &len,
		              type) != 0) {
			respond_defer(resp);
			goto out;
		}
		atomic_fetch_add(&app->stats.cache_hits, 1);
		status = 0;
	} else {
		status = cached_or_rendered(app, cat, &spec, key, generation,
		                            &data, &len, &err);
	}
	if (status == 1) {
		gate_respond_busy(resp, CHART_RETRY_AFTER_S, "uncached charts");
		goto out;
	}
	if (status < 0) {
		log_warn("chart failed", "area=%s indicator=%s err=%s", code,
		         id, log_quote(err.msg, quoted, sizeof(quoted)));
		respond_error(resp, 500, "cannot render the chart");
		goto out;
	}
	respond_take(resp, 200, chart_types[format], data, len);
	respond_etag(resp, generation, key);
	/* Cache-Control is server.c's: private for a token, whose view may
	 * be unsuppressed */
	if (query_get(req->query, "lang") == NULL)
		respond_header(resp, "Vary", "Accept-Language");
out:
	free(cfg);
	catalog_unref(cat);
}

void
chart_svg_get(const struct request *req, struct response *resp)
{
	chart_get(req, resp, CHART_SVG);
}

void
chart_png_get(const struct request *req, struct response *resp)
{
	chart_get(req, resp, CHART_PNG);
}

void
chart_init(void)
{
	struct chart_spec spec;
	struct chart_plan plan;
	struct rrd_image img;
	struct error err;
	struct timespec t0, t1;

	memset(&spec, 0, sizeof(spec));
	memset(&err, 0, sizeof(err));
	spec.end = time(NULL);
	spec.start = spec.end - 86400;
	spec.width = CHART_WIDTH_MIN;
	spec.height = CHART_HEIGHT_MIN;
	spec.lang = LANG_FI;
	spec.format = CHART_PNG;
	get_cache();
	plan_frame(&plan, "kuntamon", "", note_no_data[LANG_FI], &spec);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (store_rrd_graph(NULL, NULL, 0, (const char *const *)plan.args,
	                    plan.n_args, &img, &err) < 0)
		log_warn("chart warm-up failed", "err=%s", err.msg);
	else
		rrd_image_reset(&img);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("charts warmed up", "ms=%ld",
	          (long)((t1.tv_sec - t0.tv_sec) * 1000 +
	                 (t1.tv_nsec - t0.tv_nsec) / 1000000));
	chart_plan_reset(&plan);
}

void
chart_release(void)
{
	pthread_mutex_lock(&cache_lock);
	cache_free(chart_cache);
	chart_cache = NULL;
	pthread_mutex_unlock(&cache_lock);
}
