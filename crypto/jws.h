/*
 * crypto/jws.h — compact JWS (RFC 7515) sign and verify over EVP.
 *
 * Algorithms: RS256/384/512, PS256/384/512, ES256/384/512 (JWS r||s <-> DER,
 * RFC 7518 §3.4), EdDSA with Ed25519 (RFC 8037). "none" and HS* are never
 * accepted: jws_alg_from_name() does not know them, and verification needs a
 * public-key struct jwk, so HMAC-with-a-public-key confusion is impossible.
 * Every verification takes an explicit allow-list mask (RFC 8725 §3.1).
 * Keys named by jku/x5u headers are never fetched.
 */
#ifndef CRYPTO_JWS_H
#define CRYPTO_JWS_H

#include <jansson.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/jwk.h"

/* A parsed, not yet verified, compact JWS. All memory in the arena. */
struct jws {
	const char *header_json;      /* decoded protected header (NUL-terminated) */
	unsigned alg;                 /* JWS_ALG_* of header "alg"; 0 if unknown */
	const char *alg_name;         /* header "alg" as sent */
	const char *kid;              /* header "kid" or NULL */
	const char *typ;              /* header "typ" or NULL */
	const unsigned char *payload; /* decoded payload (NUL-terminated, not counted) */
	size_t payload_len;
	const char *signing_input; /* "<b64 header>.<b64 payload>" */
	size_t signing_input_len;
	const unsigned char *signature; /* decoded signature */
	size_t signature_len;
};

/*
 * Splits and decodes a compact JWS: exactly three base64url parts, a JSON
 * object header with a string "alg", no "crit" we do not understand (we
 * understand none), payload and signature non-empty. Bounded input (64 KiB).
 * ST_INVALID with a reason otherwise. Fuzzed (tests/fuzz/fuzz_jws.c).
 */
enum status jws_parse(const char *compact, struct arena *arena, struct jws *out, struct err *err);

/*
 * Verifies the signature with key. The header alg must be in allowed_algs,
 * compatible with the key type, and equal the key's recorded alg when it has
 * one. ST_INVALID on any mismatch or a bad signature.
 */
enum status jws_verify(const struct jws *jws, const struct jwk *key, unsigned allowed_algs,
                       struct err *err);

/*
 * Signs payload with a private key: header = {"alg", "kid"} plus the members
 * of extra_header (borrowed, may be NULL; e.g. {"typ":"JWT"}; it may not set
 * alg or kid). kid is left out when the key's kid is "". *out is the
 * compact serialization in the arena. ST_INVALID for a public key or an alg
 * that does not fit the key.
 */
enum status jws_sign(const struct jwk *key, unsigned alg, const json_t *extra_header,
                     const void *payload, size_t payload_len, struct arena *arena, char **out,
                     struct err *err);

#endif
