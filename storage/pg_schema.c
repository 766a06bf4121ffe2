/*
 * storage/pg_schema.c — the PostgreSQL schema and the statements whose
 * text differs from SQLite's (issue 10).
 *
 * API (pg_schema.h): pg_schema_latest, pg_schema_version,
 * pg_schema_migration, PG_SCHEMA_MIGRATE_LOCK, pg_stmt_sql_override;
 * migrate.c runs the migrations for both backends.
 *
 * Invariants:
 * - migrations[] mirrors migrate.c's array one for one: entry N makes the
 *   same tables, columns, constraints, indexes and cascades as SQLite's
 *   migration N, in PostgreSQL's words (BIGINT for INTEGER, BYTEA for BLOB;
 *   usernames unique ignoring case through a unique index on
 *   lower(username); meta.keys_generation kept by a plpgsql trigger).
 *   pg_schema_test checks the count equals store_schema_latest().
 * - Applied versions are rows of schema_version. Each migration runs in its
 *   own transaction (migrate.c) that first runs PG_SCHEMA_MIGRATE_LOCK (an
 *   advisory lock, and the table) and then re-reads the version, so
 *   instances starting at once apply each migration exactly once.
 * - Sweeps delete by primary key, the rows picked FOR UPDATE SKIP LOCKED,
 *   so several instances sweeping at once neither wait on nor fail over
 *   each other's rows.
 *
 * To add a migration: append to migrate.c and here, at the same position.
 */
#include "storage/pg_schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "storage/pg.h"
#include "storage/store.h"
#include "storage/store_internal.h"

