/*
 * server/flow_test.c — the authorization code flow through the router with
 * in-memory requests (no sockets): /oauth2/auth, the login and consent
 * forms, /oauth2/token and /userinfo, against a ":memory:" store, a fixed
 * clock and a generated ES256 key. Browser-level behaviour is covered by
 * tests/integration/browser_flow.test.mjs; this file pins the protocol
 * decisions: what is redirected, what is shown, what is written.
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
#include "crypto/jws.h"
#include "server/clients.h"
#include "server/credentials.h"
#include "server/docs.h"
#include "server/handlers.h"
#include "server/keys.h"
#include "server/tokens.h"
#include "server/users.h"

#define NOW      1800000000
#define PASSWORD "correct horse battery"
#define SECRET   "rp-secret-0123456789abcdef"
#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
/* RFC 7636 Appendix B: BASE64URL(SHA256(VERIFIER)). */
#define CHALLENGE  "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define REDIRECT   "https://rp.example.com/cb"
#define REDIRECT_Q "https%3A%2F%2Frp.example.com%2Fcb"
/* Basic base64("rp:" SECRET) */
#define BASIC_RP "Basic cnA6cnAtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY="
/* Basic base64("vcrp:" SECRET) */
#define BASIC_VCRP "Basic dmNycDpycC1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg=="

struct fixture {
	struct config cfg;
	struct app app;
	struct app_docs docs;
	struct arena *arena;
	char cookies[1024]; /* "name=value; ..." the browser would send */
	const char *origin; /* Origin header of the next requests, or NULL */
	const char *user_id;
};

static void
make_client(struct fixture *f, const char *json)
{
	struct client_problem problem;
	json_error_t jerr;
	json_t *in = json_loads(json, 0, &jerr), *out = NULL;
	struct err err;

	assert_non_null(in);
	if (clients_create(&f->app, CLIENT_POLICY_ADMIN, in, f->arena, &out, &problem, &err) !=
	    ST_OK)
		fail_msg("client: %s", problem.description);
	json_decref(in);
	json_decref(out);
}

static int
setup(void **state)
{
	static const struct config_override o[] = {
	        {"issuer",               "https://id.example.com"          },
	        {"keys.algorithm",       "ES256"                           },
	        {"secrets.system",       "0123456789abcdef0123456789abcdef"},
 /* Every test logs in: cheap scrypt (users_test.c pins the default). */
	        {"hashers.scrypt_log_n", "10"                              },
	};
	struct fixture *f = test_calloc(1, sizeof *f);
	struct store_options so = {0};
	struct user_problem up;
	struct err err;
	json_t *in, *out = NULL;
	bool generated;

	assert_int_equal(config_load(NULL, NULL, o, 4, false, &f->cfg, &err), ST_OK);
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

	in = json_pack("{s:s, s:s, s:s, s:s}", "username", "alice", "name", "Alice Liddell",
	               "email", "alice@example.com", "phone_number", "+1 555 0100");
	assert_int_equal(
	        users_create(&f->app, in, PASSWORD, strlen(PASSWORD), f->arena, &out, &up, &err),
	        ST_OK);
	f->user_id = arena_strdup(f->arena, json_string_value(json_object_get(out, "id")));
	json_decref(in);
	json_decref(out);
	make_client(f, "{\"client_id\":\"rp\",\"client_secret\":\"" SECRET "\","
	               "\"client_name\":\"Relying Party\",\"redirect_uris\":[\"" REDIRECT "\"],"
	               "\"grant_types\":[\"authorization_code\",\"refresh_token\","
	               "\"client_credentials\"],"
	               "\"scope\":\"openid profile email offline_access\","
	               "\"allowed_cors_origins\":[\"https://app.example.com\"]}");
	make_client(f, "{\"client_id\":\"pw\",\"client_secret\":\"" SECRET "\","
	               "\"redirect_uris\":[\"" REDIRECT "\"],\"skip_consent\":true,"
	               "\"subject_type\":\"pairwise\",\"scope\":\"openid\"}");
	make_client(f, "{\"client_id\":\"hy\",\"client_secret\":\"" SECRET "\","
	               "\"redirect_uris\":[\"" REDIRECT "\"],\"skip_consent\":true,"
	               "\"grant_types\":[\"authorization_code\",\"implicit\"],"
	               "\"response_types\":[\"id_token\",\"id_token token\",\"code id_token\","
	               "\"code token\",\"code id_token token\"],\"scope\":\"openid email\"}");
	make_client(f, "{\"client_id\":\"jwt\",\"client_secret\":\"" SECRET "\","
	               "\"redirect_uris\":[\"" REDIRECT "\"],\"skip_consent\":true,"
	               "\"userinfo_signed_response_alg\":\"ES256\",\"scope\":\"openid email\"}");
	make_client(f, "{\"client_id\":\"vcrp\",\"client_secret\":\"" SECRET "\","
	               "\"redirect_uris\":[\"" REDIRECT "\"],\"skip_consent\":true,"
	               "\"grant_types\":[\"authorization_code\",\"refresh_token\"],"
	               "\"scope\":\"openid email offline_access userinfo_credential_draft_00\"}");
	make_client(f, "{\"client_id\":\"spa\",\"token_endpoint_auth_method\":\"none\","
	               "\"redirect_uris\":[\"" REDIRECT "\"],\"skip_consent\":true,"
	               "\"scope\":\"openid email\"}");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	arena_free(f->arena);
	docs_free(&f->docs);
	keyring_free(f->app.keyring);
	store_close(f->app.store);
	config_free(&f->cfg);
	test_free(f);
	return 0;
}

/* Remembers the name=value of every Set-Cookie of res, as a browser would. */
static void
keep_cookies(struct fixture *f, const struct response *res)
{
	for (size_t i = 0; i < res->nheaders; i++) {
		const char *v = res->headers[i].value;
		size_t n = strcspn(v, ";");

		if (strcmp(res->headers[i].name, "Set-Cookie") != 0)
			continue;
		size_t used = strlen(f->cookies);

		snprintf(f->cookies + used, sizeof f->cookies - used, "%s%.*s",
		         used > 0 ? "; " : "", (int)n, v);
	}
}

