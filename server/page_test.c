/*
 * server/page_test.c — the built-in pages: form contracts, escaping of every
 * variable, unsafe URLs kept out, scope list, CSP, template errors and
 * overrides, and the CSRF token round trip across secret rotation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server/page.h"

static const char *
csp_of(const struct response *res)
{
	size_t i;

	for (i = 0; i < res->nheaders; i++)
		if (strcmp(res->headers[i].name, "Content-Security-Policy") == 0)
			return res->headers[i].value;
	return NULL;
}

/* Renders with the built-in templates and returns the body (NUL-terminated, arena). */
static const char *
render(struct arena *a, enum page_kind kind, const struct page_vars *v, struct response *res)
{
	struct err err;

	response_init(res);
	assert_int_equal(page_render(res, a, NULL, kind, v, 200, &err), ST_OK);
	assert_int_equal(strlen(res->body), res->body_len);
	return res->body;
}

static void
test_login_page_has_the_form_contract(void **state)
{
	struct arena *a = arena_new();
	struct page_vars v = {.action = "/ui/login?c=1", .csrf = "TOKEN", .login_hint = "alice"};
	struct response res;
	const char *body = render(a, PAGE_LOGIN, &v, &res);

	(void)state;
	assert_int_equal(res.status, 200);
	assert_string_equal(res.content_type, "text/html; charset=utf-8");
	assert_int_equal(res.cache_max_age_secs, -1);
	assert_non_null(strstr(body, "<html lang=\"en\">"));
	assert_non_null(strstr(body, "<h1>"));
	assert_non_null(strstr(body, "<form method=\"post\" action=\"&#x2F;ui&#x2F;login?c=1\">"));
	assert_non_null(strstr(body, "<input type=\"hidden\" name=\"csrf\" value=\"TOKEN\">"));
	assert_non_null(strstr(body, "<label for=\"username\">"));
	assert_non_null(strstr(body, "id=\"username\" name=\"username\""));
	assert_non_null(strstr(body, "autocomplete=\"username\""));
	assert_non_null(strstr(body, "value=\"alice\""));
	assert_non_null(strstr(body, "<label for=\"password\">"));
	assert_non_null(strstr(body, "id=\"password\" name=\"password\" type=\"password\" "
	                             "autocomplete=\"current-password\""));
	assert_non_null(strstr(body, "role=\"alert\""));
	assert_non_null(strstr(body, "<button type=\"submit\">"));
	assert_null(strstr(strstr(body, "<button") + 1, "<button")); /* exactly one button */
	assert_null(strstr(body, "<script"));
	assert_null(strstr(body, "{{"));
	arena_free(a);
}

static void
test_every_variable_is_html_escaped(void **state)
{
	static const char xss[] = "\"><script>alert('x')</script>&";
	static const char escaped[] = "&quot;&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2F;"
	                              "script&gt;&amp;";
	struct arena *a = arena_new();
	struct page_vars v = {
	        .action = xss,
	        .csrf = xss,
	        .error = xss,
	        .login_hint = xss,
	        .user_name = xss,
	        .client_name = xss,
	        .scope = "openid <b>x</b>",
	        .title = xss,
	        .description = xss,
	};
	struct response res;
	const char *body;
	int k;

	(void)state;
	for (k = 0; k < PAGE_KIND_COUNT; k++) {
		body = render(a, (enum page_kind)k, &v, &res);
		assert_null(strstr(body, "<script"));
		assert_null(strstr(body, "<b>"));
		assert_null(strstr(body, "'x'"));
		if (k != PAGE_SIGNED_OUT)
			assert_non_null(strstr(body, escaped));
	}
	body = render(a, PAGE_CONSENT, &v, &res);
	assert_non_null(strstr(body, "<li>&lt;b&gt;x&lt;&#x2F;b&gt;</li>"));
	arena_free(a);
}

static void
test_logo_uri_is_shown_only_when_safe(void **state)
{
	static const struct {
		const char *uri;
		bool is_shown;
	} cases[] = {
	        {"https://rp.example/logo.png",              true },
	        {"http://127.0.0.1:8080/logo.png",           true },
	        {"http://localhost/logo.png",                true },
	        {"data:image/png;base64,iVBORw0KGgo=",       true },
	        {"javascript:alert(1)",                      false},
	        {"JavaScript:alert(1)",                      false},
	        {"http://rp.example/logo.png",               false},
	        {"data:image/svg+xml;base64,PHN2Zz4=",       false},
	        {"data:text/html;base64,PHNjcmlwdD4=",       false},
	        {"data:image/png;base64,<x>",                false},
	        {"https://rp.example/\" onerror=\"alert(1)", false},
	        {" https://rp.example/logo.png",             false},
	        {"//rp.example/logo.png",                    false},
	        {"",	                                 false},
	};
	struct arena *a = arena_new();
	struct response res;
	const char *body;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct page_vars v = {.client_name = "RP", .logo_uri = cases[i].uri};

		body = render(a, PAGE_CONSENT, &v, &res);
		if (cases[i].is_shown) {
			assert_non_null(strstr(body, "<img class=\"logo\" src=\""));
			assert_non_null(strstr(body, "alt=\"RP logo\""));
		} else {
			assert_null(strstr(body, "<img"));
		}
		assert_null(strstr(body, "javascript:"));
		assert_null(strstr(body, "onerror=\""));
	}
	arena_free(a);
}

