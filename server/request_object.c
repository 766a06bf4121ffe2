/*
 * server/request_object.c — request objects and request_uri (OIDC Core §6).
 * See request_object.h for the policy.
 */
#include "server/request_object.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "crypto/b64url.h"
#include "crypto/jws.h"
#include "server/client_jwks.h"
#include "server/fetch.h"

/* JWT claims and parameters that are not authorization parameters (§6.1, §6.3.3). */
static const char *const not_params[] = {
        "iss", "aud",     "exp",         "nbf", "iat",
        "jti", "request", "request_uri", "sub", "request_object_signing_alg"};

bool
request_object_present(const struct form *query)
{
	return form_get(query, "request") != NULL || form_get(query, "request_uri") != NULL;
}

void
request_object_strip(const struct form *query, struct arena *arena, struct form *out)
{
	static const char *const names[] = {"request", "request_uri"};

	form_without(query, names, 2, arena, out);
}

enum status
request_object_unsigned_payload(const char *compact, struct arena *arena, const char **payload,
                                size_t *len, struct err *err)
{
	const char *dot1, *dot2;
	unsigned char *header = NULL, *body = NULL;
	size_t header_len, body_len;
	json_t *h;
	bool is_none;

	if (strlen(compact) > REQUEST_OBJECT_MAX_BYTES)
		return ERR_SET(err, ST_INVALID, "the request object is larger than 64 KiB");
	dot1 = strchr(compact, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot1 == NULL || dot2 == NULL || dot2[1] != '\0')
		return ERR_SET(err, ST_INVALID, "the request object is not an unsigned JWT");
	if (b64url_decode_arena(arena, compact, (size_t)(dot1 - compact), &header, &header_len,
	                        err) != ST_OK ||
	    b64url_decode_arena(arena, dot1 + 1, (size_t)(dot2 - dot1 - 1), &body, &body_len,
	                        err) != ST_OK)
		return ERR_SET(err, ST_INVALID, "the request object is not base64url");
	h = json_loadb((const char *)header, header_len, JSON_REJECT_DUPLICATES, NULL);
	is_none = json_is_object(h) && json_string_value(json_object_get(h, "alg")) != NULL &&
	          strcmp(json_string_value(json_object_get(h, "alg")), "none") == 0 &&
	          json_object_get(h, "crit") == NULL;
	json_decref(h);
	if (!is_none)
		return ERR_SET(err, ST_INVALID,
		               "the request object's header is not {\"alg\":\"none\"}");
	*payload = (const char *)body;
	*len = body_len;
	return ST_OK;
}

static bool
is_not_param(const char *name)
{
	for (size_t i = 0; i < sizeof not_params / sizeof not_params[0]; i++)
		if (strcmp(name, not_params[i]) == 0)
			return true;
	return false;
}

/* A member's value as a parameter (in the arena), or NULL for null. */
static const char *
param_text(const json_t *v, struct arena *arena)
{
	char *dumped;
	const char *out;

	if (json_is_string(v))
		return arena_strdup(arena, json_string_value(v));
	if (json_is_null(v))
		return NULL;
	dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (dumped == NULL)
		return NULL;
	out = arena_strdup(arena, dumped);
	free(dumped);
	return out;
}

static bool
has_nul(const json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v);
}

/* exp, nbf: NumericDate (RFC 7519 §2) when present. */
static enum status
check_times(const json_t *claims, int64_t now, struct err *err)
{
	const json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");

	if (exp != NULL && (!json_is_number(exp) ||
	                    json_number_value(exp) + REQUEST_OBJECT_SKEW_SECS <= (double)now))
		return ERR_SET(err, ST_INVALID, "the request object has expired (exp)");
	if (nbf != NULL && (!json_is_number(nbf) ||
	                    json_number_value(nbf) > (double)(now + REQUEST_OBJECT_SKEW_SECS)))
		return ERR_SET(err, ST_INVALID, "the request object is not valid yet (nbf)");
	return ST_OK;
}

