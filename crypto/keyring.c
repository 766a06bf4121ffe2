/*
 * crypto/keyring.c — the signing keys, and the only place private keys live.
 *
 * API (crypto/keyring.h): keyring_new/free; keyring_add_sealed (keys loaded
 * from storage) and keyring_generate (new keys, handed back sealed for
 * storage); keyring_sign; keyring_jwks / keyring_public_jwk / keyring_list
 * for publication and inspection.
 *
 * Invariants:
 *   - keys[] is sorted by (usable_from, created_at, kid) ascending, so the
 *     signing key at t is the last entry with usable_from <= t, and the key
 *     that took over from entry i is entry i + 1.
 *   - Every kid appears once. Private keys never leave this file: callers get
 *     signatures and public JWKs only.
 *   - The secrets are private heap copies, wiped in keyring_free.
 *   - lock (a pointer, so const readers can take it) guards keys[]; the
 *     struct jwk objects themselves are immutable once added.
 *
 * Status of entry i at now (keyring.h): next while usable_from > now;
 * retired from its successor's usable_from s (once s <= now) until
 * s + max_token_ttl_secs, expired after; active otherwise.
 */
#include "crypto/keyring.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "crypto/seal.h"
#include "crypto/secret.h"

struct keyring_entry {
	struct jwk *key; /* private, owned */
	char kid[64];
	unsigned alg;
	int64_t created_at;
	int64_t usable_from;
};

struct keyring {
	pthread_rwlock_t *lock;
	struct keyring_entry *keys;
	size_t nkeys;
	size_t cap;
	char **secrets;
	size_t nsecrets;
	int64_t max_token_ttl_secs;
};

struct keyring *
keyring_new(const char *const *secrets, size_t nsecrets, int64_t max_token_ttl_secs)
{
	struct keyring *kr = xcalloc(1, sizeof *kr);
	size_t i;

	kr->lock = xmalloc(sizeof *kr->lock);
	if (pthread_rwlock_init(kr->lock, NULL) != 0)
		abort(); /* only fails for lack of memory, which aborts everywhere */
	kr->secrets = xcalloc(nsecrets + 1, sizeof *kr->secrets);
	for (i = 0; i < nsecrets; i++)
		kr->secrets[i] = xstrdup(secrets[i]);
	kr->nsecrets = nsecrets;
	kr->max_token_ttl_secs = max_token_ttl_secs;
	return kr;
}

void
keyring_free(struct keyring *kr)
{
	size_t i;

	if (kr == NULL)
		return;
	for (i = 0; i < kr->nkeys; i++)
		jwk_free(kr->keys[i].key);
	free(kr->keys);
	for (i = 0; i < kr->nsecrets; i++) {
		secret_wipe(kr->secrets[i], strlen(kr->secrets[i]));
		free(kr->secrets[i]);
	}
	free(kr->secrets);
	pthread_rwlock_destroy(kr->lock);
	free(kr->lock);
	free(kr);
}

static void
rdlock(const struct keyring *kr)
{
	if (pthread_rwlock_rdlock(kr->lock) != 0)
		abort(); /* EDEADLK/EAGAIN: a programming error */
}

static void
wrlock(const struct keyring *kr)
{
	if (pthread_rwlock_wrlock(kr->lock) != 0)
		abort();
}

static void
unlock(const struct keyring *kr)
{
	pthread_rwlock_unlock(kr->lock);
}

/* Sort order of keys[]: usable_from, then created_at, then kid. */
static int
entry_cmp(const struct keyring_entry *a, const struct keyring_entry *b)
{
	if (a->usable_from != b->usable_from)
		return a->usable_from < b->usable_from ? -1 : 1;
	if (a->created_at != b->created_at)
		return a->created_at < b->created_at ? -1 : 1;
	return strcmp(a->kid, b->kid);
}

/* Index of kid, or nkeys. Caller holds the lock. */
static size_t
find_kid(const struct keyring *kr, const char *kid)
{
	size_t i;

	for (i = 0; i < kr->nkeys; i++)
		if (strcmp(kr->keys[i].kid, kid) == 0)
			return i;
	return kr->nkeys;
}

