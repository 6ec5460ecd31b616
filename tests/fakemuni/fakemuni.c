/*
 * fakemuni.c: a fake municipal server for the tests, the demo and the
 * benchmark. It serves every municipality of the catalog at GET /KUxxx with
 * a deterministic document for the previous calendar month (UTC), and
 * misbehaves on request through knobs.
 *
 *   fakemuni [-c CONFIG] [--listen 127.0.0.1:0] [--port-file FILE]
 *            [--knobs FILE]
 *   fakemuni [-c CONFIG] --print KU091 [YYYY-MM]
 *   fakemuni [-c CONFIG] --history FROM [TO]
 *
 * --history prints, as CSV for `kuntamonctl import` (area,period,measure,
 * value), every municipality's values for the months FROM..TO (YYYY-MM; TO
 * defaults to the previous month): the same numbers --print and the server
 * give, for thousands of documents in one run.
 *
 * Routes: GET /KUxxx (the document), GET /healthz (ok), GET /stats
 * ({"documents":N,"not_modified":N}: whole documents and 304s answered
 * since start), POST /control/KUxxx?knobs (204; no knobs clears them; `*`
 * for everyone).
 * The port file is written (FILE.tmp, then renamed) once listening, and
 * removed on a clean exit; SIGHUP re-reads the knobs file, replacing
 * knobs set through /control; SIGTERM/SIGINT exit 0.
 *
 * Values are a pure function of (municipality, period) and the catalog, so
 * --print gives byte for byte what the server answers, and history imports
 * agree with live polls. They lie within each measure's [min,max] and keep
 * the catalog's rules; about 15% of municipalities (small ones, and those
 * of weak regions, more often) have no guidance point open.
 *
 * Every document the server buffers whole (a plain one, a garbage one, one
 * shaped by knobs) carries a strong ETag, the quoted hex of a hash of its
 * bytes, and a Last-Modified on the last day of its period, at a time of
 * day drawn from the same hash: both stable across requests, both move
 * when a byte does, and the date is in the past unless future=1. An
 * If-None-Match naming that ETag (or `*`) gets 304 Not Modified without a
 * body; without If-None-Match, an If-Modified-Since equal to that
 * Last-Modified does too (equality, not a date comparison: the derived
 * date of a changed document may be the earlier one). Streamed bodies
 * (endless, oversized) carry neither.
 *
 * Knobs: status=N, delay_ms=N, period=YYYY-MM, lag=N (months before the
 * previous month), future=1 (next month), set.ID=V (verbatim if a number or
 * null/true/false, else a string; an ID not in the catalog is added),
 * unset.ID=1, redirect=N (302 to itself N times), redirect_to=URL, size=N
 * (of oversized bodies, default 4 MiB), validators=0 (no ETag, no
 * Last-Modified, never 304: the "unchanged 200" of servers without
 * conditional requests), advance=MODE (each request for a municipality
 * gets a document other than the one before, so that a benchmark needs no
 * coordination with the poller's cycle; n = 0, 1, ... counts that
 * municipality's requests answered with a document while the knob is on),
 * where MODE is
 *   period    request n serves the period base + n months, base being the
 *             period knob if set, else 120 months before the current
 *             month (so 121 requests fit); it stops at the current month
 *             (never the future): from there the documents repeat
 *   revision  the period the other knobs give, with contacts raised by
 *             n + 1 (wrapping within its [min,max]; set.contacts or
 *             unset.contacts wins): the same period, another value, on
 *             every request
 *   off       the default
 * A delayed request counts when it is answered; redirects and error
 * statuses do not count. Replacing a municipality's knobs (or `*`'s,
 * everyone's) through /control or the knobs file starts n again at 0.
 * --print and --history never advance. And body=KIND where KIND is
 *   endless             a JSON string that never ends (chunked)
 *   oversized           a valid document padded to size bytes
 *   oversized_chunked   the same without Content-Length
 *   garbage             512 bytes that are not JSON
 *   wrong_municipality  names the next municipality in catalog order
 *   wrong_types         measures i%4==1 strings, ==2 booleans, ==3 objects
 *   negative            measures i%3==0 negative
 *   out_of_range        measures i%3==0 at max + 1
 *   deep                the first measure nested 100000 arrays deep
 *   not_object          the document inside a JSON array
 *   unknown             adds the keys unknown_measure and zz_extra
 *   violation           breaks one rule (contacts_remote > contacts)
 * (i: the measure's index in the catalog.) They come, lowest precedence
 * first, from the `*` line of the knobs file (or /control with `*`), the
 * municipality's line or /control, and the request's query parameters.
 *
 * Delays never block the event loop: a delayed request is suspended and a
 * timer thread resumes it, so thousands can wait at once. Invariant: once
 * shutdown begins nothing is suspended any more, and every suspended
 * connection is resumed before MHD_stop_daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "buf.h"
#include "catalog.h"
#include "clock.h"
#include "config.h"
#include "error.h"
#include "xmalloc.h"

#define DOC_MAX_BYTES ((size_t)1 << 30) /* generous: only we fill it */
#define DEFAULT_OVERSIZE_BYTES ((size_t)4 << 20)
#define MAX_OVERSIZE_BYTES ((size_t)1 << 32)
#define DEEP_LEVELS 100000
#define GARBAGE_BYTES 512
#define MAX_OVERRIDES 16
#define MAX_DELAY_MS 3600000L
#define RESUME_BATCH 256

enum body_kind {
	BODY_NORMAL,
	BODY_ENDLESS,
	BODY_OVERSIZED,
	BODY_OVERSIZED_CHUNKED,
	BODY_GARBAGE,
	BODY_WRONG_MUNICIPALITY,
	BODY_WRONG_TYPES,
	BODY_NEGATIVE,
	BODY_OUT_OF_RANGE,
	BODY_DEEP,
	BODY_NOT_OBJECT,
	BODY_UNKNOWN,
	BODY_VIOLATION,
	N_BODY_KINDS
};

static const char *const body_names[N_BODY_KINDS] = {
	"normal",       "endless",
	"oversized",    "oversized_chunked",
	"garbage",      "wrong_municipality",
	"wrong_types",  "negative",
	"out_of_range", "deep",
	"not_object",   "unknown",
	"violation",
};

/* set.<id>=<value> or unset.<id>=1 */
struct override {
	char id[32];
	char value[64];
	bool is_unset;
};

enum advance {
	ADVANCE_OFF,
	ADVANCE_PERIOD,   /* each request the next period */
	ADVANCE_REVISION, /* each request other values for the same period */
};

struct knobs {
	int status; /* 0: the normal 200 */
	long delay_ms;
	enum body_kind body;
	size_t size;         /* of an oversized body */
	int period;          /* months since year 0; -1: the previous month */
	int lag;             /* months before the previous month */
	bool is_future;      /* report next month */
	int redirect;        /* 302s to itself still to send */
	bool has_validators; /* ETag, Last-Modified and 304s */
	enum advance advance;
	unsigned bump; /* ADVANCE_REVISION: added to contacts */
	char redirect_to[1024];
	struct override over[MAX_OVERRIDES];
	size_t n_over;
};

