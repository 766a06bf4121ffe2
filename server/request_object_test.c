/*
 * server/request_object_test.c — the pure half of OIDC Core §6: unsigned
 * JWTs (alg "none" only, nothing after the second dot), the merge of a
 * request object's claims over the query (§6.3.3: the object wins, query
 * parameters it lacks are kept, request/request_uri and JWT claims are not
 * parameters, non-strings become JSON text) and its checks (client_id and
 * response_type as in the query, iss, aud, exp, nbf).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "crypto/b64url.h"
#include "server/form.h"
#include "server/request_object.h"

#define NOW    1700000000
#define ISSUER "https://op.example"

static struct arena *arena;

static int
setup(void **state)
{
	(void)state;
	arena = arena_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(arena);
	return 0;
}

static struct form
query(const char *s)
{
	struct form f;

	assert_int_equal(form_parse(s, strlen(s), arena, &f, NULL), ST_OK);
	return f;
}

static const char *
jwt_none(const char *header, const char *payload)
{
	return arena_printf(arena, "%s.%s.", b64url_encode_arena(arena, header, strlen(header)),
	                    b64url_encode_arena(arena, payload, strlen(payload)));
}

static enum status
merge(const struct form *q, const char *payload, struct form *out, struct err *err)
{
	return request_object_merge(q, payload, strlen(payload), "rp1", ISSUER, NOW, arena, out,
	                            err);
}

static void
test_unsigned_payload_needs_alg_none_and_an_empty_signature(void **state)
{
	const char *payload;
	size_t len;
	struct err err;

	(void)state;
	assert_int_equal(
	        request_object_unsigned_payload(jwt_none("{\"alg\":\"none\"}", "{\"a\":1}"), arena,
	                                        &payload, &len, &err),
	        ST_OK);
	assert_string_equal(payload, "{\"a\":1}");
	assert_int_equal(len, 7);
	/* A signature after the second dot, another alg, crit, no alg, garbage. */
	assert_int_equal(
	        request_object_unsigned_payload(
	                arena_printf(arena, "%sAAAA", jwt_none("{\"alg\":\"none\"}", "{}")), arena,
	                &payload, &len, &err),
	        ST_INVALID);
	assert_int_equal(request_object_unsigned_payload(jwt_none("{\"alg\":\"RS256\"}", "{}"),
	                                                 arena, &payload, &len, &err),
	                 ST_INVALID);
	assert_int_equal(request_object_unsigned_payload(
	                         jwt_none("{\"alg\":\"none\",\"crit\":[\"x\"]}", "{}"), arena,
	                         &payload, &len, &err),
	                 ST_INVALID);
	assert_int_equal(
	        request_object_unsigned_payload(jwt_none("{}", "{}"), arena, &payload, &len, &err),
	        ST_INVALID);
	assert_int_equal(request_object_unsigned_payload("e30", arena, &payload, &len, &err),
	                 ST_INVALID);
	assert_int_equal(request_object_unsigned_payload("!!.!!.", arena, &payload, &len, &err),
	                 ST_INVALID);
}

static void
test_merge_takes_the_object_over_the_query_and_keeps_the_rest(void **state)
{
	struct form q = query("client_id=rp1&response_type=code&state=outer&prompt=login"
	                      "&request=x&redirect_uri=https%3A%2F%2Fbad.example");
	struct form out;
	struct err err;

	(void)state;
	assert_int_equal(merge(&q,
	                       "{\"client_id\":\"rp1\",\"state\":\"inner\",\"max_age\":0,"
	                       "\"redirect_uri\":\"https://rp.example/cb\",\"iss\":\"rp1\","
	                       "\"aud\":\"" ISSUER "\",\"exp\":1700000600,"
	                       "\"claims\":{\"userinfo\":{\"name\":null}},\"nonce\":null}",
	                       &out, &err),
	                 ST_OK);
	assert_string_equal(form_get(&out, "state"), "inner");
	assert_string_equal(form_get(&out, "redirect_uri"), "https://rp.example/cb");
	assert_string_equal(form_get(&out, "max_age"), "0");
	assert_string_equal(form_get(&out, "claims"), "{\"userinfo\":{\"name\":null}}");
	assert_string_equal(form_get(&out, "prompt"), "login");
	assert_string_equal(form_get(&out, "response_type"), "code");
	assert_string_equal(form_get(&out, "client_id"), "rp1");
	assert_null(form_get(&out, "request"));
	assert_null(form_get(&out, "iss"));
	assert_null(form_get(&out, "aud"));
	assert_null(form_get(&out, "exp"));
	assert_null(form_get(&out, "nonce"));
	assert_int_equal(out.count, 7);
}

static void
test_merge_refuses_what_contradicts_the_query_or_is_not_for_us(void **state)
{
	static const char *const bad[] = {
	        "[]",
	        "{\"client_id\":\"rp2\"}",
	        "{\"client_id\":1}",
	        "{\"response_type\":\"token\"}",
	        "{\"iss\":\"rp2\"}",
	        "{\"aud\":\"https://other.example\"}",
	        "{\"aud\":[\"https://other.example\"]}",
	        "{\"exp\":1699990000}",
	        "{\"exp\":\"soon\"}",
	        "{\"nbf\":1700009999}",
	        "{\"state\":\"a\",\"state\":\"b\"}",
	        "{\"scope\":\"open\\u0000id\"}",
	        "{\"\":\"x\"}",
	        "not json",
	};
	struct form q = query("client_id=rp1&response_type=code");
	struct form out;
	struct err err;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(merge(&q, bad[i], &out, &err), ST_INVALID);
	/* aud as a list naming us, exp within the skew: accepted. */
	assert_int_equal(
	        merge(&q, "{\"aud\":[\"x\",\"" ISSUER "\"],\"exp\":1699999990}", &out, &err),
	        ST_OK);
}

static void
test_present_and_strip(void **state)
{
	struct form q = query("a=1&request_uri=&b=2&request=x");
	struct form plain = query("a=1&b=2");
	struct form out;

	(void)state;
	assert_true(request_object_present(&q));
	assert_false(request_object_present(&plain));
	request_object_strip(&q, arena, &out);
	assert_int_equal(out.count, 2);
	assert_string_equal(out.params[0].name, "a");
	assert_string_equal(out.params[1].name, "b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_unsigned_payload_needs_alg_none_and_an_empty_signature, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_merge_takes_the_object_over_the_query_and_keeps_the_rest, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_merge_refuses_what_contradicts_the_query_or_is_not_for_us, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_present_and_strip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
