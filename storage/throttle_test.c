/*
 * storage/throttle_test.c — login throttling: the lock length per failure
 * (free failures, doubling, cap), counting within a window, a new window
 * once the window and the lock have passed, get/clear, independent keys
 * and policy bounds, on a fresh migrated ":memory:" store; failures of one
 * key from 8 threads on a file under /tmp are all counted.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/test_fixture.h"

#define T0               1700000000
#define THREADS          8
#define FAILS_PER_THREAD 20

/* Five failures a minute, then 1 s, 2 s, 4 s, ... up to 15 minutes. */
static const struct store_throttle_policy policy = {
        .window_secs = 60, .free_failures = 5, .base_lock_secs = 1, .max_lock_secs = 900};

static struct store_throttle
fail_once(struct store *s, const char *key, int64_t now)
{
	struct store_throttle t = {-1, -1, -1};
	struct err err = {0};

	assert_int_equal(store_throttle_fail(s, key, now, &policy, &t, &err), ST_OK);
	return t;
}

static struct store_throttle
get(struct store *s, const char *key, int64_t now)
{
	struct store_throttle t = {-1, -1, -1};
	struct err err = {0};

	assert_int_equal(store_throttle_get(s, key, now, &t, &err), ST_OK);
	return t;
}

static void
test_throttle_lock_secs_is_free_then_doubles_up_to_the_cap(void **state)
{
	(void)state;
	assert_int_equal(store_throttle_lock_secs(&policy, 0), 0);
	assert_int_equal(store_throttle_lock_secs(&policy, 5), 0);
	assert_int_equal(store_throttle_lock_secs(&policy, 6), 1);
	assert_int_equal(store_throttle_lock_secs(&policy, 7), 2);
	assert_int_equal(store_throttle_lock_secs(&policy, 8), 4);
	assert_int_equal(store_throttle_lock_secs(&policy, 15), 512);
	assert_int_equal(store_throttle_lock_secs(&policy, 16), 900);
	assert_int_equal(store_throttle_lock_secs(&policy, 17), 900);
	/* No overflow however many failures. */
	assert_int_equal(store_throttle_lock_secs(&policy, INT64_MAX), 900);
}

static void
test_throttle_lock_secs_with_no_free_failures_locks_at_once(void **state)
{
	const struct store_throttle_policy strict = {
	        .window_secs = 60, .free_failures = 0, .base_lock_secs = 3, .max_lock_secs = 10};

	(void)state;
	assert_int_equal(store_throttle_lock_secs(&strict, 1), 3);
	assert_int_equal(store_throttle_lock_secs(&strict, 2), 6);
	assert_int_equal(store_throttle_lock_secs(&strict, 3), 10);
}

static void
test_throttle_get_of_unknown_key_is_clean(void **state)
{
	struct store_throttle t = get(fixture_store(state), "user:nobody", T0);

	assert_int_equal(t.failures, 0);
	assert_int_equal(t.window_start, 0);
	assert_int_equal(t.locked_until, 0);
}

static void
test_throttle_five_failures_in_a_window_then_growing_locks(void **state)
{
	struct store *s = fixture_store(state);
	struct store_throttle t;
	int i;

	for (i = 1; i <= 5; i++) {
		t = fail_once(s, "user:alice", T0 + i);
		assert_int_equal(t.failures, i);
		assert_int_equal(t.window_start, T0 + 1);
		assert_int_equal(t.locked_until, 0);
	}
	t = fail_once(s, "user:alice", T0 + 10);
	assert_int_equal(t.failures, 6);
	assert_int_equal(t.locked_until, T0 + 11);
	t = fail_once(s, "user:alice", T0 + 11);
	assert_int_equal(t.locked_until, T0 + 13);
	t = fail_once(s, "user:alice", T0 + 13);
	assert_int_equal(t.failures, 8);
	assert_int_equal(t.locked_until, T0 + 17);

	t = get(s, "user:alice", T0 + 14);
	assert_int_equal(t.failures, 8);
	assert_int_equal(t.window_start, T0 + 1);
	assert_int_equal(t.locked_until, T0 + 17);
}

static void
test_throttle_new_window_after_the_window_passed(void **state)
{
	struct store *s = fixture_store(state);
	struct store_throttle t;

	fail_once(s, "user:bob", T0);
	fail_once(s, "user:bob", T0 + 30);
	t = get(s, "user:bob", T0 + 59);
	assert_int_equal(t.failures, 2);
	/* The window started at T0: at T0 + 60 it is over. */
	t = get(s, "user:bob", T0 + 60);
	assert_int_equal(t.failures, 0);
	t = fail_once(s, "user:bob", T0 + 60);
	assert_int_equal(t.failures, 1);
	assert_int_equal(t.window_start, T0 + 60);
	assert_int_equal(t.locked_until, 0);
}

