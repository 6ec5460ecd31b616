/*
 * fuzz_http_header.c: http_json_parse_validator on arbitrary header lines,
 * with what the collector relies on: a value kept is a verbatim, bounded
 * piece of the line, of visible ASCII and blanks only (it goes back out in
 * a request header and into the store), shaped like an entity-tag or an
 * IMF-fixdate, and it parses back to itself; a line that names no
 * validator yields no value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_value(enum http_json_validator kind, const char *v)
{
	size_t n = strlen(v), i;

	if (n > HTTP_JSON_VALIDATOR_MAX)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			abort();
	if (v[0] == ' ' || v[n - 1] == ' ')
		abort();
	if (kind == HTTP_JSON_ETAG) {
		if (strchr(v, ' ') != NULL || v[n - 1] != '"' || n < 2 ||
		    (v[0] != '"' && strncmp(v, "W/\"", 3) != 0))
			abort();
	} else if (n != 29 || strcmp(v + 25, " GMT") != 0) {
		abort();
	}
}

/* "Name: value\r\n" with the name cased as given parses to kind, v. */
static void
check_round_trip(const char *name, enum http_json_validator kind, const char *v)
{
	char line[HTTP_JSON_VALIDATOR_MAX + 32];
	char again[HTTP_JSON_VALIDATOR_MAX + 1];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "%s:\t%s \r\n", name, v);
	if (n >= sizeof(line) ||
	    http_json_parse_validator(line, n, again) != kind ||
	    strcmp(again, v) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[HTTP_JSON_VALIDATOR_MAX + 1];
	enum http_json_validator kind;
	char *line;

	/* an exact-size copy, so reading past the line is caught */
	line = malloc(size > 0 ? size : 1);
	if (line == NULL)
		abort();
	if (size > 0)
		memcpy(line, data, size);
	kind = http_json_parse_validator(line, size, out);
	if (memchr(out, '\0', sizeof(out)) == NULL)
		abort();
	switch (kind) {
	case HTTP_JSON_NOT_VALIDATOR:
		if (out[0] != '\0')
			abort();
		break;
	case HTTP_JSON_ETAG:
	case HTTP_JSON_LAST_MODIFIED:
		if (out[0] == '\0')
			break;
		check_value(kind, out);
		if (memmem(line, size, out, strlen(out)) == NULL)
			abort();
		check_round_trip(kind == HTTP_JSON_ETAG ? "etag"
		                                        : "LAST-MODIFIED",
		                 kind, out);
		break;
	default:
		abort();
	}
	free(line);
	return 0;
}
