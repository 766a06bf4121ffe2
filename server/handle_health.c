/*
 * server/handle_health.c — liveness and readiness, on both listeners
 * (hydra-behaviour §9): alive answers while the process serves HTTP; ready
 * also needs the database (this worker's connection answers a query) and a
 * signing key.
 */
#include "server/handlers.h"
#include "server/oauth_error.h"

enum status
handle_health_alive(const struct app *app, struct request *req, struct response *res)
{
	(void)app;
	response_json(res, req->arena, 200, json_pack("{s:s}", "status", "ok"));
	return ST_OK;
}

enum status
handle_health_ready(const struct app *app, struct request *req, struct response *res)
{
	struct err err;
	json_t *body;

	if (store_ping(app->store, &err) != ST_OK) {
		log_req(LOG_WARN, req, "not ready: database: %s", err.msg);
		/* Hydra's healthNotReadyStatus shape plus our usual error members;
		 * the database's message stays in the log. */
		body = json_pack("{s:s, s:s, s:{s:s}}", "error", "temporarily_unavailable",
		                 "error_description", "the database is not reachable", "errors",
		                 "database", "unavailable");
		response_json(res, req->arena, 503, body);
		return ST_OK;
	}
	if (!keyring_can_sign(app->keyring, clock_now(&app->clock))) {
		body = json_pack("{s:s, s:s, s:{s:s}}", "error", "temporarily_unavailable",
		                 "error_description", "no signing key is usable", "errors", "keys",
		                 "unavailable");
		response_json(res, req->arena, 503, body);
		return ST_OK;
	}
	response_json(res, req->arena, 200, json_pack("{s:s}", "status", "ok"));
	return ST_OK;
}
