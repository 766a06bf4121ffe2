/*
 * server/credentials.h — verifiable credentials (OpenID Connect UserInfo
 * Verifiable Credentials 1.0 draft 00, as Hydra's createVerifiableCredential
 * serves them; hydra-behaviour §6): the c_nonce values handed out by the
 * token endpoint and by POST /credentials, the credential JWT itself, and
 * what discovery says about them. The request body and the proof JWT are
 * parsed by credential_request.c; the endpoint is handle_credentials.c.
 *
 * Unlike Hydra: nonces are single use (stored hashed, bound to the access
 * token), the endpoint requires the userinfo_credential_draft_00 scope, the
 * proof's typ, aud and iat are checked, a credential is dated from its
 * issuance, and credentialSubject holds only the claims the token's scopes
 * release (no session internals such as sid).
 */
#ifndef SERVER_CREDENTIALS_H
#define SERVER_CREDENTIALS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "server/app.h"
#include "storage/store.h"

/* The scope that lets an access token ask for credentials (with openid). */
#define CREDENTIALS_SCOPE "userinfo_credential_draft_00"

/* True when scope (space-separated, may be NULL) holds openid and CREDENTIALS_SCOPE. */
bool credentials_scope_granted(const char *scope);

/* A fresh nonce: the value for the holder, its stored hash, and when it expires. */
struct credentials_nonce {
	char *value; /* in the arena */
	unsigned char hash[STORE_HASH_LEN];
	int64_t expires_at; /* now + ttl.vc_nonce */
};

/* Makes a random nonce (256 bits, base64url) valid from now for ttl.vc_nonce. */
enum status credentials_nonce_new(const struct app *app, int64_t now, struct arena *arena,
                                  struct credentials_nonce *out, struct err *err);

/* The stored hash of a presented nonce. */
void credentials_nonce_hash(const struct app *app, const char *nonce,
                            unsigned char out[STORE_HASH_LEN]);

/*
 * Adds c_nonce_draft_00 and c_nonce_expires_in_draft_00 to body (a token
 * or credential response); with also_plain, c_nonce and c_nonce_expires_in
 * too (the names of Hydra's VerifiableCredentialPrimingResponse).
 */
void credentials_nonce_members(const struct app *app, json_t *body, const char *nonce,
                               bool also_plain);

/* What a credential says, before it is signed. */
struct credentials_vc {
	const char *jti;
	const char *did;      /* did:jwk of the holder's key: sub and credentialSubject.id */
	const char *subject;  /* the user's sub as the client sees it */
	const json_t *claims; /* borrowed: the user claims the token's scopes release */
	int64_t iat;          /* = nbf */
	int64_t exp;
};

/*
 * Signs the credential JWT with the key active at vc->iat: header typ
 * "JWT" (and kid, alg); claims iss, sub, iat, nbf, exp, jti and vc
 * (W3C VC data model 1.1 @context and type, credentialSubject = claims +
 * id + sub). *jwt_out in the arena. ST_NOT_FOUND when no key signs yet.
 */
enum status credentials_sign(const struct app *app, const struct credentials_vc *vc,
                             struct arena *arena, char **jwt_out, struct err *err);

/* credentials_supported_draft_00 for discovery (new reference). */
json_t *credentials_supported(void);

#endif
