/*
 * storage/users_test.c — the users table: insert/get round trips, usernames
 * unique and found ignoring ASCII case, partial updates, delete, keyset
 * pagination in username order and count, on a fresh migrated ":memory:"
 * store; migration 3 applied to a version-2 file under /tmp keeps the
 * clients.
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

static struct store_user
make_user(const char *id, const char *username)
{
	return (struct store_user){
	        .id = id,
	        .username = username,
	        .password_hash = "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA",
	        .claims = "{\"name\":\"Old Name\"}",
	        .created_at = 1700000000,
	        .updated_at = 1700000000,
	};
}

static void
insert_ok(struct store *s, const char *id, const char *username)
{
	struct store_user u = make_user(id, username);
	struct err err = {0};

	assert_int_equal(store_user_insert(s, &u, &err), ST_OK);
}

static struct store_user
get_ok(struct fixture *f, const char *id)
{
	struct store_user u = {0};
	struct err err = {0};

	assert_int_equal(store_user_get(f->s, id, f->arena, &u, &err), ST_OK);
	return u;
}

static int64_t
user_count(struct store *s)
{
	struct err err = {0};
	int64_t n = -1;

	assert_int_equal(store_user_count(s, &n, &err), ST_OK);
	return n;
}

static void
test_user_insert_then_get_returns_arena_copies(void **state)
{
	struct fixture *f = *state;
	char id[] = "6f1c2d3e-0000-4000-8000-000000000001";
	char username[] = "alice";
	char hash[] = "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA";
	char claims[] = "{\"name\":\"Alice\",\"email\":\"alice@example.org\"}";
	struct store_user in = {.id = id,
	                        .username = username,
	                        .password_hash = hash,
	                        .claims = claims,
	                        .created_at = 1700000001,
	                        .updated_at = 1700000002};
	struct store_user out;
	struct err err = {0};

	assert_int_equal(store_user_insert(f->s, &in, &err), ST_OK);
	out = get_ok(f, "6f1c2d3e-0000-4000-8000-000000000001");
	/* The caller's buffers change; the record must not. */
	memset(id, 'X', sizeof id - 1);
	memset(username, 'X', sizeof username - 1);
	memset(hash, 'X', sizeof hash - 1);
	memset(claims, 'X', sizeof claims - 1);

	assert_string_equal(out.id, "6f1c2d3e-0000-4000-8000-000000000001");
	assert_string_equal(out.username, "alice");
	assert_string_equal(out.password_hash, "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA");
	assert_string_equal(out.claims, "{\"name\":\"Alice\",\"email\":\"alice@example.org\"}");
	assert_int_equal(out.created_at, 1700000001);
	assert_int_equal(out.updated_at, 1700000002);
}

