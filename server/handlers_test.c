/*
 * server/handlers_test.c — handlers driven with in-memory requests (no
 * sockets): an app with a ":memory:" store, a fixed clock and a keyring with
 * a generated ES256 key. Also the guard that discovery and routes.c agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "crypto/jwk.h"
#include "server/docs.h"
#include "server/handlers.h"
#include "server/keys.h"

#define NOW 1800000000

struct fixture {
	struct config cfg;
	struct app app;
	struct app_docs docs;
	struct arena *arena;
};

static int
setup(void **state)
{
	static const struct config_override o[] = {
	        {"issuer",         "https://id.example.com"          },
	        {"keys.algorithm", "ES256"                           },
	        {"secrets.system", "0123456789abcdef0123456789abcdef"},
	};
	struct fixture *f = test_calloc(1, sizeof *f);
	struct store_options so = {0};
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

static void
with_key(struct fixture *f)
{
	struct err err;
	bool generated;

	assert_int_equal(
	        keys_bootstrap(&f->cfg, f->app.store, f->app.keyring, NOW, &generated, &err),
	        ST_OK);
	assert_true(generated);
	assert_int_equal(docs_refresh(&f->app, true, NULL, &err), ST_OK);
}

static struct response
call(struct fixture *f, handler_fn *h, const char *path)
{
	struct request req;
	struct response res;

	memset(&req, 0, sizeof req);
	req.arena = f->arena;
	req.method = HTTP_GET;
	req.path = path;
	strcpy(req.id, "test");
	response_init(&res);
	assert_int_equal(h(&f->app, &req, &res), ST_OK);
	return res;
}

static json_t *
body_json(const struct response *res)
{
	json_t *j = json_loadb(res->body, res->body_len, 0, NULL);

	assert_non_null(j);
	return j;
}

/* Hydra's oidcConfiguration schema (hydra-openapi.json): the only members allowed. */
static const char *const schema_fields[] = {
        "authorization_endpoint",
        "backchannel_logout_session_supported",
        "backchannel_logout_supported",
        "claims_parameter_supported",
        "claims_supported",
        "code_challenge_methods_supported",
        "credentials_endpoint_draft_00",
        "credentials_supported_draft_00",
        "device_authorization_endpoint",
        "end_session_endpoint",
        "frontchannel_logout_session_supported",
        "frontchannel_logout_supported",
        "grant_types_supported",
        "id_token_signed_response_alg",
        "id_token_signing_alg_values_supported",
        "issuer",
        "jwks_uri",
        "registration_endpoint",
        "request_object_signing_alg_values_supported",
        "request_parameter_supported",
        "request_uri_parameter_supported",
        "require_request_uri_registration",
        "response_modes_supported",
        "response_types_supported",
        "revocation_endpoint",
        "scopes_supported",
        "subject_types_supported",
        "token_endpoint",
        "token_endpoint_auth_methods_supported",
        "userinfo_endpoint",
        "userinfo_signed_response_alg",
        "userinfo_signing_alg_values_supported",
};

static const char *const required_fields[] = {
        "issuer",
        "authorization_endpoint",
        "device_authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "subject_types_supported",
        "response_types_supported",
        "id_token_signing_alg_values_supported",
        "id_token_signed_response_alg",
        "userinfo_signed_response_alg",
};

