/*
 * crypto/keyring_test.c — key generation, signing, the next/active/retired/
 * expired life cycle at explicit times, JWKS publication, and sealed keys
 * moving between keyrings under one or several system secrets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/arena.h"
#include "crypto/jws.h"
#include "crypto/keyring.h"

#define TTL 600

static const char *const secret_a[] = {"test-secret-a-0123456789abcdef"};
static const char *const secret_b[] = {"test-secret-b-0123456789abcdef"};
/* Rotation: a new first secret, the old one still listed. */
static const char *const secret_ba[] = {"test-secret-b-0123456789abcdef",
                                        "test-secret-a-0123456789abcdef"};

/* Generates a key and frees the sealed copy unless out is given. */
static void
generate(struct keyring *kr, unsigned alg, int64_t now, int64_t usable_from,
         struct keyring_sealed *out)
{
	struct keyring_sealed s;
	struct err err = {0};

	assert_int_equal(keyring_generate(kr, alg, 2048, now, usable_from, &s, &err), ST_OK);
	if (out != NULL)
		*out = s;
	else
		keyring_sealed_clear(&s);
}

/* Verifies compact with the public JWK kr publishes for the header's kid; returns that kid. */
static const char *
verify_with_published_key(const struct keyring *kr, struct arena *arena, const char *compact)
{
	struct jws jws;
	struct jwk *key = NULL;
	struct err err = {0};
	json_t *pub;

	assert_int_equal(jws_parse(compact, arena, &jws, &err), ST_OK);
	assert_non_null(jws.kid);
	pub = keyring_public_jwk(kr, jws.kid);
	assert_non_null(pub);
	assert_int_equal(jwk_import_public(pub, &key, &err), ST_OK);
	assert_int_equal(jws_verify(&jws, key, JWS_ALG_ALL, &err), ST_OK);
	json_decref(pub);
	jwk_free(key);
	return jws.kid;
}

/* Whether the JWKS at now lists kid. */
static bool
jwks_has(const struct keyring *kr, int64_t now, const char *kid)
{
	json_t *jwks = keyring_jwks(kr, now), *k;
	size_t i;
	bool found = false;

	json_array_foreach(json_object_get(jwks, "keys"), i,
	                   k) if (strcmp(json_string_value(json_object_get(k, "kid")), kid) == 0)
	        found = true;
	json_decref(jwks);
	return found;
}

static void
test_generated_key_signs_and_verifies(void **state)
{
	struct keyring *kr = keyring_new(secret_a, 1, TTL);
	struct arena *arena = arena_new();
	json_t *extra = json_pack("{s:s}", "typ", "JWT"), *pub;
	struct keyring_sealed s;
	struct err err = {0};
	char *out = NULL;

	(void)state;
	generate(kr, JWS_ALG_ES256, 1000, 1000, &s);
	assert_int_equal(strlen(s.kid), 43); /* RFC 7638 thumbprint */
	assert_int_equal(s.alg, JWS_ALG_ES256);
	assert_int_equal(s.created_at, 1000);
	assert_int_equal(s.usable_from, 1000);
	assert_non_null(s.sealed);
	assert_true(s.sealed_len > 0);
	pub = json_loads(s.public_jwk, 0, NULL);
	assert_non_null(pub);
	assert_string_equal(json_string_value(json_object_get(pub, "kid")), s.kid);
	assert_null(json_object_get(pub, "d"));
	assert_int_equal(keyring_count(kr), 1);

	assert_false(keyring_can_sign(kr, 999));
	assert_int_equal(keyring_sign(kr, 999, NULL, "x", 1, arena, &out, &err), ST_NOT_FOUND);
	assert_true(keyring_can_sign(kr, 1000));
	assert_int_equal(keyring_signing_alg(kr, 1000), JWS_ALG_ES256);
	assert_int_equal(keyring_sign(kr, 1000, extra, "{}", 2, arena, &out, &err), ST_OK);
	assert_string_equal(verify_with_published_key(kr, arena, out), s.kid);

	json_decref(pub);
	json_decref(extra);
	keyring_sealed_clear(&s);
	assert_null(s.sealed);
	arena_free(arena);
	keyring_free(kr);
}

