/*
 * server/client_auth.c — client authentication at /oauth2/token and
 * /oauth2/revoke. See client_auth.h.
 *
 * API: client_auth_parse (request → credentials, no I/O, fuzzed by
 * tests/fuzz/fuzz_client_auth.c), client_auth_check (credentials → the
 * stored client), client_auth_reply (the 400/401 answer).
 *
 * Invariants:
 *   - the presented secret is only ever in creds->secret or in a stack
 *     buffer wiped before return, never in the arena or an error text;
 *   - exactly one method per request (RFC 6749 §2.3), and it must be the
 *     client's registered token_endpoint_auth_method (RFC 7591 §2);
 *   - an unknown client, a method mismatch and a wrong secret all cost one
 *     secret verification, so the time of a failure does not tell whether
 *     the client exists (a stored scrypt hash costs more: admin-chosen
 *     secrets are the rare case).
 *
 *   - private_key_jwt has no secret: its proof is the assertion's signature
 *     (client_jwks.c) and the single use of its jti (store_jti_use).
 *
 * To add a method: recognise it in client_auth_parse, add its enum constant
 * and name in method_name, verify it in client_auth_check.
 */
#include "server/client_auth.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto/secret.h"
#include "server/client_jwks.h"
#include "server/secrets.h"

/* Longest decoded Basic credentials (id ':' secret, both still encoded). */
#define BASIC_RAW_MAX 3072

/*
 * A well-formed stored hash no presented secret matches, verified when
 * there is no real one, so failures take the time of a real verification.
 */
static const char dummy_hash[] = "hmac:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

