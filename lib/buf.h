/*
 * buf.h: a growable byte buffer with a hard maximum (curl's dynbuf).
 *
 * Every buffer filled from the network has a limit; appending past it fails
 * and leaves the buffer as it was, so nothing is ever truncated silently.
 * The data is always NUL-terminated (the NUL is not counted in len).
 */
#ifndef KUNTAMON_BUF_H
#define KUNTAMON_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* most bytes it may hold */
};

/* Initialises an empty buffer that may grow to max bytes. */
void buf_init(struct buf *b, size_t max);
/* Frees the storage; the buffer is empty and reusable after. */
void buf_reset(struct buf *b);
/* Empties the buffer, keeping its storage. */
void buf_clear(struct buf *b);
/* Appends n bytes; -1 (and nothing appended) if that would pass max. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included: '"', '\\' and
 * control characters escaped, other bytes (UTF-8) as they are. -1 (and
 * nothing appended) if that would pass max. */
int buf_put_json_string(struct buf *b, const char *s);
/* Hands the storage to the caller (free() it); the buffer is emptied. */
char *buf_detach(struct buf *b, size_t *out_len);

#endif