static void
test_user_get_by_username_ignores_ascii_case_and_keeps_spelling(void **state)
{
	struct fixture *f = *state;
	struct store_user out;
	struct err err = {0};

	insert_ok(f->s, "u1", "Alice.Smith");
	assert_int_equal(store_user_get_by_username(f->s, "alice.smith", f->arena, &out, &err),
	                 ST_OK);
	assert_string_equal(out.id, "u1");
	assert_string_equal(out.username, "Alice.Smith");
	assert_int_equal(store_user_get_by_username(f->s, "ALICE.SMITH", f->arena, &out, &err),
	                 ST_OK);
	assert_string_equal(out.id, "u1");
	/* No prefix match, no trimming. */
	assert_int_equal(store_user_get_by_username(f->s, "alice", f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_user_get_by_username(f->s, "Alice.Smith ", f->arena, &out, &err),
	                 ST_NOT_FOUND);
	/* Ids compare exactly. */
	assert_int_equal(store_user_get(f->s, "U1", f->arena, &out, &err), ST_NOT_FOUND);
}

static void
test_user_insert_duplicate_username_in_other_case_is_conflict(void **state)
{
	struct fixture *f = *state;
	struct store_user dup = make_user("u2", "BOB");
	struct err err = {0};

	insert_ok(f->s, "u1", "bob");
	assert_int_equal(store_user_insert(f->s, &dup, &err), ST_CONFLICT);
	assert_int_equal(err.st, ST_CONFLICT);
	assert_string_equal(err.msg, "username BOB already exists");
	assert_int_equal(user_count(f->s), 1);
	assert_string_equal(get_ok(f, "u1").username, "bob");
}

static void
test_user_insert_duplicate_id_is_conflict(void **state)
{
	struct fixture *f = *state;
	struct store_user dup = make_user("u1", "someone-else");
	struct err err = {0};

	insert_ok(f->s, "u1", "bob");
	assert_int_equal(store_user_insert(f->s, &dup, &err), ST_CONFLICT);
	assert_string_equal(err.msg, "user id u1 already exists");
	assert_int_equal(user_count(f->s), 1);
}

static void
test_user_get_missing_is_not_found_and_leaves_out_alone(void **state)
{
	struct fixture *f = *state;
	struct store_user out = {.id = "untouched"};
	struct err err = {0};

	assert_int_equal(store_user_get(f->s, "nope", f->arena, &out, &err), ST_NOT_FOUND);
	assert_int_equal(err.st, ST_NOT_FOUND);
	assert_int_equal(store_user_get_by_username(f->s, "nope", f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_string_equal(out.id, "untouched");
}

static void
test_user_update_claims_only_keeps_password_and_username(void **state)
{
	struct fixture *f = *state;
	struct store_user_update u = {.claims = "{\"name\":\"New\"}", .updated_at = 1800000000};
	struct store_user out;
	struct err err = {0};

	insert_ok(f->s, "u1", "carol");
	assert_int_equal(store_user_update(f->s, "u1", &u, &err), ST_OK);
	out = get_ok(f, "u1");
	assert_string_equal(out.claims, "{\"name\":\"New\"}");
	assert_string_equal(out.password_hash, "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA");
	assert_string_equal(out.username, "carol");
	assert_int_equal(out.updated_at, 1800000000);
	assert_int_equal(out.created_at, 1700000000);
}

static void
test_user_update_password_only_keeps_claims(void **state)
{
	struct fixture *f = *state;
	struct store_user_update u = {.password_hash = "$scrypt$new", .updated_at = 2};
	struct store_user out;
	struct err err = {0};

	insert_ok(f->s, "u1", "carol");
	assert_int_equal(store_user_update(f->s, "u1", &u, &err), ST_OK);
	out = get_ok(f, "u1");
	assert_string_equal(out.password_hash, "$scrypt$new");
	assert_string_equal(out.claims, "{\"name\":\"Old Name\"}");
	assert_int_equal(out.updated_at, 2);
}

static void
test_user_update_username_renames_and_refuses_a_taken_one(void **state)
{
	struct fixture *f = *state;
	struct store_user_update rename = {.username = "Dave", .updated_at = 2};
	struct store_user_update taken = {.username = "ERIN", .updated_at = 3};
	struct store_user_update recase = {.username = "DAVE", .updated_at = 4};
	struct store_user out;
	struct err err = {0};

	insert_ok(f->s, "u1", "carol");
	insert_ok(f->s, "u2", "erin");
	assert_int_equal(store_user_update(f->s, "u1", &rename, &err), ST_OK);
	assert_int_equal(store_user_get_by_username(f->s, "dave", f->arena, &out, &err), ST_OK);
	assert_string_equal(out.id, "u1");
	assert_int_equal(store_user_get_by_username(f->s, "carol", f->arena, &out, &err),
	                 ST_NOT_FOUND);

	assert_int_equal(store_user_update(f->s, "u1", &taken, &err), ST_CONFLICT);
	assert_int_equal(err.st, ST_CONFLICT);
	out = get_ok(f, "u1");
	assert_string_equal(out.username, "Dave");
	assert_int_equal(out.updated_at, 2);

	/* Changing only the case of one's own name is no conflict. */
	assert_int_equal(store_user_update(f->s, "u1", &recase, &err), ST_OK);
	assert_string_equal(get_ok(f, "u1").username, "DAVE");
}

static void
test_user_update_missing_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct store_user_update u = {.claims = "{}", .updated_at = 2};
	struct err err = {0};

	assert_int_equal(store_user_update(f->s, "nope", &u, &err), ST_NOT_FOUND);
	assert_int_equal(err.st, ST_NOT_FOUND);
	assert_int_equal(user_count(f->s), 0);
}

static void
test_user_delete_removes_only_that_user(void **state)
{
	struct fixture *f = *state;
	struct store_user out;
	struct err err = {0};

	insert_ok(f->s, "keep", "keep");
	insert_ok(f->s, "drop", "drop");
	assert_int_equal(store_user_delete(f->s, "drop", &err), ST_OK);
	assert_int_equal(store_user_get(f->s, "drop", f->arena, &out, &err), ST_NOT_FOUND);
	assert_int_equal(store_user_get_by_username(f->s, "drop", f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_string_equal(get_ok(f, "keep").id, "keep");
	assert_int_equal(user_count(f->s), 1);

	assert_int_equal(store_user_delete(f->s, "drop", &err), ST_NOT_FOUND);
	assert_int_equal(err.st, ST_NOT_FOUND);
	/* The name is free again. */
	insert_ok(f->s, "drop-2", "DROP");
}

static void
test_user_list_pages_in_username_order_ignoring_case(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = {"carol", "Bob", "alice", "Dave", "erin"};
	static const char *const sorted[] = {"alice", "Bob", "carol", "Dave", "erin"};
	struct store_user *rows = NULL;
	const char *after = NULL;
	struct err err = {0};
	bool more = true;
	size_t n = 0, i, seen = 0;
	char id[16];

	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof id, "u%zu", i);
		insert_ok(f->s, id, names[i]);
	}
	for (;;) {
		assert_int_equal(store_user_list(f->s, after, 2, f->arena, &rows, &n, &more, &err),
		                 ST_OK);
		for (i = 0; i < n; i++)
			assert_string_equal(rows[i].username, sorted[seen++]);
		if (!more)
			break;
		assert_int_equal(n, 2);
		after = rows[n - 1].username;
	}
	assert_int_equal(seen, 5);
	assert_int_equal(n, 1);

	/* The cursor compares ignoring case too, and need not exist. */
	assert_int_equal(store_user_list(f->s, "BOB", 10, f->arena, &rows, &n, &more, &err), ST_OK);
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].username, "carol");
	assert_int_equal(store_user_list(f->s, "b", 10, f->arena, &rows, &n, &more, &err), ST_OK);
	assert_int_equal(n, 4);
	assert_string_equal(rows[0].username, "Bob");
	assert_string_equal(rows[0].claims, "{\"name\":\"Old Name\"}");
	assert_false(more);
}

