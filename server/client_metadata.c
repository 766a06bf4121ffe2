/*
 * server/client_metadata.c — validates client metadata (OIDC DCR §2,
 * RFC 7591 §2, RFC 8252) and builds the stored client document in Hydra's
 * oAuth2Client shape (hydra-behaviour §3.1). See client_metadata.h.
 *
 * API: client_validate() runs the steps in steps[] in order; the first
 * failing rule fills struct client_problem and stops.
 * client_member_is_admin_only() names the members registrants cannot set.
 * This file holds the driver, the shared cm_ helpers, the OAuth members
 * (grants, response types, auth method, scope, algorithms), the scalars,
 * the admin members and subject_type; client_metadata_uris.c holds the
 * URI-valued members, the keys and the sector_identifier_uri fetch.
 *
 * Policy notes:
 *   - client_id and client_secret are the caller's business under both
 *     policies. The registration handler strips a client_id equal to the
 *     path id and a client_secret equal to the current secret (a PUT may
 *     echo them, RFC 7592 §2.2) before calling; under REGISTRANT any other
 *     non-empty value is rejected here. Under ADMIN they are ignored here
 *     (the admin handler reads them itself); neither ever reaches *out.
 *   - REGISTRANT cannot set the admin-only members (owner, audience,
 *     allowed_cors_origins, metadata, skip_consent, skip_logout_consent,
 *     access_token_strategy, every *_lifespan). "Set" means a value other
 *     than the default: null, "", false, [] and {} are accepted, so a client
 *     can PUT back the document it read. *out then holds their defaults; a
 *     PUT handler that keeps admin-set values copies them from the stored
 *     client (client_member_is_admin_only tells which).
 *   - Unknown members are ignored and not stored (RFC 7591 §2); null means
 *     absent (except skip_logout_consent, whose default is null).
 *
 * Invariants:
 *   - Descriptions name the field (and an index), never quote input beyond
 *     a validated scope token or a known name, and are printable ASCII.
 *   - *out contains only the members listed here, with defaults written
 *     explicitly; validating *out again under ADMIN gives an equal document
 *     (the fuzz target checks this).
 *   - The sector_identifier_uri fetch is the last step, so a document that
 *     fails any other rule causes no network traffic.
 *
 * To add a member: validate and store it in the step that matches its kind
 * (check_plain for scalars, url_members[] in client_metadata_uris.c for
 * single URLs); if registrants must not set it, add it to admin_only[].
 */
#include "server/client_metadata.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "crypto/jwk.h"
#include "server/client_metadata_internal.h"
#include "server/json_unconst.h"
#include "server/uri.h"

/* The grant types oidcd knows (hydra-behaviour §3.1); bit i is CM_GRANT_*. */
static const char *const grant_names[] = {
        "authorization_code",
        "implicit",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:device_code",
};

enum response_word {
	RT_CODE = 1u << 0,
	RT_TOKEN = 1u << 1,
	RT_ID_TOKEN = 1u << 2,
};

/* Canonical spelling of each response type, indexed by its RT_* mask. */
static const char *const response_names[8] = {
        NULL,       "code",          "token",          "code token",
        "id_token", "code id_token", "token id_token", "code token id_token",
};

static const char *const auth_methods[] = {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
};

static const char *const lifespans[] = {
        "authorization_code_grant_access_token_lifespan",
        "authorization_code_grant_id_token_lifespan",
        "authorization_code_grant_refresh_token_lifespan",
        "client_credentials_grant_access_token_lifespan",
        "implicit_grant_access_token_lifespan",
        "implicit_grant_id_token_lifespan",
        "jwt_bearer_grant_access_token_lifespan",
        "refresh_token_grant_id_token_lifespan",
        "refresh_token_grant_access_token_lifespan",
        "refresh_token_grant_refresh_token_lifespan",
        "device_authorization_grant_id_token_lifespan",
        "device_authorization_grant_access_token_lifespan",
        "device_authorization_grant_refresh_token_lifespan",
};

