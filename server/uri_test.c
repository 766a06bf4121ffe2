/*
 * server/uri_test.c — the strict absolute-URI parser (RFC 3986) and its
 * loopback / origin helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server/uri.h"

static enum status
parse(struct arena *a, const char *s, struct uri *u)
{
	struct err err;

	return uri_parse(s, a, u, &err);
}

static void
test_splits_every_component(void **state)
{
	struct arena *a = arena_new();
	struct uri u;

	(void)state;
	assert_int_equal(parse(a, "HTTPS://user:pw@RP.Example:8443/cb/x?a=1&b=%2F#frag", &u),
	                 ST_OK);
	assert_string_equal(u.scheme, "https");
	assert_string_equal(u.userinfo, "user:pw");
	assert_string_equal(u.host, "rp.example");
	assert_int_equal(u.host_kind, URI_HOST_NAME);
	assert_int_equal(u.port, 8443);
	assert_string_equal(u.path, "/cb/x");
	assert_string_equal(u.query, "a=1&b=%2F");
	assert_string_equal(u.fragment, "frag");
	arena_free(a);
}

static void
test_absent_parts_are_null_and_empty_parts_are_empty(void **state)
{
	struct arena *a = arena_new();
	struct uri u;

	(void)state;
	assert_int_equal(parse(a, "https://rp.example", &u), ST_OK);
	assert_null(u.userinfo);
	assert_int_equal(u.port, 0);
	assert_string_equal(u.path, "");
	assert_null(u.query);
	assert_null(u.fragment);
	assert_int_equal(parse(a, "https://rp.example/?#", &u), ST_OK);
	assert_string_equal(u.path, "/");
	assert_string_equal(u.query, "");
	assert_string_equal(u.fragment, "");
	arena_free(a);
}

static void
test_custom_scheme_without_authority(void **state)
{
	struct arena *a = arena_new();
	struct uri u;

	(void)state;
	assert_int_equal(parse(a, "com.example.app:/oauth2redirect", &u), ST_OK);
	assert_string_equal(u.scheme, "com.example.app");
	assert_int_equal(u.host_kind, URI_HOST_NONE);
	assert_null(u.host);
	assert_string_equal(u.path, "/oauth2redirect");
	assert_int_equal(parse(a, "myapp:cb?x=1", &u), ST_OK);
	assert_string_equal(u.path, "cb");
	assert_string_equal(u.query, "x=1");
	assert_int_equal(parse(a, "file:///etc/passwd", &u), ST_OK);
	assert_int_equal(u.host_kind, URI_HOST_NAME);
	assert_string_equal(u.host, "");
	arena_free(a);
}

static void
test_ip_literals(void **state)
{
	struct arena *a = arena_new();
	struct uri u;

	(void)state;
	assert_int_equal(parse(a, "http://127.0.0.1:3000/cb", &u), ST_OK);
	assert_int_equal(u.host_kind, URI_HOST_IPV4);
	assert_int_equal(u.port, 3000);
	assert_int_equal(parse(a, "http://[::1]:8080/cb", &u), ST_OK);
	assert_int_equal(u.host_kind, URI_HOST_IPV6);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 8080);
	assert_int_equal(parse(a, "https://[2001:DB8::7]", &u), ST_OK);
	assert_string_equal(u.host, "2001:db8::7");
	/* RFC 3986 dec-octet has no leading zeros: this is a reg-name. */
	assert_int_equal(parse(a, "http://127.0.0.01/", &u), ST_OK);
	assert_int_equal(u.host_kind, URI_HOST_NAME);
	assert_int_equal(parse(a, "http://256.1.1.1/", &u), ST_OK);
	assert_int_equal(u.host_kind, URI_HOST_NAME);
	arena_free(a);
}

