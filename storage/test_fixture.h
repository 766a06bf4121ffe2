/*
 * storage/test_fixture.h — the setup every storage test (*_test.c) shares: a
 * migrated ":memory:" store with an arena (fixture_setup/fixture_teardown,
 * cmocka setup and teardown), and a temporary directory holding one database
 * file for the tests that need a file (several connections, WAL, reopening).
 *
 * Linked into each storage test with test_fixture.c (storage/meson.build);
 * nothing else includes it.
 */
#ifndef STORAGE_TEST_FIXTURE_H
#define STORAGE_TEST_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "storage/db.h"
#include "storage/store.h"

/* *state of fixture_setup: a fresh migrated ":memory:" store and an arena. */
struct fixture {
	struct store *s;
	struct arena *arena;
};

/*
 * cmocka setup: *state = a struct fixture. -1 when the store cannot be made.
 * With OIDCD_TEST_PG_URL set, the store is PostgreSQL (fixture_pg_url).
 */
int fixture_setup(void **state);
/* cmocka teardown of fixture_setup. */
int fixture_teardown(void **state);
/*
 * OIDCD_TEST_PG_URL with search_path set to a schema of this test program,
 * made afresh by the first call and emptied (every table but the migration
 * state) by the later ones; NULL when the variable is unset or the server
 * cannot be reached.
 */
const char *fixture_pg_url(void);
/* True when s is a PostgreSQL store (the tests' SQL differs there). */
bool fixture_is_pg(struct store *s);
/* Runs sql, which yields one integer (e.g. a count), on s's connection; -1 for no row. */
int64_t fixture_query_int(struct store *s, const char *sql);
/* Runs ;-separated sql that returns no rows on s's connection. */
enum db_rc fixture_exec(struct store *s, const char *sql);
/* The store of the struct fixture in *state. */
struct store *fixture_store(void **state);

/* A fresh directory /tmp/<test program>-XXXXXX and path, the database file in it. */
struct tmpdb {
	char dir[64];
	char path[128];
};

/* Makes the directory (asserting that mkdtemp succeeds). */
void tmpdb_make(struct tmpdb *t);
/* Removes path, its -wal, -shm, -journal and -gen files and the directory, asserting rmdir
 * succeeds. */
void tmpdb_remove(const struct tmpdb *t);
/* store_open(t->path, opts) then store_migrate, asserting both succeed. */
struct store *tmpdb_open(const struct tmpdb *t, const struct store_options *opts);

/* cmocka setup: *state = a made struct tmpdb (no database in it yet). */
int tmpdb_setup(void **state);
/* cmocka teardown of tmpdb_setup: removes whatever the test left in the directory. */
int tmpdb_teardown(void **state);

#endif
