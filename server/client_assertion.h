/*
 * server/client_assertion.h — the JWT a client authenticates with under
 * private_key_jwt (RFC 7523 §2.2 and §3, OIDC Core §9): parsing and the
 * claim rules, with no I/O, so both can be fuzzed
 * (tests/fuzz/fuzz_client_assertion.c). The signature and the single use
 * of jti need the client's keys and the store: client_auth.c does those.
 *
 * Ownership: everything a parsed assertion points to is in the arena.
 */
#ifndef SERVER_CLIENT_ASSERTION_H
#define SERVER_CLIENT_ASSERTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/jws.h"

/* RFC 7523 §2.2: the client_assertion_type of a JWT assertion. */
#define CLIENT_ASSERTION_TYPE_JWT "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
/* Clock skew allowed on exp, iat and nbf (RFC 7523 §3 items 4-6). */
#define CLIENT_ASSERTION_SKEW_SECS 60
/* Longest jti we remember, in bytes. */
#define CLIENT_ASSERTION_JTI_MAX 256
/* Most audiences we read from an "aud" array. */
#define CLIENT_ASSERTION_AUD_MAX 16

struct client_assertion {
	struct jws jws;         /* header, payload and signature, not verified */
	const char *iss;        /* non-empty */
	const char *sub;        /* non-empty */
	const char *const *aud; /* aud_count >= 1 non-empty strings */
	size_t aud_count;
	const char *jti; /* NULL when absent */
	int64_t exp;
	int64_t iat; /* meaningful when has_iat */
	int64_t nbf; /* meaningful when has_nbf */
	bool has_iat;
	bool has_nbf;
};

/*
 * Parses compact (a compact JWS, jws_parse) and its claims: a JSON object
 * payload with string iss and sub (non-empty), aud a non-empty string or
 * array of them, exp a number (NumericDate), iat and nbf numbers when
 * present, jti a string when present. The alg must be one we verify with
 * (never "none" or HS*). ST_OK with *out filled, or ST_INVALID with the
 * reason in err; no other status.
 */
enum status client_assertion_parse(const char *compact, struct arena *arena,
                                   struct client_assertion *out, struct err *err);

/*
 * The claim rules of RFC 7523 §3 at now: iss and sub both equal client_id;
 * aud contains token_endpoint or issuer; exp + skew > now; iat and nbf, when
 * present, no later than now + skew; jti present, non-empty and at most
 * CLIENT_ASSERTION_JTI_MAX bytes. ST_OK, or ST_INVALID with the broken rule
 * in err.
 */
enum status client_assertion_check_claims(const struct client_assertion *a, const char *client_id,
                                          const char *issuer, const char *token_endpoint,
                                          int64_t now, struct err *err);

#endif
