/*
 * error.c: filling and printing struct error. Owns nothing.
 */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

int
error_set(struct error *err, int line, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
error_format(const struct error *err, char *out, unsigned long out_size)
{
	if (err->file[0] != '\0' && err->line > 0)
		snprintf(out, out_size, "%s:%d: %s", err->file, err->line,
		         err->msg);
	else if (err->file[0] != '\0')
		snprintf(out, out_size, "%s: %s", err->file, err->msg);
	else
		snprintf(out, out_size, "%s", err->msg);
}
