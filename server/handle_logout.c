/*
 * server/handle_logout.c — logout (OpenID Connect RP-Initiated Logout 1.0,
 * Front-Channel Logout 1.0, Back-Channel Logout 1.0; Hydra's
 * revokeOidcSession):
 *   GET|POST /oauth2/sessions/logout   the end_session_endpoint
 *   GET /ui/signed-out                 the built-in "signed out" page
 *   GET /admin/logout/deliveries       pending and failed back-channel deliveries
 *
 * The decision, in order:
 *   1. The parameters (logout_request.c). A malformed one: error page.
 *   2. id_token_hint: verified with our keys, expired accepted, anything
 *      else refused (error page); its aud names the client, and must
 *      contain client_id when both are given. Without a hint, client_id
 *      names the client.
 *   3. post_logout_redirect_uri: must be registered for that client
 *      (exact match), else error page. Without a known client it is never
 *      used. Never is a redirect built from an unverified URI.
 *   4. No login session in the browser: nothing to end; 302 to the
 *      verified URI (with state) or to logout.default_redirect.
 *   5. A valid hint naming this browser's session (sid), or a confirmed
 *      form (button logout=yes, CSRF-checked): end the session. Otherwise
 *      the confirmation page.
 * Ending is one durable write (request_write): the session row ended, its
 * tokens revoked (logout.revoke_tokens) and one signed logout token per
 * client with a backchannel_logout_uri put in the outbox, all in one
 * transaction. Once written, the delivery thread is kicked and the answer
 * waits up to logout.backchannel.wait for the deliveries (on this worker
 * thread: bounded, and only for sessions with back-channel clients), then
 * clears the cookie and shows the front-channel page (iframes) or
 * redirects.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "crypto/b64url.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "server/authorize_request.h"
#include "server/authz.h"
#include "server/clients.h"
#include "server/cookie.h"
#include "server/flows.h"
#include "server/handlers.h"
#include "server/id_token.h"
#include "server/logout_request.h"
#include "server/logout_worker.h"
#include "server/page.h"
#include "server/secrets.h"
#include "server/subject.h"

#define LOGOUT_PATH       "/oauth2/sessions/logout"
#define SIGNED_OUT_PATH   "/ui/signed-out"
#define BACKCHANNEL_EVENT "http://schemas.openid.net/event/backchannel-logout"

/* One logout request as understood so far. */
struct logout {
	struct logout_request r;
	struct cookie_jar cookies;
	struct client_record client; /* row.id NULL when no client is known; logout_clear */
	bool has_valid_hint;
	const char *hint_sid;     /* the hint's sid claim, or NULL */
	const char *target;       /* where the browser goes at the end */
	const char *verified_uri; /* the registered post_logout_redirect_uri, or NULL */
	const char *encoded;      /* the parameters, form-encoded (the confirmation form's query) */
	bool is_post;
};

/* What ending a session writes, and what the answer needs afterwards. */
struct logout_pending {
	unsigned char session_hash[STORE_HASH_LEN];
	const char *sid;
	int64_t now;
	bool revoke_tokens;
	struct store_logout_delivery *deliveries;
	size_t ndeliveries;
	const char **frames; /* front-channel logout URLs */
	size_t nframes;
	const char *target;
	bool is_post;
	bool is_ended; /* set by apply: this request ended the session */
};

static bool
is_https_issuer(const struct app *app)
{
	return strncmp(app->issuer, "https://", 8) == 0;
}

static void
logout_clear(struct logout *lo)
{
	clients_record_clear(&lo->client);
}

static enum status
error_page(const struct app *app, struct request *req, struct response *res, const char *why)
{
	log_req(LOG_INFO, req, "logout request refused: %s", why);
	return authz_error_page(app, req, res, 400, "This sign-out request cannot be completed",
	                        why);
}

static void
redirect(struct response *res, const char *url, bool is_post)
{
	res->status = is_post ? 303 : 302;
	res->body = NULL;
	res->body_len = 0;
	response_header(res, "Location", url);
}

/* The built-in signed-out page's URL, or logout.default_redirect. */
static const char *
default_target(const struct app *app, struct request *req)
{
	if (app->cfg->logout_default_redirect != NULL)
		return app->cfg->logout_default_redirect;
	return arena_printf(req->arena, "%s%s", app->issuer, SIGNED_OUT_PATH);
}

