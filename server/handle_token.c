/*
 * server/handle_token.c — POST /oauth2/token (RFC 6749 §3.2, §4.1.3, §4.4;
 * OIDC Core §3.1.3; RFC 7636 §4.5-4.6).
 *
 * Grants: authorization_code, refresh_token (rotated on every use),
 * client_credentials and the device_code polls of RFC 8628 §3.4. Tokens are opaque
 * (prefix + 256 random bits) and stored only as keyed hashes. The code is
 * consumed and the tokens inserted in ONE write on the storage writer, so
 * of concurrent redemptions exactly one wins, and a replay that finds the
 * used code also finds the tokens it must revoke (RFC 6749 §4.1.2). A
 * redemption by the wrong client, with the wrong redirect_uri or PKCE
 * verifier, is rolled back: the code stays good for its rightful holder.
 */
#include <string.h>

#include "crypto/b64url.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "server/claims.h"
#include "server/client_auth.h"
#include "server/cors.h"
#include "server/credentials.h"
#include "server/handlers.h"
#include "server/id_token.h"
#include "server/metrics.h"
#include "server/secrets.h"
#include "server/subject.h"
#include "server/tokens.h"
#include "server/users.h"

enum grant_kind {
	GRANT_CODE = 1,
	GRANT_CLIENT_CREDENTIALS,
	GRANT_REFRESH,
	GRANT_DEVICE,
};

#define DEVICE_GRANT_TYPE "urn:ietf:params:oauth:grant-type:device_code"
/* Timer jitter forgiven before a poll counts as too early (RFC 8628 §3.5 slow_down). */
#define POLL_SLACK_MS 500

/* One token request between its two runs (see request_write). */
struct token_grant {
	enum grant_kind kind;
	struct arena *arena;
	int64_t now;
	int64_t now_ms; /* device polls are timed to the millisecond */
	const char *client_id;
	json_t *client_doc; /* read-only (client_auth_check); released in the second run */
	/* authorization_code */
	unsigned char code_hash[STORE_HASH_LEN];
	const char *redirect_uri;
	const char *verifier;
	bool may_refresh; /* the client has the refresh_token grant */
	char grant_id[37];
	struct store_code code;
	/* what is issued */
	struct tokens_issue issue;
	/* outcome of the write for the caller's mistakes */
	bool is_refused;
	enum oauth_error refusal; /* OAUTH_INVALID_GRANT unless said otherwise */
	const char *why;
	/* refresh_token */
	const char *scope;  /* requested (narrowing), or NULL */
	int64_t grace_secs; /* oauth2.refresh_token.grace_period */
	/* verifiable credentials: made when the client may hold the scope,
	 * stored (and answered) when the granted scope has it */
	bool may_vc;
	bool has_c_nonce;
	struct credentials_nonce c_nonce;
};

static const char *
doc_str(const json_t *doc, const char *name)
{
	return json_string_value(json_object_get(doc, name));
}

/* RFC 7636 §4.1 (syntax) and §4.6 (S256 only). */
static bool
verifier_matches(const char *verifier, const char *challenge)
{
	unsigned char hash[DIGEST_SHA256_BYTES];
	char enc[64];
	size_t n = strlen(verifier);

	if (n < 43 || n > 128 ||
	    strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                     "0123456789-._~") != n)
		return false;
	digest_sha256(verifier, n, hash);
	b64url_encode(hash, sizeof hash, enc);
	return strcmp(enc, challenge) == 0;
}

static enum status
refuse(struct token_grant *g, const char *why)
{
	g->is_refused = true;
	g->why = why;
	return ST_INVALID; /* rolls this write back */
}

/*
 * OpenID Connect UserInfo VC draft 00 (hydra-behaviour §6): an access token
 * granted openid and userinfo_credential_draft_00 comes with a c_nonce,
 * bound to it, stored in the same write as the token.
 */
static enum status
c_nonce_apply(struct store *s, struct token_grant *g, struct err *err)
{
	if (!g->may_vc || !credentials_scope_granted(g->issue.scope))
		return ST_OK;
	g->has_c_nonce = true;
	return store_vc_nonce_insert(s, g->c_nonce.hash, g->issue.access_hash,
	                             g->c_nonce.expires_at, err);
}

