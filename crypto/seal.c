/*
 * crypto/seal.c — encryption at rest with AES-256-GCM (NIST SP 800-38D)
 * under a per-blob key from HKDF-SHA-256 (RFC 5869).
 *
 * API: seal_encrypt, seal_decrypt, seal_free_plain.
 *
 * Blob (version 1): 0x01 | salt[16] | nonce[12] | ciphertext | tag[16].
 * key = HKDF-SHA-256(IKM = secret, salt, info = "oidcd seal v1"); the
 * caller's aad (e.g. a key id) is authenticated, so a blob only opens in the
 * row it was sealed for. A fresh random salt per blob gives a fresh key, so
 * the random 96-bit nonce is never reused under one key.
 *
 * seal_decrypt tries each secret in order, which lets operators rotate the
 * system secret: put the new one first and keep the old ones until every
 * blob has been resealed.
 *
 * Invariant: derived keys, and plaintext that did not authenticate, are
 * wiped on every path. To add a format, bump SEAL_VERSION and dispatch on
 * the first byte in seal_decrypt.
 */
#include "crypto/seal.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "crypto/random.h"
#include "crypto/secret.h"

#define SEAL_VERSION      1
#define SEAL_SALT_BYTES   16
#define SEAL_NONCE_BYTES  12
#define SEAL_TAG_BYTES    16
#define SEAL_KEY_BYTES    32
#define SEAL_HEADER_BYTES (1 + SEAL_SALT_BYTES + SEAL_NONCE_BYTES)
#define SEAL_MIN_BYTES    (SEAL_HEADER_BYTES + SEAL_TAG_BYTES)
#define SEAL_INFO         "oidcd seal v1"

/* Describes the oldest queued OpenSSL error into buf and empties the queue. */
static const char *
ossl_errstr(char *buf, size_t n)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, n, "no OpenSSL error queued");
	else
		ERR_error_string_n(e, buf, n);
	ERR_clear_error();
	return buf;
}

/*
 * OSSL_PARAM_construct_octet_string takes void * even for data OpenSSL only
 * reads; the union drops const without a qualifier-discarding cast.
 */
static void *
param_data(const void *p)
{
	union {
		const void *in;
		void *out;
	} u = {.in = p};

	return u.out;
}

/* RFC 5869: key = HKDF-SHA-256(secret, salt, SEAL_INFO), extract then expand. */
static enum status
derive_key(const char *secret, const unsigned char salt[SEAL_SALT_BYTES],
           unsigned char key[SEAL_KEY_BYTES], struct err *err)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[5];
	char ebuf[120];
	enum status st = ST_OK;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, param_data(secret),
	                                              strlen(secret));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, param_data(salt),
	                                              SEAL_SALT_BYTES);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (char *)SEAL_INFO,
	                                              strlen(SEAL_INFO));
	params[4] = OSSL_PARAM_construct_end();

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf == NULL || (kctx = EVP_KDF_CTX_new(kdf)) == NULL ||
	    EVP_KDF_derive(kctx, key, SEAL_KEY_BYTES, params) != 1)
		st = ERR_SET(err, ST_CRYPTO, "HKDF: %s", ossl_errstr(ebuf, sizeof ebuf));
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return st;
}

enum status
seal_encrypt(const char *secret, const char *aad, const unsigned char *plain, size_t plain_len,
             unsigned char **out, size_t *out_len, struct err *err)
{
	EVP_CIPHER_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	unsigned char key[SEAL_KEY_BYTES];
	unsigned char *blob = NULL, *salt, *nonce, *ct, *tag;
	size_t aad_len = aad != NULL ? strlen(aad) : 0;
	size_t blob_len;
	char ebuf[120];
	int n;
	enum status st;

	memset(key, 0, sizeof key);
	if (secret == NULL || secret[0] == '\0') {
		st = ERR_SET(err, ST_INVALID, "empty seal secret");
		goto out;
	}
	if (plain_len > INT_MAX - SEAL_MIN_BYTES || aad_len > INT_MAX) {
		st = ERR_SET(err, ST_INVALID, "plaintext or aad too long to seal");
		goto out;
	}
	blob_len = SEAL_MIN_BYTES + plain_len;
	blob = xmalloc(blob_len);
	blob[0] = SEAL_VERSION;
	salt = blob + 1;
	nonce = salt + SEAL_SALT_BYTES;
	ct = nonce + SEAL_NONCE_BYTES;
	tag = ct + plain_len;

	st = random_bytes(salt, SEAL_SALT_BYTES + SEAL_NONCE_BYTES, err);
	if (st != ST_OK)
		goto out;
	st = derive_key(secret, salt, key, err);
	if (st != ST_OK)
		goto out;

	/* AES-256-GCM's default IV length is the 12 bytes SP 800-38D recommends. */
	params[0] =
	        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, SEAL_TAG_BYTES);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, NULL) != 1 ||
	    (aad_len > 0 &&
	     EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)aad_len) != 1) ||
	    (plain_len > 0 && EVP_EncryptUpdate(ctx, ct, &n, plain, (int)plain_len) != 1) ||
	    EVP_EncryptFinal_ex(ctx, ct + plain_len, &n) != 1 ||
	    EVP_CIPHER_CTX_get_params(ctx, params) != 1) {
		st = ERR_SET(err, ST_CRYPTO, "AES-256-GCM encrypt: %s",
		             ossl_errstr(ebuf, sizeof ebuf));
		goto out;
	}
	*out = blob;
	*out_len = blob_len;
	blob = NULL;
