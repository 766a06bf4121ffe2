/*
 * server/handle_userinfo.c — GET|POST /userinfo (OIDC Core §5.3) and the
 * CORS preflight of the endpoints browsers call directly.
 *
 * The access token comes from the Authorization header or, for POST, the
 * form body (RFC 6750 §2.1, §2.2), never both. Claims are released by the
 * token's scopes (§5.4) and its claims request (§5.5), "sub" always; the
 * answer is a signed JWT when the client registered
 * userinfo_signed_response_alg (§5.3.2). Failures are RFC 6750 §3.1
 * challenges.
 */
#include <string.h>

#include "server/claims.h"
#include "server/clients.h"
#include "server/cors.h"
#include "server/handlers.h"
#include "server/id_token.h"
#include "server/json_cache.h"
#include "server/subject.h"
#include "server/tokens.h"
#include "server/users.h"

static enum status
challenge(struct request *req, struct response *res, enum oauth_error e, const char *description)
{
	oauth_error(res, req->arena, e, description);
	response_header(res, "WWW-Authenticate",
	                arena_printf(req->arena, "Bearer error=\"%s\", error_description=\"%s\"",
	                             oauth_error_code(e), description));
	return ST_OK;
}

/* The token of the request; NULL with res filled when there is none or two. */
static const char *
presented_token(struct request *req, struct response *res)
{
	const char *header = request_bearer(req);
	const char *body = req->method == HTTP_POST ? request_form(req, "access_token") : NULL;

	if (header != NULL && body != NULL) {
		/* RFC 6750 §2: one method per request. */
		oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
		            "the access token was sent twice (header and body)");
		return NULL;
	}
	if (header == NULL && body == NULL) {
		challenge(req, res, OAUTH_INVALID_TOKEN, "no access token was sent");
		return NULL;
	}
	return header != NULL ? header : body;
}

/*
 * The fast path of most requests: no CORS, plain JSON and a public sub,
 * told from the stored (compact) document without parsing it. Anything else parses it.
 */
static bool
needs_client_doc(const struct request *req, const struct store_client *row)
{
	return request_header(req, "Origin") != NULL ||
	       strstr(row->metadata, "\"userinfo_signed_response_alg\":\"none\"") == NULL ||
	       strstr(row->metadata, "\"subject_type\":\"public\"") == NULL;
}

static enum status
answer(const struct app *app, struct request *req, struct response *res,
       const struct store_token *t, const struct store_user *user, struct client_record *client,
       int64_t now)
{
	json_t *user_claims = NULL, *requested = claims_request_member(t->claims, "userinfo"),
	       *out = NULL;
	json_error_t jerr;
	const char *alg = NULL, *sub;
	char *jwt;
	enum status st;

	if (requested == NULL && t->session == NULL && !needs_client_doc(req, &client->row)) {
		/* The common case, without a JSON document: see claims_userinfo_text. */
		size_t len;
		char *text = claims_userinfo_text(user->claims, user->updated_at, t->scope,
		                                  user->id, req->arena, &len);

		if (text != NULL) {
			response_body(res, 200, "application/json; charset=utf-8", text, len);
			return ST_OK;
		}
	}
	st = users_claims(user, &user_claims, &req->err);
	if (st == ST_OK)
		st = claims_for_scopes(user_claims, t->scope, requested, &out);
	if (st != ST_OK)
		goto out;
	if (t->session != NULL) {
		/* Headless mode: what the consent app put in session.id_token. */
		json_t *extra = claims_from_session(t->session, t->scope, requested,
		                                    app->cfg->oidc_claims_filter_by_scope);

		if (extra != NULL)
			json_object_update(out, extra);
		json_decref(extra);
	}
	if (needs_client_doc(req, &client->row)) {
		client->doc = json_cache_loads(client->row.metadata, &jerr);
		if (client->doc == NULL) {
			st = ERR_SET(&req->err, ST_IO, "client %s: stored metadata is not JSON",
			             t->client_id);
			goto out;
		}
		cors_allow_origin(req, res, client->doc);
		alg = json_string_value(
		        json_object_get(client->doc, "userinfo_signed_response_alg"));
	}
	st = subject_for_client(app, client->doc, t->client_id, user->id, req->arena, &sub,
	                        &req->err);
	if (st != ST_OK)
		goto out;
	json_object_set_new(out, "sub", json_string(sub));
	if (alg != NULL && strcmp(alg, "none") != 0) {
		st = userinfo_jwt_sign(app->keyring, now, app->issuer, t->client_id, 0, out,
		                       req->arena, &jwt, &req->err);
		if (st == ST_OK)
			response_raw(res, req->arena, 200, "application/jwt", jwt, strlen(jwt));
	} else {
		response_json(res, req->arena, 200, out);
		out = NULL;
	}
out:
	json_decref(user_claims);
	json_decref(requested);
	json_decref(out);
	return st;
}

enum status
handle_userinfo(const struct app *app, struct request *req, struct response *res)
{
	unsigned char hash[STORE_HASH_LEN];
	const char *token = presented_token(req, res);
	int64_t now = clock_now(&app->clock);
	struct client_record client;
	struct store_token t;
	struct store_user user;
	enum status st;

	if (token == NULL)
		return ST_OK;
	memset(&client, 0, sizeof client);
	/* Token, user and client in one statement (one snapshot). */
	st = tokens_find_hash(app, token, req->arena, hash, &req->err);
	if (st == ST_OK)
		st = store_token_get_with_owners(app->store, hash, now, req->arena, &t, &user,
		                                 &client.row, &req->err);
	if (st == ST_NOT_FOUND || (st == ST_OK && t.kind != STORE_TOKEN_ACCESS))
		return challenge(req, res, OAUTH_INVALID_TOKEN,
		                 "the access token is unknown, expired or revoked");
	if (st != ST_OK)
		return st;
	req->client_id = t.client_id;
	if (!claims_scope_has(t.scope, "openid"))
		return challenge(req, res, OAUTH_INSUFFICIENT_SCOPE,
		                 "the access token was not granted the openid scope");
	if (t.user_id == NULL)
		return challenge(req, res, OAUTH_INVALID_TOKEN, "the access token has no user");
	if (user.id == NULL || client.row.id == NULL)
		return challenge(req, res, OAUTH_INVALID_TOKEN,
		                 "the user or client no longer exists");
	st = answer(app, req, res, &t, &user, &client, now);
	clients_record_clear(&client);
	return st;
}

/*
 * OPTIONS preflight (Fetch standard §3.2.2) for /userinfo and /oauth2/token.
 * It grants nothing by itself: the actual answer carries
 * Access-Control-Allow-Origin only for origins the token's client allows.
 */
enum status
handle_cors_preflight(const struct app *app, struct request *req, struct response *res)
{
	const char *origin = request_header(req, "Origin");

	(void)app;
	res->status = 204;
	if (origin == NULL)
		return ST_OK;
	response_header(res, "Access-Control-Allow-Origin", origin);
	response_header(res, "Access-Control-Allow-Methods", "GET, POST");
	response_header(res, "Access-Control-Allow-Headers", "Authorization, Content-Type");
	response_header(res, "Access-Control-Max-Age", "600");
	response_header(res, "Vary", "Origin");
	return ST_OK;
}
