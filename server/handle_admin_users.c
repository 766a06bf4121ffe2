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
#include "server/handlers.h"
#include "server/oauth_error.h"
#include "server/users.h"

#define PAGE_SIZE_DEFAULT 250
#define PAGE_SIZE_MAX     500

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

/* page_token is the base64url of the last username of the previous page (opaque to clients). */
static enum status
page_after(struct request *req, const char **after)
{
	const char *token = request_query(req, "page_token");
	unsigned char *raw;
	size_t len;

	*after = NULL;
	if (token == NULL || token[0] == '\0')
		return ST_OK;
	if (b64url_decode_arena(req->arena, token, strlen(token), &raw, &len, NULL) != ST_OK ||
	    len == 0 || memchr(raw, '\0', len) != NULL)
		return ST_INVALID;
	*after = (const char *)raw;
	return ST_OK;
}

enum status
handle_admin_users_list(const struct app *app, struct request *req, struct response *res)
{
	const char *size_param = request_query(req, "page_size");
	struct store_user *rows = NULL;
	const char *after;
	json_t *list, *user;
	size_t n = 0, i;
	long size = PAGE_SIZE_DEFAULT;
	int64_t total = 0;
	bool more = false;
	enum status st;

	if (size_param != NULL) {
		char *end;

		size = strtol(size_param, &end, 10);
		if (*end != '\0' || size < 1 || size > PAGE_SIZE_MAX)
			return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
			                   "page_size must be a number in 1..500");
	}
	if (page_after(req, &after) != ST_OK)
		return oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
		                   "page_token is malformed");
	st = store_user_list(app->store, after, (size_t)size, req->arena, &rows, &n, &more,
	                     &req->err);
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
	response_header(res, "X-Total-Count", arena_printf(req->arena, "%lld", (long long)total));
	if (more && n > 0) {
		const char *last = rows[n - 1].username;
		const char *token = b64url_encode_arena(req->arena, last, strlen(last));

		/* RFC 8288 Link, as /admin/clients paginates. */
		response_header(res, "Link",
		                arena_printf(req->arena,
		                             "</admin/users?page_size=%ld&page_token=%s>; "
		                             "rel=\"next\"",
		                             size, token));
	}
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
