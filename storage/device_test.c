/*
 * storage/device_test.c — device authorization grants (RFC 8628): insert
 * and read back by either code, user code collisions, the one-way status
 * moves (pending -> approved | denied -> consumed) each won once, expiry
 * at the caller's now, polls, the cascade when the client goes and the
 * sweep. On a fresh migrated ":memory:" store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/test_fixture.h"

#define T0  1700000000
#define TTL 600

static unsigned char dev1[STORE_HASH_LEN], dev2[STORE_HASH_LEN];
static unsigned char user1[STORE_HASH_LEN], user2[STORE_HASH_LEN];

static int
setup(void **state)
{
	struct store_user u = {.id = "u1",
	                       .username = "u1",
	                       .password_hash = "$scrypt$x",
	                       .claims = "{}",
	                       .created_at = 1,
	                       .updated_at = 1};
	struct store_client c = {.id = "c1", .metadata = "{}", .created_at = 1, .updated_at = 1};
	struct err err = {0};

	if (fixture_setup(state) != 0)
		return -1;
	memset(dev1, 0xd1, sizeof dev1);
	memset(dev2, 0xd2, sizeof dev2);
	memset(user1, 0x01, sizeof user1);
	memset(user2, 0x02, sizeof user2);
	if (store_user_insert(fixture_store(state), &u, &err) != ST_OK ||
	    store_client_insert(fixture_store(state), &c, &err) != ST_OK)
		return -1;
	c.id = "c2";
	return store_client_insert(fixture_store(state), &c, &err) == ST_OK ? 0 : -1;
}

static struct store_device
pending(const unsigned char *dev, const unsigned char *user)
{
	return (struct store_device){.device_code_hash = dev,
	                             .user_code_hash = user,
	                             .client_id = "c1",
	                             .scope = "openid offline_access",
	                             .grant_id = "g1",
	                             .interval_secs = 5,
	                             .created_at = T0,
	                             .expires_at = T0 + TTL};
}

static struct store_device
decision(enum store_device_status status)
{
	return (struct store_device){.status = status,
	                             .user_id = "u1",
	                             .sid = "s1",
	                             .auth_time = T0 + 10,
	                             .acr = "",
	                             .amr = "pwd"};
}

static void
test_device_insert_then_get_by_either_code(void **state)
{
	struct fixture *f = *state;
	struct store_device d = pending(dev1, user1), out;
	struct err err = {0};

	assert_int_equal(store_device_insert(f->s, &d, &err), ST_OK);
	assert_int_equal(store_device_get(f->s, dev1, f->arena, &out, &err), ST_OK);
	assert_memory_equal(out.device_code_hash, dev1, STORE_HASH_LEN);
	assert_memory_equal(out.user_code_hash, user1, STORE_HASH_LEN);
	assert_string_equal(out.client_id, "c1");
	assert_string_equal(out.scope, "openid offline_access");
	assert_string_equal(out.grant_id, "g1");
	assert_int_equal(out.status, STORE_DEVICE_PENDING);
	assert_int_equal(out.interval_secs, 5);
	assert_int_equal(out.last_poll_ms, 0);
	assert_null(out.user_id);
	assert_int_equal(out.expires_at, T0 + TTL);
	assert_int_equal(store_device_get_by_user_code(f->s, user1, f->arena, &out, &err), ST_OK);
	assert_memory_equal(out.device_code_hash, dev1, STORE_HASH_LEN);
	assert_int_equal(store_device_get(f->s, dev2, f->arena, &out, &err), ST_NOT_FOUND);
	assert_int_equal(store_device_get_by_user_code(f->s, user2, f->arena, &out, &err),
	                 ST_NOT_FOUND);
}

static void
test_device_user_code_collision_is_conflict_and_unknown_client_invalid(void **state)
{
	struct fixture *f = *state;
	struct store_device d = pending(dev1, user1);
	struct err err = {0};

	assert_int_equal(store_device_insert(f->s, &d, &err), ST_OK);
	d.device_code_hash = dev2; /* same user code */
	assert_int_equal(store_device_insert(f->s, &d, &err), ST_CONFLICT);
	d.user_code_hash = user2;
	d.client_id = "nobody";
	assert_int_equal(store_device_insert(f->s, &d, &err), ST_INVALID);
}

