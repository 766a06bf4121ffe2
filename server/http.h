/*
 * server/http.h — the HTTP listeners. server/http.c is the ONLY file that
 * includes microhttpd.h: it owns the daemons, body limits, request ids, the
 * translation of struct response and the access log.
 *
 * Lifecycle: http_bind() binds the public listener and, unless disabled, the
 * admin listener; http_serve() starts the daemons on them; http_shutdown() stops accepting, waits
 * up to a deadline for in-flight requests, and stops the daemons.
 */
#ifndef SERVER_HTTP_H
#define SERVER_HTTP_H

#include <stddef.h>

#include "common/err.h"
#include "server/app.h"

struct http_server;

/*
 * Binds the listeners of cfg ("host:port" or "[v6]:port"; port 0 picks a
 * free port) without serving yet, so main() can learn the bound ports
 * (the --dev issuer) before the first request. ST_IO names the address.
 */
enum status http_bind(const struct config *cfg, struct http_server **out, struct err *err);

/* Starts serving on the bound sockets. app must outlive the server. */
enum status http_serve(struct http_server *srv, const struct app *app, struct err *err);

/* "host:port" actually bound (port resolved when 0 was asked); "" for a disabled admin. */
const char *http_public_addr(const struct http_server *srv);
const char *http_admin_addr(const struct http_server *srv);
/* The bound public port. */
unsigned http_public_port(const struct http_server *srv);

/*
 * Stops accepting connections, lets in-flight requests finish for up to
 * grace_ms, then stops the daemons and frees srv. NULL is a no-op.
 */
void http_shutdown(struct http_server *srv, unsigned grace_ms);

#endif
