/*
 * server/router.h — dispatch on (method, path) over the route table in
 * routes.c. Paths match segment by segment; "{id}" matches one non-empty
 * segment, percent-decoded into req->params. No route -> 404, a route for
 * another method -> 405 with Allow. HEAD is served by GET routes.
 */
#ifndef SERVER_ROUTER_H
#define SERVER_ROUTER_H

#include <stddef.h>

#include "common/err.h"
#include "server/app.h"
#include "server/request.h"
#include "server/response.h"

/*
 * A handler turns one complete request into one response. OAuth errors are
 * responses and return ST_OK; any other status means the server failed, and
 * the router logs req->err and sends a bare 500.
 */
typedef enum status handler_fn(const struct app *app, struct request *req, struct response *res);

enum route_flags {
	ROUTE_FORM_BODY = 1u << 0,  /* body must be application/x-www-form-urlencoded (415) */
	ROUTE_CACHEABLE = 1u << 1,  /* documentation only: the handler sets max-age itself */
	ROUTE_ADMIN_AUTH = 1u << 2, /* admin.token, when configured, is required (Bearer) */
};

struct route {
	unsigned methods; /* HTTP_* mask */
	const char *path;
	handler_fn *handler;
	unsigned flags;
};

/* The tables (routes.c). */
extern const struct route routes_public[];
extern const size_t routes_public_count;
extern const struct route routes_admin[];
extern const size_t routes_admin_count;

/*
 * Finds the route for req in table and runs its handler; fills res in every
 * case (404/405/415/500 included). Never fails.
 */
void router_dispatch(const struct app *app, const struct route *table, size_t count,
                     struct request *req, struct response *res);

/* True when some route of the table has this exact path (for the guard test). */
const struct route *router_find_path(const struct route *table, size_t count, const char *path);

#endif
