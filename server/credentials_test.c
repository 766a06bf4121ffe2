/*
 * server/credentials_test.c — POST /credentials and GET /admin/credentials
 * through the router with in-memory requests (no sockets), against a
 * ":memory:" store, a fixed clock and a generated ES256 signing key. The
 * access token and its first nonce are written to the store directly (the
 * token endpoint's c_nonce is covered by flow_test.c and the integration
 * test). Pinned here: the credential is signed by our key and bound to the
 * proof key, claims follow scopes, a nonce works once and only for its
 * token, every refusal carries a fresh nonce and issues nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "crypto/b64url.h"
#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "server/clients.h"
#include "server/credentials.h"
#include "server/docs.h"
#include "server/handlers.h"
#include "server/keys.h"
#include "server/subject.h"
#include "server/tokens.h"
#include "server/users.h"

#define NOW        1800000000
#define ISSUER     "https://id.example.com"
#define TOKEN      "oidcd_at_credentials-test-token-0123456789abcdef"
#define TOKEN_PW   "oidcd_at_credentials-test-pairwise-0123456789abc"
#define TOKEN_BARE "oidcd_at_credentials-test-no-vc-scope-0123456789"
#define NONCE      "first-nonce-0123456789"
#define SCOPE      "openid email userinfo_credential_draft_00"

struct fixture {
	struct config cfg;
	struct app app;
	struct app_docs docs;
	struct arena *arena;
	const char *user_id;
	struct jwk *holder; /* the wallet's key */
};

static void
make_client(struct fixture *f, const char *json)
{
	struct client_problem problem;
	json_t *in = json_loads(json, 0, NULL), *out = NULL;
	struct err err;

	assert_non_null(in);
	if (clients_create(&f->app, CLIENT_POLICY_ADMIN, in, f->arena, &out, &problem, &err) !=
	    ST_OK)
		fail_msg("client: %s", problem.description);
	json_decref(in);
	json_decref(out);
}

static void
make_token(struct fixture *f, const char *token, const char *client_id, const char *scope)
{
	unsigned char hash[STORE_HASH_LEN];
	struct store_token t = {
	        .token_hash = hash,
	        .kind = STORE_TOKEN_ACCESS,
	        .grant_id = token + 20,
	        .client_id = client_id,
	        .user_id = f->user_id,
	        .sid = "sid-must-not-leak",
	        .scope = scope,
	        .created_at = NOW - 10,
	        .expires_at = NOW + 3600,
	};
	struct err err;

	tokens_hash(&f->app, token, hash);
	assert_int_equal(store_token_insert(f->app.store, &t, 1, &err), ST_OK);
}

static void
give_nonce(struct fixture *f, const char *token, const char *nonce)
{
	unsigned char th[STORE_HASH_LEN], nh[STORE_HASH_LEN];
	struct err err;

	tokens_hash(&f->app, token, th);
	credentials_nonce_hash(&f->app, nonce, nh);
	assert_int_equal(store_vc_nonce_insert(f->app.store, nh, th, NOW + 3600, &err), ST_OK);
}

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
	struct user_problem up;
	struct err err;
	json_t *in, *out = NULL;
	bool generated;

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
	in = json_pack("{s:s, s:s, s:s, s:b}", "username", "alice", "name", "Alice Liddell",
	               "email", "alice@example.com", "email_verified", 1);
	assert_int_equal(
	        users_create(&f->app, in, "correct horse battery", 21, f->arena, &out, &up, &err),
	        ST_OK);
	f->user_id = arena_strdup(f->arena, json_string_value(json_object_get(out, "id")));
	json_decref(in);
	json_decref(out);
	make_client(f, "{\"client_id\":\"vc\",\"client_secret\":\"vc-secret-0123456789abcdef\","
	               "\"redirect_uris\":[\"https://rp.example.com/cb\"],"
	               "\"scope\":\"openid profile email userinfo_credential_draft_00\"}");
	make_client(f, "{\"client_id\":\"pw\",\"client_secret\":\"pw-secret-0123456789abcdef\","
	               "\"redirect_uris\":[\"https://pw.example.com/cb\"],"
	               "\"subject_type\":\"pairwise\","
	               "\"scope\":\"openid userinfo_credential_draft_00\"}");
	make_token(f, TOKEN, "vc", SCOPE);
	make_token(f, TOKEN_PW, "pw", "openid userinfo_credential_draft_00");
	make_token(f, TOKEN_BARE, "vc", "openid email");
	give_nonce(f, TOKEN, NONCE);
	assert_int_equal(jwk_generate(JWS_ALG_ES256, 0, &f->holder, &err), ST_OK);
	jwk_set_kid(f->holder, "");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	jwk_free(f->holder);
	arena_free(f->arena);
	docs_free(&f->docs);
	keyring_free(f->app.keyring);
	store_close(f->app.store);
	config_free(&f->cfg);
	test_free(f);
	return 0;
}

