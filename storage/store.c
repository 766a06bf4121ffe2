/*
 * storage/store.c — opening and closing the SQLite store, the per-thread
 * connections, the statement table, transactions and error mapping.
 * Statements run through storage/db.h; what is SQLite-only here (opening,
 * the file checks, pragmas, WAL, the flock) stays SQLite-only.
 *
 * API (store.h): store_open, store_close, store_path, store_ping; for the
 * other storage files (store_internal.h): store_conn_acquire/release,
 * store_stmt, store_stmt_done, store_stmt_run, store_tx_*, store_fail and
 * the store_bind_* / store_column_* row helpers.
 * The group-commit writer is in writer.c; its fields of struct store are
 * set up and torn down here.
 *
 * Invariants:
 * - A file is checked before SQLite may write to it: a non-empty file must
 *   start with the SQLite magic and answer PRAGMA schema_version, and its
 *   user_version must not be newer than store_schema_latest(). Anything
 *   else is refused with the file left byte-for-byte as it was (no -wal,
 *   -shm or -gen either, as WAL mode and the clients generation are only
 *   switched on after the checks).
 * - Each thread has its own connection to a file database, opened lazily and
 *   closed by the pthread key destructor when the thread exits, or by
 *   store_close() for threads still alive. Both take the connection out of
 *   store.conns under store.lock first, so exactly one of them closes it.
 * - ":memory:" is one shared connection guarded by store.memory_lock, as
 *   every other connection would open a separate, empty database.
 * - Statements are prepared on first use per connection (a table may not
 *   exist before store_migrate) and kept; SQLite re-prepares them itself
 *   when a migration changes the schema.
 * - store_tx_* nest through savepoints: only the outermost level issues
 *   BEGIN IMMEDIATE / COMMIT / ROLLBACK (sqlite.org/lang_savepoint.html).
 *
 * To add a statement: see store_internal.h.
 */
#include "storage/store.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "storage/db.h"
#include "storage/store_internal.h"

#ifdef OIDCD_HAVE_PG
#include "storage/pg.h"
#include "storage/pg_schema.h"
#endif

#define STORE_BUSY_TIMEOUT_MS_DEFAULT 5000

/*
 * Column lists shared by a table's statements, in the order its *_from_row
 * reads them (users.c, sessions.c, grants.c).
 */
#define STORE_USER_COLUMNS "id, username, password_hash, claims, created_at, updated_at"
#define STORE_SESSION_COLUMNS                                                                      \
	"id_hash, sid, user_id, auth_time, amr, acr, created_at, expires_at, ended_at"
#define STORE_CONSENT_COLUMNS "user_id, client_id, scopes, granted_at, expires_at, request, result"
#define STORE_CODE_COLUMNS                                                                         \
	"code_hash, client_id, user_id, sid, redirect_uri, scope, nonce, code_challenge,"          \
	" code_challenge_method, auth_time, acr, amr, claims, created_at, expires_at, session"
#define STORE_TOKEN_COLUMNS                                                                        \
	"token_hash, kind, grant_id, client_id, user_id, sid, scope, auth_time, acr, amr, claims," \
	" created_at, expires_at, revoked_at, session"
#define STORE_FLOW_COLUMNS                                                                         \
	"challenge_hash, kind, verifier_hash, binding_hash, status, request, result, created_at,"  \
	" expires_at"
#define STORE_DEVICE_COLUMNS                                                                       \
	"device_code_hash, user_code_hash, client_id, scope, grant_id, status, interval_secs,"     \
	" last_poll_ms, user_id, sid, auth_time, acr, amr, created_at, expires_at"

#define STORE_LOGOUT_COLUMNS                                                                       \
	"id, sid, client_id, uri, logout_token, created_at, attempts, next_attempt_at_ms,"         \
	" failed_at, last_error, expires_at"

/*
 * Indexed by enum store_stmt; every id has its SQL (checked in store_stmt).
 * The common dialect: numbered parameters ?1..?N, RETURNING, ON CONFLICT,
 * FILTER. Text only SQLite understands (PRAGMA, rowid, BEGIN IMMEDIATE) is
 * overridden for other backends through store_stmt_sql.
 */
