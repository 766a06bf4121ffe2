/*
 * server/handle_discovery.c — GET /.well-known/openid-configuration and
 * /.well-known/oauth-authorization-server (the same document, as Hydra
 * serves it; OpenID Connect Discovery 1.0 §4, RFC 8414 §3). The document is
 * built by docs.c when keys change; this handler only copies it.
 */
#include "server/docs.h"
#include "server/handlers.h"
#include "server/oauth_error.h"

enum status
handle_discovery(const struct app *app, struct request *req, struct response *res)
{
	const char *text;
	size_t len;
	uint64_t gen;

	if (docs_copy_discovery(app, req->arena, &text, &len, &gen) != ST_OK)
		return oauth_error(res, req->arena, OAUTH_TEMPORARILY_UNAVAILABLE,
		                   "the discovery document is not ready yet");
	res->status = 200;
	res->content_type = "application/json; charset=utf-8";
	res->body = text;
	res->body_len = len;
	/* Cacheable for less than keys.publish_before_use, so a cached JWKS
	 * always holds the key that signs (config validation enforces it). */
	response_cache_public(res, app->cfg->http_cache_max_age_secs);
	response_reuse(res, RESPONSE_REUSE_DISCOVERY, gen);
	return ST_OK;
}
