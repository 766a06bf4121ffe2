/*
 * storage/sweep_test.c — store_sweep: what expired at now goes from every
 * table and what is still live stays (ended sessions and revoked tokens
 * until their expiry, consents without expiry forever), batches of at most
 * batch_limit rows per table and call, and a sweep run as a group-commit
 * write, on a fresh migrated ":memory:" store (the last on a file under
 * /tmp).
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
#include <unistd.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/test_fixture.h"

#define T0  1700000000  /* created_at of every row */
#define NOW (T0 + 1000) /* when the tests sweep */

/* User u1, clients c1 and c2. */
static enum status
seed(struct store *s, struct err *err)
{
	struct store_user u = {.id = "u1",
	                       .username = "u1",
	                       .password_hash = "$scrypt$x",
	                       .claims = "{}",
	                       .created_at = 1,
	                       .updated_at = 1};
	struct store_client c1 = {.id = "c1", .metadata = "{}", .created_at = 1, .updated_at = 1};
	struct store_client c2 = {.id = "c2", .metadata = "{}", .created_at = 1, .updated_at = 1};
	enum status st;

	st = store_user_insert(s, &u, err);
	if (st == ST_OK)
		st = store_client_insert(s, &c1, err);
	if (st == ST_OK)
		st = store_client_insert(s, &c2, err);
	return st;
}

static int
setup(void **state)
{
	struct err err = {0};

	if (fixture_setup(state) != 0)
		return -1;
	return seed(fixture_store(state), &err) == ST_OK ? 0 : -1;
}

/* A hash unique to (table tag, i). */
static void
hash_make(unsigned char *hash, unsigned char tag, int i)
{
	memset(hash, tag, STORE_HASH_LEN);
	hash[0] = (unsigned char)i;
	hash[1] = (unsigned char)(i >> 8);
}

static int64_t
count(struct store *s, const char *table)
{
	char sql[64];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	return fixture_query_int(s, sql);
}

static void
session_add(struct store *s, int i, int64_t expires_at, int64_t ended_at)
{
	unsigned char hash[STORE_HASH_LEN];
	char sid[16];
	struct store_session sess = {.id_hash = hash,
	                             .sid = sid,
	                             .user_id = "u1",
	                             .auth_time = T0,
	                             .amr = "pwd",
	                             .acr = "0",
	                             .created_at = T0,
	                             .expires_at = expires_at,
	                             .ended_at = ended_at};
	struct err err = {0};

	hash_make(hash, 0x10, i);
	snprintf(sid, sizeof sid, "sid-%d", i);
	assert_int_equal(store_session_insert(s, &sess, &err), ST_OK);
}

static void
code_add(struct store *s, int i, int64_t expires_at)
{
	unsigned char hash[STORE_HASH_LEN];
	struct store_code code = {.code_hash = hash,
	                          .client_id = "c1",
	                          .user_id = "u1",
	                          .redirect_uri = "https://rp.example/cb",
	                          .scope = "openid",
	                          .created_at = T0,
	                          .expires_at = expires_at};
	struct err err = {0};

	hash_make(hash, 0x20, i);
	assert_int_equal(store_code_insert(s, &code, &err), ST_OK);
}

/* Inserts code i valid until NOW + 1 and consumes it, remembered until used_until. */
static void
used_code_add(struct store *s, int i, int64_t used_until)
{
	unsigned char hash[STORE_HASH_LEN];
	struct arena *a = arena_new();
	struct store_code out;
	struct err err = {0};

	code_add(s, i, NOW + 1);
	hash_make(hash, 0x20, i);
	assert_int_equal(store_code_consume(s, hash, T0, "g", used_until, a, &out, &err), ST_OK);
	arena_free(a);
}

static void
token_add(struct store *s, int i, int64_t expires_at, int64_t revoked_at)
{
	unsigned char hash[STORE_HASH_LEN];
	struct store_token t = {.token_hash = hash,
	                        .kind = STORE_TOKEN_ACCESS,
	                        .grant_id = "g",
	                        .client_id = "c1",
	                        .scope = "api",
	                        .created_at = T0,
	                        .expires_at = expires_at,
	                        .revoked_at = revoked_at};
	struct err err = {0};

	hash_make(hash, 0x30, i);
	assert_int_equal(store_token_insert(s, &t, 1, &err), ST_OK);
}

static void
consent_add(struct store *s, const char *client_id, int64_t expires_at)
{
	struct store_consent c = {.user_id = "u1",
	                          .client_id = client_id,
	                          .scopes = "openid",
	                          .granted_at = T0,
	                          .expires_at = expires_at};
	struct err err = {0};

	assert_int_equal(store_consent_upsert(s, &c, &err), ST_OK);
}

static int64_t
sweep(struct store *s, int64_t now, int64_t batch_limit)
{
	struct err err = {0};
	int64_t n = -1;

	assert_int_equal(store_sweep(s, now, batch_limit, &n, &err), ST_OK);
	return n;
}