static enum status fail(struct client_auth_error *e, enum oauth_error code, bool is_basic,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum status
fail(struct client_auth_error *e, enum oauth_error code, bool is_basic, const char *fmt, ...)
{
	va_list ap;

	e->error = code;
	e->is_basic = is_basic;
	va_start(ap, fmt);
	vsnprintf(e->description, sizeof e->description, fmt, ap);
	va_end(ap);
	return ST_INVALID;
}

/* RFC 6749 §3.1: a parameter sent without a value is treated as omitted. */
static const char *
form_value(const struct request *req, const char *name)
{
	const char *v = request_form(req, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Standard base64 with padding (RFC 4648 §4, as RFC 7617 §2 uses it):
 * length a multiple of 4, '=' only as the last one or two characters, and
 * the unused bits of the last group zero (canonical). False otherwise or
 * when out (cap bytes) is too small.
 */
static bool
b64_decode(const char *in, size_t n, unsigned char *out, size_t cap, size_t *out_len)
{
	size_t i, pad = 0, len = 0;
	unsigned long group;

	if (n == 0 || n % 4 != 0)
		return false;
	if (in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	if (n / 4 * 3 - pad > cap)
		return false;
	for (i = 0; i < n; i += 4) {
		size_t k, nchars = i + 4 == n ? 4 - pad : 4;

		group = 0;
		for (k = 0; k < 4; k++) {
			int v = k < nchars ? b64_value(in[i + k]) : 0;

			if (v < 0)
				return false;
			group = group << 6 | (unsigned long)v;
		}
		out[len++] = (unsigned char)(group >> 16);
		if (nchars > 2)
			out[len++] = (unsigned char)(group >> 8);
		if (nchars > 3)
			out[len++] = (unsigned char)group;
		/* Canonical form: the bits the padding leaves unused are zero. */
		if ((nchars == 2 && (group & 0xffff) != 0) || (nchars == 3 && (group & 0xff) != 0))
			return false;
	}
	*out_len = len;
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * application/x-www-form-urlencoded decoding ('+' is a space) of s[0..n)
 * into out (cap bytes, NUL-terminated), the way form_unescape decodes the
 * id, but into a buffer that is not the arena. False on a bad escape, an
 * encoded NUL or when out is too small.
 */
static bool
unescape_into(const unsigned char *s, size_t n, char *out, size_t cap, size_t *out_len)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		int c = s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return false;
			hi = hexval((char)s[i + 1]);
			lo = hexval((char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return false;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (len + 1 >= cap)
			return false;
		out[len++] = (char)c;
	}
	out[len] = '\0';
	*out_len = len;
	return true;
}

/*
 * RFC 6749 §2.3.1 with RFC 7617 §2: "Basic" (case-insensitive, RFC 7235
 * §2.1), one or more spaces, base64 of the form-urlencoded client_id, ':'
 * (the first one: an encoded id holds none) and the form-urlencoded secret.
 */
static enum status
parse_basic(const char *h, struct arena *arena, struct client_credentials *out,
            struct client_auth_error *e)
{
	unsigned char raw[BASIC_RAW_MAX];
	const unsigned char *colon;
	size_t n, raw_len = 0, i;
	char *id = NULL;
	struct err err;
	enum status st;

	if (strncasecmp(h, "Basic", 5) != 0 || h[5] != ' ')
		return fail(e, OAUTH_INVALID_CLIENT, true,
		            "the Authorization header must use the Basic scheme");
	h += 5;
	while (*h == ' ')
		h++;
	n = strlen(h);
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (!b64_decode(h, n, raw, sizeof raw, &raw_len)) {
		st = fail(e, OAUTH_INVALID_CLIENT, true,
		          "malformed Basic credentials: not base64 (RFC 7617 section 2)");
		goto out;
	}
	/* An encoded id and secret are printable; control bytes (NUL) never are. */
	for (i = 0; i < raw_len; i++) {
		if (raw[i] < 0x20 || raw[i] == 0x7f) {
			st = fail(e, OAUTH_INVALID_CLIENT, true,
			          "malformed Basic credentials: control character");
			goto out;
		}
	}
	colon = memchr(raw, ':', raw_len);
	if (colon == NULL) {
		st = fail(e, OAUTH_INVALID_CLIENT, true,
		          "malformed Basic credentials: no ':' between client_id and secret");
		goto out;
	}
	if (form_unescape((const char *)raw, (size_t)(colon - raw), 1, arena, &id, &err) != ST_OK) {
		st = fail(e, OAUTH_INVALID_CLIENT, true,
		          "malformed Basic credentials: client_id: %s", err.msg);
		goto out;
	}
	if (*id == '\0') {
		st = fail(e, OAUTH_INVALID_CLIENT, true, "the client_id is empty");
		goto out;
	}
	if (!unescape_into(colon + 1, raw_len - (size_t)(colon + 1 - raw), out->secret,
	                   sizeof out->secret, &out->secret_len)) {
		st = fail(e, OAUTH_INVALID_CLIENT, true,
		          "malformed Basic credentials: the secret is badly escaped or too long");
		goto out;
	}
	out->client_id = id;
	out->method = CLIENT_AUTH_BASIC;
	st = ST_OK;
out:
	secret_wipe(raw, sizeof raw);
	return st;
}

/*
 * RFC 7523 §2.2: client_assertion_type names the JWT profile and
 * client_assertion holds the JWT, whose iss is the client_id (§3 item 1).
 * RFC 7521 §4.2.1: every failure is invalid_client, but a half-present pair
 * is a malformed request.
 */
static enum status
parse_assertion(const struct request *req, struct arena *arena, const char *form_id,
                struct client_credentials *out, struct client_auth_error *e)
{
	const char *type = form_value(req, "client_assertion_type");
	const char *jwt = form_value(req, "client_assertion");
	struct client_assertion *a;
	struct err err;

	if (type == NULL || jwt == NULL)
		return fail(e, OAUTH_INVALID_REQUEST, false,
		            "client_assertion and client_assertion_type go together");
	if (strcmp(type, CLIENT_ASSERTION_TYPE_JWT) != 0)
		return fail(e, OAUTH_INVALID_CLIENT, false,
		            "unsupported client_assertion_type (RFC 7523 section 2.2)");
	a = arena_alloc(arena, sizeof *a);
	if (client_assertion_parse(jwt, arena, a, &err) != ST_OK)
		return fail(e, OAUTH_INVALID_CLIENT, false, "%s", err.msg);
	/* OIDC Core §9: client_id in the body is optional, and must then be the iss. */
	if (form_id != NULL && strcmp(form_id, a->iss) != 0)
		return fail(e, OAUTH_INVALID_CLIENT, false,
		            "client_id in the body is not the client_assertion's iss");
	out->client_id = a->iss;
	out->assertion = a;
	out->method = CLIENT_AUTH_PRIVATE_KEY_JWT;
	return ST_OK;
}

enum status
client_auth_parse(const struct request *req, struct arena *arena, struct client_credentials *out,
                  struct client_auth_error *e)
{
	const char *header = request_header(req, "Authorization");
	const char *form_id = form_value(req, "client_id");
	const char *form_secret = form_value(req, "client_secret");
	bool has_assertion = form_value(req, "client_assertion") != NULL ||
	                     form_value(req, "client_assertion_type") != NULL;
	size_t len;
	enum status st;

	out->method = CLIENT_AUTH_NONE;
	out->client_id = NULL;
	out->secret[0] = '\0';
	out->secret_len = 0;
	out->assertion = NULL;

	/* RFC 6749 §2.3: "The client MUST NOT use more than one authentication method". */
	if ((header != NULL) + (form_secret != NULL) + has_assertion > 1)
		return fail(e, OAUTH_INVALID_REQUEST, false,
		            "more than one client authentication method was used");
	if (header != NULL) {
		st = parse_basic(header, arena, out, e);
		if (st != ST_OK)
			goto wipe;
		/* A client_id in the body next to Basic is not a second method, but it must
		 * name the same client. */
		if (form_id != NULL && strcmp(form_id, out->client_id) != 0) {
			st = fail(e, OAUTH_INVALID_REQUEST, false,
			          "client_id in the body does not match the Authorization header");
			goto wipe;
		}
		return ST_OK;
	}
	if (has_assertion)
		return parse_assertion(req, arena, form_id, out, e);
	if (form_id == NULL)
		/* RFC 6749 §5.2: "no client authentication included" is invalid_client. */
		return fail(e, OAUTH_INVALID_CLIENT, false, "client authentication is required");
	if (form_secret != NULL) {
		len = strlen(form_secret);
		if (len >= sizeof out->secret)
			return fail(e, OAUTH_INVALID_CLIENT, false, "client_secret is too long");
		memcpy(out->secret, form_secret, len + 1);
		out->secret_len = len;
		out->method = CLIENT_AUTH_POST;
	}
	out->client_id = arena_strdup(arena, form_id);
	return ST_OK;
wipe:
	client_auth_credentials_wipe(out);
	out->method = CLIENT_AUTH_NONE;
	out->client_id = NULL;
	out->secret_len = 0;
	return st;
}

/* RFC 7591 §2 names of the methods. */
static const char *
method_name(enum client_auth_method m)
{
	switch (m) {
	case CLIENT_AUTH_BASIC:
		return "client_secret_basic";
	case CLIENT_AUTH_POST:
		return "client_secret_post";
	case CLIENT_AUTH_PRIVATE_KEY_JWT:
		return "private_key_jwt";
	case CLIENT_AUTH_NONE:
		break;
	}
	return "none";
}

static void
dummy_verify(const struct app *app, const struct client_credentials *creds)
{
	struct err err;
	bool ok;

	(void)secrets_client_secret_verify(app->cfg, creds->secret, dummy_hash, &ok, &err);
}

struct jti_use {
	const char *client_id;
	const char *jti;
	int64_t expires_at;
	int64_t now;
};

static enum status
jti_use_apply(struct store *s, void *arg, struct err *err)
{
	const struct jti_use *u = arg;

	return store_jti_use(s, u->client_id, u->jti, u->expires_at, u->now, err);
}

/*
 * RFC 7523 §3 for a loaded private_key_jwt client: the claims, the
 * signature with one of its keys, then the single use of the jti (recorded
 * last, so a forged or expired assertion writes nothing). ST_INVALID with
 * *e filled, or a server failure.
 */
static enum status
check_assertion(const struct app *app, const struct client_credentials *creds,
                const struct client_record *rec, struct arena *arena, struct client_auth_error *e,
                struct err *err)
{
	const struct client_assertion *a = creds->assertion;
	const char *alg =
	        json_string_value(json_object_get(rec->doc, "token_endpoint_auth_signing_alg"));
	unsigned allowed = alg != NULL ? jws_alg_from_name(alg) : JWS_ALG_ALL;
	int64_t now = clock_now(&app->clock);
	struct jti_use use;
	struct err why = {0};
	enum status st;

	st = client_assertion_check_claims(a, creds->client_id, app->issuer,
	                                   arena_printf(arena, "%s/oauth2/token", app->issuer), now,
	                                   &why);
	if (st == ST_OK)
		st = client_jwks_verify(app, creds->client_id, rec->doc, &a->jws, allowed, arena,
		                        &why);
	if (st != ST_OK)
		return fail(e, OAUTH_INVALID_CLIENT, false, "%s", why.msg);
	/* Remembered as long as the assertion could be accepted (exp plus the skew). */
	use = (struct jti_use){creds->client_id, a->jti, a->exp + CLIENT_ASSERTION_SKEW_SECS, now};
	st = store_write_sync(app->store, jti_use_apply, &use, err);
	if (st == ST_CONFLICT)
		return fail(e, OAUTH_INVALID_CLIENT, false,
		            "client_assertion: this jti was used already (RFC 7523 section 3)");
	return st;
}

enum status
client_auth_check(const struct app *app, const struct client_credentials *creds,
                  struct arena *arena, struct client_record *out, struct client_auth_error *e,
                  struct err *err)
{
	bool is_basic = creds->method == CLIENT_AUTH_BASIC, ok = false;
	struct client_record rec = {0};
	const char *registered;
	enum status st;

	st = clients_load_shared(app, creds->client_id, arena, &rec, err);
	if (st == ST_NOT_FOUND) {
		if (creds->method != CLIENT_AUTH_PRIVATE_KEY_JWT)
			dummy_verify(app, creds);
		/* The same text as a wrong secret: the answer does not tell which. */
		st = fail(e, OAUTH_INVALID_CLIENT, is_basic, "client authentication failed");
		goto out;
	}
	if (st != ST_OK)
		goto out;

	/* RFC 7591 §2: absent means client_secret_basic. */
	registered = json_string_value(json_object_get(rec.doc, "token_endpoint_auth_method"));
	if (registered == NULL)
		registered = "client_secret_basic";
	if (strcmp(registered, method_name(creds->method)) != 0) {
		if (creds->method != CLIENT_AUTH_PRIVATE_KEY_JWT)
			dummy_verify(app, creds);
		st = fail(e, OAUTH_INVALID_CLIENT, is_basic,
		          "the client is registered for token_endpoint_auth_method %s, not %s",
		          registered, method_name(creds->method));
		goto out;
	}
	if (creds->method == CLIENT_AUTH_PRIVATE_KEY_JWT) {
		st = check_assertion(app, creds, &rec, arena, e, err);
		if (st != ST_OK)
			goto out;
	} else if (creds->method != CLIENT_AUTH_NONE) {
		st = secrets_client_secret_verify(app->cfg, creds->secret, rec.row.secret_hash, &ok,
		                                  err);
		if (st == ST_INVALID)
			/* A corrupt stored hash is the server's failure, not the client's. */
			st = ERR_SET(err, ST_IO, "client %s: stored secret hash is malformed",
			             creds->client_id);
		if (st != ST_OK)
			goto out;
		if (!ok) {
			st = fail(e, OAUTH_INVALID_CLIENT, is_basic,
			          "client authentication failed");
			goto out;
		}
	}
	*out = rec;
	rec.doc = NULL; /* now owned by *out */
	st = ST_OK;
out:
	clients_record_clear(&rec);
	return st;
}

enum status
client_auth_reply(struct response *res, struct arena *arena, const struct client_auth_error *e)
{
	oauth_error(res, arena, e->error, e->description[0] != '\0' ? e->description : NULL);
	/* RFC 6749 §5.2: a client that tried the Authorization header gets a 401 with a
	 * WWW-Authenticate challenge. */
	if (e->is_basic && oauth_error_status(e->error) == 401)
		response_header(res, "WWW-Authenticate", CLIENT_AUTH_CHALLENGE);
	return ST_OK;
}

void
client_auth_credentials_wipe(struct client_credentials *c)
{
	secret_wipe(c->secret, sizeof c->secret);
}

enum status
client_auth_request(const struct app *app, struct request *req, struct response *res,
                    struct client_record *out, enum client_auth_method *method_out)
{
	struct client_credentials creds;
	struct client_auth_error ae = {0};
	enum status st;

	memset(&creds, 0, sizeof creds);
	st = client_auth_parse(req, req->arena, &creds, &ae);
	if (st == ST_OK)
		st = client_auth_check(app, &creds, req->arena, out, &ae, &req->err);
	if (method_out != NULL)
		*method_out = creds.method;
	client_auth_credentials_wipe(&creds);
	if (st == ST_INVALID) {
		client_auth_reply(res, req->arena, &ae);
		return ST_INVALID;
	}
	if (st == ST_OK)
		req->client_id = out->row.id;
	return st;
}
