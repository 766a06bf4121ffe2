/*
 * tests/fuzz/fuzz_request_object.c — request objects (server/request_object.c,
 * OIDC Core §6): the input as an unsigned JWT, and its payload (or the input
 * itself) merged over a fixed authorization query.
 *
 * Invariants checked on every input: an accepted unsigned JWT's payload is
 * what its middle part decodes to; a merge that succeeds yields only real
 * parameters (never request, request_uri or a JWT claim such as iss, aud or
 * exp), each with a value and a non-empty name, each name once; string
 * members of the object are taken as they are; query parameters the object
 * lacks are kept; client_id and response_type are never changed.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "server/form.h"
#include "server/request_object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QUERY "client_id=rp1&response_type=code&scope=openid&state=s&request=x&prompt=login"

static void
check_merge(const struct form *q, const char *payload, size_t len, struct arena *arena)
{
	static const char *const never[] = {"request", "request_uri", "iss", "aud",
	                                    "exp",     "nbf",         "iat", "jti"};
	json_t *obj = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	struct form out;
	struct err err;

	if (request_object_merge(q, payload, len, "rp1", "https://op.example", 1700000000, arena,
	                         &out, &err) != ST_OK) {
		if (json_is_object(obj) && json_object_size(obj) == 0)
			abort(); /* an empty object changes nothing and must be accepted */
		json_decref(obj);
		return;
	}
	if (!json_is_object(obj))
		abort();
	for (size_t i = 0; i < out.count; i++) {
		const char *n = out.params[i].name;
		const json_t *m = json_object_get(obj, n);

		if (n == NULL || n[0] == '\0' || out.params[i].value == NULL)
			abort();
		for (size_t j = 0; j < sizeof never / sizeof never[0]; j++)
			if (strcmp(n, never[j]) == 0)
				abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(n, out.params[j].name) == 0)
				abort();
		if (json_is_string(m) && strcmp(out.params[i].value, json_string_value(m)) != 0)
			abort();
	}
	for (size_t i = 0; i < q->count; i++) {
		const char *n = q->params[i].name;

		if (strcmp(n, "request") != 0 && json_object_get(obj, n) == NULL &&
		    (form_get(&out, n) == NULL ||
		     strcmp(form_get(&out, n), q->params[i].value) != 0))
			abort();
	}
	if (strcmp(form_get(&out, "client_id"), "rp1") != 0 ||
	    strcmp(form_get(&out, "response_type"), "code") != 0)
		abort();
	json_decref(obj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *arena = arena_new();
	char *s = arena_alloc(arena, size + 1);
	const char *payload;
	struct form q;
	struct err err;
	size_t len;

	memcpy(s, data, size);
	s[size] = '\0';
	if (form_parse(QUERY, strlen(QUERY), arena, &q, NULL) != ST_OK)
		abort();
	if (request_object_unsigned_payload(s, arena, &payload, &len, &err) == ST_OK) {
		if (strlen(s) > REQUEST_OBJECT_MAX_BYTES || s[strlen(s) - 1] != '.')
			abort();
		check_merge(&q, payload, len, arena);
	}
	check_merge(&q, (const char *)data, size, arena);
	arena_free(arena);
	return 0;
}
