/*
 * crypto/digest.h — SHA-256 and HMAC-SHA-256: the hashes storage keeps
 * instead of codes and tokens (keyed by secrets.system); SHA-512 for the
 * at_hash/c_hash of ID tokens signed with *512 algorithms or EdDSA.
 */
#ifndef CRYPTO_DIGEST_H
#define CRYPTO_DIGEST_H

#include <stddef.h>

#define DIGEST_SHA256_BYTES 32
#define DIGEST_SHA512_BYTES 64

void digest_sha256(const void *data, size_t n, unsigned char out[DIGEST_SHA256_BYTES]);
void digest_hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
                        unsigned char out[DIGEST_SHA256_BYTES]);
void digest_sha512(const void *data, size_t n, unsigned char out[DIGEST_SHA512_BYTES]);
/* Lowercase hex of a SHA-256 of data: out needs 65 bytes. For log correlation. */
void digest_sha256_hex(const void *data, size_t n, char out[2 * DIGEST_SHA256_BYTES + 1]);

#endif