/*
 * RP-Initiated Logout §2 id_token_hint: verified with our keys (expired
 * accepted); its aud names the client (the first registered one, or
 * client_id, which must be among them). *why set when it is refused.
 */
static enum status
check_hint(const struct app *app, struct request *req, struct logout *lo, const char **why)
{
	const char **auds = NULL;
	size_t n = 0, i;
	json_t *claims = NULL;
	const char *sid;
	struct err err;
	enum status st = ST_OK;

	*why = NULL;
	if (id_token_verify_hint(app->keyring, app->issuer, lo->r.id_token_hint, req->arena,
	                         &claims, &err) != ST_OK) {
		*why = "id_token_hint is not an ID token of this issuer";
		return ST_OK;
	}
	if (logout_hint_audiences(claims, req->arena, &auds, &n) != ST_OK) {
		*why = "id_token_hint has no valid audience";
		goto out;
	}
	for (i = 0; i < n && lo->client.row.id == NULL; i++) {
		if (lo->r.client_id != NULL && strcmp(auds[i], lo->r.client_id) != 0)
			continue;
		st = clients_load(app, auds[i], req->arena, &lo->client, &req->err);
		if (st == ST_NOT_FOUND) {
			st = ST_OK;
			continue;
		}
		if (st != ST_OK)
			goto out;
	}
	if (lo->client.row.id == NULL) {
		*why = lo->r.client_id != NULL
		               ? "client_id is not an audience of id_token_hint"
		               : "none of the audiences of id_token_hint is a registered client";
		goto out;
	}
	sid = json_string_value(json_object_get(claims, "sid"));
	lo->hint_sid = sid != NULL ? arena_strdup(req->arena, sid) : NULL;
	lo->has_valid_hint = true;
out:
	json_decref(claims);
	return st;
}

/* The parameters again, form-encoded, for the confirmation form's action. */
static const char *
encode_params(struct request *req, const struct logout_request *r)
{
	const struct form_param all[] = {
	        {"id_token_hint",            r->id_token_hint           },
	        {"post_logout_redirect_uri", r->post_logout_redirect_uri},
	        {"state",                    r->state                   },
	        {"client_id",                r->client_id               },
	        {"logout_hint",              r->logout_hint             },
	        {"ui_locales",               r->ui_locales              },
	};
	/* authorize_redirect_url skips NULL values; "" has no query, so the result starts with '?'.
	 */
	char *url = authorize_redirect_url(req->arena, "", AUTHORIZE_MODE_QUERY, all,
	                                   sizeof all / sizeof all[0]);

	return url[0] == '?' ? url + 1 : url;
}

/*
 * Steps 1-3 of the file header: fills lo, or answers res (*done) with the
 * error page.
 */
static enum status
start(const struct app *app, struct request *req, struct response *res, const struct form *params,
      struct logout *lo, bool *done)
{
	const char *cookie = request_header(req, "Cookie");
	const char *why = NULL;
	char reason[160];
	struct err cerr;
	enum status st;

	*done = true;
	if (logout_request_parse(params, &lo->r, reason, sizeof reason) != ST_OK)
		return error_page(app, req, res, reason);
	if (cookie == NULL ||
	    cookie_parse(cookie, strlen(cookie), req->arena, &lo->cookies, &cerr) != ST_OK)
		lo->cookies.count = 0;
	if (lo->r.id_token_hint != NULL) {
		st = check_hint(app, req, lo, &why);
		if (st != ST_OK)
			return st;
		if (why != NULL)
			return error_page(app, req, res, why);
	} else if (lo->r.client_id != NULL) {
		st = clients_load(app, lo->r.client_id, req->arena, &lo->client, &req->err);
		if (st == ST_NOT_FOUND)
			return error_page(app, req, res, "the client is not registered");
		if (st != ST_OK)
			return st;
	}
	req->client_id = lo->client.row.id;
	if (lo->r.post_logout_redirect_uri != NULL && lo->client.row.id != NULL) {
		/* RP-Initiated Logout §3: exact match, else no redirect at all. */
		if (!logout_redirect_uri_is_registered(lo->client.doc,
		                                       lo->r.post_logout_redirect_uri))
			return error_page(
			        app, req, res,
			        "post_logout_redirect_uri is not registered for this client");
		lo->verified_uri = lo->r.post_logout_redirect_uri;
	}
	/* §3: state goes back only with a verified post_logout_redirect_uri. */
	lo->target = lo->verified_uri != NULL
	                     ? logout_redirect_url(req->arena, lo->verified_uri, lo->r.state)
	                     : default_target(app, req);
	lo->encoded = encode_params(req, &lo->r);
	*done = false;
	return ST_OK;
}

