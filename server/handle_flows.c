/*
 * server/handle_flows.c — headless mode's admin API, in Hydra's shapes
 * (OAuth2Api; hydra-openapi.json):
 *   GET  /admin/oauth2/auth/requests/login?login_challenge=        getOAuth2LoginRequest
 *   PUT  /admin/oauth2/auth/requests/login/accept?login_challenge=  acceptOAuth2LoginRequest
 *   PUT  /admin/oauth2/auth/requests/login/reject?login_challenge=  rejectOAuth2LoginRequest
 *   and the same three for consent (consent_challenge);
 *   GET|DELETE /admin/oauth2/auth/sessions/consent?subject=[&client=|&all=true]
 *   DELETE     /admin/oauth2/auth/sessions/login?subject=|sid=
 * GET of a request answered already gets 410 {"redirect_to": its
 * request_url} as in Hydra (the authorization or logout request again, so
 * the app can send the browser back into the flow); a second accept or
 * reject gets 410 with an error; an unknown or expired challenge 404.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/random.h"
#include "server/clients.h"
#include "server/flows.h"
#include "server/handlers.h"
#include "server/logout_worker.h"
#include "server/secrets.h"
#include "server/tokens.h"

/* A request of kind named by its challenge in the query; *done with the answer in res otherwise. */
static enum status
load(const struct app *app, struct request *req, struct response *res, enum store_flow_kind kind,
     struct store_flow *row, json_t **request, bool *done)
{
	const char *param = flows_challenge_param(kind);
	const char *challenge = request_query(req, param);
	unsigned char hash[STORE_HASH_LEN];
	enum status st;

	*done = true;
	*request = NULL;
	if (!flows_is_headless(app) || (kind == STORE_FLOW_LOGOUT && !flows_logout_headless(app)))
		return oauth_error(res, req->arena, OAUTH_NOT_FOUND,
		                   "headless mode is off (urls.login, urls.consent, urls.logout)");
	if (challenge == NULL || challenge[0] == '\0' || strlen(challenge) > 256)
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
		                   arena_printf(req->arena, "%s is required", param));
	secrets_token_hash(app->cfg, challenge, hash);
	st = store_flow_get(app->store, hash, kind, req->arena, row, &req->err);
	if (st == ST_NOT_FOUND || (st == ST_OK && row->expires_at <= clock_now(&app->clock)))
		return oauth_error(res, req->arena, OAUTH_NOT_FOUND,
		                   "no such request, or it expired (ttl.login_consent_request)");
	if (st != ST_OK)
		return st;
	*request = json_loads(row->request, 0, NULL);
	if (!json_is_object(*request)) {
		json_decref(*request);
		*request = NULL;
		return ERR_SET(&req->err, ST_IO, "a stored flow request is not JSON");
	}
	*done = false;
	return ST_OK;
}

static enum status
gone(struct request *req, struct response *res)
{
	json_t *body = json_pack("{s:s,s:s}", "error", "request_handled", "error_description",
	                         "the request was answered already");

	response_json(res, req->arena, 410, body);
	return ST_OK;
}

/* GET: Hydra's oAuth2LoginRequest / oAuth2ConsentRequest. */
static enum status
get_request(const struct app *app, struct request *req, struct response *res,
            enum store_flow_kind kind)
{
	struct store_flow row;
	struct client_record client;
	json_t *request, *out;
	bool done;
	enum status st;

	st = load(app, req, res, kind, &row, &request, &done);
	if (st != ST_OK || done)
		return st;
	if (row.status != STORE_FLOW_PENDING) {
		/* Hydra: 410 with the request's own URL, so the app can send the browser
		 * back into the flow (a new challenge). Never the verifier: it is spent. */
		const char *url = json_string_value(json_object_get(request, "request_url"));

		response_json(res, req->arena, 410,
		              json_pack("{s:s}", "redirect_to", url != NULL ? url : app->issuer));
		json_decref(request);
		return ST_OK;
	}
	out = flows_request_view(kind, request, request_query(req, flows_challenge_param(kind)));
	if (json_string_value(json_object_get(request, "client_id")) != NULL) {
		st = clients_load(app, json_string_value(json_object_get(request, "client_id")),
		                  req->arena, &client, &req->err);
		if (st != ST_OK) {
			json_decref(request);
			json_decref(out);
			return st == ST_NOT_FOUND ? oauth_error(res, req->arena, OAUTH_NOT_FOUND,
			                                        "the request's client was deleted")
			                          : st;
		}
		json_object_set_new(out, "client",
		                    clients_render(app, &client, CLIENT_VIEW_ADMIN, req->arena));
		clients_record_clear(&client);
	} else {
		json_object_set_new(out, "client", json_null());
	}
	json_decref(request);
	response_json(res, req->arena, 200, out);
	return ST_OK;
}

