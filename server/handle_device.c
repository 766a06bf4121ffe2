/*
 * server/handle_device.c — the device authorization grant (RFC 8628):
 * POST /oauth2/device/auth (§3.1-3.2) and the user's side of it,
 * GET|POST /oauth2/device/verify (§3.3): sign in, enter the code shown on
 * the device, confirm what it asks for. The device's polling of the token
 * endpoint is handle_token.c's (§3.4-3.5).
 *
 * The verification pages are a small state machine driven by the query's
 * `step` (absent on GET):
 *   no session           -> the login page, posting to ?step=login
 *   step=login (POST)    -> the password login (authz_password_login), then
 *                           303 back to the code page with the session cookie
 *   session, no step     -> the code page, posting to ?step=code
 *   step=code (POST)     -> the code is looked up (throttled per client
 *                           address and per user, like logins); a pending one
 *                           -> the confirmation (the consent page), posting to
 *                           ?step=confirm&user_code=<code>
 *   step=confirm (POST)  -> consent=allow|deny recorded on the grant
 * Every form carries a CSRF token bound to the browser's CSRF cookie and
 * to what it acts on (the session, and the code for the confirmation).
 */
#include <string.h>

#include "crypto/random.h"
#include "server/authz.h"
#include "server/client_auth.h"
#include "server/clients.h"
#include "server/device.h"
#include "server/handlers.h"
#include "server/metrics.h"
#include "server/page.h"
#include "server/secrets.h"
#include "server/tokens.h"

#define DEVICE_GRANT_TYPE "urn:ietf:params:oauth:grant-type:device_code"
#define BAD_CODE_ERROR                                                                             \
	"That code is not valid, or has expired. Check the code shown on your device."
#define INSERT_TRIES 4 /* user code collisions in a row before giving up (20^8 codes) */

/* ---- POST /oauth2/device/auth ---- */

/* A new grant between the handler's two runs. */
struct device_new {
	const struct config *cfg;
	struct store_device row;
	unsigned char device_hash[STORE_HASH_LEN];
	unsigned char user_hash[STORE_HASH_LEN];
	char user_code[DEVICE_USER_CODE_LEN + 1];
	const char *device_code;
};

/* Inserts the grant with a fresh user code, drawing again on a collision (storage writer). */
static enum status
device_insert_apply(struct store *s, void *arg, struct err *err)
{
	struct device_new *d = arg;
	enum status st = ST_CONFLICT;

	for (int i = 0; i < INSERT_TRIES && st == ST_CONFLICT; i++) {
		st = device_user_code_new(d->user_code, err);
		if (st != ST_OK)
			return st;
		secrets_token_hash(d->cfg, d->user_code, d->user_hash);
		st = store_device_insert(s, &d->row, err);
	}
	return st;
}

/* RFC 8628 §3.2: the response, never cached. */
static enum status
device_authorization_written(const struct app *app, struct request *req, struct response *res)
{
	const struct device_new *d = req->write_state;
	char shown[DEVICE_USER_CODE_SHOWN_LEN + 1];
	const char *verify = arena_printf(req->arena, "%s%s", app->issuer, DEVICE_VERIFY_PATH);
	json_t *body;

	if (req->write_status != ST_OK) {
		req->err = req->write_err;
		return req->write_status;
	}
	device_user_code_format(d->user_code, shown);
	body = json_object();
	json_object_set_new(body, "device_code", json_string(d->device_code));
	json_object_set_new(body, "user_code", json_string(shown));
	json_object_set_new(body, "verification_uri", json_string(verify));
	json_object_set_new(
	        body, "verification_uri_complete",
	        json_string(arena_printf(req->arena, "%s?user_code=%s", verify, shown)));
	json_object_set_new(body, "expires_in", json_integer(app->cfg->ttl_device_user_code_secs));
	json_object_set_new(body, "interval",
	                    json_integer(app->cfg->oauth2_device_poll_interval_secs));
	response_json(res, req->arena, 200, body);
	return ST_OK;
}

