/*
 * crypto/jws.c — compact JWS (RFC 7515 §7.1) parse, verify and sign over
 * OpenSSL 3 EVP_DigestSign/EVP_DigestVerify.
 *
 * API (crypto/jws.h): jws_parse() splits and decodes without trusting
 * anything; jws_verify() checks the signature against a caller-chosen key
 * and allow-list; jws_sign() produces a compact serialization.
 *
 * Invariants:
 *   - The algorithm is decided by the allow-list and the key, never by the
 *     token alone (RFC 8725 §3.1): "none" and HS* have no JWS_ALG_* bit.
 *   - ECDSA signatures travel as fixed-length r||s (RFC 7518 §3.4) and are
 *     converted to and from DER (what OpenSSL speaks) only inside this file.
 *   - Parsing allocates only in the caller's arena; OpenSSL objects are
 *     freed before returning, and OpenSSL's error queue is emptied on failure.
 *
 * To add an algorithm: give it a JWS_ALG_* bit and a name in crypto/jwk.c,
 * then a row in alg_params[] below.
 */
#include "crypto/jws.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "crypto/b64url.h"
#include "crypto/jwk_internal.h"

/* RFC 7515 leaves size open; 64 KiB bounds work on hostile input. */
#define JWS_MAX_COMPACT_BYTES ((size_t)64 * 1024)

enum sig_kind {
	SIG_PKCS1, /* RSASSA-PKCS1-v1_5, RFC 7518 §3.3 */
	SIG_PSS,   /* RSASSA-PSS, RFC 7518 §3.5 */
	SIG_ECDSA, /* RFC 7518 §3.4 */
	SIG_EDDSA, /* RFC 8037 §3.1 */
};

/* How each alg is computed: digest (NULL for EdDSA), r/s length for ECDSA, kind. */
static const struct alg_param {
	const char *md;
	size_t ec_coord_len;
	unsigned alg;
	enum sig_kind kind;
} alg_params[] = {
        {"SHA256", 0,  JWS_ALG_RS256, SIG_PKCS1},
        {"SHA384", 0,  JWS_ALG_RS384, SIG_PKCS1},
        {"SHA512", 0,  JWS_ALG_RS512, SIG_PKCS1},
        {"SHA256", 0,  JWS_ALG_PS256, SIG_PSS  },
        {"SHA384", 0,  JWS_ALG_PS384, SIG_PSS  },
        {"SHA512", 0,  JWS_ALG_PS512, SIG_PSS  },
        {"SHA256", 32, JWS_ALG_ES256, SIG_ECDSA},
        {"SHA384", 48, JWS_ALG_ES384, SIG_ECDSA},
        {"SHA512", 66, JWS_ALG_ES512, SIG_ECDSA},
        {NULL,     0,  JWS_ALG_EDDSA, SIG_EDDSA},
};

/* Same contract as in crypto/jwk.c: message from OpenSSL's queue, queue emptied. */
static enum status
ossl_fail(struct err *err, enum status st, const char *func, int line, const char *what)
{
	unsigned long code = ERR_peek_last_error();
	char reason[128] = "no detail";

	if (code != 0)
		ERR_error_string_n(code, reason, sizeof reason);
	ERR_clear_error();
	return err_set(err, st, func, line, "%s: %s", what, reason);
}

#define OSSL_FAIL(err, st, what) ossl_fail((err), (st), __func__, __LINE__, (what))

static const struct alg_param *
alg_param(unsigned alg)
{
	size_t i;

	for (i = 0; i < sizeof alg_params / sizeof alg_params[0]; i++)
		if (alg_params[i].alg == alg)
			return &alg_params[i];
	return NULL;
}

/* An optional header member that must be a string when present; copied into the arena. */
static enum status
header_string(const json_t *hdr, const char *name, struct arena *arena, const char **out,
              struct err *err)
{
	const json_t *v = json_object_get(hdr, name);

	*out = NULL;
	if (v == NULL)
		return ST_OK;
	if (!json_is_string(v))
		return ERR_SET(err, ST_INVALID, "JWS header \"%s\" is not a string", name);
	*out = arena_strndup(arena, json_string_value(v), json_string_length(v));
	return ST_OK;
}

/* Checks the decoded protected header and fills the header fields of out. */
static enum status
parse_header(const unsigned char *text, size_t len, struct arena *arena, struct jws *out,
             struct err *err)
{
	json_t *hdr = NULL;
	const json_t *b64;
	json_error_t jerr;
	enum status st;

