/*
 * crypto/jwk_test.c — JWK import/export and thumbprints against the
 * published vectors: RFC 7638 §3.1 (RSA thumbprint), RFC 8037 Appendix A
 * (Ed25519), RFC 7515 Appendix A.3/A.4 (EC keys); plus the refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "crypto/b64url.h"
#include "crypto/jwk.h"

/* RFC 7638 §3.1 (the RSA key of RFC 7517 Appendix A.1). */
static const char rfc7638_key[] =
        "{\"kty\":\"RSA\",\"n\":"
        "\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
        "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
        "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
        "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\","
        "\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
static const char rfc7638_thumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* RFC 8037 Appendix A.2 and its thumbprint, A.3. */
static const char rfc8037_key[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_"
                                  "7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
static const char rfc8037_thumbprint[] = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

/* RFC 7515 Appendix A.3 (P-256) and A.4 (P-521; y starts with a zero byte). */
static const char p256_x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char p256_y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char p521_x[] =
        "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk";
static const char p521_y[] =
        "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2";

static json_t *
load(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return j;
}

static json_t *
ec_jwk(const char *crv, const char *x, const char *y)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", crv, "x", x, "y", y);
}

/* Imports j (stealing the reference) and returns the status; *out when ST_OK. */
static enum status
import_steal(json_t *j, struct jwk **out)
{
	struct err err = {0};
	struct jwk *key = NULL;
	enum status st = jwk_import_public(j, &key, &err);

	json_decref(j);
	if (out != NULL)
		*out = key;
	else
		jwk_free(key);
	return st;
}

static void
test_thumbprint_matches_rfc7638_example(void **state)
{
	struct jwk *key = NULL;
	char thumb[44];
	struct err err = {0};

	(void)state;
	assert_int_equal(import_steal(load(rfc7638_key), &key), ST_OK);
	assert_int_equal(jwk_thumbprint(key, thumb, &err), ST_OK);
	assert_string_equal(thumb, rfc7638_thumbprint);
	assert_string_equal(jwk_kid(key), "2011-04-29");
	assert_int_equal(jwk_alg(key), JWS_ALG_RS256);
	assert_false(jwk_is_private(key));
	jwk_free(key);
}

static void
test_ed25519_import_matches_rfc8037(void **state)
{
	struct jwk *key = NULL;
	char thumb[44];
	struct err err = {0};

	(void)state;
	assert_int_equal(import_steal(load(rfc8037_key), &key), ST_OK);
	assert_int_equal(jwk_thumbprint(key, thumb, &err), ST_OK);
	assert_string_equal(thumb, rfc8037_thumbprint);
	/* No kid in the JWK: the thumbprint stands in (RFC 7638 §1). */
	assert_string_equal(jwk_kid(key), rfc8037_thumbprint);
	assert_int_equal(jwk_alg(key), 0);
	assert_int_equal(jwk_compatible_algs(key), JWS_ALG_EDDSA);
	jwk_free(key);
}

/* Asserts that obj has exactly the members named in names (NULL-terminated). */
static void
assert_members(const json_t *obj, const char *const *names)
{
	size_t n = 0;

	for (; names[n] != NULL; n++)
		assert_non_null(json_object_get(obj, names[n]));
	assert_int_equal(json_object_size(obj), n);
}

static const char *
member(const json_t *obj, const char *name)
{
	const char *v = json_string_value(json_object_get(obj, name));

	assert_non_null(v);
	return v;
}

static void
test_ec_import_round_trips(void **state)
{
	static const char *const names[] = {"kty", "kid", "alg", "use", "crv", "x", "y", NULL};
	struct jwk *key = NULL, *again = NULL;
	json_t *pub;
	char t1[44], t2[44];
	struct err err = {0};

	(void)state;
	assert_int_equal(import_steal(ec_jwk("P-256", p256_x, p256_y), &key), ST_OK);
	assert_int_equal(jwk_compatible_algs(key), JWS_ALG_ES256);
	pub = jwk_to_public_json(key);
	assert_non_null(pub);
	assert_members(pub, names);
	assert_string_equal(member(pub, "kty"), "EC");
	assert_string_equal(member(pub, "crv"), "P-256");
	assert_string_equal(member(pub, "alg"), "ES256");
	assert_string_equal(member(pub, "use"), "sig");
	assert_string_equal(member(pub, "x"), p256_x);
	assert_string_equal(member(pub, "y"), p256_y);
	assert_string_equal(member(pub, "kid"), jwk_kid(key));

	assert_int_equal(import_steal(pub, &again), ST_OK);
	assert_int_equal(jwk_thumbprint(key, t1, &err), ST_OK);
	assert_int_equal(jwk_thumbprint(again, t2, &err), ST_OK);
	assert_string_equal(t1, t2);
	assert_int_equal(jwk_alg(again), JWS_ALG_ES256);
	jwk_free(key);
	jwk_free(again);
}

