/*
 * server/docs.c — discovery document and JWKS, cached. See docs.h.
 *
 * Discovery follows OpenID Connect Discovery 1.0 §3 and RFC 8414 §2 within
 * Hydra's oidcConfiguration schema (hydra-behaviour §3.2, §3.4): its Go SDK
 * rejects unknown members, so no field outside that schema is emitted. To
 * advertise a new capability, add it here in the same commit as the route
 * and its tests.
 */
#include "server/docs.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "crypto/jwk.h"
#include "server/credentials.h"
#include "server/router.h"

void
docs_init(struct app_docs *docs)
{
	memset(docs, 0, sizeof *docs);
	pthread_rwlock_init(&docs->lock, NULL);
}

void
docs_free(struct app_docs *docs)
{
	free(docs->discovery);
	free(docs->jwks);
	free(docs->fingerprint);
	pthread_rwlock_destroy(&docs->lock);
	memset(docs, 0, sizeof *docs);
}

static json_t *
url(const struct app *app, const char *path)
{
	return json_sprintf("%s%s", app->issuer, path);
}

/* Adds "<field>": <issuer><path> when the route exists (the truth rule). */
static void
endpoint_if_routed(json_t *doc, const struct app *app, const char *field, const char *path)
{
	if (router_find_path(routes_public, routes_public_count, path) != NULL)
		json_object_set_new(doc, field, url(app, path));
}

/* OIDC Core §2 and §5.1: every claim an ID token or /userinfo may carry (no acr: the
 * built-in login asserts no authentication context class). */
