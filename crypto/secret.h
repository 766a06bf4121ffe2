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

/* log2 N of new scrypt hashes: the default (and most) and the least. */
#define SECRET_SCRYPT_LOG_N     15
#define SECRET_SCRYPT_LOG_N_MIN 10

/*
 * scrypt hash of a password in a self-describing string:
 *   "$scrypt$ln=<log2 N>,r=<r>,p=<p>$<b64url salt>$<b64url hash>"
 * with N=2^log_n, r=8, p=1 and a 16-byte random salt. log_n is config
 * hashers.scrypt_log_n, SECRET_SCRYPT_LOG_N_MIN..SECRET_SCRYPT_LOG_N (else
 * ST_INVALID): 2^15 with r=8 is 32 MiB, the most secret_scrypt_verify's
 * memory bound allows, so the setting can only make hashing cheaper. *out is
 * heap-allocated (free()). ST_CRYPTO on OpenSSL failure.
 */
enum status secret_scrypt_hash(const char *password, size_t len, unsigned log_n, char **out,
                               struct err *err);

/*
 * Verifies a password against a string from secret_scrypt_hash, in constant
 * time with respect to the hash. *ok is false on mismatch. ST_INVALID when
 * the stored string is malformed (or its parameters are out of range).
 */
enum status secret_scrypt_verify(const char *password, size_t len, const char *stored, bool *ok,
                                 struct err *err);

#endif
