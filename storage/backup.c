/*
 * storage/backup.c — online backups and restores of the database file with
 * SQLite's backup API (sqlite.org/backup.html), and the integrity check.
 *
 * API (store.h): store_backup, store_restore, store_integrity_check.
 *
 * How a copy is made (copy_into):
 * - The source connection holds one read transaction for the whole copy,
 *   so the copy is the snapshot at its start. In WAL mode that read does
 *   not block the server's writer, and the chunked sqlite3_backup_step
 *   calls never restart (a backup restarts only when its source changes
 *   under a new read transaction).
 * - SQLITE_BUSY / SQLITE_LOCKED from a step are retried after a short sleep,
 *   up to the store's busy timeout.
 * - The copy is written to "<path>.tmp" in rollback-journal mode (a single
 *   self-contained file, no -wal beside it), fsync'd, then linked (no
 *   overwrite) or renamed (overwrite) to path and the directory fsync'd:
 *   a failed or interrupted copy never leaves a partial file under path.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"

#define BACKUP_PAGES_PER_STEP 256
#define BACKUP_RETRY_SLEEP_MS 10
#define BACKUP_RETRY_MAX_MS   30000

static const char *
errno_msg(int errnum, char *buf, size_t n)
{
	return strerror_r(errnum, buf, n);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* fsync of a file or directory by path. */
static enum status
fsync_path(const char *path, bool is_dir, struct err *err)
{
	char ebuf[128];
	enum status st = ST_OK;
	int fd;

	fd = open(path, (is_dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return ERR_SET(err, ST_IO, "%s: %s", path, errno_msg(errno, ebuf, sizeof ebuf));
	if (fsync(fd) != 0)
		st = ERR_SET(err, ST_IO, "%s: fsync: %s", path,
		             errno_msg(errno, ebuf, sizeof ebuf));
	close(fd);
	return st;
}

static enum status
fsync_parent(const char *path, struct err *err)
{
	char dir[4096];
	size_t n = strlen(path);

	if (n >= sizeof dir)
		return ERR_SET(err, ST_INVALID, "%s: path too long", path);
	memcpy(dir, path, n + 1);
	return fsync_path(dirname(dir), true, err);
}

static void
unlink_side_files(const char *path)
{
	static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
	char side[4200];
	size_t i;

	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
		(void)unlink(side);
	}
}

/* Runs the backup steps from src (inside its read transaction) into dst. */
static enum status
copy_steps(sqlite3 *src, sqlite3 *dst, const char *tmp, struct err *err)
{
	sqlite3_backup *b;
	long waited_ms = 0;
	enum status st;
	int rc;

	b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL)
		return ERR_SET(err, ST_IO, "%s: %s", tmp, sqlite3_errmsg(dst));
	for (;;) {
		rc = sqlite3_backup_step(b, BACKUP_PAGES_PER_STEP);
		if (rc == SQLITE_DONE)
			break;
		if (rc == SQLITE_OK)
			continue;
		if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && waited_ms < BACKUP_RETRY_MAX_MS) {
			sleep_ms(BACKUP_RETRY_SLEEP_MS);
			waited_ms += BACKUP_RETRY_SLEEP_MS;
			continue;
		}
		break;
	}
	if (rc != SQLITE_DONE) {
		st = ERR_SET(err, ST_IO, "backup to %s: %s", tmp, sqlite3_errstr(rc));
		sqlite3_backup_finish(b);
		return st;
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK)
		return ERR_SET(err, ST_IO, "backup to %s: %s", tmp, sqlite3_errmsg(dst));
	return ST_OK;
}

/*
 * Copies the main database of src into a new file tmp, leaves it in
 * rollback-journal mode and fsyncs it. tmp is removed on failure.
 */