/* Prepares a c_nonce when the client may be granted the credential scope. */
static enum status
c_nonce_prepare(const struct app *app, struct request *req, struct token_grant *g)
{
	g->may_vc = claims_scope_has(doc_str(g->client_doc, "scope"), CREDENTIALS_SCOPE);
	if (!g->may_vc)
		return ST_OK;
	return credentials_nonce_new(app, g->now, req->arena, &g->c_nonce, &req->err);
}

/* The write of an authorization_code redemption (runs on the storage writer). */
static enum status
code_apply(struct store *s, void *arg, struct err *err)
{
	struct token_grant *g = arg;
	const char *used_grant;
	enum status st;

	st = store_code_consume(s, g->code_hash, g->now, g->grant_id, g->issue.used_expires_at,
	                        g->arena, &g->code, err);
	if (st == ST_NOT_FOUND) {
		g->is_refused = true;
		st = store_code_used_grant(s, g->code_hash, g->now, g->arena, &used_grant, err);
		if (st == ST_NOT_FOUND) {
			g->why = "the authorization code is invalid or expired";
			return ST_OK;
		}
		if (st != ST_OK)
			return st;
		/* RFC 6749 §4.1.2: a replay revokes what the code produced (kept: commit). */
		g->why = "the authorization code was already used; its tokens are revoked";
		return store_token_revoke_grant(s, used_grant, g->now, NULL, err);
	}
	if (st != ST_OK)
		return st;
	if (strcmp(g->code.client_id, g->client_id) != 0)
		return refuse(g, "the authorization code was issued to another client");
	if (g->code.redirect_uri != NULL &&
	    (g->redirect_uri == NULL || strcmp(g->code.redirect_uri, g->redirect_uri) != 0))
		return refuse(g, "redirect_uri does not match the authorization request");
	if (g->code.code_challenge != NULL) {
		if (g->verifier == NULL)
			return refuse(g, "code_verifier is required");
		if (!verifier_matches(g->verifier, g->code.code_challenge))
			return refuse(g, "code_verifier does not match the code_challenge");
	} else if (g->verifier != NULL) {
		return refuse(g, "code_verifier was sent but the authorization request had no "
		                 "code_challenge");
	}
	tokens_from_code(&g->issue, &g->code, g->may_refresh);
	st = store_token_insert(s, g->issue.rows, g->issue.count, err);
	return st == ST_OK ? c_nonce_apply(s, g, err) : st;
}

static enum status
cc_apply(struct store *s, void *arg, struct err *err)
{
	struct token_grant *g = arg;

	return store_token_insert(s, g->issue.rows, g->issue.count, err);
}

/*
 * The write of a refresh (RFC 6749 §6): the presented refresh token is
 * consumed (rotated) in one statement; a used one presented again revokes
 * its whole family, and that revocation is kept (RFC 6749 §10.4, OAuth 2.0
 * Security BCP §4.14.2). Mistakes of the caller roll back.
 */
/*
 * A used refresh token presented again within oauth2.refresh_token.grace_period
 * of its rotation, by its own client, while its family is still alive (a
 * family revoked for reuse or by /oauth2/revoke has no active refresh token
 * left): a retry after a lost answer, not a theft. Hydra's rotation grace.
 */
static enum status
in_grace(struct store *s, const struct token_grant *g, const struct store_token *old, bool *out,
         struct err *err)
{
	*out = false;
	if (g->grace_secs <= 0 || g->now - old->revoked_at > g->grace_secs ||
	    strcmp(old->client_id, g->client_id) != 0 || old->expires_at <= g->now)
		return ST_OK;
	return store_token_grant_has_refresh(s, old->grant_id, g->now, out, err);
}

