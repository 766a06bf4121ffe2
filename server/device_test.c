/*
 * server/device_test.c — RFC 8628 §6.1 user codes: new codes are eight
 * letters of the consonant alphabet, differ from call to call and use
 * every letter; typed codes are forgiven case, dashes and spaces but
 * nothing else; the shown form has its dash in the middle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "server/device.h"

static const char alphabet[] = "BCDFGHJKLMNPQRSTVWXZ";

static void
test_new_codes_are_eight_letters_of_the_alphabet_and_use_all_of_it(void **state)
{
	char code[DEVICE_USER_CODE_LEN + 1], first[DEVICE_USER_CODE_LEN + 1];
	int seen[256] = {0};
	struct err err;

	(void)state;
	assert_int_equal(device_user_code_new(first, &err), ST_OK);
	for (int i = 0; i < 500; i++) {
		assert_int_equal(device_user_code_new(code, &err), ST_OK);
		assert_int_equal(strlen(code), DEVICE_USER_CODE_LEN);
		for (size_t j = 0; j < DEVICE_USER_CODE_LEN; j++) {
			assert_non_null(strchr(alphabet, code[j]));
			seen[(unsigned char)code[j]]++;
		}
	}
	/* 4000 letters: each of the 20 turns up (p of a miss ~ 20 * 0.95^4000). */
	for (const char *a = alphabet; *a != '\0'; a++)
		assert_true(seen[(unsigned char)*a] > 0);
	assert_string_not_equal(first, code);
}

static void
test_normalize_forgives_case_dashes_and_spaces(void **state)
{
	char out[DEVICE_USER_CODE_LEN + 1];

	(void)state;
	assert_true(device_user_code_normalize("BCDF-GHJK", out));
	assert_string_equal(out, "BCDFGHJK");
	assert_true(device_user_code_normalize("bcdf ghjk", out));
	assert_string_equal(out, "BCDFGHJK");
	assert_true(device_user_code_normalize(" b-c-d-f-g-h-j-k ", out));
	assert_string_equal(out, "BCDFGHJK");
}

static void
test_normalize_refuses_anything_else(void **state)
{
	static const char *const bad[] = {
	        "",          "BCDF-GHJ",   "BCDF-GHJKL", "ACDF-GHJK" /* vowel */,
	        "BCDF-GHJ1", "BCDF_GHJK",  "BCDF\tGHJK", "BCDF-GHJK\n",
	        "BÇDF-GHJK", "----------", NULL,
	};
	char out[DEVICE_USER_CODE_LEN + 1];
	char longer[80];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(out, 'x', sizeof out);
		assert_false(device_user_code_normalize(bad[i], out));
		assert_string_equal(out, "");
	}
	/* Eight good letters drowned in more than 64 bytes of spacing. */
	memset(longer, ' ', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	memcpy(longer, "BCDFGHJK", 8);
	assert_false(device_user_code_normalize(longer, out));
}

static void
test_format_puts_the_dash_in_the_middle_and_round_trips(void **state)
{
	char shown[DEVICE_USER_CODE_SHOWN_LEN + 1], again[DEVICE_USER_CODE_LEN + 1];

	(void)state;
	device_user_code_format("BCDFGHJK", shown);
	assert_string_equal(shown, "BCDF-GHJK");
	assert_true(device_user_code_normalize(shown, again));
	assert_string_equal(again, "BCDFGHJK");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(
	                test_new_codes_are_eight_letters_of_the_alphabet_and_use_all_of_it),
	        cmocka_unit_test(test_normalize_forgives_case_dashes_and_spaces),
	        cmocka_unit_test(test_normalize_refuses_anything_else),
	        cmocka_unit_test(test_format_puts_the_dash_in_the_middle_and_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