static const char *const stmt_sql[STMT_COUNT] = {
        /* store.c, migrate.c */
        [STMT_PING] = "SELECT count(*) FROM sqlite_schema",
        [STMT_USER_VERSION] = "PRAGMA user_version",
        [STMT_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
        [STMT_BEGIN_DEFERRED] = "BEGIN",
        [STMT_COMMIT] = "COMMIT",
        [STMT_ROLLBACK] = "ROLLBACK",
        /* writer.c: one savepoint per write of a batch */
        [STMT_WRITE_SAVEPOINT] = "SAVEPOINT store_write",
        [STMT_WRITE_RELEASE] = "RELEASE store_write",
        [STMT_WRITE_ROLLBACK_TO] = "ROLLBACK TO store_write",
        /* keys.c */
        [STMT_KEY_INSERT] =
                "INSERT INTO keys (kid, alg, created_at, usable_from, sealed, public_jwk)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        [STMT_KEY_LIST] = "SELECT kid, alg, created_at, usable_from, sealed, public_jwk FROM keys"
                          " ORDER BY usable_from, created_at, kid",
        [STMT_KEY_DELETE] = "DELETE FROM keys WHERE kid = ?1",
        [STMT_KEY_RESEAL] = "UPDATE keys SET sealed = ?2 WHERE kid = ?1",
        [STMT_KEY_GENERATION] = "SELECT value FROM meta WHERE name = 'keys_generation'",
        /* clients.c */
        [STMT_CLIENT_INSERT] =
                "INSERT INTO clients (id, secret_hash, reg_token_hash, metadata, created_at,"
                " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        [STMT_CLIENT_GET] = "SELECT id, secret_hash, reg_token_hash, metadata, created_at,"
                            " updated_at FROM clients WHERE id = ?1",
        /* ?4/?6: new hash or NULL (keep); ?5/?7: clear flags; ?8: expected
         * registration token hash or NULL (no condition). The SET and WHERE
         * expressions all see the row as it was before this statement. */
        [STMT_CLIENT_UPDATE] =
                "UPDATE clients SET metadata = ?2, updated_at = ?3,"
                " secret_hash = CASE WHEN ?5 THEN NULL ELSE coalesce(?4, secret_hash) END,"
                " reg_token_hash = CASE WHEN ?7 THEN NULL ELSE coalesce(?6, reg_token_hash) END"
                " WHERE id = ?1 AND (?8 IS NULL OR reg_token_hash = ?8)",
        [STMT_CLIENT_DELETE] =
                "DELETE FROM clients WHERE id = ?1 AND (?2 IS NULL OR reg_token_hash = ?2)",
        /* Keyset pagination: one row more than asked tells whether more follow. */
        [STMT_CLIENT_LIST] = "SELECT id, secret_hash, reg_token_hash, metadata, created_at,"
                             " updated_at FROM clients WHERE (?1 IS NULL OR id > ?1)"
                             " ORDER BY id LIMIT ?2 + 1",
        [STMT_CLIENT_COUNT] = "SELECT count(*) FROM clients",
        /* users.c; username compares with its column's COLLATE NOCASE */
        [STMT_USER_INSERT] = "INSERT INTO users (" STORE_USER_COLUMNS ")"
                             " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        [STMT_USER_GET] = "SELECT " STORE_USER_COLUMNS " FROM users WHERE id = ?1",
        [STMT_USER_GET_BY_USERNAME] =
                "SELECT " STORE_USER_COLUMNS " FROM users WHERE username = ?1",
        /* NULL keeps a value. */
        [STMT_USER_UPDATE] = "UPDATE users SET username = coalesce(?2, username),"
                             " password_hash = coalesce(?3, password_hash),"
                             " claims = coalesce(?4, claims), updated_at = ?5 WHERE id = ?1",
        [STMT_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
        /* Keyset pagination as for clients. */
        [STMT_USER_LIST] = "SELECT " STORE_USER_COLUMNS " FROM users"
                           " WHERE (?1 IS NULL OR username > ?1) ORDER BY username LIMIT ?2 + 1",
        [STMT_USER_COUNT] = "SELECT count(*) FROM users",
        /* sessions.c; active: ended_at IS NULL AND expires_at > now */
        [STMT_SESSION_INSERT] = "INSERT INTO sessions (" STORE_SESSION_COLUMNS ")"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        [STMT_SESSION_GET_ACTIVE] = "SELECT " STORE_SESSION_COLUMNS " FROM sessions"
                                    " WHERE id_hash = ?1 AND ended_at IS NULL AND expires_at > ?2",
        [STMT_SESSION_GET_BY_SID] = "SELECT " STORE_SESSION_COLUMNS " FROM sessions WHERE sid = ?1",
        [STMT_SESSION_LIST_USER] =
                "SELECT " STORE_SESSION_COLUMNS " FROM sessions WHERE user_id = ?1"
                " AND ended_at IS NULL AND expires_at > ?2 LIMIT 1000",
        [STMT_SESSION_END] = "UPDATE sessions SET ended_at = ?2"
                             " WHERE id_hash = ?1 AND ended_at IS NULL AND expires_at > ?2"
                             " RETURNING " STORE_SESSION_COLUMNS,
        [STMT_SESSION_END_USER] = "UPDATE sessions SET ended_at = ?2"
                                  " WHERE user_id = ?1 AND ended_at IS NULL AND expires_at > ?2"
                                  " RETURNING sid",
        /* grants.c: consents */
        [STMT_CONSENT_UPSERT] =
                "INSERT INTO consents (" STORE_CONSENT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5,"
                " ?6, ?7)"
                " ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes,"
                " granted_at = excluded.granted_at, expires_at = excluded.expires_at,"
                " request = excluded.request, result = excluded.result",
        [STMT_CONSENT_GET] = "SELECT " STORE_CONSENT_COLUMNS " FROM consents"
                             " WHERE user_id = ?1 AND client_id = ?2"
                             " AND (expires_at IS NULL OR expires_at > ?3)",
        [STMT_CONSENT_DELETE] = "DELETE FROM consents WHERE user_id = ?1 AND client_id = ?2",
        /* grants.c: codes. Consumed by one statement (RFC 6749 §4.1.2). */
        [STMT_CODE_INSERT] = "INSERT INTO auth_codes (" STORE_CODE_COLUMNS ") VALUES (?1, ?2, ?3,"
                             " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        [STMT_CODE_CONSUME] = "DELETE FROM auth_codes WHERE code_hash = ?1 AND expires_at > ?2"
                              " RETURNING " STORE_CODE_COLUMNS,
        /* A hash seen again (only when a code was re-inserted) takes the new grant. */
        [STMT_CODE_MARK_USED] =
                "INSERT INTO used_codes (code_hash, grant_id, expires_at) VALUES (?1, ?2, ?3)"
                " ON CONFLICT (code_hash) DO UPDATE SET grant_id = excluded.grant_id,"
                " expires_at = excluded.expires_at",
        [STMT_CODE_USED_GET] =
                "SELECT grant_id FROM used_codes WHERE code_hash = ?1 AND expires_at > ?2",
        /* grants.c: tokens; active: revoked_at IS NULL AND expires_at > now */
        [STMT_TOKEN_INSERT] = "INSERT INTO tokens (" STORE_TOKEN_COLUMNS ") VALUES (?1, ?2, ?3,"
                              " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        [STMT_TOKEN_GET_ACTIVE] = "SELECT " STORE_TOKEN_COLUMNS " FROM tokens WHERE token_hash = ?1"
                                  " AND revoked_at IS NULL AND expires_at > ?2",
        /* The token's columns first, in STORE_TOKEN_COLUMNS' order (token_from_row). */
        [STMT_TOKEN_GET_WITH_OWNERS] =
                "SELECT t.token_hash, t.kind, t.grant_id, t.client_id, t.user_id, t.sid, t.scope,"
                " t.auth_time, t.acr, t.amr, t.claims, t.created_at, t.expires_at, t.revoked_at,"
                " t.session, u.id, u.username, u.claims, u.created_at, u.updated_at, c.id,"
                " c.metadata, c.created_at, c.updated_at"
                " FROM tokens t LEFT JOIN users u ON u.id = t.user_id"
                " LEFT JOIN clients c ON c.id = t.client_id"
                " WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?2",
        [STMT_TOKEN_GET] = "SELECT " STORE_TOKEN_COLUMNS " FROM tokens WHERE token_hash = ?1",
        [STMT_TOKEN_CONSUME_REFRESH] =
                "UPDATE tokens SET revoked_at = ?2 WHERE token_hash = ?1 AND kind = 'refresh'"
                " AND revoked_at IS NULL AND expires_at > ?2 RETURNING " STORE_TOKEN_COLUMNS,
        [STMT_TOKEN_REVOKE] =
                "UPDATE tokens SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
        [STMT_TOKEN_REVOKE_GRANT] =
                "UPDATE tokens SET revoked_at = ?2 WHERE grant_id = ?1 AND revoked_at IS NULL",
        [STMT_TOKEN_GRANT_HAS_REFRESH] =
                "SELECT 1 FROM tokens WHERE grant_id = ?1 AND kind = 'refresh'"
                " AND revoked_at IS NULL AND expires_at > ?2 LIMIT 1",
        [STMT_TOKEN_REVOKE_SID] =
                "UPDATE tokens SET revoked_at = ?2 WHERE sid = ?1 AND revoked_at IS NULL",
        /* throttle.c */
        [STMT_THROTTLE_GET] = "SELECT failures, window_start, locked_until, expires_at"
                              " FROM login_attempts WHERE key = ?1",
        [STMT_THROTTLE_PUT] =
                "INSERT INTO login_attempts (key, failures, window_start, locked_until,"
                " expires_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET"
                " failures = excluded.failures, window_start = excluded.window_start,"
                " locked_until = excluded.locked_until, expires_at = excluded.expires_at",
        [STMT_THROTTLE_CLEAR] = "DELETE FROM login_attempts WHERE key = ?1",
        /* jtis.c: an expired row may be taken again (its assertion is dead). */
        [STMT_JTI_USE] = "INSERT INTO used_jtis (client_id, jti, expires_at) VALUES (?1, ?2, ?3)"
                         " ON CONFLICT (client_id, jti) DO UPDATE SET"
                         " expires_at = excluded.expires_at WHERE used_jtis.expires_at <= ?4",
        /* device.c: RFC 8628 grants; each state change is one conditional UPDATE. */
        [STMT_DEVICE_INSERT] = "INSERT INTO device_codes (" STORE_DEVICE_COLUMNS ") VALUES (?1,"
                               " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        [STMT_DEVICE_GET] = "SELECT " STORE_DEVICE_COLUMNS " FROM device_codes"
                            " WHERE device_code_hash = ?1",
        [STMT_DEVICE_GET_BY_USER_CODE] = "SELECT " STORE_DEVICE_COLUMNS " FROM device_codes"
                                         " WHERE user_code_hash = ?1",
        [STMT_DEVICE_DECIDE] =
                "UPDATE device_codes SET status = ?3, user_id = ?4, sid = ?5, auth_time = ?6,"
                " acr = ?7, amr = ?8 WHERE user_code_hash = ?1 AND status = 'pending'"
                " AND expires_at > ?2",
        [STMT_DEVICE_POLL] = "UPDATE device_codes SET last_poll_ms = ?2, interval_secs = ?3"
                             " WHERE device_code_hash = ?1 AND status = 'pending'",
        [STMT_DEVICE_CONSUME] = "UPDATE device_codes SET status = 'consumed'"
                                " WHERE device_code_hash = ?1 AND client_id = ?2"
                                " AND status = 'approved' AND expires_at > ?3"
                                " RETURNING " STORE_DEVICE_COLUMNS,
        /* credentials.c: a nonce is taken by the one statement that checks it. */
        [STMT_VC_NONCE_INSERT] = "INSERT INTO vc_nonces (nonce_hash, token_hash, expires_at)"
                                 " VALUES (?1, ?2, ?3)",
        [STMT_VC_NONCE_CONSUME] = "DELETE FROM vc_nonces WHERE nonce_hash = ?1 AND token_hash = ?2"
                                  " AND expires_at > ?3 RETURNING expires_at",
        [STMT_CREDENTIAL_INSERT] = "INSERT INTO issued_credentials (jti, subject, user_id,"
                                   " client_id, key_thumbprint, iat, exp)"
                                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        [STMT_CREDENTIAL_LIST] = "SELECT jti, subject, user_id, client_id, key_thumbprint, iat, exp"
                                 " FROM issued_credentials WHERE subject = ?1"
                                 " UNION SELECT jti, subject, user_id, client_id, key_thumbprint,"
                                 " iat, exp FROM issued_credentials WHERE user_id = ?1"
                                 " ORDER BY iat DESC, jti LIMIT ?2",
        /* logout_outbox.c; pending: failed_at IS NULL */
        [STMT_LOGOUT_INSERT] = "INSERT INTO logout_deliveries (" STORE_LOGOUT_COLUMNS ")"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        /* A claim: the due rows' due time moves to the lease's end (?3) in
         * the statement that picks them, so no other worker takes them. */
        [STMT_LOGOUT_DUE] = "UPDATE logout_deliveries SET next_attempt_at_ms = ?3"
                            " WHERE id IN (SELECT id FROM logout_deliveries"
                            " WHERE failed_at IS NULL AND next_attempt_at_ms <= ?1"
                            " ORDER BY next_attempt_at_ms, id LIMIT ?2)"
                            " RETURNING " STORE_LOGOUT_COLUMNS,
        [STMT_LOGOUT_RELEASE] = "UPDATE logout_deliveries SET next_attempt_at_ms = ?2"
                                " WHERE id = ?1 AND failed_at IS NULL",
        [STMT_LOGOUT_NEXT_DUE] = "SELECT min(next_attempt_at_ms) FROM logout_deliveries"
                                 " WHERE failed_at IS NULL",
        [STMT_LOGOUT_COUNTS] = "SELECT count(*) FILTER (WHERE failed_at IS NULL),"
                               " count(*) FILTER (WHERE failed_at IS NOT NULL)"
                               " FROM logout_deliveries",
        [STMT_LOGOUT_DONE] = "DELETE FROM logout_deliveries WHERE id = ?1",
        [STMT_LOGOUT_RETRY] =
                "UPDATE logout_deliveries SET attempts = attempts + 1, last_error = ?3,"
                " next_attempt_at_ms = CASE WHEN ?4 > 0 THEN ?4 ELSE next_attempt_at_ms END,"
                " failed_at = CASE WHEN ?4 > 0 THEN NULL ELSE ?2 END"
                " WHERE id = ?1 AND failed_at IS NULL",
        [STMT_LOGOUT_PENDING_SID] = "SELECT count(*) FROM logout_deliveries"
                                    " WHERE sid = ?1 AND failed_at IS NULL",
        [STMT_LOGOUT_LIST] = "SELECT " STORE_LOGOUT_COLUMNS " FROM logout_deliveries"
                             " ORDER BY created_at, id LIMIT ?1",
        /* The clients a login session issued codes or tokens to (Logout: its RPs). */
        [STMT_SESSION_CLIENT_IDS] = "SELECT client_id FROM tokens WHERE sid = ?1"
                                    " UNION SELECT client_id FROM auth_codes WHERE sid = ?1"
                                    " ORDER BY 1",
        /* sweep.c: ?1 = now, ?2 = batch limit; each walks its expires_at index. */
        [STMT_SWEEP_SESSIONS] = "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions"
                                " WHERE expires_at <= ?1 LIMIT ?2)",
        [STMT_SWEEP_AUTH_CODES] = "DELETE FROM auth_codes WHERE rowid IN (SELECT rowid FROM"
                                  " auth_codes WHERE expires_at <= ?1 LIMIT ?2)",
        [STMT_SWEEP_USED_CODES] = "DELETE FROM used_codes WHERE rowid IN (SELECT rowid FROM"
                                  " used_codes WHERE expires_at <= ?1 LIMIT ?2)",
        [STMT_SWEEP_TOKENS] = "DELETE FROM tokens WHERE rowid IN (SELECT rowid FROM tokens"
                              " WHERE expires_at <= ?1 LIMIT ?2)",
        [STMT_SWEEP_CONSENTS] = "DELETE FROM consents WHERE rowid IN (SELECT rowid FROM consents"
                                " WHERE expires_at <= ?1 LIMIT ?2)",
        [STMT_SWEEP_LOGIN_ATTEMPTS] = "DELETE FROM login_attempts WHERE rowid IN (SELECT rowid"
                                      " FROM login_attempts WHERE expires_at <= ?1 LIMIT ?2)",
        [STMT_SWEEP_USED_JTIS] = "DELETE FROM used_jtis WHERE rowid IN (SELECT rowid FROM"
                                 " used_jtis WHERE expires_at <= ?1 LIMIT ?2)",
        /* flows.c: each state change is one conditional UPDATE. */
        [STMT_FLOW_INSERT] = "INSERT INTO flow_requests (" STORE_FLOW_COLUMNS ")"
                             " VALUES (?1, ?2, NULL, ?3, 'pending', ?4, NULL, ?5, ?6)",
        [STMT_FLOW_GET] = "SELECT " STORE_FLOW_COLUMNS " FROM flow_requests"
                          " WHERE challenge_hash = ?1 AND kind = ?2",
        [STMT_FLOW_DECIDE] = "UPDATE flow_requests SET status = ?3, result = ?4, verifier_hash = ?5"
                             " WHERE challenge_hash = ?1 AND kind = ?6 AND status = 'pending'"
                             " AND expires_at > ?2",
        [STMT_FLOW_CONSUME] = "UPDATE flow_requests SET status = 'used'"
                              " WHERE verifier_hash = ?1 AND kind = ?2 AND binding_hash = ?3"
                              " AND status IN ('accepted', 'rejected') AND expires_at > ?4"
                              " RETURNING " STORE_FLOW_COLUMNS,
        [STMT_USER_ENSURE] = "INSERT INTO users (id, username, password_hash, claims, created_at,"
                             " updated_at) VALUES (?1, ?2, '!', '{}', ?3, ?3)"
                             " ON CONFLICT DO NOTHING",
        [STMT_CONSENT_LIST] = "SELECT " STORE_CONSENT_COLUMNS " FROM consents WHERE user_id = ?1"
                              " AND (expires_at IS NULL OR expires_at > ?2) ORDER BY granted_at",
        [STMT_CONSENT_DELETE_USER] = "DELETE FROM consents WHERE user_id = ?1",
        [STMT_SWEEP_FLOWS] = "DELETE FROM flow_requests WHERE rowid IN (SELECT rowid FROM"
                             " flow_requests WHERE expires_at <= ?1 LIMIT ?2)",
        /* sessions.c: extend_session_lifespan moves an active session's expiry. */
        [STMT_SESSION_EXTEND] = "UPDATE sessions SET expires_at = ?3"
                                " WHERE id_hash = ?1 AND ended_at IS NULL AND expires_at > ?2",
        /* flows.c: force_subject_identifier, one per (client, user); the last one wins. */
        [STMT_FORCED_SUBJECT_PUT] =
                "INSERT INTO forced_subjects (client_id, user_id, subject, created_at)"
                " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (client_id, user_id)"
                " DO UPDATE SET subject = excluded.subject, created_at = excluded.created_at",
        [STMT_FORCED_SUBJECT_GET] =
                "SELECT subject FROM forced_subjects WHERE client_id = ?1 AND user_id = ?2",
        [STMT_SWEEP_DEVICE_CODES] = "DELETE FROM device_codes WHERE rowid IN (SELECT rowid FROM"
                                    " device_codes WHERE expires_at <= ?1 LIMIT ?2)",
        [STMT_SWEEP_VC_NONCES] = "DELETE FROM vc_nonces WHERE rowid IN (SELECT rowid FROM"
                                 " vc_nonces WHERE expires_at <= ?1 LIMIT ?2)",
        [STMT_SWEEP_LOGOUT_DELIVERIES] = "DELETE FROM logout_deliveries WHERE rowid IN (SELECT"
                                         " rowid FROM logout_deliveries WHERE expires_at <= ?1"
                                         " LIMIT ?2)",
};

const char *
store_stmt_sql(enum db_backend backend, enum store_stmt id)
{
	assert(id < STMT_COUNT);
	switch (backend) {
	case DB_SQLITE:
		return stmt_sql[id];
	case DB_PG:
#ifdef OIDCD_HAVE_PG
	{
		/* PostgreSQL's own text for the ids whose common text does not
		 * run there (pg_schema.c). */
		const char *sql = pg_stmt_sql_override(id);

		return sql != NULL ? sql : stmt_sql[id];
	}
#endif
	break;
	}
	abort();
}

/* Failures of the database itself (store_fail's ST_IO), for metrics. */
static _Atomic unsigned long long io_errors;

static enum status
sqlite_status(int code)
{
	switch (code) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return ST_CONFLICT;
	case SQLITE_NOTADB:
		return ST_INVALID;
	default:
		return (code & 0xff) == SQLITE_CONSTRAINT ? ST_INVALID : ST_IO;
	}
}

#ifdef OIDCD_HAVE_PG
/*
 * SQLSTATE class 23 is integrity_constraint_violation (23505
 * unique_violation); class 22, data_exception, is a value the server
 * refuses (text that is not UTF-8, a number out of range): invalid input.
 */
static enum status
pg_status(const char *sqlstate)
{
	if (strcmp(sqlstate, "23505") == 0)
		return ST_CONFLICT;
	if (strncmp(sqlstate, "23", 2) == 0 || strncmp(sqlstate, "22", 2) == 0)
		return ST_INVALID;
	return ST_IO;
}
#endif

enum status
store_fail(struct conn *c, struct err *err, const char *func, int line)
{
	enum status st;

	switch (c->backend) {
	case DB_SQLITE:
		st = sqlite_status(sqlite3_extended_errcode(c->db));
		goto done;
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		st = pg_status(pg_sqlstate(c->pg));
		goto done;
#endif
		break;
	}
	abort();
done:
	if (st == ST_IO)
		atomic_fetch_add_explicit(&io_errors, 1, memory_order_relaxed);
	return err_set(err, st, func, line, "%s", db_errmsg(c));
}

unsigned long long
store_error_count(void)
{
	return (unsigned long long)atomic_load_explicit(&io_errors, memory_order_relaxed);
}

/* Thread-safe strerror (the GNU strerror_r, as -D_GNU_SOURCE is set). */
static const char *
errno_str(int errnum, char *buf, size_t n)
{
	return strerror_r(errnum, buf, n);
}

/*
 * Reads the file header ourselves, before SQLite opens (and may write) the
 * file: missing (created later, unless read_only) and empty files are fine,
 * anything else must start with "SQLite format 3\0" (sqlite.org/fileformat.html §1.3.1).
 */
static enum status
check_header(const char *path, bool read_only, struct err *err)
{
	static const char magic[16] = "SQLite format 3";
	unsigned char head[sizeof magic];
	char ebuf[128];
	struct stat sb;
	enum status st;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO at path must not hang us; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT && read_only)
			return ERR_SET(err, ST_NOT_FOUND, "%s: no such database", path);
		if (errno == ENOENT)
			return ST_OK;
		return ERR_SET(err, ST_IO, "%s: %s", path, errno_str(errno, ebuf, sizeof ebuf));
	}
	if (fstat(fd, &sb) != 0) {
		st = ERR_SET(err, ST_IO, "%s: %s", path, errno_str(errno, ebuf, sizeof ebuf));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		st = ERR_SET(err, ST_INVALID, "%s: not a regular file", path);
		goto out;
	}
	if (sb.st_size == 0) {
		st = ST_OK; /* a new database, as SQLite sees it */
		goto out;
	}
	n = pread(fd, head, sizeof head, 0);
	if (n < 0) {
		st = ERR_SET(err, ST_IO, "%s: %s", path, errno_str(errno, ebuf, sizeof ebuf));
		goto out;
	}
	if ((size_t)n != sizeof head || memcmp(head, magic, sizeof magic) != 0) {
		st = ERR_SET(err, ST_INVALID, "%s: not an SQLite database", path);
		goto out;
	}
	st = ST_OK;
