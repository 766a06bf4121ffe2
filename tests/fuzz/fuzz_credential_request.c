/*
 * tests/fuzz/fuzz_credential_request.c — the POST /credentials body and its
 * proof JWT (server/credential_request.c): credential_request_parse,
 * credential_proof_parse (header jwk, alg allow-list, signature, claims) and
 * credential_proof_check_claims.
 *
 * Input: a request body (JSON); its proof.jwt, when the body has one, is
 * parsed as the proof. An input that does not start with '{' is parsed as a
 * proof JWT directly, so seeds can be either.
 *
 * Invariants: every answer is one of the documented ones with a message;
 * an accepted body has the one format, proof type and a non-empty jwt; an
 * accepted proof has a public key whose type fits the alg, a nonce of 1 to
 * CREDENTIAL_NONCE_MAX bytes, and a did:jwk that decodes to key_json, which
 * imports again as a key with the same RFC 7638 thumbprint; the claim check
 * answers ST_OK exactly when its rules (restated here) hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/b64url.h"
#include "crypto/jwk.h"
#include "server/credential_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ISSUER "https://id.example.com"
#define NOW    1800000000

static void
check_did(struct arena *arena, const struct credential_proof *p)
{
	const char *enc;
	unsigned char *dec = NULL;
	size_t n = 0;
	struct jwk *back = NULL;
	char thumb[44];
	struct err err = {0};
	json_t *j;

	if (p->did == NULL || strncmp(p->did, "did:jwk:", 8) != 0 || p->key_json == NULL)
		abort();
	enc = p->did + 8;
	if (b64url_decode_arena(arena, enc, strlen(enc), &dec, &n, &err) != ST_OK)
		abort();
	if (n != strlen(p->key_json) || memcmp(dec, p->key_json, n) != 0)
		abort();
	j = json_loadb((const char *)dec, n, 0, NULL);
	if (j == NULL || jwk_import_public(j, &back, &err) != ST_OK)
		abort();
	json_decref(j);
	if (jwk_thumbprint(back, thumb, &err) != ST_OK || strcmp(thumb, p->thumbprint) != 0)
		abort();
	jwk_free(back);
}

/* The rules of credential_proof_check_claims, restated. */
static int
rules_hold(const struct credential_proof *p)
{
	int aud_ok = p->aud_count == 0;

	for (size_t i = 0; i < p->aud_count; i++)
		aud_ok |= strcmp(p->aud[i], ISSUER) == 0;
	return aud_ok && (!p->has_iat || (p->iat <= NOW + CREDENTIAL_PROOF_IAT_WINDOW_SECS &&
	                                  p->iat >= NOW - CREDENTIAL_PROOF_IAT_WINDOW_SECS));
}

static void
fuzz_proof(struct arena *arena, const char *jwt)
{
	struct credential_proof p;
	struct err err = {0};
	enum status st = credential_proof_parse(jwt, arena, &p, &err);

	if (st == ST_OK) {
		if (p.key == NULL || jwk_is_private(p.key))
			abort();
		if ((p.jws.alg & CREDENTIAL_PROOF_ALGS) == 0 ||
		    (p.jws.alg & jwk_compatible_algs(p.key)) == 0 ||
		    jws_alg_name(p.jws.alg) == NULL)
			abort();
		if (p.nonce == NULL || p.nonce[0] == '\0' || strlen(p.nonce) > CREDENTIAL_NONCE_MAX)
			abort();
		if (p.aud_count > CREDENTIAL_LIST_MAX)
			abort();
		check_did(arena, &p);
		memset(&err, 0, sizeof err);
		st = credential_proof_check_claims(&p, ISSUER, NOW, &err);
		if (st != ST_OK && (st != ST_INVALID || err.msg[0] == '\0'))
			abort();
		if ((st == ST_OK) != rules_hold(&p))
			abort();
	} else if (st != ST_INVALID || err.msg[0] == '\0') {
		abort();
	}
	credential_proof_clear(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *arena = arena_new();
	char *text = arena_strndup(arena, (const char *)data, size);
	struct credential_request r;
	struct err err = {0};
	enum credential_problem p;

	if (size == 0 || data[0] != '{') {
		fuzz_proof(arena, text);
		arena_free(arena);
		return 0;
	}
	p = credential_request_parse((const char *)data, size, arena, &r, &err);
	switch (p) {
	case CREDENTIAL_OK:
		if (r.format == NULL || strcmp(r.format, CREDENTIAL_FORMAT) != 0 ||
		    r.proof_type == NULL || strcmp(r.proof_type, CREDENTIAL_PROOF_TYPE) != 0 ||
		    r.proof_jwt == NULL || r.proof_jwt[0] == '\0')
			abort();
		fuzz_proof(arena, r.proof_jwt);
		break;
	case CREDENTIAL_INVALID_REQUEST:
	case CREDENTIAL_UNSUPPORTED_FORMAT:
	case CREDENTIAL_UNSUPPORTED_TYPE:
	case CREDENTIAL_MISSING_PROOF:
	case CREDENTIAL_INVALID_PROOF:
		if (err.msg[0] == '\0')
			abort();
		break;
	default:
		abort();
	}
	arena_free(arena);
	return 0;
}
