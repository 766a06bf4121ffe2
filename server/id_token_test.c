/*
 * server/id_token_test.c — hash claims against published vectors (each
 * expected value re-derived with the openssl CLI, shown beside it), signed
 * ID tokens and UserInfo JWTs verified with jws_verify against the key the
 * keyring publishes, their headers and claims, and the rejected inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "crypto/jws.h"
#include "server/id_token.h"

#define NOW 1800000000
#define ISS "https://id.example.com"
#define CID "client-1"
#define TTL 3600

static const char *const secrets[] = {"id-token-test-secret-0123456789ab"};

/* OIDC Core Appendix A.3's access token and A.4's code. */
#define SPEC_AT   "jHkWEdUXMU1BwAsC4vtUsZwnNNUEqJkeF6WQ3hfMXQg"
#define SPEC_CODE "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
/*
 * printf %s "$T" | openssl dgst -sha256 -binary | head -c 16 | basenc --base64url | tr -d =
 *   SPEC_AT   -> SBwbJpA4GSAT4yEQx9UlHw
 *   SPEC_CODE -> LDktKdoQak3Pk0cnXxCltA
 */
#define SPEC_AT_HASH_SHA256   "SBwbJpA4GSAT4yEQx9UlHw"
#define SPEC_CODE_HASH_SHA256 "LDktKdoQak3Pk0cnXxCltA"

/*
 * The vector of the oidc-token-hash README (panva): RS256 -> x7vk7f6BvQj0jQHYFIk4ag,
 * EdDSA/Ed25519 -> EGEAhGYyfuwDaVTifvrWSoD5MSy_5hZPy6I7Vm-7pTQ. Re-derived:
 * ... | openssl dgst -sha256 -binary | head -c 16 | basenc --base64url
 * ... | openssl dgst -sha512 -binary | head -c 32 | basenc --base64url
 */
#define PANVA_AT                                                                                   \
	"YmJiZTAwYmYtMzgyOC00NzhkLTkyOTItNjJjNDM3MGYzOWIy9sFhvH8K_x8UIHj1osisS57f5DduL-ar_"        \
	"qw5jl3lthwpMjm283aVMQXDmoqqqydDSqJfbhptzw8rUVwkuQbolw"

struct fixture {
	struct keyring *kr;
	struct arena *arena;
};

static struct fixture *
fixture_with(unsigned alg)
{
	struct fixture *f = test_calloc(1, sizeof *f);
	struct keyring_sealed s;
	struct err err = {0};

	f->kr = keyring_new(secrets, 1, TTL);
	f->arena = arena_new();
	if (alg != 0) {
		assert_int_equal(keyring_generate(f->kr, alg, 2048, NOW - 10, NOW - 10, &s, &err),
		                 ST_OK);
		keyring_sealed_clear(&s);
	}
	return f;
}

static int
setup_es256(void **state)
{
	*state = fixture_with(JWS_ALG_ES256);
	return 0;
}

static int
setup_eddsa(void **state)
{
	*state = fixture_with(JWS_ALG_EDDSA);
	return 0;
}

static int
setup_rs256(void **state)
{
	*state = fixture_with(JWS_ALG_RS256);
	return 0;
}

static int
setup_no_key(void **state)
{
	*state = fixture_with(0);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	keyring_free(f->kr);
	arena_free(f->arena);
	test_free(f);
	return 0;
}

/* Parameters of a typical code-flow ID token. */
static struct id_token_params
params(void)
{
	struct id_token_params p = {
	        .issuer = ISS,
	        .sub = "user-42",
	        .aud = CID,
	        .azp = CID,
	        .iat = NOW,
	        .exp = NOW + 300,
	};

	return p;
}

/*
 * Verifies jwt with the public key the keyring publishes for its kid and
 * returns its parsed JWS (arena) and payload (new reference).
 */
static json_t *
verify(const struct fixture *f, const char *jwt, struct jws *jws)
{
	struct jwk *key = NULL;
	struct err err = {0};
	json_t *pub, *claims;

	assert_int_equal(jws_parse(jwt, f->arena, jws, &err), ST_OK);
	assert_non_null(jws->kid);
	pub = keyring_public_jwk(f->kr, jws->kid);
	assert_non_null(pub);
	assert_int_equal(jwk_import_public(pub, &key, &err), ST_OK);
	assert_int_equal(jws_verify(jws, key, JWS_ALG_ALL, &err), ST_OK);
	json_decref(pub);
	jwk_free(key);
	claims = json_loadb((const char *)jws->payload, jws->payload_len, 0, NULL);
	assert_non_null(claims);
	return claims;
}

static const char *
str(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	assert_non_null(s);
	return s;
}

