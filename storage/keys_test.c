/*
 * storage/keys_test.c — the keys table: insert, list (order, arena copies),
 * duplicates, delete and the generation counter, on a fresh migrated
 * ":memory:" store; cross-process visibility on a file under /tmp.
 */
#include <setjmp.h>
#include <stdarg.h>
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

static const unsigned char sealed_bytes[] = {0x00, 0xde, 0xad, 0x00, 0xbe, 0xef};

static struct store_key
make_key(const char *kid, int64_t created_at, int64_t usable_from)
{
	return (struct store_key){
	        .kid = kid,
	        .alg = "RS256",
	        .created_at = created_at,
	        .usable_from = usable_from,
	        .sealed = sealed_bytes,
	        .sealed_len = sizeof sealed_bytes,
	        .public_jwk = "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
	};
}

static void
insert_ok(struct store *s, const char *kid, int64_t created_at, int64_t usable_from)
{
	struct store_key key = make_key(kid, created_at, usable_from);
	struct err err = {0};

	assert_int_equal(store_key_insert(s, &key, &err), ST_OK);
}

static int64_t
generation(struct store *s)
{
	struct err err = {0};
	int64_t gen = -1;

	assert_int_equal(store_key_generation(s, &gen, &err), ST_OK);
	return gen;
}

static void
test_key_list_of_empty_table_is_empty(void **state)
{
	static struct store_key untouched;
	struct fixture *f = *state;
	struct store_key *keys = &untouched;
	struct err err = {0};
	size_t n = 99;

	assert_int_equal(store_key_list(f->s, f->arena, &keys, &n, &err), ST_OK);
	assert_int_equal(n, 0);
	assert_null(keys);
}

static void
test_key_insert_then_list_returns_arena_copies(void **state)
{
	struct fixture *f = *state;
	char kid[] = "kid-1";
	char jwk[] = "{\"kty\":\"EC\",\"crv\":\"P-256\"}";
	struct store_key in = make_key(kid, 1700000000, 1700000100);
	struct store_key *keys = NULL;
	struct err err = {0};
	size_t n = 0;

	in.alg = "ES256";
	in.public_jwk = jwk;
	assert_int_equal(store_key_insert(f->s, &in, &err), ST_OK);
	assert_int_equal(store_key_list(f->s, f->arena, &keys, &n, &err), ST_OK);
	/* The caller's buffers change; the listed record must not. */
	memset(kid, 'X', sizeof kid - 1);
	memset(jwk, 'X', sizeof jwk - 1);

	assert_int_equal(n, 1);
	assert_string_equal(keys[0].kid, "kid-1");
	assert_string_equal(keys[0].alg, "ES256");
	assert_int_equal(keys[0].created_at, 1700000000);
	assert_int_equal(keys[0].usable_from, 1700000100);
	assert_int_equal(keys[0].sealed_len, sizeof sealed_bytes);
	assert_memory_equal(keys[0].sealed, sealed_bytes, sizeof sealed_bytes);
	assert_ptr_not_equal(keys[0].sealed, sealed_bytes);
	assert_string_equal(keys[0].public_jwk, "{\"kty\":\"EC\",\"crv\":\"P-256\"}");
}

static void
test_key_list_orders_by_usable_from_then_created_at(void **state)
{
	struct fixture *f = *state;
	struct store_key *keys = NULL;
	struct err err = {0};
	size_t n = 0;

	insert_ok(f->s, "c", 30, 200);
	insert_ok(f->s, "a", 20, 100);
	insert_ok(f->s, "d", 10, 300);
	insert_ok(f->s, "b", 10, 200);
	insert_ok(f->s, "e", 5, 50);
	assert_int_equal(store_key_list(f->s, f->arena, &keys, &n, &err), ST_OK);
	assert_int_equal(n, 5);
	assert_string_equal(keys[0].kid, "e");
	assert_string_equal(keys[1].kid, "a");
	assert_string_equal(keys[2].kid, "b");
	assert_string_equal(keys[3].kid, "c");
	assert_string_equal(keys[4].kid, "d");
}

static void
test_key_insert_duplicate_kid_is_conflict_and_keeps_original(void **state)
{
	struct fixture *f = *state;
	struct store_key dup = make_key("k", 2, 2);
	struct store_key *keys = NULL;
	struct err err = {0};
	size_t n = 0;

	insert_ok(f->s, "k", 1, 1);
	dup.alg = "ES256";
	assert_int_equal(store_key_insert(f->s, &dup, &err), ST_CONFLICT);
	assert_int_equal(err.st, ST_CONFLICT);
	assert_string_equal(err.msg, "key k already exists");

	assert_int_equal(store_key_list(f->s, f->arena, &keys, &n, &err), ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].alg, "RS256");
	assert_int_equal(keys[0].created_at, 1);
}

static void
test_key_insert_empty_sealed_is_stored_empty(void **state)
{
	struct fixture *f = *state;
	struct store_key in = make_key("empty", 1, 1);
	struct store_key *keys = NULL;
	struct err err = {0};
	size_t n = 0;

	in.sealed = NULL;
	in.sealed_len = 0;
	assert_int_equal(store_key_insert(f->s, &in, &err), ST_OK);
	assert_int_equal(store_key_list(f->s, f->arena, &keys, &n, &err), ST_OK);
	assert_int_equal(n, 1);
	assert_int_equal(keys[0].sealed_len, 0);
	assert_non_null(keys[0].sealed);
}

