/*
 * server/metrics_test.c — the Prometheus text of server/metrics.c: counters
 * by route and status move, histogram buckets are cumulative and end in
 * +Inf equal to _count, unknown statuses count as "other", unmatched
 * requests have their own route label, label values are escaped, and
 * nothing is printed for a route nobody asked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "server/metrics.h"

static char *
render(struct buf *b, const char *extra)
{
	b->len = 0;
	metrics_render(b, "1.2.3 \"x\"", 7, extra);
	buf_putc(b, '\0');
	return b->data;
}

static const struct route *
public_route(const char *path)
{
	return router_find_path(routes_public, routes_public_count, path);
}

static void
test_requests_by_route_and_status(void **state)
{
	struct buf b = {0};
	const char *text;

	(void)state;
	metrics_reset();
	metrics_request(public_route("/oauth2/token"), false, 200, 0.0002);
	metrics_request(public_route("/oauth2/token"), false, 200, 0.003);
	metrics_request(public_route("/oauth2/token"), false, 400, 7);
	metrics_request(public_route("/oauth2/token"), false, 299, 0.001);
	metrics_request(NULL, false, 404, 0.001);
	metrics_request(router_find_path(routes_admin, routes_admin_count, "/admin/version"), true,
	                200, 0.001);
	text = render(&b, NULL);
	assert_non_null(strstr(text,
	                       "oidcd_http_requests_total{listener=\"public\",route=\"/oauth2/"
	                       "token\",status=\"200\"} 2\n"));
	assert_non_null(strstr(text, "route=\"/oauth2/token\",status=\"400\"} 1\n"));
	assert_non_null(strstr(text, "route=\"/oauth2/token\",status=\"other\"} 1\n"));
	assert_non_null(
	        strstr(text, "{listener=\"public\",route=\"unmatched\",status=\"404\"} 1\n"));
	assert_non_null(
	        strstr(text, "{listener=\"admin\",route=\"/admin/version\",status=\"200\"} 1\n"));
	assert_null(strstr(text, "route=\"/userinfo\""));
	/* Cumulative buckets: 0.0002 <= 0.0005; 0.001 and 0.003 later; 7 s only in +Inf. */
	assert_non_null(strstr(text,
	                       "oidcd_http_request_duration_seconds_bucket{listener=\"public\","
	                       "route=\"/oauth2/token\",le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(text, "route=\"/oauth2/token\",le=\"0.001\"} 2\n"));
	assert_non_null(strstr(text, "route=\"/oauth2/token\",le=\"0.005\"} 3\n"));
	assert_non_null(strstr(text, "route=\"/oauth2/token\",le=\"5\"} 3\n"));
	assert_non_null(strstr(text, "route=\"/oauth2/token\",le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(text,
	                       "oidcd_http_request_duration_seconds_count{listener=\"public\","
	                       "route=\"/oauth2/token\"} 4\n"));
	assert_non_null(strstr(text, "oidcd_http_request_duration_seconds_sum{listener=\"public\","
	                             "route=\"/oauth2/token\"} 7.004"));
	buf_free(&b);
}

static void
test_tokens_logins_build_info_and_extra(void **state)
{
	struct buf b = {0};
	const char *text;

	(void)state;
	metrics_reset();
	metrics_token_issued(METRICS_GRANT_CODE);
	metrics_token_issued(METRICS_GRANT_CODE);
	metrics_token_issued(METRICS_GRANT_DEVICE);
	metrics_token_issued(METRICS_GRANT_COUNT); /* out of range: ignored */
	metrics_login_failure();
	metrics_throttled();
	metrics_throttled();
	text = render(&b, "oidcd_extra 1\n");
	assert_non_null(
	        strstr(text, "oidcd_tokens_issued_total{grant_type=\"authorization_code\"} 2\n"));
	assert_non_null(strstr(text, "oidcd_tokens_issued_total{grant_type=\"urn:ietf:params:oauth:"
	                             "grant-type:device_code\"} 1\n"));
	assert_non_null(
	        strstr(text, "oidcd_tokens_issued_total{grant_type=\"refresh_token\"} 0\n"));
	assert_non_null(strstr(text, "oidcd_login_failures_total 1\n"));
	assert_non_null(strstr(text, "oidcd_throttled_requests_total 2\n"));
	assert_non_null(strstr(text, "oidcd_database_errors_total 7\n"));
	assert_non_null(strstr(text, "oidcd_build_info{version=\"1.2.3 \\\"x\\\"\"} 1\n"));
	assert_non_null(strstr(text, "# TYPE oidcd_http_request_duration_seconds histogram\n"));
	assert_int_equal(strcmp(text + strlen(text) - strlen("oidcd_extra 1\n"), "oidcd_extra 1\n"),
	                 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_requests_by_route_and_status),
	        cmocka_unit_test(test_tokens_logins_build_info_and_extra),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