static enum status
refresh_apply(struct store *s, void *arg, struct err *err)
{
	struct token_grant *g = arg;
	struct store_token old;
	const char *narrowed;
	enum status st;

	st = store_token_consume_refresh(s, g->code_hash, g->now, g->arena, &old, err);
	if (st == ST_NOT_FOUND) {
		bool is_grace;

		st = store_token_get(s, g->code_hash, g->arena, &old, err);
		if (st == ST_NOT_FOUND ||
		    (st == ST_OK && (old.kind != STORE_TOKEN_REFRESH || old.revoked_at == 0))) {
			g->is_refused = true;
			g->why = "the refresh token is invalid or expired";
			return ST_OK;
		}
		if (st != ST_OK)
			return st;
		st = in_grace(s, g, &old, &is_grace, err);
		if (st != ST_OK)
			return st;
		if (!is_grace) {
			g->is_refused = true;
			g->why = "the refresh token was already used; its grant is revoked";
			return store_token_revoke_grant(s, old.grant_id, g->now, NULL, err);
		}
		/* Within oauth2.refresh_token.grace_period of its rotation: served again. */
	} else if (st != ST_OK) {
		return st;
	}
	if (strcmp(old.client_id, g->client_id) != 0)
		return refuse(g, "the refresh token was issued to another client");
	/* RFC 6749 §6: a narrower scope may be asked for, never a wider one. */
	if (g->scope == NULL) {
		narrowed = old.scope;
	} else if (tokens_check_scope(g->arena, g->scope, old.scope, &narrowed) != ST_OK) {
		g->refusal = OAUTH_INVALID_SCOPE;
		return refuse(g, "scope exceeds what the refresh token was granted");
	}
	g->code = (struct store_code){
	        .client_id = old.client_id,
	        .user_id = old.user_id,
	        .sid = old.sid,
	        .scope = old.scope,
	        .auth_time = old.auth_time,
	        .acr = old.acr,
	        .amr = old.amr,
	        .claims = old.claims,
	        .session = old.session,
	};
	for (int i = 0; i < 2; i++)
		g->issue.rows[i].grant_id = old.grant_id; /* the family */
	tokens_from_code(&g->issue, &g->code, true);
	g->issue.count = 2;
	g->issue.scope = narrowed;
	g->issue.rows[0].scope = narrowed;
	st = store_token_insert(s, g->issue.rows, g->issue.count, err);
	return st == ST_OK ? c_nonce_apply(s, g, err) : st;
}

/*
 * The write of a device_code poll (RFC 8628 §3.4-3.5): an approved grant
 * is taken in one UPDATE ... RETURNING and its tokens inserted with it; a
 * pending one records the poll (and raises the interval of a device that
 * polls too fast); a consumed one presented again revokes its tokens, as a
 * replayed code does.
 */
static enum status
device_apply(struct store *s, void *arg, struct err *err)
{
	struct token_grant *g = arg;
	struct store_device d;
	int64_t interval;
	enum status st;

	st = store_device_consume(s, g->code_hash, g->client_id, g->now, g->arena, &d, err);
	if (st == ST_OK) {
		g->code = (struct store_code){
		        .client_id = d.client_id,
		        .user_id = d.user_id,
		        .sid = d.sid,
		        .scope = d.scope,
		        .auth_time = d.auth_time,
		        .acr = d.acr,
		        .amr = d.amr,
		};
		for (int i = 0; i < 2; i++)
			g->issue.rows[i].grant_id = d.grant_id;
		tokens_from_code(&g->issue, &g->code, g->may_refresh);
		return store_token_insert(s, g->issue.rows, g->issue.count, err);
	}
	if (st != ST_NOT_FOUND)
		return st;
	g->is_refused = true;
	st = store_device_get(s, g->code_hash, g->arena, &d, err);
	if (st == ST_NOT_FOUND || (st == ST_OK && strcmp(d.client_id, g->client_id) != 0)) {
		g->why = "the device_code is invalid";
		return ST_OK;
	}
	if (st != ST_OK)
		return st;
	if (d.status == STORE_DEVICE_CONSUMED) {
		g->why = "the device_code was already used; its tokens are revoked";
		return store_token_revoke_grant(s, d.grant_id, g->now, NULL, err);
	}
	if (d.expires_at <= g->now) {
		g->refusal = OAUTH_EXPIRED_TOKEN;
		g->why = "the device_code has expired: start again";
		return ST_OK;
	}
	if (d.status == STORE_DEVICE_DENIED) {
		g->refusal = OAUTH_DEVICE_ACCESS_DENIED;
		g->why = "the user denied the authorization";
		return ST_OK;
	}
	interval = d.interval_secs;
	if (d.last_poll_ms != 0 && g->now_ms - d.last_poll_ms < interval * 1000 - POLL_SLACK_MS) {
		interval += 5;
		g->refusal = OAUTH_SLOW_DOWN;
		g->why = "polling faster than the interval: wait 5 seconds longer from now on";
	} else {
		g->refusal = OAUTH_AUTHORIZATION_PENDING;
		g->why = "the user has not completed the authorization yet";
	}
	return store_device_poll(s, g->code_hash, g->now_ms, interval, err);
}

