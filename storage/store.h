/*
 * storage/store.h — the whole storage API of oidcd. SQL lives only in
 * storage/; callers see typed records, never sqlite3 or JSON objects.
 *
 * Threading: a struct store is shared by all threads. Each thread that calls
 * into it gets its own SQLite connection, opened lazily on first use with
 * every statement prepared once, and closed when the thread exits or at
 * store_close(). Nothing else is shared. WAL mode lets readers run beside
 * the one writer; busy_timeout absorbs writer contention.
 *
 * Conventions: functions return enum status; records returned by lookups
 * live in the caller's arena; time is always a parameter (SQL never calls
 * 'now'); single-use records are consumed by one DELETE ... RETURNING; every
 * multi-row write is one transaction.
 *
 * To add a table: add a numbered migration in migrate.c (never edit an old
 * one), a record struct and functions here, statement ids in store_internal.h
 * with their SQL in store.c, and a test in the matching *_test.c against
 * ":memory:".
 */
#ifndef STORAGE_STORE_H
#define STORAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"

struct store;

struct store_options {
	bool synchronous_full; /* PRAGMA synchronous=FULL (else NORMAL) */
	int busy_timeout_ms;   /* 0 = default 5000 */
	bool read_only;        /* open without creating or migrating (CLI inspection) */
};

/*
 * Opens (creating when missing, unless read_only) the database at path
 * (":memory:" for tests: then all threads share one connection) and checks
 * it: ST_INVALID "not an SQLite database" for any other file, which is left
 * untouched; ST_UNSUPPORTED "database schema version N is newer than this
 * oidcd (M)" for a newer schema; ST_NOT_FOUND for a missing file when
 * read_only; ST_IO when it cannot be opened. opts may be NULL (defaults).
 * The connection opened here becomes the calling thread's. Does NOT
 * migrate: call store_migrate().
 */
enum status store_open(const char *path, const struct store_options *opts, struct store **out,
                       struct err *err);
/*
 * Closes every connection still open and frees s; NULL is a no-op. It must
 * not run concurrently with any other call on s, nor with the exit of a
 * thread that used s: join the worker threads first (threads that exited
 * have closed their own connections already).
 */
void store_close(struct store *s);
/* The path given to store_open (owned by s). */
const char *store_path(const struct store *s);

/*
 * Applies pending migrations, each in its own transaction; safe when several
 * processes migrate the same file at once. *applied_out (may be NULL) gets
 * how many this call applied. ST_UNSUPPORTED for a newer schema, or when
 * migrations are pending on a read_only store.
 */
enum status store_migrate(struct store *s, int *applied_out, struct err *err);
/* Current PRAGMA user_version and the newest this binary knows. */
enum status store_schema_version(struct store *s, int *current_out, struct err *err);
int store_schema_latest(void);
/* Cheap readiness probe: the calling thread's connection reads the file. ST_IO if not. */
enum status store_ping(struct store *s, struct err *err);

/* ---- signing keys (table keys) ---- */

struct store_key {
	const char *kid;
	const char *alg; /* JOSE name, e.g. "RS256" */
	int64_t created_at;
	int64_t usable_from;
	const unsigned char *sealed; /* private key, sealed (crypto/seal.h) */
	size_t sealed_len;
	const char *public_jwk; /* JSON text */
};

/* Inserts one key. ST_CONFLICT when the kid exists. */
enum status store_key_insert(struct store *s, const struct store_key *key, struct err *err);
/*
 * All keys, oldest usable_from first (then created_at, kid); array, strings
 * and blobs in the arena. *out is NULL when there are none.
 */
enum status store_key_list(struct store *s, struct arena *arena, struct store_key **out,
                           size_t *count_out, struct err *err);
/* Deletes one key (its publication ended). ST_NOT_FOUND when absent. */
enum status store_key_delete(struct store *s, const char *kid, struct err *err);

/*
 * A cheap change counter for the keys table: changes whenever any instance
 * inserts or deletes a key, so a server can poll it and reload only then.
 */
enum status store_key_generation(struct store *s, int64_t *gen_out, struct err *err);

/* ---- OAuth 2.0 clients (table clients) ---- */

/*
 * A registered client. metadata is the validated client document as JSON
 * text (server/client_metadata.c owns its shape); storage keeps it opaque.
 * Secrets and registration tokens are never stored: only hashes.
 */
struct store_client {
	const char *id;
	/* NULL for public clients; "hmac:<b64url>" or a "$scrypt$" string */
	const char *secret_hash;
	/* HMAC-SHA-256 (32 bytes) or NULL: no RFC 7592 access */
	const unsigned char *reg_token_hash;
	const char *metadata; /* JSON text */
	int64_t created_at;
	int64_t updated_at;
};

/* Inserts a client. ST_CONFLICT when the id exists. */
enum status store_client_insert(struct store *s, const struct store_client *c, struct err *err);

