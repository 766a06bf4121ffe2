/*
 * storage/throttle.c — the login_attempts table: failed logins counted per
 * key ("user:<name>", "ip:<addr>"), so the login handler can refuse
 * password guessing with one generic answer ("5 failures a minute, then a
 * growing delay").
 *
 * API (store.h): store_throttle_fail, store_throttle_get,
 * store_throttle_clear, store_throttle_lock_secs.
 *
 * Invariants:
 * - A row says: failures since window_start, the key locked until
 *   locked_until, and the row meaningless from expires_at =
 *   max(window_start, locked_until) + window_secs on. Once now reaches
 *   expires_at the key reads as clean, the next failure starts a new
 *   window, and sweep.c may delete the row.
 * - A failure is read, counted and written in one transaction, so
 *   concurrent failures of one key are all counted.
 * - The policy comes with each call (from config); what a row means does
 *   not depend on it afterwards, as expires_at is stored.
 *
 * To change the growth of the lock: store_throttle_lock_secs below.
 */
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"

/* Bounds every policy duration, so that now + any of them cannot overflow. */
#define STORE_THROTTLE_SECS_MAX ((int64_t)366 * 24 * 3600)

/* A row of login_attempts. */
struct throttle_row {
	struct store_throttle state;
	int64_t expires_at;
};

static bool
policy_is_valid(const struct store_throttle_policy *p)
{
	return p->window_secs >= 1 && p->window_secs <= STORE_THROTTLE_SECS_MAX &&
	       p->free_failures >= 0 && p->base_lock_secs >= 1 &&
	       p->max_lock_secs >= p->base_lock_secs && p->max_lock_secs <= STORE_THROTTLE_SECS_MAX;
}

int64_t
store_throttle_lock_secs(const struct store_throttle_policy *policy, int64_t failures)
{
	int64_t over = failures - policy->free_failures;
	int64_t lock = policy->base_lock_secs;

	if (failures <= policy->free_failures)
		return 0;
	/* base * 2^(over - 1), capped; at most 63 doublings before the cap. */
	while (--over > 0 && lock < policy->max_lock_secs)
		lock = lock > policy->max_lock_secs / 2 ? policy->max_lock_secs : 2 * lock;
	return lock < policy->max_lock_secs ? lock : policy->max_lock_secs;
}

/* The row after one more failure at now: a new window when old is NULL or stale. */
static struct throttle_row
throttle_next(const struct throttle_row *old, int64_t now, const struct store_throttle_policy *p)
{
	struct throttle_row next = {0};
	int64_t lock, from;

	if (old != NULL && now < old->expires_at) {
		next.state = old->state;
		next.state.failures++;
	} else {
		next.state.failures = 1;
		next.state.window_start = now;
	}
	lock = store_throttle_lock_secs(p, next.state.failures);
	if (lock > 0 && now + lock > next.state.locked_until)
		next.state.locked_until = now + lock;
	from = next.state.locked_until > next.state.window_start ? next.state.locked_until
	                                                         : next.state.window_start;
	next.expires_at = from + p->window_secs;
	return next;
}

/* Reads key's row; *found_out tells whether there is one. */
static enum status
throttle_read(struct conn *c, const char *key, struct throttle_row *row_out, bool *found_out,
              struct err *err)
{
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_stmt(c, STMT_THROTTLE_GET, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, key) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	switch (db_step(stmt)) {
	case DB_ROW:
		row_out->state.failures = db_column_int64(stmt, 0);
		row_out->state.window_start = db_column_int64(stmt, 1);
		row_out->state.locked_until = db_column_int64(stmt, 2);
		row_out->expires_at = db_column_int64(stmt, 3);
		*found_out = true;
		st = ST_OK;
		break;
	case DB_DONE:
		*found_out = false;
		st = ST_OK;
		break;
	default:
		st = STORE_FAIL(c, err);
		break;
	}
out:
	store_stmt_done(stmt);
	return st;
}

static enum status
throttle_write(struct conn *c, const char *key, const struct throttle_row *row, struct err *err)
{
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_stmt(c, STMT_THROTTLE_PUT, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, key) != DB_OK ||
	    db_bind_int64(stmt, 2, row->state.failures) != DB_OK ||
	    db_bind_int64(stmt, 3, row->state.window_start) != DB_OK ||
	    db_bind_int64(stmt, 4, row->state.locked_until) != DB_OK ||
	    db_bind_int64(stmt, 5, row->expires_at) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_step(stmt) == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	return st;
}

enum status
store_throttle_fail(struct store *s, const char *key, int64_t now,
                    const struct store_throttle_policy *policy, struct store_throttle *out,
                    struct err *err)
{
	struct throttle_row old, next;
	struct conn *c = NULL;
	bool found = false, in_tx = false;
	enum status st;

	if (!policy_is_valid(policy))
		return ERR_SET(err, ST_INVALID, "throttle policy out of bounds");
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_tx_begin(c, err);
	if (st != ST_OK)
		goto out;
	in_tx = true;
	st = throttle_read(c, key, &old, &found, err);
	if (st != ST_OK)
		goto out;
	next = throttle_next(found ? &old : NULL, now, policy);
	st = throttle_write(c, key, &next, err);
	if (st != ST_OK)
		goto out;
	st = store_tx_commit(c, err);
	if (st != ST_OK)
		goto out;
	in_tx = false;
	if (out != NULL)
		*out = next.state;
out:
	/* Not after a commit: nested, a rollback would undo the enclosing level. */
	if (in_tx)
		store_tx_rollback(c);
	store_conn_release(s, c);
	return st;
}

enum status
store_throttle_get(struct store *s, const char *key, int64_t now, struct store_throttle *out,
                   struct err *err)
{
	struct throttle_row row;
	struct conn *c = NULL;
	bool found = false;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = throttle_read(c, key, &row, &found, err);
	store_conn_release(s, c);
	if (st != ST_OK)
		return st;
	if (found && now < row.expires_at)
		*out = row.state;
	else
		*out = (struct store_throttle){0};
	return ST_OK;
}

enum status
store_throttle_clear(struct store *s, const char *key, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_THROTTLE_CLEAR, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, key) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = db_step(stmt) == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}
