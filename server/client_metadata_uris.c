/*
 * server/client_metadata_uris.c — the URI-valued client metadata members
 * (redirect_uris, logout and login URLs, logo/policy/tos URLs and their
 * language-tagged forms, request_uris), the client's keys (jwks_uri / jwks)
 * and the sector_identifier_uri fetch. The steps are run by
 * client_validate() (client_metadata.c); see client_metadata_internal.h.
 *
 * Invariants:
 *   - Every URI goes through uri_parse (strict RFC 3986) and one rule mask
 *     (enum uri_rule) that says which schemes, hosts and fragments it may
 *     have; descriptions name the member and index, never the URI.
 *   - Client keys are stored as oidcd re-exported them (public members only,
 *     kid always set), never as sent.
 *
 * To add a URL member: add a row to url_members[] with its rule mask and the
 * spec section that sets it.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/jwk.h"
#include "server/client_metadata_internal.h"
#include "server/json_unconst.h"
#include "server/uri.h"

#define MAX_JWKS_KEYS 64
#define MAX_TAG_LEN   35 /* language tag after '#' (BCP 47-ish) */

/* Members that may carry a language tag (OIDC DCR §2.1). */
static const char *const taggable[] = {"client_name", "logo_uri", "client_uri", "policy_uri",
                                       "tos_uri"};

/* What a URI may look like; combined per member. */
enum uri_rule {
	U_HTTPS = 1u << 0,
	U_HTTP_LOOPBACK = 1u << 1, /* http, on a loopback host only */
	U_HTTP = 1u << 2,          /* http, any host */
	U_CUSTOM = 1u << 3,        /* a private-use scheme (RFC 8252 §7.1) */
	U_NO_FRAGMENT = 1u << 4,
	U_NO_LOOPBACK = 1u << 5,
};

#define U_WEB    (U_HTTPS | U_HTTP_LOOPBACK | U_NO_FRAGMENT)
#define U_NATIVE (U_HTTPS | U_HTTP_LOOPBACK | U_CUSTOM | U_NO_FRAGMENT)

/*
 * Single-URL members: rules, and whether "" is stored when absent (Hydra
 * renders these "always"). OIDC DCR §2: initiate_login_uri "MUST use the
 * https scheme". OIDC Front-Channel Logout §2: may have a query, no
 * fragment. OIDC Back-Channel Logout §2.2: no fragment; oidcd POSTs to it,
 * so https unless on loopback.
 */
static const struct {
	const char *name;
	unsigned rules;
	bool is_always;
} url_members[] = {
        {"logo_uri",                U_HTTPS | U_HTTP,                 true },
        {"client_uri",              U_HTTPS | U_HTTP,                 true },
        {"policy_uri",              U_HTTPS | U_HTTP,                 true },
        {"tos_uri",                 U_HTTPS | U_HTTP,                 true },
        {"initiate_login_uri",      U_HTTPS,                          false},
        {"frontchannel_logout_uri", U_HTTPS | U_HTTP | U_NO_FRAGMENT, false},
        {"backchannel_logout_uri",  U_WEB,                            false},
};

/* Private-use schemes that would run code or read local files in a browser. */
static const char *const unsafe_schemes[] = {"javascript", "data",  "vbscript",  "file",
                                             "blob",       "about", "filesystem"};

static const char *
rule_text(unsigned rules)
{
	if (rules & U_CUSTOM)
		return "must use a private-use scheme, https, or http on a loopback host";
	if (rules & U_HTTP)
		return "must use http or https";
	if (rules & U_HTTP_LOOPBACK)
		return "must use https (http only on a loopback host)";
	return "must use https";
}

/* Checks one URI against rules; label names it in the description ("redirect_uris[1]"). */
static enum status
check_uri(struct cm_ctx *c, enum oauth_error e, const char *label, const char *s, unsigned rules,
          struct uri *out)
{
	struct err perr;
	struct uri u = {0};
	bool is_ok;

