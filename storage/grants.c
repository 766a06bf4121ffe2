/*
 * storage/grants.c — what a user's authorization produces: consents
 * (table consents), authorization codes (auth_codes, and used_codes for
 * replay detection) and access and refresh tokens (tokens).
 *
 * API (store.h): store_consent_upsert, store_consent_get,
 * store_consent_delete; store_code_insert, store_code_consume,
 * store_code_used_grant; store_token_insert, store_token_get_active,
 * store_token_revoke, store_token_revoke_grant, store_token_revoke_sid.
 *
 * Invariants:
 * - Codes and tokens are stored as hashes only (STYLE B5); no error
 *   message carries a hash.
 * - A code is consumed by one DELETE ... RETURNING (RFC 6749 §4.1.2: single
 *   use), in one transaction with its used_codes row: of concurrent
 *   consumers exactly one sees the row, and whoever finds the code gone
 *   finds it in used_codes.
 * - Expiry and revocation are compared with the caller's now; rows stay
 *   until sweep.c deletes them once expired.
 * - Rows referencing a client or a user go with it (ON DELETE CASCADE).
 *
 * To add a column: a new migration, the STORE_*_COLUMNS list in store.c,
 * then the matching *_from_row and insert below.
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"

/* ---- consents ---- */

/* Copies the current row (STORE_CONSENT_COLUMNS) into *out, strings in the arena. */
static void
consent_from_row(struct db_stmt *stmt, struct arena *arena, struct store_consent *out)
{
	out->user_id = store_column_text_dup(stmt, 0, arena);
	out->client_id = store_column_text_dup(stmt, 1, arena);
	out->scopes = store_column_text_dup(stmt, 2, arena);
	out->granted_at = db_column_int64(stmt, 3);
	out->expires_at = db_column_int64(stmt, 4); /* NULL (never) reads as 0 */
	out->request = store_column_text_dup(stmt, 5, arena);
	out->result = store_column_text_dup(stmt, 6, arena);
}

/* store_read_row_fn for store_rows_collect. */
static enum status
consent_row(struct db_stmt *stmt, struct arena *arena, void *row, struct err *err)
{
	(void)err;
	consent_from_row(stmt, arena, row);
	return ST_OK;
}

enum status
store_consent_list(struct store *s, const char *user_id, int64_t now, struct arena *arena,
                   struct store_consent **out, size_t *count_out, struct err *err)
{
	void *rows = NULL;
	enum status st = store_rows_by_text_time(s, STMT_CONSENT_LIST, user_id, now, sizeof **out,
	                                         consent_row, arena, &rows, count_out, err);

	*out = rows;
	return st;
}

