/*
 * server/credential_request.c — the POST /credentials body and its proof
 * JWT. See credential_request.h.
 *
 * API: credential_request_parse, credential_proof_parse,
 * credential_proof_check_claims, credential_proof_clear.
 *
 * Invariants:
 *   - pure: no I/O, no clock;
 *   - the proof key comes only from the proof's own "jwk" header and is
 *     public (crypto/jwk.c refuses private members); jku, x5u and kid are
 *     never followed (RFC 8725 §3.10);
 *   - the algorithm is the intersection of CREDENTIAL_PROOF_ALGS, what the
 *     key type can verify and the key's own alg: the header alone decides
 *     nothing (RFC 8725 §3.1);
 *   - error texts name the member, never echo its value.
 */
#include "server/credential_request.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/b64url.h"
#include "crypto/jwk.h"

/* NumericDates beyond this (year ~33658) are refused rather than converted. */
#define NUMERIC_DATE_MAX 1e12

const char *const credential_types[2] = {"VerifiableCredential", "UserInfoCredential"};

/* A JSON string without NUL bytes inside. */
static bool
is_plain_string(const json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

static enum credential_problem
problem(struct err *err, enum credential_problem p, const char *why)
{
	ERR_SET(err, ST_INVALID, "%s", why);
	return p;
}

static bool
is_known_type(const char *name)
{
	for (size_t i = 0; i < sizeof credential_types / sizeof credential_types[0]; i++)
		if (strcmp(name, credential_types[i]) == 0)
			return true;
	return false;
}

/* "types" (optional): a non-empty array of strings, each one we issue. */
static enum credential_problem
check_types(const json_t *types, struct err *err)
{
	const json_t *v;
	size_t i;

	if (types == NULL)
		return CREDENTIAL_OK;
	if (!json_is_array(types) || json_array_size(types) == 0 ||
	    json_array_size(types) > CREDENTIAL_LIST_MAX)
		return problem(err, CREDENTIAL_INVALID_REQUEST,
		               "types must be a non-empty array of strings");
	json_array_foreach(types, i, v)
	{
		if (!is_plain_string(v))
			return problem(err, CREDENTIAL_INVALID_REQUEST,
			               "types must be a non-empty array of strings");
		if (!is_known_type(json_string_value(v)))
			return problem(
			        err, CREDENTIAL_UNSUPPORTED_TYPE,
			        "only VerifiableCredential and UserInfoCredential are issued");
	}
	return CREDENTIAL_OK;
}

static enum credential_problem
read_request(const json_t *root, struct arena *arena, struct credential_request *out,
             struct err *err)
{
	const json_t *format = json_object_get(root, "format"), *proof, *v;
	enum credential_problem p;

	if (format == NULL)
		return problem(err, CREDENTIAL_INVALID_REQUEST, "format is required");
	if (!is_plain_string(format))
		return problem(err, CREDENTIAL_INVALID_REQUEST, "format must be a string");
	if (strcmp(json_string_value(format), CREDENTIAL_FORMAT) != 0)
		return problem(err, CREDENTIAL_UNSUPPORTED_FORMAT,
		               "only the format " CREDENTIAL_FORMAT " is issued");
	out->format = CREDENTIAL_FORMAT;
	p = check_types(json_object_get(root, "types"), err);
	if (p != CREDENTIAL_OK)
		return p;
	proof = json_object_get(root, "proof");
	if (proof == NULL || json_is_null(proof))
		return problem(err, CREDENTIAL_MISSING_PROOF,
		               "a proof of possession of the key to bind is required");
	if (!json_is_object(proof))
		return problem(err, CREDENTIAL_INVALID_REQUEST, "proof must be an object");
	v = json_object_get(proof, "proof_type");
	if (!is_plain_string(v) || strcmp(json_string_value(v), CREDENTIAL_PROOF_TYPE) != 0)
		return problem(err, CREDENTIAL_INVALID_PROOF,
		               "proof.proof_type must be " CREDENTIAL_PROOF_TYPE);
	out->proof_type = CREDENTIAL_PROOF_TYPE;
	v = json_object_get(proof, "jwt");
	if (!is_plain_string(v) || json_string_length(v) == 0)
		return problem(err, CREDENTIAL_INVALID_PROOF,
		               "proof.jwt must be a non-empty string");
	out->proof_jwt = arena_strdup(arena, json_string_value(v));
	return CREDENTIAL_OK;
}

enum credential_problem
credential_request_parse(const char *body, size_t len, struct arena *arena,
                         struct credential_request *out, struct err *err)
{
	json_t *root;
	enum credential_problem p;

	memset(out, 0, sizeof *out);
	if (body == NULL || len == 0)
		return problem(err, CREDENTIAL_INVALID_REQUEST,
		               "the body is empty; a JSON object is expected");
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return problem(err, CREDENTIAL_INVALID_REQUEST, "the body is not a JSON object");
	}
	p = read_request(root, arena, out, err);
	json_decref(root);
	return p;
}

