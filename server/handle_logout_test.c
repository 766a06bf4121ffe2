/*
 * server/handle_logout_test.c — /oauth2/sessions/logout through the router with
 * in-memory requests (no sockets), a ":memory:" store, a fixed clock and a
 * generated ES256 key; the login session and its tokens are written
 * directly. Pins the decisions: what is redirected and where, what is
 * shown, and what one logout writes (session ended, tokens revoked or
 * kept, one signed logout token per back-channel client in the outbox).
 * Browser-level behaviour: tests/integration/logout.test.mjs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "crypto/jws.h"
#include "server/clients.h"
#include "server/docs.h"
#include "server/handlers.h"
#include "server/id_token.h"
#include "server/keys.h"
#include "server/logout_worker.h"
#include "server/secrets.h"
#include "server/subject.h"

#define NOW        1800000000
#define ISSUER     "https://id.example.com"
#define BYE        "https://rp.example.com/bye"
#define BYE_Q      "https%3A%2F%2Frp.example.com%2Fbye"
#define BYE_QF     "https%%3A%%2F%%2Frp.example.com%%2Fbye" /* BYE_Q in a format */
#define COOKIE_VAL "session-cookie-value-0123456789"
#define SID        "sid-1"

struct fixture {
	struct config cfg;
	struct app app;
	struct app_docs docs;
	struct arena *arena;
	char cookies[1024];
	const char *user_id;
	unsigned char access_hash[STORE_HASH_LEN];
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

/* A user, an active session SID with its cookie in the jar, and an access token per client. */
static void
seed(struct fixture *f)
{
	static const char *const clients[] = {"rp", "bc"};
	unsigned char hash[STORE_HASH_LEN];
	struct store_user u = {.id = "u1",
	                       .username = "alice",
	                       .password_hash = "$scrypt$x",
	                       .claims = "{}",
	                       .created_at = NOW - 100,
	                       .updated_at = NOW - 100};
	struct store_session s;
	struct err err;

	assert_int_equal(store_user_insert(f->app.store, &u, &err), ST_OK);
	f->user_id = "u1";
	secrets_token_hash(&f->cfg, COOKIE_VAL, hash);
	s = (struct store_session){.id_hash = hash,
	                           .sid = SID,
	                           .user_id = "u1",
	                           .auth_time = NOW - 60,
	                           .amr = "pwd",
	                           .acr = "",
	                           .created_at = NOW - 60,
	                           .expires_at = NOW + 3600};
	assert_int_equal(store_session_insert(f->app.store, &s, &err), ST_OK);
	for (size_t i = 0; i < 2; i++) {
		unsigned char th[STORE_HASH_LEN];
		struct store_token t = {.token_hash = th,
		                        .kind = STORE_TOKEN_ACCESS,
		                        .grant_id = clients[i],
		                        .client_id = clients[i],
		                        .user_id = "u1",
		                        .sid = SID,
		                        .scope = "openid",
		                        .created_at = NOW - 30,
		                        .expires_at = NOW + 3600};

		memset(th, (int)i + 1, sizeof th);
		if (i == 0)
			memcpy(f->access_hash, th, sizeof th);
		assert_int_equal(store_token_insert(f->app.store, &t, 1, &err), ST_OK);
	}
	snprintf(f->cookies, sizeof f->cookies, "oidcd_session=" COOKIE_VAL);
}

static int
setup_with(void **state, const char *revoke)
{
	const struct config_override o[] = {
	        {"issuer",               ISSUER                            },
	        {"keys.algorithm",       "ES256"                           },
	        {"secrets.system",       "0123456789abcdef0123456789abcdef"},
	        {"logout.revoke_tokens", revoke                            },
	};
	struct fixture *f = test_calloc(1, sizeof *f);
	struct store_options so = {0};
	struct err err;
	bool generated;

	assert_int_equal(config_load(NULL, NULL, o, 4, false, &f->cfg, &err), ST_OK);
	assert_int_equal(store_open(":memory:", &so, &f->app.store, &err), ST_OK);
	assert_int_equal(store_migrate(f->app.store, NULL, &err), ST_OK);
	f->app.cfg = &f->cfg;
	f->app.issuer = f->cfg.issuer;
	f->app.clock.fixed_secs = NOW;
	f->app.keyring = keys_keyring_new(&f->cfg);
	docs_init(&f->docs);
	f->app.docs = &f->docs;
	f->arena = arena_new();
	assert_int_equal(
	        keys_bootstrap(&f->cfg, f->app.store, f->app.keyring, NOW - 7200, &generated, &err),
	        ST_OK);
	make_client(f, "{\"client_id\":\"rp\",\"client_secret\":\"rp-secret-0123456789abcdef\","
	               "\"client_name\":\"Relying Party\","
	               "\"redirect_uris\":[\"https://rp.example.com/cb\"],"
	               "\"post_logout_redirect_uris\":[\"" BYE "\"],"
	               "\"frontchannel_logout_uri\":\"https://rp.example.com/fc?x=1\"}");
	make_client(f, "{\"client_id\":\"bc\",\"client_secret\":\"bc-secret-0123456789abcdef\","
	               "\"redirect_uris\":[\"https://bc.example.com/cb\"],"
	               "\"backchannel_logout_uri\":\"https://bc.example.com/bc\"}");
	seed(f);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, "true");
}

