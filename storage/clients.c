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
 *
 * To add a column: a new migration (never edit migration 2), the column in
 * the SQL of every STMT_CLIENT_* in store.c, then client_from_row below.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"

#define STORE_CLIENT_TOKEN_HASH_LEN STORE_HASH_LEN /* HMAC-SHA-256 */
#define STORE_CLIENT_LIST_MAX       1000

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
	struct conn *conn = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &conn, err);
	if (st != ST_OK)
		return st;
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