/* Resumes suspended connections when their delay is over. */
struct pending {
	uint64_t due_ns;
	struct MHD_Connection *conn;
};

struct timer {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	struct pending *heap; /* min-heap on due_ns */
	size_t n, cap;
	bool is_stopping;
};

struct server {
	struct catalog *cat;
	const char *knobs_path; /* may be NULL */
	pthread_mutex_t lock;   /* guards the knob texts */
	char *default_text;     /* "*" knobs, "key=value\n" lines, or NULL */
	char **area_text;       /* [n_areas], same form */
	struct timer timer;
	atomic_ullong n_documents;    /* whole documents answered */
	atomic_ullong n_not_modified; /* 304s answered */
	atomic_uint *n_advanced;      /* [n_areas]: requests while advance on */
};

/* Markers for *req_cls: which call of the handler this is. */
static char req_started, req_delayed;

static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "YYYY-MM" -> months since year 0. */
static int
parse_period(const char *s, int *out)
{
	long y, m;
	char year[5], month[3];

	if (strlen(s) != 7 || s[4] != '-')
		return -1;
	memcpy(year, s, 4);
	year[4] = '\0';
	memcpy(month, s + 5, 2);
	month[2] = '\0';
	if (parse_long(year, 1900, 9999, &y) < 0 ||
	    parse_long(month, 1, 12, &m) < 0)
		return -1;
	*out = (int)(y * 12 + m - 1);
	return 0;
}

static int
previous_month(void)
{
	time_t now = clock_now();
	struct tm tm;

	gmtime_r(&now, &tm);
	return (tm.tm_year + 1900) * 12 + tm.tm_mon - 1;
}

static int
current_month(void)
{
	return previous_month() + 1;
}

static void
knobs_init(struct knobs *k)
{
	memset(k, 0, sizeof(*k));
	k->size = DEFAULT_OVERSIZE_BYTES;
	k->period = -1;
	k->has_validators = true;
}

static int
add_override(struct knobs *k, const char *id, const char *value, bool is_unset)
{
	struct override *o = NULL;
	size_t i;

	if (id[0] == '\0' || strlen(id) >= sizeof(o->id) ||
	    strlen(value) >= sizeof(o->value))
		return -1;
	for (i = 0; i < k->n_over; i++)
		if (strcmp(k->over[i].id, id) == 0)
			o = &k->over[i];
	if (o == NULL) {
		if (k->n_over == MAX_OVERRIDES)
			return -1;
		o = &k->over[k->n_over++];
	}
	snprintf(o->id, sizeof(o->id), "%s", id);
	snprintf(o->value, sizeof(o->value), "%s", value);
	o->is_unset = is_unset;
	return 0;
}

/* Applies one knob; -1 if the key is unknown or the value is bad. */
static int
knob_apply(struct knobs *k, const char *key, const char *value)
{
	long v;
	int i;

	if (strcmp(key, "status") == 0) {
		if (parse_long(value, 100, 599, &v) < 0)
			return -1;
		k->status = (int)v;
	} else if (strcmp(key, "delay_ms") == 0) {
		if (parse_long(value, 0, MAX_DELAY_MS, &v) < 0)
			return -1;
		k->delay_ms = v;
	} else if (strcmp(key, "body") == 0) {
		for (i = 0; i < N_BODY_KINDS; i++)
			if (strcmp(value, body_names[i]) == 0)
				break;
		if (i == N_BODY_KINDS)
			return -1;
		k->body = (enum body_kind)i;
	} else if (strcmp(key, "size") == 0) {
		if (parse_long(value, 1, (long)MAX_OVERSIZE_BYTES, &v) < 0)
			return -1;
		k->size = (size_t)v;
	} else if (strcmp(key, "period") == 0) {
		if (parse_period(value, &k->period) < 0)
			return -1;
	} else if (strcmp(key, "lag") == 0) {
		if (parse_long(value, 0, 1200, &v) < 0)
			return -1;
		k->lag = (int)v;
	} else if (strcmp(key, "future") == 0) {
		if (parse_long(value, 0, 1, &v) < 0)
			return -1;
		k->is_future = v == 1;
	} else if (strcmp(key, "redirect") == 0) {
		if (parse_long(value, 0, 100, &v) < 0)
			return -1;
		k->redirect = (int)v;
	} else if (strcmp(key, "validators") == 0) {
		if (parse_long(value, 0, 1, &v) < 0)
			return -1;
		k->has_validators = v == 1;
	} else if (strcmp(key, "advance") == 0) {
		if (strcmp(value, "period") == 0)
			k->advance = ADVANCE_PERIOD;
		else if (strcmp(value, "revision") == 0)
			k->advance = ADVANCE_REVISION;
		else if (strcmp(value, "off") == 0)
			k->advance = ADVANCE_OFF;
		else
			return -1;
	} else if (strcmp(key, "redirect_to") == 0) {
		if (strlen(value) >= sizeof(k->redirect_to))
			return -1;
		snprintf(k->redirect_to, sizeof(k->redirect_to), "%s", value);
	} else if (strncmp(key, "set.", 4) == 0) {
		return add_override(k, key + 4, value, false);
	} else if (strncmp(key, "unset.", 6) == 0) {
		return add_override(k, key + 6, "", true);
	} else {
		return -1;
	}
	return 0;
}

/* Applies "key=value\n" lines, as stored from the file or /control. */
static void
knobs_apply_text(struct knobs *k, const char *text)
{
	char line[1200];
	const char *p = text, *nl, *eq;
	size_t n;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			eq = strchr(line, '=');
			if (eq != NULL) {
				line[eq - line] = '\0';
				(void)knob_apply(k, line, eq + 1);
			}
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
}

/*
 * The generator. unit() is a hash of (code, period, salt) mapped to [0,1);
 * salt separates the independent draws. A region's service level q sets how
 * generous its municipalities are, so regions differ clearly.
 */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static double
unit(const char *code, int ym, unsigned salt)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)code; *p != '\0'; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h = mix64(h ^ ((uint64_t)(unsigned)ym << 20) ^ salt);
	return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

static double
clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Figures in the shipped catalog's terms; other measures get generic
 * values. */
struct figures {
	double gp_open, gp_remote, gp_hours, gp_languages, staff_fte;
	double contacts, contacts_remote, outreach_events;
	double target_olf, reached_olf, reached_parents;
	double assessments, assessments_ontime, integration_plans;
	double orientation, referrals;
};