/*
 * RFC 8628 §3.1: the client authenticates as at the token endpoint (a
 * public client names itself with client_id), must have the device_code
 * grant, and may ask for scopes it is allowed.
 */
enum status
handle_device_authorization(const struct app *app, struct request *req, struct response *res)
{
	struct client_record client;
	enum client_auth_method method;
	struct device_new *d;
	const char *scope, *client_id;
	char grant_id[37], *code = NULL;
	int64_t now;
	enum status st;

	if (req->is_write_done)
		return device_authorization_written(app, req, res);
	st = client_auth_request(app, req, res, &client, &method);
	if (st != ST_OK)
		return st == ST_INVALID ? ST_OK : st;
	if (!clients_doc_has_word(client.doc, "grant_types", DEVICE_GRANT_TYPE)) {
		clients_record_clear(&client);
		return oauth_error(res, req->arena, OAUTH_UNAUTHORIZED_CLIENT,
		                   "the client is not allowed the device_code grant");
	}
	st = tokens_check_scope(req->arena, request_form(req, "scope"),
	                        json_string_value(json_object_get(client.doc, "scope")), &scope);
	client_id = arena_strdup(req->arena, client.row.id);
	clients_record_clear(&client);
	if (st == ST_INVALID)
		return oauth_error(res, req->arena, OAUTH_INVALID_SCOPE,
		                   "a requested scope is not allowed for this client");
	if (st != ST_OK)
		return st;
	now = clock_now(&app->clock);
	d = arena_alloc(req->arena, sizeof *d);
	memset(d, 0, sizeof *d);
	d->cfg = app->cfg;
	st = random_token(DEVICE_CODE_PREFIX, req->arena, &code, &req->err);
	d->device_code = code;
	if (st == ST_OK)
		st = random_uuid7(clock_now_ms(&app->clock), grant_id, &req->err);
	if (st != ST_OK)
		return st;
	secrets_token_hash(app->cfg, d->device_code, d->device_hash);
	d->row = (struct store_device){
	        .device_code_hash = d->device_hash,
	        .user_code_hash = d->user_hash,
	        .client_id = client_id,
	        .scope = scope,
	        .grant_id = arena_strdup(req->arena, grant_id),
	        .status = STORE_DEVICE_PENDING,
	        .interval_secs = app->cfg->oauth2_device_poll_interval_secs,
	        .created_at = now,
	        .expires_at = now + app->cfg->ttl_device_user_code_secs,
	};
	return request_write(app, req, res, device_insert_apply, d, d);
}

/* ---- GET|POST /oauth2/device/verify ---- */

/* The browser as the verification pages see it. */
struct verify {
	struct cookie_jar cookies;
	bool has_session;
	struct store_session session;
	const char *user_name;
};

/* The user's decision between the handler's two runs. */
struct decision {
	unsigned char user_hash[STORE_HASH_LEN];
	int64_t now;
	struct store_device d;
	bool is_gone; /* decided elsewhere, or expired, meanwhile */
};

static enum status
decide_apply(struct store *s, void *arg, struct err *err)
{
	struct decision *x = arg;
	enum status st = store_device_decide(s, x->user_hash, x->now, &x->d, err);

	if (st == ST_NOT_FOUND) {
		x->is_gone = true;
		return ST_OK;
	}
	return st;
}

static const char *
verify_action(struct request *req, const char *step, const char *code)
{
	return code != NULL ? arena_printf(req->arena, "%s?step=%s&user_code=%s",
	                                   DEVICE_VERIFY_PATH, step, code)
	                    : arena_printf(req->arena, "%s?step=%s", DEVICE_VERIFY_PATH, step);
}

/* The code of the query (or form), normalised, or NULL. */
static const char *
typed_code(struct request *req, const char *typed)
{
	char norm[DEVICE_USER_CODE_LEN + 1];

	return device_user_code_normalize(typed, norm) ? arena_strdup(req->arena, norm) : NULL;
}

