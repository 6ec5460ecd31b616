/*
 * query.h: a request's path, query string and Content-Type -> checked,
 * decoded values.
 * Pure: bytes in, structs out, errors in struct error (the HTTP layer turns
 * them into 400 {"error": msg}).
 *
 * A path that passes query_path_decode names no file-system trick: no NUL
 * or control bytes, no "..", no "//", no backslash, no "." segment, and no
 * percent-encoded '/', '.' or '\\' that could turn into one later.
 */
#ifndef KUNTAMON_QUERY_H
#define KUNTAMON_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define QUERY_PATH_MAX 1024  /* bytes of a path, raw or decoded */
#define QUERY_MAX_BYTES 4096 /* bytes of a raw query string */
#define QUERY_MAX_PARAMS 32
#define QUERY_NAME_MAX 32    /* bytes of a decoded name */
#define QUERY_VALUE_MAX 1024 /* bytes of a decoded value */

struct query_param {
	const char *name;  /* [A-Za-z0-9_.-]{1,32} */
	const char *value; /* decoded; "" for "name" or "name=" */
};

struct query {
	struct query_param params[QUERY_MAX_PARAMS];
	size_t n_params;
	char *storage; /* the decoded names and values */
};

/* Parses a raw query string (what follows '?', len bytes, need not be
 * NUL-terminated): pairs split on '&', "%XX" and '+' decoded. Duplicate
 * names, bad escapes, NUL or control bytes, more than QUERY_MAX_PARAMS
 * parameters and over-long names or values are errors naming the
 * parameter. On success free with query_reset; on error *out is empty. */
int query_parse(const char *text, size_t len, struct query *out,
                struct error *err);
/* Frees what query_parse allocated; the query is empty after. */
void query_reset(struct query *q);

/* A parameter's decoded value, NULL if absent. */
const char *query_get(const struct query *q, const char *name);

/* The parameter as an integer in [min, max], def if absent. Anything else
 * (empty, not a base-10 integer, out of range) is an error: "parameter
 * width: must be an integer between 100 and 4000". */
int query_get_int(const struct query *q, const char *name, long min, long max,
                  long def, long *out, struct error *err);

/* The parameter as an index into choices[0 .. n_choices), def if absent;
 * another value is an error listing the choices. */
int query_get_choice(const struct query *q, const char *name,
                     const char *const *choices, size_t n_choices, int def,
                     int *out, struct error *err);

/* Decodes a raw request path (len bytes) into out (out_size bytes, at
 * least QUERY_PATH_MAX + 1 to take any valid path) and checks it with
 * query_path_check. Percent-encoded '/', '.', '\\', NUL and control bytes
 * are refused before decoding, so "%2e%2e" never becomes "..". */
int query_path_decode(const char *raw, size_t len, char *out, size_t out_size,
                      struct error *err);

/* Checks a decoded path: starts with '/', at most QUERY_PATH_MAX bytes, no
 * control bytes, backslash, "..", "//" or "/./" (nor a trailing "/."). */
int query_path_check(const char *path, struct error *err);

/* Whether a Content-Type header (may be NULL) is type (any case), with
 * parameters of proper syntax and, if a charset is named, UTF-8. */
bool query_media_type_is(const char *content_type, const char *type);

#endif
