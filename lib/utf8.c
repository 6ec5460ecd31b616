/*
 * utf8.c: strict UTF-8 decoding (utf8.h).
 */
#include "utf8.h"

/* The length in bytes of the valid UTF-8 character at s (n > 0 bytes),
 * 0 if there is none. */
static size_t
utf8_length(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

long
utf8_count(const char *s, size_t n)
{
	size_t i = 0, k;
	long chars = 0;

	while (i < n) {
		k = utf8_length((const unsigned char *)s + i, n - i);
		if (k == 0)
			return -1;
		i += k;
		chars++;
	}
	return chars;
}
