/*
 * crypto/secret.h — handling of secrets: constant-time comparison, wiping,
 * scrypt password hashing (passwords, admin-chosen client secrets).
 */
#ifndef CRYPTO_SECRET_H
#define CRYPTO_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* Constant-time equality of two n-byte buffers (CRYPTO_memcmp). */
bool secret_equal(const void *a, const void *b, size_t n);
/* Wipes n bytes (OPENSSL_cleanse); the compiler cannot elide it. */
void secret_wipe(void *p, size_t n);

/*
 * scrypt hash of a password in a self-describing string:
 *   "$scrypt$ln=<log2 N>,r=<r>,p=<p>$<b64url salt>$<b64url hash>"
 * with N=2^15, r=8, p=1 and a 16-byte random salt. *out is heap-allocated
 * (free()). ST_CRYPTO on OpenSSL failure.
 */
enum status secret_scrypt_hash(const char *password, size_t len, char **out, struct err *err);

/*
 * Verifies a password against a string from secret_scrypt_hash, in constant
 * time with respect to the hash. *ok is false on mismatch. ST_INVALID when
 * the stored string is malformed (or its parameters are out of range).
 */
enum status secret_scrypt_verify(const char *password, size_t len, const char *stored, bool *ok,
                                 struct err *err);

#endif
