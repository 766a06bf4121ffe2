/*
 * crypto/jwk.c — JSON Web Keys (RFC 7517, RFC 7518 §6, RFC 8037) over
 * OpenSSL 3 EVP_PKEY.
 *
 * API (crypto/jwk.h): jwk_import_public() turns a public JWK object into a
 * struct jwk; jwk_to_public_json() and jwk_thumbprint() export it again;
 * jwk_generate() and the PKCS#8 DER pair serve crypto/keyring.c only.
 *
 * Invariants:
 *   - key->pkey is always set, and key->kid is never NULL (the RFC 7638
 *     thumbprint when the JWK named none).
 *   - Only OpenSSL 3 provider APIs: EVP_PKEY_fromdata with OSSL_PARAM_BLD to
 *     import, EVP_PKEY_get_*_param to export, OSSL_ENCODER/DECODER for DER.
 *   - Imported keys are public: any private member is refused, so a struct
 *     jwk built from foreign JSON can only verify.
 *
 * To add a curve: add a row to ec_curves[] and its JWS_ALG_* bit in jwk.h;
 * the import, export, thumbprint and compatibility code read the table.
 */
#include "crypto/jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "crypto/b64url.h"
#include "crypto/digest.h"
#include "crypto/jwk_internal.h"

/* Bounds on what we accept, so a hostile JWK cannot make verification slow. */
#define RSA_MIN_BITS    2048
#define RSA_MAX_BITS    16384
#define RSA_MAX_E_BYTES 8

/* RFC 7518 §3.4 pairs each curve with exactly one ES* alg. */
static const struct jwk_curve ec_curves[] = {
        {"P-256", "prime256v1", NID_X9_62_prime256v1, 32, JWS_ALG_ES256},
        {"P-384", "secp384r1",  NID_secp384r1,        48, JWS_ALG_ES384},
        {"P-521", "secp521r1",  NID_secp521r1,        66, JWS_ALG_ES512},
};

/* RFC 8037 §2: OKP keys; we sign and verify with Ed25519 only. */
static const struct jwk_curve ed25519_curve = {"Ed25519", "ED25519", NID_ED25519, 32,
                                               JWS_ALG_EDDSA};

static const struct {
	unsigned alg;
	const char *name;
} alg_names[] = {
        {JWS_ALG_RS256, "RS256"},
        {JWS_ALG_RS384, "RS384"},
        {JWS_ALG_RS512, "RS512"},
        {JWS_ALG_PS256, "PS256"},
        {JWS_ALG_PS384, "PS384"},
        {JWS_ALG_PS512, "PS512"},
        {JWS_ALG_ES256, "ES256"},
        {JWS_ALG_ES384, "ES384"},
        {JWS_ALG_ES512, "ES512"},
        {JWS_ALG_EDDSA, "EdDSA"},
};

#define RSA_ALGS                                                                                   \
	(JWS_ALG_RS256 | JWS_ALG_RS384 | JWS_ALG_RS512 | JWS_ALG_PS256 | JWS_ALG_PS384 |           \
	 JWS_ALG_PS512)

/* RFC 7517 §4 / RFC 7518 §6.2.2, §6.3.2, §6.4: members that carry secrets. */
static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

/*
 * Fills err from OpenSSL's error queue and empties the queue, so a stale
 * error never shows up in a later, unrelated message.
 */
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

unsigned
jws_alg_from_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++)
		if (strcmp(alg_names[i].name, name) == 0)
			return alg_names[i].alg;
	return 0;
}