	if (strlen(s) > CM_MAX_URI_LEN)
		return cm_reject(c, e, "%s: longer than %d bytes", label, CM_MAX_URI_LEN);
	if (uri_parse(s, c->arena, &u, &perr) != ST_OK)
		return cm_reject(c, e, "%s: not a valid absolute URI (%s)", label, perr.msg);
	if ((rules & U_NO_FRAGMENT) && u.fragment != NULL)
		return cm_reject(c, e, "%s: must not contain a fragment", label);
	if (strcmp(u.scheme, "https") == 0)
		is_ok = rules & U_HTTPS;
	else if (strcmp(u.scheme, "http") == 0)
		is_ok = (rules & U_HTTP) || ((rules & U_HTTP_LOOPBACK) && uri_is_loopback_host(&u));
	else
		is_ok = (rules & U_CUSTOM) && !CM_IN_TABLE(u.scheme, unsafe_schemes);
	if (!is_ok)
		return cm_reject(c, e, "%s: %s", label, rule_text(rules));
	if ((rules & U_NO_LOOPBACK) && uri_is_loopback_host(&u))
		return cm_reject(c, e, "%s: must not use a loopback host", label);
	if (out != NULL)
		*out = u;
	return ST_OK;
}

/* Checks every entry of a URI array member and stores it (deduplicated) when non-empty. */
static enum status
check_uri_list(struct cm_ctx *c, const char *name, unsigned rules)
{
	struct cm_strv list;
	char label[64];
	size_t i;
	enum status st;

	st = cm_get_strings(c, name, &list);
	if (st != ST_OK)
		return st;
	for (i = 0; i < list.n; i++) {
		snprintf(label, sizeof label, "%s[%zu]", name, i);
		st = check_uri(c, OAUTH_INVALID_CLIENT_METADATA, label, list.v[i], rules, NULL);
		if (st != ST_OK)
			return st;
	}
	if (list.n > 0)
		cm_put_strings(c, name, &list);
	return ST_OK;
}

/*
 * The "keys" of a JWK Set (RFC 7517 §5), each imported as a public key and
 * re-exported in canonical form into *out (new reference, NULL when the set
 * holds no signing key). Keys with "use": "enc" are dropped: oidcd never
 * encrypts to clients.
 */
static enum status
import_jwks(struct cm_ctx *c, const json_t *jwks, json_t **out)
{
	json_t *keys = json_object_get(jwks, "keys"), *k, *pub, *seen = NULL, *result = NULL;
	const char *use;
	struct jwk *key;
	struct err kerr;
	char msg[72];
	size_t i;
	enum status st = ST_OK;

	if (!json_is_array(keys))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "jwks: must be a JWK Set object with a \"keys\" array");
	if (json_array_size(keys) > MAX_JWKS_KEYS)
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA, "jwks: more than %d keys",
		                 MAX_JWKS_KEYS);
	result = json_array();
	seen = json_object();
	json_array_foreach(keys, i, k)
	{
		if (!json_is_object(k)) {
			st = cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
			               "jwks.keys[%zu]: must be a JSON object", i);
			goto out;
		}
		use = json_string_value(json_object_get(k, "use"));
		if (use != NULL && strcmp(use, "enc") == 0)
			continue;
		if (jwk_import_public(k, &key, &kerr) != ST_OK) {
			st = cm_reject(c, OAUTH_INVALID_CLIENT_METADATA, "jwks.keys[%zu]: %s", i,
			               cm_printable(msg, kerr.msg));
			goto out;
		}
		pub = jwk_to_public_json(key);
		if (pub == NULL) {
			st = ERR_SET(c->err, ST_CRYPTO, "cannot export an imported JWK");
		} else if (json_object_get(seen, jwk_kid(key)) != NULL) {
			/* RFC 7517 §4.5: distinct kids, so a JWS header's kid picks one key. */
			st = cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
			               "jwks.keys[%zu]: duplicate kid", i);
		} else {
			json_object_set_new(seen, jwk_kid(key), json_true());
			json_array_append_new(result, pub);
			pub = NULL;
		}
		json_decref(pub);
		jwk_free(key);
		if (st != ST_OK)
			goto out;
	}
	if (json_array_size(result) > 0) {
		*out = json_pack("{s:o}", "keys", result);
		result = NULL;
	} else {
		*out = NULL;
	}
out:
	json_decref(result);
	json_decref(seen);
	return st;
}