	/* RFC 7515 §5.2 step 3: a JSON object; §4: duplicate names are rejected. */
	if (memchr(text, '\0', len) != NULL) {
		st = ERR_SET(err, ST_INVALID, "JWS header contains a NUL byte");
		goto out;
	}
	hdr = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(hdr)) {
		st = ERR_SET(err, ST_INVALID, "JWS header is not a JSON object");
		goto out;
	}
	/* RFC 7515 §4.1.11: we understand no extension, so any "crit" is fatal. */
	if (json_object_get(hdr, "crit") != NULL) {
		st = ERR_SET(err, ST_INVALID, "JWS header has \"crit\"");
		goto out;
	}
	/* RFC 7797 §3: an unencoded payload is not something we sign or verify. */
	b64 = json_object_get(hdr, "b64");
	if (b64 != NULL && !json_is_true(b64)) {
		st = ERR_SET(err, ST_INVALID, "JWS header has \"b64\" other than true");
		goto out;
	}
	/* RFC 7515 §4.1.1: alg is required. */
	if (!json_is_string(json_object_get(hdr, "alg"))) {
		st = ERR_SET(err, ST_INVALID, "JWS header without a string \"alg\"");
		goto out;
	}
	st = header_string(hdr, "alg", arena, &out->alg_name, err);
	if (st == ST_OK)
		st = header_string(hdr, "kid", arena, &out->kid, err);
	if (st == ST_OK)
		st = header_string(hdr, "typ", arena, &out->typ, err);
	if (st != ST_OK)
		goto out;
	out->alg = jws_alg_from_name(out->alg_name);
	out->header_json = arena_strndup(arena, (const char *)text, len);
out:
	json_decref(hdr);
	return st;
}

enum status
jws_parse(const char *compact, struct arena *arena, struct jws *out, struct err *err)
{
	const char *dot1, *dot2;
	unsigned char *header = NULL, *payload = NULL, *sig = NULL;
	size_t len, header_len = 0;
	struct jws jws = {0};
	enum status st;

	if (compact == NULL)
		return ERR_SET(err, ST_INVALID, "no JWS");
	len = strnlen(compact, JWS_MAX_COMPACT_BYTES + 1);
	if (len > JWS_MAX_COMPACT_BYTES)
		return ERR_SET(err, ST_INVALID, "JWS longer than %zu bytes", JWS_MAX_COMPACT_BYTES);
	/* RFC 7515 §7.1: exactly three parts separated by two periods. */
	dot1 = memchr(compact, '.', len);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - compact)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - compact)) != NULL)
		return ERR_SET(err, ST_INVALID, "JWS is not three dot-separated parts");
	if (dot1 == compact || dot2 == dot1 + 1 || dot2 + 1 == compact + len)
		return ERR_SET(err, ST_INVALID, "JWS has an empty part");

	st = b64url_decode_arena(arena, compact, (size_t)(dot1 - compact), &header, &header_len,
	                         err);
	if (st != ST_OK)
		return ERR_SET(err, ST_INVALID, "JWS header is not base64url");
	st = parse_header(header, header_len, arena, &jws, err);
	if (st != ST_OK)
		return st;
	st = b64url_decode_arena(arena, dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload,
	                         &jws.payload_len, err);
	if (st != ST_OK)
		return ERR_SET(err, ST_INVALID, "JWS payload is not base64url");
	st = b64url_decode_arena(arena, dot2 + 1, len - (size_t)(dot2 + 1 - compact), &sig,
	                         &jws.signature_len, err);
	if (st != ST_OK)
		return ERR_SET(err, ST_INVALID, "JWS signature is not base64url");
	jws.payload = payload;
	jws.signature = sig;
	/* RFC 7515 §5.2 step 8: the signature is over the ASCII of the first two parts. */
	jws.signing_input_len = (size_t)(dot2 - compact);
	jws.signing_input = arena_strndup(arena, compact, jws.signing_input_len);
	*out = jws;
	return ST_OK;
}

/* RFC 7518 §3.4: r||s (2 * coord_len bytes) -> DER ECDSA-Sig-Value, on the heap. */
static enum status
ecdsa_raw_to_der(const unsigned char *raw, size_t raw_len, size_t coord_len, unsigned char **der,
                 size_t *der_len, struct err *err)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *p = NULL;
	int len;
	enum status st;

	if (raw_len != 2 * coord_len)
		return ERR_SET(err, ST_INVALID, "ECDSA signature must be %zu bytes", 2 * coord_len);
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, (int)coord_len, NULL);
	s = BN_bin2bn(raw + coord_len, (int)coord_len, NULL);
	if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		st = OSSL_FAIL(err, ST_CRYPTO, "ECDSA_SIG_set0");
		goto out;
	}
	len = i2d_ECDSA_SIG(sig, NULL);
	if (len <= 0) {
		st = OSSL_FAIL(err, ST_CRYPTO, "i2d_ECDSA_SIG");
		goto out;
	}
	*der = xmalloc((size_t)len);
	p = *der;
	*der_len = (size_t)i2d_ECDSA_SIG(sig, &p);
	st = ST_OK;
