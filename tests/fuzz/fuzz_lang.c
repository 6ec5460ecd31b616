/*
 * fuzz_lang.c: lang_negotiate on arbitrary Accept-Language headers (and
 * lang= values), with the invariants handlers rely on: it answers one of
 * the three languages or fails saying why; a failure only ever comes from
 * the lang= parameter, never from the header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct error err;
	enum lang lang;
	int rc;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	/* as the Accept-Language header */
	memset(&err, 0, sizeof(err));
	rc = lang_negotiate(NULL, text, &lang, &err);
	if (rc != 0 || (int)lang < 0 || lang >= N_LANGS)
		abort();
	/* as the lang= parameter */
	memset(&err, 0, sizeof(err));
	rc = lang_negotiate(text, NULL, &lang, &err);
	if (rc == 0 ? ((int)lang < 0 || lang >= N_LANGS) : err.msg[0] == '\0')
		abort();
	free(text);
	return 0;
}