/* Looks a client up by id; strings in the arena. ST_NOT_FOUND when absent. */
enum status store_client_get(struct store *s, const char *id, struct arena *arena,
                             struct store_client *out, struct err *err);

/*
 * Replaces metadata and updated_at of an existing client in one statement.
 * secret_hash / reg_token_hash: NULL keeps the stored value; to clear one
 * pass clear_secret / clear_reg_token. When expect_reg_token_hash is
 * non-NULL the update happens only if the stored registration token hash
 * still equals it (RFC 7592 token rotation without a race: a concurrent PUT
 * with the same token loses). ST_NOT_FOUND when the client is gone (or the
 * expected token no longer matches).
 */
struct store_client_update {
	const char *metadata;
	int64_t updated_at;
	const char *secret_hash;
	bool clear_secret;
	const unsigned char *reg_token_hash;
	bool clear_reg_token;
	const unsigned char *expect_reg_token_hash;
};
enum status store_client_update(struct store *s, const char *id,
                                const struct store_client_update *u, struct err *err);

/*
 * Deletes a client and, through foreign keys, everything issued to it.
 * When expect_reg_token_hash is non-NULL, only if it still matches.
 * ST_NOT_FOUND when absent.
 */
enum status store_client_delete(struct store *s, const char *id,
                                const unsigned char *expect_reg_token_hash, struct err *err);

/*
 * One page of clients ordered by id, starting after after_id (NULL = from
 * the start), at most limit rows (1..1000, else ST_INVALID). *more_out
 * tells whether rows follow; the last id of the page is the next after_id.
 * Array and strings in the arena; *out is NULL when the page is empty.
 */
enum status store_client_list(struct store *s, const char *after_id, size_t limit,
                              struct arena *arena, struct store_client **out, size_t *count_out,
                              bool *more_out, struct err *err);

/* Number of clients (for X-Total-Count). */
enum status store_client_count(struct store *s, int64_t *count_out, struct err *err);

/* ---- durable writes, batched (group commit) ---- */

/*
 * With synchronous=FULL every COMMIT costs an fsync. Requests that write
 * therefore hand their write to one writer thread, which runs every queued
 * write in one transaction (each in its own SAVEPOINT, so a failing write
 * undoes only itself), commits once, and then reports to each submitter.
 * Each request is answered only after its write is durable, and N
 * concurrent writes share one fsync.
 *
 * fn runs on the writer thread (or inline, see store_write_submit) and may
 * call any store_* function: they use that thread's connection, inside the
 * open transaction. It must not block on anything but the database.
 *
 * The writer takes the whole queue at once, up to 512 writes per batch (the
 * rest waits for the next round), and adds no delay: writes that arrive
 * while a batch commits form the next one. done runs on the writer thread,
 * in submission order, after the COMMIT returned and outside any
 * transaction; like fn it must not block. Neither fn nor done may call
 * store_writer_stop; both may submit (from the writer thread a write runs
 * inline: inside fn it joins the batch as a nested savepoint).
 */
typedef enum status store_write_fn(struct store *s, void *arg, struct err *err);
/* Called once per write after its batch committed (st = fn's status) or failed (ST_IO). */
typedef void store_write_done_fn(void *cls, enum status st, const struct err *err);

struct store_write {
	store_write_fn *fn;
	void *arg;
	store_write_done_fn *done;
	void *done_cls;
	/* private to storage/ */
	enum status st;
	struct err err;
	struct store_write *next;
};

/*
 * Starts the writer thread (a server does; CLI commands and tests need not).
 * The thread blocks every asynchronous signal. ST_INVALID when it already runs, ST_IO
 * when it cannot be created.
 */
enum status store_writer_start(struct store *s, struct err *err);
/*
 * Runs what is queued (every done is called), then stops and joins the
 * writer thread; a no-op when none runs. Called by store_close too. Later
 * submissions run inline; store_writer_start may start a new writer.
 */
void store_writer_stop(struct store *s);
/*
 * Counters since store_open, for tests and metrics: writes run by the
 * writer thread, and batches (transactions, each with one COMMIT and so one
 * fsync under synchronous=FULL) it ran them in; writes / batches is the
 * mean batch size. Inline writes are not counted. Either pointer may be NULL.
 */
void store_writer_stats(struct store *s, uint64_t *writes_out, uint64_t *batches_out);

/*
 * Queues w (which must stay valid until its done runs). With the writer
 * running this returns at once and done runs later on the writer thread.
 * Without it, fn runs on the calling thread in its own transaction and done
 * runs before this returns.
 */
void store_write_submit(struct store *s, struct store_write *w);

/* Submits fn and waits for its outcome: fn's status, or ST_IO when the commit failed. */
enum status store_write_sync(struct store *s, store_write_fn *fn, void *arg, struct err *err);

#endif
