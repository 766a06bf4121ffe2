/*
 * server/secrets.h — keyed hashes of the secrets oidcd hands out: opaque
 * tokens (registration access tokens now, access/refresh tokens and codes
 * later) and server-generated client secrets. Hashes are HMAC-SHA-256 keyed
 * by secrets.system[0]; verification tries every configured secret, so the
 * system secret can be rotated without invalidating what was issued.
 * Admin-chosen client secrets (low entropy) use scrypt instead.
 */
#ifndef SERVER_SECRETS_H
#define SERVER_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"
#include "config/config.h"
#include "crypto/digest.h"

/* HMAC-SHA-256 of token under the active system secret. */
void secrets_token_hash(const struct config *cfg, const char *token,
                        unsigned char out[DIGEST_SHA256_BYTES]);
/*
 * The same under secrets.system[i] (i < secrets_system_count): lookups of
 * something stored under an older secret during a rotation try each.
 */
void secrets_token_hash_at(const struct config *cfg, size_t i, const char *token,
                           unsigned char out[DIGEST_SHA256_BYTES]);

/* True when token hashes to stored (32 bytes) under any system secret; constant time. */
bool secrets_token_matches(const struct config *cfg, const char *token,
                           const unsigned char *stored);

/*
 * The stored form of a client secret: "hmac:<b64url>" for server-generated
 * secrets (256-bit random: a fast keyed hash is safe), "$scrypt$..." for
 * admin-chosen ones. The string lives in the arena.
 */
enum status secrets_client_secret_hash(const struct config *cfg, const char *secret,
                                       bool is_generated, struct arena *arena, char **out,
                                       struct err *err);

/* Verifies a presented client secret against its stored form. *ok false on mismatch. */
enum status secrets_client_secret_verify(const struct config *cfg, const char *secret,
                                         const char *stored, bool *ok, struct err *err);

#endif
