/*
 * server/tokens.c — opaque tokens and their rows (see tokens.h).
 */
#include "server/tokens.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/b64url.h"
#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "server/claims.h"
#include "server/secrets.h"

/*
 * Ordered tokens. A token's row is found by its stored hash, an index key.
 * Were that key random, every new token would land on a random leaf of the
 * index, and each group commit would write one 4 KiB page per token to the
 * WAL (and again at the checkpoint). Measured on client_credentials
 * (wrk, 32 connections): 5.5 pwrite calls and 2.4 preads per token with
 * random keys, 3.0 and 0.7 with ordered ones, and 30 % more tokens a
 * second. So a token's body starts with
 * TOKENS_ORDER_CHARS characters that encode when it was made (milliseconds,
 * then a counter), and its key starts with those bytes: new keys follow one
 * another at the right edge of the index. The rest of the key is the keyed
 * hash of the whole token, truncated to STORE_HASH_LEN - TOKENS_ORDER_BYTES
 * (208 bits). The order bytes are no secret (the row keeps created_at
 * anyway); the 256 random bits after them are.
 */
#define TOKENS_ORDER_BYTES      6
#define TOKENS_ORDER_CHARS      8 /* B64URL_ENCODED_LEN(TOKENS_ORDER_BYTES) */
#define TOKENS_ORDERED_BODY_LEN (TOKENS_ORDER_CHARS + B64URL_ENCODED_LEN(32))

/* Where the body of an ordered token (or "jti:" + its JWT id) starts; NULL for other strings. */
static const char *
ordered_body(const char *token)
{
	static const char *const prefixes[] = {TOKENS_ACCESS_PREFIX, TOKENS_REFRESH_PREFIX, "jti:"};
	size_t i, len = strlen(token);

	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t n = strlen(prefixes[i]);

		if (len == n + TOKENS_ORDERED_BODY_LEN && strncmp(token, prefixes[i], n) == 0)
			return token + n;
	}
	return NULL;
}

void
tokens_hash(const struct app *app, const char *token, unsigned char out[STORE_HASH_LEN])
{
	tokens_hash_at(app, 0, token, out);
}

void
tokens_hash_at(const struct app *app, size_t i, const char *token,
               unsigned char out[STORE_HASH_LEN])
{
	unsigned char order[TOKENS_ORDER_BYTES], mac[STORE_HASH_LEN];
	const char *body = ordered_body(token);
	size_t n = 0;
	struct err err;

	secrets_token_hash_at(app->cfg, i, token, mac);
	/* Tokens made before ordering (43-character bodies) keep their full hash. */
	if (body == NULL ||
	    b64url_decode(body, TOKENS_ORDER_CHARS, order, sizeof order, &n, &err) != ST_OK ||
	    n != sizeof order) {
		memcpy(out, mac, STORE_HASH_LEN);
	} else {
		memcpy(out, order, sizeof order);
		memcpy(out + sizeof order, mac, STORE_HASH_LEN - sizeof order);
	}
	secret_wipe(mac, sizeof mac);
}

enum status
tokens_random_ordered(const struct app *app, const char *prefix, struct arena *arena, char **out,
                      struct err *err)
{
	static atomic_uint counter;
	uint64_t order = ((uint64_t)clock_now_ms(&app->clock) << 8) |
	                 (atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed) & 0xffu);
	unsigned char bytes[TOKENS_ORDER_BYTES];
	char enc[TOKENS_ORDER_CHARS + 1];
	size_t i;

	/* Big-endian, so byte order is time order. The clock's top bits fall off:
	 * the order wraps every 34.8 years, which costs locality once, nothing else. */
	for (i = 0; i < sizeof bytes; i++)
		bytes[i] = (unsigned char)(order >> (8 * (sizeof bytes - 1 - i)));
	b64url_encode(bytes, sizeof bytes, enc);
	return random_token(arena_concat(arena, prefix, enc), arena, out, err);
}

