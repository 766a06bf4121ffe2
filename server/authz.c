/*
 * server/authz.c — the authorization code flow across the built-in pages
 * (see authz.h): checking a request against its client, the browser's
 * login session, consent, issuing codes, and answering the client by
 * redirect or form post (RFC 6749 §4.1.2, OAuth 2.0 Form Post Response
 * Mode).
 */
#include "server/authz.h"

#include <string.h>

#include "common/log.h"
#include "crypto/b64url.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "server/claims.h"
#include "server/id_token.h"
#include "server/metrics.h"
#include "server/page.h"
#include "server/request_object.h"
#include "server/secrets.h"
#include "server/subject.h"
#include "server/users.h"

static bool
is_https_issuer(const struct app *app)
{
	return strncmp(app->issuer, "https://", 8) == 0;
}

static const char *
doc_str(const json_t *doc, const char *name)
{
	return json_string_value(json_object_get(doc, name));
}

enum status
authz_error_page(const struct app *app, struct request *req, struct response *res, int status,
                 const char *title, const char *description)
{
	struct page_vars v = {.title = title, .description = description};

	return page_render(res, req->arena, app->templates, PAGE_ERROR, &v, status, &req->err);
}

static enum status
refused_page(const struct app *app, struct request *req, struct response *res,
             const struct authorize_error *e)
{
	log_req(LOG_INFO, req, "authorization request refused: %s: %s", oauth_error_code(e->error),
	        e->description);
	return authz_error_page(app, req, res, 400, "This sign-in request cannot be completed",
	                        e->description);
}

/*
 * Answers the client with params: a redirect to redirect_uri (query or
 * fragment), or the form post page with a script nonce in its CSP.
 */
static enum status
answer_client(const struct app *app, struct request *req, struct response *res,
              const struct authz *az, const struct form_param *params, size_t n)
{
	const struct authorize_request *r = &az->r;
	char nonce[33], *csp;
	const char *html, *url;
	enum status st;

	(void)app;
	if (r->response_mode == AUTHORIZE_MODE_FORM_POST) {
		st = random_hex(16, nonce, &req->err);
		if (st != ST_OK)
			return st;
		st = page_csp(req->arena, r->redirect_uri, &csp, &req->err);
		if (st != ST_OK)
			return st;
		html = authorize_form_post_html(req->arena, r->redirect_uri, params, n, nonce);
		response_raw(res, req->arena, 200, "text/html; charset=utf-8", html, strlen(html));
		response_header(res, "Content-Security-Policy",
		                arena_printf(req->arena, "%s; script-src 'nonce-%s'", csp, nonce));
		return ST_OK;
	}
	url = authorize_redirect_url(req->arena, r->redirect_uri, r->response_mode, params, n);
	res->status = az->is_post ? 303 : 302;
	res->body = NULL;
	res->body_len = 0;
	response_header(res, "Location", url);
	return ST_OK;
}

enum status
authz_redirect_error(const struct app *app, struct request *req, struct response *res,
                     const struct authz *az, enum oauth_error error, const char *description)
{
	struct authorize_error e = {.error = error};
	struct form_param params[3];
	size_t n;

	snprintf(e.description, sizeof e.description, "%s", description);
	n = authorize_error_params(&e, az->r.state, params);
	log_req(LOG_INFO, req, "authorization error for client %s: %s: %s", az->r.client_id,
	        oauth_error_code(error), description);
	return answer_client(app, req, res, az, params, n);
}

static enum status
redirect_refusal(const struct app *app, struct request *req, struct response *res,
                 const struct authz *az, const struct authorize_error *e)
{
	return authz_redirect_error(app, req, res, az, e->error, e->description);
}

void
authz_clear(struct authz *az)
{
	clients_record_clear(&az->client);
}

/*
 * OIDC Core §6: the parameters of a request that uses a request object,
 * into *out. A request object the client gets wrong leaves *out the query
 * without it and *rerr set: the error goes to the client once its
 * redirect_uri is known to be good (§3.1.2.6), or on a page.
 */