static int
setup_keep_tokens(void **state)
{
	return setup_with(state, "false");
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

static const char *
header(const struct response *res, const char *name)
{
	for (size_t i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			return res->headers[i].value;
	return NULL;
}

static bool
body_has(const struct response *res, const char *s)
{
	return res->body != NULL && strstr(res->body, s) != NULL;
}

/* One request to path (public, or admin); body: a form (POST) or NULL (GET). */
static struct response
send_to(struct fixture *f, bool is_admin, const char *path, const char *query, const char *body)
{
	struct request req;
	struct response res;
	struct request_header *h = arena_alloc(f->arena, sizeof *h);
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
	response_init(&res);
	req.is_admin = is_admin;
	if (is_admin)
		router_dispatch(&f->app, routes_admin, routes_admin_count, &req, &res);
	else
		router_dispatch(&f->app, routes_public, routes_public_count, &req, &res);
	return res;
}

static struct response
logout(struct fixture *f, const char *query)
{
	return send_to(f, false, "/oauth2/sessions/logout", query, NULL);
}

/* An ID token for client (aud) naming sid, signed by our key; exp may be in the past. */
static const char *
hint(struct fixture *f, const char *client, const char *sid, int64_t exp)
{
	json_t *doc = json_object();
	struct id_token_params p = {.issuer = ISSUER,
	                            .sub = subject_for(&f->app, doc, f->user_id, f->arena),
	                            .aud = client,
	                            .sid = sid,
	                            .iat = exp - 3600,
	                            .exp = exp};
	char *jwt;
	struct err err;

	assert_int_equal(id_token_sign(f->app.keyring, NOW, &p, f->arena, &jwt, &err), ST_OK);
	json_decref(doc);
	return jwt;
}

static bool
session_active(struct fixture *f)
{
	struct store_session s;
	struct err err;

	assert_int_equal(store_session_get_by_sid(f->app.store, SID, f->arena, &s, &err), ST_OK);
	return s.ended_at == 0;
}

static bool
token_revoked(struct fixture *f)
{
	struct store_token t;
	struct err err;

	assert_int_equal(store_token_get(f->app.store, f->access_hash, f->arena, &t, &err), ST_OK);
	return t.revoked_at != 0;
}

static void
test_no_session_redirects_to_the_signed_out_page(void **state)
{
	struct fixture *f = *state;
	struct response res;

	f->cookies[0] = '\0';
	res = logout(f, NULL);
	assert_int_equal(res.status, 302);
	assert_string_equal(header(&res, "Location"), ISSUER "/ui/signed-out");
	res = send_to(f, false, "/ui/signed-out", NULL, NULL);
	assert_int_equal(res.status, 200);
	assert_true(body_has(&res, "signed out"));
}

static void
test_no_session_redirects_to_the_verified_uri_with_state(void **state)
{
	struct fixture *f = *state;
	struct response res;

	f->cookies[0] = '\0';
	res = logout(f, arena_printf(f->arena,
	                             "id_token_hint=%s&post_logout_redirect_uri=" BYE_QF
	                             "&state=a%%26b%%20c",
	                             hint(f, "rp", SID, NOW + 60)));
	assert_int_equal(res.status, 302);
	assert_string_equal(header(&res, "Location"), BYE "?state=a%26b%20c");
	/* Without a hint the URI cannot be verified: never a redirect to it. */
	res = logout(f, "post_logout_redirect_uri=" BYE_Q "&state=x");
	assert_int_equal(res.status, 302);
	assert_string_equal(header(&res, "Location"), ISSUER "/ui/signed-out");
}

static void
test_refusals_show_an_error_page_and_never_redirect(void **state)
{
	struct fixture *f = *state;
	const char *good = hint(f, "rp", SID, NOW + 60);
	char *tampered = arena_strdup(f->arena, good);
	const char *queries[6];
	struct response res;

	tampered[strlen(tampered) - 2] = tampered[strlen(tampered) - 2] == 'A' ? 'B' : 'A';
	queries[0] = arena_printf(f->arena, "id_token_hint=%s&post_logout_redirect_uri=" BYE_QF,
	                          tampered);
	queries[1] = arena_printf(
	        f->arena, "id_token_hint=%s&post_logout_redirect_uri=" BYE_QF "%%3Ffoo%%3Dbar",
	        good);
	queries[2] = arena_printf(f->arena, "id_token_hint=%s&client_id=bc", good);
	queries[3] = "client_id=nobody&post_logout_redirect_uri=" BYE_Q;
	queries[4] = arena_printf(f->arena, "id_token_hint=%s", hint(f, "gone", SID, NOW + 60));
	queries[5] = "id_token_hint=not.a.jwt";
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		res = logout(f, queries[i]);
		assert_int_equal(res.status, 400);
		assert_null(header(&res, "Location"));
		assert_true(body_has(&res, "cannot be completed"));
	}
	assert_true(session_active(f));
}

static void
test_session_without_hint_asks_for_confirmation(void **state)
{
	struct fixture *f = *state;
	struct response res = logout(f, "client_id=rp&state=x");

	assert_int_equal(res.status, 200);
	assert_true(body_has(&res, "name=\"logout\" value=\"yes\""));
	assert_true(body_has(&res, "Relying Party"));
	assert_true(body_has(&res, "alice"));
	assert_true(session_active(f));
	/* A hint for another session asks too. */
	res = logout(f, arena_printf(f->arena, "id_token_hint=%s", hint(f, "rp", "other", NOW)));
	assert_int_equal(res.status, 200);
	assert_true(body_has(&res, "name=\"logout\" value=\"yes\""));
	assert_true(session_active(f));
}

/* Submits the confirmation page res with csrf (NULL: the page's own token). */
static struct response
confirm(struct fixture *f, const struct response *page, const char *query, const char *csrf)
{
	const char *set = header(page, "Set-Cookie"), *p;
	size_t used = strlen(f->cookies);

	if (set != NULL)
		snprintf(f->cookies + used, sizeof f->cookies - used, "; %.*s",
		         (int)strcspn(set, ";"), set);
	if (csrf == NULL) {
		p = strstr(page->body, "name=\"csrf\" value=\"");
		assert_non_null(p);
		p += strlen("name=\"csrf\" value=\"");
		csrf = arena_strndup(f->arena, p, strcspn(p, "\""));
	}
	return send_to(f, false, "/oauth2/sessions/logout", query,
	               arena_printf(f->arena, "logout=yes&csrf=%s", csrf));
}

static void
test_confirmation_needs_its_csrf_token(void **state)
{
	struct fixture *f = *state;
	const char *q = "client_id=rp&post_logout_redirect_uri=" BYE_Q "&state=s1";
	struct response page = logout(f, q), res;

	assert_int_equal(page.status, 200);
	res = confirm(f, &page, q, "forged");
	assert_int_equal(res.status, 200);
	assert_true(body_has(&res, "name=\"logout\" value=\"yes\""));
	assert_true(session_active(f));
	/* The same token for other parameters (another state) is refused too. */
	res = confirm(f, &page, "client_id=rp&post_logout_redirect_uri=" BYE_Q "&state=s2", NULL);
	assert_true(session_active(f));
	res = confirm(f, &page, q, NULL);
	assert_false(session_active(f));
	/* rp has a front-channel URI: the page frames it, then goes to the URI with state. */
	assert_int_equal(res.status, 200);
	assert_true(body_has(&res, "href=\"https://rp.example.com/bye?state=s1\""));
}

static void
test_hint_for_the_session_ends_it_and_queues_the_backchannel_token(void **state)
{
	struct fixture *f = *state;
	struct store_logout_delivery *rows = NULL;
	struct response res;
	size_t n = 0;
	struct jws jws;
	json_t *claims, *events;
	struct err err;

	res = logout(f, arena_printf(f->arena,
	                             "id_token_hint=%s&post_logout_redirect_uri=" BYE_QF "&state=z",
	                             hint(f, "rp", SID, NOW - 600 /* expired: still good */)));
	assert_int_equal(res.status, 200);
	assert_false(session_active(f));
	assert_true(token_revoked(f));
	/* Front-channel (iss and sid added), CSP framing only that origin, cookie cleared. */
	assert_true(body_has(&res, "src=\"https://rp.example.com/fc?x=1&amp;iss=https%3A%2F%2Fid."
	                           "example.com&amp;sid=" SID "\""));
	assert_non_null(strstr(header(&res, "Content-Security-Policy"),
	                       "frame-src https://rp.example.com"));
	assert_non_null(strstr(header(&res, "Set-Cookie"), "oidcd_session=;"));
	/* Back-channel: one row for bc, a logout+jwt with the Back-Channel Logout claims. */
	assert_int_equal(store_logout_delivery_list(f->app.store, 10, f->arena, &rows, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].client_id, "bc");
	assert_string_equal(rows[0].uri, "https://bc.example.com/bc");
	assert_string_equal(rows[0].sid, SID);
	assert_int_equal(jws_parse(rows[0].logout_token, f->arena, &jws, &err), ST_OK);
	assert_string_equal(jws.typ, "logout+jwt");
	claims = json_loadb((const char *)jws.payload, jws.payload_len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(claims, "iss")), ISSUER);
	assert_string_equal(json_string_value(json_object_get(claims, "aud")), "bc");
	assert_string_equal(json_string_value(json_object_get(claims, "sid")), SID);
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), "u1");
	assert_string_equal(json_string_value(json_object_get(claims, "jti")), rows[0].id);
	assert_int_equal(json_integer_value(json_object_get(claims, "iat")), NOW);
	assert_true(json_integer_value(json_object_get(claims, "exp")) > NOW);
	assert_null(json_object_get(claims, "nonce"));
	events = json_pack("{s:{}}", "http://schemas.openid.net/event/backchannel-logout");
	assert_true(json_equal(json_object_get(claims, "events"), events));
	json_decref(events);
	json_decref(claims);
	/* The admin view lists it, without the token. */
	res = send_to(f, true, "/admin/logout/deliveries", NULL, NULL);
	assert_int_equal(res.status, 200);
	assert_true(body_has(&res, "\"status\": \"pending\"") ||
	            body_has(&res, "\"status\":\"pending\""));
	assert_false(body_has(&res, rows[0].logout_token));
	/* A second logout finds nothing to end: a redirect (the stale cookie cleared),
	 * nothing queued twice. */
	res = logout(f, arena_printf(f->arena,
	                             "id_token_hint=%s&post_logout_redirect_uri=" BYE_QF "&state=z",
	                             hint(f, "rp", SID, NOW + 60)));
	assert_int_equal(res.status, 302);
	assert_string_equal(header(&res, "Location"), BYE "?state=z");
	assert_non_null(strstr(header(&res, "Set-Cookie"), "oidcd_session=;"));
	assert_int_equal(store_logout_delivery_list(f->app.store, 10, f->arena, &rows, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 1);
}

