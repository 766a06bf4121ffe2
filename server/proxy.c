/*
 * server/proxy.c — client address and scheme behind trusted proxies
 * (RFC 7239, X-Forwarded-For/-Proto). See proxy.h.
 */
#include "server/proxy.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

bool
proxy_parse_ip(const char *s, int *family, unsigned char addr[16])
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

static char *
trim(char *s, char *end)
{
	while (*s == ' ' || *s == '\t')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/*
 * RFC 7239 §6 node of a for= value, unquoted: "192.0.2.43", "192.0.2.43:47011",
 * "[2001:db8::17]", "[2001:db8::17]:4711". The address part in place, or NULL
 * for "unknown", obfuscated identifiers and garbage.
 */
static char *
node_address(char *v)
{
	size_t n = strlen(v);
	char *colon;

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v[n - 1] = '\0';
		v++;
	}
	if (v[0] == '[') {
		char *close = strchr(v, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return NULL;
		*close = '\0';
		return v + 1;
	}
	colon = strchr(v, ':');
	if (colon != NULL && strchr(colon + 1, ':') == NULL)
		*colon = '\0'; /* IPv4 with a port */
	return v;
}

/* One element of Forwarded (pairs separated by ';'): its for= address and proto=. */
static void
element(char *e, char **for_out, char **proto_out)
{
	*for_out = NULL;
	*proto_out = NULL;
	while (e != NULL && *e != '\0') {
		char *next = strchr(e, ';'), *eq, *name, *value;

		if (next != NULL)
			*next++ = '\0';
		eq = strchr(e, '=');
		if (eq != NULL) {
			*eq = '\0';
			name = trim(e, eq);
			value = trim(eq + 1, eq + 1 + strlen(eq + 1));
			if (strcasecmp(name, "for") == 0)
				*for_out = value;
			else if (strcasecmp(name, "proto") == 0)
				*proto_out = value;
		}
		e = next;
	}
}

/* Splits list at commas outside double quotes; the items in place, at most max. */
static size_t
split(char *list, char **items, size_t max)
{
	size_t n = 0;
	bool quoted = false;
	char *start = list;

	for (char *p = list;; p++) {
		if (*p == '"')
			quoted = !quoted;
		if ((*p == ',' && !quoted) || *p == '\0') {
			bool last = *p == '\0';

			*p = '\0';
			if (n == max) {
				/* Keep the rightmost max: shift left by one. */
				memmove(items, items + 1, (max - 1) * sizeof *items);
				n--;
			}
			items[n++] = start;
			if (last)
				break;
			start = p + 1;
		}
	}
	return n;
}

void
proxy_resolve(const struct config *cfg, const char *peer_ip, int peer_family,
              const unsigned char *peer_addr, const char *forwarded, const char *xff,
              const char *xfp, struct arena *arena, const char **client_ip, int *is_https)
{
	char *items[PROXY_MAX_HOPS];
	unsigned char addr[16];
	int family;
	size_t n;

	*client_ip = peer_ip;
	*is_https = -1;
	if (peer_family == AF_UNSPEC || !config_is_trusted_proxy(cfg, peer_family, peer_addr))
		return;
	if (forwarded != NULL) {
		n = split(arena_strdup(arena, forwarded), items, PROXY_MAX_HOPS);
		for (size_t i = n; i-- > 0;) {
			char *f, *proto, *a;

			element(items[i], &f, &proto);
			if (i == n - 1 && proto != NULL)
				*is_https = strcasecmp(proto, "https") == 0 ||
				            strcasecmp(proto, "\"https\"") == 0;
			a = f != NULL ? node_address(f) : NULL;
			if (a == NULL || !proxy_parse_ip(a, &family, addr))
				return; /* garbage: keep what we trust so far */
			*client_ip = a;
			if (!config_is_trusted_proxy(cfg, family, addr))
				return;
		}
		return;
	}
	if (xfp != NULL)
		*is_https = strcasecmp(xfp, "https") == 0;
	if (xff == NULL)
		return;
	n = split(arena_strdup(arena, xff), items, PROXY_MAX_HOPS);
	for (size_t i = n; i-- > 0;) {
		char *item = trim(items[i], items[i] + strlen(items[i]));

		if (!proxy_parse_ip(item, &family, addr))
			return;
		*client_ip = item;
		if (!config_is_trusted_proxy(cfg, family, addr))
			return;
	}
}
