/*
 * server/secrets.c — keyed hashes of issued secrets. See secrets.h.
 */
#include "server/secrets.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/b64url.h"
#include "crypto/secret.h"

#define HMAC_PREFIX "hmac:"

void
secrets_token_hash(const struct config *cfg, const char *token,
                   unsigned char out[DIGEST_SHA256_BYTES])
{
	secrets_token_hash_at(cfg, 0, token, out);
}

void
secrets_token_hash_at(const struct config *cfg, size_t i, const char *token,
                      unsigned char out[DIGEST_SHA256_BYTES])
{
	const char *key = cfg->secrets_system[i];

	digest_hmac_sha256(key, strlen(key), token, strlen(token), out);
}

static bool
hmac_matches_any(const struct config *cfg, const char *value, const unsigned char *stored)
{
	unsigned char mac[DIGEST_SHA256_BYTES];
	bool ok = false;
	size_t i;

	for (i = 0; i < cfg->secrets_system_count; i++) {
		const char *key = cfg->secrets_system[i];

		digest_hmac_sha256(key, strlen(key), value, strlen(value), mac);
		/* No early exit: the time does not tell which secret matched. */
		ok |= secret_equal(mac, stored, sizeof mac);
	}
	secret_wipe(mac, sizeof mac);
	return ok;
}

bool
secrets_token_matches(const struct config *cfg, const char *token, const unsigned char *stored)
{
	if (token == NULL || stored == NULL)
		return false;
	return hmac_matches_any(cfg, token, stored);
}

enum status
secrets_client_secret_hash(const struct config *cfg, const char *secret, bool is_generated,
                           struct arena *arena, char **out, struct err *err)
{
	unsigned char mac[DIGEST_SHA256_BYTES];
	char *scrypt = NULL;
	enum status st;

	if (is_generated) {
		secrets_token_hash(cfg, secret, mac);
		*out = arena_concat(arena, HMAC_PREFIX,
		                    b64url_encode_arena(arena, mac, sizeof mac));
		secret_wipe(mac, sizeof mac);
		return ST_OK;
	}
	st = secret_scrypt_hash(secret, strlen(secret), cfg->hashers_scrypt_log_n, &scrypt, err);
	if (st != ST_OK)
		return st;
	*out = arena_strdup(arena, scrypt);
	free(scrypt);
	return ST_OK;
}

enum status
secrets_client_secret_verify(const struct config *cfg, const char *secret, const char *stored,
                             bool *ok, struct err *err)
{
	unsigned char mac[DIGEST_SHA256_BYTES];
	size_t len = 0;

	*ok = false;
	if (secret == NULL || stored == NULL)
		return ST_OK;
	if (strncmp(stored, HMAC_PREFIX, strlen(HMAC_PREFIX)) == 0) {
		const char *b64 = stored + strlen(HMAC_PREFIX);

		if (b64url_decode(b64, strlen(b64), mac, sizeof mac, &len, err) != ST_OK ||
		    len != sizeof mac)
			return ERR_SET(err, ST_INVALID, "malformed stored client secret hash");
		*ok = hmac_matches_any(cfg, secret, mac);
		return ST_OK;
	}
	return secret_scrypt_verify(secret, strlen(secret), stored, ok, err);
}
