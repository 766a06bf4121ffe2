/*
 * server/client_metadata_test.c — client_validate: every rule of issue 3's
 * "Public registration" list under the REGISTRANT policy, the ADMIN-only
 * members, the defaults written into the stored document, realistic
 * registrations (openid-client, Hydra SDK) and idempotence.
 *
 * Test JSON is written with ' for " (converted before parsing) to keep it
 * readable; sector_identifier_uri goes through a fake fetch function.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "crypto/jwk.h"
#include "server/client_metadata.h"

#define R CLIENT_POLICY_REGISTRANT
#define A CLIENT_POLICY_ADMIN

#define CB "'redirect_uris':['https://rp.example/cb']"

#define META  OAUTH_INVALID_CLIENT_METADATA
#define REDIR OAUTH_INVALID_REDIRECT_URI

/* RFC 7517 Appendix A.1 public keys (the EC one marked "sig"), RFC 8037 §A.2. */
#define EC_KEY                                                                                     \
	"{'kty':'EC','crv':'P-256','x':'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4',"             \
	"'y':'4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM','use':'sig','kid':'1'}"
#define RSA_KEY                                                                                    \
	"{'kty':'RSA','n':'"                                                                       \
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPF"                \
	"FxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_"            \
	"RN5w6Cf0h4QyQ5"                                                                           \
	"v-65YGjQR0_"                                                                              \
	"FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdk"          \
	"t-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"                   \
	"kEgU8awapJzKnqDKgw',"                                                                     \
	"'e':'AQAB','alg':'RS256','kid':'2011-04-29'}"
#define OKP_KEY "{'kty':'OKP','crv':'Ed25519','x':'11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'}"
#define EC_PRIVATE_KEY                                                                             \
	"{'kty':'EC','crv':'P-256','x':'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4',"             \
	"'y':'4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM',"                                       \
	"'d':'870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE','kid':'1'}"

static const char *const allowed_grants[] = {"authorization_code", "refresh_token", "implicit",
                                             "urn:ietf:params:oauth:grant-type:device_code"};
static const char *const allowed_scopes[] = {
        "openid", "offline_access", "offline", "profile",
        "email",  "address",        "phone",   "userinfo_credential_draft_00"};

struct fake_fetch {
	const char *body;
	enum status st;
	int calls;
	char url[256];
};

struct fixture {
	struct client_validate_opts o;
	struct fake_fetch fetch;
	struct arena *arena;
	json_t *out;
	struct client_problem problem;
};

static enum status
fake_fetch_fn(void *cls, const char *url, struct arena *arena, char **body, size_t *len,
              struct err *err)
{
	struct fake_fetch *f = cls;

	f->calls++;
	snprintf(f->url, sizeof f->url, "%s", url);
	if (f->st != ST_OK)
		return ERR_SET(err, f->st, "connection refused");
	*body = arena_strdup(arena, f->body);
	*len = strlen(f->body);
	return ST_OK;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	f->o.policy = R;
	f->o.allowed_grant_types = allowed_grants;
	f->o.allowed_grant_types_count = sizeof allowed_grants / sizeof allowed_grants[0];
	f->o.allowed_scopes = allowed_scopes;
	f->o.allowed_scopes_count = sizeof allowed_scopes / sizeof allowed_scopes[0];
	f->o.verify_algs = JWS_ALG_RS256 | JWS_ALG_PS256 | JWS_ALG_ES256 | JWS_ALG_EDDSA;
	f->o.signing_alg = "RS256";
	f->o.default_scope = "offline_access offline openid";
	f->o.fetch = fake_fetch_fn;
	f->o.fetch_cls = &f->fetch;
	f->fetch.body = "[\"https://rp.example/cb\",\"https://other.example/cb\"]";
	f->arena = arena_new();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	json_decref(f->out);
	arena_free(f->arena);
	free(f);
	return 0;
}

/* Test JSON with ' for " parsed strictly. */
static json_t *
load(const char *text)
{
	char *s = strdup(text), *p;
	json_error_t je;
	json_t *j;

	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (j == NULL)
		fail_msg("bad test JSON (%s): %s", je.text, s);
	free(s);
	return j;
}

static enum status
run_json(struct fixture *f, enum client_policy p, const json_t *in)
{
	struct err err;

	json_decref(f->out);
	f->out = NULL;
	memset(&f->problem, 0, sizeof f->problem);
	f->o.policy = p;
	return client_validate(&f->o, in, f->arena, &f->out, &f->problem, &err);
}

static enum status
run(struct fixture *f, enum client_policy p, const char *text)
{
	json_t *in = load(text);
	enum status st = run_json(f, p, in);

	json_decref(in);
	return st;
}

static void
accept(struct fixture *f, enum client_policy p, const char *text)
{
	if (run(f, p, text) != ST_OK)
		fail_msg("rejected (%s): %s", f->problem.description, text);
	assert_non_null(f->out);
}

/* Rejected with error e and a description that contains want. */
static void
refuse(struct fixture *f, enum client_policy p, const char *text, enum oauth_error e,
       const char *want)
{
	if (run(f, p, text) != ST_INVALID)
		fail_msg("accepted: %s", text);
	assert_null(f->out);
	if (f->problem.error != e || strstr(f->problem.description, want) == NULL)
		fail_msg("for %s\n  got  %s \"%s\"\n  want %s \"...%s...\"", text,
		         oauth_error_code(f->problem.error), f->problem.description,
		         oauth_error_code(e), want);
}

/* refuse() for a document of valid redirect_uris plus member ("'name':value"). */
static void
refuse_member(struct fixture *f, enum client_policy p, const char *member, enum oauth_error e,
              const char *want)
{
	char text[512];

	snprintf(text, sizeof text, "{" CB ",%s}", member);
	refuse(f, p, text, e, want);
}

/* The member of the last output equals the JSON text want (' for "). */
static void
member_is(struct fixture *f, const char *name, const char *want)
{
	json_t *w = load(want), *got = json_object_get(f->out, name);
	char *g;

	if (!json_equal(got, w)) {
		g = got != NULL ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
		fail_msg("%s: got %s, want %s", name, g != NULL ? g : "(absent)", want);
	}
	json_decref(w);
}