static const struct {
	const char *id;
	size_t offset;
} figure_table[] = {
	{ "gp_open", offsetof(struct figures, gp_open) },
	{ "gp_remote", offsetof(struct figures, gp_remote) },
	{ "gp_hours", offsetof(struct figures, gp_hours) },
	{ "gp_languages", offsetof(struct figures, gp_languages) },
	{ "staff_fte", offsetof(struct figures, staff_fte) },
	{ "contacts", offsetof(struct figures, contacts) },
	{ "contacts_remote", offsetof(struct figures, contacts_remote) },
	{ "outreach_events", offsetof(struct figures, outreach_events) },
	{ "target_olf", offsetof(struct figures, target_olf) },
	{ "reached_olf", offsetof(struct figures, reached_olf) },
	{ "reached_parents", offsetof(struct figures, reached_parents) },
	{ "assessments", offsetof(struct figures, assessments) },
	{ "assessments_ontime", offsetof(struct figures, assessments_ontime) },
	{ "integration_plans", offsetof(struct figures, integration_plans) },
	{ "orientation", offsetof(struct figures, orientation) },
	{ "referrals", offsetof(struct figures, referrals) },
};

/* Activity by calendar month: summer and Christmas are quiet. */
static const double season[12] = { 0.95, 1.0,  1.05, 1.0, 0.95, 0.8,
	                           0.55, 0.85, 1.1,  1.1, 1.05, 0.8 };

static bool
is_gp_open(const char *code, double pop, double q, int ym)
{
	double p_closed;

	/* about 15% closed in all, most of them small */
	if (pop < 100)
		p_closed = 0.3;
	else if (pop < 300)
		p_closed = 0.12;
	else if (pop < 1000)
		p_closed = 0.05;
	else if (pop < 5000)
		p_closed = 0.015;
	else
		p_closed = 0.0;
	/* q in [0.6, 1.4]: weak regions close up to three times as often */
	p_closed *= (1.8 - q) / 0.6;
	if (unit(code, 0, 3) < p_closed)
		return false;
	/* some opened their point during 2024-2025 */
	if (unit(code, 0, 4) < 0.15)
		return ym >= 2024 * 12 + (int)(unit(code, 0, 5) * 24);
	return true;
}

static void
figures_make(const struct catalog *cat, int area, int ym, struct figures *f)
{
	const struct area *a = &cat->areas[area];
	const char *code = a->code;
	const char *rcode = a->region >= 0 ? cat->areas[a->region].code : "";
	double pop = a->pop_fl > 1 ? a->pop_fl : 1;
	double q = 0.6 + 0.8 * unit(rcode, 0, 1);
	double qm = q * (0.8 + 0.4 * unit(code, 0, 2));
	double s = season[((ym % 12) + 12) % 12];
	double trend = clamp(1 + 0.05 * (ym - 2025 * 12) / 12.0, 0.7, 1.5);
	double act, rate;
	bool is_open = is_gp_open(code, pop, q, ym);
	bool is_remote;

	is_remote = unit(code, 0, 6) < (is_open ? 0.2 + 0.4 * q : 0.15);
	act = is_open ? 1.0 : 0.25;
	f->gp_open = is_open;
	f->gp_remote = is_remote;
	f->gp_hours =
	    is_open ? clamp(round((4 + 2.5 * sqrt(pop / 100)) * qm), 2, 60) : 0;
	f->gp_languages =
	    is_open ? clamp(round(1 + 1.5 * log2(1 + pop / 200) * qm), 1, 40)
	            : is_remote;
	f->staff_fte = is_open ? fmax(0.2, pop / 1500 * qm) : is_remote * 0.1;
	f->staff_fte *= 0.97 + 0.06 * unit(code, ym, 7);
	f->staff_fte = round(f->staff_fte * 10) / 10;
	f->contacts = round(pop * 0.05 * qm * act * s * trend *
	                    (0.85 + 0.3 * unit(code, ym, 8)));
	f->contacts_remote =
	    round(f->contacts * (is_remote ? 0.1 + 0.3 * unit(code, ym, 9)
	                                   : 0.03 * unit(code, ym, 9)));
	f->outreach_events =
	    round(pop / 400 * qm * act * s * (0.7 + 0.6 * unit(code, ym, 10)));
	f->target_olf = round(pop * (0.10 + 0.06 * unit(code, 0, 11)) *
	                      (0.98 + 0.04 * unit(code, ym, 12)));
	rate = fmin(0.95, (0.1 + 0.3 * qm) * (is_open ? 1.0 : 0.4));
	f->reached_olf =
	    round(f->target_olf * rate * (0.85 + 0.3 * unit(code, ym, 13)));
	f->reached_parents =
	    round(f->reached_olf * (0.2 + 0.2 * unit(code, 0, 14)));
	f->assessments =
	    round(pop * 0.006 * s * trend * (0.8 + 0.4 * unit(code, ym, 15)));
	f->assessments_ontime = round(
	    f->assessments *
	    fmin(1.0, (0.5 + 0.3 * q) * (0.9 + 0.2 * unit(code, ym, 16))));
	f->integration_plans =
	    round(f->assessments * (0.5 + 0.4 * unit(code, ym, 17)));
	f->orientation =
	    round(pop * 0.004 * qm * s * (0.8 + 0.4 * unit(code, ym, 18)));
	f->referrals = round(f->contacts * (0.04 + 0.08 * unit(code, ym, 19)));
}

static void
enforce_rules(const struct catalog *cat, double *v)
{
	const struct rule *r;
	const struct measure *m;
	double step, l, rv, want;
	size_t pass, i;
	bool is_changed = true;

	for (pass = 0; is_changed && pass <= cat->n_rules; pass++) {
		is_changed = false;
		for (i = 0; i < cat->n_rules; i++) {
			r = &cat->rules[i];
			if (r->lhs < 0 || r->rhs < 0)
				continue;
			m = &cat->measures[r->lhs];
			step = m->is_count ? 1 : 0.1;
			l = v[r->lhs];
			rv = v[r->rhs];
			want = l;
			switch (r->op) {
			case RULE_LT:
				want = l < rv ? l : rv - step;
				break;
			case RULE_LE:
				want = l <= rv ? l : rv;
				break;
			case RULE_EQ:
				want = rv;
				break;
			case RULE_GE:
				want = l >= rv ? l : rv;
				break;
			case RULE_GT:
				want = l > rv ? l : rv + step;
				break;
			}
			want = clamp(want, m->min, m->max);
			if (want != l) {
				v[r->lhs] = want;
				is_changed = true;
			}
		}
	}
}

/* Every measure's value for (area, ym): deterministic, in range, rules
 * kept. */
