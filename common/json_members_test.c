/*
 * common/json_members_test.c — json_members_split: the members and their
 * spans, and every case it must refuse (invalid JSON, and valid JSON it
 * leaves to jansson).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/json_members.h"

#define MAX 16

static int
split(const char *text, struct json_member *m)
{
	return json_members_split(text, strlen(text), m, MAX);
}

static void
assert_member(const struct json_member *m, const char *key, const char *value,
              enum json_member_kind kind)
{
	assert_int_equal(m->key_len, strlen(key));
	assert_memory_equal(m->key, key, m->key_len);
	assert_int_equal(m->value_len, strlen(value));
	assert_memory_equal(m->value, value, m->value_len);
	assert_int_equal(m->kind, kind);
}

static void
test_members_and_spans(void **state)
{
	struct json_member m[MAX];

	(void)state;
	assert_int_equal(split("{\"name\":\"Jane \\\"J\\\" Doe\",\"n\":-12,\"ok\":true,"
	                       "\"no\":false,\"x\":null,\"address\":{\"a\":[1,{\"b\":\"c\"}]},"
	                       "\"list\":[],\"e\":{}}",
	                       m),
	                 8);
	assert_member(&m[0], "name", "\"Jane \\\"J\\\" Doe\"", JSON_MEMBER_STRING);
	assert_member(&m[1], "n", "-12", JSON_MEMBER_INTEGER);
	assert_member(&m[2], "ok", "true", JSON_MEMBER_TRUE);
	assert_member(&m[3], "no", "false", JSON_MEMBER_FALSE);
	assert_member(&m[4], "x", "null", JSON_MEMBER_NULL);
	assert_member(&m[5], "address", "{\"a\":[1,{\"b\":\"c\"}]}", JSON_MEMBER_OBJECT);
	assert_member(&m[6], "list", "[]", JSON_MEMBER_ARRAY);
	assert_member(&m[7], "e", "{}", JSON_MEMBER_OBJECT);
}

static void
test_whitespace_and_empty(void **state)
{
	struct json_member m[MAX];

	(void)state;
	assert_int_equal(split("{}", m), 0);
	assert_int_equal(split(" \t\r\n{ } \n", m), 0);
	assert_int_equal(split("{ \"a\" : 1 , \"b\"\n:\t[ 1 , 2 ] }", m), 2);
	assert_member(&m[0], "a", "1", JSON_MEMBER_INTEGER);
	assert_member(&m[1], "b", "[ 1 , 2 ]", JSON_MEMBER_ARRAY);
}

static void
test_utf8_and_escapes_in_values(void **state)
{
	struct json_member m[MAX];

	(void)state;
	/* é (2 bytes), € (3), 😀 (4); escapes of every kind but NUL and surrogates */
	assert_int_equal(split("{\"n\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
	                       "\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\"}",
	                       m),
	                 2);
	assert_int_equal(m[0].value_len, strlen("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""));
	/* keys may hold UTF-8 */
	assert_int_equal(split("{\"\xc3\xa9\":1}", m), 1);
	assert_int_equal(m[0].key_len, 2);
}

static void
test_invalid_json_is_refused(void **state)
{
	static const char *const bad[] = {
	        "",
	        "   ",
	        "[]",
	        "\"a\"",
	        "1",
	        "{",
	        "}",
	        "{\"a\"}",
	        "{\"a\":}",
	        "{\"a\":1,}",
	        "{,\"a\":1}",
	        "{\"a\":1 \"b\":2}",
	        "{\"a\":1}}",
	        "{\"a\":1} x",
	        "{\"a\":[1,]}",
	        "{\"a\":[1 2]}",
	        "{\"a\":{\"b\"}}",
	        "{\"a\":{1:2}}",
	        "{a:1}",
	        "{'a':1}",
	        "{\"a\":tru}",
	        "{\"a\":truex}",
	        "{\"a\":True}",
	        "{\"a\":nul}",
	        "{\"a\":+1}",
	        "{\"a\":-}",
	        "{\"a\":01}",
	        "{\"a\":\"x}",
	        "{\"a\":\"\\x\"}",
	        "{\"a\":\"\\u12\"}",
	        "{\"a\":\"\\u12g4\"}",
	        "{\"a\":\"tab\there\"}",
	        "{\"a\":\"nl\nhere\"}",
	        "{\"a\":\"\x80\"}",             /* continuation byte first */
	        "{\"a\":\"\xc0\xaf\"}",         /* overlong '/' */
	        "{\"a\":\"\xe0\x80\xaf\"}",     /* overlong, 3 bytes */
	        "{\"a\":\"\xed\xa0\x80\"}",     /* UTF-8 surrogate */
	        "{\"a\":\"\xf4\x90\x80\x80\"}", /* beyond U+10FFFF */
	        "{\"a\":\"\xf5\x80\x80\x80\"}",
	        "{\"a\":\"\xc3\"}", /* cut short */
	        "{\"a\":\"\xe2\x82\"}",
	        "{\"a\":\xc3\xa9}", /* UTF-8 outside a string */
	        "\xef\xbb\xbf{}",   /* a BOM */
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct json_member m[MAX];

		if (split(bad[i], m) != -1)
			fail_msg("taken: %s", bad[i]);
	}
}

/* {"a":[[...]]} with arrays arrays nested in the object. */
static const char *
nested(char *out, size_t arrays)
{
	size_t n = 0, i;

	memcpy(out, "{\"a\":", 5);
	n = 5;
	for (i = 0; i < arrays; i++)
		out[n++] = '[';
	for (i = 0; i < arrays; i++)
		out[n++] = ']';
	out[n++] = '}';
	out[n] = '\0';
	return out;
}

/* Valid JSON that is left to jansson. */
static void
test_valid_but_not_taken(void **state)
{
	static const char *const left[] = {
	        "{\"a\\u0062\":1}",  /* key with an escape */
	        "{\"a\":1,\"a\":2}", /* duplicate key */
	        "{\"a\":1.5}",       /* real */
	        "{\"a\":1e3}",       /* real */
	        "{\"a\":-0.0}",
	        "{\"a\":1234567890123456}",   /* 16 digits */
	        "{\"a\":\"\\u0000\"}",        /* NUL */
	        "{\"a\":\"\\ud83d\\ude00\"}", /* a (valid) surrogate pair */
	};
	struct json_member m[MAX];
	char deep[2 * JSON_MEMBERS_MAX_DEPTH + 16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof left / sizeof left[0]; i++)
		if (split(left[i], m) != -1)
			fail_msg("taken: %s", left[i]);
	/* 15 digits still are */
	assert_int_equal(split("{\"a\":-123456789012345}", m), 1);
	/* nesting: JSON_MEMBERS_MAX_DEPTH levels in all (the object included) are taken */
	assert_int_equal(split(nested(deep, JSON_MEMBERS_MAX_DEPTH - 1), m), 1);
	assert_int_equal(split(nested(deep, JSON_MEMBERS_MAX_DEPTH), m), -1);
}

static void
test_more_members_than_room(void **state)
{
	struct json_member m[2];
	const char *text = "{\"a\":1,\"b\":2,\"c\":3}";

	(void)state;
	assert_int_equal(json_members_split(text, strlen(text), m, 3 - 1), -1);
	assert_int_equal(json_members_split(text, 11, m, 2), -1); /* cut: not JSON */
}

/* The length given is the end: a NUL inside it is not the end of the text. */
static void
test_length_bounds_the_text(void **state)
{
	struct json_member m[MAX];
	static const char with_nul[] = "{\"a\":\"x\0y\"}";

	(void)state;
	assert_int_equal(json_members_split(with_nul, sizeof with_nul - 1, m, MAX), -1);
	assert_int_equal(json_members_split("{\"a\":1}garbage", 7, m, MAX), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_members_and_spans),
	        cmocka_unit_test(test_whitespace_and_empty),
	        cmocka_unit_test(test_utf8_and_escapes_in_values),
	        cmocka_unit_test(test_invalid_json_is_refused),
	        cmocka_unit_test(test_valid_but_not_taken),
	        cmocka_unit_test(test_more_members_than_room),
	        cmocka_unit_test(test_length_bounds_the_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