static void
assert_hash(unsigned alg, const char *value, const char *want)
{
	struct arena *arena = arena_new();
	struct err err = {0};
	char *out = NULL;

	assert_int_equal(id_token_hash(alg, value, arena, &out, &err), ST_OK);
	assert_string_equal(out, want);
	arena_free(arena);
}

static void
test_hash_sha256_algs_use_left_half_of_sha256(void **state)
{
	(void)state;
	assert_hash(JWS_ALG_RS256, SPEC_AT, SPEC_AT_HASH_SHA256);
	assert_hash(JWS_ALG_RS256, SPEC_CODE, SPEC_CODE_HASH_SHA256);
	assert_hash(JWS_ALG_PS256, SPEC_AT, SPEC_AT_HASH_SHA256);
	assert_hash(JWS_ALG_ES256, SPEC_CODE, SPEC_CODE_HASH_SHA256);
	assert_hash(JWS_ALG_RS256, PANVA_AT, "x7vk7f6BvQj0jQHYFIk4ag");
	/*
	 * Ping Identity's worked example; printf %s dNZX1hEZ9wBCzNL40Upu646bdzQA |
	 * openssl dgst -sha256 -binary | head -c 16 | basenc --base64url -> wfgvmE9VxjAudsl9lc6TqA
	 */
	assert_hash(JWS_ALG_RS256, "dNZX1hEZ9wBCzNL40Upu646bdzQA", "wfgvmE9VxjAudsl9lc6TqA");
}

static void
test_hash_eddsa_and_512_algs_use_left_half_of_sha512(void **state)
{
	(void)state;
	assert_hash(JWS_ALG_EDDSA, PANVA_AT, "EGEAhGYyfuwDaVTifvrWSoD5MSy_5hZPy6I7Vm-7pTQ");
	assert_hash(JWS_ALG_RS512, PANVA_AT, "EGEAhGYyfuwDaVTifvrWSoD5MSy_5hZPy6I7Vm-7pTQ");
	assert_hash(JWS_ALG_ES512, PANVA_AT, "EGEAhGYyfuwDaVTifvrWSoD5MSy_5hZPy6I7Vm-7pTQ");
}

static void
test_hash_rejects_algs_without_a_rule(void **state)
{
	struct arena *arena = arena_new();
	struct err err = {0};
	char *out = NULL;

	(void)state;
	assert_int_equal(id_token_hash(JWS_ALG_RS384, "x", arena, &out, &err), ST_UNSUPPORTED);
	assert_int_equal(id_token_hash(0, "x", arena, &out, &err), ST_UNSUPPORTED);
	assert_null(out);
	arena_free(arena);
}

static void
test_signed_token_verifies_with_published_key(void **state)
{
	struct fixture *f = *state;
	struct id_token_params p = params();
	json_t *amr = json_pack("[s]", "pwd"), *claims;
	struct err err = {0};
	struct jws jws;
	char *jwt = NULL;

	p.nonce = "n-0S6_WzA2Mj";
	p.auth_time = NOW - 60;
	p.acr = "0";
	p.amr = amr;
	p.sid = "sid-1";
	p.access_token = SPEC_AT;
	p.code = SPEC_CODE;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_OK);
	claims = verify(f, jwt, &jws);

	assert_int_equal(jws.alg, JWS_ALG_ES256);
	assert_string_equal(jws.typ, "JWT");
	assert_string_equal(str(claims, "iss"), ISS);
	assert_string_equal(str(claims, "sub"), "user-42");
	/* A single audience is a string, not an array. */
	assert_string_equal(str(claims, "aud"), CID);
	assert_string_equal(str(claims, "azp"), CID);
	assert_int_equal(json_integer_value(json_object_get(claims, "iat")), NOW);
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")), NOW + 300);
	assert_int_equal(json_integer_value(json_object_get(claims, "auth_time")), NOW - 60);
	assert_string_equal(str(claims, "nonce"), "n-0S6_WzA2Mj");
	assert_string_equal(str(claims, "acr"), "0");
	assert_true(json_equal(json_object_get(claims, "amr"), amr));
	assert_string_equal(str(claims, "sid"), "sid-1");
	assert_string_equal(str(claims, "at_hash"), SPEC_AT_HASH_SHA256);
	assert_string_equal(str(claims, "c_hash"), SPEC_CODE_HASH_SHA256);
	assert_int_equal(json_object_size(claims), 13);
	json_decref(claims);
	json_decref(amr);
}

static void
test_rs256_token_header_and_at_hash(void **state)
{
	struct fixture *f = *state;
	struct id_token_params p = params();
	struct err err = {0};
	struct jws jws;
	char *jwt = NULL;
	json_t *claims;

	p.access_token = PANVA_AT;
	p.alg = JWS_ALG_RS256;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_OK);
	claims = verify(f, jwt, &jws);
	assert_string_equal(jws.alg_name, "RS256");
	assert_string_equal(jws.typ, "JWT");
	assert_string_equal(str(claims, "at_hash"), "x7vk7f6BvQj0jQHYFIk4ag");
	json_decref(claims);
}

