/*
 * storage/store.h — the whole storage API of oidcd. SQL lives only in
 * storage/; callers see typed records, never sqlite3 or JSON objects.
 *
 * Threading: a struct store is shared by all threads. Each thread that calls
 * into it gets its own SQLite connection, opened lazily on first use with
 * every statement prepared once, and closed when the thread exits or at
 * store_close(). Nothing else is shared. WAL mode lets readers run beside
 * the one writer; busy_timeout absorbs writer contention.
 *
 * Conventions: functions return enum status; records returned by lookups
 * live in the caller's arena; time is always a parameter (SQL never calls
 * 'now'); single-use records are consumed by one DELETE ... RETURNING; every
 * multi-row write is one transaction.
 *
 * To add a table: add a numbered migration in migrate.c (never edit an old
 * one), a record struct and functions here, statement ids in store_internal.h
 * with their SQL in store.c, and a test in the matching *_test.c against
 * ":memory:".
 */
#ifndef STORAGE_STORE_H
#define STORAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"

struct store;

struct store_options {
	bool synchronous_full; /* PRAGMA synchronous=FULL (else NORMAL) */
	int busy_timeout_ms;   /* 0 = default 5000 */
	bool read_only;        /* open without creating or migrating (CLI inspection) */
};

/*
 * Opens (creating when missing, unless read_only) the database at path
 * (":memory:" for tests: then all threads share one connection) and checks
 * it: ST_INVALID "not an SQLite database" for any other file, which is left
 * untouched; ST_UNSUPPORTED "database schema version N is newer than this
 * oidcd (M)" for a newer schema; ST_NOT_FOUND for a missing file when
 * read_only; ST_IO when it cannot be opened; ST_CONFLICT while store_restore
 * replaces the file. opts may be NULL (defaults). A file store holds a shared
 * flock(2) on its file until store_close (see store_restore).
 * The connection opened here becomes the calling thread's. Does NOT
 * migrate: call store_migrate().
 *
 * path may also be a URL: "sqlite:PATH" is the file PATH; a
 * "postgres://" or "postgresql://" URL (libpq's syntax) selects the
 * PostgreSQL backend (issue 10): one server connection per thread, the
 * same semantics; ST_IO when the server cannot be reached. read_only is
 * not enforced there beyond refusing to migrate.
 */
enum status store_open(const char *path, const struct store_options *opts, struct store **out,
                       struct err *err);
/*
 * Closes every connection still open and frees s; NULL is a no-op. It must
 * not run concurrently with any other call on s, nor with the exit of a
 * thread that used s: join the worker threads first (threads that exited
 * have closed their own connections already).
 */
void store_close(struct store *s);
/* The path given to store_open (owned by s); for a URL, without its password. */
const char *store_path(const struct store *s);
/* True when path names a PostgreSQL database (postgres:// or postgresql://). */
bool store_path_is_pg(const char *path);

/*
 * Applies pending migrations, each in its own transaction; safe when several
 * processes migrate the same file at once. *applied_out (may be NULL) gets
 * how many this call applied. ST_UNSUPPORTED for a newer schema, or when
 * migrations are pending on a read_only store.
 */
enum status store_migrate(struct store *s, int *applied_out, struct err *err);
/* Current PRAGMA user_version and the newest this binary knows. */
enum status store_schema_version(struct store *s, int *current_out, struct err *err);
int store_schema_latest(void);
/*
 * A read snapshot: the lookups the calling thread makes between
 * store_read_begin and store_read_end share one read transaction, so they
 * see one consistent state and pay SQLite's WAL read locks (fcntl calls)
 * once instead of once per statement. Only lookups may run in between, on
 * the same thread. Inside a store_write fn (or a snapshot already open)
 * both are no-ops. store_read_end is safe after a failed begin.
 * PostgreSQL: no-ops (each lookup reads committed data; see store.c).
 */
enum status store_read_begin(struct store *s, struct err *err);
void store_read_end(struct store *s);
/*
 * SQLite files: a process keeps one read transaction open at the newest
 * snapshot (the read anchor, read_anchor.c) so that the short read
 * transactions of its threads share its WAL read lock instead of taking
 * one with fcntl(2) each. It moves with every commit of the process and at
 * least every 100 ms. store_anchor_expire drops it when nobody moved it for
 * idle_ms, so that an idle process does not hold back another process's
 * checkpoints; a server calls it about once a second. No-op for other
 * stores. store_anchor_is_held: for tests.
 */
void store_anchor_expire(struct store *s, int64_t idle_ms);
bool store_anchor_is_held(struct store *s);

/*
 * Online backup (backup.c): copies the database of s, as one consistent
 * snapshot, to path with SQLite's backup API while other connections and
 * processes keep writing (WAL: the copy's read blocks no writer). The copy
 * is written to "<path>.tmp", fsync'd and only then moved to path, so path
 * never holds a partial file. ST_CONFLICT when path exists and !overwrite;
 * ST_INVALID for ":memory:". PostgreSQL: backup, integrity check and
 * restore are ST_UNSUPPORTED (use pg_dump / pg_restore).
 */