static const char *
header(const struct response *res, const char *name)
{
	for (size_t i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			return res->headers[i].value;
	return NULL;
}

static struct response send_to(struct fixture *f, bool is_admin, const char *path,
                               const char *query, const char *body, const char *authorization);

/* One request through the public routes. body: a form (POST) or NULL (GET). */
static struct response
send_req(struct fixture *f, const char *path, const char *query, const char *body,
         const char *authorization)
{
	return send_to(f, false, path, query, body, authorization);
}

static struct response
send_to(struct fixture *f, bool is_admin, const char *path, const char *query, const char *body,
        const char *authorization)
{
	struct request req;
	struct response res;
	struct request_header *h = arena_alloc(f->arena, 3 * sizeof *h);
	struct err err;

	memset(&req, 0, sizeof req);
	req.arena = f->arena;
	req.method = body != NULL ? HTTP_POST : HTTP_GET;
	req.path = path;
	req.client_ip = "192.0.2.7";
	strcpy(req.id, "test");
	if (query != NULL)
		assert_int_equal(form_parse(query, strlen(query), f->arena, &req.query, &err),
		                 ST_OK);
	if (body != NULL) {
		req.body = arena_strdup(f->arena, body);
		req.body_len = strlen(body);
		req.content_type = "application/x-www-form-urlencoded";
		assert_int_equal(form_parse(body, strlen(body), f->arena, &req.form, &err), ST_OK);
	}
	req.headers = h;
	if (f->cookies[0] != '\0')
		h[req.nheaders++] = (struct request_header){"Cookie", f->cookies};
	if (authorization != NULL)
		h[req.nheaders++] = (struct request_header){"Authorization", authorization};
	if (f->origin != NULL)
		h[req.nheaders++] = (struct request_header){"Origin", f->origin};
	response_init(&res);
	req.is_admin = is_admin;
	if (is_admin)
		router_dispatch(&f->app, routes_admin, routes_admin_count, &req, &res);
	else
		router_dispatch(&f->app, routes_public, routes_public_count, &req, &res);
	keep_cookies(f, &res);
	return res;
}

/* The value of the page's hidden csrf input (URL-safe base64: no escaping). */
static const char *
csrf_of(struct fixture *f, const struct response *res)
{
	const char *p = strstr(res->body, "name=\"csrf\" value=\"");

	assert_non_null(p);
	p += strlen("name=\"csrf\" value=\"");
	return arena_strndup(f->arena, p, strcspn(p, "\""));
}

static bool
body_has(const struct response *res, const char *s)
{
	return res->body != NULL && strstr(res->body, s) != NULL;
}

/* The value of name in the Location's query, or NULL. */
static const char *
location_param(struct fixture *f, const struct response *res, const char *name)
{
	const char *loc = header(res, "Location"), *p;
	size_t n = strlen(name);

	if (loc == NULL || (p = strchr(loc, '?')) == NULL)
		return NULL;
	for (p++; *p != '\0'; p += strcspn(p, "&"), p += *p == '&') {
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return arena_strndup(f->arena, p + n + 1, strcspn(p + n + 1, "&"));
	}
	return NULL;
}

static json_t *
json_of(const struct response *res)
{
	json_t *j = json_loadb(res->body, res->body_len, 0, NULL);

	assert_non_null(j);
	return j;
}

static const char *
auth_query(struct fixture *f, const char *client, const char *scope, const char *extra)
{
	return arena_printf(f->arena,
	                    "response_type=code&client_id=%s&redirect_uri=%s"
	                    "&scope=%s&state=st%%21%%22%%20x&nonce=n-1&code_challenge=" CHALLENGE
	                    "&code_challenge_method=S256%s",
	                    client, REDIRECT_Q, scope, extra != NULL ? extra : "");
}

static struct response
login(struct fixture *f, const char *query, const struct response *page, const char *password)
{
	return send_req(f, "/ui/login", query,
	                arena_printf(f->arena, "username=alice&password=%s&csrf=%s", password,
	                             csrf_of(f, page)),
	                NULL);
}

/* Runs /oauth2/auth, the login and (for rp) the consent; returns the code. */
static const char *
obtain_code(struct fixture *f, const char *client, const char *scope)
{
	const char *q = auth_query(f, client, scope, NULL);
	struct response res = send_req(f, "/oauth2/auth", q, NULL, NULL);

	assert_int_equal(res.status, 200);
	assert_true(body_has(&res, "name=\"password\""));
	res = login(f, q, &res, "correct+horse+battery");
	if (res.status == 200) {
		assert_true(body_has(&res, "value=\"allow\""));
		assert_true(body_has(&res, "Relying Party"));
		res = send_req(f, "/ui/consent", q,
		               arena_printf(f->arena, "consent=allow&csrf=%s", csrf_of(f, &res)),
		               NULL);
	}
	assert_int_equal(res.status, 303);
	assert_string_equal(location_param(f, &res, "state"), "st%21%22%20x");
	return location_param(f, &res, "code");
}

static struct response
redeem(struct fixture *f, const char *code, const char *verifier, const char *auth)
{
	return send_req(f, "/oauth2/token", NULL,
	                arena_printf(f->arena,
	                             "grant_type=authorization_code&code=%s&redirect_uri=%s"
	                             "&code_verifier=%s",
	                             code, REDIRECT_Q, verifier),
	                auth);
}

static json_t *
jwt_claims(const char *jwt)
{
	struct arena *a = arena_new();
	struct jws jws;
	struct err err;
	json_t *claims;

	assert_int_equal(jws_parse(jwt, a, &jws, &err), ST_OK);
	claims = json_loadb((const char *)jws.payload, jws.payload_len, 0, NULL);
	arena_free(a);
	assert_non_null(claims);
	return claims;
}

static void
test_code_flow_issues_tokens_and_userinfo(void **state)
{
	struct fixture *f = *state;
	const char *code = obtain_code(f, "rp", "openid%20profile%20offline_access");
	struct response res = redeem(f, code, VERIFIER, BASIC_RP);
	json_t *body, *idt;
	const char *at;

	assert_int_equal(res.status, 200);
	assert_true(res.cache_max_age_secs < 0); /* no-store */
	body = json_of(&res);
	at = arena_strdup(f->arena, json_string_value(json_object_get(body, "access_token")));
	assert_int_equal(strncmp(at, "oidcd_at_", 9), 0);
	assert_string_equal(json_string_value(json_object_get(body, "token_type")), "bearer");
	assert_string_equal(json_string_value(json_object_get(body, "scope")),
	                    "openid profile offline_access");
	assert_non_null(json_string_value(json_object_get(body, "refresh_token")));
	idt = jwt_claims(json_string_value(json_object_get(body, "id_token")));
	assert_string_equal(json_string_value(json_object_get(idt, "iss")),
	                    "https://id.example.com");
	assert_string_equal(json_string_value(json_object_get(idt, "sub")), f->user_id);
	assert_string_equal(json_string_value(json_object_get(idt, "aud")), "rp");
	assert_string_equal(json_string_value(json_object_get(idt, "nonce")), "n-1");
	assert_int_equal(json_integer_value(json_object_get(idt, "auth_time")), NOW);
	assert_non_null(json_object_get(idt, "at_hash"));
	assert_non_null(json_object_get(idt, "sid"));
	/* An access token is issued: profile claims go to /userinfo, not the ID token. */
	assert_null(json_object_get(idt, "name"));
	json_decref(idt);
	json_decref(body);

	res = send_req(f, "/userinfo", NULL, NULL, arena_printf(f->arena, "Bearer %s", at));
	assert_int_equal(res.status, 200);
	body = json_of(&res);
	assert_string_equal(json_string_value(json_object_get(body, "sub")), f->user_id);
	assert_string_equal(json_string_value(json_object_get(body, "name")), "Alice Liddell");
	assert_null(json_object_get(body, "email")); /* email scope not granted */
	json_decref(body);
}

static void
test_code_replay_fails_and_revokes_the_first_tokens(void **state)
{
	struct fixture *f = *state;
	const char *code = obtain_code(f, "rp", "openid");
	struct response res = redeem(f, code, VERIFIER, BASIC_RP);
	json_t *body = json_of(&res);
	const char *bearer = arena_printf(f->arena, "Bearer %s",
	                                  json_string_value(json_object_get(body, "access_token")));

	json_decref(body);
	res = send_req(f, "/userinfo", NULL, NULL, bearer);
	assert_int_equal(res.status, 200);
	res = redeem(f, code, VERIFIER, BASIC_RP);
	assert_int_equal(res.status, 400);
	assert_true(body_has(&res, "\"invalid_grant\""));
	res = send_req(f, "/userinfo", NULL, NULL, bearer);
	assert_int_equal(res.status, 401);
	assert_non_null(strstr(header(&res, "WWW-Authenticate"), "error=\"invalid_token\""));
}

static void
test_wrong_verifier_or_redirect_keeps_the_code_for_its_holder(void **state)
{
	struct fixture *f = *state;
	const char *code = obtain_code(f, "rp", "openid");
	struct response res;

	res = redeem(f, code, "wrong-verifier-wrong-verifier-wrong-verifier-0", BASIC_RP);
	assert_int_equal(res.status, 400);
	assert_true(body_has(&res, "code_verifier does not match"));
	res = send_req(f, "/oauth2/token", NULL,
	               arena_printf(f->arena,
	                            "grant_type=authorization_code&code=%s&redirect_uri="
	                            "https%%3A%%2F%%2Fevil.example%%2Fcb&code_verifier=" VERIFIER,
	                            code),
	               BASIC_RP);
	assert_int_equal(res.status, 400);
	assert_true(body_has(&res, "redirect_uri does not match"));
	/* Another client (public spa) cannot redeem it either. */
	res = send_req(f, "/oauth2/token", NULL,
	               arena_printf(f->arena,
	                            "grant_type=authorization_code&client_id=spa&code=%s"
	                            "&redirect_uri=%s&code_verifier=" VERIFIER,
	                            code, REDIRECT_Q),
	               NULL);
	assert_int_equal(res.status, 400);
	res = redeem(f, code, VERIFIER, BASIC_RP);
	assert_int_equal(res.status, 200);
}

static void
test_public_client_with_skip_consent_and_pkce(void **state)
{
	struct fixture *f = *state;
	const char *code = obtain_code(f, "spa", "openid%20email");
	struct response res =
	        send_req(f, "/oauth2/token", NULL,
	                 arena_printf(f->arena,
	                              "grant_type=authorization_code&client_id=spa&code=%s"
	                              "&redirect_uri=%s&code_verifier=" VERIFIER,
	                              code, REDIRECT_Q),
	                 NULL);
	json_t *body;

	assert_int_equal(res.status, 200);
	body = json_of(&res);
	/* No offline_access: no refresh token. */
	assert_null(json_object_get(body, "refresh_token"));
	json_decref(body);
}

static void
test_public_client_needs_pkce(void **state)
{
	struct fixture *f = *state;
	struct response res = send_req(f, "/oauth2/auth",
	                               "response_type=code&client_id=spa&redirect_uri=" REDIRECT_Q
	                               "&scope=openid&state=s1",
	                               NULL, NULL);

	assert_int_equal(res.status, 302);
	assert_string_equal(location_param(f, &res, "error"), "invalid_request");
	assert_string_equal(location_param(f, &res, "state"), "s1");
}

static void
test_session_is_reused_and_prompt_none_works(void **state)
{
	struct fixture *f = *state;
	struct response res;

	(void)obtain_code(f, "rp", "openid");
	/* Remembered consent and the session cookie: straight back with a code. */
	res = send_req(f, "/oauth2/auth", auth_query(f, "rp", "openid", "&prompt=none"), NULL,
	               NULL);
	assert_int_equal(res.status, 302);
	assert_non_null(location_param(f, &res, "code"));
	/* A scope not consented to yet: prompt=none cannot ask. */
	res = send_req(f, "/oauth2/auth", auth_query(f, "rp", "openid%20email", "&prompt=none"),
	               NULL, NULL);
	assert_int_equal(res.status, 302);
	assert_string_equal(location_param(f, &res, "error"), "consent_required");
	/* prompt=login and max_age=0 show the login page despite the session. */
	res = send_req(f, "/oauth2/auth", auth_query(f, "rp", "openid", "&prompt=login"), NULL,
	               NULL);
	assert_int_equal(res.status, 200);
	assert_true(body_has(&res, "name=\"password\""));
	res = send_req(f, "/oauth2/auth", auth_query(f, "rp", "openid", "&max_age=0"), NULL, NULL);
	assert_true(body_has(&res, "name=\"password\""));
	f->app.clock.fixed_secs = NOW + 5;
	res = send_req(f, "/oauth2/auth", auth_query(f, "rp", "openid", "&max_age=10"), NULL, NULL);
	assert_int_equal(res.status, 302);
}

static void
test_prompt_none_without_session_is_login_required(void **state)
{
	struct fixture *f = *state;
	struct response res = send_req(f, "/oauth2/auth",
	                               auth_query(f, "rp", "openid", "&prompt=none"), NULL, NULL);

	assert_int_equal(res.status, 302);
	assert_string_equal(location_param(f, &res, "error"), "login_required");
	assert_string_equal(location_param(f, &res, "state"), "st%21%22%20x");
}

static void
test_unknown_client_or_redirect_uri_is_a_page_not_a_redirect(void **state)
{
	struct fixture *f = *state;
	struct response res =
	        send_req(f, "/oauth2/auth", auth_query(f, "nobody", "openid", NULL), NULL, NULL);

	assert_int_equal(res.status, 400);
	assert_null(header(&res, "Location"));
	assert_true(body_has(&res, "not registered"));
	res = send_req(f, "/oauth2/auth",
	               "response_type=code&client_id=rp&redirect_uri=https%3A%2F%2Fevil.example%2F"
	               "&scope=openid&state=s",
	               NULL, NULL);
	assert_int_equal(res.status, 400);
	assert_null(header(&res, "Location"));
}

static void
test_consent_deny_is_access_denied(void **state)
{
	struct fixture *f = *state;
	const char *q = auth_query(f, "rp", "openid", NULL);
	struct response res = send_req(f, "/oauth2/auth", q, NULL, NULL);

	res = login(f, q, &res, "correct+horse+battery");
	assert_int_equal(res.status, 200);
	res = send_req(f, "/ui/consent", q,
	               arena_printf(f->arena, "consent=deny&csrf=%s", csrf_of(f, &res)), NULL);
	assert_int_equal(res.status, 303);
	assert_string_equal(location_param(f, &res, "error"), "access_denied");
}

static void
test_forms_without_the_right_csrf_token_are_refused(void **state)
{
	struct fixture *f = *state;
	const char *q = auth_query(f, "rp", "openid", NULL);
	const char *q2 = auth_query(f, "rp", "openid%20email", NULL);
	struct response page = send_req(f, "/oauth2/auth", q, NULL, NULL);
	struct response res;

	res = send_req(f, "/ui/login", q, "username=alice&password=correct+horse+battery&csrf=x",
	               NULL);
	assert_int_equal(res.status, 400);
	assert_true(body_has(&res, "expired"));
	/* A token for one request is not good for another. */
	res = login(f, q2, &page, "correct+horse+battery");
	assert_int_equal(res.status, 400);
}

static void
test_failed_logins_are_generic_then_throttled(void **state)
{
	struct fixture *f = *state;
	const char *q = auth_query(f, "rp", "openid", NULL);
	struct response page = send_req(f, "/oauth2/auth", q, NULL, NULL);
	struct response res;
	int i;

	res = send_req(f, "/ui/login", q,
	               arena_printf(f->arena, "username=nobody&password=whatever1&csrf=%s",
	                            csrf_of(f, &page)),
	               NULL);
	assert_true(body_has(&res, "The username or password is incorrect."));
	for (i = 0; i < 5; i++) {
		res = login(f, q, &page, "wrong-password");
		assert_int_equal(res.status, 200);
		assert_true(body_has(&res, "The username or password is incorrect."));
	}
	/* Six failures from this address: locked now, even with the right password. */
	res = login(f, q, &page, "correct+horse+battery");
	assert_int_equal(res.status, 429);
	assert_true(body_has(&res, "Too many failed sign-ins"));
}

static void
test_form_post_response_mode(void **state)
{
	struct fixture *f = *state;
	struct response res;
	const char *csp;

	(void)obtain_code(f, "rp", "openid");
	res = send_req(f, "/oauth2/auth", auth_query(f, "rp", "openid", "&response_mode=form_post"),
	               NULL, NULL);
	assert_int_equal(res.status, 200);
	assert_true(body_has(&res, "action=\"https://rp.example.com/cb\""));
	assert_true(body_has(&res, "name=\"code\""));
	assert_true(body_has(&res, "name=\"state\" value=\"st!&quot; x\""));
	csp = header(&res, "Content-Security-Policy");
	assert_non_null(strstr(csp, "script-src 'nonce-"));
	assert_non_null(strstr(csp, "form-action 'self' https://rp.example.com"));
	assert_null(strstr(csp, "unsafe-inline"));
}

static void
test_client_credentials(void **state)
{
	struct fixture *f = *state;
	struct response res;
	json_t *body;

	res = send_req(f, "/oauth2/token", NULL,
	               "grant_type=client_credentials&scope=profile%20email", BASIC_RP);
	assert_int_equal(res.status, 200);
	body = json_of(&res);
	assert_string_equal(json_string_value(json_object_get(body, "scope")), "profile email");
	assert_null(json_object_get(body, "id_token"));
	assert_null(json_object_get(body, "refresh_token"));
	json_decref(body);
	res = send_req(f, "/oauth2/token", NULL, "grant_type=client_credentials&scope=phone",
	               BASIC_RP);
	assert_int_equal(res.status, 400);
	assert_true(body_has(&res, "\"invalid_scope\""));
	/* A public client, and a client without the grant. */
	res = send_req(f, "/oauth2/token", NULL, "grant_type=client_credentials&client_id=spa",
	               NULL);
	assert_int_equal(res.status, 400);
	assert_true(body_has(&res, "\"unauthorized_client\""));
}

static void
test_token_endpoint_errors(void **state)
{
	struct fixture *f = *state;
	struct response res;

	res = send_req(f, "/oauth2/token", NULL, "code=x", BASIC_RP);
	assert_int_equal(res.status, 400);
	assert_true(body_has(&res, "\"invalid_request\""));
	res = send_req(f, "/oauth2/token", NULL, "grant_type=password", BASIC_RP);
	assert_true(body_has(&res, "\"unsupported_grant_type\""));
	res = send_req(f, "/oauth2/token", NULL, "grant_type=client_credentials",
	               "Basic cnA6d3Jvbmc="); /* rp:wrong */
	assert_int_equal(res.status, 401);
	assert_true(body_has(&res, "\"invalid_client\""));
	assert_non_null(header(&res, "WWW-Authenticate"));
	res = redeem(f, "no-such-code", VERIFIER, BASIC_RP);
	assert_int_equal(res.status, 400);
	assert_true(body_has(&res, "\"invalid_grant\""));
}

static void
test_userinfo_challenges(void **state)
{
	struct fixture *f = *state;
	struct response res;
	json_t *body;

	res = send_req(f, "/userinfo", NULL, NULL, NULL);
	assert_int_equal(res.status, 401);
	assert_non_null(strstr(header(&res, "WWW-Authenticate"), "Bearer error=\"invalid_token\""));
	res = send_req(f, "/userinfo", NULL, NULL, "Bearer oidcd_at_unknown");
	assert_int_equal(res.status, 401);
	/* A client_credentials token without openid. */
	res = send_req(f, "/oauth2/token", NULL, "grant_type=client_credentials&scope=profile",
	               BASIC_RP);
	body = json_of(&res);
	res = send_req(f, "/userinfo", NULL, NULL,
	               arena_printf(f->arena, "Bearer %s",
	                            json_string_value(json_object_get(body, "access_token"))));
	json_decref(body);
	assert_int_equal(res.status, 403);
	assert_true(body_has(&res, "\"insufficient_scope\""));
}

static const char *
bearer_of(struct fixture *f, const struct response *res)
{
	json_t *body = json_of(res);
	const char *b = arena_printf(f->arena, "Bearer %s",
	                             json_string_value(json_object_get(body, "access_token")));

	json_decref(body);
	return b;
}

static void
test_cors_only_for_the_clients_origins(void **state)
{
	struct fixture *f = *state;
	const char *code = obtain_code(f, "rp", "openid");
	struct response res;
	const char *bearer;

	f->origin = "https://app.example.com";
	res = redeem(f, code, VERIFIER, BASIC_RP);
	assert_int_equal(res.status, 200);
	assert_string_equal(header(&res, "Access-Control-Allow-Origin"), "https://app.example.com");
	bearer = bearer_of(f, &res);
	res = send_req(f, "/userinfo", NULL, NULL, bearer);
	assert_int_equal(res.status, 200);
	assert_string_equal(header(&res, "Access-Control-Allow-Origin"), "https://app.example.com");
	f->origin = "https://evil.example.com";
	res = send_req(f, "/userinfo", NULL, NULL, bearer);
	assert_int_equal(res.status, 200);
	assert_null(header(&res, "Access-Control-Allow-Origin"));
}

static void
test_signed_userinfo_for_clients_that_registered_it(void **state)
{
	struct fixture *f = *state;
	const char *code = obtain_code(f, "jwt", "openid%20email");
	struct response res =
	        send_req(f, "/oauth2/token", NULL,
	                 arena_printf(f->arena,
	                              "grant_type=authorization_code&code=%s&redirect_uri=%s"
	                              "&code_verifier=" VERIFIER,
	                              code, REDIRECT_Q),
	                 "Basic and0OnJwLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm");
	json_t *claims;

	assert_int_equal(res.status, 200);
	res = send_req(f, "/userinfo", NULL, NULL, bearer_of(f, &res));
	assert_int_equal(res.status, 200);
	assert_string_equal(res.content_type, "application/jwt");
	claims = jwt_claims(arena_strndup(f->arena, res.body, res.body_len));
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), f->user_id);
	assert_string_equal(json_string_value(json_object_get(claims, "aud")), "jwt");
	assert_string_equal(json_string_value(json_object_get(claims, "iss")),
	                    "https://id.example.com");
	assert_string_equal(json_string_value(json_object_get(claims, "email")),
	                    "alice@example.com");
	json_decref(claims);
}

