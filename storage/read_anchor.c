/*
 * storage/read_anchor.c — one long-lived read transaction per SQLite store
 * that the short read transactions of requests share their WAL read lock
 * with.
 *
 * Why: in WAL mode every read transaction takes a shared lock on one of the
 * wal-index read-mark slots and drops it at its end. The unix VFS makes that
 * an fcntl(2) on the -shm file, under a process-wide mutex, unless another
 * connection of the same process already holds the same slot. With two
 * worker threads that rarely overlap, a /userinfo request paid about two
 * fcntl calls and a contended mutex (12 % of its CPU, perf). The anchor is a
 * connection of its own that holds a read transaction at the newest
 * snapshot; a request's transaction then lands on the anchor's slot (SQLite
 * picks the slot whose mark equals the newest frame) and takes and drops it
 * without a system call.
 *
 * Readers never read through the anchor: each still reads the newest
 * snapshot of its own. The anchor only holds a lock, so the rules are about
 * what a held read lock blocks:
 *   - a checkpoint copies frames only up to the anchor's snapshot, and the
 *     WAL restarts from its start only when no slot but slot 0 is held.
 *     The wal hook (our autocheckpoint: the same 1000 frames as SQLite's)
 *     drops the anchor and keeps anchor_lock across the checkpoint, so that
 *     the checkpoint copies every frame and the anchor comes back on slot 0
 *     (a fully copied WAL), where it does not stop the next writer from
 *     restarting the WAL;
 *   - a stale anchor helps nobody: it moves to the newest snapshot when a
 *     commit of this process happened since it was taken (counted by the
 *     wal hook) or when it is ANCHOR_MAX_AGE_MS old (commits of other
 *     processes, e.g. the CLI);
 *   - an idle process must not hold back another's checkpoints:
 *     store_anchor_expire drops an anchor nobody refreshed for a while.
 *
 * Readers only ever try anchor_lock, so they never wait for it.
 */
#include <sqlite3.h>
#include <stdatomic.h>
#include <time.h>

#include "storage/store.h"
#include "storage/store_internal.h"

/* SQLite's own autocheckpoint threshold (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT). */
#define ANCHOR_CHECKPOINT_FRAMES 1000
#define ANCHOR_MAX_AGE_MS        100

static int64_t
coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	/* never 0: 0 means "never taken" */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1;
}

/* Caller holds anchor_lock. */
static void
anchor_drop_locked(struct store *s)
{
	if (s->anchor_held) {
		(void)sqlite3_step(s->anchor_end);
		(void)sqlite3_reset(s->anchor_end);
		s->anchor_held = false;
	}
	atomic_store_explicit(&s->anchor_at_ms, 0, memory_order_relaxed);
}

/* Caller holds anchor_lock. Opens the connection on first use. */
static void
anchor_take_locked(struct store *s)
{
	uint64_t commits = atomic_load_explicit(&s->wal_commits, memory_order_acquire);
	int rc;

	if (s->anchor_db == NULL) {
		if (sqlite3_open_v2(s->path, &s->anchor_db,
		                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
		                    NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->anchor_db, "BEGIN", -1, &s->anchor_begin, NULL) !=
		            SQLITE_OK ||
		    sqlite3_prepare_v2(s->anchor_db, "PRAGMA schema_version", -1, &s->anchor_read,
		                       NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->anchor_db, "COMMIT", -1, &s->anchor_end, NULL) !=
		            SQLITE_OK) {
			store_anchor_close(s); /* tried again after the age limit */
		}
	}
	/* BEGIN is deferred: the read of the header takes the snapshot. */
	rc = s->anchor_db != NULL ? sqlite3_step(s->anchor_begin) : SQLITE_CANTOPEN;
	if (s->anchor_db != NULL)
		(void)sqlite3_reset(s->anchor_begin);
	if (rc == SQLITE_DONE) {
		rc = sqlite3_step(s->anchor_read);
		(void)sqlite3_reset(s->anchor_read); /* the transaction stays open */
		s->anchor_held = true;
		if (rc != SQLITE_ROW)
			anchor_drop_locked(s); /* e.g. SQLITE_BUSY during a WAL restart */
	}
	/* Held or not, the next try waits for a commit or for the age limit. */
	atomic_store_explicit(&s->anchor_commits, commits, memory_order_relaxed);
	atomic_store_explicit(&s->anchor_at_ms, coarse_ms(), memory_order_relaxed);
}

void
store_anchor_touch(struct store *s)
{
	int64_t at;

	if (!s->has_anchor)
		return;
	at = atomic_load_explicit(&s->anchor_at_ms, memory_order_relaxed);
	if (at != 0 &&
	    atomic_load_explicit(&s->wal_commits, memory_order_acquire) ==
	            atomic_load_explicit(&s->anchor_commits, memory_order_relaxed) &&
	    coarse_ms() - at < ANCHOR_MAX_AGE_MS)
		return;
	if (pthread_mutex_trylock(&s->anchor_lock) != 0)
		return; /* being moved, or a checkpoint runs: read without it */
	anchor_drop_locked(s);
	anchor_take_locked(s);
	pthread_mutex_unlock(&s->anchor_lock);
}

int
store_anchor_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *s = arg;
	struct conn *c = store_conn_peek(s);

	atomic_fetch_add_explicit(&s->wal_commits, 1, memory_order_release);
	/* After the commit: the clients cache's invariant (gen.c). */
	if (c != NULL && c->db == db && c->clients_dirty) {
		c->clients_dirty = false;
		store_gen_bump(s);
	}
	if (frames < ANCHOR_CHECKPOINT_FRAMES)
		return SQLITE_OK;
	pthread_mutex_lock(&s->anchor_lock);
	anchor_drop_locked(s);
	/* PASSIVE, as SQLite's autocheckpoint: it never waits for a lock. */
	(void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	pthread_mutex_unlock(&s->anchor_lock);
	return SQLITE_OK;
}

void
store_anchor_expire(struct store *s, int64_t idle_ms)
{
	int64_t at;

	if (s == NULL || !s->has_anchor)
		return;
	at = atomic_load_explicit(&s->anchor_at_ms, memory_order_relaxed);
	if (at == 0 || coarse_ms() - at < idle_ms)
		return;
	pthread_mutex_lock(&s->anchor_lock);
	anchor_drop_locked(s);
	pthread_mutex_unlock(&s->anchor_lock);
}

bool
store_anchor_is_held(struct store *s)
{
	bool held;

	pthread_mutex_lock(&s->anchor_lock);
	held = s->anchor_held;
	pthread_mutex_unlock(&s->anchor_lock);
	return held;
}

void
store_anchor_close(struct store *s)
{
	/* finalize before close; both accept NULL */
	sqlite3_finalize(s->anchor_begin);
	sqlite3_finalize(s->anchor_read);
	sqlite3_finalize(s->anchor_end);
	sqlite3_close_v2(s->anchor_db);
	s->anchor_begin = s->anchor_read = s->anchor_end = NULL;
	s->anchor_db = NULL;
	s->anchor_held = false;
}
