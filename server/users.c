/*
 * server/users.c — the user service. See users.h.
 *
 * Invariants:
 * - A password exists in the clear only in its caller's buffer (the parsed
 *   request body, the CLI's stack): it is hashed from there with scrypt and
 *   never copied into an arena, a view, a log line or an error message.
 * - The stored claims document holds the §5.1 standard claims only, each
 *   validated by users_validate.c; id, username, password hash and
 *   timestamps are columns, added by render().
 * - Every write is one statement, or one transaction when a new password
 *   also ends the user's sessions (users_apply runs inside the writer's).
 */
#include "server/users.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/b64url.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "server/json_unconst.h"
#include "server/users_internal.h"

#define DEMO_USERNAME       "demo"
#define DEMO_PASSWORD_BYTES 18 /* 144 bits: 24 base64url characters */

/* ---- the document: account members and claims ---- */

/* What a body holds besides the claims. */
struct account_input {
	const char *username;   /* NULL when absent */
	const json_t *password; /* the member (its string is the caller's), NULL when absent */
	json_t *claims;         /* new reference: the claim members, borrowed values */
};

/*
 * Splits in into account members and claims. "id" is refused unless
 * own_id is given (replace: it must match); "created_at" and "updated_at"
 * are echoes of a rendered user and ignored.
 */
static enum status
split_input(const json_t *in, const char *own_id, struct account_input *a,
            struct user_problem *problem)
{
	const char *key, *s;
	json_t *v;
	enum status st = ST_OK;

	memset(a, 0, sizeof *a);
	if (!json_is_object(in))
		return users_problem(problem, OAUTH_INVALID_REQUEST,
		                     "the user must be a JSON object");
	a->claims = json_object();
	json_object_foreach(json_unconst(in), key, v)
	{
		if (strcmp(key, "created_at") == 0 || strcmp(key, "updated_at") == 0)
			continue;
		if (strcmp(key, "id") == 0) {
			if (own_id == NULL) {
				st = users_problem(problem, OAUTH_INVALID_REQUEST,
				                   "id: is chosen by the server");
				goto out;
			}
			if (!json_is_string(v) || strcmp(json_string_value(v), own_id) != 0) {
				st = users_problem(problem, OAUTH_INVALID_REQUEST,
				                   "id: does not match the user being updated");
				goto out;
			}
		} else if (strcmp(key, "username") == 0 && !json_is_null(v)) {
			s = json_string_value(v);
			if (s == NULL || strlen(s) != json_string_length(v) ||
			    !users_is_valid_username(s)) {
				st = users_problem(problem, OAUTH_INVALID_REQUEST,
				                   "username: must be 1 to %d characters of "
				                   "A-Z a-z 0-9 . _ @ + -",
				                   USERS_USERNAME_MAX);
				goto out;
			}
			a->username = s;
		} else if (strcmp(key, "password") == 0 && !json_is_null(v)) {
			if (!json_is_string(v)) {
				st = users_problem(problem, OAUTH_INVALID_REQUEST,
				                   "password: must be a string");
				goto out;
			}
			a->password = v;
		} else if (strcmp(key, "username") != 0 && strcmp(key, "password") != 0) {
			json_object_set(a->claims, key, v);
		}
	}
out:
	if (st != ST_OK) {
		json_decref(a->claims);
		a->claims = NULL;
	}
	return st;
}

/* The scrypt hash of a password, in the arena (a hash is not a secret). */
static enum status
hash_password(const struct app *app, const char *password, size_t len, struct arena *arena,
              const char **out, struct user_problem *problem, struct err *err)
{
	char *hash = NULL;
	enum status st = users_check_password(password, len, problem);

	if (st != ST_OK)
		return st;
	st = secret_scrypt_hash(password, len, app->cfg->hashers_scrypt_log_n, &hash, err);
	if (st != ST_OK)
		return st;
	*out = arena_strdup(arena, hash);
	free(hash);
	return ST_OK;
}

/* The rendered user: id, username, the claims, created_at, updated_at (new reference). */
static json_t *
render(const char *id, const char *username, const json_t *claims, int64_t created_at,
       int64_t updated_at)
{
	json_t *out = json_object(), *v;
	const char *key;

	json_object_set_new(out, "id", json_string(id));
	json_object_set_new(out, "username", json_string(username));
	json_object_foreach(json_unconst(claims), key, v)
	{
		json_object_set(out, key, v);
	}
	json_object_set_new(out, "created_at", json_integer(created_at));
	json_object_set_new(out, "updated_at", json_integer(updated_at));
	return out;
}

/* JSON text in the arena (claims are sorted, so equal documents store equal text). */
static const char *
dump(struct arena *arena, const json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	const char *out = arena_strdup(arena, text != NULL ? text : "{}");

	free(text);
	return out;
}

static enum status
load_claims(const struct store_user *row, json_t **out, struct err *err)
{
	json_t *j = json_loads(row->claims, 0, NULL);

	if (!json_is_object(j)) {
		json_decref(j);
		return ERR_SET(err, ST_IO, "user %s: stored claims are not a JSON object", row->id);
	}
	*out = j;
	return ST_OK;
}

