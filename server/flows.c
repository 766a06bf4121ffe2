/*
 * server/flows.c — headless mode: the authorization endpoint's side of
 * Hydra's login and consent challenges. See flows.h; the admin API is
 * handle_flows.c.
 */
#include "server/flows.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "crypto/b64url.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "server/authz.h"
#include "server/claims.h"
#include "server/clients.h"
#include "server/secrets.h"
#include "server/subject.h"
#include "server/tokens.h"

#define SUBJECT_MAX 255

const char *
flows_challenge_param(enum store_flow_kind kind)
{
	return kind == STORE_FLOW_LOGIN     ? "login_challenge"
	       : kind == STORE_FLOW_CONSENT ? "consent_challenge"
	                                    : "logout_challenge";
}

json_t *
flows_request_view(enum store_flow_kind kind, const json_t *request, const char *challenge)
{
	json_t *out = json_deep_copy(request);

	json_object_del(out, "encoded");
	json_object_del(out, "client_id");
	json_object_del(out, "auth_time");
	if (kind == STORE_FLOW_LOGIN)
		json_object_del(out, "login_challenge"); /* its own challenge, echoed below */
	json_object_set_new(out, "challenge", json_string(challenge != NULL ? challenge : ""));
	return out;
}

bool
flows_is_headless(const struct app *app)
{
	return app->cfg->urls_login != NULL && app->cfg->urls_consent != NULL;
}

/* ---- request bodies of the admin API ---- */

static enum status __attribute__((format(printf, 2, 3))) refuse(char why[160], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, 160, fmt, ap);
	va_end(ap);
	return ST_INVALID;
}

static bool
is_string_array(const json_t *v, size_t max_len)
{
	const json_t *x;
	size_t i;

	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, x)
	{
		if (!json_is_string(x) || json_string_length(x) == 0 ||
		    json_string_length(x) > max_len ||
		    strlen(json_string_value(x)) != json_string_length(x))
			return false;
	}
	return true;
}

static bool
array_has(const json_t *arr, const char *s)
{
	const json_t *x;
	size_t i;

	json_array_foreach(arr, i, x)
	{
		if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
			return true;
	}
	return false;
}

/* remember (bool) and remember_for (seconds, >= 0) when present. */
static enum status
check_remember(const json_t *in, json_t *out, char why[160])
{
	const json_t *r = json_object_get(in, "remember"), *f = json_object_get(in, "remember_for");

	if (r != NULL && !json_is_boolean(r))
		return refuse(why, "%s must be a boolean", "remember");
	if (f != NULL && (!json_is_integer(f) || json_integer_value(f) < 0 ||
	                  json_integer_value(f) > 10LL * 365 * 86400))
		return refuse(why, "%s must be a number of seconds, 0 or more", "remember_for");
	json_object_set_new(out, "remember", json_boolean(json_is_true(r)));
	json_object_set_new(out, "remember_for",
	                    json_integer(f != NULL ? json_integer_value(f) : 0));
	return ST_OK;
}

static enum status
login_accept(const json_t *in, const char *skip_subject, json_t *out, char why[160])
{
	const json_t *sub = json_object_get(in, "subject"), *acr = json_object_get(in, "acr"),
	             *amr = json_object_get(in, "amr"), *ctx = json_object_get(in, "context"),
	             *ext = json_object_get(in, "extend_session_lifespan"),
	             *force = json_object_get(in, "force_subject_identifier");

	if (!json_is_string(sub) || json_string_length(sub) == 0 ||
	    json_string_length(sub) > SUBJECT_MAX ||
	    strlen(json_string_value(sub)) != json_string_length(sub))
		return refuse(why, "%s is required: a string of 1 to 255 characters", "subject");
	if (skip_subject != NULL && strcmp(skip_subject, json_string_value(sub)) != 0)
		return refuse(why,
		              "%s differs from the subject of the remembered login (skip was "
		              "true)",
		              "subject");
	if (acr != NULL && (!json_is_string(acr) || json_string_length(acr) > 255 ||
	                    strchr(json_string_value(acr), ' ') != NULL))
		return refuse(why, "%s must be a string", "acr");
	if (amr != NULL && !is_string_array(amr, 64))
		return refuse(why, "%s must be an array of strings", "amr");
	if (ctx != NULL && !json_is_object(ctx))
		return refuse(why, "%s must be an object", "context");
	if (ext != NULL && !json_is_boolean(ext))
		return refuse(why, "%s must be a boolean", "extend_session_lifespan");
	/* Hydra: only a login that had a session (skip true) can extend it. */
	if (json_is_true(ext) && skip_subject == NULL)
		return refuse(why, "%s",
		              "extend_session_lifespan can only be true when the login request "
		              "was skipped (skip true)");
	if (force != NULL && (!json_is_string(force) || json_string_length(force) > SUBJECT_MAX ||
	                      strlen(json_string_value(force)) != json_string_length(force)))
		return refuse(why, "%s must be a string of at most 255 characters",
		              "force_subject_identifier");
	json_object_set_new(out, "subject", json_string(json_string_value(sub)));
	json_object_set_new(out, "extend_session_lifespan", json_boolean(json_is_true(ext)));
	if (force != NULL && json_string_length(force) > 0)
		json_object_set_new(out, "force_subject_identifier",
		                    json_string(json_string_value(force)));
	json_object_set_new(out, "acr", json_string(acr != NULL ? json_string_value(acr) : ""));
	json_object_set_new(out, "amr", amr != NULL ? json_deep_copy(amr) : json_array());
	json_object_set_new(out, "context", ctx != NULL ? json_deep_copy(ctx) : json_object());
	return check_remember(in, out, why);
}