static const char *const migrations[] = {
        /* 1: signing keys and the meta counters (migrate.c 1). One trigger
         * per event as in SQLite, through one function. */
        "CREATE TABLE keys ("
        " kid TEXT PRIMARY KEY,"
        " alg TEXT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " usable_from BIGINT NOT NULL,"
        " sealed BYTEA NOT NULL,"
        " public_jwk TEXT NOT NULL"
        ");"
        "CREATE TABLE meta ("
        " name TEXT PRIMARY KEY,"
        " value BIGINT NOT NULL"
        ");"
        "INSERT INTO meta (name, value) VALUES ('keys_generation', 0);"
        "CREATE FUNCTION keys_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN"
        " UPDATE meta SET value = value + 1 WHERE name = 'keys_generation';"
        " RETURN NULL;"
        " END $$;"
        "CREATE TRIGGER keys_generation_on_insert AFTER INSERT ON keys"
        " FOR EACH ROW EXECUTE FUNCTION keys_generation_bump();"
        "CREATE TRIGGER keys_generation_on_delete AFTER DELETE ON keys"
        " FOR EACH ROW EXECUTE FUNCTION keys_generation_bump();"
        "CREATE TRIGGER keys_generation_on_update AFTER UPDATE ON keys"
        " FOR EACH ROW EXECUTE FUNCTION keys_generation_bump();",
        /* 2: OAuth 2.0 clients (migrate.c 2). */
        "CREATE TABLE clients ("
        " id TEXT PRIMARY KEY,"
        " secret_hash TEXT,"
        " reg_token_hash BYTEA CHECK (reg_token_hash IS NULL OR length(reg_token_hash) = 32),"
        " metadata TEXT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " updated_at BIGINT NOT NULL"
        ");",
        /* 3: users, sessions, consents, codes, tokens, throttling
         * (migrate.c 3). SQLite's COLLATE NOCASE UNIQUE on username is the
         * unique index users_username on lower(username) in the "C"
         * collation, which the username statements below compare and sort
         * by (pg_stmt_sql_override). */
        "CREATE TABLE users ("
        " id TEXT PRIMARY KEY,"
        " username TEXT NOT NULL,"
        " password_hash TEXT NOT NULL,"
        " claims TEXT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " updated_at BIGINT NOT NULL"
        ");"
        "CREATE UNIQUE INDEX users_username ON users ((lower(username) COLLATE \"C\"));"
        "CREATE TABLE sessions ("
        " id_hash BYTEA PRIMARY KEY CHECK (length(id_hash) = 32),"
        " sid TEXT NOT NULL UNIQUE,"
        " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " auth_time BIGINT NOT NULL,"
        " amr TEXT NOT NULL,"
        " acr TEXT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " expires_at BIGINT NOT NULL,"
        " ended_at BIGINT"
        ");"
        "CREATE INDEX sessions_user_id ON sessions (user_id);"
        "CREATE INDEX sessions_expires_at ON sessions (expires_at);"
        "CREATE TABLE consents ("
        " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " scopes TEXT NOT NULL,"
        " granted_at BIGINT NOT NULL,"
        " expires_at BIGINT,"
        " PRIMARY KEY (user_id, client_id)"
        ");"
        "CREATE INDEX consents_client_id ON consents (client_id);"
        "CREATE INDEX consents_expires_at ON consents (expires_at) WHERE expires_at IS NOT NULL;"
        "CREATE TABLE auth_codes ("
        " code_hash BYTEA PRIMARY KEY CHECK (length(code_hash) = 32),"
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " sid TEXT,"
        " redirect_uri TEXT NOT NULL,"
        " scope TEXT NOT NULL,"
        " nonce TEXT,"
        " code_challenge TEXT,"
        " code_challenge_method TEXT,"
        " auth_time BIGINT,"
        " acr TEXT,"
        " amr TEXT,"
        " claims TEXT,"
        " created_at BIGINT NOT NULL,"
        " expires_at BIGINT NOT NULL"
        ");"
        "CREATE INDEX auth_codes_client_id ON auth_codes (client_id);"
        "CREATE INDEX auth_codes_user_id ON auth_codes (user_id);"
        "CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);"
        "CREATE TABLE used_codes ("
        " code_hash BYTEA PRIMARY KEY CHECK (length(code_hash) = 32),"
        " grant_id TEXT NOT NULL,"
        " expires_at BIGINT NOT NULL"
        ");"
        "CREATE INDEX used_codes_expires_at ON used_codes (expires_at);"
        "CREATE TABLE tokens ("
        " token_hash BYTEA PRIMARY KEY CHECK (length(token_hash) = 32),"
        " kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),"
        " grant_id TEXT NOT NULL,"
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " user_id TEXT REFERENCES users(id) ON DELETE CASCADE,"
        " sid TEXT,"
        " scope TEXT NOT NULL,"
        " auth_time BIGINT,"
        " acr TEXT,"
        " amr TEXT,"
        " claims TEXT,"
        " created_at BIGINT NOT NULL,"
        " expires_at BIGINT NOT NULL,"
        " revoked_at BIGINT"
        ");"
        "CREATE INDEX tokens_grant_id ON tokens (grant_id);"
        "CREATE INDEX tokens_client_id ON tokens (client_id);"
        "CREATE INDEX tokens_user_id ON tokens (user_id) WHERE user_id IS NOT NULL;"
        "CREATE INDEX tokens_sid ON tokens (sid) WHERE sid IS NOT NULL;"
        "CREATE INDEX tokens_expires_at ON tokens (expires_at);"
        "CREATE TABLE login_attempts ("
        " key TEXT PRIMARY KEY,"
        " failures BIGINT NOT NULL,"
        " window_start BIGINT NOT NULL,"
        " locked_until BIGINT NOT NULL,"
        " expires_at BIGINT NOT NULL"
        ");"
        "CREATE INDEX login_attempts_expires_at ON login_attempts (expires_at);",
        /* 4: client assertion ids already used (migrate.c 4). */
        "CREATE TABLE used_jtis ("
        " client_id TEXT NOT NULL,"
        " jti TEXT NOT NULL,"
        " expires_at BIGINT NOT NULL,"
        " PRIMARY KEY (client_id, jti)"
        ");"
        "CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);",
        /* 5: device authorization grants (migrate.c 5). */
        "CREATE TABLE device_codes ("
        " device_code_hash BYTEA PRIMARY KEY CHECK (length(device_code_hash) = 32),"
        " user_code_hash BYTEA NOT NULL UNIQUE CHECK (length(user_code_hash) = 32),"
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " scope TEXT NOT NULL,"
        " grant_id TEXT NOT NULL,"
        " status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),"
        " interval_secs BIGINT NOT NULL,"
        " last_poll_ms BIGINT NOT NULL,"
        " user_id TEXT REFERENCES users(id) ON DELETE CASCADE,"
        " sid TEXT,"
        " auth_time BIGINT,"
        " acr TEXT,"
        " amr TEXT,"
        " created_at BIGINT NOT NULL,"
        " expires_at BIGINT NOT NULL"
        ");"
        "CREATE INDEX device_codes_expires_at ON device_codes (expires_at);"
        "CREATE INDEX device_codes_client_id ON device_codes (client_id);",
        /* 6: verifiable credentials: nonces and the issued credentials
         * (migrate.c 6). */
        "CREATE TABLE vc_nonces ("
        " nonce_hash BYTEA PRIMARY KEY CHECK (length(nonce_hash) = 32),"
        " token_hash BYTEA NOT NULL CHECK (length(token_hash) = 32),"
        " expires_at BIGINT NOT NULL"
        ");"
        "CREATE INDEX vc_nonces_expires_at ON vc_nonces (expires_at);"
        "CREATE TABLE issued_credentials ("
        " jti TEXT PRIMARY KEY,"
        " subject TEXT NOT NULL,"
        " user_id TEXT NOT NULL,"
        " client_id TEXT NOT NULL,"
        " key_thumbprint TEXT NOT NULL,"
        " iat BIGINT NOT NULL,"
        " exp BIGINT NOT NULL"
        ");"
        "CREATE INDEX issued_credentials_subject ON issued_credentials (subject, iat);"
        "CREATE INDEX issued_credentials_user_id ON issued_credentials (user_id, iat);",
        /* 7: the back-channel logout outbox (migrate.c 7). */
        "CREATE TABLE logout_deliveries ("
        " id TEXT PRIMARY KEY,"
        " sid TEXT NOT NULL,"
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " uri TEXT NOT NULL,"
        " logout_token TEXT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " attempts BIGINT NOT NULL,"
        " next_attempt_at_ms BIGINT NOT NULL,"
        " failed_at BIGINT,"
        " last_error TEXT,"
        " expires_at BIGINT NOT NULL"
        ");"
        "CREATE INDEX logout_deliveries_due ON logout_deliveries (next_attempt_at_ms)"
        " WHERE failed_at IS NULL;"
        "CREATE INDEX logout_deliveries_sid ON logout_deliveries (sid);"
        "CREATE INDEX logout_deliveries_client_id ON logout_deliveries (client_id);"
        "CREATE INDEX logout_deliveries_expires_at ON logout_deliveries (expires_at);",
        /* 8: headless mode: flow requests, and the session column of codes
         * and tokens (migrate.c 8). */
        "CREATE TABLE flow_requests ("
        " challenge_hash BYTEA PRIMARY KEY CHECK (length(challenge_hash) = 32),"
        " kind TEXT NOT NULL CHECK (kind IN ('login', 'consent', 'logout')),"
        " verifier_hash BYTEA UNIQUE CHECK (verifier_hash IS NULL OR length(verifier_hash) = 32),"
        " binding_hash BYTEA NOT NULL CHECK (length(binding_hash) = 32),"
        " status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'used')),"
        " request TEXT NOT NULL,"
        " result TEXT,"
        " created_at BIGINT NOT NULL,"
        " expires_at BIGINT NOT NULL"
        ");"
        "CREATE INDEX flow_requests_expires_at ON flow_requests (expires_at);"
        "ALTER TABLE auth_codes ADD COLUMN session TEXT;"
        "ALTER TABLE tokens ADD COLUMN session TEXT;",
        /* 9: headless mode, Hydra's consent sessions (migrate.c 9). */
        ("ALTER TABLE consents ADD COLUMN request TEXT;"
         "ALTER TABLE consents ADD COLUMN result TEXT;"),
        /* 10: headless mode, force_subject_identifier (migrate.c 10). */
        "CREATE TABLE forced_subjects ("
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " subject TEXT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " PRIMARY KEY (client_id, user_id)"
        ");"
        "CREATE INDEX forced_subjects_user_id ON forced_subjects (user_id);",
};

