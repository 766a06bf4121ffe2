/*
 * server/routes.c — the whole HTTP surface of oidcd on one screen.
 *
 * To add an endpoint: write handle_x in handle_x.c, declare it in
 * handlers.h, add one row here; if the spec requires it, advertise it in
 * discovery.c (the guard test checks that every advertised URL is routed).
 */
#include "server/handlers.h"
#include "server/router.h"

#define GET_HEAD (HTTP_GET | HTTP_HEAD)

const struct route routes_public[] = {
        {GET_HEAD, "/.well-known/openid-configuration",       handle_discovery,    ROUTE_CACHEABLE},
        {GET_HEAD, "/.well-known/oauth-authorization-server", handle_discovery,    ROUTE_CACHEABLE},
        {GET_HEAD, "/.well-known/jwks.json",                  handle_jwks,         ROUTE_CACHEABLE},
        {GET_HEAD, "/health/alive",                           handle_health_alive, 0              },
        {GET_HEAD, "/health/ready",                           handle_health_ready, 0              },
};
const size_t routes_public_count = sizeof routes_public / sizeof routes_public[0];

/* Hydra's admin server also answers without the /admin prefix (hydra-behaviour §0.1); http.c adds
 * it. */
const struct route routes_admin[] = {
        {GET_HEAD, "/admin/health/alive", handle_health_alive,  0},
        {GET_HEAD, "/admin/health/ready", handle_health_ready,  0},
        {GET_HEAD, "/admin/version",      handle_admin_version, 0},
        {GET_HEAD, "/admin/keys",         handle_admin_keys,    0},
};
const size_t routes_admin_count = sizeof routes_admin / sizeof routes_admin[0];