static void
values_make(const struct catalog *cat, int area, int ym, double *v)
{
	const struct measure *m;
	struct figures f;
	size_t i, j;
	double span;

	figures_make(cat, area, ym, &f);
	for (i = 0; i < cat->n_measures; i++) {
		m = &cat->measures[i];
		for (j = 0; j < sizeof(figure_table) / sizeof(figure_table[0]);
		     j++)
			if (strcmp(m->id, figure_table[j].id) == 0)
				break;
		if (j < sizeof(figure_table) / sizeof(figure_table[0])) {
			memcpy(&v[i], (const char *)&f + figure_table[j].offset,
			       sizeof(double));
		} else {
			span = fmin(m->max - m->min, 100);
			v[i] = m->min + span * unit(cat->areas[area].code, ym,
			                            100 + (unsigned)i);
		}
		v[i] = clamp(v[i], m->min, m->max);
		v[i] = m->is_count ? round(v[i]) : round(v[i] * 10) / 10;
		v[i] = clamp(v[i], m->min, m->max);
	}
	enforce_rules(cat, v);
}

/* Makes the document's values break one rule: the one comparing
 * contacts_remote with contacts if there is one, else the first. */
static void
violate_rule(const struct catalog *cat, double *v)
{
	const struct rule *r = NULL;
	size_t i;

	for (i = 0; i < cat->n_rules; i++) {
		if (cat->rules[i].lhs < 0 || cat->rules[i].rhs < 0)
			continue;
		if (r == NULL || strcmp(cat->measures[cat->rules[i].lhs].id,
		                        "contacts_remote") == 0)
			r = &cat->rules[i];
	}
	if (r == NULL)
		return;
	if (r->op == RULE_GE || r->op == RULE_GT)
		v[r->lhs] = v[r->rhs] - 1;
	else
		v[r->lhs] = v[r->rhs] + 1;
}

/* A set.<id> value goes out verbatim if it looks like a JSON number or
 * literal, else as a JSON string. */
static void
put_override_value(struct buf *out, const char *value)
{
	const char *p;
	bool is_number = value[0] != '\0';

	for (p = value; *p != '\0'; p++)
		if (strchr("0123456789+-.eE", *p) == NULL)
			is_number = false;
	if (is_number || strcmp(value, "null") == 0 ||
	    strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
		(void)buf_puts(out, value);
		return;
	}
	(void)buf_puts(out, "\"");
	for (p = value; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			(void)buf_printf(out, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			(void)buf_printf(out, "\\u%04x", (unsigned char)*p);
		else
			(void)buf_append(out, p, 1);
	}
	(void)buf_puts(out, "\"");
}

static const struct override *
find_override(const struct knobs *k, const char *id)
{
	size_t i;

	for (i = 0; i < k->n_over; i++)
		if (strcmp(k->over[i].id, id) == 0)
			return &k->over[i];
	return NULL;
}

static void
put_measure(struct buf *out, const struct measure *m, size_t i, double v,
            enum body_kind body)
{
	if (body == BODY_WRONG_TYPES && i % 4 == 1)
		(void)buf_printf(out, "\"%.15g\"", v);
	else if (body == BODY_WRONG_TYPES && i % 4 == 2)
		(void)buf_puts(out, v != 0 ? "true" : "false");
	else if (body == BODY_WRONG_TYPES && i % 4 == 3)
		(void)buf_printf(out, "{\"value\":%.15g}", v);
	else if (body == BODY_NEGATIVE && i % 3 == 0)
		(void)buf_printf(out, "%.15g", -(fabs(v) + 1));
	else if (body == BODY_OUT_OF_RANGE && i % 3 == 0)
		(void)buf_printf(out, "%.15g",
		                 m->max +
		                     (fabs(m->max) > 1e15 ? fabs(m->max) : 1));
	else
		(void)buf_printf(out, "%.15g", v);
}

/* advance=revision: contacts (else the first count measure) raised by
 * bump, wrapping within [min,max]; raising it keeps the shipped rules. */
static void
bump_contacts(const struct catalog *cat, double *v, unsigned bump)
{
	const struct measure *m;
	int i = catalog_find_measure(cat, "contacts");
	double span;
	size_t j;

	for (j = 0; i < 0 && j < cat->n_measures; j++)
		if (cat->measures[j].is_count)
			i = (int)j;
	if (i < 0)
		return;
	m = &cat->measures[i];
	span = floor(m->max - m->min) + 1;
	if (!(span >= 2))
		return;
	v[i] = m->min + fmod(v[i] - m->min + bump, span);
	enforce_rules(cat, v);
}

/*
 * Writes the document of cat's municipality `area` for the period ym into
 * out, as shaped by k. Without knobs it is `--print`'s output.
 */
static void
doc_format(const struct catalog *cat, int area, int ym, const struct knobs *k,
           struct buf *out)
{
	const struct measure *m;
	const struct override *o;
	const char *code = cat->areas[area].code;
	double *v;
	size_t i;
	const char *sep = "";
	int other;

	v = xcalloc(cat->n_measures ? cat->n_measures : 1, sizeof(*v));
	values_make(cat, area, ym, v);
	if (k->advance == ADVANCE_REVISION)
		bump_contacts(cat, v, k->bump);
	if (k->body == BODY_VIOLATION)
		violate_rule(cat, v);
	if (k->body == BODY_WRONG_MUNICIPALITY) {
		other = area + 1;
		if ((size_t)other >= cat->n_areas)
			other = (int)cat->first_municipality;
		code = cat->areas[other].code;
	}
	if (k->body == BODY_NOT_OBJECT)
		(void)buf_puts(out, "[");
	(void)buf_printf(
	    out,
	    "{\"municipality\":\"%s\",\"period\":\"%04d-%02d\",\"measures\":{",
	    code, ym / 12, ym % 12 + 1);
	if (k->body == BODY_DEEP) {
		(void)buf_printf(out, "\"%s\":",
		                 cat->n_measures > 0 ? cat->measures[0].id
		                                     : "deep");
		for (i = 0; i < DEEP_LEVELS; i++)
			(void)buf_append(out, "[", 1);
		for (i = 0; i < DEEP_LEVELS; i++)
			(void)buf_append(out, "]", 1);
		sep = ",";
	}
	for (i = 0; i < cat->n_measures && k->body != BODY_DEEP; i++) {
		m = &cat->measures[i];
		o = find_override(k, m->id);
		if (o != NULL && o->is_unset)
			continue;
		(void)buf_printf(out, "%s\"%s\":", sep, m->id);
		sep = ",";
		if (o != NULL)
			put_override_value(out, o->value);
		else
			put_measure(out, m, i, v[i], k->body);
	}
	for (i = 0; i < k->n_over; i++) {
		o = &k->over[i];
		if (o->is_unset || catalog_find_measure(cat, o->id) >= 0)
			continue;
		(void)buf_printf(out, "%s\"%s\":", sep, o->id);
		sep = ",";
		put_override_value(out, o->value);
	}
	if (k->body == BODY_UNKNOWN)
		(void)buf_printf(out, "%s\"unknown_measure\":7,\"zz_extra\":1",
		                 sep);
	(void)buf_puts(out, "}}");
	if (k->body == BODY_NOT_OBJECT)
		(void)buf_puts(out, "]");
	(void)buf_puts(out, "\n");
	free(v);
}

static int
knobs_period(const struct knobs *k)
{
	if (k->period >= 0)
		return k->period;
	if (k->is_future)
		return previous_month() + 2;
	return previous_month() - k->lag;
}

/* Timer: a min-heap of connections to resume. */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
heap_push(struct timer *t, struct pending p)
{
	size_t i, parent;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->heap = xreallocarray(t->heap, t->cap, sizeof(*t->heap));
	}
	i = t->n++;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (t->heap[parent].due_ns <= p.due_ns)
			break;
		t->heap[i] = t->heap[parent];
		i = parent;
	}
	t->heap[i] = p;
}

