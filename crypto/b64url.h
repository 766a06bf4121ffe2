/*
 * crypto/b64url.h — base64url without padding (RFC 4648 §5, RFC 7515 §2),
 * with strict decoding: no padding, no whitespace, no characters outside the
 * URL-safe alphabet, and unused trailing bits must be zero (canonical form).
 */
#ifndef CRYPTO_B64URL_H
#define CRYPTO_B64URL_H

#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"

/* Length of the encoding of n bytes (no NUL). */
#define B64URL_ENCODED_LEN(n) ((((n) / 3) * 4) + (((n) % 3) ? ((n) % 3) + 1 : 0))
/* Upper bound on the decoded length of an n-character input. */
#define B64URL_DECODED_MAX(n) ((((n) + 3) / 4) * 3)

/* Encodes into out (needs B64URL_ENCODED_LEN(n) + 1 bytes); NUL-terminates. Returns length. */
size_t b64url_encode(const void *in, size_t n, char *out);
/* Encodes into a new arena string. */
char *b64url_encode_arena(struct arena *arena, const void *in, size_t n);

/*
 * Decodes in[0..in_len) into out (capacity out_cap; B64URL_DECODED_MAX(in_len)
 * always suffices). ST_INVALID on any non-canonical input or when out is too small.
 */
enum status b64url_decode(const char *in, size_t in_len, unsigned char *out, size_t out_cap,
                          size_t *out_len, struct err *err);

/* Decodes into a new arena buffer (NUL-terminated for convenience, not counted). */
enum status b64url_decode_arena(struct arena *arena, const char *in, size_t in_len,
                                unsigned char **out, size_t *out_len, struct err *err);

#endif
