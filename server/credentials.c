/*
 * server/credentials.c — nonces, the credential JWT and the discovery
 * member of verifiable credentials. See credentials.h.
 *
 * API: credentials_scope_granted, credentials_nonce_new,
 * credentials_nonce_hash, credentials_nonce_members, credentials_sign,
 * credentials_supported.
 *
 * Invariants: a nonce value leaves this file only toward the response
 * body; storage sees its keyed hash (secrets.h), like codes and tokens.
 * The credential's protocol claims are set after the user claims, so a
 * user claim can never replace id or sub in credentialSubject.
 */
#include "server/credentials.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/jwk.h"
#include "crypto/keyring.h"
#include "crypto/random.h"
#include "server/claims.h"
#include "server/credential_request.h"
#include "server/secrets.h"

/* W3C Verifiable Credentials Data Model 1.1 §4.1. */
#define VC_CONTEXT "https://www.w3.org/2018/credentials/v1"

bool
credentials_scope_granted(const char *scope)
{
	return claims_scope_has(scope, "openid") && claims_scope_has(scope, CREDENTIALS_SCOPE);
}

void
credentials_nonce_hash(const struct app *app, const char *nonce, unsigned char out[STORE_HASH_LEN])
{
	secrets_token_hash(app->cfg, nonce, out);
}

enum status
credentials_nonce_new(const struct app *app, int64_t now, struct arena *arena,
                      struct credentials_nonce *out, struct err *err)
{
	enum status st;

	st = random_token("", arena, &out->value, err);
	if (st != ST_OK)
		return st;
	credentials_nonce_hash(app, out->value, out->hash);
	out->expires_at = now + app->cfg->ttl_vc_nonce_secs;
	return ST_OK;
}

void
credentials_nonce_members(const struct app *app, json_t *body, const char *nonce, bool also_plain)
{
	json_int_t ttl = (json_int_t)app->cfg->ttl_vc_nonce_secs;

	json_object_set_new(body, "c_nonce_draft_00", json_string(nonce));
	json_object_set_new(body, "c_nonce_expires_in_draft_00", json_integer(ttl));
	if (also_plain) {
		json_object_set_new(body, "c_nonce", json_string(nonce));
		json_object_set_new(body, "c_nonce_expires_in", json_integer(ttl));
	}
}

static json_t *
types_array(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof credential_types / sizeof credential_types[0]; i++)
		json_array_append_new(a, json_string(credential_types[i]));
	return a;
}

enum status
credentials_sign(const struct app *app, const struct credentials_vc *vc, struct arena *arena,
                 char **jwt_out, struct err *err)
{
	json_t *subject = json_deep_copy(vc->claims), *doc, *header;
	char *payload;
	enum status st;

	if (!json_is_object(subject)) {
		json_decref(subject);
		subject = json_object();
	}
	json_object_set_new(subject, "id", json_string(vc->did));
	json_object_set_new(subject, "sub", json_string(vc->subject));
	doc = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:{s:[s], s:o, s:o}}", "iss", app->issuer,
	                "sub", vc->did, "iat", (json_int_t)vc->iat, "nbf", (json_int_t)vc->iat,
	                "exp", (json_int_t)vc->exp, "jti", vc->jti, "vc", "@context", VC_CONTEXT,
	                "type", types_array(), "credentialSubject", subject);
	if (doc == NULL)
		return ERR_SET(err, ST_INVALID, "credential claims cannot be built");
	payload = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (payload == NULL)
		return ERR_SET(err, ST_INVALID, "credential claims cannot be serialised");
	header = json_pack("{s:s}", "typ", "JWT");
	st = keyring_sign(app->keyring, vc->iat, header, payload, strlen(payload), arena, jwt_out,
	                  err);
	json_decref(header);
	free(payload);
	return st;
}

json_t *
credentials_supported(void)
{
	json_t *suites = json_array();

	/* Exactly the algorithms a proof may use (credential_request.h). */
	for (unsigned bit = 1; bit != 0 && bit <= CREDENTIAL_PROOF_ALGS; bit <<= 1)
		if ((bit & CREDENTIAL_PROOF_ALGS) != 0 && jws_alg_name(bit) != NULL)
			json_array_append_new(suites, json_string(jws_alg_name(bit)));
	return json_pack("[{s:s, s:o, s:[s], s:o}]", "format", CREDENTIAL_FORMAT, "types",
	                 types_array(), "cryptographic_binding_methods_supported", "jwk",
	                 "cryptographic_suites_supported", suites);
}