static json_t *
claims_supported(void)
{
	static const char *const names[] = {
	        "sub",
	        "iss",
	        "aud",
	        "exp",
	        "iat",
	        "auth_time",
	        "nonce",

	        "amr",
	        "azp",
	        "sid",
	        "at_hash",
	        "name",
	        "given_name",
	        "family_name",
	        "middle_name",
	        "nickname",
	        "preferred_username",
	        "profile",
	        "picture",
	        "website",
	        "email",
	        "email_verified",
	        "gender",
	        "birthdate",
	        "zoneinfo",
	        "locale",
	        "phone_number",
	        "phone_number_verified",
	        "address",
	        "updated_at",
	};
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

json_t *
docs_discovery(const struct app *app)
{
	int64_t now = clock_now(&app->clock);
	const char *alg = jws_alg_name(keyring_signing_alg(app->keyring, now));
	json_t *doc = json_object();

	if (alg == NULL)
		alg = config_alg_name(app->cfg->keys_algorithm);

	/* The ten members Hydra's schema requires (hydra-behaviour §3.2). The
	 * authorization, device and token endpoints are required there even
	 * before oidcd routes them. */
	json_object_set_new(doc, "issuer", json_string(app->issuer));
	json_object_set_new(doc, "authorization_endpoint", url(app, "/oauth2/auth"));
	json_object_set_new(doc, "device_authorization_endpoint", url(app, "/oauth2/device/auth"));
	json_object_set_new(doc, "token_endpoint", url(app, "/oauth2/token"));
	json_object_set_new(doc, "jwks_uri", url(app, "/.well-known/jwks.json"));
	json_object_set_new(doc, "subject_types_supported",
	                    json_pack("[ss]", "public", "pairwise"));
	json_object_set_new(doc, "response_types_supported",
	                    json_pack("[ssssss]", "code", "id_token", "id_token token",
	                              "code id_token", "code token", "code id_token token"));
	json_object_set_new(doc, "id_token_signing_alg_values_supported", json_pack("[s]", alg));
	/* Array-typed, non-standard names: Hydra's SDK requires them (§3.2). */
	json_object_set_new(doc, "id_token_signed_response_alg", json_pack("[s]", alg));
	json_object_set_new(doc, "userinfo_signed_response_alg", json_pack("[s]", alg));

	/* Optional endpoints: only what is routed (every advertised value works). */
	if (app->cfg->registration_enabled)
		endpoint_if_routed(doc, app, "registration_endpoint", "/oauth2/register");
	endpoint_if_routed(doc, app, "userinfo_endpoint", "/userinfo");
	endpoint_if_routed(doc, app, "revocation_endpoint", "/oauth2/revoke");
	endpoint_if_routed(doc, app, "end_session_endpoint", "/oauth2/sessions/logout");
	endpoint_if_routed(doc, app, "credentials_endpoint_draft_00", "/credentials");
	if (router_find_path(routes_public, routes_public_count, "/credentials") != NULL)
		json_object_set_new(doc, "credentials_supported_draft_00", credentials_supported());

	/* What the authorization and token endpoints do (OIDC Discovery §3). */
	json_object_set_new(doc, "response_modes_supported",
	                    json_pack("[sss]", "query", "fragment", "form_post"));
	json_object_set_new(doc, "grant_types_supported",
	                    json_pack("[sssss]", "authorization_code", "implicit", "refresh_token",
	                              "client_credentials",
	                              "urn:ietf:params:oauth:grant-type:device_code"));
	json_object_set_new(doc, "token_endpoint_auth_methods_supported",
	                    json_pack("[ssss]", "client_secret_basic", "client_secret_post",
	                              "private_key_jwt", "none"));
	json_object_set_new(doc, "code_challenge_methods_supported", json_pack("[s]", "S256"));
	json_object_set_new(doc, "scopes_supported",
	                    json_pack("[sssssss]", "openid", "offline_access", "offline", "profile",
	                              "email", "address", "phone"));
	json_object_set_new(doc, "claims_supported", claims_supported());
	json_object_set_new(doc, "userinfo_signing_alg_values_supported", json_pack("[s]", alg));
	json_object_set_new(doc, "claims_parameter_supported", json_true());

	/* OIDC Core §6: request objects by value and by (registered) reference. */
	json_object_set_new(doc, "request_parameter_supported", json_true());
	json_object_set_new(doc, "request_uri_parameter_supported", json_true());
	json_object_set_new(doc, "require_request_uri_registration", json_true());
	json_object_set_new(doc, "request_object_signing_alg_values_supported",
	                    json_pack("[sssssssssss]", "none", "RS256", "RS384", "RS512", "PS256",
	                              "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"));
	/* Front-Channel Logout §3, Back-Channel Logout §2.1: handle_logout.c
	 * sends iss and sid on both channels. */
	json_object_set_new(doc, "frontchannel_logout_supported", json_true());
	json_object_set_new(doc, "frontchannel_logout_session_supported", json_true());
	json_object_set_new(doc, "backchannel_logout_supported", json_true());
	json_object_set_new(doc, "backchannel_logout_session_supported", json_true());
	return doc;
}

static char *
fingerprint(const struct app *app)
{
	struct keyring_key_info info[64];
	int64_t now = clock_now(&app->clock);
	size_t n = keyring_list(app->keyring, now, info, sizeof info / sizeof info[0]), i;
	struct buf b = {0};

	if (n > sizeof info / sizeof info[0])
		n = sizeof info / sizeof info[0];
	buf_puts(&b, app->issuer);
	for (i = 0; i < n; i++)
		buf_printf(&b, " %s:%d", info[i].kid, (int)info[i].status);
	return buf_steal(&b);
}

enum status
docs_refresh(struct app *app, bool force, bool *changed, struct err *err)
{
	struct app_docs *docs = app->docs;
	char *fp = fingerprint(app);
	char *disc = NULL, *jwks = NULL;
	json_t *doc;
	bool same;

	pthread_rwlock_rdlock(&docs->lock);
	same = docs->fingerprint != NULL && strcmp(docs->fingerprint, fp) == 0;
	pthread_rwlock_unlock(&docs->lock);
	if (changed != NULL)
		*changed = false;
	if (same && !force) {
		free(fp);
		return ST_OK;
	}

	doc = docs_discovery(app);
	disc = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	doc = keyring_jwks(app->keyring, clock_now(&app->clock));
	jwks = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (disc == NULL || jwks == NULL) {
		free(disc);
		free(jwks);
		free(fp);
		return ERR_SET(err, ST_INVALID, "cannot serialise the discovery document or JWKS");
	}

	pthread_rwlock_wrlock(&docs->lock);
	free(docs->discovery);
	free(docs->jwks);
	free(docs->fingerprint);
	docs->discovery = disc;
	docs->discovery_len = strlen(disc);
	docs->jwks = jwks;
	docs->jwks_len = strlen(jwks);
	docs->fingerprint = fp;
	docs->generation++;
	pthread_rwlock_unlock(&docs->lock);
	if (changed != NULL)
		*changed = true;
	return ST_OK;
}

static enum status
copy(const struct app *app, bool is_jwks, struct arena *arena, const char **out, size_t *len_out,
     uint64_t *gen_out)
{
	struct app_docs *docs = app->docs;
	const char *text;
	size_t len;
	enum status st = ST_NOT_FOUND;

	pthread_rwlock_rdlock(&docs->lock);
	text = is_jwks ? docs->jwks : docs->discovery;
	len = is_jwks ? docs->jwks_len : docs->discovery_len;
	if (text != NULL) {
		*out = arena_memdup(arena, text, len + 1);
		*len_out = len;
		*gen_out = docs->generation;
		st = ST_OK;
	}
	pthread_rwlock_unlock(&docs->lock);
	return st;
}

enum status
docs_copy_discovery(const struct app *app, struct arena *arena, const char **out, size_t *len_out,
                    uint64_t *gen_out)
{
	return copy(app, false, arena, out, len_out, gen_out);
}

enum status
docs_copy_jwks(const struct app *app, struct arena *arena, const char **out, size_t *len_out,
               uint64_t *gen_out)
{
	return copy(app, true, arena, out, len_out, gen_out);
}
