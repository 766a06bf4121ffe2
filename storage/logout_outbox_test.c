/*
 * storage/logout_outbox_test.c — the back-channel logout outbox: insert,
 * claims (due rows only, leased: not claimed again until the lease ends or
 * the row is released; threads claiming at once take each row once),
 * retry and giving up, done, the pending count per
 * session, the operator list, the clients of a session (tokens and codes),
 * client deletion cascading, and the sweep. On a fresh ":memory:" store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/test_fixture.h"

#define NOW    1700000000
#define NOW_MS ((int64_t)NOW * 1000)
#define LEASE  60000

static void
client_add(struct store *s, const char *id)
{
	struct store_client c = {.id = id, .metadata = "{}", .created_at = 1, .updated_at = 1};
	struct err err = {0};

	assert_int_equal(store_client_insert(s, &c, &err), ST_OK);
}

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
	client_add(fixture_store(state), "c1");
	client_add(fixture_store(state), "c2");
	client_add(fixture_store(state), "c3");
	user_add(fixture_store(state), "u1");
	return 0;
}

static struct arena *
arena_of(void **state)
{
	return ((struct fixture *)*state)->arena;
}

/* Inserts delivery id for (sid, client) due at due_ms. */
static void
add(struct store *s, const char *id, const char *sid, const char *client, int64_t due_ms)
{
	struct store_logout_delivery d = {
	        .id = id,
	        .sid = sid,
	        .client_id = client,
	        .uri = "http://127.0.0.1:9/bc",
	        .logout_token = "a.b.c",
	        .created_at = NOW,
	        .next_attempt_at_ms = due_ms,
	        .expires_at = NOW + 86400,
	};
	struct err err = {0};

	assert_int_equal(store_logout_delivery_insert(s, &d, &err), ST_OK);
}

static void
test_insert_twice_is_conflict_and_unknown_client_invalid(void **state)
{
	struct store *s = fixture_store(state);
	struct store_logout_delivery d = {.id = "j1",
	                                  .sid = "s1",
	                                  .client_id = "nope",
	                                  .uri = "https://rp/bc",
	                                  .logout_token = "t",
	                                  .created_at = NOW,
	                                  .next_attempt_at_ms = NOW_MS,
	                                  .expires_at = NOW + 1};
	struct err err = {0};

	add(s, "j1", "s1", "c1", NOW_MS);
	d.client_id = "c2";
	assert_int_equal(store_logout_delivery_insert(s, &d, &err), ST_CONFLICT);
	d.id = "j2";
	d.client_id = "nope";
	assert_int_equal(store_logout_delivery_insert(s, &d, &err), ST_INVALID);
}

static void
test_claim_returns_only_due_rows_oldest_first(void **state)
{
	struct store *s = fixture_store(state);
	struct store_logout_delivery *rows = NULL;
	size_t n = 0;
	struct err err = {0};

	add(s, "late", "s1", "c1", NOW_MS + 5000);
	add(s, "b", "s1", "c2", NOW_MS - 10);
	add(s, "a", "s2", "c1", NOW_MS - 20);
	assert_int_equal(
	        store_logout_delivery_claim(s, NOW_MS, LEASE, 10, arena_of(state), &rows, &n, &err),
	        ST_OK);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].id, "a");
	assert_string_equal(rows[1].id, "b");
	assert_string_equal(rows[1].client_id, "c2");
	assert_string_equal(rows[1].logout_token, "a.b.c");
	assert_int_equal(rows[1].attempts, 0);
	assert_int_equal(rows[1].failed_at, 0);
	assert_int_equal(rows[1].next_attempt_at_ms, NOW_MS + LEASE); /* the lease's end */
	assert_null(rows[1].last_error);
	assert_int_equal(
	        store_logout_delivery_claim(s, NOW_MS, LEASE, 0, arena_of(state), &rows, &n, &err),
	        ST_INVALID);
	assert_int_equal(
	        store_logout_delivery_claim(s, NOW_MS, 0, 10, arena_of(state), &rows, &n, &err),
	        ST_INVALID);
}