static void
test_id_token_hint(void **state)
{
	struct fixture *f = *state;
	const char *code = obtain_code(f, "rp", "openid");
	struct response res = redeem(f, code, VERIFIER, BASIC_RP);
	json_t *body = json_of(&res);
	const char *hint =
	        arena_strdup(f->arena, json_string_value(json_object_get(body, "id_token")));
	char *forged;

	json_decref(body);
	res = send_req(f, "/oauth2/auth",
	               auth_query(f, "rp", "openid",
	                          arena_printf(f->arena, "&prompt=none&id_token_hint=%s", hint)),
	               NULL, NULL);
	assert_int_equal(res.status, 302);
	assert_non_null(location_param(f, &res, "code"));
	/* One signature byte changed: refused, never treated as a login. */
	forged = arena_strdup(f->arena, hint);
	forged[strlen(forged) - 2] = forged[strlen(forged) - 2] == 'A' ? 'B' : 'A';
	res = send_req(f, "/oauth2/auth",
	               auth_query(f, "rp", "openid",
	                          arena_printf(f->arena, "&prompt=none&id_token_hint=%s", forged)),
	               NULL, NULL);
	assert_int_equal(res.status, 302);
	assert_string_equal(location_param(f, &res, "error"), "invalid_request");
	res = send_req(f, "/oauth2/auth",
	               auth_query(f, "rp", "openid", "&prompt=none&id_token_hint=abc.def.ghi"),
	               NULL, NULL);
	assert_string_equal(location_param(f, &res, "error"), "invalid_request");
}

