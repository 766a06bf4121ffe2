/*
 * tests/fuzz/fuzz_userinfo_claims.c — the /userinfo fast path
 * (server/claims.c, claims_userinfo_text) and the JSON member reader under it
 * (common/json_members.c), against jansson as the reference.
 *
 * Input: the first byte picks the granted scopes (bits: profile, email,
 * address, phone); the rest, cut at its first NUL, is the stored claims text.
 * Invariants, else abort():
 * - json_members_split takes a text only if jansson loads it, as an object
 *   with as many members;
 * - claims_userinfo_text answers only when the jansson path does, with a
 *   JSON text jansson loads, equal (json_equal) to the jansson path's answer.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_members.h"
#include "server/claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEMBERS_MAX 64

static const char *const scope_names[] = {"profile", "email", "address", "phone"};

/* The jansson path of /userinfo (handle_userinfo.c, answer()). */
static json_t *
reference(const char *stored, const char *scope)
{
	json_t *claims = json_loads(stored, 0, NULL), *out = NULL;

	if (!json_is_object(claims)) {
		json_decref(claims);
		return NULL;
	}
	json_object_set_new(claims, "updated_at", json_integer(42));
	if (claims_for_scopes(claims, scope, NULL, &out) != ST_OK)
		abort();
	json_object_set_new(out, "sub", json_string("sub-1"));
	json_decref(claims);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_member m[MEMBERS_MAX];
	char scope[64] = "openid";
	struct arena *arena;
	json_t *want, *loaded;
	char *text, *got;
	size_t len = 0;
	int n;

	if (size == 0)
		return 0;
	for (size_t i = 0, used = strlen(scope); i < 4; i++) {
		if (data[0] & (1u << i))
			used += (size_t)snprintf(scope + used, sizeof scope - used, " %s",
			                         scope_names[i]);
	}
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	n = json_members_split(text, strlen(text), m, MEMBERS_MAX);
	loaded = json_loads(text, 0, NULL);
	if (n >= 0 && (!json_is_object(loaded) || json_object_size(loaded) != (size_t)n))
		abort();
	json_decref(loaded);

	arena = arena_new();
	want = reference(text, scope);
	got = claims_userinfo_text(text, 42, scope, "sub-1", arena, &len);
	if (got != NULL) {
		json_t *g = json_loads(got, 0, NULL);

		if (want == NULL || g == NULL || strlen(got) != len || !json_equal(g, want))
			abort();
		json_decref(g);
	}
	json_decref(want);
	arena_free(arena);
	free(text);
	return 0;
}