/* An accept or reject between its runs. */
struct decision {
	unsigned char challenge_hash[STORE_HASH_LEN];
	unsigned char verifier_hash[STORE_HASH_LEN];
	enum store_flow_kind kind;
	enum store_flow_status status;
	const char *result;
	int64_t now;
	const char *redirect_to;
	bool is_gone;
};

static enum status
decide_apply(struct store *s, void *arg, struct err *err)
{
	struct decision *d = arg;
	enum status st = store_flow_decide(s, d->challenge_hash, d->kind, d->now, d->status,
	                                   d->result, d->verifier_hash, err);

	if (st == ST_NOT_FOUND) {
		d->is_gone = true;
		return ST_OK;
	}
	return st;
}

static enum status
decided(struct request *req, struct response *res)
{
	const struct decision *d = req->write_state;

	if (req->write_status != ST_OK) {
		req->err = req->write_err;
		return req->write_status;
	}
	if (d->is_gone)
		return gone(req, res);
	if (d->redirect_to == NULL) {
		res->status = 204; /* Hydra: rejecting a logout answers no content */
		return ST_OK;
	}
	response_json(res, req->arena, 200, json_pack("{s:s}", "redirect_to", d->redirect_to));
	return ST_OK;
}

/*
 * A consent accept body (malloc'd, replaced) with the challenge and the
 * time it was answered: a remembered consent shows them (Hydra's
 * oAuth2ConsentSession consent_request.challenge, handled_at). Kept only
 * once answered, when the challenge opens nothing any more.
 */
static char *
with_challenge(char *result, const char *challenge, int64_t now)
{
	json_t *r = json_loads(result, 0, NULL);
	char *out;

	if (!json_is_object(r)) {
		json_decref(r);
		return result;
	}
	json_object_set_new(r, "challenge", json_string(challenge));
	json_object_set_new(r, "handled_at", json_integer(now));
	out = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	if (out == NULL)
		return result;
	free(result);
	return out;
}

/* PUT accept/reject: Hydra's oAuth2RedirectTo once the answer is durable. */
static enum status
answer(const struct app *app, struct request *req, struct response *res, enum store_flow_kind kind,
       bool accept)
{
	struct store_flow row;
	struct decision *d;
	json_t *request;
	const char *skip_subject = NULL;
	char why[160], *result = NULL, *verifier;
	bool done;
	enum status st;

	if (req->is_write_done)
		return decided(req, res);
	st = load(app, req, res, kind, &row, &request, &done);
	if (st != ST_OK || done)
		return st;
	if (row.status != STORE_FLOW_PENDING) {
		json_decref(request);
		return gone(req, res);
	}
	if (kind == STORE_FLOW_LOGIN && json_is_true(json_object_get(request, "skip")))
		skip_subject = json_string_value(json_object_get(request, "subject"));
	if (kind == STORE_FLOW_LOGOUT) /* Hydra's logout accept and reject have no body */
		st = flows_parse_body(accept ? "logout-accept" : "reject", "{}", 2, NULL, NULL,
		                      &result, why);
	else
		st = flows_parse_body(
		        accept ? (kind == STORE_FLOW_LOGIN ? "login-accept" : "consent-accept")
		               : "reject",
		        req->body, req->body_len, json_object_get(request, "requested_scope"),
		        skip_subject, &result, why);
	if (st != ST_OK) {
		json_decref(request);
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, why);
	}
	if (kind == STORE_FLOW_CONSENT && accept)
		result = with_challenge(result, request_query(req, flows_challenge_param(kind)),
		                        clock_now(&app->clock));
	d = arena_alloc(req->arena, sizeof *d);
	memset(d, 0, sizeof *d);
	d->kind = kind;
	d->status = accept ? STORE_FLOW_ACCEPTED : STORE_FLOW_REJECTED;
	d->result = arena_strdup(req->arena, result);
	free(result);
	d->now = clock_now(&app->clock);
	memcpy(d->challenge_hash, row.challenge_hash, STORE_HASH_LEN);
	st = random_token("", req->arena, &verifier, &req->err);
	if (st != ST_OK) {
		json_decref(request);
		return st;
	}
	secrets_token_hash(app->cfg, verifier, d->verifier_hash);
	if (kind == STORE_FLOW_LOGOUT) {
		const char *enc = json_string_value(json_object_get(request, "encoded"));

		d->redirect_to =
		        accept ? arena_printf(req->arena,
		                              "%s/oauth2/sessions/logout?%s%slogout_verifier=%s",
		                              app->issuer, enc != NULL ? enc : "",
		                              enc != NULL && enc[0] != '\0' ? "&" : "", verifier)
		               : NULL;
	} else {
		d->redirect_to = arena_printf(
		        req->arena, "%s/oauth2/auth?%s&%s=%s", app->issuer,
		        json_string_value(json_object_get(request, "encoded")),
		        kind == STORE_FLOW_LOGIN ? "login_verifier" : "consent_verifier", verifier);
	}
	json_decref(request);
	return request_write(app, req, res, decide_apply, d, d);
}

