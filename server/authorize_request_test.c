/*
 * server/authorize_request_test.c — authorization request parsing and
 * checking (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636, RFC 8252 §7.3),
 * and the redirect / form post encodings. Error cases are tables: each row
 * is a query string and the refusal it must get.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server/authorize_request.h"

#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" /* RFC 7636 App. B */
#define BASE                                                                                       \
	"client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid"

static const char web_doc[] =
        "{\"redirect_uris\": [\"https://rp.example/cb\", \"https://rp.example/q?x=1\","
        " \"http://127.0.0.1/web\"],"
        " \"response_types\": [\"code\"], \"grant_types\": [\"authorization_code\"],"
        " \"scope\": \"openid profile email offline_access\","
        " \"token_endpoint_auth_method\": \"client_secret_basic\", \"application_type\": \"web\"}";

static const char native_doc[] =
        "{\"redirect_uris\": [\"http://127.0.0.1/callback\", \"http://[::1]/cb\","
        " \"http://127.0.0.1:9000/fixed?a=b\", \"com.example.app:/cb\"],"
        " \"response_types\": [\"code\"], \"grant_types\": [\"authorization_code\"],"
        " \"scope\": \"openid profile\", \"token_endpoint_auth_method\": \"none\","
        " \"application_type\": \"native\"}";

static json_t *
load(const char *text)
{
	json_t *doc = json_loads(text, 0, NULL);

	assert_non_null(doc);
	return doc;
}

/* form_parse then authorize_request_parse, as the handler does. */
static enum status
parse(const char *query, struct arena *a, struct authorize_request *r, struct authorize_error *e)
{
	struct form f;
	struct err err;

	assert_int_equal(form_parse(query, strlen(query), a, &f, &err), ST_OK);
	memset(e, 0, sizeof *e);
	return authorize_request_parse(&f, a, r, e);
}

static void
assert_safe_description(const struct authorize_error *e)
{
	const char *p;

	assert_true(e->description[0] != '\0');
	for (p = e->description; *p != '\0'; p++) {
		assert_true(*p >= 0x20 && *p <= 0x7e);
		assert_true(*p != '"' && *p != '\\');
	}
}

static void
test_parse_accepts_code_flow_with_pkce(void **state)
{
	struct arena *a = arena_new();
	struct authorize_request r;
	struct authorize_error e;

	(void)state;
	assert_int_equal(parse(BASE "+profile&state=xyz&nonce=n-0S6&code_challenge=" CHALLENGE
	                            "&code_challenge_method=S256&prompt=login+consent&max_age=3600"
	                            "&login_hint=alice&display=popup&ui_locales=fr+en"
	                            "&claims_locales=de&acr_values=urn%3Aacr%3A1"
	                            "&id_token_hint=a.b.c&unknown=ignored"
	                            "&claims=%7B%22userinfo%22%3A%7B%22email%22%3Anull%7D%7D",
	                       a, &r, &e),
	                 ST_OK);
	assert_int_equal(r.response_types, AUTHORIZE_RT_CODE);
	assert_string_equal(r.response_type, "code");
	assert_string_equal(r.client_id, "rp");
	assert_string_equal(r.redirect_uri, "https://rp.example/cb");
	assert_string_equal(r.scope, "openid profile");
	assert_int_equal(r.scopes_count, 2);
	assert_string_equal(r.scopes[0], "openid");
	assert_string_equal(r.scopes[1], "profile");
	assert_string_equal(r.state, "xyz");
	assert_string_equal(r.nonce, "n-0S6");
	assert_int_equal(r.response_mode, AUTHORIZE_MODE_QUERY);
	assert_string_equal(r.code_challenge, CHALLENGE);
	assert_string_equal(r.code_challenge_method, "S256");
	assert_int_equal(r.prompt, AUTHORIZE_PROMPT_LOGIN | AUTHORIZE_PROMPT_CONSENT);
	assert_int_equal(r.max_age_secs, 3600);
	assert_string_equal(r.login_hint, "alice");
	assert_string_equal(r.display, "popup");
	assert_string_equal(r.ui_locales, "fr en");
	assert_string_equal(r.claims_locales, "de");
	assert_string_equal(r.acr_values, "urn:acr:1");
	assert_string_equal(r.id_token_hint, "a.b.c");
	assert_string_equal(r.claims, "{\"userinfo\":{\"email\":null}}");
	assert_false(r.is_redirect_uri_loopback_flex);
	arena_free(a);
}