static void
test_rsa_key_signs_rs256(void **state)
{
	struct keyring *kr = keyring_new(secret_a, 1, TTL);
	struct arena *arena = arena_new();
	struct err err = {0};
	char *out = NULL;
	json_t *jwks;

	(void)state;
	generate(kr, JWS_ALG_RS256, 10, 10, NULL);
	assert_int_equal(keyring_sign(kr, 10, NULL, "{}", 2, arena, &out, &err), ST_OK);
	verify_with_published_key(kr, arena, out);
	jwks = keyring_jwks(kr, 10);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(jwks, "keys"), 0), "alg")),
	                    "RS256");
	json_decref(jwks);
	arena_free(arena);
	keyring_free(kr);
}

/* Looks up kid's entry in keyring_list at now. */
static struct keyring_key_info
info_of(const struct keyring *kr, int64_t now, const char *kid)
{
	struct keyring_key_info list[8];
	size_t n = keyring_list(kr, now, list, 8), i;

	for (i = 0; i < n && i < 8; i++)
		if (strcmp(list[i].kid, kid) == 0)
			return list[i];
	fail_msg("kid %s not listed", kid);
	return list[0];
}

static void
test_status_moves_next_active_retired_expired(void **state)
{
	struct keyring *kr = keyring_new(secret_a, 1, TTL);
	struct keyring_sealed a, b;
	struct keyring_key_info list[4];
	char kid_a[64], kid_b[64];

	(void)state;
	/* A signs from 1000; B is created at 2000, published at once, signs from 3000. */
	generate(kr, JWS_ALG_EDDSA, 1000, 1000, &a);
	generate(kr, JWS_ALG_ES256, 2000, 3000, &b);
	memcpy(kid_a, a.kid, sizeof kid_a);
	memcpy(kid_b, b.kid, sizeof kid_b);
	keyring_sealed_clear(&a);
	keyring_sealed_clear(&b);

	assert_int_equal(info_of(kr, 2500, kid_a).status, KEYRING_ACTIVE);
	assert_int_equal(info_of(kr, 2500, kid_b).status, KEYRING_NEXT);
	assert_int_equal(info_of(kr, 2500, kid_b).published_until, 0);
	assert_true(jwks_has(kr, 2500, kid_b));
	assert_int_equal(keyring_signing_alg(kr, 2999), JWS_ALG_EDDSA);

	/* At s = 3000 B takes over; A stays published until s + TTL. */
	assert_int_equal(keyring_signing_alg(kr, 3000), JWS_ALG_ES256);
	assert_int_equal(info_of(kr, 3000, kid_a).status, KEYRING_RETIRED);
	assert_int_equal(info_of(kr, 3000, kid_a).published_until, 3000 + TTL);
	assert_int_equal(info_of(kr, 3000, kid_b).status, KEYRING_ACTIVE);
	assert_true(jwks_has(kr, 3000 + TTL - 1, kid_a));
	assert_int_equal(info_of(kr, 3000 + TTL, kid_a).status, KEYRING_EXPIRED);
	assert_false(jwks_has(kr, 3000 + TTL, kid_a));
	assert_true(jwks_has(kr, 3000 + TTL, kid_b));

	/* Newest first; the count includes expired keys. */
	assert_int_equal(keyring_list(kr, 5000, list, 4), 2);
	assert_string_equal(list[0].kid, kid_b);
	assert_string_equal(list[1].kid, kid_a);
	assert_int_equal(list[1].created_at, 1000);
	assert_int_equal(list[1].usable_from, 1000);
	assert_int_equal(list[1].alg, JWS_ALG_EDDSA);
	assert_int_equal(keyring_list(kr, 5000, list, 1), 2);
	assert_string_equal(list[0].kid, kid_b);
	keyring_free(kr);
}

