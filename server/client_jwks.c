/*
 * server/client_jwks.c — a private_key_jwt client's keys: registered jwks or
 * a cached jwks_uri. See client_jwks.h.
 *
 * API: client_jwks_verify, client_jwks_cache_clear.
 *
 * Invariants:
 *   - The cache is the one mutable global of the server layer: struct app
 *     is const for handlers and has no slot for it, and it holds nothing but
 *     public documents. One mutex guards it; no fetch runs under it, so a
 *     slow jwks_uri never stalls other clients (two requests may fetch the
 *     same URI at once; the later answer wins).
 *   - Entries are keyed by client id AND URI, so a client that changes its
 *     jwks_uri, or two clients naming one URI, never share a stale set.
 *   - At most one refetch per assertion, and only for a kid the set lacks.
 */
#include "server/client_jwks.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/xalloc.h"
#include "server/fetch.h"

/* At most this many keys of one set are tried against one assertion. */
#define TRY_MAX 8

struct cache_entry {
	char *client_id; /* NULL: free slot */
	char *uri;
	char *body; /* the JWK Set text */
	int64_t fetched_at;
};

static struct {
	pthread_mutex_t lock;
	struct cache_entry e[CLIENT_JWKS_CACHE_MAX];
} cache = {PTHREAD_MUTEX_INITIALIZER, {{NULL, NULL, NULL, 0}}};

static void
entry_clear(struct cache_entry *e)
{
	free(e->client_id);
	free(e->uri);
	free(e->body);
	memset(e, 0, sizeof *e);
}

void
client_jwks_cache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&cache.lock);
	for (i = 0; i < CLIENT_JWKS_CACHE_MAX; i++)
		entry_clear(&cache.e[i]);
	pthread_mutex_unlock(&cache.lock);
}

/* A fresh cached set of (client_id, uri), copied into the arena, or NULL. */
static char *
cache_get(const char *client_id, const char *uri, int64_t now, struct arena *arena)
{
	char *body = NULL;
	size_t i;

	pthread_mutex_lock(&cache.lock);
	for (i = 0; i < CLIENT_JWKS_CACHE_MAX; i++) {
		struct cache_entry *e = &cache.e[i];

		if (e->client_id == NULL || strcmp(e->client_id, client_id) != 0 ||
		    strcmp(e->uri, uri) != 0)
			continue;
		if (now - e->fetched_at >= 0 && now - e->fetched_at < CLIENT_JWKS_CACHE_SECS)
			body = arena_strdup(arena, e->body);
		break;
	}
	pthread_mutex_unlock(&cache.lock);
	return body;
}

/* Stores body for (client_id, uri): its own slot, a free one, or the oldest. */
static void
cache_put(const char *client_id, const char *uri, const char *body, int64_t now)
{
	struct cache_entry *slot = NULL;
	size_t i;

	pthread_mutex_lock(&cache.lock);
	for (i = 0; i < CLIENT_JWKS_CACHE_MAX; i++) {
		struct cache_entry *e = &cache.e[i];

		if (e->client_id != NULL && strcmp(e->client_id, client_id) == 0 &&
		    strcmp(e->uri, uri) == 0) {
			slot = e;
			break;
		}
		if (slot == NULL || (slot->client_id != NULL &&
		                     (e->client_id == NULL || e->fetched_at < slot->fetched_at)))
			slot = e;
	}
	entry_clear(slot);
	slot->client_id = xstrdup(client_id);
	slot->uri = xstrdup(uri);
	slot->body = xstrdup(body);
	slot->fetched_at = now;
	pthread_mutex_unlock(&cache.lock);
}

static bool
is_signing_key(const json_t *k)
{
	const char *use = json_string_value(json_object_get(k, "use"));

	return json_is_object(k) && (use == NULL || strcmp(use, "sig") == 0);
}

/* Imports k and verifies with it; ST_INVALID when either fails. */
static enum status
verify_with(const json_t *k, const struct jws *jws, unsigned allowed_algs, struct err *err)
{
	struct jwk *key = NULL;
	enum status st;

	st = jwk_import_public(k, &key, err);
	if (st != ST_OK)
		return ERR_SET(err, ST_INVALID, "client key: %s", "not a usable public key");
	st = jws_verify(jws, key, allowed_algs, err);
	jwk_free(key);
	return st == ST_OK ? ST_OK : ST_INVALID;
}

/*
 * Verifies jws with the key set (a JWK Set object). ST_NOT_FOUND when no key
 * answers to the header's kid (the caller may refetch), ST_INVALID when the
 * keys chosen do not verify it.
 */
