/*
 * server/handle_revoke.c — token revocation and introspection:
 *   POST /oauth2/revoke             RFC 7009 (Hydra's revokeOAuth2Token), public
 *   POST /admin/oauth2/introspect   RFC 7662 (introspectOAuth2Token), admin only
 *
 * Revocation authenticates the client like the token endpoint. Revoking a
 * refresh token revokes its whole grant (the refresh family and the access
 * tokens issued with it, as Hydra does); an access token is revoked alone.
 * An unknown token, or one of another client, is answered 200 like a
 * success (RFC 7009 §2.2: nothing to tell an attacker), and nothing changes.
 */
#include <string.h>

#include "server/claims.h"
#include "server/client_auth.h"
#include "server/cors.h"
#include "server/handlers.h"
#include "server/subject.h"
#include "server/tokens.h"

struct revocation {
	unsigned char hash[STORE_HASH_LEN];
	const char *client_id;
	int64_t now;
	struct arena *arena;
	json_t *client_doc; /* read-only, for CORS on the answer; released in the second run */
};

static enum status
revoke_apply(struct store *s, void *arg, struct err *err)
{
	struct revocation *r = arg;
	struct store_token t;
	enum status st = store_token_get(s, r->hash, r->arena, &t, err);

	if (st == ST_NOT_FOUND || (st == ST_OK && strcmp(t.client_id, r->client_id) != 0))
		return ST_OK;
	if (st != ST_OK)
		return st;
	if (t.kind == STORE_TOKEN_REFRESH)
		return store_token_revoke_grant(s, t.grant_id, r->now, NULL, err);
	st = store_token_revoke(s, r->hash, r->now, err);
	return st == ST_NOT_FOUND ? ST_OK : st; /* revoked already */
}

static enum status
revoked(struct request *req, struct response *res)
{
	struct revocation *r = req->write_state;

	cors_allow_origin(req, res, r->client_doc);
	json_decref(r->client_doc);
	r->client_doc = NULL;
	if (req->write_status != ST_OK) {
		req->err = req->write_err;
		return req->write_status;
	}
	res->status = 200;
	return ST_OK;
}

enum status
handle_revoke(const struct app *app, struct request *req, struct response *res)
{
	const char *token = request_form(req, "token");
	struct client_record client;
	struct revocation *r;
	enum status st;

	if (req->is_write_done)
		return revoked(req, res);
	st = client_auth_request(app, req, res, &client, NULL);
	if (st != ST_OK)
		return st == ST_INVALID ? ST_OK : st;
	if (token == NULL || token[0] == '\0') {
		clients_record_clear(&client);
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, "token is required");
	}
	r = arena_alloc(req->arena, sizeof *r);
	memset(r, 0, sizeof *r);
	st = tokens_find_hash(app, token, req->arena, r->hash, &req->err);
	if (st != ST_OK) {
		clients_record_clear(&client);
		return st;
	}
	r->client_id = client.row.id;
	r->now = clock_now(&app->clock);
	r->arena = req->arena;
	r->client_doc = client.doc; /* the reference moves to r */
	return request_write(app, req, res, revoke_apply, r, r);
}

/* RFC 7662 §2.2: every scope of required (space-separated) is in granted. */
static bool
has_scopes(const char *granted, const char *required)
{
	const char *s = required;

	while (*s != '\0') {
		size_t n = strcspn(s, " ");

		if (n > 0) {
			char word[256];

			if (n >= sizeof word)
				return false;
			memcpy(word, s, n);
			word[n] = '\0';
			if (!claims_scope_has(granted, word))
				return false;
		}
		s += n;
		s += strspn(s, " ");
	}
	return true;
}

/* Hydra's introspectedOAuth2Token for an active token. */
static json_t *
introspection(const struct app *app, const struct store_token *t)
{
	json_t *out = json_object(), *ext;

	json_object_set_new(out, "active", json_true());
	json_object_set_new(out, "scope", json_string(t->scope));
	json_object_set_new(out, "client_id", json_string(t->client_id));
	/* client_credentials tokens have no user: the client is the subject (RFC 6749 §4.4). */
	json_object_set_new(out, "sub",
	                    json_string(t->user_id != NULL ? t->user_id : t->client_id));
	json_object_set_new(out, "exp", json_integer(t->expires_at));
	json_object_set_new(out, "iat", json_integer(t->created_at));
	json_object_set_new(out, "nbf", json_integer(t->created_at));
	json_object_set_new(out, "aud", json_array());
	json_object_set_new(out, "iss", json_string(app->issuer));
	json_object_set_new(out, "token_type", json_string("Bearer"));
	json_object_set_new(
	        out, "token_use",
	        json_string(t->kind == STORE_TOKEN_REFRESH ? "refresh_token" : "access_token"));
	ext = claims_session_member(t->session, "access_token");
	json_object_set_new(out, "ext", ext != NULL ? ext : json_object());
	return out;
}

enum status
handle_admin_introspect(const struct app *app, struct request *req, struct response *res)
{
	const char *token = request_form(req, "token");
	const char *scope = request_form(req, "scope");
	unsigned char hash[STORE_HASH_LEN];
	struct client_record client;
	struct store_token t;
	json_t *out;
	enum status st;

	if (token == NULL || token[0] == '\0')
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, "token is required");
	st = tokens_find_hash(app, token, req->arena, hash, &req->err);
	if (st == ST_OK)
		st = store_token_get_active(app->store, hash, clock_now(&app->clock), req->arena,
		                            &t, &req->err);
	if (st == ST_NOT_FOUND || (st == ST_OK && scope != NULL && !has_scopes(t.scope, scope))) {
		response_json(res, req->arena, 200, json_pack("{s:b}", "active", 0));
		return ST_OK;
	}
	if (st != ST_OK)
		return st;
	req->client_id = t.client_id;
	out = introspection(app, &t);
	if (t.user_id != NULL) {
		/* Hydra: the pairwise sub the client knows, next to the local one. */
		st = clients_load(app, t.client_id, req->arena, &client, &req->err);
		if (st != ST_OK) {
			json_decref(out);
			return st;
		}
		/* Hydra: sub stays the real subject; a forced one shows here only. */
		if (subject_is_pairwise(client.doc)) {
			const char *sub;

			st = subject_for_client(app, client.doc, t.client_id, t.user_id, req->arena,
			                        &sub, &req->err);
			if (st == ST_OK)
				json_object_set_new(out, "obfuscated_subject", json_string(sub));
		}
		clients_record_clear(&client);
		if (st != ST_OK) {
			json_decref(out);
			return st;
		}
	}
	response_json(res, req->arena, 200, out);
	return ST_OK;
}
