/*
 * server/id_token.c — ID token claims (OIDC Core §2) and signed UserInfo
 * responses (§5.3.2), signed through the keyring.
 *
 * API: id_token_hash, id_token_sign, userinfo_jwt_sign.
 *
 * Invariants: the hash claims are computed for the alg that actually
 * signed: keyring_sign picks the key active at now, so the result's header
 * alg is compared with the alg the hashes were made for, and a key that
 * became active in between (a refresh adding a key whose usable_from has
 * passed) costs one retry, never a token with a wrong at_hash. Protocol
 * claims are set after the user claims, and user claims with a protocol
 * name are skipped.
 */
#include "server/id_token.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/b64url.h"
#include "crypto/digest.h"
#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "server/json_unconst.h"

/* OIDC Core §2 and §3.1.3.6: claims this module sets; extra may not supply them. */
static const char *const protocol_claims[] = {
        "iss", "sub", "aud",     "exp",    "iat", "auth_time", "nonce", "acr",
        "amr", "azp", "at_hash", "c_hash", "sid", "nbf",       "jti",
};

enum status
id_token_hash(unsigned alg, const char *value, struct arena *arena, char **out, struct err *err)
{
	unsigned char md[DIGEST_SHA512_BYTES];
	size_t half;

	switch (alg) {
	case JWS_ALG_RS256:
	case JWS_ALG_PS256:
	case JWS_ALG_ES256:
		digest_sha256(value, strlen(value), md);
		half = DIGEST_SHA256_BYTES / 2;
		break;
	case JWS_ALG_RS512:
	case JWS_ALG_PS512:
	case JWS_ALG_ES512:
	case JWS_ALG_EDDSA: /* Ed25519: SHA-512 (see server/id_token.h) */
		digest_sha512(value, strlen(value), md);
		half = DIGEST_SHA512_BYTES / 2;
		break;
	default:
		return ERR_SET(err, ST_UNSUPPORTED, "no token hash rule for alg %s",
		               jws_alg_name(alg) != NULL ? jws_alg_name(alg) : "?");
	}
	/* OIDC Core §3.1.3.6: the left-most half of the hash, base64url encoded. */
	*out = b64url_encode_arena(arena, md, half);
	return ST_OK;
}

/* The alg the keyring signs with at now, checked against the client's (0 = any). */
static enum status
signing_alg(const struct keyring *kr, int64_t now, unsigned want, unsigned *out, struct err *err)
{
	unsigned alg = keyring_signing_alg(kr, now);

	if (alg == 0)
		return ERR_SET(err, ST_NOT_FOUND, "no signing key usable yet");
	if (want != 0 && want != alg)
		return ERR_SET(err, ST_UNSUPPORTED, "the active key signs %s, not %s",
		               jws_alg_name(alg),
		               jws_alg_name(want) != NULL ? jws_alg_name(want) : "?");
	*out = alg;
	return ST_OK;
}

/*
 * Signs claims (borrowed) with header typ "JWT"; ST_CONFLICT when the key
 * that signed does not use alg (it changed since signing_alg).
 */
static enum status
sign_as(struct keyring *kr, int64_t now, unsigned alg, const json_t *claims, struct arena *arena,
        char **out, struct err *err)
{
	json_t *header = json_pack("{s:s}", "typ", "JWT");
	char *payload = NULL, *jwt = NULL;
	struct jws jws;
	enum status st;

	payload = json_dumps(claims, JSON_COMPACT);
	if (header == NULL || payload == NULL) {
		st = ERR_SET(err, ST_INVALID, "claims cannot be serialized");
		goto out;
	}
	st = keyring_sign(kr, now, header, payload, strlen(payload), arena, &jwt, err);
	if (st != ST_OK)
		goto out;
	st = jws_parse(jwt, arena, &jws, err);
	if (st != ST_OK)
		goto out;
	if (jws.alg != alg) {
		st = ERR_SET(err, ST_CONFLICT, "the signing key changed while signing");
		goto out;
	}
	*out = jwt;
out:
	free(payload);
	json_decref(header);
	return st;
}