static enum status
consent_accept(const json_t *in, const json_t *requested, json_t *out, char why[160])
{
	const json_t *grant = json_object_get(in, "grant_scope"),
	             *aud = json_object_get(in, "grant_access_token_audience"),
	             *session = json_object_get(in, "session"), *x;
	size_t i;

	if (grant != NULL && !is_string_array(grant, 128))
		return refuse(why, "%s must be an array of scopes", "grant_scope");
	json_array_foreach(grant, i, x)
	{
		if (requested == NULL || !array_has(requested, json_string_value(x)))
			return refuse(why, "grant_scope: \"%.100s\" was not requested",
			              json_string_value(x));
		if (strspn(json_string_value(x),
		           "!#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		           "[]^_`abcdefghijklmnopqrstuvwxyz{|}~") != json_string_length(x))
			return refuse(why, "%s: not a scope token", "grant_scope");
	}
	if (aud != NULL && !is_string_array(aud, 512))
		return refuse(why, "%s must be an array of strings", "grant_access_token_audience");
	if (session != NULL && !json_is_object(session))
		return refuse(why, "%s must be an object", "session");
	if (session != NULL && ((json_object_get(session, "id_token") != NULL &&
	                         !json_is_object(json_object_get(session, "id_token"))) ||
	                        (json_object_get(session, "access_token") != NULL &&
	                         !json_is_object(json_object_get(session, "access_token")))))
		return refuse(why, "%s: id_token and access_token must be objects", "session");
	json_object_set_new(out, "grant_scope",
	                    grant != NULL ? json_deep_copy(grant) : json_array());
	json_object_set_new(out, "grant_access_token_audience",
	                    aud != NULL ? json_deep_copy(aud) : json_array());
	json_object_set_new(out, "session",
	                    session != NULL ? json_deep_copy(session) : json_object());
	return check_remember(in, out, why);
}

static enum status
reject_body(const json_t *in, json_t *out, char why[160])
{
	const json_t *e = json_object_get(in, "error"),
	             *d = json_object_get(in, "error_description");
	const char *code = json_is_string(e) ? json_string_value(e) : "access_denied";

	if (e != NULL && !json_is_string(e))
		return refuse(why, "%s must be a string", "error");
	if (d != NULL && !json_is_string(d))
		return refuse(why, "%s must be a string", "error_description");
	/* RFC 6749 §4.1.2.1: error is an ASCII token. */
	if (code[0] == '\0' || strlen(code) > 64 ||
	    strspn(code, "abcdefghijklmnopqrstuvwxyz_") != strlen(code))
		return refuse(why, "%s must be an OAuth error code (lower case and _)", "error");
	json_object_set_new(out, "error", json_string(code));
	if (d != NULL)
		json_object_set_new(
		        out, "error_description",
		        json_stringn(json_string_value(d), strnlen(json_string_value(d), 500)));
	return ST_OK;
}

enum status
flows_parse_body(const char *kind, const char *body, size_t len, const json_t *requested_scope,
                 const char *skip_subject, char **out, char why[160])
{
	json_t *in = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL), *norm = json_object();
	enum status st;

	*out = NULL;
	if (!json_is_object(in))
		st = refuse(why, "%s", "the body must be a JSON object");
	else if (strcmp(kind, "login-accept") == 0)
		st = login_accept(in, skip_subject, norm, why);
	else if (strcmp(kind, "consent-accept") == 0)
		st = consent_accept(in, requested_scope, norm, why);
	else if (strcmp(kind, "logout-accept") == 0)
		st = ST_OK; /* no body: {} */
	else
		st = reject_body(in, norm, why);
	if (st == ST_OK) {
		*out = json_dumps(norm, JSON_COMPACT);
		if (*out == NULL)
			st = refuse(why, "%s", "the body cannot be stored");
	}
	json_decref(in);
	json_decref(norm);
	return st;
}

/* ---- the authorization endpoint ---- */

/*
 * One /oauth2/auth or logout request between its runs: a verifier
 * consumed (PHASE_CONSUME), or the writes of the next step (PHASE_FINAL:
 * a request handed to the app, a session, a code ...) in p.
 */
struct flow_state {
	enum {
		PHASE_CONSUME = 1,
		PHASE_FINAL
	} phase;
	enum store_flow_kind kind;
	unsigned char verifier_hash[STORE_HASH_LEN];
	unsigned char binding_hash[STORE_HASH_LEN];
	int64_t now;
	struct arena *arena;
	bool found;
	struct store_flow row;
	struct authz_pending *p;
};

static enum status
flow_apply(struct store *s, void *arg, struct err *err)
{
	struct flow_state *fs = arg;
	enum status st;

	if (fs->phase == PHASE_FINAL)
		return authz_apply(s, fs->p, err);
	st = store_flow_consume(s, fs->verifier_hash, fs->kind, fs->binding_hash, fs->now,
	                        fs->arena, &fs->row, err);
	fs->found = st == ST_OK;
	return st == ST_NOT_FOUND ? ST_OK : st;
}

static struct flow_state *
flow_state_new(const struct app *app, struct request *req)
{
	struct flow_state *fs = arena_alloc(req->arena, sizeof *fs);

	memset(fs, 0, sizeof *fs);
	fs->arena = req->arena;
	fs->now = clock_now(&app->clock);
	return fs;
}

/* Takes the app's answer back: consumes verifier (kind) for this browser (its CSRF cookie). */
static enum status
consume(const struct app *app, struct request *req, struct response *res, struct flow_state *fs,
        enum store_flow_kind kind, const char *verifier, const struct cookie_jar *cookies)
{
	const char *b = authz_csrf_binding_of(app, cookies);

	fs->phase = PHASE_CONSUME;
	fs->kind = kind;
	secrets_token_hash(app->cfg, verifier, fs->verifier_hash);
	/* A browser without the cookie gets zeros: no stored binding is all zeros. */
	if (b == NULL || b[0] == '\0')
		memset(fs->binding_hash, 0, STORE_HASH_LEN);
	else
		secrets_token_hash(app->cfg, b, fs->binding_hash);
	return request_write(app, req, res, flow_apply, fs, fs);
}

/* Writes the next step queued in p; its answer is p->res. */
static enum status
finish(const struct app *app, struct request *req, struct response *res, struct flow_state *fs,
       struct authz_pending *p)
{
	fs->phase = PHASE_FINAL;
	fs->p = p;
	return request_write(app, req, res, flow_apply, fs, fs);
}

/*
 * A new request for the app queued in p (request: what it is shown, taken
 * over), bound to this browser's CSRF cookie (set on p->res when new), and
 * the redirect to it (base?<param>=<challenge>) prepared in p->res.
 */
static enum status
queue_flow(const struct app *app, struct request *req, struct authz_pending *p,
           enum store_flow_kind kind, json_t *request, const struct cookie_jar *cookies,
           bool is_post)
{
	const char *base = kind == STORE_FLOW_LOGIN     ? app->cfg->urls_login
	                   : kind == STORE_FLOW_CONSENT ? app->cfg->urls_consent
	                                                : app->cfg->urls_logout;
	const char *param = flows_challenge_param(kind), *binding;
	unsigned char *bhash = arena_alloc(req->arena, STORE_HASH_LEN);
	char *challenge, *text;
	enum status st;

	st = authz_csrf_binding_ensure(app, req, &p->res, cookies, &binding);
	if (st == ST_OK)
		st = random_token("", req->arena, &challenge, &req->err);
	if (st != ST_OK) {
		json_decref(request);
		return st;
	}
	secrets_token_hash(app->cfg, binding, bhash);
	secrets_token_hash(app->cfg, challenge, p->flow_hash);
	/* Hydra's consent request names the login challenge it followed: kept in the login
	 * request (usable only on the admin API, and spent before anyone sees it again). */
	if (kind == STORE_FLOW_LOGIN)
		json_object_set_new(request, "login_challenge", json_string(challenge));
	text = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	if (text == NULL)
		return ERR_SET(&req->err, ST_IO, "cannot serialise a %s request", param);
	p->has_flow = true;
	p->flow = (struct store_flow){
	        .challenge_hash = p->flow_hash,
	        .kind = kind,
	        .binding_hash = bhash,
	        .status = STORE_FLOW_PENDING,
	        .request = arena_strdup(req->arena, text),
	        .created_at = p->now,
	        .expires_at = p->now + app->cfg->ttl_login_consent_request_secs,
	};
	free(text);
	p->res.status = is_post ? 303 : 302;
	response_header(&p->res, "Location",
	                arena_printf(req->arena, "%s%c%s=%s", base, strchr(base, '?') ? '&' : '?',
	                             param, challenge));
	return ST_OK;
}

static json_t *
scope_array(const struct authorize_request *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->scopes_count; i++)
		json_array_append_new(a, json_string(r->scopes[i]));
	return a;
}

static json_t *
oidc_context(const struct authorize_request *r)
{
	json_t *ctx = json_object();

	if (r->login_hint != NULL)
		json_object_set_new(ctx, "login_hint", json_string(r->login_hint));
	if (r->ui_locales != NULL)
		json_object_set_new(ctx, "ui_locales", tokens_words(r->ui_locales));
	if (r->acr_values != NULL)
		json_object_set_new(ctx, "acr_values", tokens_words(r->acr_values));
	if (r->display != NULL)
		json_object_set_new(ctx, "display", json_string(r->display));
	return ctx;
}

/* A login or consent request for the app (queue_flow) with the authorization request's fields. */
static enum status
hand_to_app(const struct app *app, struct request *req, const struct authz *az,
            struct authz_pending *p, enum store_flow_kind kind, json_t *request)
{
	json_object_set_new(request, "encoded", json_string(az->encoded));
	json_object_set_new(request, "client_id", json_string(az->client.row.id));
	json_object_set_new(request, "requested_scope", scope_array(&az->r));
	json_object_set_new(request, "requested_access_token_audience", json_array());
	json_object_set_new(request, "request_url",
	                    json_string(arena_printf(req->arena, "%s/oauth2/auth?%s", app->issuer,
	                                             az->encoded)));
	json_object_set_new(request, "oidc_context", oidc_context(&az->r));
	return queue_flow(app, req, p, kind, request, &az->cookies, az->is_post);
}

/* Starts the flow: the login request (skip when a remembered login session may be used). */
static enum status
start(const struct app *app, struct request *req, struct response *res, struct authz *az,
      struct flow_state *fs)
{
	struct store_session sess;
	struct authz_pending *p;
	enum status found, st;
	bool need;
	json_t *request;

	found = authz_session(app, req, az, &sess);
	if (found != ST_OK && found != ST_NOT_FOUND)
		return found;
	if (az->r.id_token_hint != NULL && !authz_hint_matches(app, req, az, &sess, &found))
		return authz_redirect_error(app, req, res, az, OAUTH_INVALID_REQUEST,
		                            "id_token_hint is not an ID token of this issuer");
	need = authz_needs_login(az, &sess, found, clock_now(&app->clock));
	if (need && (az->r.prompt & AUTHORIZE_PROMPT_NONE))
		return authz_redirect_error(app, req, res, az, OAUTH_LOGIN_REQUIRED,
		                            "the user is not signed in");
	p = authz_pending_new(app, req);
	request = json_object();
	json_object_set_new(request, "skip", json_boolean(!need));
	json_object_set_new(request, "subject", json_string(need ? "" : sess.user_id));
	json_object_set_new(request, "session_id", json_string(found == ST_OK ? sess.sid : ""));
	st = hand_to_app(app, req, az, p, STORE_FLOW_LOGIN, request);
	if (st != ST_OK)
		return st;
	return finish(app, req, res, fs, p);
}

/* The app's error for the client, as the closest error code oidcd knows. */
static enum oauth_error
app_error(const char *code)
{
	static const enum oauth_error known[] = {
	        OAUTH_ACCESS_DENIED,
	        OAUTH_LOGIN_REQUIRED,
	        OAUTH_CONSENT_REQUIRED,
	        OAUTH_INTERACTION_REQUIRED,
	        OAUTH_INVALID_REQUEST,
	        OAUTH_INVALID_SCOPE,
	        OAUTH_UNAUTHORIZED_CLIENT,
	        OAUTH_TEMPORARILY_UNAVAILABLE,
	        OAUTH_ACCOUNT_SELECTION_REQUIRED,
	        OAUTH_SERVER_ERROR,
	};

	for (size_t i = 0; code != NULL && i < sizeof known / sizeof known[0]; i++)
		if (strcmp(oauth_error_code(known[i]), code) == 0)
			return known[i];
	return OAUTH_ACCESS_DENIED;
}

static enum status
rejected(const struct app *app, struct request *req, struct response *res, const struct authz *az,
         const json_t *result)
{
	const char *desc = json_string_value(json_object_get(result, "error_description"));

	return authz_redirect_error(app, req, res, az,
	                            app_error(json_string_value(json_object_get(result, "error"))),
	                            desc != NULL ? desc : "the request was refused");
}

/* A username for an external subject: unique, and never a name a person would type. */
static const char *
external_username(struct request *req, const char *subject)
{
	unsigned char h[DIGEST_SHA256_BYTES];

	digest_sha256(subject, strlen(subject), h);
	return arena_printf(req->arena, "external:%s", b64url_encode_arena(req->arena, h, 18));
}

/*
 * extend_session_lifespan (Hydra's acceptOAuth2LoginRequest, skip true
 * only): the remembered session sess lives remember_for seconds (else
 * ttl.login_session) from now, in the table and in the browser, whose
 * cookie gets that Max-Age (as Hydra re-saves its cookie), so prompt=none
 * keeps working for as long as the app keeps extending.
 */
static enum status
extend_session(const struct app *app, struct request *req, const struct authz *az,
               struct authz_pending *p, const struct store_session *sess, int64_t remember_for)
{
	bool https = strncmp(app->issuer, "https://", 8) == 0;
	int64_t ttl = remember_for > 0 ? remember_for : app->cfg->ttl_login_session_secs;
	const char *value = cookie_get(&az->cookies, AUTHZ_SESSION_COOKIE);
	char *cookie;
	enum status st;

	if (value == NULL) /* skip true: the session came from this cookie */
		return ERR_SET(&req->err, ST_IO, "a skipped login without a session cookie");
	st = cookie_set(req->arena, AUTHZ_SESSION_COOKIE, value, ttl, https, true,
	                COOKIE_SAME_SITE_LAX, &cookie, &req->err);
	if (st != ST_OK)
		return st;
	response_header(&p->res, "Set-Cookie", cookie);
	p->extend_hash = sess->id_hash;
	p->extend_until = p->now + ttl;
	return ST_OK;
}

/* The login app accepted: a (new or remembered) session, then the consent request. */
static enum status
login_accepted(const struct app *app, struct request *req, struct response *res, struct authz *az,
               struct flow_state *fs, const json_t *request, const json_t *result)
{
	/* Copies: request and result are freed before the write runs. */
	const char *subject =
	        arena_strdup(req->arena, json_string_value(json_object_get(result, "subject")));
	bool skip = json_is_true(json_object_get(request, "skip"));
	bool remember = json_is_true(json_object_get(result, "remember"));
	int64_t remember_for = json_integer_value(json_object_get(result, "remember_for"));
	struct authz_pending *p = authz_pending_new(app, req);
	struct store_session sess, *use = &sess;
	struct store_consent consent;
	const char *forced;
	bool consent_skip;
	json_t *next;
	enum status st;

	if (skip) {
		st = authz_session(app, req, az, &sess);
		if (st == ST_NOT_FOUND || (st == ST_OK && strcmp(sess.user_id, subject) != 0))
			return authz_error_page(
			        app, req, res, 400, "Sign-in expired",
			        "The remembered sign-in ended meanwhile. Start again "
			        "from the application.");
		if (st != ST_OK)
			return st;
		if (json_is_true(json_object_get(result, "extend_session_lifespan"))) {
			st = extend_session(app, req, az, p, &sess, remember_for);
			if (st != ST_OK)
				return st;
		}
	} else {
		bool https = strncmp(app->issuer, "https://", 8) == 0;
		int64_t ttl = remember && remember_for > 0 ? remember_for
		                                           : app->cfg->ttl_login_session_secs;
		char sid[37], *value, *cookie = NULL;
		json_t *amr = json_object_get(result, "amr"), *x;
		struct buf amrs = {0};
		size_t i;

		st = random_token("", req->arena, &value, &req->err);
		if (st == ST_OK)
			st = random_uuid(sid, &req->err);
		if (st != ST_OK)
			return st;
		json_array_foreach(amr, i, x)
		{
			if (i > 0)
				buf_putc(&amrs, ' ');
			buf_puts(&amrs, json_string_value(x));
		}
		secrets_token_hash(app->cfg, value, p->session_hash);
		p->ensure_user = subject;
		p->ensure_user_name = external_username(req, subject);
		p->has_session = true;
		p->session = (struct store_session){
		        .id_hash = p->session_hash,
		        .sid = arena_strdup(req->arena, sid),
		        .user_id = subject,
		        .auth_time = p->now,
		        .amr = arena_strdup(req->arena, amrs.data != NULL ? amrs.data : ""),
		        .acr = arena_strdup(req->arena,
		                            json_string_value(json_object_get(result, "acr"))),
		        .created_at = p->now,
		        .expires_at = p->now + ttl,
		};
		buf_free(&amrs);
		/*
		 * Hydra's acceptOAuth2LoginRequest: remember false keeps no session in
		 * the browser (a cookie it had is cleared), so the next authorization
		 * asks again (skip false); the session row still names this login
		 * (sid, tokens, back-channel logout) and the consent step finds it by
		 * sid. remember_for 0 is a browser-session cookie, else its Max-Age.
		 */
		if (remember)
			st = cookie_set(req->arena, AUTHZ_SESSION_COOKIE, value,
			                remember_for > 0 ? ttl : -1, https, true,
			                COOKIE_SAME_SITE_LAX, &cookie, &req->err);
		else if (cookie_get(&az->cookies, AUTHZ_SESSION_COOKIE) != NULL)
			st = cookie_clear(req->arena, AUTHZ_SESSION_COOKIE, https, true,
			                  COOKIE_SAME_SITE_LAX, &cookie, &req->err);
		if (st != ST_OK)
			return st;
		if (cookie != NULL)
			response_header(&p->res, "Set-Cookie", cookie);
		use = &p->session;
	}
	/* force_subject_identifier: pairwise clients only (Hydra ignores it otherwise). */
	forced = json_string_value(json_object_get(result, "force_subject_identifier"));
	if (forced != NULL && subject_is_pairwise(az->client.doc)) {
		p->forced_subject = arena_strdup(req->arena, forced);
		p->forced_client = az->client.row.id;
		p->forced_user = subject;
	}
	consent_skip = json_is_true(json_object_get(az->client.doc, "skip_consent"));
	if (!consent_skip && !(az->r.prompt & AUTHORIZE_PROMPT_CONSENT)) {
		st = store_consent_get(app->store, subject, az->client.row.id, p->now, req->arena,
		                       &consent, &req->err);
		if (st == ST_OK) {
			consent_skip = true;
			for (size_t i = 0; i < az->r.scopes_count && consent_skip; i++)
				consent_skip = claims_scope_has(consent.scopes, az->r.scopes[i]);
		} else if (st != ST_NOT_FOUND) {
			return st;
		}
	}
	next = json_object();
	json_object_set_new(next, "skip", json_boolean(consent_skip));
	json_object_set_new(next, "subject", json_string(subject));
	json_object_set_new(next, "login_session_id", json_string(use->sid));
	json_object_set_new(next, "acr", json_string(use->acr != NULL ? use->acr : ""));
	json_object_set(next, "amr", json_object_get(result, "amr"));
	json_object_set(next, "context", json_object_get(result, "context"));
	json_object_set_new(next, "auth_time", json_integer(use->auth_time));
	json_object_set(next, "login_challenge", json_object_get(request, "login_challenge"));
	st = hand_to_app(app, req, az, p, STORE_FLOW_CONSENT, next);
	if (st != ST_OK)
		return st;
	return finish(app, req, res, fs, p);
}

/*
 * The consent request and the accept body a remembered consent keeps
 * (Hydra's oAuth2ConsentSession): the request as the app saw it, with the
 * challenge answer() noted in the result once it was spent.
 */
static enum status
remembered_consent(struct request *req, const json_t *request, const json_t *result,
                   struct store_consent *out)
{
	json_t *view = flows_request_view(STORE_FLOW_CONSENT, request,
	                                  json_string_value(json_object_get(result, "challenge")));
	json_t *kept = json_deep_copy(result);
	char *a, *b;
	enum status st = ST_OK;

	json_object_del(kept, "challenge");
	a = json_dumps(view, JSON_COMPACT);
	b = json_dumps(kept, JSON_COMPACT);
	if (a == NULL || b == NULL) {
		st = ERR_SET(&req->err, ST_IO, "cannot serialise a consent session");
	} else {
		out->request = arena_strdup(req->arena, a);
		out->result = arena_strdup(req->arena, b);
	}
	free(a);
	free(b);
	json_decref(view);
	json_decref(kept);
	return st;
}

/* The consent app accepted: the code (and front-channel tokens) with the granted scopes. */
static enum status
consent_accepted(const struct app *app, struct request *req, struct response *res, struct authz *az,
                 struct flow_state *fs, const json_t *request, const json_t *result)
{
	const char *subject =
	        arena_strdup(req->arena, json_string_value(json_object_get(request, "subject")));
	struct authz_pending *p = authz_pending_new(app, req);
	const json_t *grant = json_object_get(result, "grant_scope"), *x;
	const char *sid = json_string_value(json_object_get(request, "login_session_id"));
	struct store_session sess;
	struct buf scopes = {0};
	char *session;
	size_t i;
	enum status st;

	/* By the sid the consent request recorded: a login not remembered has no cookie. */
	st = sid != NULL ? store_session_get_by_sid(app->store, sid, req->arena, &sess, &req->err)
	                 : ST_NOT_FOUND;
	if (st == ST_NOT_FOUND ||
	    (st == ST_OK && (strcmp(sess.user_id, subject) != 0 || sess.ended_at != 0 ||
	                     sess.expires_at <= p->now)))
		return authz_error_page(app, req, res, 400, "Sign-in expired",
		                        "The sign-in for this request ended. Start again from the "
		                        "application.");
	if (st != ST_OK)
		return st;
	json_array_foreach(grant, i, x)
	{
		if (i > 0)
			buf_putc(&scopes, ' ');
		buf_puts(&scopes, json_string_value(x));
	}
	p->granted_scope = arena_strdup(req->arena, scopes.data != NULL ? scopes.data : "");
	buf_free(&scopes);
	session = json_dumps(json_object_get(result, "session"), JSON_COMPACT);
	if (session != NULL) {
		p->session_claims = arena_strdup(req->arena, session);
		free(session);
	}
	/* Hydra: a skipped consent is not remembered again, so the remembered one
	 * keeps what was accepted (its session, audience, request). */
	if (json_is_true(json_object_get(result, "remember")) &&
	    !json_is_true(json_object_get(request, "skip"))) {
		int64_t rf = json_integer_value(json_object_get(result, "remember_for"));

		p->has_consent = true;
		p->consent = (struct store_consent){
		        .user_id = subject,
		        .client_id = az->client.row.id,
		        .scopes = p->granted_scope,
		        .granted_at = p->now,
		        /* Hydra: remember_for 0 remembers the consent indefinitely. */
		        .expires_at = rf > 0 ? p->now + rf : 0,
		};
		st = remembered_consent(req, request, result, &p->consent);
		if (st != ST_OK)
			return st;
	}
	st = authz_issue_code(app, req, az, &sess, p);
	if (st != ST_OK)
		return st;
	return finish(app, req, res, fs, p);
}

/* The verifier was looked up: continue, refuse, or tell the browser it is too late. */
static enum status
consumed(const struct app *app, struct request *req, struct response *res, struct authz *az,
         struct flow_state *fs)
{
	json_t *request = NULL, *result = NULL;
	enum status st;

	if (!fs->found)
		return authz_error_page(
		        app, req, res, 400, "Request expired",
		        "This sign-in step is not valid any more (used, expired, or "
		        "started in another browser). Start again from the "
		        "application.");
	request = json_loads(fs->row.request, 0, NULL);
	result = fs->row.result != NULL ? json_loads(fs->row.result, 0, NULL) : NULL;
	if (!json_is_object(request) || !json_is_object(result)) {
		st = ERR_SET(&req->err, ST_IO, "a stored flow request is not JSON");
		goto out;
	}
	if (json_string_value(json_object_get(request, "encoded")) == NULL ||
	    strcmp(json_string_value(json_object_get(request, "encoded")), az->encoded) != 0) {
		st = authz_error_page(
		        app, req, res, 400, "Request mismatch",
		        "This sign-in step belongs to another authorization request.");
		goto out;
	}
	/* RETURNING shows the row as updated (used): a reject is told by its body. */
	if (json_object_get(result, "error") != NULL)
		st = rejected(app, req, res, az, result);
	else if (json_string_value(json_object_get(fs->kind == STORE_FLOW_LOGIN ? result : request,
	                                           "subject")) == NULL)
		st = ERR_SET(&req->err, ST_IO, "a stored flow answer has no subject");
	else if (fs->kind == STORE_FLOW_LOGIN)
		st = login_accepted(app, req, res, az, fs, request, result);
	else
		st = consent_accepted(app, req, res, az, fs, request, result);
out:
	json_decref(request);
	json_decref(result);
	return st;
}

enum status
flows_authorize(const struct app *app, struct request *req, struct response *res)
{
	static const char *const verifier_names[] = {"login_verifier", "consent_verifier"};
	const struct form *params = req->method == HTTP_POST ? &req->form : &req->query;
	const char *login_v = form_get(params, "login_verifier");
	const char *consent_v = form_get(params, "consent_verifier");
	struct flow_state *fs = req->is_write_done ? req->write_state : NULL;
	struct form stripped;
	struct authz az;
	bool done;
	enum status st;

	if (fs != NULL && fs->phase == PHASE_FINAL) {
		if (req->write_status != ST_OK) {
			req->err = req->write_err;
			return req->write_status;
		}
		*res = fs->p->res;
		return ST_OK;
	}
	form_without(params, verifier_names, 2, req->arena, &stripped);
	st = authz_start(app, req, res, &stripped, req->method == HTTP_POST, &az, &done);
	if (st != ST_OK || done)
		return st;
	if (fs != NULL) {
		if (req->write_status != ST_OK) {
			req->err = req->write_err;
			st = req->write_status;
		} else {
			st = consumed(app, req, res, &az, fs);
		}
		goto out;
	}
	fs = flow_state_new(app, req);
	if (login_v != NULL || consent_v != NULL) {
		st = consume(app, req, res, fs,
		             login_v != NULL ? STORE_FLOW_LOGIN : STORE_FLOW_CONSENT,
		             login_v != NULL ? login_v : consent_v, &az.cookies);
	} else {
		st = start(app, req, res, &az, fs);
	}
out:
	authz_clear(&az);
	return st;
}

/* ---- the logout endpoint ---- */

bool
flows_logout_headless(const struct app *app)
{
	return flows_is_headless(app) && app->cfg->urls_logout != NULL;
}

/* Hands the logout to the app (urls.logout?logout_challenge=). */
static enum status
logout_hand(const struct app *app, struct request *req, struct response *res,
            const struct flows_logout *lo, struct flow_state *fs)
{
	struct authz_pending *p = authz_pending_new(app, req);
	json_t *request = json_object();
	enum status st;

	json_object_set_new(request, "encoded", json_string(lo->encoded));
	json_object_set_new(request, "subject", json_string(lo->subject));
	json_object_set_new(request, "sid", json_string(lo->sid));
	if (lo->client_id != NULL)
		json_object_set_new(request, "client_id", json_string(lo->client_id));
	json_object_set_new(request, "request_url",
	                    json_string(arena_printf(req->arena, "%s/oauth2/sessions/logout?%s",
	                                             app->issuer, lo->encoded)));
	json_object_set_new(request, "rp_initiated", json_true());
	st = queue_flow(app, req, p, STORE_FLOW_LOGOUT, request, lo->cookies, lo->is_post);
	if (st != ST_OK)
		return st;
	req->flow_state = fs;
	return finish(app, req, res, fs, p);
}

enum status
flows_logout(const struct app *app, struct request *req, struct response *res,
             const struct flows_logout *lo, bool *end_now)
{
	struct flow_state *ls = req->is_write_done ? req->flow_state : NULL;
	json_t *request;
	bool same;

	*end_now = false;
	if (ls != NULL) {
		req->flow_state = NULL; /* the logout's own write, if any, comes next */
		if (req->write_status != ST_OK) {
			req->err = req->write_err;
			return req->write_status;
		}
		if (ls->phase == PHASE_FINAL) {
			*res = ls->p->res;
			return ST_OK;
		}
		if (!ls->found)
			return authz_error_page(app, req, res, 400, "Sign-out expired",
			                        "This sign-out step is not valid any more (used, "
			                        "expired, or started in another browser).");
		request = json_loads(ls->row.request, 0, NULL);
		same = json_string_value(json_object_get(request, "encoded")) != NULL &&
		       strcmp(json_string_value(json_object_get(request, "encoded")),
		              lo->encoded) == 0 &&
		       (lo->sid == NULL ||
		        (json_string_value(json_object_get(request, "sid")) != NULL &&
		         strcmp(json_string_value(json_object_get(request, "sid")), lo->sid) == 0));
		json_decref(request);
		if (!same)
			return authz_error_page(app, req, res, 400, "Request mismatch",
			                        "This sign-out step belongs to another request or "
			                        "session.");
		/* No session any more (lo->sid NULL): nothing left to end, as in Hydra. */
		if (lo->sid == NULL || ls->row.result == NULL ||
		    strstr(ls->row.result, "\"error\"") != NULL) {
			/* The app kept the user signed in: back to where the request would end. */
			res->status = lo->is_post ? 303 : 302;
			response_header(res, "Location", lo->target);
			return ST_OK;
		}
		*end_now = true;
		return ST_OK;
	}
	ls = flow_state_new(app, req);
	if (lo->verifier == NULL)
		return logout_hand(app, req, res, lo, ls);
	req->flow_state = ls;
	return consume(app, req, res, ls, STORE_FLOW_LOGOUT, lo->verifier, lo->cookies);
}
