/*
 * server/form_test.c — form/query decoding, including the strictness rules
 * of RFC 6749 §3.1 (no repeated parameters).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server/form.h"

static enum status
parse(const char *s, struct arena *a, struct form *f)
{
	struct err err;

	return form_parse(s, strlen(s), a, f, &err);
}

static void
test_decodes_plus_and_percent(void **state)
{
	struct arena *a = arena_new();
	struct form f;

	(void)state;
	assert_int_equal(
	        parse("grant_type=authorization_code&redirect_uri=https%3A%2F%2Frp.example%2Fcb&"
	              "scope=openid+email",
	              a, &f),
	        ST_OK);
	assert_int_equal(f.count, 3);
	assert_string_equal(form_get(&f, "grant_type"), "authorization_code");
	assert_string_equal(form_get(&f, "redirect_uri"), "https://rp.example/cb");
	assert_string_equal(form_get(&f, "scope"), "openid email");
	assert_null(form_get(&f, "missing"));
	arena_free(a);
}

static void
test_empty_value_and_bare_name_are_kept(void **state)
{
	struct arena *a = arena_new();
	struct form f;

	(void)state;
	assert_int_equal(parse("a=&b&&c=1&", a, &f), ST_OK);
	assert_int_equal(f.count, 3);
	assert_string_equal(form_get(&f, "a"), "");
	assert_string_equal(form_get(&f, "b"), "");
	assert_string_equal(form_get(&f, "c"), "1");
	arena_free(a);
}

static void
test_rejects_repeated_parameter(void **state)
{
	struct arena *a = arena_new();
	struct form f;

	(void)state;
	assert_int_equal(parse("code=1&code=2", a, &f), ST_INVALID);
	/* The same name spelled with an escape is the same parameter. */
	assert_int_equal(parse("code=1&c%6fde=2", a, &f), ST_INVALID);
	arena_free(a);
}

static void
test_rejects_malformed_escapes_and_nul(void **state)
{
	struct arena *a = arena_new();
	struct form f;

	(void)state;
	assert_int_equal(parse("a=%", a, &f), ST_INVALID);
	assert_int_equal(parse("a=%4", a, &f), ST_INVALID);
	assert_int_equal(parse("a=%zz", a, &f), ST_INVALID);
	assert_int_equal(parse("a=%00", a, &f), ST_INVALID);
	assert_int_equal(parse("=value", a, &f), ST_INVALID);
	arena_free(a);
}

static void
test_rejects_too_many_parameters(void **state)
{
	struct arena *a = arena_new();
	char buf[FORM_MAX_PARAMS * 8 + 16];
	size_t i, n = 0;
	struct form f;

	(void)state;
	for (i = 0; i <= FORM_MAX_PARAMS; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "p%zu=1&", i);
	assert_int_equal(parse(buf, a, &f), ST_INVALID);
	arena_free(a);
}

static void
test_unescape_keeps_plus_in_paths(void **state)
{
	struct arena *a = arena_new();
	char *out;

	(void)state;
	assert_int_equal(form_unescape("a+b%2Fc", 7, 0, a, &out, NULL), ST_OK);
	assert_string_equal(out, "a+b/c");
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decodes_plus_and_percent),
	        cmocka_unit_test(test_empty_value_and_bare_name_are_kept),
	        cmocka_unit_test(test_rejects_repeated_parameter),
	        cmocka_unit_test(test_rejects_malformed_escapes_and_nul),
	        cmocka_unit_test(test_rejects_too_many_parameters),
	        cmocka_unit_test(test_unescape_keeps_plus_in_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