static void
test_jwks_lists_published_keys_newest_first(void **state)
{
	struct keyring *kr = keyring_new(secret_a, 1, TTL);
	struct keyring_sealed a, b;
	json_t *jwks, *keys;

	(void)state;
	generate(kr, JWS_ALG_ES256, 100, 100, &a);
	generate(kr, JWS_ALG_EDDSA, 200, 300, &b);
	jwks = keyring_jwks(kr, 250);
	assert_int_equal(json_object_size(jwks), 1);
	keys = json_object_get(jwks, "keys");
	assert_int_equal(json_array_size(keys), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 0), "kid")),
	                    b.kid);
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 1), "kid")),
	                    a.kid);
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 1), "use")),
	                    "sig");
	json_decref(jwks);
	keyring_sealed_clear(&a);
	keyring_sealed_clear(&b);
	keyring_free(kr);
}

static void
test_signing_key_tie_goes_to_newest(void **state)
{
	struct keyring *kr = keyring_new(secret_a, 1, TTL);
	struct arena *arena = arena_new();
	struct keyring_sealed old, newer;
	struct err err = {0};
	char *out = NULL;

	(void)state;
	generate(kr, JWS_ALG_ES256, 900, 1000, &newer); /* created later ... */
	generate(kr, JWS_ALG_EDDSA, 800, 1000, &old);   /* ... than this one */
	assert_int_equal(keyring_signing_alg(kr, 1000), JWS_ALG_ES256);
	assert_int_equal(keyring_sign(kr, 1000, NULL, "{}", 2, arena, &out, &err), ST_OK);
	assert_string_equal(verify_with_published_key(kr, arena, out), newer.kid);
	assert_int_equal(info_of(kr, 1000, old.kid).status, KEYRING_RETIRED);
	keyring_sealed_clear(&old);
	keyring_sealed_clear(&newer);
	arena_free(arena);
	keyring_free(kr);
}

static void
test_sealed_key_opens_in_another_keyring(void **state)
{
	struct keyring *kr1 = keyring_new(secret_a, 1, TTL);
	struct keyring *kr2 = keyring_new(secret_a, 1, TTL);
	struct arena *arena = arena_new();
	struct keyring_sealed s;
	struct err err = {0};
	char *out = NULL;

	(void)state;
	generate(kr1, JWS_ALG_ES256, 50, 60, &s);
	assert_int_equal(keyring_add_sealed(kr2, s.kid, s.alg, s.created_at, s.usable_from,
	                                    s.sealed, s.sealed_len, &err),
	                 ST_OK);
	assert_int_equal(keyring_count(kr2), 1);
	/* Idempotent per kid. */
	assert_int_equal(keyring_add_sealed(kr2, s.kid, s.alg, s.created_at, s.usable_from,
	                                    s.sealed, s.sealed_len, &err),
	                 ST_OK);
	assert_int_equal(keyring_count(kr2), 1);
	assert_int_equal(info_of(kr2, 55, s.kid).status, KEYRING_NEXT);
	/* kr2 signs; kr1's published key verifies it. */
	assert_int_equal(keyring_sign(kr2, 60, NULL, "{}", 2, arena, &out, &err), ST_OK);
	assert_string_equal(verify_with_published_key(kr1, arena, out), s.kid);
	keyring_sealed_clear(&s);
	arena_free(arena);
	keyring_free(kr1);
	keyring_free(kr2);
}

static void
test_wrong_secret_is_a_crypto_error_naming_the_kid(void **state)
{
	struct keyring *kr1 = keyring_new(secret_a, 1, TTL);
	struct keyring *kr2 = keyring_new(secret_b, 1, TTL);
	struct keyring_sealed s;
	struct err err = {0};

	(void)state;
	generate(kr1, JWS_ALG_EDDSA, 1, 1, &s);
	assert_int_equal(keyring_add_sealed(kr2, s.kid, s.alg, s.created_at, s.usable_from,
	                                    s.sealed, s.sealed_len, &err),
	                 ST_CRYPTO);
	assert_non_null(strstr(err.msg, s.kid));
	assert_null(strstr(err.msg, "test-secret"));
	assert_int_equal(keyring_count(kr2), 0);
	keyring_sealed_clear(&s);
	keyring_free(kr1);
	keyring_free(kr2);
}