static const char *const admin_only[] = {
        "owner",
        "audience",
        "allowed_cors_origins",
        "metadata",
        "skip_consent",
        "skip_logout_consent",
        "access_token_strategy",
};

bool
cm_in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

enum status
cm_reject(struct cm_ctx *c, enum oauth_error e, const char *fmt, ...)
{
	va_list ap;

	c->problem->error = e;
	va_start(ap, fmt);
	vsnprintf(c->problem->description, sizeof c->problem->description, fmt, ap);
	va_end(ap);
	return ST_INVALID;
}

/* s as printable ASCII, at most 64 bytes (for names and library messages in descriptions). */
const char *
cm_printable(char out[72], const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 64; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f)
			out[i] = s[i];
		else
			out[i] = '?';
	}
	if (s[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* The member's value, or NULL when it is absent or null. */
json_t *
cm_get(const struct cm_ctx *c, const char *name)
{
	json_t *v = json_object_get(c->in, name);

	return json_is_null(v) ? NULL : v;
}

/* A JSON string without an embedded NUL (which would cut the C string short). */
bool
cm_is_clean_string(const json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

/* *out = the string value; NULL when absent, null or "". Other types are rejected. */
enum status
cm_get_string(struct cm_ctx *c, const char *name, const char **out)
{
	json_t *v = cm_get(c, name);

	*out = NULL;
	if (v == NULL)
		return ST_OK;
	if (!cm_is_clean_string(v))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA, "%s: must be a string", name);
	if (json_string_length(v) > 0)
		*out = json_string_value(v);
	return ST_OK;
}

/* An array of strings (absent or null: none), at most CM_MAX_ARRAY entries. */
enum status
cm_get_strings(struct cm_ctx *c, const char *name, struct cm_strv *out)
{
	json_t *v = cm_get(c, name), *item;
	size_t i;

	out->v = NULL;
	out->n = 0;
	if (v == NULL)
		return ST_OK;
	if (!json_is_array(v))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "%s: must be an array of strings", name);
	if (json_array_size(v) > CM_MAX_ARRAY)
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA, "%s: more than %d entries", name,
		                 CM_MAX_ARRAY);
	out->v = arena_alloc(c->arena, (json_array_size(v) + 1) * sizeof *out->v);
	json_array_foreach(v, i, item)
	{
		if (!cm_is_clean_string(item))
			return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
			                 "%s: must be an array of strings", name);
		out->v[out->n++] = json_string_value(item);
	}
	return ST_OK;
}

/* Stores the strings as an array, dropping exact repeats (first one wins). */
void
cm_put_strings(struct cm_ctx *c, const char *name, const struct cm_strv *s)
{
	json_t *a = json_array();
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < i && strcmp(s->v[i], s->v[j]) != 0; j++)
			;
		if (j == i)
			json_array_append_new(a, json_string(s->v[i]));
	}
	json_object_set_new(c->out, name, a);
}

void
cm_put_string(struct cm_ctx *c, const char *name, const char *value)
{
	json_object_set_new(c->out, name, json_string(value));
}

