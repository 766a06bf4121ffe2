/*
 * server/handle_authorize.c — the browser-facing half of the code flow:
 *   GET|POST /oauth2/auth   the authorization endpoint (OIDC Core §3.1.2)
 *   GET|POST /ui/login      the built-in login page and its form
 *   POST /ui/consent        the built-in consent page's form
 *   GET /ui/style.css       the pages' stylesheet
 * The flow itself is authz.c's; these handlers decide which step comes next.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "crypto/secret.h"
#include "server/authz.h"
#include "server/flows.h"
#include "server/handlers.h"
#include "server/id_token.h"
#include "server/metrics.h"
#include "server/page.h"
#include "server/secrets.h"
#include "server/subject.h"

bool
authz_needs_login(const struct authz *az, const struct store_session *sess, enum status found,
                  int64_t now)
{
	if (found == ST_NOT_FOUND)
		return true;
	if (az->r.prompt & (AUTHORIZE_PROMPT_LOGIN | AUTHORIZE_PROMPT_SELECT_ACCOUNT))
		return true;
	/* max_age=0 is a fresh login every time (OIDC Core §3.1.2.1, like prompt=login). */
	return az->r.max_age_secs == 0 ||
	       (az->r.max_age_secs > 0 && now - sess->auth_time > az->r.max_age_secs);
}

/*
 * OIDC Core §3.1.2.1 id_token_hint: false when it is not an ID token we
 * issued. A hint for another user than the session's makes the session
 * count as absent (*found = ST_NOT_FOUND): that user must sign in.
 */
bool
authz_hint_matches(const struct app *app, struct request *req, const struct authz *az,
                   const struct store_session *sess, enum status *found)
{
	json_t *claims;
	const char *sub;
	struct err err;

	if (id_token_verify_hint(app->keyring, app->issuer, az->r.id_token_hint, req->arena,
	                         &claims, &err) != ST_OK) {
		log_req(LOG_INFO, req, "id_token_hint refused: %s", err.msg);
		return false;
	}
	/* A sub we cannot work out (storage failing) counts as another user's. */
	if (*found == ST_OK &&
	    (subject_for_client(app, az->client.doc, az->client.row.id, sess->user_id, req->arena,
	                        &sub, &err) != ST_OK ||
	     strcmp(json_string_value(json_object_get(claims, "sub")), sub) != 0))
		*found = ST_NOT_FOUND;
	json_decref(claims);
	return true;
}

enum status
handle_authorize(const struct app *app, struct request *req, struct response *res)
{
	const struct form *params = req->method == HTTP_POST ? &req->form : &req->query;
	struct store_session sess;
	struct authz_pending *p;
	struct authz az;
	bool done;
	enum status st, found;

	if (flows_is_headless(app))
		return flows_authorize(app, req, res); /* the deployment's own login app */
	if (req->is_write_done)
		return authz_written(req, res);
	st = authz_start(app, req, res, params, req->method == HTTP_POST, &az, &done);
	if (st != ST_OK || done)
		return st;
	found = authz_session(app, req, &az, &sess);
	if (found != ST_OK && found != ST_NOT_FOUND) {
		st = found;
		goto out;
	}
	if (az.r.id_token_hint != NULL && !authz_hint_matches(app, req, &az, &sess, &found)) {
		st = authz_redirect_error(app, req, res, &az, OAUTH_INVALID_REQUEST,
		                          "id_token_hint is not an ID token of this issuer");
		goto out;
	}
	if (authz_needs_login(&az, &sess, found, clock_now(&app->clock))) {
		if (az.r.prompt & AUTHORIZE_PROMPT_NONE)
			st = authz_redirect_error(app, req, res, &az, OAUTH_LOGIN_REQUIRED,
			                          "the user is not signed in");
		else
			st = authz_login_page(app, req, res, &az, NULL, NULL, 200);
		goto out;
	}
	p = authz_pending_new(app, req);
	st = authz_continue(app, req, &az, &sess, p);
	if (st == ST_OK)
		st = authz_finish(app, req, res, p);
out:
	authz_clear(&az);
	return st;
}