/* The ID token of a code redemption (OIDC Core §3.1.3.6) or a refresh (§12.2). */
static enum status
id_token(const struct app *app, struct request *req, const struct token_grant *g, char **out)
{
	const struct store_code *c = &g->code;
	struct id_token_params p;
	json_t *amr = NULL, *requested = NULL, *user_claims = NULL, *extra = NULL;
	struct store_user user;
	enum status st = ST_OK;

	memset(&p, 0, sizeof p);
	requested = claims_request_member(c->claims, "id_token");
	if (requested != NULL) {
		/* OIDC Core §5.5: claims asked for one by one go in the ID token. */
		st = store_user_get(app->store, c->user_id, req->arena, &user, &req->err);
		if (st == ST_OK)
			st = users_claims(&user, &user_claims, &req->err);
		if (st == ST_OK)
			st = claims_for_scopes(user_claims, NULL, requested, &extra);
		if (st != ST_OK)
			goto out;
	}
	if (c->session != NULL) {
		/* Headless mode: the consent app's session.id_token claims (issue 8). */
		json_t *session = claims_from_session(
		        c->session, g->issue.scope != NULL ? g->issue.scope : c->scope, requested,
		        app->cfg->oidc_claims_filter_by_scope);

		if (session != NULL) {
			if (extra == NULL)
				extra = json_object();
			json_object_update_missing(extra, session);
			json_decref(session);
		}
	}
	amr = tokens_amr_array(c->amr);
	p.issuer = app->issuer;
	st = subject_for_client(app, g->client_doc, g->client_id, c->user_id, req->arena, &p.sub,
	                        &req->err);
	if (st != ST_OK)
		goto out;
	p.aud = g->client_id;
	p.azp = g->client_id;
	p.nonce = c->nonce;
	p.auth_time = c->auth_time;
	p.acr = c->acr != NULL && c->acr[0] != '\0' ? c->acr : NULL;
	p.amr = amr;
	p.sid = c->sid;
	p.iat = g->now;
	p.exp = g->now + app->cfg->ttl_id_token_secs;
	p.access_token = g->issue.access_token;
	p.extra = extra;
	st = id_token_sign(app->keyring, g->now, &p, req->arena, out, &req->err);
out:
	json_decref(amr);
	json_decref(requested);
	json_decref(user_claims);
	json_decref(extra);
	return st;
}

/* RFC 6749 §5.1: the successful response, never cached. */
static enum status
token_response(const struct app *app, struct request *req, struct response *res,
               struct token_grant *g)
{
	const struct tokens_issue *t = &g->issue;
	json_t *body;
	char *idt = NULL;
	const char *sub = g->client_id;
	enum status st = ST_OK;

	/* RFC 9068 tokens are signed now that the grant is known and written. */
	if (g->kind != GRANT_CLIENT_CREDENTIALS)
		st = subject_for_client(app, g->client_doc, g->client_id, g->code.user_id,
		                        req->arena, &sub, &req->err);
	if (st == ST_OK)
		st = tokens_sign_access(app, &g->issue, sub, g->now, req->arena, &req->err);
	if (st != ST_OK)
		return st;
	body = json_object();