enum status store_backup(struct store *s, const char *path, bool overwrite, struct err *err);
/* PRAGMA integrity_check: ST_OK for "ok", else ST_INVALID with the first problem. */
enum status store_integrity_check(struct store *s, struct err *err);
/*
 * Replaces the database file db_path with the backup at backup_path, which
 * must pass store_open's checks (an SQLite file whose schema is not newer
 * than this binary's: ST_INVALID / ST_UNSUPPORTED) and the integrity check
 * (ST_INVALID). ST_CONFLICT while any store has db_path open (every
 * store_open holds a shared flock(2) on its file; this takes it
 * exclusively). Copies through "<db_path>.tmp" and a rename; stale -wal and
 * -shm files of the old database are removed.
 */
enum status store_restore(const char *backup_path, const char *db_path, struct err *err);

/* Cheap readiness probe: the calling thread's connection reads the file. ST_IO if not. */
enum status store_ping(struct store *s, struct err *err);

/* ---- signing keys (table keys) ---- */

struct store_key {
	const char *kid;
	const char *alg; /* JOSE name, e.g. "RS256" */
	int64_t created_at;
	int64_t usable_from;
	const unsigned char *sealed; /* private key, sealed (crypto/seal.h) */
	size_t sealed_len;
	const char *public_jwk; /* JSON text */
};

/* Inserts one key. ST_CONFLICT when the kid exists. */
enum status store_key_insert(struct store *s, const struct store_key *key, struct err *err);
/*
 * All keys, oldest usable_from first (then created_at, kid); array, strings
 * and blobs in the arena. *out is NULL when there are none.
 */
enum status store_key_list(struct store *s, struct arena *arena, struct store_key **out,
                           size_t *count_out, struct err *err);
/* Deletes one key (its publication ended). ST_NOT_FOUND when absent. */
enum status store_key_delete(struct store *s, const char *kid, struct err *err);
/* Replaces the sealed blob of one key (a rotation of secrets.system). ST_NOT_FOUND when absent. */
enum status store_key_reseal(struct store *s, const char *kid, const unsigned char *sealed,
                             size_t sealed_len, struct err *err);

/*
 * A cheap change counter for the keys table: changes whenever any instance
 * inserts or deletes a key, so a server can poll it and reload only then.
 */
enum status store_key_generation(struct store *s, int64_t *gen_out, struct err *err);

/* ---- OAuth 2.0 clients (table clients) ---- */

/*
 * A registered client. metadata is the validated client document as JSON
 * text (server/client_metadata.c owns its shape); storage keeps it opaque.
 * Secrets and registration tokens are never stored: only hashes.
 */
struct store_client {
	const char *id;
	/* NULL for public clients; "hmac:<b64url>" or a "$scrypt$" string */
	const char *secret_hash;
	/* HMAC-SHA-256 (32 bytes) or NULL: no RFC 7592 access */
	const unsigned char *reg_token_hash;
	const char *metadata; /* JSON text */
	int64_t created_at;
	int64_t updated_at;
};

/* Inserts a client. ST_CONFLICT when the id exists. */
enum status store_client_insert(struct store *s, const struct store_client *c, struct err *err);

/* Looks a client up by id; strings in the arena. ST_NOT_FOUND when absent. */
enum status store_client_get(struct store *s, const char *id, struct arena *arena,
                             struct store_client *out, struct err *err);

/*
 * Replaces metadata and updated_at of an existing client in one statement.
 * secret_hash / reg_token_hash: NULL keeps the stored value; to clear one
 * pass clear_secret / clear_reg_token. When expect_reg_token_hash is
 * non-NULL the update happens only if the stored registration token hash
 * still equals it (RFC 7592 token rotation without a race: a concurrent PUT
 * with the same token loses). ST_NOT_FOUND when the client is gone (or the
 * expected token no longer matches).
 */
struct store_client_update {
	const char *metadata;
	int64_t updated_at;
	const char *secret_hash;
	bool clear_secret;
	const unsigned char *reg_token_hash;
	bool clear_reg_token;
	const unsigned char *expect_reg_token_hash;
};
enum status store_client_update(struct store *s, const char *id,
                                const struct store_client_update *u, struct err *err);

/*
 * Deletes a client and, through foreign keys, everything issued to it.
 * When expect_reg_token_hash is non-NULL, only if it still matches.
 * ST_NOT_FOUND when absent.
 */
enum status store_client_delete(struct store *s, const char *id,
                                const unsigned char *expect_reg_token_hash, struct err *err);

/*
 * One page of clients ordered by id, starting after after_id (NULL = from
 * the start), at most limit rows (1..1000, else ST_INVALID). *more_out
 * tells whether rows follow; the last id of the page is the next after_id.
 * Array and strings in the arena; *out is NULL when the page is empty.
 */
enum status store_client_list(struct store *s, const char *after_id, size_t limit,
                              struct arena *arena, struct store_client **out, size_t *count_out,
                              bool *more_out, struct err *err);

/* Number of clients (for X-Total-Count). */
enum status store_client_count(struct store *s, int64_t *count_out, struct err *err);

/*
 * Conventions of the sections below. Hashes (session ids, codes, tokens) are
 * STORE_HASH_LEN bytes, computed by the caller (crypto/): storage never sees
 * a cookie, code or token in the clear. In optional time fields 0 stands for
 * NULL (none / never / not yet), so real times must be positive. Optional
 * strings are NULL when absent. amr values are space-separated (RFC 8176
 * method names), scopes space-separated; storage keeps both opaque.
 */
#define STORE_HASH_LEN 32