/* A session cookie that names no active session (ended, expired) is cleared too. */
static enum status
forget_stale_cookie(const struct app *app, struct request *req, struct response *res,
                    const struct logout *lo)
{
	const char *value = cookie_get(&lo->cookies, AUTHZ_SESSION_COOKIE);
	char *clear;
	enum status st;

	if (value == NULL || value[0] == '\0')
		return ST_OK;
	st = cookie_clear(req->arena, AUTHZ_SESSION_COOKIE, is_https_issuer(app), true,
	                  COOKIE_SAME_SITE_LAX, &clear, &req->err);
	if (st == ST_OK)
		response_header(res, "Set-Cookie", clear);
	return st;
}

/* The confirmation form's CSRF purpose: this session and exactly these parameters. */
static const char *
csrf_purpose(struct request *req, const struct logout *lo, const char *sid)
{
	unsigned char hash[DIGEST_SHA256_BYTES];

	digest_sha256(lo->encoded, strlen(lo->encoded), hash);
	return arena_printf(req->arena, "logout:%s:%s",
	                    b64url_encode_arena(req->arena, hash, sizeof hash), sid);
}

static const char *
csrf_binding(const struct app *app, const struct logout *lo)
{
	return cookie_get(&lo->cookies, page_csrf_cookie_name(is_https_issuer(app)));
}

/* The confirmation page (button logout=yes), with a CSRF token bound to the browser. */
static enum status
confirm_page(const struct app *app, struct request *req, struct response *res,
             const struct logout *lo, const struct store_session *sess)
{
	const char *binding = csrf_binding(app, lo);
	bool https = is_https_issuer(app);
	struct store_user user;
	struct page_vars v;
	char *fresh = NULL, *set = NULL, *csrf;
	enum status st;

	memset(&v, 0, sizeof v);
	if (binding == NULL || binding[0] == '\0' || strchr(binding, '|') != NULL) {
		st = page_csrf_binding_new(req->arena, &fresh, &req->err);
		if (st == ST_OK)
			st = cookie_set(req->arena, page_csrf_cookie_name(https), fresh, -1, https,
			                true, COOKIE_SAME_SITE_LAX, &set, &req->err);
		if (st != ST_OK)
			return st;
		binding = fresh;
	}
	st = page_csrf_token(app->cfg, binding, csrf_purpose(req, lo, sess->sid), req->arena, &csrf,
	                     &req->err);
	if (st != ST_OK)
		return st;
	st = store_user_get(app->store, sess->user_id, req->arena, &user, &req->err);
	if (st == ST_OK)
		v.user_name = user.username;
	else if (st != ST_NOT_FOUND)
		return st;
	if (lo->client.row.id != NULL) {
		v.client_id = lo->client.row.id;
		v.client_name = json_string_value(json_object_get(lo->client.doc, "client_name"));
		if (v.client_name == NULL || v.client_name[0] == '\0')
			v.client_name = lo->client.row.id;
	}
	v.action = arena_printf(req->arena, "%s?%s", LOGOUT_PATH, lo->encoded);
	v.csrf = csrf;
	/* The answer to the form redirects there: CSP form-action must allow it. */
	v.form_action = lo->target;
	st = page_render(res, req->arena, app->templates, PAGE_LOGOUT, &v, 200, &req->err);
	if (st == ST_OK && set != NULL)
		response_header(res, "Set-Cookie", set);
	return st;
}

/* The longest a logout token must stay valid: its whole retry schedule, plus two minutes. */
static int64_t
logout_token_ttl_secs(const struct config *cfg)
{
	int64_t ms = 0;

	for (int64_t k = 1; k < (int64_t)cfg->logout_backchannel_max_attempts; k++)
		ms += logout_worker_backoff_ms(k) + LOGOUT_POST_TIMEOUT_MS;
	return 120 + ms / 1000;
}

/*
 * A logout token for client (Back-Channel Logout 1.0 §2.4): header typ
 * logout+jwt; iss, aud, iat, exp, jti, sid, sub, events; never a nonce.
 */
