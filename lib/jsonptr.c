/*
 * jsonptr.c: RFC 6901 JSON Pointers resolved over a cJSON tree.
 *
 * The walk is a loop over the pointer's tokens, never recursion, so a long
 * pointer costs time linear in its length and no stack. Object members are
 * matched exactly (bytes, case-sensitive, first of duplicates), the same
 * rule as cJSON_GetObjectItemCaseSensitive, which does the lookup. Results
 * are borrowed from the tree; nothing here outlives a call.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonptr.h"
#include "xmalloc.h"

int
jsonptr_validate(const char *ptr, struct error *err)
{
	size_t i;

	if (ptr == NULL)
		return error_set(err, 0, "JSON pointer is missing");
	if (ptr[0] != '\0' && ptr[0] != '/')
		return error_set(err, 0,
		                 "JSON pointer must be empty or "
		                 "start with \"/\"");
	for (i = 0; ptr[i] != '\0'; i++) {
		if (ptr[i] != '~')
			continue;
		if (ptr[i + 1] != '0' && ptr[i + 1] != '1')
			return error_set(
			    err, 0,
			    "JSON pointer has \"~\" not followed by 0 or 1 "
			    "at byte %zu",
			    i);
		i++;
	}
	return 0;
}

/* Unescapes the token tok[0..len) (~1 -> "/", ~0 -> "~") into out, which
 * has room for len + 1 bytes. The pointer was validated, so every "~" is
 * followed by 0 or 1. */
static void
unescape(const char *tok, size_t len, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (tok[i] == '~') {
			out[n++] = tok[i + 1] == '1' ? '/' : '~';
			i++;
		} else {
			out[n++] = tok[i];
		}
	}
	out[n] = '\0';
}

/* An array index token: "0", or decimal digits without a leading zero,
 * that fits an int (cJSON's index type). -1 otherwise, including "-". */
static int
array_index(const char *tok, size_t len)
{
	size_t i;
	int v = 0;

	if (len == 0 || (len > 1 && tok[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return -1;
		if (v > (INT_MAX - (tok[i] - '0')) / 10)
			return -1;
		v = v * 10 + (tok[i] - '0');
	}
	return v;
}

const struct cJSON *
jsonptr_get(const struct cJSON *root, const char *ptr)
{
	const cJSON *node = root;
	const char *p, *end;
	char *name = NULL;
	size_t len;
	int index;

	if (root == NULL || jsonptr_validate(ptr, NULL) < 0)
		return NULL;
	/* One buffer big enough for any token of this pointer. */
	name = xmalloc(strlen(ptr) + 1);
	p = ptr;
	while (*p == '/' && node != NULL) {
		p++;
		end = strchr(p, '/');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (cJSON_IsObject(node)) {
			unescape(p, len, name);
			node = cJSON_GetObjectItemCaseSensitive(node, name);
		} else if (cJSON_IsArray(node)) {
			index = array_index(p, len);
			node =
			    index < 0 ? NULL : cJSON_GetArrayItem(node, index);
		} else {
			node = NULL;
		}
		p += len;
	}
	free(name);
	return node;
}