static void
test_links_are_shown_only_for_http_or_https(void **state)
{
	struct arena *a = arena_new();
	struct page_vars v = {
	        .client_name = "RP",
	        .client_uri = "https://rp.example/",
	        .policy_uri = "javascript:alert(1)",
	        .tos_uri = "http://rp.example/tos",
	};
	struct response res;
	const char *body = render(a, PAGE_CONSENT, &v, &res);

	(void)state;
	assert_non_null(strstr(body, "<a href=\"https:&#x2F;&#x2F;rp.example&#x2F;\" "
	                             "rel=\"noopener noreferrer\">About RP</a>"));
	assert_non_null(strstr(body, "href=\"http:&#x2F;&#x2F;rp.example&#x2F;tos\""));
	assert_null(strstr(body, "Privacy policy"));
	assert_null(strstr(body, "javascript"));
	arena_free(a);
}

static void
test_consent_lists_scopes_in_plain_words(void **state)
{
	struct arena *a = arena_new();
	struct page_vars v = {
	        .client_id = "client-1",
	        .scope = "openid  profile email address phone offline_access offline x.custom",
	        .csrf = "T",
	};
	struct response res;
	const char *body = render(a, PAGE_CONSENT, &v, &res);
	const char *p;
	int n = 0;

	(void)state;
	assert_non_null(strstr(body, "<li>Sign you in</li>"));
	assert_non_null(strstr(body, "<li>Your name and profile details</li>"));
	assert_non_null(strstr(body, "<li>Your email address</li>"));
	assert_non_null(strstr(body, "<li>Your postal address</li>"));
	assert_non_null(strstr(body, "<li>Your phone number</li>"));
	assert_non_null(strstr(body, "<li>x.custom</li>"));
	for (p = body; (p = strstr(p, "Stay signed in (refresh tokens)")) != NULL; p++)
		n++;
	assert_int_equal(n, 1); /* offline and offline_access say the same thing once */
	/* No client_name: the client_id stands in. */
	assert_non_null(strstr(body, "Allow client-1 to access your account?"));
	assert_non_null(strstr(body, "<button type=\"submit\" name=\"consent\" value=\"allow\">"));
	assert_non_null(strstr(body, "name=\"consent\" value=\"deny\""));
	assert_non_null(strstr(body, "<input type=\"hidden\" name=\"csrf\" value=\"T\">"));
	assert_string_equal(page_scope_description("unknown_scope"), "unknown_scope");
	arena_free(a);
}

static void
test_logout_error_and_signed_out_pages_render(void **state)
{
	struct arena *a = arena_new();
	struct page_vars v = {
	        .title = "Unknown client", .description = "No such client_id.", .csrf = "T"};
	struct response res;
	struct err err;
	const char *body;

	(void)state;
	body = render(a, PAGE_LOGOUT, &v, &res);
	assert_non_null(strstr(body, "<button type=\"submit\" name=\"logout\" value=\"yes\">"));
	assert_non_null(strstr(body, "name=\"csrf\" value=\"T\""));
	body = render(a, PAGE_ERROR, &v, &res);
	assert_non_null(strstr(body, "<h1>Unknown client</h1>"));
	assert_non_null(strstr(body, "No such client_id."));
	assert_null(strstr(body, "<form"));
	assert_null(strstr(body, "http-equiv")); /* never a redirect */
	body = render(a, PAGE_SIGNED_OUT, NULL, &res);
	assert_non_null(strstr(body, "<h1>"));
	response_init(&res);
	assert_int_equal(page_render(&res, a, NULL, (enum page_kind)400, &v, 200, &err),
	                 ST_INVALID);
	arena_free(a);
}

