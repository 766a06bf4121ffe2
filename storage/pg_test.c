/*
 * storage/pg_test.c — storage/pg.c and storage/pg_schema.c against a real
 * PostgreSQL (issue 10): values round-trip (text, integers, blobs, NULL),
 * ?N is rewritten outside string literals only, text that is not UTF-8
 * matches nothing and is not written, unique and other
 * constraint violations map to PG_CONFLICT / PG_CONSTRAINT, the migrations
 * apply once (also from two connections at once) and refuse a newer
 * schema, usernames are unique ignoring case, the keys_generation trigger
 * counts, and every statement id's PostgreSQL text prepares on the
 * migrated schema.
 *
 * Needs OIDCD_TEST_PG_URL (scripts/pg.sh start DIR prints one); each test
 * is skipped without it, except the ones that need no server. Each test
 * gets a fresh schema "oidcd_pg_test" (search_path through the URL's options).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "storage/db.h"
#include "storage/pg.h"
#include "storage/pg_schema.h"
#include "storage/store.h"
#include "storage/store_internal.h"

#define TEST_SCHEMA "oidcd_pg_test"

/* OIDCD_TEST_PG_URL with search_path set to TEST_SCHEMA, or NULL. */
static char url[1024];

static const char *
test_url(void)
{
	const char *base = getenv("OIDCD_TEST_PG_URL");

	if (base == NULL || base[0] == '\0')
		return NULL;
	snprintf(url, sizeof url, "%s%coptions=-csearch_path%%3D" TEST_SCHEMA, base,
	         strchr(base, '?') != NULL ? '&' : '?');
	return url;
}

/* cmocka setup: *state = a connection on an empty TEST_SCHEMA; skips without a server. */
static int
db_setup(void **state)
{
	struct pg_db *db = NULL;
	struct err err = {0};

	if (test_url() == NULL) {
		*state = NULL;
		return 0;
	}
	if (pg_open(test_url(), 5000, &db, &err) != ST_OK) {
		fprintf(stderr, "pg_open: %s\n", err.msg);
		return -1;
	}
	if (pg_exec(db, "DROP SCHEMA IF EXISTS " TEST_SCHEMA " CASCADE;"
	                "CREATE SCHEMA " TEST_SCHEMA) != PG_OK) {
		fprintf(stderr, "schema: %s\n", pg_errmsg(db));
		pg_close(db);
		return -1;
	}
	*state = db;
	return 0;
}

static int
db_teardown(void **state)
{
	pg_close(*state);
	return 0;
}

static struct pg_db *
db_of(void **state)
{
	if (*state == NULL)
		skip();
	return *state;
}

static void
test_open_failure_hides_the_password(void **state)
{
	struct pg_db *db = NULL;
	struct err err = {0};

	(void)state;
	/* Nothing listens on port 1 of loopback. */
	assert_int_equal(pg_open("postgres://oidcd:s3cr3t-pw@127.0.0.1:1/oidcd", 0, &db, &err),
	                 ST_IO);
	assert_null(db);
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_null(strstr(err.msg, "s3cr3t-pw"));
	assert_int_equal(
	        pg_open("postgresql://u:p%40ss@127.0.0.1:1/x?connect_timeout=2", 0, &db, &err),
	        ST_IO);
	assert_null(strstr(err.msg, "p%40ss"));
	assert_null(strstr(err.msg, "p@ss"));
}

static void
test_store_open_failure_hides_the_password(void **state)
{
	struct store *s = NULL;
	struct err err = {0};

	(void)state;
	assert_int_equal(
	        store_open("postgresql://oidcd:pw-0f-mine@127.0.0.1:1/oidcd", NULL, &s, &err),
	        ST_IO);
	assert_null(strstr(err.msg, "pw-0f-mine"));
}

