/*
 * tests/fuzz/fuzz_json_patch.c — JSON Patch (server/json_patch.c).
 *
 * Input: a JSON document, a '\n', then a JSON Patch (both parsed with
 * json_loadb; the document may be any JSON value). Invariants checked:
 * applying never modifies the document; a failure leaves *out alone and gives
 * a one-line message naming the operation; on success a "test" of the whole
 * result at "" against the result itself passes (RFC 6902 §4.6 equality is
 * reflexive) and gives back an equal copy. The inputs are released before
 * that self-test, so nothing in it can lean on them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/json_patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_self_test(json_t *result)
{
	json_t *self = json_pack("[{s:s, s:s, s:O}]", "op", "test", "path", "", "value", result);
	json_t *again = NULL;
	struct err err;

	if (self == NULL)
		abort();
	if (json_patch_apply(result, self, &again, &err) != ST_OK)
		abort();
	if (!json_equal(again, result))
		abort();
	json_decref(again);
	json_decref(self);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	json_t *doc = NULL, *patch = NULL, *before = NULL, *out = NULL;
	struct err err;
	size_t doc_len;

	if (nl == NULL)
		return 0;
	doc_len = (size_t)(nl - text);
	doc = json_loadb(text, doc_len, JSON_DECODE_ANY, NULL);
	patch = json_loadb(nl + 1, size - doc_len - 1, JSON_DECODE_ANY, NULL);
	if (doc == NULL || patch == NULL)
		goto out;
	before = json_deep_copy(doc);

	err_clear(&err);
	if (json_patch_apply(doc, patch, &out, &err) == ST_OK) {
		/* Only true, false and null are shared singletons in jansson. */
		if (out == NULL || (out == doc && (json_is_object(doc) || json_is_array(doc))))
			abort();
		json_decref(doc);
		json_decref(patch);
		doc = patch = NULL;
		check_self_test(out);
	} else {
		if (out != NULL || err.st != ST_INVALID || strchr(err.msg, '\n') != NULL)
			abort();
		if (json_is_array(patch) && json_array_size(patch) <= JSON_PATCH_MAX_OPS &&
		    strncmp(err.msg, "patch[", 6) != 0)
			abort();
		if (!json_equal(doc, before))
			abort();
	}
out:
	json_decref(out);
	json_decref(before);
	json_decref(patch);
	json_decref(doc);
	return 0;
}
