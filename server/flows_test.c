/*
 * server/flows_test.c — headless mode's admin bodies (flows_parse_body):
 * what Hydra's login app sends is accepted and normalised; a subject is
 * required (and must be the remembered one when skip was true); a consent
 * grants only requested scopes; sessions are objects; rejects carry an
 * OAuth error token; malformed JSON is refused with a reason. What the
 * app is shown of a stored request (flows_request_view).
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "server/flows.h"

static enum status
parse(const char *kind, const char *body, const char *skip, char **out, char why[160])
{
	json_t *requested = json_pack("[sss]", "openid", "email", "offline_access");
	enum status st = flows_parse_body(kind, body, strlen(body), requested, skip, out, why);

	json_decref(requested);
	return st;
}

static void
test_login_accept_is_normalised_with_defaults(void **state)
{
	char why[160], *out = NULL;

	(void)state;
	assert_int_equal(parse("login-accept", "{\"subject\":\"u-1\"}", NULL, &out, why), ST_OK);
	assert_string_equal(out, "{\"subject\":\"u-1\",\"extend_session_lifespan\":false,"
	                         "\"acr\":\"\",\"amr\":[],\"context\":{},"
	                         "\"remember\":false,\"remember_for\":0}");
	free(out);
	assert_int_equal(parse("login-accept",
	                       "{\"subject\":\"u-1\",\"remember\":true,\"remember_for\":60,"
	                       "\"acr\":\"2\",\"amr\":[\"pwd\",\"otp\"],\"context\":{\"x\":1},"
	                       "\"extend_session_lifespan\":true}",
	                       "u-1", &out, why),
	                 ST_OK);
	assert_non_null(strstr(out, "\"remember\":true,\"remember_for\":60"));
	assert_non_null(strstr(out, "\"amr\":[\"pwd\",\"otp\"]"));
	assert_non_null(strstr(out, "\"extend_session_lifespan\":true"));
	free(out);
}

static void
test_login_accept_extends_a_session_only_when_skipped(void **state)
{
	static const char body[] = "{\"subject\":\"u-1\",\"extend_session_lifespan\":true}";
	char why[160], *out = NULL;

	(void)state;
	/* Hydra: "only ... if the user has an authentication", i.e. skip true. */
	assert_int_equal(parse("login-accept", body, NULL, &out, why), ST_INVALID);
	assert_null(out);
	assert_non_null(strstr(why, "extend_session_lifespan"));
	assert_non_null(strstr(why, "skip"));
	assert_int_equal(parse("login-accept", body, "u-1", &out, why), ST_OK);
	assert_non_null(strstr(out, "\"extend_session_lifespan\":true"));
	free(out);
	/* false is fine either way */
	assert_int_equal(parse("login-accept",
	                       "{\"subject\":\"u-1\",\"extend_session_lifespan\":false}", NULL,
	                       &out, why),
	                 ST_OK);
	free(out);
}

static void
test_login_accept_keeps_a_forced_subject_and_drops_an_empty_one(void **state)
{
	char why[160], *out = NULL;

	(void)state;
	assert_int_equal(parse("login-accept",
	                       "{\"subject\":\"u-1\",\"force_subject_identifier\":\"pw-1\"}", NULL,
	                       &out, why),
	                 ST_OK);
	assert_non_null(strstr(out, "\"force_subject_identifier\":\"pw-1\""));
	free(out);
	/* "" is the SDK's zero value: no forced subject. */
	assert_int_equal(parse("login-accept",
	                       "{\"subject\":\"u-1\",\"force_subject_identifier\":\"\"}", NULL,
	                       &out, why),
	                 ST_OK);
	assert_null(strstr(out, "force_subject_identifier"));
	free(out);
}

static void
test_login_accept_refusals_name_the_field(void **state)
{
	static const struct {
		const char *body, *skip, *field;
	} bad[] = {
	        {"{}",	                                         NULL,  "subject"     },
	        {"{\"subject\":\"\"}",                                 NULL,  "subject"     },
	        {"{\"subject\":7}",	                            NULL,  "subject"     },
	        {"{\"subject\":\"a\\u0000b\"}",                        NULL,  "JSON object" },
	        {"{\"subject\":\"other\"}",                            "u-1", "subject"     },
	        {"{\"subject\":\"u\",\"remember\":\"yes\"}",           NULL,  "remember"    },
	        {"{\"subject\":\"u\",\"remember_for\":-5}",            NULL,  "remember_for"},
	        {"{\"subject\":\"u\",\"amr\":\"pwd\"}",                NULL,  "amr"         },
	        {"{\"subject\":\"u\",\"acr\":[1]}",                    NULL,  "acr"         },
	        {"{\"subject\":\"u\",\"context\":[]}",                 NULL,  "context"     },
	        {"{\"subject\":\"u\",\"extend_session_lifespan\":1}",  "u",
	         "extend_session_lifespan"	                                          },
	        {"{\"subject\":\"u\",\"force_subject_identifier\":5}", NULL,
	         "force_subject_identifier"	                                         },
	        {"[]",	                                         NULL,  "JSON object" },
	        {"{\"subject\":\"u\",\"subject\":\"v\"}",              NULL,  "JSON object" },
	};
	char why[160], *out = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(parse("login-accept", bad[i].body, bad[i].skip, &out, why),
		                 ST_INVALID);
		assert_null(out);
		assert_non_null(strstr(why, bad[i].field));
	}
}