/*
 * The public members of jwk that identify the key (RFC 7638 §3.2: the
 * required members of its kty), sorted and compact: what did:jwk encodes,
 * so one key always gives one did whatever else its JWK carried.
 */
static const char *
key_json(const json_t *jwk, struct arena *arena)
{
	static const char *const rsa[] = {"e", "kty", "n", NULL},
	                         *const ec[] = {"crv", "kty", "x", "y", NULL},
	                         *const okp[] = {"crv", "kty", "x", NULL};
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *const *names = strcmp(kty, "RSA") == 0  ? rsa
	                           : strcmp(kty, "EC") == 0 ? ec
	                                                    : okp;
	json_t *out = json_object();
	char *text;
	const char *copy;

	for (size_t i = 0; names[i] != NULL; i++)
		json_object_set(out, names[i], json_object_get(jwk, names[i]));
	text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(out);
	if (text == NULL)
		return NULL;
	copy = arena_strdup(arena, text);
	free(text);
	return copy;
}

/* The "jwk" header member as a public key that can verify the header's alg. */
static enum status
header_key(const json_t *header, struct arena *arena, struct credential_proof *out, struct err *err)
{
	const json_t *jwk = json_object_get(header, "jwk"), *typ = json_object_get(header, "typ");
	char why[sizeof err->msg];
	enum status st;

	if (typ != NULL &&
	    (!is_plain_string(typ) || strcmp(json_string_value(typ), CREDENTIAL_PROOF_TYP) != 0))
		return ERR_SET(err, ST_INVALID, "proof: typ must be " CREDENTIAL_PROOF_TYP);
	if (!json_is_object(jwk))
		return ERR_SET(err, ST_INVALID, "proof: the header has no jwk object");
	st = jwk_import_public(jwk, &out->key, err);
	if (st != ST_OK) {
		snprintf(why, sizeof why, "%s", err->msg);
		return ERR_SET(err, ST_INVALID, "proof: the header jwk is not usable (%.100s)",
		               why);
	}
	if ((jwk_compatible_algs(out->key) & out->jws.alg) == 0 ||
	    (jwk_alg(out->key) != 0 && jwk_alg(out->key) != out->jws.alg))
		return ERR_SET(err, ST_INVALID, "proof: alg does not fit the header jwk");
	st = jwk_thumbprint(out->key, out->thumbprint, err);
	if (st != ST_OK)
		return ERR_SET(err, ST_INVALID, "proof: no thumbprint for the header jwk");
	out->key_json = key_json(jwk, arena);
	if (out->key_json == NULL)
		return ERR_SET(err, ST_INVALID, "proof: the header jwk cannot be serialised");
	out->did = arena_printf(arena, "did:jwk:%s",
	                        b64url_encode_arena(arena, out->key_json, strlen(out->key_json)));
	return ST_OK;
}

/* aud (optional): a string or an array of strings (RFC 7519 §4.1.3). */
static enum status
audiences(const json_t *v, struct arena *arena, struct credential_proof *out, struct err *err)
{
	const char **list;
	size_t i, n;

	if (v == NULL)
		return ST_OK;
	if (is_plain_string(v)) {
		list = arena_alloc(arena, sizeof *list);
		list[0] = arena_strdup(arena, json_string_value(v));
		n = 1;
	} else if (json_is_array(v) && json_array_size(v) >= 1 &&
	           json_array_size(v) <= CREDENTIAL_LIST_MAX) {
		n = json_array_size(v);
		list = arena_alloc(arena, n * sizeof *list);
		for (i = 0; i < n; i++) {
			if (!is_plain_string(json_array_get(v, i)))
				return ERR_SET(err, ST_INVALID,
				               "proof: aud must hold strings only");
			list[i] = arena_strdup(arena, json_string_value(json_array_get(v, i)));
		}
	} else {
		return ERR_SET(err, ST_INVALID, "proof: aud must be a string or 1 to %d strings",
		               CREDENTIAL_LIST_MAX);
	}
	out->aud = list;
	out->aud_count = n;
	return ST_OK;
}