/* GET /ui/login?<request>: the login page again (a reload, or the back button). */
enum status
handle_login_page(const struct app *app, struct request *req, struct response *res)
{
	struct authz az;
	bool done;
	enum status st = authz_start(app, req, res, &req->query, false, &az, &done);

	if (st != ST_OK || done)
		return st;
	st = authz_login_page(app, req, res, &az, NULL, NULL, 200);
	authz_clear(&az);
	return st;
}

/*
 * What an unknown user's password is checked against: one hash per log2 N
 * (hashers.scrypt_log_n), made on first use.
 */
static pthread_mutex_t dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static char *dummy_hashes[SECRET_SCRYPT_LOG_N + 1];

static const char *
dummy_hash(unsigned log_n)
{
	char *h;
	struct err err;

	if (log_n > SECRET_SCRYPT_LOG_N)
		return NULL;
	pthread_mutex_lock(&dummy_lock);
	if (dummy_hashes[log_n] == NULL &&
	    secret_scrypt_hash("oidcd: no such user", 19, log_n, &h, &err) == ST_OK)
		dummy_hashes[log_n] = h;
	h = dummy_hashes[log_n];
	pthread_mutex_unlock(&dummy_lock);
	return h;
}

/*
 * Verifies password for user (NULL: unknown user, then against a dummy hash
 * so both failures cost the same scrypt run). *ok false on any mismatch.
 */
static enum status
verify_password(const struct app *app, const struct store_user *user, const char *password,
                bool *ok, struct err *err)
{
	const char *stored;
	enum status st;

	stored = user != NULL ? user->password_hash : dummy_hash(app->cfg->hashers_scrypt_log_n);
	*ok = false;
	if (stored == NULL)
		return ERR_SET(err, ST_CRYPTO, "no password hash to verify against");
	st = secret_scrypt_verify(password, strlen(password), stored, ok, err);
	if (user == NULL)
		*ok = false;
	return st;
}