static enum status
resolve_request_object(const struct app *app, struct request *req, struct response *res,
                       const struct form *query, struct form *out, struct authorize_error *rerr)
{
	const char *client_id = form_get(query, "client_id");
	struct client_record client;
	enum status st;

	(void)res;
	request_object_strip(query, req->arena, out);
	if (client_id == NULL || client_id[0] == '\0')
		return ST_OK; /* the parse refuses the request on a page */
	st = clients_load(app, client_id, req->arena, &client, &req->err);
	if (st == ST_NOT_FOUND)
		return ST_OK; /* likewise */
	if (st != ST_OK)
		return st;
	st = request_object_resolve(app, query, client_id, client.doc, req->arena, out, rerr,
	                            &req->err);
	clients_record_clear(&client);
	if (st == ST_INVALID) {
		log_req(LOG_INFO, req, "request object refused: %s", rerr->description);
		request_object_strip(query, req->arena, out);
		return ST_OK;
	}
	return st;
}

enum status
authz_start(const struct app *app, struct request *req, struct response *res,
            const struct form *params, bool is_post, struct authz *az, bool *done)
{
	unsigned char hash[DIGEST_SHA256_BYTES];
	struct authorize_error e, e2, rerr = {0};
	struct form resolved;
	bool has_rerr = false;
	enum status parsed, st;
	char *url;

	memset(az, 0, sizeof *az);
	az->is_post = is_post;
	*done = true;
	if (request_object_present(params)) {
		st = resolve_request_object(app, req, res, params, &resolved, &rerr);
		if (st != ST_OK)
			return st;
		has_rerr = rerr.description[0] != '\0';
		params = &resolved;
	}
	parsed = authorize_request_parse(params, req->arena, &az->r, &e);
	if (parsed != ST_OK && e.must_not_redirect)
		return refused_page(app, req, res, &e);
	req->client_id = az->r.client_id;
	st = clients_load(app, az->r.client_id, req->arena, &az->client, &req->err);
	if (st == ST_NOT_FOUND) {
		snprintf(e2.description, sizeof e2.description, "%s",
		         "the client is not registered");
		e2.error = OAUTH_INVALID_CLIENT;
		return refused_page(app, req, res, &e2);
	}
	if (st != ST_OK)
		return st;
	if (authorize_redirect_uri_check(&az->r, az->client.doc, &e2) != ST_OK) {
		authz_clear(az);
		return refused_page(app, req, res, &e2);
	}
	if (parsed != ST_OK || has_rerr) {
		st = redirect_refusal(app, req, res, az, has_rerr ? &rerr : &e);
		authz_clear(az);
		return st;
	}
	if (authorize_request_check(&az->r, az->client.doc, app->cfg->oauth2_pkce_enforced, &e) !=
	    ST_OK) {
		st = e.must_not_redirect ? refused_page(app, req, res, &e)
		                         : redirect_refusal(app, req, res, az, &e);
		authz_clear(az);
		return st;
	}
	/* "" has no query: the result starts with the '?' separator. */
	url = authorize_redirect_url(req->arena, "", AUTHORIZE_MODE_QUERY, params->params,
	                             params->count);
	az->encoded = url[0] == '?' ? url + 1 : url;
	digest_sha256(az->encoded, strlen(az->encoded), hash);
	az->digest = b64url_encode_arena(req->arena, hash, sizeof hash);
	authz_cookies(req, &az->cookies);
	*done = false;
	return ST_OK;
}

void
authz_cookies(struct request *req, struct cookie_jar *out)
{
	const char *cookie = request_header(req, "Cookie");
	struct err cerr;

	/* An oversized Cookie header counts as none. */
	if (cookie == NULL || cookie_parse(cookie, strlen(cookie), req->arena, out, &cerr) != ST_OK)
		out->count = 0;
}

enum status
authz_session(const struct app *app, struct request *req, const struct authz *az,
              struct store_session *out)
{
	return authz_session_of(app, req, &az->cookies, out);
}

enum status
authz_session_of(const struct app *app, struct request *req, const struct cookie_jar *cookies,
                 struct store_session *out)
{
	unsigned char hash[DIGEST_SHA256_BYTES];

	return authz_session_hash_of(app, req, cookies, hash, out);
}

