/*
 * server/authorize_request.c — authorization request parameters parsed,
 * then checked against the client; responses encoded for the redirect or
 * the form post page. See authorize_request.h for the calling sequence.
 *
 * API: authorize_request_parse(), authorize_redirect_uri_check(),
 * authorize_request_check(), authorize_error_params(),
 * authorize_redirect_url(), authorize_form_post_html().
 *
 * Invariants:
 *   - Only client_id and redirect_uri problems set must_not_redirect; every
 *     other refusal may be redirected once the redirect_uri is verified.
 *   - Error descriptions are fixed texts, never the raw input (a scope token
 *     may be named: RFC 6749 §3.3 allows neither '"' nor '\' in one); they
 *     are passed through describe(), so they are printable ASCII without
 *     '"' or '\' (RFC 6749 §4.1.2.1) whatever they hold.
 *   - Values are copied into the redirect byte for byte: percent-encoded in
 *     URLs, HTML-escaped in the form post page.
 *
 * To support another response type (hybrid, implicit): add its mask to
 * supported_response_types[] and the code that issues it in the handler.
 * To accept another parameter: add a member to struct authorize_request and
 * a step to parse_steps[].
 */
#include "server/authorize_request.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "server/uri.h"

/* Canonical spelling of each response type, indexed by its AUTHORIZE_RT_* mask. */
static const char *const response_names[8] = {
        NULL,       "code",          "token",          "code token",
        "id_token", "code id_token", "token id_token", "code token id_token",
};

/*
 * The code flow (OIDC Core §3.1), the implicit flow (§3.2: id_token,
 * id_token token) and the hybrid flow (§3.3: code id_token, code token,
 * code id_token token). A bare "token" (OAuth 2.0 implicit without OpenID)
 * is not offered.
 */
static const unsigned supported_response_types[] = {
        AUTHORIZE_RT_CODE,
        AUTHORIZE_RT_ID_TOKEN,
        AUTHORIZE_RT_ID_TOKEN | AUTHORIZE_RT_TOKEN,
        AUTHORIZE_RT_CODE | AUTHORIZE_RT_ID_TOKEN,
        AUTHORIZE_RT_CODE | AUTHORIZE_RT_TOKEN,
        AUTHORIZE_RT_CODE | AUTHORIZE_RT_ID_TOKEN | AUTHORIZE_RT_TOKEN,
};

/* Fills *e; the text is made safe for error_description (RFC 6749 §4.1.2.1). */
static enum status describe(struct authorize_error *e, enum oauth_error code,
                            bool must_not_redirect, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static enum status
describe(struct authorize_error *e, enum oauth_error code, bool must_not_redirect, const char *fmt,
         ...)
{
	va_list ap;
	char *p;

	e->error = code;
	e->must_not_redirect = must_not_redirect;
	va_start(ap, fmt);
	vsnprintf(e->description, sizeof e->description, fmt, ap);
	va_end(ap);
	for (p = e->description; *p != '\0'; p++) {
		if (*p == '"')
			*p = '\'';
		else if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '\\')
			*p = '?';
	}
	return ST_INVALID;
}