static void
test_device_approve_then_consume_once_with_the_user_fields(void **state)
{
	struct fixture *f = *state;
	struct store_device d = pending(dev1, user1), yes = decision(STORE_DEVICE_APPROVED), out;
	struct err err = {0};

	assert_int_equal(store_device_insert(f->s, &d, &err), ST_OK);
	/* Not approved yet: nothing to consume. */
	assert_int_equal(store_device_consume(f->s, dev1, "c1", T0 + 1, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_device_decide(f->s, user1, T0 + 10, &yes, &err), ST_OK);
	/* Decided once: a second decision (another tab) finds nothing pending. */
	assert_int_equal(store_device_decide(f->s, user1, T0 + 11, &yes, &err), ST_NOT_FOUND);
	/* Another client's poll does not take it. */
	assert_int_equal(store_device_consume(f->s, dev1, "c2", T0 + 12, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_device_consume(f->s, dev1, "c1", T0 + 12, f->arena, &out, &err),
	                 ST_OK);
	assert_int_equal(out.status, STORE_DEVICE_CONSUMED); /* RETURNING: the row as updated */
	assert_string_equal(out.user_id, "u1");
	assert_string_equal(out.sid, "s1");
	assert_int_equal(out.auth_time, T0 + 10);
	assert_string_equal(out.amr, "pwd");
	assert_string_equal(out.grant_id, "g1");
	assert_int_equal(store_device_consume(f->s, dev1, "c1", T0 + 13, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_device_get(f->s, dev1, f->arena, &out, &err), ST_OK);
	assert_int_equal(out.status, STORE_DEVICE_CONSUMED);
}

static void
test_device_denied_is_never_consumed(void **state)
{
	struct fixture *f = *state;
	struct store_device d = pending(dev1, user1), no = decision(STORE_DEVICE_DENIED), out;
	struct err err = {0};

	assert_int_equal(store_device_insert(f->s, &d, &err), ST_OK);
	assert_int_equal(store_device_decide(f->s, user1, T0 + 10, &no, &err), ST_OK);
	assert_int_equal(store_device_consume(f->s, dev1, "c1", T0 + 12, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_device_get(f->s, dev1, f->arena, &out, &err), ST_OK);
	assert_int_equal(out.status, STORE_DEVICE_DENIED);
}

static void
test_device_expired_cannot_be_decided_or_consumed(void **state)
{
	struct fixture *f = *state;
	struct store_device d = pending(dev1, user1), yes = decision(STORE_DEVICE_APPROVED), out;
	struct err err = {0};

	assert_int_equal(store_device_insert(f->s, &d, &err), ST_OK);
	assert_int_equal(store_device_decide(f->s, user1, T0 + TTL, &yes, &err), ST_NOT_FOUND);
	assert_int_equal(store_device_decide(f->s, user1, T0 + TTL - 1, &yes, &err), ST_OK);
	assert_int_equal(store_device_consume(f->s, dev1, "c1", T0 + TTL, f->arena, &out, &err),
	                 ST_NOT_FOUND);
}

static void
test_device_poll_records_time_and_interval_of_pending_only(void **state)
{
	struct fixture *f = *state;
	struct store_device d = pending(dev1, user1), yes = decision(STORE_DEVICE_APPROVED), out;
	struct err err = {0};

	assert_int_equal(store_device_insert(f->s, &d, &err), ST_OK);
	assert_int_equal(store_device_poll(f->s, dev1, 1700000001234, 10, &err), ST_OK);
	assert_int_equal(store_device_get(f->s, dev1, f->arena, &out, &err), ST_OK);
	assert_int_equal(out.last_poll_ms, 1700000001234);
	assert_int_equal(out.interval_secs, 10);
	assert_int_equal(store_device_decide(f->s, user1, T0 + 10, &yes, &err), ST_OK);
	assert_int_equal(store_device_poll(f->s, dev1, 1700000009999, 15, &err), ST_OK);
	assert_int_equal(store_device_get(f->s, dev1, f->arena, &out, &err), ST_OK);
	assert_int_equal(out.last_poll_ms, 1700000001234); /* decided: polls no longer recorded */
}

static void
test_device_goes_with_its_client_and_with_the_sweep(void **state)
{
	struct fixture *f = *state;
	struct store_device d = pending(dev1, user1), out;
	struct err err = {0};
	int64_t deleted = 0;

	assert_int_equal(store_device_insert(f->s, &d, &err), ST_OK);
	d = pending(dev2, user2);
	d.client_id = "c2";
	assert_int_equal(store_device_insert(f->s, &d, &err), ST_OK);
	assert_int_equal(store_client_delete(f->s, "c2", NULL, &err), ST_OK);
	assert_int_equal(store_device_get(f->s, dev2, f->arena, &out, &err), ST_NOT_FOUND);
	assert_int_equal(store_sweep(f->s, T0 + TTL - 1, 100, &deleted, &err), ST_OK);
	assert_int_equal(store_device_get(f->s, dev1, f->arena, &out, &err), ST_OK);
	assert_int_equal(store_sweep(f->s, T0 + TTL, 100, &deleted, &err), ST_OK);
	assert_int_equal(store_device_get(f->s, dev1, f->arena, &out, &err), ST_NOT_FOUND);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_device_insert_then_get_by_either_code),
	        T(test_device_user_code_collision_is_conflict_and_unknown_client_invalid),
	        T(test_device_approve_then_consume_once_with_the_user_fields),
	        T(test_device_denied_is_never_consumed),
	        T(test_device_expired_cannot_be_decided_or_consumed),
	        T(test_device_poll_records_time_and_interval_of_pending_only),
	        T(test_device_goes_with_its_client_and_with_the_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
