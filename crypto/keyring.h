/*
 * crypto/keyring.h — the signing keys; the ONLY holder of private keys.
 *
 * Keys come from storage as sealed blobs (crypto/seal.h, aad = kid) and are
 * opened with any of the system secrets. Each key has usable_from: it is
 * published in the JWKS as soon as it exists, but signs only from
 * usable_from on (keys.publish_before_use), so caches never meet an unknown
 * kid. The signing key at time t is the key with the greatest
 * usable_from <= t. A key that stopped signing at time s (its successor's
 * usable_from) stays published until s + max_token_ttl, then disappears.
 *
 * Thread-safe: an internal rwlock; keyring_add_sealed may run (from the
 * key-refresh timer) while requests sign.
 */
#ifndef CRYPTO_KEYRING_H
#define CRYPTO_KEYRING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"

enum keyring_key_status {
	KEYRING_NEXT = 0, /* published, not yet signing */
	KEYRING_ACTIVE,   /* signs now */
	KEYRING_RETIRED,  /* no longer signs; published until its tokens expired */
	KEYRING_EXPIRED,  /* no longer published */
};

struct keyring_key_info {
	char kid[64];
	unsigned alg; /* JWS_ALG_* */
	enum keyring_key_status status;
	int64_t created_at;
	int64_t usable_from;
	int64_t published_until; /* 0 = while active/next (open-ended) */
};

/* A freshly generated key, ready for storage. */
struct keyring_sealed {
	char kid[64];
	unsigned alg;
	int64_t created_at;
	int64_t usable_from;
	unsigned char *sealed; /* heap; keyring_sealed_clear() frees */
	size_t sealed_len;
	char *public_jwk; /* heap JSON text of the public JWK */
};

struct keyring;

/*
 * secrets: secrets.system (copied; first one seals). max_token_ttl_secs:
 * how long a retired key stays published.
 */
struct keyring *keyring_new(const char *const *secrets, size_t nsecrets,
                            int64_t max_token_ttl_secs);
void keyring_free(struct keyring *kr); /* NULL is a no-op */

/*
 * Adds a stored key (no-op ST_OK when the kid is already present). ST_CRYPTO
 * when no secret opens it (message names the kid, never the secret).
 */
enum status keyring_add_sealed(struct keyring *kr, const char *kid, unsigned alg,
                               int64_t created_at, int64_t usable_from, const unsigned char *sealed,
                               size_t sealed_len, struct err *err);

/*
 * A rotation of secrets.system: when secrets[0] does not open sealed (the
 * blob of kid, sealed under an older secret), *resealed (heap: free()) is
 * the same key sealed under secrets[0]; else *resealed is NULL. ST_CRYPTO
 * when no secret opens it.
 */
enum status keyring_reseal(const struct keyring *kr, const char *kid, const unsigned char *sealed,
                           size_t sealed_len, unsigned char **resealed, size_t *resealed_len,
                           struct err *err);

/* Generates, adds and returns (sealed under secrets[0]) a new key. */
enum status keyring_generate(struct keyring *kr, unsigned alg, unsigned rsa_bits, int64_t now,
                             int64_t usable_from, struct keyring_sealed *out, struct err *err);
/*
 * The same for a given private key: PEM text (jwk_private_from_pem) that fits
 * alg. ST_INVALID for anything else, ST_CONFLICT when the key is already held.
 */
enum status keyring_import_pem(struct keyring *kr, unsigned alg, const char *pem, size_t pem_len,
                               int64_t now, int64_t usable_from, struct keyring_sealed *out,
                               struct err *err);
void keyring_sealed_clear(struct keyring_sealed *s);

/* Number of keys held (any status). */
size_t keyring_count(const struct keyring *kr);

/* True when some key can sign at now. */
bool keyring_can_sign(const struct keyring *kr, int64_t now);
/* The alg of the key signing at now (0 when none). */
unsigned keyring_signing_alg(const struct keyring *kr, int64_t now);

/*
 * Signs payload with the key active at now; the header gets alg, kid and
 * extra_header's members (borrowed, may be NULL). ST_NOT_FOUND when no key
 * is usable yet.
 */
enum status keyring_sign(struct keyring *kr, int64_t now, const json_t *extra_header,
                         const void *payload, size_t payload_len, struct arena *arena, char **out,
                         struct err *err);

/* {"keys":[...]} of every key published at now (new reference), newest first. */
json_t *keyring_jwks(const struct keyring *kr, int64_t now);

/* Public JWK JSON object of one key (new ref) or NULL when the kid is unknown. */
json_t *keyring_public_jwk(const struct keyring *kr, const char *kid);

/* Fills up to max entries (newest first); returns how many keys there are. */
size_t keyring_list(const struct keyring *kr, int64_t now, struct keyring_key_info *out,
                    size_t max);

/* Status name: "next", "active", "retired", "expired". */
const char *keyring_status_str(enum keyring_key_status st);

#endif