enum status
handle_admin_login_request(const struct app *app, struct request *req, struct response *res)
{
	return get_request(app, req, res, STORE_FLOW_LOGIN);
}

enum status
handle_admin_login_accept(const struct app *app, struct request *req, struct response *res)
{
	return answer(app, req, res, STORE_FLOW_LOGIN, true);
}

enum status
handle_admin_login_reject(const struct app *app, struct request *req, struct response *res)
{
	return answer(app, req, res, STORE_FLOW_LOGIN, false);
}

enum status
handle_admin_consent_request(const struct app *app, struct request *req, struct response *res)
{
	return get_request(app, req, res, STORE_FLOW_CONSENT);
}

enum status
handle_admin_consent_accept(const struct app *app, struct request *req, struct response *res)
{
	return answer(app, req, res, STORE_FLOW_CONSENT, true);
}

enum status
handle_admin_consent_reject(const struct app *app, struct request *req, struct response *res)
{
	return answer(app, req, res, STORE_FLOW_CONSENT, false);
}

enum status
handle_admin_logout_request(const struct app *app, struct request *req, struct response *res)
{
	return get_request(app, req, res, STORE_FLOW_LOGOUT);
}

enum status
handle_admin_logout_accept(const struct app *app, struct request *req, struct response *res)
{
	return answer(app, req, res, STORE_FLOW_LOGOUT, true);
}

enum status
handle_admin_logout_reject(const struct app *app, struct request *req, struct response *res)
{
	return answer(app, req, res, STORE_FLOW_LOGOUT, false);
}

/* ---- sessions ---- */

/* t as an RFC 3339 UTC date-time (Hydra's nullTime) in the arena. */
static const char *
date_time(struct arena *arena, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char out[32];

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "1970-01-01T00:00:00Z";
	return arena_strdup(arena, out);
}

/*
 * One remembered consent as Hydra's oAuth2ConsentSession: what headless
 * mode kept of the consent request and the accept body (the built-in
 * pages keep neither: an empty session).
 */
static json_t *
consent_session(const struct app *app, struct request *req, const struct store_consent *c)
{
	json_t *cr = c->request != NULL ? json_loads(c->request, 0, NULL) : NULL;
	json_t *result = c->result != NULL ? json_loads(c->result, 0, NULL) : NULL;
	const json_t *aud = json_object_get(result, "grant_access_token_audience");
	const json_t *session = json_object_get(result, "session");
	const json_t *rf = json_object_get(result, "remember_for");
	const json_t *handled = json_object_get(result, "handled_at");
	struct client_record client;
	json_t *out;

	if (!json_is_object(cr)) {
		json_decref(cr);
		cr = json_object();
	}
	json_object_set_new(cr, "subject", json_string(c->user_id));
	if (clients_load(app, c->client_id, req->arena, &client, &req->err) == ST_OK) {
		json_object_set_new(cr, "client",
		                    clients_render(app, &client, CLIENT_VIEW_ADMIN, req->arena));
		clients_record_clear(&client);
	}
	out = json_pack("{s:o,s:o,s:o,s:b,s:I,s:o,s:s}", "consent_request", cr, "grant_scope",
	                tokens_words(c->scopes), "grant_access_token_audience",
	                json_is_array(aud) ? json_deep_copy(aud) : json_array(), "remember", 1,
	                "remember_for",
	                (json_int_t)(json_is_integer(rf) ? json_integer_value(rf)
	                             : c->expires_at > 0 ? c->expires_at - c->granted_at
	                                                 : 0),
	                "session",
	                json_is_object(session) ? json_deep_copy(session) : json_object(),
	                "handled_at",
	                date_time(req->arena, json_is_integer(handled) ? json_integer_value(handled)
	                                                               : c->granted_at));
	if (json_string_value(json_object_get(cr, "challenge")) != NULL)
		json_object_set_new(
		        out, "consent_request_id",
		        json_string(json_string_value(json_object_get(cr, "challenge"))));
	json_decref(result);
	return out;
}