static void
absent(struct fixture *f, const char *name)
{
	if (json_object_get(f->out, name) != NULL)
		fail_msg("%s should be absent", name);
}

/* Validating the last output again under ADMIN gives the same document. */
static void
is_fixed_point(struct fixture *f)
{
	json_t *first = json_incref(f->out);

	if (run_json(f, A, first) != ST_OK)
		fail_msg("output rejected on revalidation: %s", f->problem.description);
	if (!json_equal(first, f->out)) {
		char *a = json_dumps(first, JSON_SORT_KEYS),
		     *b = json_dumps(f->out, JSON_SORT_KEYS);

		fail_msg("not idempotent:\n%s\n%s", a, b);
	}
	json_decref(first);
}

static void
test_rejects_a_body_that_is_not_an_object(void **state)
{
	struct fixture *f = *state;

	refuse(f, R, "['https://rp.example/cb']", META, "the body must be a JSON object");
	refuse(f, A, "'client'", META, "the body must be a JSON object");
	refuse(f, R, "null", META, "the body must be a JSON object");
	refuse(f, R, "42", META, "the body must be a JSON object");
}

static void
test_minimal_registration_gets_every_default(void **state)
{
	/* Operator-only members at their defaults are not stored (the admin view adds them). */
	static const char *const admin_defaults[] = {
	        "owner",
	        "audience",
	        "allowed_cors_origins",
	        "metadata",
	        "skip_consent",
	        "skip_logout_consent",
	        "authorization_code_grant_access_token_lifespan",
	        "device_authorization_grant_refresh_token_lifespan"};
	struct fixture *f = *state;
	size_t i;

	accept(f, R, "{" CB "}");
	member_is(f, "redirect_uris", "['https://rp.example/cb']");
	member_is(f, "grant_types", "['authorization_code']");
	member_is(f, "response_types", "['code']");
	member_is(f, "scope", "'offline_access offline openid'");
	member_is(f, "token_endpoint_auth_method", "'client_secret_basic'");
	member_is(f, "application_type", "'web'");
	member_is(f, "subject_type", "'public'");
	member_is(f, "userinfo_signed_response_alg", "'none'");
	member_is(f, "id_token_signed_response_alg", "'RS256'");
	member_is(f, "contacts", "[]");
	member_is(f, "client_name", "''");
	member_is(f, "logo_uri", "''");
	member_is(f, "tos_uri", "''");
	for (i = 0; i < sizeof admin_defaults / sizeof admin_defaults[0]; i++)
		absent(f, admin_defaults[i]);
	absent(f, "client_id");
	absent(f, "client_secret");
	absent(f, "jwks");
	absent(f, "jwks_uri");
	absent(f, "sector_identifier_uri");
	absent(f, "access_token_strategy");
	absent(f, "post_logout_redirect_uris");
	absent(f, "require_auth_time");
	assert_int_equal(json_object_size(f->out), 15);
	is_fixed_point(f);
}

static void
test_empty_object_needs_redirect_uris(void **state)
{
	struct fixture *f = *state;

	refuse(f, R, "{}", REDIR, "redirect_uris: required");
	refuse(f, R, "{'redirect_uris':[]}", REDIR, "redirect_uris: required");
	refuse(f, R, "{'grant_types':['implicit'],'response_types':['id_token']}", REDIR,
	       "redirect_uris: required");
}

static void
test_registrant_cannot_set_admin_members(void **state)
{
	static const char *const members[] = {
	        "owner",
	        "audience",
	        "allowed_cors_origins",
	        "metadata",
	        "skip_consent",
	        "skip_logout_consent",
	        "access_token_strategy",
	        "refresh_token_grant_refresh_token_lifespan",
	        "my_custom_lifespan",
	        "client_id",
	        "client_secret",
	};
	static const char *const values[] = {
	        "'me'",
	        "['https://api.example']",
	        "['https://rp.example']",
	        "{'tier':'gold'}",
	        "true",
	        "true",
	        "'jwt'",
	        "'720h'",
	        "'1h'",
	        "'chosen-id'",
	        "'chosen-secret'",
	};
	struct fixture *f = *state;
	char member[128], want[128], body[256];
	size_t i;

	for (i = 0; i < sizeof members / sizeof members[0]; i++) {
		snprintf(member, sizeof member, "'%s':%s", members[i], values[i]);
		snprintf(want, sizeof want, "%s: cannot be set by dynamic registration",
		         members[i]);
		refuse_member(f, R, member, META, want);
		/* Admins may; client_id and client_secret are left to the caller. */
		snprintf(body, sizeof body, "{" CB ",%s}", member);
		accept(f, A, body);
		absent(f, "client_id");
		absent(f, "client_secret");
	}
}

static void
test_registrant_may_echo_default_admin_values(void **state)
{
	struct fixture *f = *state;

	/* What a client reads back from Hydra and PUTs again (hydra-behaviour §1.1). */
	accept(f, R,
	       "{" CB ",'client_id':'','client_secret':'','owner':'','audience':[],"
	       "'allowed_cors_origins':[],'metadata':{},'skip_consent':false,"
	       "'skip_logout_consent':null,'access_token_strategy':'','jwks':{},"
	       "'authorization_code_grant_access_token_lifespan':null,"
	       "'implicit_grant_id_token_lifespan':'','client_secret_expires_at':0,"
	       "'registration_client_uri':'https://op.example/oauth2/register/x',"
	       "'created_at':'2024-01-01T00:00:00Z'}");
	absent(f, "implicit_grant_id_token_lifespan");
	absent(f, "owner");
	absent(f, "skip_consent");
	absent(f, "jwks");
	absent(f, "registration_client_uri");
	absent(f, "created_at");
	absent(f, "client_secret_expires_at");
}

