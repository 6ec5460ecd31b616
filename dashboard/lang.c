/*
 * lang.c: language negotiation for the handlers that name things. Pure.
 *
 * Accept-Language (RFC 9110 §12.5.4) is read leniently: an item we cannot
 * parse is skipped, never an error, since browsers send what they like and
 * the answer is still useful in Finnish. The lang= parameter is strict: a
 * caller who names a language wants to hear that it is not offered.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "lang.h"

static const char *const lang_codes[N_LANGS] = {
	[LANG_FI] = "fi",
	[LANG_SV] = "sv",
	[LANG_EN] = "en",
};

const char *
lang_code(enum lang lang)
{
	return lang_codes[lang];
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A qvalue ("1", "0.8", "0.125", "1.000") in thousandths, or -1. */
static int
parse_qvalue(const char *s, size_t n)
{
	int q, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q <= 1000 ? q : -1;
}

/* The q of an item's parameters (";q=0.8;x=y"), 1000 if none, -1 if
 * malformed. */
static int
item_q(const char *p, size_t n)
{
	int q = 1000;

	while (n > 0) {
		size_t len;

		if (*p == ';' || is_space(*p)) {
			p++;
			n--;
			continue;
		}
		len = 0;
		while (len < n && p[len] != ';')
			len++;
		if (len >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			size_t vlen = len - 2;

			while (vlen > 0 && is_space(p[2 + vlen - 1]))
				vlen--;
			q = parse_qvalue(p + 2, vlen);
			if (q < 0)
				return -1;
		}
		p += len;
		n -= len;
	}
	return q;
}

/* The language of one item ("sv-FI;q=0.9"), or -1 if not ours. */
static int
item_lang(const char *p, size_t n, int *out_q)
{
	size_t tag, primary;
	int l;

	while (n > 0 && is_space(*p)) {
		p++;
		n--;
	}
	for (tag = 0; tag < n && p[tag] != ';' && !is_space(p[tag]); tag++)
		;
	for (primary = 0; primary < tag && p[primary] != '-'; primary++)
		;
	if (primary != 2)
		return -1;
	for (l = 0; l < N_LANGS; l++) {
		if (strncasecmp(p, lang_codes[l], 2) != 0)
			continue;
		*out_q = item_q(p + tag, n - tag);
		return *out_q > 0 ? l : -1;
	}
	return -1;
}

int
lang_negotiate(const char *param, const char *accept_language, enum lang *out,
               struct error *err)
{
	const char *p = accept_language;
	int l, q, best_q = 0;

	*out = LANG_FI;
	if (param != NULL) {
		for (l = 0; l < N_LANGS; l++)
			if (strcmp(param, lang_codes[l]) == 0) {
				*out = (enum lang)l;
				return 0;
			}
		return error_set(err, 0,
		                 "parameter lang: must be one of fi, sv, en");
	}
	if (p == NULL)
		return 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		l = item_lang(p, n, &q);
		if (l >= 0 && q > best_q) {
			best_q = q;
			*out = (enum lang)l;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}
