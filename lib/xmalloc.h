/*
 * xmalloc.h: allocation that aborts with a message on exhaustion.
 * kuntamon is a daemon, not a library: the effort goes into bounding
 * input, and out-of-memory is fatal.
 */
#ifndef KUNTAMON_XMALLOC_H
#define KUNTAMON_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Also checks n * size for overflow. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* p, from a library whose functions return NULL only when their malloc
 * fails (cJSON's constructors): aborts as the others do if it is NULL. */
void *xmust(void *p);

#endif