/* ---- users (table users) ---- */

/*
 * An account of the built-in user store. username is unique without regard
 * to ASCII case ("Alice" and "alice" are one user); lookups by username
 * ignore ASCII case too, and the record keeps the spelling it was stored
 * with. claims is a JSON object of the OIDC Core §5.1 standard claims as
 * text (server/ owns its shape); storage keeps it opaque.
 */
struct store_user {
	const char *id; /* opaque and stable (e.g. a UUIDv4 chosen by the caller) */
	const char *username;
	const char *password_hash; /* "$scrypt$..." (crypto/secret.h) */
	const char *claims;        /* JSON object text */
	int64_t created_at;
	int64_t updated_at;
};

/* Inserts a user. ST_CONFLICT when the id or (ignoring ASCII case) the username exists. */
enum status store_user_insert(struct store *s, const struct store_user *u, struct err *err);
/* Looks a user up by id; strings in the arena. ST_NOT_FOUND when absent. */
enum status store_user_get(struct store *s, const char *id, struct arena *arena,
                           struct store_user *out, struct err *err);
/* Looks a user up by username, ignoring ASCII case. ST_NOT_FOUND when absent. */
enum status store_user_get_by_username(struct store *s, const char *username, struct arena *arena,
                                       struct store_user *out, struct err *err);

/* What store_user_update changes: each NULL field keeps the stored value. */
struct store_user_update {
	const char *username; /* ST_CONFLICT when another user has it */
	const char *password_hash;
	const char *claims;
	int64_t updated_at; /* always set */
};
/* Updates one user in one statement. ST_NOT_FOUND when absent. */
enum status store_user_update(struct store *s, const char *id, const struct store_user_update *u,
                              struct err *err);
/*
 * Deletes a user and, through foreign keys, their sessions, consents,
 * authorization codes and tokens. ST_NOT_FOUND when absent.
 */
enum status store_user_delete(struct store *s, const char *id, struct err *err);
/*
 * One page of users ordered by username (ignoring ASCII case), starting
 * after after_username (NULL = from the start), at most limit rows
 * (1..1000, else ST_INVALID); *more_out tells whether rows follow, and the
 * last username of the page is the next after_username. Array and strings
 * in the arena; *out is NULL when the page is empty.
 */
enum status store_user_list(struct store *s, const char *after_username, size_t limit,
                            struct arena *arena, struct store_user **out, size_t *count_out,
                            bool *more_out, struct err *err);
/* Number of users (for X-Total-Count). */
enum status store_user_count(struct store *s, int64_t *count_out, struct err *err);

/* ---- login sessions (table sessions) ---- */

/*
 * A login session: the browser holds a random cookie value, the table its
 * hash (id_hash: an HMAC of the cookie value). sid is the public session id
 * put in ID tokens (OIDC Front/Back-Channel Logout) and used to revoke what
 * the session produced. A session is active while ended_at is 0 and
 * expires_at > now.
 */
struct store_session {
	const unsigned char *id_hash; /* STORE_HASH_LEN bytes */
	const char *sid;
	const char *user_id;
	int64_t auth_time;
	const char *amr;
	const char *acr;
	int64_t created_at;
	int64_t expires_at;
	int64_t ended_at; /* 0 = not ended */
};

/*
 * Inserts a session. ST_CONFLICT when id_hash or sid exists; ST_INVALID
 * when the user does not exist.
 */
enum status store_session_insert(struct store *s, const struct store_session *sess,
                                 struct err *err);
/* The active session with this id_hash at now. ST_NOT_FOUND when absent, ended or expired. */
enum status store_session_get_active(struct store *s, const unsigned char *id_hash, int64_t now,
                                     struct arena *arena, struct store_session *out,
                                     struct err *err);
/* The session with this sid, whatever its state (the caller checks ended_at, expires_at). */
/* The active sessions of a user at now (at most 1000); array in the arena, NULL when none. */
enum status store_session_list_user(struct store *s, const char *user_id, int64_t now,
                                    struct arena *arena, struct store_session **out,
                                    size_t *count_out, struct err *err);
enum status store_session_get_by_sid(struct store *s, const char *sid, struct arena *arena,
                                     struct store_session *out, struct err *err);
/*
 * Ends the active session with this id_hash (ended_at = now) in one
 * statement and returns it as it is now (out may be NULL, and arena with
 * it). ST_NOT_FOUND when there is no active session with that hash.
 */
enum status store_session_end(struct store *s, const unsigned char *id_hash, int64_t now,
                              struct arena *arena, struct store_session *out, struct err *err);
/*
 * Ends every active session of a user (ended_at = now) in one statement;
 * *sids_out gets their sids (array and strings in the arena, NULL when
 * none), for revoking their tokens. Either out-pointer may be NULL (arena
 * too, when sids_out is).
 */
enum status store_session_end_user(struct store *s, const char *user_id, int64_t now,
                                   struct arena *arena, const char ***sids_out, size_t *count_out,
                                   struct err *err);

/*
 * headless mode, extend_session_lifespan (issue 8): the active session with
 * this id_hash at now expires at expires_at from now on, in one UPDATE.
 * ST_NOT_FOUND when there is no active session with that hash.
 */
enum status store_session_extend(struct store *s, const unsigned char *id_hash, int64_t now,
                                 int64_t expires_at, struct err *err);

