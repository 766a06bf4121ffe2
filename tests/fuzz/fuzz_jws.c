/*
 * tests/fuzz/fuzz_jws.c — libFuzzer target for crypto/jws.c (jws_parse,
 * jws_verify) and crypto/jwk.c (jwk_import_public).
 *
 * The input is tried twice: as a compact JWS, and as a JWK in JSON.
 *
 * Invariants checked (abort() on violation):
 *   1. A parsed JWS re-encodes to its input: base64url of header_json and of
 *      the payload give back the first two parts, and signing_input is the
 *      input up to the second period.
 *   2. alg agrees with alg_name; payload and signature are non-empty.
 *   3. jws_verify against fixed RSA, EC and Ed25519 public keys (imported
 *      once) answers ST_OK or ST_INVALID, never anything else, and a refusal
 *      carries a message.
 *   4. An imported JWK had no private member, exports to a public JWK that
 *      imports again to the same RFC 7638 thumbprint.
 * Seeds: tests/fuzz/corpus/jws/; dictionary: tests/fuzz/dict/jws.dict.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/xalloc.h"
#include "crypto/b64url.h"
#include "crypto/jwk.h"
#include "crypto/jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 7515 Appendix A.2 (RSA), A.3 (P-256), RFC 8037 A.2 (Ed25519). */
static const char rsa_jwk[] =
        "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":"
        "\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-"
        "4qPCJrcS2mJPMEzP1Pt0"
        "Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-"
        "bSf63kpaSHSXndS5z"
        "5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_"
        "I5IhlJH7aGh"
        "yxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\"}";
static const char ec_jwk[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
                             "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                             "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";
static const char ed_jwk[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
                             "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";

/* Imported once and kept for the life of the process (reachable, not leaked). */
static struct jwk *fixed_keys[3];

static struct jwk *
import_text(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	struct jwk *key = NULL;
	struct err err;

	if (j == NULL || jwk_import_public(j, &key, &err) != ST_OK)
		abort();
	json_decref(j);
	return key;
}

static void
load_fixed_keys(void)
{
	if (fixed_keys[0] != NULL)
		return;
	fixed_keys[0] = import_text(rsa_jwk);
	fixed_keys[1] = import_text(ec_jwk);
	fixed_keys[2] = import_text(ed_jwk);
}

/* base64url of p[0..n) equals text[0..text_len). */
static bool
encodes_to(const void *p, size_t n, const char *text, size_t text_len)
{
	char *enc = xmalloc(B64URL_ENCODED_LEN(n) + 1);
	bool same = b64url_encode(p, n, enc) == text_len && memcmp(enc, text, text_len) == 0;

	free(enc);
	return same;
}

/* Invariants 1-3. */
static void
check_jws(const char *compact)
{
	struct arena *arena = arena_new();
	const char *dot1, *dot2;
	struct jws jws;
	struct err err;
	enum status st;
	size_t i;

	if (jws_parse(compact, arena, &jws, &err) != ST_OK) {
		if (err.msg[0] == '\0')
			abort();
		goto out;
	}
	dot1 = strchr(compact, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		abort();
	if (jws.signing_input_len != (size_t)(dot2 - compact) ||
	    memcmp(jws.signing_input, compact, jws.signing_input_len) != 0 ||
	    jws.signing_input[jws.signing_input_len] != '\0')
		abort();
	if (!encodes_to(jws.header_json, strlen(jws.header_json), compact,
	                (size_t)(dot1 - compact)) ||
	    !encodes_to(jws.payload, jws.payload_len, dot1 + 1, (size_t)(dot2 - dot1 - 1)))
		abort();
	if (jws.alg_name == NULL || jws.alg != jws_alg_from_name(jws.alg_name) ||
	    jws.payload_len == 0 || jws.signature_len == 0)
		abort();

	for (i = 0; i < sizeof fixed_keys / sizeof fixed_keys[0]; i++) {
		err.msg[0] = '\0';
		st = jws_verify(&jws, fixed_keys[i], JWS_ALG_ALL, &err);
		if (st != ST_OK && (st != ST_INVALID || err.msg[0] == '\0'))
			abort();
	}
out:
	arena_free(arena);
}

/* Invariant 4. */
static void
check_jwk(const uint8_t *data, size_t size)
{
	static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "k"};
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct jwk *key = NULL, *again = NULL;
	json_t *pub = NULL;
	char t1[44], t2[44];
	struct err err;
	size_t i;

	if (j == NULL)
		return;
	if (jwk_import_public(j, &key, &err) != ST_OK) {
		if (err.msg[0] == '\0')
			abort();
		goto out;
	}
	for (i = 0; i < sizeof private_members / sizeof private_members[0]; i++)
		if (json_object_get(j, private_members[i]) != NULL)
			abort();
	if (jwk_is_private(key) || jwk_kid(key) == NULL)
		abort();
	pub = jwk_to_public_json(key);
	if (pub == NULL || jwk_import_public(pub, &again, &err) != ST_OK)
		abort();
	if (jwk_thumbprint(key, t1, &err) != ST_OK || jwk_thumbprint(again, t2, &err) != ST_OK ||
	    strcmp(t1, t2) != 0 || strcmp(jwk_kid(key), jwk_kid(again)) != 0 ||
	    (jwk_alg(key) != 0 && jwk_alg(again) != jwk_alg(key)))
		abort();
out:
	jwk_free(again);
	jwk_free(key);
	json_decref(pub);
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);

	load_fixed_keys();
	memcpy(text, data, size);
	text[size] = '\0';
	check_jws(text);
	free(text);
	check_jwk(data, size);
	return 0;
}