/* GET /admin/oauth2/auth/sessions/consent?subject=: Hydra's oAuth2ConsentSession list. */
enum status
handle_admin_consent_sessions(const struct app *app, struct request *req, struct response *res)
{
	const char *subject = request_query(req, "subject");
	int64_t now = clock_now(&app->clock);
	struct store_consent *items;
	size_t n;
	json_t *out;
	enum status st;

	if (subject == NULL || subject[0] == '\0')
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, "subject is required");
	st = store_consent_list(app->store, subject, now, req->arena, &items, &n, &req->err);
	if (st != ST_OK)
		return st;
	out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, consent_session(app, req, &items[i]));
	response_json(res, req->arena, 200, out);
	return ST_OK;
}

struct revoke {
	const char *subject;
	const char *client;
	bool all;
	int64_t now;
};

static enum status
revoke_apply(struct store *s, void *arg, struct err *err)
{
	struct revoke *r = arg;
	enum status st;

	if (r->all)
		return store_consent_delete_user(s, r->subject, err);
	st = store_consent_delete(s, r->subject, r->client, err);
	return st == ST_NOT_FOUND ? ST_OK : st;
}

static enum status
revoked(struct request *req, struct response *res)
{
	if (req->write_status != ST_OK) {
		req->err = req->write_err;
		return req->write_status;
	}
	res->status = 204;
	return ST_OK;
}

/* DELETE /admin/oauth2/auth/sessions/consent?subject=&client=|&all=true. */
enum status
handle_admin_consent_sessions_revoke(const struct app *app, struct request *req,
                                     struct response *res)
{
	struct revoke *r;
	const char *all = request_query(req, "all");

	if (req->is_write_done)
		return revoked(req, res);
	r = arena_alloc(req->arena, sizeof *r);
	memset(r, 0, sizeof *r);
	r->subject = request_query(req, "subject");
	r->client = request_query(req, "client");
	r->all = all != NULL && strcmp(all, "true") == 0;
	if (r->subject == NULL || r->subject[0] == '\0')
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, "subject is required");
	if (!r->all && (r->client == NULL || r->client[0] == '\0'))
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
		                   "client or all=true is required");
	r->now = clock_now(&app->clock);
	return request_write(app, req, res, revoke_apply, r, r);
}

/*
 * DELETE /admin/oauth2/auth/sessions/login?subject=|sid=: the sessions end
 * as logouts do, back-channel logout tokens included (issue 8).
 */
enum status
handle_admin_login_sessions_revoke(const struct app *app, struct request *req, struct response *res)
{
	const char *subject = request_query(req, "subject"), *sid = request_query(req, "sid");
	struct store_session *sessions = NULL, one;
	store_write_fn *fn;
	void *arg;
	size_t n = 0;
	enum status st;

	if (req->is_write_done) {
		if (req->write_status == ST_OK)
			logout_worker_kick(app->logout_worker);
		return revoked(req, res);
	}
	if (subject != NULL && subject[0] == '\0')
		subject = NULL;
	if (sid != NULL && sid[0] == '\0')
		sid = NULL;
	if ((subject == NULL) == (sid == NULL))
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
		                   "exactly one of subject and sid is required");
	if (subject != NULL) {
		st = store_session_list_user(app->store, subject, clock_now(&app->clock),
		                             req->arena, &sessions, &n, &req->err);
	} else {
		st = store_session_get_by_sid(app->store, sid, req->arena, &one, &req->err);
		if (st == ST_OK && one.ended_at == 0) {
			sessions = &one;
			n = 1;
		} else if (st == ST_NOT_FOUND || st == ST_OK) {
			st = ST_OK;
		}
	}
	if (st != ST_OK)
		return st;
	if (n == 0) {
		res->status = 204;
		return ST_OK;
	}
	st = logout_sessions_prepare(app, req, sessions, n, &fn, &arg);
	if (st != ST_OK)
		return st;
	log_req(LOG_INFO, req, "admin ended %zu login session(s)", n);
	return request_write(app, req, res, fn, arg, arg);
}
