/*
 * crypto/digest.c — SHA-256 and SHA-512 (FIPS 180-4) and HMAC-SHA-256
 * (RFC 2104) over OpenSSL's EVP interfaces: the hashes storage keeps instead
 * of codes and tokens, a hex form for log correlation, and SHA-512 for ID
 * token hash claims (server/id_token.c).
 *
 * API: digest_sha256, digest_sha512, digest_hmac_sha256, digest_sha256_hex.
 *
 * Invariant: these functions cannot fail for a caller. With the digest fixed,
 * OpenSSL fails only when out of memory or when its default provider is
 * missing; both are treated like OOM elsewhere in oidcd (abort).
 */
#include "crypto/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reports an OpenSSL failure that leaves the process unable to hash, and aborts. */
static void
die(const char *what)
{
	fprintf(stderr, "fatal: %s failed; is the OpenSSL default provider available?\n", what);
	abort();
}

/*
 * SHA-256 is fetched from the provider once, and every thread keeps one
 * digest context: the hashes are on every token check's path, and an
 * implicit fetch per call (EVP_Q_mac, EVP_sha256()) cost more than the
 * hashing itself.
 */
static EVP_MD *sha256_md;
static EVP_MD *sha512_md;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctx_key;

static void
ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void
md_init(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	sha512_md = EVP_MD_fetch(NULL, "SHA512", NULL);
	if (sha256_md == NULL || sha512_md == NULL || pthread_key_create(&ctx_key, ctx_free) != 0)
		die("EVP_MD_fetch(SHA256, SHA512)");
}

static EVP_MD_CTX *
thread_ctx(void)
{
	EVP_MD_CTX *ctx;

	pthread_once(&md_once, md_init);
	ctx = pthread_getspecific(ctx_key);
	if (ctx == NULL) {
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL || pthread_setspecific(ctx_key, ctx) != 0)
			die("EVP_MD_CTX_new");
	}
	return ctx;
}

/* out = SHA-256(a || b) on the thread's context. */
static void
sha256_two(const void *a, size_t an, const void *b, size_t bn,
           unsigned char out[DIGEST_SHA256_BYTES])
{
	EVP_MD_CTX *ctx = thread_ctx();
	unsigned int len = 0;

	if (EVP_DigestInit_ex2(ctx, sha256_md, NULL) != 1 || EVP_DigestUpdate(ctx, a, an) != 1 ||
	    EVP_DigestUpdate(ctx, b, bn) != 1 || EVP_DigestFinal_ex(ctx, out, &len) != 1 ||
	    len != DIGEST_SHA256_BYTES)
		die("EVP_Digest(SHA-256)");
}

void
digest_sha256(const void *data, size_t n, unsigned char out[DIGEST_SHA256_BYTES])
{
	sha256_two(data, n, "", 0, out);
}

void
digest_sha512(const void *data, size_t n, unsigned char out[DIGEST_SHA512_BYTES])
{
	EVP_MD_CTX *ctx = thread_ctx();
	unsigned int len = 0;

	if (EVP_DigestInit_ex2(ctx, sha512_md, NULL) != 1 || EVP_DigestUpdate(ctx, data, n) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != DIGEST_SHA512_BYTES)
		die("EVP_Digest(SHA-512)");
}

/* RFC 2104 §2 with B = 64: H((K ^ opad) || H((K ^ ipad) || text)). */
void
digest_hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
                   unsigned char out[DIGEST_SHA256_BYTES])
{
	unsigned char k[64] = {0}, pad[64], inner[DIGEST_SHA256_BYTES];
	size_t i;

	if (key_len > sizeof k)
		digest_sha256(key, key_len, k); /* RFC 2104 §2: long keys are hashed first */
	else if (key_len > 0)
		memcpy(k, key, key_len);
	for (i = 0; i < sizeof pad; i++)
		pad[i] = k[i] ^ 0x36;
	sha256_two(pad, sizeof pad, data, n, inner);
	for (i = 0; i < sizeof pad; i++)
		pad[i] = k[i] ^ 0x5c;
	sha256_two(pad, sizeof pad, inner, sizeof inner, out);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(pad, sizeof pad);
	OPENSSL_cleanse(inner, sizeof inner);
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
