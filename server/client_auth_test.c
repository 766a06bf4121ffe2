/*
 * server/client_auth_test.c — client authentication: the parser on
 * in-memory requests (RFC 6749 §2.3.1 encoding, malformed headers, mixed
 * methods), and the check against clients created through clients_create
 * in a ":memory:" store.
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

#include "crypto/b64url.h"
#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "server/client_auth.h"
#include "server/keys.h"

#define NOW 1800000000

struct fixture {
	struct config cfg;
	struct app app;
	struct arena *arena;
	struct request req;
	struct request_header headers[1];
	struct client_credentials creds;
	struct client_auth_error e;
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
	f->arena = arena_new();
	f->req.arena = f->arena;
	f->req.method = HTTP_POST;
	f->req.path = "/oauth2/token";
	strcpy(f->req.id, "test");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	arena_free(f->arena);
	keyring_free(f->app.keyring);
	store_close(f->app.store);
	config_free(&f->cfg);
	test_free(f);
	return 0;
}

/* Standard base64 with padding (RFC 4648 §4), into the arena. */
static const char *
b64(struct arena *arena, const char *s)
{
	static const char alphabet[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), i, k = 0;
	char *out = arena_alloc(arena, (n + 2) / 3 * 4 + 1);

	for (i = 0; i < n; i += 3) {
		unsigned long g = (unsigned long)(unsigned char)s[i] << 16;

		if (i + 1 < n)
			g |= (unsigned long)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			g |= (unsigned char)s[i + 2];
		out[k++] = alphabet[g >> 18 & 63];
		out[k++] = alphabet[g >> 12 & 63];
		out[k] = '=';
		out[k + 1] = '=';
		if (i + 1 < n)
			out[k] = alphabet[g >> 6 & 63];
		if (i + 2 < n)
			out[k + 1] = alphabet[g & 63];
		k += 2;
	}
	out[k] = '\0';
	return out;
}

/* Sets the request's Authorization header (NULL: none) and form body (NULL: empty). */
static void
request_set(struct fixture *f, const char *authorization, const char *body)
{
	struct err err;

	f->req.nheaders = 0;
	f->req.headers = f->headers;
	if (authorization != NULL) {
		f->headers[0].name = "authorization";
		f->headers[0].value = authorization;
		f->req.nheaders = 1;
	}
	memset(&f->req.form, 0, sizeof f->req.form);
	if (body != NULL)
		assert_int_equal(form_parse(body, strlen(body), f->arena, &f->req.form, &err),
		                 ST_OK);
}

/* "Basic " + base64(encoded_pair): the pair is given already form-urlencoded. */
static const char *
basic(struct fixture *f, const char *encoded_pair)
{
	return arena_printf(f->arena, "Basic %s", b64(f->arena, encoded_pair));
}

static void
parse_ok(struct fixture *f, enum client_auth_method method, const char *id, const char *secret)
{
	assert_int_equal(client_auth_parse(&f->req, f->arena, &f->creds, &f->e), ST_OK);
	assert_int_equal(f->creds.method, method);
	assert_string_equal(f->creds.client_id, id);
	assert_string_equal(f->creds.secret, secret);
	assert_int_equal(f->creds.secret_len, strlen(secret));
	client_auth_credentials_wipe(&f->creds);
}

static void
parse_fails(struct fixture *f, enum oauth_error error, bool is_basic, const char *text)
{
	assert_int_equal(client_auth_parse(&f->req, f->arena, &f->creds, &f->e), ST_INVALID);
	assert_int_equal(f->e.error, error);
	assert_int_equal(f->e.is_basic, is_basic);
	assert_non_null(strstr(f->e.description, text));
	assert_string_equal(f->creds.secret, "");
	assert_null(f->creds.client_id);
}

/* RFC 6749 §2.3.1: id and secret are form-urlencoded before base64. */
static void
test_parse_basic_decodes_form_encoded_id_and_secret(void **state)
{
	struct fixture *f = *state;

	request_set(f, basic(f, "my%3Aclient%25%2Bid:p%C3%A4ss%3Aw%25rd%2B"), NULL);
	parse_ok(f, CLIENT_AUTH_BASIC, "my:client%+id", "p\xc3\xa4ss:w%rd+");
}

static void
test_parse_basic_plus_is_space(void **state)
{
	struct fixture *f = *state;

	request_set(f, basic(f, "a+b:c+d"), NULL);
	parse_ok(f, CLIENT_AUTH_BASIC, "a b", "c d");
}

