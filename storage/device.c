/*
 * storage/device.c — the device_codes table: device authorization grants
 * (RFC 8628) from the device's request to the tokens.
 *
 * API (store.h): store_device_insert, store_device_get,
 * store_device_get_by_user_code, store_device_decide, store_device_poll,
 * store_device_consume.
 *
 * Invariants:
 * - Both codes are stored as keyed hashes only (STYLE B5): the user code is
 *   short (RFC 8628 §6.1), so a leaked table must not let anyone try them
 *   offline.
 * - Status only moves forward: pending -> approved | denied (by
 *   store_device_decide), approved -> consumed (by store_device_consume).
 *   Each move is one UPDATE conditioned on the status it leaves, so of
 *   concurrent deciders or pollers exactly one changes the row.
 * - Rows stay until they expire (sweep.c), so a consumed device code
 *   presented again is recognised as a replay, not as garbage.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"

static const char *const status_names[] = {
        [STORE_DEVICE_PENDING] = "pending",
        [STORE_DEVICE_APPROVED] = "approved",
        [STORE_DEVICE_DENIED] = "denied",
        [STORE_DEVICE_CONSUMED] = "consumed",
};

static enum store_device_status
status_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
		if (name != NULL && strcmp(name, status_names[i]) == 0)
			return (enum store_device_status)i;
	return STORE_DEVICE_CONSUMED; /* unreachable (CHECK constraint): fail closed */
}

/* Copies the current row (STORE_DEVICE_COLUMNS) into *out, in the arena. */
static enum status
device_from_row(struct db_stmt *stmt, struct arena *arena, struct store_device *out,
                struct err *err)
{
	const unsigned char *device_hash = NULL, *user_hash = NULL;
	enum status st;

	st = store_column_hash_dup(stmt, 0, arena, &device_hash, err);
	if (st == ST_OK)
		st = store_column_hash_dup(stmt, 1, arena, &user_hash, err);
	if (st != ST_OK)
		return st;
	out->device_code_hash = device_hash;
	out->user_code_hash = user_hash;
	out->client_id = store_column_text_dup(stmt, 2, arena);
	out->scope = store_column_text_dup(stmt, 3, arena);
	out->grant_id = store_column_text_dup(stmt, 4, arena);
	out->status = status_from_name(db_column_text(stmt, 5));
	out->interval_secs = db_column_int64(stmt, 6);
	out->last_poll_ms = db_column_int64(stmt, 7);
	out->user_id = store_column_text_dup(stmt, 8, arena);
	out->sid = store_column_text_dup(stmt, 9, arena);
	out->auth_time = db_column_int64(stmt, 10);
	out->acr = store_column_text_dup(stmt, 11, arena);
	out->amr = store_column_text_dup(stmt, 12, arena);
	out->created_at = db_column_int64(stmt, 13);
	out->expires_at = db_column_int64(stmt, 14);
	return ST_OK;
}

enum status
store_device_insert(struct store *s, const struct store_device *d, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	assert(d->device_code_hash != NULL && d->user_code_hash != NULL && d->client_id != NULL &&
	       d->scope != NULL && d->grant_id != NULL);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_DEVICE_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, d->device_code_hash) != DB_OK ||
	    store_bind_hash(stmt, 2, d->user_code_hash) != DB_OK ||
	    db_bind_text(stmt, 3, d->client_id) != DB_OK ||
	    db_bind_text(stmt, 4, d->scope) != DB_OK ||
	    db_bind_text(stmt, 5, d->grant_id) != DB_OK ||
	    db_bind_text(stmt, 6, status_names[STORE_DEVICE_PENDING]) != DB_OK ||
	    db_bind_int64(stmt, 7, d->interval_secs) != DB_OK ||
	    db_bind_int64(stmt, 8, d->last_poll_ms) != DB_OK || db_bind_null(stmt, 9) != DB_OK ||
	    db_bind_null(stmt, 10) != DB_OK || db_bind_null(stmt, 11) != DB_OK ||
	    db_bind_null(stmt, 12) != DB_OK || db_bind_null(stmt, 13) != DB_OK ||
	    db_bind_int64(stmt, 14, d->created_at) != DB_OK ||
	    db_bind_int64(stmt, 15, d->expires_at) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_step(stmt) == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/* One row by one hash (stmt_id: STMT_DEVICE_GET or STMT_DEVICE_GET_BY_USER_CODE). */
static enum status
device_get(struct store *s, enum store_stmt stmt_id, const unsigned char *hash, struct arena *arena,
           struct store_device *out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, stmt_id, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, hash) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = db_step(stmt);
	if (rc == DB_ROW)
		st = device_from_row(stmt, arena, out, err);
	else if (rc == DB_DONE)
		st = ERR_SET(err, ST_NOT_FOUND, "no such device authorization");
	else
		st = STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_device_get(struct store *s, const unsigned char *device_code_hash, struct arena *arena,
                 struct store_device *out, struct err *err)
{
	return device_get(s, STMT_DEVICE_GET, device_code_hash, arena, out, err);
}

enum status
store_device_get_by_user_code(struct store *s, const unsigned char *user_code_hash,
                              struct arena *arena, struct store_device *out, struct err *err)
{
	return device_get(s, STMT_DEVICE_GET_BY_USER_CODE, user_code_hash, arena, out, err);
}

enum status
store_device_decide(struct store *s, const unsigned char *user_code_hash, int64_t now,
                    const struct store_device *d, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	assert(d->status == STORE_DEVICE_APPROVED || d->status == STORE_DEVICE_DENIED);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_DEVICE_DECIDE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, user_code_hash) != DB_OK ||
	    db_bind_int64(stmt, 2, now) != DB_OK ||
	    db_bind_text(stmt, 3, status_names[d->status]) != DB_OK ||
	    store_bind_text_or_null(stmt, 4, d->user_id) != DB_OK ||
	    store_bind_text_or_null(stmt, 5, d->sid) != DB_OK ||
	    store_bind_time_or_null(stmt, 6, d->auth_time) != DB_OK ||
	    store_bind_text_or_null(stmt, 7, d->acr) != DB_OK ||
	    store_bind_text_or_null(stmt, 8, d->amr) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_changes(stmt) == 1
	             ? ST_OK
	             : ERR_SET(err, ST_NOT_FOUND, "the device authorization is not pending");
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_device_poll(struct store *s, const unsigned char *device_code_hash, int64_t now_ms,
                  int64_t interval_secs, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_DEVICE_POLL, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, device_code_hash) != DB_OK ||
	    db_bind_int64(stmt, 2, now_ms) != DB_OK ||
	    db_bind_int64(stmt, 3, interval_secs) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_step(stmt) == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_device_consume(struct store *s, const unsigned char *device_code_hash, const char *client_id,
                     int64_t now, struct arena *arena, struct store_device *out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_DEVICE_CONSUME, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, device_code_hash) != DB_OK ||
	    db_bind_text(stmt, 2, client_id) != DB_OK || db_bind_int64(stmt, 3, now) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = db_step(stmt);
	if (rc == DB_ROW)
		st = device_from_row(stmt, arena, out, err);
	else if (rc == DB_DONE)
		st = ERR_SET(err, ST_NOT_FOUND, "no approved device authorization");
	else
		st = STORE_FAIL(c, err);
	/* RETURNING: the UPDATE completes when the statement is stepped to its end. */
	if (st == ST_OK && db_step(stmt) != DB_DONE)
		st = STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}