static void
test_claimed_rows_are_not_claimed_again_until_the_lease_ends(void **state)
{
	struct store *s = fixture_store(state);
	struct store_logout_delivery *rows = NULL;
	size_t n = 0;
	struct err err = {0};

	add(s, "a", "s1", "c1", NOW_MS - 20);
	add(s, "b", "s1", "c2", NOW_MS - 10);
	/* The limit holds; the first claim leaves b to the next. */
	assert_int_equal(
	        store_logout_delivery_claim(s, NOW_MS, LEASE, 1, arena_of(state), &rows, &n, &err),
	        ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].id, "a");
	assert_int_equal(
	        store_logout_delivery_claim(s, NOW_MS, LEASE, 10, arena_of(state), &rows, &n, &err),
	        ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].id, "b");
	/* Both leased: nothing due until the leases end (a worker died). */
	assert_int_equal(store_logout_delivery_claim(s, NOW_MS + LEASE - 1, LEASE, 10,
	                                             arena_of(state), &rows, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_logout_delivery_claim(s, NOW_MS + LEASE, LEASE, 10, arena_of(state),
	                                             &rows, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].attempts, 0);
}

static void
test_release_makes_a_claimed_row_due_again_with_attempts_unchanged(void **state)
{
	struct store *s = fixture_store(state);
	struct store_logout_delivery *rows = NULL;
	size_t n = 0;
	struct err err = {0};

	add(s, "a", "s1", "c1", NOW_MS);
	assert_int_equal(
	        store_logout_delivery_claim(s, NOW_MS, LEASE, 10, arena_of(state), &rows, &n, &err),
	        ST_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_logout_delivery_release(s, "a", NOW_MS + 1, &err), ST_OK);
	assert_int_equal(store_logout_delivery_claim(s, NOW_MS + 1, LEASE, 10, arena_of(state),
	                                             &rows, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].attempts, 0);
	assert_int_equal(store_logout_delivery_release(s, "nope", NOW_MS, &err), ST_NOT_FOUND);
	/* A given-up row is not released into pending again. */
	assert_int_equal(store_logout_delivery_retry(s, "a", NOW, 0, "HTTP 500", &err), ST_OK);
	assert_int_equal(store_logout_delivery_release(s, "a", NOW_MS, &err), ST_NOT_FOUND);
}

#define CLAIM_THREADS 4
#define CLAIM_ROWS    60

struct claimer {
	struct store *s;
	int taken[CLAIM_ROWS]; /* how often this thread claimed row i */
	enum status st;
};

static void *
claim_loop(void *arg)
{
	struct claimer *cl = arg;
	struct arena *arena = arena_new();
	struct store_logout_delivery *rows = NULL;
	struct err err = {0};
	size_t n = 0, i;
	int k;

	/* Claims of 3 until a claim finds nothing (every row leased). */
	do {
		cl->st = store_logout_delivery_claim(cl->s, NOW_MS, LEASE, 3, arena, &rows, &n,
		                                     &err);
		for (i = 0; cl->st == ST_OK && i < n; i++)
			if (sscanf(rows[i].id, "r%d", &k) == 1 && k >= 0 && k < CLAIM_ROWS)
				cl->taken[k]++;
	} while (cl->st == ST_OK && n > 0);
	arena_free(arena);
	return NULL;
}

/*
 * Several workers (on PostgreSQL: several connections, as several oidcd
 * instances would have) claiming at once take each row exactly once.
 */
static void
test_claims_from_threads_at_once_take_each_row_once(void **state)
{
	struct store *s = fixture_store(state);
	struct claimer cl[CLAIM_THREADS];
	pthread_t tid[CLAIM_THREADS];
	char id[16];
	int i, k, total;

	for (k = 0; k < CLAIM_ROWS; k++) {
		snprintf(id, sizeof id, "r%d", k);
		add(s, id, "s1", k % 2 ? "c1" : "c2", NOW_MS - k);
	}
	memset(cl, 0, sizeof cl);
	for (i = 0; i < CLAIM_THREADS; i++) {
		cl[i].s = s;
		assert_int_equal(pthread_create(&tid[i], NULL, claim_loop, &cl[i]), 0);
	}
	for (i = 0; i < CLAIM_THREADS; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(cl[i].st, ST_OK);
	}
	for (k = 0; k < CLAIM_ROWS; k++) {
		total = 0;
		for (i = 0; i < CLAIM_THREADS; i++)
			total += cl[i].taken[k];
		assert_int_equal(total, 1);
	}
}

