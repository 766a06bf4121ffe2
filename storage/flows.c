/*
 * storage/flows.c — headless mode (Hydra's login, consent and logout
 * challenges): the flow_requests table, the external subjects' user rows
 * and the consent deletion of the sessions admin API.
 *
 * API (store.h): store_flow_insert, store_flow_get, store_flow_decide,
 * store_flow_consume, store_user_ensure, store_consent_delete_user
 * (store_consent_list is grants.c's, beside the other consent reads).
 *
 * Invariants:
 * - Challenges and verifiers are stored as keyed hashes only (STYLE B5).
 * - Status only moves forward: pending -> accepted | rejected (decide) ->
 *   used (consume), each one UPDATE conditioned on the status it leaves, so
 *   a request is answered once and its verifier honoured once.
 * - A verifier is honoured only for the browser whose binding hash the
 *   request recorded (the CSRF cookie that was set when the challenge was
 *   made), and only before expires_at; sweep.c deletes expired rows.
 */
#include <assert.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"

static const char *const kind_names[] = {
        [STORE_FLOW_LOGIN] = "login",
        [STORE_FLOW_CONSENT] = "consent",
        [STORE_FLOW_LOGOUT] = "logout",
};

static const char *const status_names[] = {
        [STORE_FLOW_PENDING] = "pending",
        [STORE_FLOW_ACCEPTED] = "accepted",
        [STORE_FLOW_REJECTED] = "rejected",
        [STORE_FLOW_USED] = "used",
};

static int
name_index(const char *const *names, size_t n, const char *text, int fallback)
{
	for (size_t i = 0; i < n; i++)
		if (text != NULL && strcmp(text, names[i]) == 0)
			return (int)i;
	return fallback;
}

/* Copies the current row (STORE_FLOW_COLUMNS) into *out, in the arena. */
static enum status
flow_from_row(struct db_stmt *stmt, struct arena *arena, struct store_flow *out, struct err *err)
{
	const unsigned char *challenge = NULL, *verifier = NULL, *binding = NULL;
	enum status st;

	st = store_column_hash_dup(stmt, 0, arena, &challenge, err);
	if (st == ST_OK && !db_column_is_null(stmt, 2))
		st = store_column_hash_dup(stmt, 2, arena, &verifier, err);
	if (st == ST_OK)
		st = store_column_hash_dup(stmt, 3, arena, &binding, err);
	if (st != ST_OK)
		return st;
	out->challenge_hash = challenge;
	out->kind = (enum store_flow_kind)name_index(kind_names, 3, db_column_text(stmt, 1),
	                                             STORE_FLOW_LOGOUT);
	out->verifier_hash = verifier;
	out->binding_hash = binding;
	out->status = (enum store_flow_status)name_index(status_names, 4, db_column_text(stmt, 4),
	                                                 STORE_FLOW_USED);
	out->request = store_column_text_dup(stmt, 5, arena);
	out->result = store_column_text_dup(stmt, 6, arena);
	out->created_at = db_column_int64(stmt, 7);
	out->expires_at = db_column_int64(stmt, 8);
	return ST_OK;
}

enum status
store_flow_insert(struct store *s, const struct store_flow *f, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	assert(f->challenge_hash != NULL && f->binding_hash != NULL && f->request != NULL);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_FLOW_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, f->challenge_hash) != DB_OK ||
	    db_bind_text(stmt, 2, kind_names[f->kind]) != DB_OK ||
	    store_bind_hash(stmt, 3, f->binding_hash) != DB_OK ||
	    db_bind_text(stmt, 4, f->request) != DB_OK ||
	    db_bind_int64(stmt, 5, f->created_at) != DB_OK ||
	    db_bind_int64(stmt, 6, f->expires_at) != DB_OK) {
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
store_flow_get(struct store *s, const unsigned char *challenge_hash, enum store_flow_kind kind,
               struct arena *arena, struct store_flow *out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_FLOW_GET, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, challenge_hash) != DB_OK ||
	    db_bind_text(stmt, 2, kind_names[kind]) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = db_step(stmt);
	if (rc == DB_ROW)
		st = flow_from_row(stmt, arena, out, err);
	else if (rc == DB_DONE)
		st = ERR_SET(err, ST_NOT_FOUND, "no such %s request", kind_names[kind]);
	else
		st = STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_flow_decide(struct store *s, const unsigned char *challenge_hash, enum store_flow_kind kind,
                  int64_t now, enum store_flow_status status, const char *result,
                  const unsigned char *verifier_hash, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	assert(status == STORE_FLOW_ACCEPTED || status == STORE_FLOW_REJECTED);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_FLOW_DECIDE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, challenge_hash) != DB_OK ||
	    db_bind_int64(stmt, 2, now) != DB_OK ||
	    db_bind_text(stmt, 3, status_names[status]) != DB_OK ||
	    store_bind_text_or_null(stmt, 4, result) != DB_OK ||
	    store_bind_hash(stmt, 5, verifier_hash) != DB_OK ||
	    db_bind_text(stmt, 6, kind_names[kind]) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_changes(stmt) == 1
	             ? ST_OK
	             : ERR_SET(err, ST_NOT_FOUND, "the request was answered already or expired");
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_flow_consume(struct store *s, const unsigned char *verifier_hash, enum store_flow_kind kind,
                   const unsigned char *binding_hash, int64_t now, struct arena *arena,
                   struct store_flow *out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_FLOW_CONSUME, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, verifier_hash) != DB_OK ||
	    db_bind_text(stmt, 2, kind_names[kind]) != DB_OK ||
	    store_bind_hash(stmt, 3, binding_hash) != DB_OK ||
	    db_bind_int64(stmt, 4, now) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		st = flow_from_row(stmt, arena, out, err);
		if (st == ST_OK && db_step(stmt) != DB_DONE)
			st = STORE_FAIL(c, err);
	} else if (rc == DB_DONE) {
		st = ERR_SET(err, ST_NOT_FOUND, "no such answered %s request", kind_names[kind]);
	} else {
		st = STORE_FAIL(c, err);
	}
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_user_ensure(struct store *s, const char *id, const char *username, int64_t now,
                  struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_USER_ENSURE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, id) != DB_OK || db_bind_text(stmt, 2, username) != DB_OK ||
	    db_bind_int64(stmt, 3, now) != DB_OK) {
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
store_consent_delete_user(struct store *s, const char *user_id, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_CONSENT_DELETE_USER, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, user_id) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_step(stmt) == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}
