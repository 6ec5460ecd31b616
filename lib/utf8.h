/*
 * utf8.h: strict UTF-8 (RFC 3629) for text that comes from outside:
 * overlong forms, surrogates and code points past U+10FFFF are invalid.
 * Pure; thread-safe.
 */
#ifndef KUNTAMON_UTF8_H
#define KUNTAMON_UTF8_H

#include <stddef.h>

/* The number of characters of s (n bytes), or -1 if it is not valid
 * UTF-8. */
long utf8_count(const char *s, size_t n);

#endif