static bool
is_default_value(const json_t *v)
{
	return json_is_null(v) || json_is_false(v) ||
	       (json_is_string(v) && json_string_length(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0);
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool
client_member_is_admin_only(const char *name)
{
	return CM_IN_TABLE(name, admin_only) || CM_IN_TABLE(name, lifespans);
}
/*
 * REGISTRANT policy (issue 3): the admin-only members, client_id and
 * client_secret cannot be set. Runs first, so nothing else is looked at.
 */
static enum status
check_policy(struct cm_ctx *c)
{
	const char *key;
	json_t *v;
	char name[72];

	if (c->o->policy != CLIENT_POLICY_REGISTRANT)
		return ST_OK;
	json_object_foreach(json_unconst(c->in), key, v)
	{
		if (is_default_value(v))
			continue;
		if (client_member_is_admin_only(key) || has_suffix(key, "_lifespan") ||
		    strcmp(key, "client_id") == 0 || strcmp(key, "client_secret") == 0)
			return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
			                 "%s: cannot be set by dynamic registration",
			                 cm_printable(name, key));
	}
	return ST_OK;
}

/* OIDC DCR §2: application_type "web" (default) or "native". */
static enum status
check_application_type(struct cm_ctx *c)
{
	const char *s;
	enum status st;

	st = cm_get_string(c, "application_type", &s);
	if (st != ST_OK)
		return st;
	if (s == NULL)
		s = "web";
	if (strcmp(s, "web") != 0 && strcmp(s, "native") != 0)
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "application_type: must be web or native");
	c->is_native = strcmp(s, "native") == 0;
	cm_put_string(c, "application_type", s);
	return ST_OK;
}

/* RFC 7591 §2: grant_types, default ["authorization_code"]; registrants get the config list. */
static enum status
check_grants(struct cm_ctx *c)
{
	static const char *const fallback[] = {"authorization_code"};
	const struct client_validate_opts *o = c->o;
	struct cm_strv s;
	size_t i, g;
	enum status st;

	st = cm_get_strings(c, "grant_types", &s);
	if (st != ST_OK)
		return st;
	if (s.n == 0) {
		s.v = arena_memdup(c->arena, fallback, sizeof fallback);
		s.n = 1;
	}
	for (i = 0; i < s.n; i++) {
		for (g = 0; g < sizeof grant_names / sizeof grant_names[0]; g++)
			if (strcmp(s.v[i], grant_names[g]) == 0)
				break;
		if (g == sizeof grant_names / sizeof grant_names[0])
			return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
			                 "grant_types[%zu]: unsupported grant type", i);
		if (o->policy == CLIENT_POLICY_REGISTRANT &&
		    !cm_in_list(s.v[i], o->allowed_grant_types, o->allowed_grant_types_count))
			return cm_reject(
			        c, OAUTH_INVALID_CLIENT_METADATA,
			        "grant_types[%zu]: %s is not allowed for dynamic registration", i,
			        grant_names[g]);
		c->grants |= 1u << g;
	}
	cm_put_strings(c, "grant_types", &s);
	return ST_OK;
}

/* A response type as a set of words (RFC 6749 §3.1.1: order does not matter); 0 if invalid. */
static unsigned
response_mask(const char *s)
{
	unsigned mask = 0, bit;
	size_t n;

	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			return mask;
		n = strcspn(s, " ");
		if (n == 4 && strncmp(s, "code", 4) == 0)
			bit = RT_CODE;
		else if (n == 5 && strncmp(s, "token", 5) == 0)
			bit = RT_TOKEN;
		else if (n == 8 && strncmp(s, "id_token", 8) == 0)
			bit = RT_ID_TOKEN;
		else
			return 0;
		if (mask & bit)
			return 0;
		mask |= bit;
		s += n;
	}
}

/*
 * RFC 7591 §2.1: response_types must agree with grant_types: "code" needs
 * authorization_code, "token"/"id_token" need implicit, and each of those
 * grants needs a response type that uses it. Stored in canonical spelling.
 */
