/*
 * storage/sessions_test.c — login sessions: insert and the active lookup
 * by cookie hash (ended and expired ones are not found), lookup by sid in
 * any state, ending one session and every session of a user, conflicts,
 * the foreign key to users and the hash length check, on a fresh migrated
 * ":memory:" store.
 */
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/test_fixture.h"

#define T0  1700000000 /* created_at of every session */
#define TTL 3600

static void
user_add(struct store *s, const char *id)
{
	struct store_user u = {.id = id,
	                       .username = id,
	                       .password_hash = "$scrypt$x",
	                       .claims = "{}",
	                       .created_at = 1,
	                       .updated_at = 1};
	struct err err = {0};

	assert_int_equal(store_user_insert(s, &u, &err), ST_OK);
}

static int
setup(void **state)
{
	if (fixture_setup(state) != 0)
		return -1;
	user_add(fixture_store(state), "u1");
	user_add(fixture_store(state), "u2");
	return 0;
}

/* A recognisable hash: every byte is b. */
static void
hash_fill(unsigned char *hash, unsigned char b)
{
	memset(hash, b, STORE_HASH_LEN);
}

/* Inserts session sid of user, whose cookie hash is all b, expiring at T0 + TTL. */
static void
session_add(struct store *s, unsigned char b, const char *sid, const char *user_id)
{
	unsigned char hash[STORE_HASH_LEN];
	struct store_session sess = {.id_hash = hash,
	                             .sid = sid,
	                             .user_id = user_id,
	                             .auth_time = T0 - 5,
	                             .amr = "pwd",
	                             .acr = "0",
	                             .created_at = T0,
	                             .expires_at = T0 + TTL};
	struct err err = {0};

	hash_fill(hash, b);
	assert_int_equal(store_session_insert(s, &sess, &err), ST_OK);
}

static enum status
get_active(struct fixture *f, unsigned char b, int64_t now, struct store_session *out)
{
	unsigned char hash[STORE_HASH_LEN];
	struct err err = {0};

	hash_fill(hash, b);
	return store_session_get_active(f->s, hash, now, f->arena, out, &err);
}

static void
test_session_insert_then_get_active_returns_every_field(void **state)
{
	struct fixture *f = *state;
	unsigned char want[STORE_HASH_LEN];
	struct store_session out;

	session_add(f->s, 0x11, "sid-1", "u1");
	assert_int_equal(get_active(f, 0x11, T0 + 1, &out), ST_OK);
	hash_fill(want, 0x11);
	assert_memory_equal(out.id_hash, want, STORE_HASH_LEN);
	assert_string_equal(out.sid, "sid-1");
	assert_string_equal(out.user_id, "u1");
	assert_int_equal(out.auth_time, T0 - 5);
	assert_string_equal(out.amr, "pwd");
	assert_string_equal(out.acr, "0");
	assert_int_equal(out.created_at, T0);
	assert_int_equal(out.expires_at, T0 + TTL);
	assert_int_equal(out.ended_at, 0);
}

static void
test_session_get_active_is_not_found_from_expires_at_on(void **state)
{
	struct fixture *f = *state;
	struct store_session out = {.sid = "untouched"};

	session_add(f->s, 0x12, "sid-1", "u1");
	assert_int_equal(get_active(f, 0x12, T0 + TTL - 1, &out), ST_OK);
	out.sid = "untouched";
	assert_int_equal(get_active(f, 0x12, T0 + TTL, &out), ST_NOT_FOUND);
	assert_int_equal(get_active(f, 0x12, T0 + TTL + 1, &out), ST_NOT_FOUND);
	assert_string_equal(out.sid, "untouched");
}

static void
test_session_get_active_of_unknown_hash_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct store_session out;

	session_add(f->s, 0x13, "sid-1", "u1");
	assert_int_equal(get_active(f, 0x14, T0, &out), ST_NOT_FOUND);
}

static void
test_session_insert_conflicts_on_hash_or_sid_and_needs_the_user(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_session sess = {.id_hash = hash,
	                             .sid = "sid-1",
	                             .user_id = "u1",
	                             .amr = "pwd",
	                             .acr = "0",
	                             .created_at = T0,
	                             .expires_at = T0 + TTL};
	struct store_session out;
	struct err err = {0};

	session_add(f->s, 0x15, "sid-1", "u1");
	hash_fill(hash, 0x15); /* same hash, other sid */
	sess.sid = "sid-2";
	assert_int_equal(store_session_insert(f->s, &sess, &err), ST_CONFLICT);
	hash_fill(hash, 0x16); /* other hash, same sid */
	sess.sid = "sid-1";
	assert_int_equal(store_session_insert(f->s, &sess, &err), ST_CONFLICT);
	assert_int_equal(err.st, ST_CONFLICT);
	sess.sid = "sid-3";
	sess.user_id = "nobody";
	assert_int_equal(store_session_insert(f->s, &sess, &err), ST_INVALID);
	assert_int_equal(get_active(f, 0x16, T0, &out), ST_NOT_FOUND);
}