out:
	ECDSA_SIG_free(sig);
	return st;
}

/* DER ECDSA-Sig-Value -> fixed-length r||s into raw[2 * coord_len] (RFC 7518 §3.4). */
static enum status
ecdsa_der_to_raw(const unsigned char *der, size_t der_len, size_t coord_len, unsigned char *raw,
                 struct err *err)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;
	enum status st = ST_OK;

	if (sig == NULL)
		return OSSL_FAIL(err, ST_CRYPTO, "d2i_ECDSA_SIG");
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, (int)coord_len) != (int)coord_len ||
	    BN_bn2binpad(s, raw + coord_len, (int)coord_len) != (int)coord_len)
		st = ERR_SET(err, ST_CRYPTO, "ECDSA r or s longer than the curve");
	ECDSA_SIG_free(sig);
	return st;
}

/* RSASSA-PSS per RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash. */
static enum status
set_pss(EVP_PKEY_CTX *pctx, const char *md, struct err *err)
{
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md, NULL) != 1)
		return OSSL_FAIL(err, ST_CRYPTO, "RSA-PSS parameters");
	return ST_OK;
}

/*
 * RFC 8725 §3.1: the alg must be allowed, fit the key, and match the key's
 * own alg. *out is how to compute it.
 */
static enum status
check_alg(unsigned alg, const struct jwk *key, unsigned allowed_algs, const struct alg_param **out,
          struct err *err)
{
	const struct alg_param *ap = alg_param(alg);
	const char *why = NULL;

	if (ap == NULL)
		why = "is not supported";
	else if ((alg & allowed_algs) == 0)
		why = "is not allowed here";
	else if ((alg & jwk_compatible_algs(key)) == 0)
		why = "does not fit the key";
	else if (jwk_alg(key) != 0 && jwk_alg(key) != alg)
		why = "is not the key's alg";
	if (why != NULL) {
		/* Explicit status: analysers cannot see that ERR_SET returns its own. */
		ERR_SET(err, ST_INVALID, "JWS alg %s %s",
		        jws_alg_name(alg) != NULL ? jws_alg_name(alg) : "(unknown)", why);
		return ST_INVALID;
	}
	*out = ap;
	return ST_OK;
}

enum status
jws_verify(const struct jws *jws, const struct jwk *key, unsigned allowed_algs, struct err *err)
{
	const struct alg_param *ap = NULL;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey = key->pkey;
	unsigned char *der = NULL;
	const unsigned char *sig = jws->signature;
	size_t sig_len = jws->signature_len;
	enum status st;

	st = check_alg(jws->alg, key, allowed_algs, &ap, err);
	if (st != ST_OK)
		return st;
	if (ap->kind == SIG_ECDSA) {
		st = ecdsa_raw_to_der(sig, sig_len, ap->ec_coord_len, &der, &sig_len, err);
		if (st != ST_OK)
			goto out;
		sig = der;
	} else if ((ap->kind == SIG_PKCS1 || ap->kind == SIG_PSS) &&
	           sig_len != (size_t)EVP_PKEY_get_size(pkey)) {
		/* RFC 8017 §8.2.2 step 1: exactly k bytes; OpenSSL tolerates shorter. */
		st = ERR_SET(err, ST_INVALID, "RSA signature has the wrong length");
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestVerifyInit_ex(md, &pctx, ap->md, NULL, NULL, pkey, NULL) != 1) {
		st = OSSL_FAIL(err, ST_CRYPTO, "EVP_DigestVerifyInit_ex");
		goto out;
	}
	if (ap->kind == SIG_PSS) {
		st = set_pss(pctx, ap->md, err);
		if (st != ST_OK)
			goto out;
	}
	if (EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)jws->signing_input,
	                     jws->signing_input_len) != 1) {
		ERR_clear_error();
		st = ERR_SET(err, ST_INVALID, "JWS signature does not verify");
		goto out;
	}
	st = ST_OK;
out:
	EVP_MD_CTX_free(md);
	free(der);
	return st;
}

