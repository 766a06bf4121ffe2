/*
 * server/credential_request.h — the body of POST /credentials (Hydra's
 * CreateVerifiableCredentialRequestBody, OpenID Connect UserInfo Verifiable
 * Credentials 1.0 draft 00) and its proof of possession: a JWT signed with
 * the key the credential is to be bound to, carrying that public key in its
 * "jwk" header (OpenID4VCI §7.2.1.1 proof type "jwt").
 *
 * Pure: no I/O, no clock (now is a parameter), so all of it is fuzzed
 * (tests/fuzz/fuzz_credential_request.c). Whether the proof's nonce is a
 * live one of the presented access token needs the store: the handler
 * (handle_credentials.c) does that, after everything here passed.
 *
 * Ownership: strings and arrays in the arena; the proof's key is on the heap
 * (credential_proof_clear frees it).
 */
#ifndef SERVER_CREDENTIAL_REQUEST_H
#define SERVER_CREDENTIAL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/jws.h"

#define CREDENTIAL_FORMAT     "jwt_vc_json"
#define CREDENTIAL_PROOF_TYPE "jwt"
/* OpenID4VCI §7.2.1.1: the typ of a proof JWT, checked when present. */
#define CREDENTIAL_PROOF_TYP "openid4vci-proof+jwt"
/*
 * The proof algorithms: exactly those crypto/jws.c verifies (never none or
 * HS*). Discovery lists these as cryptographic_suites_supported.
 */
#define CREDENTIAL_PROOF_ALGS JWS_ALG_ALL
/* A proof's iat, when present, may differ from now by at most this. */
#define CREDENTIAL_PROOF_IAT_WINDOW_SECS 300
/* Longest nonce we look up, in bytes (ours are 43). */
#define CREDENTIAL_NONCE_MAX 256
/* Most entries read from "types" or from a proof's "aud" array. */
#define CREDENTIAL_LIST_MAX 16

/* What is wrong with a request; each maps to one OAuth error code. */
enum credential_problem {
	CREDENTIAL_OK = 0,
	CREDENTIAL_INVALID_REQUEST,    /* malformed body: invalid_request */
	CREDENTIAL_UNSUPPORTED_FORMAT, /* unsupported_credential_format */
	CREDENTIAL_UNSUPPORTED_TYPE,   /* unsupported_credential_type */
	CREDENTIAL_MISSING_PROOF,      /* no proof: the priming answer (invalid_request) */
	CREDENTIAL_INVALID_PROOF,      /* invalid_proof */
};

/* The credential types we issue, in the order credentials carry them. */
extern const char *const credential_types[2];

struct credential_request {
	const char *format;     /* CREDENTIAL_FORMAT */
	const char *proof_type; /* CREDENTIAL_PROOF_TYPE */
	const char *proof_jwt;  /* non-empty */
};

/*
 * Parses body (len bytes, need not be NUL-terminated): a JSON object (no
 * duplicate members) with "format" a string equal to CREDENTIAL_FORMAT,
 * "types" (optional) a non-empty array of strings each one of
 * credential_types, and "proof" an object {"proof_type": "jwt", "jwt":
 * <non-empty string>}. Checked in that order: the first problem found is
 * returned with its reason in err (which never echoes input). A missing or
 * null proof is CREDENTIAL_MISSING_PROOF; a proof that is not an object is
 * CREDENTIAL_INVALID_REQUEST; another proof_type, or a jwt that is not a
 * non-empty string, CREDENTIAL_INVALID_PROOF.
 */
enum credential_problem credential_request_parse(const char *body, size_t len, struct arena *arena,
                                                 struct credential_request *out, struct err *err);

struct jwk;

/* A parsed proof JWT. Its signature is verified by credential_proof_parse. */
struct credential_proof {
	struct jws jws;
	struct jwk *key;        /* from the "jwk" header; heap, credential_proof_clear */
	const char *key_json;   /* the public key members (RFC 7638 set), sorted, compact */
	const char *did;        /* "did:jwk:" + base64url(key_json) */
	char thumbprint[44];    /* RFC 7638 of the key */
	const char *nonce;      /* 1..CREDENTIAL_NONCE_MAX bytes */
	const char *const *aud; /* aud_count strings; aud_count 0 when absent */
	size_t aud_count;
	int64_t iat; /* meaningful when has_iat */
	bool has_iat;
};

/*
 * Parses and verifies a proof JWT: a compact JWS whose header has an alg in
 * CREDENTIAL_PROOF_ALGS, a "jwk" object that imports as a PUBLIC key (any
 * private member refused) which fits the alg (and whose own "alg", when
 * present, is the same), typ CREDENTIAL_PROOF_TYP when present; a
 * signature that verifies with that key; a JSON object payload with a
 * string "nonce", "aud" (optional) a string or array of strings, "iat"
 * (optional) a number. ST_OK with out filled, or ST_INVALID with the
 * reason in err; nothing else. Call credential_proof_clear either way.
 */
enum status credential_proof_parse(const char *compact, struct arena *arena,
                                   struct credential_proof *out, struct err *err);

/*
 * The claim rules at now: aud, when present, names issuer (draft 00 and
 * OpenID4VCI §7.2.1.1); iat, when present, within
 * CREDENTIAL_PROOF_IAT_WINDOW_SECS of now. ST_OK or ST_INVALID with the
 * broken rule in err.
 */
enum status credential_proof_check_claims(const struct credential_proof *p, const char *issuer,
                                          int64_t now, struct err *err);

/* Frees the key; p may be partly filled or zeroed. */
void credential_proof_clear(struct credential_proof *p);

#endif