static void
test_throttle_keeps_counting_until_a_window_passed_after_the_lock(void **state)
{
	struct store *s = fixture_store(state);
	struct store_throttle t;
	int i;

	for (i = 0; i < 5; i++)
		fail_once(s, "ip:192.0.2.1", T0);
	t = fail_once(s, "ip:192.0.2.1", T0 + 50); /* the 6th: locked until T0 + 51 */
	assert_int_equal(t.locked_until, T0 + 51);
	/* Past the first window but within a window after the lock: still counting. */
	t = fail_once(s, "ip:192.0.2.1", T0 + 100);
	assert_int_equal(t.failures, 7);
	assert_int_equal(t.window_start, T0);
	assert_int_equal(t.locked_until, T0 + 102);
	/* A whole quiet window after the lock ended: a new start. */
	assert_int_equal(get(s, "ip:192.0.2.1", T0 + 161).failures, 7);
	assert_int_equal(get(s, "ip:192.0.2.1", T0 + 162).failures, 0);
	t = fail_once(s, "ip:192.0.2.1", T0 + 162);
	assert_int_equal(t.failures, 1);
	assert_int_equal(t.locked_until, 0);
}

static void
test_throttle_clear_forgets_and_keys_are_independent(void **state)
{
	struct store *s = fixture_store(state);
	struct err err = {0};
	int i;

	for (i = 0; i < 7; i++) {
		fail_once(s, "user:carol", T0);
		fail_once(s, "ip:198.51.100.7", T0);
	}
	assert_int_equal(store_throttle_clear(s, "user:carol", &err), ST_OK);
	assert_int_equal(get(s, "user:carol", T0).failures, 0);
	assert_int_equal(get(s, "user:carol", T0).locked_until, 0);
	assert_int_equal(get(s, "ip:198.51.100.7", T0).failures, 7);
	/* Clearing a clean key is fine. */
	assert_int_equal(store_throttle_clear(s, "user:carol", &err), ST_OK);
	assert_int_equal(store_throttle_clear(s, "user:never", &err), ST_OK);
	assert_int_equal(fail_once(s, "user:carol", T0 + 1).failures, 1);
}

static void
test_throttle_fail_rejects_a_policy_out_of_bounds(void **state)
{
	static const struct store_throttle_policy bad[] = {
	        {.window_secs = 0,         .free_failures = 5,  .base_lock_secs = 1,  .max_lock_secs = 9},
	        {.window_secs = 60,        .free_failures = -1, .base_lock_secs = 1,  .max_lock_secs = 9},
	        {.window_secs = 60,        .free_failures = 5,  .base_lock_secs = 0,  .max_lock_secs = 9},
	        {.window_secs = 60,        .free_failures = 5,  .base_lock_secs = 10, .max_lock_secs = 9},
	        {.window_secs = 60,
	         .free_failures = 5,
	         .base_lock_secs = 1,
	         .max_lock_secs = INT64_MAX	                                                     },
	        {.window_secs = INT64_MAX,
	         .free_failures = 5,
	         .base_lock_secs = 1,
	         .max_lock_secs = 9	                                                             },
	};
	struct store *s = fixture_store(state);
	struct store_throttle t;
	struct err err = {0};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(store_throttle_fail(s, "user:x", T0, &bad[i], &t, &err),
		                 ST_INVALID);
		assert_int_equal(err.st, ST_INVALID);
	}
	assert_int_equal(get(s, "user:x", T0).failures, 0);
	/* out may be NULL. */
	assert_int_equal(store_throttle_fail(s, "user:x", T0, &policy, NULL, &err), ST_OK);
	assert_int_equal(get(s, "user:x", T0).failures, 1);
}

struct fail_job {
	struct store *s;
	enum status st;
	struct err err;
};

static void *
fail_thread(void *arg)
{
	struct fail_job *job = arg;
	int i;

	job->st = ST_OK;
	for (i = 0; i < FAILS_PER_THREAD && job->st == ST_OK; i++)
		job->st = store_throttle_fail(job->s, "user:target", T0, &policy, NULL, &job->err);
	return NULL;
}

static void
test_throttle_failures_from_8_threads_are_all_counted(void **state)
{
	struct tmpdb t;
	struct fail_job jobs[THREADS];
	pthread_t tids[THREADS];
	struct store *s = NULL;
	int i;

	(void)state;
	tmpdb_make(&t);
	s = tmpdb_open(&t, NULL);
	for (i = 0; i < THREADS; i++) {
		jobs[i] = (struct fail_job){.s = s, .st = ST_IO};
		assert_int_equal(pthread_create(&tids[i], NULL, fail_thread, &jobs[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(tids[i], NULL), 0);
	for (i = 0; i < THREADS; i++) {
		if (jobs[i].st != ST_OK)
			print_error("thread %d: %s\n", i, jobs[i].err.msg);
		assert_int_equal(jobs[i].st, ST_OK);
	}
	assert_int_equal(get(s, "user:target", T0).failures, THREADS * FAILS_PER_THREAD);
	store_close(s);

	tmpdb_remove(&t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_throttle_lock_secs_is_free_then_doubles_up_to_the_cap),
	        T(test_throttle_lock_secs_with_no_free_failures_locks_at_once),
	        T(test_throttle_get_of_unknown_key_is_clean),
	        T(test_throttle_five_failures_in_a_window_then_growing_locks),
	        T(test_throttle_new_window_after_the_window_passed),
	        T(test_throttle_keeps_counting_until_a_window_passed_after_the_lock),
	        T(test_throttle_clear_forgets_and_keys_are_independent),
	        T(test_throttle_fail_rejects_a_policy_out_of_bounds),
	        T(test_throttle_failures_from_8_threads_are_all_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