static struct response
dispatch(struct fixture *f, bool is_admin, enum http_method method, const char *path,
         const char *query, const char *body, const char *token)
{
	struct request req;
	struct response res;
	struct request_header *h = arena_alloc(f->arena, 2 * sizeof *h);
	struct err err;

	memset(&req, 0, sizeof req);
	req.arena = f->arena;
	req.method = method;
	req.path = path;
	req.client_ip = "192.0.2.7";
	req.is_admin = is_admin;
	strcpy(req.id, "test");
	if (query != NULL)
		assert_int_equal(form_parse(query, strlen(query), f->arena, &req.query, &err),
		                 ST_OK);
	if (body != NULL) {
		req.body = arena_strdup(f->arena, body);
		req.body_len = strlen(body);
		req.content_type = "application/json";
	}
	req.headers = h;
	if (token != NULL)
		h[req.nheaders++] = (struct request_header){
		        "Authorization", arena_printf(f->arena, "Bearer %s", token)};
	response_init(&res);
	if (is_admin)
		router_dispatch(&f->app, routes_admin, routes_admin_count, &req, &res);
	else
		router_dispatch(&f->app, routes_public, routes_public_count, &req, &res);
	return res;
}

/* A proof by the holder's key for nonce (and aud, iat as a wallet sends them). */
static const char *
proof(struct fixture *f, const char *nonce)
{
	json_t *jwk = jwk_to_public_json(f->holder), *extra;
	const char *payload = arena_printf(
	        f->arena, "{\"nonce\":\"%s\",\"aud\":\"" ISSUER "\",\"iat\":%d}", nonce, NOW);
	char *jwt = NULL;
	struct err err;

	json_object_del(jwk, "kid");
	extra = json_pack("{s:o, s:s}", "jwk", jwk, "typ", "openid4vci-proof+jwt");
	assert_int_equal(jws_sign(f->holder, JWS_ALG_ES256, extra, payload, strlen(payload),
	                          f->arena, &jwt, &err),
	                 ST_OK);
	json_decref(extra);
	return jwt;
}

static const char *
request_body(struct fixture *f, const char *proof_jwt)
{
	return arena_printf(f->arena,
	                    "{\"format\":\"jwt_vc_json\",\"types\":[\"VerifiableCredential\","
	                    "\"UserInfoCredential\"],\"proof\":{\"proof_type\":\"jwt\",\"jwt\":"
	                    "\"%s\"}}",
	                    proof_jwt);
}

static struct response
post_credentials(struct fixture *f, const char *token, const char *body)
{
	return dispatch(f, false, HTTP_POST, "/credentials", NULL, body, token);
}

static json_t *
json_of(const struct response *res)
{
	json_t *j = json_loadb(res->body, res->body_len, 0, NULL);

	assert_non_null(j);
	return j;
}

static const char *
str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* Asserts a 400 with error e and a fresh nonce; returns that nonce (arena). */
static const char *
assert_refused(struct fixture *f, const struct response *res, int status, const char *e)
{
	json_t *body = json_of(res);
	const char *nonce;

	assert_int_equal(res->status, status);
	assert_string_equal(str(body, "error"), e);
	assert_non_null(str(body, "c_nonce_draft_00"));
	assert_string_equal(str(body, "c_nonce"), str(body, "c_nonce_draft_00"));
	assert_int_equal(json_integer_value(json_object_get(body, "c_nonce_expires_in_draft_00")),
	                 3600);
	assert_null(json_object_get(body, "credential_draft_00"));
	nonce = arena_strdup(f->arena, str(body, "c_nonce_draft_00"));
	json_decref(body);
	return nonce;
}

