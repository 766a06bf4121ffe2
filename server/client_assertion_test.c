/*
 * server/client_assertion_test.c — private_key_jwt assertions: the claim
 * rules of client_assertion_check_claims on parsed assertions (no keys),
 * and the method end to end through router_dispatch (no sockets): the token
 * endpoint and /oauth2/revoke accept a signed assertion once and answer a
 * replay with 401 invalid_client, against a ":memory:" store and a fixed
 * clock.
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
#include "server/client_assertion.h"
#include "server/clients.h"
#include "server/docs.h"
#include "server/handlers.h"
#include "server/keys.h"
#include "server/router.h"

#define NOW            1800000000
#define ISSUER         "https://id.example.com"
#define TOKEN_ENDPOINT ISSUER "/oauth2/token"
#define ASSERTION_TYPE "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"

/* ---- claim rules (pure) ---- */

/* Parses an assertion with this payload (dummy signature) into *a. */
static void
parse_claims(struct arena *arena, const char *payload, struct client_assertion *a)
{
	static const char header[] = "{\"alg\":\"ES256\"}";
	struct err err;
	const char *jwt = arena_printf(arena, "%s.%s.AAAA",
	                               b64url_encode_arena(arena, header, strlen(header)),
	                               b64url_encode_arena(arena, payload, strlen(payload)));

	assert_int_equal(client_assertion_parse(jwt, arena, a, &err), ST_OK);
}

/* client_assertion_check_claims of payload for client "rp" at NOW: NULL when accepted. */
static const char *
check(struct arena *arena, const char *payload)
{
	struct client_assertion a;
	struct err err = {0};

	parse_claims(arena, payload, &a);
	if (client_assertion_check_claims(&a, "rp", ISSUER, TOKEN_ENDPOINT, NOW, &err) == ST_OK)
		return NULL;
	return arena_strdup(arena, err.msg);
}

#define RP "\"iss\":\"rp\",\"sub\":\"rp\",\"jti\":\"j\""

static void
test_claims_accept_either_audience_also_in_an_array(void **state)
{
	struct arena *arena = arena_new();

	(void)state;
	assert_null(check(arena, "{" RP ",\"aud\":\"" TOKEN_ENDPOINT "\",\"exp\":1800000060}"));
	assert_null(check(arena, "{" RP ",\"aud\":\"" ISSUER "\",\"exp\":1800000060}"));
	assert_null(check(arena, "{" RP ",\"aud\":[\"x\",\"" ISSUER "\"],\"exp\":1800000060}"));
	assert_non_null(
	        strstr(check(arena, "{" RP ",\"aud\":[\"x\",\"" ISSUER "/\"],\"exp\":1800000060}"),
	               "aud names neither"));
	arena_free(arena);
}

static void
test_claims_allow_sixty_seconds_of_skew(void **state)
{
	struct arena *arena = arena_new();

	(void)state;
	assert_null(check(arena, "{" RP ",\"aud\":\"" ISSUER "\",\"exp\":1799999941,"
	                         "\"iat\":1800000060,\"nbf\":1800000060}"));
	assert_non_null(strstr(check(arena, "{" RP ",\"aud\":\"" ISSUER "\",\"exp\":1799999940}"),
	                       "expired"));
	assert_non_null(strstr(check(arena, "{" RP ",\"aud\":\"" ISSUER "\",\"exp\":1800000600,"
	                                    "\"nbf\":1800000061}"),
	                       "nbf"));
	assert_non_null(strstr(check(arena, "{" RP ",\"aud\":\"" ISSUER "\",\"exp\":1800000600,"
	                                    "\"iat\":1800000061}"),
	                       "iat"));
	/* A fractional NumericDate is truncated. */
	assert_null(check(arena, "{" RP ",\"aud\":\"" ISSUER "\",\"exp\":1799999941.5}"));
	arena_free(arena);
}