static bool
in_list(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static void
test_discovery_has_required_fields_and_nothing_else(void **state)
{
	struct fixture *f = *state;
	struct response res;
	const char *key;
	json_t *doc, *value;
	size_t i;

	with_key(f);
	res = call(f, handle_discovery, "/.well-known/openid-configuration");
	assert_int_equal(res.status, 200);
	assert_int_equal(res.cache_max_age_secs, f->cfg.http_cache_max_age_secs);
	doc = body_json(&res);
	for (i = 0; i < sizeof required_fields / sizeof required_fields[0]; i++)
		assert_non_null(json_object_get(doc, required_fields[i]));
	json_object_foreach(doc, key, value)
	{
		if (!in_list(schema_fields, sizeof schema_fields / sizeof schema_fields[0], key))
			fail_msg("discovery member outside Hydra's schema: %s", key);
	}
	assert_string_equal(json_string_value(json_object_get(doc, "issuer")),
	                    "https://id.example.com");
	assert_string_equal(
	        json_string_value(json_array_get(
	                json_object_get(doc, "id_token_signing_alg_values_supported"), 0)),
	        "ES256");
	json_decref(doc);
}

/*
 * The guard of STYLE B13: every endpoint URL discovery advertises is routed.
 * Hydra's schema requires three endpoints before oidcd serves them; they
 * are listed here and must leave this list in the commit that routes them.
 */
static void
test_discovery_and_routes_agree(void **state)
{
	static const char *const required_not_yet_routed[] = {
	        "/oauth2/device/auth",
	};
	struct fixture *f = *state;
	size_t n = strlen(f->app.issuer);
	const char *key;
	json_t *doc, *value;

	with_key(f);
	doc = docs_discovery(&f->app);
	json_object_foreach(doc, key, value)
	{
		const char *v = json_string_value(value);
		size_t klen = strlen(key);
		bool is_url = (klen > 9 && strcmp(key + klen - 9, "_endpoint") == 0) ||
		              strcmp(key, "jwks_uri") == 0 ||
		              strcmp(key, "credentials_endpoint_draft_00") == 0;

		if (!is_url)
			continue;
		assert_non_null(v);
		assert_memory_equal(v, f->app.issuer, n);
		if (router_find_path(routes_public, routes_public_count, v + n) != NULL)
			continue;
		if (!in_list(required_not_yet_routed, 1, v + n))
			fail_msg("%s advertises %s, which is not routed", key, v);
	}
	json_decref(doc);
}

static void
test_registration_endpoint_only_when_enabled_and_routed(void **state)
{
	struct fixture *f = *state;
	json_t *doc;

	with_key(f);
	f->cfg.registration_enabled = true;
	doc = docs_discovery(&f->app);
	if (router_find_path(routes_public, routes_public_count, "/oauth2/register") == NULL)
		assert_null(json_object_get(doc, "registration_endpoint"));
	else
		assert_non_null(json_object_get(doc, "registration_endpoint"));
	json_decref(doc);
	f->cfg.registration_enabled = false;
	doc = docs_discovery(&f->app);
	assert_null(json_object_get(doc, "registration_endpoint"));
	json_decref(doc);
}

static void
test_jwks_publishes_public_key_only(void **state)
{
	struct fixture *f = *state;
	struct response res;
	json_t *doc, *key;

	with_key(f);
	res = call(f, handle_jwks, "/.well-known/jwks.json");
	assert_int_equal(res.status, 200);
	assert_true(res.cache_max_age_secs > 0);
	doc = body_json(&res);
	assert_int_equal(json_array_size(json_object_get(doc, "keys")), 1);
	key = json_array_get(json_object_get(doc, "keys"), 0);
	assert_string_equal(json_string_value(json_object_get(key, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(key, "alg")), "ES256");
	assert_string_equal(json_string_value(json_object_get(key, "use")), "sig");
	assert_null(json_object_get(key, "d"));
	json_decref(doc);
}

static void
test_documents_not_built_yet_is_503(void **state)
{
	struct fixture *f = *state;
	struct response res = call(f, handle_jwks, "/.well-known/jwks.json");

	assert_int_equal(res.status, 503);
	res = call(f, handle_discovery, "/.well-known/openid-configuration");
	assert_int_equal(res.status, 503);
}

static void
test_ready_needs_a_signing_key(void **state)
{
	struct fixture *f = *state;
	struct response res = call(f, handle_health_ready, "/health/ready");

	assert_int_equal(res.status, 503);
	assert_non_null(strstr(res.body, "temporarily_unavailable"));
	with_key(f);
	res = call(f, handle_health_ready, "/health/ready");
	assert_int_equal(res.status, 200);
	assert_string_equal(res.body, "{\"status\":\"ok\"}");
	res = call(f, handle_health_alive, "/health/alive");
	assert_int_equal(res.status, 200);
}

static void
test_admin_keys_shows_lifecycle(void **state)
{
	struct fixture *f = *state;
	struct response res;
	struct err err;
	char kid[64];
	int64_t from;
	json_t *doc, *keys;
	size_t i;
	int active = 0, next = 0;

	with_key(f);
	assert_int_equal(keys_rotate(&f->cfg, f->app.store, f->app.keyring, NOW, kid, &from, &err),
	                 ST_OK);
	assert_int_equal(from, NOW + f->cfg.keys_publish_before_use_secs);
	res = call(f, handle_admin_keys, "/admin/keys");
	assert_int_equal(res.status, 200);
	doc = body_json(&res);
	keys = json_object_get(doc, "keys");
	assert_int_equal(json_array_size(keys), 2);
	for (i = 0; i < 2; i++) {
		const char *st =
		        json_string_value(json_object_get(json_array_get(keys, i), "status"));

		active += strcmp(st, "active") == 0;
		next += strcmp(st, "next") == 0;
		if (strcmp(st, "next") == 0)
			assert_string_equal(
			        json_string_value(json_object_get(json_array_get(keys, i), "kid")),
			        kid);
	}
	assert_int_equal(active, 1);
	assert_int_equal(next, 1);
	json_decref(doc);
}

static void
test_admin_version(void **state)
{
	struct fixture *f = *state;
	struct response res = call(f, handle_admin_version, "/admin/version");

	assert_int_equal(res.status, 200);
	assert_string_equal(res.body, "{\"version\":\"9.9.9\"}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_discovery_has_required_fields_and_nothing_else,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_discovery_and_routes_agree, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_registration_endpoint_only_when_enabled_and_routed, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_jwks_publishes_public_key_only, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_documents_not_built_yet_is_503, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_ready_needs_a_signing_key, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_admin_keys_shows_lifecycle, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_admin_version, setup, teardown),
	};

	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
