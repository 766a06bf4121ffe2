/*
 * storage/migrate.c — numbered schema migrations, tracked by PRAGMA
 * user_version (0 = empty database, N = migrations 1..N applied).
 *
 * API (store.h): store_migrate, store_schema_version, store_schema_latest;
 * store_user_version for store.c (store_internal.h).
 *
 * Invariants:
 * - Each migration runs in its own BEGIN IMMEDIATE transaction, together
 *   with the user_version bump, so it is applied completely or not at all.
 * - user_version is re-read inside that transaction, so two processes that
 *   migrate at once apply each migration exactly once (the second waits on
 *   the write lock, then finds nothing left to do).
 * - A database newer than this binary is refused, never downgraded.
 *
 * To add a migration: append one string to migrations[] below, with a
 * comment saying what it is for. Never edit, reorder or remove an existing
 * entry: databases in the field have run it. Its version is its position
 * (the first entry is version 1), and store_schema_latest() follows. Tables
 * are STRICT; use single quotes for strings (double-quoted strings are
 * disabled). PRAGMA foreign_keys cannot change inside a transaction, so a
 * migration that rebuilds a table follows sqlite.org/lang_altertable.html §7
 * and ends with a foreign_key_check. Then add statements (store_internal.h)
 * and tests.
 */
#include <stdbool.h>
#include <stdio.h>

#include "common/err.h"
#include "storage/db.h"
#include "storage/store.h"
#include "storage/store_internal.h"

#ifdef OIDCD_HAVE_PG
#include "storage/pg_schema.h"
#endif

