/*
 * server/credential_request_test.c — the POST /credentials body
 * (credential_request_parse: each problem class) and the proof JWT
 * (credential_proof_parse, credential_proof_check_claims): ES256, EdDSA and
 * RS256 proofs are accepted and give a did:jwk that decodes to the key;
 * private keys, alg/key mismatches, alg none, a wrong typ, a foreign
 * signature, a missing nonce, a wrong aud and a stale iat are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "crypto/b64url.h"
#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "server/credential_request.h"

#define NOW    1800000000
#define ISSUER "https://id.example.com"

struct fixture {
	struct arena *arena;
	struct jwk *es256, *eddsa, *rs256, *other;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct err err;

	f->arena = arena_new();
	assert_int_equal(jwk_generate(JWS_ALG_ES256, 0, &f->es256, &err), ST_OK);
	assert_int_equal(jwk_generate(JWS_ALG_EDDSA, 0, &f->eddsa, &err), ST_OK);
	assert_int_equal(jwk_generate(JWS_ALG_RS256, 2048, &f->rs256, &err), ST_OK);
	assert_int_equal(jwk_generate(JWS_ALG_ES256, 0, &f->other, &err), ST_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	jwk_free(f->es256);
	jwk_free(f->eddsa);
	jwk_free(f->rs256);
	jwk_free(f->other);
	arena_free(f->arena);
	free(f);
	return 0;
}

/* The public JWK of key without kid, alg and use: what a wallet would send. */
static json_t *
bare_jwk(const struct jwk *key)
{
	json_t *j = jwk_to_public_json(key);

	json_object_del(j, "kid");
	json_object_del(j, "alg");
	json_object_del(j, "use");
	return j;
}

/*
 * A proof signed by signer with alg, whose header carries header_jwk
 * (stolen; NULL: none) and typ (NULL: none), with payload as claims.
 */
static const char *
proof_by(struct fixture *f, struct jwk *signer, unsigned alg, json_t *header_jwk, const char *typ,
         const char *payload)
{
	json_t *extra = json_object();
	char *jwt = NULL;
	struct err err;

	if (header_jwk != NULL)
		json_object_set_new(extra, "jwk", header_jwk);
	if (typ != NULL)
		json_object_set_new(extra, "typ", json_string(typ));
	jwk_set_kid(signer, ""); /* jws_sign leaves kid out */
	assert_int_equal(
	        jws_sign(signer, alg, extra, payload, strlen(payload), f->arena, &jwt, &err),
	        ST_OK);
	json_decref(extra);
	return jwt;
}

static const char *
good_payload(struct fixture *f)
{
	return arena_printf(f->arena, "{\"nonce\":\"n-1\",\"aud\":\"%s\",\"iat\":%d}", ISSUER, NOW);
}

static const char *
proof(struct fixture *f, struct jwk *key, unsigned alg)
{
	return proof_by(f, key, alg, bare_jwk(key), CREDENTIAL_PROOF_TYP, good_payload(f));
}

static enum credential_problem
parse_body(struct fixture *f, const char *body, struct credential_request *out)
{
	struct err err = {0};
	enum credential_problem p =
	        credential_request_parse(body, strlen(body), f->arena, out, &err);

	if (p != CREDENTIAL_OK)
		assert_true(err.msg[0] != '\0');
	return p;
}

static void
test_request_parse_accepts_hydra_sdk_body(void **state)
{
	struct fixture *f = *state;
	struct credential_request r;

	assert_int_equal(
	        parse_body(f,
	                   "{\"format\":\"jwt_vc_json\",\"types\":[\"VerifiableCredential\","
	                   "\"UserInfoCredential\"],\"proof\":{\"proof_type\":\"jwt\","
	                   "\"jwt\":\"a.b.c\"}}",
	                   &r),
	        CREDENTIAL_OK);
	assert_string_equal(r.format, "jwt_vc_json");
	assert_string_equal(r.proof_type, "jwt");
	assert_string_equal(r.proof_jwt, "a.b.c");
	/* types may be left out. */
	assert_int_equal(parse_body(f,
	                            "{\"format\":\"jwt_vc_json\",\"proof\":{\"proof_type\":\"jwt\","
	                            "\"jwt\":\"a.b.c\"}}",
	                            &r),
	                 CREDENTIAL_OK);
}