static void
test_consent_accept_grants_only_requested_scopes(void **state)
{
	char why[160], *out = NULL;

	(void)state;
	assert_int_equal(parse("consent-accept",
	                       "{\"grant_scope\":[\"openid\",\"email\"],\"remember\":true,"
	                       "\"session\":{\"id_token\":{\"email\":\"a@b.c\"}}}",
	                       NULL, &out, why),
	                 ST_OK);
	assert_non_null(strstr(out, "\"grant_scope\":[\"openid\",\"email\"]"));
	assert_non_null(strstr(out, "\"session\":{\"id_token\":{\"email\":\"a@b.c\"}}"));
	free(out);
	assert_int_equal(parse("consent-accept", "{\"grant_scope\":[\"admin\"]}", NULL, &out, why),
	                 ST_INVALID);
	assert_non_null(strstr(why, "admin"));
	assert_int_equal(
	        parse("consent-accept", "{\"session\":{\"id_token\":[]}}", NULL, &out, why),
	        ST_INVALID);
	assert_int_equal(parse("consent-accept", "{\"session\":7}", NULL, &out, why), ST_INVALID);
	assert_int_equal(parse("consent-accept", "{}", NULL, &out, why), ST_OK);
	assert_non_null(strstr(out, "\"grant_scope\":[]"));
	free(out);
}

static void
test_reject_defaults_to_access_denied_and_needs_a_token(void **state)
{
	char why[160], *out = NULL;

	(void)state;
	assert_int_equal(parse("reject", "{}", NULL, &out, why), ST_OK);
	assert_string_equal(out, "{\"error\":\"access_denied\"}");
	free(out);
	assert_int_equal(parse("reject",
	                       "{\"error\":\"login_required\",\"error_description\":\"x\"}", NULL,
	                       &out, why),
	                 ST_OK);
	assert_string_equal(out, "{\"error\":\"login_required\",\"error_description\":\"x\"}");
	free(out);
	assert_int_equal(parse("reject", "{\"error\":\"Not A Token\"}", NULL, &out, why),
	                 ST_INVALID);
	assert_int_equal(parse("reject", "{\"error\":5}", NULL, &out, why), ST_INVALID);
}

static void
test_request_view_hides_internal_members_and_shows_the_challenge(void **state)
{
	json_t *request = json_pack("{s:s,s:s,s:I,s:s,s:s,s:b}", "encoded", "client_id=web",
	                            "client_id", "web", "auth_time", (json_int_t)5,
	                            "login_challenge", "L1", "subject", "alice", "skip", 0);
	json_t *login = flows_request_view(STORE_FLOW_LOGIN, request, "L1");
	json_t *consent = flows_request_view(STORE_FLOW_CONSENT, request, "C1");

	(void)state;
	for (int i = 0; i < 2; i++) {
		json_t *v = i == 0 ? login : consent;

		assert_null(json_object_get(v, "encoded"));
		assert_null(json_object_get(v, "client_id"));
		assert_null(json_object_get(v, "auth_time"));
		assert_string_equal(json_string_value(json_object_get(v, "subject")), "alice");
	}
	/* A login request's own challenge is its "challenge"; a consent names the login's. */
	assert_null(json_object_get(login, "login_challenge"));
	assert_string_equal(json_string_value(json_object_get(login, "challenge")), "L1");
	assert_string_equal(json_string_value(json_object_get(consent, "login_challenge")), "L1");
	assert_string_equal(json_string_value(json_object_get(consent, "challenge")), "C1");
	/* The stored request is left as it was. */
	assert_non_null(json_object_get(request, "encoded"));
	json_decref(login);
	json_decref(consent);
	json_decref(request);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_login_accept_is_normalised_with_defaults),
	        cmocka_unit_test(test_login_accept_refusals_name_the_field),
	        cmocka_unit_test(test_login_accept_extends_a_session_only_when_skipped),
	        cmocka_unit_test(test_login_accept_keeps_a_forced_subject_and_drops_an_empty_one),
	        cmocka_unit_test(test_consent_accept_grants_only_requested_scopes),
	        cmocka_unit_test(test_reject_defaults_to_access_denied_and_needs_a_token),
	        cmocka_unit_test(test_request_view_hides_internal_members_and_shows_the_challenge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
