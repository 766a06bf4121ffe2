/*
 * server/claims_test.c — OIDC Core §5.4 scope values release their claims
 * and nothing else; §5.5 per-claim requests add single claims; claims the
 * user lacks (or holds as null) are never emitted; sub never appears.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server/claims.h"

/*
 * The jansson path of /userinfo for the same inputs (users_claims, then
 * claims_for_scopes, then "sub", dumped compact): what claims_userinfo_text
 * must equal. NULL when the stored text is not a JSON object.
 */
static char *
jansson_text(const char *stored, int64_t updated_at, const char *scope, const char *sub)
{
	json_t *claims = json_loads(stored, 0, NULL), *out = NULL;
	char *text;

	if (!json_is_object(claims)) {
		json_decref(claims);
		return NULL;
	}
	json_object_set_new(claims, "updated_at", json_integer(updated_at));
	assert_int_equal(claims_for_scopes(claims, scope, NULL, &out), ST_OK);
	json_object_set_new(out, "sub", json_string(sub));
	text = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	json_decref(claims);
	return text;
}

/* Stored as users.c stores claims: compact, keys sorted. */
static char *
stored_text(const char *json)
{
	json_t *j = json_loads(json, 0, NULL);
	char *text;

	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return text;
}

static void
test_userinfo_text_equals_the_jansson_path(void **state)
{
	static const char *const users[] = {
	        "{\"name\":\"Jane \\\"JD\\\" Doe\",\"given_name\":\"Jane\",\"family_name\":\"Doe\","
	        "\"nickname\":\"jd\",\"preferred_username\":\"jane\",\"profile\":\"https://e.com/"
	        "j\","
	        "\"picture\":\"https://e.com/j.png\",\"website\":\"https://"
	        "e.com\",\"gender\":\"f\","
	        "\"birthdate\":\"1990-01-01\",\"zoneinfo\":\"Europe/Paris\",\"locale\":\"fr-FR\","
	        "\"middle_name\":\"\\u00c9lise \\t tab\",\"updated_at\":1,\"email\":\"j@e.com\","
	        "\"email_verified\":true,\"phone_number\":\"+33 "
	        "1\",\"phone_number_verified\":false,"
	        "\"x-custom\":{\"deep\":[1,2]}}",
	        "{\"name\":\"Demo User\",\"email\":\"demo@example.com\",\"email_verified\":true}",
	        "{\"name\":null,\"email\":null,\"nickname\":\"\xe2\x82\xac\"}",
	        "{}",
	};
	static const char *const scopes[] = {
	        "openid",
	        "openid profile",
	        "openid email",
	        "openid phone",
	        "openid profile email phone offline_access",
	        "profile",
	        NULL,
	        "openid emails",
	};

	(void)state;
	for (size_t u = 0; u < sizeof users / sizeof users[0]; u++) {
		char *stored = stored_text(users[u]);

		for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
			struct arena *arena = arena_new();
			char *want = jansson_text(stored, 1764230000, scopes[i], "user-1");
			size_t len = 0;
			char *got = claims_userinfo_text(stored, 1764230000, scopes[i], "user-1",
			                                 arena, &len);

			assert_non_null(want);
			if (got == NULL || strcmp(got, want) != 0)
				fail_msg("user %zu, scope %s:\n got  %s\n want %s", u,
				         scopes[i] ? scopes[i] : "(null)", got ? got : "(null)",
				         want);
			assert_int_equal(len, strlen(want));
			free(want);
			arena_free(arena);
		}
		free(stored);
	}
}