const char *
authz_throttle_key(struct request *req, const char *kind, const char *value)
{
	char *key = arena_printf(req->arena, "%s:%s", kind, value);

	for (char *c = key; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	return key;
}

enum status
authz_throttled(const struct app *app, struct request *req, const char *const keys[2], int64_t now,
                bool *locked)
{
	struct store_throttle t;
	enum status st;

	*locked = false;
	for (int i = 0; i < 2; i++) {
		st = store_throttle_get(app->store, keys[i], now, &t, &req->err);
		if (st != ST_OK)
			return st;
		if (t.locked_until > now)
			*locked = true;
	}
	return ST_OK;
}

/* A new login session for user, queued in p, with its cookie on p->res (call last). */
static enum status
new_session(const struct app *app, struct request *req, const struct store_user *user,
            struct authz_pending *p, char **cookie_out)
{
	bool https = strncmp(app->issuer, "https://", 8) == 0;
	char sid[37], *value;
	enum status st;

	st = random_token("", req->arena, &value, &req->err);
	if (st == ST_OK)
		st = random_uuid(sid, &req->err);
	if (st != ST_OK)
		return st;
	secrets_token_hash(app->cfg, value, p->session_hash);
	p->has_session = true;
	p->session = (struct store_session){
	        .id_hash = p->session_hash,
	        .sid = arena_strdup(req->arena, sid),
	        .user_id = user->id,
	        .auth_time = p->now,
	        .amr = "pwd",
	        .acr = "", /* the built-in login asserts no ACR level */
	        .created_at = p->now,
	        .expires_at = p->now + app->cfg->ttl_login_session_secs,
	};
	return cookie_set(req->arena, AUTHZ_SESSION_COOKIE, value, app->cfg->ttl_login_session_secs,
	                  https, true, COOKIE_SAME_SITE_LAX, cookie_out, &req->err);
}

void
authz_forget_password(struct request *req, const char *password)
{
	char *writable;

	/* Both live in the request arena (writable memory); the pointer is
	 * copied, not cast, to drop its const. */
	if (password != NULL) {
		memcpy(&writable, &password, sizeof writable);
		secret_wipe(writable, strlen(password));
	}
	if (req->body != NULL && req->body_len > 0) {
		memcpy(&writable, &req->body, sizeof writable);
		secret_wipe(writable, req->body_len);
	}
}

enum status
authz_password_login(const struct app *app, struct request *req, struct authz_pending *p,
                     const char *username, const char *password, struct store_user *user,
                     enum authz_login *outcome, char **cookie_out)
{
	const char *keys[2];
	bool locked, ok;
	enum status st, found;

	*outcome = AUTHZ_LOGIN_FAILED;
	if (username == NULL || username[0] == '\0' || password == NULL || password[0] == '\0' ||
	    strlen(username) > 256) {
		authz_forget_password(req, password);
		*outcome = AUTHZ_LOGIN_EMPTY;
		return ST_OK;
	}
	keys[0] = authz_throttle_key(req, "user", username);
	keys[1] =
	        authz_throttle_key(req, "ip", req->client_ip != NULL ? req->client_ip : "unknown");
	st = authz_throttled(app, req, keys, p->now, &locked);
	if (st != ST_OK || locked) {
		authz_forget_password(req, password);
		if (locked) {
			log_req(LOG_WARN, req, "login throttled for user %s from %s", keys[0],
			        keys[1]);
			metrics_throttled();
			*outcome = AUTHZ_LOGIN_THROTTLED;
		}
		return st;
	}
	found = store_user_get_by_username(app->store, username, req->arena, user, &req->err);
	if (found != ST_OK && found != ST_NOT_FOUND) {
		authz_forget_password(req, password);
		return found;
	}
	st = verify_password(app, found == ST_OK ? user : NULL, password, &ok, &req->err);
	authz_forget_password(req, password);
	if (st != ST_OK)
		return st;
	if (!ok) {
		/* Never the password; the username as typed, shown printable. */
		log_req(LOG_WARN, req, "login failed for %s from %s", keys[0], keys[1]);
		metrics_login_failure();
		p->throttle_fail[0] = keys[0];
		p->throttle_fail[1] = keys[1];
		return ST_OK;
	}
	log_req(LOG_INFO, req, "login of user %s", user->id);
	p->throttle_clear[0] = keys[0];
	p->throttle_clear[1] = keys[1];
	*outcome = AUTHZ_LOGIN_OK;
	return new_session(app, req, user, p, cookie_out);
}

/* POST /ui/login?<request>: username, password, csrf. */
enum status
handle_login(const struct app *app, struct request *req, struct response *res)
{
	const char *username = request_form(req, "username");
	const char *password = request_form(req, "password");
	struct store_user user;
	struct authz_pending *p;
	struct authz az;
	enum authz_login outcome;
	char *cookie = NULL;
	bool done;
	enum status st;

	if (req->is_write_done)
		return authz_written(req, res);
	st = authz_start(app, req, res, &req->query, true, &az, &done);
	if (st != ST_OK || done) {
		authz_forget_password(req, password);
		return st;
	}
	if (!page_csrf_check(app->cfg, authz_csrf_binding(app, &az),
	                     authz_csrf_purpose(req, &az, "login", NULL),
	                     request_form(req, "csrf"))) {
		authz_forget_password(req, password);
		st = authz_login_page(app, req, res, &az,
		                      "This form has expired. Please sign in again.", username,
		                      400);
		goto out;
	}
	p = authz_pending_new(app, req);
	st = authz_password_login(app, req, p, username, password, &user, &outcome, &cookie);
	if (st != ST_OK)
		goto out;
	switch (outcome) {
	case AUTHZ_LOGIN_EMPTY:
		st = authz_login_page(app, req, res, &az, AUTHZ_LOGIN_ERROR, NULL, 400);
		break;
	case AUTHZ_LOGIN_THROTTLED:
		st = authz_login_page(app, req, res, &az, AUTHZ_THROTTLED_ERROR, username, 429);
		if (st == ST_OK)
			response_header(res, "Retry-After", "60");
		break;
	case AUTHZ_LOGIN_FAILED:
		st = authz_login_page(app, req, &p->res, &az, AUTHZ_LOGIN_ERROR, username, 200);
		if (st == ST_OK)
			st = authz_finish(app, req, res, p);
		break;
	case AUTHZ_LOGIN_OK:
		st = authz_continue(app, req, &az, &p->session, p);
		if (st != ST_OK)
			break;
		response_header(&p->res, "Set-Cookie", cookie);
		st = authz_finish(app, req, res, p);
		break;
	}
out:
	authz_clear(&az);
	return st;
}

/* The union of the stored and the requested scopes, space-separated. */
static const char *
merged_scopes(struct request *req, const char *stored, const struct authorize_request *r)
{
	const char *out = stored != NULL ? stored : "";

	for (size_t i = 0; i < r->scopes_count; i++) {
		size_t n = strlen(r->scopes[i]);
		const char *s = out;
		bool has = false;

		while (*s != '\0' && !has) {
			size_t w = strcspn(s, " ");

			has = w == n && memcmp(s, r->scopes[i], n) == 0;
			s += w;
			s += strspn(s, " ");
		}
		if (!has)
			out = out[0] == '\0' ? r->scopes[i]
			                     : arena_printf(req->arena, "%s %s", out, r->scopes[i]);
	}
	return out;
}

/* POST /ui/consent?<request>: consent=allow|deny, csrf. */
enum status
handle_consent(const struct app *app, struct request *req, struct response *res)
{
	const char *answer = request_form(req, "consent");
	struct store_consent old;
	struct store_session sess;
	struct authz_pending *p;
	struct authz az;
	bool done;
	enum status st, found;

	if (req->is_write_done)
		return authz_written(req, res);
	st = authz_start(app, req, res, &req->query, true, &az, &done);
	if (st != ST_OK || done)
		return st;
	found = authz_session(app, req, &az, &sess);
	if (found == ST_NOT_FOUND) {
		st = authz_login_page(app, req, res, &az, "Your session has ended. Please sign in.",
		                      NULL, 200);
		goto out;
	}
	if (found != ST_OK) {
		st = found;
		goto out;
	}
	if (!page_csrf_check(app->cfg, authz_csrf_binding(app, &az),
	                     authz_csrf_purpose(req, &az, "consent", sess.sid),
	                     request_form(req, "csrf"))) {
		st = authz_error_page(app, req, res, 403, "This form has expired",
		                      "Go back to the application and start again.");
		goto out;
	}
	if (answer != NULL && strcmp(answer, "deny") == 0) {
		st = authz_redirect_error(app, req, res, &az, OAUTH_ACCESS_DENIED,
		                          "the user denied the request");
		goto out;
	}
	if (answer == NULL || strcmp(answer, "allow") != 0) {
		st = authz_error_page(app, req, res, 400, "Unknown answer",
		                      "Choose Allow or Deny on the consent page.");
		goto out;
	}
	p = authz_pending_new(app, req);
	st = store_consent_get(app->store, sess.user_id, az.client.row.id, p->now, req->arena, &old,
	                       &req->err);
	if (st != ST_OK && st != ST_NOT_FOUND)
		goto out;
	p->has_consent = true;
	p->consent = (struct store_consent){
	        .user_id = sess.user_id,
	        .client_id = az.client.row.id,
	        .scopes = merged_scopes(req, st == ST_OK ? old.scopes : NULL, &az.r),
	        .granted_at = p->now,
	        .expires_at = p->now + app->cfg->ttl_consent_secs,
	};
	st = authz_issue_code(app, req, &az, &sess, p);
	if (st == ST_OK)
		st = authz_finish(app, req, res, p);
out:
	authz_clear(&az);
	return st;
}

enum status
handle_ui_stylesheet(const struct app *app, struct request *req, struct response *res)
{
	size_t len;
	const char *css = page_stylesheet(app->templates, &len);

	response_raw(res, req->arena, 200, "text/css; charset=utf-8", css, len);
	response_cache_public(res, app->cfg->http_cache_max_age_secs);
	return ST_OK;
}
