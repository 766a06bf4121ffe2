/*
 * storage/logout_outbox.c — the back-channel logout outbox: logout tokens
 * waiting to be POSTed to the clients of an ended login session (OIDC
 * Back-Channel Logout 1.0 §2.5), and the query that names those clients.
 *
 * API (store.h): store_logout_delivery_insert, _claim, _release, _next_due,
 * _done, _retry, _pending_sid, _list; store_session_client_ids.
 *
 * Invariants:
 * - A row is written in the same transaction that ends its session (the
 *   caller's store_write fn), so a logout is either not done at all or
 *   has every delivery recorded: a crash never loses one.
 * - A delivered row is deleted; a row that gave up keeps failed_at and its
 *   last error for operators until expires_at, when sweep.c deletes it.
 * - Time is the caller's; due times are in milliseconds (next_attempt_at_ms)
 *   so backoff steps of one second stay one second.
 * - A worker claims due rows (store_logout_delivery_claim): one UPDATE
 *   moves their due time to the end of a lease and returns them, so no
 *   other worker, thread or oidcd instance on the same database, takes them
 *   while the lease runs (PostgreSQL: FOR UPDATE SKIP LOCKED, so two
 *   claims never wait on or take each other's rows; SQLite serializes
 *   writes). Each token is then delivered once, unless its worker dies or
 *   overruns the lease: then it is due again when the lease ends.
 *
 * To add a column: a new migration, STORE_LOGOUT_COLUMNS in store.c, then
 * delivery_from_row and store_logout_delivery_insert below.
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "storage/store.h"
#include "storage/store_internal.h"

/* Copies the current row (STORE_LOGOUT_COLUMNS) into a struct store_logout_delivery. */
static enum status
delivery_from_row(struct db_stmt *stmt, struct arena *arena, void *row, struct err *err)
{
	struct store_logout_delivery *d = row;

	(void)err;
	d->id = store_column_text_dup(stmt, 0, arena);
	d->sid = store_column_text_dup(stmt, 1, arena);
	d->client_id = store_column_text_dup(stmt, 2, arena);
	d->uri = store_column_text_dup(stmt, 3, arena);
	d->logout_token = store_column_text_dup(stmt, 4, arena);
	d->created_at = db_column_int64(stmt, 5);
	d->attempts = db_column_int64(stmt, 6);
	d->next_attempt_at_ms = db_column_int64(stmt, 7);
	d->failed_at = db_column_int64(stmt, 8); /* NULL reads as 0 */
	d->last_error = store_column_text_dup(stmt, 9, arena);
	d->expires_at = db_column_int64(stmt, 10);
	return ST_OK;
}

enum status
store_logout_delivery_insert(struct store *s, const struct store_logout_delivery *d,
                             struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	assert(d->id != NULL && d->sid != NULL && d->client_id != NULL && d->uri != NULL &&
	       d->logout_token != NULL);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_LOGOUT_INSERT, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, d->id) != DB_OK || db_bind_text(stmt, 2, d->sid) != DB_OK ||
	    db_bind_text(stmt, 3, d->client_id) != DB_OK ||
	    db_bind_text(stmt, 4, d->uri) != DB_OK ||
	    db_bind_text(stmt, 5, d->logout_token) != DB_OK ||
	    db_bind_int64(stmt, 6, d->created_at) != DB_OK ||
	    db_bind_int64(stmt, 7, d->attempts) != DB_OK ||
	    db_bind_int64(stmt, 8, d->next_attempt_at_ms) != DB_OK ||
	    store_bind_time_or_null(stmt, 9, d->failed_at) != DB_OK ||
	    store_bind_text_or_null(stmt, 10, d->last_error) != DB_OK ||
	    db_bind_int64(stmt, 11, d->expires_at) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	rc = db_step(stmt);
	st = rc == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/* Runs statement id with ?1..?nargs = args (integers), collecting delivery rows. */
static enum status
list_rows(struct store *s, enum store_stmt id, const int64_t *args, int nargs, struct arena *arena,
          struct store_logout_delivery **out, size_t *count_out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	void *rows = NULL;
	size_t n = 0;
	enum status st;
	int i;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, id, &stmt, err);
	if (st != ST_OK)
		goto out;
	for (i = 0; i < nargs; i++) {
		if (db_bind_int64(stmt, i + 1, args[i]) != DB_OK) {
			st = STORE_FAIL(c, err);
			goto out;
		}
	}
	st = store_rows_collect(c, stmt, 0, sizeof(struct store_logout_delivery), delivery_from_row,
	                        arena, &rows, &n, NULL, err);
	if (st != ST_OK)
		goto out;
	*out = rows;
	*count_out = n;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

