/*
 * storage/test_fixture.c — the shared setup of the storage tests (see
 * test_fixture.h).
 *
 * With OIDCD_TEST_PG_URL set (scripts/pg.sh start DIR prints one),
 * fixture_setup gives a PostgreSQL store instead of ":memory:": each test
 * gets a fresh schema named after the test program (so test programs can
 * run at once on one database), selected through the URL's search_path;
 * commits do not wait for the disk (synchronous_commit=off).
 */
#include <errno.h>
#include <setjmp.h>
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
#include "storage/db.h"
#include "storage/pg.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/test_fixture.h"

#define SIDE_FILE_SUFFIXES 4

static const char *const side_suffixes[SIDE_FILE_SUFFIXES] = {"-wal", "-shm", "-journal", "-gen"};

const char *
fixture_pg_url(void)
{
	static char url[1024];
	static bool is_schema_made;
	const char *base = getenv("OIDCD_TEST_PG_URL");
	struct pg_db *db = NULL;
	char schema[64], sql[512];
	struct err err = {0};
	size_t i;

	if (base == NULL || base[0] == '\0')
		return NULL;
	/* "t_" and the program name, lower case, [a-z0-9_] only. */
	snprintf(schema, sizeof schema, "t_%s", program_invocation_short_name);
	for (i = 0; schema[i] != '\0'; i++) {
		char ch = schema[i];

		if (ch >= 'A' && ch <= 'Z')
			schema[i] = (char)(ch - 'A' + 'a');
		else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			schema[i] = '_';
	}
	/* Commits need not wait for the disk in unit tests. */
	snprintf(url, sizeof url, "%s%coptions=-csearch_path%%3D%s%%20-csynchronous_commit%%3Doff",
	         base, strchr(base, '?') != NULL ? '&' : '?', schema);
	/* The first test of the program makes the schema afresh; the later
	 * ones empty every table of it (migrating again would take a second
	 * of DDL per test). Every foreign key cascades. */
	if (!is_schema_made)
		snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
		         schema, schema);
	else
		snprintf(sql, sizeof sql,
		         "DO $$ DECLARE r record; BEGIN"
		         " FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = '%s'"
		         " AND tablename NOT IN ('schema_version', 'meta') LOOP"
		         " EXECUTE format('DELETE FROM %%I.%%I', '%s', r.tablename); END LOOP;"
		         " UPDATE %s.meta SET value = 0; END $$",
		         schema, schema, schema);
	/* On url: the trigger functions find their tables through search_path. */
	if (pg_open(url, 0, &db, &err) != ST_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	if (pg_exec(db, sql) != PG_OK) {
		fprintf(stderr, "%s\n", pg_errmsg(db));
		pg_close(db);
		return NULL;
	}
	pg_close(db);
	is_schema_made = true;
	return url;
}

int
fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	const char *path = ":memory:";
	const char *pg_url = getenv("OIDCD_TEST_PG_URL");
	struct err err = {0};

	if (f == NULL)
		return -1;

	if (pg_url != NULL && pg_url[0] != '\0') {
		path = fixture_pg_url();
		if (path == NULL) {
			free(f);
			return -1;
		}
	}
	if (store_open(path, NULL, &f->s, &err) != ST_OK ||
	    store_migrate(f->s, NULL, &err) != ST_OK) {
		fprintf(stderr, "fixture: %s\n", err.msg);
		store_close(f->s);
		free(f);
		return -1;
	}
	f->arena = arena_new();
	*state = f;
	return 0;
}

int
fixture_teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	arena_free(f->arena);
	free(f);
	return 0;
}

bool
fixture_is_pg(struct store *s)
{
	return store_path_is_pg(store_path(s));
}

/* An id past the statement table's, for the ad hoc statements below. */
#define FIXTURE_STMT_ID 9000

int64_t
fixture_query_int(struct store *s, const char *sql)
{
	struct db_stmt stmt = {0};
	struct conn *c = NULL;
	struct err err = {0};
	int64_t n = -1;

	assert_int_equal(store_conn_acquire(s, &c, &err), ST_OK);
	if (db_prepare(c, FIXTURE_STMT_ID, sql, &stmt) != DB_OK) {
		print_error("%s: %s\n", sql, db_errmsg(c));
		fail();
	}
	if (db_step(&stmt) == DB_ROW)
		n = db_column_int64(&stmt, 0);
	db_reset(&stmt);
	db_finalize(&stmt);
	store_conn_release(s, c);
	return n;
}

enum db_rc
fixture_exec(struct store *s, const char *sql)
{
	struct conn *c = NULL;
	struct err err = {0};
	enum db_rc rc;

	assert_int_equal(store_conn_acquire(s, &c, &err), ST_OK);
	rc = db_exec(c, sql);
	store_conn_release(s, c);
	return rc;
}

struct store *
fixture_store(void **state)
{
	struct fixture *f = *state;

	return f->s;
}

/* mkdtemp under /tmp, named after the test program; false when it fails. */
static bool
tmpdb_mkdtemp(struct tmpdb *t)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/%s-XXXXXX", program_invocation_short_name);
	if (mkdtemp(t->dir) == NULL)
		return false;
	snprintf(t->path, sizeof t->path, "%s/oidcd.db", t->dir);
	return true;
}

/* Unlinks the database and its side files; returns rmdir's result. */
static int
tmpdb_unlink_all(const struct tmpdb *t)
{
	char side[160];
	int i;

	unlink(t->path);
	for (i = 0; i < SIDE_FILE_SUFFIXES; i++) {
		snprintf(side, sizeof side, "%s%s", t->path, side_suffixes[i]);
		unlink(side);
	}
	return rmdir(t->dir);
}

void
tmpdb_make(struct tmpdb *t)
{
	assert_true(tmpdb_mkdtemp(t));
}

void
tmpdb_remove(const struct tmpdb *t)
{
	assert_int_equal(tmpdb_unlink_all(t), 0);
}

struct store *
tmpdb_open(const struct tmpdb *t, const struct store_options *opts)
{
	struct store *s = NULL;
	struct err err = {0};

	assert_int_equal(store_open(t->path, opts, &s, &err), ST_OK);
	assert_int_equal(store_migrate(s, NULL, &err), ST_OK);
	return s;
}

int
tmpdb_setup(void **state)
{
	struct tmpdb *t = calloc(1, sizeof *t);

	if (t == NULL)
		return -1;
	if (!tmpdb_mkdtemp(t)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

int
tmpdb_teardown(void **state)
{
	struct tmpdb *t = *state;

	(void)tmpdb_unlink_all(t);
	free(t);
	return 0;
}