/* An encoded id holds no ':', so the first one separates; later ones belong to the secret. */
static void
test_parse_basic_splits_at_first_colon(void **state)
{
	struct fixture *f = *state;

	request_set(f, basic(f, "id:sec:ret:"), NULL);
	parse_ok(f, CLIENT_AUTH_BASIC, "id", "sec:ret:");
	request_set(f, basic(f, "id:"), NULL);
	parse_ok(f, CLIENT_AUTH_BASIC, "id", "");
}

/* RFC 7235 §2.1: the scheme is case-insensitive; 1*SP before the credentials. */
static void
test_parse_basic_scheme_is_case_insensitive(void **state)
{
	struct fixture *f = *state;

	request_set(f, arena_printf(f->arena, "bAsIc   %s", b64(f->arena, "x:y")), NULL);
	parse_ok(f, CLIENT_AUTH_BASIC, "x", "y");
}

static void
test_parse_rejects_malformed_base64(void **state)
{
	static const char *const bad[] = {
	        "Basic !!!!",
	        "Basic eDp5Wg" /* missing padding */,
	        "Basic eDp5Wh==" /* non-canonical */,
	        "Basic ====",
	        "Basic eD=5",
	        "Basic ",
	        "Basic eDp5 eDp5",
	        "Basic eDp5\x01",
	        "Basic eDp5-_==" /* the base64url alphabet */,
	};
	struct fixture *f = *state;
	size_t i;

	request_set(f, "Basic eDp5", NULL); /* "x:y" */
	parse_ok(f, CLIENT_AUTH_BASIC, "x", "y");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		request_set(f, bad[i], NULL);
		parse_fails(f, OAUTH_INVALID_CLIENT, true, "not base64");
	}
}

static void
test_parse_rejects_basic_without_colon(void **state)
{
	struct fixture *f = *state;

	request_set(f, basic(f, "client-and-secret"), NULL);
	parse_fails(f, OAUTH_INVALID_CLIENT, true, "no ':'");
}

static void
test_parse_rejects_empty_basic_client_id(void **state)
{
	struct fixture *f = *state;

	request_set(f, basic(f, ":secret"), NULL);
	parse_fails(f, OAUTH_INVALID_CLIENT, true, "client_id is empty");
}

static void
test_parse_rejects_bad_escapes_in_basic(void **state)
{
	struct fixture *f = *state;

	request_set(f, basic(f, "a%zz:b"), NULL);
	parse_fails(f, OAUTH_INVALID_CLIENT, true, "client_id");
	request_set(f, basic(f, "a:b%4"), NULL);
	parse_fails(f, OAUTH_INVALID_CLIENT, true, "secret");
	/* An encoded NUL would cut the secret short. */
	request_set(f, basic(f, "a:b%00c"), NULL);
	parse_fails(f, OAUTH_INVALID_CLIENT, true, "secret");
	request_set(f, basic(f, "a:b\tc"), NULL);
	parse_fails(f, OAUTH_INVALID_CLIENT, true, "control character");
}

static void
test_parse_rejects_other_authorization_schemes(void **state)
{
	struct fixture *f = *state;

	request_set(f, "Bearer abc", NULL);
	parse_fails(f, OAUTH_INVALID_CLIENT, true, "Basic scheme");
	request_set(f, "Basicx eDp5", NULL);
	parse_fails(f, OAUTH_INVALID_CLIENT, true, "Basic scheme");
}

/* RFC 6749 §2.3: "The client MUST NOT use more than one authentication method". */
static void
test_parse_rejects_basic_and_post_together(void **state)
{
	struct fixture *f = *state;

	request_set(f, basic(f, "x:y"), "client_id=x&client_secret=y");
	parse_fails(f, OAUTH_INVALID_REQUEST, false, "more than one");
	request_set(f, basic(f, "x:y"), "client_secret=y");
	parse_fails(f, OAUTH_INVALID_REQUEST, false, "more than one");
	request_set(f, NULL, "client_id=x&client_secret=y&client_assertion=z");
	parse_fails(f, OAUTH_INVALID_REQUEST, false, "more than one");
}

static void
test_parse_basic_allows_same_client_id_in_body(void **state)
{
	struct fixture *f = *state;

	request_set(f, basic(f, "a%3Ab:y"), "client_id=a%3Ab&grant_type=client_credentials");
	parse_ok(f, CLIENT_AUTH_BASIC, "a:b", "y");
	request_set(f, basic(f, "a:y"), "client_id=other");
	parse_fails(f, OAUTH_INVALID_REQUEST, false, "does not match");
}

