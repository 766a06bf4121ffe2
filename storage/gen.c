/*
 * storage/gen.c — the clients generation: a counter shared by every
 * process that has one SQLite file open read-write, bumped after each
 * commit that changed or deleted a client, so that the per-connection
 * client cache (clients.c) can tell, without a read transaction, that what
 * it holds may be stale.
 *
 * Why: a token request reads its client, and with the group-commit writer
 * committing on another connection all the time, every such read starts a
 * transaction on a changed WAL, drops the connection's page cache and reads
 * the client's pages again: a fifth of a client_credentials request's CPU.
 * The row itself changes rarely, but it may change in another process (the
 * `oidcd clients` CLI on the same file), so a cache needs a signal that
 * crosses processes and costs no system call to read.
 *
 * How: the file "<database>-gen", 4096 bytes, mapped shared; its first 8
 * bytes are the counter, changed only by atomic adds (lock-free on the
 * platforms we build for, so they work across processes on one mapping).
 * Created with the database file's mode and, when we run as root, its
 * owner (what SQLite does for -wal and -shm), so that every process that
 * can write the database can bump it. Its value means nothing by itself:
 * a reader only compares it with what it saw before.
 *
 * API (store_internal.h): store_gen_open, store_gen_close, store_gen_read,
 * store_gen_bump.
 *
 * Invariants:
 * - Bump after the commit (the wal hook), never before: a reader that
 *   reads the counter first and then the row can only tag a row with a
 *   value that a later bump will change.
 * - A store without the file (":memory:", PostgreSQL, read-only opens)
 *   reports no counter, and then nothing is cached.
 * - A read-write SQLite store that cannot map the file does not open: a
 *   process that changed clients without bumping would leave the other
 *   processes' caches stale.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "storage/store_internal.h"

#define GEN_FILE_BYTES 4096

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "the shared counter needs lock-free 64-bit atomics");

enum status
store_gen_open(struct store *s, struct err *err)
{
	char path[PATH_MAX], ebuf[128];
	struct stat db_st, st;
	void *map;
	int fd;

	if ((size_t)snprintf(path, sizeof path, "%s-gen", s->path) >= sizeof path)
		return ERR_SET(err, ST_INVALID, "%s: path too long", s->path);
	if (stat(s->path, &db_st) != 0)
		return ERR_SET(err, ST_IO, "%s: %s", s->path, strerror_r(errno, ebuf, sizeof ebuf));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, db_st.st_mode & 0777);
	if (fd < 0)
		return ERR_SET(err, ST_IO, "%s: %s", path, strerror_r(errno, ebuf, sizeof ebuf));
	if (fstat(fd, &st) != 0)
		goto fail;
	/* Another process's file, made by root: give it the database's owner. */
	if (geteuid() == 0 && (st.st_uid != db_st.st_uid || st.st_gid != db_st.st_gid) &&
	    fchown(fd, db_st.st_uid, db_st.st_gid) != 0)
		goto fail;
	/* Only ever grows to the size, so a racing opener's adds survive. */
	if (st.st_size < GEN_FILE_BYTES && ftruncate(fd, GEN_FILE_BYTES) != 0)
		goto fail;
	map = mmap(NULL, GEN_FILE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		goto fail;
	close(fd);
	s->gen_map = map;
	return ST_OK;
fail:
	ERR_SET(err, ST_IO, "%s: %s", path, strerror_r(errno, ebuf, sizeof ebuf));
	close(fd);
	return err->st;
}

void
store_gen_close(struct store *s)
{
	if (s->gen_map != NULL)
		munmap(s->gen_map, GEN_FILE_BYTES);
	s->gen_map = NULL;
}

/* The counter: the first 8 bytes of the mapping. */
static _Atomic uint64_t *
gen_counter(const struct store *s)
{
	return s->gen_map;
}

bool
store_gen_read(const struct store *s, uint64_t *out)
{
	if (s->gen_map == NULL)
		return false;
	*out = atomic_load_explicit(gen_counter(s), memory_order_acquire);
	return true;
}

void
store_gen_bump(struct store *s)
{
	if (s->gen_map != NULL)
		atomic_fetch_add_explicit(gen_counter(s), 1, memory_order_acq_rel);
}
