/*
 * storage/store_internal.h — what the storage/ sources share and nobody else
 * sees: struct store, the per-thread struct conn, the statement ids and the
 * helpers that turn a database failure into a struct err. Statements are
 * run through storage/db.h, the same for every backend.
 *
 * A storage function has one shape (STYLE B15, snippet 3):
 *
 *	st = store_conn_acquire(s, &c, err);     // this thread's connection
 *	if (st != ST_OK)
 *		return st;
 *	st = store_stmt(c, STMT_X, &stmt, err);  // prepared once per connection
 *	if (st != ST_OK)
 *		goto out;
 *	... bind, step; failures: st = STORE_FAIL(c, err); ...
 *	out:
 *	store_stmt_done(stmt);                   // db_reset: drops result and bindings
 *	store_conn_release(s, c);
 *	return st;
 *
 * To add a statement: add an id before STMT_COUNT below and its SQL at the
 * same index of stmt_sql[] in store.c (grouped by the file that uses it),
 * in the common dialect (?N parameters, RETURNING, ON CONFLICT); a backend
 * whose dialect differs overrides it in store_stmt_sql.
 *
 * Included only by the storage/ sources and their tests; sqlite3.h stays in
 * storage/ (STYLE B2), and out of the record files: only store.c, db.c,
 * migrate.c, writer.c and backup.c hold SQLite-only code.
 */
#ifndef STORAGE_STORE_INTERNAL_H
#define STORAGE_STORE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/db.h"
#include "storage/store.h"

struct pg_db;
struct sqlite3;
struct sqlite3_stmt;

enum store_stmt {
	/* store.c, migrate.c */
	STMT_PING = 0,
	STMT_USER_VERSION,
	STMT_BEGIN_IMMEDIATE,
	STMT_BEGIN_DEFERRED,
	STMT_COMMIT,
	STMT_ROLLBACK,
	/* writer.c */
	STMT_WRITE_SAVEPOINT,
	STMT_WRITE_RELEASE,
	STMT_WRITE_ROLLBACK_TO,
	/* keys.c */
	STMT_KEY_INSERT,
	STMT_KEY_LIST,
	STMT_KEY_DELETE,
	STMT_KEY_RESEAL,
	STMT_KEY_GENERATION,
	/* clients.c */
	STMT_CLIENT_INSERT,
	STMT_CLIENT_GET,
	STMT_CLIENT_UPDATE,
	STMT_CLIENT_DELETE,
	STMT_CLIENT_LIST,
	STMT_CLIENT_COUNT,
	/* users.c */
	STMT_USER_INSERT,
	STMT_USER_GET,
	STMT_USER_GET_BY_USERNAME,
	STMT_USER_UPDATE,
	STMT_USER_DELETE,
	STMT_USER_LIST,
	STMT_USER_COUNT,
	/* sessions.c */
	STMT_SESSION_INSERT,
	STMT_SESSION_GET_ACTIVE,
	STMT_SESSION_GET_BY_SID,
	STMT_SESSION_END,
	STMT_SESSION_END_USER,
	STMT_SESSION_LIST_USER,
	/* grants.c */
	STMT_CONSENT_UPSERT,
	STMT_CONSENT_GET,
	STMT_CONSENT_DELETE,
	STMT_CODE_INSERT,
	STMT_CODE_CONSUME,
	STMT_CODE_MARK_USED,
	STMT_CODE_USED_GET,
	STMT_TOKEN_INSERT,
	STMT_TOKEN_GET_ACTIVE,
	STMT_TOKEN_GET_WITH_OWNERS,
	STMT_TOKEN_GET,
	STMT_TOKEN_CONSUME_REFRESH,
	STMT_TOKEN_REVOKE,
	STMT_TOKEN_REVOKE_GRANT,
	STMT_TOKEN_REVOKE_SID,
	STMT_TOKEN_GRANT_HAS_REFRESH,
	/* throttle.c */
	STMT_THROTTLE_GET,
	STMT_THROTTLE_PUT,
	STMT_THROTTLE_CLEAR,