static void
test_request_parse_classifies_each_problem(void **state)
{
	struct fixture *f = *state;
	struct credential_request r;
	static const struct {
		const char *body;
		enum credential_problem p;
	} cases[] = {
	        {"",	                                                        CREDENTIAL_INVALID_REQUEST   },
	        {"not json",	                                                CREDENTIAL_INVALID_REQUEST   },
	        {"[]",	                                                      CREDENTIAL_INVALID_REQUEST   },
	        {"{\"format\":\"jwt_vc_json\",\"format\":\"jwt_vc_json\"}",
	         CREDENTIAL_INVALID_REQUEST	                                                              },
	        {"{\"types\":[\"VerifiableCredential\"]}",                          CREDENTIAL_INVALID_REQUEST   },
	        {"{\"format\":7}",	                                          CREDENTIAL_INVALID_REQUEST   },
	        {"{\"format\":\"ldp_vc\"}",                                         CREDENTIAL_UNSUPPORTED_FORMAT},
	        {"{\"format\":\"jwt_vc\"}",                                         CREDENTIAL_UNSUPPORTED_FORMAT},
	        {"{\"format\":\"jwt_vc_json\",\"types\":\"UserInfoCredential\"}",
	         CREDENTIAL_INVALID_REQUEST	                                                              },
	        {"{\"format\":\"jwt_vc_json\",\"types\":[]}",                       CREDENTIAL_INVALID_REQUEST   },
	        {"{\"format\":\"jwt_vc_json\",\"types\":[1]}",                      CREDENTIAL_INVALID_REQUEST   },
	        {"{\"format\":\"jwt_vc_json\",\"types\":[\"DriversLicense\"]}",
	         CREDENTIAL_UNSUPPORTED_TYPE	                                                             },
	        {"{\"format\":\"jwt_vc_json\"}",                                    CREDENTIAL_MISSING_PROOF     },
	        {"{\"format\":\"jwt_vc_json\",\"proof\":null}",                     CREDENTIAL_MISSING_PROOF     },
	        {"{\"format\":\"jwt_vc_json\",\"proof\":\"a.b.c\"}",                CREDENTIAL_INVALID_REQUEST   },
	        {"{\"format\":\"jwt_vc_json\",\"proof\":{\"proof_type\":\"cwt\","
	         "\"jwt\":\"a.b.c\"}}",	                    CREDENTIAL_INVALID_PROOF     },
	        {"{\"format\":\"jwt_vc_json\",\"proof\":{\"jwt\":\"a.b.c\"}}",
	         CREDENTIAL_INVALID_PROOF	                                                                },
	        {"{\"format\":\"jwt_vc_json\",\"proof\":{\"proof_type\":\"jwt\","
	         "\"jwt\":\"\"}}",	                         CREDENTIAL_INVALID_PROOF     },
	        {"{\"format\":\"jwt_vc_json\",\"proof\":{\"proof_type\":\"jwt\"}}",
	         CREDENTIAL_INVALID_PROOF	                                                                },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum credential_problem p = parse_body(f, cases[i].body, &r);

		if (p != cases[i].p)
			fail_msg("case %zu (%s): %d, expected %d", i, cases[i].body, (int)p,
			         (int)cases[i].p);
	}
}

/* Parses and checks a proof; ST_OK or ST_INVALID (with a message). */
static enum status
verify(struct fixture *f, const char *jwt, struct credential_proof *p)
{
	struct err err = {0};
	enum status st = credential_proof_parse(jwt, f->arena, p, &err);

	if (st == ST_OK)
		st = credential_proof_check_claims(p, ISSUER, NOW, &err);
	if (st != ST_OK) {
		assert_int_equal(st, ST_INVALID);
		assert_true(err.msg[0] != '\0');
	}
	return st;
}