static void
test_parse_post_reads_body(void **state)
{
	struct fixture *f = *state;

	request_set(f, NULL, "grant_type=client_credentials&client_id=c%3A1&client_secret=s+%25");
	parse_ok(f, CLIENT_AUTH_POST, "c:1", "s %");
}

static void
test_parse_none_reads_client_id_only(void **state)
{
	struct fixture *f = *state;

	request_set(f, NULL, "client_id=public&code=abc");
	parse_ok(f, CLIENT_AUTH_NONE, "public", "");
	/* RFC 6749 §3.1: an empty value is an omitted parameter. */
	request_set(f, NULL, "client_id=public&client_secret=");
	parse_ok(f, CLIENT_AUTH_NONE, "public", "");
}

static void
test_parse_without_credentials_is_invalid_client(void **state)
{
	struct fixture *f = *state;

	request_set(f, NULL, "grant_type=client_credentials");
	parse_fails(f, OAUTH_INVALID_CLIENT, false, "required");
	request_set(f, NULL, "client_id=&client_secret=y");
	parse_fails(f, OAUTH_INVALID_CLIENT, false, "required");
}

#define ASSERTION_TYPE "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
/* The same, inside a printf format. */
#define ASSERTION_TYPE_FMT "urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer"

/* A compact JWS with this header and payload JSON and a dummy signature. */
static const char *
unsigned_jwt(struct fixture *f, const char *header, const char *payload)
{
	return arena_printf(f->arena, "%s.%s.AAAA",
	                    b64url_encode_arena(f->arena, header, strlen(header)),
	                    b64url_encode_arena(f->arena, payload, strlen(payload)));
}

#define CLAIMS_X                                                                                   \
	"{\"iss\":\"x\",\"sub\":\"x\",\"aud\":\"https://id.example.com\",\"exp\":1800000060,"      \
	"\"jti\":\"j\"}"

static void
test_parse_reads_client_assertion(void **state)
{
	struct fixture *f = *state;
	const char *jwt = unsigned_jwt(f, "{\"alg\":\"ES256\",\"kid\":\"k\"}", CLAIMS_X);

	request_set(f, NULL,
	            arena_printf(f->arena,
	                         "client_assertion_type=" ASSERTION_TYPE_FMT "&client_assertion=%s",
	                         jwt));
	parse_ok(f, CLIENT_AUTH_PRIVATE_KEY_JWT, "x", "");
	assert_non_null(f->creds.assertion);
	assert_string_equal(f->creds.assertion->jti, "j");
	/* OIDC Core §9: the optional client_id must be the iss. */
	request_set(f, NULL,
	            arena_printf(f->arena,
	                         "client_id=x&client_assertion_type=" ASSERTION_TYPE_FMT
	                         "&client_assertion=%s",
	                         jwt));
	parse_ok(f, CLIENT_AUTH_PRIVATE_KEY_JWT, "x", "");
	request_set(f, NULL,
	            arena_printf(f->arena,
	                         "client_id=y&client_assertion_type=" ASSERTION_TYPE_FMT
	                         "&client_assertion=%s",
	                         jwt));
	parse_fails(f, OAUTH_INVALID_CLIENT, false, "not the client_assertion's iss");
}

static void
test_parse_rejects_bad_client_assertions(void **state)
{
	struct fixture *f = *state;

	request_set(f, NULL, "client_assertion_type=" ASSERTION_TYPE);
	parse_fails(f, OAUTH_INVALID_REQUEST, false, "go together");
	request_set(f, NULL, "client_assertion_type=urn%3Ax&client_assertion=a.b.c");
	parse_fails(f, OAUTH_INVALID_CLIENT, false, "unsupported client_assertion_type");
	request_set(f, NULL, "client_assertion_type=" ASSERTION_TYPE "&client_assertion=e30.e30.");
	parse_fails(f, OAUTH_INVALID_CLIENT, false, "not a compact JWS");
	/* RFC 8725 §3.1: none and HMAC are never accepted for a client assertion. */
	request_set(f, NULL,
	            arena_printf(f->arena,
	                         "client_assertion_type=" ASSERTION_TYPE_FMT "&client_assertion=%s",
	                         unsigned_jwt(f, "{\"alg\":\"none\"}", CLAIMS_X)));
	parse_fails(f, OAUTH_INVALID_CLIENT, false, "client_assertion");
	request_set(f, NULL,
	            arena_printf(f->arena,
	                         "client_assertion_type=" ASSERTION_TYPE_FMT "&client_assertion=%s",
	                         unsigned_jwt(f, "{\"alg\":\"HS256\"}", CLAIMS_X)));
	parse_fails(f, OAUTH_INVALID_CLIENT, false, "alg is not an accepted algorithm");
	request_set(f, NULL,
	            arena_printf(f->arena,
	                         "client_assertion_type=" ASSERTION_TYPE_FMT "&client_assertion=%s",
	                         unsigned_jwt(f, "{\"alg\":\"RS256\"}",
	                                      "{\"iss\":\"x\",\"sub\":\"x\",\"aud\":\"a\"}")));
	parse_fails(f, OAUTH_INVALID_CLIENT, false, "exp is required");
	request_set(f, NULL,
	            arena_printf(f->arena,
	                         "client_assertion_type=" ASSERTION_TYPE_FMT "&client_assertion=%s",
	                         unsigned_jwt(f, "{\"alg\":\"RS256\"}",
	                                      "{\"iss\":\"x\",\"aud\":\"a\",\"exp\":1}")));
	parse_fails(f, OAUTH_INVALID_CLIENT, false, "sub is required");
	/* One method per request (RFC 6749 §2.3). */
	request_set(f, basic(f, "x:y"),
	            "client_assertion_type=" ASSERTION_TYPE "&client_assertion=a.b.c");
	parse_fails(f, OAUTH_INVALID_REQUEST, false, "more than one");
}

