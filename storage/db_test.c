/*
 * storage/db_test.c — the backend switch of storage/db.h, through the
 * statement table on a fresh migrated ":memory:" store: values bound come
 * back as bound (text, integer, blob, NULL), failures map to DB_CONFLICT
 * (primary key or unique, told apart by db_conflict_is_primary_key) and
 * DB_CONSTRAINT, db_changes counts the statement's own rows, and
 * db_in_transaction follows the transaction. Only statements of store.c are
 * used, so the same checks hold on any backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>
#include <string.h>

#include "common/err.h"
#include "storage/db.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/test_fixture.h"

#define NOW 1700000000

/* The calling thread's connection of the fixture's store (released by put_conn). */
static struct conn *
get_conn(void **state)
{
	struct conn *c = NULL;
	struct err err = {0};

	assert_int_equal(store_conn_acquire(fixture_store(state), &c, &err), ST_OK);
	return c;
}

static void
put_conn(void **state, struct conn *c)
{
	store_conn_release(fixture_store(state), c);
}

/* Runs STMT_USER_INSERT for (id, username); the db_step result. */
static enum db_rc
user_insert(struct conn *c, const char *id, const char *username)
{
	struct db_stmt *stmt = NULL;
	struct err err = {0};
	enum db_rc rc;

	assert_int_equal(store_stmt(c, STMT_USER_INSERT, &stmt, &err), ST_OK);
	assert_int_equal(db_bind_text(stmt, 1, id), DB_OK);
	assert_int_equal(db_bind_text(stmt, 2, username), DB_OK);
	assert_int_equal(db_bind_text(stmt, 3, "!"), DB_OK);
	assert_int_equal(db_bind_text(stmt, 4, "{}"), DB_OK);
	assert_int_equal(db_bind_int64(stmt, 5, NOW), DB_OK);
	assert_int_equal(db_bind_int64(stmt, 6, NOW), DB_OK);
	rc = db_step(stmt);
	store_stmt_done(stmt);
	return rc;
}

static void
test_store_stmt_prepares_each_id_once(void **state)
{
	struct conn *c = get_conn(state);
	struct db_stmt *a = NULL, *b = NULL;
	struct err err = {0};

	assert_non_null(store_stmt_sql(DB_SQLITE, STMT_PING));
	assert_int_equal(store_stmt(c, STMT_PING, &a, &err), ST_OK);
	store_stmt_done(a);
	assert_int_equal(store_stmt(c, STMT_PING, &b, &err), ST_OK);
	assert_ptr_equal(a, b);
	assert_true(db_stmt_is_prepared(b));
	assert_int_equal(db_step(b), DB_ROW);
	assert_int_equal(db_step(b), DB_DONE);
	store_stmt_done(b);
	put_conn(state, c);
}

static void
test_db_reads_back_text_int_blob_and_name(void **state)
{
	static const unsigned char sealed[5] = {0, 1, 2, 0xfe, 0xff};
	struct conn *c = get_conn(state);
	struct db_stmt *stmt = NULL;
	struct err err = {0};

	assert_int_equal(store_stmt(c, STMT_KEY_INSERT, &stmt, &err), ST_OK);
	assert_int_equal(db_bind_text(stmt, 1, "k1"), DB_OK);
	assert_int_equal(db_bind_text(stmt, 2, "ES256"), DB_OK);
	assert_int_equal(db_bind_int64(stmt, 3, INT64_C(-5)), DB_OK);
	assert_int_equal(db_bind_int64(stmt, 4, INT64_MAX), DB_OK);
	assert_int_equal(db_bind_blob(stmt, 5, sealed, sizeof sealed), DB_OK);
	assert_int_equal(db_bind_text(stmt, 6, "{\"kty\":\"EC\"}"), DB_OK);
	assert_int_equal(db_step(stmt), DB_DONE);
	assert_int_equal(db_changes(stmt), 1);
	store_stmt_done(stmt);

	assert_int_equal(store_stmt(c, STMT_KEY_LIST, &stmt, &err), ST_OK);
	assert_int_equal(db_step(stmt), DB_ROW);
	assert_string_equal(db_column_name(stmt, 0), "kid");
	assert_false(db_column_is_null(stmt, 0));
	assert_string_equal(db_column_text(stmt, 0), "k1");
	assert_int_equal(db_column_bytes(stmt, 0), 2);
	assert_string_equal(db_column_text(stmt, 1), "ES256");
	assert_true(db_column_int64(stmt, 2) == INT64_C(-5));
	assert_true(db_column_int64(stmt, 3) == INT64_MAX);
	assert_memory_equal(db_column_blob(stmt, 4), sealed, sizeof sealed);
	assert_int_equal(db_column_bytes(stmt, 4), sizeof sealed);
	assert_string_equal(db_column_text(stmt, 5), "{\"kty\":\"EC\"}");
	assert_int_equal(db_step(stmt), DB_DONE);
	store_stmt_done(stmt);
	put_conn(state, c);
}