	STMT_JTI_USE,
	/* device.c */
	STMT_DEVICE_INSERT,
	STMT_DEVICE_GET,
	STMT_DEVICE_GET_BY_USER_CODE,
	STMT_DEVICE_DECIDE,
	STMT_DEVICE_POLL,
	STMT_DEVICE_CONSUME,
	/* credentials.c */
	STMT_VC_NONCE_INSERT,
	STMT_VC_NONCE_CONSUME,
	STMT_CREDENTIAL_INSERT,
	STMT_CREDENTIAL_LIST,
	/* logout_outbox.c */
	STMT_LOGOUT_INSERT,
	STMT_LOGOUT_DUE,
	STMT_LOGOUT_NEXT_DUE,
	STMT_LOGOUT_COUNTS,
	STMT_LOGOUT_DONE,
	STMT_LOGOUT_RETRY,
	STMT_LOGOUT_PENDING_SID,
	STMT_LOGOUT_LIST,
	STMT_LOGOUT_RELEASE,
	STMT_SESSION_CLIENT_IDS,
	/* sweep.c: one per table, in the order store_sweep runs them */
	STMT_SWEEP_SESSIONS,
	STMT_SWEEP_AUTH_CODES,
	STMT_SWEEP_USED_CODES,
	STMT_SWEEP_TOKENS,
	STMT_SWEEP_CONSENTS,
	STMT_SWEEP_LOGIN_ATTEMPTS,
	STMT_SWEEP_USED_JTIS,
	STMT_SWEEP_DEVICE_CODES,
	STMT_SWEEP_VC_NONCES,
	STMT_SWEEP_LOGOUT_DELIVERIES,

	/* flows.c */
	STMT_FLOW_INSERT,
	STMT_FLOW_GET,
	STMT_FLOW_DECIDE,
	STMT_FLOW_CONSUME,
	STMT_USER_ENSURE,
	STMT_CONSENT_LIST,
	STMT_CONSENT_DELETE_USER,
	STMT_SWEEP_FLOWS,
	/* headless mode, issue 8 (extend_session_lifespan, force_subject_identifier) */
	STMT_SESSION_EXTEND,
	STMT_FORCED_SUBJECT_PUT,
	STMT_FORCED_SUBJECT_GET,

	STMT_COUNT
};

/*
 * One database connection and its statements. Owned by one thread (file
 * databases) or shared under store.memory_lock (":memory:"). Statements are
 * prepared on first use and kept until the connection closes; an all-zero
 * slot has not been prepared yet.
 */
struct conn {
	enum db_backend backend; /* DB_SQLITE: db is set; DB_PG: pg is set */
	struct sqlite3 *db;
	struct pg_db *pg;
	struct db_stmt stmt[STMT_COUNT];
	struct store *store;      /* for the thread-exit destructor */
	struct conn *prev, *next; /* in store.conns, while is_listed */
	bool is_listed;
	/* Savepoints opened by store_tx_begin inside an outer transaction and
	 * not yet released: the innermost is named "store_tx_<tx_depth>". */
	unsigned tx_depth;
	/* store_read_begin opened the current (read) transaction. */
	bool is_read_tx;
	/* The group-commit writer's: it leaves the read anchor to readers. */
	bool is_writer;
	/* The open transaction changed or deleted a client: bump the clients
	 * generation once it commits (gen.c). */
	bool clients_dirty;
	/* Clients read through this connection (clients.c); NULL until the
	 * first one. Freed with the connection. */
	struct client_cache_entry *client_cache;
};

struct store {
	char *path; /* PostgreSQL: the URL without its password, for messages */
	struct store_options opts;
	bool is_memory;
	/* DB_PG (a postgres:// or postgresql:// URL): url is the whole URL,
	 * password included (wiped when freed); every thread gets its own
	 * server connection through key, as for a file. */
	enum db_backend backend;
	char *url;
	/* File databases: an fd on the file holding a shared flock(2) for the
	 * store's life, so store_restore can tell the file is in use; -1 if none. */
	int lock_fd;

	/* File databases: one connection per thread, found through key. */
	pthread_key_t key;
	pthread_mutex_t lock; /* guards conns and every conn's list links */
	struct conn *conns;   /* every open per-thread connection */

	/* ":memory:": every connection would be a separate database, so all
	 * threads share this one, holding memory_lock (recursive) while they
	 * use it. */
	struct conn *memory_conn;
	pthread_mutex_t memory_lock;

