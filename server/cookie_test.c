/*
 * server/cookie_test.c — Cookie header parsing (RFC 6265 §4.2.1, §5.4) and
 * Set-Cookie building (attributes, __Host-/__Secure- prefixes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server/cookie.h"

static struct cookie_jar
parse(struct arena *a, const char *header)
{
	struct cookie_jar jar;
	struct err err;

	assert_int_equal(cookie_parse(header, header != NULL ? strlen(header) : 0, a, &jar, &err),
	                 ST_OK);
	return jar;
}

static void
test_parse_splits_pairs_on_semicolon_space(void **state)
{
	struct arena *a = arena_new();
	struct cookie_jar jar = parse(a, "a=1; oidcd_session=abc-_; c=");

	(void)state;
	assert_int_equal(jar.count, 3);
	assert_string_equal(cookie_get(&jar, "a"), "1");
	assert_string_equal(cookie_get(&jar, "oidcd_session"), "abc-_");
	assert_string_equal(cookie_get(&jar, "c"), "");
	assert_null(cookie_get(&jar, "A")); /* names are case-sensitive */
	arena_free(a);
}

static void
test_parse_tolerates_missing_or_extra_whitespace(void **state)
{
	struct arena *a = arena_new();
	struct cookie_jar jar = parse(a, "  a=1;b=2 ;\tc = 3 ;; ");

	(void)state;
	assert_int_equal(jar.count, 3);
	assert_string_equal(cookie_get(&jar, "a"), "1");
	assert_string_equal(cookie_get(&jar, "b"), "2");
	assert_string_equal(cookie_get(&jar, "c"), "3");
	arena_free(a);
}

static void
test_parse_removes_dquotes_around_value(void **state)
{
	struct arena *a = arena_new();
	struct cookie_jar jar = parse(a, "q=\"quoted\"; e=\"\"; half=\"x");

	(void)state;
	assert_string_equal(cookie_get(&jar, "q"), "quoted");
	assert_string_equal(cookie_get(&jar, "e"), "");
	assert_null(cookie_get(&jar, "half")); /* a lone DQUOTE is not a cookie-octet */
	arena_free(a);
}

static void
test_parse_ignores_malformed_pairs(void **state)
{
	struct arena *a = arena_new();
	struct cookie_jar jar =
	        parse(a, "novalue; =anon; bad name=1; sp=a b; bs=a\\b; co=a,b; ok=1; n@me=2");

	(void)state;
	assert_int_equal(jar.count, 1);
	assert_string_equal(cookie_get(&jar, "ok"), "1");
	arena_free(a);
}

static void
test_parse_first_occurrence_wins(void **state)
{
	struct arena *a = arena_new();
	struct cookie_jar jar = parse(a, "sid=specific; other=x; sid=general");

	(void)state;
	assert_int_equal(jar.count, 2);
	assert_string_equal(cookie_get(&jar, "sid"), "specific");
	arena_free(a);
}

static void
test_parse_value_may_hold_equals_signs(void **state)
{
	struct arena *a = arena_new();
	struct cookie_jar jar = parse(a, "b64=YWJj==; pref=k=v");

	(void)state;
	assert_string_equal(cookie_get(&jar, "b64"), "YWJj==");
	assert_string_equal(cookie_get(&jar, "pref"), "k=v");
	arena_free(a);
}

static void
test_parse_empty_or_null_header_gives_empty_jar(void **state)
{
	struct arena *a = arena_new();
	struct cookie_jar jar = parse(a, NULL);

	(void)state;
	assert_int_equal(jar.count, 0);
	jar = parse(a, "");
	assert_int_equal(jar.count, 0);
	assert_null(cookie_get(&jar, "x"));
	arena_free(a);
}

static void
test_parse_stops_at_the_pair_limit(void **state)
{
	struct arena *a = arena_new();
	char header[1024] = "";
	struct cookie_jar jar;
	size_t off = 0;
	int i;

	(void)state;
	for (i = 0; i < COOKIE_MAX_PAIRS + 5; i++)
		off += (size_t)snprintf(header + off, sizeof header - off, "c%d=%d; ", i, i);
	jar = parse(a, header);
	assert_int_equal(jar.count, COOKIE_MAX_PAIRS);
	assert_string_equal(cookie_get(&jar, "c0"), "0");
	assert_null(cookie_get(&jar, "c33"));
	arena_free(a);
}

static void
test_parse_refuses_oversized_header(void **state)
{
	struct arena *a = arena_new();
	size_t n = COOKIE_MAX_HEADER_BYTES + 1;
	char *big = arena_alloc(a, n + 1);
	struct cookie_jar jar;
	struct err err;

	(void)state;
	memset(big, 'a', n);
	big[0] = 'x';
	big[1] = '=';
	assert_int_equal(cookie_parse(big, n, a, &jar, &err), ST_INVALID);
	assert_int_equal(cookie_parse(big, n - 1, a, &jar, &err), ST_OK);
	arena_free(a);
}

static void
test_parse_ignores_overlong_value_and_nul_bytes(void **state)
{
	struct arena *a = arena_new();
	static const char with_nul[] = "a=x\0y; b=2";
	char *hdr = arena_alloc(a, COOKIE_MAX_VALUE_BYTES + 16);
	struct cookie_jar jar;
	struct err err;

	(void)state;
	assert_int_equal(cookie_parse(with_nul, sizeof with_nul - 1, a, &jar, &err), ST_OK);
	assert_null(cookie_get(&jar, "a"));
	assert_string_equal(cookie_get(&jar, "b"), "2");
	hdr[0] = 'v';
	hdr[1] = '=';
	memset(hdr + 2, 'x', COOKIE_MAX_VALUE_BYTES + 1);
	assert_int_equal(cookie_parse(hdr, COOKIE_MAX_VALUE_BYTES + 3, a, &jar, &err), ST_OK);
	assert_int_equal(jar.count, 0);
	arena_free(a);
}