static void
test_ec_export_keeps_fixed_length_coordinates(void **state)
{
	struct jwk *key = NULL;
	json_t *pub;

	(void)state;
	/* RFC 7518 §6.2.1.2: y of this P-521 key has a leading zero byte to keep. */
	assert_int_equal(import_steal(ec_jwk("P-521", p521_x, p521_y), &key), ST_OK);
	assert_int_equal(jwk_compatible_algs(key), JWS_ALG_ES512);
	pub = jwk_to_public_json(key);
	assert_string_equal(member(pub, "x"), p521_x);
	assert_string_equal(member(pub, "y"), p521_y);
	assert_string_equal(member(pub, "alg"), "ES512");
	json_decref(pub);
	jwk_free(key);
}

static void
test_rsa_import_round_trips(void **state)
{
	static const char *const names[] = {"kty", "kid", "alg", "use", "n", "e", NULL};
	struct jwk *key = NULL, *again = NULL;
	json_t *src = load(rfc7638_key), *pub;
	char thumb[44];
	struct err err = {0};

	(void)state;
	assert_int_equal(jwk_import_public(src, &key, &err), ST_OK);
	pub = jwk_to_public_json(key);
	assert_members(pub, names);
	assert_string_equal(member(pub, "n"), member(src, "n"));
	assert_string_equal(member(pub, "e"), "AQAB");
	assert_string_equal(member(pub, "kid"), "2011-04-29");
	assert_string_equal(member(pub, "alg"), "RS256");
	assert_int_equal(import_steal(pub, &again), ST_OK);
	assert_int_equal(jwk_thumbprint(again, thumb, &err), ST_OK);
	assert_string_equal(thumb, rfc7638_thumbprint);
	json_decref(src);
	jwk_free(key);
	jwk_free(again);
}

static void
test_import_rejects_private_members(void **state)
{
	static const char *const members[] = {"d", "p", "q", "dp", "dq", "qi", "k"};
	struct err err = {0};
	struct jwk *key = NULL;
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof members / sizeof members[0]; i++) {
		j = ec_jwk("P-256", p256_x, p256_y);
		json_object_set_new(j, members[i], json_string("AQAB"));
		assert_int_equal(jwk_import_public(j, &key, &err), ST_INVALID);
		assert_non_null(strstr(err.msg, "private key material"));
		json_decref(j);
	}
	j = load(rfc7638_key);
	json_object_set_new(j, "d", json_string("AQAB"));
	assert_int_equal(import_steal(j, NULL), ST_INVALID);
}

static void
test_import_rejects_symmetric_keys(void **state)
{
	(void)state;
	assert_int_equal(import_steal(load("{\"kty\":\"oct\"}"), NULL), ST_INVALID);
	assert_int_equal(
	        import_steal(load("{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKO\"}"), NULL),
	        ST_INVALID);
}

/* A JWK whose n is an odd number of `bytes` bytes with the top bit set. */
static json_t *
rsa_jwk_of_bytes(size_t bytes)
{
	unsigned char n[600];
	char text[B64URL_ENCODED_LEN(sizeof n) + 1];

	assert_true(bytes <= sizeof n);
	memset(n, 0xa5, bytes);
	n[0] = 0xc3;
	n[bytes - 1] |= 1;
	b64url_encode(n, bytes, text);
	return json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", text, "e", "AQAB");
}

static void
test_import_rejects_small_rsa_modulus(void **state)
{
	struct err err = {0};
	struct jwk *key = NULL;
	json_t *j = rsa_jwk_of_bytes(128);

	(void)state;
	assert_int_equal(jwk_import_public(j, &key, &err), ST_INVALID);
	assert_non_null(strstr(err.msg, "1024"));
	json_decref(j);
	/* Same shape at 2048 bits is accepted: the size is what was refused. */
	assert_int_equal(import_steal(rsa_jwk_of_bytes(256), NULL), ST_OK);
}

static void
test_import_rejects_point_off_curve(void **state)
{
	char y[sizeof p256_y];

	(void)state;
	memcpy(y, p256_y, sizeof y);
	y[5] = y[5] == 'A' ? 'B' : 'A';
	assert_int_equal(import_steal(ec_jwk("P-256", p256_x, y), NULL), ST_INVALID);
	/* The P-256 coordinates do not name a P-384 point either. */
	assert_int_equal(import_steal(ec_jwk("P-384", p256_x, p256_y), NULL), ST_INVALID);
}