static void
test_parse_rejects_too_long_secrets(void **state)
{
	struct fixture *f = *state;
	char longest[CLIENT_AUTH_SECRET_MAX], pair[CLIENT_AUTH_SECRET_MAX + 8];

	memset(longest, 's', sizeof longest - 1);
	longest[sizeof longest - 1] = '\0';
	snprintf(pair, sizeof pair, "x:%s", longest);
	request_set(f, basic(f, pair), NULL);
	parse_ok(f, CLIENT_AUTH_BASIC, "x", longest);
	request_set(f, NULL, arena_printf(f->arena, "client_id=x&client_secret=%s", longest));
	parse_ok(f, CLIENT_AUTH_POST, "x", longest);

	request_set(f, basic(f, arena_printf(f->arena, "%ss", pair)), NULL);
	parse_fails(f, OAUTH_INVALID_CLIENT, true, "too long");
	request_set(f, NULL, arena_printf(f->arena, "client_id=x&client_secret=%ss", longest));
	parse_fails(f, OAUTH_INVALID_CLIENT, false, "too long");
}

/* Creates a client (admin policy) from JSON; returns its secret (NULL for public clients). */
static const char *
create_client(struct fixture *f, const char *json)
{
	struct client_problem problem;
	struct err err;
	json_t *in = json_loads(json, 0, NULL), *out = NULL;
	const char *secret;

	assert_non_null(in);
	assert_int_equal(
	        clients_create(&f->app, CLIENT_POLICY_ADMIN, in, f->arena, &out, &problem, &err),
	        ST_OK);
	secret = json_string_value(json_object_get(out, "client_secret"));
	secret = secret != NULL ? arena_strdup(f->arena, secret) : NULL;
	json_decref(out);
	json_decref(in);
	return secret;
}

#define CC_CLIENT(id, method)                                                                      \
	"{\"client_id\":\"" id "\",\"grant_types\":[\"client_credentials\"],"                      \
	"\"response_types\":[],\"token_endpoint_auth_method\":\"" method "\"}"

/* Parses the current request and checks it; returns the check's status. */
static enum status
authenticate(struct fixture *f, struct client_record *rec)
{
	struct err err;
	enum status st;

	assert_int_equal(client_auth_parse(&f->req, f->arena, &f->creds, &f->e), ST_OK);
	st = client_auth_check(&f->app, &f->creds, f->arena, rec, &f->e, &err);
	client_auth_credentials_wipe(&f->creds);
	return st;
}

static void
assert_authenticated(struct fixture *f, const char *id)
{
	struct client_record rec;

	assert_int_equal(authenticate(f, &rec), ST_OK);
	assert_string_equal(rec.row.id, id);
	assert_non_null(rec.doc);
	clients_record_clear(&rec);
}

static void
assert_refused(struct fixture *f, bool is_basic, const char *text)
{
	struct client_record rec;

	assert_int_equal(authenticate(f, &rec), ST_INVALID);
	assert_int_equal(f->e.error, OAUTH_INVALID_CLIENT);
	assert_int_equal(f->e.is_basic, is_basic);
	assert_non_null(strstr(f->e.description, text));
}

static void
test_check_accepts_basic_with_generated_secret(void **state)
{
	struct fixture *f = *state;
	const char *secret = create_client(f, CC_CLIENT("svc", "client_secret_basic"));

	request_set(f, basic(f, arena_printf(f->arena, "svc:%s", secret)), NULL);
	assert_authenticated(f, "svc");
}

