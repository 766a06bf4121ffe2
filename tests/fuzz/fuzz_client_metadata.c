/*
 * tests/fuzz/fuzz_client_metadata.c — the client-metadata validator
 * (server/client_metadata.c) under both policies.
 *
 * The input is parsed with json_loadb (duplicates rejected, any top-level
 * value) and validated as a registrant and as an admin; sector_identifier_uri
 * documents come from a fake fetch with a fixed array. Invariants:
 *   - ST_OK: the document is an object that serialises, holds no client_id
 *     or client_secret, and validating it again under ADMIN gives an equal
 *     document (the normal form is a fixed point); under REGISTRANT every
 *     admin-only member holds its default.
 *   - ST_INVALID: invalid_client_metadata or invalid_redirect_uri with a
 *     non-empty, printable-ASCII description.
 *   - no other status: client input never looks like a server failure.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/jwk.h"
#include "server/client_metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char sector_doc[] = "[\"https://rp.example/cb\",\"https://rp.example/cb2\","
                                 "\"myapp:/cb\",\"http://127.0.0.1/cb\"]";

static const char *const grants[] = {"authorization_code", "refresh_token", "implicit",
                                     "urn:ietf:params:oauth:grant-type:device_code"};
static const char *const scopes[] = {"openid", "offline_access", "offline", "profile",
                                     "email",  "address",        "phone"};

static enum status
fake_fetch(void *cls, const char *url, struct arena *arena, char **body, size_t *len,
           struct err *err)
{
	(void)cls;
	if (strstr(url, "fail") != NULL)
		return ERR_SET(err, ST_IO, "GET failed: Couldn't connect to server");
	*body = arena_strdup(arena, sector_doc);
	*len = sizeof sector_doc - 1;
	return ST_OK;
}

static bool
is_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s >= 0x7f)
			return false;
	return true;
}

static bool
is_default(const json_t *v)
{
	return json_is_null(v) || json_is_false(v) ||
	       (json_is_string(v) && json_string_length(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0);
}

static void
check_output(const struct client_validate_opts *o, json_t *out, struct arena *arena)
{
	struct client_validate_opts admin = *o;
	struct client_problem problem;
	struct err err;
	json_t *again = NULL, *v;
	const char *key;
	char *text;

	if (!json_is_object(out) || json_object_get(out, "client_id") != NULL ||
	    json_object_get(out, "client_secret") != NULL)
		abort();
	text = json_dumps(out, 0);
	if (text == NULL)
		abort();
	free(text);
	if (o->policy == CLIENT_POLICY_REGISTRANT) {
		json_object_foreach(out, key, v)
		{
			if (client_member_is_admin_only(key) && !is_default(v))
				abort();
		}
	}
	admin.policy = CLIENT_POLICY_ADMIN;
	if (client_validate(&admin, out, arena, &again, &problem, &err) != ST_OK)
		abort();
	if (!json_equal(out, again))
		abort();
	json_decref(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client_validate_opts o = {
	        .allowed_grant_types = grants,
	        .allowed_grant_types_count = sizeof grants / sizeof grants[0],
	        .allowed_scopes = scopes,
	        .allowed_scopes_count = sizeof scopes / sizeof scopes[0],
	        .verify_algs = JWS_ALG_ALL,
	        .signing_alg = "RS256",
	        .default_scope = "offline_access offline openid",
	        .fetch = fake_fetch,
	};
	static const enum client_policy policies[] = {CLIENT_POLICY_REGISTRANT,
	                                              CLIENT_POLICY_ADMIN};
	struct client_problem problem;
	struct arena *arena;
	struct err err;
	json_t *in, *out;
	size_t i;
	enum status st;

	in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (in == NULL)
		return 0;
	for (i = 0; i < sizeof policies / sizeof policies[0]; i++) {
		o.policy = policies[i];
		arena = arena_new();
		out = NULL;
		memset(&problem, 0, sizeof problem);
		st = client_validate(&o, in, arena, &out, &problem, &err);
		if (st == ST_OK) {
			check_output(&o, out, arena);
			json_decref(out);
		} else if (st == ST_INVALID) {
			if (out != NULL || problem.description[0] == '\0' ||
			    !is_printable(problem.description) ||
			    (problem.error != OAUTH_INVALID_CLIENT_METADATA &&
			     problem.error != OAUTH_INVALID_REDIRECT_URI))
				abort();
		} else {
			abort();
		}
		arena_free(arena);
	}
	json_decref(in);
	return 0;
}