/* RFC 6749 §3.1: a parameter sent without a value is treated as omitted. */
static const char *
param(const struct form *f, const char *name)
{
	const char *v = form_get(f, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* RFC 6749 Appendix A: VSCHAR = %x20-7E. */
static bool
is_vschar_string(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* RFC 3986 §2.3 unreserved. */
static bool
is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 6749 §3.3: scope-token = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E. */
static bool
is_nqchar(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

/* True when s[0..n) is one of the space-separated words of list. */
static bool
has_word(const char *list, const char *s, size_t n)
{
	const char *p = list;
	size_t len;

	for (p += strspn(p, " "); *p != '\0'; p += len, p += strspn(p, " ")) {
		len = strcspn(p, " ");
		if (len == n && strncmp(p, s, n) == 0)
			return true;
	}
	return false;
}

/* A response type as a set of words; 0 when a word is unknown or repeated. */
static unsigned
response_mask(const char *s)
{
	unsigned mask = 0, bit;
	size_t n;

	for (s += strspn(s, " "); *s != '\0'; s += n, s += strspn(s, " ")) {
		n = strcspn(s, " ");
		if (n == 4 && strncmp(s, "code", 4) == 0)
			bit = AUTHORIZE_RT_CODE;
		else if (n == 5 && strncmp(s, "token", 5) == 0)
			bit = AUTHORIZE_RT_TOKEN;
		else if (n == 8 && strncmp(s, "id_token", 8) == 0)
			bit = AUTHORIZE_RT_ID_TOKEN;
		else
			return 0;
		if (mask & bit)
			return 0;
		mask |= bit;
	}
	return mask;
}

/*
 * client_id (RFC 6749 §2.2, Appendix A.1: VSCHAR) and redirect_uri (OIDC
 * Core §3.1.2.1: required; RFC 6749 §3.1.2: absolute, no fragment). Any
 * fault here is shown on a page, never redirected (RFC 6749 §4.1.2.1).
 */
static enum status
parse_client(const struct form *f, struct arena *arena, struct authorize_request *r,
             struct authorize_error *e)
{
	struct uri u;
	struct err err;

	r->client_id = param(f, "client_id");
	if (r->client_id == NULL)
		return describe(e, OAUTH_INVALID_REQUEST, true, "client_id is required");
	if (!is_vschar_string(r->client_id))
		return describe(e, OAUTH_INVALID_REQUEST, true, "client_id is malformed");
	r->redirect_uri = param(f, "redirect_uri");
	if (r->redirect_uri == NULL)
		return describe(e, OAUTH_INVALID_REQUEST, true, "redirect_uri is required");
	if (uri_parse(r->redirect_uri, arena, &u, &err) != ST_OK)
		return describe(e, OAUTH_INVALID_REQUEST, true,
		                "redirect_uri is not an absolute URI");
	if (u.fragment != NULL)
		return describe(e, OAUTH_INVALID_REQUEST, true,
		                "redirect_uri must not have a fragment");
	/* RFC 8252 §7.3: loopback IP literals, not "localhost" (§8.3). */
	r->is_redirect_uri_loopback_flex =
	        strcmp(u.scheme, "http") == 0 && u.userinfo == NULL &&
	        (u.host_kind == URI_HOST_IPV4 || u.host_kind == URI_HOST_IPV6) &&
	        uri_is_loopback_host(&u);
	return ST_OK;
}

/*
 * response_type (RFC 6749 §3.1.1) and response_mode (OAuth 2.0 Multiple
 * Response Types §2.1, §5; Form Post Response Mode §2). r->response_mode is
 * set even on failure, so the error goes back the way the client expects.
 */
static enum status
parse_response(const struct form *f, struct authorize_request *r, struct authorize_error *e)
{
	const char *rt = param(f, "response_type"), *mode = param(f, "response_mode");
	unsigned mask = rt != NULL ? response_mask(rt) : 0;
	enum authorize_response_mode fallback;

	/* Multiple Response Types §5: fragment once anything but a code is returned. */
	fallback =
	        (mask & ~AUTHORIZE_RT_CODE) != 0 ? AUTHORIZE_MODE_FRAGMENT : AUTHORIZE_MODE_QUERY;
	r->response_mode = fallback;
	if (mode != NULL && strcmp(mode, "query") == 0)
		r->response_mode = AUTHORIZE_MODE_QUERY;
	else if (mode != NULL && strcmp(mode, "fragment") == 0)
		r->response_mode = AUTHORIZE_MODE_FRAGMENT;
	else if (mode != NULL && strcmp(mode, "form_post") == 0)
		r->response_mode = AUTHORIZE_MODE_FORM_POST;
	else if (mode != NULL)
		return describe(e, OAUTH_INVALID_REQUEST, false,
		                "response_mode must be query, fragment or form_post");

	if (rt == NULL)
		return describe(e, OAUTH_INVALID_REQUEST, false, "response_type is required");
	if (mask == 0)
		return describe(e, OAUTH_UNSUPPORTED_RESPONSE_TYPE, false,
		                "response_type is not supported");
	/* Multiple Response Types §5: tokens must not travel in the query. */
	if (r->response_mode == AUTHORIZE_MODE_QUERY && fallback != AUTHORIZE_MODE_QUERY) {
		r->response_mode = fallback;
		return describe(e, OAUTH_INVALID_REQUEST, false,
		                "response_mode query cannot carry this response_type");
	}
	r->response_types = mask;
	r->response_type = response_names[mask];
	return ST_OK;
}

/* OIDC Core §6.1, §6.2: neither request objects nor request_uri are supported. */
static enum status
parse_request_objects(const struct form *f, struct arena *arena, struct authorize_request *r,
                      struct authorize_error *e)
{
	(void)arena;
	(void)r;
	if (param(f, "request") != NULL)
		return describe(e, OAUTH_REQUEST_NOT_SUPPORTED, false,
		                "the request parameter is not supported");
	if (param(f, "request_uri") != NULL)
		return describe(e, OAUTH_REQUEST_URI_NOT_SUPPORTED, false,
		                "the request_uri parameter is not supported");
	return ST_OK;
}

/* RFC 6749 §3.3: space-delimited NQCHAR tokens; repeats are dropped, order kept. */
static enum status
parse_scope(const struct form *f, struct arena *arena, struct authorize_request *r,
            struct authorize_error *e)
{
	const char *s = param(f, "scope"), *p, **v;
	struct buf b = {0};
	size_t len, i, n = 0;

	if (s == NULL)
		return ST_OK;
	v = arena_alloc(arena, (strlen(s) / 2 + 1) * sizeof *v);
	for (p = s + strspn(s, " "); *p != '\0'; p += len, p += strspn(p, " ")) {
		len = strcspn(p, " ");
		for (i = 0; i < len; i++)
			if (!is_nqchar((unsigned char)p[i]))
				goto bad;
		if (b.data != NULL && has_word(b.data, p, len))
			continue;
		if (b.len > 0)
			buf_putc(&b, ' ');
		buf_append(&b, p, len);
		v[n++] = arena_strndup(arena, p, len);
	}
	if (n > 0) {
		r->scope = arena_strdup(arena, b.data);
		r->scopes = v;
		r->scopes_count = n;
	}
	buf_free(&b);
	return ST_OK;
bad:
	buf_free(&b);
	return describe(e, OAUTH_INVALID_SCOPE, false, "scope holds a character not allowed");
}

/*
 * RFC 7636 §4.2, §4.3: a code_challenge of 43-128 unreserved characters,
 * method S256. Without a method the challenge would be "plain" (§4.3),
 * which oidcd refuses like an explicit "plain" (§7.2: plain only for
 * clients that cannot hash).
 */
static enum status
parse_pkce(const struct form *f, struct arena *arena, struct authorize_request *r,
           struct authorize_error *e)
{
	const char *challenge = param(f, "code_challenge");
	const char *method = param(f, "code_challenge_method");
	size_t i, n;

	(void)arena;
	if (challenge == NULL && method == NULL)
		return ST_OK;
	if (challenge == NULL)
		return describe(e, OAUTH_INVALID_REQUEST, false,
		                "code_challenge_method given without code_challenge");
	if (method == NULL || strcmp(method, "S256") != 0)
		return describe(e, OAUTH_INVALID_REQUEST, false,
		                "code_challenge_method must be S256 (plain is not supported)");
	n = strlen(challenge);
	if (n < 43 || n > 128)
		return describe(e, OAUTH_INVALID_REQUEST, false,
		                "code_challenge must be 43 to 128 characters");
	for (i = 0; i < n; i++)
		if (!is_unreserved((unsigned char)challenge[i]))
			return describe(e, OAUTH_INVALID_REQUEST, false,
			                "code_challenge holds a character not allowed");
	r->code_challenge = challenge;
	r->code_challenge_method = method;
	return ST_OK;
}

/* OIDC Core §3.1.2.1: prompt is a space-delimited set; "none" stands alone. */
static enum status
parse_prompt(const struct form *f, struct arena *arena, struct authorize_request *r,
             struct authorize_error *e)
{
	const char *s = param(f, "prompt"), *p;
	unsigned bit;
	size_t n;

	(void)arena;
	if (s == NULL)
		return ST_OK;
	for (p = s + strspn(s, " "); *p != '\0'; p += n, p += strspn(p, " ")) {
		n = strcspn(p, " ");
		if (n == 4 && strncmp(p, "none", n) == 0)
			bit = AUTHORIZE_PROMPT_NONE;
		else if (n == 5 && strncmp(p, "login", n) == 0)
			bit = AUTHORIZE_PROMPT_LOGIN;
		else if (n == 7 && strncmp(p, "consent", n) == 0)
			bit = AUTHORIZE_PROMPT_CONSENT;
		else if (n == 14 && strncmp(p, "select_account", n) == 0)
			bit = AUTHORIZE_PROMPT_SELECT_ACCOUNT;
		else
			return describe(e, OAUTH_INVALID_REQUEST, false,
			                "prompt must be none, login, consent or select_account");
		r->prompt |= bit;
	}
	if ((r->prompt & AUTHORIZE_PROMPT_NONE) && r->prompt != AUTHORIZE_PROMPT_NONE)
		return describe(e, OAUTH_INVALID_REQUEST, false,
		                "prompt none cannot be combined with another value");
	return ST_OK;
}

/* OIDC Core §3.1.2.1: max_age is a non-negative number of seconds. */
static enum status
parse_max_age(const struct form *f, struct arena *arena, struct authorize_request *r,
              struct authorize_error *e)
{
	const char *s = param(f, "max_age"), *p;
	int64_t v = 0;

	(void)arena;
	if (s == NULL)
		return ST_OK;
	/* 18 digits always fit in int64_t. */
	if (strlen(s) > 18)
		return describe(e, OAUTH_INVALID_REQUEST, false, "max_age is too large");
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return describe(e, OAUTH_INVALID_REQUEST, false,
			                "max_age must be a non-negative integer");
		v = v * 10 + (*p - '0');
	}
	r->max_age_secs = v;
	return ST_OK;
}

/* OIDC Core §3.1.2.1: display is one of four words. */
static enum status
parse_display(const struct form *f, struct arena *arena, struct authorize_request *r,
              struct authorize_error *e)
{
	static const char *const values[] = {"page", "popup", "touch", "wap"};
	const char *s = param(f, "display");
	size_t i;

	(void)arena;
	if (s == NULL)
		return ST_OK;
	for (i = 0; i < sizeof values / sizeof values[0]; i++) {
		if (strcmp(s, values[i]) == 0) {
			r->display = values[i];
			return ST_OK;
		}
	}
	return describe(e, OAUTH_INVALID_REQUEST, false,
	                "display must be page, popup, touch or wap");
}

/* OIDC Core §5.5: claims is a JSON object whose userinfo and id_token members are objects. */
static enum status
parse_claims(const struct form *f, struct arena *arena, struct authorize_request *r,
             struct authorize_error *e)
{
	const char *s = param(f, "claims");
	json_error_t jerr;
	json_t *doc, *m;
	bool is_ok;

	(void)arena;
	if (s == NULL)
		return ST_OK;
	doc = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
	is_ok = json_is_object(doc);
	if (is_ok) {
		m = json_object_get(doc, "userinfo");
		is_ok = m == NULL || json_is_object(m);
		m = json_object_get(doc, "id_token");
		is_ok = is_ok && (m == NULL || json_is_object(m));
	}
	json_decref(doc);
	if (!is_ok)
		return describe(e, OAUTH_INVALID_REQUEST, false,
		                "claims must be a JSON object (OIDC Core 5.5)");
	r->claims = s;
	return ST_OK;
}

/* Parameters taken as they are; their meaning is the handler's (OIDC Core §3.1.2.1). */
static enum status
parse_plain(const struct form *f, struct arena *arena, struct authorize_request *r,
            struct authorize_error *e)
{
	(void)arena;
	(void)e;
	r->nonce = param(f, "nonce");
	r->id_token_hint = param(f, "id_token_hint");
	r->login_hint = param(f, "login_hint");
	r->acr_values = param(f, "acr_values");
	r->ui_locales = param(f, "ui_locales");
	r->claims_locales = param(f, "claims_locales");
	return ST_OK;
}

typedef enum status parse_step_fn(const struct form *f, struct arena *arena,
                                  struct authorize_request *r, struct authorize_error *e);

/* After client_id, redirect_uri and response_type, in the order errors are reported. */
static parse_step_fn *const parse_steps[] = {
        parse_request_objects, parse_scope,   parse_pkce,   parse_prompt,
        parse_max_age,         parse_display, parse_claims, parse_plain,
};

enum status
authorize_request_parse(const struct form *params, struct arena *arena,
                        struct authorize_request *out, struct authorize_error *e)
{
	struct authorize_request r;
	enum status st;
	size_t i;

	memset(&r, 0, sizeof r);
	r.max_age_secs = -1;
	st = parse_client(params, arena, &r, e);
	if (st != ST_OK)
		return st;
	/* RFC 6749 §4.1.2.1: state goes back with errors too, so it is taken first. */
	r.state = param(params, "state");
	st = parse_response(params, &r, e);
	for (i = 0; st == ST_OK && i < sizeof parse_steps / sizeof parse_steps[0]; i++)
		st = parse_steps[i](params, arena, &r, e);
	*out = r;
	return st;
}

/* Splits "http://HOST[:PORT]REST" into HOST and REST; false when s has another shape. */
static bool
split_loopback(const char *s, const char **host, size_t *host_len, const char **rest)
{
	const char *p;

	if (strncmp(s, "http://", 7) != 0)
		return false;
	p = *host = s + 7;
	if (*p == '[')
		p += strcspn(p, "]") + (strchr(p, ']') != NULL ? 1 : 0);
	else
		p += strcspn(p, ":/?#");
	*host_len = (size_t)(p - *host);
	if (*p == ':')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	*rest = p;
	return *p == '\0' || *p == '/' || *p == '?';
}

/* RFC 8252 §7.3: the same loopback URI but for the port. */
static bool
is_loopback_port_variant(const char *requested, const char *registered)
{
	const char *h1, *h2, *r1, *r2;
	size_t n1, n2;

	return split_loopback(requested, &h1, &n1, &r1) &&
	       split_loopback(registered, &h2, &n2, &r2) && n1 == n2 && strncmp(h1, h2, n1) == 0 &&
	       strcmp(r1, r2) == 0;
}

static const char *
doc_string(const json_t *doc, const char *name)
{
	return json_string_value(json_object_get(doc, name));
}

enum status
authorize_redirect_uri_check(const struct authorize_request *r, const json_t *client_doc,
                             struct authorize_error *e)
{
	const json_t *uris = json_object_get(client_doc, "redirect_uris");
	const char *app_type = doc_string(client_doc, "application_type");
	bool is_native = app_type != NULL && strcmp(app_type, "native") == 0;
	const char *s;
	size_t i;

	if (r->redirect_uri == NULL)
		return describe(e, OAUTH_INVALID_REQUEST, true, "redirect_uri is required");
	for (i = 0; i < json_array_size(uris); i++) {
		s = json_string_value(json_array_get(uris, i));
		if (s == NULL)
			continue;
		/* RFC 6749 §3.1.2.3, OIDC Core §3.1.2.1: simple string comparison. */
		if (strcmp(s, r->redirect_uri) == 0)
			return ST_OK;
		if (is_native && r->is_redirect_uri_loopback_flex &&
		    is_loopback_port_variant(r->redirect_uri, s))
			return ST_OK;
	}
	return describe(e, OAUTH_INVALID_REQUEST, true,
	                "redirect_uri is not registered for this client");
}

/* Supported by oidcd, then registered by the client (RFC 6749 §4.1.2.1). */
static enum status
check_response_type(const struct authorize_request *r, const json_t *doc, struct authorize_error *e)
{
	const json_t *types = json_object_get(doc, "response_types");
	const char *s;
	size_t i;

	for (i = 0; i < sizeof supported_response_types / sizeof supported_response_types[0]; i++)
		if (supported_response_types[i] == r->response_types)
			break;
	if (r->response_types == 0 ||
	    i == sizeof supported_response_types / sizeof supported_response_types[0])
		return describe(e, OAUTH_UNSUPPORTED_RESPONSE_TYPE, false,
		                "response_type is not supported");
	for (i = 0; i < json_array_size(types); i++) {
		s = json_string_value(json_array_get(types, i));
		if (s != NULL && response_mask(s) == r->response_types)
			break;
	}
	if (i == json_array_size(types))
		return describe(e, OAUTH_UNAUTHORIZED_CLIENT, false,
		                "response_type is not registered for this client");
	/* OIDC Core §3.2.2.1, §3.3.2.11: the implicit and hybrid flows need a nonce. */
	if (r->response_types != AUTHORIZE_RT_CODE && r->nonce == NULL)
		return describe(e, OAUTH_INVALID_REQUEST, false,
		                "nonce is required with this response_type");
	return ST_OK;
}

/*
 * OIDC Core §3.1.2.1: scope must contain openid. RFC 6749 §3.3: each
 * requested scope must be one the client may ask for (its "scope" member),
 * openid included.
 */
static enum status
check_scope(const struct authorize_request *r, const json_t *doc, struct authorize_error *e)
{
	const char *allowed = doc_string(doc, "scope");
	size_t i;

	if (r->scope == NULL || !has_word(r->scope, "openid", 6))
		return describe(e, OAUTH_INVALID_SCOPE, false, "scope must include openid");
	for (i = 0; i < r->scopes_count; i++)
		if (allowed == NULL || !has_word(allowed, r->scopes[i], strlen(r->scopes[i])))
			return describe(e, OAUTH_INVALID_SCOPE, false,
			                "scope %.64s is not allowed for this client", r->scopes[i]);
	return ST_OK;
}

/*
 * RFC 7636 §4.4.1, RFC 9700 §2.1.1: public clients (and every client when
 * enforced) must send a code challenge with a code request. A client
 * document without token_endpoint_auth_method counts as public: the stored
 * documents always have one, and the doubt falls on the safe side.
 */
static enum status
check_pkce(const struct authorize_request *r, const json_t *doc, bool is_pkce_enforced,
           struct authorize_error *e)
{
	const char *method = doc_string(doc, "token_endpoint_auth_method");
	bool is_public = method == NULL || strcmp(method, "none") == 0;

	if (!(r->response_types & AUTHORIZE_RT_CODE) || r->code_challenge != NULL)
		return ST_OK;
	if (is_public || is_pkce_enforced)
		return describe(e, OAUTH_INVALID_REQUEST, false,
		                "code_challenge required (PKCE with S256)");
	return ST_OK;
}

enum status
authorize_request_check(const struct authorize_request *r, const json_t *client_doc,
                        bool is_pkce_enforced, struct authorize_error *e)
{
	enum status st;

	st = authorize_redirect_uri_check(r, client_doc, e);
	if (st == ST_OK)
		st = check_response_type(r, client_doc, e);
	if (st == ST_OK)
		st = check_scope(r, client_doc, e);
	if (st == ST_OK)
		st = check_pkce(r, client_doc, is_pkce_enforced, e);
	return st;
}

size_t
authorize_error_params(const struct authorize_error *e, const char *state, struct form_param out[3])
{
	size_t n = 0;

	out[n].name = "error";
	out[n++].value = oauth_error_code(e->error);
	if (e->description[0] != '\0') {
		out[n].name = "error_description";
		out[n++].value = e->description;
	}
	if (state != NULL) {
		out[n].name = "state";
		out[n++].value = state;
	}
	return n;
}

/* RFC 3986 §2.1: every byte outside unreserved as %XX (so '+' and ' ' are unambiguous). */
static void
put_encoded(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (is_unreserved(c)) {
			buf_putc(b, (char)c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

char *
authorize_redirect_url(struct arena *arena, const char *redirect_uri,
                       enum authorize_response_mode mode, const struct form_param *params,
                       size_t count)
{
	struct buf b = {0};
	char sep, *url;
	size_t i, n;

	assert(mode != AUTHORIZE_MODE_FORM_POST);
	/* Validated redirect URIs have no fragment (RFC 6749 §3.1.2). */
	assert(strchr(redirect_uri, '#') == NULL);
	buf_puts(&b, redirect_uri);
	n = strlen(redirect_uri);
	if (mode == AUTHORIZE_MODE_FRAGMENT)
		sep = '#';
	else if (strchr(redirect_uri, '?') == NULL)
		sep = '?';
	else if (redirect_uri[n - 1] == '?' || redirect_uri[n - 1] == '&')
		sep = '\0';
	else /* RFC 6749 §3.1.2: the registered query is kept; ours is appended. */
		sep = '&';
	for (i = 0; i < count; i++) {
		if (params[i].value == NULL)
			continue;
		if (sep != '\0')
			buf_putc(&b, sep);
		sep = '&';
		put_encoded(&b, params[i].name);
		buf_putc(&b, '=');
		put_encoded(&b, params[i].value);
	}
	url = arena_strdup(arena, b.data != NULL ? b.data : "");
	buf_free(&b);
	return url;
}

/* HTML 5 §13.1.2.3: attribute values in double quotes, with the markup characters escaped. */
static void
put_html(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_putc(b, *s);
			break;
		}
	}
}

/*
 * Form Post Response Mode §2: the form's default enctype makes the browser
 * send exactly "application/x-www-form-urlencoded", which clients compare
 * byte for byte (oidf-op-conformance §4); so no accept-charset or enctype.
 */
char *
authorize_form_post_html(struct arena *arena, const char *redirect_uri,
                         const struct form_param *params, size_t count, const char *script_nonce)
{
	struct buf b = {0};
	char *page;
	size_t i;

	buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	             "<meta name=\"referrer\" content=\"no-referrer\">\n"
	             "<title>Continue to the application</title>\n</head>\n<body>\n"
	             "<form method=\"post\" action=\"");
	put_html(&b, redirect_uri);
	buf_puts(&b, "\">\n");
	for (i = 0; i < count; i++) {
		if (params[i].value == NULL)
			continue;
		buf_puts(&b, "<input type=\"hidden\" name=\"");
		put_html(&b, params[i].name);
		buf_puts(&b, "\" value=\"");
		put_html(&b, params[i].value);
		buf_puts(&b, "\">\n");
	}
	buf_puts(&b, "<p>Select Continue to return to the application.</p>\n"
	             "<button type=\"submit\">Continue</button>\n</form>\n");
	if (script_nonce != NULL) {
		buf_puts(&b, "<script nonce=\"");
		put_html(&b, script_nonce);
		buf_puts(&b, "\">document.forms[0].submit();</script>\n");
	}
	buf_puts(&b, "</body>\n</html>\n");
	page = arena_strdup(arena, b.data);
	buf_free(&b);
	return page;
}
