/*
 * tests/fuzz/fuzz_flow_body.c — headless mode's admin request bodies
 * (server/flows.c flows_parse_body): the input as a login accept, a consent
 * accept and a reject.
 *
 * Invariants checked on every input: an accepted body normalises to a JSON
 * object that is accepted again unchanged (idempotent); a login accept has
 * a 1..255 character subject, the skip subject when one is imposed, and
 * extend_session_lifespan true only when the login was skipped; a consent accept grants only
 * requested scopes; a reject's error is a lower-case token; a refusal always says why.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/flows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const char *kind, const char *body, size_t len, const json_t *requested, const char *skip)
{
	char why[160] = "", *out = NULL, *again = NULL;
	json_t *doc;

	if (flows_parse_body(kind, body, len, requested, skip, &out, why) != ST_OK) {
		if (out != NULL || why[0] == '\0')
			abort();
		return;
	}
	doc = json_loads(out, 0, NULL);
	if (!json_is_object(doc))
		abort();
	if (strcmp(kind, "login-accept") == 0) {
		const char *sub = json_string_value(json_object_get(doc, "subject"));

		if (sub == NULL || sub[0] == '\0' || strlen(sub) > 255 ||
		    (skip != NULL && strcmp(sub, skip) != 0))
			abort();
		/* Hydra: a session is extended only when the login was skipped. */
		if (skip == NULL && json_is_true(json_object_get(doc, "extend_session_lifespan")))
			abort();
	} else if (strcmp(kind, "consent-accept") == 0) {
		const json_t *x;
		size_t i;

		json_array_foreach(json_object_get(doc, "grant_scope"), i, x)
		{
			size_t j;
			const json_t *y;
			int found = 0;

			json_array_foreach(requested, j, y)
			{
				if (json_equal(x, y))
					found = 1;
			}
			if (!found)
				abort();
		}
	} else {
		const char *e = json_string_value(json_object_get(doc, "error"));

		if (e == NULL || strspn(e, "abcdefghijklmnopqrstuvwxyz_") != strlen(e))
			abort();
	}
	if (flows_parse_body(kind, out, strlen(out), requested, skip, &again, why) != ST_OK ||
	    strcmp(out, again) != 0)
		abort();
	json_decref(doc);
	free(out);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *requested = json_pack("[sss]", "openid", "email", "offline_access");

	check("login-accept", (const char *)data, size, requested, NULL);
	check("login-accept", (const char *)data, size, requested, "user-1");
	check("consent-accept", (const char *)data, size, requested, NULL);
	check("reject", (const char *)data, size, requested, NULL);
	json_decref(requested);
	return 0;
}