const char *
jws_alg_name(unsigned alg)
{
	size_t i;

	for (i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return NULL;
}

static bool
is_single_alg(unsigned alg)
{
	return alg != 0 && (alg & (alg - 1)) == 0 && (alg & ~JWS_ALG_ALL) == 0;
}

static const struct jwk_curve *
ec_curve_by_crv(const char *crv)
{
	size_t i;

	for (i = 0; i < sizeof ec_curves / sizeof ec_curves[0]; i++)
		if (strcmp(ec_curves[i].crv, crv) == 0)
			return &ec_curves[i];
	return NULL;
}

static const struct jwk_curve *
ec_curve_by_nid(int nid)
{
	size_t i;

	for (i = 0; i < sizeof ec_curves / sizeof ec_curves[0]; i++)
		if (ec_curves[i].nid == nid)
			return &ec_curves[i];
	return NULL;
}

static const struct jwk_curve *
ec_curve_by_alg(unsigned alg)
{
	size_t i;

	for (i = 0; i < sizeof ec_curves / sizeof ec_curves[0]; i++)
		if (ec_curves[i].alg == alg)
			return &ec_curves[i];
	return NULL;
}

void
jwk_free(struct jwk *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key->kid);
	free(key);
}

/*
 * Decodes the base64url string member `name` into a heap buffer (caller
 * frees) of at most max_len bytes. Missing, non-string, empty, oversized or
 * non-canonical values are ST_INVALID.
 */
static enum status
decode_member(const json_t *jwk, const char *name, size_t max_len, unsigned char **out,
              size_t *out_len, struct err *err)
{
	const json_t *v = json_object_get(jwk, name);
	const char *s = json_string_value(v), *why = NULL;
	size_t len = json_string_length(v), cap;
	unsigned char *buf;

	if (v == NULL)
		why = "missing";
	else if (s == NULL)
		why = "not a string";
	else if (len == 0 || len > B64URL_ENCODED_LEN(max_len))
		why = "of a bad length";
	if (why != NULL) {
		/* Explicit status: analysers cannot see that ERR_SET returns its own. */
		ERR_SET(err, ST_INVALID, "JWK member \"%s\" %s", name, why);
		return ST_INVALID;
	}
	cap = B64URL_DECODED_MAX(len);
	buf = xmalloc(cap);
	if (b64url_decode(s, len, buf, cap, out_len, err) != ST_OK) {
		free(buf);
		ERR_SET(err, ST_INVALID, "JWK member \"%s\" is not base64url", name);
		return ST_INVALID;
	}
	*out = buf;
	return ST_OK;
}

/* A public key of OpenSSL type `type` from the parameters in bld, into *out. */
static enum status
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out, struct err *err)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	enum status st;

	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params == NULL || ctx == NULL) {
		st = OSSL_FAIL(err, ST_CRYPTO, "EVP_PKEY_CTX_new_from_name");
		goto out;
	}
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		/* The provider refused the values: bad input, not a broken library. */
		st = OSSL_FAIL(err, ST_INVALID, "EVP_PKEY_fromdata");
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	st = ST_OK;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return st;
}

/* RFC 7518 §6.3.1: n and e, unsigned big-endian. */
static enum status
import_rsa(const json_t *jwk, struct jwk *key, struct err *err)
{
	unsigned char *n = NULL, *e = NULL;
	size_t n_len = 0, e_len = 0;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	enum status st;

	st = decode_member(jwk, "n", RSA_MAX_BITS / 8 + 1, &n, &n_len, err);
	if (st != ST_OK)
		goto out;
	st = decode_member(jwk, "e", RSA_MAX_E_BYTES, &e, &e_len, err);
	if (st != ST_OK)
		goto out;
	bn_n = BN_bin2bn(n, (int)n_len, NULL);
	bn_e = BN_bin2bn(e, (int)e_len, NULL);
	if (bn_n == NULL || bn_e == NULL) {
		st = OSSL_FAIL(err, ST_CRYPTO, "BN_bin2bn");
		goto out;
	}
	/* RFC 8725 §3.5 / NIST SP 800-131A: nothing below 2048 bits. */
	if (BN_num_bits(bn_n) < RSA_MIN_BITS || BN_num_bits(bn_n) > RSA_MAX_BITS) {
		st = ERR_SET(err, ST_INVALID, "RSA modulus of %d bits (need %d..%d)",
		             BN_num_bits(bn_n), RSA_MIN_BITS, RSA_MAX_BITS);
		goto out;
	}
	if (!BN_is_odd(bn_n) || !BN_is_odd(bn_e) || BN_is_one(bn_e)) {
		st = ERR_SET(err, ST_INVALID, "RSA modulus or exponent is not a valid public key");
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) != 1) {
		st = OSSL_FAIL(err, ST_CRYPTO, "OSSL_PARAM_BLD_push_BN");
		goto out;
	}
	st = pkey_fromdata("RSA", bld, &key->pkey, err);
	if (st != ST_OK)
		goto out;
	key->kty = JWK_KTY_RSA;
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	free(n);
	free(e);
	return st;
}

