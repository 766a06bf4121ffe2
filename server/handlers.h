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

handler_fn handle_register_create;
handler_fn handle_register_get;
handler_fn handle_register_update;
handler_fn handle_register_delete;

handler_fn handle_admin_clients_create;
handler_fn handle_admin_clients_list;
handler_fn handle_admin_clients_get;
handler_fn handle_admin_clients_update;
handler_fn handle_admin_clients_patch;
handler_fn handle_admin_clients_delete;

handler_fn handle_admin_users_create;
handler_fn handle_admin_users_list;
handler_fn handle_admin_users_get;
handler_fn handle_admin_users_update;
handler_fn handle_admin_users_delete;

handler_fn handle_authorize;
handler_fn handle_login_page;
handler_fn handle_login;
handler_fn handle_consent;
handler_fn handle_ui_stylesheet;
handler_fn handle_token;
handler_fn handle_userinfo;
handler_fn handle_cors_preflight;

handler_fn handle_revoke;
handler_fn handle_device_authorization;
handler_fn handle_device_verify;
handler_fn handle_admin_metrics;
handler_fn handle_admin_login_request;
handler_fn handle_admin_login_accept;
handler_fn handle_admin_login_reject;
handler_fn handle_admin_consent_request;
handler_fn handle_admin_consent_accept;
handler_fn handle_admin_consent_reject;
handler_fn handle_admin_consent_sessions;
handler_fn handle_admin_consent_sessions_revoke;
handler_fn handle_admin_login_sessions_revoke;
handler_fn handle_admin_logout_request;
handler_fn handle_admin_logout_accept;
handler_fn handle_admin_logout_reject;

/*
 * Ends sessions[0..n) as logouts do (tokens revoked per logout.revoke_tokens,
 * back-channel logout tokens queued in the same write): *fn and *arg for
 * request_write; kick app->logout_worker once it is written.
 * (handle_logout.c; for DELETE /admin/oauth2/auth/sessions/login.)
 */
enum status logout_sessions_prepare(const struct app *app, struct request *req,
                                    const struct store_session *sessions, size_t n,
                                    store_write_fn **fn, void **arg);
handler_fn handle_admin_introspect;

handler_fn handle_credentials;
handler_fn handle_admin_credentials_list;
handler_fn handle_logout;
handler_fn handle_signed_out;
handler_fn handle_admin_logout_deliveries;

#endif