/*
 * jwks_uri (https, or http on loopback) and jwks are exclusive (RFC 7591
 * §2); private_key_jwt needs one of them (RFC 7523 §2.2 via OIDC Core §9).
 */
enum status
cm_check_keys(struct cm_ctx *c)
{
	const char *uri;
	json_t *jwks = cm_get(c, "jwks"), *set = NULL;
	enum status st;

	st = cm_get_string(c, "jwks_uri", &uri);
	if (st != ST_OK)
		return st;
	if (uri != NULL) {
		st = check_uri(c, OAUTH_INVALID_CLIENT_METADATA, "jwks_uri", uri,
		               U_HTTPS | U_HTTP_LOOPBACK, NULL);
		if (st != ST_OK)
			return st;
	}
	if (jwks != NULL && !json_is_object(jwks))
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "jwks: must be a JWK Set object");
	/* Hydra renders "no keys" as {}, so a client echoing it back sends that. */
	if (jwks != NULL && json_object_size(jwks) > 0) {
		st = import_jwks(c, jwks, &set);
		if (st != ST_OK)
			return st;
	}
	if (set != NULL && uri != NULL) {
		json_decref(set);
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "jwks: cannot be used together with jwks_uri");
	}
	if (set == NULL && uri == NULL && strcmp(c->auth_method, "private_key_jwt") == 0)
		return cm_reject(
		        c, OAUTH_INVALID_CLIENT_METADATA,
		        "token_endpoint_auth_method: private_key_jwt needs jwks or jwks_uri");
	if (uri != NULL)
		cm_put_string(c, "jwks_uri", uri);
	if (set != NULL)
		json_object_set_new(c->out, "jwks", set);
	return ST_OK;
}

/*
 * redirect_uris (OIDC DCR §2, RFC 8252 §7): required for the redirect-based
 * grants; no fragment (RFC 6749 §3.1.2). Web: https, or http on loopback;
 * with the implicit grant https only and never localhost (OIDC DCR §2).
 * Native: a private-use scheme, https, or http on loopback.
 */
enum status
cm_check_redirect_uris(struct cm_ctx *c)
{
	unsigned rules = c->is_native ? U_NATIVE : U_WEB;
	char label[64];
	struct uri u = {0};
	size_t i;
	enum status st;

	if (!c->is_native && (c->grants & CM_GRANT_IMPLICIT))
		rules = U_HTTPS | U_NO_FRAGMENT | U_NO_LOOPBACK;
	st = cm_get_strings(c, "redirect_uris", &c->redirects);
	if (st != ST_OK)
		return st;
	if (c->redirects.n == 0 && (c->grants & (CM_GRANT_CODE | CM_GRANT_IMPLICIT)))
		return cm_reject(c, OAUTH_INVALID_REDIRECT_URI,
		                 "redirect_uris: required for the authorization_code and implicit "
		                 "grant types");
	c->hosts = arena_alloc(c->arena, (c->redirects.n + 1) * sizeof *c->hosts);
	for (i = 0; i < c->redirects.n; i++) {
		snprintf(label, sizeof label, "redirect_uris[%zu]", i);
		st = check_uri(c, OAUTH_INVALID_REDIRECT_URI, label, c->redirects.v[i], rules, &u);
		if (st != ST_OK)
			return st;
		c->hosts[i] = u.host != NULL ? u.host : "";
	}
	cm_put_strings(c, "redirect_uris", &c->redirects);
	return ST_OK;
}

/* The single-URL members of url_members[]. */
enum status
cm_check_urls(struct cm_ctx *c)
{
	const char *s;
	size_t i;
	enum status st;

	for (i = 0; i < sizeof url_members / sizeof url_members[0]; i++) {
		st = cm_get_string(c, url_members[i].name, &s);
		if (st != ST_OK)
			return st;
		if (s != NULL) {
			st = check_uri(c, OAUTH_INVALID_CLIENT_METADATA, url_members[i].name, s,
			               url_members[i].rules, NULL);
			if (st != ST_OK)
				return st;
		}
		if (s != NULL || url_members[i].is_always)
			cm_put_string(c, url_members[i].name, s != NULL ? s : "");
	}
	return ST_OK;
}

