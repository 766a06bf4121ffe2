/*
 * crypto/digest.c — SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104) over
 * OpenSSL's EVP interfaces: the hashes storage keeps instead of codes and
 * tokens, and a hex form for log correlation.
 *
 * API: digest_sha256, digest_hmac_sha256, digest_sha256_hex.
 *
 * Invariant: these functions cannot fail for a caller. With SHA-256 fixed,
 * OpenSSL fails only when out of memory or when its default provider is
 * missing; both are treated like OOM elsewhere in oidcd (abort).
 */
#include "crypto/digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

/* Reports an OpenSSL failure that leaves the process unable to hash, and aborts. */
static void
die(const char *what)
{
	fprintf(stderr, "fatal: %s failed; is the OpenSSL default provider available?\n", what);
	abort();
}

void
digest_sha256(const void *data, size_t n, unsigned char out[DIGEST_SHA256_BYTES])
{
	unsigned int len = 0;

	if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1 || len != DIGEST_SHA256_BYTES)
		die("EVP_Digest(SHA-256)");
}

void
digest_hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
                   unsigned char out[DIGEST_SHA256_BYTES])
{
	static const unsigned char empty[1];
	size_t len = 0;

	/* EVP_MAC_init reads a NULL key as "keep the previous key": pass a real pointer. */
	if (key == NULL || key_len == 0) {
		key = empty;
		key_len = 0;
	}
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, data, n, out,
	              DIGEST_SHA256_BYTES, &len) == NULL ||
	    len != DIGEST_SHA256_BYTES)
		die("EVP_Q_mac(HMAC-SHA-256)");
}

void
digest_sha256_hex(const void *data, size_t n, char out[2 * DIGEST_SHA256_BYTES + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[DIGEST_SHA256_BYTES];
	size_t i;

	digest_sha256(data, n, md);
	for (i = 0; i < sizeof md; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[2 * sizeof md] = '\0';
}