static int64_t
issued_count(struct fixture *f)
{
	struct store_credential *rows = NULL;
	size_t n = 0;
	struct err err;

	assert_int_equal(store_credential_list(f->app.store, f->user_id, 1000, f->arena, &rows, &n,
	                                       NULL, &err),
	                 ST_OK);
	return (int64_t)n;
}

/* Verifies jwt with the keyring's key of its kid; returns its claims (new reference). */
static json_t *
verified_claims(struct fixture *f, const char *jwt)
{
	struct jws jws;
	struct jwk *key = NULL;
	json_t *pub, *claims;
	struct err err;

	assert_int_equal(jws_parse(jwt, f->arena, &jws, &err), ST_OK);
	assert_string_equal(jws.typ, "JWT");
	assert_non_null(jws.kid);
	pub = keyring_public_jwk(f->app.keyring, jws.kid);
	assert_non_null(pub);
	assert_int_equal(jwk_import_public(pub, &key, &err), ST_OK);
	json_decref(pub);
	assert_int_equal(jws_verify(&jws, key, JWS_ALG_ALL, &err), ST_OK);
	jwk_free(key);
	claims = json_loadb((const char *)jws.payload, jws.payload_len, 0, NULL);
	assert_non_null(claims);
	return claims;
}

static void
test_credentials_issues_a_credential_bound_to_the_proof_key(void **state)
{
	struct fixture *f = *state;
	struct response res = post_credentials(f, TOKEN, request_body(f, proof(f, NONCE)));
	json_t *body, *claims, *vc, *cs;
	char thumb[44];
	struct err err;

	assert_int_equal(res.status, 200);
	assert_true(res.cache_max_age_secs < 0); /* no-store */
	body = json_of(&res);
	assert_string_equal(str(body, "format"), "jwt_vc_json");
	assert_non_null(str(body, "c_nonce_draft_00"));
	assert_int_equal(json_integer_value(json_object_get(body, "c_nonce_expires_in_draft_00")),
	                 3600);
	claims = verified_claims(f, str(body, "credential_draft_00"));
	assert_string_equal(str(claims, "iss"), ISSUER);
	assert_int_equal(strncmp(str(claims, "sub"), "did:jwk:", 8), 0);
	assert_int_equal(json_integer_value(json_object_get(claims, "iat")), NOW);
	assert_int_equal(json_integer_value(json_object_get(claims, "nbf")), NOW);
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")), NOW + 3600);
	assert_non_null(str(claims, "jti"));
	assert_null(json_object_get(claims, "aud"));
	vc = json_object_get(claims, "vc");
	assert_string_equal(json_string_value(json_array_get(json_object_get(vc, "@context"), 0)),
	                    "https://www.w3.org/2018/credentials/v1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(vc, "type"), 1)),
	                    "UserInfoCredential");
	cs = json_object_get(vc, "credentialSubject");
	assert_string_equal(str(cs, "id"), str(claims, "sub"));
	assert_string_equal(str(cs, "sub"), f->user_id);
	/* Claims follow the token's scopes (email, not profile); no session internals. */
	assert_string_equal(str(cs, "email"), "alice@example.com");
	assert_true(json_is_true(json_object_get(cs, "email_verified")));
	assert_null(json_object_get(cs, "name"));
	assert_null(json_object_get(cs, "sid"));

	/* The audit record: subject, client and the holder key's thumbprint. */
	res = dispatch(f, true, HTTP_GET, "/admin/credentials",
	               arena_printf(f->arena, "subject=%s", f->user_id), NULL, NULL);
	assert_int_equal(res.status, 200);
	json_decref(body);
	body = json_of(&res);
	assert_int_equal(json_array_size(body), 1);
	assert_string_equal(str(json_array_get(body, 0), "jti"), str(claims, "jti"));
	assert_string_equal(str(json_array_get(body, 0), "client_id"), "vc");
	assert_int_equal(jwk_thumbprint(f->holder, thumb, &err), ST_OK);
	assert_string_equal(str(json_array_get(body, 0), "key_thumbprint"), thumb);
	json_decref(body);
	json_decref(claims);
}

