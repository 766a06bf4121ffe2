/*
 * server/keys.c — signing-key lifecycle. See keys.h.
 */
#include "server/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "crypto/jwk.h"
#include "crypto/secret.h"

int64_t
keys_max_token_ttl(const struct config *cfg)
{
	int64_t ttl = cfg->ttl_id_token_secs;

	/* JWT access tokens (a later issue) are signed by the same keys. */
	if (cfg->ttl_access_token_secs > ttl)
		ttl = cfg->ttl_access_token_secs;
	/* Verifiable credentials too (issue 7). */
	if (cfg->ttl_vc_secs > ttl)
		ttl = cfg->ttl_vc_secs;
	return ttl;
}

struct keyring *
keys_keyring_new(const struct config *cfg)
{
	return keyring_new((const char *const *)cfg->secrets_system, cfg->secrets_system_count,
	                   keys_max_token_ttl(cfg));
}

enum status
keys_load(struct store *s, struct keyring *kr, int64_t *generation_out, struct err *err)
{
	struct arena *arena = arena_new();
	struct store_key *keys = NULL;
	size_t n = 0, i;
	int64_t gen = 0;
	enum status st;

	st = store_key_generation(s, &gen, err);
	if (st != ST_OK)
		goto out;
	st = store_key_list(s, arena, &keys, &n, err);
	if (st != ST_OK)
		goto out;
	for (i = 0; i < n; i++) {
		unsigned alg = jws_alg_from_name(keys[i].alg);

		if (alg == 0) {
			st = ERR_SET(err, ST_INVALID, "key %s: unknown algorithm %s", keys[i].kid,
			             keys[i].alg);
			goto out;
		}
		st = keyring_add_sealed(kr, keys[i].kid, alg, keys[i].created_at,
		                        keys[i].usable_from, keys[i].sealed, keys[i].sealed_len,
		                        err);
		if (st != ST_OK)
			goto out;
	}
	if (generation_out != NULL)
		*generation_out = gen;
out:
	arena_free(arena);
	return st;
}

enum status
keys_reseal(struct store *s, const struct keyring *kr, size_t *count_out, struct err *err)
{
	struct arena *arena = arena_new();
	struct store_key *keys = NULL;
	size_t n = 0, i, count = 0;
	enum status st;

	st = store_key_list(s, arena, &keys, &n, err);
	for (i = 0; st == ST_OK && i < n; i++) {
		unsigned char *blob = NULL;
		size_t len = 0;

		st = keyring_reseal(kr, keys[i].kid, keys[i].sealed, keys[i].sealed_len, &blob,
		                    &len, err);
		if (st == ST_OK && blob != NULL) {
			st = store_key_reseal(s, keys[i].kid, blob, len, err);
			/* another instance may have deleted it meanwhile */
			if (st == ST_NOT_FOUND)
				st = ST_OK;
			else if (st == ST_OK)
				count++;
		}
		free(blob);
	}
	if (count_out != NULL)
		*count_out = count;
	arena_free(arena);
	return st;
}

/* Stores a key the keyring just made (sealed) as a row of table keys. */
static enum status
persist(const struct keyring_sealed *sealed, unsigned alg, struct store *s, struct err *err)
{
	struct store_key row;

	memset(&row, 0, sizeof row);
	row.kid = sealed->kid;
	row.alg = jws_alg_name(alg);
	row.created_at = sealed->created_at;
	row.usable_from = sealed->usable_from;
	row.sealed = sealed->sealed;
	row.sealed_len = sealed->sealed_len;
	row.public_jwk = sealed->public_jwk;
	return store_key_insert(s, &row, err);
}

static enum status
generate(const struct config *cfg, struct store *s, struct keyring *kr, int64_t now,
         int64_t usable_from, char kid_out[64], struct err *err)
{
	struct keyring_sealed sealed;
	unsigned alg = jws_alg_from_name(config_alg_name(cfg->keys_algorithm));
	enum status st;

	memset(&sealed, 0, sizeof sealed);
	st = keyring_generate(kr, alg, cfg->keys_rsa_bits, now, usable_from, &sealed, err);
	if (st != ST_OK)
		goto out;
	st = persist(&sealed, alg, s, err);
	if (st != ST_OK)
		goto out;
	if (kid_out != NULL)
		snprintf(kid_out, 64, "%s", sealed.kid);
out:
	keyring_sealed_clear(&sealed);
	return st;
}

/* An RSA-8192 key in PEM is about 6.4 KB. */
#define IMPORT_MAX_BYTES ((size_t)64 * 1024)

