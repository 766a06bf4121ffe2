/*
 * server/id_token.h — ID tokens (OIDC Core §2, §3.1.3.6) and signed
 * UserInfo responses (§5.3.2): claims built from plain parameters, signed
 * by the keyring's active key. Pure: no storage, no handler state.
 *
 * Hash claims (at_hash, c_hash): base64url of the left-most half of the
 * hash of the ASCII token, with the hash of the signing alg: SHA-256 for
 * RS256/PS256/ES256, SHA-512 for RS512/PS512/ES512 and for EdDSA (Ed25519,
 * the only EdDSA curve we sign with: "alg" alone does not name a hash, and
 * the OpenID Connect WG settled on SHA-512, connect issue #1125, recorded in
 * the OpenID Connect Token Hash Algorithms implementer's guide). *384 algs
 * are never configured and give ST_UNSUPPORTED.
 */
#ifndef SERVER_ID_TOKEN_H
#define SERVER_ID_TOKEN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/keyring.h"

/* Everything borrowed; NULL / 0 members are left out of the token. */
struct id_token_params {
	const char *issuer;         /* iss, required */
	const char *sub;            /* required */
	const char *aud;            /* the client_id; one audience, so a string */
	const char *azp;            /* the client_id, or NULL */
	const char *nonce;          /* from the authorization request, or NULL */
	int64_t auth_time;          /* seconds; 0 = unknown (then omitted) */
	bool is_auth_time_required; /* max_age, require_auth_time or an essential request */
	const char *acr;            /* or NULL */
	const json_t *amr;          /* array of strings, or NULL */
	const char *sid;            /* login session id (Front/Back-Channel Logout), or NULL */
	int64_t iat;                /* 0 = now */
	int64_t exp;                /* required, > iat */
	const char *access_token;   /* issued alongside: at_hash; or NULL */
	const char *code;           /* issued alongside: c_hash; or NULL */
	const json_t *extra;        /* user claims (claims_for_scopes) or NULL */
	unsigned alg;               /* the JWS_ALG_* the client expects; 0 = the keyring's */
};

/*
 * *out (arena) = base64url(left half of HASH(value)) for the signing alg
 * (see above). ST_UNSUPPORTED for an alg without a hash rule here.
 */
enum status id_token_hash(unsigned alg, const char *value, struct arena *arena, char **out,
                          struct err *err);

/*
 * Signs an ID token with the key active at now: header {"alg", "kid",
 * "typ":"JWT"}; claims iss, sub, aud, exp, iat always; auth_time, nonce,
 * acr, amr, azp, sid, at_hash, c_hash when given; then the members of
 * extra that are not one of those (protocol claims cannot be overridden).
 * *jwt_out is the compact JWS in the arena. ST_INVALID for missing
 * iss/sub/aud, exp <= iat, an amr that is not an array of strings, or
 * is_auth_time_required with auth_time 0; ST_NOT_FOUND when no key signs at
 * now; ST_UNSUPPORTED when p->alg is not the active key's alg.
 */
enum status id_token_sign(struct keyring *kr, int64_t now, const struct id_token_params *p,
                          struct arena *arena, char **jwt_out, struct err *err);

/*
 * A signed UserInfo response (OIDC Core §5.3.2, Content-Type
 * application/jwt): claims (borrowed: sub and the released claims) plus
 * iss = issuer and aud = client_id, header typ "JWT". alg as for
 * id_token_sign. Statuses as id_token_sign (ST_INVALID when claims is not
 * an object or lacks a string sub).
 */
enum status userinfo_jwt_sign(struct keyring *kr, int64_t now, const char *issuer,
                              const char *client_id, unsigned alg, const json_t *claims,
                              struct arena *arena, char **jwt_out, struct err *err);

/*
 * Verifies a JWT this issuer signed, given back as an id_token_hint (OIDC
 * Core §3.1.2.1, RP-Initiated Logout §2): the kid names one of our keys
 * (published or retired), the signature verifies, iss is issuer and sub is
 * a string. Expiry is not checked: an expired hint still identifies the
 * user. *claims_out (new reference) on ST_OK; ST_INVALID with the reason.
 */
enum status id_token_verify_hint(const struct keyring *kr, const char *issuer, const char *jwt,
                                 struct arena *arena, json_t **claims_out, struct err *err);

#endif