static const char *
member(struct fixture *f, const struct response *res, const char *name)
{
	json_t *body = json_of(res);
	const char *v = json_string_value(json_object_get(body, name));
	const char *copy = v != NULL ? arena_strdup(f->arena, v) : NULL;

	json_decref(body);
	return copy;
}

static struct response
refresh(struct fixture *f, const char *rt, const char *scope)
{
	return send_req(f, "/oauth2/token", NULL,
	                arena_printf(f->arena, "grant_type=refresh_token&refresh_token=%s%s%s", rt,
	                             scope != NULL ? "&scope=" : "", scope != NULL ? scope : ""),
	                BASIC_RP);
}

static void
test_refresh_rotates_narrows_and_reuse_revokes_the_family(void **state)
{
	struct fixture *f = *state;
	const char *code = obtain_code(f, "rp", "openid%20profile%20offline_access");
	struct response res = redeem(f, code, VERIFIER, BASIC_RP);
	const char *rt1 = member(f, &res, "refresh_token"), *at1 = member(f, &res, "access_token");
	const char *rt2, *at2;
	json_t *idt;

	assert_non_null(rt1);
	f->app.clock.fixed_secs = NOW + 60;
	res = refresh(f, rt1, "openid%20profile");
	assert_int_equal(res.status, 200);
	assert_string_equal(member(f, &res, "scope"), "openid profile");
	rt2 = member(f, &res, "refresh_token");
	at2 = member(f, &res, "access_token");
	assert_string_not_equal(rt1, rt2);
	idt = jwt_claims(member(f, &res, "id_token"));
	assert_int_equal(json_integer_value(json_object_get(idt, "iat")), NOW + 60);
	assert_int_equal(json_integer_value(json_object_get(idt, "auth_time")), NOW);
	assert_string_equal(json_string_value(json_object_get(idt, "sub")), f->user_id);
	json_decref(idt);
	/* Never wider than granted; a failed attempt does not use the token up. */
	res = refresh(f, rt2, "openid%20email");
	assert_int_equal(res.status, 400);
	assert_true(body_has(&res, "\"invalid_scope\""));
	/* The rotated token (rt1) again: reuse, the whole family dies. */
	res = refresh(f, rt1, NULL);
	assert_int_equal(res.status, 400);
	assert_true(body_has(&res, "\"invalid_grant\""));
	res = refresh(f, rt2, NULL);
	assert_int_equal(res.status, 400);
	res = send_req(f, "/userinfo", NULL, NULL, arena_printf(f->arena, "Bearer %s", at2));
	assert_int_equal(res.status, 401);
	res = send_req(f, "/userinfo", NULL, NULL, arena_printf(f->arena, "Bearer %s", at1));
	assert_int_equal(res.status, 401);
	/* Garbage and access tokens are not refresh tokens. */
	res = refresh(f, "oidcd_rt_nothing", NULL);
	assert_int_equal(res.status, 400);
	res = refresh(f, at1, NULL);
	assert_int_equal(res.status, 400);
}