static void
test_sealed_blob_is_bound_to_its_kid(void **state)
{
	struct keyring *kr1 = keyring_new(secret_a, 1, TTL);
	struct keyring *kr2 = keyring_new(secret_a, 1, TTL);
	struct keyring_sealed s;
	struct err err = {0};

	(void)state;
	generate(kr1, JWS_ALG_EDDSA, 1, 1, &s);
	assert_int_equal(keyring_add_sealed(kr2, "some-other-kid", s.alg, s.created_at,
	                                    s.usable_from, s.sealed, s.sealed_len, &err),
	                 ST_CRYPTO);
	/* The blob opens, but an Ed25519 key cannot be an ES256 key. */
	assert_int_equal(keyring_add_sealed(kr2, s.kid, JWS_ALG_ES256, s.created_at, s.usable_from,
	                                    s.sealed, s.sealed_len, &err),
	                 ST_INVALID);
	assert_int_equal(keyring_add_sealed(kr2, "", s.alg, s.created_at, s.usable_from, s.sealed,
	                                    s.sealed_len, &err),
	                 ST_INVALID);
	assert_int_equal(keyring_add_sealed(kr2, s.kid, 0, s.created_at, s.usable_from, s.sealed,
	                                    s.sealed_len, &err),
	                 ST_INVALID);
	assert_int_equal(keyring_count(kr2), 0);
	keyring_sealed_clear(&s);
	keyring_free(kr1);
	keyring_free(kr2);
}

static void
test_second_secret_opens_keys_sealed_with_it(void **state)
{
	struct keyring *old = keyring_new(secret_a, 1, TTL);
	struct keyring *rotated = keyring_new(secret_ba, 2, TTL);
	struct keyring *fresh = keyring_new(secret_b, 1, TTL);
	struct keyring_sealed s, t;
	struct err err = {0};

	(void)state;
	generate(old, JWS_ALG_ES256, 1, 1, &s);
	assert_int_equal(keyring_add_sealed(rotated, s.kid, s.alg, s.created_at, s.usable_from,
	                                    s.sealed, s.sealed_len, &err),
	                 ST_OK);
	/* New keys are sealed with the first secret only. */
	generate(rotated, JWS_ALG_ES256, 2, 2, &t);
	assert_int_equal(keyring_add_sealed(fresh, t.kid, t.alg, t.created_at, t.usable_from,
	                                    t.sealed, t.sealed_len, &err),
	                 ST_OK);
	assert_int_equal(keyring_add_sealed(old, t.kid, t.alg, t.created_at, t.usable_from,
	                                    t.sealed, t.sealed_len, &err),
	                 ST_CRYPTO);
	keyring_sealed_clear(&s);
	keyring_sealed_clear(&t);
	keyring_free(old);
	keyring_free(rotated);
	keyring_free(fresh);
}

/* A rotation: a key sealed under A is resealed under B, which alone then opens it. */
static void
test_reseal_moves_keys_to_the_first_secret(void **state)
{
	struct keyring *old = keyring_new(secret_a, 1, TTL);
	struct keyring *rotated = keyring_new(secret_ba, 2, TTL);
	struct keyring *fresh = keyring_new(secret_b, 1, TTL);
	struct keyring_sealed s;
	unsigned char *blob = NULL, *again = NULL;
	size_t len = 0, again_len = 1;
	struct err err = {0};

	(void)state;
	generate(old, JWS_ALG_ES256, 1, 1, &s);
	/* under B alone it does not open; resealed by "B A", it does */
	assert_int_equal(keyring_add_sealed(fresh, s.kid, s.alg, s.created_at, s.usable_from,
	                                    s.sealed, s.sealed_len, &err),
	                 ST_CRYPTO);
	assert_int_equal(keyring_reseal(rotated, s.kid, s.sealed, s.sealed_len, &blob, &len, &err),
	                 ST_OK);
	assert_non_null(blob);
	assert_int_equal(keyring_add_sealed(fresh, s.kid, s.alg, s.created_at, s.usable_from, blob,
	                                    len, &err),
	                 ST_OK);
	/* already under the first secret: nothing to do */
	assert_int_equal(keyring_reseal(rotated, s.kid, blob, len, &again, &again_len, &err),
	                 ST_OK);
	assert_null(again);
	assert_int_equal(again_len, 0);
	/* the kid is the aad: a blob does not reseal under another kid */
	assert_int_equal(keyring_reseal(rotated, "other-kid", s.sealed, s.sealed_len, &again,
	                                &again_len, &err),
	                 ST_CRYPTO);
	assert_null(again);
	/* no secret opens it */
	assert_int_equal(keyring_reseal(old, s.kid, blob, len, &again, &again_len, &err),
	                 ST_CRYPTO);
	assert_null(again);
	free(blob);
	keyring_sealed_clear(&s);
	keyring_free(old);
	keyring_free(rotated);
	keyring_free(fresh);
}