enum status
authz_session_hash_of(const struct app *app, struct request *req, const struct cookie_jar *cookies,
                      unsigned char hash_out[STORE_HASH_LEN], struct store_session *out)
{
	const char *value = cookie_get(cookies, AUTHZ_SESSION_COOKIE);
	enum status st = ST_NOT_FOUND;

	if (value == NULL || value[0] == '\0')
		return ST_NOT_FOUND;
	/* During a rotation of secrets.system, under each secret in turn. */
	for (size_t i = 0; st == ST_NOT_FOUND && i < app->cfg->secrets_system_count; i++) {
		secrets_token_hash_at(app->cfg, i, value, hash_out);
		st = store_session_get_active(app->store, hash_out, clock_now(&app->clock),
		                              req->arena, out, &req->err);
	}
	return st;
}

const char *
authz_csrf_binding(const struct app *app, const struct authz *az)
{
	return authz_csrf_binding_of(app, &az->cookies);
}

const char *
authz_csrf_binding_of(const struct app *app, const struct cookie_jar *cookies)
{
	return cookie_get(cookies, page_csrf_cookie_name(is_https_issuer(app)));
}

const char *
authz_csrf_purpose(struct request *req, const struct authz *az, const char *page, const char *sid)
{
	return arena_printf(req->arena, "%s:%s:%s", page, az->digest, sid != NULL ? sid : "");
}

enum status
authz_csrf_binding_ensure(const struct app *app, struct request *req, struct response *res,
                          const struct cookie_jar *cookies, const char **out)
{
	const char *binding = authz_csrf_binding_of(app, cookies);
	bool https = is_https_issuer(app);
	char *fresh, *set;
	enum status st;

	if (binding != NULL && binding[0] != '\0' && strchr(binding, '|') == NULL) {
		*out = binding;
		return ST_OK;
	}
	st = page_csrf_binding_new(req->arena, &fresh, &req->err);
	if (st == ST_OK)
		st = cookie_set(req->arena, page_csrf_cookie_name(https), fresh, -1, https, true,
		                COOKIE_SAME_SITE_LAX, &set, &req->err);
	if (st != ST_OK)
		return st;
	response_header(res, "Set-Cookie", set);
	*out = fresh;
	return ST_OK;
}

enum status
authz_csrf_token(const struct app *app, struct request *req, struct response *res,
                 const struct cookie_jar *cookies, const char *purpose, char **out)
{
	const char *binding;
	enum status st = authz_csrf_binding_ensure(app, req, res, cookies, &binding);

	if (st != ST_OK)
		return st;
	return page_csrf_token(app->cfg, binding, purpose, req->arena, out, &req->err);
}

static void
client_vars(const struct authz *az, struct page_vars *v)
{
	const json_t *doc = az->client.doc;

	v->client_id = az->r.client_id;
	v->client_name = doc_str(doc, "client_name");
	if (v->client_name != NULL && v->client_name[0] == '\0')
		v->client_name = NULL;
	if (v->client_name == NULL)
		v->client_name = az->r.client_id;
	v->logo_uri = doc_str(doc, "logo_uri");
	v->client_uri = doc_str(doc, "client_uri");
	v->policy_uri = doc_str(doc, "policy_uri");
	v->tos_uri = doc_str(doc, "tos_uri");
	/* The form's answer redirects to the client: CSP form-action must allow it. */
	v->form_action = az->r.redirect_uri;
}

enum status
authz_login_page(const struct app *app, struct request *req, struct response *res,
                 const struct authz *az, const char *error, const char *username, int status)
{
	struct page_vars v;
	char *csrf;
	enum status st;

	memset(&v, 0, sizeof v);
	st = authz_csrf_token(app, req, res, &az->cookies,
	                      authz_csrf_purpose(req, az, "login", NULL), &csrf);
	if (st != ST_OK)
		return st;
	client_vars(az, &v);
	v.action = arena_printf(req->arena, "%s?%s", AUTHZ_LOGIN_PATH, az->encoded);
	v.csrf = csrf;
	v.error = error;
	v.login_hint = username != NULL ? username : az->r.login_hint;
	return page_render(res, req->arena, app->templates, PAGE_LOGIN, &v, status, &req->err);
}