static json_t *
introspect(struct fixture *f, const char *token)
{
	struct response res = send_to(f, true, "/admin/oauth2/introspect", NULL,
	                              arena_printf(f->arena, "token=%s", token), NULL);

	assert_int_equal(res.status, 200);
	return json_of(&res);
}

static void
test_revocation_and_introspection(void **state)
{
	struct fixture *f = *state;
	const char *code = obtain_code(f, "rp", "openid%20offline_access");
	struct response res = redeem(f, code, VERIFIER, BASIC_RP);
	const char *at = member(f, &res, "access_token"), *rt = member(f, &res, "refresh_token");
	json_t *in;

	in = introspect(f, at);
	assert_true(json_is_true(json_object_get(in, "active")));
	assert_string_equal(json_string_value(json_object_get(in, "sub")), f->user_id);
	assert_string_equal(json_string_value(json_object_get(in, "client_id")), "rp");
	assert_string_equal(json_string_value(json_object_get(in, "token_use")), "access_token");
	assert_string_equal(json_string_value(json_object_get(in, "scope")),
	                    "openid offline_access");
	json_decref(in);
	in = introspect(f, rt);
	assert_string_equal(json_string_value(json_object_get(in, "token_use")), "refresh_token");
	json_decref(in);
	/* Required scopes the token lacks: inactive. */
	res = send_to(f, true, "/admin/oauth2/introspect", NULL,
	              arena_printf(f->arena, "token=%s&scope=email", at), NULL);
	assert_true(body_has(&res, "\"active\":false"));
	/* Unknown tokens and other clients' tokens: 200, nothing happens. */
	res = send_req(f, "/oauth2/revoke", NULL, "token=oidcd_at_nothing", BASIC_RP);
	assert_int_equal(res.status, 200);
	res = send_req(f, "/oauth2/revoke", NULL,
	               arena_printf(f->arena, "token=%s&client_id=spa", rt), NULL);
	assert_int_equal(res.status, 200);
	in = introspect(f, rt);
	assert_true(json_is_true(json_object_get(in, "active")));
	json_decref(in);
	/* Wrong client secret: 401. */
	res = send_req(f, "/oauth2/revoke", NULL, arena_printf(f->arena, "token=%s", rt),
	               "Basic cnA6d3Jvbmc=");
	assert_int_equal(res.status, 401);
	/* The refresh token: the whole grant goes, the access token with it. */
	res = send_req(f, "/oauth2/revoke", NULL, arena_printf(f->arena, "token=%s", rt), BASIC_RP);
	assert_int_equal(res.status, 200);
	in = introspect(f, at);
	assert_true(json_is_false(json_object_get(in, "active")));
	assert_null(json_object_get(in, "sub"));
	json_decref(in);
	res = send_req(f, "/userinfo", NULL, NULL, arena_printf(f->arena, "Bearer %s", at));
	assert_int_equal(res.status, 401);
	res = refresh(f, rt, NULL);
	assert_int_equal(res.status, 400);
}