static void
test_revoke_tokens_off_keeps_the_session_tokens(void **state)
{
	struct fixture *f = *state;
	struct response res;

	res = logout(f, arena_printf(f->arena, "id_token_hint=%s", hint(f, "bc", SID, NOW + 60)));
	/* Every client of the session is notified (rp's front-channel too), then the
	 * signed-out page: no post_logout_redirect_uri was given. */
	assert_int_equal(res.status, 200);
	assert_true(body_has(&res, "href=\"" ISSUER "/ui/signed-out\""));
	assert_true(body_has(&res, "<iframe"));
	assert_false(session_active(f));
	assert_false(token_revoked(f));
}

static void
test_backoff_doubles_from_one_second_and_caps(void **state)
{
	(void)state;
	assert_int_equal(logout_worker_backoff_ms(1), 1000);
	assert_int_equal(logout_worker_backoff_ms(2), 2000);
	assert_int_equal(logout_worker_backoff_ms(4), 8000);
	assert_int_equal(logout_worker_backoff_ms(30), LOGOUT_BACKOFF_MAX_MS);
	assert_int_equal(logout_worker_backoff_ms(1000), LOGOUT_BACKOFF_MAX_MS);
}

static void
test_post_refuses_plain_http_beyond_loopback(void **state)
{
	struct err err;

	(void)state;
	assert_int_equal(logout_worker_post(NULL, "http://rp.example.com/bc", "a.b.c", NULL, &err),
	                 ST_INVALID);
	assert_string_equal(err.msg, "backchannel_logout_uri is not https");
	assert_int_equal(logout_worker_post(NULL, "ftp://127.0.0.1/bc", "a.b.c", NULL, &err),
	                 ST_INVALID);
	/* Loopback http is allowed: nothing listens on port 1, so the POST itself fails. */
	assert_int_equal(logout_worker_post(NULL, "http://127.0.0.1:1/bc", "a.b.c", NULL, &err),
	                 ST_IO);
	assert_null(strstr(err.msg, "a.b.c"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	        T(test_no_session_redirects_to_the_signed_out_page),
	        T(test_no_session_redirects_to_the_verified_uri_with_state),
	        T(test_refusals_show_an_error_page_and_never_redirect),
	        T(test_session_without_hint_asks_for_confirmation),
	        T(test_confirmation_needs_its_csrf_token),
	        T(test_hint_for_the_session_ends_it_and_queues_the_backchannel_token),
	        cmocka_unit_test_setup_teardown(test_revoke_tokens_off_keeps_the_session_tokens,
	                                        setup_keep_tokens, teardown),
	        cmocka_unit_test(test_backoff_doubles_from_one_second_and_caps),
	        cmocka_unit_test(test_post_refuses_plain_http_beyond_loopback),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