/* What the code field shows for typed: "XXXX-XXXX" when it is a code, else typed (bounded). */
static const char *
shown_code(struct request *req, const char *typed)
{
	char norm[DEVICE_USER_CODE_LEN + 1], shown[DEVICE_USER_CODE_SHOWN_LEN + 1];

	if (!device_user_code_normalize(typed, norm))
		return typed != NULL && strlen(typed) <= 64 ? typed : NULL;
	device_user_code_format(norm, shown);
	return arena_strdup(req->arena, shown);
}

static enum status
login_page(const struct app *app, struct request *req, struct response *res, struct verify *v,
           const char *error, const char *username, int status)
{
	const char *code = typed_code(req, request_query(req, "user_code"));
	struct page_vars pv;
	char *csrf;
	enum status st;

	st = authz_csrf_token(app, req, res, &v->cookies, "device-login", &csrf);
	if (st != ST_OK)
		return st;
	memset(&pv, 0, sizeof pv);
	pv.action = verify_action(req, "login", code);
	pv.csrf = csrf;
	pv.error = error;
	pv.login_hint = username;
	return page_render(res, req->arena, app->templates, PAGE_LOGIN, &pv, status, &req->err);
}

static const char *
code_purpose(struct request *req, const struct verify *v)
{
	return arena_printf(req->arena, "device-code:%s", v->session.sid);
}

static const char *
confirm_purpose(struct request *req, const struct verify *v, const char *code)
{
	return arena_printf(req->arena, "device-confirm:%s:%s", code, v->session.sid);
}

static enum status
code_page(const struct app *app, struct request *req, struct response *res, struct verify *v,
          const char *typed, const char *error, int status)
{
	struct page_vars pv;
	char *csrf;
	enum status st;

	st = authz_csrf_token(app, req, res, &v->cookies, code_purpose(req, v), &csrf);
	if (st != ST_OK)
		return st;
	memset(&pv, 0, sizeof pv);
	pv.action = verify_action(req, "code", NULL);
	pv.csrf = csrf;
	pv.error = error;
	pv.user_name = v->user_name;
	pv.user_code = typed;
	return page_render(res, req->arena, app->templates, PAGE_DEVICE, &pv, status, &req->err);
}

static enum status
done_page(const struct app *app, struct request *req, struct response *res, bool allowed)
{
	struct page_vars pv;

	memset(&pv, 0, sizeof pv);
	pv.title = allowed ? "Device connected" : "Access denied";
	pv.description = allowed ? "Your device is now signed in. You can close this page and "
	                           "return to your device."
	                         : "The device was not given access. You can close this page.";
	return page_render(res, req->arena, app->templates, PAGE_DEVICE_DONE, &pv, 200, &req->err);
}

/* The confirmation: the consent page for the grant's client and scopes. */
static enum status
confirm_page(const struct app *app, struct request *req, struct response *res, struct verify *v,
             const char *code, const struct store_device *d)
{
	struct client_record client;
	struct page_vars pv;
	char *csrf;
	enum status st;

	st = clients_load(app, d->client_id, req->arena, &client, &req->err);
	if (st != ST_OK)
		return st;
	st = authz_csrf_token(app, req, res, &v->cookies, confirm_purpose(req, v, code), &csrf);
	if (st == ST_OK) {
		memset(&pv, 0, sizeof pv);
		pv.action = verify_action(req, "confirm", code);
		pv.csrf = csrf;
		pv.user_name = v->user_name;
		pv.client_id = d->client_id;
		pv.client_name = json_string_value(json_object_get(client.doc, "client_name"));
		pv.logo_uri = json_string_value(json_object_get(client.doc, "logo_uri"));
		pv.client_uri = json_string_value(json_object_get(client.doc, "client_uri"));
		pv.policy_uri = json_string_value(json_object_get(client.doc, "policy_uri"));
		pv.tos_uri = json_string_value(json_object_get(client.doc, "tos_uri"));
		pv.scope = d->scope;
		st = page_render(res, req->arena, app->templates, PAGE_CONSENT, &pv, 200,
		                 &req->err);
	}
	clients_record_clear(&client);
	return st;
}

