/*
 * server/subject_test.c — public and pairwise subjects (OIDC Core §8.1),
 * and a subject forced by a headless login app (subject_for_client).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server/subject.h"

struct fixture {
	struct config cfg;
	struct app app;
	struct arena *arena;
};

static int
setup(void **state)
{
	static const struct config_override o[] = {
	        {"issuer",             "https://id.example.com"          },
	        {"secrets.system",     "0123456789abcdef0123456789abcdef"},
	        {"oidc.pairwise_salt", "pairwise-salt-0123456789"        },
	};
	struct fixture *f = test_calloc(1, sizeof *f);
	struct err err;

	assert_int_equal(config_load(NULL, NULL, o, 3, false, &f->cfg, &err), ST_OK);
	f->app.cfg = &f->cfg;
	f->app.issuer = f->cfg.issuer;
	f->arena = arena_new();
	*state = f;
	return 0;
}

/* setup with a migrated ":memory:" store (forced subjects). */
static int
setup_store(void **state)
{
	struct store_options so = {0};
	struct fixture *f;
	struct err err;

	setup(state);
	f = *state;
	assert_int_equal(store_open(":memory:", &so, &f->app.store, &err), ST_OK);
	assert_int_equal(store_migrate(f->app.store, NULL, &err), ST_OK);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->app.store != NULL)
		store_close(f->app.store);
	arena_free(f->arena);
	config_free(&f->cfg);
	test_free(f);
	return 0;
}

static const char *
sub(struct fixture *f, const char *doc_json, const char *user)
{
	json_t *doc = json_loads(doc_json, 0, NULL);
	const char *s;

	assert_non_null(doc);
	s = subject_for(&f->app, doc, user, f->arena);
	json_decref(doc);
	return s;
}

static void
test_public_clients_see_the_user_id(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(sub(f, "{\"subject_type\":\"public\"}", "u-1"), "u-1");
	assert_string_equal(sub(f, "{}", "u-1"), "u-1");
	assert_string_equal(subject_for(&f->app, NULL, "u-1", f->arena), "u-1");
}

static void
test_pairwise_is_per_sector_and_per_user(void **state)
{
	struct fixture *f = *state;
	const char *a = sub(f,
	                    "{\"subject_type\":\"pairwise\","
	                    "\"redirect_uris\":[\"https://rp.example.com/cb\"]}",
	                    "u-1");
	const char *same_host = sub(f,
	                            "{\"subject_type\":\"pairwise\","
	                            "\"redirect_uris\":[\"https://rp.example.com/other?x=1\"]}",
	                            "u-1");
	const char *other_host = sub(f,
	                             "{\"subject_type\":\"pairwise\","
	                             "\"redirect_uris\":[\"https://rp.example.org/cb\"]}",
	                             "u-1");
	const char *other_user = sub(f,
	                             "{\"subject_type\":\"pairwise\","
	                             "\"redirect_uris\":[\"https://rp.example.com/cb\"]}",
	                             "u-2");
	/* The sector_identifier_uri host wins over the redirect URIs' host. */
	const char *sector = sub(f,
	                         "{\"subject_type\":\"pairwise\","
	                         "\"sector_identifier_uri\":\"https://rp.example.com/s.json\","
	                         "\"redirect_uris\":[\"https://a.example.net/cb\"]}",
	                         "u-1");

	assert_int_equal(strlen(a), 43); /* base64url of 32 bytes */
	assert_string_not_equal(a, "u-1");
	assert_string_equal(a, same_host);
	assert_string_equal(a, sector);
	assert_string_not_equal(a, other_host);
	assert_string_not_equal(a, other_user);
}

static void
test_pairwise_depends_on_the_salt(void **state)
{
	struct fixture *f = *state;
	const char *doc = "{\"subject_type\":\"pairwise\","
	                  "\"redirect_uris\":[\"https://rp.example.com/cb\"]}";
	const char *a = sub(f, doc, "u-1");

	free(f->cfg.oidc_pairwise_salt);
	f->cfg.oidc_pairwise_salt = strdup("another-salt-0123456789");
	assert_string_not_equal(sub(f, doc, "u-1"), a);
}

static void
test_forced_subject_wins_for_pairwise_clients_only(void **state)
{
	static const char pw[] = "{\"client_id\":\"c1\",\"subject_type\":\"pairwise\","
	                         "\"redirect_uris\":[\"https://rp.example/cb\"]}";
	struct fixture *f = *state;
	struct store_client c = {.id = "c1", .metadata = "{}", .created_at = 1, .updated_at = 1};
	json_t *pairwise = json_loads(pw, 0, NULL), *public = json_pack("{s:s}", "client_id", "c1");
	const char *computed, *out = NULL;
	struct err err;

	assert_int_equal(store_client_insert(f->app.store, &c, &err), ST_OK);
	assert_int_equal(store_user_ensure(f->app.store, "u1", "external:u1", 1, &err), ST_OK);
	computed = subject_for(&f->app, pairwise, "u1", f->arena);
	/* Nothing forced: the computed pairwise sub. */
	assert_int_equal(subject_for_client(&f->app, pairwise, "c1", "u1", f->arena, &out, &err),
	                 ST_OK);
	assert_string_equal(out, computed);
	assert_int_equal(store_forced_subject_put(f->app.store, "c1", "u1", "forced-1", 2, &err),
	                 ST_OK);
	assert_int_equal(subject_for_client(&f->app, pairwise, "c1", "u1", f->arena, &out, &err),
	                 ST_OK);
	assert_string_equal(out, "forced-1");
	/* A public client (the same id, another doc) never uses it. */
	assert_int_equal(subject_for_client(&f->app, public, "c1", "u1", f->arena, &out, &err),
	                 ST_OK);
	assert_string_equal(out, "u1");
	json_decref(pairwise);
	json_decref(public);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_public_clients_see_the_user_id, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_pairwise_is_per_sector_and_per_user, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_pairwise_depends_on_the_salt, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_forced_subject_wins_for_pairwise_clients_only,
	                                        setup_store, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
