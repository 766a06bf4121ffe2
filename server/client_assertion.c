/*
 * server/client_assertion.c — private_key_jwt assertions: parse and check
 * claims. See client_assertion.h.
 *
 * API: client_assertion_parse, client_assertion_check_claims.
 *
 * Invariants:
 *   - pure: no I/O, no clock (now is a parameter);
 *   - every NumericDate is range-checked before it becomes an int64_t, so
 *     no input reaches an undefined conversion;
 *   - error texts name the claim, never echo its value.
 */
#include "server/client_assertion.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* NumericDates beyond this (year ~33658) are refused rather than converted. */
#define NUMERIC_DATE_MAX 1e12

/* A NumericDate claim (RFC 7519 §2): a JSON number, fractions truncated. */
static enum status
numeric_date(const json_t *v, const char *name, int64_t *out, struct err *err)
{
	double d;

	if (!json_is_number(v))
		return ERR_SET(err, ST_INVALID, "client_assertion: %s must be a number", name);
	d = json_number_value(v);
	if (!(d >= 0 && d <= NUMERIC_DATE_MAX))
		return ERR_SET(err, ST_INVALID, "client_assertion: %s is out of range", name);
	*out = (int64_t)d; /* truncation: d >= 0 */
	return ST_OK;
}

static enum status
required_string(const json_t *claims, const char *name, struct arena *arena, const char **out,
                struct err *err)
{
	const json_t *v = json_object_get(claims, name);

	if (v == NULL)
		return ERR_SET(err, ST_INVALID, "client_assertion: %s is required", name);
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return ERR_SET(err, ST_INVALID, "client_assertion: %s must be a non-empty string",
		               name);
	*out = arena_strdup(arena, json_string_value(v));
	return ST_OK;
}

/* aud: a string or an array of strings (RFC 7519 §4.1.3). */
static enum status
audiences(const json_t *v, struct arena *arena, struct client_assertion *out, struct err *err)
{
	const char **list;
	size_t i, n;

	if (v == NULL)
		return ERR_SET(err, ST_INVALID, "client_assertion: aud is required");
	if (json_is_string(v)) {
		list = arena_alloc(arena, sizeof *list);
		list[0] = arena_strdup(arena, json_string_value(v));
		n = 1;
	} else if (json_is_array(v)) {
		n = json_array_size(v);
		if (n == 0 || n > CLIENT_ASSERTION_AUD_MAX)
			return ERR_SET(err, ST_INVALID,
			               "client_assertion: aud must hold 1 to %d strings",
			               CLIENT_ASSERTION_AUD_MAX);
		list = arena_alloc(arena, n * sizeof *list);
		for (i = 0; i < n; i++) {
			const json_t *s = json_array_get(v, i);

			if (!json_is_string(s))
				return ERR_SET(err, ST_INVALID,
				               "client_assertion: aud must hold strings only");
			list[i] = arena_strdup(arena, json_string_value(s));
		}
	} else {
		return ERR_SET(err, ST_INVALID,
		               "client_assertion: aud must be a string or an array of strings");
	}
	for (i = 0; i < n; i++)
		if (list[i][0] == '\0')
			return ERR_SET(err, ST_INVALID, "client_assertion: aud is empty");
	out->aud = list;
	out->aud_count = n;
	return ST_OK;
}

/* Reads the claims of the decoded payload into out. */
static enum status
read_claims(const json_t *claims, struct arena *arena, struct client_assertion *out,
            struct err *err)
{
	const json_t *v;
	enum status st;

