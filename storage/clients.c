/*
 * storage/clients.c — the clients table: registered OAuth 2.0 clients, their
 * metadata as opaque JSON text, the hash of their secret and the hash of
 * their RFC 7592 registration access token.
 *
 * API (store.h): store_client_insert, store_client_get, store_client_update,
 * store_client_delete, store_client_list, store_client_count.
 *
 * Invariants:
 * - Only hashes are stored (STYLE B5); nothing here puts a hash in an error
 *   message.
 * - reg_token_hash is NULL or exactly STORE_CLIENT_TOKEN_HASH_LEN bytes
 *   (migration 2 checks it; client_from_row checks it again before a caller
 *   compares 32 bytes of it).
 * - Update and delete are one statement each, with the expected
 *   registration token hash in their WHERE clause, so a PUT racing a DELETE
 *   (RFC 7592 §2.2, §2.3) leaves either the updated row or none.
 * - Deleting a client deletes what was issued to it through ON DELETE
 *   CASCADE in the referencing tables (PRAGMA foreign_keys is ON).
 * - store_client_get answers from a small per-connection cache when the
 *   clients generation (gen.c) is the one the entry was read under:
 *   the generation is read before the row, and every update or delete,
 *   from any process, bumps it after its commit. Inside a transaction the
 *   row is always read from the database (the snapshot may be older than
 *   the generation), and nothing is cached without a generation
 *   (":memory:", PostgreSQL, read-only opens).
 *
 * To add a column: a new migration (never edit migration 2), the column in
 * the SQL of every STMT_CLIENT_* in store.c, then client_from_row below.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "storage/store.h"
#include "storage/store_internal.h"

#define STORE_CLIENT_TOKEN_HASH_LEN STORE_HASH_LEN /* HMAC-SHA-256 */
#define STORE_CLIENT_LIST_MAX       1000

/* Cache slots per connection (direct-mapped by the id's hash), and the
 * largest metadata text kept in one; larger ones are always read. */
#define CLIENT_CACHE_SLOTS        32
#define CLIENT_CACHE_METADATA_MAX ((size_t)16 * 1024)

struct client_cache_entry {
	uint64_t gen;            /* the clients generation read before the row */
	void *mem;               /* NULL: an empty slot; else the row's texts and hash */
	struct store_client row; /* pointing into mem */
};

/* FNV-1a: spreads ids over the slots; not a defence, nothing is keyed by it. */
static size_t
cache_slot(const char *id)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return (size_t)(h % CLIENT_CACHE_SLOTS);
}

static void
cache_entry_clear(struct client_cache_entry *e)
{
	free(e->mem);
	memset(e, 0, sizeof *e);
}

void
store_client_cache_free(struct conn *c)
{
	size_t i;

	if (c->client_cache == NULL)
		return;
	for (i = 0; i < CLIENT_CACHE_SLOTS; i++)
		cache_entry_clear(&c->client_cache[i]);
	free(c->client_cache);
	c->client_cache = NULL;
}

/* true and *out filled (texts in the arena) when c holds id at gen. */
static bool
cache_find(struct conn *c, const char *id, uint64_t gen, struct arena *arena,
           struct store_client *out)
{
	const struct client_cache_entry *e;

	if (c->client_cache == NULL)
		return false;
	e = &c->client_cache[cache_slot(id)];
	if (e->mem == NULL || e->gen != gen || strcmp(e->row.id, id) != 0)
		return false;
	*out = e->row;
	out->id = arena_strdup(arena, e->row.id);
	if (e->row.secret_hash != NULL)
		out->secret_hash = arena_strdup(arena, e->row.secret_hash);
	if (e->row.reg_token_hash != NULL)
		out->reg_token_hash =
		        arena_memdup(arena, e->row.reg_token_hash, STORE_CLIENT_TOKEN_HASH_LEN);
	out->metadata = arena_strdup(arena, e->row.metadata);
	return true;
}