static enum status
check_response_types(struct cm_ctx *c)
{
	unsigned masks[CM_MAX_ARRAY], all, m;
	struct cm_strv s;
	size_t i, j, n = 0;
	json_t *a;
	enum status st;

	st = cm_get_strings(c, "response_types", &s);
	if (st != ST_OK)
		return st;
	for (i = 0; i < s.n; i++) {
		m = response_mask(s.v[i]);
		if (m == 0)
			return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
			                 "response_types[%zu]: unsupported response type", i);
		if ((m & RT_CODE) && !(c->grants & CM_GRANT_CODE))
			return cm_reject(
			        c, OAUTH_INVALID_CLIENT_METADATA,
			        "response_types[%zu]: %s needs the authorization_code grant type",
			        i, response_names[m]);
		if ((m & (RT_TOKEN | RT_ID_TOKEN)) && !(c->grants & CM_GRANT_IMPLICIT))
			return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
			                 "response_types[%zu]: %s needs the implicit grant type", i,
			                 response_names[m]);
		for (j = 0; j < n && masks[j] != m; j++)
			;
		if (j == n)
			masks[n++] = m;
	}
	/* RFC 7591 §2: "code" when omitted, as long as the grant types use it. */
	if (s.n == 0 && (c->grants & CM_GRANT_CODE))
		masks[n++] = RT_CODE;
	all = 0;
	for (i = 0; i < n; i++)
		all |= masks[i];
	if ((c->grants & CM_GRANT_CODE) && !(all & RT_CODE))
		return cm_reject(
		        c, OAUTH_INVALID_CLIENT_METADATA,
		        "response_types: the authorization_code grant type needs a response "
		        "type with code");
	if ((c->grants & CM_GRANT_IMPLICIT) && !(all & (RT_TOKEN | RT_ID_TOKEN)))
		return cm_reject(
		        c, OAUTH_INVALID_CLIENT_METADATA,
		        "response_types: the implicit grant type needs a response type with "
		        "token or id_token");
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(response_names[masks[i]]));
	json_object_set_new(c->out, "response_types", a);
	return ST_OK;
}

/* A JWS alg name in the server's verification list (RFC 7591 §2, OIDC DCR §2). */
static bool
is_verifiable(const struct cm_ctx *c, const char *name)
{
	return (jws_alg_from_name(name) & c->o->verify_algs) != 0;
}

/* RFC 7591 §2: token_endpoint_auth_method, default client_secret_basic. */
static enum status
check_auth_method(struct cm_ctx *c)
{
	const char *s, *alg;
	enum status st;

	st = cm_get_string(c, "token_endpoint_auth_method", &s);
	if (st != ST_OK)
		return st;
	if (s == NULL)
		s = "client_secret_basic";
	if (!CM_IN_TABLE(s, auth_methods))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "token_endpoint_auth_method: must be client_secret_basic, "
		                 "client_secret_post, private_key_jwt or none");
	/* RFC 6749 §4.4: the client credentials grant is for confidential clients only. */
	if (strcmp(s, "none") == 0 && (c->grants & CM_GRANT_CLIENT_CREDENTIALS))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "grant_types: client_credentials needs client authentication "
		                 "(token_endpoint_auth_method is none)");
	c->auth_method = s;
	cm_put_string(c, "token_endpoint_auth_method", s);

	st = cm_get_string(c, "token_endpoint_auth_signing_alg", &alg);
	if (st != ST_OK)
		return st;
	if (alg != NULL && !is_verifiable(c, alg))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "token_endpoint_auth_signing_alg: unsupported algorithm");
	if (alg != NULL)
		cm_put_string(c, "token_endpoint_auth_signing_alg", alg);
	return ST_OK;
}

/* RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
static bool
is_scope_char(unsigned char ch)
{
	return ch == 0x21 || (ch >= 0x23 && ch <= 0x5b) || (ch >= 0x5d && ch <= 0x7e);
}

/* One scope token: RFC 6749 §3.3 characters; for registrants, a configured scope. */
static enum status
check_scope_token(struct cm_ctx *c, const char *tok, size_t n)
{
	const struct client_validate_opts *o = c->o;
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_scope_char((unsigned char)tok[i]))
			return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
			                 "scope: invalid character in a scope token");
	if (o->policy != CLIENT_POLICY_REGISTRANT)
		return ST_OK;
	for (i = 0; i < o->allowed_scopes_count; i++)
		if (strlen(o->allowed_scopes[i]) == n && strncmp(o->allowed_scopes[i], tok, n) == 0)
			return ST_OK;
	return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
	                 "scope: %.*s is not allowed for dynamic registration",
	                 n > 64 ? 64 : (int)n, tok);
}