static void
test_credentials_nonce_is_single_use(void **state)
{
	struct fixture *f = *state;
	const char *body = request_body(f, proof(f, NONCE));
	struct response res = post_credentials(f, TOKEN, body);
	const char *fresh;

	assert_int_equal(res.status, 200);
	res = post_credentials(f, TOKEN, body);
	fresh = assert_refused(f, &res, 400, "invalid_proof");
	assert_int_equal(issued_count(f), 1);
	/* The fresh nonce of the refusal works, once. */
	res = post_credentials(f, TOKEN, request_body(f, proof(f, fresh)));
	assert_int_equal(res.status, 200);
	assert_int_equal(issued_count(f), 2);
}

static void
test_credentials_without_proof_primes_a_nonce(void **state)
{
	struct fixture *f = *state;
	struct response res = post_credentials(f, TOKEN, "{\"format\":\"jwt_vc_json\"}");
	const char *nonce = assert_refused(f, &res, 400, "invalid_request");

	res = post_credentials(f, TOKEN, request_body(f, proof(f, nonce)));
	assert_int_equal(res.status, 200);
}

static void
test_credentials_nonce_of_another_token_or_unknown_is_refused(void **state)
{
	struct fixture *f = *state;
	struct response res;

	res = post_credentials(f, TOKEN_PW, request_body(f, proof(f, NONCE)));
	assert_refused(f, &res, 400, "invalid_proof");
	res = post_credentials(f, TOKEN, request_body(f, proof(f, "never-handed-out")));
	assert_refused(f, &res, 400, "invalid_proof");
	assert_int_equal(issued_count(f), 0);
	/* Neither attempt used the nonce up. */
	res = post_credentials(f, TOKEN, request_body(f, proof(f, NONCE)));
	assert_int_equal(res.status, 200);
}

static void
test_credentials_body_problems_get_their_error_codes(void **state)
{
	struct fixture *f = *state;
	const char *p = proof(f, NONCE);
	struct response res;

	res = post_credentials(f, TOKEN, "{not json");
	assert_refused(f, &res, 400, "invalid_request");
	res = post_credentials(
	        f, TOKEN,
	        arena_printf(
	                f->arena,
	                "{\"format\":\"ldp_vc\",\"proof\":{\"proof_type\":\"jwt\",\"jwt\":\"%s\"}}",
	                p));
	assert_refused(f, &res, 400, "unsupported_credential_format");
	res = post_credentials(f, TOKEN,
	                       arena_printf(f->arena,
	                                    "{\"format\":\"jwt_vc_json\",\"types\":[\"Passport\"],"
	                                    "\"proof\":{\"proof_type\":\"jwt\",\"jwt\":\"%s\"}}",
	                                    p));
	assert_refused(f, &res, 400, "unsupported_credential_type");
	res = post_credentials(f, TOKEN, request_body(f, "e30.e30.c2ln"));
	assert_refused(f, &res, 400, "invalid_proof");
	assert_int_equal(issued_count(f), 0);
}

static void
test_credentials_token_must_be_active_and_scoped(void **state)
{
	struct fixture *f = *state;
	const char *body = request_body(f, proof(f, NONCE));
	unsigned char hash[STORE_HASH_LEN];
	struct response res;
	struct err err;

	res = post_credentials(f, NULL, body);
	assert_int_equal(res.status, 401);
	res = post_credentials(f, "oidcd_at_unknown", body);
	assert_int_equal(res.status, 401);
	assert_true(strstr(res.body, "invalid_token") != NULL);
	res = post_credentials(f, TOKEN_BARE, body);
	assert_int_equal(res.status, 403);
	assert_true(strstr(res.body, "insufficient_scope") != NULL);
	/* Revoked: the nonce is worth nothing any more. */
	tokens_hash(&f->app, TOKEN, hash);
	assert_int_equal(store_token_revoke(f->app.store, hash, NOW, &err), ST_OK);
	res = post_credentials(f, TOKEN, body);
	assert_int_equal(res.status, 401);
	/* Expired. */
	f->app.clock.fixed_secs = NOW + 3600;
	res = post_credentials(f, TOKEN_PW, body);
	assert_int_equal(res.status, 401);
	assert_int_equal(issued_count(f), 0);
}

