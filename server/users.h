/*
 * server/users.h — the user service: create, read, replace, re-password and
 * delete accounts of the built-in user store on behalf of the admin API
 * (/admin/users), the CLI (`oidcd users ...`) and `serve --dev`. Storage is
 * store.h's; this module owns the user document: validation of the OIDC
 * Core §5.1 standard claims, usernames and passwords, ids, password hashes
 * (scrypt) and the JSON shape of a user.
 *
 * A user as rendered (never with a password or its hash):
 *   {"id", "username", <claims>..., "created_at", "updated_at"}
 * with created_at and updated_at in seconds since the epoch (updated_at is
 * also the §5.1 claim of that name).
 *
 * Passwords are write-only: 8..1024 bytes, hashed with scrypt
 * (crypto/secret.h), never rendered, logged, or copied into an arena.
 *
 * Writes follow clients.h: users_prepare_* decides and renders everything,
 * users_apply performs the change on the storage writer (request_write in
 * handlers), users_outcome maps the write's status; the CLI uses the
 * synchronous users_create/replace/set_password/delete.
 *
 * Files: users.c (the service), users_validate.c (the syntax of claims,
 * usernames and passwords). To add a claim: a row in claim_rules of
 * users_validate.c (and a kind when its syntax is new), and a case in
 * users_test.c.
 */
#ifndef SERVER_USERS_H
#define SERVER_USERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "config/config.h"
#include "server/app.h"
#include "server/oauth_error.h"
#include "storage/store.h"

#define USERS_USERNAME_MAX 64
#define USERS_PASSWORD_MIN 8
#define USERS_PASSWORD_MAX 1024

/*
 * A rejected request: users_* return ST_INVALID with *problem filled for
 * every caller mistake (OAUTH_INVALID_REQUEST, 400; OAUTH_CONFLICT, 409, for
 * a username that is taken). Other statuses are server failures (err).
 */
struct user_problem {
	enum oauth_error error;
	char description[256];
};

/* True for 1..64 characters of [A-Za-z0-9._@+-] (false for NULL). */
bool users_is_valid_username(const char *username);

/* ST_OK for a usable password (8..1024 bytes, no NUL byte); ST_INVALID with *problem otherwise. */
enum status users_check_password(const char *password, size_t len, struct user_problem *problem);

/*
 * Validates a claims document (borrowed): a JSON object of OIDC Core §5.1
 * standard claims only (not sub, not updated_at). A null member means
 * absent. *out (new reference) is the normalised document: nulls and an
 * empty address dropped. ST_INVALID with *problem naming the member
 * otherwise. arena holds scratch memory.
 */
enum status users_validate_claims(const json_t *in, struct arena *arena, json_t **out,
                                  struct user_problem *problem);

/*
 * A prepared change: everything decided and rendered, nothing written yet.
 * Handlers hand users_apply(change) to the storage writer (request_write)
 * and answer with change->view once it is durable.
 */
enum user_change_kind {
	USER_CHANGE_INSERT = 0,
	USER_CHANGE_UPDATE,
	USER_CHANGE_DELETE,
};

struct user_change {
	enum user_change_kind kind;
	struct store_user row;           /* INSERT */
	const char *id;                  /* UPDATE, DELETE */
	struct store_user_update update; /* UPDATE */
	bool ends_sessions;              /* UPDATE of the password: active sessions end */
	const char *username;            /* INSERT, UPDATE: for the conflict message */
	const char *view;                /* INSERT, UPDATE: the answer, JSON text in the arena */
};

/*
 * Prepares a new user from in (borrowed): "username" (required), the
 * claims, and "password" (required) unless password is non-NULL (the CLI's
 * prompt; then a "password" member is refused). "created_at" and
 * "updated_at" are ignored (a rendered user can be fed back); "id" is
 * refused (the server chooses a UUIDv4).
 */
enum status users_prepare_create(const struct app *app, const json_t *in, const char *password,
                                 size_t password_len, struct arena *arena,
                                 struct user_change *change, struct user_problem *problem,
                                 struct err *err);

/*
 * Prepares a full replacement of current's claims by in's (borrowed). An
 * optional "username" renames the user (absent: kept); an optional
 * "password" sets a new one (and ends the user's active login sessions);
 * "id" must be current's; "created_at" and "updated_at" are ignored.
 */
enum status users_prepare_replace(const struct app *app, const struct store_user *current,
                                  const json_t *in, struct arena *arena, struct user_change *change,
                                  struct user_problem *problem, struct err *err);

/* Prepares a new password for user id; the user's active login sessions end. */
enum status users_prepare_password(const struct app *app, const char *id, const char *password,
                                   size_t password_len, struct arena *arena,
                                   struct user_change *change, struct user_problem *problem,
                                   struct err *err);

void users_prepare_delete(const char *id, struct user_change *change);

/* The store_write_fn that performs a prepared change (arg: struct user_change). */
enum status users_apply(struct store *s, void *arg, struct err *err);

/*
 * Maps the write's status to the outcome: ST_OK (view ready), ST_INVALID
 * with *problem (the username is taken: OAUTH_CONFLICT), ST_NOT_FOUND (the
 * user vanished), or the server failure.
 */
enum status users_outcome(const struct user_change *c, enum status write_st,
                          struct user_problem *problem);

/* Wipes the "password" member of doc in place (call before json_decref). */
void users_forget_password(json_t *doc);

/*
 * The synchronous forms, for the CLI: prepare, write durably, report. *out
 * (may be NULL; new reference) is the rendered user.
 */
enum status users_create(const struct app *app, const json_t *in, const char *password,
                         size_t password_len, struct arena *arena, json_t **out,
                         struct user_problem *problem, struct err *err);
enum status users_replace(const struct app *app, const struct store_user *current, const json_t *in,
                          struct arena *arena, json_t **out, struct user_problem *problem,
                          struct err *err);
enum status users_set_password(const struct app *app, const char *id, const char *password,
                               size_t password_len, struct arena *arena,
                               struct user_problem *problem, struct err *err);
enum status users_delete(const struct app *app, const char *id, struct err *err);

/*
 * Renders a stored user (without its password hash) into *out (new
 * reference). ST_IO when the stored claims are not a JSON object.
 */
enum status users_render(const struct store_user *row, json_t **out, struct err *err);

/*
 * The user's OIDC Core §5.1 claims (for /userinfo and ID tokens): the
 * stored claims plus updated_at, without sub. *out is a new reference.
 * ST_IO when the stored claims are not a JSON object.
 */
enum status users_claims(const struct store_user *row, json_t **out, struct err *err);

/*
 * `serve --dev`: when the users table is empty, creates the user "demo"
 * (name "Demo User", email demo@example.com, verified) with a random
 * password and logs ONE warning with its username and password — the one
 * documented exception to "secrets never reach a log", for a development
 * setup only. Does nothing when cfg->is_dev is false or a user exists.
 */
enum status users_dev_bootstrap(const struct config *cfg, struct store *store, int64_t now,
                                struct err *err);

#endif
