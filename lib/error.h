/*
 * error.h: how pure parsers report what is wrong.
 *
 * A parser fills a caller-owned struct error and returns -1; it never logs.
 * The loader that knows the file name sets `file`, so config and catalog
 * errors print as FILE:LINE: msg. line 0 means "no particular line".
 */
#ifndef KUNTAMON_ERROR_H
#define KUNTAMON_ERROR_H

struct error {
	char file[256];
	int line;
	char msg[256];
};

/* Sets err->line and err->msg (printf-style; truncated to fit). Keeps
 * err->file. err may be NULL. Always returns -1, for `return error_set()`. */
int error_set(struct error *err, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "FILE:LINE: msg" (or the parts that are known) into out. */
void error_format(const struct error *err, char *out, unsigned long out_size);

#endif
