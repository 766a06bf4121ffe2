/*
 * storage/users.c — the users table: accounts of the built-in user store,
 * their scrypt password hash and their OIDC Core §5.1 claims as opaque
 * JSON text.
 *
 * API (store.h): store_user_insert, store_user_get,
 * store_user_get_by_username, store_user_update, store_user_delete,
 * store_user_list, store_user_count.
 *
 * Invariants:
 * - username is unique ignoring ASCII case (COLLATE NOCASE on the column,
 *   migration 3), and every comparison with it (lookup, pagination) uses
 *   that collation, so login, uniqueness and page order agree.
 * - Only password hashes are stored, and no error message carries one.
 * - Deleting a user deletes their sessions, consents, codes and tokens
 *   through ON DELETE CASCADE (PRAGMA foreign_keys is ON).
 *
 * To add a column: a new migration, STORE_USER_COLUMNS in store.c, then
 * user_from_row below.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"

#define STORE_USER_LIST_MAX 1000

/* Copies the current row (STORE_USER_COLUMNS) into *out, strings in the arena. */
static enum status
user_from_row(struct db_stmt *stmt, struct arena *arena, void *row, struct err *err)
{
	struct store_user *out = row;

	(void)err; /* nothing here can fail */
	/* Every text column is NOT NULL in a STRICT table. */
	out->id = store_column_text_dup(stmt, 0, arena);
	out->username = store_column_text_dup(stmt, 1, arena);
	out->password_hash = store_column_text_dup(stmt, 2, arena);
	out->claims = store_column_text_dup(stmt, 3, arena);
	out->created_at = db_column_int64(stmt, 4);
	out->updated_at = db_column_int64(stmt, 5);
	return ST_OK;
}

enum status
store_user_insert(struct store *s, const struct store_user *u, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	assert(u->id != NULL && u->username != NULL && u->password_hash != NULL &&
	       u->claims != NULL);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_USER_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, u->id) != DB_OK || db_bind_text(stmt, 2, u->username) != DB_OK ||
	    db_bind_text(stmt, 3, u->password_hash) != DB_OK ||
	    db_bind_text(stmt, 4, u->claims) != DB_OK ||
	    db_bind_int64(stmt, 5, u->created_at) != DB_OK ||
	    db_bind_int64(stmt, 6, u->updated_at) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = db_step(stmt);
	if (rc == DB_CONFLICT && db_conflict_is_primary_key(c)) {
		st = ERR_SET(err, ST_CONFLICT, "user id %s already exists", u->id);
		goto out;
	}
	if (rc == DB_CONFLICT) {
		st = ERR_SET(err, ST_CONFLICT, "username %s already exists", u->username);
		goto out;
	}
	st = rc == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/* One row by the text key of statement id (id or username). */
static enum status
user_get_by(struct store *s, enum store_stmt id, const char *key, struct arena *arena,
            struct store_user *out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, id, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, key) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	switch (db_step(stmt)) {
	case DB_ROW:
		st = user_from_row(stmt, arena, out, err);
		break;
	case DB_DONE:
		st = ERR_SET(err, ST_NOT_FOUND, "no user %s", key);
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

enum status
store_user_get(struct store *s, const char *id, struct arena *arena, struct store_user *out,
               struct err *err)
{
	return user_get_by(s, STMT_USER_GET, id, arena, out, err);
}

enum status
store_user_get_by_username(struct store *s, const char *username, struct arena *arena,
                           struct store_user *out, struct err *err)
{
	return user_get_by(s, STMT_USER_GET_BY_USERNAME, username, arena, out, err);
}

enum status
store_user_update(struct store *s, const char *id, const struct store_user_update *u,
                  struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_USER_UPDATE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, id) != DB_OK ||
	    store_bind_text_or_null(stmt, 2, u->username) != DB_OK ||
	    store_bind_text_or_null(stmt, 3, u->password_hash) != DB_OK ||
	    store_bind_text_or_null(stmt, 4, u->claims) != DB_OK ||
	    db_bind_int64(stmt, 5, u->updated_at) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = db_step(stmt);
	if (rc == DB_CONFLICT) {
		st = ERR_SET(err, ST_CONFLICT, "username %s already exists", u->username);
		goto out;
	}
	if (rc != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (db_changes(stmt) == 0) {
		st = ERR_SET(err, ST_NOT_FOUND, "no user %s", id);
		goto out;
	}
	st = ST_OK;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_user_delete(struct store *s, const char *id, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_USER_DELETE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, id) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	/* Counts the users row only, not the rows the cascade removed. */
	if (db_changes(stmt) == 0) {
		st = ERR_SET(err, ST_NOT_FOUND, "no user %s", id);
		goto out;
	}
	st = ST_OK;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_user_list(struct store *s, const char *after_username, size_t limit, struct arena *arena,
                struct store_user **out, size_t *count_out, bool *more_out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	void *rows = NULL;
	enum status st;

	if (limit < 1 || limit > STORE_USER_LIST_MAX)
		return ERR_SET(err, ST_INVALID, "page size %zu is not in 1..%d", limit,
		               STORE_USER_LIST_MAX);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_USER_LIST, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_text_or_null(stmt, 1, after_username) != DB_OK ||
	    db_bind_int64(stmt, 2, (int64_t)limit) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = store_rows_collect(c, stmt, limit, sizeof **out, user_from_row, arena, &rows,
	                        count_out, more_out, err);
	if (st == ST_OK)
		*out = rows;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_user_count(struct store *s, int64_t *count_out, struct err *err)
{
	return store_count(s, STMT_USER_COUNT, count_out, err);
}