static enum status
consent_page(const struct app *app, struct request *req, struct response *res,
             const struct authz *az, const struct store_session *sess)
{
	struct store_user user;
	struct page_vars v;
	char *csrf;
	enum status st;

	memset(&v, 0, sizeof v);
	st = store_user_get(app->store, sess->user_id, req->arena, &user, &req->err);
	if (st != ST_OK)
		return st;
	st = authz_csrf_token(app, req, res, &az->cookies,
	                      authz_csrf_purpose(req, az, "consent", sess->sid), &csrf);
	if (st != ST_OK)
		return st;
	client_vars(az, &v);
	v.action = arena_printf(req->arena, "%s?%s", AUTHZ_CONSENT_PATH, az->encoded);
	v.csrf = csrf;
	v.user_name = user.username;
	v.scope = az->r.scope;
	return page_render(res, req->arena, app->templates, PAGE_CONSENT, &v, 200, &req->err);
}

struct authz_pending *
authz_pending_new(const struct app *app, struct request *req)
{
	struct authz_pending *p = arena_alloc(req->arena, sizeof *p);

	memset(p, 0, sizeof *p);
	response_init(&p->res);
	p->now = clock_now(&app->clock);
	return p;
}

/* True when every scope of want is in have (both space-separated). */
static bool
scopes_cover(const char *have, const struct authorize_request *r)
{
	for (size_t i = 0; i < r->scopes_count; i++)
		if (!claims_scope_has(have, r->scopes[i]))
			return false;
	return true;
}

/*
 * The ID token of the implicit and hybrid flows (OIDC Core §3.2.2.10,
 * §3.3.2.11): at_hash and c_hash for what travels with it, and, when no
 * access token is issued, the user's claims by scope (§5.4). In headless
 * mode also the consent app's session.id_token claims, as the token
 * endpoint adds them (pending: its session_claims and granted_scope).
 */
static enum status
front_id_token(const struct app *app, struct request *req, const struct authz *az,
               const struct store_session *sess, const struct authz_pending *pending,
               const char *code, const char *access_token, int64_t now, char **out)
{
	const struct authorize_request *r = &az->r;
	json_t *amr = tokens_amr_array(sess->amr), *requested = NULL, *user_claims = NULL;
	json_t *extra = NULL;
	struct id_token_params p;
	struct store_user user;
	enum status st;

	requested = claims_request_member(r->claims, "id_token");
	st = store_user_get(app->store, sess->user_id, req->arena, &user, &req->err);
	if (st == ST_OK)
		st = users_claims(&user, &user_claims, &req->err);
	if (st == ST_OK)
		st = claims_for_scopes(user_claims, access_token == NULL ? r->scope : NULL,
		                       requested, &extra);
	if (st != ST_OK)
		goto out;
	if (pending->session_claims != NULL) {
		json_t *session = claims_from_session(
		        pending->session_claims,
		        pending->granted_scope != NULL ? pending->granted_scope : r->scope,
		        requested, app->cfg->oidc_claims_filter_by_scope);

		if (session != NULL) {
			if (extra == NULL)
				extra = json_object();
			json_object_update_missing(extra, session);
			json_decref(session);
		}
	}
	memset(&p, 0, sizeof p);
	st = subject_for_client(app, az->client.doc, az->client.row.id, sess->user_id, req->arena,
	                        &p.sub, &req->err);
	if (st != ST_OK)
		goto out;
	p.issuer = app->issuer;
	p.aud = az->client.row.id;
	p.azp = az->client.row.id;
	p.nonce = r->nonce;
	p.auth_time = sess->auth_time;
	p.is_auth_time_required = r->max_age_secs >= 0;
	p.acr = sess->acr != NULL && sess->acr[0] != '\0' ? sess->acr : NULL;
	p.amr = amr;
	p.sid = sess->sid;
	p.iat = now;
	p.exp = now + app->cfg->ttl_id_token_secs;
	p.access_token = access_token;
	p.code = code;
	p.extra = extra;
	st = id_token_sign(app->keyring, now, &p, req->arena, out, &req->err);
out:
	json_decref(amr);
	json_decref(requested);
	json_decref(user_claims);
	json_decref(extra);
	return st;
}

