/*
 * server/logout_request_test.c — RP-Initiated Logout parameters: empty
 * means absent, unknown parameters are ignored, sizes are bounded;
 * post_logout_redirect_uri matches exactly or not at all; state is
 * appended byte for byte; front-channel URLs get iss and sid; the
 * audiences of a hint; the front-channel page escapes and its CSP frames
 * only the given origins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "server/form.h"
#include "server/logout_request.h"

static struct arena *a;

static int
setup(void **state)
{
	(void)state;
	a = arena_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(a);
	return 0;
}

static struct form
query(const char *q)
{
	struct form f;
	struct err err;

	assert_int_equal(form_parse(q, strlen(q), a, &f, &err), ST_OK);
	return f;
}

static void
test_parse_reads_every_parameter_and_ignores_unknown_ones(void **state)
{
	struct form f = query("id_token_hint=h.p.s&post_logout_redirect_uri=https%3A%2F%2Frp%2Fbye"
	                      "&state=a%26b&client_id=c1&logout_hint=alice&ui_locales=en&x=1");
	struct logout_request r;
	char why[160];

	(void)state;
	assert_int_equal(logout_request_parse(&f, &r, why, sizeof why), ST_OK);
	assert_string_equal(r.id_token_hint, "h.p.s");
	assert_string_equal(r.post_logout_redirect_uri, "https://rp/bye");
	assert_string_equal(r.state, "a&b");
	assert_string_equal(r.client_id, "c1");
	assert_string_equal(r.logout_hint, "alice");
	assert_string_equal(r.ui_locales, "en");
}

static void
test_parse_treats_empty_values_as_absent(void **state)
{
	struct form f = query("id_token_hint=&state=&post_logout_redirect_uri=");
	struct logout_request r;
	char why[160];

	(void)state;
	assert_int_equal(logout_request_parse(&f, &r, why, sizeof why), ST_OK);
	assert_null(r.id_token_hint);
	assert_null(r.state);
	assert_null(r.post_logout_redirect_uri);
	assert_null(r.client_id);
}

static void
test_parse_rejects_oversized_state_and_unprintable_client_id(void **state)
{
	char *q = arena_alloc(a, LOGOUT_MAX_STATE_BYTES + 16);
	struct logout_request r;
	struct form f;
	char why[160];

	(void)state;
	memcpy(q, "state=", 6);
	memset(q + 6, 'x', LOGOUT_MAX_STATE_BYTES + 1);
	q[6 + LOGOUT_MAX_STATE_BYTES + 1] = '\0';
	f = query(q);
	assert_int_equal(logout_request_parse(&f, &r, why, sizeof why), ST_INVALID);
	assert_string_equal(why, "state is longer than 2048 bytes");
	f = query("client_id=a%0Ab");
	assert_int_equal(logout_request_parse(&f, &r, why, sizeof why), ST_INVALID);
	assert_string_equal(why, "client_id is not printable ASCII");
}

static void
test_redirect_uri_must_match_exactly(void **state)
{
	json_t *doc = json_pack("{s:[ss]}", "post_logout_redirect_uris", "https://rp.example/bye",
	                        "http://127.0.0.1:5000/out?x=1");

	(void)state;
	assert_true(logout_redirect_uri_is_registered(doc, "https://rp.example/bye"));
	assert_true(logout_redirect_uri_is_registered(doc, "http://127.0.0.1:5000/out?x=1"));
	assert_false(logout_redirect_uri_is_registered(doc, "https://rp.example/bye?foo=bar"));
	assert_false(logout_redirect_uri_is_registered(doc, "https://rp.example/bye/"));
	assert_false(logout_redirect_uri_is_registered(doc, "HTTPS://rp.example/bye"));
	assert_false(logout_redirect_uri_is_registered(doc, NULL));
	json_decref(doc);
	doc = json_object(); /* no list registered: nothing matches */
	assert_false(logout_redirect_uri_is_registered(doc, "https://rp.example/bye"));
	json_decref(doc);
}