static bool
is_protocol_claim(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof protocol_claims / sizeof protocol_claims[0]; i++)
		if (strcmp(name, protocol_claims[i]) == 0)
			return true;
	return false;
}

static bool
is_string_array(const json_t *a)
{
	size_t i;

	if (!json_is_array(a))
		return false;
	for (i = 0; i < json_array_size(a); i++)
		if (!json_is_string(json_array_get(a, i)))
			return false;
	return true;
}

static enum status
check_params(const struct id_token_params *p, int64_t iat, struct err *err)
{
	if (p->issuer == NULL || *p->issuer == '\0' || p->sub == NULL || *p->sub == '\0' ||
	    p->aud == NULL || *p->aud == '\0')
		return ERR_SET(err, ST_INVALID, "iss, sub and aud are required");
	if (p->exp <= iat)
		return ERR_SET(err, ST_INVALID, "exp must be after iat");
	if (p->amr != NULL && !is_string_array(p->amr))
		return ERR_SET(err, ST_INVALID, "amr must be an array of strings");
	/* OIDC Core §2, auth_time: REQUIRED after max_age or an essential request. */
	if (p->is_auth_time_required && p->auth_time <= 0)
		return ERR_SET(err, ST_INVALID, "auth_time is required but unknown");
	return ST_OK;
}

/*
 * Sets name to the string s unless s is NULL. ST_INVALID when s is not
 * UTF-8 (json_string refuses it, and a silently missing nonce or hash
 * would be worse than no token).
 */
static enum status
set_string(json_t *claims, const char *name, const char *s, struct err *err)
{
	json_t *v;

	if (s == NULL)
		return ST_OK;
	v = json_string(s);
	if (v == NULL)
		return ERR_SET(err, ST_INVALID, "%s is not UTF-8", name);
	json_object_set_new(claims, name, v);
	return ST_OK;
}

/* at_hash / c_hash of value for alg, unless value is NULL. */
static enum status
set_hash(json_t *claims, const char *name, unsigned alg, const char *value, struct arena *arena,
         struct err *err)
{
	char *hash;
	enum status st;

	if (value == NULL)
		return ST_OK;
	st = id_token_hash(alg, value, arena, &hash, err);
	if (st != ST_OK)
		return st;
	return set_string(claims, name, hash, err);
}

/* The claims of the ID token for alg into *out (new reference). */
static enum status
build_claims(const struct id_token_params *p, int64_t iat, unsigned alg, struct arena *arena,
             json_t **out, struct err *err)
{
	json_t *claims = json_object(), *v;
	const char *name;
	enum status st;

	json_object_foreach(json_unconst(p->extra), name, v)
	{
		if (!is_protocol_claim(name) && !json_is_null(v))
			json_object_set(claims, name, v);
	}
	json_object_set_new(claims, "exp", json_integer(p->exp));
	json_object_set_new(claims, "iat", json_integer(iat));
	if (p->auth_time > 0)
		json_object_set_new(claims, "auth_time", json_integer(p->auth_time));
	if (p->amr != NULL)
		json_object_set_new(claims, "amr", json_deep_copy(p->amr));
	if ((st = set_string(claims, "iss", p->issuer, err)) != ST_OK ||
	    (st = set_string(claims, "sub", p->sub, err)) != ST_OK ||
	    (st = set_string(claims, "aud", p->aud, err)) != ST_OK ||
	    (st = set_string(claims, "nonce", p->nonce, err)) != ST_OK ||
	    (st = set_string(claims, "acr", p->acr, err)) != ST_OK ||
	    (st = set_string(claims, "azp", p->azp, err)) != ST_OK ||
	    (st = set_string(claims, "sid", p->sid, err)) != ST_OK ||
	    /* OIDC Core §3.1.3.6 (at_hash) and §3.3.2.11 (c_hash). */
	    (st = set_hash(claims, "at_hash", alg, p->access_token, arena, err)) != ST_OK ||
	    (st = set_hash(claims, "c_hash", alg, p->code, arena, err)) != ST_OK)
		goto out;
	*out = claims;
	claims = NULL;
out:
	json_decref(claims);
	return st;
}

