/*
 * storage/read_anchor_test.c — the read anchor (read_anchor.c): reads stay
 * fresh with it, the WAL still restarts (bounded size) while it is held and
 * moved, and an expired anchor lets another connection truncate the WAL.
 */
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "storage/store.h"
#include "storage/test_fixture.h"

#define INSERTS 2500
/* Each commit writes at least one frame: without restarts the WAL passes 2500 frames; with them it
 * stays near SQLite's 1000-frame checkpoint threshold. */
#define WAL_MAX_FRAMES 2000
#define WAL_PAGE       4096

static const struct store_options normal_sync = {.synchronous_full = false};

static int64_t
wal_bytes(const struct tmpdb *t)
{
	char wal[160];
	struct stat sb;

	snprintf(wal, sizeof wal, "%s-wal", t->path);
	return stat(wal, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* Another connection to the file, as another process would have one. */
static sqlite3 *
outsider(const struct tmpdb *t)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	return db;
}

/* Runs sql (one row, one integer) on db. */
static int64_t
outsider_int(sqlite3 *db, const char *sql, int column)
{
	sqlite3_stmt *stmt = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, column);
	sqlite3_finalize(stmt);
	return v;
}

static void
test_reads_see_every_commit(void **state)
{
	const struct tmpdb *t = *state;
	struct store *s = tmpdb_open(t, &normal_sync);
	sqlite3 *other;
	int i;

	assert_int_equal(fixture_exec(s, "CREATE TABLE t(x INTEGER)"), DB_OK);
	for (i = 1; i <= 50; i++) {
		char sql[64];

		snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d)", i);
		assert_int_equal(fixture_exec(s, sql), DB_OK);
		assert_int_equal(fixture_query_int(s, "SELECT max(x) FROM t"), i);
	}
	assert_true(store_anchor_is_held(s));
	/* A commit the store did not make (no wal hook counts it) is seen at
	 * once all the same: the anchor never is the readers' snapshot. */
	other = outsider(t);
	assert_int_equal(sqlite3_exec(other, "INSERT INTO t VALUES (1000)", NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(fixture_query_int(s, "SELECT max(x) FROM t"), 1000);
	sqlite3_close(other);
	store_close(s);
}

struct reader {
	struct store *s;
	atomic_bool stop;
	int64_t reads, failures; /* no cmocka asserts off the main thread */
};

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct err err;
	int64_t n;

	while (!atomic_load(&r->stop)) {
		if (store_user_count(r->s, &n, &err) == ST_OK)
			r->reads++;
		else
			r->failures++;
	}
	return NULL;
}

/*
 * The anchor holds a read lock, which would keep a checkpoint from copying
 * the newest frames and the WAL from restarting; the wal hook drops it for
 * the checkpoint. Without that the WAL grows by every commit.
 */
static void
wal_stays_bounded(const struct tmpdb *t, bool with_reader)
{
	struct store *s = tmpdb_open(t, &normal_sync);
	struct reader r = {.s = s};
	pthread_t tid;
	int64_t max = 0;
	int i;

	assert_int_equal(fixture_exec(s, "CREATE TABLE t(x BLOB)"), DB_OK);
	if (with_reader)
		assert_int_equal(pthread_create(&tid, NULL, reader_main, &r), 0);
	for (i = 0; i < INSERTS; i++) {
		int64_t n;

		assert_int_equal(fixture_exec(s, "INSERT INTO t VALUES (zeroblob(600))"), DB_OK);
		/* a read after each commit moves the anchor to the newest snapshot */
		assert_int_equal(fixture_query_int(s, "SELECT count(*) FROM t"), i + 1);
		n = wal_bytes(t);
		if (n > max)
			max = n;
	}
	if (with_reader) {
		atomic_store(&r.stop, true);
		assert_int_equal(pthread_join(tid, NULL), 0);
		assert_true(r.reads > 0);
		assert_int_equal(r.failures, 0);
	}
	assert_true(store_anchor_is_held(s));
	assert_true(max > 0);
	assert_true(max < (int64_t)WAL_MAX_FRAMES * (WAL_PAGE + 24));
	store_close(s);
}

static void
test_wal_restarts_with_anchor(void **state)
{
	wal_stays_bounded(*state, false);
}

static void
test_wal_restarts_with_anchor_and_reader(void **state)
{
	wal_stays_bounded(*state, true);
}

/*
 * An anchor at a snapshot that is still in the WAL keeps another process
 * from truncating the WAL; once expired, it does not.
 */
static void
test_expired_anchor_lets_others_truncate(void **state)
{
	const struct tmpdb *t = *state;
	struct store *s = tmpdb_open(t, &normal_sync);
	sqlite3 *other;

	assert_int_equal(fixture_exec(s, "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1)"),
	                 DB_OK);
	assert_int_equal(fixture_query_int(s, "SELECT count(*) FROM t"), 1);
	assert_true(store_anchor_is_held(s));
	other = outsider(t);
	/* column 0 of wal_checkpoint: 1 when it could not finish (busy) */
	assert_int_equal(outsider_int(other, "PRAGMA wal_checkpoint(TRUNCATE)", 0), 1);
	assert_true(wal_bytes(t) > 0);

	store_anchor_expire(s, 60000); /* not idle that long: kept */
	assert_true(store_anchor_is_held(s));
	store_anchor_expire(s, 0);
	assert_false(store_anchor_is_held(s));
	assert_int_equal(outsider_int(other, "PRAGMA wal_checkpoint(TRUNCATE)", 0), 0);
	assert_int_equal(wal_bytes(t), 0);
	/* and the next read takes it again */
	assert_int_equal(fixture_query_int(s, "SELECT count(*) FROM t"), 1);
	assert_true(store_anchor_is_held(s));
	sqlite3_close(other);
	store_close(s);
}

/* Stores that have no anchor: ":memory:" and read-only opens. */
static void
test_no_anchor_without_a_writable_file(void **state)
{
	const struct tmpdb *t = *state;
	struct store_options ro = {.read_only = true};
	struct store *s = tmpdb_open(t, NULL), *r = NULL, *m = NULL;
	struct err err;

	assert_int_equal(fixture_exec(s, "CREATE TABLE t(x INTEGER)"), DB_OK);
	store_close(s);
	assert_int_equal(store_open(t->path, &ro, &r, &err), ST_OK);
	assert_int_equal(fixture_query_int(r, "SELECT count(*) FROM t"), 0);
	assert_false(store_anchor_is_held(r));
	store_anchor_expire(r, 0);
	store_close(r);
	assert_int_equal(store_open(":memory:", NULL, &m, &err), ST_OK);
	assert_int_equal(store_migrate(m, NULL, &err), ST_OK);
	assert_true(fixture_query_int(m, "SELECT count(*) FROM sqlite_schema") > 0);
	assert_false(store_anchor_is_held(m));
	store_close(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_reads_see_every_commit, tmpdb_setup,
	                                        tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_wal_restarts_with_anchor, tmpdb_setup,
	                                        tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_wal_restarts_with_anchor_and_reader,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_expired_anchor_lets_others_truncate,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_no_anchor_without_a_writable_file, tmpdb_setup,
	                                        tmpdb_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