/* Inserts e keeping keys[] sorted; takes ownership of e->key. Caller holds the write lock. */
static void
insert_sorted(struct keyring *kr, const struct keyring_entry *e)
{
	size_t pos = kr->nkeys;

	if (kr->nkeys == kr->cap) {
		kr->cap = kr->cap != 0 ? 2 * kr->cap : 4;
		kr->keys = xrealloc(kr->keys, kr->cap * sizeof *kr->keys);
	}
	while (pos > 0 && entry_cmp(&kr->keys[pos - 1], e) > 0)
		pos--;
	memmove(&kr->keys[pos + 1], &kr->keys[pos], (kr->nkeys - pos) * sizeof *kr->keys);
	kr->keys[pos] = *e;
	kr->nkeys++;
}

/* The signing entry at now: the last with usable_from <= now, or -1. Caller holds the lock. */
static long
signing_index(const struct keyring *kr, int64_t now)
{
	size_t i = kr->nkeys;

	while (i > 0) {
		if (kr->keys[i - 1].usable_from <= now)
			return (long)(i - 1);
		i--;
	}
	return -1;
}

/* Status of keys[i] at now; *published_until as in struct keyring_key_info. */
static enum keyring_key_status
entry_status(const struct keyring *kr, size_t i, int64_t now, int64_t *published_until)
{
	int64_t took_over;

	*published_until = 0;
	if (kr->keys[i].usable_from > now)
		return KEYRING_NEXT;
	if (i + 1 == kr->nkeys || kr->keys[i + 1].usable_from > now)
		return KEYRING_ACTIVE;
	/* Tokens signed just before took_over live up to max_token_ttl_secs more. */
	took_over = kr->keys[i + 1].usable_from;
	*published_until = took_over + kr->max_token_ttl_secs;
	return now < *published_until ? KEYRING_RETIRED : KEYRING_EXPIRED;
}

static bool
is_valid_kid(const char *kid)
{
	size_t len;

	if (kid == NULL)
		return false;
	len = strnlen(kid, sizeof((struct keyring_entry *)NULL)->kid);
	return len > 0 && len < sizeof((struct keyring_entry *)NULL)->kid;
}

static bool
has_kid(const struct keyring *kr, const char *kid)
{
	bool found;

	rdlock(kr);
	found = find_kid(kr, kid) < kr->nkeys;
	unlock(kr);
	return found;
}

/*
 * Adds key under kid unless the kid is present (then frees key). Takes
 * ownership of key in both cases.
 */
static void
add_entry(struct keyring *kr, struct jwk *key, const char *kid, unsigned alg, int64_t created_at,
          int64_t usable_from)
{
	struct keyring_entry e = {
	        .key = key, .alg = alg, .created_at = created_at, .usable_from = usable_from};

	assert(is_valid_kid(kid));
	memcpy(e.kid, kid, strlen(kid) + 1);
	wrlock(kr);
	if (find_kid(kr, kid) < kr->nkeys)
		jwk_free(key); /* a concurrent add won the race; it holds the same key */
	else
		insert_sorted(kr, &e);
	unlock(kr);
}

enum status
keyring_add_sealed(struct keyring *kr, const char *kid, unsigned alg, int64_t created_at,
                   int64_t usable_from, const unsigned char *sealed, size_t sealed_len,
                   struct err *err)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	struct jwk *key = NULL;
	struct err inner = {0};
	enum status st;

	if (!is_valid_kid(kid))
		return ERR_SET(err, ST_INVALID, "key id empty or longer than 63 bytes");
	if (jws_alg_name(alg) == NULL)
		return ERR_SET(err, ST_INVALID, "key %s: not one known alg", kid);
	if (has_kid(kr, kid))
		return ST_OK;

	/* The kid is the aad: a sealed blob cannot be moved to another row. */
	st = seal_decrypt((const char *const *)kr->secrets, kr->nsecrets, kid, sealed, sealed_len,
	                  &der, &der_len, &inner);
	if (st != ST_OK) {
		st = ERR_SET(err, st, "key %s: %s", kid, inner.msg);
		goto out;
	}
	st = jwk_private_from_der(der, der_len, alg, &key, err);
	if (st != ST_OK)
		goto out;
	jwk_set_kid(key, kid);
	add_entry(kr, key, kid, alg, created_at, usable_from);
	key = NULL;
