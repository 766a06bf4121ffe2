/*
 * server/proxy.h — who the client is behind reverse proxies: the socket
 * peer, unless it is in proxy.trusted; then the proxies' own record of the
 * hops, walked from the right (the hop nearest to us first) until the first
 * address that is not itself a trusted proxy.
 *
 * The record is the standard Forwarded header (RFC 7239: elements
 * `for=...;proto=...` separated by commas, quoted IPv6 "[::1]:port") when
 * present, else X-Forwarded-For / X-Forwarded-Proto. The scheme is the one
 * the nearest trusted proxy reports. From an untrusted peer all three are
 * ignored: a client cannot choose its own throttling key or make a plain
 * http request look secure. A malformed entry ends the walk at the last
 * address trusted so far. Nothing here is used to build URLs: the issuer is
 * always the configured one.
 */
#ifndef SERVER_PROXY_H
#define SERVER_PROXY_H

#include <stdbool.h>

#include "common/arena.h"
#include "config/config.h"

#define PROXY_MAX_HOPS 32 /* entries looked at, from the right */

/* Parses s as an IPv4 or IPv6 address (no port, no brackets) into addr (network order). */
bool proxy_parse_ip(const char *s, int *family, unsigned char addr[16]);

/*
 * The client address (*client_ip, in the arena or peer_ip itself) and
 * whether the original request was https (*is_https: 1 yes, 0 no, -1 not
 * said: keep what the socket says) for a request from peer (its text form,
 * family and bytes; family AF_UNSPEC when unknown) with these headers (each
 * may be NULL).
 */
void proxy_resolve(const struct config *cfg, const char *peer_ip, int peer_family,
                   const unsigned char *peer_addr, const char *forwarded, const char *xff,
                   const char *xfp, struct arena *arena, const char **client_ip, int *is_https);

#endif