static void
test_admin_sets_every_hydra_member(void **state)
{
	struct fixture *f = *state;

	accept(f, A,
	       "{" CB ",'owner':'ops','audience':['https://api.example','https://api.example'],"
	       "'allowed_cors_origins':['HTTPS://App.Example:443/','http://localhost:3000'],"
	       "'metadata':{'tier':{'level':2}},'skip_consent':true,'skip_logout_consent':false,"
	       "'access_token_strategy':'jwt',"
	       "'authorization_code_grant_access_token_lifespan':'1h30m',"
	       "'authorization_code_grant_refresh_token_lifespan':'31h0m0s',"
	       "'client_credentials_grant_access_token_lifespan':'1.5s',"
	       "'jwt_bearer_grant_access_token_lifespan':'100\xc2\xb5s',"
	       "'device_authorization_grant_id_token_lifespan':'10ms5ns',"
	       "'grant_types':['authorization_code','client_credentials',"
	       "'urn:ietf:params:oauth:grant-type:jwt-bearer','refresh_token'],"
	       "'scope':'openid admin:write urn:example:read'}");
	member_is(f, "owner", "'ops'");
	member_is(f, "audience", "['https://api.example']");
	member_is(f, "allowed_cors_origins", "['https://app.example','http://localhost:3000']");
	member_is(f, "metadata", "{'tier':{'level':2}}");
	member_is(f, "skip_consent", "true");
	member_is(f, "skip_logout_consent", "false");
	member_is(f, "access_token_strategy", "'jwt'");
	member_is(f, "authorization_code_grant_access_token_lifespan", "'1h30m'");
	member_is(f, "jwt_bearer_grant_access_token_lifespan", "'100\xc2\xb5s'");
	absent(f, "implicit_grant_access_token_lifespan");
	member_is(f, "scope", "'openid admin:write urn:example:read'");
	member_is(f, "grant_types",
	          "['authorization_code','client_credentials',"
	          "'urn:ietf:params:oauth:grant-type:jwt-bearer','refresh_token']");
	is_fixed_point(f);
}

static void
test_admin_rejects_bad_admin_values(void **state)
{
	struct fixture *f = *state;

	refuse_member(f, A, "'owner':5", META, "owner: must be a string");
	refuse_member(f, A, "'audience':'https://api.example'", META,
	              "audience: must be an array of strings");
	refuse_member(f, A, "'allowed_cors_origins':['https://app.example/path']", META,
	              "allowed_cors_origins[0]: must be an http(s) origin");
	refuse_member(f, A, "'allowed_cors_origins':['https://a.example','https://u@app.example']",
	              META, "allowed_cors_origins[1]: must be an http(s) origin");
	refuse_member(f, A, "'allowed_cors_origins':['https://app.example?x']", META,
	              "allowed_cors_origins[0]");
	refuse_member(f, A, "'allowed_cors_origins':['ftp://app.example']", META,
	              "allowed_cors_origins[0]");
	refuse_member(f, A, "'allowed_cors_origins':['*']", META, "allowed_cors_origins[0]");
	refuse_member(f, A, "'metadata':['a']", META, "metadata: must be a JSON object");
	refuse_member(f, A, "'skip_consent':'yes'", META, "skip_consent: must be true or false");
	refuse_member(f, A, "'skip_logout_consent':1", META,
	              "skip_logout_consent: must be true, false or null");
	refuse_member(f, A, "'access_token_strategy':'macaroon'", META,
	              "access_token_strategy: must be jwt or opaque");
	refuse_member(f, A, "'implicit_grant_access_token_lifespan':'1d'", META,
	              "implicit_grant_access_token_lifespan: must be null or a duration");
	refuse_member(f, A, "'implicit_grant_access_token_lifespan':'1.s'", META,
	              "implicit_grant_access_token_lifespan");
	refuse_member(f, A, "'implicit_grant_access_token_lifespan':'h'", META,
	              "implicit_grant_access_token_lifespan");
	refuse_member(f, A, "'implicit_grant_access_token_lifespan':'1h '", META,
	              "implicit_grant_access_token_lifespan");
	refuse_member(f, A, "'implicit_grant_access_token_lifespan':3600", META,
	              "implicit_grant_access_token_lifespan");
}

static void
test_grant_types_are_limited_for_registrants(void **state)
{
	struct fixture *f = *state;

	refuse(f, R, "{" CB ",'grant_types':['authorization_code','client_credentials']}", META,
	       "grant_types[1]: client_credentials is not allowed for dynamic registration");
	refuse(f, R, "{" CB ",'grant_types':['urn:ietf:params:oauth:grant-type:jwt-bearer']}", META,
	       "grant_types[0]: urn:ietf:params:oauth:grant-type:jwt-bearer is not allowed");
	refuse(f, R, "{" CB ",'grant_types':['password']}", META,
	       "grant_types[0]: unsupported grant type");
	refuse(f, A, "{" CB ",'grant_types':['password']}", META,
	       "grant_types[0]: unsupported grant type");
	refuse(f, R, "{" CB ",'grant_types':'authorization_code'}", META,
	       "grant_types: must be an array of strings");
	accept(f, R,
	       "{" CB ",'grant_types':['authorization_code','refresh_token','refresh_token',"
	       "'urn:ietf:params:oauth:grant-type:device_code']}");
	member_is(f, "grant_types",
	          "['authorization_code','refresh_token',"
	          "'urn:ietf:params:oauth:grant-type:device_code']");
}

static void
test_response_types_must_match_grant_types(void **state)
{
	struct fixture *f = *state;

	refuse_member(f, R, "'response_types':['id_token']", META,
	              "response_types[0]: id_token needs the implicit grant type");
	refuse_member(f, R, "'response_types':['code','code id_token']", META,
	              "response_types[1]: code id_token needs the implicit grant type");
	refuse_member(f, R, "'grant_types':['implicit'],'response_types':['code']", META,
	              "response_types[0]: code needs the authorization_code grant type");
	refuse_member(f, R,
	              "'grant_types':['authorization_code','implicit'],'response_types':['code']",
	              META, "the implicit grant type needs a response type with token or id_token");
	refuse_member(f, R, "'grant_types':['implicit']", META,
	              "the implicit grant type needs a response type with token or id_token");
	refuse_member(f, R,
	              "'grant_types':['authorization_code','implicit'],"
	              "'response_types':['id_token token']",
	              META, "the authorization_code grant type needs a response type with code");
	refuse_member(f, R, "'response_types':['none']", META,
	              "response_types[0]: unsupported response type");
	refuse_member(f, R, "'response_types':['code code']", META,
	              "response_types[0]: unsupported");
	refuse_member(f, R, "'response_types':['']", META, "response_types[0]: unsupported");
	refuse_member(f, R, "'response_types':['Code']", META, "response_types[0]: unsupported");
	refuse_member(f, R, "'response_types':'code'", META,
	              "response_types: must be an array of strings");
}