static void
test_unknown_kid_has_no_public_jwk(void **state)
{
	struct keyring *kr = keyring_new(secret_a, 1, TTL);
	json_t *jwks;

	(void)state;
	assert_null(keyring_public_jwk(kr, "nope"));
	assert_false(keyring_can_sign(kr, 0));
	assert_int_equal(keyring_signing_alg(kr, 0), 0);
	jwks = keyring_jwks(kr, 0);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 0);
	json_decref(jwks);
	keyring_free(kr);
	keyring_free(NULL);
}

static void
test_generate_without_secrets_fails(void **state)
{
	struct keyring *kr = keyring_new(NULL, 0, TTL);
	struct keyring_sealed s;
	struct err err = {0};

	(void)state;
	assert_int_equal(keyring_generate(kr, JWS_ALG_ES256, 0, 1, 1, &s, &err), ST_INVALID);
	assert_int_equal(keyring_generate(kr, 0, 0, 1, 1, &s, &err), ST_INVALID);
	assert_int_equal(keyring_count(kr), 0);
	keyring_free(kr);
}

static void
test_status_names(void **state)
{
	(void)state;
	assert_string_equal(keyring_status_str(KEYRING_NEXT), "next");
	assert_string_equal(keyring_status_str(KEYRING_ACTIVE), "active");
	assert_string_equal(keyring_status_str(KEYRING_RETIRED), "retired");
	assert_string_equal(keyring_status_str(KEYRING_EXPIRED), "expired");
}

/* PEM text of a new private key: "EC" (P-256) or "RSA" of bits; traditional or PKCS#8. */
static char *
pem_of_new_key(const char *type, size_t bits, bool traditional)
{
	EVP_PKEY *pkey = strcmp(type, "EC") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
	                                         : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out;
	long n;

	assert_non_null(pkey);
	assert_non_null(bio);
	if (traditional)
		assert_int_equal(
		        PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL),
		        1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	out = test_malloc((size_t)n + 1);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return out;
}

/* keys.import_file: a given key becomes a signing key like a generated one. */
static void
test_imported_pem_key_signs_and_is_published(void **state)
{
	struct keyring *kr = keyring_new(secret_a, 1, TTL), *other = keyring_new(secret_a, 1, TTL);
	struct arena *arena = arena_new();
	char *pkcs8 = pem_of_new_key("EC", 0, false), *trad = pem_of_new_key("EC", 0, true);
	struct keyring_sealed s, again;
	struct err err = {0};
	char *out = NULL;

	(void)state;
	assert_int_equal(
	        keyring_import_pem(kr, JWS_ALG_ES256, pkcs8, strlen(pkcs8), 1000, 1000, &s, &err),
	        ST_OK);
	assert_int_equal(strlen(s.kid), 43); /* the RFC 7638 thumbprint, as for generated keys */
	assert_int_equal(s.alg, JWS_ALG_ES256);
	assert_true(keyring_can_sign(kr, 1000));
	assert_int_equal(keyring_sign(kr, 1000, NULL, "{}", 2, arena, &out, &err), ST_OK);
	assert_string_equal(verify_with_published_key(kr, arena, out), s.kid);
	/* Its sealed copy opens elsewhere, as a generated key's does. */
	assert_int_equal(keyring_add_sealed(other, s.kid, s.alg, s.created_at, s.usable_from,
	                                    s.sealed, s.sealed_len, &err),
	                 ST_OK);
	assert_true(keyring_can_sign(other, 1000));
	/* The same key again: a conflict, not a second entry. */
	assert_int_equal(keyring_import_pem(kr, JWS_ALG_ES256, pkcs8, strlen(pkcs8), 1000, 1000,
	                                    &again, &err),
	                 ST_CONFLICT);
	assert_int_equal(keyring_count(kr), 1);
	/* The traditional "EC PRIVATE KEY" form imports too. */
	assert_int_equal(
	        keyring_import_pem(kr, JWS_ALG_ES256, trad, strlen(trad), 1000, 1000, &again, &err),
	        ST_OK);
	keyring_sealed_clear(&again);
	assert_int_equal(keyring_count(kr), 2);
	keyring_sealed_clear(&s);
	test_free(pkcs8);
	test_free(trad);
	arena_free(arena);
	keyring_free(kr);
	keyring_free(other);
}

