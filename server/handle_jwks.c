/*
 * server/handle_jwks.c — GET /.well-known/jwks.json: the public signing
 * keys (RFC 7517 §5): next, active and recently retired keys, each with
 * kid, kty, alg, use and key material only (hydra-behaviour §3.4).
 */
#include "server/docs.h"
#include "server/handlers.h"
#include "server/oauth_error.h"

enum status
handle_jwks(const struct app *app, struct request *req, struct response *res)
{
	const char *text;
	size_t len;
	uint64_t gen;

	if (docs_copy_jwks(app, req->arena, &text, &len, &gen) != ST_OK)
		return oauth_error(res, req->arena, OAUTH_TEMPORARILY_UNAVAILABLE,
		                   "the key set is not ready yet");
	res->status = 200;
	res->content_type = "application/json; charset=utf-8";
	res->body = text;
	res->body_len = len;
	response_cache_public(res, app->cfg->http_cache_max_age_secs);
	response_reuse(res, RESPONSE_REUSE_JWKS, gen);
	return ST_OK;
}
