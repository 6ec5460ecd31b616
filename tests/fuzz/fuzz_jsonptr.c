/*
 * fuzz_jsonptr.c: JSON Pointer validation and resolution. The input is a
 * pointer, a newline, and a JSON document; both are bounded so that a run
 * stays fast. Checks that an invalid pointer never resolves, that "" is
 * the root, and that what resolves belongs to the tree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonptr.h"

#define MAX_PTR_BYTES 4096
#define MAX_DOC_BYTES 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether node is root or one of its descendants: a depth-first walk with
 * an explicit stack of parents, which cJSON's nesting limit bounds. */
static int
is_in_tree(const cJSON *root, const cJSON *node)
{
	const cJSON *stack[CJSON_NESTING_LIMIT + 2];
	const cJSON *cur = root;
	size_t depth = 0;

	for (;;) {
		if (cur == node)
			return 1;
		if (cur->child != NULL &&
		    depth < sizeof(stack) / sizeof(stack[0])) {
			stack[depth++] = cur;
			cur = cur->child;
			continue;
		}
		while (cur->next == NULL) {
			if (depth == 0)
				return 0;
			cur = stack[--depth];
		}
		if (depth == 0) /* the root's siblings are not its tree */
			return 0;
		cur = cur->next;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ptr_len = nl != NULL ? (size_t)(nl - data) : size;
	size_t doc_len = nl != NULL ? size - ptr_len - 1 : 0;
	const cJSON *got;
	cJSON *root;
	char *ptr;
	int valid;

	if (ptr_len > MAX_PTR_BYTES || doc_len > MAX_DOC_BYTES)
		return 0;
	ptr = malloc(ptr_len + 1);
	if (ptr == NULL)
		return 0;
	memcpy(ptr, data, ptr_len);
	ptr[ptr_len] = '\0'; /* an embedded NUL just ends it early */
	valid = jsonptr_validate(ptr, NULL) == 0;
	root = doc_len > 0
	           ? cJSON_ParseWithLength((const char *)nl + 1, doc_len)
	           : NULL;
	got = jsonptr_get(root, ptr);
	if (!valid && got != NULL)
		abort();
	if (root == NULL && got != NULL)
		abort();
	if (root != NULL && ptr[0] == '\0' && got != root)
		abort();
	if (got != NULL && !is_in_tree(root, got))
		abort();
	cJSON_Delete(root);
	free(ptr);
	return 0;
}
