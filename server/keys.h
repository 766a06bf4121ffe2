/*
 * server/keys.h — signing-key lifecycle: the glue between storage (sealed
 * rows in table keys) and crypto/keyring.c (the only holder of private keys).
 *
 *   first start   keys_import_if_none: no key that can sign and
 *                 keys.import_file set -> that key, usable at once
 *                 keys_bootstrap: no key of keys.algorithm -> generate one
 *                 (usable at once when there is no key at all, else after
 *                 keys.publish_before_use so cached JWKS learn it first)
 *   keys rotate   keys_rotate: a new key, published now, signing after
 *                 keys.publish_before_use (Hydra lacks this: its issue 3408)
 *   running       keys_refresh: reload when the table's generation changed
 *                 (rotation by the CLI or another instance); delete keys
 *                 whose publication ended
 */
#ifndef SERVER_KEYS_H
#define SERVER_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "config/config.h"
#include "crypto/keyring.h"
#include "storage/store.h"

/* How long a retired key stays published: the longest lifetime of anything it signed. */
int64_t keys_max_token_ttl(const struct config *cfg);

/* A keyring for cfg's secrets (keyring_free to release). */
struct keyring *keys_keyring_new(const struct config *cfg);

/* Loads every stored key into kr; *generation_out (may be NULL) gets the table generation. */
enum status keys_load(struct store *s, struct keyring *kr, int64_t *generation_out,
                      struct err *err);

/*
 * When keys.import_file is set and no key can sign yet (first start), adds
 * the PEM private key it names as the signing key of keys.algorithm, usable
 * at once; *imported says whether it did. Another instance importing the
 * same key at the same time is no error. The file is read once; its bytes
 * are wiped after use.
 */
enum status keys_import_if_none(const struct config *cfg, struct store *s, struct keyring *kr,
                                int64_t now, bool *imported, struct err *err);

/*
 * A rotation of secrets.system: seals every stored key that only an older
 * secret opens under the first one, so the older one can be dropped once
 * what it keyed has expired. *count_out (may be NULL): how many.
 */
enum status keys_reseal(struct store *s, const struct keyring *kr, size_t *count_out,
                        struct err *err);

/* Generates the first key of keys.algorithm when there is none. *generated may be NULL. */
enum status keys_bootstrap(const struct config *cfg, struct store *s, struct keyring *kr,
                           int64_t now, bool *generated, struct err *err);

/* Adds a key of keys.algorithm usable from now + keys.publish_before_use. kid_out: 64 bytes. */
enum status keys_rotate(const struct config *cfg, struct store *s, struct keyring *kr, int64_t now,
                        char kid_out[64], int64_t *usable_from_out, struct err *err);

/*
 * Reloads keys when the stored generation differs from *generation (then
 * updated), and deletes stored keys whose publication has ended.
 */
enum status keys_refresh(struct store *s, struct keyring *kr, int64_t now, int64_t *generation,
                         struct err *err);

#endif