	/* Group commit (writer.c). write_lock guards every field below; it is
	 * never held while SQL or a done callback runs. */
	pthread_mutex_t write_lock;
	pthread_cond_t write_cond;                   /* queue not empty, or stop */
	struct store_write *write_head, *write_tail; /* FIFO through w->next */
	pthread_t writer_tid;                        /* valid while writer_started */
	bool writer_started;                         /* from start until stop has joined */
	bool writer_stop;                            /* stop asked: drain, then exit */
	bool writer_accepting; /* the thread still takes writes: submit queues */
	uint64_t writer_writes, writer_batches;
	/*
	 * Pipelined sync (synchronous=FULL on a file): the writer commits with
	 * synchronous=NORMAL and hands each batch to the syncer thread, which
	 * fdatasyncs the WAL once for every batch committed so far and only then
	 * runs their dones. Meanwhile the writer lets the queue grow, and commits
	 * it as one batch when the syncer is done (writer.c, writer_may_take).
	 */
	bool is_sync_pipelined;
	pthread_cond_t sync_cond;                  /* sync queue not empty, or syncer_stop */
	struct store_write *sync_head, *sync_tail; /* committed (or failed), awaiting sync */
	pthread_t syncer_tid;
	bool syncer_stop;
	bool syncer_busy;           /* from taking a list to the end of its dones */
	size_t write_queued;        /* writes in write_head..write_tail */
	int wal_fd;                 /* the -wal file, opened by the syncer; -1 until then */
	bool is_writer_conn_normal; /* the writer's connection runs synchronous=NORMAL */
	bool writer_busy;           /* a batch is running (between take and its hand-off) */
	bool writer_paused;         /* tests: take no new batch (stop still drains) */
	uint64_t writer_syncs;

	/* The read anchor (read_anchor.c): SQLite files opened read-write. */
	bool has_anchor;
	pthread_mutex_t anchor_lock; /* guards the five fields below */
	struct sqlite3 *anchor_db;   /* NULL until first taken */
	struct sqlite3_stmt *anchor_begin, *anchor_read, *anchor_end;
	bool anchor_held;
	_Atomic uint64_t wal_commits;    /* commits of this process (wal hook) */
	_Atomic uint64_t anchor_commits; /* wal_commits when the anchor was last taken */
	_Atomic int64_t anchor_at_ms;    /* coarse monotonic ms of that; 0: never */

	/* The clients generation's shared mapping (gen.c): SQLite files
	 * opened read-write; NULL otherwise. */
	void *gen_map;
};

/*
 * The clients generation (gen.c), shared with every process on the
 * same file. store_gen_open maps it (read-write SQLite files, at open);
 * store_gen_read gives it (false: this store has none, cache nothing);
 * store_gen_bump after a commit that changed a client.
 */
enum status store_gen_open(struct store *s, struct err *err);
void store_gen_close(struct store *s);
bool store_gen_read(const struct store *s, uint64_t *out);
void store_gen_bump(struct store *s);

/* The per-connection client cache (clients.c), freed at conn_free. */
void store_client_cache_free(struct conn *c);

/* This thread's connection when it has one, without touching the anchor;
 * NULL for ":memory:" and before the thread's first use of s. */
struct conn *store_conn_peek(struct store *s);

/*
 * The read anchor (read_anchor.c). store_anchor_touch moves a stale anchor
 * to the newest snapshot; call it before a read transaction starts.
 * store_anchor_wal_hook is every read-write connection's sqlite3_wal_hook
 * (arg: the store): it counts commits and checkpoints at 1000 frames.
 * store_anchor_close: at store_close, after every writer stopped.
 */
void store_anchor_touch(struct store *s);
int store_anchor_wal_hook(void *arg, struct sqlite3 *db, const char *name, int frames);
void store_anchor_close(struct store *s);

/*
 * Gives the calling thread's connection, opening it on first use (file
 * databases), or takes the shared ":memory:" connection and its lock. Pair
 * every ST_OK with store_conn_release(). ST_IO when the connection cannot
 * be opened.
 */
enum status store_conn_acquire(struct store *s, struct conn **out, struct err *err);
/* Ends a store_conn_acquire(); c may be NULL. */
void store_conn_release(struct store *s, struct conn *c);

/*
 * The SQL text of statement id on backend: stmt_sql[id] of store.c (the
 * common dialect), or the backend's own text where its dialect differs.
 */
const char *store_stmt_sql(enum db_backend backend, enum store_stmt id);

/* The prepared statement id on c, preparing it on first use. ST_IO on failure. */
enum status store_stmt(struct conn *c, enum store_stmt id, struct db_stmt **out, struct err *err);
/* db_reset (result and bindings dropped); NULL is a no-op. Ends every statement use. */
void store_stmt_done(struct db_stmt *stmt);

/* Runs a statement that returns no rows (or whose rows are ignored) to completion. */
enum status store_stmt_run(struct conn *c, enum store_stmt id, struct err *err);

