/*
 * server/metrics.c — process-wide counters and their Prometheus text
 * rendering (see metrics.h).
 */
#include "server/metrics.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTES_MAX 128 /* public + admin routes + "unmatched" per listener */

/* Status codes counted one by one; anything else is "other". */
static const int statuses[] = {200, 201, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405,
                               406, 409, 411, 413, 414, 415, 429, 431, 500, 501, 503};
#define STATUS_COUNT (sizeof statuses / sizeof statuses[0] + 1)

/* Latency bucket upper bounds, seconds (le), then +Inf. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5};
static const char *const bound_names[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                          "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                          "1",      "2.5",   "5"};
#define BUCKETS (sizeof bounds / sizeof bounds[0] + 1)

static const char *const grant_names[METRICS_GRANT_COUNT] = {
        [METRICS_GRANT_CODE] = "authorization_code",
        [METRICS_GRANT_REFRESH] = "refresh_token",
        [METRICS_GRANT_CLIENT_CREDENTIALS] = "client_credentials",
        [METRICS_GRANT_DEVICE] = "urn:ietf:params:oauth:grant-type:device_code",
        [METRICS_GRANT_IMPLICIT] = "implicit",
};

static _Atomic uint64_t requests[2][ROUTES_MAX][STATUS_COUNT];
static _Atomic uint64_t latency[2][ROUTES_MAX][BUCKETS];
static _Atomic uint64_t latency_sum_us[2][ROUTES_MAX];
static _Atomic uint64_t tokens[METRICS_GRANT_COUNT];
static _Atomic uint64_t login_failures;
static _Atomic uint64_t throttled;

/* The slot of route in its table; the last slot is "no route matched". */
static size_t
route_slot(const struct route *route, bool is_admin)
{
	const struct route *table = is_admin ? routes_admin : routes_public;
	size_t count = is_admin ? routes_admin_count : routes_public_count;

	if (route == NULL || route < table || route >= table + count ||
	    (size_t)(route - table) >= ROUTES_MAX - 1)
		return ROUTES_MAX - 1;
	return (size_t)(route - table);
}

static size_t
status_slot(int status)
{
	for (size_t i = 0; i < STATUS_COUNT - 1; i++)
		if (statuses[i] == status)
			return i;
	return STATUS_COUNT - 1;
}

