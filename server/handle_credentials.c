/*
 * server/handle_credentials.c — POST /credentials (Hydra's
 * createVerifiableCredential; OpenID Connect UserInfo Verifiable
 * Credentials 1.0 draft 00, hydra-behaviour §6) and the audit listing
 * GET /admin/credentials?subject= on the admin listener.
 *
 * POST /credentials, in order:
 *   1. the access token (Authorization: Bearer, RFC 6750 §2.1; the body is
 *      JSON, so there is no form parameter) must be active: else 401
 *      invalid_token with a challenge (RFC 6750 §3.1);
 *   2. it must carry openid and userinfo_credential_draft_00 and a user:
 *      else 403 insufficient_scope (Hydra checks neither);
 *   3. the body (credential_request.c): malformed → invalid_request,
 *      format → unsupported_credential_format, types →
 *      unsupported_credential_type, no proof → the priming answer
 *      (invalid_request), a proof that fails any check → invalid_proof;
 *   4. the proof's nonce is consumed: single use and bound to this access
 *      token, in the same write that records the credential for audit.
 * Every 400 and the 200 carry a fresh nonce (c_nonce_draft_00, and for
 * 400s also c_nonce, the name of Hydra's VerifiableCredentialPrimingResponse
 * that its SDK decodes); that nonce is stored in the same write too, so a
 * request is answered only once its nonce is durable. The credential is
 * signed after the write committed: nothing is issued unless recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "server/claims.h"
#include "server/clients.h"
#include "server/cors.h"
#include "server/credential_request.h"
#include "server/credentials.h"
#include "server/handlers.h"
#include "server/subject.h"
#include "server/tokens.h"
#include "server/users.h"

/* GET /admin/credentials: default and largest page. */
#define LIST_DEFAULT 100
#define LIST_MAX     1000

/* One credential request between its two runs (request_write). */
struct vc_request {
	int64_t now;
	unsigned char token_hash[STORE_HASH_LEN];
	struct credentials_nonce fresh; /* handed out with the answer */
	/* set when the proof passed every check but its nonce */
	bool has_proof;
	unsigned char proof_nonce_hash[STORE_HASH_LEN];
	struct store_credential audit;
	const char *did;
	const char *claims_json; /* the claims the token's scopes release, JSON text */
	json_t *client_doc;      /* reference owned here until the second run */
	/* a refusal (400): answered with the fresh nonce */
	bool is_refused;
	const char *refusal; /* the error code */
	const char *why;
};

static enum status
challenge(struct request *req, struct response *res, enum oauth_error e, const char *description)
{
	oauth_error(res, req->arena, e, description);
	response_header(res, "WWW-Authenticate",
	                arena_printf(req->arena, "Bearer error=\"%s\", error_description=\"%s\"",
	                             oauth_error_code(e), description));
	return ST_OK;
}

/*
 * The error codes of the credential endpoint (OpenID4VCI §8.3.1.2), all
 * 400. They are answered as oauth_error's invalid_request body with its
 * "error" replaced, so the shared table (oauth_error.c) stays as it is.
 */
#define ERR_INVALID_PROOF      "invalid_proof"
#define ERR_UNSUPPORTED_FORMAT "unsupported_credential_format"
#define ERR_UNSUPPORTED_TYPE   "unsupported_credential_type"
#define ERR_INVALID_REQUEST    "invalid_request"

static void
refuse(struct vc_request *v, const char *e, const char *why)
{
	v->is_refused = true;
	v->refusal = e;
	v->why = why;
}

/* The write: the fresh nonce, and for a checked proof its nonce and the audit row. */
static enum status
vc_apply(struct store *s, void *arg, struct err *err)
{
	struct vc_request *v = arg;
	enum status st;

	st = store_vc_nonce_insert(s, v->fresh.hash, v->token_hash, v->fresh.expires_at, err);
	if (st != ST_OK || !v->has_proof)
		return st;
	st = store_vc_nonce_consume(s, v->proof_nonce_hash, v->token_hash, v->now, err);
	if (st == ST_NOT_FOUND) {
		/* Kept (ST_OK): the fresh nonce must be usable. */
		refuse(v, ERR_INVALID_PROOF,
		       "proof: the nonce is unknown, expired, used or not this token's");
		return ST_OK;
	}
	if (st != ST_OK)
		return st;
	return store_credential_insert(s, &v->audit, err);
}

static enum status
answer_refusal(const struct app *app, struct request *req, struct response *res,
               const struct vc_request *v)
{
	json_t *body = oauth_error_body(req->arena, OAUTH_INVALID_REQUEST, v->why);

	log_req(LOG_INFO, req, "credential request refused: %s: %s", v->refusal, v->why);
	json_object_set_new(body, "error", json_string(v->refusal));
	credentials_nonce_members(app, body, v->fresh.value, true);
	response_json(res, req->arena, 400, body);
	res->content_type = "application/json"; /* as oauth_error (hydra-behaviour §0.1) */
	return ST_OK;
}