/* Decodes a coordinate member that must be exactly curve->coord_len bytes (RFC 7518 §6.2.1.2). */
static enum status
decode_coord(const json_t *jwk, const char *name, const struct jwk_curve *curve, unsigned char *out,
             struct err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	enum status st;

	st = decode_member(jwk, name, curve->coord_len, &buf, &len, err);
	if (st != ST_OK)
		return st;
	if (len != curve->coord_len) {
		free(buf);
		return ERR_SET(err, ST_INVALID, "%s coordinate \"%s\" must be %zu bytes",
		               curve->crv, name, curve->coord_len);
	}
	memcpy(out, buf, len);
	free(buf);
	return ST_OK;
}

/* The member crv as a string, or NULL. */
static const char *
crv_member(const json_t *jwk)
{
	return json_string_value(json_object_get(jwk, "crv"));
}

/* RFC 7518 §6.2.1: crv, x, y; the point must lie on the curve. */
static enum status
import_ec(const json_t *jwk, struct jwk *key, struct err *err)
{
	unsigned char point[1 + 2 * 66];
	const struct jwk_curve *curve;
	const char *crv = crv_member(jwk);
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY_CTX *check = NULL;
	enum status st;

	if (crv == NULL)
		return ERR_SET(err, ST_INVALID, "EC JWK without a string \"crv\"");
	curve = ec_curve_by_crv(crv);
	if (curve == NULL)
		return ERR_SET(err, ST_UNSUPPORTED, "EC curve not supported");
	/* SEC 1 §2.3.3 uncompressed point: 0x04 || x || y. */
	point[0] = 0x04;
	st = decode_coord(jwk, "x", curve, point + 1, err);
	if (st != ST_OK)
		goto out;
	st = decode_coord(jwk, "y", curve, point + 1 + curve->coord_len, err);
	if (st != ST_OK)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0) !=
	            1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
	                                     1 + 2 * curve->coord_len) != 1) {
		st = OSSL_FAIL(err, ST_CRYPTO, "OSSL_PARAM_BLD_push");
		goto out;
	}
	st = pkey_fromdata("EC", bld, &key->pkey, err);
	if (st != ST_OK)
		goto out;
	/* Invalid-curve attacks: refuse points off the curve or outside the group. */
	check = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
	if (check == NULL || EVP_PKEY_public_check(check) != 1) {
		st = OSSL_FAIL(err, ST_INVALID, "EC point is not on the curve");
		goto out;
	}
	key->kty = JWK_KTY_EC;
	key->curve = curve;
out:
	EVP_PKEY_CTX_free(check);
	OSSL_PARAM_BLD_free(bld);
	return st;
}

/* RFC 8037 §2: crv "Ed25519", x = the 32-byte public key. */
static enum status
import_okp(const json_t *jwk, struct jwk *key, struct err *err)
{
	unsigned char x[32];
	const char *crv = crv_member(jwk);
	OSSL_PARAM_BLD *bld = NULL;
	enum status st;

	if (crv == NULL)
		return ERR_SET(err, ST_INVALID, "OKP JWK without a string \"crv\"");
	if (strcmp(crv, ed25519_curve.crv) != 0)
		return ERR_SET(err, ST_UNSUPPORTED, "OKP curve not supported");
	st = decode_coord(jwk, "x", &ed25519_curve, x, err);
	if (st != ST_OK)
		return st;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, x, sizeof x) != 1) {
		st = OSSL_FAIL(err, ST_CRYPTO, "OSSL_PARAM_BLD_push_octet_string");
		goto out;
	}
	st = pkey_fromdata(ed25519_curve.group, bld, &key->pkey, err);
	if (st != ST_OK)
		goto out;
	key->kty = JWK_KTY_OKP;
	key->curve = &ed25519_curve;