enum status
keys_import_if_none(const struct config *cfg, struct store *s, struct keyring *kr, int64_t now,
                    bool *imported, struct err *err)
{
	unsigned alg = jws_alg_from_name(config_alg_name(cfg->keys_algorithm));
	struct keyring_sealed sealed;
	char *pem = NULL;
	size_t n = 0;
	FILE *f = NULL;
	enum status st;

	*imported = false;
	if (cfg->keys_import_file == NULL || keyring_can_sign(kr, now))
		return ST_OK;
	memset(&sealed, 0, sizeof sealed);
	f = fopen(cfg->keys_import_file, "rb");
	if (f == NULL)
		return ERR_SET(err, ST_IO, "keys.import_file %s: cannot open it",
		               cfg->keys_import_file);
	pem = malloc(IMPORT_MAX_BYTES + 1);
	if (pem == NULL) {
		st = ERR_SET(err, ST_IO, "keys.import_file: out of memory");
		goto out;
	}
	n = fread(pem, 1, IMPORT_MAX_BYTES + 1, f);
	if (ferror(f) || n > IMPORT_MAX_BYTES) {
		st = ERR_SET(err, ST_INVALID,
		             "keys.import_file %s: unreadable or larger than %zu bytes",
		             cfg->keys_import_file, IMPORT_MAX_BYTES);
		goto out;
	}
	st = keyring_import_pem(kr, alg, pem, n, now, now, &sealed, err);
	if (st != ST_OK) {
		/* The message names what is wrong with the key, never its bytes. */
		char why[sizeof err->msg];

		snprintf(why, sizeof why, "%s", err->msg);
		st = ERR_SET(err, st, "keys.import_file %s (keys.algorithm %s): %s",
		             cfg->keys_import_file, config_alg_name(cfg->keys_algorithm), why);
		goto out;
	}
	st = persist(&sealed, alg, s, err);
	/* Another instance stored the same key first: it is the same key. */
	if (st == ST_CONFLICT)
		st = ST_OK;
	*imported = st == ST_OK;
out:
	keyring_sealed_clear(&sealed);
	if (pem != NULL) {
		secret_wipe(pem, IMPORT_MAX_BYTES + 1);
		free(pem);
	}
	fclose(f);
	return st;
}

enum status
keys_bootstrap(const struct config *cfg, struct store *s, struct keyring *kr, int64_t now,
               bool *generated, struct err *err)
{
	unsigned alg = jws_alg_from_name(config_alg_name(cfg->keys_algorithm));
	struct keyring_key_info info[64];
	size_t n, i;
	int64_t usable_from = now;

	if (generated != NULL)
		*generated = false;
	/* Nothing can sign yet (first start, or only a rotated key that is not
	 * usable yet): a key that signs at once is the only way to serve. */
	if (!keyring_can_sign(kr, now)) {
		if (generated != NULL)
			*generated = true;
		return generate(cfg, s, kr, now, now, NULL, err);
	}
	n = keyring_list(kr, now, info, sizeof info / sizeof info[0]);
	if (n > sizeof info / sizeof info[0])
		n = sizeof info / sizeof info[0];
	for (i = 0; i < n; i++)
		if (info[i].alg == alg && info[i].status != KEYRING_EXPIRED &&
		    info[i].status != KEYRING_RETIRED)
			return ST_OK;
	/* Keys exist but none of the configured algorithm: publish the new one
	 * before it signs, as a rotation would. */
	if (n > 0)
		usable_from = now + cfg->keys_publish_before_use_secs;
	if (generated != NULL)
		*generated = true;
	return generate(cfg, s, kr, now, usable_from, NULL, err);
}

enum status
keys_rotate(const struct config *cfg, struct store *s, struct keyring *kr, int64_t now,
            char kid_out[64], int64_t *usable_from_out, struct err *err)
{
	int64_t usable_from = now + cfg->keys_publish_before_use_secs;
	enum status st = generate(cfg, s, kr, now, usable_from, kid_out, err);

	if (st == ST_OK && usable_from_out != NULL)
		*usable_from_out = usable_from;
	return st;
}

enum status
keys_refresh(struct store *s, struct keyring *kr, int64_t now, int64_t *generation, struct err *err)
{
	struct keyring_key_info info[64];
	int64_t gen = 0;
	size_t n, i;
	enum status st;

	st = store_key_generation(s, &gen, err);
	if (st != ST_OK)
		return st;
	if (gen != *generation) {
		st = keys_load(s, kr, generation, err);
		if (st != ST_OK)
			return st;
	}
	n = keyring_list(kr, now, info, sizeof info / sizeof info[0]);
	if (n > sizeof info / sizeof info[0])
		n = sizeof info / sizeof info[0];
	for (i = 0; i < n; i++) {
		if (info[i].status != KEYRING_EXPIRED)
			continue;
		st = store_key_delete(s, info[i].kid, err);
		if (st != ST_OK && st != ST_NOT_FOUND)
			return st;
	}
	return ST_OK;
}
