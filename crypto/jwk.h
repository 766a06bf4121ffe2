/*
 * crypto/jwk.h — JSON Web Keys (RFC 7517/7518/8037) over OpenSSL EVP_PKEY.
 *
 * Public keys are imported from JSON (client jwks, proof JWT headers, tests)
 * and exported as public JWKs with exactly: kty, kid, alg, use and the key
 * material (n,e | crv,x,y | crv,x) — nothing else (Hydra's SDK rejects other
 * members, hydra-behaviour §3.4). kid defaults to the RFC 7638 thumbprint.
 *
 * Private keys: jwk_generate / jwk_private_from_der / jwk_private_to_der are
 * called ONLY by crypto/keyring.c, the sole holder of private keys.
 */
#ifndef CRYPTO_JWK_H
#define CRYPTO_JWK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/*
 * JWS algorithms as bits, so allow-lists are masks. Verification accepts an
 * alg only when it is in the caller's mask AND fits the key type.
 */
enum jws_alg {
	JWS_ALG_RS256 = 1u << 0,
	JWS_ALG_RS384 = 1u << 1,
	JWS_ALG_RS512 = 1u << 2,
	JWS_ALG_PS256 = 1u << 3,
	JWS_ALG_PS384 = 1u << 4,
	JWS_ALG_PS512 = 1u << 5,
	JWS_ALG_ES256 = 1u << 6,
	JWS_ALG_ES384 = 1u << 7,
	JWS_ALG_ES512 = 1u << 8,
	JWS_ALG_EDDSA = 1u << 9,
};
#define JWS_ALG_ALL 0x3ffu

/* "RS256" -> JWS_ALG_RS256; 0 for unknown names, "none" and HS*. */
unsigned jws_alg_from_name(const char *name);
/* JWS_ALG_RS256 -> "RS256"; NULL for 0 or a mask with several bits. */
const char *jws_alg_name(unsigned alg);

struct jwk;

/*
 * Imports a PUBLIC key from a JWK object (borrowed). kty RSA (n,e; modulus
 * >= 2048 bits), EC (crv P-256/P-384/P-521, x, y; point on the curve) or OKP
 * (crv Ed25519, x). Members d,p,q,dp,dq,qi,k or kty "oct" -> ST_INVALID
 * ("private key material"). alg/kid/use are kept when present.
 */
enum status jwk_import_public(const json_t *jwk, struct jwk **out, struct err *err);

/*
 * Generates a private key for alg: RSA of rsa_bits (2048..16384) for RS* and
 * PS*, P-256/P-384/P-521 for ES256/ES384/ES512, Ed25519 for EdDSA. The alg is
 * recorded and kid is the thumbprint. keyring only.
 */
enum status jwk_generate(unsigned alg, unsigned rsa_bits, struct jwk **out, struct err *err);
/* DER (PKCS#8) of the private key into a heap buffer; wipe + free it after use. keyring only. */
enum status jwk_private_to_der(const struct jwk *key, unsigned char **der, size_t *der_len,
                               struct err *err);
/* Private key from PKCS#8 DER; alg is recorded on the key. keyring only. */
enum status jwk_private_from_der(const unsigned char *der, size_t der_len, unsigned alg,
                                 struct jwk **out, struct err *err);
/*
 * Private key from PEM text ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE
 * KEY"; not encrypted) that fits alg (RSA keys of at least 2048 bits); alg is
 * recorded and kid is the thumbprint. ST_INVALID otherwise. keyring only.
 */
enum status jwk_private_from_pem(const char *pem, size_t len, unsigned alg, struct jwk **out,
                                 struct err *err);

void jwk_free(struct jwk *key); /* NULL is a no-op */

/* RFC 7638 thumbprint, base64url(SHA-256) = 43 chars, into out[44]. */
enum status jwk_thumbprint(const struct jwk *key, char out[44], struct err *err);

/* kid as imported/assigned (thumbprint when none was given); never NULL. */
const char *jwk_kid(const struct jwk *key);
/* Sets kid and alg (one JWS_ALG_* bit, 0 = unset) recorded on the key. */
void jwk_set_kid(struct jwk *key, const char *kid);
void jwk_set_alg(struct jwk *key, unsigned alg);
/* The alg recorded on the key (0 when the JWK had none). */
unsigned jwk_alg(const struct jwk *key);
/* Mask of algorithms this key type can verify (e.g. RSA -> RS* | PS*). */
unsigned jwk_compatible_algs(const struct jwk *key);
/* True when the key holds private material. */
bool jwk_is_private(const struct jwk *key);

/* Public JWK (new reference) with kty, kid, alg, use="sig" and key material only. */
json_t *jwk_to_public_json(const struct jwk *key);

#endif