static void
test_import_rejects_wrong_coordinate_length(void **state)
{
	(void)state;
	/* 31 bytes for P-256 (leading zero stripped, RFC 7518 §6.2.1.2 forbids it). */
	assert_int_equal(
	        import_steal(ec_jwk("P-256", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVQ", p256_y),
	                     NULL),
	        ST_INVALID);
	assert_int_equal(import_steal(ec_jwk("P-521", p521_x + 1, p521_y), NULL), ST_INVALID);
	/* Ed25519 x is exactly 32 bytes. */
	assert_int_equal(
	        import_steal(load("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}"), NULL),
	        ST_INVALID);
}

static void
test_import_rejects_bad_base64url(void **state)
{
	char x[sizeof p256_x];

	(void)state;
	memcpy(x, p256_x, sizeof x);
	x[3] = '+';
	assert_int_equal(import_steal(ec_jwk("P-256", x, p256_y), NULL), ST_INVALID);
	x[3] = '/';
	assert_int_equal(import_steal(ec_jwk("P-256", x, p256_y), NULL), ST_INVALID);
	assert_int_equal(
	        import_steal(load("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	                          "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"}"),
	                     NULL),
	        ST_INVALID);
}

static void
test_import_rejects_wrong_types(void **state)
{
	json_t *j;

	(void)state;
	assert_int_equal(import_steal(json_array(), NULL), ST_INVALID);
	assert_int_equal(import_steal(load("{\"n\":\"AQAB\",\"e\":\"AQAB\"}"), NULL), ST_INVALID);
	assert_int_equal(import_steal(load("{\"kty\":1}"), NULL), ST_INVALID);
	assert_int_equal(import_steal(load("{\"kty\":\"RSA\",\"n\":5,\"e\":\"AQAB\"}"), NULL),
	                 ST_INVALID);
	assert_int_equal(import_steal(load("{\"kty\":\"EC\",\"crv\":256}"), NULL), ST_INVALID);
	assert_int_equal(import_steal(load("{\"kty\":\"EC\",\"crv\":\"P-256\"}"), NULL),
	                 ST_INVALID);
	assert_int_equal(import_steal(ec_jwk("secp256k1", p256_x, p256_y), NULL), ST_UNSUPPORTED);
	assert_int_equal(
	        import_steal(load("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAA\"}"), NULL),
	        ST_UNSUPPORTED);
	assert_int_equal(import_steal(load("{\"kty\":\"DSA\"}"), NULL), ST_UNSUPPORTED);

	j = ec_jwk("P-256", p256_x, p256_y);
	json_object_set_new(j, "kid", json_integer(7));
	assert_int_equal(import_steal(j, NULL), ST_INVALID);
	/* RFC 8725 §3.1: an alg that does not fit the key is refused, not ignored. */
	j = ec_jwk("P-256", p256_x, p256_y);
	json_object_set_new(j, "alg", json_string("RS256"));
	assert_int_equal(import_steal(j, NULL), ST_INVALID);
	j = ec_jwk("P-256", p256_x, p256_y);
	json_object_set_new(j, "alg", json_string("HS256"));
	assert_int_equal(import_steal(j, NULL), ST_UNSUPPORTED);
	j = ec_jwk("P-256", p256_x, p256_y);
	json_object_set_new(j, "use", json_string("enc"));
	assert_int_equal(import_steal(j, NULL), ST_UNSUPPORTED);
}

static void
test_alg_names_exclude_none_and_hmac(void **state)
{
	unsigned alg;

	(void)state;
	assert_int_equal(jws_alg_from_name("none"), 0);
	assert_int_equal(jws_alg_from_name("HS256"), 0);
	assert_int_equal(jws_alg_from_name("rs256"), 0);
	assert_int_equal(jws_alg_from_name(NULL), 0);
	assert_null(jws_alg_name(0));
	assert_null(jws_alg_name(JWS_ALG_RS256 | JWS_ALG_ES256));
	for (alg = 1; alg <= JWS_ALG_EDDSA; alg <<= 1)
		assert_int_equal(jws_alg_from_name(jws_alg_name(alg)), alg);
	assert_string_equal(jws_alg_name(JWS_ALG_EDDSA), "EdDSA");
}

static void
test_generated_key_survives_pkcs8_round_trip(void **state)
{
	static const unsigned algs[] = {JWS_ALG_ES256, JWS_ALG_ES384, JWS_ALG_EDDSA};
	struct jwk *key = NULL, *back = NULL;
	unsigned char *der = NULL;
	size_t der_len = 0, i;
	char t1[44], t2[44];
	struct err err = {0};

	(void)state;
	for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		assert_int_equal(jwk_generate(algs[i], 0, &key, &err), ST_OK);
		assert_true(jwk_is_private(key));
		assert_int_equal(jwk_alg(key), algs[i]);
		assert_int_equal(jwk_thumbprint(key, t1, &err), ST_OK);
		assert_string_equal(jwk_kid(key), t1);
		assert_int_equal(jwk_private_to_der(key, &der, &der_len, &err), ST_OK);
		assert_int_equal(jwk_private_from_der(der, der_len, algs[i], &back, &err), ST_OK);
		assert_true(jwk_is_private(back));
		assert_int_equal(jwk_thumbprint(back, t2, &err), ST_OK);
		assert_string_equal(t1, t2);
		/* The recorded alg must fit the key type. */
		jwk_free(back);
		assert_int_equal(jwk_private_from_der(der, der_len, JWS_ALG_RS256, &back, &err),
		                 ST_INVALID);
		free(der);
		jwk_free(key);
	}
}

