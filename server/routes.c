/*
 * server/routes.c — the whole HTTP surface of oidcd on one screen.
 *
 * To add an endpoint: write handle_x in handle_x.c, declare it in
 * handlers.h, add one row here; if the spec requires it, advertise it in
 * docs.c (the guard test checks that every advertised URL is routed).
 */
#include "server/handlers.h"
#include "server/router.h"

#define GET_HEAD (HTTP_GET | HTTP_HEAD)
#define ADMIN    ROUTE_ADMIN_AUTH
#define FORM     ROUTE_FORM_BODY

/* clang-format off */
const struct route routes_public[] = {
	{GET_HEAD,    "/.well-known/openid-configuration",       handle_discovery,       ROUTE_CACHEABLE},
	{GET_HEAD,    "/.well-known/oauth-authorization-server", handle_discovery,       ROUTE_CACHEABLE},
	{GET_HEAD,    "/.well-known/jwks.json",                  handle_jwks,            ROUTE_CACHEABLE},
	{GET_HEAD,    "/health/alive",                           handle_health_alive,    0},
	{GET_HEAD,    "/health/ready",                           handle_health_ready,    0},
	{HTTP_POST,   "/oauth2/register",                        handle_register_create, 0},
	{GET_HEAD,    "/oauth2/register/{id}",                   handle_register_get,    0},
	{HTTP_PUT,    "/oauth2/register/{id}",                   handle_register_update, 0},
	{HTTP_DELETE, "/oauth2/register/{id}",                   handle_register_delete, 0},
	{GET_HEAD | HTTP_POST, "/oauth2/auth",                   handle_authorize,       FORM},
	{HTTP_POST,   "/oauth2/token",                           handle_token,           FORM},
	{HTTP_OPTIONS, "/oauth2/token",                          handle_cors_preflight,  0},
	{HTTP_POST,   "/oauth2/revoke",                          handle_revoke,          FORM},
	{HTTP_OPTIONS, "/oauth2/revoke",                         handle_cors_preflight,  0},
	{HTTP_POST,   "/oauth2/device/auth",                     handle_device_authorization, FORM},
	{GET_HEAD | HTTP_POST, "/oauth2/device/verify",          handle_device_verify,   FORM},
	{GET_HEAD | HTTP_POST, "/userinfo",                      handle_userinfo,        FORM},
	{HTTP_OPTIONS, "/userinfo",                              handle_cors_preflight,  0},
	{HTTP_POST,   "/credentials",                            handle_credentials,     0},
	{HTTP_OPTIONS, "/credentials",                           handle_cors_preflight,  0},
	{GET_HEAD,    "/ui/login",                               handle_login_page,      0},
	{HTTP_POST,   "/ui/login",                               handle_login,           FORM},
	{HTTP_POST,   "/ui/consent",                             handle_consent,         FORM},
	{GET_HEAD,    "/ui/style.css",                           handle_ui_stylesheet,   ROUTE_CACHEABLE},
	{GET_HEAD | HTTP_POST, "/oauth2/sessions/logout",        handle_logout,          FORM},
	{GET_HEAD,    "/ui/signed-out",                          handle_signed_out,      0},
};

/*
 * Hydra's admin server also answers without the /admin prefix
 * (hydra-behaviour §0.1); http.c adds it. Health stays open for probes.
 */
const struct route routes_admin[] = {
	{GET_HEAD,    "/admin/health/alive",  handle_health_alive,         0},
	{GET_HEAD,    "/admin/health/ready",  handle_health_ready,         0},
	{GET_HEAD,    "/admin/version",       handle_admin_version,        ADMIN},
	{GET_HEAD,    "/admin/metrics/prometheus", handle_admin_metrics,   ADMIN},
	{GET_HEAD,    "/admin/keys",          handle_admin_keys,           ADMIN},
	{HTTP_POST,   "/admin/clients",       handle_admin_clients_create, ADMIN},
	{GET_HEAD,    "/admin/clients",       handle_admin_clients_list,   ADMIN},
	{GET_HEAD,    "/admin/clients/{id}",  handle_admin_clients_get,    ADMIN},
	{HTTP_PUT,    "/admin/clients/{id}",  handle_admin_clients_update, ADMIN},
	{HTTP_PATCH,  "/admin/clients/{id}",  handle_admin_clients_patch,  ADMIN},
	{HTTP_DELETE, "/admin/clients/{id}",  handle_admin_clients_delete, ADMIN},
	{HTTP_POST,   "/admin/users",         handle_admin_users_create,   ADMIN},
	{GET_HEAD,    "/admin/users",         handle_admin_users_list,     ADMIN},
	{GET_HEAD,    "/admin/users/{id}",    handle_admin_users_get,      ADMIN},
	{HTTP_PUT,    "/admin/users/{id}",    handle_admin_users_update,   ADMIN},
	{HTTP_DELETE, "/admin/users/{id}",    handle_admin_users_delete,   ADMIN},
	{HTTP_POST,   "/admin/oauth2/introspect", handle_admin_introspect, ADMIN | FORM},
	{GET_HEAD,    "/admin/oauth2/auth/requests/login",          handle_admin_login_request,   ADMIN},
	{HTTP_PUT,    "/admin/oauth2/auth/requests/login/accept",   handle_admin_login_accept,    ADMIN},
	{HTTP_PUT,    "/admin/oauth2/auth/requests/login/reject",   handle_admin_login_reject,    ADMIN},
	{GET_HEAD,    "/admin/oauth2/auth/requests/consent",        handle_admin_consent_request, ADMIN},
	{HTTP_PUT,    "/admin/oauth2/auth/requests/consent/accept", handle_admin_consent_accept,  ADMIN},
	{HTTP_PUT,    "/admin/oauth2/auth/requests/consent/reject", handle_admin_consent_reject,  ADMIN},
	{GET_HEAD,    "/admin/oauth2/auth/requests/logout",         handle_admin_logout_request,  ADMIN},
	{HTTP_PUT,    "/admin/oauth2/auth/requests/logout/accept",  handle_admin_logout_accept,   ADMIN},
	{HTTP_PUT,    "/admin/oauth2/auth/requests/logout/reject",  handle_admin_logout_reject,   ADMIN},
	{GET_HEAD,    "/admin/oauth2/auth/sessions/consent", handle_admin_consent_sessions,        ADMIN},
	{HTTP_DELETE, "/admin/oauth2/auth/sessions/consent", handle_admin_consent_sessions_revoke, ADMIN},
	{HTTP_DELETE, "/admin/oauth2/auth/sessions/login",   handle_admin_login_sessions_revoke,   ADMIN},
	{GET_HEAD,    "/admin/credentials",   handle_admin_credentials_list, ADMIN},
	{GET_HEAD,    "/admin/logout/deliveries", handle_admin_logout_deliveries, ADMIN},
};
/* clang-format on */

const size_t routes_public_count = sizeof routes_public / sizeof routes_public[0];
const size_t routes_admin_count = sizeof routes_admin / sizeof routes_admin[0];
