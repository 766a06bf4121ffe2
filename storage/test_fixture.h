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

#include "common/arena.h"
#include "storage/store.h"

/* *state of fixture_setup: a fresh migrated ":memory:" store and an arena. */
struct fixture {
	struct store *s;
	struct arena *arena;
};

/* cmocka setup: *state = a struct fixture. -1 when the store cannot be made. */
int fixture_setup(void **state);
/* cmocka teardown of fixture_setup. */
int fixture_teardown(void **state);
/* The store of the struct fixture in *state. */
struct store *fixture_store(void **state);

/* A fresh directory /tmp/<test program>-XXXXXX and path, the database file in it. */
struct tmpdb {
	char dir[64];
	char path[128];
};

/* Makes the directory (asserting that mkdtemp succeeds). */
void tmpdb_make(struct tmpdb *t);
/* Removes path, its -wal, -shm and -journal files and the directory, asserting rmdir succeeds. */
void tmpdb_remove(const struct tmpdb *t);
/* store_open(t->path, opts) then store_migrate, asserting both succeed. */
struct store *tmpdb_open(const struct tmpdb *t, const struct store_options *opts);

/* cmocka setup: *state = a made struct tmpdb (no database in it yet). */
int tmpdb_setup(void **state);
/* cmocka teardown of tmpdb_setup: removes whatever the test left in the directory. */
int tmpdb_teardown(void **state);

#endif