static struct pending
heap_pop(struct timer *t)
{
	struct pending top = t->heap[0], last = t->heap[--t->n];
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= t->n)
			break;
		if (c + 1 < t->n && t->heap[c + 1].due_ns < t->heap[c].due_ns)
			c++;
		if (last.due_ns <= t->heap[c].due_ns)
			break;
		t->heap[i] = t->heap[c];
		i = c;
	}
	if (t->n > 0)
		t->heap[i] = last;
	return top;
}

static void *
timer_main(void *arg)
{
	struct timer *t = arg;
	struct MHD_Connection *due[RESUME_BATCH];
	struct timespec ts;
	size_t n_due, i;
	uint64_t now;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		now = now_ns();
		n_due = 0;
		while (t->n > 0 && n_due < RESUME_BATCH &&
		       (t->is_stopping || t->heap[0].due_ns <= now))
			due[n_due++] = heap_pop(t).conn;
		if (n_due > 0) {
			pthread_mutex_unlock(&t->lock);
			for (i = 0; i < n_due; i++)
				MHD_resume_connection(due[i]);
			pthread_mutex_lock(&t->lock);
			continue;
		}
		if (t->is_stopping)
			break;
		if (t->n == 0) {
			pthread_cond_wait(&t->cond, &t->lock);
		} else {
			ts.tv_sec = (time_t)(t->heap[0].due_ns / 1000000000u);
			ts.tv_nsec = (long)(t->heap[0].due_ns % 1000000000u);
			pthread_cond_timedwait(&t->cond, &t->lock, &ts);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static int
timer_start(struct timer *t)
{
	pthread_condattr_t attr;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &attr);
	pthread_condattr_destroy(&attr);
	return pthread_create(&t->thread, NULL, timer_main, t) == 0 ? 0 : -1;
}

/* Suspends conn for delay_ms; -1 once shutdown began (answer now). The
 * suspend happens under the lock so the timer can never resume first. */
static int
timer_suspend(struct timer *t, struct MHD_Connection *conn, long delay_ms)
{
	struct pending p;

	pthread_mutex_lock(&t->lock);
	if (t->is_stopping) {
		pthread_mutex_unlock(&t->lock);
		return -1;
	}
	p.due_ns = now_ns() + (uint64_t)delay_ms * 1000000u;
	p.conn = conn;
	heap_push(t, p);
	MHD_suspend_connection(conn);
	if (t->heap[0].conn == conn)
		pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* Resumes everything still waiting and stops the thread. */
static void
timer_stop(struct timer *t)
{
	pthread_mutex_lock(&t->lock);
	t->is_stopping = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	free(t->heap);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
}

/* Knob storage. */
struct arg_ctx {
	struct knobs *k;
	struct buf *text; /* /control: the knobs as "key=value\n" lines */
	char bad[64];     /* the first bad knob */
};

static enum MHD_Result
on_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct arg_ctx *a = cls;

	(void)kind;
	if (value == NULL)
		value = "";
	if (knob_apply(a->k, key, value) < 0) {
		if (a->bad[0] == '\0')
			snprintf(a->bad, sizeof(a->bad), "%s", key);
		return MHD_YES;
	}
	if (a->text != NULL)
		(void)buf_printf(a->text, "%s=%s\n", key, value);
	return MHD_YES;
}

static void
knobs_for(struct server *s, int area, struct MHD_Connection *conn,
          struct knobs *k)
{
	struct arg_ctx a = { .k = k };

	knobs_init(k);
	pthread_mutex_lock(&s->lock);
	if (s->default_text != NULL)
		knobs_apply_text(k, s->default_text);
	if (s->area_text[area] != NULL)
		knobs_apply_text(k, s->area_text[area]);
	pthread_mutex_unlock(&s->lock);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_arg, &a);
}

/* Applies advance=: counts this request and moves k's period or values. */
static void
advance_step(struct server *s, int area, struct knobs *k)
{
	unsigned n, room;
	int base, now = current_month();

	if (k->advance == ADVANCE_OFF)
		return;
	n = atomic_fetch_add(&s->n_advanced[area], 1);
	if (k->advance == ADVANCE_REVISION) {
		k->bump = n + 1;
		return;
	}
	base = k->period >= 0 ? k->period : now - 120;
	room = base < now ? (unsigned)(now - base) : 0;
	k->period = base + (int)(n < room ? n : room);
}

/* advance= starts again: for one municipality, or everyone's (area < 0). */
static void
advance_reset(struct server *s, int area)
{
	size_t i;

	for (i = 0; i < s->cat->n_areas; i++)
		if (area < 0 || (size_t)area == i)
			atomic_store(&s->n_advanced[i], 0);
}

/* Splits off the next blank-separated word of *p; NULL at the end. */
static char *
next_word(char **p)
{
	char *w = *p + strspn(*p, " \t");
	size_t n = strcspn(w, " \t");

	if (*w == '\0')
		return NULL;
	*p = w[n] != '\0' ? w + n + 1 : w + n;
	w[n] = '\0';
	return w;
}

/*
 * Reads the knobs file: `CODE key=value ...` per line, CODE a municipality
 * or `*`, `#` starts a comment. Replaces every stored knob, also those set
 * through /control. On a read error the old knobs stay.
 */
