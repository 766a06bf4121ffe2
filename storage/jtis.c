/*
 * storage/jtis.c — the used_jtis table: the ids of client assertions
 * (private_key_jwt, RFC 7523 §2.2) already presented, so that each one is
 * accepted once (RFC 7523 §3 item 7).
 *
 * API (store.h): store_jti_use.
 *
 * Invariants:
 * - A row (client_id, jti) lives until expires_at, the moment its assertion
 *   stops being acceptable; from then on the same jti may be recorded again
 *   (the old row is taken over) and sweep.c may delete the row.
 * - Use is one INSERT ... ON CONFLICT DO UPDATE ... WHERE expired: no read
 *   before the write, so of concurrent uses exactly one changes a row.
 */
#include <stdint.h>

#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"

enum status
store_jti_use(struct store *s, const char *client_id, const char *jti, int64_t expires_at,
              int64_t now, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, STMT_JTI_USE, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, client_id) != DB_OK || db_bind_text(stmt, 2, jti) != DB_OK ||
	    db_bind_int64(stmt, 3, expires_at) != DB_OK || db_bind_int64(stmt, 4, now) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	if (db_step(stmt) != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	/* The DO UPDATE's WHERE kept a live row: the jti was used already. */
	st = db_changes(stmt) == 1 ? ST_OK : ERR_SET(err, ST_CONFLICT, "assertion id used already");
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}
