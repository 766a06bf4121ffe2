/*
 * server/cookie.c — Cookie header parsing and Set-Cookie building. See
 * cookie.h for the rules.
 *
 * API: cookie_parse, cookie_get, cookie_set, cookie_clear.
 * Invariants: every parsed name is a non-empty token and every value is
 * cookie-octets only, so a jar round-trips through cookie_set unchanged;
 * names in a jar are distinct.
 */
#include "server/cookie.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* RFC 9110 §5.6.2: tchar. */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 6265 §4.1.1: cookie-octet (no CTLs, whitespace, DQUOTE, comma, semicolon, backslash). */
static bool
is_cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
	       (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

static bool
is_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

static bool
is_cookie_value(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_cookie_octet((unsigned char)s[i]))
			return false;
	return true;
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_ows((*s)[0])) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_ows((*s)[*n - 1]))
		(*n)--;
}

/* One "name=value" segment (already split on ';'); malformed ones are skipped. */
static void
add_pair(const char *seg, size_t n, struct arena *arena, struct cookie_jar *jar)
{
	const char *eq = memchr(seg, '=', n);
	const char *name = seg, *value;
	size_t name_len, value_len, i;

	if (eq == NULL || jar->count == COOKIE_MAX_PAIRS)
		return;
	name_len = (size_t)(eq - seg);
	value = eq + 1;
	value_len = n - name_len - 1;
	trim(&name, &name_len);
	trim(&value, &value_len);
	/* RFC 6265 §4.1.1: cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ). */
	if (value_len >= 2 && value[0] == '"' && value[value_len - 1] == '"') {
		value++;
		value_len -= 2;
	}
	if (name_len > COOKIE_MAX_NAME_BYTES || value_len > COOKIE_MAX_VALUE_BYTES ||
	    !is_token(name, name_len) || !is_cookie_value(value, value_len))
		return;
	for (i = 0; i < jar->count; i++)
		if (strlen(jar->items[i].name) == name_len &&
		    memcmp(jar->items[i].name, name, name_len) == 0)
			return; /* the first occurrence wins */
	jar->items[jar->count].name = arena_strndup(arena, name, name_len);
	jar->items[jar->count].value = arena_strndup(arena, value, value_len);
	jar->count++;
}

enum status
cookie_parse(const char *header, size_t len, struct arena *arena, struct cookie_jar *out,
             struct err *err)
{
	size_t start = 0, i;

	if (len > COOKIE_MAX_HEADER_BYTES) {
		ERR_SET(err, ST_INVALID, "Cookie header longer than %d bytes",
		        COOKIE_MAX_HEADER_BYTES);
		return ST_INVALID;
	}
	if (header == NULL)
		header = "";
	out->count = 0;
	/* RFC 6265 §4.2.1: cookie-string = cookie-pair *( ";" SP cookie-pair ). */
	for (i = 0; i <= len; i++) {
		if (i == len || header[i] == ';') {
			add_pair(header + start, i - start, arena, out);
			start = i + 1;
		}
	}
	return ST_OK;
}

const char *
cookie_get(const struct cookie_jar *jar, const char *name)
{
	size_t i;

	for (i = 0; i < jar->count; i++)
		if (strcmp(jar->items[i].name, name) == 0)
			return jar->items[i].value;
	return NULL;
}

static const char *
same_site_str(enum cookie_same_site s)
{
	switch (s) {
	case COOKIE_SAME_SITE_STRICT:
		return "Strict";
	case COOKIE_SAME_SITE_NONE:
		return "None";
	case COOKIE_SAME_SITE_LAX:
		break;
	}
	return "Lax";
}

/* The attribute checks shared by cookie_set and cookie_clear. */
static enum status
check_attributes(const char *name, bool is_secure, enum cookie_same_site same_site, struct err *err)
{
	if (!is_token(name, strlen(name)) || strlen(name) > COOKIE_MAX_NAME_BYTES) {
		ERR_SET(err, ST_INVALID, "cookie name is not a token");
		return ST_INVALID;
	}
	/* RFC 6265bis §4.1.3: both prefixes require Secure (Path=/ and no Domain always hold). */
	if (!is_secure &&
	    (strncmp(name, "__Host-", 7) == 0 || strncmp(name, "__Secure-", 9) == 0)) {
		ERR_SET(err, ST_INVALID, "a __Host-/__Secure- cookie needs Secure");
		return ST_INVALID;
	}
	/* RFC 6265bis §5.6.7: SameSite=None without Secure is rejected by browsers. */
	if (!is_secure && same_site == COOKIE_SAME_SITE_NONE) {
		ERR_SET(err, ST_INVALID, "SameSite=None needs Secure");
		return ST_INVALID;
	}
	return ST_OK;
}

enum status
cookie_set(struct arena *arena, const char *name, const char *value, int64_t max_age_secs,
           bool is_secure, bool is_http_only, enum cookie_same_site same_site, char **out,
           struct err *err)
{
	char max_age[40] = "";
	enum status st;

	st = check_attributes(name, is_secure, same_site, err);
	if (st != ST_OK)
		return st;
	if (strlen(value) > COOKIE_MAX_VALUE_BYTES || !is_cookie_value(value, strlen(value))) {
		ERR_SET(err, ST_INVALID, "cookie value holds a byte outside cookie-octet");
		return ST_INVALID;
	}
	if (max_age_secs >= 0)
		snprintf(max_age, sizeof max_age, "; Max-Age=%" PRId64, max_age_secs);
	*out = arena_printf(arena, "%s=%s; Path=/%s%s%s; SameSite=%s", name, value, max_age,
	                    is_secure ? "; Secure" : "", is_http_only ? "; HttpOnly" : "",
	                    same_site_str(same_site));
	return ST_OK;
}

enum status
cookie_clear(struct arena *arena, const char *name, bool is_secure, bool is_http_only,
             enum cookie_same_site same_site, char **out, struct err *err)
{
	enum status st;

	st = check_attributes(name, is_secure, same_site, err);
	if (st != ST_OK)
		return st;
	/* RFC 6265 §3.1: a date in the past deletes the cookie; Max-Age=0 for §5.2.2 agents. */
	*out = arena_printf(arena,
	                    "%s=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT%s%s; "
	                    "SameSite=%s",
	                    name, is_secure ? "; Secure" : "", is_http_only ? "; HttpOnly" : "",
	                    same_site_str(same_site));
	return ST_OK;
}