static void
test_db_null_binds_and_reads_as_null(void **state)
{
	struct conn *c = get_conn(state);
	struct db_stmt *stmt = NULL;
	struct err err = {0};

	assert_int_equal(store_stmt(c, STMT_CLIENT_INSERT, &stmt, &err), ST_OK);
	assert_int_equal(db_bind_text(stmt, 1, "c1"), DB_OK);
	assert_int_equal(db_bind_text(stmt, 2, NULL), DB_OK); /* NULL text binds NULL */
	assert_int_equal(db_bind_null(stmt, 3), DB_OK);
	assert_int_equal(db_bind_text(stmt, 4, "{}"), DB_OK);
	assert_int_equal(db_bind_int64(stmt, 5, NOW), DB_OK);
	assert_int_equal(db_bind_int64(stmt, 6, NOW), DB_OK);
	assert_int_equal(db_step(stmt), DB_DONE);
	store_stmt_done(stmt);

	assert_int_equal(store_stmt(c, STMT_CLIENT_GET, &stmt, &err), ST_OK);
	assert_int_equal(db_bind_text(stmt, 1, "c1"), DB_OK);
	assert_int_equal(db_step(stmt), DB_ROW);
	assert_true(db_column_is_null(stmt, 1));
	assert_null(db_column_text(stmt, 1));
	assert_int_equal(db_column_bytes(stmt, 1), 0);
	assert_true(db_column_is_null(stmt, 2));
	assert_null(db_column_blob(stmt, 2));
	assert_true(db_column_int64(stmt, 2) == 0);
	store_stmt_done(stmt);
	put_conn(state, c);
}

static void
test_db_step_maps_primary_key_and_unique_to_conflict(void **state)
{
	struct conn *c = get_conn(state);
	struct err err = {0};

	assert_int_equal(user_insert(c, "u1", "alice"), DB_DONE);
	assert_int_equal(user_insert(c, "u1", "bob"), DB_CONFLICT);
	assert_true(db_conflict_is_primary_key(c));
	assert_int_equal(STORE_FAIL(c, &err), ST_CONFLICT);
	assert_int_equal(user_insert(c, "u2", "alice"), DB_CONFLICT);
	assert_false(db_conflict_is_primary_key(c));
	assert_int_equal(STORE_FAIL(c, &err), ST_CONFLICT);
	assert_true(strlen(err.msg) > 0);
	put_conn(state, c);
}

static void
test_db_step_maps_foreign_key_to_constraint(void **state)
{
	struct conn *c = get_conn(state);
	struct db_stmt *stmt = NULL;
	struct err err = {0};

	/* No such user or client: the foreign keys refuse the consent. */
	assert_int_equal(store_stmt(c, STMT_CONSENT_UPSERT, &stmt, &err), ST_OK);
	assert_int_equal(db_bind_text(stmt, 1, "nobody"), DB_OK);
	assert_int_equal(db_bind_text(stmt, 2, "none"), DB_OK);
	assert_int_equal(db_bind_text(stmt, 3, "openid"), DB_OK);
	assert_int_equal(db_bind_int64(stmt, 4, NOW), DB_OK);
	assert_int_equal(db_bind_null(stmt, 5), DB_OK);
	assert_int_equal(db_step(stmt), DB_CONSTRAINT);
	assert_int_equal(STORE_FAIL(c, &err), ST_INVALID);
	store_stmt_done(stmt);
	put_conn(state, c);
}

static void
test_db_changes_counts_the_statements_rows(void **state)
{
	struct conn *c = get_conn(state);
	struct db_stmt *stmt = NULL;
	struct err err = {0};

	assert_int_equal(user_insert(c, "u1", "alice"), DB_DONE);
	assert_int_equal(store_stmt(c, STMT_USER_DELETE, &stmt, &err), ST_OK);
	assert_int_equal(db_bind_text(stmt, 1, "u1"), DB_OK);
	assert_int_equal(db_step(stmt), DB_DONE);
	assert_int_equal(db_changes(stmt), 1);
	store_stmt_done(stmt);
	/* Bound again after store_stmt_done: nothing left to delete. */
	assert_int_equal(db_bind_text(stmt, 1, "u1"), DB_OK);
	assert_int_equal(db_step(stmt), DB_DONE);
	assert_int_equal(db_changes(stmt), 0);
	store_stmt_done(stmt);
	put_conn(state, c);
}

static void
test_db_in_transaction_follows_the_transaction(void **state)
{
	struct conn *c = get_conn(state);
	struct err err = {0};

	assert_false(db_in_transaction(c));
	assert_int_equal(store_tx_begin(c, &err), ST_OK);
	assert_true(db_in_transaction(c));
	assert_int_equal(db_exec(c, "SAVEPOINT db_test; RELEASE db_test"), DB_OK);
	assert_true(db_in_transaction(c));
	assert_int_equal(store_tx_commit(c, &err), ST_OK);
	assert_false(db_in_transaction(c));
	assert_int_equal(db_exec(c, "RELEASE no_such_savepoint"), DB_ERROR);
	assert_true(strlen(db_errmsg(c)) > 0);
	put_conn(state, c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_store_stmt_prepares_each_id_once,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_db_reads_back_text_int_blob_and_name,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_db_null_binds_and_reads_as_null, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_db_step_maps_primary_key_and_unique_to_conflict, fixture_setup,
	                fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_db_step_maps_foreign_key_to_constraint,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_db_changes_counts_the_statements_rows,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_db_in_transaction_follows_the_transaction,
	                                        fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
