/*
 * fuzz_csrf.c: the X-CSRF-Token parser (session.c) on arbitrary bytes.
 * Checks on every input: an accepted header holds exactly the canonical
 * text of the bytes it gave (so two values never match one session), and
 * that text parses back to them; a refusal says why; a header past the
 * limit is refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define MAX_INPUT_BYTES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char csrf[SESSION_CSRF_BYTES], again[SESSION_CSRF_BYTES];
	char text[SESSION_TEXT_SIZE];
	struct error err;
	char *s;

	if (size > MAX_INPUT_BYTES)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(&err, 0, sizeof(err));
	if (session_csrf_parse(s, csrf, &err) == 0) {
		session_format(csrf, text);
		if (strstr(s, text) == NULL ||
		    strlen(s) > SESSION_CSRF_HEADER_MAX ||
		    strspn(s, " \t") + SESSION_TEXT_LEN +
		            strspn(s + strspn(s, " \t") + SESSION_TEXT_LEN,
		                   " \t") !=
		        strlen(s))
			abort();
		if (session_csrf_parse(text, again, &err) != 0 ||
		    memcmp(again, csrf, sizeof(csrf)) != 0)
			abort();
	} else if (err.msg[0] == '\0') {
		abort();
	}
	free(s);
	return 0;
}
