/*
 * fuzz_csv.c: csv_parse over arbitrary bytes. The callback checks what the
 * reader promises (bounded, NUL-terminated fields, increasing lines) and
 * touches every byte, so a field running past its end shows under ASan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct count {
	size_t n_records;
	size_t n_bytes;
	int last_line;
};

static int
count_row(void *ctx, int line, char **fields, size_t n, struct error *err)
{
	struct count *c = ctx;
	size_t i;

	if (n == 0 || n > CSV_MAX_FIELDS || line <= c->last_line)
		abort();
	for (i = 0; i < n; i++) {
		size_t len = strlen(fields[i]);

		if (len > CSV_MAX_FIELD)
			abort();
		c->n_bytes += len;
	}
	c->last_line = line;
	c->n_records++;
	/* Stop now and then, as a callback that refuses a row would. */
	if (n == 3 && fields[2][0] == '!')
		return error_set(err, line, "stop");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct count c;
	struct error err;

	memset(&c, 0, sizeof(c));
	memset(&err, 0, sizeof(err));
	if (csv_parse((const char *)data, size, count_row, &c, &err) < 0 &&
	    (err.msg[0] == '\0' || err.line < 1))
		abort(); /* every error names a line and says what */
	if (c.n_bytes > size)
		abort();
	return 0;
}