/*
 * scope: space-separated tokens, repeats collapsed; the configured default
 * when absent or blank. Registrants may only ask for registration.allowed_scopes.
 */
static enum status
check_scope(struct cm_ctx *c)
{
	const char *s, *p, **toks;
	bool is_default = false;
	struct buf b = {0};
	size_t *lens, n = 0, len, i;
	enum status st;

	st = cm_get_string(c, "scope", &s);
	if (st != ST_OK)
		return st;
	if (s == NULL || s[strspn(s, " ")] == '\0') {
		s = c->o->default_scope != NULL ? c->o->default_scope : "";
		is_default = true;
	}
	toks = arena_alloc(c->arena, (strlen(s) / 2 + 1) * sizeof *toks);
	lens = arena_alloc(c->arena, (strlen(s) / 2 + 1) * sizeof *lens);
	for (p = s + strspn(s, " "); *p != '\0'; p += len + strspn(p + len, " ")) {
		len = strcspn(p, " ");
		if (!is_default) {
			st = check_scope_token(c, p, len);
			if (st != ST_OK)
				return st;
		}
		for (i = 0; i < n && !(lens[i] == len && strncmp(toks[i], p, len) == 0); i++)
			;
		if (i == n) {
			toks[n] = p;
			lens[n++] = len;
		}
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, ' ');
		buf_append(&b, toks[i], lens[i]);
	}
	cm_put_string(c, "scope", n > 0 ? b.data : "");
	buf_free(&b);
	return ST_OK;
}

/*
 * Signing algorithms (OIDC DCR §2): ID tokens are signed with the server's
 * key alg only; userinfo is plain JSON ("none", Hydra's default) or signed
 * with it; request objects may use any verifiable alg or "none".
 */
static enum status
check_algs(struct cm_ctx *c)
{
	const char *sign = c->o->signing_alg, *s;
	enum status st;

	assert(sign != NULL);
	st = cm_get_string(c, "id_token_signed_response_alg", &s);
	if (st != ST_OK)
		return st;
	if (s != NULL && strcmp(s, sign) != 0)
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "id_token_signed_response_alg: must be %s", sign);
	cm_put_string(c, "id_token_signed_response_alg", sign);

	st = cm_get_string(c, "userinfo_signed_response_alg", &s);
	if (st != ST_OK)
		return st;
	if (s == NULL)
		s = "none";
	if (strcmp(s, "none") != 0 && strcmp(s, sign) != 0)
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "userinfo_signed_response_alg: must be none or %s", sign);
	cm_put_string(c, "userinfo_signed_response_alg", s);

	st = cm_get_string(c, "request_object_signing_alg", &s);
	if (st != ST_OK)
		return st;
	if (s != NULL && strcmp(s, "none") != 0 && !is_verifiable(c, s))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "request_object_signing_alg: unsupported algorithm");
	if (s != NULL)
		cm_put_string(c, "request_object_signing_alg", s);
	return ST_OK;
}

/* A boolean member stored only when true. */
static enum status
check_flag(struct cm_ctx *c, const char *name)
{
	json_t *v = cm_get(c, name);

	if (v != NULL && !json_is_boolean(v))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA, "%s: must be true or false",
		                 name);
	if (json_is_true(v))
		json_object_set_new(c->out, name, json_true());
	return ST_OK;
}