/*
 * post_logout_redirect_uris (OIDC RP-Initiated Logout §3.1): like
 * redirect_uris of the client's application type. request_uris (OIDC Core
 * §6.2): https; a fragment is allowed (it carries a content hash).
 */
enum status
cm_check_uri_lists(struct cm_ctx *c)
{
	enum status st;

	st = check_uri_list(c, "post_logout_redirect_uris", c->is_native ? U_NATIVE : U_WEB);
	if (st != ST_OK)
		return st;
	return check_uri_list(c, "request_uris", U_HTTPS);
}

/* BCP 47-ish tag: [A-Za-z0-9-]{1,35}. */
static bool
is_language_tag(const char *t)
{
	size_t n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-");

	return n >= 1 && n <= MAX_TAG_LEN && t[n] == '\0';
}

/*
 * OIDC DCR §2.1: "client_name#ja-Jpan-JP" and friends, validated like the
 * member they translate and kept as sent.
 */
enum status
cm_check_tagged(struct cm_ctx *c)
{
	const char *key, *hash, *s;
	char base[16];
	json_t *v;
	size_t n;
	enum status st;

	json_object_foreach(json_unconst(c->in), key, v)
	{
		hash = strchr(key, '#');
		n = hash != NULL ? (size_t)(hash - key) : 0;
		if (n == 0 || n >= sizeof base)
			continue;
		memcpy(base, key, n);
		base[n] = '\0';
		if (!CM_IN_TABLE(base, taggable))
			continue;
		if (!is_language_tag(hash + 1))
			return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
			                 "%s#: invalid language tag", base);
		st = cm_get_string(c, key, &s);
		if (st != ST_OK)
			return st;
		if (s == NULL)
			continue;
		if (strcmp(base, "client_name") != 0) {
			st = check_uri(c, OAUTH_INVALID_CLIENT_METADATA, key, s, U_HTTPS | U_HTTP,
			               NULL);
			if (st != ST_OK)
				return st;
		}
		cm_put_string(c, key, s);
	}
	return ST_OK;
}

/* A non-empty JSON array of strings (without embedded NULs). */
static bool
is_string_array(const json_t *a)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return false;
	for (i = 0; i < json_array_size(a); i++)
		if (!cm_is_clean_string(json_array_get(a, i)))
			return false;
	return true;
}

static bool
lists(const json_t *a, const char *s)
{
	size_t i;

	for (i = 0; i < json_array_size(a); i++)
		if (strcmp(json_string_value(json_array_get(a, i)), s) == 0)
			return true;
	return false;
}

/*
 * sector_identifier_uri (OIDC Core §8.1, OIDC DCR §5): https; its document
 * is a JSON array of URIs that must list every redirect_uri. Fetched last.
 */
enum status
cm_check_sector(struct cm_ctx *c)
{
	const char *s;
	char *body, msg[72];
	struct err ferr;
	size_t len, i;
	json_t *doc;
	enum status st;

	st = cm_get_string(c, "sector_identifier_uri", &s);
	if (st != ST_OK || s == NULL)
		return st;
	st = check_uri(c, OAUTH_INVALID_CLIENT_METADATA, "sector_identifier_uri", s, U_HTTPS, NULL);
	if (st != ST_OK)
		return st;
	if (c->o->fetch == NULL)
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "sector_identifier_uri: not supported by this server");
	if (c->o->fetch(c->o->fetch_cls, s, c->arena, &body, &len, &ferr) != ST_OK)
		return cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		                 "sector_identifier_uri: cannot be fetched (%s)",
		                 cm_printable(msg, ferr.msg));
	doc = json_loadb(body, len, 0, NULL);
	if (!is_string_array(doc))
		st = cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
		               "sector_identifier_uri: the document must be a JSON array of URIs");
	for (i = 0; st == ST_OK && i < c->redirects.n; i++)
		if (!lists(doc, c->redirects.v[i]))
			st = cm_reject(c, OAUTH_INVALID_CLIENT_METADATA,
			               "sector_identifier_uri: the document does not list "
			               "redirect_uris[%zu]",
			               i);
	json_decref(doc);
	if (st == ST_OK)
		cm_put_string(c, "sector_identifier_uri", s);
	return st;
}
