/*
 * server/metrics.h — counters for GET /admin/metrics/prometheus (the
 * Prometheus text exposition format 0.0.4): requests by route and status,
 * latency histograms by route, tokens issued by grant type, failed and
 * throttled logins, storage errors, build info; gauges read from storage at
 * scrape time are the caller's (metrics_render's extra).
 *
 * Counters are process-wide relaxed atomics: recording is lock-free and
 * costs a few increments; a scrape reads them without stopping anyone (a
 * scrape may see a request counted and its histogram not yet, never less
 * than what was answered before the scrape began).
 */
#ifndef SERVER_METRICS_H
#define SERVER_METRICS_H

#include <stdbool.h>

#include "common/buf.h"
#include "server/router.h"

enum metrics_grant {
	METRICS_GRANT_CODE = 0,
	METRICS_GRANT_REFRESH,
	METRICS_GRANT_CLIENT_CREDENTIALS,
	METRICS_GRANT_DEVICE,
	METRICS_GRANT_IMPLICIT, /* tokens from the authorization endpoint (implicit, hybrid) */
	METRICS_GRANT_COUNT,
};

/*
 * One answered request: route (NULL when no route matched) of the admin or
 * the public table, its status and how long it took, in seconds.
 */
void metrics_request(const struct route *route, bool is_admin, int status, double seconds);

void metrics_token_issued(enum metrics_grant grant);
void metrics_login_failure(void);
void metrics_throttled(void);

/* Appends every metric to out; extra (may be NULL) is appended as it is (gauges of the caller). */
void metrics_render(struct buf *out, const char *version, unsigned long long storage_errors,
                    const char *extra);

/* Zeroes every counter (tests). */
void metrics_reset(void);

#endif