/* iss is the client, aud names the issuer: when present. */
static enum status
check_parties(const json_t *claims, const char *client_id, const char *issuer, struct err *err)
{
	const json_t *iss = json_object_get(claims, "iss"), *aud = json_object_get(claims, "aud");
	const json_t *v;
	bool for_us = false;
	size_t i;

	if (iss != NULL && (!json_is_string(iss) || strcmp(json_string_value(iss), client_id) != 0))
		return ERR_SET(err, ST_INVALID, "the request object's iss is not the client_id");
	if (aud == NULL)
		return ST_OK;
	if (json_is_string(aud))
		for_us = strcmp(json_string_value(aud), issuer) == 0;
	json_array_foreach(aud, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), issuer) == 0)
			for_us = true;
	}
	if (!for_us)
		return ERR_SET(err, ST_INVALID,
		               "the request object's aud does not name this issuer");
	return ST_OK;
}

/* §6.1: client_id and response_type in the object equal the query's. */
static enum status
check_same(const json_t *claims, const struct form *query, const char *name, struct err *err)
{
	const json_t *v = json_object_get(claims, name);
	const char *q = form_get(query, name);

	if (v == NULL)
		return ST_OK;
	if (!json_is_string(v) || (q != NULL && strcmp(json_string_value(v), q) != 0))
		return ERR_SET(err, ST_INVALID,
		               "the request object's %s differs from the request's", name);
	return ST_OK;
}

enum status
request_object_merge(const struct form *query, const char *payload, size_t len,
                     const char *client_id, const char *issuer, int64_t now, struct arena *arena,
                     struct form *out, struct err *err)
{
	json_t *claims = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	const char *name;
	json_t *v;
	size_t n = 0;
	enum status st;

	if (!json_is_object(claims)) {
		st = ERR_SET(err, ST_INVALID, "the request object's payload is not a JSON object");
		goto out;
	}
	if ((st = check_same(claims, query, "client_id", err)) != ST_OK ||
	    (st = check_same(claims, query, "response_type", err)) != ST_OK ||
	    (st = check_parties(claims, client_id, issuer, err)) != ST_OK ||
	    (st = check_times(claims, now, err)) != ST_OK)
		goto out;
	out->params = arena_alloc(arena, (query->count + json_object_size(claims) + 1) *
	                                         sizeof *out->params);
	json_object_foreach(claims, name, v)
	{
		const char *text;

		if (is_not_param(name) || json_is_null(v))
			continue;
		if (has_nul(v) || strlen(name) == 0) {
			st = ERR_SET(err, ST_INVALID,
			             "the request object has a member that is not "
			             "a parameter");
			goto out;
		}
		text = param_text(v, arena);
		if (text == NULL)
			continue;
		out->params[n].name = arena_strdup(arena, name);
		out->params[n].value = text;
		n++;
	}
	/* §6.3.3: query parameters the object does not have are kept. */
	for (size_t i = 0; i < query->count; i++) {
		const char *qn = query->params[i].name;

		if (strcmp(qn, "request") == 0 || strcmp(qn, "request_uri") == 0 ||
		    json_object_get(claims, qn) != NULL)
			continue;
		out->params[n++] = query->params[i];
	}
	out->count = n;
	st = ST_OK;
out:
	json_decref(claims);
	return st;
}

static enum status
fail(struct authorize_error *e, enum oauth_error error, const char *why)
{
	e->error = error;
	e->must_not_redirect = false;
	snprintf(e->description, sizeof e->description, "%s", why);
	return ST_INVALID;
}

/* The registered request_uris entry equal to uri (§6.2, OIDC DCR §2), compared whole. */
static bool
is_registered(const json_t *doc, const char *uri)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(doc, "request_uris"), i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), uri) == 0)
			return true;
	}
	return false;
}