out:
	OSSL_PARAM_BLD_free(bld);
	return st;
}

/* Optional string members alg, kid, use (RFC 7517 §4.2-4.5). */
static enum status
import_metadata(const json_t *jwk, struct jwk *key, struct err *err)
{
	const json_t *alg = json_object_get(jwk, "alg");
	const json_t *kid = json_object_get(jwk, "kid");
	const json_t *use = json_object_get(jwk, "use");

	if ((alg != NULL && !json_is_string(alg)) || (kid != NULL && !json_is_string(kid)) ||
	    (use != NULL && !json_is_string(use)))
		return ERR_SET(err, ST_INVALID, "JWK alg, kid and use must be strings");
	/* RFC 7517 §4.2: a key meant for encryption must not verify signatures. */
	if (use != NULL && strcmp(json_string_value(use), "sig") != 0)
		return ERR_SET(err, ST_UNSUPPORTED, "JWK use is not \"sig\"");
	if (alg != NULL) {
		key->alg = jws_alg_from_name(json_string_value(alg));
		if (key->alg == 0)
			return ERR_SET(err, ST_UNSUPPORTED, "JWK alg not supported");
		/* RFC 8725 §3.1: the key's alg binds it to one algorithm, and it must fit. */
		if ((key->alg & jwk_compatible_algs(key)) == 0)
			return ERR_SET(err, ST_INVALID, "JWK alg does not fit the key type");
	}
	if (kid != NULL)
		key->kid = xstrndup(json_string_value(kid), json_string_length(kid));
	return ST_OK;
}

enum status
jwk_import_public(const json_t *jwk, struct jwk **out, struct err *err)
{
	struct jwk *key = NULL;
	const char *kty;
	char thumb[44];
	size_t i;
	enum status st;

	if (!json_is_object(jwk))
		return ERR_SET(err, ST_INVALID, "JWK is not a JSON object");
	for (i = 0; i < sizeof private_members / sizeof private_members[0]; i++)
		if (json_object_get(jwk, private_members[i]) != NULL)
			return ERR_SET(err, ST_INVALID, "private key material in a public JWK");
	kty = json_string_value(json_object_get(jwk, "kty"));
	if (kty == NULL)
		return ERR_SET(err, ST_INVALID, "JWK without a string \"kty\"");
	if (strcmp(kty, "oct") == 0)
		return ERR_SET(err, ST_INVALID, "private key material (kty oct)");

	key = xcalloc(1, sizeof *key);
	if (strcmp(kty, "RSA") == 0)
		st = import_rsa(jwk, key, err);
	else if (strcmp(kty, "EC") == 0)
		st = import_ec(jwk, key, err);
	else if (strcmp(kty, "OKP") == 0)
		st = import_okp(jwk, key, err);
	else
		st = ERR_SET(err, ST_UNSUPPORTED, "JWK kty not supported");
	if (st != ST_OK)
		goto out;
	st = import_metadata(jwk, key, err);
	if (st != ST_OK)
		goto out;
	if (key->kid == NULL) {
		st = jwk_thumbprint(key, thumb, err);
		if (st != ST_OK)
			goto out;
		key->kid = xstrdup(thumb);
	}
	*out = key;
	key = NULL;
out:
	jwk_free(key);
	return st;
}

/* base64url of bn, left-padded with zeros to pad_len bytes (0 = minimal), on the heap. */
static char *
bn_to_b64url(const BIGNUM *bn, size_t pad_len)
{
	size_t len = pad_len != 0 ? pad_len : (size_t)BN_num_bytes(bn);
	unsigned char *bin = xmalloc(len + 1);
	char *text = NULL;

	if (BN_bn2binpad(bn, bin, (int)len) == (int)len) {
		text = xmalloc(B64URL_ENCODED_LEN(len) + 1);
		b64url_encode(bin, len, text);
	}
	free(bin);
	return text;
}

