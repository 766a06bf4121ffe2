/*
 * server/handle_admin_clients.c — the operators' client API in Hydra's admin
 * shape (OAuth2Api: createOAuth2Client, listOAuth2Clients, getOAuth2Client,
 * setOAuth2Client, patchOAuth2Client, deleteOAuth2Client):
 *   POST /admin/clients, GET /admin/clients?page_size=&page_token=,
 *   GET|PUT|PATCH|DELETE /admin/clients/{id}
 * Admins may choose client_id and client_secret and set every field. PUT
 * and PATCH keep the client's registration access token working (unlike
 * Hydra, its issue 4093).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/b64url.h"
#include "server/admin_page.h"
#include "server/clients.h"
#include "server/handlers.h"
#include "server/json_patch.h"
#include "server/oauth_error.h"

static enum status
reject(struct request *req, struct response *res, const struct client_problem *p)
{
	return oauth_error(res, req->arena, p->error, p->description);
}

static enum status
not_found(struct request *req, struct response *res)
{
	return oauth_error(res, req->arena, OAUTH_NOT_FOUND, "the client does not exist");
}

/* The second half of every write: the change is durable (or failed). */
static enum status
written(struct request *req, struct response *res, int status)
{
	const struct client_change *c = req->write_state;
	struct client_problem problem;
	enum status st = clients_outcome(c, req->write_status, &problem);

	if (st == ST_INVALID)
		return reject(req, res, &problem);
	if (st == ST_NOT_FOUND)
		return not_found(req, res);
	if (st != ST_OK) {
		req->err = req->write_err;
		return st;
	}
	if (c->kind == CLIENT_CHANGE_DELETE) {
		res->status = 204;
		return ST_OK;
	}
	if (c->kind == CLIENT_CHANGE_INSERT)
		response_header(res, "Location",
		                arena_printf(req->arena, "/admin/clients/%s", c->row.id));
	response_raw(res, req->arena, status, "application/json; charset=utf-8", c->view,
	             strlen(c->view));
	return ST_OK;
}

enum status
handle_admin_clients_create(const struct app *app, struct request *req, struct response *res)
{
	struct client_change *change;
	struct client_problem problem;
	struct err perr;
	json_t *in = NULL;
	enum status st;

	if (req->is_write_done)
		return written(req, res, 201);
	if (request_json(req, &in, &perr) != ST_OK)
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, perr.msg);
	change = arena_alloc(req->arena, sizeof *change);
	st = clients_prepare_create(app, CLIENT_POLICY_ADMIN, in, req->arena, change, &problem,
	                            &req->err);
	json_decref(in);
	if (st == ST_INVALID)
		return reject(req, res, &problem);
	if (st != ST_OK)
		return st;
	req->client_id = change->row.id;
	return request_write(app, req, res, clients_apply, change, change);
}

enum status
handle_admin_clients_list(const struct app *app, struct request *req, struct response *res)
{
	struct store_client *rows = NULL;
	const char *after;
	json_t *list;
	size_t n = 0, i;
	size_t size;
	int64_t total = 0;
	bool more = false;
	enum status st;

	if (!admin_page_params(req, res, &size, &after))
		return ST_OK;
	st = store_client_list(app->store, after, size, req->arena, &rows, &n, &more, &req->err);
	if (st == ST_OK)
		st = store_client_count(app->store, &total, &req->err);
	if (st != ST_OK)
		return st;

	list = json_array();
	for (i = 0; i < n; i++) {
		struct client_record rec;
		json_error_t jerr;

		rec.row = rows[i];
		rec.doc = json_loads(rows[i].metadata, 0, &jerr);
		if (rec.doc == NULL) {
			json_decref(list);
			return ERR_SET(&req->err, ST_IO, "client %s: stored metadata is not JSON",
			               rows[i].id);
		}
		json_array_append_new(list,
		                      clients_render(app, &rec, CLIENT_VIEW_ADMIN, req->arena));
		clients_record_clear(&rec);
	}
	admin_page_headers(req, res, "/admin/clients", size, total, more,
	                   n > 0 ? rows[n - 1].id : NULL);
	response_json(res, req->arena, 200, list);
	return ST_OK;
}

static enum status
load(const struct app *app, struct request *req, struct client_record *rec)
{
	req->client_id = req->params[0];
	return clients_load(app, req->params[0], req->arena, rec, &req->err);
}

enum status
handle_admin_clients_get(const struct app *app, struct request *req, struct response *res)
{
	struct client_record rec;
	enum status st = load(app, req, &rec);

	if (st == ST_NOT_FOUND)
		return not_found(req, res);
	if (st != ST_OK)
		return st;
	response_json(res, req->arena, 200,
	              clients_render(app, &rec, CLIENT_VIEW_ADMIN, req->arena));
	clients_record_clear(&rec);
	return ST_OK;
}

/* PUT and PATCH end here: a full replacement with the admin policy. */
static enum status
replace(const struct app *app, struct request *req, struct response *res,
        const struct client_record *rec, const json_t *in)
{
	struct client_change *change = arena_alloc(req->arena, sizeof *change);
	struct client_problem problem;
	enum status st;

	st = clients_prepare_replace(app, CLIENT_POLICY_ADMIN, rec, in, req->arena, change,
	                             &problem, &req->err);
	if (st == ST_INVALID)
		return reject(req, res, &problem);
	if (st != ST_OK)
		return st;
	return request_write(app, req, res, clients_apply, change, change);
}

enum status
handle_admin_clients_update(const struct app *app, struct request *req, struct response *res)
{
	struct client_record rec;
	struct err perr;
	json_t *in = NULL;
	enum status st;

	if (req->is_write_done)
		return written(req, res, 200);
	if (request_json(req, &in, &perr) != ST_OK)
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, perr.msg);
	st = load(app, req, &rec);
	if (st == ST_OK)
		st = replace(app, req, res, &rec, in);
	else if (st == ST_NOT_FOUND)
		st = not_found(req, res);
	clients_record_clear(&rec);
	json_decref(in);
	return st;
}

enum status
handle_admin_clients_patch(const struct app *app, struct request *req, struct response *res)
{
	struct client_record rec;
	struct err perr;
	json_t *patch = NULL, *view = NULL, *patched = NULL;
	enum status st;

	if (req->is_write_done)
		return written(req, res, 200);
	if (request_json(req, &patch, &perr) != ST_OK)
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, perr.msg);
	st = load(app, req, &rec);
	if (st == ST_NOT_FOUND) {
		st = not_found(req, res);
		goto out;
	}
	if (st != ST_OK)
		goto out;
	/* RFC 6902 applies to the client as GET shows it; the result is a PUT. */
	view = clients_render(app, &rec, CLIENT_VIEW_ADMIN, req->arena);
	if (json_patch_apply(view, patch, &patched, &perr) != ST_OK) {
		st = oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, perr.msg);
		goto out;
	}
	st = replace(app, req, res, &rec, patched);
out:
	clients_record_clear(&rec);
	json_decref(patched);
	json_decref(view);
	json_decref(patch);
	return st;
}

enum status
handle_admin_clients_delete(const struct app *app, struct request *req, struct response *res)
{
	struct client_change *change;

	if (req->is_write_done)
		return written(req, res, 204);
	req->client_id = req->params[0];
	change = arena_alloc(req->arena, sizeof *change);
	clients_prepare_delete(req->params[0], NULL, change);
	return request_write(app, req, res, clients_apply, change, change);
}
