/*
 * tests/fuzz/fuzz_b64url.c — libFuzzer target for crypto/b64url.c.
 *
 * Invariants checked (abort() on violation):
 *   1. Canonical decoding: whatever b64url_decode accepts re-encodes to
 *      exactly the input, so no value has two accepted spellings.
 *   2. Capacity: accepted input fits B64URL_DECODED_MAX, and one byte less
 *      than the decoded length is refused.
 *   3. The arena decoder agrees with the buffer decoder.
 *   4. Round trip: any bytes encode to B64URL_ENCODED_LEN characters that
 *      decode back to the same bytes.
 * Seeds: tests/fuzz/corpus/b64url/; dictionary: tests/fuzz/dict/b64url.dict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/xalloc.h"
#include "crypto/b64url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Invariants 1-3 for data taken as base64url text. */
static void
check_decode(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct arena *arena = arena_new();
	unsigned char *dec = xmalloc(B64URL_DECODED_MAX(size) + 1);
	unsigned char *adec = NULL;
	char *enc = NULL;
	size_t n = 0, an = 0;
	struct err err;

	if (b64url_decode(in, size, dec, B64URL_DECODED_MAX(size), &n, &err) != ST_OK) {
		if (b64url_decode_arena(arena, in, size, &adec, &an, &err) == ST_OK)
			abort();
		goto out;
	}
	if (n > B64URL_DECODED_MAX(size))
		abort();
	enc = xmalloc(B64URL_ENCODED_LEN(n) + 1);
	if (b64url_encode(dec, n, enc) != size || memcmp(enc, in, size) != 0)
		abort();
	if (n > 0 && b64url_decode(in, size, dec, n - 1, &an, &err) == ST_OK)
		abort();
	if (b64url_decode_arena(arena, in, size, &adec, &an, &err) != ST_OK || an != n ||
	    memcmp(adec, dec, n) != 0 || adec[n] != '\0')
		abort();
out:
	free(enc);
	free(dec);
	arena_free(arena);
}

/* Invariant 4 for data taken as raw bytes. */
static void
check_encode(const uint8_t *data, size_t size)
{
	char *enc = xmalloc(B64URL_ENCODED_LEN(size) + 1);
	unsigned char *dec = xmalloc(size + 1);
	size_t len, n = 0;
	struct err err;

	len = b64url_encode(data, size, enc);
	if (len != B64URL_ENCODED_LEN(size) || strlen(enc) != len)
		abort();
	if (b64url_decode(enc, len, dec, size, &n, &err) != ST_OK || n != size ||
	    (size > 0 && memcmp(dec, data, size) != 0))
		abort();
	free(dec);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_decode(data, size);
	check_encode(data, size);
	return 0;
}
