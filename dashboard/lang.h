/*
 * lang.h: which of the catalog's languages (fi, sv, en) a request wants.
 * Pure: the lang= parameter and the Accept-Language header in, an enum
 * lang out.
 */
#ifndef KUNTAMON_LANG_H
#define KUNTAMON_LANG_H

#include "catalog.h"
#include "error.h"

/* param (lang=, NULL if absent) must be "fi", "sv" or "en", else -1 with
 * "parameter lang: must be one of fi, sv, en". Without it, the language of
 * accept_language (may be NULL) with the highest q that we have ("sv-FI"
 * counts as sv; ties go to the one listed first), else Finnish. */
int lang_negotiate(const char *param, const char *accept_language,
                   enum lang *out, struct error *err);

/* "fi", "sv", "en". */
const char *lang_code(enum lang lang);

#endif