/* What the fast path leaves to the jansson one. */
static void
test_userinfo_text_declines(void **state)
{
	struct arena *arena = arena_new();
	size_t len;

	(void)state;
	/* a released object (address) */
	assert_null(claims_userinfo_text("{\"address\":{\"country\":\"FR\"}}", 1, "openid address",
	                                 "u", arena, &len));
	/* but an unreleased one is fine */
	assert_string_equal(claims_userinfo_text("{\"address\":{\"country\":\"FR\"}}", 1,
	                                         "openid email", "u", arena, &len),
	                    "{\"sub\":\"u\"}");
	/* a sub that would need escaping */
	assert_null(claims_userinfo_text("{}", 1, "openid", "a\"b", arena, &len));
	assert_null(claims_userinfo_text("{}", 1, "openid", "\xc3\xa9", arena, &len));
	/* stored text that is not JSON, or not an object, or unusual */
	assert_null(claims_userinfo_text("{\"name\":", 1, "openid profile", "u", arena, &len));
	assert_null(claims_userinfo_text("[]", 1, "openid profile", "u", arena, &len));
	assert_null(claims_userinfo_text("{\"name\":\"a\",\"name\":\"b\"}", 1, "openid profile",
	                                 "u", arena, &len));
	assert_null(claims_userinfo_text(NULL, 1, "openid", "u", arena, &len));
	arena_free(arena);
}

/* A user with every standard claim except middle_name and website. */
static json_t *
full_user(void)
{
	json_t *u = json_loads("{\"name\":\"Jane Doe\",\"given_name\":\"Jane\","
	                       "\"family_name\":\"Doe\",\"nickname\":\"jd\","
	                       "\"preferred_username\":\"jane\",\"profile\":\"https://e.com/jane\","
	                       "\"picture\":\"https://e.com/jane.png\",\"gender\":\"female\","
	                       "\"birthdate\":\"1990-01-01\",\"zoneinfo\":\"Europe/Paris\","
	                       "\"locale\":\"fr-FR\",\"updated_at\":1700000000,"
	                       "\"email\":\"jane@e.com\",\"email_verified\":true,"
	                       "\"address\":{\"country\":\"FR\"},"
	                       "\"phone_number\":\"+33 1 23 45 67 89\","
	                       "\"phone_number_verified\":false}",
	                       0, NULL);

	assert_non_null(u);
	return u;
}

/* Runs claims_for_scopes and returns the result (new reference). */
static json_t *
released(const json_t *user, const char *scope, const char *requested_json)
{
	json_t *requested = NULL, *out = NULL;

	if (requested_json != NULL) {
		requested = json_loads(requested_json, 0, NULL);
		assert_non_null(requested);
	}
	assert_int_equal(claims_for_scopes(user, scope, requested, &out), ST_OK);
	assert_non_null(out);
	assert_true(json_is_object(out));
	json_decref(requested);
	return out;
}

/* Asserts out has exactly the members listed (NULL-terminated). */
static void
assert_members(const json_t *out, const char *const *names)
{
	size_t n = 0;

	for (; names[n] != NULL; n++)
		assert_non_null(json_object_get(out, names[n]));
	assert_int_equal(json_object_size(out), n);
}

static void
test_openid_alone_releases_nothing(void **state)
{
	json_t *user = full_user(), *out = released(user, "openid", NULL);

	(void)state;
	assert_int_equal(json_object_size(out), 0);
	json_decref(out);
	json_decref(user);
}

static void
test_profile_releases_profile_claims_only(void **state)
{
	static const char *const want[] = {
	        "name",    "given_name", "family_name", "nickname",  "preferred_username",
	        "profile", "picture",    "gender",      "birthdate", "zoneinfo",
	        "locale",  "updated_at", NULL,
	};
	json_t *user = full_user(), *out = released(user, "openid profile", NULL);

	(void)state;
	assert_members(out, want);
	assert_string_equal(json_string_value(json_object_get(out, "name")), "Jane Doe");
	assert_int_equal(json_integer_value(json_object_get(out, "updated_at")), 1700000000);
	json_decref(out);
	json_decref(user);
}