/* store_path of a URL with a password (trust authentication ignores it). */
static void
test_store_path_hides_the_password(void **state)
{
	const char *base = getenv("OIDCD_TEST_PG_URL");
	const char *at;
	struct store *s = NULL;
	struct err err = {0};
	char with_pw[1024];

	(void)db_of(state);
	at = base != NULL ? strchr(base, '@') : NULL;
	if (at == NULL || (size_t)(at - base) >= 512 || strstr(base, "://") == NULL ||
	    memchr(base, ':', (size_t)(at - base)) != strstr(base, "://")) {
		skip(); /* needs a URL with a user and no password */
		return;
	}
	/* user:pw@host..., and a password= parameter too */
	memcpy(with_pw, base, (size_t)(at - base));
	snprintf(with_pw + (at - base), sizeof with_pw - (size_t)(at - base),
	         ":pw-0f-mine%s%cpassword=pw-0f-mine", at, strchr(base, '?') != NULL ? '&' : '?');
	assert_int_equal(store_open(with_pw, NULL, &s, &err), ST_OK);
	assert_null(strstr(store_path(s), "pw-0f-mine"));
	assert_non_null(strstr(store_path(s), ":***@"));
	assert_non_null(strstr(store_path(s), "password=***"));
	store_close(s);
}

static void
test_values_round_trip(void **state)
{
	struct pg_db *db = db_of(state);
	static const unsigned char blob[] = {0x00, 0xff, 0x10, 0x00, 0x7f};
	struct pg_stmt *ins = NULL, *sel = NULL;

	assert_int_equal(pg_exec(db, "CREATE TABLE t (id BIGINT PRIMARY KEY, s TEXT, b BYTEA,"
	                             " n BIGINT)"),
	                 PG_OK);
	assert_int_equal(pg_prepare(db, "ins", "INSERT INTO t VALUES (?1, ?2, ?3, ?4)", &ins),
	                 PG_OK);
	assert_int_equal(pg_bind_int64(ins, 1, INT64_MIN + 1), PG_OK);
	assert_int_equal(pg_bind_text(ins, 2, "héllo 'quoted' \\ ?1"), PG_OK);
	assert_int_equal(pg_bind_blob(ins, 3, blob, sizeof blob), PG_OK);
	assert_int_equal(pg_bind_null(ins, 4), PG_OK);
	assert_int_equal(pg_step(ins), PG_DONE);
	assert_int_equal(pg_changes(ins), 1);
	pg_reset(ins);
	/* Unbound parameters are NULL; an empty blob is not. */
	assert_int_equal(pg_bind_int64(ins, 1, INT64_MAX), PG_OK);
	assert_int_equal(pg_bind_blob(ins, 3, NULL, 0), PG_OK);
	assert_int_equal(pg_step(ins), PG_DONE);
	pg_reset(ins);
	/* Out-of-range indexes are refused, as by SQLite. */
	assert_int_equal(pg_bind_int64(ins, 0, 1), PG_ERROR);
	assert_int_equal(pg_bind_int64(ins, 5, 1), PG_ERROR);

	assert_int_equal(pg_prepare(db, "sel", "SELECT id, s, b, n FROM t ORDER BY id", &sel),
	                 PG_OK);
	assert_int_equal(pg_step(sel), PG_ROW);
	assert_true(pg_column_int64(sel, 0) == INT64_MIN + 1);
	assert_string_equal(pg_column_text(sel, 1), "héllo 'quoted' \\ ?1");
	assert_int_equal(pg_column_bytes(sel, 1), strlen("héllo 'quoted' \\ ?1"));
	assert_int_equal(pg_column_bytes(sel, 2), sizeof blob);
	assert_memory_equal(pg_column_blob(sel, 2), blob, sizeof blob);
	assert_true(pg_column_is_null(sel, 3));
	assert_int_equal(pg_column_int64(sel, 3), 0);
	assert_string_equal(pg_column_name(sel, 2), "b");
	assert_int_equal(pg_step(sel), PG_ROW);
	assert_true(pg_column_int64(sel, 0) == INT64_MAX);
	assert_null(pg_column_text(sel, 1));
	assert_false(pg_column_is_null(sel, 2));
	assert_non_null(pg_column_blob(sel, 2));
	assert_int_equal(pg_column_bytes(sel, 2), 0);
	assert_int_equal(pg_step(sel), PG_DONE);
	pg_reset(sel);
	/* Executes again after a reset. */
	assert_int_equal(pg_step(sel), PG_ROW);
	pg_reset(sel);
	pg_finalize(sel);
	pg_finalize(ins);
	/* A finalized name can be prepared again. */
	assert_int_equal(pg_prepare(db, "sel", "SELECT 1", &sel), PG_OK);
	assert_int_equal(pg_step(sel), PG_ROW);
	assert_int_equal(pg_column_int64(sel, 0), 1);
	pg_reset(sel);
}