static void
test_response_types_are_stored_canonically(void **state)
{
	struct fixture *f = *state;

	accept(f, R,
	       "{" CB ",'grant_types':['implicit','authorization_code'],"
	       "'response_types':['id_token token code','code',' token  id_token ','code',"
	       "'id_token code','token']}");
	member_is(f, "response_types",
	          "['code token id_token','code','token id_token','code id_token','token']");
	is_fixed_point(f);
}

static void
test_client_credentials_client_needs_no_redirect_uris(void **state)
{
	struct fixture *f = *state;

	accept(f, A, "{'grant_types':['client_credentials']}");
	member_is(f, "response_types", "[]");
	member_is(f, "redirect_uris", "[]");
	is_fixed_point(f);
	refuse(f, A, "{'grant_types':['client_credentials'],'token_endpoint_auth_method':'none'}",
	       META, "client_credentials needs client authentication");
}

static void
test_web_redirect_uris_need_https_or_loopback_http(void **state)
{
	struct fixture *f = *state;

	accept(f, R,
	       "{'redirect_uris':['https://rp.example/cb?x=1','http://127.0.0.1:8080/cb',"
	       "'http://localhost/cb','http://[::1]:3000/cb','https://rp.example/cb?x=1']}");
	member_is(f, "redirect_uris",
	          "['https://rp.example/cb?x=1','http://127.0.0.1:8080/cb',"
	          "'http://localhost/cb','http://[::1]:3000/cb']");
	refuse(f, R, "{'redirect_uris':['https://rp.example/cb','http://rp.example/cb']}", REDIR,
	       "redirect_uris[1]: must use https (http only on a loopback host)");
	refuse(f, R, "{'redirect_uris':['com.example.app:/cb']}", REDIR,
	       "redirect_uris[0]: must use https");
	refuse(f, R, "{'redirect_uris':['https://rp.example/cb#top']}", REDIR,
	       "redirect_uris[0]: must not contain a fragment");
	refuse(f, R, "{'redirect_uris':['https://rp.example/cb#']}", REDIR,
	       "redirect_uris[0]: must not contain a fragment");
	refuse(f, R, "{'redirect_uris':['/cb']}", REDIR,
	       "redirect_uris[0]: not a valid absolute URI");
	refuse(f, R, "{'redirect_uris':['https://rp.example/a b']}", REDIR,
	       "redirect_uris[0]: not a valid absolute URI");
	refuse(f, R, "{'redirect_uris':['https://r\xc3\xa9.example/']}", REDIR,
	       "redirect_uris[0]: not a valid absolute URI");
	refuse(f, R, "{'redirect_uris':'https://rp.example/cb'}", META,
	       "redirect_uris: must be an array of strings");
	refuse(f, R, "{'redirect_uris':[42]}", META, "redirect_uris: must be an array of strings");
}

static void
test_implicit_web_clients_need_https_and_no_localhost(void **state)
{
	struct fixture *f = *state;

	refuse(f, R,
	       "{'grant_types':['implicit'],'response_types':['id_token'],"
	       "'redirect_uris':['http://127.0.0.1/cb']}",
	       REDIR, "redirect_uris[0]: must use https");
	refuse(f, R,
	       "{'grant_types':['implicit'],'response_types':['id_token'],"
	       "'redirect_uris':['https://localhost/cb']}",
	       REDIR, "redirect_uris[0]: must not use a loopback host");
	accept(f, R,
	       "{'grant_types':['implicit'],'response_types':['id_token token'],"
	       "'redirect_uris':['https://rp.example/cb']}");
	/* OIDC DCR §2 restricts web clients; a native implicit client may use loopback. */
	accept(f, R,
	       "{'application_type':'native','grant_types':['implicit'],"
	       "'response_types':['id_token'],'redirect_uris':['http://127.0.0.1/cb']}");
}

static void
test_native_redirect_uris(void **state)
{
	struct fixture *f = *state;

	accept(f, R,
	       "{'application_type':'native','token_endpoint_auth_method':'none',"
	       "'redirect_uris':['com.example.app:/oauth2redirect','myapp:cb',"
	       "'http://127.0.0.1:51004/','https://app.example/cb']}");
	member_is(f, "application_type", "'native'");
	refuse(f, R, "{'application_type':'native','redirect_uris':['http://rp.example/cb']}",
	       REDIR,
	       "redirect_uris[0]: must use a private-use scheme, https, or http on a loopback "
	       "host");
	refuse(f, R, "{'application_type':'native','redirect_uris':['javascript:alert(1)']}", REDIR,
	       "redirect_uris[0]: must use a private-use scheme");
	refuse(f, R, "{'application_type':'native','redirect_uris':['data:text/html,x']}", REDIR,
	       "redirect_uris[0]: must use a private-use scheme");
	refuse(f, R, "{'application_type':'native','redirect_uris':['myapp:/cb#x']}", REDIR,
	       "redirect_uris[0]: must not contain a fragment");
	refuse(f, R, "{'application_type':'desktop'," CB "}", META,
	       "application_type: must be web or native");
}

static void
test_token_endpoint_auth_method(void **state)
{
	struct fixture *f = *state;

	accept(f, R, "{" CB ",'token_endpoint_auth_method':'client_secret_post'}");
	member_is(f, "token_endpoint_auth_method", "'client_secret_post'");
	accept(f, R, "{" CB ",'token_endpoint_auth_method':'none'}");
	refuse(f, R, "{" CB ",'token_endpoint_auth_method':'client_secret_jwt'}", META,
	       "token_endpoint_auth_method: must be client_secret_basic");
	refuse(f, R, "{" CB ",'token_endpoint_auth_method':'private_key_jwt'}", META,
	       "private_key_jwt needs jwks or jwks_uri");
	accept(f, R,
	       "{" CB ",'token_endpoint_auth_method':'private_key_jwt',"
	       "'jwks_uri':'https://rp.example/"
	       "jwks.json','token_endpoint_auth_signing_alg':'ES256'}");
	member_is(f, "jwks_uri", "'https://rp.example/jwks.json'");
	member_is(f, "token_endpoint_auth_signing_alg", "'ES256'");
	refuse(f, R,
	       "{" CB ",'token_endpoint_auth_method':'private_key_jwt',"
	       "'jwks_uri':'https://rp.example/"
	       "jwks.json','token_endpoint_auth_signing_alg':'HS256'}",
	       META, "token_endpoint_auth_signing_alg: unsupported algorithm");
	refuse(f, R, "{" CB ",'token_endpoint_auth_signing_alg':'none'}", META,
	       "token_endpoint_auth_signing_alg: unsupported algorithm");
	refuse(f, R, "{" CB ",'token_endpoint_auth_signing_alg':'RS384'}", META,
	       "token_endpoint_auth_signing_alg: unsupported algorithm");
	refuse(f, R, "{" CB ",'token_endpoint_auth_method':['none']}", META,
	       "token_endpoint_auth_method: must be a string");
}