enum status
users_prepare_create(const struct app *app, const json_t *in, const char *password,
                     size_t password_len, struct arena *arena, struct user_change *change,
                     struct user_problem *problem, struct err *err)
{
	struct account_input a;
	json_t *claims = NULL, *view = NULL;
	const char *hash = NULL;
	char uuid[37];
	int64_t now = clock_now(&app->clock);
	enum status st;

	st = split_input(in, NULL, &a, problem);
	if (st != ST_OK)
		return st;
	if (a.username == NULL) {
		st = users_problem(problem, OAUTH_INVALID_REQUEST, "username: is required");
		goto out;
	}
	if (password != NULL && a.password != NULL) {
		st = users_problem(problem, OAUTH_INVALID_REQUEST,
		                   "password: read from the terminal or standard input, not from "
		                   "the document");
		goto out;
	}
	if (password == NULL && a.password == NULL) {
		st = users_problem(problem, OAUTH_INVALID_REQUEST, "password: is required");
		goto out;
	}
	st = users_validate_claims(a.claims, arena, &claims, problem);
	if (st != ST_OK)
		goto out;
	if (password != NULL)
		st = hash_password(app, password, password_len, arena, &hash, problem, err);
	else
		st = hash_password(app, json_string_value(a.password),
		                   json_string_length(a.password), arena, &hash, problem, err);
	if (st != ST_OK)
		goto out;
	st = random_uuid(uuid, err);
	if (st != ST_OK)
		goto out;

	memset(change, 0, sizeof *change);
	change->kind = USER_CHANGE_INSERT;
	change->row.id = arena_strdup(arena, uuid);
	change->row.username = arena_strdup(arena, a.username);
	change->row.password_hash = hash;
	change->row.claims = dump(arena, claims);
	change->row.created_at = change->row.updated_at = now;
	change->username = change->row.username;
	view = render(change->row.id, change->row.username, claims, now, now);
	change->view = dump(arena, view);
out:
	json_decref(view);
	json_decref(claims);
	json_decref(a.claims);
	return st;
}

enum status
users_prepare_replace(const struct app *app, const struct store_user *current, const json_t *in,
                      struct arena *arena, struct user_change *change, struct user_problem *problem,
                      struct err *err)
{
	struct account_input a;
	json_t *claims = NULL, *view = NULL;
	const char *hash = NULL, *username;
	int64_t now = clock_now(&app->clock);
	enum status st;

	st = split_input(in, current->id, &a, problem);
	if (st != ST_OK)
		return st;
	st = users_validate_claims(a.claims, arena, &claims, problem);
	if (st != ST_OK)
		goto out;
	if (a.password != NULL) {
		st = hash_password(app, json_string_value(a.password),
		                   json_string_length(a.password), arena, &hash, problem, err);
		if (st != ST_OK)
			goto out;
	}
	username = a.username != NULL ? arena_strdup(arena, a.username) : current->username;

	memset(change, 0, sizeof *change);
	change->kind = USER_CHANGE_UPDATE;
	change->id = current->id;
	/* An unchanged username is not rewritten. */
	change->update.username = strcmp(username, current->username) != 0 ? username : NULL;
	change->update.password_hash = hash;
	change->update.claims = dump(arena, claims);
	change->update.updated_at = now;
	change->ends_sessions = hash != NULL;
	change->username = username;
	view = render(current->id, username, claims, current->created_at, now);
	change->view = dump(arena, view);
out:
	json_decref(view);
	json_decref(claims);
	json_decref(a.claims);
	return st;
}

enum status
users_prepare_password(const struct app *app, const char *id, const char *password,
                       size_t password_len, struct arena *arena, struct user_change *change,
                       struct user_problem *problem, struct err *err)
{
	const char *hash = NULL;
	enum status st = hash_password(app, password, password_len, arena, &hash, problem, err);

	if (st != ST_OK)
		return st;
	memset(change, 0, sizeof *change);
	change->kind = USER_CHANGE_UPDATE;
	change->id = id;
	change->update.password_hash = hash;
	change->update.updated_at = clock_now(&app->clock);
	change->ends_sessions = true;
	return ST_OK;
}

void
users_prepare_delete(const char *id, struct user_change *change)
{
	memset(change, 0, sizeof *change);
	change->kind = USER_CHANGE_DELETE;
	change->id = id;
}

enum status
users_apply(struct store *s, void *arg, struct err *err)
{
	const struct user_change *c = arg;
	enum status st;

	switch (c->kind) {
	case USER_CHANGE_INSERT:
		return store_user_insert(s, &c->row, err);
	case USER_CHANGE_UPDATE:
		st = store_user_update(s, c->id, &c->update, err);
		/* Whoever knew the old password is logged out with it (same transaction). */
		if (st == ST_OK && c->ends_sessions)
			st = store_session_end_user(s, c->id, c->update.updated_at, NULL, NULL,
			                            NULL, err);
		return st;
	case USER_CHANGE_DELETE:
		return store_user_delete(s, c->id, err);
	}
	return ERR_SET(err, ST_INVALID, "unknown user change");
}