static void
test_credentials_subject_is_pairwise_for_pairwise_clients(void **state)
{
	struct fixture *f = *state;
	struct response res;
	json_t *body, *claims, *doc;
	const char *nonce;

	res = post_credentials(f, TOKEN_PW, "{\"format\":\"jwt_vc_json\"}");
	nonce = assert_refused(f, &res, 400, "invalid_request");
	res = post_credentials(f, TOKEN_PW, request_body(f, proof(f, nonce)));
	assert_int_equal(res.status, 200);
	body = json_of(&res);
	claims = verified_claims(f, str(body, "credential_draft_00"));
	doc = json_pack("{s:s, s:[s]}", "subject_type", "pairwise", "redirect_uris",
	                "https://pw.example.com/cb");
	assert_string_equal(
	        str(json_object_get(json_object_get(claims, "vc"), "credentialSubject"), "sub"),
	        subject_for(&f->app, doc, f->user_id, f->arena));
	assert_string_not_equal(
	        str(json_object_get(json_object_get(claims, "vc"), "credentialSubject"), "sub"),
	        f->user_id);
	json_decref(doc);
	json_decref(claims);
	json_decref(body);
}

static void
test_admin_credentials_needs_a_subject(void **state)
{
	struct fixture *f = *state;
	struct response res;

	res = dispatch(f, true, HTTP_GET, "/admin/credentials", NULL, NULL, NULL);
	assert_int_equal(res.status, 400);
	res = dispatch(f, true, HTTP_GET, "/admin/credentials", "subject=x&page_size=0", NULL,
	               NULL);
	assert_int_equal(res.status, 400);
	res = dispatch(f, true, HTTP_GET, "/admin/credentials", "subject=nobody", NULL, NULL);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.body, "[]");
}

static void
test_discovery_lists_exactly_the_proof_algorithms(void **state)
{
	struct fixture *f = *state;
	json_t *doc = docs_discovery(&f->app), *cs, *suites;
	const char *want = "", *got = "";
	size_t i;
	json_t *v;

	assert_string_equal(str(doc, "credentials_endpoint_draft_00"), ISSUER "/credentials");
	cs = json_array_get(json_object_get(doc, "credentials_supported_draft_00"), 0);
	assert_string_equal(str(cs, "format"), "jwt_vc_json");
	assert_string_equal(
	        json_string_value(json_array_get(
	                json_object_get(cs, "cryptographic_binding_methods_supported"), 0)),
	        "jwk");
	suites = json_object_get(cs, "cryptographic_suites_supported");
	json_array_foreach(suites, i, v)
	{
		got = arena_printf(f->arena, "%s%s ", got, json_string_value(v));
		assert_true((jws_alg_from_name(json_string_value(v)) & JWS_ALG_ALL) != 0);
	}
	for (unsigned bit = 1; bit <= JWS_ALG_ALL; bit <<= 1) {
		want = arena_printf(f->arena, "%s%s ", want, jws_alg_name(bit));
	}
	assert_string_equal(got, want);
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_credentials_issues_a_credential_bound_to_the_proof_key, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_credentials_nonce_is_single_use, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_credentials_without_proof_primes_a_nonce,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_credentials_nonce_of_another_token_or_unknown_is_refused, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_credentials_body_problems_get_their_error_codes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_credentials_token_must_be_active_and_scoped,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_credentials_subject_is_pairwise_for_pairwise_clients, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_admin_credentials_needs_a_subject, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_discovery_lists_exactly_the_proof_algorithms,
	                                        setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