/*
 * The key material as base64url heap strings (caller frees both):
 * RSA n and e; EC x and y, fixed length (RFC 7518 §6.2.1.2); OKP x (b NULL).
 */
static enum status
get_material(const struct jwk *key, char **a_out, char **b_out, struct err *err)
{
	const char *name_a = OSSL_PKEY_PARAM_RSA_N, *name_b = OSSL_PKEY_PARAM_RSA_E;
	size_t pad = 0;
	BIGNUM *a = NULL, *b = NULL;
	char *text_a = NULL, *text_b = NULL;
	unsigned char raw[32];
	size_t raw_len = 0;
	enum status st;

	if (key->kty == JWK_KTY_OKP) {
		if (EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_PUB_KEY, raw,
		                                    sizeof raw, &raw_len) != 1 ||
		    raw_len != sizeof raw) {
			st = OSSL_FAIL(err, ST_CRYPTO, "EVP_PKEY_get_octet_string_param");
			goto out;
		}
		text_a = xmalloc(B64URL_ENCODED_LEN(sizeof raw) + 1);
		b64url_encode(raw, sizeof raw, text_a);
		goto done;
	}
	if (key->kty == JWK_KTY_EC) {
		name_a = OSSL_PKEY_PARAM_EC_PUB_X;
		name_b = OSSL_PKEY_PARAM_EC_PUB_Y;
		pad = key->curve->coord_len;
	}
	if (EVP_PKEY_get_bn_param(key->pkey, name_a, &a) != 1 ||
	    EVP_PKEY_get_bn_param(key->pkey, name_b, &b) != 1) {
		st = OSSL_FAIL(err, ST_CRYPTO, "EVP_PKEY_get_bn_param");
		goto out;
	}
	text_a = bn_to_b64url(a, pad);
	text_b = bn_to_b64url(b, pad);
	if (text_a == NULL || text_b == NULL) {
		st = ERR_SET(err, ST_CRYPTO, "key material does not fit its encoding");
		goto out;
	}
done:
	*a_out = text_a;
	*b_out = text_b;
	text_a = text_b = NULL;
	st = ST_OK;
out:
	free(text_a);
	free(text_b);
	BN_free(a);
	BN_free(b);
	return st;
}