/* RFC 6749 §2.3.1 end to end: an admin-chosen id and secret with ':' '%' '+' and UTF-8. */
static void
test_check_accepts_basic_with_encoded_special_characters(void **state)
{
	struct fixture *f = *state;

	create_client(f,
	              "{\"client_id\":\"my:client%+id\",\"client_secret\":\"p\xc3\xa4ss:w%rd+ x\","
	              "\"grant_types\":[\"client_credentials\"],\"response_types\":[]}");
	request_set(f, basic(f, "my%3Aclient%25%2Bid:p%C3%A4ss%3Aw%25rd%2B+x"), NULL);
	assert_authenticated(f, "my:client%+id");
	/* Unencoded '+' means a space, so the raw secret does not verify. */
	request_set(f, basic(f, "my%3Aclient%25%2Bid:p%C3%A4ss%3Aw%25rd++x"), NULL);
	assert_refused(f, true, "authentication failed");
}

static void
test_check_rejects_wrong_secret(void **state)
{
	struct fixture *f = *state;
	const char *secret = create_client(f, CC_CLIENT("svc", "client_secret_basic"));

	request_set(f, basic(f, arena_printf(f->arena, "svc:%sx", secret)), NULL);
	assert_refused(f, true, "client authentication failed");
	request_set(f, basic(f, "svc:"), NULL);
	assert_refused(f, true, "client authentication failed");
}

/* An unknown client gets the same answer as a wrong secret. */
static void
test_check_rejects_unknown_client(void **state)
{
	struct fixture *f = *state;

	request_set(f, basic(f, "nobody:secret"), NULL);
	assert_refused(f, true, "client authentication failed");
	request_set(f, NULL, "client_id=nobody&client_secret=secret");
	assert_refused(f, false, "client authentication failed");
	request_set(f, NULL, "client_id=nobody");
	assert_refused(f, false, "client authentication failed");
}

static void
test_check_accepts_post_client(void **state)
{
	struct fixture *f = *state;
	const char *secret = create_client(f, CC_CLIENT("poster", "client_secret_post"));

	request_set(f, NULL, arena_printf(f->arena, "client_id=poster&client_secret=%s", secret));
	assert_authenticated(f, "poster");
}

/* The method used must be the registered token_endpoint_auth_method (RFC 7591 §2). */
static void
test_check_rejects_method_mismatch(void **state)
{
	struct fixture *f = *state;
	const char *basic_secret = create_client(f, CC_CLIENT("b", "client_secret_basic"));
	const char *post_secret = create_client(f, CC_CLIENT("p", "client_secret_post"));

	request_set(f, NULL, arena_printf(f->arena, "client_id=b&client_secret=%s", basic_secret));
	assert_refused(f, false, "registered for token_endpoint_auth_method client_secret_basic");
	request_set(f, basic(f, arena_printf(f->arena, "p:%s", post_secret)), NULL);
	assert_refused(f, true, "registered for token_endpoint_auth_method client_secret_post");
	request_set(f, NULL, "client_id=b");
	assert_refused(f, false, "not none");
}

static void
test_check_none_only_for_public_clients(void **state)
{
	struct fixture *f = *state;

	assert_null(create_client(f,
	                          "{\"client_id\":\"spa\",\"token_endpoint_auth_method\":\"none\","
	                          "\"redirect_uris\":[\"https://app.example.com/cb\"]}"));
	request_set(f, NULL, "client_id=spa&code=abc");
	assert_authenticated(f, "spa");
	request_set(f, NULL, "client_id=spa&client_secret=guess");
	assert_refused(f, false, "registered for token_endpoint_auth_method none");
	request_set(f, basic(f, "spa:"), NULL);
	assert_refused(f, true, "registered for token_endpoint_auth_method none");
}

/* ---- private_key_jwt (RFC 7523 §2.2, §3; OIDC Core §9) ---- */

/* Signing keys made once for the whole run (RSA generation is slow). */
static struct jwk *rsa_key, *ec_key, *ec_other_key;

static int
keys_setup(void **state)
{
	struct err err;

	(void)state;
	if (jwk_generate(JWS_ALG_RS256, 2048, &rsa_key, &err) != ST_OK ||
	    jwk_generate(JWS_ALG_ES256, 0, &ec_key, &err) != ST_OK ||
	    jwk_generate(JWS_ALG_ES256, 0, &ec_other_key, &err) != ST_OK)
		return -1;
	jwk_set_kid(rsa_key, "rsa-1");
	jwk_set_kid(ec_key, "ec-1");
	jwk_set_kid(ec_other_key, "ec-1"); /* the same kid, another key */
	return 0;
}

