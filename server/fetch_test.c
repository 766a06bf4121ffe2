/*
 * server/fetch_test.c — the rejection paths of fetch_https that need no
 * network: URLs that are not absolute https URLs never reach libcurl, and a
 * refused loopback connection is an ST_IO that does not quote the URL. The
 * successful fetch, the size cap and redirects are covered by the
 * integration tests (a TLS server with a test CA).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/client_metadata.h"
#include "server/fetch.h"

/* fetch_https_cb must stay usable as the validator's fetch hook. */
static client_fetch_fn *const hook = fetch_https_cb;

static enum status
get(struct arena *a, const char *url, char **body, size_t *len, struct err *err)
{
	struct fetch_opts o = {NULL};

	return fetch_https(&o, url, a, body, len, err);
}

static void
test_rejects_non_https_urls(void **state)
{
	static const char *const urls[] = {
	        "http://rp.example/sector.json",
	        "ftp://rp.example/sector.json",
	        "file:///etc/passwd",
	        "HTTP://rp.example/",
	        "gopher://rp.example/",
	        "dict://127.0.0.1:11211/",
	};
	struct arena *a = arena_new();
	char *body = (char *)"untouched";
	size_t len = 7, i;
	struct err err;

	(void)state;
	for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		assert_int_equal(get(a, urls[i], &body, &len, &err), ST_INVALID);
		assert_string_equal(body, "untouched");
		assert_int_equal(len, 7);
	}
	arena_free(a);
}

static void
test_rejects_malformed_urls(void **state)
{
	static const char *const urls[] = {
	        "",
	        "rp.example/sector.json",
	        "https://rp.example/a b",
	        "https:///sector.json",
	        "https://rp.example:99999/",
	        "https://rp.example/\r\nHost: evil",
	        "//rp.example/x",
	};
	struct arena *a = arena_new();
	char *body = NULL;
	size_t len = 0, i;
	struct err err;

	(void)state;
	for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		assert_int_equal(get(a, urls[i], &body, &len, &err), ST_INVALID);
		assert_null(body);
	}
	arena_free(a);
}

/* A bound but not listening socket: connecting to its port is refused at once. */
static void
test_refused_connection_is_io_and_quiet(void **state)
{
	struct sockaddr_in sa = {0};
	socklen_t sl = sizeof sa;
	struct arena *a = arena_new();
	char url[64], *body = NULL;
	size_t len = 0;
	struct err err;
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(url, sizeof url, "https://127.0.0.1:%u/sector-secret", ntohs(sa.sin_port));

	assert_int_equal(hook(NULL, url, a, &body, &len, &err), ST_IO);
	assert_null(body);
	assert_null(strstr(err.msg, "sector-secret"));
	assert_null(strstr(err.msg, "127.0.0.1"));
	close(fd);
	arena_free(a);
}

static int
setup(void **state)
{
	struct err err;

	(void)state;
	return fetch_global_init(&err) == ST_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	fetch_global_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rejects_non_https_urls),
	        cmocka_unit_test(test_rejects_malformed_urls),
	        cmocka_unit_test(test_refused_connection_is_io_and_quiet),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