static void
test_eddsa_token_hashes_with_sha512(void **state)
{
	struct fixture *f = *state;
	struct id_token_params p = params();
	struct err err = {0};
	struct jws jws;
	char *jwt = NULL;
	json_t *claims;

	p.access_token = PANVA_AT;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_OK);
	claims = verify(f, jwt, &jws);
	assert_int_equal(jws.alg, JWS_ALG_EDDSA);
	assert_string_equal(str(claims, "at_hash"), "EGEAhGYyfuwDaVTifvrWSoD5MSy_5hZPy6I7Vm-7pTQ");
	json_decref(claims);
}

static void
test_optional_claims_are_omitted(void **state)
{
	struct fixture *f = *state;
	struct id_token_params p = params();
	struct err err = {0};
	struct jws jws;
	char *jwt = NULL;
	json_t *claims;

	p.azp = NULL;
	p.iat = 0; /* defaults to now */
	p.exp = NOW + 60;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_OK);
	claims = verify(f, jwt, &jws);
	assert_int_equal(json_object_size(claims), 5);
	assert_int_equal(json_integer_value(json_object_get(claims, "iat")), NOW);
	assert_non_null(json_object_get(claims, "iss"));
	assert_non_null(json_object_get(claims, "sub"));
	assert_non_null(json_object_get(claims, "aud"));
	assert_non_null(json_object_get(claims, "exp"));
	json_decref(claims);
}

static void
test_extra_claims_are_added_but_cannot_override(void **state)
{
	struct fixture *f = *state;
	struct id_token_params p = params();
	json_t *extra =
	        json_pack("{s:s, s:b, s:s, s:s, s:s, s:n, s:s}", "email", "jane@e.com",
	                  "email_verified", 1, "sub", "someone-else", "iss", "https://evil.example",
	                  "nonce", "injected", "name", "at_hash", "forged");
	struct err err = {0};
	struct jws jws;
	char *jwt = NULL;
	json_t *claims;

	p.extra = extra;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_OK);
	claims = verify(f, jwt, &jws);
	assert_string_equal(str(claims, "email"), "jane@e.com");
	assert_true(json_is_true(json_object_get(claims, "email_verified")));
	assert_string_equal(str(claims, "sub"), "user-42");
	assert_string_equal(str(claims, "iss"), ISS);
	assert_null(json_object_get(claims, "nonce"));
	assert_null(json_object_get(claims, "name"));
	assert_null(json_object_get(claims, "at_hash"));
	/* The caller's object is not modified. */
	assert_int_equal(json_object_size(extra), 7);
	json_decref(claims);
	json_decref(extra);
}

static void
test_auth_time_required_but_unknown_is_invalid(void **state)
{
	struct fixture *f = *state;
	struct id_token_params p = params();
	struct err err = {0};
	char *jwt = NULL;

	p.is_auth_time_required = true;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_INVALID);
	assert_null(jwt);
	p.auth_time = NOW - 5;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_OK);
	assert_non_null(jwt);
}

static void
test_bad_params_are_invalid(void **state)
{
	struct fixture *f = *state;
	struct id_token_params p;
	json_t *amr = json_pack("[s,i]", "pwd", 1);
	struct err err = {0};
	char *jwt = NULL;

	p = params();
	p.sub = NULL;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_INVALID);
	p = params();
	p.aud = "";
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_INVALID);
	p = params();
	p.issuer = NULL;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_INVALID);
	p = params();
	p.exp = NOW;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_INVALID);
	p = params();
	p.amr = amr;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_INVALID);
	p = params();
	p.nonce = "\xff\xfe";
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_INVALID);
	assert_null(jwt);
	json_decref(amr);
}

static void
test_alg_other_than_the_active_key_is_unsupported(void **state)
{
	struct fixture *f = *state;
	struct id_token_params p = params();
	struct err err = {0};
	char *jwt = NULL;

	p.alg = JWS_ALG_RS256;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_UNSUPPORTED);
	assert_null(jwt);
	p.alg = JWS_ALG_ES256;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_OK);
}

static void
test_no_usable_key_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct id_token_params p = params();
	struct err err = {0};
	char *jwt = NULL;

	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_NOT_FOUND);
	assert_null(jwt);
}

