/*
 * server/request.c — accessors for struct request. See request.h.
 */
#include "server/request.h"

#include <string.h>
#include <strings.h>

#include "server/app.h"

const char *
request_header(const struct request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

const char *
request_query(const struct request *req, const char *name)
{
	return form_get(&req->query, name);
}

const char *
request_form(const struct request *req, const char *name)
{
	return form_get(&req->form, name);
}

const char *
request_bearer(const struct request *req)
{
	const char *h = request_header(req, "Authorization");
	const char *t;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	t = h + 7;
	while (*t == ' ')
		t++;
	/* RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
	if (*t == '\0' || strpbrk(t, " \t,\"") != NULL)
		return NULL;
	return t;
}

enum status
request_json(const struct request *req, json_t **out, struct err *err)
{
	json_error_t jerr;
	json_t *j;

	if (req->body_len == 0)
		return ERR_SET(err, ST_INVALID, "the body is empty; a JSON object is expected");
	j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return ERR_SET(err, ST_INVALID, "the body is not valid JSON (line %d, column %d)",
		               jerr.line, jerr.column);
	*out = j;
	return ST_OK;
}

static void
write_done_inline(void *cls, enum status st, const struct err *err)
{
	struct request *req = cls;

	req->write_status = st;
	if (err != NULL && st != ST_OK)
		req->write_err = *err;
	req->is_write_done = true;
}

static enum status
write_submit(const struct app *app, struct request *req, struct response *res, store_write_fn *fn,
             void *arg, void *state, bool is_one_statement)
{
	req->write_state = state;
	req->write.fn = fn;
	req->write.arg = arg;
	req->write.is_one_statement = is_one_statement;
	req->is_write_done = false;
	err_clear(&req->write_err);
	res->is_deferred = true;
	if (req->submit != NULL) {
		req->submit(req);
		return ST_OK;
	}
	/* No HTTP layer (handler tests, tools): run it now; the router then
	 * calls the handler again. */
	req->write.done = write_done_inline;
	req->write.done_cls = req;
	store_write_submit(app->store, &req->write);
	return ST_OK;
}

enum status
request_write(const struct app *app, struct request *req, struct response *res, store_write_fn *fn,
              void *arg, void *state)
{
	return write_submit(app, req, res, fn, arg, state, false);
}

enum status
request_write_one_statement(const struct app *app, struct request *req, struct response *res,
                            store_write_fn *fn, void *arg, void *state)
{
	return write_submit(app, req, res, fn, arg, state, true);
}