static const char *const migrations[] = {
        /* 1: signing keys, and meta counters that let every process notice
         * another process's key changes (store_key_generation). */
        "CREATE TABLE keys ("
        " kid TEXT PRIMARY KEY,"
        " alg TEXT NOT NULL,"
        " created_at INTEGER NOT NULL,"
        " usable_from INTEGER NOT NULL,"
        " sealed BLOB NOT NULL,"
        " public_jwk TEXT NOT NULL"
        ") STRICT;"
        "CREATE TABLE meta ("
        " name TEXT PRIMARY KEY,"
        " value INTEGER NOT NULL"
        ") STRICT;"
        "INSERT INTO meta (name, value) VALUES ('keys_generation', 0);"
        "CREATE TRIGGER keys_generation_on_insert AFTER INSERT ON keys BEGIN"
        " UPDATE meta SET value = value + 1 WHERE name = 'keys_generation';"
        " END;"
        "CREATE TRIGGER keys_generation_on_delete AFTER DELETE ON keys BEGIN"
        " UPDATE meta SET value = value + 1 WHERE name = 'keys_generation';"
        " END;"
        "CREATE TRIGGER keys_generation_on_update AFTER UPDATE ON keys BEGIN"
        " UPDATE meta SET value = value + 1 WHERE name = 'keys_generation';"
        " END;",
        /* 2: OAuth 2.0 clients (clients.c). Only hashes of secrets and of
         * registration access tokens; metadata is the client document as
         * JSON text. Tables of things issued to a client reference id with
         * ON DELETE CASCADE, so deleting a client deletes them too. */
        "CREATE TABLE clients ("
        " id TEXT PRIMARY KEY," /* STRICT: implicitly NOT NULL */
        " secret_hash TEXT,"
        " reg_token_hash BLOB CHECK (reg_token_hash IS NULL OR length(reg_token_hash) = 32),"
        " metadata TEXT NOT NULL,"
        " created_at INTEGER NOT NULL,"
        " updated_at INTEGER NOT NULL"
        ") STRICT;",
        /* 3: users, login sessions, consents, authorization codes (and the
         * consumed ones, kept for replay detection: RFC 6749 §4.1.2),
         * access and refresh tokens, login throttling (users.c,
         * sessions.c, grants.c, throttle.c). Only hashes of session
         * cookies, codes and tokens (32 bytes, checked). Every row that
         * outlives its use has an indexed expires_at for sweep.c (for
         * login_attempts: when its window and lock have passed); every
         * foreign key that cascades or is looked up has an index, partial
         * where the column is mostly NULL. Usernames are unique ignoring
         * ASCII case. */
        "CREATE TABLE users ("
        " id TEXT PRIMARY KEY,"
        " username TEXT NOT NULL COLLATE NOCASE UNIQUE,"
        " password_hash TEXT NOT NULL,"
        " claims TEXT NOT NULL,"
        " created_at INTEGER NOT NULL,"
        " updated_at INTEGER NOT NULL"
        ") STRICT;"
        "CREATE TABLE sessions ("
        " id_hash BLOB PRIMARY KEY CHECK (length(id_hash) = 32),"
        " sid TEXT NOT NULL UNIQUE,"
        " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " auth_time INTEGER NOT NULL,"
        " amr TEXT NOT NULL,"
        " acr TEXT NOT NULL,"
        " created_at INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL,"
        " ended_at INTEGER"
        ") STRICT;"
        "CREATE INDEX sessions_user_id ON sessions (user_id);"
        "CREATE INDEX sessions_expires_at ON sessions (expires_at);"
        "CREATE TABLE consents ("
        " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " scopes TEXT NOT NULL,"
        " granted_at INTEGER NOT NULL,"
        " expires_at INTEGER,"
        " PRIMARY KEY (user_id, client_id)"
        ") STRICT;"
        "CREATE INDEX consents_client_id ON consents (client_id);"
        "CREATE INDEX consents_expires_at ON consents (expires_at) WHERE expires_at IS NOT NULL;"
        "CREATE TABLE auth_codes ("
        " code_hash BLOB PRIMARY KEY CHECK (length(code_hash) = 32),"
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " sid TEXT,"
        " redirect_uri TEXT NOT NULL,"
        " scope TEXT NOT NULL,"
        " nonce TEXT,"
        " code_challenge TEXT,"
        " code_challenge_method TEXT,"
        " auth_time INTEGER,"
        " acr TEXT,"
        " amr TEXT,"
        " claims TEXT,"
        " created_at INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL"
        ") STRICT;"
        "CREATE INDEX auth_codes_client_id ON auth_codes (client_id);"
        "CREATE INDEX auth_codes_user_id ON auth_codes (user_id);"
        "CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);"
        "CREATE TABLE used_codes ("
        " code_hash BLOB PRIMARY KEY CHECK (length(code_hash) = 32),"
        " grant_id TEXT NOT NULL,"
        " expires_at INTEGER NOT NULL"
        ") STRICT;"
        "CREATE INDEX used_codes_expires_at ON used_codes (expires_at);"
        "CREATE TABLE tokens ("
        " token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
        " kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),"
        " grant_id TEXT NOT NULL,"
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " user_id TEXT REFERENCES users(id) ON DELETE CASCADE,"
        " sid TEXT,"
        " scope TEXT NOT NULL,"
        " auth_time INTEGER,"
        " acr TEXT,"
        " amr TEXT,"
        " claims TEXT,"
        " created_at INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL,"
        " revoked_at INTEGER"
        ") STRICT;"
        "CREATE INDEX tokens_grant_id ON tokens (grant_id);"
        "CREATE INDEX tokens_client_id ON tokens (client_id);"
        "CREATE INDEX tokens_user_id ON tokens (user_id) WHERE user_id IS NOT NULL;"
        "CREATE INDEX tokens_sid ON tokens (sid) WHERE sid IS NOT NULL;"
        "CREATE INDEX tokens_expires_at ON tokens (expires_at);"
        "CREATE TABLE login_attempts ("
        " key TEXT PRIMARY KEY,"
        " failures INTEGER NOT NULL,"
        " window_start INTEGER NOT NULL,"
        " locked_until INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL"
        ") STRICT;"
        "CREATE INDEX login_attempts_expires_at ON login_attempts (expires_at);",
        /* 4: client assertion ids already used (private_key_jwt, RFC 7523 §3
         * item 7): kept until the assertion expires (jtis.c). */
        "CREATE TABLE used_jtis ("
        " client_id TEXT NOT NULL,"
        " jti TEXT NOT NULL,"
        " expires_at INTEGER NOT NULL,"
        " PRIMARY KEY (client_id, jti)"
        ") STRICT;"
        "CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);",
        /* 5: device authorization grants (RFC 8628, device.c): the device
         * code and the user code as keyed hashes; status moves pending ->
         * approved | denied -> consumed; kept until expires_at so that a
         * replayed device code is recognised. */
        "CREATE TABLE device_codes ("
        " device_code_hash BLOB PRIMARY KEY CHECK (length(device_code_hash) = 32),"
        " user_code_hash BLOB NOT NULL UNIQUE CHECK (length(user_code_hash) = 32),"
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " scope TEXT NOT NULL,"
        " grant_id TEXT NOT NULL,"
        " status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),"
        " interval_secs INTEGER NOT NULL,"
        " last_poll_ms INTEGER NOT NULL,"
        " user_id TEXT REFERENCES users(id) ON DELETE CASCADE,"
        " sid TEXT,"
        " auth_time INTEGER,"
        " acr TEXT,"
        " amr TEXT,"
        " created_at INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL"
        ") STRICT;"
        "CREATE INDEX device_codes_expires_at ON device_codes (expires_at);"
        "CREATE INDEX device_codes_client_id ON device_codes (client_id);",
        /* 6: verifiable credentials (issue 7, credentials.c): the c_nonce
         * values handed out with access tokens, hashed, bound to the access
         * token's hash and single use; and the audit record of every issued
         * credential (kept: not swept). */
        "CREATE TABLE vc_nonces ("
        " nonce_hash BLOB PRIMARY KEY CHECK (length(nonce_hash) = 32),"
        " token_hash BLOB NOT NULL CHECK (length(token_hash) = 32),"
        " expires_at INTEGER NOT NULL"
        ") STRICT;"
        "CREATE INDEX vc_nonces_expires_at ON vc_nonces (expires_at);"
        "CREATE TABLE issued_credentials ("
        " jti TEXT PRIMARY KEY,"
        " subject TEXT NOT NULL,"
        " user_id TEXT NOT NULL,"
        " client_id TEXT NOT NULL,"
        " key_thumbprint TEXT NOT NULL,"
        " iat INTEGER NOT NULL,"
        " exp INTEGER NOT NULL"
        ") STRICT;"
        "CREATE INDEX issued_credentials_subject ON issued_credentials (subject, iat);"
        "CREATE INDEX issued_credentials_user_id ON issued_credentials (user_id, iat);",
        /* 7: logout (issue 6): the back-channel logout outbox (logout_outbox.c).
         * One row per logout token to POST to a client's
         * backchannel_logout_uri, written in the transaction that ends the
         * session, deleted once delivered; failed_at set when the delivery
         * gave up. Pending rows are found through their due time. */
        "CREATE TABLE logout_deliveries ("
        " id TEXT PRIMARY KEY,"
        " sid TEXT NOT NULL,"
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " uri TEXT NOT NULL,"
        " logout_token TEXT NOT NULL,"
        " created_at INTEGER NOT NULL,"
        " attempts INTEGER NOT NULL,"
        " next_attempt_at_ms INTEGER NOT NULL,"
        " failed_at INTEGER,"
        " last_error TEXT,"
        " expires_at INTEGER NOT NULL"
        ") STRICT;"
        "CREATE INDEX logout_deliveries_due ON logout_deliveries (next_attempt_at_ms)"
        " WHERE failed_at IS NULL;"
        "CREATE INDEX logout_deliveries_sid ON logout_deliveries (sid);"
        "CREATE INDEX logout_deliveries_client_id ON logout_deliveries (client_id);"
        "CREATE INDEX logout_deliveries_expires_at ON logout_deliveries (expires_at);",
        /* 8: headless mode (issue 8, flows.c): login, consent and logout
         * requests handed to the deployment's own app (Hydra's challenge
         * protocol), by the keyed hash of their challenge and, once answered,
         * of their verifier; bound to the browser's CSRF cookie. The session
         * the consent app grants travels with codes and tokens. */
        "CREATE TABLE flow_requests ("
        " challenge_hash BLOB PRIMARY KEY CHECK (length(challenge_hash) = 32),"
        " kind TEXT NOT NULL CHECK (kind IN ('login', 'consent', 'logout')),"
        " verifier_hash BLOB UNIQUE CHECK (verifier_hash IS NULL OR length(verifier_hash) = 32),"
        " binding_hash BLOB NOT NULL CHECK (length(binding_hash) = 32),"
        " status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'used')),"
        " request TEXT NOT NULL,"
        " result TEXT,"
        " created_at INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL"
        ") STRICT;"
        "CREATE INDEX flow_requests_expires_at ON flow_requests (expires_at);"
        "ALTER TABLE auth_codes ADD COLUMN session TEXT;"
        "ALTER TABLE tokens ADD COLUMN session TEXT;",
        /* 9: headless mode, Hydra's consent sessions (issue 8): a remembered
         * consent keeps the consent request the app was shown and what it
         * accepted (session, audience), for listOAuth2ConsentSessions. */
        ("ALTER TABLE consents ADD COLUMN request TEXT;"
         "ALTER TABLE consents ADD COLUMN result TEXT;"),
        /* 10: headless mode, force_subject_identifier (issue 8, flows.c): the
         * pairwise subject a login app forced for a user at a client, which
         * that client's ID tokens and /userinfo keep using (Hydra's
         * obfuscated authentication sessions, one per client and subject). */
        "CREATE TABLE forced_subjects ("
        " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
        " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " subject TEXT NOT NULL,"
        " created_at INTEGER NOT NULL,"
        " PRIMARY KEY (client_id, user_id)"
        ") STRICT;"
        "CREATE INDEX forced_subjects_user_id ON forced_subjects (user_id);",
};