static void
test_email_releases_email_and_verified(void **state)
{
	static const char *const want[] = {"email", "email_verified", NULL};
	json_t *user = full_user(), *out = released(user, "email openid", NULL);

	(void)state;
	assert_members(out, want);
	assert_true(json_is_true(json_object_get(out, "email_verified")));
	json_decref(out);
	json_decref(user);
}

static void
test_address_releases_the_address_object(void **state)
{
	static const char *const want[] = {"address", NULL};
	json_t *user = full_user(), *out = released(user, "openid address", NULL);

	(void)state;
	assert_members(out, want);
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(out, "address"), "country")),
	        "FR");
	json_decref(out);
	json_decref(user);
}

static void
test_phone_releases_number_and_verified_false(void **state)
{
	static const char *const want[] = {"phone_number", "phone_number_verified", NULL};
	json_t *user = full_user(), *out = released(user, "openid phone", NULL);

	(void)state;
	assert_members(out, want);
	/* false is a value the user has, not an absent claim. */
	assert_true(json_is_false(json_object_get(out, "phone_number_verified")));
	json_decref(out);
	json_decref(user);
}

static void
test_all_scopes_release_every_claim_the_user_has(void **state)
{
	json_t *user = full_user(),
	       *out = released(user, "openid profile email address phone offline_access", NULL);

	(void)state;
	assert_true(json_equal(out, user));
	assert_null(json_object_get(out, "middle_name"));
	assert_null(json_object_get(out, "website"));
	json_decref(out);
	json_decref(user);
}

static void
test_absent_and_null_claims_are_not_emitted(void **state)
{
	json_t *user = json_loads("{\"email\":\"a@b.c\",\"name\":null}", 0, NULL);
	json_t *out = released(user, "openid profile email phone", NULL);

	(void)state;
	assert_int_equal(json_object_size(out), 1);
	assert_string_equal(json_string_value(json_object_get(out, "email")), "a@b.c");
	json_decref(out);
	json_decref(user);
}

static void
test_unknown_members_and_sub_are_never_copied(void **state)
{
	json_t *user = json_loads("{\"sub\":\"u1\",\"password_hash\":\"x\",\"id\":\"u1\","
	                          "\"username\":\"jane\",\"email\":\"a@b.c\"}",
	                          0, NULL);
	json_t *out = released(user, "openid profile email address phone",
	                       "{\"sub\":null,\"password_hash\":null,\"id\":{\"essential\":true}}");

	(void)state;
	assert_int_equal(json_object_size(out), 1);
	assert_non_null(json_object_get(out, "email"));
	json_decref(out);
	json_decref(user);
}

static void
test_scope_values_match_whole_words_only(void **state)
{
	json_t *user = full_user();
	json_t *out = released(user, "openid profiles emails e-mail phone_number", NULL);

	(void)state;
	assert_int_equal(json_object_size(out), 0);
	json_decref(out);
	out = released(user, "  email   openid ", NULL);
	assert_int_equal(json_object_size(out), 2);
	json_decref(out);
	json_decref(user);
}

static void
test_null_scope_releases_nothing(void **state)
{
	json_t *user = full_user(), *out = released(user, NULL, NULL);

	(void)state;
	assert_int_equal(json_object_size(out), 0);
	json_decref(out);
	json_decref(user);
}

static void
test_requested_claims_add_single_claims(void **state)
{
	static const char *const want[] = {"email", "email_verified", "given_name", "picture",
	                                   NULL};
	json_t *user = full_user();
	/* OIDC Core §5.5: null = default request; an object may carry essential. */
	json_t *out = released(user, "openid email",
	                       "{\"given_name\":{\"essential\":true},\"picture\":null,"
	                       "\"middle_name\":null}");

	(void)state;
	/* middle_name was requested but the user has none: not emitted. */
	assert_members(out, want);
	json_decref(out);
	json_decref(user);
}