static void
test_next_due_is_earliest_pending_or_not_found(void **state)
{
	struct store *s = fixture_store(state);
	int64_t at = 0;
	struct err err = {0};

	assert_int_equal(store_logout_delivery_next_due(s, &at, &err), ST_NOT_FOUND);
	add(s, "x", "s1", "c1", NOW_MS + 7000);
	add(s, "y", "s1", "c2", NOW_MS + 3000);
	assert_int_equal(store_logout_delivery_next_due(s, &at, &err), ST_OK);
	assert_int_equal(at, NOW_MS + 3000);
	/* A given-up row is not pending. */
	assert_int_equal(store_logout_delivery_retry(s, "y", NOW, 0, "HTTP 500", &err), ST_OK);
	assert_int_equal(store_logout_delivery_next_due(s, &at, &err), ST_OK);
	assert_int_equal(at, NOW_MS + 7000);
}

static void
test_retry_reschedules_then_gives_up(void **state)
{
	struct store *s = fixture_store(state);
	struct store_logout_delivery *rows = NULL;
	size_t n = 0;
	struct err err = {0};

	add(s, "j", "s1", "c1", NOW_MS);
	assert_int_equal(store_logout_delivery_retry(s, "j", NOW, NOW_MS + 2000, "HTTP 503", &err),
	                 ST_OK);
	assert_int_equal(
	        store_logout_delivery_claim(s, NOW_MS, LEASE, 10, arena_of(state), &rows, &n, &err),
	        ST_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_logout_delivery_claim(s, NOW_MS + 2000, LEASE, 10, arena_of(state),
	                                             &rows, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].attempts, 1);
	assert_string_equal(rows[0].last_error, "HTTP 503");
	/* Giving up: failed_at is set, it is due no more, retry finds nothing pending. */
	assert_int_equal(store_logout_delivery_retry(s, "j", NOW + 3, 0, "timeout", &err), ST_OK);
	assert_int_equal(store_logout_delivery_claim(s, NOW_MS + 99000, LEASE, 10, arena_of(state),
	                                             &rows, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_logout_delivery_retry(s, "j", NOW + 4, 0, "again", &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_logout_delivery_list(s, 10, arena_of(state), &rows, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].attempts, 2);
	assert_int_equal(rows[0].failed_at, NOW + 3);
	assert_string_equal(rows[0].last_error, "timeout");
}

static void
test_done_deletes_once(void **state)
{
	struct store *s = fixture_store(state);
	struct err err = {0};

	add(s, "j", "s1", "c1", NOW_MS);
	assert_int_equal(store_logout_delivery_done(s, "j", &err), ST_OK);
	assert_int_equal(store_logout_delivery_done(s, "j", &err), ST_NOT_FOUND);
}

static void
test_pending_sid_counts_only_pending_rows_of_that_session(void **state)
{
	struct store *s = fixture_store(state);
	int64_t count = -1;
	struct err err = {0};

	add(s, "a", "s1", "c1", NOW_MS);
	add(s, "b", "s1", "c2", NOW_MS);
	add(s, "c", "s2", "c1", NOW_MS);
	assert_int_equal(store_logout_delivery_pending_sid(s, "s1", &count, &err), ST_OK);
	assert_int_equal(count, 2);
	assert_int_equal(store_logout_delivery_retry(s, "a", NOW, 0, "gone", &err), ST_OK);
	assert_int_equal(store_logout_delivery_done(s, "b", &err), ST_OK);
	assert_int_equal(store_logout_delivery_pending_sid(s, "s1", &count, &err), ST_OK);
	assert_int_equal(count, 0);
	assert_int_equal(store_logout_delivery_pending_sid(s, "none", &count, &err), ST_OK);
	assert_int_equal(count, 0);
}

static void
test_client_delete_cascades_to_deliveries(void **state)
{
	struct store *s = fixture_store(state);
	struct store_logout_delivery *rows = NULL;
	size_t n = 0;
	struct err err = {0};

	add(s, "a", "s1", "c1", NOW_MS);
	add(s, "b", "s1", "c2", NOW_MS);
	assert_int_equal(store_client_delete(s, "c1", NULL, &err), ST_OK);
	assert_int_equal(store_logout_delivery_list(s, 10, arena_of(state), &rows, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].id, "b");
}

static void
test_sweep_removes_expired_deliveries(void **state)
{
	struct store *s = fixture_store(state);
	struct store_logout_delivery *rows = NULL;
	size_t n = 0;
	int64_t deleted = 0;
	struct err err = {0};

	add(s, "a", "s1", "c1", NOW_MS);
	assert_int_equal(store_sweep(s, NOW + 86399, 100, &deleted, &err), ST_OK);
	assert_int_equal(store_logout_delivery_list(s, 10, arena_of(state), &rows, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_sweep(s, NOW + 86400, 100, &deleted, &err), ST_OK);
	assert_int_equal(deleted, 1);
	assert_int_equal(store_logout_delivery_list(s, 10, arena_of(state), &rows, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 0);
}

static void
test_session_client_ids_from_tokens_and_codes(void **state)
{
	struct store *s = fixture_store(state);
	unsigned char h1[STORE_HASH_LEN], h2[STORE_HASH_LEN], h3[STORE_HASH_LEN];
	const char **ids = NULL;
	size_t n = 9;
	struct err err = {0};
	struct store_token tok = {.token_hash = h1,
	                          .kind = STORE_TOKEN_ACCESS,
	                          .grant_id = "g1",
	                          .client_id = "c2",
	                          .user_id = "u1",
	                          .sid = "s1",
	                          .scope = "openid",
	                          .created_at = NOW,
	                          .expires_at = NOW + 60};
	struct store_code code = {.code_hash = h3,
	                          .client_id = "c1",
	                          .user_id = "u1",
	                          .sid = "s1",
	                          .redirect_uri = "https://rp/cb",
	                          .scope = "openid",
	                          .created_at = NOW,
	                          .expires_at = NOW + 60};

	memset(h1, 1, sizeof h1);
	memset(h2, 2, sizeof h2);
	memset(h3, 3, sizeof h3);
	assert_int_equal(store_session_client_ids(s, "s1", arena_of(state), &ids, &n, &err), ST_OK);
	assert_int_equal(n, 0);
	assert_null(ids);
	assert_int_equal(store_token_insert(s, &tok, 1, &err), ST_OK);
	tok.token_hash = h2; /* a second token of the same client counts once */
	assert_int_equal(store_token_insert(s, &tok, 1, &err), ST_OK);
	tok.token_hash = h1;
	assert_int_equal(store_code_insert(s, &code, &err), ST_OK);
	/* Another session's token is not this session's client. */
	{
		unsigned char h4[STORE_HASH_LEN];
		struct store_token other = tok;

		memset(h4, 4, sizeof h4);
		other.token_hash = h4;
		other.client_id = "c3";
		other.sid = "s2";
		assert_int_equal(store_token_insert(s, &other, 1, &err), ST_OK);
	}
	assert_int_equal(store_session_client_ids(s, "s1", arena_of(state), &ids, &n, &err), ST_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "c1");
	assert_string_equal(ids[1], "c2");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)
	        T(test_insert_twice_is_conflict_and_unknown_client_invalid),
	        T(test_claim_returns_only_due_rows_oldest_first),
	        T(test_claimed_rows_are_not_claimed_again_until_the_lease_ends),
	        T(test_release_makes_a_claimed_row_due_again_with_attempts_unchanged),
	        T(test_claims_from_threads_at_once_take_each_row_once),
	        T(test_next_due_is_earliest_pending_or_not_found),
	        T(test_retry_reschedules_then_gives_up),
	        T(test_done_deletes_once),
	        T(test_pending_sid_counts_only_pending_rows_of_that_session),
	        T(test_client_delete_cascades_to_deliveries),
	        T(test_sweep_removes_expired_deliveries),
	        T(test_session_client_ids_from_tokens_and_codes),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