static enum status
sign_logout_token(const struct app *app, struct request *req, const struct client_record *client,
                  const struct store_session *sess, int64_t now, const char *jti, char **out)
{
	int64_t exp = now + logout_token_ttl_secs(app->cfg);
	json_t *header = NULL, *claims = NULL;
	const char *sub;
	char *payload = NULL;
	enum status st;

	st = subject_for_client(app, client->doc, client->row.id, sess->user_id, req->arena, &sub,
	                        &req->err);
	if (st != ST_OK)
		goto out;
	header = json_pack("{s:s}", "typ", "logout+jwt");
	claims = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:{s:{}}}", "iss", app->issuer,
	                   "aud", client->row.id, "iat", (json_int_t)now, "exp", (json_int_t)exp,
	                   "jti", jti, "sid", sess->sid, "sub", sub, "events", BACKCHANNEL_EVENT);
	if (header == NULL || claims == NULL) {
		st = ERR_SET(&req->err, ST_INVALID, "cannot build the logout token");
		goto out;
	}
	payload = json_dumps(claims, JSON_COMPACT);
	st = keyring_sign(app->keyring, now, header, payload, strlen(payload), req->arena, out,
	                  &req->err);
out:
	free(payload);
	json_decref(header);
	json_decref(claims);
	return st;
}

/*
 * What ending sess notifies: a front-channel URL and/or an outbox row per
 * client the session issued codes or tokens to.
 */
static enum status
collect_clients(const struct app *app, struct request *req, const struct store_session *sess,
                struct logout_pending *p)
{
	const char **ids = NULL;
	size_t n = 0, i;
	struct client_record c;
	const char *fc, *bc;
	char jti[37];
	char *token;
	enum status st;

	st = store_session_client_ids(app->store, sess->sid, req->arena, &ids, &n, &req->err);
	if (st != ST_OK)
		return st;
	p->frames = arena_alloc(req->arena, (n + 1) * sizeof *p->frames);
	p->deliveries = arena_alloc(req->arena, (n + 1) * sizeof *p->deliveries);
	for (i = 0; i < n; i++) {
		memset(&c, 0, sizeof c);
		st = clients_load(app, ids[i], req->arena, &c, &req->err);
		if (st == ST_NOT_FOUND)
			continue;
		if (st != ST_OK)
			return st;
		fc = json_string_value(json_object_get(c.doc, "frontchannel_logout_uri"));
		bc = json_string_value(json_object_get(c.doc, "backchannel_logout_uri"));
		/* Front-Channel Logout §2: iss and sid always (required or not). */
		if (fc != NULL && fc[0] != '\0')
			p->frames[p->nframes++] =
			        logout_frontchannel_url(req->arena, fc, app->issuer, sess->sid);
		if (bc != NULL && bc[0] != '\0') {
			st = random_uuid(jti, &req->err);
			if (st == ST_OK)
				st = sign_logout_token(app, req, &c, sess, p->now, jti, &token);
			if (st != ST_OK) {
				clients_record_clear(&c);
				return st;
			}
			p->deliveries[p->ndeliveries++] = (struct store_logout_delivery){
			        .id = arena_strdup(req->arena, jti),
			        .sid = sess->sid,
			        .client_id = c.row.id,
			        .uri = arena_strdup(req->arena, bc),
			        .logout_token = token,
			        .created_at = p->now,
			        .next_attempt_at_ms = p->now * 1000,
			        .expires_at = p->now + LOGOUT_DELIVERY_TTL_SECS,
			};
		}
		clients_record_clear(&c);
	}
	return ST_OK;
}

/* The store_write_fn of a logout: everything in the transaction that ends the session. */
static enum status
apply(struct store *s, void *arg, struct err *err)
{
	struct logout_pending *p = arg;
	enum status st;
	size_t i;

	st = store_session_end(s, p->session_hash, p->now, NULL, NULL, err);
	if (st == ST_NOT_FOUND) {
		/* Ended meanwhile (another tab): whoever ended it notified the clients. */
		p->is_ended = false;
		return ST_OK;
	}
	if (st != ST_OK)
		return st;
	p->is_ended = true;
	if (p->revoke_tokens) {
		st = store_token_revoke_sid(s, p->sid, p->now, NULL, err);
		if (st != ST_OK)
			return st;
	}
	for (i = 0; i < p->ndeliveries; i++) {
		st = store_logout_delivery_insert(s, &p->deliveries[i], err);
		if (st != ST_OK)
			return st;
	}
	return ST_OK;
}

