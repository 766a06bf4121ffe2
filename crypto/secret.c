/*
 * crypto/secret.c — constant-time comparison, wiping, and scrypt password
 * hashes (RFC 7914) for user passwords and admin-chosen client secrets.
 *
 * API: secret_equal, secret_wipe, secret_scrypt_hash, secret_scrypt_verify.
 *
 * Stored form: "$scrypt$ln=15,r=8,p=1$<b64url salt>$<b64url hash>" with a
 * 16-byte salt and a 32-byte hash, both unpadded base64url. The parameters
 * travel in the string so that they can be raised later: verification uses
 * the stored ones, within bounds (SCRYPT_*_MIN/MAX and SCRYPT_MAXMEM_BYTES)
 * that keep a tampered row from costing unbounded CPU or memory.
 *
 * Invariant: derived keys are wiped on every path; comparisons of hashes run
 * in constant time.
 */
#include "crypto/secret.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"
#include "crypto/b64url.h"
#include "crypto/random.h"

/* Parameters of new hashes: N = 2^log_n (at most 2^15), r = 8, p = 1 (32 MiB, RFC 7914 §2). */
#define SCRYPT_R 8
#define SCRYPT_P 1

/* Bounds accepted when verifying. */
#define SCRYPT_LN_MIN 10
#define SCRYPT_LN_MAX 20
#define SCRYPT_R_MIN  1
#define SCRYPT_R_MAX  32
#define SCRYPT_P_MIN  1
#define SCRYPT_P_MAX  16
/* Memory ceiling handed to EVP_PBE_scrypt; the default parameters need 32 MiB. */
#define SCRYPT_MAXMEM_BYTES ((uint64_t)64 * 1024 * 1024)

#define SCRYPT_SALT_BYTES 16
#define SCRYPT_HASH_BYTES 32
#define SCRYPT_PREFIX     "$scrypt$"

struct scrypt_params {
	unsigned ln, r, p;
};

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

bool
secret_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void
secret_wipe(void *p, size_t n)
{
	if (p != NULL)
		OPENSSL_cleanse(p, n);
}

/*
 * Memory EVP_PBE_scrypt allocates for these parameters: B is 128*r*p bytes
 * and V is 128*r*(N+2) in OpenSSL's implementation. Cannot overflow within
 * the bounds above.
 */
static uint64_t
scrypt_mem_bytes(const struct scrypt_params *sp)
{
	return (uint64_t)128 * sp->r * sp->p +
	       (uint64_t)128 * sp->r * (((uint64_t)1 << sp->ln) + 2);
}

static enum status
derive(const char *password, size_t len, const struct scrypt_params *sp,
       const unsigned char salt[SCRYPT_SALT_BYTES], unsigned char key[SCRYPT_HASH_BYTES],
       struct err *err)
{
	char ebuf[120];

	if (EVP_PBE_scrypt(password, len, salt, SCRYPT_SALT_BYTES, (uint64_t)1 << sp->ln, sp->r,
	                   sp->p, SCRYPT_MAXMEM_BYTES, key, SCRYPT_HASH_BYTES) != 1)
		return ERR_SET(err, ST_CRYPTO, "EVP_PBE_scrypt: %s",
		               ossl_errstr(ebuf, sizeof ebuf));
	return ST_OK;
}

enum status
secret_scrypt_hash(const char *password, size_t len, unsigned log_n, char **out, struct err *err)
{
	const struct scrypt_params sp = {log_n, SCRYPT_R, SCRYPT_P};
	unsigned char salt[SCRYPT_SALT_BYTES];
	unsigned char key[SCRYPT_HASH_BYTES];
	char salt_enc[B64URL_ENCODED_LEN(SCRYPT_SALT_BYTES) + 1];
	char key_enc[B64URL_ENCODED_LEN(SCRYPT_HASH_BYTES) + 1];
	char buf[128];
	enum status st;

	if (log_n < SECRET_SCRYPT_LOG_N_MIN || log_n > SECRET_SCRYPT_LOG_N)
		return ERR_SET(err, ST_INVALID, "scrypt log2 N %u is outside %u..%u", log_n,
		               SECRET_SCRYPT_LOG_N_MIN, SECRET_SCRYPT_LOG_N);
	st = random_bytes(salt, sizeof salt, err);
	if (st != ST_OK)
		goto out;
	st = derive(password, len, &sp, salt, key, err);
	if (st != ST_OK)
		goto out;
	b64url_encode(salt, sizeof salt, salt_enc);
	b64url_encode(key, sizeof key, key_enc);
	snprintf(buf, sizeof buf, SCRYPT_PREFIX "ln=%u,r=%u,p=%u$%s$%s", sp.ln, sp.r, sp.p,
	         salt_enc, key_enc);
	*out = xstrdup(buf);
out:
	secret_wipe(key, sizeof key);
	return st;
}