static int
keys_teardown(void **state)
{
	(void)state;
	jwk_free(rsa_key);
	jwk_free(ec_key);
	jwk_free(ec_other_key);
	return 0;
}

/* Registers a private_key_jwt client id with a JWK Set of key's public half. */
static void
create_jwt_client(struct fixture *f, const char *id, const struct jwk *key, const char *extra)
{
	json_t *pub = jwk_to_public_json(key);
	char *jwk = json_dumps(pub, JSON_COMPACT);

	create_client(f,
	              arena_printf(f->arena,
	                           "{\"client_id\":\"%s\",\"grant_types\":[\"client_credentials\"],"
	                           "\"response_types\":[],\"token_endpoint_auth_method\":"
	                           "\"private_key_jwt\",\"jwks\":{\"keys\":[%s]}%s}",
	                           id, jwk, extra));
	free(jwk);
	json_decref(pub);
}

#define TOKEN_ENDPOINT "https://id.example.com/oauth2/token"

/* What one assertion says; a NULL string claim is left out. */
struct claims {
	const char *iss;
	const char *sub;
	const char *aud;
	int64_t exp;
	const char *jti;
};

static struct claims
claims_for(const char *id, const char *jti)
{
	return (struct claims){id, id, TOKEN_ENDPOINT, NOW + 60, jti};
}

/* Signs c with key under alg, into a form body with the assertion. */
static const char *
assertion_body(struct fixture *f, const struct jwk *key, unsigned alg, const struct claims *c)
{
	json_t *payload = json_pack("{s:I}", "exp", (json_int_t)c->exp);
	char *text, *jwt = NULL;
	struct err err;

	if (c->iss != NULL)
		json_object_set_new(payload, "iss", json_string(c->iss));
	if (c->sub != NULL)
		json_object_set_new(payload, "sub", json_string(c->sub));
	if (c->aud != NULL)
		json_object_set_new(payload, "aud", json_string(c->aud));
	if (c->jti != NULL)
		json_object_set_new(payload, "jti", json_string(c->jti));
	json_object_set_new(payload, "iat", json_integer(NOW));
	text = json_dumps(payload, JSON_COMPACT);
	assert_int_equal(jws_sign(key, alg, NULL, text, strlen(text), f->arena, &jwt, &err), ST_OK);
	free(text);
	json_decref(payload);
	return arena_printf(
	        f->arena,
	        "grant_type=client_credentials&client_assertion_type=" ASSERTION_TYPE_FMT
	        "&client_assertion=%s",
	        jwt);
}

static void
test_check_accepts_private_key_jwt_rs256(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_for("rp", "jti-1");

	create_jwt_client(f, "rp", rsa_key, "");
	request_set(f, NULL, assertion_body(f, rsa_key, JWS_ALG_RS256, &c));
	assert_authenticated(f, "rp");
	/* The issuer is an accepted audience too. */
	c = claims_for("rp", "jti-2");
	c.aud = "https://id.example.com";
	request_set(f, NULL, assertion_body(f, rsa_key, JWS_ALG_RS256, &c));
	assert_authenticated(f, "rp");
}

static void
test_check_accepts_private_key_jwt_es256(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_for("rp", "jti-1");

	create_jwt_client(f, "rp", ec_key, ",\"token_endpoint_auth_signing_alg\":\"ES256\"");
	request_set(f, NULL, assertion_body(f, ec_key, JWS_ALG_ES256, &c));
	assert_authenticated(f, "rp");
}

