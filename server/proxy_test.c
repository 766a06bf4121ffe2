/*
 * server/proxy_test.c — client address and scheme behind proxies: headers
 * from an untrusted peer are ignored; from a trusted one Forwarded (RFC
 * 7239, quoted IPv6 with ports, several elements and headers) wins over
 * X-Forwarded-For, which is walked from the right past trusted hops;
 * garbage stops the walk at the last trusted address.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "server/proxy.h"

static struct config cfg;
static struct config_cidr blocks[2];
static struct arena *arena;

static int
setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof cfg);
	assert_int_equal(config_parse_cidr("10.0.0.0/8", &blocks[0]), ST_OK);
	assert_int_equal(config_parse_cidr("::1", &blocks[1]), ST_OK);
	cfg.proxy_trusted = blocks;
	cfg.proxy_trusted_count = 2;
	arena = arena_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(arena);
	return 0;
}

/* The client seen for a request from peer with these headers; *https out. */
static const char *
resolve(const char *peer, const char *fwd, const char *xff, const char *xfp, int *https)
{
	unsigned char addr[16];
	int family;
	const char *ip;
	int h;

	assert_true(proxy_parse_ip(peer, &family, addr));
	proxy_resolve(&cfg, peer, family, addr, fwd, xff, xfp, arena, &ip, &h);
	if (https != NULL)
		*https = h;
	return ip;
}

static void
test_untrusted_peer_headers_are_ignored(void **state)
{
	int https;

	(void)state;
	assert_string_equal(resolve("192.0.2.1", "for=198.51.100.7;proto=https", "198.51.100.8",
	                            "https", &https),
	                    "192.0.2.1");
	assert_int_equal(https, -1);
}

static void
test_x_forwarded_for_walks_from_the_right_past_trusted_hops(void **state)
{
	int https;

	(void)state;
	assert_string_equal(
	        resolve("10.0.0.1", NULL, "203.0.113.9, 198.51.100.7, 10.1.1.1", "https", &https),
	        "198.51.100.7");
	assert_int_equal(https, 1);
	assert_string_equal(resolve("10.0.0.1", NULL, "10.2.2.2,10.3.3.3", "http", &https),
	                    "10.2.2.2");
	assert_int_equal(https, 0);
	/* Garbage stops at the last trusted address. */
	assert_string_equal(
	        resolve("10.0.0.1", NULL, "198.51.100.7, nonsense, 10.1.1.1", NULL, &https),
	        "10.1.1.1");
	assert_int_equal(https, -1);
	assert_string_equal(resolve("::1", NULL, " 2001:db8::5 ", NULL, NULL), "2001:db8::5");
}

static void
test_forwarded_wins_and_understands_ports_quotes_and_ipv6(void **state)
{
	int https;

	(void)state;
	assert_string_equal(resolve("10.0.0.1", "for=192.0.2.60;proto=http;by=203.0.113.43",
	                            "198.51.100.1", "https", &https),
	                    "192.0.2.60");
	assert_int_equal(https, 0);
	assert_string_equal(resolve("::1",
	                            "for=\"[2001:db8:cafe::17]:4711\", For=10.9.9.9:80;Proto=HTTPS",
	                            NULL, NULL, &https),
	                    "2001:db8:cafe::17");
	assert_int_equal(https, 1);
	assert_string_equal(resolve("10.0.0.1", "for=unknown", NULL, NULL, NULL), "10.0.0.1");
	assert_string_equal(resolve("10.0.0.1", "for=_hidden, for=10.4.4.4", NULL, NULL, NULL),
	                    "10.4.4.4");
	assert_string_equal(resolve("10.0.0.1", "for=\"[2001:db8::1\"", NULL, NULL, NULL),
	                    "10.0.0.1");
	assert_string_equal(resolve("10.0.0.1", "", NULL, NULL, NULL), "10.0.0.1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_untrusted_peer_headers_are_ignored, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_x_forwarded_for_walks_from_the_right_past_trusted_hops, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_forwarded_wins_and_understands_ports_quotes_and_ipv6, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
