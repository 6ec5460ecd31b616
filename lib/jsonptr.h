/*
 * jsonptr.h: RFC 6901 JSON Pointers over a cJSON tree.
 *
 * Used only inside modules that hold a parsed cJSON tree (document.c).
 * Pure.
 */
#ifndef KUNTAMON_JSONPTR_H
#define KUNTAMON_JSONPTR_H

#include "error.h"

struct cJSON;

/* 0 if ptr is a valid pointer ("" or "/..." with only ~0 and ~1 escapes),
 * else -1 with err->msg. */
int jsonptr_validate(const char *ptr, struct error *err);

/* The value ptr points at in root, or NULL if there is none (or ptr is
 * invalid). Array indices are decimal without leading zeros; "-" never
 * resolves. The result is borrowed from root. */
const struct cJSON *jsonptr_get(const struct cJSON *root, const char *ptr);

#endif
