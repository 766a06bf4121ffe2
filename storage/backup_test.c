/*
 * storage/backup_test.c — store_backup, store_restore, store_integrity_check
 * and the flock(2) that keeps a restore from replacing a database in use,
 * against files in a fresh mkdtemp directory.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/test_fixture.h"

/* Other files a test may leave in the tmpdb directory, removed by cleanup(). */
static const char *const extra_names[] = {
        "backup.db",     "backup.db.tmp",     "target.db",     "target.db-wal",
        "target.db-shm", "target.db-journal", "target.db.tmp", "bad.db",
};

static void
extra_path(const struct tmpdb *t, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", t->dir, name);
}

static void
cleanup(const struct tmpdb *t)
{
	char p[256];
	size_t i;

	for (i = 0; i < sizeof extra_names / sizeof extra_names[0]; i++) {
		extra_path(t, extra_names[i], p, sizeof p);
		unlink(p);
	}
}

static bool
exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static void
insert_key(struct store *s, const char *kid)
{
	static const unsigned char sealed[] = {0x01, 0x00, 0x02};
	struct store_key key = {
	        .kid = kid,
	        .alg = "ES256",
	        .created_at = 1,
	        .usable_from = 1,
	        .sealed = sealed,
	        .sealed_len = sizeof sealed,
	        .public_jwk = "{\"kty\":\"EC\"}",
	};
	struct err err = {0};

	assert_int_equal(store_key_insert(s, &key, &err), ST_OK);
}

static size_t
key_count_at(const char *path)
{
	struct store_options o = {.read_only = true};
	struct arena *a = arena_new();
	struct store_key *keys = NULL;
	struct store *s = NULL;
	struct err err = {0};
	size_t n = 0;

	assert_int_equal(store_open(path, &o, &s, &err), ST_OK);
	assert_int_equal(store_key_list(s, a, &keys, &n, &err), ST_OK);
	store_close(s);
	arena_free(a);
	return n;
}

/* A raw query's single integer answer. */
static int64_t
query_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return v;
}

/* A migrated database at path holding the keys k0..k(n-1). */
static void
make_db(const char *path, int n)
{
	struct store *s = NULL;
	struct err err = {0};
	char kid[16];
	int i;

	assert_int_equal(store_open(path, NULL, &s, &err), ST_OK);
	assert_int_equal(store_migrate(s, NULL, &err), ST_OK);
	for (i = 0; i < n; i++) {
		snprintf(kid, sizeof kid, "k%d", i);
		insert_key(s, kid);
	}
	store_close(s);
}

static void
test_backup_copies_rows_into_one_self_contained_file(void **state)
{
	struct tmpdb *t = *state;
	struct store *s = tmpdb_open(t, NULL);
	struct err err = {0};
	char out[256], side[300];

	insert_key(s, "a");
	insert_key(s, "b");
	extra_path(t, "backup.db", out, sizeof out);
	assert_int_equal(store_backup(s, out, false, &err), ST_OK);
	store_close(s);

	assert_int_equal(key_count_at(out), 2);
	/* Rollback-journal mode (file format 1), no -wal beside it, no temp file left. */
	snprintf(side, sizeof side, "%s-wal", out);
	assert_false(exists(side));
	snprintf(side, sizeof side, "%s.tmp", out);
	assert_false(exists(side));
	{
		unsigned char head[20];
		FILE *fp = fopen(out, "rb");

		assert_non_null(fp);
		assert_int_equal(fread(head, 1, sizeof head, fp), sizeof head);
		fclose(fp);
		assert_int_equal(head[18], 1);
		assert_int_equal(head[19], 1);
	}
	cleanup(t);
}

static void
test_backup_refuses_existing_file_unless_overwrite(void **state)
{
	struct tmpdb *t = *state;
	struct store *s = tmpdb_open(t, NULL);
	struct err err = {0};
	char out[256];
	FILE *fp;

	insert_key(s, "a");
	extra_path(t, "backup.db", out, sizeof out);
	fp = fopen(out, "w");
	assert_non_null(fp);
	fputs("keep me", fp);
	fclose(fp);

	assert_int_equal(store_backup(s, out, false, &err), ST_CONFLICT);
	assert_non_null(strstr(err.msg, "--force"));
	{
		char buf[16] = {0};

		fp = fopen(out, "r");
		assert_non_null(fp);
		assert_non_null(fgets(buf, sizeof buf, fp));
		fclose(fp);
		assert_string_equal(buf, "keep me");
	}
	assert_int_equal(store_backup(s, out, true, &err), ST_OK);
	store_close(s);
	assert_int_equal(key_count_at(out), 1);
	cleanup(t);
}

