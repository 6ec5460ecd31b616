/*
 * buf.c: bounded growable buffer. Invariant: data is NULL or holds len bytes
 * plus a NUL, len < cap, len <= max.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_reset(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void
buf_clear(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
reserve(struct buf *b, size_t n)
{
	size_t need, cap;

	if (n > b->max - b->len)
		return -1;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_put_json_string(struct buf *b, const char *s)
{
	size_t len0 = b->len;
	const char *run = s;
	int rc = buf_append(b, "\"", 1);

	for (; rc == 0 && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		/* the bytes before this one need no escape */
		rc = buf_append(b, run, (size_t)(s - run));
		if (rc == 0)
			rc = c < 0x20 ? buf_printf(b, "\\u%04x", c)
			              : buf_printf(b, "\\%c", c);
		run = s + 1;
	}
	if (rc == 0)
		rc = buf_append(b, run, (size_t)(s - run));
	if (rc == 0)
		rc = buf_append(b, "\"", 1);
	if (rc < 0 && b->data != NULL) {
		b->len = len0;
		b->data[len0] = '\0';
	}
	return rc;
}

char *
buf_detach(struct buf *b, size_t *out_len)
{
	char *p = b->data;

	if (p == NULL)
		p = xstrdup("");
	if (out_len != NULL)
		*out_len = b->len;
	buf_init(b, b->max);
	return p;
}
