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
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	assert(key->kid != NULL && key->alg != NULL && key->public_jwk != NULL);
	assert(key->sealed != NULL || key->sealed_len == 0);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_KEY_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	/* A zero-length blob needs a non-NULL pointer, or it binds NULL. */
	if (db_bind_text(stmt, 1, key->kid) != DB_OK || db_bind_text(stmt, 2, key->alg) != DB_OK ||
	    db_bind_int64(stmt, 3, key->created_at) != DB_OK ||
	    db_bind_int64(stmt, 4, key->usable_from) != DB_OK ||
	    db_bind_blob(stmt, 5, key->sealed_len > 0 ? (const void *)key->sealed : "",
	                 key->sealed_len) != DB_OK ||
	    db_bind_text(stmt, 6, key->public_jwk) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = db_step(stmt);
	if (rc == DB_CONFLICT) {
		st = ERR_SET(err, ST_CONFLICT, "key %s already exists", key->kid);
		goto out;
	}
	st = rc == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/* Copies the current row of STMT_KEY_LIST into *row, strings and blob in arena. */
static enum status
key_from_row(struct db_stmt *stmt, struct arena *arena, void *row, struct err *err)
{
	struct store_key *key = row;
	/* The bytes after the blob call: that is the conversion order the
	 * SQLite documentation prescribes (db.h). */
	const void *sealed = db_column_blob(stmt, 4);
	size_t sealed_len = db_column_bytes(stmt, 4);

	/* NOT NULL columns of a STRICT table: text is never NULL here. */
	key->kid = store_column_text_dup(stmt, 0, arena);
	key->alg = store_column_text_dup(stmt, 1, arena);
	key->created_at = db_column_int64(stmt, 2);
	key->usable_from = db_column_int64(stmt, 3);
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
	struct db_stmt *stmt = NULL;
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
store_key_reseal(struct store *s, const char *kid, const unsigned char *sealed, size_t sealed_len,
                 struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_KEY_RESEAL, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, kid) != DB_OK ||
	    db_bind_blob(stmt, 2, sealed_len > 0 ? (const void *)sealed : "", sealed_len) !=
	            DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_changes(stmt) == 0 ? ERR_SET(err, ST_NOT_FOUND, "no key %s", kid) : ST_OK;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_key_delete(struct store *s, const char *kid, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_KEY_DELETE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, kid) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	/* db_changes counts this statement's rows, not the trigger's. */
	if (db_changes(stmt) == 0) {
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
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_KEY_GENERATION, &stmt, err);
	if (st != ST_OK)
		goto out;
	switch (db_step(stmt)) {
	case DB_ROW:
		*gen_out = db_column_int64(stmt, 0);
		st = ST_OK;
		break;
	case DB_DONE:
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