/* Step 5: ends sess through the writer; the answer comes in written(). */
static enum status
end_session(const struct app *app, struct request *req, struct response *res,
            const struct logout *lo, const struct store_session *sess, const unsigned char *hash)
{
	struct logout_pending *p = arena_alloc(req->arena, sizeof *p);
	enum status st;

	memset(p, 0, sizeof *p);
	memcpy(p->session_hash, hash, STORE_HASH_LEN);
	p->sid = sess->sid;
	p->now = clock_now(&app->clock);
	p->revoke_tokens = app->cfg->logout_revoke_tokens;
	p->target = lo->target;
	p->is_post = lo->is_post;
	st = collect_clients(app, req, sess, p);
	if (st != ST_OK)
		return st;
	log_req(LOG_INFO, req, "logout of user %s: %zu front-channel, %zu back-channel client(s)",
	        sess->user_id, p->nframes, p->ndeliveries);
	return request_write(app, req, res, apply, p, p);
}

/* The second run: the session ended durably; notify, wait (bounded), answer. */
static enum status
written(const struct app *app, struct request *req, struct response *res)
{
	const struct logout_pending *p = req->write_state;
	bool https = is_https_issuer(app);
	char nonce[33], *clear;
	const char *html;
	enum status st;

	if (req->write_status != ST_OK) {
		req->err = req->write_err;
		return req->write_status;
	}
	if (p->is_ended && p->ndeliveries > 0) {
		logout_worker_kick(app->logout_worker);
		/* Hydra's issue 3186: the RP may see the browser before the token. */
		logout_worker_wait_sid(app->logout_worker, p->sid,
		                       app->cfg->logout_backchannel_wait_secs * 1000);
	}
	st = cookie_clear(req->arena, AUTHZ_SESSION_COOKIE, https, true, COOKIE_SAME_SITE_LAX,
	                  &clear, &req->err);
	if (st != ST_OK)
		return st;
	if (p->is_ended && p->nframes > 0) {
		st = random_hex(16, nonce, &req->err);
		if (st != ST_OK)
			return st;
		html = logout_page_html(req->arena, p->target, p->frames, p->nframes, nonce);
		response_raw(res, req->arena, 200, "text/html; charset=utf-8", html, strlen(html));
		response_header(res, "Content-Security-Policy",
		                logout_page_csp(req->arena, p->frames, p->nframes, nonce));
	} else {
		redirect(res, p->target, p->is_post);
	}
	response_header(res, "Set-Cookie", clear);
	return ST_OK;
}

/* Admin session revocation: one write for several sessions, each as a logout. */
struct logout_many {
	struct logout_pending *items;
	size_t n;
};

static enum status
apply_many(struct store *s, void *arg, struct err *err)
{
	struct logout_many *m = arg;
	enum status st = ST_OK;

	for (size_t i = 0; i < m->n && st == ST_OK; i++)
		st = apply(s, &m->items[i], err);
	return st;
}

enum status
logout_sessions_prepare(const struct app *app, struct request *req,
                        const struct store_session *sessions, size_t n, store_write_fn **fn,
                        void **arg)
{
	struct logout_many *m = arena_alloc(req->arena, sizeof *m);
	enum status st;

	m->items = arena_alloc(req->arena, (n + 1) * sizeof *m->items);
	m->n = n;
	for (size_t i = 0; i < n; i++) {
		struct logout_pending *p = &m->items[i];

		memset(p, 0, sizeof *p);
		memcpy(p->session_hash, sessions[i].id_hash, STORE_HASH_LEN);
		p->sid = sessions[i].sid;
		p->now = clock_now(&app->clock);
		p->revoke_tokens = app->cfg->logout_revoke_tokens;
		st = collect_clients(app, req, &sessions[i], p);
		if (st != ST_OK)
			return st;
	}
	*fn = apply_many;
	*arg = m;
	return ST_OK;
}