/*
 * Parses a decimal in [min, max] at *s: digits only, no sign, no leading
 * zero, so each value has one spelling. Advances *s past it.
 */
static bool
parse_uint(const char **s, unsigned min, unsigned max, unsigned *out)
{
	const char *p = *s;
	unsigned v = 0;
	int ndigits = 0;

	if (*p == '0')
		return false;
	while (*p >= '0' && *p <= '9') {
		if (++ndigits > 3)
			return false;
		v = v * 10 + (unsigned)(*p - '0');
		p++;
	}
	if (ndigits == 0 || v < min || v > max)
		return false;
	*s = p;
	*out = v;
	return true;
}

/* Consumes lit at *s when it is there. */
static bool
expect(const char **s, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*s, lit, n) != 0)
		return false;
	*s += n;
	return true;
}

/* Decodes exactly want bytes of base64url from s[0..n). */
static bool
decode_exact(const char *s, size_t n, unsigned char *out, size_t want)
{
	size_t got;

	return n == B64URL_ENCODED_LEN(want) &&
	       b64url_decode(s, n, out, want, &got, NULL) == ST_OK && got == want;
}

static enum status
parse_stored(const char *stored, struct scrypt_params *sp, unsigned char salt[SCRYPT_SALT_BYTES],
             unsigned char hash[SCRYPT_HASH_BYTES], struct err *err)
{
	const char *s = stored, *dollar;

	if (!expect(&s, SCRYPT_PREFIX "ln=") ||
	    !parse_uint(&s, SCRYPT_LN_MIN, SCRYPT_LN_MAX, &sp->ln) || !expect(&s, ",r=") ||
	    !parse_uint(&s, SCRYPT_R_MIN, SCRYPT_R_MAX, &sp->r) || !expect(&s, ",p=") ||
	    !parse_uint(&s, SCRYPT_P_MIN, SCRYPT_P_MAX, &sp->p) || !expect(&s, "$"))
		return ERR_SET(err, ST_INVALID, "not a $scrypt$ string with parameters in range");
	if (scrypt_mem_bytes(sp) > SCRYPT_MAXMEM_BYTES)
		return ERR_SET(err, ST_INVALID, "scrypt parameters need more than %llu bytes",
		               (unsigned long long)SCRYPT_MAXMEM_BYTES);
	dollar = strchr(s, '$');
	if (dollar == NULL || !decode_exact(s, (size_t)(dollar - s), salt, SCRYPT_SALT_BYTES))
		return ERR_SET(err, ST_INVALID, "scrypt salt is not %d bytes of base64url",
		               SCRYPT_SALT_BYTES);
	s = dollar + 1;
	if (!decode_exact(s, strlen(s), hash, SCRYPT_HASH_BYTES))
		return ERR_SET(err, ST_INVALID, "scrypt hash is not %d bytes of base64url",
		               SCRYPT_HASH_BYTES);
	return ST_OK;
}

enum status
secret_scrypt_verify(const char *password, size_t len, const char *stored, bool *ok,
                     struct err *err)
{
	struct scrypt_params sp = {0, 0, 0};
	unsigned char salt[SCRYPT_SALT_BYTES];
	unsigned char want[SCRYPT_HASH_BYTES];
	unsigned char got[SCRYPT_HASH_BYTES];
	enum status st;

	/* Wiped on every path, including parse failures that filled them partly. */
	memset(want, 0, sizeof want);
	memset(got, 0, sizeof got);

	st = parse_stored(stored, &sp, salt, want, err);
	if (st != ST_OK)
		goto out;
	st = derive(password, len, &sp, salt, got, err);
	if (st != ST_OK)
		goto out;
	*ok = secret_equal(got, want, sizeof got);
out:
	secret_wipe(want, sizeof want);
	secret_wipe(got, sizeof got);
	return st;
}