static void
test_pairwise_subject_in_id_token_userinfo_and_introspection(void **state)
{
	struct fixture *f = *state;
	const char *code = obtain_code(f, "pw", "openid");
	struct response res = send_req(f, "/oauth2/token", NULL,
	                               arena_printf(f->arena,
	                                            "grant_type=authorization_code&code=%s"
	                                            "&redirect_uri=%s&code_verifier=" VERIFIER,
	                                            code, REDIRECT_Q),
	                               "Basic cHc6cnAtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY=");
	const char *at = member(f, &res, "access_token");
	const char *raw = member(f, &res, "id_token");
	json_t *idt = jwt_claims(raw), *in;
	const char *sub = arena_strdup(f->arena, json_string_value(json_object_get(idt, "sub")));

	json_decref(idt);
	assert_string_not_equal(sub, f->user_id);
	assert_int_equal(strlen(sub), 43);
	res = send_req(f, "/userinfo", NULL, NULL, arena_printf(f->arena, "Bearer %s", at));
	assert_int_equal(res.status, 200);
	assert_string_equal(member(f, &res, "sub"), sub);
	in = introspect(f, at);
	assert_string_equal(json_string_value(json_object_get(in, "sub")), f->user_id);
	assert_string_equal(json_string_value(json_object_get(in, "obfuscated_subject")), sub);
	json_decref(in);
	/* The pairwise sub is what an id_token_hint carries: it matches the session. */
	res = send_req(f, "/oauth2/auth",
	               auth_query(f, "pw", "openid",
	                          arena_printf(f->arena, "&prompt=none&id_token_hint=%s", raw)),
	               NULL, NULL);
	assert_int_equal(res.status, 302);
	assert_non_null(location_param(f, &res, "code"));
}

