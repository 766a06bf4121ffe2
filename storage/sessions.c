/*
 * storage/sessions.c — the sessions table: login sessions, found by the
 * hash of the browser's cookie value (never the value itself) or by their
 * public sid.
 *
 * API (store.h): store_session_insert, store_session_get_active,
 * store_session_get_by_sid, store_session_end, store_session_end_user.
 *
 * Invariants:
 * - A session is active while ended_at IS NULL and expires_at > now; "now"
 *   is always the caller's (SQL never reads the clock).
 * - Ending is one UPDATE ... RETURNING per call, so two concurrent logouts
 *   end a session once: the second finds nothing active.
 * - Ended sessions stay until they expire (their sid may still be named by
 *   a logout request); sweep.c deletes them then.
 *
 * To add a column: a new migration, STORE_SESSION_COLUMNS in store.c, then
 * session_from_row and store_session_insert below.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/arena.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "storage/store.h"
#include "storage/store_internal.h"

/* Copies the current row (STORE_SESSION_COLUMNS) into *out, in the arena. */
static enum status
session_from_row(struct db_stmt *stmt, struct arena *arena, struct store_session *out,
                 struct err *err)
{
	const unsigned char *id_hash = NULL;
	enum status st;

	st = store_column_hash_dup(stmt, 0, arena, &id_hash, err);
	if (st != ST_OK)
		return st;
	out->id_hash = id_hash;
	out->sid = store_column_text_dup(stmt, 1, arena);
	out->user_id = store_column_text_dup(stmt, 2, arena);
	out->auth_time = db_column_int64(stmt, 3);
	out->amr = store_column_text_dup(stmt, 4, arena);
	out->acr = store_column_text_dup(stmt, 5, arena);
	out->created_at = db_column_int64(stmt, 6);
	out->expires_at = db_column_int64(stmt, 7);
	out->ended_at = db_column_int64(stmt, 8); /* NULL reads as 0 */
	return ST_OK;
}

enum status
store_session_insert(struct store *s, const struct store_session *sess, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	assert(sess->id_hash != NULL && sess->sid != NULL && sess->user_id != NULL &&
	       sess->amr != NULL && sess->acr != NULL);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_SESSION_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (store_bind_hash(stmt, 1, sess->id_hash) != DB_OK ||
	    db_bind_text(stmt, 2, sess->sid) != DB_OK ||
	    db_bind_text(stmt, 3, sess->user_id) != DB_OK ||
	    db_bind_int64(stmt, 4, sess->auth_time) != DB_OK ||
	    db_bind_text(stmt, 5, sess->amr) != DB_OK ||
	    db_bind_text(stmt, 6, sess->acr) != DB_OK ||
	    db_bind_int64(stmt, 7, sess->created_at) != DB_OK ||
	    db_bind_int64(stmt, 8, sess->expires_at) != DB_OK ||
	    store_bind_time_or_null(stmt, 9, sess->ended_at) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = db_step(stmt);
	if (rc == DB_CONFLICT) {
		/* Not the hash: it stands for a cookie. */
		st = ERR_SET(err, ST_CONFLICT, "session %s (or its cookie hash) already exists",
		             sess->sid);
		goto out;
	}
	st = rc == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/*
 * Steps a bound statement that yields at most one session row (a SELECT by
 * key, or an UPDATE ... RETURNING) to its end. out may be NULL. what names
 * the session in the ST_NOT_FOUND message.
 */
static enum status
session_step_one(struct conn *c, struct db_stmt *stmt, struct arena *arena,
                 struct store_session *out, const char *what, struct err *err)
{
	struct store_session row;
	enum status st;

	switch (db_step(stmt)) {
	case DB_ROW:
		st = out != NULL ? session_from_row(stmt, arena, &row, err) : ST_OK;
		if (st == ST_OK && out != NULL)
			*out = row;
		/* An UPDATE ... RETURNING completes on the next step (one row at most). */
		if (st == ST_OK && db_step(stmt) != DB_DONE)
			st = STORE_FAIL(c, err);
		return st;
	case DB_DONE:
		return ERR_SET(err, ST_NOT_FOUND, "no %s", what);
	default:
		return STORE_FAIL(c, err);
	}
}

/* Binds the hash and now as ?1 and ?2 of statement id and runs it for one session. */
static enum status
session_by_hash(struct store *s, enum store_stmt id, const unsigned char *id_hash, int64_t now,
                struct arena *arena, struct store_session *out, struct err *err)
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
	if (store_bind_hash(stmt, 1, id_hash) != DB_OK || db_bind_int64(stmt, 2, now) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = session_step_one(c, stmt, arena, out, "active session with that cookie", err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_session_get_active(struct store *s, const unsigned char *id_hash, int64_t now,
                         struct arena *arena, struct store_session *out, struct err *err)
{
	return session_by_hash(s, STMT_SESSION_GET_ACTIVE, id_hash, now, arena, out, err);
}

enum status
store_session_end(struct store *s, const unsigned char *id_hash, int64_t now, struct arena *arena,
                  struct store_session *out, struct err *err)
{
	return session_by_hash(s, STMT_SESSION_END, id_hash, now, arena, out, err);
}

enum status
store_session_get_by_sid(struct store *s, const char *sid, struct arena *arena,
                         struct store_session *out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_SESSION_GET_BY_SID, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, sid) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = session_step_one(c, stmt, arena, out, "session with that sid", err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_session_end_user(struct store *s, const char *user_id, int64_t now, struct arena *arena,
                       const char ***sids_out, size_t *count_out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	const char **sids = NULL; /* grows on the heap, copied to the arena once */
	size_t n = 0, cap = 0;
	enum status st;
	enum db_rc rc;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_SESSION_END_USER, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, user_id) != DB_OK || db_bind_int64(stmt, 2, now) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	/* Stepping to DB_DONE is what completes the UPDATE. */
	while ((rc = db_step(stmt)) == DB_ROW) {
		if (sids_out != NULL && n == cap) {
			cap = cap == 0 ? 4 : 2 * cap;
			sids = xrealloc(sids, cap * sizeof *sids);
		}
		if (sids_out != NULL)
			sids[n] = store_column_text_dup(stmt, 0, arena);
		n++;
	}
	if (rc != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (sids_out != NULL)
		*sids_out = n > 0 ? arena_memdup(arena, sids, n * sizeof *sids) : NULL;
	if (count_out != NULL)
		*count_out = n;
	st = ST_OK;
out:
	free(sids);
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/* store_read_row_fn for store_rows_collect. */
static enum status
session_row(struct db_stmt *stmt, struct arena *arena, void *row, struct err *err)
{
	return session_from_row(stmt, arena, row, err);
}

enum status
store_session_list_user(struct store *s, const char *user_id, int64_t now, struct arena *arena,
                        struct store_session **out, size_t *count_out, struct err *err)
{
	void *rows = NULL;
	enum status st =
	        store_rows_by_text_time(s, STMT_SESSION_LIST_USER, user_id, now, sizeof **out,
	                                session_row, arena, &rows, count_out, err);

	*out = rows;
	return st;
}
