/*
 * fuzz_if_none_match.c: server_etag_match on arbitrary If-None-Match
 * values (a client's bytes), with what the 304 logic relies on: no read
 * past the value; W/ on our own tag changes nothing (weak comparison); a
 * value that starts with our tag always matches, whatever follows; and a
 * value that holds neither our tag nor "*" never does, so no client gets
 * a 304 for an answer it does not have.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TAG "\"7-00c0ffee\""

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *list, *prefixed;
	bool is_match;

	/* an exact-size copy (the header is a C string), so reading past
	 * it is caught */
	list = malloc(size + 1);
	prefixed = malloc(size + sizeof(TAG ", "));
	if (list == NULL || prefixed == NULL)
		abort();
	memcpy(list, data, size);
	list[size] = '\0';
	memcpy(prefixed, TAG ", ", sizeof(TAG ", ") - 1);
	memcpy(prefixed + sizeof(TAG ", ") - 1, list, size + 1);

	is_match = server_etag_match(list, TAG);
	if (server_etag_match(list, "W/" TAG) != is_match)
		abort();
	if (is_match && strstr(list, TAG) == NULL && strchr(list, '*') == NULL)
		abort();
	if (!server_etag_match(prefixed, TAG))
		abort();
	free(prefixed);
	free(list);
	return 0;
}
