/*
 * storage/store_test.c — store_open/close, migrations, schema versions,
 * file checks, per-thread connections and transactions, against ":memory:"
 * and against files in a fresh mkdtemp directory under /tmp.
 *
 * It includes store_internal.h to count open connections and to drive the
 * transaction helpers, which have no public entry point yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/test_fixture.h"

#define THREADS            4
#define KEYS_PER_THREAD    8
#define SIDE_FILE_SUFFIXES 3

static const char *const side_suffixes[SIDE_FILE_SUFFIXES] = {"-wal", "-shm", "-journal"};

static bool
exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static bool
has_side_file(const char *db)
{
	char side[160];
	int i;

	for (i = 0; i < SIDE_FILE_SUFFIXES; i++) {
		snprintf(side, sizeof side, "%s%s", db, side_suffixes[i]);
		if (exists(side))
			return true;
	}
	return false;
}

static void
write_file(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	if (n > 0)
		assert_int_equal(fwrite(data, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/* Reads up to cap bytes of path into buf; returns the count. */
static size_t
read_file(const char *path, void *buf, size_t cap)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, cap, fp);
	fclose(fp);
	return n;
}

/* Sets path's mtime to a fixed past instant, so any write would show. */
static void
set_old_mtime(const char *path)
{
	struct timespec times[2] = {
	        {.tv_sec = 1000000000, .tv_nsec = 0},
                {.tv_sec = 1000000000, .tv_nsec = 0}
        };

	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

static struct store *
open_ok(const char *path)
{
	struct store *s = NULL;
	struct err err = {0};

	assert_int_equal(store_open(path, NULL, &s, &err), ST_OK);
	assert_non_null(s);
	return s;
}

static struct store *
open_migrated(const char *path)
{
	struct store *s = open_ok(path);
	struct err err = {0};

	assert_int_equal(store_migrate(s, NULL, &err), ST_OK);
	return s;
}

static void
insert_key(struct store *s, const char *kid, int64_t usable_from)
{
	static const unsigned char sealed[] = {0x01, 0x00, 0x02};
	struct store_key key = {
	        .kid = kid,
	        .alg = "ES256",
	        .created_at = usable_from,
	        .usable_from = usable_from,
	        .sealed = sealed,
	        .sealed_len = sizeof sealed,
	        .public_jwk = "{\"kty\":\"EC\"}",
	};
	struct err err = {0};

	assert_int_equal(store_key_insert(s, &key, &err), ST_OK);
}

static size_t
key_count(struct store *s)
{
	struct arena *a = arena_new();
	struct store_key *keys = NULL;
	struct err err = {0};
	size_t n = 0;

	assert_int_equal(store_key_list(s, a, &keys, &n, &err), ST_OK);
	arena_free(a);
	return n;
}

static size_t
conn_count(struct store *s)
{
	struct conn *c;
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	for (c = s->conns; c != NULL; c = c->next)
		n++;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Writes a database that another (newer) oidcd would have left. */
static void
make_db_with_user_version(const char *path, int version)
{
	char sql[64];
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* Asserts that store_open refuses path as not an SQLite database and leaves it as it was. */
static void
assert_refused_untouched(const char *path, const void *content, size_t n)
{
	unsigned char after[8192];
	struct stat before_sb, after_sb;
	struct store *s = NULL;
	struct err err = {0};

	assert_true(n <= sizeof after);
	set_old_mtime(path);
	assert_int_equal(stat(path, &before_sb), 0);

	assert_int_equal(store_open(path, NULL, &s, &err), ST_INVALID);
	assert_null(s);
	assert_int_equal(err.st, ST_INVALID);
	assert_non_null(strstr(err.msg, "not an SQLite database"));
	assert_non_null(strstr(err.msg, path));

	assert_int_equal(stat(path, &after_sb), 0);
	assert_int_equal(after_sb.st_size, before_sb.st_size);
	assert_int_equal(after_sb.st_mtim.tv_sec, before_sb.st_mtim.tv_sec);
	assert_int_equal(after_sb.st_mtim.tv_nsec, before_sb.st_mtim.tv_nsec);
	assert_int_equal(read_file(path, after, sizeof after), n);
	assert_memory_equal(after, content, n);
	assert_false(has_side_file(path));
}

static void
test_open_memory_starts_at_version_zero(void **state)
{
	struct store *s = open_ok(":memory:");
	struct err err = {0};
	int version = -1;

	(void)state;
	assert_true(store_schema_latest() >= 1);
	assert_int_equal(store_schema_version(s, &version, &err), ST_OK);
	assert_int_equal(version, 0);
	assert_string_equal(store_path(s), ":memory:");
	store_close(s);
}

static void
test_migrate_memory_reaches_latest_and_is_idempotent(void **state)
{
	struct store *s = open_ok(":memory:");
	struct err err = {0};
	int applied = -1, version = -1;

	(void)state;
	assert_int_equal(store_migrate(s, &applied, &err), ST_OK);
	assert_int_equal(applied, store_schema_latest());
	assert_int_equal(store_schema_version(s, &version, &err), ST_OK);
	assert_int_equal(version, store_schema_latest());

	assert_int_equal(store_migrate(s, &applied, &err), ST_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(store_migrate(s, NULL, &err), ST_OK);
	assert_int_equal(store_schema_version(s, &version, &err), ST_OK);
	assert_int_equal(version, store_schema_latest());
	store_close(s);
}

static void
test_open_file_creates_database_in_wal_mode(void **state)
{
	struct tmpdb *f = *state;
	unsigned char head[100];
	struct store *s;

	assert_false(exists(f->path));
	s = open_migrated(f->path);
	assert_string_equal(store_path(s), f->path);
	store_close(s);

	/* sqlite.org/fileformat.html §1.3.1: magic; bytes 18 and 19 are 2 in WAL mode. */
	assert_int_equal(read_file(f->path, head, sizeof head), sizeof head);
	assert_memory_equal(head, "SQLite format 3", 16);
	assert_int_equal(head[18], 2);
	assert_int_equal(head[19], 2);
}

/* "sqlite:PATH" (the database setting as a URL) is the file PATH. */
static void
test_open_sqlite_url_is_the_file(void **state)
{
	struct tmpdb *f = *state;
	char url[160];
	struct store *s;

	snprintf(url, sizeof url, "sqlite:%s", f->path);
	s = open_migrated(url);
	assert_string_equal(store_path(s), f->path);
	store_close(s);
	assert_true(exists(f->path));
	assert_false(store_path_is_pg(url));
	assert_true(store_path_is_pg("postgres://h/db"));
	assert_true(store_path_is_pg("postgresql://h/db"));
	assert_false(store_path_is_pg("./postgres:/x"));
}

static void
test_reopen_keeps_data_and_version(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_migrated(f->path);
	struct err err = {0};
	int applied = -1, version = -1;

	insert_key(s, "k1", 100);
	store_close(s);

	s = open_ok(f->path);
	assert_int_equal(store_schema_version(s, &version, &err), ST_OK);
	assert_int_equal(version, store_schema_latest());
	assert_int_equal(store_migrate(s, &applied, &err), ST_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(key_count(s), 1);
	store_close(s);
}

static void
test_open_refuses_newer_schema(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = NULL;
	struct err err = {0};
	char want[128];

	make_db_with_user_version(f->path, store_schema_latest() + 1);
	assert_int_equal(store_open(f->path, NULL, &s, &err), ST_UNSUPPORTED);
	assert_null(s);
	snprintf(want, sizeof want,
	         "database schema version %d is newer than this oidcd supports (%d); upgrade oidcd",
	         store_schema_latest() + 1, store_schema_latest());
	assert_string_equal(err.msg, want);
}

static void
test_open_refuses_garbage_file_and_leaves_it_untouched(void **state)
{
	static const char text[] = "this is not a database, only text";
	struct tmpdb *f = *state;
	unsigned char garbage[4096];
	size_t i;

	for (i = 0; i < sizeof garbage; i++)
		garbage[i] = (unsigned char)(i * 7 + 3);
	memcpy(garbage, text, sizeof text);
	write_file(f->path, garbage, sizeof garbage);
	assert_refused_untouched(f->path, garbage, sizeof garbage);
}

static void
test_open_refuses_magic_with_garbage_body_and_leaves_it_untouched(void **state)
{
	struct tmpdb *f = *state;
	unsigned char bad[4096];

	/* Passes our magic check, so SQLite itself must say SQLITE_NOTADB. */
	memset(bad, 'x', sizeof bad);
	memcpy(bad, "SQLite format 3", 16);
	write_file(f->path, bad, sizeof bad);
	assert_refused_untouched(f->path, bad, sizeof bad);
}

static void
test_open_refuses_file_shorter_than_header(void **state)
{
	struct tmpdb *f = *state;

	write_file(f->path, "SQLite", 6);
	assert_refused_untouched(f->path, "SQLite", 6);
}

static void
test_open_refuses_directory(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = NULL;
	struct err err = {0};

	assert_int_equal(store_open(f->dir, NULL, &s, &err), ST_INVALID);
	assert_null(s);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

static void
test_open_accepts_empty_file_as_new_database(void **state)
{
	struct tmpdb *f = *state;
	struct store *s;
	struct err err = {0};
	int version = -1;

	write_file(f->path, "", 0);
	s = open_migrated(f->path);
	assert_int_equal(store_schema_version(s, &version, &err), ST_OK);
	assert_int_equal(version, store_schema_latest());
	insert_key(s, "k1", 1);
	assert_int_equal(key_count(s), 1);
	store_close(s);
}

static void
test_open_read_only_missing_file_is_not_found_and_not_created(void **state)
{
	struct tmpdb *f = *state;
	struct store_options opts = {.read_only = true};
	struct store *s = NULL;
	struct err err = {0};

	assert_int_equal(store_open(f->path, &opts, &s, &err), ST_NOT_FOUND);
	assert_null(s);
	assert_false(exists(f->path));
}

static void
test_read_only_store_reads_but_does_not_write(void **state)
{
	struct tmpdb *f = *state;
	struct store_options opts = {.read_only = true};
	struct store_key key = {.kid = "k2",
	                        .alg = "RS256",
	                        .sealed = (const unsigned char *)"x",
	                        .sealed_len = 1,
	                        .public_jwk = "{}"};
	struct store *s = open_migrated(f->path);
	struct err err = {0};
	int applied = -1;

	insert_key(s, "k1", 1);
	store_close(s);

	assert_int_equal(store_open(f->path, &opts, &s, &err), ST_OK);
	assert_int_equal(store_migrate(s, &applied, &err), ST_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(key_count(s), 1);
	assert_int_equal(store_ping(s, &err), ST_OK);
	assert_int_equal(store_key_insert(s, &key, &err), ST_IO);
	assert_int_equal(err.st, ST_IO);
	store_close(s);
}

static void
test_read_only_store_refuses_pending_migrations(void **state)
{
	struct tmpdb *f = *state;
	struct store_options opts = {.read_only = true};
	struct store *s = NULL;
	struct err err = {0};
	struct stat sb;

	write_file(f->path, "", 0);
	assert_int_equal(store_open(f->path, &opts, &s, &err), ST_OK);
	assert_int_equal(store_migrate(s, NULL, &err), ST_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "read-only"));
	store_close(s);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
}

static void
test_migrate_refuses_schema_upgraded_after_open(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_ok(f->path);
	struct err err = {0};

	/* Another process, newer than us, migrated in between. */
	make_db_with_user_version(f->path, store_schema_latest() + 1);
	assert_int_equal(store_migrate(s, NULL, &err), ST_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "is newer than this oidcd supports"));
	store_close(s);
}

static void
test_ping_answers_on_memory_and_file(void **state)
{
	struct tmpdb *f = *state;
	struct store *m = open_ok(":memory:");
	struct store *s = open_ok(f->path);
	struct err err = {0};

	assert_int_equal(store_ping(m, &err), ST_OK);
	assert_int_equal(store_ping(s, &err), ST_OK);
	store_close(m);
	store_close(s);
}

static void
test_close_null_is_noop(void **state)
{
	(void)state;
	store_close(NULL);
}

struct migrate_job {
	struct store *s;
	pthread_barrier_t *start;
	enum status st;
	int applied;
};

static void *
migrate_thread(void *arg)
{
	struct migrate_job *job = arg;
	struct err err = {0};

	pthread_barrier_wait(job->start);
	job->st = store_migrate(job->s, &job->applied, &err);
	return NULL;
}

static void
test_concurrent_migrations_apply_each_once(void **state)
{
	struct tmpdb *f = *state;
	struct migrate_job jobs[2];
	pthread_t tids[2];
	pthread_barrier_t start;
	struct err err = {0};
	int version = -1;
	int i;

	/* Two handles stand for two processes: separate connections to one file. */
	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	for (i = 0; i < 2; i++) {
		jobs[i] =
		        (struct migrate_job){.s = open_ok(f->path), .start = &start, .applied = -1};
		assert_int_equal(pthread_create(&tids[i], NULL, migrate_thread, &jobs[i]), 0);
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(tids[i], NULL), 0);
	pthread_barrier_destroy(&start);

	assert_int_equal(jobs[0].st, ST_OK);
	assert_int_equal(jobs[1].st, ST_OK);
	assert_int_equal(jobs[0].applied + jobs[1].applied, store_schema_latest());
	assert_int_equal(store_schema_version(jobs[0].s, &version, &err), ST_OK);
	assert_int_equal(version, store_schema_latest());
	store_close(jobs[0].s);
	store_close(jobs[1].s);
}

struct insert_job {
	struct store *s;
	pthread_barrier_t *inserted, *counted; /* all threads and main */
	int index;
	enum status st;
	struct conn *conn;
};

static void *
insert_thread(void *arg)
{
	struct insert_job *job = arg;
	struct err err = {0};
	char kid[32];
	int i;

	job->st = store_ping(job->s, &err);
	for (i = 0; i < KEYS_PER_THREAD && job->st == ST_OK; i++) {
		struct store_key key = {.kid = kid,
		                        .alg = "ES256",
		                        .created_at = i,
		                        .usable_from = job->index,
		                        .sealed = (const unsigned char *)"s",
		                        .sealed_len = 1,
		                        .public_jwk = "{}"};

		snprintf(kid, sizeof kid, "t%d-k%d", job->index, i);
		job->st = store_key_insert(job->s, &key, &err);
	}
	if (job->st == ST_OK)
		job->st = store_conn_acquire(job->s, &job->conn, &err);
	store_conn_release(job->s, job->conn);
	pthread_barrier_wait(job->inserted);
	pthread_barrier_wait(job->counted); /* stay alive until main has counted */
	return NULL;
}

static void
test_threads_get_own_connections_and_all_rows_land(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_migrated(f->path);
	struct insert_job jobs[THREADS];
	pthread_t tids[THREADS];
	pthread_barrier_t inserted, counted;
	struct err err = {0};
	int64_t gen = -1;
	size_t alive;
	int i, j;

	assert_int_equal(pthread_barrier_init(&inserted, NULL, THREADS + 1), 0);
	assert_int_equal(pthread_barrier_init(&counted, NULL, THREADS + 1), 0);
	for (i = 0; i < THREADS; i++) {
		jobs[i] = (struct insert_job){
		        .s = s, .inserted = &inserted, .counted = &counted, .index = i};
		assert_int_equal(pthread_create(&tids[i], NULL, insert_thread, &jobs[i]), 0);
	}
	pthread_barrier_wait(&inserted);
	/* All alive: main's connection plus one per thread, all different. */
	alive = conn_count(s);
	pthread_barrier_wait(&counted);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(tids[i], NULL), 0);
	pthread_barrier_destroy(&inserted);
	pthread_barrier_destroy(&counted);
	assert_int_equal(alive, THREADS + 1);

	for (i = 0; i < THREADS; i++) {
		assert_int_equal(jobs[i].st, ST_OK);
		assert_non_null(jobs[i].conn);
		for (j = 0; j < i; j++)
			assert_ptr_not_equal(jobs[i].conn, jobs[j].conn);
	}
	/* The exited threads closed their connections; main's is left. */
	assert_int_equal(conn_count(s), 1);
	assert_int_equal(key_count(s), THREADS * KEYS_PER_THREAD);
	assert_int_equal(store_key_generation(s, &gen, &err), ST_OK);
	assert_int_equal(gen, THREADS * KEYS_PER_THREAD);
	store_close(s); /* under ASan: no double close of the threads' connections */
}

struct idle_job {
	struct store *s;
	pthread_barrier_t *used, *closed;
	enum status st;
};

static void *
use_then_wait_thread(void *arg)
{
	struct idle_job *job = arg;
	struct err err = {0};

	job->st = store_ping(job->s, &err);
	pthread_barrier_wait(job->used);
	pthread_barrier_wait(job->closed); /* exits only after store_close */
	return NULL;
}

static void
test_close_before_thread_exit_closes_its_connection_once(void **state)
{
	struct tmpdb *f = *state;
	struct idle_job job;
	pthread_barrier_t used, closed;
	pthread_t tid;

	assert_int_equal(pthread_barrier_init(&used, NULL, 2), 0);
	assert_int_equal(pthread_barrier_init(&closed, NULL, 2), 0);
	job = (struct idle_job){.s = open_ok(f->path), .used = &used, .closed = &closed};
	assert_int_equal(pthread_create(&tid, NULL, use_then_wait_thread, &job), 0);
	pthread_barrier_wait(&used);
	assert_int_equal(conn_count(job.s), 2);
	store_close(job.s); /* closes the live thread's connection too */
	pthread_barrier_wait(&closed);
	assert_int_equal(pthread_join(tid, NULL), 0); /* its key destructor must not run */
	pthread_barrier_destroy(&used);
	pthread_barrier_destroy(&closed);
	assert_int_equal(job.st, ST_OK);
}

struct memory_job {
	struct store *s;
	enum status st;
};

static void *
memory_insert_thread(void *arg)
{
	struct memory_job *job = arg;
	struct store_key key = {.kid = "from-thread",
	                        .alg = "ES256",
	                        .sealed = (const unsigned char *)"s",
	                        .sealed_len = 1,
	                        .public_jwk = "{}"};
	struct err err = {0};

	job->st = store_key_insert(job->s, &key, &err);
	return NULL;
}

static void
test_memory_store_is_shared_by_threads(void **state)
{
	struct memory_job job = {.s = open_migrated(":memory:")};
	pthread_t tid;

	(void)state;
	assert_int_equal(pthread_create(&tid, NULL, memory_insert_thread, &job), 0);
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(job.st, ST_OK);
	assert_int_equal(key_count(job.s), 1);
	store_close(job.s);
}

/* Inserts two keys in one transaction, then commits or rolls back. */
static void
write_two_in_tx(struct store *s, bool commit)
{
	struct conn *c = NULL;
	struct err err = {0};

	assert_int_equal(store_conn_acquire(s, &c, &err), ST_OK);
	assert_int_equal(store_tx_begin(c, &err), ST_OK);
	insert_key(s, "tx1", 1); /* same thread: same connection, same transaction */
	insert_key(s, "tx2", 2);
	if (commit)
		assert_int_equal(store_tx_commit(c, &err), ST_OK);
	else
		store_tx_rollback(c);
	store_conn_release(s, c);
}

static void
check_tx(struct store *s)
{
	struct err err = {0};
	int64_t gen = -1;

	write_two_in_tx(s, false);
	assert_int_equal(key_count(s), 0);
	assert_int_equal(store_key_generation(s, &gen, &err), ST_OK);
	assert_int_equal(gen, 0);
	write_two_in_tx(s, true);
	assert_int_equal(key_count(s), 2);
	assert_int_equal(store_key_generation(s, &gen, &err), ST_OK);
	assert_int_equal(gen, 2);
}

static void
test_tx_rollback_discards_and_commit_keeps(void **state)
{
	struct tmpdb *f = *state;
	struct store *m = open_migrated(":memory:");
	struct store *s = open_migrated(f->path);

	check_tx(m);
	check_tx(s);
	store_close(m);
	store_close(s);
}

/* A store_write fn that opens a read snapshot around its insert (a no-op inside the write). */
static enum status
insert_in_snapshot(struct store *s, void *arg, struct err *err)
{
	enum status st = store_read_begin(s, err);

	(void)arg;
	if (st == ST_OK)
		insert_key(s, "in-write", 3);
	store_read_end(s);
	return st;
}

static void
test_read_snapshot_sees_one_state_until_it_ends(void **state)
{
	struct tmpdb *f = *state;
	struct store *a = tmpdb_open(f, NULL), *b = tmpdb_open(f, NULL);
	struct err err;

	insert_key(a, "k1", 1);
	assert_int_equal(store_read_begin(a, &err), ST_OK);
	assert_int_equal(key_count(a), 1);
	/* Another handle (as another process would) commits meanwhile. */
	insert_key(b, "k2", 2);
	assert_int_equal(key_count(a), 1);
	store_read_end(a);
	assert_int_equal(key_count(a), 2);
	/* Inside a write the snapshot calls change nothing: the insert commits. */
	assert_int_equal(store_write_sync(a, insert_in_snapshot, NULL, &err), ST_OK);
	assert_int_equal(key_count(b), 3);
	store_read_end(a); /* unmatched: harmless */
	store_close(b);
	store_close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_open_memory_starts_at_version_zero),
	        cmocka_unit_test(test_migrate_memory_reaches_latest_and_is_idempotent),
	        cmocka_unit_test(test_close_null_is_noop),
	        cmocka_unit_test(test_memory_store_is_shared_by_threads),
	        cmocka_unit_test_setup_teardown(test_open_file_creates_database_in_wal_mode,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_open_sqlite_url_is_the_file, tmpdb_setup,
	                                        tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_reopen_keeps_data_and_version, tmpdb_setup,
	                                        tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_open_refuses_newer_schema, tmpdb_setup,
	                                        tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_open_refuses_garbage_file_and_leaves_it_untouched, tmpdb_setup,
	                tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_open_refuses_magic_with_garbage_body_and_leaves_it_untouched,
	                tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_open_refuses_file_shorter_than_header,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_open_refuses_directory, tmpdb_setup,
	                                        tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_open_accepts_empty_file_as_new_database,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_open_read_only_missing_file_is_not_found_and_not_created, tmpdb_setup,
	                tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_read_only_store_reads_but_does_not_write,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_read_only_store_refuses_pending_migrations,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_migrate_refuses_schema_upgraded_after_open,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_ping_answers_on_memory_and_file, tmpdb_setup,
	                                        tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_concurrent_migrations_apply_each_once,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_threads_get_own_connections_and_all_rows_land,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_close_before_thread_exit_closes_its_connection_once, tmpdb_setup,
	                tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_tx_rollback_discards_and_commit_keeps,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_read_snapshot_sees_one_state_until_it_ends,
	                                        tmpdb_setup, tmpdb_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
