/*
 * test_jsonptr.c: RFC 6901 pointers, including the RFC's own examples,
 * escapes, array index rules, exact member matching and long pointers.
 */
#include <cjson/cJSON.h>

#include "check.h"
#include "jsonptr.h"
#include "xmalloc.h"

/* RFC 6901 §5, plus a few members of our own. */
static const char rfc_doc[] =
    "{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2,"
    " \"e^f\": 3, \"g|h\": 4, \"i\\\\j\": 5, \"k\\\"l\": 6, \" \": 7,"
    " \"m~n\": 8, \"~1\": 9, \"a~1b\": 10, \"Case\": 11, \"dup\": 12,"
    " \"dup\": 13, \"obj\": {\"\": {\"x\": 14}}, \"s\": \"str\","
    " \"n\": null, \"big\": [0,1,2,3,4,5,6,7,8,9,10,11]}";

static cJSON *
parse(const char *text)
{
	cJSON *root = cJSON_Parse(text);

	if (root == NULL) {
		fprintf(stderr, "test document does not parse\n");
		abort();
	}
	return root;
}

static void
test_rfc_examples(void)
{
	static const struct {
		const char *ptr;
		double want;
	} cases[] = {
		{ "/", 0 },        { "/a~1b", 1 },   { "/c%d", 2 },
		{ "/e^f", 3 },     { "/g|h", 4 },    { "/i\\j", 5 },
		{ "/k\"l", 6 },    { "/ ", 7 },      { "/m~0n", 8 },
		{ "/~01", 9 },     { "/a~01b", 10 }, { "/Case", 11 },
		{ "/dup", 12 }, /* the first of duplicate members wins */
		{ "/obj//x", 14 }, { "/big/0", 0 },  { "/big/10", 10 },
		{ "/big/11", 11 },
	};
	cJSON *root = parse(rfc_doc);
	const cJSON *v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = jsonptr_get(root, cases[i].ptr);
		if (v == NULL || !cJSON_IsNumber(v)) {
			fprintf(stderr, "pointer %s: no number\n",
			        cases[i].ptr);
			CHECK(0);
			continue;
		}
		CHECK_NEAR(v->valuedouble, cases[i].want, 0);
	}
	CHECK(jsonptr_get(root, "") == root);
	v = jsonptr_get(root, "/foo");
	CHECK(cJSON_IsArray(v));
	v = jsonptr_get(root, "/foo/0");
	CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "bar") == 0);
	v = jsonptr_get(root, "/foo/1");
	CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "baz") == 0);
	v = jsonptr_get(root, "/n");
	CHECK(cJSON_IsNull(v));
	v = jsonptr_get(root, "/obj/");
	CHECK(cJSON_IsObject(v));
	cJSON_Delete(root);
}

static void
test_no_value(void)
{
	static const char *const ptrs[] = {
		"/foo/2",                    /* past the end */
		"/foo/-",                    /* "-" never resolves */
		"/foo/01",                   /* leading zero */
		"/foo/00",                   /* leading zero */
		"/foo/+1",                   /* sign */
		"/foo/-1",                   /* negative */
		"/foo/ 1",                   /* space */
		"/foo/1 ",                   /* trailing space */
		"/foo/1e0",                  /* not decimal digits */
		"/foo/",                     /* empty index */
		"/big/99999999999999999999", /* overflows int */
		"/big/2147483648",           /* INT_MAX + 1 */
		"/foo/0/x",                  /* into a string */
		"/s/0",                      /* into a string */
		"/n/x",                      /* into null */
		"/case",                     /* case-sensitive */
		"/CASE",                     /* case-sensitive */
		"/a/b",                      /* "/" splits; the key is "a~1b" */
		"/m~n",                      /* invalid escape */
		"/m~2n",                     /* invalid escape */
		"/m~",                       /* "~" at the end */
		"/~",                        /* "~" alone */
		"foo",                       /* no leading "/" */
		"#/foo",     /* URI fragment form is not accepted */
		"/missing",  /* no such member */
		"//",        /* "" then "" */
		"/obj//x/y", /* past a number */
	};
	cJSON *root = parse(rfc_doc);
	size_t i;

	for (i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++) {
		if (jsonptr_get(root, ptrs[i]) != NULL) {
			fprintf(stderr, "pointer %s resolved\n", ptrs[i]);
			CHECK(0);
		}
	}
	CHECK(jsonptr_get(NULL, "") == NULL);
	CHECK(jsonptr_get(NULL, "/foo") == NULL);
	CHECK(jsonptr_get(root, NULL) == NULL);
	cJSON_Delete(root);
}

