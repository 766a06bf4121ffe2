/*
 * tests/fuzz/fuzz_proxy.c — client address behind proxies (server/proxy.c):
 * the input is split at its first two newlines into Forwarded,
 * X-Forwarded-For and X-Forwarded-Proto values.
 *
 * Invariants checked on every input: from an untrusted peer nothing changes
 * (the peer, scheme unknown); from a trusted peer the client is the peer or
 * an address that parses and occurs in the headers; the scheme is -1, 0 or 1.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	static struct config_cidr blocks[2];
	struct arena *arena = arena_new();
	char *s = arena_alloc(arena, size + 1), *parts[3] = {NULL, NULL, NULL};
	unsigned char peer[16], addr[16];
	const char *ip;
	int https, family;

	if (cfg.proxy_trusted == NULL) {
		if (config_parse_cidr("10.0.0.0/8", &blocks[0]) != ST_OK ||
		    config_parse_cidr("::1", &blocks[1]) != ST_OK)
			abort();
		cfg.proxy_trusted = blocks;
		cfg.proxy_trusted_count = 2;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	parts[0] = s;
	for (int i = 1; i < 3; i++) {
		char *nl = parts[i - 1] != NULL ? strchr(parts[i - 1], '\n') : NULL;

		if (nl == NULL)
			break;
		*nl = '\0';
		parts[i] = nl + 1;
	}
	/* An untrusted peer. */
	inet_pton(AF_INET, "192.0.2.1", peer);
	proxy_resolve(&cfg, "192.0.2.1", AF_INET, peer, parts[0], parts[1], parts[2], arena, &ip,
	              &https);
	if (strcmp(ip, "192.0.2.1") != 0 || https != -1)
		abort();
	/* A trusted one. */
	inet_pton(AF_INET, "10.0.0.1", peer);
	proxy_resolve(&cfg, "10.0.0.1", AF_INET, peer, parts[0], parts[1], parts[2], arena, &ip,
	              &https);
	if (https < -1 || https > 1)
		abort();
	if (strcmp(ip, "10.0.0.1") != 0) {
		if (!proxy_parse_ip(ip, &family, addr) ||
		    memmem(data, size, ip, strlen(ip)) == NULL)
			abort();
	}
	arena_free(arena);
	return 0;
}