enum status
store_consent_upsert(struct store *s, const struct store_consent *consent, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	assert(consent->user_id != NULL && consent->client_id != NULL && consent->scopes != NULL);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_CONSENT_UPSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, consent->user_id) != DB_OK ||
	    db_bind_text(stmt, 2, consent->client_id) != DB_OK ||
	    db_bind_text(stmt, 3, consent->scopes) != DB_OK ||
	    db_bind_int64(stmt, 4, consent->granted_at) != DB_OK ||
	    store_bind_time_or_null(stmt, 5, consent->expires_at) != DB_OK ||
	    store_bind_text_or_null(stmt, 6, consent->request) != DB_OK ||
	    store_bind_text_or_null(stmt, 7, consent->result) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	/* An unknown user or client fails the foreign key: ST_INVALID. */
	st = db_step(stmt) == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_consent_get(struct store *s, const char *user_id, const char *client_id, int64_t now,
                  struct arena *arena, struct store_consent *out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_CONSENT_GET, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, user_id) != DB_OK || db_bind_text(stmt, 2, client_id) != DB_OK ||
	    db_bind_int64(stmt, 3, now) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	switch (db_step(stmt)) {
	case DB_ROW:
		consent_from_row(stmt, arena, out);
		st = ST_OK;
		break;
	case DB_DONE:
		st = ERR_SET(err, ST_NOT_FOUND, "no consent of user %s for client %s", user_id,
		             client_id);
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
store_consent_delete(struct store *s, const char *user_id, const char *client_id, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_CONSENT_DELETE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, user_id) != DB_OK || db_bind_text(stmt, 2, client_id) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (db_changes(stmt) == 0) {
		st = ERR_SET(err, ST_NOT_FOUND, "no consent of user %s for client %s", user_id,
		             client_id);
		goto out;
	}
	st = ST_OK;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/* ---- authorization codes ---- */

/* Copies the current row (STORE_CODE_COLUMNS) into *out, in the arena. */
static enum status
code_from_row(struct db_stmt *stmt, struct arena *arena, struct store_code *out, struct err *err)
{
	const unsigned char *hash = NULL;
	enum status st;

	st = store_column_hash_dup(stmt, 0, arena, &hash, err);
	if (st != ST_OK)
		return st;
	out->code_hash = hash;
	out->client_id = store_column_text_dup(stmt, 1, arena);
	out->user_id = store_column_text_dup(stmt, 2, arena);
	out->sid = store_column_text_dup(stmt, 3, arena);
	out->redirect_uri = store_column_text_dup(stmt, 4, arena);
	out->scope = store_column_text_dup(stmt, 5, arena);
	out->nonce = store_column_text_dup(stmt, 6, arena);
	out->code_challenge = store_column_text_dup(stmt, 7, arena);
	out->code_challenge_method = store_column_text_dup(stmt, 8, arena);
	out->auth_time = db_column_int64(stmt, 9);
	out->acr = store_column_text_dup(stmt, 10, arena);
	out->amr = store_column_text_dup(stmt, 11, arena);
	out->claims = store_column_text_dup(stmt, 12, arena);
	out->created_at = db_column_int64(stmt, 13);
	out->expires_at = db_column_int64(stmt, 14);
	out->session = store_column_text_dup(stmt, 15, arena);
	return ST_OK;
}

enum status
store_code_insert(struct store *s, const struct store_code *code, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	assert(code->code_hash != NULL && code->client_id != NULL && code->user_id != NULL &&
	       code->redirect_uri != NULL && code->scope != NULL);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_CODE_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, code->code_hash) != DB_OK ||
	    db_bind_text(stmt, 2, code->client_id) != DB_OK ||
	    db_bind_text(stmt, 3, code->user_id) != DB_OK ||
	    store_bind_text_or_null(stmt, 4, code->sid) != DB_OK ||
	    db_bind_text(stmt, 5, code->redirect_uri) != DB_OK ||
	    db_bind_text(stmt, 6, code->scope) != DB_OK ||
	    store_bind_text_or_null(stmt, 7, code->nonce) != DB_OK ||
	    store_bind_text_or_null(stmt, 8, code->code_challenge) != DB_OK ||
	    store_bind_text_or_null(stmt, 9, code->code_challenge_method) != DB_OK ||
	    store_bind_time_or_null(stmt, 10, code->auth_time) != DB_OK ||
	    store_bind_text_or_null(stmt, 11, code->acr) != DB_OK ||
	    store_bind_text_or_null(stmt, 12, code->amr) != DB_OK ||
	    store_bind_text_or_null(stmt, 13, code->claims) != DB_OK ||
	    db_bind_int64(stmt, 14, code->created_at) != DB_OK ||
	    db_bind_int64(stmt, 15, code->expires_at) != DB_OK ||
	    store_bind_text_or_null(stmt, 16, code->session) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = db_step(stmt);
	if (rc == DB_CONFLICT) {
		st = ERR_SET(err, ST_CONFLICT, "an authorization code with that hash exists");
		goto out;
	}
	st = rc == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/* The DELETE ... RETURNING of a code; *out is written only on ST_OK. */
static enum status
code_take(struct conn *c, const unsigned char *code_hash, int64_t now, struct arena *arena,
          struct store_code *out, struct err *err)
{
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_stmt(c, STMT_CODE_CONSUME, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, code_hash) != DB_OK || db_bind_int64(stmt, 2, now) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	switch (db_step(stmt)) {
	case DB_ROW:
		st = code_from_row(stmt, arena, out, err);
		if (st == ST_OK && db_step(stmt) != DB_DONE)
			st = STORE_FAIL(c, err);
		break;
	case DB_DONE:
		/* Unknown, expired and already used look the same, on purpose. */
		st = ERR_SET(err, ST_NOT_FOUND, "no such authorization code");
		break;
	default:
		st = STORE_FAIL(c, err);
		break;
	}
out:
	store_stmt_done(stmt);
	return st;
}

/* Remembers a consumed code's hash with its grant until expires_at. */
static enum status
code_mark_used(struct conn *c, const unsigned char *code_hash, const char *grant_id,
               int64_t expires_at, struct err *err)
{
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_stmt(c, STMT_CODE_MARK_USED, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, code_hash) != DB_OK ||
	    db_bind_text(stmt, 2, grant_id) != DB_OK ||
	    db_bind_int64(stmt, 3, expires_at) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_step(stmt) == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	return st;
}

enum status
store_code_consume(struct store *s, const unsigned char *code_hash, int64_t now,
                   const char *grant_id, int64_t used_expires_at, struct arena *arena,
                   struct store_code *out, struct err *err)
{
	struct store_code code;
	struct conn *c = NULL;
	bool in_tx = false;
	enum status st;

	assert(code_hash != NULL && grant_id != NULL);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	/* BEGIN IMMEDIATE (or a savepoint inside the writer's batch): the
	 * consumers of one code queue on the write lock, and the first one's
	 * DELETE and INSERT commit together before the next looks. */
	st = store_tx_begin(c, err);
	if (st != ST_OK)
		goto out;
	in_tx = true;
	st = code_take(c, code_hash, now, arena, &code, err);
	if (st != ST_OK)
		goto out;
	st = code_mark_used(c, code_hash, grant_id, used_expires_at, err);
	if (st != ST_OK)
		goto out;
	st = store_tx_commit(c, err);
	if (st != ST_OK)
		goto out;
	in_tx = false;
	*out = code;
out:
	/* Not after a commit: nested, a rollback would undo the enclosing level. */
	if (in_tx)
		store_tx_rollback(c);
	store_conn_release(s, c);
	return st;
}

enum status
store_code_used_grant(struct store *s, const unsigned char *code_hash, int64_t now,
                      struct arena *arena, const char **grant_id_out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_CODE_USED_GET, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, code_hash) != DB_OK || db_bind_int64(stmt, 2, now) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	switch (db_step(stmt)) {
	case DB_ROW:
		*grant_id_out = store_column_text_dup(stmt, 0, arena);
		st = ST_OK;
		break;
	case DB_DONE:
		st = ERR_SET(err, ST_NOT_FOUND, "no consumed authorization code with that hash");
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

/* ---- access and refresh tokens ---- */

static const char *
token_kind_str(enum store_token_kind kind)
{
	return kind == STORE_TOKEN_REFRESH ? "refresh" : "access";
}

/* Copies the current row (STORE_TOKEN_COLUMNS) into *out, in the arena. */
static enum status
token_from_row(struct db_stmt *stmt, struct arena *arena, struct store_token *out, struct err *err)
{
	const unsigned char *hash = NULL;
	const char *kind;
	enum status st;

	st = store_column_hash_dup(stmt, 0, arena, &hash, err);
	if (st != ST_OK)
		return st;
	/* The schema's CHECK allows these two only. */
	kind = db_column_text(stmt, 1);
	out->token_hash = hash;
	out->kind = kind != NULL && strcmp(kind, "refresh") == 0 ? STORE_TOKEN_REFRESH
	                                                         : STORE_TOKEN_ACCESS;
	out->grant_id = store_column_text_dup(stmt, 2, arena);
	out->client_id = store_column_text_dup(stmt, 3, arena);
	out->user_id = store_column_text_dup(stmt, 4, arena);
	out->sid = store_column_text_dup(stmt, 5, arena);
	out->scope = store_column_text_dup(stmt, 6, arena);
	out->auth_time = db_column_int64(stmt, 7);
	out->acr = store_column_text_dup(stmt, 8, arena);
	out->amr = store_column_text_dup(stmt, 9, arena);
	out->claims = store_column_text_dup(stmt, 10, arena);
	out->created_at = db_column_int64(stmt, 11);
	out->expires_at = db_column_int64(stmt, 12);
	out->revoked_at = db_column_int64(stmt, 13);
	out->session = store_column_text_dup(stmt, 14, arena);
	return ST_OK;
}

/* Inserts one token with the statement of c (the caller resets it). */
static enum status
token_insert_one(struct conn *c, struct db_stmt *stmt, const struct store_token *t, struct err *err)
{
	enum db_rc rc;

	assert(t->token_hash != NULL && t->grant_id != NULL && t->client_id != NULL &&
	       t->scope != NULL);
	if (store_bind_hash(stmt, 1, t->token_hash) != DB_OK ||
	    db_bind_text(stmt, 2, token_kind_str(t->kind)) != DB_OK ||
	    db_bind_text(stmt, 3, t->grant_id) != DB_OK ||
	    db_bind_text(stmt, 4, t->client_id) != DB_OK ||
	    store_bind_text_or_null(stmt, 5, t->user_id) != DB_OK ||
	    store_bind_text_or_null(stmt, 6, t->sid) != DB_OK ||
	    db_bind_text(stmt, 7, t->scope) != DB_OK ||
	    store_bind_time_or_null(stmt, 8, t->auth_time) != DB_OK ||
	    store_bind_text_or_null(stmt, 9, t->acr) != DB_OK ||
	    store_bind_text_or_null(stmt, 10, t->amr) != DB_OK ||
	    store_bind_text_or_null(stmt, 11, t->claims) != DB_OK ||
	    db_bind_int64(stmt, 12, t->created_at) != DB_OK ||
	    db_bind_int64(stmt, 13, t->expires_at) != DB_OK ||
	    store_bind_time_or_null(stmt, 14, t->revoked_at) != DB_OK ||
	    store_bind_text_or_null(stmt, 15, t->session) != DB_OK)
		return STORE_FAIL(c, err);
	rc = db_step(stmt);
	if (rc == DB_CONFLICT)
		return ERR_SET(err, ST_CONFLICT, "a %s token with that hash exists",
		               token_kind_str(t->kind));
	return rc == DB_DONE ? ST_OK : STORE_FAIL(c, err);
}

enum status
store_token_insert(struct store *s, const struct store_token *tokens, size_t n, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	bool in_tx = false;
	enum status st;
	size_t i;

	assert(n >= 1);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	/* One row is atomic by itself: no transaction (the hot path of
	 * client_credentials). More are all or none. */
	if (n > 1) {
		st = store_tx_begin(c, err);
		if (st != ST_OK)
			goto out;
		in_tx = true;
	}
	st = store_stmt(c, STMT_TOKEN_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	for (i = 0; i < n; i++) {
		st = token_insert_one(c, stmt, &tokens[i], err);
		store_stmt_done(stmt);
		if (st != ST_OK)
			goto out;
	}
	if (in_tx) {
		st = store_tx_commit(c, err);
		if (st != ST_OK)
			goto out;
		in_tx = false;
	}
out:
	/* Not after a commit: nested, a rollback would undo the enclosing level. */
	if (in_tx)
		store_tx_rollback(c);
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/* STMT_TOKEN_GET_WITH_OWNERS: where the user's and the client's columns go. */
struct token_owners {
	struct store_user *user;
	struct store_client *client;
};

/* Columns of STMT_TOKEN_GET_WITH_OWNERS after the token's. */
enum {
	OWNERS_USER = 15,
	OWNERS_CLIENT = 20
};

/* The owners' columns of the current row; LEFT JOINs: NULL ids for a missing one. */
static void
owners_from_row(struct db_stmt *stmt, struct arena *arena, const struct token_owners *o)
{
	memset(o->user, 0, sizeof *o->user);
	memset(o->client, 0, sizeof *o->client);
	if (!db_column_is_null(stmt, OWNERS_USER)) {
		o->user->id = store_column_text_dup(stmt, OWNERS_USER, arena);
		o->user->username = store_column_text_dup(stmt, OWNERS_USER + 1, arena);
		o->user->claims = store_column_text_dup(stmt, OWNERS_USER + 2, arena);
		o->user->created_at = db_column_int64(stmt, OWNERS_USER + 3);
		o->user->updated_at = db_column_int64(stmt, OWNERS_USER + 4);
	}
	if (!db_column_is_null(stmt, OWNERS_CLIENT)) {
		o->client->id = store_column_text_dup(stmt, OWNERS_CLIENT, arena);
		o->client->metadata = store_column_text_dup(stmt, OWNERS_CLIENT + 1, arena);
		o->client->created_at = db_column_int64(stmt, OWNERS_CLIENT + 2);
		o->client->updated_at = db_column_int64(stmt, OWNERS_CLIENT + 3);
	}
}

/*
 * One token row by hash through statement id (?2 = now when the statement
 * has it); owners (may be NULL) for STMT_TOKEN_GET_WITH_OWNERS.
 */
static enum status
token_fetch(struct store *s, enum store_stmt id, const unsigned char *token_hash, int64_t now,
            struct arena *arena, struct store_token *out, const struct token_owners *owners,
            struct err *err)
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
	if (store_bind_hash(stmt, 1, token_hash) != DB_OK ||
	    (id != STMT_TOKEN_GET && db_bind_int64(stmt, 2, now) != DB_OK)) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	switch (db_step(stmt)) {
	case DB_ROW:
		st = token_from_row(stmt, arena, out, err);
		if (st == ST_OK && owners != NULL)
			owners_from_row(stmt, arena, owners);
		break;
	case DB_DONE:
		/* Unknown, expired and revoked look the same (RFC 6750 §3.1 invalid_token). */
		st = ERR_SET(err, ST_NOT_FOUND, "no such token");
		break;
	default:
		st = STORE_FAIL(c, err);
		break;
	}
	/* RETURNING: step to the end so the UPDATE completes before the reset. */
	if (st == ST_OK && id == STMT_TOKEN_CONSUME_REFRESH && db_step(stmt) != DB_DONE)
		st = STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_token_get_active(struct store *s, const unsigned char *token_hash, int64_t now,
                       struct arena *arena, struct store_token *out, struct err *err)
{
	return token_fetch(s, STMT_TOKEN_GET_ACTIVE, token_hash, now, arena, out, NULL, err);
}

enum status
store_token_get_with_owners(struct store *s, const unsigned char *token_hash, int64_t now,
                            struct arena *arena, struct store_token *t, struct store_user *user,
                            struct store_client *client, struct err *err)
{
	struct token_owners owners = {user, client};

	return token_fetch(s, STMT_TOKEN_GET_WITH_OWNERS, token_hash, now, arena, t, &owners, err);
}

enum status
store_token_get(struct store *s, const unsigned char *token_hash, struct arena *arena,
                struct store_token *out, struct err *err)
{
	return token_fetch(s, STMT_TOKEN_GET, token_hash, 0, arena, out, NULL, err);
}

enum status
store_token_consume_refresh(struct store *s, const unsigned char *token_hash, int64_t now,
                            struct arena *arena, struct store_token *out, struct err *err)
{
	return token_fetch(s, STMT_TOKEN_CONSUME_REFRESH, token_hash, now, arena, out, NULL, err);
}

/*
 * Runs a revoking UPDATE (statement id) with ?1 = hash when it is non-NULL,
 * else text, and ?2 = now; *changes_out gets how many rows it revoked.
 */
static enum status
token_revoke_by(struct store *s, enum store_stmt id, const unsigned char *hash, const char *text,
                int64_t now, int64_t *changes_out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, id, &stmt, err);
	if (st != ST_OK)
		goto out;
	rc = hash != NULL ? store_bind_hash(stmt, 1, hash) : db_bind_text(stmt, 1, text);
	if (rc != DB_OK || db_bind_int64(stmt, 2, now) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	*changes_out = db_changes(stmt);
	st = ST_OK;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_token_revoke(struct store *s, const unsigned char *token_hash, int64_t now, struct err *err)
{
	int64_t n = 0;
	enum status st;

	assert(token_hash != NULL);
	st = token_revoke_by(s, STMT_TOKEN_REVOKE, token_hash, NULL, now, &n, err);
	if (st == ST_OK && n == 0)
		st = ERR_SET(err, ST_NOT_FOUND, "no unrevoked token with that hash");
	return st;
}

enum status
store_token_revoke_grant(struct store *s, const char *grant_id, int64_t now, int64_t *count_out,
                         struct err *err)
{
	int64_t n = 0;
	enum status st;

	assert(grant_id != NULL);
	st = token_revoke_by(s, STMT_TOKEN_REVOKE_GRANT, NULL, grant_id, now, &n, err);
	if (st == ST_OK && count_out != NULL)
		*count_out = n;
	return st;
}

enum status
store_token_revoke_sid(struct store *s, const char *sid, int64_t now, int64_t *count_out,
                       struct err *err)
{
	int64_t n = 0;
	enum status st;

	assert(sid != NULL);
	st = token_revoke_by(s, STMT_TOKEN_REVOKE_SID, NULL, sid, now, &n, err);
	if (st == ST_OK && count_out != NULL)
		*count_out = n;
	return st;
}

enum status
store_token_grant_has_refresh(struct store *s, const char *grant_id, int64_t now, bool *out,
                              struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	*out = false;
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_TOKEN_GRANT_HAS_REFRESH, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, grant_id) != DB_OK || db_bind_int64(stmt, 2, now) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	switch (db_step(stmt)) {
	case DB_ROW:
		*out = true;
		break;
	case DB_DONE:
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