/* ---- consents (table consents) ---- */

/* The scopes a user granted a client; one row per (user, client). */
struct store_consent {
	const char *user_id;
	const char *client_id;
	const char *scopes; /* space-separated, sorted (the caller sorts and merges) */
	int64_t granted_at;
	int64_t expires_at; /* 0 = never */
	/* headless mode (Hydra's oAuth2ConsentSession): the consent request the app was shown
	 * and its accept body (grant_scope, audience, session, ...), JSON; NULL otherwise */
	const char *request;
	const char *result;
};

/*
 * Inserts or replaces the consent of (user_id, client_id) in one statement.
 * ST_INVALID when the user or the client does not exist.
 */
enum status store_consent_upsert(struct store *s, const struct store_consent *c, struct err *err);
/* The consent of (user_id, client_id) unless it expired at now. ST_NOT_FOUND otherwise. */
enum status store_consent_get(struct store *s, const char *user_id, const char *client_id,
                              int64_t now, struct arena *arena, struct store_consent *out,
                              struct err *err);
/* Forgets the consent of (user_id, client_id). ST_NOT_FOUND when there was none. */
enum status store_consent_delete(struct store *s, const char *user_id, const char *client_id,
                                 struct err *err);

/* ---- authorization codes (tables auth_codes, used_codes) ---- */

/* What an authorization code stands for (RFC 6749 §4.1.2, OIDC Core §3.1.2.5). */
struct store_code {
	const unsigned char *code_hash; /* STORE_HASH_LEN bytes */
	const char *client_id;
	const char *user_id;
	const char *sid; /* the login session, or NULL */
	const char *redirect_uri;
	const char *scope;
	const char *nonce;
	const char *code_challenge;        /* RFC 7636, or NULL */
	const char *code_challenge_method; /* "S256", or NULL */
	int64_t auth_time;                 /* 0 = none */
	const char *acr;
	const char *amr;
	const char *claims; /* the OIDC Core §5.5 claims request as JSON text, or NULL */
	int64_t created_at;
	int64_t expires_at;
	/* headless mode: the consent app's session ({"id_token":{..},"access_token":{..}}), or NULL
	 */
	const char *session;
};

/*
 * Inserts a code. ST_CONFLICT when the hash exists; ST_INVALID when the
 * client or the user does not exist.
 */
enum status store_code_insert(struct store *s, const struct store_code *code, struct err *err);
/*
 * Consumes a code: one DELETE ... RETURNING takes it when it has not
 * expired at now, and in the same transaction used_codes remembers its hash
 * with grant_id (the id the caller gives every token it issues from this
 * code) until used_expires_at (at least the lifetime of those tokens).
 * ST_NOT_FOUND when unknown, expired or already consumed: of concurrent
 * consumers exactly one gets ST_OK (RFC 6749 §4.1.2: single use). Insert the
 * tokens in the same store_write fn, so that a replay which finds the used
 * code also finds the tokens to revoke.
 */
enum status store_code_consume(struct store *s, const unsigned char *code_hash, int64_t now,
                               const char *grant_id, int64_t used_expires_at, struct arena *arena,
                               struct store_code *out, struct err *err);
/*
 * For a code that was consumed already (a replay, RFC 6749 §4.1.2): the
 * grant_id given to store_code_consume, in the arena, so the caller can
 * revoke every token issued from the code. ST_NOT_FOUND when the code was
 * never consumed or is remembered no longer at now.
 */
enum status store_code_used_grant(struct store *s, const unsigned char *code_hash, int64_t now,
                                  struct arena *arena, const char **grant_id_out, struct err *err);

/* ---- access and refresh tokens (table tokens) ---- */

enum store_token_kind {
	STORE_TOKEN_ACCESS,
	STORE_TOKEN_REFRESH,
};

/*
 * An issued token. grant_id is shared by every token of one authorization
 * (one code and the refresh family it starts, or one client_credentials
 * grant), so a grant is revoked as a whole. A token is active while
 * revoked_at is 0 and expires_at > now.
 */
struct store_token {
	const unsigned char *token_hash; /* STORE_HASH_LEN bytes */
	enum store_token_kind kind;
	const char *grant_id;
	const char *client_id;
	const char *user_id; /* NULL for client_credentials */
	const char *sid;     /* the login session, or NULL */
	const char *scope;
	int64_t auth_time; /* 0 = none */
	const char *acr;
	const char *amr;
	const char *claims; /* the claims request (JSON text, for /userinfo) or NULL */
	int64_t created_at;
	int64_t expires_at;
	int64_t revoked_at;  /* 0 = not revoked */
	const char *session; /* headless mode: the consent app's session JSON, or NULL */
};

/*
 * Inserts n >= 1 tokens (an access token and its optional refresh token)
 * all or none, in one transaction. ST_CONFLICT when a hash exists;
 * ST_INVALID when the client or the user does not exist.
 */
enum status store_token_insert(struct store *s, const struct store_token *tokens, size_t n,
                               struct err *err);
/* The active token with this hash at now. ST_NOT_FOUND when absent, revoked or expired. */
enum status store_token_get_active(struct store *s, const unsigned char *token_hash, int64_t now,
                                   struct arena *arena, struct store_token *out, struct err *err);