/* A registered JWKS with a single key: an assertion without kid selects it. */
static void
test_check_single_key_without_kid(void **state)
{
	struct fixture *f = *state;
	json_t *pub = jwk_to_public_json(ec_key);
	struct claims c = claims_for("nokid", "jti-1");
	struct store_client row = {.id = "nokid", .created_at = NOW, .updated_at = NOW};
	struct jwk *unnamed = NULL;
	unsigned char *der = NULL;
	size_t der_len = 0;
	char *jwk;
	struct err err;

	/* Stored as is, without the kid registration would add. */
	json_object_del(pub, "kid");
	jwk = json_dumps(pub, JSON_COMPACT);
	row.metadata = arena_printf(f->arena,
	                            "{\"token_endpoint_auth_method\":\"private_key_jwt\","
	                            "\"jwks\":{\"keys\":[%s]}}",
	                            jwk);
	assert_int_equal(store_client_insert(f->app.store, &row, &err), ST_OK);
	assert_int_equal(jwk_private_to_der(ec_key, &der, &der_len, &err), ST_OK);
	assert_int_equal(jwk_private_from_der(der, der_len, JWS_ALG_ES256, &unnamed, &err), ST_OK);
	jwk_set_kid(unnamed, ""); /* jws_sign leaves the kid out */
	request_set(f, NULL, assertion_body(f, unnamed, JWS_ALG_ES256, &c));
	assert_authenticated(f, "nokid");
	/* The same with a kid in the header that the set does not name. */
	c.jti = "jti-2";
	request_set(f, NULL, assertion_body(f, ec_key, JWS_ALG_ES256, &c));
	assert_authenticated(f, "nokid");
	/* A registered set always has kids (thumbprints): no kid in the header still works. */
	create_jwt_client(f, "named", ec_key, "");
	c = claims_for("named", "jti-3");
	request_set(f, NULL, assertion_body(f, unnamed, JWS_ALG_ES256, &c));
	assert_authenticated(f, "named");
	jwk_free(unnamed);
	free(der);
	free(jwk);
	json_decref(pub);
}

static void
test_check_rejects_assertion_with_wrong_aud(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_for("rp", "jti-1");

	create_jwt_client(f, "rp", ec_key, "");
	c.aud = "https://other.example.com/oauth2/token";
	request_set(f, NULL, assertion_body(f, ec_key, JWS_ALG_ES256, &c));
	assert_refused(f, false, "aud names neither");
}

static void
test_check_rejects_expired_assertion(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_for("rp", "jti-1");

	create_jwt_client(f, "rp", ec_key, "");
	/* 60 s of skew: exp one minute ago is too late, 59 s ago is not. */
	c.exp = NOW - CLIENT_ASSERTION_SKEW_SECS;
	request_set(f, NULL, assertion_body(f, ec_key, JWS_ALG_ES256, &c));
	assert_refused(f, false, "expired");
	c.exp = NOW - CLIENT_ASSERTION_SKEW_SECS + 1;
	request_set(f, NULL, assertion_body(f, ec_key, JWS_ALG_ES256, &c));
	assert_authenticated(f, "rp");
}

static void
test_check_rejects_assertion_without_jti(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_for("rp", NULL);

	create_jwt_client(f, "rp", ec_key, "");
	request_set(f, NULL, assertion_body(f, ec_key, JWS_ALG_ES256, &c));
	assert_refused(f, false, "jti is required");
}

static void
test_check_rejects_replayed_jti(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_for("rp", "once");
	const char *body;

	create_jwt_client(f, "rp", ec_key, "");
	body = assertion_body(f, ec_key, JWS_ALG_ES256, &c);
	request_set(f, NULL, body);
	assert_authenticated(f, "rp");
	request_set(f, NULL, body);
	assert_refused(f, false, "used already");
	/* Another assertion with the same jti is a replay as well. */
	request_set(f, NULL, assertion_body(f, ec_key, JWS_ALG_ES256, &c));
	assert_refused(f, false, "used already");
}

static void
test_check_rejects_iss_other_than_sub(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_for("rp", "jti-1");

	create_jwt_client(f, "rp", ec_key, "");
	create_jwt_client(f, "other", ec_key, "");
	c.sub = "other";
	request_set(f, NULL, assertion_body(f, ec_key, JWS_ALG_ES256, &c));
	assert_refused(f, false, "sub is not the client_id");
}

static void
test_check_rejects_assertion_signed_with_another_key(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_for("rp", "jti-1");

	create_jwt_client(f, "rp", ec_key, "");
	request_set(f, NULL, assertion_body(f, ec_other_key, JWS_ALG_ES256, &c));
	assert_refused(f, false, "does not verify");
	/* A key the client does not have at all (unknown kid). */
	request_set(f, NULL, assertion_body(f, rsa_key, JWS_ALG_RS256, &c));
	assert_refused(f, false, "no client key has this kid");
	/* A forged assertion recorded nothing: the genuine one with that jti passes. */
	request_set(f, NULL, assertion_body(f, ec_key, JWS_ALG_ES256, &c));
	assert_authenticated(f, "rp");
}

static void
test_check_limits_algs_to_registered_signing_alg(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_for("rp", "jti-1");

	create_jwt_client(f, "rp", rsa_key, ",\"token_endpoint_auth_signing_alg\":\"RS256\"");
	/* The same RSA key used with PS256: refused (RFC 8725 §3.1). */
	jwk_set_alg(rsa_key, JWS_ALG_PS256);
	request_set(f, NULL, assertion_body(f, rsa_key, JWS_ALG_PS256, &c));
	jwk_set_alg(rsa_key, JWS_ALG_RS256);
	assert_refused(f, false, "does not verify");
}