static void
test_session_get_by_sid_returns_it_in_any_state(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_session out;
	struct err err = {0};

	session_add(f->s, 0x17, "sid-1", "u1");
	assert_int_equal(store_session_get_by_sid(f->s, "sid-1", f->arena, &out, &err), ST_OK);
	assert_string_equal(out.user_id, "u1");
	assert_int_equal(out.ended_at, 0);

	hash_fill(hash, 0x17);
	assert_int_equal(store_session_end(f->s, hash, T0 + 10, NULL, NULL, &err), ST_OK);
	assert_int_equal(store_session_get_by_sid(f->s, "sid-1", f->arena, &out, &err), ST_OK);
	assert_int_equal(out.ended_at, T0 + 10);

	assert_int_equal(store_session_get_by_sid(f->s, "sid-x", f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(err.st, ST_NOT_FOUND);
}

static void
test_session_end_returns_it_ended_and_only_once(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_session out = {0};
	struct err err = {0};

	session_add(f->s, 0x18, "sid-1", "u1");
	session_add(f->s, 0x19, "sid-2", "u1");
	hash_fill(hash, 0x18);
	assert_int_equal(store_session_end(f->s, hash, T0 + 20, f->arena, &out, &err), ST_OK);
	assert_string_equal(out.sid, "sid-1");
	assert_string_equal(out.user_id, "u1");
	assert_int_equal(out.ended_at, T0 + 20);
	assert_int_equal(out.expires_at, T0 + TTL);

	assert_int_equal(get_active(f, 0x18, T0 + 21, &out), ST_NOT_FOUND);
	assert_int_equal(store_session_end(f->s, hash, T0 + 22, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	/* The first end stands. */
	assert_int_equal(store_session_get_by_sid(f->s, "sid-1", f->arena, &out, &err), ST_OK);
	assert_int_equal(out.ended_at, T0 + 20);
	/* The other session of the user is untouched. */
	assert_int_equal(get_active(f, 0x19, T0 + 21, &out), ST_OK);
}

static void
test_session_end_of_expired_or_unknown_is_not_found(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_session out;
	struct err err = {0};

	session_add(f->s, 0x1a, "sid-1", "u1");
	hash_fill(hash, 0x1a);
	assert_int_equal(store_session_end(f->s, hash, T0 + TTL, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_session_get_by_sid(f->s, "sid-1", f->arena, &out, &err), ST_OK);
	assert_int_equal(out.ended_at, 0);
	hash_fill(hash, 0x1b);
	assert_int_equal(store_session_end(f->s, hash, T0, f->arena, &out, &err), ST_NOT_FOUND);
}

static void
test_session_end_user_ends_every_active_session_of_that_user(void **state)
{
	static const char *untouched[1];
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_session out;
	const char **sids = NULL;
	struct err err = {0};
	size_t n = 0;
	bool seen_a = false, seen_b = false;

	session_add(f->s, 0x21, "sid-a", "u1");
	session_add(f->s, 0x22, "sid-b", "u1");
	session_add(f->s, 0x23, "sid-ended", "u1");
	session_add(f->s, 0x24, "sid-other", "u2");
	hash_fill(hash, 0x23);
	assert_int_equal(store_session_end(f->s, hash, T0 + 1, f->arena, NULL, &err), ST_OK);

	assert_int_equal(store_session_end_user(f->s, "u1", T0 + 5, f->arena, &sids, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		seen_a |= strcmp(sids[i], "sid-a") == 0;
		seen_b |= strcmp(sids[i], "sid-b") == 0;
	}
	assert_true(seen_a && seen_b);
	assert_int_equal(get_active(f, 0x21, T0 + 6, &out), ST_NOT_FOUND);
	assert_int_equal(get_active(f, 0x22, T0 + 6, &out), ST_NOT_FOUND);
	/* An ended session keeps its first ended_at; another user's stays active. */
	assert_int_equal(store_session_get_by_sid(f->s, "sid-ended", f->arena, &out, &err), ST_OK);
	assert_int_equal(out.ended_at, T0 + 1);
	assert_int_equal(get_active(f, 0x24, T0 + 6, &out), ST_OK);

	/* Nothing left to end: not an error; the out-pointers may be NULL. */
	sids = untouched;
	assert_int_equal(store_session_end_user(f->s, "u1", T0 + 7, f->arena, &sids, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 0);
	assert_null(sids);
	assert_int_equal(store_session_end_user(f->s, "u2", T0 + 7, NULL, NULL, &n, &err), ST_OK);
	assert_int_equal(n, 1);
	assert_int_equal(get_active(f, 0x24, T0 + 8, &out), ST_NOT_FOUND);
}

static void
test_session_end_user_leaves_expired_sessions_alone(void **state)
{
	struct fixture *f = *state;
	struct store_session out;
	struct err err = {0};
	size_t n = 99;

	session_add(f->s, 0x25, "sid-1", "u1");
	assert_int_equal(store_session_end_user(f->s, "u1", T0 + TTL, f->arena, NULL, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_session_get_by_sid(f->s, "sid-1", f->arena, &out, &err), ST_OK);
	assert_int_equal(out.ended_at, 0);
}

static void
test_session_schema_refuses_hash_of_wrong_length(void **state)
{
	struct fixture *f = *state;
	char sql[256];

	snprintf(sql, sizeof sql,
	         "INSERT INTO sessions VALUES (%s, 's', 'u1', 1, 'pwd', '0', 1, 2, NULL)",
	         fixture_is_pg(f->s) ? "decode(repeat('00', 31), 'hex')" : "zeroblob(31)");
	assert_int_equal(fixture_exec(f->s, sql), DB_CONSTRAINT);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_session_insert_then_get_active_returns_every_field),
	        T(test_session_get_active_is_not_found_from_expires_at_on),
	        T(test_session_get_active_of_unknown_hash_is_not_found),
	        T(test_session_insert_conflicts_on_hash_or_sid_and_needs_the_user),
	        T(test_session_get_by_sid_returns_it_in_any_state),
	        T(test_session_end_returns_it_ended_and_only_once),
	        T(test_session_end_of_expired_or_unknown_is_not_found),
	        T(test_session_end_user_ends_every_active_session_of_that_user),
	        T(test_session_end_user_leaves_expired_sessions_alone),
	        T(test_session_schema_refuses_hash_of_wrong_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