enum status
id_token_sign(struct keyring *kr, int64_t now, const struct id_token_params *p, struct arena *arena,
              char **jwt_out, struct err *err)
{
	int64_t iat = p->iat != 0 ? p->iat : now;
	json_t *claims = NULL;
	unsigned alg = 0;
	enum status st;
	int attempt;

	st = check_params(p, iat, err);
	if (st != ST_OK)
		return st;
	/* One retry: the active key may change between choosing the hash and signing. */
	for (attempt = 0, st = ST_CONFLICT; attempt < 2 && st == ST_CONFLICT; attempt++) {
		json_decref(claims);
		claims = NULL;
		st = signing_alg(kr, now, p->alg, &alg, err);
		if (st == ST_OK)
			st = build_claims(p, iat, alg, arena, &claims, err);
		if (st == ST_OK)
			st = sign_as(kr, now, alg, claims, arena, jwt_out, err);
	}
	json_decref(claims);
	return st;
}

enum status
userinfo_jwt_sign(struct keyring *kr, int64_t now, const char *issuer, const char *client_id,
                  unsigned alg, const json_t *claims, struct arena *arena, char **jwt_out,
                  struct err *err)
{
	json_t *doc = NULL;
	unsigned signing = 0;
	enum status st;
	int attempt;

	if (!json_is_object(claims) || !json_is_string(json_object_get(claims, "sub")))
		return ERR_SET(err, ST_INVALID, "userinfo claims need a sub");
	if (issuer == NULL || *issuer == '\0' || client_id == NULL || *client_id == '\0')
		return ERR_SET(err, ST_INVALID, "iss and aud are required");
	/* OIDC Core §5.3.2: a signed response contains iss and aud (the client_id). */
	doc = json_deep_copy(claims);
	if ((st = set_string(doc, "iss", issuer, err)) != ST_OK ||
	    (st = set_string(doc, "aud", client_id, err)) != ST_OK)
		goto out;
	for (attempt = 0, st = ST_CONFLICT; attempt < 2 && st == ST_CONFLICT; attempt++) {
		st = signing_alg(kr, now, alg, &signing, err);
		if (st == ST_OK)
			st = sign_as(kr, now, signing, doc, arena, jwt_out, err);
	}
out:
	json_decref(doc);
	return st;
}

enum status
id_token_verify_hint(const struct keyring *kr, const char *issuer, const char *jwt,
                     struct arena *arena, json_t **claims_out, struct err *err)
{
	struct jwk *key = NULL;
	json_t *jwk = NULL, *claims = NULL;
	struct jws jws;
	const char *iss;
	enum status st;

	*claims_out = NULL;
	st = jws_parse(jwt, arena, &jws, err);
	if (st != ST_OK)
		return ST_INVALID;
	if (jws.kid == NULL || (jwk = keyring_public_jwk(kr, jws.kid)) == NULL)
		return ERR_SET(err, ST_INVALID, "not signed by a key of this issuer");
	st = jwk_import_public(jwk, &key, err);
	json_decref(jwk);
	if (st != ST_OK)
		return ERR_SET(err, ST_INVALID, "not signed by a key of this issuer");
	st = jws_verify(&jws, key, JWS_ALG_ALL, err);
	jwk_free(key);
	if (st != ST_OK)
		return ERR_SET(err, ST_INVALID, "the signature does not verify");
	claims = json_loadb((const char *)jws.payload, jws.payload_len, 0, NULL);
	iss = json_string_value(json_object_get(claims, "iss"));
	if (!json_is_object(claims) || iss == NULL || strcmp(iss, issuer) != 0 ||
	    !json_is_string(json_object_get(claims, "sub"))) {
		json_decref(claims);
		return ERR_SET(err, ST_INVALID, "not an ID token of this issuer");
	}
	*claims_out = claims;
	return ST_OK;
}