/*
 * /userinfo's three lookups in one statement (one snapshot, no explicit
 * transaction): the active token of token_hash as store_token_get_active,
 * and the user and client it belongs to. user gets id, username, claims,
 * created_at and updated_at (never the password hash); client gets id,
 * metadata, created_at and updated_at (no secret or token hash). Their id
 * is NULL when the token has no user or the user or client is gone.
 * ST_NOT_FOUND when the token is absent, revoked or expired.
 */
enum status store_token_get_with_owners(struct store *s, const unsigned char *token_hash,
                                        int64_t now, struct arena *arena, struct store_token *t,
                                        struct store_user *user, struct store_client *client,
                                        struct err *err);
/* The token with this hash whatever its state (to tell reuse from garbage). ST_NOT_FOUND when
 * absent. */
enum status store_token_get(struct store *s, const unsigned char *token_hash, struct arena *arena,
                            struct store_token *out, struct err *err);
/*
 * Rotation of a refresh token (RFC 6749 §6, §10.4): one UPDATE ... RETURNING
 * revokes the active refresh token with this hash at now and returns it, so
 * of concurrent presentations exactly one gets ST_OK. ST_NOT_FOUND when it
 * is unknown, not a refresh token, expired or revoked (used) already.
 */
enum status store_token_consume_refresh(struct store *s, const unsigned char *token_hash,
                                        int64_t now, struct arena *arena, struct store_token *out,
                                        struct err *err);
/*
 * *out: the grant still has an active refresh token at now (its family was
 * rotated, not revoked: what a refresh grace period needs to know).
 */
enum status store_token_grant_has_refresh(struct store *s, const char *grant_id, int64_t now,
                                          bool *out, struct err *err);
/* Revokes one token (revoked_at = now). ST_NOT_FOUND when absent or revoked already. */
enum status store_token_revoke(struct store *s, const unsigned char *token_hash, int64_t now,
                               struct err *err);
/*
 * Revokes every token of a grant not revoked yet, in one statement;
 * *count_out (may be NULL) gets how many. No such token is not an error.
 */
enum status store_token_revoke_grant(struct store *s, const char *grant_id, int64_t now,
                                     int64_t *count_out, struct err *err);
/* The same for every token issued in the login session sid. */
enum status store_token_revoke_sid(struct store *s, const char *sid, int64_t now,
                                   int64_t *count_out, struct err *err);

/*
 * How many storage operations failed for the database's own reasons (I/O,
 * corruption, busy beyond the timeout) since the process started: metrics.
 */
unsigned long long store_error_count(void);

/* ---- headless mode: login, consent and logout requests (table flow_requests) ---- */

enum store_flow_kind {
	STORE_FLOW_LOGIN = 0,
	STORE_FLOW_CONSENT,
	STORE_FLOW_LOGOUT
};
enum store_flow_status {
	STORE_FLOW_PENDING = 0, /* handed to the app, not answered */
	STORE_FLOW_ACCEPTED,
	STORE_FLOW_REJECTED,
	STORE_FLOW_USED, /* its verifier came back: over */
};

struct store_flow {
	const unsigned char *challenge_hash; /* STORE_HASH_LEN bytes */
	enum store_flow_kind kind;
	const unsigned char *verifier_hash; /* set when answered, else NULL */
	const unsigned char *binding_hash;  /* the browser's CSRF cookie, hashed */
	enum store_flow_status status;
	const char *request; /* JSON: what the app is shown, and what the flow needs back */
	const char *result;  /* JSON: the app's accept or reject body, or NULL */
	int64_t created_at;
	int64_t expires_at;
};

/* Inserts a pending request. ST_CONFLICT when the challenge hash exists. */
enum status store_flow_insert(struct store *s, const struct store_flow *f, struct err *err);
/* The request of this kind with this challenge hash, whatever its state. ST_NOT_FOUND when none. */
enum status store_flow_get(struct store *s, const unsigned char *challenge_hash,
                           enum store_flow_kind kind, struct arena *arena, struct store_flow *out,
                           struct err *err);
/*
 * The app's answer (status ACCEPTED or REJECTED, result, verifier hash) to
 * the pending, unexpired request: one conditional UPDATE, so a request is
 * answered once. ST_NOT_FOUND when it is not pending any more or expired.
 */
enum status store_flow_decide(struct store *s, const unsigned char *challenge_hash,
                              enum store_flow_kind kind, int64_t now, enum store_flow_status status,
                              const char *result, const unsigned char *verifier_hash,
                              struct err *err);
/*
 * Takes the answered, unexpired request of this kind with this verifier
 * hash for the browser with this binding (status becomes USED) in one
 * UPDATE ... RETURNING: a verifier works once, in its own browser.
 * ST_NOT_FOUND otherwise.
 */
enum status store_flow_consume(struct store *s, const unsigned char *verifier_hash,
                               enum store_flow_kind kind, const unsigned char *binding_hash,
                               int64_t now, struct arena *arena, struct store_flow *out,
                               struct err *err);
/*
 * Makes sure a user row exists for an external subject (headless mode: the
 * login app's users), so sessions, codes and tokens can refer to it; an
 * existing row (a built-in user with that id) is kept as it is.
 */
enum status store_user_ensure(struct store *s, const char *id, const char *username, int64_t now,
                              struct err *err);