static int
knobs_load(struct server *s)
{
	FILE *f;
	char line[4096], *tok, *rest, *eq;
	char **texts = NULL, *dflt = NULL, **slot;
	struct buf b;
	struct knobs scratch;
	size_t i, lineno = 0;
	int area;

	if (s->knobs_path == NULL)
		return 0;
	f = fopen(s->knobs_path, "r");
	if (f == NULL) {
		fprintf(stderr, "fakemuni: %s: %s\n", s->knobs_path,
		        strerror(errno));
		return -1;
	}
	texts = xcalloc(s->cat->n_areas, sizeof(*texts));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "#\r\n")] = '\0';
		rest = line;
		tok = next_word(&rest);
		if (tok == NULL)
			continue;
		if (strcmp(tok, "*") == 0) {
			slot = &dflt;
		} else {
			area = catalog_find_area(s->cat, tok);
			if (area < 0 ||
			    s->cat->areas[area].level != AREA_MUNICIPALITY) {
				fprintf(
				    stderr,
				    "fakemuni: %s:%zu: unknown municipality "
				    "%s\n",
				    s->knobs_path, lineno, tok);
				continue;
			}
			slot = &texts[area];
		}
		buf_init(&b, 1 << 20);
		if (*slot != NULL)
			(void)buf_puts(&b, *slot);
		knobs_init(&scratch);
		while ((tok = next_word(&rest)) != NULL) {
			eq = strchr(tok, '=');
			if (eq == NULL) {
				fprintf(stderr,
				        "fakemuni: %s:%zu: bad knob %s\n",
				        s->knobs_path, lineno, tok);
				continue;
			}
			*eq = '\0';
			if (knob_apply(&scratch, tok, eq + 1) < 0) {
				fprintf(stderr,
				        "fakemuni: %s:%zu: bad knob %s\n",
				        s->knobs_path, lineno, tok);
				continue;
			}
			(void)buf_printf(&b, "%s=%s\n", tok, eq + 1);
		}
		free(*slot);
		*slot = buf_detach(&b, NULL);
	}
	fclose(f);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->cat->n_areas; i++) {
		free(s->area_text[i]);
		s->area_text[i] = texts[i];
	}
	free(s->default_text);
	s->default_text = dflt;
	advance_reset(s, -1);
	pthread_mutex_unlock(&s->lock);
	free(texts);
	return 0;
}

/* A buffered document's validators (see the opening comment). */
struct validators {
	char etag[24];          /* DQUOTE, 16 hex digits, DQUOTE */
	char last_modified[32]; /* IMF-fixdate */
};

static void
validators_make(const char *body, size_t len, int ym, struct validators *v)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	struct tm tm;
	time_t t;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)body[i]) * 0x100000001b3ULL;
	h = mix64(h);
	snprintf(v->etag, sizeof(v->etag), "\"%016" PRIx64 "\"", h);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (ym + 1) / 12 - 1900;
	tm.tm_mon = (ym + 1) % 12;
	tm.tm_mday = 1;
	t = timegm(&tm) - 86400 + (time_t)(h % 86400);
	gmtime_r(&t, &tm);
	/* the C locale's day and month names are the ones HTTP wants */
	strftime(v->last_modified, sizeof(v->last_modified),
	         "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Whether an If-None-Match list names etag: `*`, or a member equal to it
 * after dropping W/ (the weak comparison RFC 9110 asks of a GET). A
 * malformed list matches nothing, so the client gets the document. */
static bool
etag_list_matches(const char *list, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = list, *q;

	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return false;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"' || (q = strchr(p + 1, '"')) == NULL)
			return false;
		if ((size_t)(q + 1 - p) == n && memcmp(p, etag, n) == 0)
			return true;
		p = q + 1;
	}
}

/* Responses. */
static enum MHD_Result
respond_with(struct MHD_Connection *conn, unsigned status, struct buf *body,
             const char *type, const char *location, const struct validators *v)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *data = buf_detach(body, &len);

	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(data);
		return MHD_NO;
	}
	if (type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (location != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
	if (v != NULL) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, v->etag);
		MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED,
		                        v->last_modified);
	}
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
respond_buf(struct MHD_Connection *conn, unsigned status, struct buf *body,
            const char *type, const char *location)
{
	return respond_with(conn, status, body, type, location, NULL);
}

/* A document buffered whole, for the period ym: with its validators, or a
 * 304 when the request names them. */
static enum MHD_Result
respond_document(struct server *s, struct MHD_Connection *conn, unsigned status,
                 struct buf *body, const struct knobs *k, int ym)
{
	struct validators v = { "", "" };
	const char *inm, *ims;
	bool is_unchanged;

	if (!k->has_validators) {
		atomic_fetch_add(&s->n_documents, 1);
		return respond_buf(conn, status, body, "application/json",
		                   NULL);
	}
	validators_make(body->data != NULL ? body->data : "", body->len, ym,
	                &v);
	inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                  MHD_HTTP_HEADER_IF_NONE_MATCH);
	ims = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                  MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	/* RFC 9110: If-Modified-Since counts only without If-None-Match */
	if (inm != NULL)
		is_unchanged = etag_list_matches(inm, v.etag);
	else
		is_unchanged = ims != NULL && strcmp(ims, v.last_modified) == 0;
	if (is_unchanged) {
		atomic_fetch_add(&s->n_not_modified, 1);
		buf_clear(body);
		return respond_with(conn, MHD_HTTP_NOT_MODIFIED, body, NULL,
		                    NULL, &v);
	}
	atomic_fetch_add(&s->n_documents, 1);
	return respond_with(conn, status, body, "application/json", NULL, &v);
}

static enum MHD_Result
respond_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	struct buf b;

	buf_init(&b, 4096);
	(void)buf_printf(&b, "{\"error\":\"%s\"}\n", msg);
	return respond_buf(conn, status, &b, "application/json", NULL);
}

/* The 4 MiB-style body: a valid document padded to exactly size bytes. */
struct big_body {
	char *head; /* the document up to `"padding":"` */
	size_t head_len;
	uint64_t size;
};

static const char big_tail[] = "\"}\n";

static size_t
min_size(uint64_t a, size_t b)
{
	return a < b ? (size_t)a : b;
}

static ssize_t
big_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct big_body *b = cls;
	uint64_t tail_at = b->size - (sizeof(big_tail) - 1);
	size_t n = 0, k;

	if (pos >= b->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	while (n < max && pos < b->size) {
		if (pos < b->head_len) {
			k = min_size(b->head_len - pos, max - n);
			memcpy(out + n, b->head + pos, k);
		} else if (pos < tail_at) {
			k = min_size(tail_at - pos, max - n);
			memset(out + n, 'x', k);
		} else {
			k = min_size(b->size - pos, max - n);
			memcpy(out + n, big_tail + (pos - tail_at), k);
		}
		n += k;
		pos += k;
	}
	return (ssize_t)n;
}

static void
big_free(void *cls)
{
	struct big_body *b = cls;

	free(b->head);
	free(b);
}

/* Endless: a JSON string that never closes, until the client leaves. */
static ssize_t
endless_read(void *cls, uint64_t pos, char *out, size_t max)
{
	static const char head[] = "{\"padding\":\"";
	size_t n = 0;

	(void)cls;
	while (pos + n < sizeof(head) - 1 && n < max) {
		out[n] = head[pos + n];
		n++;
	}
	memset(out + n, 'x', max - n);
	return (ssize_t)max;
}

static enum MHD_Result
respond_callback(struct MHD_Connection *conn, uint64_t size,
                 MHD_ContentReaderCallback read, void *cls,
                 MHD_ContentReaderFreeCallback free_fn)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_callback(size, 64 * 1024, read, cls,
	                                      free_fn);
	if (r == NULL) {
		if (free_fn != NULL)
			free_fn(cls);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "application/json");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

struct query_ctx {
	struct buf *b;
};

static void
put_encoded(struct buf *b, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL)
			(void)buf_append(b, p, 1);
		else
			(void)buf_printf(b, "%%%02X", *p);
	}
}