static void
test_user_list_of_empty_table_is_empty_and_limit_is_checked(void **state)
{
	static struct store_user untouched;
	struct fixture *f = *state;
	struct store_user *rows = &untouched;
	struct err err = {0};
	bool more = true;
	size_t n = 99;

	assert_int_equal(store_user_list(f->s, NULL, 100, f->arena, &rows, &n, &more, &err), ST_OK);
	assert_int_equal(n, 0);
	assert_null(rows);
	assert_false(more);
	assert_int_equal(store_user_list(f->s, NULL, 0, f->arena, &rows, &n, &more, &err),
	                 ST_INVALID);
	assert_int_equal(err.st, ST_INVALID);
	assert_int_equal(store_user_list(f->s, NULL, 1001, f->arena, &rows, &n, &more, &err),
	                 ST_INVALID);
	assert_int_equal(store_user_list(f->s, NULL, 1000, f->arena, &rows, &n, &more, &err),
	                 ST_OK);
}

static void
test_user_count_follows_inserts_and_deletes(void **state)
{
	struct fixture *f = *state;
	struct err err = {0};

	assert_int_equal(user_count(f->s), 0);
	insert_ok(f->s, "a", "a");
	insert_ok(f->s, "b", "b");
	assert_int_equal(user_count(f->s), 2);
	assert_int_equal(store_user_delete(f->s, "a", &err), ST_OK);
	assert_int_equal(user_count(f->s), 1);
}