/* The value of name in the Location's fragment, or NULL. */
static const char *
fragment_param(struct fixture *f, const struct response *res, const char *name)
{
	const char *loc = header(res, "Location"), *p;
	size_t n = strlen(name);

	if (loc == NULL || (p = strchr(loc, '#')) == NULL)
		return NULL;
	for (p++; *p != '\0'; p += strcspn(p, "&"), p += *p == '&') {
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return arena_strndup(f->arena, p + n + 1, strcspn(p + n + 1, "&"));
	}
	return NULL;
}

static struct response
front_channel(struct fixture *f, const char *response_type, const char *extra)
{
	return send_req(f, "/oauth2/auth",
	                arena_printf(f->arena,
	                             "response_type=%s&client_id=hy&redirect_uri=%s"
	                             "&scope=openid%%20email&state=s-9%s",
	                             response_type, REDIRECT_Q, extra),
	                NULL, NULL);
}

static void
test_implicit_and_hybrid_flows(void **state)
{
	struct fixture *f = *state;
	struct response res;
	json_t *idt;
	const char *at, *code;

	(void)obtain_code(f, "rp", "openid"); /* a session */
	/* id_token alone: the scope's claims are in it, nothing else travels. */
	res = front_channel(f, "id_token", "&nonce=n-7");
	assert_int_equal(res.status, 302);
	assert_null(strchr(header(&res, "Location"), '?'));
	assert_string_equal(fragment_param(f, &res, "state"), "s-9");
	assert_null(fragment_param(f, &res, "access_token"));
	idt = jwt_claims(fragment_param(f, &res, "id_token"));
	assert_string_equal(json_string_value(json_object_get(idt, "nonce")), "n-7");
	assert_string_equal(json_string_value(json_object_get(idt, "email")), "alice@example.com");
	assert_null(json_object_get(idt, "at_hash"));
	json_decref(idt);
	/* id_token token: at_hash, no scope claims in the ID token, the token works. */
	res = front_channel(f, "id_token%20token", "&nonce=n-8");
	at = fragment_param(f, &res, "access_token");
	assert_non_null(at);
	assert_string_equal(fragment_param(f, &res, "token_type"), "bearer");
	idt = jwt_claims(fragment_param(f, &res, "id_token"));
	assert_non_null(json_object_get(idt, "at_hash"));
	assert_null(json_object_get(idt, "email"));
	json_decref(idt);
	res = send_req(f, "/userinfo", NULL, NULL, arena_printf(f->arena, "Bearer %s", at));
	assert_int_equal(res.status, 200);
	assert_string_equal(member(f, &res, "email"), "alice@example.com");
	/* code id_token: c_hash, and the code is redeemable. */
	res = front_channel(f, "code%20id_token", "&nonce=n-9");
	code = fragment_param(f, &res, "code");
	assert_non_null(code);
	idt = jwt_claims(fragment_param(f, &res, "id_token"));
	assert_non_null(json_object_get(idt, "c_hash"));
	json_decref(idt);
	res = send_req(f, "/oauth2/token", NULL,
	               arena_printf(f->arena,
	                            "grant_type=authorization_code&code=%s&redirect_uri=%s", code,
	                            REDIRECT_Q),
	               "Basic aHk6cnAtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY=");
	assert_int_equal(res.status, 200);
	/* No nonce: an error, in the fragment. */
	res = front_channel(f, "id_token", "");
	assert_string_equal(fragment_param(f, &res, "error"), "invalid_request");
	assert_string_equal(fragment_param(f, &res, "state"), "s-9");
	/* Tokens never travel in the query. */
	res = front_channel(f, "code%20token", "&nonce=n&response_mode=query");
	assert_string_equal(fragment_param(f, &res, "error"), "invalid_request");
}

static json_t *
jwt_header(const char *jwt)
{
	struct arena *a = arena_new();
	struct jws jws;
	struct err err;
	json_t *h;

	assert_int_equal(jws_parse(jwt, a, &jws, &err), ST_OK);
	h = json_loads(jws.header_json, 0, NULL);
	arena_free(a);
	assert_non_null(h);
	return h;
}

static void
test_jwt_access_tokens(void **state)
{
	struct fixture *f = *state;
	const char *code, *at, *jti;
	struct response res;
	json_t *claims, *h, *in;
	char *forged;

	f->cfg.oauth2_access_token_format = CONFIG_TOKEN_JWT;
	code = obtain_code(f, "rp", "openid%20profile");
	res = redeem(f, code, VERIFIER, BASIC_RP);
	assert_int_equal(res.status, 200);
	at = member(f, &res, "access_token");
	h = jwt_header(at);
	assert_string_equal(json_string_value(json_object_get(h, "typ")), "at+jwt");
	json_decref(h);
	claims = jwt_claims(at);
	assert_string_equal(json_string_value(json_object_get(claims, "iss")),
	                    "https://id.example.com");
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), f->user_id);
	assert_string_equal(json_string_value(json_object_get(claims, "client_id")), "rp");
	assert_string_equal(json_string_value(json_object_get(claims, "aud")), "rp");
	assert_string_equal(json_string_value(json_object_get(claims, "scope")), "openid profile");
	assert_int_equal(json_integer_value(json_object_get(claims, "auth_time")), NOW);
	jti = arena_strdup(f->arena, json_string_value(json_object_get(claims, "jti")));
	json_decref(claims);
	res = send_req(f, "/userinfo", NULL, NULL, arena_printf(f->arena, "Bearer %s", at));
	assert_int_equal(res.status, 200);
	assert_string_equal(member(f, &res, "name"), "Alice Liddell");
	in = introspect(f, at);
	assert_true(json_is_true(json_object_get(in, "active")));
	json_decref(in);
	/* The bare jti is no token, and neither is a JWT with a changed signature. */
	res = send_req(f, "/userinfo", NULL, NULL, arena_printf(f->arena, "Bearer %s", jti));
	assert_int_equal(res.status, 401);
	forged = arena_strdup(f->arena, at);
	forged[strlen(forged) - 3] = forged[strlen(forged) - 3] == 'A' ? 'B' : 'A';
	res = send_req(f, "/userinfo", NULL, NULL, arena_printf(f->arena, "Bearer %s", forged));
	assert_int_equal(res.status, 401);
	/* Revocation works on JWTs like on opaque tokens. */
	res = send_req(f, "/oauth2/revoke", NULL, arena_printf(f->arena, "token=%s", at), BASIC_RP);
	assert_int_equal(res.status, 200);
	res = send_req(f, "/userinfo", NULL, NULL, arena_printf(f->arena, "Bearer %s", at));
	assert_int_equal(res.status, 401);
	/* client_credentials: the client is the subject. */
	res = send_req(f, "/oauth2/token", NULL, "grant_type=client_credentials&scope=profile",
	               BASIC_RP);
	claims = jwt_claims(member(f, &res, "access_token"));
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), "rp");
	assert_null(json_object_get(claims, "auth_time"));
	json_decref(claims);
	/* The front channel (id_token token) signs one too, with at_hash over it. */
	res = front_channel(f, "id_token%20token", "&nonce=n-j");
	at = fragment_param(f, &res, "access_token");
	assert_non_null(strchr(at, '.'));
	res = send_req(f, "/userinfo", NULL, NULL, arena_printf(f->arena, "Bearer %s", at));
	assert_int_equal(res.status, 200);
}