/*
 * For tests: pause returns once the writer is between batches and keeps it
 * from taking a new one until resume (store_writer_stop still drains the
 * queue), so writes submitted meanwhile form one batch.
 */
void store_writer_pause(struct store *s);
void store_writer_resume(struct store *s);

/*
 * Write transactions for multi-row writes. BEGIN IMMEDIATE takes the write
 * lock up front, so busy_timeout applies (a deferred transaction that reads
 * and then writes can fail with SQLITE_BUSY at once). rollback is for
 * cleanup paths: it cannot report failure and leaves *err alone.
 *
 * They nest: when c is already inside a transaction (a store_write fn runs
 * inside the writer's batch, or one store function calls another), begin
 * opens a savepoint "store_tx_<depth>", commit releases it and rollback
 * undoes it (ROLLBACK TO + RELEASE), so only the outermost level commits.
 * Call rollback on failure paths only: after a nested commit it would undo
 * the enclosing level. After an outer commit, or once SQLite has rolled the
 * whole transaction back itself (SQLITE_FULL, SQLITE_IOERR, ...), it is a
 * no-op.
 */
enum status store_tx_begin(struct conn *c, struct err *err);
enum status store_tx_commit(struct conn *c, struct err *err);
void store_tx_rollback(struct conn *c);

/*
 * Maps the connection's last database error to a status and copies its
 * message into *err: constraint violations on a primary key or unique
 * index → ST_CONFLICT, other constraints → ST_INVALID, SQLITE_NOTADB →
 * ST_INVALID, everything else → ST_IO. Call it before store_stmt_done.
 */
enum status store_fail(struct conn *c, struct err *err, const char *func, int line);
#define STORE_FAIL(c, err) store_fail((c), (err), __func__, __LINE__)

/*
 * Binding and reading helpers shared by the record files (store.c). The
 * bind helpers return the db_bind_* code. Optional values follow store.h:
 * a NULL string and a 0 time bind SQL NULL, and a NULL column reads back as
 * NULL / 0 (db_column_int64 gives 0 for NULL).
 */
enum db_rc store_bind_text_or_null(struct db_stmt *stmt, int idx, const char *text);
/* Binds STORE_HASH_LEN bytes of hash (which must not be NULL). */
enum db_rc store_bind_hash(struct db_stmt *stmt, int idx, const unsigned char *hash);
/* The same, or SQL NULL when hash is NULL. */
enum db_rc store_bind_hash_or_null(struct db_stmt *stmt, int idx, const unsigned char *hash);
enum db_rc store_bind_time_or_null(struct db_stmt *stmt, int idx, int64_t t);
/* Copies text column col into the arena; NULL stays NULL. */
const char *store_column_text_dup(struct db_stmt *stmt, int col, struct arena *arena);
/*
 * Copies hash column col (STORE_HASH_LEN bytes) into the arena. ST_IO when
 * it is NULL or has another length (a database edited by hand: the schema
 * checks the length).
 */
enum status store_column_hash_dup(struct db_stmt *stmt, int col, struct arena *arena,
                                  const unsigned char **out, struct err *err);

/*
 * Copies the current row of stmt into *row (a record struct of the caller's
 * file), strings in the arena. ST_IO for a row it cannot read.
 */
typedef enum status store_read_row_fn(struct db_stmt *stmt, struct arena *arena, void *row,
                                      struct err *err);

/*
 * Steps a bound statement, reading each row with read_row into an array of
 * row_size records: up to limit rows (0: all), *more_out (may be NULL) set
 * when one more row follows (keyset pagination asks for limit + 1). The
 * array is in the arena, NULL when no row.
 */
enum status store_rows_collect(struct conn *c, struct db_stmt *stmt, size_t limit, size_t row_size,
                               store_read_row_fn *read_row, struct arena *arena, void **rows_out,
                               size_t *count_out, bool *more_out, struct err *err);

/*
 * Runs statement id bound to ?1 = text and ?2 = t (e.g. a user id and now)
 * and collects all its rows as store_rows_collect does (own connection).
 */
enum status store_rows_by_text_time(struct store *s, enum store_stmt id, const char *text,
                                    int64_t t, size_t row_size, store_read_row_fn *read_row,
                                    struct arena *arena, void **rows_out, size_t *count_out,
                                    struct err *err);

/* Runs statement id, which yields one row of one integer (a count), into *count_out. */
enum status store_count(struct store *s, enum store_stmt id, int64_t *count_out, struct err *err);

/* PRAGMA user_version on c (migrate.c). */
enum status store_user_version(struct conn *c, int *version_out, struct err *err);

#endif