static void
test_import_refuses_keys_that_do_not_fit(void **state)
{
	struct keyring *kr = keyring_new(secret_a, 1, TTL), *none = keyring_new(NULL, 0, TTL);
	char *ec = pem_of_new_key("EC", 0, false), *small = pem_of_new_key("RSA", 1024, false);
	static const char garbage[] = "-----BEGIN PRIVATE KEY-----\nnot base64\n"
	                              "-----END PRIVATE KEY-----\n";
	struct keyring_sealed s;
	struct err err = {0};

	(void)state;
	/* A P-256 key cannot be an RS256 key. */
	assert_int_equal(keyring_import_pem(kr, JWS_ALG_RS256, ec, strlen(ec), 1, 1, &s, &err),
	                 ST_INVALID);
	/* RSA below 2048 bits. */
	assert_int_equal(
	        keyring_import_pem(kr, JWS_ALG_RS256, small, strlen(small), 1, 1, &s, &err),
	        ST_INVALID);
	assert_int_equal(
	        keyring_import_pem(kr, JWS_ALG_ES256, garbage, sizeof garbage - 1, 1, 1, &s, &err),
	        ST_INVALID);
	assert_int_equal(keyring_import_pem(kr, JWS_ALG_ES256, "", 0, 1, 1, &s, &err), ST_INVALID);
	/* A PEM cut short does not decode. */
	assert_int_equal(keyring_import_pem(kr, JWS_ALG_ES256, ec, strstr(ec, "-----END") - ec, 1,
	                                    1, &s, &err),
	                 ST_INVALID);
	assert_int_equal(keyring_import_pem(none, JWS_ALG_ES256, ec, strlen(ec), 1, 1, &s, &err),
	                 ST_INVALID);
	assert_int_equal(keyring_count(kr), 0);
	test_free(ec);
	test_free(small);
	keyring_free(kr);
	keyring_free(none);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_generated_key_signs_and_verifies),
	        cmocka_unit_test(test_reseal_moves_keys_to_the_first_secret),
	        cmocka_unit_test(test_rsa_key_signs_rs256),
	        cmocka_unit_test(test_status_moves_next_active_retired_expired),
	        cmocka_unit_test(test_jwks_lists_published_keys_newest_first),
	        cmocka_unit_test(test_signing_key_tie_goes_to_newest),
	        cmocka_unit_test(test_sealed_key_opens_in_another_keyring),
	        cmocka_unit_test(test_wrong_secret_is_a_crypto_error_naming_the_kid),
	        cmocka_unit_test(test_sealed_blob_is_bound_to_its_kid),
	        cmocka_unit_test(test_second_secret_opens_keys_sealed_with_it),
	        cmocka_unit_test(test_unknown_kid_has_no_public_jwk),
	        cmocka_unit_test(test_generate_without_secrets_fails),
	        cmocka_unit_test(test_imported_pem_key_signs_and_is_published),
	        cmocka_unit_test(test_import_refuses_keys_that_do_not_fit),
	        cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