out:
	close(fd);
	return st;
}

static void
conn_free(struct conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	store_client_cache_free(c);
#ifdef OIDCD_HAVE_PG
	if (c->backend == DB_PG) {
		/* Frees every statement too; the server drops them with the session. */
		pg_close(c->pg);
		free(c);
		return;
	}
#endif
	for (i = 0; i < STMT_COUNT; i++)
		db_finalize(&c->stmt[i]);
	sqlite3_close_v2(c->db);
	free(c);
}

/*
 * Opens a connection with the settings that need no I/O. A connection is
 * used by one thread at a time (its own, or under memory_lock), hence
 * NOMUTEX.
 */
static enum status
conn_new(struct store *s, struct conn **out, struct err *err)
{
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int busy_ms = s->opts.busy_timeout_ms > 0 ? s->opts.busy_timeout_ms
	                                          : STORE_BUSY_TIMEOUT_MS_DEFAULT;
	struct conn *c = xcalloc(1, sizeof *c);
	enum status st;
	int rc;

	c->store = s;
	c->backend = s->backend;
#ifdef OIDCD_HAVE_PG
	if (s->backend == DB_PG) {
		/* statement_timeout plays busy_timeout's part: a statement waiting
		 * on another's row lock gives up after it. */
		st = pg_open(s->url, busy_ms, &c->pg, err);
		goto out;
	}
#endif
	flags |= s->opts.read_only ? SQLITE_OPEN_READONLY
	                           : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
	if (rc != SQLITE_OK) {
		st = ERR_SET(err, ST_IO, "%s: %s", s->path,
		             c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto out;
	}
	/* Hardening: no writable sqlite_schema, no "string" as identifier
	 * fallback, no side-effecting functions run from the schema. */
	if (sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL) != SQLITE_OK ||
	    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL) != SQLITE_OK ||
	    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL) != SQLITE_OK ||
	    sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(c->db, busy_ms) != SQLITE_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = ST_OK;