static enum status
answer_credential(const struct app *app, struct request *req, struct response *res,
                  const struct vc_request *v)
{
	struct credentials_vc vc = {
	        .jti = v->audit.jti,
	        .did = v->did,
	        .subject = v->audit.subject,
	        .iat = v->audit.iat,
	        .exp = v->audit.exp,
	};
	json_t *claims = json_loads(v->claims_json, 0, NULL), *body;
	char *jwt = NULL;
	enum status st;

	vc.claims = claims;
	st = credentials_sign(app, &vc, req->arena, &jwt, &req->err);
	json_decref(claims);
	if (st != ST_OK)
		return st;
	body = json_pack("{s:s, s:s}", "format", CREDENTIAL_FORMAT, "credential_draft_00", jwt);
	credentials_nonce_members(app, body, v->fresh.value, false);
	response_json(res, req->arena, 200, body);
	return ST_OK;
}

static enum status
written(const struct app *app, struct request *req, struct response *res)
{
	struct vc_request *v = req->write_state;
	enum status st;

	if (req->write_status != ST_OK) {
		req->err = req->write_err;
		st = req->write_status;
	} else if (v->is_refused) {
		st = answer_refusal(app, req, res, v);
	} else {
		st = answer_credential(app, req, res, v);
	}
	cors_allow_origin(req, res, v->client_doc);
	json_decref(v->client_doc);
	v->client_doc = NULL;
	return st;
}

static const char *
problem_error(enum credential_problem p)
{
	switch (p) {
	case CREDENTIAL_UNSUPPORTED_FORMAT:
		return ERR_UNSUPPORTED_FORMAT;
	case CREDENTIAL_UNSUPPORTED_TYPE:
		return ERR_UNSUPPORTED_TYPE;
	case CREDENTIAL_INVALID_PROOF:
		return ERR_INVALID_PROOF;
	case CREDENTIAL_OK:
	case CREDENTIAL_INVALID_REQUEST:
	case CREDENTIAL_MISSING_PROOF:
		break;
	}
	return ERR_INVALID_REQUEST;
}

/* The user claims the token's scopes release (OIDC Core §5.4), as JSON text. */
static enum status
released_claims(const struct store_user *user, const char *scope, struct arena *arena,
                const char **out, struct err *err)
{
	json_t *user_claims = NULL, *released = NULL;
	char *text;
	enum status st;

	st = users_claims(user, &user_claims, err);
	if (st == ST_OK)
		st = claims_for_scopes(user_claims, scope, NULL, &released);
	json_decref(user_claims);
	if (st != ST_OK)
		return st;
	text = json_dumps(released, JSON_COMPACT);
	json_decref(released);
	if (text == NULL)
		return ERR_SET(err, ST_INVALID, "released claims cannot be serialised");
	*out = arena_strdup(arena, text);
	free(text);
	return ST_OK;
}

/*
 * Checks the body and the proof; on success fills what the write and the
 * credential need. A refusal is recorded in v (ST_OK).
 */
static enum status
check_request(const struct app *app, struct request *req, struct vc_request *v,
              const struct store_token *t, const struct store_user *user)
{
	struct credential_request cr;
	struct credential_proof proof;
	struct err why = {0};
	enum credential_problem p;
	enum status st;
	char jti[37];

	p = credential_request_parse(req->body, req->body_len, req->arena, &cr, &why);
	if (p != CREDENTIAL_OK) {
		refuse(v, problem_error(p), arena_strdup(req->arena, why.msg));
		return ST_OK;
	}
	st = credential_proof_parse(cr.proof_jwt, req->arena, &proof, &why);
	if (st == ST_OK)
		st = credential_proof_check_claims(&proof, app->issuer, v->now, &why);
	if (st != ST_OK) {
		credential_proof_clear(&proof);
		refuse(v, ERR_INVALID_PROOF, arena_strdup(req->arena, why.msg));
		return ST_OK;
	}
	v->has_proof = true;
	credentials_nonce_hash(app, proof.nonce, v->proof_nonce_hash);
	v->did = proof.did;
	v->audit.key_thumbprint = arena_strdup(req->arena, proof.thumbprint);
	credential_proof_clear(&proof);

	st = released_claims(user, t->scope, req->arena, &v->claims_json, &req->err);
	if (st == ST_OK)
		st = random_uuid(jti, &req->err);
	if (st != ST_OK)
		return st;
	v->audit.jti = arena_strdup(req->arena, jti);
	st = subject_for_client(app, v->client_doc, t->client_id, user->id, req->arena,
	                        &v->audit.subject, &req->err);
	if (st != ST_OK)
		return st;
	v->audit.user_id = user->id;
	v->audit.client_id = t->client_id;
	v->audit.iat = v->now;
	v->audit.exp = v->now + app->cfg->ttl_vc_secs;
	return ST_OK;
}

