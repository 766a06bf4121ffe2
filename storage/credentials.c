/*
 * storage/credentials.c — verifiable credentials (issue 7): the c_nonce
 * values handed out with access tokens (table vc_nonces) and the audit
 * record of every credential issued (table issued_credentials).
 *
 * API (store.h): store_vc_nonce_insert, store_vc_nonce_consume,
 * store_credential_insert, store_credential_list.
 *
 * Invariants:
 * - Only the hash of a nonce is stored, together with the hash of the
 *   access token it was handed to: a nonce proves nothing for any other
 *   token (Hydra binds it the same way, but lets it be reused until it
 *   expires: its issue 3517).
 * - Consumption is one DELETE ... RETURNING that checks the token and the
 *   expiry in its WHERE clause, so of concurrent presentations of one
 *   nonce exactly one succeeds; a failed check takes nothing.
 * - Expired nonces are deleted by sweep.c; audit records are kept.
 */
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"

#define STORE_CREDENTIAL_LIST_MAX 1000

enum status
store_vc_nonce_insert(struct store *s, const unsigned char *nonce_hash,
                      const unsigned char *token_hash, int64_t expires_at, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_VC_NONCE_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, nonce_hash) != DB_OK ||
	    store_bind_hash(stmt, 2, token_hash) != DB_OK ||
	    db_bind_int64(stmt, 3, expires_at) != DB_OK) {
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
store_vc_nonce_consume(struct store *s, const unsigned char *nonce_hash,
                       const unsigned char *token_hash, int64_t now, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_VC_NONCE_CONSUME, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, nonce_hash) != DB_OK ||
	    store_bind_hash(stmt, 2, token_hash) != DB_OK || db_bind_int64(stmt, 3, now) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	switch (db_step(stmt)) {
	case DB_ROW:
		/* Step to the end: the DELETE is complete only then. */
		st = db_step(stmt) == DB_DONE ? ST_OK : STORE_FAIL(c, err);
		break;
	case DB_DONE:
		/* Unknown, another token's, expired and used look the same, on purpose. */
		st = ERR_SET(err, ST_NOT_FOUND, "no such nonce");
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
store_credential_insert(struct store *s, const struct store_credential *cred, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_CREDENTIAL_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, cred->jti) != DB_OK ||
	    db_bind_text(stmt, 2, cred->subject) != DB_OK ||
	    db_bind_text(stmt, 3, cred->user_id) != DB_OK ||
	    db_bind_text(stmt, 4, cred->client_id) != DB_OK ||
	    db_bind_text(stmt, 5, cred->key_thumbprint) != DB_OK ||
	    db_bind_int64(stmt, 6, cred->iat) != DB_OK ||
	    db_bind_int64(stmt, 7, cred->exp) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_step(stmt) == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/* Columns jti, subject, user_id, client_id, key_thumbprint, iat, exp. */
static enum status
credential_from_row(struct db_stmt *stmt, struct arena *arena, void *row, struct err *err)
{
	struct store_credential *out = row;

	(void)err;
	out->jti = store_column_text_dup(stmt, 0, arena);
	out->subject = store_column_text_dup(stmt, 1, arena);
	out->user_id = store_column_text_dup(stmt, 2, arena);
	out->client_id = store_column_text_dup(stmt, 3, arena);
	out->key_thumbprint = store_column_text_dup(stmt, 4, arena);
	out->iat = db_column_int64(stmt, 5);
	out->exp = db_column_int64(stmt, 6);
	return ST_OK;
}

enum status
store_credential_list(struct store *s, const char *subject, size_t limit, struct arena *arena,
                      struct store_credential **out, size_t *count_out, bool *more_out,
                      struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	void *rows = NULL;
	enum status st;

	if (limit < 1 || limit > STORE_CREDENTIAL_LIST_MAX)
		return ERR_SET(err, ST_INVALID, "page size %zu is not in 1..%d", limit,
		               STORE_CREDENTIAL_LIST_MAX);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_CREDENTIAL_LIST, &stmt, err);
	if (st != ST_OK)
		goto out;
	/* One more than asked for: its presence sets *more_out. */
	if (db_bind_text(stmt, 1, subject) != DB_OK ||
	    db_bind_int64(stmt, 2, (int64_t)limit + 1) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = store_rows_collect(c, stmt, limit, sizeof **out, credential_from_row, arena, &rows,
	                        count_out, more_out, err);
	if (st == ST_OK)
		*out = rows;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}