static void
test_refresh_grace_period(void **state)
{
	struct fixture *f = *state;
	const char *code = obtain_code(f, "rp", "openid%20offline_access");
	struct response res = redeem(f, code, VERIFIER, BASIC_RP);
	const char *rt1 = member(f, &res, "refresh_token"), *rt2, *rt3;

	f->cfg.oauth2_refresh_grace_secs = 30;
	f->app.clock.fixed_secs = NOW + 100;
	res = refresh(f, rt1, NULL);
	assert_int_equal(res.status, 200);
	rt2 = member(f, &res, "refresh_token");
	/* A retry within the grace period is served again, and the family lives on. */
	f->app.clock.fixed_secs = NOW + 110;
	res = refresh(f, rt1, NULL);
	assert_int_equal(res.status, 200);
	rt3 = member(f, &res, "refresh_token");
	res = refresh(f, rt2, NULL);
	assert_int_equal(res.status, 200);
	/* After it: reuse, the family is revoked. */
	f->app.clock.fixed_secs = NOW + 200;
	res = refresh(f, rt1, NULL);
	assert_int_equal(res.status, 400);
	res = refresh(f, rt3, NULL);
	assert_int_equal(res.status, 400);
	/* A revoked family is not revived by a retry within the grace period either. */
	res = send_req(f, "/oauth2/auth", auth_query(f, "rp", "openid%20offline_access", NULL),
	               NULL, NULL);
	assert_int_equal(res.status, 302); /* signed in, consent remembered */
	code = location_param(f, &res, "code");
	res = redeem(f, code, VERIFIER, BASIC_RP);
	rt1 = member(f, &res, "refresh_token");
	res = refresh(f, rt1, NULL);
	rt2 = member(f, &res, "refresh_token");
	res = send_req(f, "/oauth2/revoke", NULL, arena_printf(f->arena, "token=%s", rt2),
	               BASIC_RP);
	assert_int_equal(res.status, 200);
	res = refresh(f, rt1, NULL);
	assert_int_equal(res.status, 400);
}

/* The c_nonce of a token response was stored for its access token (consumed here). */
static void
assert_c_nonce_bound(struct fixture *f, const struct response *res)
{
	json_t *body = json_of(res);
	const char *nonce = json_string_value(json_object_get(body, "c_nonce_draft_00"));
	const char *at = json_string_value(json_object_get(body, "access_token"));
	unsigned char nh[STORE_HASH_LEN], th[STORE_HASH_LEN];
	struct err err;

	assert_non_null(nonce);
	assert_int_equal(json_integer_value(json_object_get(body, "c_nonce_expires_in_draft_00")),
	                 3600);
	credentials_nonce_hash(&f->app, nonce, nh);
	tokens_hash(&f->app, at, th);
	assert_int_equal(
	        store_vc_nonce_consume(f->app.store, nh, th, f->app.clock.fixed_secs, &err), ST_OK);
	json_decref(body);
}

static void
test_token_response_has_c_nonce_only_with_the_credential_scope(void **state)
{
	struct fixture *f = *state;
	const char *code =
	        obtain_code(f, "vcrp", "openid%20userinfo_credential_draft_00%20offline_access");
	struct response res = redeem(f, code, VERIFIER, BASIC_VCRP);
	const char *rt;

	assert_int_equal(res.status, 200);
	assert_c_nonce_bound(f, &res);
	/* A refresh issues a new access token, and a nonce for it. */
	rt = member(f, &res, "refresh_token");
	res = send_req(f, "/oauth2/token", NULL,
	               arena_printf(f->arena, "grant_type=refresh_token&refresh_token=%s", rt),
	               BASIC_VCRP);
	assert_int_equal(res.status, 200);
	assert_c_nonce_bound(f, &res);
	/* Narrowed to openid alone: no nonce. */
	rt = member(f, &res, "refresh_token");
	res = send_req(f, "/oauth2/token", NULL,
	               arena_printf(f->arena,
	                            "grant_type=refresh_token&refresh_token=%s&scope=openid", rt),
	               BASIC_VCRP);
	assert_int_equal(res.status, 200);
	assert_null(member(f, &res, "c_nonce_draft_00"));
	/* Without the scope there is none either (a new browser: a new login). */
	f->cookies[0] = '\0';
	code = obtain_code(f, "vcrp", "openid%20email");
	res = redeem(f, code, VERIFIER, BASIC_VCRP);
	assert_int_equal(res.status, 200);
	assert_null(member(f, &res, "c_nonce_draft_00"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_code_flow_issues_tokens_and_userinfo, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_token_response_has_c_nonce_only_with_the_credential_scope, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_code_replay_fails_and_revokes_the_first_tokens,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_wrong_verifier_or_redirect_keeps_the_code_for_its_holder, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_public_client_with_skip_consent_and_pkce,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_public_client_needs_pkce, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_session_is_reused_and_prompt_none_works, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_prompt_none_without_session_is_login_required,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_unknown_client_or_redirect_uri_is_a_page_not_a_redirect, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_consent_deny_is_access_denied, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_forms_without_the_right_csrf_token_are_refused,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_failed_logins_are_generic_then_throttled,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_form_post_response_mode, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_client_credentials, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_token_endpoint_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_userinfo_challenges, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cors_only_for_the_clients_origins, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_id_token_hint, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_revocation_and_introspection, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_implicit_and_hybrid_flows, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_jwt_access_tokens, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refresh_grace_period, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_pairwise_subject_in_id_token_userinfo_and_introspection, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_refresh_rotates_narrows_and_reuse_revokes_the_family, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_signed_userinfo_for_clients_that_registered_it,
	                                        setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