/* The unexpired consents of a user at now, oldest first; array in the arena (NULL when none). */
enum status store_consent_list(struct store *s, const char *user_id, int64_t now,
                               struct arena *arena, struct store_consent **out, size_t *count_out,
                               struct err *err);
/* Deletes every consent of a user. */
enum status store_consent_delete_user(struct store *s, const char *user_id, struct err *err);

/*
 * headless mode, force_subject_identifier (issue 8; table forced_subjects):
 * the subject a login app forced for user_id at a pairwise client. One per
 * (client, user): a later one replaces it. ST_INVALID when the client or
 * the user does not exist.
 */
enum status store_forced_subject_put(struct store *s, const char *client_id, const char *user_id,
                                     const char *subject, int64_t now, struct err *err);
/* The forced subject of user_id at client_id, in the arena. ST_NOT_FOUND when none. */
enum status store_forced_subject_get(struct store *s, const char *client_id, const char *user_id,
                                     struct arena *arena, const char **out, struct err *err);

/* ---- device authorization grants (RFC 8628; table device_codes) ---- */

enum store_device_status {
	STORE_DEVICE_PENDING = 0, /* waiting for the user */
	STORE_DEVICE_APPROVED,    /* the user allowed it: the next poll gets tokens */
	STORE_DEVICE_DENIED,      /* the user refused */
	STORE_DEVICE_CONSUMED,    /* tokens were issued: further polls are replays */
};

struct store_device {
	const unsigned char *device_code_hash; /* STORE_HASH_LEN bytes */
	const unsigned char *user_code_hash;   /* STORE_HASH_LEN bytes */
	const char *client_id;
	const char *scope;    /* granted once approved */
	const char *grant_id; /* of the tokens it produces (revoked on replay) */
	enum store_device_status status;
	int64_t interval_secs; /* minimum seconds between polls (RFC 8628 §3.5 slow_down adds 5) */
	int64_t last_poll_ms;  /* 0 = never polled */
	/* set when decided */
	const char *user_id;
	const char *sid;
	int64_t auth_time;
	const char *acr;
	const char *amr;
	int64_t created_at;
	int64_t expires_at;
};

/*
 * Inserts a pending grant. ST_CONFLICT when either hash exists (a user code
 * collision: draw another); ST_INVALID when the client does not exist.
 */
enum status store_device_insert(struct store *s, const struct store_device *d, struct err *err);
/* The grant with this device code hash, whatever its state. ST_NOT_FOUND when absent. */
enum status store_device_get(struct store *s, const unsigned char *device_code_hash,
                             struct arena *arena, struct store_device *out, struct err *err);
/* The grant with this user code hash, whatever its state. ST_NOT_FOUND when absent. */
enum status store_device_get_by_user_code(struct store *s, const unsigned char *user_code_hash,
                                          struct arena *arena, struct store_device *out,
                                          struct err *err);
/*
 * The user's decision on the pending, unexpired grant with this user code
 * (status APPROVED or DENIED; the user fields of d are recorded). One
 * conditional UPDATE: ST_NOT_FOUND when it is not pending any more (decided
 * in another tab), expired or unknown.
 */
enum status store_device_decide(struct store *s, const unsigned char *user_code_hash, int64_t now,
                                const struct store_device *d, struct err *err);
/* Records a poll of a pending grant at now_ms, with its (possibly raised) interval. */
enum status store_device_poll(struct store *s, const unsigned char *device_code_hash,
                              int64_t now_ms, int64_t interval_secs, struct err *err);
/*
 * Takes the approved, unexpired grant of client_id with this device code
 * hash (status becomes CONSUMED) in one UPDATE ... RETURNING: of concurrent
 * polls exactly one gets ST_OK. ST_NOT_FOUND otherwise (look with
 * store_device_get to tell why).
 */
enum status store_device_consume(struct store *s, const unsigned char *device_code_hash,
                                 const char *client_id, int64_t now, struct arena *arena,
                                 struct store_device *out, struct err *err);

/* ---- login throttling (table login_attempts) ---- */

/*
 * Failed logins per key ("user:<name>", "ip:<addr>"). Failures are counted
 * from the first one of a window; past free_failures each further failure
 * locks the key for base_lock_secs, doubling per failure up to
 * max_lock_secs (e.g. 60, 5, 1, 900: five failures a minute, then 1 s,
 * 2 s, 4 s, ...). The count starts over once window_secs have passed since
 * both the window's start and the end of the last lock.
 */
struct store_throttle_policy {
	int64_t window_secs;    /* >= 1 */
	int64_t free_failures;  /* >= 0 */
	int64_t base_lock_secs; /* >= 1 */
	int64_t max_lock_secs;  /* >= base_lock_secs */
};

/* The state of a key; all 0 for a key without failures. Locked while locked_until > now. */
struct store_throttle {
	int64_t failures;
	int64_t window_start;
	int64_t locked_until;
};

/*
 * Records one failure of key at now under policy, in one transaction, and
 * returns the new state (out may be NULL). ST_INVALID for a policy outside
 * the bounds above.
 */
enum status store_throttle_fail(struct store *s, const char *key, int64_t now,
                                const struct store_throttle_policy *policy,
                                struct store_throttle *out, struct err *err);
/* The state of key at now: all 0 when it has none, or when its window and lock have passed. */
enum status store_throttle_get(struct store *s, const char *key, int64_t now,
                               struct store_throttle *out, struct err *err);