out:
	seal_free_plain(der, der_len);
	jwk_free(key);
	return st;
}

enum status
keyring_reseal(const struct keyring *kr, const char *kid, const unsigned char *sealed,
               size_t sealed_len, unsigned char **resealed, size_t *resealed_len, struct err *err)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	struct err inner = {0};
	enum status st;

	*resealed = NULL;
	*resealed_len = 0;
	st = seal_decrypt((const char *const *)kr->secrets, 1, kid, sealed, sealed_len, &der,
	                  &der_len, &inner);
	if (st == ST_OK)
		goto out; /* sealed under the current secret already */
	st = seal_decrypt((const char *const *)kr->secrets, kr->nsecrets, kid, sealed, sealed_len,
	                  &der, &der_len, &inner);
	if (st != ST_OK) {
		st = ERR_SET(err, st, "key %s: %s", kid, inner.msg);
		goto out;
	}
	st = seal_encrypt(kr->secrets[0], kid, der, der_len, resealed, resealed_len, err);
out:
	seal_free_plain(der, der_len);
	return st;
}

/* Heap copy of the compact JSON text of json. */
static char *
dump_heap(const json_t *json)
{
	size_t len = json_dumpb(json, NULL, 0, JSON_COMPACT);
	char *text = xmalloc(len + 1);

	json_dumpb(json, text, len, JSON_COMPACT);
	text[len] = '\0';
	return text;
}

/*
 * Seals key (private, kid = its thumbprint) under secrets[0], adds it and
 * describes it in *out. Takes ownership of key.
 */
static enum status
add_new(struct keyring *kr, struct jwk *key, unsigned alg, int64_t now, int64_t usable_from,
        struct keyring_sealed *out, struct err *err)
{
	struct keyring_sealed s = {0};
	unsigned char *der = NULL;
	size_t der_len = 0;
	json_t *pub = NULL;
	enum status st;

	/* RFC 7638 §1: the thumbprint as kid; jwk_generate and jwk_private_from_pem set it. */
	if (!is_valid_kid(jwk_kid(key))) {
		st = ERR_SET(err, ST_CRYPTO, "new key has no usable kid");
		goto out;
	}
	memcpy(s.kid, jwk_kid(key), strlen(jwk_kid(key)) + 1);
	st = jwk_private_to_der(key, &der, &der_len, err);
	if (st != ST_OK)
		goto out;
	st = seal_encrypt(kr->secrets[0], s.kid, der, der_len, &s.sealed, &s.sealed_len, err);
	if (st != ST_OK)
		goto out;
	pub = jwk_to_public_json(key);
	if (pub == NULL) {
		st = ERR_SET(err, ST_CRYPTO, "key %s: public JWK export failed", s.kid);
		goto out;
	}
	s.public_jwk = dump_heap(pub);
	s.alg = alg;
	s.created_at = now;
	s.usable_from = usable_from;
	add_entry(kr, key, s.kid, alg, now, usable_from);
	key = NULL;
	*out = s;
	memset(&s, 0, sizeof s);
	st = ST_OK;
out:
	keyring_sealed_clear(&s);
	json_decref(pub);
	if (der != NULL) {
		secret_wipe(der, der_len);
		free(der);
	}
	jwk_free(key);
	return st;
}

enum status
keyring_generate(struct keyring *kr, unsigned alg, unsigned rsa_bits, int64_t now,
                 int64_t usable_from, struct keyring_sealed *out, struct err *err)
{
	struct jwk *key = NULL;
	enum status st;

	if (kr->nsecrets == 0)
		return ERR_SET(err, ST_INVALID, "no system secret to seal the key with");
	st = jwk_generate(alg, rsa_bits, &key, err);
	if (st != ST_OK)
		return st;
	return add_new(kr, key, alg, now, usable_from, out, err);
}

