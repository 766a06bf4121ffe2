/*
 * server/cookie.h — the Cookie request header parsed (RFC 6265 §4.2.1,
 * §5.4) and Set-Cookie values built (RFC 6265 §4.1, RFC 6265bis §4.1.3
 * prefixes, SameSite).
 *
 * Parsing is lenient where browsers are sloppy and strict where it matters:
 * pairs are split on ';' with optional whitespace around them, a value may
 * be wrapped in DQUOTEs (removed), and a pair whose name is not an RFC 9110
 * token or whose value holds a byte outside cookie-octet is ignored, not an
 * error. The first occurrence of a name wins (browsers send the most
 * specific path first, RFC 6265 §5.4 step 2). Nothing is percent-decoded.
 *
 * Set-Cookie values always carry Path=/ and never Domain, so a cookie
 * named "__Host-..." satisfies the __Host- prefix rules as soon as it is
 * Secure (RFC 6265bis §4.1.3.2: Secure, Path=/, no Domain); cookie_set
 * refuses a __Host- or __Secure- name without Secure, and SameSite=None
 * without Secure (browsers drop such cookies). Use the __Host- prefix when
 * the issuer is https: it stops a sibling subdomain from planting the
 * cookie (the attack double-submit CSRF defences are weak against).
 */
#ifndef SERVER_COOKIE_H
#define SERVER_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"

#define COOKIE_MAX_HEADER_BYTES 8192 /* longer Cookie headers are refused */
#define COOKIE_MAX_PAIRS        32   /* further (distinct) pairs are ignored */
#define COOKIE_MAX_NAME_BYTES   256  /* longer names: pair ignored */
#define COOKIE_MAX_VALUE_BYTES  4096 /* longer values: pair ignored */

struct cookie {
	const char *name;  /* arena */
	const char *value; /* arena; DQUOTEs removed; may be "" */
};

struct cookie_jar {
	struct cookie items[COOKIE_MAX_PAIRS];
	size_t count;
};

enum cookie_same_site {
	COOKIE_SAME_SITE_LAX = 0, /* the default: sent on top-level navigations */
	COOKIE_SAME_SITE_STRICT,
	COOKIE_SAME_SITE_NONE, /* requires Secure */
};

/*
 * Parses a Cookie header value (header[0..len), NUL not needed; NULL with
 * len 0 is an empty header) into *out, strings in the arena. Malformed
 * pairs are skipped. ST_INVALID only when len > COOKIE_MAX_HEADER_BYTES.
 */
enum status cookie_parse(const char *header, size_t len, struct arena *arena,
                         struct cookie_jar *out, struct err *err);

/* The value of the first cookie called name (case-sensitive), or NULL. */
const char *cookie_get(const struct cookie_jar *jar, const char *name);

/*
 * A Set-Cookie header value:
 *   name=value; Path=/[; Max-Age=N][; Secure][; HttpOnly]; SameSite=Lax|Strict|None
 * max_age_secs < 0 makes a session cookie (no Max-Age). The string lives in
 * the arena. ST_INVALID when name is not a token, value holds a byte outside
 * cookie-octet, or the prefix / SameSite=None rules above need Secure.
 */
enum status cookie_set(struct arena *arena, const char *name, const char *value,
                       int64_t max_age_secs, bool is_secure, bool is_http_only,
                       enum cookie_same_site same_site, char **out, struct err *err);

/*
 * A Set-Cookie value that deletes the cookie: empty value, Max-Age=0 and an
 * Expires in 1970 (for agents without Max-Age). Pass the attributes the
 * cookie was set with (a __Host- cookie is only replaced by a Secure one).
 */
enum status cookie_clear(struct arena *arena, const char *name, bool is_secure, bool is_http_only,
                         enum cookie_same_site same_site, char **out, struct err *err);

#endif