/* The scalar and string-list members of OIDC DCR §2 and the logout specs. */
static enum status
check_plain(struct cm_ctx *c)
{
	static const char *const flags[] = {"require_auth_time",
	                                    "frontchannel_logout_session_required",
	                                    "backchannel_logout_session_required"};
	const char *name;
	struct cm_strv s;
	json_t *v;
	size_t i;
	enum status st;

	st = cm_get_string(c, "client_name", &name);
	if (st != ST_OK)
		return st;
	cm_put_string(c, "client_name", name != NULL ? name : "");
	st = cm_get_strings(c, "contacts", &s);
	if (st != ST_OK)
		return st;
	cm_put_strings(c, "contacts", &s);
	st = cm_get_strings(c, "default_acr_values", &s);
	if (st != ST_OK)
		return st;
	if (s.n > 0)
		cm_put_strings(c, "default_acr_values", &s);

	v = cm_get(c, "default_max_age");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "default_max_age: must be a non-negative integer");
	if (v != NULL)
		json_object_set_new(c->out, "default_max_age", json_integer(json_integer_value(v)));

	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		st = check_flag(c, flags[i]);
		if (st != ST_OK)
			return st;
	}
	return ST_OK;
}

/* Go duration as Hydra accepts it: ^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$ */
static bool
is_go_duration(const char *s)
{
	static const char *const units[] = {"ns", "us", "\xc2\xb5s", "ms", "s", "m", "h"};
	size_t i, n;

	if (*s == '\0' || strlen(s) > 64)
		return false;
	while (*s != '\0') {
		n = strspn(s, "0123456789");
		if (n == 0)
			return false;
		s += n;
		if (*s == '.') {
			n = strspn(s + 1, "0123456789");
			if (n == 0)
				return false;
			s += 1 + n;
		}
		/* Two-letter units first: "1ms" is never "1m" followed by "s". */
		for (i = 0; i < sizeof units / sizeof units[0]; i++)
			if (strncmp(s, units[i], strlen(units[i])) == 0)
				break;
		if (i == sizeof units / sizeof units[0])
			return false;
		s += strlen(units[i]);
	}
	return true;
}

/* CORS origins (hydra-behaviour §1.1): http(s), no userinfo, path, query or fragment. */
static enum status
check_origins(struct cm_ctx *c)
{
	struct cm_strv s;
	struct err perr;
	struct uri u;
	size_t i;
	enum status st;

	st = cm_get_strings(c, "allowed_cors_origins", &s);
	if (st != ST_OK)
		return st;
	for (i = 0; i < s.n; i++) {
		if (strlen(s.v[i]) > CM_MAX_URI_LEN ||
		    uri_parse(s.v[i], c->arena, &u, &perr) != ST_OK ||
		    (strcmp(u.scheme, "https") != 0 && strcmp(u.scheme, "http") != 0) ||
		    u.userinfo != NULL || (u.path[0] != '\0' && strcmp(u.path, "/") != 0) ||
		    u.query != NULL || u.fragment != NULL)
			return cm_reject(
			        c, OAUTH_INVALID_CLIENT_METADATA,
			        "allowed_cors_origins[%zu]: must be an http(s) origin without "
			        "path, query or fragment",
			        i);
		/* RFC 6454 §6.1: the serialised origin, as browsers send it. */
		s.v[i] = uri_origin(&u, c->arena);
	}
	if (s.n > 0)
		cm_put_strings(c, "allowed_cors_origins", &s);
	return ST_OK;
}

/*
 * The operator-only members (hydra-behaviour §3.1). Only values other than
 * the defaults go into the output (the stored document): the admin view
 * adds the defaults back (clients.c render), and registrants, who cannot
 * set these, get none.
 */