enum status
keyring_import_pem(struct keyring *kr, unsigned alg, const char *pem, size_t pem_len, int64_t now,
                   int64_t usable_from, struct keyring_sealed *out, struct err *err)
{
	struct jwk *key = NULL;
	enum status st;

	if (kr->nsecrets == 0)
		return ERR_SET(err, ST_INVALID, "no system secret to seal the key with");
	st = jwk_private_from_pem(pem, pem_len, alg, &key, err);
	if (st != ST_OK)
		return st;
	if (has_kid(kr, jwk_kid(key))) {
		jwk_free(key);
		return ERR_SET(err, ST_CONFLICT, "the key is already in the keyring");
	}
	return add_new(kr, key, alg, now, usable_from, out, err);
}

void
keyring_sealed_clear(struct keyring_sealed *s)
{
	if (s == NULL)
		return;
	free(s->sealed);
	free(s->public_jwk);
	memset(s, 0, sizeof *s);
}

size_t
keyring_count(const struct keyring *kr)
{
	size_t n;

	rdlock(kr);
	n = kr->nkeys;
	unlock(kr);
	return n;
}

bool
keyring_can_sign(const struct keyring *kr, int64_t now)
{
	return keyring_signing_alg(kr, now) != 0;
}

unsigned
keyring_signing_alg(const struct keyring *kr, int64_t now)
{
	unsigned alg = 0;
	long i;

	rdlock(kr);
	i = signing_index(kr, now);
	if (i >= 0)
		alg = kr->keys[i].alg;
	unlock(kr);
	return alg;
}

enum status
keyring_sign(struct keyring *kr, int64_t now, const json_t *extra_header, const void *payload,
             size_t payload_len, struct arena *arena, char **out, struct err *err)
{
	const struct keyring_entry *e;
	enum status st;
	long i;

	rdlock(kr);
	i = signing_index(kr, now);
	if (i < 0) {
		st = ERR_SET(err, ST_NOT_FOUND, "no signing key usable yet");
		goto out;
	}
	e = &kr->keys[i];
	st = jws_sign(e->key, e->alg, extra_header, payload, payload_len, arena, out, err);
out:
	unlock(kr);
	return st;
}

json_t *
keyring_jwks(const struct keyring *kr, int64_t now)
{
	json_t *keys = json_array();
	int64_t until;
	json_t *jwk;
	size_t i;

	rdlock(kr);
	/* Newest first: the reverse of the sort order. */
	for (i = kr->nkeys; i > 0; i--) {
		if (entry_status(kr, i - 1, now, &until) == KEYRING_EXPIRED)
			continue;
		jwk = jwk_to_public_json(kr->keys[i - 1].key);
		if (jwk != NULL)
			json_array_append_new(keys, jwk);
	}
	unlock(kr);
	return json_pack("{s:o}", "keys", keys);
}

json_t *
keyring_public_jwk(const struct keyring *kr, const char *kid)
{
	json_t *jwk = NULL;
	size_t i;

	rdlock(kr);
	i = find_kid(kr, kid);
	if (i < kr->nkeys)
		jwk = jwk_to_public_json(kr->keys[i].key);
	unlock(kr);
	return jwk;
}

size_t
keyring_list(const struct keyring *kr, int64_t now, struct keyring_key_info *out, size_t max)
{
	struct keyring_key_info *info;
	const struct keyring_entry *e;
	size_t i, n, filled = 0;

	rdlock(kr);
	n = kr->nkeys;
	for (i = n; i > 0 && filled < max; i--) {
		e = &kr->keys[i - 1];
		info = &out[filled++];
		memset(info, 0, sizeof *info);
		memcpy(info->kid, e->kid, sizeof info->kid);
		info->alg = e->alg;
		info->created_at = e->created_at;
		info->usable_from = e->usable_from;
		info->status = entry_status(kr, i - 1, now, &info->published_until);
	}
	unlock(kr);
	return n;
}

const char *
keyring_status_str(enum keyring_key_status st)
{
	switch (st) {
	case KEYRING_NEXT:
		return "next";
	case KEYRING_ACTIVE:
		return "active";
	case KEYRING_RETIRED:
		return "retired";
	case KEYRING_EXPIRED:
		return "expired";
	}
	return "unknown";
}