static void
test_key_delete_removes_only_that_key(void **state)
{
	struct fixture *f = *state;
	struct store_key *keys = NULL;
	struct err err = {0};
	size_t n = 0;

	insert_ok(f->s, "keep", 1, 1);
	insert_ok(f->s, "drop", 2, 2);
	assert_int_equal(store_key_delete(f->s, "drop", &err), ST_OK);
	assert_int_equal(store_key_list(f->s, f->arena, &keys, &n, &err), ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].kid, "keep");
}

static void
test_key_reseal_replaces_only_the_blob(void **state)
{
	struct fixture *f = *state;
	static const unsigned char blob[] = {9, 8, 7, 6, 5};
	struct store_key *keys = NULL;
	struct err err = {0};
	size_t n = 0;

	insert_ok(f->s, "k1", 1, 1);
	insert_ok(f->s, "k2", 2, 2);
	assert_int_equal(store_key_reseal(f->s, "k1", blob, sizeof blob, &err), ST_OK);
	assert_int_equal(store_key_list(f->s, f->arena, &keys, &n, &err), ST_OK);
	assert_int_equal(n, 2);
	assert_string_equal(keys[0].kid, "k1");
	assert_int_equal(keys[0].sealed_len, sizeof blob);
	assert_memory_equal(keys[0].sealed, blob, sizeof blob);
	assert_int_equal(keys[0].usable_from, 1);
	assert_string_equal(keys[1].kid, "k2");
	assert_false(keys[1].sealed_len == sizeof blob &&
	             memcmp(keys[1].sealed, blob, sizeof blob) == 0);
	assert_int_equal(store_key_reseal(f->s, "nope", blob, sizeof blob, &err), ST_NOT_FOUND);
}

static void
test_key_delete_absent_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct err err = {0};

	assert_int_equal(store_key_delete(f->s, "nope", &err), ST_NOT_FOUND);
	assert_int_equal(err.st, ST_NOT_FOUND);
	insert_ok(f->s, "once", 1, 1);
	assert_int_equal(store_key_delete(f->s, "once", &err), ST_OK);
	assert_int_equal(store_key_delete(f->s, "once", &err), ST_NOT_FOUND);
}

static void
test_key_generation_changes_on_insert_and_delete_only(void **state)
{
	struct fixture *f = *state;
	struct store_key dup = make_key("g1", 1, 1);
	struct store_key *keys = NULL;
	struct err err = {0};
	int64_t g0, g1, g2;
	size_t n = 0;

	g0 = generation(f->s);
	assert_int_equal(g0, 0);
	insert_ok(f->s, "g1", 1, 1);
	g1 = generation(f->s);
	assert_true(g1 != g0);

	/* Failed writes and reads leave it alone. */
	assert_int_equal(store_key_insert(f->s, &dup, &err), ST_CONFLICT);
	assert_int_equal(store_key_delete(f->s, "absent", &err), ST_NOT_FOUND);
	assert_int_equal(store_key_list(f->s, f->arena, &keys, &n, &err), ST_OK);
	assert_int_equal(generation(f->s), g1);

	assert_int_equal(store_key_delete(f->s, "g1", &err), ST_OK);
	g2 = generation(f->s);
	assert_true(g2 != g1 && g2 != g0);
}

static void
test_key_functions_before_migrate_fail_then_work_after(void **state)
{
	struct store_key key = make_key("k", 1, 1);
	struct store *s = NULL;
	struct err err = {0};
	int64_t gen = -1;

	(void)state;
	assert_int_equal(store_open(":memory:", NULL, &s, &err), ST_OK);
	assert_int_equal(store_key_insert(s, &key, &err), ST_IO);
	assert_non_null(strstr(err.msg, "no such table"));
	assert_int_equal(store_key_generation(s, &gen, &err), ST_IO);

	/* Statements that failed to prepare are retried, not cached. */
	assert_int_equal(store_migrate(s, NULL, &err), ST_OK);
	assert_int_equal(store_key_insert(s, &key, &err), ST_OK);
	assert_int_equal(store_key_generation(s, &gen, &err), ST_OK);
	assert_int_equal(gen, 1);
	store_close(s);
}

/* Two stores on one file stand for two oidcd processes sharing a database. */
static void
test_key_generation_sees_changes_from_another_process(void **state)
{
	struct tmpdb t;
	struct store *a = NULL, *b = NULL;
	struct err err = {0};
	int64_t before;

	(void)state;
	tmpdb_make(&t);
	assert_int_equal(store_open(t.path, NULL, &a, &err), ST_OK);
	assert_int_equal(store_migrate(a, NULL, &err), ST_OK);
	assert_int_equal(store_open(t.path, NULL, &b, &err), ST_OK);

	before = generation(b);
	insert_ok(a, "from-a", 1, 1);
	assert_true(generation(b) != before);
	before = generation(b);
	assert_int_equal(store_key_delete(b, "from-a", &err), ST_OK);
	assert_true(generation(a) != before);

	store_close(a);
	store_close(b);
	tmpdb_remove(&t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_key_list_of_empty_table_is_empty),
	        T(test_key_insert_then_list_returns_arena_copies),
	        T(test_key_list_orders_by_usable_from_then_created_at),
	        T(test_key_insert_duplicate_kid_is_conflict_and_keeps_original),
	        T(test_key_insert_empty_sealed_is_stored_empty),
	        T(test_key_delete_removes_only_that_key),
	        T(test_key_delete_absent_is_not_found),
	        T(test_key_reseal_replaces_only_the_blob),
	        T(test_key_generation_changes_on_insert_and_delete_only),
	        cmocka_unit_test(test_key_functions_before_migrate_fail_then_work_after),
	        cmocka_unit_test(test_key_generation_sees_changes_from_another_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