/* The client document when the answer needs it (pairwise sub, CORS), else NULL. */
static enum status
client_doc(const struct request *req, const struct client_record *client, json_t **out,
           struct err *err)
{
	json_error_t jerr;

	*out = NULL;
	if (request_header(req, "Origin") == NULL &&
	    strstr(client->row.metadata, "\"subject_type\":\"public\"") != NULL)
		return ST_OK;
	*out = json_loads(client->row.metadata, 0, &jerr);
	if (*out == NULL)
		return ERR_SET(err, ST_IO, "client %s: stored metadata is not JSON",
		               client->row.id);
	return ST_OK;
}

/* Token, user and client from one snapshot; ST_NOT_FOUND with res filled for the holder. */
static enum status
load_holder(const struct app *app, struct request *req, struct response *res, struct vc_request *v,
            struct store_token *t, struct store_user *user, struct client_record *client)
{
	enum status st;

	st = store_read_begin(app->store, &req->err);
	if (st != ST_OK)
		return st;
	st = store_token_get_active(app->store, v->token_hash, v->now, req->arena, t, &req->err);
	if (st == ST_OK && t->kind != STORE_TOKEN_ACCESS)
		st = ST_NOT_FOUND;
	if (st == ST_OK) {
		req->client_id = t->client_id;
		if (!credentials_scope_granted(t->scope) || t->user_id == NULL) {
			store_read_end(app->store);
			challenge(req, res, OAUTH_INSUFFICIENT_SCOPE,
			          "the access token was not granted the openid and "
			          "userinfo_credential_draft_00 scopes for a user");
			return ST_NOT_FOUND;
		}
		st = store_user_get(app->store, t->user_id, req->arena, user, &req->err);
	}
	if (st == ST_OK)
		st = clients_load_row(app, t->client_id, req->arena, client, &req->err);
	store_read_end(app->store);
	if (st == ST_NOT_FOUND)
		challenge(req, res, OAUTH_INVALID_TOKEN,
		          "the access token is unknown, expired or revoked");
	return st;
}

enum status
handle_credentials(const struct app *app, struct request *req, struct response *res)
{
	const char *token = request_bearer(req);
	struct client_record client;
	struct store_token t;
	struct store_user user;
	struct vc_request *v;
	enum status st;

	if (req->is_write_done)
		return written(app, req, res);
	if (token == NULL)
		return challenge(req, res, OAUTH_INVALID_TOKEN, "no access token was sent");
	v = arena_alloc(req->arena, sizeof *v);
	memset(v, 0, sizeof *v);
	memset(&client, 0, sizeof client);
	v->now = clock_now(&app->clock);
	st = tokens_find_hash(app, token, req->arena, v->token_hash, &req->err);
	if (st != ST_OK)
		return st;
	st = load_holder(app, req, res, v, &t, &user, &client);
	if (st == ST_NOT_FOUND)
		return ST_OK;
	if (st == ST_OK)
		st = client_doc(req, &client, &v->client_doc, &req->err);
	if (st == ST_OK)
		st = credentials_nonce_new(app, v->now, req->arena, &v->fresh, &req->err);
	if (st == ST_OK)
		st = check_request(app, req, v, &t, &user);
	if (st == ST_OK)
		st = request_write(app, req, res, vc_apply, v, v);
	if (!res->is_deferred) {
		json_decref(v->client_doc);
		v->client_doc = NULL;
	}
	return st;
}

/*
 * GET /admin/credentials?subject=<sub or user id>[&page_size=N]: the audit
 * records, newest first, at most page_size (default 100, at most 1000).
 */
enum status
handle_admin_credentials_list(const struct app *app, struct request *req, struct response *res)
{
	const char *subject = request_query(req, "subject"),
	           *size = request_query(req, "page_size");
	struct store_credential *rows = NULL;
	size_t limit = LIST_DEFAULT, n = 0, i;
	json_t *out;
	enum status st;

	if (subject == NULL || subject[0] == '\0')
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, "subject is required");
	if (size != NULL) {
		char *end = NULL;
		unsigned long v = strtoul(size, &end, 10);

		if (size[0] < '0' || size[0] > '9' || *end != '\0' || v < 1 || v > LIST_MAX)
			return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
			                   "page_size must be 1 to 1000");
		limit = v;
	}
	st = store_credential_list(app->store, subject, limit, req->arena, &rows, &n, NULL,
	                           &req->err);
	if (st != ST_OK)
		return st;
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(
		        out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "jti", rows[i].jti,
		                       "subject", rows[i].subject, "user_id", rows[i].user_id,
		                       "client_id", rows[i].client_id, "key_thumbprint",
		                       rows[i].key_thumbprint, "iat", (json_int_t)rows[i].iat,
		                       "exp", (json_int_t)rows[i].exp));
	response_json(res, req->arena, 200, out);
	return ST_OK;
}