static enum status
verify_with_set(const json_t *set, const struct jws *jws, unsigned allowed_algs, struct err *err)
{
	const json_t *keys = json_object_get(set, "keys"), *k, *only = NULL;
	size_t i, signing = 0, tried = 0;
	enum status st;

	if (!json_is_array(keys))
		return ERR_SET(err, ST_INVALID, "the client's keys are not a JWK Set");
	json_array_foreach(keys, i, k)
	{
		if (!is_signing_key(k))
			continue;
		signing++;
		only = k;
		if (jws->kid != NULL &&
		    (!json_is_string(json_object_get(k, "kid")) ||
		     strcmp(json_string_value(json_object_get(k, "kid")), jws->kid) != 0))
			continue;
		if (tried++ == TRY_MAX)
			break;
		if (verify_with(k, jws, allowed_algs, err) == ST_OK)
			return ST_OK;
	}
	if (tried > 0)
		return ERR_SET(err, ST_INVALID,
		               "client_assertion: the signature does not verify with the client's"
		               " key (or its alg is not allowed)");
	/* A single key without kid is the key, whatever kid the header names. */
	if (signing == 1 && json_object_get(only, "kid") == NULL) {
		st = verify_with(only, jws, allowed_algs, err);
		if (st == ST_OK)
			return ST_OK;
		return ERR_SET(err, ST_INVALID,
		               "client_assertion: the signature does not verify with the client's"
		               " key (or its alg is not allowed)");
	}
	if (signing == 0)
		return ERR_SET(err, ST_INVALID, "the client has no signing keys");
	return ERR_SET(err, ST_NOT_FOUND, "client_assertion: no client key has this kid");
}

/* GETs the client's jwks_uri and caches the text; ST_INVALID on any failure. */
static enum status
fetch_set(const struct app *app, const char *client_id, const char *uri, int64_t now,
          struct arena *arena, char **body, struct err *err)
{
	struct fetch_opts fo = {app->cfg->http_client_ca_file};
	size_t len = 0;
	enum status st;

	st = fetch_https(&fo, uri, arena, body, &len, err);
	if (st != ST_OK)
		/* The client's endpoint failed: its authentication fails (invalid_client). */
		return ERR_SET(err, ST_INVALID, "the client's jwks_uri could not be fetched");
	if (strlen(*body) != len)
		return ERR_SET(err, ST_INVALID, "the client's jwks_uri answered a NUL byte");
	cache_put(client_id, uri, *body, now);
	return ST_OK;
}

static enum status
verify_with_text(const char *body, const struct jws *jws, unsigned allowed_algs, struct err *err)
{
	json_t *set = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
	enum status st;

	if (!json_is_object(set))
		st = ERR_SET(err, ST_INVALID, "the client's jwks_uri is not a JWK Set");
	else
		st = verify_with_set(set, jws, allowed_algs, err);
	json_decref(set);
	return st;
}

enum status
client_jwks_verify(const struct app *app, const char *client_id, const json_t *doc,
                   const struct jws *jws, unsigned allowed_algs, struct arena *arena,
                   struct err *err)
{
	const json_t *jwks = json_object_get(doc, "jwks");
	const char *uri = json_string_value(json_object_get(doc, "jwks_uri"));
	int64_t now = clock_now(&app->clock);
	char *body;
	enum status st;

	if (json_is_object(jwks) && json_object_get(jwks, "keys") != NULL) {
		st = verify_with_set(jwks, jws, allowed_algs, err);
		if (st == ST_NOT_FOUND)
			err->st = st = ST_INVALID; /* nothing to refetch: the message stands */
		return st;
	}
	if (uri == NULL)
		return ERR_SET(err, ST_INVALID, "the client has neither jwks nor jwks_uri");
	body = cache_get(client_id, uri, now, arena);
	if (body == NULL) {
		st = fetch_set(app, client_id, uri, now, arena, &body, err);
		if (st != ST_OK)
			return st;
		st = verify_with_text(body, jws, allowed_algs, err);
	} else {
		st = verify_with_text(body, jws, allowed_algs, err);
		/* An unknown kid: the client may have rotated its keys. Fetch once more. */
		if (st == ST_NOT_FOUND) {
			st = fetch_set(app, client_id, uri, now, arena, &body, err);
			if (st == ST_OK)
				st = verify_with_text(body, jws, allowed_algs, err);
		}
	}
	if (st == ST_NOT_FOUND)
		st = ERR_SET(err, ST_INVALID, "client_assertion: no client key has this kid");
	return st;
}
