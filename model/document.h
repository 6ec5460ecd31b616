/*
 * document.h: the municipal document (SPEC §4) -> accepted and rejected
 * measures. Pure: bytes and a catalog in, plain structs out.
 *
 *   {"municipality": "KU091", "period": "2026-10",
 *    "measures": {"contacts": 1234, "gp_open": 1, "staff_fte": 12.5}}
 *
 * Each measure is judged on its own; the whole document is rejected only
 * when it is not a JSON object, names another municipality, or has a
 * missing, malformed or future period.
 */
#ifndef KUNTAMON_DOCUMENT_H
#define KUNTAMON_DOCUMENT_H

#include <stddef.h>
#include <time.h>

#include "catalog.h"
#include "error.h"

enum reject_reason {
	REJECT_NONE = 0, /* accepted */
	REJECT_MISSING,
	REJECT_NULL,
	REJECT_NOT_NUMBER,
	REJECT_OUT_OF_RANGE,
	REJECT_UNKNOWN, /* a key under the measures object not in the catalog */
	N_REJECT_REASONS
};

/* "missing", "null", "not_number", "out_of_range", "unknown". */
const char *document_reason_name(enum reject_reason reason);

#define DOCUMENT_MAX_UNKNOWN 16 /* unknown keys kept by name; all counted */

struct document {
	int area;   /* area index (a municipality) */
	int period; /* see timespec.h */
	size_t n_measures;
	double *values;             /* [n_measures]; NaN where rejected */
	enum reject_reason *status; /* [n_measures] */
	char unknown[DOCUMENT_MAX_UNKNOWN][64]; /* unknown keys, truncated */
	size_t n_unknown; /* all unknown keys, even past the 16 kept */
	int *violations;  /* rule indices violated */
	size_t n_violations;
	size_t n_accepted, n_rejected; /* n_rejected includes unknown keys */
	/* [n_measures] the number given, kept where it was rejected (out of
	 * range) too, for the record; NaN where none was */
	double *given;
};

/* document_parse's answer for a document naming another municipality than
 * the one expected: a whole reject callers tell apart (a submission with
 * another municipality's figures is 403, not 400). */
#define DOCUMENT_OTHER_AREA (-2)

/* Parses and validates body against cat for the municipality expected_area
 * (the endpoint's or the token's), reading figures where profile (index, or
 * -1 for the default layout) says. A period that starts after now is in the
 * future. Returns 0 with *out filled (free with document_reset), or -1
 * (DOCUMENT_OTHER_AREA if it names another municipality) with err->msg
 * when the whole document is rejected (then *out holds nothing to free). */
int document_parse(const struct catalog *cat, int expected_area, int profile,
                   const char *body, size_t len, time_t now,
                   struct document *out, struct error *err);

void document_reset(struct document *doc);

#endif
