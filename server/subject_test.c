/*
 * server/subject_test.c — public and pairwise subjects (OIDC Core §8.1).
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

static int
teardown(void **state)
{
	struct fixture *f = *state;

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_public_clients_see_the_user_id, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_pairwise_is_per_sector_and_per_user, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_pairwise_depends_on_the_salt, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