static void
test_jwks_keys_are_imported_and_normalised(void **state)
{
	struct fixture *f = *state;
	json_t *keys;

	accept(f, R,
	       "{" CB ",'token_endpoint_auth_method':'private_key_jwt','jwks':{'keys':[" EC_KEY
	       "," RSA_KEY "," OKP_KEY
	       ",{'kty':'RSA','use':'enc','alg':'RSA-OAEP','n':'x','e':'AQAB'}"
	       "]}}");
	keys = json_object_get(json_object_get(f->out, "jwks"), "keys");
	assert_int_equal(json_array_size(keys), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 0), "kid")),
	                    "1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 1), "alg")),
	                    "RS256");
	/* The OKP key got its RFC 7638 thumbprint as kid. */
	assert_int_equal(json_string_length(json_object_get(json_array_get(keys, 2), "kid")), 43);
	is_fixed_point(f);
}

static void
test_jwks_rules(void **state)
{
	struct fixture *f = *state;

	refuse(f, R, "{" CB ",'jwks':{'keys':[" EC_PRIVATE_KEY "]}}", META,
	       "jwks.keys[0]: private key material");
	refuse(f, R, "{" CB ",'jwks':{'keys':[" EC_KEY ",{'kty':'oct','k':'AAAA'}]}}", META,
	       "jwks.keys[1]:");
	refuse(f, R, "{" CB ",'jwks':{'keys':[" EC_KEY "," EC_KEY "]}}", META,
	       "jwks.keys[1]: duplicate kid");
	refuse(f, R, "{" CB ",'jwks':{'keys':['x']}}", META, "jwks.keys[0]: must be a JSON object");
	refuse(f, R, "{" CB ",'jwks':{'keys':{}}}", META, "jwks: must be a JWK Set object with");
	refuse(f, R, "{" CB ",'jwks':[" EC_KEY "]}", META, "jwks: must be a JWK Set object");
	refuse(f, R,
	       "{" CB ",'jwks':{'keys':[" EC_KEY "]},'jwks_uri':'https://rp.example/jwks.json'}",
	       META, "jwks: cannot be used together with jwks_uri");
	/* A set with no signing key is no set: private_key_jwt still needs keys. */
	refuse(f, R, "{" CB ",'token_endpoint_auth_method':'private_key_jwt','jwks':{'keys':[]}}",
	       META, "private_key_jwt needs jwks or jwks_uri");
	accept(f, R, "{" CB ",'jwks':{'keys':[]}}");
	absent(f, "jwks");
	refuse(f, R, "{" CB ",'jwks_uri':'http://rp.example/jwks.json'}", META,
	       "jwks_uri: must use https (http only on a loopback host)");
	accept(f, R, "{" CB ",'jwks_uri':'http://localhost:4000/jwks.json'}");
}

static void
test_signing_algorithms(void **state)
{
	struct fixture *f = *state;

	accept(f, R,
	       "{" CB
	       ",'id_token_signed_response_alg':'RS256','userinfo_signed_response_alg':'RS256',"
	       "'request_object_signing_alg':'none'}");
	member_is(f, "userinfo_signed_response_alg", "'RS256'");
	member_is(f, "request_object_signing_alg", "'none'");
	accept(f, R, "{" CB ",'request_object_signing_alg':'PS256'}");
	refuse(f, R, "{" CB ",'id_token_signed_response_alg':'ES256'}", META,
	       "id_token_signed_response_alg: must be RS256");
	refuse(f, R, "{" CB ",'id_token_signed_response_alg':'none'}", META,
	       "id_token_signed_response_alg: must be RS256");
	refuse(f, R, "{" CB ",'userinfo_signed_response_alg':'ES256'}", META,
	       "userinfo_signed_response_alg: must be none or RS256");
	refuse(f, R, "{" CB ",'request_object_signing_alg':'HS256'}", META,
	       "request_object_signing_alg: unsupported algorithm");
	f->o.signing_alg = "ES256";
	accept(f, R, "{" CB "}");
	member_is(f, "id_token_signed_response_alg", "'ES256'");
	refuse(f, R, "{" CB ",'id_token_signed_response_alg':'RS256'}", META,
	       "id_token_signed_response_alg: must be ES256");
}

