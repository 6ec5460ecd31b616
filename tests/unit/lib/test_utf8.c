/*
 * test_utf8.c: strict UTF-8: every length of character, and each way a
 * sequence is invalid (RFC 3629 §3-4: stray or missing continuation
 * bytes, overlong forms, surrogates, code points past U+10FFFF).
 */
#include <string.h>

#include "check.h"
#include "utf8.h"

static long
count(const char *s)
{
	return utf8_count(s, strlen(s));
}

static void
test_valid(void)
{
	CHECK(count("") == 0);
	CHECK(count("abc") == 3);
	CHECK(count("ääkköset") == 8);         /* 2 bytes */
	CHECK(count("\xe2\x82\xac") == 1);     /* U+20AC, 3 bytes */
	CHECK(count("\xf0\x9f\x98\x80") == 1); /* U+1F600, 4 bytes */
	CHECK(count("\xf4\x8f\xbf\xbf") == 1); /* U+10FFFF, the last */
	CHECK(count("\xed\x9f\xbf") == 1);     /* U+D7FF, before them */
	CHECK(utf8_count("a\0b", 3) == 3);     /* NUL is a character */
}

static void
test_invalid(void)
{
	CHECK(count("\x80") == -1);             /* a stray continuation */
	CHECK(count("\xc3") == -1);             /* cut short */
	CHECK(count("a\xe2\x82") == -1);        /* cut short */
	CHECK(count("\xc3(") == -1);            /* no continuation */
	CHECK(count("\xc0\xaf") == -1);         /* overlong '/' */
	CHECK(count("\xe0\x80\xaf") == -1);     /* overlong, 3 bytes */
	CHECK(count("\xf0\x80\x80\xaf") == -1); /* overlong, 4 bytes */
	CHECK(count("\xed\xa0\x80") == -1);     /* U+D800, a surrogate */
	CHECK(count("\xf4\x90\x80\x80") == -1); /* U+110000 */
	CHECK(count("\xf5\x80\x80\x80") == -1); /* no such lead byte */
	CHECK(count("\xff") == -1);
	/* the length given is the end, whatever follows */
	CHECK(utf8_count("\xc3\xa4", 1) == -1);
}

int
main(void)
{
	RUN(test_valid);
	RUN(test_invalid);
	return check_done();
}
