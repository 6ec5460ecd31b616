/*
 * fuzz_cookie.c: the Cookie header parser (session.c) on arbitrary bytes.
 * Checks on every input: a session found is named in the header by its
 * canonical text, which parses back to the same secret; a refusal says
 * why, without echoing the header; a header past the limit is refused
 * whatever it holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define MAX_INPUT_BYTES (SESSION_COOKIE_HEADER_MAX + 64)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char secret[SESSION_SECRET_BYTES], again[SESSION_SECRET_BYTES];
	char text[SESSION_TEXT_SIZE], header[SESSION_TEXT_SIZE + 32];
	struct error err;
	char *s;
	int rc;

	if (size > MAX_INPUT_BYTES)
		return 0;
	s = malloc(size + 1); /* exact size: a read past the NUL is caught */
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(&err, 0, sizeof(err));
	rc = session_cookie_parse(s, secret, &err);
	if (rc < -1 || rc > 1)
		abort();
	if (strlen(s) > SESSION_COOKIE_HEADER_MAX && rc != -1)
		abort();
	if (rc == 1) {
		session_format(secret, text);
		if (strstr(s, text) == NULL)
			abort();
		memcpy(header, SESSION_COOKIE_NAME "=", 17);
		memcpy(header + 17, text, sizeof(text));
		if (session_cookie_parse(header, again, &err) != 1 ||
		    memcmp(again, secret, sizeof(secret)) != 0)
			abort();
	} else if (rc < 0 && (err.msg[0] == '\0' || strlen(err.msg) > 80)) {
		abort(); /* no reason, or one that could echo the header */
	}
	free(s);
	return 0;
}
