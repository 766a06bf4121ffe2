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
	struct buf b = {0}, extra = {0};
	int64_t pending = 0, failed = 0;
	char *text;

	/* Gauges read now: the back-channel logout outbox (a failed read shows as -1). */
	if (store_logout_delivery_counts(app->store, &pending, &failed, &req->err) != ST_OK)
		pending = failed = -1;
	buf_printf(&extra,
	           "# HELP oidcd_backchannel_logout_deliveries Back-channel logout tokens in the "
	           "outbox, by state.\n# TYPE oidcd_backchannel_logout_deliveries gauge\n"
	           "oidcd_backchannel_logout_deliveries{state=\"pending\"} %lld\n"
	           "oidcd_backchannel_logout_deliveries{state=\"failed\"} %lld\n",
	           (long long)pending, (long long)failed);
	metrics_render(&b, app->version, store_error_count(), extra.data);
	buf_free(&extra);
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