static void
test_rejects_bad_ip_literals(void **state)
{
	struct arena *a = arena_new();
	struct uri u;

	(void)state;
	assert_int_equal(parse(a, "http://[::1/cb", &u), ST_INVALID);
	assert_int_equal(parse(a, "http://[::g]/", &u), ST_INVALID);
	assert_int_equal(parse(a, "http://[]/", &u), ST_INVALID);
	assert_int_equal(parse(a, "http://[v1.x]/", &u), ST_INVALID);
	assert_int_equal(parse(a, "http://[fe80::1%25eth0]/", &u), ST_INVALID);
	assert_int_equal(parse(a, "http://[::1]x/", &u), ST_INVALID);
	assert_int_equal(parse(a, "http://a]b/", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example/a[1]", &u), ST_INVALID);
	arena_free(a);
}

static void
test_rejects_bad_ports(void **state)
{
	struct arena *a = arena_new();
	struct uri u;

	(void)state;
	assert_int_equal(parse(a, "https://rp.example:/", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example:0/", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example:65536/", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example:123456/", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example:8a/", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example:1:2/", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example:65535/", &u), ST_OK);
	assert_int_equal(u.port, 65535);
	arena_free(a);
}

static void
test_rejects_whitespace_controls_and_non_ascii(void **state)
{
	struct arena *a = arena_new();
	struct uri u;

	(void)state;
	assert_int_equal(parse(a, "https://rp.example/a b", &u), ST_INVALID);
	assert_int_equal(parse(a, " https://rp.example/", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example/\t", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example/\n", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example/\x7f", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://r\xc3\xa9.example/", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example/<script>", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example/a\\b", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example/\"", &u), ST_INVALID);
	arena_free(a);
}

static void
test_rejects_bad_escapes_and_structure(void **state)
{
	struct arena *a = arena_new();
	struct uri u;

	(void)state;
	assert_int_equal(parse(a, "https://rp.example/%", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example/%4", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example/%zz", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://rp.example/%41", &u), ST_OK);
	assert_int_equal(parse(a, "https://rp.example/#a#b", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://a@b@rp.example/", &u), ST_INVALID);
	assert_int_equal(parse(a, "", &u), ST_INVALID);
	assert_int_equal(parse(a, "/relative/path", &u), ST_INVALID);
	assert_int_equal(parse(a, "//rp.example/cb", &u), ST_INVALID);
	assert_int_equal(parse(a, "1http://rp.example/", &u), ST_INVALID);
	assert_int_equal(parse(a, "rp.example", &u), ST_INVALID);
	arena_free(a);
}

static void
test_http_needs_a_host(void **state)
{
	struct arena *a = arena_new();
	struct uri u;

	(void)state;
	assert_int_equal(parse(a, "https:///cb", &u), ST_INVALID);
	assert_int_equal(parse(a, "http:cb", &u), ST_INVALID);
	assert_int_equal(parse(a, "https://user@:443/", &u), ST_INVALID);
	arena_free(a);
}

static void
test_loopback_hosts(void **state)
{
	static const char *const loopback[] = {
	        "http://127.0.0.1/",         "http://127.255.3.4:80/", "http://[::1]/",
	        "http://[0:0:0:0:0:0:0:1]/", "http://localhost:3000/", "http://LOCALHOST/",
	};
	static const char *const other[] = {
	        "http://128.0.0.1/",          "http://[::2]/",
	        "http://localhost.example/",  "http://127.0.0.01/",
	        "http://127.example.com/",    "myapp:/cb",
	        "http://[::ffff:127.0.0.1]/",
	};
	struct arena *a = arena_new();
	struct uri u;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
		assert_int_equal(parse(a, loopback[i], &u), ST_OK);
		assert_true(uri_is_loopback_host(&u));
	}
	for (i = 0; i < sizeof other / sizeof other[0]; i++) {
		assert_int_equal(parse(a, other[i], &u), ST_OK);
		assert_false(uri_is_loopback_host(&u));
	}
	arena_free(a);
}

static void
test_origin_drops_default_port_and_path(void **state)
{
	struct arena *a = arena_new();
	struct uri u;

	(void)state;
	assert_int_equal(parse(a, "HTTPS://App.Example:443/", &u), ST_OK);
	assert_string_equal(uri_origin(&u, a), "https://app.example");
	assert_int_equal(parse(a, "http://app.example:443", &u), ST_OK);
	assert_string_equal(uri_origin(&u, a), "http://app.example:443");
	assert_int_equal(parse(a, "http://[::1]:80", &u), ST_OK);
	assert_string_equal(uri_origin(&u, a), "http://[::1]");
	arena_free(a);
}

static void
test_error_message_never_quotes_input(void **state)
{
	struct arena *a = arena_new();
	struct err err;
	struct uri u;

	(void)state;
	assert_int_equal(uri_parse("https://secret-host.example:99999/", a, &u, &err), ST_INVALID);
	assert_null(strstr(err.msg, "secret"));
	assert_true(err.msg[0] != '\0');
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_splits_every_component),
	        cmocka_unit_test(test_absent_parts_are_null_and_empty_parts_are_empty),
	        cmocka_unit_test(test_custom_scheme_without_authority),
	        cmocka_unit_test(test_ip_literals),
	        cmocka_unit_test(test_rejects_bad_ip_literals),
	        cmocka_unit_test(test_rejects_bad_ports),
	        cmocka_unit_test(test_rejects_whitespace_controls_and_non_ascii),
	        cmocka_unit_test(test_rejects_bad_escapes_and_structure),
	        cmocka_unit_test(test_http_needs_a_host),
	        cmocka_unit_test(test_loopback_hosts),
	        cmocka_unit_test(test_origin_drops_default_port_and_path),
	        cmocka_unit_test(test_error_message_never_quotes_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
