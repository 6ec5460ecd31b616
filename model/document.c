/*
 * document.c: a municipal document (SPEC §4) judged against the catalog.
 *
 * The body is parsed with cJSON, read through JSON Pointers, copied into a
 * struct document and the tree deleted before returning: cJSON never leaves
 * this file. A document is rejected whole only for what makes all of it
 * untrustworthy (not an object, another municipality, a missing, malformed
 * or future period); anything wrong with one figure rejects that figure
 * alone. Every byte that goes from the body into an error message or an
 * unknown-key name is made printable, valid UTF-8 first, since those end
 * up in logs, SQLite and JSON answers.
 *
 * Duplicate keys: cJSON keeps them all and lookups take the first, so the
 * first occurrence of a member wins everywhere here.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "document.h"
#include "jsonptr.h"
#include "timespec.h"
#include "xmalloc.h"

#define DEFAULT_MUNICIPALITY_PTR "/municipality"
#define DEFAULT_PERIOD_PTR "/period"
#define MEASURES_KEY "measures" /* the default layout's "/measures" */
#define QUOTE_MAX 24            /* bytes of a bad value quoted in a message */

static const char *const reason_names[N_REJECT_REASONS] = {
	[REJECT_NONE] = "none",
	[REJECT_MISSING] = "missing",
	[REJECT_NULL] = "null",
	[REJECT_NOT_NUMBER] = "not_number",
	[REJECT_OUT_OF_RANGE] = "out_of_range",
	[REJECT_UNKNOWN] = "unknown",
};