/* The did:jwk of p decodes to a JWK that imports as the same key as key. */
static void
assert_did_is_key(struct fixture *f, const struct credential_proof *p, const struct jwk *key)
{
	const char *enc = p->did + strlen("did:jwk:");
	unsigned char *dec = NULL;
	size_t n = 0;
	char want[44], got[44];
	struct jwk *back = NULL;
	json_t *j;
	struct err err;

	assert_int_equal(strncmp(p->did, "did:jwk:", 8), 0);
	assert_int_equal(b64url_decode_arena(f->arena, enc, strlen(enc), &dec, &n, &err), ST_OK);
	j = json_loadb((const char *)dec, n, 0, NULL);
	assert_non_null(j);
	assert_null(json_object_get(j, "d"));
	assert_int_equal(jwk_import_public(j, &back, &err), ST_OK);
	json_decref(j);
	assert_int_equal(jwk_thumbprint(back, got, &err), ST_OK);
	assert_int_equal(jwk_thumbprint(key, want, &err), ST_OK);
	assert_string_equal(got, want);
	assert_string_equal(p->thumbprint, want);
	jwk_free(back);
}

static void
test_proof_es256_eddsa_rs256_are_accepted(void **state)
{
	struct fixture *f = *state;
	struct {
		struct jwk *key;
		unsigned alg;
	} keys[] = {
	        {f->es256, JWS_ALG_ES256},
	        {f->eddsa, JWS_ALG_EDDSA},
	        {f->rs256, JWS_ALG_RS256},
	};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct credential_proof p;

		assert_int_equal(verify(f, proof(f, keys[i].key, keys[i].alg), &p), ST_OK);
		assert_string_equal(p.nonce, "n-1");
		assert_int_equal(p.aud_count, 1);
		assert_true(p.has_iat);
		assert_did_is_key(f, &p, keys[i].key);
		credential_proof_clear(&p);
	}
}

static void
test_proof_without_optional_claims_is_accepted(void **state)
{
	struct fixture *f = *state;
	struct credential_proof p;

	/* Hydra's own proofs: only the nonce, no typ. */
	assert_int_equal(verify(f,
	                        proof_by(f, f->es256, JWS_ALG_ES256, bare_jwk(f->es256), NULL,
	                                 "{\"nonce\":\"n-1\"}"),
	                        &p),
	                 ST_OK);
	credential_proof_clear(&p);
	/* aud as an array naming us among others. */
	assert_int_equal(verify(f,
	                        proof_by(f, f->es256, JWS_ALG_ES256, bare_jwk(f->es256), NULL,
	                                 "{\"nonce\":\"n\",\"aud\":[\"x\",\"" ISSUER "\"]}"),
	                        &p),
	                 ST_OK);
	credential_proof_clear(&p);
}

static void
test_proof_with_private_key_in_jwk_is_refused(void **state)
{
	struct fixture *f = *state;
	struct credential_proof p;
	json_t *jwk = bare_jwk(f->es256);

	json_object_set_new(jwk, "d", json_string("870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE"));
	assert_int_equal(
	        verify(f, proof_by(f, f->es256, JWS_ALG_ES256, jwk, NULL, good_payload(f)), &p),
	        ST_INVALID);
	credential_proof_clear(&p);
}

static void
test_proof_alg_that_does_not_fit_the_key_is_refused(void **state)
{
	struct fixture *f = *state;
	struct credential_proof p;
	json_t *jwk;

	/* An RSA-signed proof that claims an EC key. */
	assert_int_equal(verify(f,
	                        proof_by(f, f->rs256, JWS_ALG_RS256, bare_jwk(f->es256), NULL,
	                                 good_payload(f)),
	                        &p),
	                 ST_INVALID);
	credential_proof_clear(&p);
	/* The JWK's own alg differs from the header's. */
	jwk = bare_jwk(f->rs256);
	json_object_set_new(jwk, "alg", json_string("PS256"));
	assert_int_equal(
	        verify(f, proof_by(f, f->rs256, JWS_ALG_RS256, jwk, NULL, good_payload(f)), &p),
	        ST_INVALID);
	credential_proof_clear(&p);
}

static void
test_proof_signed_by_another_key_is_refused(void **state)
{
	struct fixture *f = *state;
	struct credential_proof p;

	assert_int_equal(verify(f,
	                        proof_by(f, f->other, JWS_ALG_ES256, bare_jwk(f->es256), NULL,
	                                 good_payload(f)),
	                        &p),
	                 ST_INVALID);
	credential_proof_clear(&p);
}