static void
test_csp_header_is_strict_and_adds_the_form_action_origin(void **state)
{
	struct arena *a = arena_new();
	struct page_vars v = {.form_action = "https://RP.example:8443/cb?x=1"};
	struct response res;
	struct err err;
	char *csp;

	(void)state;
	render(a, PAGE_LOGIN, NULL, &res);
	assert_string_equal(csp_of(&res), "default-src 'none'; style-src 'self'; img-src 'self' "
	                                  "https: data:; form-action 'self'; frame-ancestors "
	                                  "'none'; base-uri 'none'");
	render(a, PAGE_CONSENT, &v, &res);
	assert_non_null(strstr(csp_of(&res), "form-action 'self' https://rp.example:8443;"));
	assert_int_equal(page_csp(a, "com.example.app:/oauth2redirect", &csp, &err), ST_OK);
	assert_non_null(strstr(csp, "form-action 'self' com.example.app:;"));
	assert_int_equal(page_csp(a, "javascript:alert(1)", &csp, &err), ST_INVALID);
	assert_int_equal(page_csp(a, "data:text/html,x", &csp, &err), ST_INVALID);
	assert_int_equal(page_csp(a, "https://a;script-src/", &csp, &err), ST_INVALID);
	assert_int_equal(page_csp(a, "not a uri", &csp, &err), ST_INVALID);
	response_init(&res);
	v.form_action = "javascript:x";
	assert_int_equal(page_render(&res, a, NULL, PAGE_LOGIN, &v, 200, &err), ST_INVALID);
	arena_free(a);
}

/* A temporary templates directory holding one file. */
static char *
dir_with(const char *name, const char *text)
{
	char tmpl[] = "/tmp/oidcd_page_test.XXXXXX";
	char path[256];
	char *dir;
	FILE *f;

	dir = mkdtemp(tmpl);
	assert_non_null(dir);
	dir = strdup(dir);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return dir;
}