static void
cache_put(struct conn *c, uint64_t gen, const struct store_client *row)
{
	size_t id_len = strlen(row->id) + 1, meta_len = strlen(row->metadata) + 1;
	size_t secret_len = row->secret_hash != NULL ? strlen(row->secret_hash) + 1 : 0;
	struct client_cache_entry *e;
	unsigned char *p;

	if (meta_len > CLIENT_CACHE_METADATA_MAX)
		return;
	if (c->client_cache == NULL)
		c->client_cache = xcalloc(CLIENT_CACHE_SLOTS, sizeof *c->client_cache);
	e = &c->client_cache[cache_slot(row->id)];
	cache_entry_clear(e);
	/* Bytes and texts only: nothing in mem needs alignment. */
	p = e->mem = xmalloc(STORE_CLIENT_TOKEN_HASH_LEN + id_len + meta_len + secret_len);
	e->row = *row;
	if (row->reg_token_hash != NULL)
		e->row.reg_token_hash = memcpy(p, row->reg_token_hash, STORE_CLIENT_TOKEN_HASH_LEN);
	e->row.id = memcpy(p + STORE_CLIENT_TOKEN_HASH_LEN, row->id, id_len);
	e->row.metadata = memcpy(p + STORE_CLIENT_TOKEN_HASH_LEN + id_len, row->metadata, meta_len);
	if (row->secret_hash != NULL)
		e->row.secret_hash = memcpy(p + STORE_CLIENT_TOKEN_HASH_LEN + id_len + meta_len,
		                            row->secret_hash, secret_len);
	e->gen = gen;
}

/*
 * Copies the current row (columns id, secret_hash, reg_token_hash, metadata,
 * created_at, updated_at) into *out, strings and blob in the arena. ST_IO
 * when reg_token_hash has the wrong length (a database edited by hand).
 */
static enum status
client_from_row(struct db_stmt *stmt, struct arena *arena, void *row, struct err *err)
{
	struct store_client *out = row;
	/* The type first: it is undefined after a conversion (STRICT makes
	 * this column BLOB or NULL, so there is none). */
	bool has_token = !db_column_is_null(stmt, 2);
	const void *token = db_column_blob(stmt, 2);
	int token_len = (int)db_column_bytes(stmt, 2);

	if (has_token && token_len != STORE_CLIENT_TOKEN_HASH_LEN)
		return ERR_SET(err, ST_IO, "client %s: reg_token_hash is %d bytes, not %d",
		               db_column_text(stmt, 0), token_len, STORE_CLIENT_TOKEN_HASH_LEN);
	/* id and metadata are NOT NULL columns of a STRICT table. */
	out->id = store_column_text_dup(stmt, 0, arena);
	out->secret_hash = store_column_text_dup(stmt, 1, arena);
	out->reg_token_hash =
	        has_token ? arena_memdup(arena, token, STORE_CLIENT_TOKEN_HASH_LEN) : NULL;
	out->metadata = store_column_text_dup(stmt, 3, arena);
	out->created_at = db_column_int64(stmt, 4);
	out->updated_at = db_column_int64(stmt, 5);
	return ST_OK;
}

enum status
store_client_insert(struct store *s, const struct store_client *c, struct err *err)
{
	struct conn *conn = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	assert(c->id != NULL && c->metadata != NULL);
	st = store_conn_acquire(s, &conn, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(conn, STMT_CLIENT_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, c->id) != DB_OK ||
	    store_bind_text_or_null(stmt, 2, c->secret_hash) != DB_OK ||
	    store_bind_hash_or_null(stmt, 3, c->reg_token_hash) != DB_OK ||
	    db_bind_text(stmt, 4, c->metadata) != DB_OK ||
	    db_bind_int64(stmt, 5, c->created_at) != DB_OK ||
	    db_bind_int64(stmt, 6, c->updated_at) != DB_OK) {
		st = STORE_FAIL(conn, err);
		goto out;
	}
	rc = db_step(stmt);
	if (rc == DB_CONFLICT) {
		st = ERR_SET(err, ST_CONFLICT, "client %s already exists", c->id);
		goto out;
	}
	st = rc == DB_DONE ? ST_OK : STORE_FAIL(conn, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, conn);
	return st;
}

enum status
store_client_get(struct store *s, const char *id, struct arena *arena, struct store_client *out,
                 struct err *err)
{
	struct conn *conn = store_conn_peek(s);
	struct db_stmt *stmt = NULL;
	bool is_cacheable;
	uint64_t gen = 0;
	enum status st;

	/* Read before the row (the invariant above); a hit skips the
	 * transaction, and the anchor touch of store_conn_acquire with it. */
	is_cacheable = store_gen_read(s, &gen);
	if (is_cacheable && conn != NULL && !db_in_transaction(conn) &&
	    cache_find(conn, id, gen, arena, out))
		return ST_OK;
	st = store_conn_acquire(s, &conn, err);
	if (st != ST_OK)
		return st;
	is_cacheable = is_cacheable && !db_in_transaction(conn);
	st = store_stmt(conn, STMT_CLIENT_GET, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, id) != DB_OK) {
		st = STORE_FAIL(conn, err);
		goto out;
	}
	switch (db_step(stmt)) {
	case DB_ROW:
		st = client_from_row(stmt, arena, out, err);
		if (st == ST_OK && is_cacheable)
			cache_put(conn, gen, out);
		break;
	case DB_DONE:
		st = ERR_SET(err, ST_NOT_FOUND, "no client %s", id);
		break;
	default:
		st = STORE_FAIL(conn, err);
		break;
	}
