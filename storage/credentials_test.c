/*
 * storage/credentials_test.c — the verifiable-credential tables: a nonce is
 * consumed once, only with the token it was handed to and only before it
 * expires (also when several threads race for it on a file database); the
 * sweep removes expired nonces only; audit records are listed by subject or
 * user id, newest first, paged.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/err.h"
#include "storage/store.h"
#include "storage/test_fixture.h"

#define NOW 1700000000

static void
hash_fill(unsigned char h[STORE_HASH_LEN], unsigned char v)
{
	memset(h, v, STORE_HASH_LEN);
}

static void
test_vc_nonce_consume_twice_is_not_found(void **state)
{
	struct store *s = fixture_store(state);
	unsigned char nonce[STORE_HASH_LEN], token[STORE_HASH_LEN];
	struct err err = {0};

	hash_fill(nonce, 1);
	hash_fill(token, 2);
	assert_int_equal(store_vc_nonce_insert(s, nonce, token, NOW + 60, &err), ST_OK);
	assert_int_equal(store_vc_nonce_consume(s, nonce, token, NOW, &err), ST_OK);
	assert_int_equal(store_vc_nonce_consume(s, nonce, token, NOW, &err), ST_NOT_FOUND);
}

static void
test_vc_nonce_of_another_token_is_not_found_and_kept(void **state)
{
	struct store *s = fixture_store(state);
	unsigned char nonce[STORE_HASH_LEN], token[STORE_HASH_LEN], other[STORE_HASH_LEN];
	struct err err = {0};

	hash_fill(nonce, 1);
	hash_fill(token, 2);
	hash_fill(other, 3);
	assert_int_equal(store_vc_nonce_insert(s, nonce, token, NOW + 60, &err), ST_OK);
	assert_int_equal(store_vc_nonce_consume(s, nonce, other, NOW, &err), ST_NOT_FOUND);
	/* The failed attempt took nothing: the rightful holder still can. */
	assert_int_equal(store_vc_nonce_consume(s, nonce, token, NOW, &err), ST_OK);
}

static void
test_vc_nonce_expired_is_not_found(void **state)
{
	struct store *s = fixture_store(state);
	unsigned char nonce[STORE_HASH_LEN], token[STORE_HASH_LEN];
	struct err err = {0};

	hash_fill(nonce, 1);
	hash_fill(token, 2);
	assert_int_equal(store_vc_nonce_insert(s, nonce, token, NOW + 60, &err), ST_OK);
	assert_int_equal(store_vc_nonce_consume(s, nonce, token, NOW + 60, &err), ST_NOT_FOUND);
	assert_int_equal(store_vc_nonce_consume(s, nonce, token, NOW + 59, &err), ST_OK);
}

static void
test_vc_nonce_insert_twice_is_conflict(void **state)
{
	struct store *s = fixture_store(state);
	unsigned char nonce[STORE_HASH_LEN], token[STORE_HASH_LEN];
	struct err err = {0};

	hash_fill(nonce, 1);
	hash_fill(token, 2);
	assert_int_equal(store_vc_nonce_insert(s, nonce, token, NOW + 60, &err), ST_OK);
	assert_int_equal(store_vc_nonce_insert(s, nonce, token, NOW + 60, &err), ST_CONFLICT);
}