static void
test_claims_require_a_bounded_jti(void **state)
{
	struct arena *arena = arena_new();
	char jti[CLIENT_ASSERTION_JTI_MAX + 2];

	(void)state;
	assert_non_null(strstr(check(arena, "{\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":\"" ISSUER
	                                    "\",\"exp\":1800000060}"),
	                       "jti is required"));
	assert_non_null(
	        strstr(check(arena, "{\"iss\":\"rp\",\"sub\":\"rp\",\"jti\":\"\",\"aud\":\"" ISSUER
	                            "\",\"exp\":1800000060}"),
	               "jti is required"));
	memset(jti, 'j', sizeof jti - 1);
	jti[sizeof jti - 1] = '\0';
	assert_non_null(
	        strstr(check(arena, arena_printf(arena,
	                                         "{\"iss\":\"rp\",\"sub\":\"rp\",\"jti\":\"%s\","
	                                         "\"aud\":\"" ISSUER "\",\"exp\":1800000060}",
	                                         jti)),
	               "longer than"));
	jti[sizeof jti - 2] = '\0';
	assert_null(check(arena, arena_printf(arena,
	                                      "{\"iss\":\"rp\",\"sub\":\"rp\",\"jti\":\"%s\","
	                                      "\"aud\":\"" ISSUER "\",\"exp\":1800000060}",
	                                      jti)));
	arena_free(arena);
}

static void
test_claims_iss_and_sub_are_the_client(void **state)
{
	struct arena *arena = arena_new();

	(void)state;
	assert_non_null(strstr(check(arena, "{\"iss\":\"other\",\"sub\":\"rp\",\"jti\":\"j\","
	                                    "\"aud\":\"" ISSUER "\",\"exp\":1800000060}"),
	                       "iss is not"));
	assert_non_null(strstr(check(arena, "{\"iss\":\"rp\",\"sub\":\"other\",\"jti\":\"j\","
	                                    "\"aud\":\"" ISSUER "\",\"exp\":1800000060}"),
	                       "sub is not"));
	arena_free(arena);
}

static void
test_parse_refuses_malformed_claims(void **state)
{
	static const char *const bad[] = {
	        "[]",
	        "{\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":\"a\",\"exp\":\"1800000060\"}",
	        "{\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":\"a\",\"exp\":-1}",
	        "{\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":\"a\",\"exp\":1e300}",
	        "{\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":[],\"exp\":1}",
	        "{\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":[1],\"exp\":1}",
	        "{\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":\"\",\"exp\":1}",
	        "{\"iss\":\"\",\"sub\":\"rp\",\"aud\":\"a\",\"exp\":1}",
	        "{\"iss\":\"rp\",\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":\"a\",\"exp\":1}",
	        "{\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":\"a\",\"exp\":1,\"jti\":7}",
	        "{\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":\"a\",\"exp\":1,\"nbf\":null}",
	};
	struct arena *arena = arena_new();
	struct client_assertion a;
	struct err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *jwt = arena_printf(arena, "eyJhbGciOiJFUzI1NiJ9.%s.AAAA",
		                               b64url_encode_arena(arena, bad[i], strlen(bad[i])));

		err.msg[0] = '\0';
		if (client_assertion_parse(jwt, arena, &a, &err) != ST_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err.msg, "client_assertion"));
	}
	arena_free(arena);
}

/* ---- through the router ---- */

struct fixture {
	struct config cfg;
	struct app app;
	struct app_docs docs;
	struct arena *arena;
	struct jwk *key;
};

static int
setup(void **state)
{
	static const struct config_override o[] = {
	        {"issuer",         ISSUER                            },
	        {"keys.algorithm", "ES256"                           },
	        {"secrets.system", "0123456789abcdef0123456789abcdef"},
	};
	struct fixture *f = test_calloc(1, sizeof *f);
	struct store_options so = {0};
	struct client_problem problem;
	json_t *in, *out = NULL;
	bool generated;
	struct err err;

	assert_int_equal(config_load(NULL, NULL, o, 3, false, &f->cfg, &err), ST_OK);
	assert_int_equal(store_open(":memory:", &so, &f->app.store, &err), ST_OK);
	assert_int_equal(store_migrate(f->app.store, NULL, &err), ST_OK);
	f->app.cfg = &f->cfg;
	f->app.issuer = f->cfg.issuer;
	f->app.clock.fixed_secs = NOW;
	f->app.keyring = keys_keyring_new(&f->cfg);
	f->app.version = "9.9.9";
	docs_init(&f->docs);
	f->app.docs = &f->docs;
	f->arena = arena_new();
	assert_int_equal(
	        keys_bootstrap(&f->cfg, f->app.store, f->app.keyring, NOW - 7200, &generated, &err),
	        ST_OK);
	assert_int_equal(jwk_generate(JWS_ALG_ES256, 0, &f->key, &err), ST_OK);
	jwk_set_kid(f->key, "rp-key-1");
	in = json_pack("{s:s, s:[s], s:[], s:s, s:s, s:{s:[o]}}", "client_id", "rp", "grant_types",
	               "client_credentials", "response_types", "scope", "api.read",
	               "token_endpoint_auth_method", "private_key_jwt", "jwks", "keys",
	               jwk_to_public_json(f->key));
	if (clients_create(&f->app, CLIENT_POLICY_ADMIN, in, f->arena, &out, &problem, &err) !=
	    ST_OK)
		fail_msg("client: %s", problem.description);
	json_decref(in);
	json_decref(out);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	jwk_free(f->key);
	arena_free(f->arena);
	docs_free(&f->docs);
	keyring_free(f->app.keyring);
	store_close(f->app.store);
	config_free(&f->cfg);
	test_free(f);
	return 0;
}

