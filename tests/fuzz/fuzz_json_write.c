/*
 * tests/fuzz/fuzz_json_write.c — server/json_write.c against jansson's own
 * json_dumps(JSON_COMPACT), which it must equal byte for byte.
 *
 * Input: the first byte picks how the document is made.
 * - Even: the rest is JSON text for json_loadb (JSON_DECODE_ANY, so scalars
 *   at the top come too): what requests and stored rows hold.
 * - Odd: the rest drives a builder that makes what the loader never does:
 *   strings and keys that are not UTF-8 or hold NUL bytes
 *   (json_stringn_nocheck, json_object_setn_nocheck), reals, any integer,
 *   nesting past JSON_WRITE_MAX_DEPTH.
 * Invariant, else abort(): json_write_compact answers NULL exactly when
 * json_dumps does, and otherwise the same text and length.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "server/json_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BUILD_MAX_DEPTH (JSON_WRITE_MAX_DEPTH + 8)

struct input {
	const uint8_t *p;
	const uint8_t *end;
};

static uint8_t
byte(struct input *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

/* Up to max bytes of input as a string of that length (any bytes). */
static size_t
bytes(struct input *in, size_t max, const char **out)
{
	size_t n = byte(in) % (max + 1);

	if (n > (size_t)(in->end - in->p))
		n = (size_t)(in->end - in->p);
	*out = (const char *)in->p;
	in->p += n;
	return n;
}

static json_t *
build(struct input *in, int depth)
{
	uint8_t op = byte(in);
	const char *s;
	size_t n, i;
	json_t *v;

	if (depth > BUILD_MAX_DEPTH)
		return json_null();
	switch (op % 8) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(op & 8);
	case 2: {
		uint64_t u = 0;

		for (i = 0; i < 8; i++)
			u = (u << 8) | byte(in);
		return json_integer((json_int_t)u);
	}
	case 3: {
		double d = (double)(int8_t)byte(in) / 7.0;

		return json_real(d);
	}
	case 4:
		n = bytes(in, 24, &s);
		return json_stringn_nocheck(s, n);
	case 5:
		v = json_array();
		n = byte(in) % 6;
		for (i = 0; i < n; i++)
			json_array_append_new(v, build(in, depth + 1));
		return v;
	default: /* objects twice as often: what we write most */
		v = json_object();
		n = byte(in) % 6;
		for (i = 0; i < n; i++) {
			size_t klen = bytes(in, 12, &s);

			json_object_setn_new_nocheck(v, s, klen, build(in, depth + 1));
		}
		return v;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data + (size > 0), data + size};
	struct arena *arena;
	json_t *doc;
	char *want, *got;
	size_t len = 0;

	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		doc = json_loadb((const char *)in.p, (size_t)(in.end - in.p), JSON_DECODE_ANY,
		                 NULL);
	else
		doc = build(&in, 0);
	if (doc == NULL)
		return 0;
	arena = arena_new();
	want = json_dumps(doc, JSON_COMPACT);
	got = json_write_compact(doc, arena, &len);
	if ((want == NULL) != (got == NULL)) {
		fprintf(stderr, "json_dumps %s, json_write_compact %s\n", want ? want : "NULL",
		        got ? got : "NULL");
		abort();
	}
	if (want != NULL && (strlen(want) != len || memcmp(want, got, len + 1) != 0)) {
		fprintf(stderr, "json_dumps: %s\njson_write_compact (%zu): %s\n", want, len, got);
		abort();
	}
	free(want);
	arena_free(arena);
	json_decref(doc);
	return 0;
}