static void
test_set_writes_every_attribute(void **state)
{
	struct arena *a = arena_new();
	struct err err;
	char *v;

	(void)state;
	assert_int_equal(cookie_set(a, "__Host-oidcd_session", "abc", 3600, true, true,
	                            COOKIE_SAME_SITE_LAX, &v, &err),
	                 ST_OK);
	assert_string_equal(v, "__Host-oidcd_session=abc; Path=/; Max-Age=3600; Secure; HttpOnly; "
	                       "SameSite=Lax");
	assert_int_equal(
	        cookie_set(a, "s", "v", -1, false, false, COOKIE_SAME_SITE_STRICT, &v, &err),
	        ST_OK);
	assert_string_equal(v, "s=v; Path=/; SameSite=Strict"); /* session cookie: no Max-Age */
	assert_null(strstr(v, "Domain"));
	arena_free(a);
}

static void
test_set_refuses_prefix_without_secure(void **state)
{
	struct arena *a = arena_new();
	struct err err;
	char *v = NULL;

	(void)state;
	assert_int_equal(
	        cookie_set(a, "__Host-x", "v", 60, false, true, COOKIE_SAME_SITE_LAX, &v, &err),
	        ST_INVALID);
	assert_int_equal(
	        cookie_set(a, "__Secure-x", "v", 60, false, true, COOKIE_SAME_SITE_LAX, &v, &err),
	        ST_INVALID);
	assert_int_equal(cookie_set(a, "x", "v", 60, false, true, COOKIE_SAME_SITE_NONE, &v, &err),
	                 ST_INVALID);
	assert_null(v);
	assert_int_equal(cookie_set(a, "x", "v", 60, true, true, COOKIE_SAME_SITE_NONE, &v, &err),
	                 ST_OK);
	assert_string_equal(v, "x=v; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=None");
	arena_free(a);
}

static void
test_set_refuses_bad_name_or_value(void **state)
{
	struct arena *a = arena_new();
	struct err err;
	char *v;

	(void)state;
	assert_int_equal(cookie_set(a, "", "v", 1, true, true, COOKIE_SAME_SITE_LAX, &v, &err),
	                 ST_INVALID);
	assert_int_equal(cookie_set(a, "a b", "v", 1, true, true, COOKIE_SAME_SITE_LAX, &v, &err),
	                 ST_INVALID);
	assert_int_equal(cookie_set(a, "a=", "v", 1, true, true, COOKIE_SAME_SITE_LAX, &v, &err),
	                 ST_INVALID);
	assert_int_equal(
	        cookie_set(a, "a", "x; Domain=evil", 1, true, true, COOKIE_SAME_SITE_LAX, &v, &err),
	        ST_INVALID);
	assert_int_equal(
	        cookie_set(a, "a", "x\r\nX: y", 1, true, true, COOKIE_SAME_SITE_LAX, &v, &err),
	        ST_INVALID);
	arena_free(a);
}

static void
test_clear_expires_the_cookie_with_same_attributes(void **state)
{
	struct arena *a = arena_new();
	struct err err;
	char *v;

	(void)state;
	assert_int_equal(
	        cookie_clear(a, "__Host-oidcd_csrf", true, true, COOKIE_SAME_SITE_LAX, &v, &err),
	        ST_OK);
	assert_string_equal(v, "__Host-oidcd_csrf=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 "
	                       "00:00:00 GMT; Secure; HttpOnly; SameSite=Lax");
	assert_int_equal(
	        cookie_clear(a, "__Host-oidcd_csrf", false, true, COOKIE_SAME_SITE_LAX, &v, &err),
	        ST_INVALID);
	arena_free(a);
}

static void
test_set_value_round_trips_through_parse(void **state)
{
	struct arena *a = arena_new();
	struct cookie_jar jar;
	struct err err;
	char *v, *semi;

	(void)state;
	assert_int_equal(
	        cookie_set(a, "t", "A-z_0~!#", 5, false, true, COOKIE_SAME_SITE_LAX, &v, &err),
	        ST_OK);
	semi = strchr(v, ';');
	assert_non_null(semi);
	assert_int_equal(cookie_parse(v, (size_t)(semi - v), a, &jar, &err), ST_OK);
	assert_string_equal(cookie_get(&jar, "t"), "A-z_0~!#");
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_splits_pairs_on_semicolon_space),
	        cmocka_unit_test(test_parse_tolerates_missing_or_extra_whitespace),
	        cmocka_unit_test(test_parse_removes_dquotes_around_value),
	        cmocka_unit_test(test_parse_ignores_malformed_pairs),
	        cmocka_unit_test(test_parse_first_occurrence_wins),
	        cmocka_unit_test(test_parse_value_may_hold_equals_signs),
	        cmocka_unit_test(test_parse_empty_or_null_header_gives_empty_jar),
	        cmocka_unit_test(test_parse_stops_at_the_pair_limit),
	        cmocka_unit_test(test_parse_refuses_oversized_header),
	        cmocka_unit_test(test_parse_ignores_overlong_value_and_nul_bytes),
	        cmocka_unit_test(test_set_writes_every_attribute),
	        cmocka_unit_test(test_set_refuses_prefix_without_secure),
	        cmocka_unit_test(test_set_refuses_bad_name_or_value),
	        cmocka_unit_test(test_clear_expires_the_cookie_with_same_attributes),
	        cmocka_unit_test(test_set_value_round_trips_through_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