static void
test_redirect_url_appends_state_percent_encoded(void **state)
{
	struct form f;

	(void)state;
	assert_string_equal(logout_redirect_url(a, "https://rp/bye", NULL), "https://rp/bye");
	assert_string_equal(logout_redirect_url(a, "https://rp/bye?x=1", "a b&c#%"),
	                    "https://rp/bye?x=1&state=a%20b%26c%23%25");
	/* Decoded again, it is the same bytes. */
	f = query("state=%22%23%25%26%3C%3E%3F%2F%3D%7E");
	assert_string_equal(form_get(&f, "state"), "\"#%&<>?/=~");
}

static void
test_frontchannel_url_carries_iss_and_sid(void **state)
{
	(void)state;
	assert_string_equal(logout_frontchannel_url(a, "https://rp/fc?a=1", "https://op", "s-1"),
	                    "https://rp/fc?a=1&iss=https%3A%2F%2Fop&sid=s-1");
}

static void
test_hint_audiences_string_or_array_of_strings(void **state)
{
	json_t *c = json_pack("{s:s}", "aud", "c1");
	const char **auds;
	size_t n;

	(void)state;
	assert_int_equal(logout_hint_audiences(c, a, &auds, &n), ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(auds[0], "c1");
	json_decref(c);
	c = json_pack("{s:[ss]}", "aud", "c1", "c2");
	assert_int_equal(logout_hint_audiences(c, a, &auds, &n), ST_OK);
	assert_int_equal(n, 2);
	assert_string_equal(auds[1], "c2");
	json_decref(c);
	c = json_pack("{s:[si]}", "aud", "c1", 2);
	assert_int_equal(logout_hint_audiences(c, a, &auds, &n), ST_INVALID);
	json_decref(c);
	c = json_pack("{s:[]}", "aud");
	assert_int_equal(logout_hint_audiences(c, a, &auds, &n), ST_INVALID);
	json_decref(c);
	c = json_object();
	assert_int_equal(logout_hint_audiences(c, a, &auds, &n), ST_INVALID);
	json_decref(c);
}

static void
test_page_escapes_values_and_csp_frames_only_their_origins(void **state)
{
	const char *frames[] = {"https://rp.example/fc?iss=x&sid=\"><script>",
	                        "http://127.0.0.1:8080/fc"};
	const char *origins[] = {"https://rp.example/fc?iss=x", "http://127.0.0.1:8080/fc",
	                         "https://a;b.example/fc", "not a uri"};
	char *html = logout_page_html(a, "https://rp/bye?state='\"<", frames, 2, "n0nce");
	char *csp = logout_page_csp(a, origins, 4, "n0nce");

	(void)state;
	assert_null(strstr(html, "\"><script>"));
	assert_non_null(strstr(html, "&quot;&gt;&lt;script&gt;"));
	assert_non_null(strstr(html, "href=\"https://rp/bye?state=&#39;&quot;&lt;\""));
	assert_non_null(strstr(html, "<script nonce=\"n0nce\">"));
	assert_non_null(strstr(csp, "frame-ancestors 'none'"));
	assert_non_null(strstr(csp, "script-src 'nonce-n0nce'"));
	assert_non_null(strstr(csp, "; frame-src https://rp.example http://127.0.0.1:8080"));
	assert_null(strstr(csp, "a;b"));
	/* No front-channel client: no frame-src at all (default-src 'none' applies). */
	assert_null(strstr(logout_page_csp(a, frames, 0, "n"), "frame-src"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	        T(test_parse_reads_every_parameter_and_ignores_unknown_ones),
	        T(test_parse_treats_empty_values_as_absent),
	        T(test_parse_rejects_oversized_state_and_unprintable_client_id),
	        T(test_redirect_uri_must_match_exactly),
	        T(test_redirect_url_appends_state_percent_encoded),
	        T(test_frontchannel_url_carries_iss_and_sid),
	        T(test_hint_audiences_string_or_array_of_strings),
	        T(test_page_escapes_values_and_csp_frames_only_their_origins),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