/* The protected header: {"alg","kid"} then extra's members, compact JSON in the arena. */
static enum status
build_header(const struct jwk *key, unsigned alg, const json_t *extra, struct arena *arena,
             char **out, size_t *out_len, struct err *err)
{
	json_t *hdr = json_object();
	json_t *more = NULL;
	enum status st;
	size_t len;

	json_object_set_new(hdr, "alg", json_string(jws_alg_name(alg)));
	/* RFC 7515 §4.1.4: kid is optional; an empty kid means "send none". */
	if (jwk_kid(key)[0] != '\0' &&
	    json_object_set_new(hdr, "kid", json_string(jwk_kid(key))) != 0) {
		st = ERR_SET(err, ST_INVALID, "key id is not UTF-8");
		goto out;
	}
	if (extra != NULL) {
		/* A copy, because jansson's merge functions take non-const objects. */
		more = json_deep_copy(extra);
		if (!json_is_object(more) || json_object_get(more, "alg") != NULL ||
		    json_object_get(more, "kid") != NULL) {
			st = ERR_SET(err, ST_INVALID,
			             "extra JWS header: not an object, or sets alg/kid");
			goto out;
		}
		json_object_update(hdr, more);
	}
	len = json_dumpb(hdr, NULL, 0, JSON_COMPACT);
	if (len == 0) {
		st = ERR_SET(err, ST_INVALID, "JWS header does not serialise");
		goto out;
	}
	*out = arena_alloc(arena, len + 1);
	json_dumpb(hdr, *out, len, JSON_COMPACT);
	*out_len = len;
	st = ST_OK;
out:
	json_decref(more);
	json_decref(hdr);
	return st;
}

/* Signs input with key under ap into a heap buffer of JWS signature bytes. */
static enum status
sign_input(const struct jwk *key, const struct alg_param *ap, const char *input, size_t input_len,
           unsigned char **sig_out, size_t *sig_len_out, struct err *err)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL, *raw = NULL;
	size_t sig_len = 0;
	enum status st;

	md = EVP_MD_CTX_new();
	if (md == NULL ||
	    EVP_DigestSignInit_ex(md, &pctx, ap->md, NULL, NULL, key->pkey, NULL) != 1) {
		st = OSSL_FAIL(err, ST_CRYPTO, "EVP_DigestSignInit_ex");
		goto out;
	}
	if (ap->kind == SIG_PSS) {
		st = set_pss(pctx, ap->md, err);
		if (st != ST_OK)
			goto out;
	}
	/* One-shot: Ed25519 (RFC 8032) cannot be fed incrementally. */
	if (EVP_DigestSign(md, NULL, &sig_len, (const unsigned char *)input, input_len) != 1) {
		st = OSSL_FAIL(err, ST_CRYPTO, "EVP_DigestSign");
		goto out;
	}
	sig = xmalloc(sig_len);
	if (EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)input, input_len) != 1) {
		st = OSSL_FAIL(err, ST_CRYPTO, "EVP_DigestSign");
		goto out;
	}
	if (ap->kind == SIG_ECDSA) {
		raw = xmalloc(2 * ap->ec_coord_len);
		st = ecdsa_der_to_raw(sig, sig_len, ap->ec_coord_len, raw, err);
		if (st != ST_OK)
			goto out;
		free(sig);
		sig = raw;
		raw = NULL;
		sig_len = 2 * ap->ec_coord_len;
	}
	*sig_out = sig;
	*sig_len_out = sig_len;
	sig = NULL;
	st = ST_OK;
out:
	free(raw);
	free(sig);
	EVP_MD_CTX_free(md);
	return st;
}

enum status
jws_sign(const struct jwk *key, unsigned alg, const json_t *extra_header, const void *payload,
         size_t payload_len, struct arena *arena, char **out, struct err *err)
{
	const struct alg_param *ap = NULL;
	char *header = NULL;
	size_t header_len = 0, input_len, sig_len = 0, max_sig;
	unsigned char *sig = NULL;
	char *compact;
	enum status st;

	if (!jwk_is_private(key))
		return ERR_SET(err, ST_INVALID, "signing needs a private key");
	st = check_alg(alg, key, JWS_ALG_ALL, &ap, err);
	if (st != ST_OK)
		return st;
	st = build_header(key, alg, extra_header, arena, &header, &header_len, err);
	if (st != ST_OK)
		return st;

	/*
	 * RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.'
	 * BASE64URL(signature); EVP_PKEY_get_size bounds the signature.
	 */
	input_len = B64URL_ENCODED_LEN(header_len) + 1 + B64URL_ENCODED_LEN(payload_len);
	max_sig = (size_t)EVP_PKEY_get_size(key->pkey);
	compact = arena_alloc(arena, input_len + 1 + B64URL_ENCODED_LEN(max_sig) + 1);
	b64url_encode(header, header_len, compact);
	compact[B64URL_ENCODED_LEN(header_len)] = '.';
	b64url_encode(payload, payload_len, compact + B64URL_ENCODED_LEN(header_len) + 1);

	st = sign_input(key, ap, compact, input_len, &sig, &sig_len, err);
	if (st != ST_OK)
		goto out;
	if (sig_len > max_sig) {
		st = ERR_SET(err, ST_CRYPTO, "signature longer than the key allows");
		goto out;
	}
	compact[input_len] = '.';
	b64url_encode(sig, sig_len, compact + input_len + 1);
	*out = compact;
	st = ST_OK;
out:
	free(sig);
	return st;
}