static void
test_placeholders_in_literals_are_left_alone(void **state)
{
	struct pg_db *db = db_of(state);
	struct pg_stmt *stmt = NULL;

	assert_int_equal(
	        pg_prepare(db, "lit", "SELECT '?1', 'it''s ?2', ?1::text, ?2::bigint", &stmt),
	        PG_OK);
	assert_int_equal(pg_bind_text(stmt, 1, "x"), PG_OK);
	assert_int_equal(pg_bind_int64(stmt, 2, 42), PG_OK);
	assert_int_equal(pg_step(stmt), PG_ROW);
	assert_string_equal(pg_column_text(stmt, 0), "?1");
	assert_string_equal(pg_column_text(stmt, 1), "it's ?2");
	assert_string_equal(pg_column_text(stmt, 2), "x");
	assert_int_equal(pg_column_int64(stmt, 3), 42);
	pg_reset(stmt);
}

static void
test_text_not_utf8_finds_nothing_and_is_not_written(void **state)
{
	struct pg_db *db = db_of(state);
	struct pg_stmt *sel = NULL, *ins = NULL;

	assert_int_equal(pg_exec(db, "CREATE TABLE v (k TEXT PRIMARY KEY)"), PG_OK);
	assert_int_equal(pg_prepare(db, "sel", "SELECT k FROM v WHERE k = ?1", &sel), PG_OK);
	assert_int_equal(pg_bind_text(sel, 1,
	                              "a\x80"
	                              "b"),
	                 PG_OK);
	assert_int_equal(pg_step(sel), PG_DONE);
	pg_reset(sel);
	assert_int_equal(pg_prepare(db, "ins", "INSERT INTO v VALUES (?1)", &ins), PG_OK);
	assert_int_equal(pg_bind_text(ins, 1, "\xed\xa0\x80"), PG_OK); /* a surrogate */
	assert_int_equal(pg_step(ins), PG_CONSTRAINT);
	assert_string_equal(pg_sqlstate(db), "22021");
	pg_reset(ins);
	assert_int_equal(pg_bind_text(ins, 1, "h\xc3\xa9 \xf0\x9f\x99\x82"), PG_OK);
	assert_int_equal(pg_step(ins), PG_DONE);
	pg_reset(ins);
}

/*
 * A server connection that breaks (here: terminated by the server, which
 * pg_terminate_backend with a timeout waits for) fails
 * the statement that finds out, and the next one works on a new session,
 * preparing its statement again.
 */