static void
test_sector_identifier_uri_is_fetched_and_must_list_redirects(void **state)
{
	struct fixture *f = *state;

	accept(f, R,
	       "{'redirect_uris':['https://rp.example/cb','https://other.example/cb'],"
	       "'subject_type':'pairwise','sector_identifier_uri':'https://rp.example/"
	       "sector.json'}");
	assert_int_equal(f->fetch.calls, 1);
	assert_string_equal(f->fetch.url, "https://rp.example/sector.json");
	member_is(f, "sector_identifier_uri", "'https://rp.example/sector.json'");
	member_is(f, "subject_type", "'pairwise'");

	refuse(f, R,
	       "{'redirect_uris':['https://rp.example/cb','https://third.example/cb'],"
	       "'sector_identifier_uri':'https://rp.example/sector.json'}",
	       META, "sector_identifier_uri: the document does not list redirect_uris[1]");
	refuse(f, R, "{" CB ",'sector_identifier_uri':'http://rp.example/sector.json'}", META,
	       "sector_identifier_uri: must use https");
	f->fetch.body = "{\"redirect_uris\":[\"https://rp.example/cb\"]}";
	refuse(f, R, "{" CB ",'sector_identifier_uri':'https://rp.example/s'}", META,
	       "sector_identifier_uri: the document must be a JSON array of URIs");
	f->fetch.body = "[\"https://rp.example/cb\", 7]";
	refuse(f, R, "{" CB ",'sector_identifier_uri':'https://rp.example/s'}", META,
	       "sector_identifier_uri: the document must be a JSON array of URIs");
	f->fetch.body = "[]";
	refuse(f, R, "{" CB ",'sector_identifier_uri':'https://rp.example/s'}", META,
	       "sector_identifier_uri: the document must be a JSON array of URIs");
	f->fetch.body = "not json";
	refuse(f, R, "{" CB ",'sector_identifier_uri':'https://rp.example/s'}", META,
	       "sector_identifier_uri: the document must be a JSON array of URIs");
	f->fetch.st = ST_IO;
	refuse(f, R, "{" CB ",'sector_identifier_uri':'https://rp.example/s'}", META,
	       "sector_identifier_uri: cannot be fetched (connection refused)");
	f->o.fetch = NULL;
	refuse(f, R, "{" CB ",'sector_identifier_uri':'https://rp.example/s'}", META,
	       "sector_identifier_uri: not supported by this server");
}

static void
test_sector_identifier_uri_is_fetched_only_for_otherwise_valid_documents(void **state)
{
	struct fixture *f = *state;

	refuse(f, R, "{" CB ",'sector_identifier_uri':'https://rp.example/s','default_max_age':-1}",
	       META, "default_max_age: must be a non-negative integer");
	refuse(f, R,
	       "{" CB ",'sector_identifier_uri':'https://rp.example/s','subject_type':'secret'}",
	       META, "subject_type: must be public or pairwise");
	assert_int_equal(f->fetch.calls, 0);
}

static void
test_pairwise_with_several_hosts_needs_a_sector_identifier(void **state)
{
	struct fixture *f = *state;

	refuse(f, R,
	       "{'subject_type':'pairwise',"
	       "'redirect_uris':['https://rp.example/cb','https://other.example/cb']}",
	       META, "sector_identifier_uri: required with pairwise subject_type");
	accept(f, R,
	       "{'subject_type':'pairwise',"
	       "'redirect_uris':['https://rp.example/cb','https://RP.example:8443/other']}");
	accept(f, R,
	       "{'subject_type':'public',"
	       "'redirect_uris':['https://rp.example/cb','https://other.example/cb']}");
}

static void
test_url_members(void **state)
{
	struct fixture *f = *state;

	refuse_member(f, R, "'logo_uri':'ftp://rp.example/logo.png'", META,
	              "logo_uri: must use http or https");
	refuse_member(f, R, "'client_uri':'rp.example'", META,
	              "client_uri: not a valid absolute URI");
	refuse_member(f, R, "'policy_uri':'javascript:alert(1)'", META,
	              "policy_uri: must use http or https");
	refuse_member(f, R, "'tos_uri':7", META, "tos_uri: must be a string");
	refuse_member(f, R, "'initiate_login_uri':'http://rp.example/login'", META,
	              "initiate_login_uri: must use https");
	refuse_member(f, R, "'frontchannel_logout_uri':'https://rp.example/logout#x'", META,
	              "frontchannel_logout_uri: must not contain a fragment");
	refuse_member(f, R, "'backchannel_logout_uri':'http://rp.example/bc'", META,
	              "backchannel_logout_uri: must use https (http only on a loopback host)");
	refuse_member(f, R, "'backchannel_logout_uri':'https://rp.example/bc#f'", META,
	              "backchannel_logout_uri: must not contain a fragment");
	refuse_member(f, R, "'request_uris':['https://rp.example/r','http://rp.example/r']", META,
	              "request_uris[1]: must use https");
	refuse_member(
	        f, R, "'post_logout_redirect_uris':['http://rp.example/bye']", META,
	        "post_logout_redirect_uris[0]: must use https (http only on a loopback host)");
	refuse_member(f, R, "'post_logout_redirect_uris':['https://rp.example/bye#x']", META,
	              "post_logout_redirect_uris[0]: must not contain a fragment");
	refuse_member(f, R, "'post_logout_redirect_uris':['myapp:/bye']", META,
	              "post_logout_redirect_uris[0]: must use https");
	accept(f, R,
	       "{" CB
	       ",'logo_uri':'http://rp.example/logo.png#x','client_uri':'https://rp.example',"
	       "'policy_uri':'https://rp.example/policy','tos_uri':'https://rp.example/tos',"
	       "'initiate_login_uri':'https://rp.example/login',"
	       "'frontchannel_logout_uri':'http://rp.example/fc?a=1',"
	       "'frontchannel_logout_session_required':true,"
	       "'backchannel_logout_uri':'http://127.0.0.1:9000/bc',"
	       "'backchannel_logout_session_required':false,"
	       "'request_uris':['https://rp.example/r#abc'],"
	       "'post_logout_redirect_uris':['https://rp.example/bye','http://localhost/bye']}");
	member_is(f, "frontchannel_logout_session_required", "true");
	absent(f, "backchannel_logout_session_required");
	member_is(f, "request_uris", "['https://rp.example/r#abc']");
	member_is(f, "post_logout_redirect_uris",
	          "['https://rp.example/bye','http://localhost/bye']");
	is_fixed_point(f);
	accept(f, R,
	       "{'application_type':'native','redirect_uris':['myapp:/cb'],"
	       "'post_logout_redirect_uris':['myapp:/bye']}");
}