	st = required_string(claims, "iss", arena, &out->iss, err);
	if (st == ST_OK)
		st = required_string(claims, "sub", arena, &out->sub, err);
	if (st == ST_OK)
		st = audiences(json_object_get(claims, "aud"), arena, out, err);
	if (st != ST_OK)
		return st;
	v = json_object_get(claims, "exp");
	if (v == NULL)
		return ERR_SET(err, ST_INVALID, "client_assertion: exp is required");
	st = numeric_date(v, "exp", &out->exp, err);
	if (st != ST_OK)
		return st;
	v = json_object_get(claims, "iat");
	if (v != NULL) {
		st = numeric_date(v, "iat", &out->iat, err);
		if (st != ST_OK)
			return st;
		out->has_iat = true;
	}
	v = json_object_get(claims, "nbf");
	if (v != NULL) {
		st = numeric_date(v, "nbf", &out->nbf, err);
		if (st != ST_OK)
			return st;
		out->has_nbf = true;
	}
	v = json_object_get(claims, "jti");
	if (v != NULL) {
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return ERR_SET(err, ST_INVALID, "client_assertion: jti must be a string");
		out->jti = arena_strdup(arena, json_string_value(v));
	}
	return ST_OK;
}

enum status
client_assertion_parse(const char *compact, struct arena *arena, struct client_assertion *out,
                       struct err *err)
{
	json_t *claims = NULL;
	char why[sizeof err->msg];
	enum status st;

	memset(out, 0, sizeof *out);
	st = jws_parse(compact, arena, &out->jws, err);
	if (st != ST_OK) {
		snprintf(why, sizeof why, "%s", err->msg);
		return ERR_SET(err, ST_INVALID, "client_assertion: not a compact JWS (%.100s)",
		               why);
	}
	/* RFC 8725 §3.1, RFC 7523 §3 item 9: a signature we can check, so never none or HS*. */
	if (out->jws.alg == 0)
		return ERR_SET(err, ST_INVALID,
		               "client_assertion: alg is not an accepted algorithm");
	claims = json_loadb((const char *)out->jws.payload, out->jws.payload_len,
	                    JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(claims)) {
		st = ERR_SET(err, ST_INVALID, "client_assertion: the payload is not a JSON object");
		goto out;
	}
	st = read_claims(claims, arena, out, err);
out:
	json_decref(claims);
	return st;
}

enum status
client_assertion_check_claims(const struct client_assertion *a, const char *client_id,
                              const char *issuer, const char *token_endpoint, int64_t now,
                              struct err *err)
{
	bool is_for_us = false;
	size_t i;

	/* RFC 7523 §3 items 1-2, OIDC Core §9: iss and sub are the client_id. */
	if (strcmp(a->iss, client_id) != 0)
		return ERR_SET(err, ST_INVALID, "client_assertion: iss is not the client_id");
	if (strcmp(a->sub, client_id) != 0)
		return ERR_SET(err, ST_INVALID, "client_assertion: sub is not the client_id");
	/* Item 3: the token endpoint URL, or the issuer identifier. */
	for (i = 0; i < a->aud_count && !is_for_us; i++)
		is_for_us =
		        strcmp(a->aud[i], token_endpoint) == 0 || strcmp(a->aud[i], issuer) == 0;
	if (!is_for_us)
		return ERR_SET(
		        err, ST_INVALID,
		        "client_assertion: aud names neither the token endpoint nor the issuer");
	/* Items 4-6. */
	if (a->exp + CLIENT_ASSERTION_SKEW_SECS <= now)
		return ERR_SET(err, ST_INVALID, "client_assertion: expired");
	if (a->has_nbf && a->nbf > now + CLIENT_ASSERTION_SKEW_SECS)
		return ERR_SET(err, ST_INVALID, "client_assertion: not valid yet (nbf)");
	if (a->has_iat && a->iat > now + CLIENT_ASSERTION_SKEW_SECS)
		return ERR_SET(err, ST_INVALID, "client_assertion: issued in the future (iat)");
	/* Item 7, OIDC Core §9: jti is required here, so that replay can be refused. */
	if (a->jti == NULL || a->jti[0] == '\0')
		return ERR_SET(err, ST_INVALID, "client_assertion: jti is required");
	if (strlen(a->jti) > CLIENT_ASSERTION_JTI_MAX)
		return ERR_SET(err, ST_INVALID, "client_assertion: jti is longer than %d bytes",
		               CLIENT_ASSERTION_JTI_MAX);
	return ST_OK;
}
