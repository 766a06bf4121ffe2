/*
 * crypto/seal.h — encryption at rest (private signing keys) with
 * AES-256-GCM under a key derived by HKDF-SHA-256 from a system secret.
 *
 * Sealed format (version 1): 0x01 | salt[16] | nonce[12] | ciphertext | tag[16].
 * The AEAD key is HKDF(secret, salt, info = "oidcd seal v1"); aad is the
 * caller's context string (e.g. the key id) so a blob cannot be moved to
 * another row.
 */
#ifndef CRYPTO_SEAL_H
#define CRYPTO_SEAL_H

#include <stddef.h>

#include "common/err.h"

/* Encrypts with secret; *out is heap-allocated (free()). */
enum status seal_encrypt(const char *secret, const char *aad, const unsigned char *plain,
                         size_t plain_len, unsigned char **out, size_t *out_len, struct err *err);

/*
 * Decrypts with the first of secrets[0..n) that authenticates. *out is
 * heap-allocated; release it with seal_free_plain (wipes). ST_CRYPTO when
 * no secret opens it, ST_INVALID when the blob is malformed.
 */
enum status seal_decrypt(const char *const *secrets, size_t nsecrets, const char *aad,
                         const unsigned char *in, size_t in_len, unsigned char **out,
                         size_t *out_len, struct err *err);

/* Wipes and frees a plaintext from seal_decrypt; NULL is a no-op. */
void seal_free_plain(unsigned char *p, size_t len);

#endif