static void
test_wrong_json_types_name_the_field(void **state)
{
	struct fixture *f = *state;

	refuse_member(f, R, "'default_max_age':-1", META,
	              "default_max_age: must be a non-negative integer");
	refuse_member(f, R, "'default_max_age':'3600'", META,
	              "default_max_age: must be a non-negative integer");
	refuse_member(f, R, "'default_max_age':1.5", META,
	              "default_max_age: must be a non-negative integer");
	refuse_member(f, R, "'require_auth_time':'true'", META,
	              "require_auth_time: must be true or false");
	refuse_member(f, R, "'frontchannel_logout_session_required':1", META,
	              "frontchannel_logout_session_required: must be true or false");
	refuse_member(f, R, "'contacts':'ops@rp.example'", META,
	              "contacts: must be an array of strings");
	refuse_member(f, R, "'contacts':[1]", META, "contacts: must be an array of strings");
	refuse_member(f, R, "'default_acr_values':[['x']]", META,
	              "default_acr_values: must be an array of strings");
	refuse_member(f, R, "'client_name':5", META, "client_name: must be a string");
	refuse_member(f, R, "'client_name':{'en':'x'}", META, "client_name: must be a string");
	refuse_member(f, R, "'scope':['openid']", META, "scope: must be a string");
	refuse_member(f, R, "'subject_type':1", META, "subject_type: must be a string");
	refuse_member(f, R, "'sector_identifier_uri':true", META,
	              "sector_identifier_uri: must be a string");
	refuse_member(f, R, "'jwks_uri':{}", META, "jwks_uri: must be a string");
	accept(f, R,
	       "{" CB ",'default_max_age':0,'require_auth_time':true,'contacts':['ops@rp.example'],"
	       "'default_acr_values':['urn:mace:incommon:iap:silver'],'client_name':'RP'}");
	member_is(f, "default_max_age", "0");
	member_is(f, "require_auth_time", "true");
	member_is(f, "contacts", "['ops@rp.example']");
	member_is(f, "default_acr_values", "['urn:mace:incommon:iap:silver']");
	member_is(f, "client_name", "'RP'");
}

static void
test_language_tagged_members_are_kept(void **state)
{
	struct fixture *f = *state;

	accept(f, R,
	       "{" CB
	       ",'client_name':'Example','client_name#ja-Jpan-JP':'\xe3\x83\x86\xe3\x82\xb9',"
	       "'logo_uri#en':'https://rp.example/en.png','tos_uri#de':'','foo#en':'ignored'}");
	member_is(f, "client_name#ja-Jpan-JP", "'\xe3\x83\x86\xe3\x82\xb9'");
	member_is(f, "logo_uri#en", "'https://rp.example/en.png'");
	absent(f, "tos_uri#de");
	absent(f, "foo#en");
	is_fixed_point(f);
	refuse(f, R, "{" CB ",'logo_uri#en':'ftp://rp.example/x'}", META,
	       "logo_uri#en: must use http or https");
	refuse(f, R, "{" CB ",'client_name#ja Jpan':'x'}", META,
	       "client_name#: invalid language tag");
	refuse(f, R, "{" CB ",'policy_uri#':'https://rp.example/'}", META,
	       "policy_uri#: invalid language tag");
	refuse(f, R, "{" CB ",'client_name#en':3}", META, "client_name#en: must be a string");
}

static void
test_unknown_members_are_ignored(void **state)
{
	struct fixture *f = *state;

	accept(f, R,
	       "{" CB ",'software_id':'4NRB1-0XZABZI9E6-5SM3R','software_version':'2.1',"
	       "'tls_client_certificate_bound_access_tokens':true,'registration_access_token':'x',"
	       "'id_token_encrypted_response_alg':'RSA-OAEP','extra':{'deep':[1,2,3]}}");
	absent(f, "software_id");
	absent(f, "tls_client_certificate_bound_access_tokens");
	absent(f, "registration_access_token");
	absent(f, "id_token_encrypted_response_alg");
	absent(f, "extra");
}

static void
test_scope(void **state)
{
	struct fixture *f = *state;

	accept(f, R, "{" CB ",'scope':''}");
	member_is(f, "scope", "'offline_access offline openid'");
	accept(f, R, "{" CB ",'scope':'   '}");
	member_is(f, "scope", "'offline_access offline openid'");
	accept(f, R, "{" CB ",'scope':' openid  email openid profile email '}");
	member_is(f, "scope", "'openid email profile'");
	refuse(f, R, "{" CB ",'scope':'openid admin'}", META,
	       "scope: admin is not allowed for dynamic registration");
	refuse(f, A, "{" CB ",'scope':'openid a\\\\b'}", META,
	       "scope: invalid character in a scope token");
	refuse(f, A, "{" CB ",'scope':'openid\\temail'}", META, "scope: invalid character");
	refuse(f, A, "{" CB ",'scope':'caf\xc3\xa9'}", META, "scope: invalid character");
	accept(f, A, "{" CB ",'scope':'urn:example:read https://api.example/write'}");
	member_is(f, "scope", "'urn:example:read https://api.example/write'");
	f->o.default_scope = NULL;
	accept(f, R, "{" CB "}");
	member_is(f, "scope", "''");
}

/* openid-client's Issuer.Client.register() body for a web app. */
static void
test_accepts_openid_client_registration(void **state)
{
	struct fixture *f = *state;

	accept(f, R,
	       "{'redirect_uris':['https://rp.example/auth/callback'],"
	       "'response_types':['code'],'grant_types':['authorization_code','refresh_token'],"
	       "'token_endpoint_auth_method':'client_secret_basic',"
	       "'id_token_signed_response_alg':'RS256','client_name':'openid-client test',"
	       "'post_logout_redirect_uris':['https://rp.example/logged-out'],"
	       "'scope':'openid profile email offline_access','application_type':'web'}");
	member_is(f, "grant_types", "['authorization_code','refresh_token']");
	is_fixed_point(f);
}

/* The shape @ory/hydra-client sends for createOidcDynamicClient (OAuth2Client). */
static void
test_accepts_hydra_sdk_registration(void **state)
{
	struct fixture *f = *state;

	refuse(f, R,
	       "{'client_name':'sdk-client','redirect_uris':['http://127.0.0.1:5555/callback'],"
	       "'grant_types':['authorization_code','refresh_token'],"
	       "'response_types':['code','id_token'],'scope':'openid offline',"
	       "'token_endpoint_auth_method':'client_secret_post','audience':[],'owner':'',"
	       "'policy_uri':'','tos_uri':'','client_uri':'','logo_uri':'','contacts':null,"
	       "'allowed_cors_origins':[],'subject_type':'public','jwks':{},"
	       "'userinfo_signed_response_alg':'none','metadata':{},'skip_consent':false,"
	       "'skip_logout_consent':null,'client_secret_expires_at':0,"
	       "'frontchannel_logout_session_required':false,"
	       "'backchannel_logout_session_required':false,"
	       "'authorization_code_grant_access_token_lifespan':null}",
	       META, "response_types[1]: id_token needs the implicit grant type");
	/* With the implicit grant added (and https, OIDC DCR §2), the same shape is accepted. */
	accept(f, R,
	       "{'client_name':'sdk-client','redirect_uris':['https://rp.example/callback'],"
	       "'grant_types':['authorization_code','refresh_token','implicit'],"
	       "'response_types':['code','id_token'],'scope':'openid offline'}");
	is_fixed_point(f);
}

