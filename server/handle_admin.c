/*
 * server/handle_admin.c — admin listener basics: GET /admin/version
 * (Hydra's getVersion shape) and GET /admin/keys (every signing key's
 * public JWK with its lifecycle: next, active, retired).
 */
#include "crypto/jwk.h"
#include "server/handlers.h"
#include "server/metrics.h"
#include "server/oauth_error.h"

enum status
handle_admin_version(const struct app *app, struct request *req, struct response *res)
{
	response_json(res, req->arena, 200, json_pack("{s:s}", "version", app->version));
	return ST_OK;
}

/* GET /admin/metrics/prometheus: the text exposition format 0.0.4 (server/metrics.h). */
enum status
handle_admin_metrics(const struct app *app, struct request *req, struct response *res)
{
	struct buf b = {0};
	char *text;

	metrics_render(&b, app->version, store_error_count(), NULL);
	text = arena_memdup(req->arena, b.data != NULL ? b.data : "", b.len + 1);
	response_raw(res, req->arena, 200, "text/plain; version=0.0.4; charset=utf-8", text, b.len);
	buf_free(&b);
	return ST_OK;
}

enum status
handle_admin_keys(const struct app *app, struct request *req, struct response *res)
{
	struct keyring_key_info info[64];
	int64_t now = clock_now(&app->clock);
	size_t n = keyring_list(app->keyring, now, info, sizeof info / sizeof info[0]), i;
	json_t *keys = json_array();

	if (n > sizeof info / sizeof info[0])
		n = sizeof info / sizeof info[0];
	for (i = 0; i < n; i++) {
		json_t *jwk;

		if (info[i].status == KEYRING_EXPIRED)
			continue;
		jwk = keyring_public_jwk(app->keyring, info[i].kid);
		if (jwk == NULL)
			continue;
		json_object_set_new(jwk, "status", json_string(keyring_status_str(info[i].status)));
		json_object_set_new(jwk, "created_at", json_integer(info[i].created_at));
		json_object_set_new(jwk, "usable_from", json_integer(info[i].usable_from));
		if (info[i].published_until > 0)
			json_object_set_new(jwk, "published_until",
			                    json_integer(info[i].published_until));
		json_array_append_new(keys, jwk);
	}
	response_json(res, req->arena, 200, json_pack("{s:o}", "keys", keys));
	return ST_OK;
}