/* The JWT a request_uri points to (its body, trimmed). */
static enum status
fetch_request_uri(const struct app *app, const char *uri, const json_t *doc, struct arena *arena,
                  const char **jwt, struct authorize_error *e)
{
	struct fetch_opts fo = {app->cfg->http_client_ca_file};
	char *url = arena_strdup(arena, uri), *hash, *body = NULL, *end;
	struct err ferr = {0};
	size_t len = 0;
	enum status st;

	if (strlen(uri) > REQUEST_URI_MAX_BYTES)
		return fail(e, OAUTH_INVALID_REQUEST_URI, "request_uri is longer than 512 bytes");
	if (!is_registered(doc, uri))
		return fail(e, OAUTH_INVALID_REQUEST_URI,
		            "request_uri is not one of the client's registered request_uris");
	hash = strchr(url, '#');
	if (hash != NULL)
		*hash = '\0'; /* the fragment is the client's, never sent */
	st = fetch_https(&fo, url, arena, &body, &len, &ferr);
	if (st != ST_OK)
		return fail(e, OAUTH_INVALID_REQUEST_URI,
		            "request_uri cannot be fetched (https, 200, at most 64 KiB)");
	while (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n')
		body++;
	end = body + strlen(body);
	while (end > body &&
	       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	*jwt = body;
	return ST_OK;
}

/* The payload of jwt once its signature (or its lack of one) passes the client's policy. */
static enum status
verified_payload(const struct app *app, const char *jwt, const char *client_id, const json_t *doc,
                 struct arena *arena, const char **payload, size_t *len, struct authorize_error *e)
{
	const char *registered =
	        json_string_value(json_object_get(doc, "request_object_signing_alg"));
	size_t dots = 0;
	struct jws jws;
	struct err why = {0};
	char msg[200];

	for (const char *p = jwt; *p != '\0'; p++)
		dots += *p == '.';
	if (dots == 4)
		return fail(e, OAUTH_INVALID_REQUEST_OBJECT,
		            "encrypted request objects are not supported");
	if (request_object_unsigned_payload(jwt, arena, payload, len, &why) == ST_OK) {
		if (registered != NULL && strcmp(registered, "none") != 0)
			return fail(
			        e, OAUTH_INVALID_REQUEST_OBJECT,
			        "the client registered a request_object_signing_alg: the request "
			        "object must be signed with it");
		return ST_OK;
	}
	if (jws_parse(jwt, arena, &jws, &why) != ST_OK || jws.alg == 0)
		return fail(e, OAUTH_INVALID_REQUEST_OBJECT,
		            "the request object is not a JWT signed with a supported algorithm");
	if (registered != NULL && strcmp(jws.alg_name, registered) != 0)
		return fail(e, OAUTH_INVALID_REQUEST_OBJECT,
		            "the request object is not signed with the client's "
		            "request_object_signing_alg");
	if (client_jwks_verify(app, client_id, doc, &jws, JWS_ALG_ALL, arena, &why) != ST_OK) {
		snprintf(msg, sizeof msg, "the request object's signature does not verify: %.100s",
		         why.msg);
		return fail(e, OAUTH_INVALID_REQUEST_OBJECT, msg);
	}
	*payload = (const char *)jws.payload;
	*len = jws.payload_len;
	return ST_OK;
}

enum status
request_object_resolve(const struct app *app, const struct form *query, const char *client_id,
                       const json_t *doc, struct arena *arena, struct form *out,
                       struct authorize_error *e, struct err *err)
{
	const char *request = form_get(query, "request");
	const char *uri = form_get(query, "request_uri");
	const char *jwt, *payload = NULL;
	struct err why = {0};
	size_t len = 0;
	enum status st;

	(void)err;
	if (request != NULL && uri != NULL)
		return fail(e, OAUTH_INVALID_REQUEST,
		            "request and request_uri cannot be used together");
	if (request != NULL) {
		jwt = request;
	} else {
		st = fetch_request_uri(app, uri, doc, arena, &jwt, e);
		if (st != ST_OK)
			return st;
	}
	if (jwt[0] == '\0')
		return fail(e,
		            request != NULL ? OAUTH_INVALID_REQUEST_OBJECT
		                            : OAUTH_INVALID_REQUEST_URI,
		            "the request object is empty");
	st = verified_payload(app, jwt, client_id, doc, arena, &payload, &len, e);
	if (st != ST_OK)
		return st;
	if (request_object_merge(query, payload, len, client_id, app->issuer,
	                         clock_now(&app->clock), arena, out, &why) != ST_OK)
		return fail(e, OAUTH_INVALID_REQUEST_OBJECT, why.msg);
	return ST_OK;
}