static void
test_proof_alg_none_is_refused(void **state)
{
	struct fixture *f = *state;
	struct credential_proof p;
	json_t *header = json_pack("{s:s, s:o}", "alg", "none", "jwk", bare_jwk(f->es256));
	char *hdr = json_dumps(header, JSON_COMPACT);
	const char *payload = good_payload(f);
	const char *jwt;

	json_decref(header);
	jwt = arena_printf(f->arena, "%s.%s.", b64url_encode_arena(f->arena, hdr, strlen(hdr)),
	                   b64url_encode_arena(f->arena, payload, strlen(payload)));
	free(hdr);
	assert_int_equal(verify(f, jwt, &p), ST_INVALID);
	credential_proof_clear(&p);
	jwt = arena_printf(f->arena, "%s.%s.c2ln", b64url_encode_arena(f->arena, "x", 1), "e30");
	assert_int_equal(verify(f, jwt, &p), ST_INVALID);
	credential_proof_clear(&p);
}

static void
test_proof_header_rules(void **state)
{
	struct fixture *f = *state;
	struct credential_proof p;

	/* typ, when present, must be the proof type. */
	assert_int_equal(verify(f,
	                        proof_by(f, f->es256, JWS_ALG_ES256, bare_jwk(f->es256), "JWT",
	                                 good_payload(f)),
	                        &p),
	                 ST_INVALID);
	credential_proof_clear(&p);
	/* No jwk: the key is never looked up elsewhere (kid, jku). */
	assert_int_equal(
	        verify(f, proof_by(f, f->es256, JWS_ALG_ES256, NULL, NULL, good_payload(f)), &p),
	        ST_INVALID);
	credential_proof_clear(&p);
}

static void
test_proof_claim_rules(void **state)
{
	struct fixture *f = *state;
	struct credential_proof p;
	/* NOLINTBEGIN(bugprone-suspicious-missing-comma): ISSUER is pasted into the first one */
	static const char *const bad[] = {
	        "{\"aud\":\"" ISSUER "\"}", /* no nonce */
	        "{\"nonce\":\"\"}",         /* empty nonce */
	        "{\"nonce\":7}",            /* not a string */
	        "{\"nonce\":\"n\",\"aud\":\"https://other.example\"}",
	        "{\"nonce\":\"n\",\"aud\":[]}",
	        "{\"nonce\":\"n\",\"aud\":[7]}",
	        "{\"nonce\":\"n\",\"iat\":1799999699}", /* 301 s old */
	        "{\"nonce\":\"n\",\"iat\":1800000301}", /* 301 s ahead */
	        "{\"nonce\":\"n\",\"iat\":\"1800000000\"}",
	        "{\"nonce\":\"n\",\"iat\":-1}",
	        "[\"nonce\"]",
	};
	/* NOLINTEND(bugprone-suspicious-missing-comma) */

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (verify(f,
		           proof_by(f, f->es256, JWS_ALG_ES256, bare_jwk(f->es256), NULL, bad[i]),
		           &p) != ST_INVALID)
			fail_msg("accepted: %s", bad[i]);
		credential_proof_clear(&p);
	}
	/* The edges of the iat window are in. */
	assert_int_equal(verify(f,
	                        proof_by(f, f->es256, JWS_ALG_ES256, bare_jwk(f->es256), NULL,
	                                 "{\"nonce\":\"n\",\"iat\":1799999700}"),
	                        &p),
	                 ST_OK);
	credential_proof_clear(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_request_parse_accepts_hydra_sdk_body),
	        cmocka_unit_test(test_request_parse_classifies_each_problem),
	        cmocka_unit_test(test_proof_es256_eddsa_rs256_are_accepted),
	        cmocka_unit_test(test_proof_without_optional_claims_is_accepted),
	        cmocka_unit_test(test_proof_with_private_key_in_jwk_is_refused),
	        cmocka_unit_test(test_proof_alg_that_does_not_fit_the_key_is_refused),
	        cmocka_unit_test(test_proof_signed_by_another_key_is_refused),
	        cmocka_unit_test(test_proof_alg_none_is_refused),
	        cmocka_unit_test(test_proof_header_rules),
	        cmocka_unit_test(test_proof_claim_rules),
	};

	/* One set of keys for the whole group: RSA generation is slow under ASan. */
	return cmocka_run_group_tests(tests, setup, teardown);
}