const char *
document_reason_name(enum reject_reason reason)
{
	if ((int)reason < 0 || reason >= N_REJECT_REASONS)
		return "invalid";
	return reason_names[reason];
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if s does not start
 * one (overlong forms, surrogates and code points past U+10FFFF are not
 * valid). s is NUL-terminated, so a truncated sequence stops at the NUL. */
static size_t
utf8_seq_len(const unsigned char *s)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* Copies s into out (size out_size >= 4) as printable, valid UTF-8: control
 * bytes and invalid sequences become "?", and the copy stops before a
 * character that would not fit whole. Returns whether all of s fit. */
static bool
copy_printable(const char *s, char *out, size_t out_size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, k;

	while (*p != '\0') {
		k = utf8_seq_len(p);
		if (n + (k == 0 ? 1 : k) >= out_size)
			break;
		if (k == 0 || (k == 1 && (*p < 0x20 || *p == 0x7f))) {
			out[n++] = '?';
			p++;
		} else {
			memcpy(out + n, p, k);
			n += k;
			p += k;
		}
	}
	out[n] = '\0';
	return *p == '\0';
}

/* A bad value quoted for an error message: short, printable, marked when
 * cut. */
static void
quote(const char *s, char *out, size_t out_size)
{
	char part[QUOTE_MAX + 1];

	if (copy_printable(s, part, sizeof(part)))
		snprintf(out, out_size, "%s", part);
	else
		snprintf(out, out_size, "%s...", part);
}

/* The body as one JSON object with nothing after it but whitespace, or
 * NULL. cJSON's require_null_terminated looks for a NUL inside the given
 * length, which a length-delimited body does not have, so trailing bytes
 * are checked here instead. A raw NUL is never valid JSON, and cJSON would
 * silently end a string at it ("KU091<NUL>junk" reading as "KU091"), so it
 * rejects the body. cJSON refuses nesting past CJSON_NESTING_LIMIT, which
 * lands here as NULL too. */
static cJSON *
parse_object(const char *body, size_t len)
{
	const char *end = NULL, *stop;
	cJSON *root;

	if (body == NULL || len == 0 || memchr(body, '\0', len) != NULL)
		return NULL;
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (root == NULL)
		return NULL;
	stop = body + len;
	while (end != NULL && end < stop &&
	       (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != stop || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static int
check_municipality(const cJSON *root, const char *ptr, const char *expected,
                   struct error *err)
{
	const cJSON *item = jsonptr_get(root, ptr);
	char q[QUOTE_MAX + 8];

	if (item == NULL || cJSON_IsNull(item))
		return error_set(err, 0, "missing municipality");
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return error_set(err, 0, "municipality is not a string");
	if (strcmp(item->valuestring, expected) != 0) {
		quote(item->valuestring, q, sizeof(q));
		error_set(err, 0, "document names %s, expected %s", q,
		          expected);
		return DOCUMENT_OTHER_AREA;
	}
	return 0;
}

static int
check_period(const cJSON *root, const char *ptr, time_t now, int *out_period,
             struct error *err)
{
	const cJSON *item = jsonptr_get(root, ptr);
	char q[QUOTE_MAX + 8], text[16];

	if (item == NULL || cJSON_IsNull(item))
		return error_set(err, 0, "missing period");
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return error_set(err, 0, "period is not a string");
	if (period_parse(item->valuestring, out_period) < 0) {
		quote(item->valuestring, q, sizeof(q));
		return error_set(err, 0, "period %s is not YYYY-MM", q);
	}
	if (period_start(*out_period) > now) {
		period_format(*out_period, text, sizeof(text));
		return error_set(err, 0, "period %s is in the future", text);
	}
	return 0;
}

static enum reject_reason
judge(const cJSON *item, const struct measure *m, double *out_value,
      double *out_given)
{
	double v;

	*out_value = *out_given = NAN;
	if (item == NULL)
		return REJECT_MISSING;
	if (cJSON_IsNull(item))
		return REJECT_NULL;
	/* Only JSON numbers: "12" and true are not figures. */
	if (!cJSON_IsNumber(item))
		return REJECT_NOT_NUMBER;
	v = item->valuedouble;
	*out_given = v + 0.0;
	if (!isfinite(v) || v < m->min || v > m->max)
		return REJECT_OUT_OF_RANGE;
	*out_value = v + 0.0; /* -0 is stored as 0 */
	return REJECT_NONE;
}

/* Whether the escaped pointer token tok[0..len) names key. */
static bool
token_equals(const char *tok, size_t len, const char *key)
{
	size_t i;
	char c;

	for (i = 0; i < len; i++, key++) {
		c = tok[i];
		if (c == '~' && i + 1 < len) {
			c = tok[i + 1] == '1' ? '/' : '~';
			i++;
		}
		if (*key != c)
			return false;
	}
	return *key == '\0';
}

/* A key under "/measures" is known if it is a measure's id, or, with a
 * profile, the first step of one of its measure pointers below
 * "/measures" (a profile may keep figures there under its own names). */
static bool
is_known_key(const struct catalog *cat, const struct profile *prof,
             const char *key)
{
	static const char prefix[] = "/" MEASURES_KEY "/";
	const char *p, *end;
	size_t i;

	for (i = 0; i < cat->n_measures; i++) {
		if (strcmp(cat->measures[i].id, key) == 0)
			return true;
		if (prof == NULL || prof->measure_ptr == NULL ||
		    prof->measure_ptr[i] == NULL)
			continue;
		p = prof->measure_ptr[i];
		if (strncmp(p, prefix, sizeof(prefix) - 1) != 0)
			continue;
		p += sizeof(prefix) - 1;
		end = strchr(p, '/');
		if (token_equals(p, end ? (size_t)(end - p) : strlen(p), key))
			return true;
	}
	return false;
}

static bool
rule_holds(enum rule_op op, double a, double b)
{
	switch (op) {
	case RULE_LT:
		return a < b;
	case RULE_LE:
		return a <= b;
	case RULE_EQ:
		return a == b;
	case RULE_GE:
		return a >= b;
	case RULE_GT:
		return a > b;
	}
	return false;
}

static void
read_measures(const struct catalog *cat, const struct profile *prof,
              const cJSON *root, struct document *doc)
{
	const cJSON *measures, *item, *child;
	size_t i;

	measures = cJSON_GetObjectItemCaseSensitive(root, MEASURES_KEY);
	if (!cJSON_IsObject(measures))
		measures =
		    NULL; /* then every default-layout figure is missing */
	for (i = 0; i < cat->n_measures; i++) {
		if (prof != NULL && prof->measure_ptr != NULL &&
		    prof->measure_ptr[i] != NULL)
			item = jsonptr_get(root, prof->measure_ptr[i]);
		else /* "/measures/<id>"; an id needs no escaping */
			item = cJSON_GetObjectItemCaseSensitive(
			    measures, cat->measures[i].id);
		doc->status[i] = judge(item, &cat->measures[i], &doc->values[i],
		                       &doc->given[i]);
		if (doc->status[i] == REJECT_NONE)
			doc->n_accepted++;
		else
			doc->n_rejected++;
	}
	for (child = measures ? measures->child : NULL; child != NULL;
	     child = child->next) {
		if (child->string == NULL ||
		    is_known_key(cat, prof, child->string))
			continue;
		if (doc->n_unknown < DOCUMENT_MAX_UNKNOWN)
			copy_printable(child->string,
			               doc->unknown[doc->n_unknown],
			               sizeof(doc->unknown[0]));
		doc->n_unknown++;
		doc->n_rejected++;
	}
}

static void
check_rules(const struct catalog *cat, struct document *doc)
{
	const struct rule *r;
	size_t i;

	if (cat->n_rules == 0)
		return;
	doc->violations = xcalloc(cat->n_rules, sizeof(doc->violations[0]));
	for (i = 0; i < cat->n_rules; i++) {
		r = &cat->rules[i];
		if (r->lhs < 0 || (size_t)r->lhs >= doc->n_measures ||
		    r->rhs < 0 || (size_t)r->rhs >= doc->n_measures)
			continue;
		if (doc->status[r->lhs] != REJECT_NONE ||
		    doc->status[r->rhs] != REJECT_NONE)
			continue;
		if (!rule_holds(r->op, doc->values[r->lhs],
		                doc->values[r->rhs]))
			doc->violations[doc->n_violations++] = (int)i;
	}
}

int
document_parse(const struct catalog *cat, int expected_area, int profile,
               const char *body, size_t len, time_t now, struct document *out,
               struct error *err)
{
	const struct profile *prof = NULL;
	const char *municipality_ptr = DEFAULT_MUNICIPALITY_PTR;
	const char *period_ptr = DEFAULT_PERIOD_PTR;
	cJSON *root = NULL;
	int period, rc = -1;

	memset(out, 0, sizeof(*out));
	if (expected_area < 0 || (size_t)expected_area >= cat->n_areas) {
		error_set(err, 0, "no such area %d", expected_area);
		goto out;
	}
	if (profile >= 0) {
		if ((size_t)profile >= cat->n_profiles) {
			error_set(err, 0, "no such profile %d", profile);
			goto out;
		}
		prof = &cat->profiles[profile];
		if (prof->municipality_ptr != NULL)
			municipality_ptr = prof->municipality_ptr;
		if (prof->period_ptr != NULL)
			period_ptr = prof->period_ptr;
	}
	root = parse_object(body, len);
	if (root == NULL) {
		error_set(err, 0, "body is not a JSON object");
		goto out;
	}
	if ((rc = check_municipality(root, municipality_ptr,
	                             cat->areas[expected_area].code, err)) < 0)
		goto out;
	rc = -1;
	if (check_period(root, period_ptr, now, &period, err) < 0)
		goto out;

	out->area = expected_area;
	out->period = period;
	out->n_measures = cat->n_measures;
	out->values = xcalloc(cat->n_measures, sizeof(out->values[0]));
	out->given = xcalloc(cat->n_measures, sizeof(out->given[0]));
	out->status = xcalloc(cat->n_measures, sizeof(out->status[0]));
	read_measures(cat, prof, root, out);
	check_rules(cat, out);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

void
document_reset(struct document *doc)
{
	if (doc == NULL)
		return;
	free(doc->values);
	free(doc->given);
	free(doc->status);
	free(doc->violations);
	memset(doc, 0, sizeof(*doc));
}
