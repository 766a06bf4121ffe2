/*
 * storage/keys.c — the keys table: signing keys, their private half sealed
 * by crypto/ before it gets here (storage never sees a private key in the
 * clear), their public JWK as JSON text.
 *
 * API (store.h): store_key_insert, store_key_list, store_key_delete,
 * store_key_generation.
 *
 * Invariants: meta.keys_generation is bumped by triggers (migration 1) on
 * every insert, update and delete of a key, in the same transaction, so a
 * server that polls store_key_generation sees changes made by any process.
 */
#include <assert.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"

enum status
store_key_insert(struct store *s, const struct store_key *key, struct err *err)
{
	struct conn *c = NULL;
	sqlite3_stmt *stmt = NULL;
	enum status st;
	int rc;

	assert(key->kid != NULL && key->alg != NULL && key->public_jwk != NULL);
	assert(key->sealed != NULL || key->sealed_len == 0);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_KEY_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	/* A zero-length blob needs a non-NULL pointer, or it binds NULL. */
	if (sqlite3_bind_text(stmt, 1, key->kid, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 2, key->alg, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 3, key->created_at) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 4, key->usable_from) != SQLITE_OK ||
	    sqlite3_bind_blob64(stmt, 5, key->sealed_len > 0 ? (const void *)key->sealed : "",
	                        key->sealed_len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 6, key->public_jwk, -1, SQLITE_STATIC) != SQLITE_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		st = ERR_SET(err, ST_CONFLICT, "key %s already exists", key->kid);
		goto out;
	}
	st = rc == SQLITE_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/* Copies the current row of STMT_KEY_LIST into *row, strings and blob in arena. */
static enum status
key_from_row(sqlite3_stmt *stmt, struct arena *arena, void *row, struct err *err)
{
	struct store_key *key = row;
	/* sqlite3_column_bytes after the blob call: that is the conversion
	 * order the SQLite documentation prescribes. */
	const void *sealed = sqlite3_column_blob(stmt, 4);
	size_t sealed_len = (size_t)sqlite3_column_bytes(stmt, 4);

	/* NOT NULL columns of a STRICT table: text is never NULL here. */
	key->kid = store_column_text_dup(stmt, 0, arena);
	key->alg = store_column_text_dup(stmt, 1, arena);
	key->created_at = sqlite3_column_int64(stmt, 2);
	key->usable_from = sqlite3_column_int64(stmt, 3);
	key->sealed = arena_memdup(arena, sealed, sealed_len);
	key->sealed_len = sealed_len;
	key->public_jwk = store_column_text_dup(stmt, 5, arena);
	(void)err; /* nothing here can fail */
	return ST_OK;
}

enum status
store_key_list(struct store *s, struct arena *arena, struct store_key **out, size_t *count_out,
               struct err *err)
{
	struct conn *c = NULL;
	sqlite3_stmt *stmt = NULL;
	void *keys = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_KEY_LIST, &stmt, err);
	if (st != ST_OK)
		goto out;
	st = store_rows_collect(c, stmt, 0, sizeof **out, key_from_row, arena, &keys, count_out,
	                        NULL, err);
	if (st == ST_OK)
		*out = keys;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_key_delete(struct store *s, const char *kid, struct err *err)
{
	struct conn *c = NULL;
	sqlite3_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_KEY_DELETE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (sqlite3_bind_text(stmt, 1, kid, -1, SQLITE_STATIC) != SQLITE_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	/* sqlite3_changes counts this statement's rows, not the trigger's. */
	if (sqlite3_changes(c->db) == 0) {
		st = ERR_SET(err, ST_NOT_FOUND, "no key %s", kid);
		goto out;
	}
	st = ST_OK;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_key_generation(struct store *s, int64_t *gen_out, struct err *err)
{
	struct conn *c = NULL;
	sqlite3_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_KEY_GENERATION, &stmt, err);
	if (st != ST_OK)
		goto out;
	switch (sqlite3_step(stmt)) {
	case SQLITE_ROW:
		*gen_out = sqlite3_column_int64(stmt, 0);
		st = ST_OK;
		break;
	case SQLITE_DONE:
		/* Migration 1 inserts the row; without it the schema is broken. */
		st = ERR_SET(err, ST_IO, "meta row keys_generation is missing");
		break;
	default:
		st = STORE_FAIL(c, err);
		break;
	}
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}
