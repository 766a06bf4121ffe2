/*
 * server/handlers.h — one declaration per handle_* function; each lives in
 * handle_<endpoint>.c and is wired in routes.c.
 */
#ifndef SERVER_HANDLERS_H
#define SERVER_HANDLERS_H

#include "server/router.h"

handler_fn handle_discovery;
handler_fn handle_jwks;
handler_fn handle_health_alive;
handler_fn handle_health_ready;
handler_fn handle_admin_version;
handler_fn handle_admin_keys;

#endif