static void
test_check_method_must_match_registration(void **state)
{
	struct fixture *f = *state;
	const char *secret = create_client(f, CC_CLIENT("svc", "client_secret_basic"));
	struct claims c = claims_for("svc", "jti-1");

	/* An assertion for a secret client... */
	request_set(f, NULL, assertion_body(f, ec_key, JWS_ALG_ES256, &c));
	assert_refused(f, false, "not private_key_jwt");
	/* ...and a secret for a private_key_jwt client. */
	create_jwt_client(f, "rp", ec_key, "");
	request_set(f, basic(f, arena_printf(f->arena, "rp:%s", secret)), NULL);
	assert_refused(f, true, "registered for token_endpoint_auth_method private_key_jwt");
	/* An unknown client. */
	c = claims_for("nobody", "jti-1");
	request_set(f, NULL, assertion_body(f, ec_key, JWS_ALG_ES256, &c));
	assert_refused(f, false, "client authentication failed");
}

/* RFC 6749 §5.2: 401 plus WWW-Authenticate when the client used the Authorization header. */
static void
test_reply_challenges_only_basic_attempts(void **state)
{
	struct fixture *f = *state;
	struct client_auth_error e = {.error = OAUTH_INVALID_CLIENT, .is_basic = true};
	struct response res;

	strcpy(e.description, "client authentication failed");
	response_init(&res);
	assert_int_equal(client_auth_reply(&res, f->arena, &e), ST_OK);
	assert_int_equal(res.status, 401);
	assert_int_equal(res.nheaders, 1);
	assert_string_equal(res.headers[0].name, "WWW-Authenticate");
	assert_string_equal(res.headers[0].value, "Basic realm=\"oidcd\"");
	assert_non_null(strstr(res.body, "\"invalid_client\""));
	assert_non_null(strstr(res.body, "client authentication failed"));

	e.is_basic = false;
	response_init(&res);
	client_auth_reply(&res, f->arena, &e);
	assert_int_equal(res.status, 401);
	assert_int_equal(res.nheaders, 0);

	e.error = OAUTH_INVALID_REQUEST;
	response_init(&res);
	client_auth_reply(&res, f->arena, &e);
	assert_int_equal(res.status, 400);
	assert_int_equal(res.nheaders, 0);
	assert_non_null(strstr(res.body, "\"invalid_request\""));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_parse_basic_decodes_form_encoded_id_and_secret),
	        T(test_parse_basic_plus_is_space),
	        T(test_parse_basic_splits_at_first_colon),
	        T(test_parse_basic_scheme_is_case_insensitive),
	        T(test_parse_rejects_malformed_base64),
	        T(test_parse_rejects_basic_without_colon),
	        T(test_parse_rejects_empty_basic_client_id),
	        T(test_parse_rejects_bad_escapes_in_basic),
	        T(test_parse_rejects_other_authorization_schemes),
	        T(test_parse_rejects_basic_and_post_together),
	        T(test_parse_basic_allows_same_client_id_in_body),
	        T(test_parse_post_reads_body),
	        T(test_parse_none_reads_client_id_only),
	        T(test_parse_without_credentials_is_invalid_client),
	        T(test_parse_reads_client_assertion),
	        T(test_parse_rejects_bad_client_assertions),
	        T(test_parse_rejects_too_long_secrets),
	        T(test_check_accepts_basic_with_generated_secret),
	        T(test_check_accepts_basic_with_encoded_special_characters),
	        T(test_check_rejects_wrong_secret),
	        T(test_check_rejects_unknown_client),
	        T(test_check_accepts_post_client),
	        T(test_check_rejects_method_mismatch),
	        T(test_check_none_only_for_public_clients),
	        T(test_check_accepts_private_key_jwt_rs256),
	        T(test_check_accepts_private_key_jwt_es256),
	        T(test_check_single_key_without_kid),
	        T(test_check_rejects_assertion_with_wrong_aud),
	        T(test_check_rejects_expired_assertion),
	        T(test_check_rejects_assertion_without_jti),
	        T(test_check_rejects_replayed_jti),
	        T(test_check_rejects_iss_other_than_sub),
	        T(test_check_rejects_assertion_signed_with_another_key),
	        T(test_check_limits_algs_to_registered_signing_alg),
	        T(test_check_method_must_match_registration),
	        T(test_reply_challenges_only_basic_attempts),
	};

	return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