static void
test_a_broken_connection_is_reset_and_statements_prepare_again(void **state)
{
	struct pg_db *db = db_of(state);
	struct pg_db *admin = NULL;
	struct pg_stmt *pid = NULL, *kill = NULL;
	struct err err = {0};
	char sql[128];
	int64_t before;

	assert_int_equal(pg_prepare(db, "pid", "SELECT pg_backend_pid()", &pid), PG_OK);
	assert_int_equal(pg_step(pid), PG_ROW);
	before = pg_column_int64(pid, 0);
	pg_reset(pid);
	assert_int_equal(pg_open(test_url(), 0, &admin, &err), ST_OK);
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld, 10000)", (long long)before);
	assert_int_equal(pg_prepare(admin, "kill", sql, &kill), PG_OK);
	assert_int_equal(pg_step(kill), PG_ROW);
	pg_reset(kill);
	pg_close(admin);
	/* The session is gone: the next call fails, then the connection is new. */
	assert_int_equal(pg_step(pid), PG_ERROR);
	pg_reset(pid);
	assert_int_equal(pg_step(pid), PG_ROW);
	assert_true(pg_column_int64(pid, 0) != before);
	pg_reset(pid);
}

static void
test_booleans_read_as_integers(void **state)
{
	struct pg_db *db = db_of(state);
	struct pg_stmt *stmt = NULL;

	assert_int_equal(pg_prepare(db, "b", "SELECT true, false", &stmt), PG_OK);
	assert_int_equal(pg_step(stmt), PG_ROW);
	assert_int_equal(pg_column_int64(stmt, 0), 1);
	assert_int_equal(pg_column_int64(stmt, 1), 0);
	pg_reset(stmt);
}

static void
test_violations_map_to_conflict_and_constraint(void **state)
{
	struct pg_db *db = db_of(state);
	struct pg_stmt *stmt = NULL;

	assert_int_equal(pg_exec(db, "CREATE TABLE u (k TEXT PRIMARY KEY, v BIGINT NOT NULL"
	                             " CHECK (v > 0))"),
	                 PG_OK);
	assert_int_equal(pg_prepare(db, "ins", "INSERT INTO u VALUES (?1, ?2)", &stmt), PG_OK);
	pg_bind_text(stmt, 1, "a");
	pg_bind_int64(stmt, 2, 1);
	assert_int_equal(pg_step(stmt), PG_DONE);
	pg_reset(stmt);
	pg_bind_text(stmt, 1, "a");
	pg_bind_int64(stmt, 2, 1);
	assert_int_equal(pg_step(stmt), PG_CONFLICT);
	assert_string_equal(pg_sqlstate(db), "23505");
	assert_true(pg_errmsg(db)[0] != '\0');
	pg_reset(stmt);
	pg_bind_text(stmt, 1, "b");
	pg_bind_int64(stmt, 2, -1);
	assert_int_equal(pg_step(stmt), PG_CONSTRAINT);
	assert_string_equal(pg_sqlstate(db), "23514");
	pg_reset(stmt);
	pg_bind_text(stmt, 1, "c");
	assert_int_equal(pg_step(stmt), PG_CONSTRAINT); /* NOT NULL */
	pg_reset(stmt);
	/* Not a constraint: a syntax error. */
	assert_int_equal(pg_exec(db, "SELEC 1"), PG_ERROR);
	assert_string_equal(pg_sqlstate(db), "42601");
}

static void
test_transactions_are_seen(void **state)
{
	struct pg_db *db = db_of(state);

	assert_false(pg_in_transaction(db));
	assert_int_equal(pg_exec(db, "BEGIN"), PG_OK);
	assert_true(pg_in_transaction(db));
	assert_int_equal(pg_exec(db, "SAVEPOINT s1"), PG_OK);
	assert_int_equal(pg_exec(db, "SELEC"), PG_ERROR);
	assert_true(pg_in_transaction(db)); /* failed, still open */
	assert_int_equal(pg_exec(db, "ROLLBACK TO s1; RELEASE s1"), PG_OK);
	assert_int_equal(pg_exec(db, "COMMIT"), PG_OK);
	assert_false(pg_in_transaction(db));
}

/* Migrates TEST_SCHEMA as the server does: store_open + store_migrate (migrate.c). */
static enum status
migrate_url(int *applied_out, struct err *err)
{
	struct store *s = NULL;
	enum status st;

	st = store_open(test_url(), NULL, &s, err);
	if (st == ST_OK)
		st = store_migrate(s, applied_out, err);
	store_close(s);
	return st;
}