static enum MHD_Result
on_query_copy(void *cls, enum MHD_ValueKind kind, const char *key,
              const char *value)
{
	struct query_ctx *q = cls;

	(void)kind;
	if (strcmp(key, "redirect") == 0)
		return MHD_YES;
	put_encoded(q->b, key);
	(void)buf_puts(q->b, "=");
	put_encoded(q->b, value != NULL ? value : "");
	(void)buf_puts(q->b, "&");
	return MHD_YES;
}

/* 302 to the same URL with one redirect fewer. */
static enum MHD_Result
respond_redirect_self(struct MHD_Connection *conn, const char *url,
                      int redirect)
{
	struct buf loc, body;
	struct query_ctx q = { .b = &loc };
	enum MHD_Result ret;

	buf_init(&loc, 1 << 16);
	(void)buf_printf(&loc, "%s?", url);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_query_copy,
	                          &q);
	(void)buf_printf(&loc, "redirect=%d", redirect - 1);
	buf_init(&body, 4096);
	(void)buf_puts(&body, "{\"redirect\":true}\n");
	ret = respond_buf(conn, MHD_HTTP_FOUND, &body, "application/json",
	                  loc.data);
	buf_reset(&loc);
	return ret;
}

static enum MHD_Result
respond_garbage(struct server *s, struct MHD_Connection *conn, int area,
                const struct knobs *k)
{
	const char *code = s->cat->areas[area].code;
	struct buf b;
	unsigned char bytes[GARBAGE_BYTES];
	uint64_t x = mix64((uint64_t)(unit(code, 0, 77) * 9007199254740992.0));
	size_t i;

	for (i = 0; i < sizeof(bytes); i++) {
		x = mix64(x + 0x9e3779b97f4a7c15ULL);
		bytes[i] = (unsigned char)x;
	}
	bytes[0] = (unsigned char)(0x80 | (bytes[0] & 0x7f)); /* never JSON */
	buf_init(&b, sizeof(bytes));
	(void)buf_append(&b, bytes, sizeof(bytes));
	return respond_document(s, conn, MHD_HTTP_OK, &b, k, knobs_period(k));
}

static enum MHD_Result
serve_document(struct server *s, struct MHD_Connection *conn, const char *url,
               int area, void **req_cls)
{
	struct knobs k;
	struct buf b;
	struct big_body *big;
	char msg[64];
	unsigned status;
	bool is_chunked;

	knobs_for(s, area, conn, &k);
	if (k.delay_ms > 0 && *req_cls != &req_delayed &&
	    timer_suspend(&s->timer, conn, k.delay_ms) == 0) {
		*req_cls = &req_delayed;
		return MHD_YES;
	}
	if (k.redirect_to[0] != '\0') {
		buf_init(&b, 4096);
		(void)buf_puts(&b, "{\"redirect\":true}\n");
		return respond_buf(conn, MHD_HTTP_FOUND, &b, "application/json",
		                   k.redirect_to);
	}
	if (k.redirect > 0)
		return respond_redirect_self(conn, url, k.redirect);
	status = k.status != 0 ? (unsigned)k.status : MHD_HTTP_OK;
	if (status < 200 || status >= 300) {
		snprintf(msg, sizeof(msg), "fakemuni status %u", status);
		return respond_error(conn, status, msg);
	}
	advance_step(s, area, &k);
	switch (k.body) {
	case BODY_ENDLESS:
		return respond_callback(conn, MHD_SIZE_UNKNOWN, endless_read,
		                        NULL, NULL);
	case BODY_GARBAGE:
		return respond_garbage(s, conn, area, &k);
	case BODY_OVERSIZED:
	case BODY_OVERSIZED_CHUNKED:
		buf_init(&b, DOC_MAX_BYTES);
		is_chunked = k.body == BODY_OVERSIZED_CHUNKED;
		k.body = BODY_NORMAL;
		doc_format(s->cat, area, knobs_period(&k), &k, &b);
		b.len -= 2; /* drop the closing "}\n" */
		(void)buf_puts(&b, ",\"padding\":\"");
		big = xmalloc(sizeof(*big));
		big->head = buf_detach(&b, &big->head_len);
		big->size = k.size;
		if (big->size < big->head_len + sizeof(big_tail) - 1)
			big->size = big->head_len + sizeof(big_tail) - 1;
		return respond_callback(
		    conn, is_chunked ? MHD_SIZE_UNKNOWN : big->size, big_read,
		    big, big_free);
	default:
		buf_init(&b, DOC_MAX_BYTES);
		doc_format(s->cat, area, knobs_period(&k), &k, &b);
		return respond_document(s, conn, status, &b, &k,
		                        knobs_period(&k));
	}
}

/* POST /control/CODE?knobs: replaces CODE's knobs (`*`: everyone's). */
static enum MHD_Result
serve_control(struct server *s, struct MHD_Connection *conn, const char *code)
{
	struct knobs k;
	struct buf text;
	struct arg_ctx a = { .k = &k, .text = &text };
	char msg[128], **slot;
	int area = -1;
	enum MHD_Result ret;

	if (strcmp(code, "*") != 0) {
		area = catalog_find_area(s->cat, code);
		if (area < 0 || s->cat->areas[area].level != AREA_MUNICIPALITY)
			return respond_error(conn, MHD_HTTP_NOT_FOUND,
			                     "unknown municipality");
	}
	knobs_init(&k);
	buf_init(&text, 1 << 20);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_arg, &a);
	if (a.bad[0] != '\0') {
		snprintf(msg, sizeof(msg), "bad knob %s", a.bad);
		buf_reset(&text);
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, msg);
	}
	pthread_mutex_lock(&s->lock);
	slot = area < 0 ? &s->default_text : &s->area_text[area];
	free(*slot);
	*slot = text.len > 0 ? buf_detach(&text, NULL) : NULL;
	advance_reset(s, area);
	pthread_mutex_unlock(&s->lock);
	buf_reset(&text);
	buf_init(&text, 16);
	ret = respond_buf(conn, MHD_HTTP_NO_CONTENT, &text, NULL, NULL);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **req_cls)
{
	struct server *s = cls;
	struct buf b;
	bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int area;

	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = &req_started;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* no route takes a body */
		return MHD_YES;
	}
	if (strcmp(url, "/healthz") == 0 && is_get) {
		buf_init(&b, 16);
		(void)buf_puts(&b, "ok\n");
		return respond_buf(conn, MHD_HTTP_OK, &b, "text/plain", NULL);
	}
	if (strcmp(url, "/stats") == 0 && is_get) {
		buf_init(&b, 256);
		(void)buf_printf(&b,
		                 "{\"documents\":%llu,\"not_modified\":%llu}\n",
		                 atomic_load(&s->n_documents),
		                 atomic_load(&s->n_not_modified));
		return respond_buf(conn, MHD_HTTP_OK, &b, "application/json",
		                   NULL);
	}
	if (strncmp(url, "/control/", 9) == 0) {
		if (strcmp(method, "POST") != 0)
			return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			                     "use POST");
		return serve_control(s, conn, url + 9);
	}
	area = catalog_find_area(s->cat, url + 1);
	if (url[0] != '/' || area < 0 ||
	    s->cat->areas[area].level != AREA_MUNICIPALITY)
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	if (!is_get)
		return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		                     "use GET");
	return serve_document(s, conn, url, area, req_cls);
}