static void
remove_dir(char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static enum status
load_one(const char *name, const char *text, struct err *err)
{
	struct page_templates *t = NULL;
	char *dir = dir_with(name, text);
	enum status st = page_templates_load(dir, &t, err);

	page_templates_free(t);
	remove_dir(dir, name);
	return st;
}

static void
test_template_errors_are_refused_at_load(void **state)
{
	struct err err;

	(void)state;
	assert_int_equal(load_one("login.html", "<p>\n{{nosuch}}</p>", &err), ST_INVALID);
	assert_string_equal(err.msg, "login.html:2: unknown placeholder {{nosuch}}");
	assert_int_equal(load_one("consent.html", "{{csrf", &err), ST_INVALID);
	assert_non_null(strstr(err.msg, "without"));
	assert_int_equal(load_one("error.html", "{{#scopes}}x", &err), ST_INVALID);
	assert_non_null(strstr(err.msg, "never closed"));
	assert_int_equal(load_one("error.html", "x{{/scopes}}", &err), ST_INVALID);
	assert_int_equal(load_one("error.html", "{{#scopes}}{{/title}}", &err), ST_INVALID);
	assert_int_equal(load_one("error.html", "{{#scopes}}{{#title}}{{/title}}{{/scopes}}", &err),
	                 ST_INVALID);
	assert_non_null(strstr(err.msg, "nest"));
	assert_int_equal(load_one("error.html", "{{scope}}", &err), ST_INVALID);
	assert_int_equal(load_one("error.html", "{{scopes}}", &err), ST_INVALID);
	assert_int_equal(load_one("error.html", "{{ title }}", &err), ST_INVALID);
	assert_int_equal(load_one("error.html", "{{{title}}}", &err), ST_INVALID);
	assert_int_equal(load_one("error.html", "{{#scopes}}{{scope}}{{/scopes}}", &err), ST_OK);
}

static void
test_templates_dir_overrides_by_file_name(void **state)
{
	struct arena *a = arena_new();
	struct page_templates *t = NULL;
	char *dir = dir_with("login.html", "<p>{{csrf}}</p>{{#error}}<b>{{error}}</b>{{/error}}");
	struct page_vars v = {.csrf = "<T>"};
	struct response res;
	struct err err;
	size_t len;

	(void)state;
	assert_int_equal(page_templates_load(dir, &t, &err), ST_OK);
	response_init(&res);
	assert_int_equal(page_render(&res, a, t, PAGE_LOGIN, &v, 401, &err), ST_OK);
	assert_int_equal(res.status, 401);
	assert_string_equal(res.body, "<p>&lt;T&gt;</p>");
	v.error = "Wrong";
	assert_int_equal(page_render(&res, a, t, PAGE_LOGIN, &v, 401, &err), ST_OK);
	assert_string_equal(res.body, "<p>&lt;T&gt;</p><b>Wrong</b>");
	/* The other pages and the stylesheet stay built in. */
	assert_int_equal(page_render(&res, a, t, PAGE_CONSENT, &v, 200, &err), ST_OK);
	assert_non_null(strstr(res.body, "value=\"allow\""));
	assert_non_null(strstr(page_stylesheet(t, &len), "body"));
	assert_int_equal(len, strlen(page_stylesheet(NULL, &len)));
	page_templates_free(t);
	remove_dir(dir, "login.html");
	arena_free(a);
}

static void
test_builtin_templates_load_without_a_dir(void **state)
{
	struct page_templates *t = NULL;
	struct err err;

	(void)state;
	assert_int_equal(page_templates_load(NULL, &t, &err), ST_OK);
	page_templates_free(t);
	page_templates_free(NULL);
	assert_int_equal(page_templates_load("/nonexistent-oidcd-dir", &t, &err), ST_OK);
	page_templates_free(t);
}

static char secret_a[] = "0123456789abcdef-secret-A";
static char secret_b[] = "0123456789abcdef-secret-B";

static void
test_csrf_token_round_trips(void **state)
{
	char *keys[] = {secret_a};
	struct config cfg = {.secrets_system = keys, .secrets_system_count = 1};
	struct arena *a = arena_new();
	char *binding, *other, *token;
	struct err err;

	(void)state;
	assert_int_equal(page_csrf_binding_new(a, &binding, &err), ST_OK);
	assert_int_equal(strlen(binding), 43);
	assert_int_equal(page_csrf_token(&cfg, binding, "login", a, &token, &err), ST_OK);
	assert_int_equal(strlen(token), 43);
	assert_true(page_csrf_check(&cfg, binding, "login", token));
	/* Another purpose, another browser, a changed token: refused. */
	assert_false(page_csrf_check(&cfg, binding, "consent", token));
	assert_int_equal(page_csrf_binding_new(a, &other, &err), ST_OK);
	assert_false(page_csrf_check(&cfg, other, "login", token));
	token[0] = token[0] == 'A' ? 'B' : 'A';
	assert_false(page_csrf_check(&cfg, binding, "login", token));
	assert_false(page_csrf_check(&cfg, binding, "login", ""));
	assert_false(page_csrf_check(&cfg, binding, "login", NULL));
	assert_false(page_csrf_check(&cfg, NULL, "login", token));
	assert_false(page_csrf_check(&cfg, "", "login", token));
	assert_int_equal(page_csrf_token(&cfg, "", "login", a, &token, &err), ST_INVALID);
	assert_int_equal(page_csrf_token(&cfg, "a|b", "login", a, &token, &err), ST_INVALID);
	assert_string_equal(page_csrf_cookie_name(true), "__Host-oidcd_csrf");
	assert_string_equal(page_csrf_cookie_name(false), "oidcd_csrf");
	arena_free(a);
}

static void
test_csrf_token_survives_secret_rotation(void **state)
{
	char *old_keys[] = {secret_a};
	char *rotated[] = {secret_b, secret_a};
	char *dropped[] = {secret_b};
	struct config cfg = {.secrets_system = old_keys, .secrets_system_count = 1};
	struct arena *a = arena_new();
	char *token, *fresh;
	struct err err;

	(void)state;
	assert_int_equal(page_csrf_token(&cfg, "browser", "consent|42", a, &token, &err), ST_OK);
	cfg.secrets_system = rotated;
	cfg.secrets_system_count = 2;
	assert_true(page_csrf_check(&cfg, "browser", "consent|42", token));
	assert_int_equal(page_csrf_token(&cfg, "browser", "consent|42", a, &fresh, &err), ST_OK);
	assert_string_not_equal(fresh, token); /* new tokens use the new active secret */
	cfg.secrets_system = dropped;
	cfg.secrets_system_count = 1;
	assert_false(page_csrf_check(&cfg, "browser", "consent|42", token));
	assert_true(page_csrf_check(&cfg, "browser", "consent|42", fresh));
	cfg.secrets_system_count = 0;
	assert_int_equal(page_csrf_token(&cfg, "browser", "x", a, &token, &err), ST_INVALID);
	assert_false(page_csrf_check(&cfg, "browser", "consent|42", fresh));
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_login_page_has_the_form_contract),
	        cmocka_unit_test(test_every_variable_is_html_escaped),
	        cmocka_unit_test(test_logo_uri_is_shown_only_when_safe),
	        cmocka_unit_test(test_links_are_shown_only_for_http_or_https),
	        cmocka_unit_test(test_consent_lists_scopes_in_plain_words),
	        cmocka_unit_test(test_logout_error_and_signed_out_pages_render),
	        cmocka_unit_test(test_csp_header_is_strict_and_adds_the_form_action_origin),
	        cmocka_unit_test(test_template_errors_are_refused_at_load),
	        cmocka_unit_test(test_templates_dir_overrides_by_file_name),
	        cmocka_unit_test(test_builtin_templates_load_without_a_dir),
	        cmocka_unit_test(test_csrf_token_round_trips),
	        cmocka_unit_test(test_csrf_token_survives_secret_rotation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