int
store_schema_latest(void)
{
	return (int)(sizeof migrations / sizeof migrations[0]);
}

enum status
store_user_version(struct conn *c, int *version_out, struct err *err)
{
	struct db_stmt *stmt = NULL;
	enum status st;

#ifdef OIDCD_HAVE_PG
	/* PostgreSQL: the schema_version table, which may not exist yet. */
	if (c->backend == DB_PG)
		return pg_schema_version(c->pg, version_out, err);
#endif
	st = store_stmt(c, STMT_USER_VERSION, &stmt, err);
	if (st != ST_OK)
		goto out;
	if (db_step(stmt) != DB_ROW) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	*version_out = (int)db_column_int64(stmt, 0);
	st = ST_OK;
out:
	store_stmt_done(stmt);
	return st;
}

/*
 * Applies the next pending migration in its own transaction, or sets
 * *is_done_out when there is none.
 */
/* Migration version + 1 in the connection's dialect. */
static const char *
migration_sql(const struct conn *c, int version)
{
#ifdef OIDCD_HAVE_PG
	if (c->backend == DB_PG)
		return pg_schema_migration(version);
#else
	(void)c;
#endif
	return migrations[version];
}

static enum status
migrate_next(struct conn *c, bool *is_done_out, struct err *err)
{
	int latest = store_schema_latest();
	bool is_done = false;
	char bump[64];
	enum status st;
	int version = 0;

	st = store_tx_begin(c, err);
	if (st != ST_OK)
		return st;
#ifdef OIDCD_HAVE_PG
	if (c->backend == DB_PG && db_exec(c, PG_SCHEMA_MIGRATE_LOCK) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
#endif
	/* Read under the write lock: another process may have just migrated. */
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
	if (version == latest) {
		is_done = true;
		goto out;
	}
	if (db_exec(c, migration_sql(c, version)) != DB_OK) {
		st = ERR_SET(err, ST_IO, "migration %d: %s", version + 1, db_errmsg(c));
		goto out;
	}
	/* Neither takes parameters here; the value is our own integer. */
#ifdef OIDCD_HAVE_PG
	if (c->backend == DB_PG)
		snprintf(bump, sizeof bump, PG_SCHEMA_RECORD, version + 1);
	else
#endif
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d", version + 1);
	if (db_exec(c, bump) != DB_OK) {
		st = STORE_FAIL(c, err);
		goto out;
	}
	st = store_tx_commit(c, err);
out:
	/* Not after a commit: nested (store_tx_* in store_internal.h), a
	 * rollback would undo the enclosing level. Up to date: nothing to keep. */
	if (st != ST_OK || is_done)
		store_tx_rollback(c);
	if (st == ST_OK)
		*is_done_out = is_done;
	return st;
}

enum status
store_migrate(struct store *s, int *applied_out, struct err *err)
{
	struct conn *c = NULL;
	bool is_done = false;
	int applied = 0;
	enum status st;
	int version = 0;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	/* Up to date is the common case: answer it without the write lock
	 * (and on a read-only store, which cannot take it). */
	st = store_user_version(c, &version, err);
	if (st != ST_OK)
		goto out;
	if (version == store_schema_latest())
		goto out;
	if (s->opts.read_only) {
		st = ERR_SET(err, ST_UNSUPPORTED, "%s: opened read-only, cannot migrate from %d",
		             s->path, version);
		goto out;
	}
	for (;;) {
		st = migrate_next(c, &is_done, err);
		if (st != ST_OK || is_done)
			break;
		applied++;
	}
out:
	store_conn_release(s, c);
	if (st == ST_OK && applied_out != NULL)
		*applied_out = applied;
	return st;
}

enum status
store_schema_version(struct store *s, int *current_out, struct err *err)
{
	struct conn *c = NULL;
	enum status st;

	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	st = store_user_version(c, current_out, err);
	store_conn_release(s, c);
	return st;
}