static void
test_validate(void)
{
	static const struct {
		const char *ptr;
		int want;
	} cases[] = {
		{ "", 0 },        { "/", 0 },
		{ "//", 0 },      { "/a~0b~1c", 0 },
		{ "/~0~1~0", 0 }, { "/measures/contacts", 0 },
		{ "/a b", 0 },    { "a", -1 },
		{ "#/a", -1 },    { " /a", -1 },
		{ "/~", -1 },     { "/~2", -1 },
		{ "/a~", -1 },    { "/~~0", -1 },
		{ "/~/", -1 },
	};
	struct error err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err.msg[0] = '\0';
		if (jsonptr_validate(cases[i].ptr, &err) != cases[i].want) {
			fprintf(stderr, "validate \"%s\" != %d\n", cases[i].ptr,
			        cases[i].want);
			CHECK(0);
		}
		if (cases[i].want < 0)
			CHECK(err.msg[0] != '\0');
	}
	CHECK(jsonptr_validate(NULL, &err) == -1);
	CHECK(jsonptr_validate("bad", NULL) == -1); /* err may be NULL */
	CHECK(jsonptr_validate("/~3", &err) == -1);
	CHECK(strstr(err.msg, "~") != NULL);
}

/* Deep documents resolve by a loop, and a pointer far longer than the
 * document costs no stack. */
static void
test_deep(void)
{
	enum { DEPTH = 900, LONG_PTR = 200000 };
	char *text = xmalloc(DEPTH * 6 + 16), *ptr, *p;
	const cJSON *v;
	cJSON *root;
	size_t i;

	p = text;
	for (i = 0; i < DEPTH; i++) {
		memcpy(p, "{\"a\":", 5);
		p += 5;
	}
	*p++ = '7';
	for (i = 0; i < DEPTH; i++)
		*p++ = '}';
	*p = '\0';
	root = parse(text);
	ptr = xmalloc(LONG_PTR * 2 + 1);
	for (i = 0; i < DEPTH; i++)
		memcpy(ptr + 2 * i, "/a", 2);
	ptr[2 * DEPTH] = '\0';
	v = jsonptr_get(root, ptr);
	CHECK(v != NULL && cJSON_IsNumber(v) && v->valuedouble == 7);
	/* One step further goes into a number. */
	memcpy(ptr + 2 * DEPTH, "/a", 3);
	CHECK(jsonptr_get(root, ptr) == NULL);
	for (i = 0; i < LONG_PTR; i++)
		memcpy(ptr + 2 * i, "/a", 2);
	ptr[2 * LONG_PTR] = '\0';
	CHECK(jsonptr_get(root, ptr) == NULL);
	CHECK(jsonptr_validate(ptr, NULL) == 0);
	free(ptr);
	free(text);
	cJSON_Delete(root);
}

/* A member whose name holds the bytes of an escape is found only by its
 * escaped form. */
static void
test_escape_order(void)
{
	cJSON *root = parse("{\"~1\": 1, \"/\": 2, \"~0\": 3, \"~\": 4}");
	const cJSON *v;

	v = jsonptr_get(root, "/~01"); /* "~1" */
	CHECK(v != NULL && v->valuedouble == 1);
	v = jsonptr_get(root, "/~1"); /* "/" */
	CHECK(v != NULL && v->valuedouble == 2);
	v = jsonptr_get(root, "/~00"); /* "~0" */
	CHECK(v != NULL && v->valuedouble == 3);
	v = jsonptr_get(root, "/~0"); /* "~" */
	CHECK(v != NULL && v->valuedouble == 4);
	cJSON_Delete(root);
}

int
main(void)
{
	RUN(test_rfc_examples);
	RUN(test_no_value);
	RUN(test_validate);
	RUN(test_deep);
	RUN(test_escape_order);
	return check_done();
}