static void
test_parse_treats_empty_values_as_absent(void **state)
{
	struct arena *a = arena_new();
	struct authorize_request r;
	struct authorize_error e;

	(void)state;
	assert_int_equal(parse(BASE
	                       "&state=&nonce=&prompt=&max_age=&code_challenge="
	                       "&code_challenge_method=&display=&claims=&request=&request_uri=",
	                       a, &r, &e),
	                 ST_OK);
	assert_null(r.state);
	assert_null(r.nonce);
	assert_int_equal(r.prompt, 0);
	assert_int_equal(r.max_age_secs, -1);
	assert_null(r.code_challenge);
	assert_null(r.display);
	assert_null(r.claims);
	arena_free(a);
}

struct parse_case {
	const char *query;
	enum oauth_error error;
	bool must_not_redirect;
	enum authorize_response_mode mode; /* where a redirectable error goes */
};

static const struct parse_case parse_cases[] = {
  /* RFC 6749 §4.1.2.1: client_id and redirect_uri faults are never redirected. */
        {"redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid",
         OAUTH_INVALID_REQUEST,                                                                                                true,  0                       },
        {"client_id=&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code",
         OAUTH_INVALID_REQUEST,                                                                                                true,  0                       },
        {"client_id=r%01p&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code",
         OAUTH_INVALID_REQUEST,                                                                                                true,  0                       },
        {"client_id=rp&response_type=code&scope=openid",                                      OAUTH_INVALID_REQUEST,           true,  0                       },
        {"client_id=rp&redirect_uri=%2Fcb&response_type=code",                                OAUTH_INVALID_REQUEST,           true,  0                       },
        {"client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb+x&response_type=code",
         OAUTH_INVALID_REQUEST,                                                                                                true,  0                       },
        {"client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb%23f&response_type=code",
         OAUTH_INVALID_REQUEST,                                                                                                true,  0                       },
 /* a client_id fault wins over everything else */
        {"request=x&redirect_uri=https%3A%2F%2Frp.example%2Fcb",                              OAUTH_INVALID_REQUEST,           true,  0                       },
 /* RFC 6749 §4.1.2.1, oidcc-response-type-missing */
        {"client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&scope=openid",
         OAUTH_INVALID_REQUEST,                                                                                                false, AUTHORIZE_MODE_QUERY    },
        {"client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_mode=form_post",
         OAUTH_INVALID_REQUEST,                                                                                                false, AUTHORIZE_MODE_FORM_POST},
        {BASE "&response_type=foo",                                                           OAUTH_INVALID_REQUEST,           true,  0                       }, /* repeated: see below */
        {"client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=token+foo",
         OAUTH_UNSUPPORTED_RESPONSE_TYPE,                                                                                      false, AUTHORIZE_MODE_QUERY    },
        {"client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code+code",
         OAUTH_UNSUPPORTED_RESPONSE_TYPE,                                                                                      false, AUTHORIZE_MODE_QUERY    },
        {"client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=CODE",
         OAUTH_UNSUPPORTED_RESPONSE_TYPE,                                                                                      false, AUTHORIZE_MODE_QUERY    },
        {BASE "&response_mode=jwt",                                                           OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
 /* Multiple Response Types §5: no tokens in the query; the error goes by fragment */
        {"client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=id_token"
         "&response_mode=query",                                                     OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_FRAGMENT },
 /* OIDC Core §6 */
        {BASE "&request=eyJhbGciOiJub25lIn0.e30.",                                            OAUTH_REQUEST_NOT_SUPPORTED,     false,
         AUTHORIZE_MODE_QUERY                                                                                                                                 },
        {BASE "&request_uri=https%3A%2F%2Frp.example%2Fr",                                    OAUTH_REQUEST_URI_NOT_SUPPORTED, false,
         AUTHORIZE_MODE_QUERY                                                                                                                                 },
 /* RFC 6749 §3.3 */
        {BASE "+%22x%22",                                                                     OAUTH_INVALID_SCOPE,             false, AUTHORIZE_MODE_QUERY    },
        {BASE "%09email",                                                                     OAUTH_INVALID_SCOPE,             false, AUTHORIZE_MODE_QUERY    },
        {BASE "+caf%C3%A9",                                                                   OAUTH_INVALID_SCOPE,             false, AUTHORIZE_MODE_QUERY    },
 /* RFC 7636 §4.2, §4.3: S256 only */
        {BASE "&code_challenge=" CHALLENGE "&code_challenge_method=plain",                    OAUTH_INVALID_REQUEST,
         false,                                                                                                                       AUTHORIZE_MODE_QUERY    },
        {BASE "&code_challenge=" CHALLENGE,                                                   OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&code_challenge=" CHALLENGE "&code_challenge_method=s256",                     OAUTH_INVALID_REQUEST,
         false,                                                                                                                       AUTHORIZE_MODE_QUERY    },
        {BASE "&code_challenge_method=S256",                                                  OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c"
              "&code_challenge_method=S256",                                         OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw%2BcM"
              "&code_challenge_method=S256",                                         OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&code_challenge=" CHALLENGE CHALLENGE CHALLENGE "&code_challenge_method=S256",
         OAUTH_INVALID_REQUEST,                                                                                                false, AUTHORIZE_MODE_QUERY    },
 /* OIDC Core §3.1.2.1 */
        {BASE "&prompt=none+login",                                                           OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&prompt=consent+none",                                                         OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&prompt=create",                                                               OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&max_age=-1",                                                                  OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&max_age=1a",                                                                  OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&max_age=+1",                                                                  OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&max_age=9999999999999999999",                                                 OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&display=fullscreen",                                                          OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
 /* OIDC Core §5.5 */
        {BASE "&claims=%5B%5D",                                                               OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&claims=%7B",                                                                  OAUTH_INVALID_REQUEST,           false, AUTHORIZE_MODE_QUERY    },
        {BASE "&claims=%7B%22userinfo%22%3A1%7D",                                             OAUTH_INVALID_REQUEST,           false,
         AUTHORIZE_MODE_QUERY                                                                                                                                 },
        {BASE "&claims=%7B%22id_token%22%3A%5B%5D%7D",                                        OAUTH_INVALID_REQUEST,           false,
         AUTHORIZE_MODE_QUERY                                                                                                                                 },
        {BASE "&claims=%7B%22a%22%3A1%2C%22a%22%3A2%7D",                                      OAUTH_INVALID_REQUEST,           false,
         AUTHORIZE_MODE_QUERY                                                                                                                                 },
};

static void
test_parse_refuses_each_bad_parameter(void **state)
{
	struct authorize_request r;
	struct authorize_error e;
	struct form f;
	struct err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const struct parse_case *c = &parse_cases[i];
		struct arena *a = arena_new();

		print_message("case %zu: %s\n", i, c->query);
		/* A repeated parameter never reaches the parser (RFC 6749 §3.1): a page. */
		if (form_parse(c->query, strlen(c->query), a, &f, &err) != ST_OK) {
			assert_true(c->must_not_redirect);
			arena_free(a);
			continue;
		}
		memset(&e, 0, sizeof e);
		assert_int_equal(authorize_request_parse(&f, a, &r, &e), ST_INVALID);
		assert_int_equal(e.error, c->error);
		assert_int_equal(e.must_not_redirect, c->must_not_redirect);
		assert_safe_description(&e);
		if (!c->must_not_redirect) {
			assert_string_equal(r.client_id, "rp");
			assert_string_equal(r.redirect_uri, "https://rp.example/cb");
			assert_int_equal(r.response_mode, c->mode);
		}
		arena_free(a);
	}
}

static void
test_parse_error_keeps_state_and_form_post_mode(void **state)
{
	struct arena *a = arena_new();
	struct authorize_request r;
	struct authorize_error e;

	(void)state;
	assert_int_equal(parse("client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb"
	                       "&response_mode=form_post&state=a%26b%3Dc&prompt=none+login",
	                       a, &r, &e),
	                 ST_INVALID);
	assert_false(e.must_not_redirect);
	assert_string_equal(r.state, "a&b=c");
	assert_int_equal(r.response_mode, AUTHORIZE_MODE_FORM_POST);
	arena_free(a);
}

static void
test_parse_normalises_scope_and_response_type(void **state)
{
	struct arena *a = arena_new();
	struct authorize_request r;
	struct authorize_error e;

	(void)state;
	assert_int_equal(parse("client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb"
	                       "&response_type=id_token+code&scope=++email+openid++email+profile+",
	                       a, &r, &e),
	                 ST_OK);
	assert_string_equal(r.response_type, "code id_token");
	assert_int_equal(r.response_types, AUTHORIZE_RT_CODE | AUTHORIZE_RT_ID_TOKEN);
	/* Multiple Response Types §5: fragment by default once an id_token is returned */
	assert_int_equal(r.response_mode, AUTHORIZE_MODE_FRAGMENT);
	assert_string_equal(r.scope, "email openid profile");
	assert_int_equal(r.scopes_count, 3);
	assert_string_equal(r.scopes[2], "profile");
	arena_free(a);
}

static void
test_parse_prompt_none_alone_and_max_age_zero(void **state)
{
	struct arena *a = arena_new();
	struct authorize_request r;
	struct authorize_error e;

	(void)state;
	assert_int_equal(parse(BASE "&prompt=none&max_age=0&response_mode=fragment", a, &r, &e),
	                 ST_OK);
	assert_int_equal(r.prompt, AUTHORIZE_PROMPT_NONE);
	assert_int_equal(r.max_age_secs, 0);
	assert_int_equal(r.response_mode, AUTHORIZE_MODE_FRAGMENT);
	assert_int_equal(parse(BASE "&prompt=select_account+login+login", a, &r, &e), ST_OK);
	assert_int_equal(r.prompt, AUTHORIZE_PROMPT_SELECT_ACCOUNT | AUTHORIZE_PROMPT_LOGIN);
	arena_free(a);
}

static void
test_parse_marks_loopback_ip_literals_only(void **state)
{
	static const struct {
		const char *uri;
		bool is_flex;
	} cases[] = {
	        {"http%3A%2F%2F127.0.0.1%3A5000%2Fcb",     true },
	        {"http%3A%2F%2F127.0.0.1%2Fcb",            true },
	        {"http%3A%2F%2F%5B%3A%3A1%5D%3A1%2Fcb",    true },
	        {"http%3A%2F%2Flocalhost%3A5000%2Fcb",     false}, /* RFC 8252 §8.3 */
	        {"https%3A%2F%2F127.0.0.1%3A5000%2Fcb",    false},
	        {"http%3A%2F%2Fu%40127.0.0.1%3A5000%2Fcb", false},
	        {"http%3A%2F%2F10.0.0.1%3A5000%2Fcb",      false},
	};
	struct authorize_request r;
	struct authorize_error e;
	char q[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct arena *a = arena_new();

		snprintf(q, sizeof q, "client_id=rp&response_type=code&redirect_uri=%s",
		         cases[i].uri);
		assert_int_equal(parse(q, a, &r, &e), ST_OK);
		assert_int_equal(r.is_redirect_uri_loopback_flex, cases[i].is_flex);
		arena_free(a);
	}
}

struct check_case {
	const char *doc;
	const char *query;
	bool is_pkce_enforced;
	enum status st;
	enum oauth_error error;
	bool must_not_redirect;
};

#define PKCE        "&code_challenge=" CHALLENGE "&code_challenge_method=S256"
#define NATIVE(uri) "client_id=app&response_type=code&scope=openid" PKCE "&redirect_uri=" uri

#define HYBRID_DOC                                                                                 \
	"{\"redirect_uris\": [\"https://rp.example/cb\"], \"response_types\": [\"code "            \
	"id_token\", \"id_token token\"], \"scope\": \"openid\", "                                 \
	"\"token_endpoint_auth_method\": \"client_secret_basic\"}"
#define RP_CB "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&scope=openid"

static const struct check_case check_cases[] = {
  /* implicit and hybrid (OIDC Core §3.2, §3.3): registered, with a nonce */
        {HYBRID_DOC,                                                                                  RP_CB "&response_type=id_token+code&nonce=n",                                 false, ST_OK,      0,                               false},
        {HYBRID_DOC,                                                                                  RP_CB "&response_type=token+id_token&nonce=n",                                false, ST_OK,      0,                               false},
        {HYBRID_DOC,                                                                                  RP_CB "&response_type=id_token+token",                                        false, ST_INVALID,
         OAUTH_INVALID_REQUEST,                                                                                                                                                                                                         false},
        {HYBRID_DOC,                                                                                  RP_CB "&response_type=id_token&nonce=n",                                      false, ST_INVALID,
         OAUTH_UNAUTHORIZED_CLIENT,                                                                                                                                                                                                     false},
        {web_doc,                                                                                     BASE,                                                                         false, ST_OK,      0,                               false},
        {web_doc,                                                                                     BASE "+email+offline_access" PKCE,                                            true,  ST_OK,      0,                               false},
        {web_doc,
         "client_id=rp&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Frp.example%2Fq%"
         "3Fx%3D1",                                                                                                                                                                 false, ST_OK,      0,                               false},
 /* RFC 6749 §3.1.2.3: simple string comparison */
        {web_doc,
         "client_id=rp&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Frp.example%2Fcb%"
         "2F",                                                                                                                                                                      false, ST_INVALID, OAUTH_INVALID_REQUEST,           true },
        {web_doc,
         "client_id=rp&response_type=code&scope=openid&redirect_uri=https%3A%2F%2FRP.example%2Fcb",                                                                                 false, ST_INVALID, OAUTH_INVALID_REQUEST,           true },
        {web_doc,
         "client_id=rp&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Frp.example%2Fcb%"
         "3Ffoo%3Dbar",                                                                                                                                                             false, ST_INVALID, OAUTH_INVALID_REQUEST,           true },
        {web_doc,
         "client_id=rp&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Frp.example%2Fq%"
         "3Fx%3D2",                                                                                                                                                                 false, ST_INVALID, OAUTH_INVALID_REQUEST,           true },
        {web_doc,
         "client_id=rp&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Frp.example%3A443%"
         "2Fcb",                                                                                                                                                                    false, ST_INVALID, OAUTH_INVALID_REQUEST,           true },
 /* RFC 8252 §7.3: port flexibility for native clients on loopback IP literals only */
        {web_doc,
         "client_id=rp&response_type=code&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%"
         "2Fweb",                                                                                                                                                                   false, ST_INVALID, OAUTH_INVALID_REQUEST,           true },
        {native_doc,                                                                                  NATIVE("http%3A%2F%2F127.0.0.1%2Fcallback"),                                  false, ST_OK,      0,                               false},
        {native_doc,                                                                                  NATIVE("http%3A%2F%2F127.0.0.1%3A49152%2Fcallback"),                          false, ST_OK,      0,                               false},
        {native_doc,                                                                                  NATIVE("http%3A%2F%2F%5B%3A%3A1%5D%3A8080%2Fcb"),                             false, ST_OK,      0,                               false},
        {native_doc,                                                                                  NATIVE("http%3A%2F%2F127.0.0.1%3A1%2Ffixed%3Fa%3Db"),                         false, ST_OK,      0,                               false},
        {native_doc,                                                                                  NATIVE("com.example.app%3A%2Fcb"),                                            false, ST_OK,      0,                               false},
        {native_doc,                                                                                  NATIVE("http%3A%2F%2F127.0.0.1%3A49152%2Fcallback%2F"),                       false, ST_INVALID,
         OAUTH_INVALID_REQUEST,                                                                                                                                                                                                         true },
        {native_doc,                                                                                  NATIVE("http%3A%2F%2F127.0.0.1%3A49152%2Ffixed"),                             false, ST_INVALID,
         OAUTH_INVALID_REQUEST,                                                                                                                                                                                                         true },
        {native_doc,                                                                                  NATIVE("http%3A%2F%2F127.0.0.2%3A49152%2Fcallback"),                          false, ST_INVALID,
         OAUTH_INVALID_REQUEST,                                                                                                                                                                                                         true },
        {native_doc,                                                                                  NATIVE("http%3A%2F%2F%5B%3A%3A1%5D%3A8080%2Fcallback"),                       false, ST_INVALID,
         OAUTH_INVALID_REQUEST,                                                                                                                                                                                                         true },
        {native_doc,                                                                                  NATIVE("http%3A%2F%2Flocalhost%3A8080%2Fcallback"),                           false, ST_INVALID,
         OAUTH_INVALID_REQUEST,                                                                                                                                                                                                         true },
        {native_doc,                                                                                  NATIVE("https%3A%2F%2F127.0.0.1%3A8080%2Fcallback"),                          false, ST_INVALID,
         OAUTH_INVALID_REQUEST,                                                                                                                                                                                                         true },
        {native_doc,                                                                                  NATIVE("com.example.app%3A%2Fcb2"),                                           false, ST_INVALID, OAUTH_INVALID_REQUEST,
         true                                                                                                                                                                                                                                },
 /* the redirect_uri is checked before anything else */
        {native_doc,
         "client_id=app&response_type=token&redirect_uri=http%3A%2F%2F127.0.0.2%2Fcallback",                                                                                        false,
         ST_INVALID,                                                                                                                                                                                   OAUTH_INVALID_REQUEST,           true },
 /* RFC 6749 §4.1.2.1 */
        {web_doc,
         "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=token&scope=openid",                                                                                false, ST_INVALID, OAUTH_UNSUPPORTED_RESPONSE_TYPE, false},
        {"{\"redirect_uris\": [\"https://rp.example/cb\"], \"response_types\": [\"code "
         "id_token\"],"
         " \"scope\": \"openid\", \"token_endpoint_auth_method\": \"client_secret_basic\"}", BASE,                                                                         false, ST_INVALID, OAUTH_UNAUTHORIZED_CLIENT,       false},
        {"{\"redirect_uris\": [\"https://rp.example/cb\"], \"scope\": \"openid\","
         " \"token_endpoint_auth_method\": \"client_secret_basic\"}",                        BASE,                                                                         false, ST_INVALID, OAUTH_UNAUTHORIZED_CLIENT,       false},
 /* OIDC Core §3.1.2.1 and the client's scope */
        {web_doc,
         "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=email",                                                                                  false, ST_INVALID, OAUTH_INVALID_SCOPE,             false},
        {web_doc,                                                                                     "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code",
         false,                                                                                                                                                                            ST_INVALID, OAUTH_INVALID_SCOPE,             false},
        {web_doc,                                                                                     BASE "+phone",                                                                false, ST_INVALID, OAUTH_INVALID_SCOPE,             false},
        {web_doc,                                                                                     BASE "+openidx",                                                              false, ST_INVALID, OAUTH_INVALID_SCOPE,             false},
        {native_doc,
         "client_id=app&response_type=code&scope=openid+email" PKCE
         "&redirect_uri=com.example.app%3A%2Fcb",                                                                                                                                   false, ST_INVALID, OAUTH_INVALID_SCOPE,             false},
        {"{\"redirect_uris\": [\"https://rp.example/cb\"], \"response_types\": [\"code\"],"
         " \"token_endpoint_auth_method\": \"client_secret_basic\"}",                        BASE,                                                                         false, ST_INVALID, OAUTH_INVALID_SCOPE,             false},
 /* RFC 7636 §4.4.1: public clients always, everyone when enforced */
        {web_doc,                                                                                     BASE,                                                                         true,  ST_INVALID, OAUTH_INVALID_REQUEST,           false},
        {native_doc,
         "client_id=app&response_type=code&scope=openid&redirect_uri=com.example.app%3A%2Fcb",                                                                                      false, ST_INVALID, OAUTH_INVALID_REQUEST,           false},
        {"{\"redirect_uris\": [\"https://rp.example/cb\"], \"response_types\": [\"code\"],"
         " \"scope\": \"openid\"}",                                                          BASE,                                                                         false, ST_INVALID, OAUTH_INVALID_REQUEST,           false},
};

static void
test_check_against_client(void **state)
{
	struct authorize_request r;
	struct authorize_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
		const struct check_case *c = &check_cases[i];
		struct arena *a = arena_new();
		json_t *doc = load(c->doc);

		print_message("case %zu: %s\n", i, c->query);
		assert_int_equal(parse(c->query, a, &r, &e), ST_OK);
		memset(&e, 0, sizeof e);
		assert_int_equal(authorize_request_check(&r, doc, c->is_pkce_enforced, &e), c->st);
		if (c->st != ST_OK) {
			assert_int_equal(e.error, c->error);
			assert_int_equal(e.must_not_redirect, c->must_not_redirect);
			assert_safe_description(&e);
			/* the redirect_uri check alone agrees on the page cases */
			assert_int_equal(authorize_redirect_uri_check(&r, doc, &e) != ST_OK,
			                 c->must_not_redirect);
		}
		json_decref(doc);
		arena_free(a);
	}
}

/* oidf-op-conformance §0, §5: a 128-character state with punctuation comes back byte for byte. */
static void
test_state_with_punctuation_round_trips_through_redirect(void **state)
{
	static const char punct[] = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
	char st[129], q[1024], enc[512];
	struct arena *a = arena_new();
	struct authorize_request r;
	struct authorize_error e;
	struct form_param out[3];
	struct form back;
	struct err err;
	const char *url, *query;
	size_t i, n, j = 0;
	json_t *doc = load(web_doc);

	(void)state;
	for (i = 0; i < 128; i++)
		st[i] = punct[i % (sizeof punct - 1)];
	st[128] = '\0';
	for (i = 0; i < 128; i++)
		j += (size_t)snprintf(enc + j, sizeof enc - j, "%%%02X", (unsigned char)st[i]);
	snprintf(q, sizeof q, "%s&state=%s&response_mode=query", BASE, enc);
	assert_int_equal(parse(q, a, &r, &e), ST_OK);
	assert_string_equal(r.state, st);
	assert_int_equal(authorize_request_check(&r, doc, false, &e), ST_OK);

	/* a success response */
	out[0].name = "code";
	out[0].value = "c0de";
	out[1].name = "state";
	out[1].value = r.state;
	url = authorize_redirect_url(a, r.redirect_uri, r.response_mode, out, 2);
	assert_int_equal(strncmp(url, "https://rp.example/cb?code=c0de&state=", 38), 0);
	query = strchr(url, '?') + 1;
	assert_int_equal(form_parse(query, strlen(query), a, &back, &err), ST_OK);
	assert_string_equal(form_get(&back, "state"), st);

	/* an error response, in the fragment */
	memset(&e, 0, sizeof e);
	e.error = OAUTH_ACCESS_DENIED;
	strcpy(e.description, "The end-user denied the request.");
	n = authorize_error_params(&e, r.state, out);
	assert_int_equal(n, 3);
	url = authorize_redirect_url(a, r.redirect_uri, AUTHORIZE_MODE_FRAGMENT, out, n);
	query = strchr(url, '#');
	assert_non_null(query);
	assert_null(strchr(query + 1, '#'));
	assert_int_equal(form_parse(query + 1, strlen(query + 1), a, &back, &err), ST_OK);
	assert_string_equal(form_get(&back, "error"), "access_denied");
	assert_string_equal(form_get(&back, "error_description"), e.description);
	assert_string_equal(form_get(&back, "state"), st);
	json_decref(doc);
	arena_free(a);
}

static void
test_redirect_url_keeps_registered_query(void **state)
{
	struct arena *a = arena_new();
	const struct form_param p[] = {
	        {"code",  "a b+c"             },
	        {"state", NULL                },
	        {"iss",   "https://op.example"},
	};

	(void)state;
	assert_string_equal(
	        authorize_redirect_url(a, "https://rp.example/q?x=1", AUTHORIZE_MODE_QUERY, p, 3),
	        "https://rp.example/q?x=1&code=a%20b%2Bc&iss=https%3A%2F%2Fop.example");
	assert_string_equal(
	        authorize_redirect_url(a, "https://rp.example/q?", AUTHORIZE_MODE_QUERY, p, 1),
	        "https://rp.example/q?code=a%20b%2Bc");
	assert_string_equal(
	        authorize_redirect_url(a, "https://rp.example/cb", AUTHORIZE_MODE_FRAGMENT, p, 1),
	        "https://rp.example/cb#code=a%20b%2Bc");
	assert_string_equal(
	        authorize_redirect_url(a, "https://rp.example/cb", AUTHORIZE_MODE_QUERY, p + 1, 1),
	        "https://rp.example/cb");
	arena_free(a);
}

static void
test_error_params_leave_out_what_is_absent(void **state)
{
	struct authorize_error e = {OAUTH_LOGIN_REQUIRED, "", false};
	struct form_param out[3];

	(void)state;
	assert_int_equal(authorize_error_params(&e, NULL, out), 1);
	assert_string_equal(out[0].name, "error");
	assert_string_equal(out[0].value, "login_required");
}

static void
test_form_post_escapes_every_value(void **state)
{
	struct arena *a = arena_new();
	const struct form_param p[] = {
	        {"code",    "c0de"                           },
	        {"state",   "\"><script>alert(1)</script>&'x"},
	        {"skipped", NULL                             },
	};
	const char *page;

	(void)state;
	page = authorize_form_post_html(a, "https://rp.example/cb?a=1&b=\"2\"", p, 3, NULL);
	assert_non_null(strstr(page, "<form method=\"post\" "
	                             "action=\"https://rp.example/cb?a=1&amp;b=&quot;2&quot;\">"));
	assert_non_null(strstr(page, "<input type=\"hidden\" name=\"code\" value=\"c0de\">"));
	assert_non_null(strstr(page, "name=\"state\" value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;"
	                             "/script&gt;&amp;&#39;x\">"));
	assert_null(strstr(page, "skipped"));
	assert_null(strstr(page, "<script"));
	assert_non_null(strstr(page, "<button type=\"submit\">"));
	assert_null(strstr(page, "enctype"));

	page = authorize_form_post_html(a, "https://rp.example/cb", p, 1, "n0nce\"");
	assert_non_null(strstr(page, "<script nonce=\"n0nce&quot;\">document.forms[0].submit();"
	                             "</script>"));
	assert_non_null(strstr(page, "<button type=\"submit\">"));
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_accepts_code_flow_with_pkce),
	        cmocka_unit_test(test_parse_treats_empty_values_as_absent),
	        cmocka_unit_test(test_parse_refuses_each_bad_parameter),
	        cmocka_unit_test(test_parse_error_keeps_state_and_form_post_mode),
	        cmocka_unit_test(test_parse_normalises_scope_and_response_type),
	        cmocka_unit_test(test_parse_prompt_none_alone_and_max_age_zero),
	        cmocka_unit_test(test_parse_marks_loopback_ip_literals_only),
	        cmocka_unit_test(test_check_against_client),
	        cmocka_unit_test(test_state_with_punctuation_round_trips_through_redirect),
	        cmocka_unit_test(test_redirect_url_keeps_registered_query),
	        cmocka_unit_test(test_error_params_leave_out_what_is_absent),
	        cmocka_unit_test(test_form_post_escapes_every_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