/* qsort: oldest first (created_at, then id). */
static int
delivery_cmp(const void *a, const void *b)
{
	const struct store_logout_delivery *x = a, *y = b;

	if (x->created_at != y->created_at)
		return x->created_at < y->created_at ? -1 : 1;
	return strcmp(x->id, y->id);
}

enum status
store_logout_delivery_claim(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                            struct arena *arena, struct store_logout_delivery **out,
                            size_t *count_out, struct err *err)
{
	int64_t args[3];
	enum status st;

	if (limit < 1 || limit > 1000)
		return ERR_SET(err, ST_INVALID, "limit %zu is not in 1..1000", limit);
	if (lease_ms < 1)
		return ERR_SET(err, ST_INVALID, "lease %lld ms is not positive",
		               (long long)lease_ms);
	args[0] = now_ms;
	args[1] = (int64_t)limit;
	args[2] = now_ms + lease_ms;
	*out = NULL;
	*count_out = 0;
	st = list_rows(s, STMT_LOGOUT_DUE, args, 3, arena, out, count_out, err);
	/* RETURNING gives the rows in no set order. */
	if (st == ST_OK && *count_out > 1)
		qsort(*out, *count_out, sizeof **out, delivery_cmp);
	return st;
}

enum status
store_logout_delivery_release(struct store *s, const char *id, int64_t at_ms, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_LOGOUT_RELEASE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, id) != DB_OK || db_bind_int64(stmt, 2, at_ms) != DB_OK ||
	    db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_changes(stmt) == 1
	             ? ST_OK
	             : ERR_SET(err, ST_NOT_FOUND, "no pending logout delivery with that id");
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_logout_delivery_list(struct store *s, size_t limit, struct arena *arena,
                           struct store_logout_delivery **out, size_t *count_out, struct err *err)
{
	if (limit < 1 || limit > 1000)
		return ERR_SET(err, ST_INVALID, "limit %zu is not in 1..1000", limit);
	int64_t arg = (int64_t)limit;

	return list_rows(s, STMT_LOGOUT_LIST, &arg, 1, arena, out, count_out, err);
}

enum status
store_logout_delivery_counts(struct store *s, int64_t *pending_out, int64_t *failed_out,
                             struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_LOGOUT_COUNTS, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_step(stmt) != DB_ROW) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	*pending_out = db_column_int64(stmt, 0);
	*failed_out = db_column_int64(stmt, 1);
	st = ST_OK;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_logout_delivery_next_due(struct store *s, int64_t *at_ms_out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_LOGOUT_NEXT_DUE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_step(stmt) != DB_ROW) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	/* min() over no rows is NULL. */
	if (db_column_is_null(stmt, 0)) {
		st = ERR_SET(err, ST_NOT_FOUND, "no pending logout delivery");
		goto out;
	}
	*at_ms_out = db_column_int64(stmt, 0);
	st = ST_OK;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_logout_delivery_done(struct store *s, const char *id, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_LOGOUT_DONE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, id) != DB_OK || db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_changes(stmt) == 1 ? ST_OK : ERR_SET(err, ST_NOT_FOUND, "no such logout delivery");
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_logout_delivery_retry(struct store *s, const char *id, int64_t now,
                            int64_t next_attempt_at_ms, const char *error, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_LOGOUT_RETRY, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, id) != DB_OK || db_bind_int64(stmt, 2, now) != DB_OK ||
	    store_bind_text_or_null(stmt, 3, error) != DB_OK ||
	    db_bind_int64(stmt, 4, next_attempt_at_ms) != DB_OK || db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_changes(stmt) == 1
	             ? ST_OK
	             : ERR_SET(err, ST_NOT_FOUND, "no pending logout delivery with that id");
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_logout_delivery_pending_sid(struct store *s, const char *sid, int64_t *count_out,
                                  struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_LOGOUT_PENDING_SID, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, sid) != DB_OK || db_step(stmt) != DB_ROW) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	*count_out = db_column_int64(stmt, 0);
	st = ST_OK;
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_session_client_ids(struct store *s, const char *sid, struct arena *arena,
                         const char ***ids_out, size_t *count_out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	const char **ids = NULL; /* grows on the heap, copied to the arena once */
	size_t n = 0, cap = 0;
	enum status st;
	enum db_rc rc;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_SESSION_CLIENT_IDS, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, sid) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	while ((rc = db_step(stmt)) == DB_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 8 : 2 * cap;
			ids = xrealloc(ids, cap * sizeof *ids);
		}
		ids[n++] = store_column_text_dup(stmt, 0, arena);
	}
	if (rc != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	*ids_out = n > 0 ? arena_memdup(arena, ids, n * sizeof *ids) : NULL;
	*count_out = n;
	st = ST_OK;
out:
	free(ids);
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}
