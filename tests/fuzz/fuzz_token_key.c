/*
 * tests/fuzz/fuzz_token_key.c — the stored key of a presented token
 * (server/tokens.c, tokens_hash): the reader of the ordered-token format.
 *
 * Invariants checked on every input (as a C string, cut at its first NUL):
 * - the key is either the whole keyed hash of the token, or 6 order bytes
 *   followed by the first 26 bytes of that hash;
 * - the second form only for "oidcd_at_", "oidcd_rt_" or "jti:" followed by
 *   exactly 51 characters whose first 8 decode (base64url) to the order bytes;
 * - the same token always gives the same key.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/b64url.h"
#include "server/secrets.h"
#include "server/tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static struct app app;

static void
init(void)
{
	static const struct config_override o[] = {
	        {"issuer",         "https://id.example.com"          },
	        {"secrets.system", "0123456789abcdef0123456789abcdef"},
	};
	struct err err;

	if (config_load(NULL, NULL, o, 2, false, &cfg, &err) != ST_OK)
		abort();
	app.cfg = &cfg;
	app.issuer = cfg.issuer;
}

/* Where the 51-character body of an ordered token starts, or NULL. */
static const char *
body_of(const char *tok)
{
	static const char *const prefixes[] = {"oidcd_at_", "oidcd_rt_", "jti:"};
	size_t n = strlen(tok);

	for (size_t i = 0; i < 3; i++) {
		size_t p = strlen(prefixes[i]);

		if (n == p + 51 && strncmp(tok, prefixes[i], p) == 0)
			return tok + p;
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	unsigned char key[STORE_HASH_LEN], again[STORE_HASH_LEN], mac[STORE_HASH_LEN], order[6];
	const char *body;
	char *tok;
	size_t n = 0;
	struct err err;

	if (!ready) {
		init();
		ready = true;
	}
	tok = malloc(size + 1);
	if (tok == NULL)
		abort();
	memcpy(tok, data, size);
	tok[size] = '\0';
	tokens_hash(&app, tok, key);
	tokens_hash(&app, tok, again);
	secrets_token_hash(&cfg, tok, mac);
	if (memcmp(key, again, sizeof key) != 0)
		abort();
	if (memcmp(key, mac, sizeof key) != 0) {
		body = body_of(tok);
		if (body == NULL || memcmp(key + 6, mac, STORE_HASH_LEN - 6) != 0)
			abort();
		if (b64url_decode(body, 8, order, sizeof order, &n, &err) != ST_OK || n != 6 ||
		    memcmp(key, order, 6) != 0)
			abort();
	}
	free(tok);
	return 0;
}