static enum status
check_admin_fields(struct cm_ctx *c)
{
	const char *s;
	struct cm_strv list;
	json_t *v;
	size_t i;
	enum status st;

	st = cm_get_string(c, "owner", &s);
	if (st != ST_OK)
		return st;
	if (s != NULL && s[0] != '\0')
		cm_put_string(c, "owner", s);
	st = cm_get_strings(c, "audience", &list);
	if (st != ST_OK)
		return st;
	if (list.n > 0)
		cm_put_strings(c, "audience", &list);
	st = check_origins(c);
	if (st != ST_OK)
		return st;

	v = cm_get(c, "metadata");
	if (v != NULL && !json_is_object(v))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "metadata: must be a JSON object");
	if (v != NULL && json_object_size(v) > 0)
		json_object_set_new(c->out, "metadata", json_deep_copy(v));

	v = cm_get(c, "skip_consent");
	if (v != NULL && !json_is_boolean(v))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "skip_consent: must be true or false");
	if (json_is_true(v))
		json_object_set_new(c->out, "skip_consent", json_true());
	v = cm_get(c, "skip_logout_consent");
	if (v != NULL && !json_is_boolean(v))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "skip_logout_consent: must be true, false or null");
	if (v != NULL) /* false is not the default (null) */
		json_object_set_new(c->out, "skip_logout_consent", json_boolean(json_is_true(v)));

	st = cm_get_string(c, "access_token_strategy", &s);
	if (st != ST_OK)
		return st;
	if (s != NULL && strcmp(s, "jwt") != 0 && strcmp(s, "opaque") != 0)
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "access_token_strategy: must be jwt or opaque");
	if (s != NULL)
		cm_put_string(c, "access_token_strategy", s);

	for (i = 0; i < sizeof lifespans / sizeof lifespans[0]; i++) {
		v = cm_get(c, lifespans[i]);
		if (v != NULL &&
		    (!cm_is_clean_string(v) ||
		     (json_string_length(v) > 0 && !is_go_duration(json_string_value(v)))))
			return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
			                 "%s: must be null or a duration such as \"1h30m\"",
			                 lifespans[i]);
		if (v != NULL && json_string_length(v) > 0)
			json_object_set_new(c->out, lifespans[i], json_copy(v));
	}
	return ST_OK;
}

/*
 * subject_type public (default) or pairwise. OIDC Core §8.1: with pairwise
 * and redirect URIs on several hosts, a sector_identifier_uri is required.
 */
static enum status
check_subject(struct cm_ctx *c)
{
	const char *s, *sector;
	size_t i;
	enum status st;

	st = cm_get_string(c, "subject_type", &s);
	if (st != ST_OK)
		return st;
	if (s == NULL)
		s = "public";
	if (strcmp(s, "public") != 0 && strcmp(s, "pairwise") != 0)
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "subject_type: must be public or pairwise");
	cm_put_string(c, "subject_type", s);
	st = cm_get_string(c, "sector_identifier_uri", &sector);
	if (st != ST_OK || strcmp(s, "pairwise") != 0 || sector != NULL)
		return st;
	for (i = 1; i < c->redirects.n; i++)
		if (strcmp(c->hosts[i], c->hosts[0]) != 0)
			return cm_reject(
			        c, OAUTH_INVALID_CLIENT_METADATA,
			        "sector_identifier_uri: required with pairwise subject_type "
			        "when redirect_uris use several hosts");
	return ST_OK;
}

/* The steps, in order; each validates some members and stores them in c->out. */
static cm_step_fn *const steps[] = {
        check_policy,
        check_application_type,
        check_grants,
        check_response_types,
        check_auth_method,
        cm_check_keys,
        cm_check_redirect_uris,
        check_scope,
        check_algs,
        check_plain,
        cm_check_urls,
        cm_check_uri_lists,
        cm_check_tagged,
        check_admin_fields,
        check_subject,
        cm_check_sector,
};

enum status
client_validate(const struct client_validate_opts *o, const json_t *in, struct arena *arena,
                json_t **out, struct client_problem *problem, struct err *err)
{
	struct cm_ctx c = {0};
	size_t i;
	enum status st = ST_OK;

	c.o = o;
	c.in = in;
	c.arena = arena;
	c.problem = problem;
	c.err = err;
	if (!json_is_object(in))
		return cm_reject(&c, OAUTH_INVALID_CLIENT_METADATA,
		                 "the body must be a JSON object");
	c.out = json_object();
	for (i = 0; st == ST_OK && i < sizeof steps / sizeof steps[0]; i++)
		st = steps[i](&c);
	if (st != ST_OK) {
		json_decref(c.out);
		return st;
	}
	*out = c.out;
	return ST_OK;
}