/*
 * WAL: the backup is not blocked by another connection's open write
 * transaction, and holds only what was committed when it started.
 */
static void
test_backup_runs_beside_open_write_and_holds_only_committed_rows(void **state)
{
	struct tmpdb *t = *state;
	struct store *s = tmpdb_open(t, NULL);
	struct err err = {0};
	sqlite3 *writer = NULL;
	char out[256];

	insert_key(s, "committed");
	assert_int_equal(sqlite3_open(t->path, &writer), SQLITE_OK);
	assert_int_equal(
	        sqlite3_exec(writer,
	                     "BEGIN IMMEDIATE; DELETE FROM keys; INSERT INTO keys (kid, alg,"
	                     " created_at, usable_from, sealed, public_jwk) SELECT 'x' || kid,"
	                     " alg, created_at, usable_from, sealed, public_jwk FROM keys",
	                     NULL, NULL, NULL),
	        SQLITE_OK);
	extra_path(t, "backup.db", out, sizeof out);
	assert_int_equal(store_backup(s, out, false, &err), ST_OK);
	assert_int_equal(sqlite3_exec(writer, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(writer), SQLITE_OK);
	store_close(s);

	assert_int_equal(query_int(out, "SELECT count(*) FROM keys WHERE kid = 'committed'"), 1);
	assert_int_equal(query_int(out, "SELECT count(*) FROM keys"), 1);
	cleanup(t);
}

static void
test_backup_of_memory_store_is_invalid(void **state)
{
	struct store *s = NULL;
	struct err err = {0};

	(void)state;
	assert_int_equal(store_open(":memory:", NULL, &s, &err), ST_OK);
	assert_int_equal(store_backup(s, "/nonexistent/x.db", false, &err), ST_INVALID);
	store_close(s);
}

static void
test_backup_to_missing_directory_leaves_nothing(void **state)
{
	struct tmpdb *t = *state;
	struct store *s = tmpdb_open(t, NULL);
	struct err err = {0};
	char out[256];

	extra_path(t, "no/such/dir.db", out, sizeof out);
	assert_int_equal(store_backup(s, out, false, &err), ST_IO);
	store_close(s);
	cleanup(t);
}

static void
test_restore_replaces_database_and_removes_stale_wal(void **state)
{
	struct tmpdb *t = *state;
	struct err err = {0};
	char backup[256], wal[300];
	FILE *fp;

	extra_path(t, "backup.db", backup, sizeof backup);
	make_db(backup, 3);
	make_db(t->path, 1);
	/* What a killed server would leave: a -wal that belongs to the old file. */
	snprintf(wal, sizeof wal, "%s-wal", t->path);
	fp = fopen(wal, "w");
	assert_non_null(fp);
	fputs("stale", fp);
	fclose(fp);

	assert_int_equal(store_restore(backup, t->path, &err), ST_OK);
	assert_false(exists(wal));
	assert_int_equal(key_count_at(t->path), 3);
	assert_int_equal(query_int(t->path, "SELECT count(*) FROM keys"), 3);
	/* The backup itself is left as it was. */
	assert_int_equal(key_count_at(backup), 3);
	cleanup(t);
}

static void
test_restore_creates_missing_database(void **state)
{
	struct tmpdb *t = *state;
	struct err err = {0};
	char backup[256];

	extra_path(t, "backup.db", backup, sizeof backup);
	make_db(backup, 2);
	assert_int_equal(store_restore(backup, t->path, &err), ST_OK);
	assert_int_equal(key_count_at(t->path), 2);
	cleanup(t);
}

static void
test_restore_refuses_database_in_use(void **state)
{
	struct tmpdb *t = *state;
	struct store *s = tmpdb_open(t, NULL);
	struct err err = {0};
	char backup[256];

	insert_key(s, "live");
	extra_path(t, "backup.db", backup, sizeof backup);
	make_db(backup, 3);
	assert_int_equal(store_restore(backup, t->path, &err), ST_CONFLICT);
	assert_non_null(strstr(err.msg, "in use"));
	store_close(s);
	assert_int_equal(key_count_at(t->path), 1);
	/* Once the store is closed, the restore goes ahead. */
	assert_int_equal(store_restore(backup, t->path, &err), ST_OK);
	assert_int_equal(key_count_at(t->path), 3);
	cleanup(t);
}

static void
test_open_refuses_database_being_restored(void **state)
{
	struct tmpdb *t = *state;
	struct store *s = NULL;
	struct err err = {0};
	int fd;

	make_db(t->path, 1);
	fd = open(t->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(store_open(t->path, NULL, &s, &err), ST_CONFLICT);
	assert_null(s);
	close(fd);
	s = tmpdb_open(t, NULL);
	store_close(s);
	cleanup(t);
}

static void
test_restore_refuses_newer_schema_and_keeps_database(void **state)
{
	struct tmpdb *t = *state;
	struct err err = {0};
	char backup[256], sql[64];
	sqlite3 *db = NULL;

	extra_path(t, "backup.db", backup, sizeof backup);
	make_db(backup, 3);
	assert_int_equal(sqlite3_open(backup, &db), SQLITE_OK);
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_schema_latest() + 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	make_db(t->path, 1);

	assert_int_equal(store_restore(backup, t->path, &err), ST_UNSUPPORTED);
	assert_int_equal(key_count_at(t->path), 1);
	cleanup(t);
}

static void
test_restore_refuses_garbage_file(void **state)
{
	struct tmpdb *t = *state;
	struct err err = {0};
	char bad[256];
	FILE *fp;

	extra_path(t, "bad.db", bad, sizeof bad);
	fp = fopen(bad, "w");
	assert_non_null(fp);
	fputs("this is not a database, just some text of some length............", fp);
	fclose(fp);
	make_db(t->path, 1);
	assert_int_equal(store_restore(bad, t->path, &err), ST_INVALID);
	assert_int_equal(key_count_at(t->path), 1);
	cleanup(t);
}

/* Zeroes the root page of an index: the file opens, integrity_check fails. */
static void
corrupt_index(const char *path)
{
	sqlite3 *db = NULL;
	int64_t page_size, root;
	unsigned char *zero;
	FILE *fp;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "PRAGMA journal_mode=DELETE; CREATE TABLE t (x TEXT);"
	                              " CREATE INDEX t_x ON t (x);"
	                              " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
	                              " FROM n WHERE i < 200) INSERT INTO t SELECT"
	                              " printf('%050d', i) FROM n",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	page_size = query_int(path, "PRAGMA page_size");
	root = query_int(path, "SELECT rootpage FROM sqlite_schema WHERE name = 't_x'");
	zero = calloc(1, (size_t)page_size);
	assert_non_null(zero);
	fp = fopen(path, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, (long)((root - 1) * page_size), SEEK_SET), 0);
	assert_int_equal(fwrite(zero, 1, (size_t)page_size, fp), (size_t)page_size);
	fclose(fp);
	free(zero);
}

static void
test_restore_refuses_file_failing_integrity_check(void **state)
{
	struct tmpdb *t = *state;
	struct store_options o = {.read_only = true};
	struct store *s = NULL;
	struct err err = {0};
	char bad[256];

	extra_path(t, "bad.db", bad, sizeof bad);
	make_db(bad, 1);
	corrupt_index(bad);
	assert_int_equal(store_open(bad, &o, &s, &err), ST_OK);
	assert_int_equal(store_integrity_check(s, &err), ST_INVALID);
	assert_non_null(strstr(err.msg, "integrity check failed"));
	store_close(s);

	make_db(t->path, 1);
	assert_int_equal(store_restore(bad, t->path, &err), ST_INVALID);
	assert_non_null(strstr(err.msg, "integrity check failed"));
	assert_int_equal(key_count_at(t->path), 1);
	cleanup(t);
}

static void
test_integrity_check_passes_on_fresh_database(void **state)
{
	struct tmpdb *t = *state;
	struct store *s = tmpdb_open(t, NULL);
	struct err err = {0};

	insert_key(s, "a");
	assert_int_equal(store_integrity_check(s, &err), ST_OK);
	store_close(s);
	cleanup(t);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, tmpdb_setup, tmpdb_teardown)
	const struct CMUnitTest tests[] = {
	        T(test_backup_copies_rows_into_one_self_contained_file),
	        T(test_backup_refuses_existing_file_unless_overwrite),
	        T(test_backup_runs_beside_open_write_and_holds_only_committed_rows),
	        cmocka_unit_test(test_backup_of_memory_store_is_invalid),
	        T(test_backup_to_missing_directory_leaves_nothing),
	        T(test_restore_replaces_database_and_removes_stale_wal),
	        T(test_restore_creates_missing_database),
	        T(test_restore_refuses_database_in_use),
	        T(test_open_refuses_database_being_restored),
	        T(test_restore_refuses_newer_schema_and_keeps_database),
	        T(test_restore_refuses_garbage_file),
	        T(test_restore_refuses_file_failing_integrity_check),
	        T(test_integrity_check_passes_on_fresh_database),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