out:
	if (st != ST_OK) {
		conn_free(c);
		c = NULL;
	}
	*out = c;
	return st;
}

/* Per-connection pragmas; they read the schema, so only on a checked file. */
static enum status
conn_configure(struct store *s, struct conn *c, struct err *err)
{
	const char *sql = s->opts.synchronous_full
	                          ? "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL"
	                          : "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL";

	/* PostgreSQL: foreign keys are always on; commits wait for the WAL
	 * flush (synchronous_commit's default), whatever synchronous says. */
	if (c->backend == DB_PG)
		return ST_OK;
	if (db_exec(c, sql) != DB_OK)
		return STORE_FAIL(c, err);
	/* Replaces SQLite's autocheckpoint with the same one, anchor-aware. */
	if (s->has_anchor)
		(void)sqlite3_wal_hook(c->db, store_anchor_wal_hook, s);
	return ST_OK;
}

/*
 * The checks a file passes before anything is written to it: SQLite can
 * read it, and its schema is not newer than ours.
 */
static enum status
conn_check(struct store *s, struct conn *c, struct err *err)
{
	sqlite3_stmt *stmt = NULL;
	int latest = store_schema_latest();
	enum status st;
	int version = 0;
	int rc;

	/* SQLite: can it read the file at all? (PostgreSQL: connecting was that.) */
	rc = SQLITE_ROW;
	if (c->backend == DB_SQLITE) {
		rc = sqlite3_prepare_v2(c->db, "PRAGMA schema_version", -1, &stmt, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(stmt);
	}
	if (rc != SQLITE_ROW) {
		if (sqlite3_errcode(c->db) == SQLITE_NOTADB)
			st = ERR_SET(err, ST_INVALID, "%s: not an SQLite database", s->path);
		else
			st = ERR_SET(err, ST_IO, "%s: %s", s->path, sqlite3_errmsg(c->db));
		goto out;
	}
	st = store_user_version(c, &version, err);
	if (st != ST_OK)
		goto out;
	if (version > latest) {
		st = ERR_SET(err, ST_UNSUPPORTED,
		             "database schema version %d is newer than this oidcd supports (%d);"
		             " upgrade oidcd",
		             version, latest);
		goto out;
	}
	st = ST_OK;
out:
	sqlite3_finalize(stmt);
	return st;
}

/* journal_mode=WAL is persistent in the file, so once per store_open is enough. */
static enum status
conn_enable_wal(struct store *s, struct conn *c, struct err *err)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *mode;
	enum status st;

	if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	mode = sqlite3_column_text(stmt, 0);
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		st = ERR_SET(err, ST_IO, "%s: cannot enable WAL (journal_mode is %s)", s->path,
		             mode != NULL ? (const char *)mode : "unknown");
		goto out;
	}
	st = ST_OK;
