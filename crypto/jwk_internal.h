/*
 * crypto/jwk_internal.h — the definition of struct jwk, shared by
 * crypto/jwk.c (which builds keys) and crypto/jws.c (which signs and
 * verifies with them). Included by no other file: outside crypto/ a
 * struct jwk stays opaque and OpenSSL stays out of sight (STYLE B7, B12).
 */
#ifndef CRYPTO_JWK_INTERNAL_H
#define CRYPTO_JWK_INTERNAL_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

enum jwk_kty {
	JWK_KTY_RSA,
	JWK_KTY_EC,
	JWK_KTY_OKP,
};

/* A JWK curve: its "crv" name, OpenSSL's group name and NID, coordinate bytes, JWS alg. */
struct jwk_curve {
	const char *crv;
	const char *group;
	int nid;
	size_t coord_len;
	unsigned alg;
};

struct jwk {
	EVP_PKEY *pkey; /* owned; never NULL once built */
	enum jwk_kty kty;
	const struct jwk_curve *curve; /* EC and OKP; NULL for RSA */
	unsigned alg;                  /* JWS_ALG_* bit, or 0 when unset */
	char *kid;                     /* heap; never NULL once built */
	bool is_private;
};

#endif
