/*
 * server/uri.c — strict absolute-URI parser (RFC 3986). See uri.h.
 *
 * API: uri_parse() splits an absolute URI into scheme, userinfo, host, port,
 * path, query and fragment; uri_is_loopback_host() and uri_origin() answer
 * the questions client registration asks about the result.
 *
 * Invariants:
 *   - The whole input is checked against the RFC 3986 character set before
 *     it is split, and every '%' starts a valid escape; so no component can
 *     hold whitespace, a control character or a raw non-ASCII byte.
 *   - '[' and ']' only appear around an IPv6 literal; '#' at most once.
 *   - Error messages are fixed strings: the input is never quoted.
 */
#include "server/uri.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* RFC 3986 §2.2, §2.3: the characters that may appear literally in a URI. */
static bool
is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static bool
is_sub_delim(unsigned char c)
{
	return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

static bool
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Every byte is in the RFC 3986 set and every '%' is followed by two hex digits. */
static enum status
check_charset(const char *s, struct err *err)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p == '%') {
			if (!is_hex(p[1]) || !is_hex(p[2]))
				return ERR_SET(err, ST_INVALID, "malformed percent-escape");
			p += 2;
			continue;
		}
		if (!is_unreserved(*p) && !is_sub_delim(*p) && strchr(":/?#[]@", *p) == NULL)
			return ERR_SET(err, ST_INVALID, "character not allowed in a URI");
	}
	return ST_OK;
}

/* True when s[0..n) holds no byte from the set (pct-escapes were checked already). */
static bool
has_none_of(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strchr(set, s[i]) != NULL)
			return false;
	return true;
}

static char *
lower_dup(struct arena *arena, const char *s, size_t n)
{
	char *d = arena_strndup(arena, s, n);
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	return d;
}

/* RFC 3986 §3.2.2 IPv4address: four dec-octets, no leading zeros. */
static bool
is_ipv4(const char *s, size_t n)
{
	size_t i = 0, parts = 0, digits;
	unsigned v;

	while (parts < 4) {
		digits = 0;
		v = 0;
		while (i < n && is_digit((unsigned char)s[i]) && digits < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[i - digits] == '0'))
			return false;
		parts++;
		if (parts < 4) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == n;
}

/* port = 1*5DIGIT with a value of 1..65535 (an empty port is refused). */
static enum status
parse_port(const char *s, size_t n, unsigned *out, struct err *err)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return ERR_SET(err, ST_INVALID, "invalid port");
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return ERR_SET(err, ST_INVALID, "invalid port");
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return ERR_SET(err, ST_INVALID, "port out of range");
	*out = v;
	return ST_OK;
}

/* RFC 3986 §3.2: authority = [ userinfo "@" ] host [ ":" port ], in a[0..n). */
static enum status
parse_authority(const char *a, size_t n, struct arena *arena, struct uri *u, struct err *err)
{
	const char *at = memchr(a, '@', n), *host, *end = a + n, *colon;
	char literal[INET6_ADDRSTRLEN];
	struct in6_addr addr6;
	size_t hlen;

	if (at != NULL) {
		if (memchr(at + 1, '@', (size_t)(end - at - 1)) != NULL ||
		    !has_none_of(a, (size_t)(at - a), "[]"))
			return ERR_SET(err, ST_INVALID, "invalid userinfo");
		u->userinfo = arena_strndup(arena, a, (size_t)(at - a));
		host = at + 1;
	} else {
		host = a;
	}
	if (host < end && *host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));

		if (close == NULL)
			return ERR_SET(err, ST_INVALID, "unterminated IPv6 literal");
		hlen = (size_t)(close - host - 1);
		if (hlen > 0 && (host[1] == 'v' || host[1] == 'V'))
			return ERR_SET(err, ST_INVALID, "IPvFuture literals are not supported");
		if (hlen == 0 || hlen >= sizeof literal)
			return ERR_SET(err, ST_INVALID, "invalid IPv6 literal");
		memcpy(literal, host + 1, hlen);
		literal[hlen] = '\0';
		if (inet_pton(AF_INET6, literal, &addr6) != 1)
			return ERR_SET(err, ST_INVALID, "invalid IPv6 literal");
		u->host = lower_dup(arena, literal, hlen);
		u->host_kind = URI_HOST_IPV6;
		colon = close + 1;
		if (colon == end)
			return ST_OK;
		if (*colon != ':')
			return ERR_SET(err, ST_INVALID, "junk after IPv6 literal");
		return parse_port(colon + 1, (size_t)(end - colon - 1), &u->port, err);
	}
	colon = memchr(host, ':', (size_t)(end - host));
	hlen = (size_t)((colon != NULL ? colon : end) - host);
	/* reg-name = *( unreserved / pct-encoded / sub-delims ) */
	if (!has_none_of(host, hlen, "[]"))
		return ERR_SET(err, ST_INVALID, "invalid host");
	u->host = lower_dup(arena, host, hlen);
	u->host_kind = is_ipv4(host, hlen) ? URI_HOST_IPV4 : URI_HOST_NAME;
	if (colon == NULL)
		return ST_OK;
	return parse_port(colon + 1, (size_t)(end - colon - 1), &u->port, err);
}