int
pg_schema_latest(void)
{
	return (int)(sizeof migrations / sizeof migrations[0]);
}

/*
 * Runs a one-row, one-integer query into *out, as the unnamed statement
 * (nothing left on the session, even inside a failed transaction). ST_IO on
 * failure.
 */
static enum status
query_int(struct pg_db *db, const char *sql, int64_t *out, struct err *err)
{
	struct pg_stmt *stmt = NULL;
	enum status st;

	if (pg_prepare(db, "", sql, &stmt) != PG_OK)
		return ERR_SET(err, ST_IO, "postgres: %s", pg_errmsg(db));
	if (pg_step(stmt) != PG_ROW) {
		st = ERR_SET(err, ST_IO, "postgres: %s", pg_errmsg(db));
		goto out;
	}
	*out = pg_column_int64(stmt, 0);
	st = ST_OK;
out:
	pg_reset(stmt);
	pg_finalize(stmt);
	return st;
}

enum status
pg_schema_version(struct pg_db *db, int *version_out, struct err *err)
{
	int64_t exists = 0, version = 0;
	enum status st;

	st = query_int(db, "SELECT (to_regclass('schema_version') IS NOT NULL)::int", &exists, err);
	if (st != ST_OK)
		return st;
	if (exists) {
		st = query_int(db, "SELECT coalesce(max(version), 0) FROM schema_version", &version,
		               err);
		if (st != ST_OK)
			return st;
	}
	*version_out = (int)version;
	return ST_OK;
}

