/*
 * test_json.c - bounded JSON: what parses and what is refused (trailing
 * data, depth, size, non-JSON numbers, bad UTF-8), RFC 6901 pointers with
 * escapes and array indexes, integers only from get_int, building and
 * compact serialization, and error details that name the pointer but never
 * the value.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "err.h"
#include "json.h"
#include "secmem.h"

static struct wif_json *
parse(const char *s)
{
	struct wif_json *d = NULL;

	if (wif_json_parse(s, strlen(s), &d) != WIF_OK)
		return NULL;
	return d;
}

static int
parse_rc(const char *s, size_t len)
{
	struct wif_json *d = (struct wif_json *)1;
	int r = wif_json_parse(s, len, &d);

	if (r != WIF_OK && d != NULL)
		return 12345; /* outputs must be NULL on error */
	wif_json_free(d);
	return r;
}

#define REFUSED(lit) parse_rc((lit), sizeof(lit) - 1)

static void
test_parse_accepts(void)
{
	CU_ASSERT(REFUSED("{}") == WIF_OK);
	CU_ASSERT(REFUSED("[]") == WIF_OK);
	CU_ASSERT(REFUSED("{\"a\":[1,2,{\"b\":null}]}") == WIF_OK);
	/* Bare values end at the end of input. */
	CU_ASSERT(REFUSED("123") == WIF_OK);
	CU_ASSERT(REFUSED("-7") == WIF_OK);
	CU_ASSERT(REFUSED("true") == WIF_OK);
	CU_ASSERT(REFUSED("\"s\"") == WIF_OK);
	CU_ASSERT(REFUSED("2.5e3") == WIF_OK);
	/* Whitespace around is fine. */
	CU_ASSERT(REFUSED(" \n{\"a\":1}\r\n\t ") == WIF_OK);
	CU_ASSERT(REFUSED("42\n") == WIF_OK);
	CU_ASSERT(REFUSED("\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"") == WIF_OK);
}

static void
test_parse_refuses(void)
{
	CU_ASSERT(REFUSED("") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("   ") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("{} x") == WIF_E_PARSE);           /* trailing garbage */
	CU_ASSERT(REFUSED("{}{}") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("[1] [2]") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("123 4") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("{}\0") == WIF_E_PARSE);           /* a NUL after it */
	CU_ASSERT(REFUSED("\"a\0b\"") == WIF_E_PARSE);       /* a NUL inside */
	CU_ASSERT(REFUSED("{\"a\":") == WIF_E_PARSE);        /* truncated */
	CU_ASSERT(REFUSED("{\"a\":1") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("[1,2") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("\"abc") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("tru") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("[1,]") == WIF_E_PARSE);           /* not JSON */
	CU_ASSERT(REFUSED("{'a':1}") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("{a:1}") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("NaN") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("[-Infinity]") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("{\"n\":1e999}") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("\"\xff\"") == WIF_E_PARSE);       /* bad UTF-8 */
	CU_ASSERT(REFUSED("\"\xc3\"") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("\"\xed\xa0\x80\"") == WIF_E_PARSE); /* surrogate */
	CU_ASSERT(REFUSED("\"\xc0\xaf\"") == WIF_E_PARSE);     /* overlong */
	CU_ASSERT(REFUSED("\"\xf4\x90\x80\x80\"") == WIF_E_PARSE); /* > U+10FFFF */
	/* json-c represents null as no object: a bare null is refused. */
	CU_ASSERT(REFUSED("null") == WIF_E_PARSE);
	CU_ASSERT(REFUSED(" null ") == WIF_E_PARSE);
	CU_ASSERT(REFUSED("[\"it's\"]") == WIF_OK);          /* quote in a string */
	CU_ASSERT(REFUSED("[\"a\\\"'\"]") == WIF_OK);       /* after an escape */
	CU_ASSERT(parse_rc(NULL, 3) == WIF_E_INVALID_ARG);
}

static void
nest(char *buf, int depth, const char *open, const char *close)
{
	size_t o = strlen(open), c = strlen(close);
	int i;

	buf[0] = '\0';
	for (i = 0; i < depth; i++)
		memcpy(buf + i * o, open, o);
	for (i = 0; i < depth; i++)
		memcpy(buf + depth * o + (size_t)i * c, close, c);
	buf[depth * (o + c)] = '\0';
}

static void
test_depth_limit(void)
{
	char buf[4096];

	nest(buf, WIF_JSON_MAX_DEPTH, "[", "]");
	CU_ASSERT(parse_rc(buf, strlen(buf)) == WIF_OK);
	nest(buf, WIF_JSON_MAX_DEPTH + 1, "[", "]");
	CU_ASSERT(parse_rc(buf, strlen(buf)) == WIF_E_TOO_BIG);
	CU_ASSERT(strstr(wif_err_detail(), "32") != NULL);
	nest(buf, WIF_JSON_MAX_DEPTH - 1, "{\"a\":", "}");
	strcpy(buf + strlen(buf), "");
	CU_ASSERT(parse_rc(buf, strlen(buf)) == WIF_E_PARSE); /* {"a":} */
	/* Objects count like arrays: 32 levels parse, 33 do not. */
	{
		char o[4096];
		int i;
		size_t n = 0;

		for (i = 0; i < WIF_JSON_MAX_DEPTH - 1; i++)
			n += (size_t)snprintf(o + n, sizeof(o) - n, "{\"a\":");
		n += (size_t)snprintf(o + n, sizeof(o) - n, "[]");
		for (i = 0; i < WIF_JSON_MAX_DEPTH - 1; i++)
			o[n++] = '}';
		o[n] = '\0';
		CU_ASSERT(parse_rc(o, n) == WIF_OK);
		memmove(o + 5, o, n + 1);
		memcpy(o, "{\"a\":", 5);
		strcat(o, "}");
		CU_ASSERT(parse_rc(o, strlen(o)) == WIF_E_TOO_BIG);
	}
	/* Far deeper input is refused, not a stack overflow. */
	{
		char *deep = malloc(200001);

		CU_ASSERT_FATAL(deep != NULL);
		memset(deep, '[', 200000);
		deep[200000] = '\0';
		CU_ASSERT(parse_rc(deep, 200000) == WIF_E_TOO_BIG);
		free(deep);
	}
}

static void
test_size_limit(void)
{
	char *big = malloc(WIF_JSON_MAX_INPUT + 2);

	CU_ASSERT_FATAL(big != NULL);
	/* A string document of exactly the maximum size parses ... */
	memset(big, 'x', WIF_JSON_MAX_INPUT);
	big[0] = '"';
	big[WIF_JSON_MAX_INPUT - 1] = '"';
	CU_ASSERT(parse_rc(big, WIF_JSON_MAX_INPUT) == WIF_OK);
	/* ... one byte more (even whitespace) does not. */
	big[WIF_JSON_MAX_INPUT] = ' ';
	CU_ASSERT(parse_rc(big, WIF_JSON_MAX_INPUT + 1) == WIF_E_TOO_BIG);
	free(big);
}

static const char doc_text[] =
    "{\"access_token\":\"sk-ant-oat01-SECRET\",\"expires_in\":3600,"
    "\"a/b\":\"slash\",\"m~n\":\"tilde\",\"~1\":\"literal\",\"\":\"empty\","
    "\"arr\":[\"zero\",{\"x\":\"deep\"},[7]],\"f\":1.5,\"e\":1e3,"
    "\"s\":\"12\",\"t\":true,\"nil\":null,\"neg\":-42,"
    "\"max\":9223372036854775807,\"over\":9223372036854775808,"
    "\"under\":-9223372036854775809,\"huge\":123456789012345678901234567890,"
    "\"minp1\":-9223372036854775807}";

static void
test_pointers(void)
{
	struct wif_json *d = parse(doc_text);
	const char *s;

	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT(wif_json_get_string(d, "/access_token", &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "sk-ant-oat01-SECRET");
	CU_ASSERT(wif_json_get_string(d, "/a~1b", &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "slash");
	CU_ASSERT(wif_json_get_string(d, "/m~0n", &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "tilde");
	/* ~01 is "~1", not "/": ~1 is decoded before ~0. */
	CU_ASSERT(wif_json_get_string(d, "/~01", &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "literal");
	CU_ASSERT(wif_json_get_string(d, "/", &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "empty");
	CU_ASSERT(wif_json_get_string(d, "/arr/0", &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "zero");
	CU_ASSERT(wif_json_get_string(d, "/arr/1/x", &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "deep");

	s = "x";
	CU_ASSERT(wif_json_get_string(d, "/arr/3", &s) == WIF_E_NOT_FOUND);
	CU_ASSERT(s == NULL);
	CU_ASSERT(wif_json_get_string(d, "/arr/01", &s) == WIF_E_NOT_FOUND);
	CU_ASSERT(wif_json_get_string(d, "/arr/-", &s) == WIF_E_NOT_FOUND);
	CU_ASSERT(wif_json_get_string(d, "/arr/x", &s) == WIF_E_NOT_FOUND);
	CU_ASSERT(wif_json_get_string(d, "/arr/-1", &s) == WIF_E_NOT_FOUND);
	CU_ASSERT(wif_json_get_string(d, "/missing", &s) == WIF_E_NOT_FOUND);
	CU_ASSERT(strstr(wif_err_detail(), "/missing") != NULL);
	CU_ASSERT(wif_json_get_string(d, "/a/b", &s) == WIF_E_NOT_FOUND);
	CU_ASSERT(wif_json_get_string(d, "/access_token/x", &s) == WIF_E_NOT_FOUND);
	CU_ASSERT(wif_json_get_string(d, "/nil", &s) == WIF_E_NOT_FOUND);
	/* Wrong type: PARSE, naming the pointer, never the value. */
	CU_ASSERT(wif_json_get_string(d, "/expires_in", &s) == WIF_E_PARSE);
	CU_ASSERT(strstr(wif_err_detail(), "/expires_in") != NULL);
	CU_ASSERT(wif_json_get_string(d, "/arr", &s) == WIF_E_PARSE);
	CU_ASSERT(wif_json_get_string(d, "", &s) == WIF_E_PARSE); /* the root */
	CU_ASSERT(wif_json_get_string(d, "access_token", &s) == WIF_E_INVALID_ARG);
	CU_ASSERT(wif_json_get_string(NULL, "/a", &s) == WIF_E_INVALID_ARG);
	CU_ASSERT(wif_json_get_string(d, NULL, &s) == WIF_E_INVALID_ARG);
	wif_json_free(d);

	d = parse("\"just a string\"");
	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT(wif_json_get_string(d, "", &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "just a string");
	wif_json_free(d);
}

static void
test_get_int(void)
{
	struct wif_json *d = parse(doc_text);
	int64_t v;

	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT(wif_json_get_int(d, "/expires_in", &v) == WIF_OK && v == 3600);
	CU_ASSERT(wif_json_get_int(d, "/neg", &v) == WIF_OK && v == -42);
	CU_ASSERT(wif_json_get_int(d, "/arr/2/0", &v) == WIF_OK && v == 7);
	CU_ASSERT(wif_json_get_int(d, "/max", &v) == WIF_OK && v == INT64_MAX);
	CU_ASSERT(wif_json_get_int(d, "/minp1", &v) == WIF_OK && v == -INT64_MAX);
	/* Integers only. */
	CU_ASSERT(wif_json_get_int(d, "/f", &v) == WIF_E_PARSE);
	CU_ASSERT(wif_json_get_int(d, "/e", &v) == WIF_E_PARSE);
	CU_ASSERT(wif_json_get_int(d, "/s", &v) == WIF_E_PARSE);
	CU_ASSERT(wif_json_get_int(d, "/t", &v) == WIF_E_PARSE);
	CU_ASSERT(wif_json_get_int(d, "/arr", &v) == WIF_E_PARSE);
	CU_ASSERT(wif_json_get_int(d, "/nil", &v) == WIF_E_NOT_FOUND);
	CU_ASSERT(wif_json_get_int(d, "/nope", &v) == WIF_E_NOT_FOUND);
	/* json-c saturates what int64 cannot hold; we refuse it. */
	CU_ASSERT(wif_json_get_int(d, "/over", &v) == WIF_E_PARSE);
	CU_ASSERT(strstr(wif_err_detail(), "/over") != NULL);
	CU_ASSERT(wif_json_get_int(d, "/under", &v) == WIF_E_PARSE);
	CU_ASSERT(wif_json_get_int(d, "/huge", &v) == WIF_E_PARSE);
	/* The secret never reaches the detail. */
	CU_ASSERT(wif_json_get_int(d, "/access_token", &v) == WIF_E_PARSE);
	CU_ASSERT(strstr(wif_err_detail(), "/access_token") != NULL);
	CU_ASSERT(strstr(wif_err_detail(), "SECRET") == NULL);
	wif_json_free(d);
}

static void
test_parse_error_hides_content(void)
{
	static const char bad[] = "{\"access_token\":\"sk-ant-oat01-SECRET\" garbage";

	CU_ASSERT(parse_rc(bad, strlen(bad)) == WIF_E_PARSE);
	CU_ASSERT(wif_err_detail()[0] != '\0');
	CU_ASSERT(strstr(wif_err_detail(), "SECRET") == NULL);
	CU_ASSERT(strstr(wif_err_detail(), "garbage") == NULL);
	CU_ASSERT(parse_rc("{} sk-ant-SECRET", 16) == WIF_E_PARSE);
	CU_ASSERT(strstr(wif_err_detail(), "SECRET") == NULL);
}

static void
test_build_serialize(void)
{
	struct wif_json *d = wif_json_new_object(), *back;
	const char *s;
	char *text = NULL;
	int64_t v;

	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT(wif_json_set_string(d, "grant_type",
	    "urn:ietf:params:oauth:grant-type:jwt-bearer") == WIF_OK);
	CU_ASSERT(wif_json_set_string(d, "q", "a\"b\\c/d\n\x01 caf\xc3\xa9") == WIF_OK);
	CU_ASSERT(wif_json_set_int(d, "min", INT64_MIN) == WIF_OK);
	CU_ASSERT(wif_json_set_int(d, "n", 1) == WIF_OK);
	CU_ASSERT(wif_json_set_int(d, "n", 2) == WIF_OK);   /* replaces */
	CU_ASSERT(wif_json_serialize(d, &text) == WIF_OK);
	CU_ASSERT_FATAL(text != NULL);
	/* Compact, insertion order, '/' not escaped. */
	CU_ASSERT_STRING_EQUAL(text,
	    "{\"grant_type\":\"urn:ietf:params:oauth:grant-type:jwt-bearer\","
	    "\"q\":\"a\\\"b\\\\c/d\\n\\u0001 caf\xc3\xa9\","
	    "\"min\":-9223372036854775808,\"n\":2}");
	/* And it parses back to the same values. */
	CU_ASSERT_FATAL(wif_json_parse(text, strlen(text), &back) == WIF_OK);
	CU_ASSERT(wif_json_get_string(back, "/q", &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "a\"b\\c/d\n\x01 caf\xc3\xa9");
	CU_ASSERT(wif_json_get_int(back, "/n", &v) == WIF_OK && v == 2);
	wif_json_free(back);
	wif_secmem_free(text);

	/* Serializing twice gives the same text (json-c's copy is wiped,
	 * not the document). */
	CU_ASSERT(wif_json_serialize(d, &text) == WIF_OK);
	CU_ASSERT(text != NULL && strstr(text, "\"n\":2}") != NULL);
	wif_secmem_free(text);
	CU_ASSERT(wif_json_get_string(d, "/grant_type", &s) == WIF_OK);

	CU_ASSERT(wif_json_object(d) != NULL);
	CU_ASSERT(json_object_is_type(wif_json_object(d), json_type_object));
	CU_ASSERT(wif_json_object(NULL) == NULL);
	wif_json_free(d);

	d = wif_json_new_object();
	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT(wif_json_serialize(d, &text) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(text, "{}");
	wif_secmem_free(text);
	wif_json_free(d);
}

static void
test_build_refuses(void)
{
	struct wif_json *d = wif_json_new_object(), *arr = parse("[1]");
	char *text = (char *)1;
	char key[1100];

	CU_ASSERT_FATAL(d != NULL && arr != NULL);
	CU_ASSERT(wif_json_set_string(arr, "a", "b") == WIF_E_INVALID_ARG);
	CU_ASSERT(wif_json_set_int(arr, "a", 1) == WIF_E_INVALID_ARG);
	CU_ASSERT(wif_json_set_string(NULL, "a", "b") == WIF_E_INVALID_ARG);
	CU_ASSERT(wif_json_set_string(d, NULL, "b") == WIF_E_INVALID_ARG);
	CU_ASSERT(wif_json_set_string(d, "a", NULL) == WIF_E_INVALID_ARG);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	CU_ASSERT(wif_json_set_int(d, key, 1) == WIF_E_INVALID_ARG);
	CU_ASSERT(wif_json_serialize(NULL, &text) == WIF_E_INVALID_ARG);
	CU_ASSERT(text == NULL);
	/* A pointer longer than any key we look up is refused. */
	key[0] = '/';
	CU_ASSERT(wif_json_get_int(d, key, &(int64_t){0}) == WIF_E_INVALID_ARG);
	wif_json_free(d);
	wif_json_free(arr);
	wif_json_free(NULL);
}

/* "\u0000" is valid JSON but cannot live in a C string: a token read
 * through it would be cut short, so the string is refused. */
static void
test_nul_in_string_refused(void)
{
	static const char t[] = "{\"value\":\"eyJh\\u0000.tail\",\"ok\":\"a\\u0001b\"}";
	struct wif_json *d = parse(t);
	const char *s = "x";

	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT_EQUAL(wif_json_get_string(d, "/value", &s), WIF_E_PARSE);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "/value"));
	CU_ASSERT_EQUAL(wif_json_get_string(d, "/ok", &s), WIF_OK);
	CU_ASSERT_EQUAL(strlen(s), 3);
	wif_json_free(d);
}

static const struct cu_test tests[] = {
	{ "parse: objects, arrays, bare values, whitespace", test_parse_accepts },
	{ "parse: trailing data, truncation, non-JSON, bad UTF-8", test_parse_refuses },
	{ "parse: depth limit 32 -> WIF_E_TOO_BIG", test_depth_limit },
	{ "parse: 1 MiB input limit", test_size_limit },
	{ "pointers: RFC 6901 escapes, indexes, absent, wrong type", test_pointers },
	{ "get_int: integers only, range checked", test_get_int },
	{ "a string holding \\u0000 is refused", test_nul_in_string_refused },
	{ "parse errors never quote the document", test_parse_error_hides_content },
	{ "build and serialize compactly, round trip", test_build_serialize },
	{ "build: bad arguments refused", test_build_refuses },
	{ NULL, NULL }
};

WIF_CU_MAIN("json", tests, NULL, NULL)
