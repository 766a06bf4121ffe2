/*
 * server/handle_admin_users.c — the operators' user API (built-in user
 * store):
 *   POST /admin/users, GET /admin/users?page_size=&page_token=,
 *   GET|PUT|DELETE /admin/users/{id}
 * Bodies are users as users.h renders them, plus a write-only "password"
 * (required on POST, optional on PUT). No answer ever holds a password or
 * its hash; the request body is wiped once parsed. Writes go through the
 * group-commit writer (request_write): each handler runs twice.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/b64url.h"
#include "crypto/secret.h"
#include "server/admin_page.h"
#include "server/handlers.h"
#include "server/oauth_error.h"
#include "server/users.h"

static enum status
reject(struct request *req, struct response *res, const struct user_problem *p)
{
	return oauth_error(res, req->arena, p->error, p->description);
}

static enum status
not_found(struct request *req, struct response *res)
{
	return oauth_error(res, req->arena, OAUTH_NOT_FOUND, "the user does not exist");
}

/*
 * Parses the body into *in (new reference) and wipes the raw body: it may
 * hold a password. The parsed copy is wiped by users_forget_password.
 */
static enum status
parse_body(struct request *req, json_t **in, struct err *perr)
{
	enum status st = request_json(req, in, perr);
	union {
		const char *c;
		char *m;
	} body = {.c = req->body};

	/* The body is the request's own copy in its arena (http.c): writable. */
	if (req->body_len > 0)
		secret_wipe(body.m, req->body_len);
	return st;
}

static void
release_body(json_t *in)
{
	users_forget_password(in);
	json_decref(in);
}

/* The second half of every write: the change is durable (or failed). */
static enum status
written(struct request *req, struct response *res, int status)
{
	const struct user_change *c = req->write_state;
	struct user_problem problem;
	enum status st = users_outcome(c, req->write_status, &problem);

	if (st == ST_INVALID)
		return reject(req, res, &problem);
	if (st == ST_NOT_FOUND)
		return not_found(req, res);
	if (st != ST_OK) {
		req->err = req->write_err;
		return st;
	}
	if (c->kind == USER_CHANGE_DELETE) {
		res->status = 204;
		return ST_OK;
	}
	if (c->kind == USER_CHANGE_INSERT)
		response_header(res, "Location",
		                arena_printf(req->arena, "/admin/users/%s", c->row.id));
	response_raw(res, req->arena, status, "application/json; charset=utf-8", c->view,
	             strlen(c->view));
	return ST_OK;
}

enum status
handle_admin_users_create(const struct app *app, struct request *req, struct response *res)
{
	struct user_change *change;
	struct user_problem problem;
	struct err perr;
	json_t *in = NULL;
	enum status st;

	if (req->is_write_done)
		return written(req, res, 201);
	if (parse_body(req, &in, &perr) != ST_OK)
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, perr.msg);
	change = arena_alloc(req->arena, sizeof *change);
	st = users_prepare_create(app, in, NULL, 0, req->arena, change, &problem, &req->err);
	release_body(in);
	if (st == ST_INVALID)
		return reject(req, res, &problem);
	if (st != ST_OK)
		return st;
	return request_write(app, req, res, users_apply, change, change);
}

enum status
handle_admin_users_list(const struct app *app, struct request *req, struct response *res)
{
	struct store_user *rows = NULL;
	const char *after;
	json_t *list, *user;
	size_t n = 0, i;
	size_t size;
	int64_t total = 0;
	bool more = false;
	enum status st;

	if (!admin_page_params(req, res, &size, &after))
		return ST_OK;
	st = store_user_list(app->store, after, size, req->arena, &rows, &n, &more, &req->err);
	if (st == ST_OK)
		st = store_user_count(app->store, &total, &req->err);
	if (st != ST_OK)
		return st;

	list = json_array();
	for (i = 0; i < n; i++) {
		st = users_render(&rows[i], &user, &req->err);
		if (st != ST_OK) {
			json_decref(list);
			return st;
		}
		json_array_append_new(list, user);
	}
	admin_page_headers(req, res, "/admin/users", size, total, more,
	                   n > 0 ? rows[n - 1].username : NULL);
	response_json(res, req->arena, 200, list);
	return ST_OK;
}

enum status
handle_admin_users_get(const struct app *app, struct request *req, struct response *res)
{
	struct store_user row;
	json_t *user = NULL;
	enum status st = store_user_get(app->store, req->params[0], req->arena, &row, &req->err);

	if (st == ST_NOT_FOUND)
		return not_found(req, res);
	if (st == ST_OK)
		st = users_render(&row, &user, &req->err);
	if (st != ST_OK)
		return st;
	response_json(res, req->arena, 200, user);
	return ST_OK;
}

enum status
handle_admin_users_update(const struct app *app, struct request *req, struct response *res)
{
	struct user_change *change;
	struct user_problem problem;
	struct store_user row;
	struct err perr;
	json_t *in = NULL;
	enum status st;

	if (req->is_write_done)
		return written(req, res, 200);
	if (parse_body(req, &in, &perr) != ST_OK)
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, perr.msg);
	st = store_user_get(app->store, req->params[0], req->arena, &row, &req->err);
	if (st == ST_NOT_FOUND) {
		st = not_found(req, res);
		goto out;
	}
	if (st != ST_OK)
		goto out;
	change = arena_alloc(req->arena, sizeof *change);
	st = users_prepare_replace(app, &row, in, req->arena, change, &problem, &req->err);
	if (st == ST_INVALID)
		st = reject(req, res, &problem);
	else if (st == ST_OK)
		st = request_write(app, req, res, users_apply, change, change);
out:
	release_body(in);
	return st;
}

enum status
handle_admin_users_delete(const struct app *app, struct request *req, struct response *res)
{
	struct user_change *change;

	if (req->is_write_done)
		return written(req, res, 204);
	change = arena_alloc(req->arena, sizeof *change);
	users_prepare_delete(req->params[0], change);
	return request_write(app, req, res, users_apply, change, change);
}