enum status
jwk_thumbprint(const struct jwk *key, char out[44], struct err *err)
{
	unsigned char hash[DIGEST_SHA256_BYTES];
	struct buf canon = {0};
	char *a = NULL, *b = NULL;
	enum status st;

	st = get_material(key, &a, &b, err);
	if (st != ST_OK)
		return st;
	/*
	 * RFC 7638 §3.2-3.3: the required members only, in lexicographic
	 * order, no whitespace. Values are base64url or fixed names, so none
	 * needs JSON escaping.
	 */
	switch (key->kty) {
	case JWK_KTY_RSA:
		buf_printf(&canon, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", b, a);
		break;
	case JWK_KTY_EC:
		buf_printf(&canon, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		           key->curve->crv, a, b);
		break;
	case JWK_KTY_OKP:
		buf_printf(&canon, "{\"crv\":\"%s\",\"kty\":\"OKP\",\"x\":\"%s\"}", key->curve->crv,
		           a);
		break;
	}
	digest_sha256(canon.data, canon.len, hash);
	b64url_encode(hash, sizeof hash, out);
	buf_free(&canon);
	free(a);
	free(b);
	return ST_OK;
}

const char *
jwk_kid(const struct jwk *key)
{
	return key->kid;
}

void
jwk_set_kid(struct jwk *key, const char *kid)
{
	char *copy = xstrdup(kid);

	free(key->kid);
	key->kid = copy;
}

void
jwk_set_alg(struct jwk *key, unsigned alg)
{
	key->alg = alg;
}

unsigned
jwk_alg(const struct jwk *key)
{
	return key->alg;
}

unsigned
jwk_compatible_algs(const struct jwk *key)
{
	if (key->kty == JWK_KTY_RSA)
		return RSA_ALGS;
	return key->curve->alg;
}

bool
jwk_is_private(const struct jwk *key)
{
	return key->is_private;
}

json_t *
jwk_to_public_json(const struct jwk *key)
{
	unsigned alg = key->alg;
	char *a = NULL, *b = NULL;
	json_t *obj = NULL;

	if (get_material(key, &a, &b, NULL) != ST_OK)
		return NULL;
	/* An EC or OKP key fits one alg only, so it can be stated even when unset. */
	if (alg == 0 && key->kty != JWK_KTY_RSA)
		alg = key->curve->alg;

	obj = json_object();
	json_object_set_new(obj, "kty",
	                    json_string(key->kty == JWK_KTY_RSA  ? "RSA"
	                                : key->kty == JWK_KTY_EC ? "EC"
	                                                         : "OKP"));
	json_object_set_new(obj, "kid", json_string(key->kid));
	if (alg != 0)
		json_object_set_new(obj, "alg", json_string(jws_alg_name(alg)));
	json_object_set_new(obj, "use", json_string("sig"));
	if (key->kty == JWK_KTY_RSA) {
		json_object_set_new(obj, "n", json_string(a));
		json_object_set_new(obj, "e", json_string(b));
	} else {
		json_object_set_new(obj, "crv", json_string(key->curve->crv));
		json_object_set_new(obj, "x", json_string(a));
		if (b != NULL)
			json_object_set_new(obj, "y", json_string(b));
	}
	free(a);
	free(b);
	return obj;
}

/* Sets kty/curve from an OpenSSL key; ST_UNSUPPORTED for other key types. */
static enum status
classify(struct jwk *key, struct err *err)
{
	char group[64];
	int nid;

	if (EVP_PKEY_is_a(key->pkey, "RSA")) {
		if (EVP_PKEY_get_bits(key->pkey) < RSA_MIN_BITS)
			return ERR_SET(err, ST_INVALID, "RSA key below %d bits", RSA_MIN_BITS);
		key->kty = JWK_KTY_RSA;
		return ST_OK;
	}
	if (EVP_PKEY_is_a(key->pkey, "ED25519")) {
		key->kty = JWK_KTY_OKP;
		key->curve = &ed25519_curve;
		return ST_OK;
	}
	if (EVP_PKEY_is_a(key->pkey, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(key->pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
		                                   sizeof group, NULL) != 1)
			return OSSL_FAIL(err, ST_UNSUPPORTED, "EC key without a named group");
		nid = OBJ_sn2nid(group);
		if (nid == NID_undef)
			nid = EC_curve_nist2nid(group);
		key->curve = ec_curve_by_nid(nid);
		if (key->curve == NULL)
			return ERR_SET(err, ST_UNSUPPORTED, "EC curve not supported");
		key->kty = JWK_KTY_EC;
		return ST_OK;
	}
	return ERR_SET(err, ST_UNSUPPORTED, "key type not supported");
}

/* Records alg (which must fit) and the thumbprint as kid on a private key. */
static enum status
finish_private(struct jwk *key, unsigned alg, struct err *err)
{
	char thumb[44];
	enum status st;

	st = classify(key, err);
	if (st != ST_OK)
		return st;
	if (!is_single_alg(alg) || (alg & jwk_compatible_algs(key)) == 0)
		return ERR_SET(err, ST_INVALID, "alg does not fit the key type");
	key->alg = alg;
	key->is_private = true;
	st = jwk_thumbprint(key, thumb, err);
	if (st != ST_OK)
		return st;
	jwk_set_kid(key, thumb);
	return ST_OK;
}

enum status
jwk_generate(unsigned alg, unsigned rsa_bits, struct jwk **out, struct err *err)
{
	struct jwk *key = NULL;
	enum status st;

	if (!is_single_alg(alg))
		return ERR_SET(err, ST_INVALID, "generate: not one known alg");
	key = xcalloc(1, sizeof *key);
	if ((alg & RSA_ALGS) != 0) {
		if (rsa_bits < RSA_MIN_BITS || rsa_bits > RSA_MAX_BITS) {
			st = ERR_SET(err, ST_INVALID, "RSA key size %u outside %d..%d", rsa_bits,
			             RSA_MIN_BITS, RSA_MAX_BITS);
			goto out;
		}
		key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits);
	} else if (alg == JWS_ALG_EDDSA) {
		key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	} else if (ec_curve_by_alg(alg) != NULL) {
		key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", ec_curve_by_alg(alg)->group);
	} else {
		st = ERR_SET(err, ST_UNSUPPORTED, "generate: alg not supported");
		goto out;
	}
	if (key->pkey == NULL) {
		st = OSSL_FAIL(err, ST_CRYPTO, "EVP_PKEY_Q_keygen");
		goto out;
	}
	st = finish_private(key, alg, err);
	if (st != ST_OK)
		goto out;
	*out = key;
	key = NULL;
out:
	jwk_free(key);
	return st;
}