/* POST ?step=login: the password login, then back to the code page signed in. */
static enum status
step_login(const struct app *app, struct request *req, struct response *res, struct verify *v)
{
	const char *username = request_form(req, "username");
	const char *password = request_form(req, "password");
	const char *code = typed_code(req, request_query(req, "user_code"));
	struct authz_pending *p;
	struct store_user user;
	enum authz_login outcome;
	char *cookie = NULL;
	enum status st;

	if (!page_csrf_check(app->cfg, authz_csrf_binding_of(app, &v->cookies), "device-login",
	                     request_form(req, "csrf"))) {
		authz_forget_password(req, password);
		return login_page(app, req, res, v, "This form has expired. Please sign in again.",
		                  username, 400);
	}
	p = authz_pending_new(app, req);
	st = authz_password_login(app, req, p, username, password, &user, &outcome, &cookie);
	if (st != ST_OK)
		return st;
	switch (outcome) {
	case AUTHZ_LOGIN_EMPTY:
		return login_page(app, req, res, v, AUTHZ_LOGIN_ERROR, NULL, 400);
	case AUTHZ_LOGIN_THROTTLED:
		st = login_page(app, req, res, v, AUTHZ_THROTTLED_ERROR, username, 429);
		if (st == ST_OK)
			response_header(res, "Retry-After", "60");
		return st;
	case AUTHZ_LOGIN_FAILED:
		st = login_page(app, req, &p->res, v, AUTHZ_LOGIN_ERROR, username, 200);
		break;
	case AUTHZ_LOGIN_OK:
		p->res.status = 303;
		response_header(&p->res, "Location",
		                code != NULL ? arena_printf(req->arena, "%s?user_code=%s",
		                                            DEVICE_VERIFY_PATH, code)
		                             : DEVICE_VERIFY_PATH);
		response_header(&p->res, "Set-Cookie", cookie);
		break;
	}
	if (st == ST_OK)
		st = authz_finish(app, req, res, p);
	return st;
}

/* POST ?step=code: the user code, looked up (throttled like logins). */
static enum status
step_code(const struct app *app, struct request *req, struct response *res, struct verify *v)
{
	const char *typed = request_form(req, "user_code");
	char code[DEVICE_USER_CODE_LEN + 1];
	unsigned char hash[STORE_HASH_LEN];
	struct authz_pending *p;
	struct store_device d;
	const char *keys[2];
	bool locked;
	enum status st;

	if (typed != NULL && strlen(typed) > 64)
		typed = NULL; /* not shown back */
	if (!page_csrf_check(app->cfg, authz_csrf_binding_of(app, &v->cookies),
	                     code_purpose(req, v), request_form(req, "csrf")))
		return code_page(app, req, res, v, typed,
		                 "This form has expired. Please try again.", 400);
	p = authz_pending_new(app, req);
	keys[0] = authz_throttle_key(req, "device-ip",
	                             req->client_ip != NULL ? req->client_ip : "unknown");
	keys[1] = authz_throttle_key(req, "device-user", v->session.user_id);
	st = authz_throttled(app, req, keys, p->now, &locked);
	if (st != ST_OK)
		return st;
	if (locked) {
		log_req(LOG_WARN, req, "device code entry throttled for %s", keys[0]);
		metrics_throttled();
		st = code_page(app, req, res, v, typed,
		               "Too many wrong codes. Wait a minute, then try again.", 429);
		if (st == ST_OK)
			response_header(res, "Retry-After", "60");
		return st;
	}
	st = ST_NOT_FOUND;
	if (device_user_code_normalize(typed, code)) {
		secrets_token_hash(app->cfg, code, hash);
		st = store_device_get_by_user_code(app->store, hash, req->arena, &d, &req->err);
		if (st == ST_OK && (d.status != STORE_DEVICE_PENDING || d.expires_at <= p->now))
			st = ST_NOT_FOUND;
	}
	if (st == ST_OK)
		return confirm_page(app, req, res, v, arena_strdup(req->arena, code), &d);
	if (st != ST_NOT_FOUND)
		return st;
	log_req(LOG_INFO, req, "wrong device user code from %s", keys[0]);
	p->throttle_fail[0] = keys[0];
	p->throttle_fail[1] = keys[1];
	st = code_page(app, req, &p->res, v, typed, BAD_CODE_ERROR, 200);
	if (st == ST_OK)
		st = authz_finish(app, req, res, p);
	return st;
}

