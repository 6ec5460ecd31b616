/*
 * fuzz_authorization.c: the Authorization header parser and the token
 * text parser on arbitrary bytes. Checks on every input: an accepted
 * header holds exactly the canonical text of the secret it gave (so two
 * texts never name one token), and a token text parses back to itself;
 * the client-address key (auth.c) is always a terminated string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "token.h"

#define MAX_INPUT_BYTES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char secret[TOKEN_SECRET_BYTES], again[TOKEN_SECRET_BYTES];
	char text[TOKEN_TEXT_SIZE], key[64];
	struct error err;
	char *s;

	if (size > MAX_INPUT_BYTES)
		return 0;
	s = malloc(size + 1); /* exact size: a read past the NUL is caught */
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(&err, 0, sizeof(err));
	if (token_parse_authorization(s, secret, &err) == 0) {
		token_format(secret, text);
		if (strstr(s, text) == NULL || strlen(s) > TOKEN_HEADER_MAX)
			abort();
	} else if (err.msg[0] == '\0') {
		abort(); /* refused without a reason */
	}

	/* The raw bytes as a token text, NULs and all. */
	if (token_parse(s, size, secret, &err) == 0) {
		token_format(secret, text);
		if (size != TOKEN_TEXT_LEN || memcmp(text, s, size) != 0)
			abort();
		if (token_parse(text, strlen(text), again, &err) != 0 ||
		    memcmp(again, secret, sizeof(secret)) != 0)
			abort();
	}

	auth_client_key(s, key, sizeof(key));
	if (memchr(key, '\0', sizeof(key)) == NULL)
		abort();
	free(s);
	return 0;
}