static void
test_hash_follows_the_key_active_at_now(void **state)
{
	struct fixture *f = *state;
	struct id_token_params p = params();
	struct keyring_sealed s;
	struct err err = {0};
	struct jws jws;
	char *jwt = NULL;
	json_t *claims;

	/* An EdDSA key takes over at NOW + 100 (published before use). */
	assert_int_equal(keyring_generate(f->kr, JWS_ALG_EDDSA, 0, NOW, NOW + 100, &s, &err),
	                 ST_OK);
	keyring_sealed_clear(&s);
	p.access_token = PANVA_AT;
	assert_int_equal(id_token_sign(f->kr, NOW, &p, f->arena, &jwt, &err), ST_OK);
	claims = verify(f, jwt, &jws);
	assert_int_equal(jws.alg, JWS_ALG_ES256);
	assert_string_equal(str(claims, "at_hash"), "x7vk7f6BvQj0jQHYFIk4ag");
	json_decref(claims);

	p.iat = NOW + 100;
	p.exp = NOW + 400;
	assert_int_equal(id_token_sign(f->kr, NOW + 100, &p, f->arena, &jwt, &err), ST_OK);
	claims = verify(f, jwt, &jws);
	assert_int_equal(jws.alg, JWS_ALG_EDDSA);
	assert_string_equal(str(claims, "at_hash"), "EGEAhGYyfuwDaVTifvrWSoD5MSy_5hZPy6I7Vm-7pTQ");
	json_decref(claims);
}

static void
test_userinfo_jwt_adds_iss_and_aud(void **state)
{
	struct fixture *f = *state;
	json_t *in = json_pack("{s:s, s:s, s:b}", "sub", "user-42", "email", "jane@e.com",
	                       "email_verified", 1);
	struct err err = {0};
	struct jws jws;
	char *jwt = NULL;
	json_t *claims;

	assert_int_equal(userinfo_jwt_sign(f->kr, NOW, ISS, CID, 0, in, f->arena, &jwt, &err),
	                 ST_OK);
	claims = verify(f, jwt, &jws);
	assert_string_equal(jws.typ, "JWT");
	assert_string_equal(str(claims, "iss"), ISS);
	assert_string_equal(str(claims, "aud"), CID);
	assert_string_equal(str(claims, "sub"), "user-42");
	assert_string_equal(str(claims, "email"), "jane@e.com");
	assert_int_equal(json_object_size(claims), 5);
	/* The caller's claims are not modified. */
	assert_int_equal(json_object_size(in), 3);
	json_decref(claims);
	json_decref(in);
}

static void
test_userinfo_jwt_rejects_bad_input(void **state)
{
	struct fixture *f = *state;
	json_t *no_sub = json_pack("{s:s}", "email", "jane@e.com");
	json_t *ok = json_pack("{s:s}", "sub", "user-42");
	struct err err = {0};
	char *jwt = NULL;

	assert_int_equal(userinfo_jwt_sign(f->kr, NOW, ISS, CID, 0, no_sub, f->arena, &jwt, &err),
	                 ST_INVALID);
	assert_int_equal(userinfo_jwt_sign(f->kr, NOW, ISS, "", 0, ok, f->arena, &jwt, &err),
	                 ST_INVALID);
	assert_int_equal(userinfo_jwt_sign(f->kr, NOW, NULL, CID, 0, ok, f->arena, &jwt, &err),
	                 ST_INVALID);
	assert_int_equal(
	        userinfo_jwt_sign(f->kr, NOW, ISS, CID, JWS_ALG_PS256, ok, f->arena, &jwt, &err),
	        ST_UNSUPPORTED);
	assert_null(jwt);
	json_decref(no_sub);
	json_decref(ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hash_sha256_algs_use_left_half_of_sha256),
	        cmocka_unit_test(test_hash_eddsa_and_512_algs_use_left_half_of_sha512),
	        cmocka_unit_test(test_hash_rejects_algs_without_a_rule),
	        cmocka_unit_test_setup_teardown(test_signed_token_verifies_with_published_key,
	                                        setup_es256, teardown),
	        cmocka_unit_test_setup_teardown(test_rs256_token_header_and_at_hash, setup_rs256,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_eddsa_token_hashes_with_sha512, setup_eddsa,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_optional_claims_are_omitted, setup_es256,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_extra_claims_are_added_but_cannot_override,
	                                        setup_es256, teardown),
	        cmocka_unit_test_setup_teardown(test_auth_time_required_but_unknown_is_invalid,
	                                        setup_es256, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_params_are_invalid, setup_es256, teardown),
	        cmocka_unit_test_setup_teardown(test_alg_other_than_the_active_key_is_unsupported,
	                                        setup_es256, teardown),
	        cmocka_unit_test_setup_teardown(test_no_usable_key_is_not_found, setup_no_key,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_hash_follows_the_key_active_at_now,
	                                        setup_es256, teardown),
	        cmocka_unit_test_setup_teardown(test_userinfo_jwt_adds_iss_and_aud, setup_es256,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_userinfo_jwt_rejects_bad_input, setup_es256,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