void
metrics_request(const struct route *route, bool is_admin, int status, double seconds)
{
	size_t r = route_slot(route, is_admin), b = 0;
	int l = is_admin ? 1 : 0;

	if (seconds < 0)
		seconds = 0;
	while (b < BUCKETS - 1 && seconds > bounds[b])
		b++;
	atomic_fetch_add_explicit(&requests[l][r][status_slot(status)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&latency[l][r][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&latency_sum_us[l][r], (uint64_t)(seconds * 1e6),
	                          memory_order_relaxed);
}

void
metrics_token_issued(enum metrics_grant grant)
{
	if (grant >= 0 && grant < METRICS_GRANT_COUNT)
		atomic_fetch_add_explicit(&tokens[grant], 1, memory_order_relaxed);
}

void
metrics_login_failure(void)
{
	atomic_fetch_add_explicit(&login_failures, 1, memory_order_relaxed);
}

void
metrics_throttled(void)
{
	atomic_fetch_add_explicit(&throttled, 1, memory_order_relaxed);
}

static uint64_t
get(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* A label value escaped per the text format (backslash, quote, newline). */
static void
put_label(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_putc(out, '\\');
		if (*s == '\n') {
			buf_puts(out, "\\n");
			continue;
		}
		buf_putc(out, *s);
	}
}

static void
route_labels(struct buf *out, int l, size_t r)
{
	const struct route *table = l ? routes_admin : routes_public;

	buf_puts(out, l ? "listener=\"admin\",route=\"" : "listener=\"public\",route=\"");
	put_label(out, r == ROUTES_MAX - 1 ? "unmatched" : table[r].path);
	buf_putc(out, '"');
}

static size_t
table_count(int l)
{
	size_t n = l ? routes_admin_count : routes_public_count;

	return n < ROUTES_MAX - 1 ? n : ROUTES_MAX - 1;
}

/* The slots of listener l: its routes, then "unmatched". */
static bool
next_slot(int l, size_t *r)
{
	if (*r == ROUTES_MAX - 1)
		return false;
	(*r)++;
	if (*r == table_count(l))
		*r = ROUTES_MAX - 1;
	return true;
}

static void
render_requests(struct buf *out)
{
	buf_puts(out, "# HELP oidcd_http_requests_total HTTP requests answered, by listener, route "
	              "and status.\n# TYPE oidcd_http_requests_total counter\n");
	for (int l = 0; l < 2; l++) {
		size_t r = (size_t)-1;

		while (next_slot(l, &r)) {
			for (size_t s = 0; s < STATUS_COUNT; s++) {
				uint64_t n = get(&requests[l][r][s]);

				if (n == 0)
					continue;
				buf_puts(out, "oidcd_http_requests_total{");
				route_labels(out, l, r);
				if (s == STATUS_COUNT - 1)
					buf_puts(out, ",status=\"other\"");
				else
					buf_printf(out, ",status=\"%d\"", statuses[s]);
				buf_printf(out, "} %llu\n", (unsigned long long)n);
			}
		}
	}
}

static void
render_latency(struct buf *out)
{
	buf_puts(out, "# HELP oidcd_http_request_duration_seconds Time from the request line to "
	              "the queued answer, by listener and route.\n"
	              "# TYPE oidcd_http_request_duration_seconds histogram\n");
	for (int l = 0; l < 2; l++) {
		size_t r = (size_t)-1;

		while (next_slot(l, &r)) {
			uint64_t cumulative = 0, counts[BUCKETS], total = 0;

			for (size_t b = 0; b < BUCKETS; b++) {
				counts[b] = get(&latency[l][r][b]);
				total += counts[b];
			}
			if (total == 0)
				continue;
			for (size_t b = 0; b < BUCKETS; b++) {
				cumulative += counts[b];
				buf_puts(out, "oidcd_http_request_duration_seconds_bucket{");
				route_labels(out, l, r);
				buf_printf(out, ",le=\"%s\"} %llu\n",
				           b < BUCKETS - 1 ? bound_names[b] : "+Inf",
				           (unsigned long long)cumulative);
			}
			buf_puts(out, "oidcd_http_request_duration_seconds_sum{");
			route_labels(out, l, r);
			buf_printf(out, "} %.6f\n", (double)get(&latency_sum_us[l][r]) / 1e6);
			buf_puts(out, "oidcd_http_request_duration_seconds_count{");
			route_labels(out, l, r);
			buf_printf(out, "} %llu\n", (unsigned long long)cumulative);
		}
	}
}

void
metrics_render(struct buf *out, const char *version, unsigned long long storage_errors,
               const char *extra)
{
	render_requests(out);
	render_latency(out);
	buf_puts(out, "# HELP oidcd_tokens_issued_total Access tokens issued, by grant type.\n"
	              "# TYPE oidcd_tokens_issued_total counter\n");
	for (size_t g = 0; g < METRICS_GRANT_COUNT; g++)
		buf_printf(out, "oidcd_tokens_issued_total{grant_type=\"%s\"} %llu\n",
		           grant_names[g], (unsigned long long)get(&tokens[g]));
	buf_printf(out,
	           "# HELP oidcd_login_failures_total Failed sign-ins (unknown user or wrong "
	           "password).\n# TYPE oidcd_login_failures_total counter\n"
	           "oidcd_login_failures_total %llu\n"
	           "# HELP oidcd_throttled_requests_total Sign-ins and device code entries refused "
	           "by throttling.\n# TYPE oidcd_throttled_requests_total counter\n"
	           "oidcd_throttled_requests_total %llu\n"
	           "# HELP oidcd_database_errors_total Storage operations that failed for the "
	           "database's own reasons (I/O, corruption, busy), not the caller's.\n"
	           "# TYPE oidcd_database_errors_total counter\n"
	           "oidcd_database_errors_total %llu\n"
	           "# HELP oidcd_build_info The running oidcd.\n# TYPE oidcd_build_info gauge\n"
	           "oidcd_build_info{version=\"",
	           (unsigned long long)get(&login_failures), (unsigned long long)get(&throttled),
	           storage_errors);
	put_label(out, version);
	buf_puts(out, "\"} 1\n");
	if (extra != NULL)
		buf_puts(out, extra);
}

void
metrics_reset(void)
{
	for (int l = 0; l < 2; l++) {
		for (size_t r = 0; r < ROUTES_MAX; r++) {
			for (size_t i = 0; i < STATUS_COUNT; i++)
				atomic_store(&requests[l][r][i], 0);
			for (size_t b = 0; b < BUCKETS; b++)
				atomic_store(&latency[l][r][b], 0);
			atomic_store(&latency_sum_us[l][r], 0);
		}
	}
	for (size_t g = 0; g < METRICS_GRANT_COUNT; g++)
		atomic_store(&tokens[g], 0);
	atomic_store(&login_failures, 0);
	atomic_store(&throttled, 0);
}
