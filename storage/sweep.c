/*
 * storage/sweep.c — housekeeping: deletes rows that expired, in small
 * batches, so tables of short-lived things stay small (unbounded token
 * tables are a top complaint about Hydra).
 *
 * API (store.h): store_sweep.
 *
 * Invariants:
 * - A row is deleted only once expires_at <= now, the moment it stopped
 *   counting for every lookup (active means expires_at > now). Consents
 *   without expiry are never swept; ended sessions and revoked tokens wait
 *   for their expiry like the others.
 * - Each table's DELETE takes at most batch_limit rows through its
 *   expires_at index (DELETE ... WHERE rowid IN (SELECT ... LIMIT ?)), and
 *   one call is one short transaction: the write lock is never held long,
 *   and the caller loops until a call deletes nothing.
 *
 * To sweep a new table: give it an indexed expires_at, add its
 * STMT_SWEEP_* (store_internal.h, store.c) and list it in sweep_stmts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"

/* The tables store_sweep cleans, one batch each per call. */
static const enum store_stmt sweep_stmts[] = {
        STMT_SWEEP_SESSIONS,   STMT_SWEEP_AUTH_CODES,
        STMT_SWEEP_USED_CODES, STMT_SWEEP_TOKENS,
        STMT_SWEEP_CONSENTS,   STMT_SWEEP_LOGIN_ATTEMPTS,
        STMT_SWEEP_USED_JTIS,  STMT_SWEEP_DEVICE_CODES,
        STMT_SWEEP_VC_NONCES,  STMT_SWEEP_LOGOUT_DELIVERIES,
        STMT_SWEEP_FLOWS,
};

/* Runs one table's batch; *deleted_out gets how many rows it removed. */
static enum status
sweep_table(struct conn *c, enum store_stmt id, int64_t now, int64_t batch_limit,
            int64_t *deleted_out, struct err *err)
{
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_stmt(c, id, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_int64(stmt, 1, now) != DB_OK || db_bind_int64(stmt, 2, batch_limit) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	*deleted_out = db_changes(stmt);
	st = ST_OK;
out:
	store_stmt_done(stmt);
	return st;
}

enum status
store_sweep(struct store *s, int64_t now, int64_t batch_limit, int64_t *deleted_out,
            struct err *err)
{
	struct conn *c = NULL;
	int64_t total = 0, n;
	bool in_tx = false;
	enum status st;
	size_t i;

	if (batch_limit < 1)
		return ERR_SET(err, ST_INVALID, "sweep batch limit %lld is not positive",
		               (long long)batch_limit);
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	/* One transaction (a savepoint inside the writer's batch): one fsync per call. */
	st = store_tx_begin(c, err);
	if (st != ST_OK)
		goto out;
	in_tx = true;
	for (i = 0; i < sizeof sweep_stmts / sizeof sweep_stmts[0]; i++) {
		n = 0;
		st = sweep_table(c, sweep_stmts[i], now, batch_limit, &n, err);
		if (st != ST_OK)
			goto out;
		total += n;
	}
	st = store_tx_commit(c, err);
	if (st != ST_OK)
		goto out;
	in_tx = false;
	*deleted_out = total;
out:
	/* Not after a commit: nested, a rollback would undo the enclosing level. */
	if (in_tx)
		store_tx_rollback(c);
	store_conn_release(s, c);
	return st;
}