static enum status
copy_into(sqlite3 *src, const char *tmp, struct err *err)
{
	sqlite3 *dst = NULL;
	bool in_read = false;
	enum status st;
	int rc;

	unlink_side_files(tmp);
	if (unlink(tmp) != 0 && errno != ENOENT) {
		char ebuf[128];

		return ERR_SET(err, ST_IO, "%s: %s", tmp, errno_msg(errno, ebuf, sizeof ebuf));
	}
	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		st = ERR_SET(err, ST_IO, "%s: %s", tmp,
		             dst != NULL ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		goto out;
	}
	/* One snapshot for all steps: a deferred BEGIN plus a read starts it. */
	if (sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		st = ERR_SET(err, ST_IO, "backup: cannot read the database: %s",
		             sqlite3_errmsg(src));
		goto out;
	}
	in_read = true;
	st = copy_steps(src, dst, tmp, err);
	if (st != ST_OK)
		goto out;
	/* The copy keeps the source's WAL flag; make it one self-contained file. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		st = ERR_SET(err, ST_IO, "%s: %s", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	st = ST_OK;
out:
	if (in_read)
		(void)sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && st == ST_OK)
		st = ERR_SET(err, ST_IO, "%s: cannot close", tmp);
	if (st == ST_OK)
		st = fsync_path(tmp, false, err);
	if (st != ST_OK) {
		(void)unlink(tmp);
		unlink_side_files(tmp);
	}
	return st;
}

/* Puts tmp at path: link(2) when path must not exist, else rename(2). */
static enum status
install(const char *tmp, const char *path, bool overwrite, struct err *err)
{
	char ebuf[128];
	enum status st;

	if (overwrite) {
		if (rename(tmp, path) != 0) {
			st = ERR_SET(err, ST_IO, "%s: %s", path,
			             errno_msg(errno, ebuf, sizeof ebuf));
			(void)unlink(tmp);
			return st;
		}
	} else {
		if (link(tmp, path) != 0) {
			int e = errno;

			(void)unlink(tmp);
			if (e == EEXIST)
				return ERR_SET(err, ST_CONFLICT, "%s exists (use --force)", path);
			return ERR_SET(err, ST_IO, "%s: %s", path, errno_msg(e, ebuf, sizeof ebuf));
		}
		(void)unlink(tmp);
	}
	return fsync_parent(path, err);
}

static enum status
tmp_name(const char *path, char *out, size_t cap, struct err *err)
{
	if ((size_t)snprintf(out, cap, "%s.tmp", path) >= cap)
		return ERR_SET(err, ST_INVALID, "%s: path too long", path);
	return ST_OK;
}

enum status
store_backup(struct store *s, const char *path, bool overwrite, struct err *err)
{
	struct conn *c = NULL;
	char tmp[4096];
	struct stat sb;
	enum status st;

	if (s->backend == DB_PG)
		return ERR_SET(err, ST_UNSUPPORTED, "%s: PostgreSQL: use pg_dump", s->path);
	if (s->is_memory)
		return ERR_SET(err, ST_INVALID, "cannot back up an in-memory database");
	st = tmp_name(path, tmp, sizeof tmp, err);
	if (st != ST_OK)
		return st;
	if (!overwrite && stat(path, &sb) == 0)
		return ERR_SET(err, ST_CONFLICT, "%s exists (use --force)", path);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	if (db_in_transaction(c)) {
		st = ERR_SET(err, ST_INVALID, "backup inside a transaction");
		goto out;
	}
	st = copy_into(c->db, tmp, err);
	if (st != ST_OK)
		goto out;
	st = install(tmp, path, overwrite, err);
out:
	store_conn_release(s, c);
	return st;
}

enum status
store_integrity_check(struct store *s, struct err *err)
{
	sqlite3_stmt *stmt = NULL;
	struct conn *c = NULL;
	const unsigned char *msg;
	enum status st;
	int rc;

	if (s->backend == DB_PG)
		return ERR_SET(err, ST_UNSUPPORTED,
		               "%s: PostgreSQL: use its own checks (amcheck, pg_dump)", s->path);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	/* The first problem is enough to refuse; "ok" is the one healthy answer. */
	if (sqlite3_prepare_v2(c->db, "PRAGMA integrity_check(1)", -1, &stmt, NULL) != SQLITE_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	msg = sqlite3_column_text(stmt, 0);
	if (msg == NULL || strcmp((const char *)msg, "ok") != 0) {
		st = ERR_SET(err, ST_INVALID, "%s: integrity check failed: %s", s->path,
		             msg != NULL ? (const char *)msg : "(no answer)");
		goto out;
	}
	st = ST_OK;
out:
	sqlite3_finalize(stmt);
	store_conn_release(s, c);
	return st;
}

/*
 * Takes db_path exclusively (flock, see store_lock_shared in store.c) when
 * it exists: ST_CONFLICT while any store has it open. *fd_out is -1 when
 * there is no file.
 */
static enum status
lock_target(const char *db_path, int *fd_out, struct err *err)
{
	char ebuf[128];
	int fd;

	*fd_out = -1;
	fd = open(db_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return ST_OK;
		return ERR_SET(err, ST_IO, "%s: %s", db_path, errno_msg(errno, ebuf, sizeof ebuf));
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return ERR_SET(err, ST_CONFLICT,
			               "%s is in use (is oidcd running?); stop the server first",
			               db_path);
		return ERR_SET(err, ST_IO, "%s: flock: %s", db_path,
		               errno_msg(e, ebuf, sizeof ebuf));
	}
	*fd_out = fd;
	return ST_OK;
}

enum status
store_restore(const char *backup_path, const char *db_path, struct err *err)
{
	struct store_options o = {0};
	struct store *src = NULL;
	struct conn *c = NULL;
	char tmp[4096];
	int lock_fd = -1;
	enum status st;

	if (store_path_is_pg(db_path))
		return ERR_SET(err, ST_UNSUPPORTED, "PostgreSQL: use pg_restore");
	if (strncmp(db_path, "sqlite:", 7) == 0)
		db_path += 7;
	st = tmp_name(db_path, tmp, sizeof tmp, err);
	if (st != ST_OK)
		return st;
	/* Checks the header and refuses a schema newer than this binary. */
	o.read_only = true;
	st = store_open(backup_path, &o, &src, err);
	if (st != ST_OK)
		goto out;
	st = store_integrity_check(src, err);
	if (st != ST_OK)
		goto out;
	st = lock_target(db_path, &lock_fd, err);
	if (st != ST_OK)
		goto out;
	st = store_conn_acquire(src, &c, err);
	if (st != ST_OK)
		goto out;
	st = copy_into(c->db, tmp, err);
	store_conn_release(src, c);
	if (st != ST_OK)
		goto out;
	/* A -wal left by a killed server belongs to the old file: it must not
	 * be replayed into the restored one. */
	unlink_side_files(db_path);
	st = install(tmp, db_path, true, err);
out:
	store_close(src);
	if (lock_fd >= 0)
		close(lock_fd);
	return st;
}