static void
test_sweep_removes_expired_vc_nonces_only(void **state)
{
	struct store *s = fixture_store(state);
	unsigned char old[STORE_HASH_LEN], live[STORE_HASH_LEN], token[STORE_HASH_LEN];
	struct err err = {0};
	int64_t deleted = -1;

	hash_fill(old, 1);
	hash_fill(live, 4);
	hash_fill(token, 2);
	assert_int_equal(store_vc_nonce_insert(s, old, token, NOW + 10, &err), ST_OK);
	assert_int_equal(store_vc_nonce_insert(s, live, token, NOW + 100, &err), ST_OK);
	assert_int_equal(store_sweep(s, NOW + 10, 100, &deleted, &err), ST_OK);
	assert_int_equal(deleted, 1);
	assert_int_equal(store_sweep(s, NOW + 10, 100, &deleted, &err), ST_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(store_vc_nonce_consume(s, live, token, NOW + 10, &err), ST_OK);
}

struct race {
	struct store *s;
	pthread_barrier_t *start;
	enum status st;
};

static void *
race_consume(void *arg)
{
	struct race *r = arg;
	unsigned char nonce[STORE_HASH_LEN], token[STORE_HASH_LEN];
	struct err err = {0};

	hash_fill(nonce, 1);
	hash_fill(token, 2);
	pthread_barrier_wait(r->start);
	r->st = store_vc_nonce_consume(r->s, nonce, token, NOW, &err);
	return NULL;
}

static void
test_vc_nonce_racing_consumers_one_wins(void **state)
{
	enum {
		N = 6
	};
	struct tmpdb *t = *state;
	struct store *s = tmpdb_open(t, NULL);
	unsigned char nonce[STORE_HASH_LEN], token[STORE_HASH_LEN];
	pthread_t tids[N];
	struct race r[N];
	pthread_barrier_t start;
	struct err err = {0};
	int wins = 0;

	hash_fill(nonce, 1);
	hash_fill(token, 2);
	assert_int_equal(store_vc_nonce_insert(s, nonce, token, NOW + 60, &err), ST_OK);
	pthread_barrier_init(&start, NULL, N);
	for (int i = 0; i < N; i++) {
		r[i] = (struct race){.s = s, .start = &start, .st = ST_IO};
		assert_int_equal(pthread_create(&tids[i], NULL, race_consume, &r[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(tids[i], NULL);
		assert_true(r[i].st == ST_OK || r[i].st == ST_NOT_FOUND);
		wins += r[i].st == ST_OK;
	}
	pthread_barrier_destroy(&start);
	assert_int_equal(wins, 1);
	store_close(s);
}

static void
credential(struct store_credential *c, const char *jti, const char *subject, int64_t iat)
{
	*c = (struct store_credential){
	        .jti = jti,
	        .subject = subject,
	        .user_id = "user-1",
	        .client_id = "rp",
	        .key_thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
	        .iat = iat,
	        .exp = iat + 3600,
	};
}

static void
test_credential_list_by_subject_or_user_newest_first(void **state)
{
	struct store *s = fixture_store(state);
	struct arena *arena = arena_new();
	struct store_credential c, *out = NULL;
	struct err err = {0};
	size_t n = 0;
	bool more = true;

	credential(&c, "j1", "pairwise-sub", NOW);
	assert_int_equal(store_credential_insert(s, &c, &err), ST_OK);
	credential(&c, "j2", "user-1", NOW + 5);
	assert_int_equal(store_credential_insert(s, &c, &err), ST_OK);
	credential(&c, "j3", "someone-else", NOW + 9);
	c.user_id = "user-2";
	assert_int_equal(store_credential_insert(s, &c, &err), ST_OK);

	assert_int_equal(store_credential_list(s, "user-1", 10, arena, &out, &n, &more, &err),
	                 ST_OK);
	assert_int_equal(n, 2);
	assert_false(more);
	assert_string_equal(out[0].jti, "j2");
	assert_string_equal(out[1].jti, "j1");
	assert_string_equal(out[1].subject, "pairwise-sub");
	assert_string_equal(out[1].client_id, "rp");
	assert_string_equal(out[1].key_thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	assert_int_equal(out[1].iat, NOW);
	assert_int_equal(out[1].exp, NOW + 3600);

	assert_int_equal(store_credential_list(s, "pairwise-sub", 10, arena, &out, &n, &more, &err),
	                 ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].jti, "j1");

	assert_int_equal(store_credential_list(s, "user-1", 1, arena, &out, &n, &more, &err),
	                 ST_OK);
	assert_int_equal(n, 1);
	assert_true(more);

	assert_int_equal(store_credential_list(s, "nobody", 10, arena, &out, &n, &more, &err),
	                 ST_OK);
	assert_int_equal(n, 0);
	assert_null(out);
	arena_free(arena);
}

static void
test_credential_insert_same_jti_is_conflict(void **state)
{
	struct store *s = fixture_store(state);
	struct store_credential c;
	struct err err = {0};

	credential(&c, "j1", "user-1", NOW);
	assert_int_equal(store_credential_insert(s, &c, &err), ST_OK);
	assert_int_equal(store_credential_insert(s, &c, &err), ST_CONFLICT);
}

static void
test_credential_list_refuses_bad_page_size(void **state)
{
	struct store *s = fixture_store(state);
	struct store_credential *out = NULL;
	struct err err = {0};
	size_t n = 0;

	assert_int_equal(store_credential_list(s, "x", 0, NULL, &out, &n, NULL, &err), ST_INVALID);
	assert_int_equal(store_credential_list(s, "x", 1001, NULL, &out, &n, NULL, &err),
	                 ST_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_vc_nonce_consume_twice_is_not_found,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_vc_nonce_of_another_token_is_not_found_and_kept, fixture_setup,
	                fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_vc_nonce_expired_is_not_found, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_vc_nonce_insert_twice_is_conflict,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_sweep_removes_expired_vc_nonces_only,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_vc_nonce_racing_consumers_one_wins,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_credential_list_by_subject_or_user_newest_first, fixture_setup,
	                fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_credential_insert_same_jti_is_conflict,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_credential_list_refuses_bad_page_size,
	                                        fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