enum status
tokens_new(const struct app *app, struct arena *arena, int64_t now, const char *grant_id,
           const char *client_id, bool with_refresh, struct tokens_issue *t, struct err *err)
{
	const struct config *cfg = app->cfg;
	char *at, *rt = NULL;
	enum status st;

	memset(t, 0, sizeof *t);
	st = tokens_random_ordered(
	        app,
	        cfg->oauth2_access_token_format == CONFIG_TOKEN_JWT ? "" : TOKENS_ACCESS_PREFIX,
	        arena, &at, err);
	if (st == ST_OK && with_refresh)
		st = tokens_random_ordered(app, TOKENS_REFRESH_PREFIX, arena, &rt, err);
	if (st != ST_OK)
		return st;
	if (cfg->oauth2_access_token_format == CONFIG_TOKEN_JWT) {
		/* The token itself comes from tokens_sign_access; its row is keyed by
		 * the jti under a prefix, so the bare jti is no token. */
		t->access_jti = at;
		tokens_hash(app, arena_concat(arena, "jti:", at), t->access_hash);
	} else {
		t->access_token = at;
		tokens_hash(app, at, t->access_hash);
	}
	t->refresh_token = rt;
	if (rt != NULL)
		tokens_hash(app, rt, t->refresh_hash);
	for (int i = 0; i < 2; i++) {
		t->rows[i].grant_id = grant_id;
		t->rows[i].client_id = client_id;
		t->rows[i].created_at = now;
	}
	t->rows[0].token_hash = t->access_hash;
	t->rows[0].kind = STORE_TOKEN_ACCESS;
	t->rows[0].expires_at = now + cfg->ttl_access_token_secs;
	t->rows[1].token_hash = t->refresh_hash;
	t->rows[1].kind = STORE_TOKEN_REFRESH;
	t->rows[1].expires_at = now + cfg->ttl_refresh_token_secs;
	t->count = 1;
	/* A replayed code must still find its grant while any of its tokens lives. */
	t->used_expires_at = now + (cfg->ttl_refresh_token_secs > cfg->ttl_access_token_secs
	                                    ? cfg->ttl_refresh_token_secs
	                                    : cfg->ttl_access_token_secs);
	return ST_OK;
}

void
tokens_from_code(struct tokens_issue *t, const struct store_code *code, bool may_refresh)
{
	bool offline = claims_scope_has(code->scope, "offline_access") ||
	               claims_scope_has(code->scope, "offline");

	t->scope = code->scope;
	for (int i = 0; i < 2; i++) {
		struct store_token *r = &t->rows[i];

		r->user_id = code->user_id;
		r->sid = code->sid;
		r->scope = code->scope;
		r->auth_time = code->auth_time;
		r->acr = code->acr;
		r->amr = code->amr;
		r->claims = code->claims;
		r->session = code->session;
	}
	t->count = offline && may_refresh && t->refresh_token != NULL ? 2 : 1;
}

void
tokens_for_client(struct tokens_issue *t, const char *scope)
{
	t->scope = scope;
	t->rows[0].scope = scope;
	t->count = 1;
}

/* RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
static bool
is_scope_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

enum status
tokens_check_scope(struct arena *arena, const char *requested, const char *allowed,
                   const char **out)
{
	char *joined, *w;
	const char *s = requested != NULL ? requested : "";
	size_t n;

	joined = arena_alloc(arena, strlen(s) + 1);
	w = joined;
	while (*s != '\0') {
		char *word;

		if (*s == ' ') {
			s++;
			continue;
		}
		n = 0;
		while (s[n] != '\0' && s[n] != ' ') {
			if (!is_scope_char((unsigned char)s[n]))
				return ST_INVALID;
			n++;
		}
		word = arena_strndup(arena, s, n);
		if (!claims_scope_has(allowed, word))
			return ST_INVALID;
		*w = '\0';
		if (!claims_scope_has(joined, word)) {
			if (w != joined)
				*w++ = ' ';
			memcpy(w, s, n);
			w += n;
		}
		*w = '\0';
		s += n;
	}
	*w = '\0';
	*out = joined;
	return ST_OK;
}

json_t *
tokens_words(const char *list)
{
	json_t *arr = json_array();
	const char *s = list != NULL ? list : "";

	while (*s != '\0') {
		size_t n = strcspn(s, " ");

		if (n > 0)
			json_array_append_new(arr, json_stringn(s, n));
		s += n;
		s += strspn(s, " ");
	}
	return arr;
}

json_t *
tokens_amr_array(const char *amr)
{
	return amr == NULL || amr[0] == '\0' ? NULL : tokens_words(amr);
}

enum status
tokens_sign_access(const struct app *app, struct tokens_issue *t, const char *sub, int64_t now,
                   struct arena *arena, struct err *err)
{
	const struct store_token *row = &t->rows[0];
	json_t *claims, *header, *amr;
	char *payload, *jwt;
	enum status st;

	if (t->access_jti == NULL || t->access_token != NULL)
		return ST_OK;
	claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "iss", app->issuer, "sub",
	                   sub, "aud", row->client_id, "client_id", row->client_id, "scope",
	                   t->scope != NULL ? t->scope : "", "iat", (json_int_t)now, "exp",
	                   (json_int_t)row->expires_at, "jti", t->access_jti);
	if (row->user_id != NULL && row->auth_time != 0)
		json_object_set_new(claims, "auth_time", json_integer(row->auth_time));
	if (row->acr != NULL && row->acr[0] != '\0')
		json_object_set_new(claims, "acr", json_string(row->acr));
	amr = tokens_amr_array(row->amr);
	if (amr != NULL)
		json_object_set_new(claims, "amr", amr);
	payload = json_dumps(claims, JSON_COMPACT);
	json_decref(claims);
	header = json_pack("{s:s}", "typ", "at+jwt");
	st = keyring_sign(app->keyring, now, header, payload, strlen(payload), arena, &jwt, err);
	json_decref(header);
	free(payload);
	if (st == ST_OK)
		t->access_token = jwt;
	return st;
}

/* The jti of a JWT signed by one of our keys, or NULL. */
static const char *
own_jwt_jti(const struct app *app, const char *token, struct arena *arena)
{
	struct jwk *key = NULL;
	json_t *jwk, *claims;
	struct jws jws;
	struct err err;
	const char *jti = NULL;

	if (jws_parse(token, arena, &jws, &err) != ST_OK || jws.kid == NULL ||
	    (jwk = keyring_public_jwk(app->keyring, jws.kid)) == NULL)
		return NULL;
	if (jwk_import_public(jwk, &key, &err) == ST_OK &&
	    jws_verify(&jws, key, JWS_ALG_ALL, &err) == ST_OK) {
		claims = json_loadb((const char *)jws.payload, jws.payload_len, 0, NULL);
		if (json_is_string(json_object_get(claims, "jti")))
			jti = arena_strdup(arena,
			                   json_string_value(json_object_get(claims, "jti")));
		json_decref(claims);
	}
	jwk_free(key);
	json_decref(jwk);
	return jti;
}

/* What a presented token is stored under, before keying: "jti:" + the id of a
 * JWT this issuer signed, else the token itself. */
static const char *
lookup_text(const struct app *app, const char *token, struct arena *arena)
{
	const char *jti = NULL;

	/* Opaque tokens never hold a '.'; only JWTs are worth parsing. */
	if (strchr(token, '.') != NULL)
		jti = own_jwt_jti(app, token, arena);
	return jti != NULL ? arena_concat(arena, "jti:", jti) : token;
}

enum status
tokens_find_hash(const struct app *app, const char *token, struct arena *arena,
                 unsigned char out[STORE_HASH_LEN], struct err *err)
{
	const char *text = lookup_text(app, token, arena);
	unsigned char hash[STORE_HASH_LEN];
	struct store_token t;
	enum status st;
	size_t i;

	tokens_hash(app, text, out);
	if (app->cfg->secrets_system_count < 2)
		return ST_OK; /* no rotation: nothing to tell apart */
	for (i = 0; i < app->cfg->secrets_system_count; i++) {
		tokens_hash_at(app, i, text, hash);
		st = store_token_get(app->store, hash, arena, &t, err);
		if (st == ST_OK)
			memcpy(out, hash, STORE_HASH_LEN);
		if (st != ST_NOT_FOUND)
			return st;
	}
	return ST_OK;
}
