/*
 * storage/jtis_test.c — store_jti_use: a jti is accepted once per client
 * until it expires, then again; other clients' jtis are separate; the sweep
 * removes expired rows only. On a fresh migrated ":memory:" store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/err.h"
#include "storage/store.h"
#include "storage/test_fixture.h"

#define NOW 1700000000

static void
test_jti_use_twice_is_conflict(void **state)
{
	struct store *s = fixture_store(state);
	struct err err = {0};

	assert_int_equal(store_jti_use(s, "c1", "j1", NOW + 60, NOW, &err), ST_OK);
	assert_int_equal(store_jti_use(s, "c1", "j1", NOW + 60, NOW + 1, &err), ST_CONFLICT);
	/* Still refused one second before expiry, even with a later expiry asked for. */
	assert_int_equal(store_jti_use(s, "c1", "j1", NOW + 600, NOW + 59, &err), ST_CONFLICT);
}

static void
test_jti_use_is_per_client(void **state)
{
	struct store *s = fixture_store(state);
	struct err err = {0};

	assert_int_equal(store_jti_use(s, "c1", "j1", NOW + 60, NOW, &err), ST_OK);
	assert_int_equal(store_jti_use(s, "c2", "j1", NOW + 60, NOW, &err), ST_OK);
	assert_int_equal(store_jti_use(s, "c1", "j2", NOW + 60, NOW, &err), ST_OK);
}

static void
test_jti_use_after_expiry_is_accepted_again(void **state)
{
	struct store *s = fixture_store(state);
	struct err err = {0};

	assert_int_equal(store_jti_use(s, "c1", "j1", NOW + 60, NOW, &err), ST_OK);
	assert_int_equal(store_jti_use(s, "c1", "j1", NOW + 200, NOW + 60, &err), ST_OK);
	/* The taken-over row carries the new expiry. */
	assert_int_equal(store_jti_use(s, "c1", "j1", NOW + 300, NOW + 199, &err), ST_CONFLICT);
}

static void
test_sweep_removes_expired_jtis_only(void **state)
{
	struct store *s = fixture_store(state);
	struct err err = {0};
	int64_t deleted = -1;

	assert_int_equal(store_jti_use(s, "c1", "old", NOW + 10, NOW, &err), ST_OK);
	assert_int_equal(store_jti_use(s, "c1", "live", NOW + 100, NOW, &err), ST_OK);
	assert_int_equal(store_sweep(s, NOW + 10, 100, &deleted, &err), ST_OK);
	assert_int_equal(deleted, 1);
	assert_int_equal(store_sweep(s, NOW + 10, 100, &deleted, &err), ST_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(store_jti_use(s, "c1", "live", NOW + 100, NOW + 10, &err), ST_CONFLICT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_jti_use_twice_is_conflict, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_jti_use_is_per_client, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_jti_use_after_expiry_is_accepted_again,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_sweep_removes_expired_jtis_only, fixture_setup,
	                                        fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