enum status
uri_parse(const char *s, struct arena *arena, struct uri *out, struct err *err)
{
	struct uri u = {0};
	const char *p, *rest, *q;
	size_t n;
	enum status st;

	st = check_charset(s, err);
	if (st != ST_OK)
		return st;
	/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if (!is_alpha((unsigned char)s[0]))
		return ERR_SET(err, ST_INVALID, "not an absolute URI (no scheme)");
	for (p = s + 1; is_alpha((unsigned char)*p) || is_digit((unsigned char)*p) || *p == '+' ||
	                *p == '-' || *p == '.';
	     p++)
		;
	if (*p != ':')
		return ERR_SET(err, ST_INVALID, "not an absolute URI (no scheme)");
	u.scheme = lower_dup(arena, s, (size_t)(p - s));
	rest = p + 1;

	/* RFC 3986 §3.2: "//" introduces the authority, which ends at '/', '?' or '#'. */
	if (rest[0] == '/' && rest[1] == '/') {
		rest += 2;
		n = strcspn(rest, "/?#");
		st = parse_authority(rest, n, arena, &u, err);
		if (st != ST_OK)
			return st;
		rest += n;
	}
	/* RFC 3986 §3.3 - §3.5: path, then "?" query, then "#" fragment. */
	n = strcspn(rest, "?#");
	if (!has_none_of(rest, n, "[]"))
		return ERR_SET(err, ST_INVALID, "'[' or ']' outside an IPv6 literal");
	u.path = arena_strndup(arena, rest, n);
	rest += n;
	if (*rest == '?') {
		q = rest + 1;
		n = strcspn(q, "#");
		if (!has_none_of(q, n, "[]"))
			return ERR_SET(err, ST_INVALID, "'[' or ']' outside an IPv6 literal");
		u.query = arena_strndup(arena, q, n);
		rest = q + n;
	}
	if (*rest == '#') {
		q = rest + 1;
		if (!has_none_of(q, strlen(q), "[]#"))
			return ERR_SET(err, ST_INVALID, "invalid fragment");
		u.fragment = arena_strdup(arena, q);
	}
	/* RFC 9110 §4.2.1, §4.2.2: an http(s) URI with an empty host is invalid. */
	if ((strcmp(u.scheme, "http") == 0 || strcmp(u.scheme, "https") == 0) &&
	    (u.host == NULL || u.host[0] == '\0'))
		return ERR_SET(err, ST_INVALID, "http(s) URI without a host");
	*out = u;
	return ST_OK;
}

bool
uri_is_loopback_host(const struct uri *u)
{
	struct in6_addr addr6;

	switch (u->host_kind) {
	case URI_HOST_IPV4:
		/* RFC 1122 §3.2.1.3: 127.0.0.0/8; is_ipv4 guaranteed the form. */
		return strncmp(u->host, "127.", 4) == 0;
	case URI_HOST_IPV6:
		return inet_pton(AF_INET6, u->host, &addr6) == 1 &&
		       memcmp(&addr6, &in6addr_loopback, sizeof addr6) == 0;
	case URI_HOST_NAME:
		/* RFC 6761 §6.3; RFC 8252 §8.3 discourages it but allows it. */
		return strcmp(u->host, "localhost") == 0;
	case URI_HOST_NONE:
		break;
	}
	return false;
}

char *
uri_origin(const struct uri *u, struct arena *arena)
{
	unsigned default_port = strcmp(u->scheme, "https") == 0  ? 443
	                        : strcmp(u->scheme, "http") == 0 ? 80
	                                                         : 0;
	const char *open = u->host_kind == URI_HOST_IPV6 ? "[" : "";
	const char *close = u->host_kind == URI_HOST_IPV6 ? "]" : "";

	if (u->port == 0 || u->port == default_port)
		return arena_printf(arena, "%s://%s%s%s", u->scheme, open, u->host, close);
	return arena_printf(arena, "%s://%s%s%s:%u", u->scheme, open, u->host, close, u->port);
}
