/*
 * common/clock.h — the current time behind a struct, so tests can set it.
 * SQL never calls 'now': every expiry check takes clock_now(app->clock).
 */
#ifndef COMMON_CLOCK_H
#define COMMON_CLOCK_H

#include <stdint.h>

struct clock {
	int64_t fixed_secs; /* when non-zero, clock_now() returns it (tests) */
};

/* Unix seconds. */
int64_t clock_now(const struct clock *c);
/* Unix milliseconds (fixed_secs * 1000 in tests). */
int64_t clock_now_ms(const struct clock *c);
/* Monotonic milliseconds, for measuring durations. */
double clock_mono_ms(void);

#endif