/*
 * Migrations 1 and 2 exactly as released (migrate.c never edits them),
 * with one client: a database an oidcd before users left behind.
 */
static const char migrations_1_2_sql[] =
        "CREATE TABLE keys ("
        " kid TEXT PRIMARY KEY,"
        " alg TEXT NOT NULL,"
        " created_at INTEGER NOT NULL,"
        " usable_from INTEGER NOT NULL,"
        " sealed BLOB NOT NULL,"
        " public_jwk TEXT NOT NULL"
        ") STRICT;"
        "CREATE TABLE meta ("
        " name TEXT PRIMARY KEY,"
        " value INTEGER NOT NULL"
        ") STRICT;"
        "INSERT INTO meta (name, value) VALUES ('keys_generation', 0);"
        "CREATE TRIGGER keys_generation_on_insert AFTER INSERT ON keys BEGIN"
        " UPDATE meta SET value = value + 1 WHERE name = 'keys_generation';"
        " END;"
        "CREATE TRIGGER keys_generation_on_delete AFTER DELETE ON keys BEGIN"
        " UPDATE meta SET value = value + 1 WHERE name = 'keys_generation';"
        " END;"
        "CREATE TRIGGER keys_generation_on_update AFTER UPDATE ON keys BEGIN"
        " UPDATE meta SET value = value + 1 WHERE name = 'keys_generation';"
        " END;"
        "CREATE TABLE clients ("
        " id TEXT PRIMARY KEY,"
        " secret_hash TEXT,"
        " reg_token_hash BLOB CHECK (reg_token_hash IS NULL OR length(reg_token_hash) = 32),"
        " metadata TEXT NOT NULL,"
        " created_at INTEGER NOT NULL,"
        " updated_at INTEGER NOT NULL"
        ") STRICT;"
        "INSERT INTO clients VALUES ('old-client', NULL, NULL, '{}', 1, 1);"
        "PRAGMA user_version = 2;";

static void
test_migrate_from_version_2_adds_users_and_keeps_clients(void **state)
{
	struct fixture *f = *state; /* for its arena */
	struct tmpdb t;
	struct store_client client;
	struct store_user u;
	struct store *s = NULL;
	sqlite3 *db = NULL;
	struct err err = {0};
	int applied = -1, version = -1;

	tmpdb_make(&t);
	assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, migrations_1_2_sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	assert_int_equal(store_open(t.path, NULL, &s, &err), ST_OK);
	assert_int_equal(store_user_count(s, &(int64_t){0}, &err), ST_IO); /* no table yet */
	assert_true(store_schema_latest() >= 3);
	assert_int_equal(store_migrate(s, &applied, &err), ST_OK);
	assert_int_equal(applied, store_schema_latest() - 2);
	assert_int_equal(store_schema_version(s, &version, &err), ST_OK);
	assert_int_equal(version, store_schema_latest());

	insert_ok(s, "u1", "migrated");
	assert_int_equal(store_user_get(s, "u1", f->arena, &u, &err), ST_OK);
	assert_int_equal(store_client_get(s, "old-client", f->arena, &client, &err), ST_OK);
	store_close(s);

	tmpdb_remove(&t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_user_insert_then_get_returns_arena_copies),
	        T(test_user_get_by_username_ignores_ascii_case_and_keeps_spelling),
	        T(test_user_insert_duplicate_username_in_other_case_is_conflict),
	        T(test_user_insert_duplicate_id_is_conflict),
	        T(test_user_get_missing_is_not_found_and_leaves_out_alone),
	        T(test_user_update_claims_only_keeps_password_and_username),
	        T(test_user_update_password_only_keeps_claims),
	        T(test_user_update_username_renames_and_refuses_a_taken_one),
	        T(test_user_update_missing_is_not_found),
	        T(test_user_delete_removes_only_that_user),
	        T(test_user_list_pages_in_username_order_ignoring_case),
	        T(test_user_list_of_empty_table_is_empty_and_limit_is_checked),
	        T(test_user_count_follows_inserts_and_deletes),
	        T(test_migrate_from_version_2_adds_users_and_keeps_clients),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