out:
	store_stmt_done(stmt);
	store_conn_release(s, conn);
	return st;
}

enum status
store_client_update(struct store *s, const char *id, const struct store_client_update *u,
                    struct err *err)
{
	struct conn *conn = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	/* A new value and "clear" at once is a caller bug, not input. */
	assert(u->metadata != NULL);
	assert(!(u->clear_secret && u->secret_hash != NULL));
	assert(!(u->clear_reg_token && u->reg_token_hash != NULL));
	st = store_conn_acquire(s, &conn, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(conn, STMT_CLIENT_UPDATE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, id) != DB_OK || db_bind_text(stmt, 2, u->metadata) != DB_OK ||
	    db_bind_int64(stmt, 3, u->updated_at) != DB_OK ||
	    store_bind_text_or_null(stmt, 4, u->secret_hash) != DB_OK ||
	    db_bind_int64(stmt, 5, u->clear_secret) != DB_OK ||
	    store_bind_hash_or_null(stmt, 6, u->reg_token_hash) != DB_OK ||
	    db_bind_int64(stmt, 7, u->clear_reg_token) != DB_OK ||
	    store_bind_hash_or_null(stmt, 8, u->expect_reg_token_hash) != DB_OK) {
		st = STORE_FAIL(conn, err);
		goto out;
	}
	/* Before the step: a failed step may still have changed the row. */
	conn->clients_dirty = true;
	if (db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(conn, err);
		goto out;
	}
	/* Gone, or its registration token changed under us: the same answer. */
	if (db_changes(stmt) == 0) {
		st = ERR_SET(err, ST_NOT_FOUND, "no client %s%s", id,
		             u->expect_reg_token_hash != NULL ? " with that registration token"
		                                              : "");
		goto out;
	}
	st = ST_OK;
out:
	store_stmt_done(stmt);
	store_conn_release(s, conn);
	return st;
}

enum status
store_client_delete(struct store *s, const char *id, const unsigned char *expect_reg_token_hash,
                    struct err *err)
{
	struct conn *conn = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &conn, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(conn, STMT_CLIENT_DELETE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, id) != DB_OK ||
	    store_bind_hash_or_null(stmt, 2, expect_reg_token_hash) != DB_OK) {
		st = STORE_FAIL(conn, err);
		goto out;
	}
	/* Before the step: a failed step may still have changed the row. */
	conn->clients_dirty = true;
	if (db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(conn, err);
		goto out;
	}
	/* Counts the clients row only, not the rows the cascade removed. */
	if (db_changes(stmt) == 0) {
		st = ERR_SET(err, ST_NOT_FOUND, "no client %s%s", id,
		             expect_reg_token_hash != NULL ? " with that registration token" : "");
		goto out;
	}
	st = ST_OK;
out:
	store_stmt_done(stmt);
	store_conn_release(s, conn);
	return st;
}

enum status
store_client_list(struct store *s, const char *after_id, size_t limit, struct arena *arena,
                  struct store_client **out, size_t *count_out, bool *more_out, struct err *err)
{
	struct conn *conn = NULL;
	struct db_stmt *stmt = NULL;
	void *rows = NULL;
	enum status st;

	if (limit < 1 || limit > STORE_CLIENT_LIST_MAX)
		return ERR_SET(err, ST_INVALID, "page size %zu is not in 1..%d", limit,
		               STORE_CLIENT_LIST_MAX);
	st = store_conn_acquire(s, &conn, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(conn, STMT_CLIENT_LIST, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_text_or_null(stmt, 1, after_id) != DB_OK ||
	    db_bind_int64(stmt, 2, (int64_t)limit) != DB_OK) {
		st = STORE_FAIL(conn, err);
		goto out;
	}
	st = store_rows_collect(conn, stmt, limit, sizeof **out, client_from_row, arena, &rows,
	                        count_out, more_out, err);
	if (st == ST_OK)
		*out = rows;
out:
	store_stmt_done(stmt);
	store_conn_release(s, conn);
	return st;
}

enum status
store_client_count(struct store *s, int64_t *count_out, struct err *err)
{
	return store_count(s, STMT_CLIENT_COUNT, count_out, err);
}