static int
write_port_file(const char *path, unsigned port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

/* "host:port", "[v6]:port", "*:port" -> an address; -1 if malformed. */
static int
resolve_listen(const char *listen, struct addrinfo **out)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	struct addrinfo hints;
	size_t n;

	if (colon == NULL)
		return -1;
	n = (size_t)(colon - listen);
	if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, listen, n);
	host[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	return getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, colon + 1,
	                   &hints, out) == 0
	           ? 0
	           : -1;
}

static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: fakemuni [-c CONFIG] [--listen HOST:PORT] "
	                "[--port-file FILE] [--knobs FILE]\n"
	                "       fakemuni [-c CONFIG] --print KU091 [YYYY-MM]\n"
	                "       fakemuni [-c CONFIG] --history FROM [TO]\n");
	exit(2);
}

/* --history: every municipality's values for the months from..to. */
static int
print_history(const struct catalog *cat, const char *from, const char *to)
{
	int ym_from, ym_to = previous_month(), ym;
	double *v;
	size_t a, i;

	if (parse_period(from, &ym_from) < 0 ||
	    (to != NULL && parse_period(to, &ym_to) < 0) || ym_from > ym_to) {
		fprintf(stderr, "fakemuni: bad --history range (YYYY-MM)\n");
		return 1;
	}
	v = xcalloc(cat->n_measures ? cat->n_measures : 1, sizeof(*v));
	fputs("area,period,measure,value\n", stdout);
	for (a = cat->first_municipality; a < cat->n_areas; a++)
		for (ym = ym_from; ym <= ym_to; ym++) {
			values_make(cat, (int)a, ym, v);
			for (i = 0; i < cat->n_measures; i++)
				printf("%s,%04d-%02d,%s,%.15g\n",
				       cat->areas[a].code, ym / 12, ym % 12 + 1,
				       cat->measures[i].id, v[i]);
		}
	free(v);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
print_document(const struct catalog *cat, const char *code, const char *period)
{
	struct knobs k;
	struct buf b;
	int area = catalog_find_area(cat, code);
	int ym;

	if (area < 0 || cat->areas[area].level != AREA_MUNICIPALITY) {
		fprintf(stderr, "fakemuni: unknown municipality %s\n", code);
		return 1;
	}
	knobs_init(&k);
	if (period != NULL && knob_apply(&k, "period", period) < 0) {
		fprintf(stderr, "fakemuni: bad period %s (YYYY-MM)\n", period);
		return 1;
	}
	ym = knobs_period(&k);
	buf_init(&b, DOC_MAX_BYTES);
	doc_format(cat, area, ym, &k, &b);
	fwrite(b.data, 1, b.len, stdout);
	buf_reset(&b);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "knobs", required_argument, NULL, 'k' },
		{ "print", required_argument, NULL, 'P' },
		{ "history", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = "config/kuntamon.conf";
	const char *listen = "127.0.0.1:0", *port_file = NULL;
	const char *print_code = NULL, *history_from = NULL;
	struct server s;
	struct config cfg;
	struct error err;
	struct addrinfo *ai = NULL;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	char msg[600];
	sigset_t sigs;
	unsigned flags, port;
	int opt, sig, status = 1;
	size_t i;

	memset(&s, 0, sizeof(s));
	atomic_init(&s.n_documents, 0);
	atomic_init(&s.n_not_modified, 0);
	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'p':
			port_file = optarg;
			break;
		case 'k':
			s.knobs_path = optarg;
			break;
		case 'P':
			print_code = optarg;
			break;
		case 'H':
			history_from = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind < argc &&
	    ((print_code == NULL && history_from == NULL) || optind + 1 < argc))
		usage();

	memset(&err, 0, sizeof(err));
	if (config_load(config_path, &cfg, &err) == 0) {
		/* Endpoints are not ours to serve, and tests write
		 * endpoints.csv only once they know our port. */
		cfg.endpoints_path[0] = '\0';
		s.cat = catalog_load(&cfg, &err);
	}
	if (s.cat == NULL) {
		error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "fakemuni: %s\n", msg);
		return 2;
	}
	if (print_code != NULL) {
		status = print_document(s.cat, print_code,
		                        optind < argc ? argv[optind] : NULL);
		catalog_unref(s.cat);
		return status;
	}
	if (history_from != NULL) {
		status = print_history(s.cat, history_from,
		                       optind < argc ? argv[optind] : NULL);
		catalog_unref(s.cat);
		return status;
	}

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* threads inherit it */
	raise_fd_limit();

	pthread_mutex_init(&s.lock, NULL);
	s.area_text = xcalloc(s.cat->n_areas, sizeof(*s.area_text));
	s.n_advanced = xcalloc(s.cat->n_areas, sizeof(*s.n_advanced));
	for (i = 0; i < s.cat->n_areas; i++)
		atomic_init(&s.n_advanced[i], 0);
	if (s.knobs_path != NULL && knobs_load(&s) < 0)
		goto out_catalog;
	if (resolve_listen(listen, &ai) < 0) {
		fprintf(stderr, "fakemuni: bad --listen %s\n", listen);
		goto out_catalog;
	}
	if (timer_start(&s.timer) < 0) {
		fprintf(stderr, "fakemuni: cannot start the timer thread\n");
		goto out_catalog;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	        MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, &s, MHD_OPTION_SOCK_ADDR,
	    ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned)10000,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "fakemuni: cannot listen on %s\n", listen);
		goto out_timer;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info != NULL ? info->port : 0;
	if (port_file != NULL && write_port_file(port_file, port) < 0) {
		fprintf(stderr, "fakemuni: %s: %s\n", port_file,
		        strerror(errno));
		goto out_timer;
	}
	fprintf(stderr, "fakemuni listening port=%u\n", port);

	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		if (knobs_load(&s) == 0)
			fprintf(stderr, "fakemuni knobs reloaded\n");
	}
	status = 0;
	if (port_file != NULL)
		(void)remove(port_file);
out_timer:
	timer_stop(&s.timer); /* resumes all: MHD_stop_daemon needs that */
	if (d != NULL)
		MHD_stop_daemon(d);
out_catalog:
	if (ai != NULL)
		freeaddrinfo(ai);
	for (i = 0; s.area_text != NULL && i < s.cat->n_areas; i++)
		free(s.area_text[i]);
	free(s.area_text);
	free((void *)s.n_advanced);
	free(s.default_text);
	catalog_unref(s.cat);
	return status;
}
