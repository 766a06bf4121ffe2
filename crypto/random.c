/*
 * crypto/random.c — every random byte oidcd uses comes from OpenSSL's
 * RAND_bytes (STYLE B12): raw bytes, opaque tokens and hex strings.
 *
 * API: random_bytes, random_token, random_hex, random_uuid.
 *
 * Invariant: intermediate buffers that held random bytes are wiped, since
 * those bytes are the secret behind a token (codes, access tokens, salts).
 */
#include "crypto/random.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdio.h>

#include "crypto/b64url.h"
#include "crypto/secret.h"

/* Random bytes behind one token: 256 bits, beyond any guessing. */
#define RANDOM_TOKEN_BYTES 32
/* random_hex works through a stack buffer of this size. */
#define RANDOM_HEX_CHUNK 64

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

enum status
random_bytes(void *buf, size_t n, struct err *err)
{
	unsigned char *p = buf;
	char ebuf[120];
	int chunk;

	/* RAND_bytes takes an int count. */
	while (n > 0) {
		chunk = n > INT_MAX ? INT_MAX : (int)n;
		if (RAND_bytes(p, chunk) != 1)
			return ERR_SET(err, ST_CRYPTO, "RAND_bytes: %s",
			               ossl_errstr(ebuf, sizeof ebuf));
		p += chunk;
		n -= (size_t)chunk;
	}
	return ST_OK;
}

enum status
random_token(const char *prefix, struct arena *arena, char **out, struct err *err)
{
	unsigned char raw[RANDOM_TOKEN_BYTES];
	char enc[B64URL_ENCODED_LEN(RANDOM_TOKEN_BYTES) + 1];
	enum status st;

	st = random_bytes(raw, sizeof raw, err);
	if (st != ST_OK)
		goto out;
	b64url_encode(raw, sizeof raw, enc);
	*out = arena_printf(arena, "%s%s", prefix, enc);
out:
	secret_wipe(raw, sizeof raw);
	secret_wipe(enc, sizeof enc);
	return st;
}

/* On failure, out may hold a partial string; callers must not use it. */
enum status
random_hex(size_t n, char *out, struct err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[RANDOM_HEX_CHUNK];
	size_t i, chunk, o = 0;
	enum status st = ST_OK;

	while (n > 0) {
		chunk = n > sizeof raw ? sizeof raw : n;
		st = random_bytes(raw, chunk, err);
		if (st != ST_OK)
			goto out;
		for (i = 0; i < chunk; i++) {
			out[o++] = hex[raw[i] >> 4];
			out[o++] = hex[raw[i] & 0x0f];
		}
		n -= chunk;
	}
	out[o] = '\0';
out:
	secret_wipe(raw, sizeof raw);
	return st;
}

static void
uuid_format(const unsigned char b[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[n++] = '-';
		out[n++] = hex[b[i] >> 4];
		out[n++] = hex[b[i] & 15];
	}
	out[n] = '\0';
}

enum status
random_uuid(char out[37], struct err *err)
{
	unsigned char b[16];
	enum status st;

	st = random_bytes(b, sizeof b, err);
	if (st != ST_OK)
		return st;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 9562 variant */
	uuid_format(b, out);
	return ST_OK;
}

enum status
random_uuid7(int64_t unix_ms, char out[37], struct err *err)
{
	unsigned char b[16];
	enum status st;

	st = random_bytes(b, sizeof b, err);
	if (st != ST_OK)
		return st;
	for (int i = 0; i < 6; i++) /* 48-bit big-endian milliseconds */
		b[i] = (unsigned char)((uint64_t)unix_ms >> (8 * (5 - i)));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x70); /* version 7 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 9562 variant */
	uuid_format(b, out);
	return ST_OK;
}