	json_object_set_new(body, "access_token", json_string(t->access_token));
	json_object_set_new(body, "token_type", json_string("bearer"));
	json_object_set_new(body, "expires_in", json_integer(app->cfg->ttl_access_token_secs));
	json_object_set_new(body, "scope", json_string(t->scope != NULL ? t->scope : ""));
	if (t->refresh_token != NULL && t->count > 1)
		json_object_set_new(body, "refresh_token", json_string(t->refresh_token));
	if (g->kind != GRANT_CLIENT_CREDENTIALS && claims_scope_has(t->scope, "openid")) {
		st = id_token(app, req, g, &idt);
		if (st != ST_OK) {
			json_decref(body);
			return st;
		}
		json_object_set_new(body, "id_token", json_string(idt));
	}
	if (g->has_c_nonce)
		credentials_nonce_members(app, body, g->c_nonce.value, false);
	response_json(res, req->arena, 200, body);
	return ST_OK;
}

static enum status
written(const struct app *app, struct request *req, struct response *res)
{
	struct token_grant *g = req->write_state;
	enum status st;

	if (g->is_refused) {
		log_req(LOG_INFO, req, "token request refused: %s", g->why);
		st = oauth_error(res, req->arena, g->refusal, g->why);
	} else if (req->write_status != ST_OK) {
		req->err = req->write_err;
		st = req->write_status;
	} else {
		st = token_response(app, req, res, g);
		if (st == ST_OK)
			metrics_token_issued(g->kind == GRANT_CODE      ? METRICS_GRANT_CODE
			                     : g->kind == GRANT_REFRESH ? METRICS_GRANT_REFRESH
			                     : g->kind == GRANT_DEVICE
			                             ? METRICS_GRANT_DEVICE
			                             : METRICS_GRANT_CLIENT_CREDENTIALS);
	}
	cors_allow_origin(req, res, g->client_doc);
	json_decref(g->client_doc);
	g->client_doc = NULL;
	return st;
}

static enum status
code_grant(const struct app *app, struct request *req, struct response *res, struct token_grant *g)
{
	const char *code = request_form(req, "code");
	enum status st;

	if (code == NULL || code[0] == '\0')
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, "code is required");
	secrets_token_hash(app->cfg, code, g->code_hash);
	g->redirect_uri = request_form(req, "redirect_uri");
	g->verifier = request_form(req, "code_verifier");
	if (g->verifier != NULL && g->verifier[0] == '\0')
		g->verifier = NULL;
	g->may_refresh = clients_doc_has_word(g->client_doc, "grant_types", "refresh_token");
	st = random_uuid7(clock_now_ms(&app->clock), g->grant_id, &req->err);
	if (st == ST_OK)
		st = tokens_new(app, req->arena, g->now, g->grant_id, g->client_id, g->may_refresh,
		                &g->issue, &req->err);
	if (st == ST_OK)
		st = c_nonce_prepare(app, req, g);
	if (st != ST_OK)
		return st;
	return request_write(app, req, res, code_apply, g, g);
}

static enum status
refresh_grant(const struct app *app, struct request *req, struct response *res,
              struct token_grant *g)
{
	const char *token = request_form(req, "refresh_token");
	enum status st;

	if (token == NULL || token[0] == '\0')
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
		                   "refresh_token is required");
	st = tokens_find_hash(app, token, req->arena, g->code_hash, &req->err);
	if (st != ST_OK)
		return st;
	g->scope = request_form(req, "scope");
	g->grace_secs = app->cfg->oauth2_refresh_grace_secs;
	st = tokens_new(app, req->arena, g->now, NULL, g->client_id, true, &g->issue, &req->err);
	if (st == ST_OK)
		st = c_nonce_prepare(app, req, g);
	if (st != ST_OK)
		return st;
	return request_write(app, req, res, refresh_apply, g, g);
}

/* RFC 8628 §3.4: the device polls with its device_code. */
static enum status
device_grant(const struct app *app, struct request *req, struct response *res,
             struct token_grant *g)
{
	const char *code = request_form(req, "device_code");
	enum status st;