/* A signed assertion of client "rp" for the token endpoint with this jti. */
static const char *
assertion(struct fixture *f, const char *jti)
{
	const char *payload =
	        arena_printf(f->arena,
	                     "{\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":\"" TOKEN_ENDPOINT
	                     "\",\"iat\":%d,\"exp\":%d,\"jti\":\"%s\"}",
	                     NOW, NOW + 60, jti);
	char *jwt = NULL;
	struct err err;

	assert_int_equal(jws_sign(f->key, JWS_ALG_ES256, NULL, payload, strlen(payload), f->arena,
	                          &jwt, &err),
	                 ST_OK);
	return jwt;
}

/* POSTs body to path on the public listener through the router. */
static struct response
post(struct fixture *f, const char *path, const char *body)
{
	struct request req;
	struct response res;
	struct err err;

	memset(&req, 0, sizeof req);
	req.arena = f->arena;
	req.method = HTTP_POST;
	req.path = path;
	req.client_ip = "192.0.2.7";
	strcpy(req.id, "test");
	req.body = arena_strdup(f->arena, body);
	req.body_len = strlen(body);
	req.content_type = "application/x-www-form-urlencoded";
	assert_int_equal(form_parse(body, strlen(body), f->arena, &req.form, &err), ST_OK);
	response_init(&res);
	router_dispatch(&f->app, routes_public, routes_public_count, &req, &res);
	return res;
}

static void
assert_invalid_client(const struct response *res)
{
	assert_int_equal(res->status, 401);
	assert_non_null(strstr(res->body, "\"invalid_client\""));
}

static void
test_token_endpoint_accepts_an_assertion_once(void **state)
{
	struct fixture *f = *state;
	const char *body = arena_printf(f->arena,
	                                "grant_type=client_credentials&scope=api.read"
	                                "&client_assertion_type=%s&client_assertion=%s",
	                                ASSERTION_TYPE, assertion(f, "a-1"));
	struct response res = post(f, "/oauth2/token", body);

	assert_int_equal(res.status, 200);
	assert_non_null(strstr(res.body, "\"access_token\""));
	res = post(f, "/oauth2/token", body);
	assert_invalid_client(&res);
	/* client_id in the body may name the client (OIDC Core §9). */
	res = post(f, "/oauth2/token",
	           arena_printf(f->arena,
	                        "grant_type=client_credentials&client_id=rp"
	                        "&client_assertion_type=%s&client_assertion=%s",
	                        ASSERTION_TYPE, assertion(f, "a-2")));
	assert_int_equal(res.status, 200);
}

static void
test_revoke_authenticates_with_an_assertion(void **state)
{
	struct fixture *f = *state;
	const char *body = arena_printf(f->arena,
	                                "token=unknown-token&client_assertion_type=%s"
	                                "&client_assertion=%s",
	                                ASSERTION_TYPE, assertion(f, "r-1"));
	struct response res = post(f, "/oauth2/revoke", body);

	/* RFC 7009 §2.2: an unknown token is a 200, once the client authenticated. */
	assert_int_equal(res.status, 200);
	res = post(f, "/oauth2/revoke", body);
	assert_invalid_client(&res);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_claims_accept_either_audience_also_in_an_array),
	        cmocka_unit_test(test_claims_allow_sixty_seconds_of_skew),
	        cmocka_unit_test(test_claims_require_a_bounded_jti),
	        cmocka_unit_test(test_claims_iss_and_sub_are_the_client),
	        cmocka_unit_test(test_parse_refuses_malformed_claims),
	        T(test_token_endpoint_accepts_an_assertion_once),
	        T(test_revoke_authenticates_with_an_assertion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
