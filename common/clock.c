/*
 * common/clock.c — see clock.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "common/clock.h"

#include <stddef.h>
#include <time.h>

int64_t
clock_now(const struct clock *c)
{
	if (c != NULL && c->fixed_secs != 0)
		return c->fixed_secs;
	return (int64_t)time(NULL);
}

int64_t
clock_now_ms(const struct clock *c)
{
	struct timespec ts;

	if (c != NULL && c->fixed_secs != 0)
		return c->fixed_secs * 1000;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}