	if (code == NULL || code[0] == '\0')
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
		                   "device_code is required");
	secrets_token_hash(app->cfg, code, g->code_hash);
	g->may_refresh = clients_doc_has_word(g->client_doc, "grant_types", "refresh_token");
	g->now_ms = clock_now_ms(&app->clock);
	st = tokens_new(app, req->arena, g->now, NULL, g->client_id, g->may_refresh, &g->issue,
	                &req->err);
	if (st != ST_OK)
		return st;
	return request_write(app, req, res, device_apply, g, g);
}

/* RFC 6749 §4.4: scopes asked for, each one the client's; none asked: none granted. */
static enum status
cc_grant(const struct app *app, struct request *req, struct response *res, struct token_grant *g,
         enum client_auth_method method)
{
	const char *scope = request_form(req, "scope");
	const char *allowed = doc_str(g->client_doc, "scope");
	const char *joined;
	char grant_id[37];
	enum status st;

	if (method == CLIENT_AUTH_NONE)
		return oauth_error(res, req->arena, OAUTH_UNAUTHORIZED_CLIENT,
		                   "client_credentials needs a confidential client");
	st = tokens_check_scope(req->arena, scope, allowed, &joined);
	if (st == ST_INVALID)
		return oauth_error(res, req->arena, OAUTH_INVALID_SCOPE,
		                   "a requested scope is not allowed for this client");
	if (st == ST_OK)
		st = random_uuid7(clock_now_ms(&app->clock), grant_id, &req->err);
	if (st == ST_OK)
		st = tokens_new(app, req->arena, g->now, arena_strdup(req->arena, grant_id),
		                g->client_id, false, &g->issue, &req->err);
	if (st != ST_OK)
		return st;
	tokens_for_client(&g->issue, joined);
	/* tokens_for_client: one access token, so one INSERT (store_token_insert). */
	return request_write_one_statement(app, req, res, cc_apply, g, g);
}

enum status
handle_token(const struct app *app, struct request *req, struct response *res)
{
	const char *grant_type = request_form(req, "grant_type");
	struct client_record client;
	struct token_grant *g;
	enum client_auth_method method;
	enum grant_kind kind;
	enum status st;

	if (req->is_write_done)
		return written(app, req, res);
	if (grant_type == NULL || grant_type[0] == '\0')
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
		                   "grant_type is required");
	if (strcmp(grant_type, "authorization_code") == 0)
		kind = GRANT_CODE;
	else if (strcmp(grant_type, "client_credentials") == 0)
		kind = GRANT_CLIENT_CREDENTIALS;
	else if (strcmp(grant_type, "refresh_token") == 0)
		kind = GRANT_REFRESH;
	else if (strcmp(grant_type, DEVICE_GRANT_TYPE) == 0)
		kind = GRANT_DEVICE;
	else
		return oauth_error(res, req->arena, OAUTH_UNSUPPORTED_GRANT_TYPE,
		                   "grant_type must be authorization_code, refresh_token, "
		                   "client_credentials or " DEVICE_GRANT_TYPE);

	st = client_auth_request(app, req, res, &client, &method);
	if (st != ST_OK)
		return st == ST_INVALID ? ST_OK : st;
	if (!clients_doc_has_word(client.doc, "grant_types", grant_type)) {
		clients_record_clear(&client);
		return oauth_error(res, req->arena, OAUTH_UNAUTHORIZED_CLIENT,
		                   "the client is not allowed this grant_type");
	}
	g = arena_alloc(req->arena, sizeof *g);
	memset(g, 0, sizeof *g);
	g->kind = kind;
	g->arena = req->arena;
	g->now = clock_now(&app->clock);
	g->client_id = client.row.id;
	g->client_doc = client.doc; /* the reference moves to g */
	client.doc = NULL;
	g->refusal = OAUTH_INVALID_GRANT;
	if (kind == GRANT_CODE)
		st = code_grant(app, req, res, g);
	else if (kind == GRANT_REFRESH)
		st = refresh_grant(app, req, res, g);
	else if (kind == GRANT_DEVICE)
		st = device_grant(app, req, res, g);
	else
		st = cc_grant(app, req, res, g, method);
	if (!res->is_deferred) {
		json_decref(g->client_doc);
		g->client_doc = NULL;
	}
	return st;
}