/* Forgets key's failures (after a successful login). A key without failures is not an error. */
enum status store_throttle_clear(struct store *s, const char *key, struct err *err);
/* Pure: how long the failures-th failure of a window locks the key (0 up to free_failures). */
int64_t store_throttle_lock_secs(const struct store_throttle_policy *policy, int64_t failures);

/* ---- client assertion ids (table used_jtis) ---- */

/*
 * Records that client_id used the assertion id jti (RFC 7523 §3 item 7:
 * single use), remembered until expires_at. ST_CONFLICT when the pair was
 * recorded already and has not expired at now; an expired record is taken
 * over. One statement, so of concurrent uses exactly one gets ST_OK.
 */
enum status store_jti_use(struct store *s, const char *client_id, const char *jti,
                          int64_t expires_at, int64_t now, struct err *err);

/* ---- verifiable credentials (tables vc_nonces, issued_credentials) ---- */

/*
 * A c_nonce (OpenID Connect UserInfo VC draft 00) handed to the holder of
 * one access token: only its hash is stored, bound to the token's hash.
 * ST_CONFLICT when the nonce hash exists.
 */
enum status store_vc_nonce_insert(struct store *s, const unsigned char *nonce_hash,
                                  const unsigned char *token_hash, int64_t expires_at,
                                  struct err *err);
/*
 * Consumes a nonce: one DELETE ... RETURNING takes it when it was handed
 * out for token_hash and has not expired at now. ST_NOT_FOUND when unknown,
 * bound to another token, expired or consumed already: of concurrent
 * consumers exactly one gets ST_OK (single use).
 */
enum status store_vc_nonce_consume(struct store *s, const unsigned char *nonce_hash,
                                   const unsigned char *token_hash, int64_t now, struct err *err);

/* The audit record of one issued verifiable credential. */
struct store_credential {
	const char *jti;
	const char *subject;        /* the sub in credentialSubject (what the client sees) */
	const char *user_id;        /* the local user */
	const char *client_id;      /* the client whose access token asked */
	const char *key_thumbprint; /* RFC 7638 of the holder's key (the did:jwk) */
	int64_t iat;
	int64_t exp;
};

/* Records one issued credential. ST_CONFLICT when the jti exists. */
enum status store_credential_insert(struct store *s, const struct store_credential *c,
                                    struct err *err);
/*
 * The credentials issued to subject (matched against subject or user_id),
 * newest first, at most limit (1..1000, else ST_INVALID); *more_out (may be
 * NULL) tells whether more follow. Array and strings in the arena; *out is
 * NULL when there are none.
 */
enum status store_credential_list(struct store *s, const char *subject, size_t limit,
                                  struct arena *arena, struct store_credential **out,
                                  size_t *count_out, bool *more_out, struct err *err);
/* ---- back-channel logout outbox (table logout_deliveries) ---- */

/*
 * One logout token to POST to a client's backchannel_logout_uri (OIDC
 * Back-Channel Logout 1.0 §2.5). Written in the transaction that ends the
 * session, so a logout that happened is never forgotten; deleted once
 * delivered. Pending while failed_at is 0; due once next_attempt_at_ms
 * (Unix milliseconds) has passed. The token is opaque to storage.
 */
struct store_logout_delivery {
	const char *id; /* the logout token's jti */
	const char *sid;
	const char *client_id;
	const char *uri;
	const char *logout_token;
	int64_t created_at;
	int64_t attempts; /* deliveries tried so far */
	int64_t next_attempt_at_ms;
	int64_t failed_at;      /* 0 = pending; else when the delivery gave up */
	const char *last_error; /* why the last attempt failed, or NULL */
	int64_t expires_at;     /* swept afterwards, delivered or not */
};

/* Inserts a delivery. ST_CONFLICT when the id exists; ST_INVALID when the client does not. */
enum status store_logout_delivery_insert(struct store *s, const struct store_logout_delivery *d,
                                         struct err *err);
/*
 * Claims up to limit (1..1000) pending deliveries due at now_ms: in one
 * statement their due time moves to now_ms + lease_ms (> 0), so no other
 * worker (thread or oidcd instance on the same database) takes them while
 * the lease runs, and one whose worker died is due again when it ends.
 * Record each outcome with _done, _retry or _release before then (the lease
 * must outlast the deliveries). Oldest first (created_at, id);
 * next_attempt_at_ms of a returned row is its lease's end. Array and
 * strings in the arena, *out NULL when none.
 */
enum status store_logout_delivery_claim(struct store *s, int64_t now_ms, int64_t lease_ms,
                                        size_t limit, struct arena *arena,
                                        struct store_logout_delivery **out, size_t *count_out,
                                        struct err *err);
/*
 * Gives back a claimed delivery that was not attempted (shutdown): due
 * again at at_ms, attempts unchanged. ST_NOT_FOUND when absent or given up.
 */
enum status store_logout_delivery_release(struct store *s, const char *id, int64_t at_ms,
                                          struct err *err);
/* When the earliest pending delivery is due (ms). ST_NOT_FOUND when none is pending. */
/* How many deliveries are pending and how many gave up (metrics). */
enum status store_logout_delivery_counts(struct store *s, int64_t *pending_out, int64_t *failed_out,
                                         struct err *err);
