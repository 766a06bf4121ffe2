/*
 * server/request.h — one HTTP request as handlers see it, without
 * libmicrohttpd: method, path, decoded query and form, headers, body,
 * client address, the request arena and the request's struct err.
 *
 * Everything hangs off req->arena and is freed once, when the response has
 * been sent. Handlers never free.
 */
#ifndef SERVER_REQUEST_H
#define SERVER_REQUEST_H

struct app;

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"
#include "common/log.h"
#include "server/form.h"
#include "server/response.h"
#include "storage/store.h"

enum http_method {
	HTTP_GET = 1u << 0,
	HTTP_HEAD = 1u << 1,
	HTTP_POST = 1u << 2,
	HTTP_PUT = 1u << 3,
	HTTP_DELETE = 1u << 4,
	HTTP_PATCH = 1u << 5,
	HTTP_OPTIONS = 1u << 6,
	HTTP_OTHER = 1u << 7,
};

#define REQUEST_MAX_PARAMS 4

struct request_header {
	const char *name; /* as received */
	const char *value;
};

struct route;

struct request {
	struct arena *arena;
	const struct route *route; /* the route that answers (router_dispatch), or NULL */
	char id[17];               /* request id, 16 hex digits */
	enum http_method method;
	const char *method_name;
	const char *path; /* raw path without query; one trailing slash removed */
	struct form query;
	struct form form; /* decoded x-www-form-urlencoded body, when there is one */
	const char *content_type;
	const char *body; /* NUL-terminated; body_len excludes the NUL */
	size_t body_len;
	struct request_header *headers;
	size_t nheaders;
	const char *client_ip; /* socket peer, or X-Forwarded-For from a trusted proxy */
	bool is_https;         /* native TLS, or X-Forwarded-Proto https from a trusted proxy */
	bool is_admin;         /* arrived on the admin listener */
	const char *params[REQUEST_MAX_PARAMS]; /* decoded {id} path segments, in order */
	size_t nparams;
	const char *client_id; /* set by handlers once known, for the access log */
	struct err err;        /* filled when a handler returns a status other than ST_OK */

	/*
	 * A durable write handed to the storage writer (request_write). The
	 * handler runs twice: first it prepares and submits the write; after the
	 * write committed (or failed) it runs again with is_write_done set and
	 * builds the response from write_state and write_status.
	 */
	bool is_write_done;
	enum status write_status;
	struct err write_err;
	void *write_state; /* the handler's own, in the arena */
	void *flow_state;  /* headless logout (flows.c): its own writes before the logout's */
	struct store_write write;
	/* Set by http.c: submits req->write and suspends the connection until
	 * it is done. NULL (handler tests): the write runs inline. */
	void (*submit)(struct request *req);
};

/* Header value by case-insensitive name, or NULL. */
const char *request_header(const struct request *req, const char *name);
/* Query parameter, or NULL. */
const char *request_query(const struct request *req, const char *name);
/* Form body parameter, or NULL. */
const char *request_form(const struct request *req, const char *name);

/*
 * The token of an "Authorization: Bearer <token>" header (RFC 6750 §2.1;
 * scheme case-insensitive), or NULL when absent or malformed.
 */
const char *request_bearer(const struct request *req);

/*
 * Parses the body as JSON (RFC 8259) into *out (new reference): duplicate
 * member names and invalid UTF-8 are refused, nesting is bounded by
 * jansson. ST_INVALID with a printable reason in err otherwise.
 */
enum status request_json(const struct request *req, json_t **out, struct err *err);

/*
 * Hands fn(arg) to the storage writer and marks res as deferred; state is
 * kept in req->write_state for the handler's second run. Returns ST_OK: the
 * handler returns it at once.
 */
enum status request_write(const struct app *app, struct request *req, struct response *res,
                          store_write_fn *fn, void *arg, void *state);
/* request_write for an fn that changes rows with one statement at most
 * (store_write.is_one_statement): no savepoint around it. */
enum status request_write_one_statement(const struct app *app, struct request *req,
                                        struct response *res, store_write_fn *fn, void *arg,
                                        void *state);

/* Request-scoped logging: adds the request id and __func__. */
#define log_req(lvl, req, ...) log_msg((lvl), (req)->id, __func__, __VA_ARGS__)

#endif
