/*
 * fuzz_signin.c: the sign-in body parser (api_session.c) on arbitrary
 * bytes, as JSON and as a form; the first byte picks the Content-Type.
 * Checks on every input: an answer is 0, 400 or 415; a token text given
 * back is a terminated string that fits; a refusal says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"
#include "token.h"

#define MAX_INPUT_BYTES 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
		"application/json",
		"application/x-www-form-urlencoded",
		"application/json; charset=utf-8",
		"text/plain",
	};
	char out[TOKEN_TEXT_SIZE + 16];
	struct error err;
	const char *type;
	char *body;
	int rc;

	if (size < 1 || size > MAX_INPUT_BYTES)
		return 0;
	type = types[data[0] % 4];
	body = malloc(size); /* exact: size - 1 bytes and a NUL */
	if (body == NULL)
		return 0;
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	memset(&err, 0, sizeof(err));
	memset(out, 'x', sizeof(out));
	rc = api_session_parse_signin(type, body, size - 1, out, sizeof(out),
	                              &err);
	if (rc == 0) {
		if (memchr(out, '\0', sizeof(out)) == NULL)
			abort();
	} else if ((rc != 400 && rc != 415) || err.msg[0] == '\0') {
		abort();
	}
	free(body);
	return 0;
}