static void
test_sweep_deletes_what_expired_and_keeps_what_is_live(void **state)
{
	static const struct store_throttle_policy policy = {
	        .window_secs = 60, .free_failures = 5, .base_lock_secs = 1, .max_lock_secs = 900};
	struct store *s = fixture_store(state);
	struct err err = {0};
	int i;

	session_add(s, 1, NOW, 0);             /* expired at now: goes */
	session_add(s, 2, NOW - 500, T0 + 10); /* ended and expired: goes */
	session_add(s, 3, NOW + 1, T0 + 10);   /* ended, not expired: stays */
	session_add(s, 4, NOW + 1, 0);         /* active: stays */
	code_add(s, 1, NOW - 1);               /* goes */
	code_add(s, 2, NOW + 1);               /* stays */
	used_code_add(s, 3, NOW);              /* its used_codes row goes */
	used_code_add(s, 4, NOW + 1);          /* stays */
	token_add(s, 1, NOW - 1, 0);           /* expired: goes */
	token_add(s, 2, NOW - 1, T0 + 5);      /* revoked and expired: goes */
	token_add(s, 3, NOW + 60, T0 + 5);     /* revoked, not expired: stays */
	token_add(s, 4, NOW + 60, 0);          /* live: stays */
	consent_add(s, "c1", NOW);             /* expired: goes */
	consent_add(s, "c2", 0);               /* never expires: stays */
	for (i = 0; i < 6; i++)                /* locked until T0 + 1, row until T0 + 61 */
		assert_int_equal(store_throttle_fail(s, "user:old", T0, &policy, NULL, &err),
		                 ST_OK);
	assert_int_equal(store_throttle_fail(s, "user:new", NOW - 10, &policy, NULL, &err), ST_OK);

	assert_int_equal(sweep(s, NOW, 100), 2 + 1 + 1 + 2 + 1 + 1);
	assert_int_equal(count(s, "sessions"), 2);
	assert_int_equal(count(s, "auth_codes"), 1);
	assert_int_equal(count(s, "used_codes"), 1);
	assert_int_equal(count(s, "tokens"), 2);
	assert_int_equal(count(s, "consents"), 1);
	assert_int_equal(count(s, "login_attempts"), 1);
	assert_int_equal(sweep(s, NOW, 100), 0);

	/* Much later everything with an expiry goes; the consent without one stays. */
	assert_int_equal(sweep(s, NOW + 100000, 100), 2 + 1 + 1 + 2 + 1);
	assert_int_equal(count(s, "consents"), 1);
	assert_int_equal(count(s, "users"), 1);
	assert_int_equal(count(s, "clients"), 2);
}

static void
test_sweep_takes_at_most_batch_limit_rows_per_table(void **state)
{
	struct store *s = fixture_store(state);
	int i;

	for (i = 0; i < 25; i++) {
		code_add(s, i, NOW - 1);
		token_add(s, i, NOW - 1, 0);
	}
	code_add(s, 100, NOW + 1);
	token_add(s, 100, NOW + 1, 0);

	assert_int_equal(sweep(s, NOW, 10), 20);
	assert_int_equal(count(s, "auth_codes"), 16);
	assert_int_equal(count(s, "tokens"), 16);
	assert_int_equal(sweep(s, NOW, 10), 20);
	assert_int_equal(sweep(s, NOW, 10), 10);
	assert_int_equal(sweep(s, NOW, 10), 0);
	assert_int_equal(count(s, "auth_codes"), 1);
	assert_int_equal(count(s, "tokens"), 1);
}

static void
test_sweep_of_an_empty_store_deletes_nothing(void **state)
{
	assert_int_equal(sweep(fixture_store(state), NOW, 1), 0);
}

static void
test_sweep_rejects_a_batch_limit_below_1(void **state)
{
	struct store *s = fixture_store(state);
	struct err err = {0};
	int64_t n = 42;

	code_add(s, 1, NOW - 1);
	assert_int_equal(store_sweep(s, NOW, 0, &n, &err), ST_INVALID);
	assert_int_equal(err.st, ST_INVALID);
	assert_int_equal(store_sweep(s, NOW, -5, &n, &err), ST_INVALID);
	assert_int_equal(n, 42);
	assert_int_equal(count(s, "auth_codes"), 1);
}

struct sweep_arg {
	int64_t deleted;
};

static enum status
sweep_fn(struct store *s, void *arg, struct err *err)
{
	struct sweep_arg *a = arg;

	return store_sweep(s, NOW, 5, &a->deleted, err);
}

static void
test_sweep_runs_as_a_group_commit_write(void **state)
{
	struct tmpdb t;
	struct sweep_arg a = {.deleted = -1};
	struct store *s = NULL;
	struct err err = {0};
	int i;

	(void)state;
	tmpdb_make(&t);
	s = tmpdb_open(&t, NULL);
	assert_int_equal(seed(s, &err), ST_OK);
	for (i = 0; i < 7; i++)
		token_add(s, i, NOW - 1, 0);
	assert_int_equal(store_writer_start(s, &err), ST_OK);
	assert_int_equal(store_write_sync(s, sweep_fn, &a, &err), ST_OK);
	assert_int_equal(a.deleted, 5);
	assert_int_equal(store_write_sync(s, sweep_fn, &a, &err), ST_OK);
	assert_int_equal(a.deleted, 2);
	assert_int_equal(count(s, "tokens"), 0);
	store_close(s);

	tmpdb_remove(&t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_sweep_deletes_what_expired_and_keeps_what_is_live),
	        T(test_sweep_takes_at_most_batch_limit_rows_per_table),
	        T(test_sweep_of_an_empty_store_deletes_nothing),
	        T(test_sweep_rejects_a_batch_limit_below_1),
	        T(test_sweep_runs_as_a_group_commit_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