static void
test_descriptions_are_short_ascii_and_do_not_echo_values(void **state)
{
	struct fixture *f = *state;
	char text[3000], host[2001];
	size_t i;

	memset(host, 'h', sizeof host - 1);
	host[sizeof host - 1] = '\0';
	snprintf(text, sizeof text, "{'redirect_uris':['http://%s.example/cb']}", host);
	refuse(f, R, text, REDIR, "redirect_uris[0]: must use https");
	assert_null(strstr(f->problem.description, "hhhh"));
	/* A non-ASCII member name comes back as '?' and is cut short. */
	refuse(f, R, "{'\xc3\xa9t\xc3\xa9_lifespan':'1h'," CB "}", META,
	       "??t??_lifespan: cannot be set");
	snprintf(text, sizeof text, "{'%s_lifespan':'1h'," CB "}", host);
	refuse(f, R, text, META, "...: cannot be set");
	assert_true(strlen(f->problem.description) < 120);
	for (i = 0; f->problem.description[i] != '\0'; i++)
		assert_true(f->problem.description[i] >= 0x20 && f->problem.description[i] < 0x7f);
}

static void
test_limits(void **state)
{
	struct fixture *f = *state;
	json_t *in = load("{'redirect_uris':[],'scope':'openid'}");
	json_t *uris = json_object_get(in, "redirect_uris");
	char big[5000];
	size_t i;

	for (i = 0; i < 257; i++)
		json_array_append_new(uris, json_string("https://rp.example/cb"));
	assert_int_equal(run_json(f, R, in), ST_INVALID);
	assert_string_equal(f->problem.description, "redirect_uris: more than 256 entries");
	json_array_remove(uris, 0);
	assert_int_equal(run_json(f, R, in), ST_OK);
	member_is(f, "redirect_uris", "['https://rp.example/cb']");

	memcpy(big, "https://rp.example/", 19);
	memset(big + 19, 'a', sizeof big - 20);
	big[sizeof big - 1] = '\0';
	json_array_clear(uris);
	json_array_append_new(uris, json_string(big));
	assert_int_equal(run_json(f, R, in), ST_INVALID);
	assert_string_equal(f->problem.description, "redirect_uris[0]: longer than 4096 bytes");
	json_decref(in);
}

static void
test_embedded_nul_is_rejected(void **state)
{
	struct fixture *f = *state;
	const char text[] = "{\"redirect_uris\":[\"https://rp.example/cb\\u0000.evil\"]}";
	json_t *in = json_loads(text, JSON_ALLOW_NUL, NULL);

	assert_non_null(in);
	assert_int_equal(run_json(f, R, in), ST_INVALID);
	assert_string_equal(f->problem.description, "redirect_uris: must be an array of strings");
	json_decref(in);
}

static void
test_input_is_not_modified(void **state)
{
	struct fixture *f = *state;
	json_t *in = load("{'redirect_uris':['https://rp.example/cb','https://rp.example/cb'],"
	                  "'scope':' openid openid ','response_types':['code'],"
	                  "'allowed_cors_origins':['HTTPS://A.example/'],'client_id':'x'}");
	char *before = json_dumps(in, JSON_SORT_KEYS), *after;

	assert_int_equal(run_json(f, A, in), ST_OK);
	after = json_dumps(in, JSON_SORT_KEYS);
	assert_string_equal(before, after);
	free(before);
	free(after);
	json_decref(in);
}

static void
test_admin_only_member_names(void **state)
{
	(void)state;
	assert_true(client_member_is_admin_only("owner"));
	assert_true(client_member_is_admin_only("metadata"));
	assert_true(client_member_is_admin_only("skip_logout_consent"));
	assert_true(client_member_is_admin_only("device_authorization_grant_id_token_lifespan"));
	assert_false(client_member_is_admin_only("client_name"));
	assert_false(client_member_is_admin_only("client_id"));
	assert_false(client_member_is_admin_only("scope"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_rejects_a_body_that_is_not_an_object),
	        T(test_minimal_registration_gets_every_default),
	        T(test_empty_object_needs_redirect_uris),
	        T(test_registrant_cannot_set_admin_members),
	        T(test_registrant_may_echo_default_admin_values),
	        T(test_admin_sets_every_hydra_member),
	        T(test_admin_rejects_bad_admin_values),
	        T(test_grant_types_are_limited_for_registrants),
	        T(test_response_types_must_match_grant_types),
	        T(test_response_types_are_stored_canonically),
	        T(test_client_credentials_client_needs_no_redirect_uris),
	        T(test_web_redirect_uris_need_https_or_loopback_http),
	        T(test_implicit_web_clients_need_https_and_no_localhost),
	        T(test_native_redirect_uris),
	        T(test_token_endpoint_auth_method),
	        T(test_jwks_keys_are_imported_and_normalised),
	        T(test_jwks_rules),
	        T(test_signing_algorithms),
	        T(test_sector_identifier_uri_is_fetched_and_must_list_redirects),
	        T(test_sector_identifier_uri_is_fetched_only_for_otherwise_valid_documents),
	        T(test_pairwise_with_several_hosts_needs_a_sector_identifier),
	        T(test_url_members),
	        T(test_wrong_json_types_name_the_field),
	        T(test_language_tagged_members_are_kept),
	        T(test_unknown_members_are_ignored),
	        T(test_scope),
	        T(test_accepts_openid_client_registration),
	        T(test_accepts_hydra_sdk_registration),
	        T(test_descriptions_are_short_ascii_and_do_not_echo_values),
	        T(test_limits),
	        T(test_embedded_nul_is_rejected),
	        T(test_input_is_not_modified),
	        cmocka_unit_test(test_admin_only_member_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