enum status store_logout_delivery_next_due(struct store *s, int64_t *at_ms_out, struct err *err);
/* Forgets a delivered one. ST_NOT_FOUND when absent. */
enum status store_logout_delivery_done(struct store *s, const char *id, struct err *err);
/*
 * Records a failed attempt of a pending delivery: attempts + 1, error kept,
 * and either a new due time (next_attempt_at_ms > 0) or, with 0, gives up
 * (failed_at = now). ST_NOT_FOUND when absent or given up already.
 */
enum status store_logout_delivery_retry(struct store *s, const char *id, int64_t now,
                                        int64_t next_attempt_at_ms, const char *error,
                                        struct err *err);
/* How many deliveries of the login session sid are still pending. */
enum status store_logout_delivery_pending_sid(struct store *s, const char *sid, int64_t *count_out,
                                              struct err *err);
/*
 * Every delivery still kept (pending and given up), oldest first, at most
 * limit (1..1000, else ST_INVALID); array and strings in the arena.
 */
enum status store_logout_delivery_list(struct store *s, size_t limit, struct arena *arena,
                                       struct store_logout_delivery **out, size_t *count_out,
                                       struct err *err);
/*
 * The ids of the clients the login session sid issued codes or tokens to
 * (its relying parties, for front- and back-channel logout), sorted;
 * array and strings in the arena, *ids_out NULL when none.
 */
enum status store_session_client_ids(struct store *s, const char *sid, struct arena *arena,
                                     const char ***ids_out, size_t *count_out, struct err *err);

/* ---- housekeeping ---- */

/*
 * Deletes expired rows, at most batch_limit (>= 1, else ST_INVALID) per
 * table, in one transaction: sessions, authorization codes, used codes and
 * tokens whose expires_at <= now (ended and revoked ones too, once
 * expired), consents that expired, throttle state whose window and
 * lock have passed, used assertion ids and credential nonces that expired. *deleted_out
 * lock have passed, used assertion ids and logout deliveries that expired. *deleted_out
 * gets the total; call again until it is 0.
 */
enum status store_sweep(struct store *s, int64_t now, int64_t batch_limit, int64_t *deleted_out,
                        struct err *err);

/* ---- durable writes, batched (group commit) ---- */

/*
 * With synchronous=FULL every COMMIT costs an fsync. Requests that write
 * therefore hand their write to one writer thread, which runs every queued
 * write in one transaction (each in its own SAVEPOINT, so a failing write
 * undoes only itself), commits once, and then reports to each submitter.
 * Each request is answered only after its write is durable, and N
 * concurrent writes share one fsync.
 *
 * fn runs on the writer thread (or inline, see store_write_submit) and may
 * call any store_* function: they use that thread's connection, inside the
 * open transaction. It must not block on anything but the database.
 *
 * The writer takes the whole queue at once, up to 512 writes per batch (the
 * rest waits for the next round), and adds no delay: writes that arrive
 * while a batch commits form the next one. done runs on the writer thread,
 * in submission order, after the COMMIT returned and outside any
 * transaction; like fn it must not block. Neither fn nor done may call
 * store_writer_stop; both may submit (from the writer thread a write runs
 * inline: inside fn it joins the batch as a nested savepoint).
 */
typedef enum status store_write_fn(struct store *s, void *arg, struct err *err);
/* Called once per write after its batch committed (st = fn's status) or failed (ST_IO). */
typedef void store_write_done_fn(void *cls, enum status st, const struct err *err);

struct store_write {
	store_write_fn *fn;
	void *arg;
	store_write_done_fn *done;
	void *done_cls;
	/* fn changes rows with one statement at most: on SQLite the writer runs
	 * it without a savepoint of its own, as SQLite undoes a failed statement
	 * itself (two statements fewer per write). PostgreSQL ignores it: a
	 * failed statement aborts its whole transaction there. */
	bool is_one_statement;
	/* private to storage/ */
	enum status st;
	struct err err;
	bool is_committed; /* its batch committed: durable once the WAL is synced */
	struct store_write *next;
};

/*
 * Starts the writer thread (a server does; CLI commands and tests need not).
 * The thread blocks every asynchronous signal. ST_INVALID when it already runs, ST_IO
 * when it cannot be created.
 */
enum status store_writer_start(struct store *s, struct err *err);
/*
 * Runs what is queued (every done is called), then stops and joins the
 * writer thread; a no-op when none runs. Called by store_close too. Later
 * submissions run inline; store_writer_start may start a new writer.
 */
void store_writer_stop(struct store *s);
/*
 * Counters since store_open, for tests and metrics: writes run by the
 * writer thread, and batches (transactions, each with one COMMIT and so one
 * fsync under synchronous=FULL) it ran them in; writes / batches is the
 * mean batch size. Inline writes are not counted. Either pointer may be NULL.
 */
void store_writer_stats(struct store *s, uint64_t *writes_out, uint64_t *batches_out);

/*
 * Queues w (which must stay valid until its done runs). With the writer
 * running this returns at once and done runs later on the writer thread.
 * Without it, fn runs on the calling thread in its own transaction and done
 * runs before this returns.
 */
void store_write_submit(struct store *s, struct store_write *w);

/* Submits fn and waits for its outcome: fn's status, or ST_IO when the commit failed. */
enum status store_write_sync(struct store *s, store_write_fn *fn, void *arg, struct err *err);

#endif