out:
	secret_wipe(key, sizeof key);
	EVP_CIPHER_CTX_free(ctx);
	free(blob);
	return st;
}

/*
 * Tries one secret. *opened is false when the tag does not verify (wrong
 * secret, wrong aad or a modified blob), which is not an error: the caller
 * tries the next secret. plain (ct_len bytes) is wiped unless opened.
 */
static enum status
open_with(const char *secret, const char *aad, const unsigned char *in, size_t ct_len,
          unsigned char *plain, bool *opened, struct err *err)
{
	EVP_CIPHER_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	unsigned char key[SEAL_KEY_BYTES];
	unsigned char tag[SEAL_TAG_BYTES];
	const unsigned char *salt = in + 1, *nonce = salt + SEAL_SALT_BYTES;
	const unsigned char *ct = nonce + SEAL_NONCE_BYTES;
	size_t aad_len = aad != NULL ? strlen(aad) : 0;
	char ebuf[120];
	int n;
	enum status st;

	*opened = false;
	memset(key, 0, sizeof key);
	st = derive_key(secret, salt, key, err);
	if (st != ST_OK)
		goto out;

	memcpy(tag, ct + ct_len, sizeof tag);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, sizeof tag);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_params(ctx, params) != 1 ||
	    (aad_len > 0 &&
	     EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)aad_len) != 1) ||
	    (ct_len > 0 && EVP_DecryptUpdate(ctx, plain, &n, ct, (int)ct_len) != 1)) {
		st = ERR_SET(err, ST_CRYPTO, "AES-256-GCM decrypt: %s",
		             ossl_errstr(ebuf, sizeof ebuf));
		goto out;
	}
	/* SP 800-38D §7.2: the tag check happens here; a failure is not an OpenSSL error. */
	*opened = EVP_DecryptFinal_ex(ctx, plain + ct_len, &n) == 1;
	ERR_clear_error();
out:
	if (!*opened)
		secret_wipe(plain, ct_len);
	secret_wipe(key, sizeof key);
	EVP_CIPHER_CTX_free(ctx);
	return st;
}

enum status
seal_decrypt(const char *const *secrets, size_t nsecrets, const char *aad, const unsigned char *in,
             size_t in_len, unsigned char **out, size_t *out_len, struct err *err)
{
	unsigned char *plain = NULL;
	size_t ct_len = 0, i;
	bool opened = false;
	enum status st = ST_OK;

	if (in_len < SEAL_MIN_BYTES || in[0] != SEAL_VERSION) {
		st = ERR_SET(err, ST_INVALID, "not a version %d sealed blob", SEAL_VERSION);
		goto out;
	}
	ct_len = in_len - SEAL_MIN_BYTES;
	if (ct_len > INT_MAX || (aad != NULL && strlen(aad) > INT_MAX)) {
		st = ERR_SET(err, ST_INVALID, "sealed blob or aad too long");
		goto out;
	}
	plain = xmalloc(ct_len > 0 ? ct_len : 1);
	for (i = 0; i < nsecrets && !opened; i++) {
		/* An empty secret is refused by seal_encrypt, so it opens nothing. */
		if (secrets[i] == NULL || secrets[i][0] == '\0')
			continue;
		st = open_with(secrets[i], aad, in, ct_len, plain, &opened, err);
		if (st != ST_OK)
			goto out;
	}
	if (!opened) {
		st = ERR_SET(err, ST_CRYPTO, "none of %zu secrets opens the sealed blob", nsecrets);
		goto out;
	}
	*out = plain;
	*out_len = ct_len;
	plain = NULL;
out:
	seal_free_plain(plain, ct_len);
	return st;
}

void
seal_free_plain(unsigned char *p, size_t len)
{
	if (p == NULL)
		return;
	secret_wipe(p, len);
	free(p);
}