enum status
users_outcome(const struct user_change *c, enum status write_st, struct user_problem *problem)
{
	if (write_st == ST_CONFLICT && c->kind != USER_CHANGE_DELETE)
		return users_problem(problem, OAUTH_CONFLICT,
		                     "username: a user named '%s' exists already",
		                     c->username != NULL ? c->username : "");
	return write_st;
}

void
users_forget_password(json_t *doc)
{
	json_t *v = json_object_get(doc, "password");
	union {
		const char *c;
		char *m;
	} u;

	if (!json_is_string(v))
		return;
	/* The string is jansson's heap copy, owned by doc: writable. */
	u.c = json_string_value(v);
	secret_wipe(u.m, json_string_length(v));
}

/* ---- synchronous forms (CLI, --dev) ---- */

static enum status
write_now(const struct app *app, struct user_change *c, json_t **out, struct user_problem *problem,
          struct err *err)
{
	enum status st = store_write_sync(app->store, users_apply, c, err);

	st = users_outcome(c, st, problem);
	if (st == ST_OK && out != NULL)
		*out = json_loads(c->view, 0, NULL);
	return st;
}

enum status
users_create(const struct app *app, const json_t *in, const char *password, size_t password_len,
             struct arena *arena, json_t **out, struct user_problem *problem, struct err *err)
{
	struct user_change c;
	enum status st =
	        users_prepare_create(app, in, password, password_len, arena, &c, problem, err);

	if (st != ST_OK)
		return st;
	return write_now(app, &c, out, problem, err);
}

enum status
users_replace(const struct app *app, const struct store_user *current, const json_t *in,
              struct arena *arena, json_t **out, struct user_problem *problem, struct err *err)
{
	struct user_change c;
	enum status st = users_prepare_replace(app, current, in, arena, &c, problem, err);

	if (st != ST_OK)
		return st;
	return write_now(app, &c, out, problem, err);
}

enum status
users_set_password(const struct app *app, const char *id, const char *password, size_t password_len,
                   struct arena *arena, struct user_problem *problem, struct err *err)
{
	struct user_change c;
	enum status st =
	        users_prepare_password(app, id, password, password_len, arena, &c, problem, err);

	if (st != ST_OK)
		return st;
	return write_now(app, &c, NULL, problem, err);
}

enum status
users_delete(const struct app *app, const char *id, struct err *err)
{
	struct user_change c;

	users_prepare_delete(id, &c);
	return write_now(app, &c, NULL, NULL, err);
}

/* ---- reading ---- */

enum status
users_render(const struct store_user *row, json_t **out, struct err *err)
{
	json_t *claims = NULL;
	enum status st = load_claims(row, &claims, err);

	if (st != ST_OK)
		return st;
	*out = render(row->id, row->username, claims, row->created_at, row->updated_at);
	json_decref(claims);
	return ST_OK;
}

enum status
users_claims(const struct store_user *row, json_t **out, struct err *err)
{
	json_t *claims = NULL;
	enum status st = load_claims(row, &claims, err);

	if (st != ST_OK)
		return st;
	/* OIDC Core §5.1: updated_at is a number of seconds since the epoch. */
	json_object_set_new(claims, "updated_at", json_integer(row->updated_at));
	*out = claims;
	return ST_OK;
}

/* ---- serve --dev ---- */

enum status
users_dev_bootstrap(const struct config *cfg, struct store *store, int64_t now, struct err *err)
{
	unsigned char raw[DEMO_PASSWORD_BYTES];
	char password[B64URL_ENCODED_LEN(DEMO_PASSWORD_BYTES) + 1];
	struct user_problem problem;
	struct app app;
	struct arena *arena = NULL;
	json_t *doc = NULL;
	int64_t count = 0;
	enum status st;

	if (!cfg->is_dev)
		return ST_OK;
	st = store_user_count(store, &count, err);
	if (st != ST_OK || count > 0)
		return st;
	st = random_bytes(raw, sizeof raw, err);
	if (st != ST_OK)
		goto out;
	b64url_encode(raw, sizeof raw, password);

	memset(&app, 0, sizeof app);
	app.cfg = cfg;
	app.store = store;
	app.clock.fixed_secs = now;
	arena = arena_new();
	doc = json_pack("{s:s, s:s, s:s, s:b}", "username", DEMO_USERNAME, "name", "Demo User",
	                "email", "demo@example.com", "email_verified", 1);
	st = users_create(&app, doc, password, strlen(password), arena, NULL, &problem, err);
	if (st == ST_INVALID && problem.error == OAUTH_CONFLICT) {
		st = ST_OK; /* another instance made it first: its log has the password */
		goto out;
	}
	if (st == ST_INVALID) {
		st = ERR_SET(err, ST_INVALID, "%s", problem.description);
		goto out;
	}
	if (st != ST_OK)
		goto out;
	/* The one place a password reaches a log: a development setup, once. */
	LOG_WARN("development setup: demo user '%s' with password '%s'", DEMO_USERNAME, password);
out:
	secret_wipe(raw, sizeof raw);
	secret_wipe(password, sizeof password);
	json_decref(doc);
	arena_free(arena);
	return st;
}
