/*
 * crypto/jws_test.c — compact JWS against the published examples
 * (RFC 7515 Appendix A.2-A.4, RFC 8037 Appendix A.4-A.5), sign/verify round
 * trips for every family, and the refusals: tampering, "none", HS256, algs
 * outside the allow-list or the key type, malformed compact strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "crypto/b64url.h"
#include "crypto/jws.h"

/* RFC 7515 Appendix A.2: RS256 example and its public key. */
static const char a2_n[] =
        "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-"
        "4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_"
        "7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-"
        "UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-"
        "DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
static const char a2_jws[] =
        "eyJhbGciOiJSUzI1NiJ9"
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0c"
        "nVlfQ"
        ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_"
        "O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"
        "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
        "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp"
        "0igcN_IoypGlUPQGe77Rw";

/* RFC 7515 Appendix A.3: ES256. */
static const char a3_x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char a3_y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char a3_jws[] =
        "eyJhbGciOiJFUzI1NiJ9"
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0c"
        "nVlfQ"
        ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

/* RFC 7515 Appendix A.4: ES512. */
static const char a4_x[] =
        "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk";
static const char a4_y[] =
        "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2";
static const char a4_jws[] =
        "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA"
        ".AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_"
        "7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_"
        "Jn";

/* RFC 7515 Appendix A.1: HS256 (must never verify here). */
static const char a1_jws[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
                             ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl"
                             "LmNvbS9pc19yb290Ijp0cnVlfQ"
                             ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/* RFC 8037 Appendix A.4: Ed25519 is deterministic, so signing must give this. */
static const char ed_x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
static const char ed_jws[] =
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
        ".hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
/* PKCS#8 (RFC 8410 §7) of the RFC 8037 A.1 private key. */
static const unsigned char ed_der[] = {
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
        0x04, 0x22, 0x04, 0x20, 0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
        0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69,
        0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

/* One arena and one generated RSA key per run: RSA generation is slow. */
struct fixture {
	struct arena *arena;
	struct jwk *rsa; /* private, 2048 bits, no alg recorded */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct err err = {0};

	if (f == NULL || jwk_generate(JWS_ALG_RS256, 2048, &f->rsa, &err) != ST_OK)
		return -1;
	jwk_set_alg(f->rsa, 0); /* serves RS256 and PS256 */
	f->arena = arena_new();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	jwk_free(f->rsa);
	arena_free(f->arena);
	free(f);
	return 0;
}

static struct jwk *
import(json_t *j)
{
	struct jwk *key = NULL;
	struct err err = {0};

	assert_non_null(j);
	assert_int_equal(jwk_import_public(j, &key, &err), ST_OK);
	json_decref(j);
	return key;
}

static struct jwk *
a2_key(void)
{
	return import(json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", a2_n, "e", "AQAB"));
}

static struct jwk *
ec_key(const char *crv, const char *x, const char *y)
{
	return import(json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", crv, "x", x, "y", y));
}

static struct jwk *
ed_key(void)
{
	return import(json_pack("{s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "x", ed_x));
}

/* Parses compact and verifies it with key under mask; returns the status of the first failure. */
static enum status
check(struct arena *arena, const char *compact, const struct jwk *key, unsigned mask)
{
	struct jws jws;
	struct err err = {0};
	enum status st = jws_parse(compact, arena, &jws, &err);

	if (st != ST_OK)
		return st;
	return jws_verify(&jws, key, mask, &err);
}

static void
test_rfc7515_a2_rs256_verifies(void **state)
{
	struct fixture *f = *state;
	struct jwk *key = a2_key();
	struct jws jws;
	struct err err = {0};

	assert_int_equal(jws_parse(a2_jws, f->arena, &jws, &err), ST_OK);
	assert_int_equal(jws.alg, JWS_ALG_RS256);
	assert_string_equal(jws.alg_name, "RS256");
	assert_null(jws.kid);
	assert_null(jws.typ);
	assert_string_equal(jws.header_json, "{\"alg\":\"RS256\"}");
	assert_int_equal(jws.signature_len, 256);
	assert_non_null(strstr((const char *)jws.payload, "\"iss\":\"joe\""));
	assert_int_equal(jws_verify(&jws, key, JWS_ALG_RS256, &err), ST_OK);
	jwk_free(key);
}

static void
test_rfc7515_a3_es256_verifies(void **state)
{
	struct fixture *f = *state;
	struct jwk *key = ec_key("P-256", a3_x, a3_y);

	assert_int_equal(check(f->arena, a3_jws, key, JWS_ALG_ES256), ST_OK);
	jwk_free(key);
}

static void
test_rfc7515_a4_es512_verifies(void **state)
{
	struct fixture *f = *state;
	struct jwk *key = ec_key("P-521", a4_x, a4_y);

	assert_int_equal(check(f->arena, a4_jws, key, JWS_ALG_ALL), ST_OK);
	jwk_free(key);
}

static void
test_rfc8037_ed25519_signature_is_the_published_one(void **state)
{
	static const char payload[] = "Example of Ed25519 signing";
	struct fixture *f = *state;
	struct jwk *priv = NULL, *pub = ed_key();
	struct err err = {0};
	char *out = NULL;

	assert_int_equal(jwk_private_from_der(ed_der, sizeof ed_der, JWS_ALG_EDDSA, &priv, &err),
	                 ST_OK);
	jwk_set_kid(priv, ""); /* the RFC's header is {"alg":"EdDSA"} alone */
	assert_int_equal(
	        jws_sign(priv, JWS_ALG_EDDSA, NULL, payload, strlen(payload), f->arena, &out, &err),
	        ST_OK);
	assert_string_equal(out, ed_jws);
	/* RFC 8037 A.5: and it verifies with the public key of A.2. */
	assert_int_equal(check(f->arena, ed_jws, pub, JWS_ALG_EDDSA), ST_OK);
	jwk_free(priv);
	jwk_free(pub);
}

/* Signs with priv, re-imports its public JWK, parses and verifies the result. */
static void
round_trip(struct arena *arena, const struct jwk *priv, unsigned alg)
{
	static const char payload[] = "{\"sub\":\"alice\"}";
	json_t *extra = json_pack("{s:s}", "typ", "JWT");
	struct jwk *pub = import(jwk_to_public_json(priv));
	struct jws jws;
	struct err err = {0};
	char *out = NULL;

	assert_int_equal(jws_sign(priv, alg, extra, payload, strlen(payload), arena, &out, &err),
	                 ST_OK);
	assert_int_equal(jws_parse(out, arena, &jws, &err), ST_OK);
	assert_int_equal(jws.alg, alg);
	assert_string_equal(jws.kid, jwk_kid(priv));
	assert_string_equal(jws.typ, "JWT");
	assert_int_equal(jws.payload_len, strlen(payload));
	assert_memory_equal(jws.payload, payload, strlen(payload));
	/* Compact header, members in order (RFC 7515 §7.1 needs no particular order, we do). */
	assert_non_null(strstr(jws.header_json, "{\"alg\":\""));
	assert_null(strchr(jws.header_json, ' '));
	jwk_set_alg(pub, 0);
	assert_int_equal(jws_verify(&jws, pub, alg, &err), ST_OK);
	assert_int_equal(jws_verify(&jws, pub, JWS_ALG_ALL & ~alg, &err), ST_INVALID);
	json_decref(extra);
	jwk_free(pub);
}

static void
test_rs256_and_ps256_round_trip(void **state)
{
	struct fixture *f = *state;

	round_trip(f->arena, f->rsa, JWS_ALG_RS256);
	round_trip(f->arena, f->rsa, JWS_ALG_PS256);
	round_trip(f->arena, f->rsa, JWS_ALG_PS512);
}

static void
test_ec_and_eddsa_round_trip(void **state)
{
	static const unsigned algs[] = {JWS_ALG_ES256, JWS_ALG_ES384, JWS_ALG_ES512, JWS_ALG_EDDSA};
	struct fixture *f = *state;
	struct jwk *key = NULL;
	struct err err = {0};
	size_t i;

	for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		assert_int_equal(jwk_generate(algs[i], 0, &key, &err), ST_OK);
		round_trip(f->arena, key, algs[i]);
		jwk_free(key);
	}
}

static void
test_ps256_signature_does_not_pass_as_rs256(void **state)
{
	struct fixture *f = *state;
	struct jwk *pub = import(jwk_to_public_json(f->rsa));
	struct jws jws;
	struct err err = {0};
	char *out = NULL;

	jwk_set_alg(pub, 0);
	assert_int_equal(jws_sign(f->rsa, JWS_ALG_PS256, NULL, "x", 1, f->arena, &out, &err),
	                 ST_OK);
	assert_int_equal(jws_parse(out, f->arena, &jws, &err), ST_OK);
	jws.alg = JWS_ALG_RS256;
	assert_int_equal(jws_verify(&jws, pub, JWS_ALG_ALL, &err), ST_INVALID);
	jwk_free(pub);
}

/* Replaces the part `index` (0..2) of compact with text, in the arena. */
static char *
replace_part(struct arena *arena, const char *compact, int index, const char *text)
{
	const char *dot1 = strchr(compact, '.');
	const char *dot2 = strchr(dot1 + 1, '.');

	if (index == 0)
		return arena_printf(arena, "%s%s", text, dot1);
	if (index == 1)
		return arena_printf(arena, "%.*s.%s%s", (int)(dot1 - compact), compact, text, dot2);
	return arena_printf(arena, "%.*s.%s", (int)(dot2 - compact), compact, text);
}

static void
test_tampered_token_fails(void **state)
{
	struct fixture *f = *state;
	struct jwk *ec = ec_key("P-256", a3_x, a3_y), *rsa = a2_key();
	char *bad;

	/* {"iss":"joe"} instead of the signed payload. */
	bad = replace_part(f->arena, a3_jws, 1, "eyJpc3MiOiJqb2UifQ");
	assert_int_equal(check(f->arena, bad, ec, JWS_ALG_ES256), ST_INVALID);
	bad = replace_part(f->arena, a2_jws, 1, "eyJpc3MiOiJqb2UifQ");
	assert_int_equal(check(f->arena, bad, rsa, JWS_ALG_RS256), ST_INVALID);
	/* One flipped signature character. */
	bad = arena_strdup(f->arena, a3_jws);
	bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(check(f->arena, bad, ec, JWS_ALG_ES256), ST_INVALID);
	/* ECDSA r||s must be exactly 64 bytes for ES256 (RFC 7518 §3.4). */
	bad = arena_strndup(f->arena, a3_jws, strlen(a3_jws) - 2);
	assert_int_equal(check(f->arena, bad, ec, JWS_ALG_ES256), ST_INVALID);
	/* RSA signatures are exactly k bytes (RFC 8017 §8.2.2). */
	bad = replace_part(f->arena, a2_jws, 2, "AAAA");
	assert_int_equal(check(f->arena, bad, rsa, JWS_ALG_RS256), ST_INVALID);
	jwk_free(ec);
	jwk_free(rsa);
}

static void
test_alg_none_and_hs256_are_rejected(void **state)
{
	struct fixture *f = *state;
	struct jwk *rsa = a2_key();
	struct jws jws;
	struct err err = {0};
	char *none;

	/* {"alg":"none"} with a signature part so that it parses. */
	none = replace_part(f->arena, a2_jws, 0, "eyJhbGciOiJub25lIn0");
	assert_int_equal(jws_parse(none, f->arena, &jws, &err), ST_OK);
	assert_int_equal(jws.alg, 0);
	assert_string_equal(jws.alg_name, "none");
	assert_int_equal(jws_verify(&jws, rsa, JWS_ALG_ALL, &err), ST_INVALID);
	/* The classic unsecured form, with an empty signature, does not even parse. */
	none = arena_printf(f->arena, "eyJhbGciOiJub25lIn0.%s.", "eyJpc3MiOiJqb2UifQ");
	assert_int_equal(jws_parse(none, f->arena, &jws, &err), ST_INVALID);

	assert_int_equal(jws_parse(a1_jws, f->arena, &jws, &err), ST_OK);
	assert_int_equal(jws.alg, 0);
	assert_string_equal(jws.typ, "JWT");
	assert_int_equal(jws_verify(&jws, rsa, JWS_ALG_ALL, &err), ST_INVALID);
	jwk_free(rsa);
}

static void
test_alg_outside_allow_list_is_rejected(void **state)
{
	struct fixture *f = *state;
	struct jwk *rsa = a2_key();

	assert_int_equal(check(f->arena, a2_jws, rsa, JWS_ALG_ES256 | JWS_ALG_PS256), ST_INVALID);
	assert_int_equal(check(f->arena, a2_jws, rsa, 0), ST_INVALID);
	assert_int_equal(check(f->arena, a2_jws, rsa, JWS_ALG_RS256 | JWS_ALG_ES256), ST_OK);
	jwk_free(rsa);
}

static void
test_token_alg_must_fit_the_key(void **state)
{
	struct fixture *f = *state;
	struct jwk *ec = ec_key("P-256", a3_x, a3_y), *p521 = ec_key("P-521", a4_x, a4_y);
	struct jwk *rsa = a2_key();
	struct jws jws;
	struct err err = {0};

	/* RS256 token against an EC key, whatever the mask says. */
	assert_int_equal(jws_parse(a2_jws, f->arena, &jws, &err), ST_OK);
	assert_int_equal(jws_verify(&jws, ec, JWS_ALG_ALL, &err), ST_INVALID);
	assert_non_null(strstr(err.msg, "does not fit the key"));
	/* ES256 token against a P-521 key, and against an RSA key. */
	assert_int_equal(check(f->arena, a3_jws, p521, JWS_ALG_ALL), ST_INVALID);
	assert_int_equal(check(f->arena, a3_jws, rsa, JWS_ALG_ALL), ST_INVALID);
	/* The key's own alg wins over a header that the key type could verify. */
	jwk_set_alg(rsa, JWS_ALG_PS256);
	assert_int_equal(check(f->arena, a2_jws, rsa, JWS_ALG_ALL), ST_INVALID);
	jwk_free(ec);
	jwk_free(p521);
	jwk_free(rsa);
}

/* base64url of a header text, for building malformed tokens. */
static const char *
hdr(struct arena *arena, const char *json)
{
	return b64url_encode_arena(arena, json, strlen(json));
}

static void
test_malformed_compact_is_rejected(void **state)
{
	struct fixture *f = *state;
	struct arena *a = f->arena;
	const char *sig = "c2ln", *pay = "cGF5";
	const char *bad[] = {
	        "",
	        "abc",
	        "a.b",
	        "eyJhbGciOiJSUzI1NiJ9.cGF5.c2ln.c2ln",
	        ".cGF5.c2ln",
	        "eyJhbGciOiJSUzI1NiJ9..c2ln",
	        "eyJhbGciOiJSUzI1NiJ9.cGF5.",
	        "eyJhbGciOiJSUzI1NiJ9=.cGF5.c2ln",
	        "eyJhbGciOiJSUzI1NiJ9.cGF5.c2l+",
	        "eyJhbGciOiJSUzI1NiJ9.cG F5.c2ln",
	        arena_printf(a, "%s.%s.%s", hdr(a, "not json"), pay, sig),
	        arena_printf(a, "%s.%s.%s", hdr(a, "[\"alg\",\"RS256\"]"), pay, sig),
	        arena_printf(a, "%s.%s.%s", hdr(a, "{}"), pay, sig),
	        arena_printf(a, "%s.%s.%s", hdr(a, "{\"alg\":256}"), pay, sig),
	        arena_printf(a, "%s.%s.%s", hdr(a, "{\"alg\":\"RS256\",\"kid\":1}"), pay, sig),
	        arena_printf(a, "%s.%s.%s", hdr(a, "{\"alg\":\"RS256\",\"typ\":null}"), pay, sig),
	        arena_printf(a, "%s.%s.%s", hdr(a, "{\"alg\":\"RS256\",\"alg\":\"none\"}"), pay,
	                     sig),
	        arena_printf(a, "%s.%s.%s", hdr(a, "{\"alg\":\"RS256\",\"crit\":[\"exp\"]}"), pay,
	                     sig),
	        arena_printf(a, "%s.%s.%s", hdr(a, "{\"alg\":\"RS256\",\"b64\":false}"), pay, sig),
	        arena_printf(a, "%s.%s.%s", hdr(a, "{\"alg\":\"RS256\"} trailing"), pay, sig),
	        arena_printf(a, "%s.%s.%s", b64url_encode_arena(a, "{\"alg\":\"RS256\"}\0", 16),
	                     pay, sig),
	};
	struct jws jws;
	struct err err = {0};
	size_t i;
	char *huge;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_clear(&err);
		if (jws_parse(bad[i], a, &jws, &err) != ST_INVALID)
			fail_msg("accepted malformed JWS #%zu: %s", i, bad[i]);
		assert_true(err.msg[0] != '\0');
	}
	assert_int_equal(jws_parse(NULL, a, &jws, &err), ST_INVALID);

	/* 64 KiB + 1 of an otherwise well-formed token. */
	huge = arena_alloc(a, 64 * 1024 + 2);
	memset(huge, 'A', 64 * 1024 + 1);
	huge[20] = '.';
	huge[64 * 1024 - 10] = '.';
	assert_int_equal(jws_parse(huge, a, &jws, &err), ST_INVALID);
}

static void
test_sign_refuses_public_keys_and_foreign_algs(void **state)
{
	struct fixture *f = *state;
	struct jwk *pub = a2_key();
	json_t *extra = json_pack("{s:s}", "alg", "none");
	struct err err = {0};
	char *out = NULL;

	assert_int_equal(jws_sign(pub, JWS_ALG_RS256, NULL, "x", 1, f->arena, &out, &err),
	                 ST_INVALID);
	assert_int_equal(jws_sign(f->rsa, JWS_ALG_ES256, NULL, "x", 1, f->arena, &out, &err),
	                 ST_INVALID);
	assert_int_equal(jws_sign(f->rsa, JWS_ALG_RS256, extra, "x", 1, f->arena, &out, &err),
	                 ST_INVALID);
	json_decref(extra);
	extra = json_string("typ");
	assert_int_equal(jws_sign(f->rsa, JWS_ALG_RS256, extra, "x", 1, f->arena, &out, &err),
	                 ST_INVALID);
	json_decref(extra);
	assert_null(out);
	jwk_free(pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc7515_a2_rs256_verifies),
	        cmocka_unit_test(test_rfc7515_a3_es256_verifies),
	        cmocka_unit_test(test_rfc7515_a4_es512_verifies),
	        cmocka_unit_test(test_rfc8037_ed25519_signature_is_the_published_one),
	        cmocka_unit_test(test_rs256_and_ps256_round_trip),
	        cmocka_unit_test(test_ec_and_eddsa_round_trip),
	        cmocka_unit_test(test_ps256_signature_does_not_pass_as_rs256),
	        cmocka_unit_test(test_tampered_token_fails),
	        cmocka_unit_test(test_alg_none_and_hs256_are_rejected),
	        cmocka_unit_test(test_alg_outside_allow_list_is_rejected),
	        cmocka_unit_test(test_token_alg_must_fit_the_key),
	        cmocka_unit_test(test_malformed_compact_is_rejected),
	        cmocka_unit_test(test_sign_refuses_public_keys_and_foreign_algs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