enum status
jwk_private_to_der(const struct jwk *key, unsigned char **der, size_t *der_len, struct err *err)
{
	OSSL_ENCODER_CTX *ctx = NULL;
	unsigned char *data = NULL;
	size_t len = 0;
	enum status st;

	if (!key->is_private)
		return ERR_SET(err, ST_INVALID, "not a private key");
	/* RFC 5958 OneAsymmetricKey (PKCS#8 PrivateKeyInfo), DER. */
	ctx = OSSL_ENCODER_CTX_new_for_pkey(key->pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo",
	                                    NULL);
	if (ctx == NULL || OSSL_ENCODER_CTX_get_num_encoders(ctx) == 0 ||
	    OSSL_ENCODER_to_data(ctx, &data, &len) != 1) {
		st = OSSL_FAIL(err, ST_CRYPTO, "OSSL_ENCODER_to_data");
		goto out;
	}
	/* Hand over a plain heap buffer so the caller's free() is always right. */
	*der = xmalloc(len);
	memcpy(*der, data, len);
	*der_len = len;
	st = ST_OK;
out:
	if (data != NULL)
		OPENSSL_clear_free(data, len);
	OSSL_ENCODER_CTX_free(ctx);
	return st;
}

/*
 * A private key decoded from data (input_type "DER" or "PEM"; structure NULL
 * for any the decoders know), checked against alg by finish_private.
 */
static enum status
private_decode(const unsigned char *data, size_t len, const char *input_type, const char *structure,
               const char *what, unsigned alg, struct jwk **out, struct err *err)
{
	OSSL_DECODER_CTX *ctx = NULL;
	const unsigned char *p = data;
	size_t left = len;
	struct jwk *key = xcalloc(1, sizeof *key);
	enum status st;

	ctx = OSSL_DECODER_CTX_new_for_pkey(&key->pkey, input_type, structure, NULL,
	                                    EVP_PKEY_KEYPAIR, NULL, NULL);
	if (ctx == NULL) {
		st = OSSL_FAIL(err, ST_CRYPTO, "OSSL_DECODER_CTX_new_for_pkey");
		goto out;
	}
	/* No passphrase callback: an encrypted PEM key does not decode. */
	if (OSSL_DECODER_from_data(ctx, &p, &left) != 1 || key->pkey == NULL) {
		st = OSSL_FAIL(err, ST_INVALID, what);
		goto out;
	}
	st = finish_private(key, alg, err);
	if (st != ST_OK)
		goto out;
	*out = key;
	key = NULL;
out:
	OSSL_DECODER_CTX_free(ctx);
	jwk_free(key);
	return st;
}

enum status
jwk_private_from_der(const unsigned char *der, size_t der_len, unsigned alg, struct jwk **out,
                     struct err *err)
{
	return private_decode(der, der_len, "DER", "PrivateKeyInfo", "PKCS#8 private key", alg, out,
	                      err);
}

enum status
jwk_private_from_pem(const char *pem, size_t len, unsigned alg, struct jwk **out, struct err *err)
{
	return private_decode((const unsigned char *)pem, len, "PEM", NULL,
	                      "PEM private key (unencrypted PKCS#8, RSA or EC)", alg, out, err);
}
