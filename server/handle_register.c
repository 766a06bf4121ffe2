/*
 * server/handle_register.c — dynamic client registration:
 *   POST /oauth2/register             RFC 7591 §3, OIDC DCR 1.0 §3 (createOidcDynamicClient)
 *   GET|PUT|DELETE /oauth2/register/{id}  RFC 7592 (get/set/deleteOidcDynamicClient)
 *
 * All four answer 404 unless registration.enabled. Management needs the
 * registration access token as a Bearer token; every failure (unknown id,
 * wrong, missing or rotated token) gives the same 401, so ids cannot be
 * probed (RFC 7592 §2: "MUST NOT ... reveal" the client's existence).
 */
#include <string.h>

#include "crypto/digest.h"
#include "server/clients.h"
#include "server/handlers.h"
#include "server/oauth_error.h"
#include "server/secrets.h"

static bool
is_enabled(const struct app *app, struct request *req, struct response *res)
{
	if (app->cfg->registration_enabled)
		return true;
	oauth_error(res, req->arena, OAUTH_NOT_FOUND,
	            "dynamic client registration is not enabled (registration.enabled)");
	return false;
}

static enum status
unauthorized(struct request *req, struct response *res, const char *description)
{
	oauth_error(res, req->arena, OAUTH_INVALID_TOKEN, description);
	response_header(res, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
	return ST_OK;
}

static enum status
reject(struct request *req, struct response *res, const struct client_problem *p)
{
	return oauth_error(res, req->arena, p->error, p->description);
}

/* RFC 7591 §3: the optional initial access token, compared through keyed hashes. */
static bool
has_initial_access(const struct app *app, const struct request *req)
{
	const char *want = app->cfg->registration_initial_access_token;
	unsigned char hash[DIGEST_SHA256_BYTES];
	const char *token;

	if (want == NULL || want[0] == '\0')
		return true;
	token = request_bearer(req);
	if (token == NULL)
		return false;
	secrets_token_hash(app->cfg, want, hash);
	return secrets_token_matches(app->cfg, token, hash);
}

/*
 * The second half of every write: the change is durable (or failed).
 * Answers with the prepared view, the problem, or the uniform 401.
 */
static enum status
written(const struct app *app, struct request *req, struct response *res, int status)
{
	const struct client_change *c = req->write_state;
	struct client_problem problem;
	enum status st = clients_outcome(c, req->write_status, &problem);

	if (st == ST_INVALID)
		return reject(req, res, &problem);
	if (st == ST_NOT_FOUND) /* deleted, or its token rotated, meanwhile */
		return unauthorized(req, res, "the registration access token is no longer valid");
	if (st != ST_OK) {
		req->err = req->write_err;
		return st;
	}
	if (c->kind == CLIENT_CHANGE_DELETE) {
		/* RFC 7592 §2.3: 204 No Content. */
		res->status = 204;
		return ST_OK;
	}
	if (c->kind == CLIENT_CHANGE_INSERT)
		/* RFC 7591 names no Location; Hydra sends one: the management URI. */
		response_header(res, "Location",
		                clients_registration_uri(app, c->row.id, req->arena));
	response_raw(res, req->arena, status, "application/json; charset=utf-8", c->view,
	             strlen(c->view));
	return ST_OK;
}

enum status
handle_register_create(const struct app *app, struct request *req, struct response *res)
{
	struct client_change *change;
	struct client_problem problem;
	struct err perr;
	json_t *in = NULL;
	enum status st;

	if (!is_enabled(app, req, res))
		return ST_OK;
	if (req->is_write_done)
		return written(app, req, res, 201);
	if (!has_initial_access(app, req))
		return unauthorized(req, res, "a valid initial access token is required");
	if (request_json(req, &in, &perr) != ST_OK)
		return oauth_error(res, req->arena, OAUTH_INVALID_CLIENT_METADATA, perr.msg);
	change = arena_alloc(req->arena, sizeof *change);
	st = clients_prepare_create(app, CLIENT_POLICY_REGISTRANT, in, req->arena, change, &problem,
	                            &req->err);
	json_decref(in);
	if (st == ST_INVALID)
		return reject(req, res, &problem);
	if (st != ST_OK)
		return st;
	req->client_id = change->row.id;
	return request_write(app, req, res, clients_apply, change, change);
}

/*
 * Loads the client named in the path and checks its registration access
 * token. On false, res holds the 401 (or *st a server failure).
 */
static bool
authenticate(const struct app *app, struct request *req, struct response *res,
             struct client_record *rec, bool wants_doc, enum status *st)
{
	static const unsigned char nothing[DIGEST_SHA256_BYTES];
	const char *token = request_bearer(req);
	const char *desc = "the client does not exist or the registration access token is invalid";

	*st = ST_OK;
	if (req->nparams != 1) {
		unauthorized(req, res, desc);
		return false;
	}
	*st = wants_doc ? clients_load(app, req->params[0], req->arena, rec, &req->err)
	                : clients_load_row(app, req->params[0], req->arena, rec, &req->err);
	if (*st == ST_NOT_FOUND) {
		*st = ST_OK;
		/* Same work as for a real client, so timing tells nothing. */
		(void)secrets_token_matches(app->cfg, token != NULL ? token : "", nothing);
		unauthorized(req, res, desc);
		return false;
	}
	if (*st != ST_OK)
		return false;
	if (token == NULL || !clients_reg_token_matches(app, rec, token)) {
		clients_record_clear(rec);
		unauthorized(req, res, desc);
		return false;
	}
	req->client_id = rec->row.id;
	return true;
}

enum status
handle_register_get(const struct app *app, struct request *req, struct response *res)
{
	struct client_record rec;
	const char *view;
	enum status st;

	if (!is_enabled(app, req, res))
		return ST_OK;
	if (!authenticate(app, req, res, &rec, false, &st))
		return st;
	view = clients_registrant_view(app, &rec.row, req->arena);
	clients_record_clear(&rec);
	if (view == NULL)
		return ERR_SET(&req->err, ST_IO, "client %s: stored metadata is not JSON",
		               rec.row.id);
	/* The view is in the request arena already: the body without response_raw's copy. */
	res->status = 200;
	res->content_type = "application/json; charset=utf-8";
	res->body = view;
	res->body_len = strlen(view);
	return ST_OK;
}

enum status
handle_register_update(const struct app *app, struct request *req, struct response *res)
{
	struct client_record rec;
	struct client_change *change;
	struct client_problem problem;
	struct err perr;
	json_t *in = NULL;
	enum status st;

	if (!is_enabled(app, req, res))
		return ST_OK;
	if (req->is_write_done)
		return written(app, req, res, 200);
	if (!authenticate(app, req, res, &rec, true, &st))
		return st;
	if (request_json(req, &in, &perr) != ST_OK) {
		clients_record_clear(&rec);
		return oauth_error(res, req->arena, OAUTH_INVALID_CLIENT_METADATA, perr.msg);
	}
	change = arena_alloc(req->arena, sizeof *change);
	st = clients_prepare_replace(app, CLIENT_POLICY_REGISTRANT, &rec, in, req->arena, change,
	                             &problem, &req->err);
	json_decref(in);
	clients_record_clear(&rec);
	if (st == ST_INVALID)
		return reject(req, res, &problem);
	if (st != ST_OK)
		return st;
	return request_write(app, req, res, clients_apply, change, change);
}

enum status
handle_register_delete(const struct app *app, struct request *req, struct response *res)
{
	struct client_record rec;
	struct client_change *change;
	enum status st;

	if (!is_enabled(app, req, res))
		return ST_OK;
	if (req->is_write_done)
		return written(app, req, res, 204);
	if (!authenticate(app, req, res, &rec, true, &st))
		return st;
	change = arena_alloc(req->arena, sizeof *change);
	clients_prepare_delete(rec.row.id, rec.row.reg_token_hash, change);
	clients_record_clear(&rec);
	return request_write(app, req, res, clients_apply, change, change);
}