static void
test_requested_claims_without_scope(void **state)
{
	static const char *const want[] = {"phone_number", NULL};
	json_t *user = full_user(), *out = released(user, "openid", "{\"phone_number\":null}");

	(void)state;
	assert_members(out, want);
	json_decref(out);
	json_decref(user);
}

static void
test_malformed_requests_release_nothing_extra(void **state)
{
	json_t *user = full_user(), *out;

	(void)state;
	/* A member that is neither null nor an object requests nothing. */
	out = released(user, "openid", "{\"email\":true,\"name\":\"x\",\"locale\":[1]}");
	assert_int_equal(json_object_size(out), 0);
	json_decref(out);
	/* A claims request that is not an object is ignored. */
	out = released(user, "openid", "[\"email\"]");
	assert_int_equal(json_object_size(out), 0);
	json_decref(out);
	json_decref(user);
}

static void
test_user_claims_not_an_object_release_nothing(void **state)
{
	json_t *user = json_string("nope"), *out = released(user, "openid profile", NULL);

	(void)state;
	assert_int_equal(json_object_size(out), 0);
	json_decref(out);
	json_decref(user);
	out = released(NULL, "openid profile", "{\"email\":null}");
	assert_int_equal(json_object_size(out), 0);
	json_decref(out);
}

static void
test_result_is_independent_of_the_user_object(void **state)
{
	json_t *user = full_user(), *out = released(user, "openid profile", NULL);

	(void)state;
	json_object_set_new(out, "sub", json_string("u1"));
	assert_null(json_object_get(user, "sub"));
	json_decref(user);
	/* out keeps its own references. */
	assert_string_equal(json_string_value(json_object_get(out, "name")), "Jane Doe");
	json_decref(out);
}

static void
test_scope_has(void **state)
{
	(void)state;
	assert_true(claims_scope_has("openid profile", "openid"));
	assert_true(claims_scope_has("openid profile", "profile"));
	assert_false(claims_scope_has("openid profile", "open"));
	assert_false(claims_scope_has("openid profile", "Profile"));
	assert_false(claims_scope_has("openid profile", ""));
	assert_false(claims_scope_has(NULL, "openid"));
	assert_false(claims_scope_has("", "openid"));
}

static void
test_request_member(void **state)
{
	json_t *m;

	(void)state;
	assert_null(claims_request_member(NULL, "id_token"));
	assert_null(claims_request_member("not json", "id_token"));
	assert_null(claims_request_member("{\"userinfo\":{}}", "id_token"));
	m = claims_request_member("{\"id_token\":{\"email\":null}}", "id_token");
	assert_true(json_is_object(m));
	assert_non_null(json_object_get(m, "email"));
	json_decref(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_openid_alone_releases_nothing),
	        cmocka_unit_test(test_userinfo_text_equals_the_jansson_path),
	        cmocka_unit_test(test_userinfo_text_declines),
	        cmocka_unit_test(test_profile_releases_profile_claims_only),
	        cmocka_unit_test(test_email_releases_email_and_verified),
	        cmocka_unit_test(test_address_releases_the_address_object),
	        cmocka_unit_test(test_phone_releases_number_and_verified_false),
	        cmocka_unit_test(test_all_scopes_release_every_claim_the_user_has),
	        cmocka_unit_test(test_absent_and_null_claims_are_not_emitted),
	        cmocka_unit_test(test_unknown_members_and_sub_are_never_copied),
	        cmocka_unit_test(test_scope_values_match_whole_words_only),
	        cmocka_unit_test(test_null_scope_releases_nothing),
	        cmocka_unit_test(test_requested_claims_add_single_claims),
	        cmocka_unit_test(test_requested_claims_without_scope),
	        cmocka_unit_test(test_malformed_requests_release_nothing_extra),
	        cmocka_unit_test(test_user_claims_not_an_object_release_nothing),
	        cmocka_unit_test(test_result_is_independent_of_the_user_object),
	        cmocka_unit_test(test_scope_has),
	        cmocka_unit_test(test_request_member),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