const char *
pg_schema_migration(int version)
{
	return version >= 0 && version < pg_schema_latest() ? migrations[version] : NULL;
}

/* The users columns in the order users.c reads them (STORE_USER_COLUMNS). */
#define PG_USER_COLUMNS "id, username, password_hash, claims, created_at, updated_at"

/*
 * Sweeps (sweep.c: ?1 = now, ?2 = batch limit): by primary key, since
 * PostgreSQL has no rowid, the batch picked FOR UPDATE SKIP LOCKED.
 */
#define PG_SWEEP(table, key)                                                                       \
	"DELETE FROM " table " WHERE (" key ") IN (SELECT " key " FROM " table                     \
	" WHERE expires_at <= ?1 LIMIT ?2 FOR UPDATE SKIP LOCKED)"

/* NOLINTBEGIN(bugprone-suspicious-missing-comma): a sparse table (one slot per
 * store_stmt, most empty) of statements written over several literals; its
 * heuristic counts the empty slots and then suspects every joined literal. */
static const char *const overrides[STMT_COUNT] = {
        /* No sqlite_schema; a round trip is the readiness check. */
        [STMT_PING] = "SELECT 1",
        /* No PRAGMA user_version: the migrations table. */
        [STMT_USER_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_version",
        /* Row locks are taken as rows are written; there is no database
         * write lock to take up front. */
        [STMT_BEGIN_IMMEDIATE] = "BEGIN",
        /* CASE WHEN wants a boolean; the flags are bound as integers. */
        [STMT_CLIENT_UPDATE] = "UPDATE clients SET metadata = ?2, updated_at = ?3,"
                               " secret_hash = CASE WHEN ?5::bigint <> 0 THEN NULL"
                               " ELSE coalesce(?4, secret_hash) END,"
                               " reg_token_hash = CASE WHEN ?7::bigint <> 0 THEN NULL"
                               " ELSE coalesce(?6, reg_token_hash) END"
                               " WHERE id = ?1 AND (?8::bytea IS NULL OR reg_token_hash = ?8)",
        [STMT_CLIENT_DELETE] =
                "DELETE FROM clients WHERE id = ?1 AND (?2::bytea IS NULL OR reg_token_hash = ?2)",
        /* Byte order as SQLite's BINARY, whatever the database's locale; a
         * parameter of LIMIT ?2 + 1 alone would be typed int4. */
        [STMT_CLIENT_LIST] =
                "SELECT id, secret_hash, reg_token_hash, metadata, created_at,"
                " updated_at FROM clients WHERE (?1::text IS NULL OR id COLLATE \"C\" > ?1)"
                " ORDER BY id COLLATE \"C\" LIMIT ?2::bigint + 1",
        /* COLLATE NOCASE: through the users_username index (migration 3). */
        [STMT_USER_GET_BY_USERNAME] = "SELECT " PG_USER_COLUMNS " FROM users"
                                      " WHERE (lower(username) COLLATE \"C\") = lower(?1::text)",
        [STMT_USER_LIST] = "SELECT " PG_USER_COLUMNS " FROM users WHERE (?1::text IS NULL OR"
                           " (lower(username) COLLATE \"C\") > lower(?1::text))"
                           " ORDER BY (lower(username) COLLATE \"C\") LIMIT ?2::bigint + 1",
        /* ?4 alone in ?4 > 0 would be typed int4: times are ms. */
        [STMT_LOGOUT_RETRY] =
                "UPDATE logout_deliveries SET attempts = attempts + 1, last_error = ?3,"
                " next_attempt_at_ms = CASE WHEN ?4::bigint > 0 THEN ?4::bigint"
                " ELSE next_attempt_at_ms END,"
                " failed_at = CASE WHEN ?4::bigint > 0 THEN NULL ELSE ?2::bigint END"
                " WHERE id = ?1 AND failed_at IS NULL",
        /* The claim of store.c's text; rows another instance is claiming
         * right now are skipped, not waited for. */
        [STMT_LOGOUT_DUE] = "UPDATE logout_deliveries SET next_attempt_at_ms = ?3"
                            " WHERE id IN (SELECT id FROM logout_deliveries"
                            " WHERE failed_at IS NULL AND next_attempt_at_ms <= ?1"
                            " ORDER BY next_attempt_at_ms, id LIMIT ?2 FOR UPDATE SKIP LOCKED)"
                            " RETURNING id, sid, client_id, uri, logout_token, created_at,"
                            " attempts, next_attempt_at_ms, failed_at, last_error, expires_at",
        /* Sorted by bytes as SQLite's BINARY, whatever the locale (a UNION
         * sorts by output columns only: hence the subquery). */
        [STMT_SESSION_CLIENT_IDS] = "SELECT client_id FROM (SELECT client_id FROM tokens"
                                    " WHERE sid = ?1 UNION SELECT client_id FROM auth_codes"
                                    " WHERE sid = ?1) AS c ORDER BY client_id COLLATE \"C\"",
        [STMT_SWEEP_SESSIONS] = PG_SWEEP("sessions", "id_hash"),
        [STMT_SWEEP_AUTH_CODES] = PG_SWEEP("auth_codes", "code_hash"),
        [STMT_SWEEP_USED_CODES] = PG_SWEEP("used_codes", "code_hash"),
        [STMT_SWEEP_TOKENS] = PG_SWEEP("tokens", "token_hash"),
        [STMT_SWEEP_CONSENTS] = PG_SWEEP("consents", "user_id, client_id"),
        [STMT_SWEEP_LOGIN_ATTEMPTS] = PG_SWEEP("login_attempts", "key"),
        [STMT_SWEEP_USED_JTIS] = PG_SWEEP("used_jtis", "client_id, jti"),
        [STMT_SWEEP_DEVICE_CODES] = PG_SWEEP("device_codes", "device_code_hash"),
        [STMT_SWEEP_VC_NONCES] = PG_SWEEP("vc_nonces", "nonce_hash"),
        [STMT_SWEEP_LOGOUT_DELIVERIES] = PG_SWEEP("logout_deliveries", "id"),
        [STMT_SWEEP_FLOWS] = PG_SWEEP("flow_requests", "challenge_hash"),
};
/* NOLINTEND(bugprone-suspicious-missing-comma) */

const char *
pg_stmt_sql_override(enum store_stmt id)
{
	if ((int)id < 0 || id >= STMT_COUNT)
		return NULL;
	return overrides[id];
}