/* POST ?step=confirm&user_code=<code>: consent=allow|deny. */
static enum status
step_confirm(const struct app *app, struct request *req, struct response *res, struct verify *v)
{
	const char *code = typed_code(req, request_query(req, "user_code"));
	const char *consent = request_form(req, "consent");
	struct decision *x;

	if (code == NULL ||
	    !page_csrf_check(app->cfg, authz_csrf_binding_of(app, &v->cookies),
	                     confirm_purpose(req, v, code), request_form(req, "csrf")))
		return code_page(app, req, res, v, code, "This form has expired. Please try again.",
		                 400);
	if (consent == NULL || (strcmp(consent, "allow") != 0 && strcmp(consent, "deny") != 0))
		return code_page(app, req, res, v, code, "Choose Allow or Deny.", 400);
	x = arena_alloc(req->arena, sizeof *x);
	memset(x, 0, sizeof *x);
	secrets_token_hash(app->cfg, code, x->user_hash);
	x->now = clock_now(&app->clock);
	x->d = (struct store_device){
	        .status =
	                strcmp(consent, "allow") == 0 ? STORE_DEVICE_APPROVED : STORE_DEVICE_DENIED,
	        .user_id = v->session.user_id,
	        .sid = v->session.sid,
	        .auth_time = v->session.auth_time,
	        .acr = v->session.acr,
	        .amr = v->session.amr,
	};
	return request_write(app, req, res, decide_apply, x, x);
}

static enum status
confirm_written(const struct app *app, struct request *req, struct response *res, struct verify *v)
{
	const struct decision *x = req->write_state;

	if (req->write_status != ST_OK) {
		req->err = req->write_err;
		return req->write_status;
	}
	if (x->is_gone)
		return code_page(app, req, res, v, NULL, BAD_CODE_ERROR, 200);
	log_req(LOG_INFO, req, "device authorization %s by user %s",
	        x->d.status == STORE_DEVICE_APPROVED ? "allowed" : "denied", x->d.user_id);
	return done_page(app, req, res, x->d.status == STORE_DEVICE_APPROVED);
}

enum status
handle_device_verify(const struct app *app, struct request *req, struct response *res)
{
	const char *step = req->method == HTTP_POST ? request_query(req, "step") : NULL;
	struct store_user user;
	struct verify v;
	enum status st;

	if (req->is_write_done && (step == NULL || strcmp(step, "confirm") != 0))
		return authz_written(req, res);
	memset(&v, 0, sizeof v);
	authz_cookies(req, &v.cookies);
	if (req->method == HTTP_POST && step != NULL && strcmp(step, "login") == 0)
		return step_login(app, req, res, &v);
	st = authz_session_of(app, req, &v.cookies, &v.session);
	if (st == ST_NOT_FOUND)
		return login_page(app, req, res, &v, NULL, NULL, 200);
	if (st != ST_OK)
		return st;
	v.has_session = true;
	st = store_user_get(app->store, v.session.user_id, req->arena, &user, &req->err);
	if (st != ST_OK)
		return st;
	v.user_name = user.username;
	if (req->is_write_done)
		return confirm_written(app, req, res, &v);
	if (req->method != HTTP_POST || step == NULL)
		return code_page(app, req, res, &v,
		                 shown_code(req, request_query(req, "user_code")), NULL, 200);
	if (strcmp(step, "code") == 0)
		return step_code(app, req, res, &v);
	if (strcmp(step, "confirm") == 0)
		return step_confirm(app, req, res, &v);
	return code_page(app, req, res, &v, NULL, NULL, 400);
}
