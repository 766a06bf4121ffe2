/*
 * server/uri.h — strict parser for absolute URIs (RFC 3986 §3, §4.3), the
 * kind clients register: redirect URIs, logo/policy/jwks URLs, origins.
 *
 * Strict on purpose: only the RFC 3986 character set (no whitespace, no
 * control characters, no raw non-ASCII), well-formed %XX escapes, a port of
 * 1..65535 when one is written, IPv6 literals that inet_pton accepts (no
 * IPvFuture, no zone ids), and an http/https URI must name a host
 * (RFC 9110 §4.2.1, §4.2.2). Nothing is decoded or resolved.
 */
#ifndef SERVER_URI_H
#define SERVER_URI_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/err.h"

enum uri_host_kind {
	URI_HOST_NONE = 0, /* no authority ("com.example.app:/cb") */
	URI_HOST_NAME,     /* reg-name, possibly empty ("file:///x") */
	URI_HOST_IPV4,     /* dotted-decimal IPv4address */
	URI_HOST_IPV6,     /* "[...]" literal; host holds it without brackets */
};

struct uri {
	const char *scheme;   /* lower-cased */
	const char *userinfo; /* NULL when there is no '@' */
	const char *host;     /* lower-cased; NULL when host_kind is URI_HOST_NONE */
	enum uri_host_kind host_kind;
	unsigned port;        /* 0 when no port is written */
	const char *path;     /* never NULL, may be "" */
	const char *query;    /* NULL when there is no '?' (may be "") */
	const char *fragment; /* NULL when there is no '#' (may be "") */
};

/*
 * Parses the NUL-terminated absolute URI s into out (strings in the arena).
 * ST_INVALID with a fixed reason in err (the input is never quoted).
 */
enum status uri_parse(const char *s, struct arena *arena, struct uri *out, struct err *err);

/* True for 127.0.0.0/8, [::1] and "localhost" (RFC 8252 §7.3, §8.3). */
bool uri_is_loopback_host(const struct uri *u);

/*
 * The origin of an http/https URI (RFC 6454 §6.1): "scheme://host[:port]",
 * the port left out when it is the scheme's default. In the arena.
 */
char *uri_origin(const struct uri *u, struct arena *arena);

#endif
