/*
 * tests/fuzz/fuzz_client_assertion.c — the private_key_jwt assertion path
 * that needs no keys or store: client_assertion_parse and
 * client_assertion_check_claims (server/client_assertion.c).
 *
 * Input: the compact JWT. The claims are checked at a fixed time against
 * client_id = the parsed iss, and against another client.
 *
 * Invariants: parse answers ST_OK or ST_INVALID (with a message); on ST_OK
 * iss and sub are non-empty, 1..CLIENT_ASSERTION_AUD_MAX non-empty
 * audiences, alg one known algorithm; the check answers ST_OK only when its
 * rules hold (checked again here independently) and never for a client
 * other than iss.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/client_assertion.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ISSUER         "https://id.example.com"
#define TOKEN_ENDPOINT ISSUER "/oauth2/token"
#define NOW            1800000000

static void
check_parsed(const struct client_assertion *a)
{
	size_t i;

	if (a->iss == NULL || a->iss[0] == '\0' || a->sub == NULL || a->sub[0] == '\0')
		abort();
	if (a->aud_count < 1 || a->aud_count > CLIENT_ASSERTION_AUD_MAX)
		abort();
	for (i = 0; i < a->aud_count; i++)
		if (a->aud[i] == NULL || a->aud[i][0] == '\0')
			abort();
	if (jws_alg_name(a->jws.alg) == NULL)
		abort();
}

/* The rules of client_assertion_check_claims, restated. */
static int
rules_hold(const struct client_assertion *a, const char *client_id)
{
	int aud_ok = 0;
	size_t i;

	for (i = 0; i < a->aud_count; i++)
		aud_ok |= strcmp(a->aud[i], TOKEN_ENDPOINT) == 0 || strcmp(a->aud[i], ISSUER) == 0;
	return strcmp(a->iss, client_id) == 0 && strcmp(a->sub, client_id) == 0 && aud_ok &&
	       a->exp + CLIENT_ASSERTION_SKEW_SECS > NOW &&
	       (!a->has_nbf || a->nbf <= NOW + CLIENT_ASSERTION_SKEW_SECS) &&
	       (!a->has_iat || a->iat <= NOW + CLIENT_ASSERTION_SKEW_SECS) && a->jti != NULL &&
	       a->jti[0] != '\0' && strlen(a->jti) <= CLIENT_ASSERTION_JTI_MAX;
}

static void
check_claims(const struct client_assertion *a, const char *client_id)
{
	struct err err = {0};
	enum status st;

	st = client_assertion_check_claims(a, client_id, ISSUER, TOKEN_ENDPOINT, NOW, &err);
	if (st != ST_OK && (st != ST_INVALID || err.msg[0] == '\0'))
		abort();
	if ((st == ST_OK) != rules_hold(a, client_id))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *arena = arena_new();
	struct client_assertion a;
	struct err err = {0};
	char *text = arena_strndup(arena, (const char *)data, size);
	enum status st;

	st = client_assertion_parse(text, arena, &a, &err);
	if (st == ST_OK) {
		check_parsed(&a);
		check_claims(&a, a.iss);
		check_claims(&a, "another-client");
	} else if (st != ST_INVALID || err.msg[0] == '\0') {
		abort();
	}
	arena_free(arena);
	return 0;
}
