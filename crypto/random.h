/*
 * crypto/random.h — all randomness comes from OpenSSL's RAND_bytes.
 */
#ifndef CRYPTO_RANDOM_H
#define CRYPTO_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"

/* Fills buf with n random bytes. ST_CRYPTO when the RNG fails. */
enum status random_bytes(void *buf, size_t n, struct err *err);

/*
 * An opaque token: prefix + base64url(32 random bytes), e.g. "oidcd_at_...".
 * prefix may be "" . The string lives in the arena.
 */
enum status random_token(const char *prefix, struct arena *arena, char **out, struct err *err);

/* n random bytes as 2n lowercase hex characters, NUL-terminated, in out[2n+1]. */
enum status random_hex(size_t n, char *out, struct err *err);

/* A random (version 4, RFC 9562 §5.4) UUID in lowercase canonical form, out[37]. */
enum status random_uuid(char out[37], struct err *err);

/*
 * A time-ordered UUID (version 7, RFC 9562 §5.7): 48 bits of unix_ms, then
 * 74 random bits. Ids made later sort later, so the B-tree indexes they key
 * grow at their right edge instead of dirtying a random page per insert.
 */
enum status random_uuid7(int64_t unix_ms, char out[37], struct err *err);

#endif