/* An access token from the authorization endpoint (implicit and hybrid), queued in p. */
static enum status
front_access_token(const struct app *app, struct request *req, const struct authz *az,
                   const struct store_session *sess, struct authz_pending *p)
{
	const struct authorize_request *r = &az->r;
	struct store_code what;
	const char *sub;
	char grant_id[37];
	enum status st;

	st = random_uuid7(clock_now_ms(&app->clock), grant_id, &req->err);
	if (st == ST_OK)
		st = tokens_new(app, req->arena, p->now, arena_strdup(req->arena, grant_id),
		                az->client.row.id, false, &p->tokens, &req->err);
	if (st != ST_OK)
		return st;
	what = (struct store_code){
	        .client_id = az->client.row.id,
	        .user_id = sess->user_id,
	        .sid = sess->sid,
	        .scope = p->granted_scope != NULL ? p->granted_scope : r->scope,
	        .auth_time = sess->auth_time,
	        .acr = sess->acr,
	        .amr = sess->amr,
	        .claims = r->claims,
	        .session = p->session_claims,
	};
	/* No refresh token through the front channel (RFC 6749 §4.2.2). */
	tokens_from_code(&p->tokens, &what, false);
	p->has_tokens = true;
	st = subject_for_client(app, az->client.doc, az->client.row.id, sess->user_id, req->arena,
	                        &sub, &req->err);
	if (st != ST_OK)
		return st;
	return tokens_sign_access(app, &p->tokens, sub, p->now, req->arena, &req->err);
}

enum status
authz_issue_code(const struct app *app, struct request *req, const struct authz *az,
                 const struct store_session *sess, struct authz_pending *p)
{
	const struct authorize_request *r = &az->r;
	struct form_param params[6];
	size_t n = 0;
	char *code = NULL, *idt;
	enum status st;

	if (r->response_types & AUTHORIZE_RT_CODE) {
		st = random_token("", req->arena, &code, &req->err);
		if (st != ST_OK)
			return st;
		secrets_token_hash(app->cfg, code, p->code_hash);
		p->has_code = true;
		p->code = (struct store_code){
		        .code_hash = p->code_hash,
		        .client_id = az->client.row.id,
		        .user_id = sess->user_id,
		        .sid = sess->sid,
		        .redirect_uri = r->redirect_uri,
		        .scope = p->granted_scope != NULL ? p->granted_scope : r->scope,
		        .nonce = r->nonce,
		        .code_challenge = r->code_challenge,
		        .code_challenge_method =
		                r->code_challenge != NULL ? r->code_challenge_method : NULL,
		        .auth_time = sess->auth_time,
		        .acr = sess->acr,
		        .amr = sess->amr,
		        .claims = r->claims,
		        .created_at = p->now,
		        .expires_at = p->now + app->cfg->ttl_auth_code_secs,
		        .session = p->session_claims,
		};
		params[n].name = "code";
		params[n++].value = code;
	}
	if (r->response_types & AUTHORIZE_RT_TOKEN) {
		st = front_access_token(app, req, az, sess, p);
		if (st != ST_OK)
			return st;
		params[n].name = "access_token";
		params[n++].value = p->tokens.access_token;
		params[n].name = "token_type";
		params[n++].value = "bearer";
		params[n].name = "expires_in";
		params[n++].value = arena_printf(req->arena, "%lld",
		                                 (long long)app->cfg->ttl_access_token_secs);
	}
	if (r->response_types & AUTHORIZE_RT_ID_TOKEN) {
		st = front_id_token(app, req, az, sess, p, code,
		                    p->has_tokens ? p->tokens.access_token : NULL, p->now, &idt);
		if (st != ST_OK)
			return st;
		params[n].name = "id_token";
		params[n++].value = idt;
	}
	if (r->state != NULL) {
		params[n].name = "state";
		params[n++].value = r->state;
	}
	return answer_client(app, req, &p->res, az, params, n);
}