enum status
handle_logout(const struct app *app, struct request *req, struct response *res)
{
	const struct form *params = &req->query;
	unsigned char hash[STORE_HASH_LEN];
	struct store_session sess;
	struct logout lo;
	bool done, confirmed = false;
	enum status st, found;

	if (req->is_write_done && req->flow_state == NULL)
		return written(app, req, res);
	memset(&lo, 0, sizeof lo);
	lo.is_post = req->method == HTTP_POST;
	/* RP-Initiated Logout §2: GET or a form POST. The confirmation form
	 * posts logout=yes and its token, with the request in the query. */
	if (lo.is_post) {
		confirmed = request_form(req, "logout") != NULL;
		if (!confirmed)
			params = &req->form;
	}
	st = start(app, req, res, params, &lo, &done);
	if (st != ST_OK || done)
		goto out;
	found = authz_session_hash_of(app, req, &lo.cookies, hash, &sess);
	if (found == ST_NOT_FOUND && flows_logout_headless(app) &&
	    form_get(params, "logout_verifier") != NULL) {
		/* The session ended already (by this very verifier, or meanwhile): the
		 * verifier is still spent once, and a used one is refused (Hydra). */
		struct flows_logout fl = {
		        .encoded = lo.encoded,
		        .client_id = lo.client.row.id,
		        .target = lo.target,
		        .verifier = form_get(params, "logout_verifier"),
		        .cookies = &lo.cookies,
		        .is_post = lo.is_post,
		};
		bool end_now;

		st = flows_logout(app, req, res, &fl, &end_now);
		goto out;
	}
	if (found == ST_NOT_FOUND) {
		/* Nothing to end (as Hydra: its SDK expects a redirect). */
		redirect(res, lo.target, lo.is_post);
		st = forget_stale_cookie(app, req, res, &lo);
		goto out;
	}
	if (found != ST_OK) {
		st = found;
		goto out;
	}
	if (flows_logout_headless(app)) {
		/* Headless mode: the deployment's logout app confirms (Hydra's logout challenge).
		 */
		struct flows_logout fl = {
		        .encoded = lo.encoded,
		        .subject = sess.user_id,
		        .sid = sess.sid,
		        .client_id = lo.client.row.id,
		        .target = lo.target,
		        .verifier = form_get(params, "logout_verifier"),
		        .cookies = &lo.cookies,
		        .is_post = lo.is_post,
		};
		bool end_now;

		st = flows_logout(app, req, res, &fl, &end_now);
		if (st == ST_OK && end_now)
			st = end_session(app, req, res, &lo, &sess, hash);
		goto out;
	}
	if (confirmed) {
		const char *answer = request_form(req, "logout");

		confirmed = strcmp(answer, "yes") == 0 &&
		            page_csrf_check(app->cfg, csrf_binding(app, &lo),
		                            csrf_purpose(req, &lo, sess.sid),
		                            request_form(req, PAGE_CSRF_FIELD));
		if (!confirmed)
			log_req(LOG_INFO, req,
			        "logout confirmation refused (answer or CSRF token)");
	}
	/* §2: a hint naming the current session needs no confirmation. */
	if (confirmed ||
	    (lo.has_valid_hint && lo.hint_sid != NULL && strcmp(lo.hint_sid, sess.sid) == 0))
		st = end_session(app, req, res, &lo, &sess, hash);
	else
		st = confirm_page(app, req, res, &lo, &sess);
out:
	logout_clear(&lo);
	return st;
}

enum status
handle_signed_out(const struct app *app, struct request *req, struct response *res)
{
	struct page_vars v;

	memset(&v, 0, sizeof v);
	return page_render(res, req->arena, app->templates, PAGE_SIGNED_OUT, &v, 200, &req->err);
}

/* GET /admin/logout/deliveries: what operators need to see, never the tokens. */
enum status
handle_admin_logout_deliveries(const struct app *app, struct request *req, struct response *res)
{
	struct store_logout_delivery *rows = NULL;
	size_t n = 0, i;
	json_t *list;
	enum status st;

	st = store_logout_delivery_list(app->store, 1000, req->arena, &rows, &n, &req->err);
	if (st != ST_OK)
		return st;
	list = json_array();
	for (i = 0; i < n; i++) {
		const struct store_logout_delivery *d = &rows[i];

		json_array_append_new(
		        list,
		        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o}", "id", d->id,
		                  "status", d->failed_at != 0 ? "failed" : "pending", "client_id",
		                  d->client_id, "sid", d->sid, "uri", d->uri, "attempts",
		                  (json_int_t)d->attempts, "created_at", (json_int_t)d->created_at,
		                  "next_attempt_at_ms", (json_int_t)d->next_attempt_at_ms,
		                  "failed_at",
		                  d->failed_at != 0 ? json_integer(d->failed_at) : json_null(),
		                  "last_error",
		                  d->last_error != NULL ? json_string(d->last_error)
		                                        : json_null()));
	}
	response_json(res, req->arena, 200, list);
	return ST_OK;
}
