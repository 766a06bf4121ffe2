/*
 * server/json_write_test.c — json_write_compact: jansson's compact text byte
 * for byte (escapes, order, integers), jansson's refusals, its fallbacks
 * (reals, deep nesting) and documents past the first buffer.
 * tests/fuzz/fuzz_json_write.c compares it with jansson on any document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "server/json_write.h"

/* Writes doc (stolen) and checks the text against want and jansson's own. */
static void
writes(json_t *doc, const char *want)
{
	struct arena *arena = arena_new();
	char *jansson = json_dumps(doc, JSON_COMPACT);
	size_t len = 0;
	char *got = json_write_compact(doc, arena, &len);

	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	assert_string_equal(jansson, want);
	free(jansson);
	arena_free(arena);
	json_decref(doc);
}

static void
test_members_in_order_with_every_kind_of_value(void **state)
{
	(void)state;
	writes(json_pack("{s:s, s:i, s:b, s:b, s:n, s:[I, s, {}], s:{}}", "z", "first", "a", -42,
	                 "t", 1, "f", 0, "n", "arr", 9223372036854775807LL, "", "o"),
	       "{\"z\":\"first\",\"a\":-42,\"t\":true,\"f\":false,\"n\":null,"
	       "\"arr\":[9223372036854775807,\"\",{}],\"o\":{}}");
	writes(json_array(), "[]");
}

/* Integers are written by hand: the edges of json_int_t, and 0 and the signs. */
static void
test_integers_at_their_edges(void **state)
{
	(void)state;
	writes(json_pack("[I, I, I, I, I, i, i]", (json_int_t)INT64_MIN, (json_int_t)INT64_MAX,
	                 (json_int_t)INT64_MIN + 1, (json_int_t)-1000000000000LL, (json_int_t)0, -1,
	                 3600),
	       "[-9223372036854775808,9223372036854775807,-9223372036854775807,-1000000000000,0,"
	       "-1,3600]");
}

static void
test_escapes_are_janssons(void **state)
{
	(void)state;
	/* Upper-case hex for controls, short forms where JSON has them; DEL, "/" and
	 * non-ASCII pass through. */
	writes(json_pack("{s:s}", "k\"\\",
	                 "a\"b\\c\b\f\n\r\t\x01\x1f\x7f/\xc3\xa9\xf0\x9f\x98\x80"),
	       "{\"k\\\"\\\\\":\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001F\x7f/"
	       "\xc3\xa9\xf0\x9f\x98\x80\"}");
	writes(json_pack("[s%]", "a\0b", 3), "[\"a\\u0000b\"]");
}

static void
test_what_jansson_refuses_is_null(void **state)
{
	struct arena *arena = arena_new();
	json_t *bad = json_array(), *scalar = json_string("x");

	(void)state;
	json_array_append_new(bad, json_stringn_nocheck("\xff", 1));
	assert_null(json_dumps(bad, JSON_COMPACT));
	assert_null(json_write_compact(bad, arena, NULL));
	assert_null(json_write_compact(scalar, arena, NULL)); /* needs JSON_ENCODE_ANY */
	json_decref(bad);
	json_decref(scalar);
	arena_free(arena);
}

static void
test_reals_and_deep_nesting_are_left_to_jansson(void **state)
{
	json_t *deep = json_array(), *inner = deep;
	char want[2 * (JSON_WRITE_MAX_DEPTH + 2) + 1];
	int i;

	(void)state;
	writes(json_pack("{s:f}", "r", 0.5), "{\"r\":0.5}");
	for (i = 0; i < JSON_WRITE_MAX_DEPTH + 1; i++) {
		json_t *next = json_array();

		json_array_append_new(inner, next);
		inner = next;
	}
	for (i = 0; i < JSON_WRITE_MAX_DEPTH + 2; i++) {
		want[i] = '[';
		want[2 * (JSON_WRITE_MAX_DEPTH + 2) - 1 - i] = ']';
	}
	want[sizeof want - 1] = '\0';
	writes(deep, want);
}

static void
test_documents_past_the_first_buffer(void **state)
{
	char big[5000];
	char *want;
	json_t *doc = json_object();
	size_t n;

	(void)state;
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	json_object_set_new(doc, "big", json_string(big));
	n = strlen(big) + 10;
	want = malloc(n + 1);
	assert_non_null(want);
	snprintf(want, n + 1, "{\"big\":\"%s\"}", big);
	writes(doc, want);
	free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_members_in_order_with_every_kind_of_value),
	        cmocka_unit_test(test_integers_at_their_edges),
	        cmocka_unit_test(test_escapes_are_janssons),
	        cmocka_unit_test(test_what_jansson_refuses_is_null),
	        cmocka_unit_test(test_reals_and_deep_nesting_are_left_to_jansson),
	        cmocka_unit_test(test_documents_past_the_first_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