enum status
authz_continue(const struct app *app, struct request *req, const struct authz *az,
               const struct store_session *sess, struct authz_pending *p)
{
	const struct authorize_request *r = &az->r;
	bool skip = json_is_true(json_object_get(az->client.doc, "skip_consent"));
	struct store_consent consent;
	enum status st;

	if (!skip && !(r->prompt & AUTHORIZE_PROMPT_CONSENT)) {
		st = store_consent_get(app->store, sess->user_id, az->client.row.id, p->now,
		                       req->arena, &consent, &req->err);
		if (st == ST_OK)
			skip = scopes_cover(consent.scopes, r);
		else if (st != ST_NOT_FOUND)
			return st;
	}
	if (skip)
		return authz_issue_code(app, req, az, sess, p);
	if (r->prompt & AUTHORIZE_PROMPT_NONE)
		return authz_redirect_error(app, req, &p->res, az, OAUTH_CONSENT_REQUIRED,
		                            "the user has not consented to this request");
	return consent_page(app, req, &p->res, az, sess);
}

static bool
has_writes(const struct authz_pending *p)
{
	return p->has_session || p->has_consent || p->has_code || p->has_tokens || p->has_flow ||
	       p->throttle_fail[0] != NULL || p->throttle_clear[0] != NULL ||
	       p->extend_hash != NULL || p->forced_subject != NULL;
}

enum status
authz_finish(const struct app *app, struct request *req, struct response *res,
             struct authz_pending *p)
{
	if (!has_writes(p)) {
		*res = p->res;
		return ST_OK;
	}
	return request_write(app, req, res, authz_apply, p, p);
}

enum status
authz_written(struct request *req, struct response *res)
{
	const struct authz_pending *p = req->write_state;

	if (req->write_status != ST_OK) {
		req->err = req->write_err;
		return req->write_status;
	}
	if (p->has_tokens)
		metrics_token_issued(METRICS_GRANT_IMPLICIT);
	*res = p->res;
	return ST_OK;
}

/* Login throttling: five failures a minute, then 1 s, 2 s, 4 s ... up to 15 min. */
static const struct store_throttle_policy throttle_policy = {
        .window_secs = 60,
        .free_failures = 5,
        .base_lock_secs = 1,
        .max_lock_secs = 900,
};

const struct store_throttle_policy *
authz_throttle_policy(void)
{
	return &throttle_policy;
}

enum status
authz_apply(struct store *s, void *arg, struct err *err)
{
	struct authz_pending *p = arg;
	enum status st = ST_OK;
	size_t i;

	if (p->ensure_user != NULL)
		st = store_user_ensure(s, p->ensure_user, p->ensure_user_name, p->now, err);
	if (st == ST_OK && p->has_session)
		st = store_session_insert(s, &p->session, err);
	if (st == ST_OK && p->extend_hash != NULL) {
		/* Ended meanwhile: nothing to extend; the consent step finds it ended. */
		st = store_session_extend(s, p->extend_hash, p->now, p->extend_until, err);
		if (st == ST_NOT_FOUND)
			st = ST_OK;
	}
	if (st == ST_OK && p->forced_subject != NULL)
		st = store_forced_subject_put(s, p->forced_client, p->forced_user,
		                              p->forced_subject, p->now, err);
	for (i = 0; st == ST_OK && i < 2; i++)
		if (p->throttle_clear[i] != NULL)
			st = store_throttle_clear(s, p->throttle_clear[i], err);
	for (i = 0; st == ST_OK && i < 2; i++)
		if (p->throttle_fail[i] != NULL)
			st = store_throttle_fail(s, p->throttle_fail[i], p->now, &throttle_policy,
			                         NULL, err);
	if (st == ST_OK && p->has_consent)
		st = store_consent_upsert(s, &p->consent, err);
	if (st == ST_OK && p->has_code)
		st = store_code_insert(s, &p->code, err);
	if (st == ST_OK && p->has_tokens)
		st = store_token_insert(s, p->tokens.rows, p->tokens.count, err);
	if (st == ST_OK && p->has_flow)
		st = store_flow_insert(s, &p->flow, err);
	return st;
}