out:
	sqlite3_finalize(stmt);
	return st;
}

/*
 * Takes a shared flock(2) on the database file, held until store_free, so
 * that store_restore (which needs it exclusively) refuses to replace a file
 * a server or command has open, and a server does not start on a file being
 * restored. flock locks are separate from the fcntl locks SQLite uses; the
 * fd is closed only after every connection (closing an fd drops the
 * process's fcntl locks on the file).
 */
static enum status
store_lock_shared(struct store *s, struct err *err)
{
	char ebuf[128];

	s->lock_fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (s->lock_fd < 0)
		return ERR_SET(err, ST_IO, "%s: %s", s->path, errno_str(errno, ebuf, sizeof ebuf));
	if (flock(s->lock_fd, LOCK_SH | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			return ERR_SET(err, ST_CONFLICT, "%s: the database is being restored",
			               s->path);
		return ERR_SET(err, ST_IO, "%s: flock: %s", s->path,
		               errno_str(errno, ebuf, sizeof ebuf));
	}
	return ST_OK;
}

static void
conn_list_add(struct store *s, struct conn *c)
{
	pthread_mutex_lock(&s->lock);
	c->prev = NULL;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	c->is_listed = true;
	pthread_mutex_unlock(&s->lock);
}

/* Caller holds s->lock. */
static void
conn_list_remove(struct store *s, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	c->is_listed = false;
}

/* pthread key destructor: the thread that owned c exits. */
static void
conn_at_thread_exit(void *arg)
{
	struct conn *c = arg;
	struct store *s = c->store;
	bool is_ours;

	pthread_mutex_lock(&s->lock);
	is_ours = c->is_listed; /* false: store_close() took it and closes it */
	if (is_ours)
		conn_list_remove(s, c);
	pthread_mutex_unlock(&s->lock);
	if (is_ours)
		conn_free(c);
}

/* Opens a connection for the calling thread (not the first: the file is checked). */
static enum status
conn_open_for_thread(struct store *s, struct conn **out, struct err *err)
{
	struct conn *c = NULL;
	enum status st;

	st = conn_new(s, &c, err);
	if (st != ST_OK)
		goto out;
	st = conn_configure(s, c, err);
	if (st != ST_OK)
		goto out;
	if (pthread_setspecific(s->key, c) != 0) {
		st = ERR_SET(err, ST_IO, "%s: cannot attach a connection to this thread", s->path);
		goto out;
	}
	conn_list_add(s, c);
	st = ST_OK;
out:
	if (st != ST_OK) {
		conn_free(c);
		c = NULL;
	}
	*out = c;
	return st;
}

bool
store_path_is_pg(const char *path)
{
	return strncmp(path, "postgres://", 11) == 0 || strncmp(path, "postgresql://", 13) == 0;
}

/*
 * A copy of a connection URL fit for messages and logs: the password of
 * "scheme://user:password@host" and the value of a "password=" query
 * parameter are replaced by "***".
 */
static char *
url_redact(const char *url)
{
	const char *p = strstr(url, "://");
	const char *end, *at, *colon, *q;
	struct buf out = {0};

	p = p != NULL ? p + 3 : url;
	end = p + strcspn(p, "/?");
	at = memchr(p, '@', (size_t)(end - p));
	colon = at != NULL ? memchr(p, ':', (size_t)(at - p)) : NULL;
	if (colon != NULL) {
		buf_append(&out, url, (size_t)(colon + 1 - url));
		buf_puts(&out, "***");
		p = at;
	} else {
		p = url;
	}
	while ((q = strstr(p, "password=")) != NULL) {
		buf_append(&out, p, (size_t)(q + 9 - p));
		p = q + 9;
		if (q > url && (q[-1] == '?' || q[-1] == '&')) {
			buf_puts(&out, "***");
			p += strcspn(p, "&");
		}
	}
	buf_puts(&out, p);
	return buf_steal(&out);
}

static struct store *
store_new(const char *path, const struct store_options *opts)
{
	struct store *s = xcalloc(1, sizeof *s);
	pthread_mutexattr_t attr;

	if (store_path_is_pg(path)) {
		s->backend = DB_PG;
		s->url = xstrdup(path);
		s->path = url_redact(path);
	} else {
		/* "sqlite:PATH" is the file PATH. */
		s->backend = DB_SQLITE;
		s->path = xstrdup(strncmp(path, "sqlite:", 7) == 0 ? path + 7 : path);
	}
	if (opts != NULL)
		s->opts = *opts;
	s->is_memory = strcmp(s->path, ":memory:") == 0;
	pthread_mutex_init(&s->lock, NULL);
	/* Recursive: a storage function may call another while it holds the
	 * shared connection (e.g. inside a transaction). */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->memory_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_init(&s->write_lock, NULL);
	pthread_cond_init(&s->write_cond, NULL);
	pthread_cond_init(&s->sync_cond, NULL);
	pthread_mutex_init(&s->anchor_lock, NULL);
	s->has_anchor = s->backend == DB_SQLITE && !s->is_memory && !s->opts.read_only;
	s->wal_fd = -1;
	s->lock_fd = -1;
	return s;
}

static void
store_free(struct store *s)
{
	if (s->wal_fd >= 0)
		close(s->wal_fd);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* after every connection: see store_lock_shared */
	store_gen_close(s);
	pthread_cond_destroy(&s->write_cond);
	pthread_cond_destroy(&s->sync_cond);
	pthread_mutex_destroy(&s->write_lock);
	pthread_mutex_destroy(&s->memory_lock);
	pthread_mutex_destroy(&s->anchor_lock);
	pthread_mutex_destroy(&s->lock);
	if (s->url != NULL) {
		memset(s->url, 0, strlen(s->url)); /* it may hold a password */
		free(s->url);
	}
	free(s->path);
	free(s);
}

/*
 * Process-wide SQLite settings, before SQLite initialises: memory
 * statistics off, because keeping them takes one global mutex on every
 * allocation, and every worker thread then contends for it.
 */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void
sqlite_configure(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

enum status
store_open(const char *path, const struct store_options *opts, struct store **out, struct err *err)
{
	struct store *s;
	struct conn *c = NULL;
	bool has_key = false;
	enum status st;

	pthread_once(&sqlite_once, sqlite_configure);
	s = store_new(path, opts);
#ifndef OIDCD_HAVE_PG
	if (s->backend == DB_PG) {
		st = ERR_SET(err, ST_UNSUPPORTED, "%s: built without PostgreSQL support", s->path);
		goto out;
	}
#endif
	/* From here on s->path: the file (without "sqlite:"), or the URL
	 * without its password. */
	if (!s->is_memory && s->backend == DB_SQLITE) {
		st = check_header(s->path, s->opts.read_only, err);
		if (st != ST_OK)
			goto out;
	}
	if (!s->is_memory) {
		if (pthread_key_create(&s->key, conn_at_thread_exit) != 0) {
			st = ERR_SET(err, ST_IO, "%s: no thread-specific key left", s->path);
			goto out;
		}
		has_key = true;
	}
	st = conn_new(s, &c, err);
	if (st != ST_OK)
		goto out;
	if (!s->is_memory && s->backend == DB_SQLITE) {
		st = store_lock_shared(s, err);
		if (st != ST_OK)
			goto out;
	}
	st = conn_check(s, c, err);
	if (st != ST_OK)
		goto out;
	st = conn_configure(s, c, err);
	if (st != ST_OK)
		goto out;
	if (!s->is_memory && !s->opts.read_only && s->backend == DB_SQLITE) {
		st = conn_enable_wal(s, c, err);
		if (st != ST_OK)
			goto out;
	}
	/* Like -wal and -shm, only next to a file that passed the checks. */
	if (s->has_anchor) {
		st = store_gen_open(s, err);
		if (st != ST_OK)
			goto out;
	}

	if (s->is_memory) {
		s->memory_conn = c;
	} else {
		/* The checked connection becomes the calling thread's. */
		if (pthread_setspecific(s->key, c) != 0) {
			st = ERR_SET(err, ST_IO, "%s: cannot attach a connection to this thread",
			             s->path);
			goto out;
		}
		conn_list_add(s, c);
	}
	c = NULL;
	st = ST_OK;
out:
	if (st != ST_OK) {
		conn_free(c);
		if (has_key)
			pthread_key_delete(s->key);
		store_free(s);
		s = NULL;
	} else {
		*out = s;
	}
	return st;
}

void
store_close(struct store *s)
{
	struct conn *c, *next;

	if (s == NULL)
		return;
	/* First: the writer drains its queue through its own connection. */
	store_writer_stop(s);
	pthread_mutex_lock(&s->anchor_lock);
	store_anchor_close(s);
	pthread_mutex_unlock(&s->anchor_lock);
	if (s->is_memory) {
		conn_free(s->memory_conn);
		store_free(s);
		return;
	}
	/* Take every connection still open; a destructor that runs from now
	 * on finds its connection unlisted and leaves it to us. */
	pthread_mutex_lock(&s->lock);
	c = s->conns;
	s->conns = NULL;
	for (next = c; next != NULL; next = next->next)
		next->is_listed = false;
	pthread_mutex_unlock(&s->lock);
	pthread_setspecific(s->key, NULL);
	pthread_key_delete(s->key);
	for (; c != NULL; c = next) {
		next = c->next;
		conn_free(c);
	}
	store_free(s);
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

enum status
store_conn_acquire(struct store *s, struct conn **out, struct err *err)
{
	struct conn *c;

	if (s->is_memory) {
		pthread_mutex_lock(&s->memory_lock);
		*out = s->memory_conn;
		return ST_OK;
	}
	c = pthread_getspecific(s->key);
	if (c == NULL)
		return conn_open_for_thread(s, out, err);
	/* A read transaction may start: let it share the anchor's lock. */
	if (s->has_anchor && !c->is_writer && !db_in_transaction(c))
		store_anchor_touch(s);
	*out = c;
	return ST_OK;
}

struct conn *
store_conn_peek(struct store *s)
{
	return s->is_memory ? NULL : pthread_getspecific(s->key);
}

void
store_conn_release(struct store *s, struct conn *c)
{
	if (c != NULL && s->is_memory)
		pthread_mutex_unlock(&s->memory_lock);
}

enum status
store_stmt(struct conn *c, enum store_stmt id, struct db_stmt **out, struct err *err)
{
	struct db_stmt *stmt;

	assert(id < STMT_COUNT);
	stmt = &c->stmt[id];
	if (!db_stmt_is_prepared(stmt)) {
		const char *sql = store_stmt_sql(c->backend, id);

		assert(sql != NULL);
		if (db_prepare(c, (unsigned)id, sql, stmt) != DB_OK)
			return STORE_FAIL(c, err);
	}
	*out = stmt;
	return ST_OK;
}

void
store_stmt_done(struct db_stmt *stmt)
{
	if (stmt == NULL)
		return;
	db_reset(stmt);
}

enum status
store_stmt_run(struct conn *c, enum store_stmt id, struct err *err)
{
	struct db_stmt *stmt = NULL;
	enum status st;
	enum db_rc rc;

	st = store_stmt(c, id, &stmt, err);
	if (st != ST_OK)
		goto out;
	while ((rc = db_step(stmt)) == DB_ROW)
		;
	st = rc == DB_DONE ? ST_OK : STORE_FAIL(c, err);
out:
	store_stmt_done(stmt);
	return st;
}

enum db_rc
store_bind_text_or_null(struct db_stmt *stmt, int idx, const char *text)
{
	if (text == NULL)
		return db_bind_null(stmt, idx);
	return db_bind_text(stmt, idx, text);
}

enum db_rc
store_bind_hash(struct db_stmt *stmt, int idx, const unsigned char *hash)
{
	assert(hash != NULL);
	return db_bind_blob(stmt, idx, hash, STORE_HASH_LEN);
}

enum db_rc
store_bind_hash_or_null(struct db_stmt *stmt, int idx, const unsigned char *hash)
{
	if (hash == NULL)
		return db_bind_null(stmt, idx);
	return store_bind_hash(stmt, idx, hash);
}

enum db_rc
store_bind_time_or_null(struct db_stmt *stmt, int idx, int64_t t)
{
	if (t == 0)
		return db_bind_null(stmt, idx);
	return db_bind_int64(stmt, idx, t);
}

const char *
store_column_text_dup(struct db_stmt *stmt, int col, struct arena *arena)
{
	/* The bytes after the text: the documented order (db.h). */
	const char *text = db_column_text(stmt, col);
	size_t len = db_column_bytes(stmt, col);

	if (text == NULL)
		return NULL;
	return arena_strndup(arena, text, len);
}

enum status
store_column_hash_dup(struct db_stmt *stmt, int col, struct arena *arena, const unsigned char **out,
                      struct err *err)
{
	/* NULL first: reading the blob would convert it. A non-NULL value of
	 * a hash column is a blob (STRICT BLOB column; bytea on PostgreSQL). */
	bool is_null = db_column_is_null(stmt, col);
	const void *hash = db_column_blob(stmt, col);
	int len = (int)db_column_bytes(stmt, col);

	if (is_null || len != STORE_HASH_LEN)
		return ERR_SET(err, ST_IO, "%s: hash column is %d bytes, not %d",
		               db_column_name(stmt, col), len, STORE_HASH_LEN);
	*out = arena_memdup(arena, hash, STORE_HASH_LEN);
	return ST_OK;
}

enum status
store_rows_collect(struct conn *c, struct db_stmt *stmt, size_t limit, size_t row_size,
                   store_read_row_fn *read_row, struct arena *arena, void **rows_out,
                   size_t *count_out, bool *more_out, struct err *err)
{
	unsigned char *rows = NULL; /* grows on the heap, copied to the arena once */
	size_t n = 0, cap = 0;
	bool more = false;
	enum status st;
	enum db_rc rc;

	while ((rc = db_step(stmt)) == DB_ROW) {
		if (limit > 0 && n == limit) {
			more = true; /* the extra row: only its existence matters */
			break;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : 2 * cap;
			rows = xrealloc(rows, cap * row_size);
		}
		st = read_row(stmt, arena, rows + n * row_size, err);
		if (st != ST_OK)
			goto out;
		n++;
	}
	if (rc != DB_ROW && rc != DB_DONE) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	*rows_out = n > 0 ? arena_memdup(arena, rows, n * row_size) : NULL;
	*count_out = n;
	if (more_out != NULL)
		*more_out = more;
	st = ST_OK;
out:
	free(rows);
	return st;
}

enum status
store_rows_by_text_time(struct store *s, enum store_stmt id, const char *text, int64_t t,
                        size_t row_size, store_read_row_fn *read_row, struct arena *arena,
                        void **rows_out, size_t *count_out, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	*rows_out = NULL;
	*count_out = 0;
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_stmt(c, id, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_bind_text(stmt, 1, text) != DB_OK || db_bind_int64(stmt, 2, t) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = store_rows_collect(c, stmt, 0, row_size, read_row, arena, rows_out, count_out, NULL,
	                        err);
out:
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}

enum status
store_count(struct store *s, enum store_stmt id, int64_t *count_out, struct err *err)
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
	if (db_step(stmt) != DB_ROW) {
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

/* Runs "<verb> store_tx_<depth>" (a savepoint name cannot be a parameter). */
static enum db_rc
tx_savepoint_exec(struct conn *c, const char *verb, unsigned depth)
{
	char sql[64];

	snprintf(sql, sizeof sql, "%s store_tx_%u", verb, depth);
	return db_exec(c, sql);
}

enum status
store_read_begin(struct store *s, struct err *err)
{
	struct conn *c;
	enum status st;

	/* The shared ":memory:" connection (tests) is not this thread's to hold.
	 * PostgreSQL: each statement reads committed data (READ COMMITTED);
	 * the lookups that share a snapshot here are read-only and tolerate
	 * a commit between them, and BEGIN + COMMIT would cost two round trips
	 * on the hot path (userinfo). */
	if (s->is_memory || s->backend == DB_PG)
		return ST_OK;
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	/* Inside a write (or another read) the enclosing transaction serves. */
	if (!db_in_transaction(c)) {
		st = store_stmt_run(c, STMT_BEGIN_DEFERRED, err);
		c->is_read_tx = st == ST_OK;
	}
	store_conn_release(s, c);
	return st;
}

void
store_read_end(struct store *s)
{
	struct conn *c;
	struct err err;

	if (s->is_memory || s->backend == DB_PG || store_conn_acquire(s, &c, &err) != ST_OK)
		return;
	/* A read transaction has nothing to lose: COMMIT only ends it. */
	if (c->is_read_tx && db_in_transaction(c))
		(void)store_stmt_run(c, STMT_COMMIT, &err);
	c->is_read_tx = false;
	store_conn_release(s, c);
}

enum status
store_tx_begin(struct conn *c, struct err *err)
{
	if (!db_in_transaction(c)) {
		c->tx_depth = 0; /* whatever was nested died with its transaction */
		return store_stmt_run(c, STMT_BEGIN_IMMEDIATE, err);
	}
	if (tx_savepoint_exec(c, "SAVEPOINT", c->tx_depth + 1) != DB_OK)
		return STORE_FAIL(c, err);
	c->tx_depth++;
	return ST_OK;
}

enum status
store_tx_commit(struct conn *c, struct err *err)
{
	if (c->tx_depth == 0)
		return store_stmt_run(c, STMT_COMMIT, err);
	if (!db_in_transaction(c)) {
		c->tx_depth = 0;
		return ERR_SET(err, ST_IO, "%s: the enclosing transaction was rolled back",
		               c->store->path);
	}
	/* On failure the savepoint stays open, for store_tx_rollback. */
	if (tx_savepoint_exec(c, "RELEASE", c->tx_depth) != DB_OK)
		return STORE_FAIL(c, err);
	c->tx_depth--;
	return ST_OK;
}

void
store_tx_rollback(struct conn *c)
{
	/* Some errors (SQLITE_FULL, SQLITE_IOERR, ...) already rolled back. */
	if (!db_in_transaction(c)) {
		c->tx_depth = 0;
		return;
	}
	if (c->tx_depth == 0) {
		store_stmt_run(c, STMT_ROLLBACK, NULL);
		return;
	}
	/* ROLLBACK TO keeps the savepoint open; RELEASE ends it. */
	tx_savepoint_exec(c, "ROLLBACK TO", c->tx_depth);
	tx_savepoint_exec(c, "RELEASE", c->tx_depth);
	c->tx_depth--;
}

enum status
store_ping(struct store *s, struct err *err)
{
	struct conn *c = NULL;
	struct db_stmt *stmt = NULL;
	enum status st;

	/* Readiness is yes or no: any failure is ST_IO, with the database's words. */
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK) {
		if (err != NULL)
			err->st = ST_IO;
		return ST_IO;
	}
	st = store_stmt(c, STMT_PING, &stmt, err);
	if (st == ST_OK && db_step(stmt) != DB_ROW)
		st = ST_IO;
	if (st != ST_OK)
		st = ERR_SET(err, ST_IO, "%s: %s", s->path, db_errmsg(c));
	store_stmt_done(stmt);
	store_conn_release(s, c);
	return st;
}