static void
test_private_from_der_rejects_garbage(void **state)
{
	static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	struct jwk *key = NULL;
	struct err err = {0};

	(void)state;
	assert_int_equal(jwk_private_from_der(junk, sizeof junk, JWS_ALG_ES256, &key, &err),
	                 ST_INVALID);
	assert_null(key);
}

static void
test_ed25519_private_der_gives_rfc8037_public_key(void **state)
{
	/* PKCS#8 (RFC 8410 §7) wrapping the RFC 8037 A.1 private key d. */
	static const unsigned char der[] = {
	        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
	        0x04, 0x22, 0x04, 0x20, 0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
	        0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69,
	        0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
	};
	struct jwk *key = NULL;
	struct err err = {0};
	json_t *pub;

	(void)state;
	assert_int_equal(jwk_private_from_der(der, sizeof der, JWS_ALG_EDDSA, &key, &err), ST_OK);
	assert_string_equal(jwk_kid(key), rfc8037_thumbprint);
	pub = jwk_to_public_json(key);
	assert_string_equal(member(pub, "x"), "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
	assert_string_equal(member(pub, "crv"), "Ed25519");
	assert_string_equal(member(pub, "kty"), "OKP");
	assert_null(json_object_get(pub, "d"));
	json_decref(pub);
	jwk_free(key);
}

static void
test_generate_rejects_bad_parameters(void **state)
{
	struct jwk *key = NULL;
	struct err err = {0};

	(void)state;
	assert_int_equal(jwk_generate(JWS_ALG_RS256, 1024, &key, &err), ST_INVALID);
	assert_int_equal(jwk_generate(0, 0, &key, &err), ST_INVALID);
	assert_int_equal(jwk_generate(JWS_ALG_ES256 | JWS_ALG_ES384, 0, &key, &err), ST_INVALID);
	assert_int_equal(jwk_generate(1u << 12, 0, &key, &err), ST_INVALID);
	assert_null(key);
}

static void
test_set_kid_and_alg_are_recorded(void **state)
{
	struct jwk *key = NULL;
	json_t *pub;

	(void)state;
	assert_int_equal(import_steal(load(rfc8037_key), &key), ST_OK);
	jwk_set_kid(key, "my-key");
	jwk_set_alg(key, JWS_ALG_EDDSA);
	pub = jwk_to_public_json(key);
	assert_string_equal(member(pub, "kid"), "my-key");
	assert_string_equal(member(pub, "alg"), "EdDSA");
	json_decref(pub);
	jwk_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_thumbprint_matches_rfc7638_example),
	        cmocka_unit_test(test_ed25519_import_matches_rfc8037),
	        cmocka_unit_test(test_ec_import_round_trips),
	        cmocka_unit_test(test_ec_export_keeps_fixed_length_coordinates),
	        cmocka_unit_test(test_rsa_import_round_trips),
	        cmocka_unit_test(test_import_rejects_private_members),
	        cmocka_unit_test(test_import_rejects_symmetric_keys),
	        cmocka_unit_test(test_import_rejects_small_rsa_modulus),
	        cmocka_unit_test(test_import_rejects_point_off_curve),
	        cmocka_unit_test(test_import_rejects_wrong_coordinate_length),
	        cmocka_unit_test(test_import_rejects_bad_base64url),
	        cmocka_unit_test(test_import_rejects_wrong_types),
	        cmocka_unit_test(test_alg_names_exclude_none_and_hmac),
	        cmocka_unit_test(test_generated_key_survives_pkcs8_round_trip),
	        cmocka_unit_test(test_private_from_der_rejects_garbage),
	        cmocka_unit_test(test_ed25519_private_der_gives_rfc8037_public_key),
	        cmocka_unit_test(test_generate_rejects_bad_parameters),
	        cmocka_unit_test(test_set_kid_and_alg_are_recorded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