static void
test_migrate_applies_every_migration_once(void **state)
{
	struct pg_db *db = db_of(state);
	struct err err = {0};
	int applied = -1, version = -1;

	assert_int_equal(pg_schema_latest(), store_schema_latest());
	assert_int_equal(pg_schema_version(db, &version, &err), ST_OK);
	assert_int_equal(version, 0);
	assert_int_equal(migrate_url(&applied, &err), ST_OK);
	assert_int_equal(applied, pg_schema_latest());
	assert_int_equal(pg_schema_version(db, &version, &err), ST_OK);
	assert_int_equal(version, pg_schema_latest());
	assert_int_equal(migrate_url(&applied, &err), ST_OK);
	assert_int_equal(applied, 0);
}

static void
test_migrate_refuses_a_newer_schema(void **state)
{
	struct pg_db *db = db_of(state);
	struct err err = {0};
	char sql[128];
	int applied = -1;

	assert_int_equal(migrate_url(&applied, &err), ST_OK);
	snprintf(sql, sizeof sql, "INSERT INTO schema_version (version) VALUES (%d)",
	         pg_schema_latest() + 1);
	assert_int_equal(pg_exec(db, sql), PG_OK);
	assert_int_equal(migrate_url(&applied, &err), ST_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "is newer than this oidcd supports"));
}

struct migrator {
	int applied;
	enum status st;
};

static void *
migrate_thread(void *arg)
{
	struct migrator *m = arg;
	struct err err = {0};

	m->st = migrate_url(&m->applied, &err);
	return NULL;
}

static void
test_migrate_from_two_connections_at_once_applies_each_once(void **state)
{
	struct pg_db *db = db_of(state);
	struct migrator m[2] = {{0}, {0}};
	pthread_t tid[2];
	struct err err = {0};
	int version = -1, i;

	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, migrate_thread, &m[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(tid[i], NULL), 0);
	assert_int_equal(m[0].st, ST_OK);
	assert_int_equal(m[1].st, ST_OK);
	assert_int_equal(m[0].applied + m[1].applied, pg_schema_latest());
	assert_int_equal(pg_schema_version(db, &version, &err), ST_OK);
	assert_int_equal(version, pg_schema_latest());
}

/*
 * Every statement's PostgreSQL text (the override, else the common one)
 * prepares on the migrated schema: catches dialect errors and parameter
 * types the server cannot infer.
 */
static void
test_every_statement_prepares(void **state)
{
	struct pg_db *db = db_of(state);
	struct pg_stmt *stmt = NULL;
	struct err err = {0};
	char name[16];
	const char *sql;
	int id, failed = 0;

	assert_int_equal(migrate_url(NULL, &err), ST_OK);
	for (id = 0; id < STMT_COUNT; id++) {
		sql = store_stmt_sql(DB_PG, (enum store_stmt)id);
		assert_non_null(sql);
		snprintf(name, sizeof name, "s%d", id);
		if (pg_prepare(db, name, sql, &stmt) != PG_OK) {
			fprintf(stderr, "statement %d: %s\n  %s\n", id, pg_errmsg(db), sql);
			failed++;
			continue;
		}
		pg_finalize(stmt);
	}
	assert_int_equal(failed, 0);
}