static enum status
read_claims(const json_t *claims, struct arena *arena, struct credential_proof *out,
            struct err *err)
{
	const json_t *nonce = json_object_get(claims, "nonce"),
	             *iat = json_object_get(claims, "iat");
	enum status st;
	double d;

	if (!is_plain_string(nonce) || json_string_length(nonce) == 0 ||
	    json_string_length(nonce) > CREDENTIAL_NONCE_MAX)
		return ERR_SET(err, ST_INVALID, "proof: nonce must be a string of 1 to %d bytes",
		               CREDENTIAL_NONCE_MAX);
	out->nonce = arena_strdup(arena, json_string_value(nonce));
	st = audiences(json_object_get(claims, "aud"), arena, out, err);
	if (st != ST_OK)
		return st;
	if (iat != NULL) {
		if (!json_is_number(iat))
			return ERR_SET(err, ST_INVALID, "proof: iat must be a number");
		d = json_number_value(iat);
		if (!(d >= 0 && d <= NUMERIC_DATE_MAX))
			return ERR_SET(err, ST_INVALID, "proof: iat is out of range");
		out->iat = (int64_t)d; /* truncation: d >= 0 */
		out->has_iat = true;
	}
	return ST_OK;
}

enum status
credential_proof_parse(const char *compact, struct arena *arena, struct credential_proof *out,
                       struct err *err)
{
	json_t *header = NULL, *claims = NULL;
	char why[sizeof err->msg];
	enum status st;

	memset(out, 0, sizeof *out);
	st = jws_parse(compact, arena, &out->jws, err);
	if (st != ST_OK) {
		snprintf(why, sizeof why, "%s", err->msg);
		return ERR_SET(err, ST_INVALID, "proof: not a compact JWS (%.100s)", why);
	}
	/* RFC 8725 §3.1: an algorithm we verify, so never none or HS*. */
	if ((out->jws.alg & CREDENTIAL_PROOF_ALGS) == 0)
		return ERR_SET(err, ST_INVALID, "proof: alg is not an accepted algorithm");
	header = json_loads(out->jws.header_json, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(header)) {
		st = ERR_SET(err, ST_INVALID, "proof: the header is not a JSON object");
		goto out;
	}
	st = header_key(header, arena, out, err);
	if (st != ST_OK)
		goto out;
	st = jws_verify(&out->jws, out->key, CREDENTIAL_PROOF_ALGS, err);
	if (st != ST_OK) {
		st = ERR_SET(err, ST_INVALID, "proof: the signature does not verify with its jwk");
		goto out;
	}
	claims = json_loadb((const char *)out->jws.payload, out->jws.payload_len,
	                    JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(claims)) {
		st = ERR_SET(err, ST_INVALID, "proof: the payload is not a JSON object");
		goto out;
	}
	st = read_claims(claims, arena, out, err);
out:
	json_decref(header);
	json_decref(claims);
	return st;
}

enum status
credential_proof_check_claims(const struct credential_proof *p, const char *issuer, int64_t now,
                              struct err *err)
{
	bool is_for_us = p->aud_count == 0;

	for (size_t i = 0; i < p->aud_count && !is_for_us; i++)
		is_for_us = strcmp(p->aud[i], issuer) == 0;
	if (!is_for_us)
		return ERR_SET(err, ST_INVALID, "proof: aud does not name this issuer");
	if (p->has_iat && (p->iat > now + CREDENTIAL_PROOF_IAT_WINDOW_SECS ||
	                   p->iat < now - CREDENTIAL_PROOF_IAT_WINDOW_SECS))
		return ERR_SET(err, ST_INVALID, "proof: iat is more than %d seconds from now",
		               CREDENTIAL_PROOF_IAT_WINDOW_SECS);
	return ST_OK;
}

void
credential_proof_clear(struct credential_proof *p)
{
	jwk_free(p->key);
	p->key = NULL;
}