static void
test_usernames_are_unique_ignoring_case(void **state)
{
	struct pg_db *db = db_of(state);
	struct pg_stmt *ins = NULL, *get = NULL;
	struct err err = {0};

	assert_int_equal(migrate_url(NULL, &err), ST_OK);
	assert_int_equal(pg_prepare(db, "ins", store_stmt_sql(DB_PG, STMT_USER_INSERT), &ins),
	                 PG_OK);
	pg_bind_text(ins, 1, "u1");
	pg_bind_text(ins, 2, "Alice");
	pg_bind_text(ins, 3, "h");
	pg_bind_text(ins, 4, "{}");
	pg_bind_int64(ins, 5, 1);
	pg_bind_int64(ins, 6, 1);
	assert_int_equal(pg_step(ins), PG_DONE);
	pg_reset(ins);
	pg_bind_text(ins, 1, "u2");
	pg_bind_text(ins, 2, "aLICE");
	pg_bind_text(ins, 3, "h");
	pg_bind_text(ins, 4, "{}");
	pg_bind_int64(ins, 5, 1);
	pg_bind_int64(ins, 6, 1);
	assert_int_equal(pg_step(ins), PG_CONFLICT);
	pg_reset(ins);
	assert_int_equal(
	        pg_prepare(db, "get", store_stmt_sql(DB_PG, STMT_USER_GET_BY_USERNAME), &get),
	        PG_OK);
	pg_bind_text(get, 1, "ALICE");
	assert_int_equal(pg_step(get), PG_ROW);
	assert_string_equal(pg_column_text(get, 0), "u1");
	assert_string_equal(pg_column_text(get, 1), "Alice");
	pg_reset(get);
}

static void
test_key_changes_bump_the_generation(void **state)
{
	struct pg_db *db = db_of(state);
	struct pg_stmt *gen = NULL;
	struct err err = {0};

	assert_int_equal(migrate_url(NULL, &err), ST_OK);
	assert_int_equal(pg_exec(db, "INSERT INTO keys VALUES ('k1', 'ES256', 1, 1, '\\x00', '{}');"
	                             "UPDATE keys SET usable_from = 2;"
	                             "DELETE FROM keys WHERE kid = 'k1'"),
	                 PG_OK);
	assert_int_equal(pg_prepare(db, "gen", store_stmt_sql(DB_PG, STMT_KEY_GENERATION), &gen),
	                 PG_OK);
	assert_int_equal(pg_step(gen), PG_ROW);
	assert_int_equal(pg_column_int64(gen, 0), 3);
	pg_reset(gen);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_open_failure_hides_the_password),
	        cmocka_unit_test(test_store_open_failure_hides_the_password),
	        cmocka_unit_test_setup_teardown(test_store_path_hides_the_password, db_setup,
	                                        db_teardown),
	        cmocka_unit_test_setup_teardown(test_values_round_trip, db_setup, db_teardown),
	        cmocka_unit_test_setup_teardown(test_placeholders_in_literals_are_left_alone,
	                                        db_setup, db_teardown),
	        cmocka_unit_test_setup_teardown(test_text_not_utf8_finds_nothing_and_is_not_written,
	                                        db_setup, db_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_a_broken_connection_is_reset_and_statements_prepare_again, db_setup,
	                db_teardown),
	        cmocka_unit_test_setup_teardown(test_booleans_read_as_integers, db_setup,
	                                        db_teardown),
	        cmocka_unit_test_setup_teardown(test_violations_map_to_conflict_and_constraint,
	                                        db_setup, db_teardown),
	        cmocka_unit_test_setup_teardown(test_transactions_are_seen, db_setup, db_teardown),
	        cmocka_unit_test_setup_teardown(test_migrate_applies_every_migration_once, db_setup,
	                                        db_teardown),
	        cmocka_unit_test_setup_teardown(test_migrate_refuses_a_newer_schema, db_setup,
	                                        db_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_migrate_from_two_connections_at_once_applies_each_once, db_setup,
	                db_teardown),
	        cmocka_unit_test_setup_teardown(test_every_statement_prepares, db_setup,
	                                        db_teardown),
	        cmocka_unit_test_setup_teardown(test_usernames_are_unique_ignoring_case, db_setup,
	                                        db_teardown),
	        cmocka_unit_test_setup_teardown(test_key_changes_bump_the_generation, db_setup,
	                                        db_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
