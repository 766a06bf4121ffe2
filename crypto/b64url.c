/*
 * crypto/b64url.c — base64url without padding (RFC 4648 §5), as JOSE uses it
 * (RFC 7515 §2), with strict decoding.
 *
 * API: b64url_encode / b64url_encode_arena, b64url_decode / b64url_decode_arena.
 *
 * Invariant: every input the decoder accepts is canonical, i.e. it is exactly
 * what b64url_encode produces for the decoded bytes. So the decoder rejects
 * padding ('='), whitespace, characters outside [A-Za-z0-9_-], a length of
 * 1 mod 4 (no byte can be encoded in one character) and non-zero unused bits
 * in the last character (RFC 4648 §3.5 allows decoders to reject them). This
 * keeps a token or signature from having several spellings.
 */
#include "crypto/b64url.h"

#include <stdbool.h>
#include <stdint.h>

static const char alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of c, or -1 when c is not in the URL-safe alphabet. */
static int
sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

size_t
b64url_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

char *
b64url_encode_arena(struct arena *arena, const void *in, size_t n)
{
	char *out = arena_alloc(arena, B64URL_ENCODED_LEN(n) + 1);

	b64url_encode(in, n, out);
	return out;
}

/*
 * Checks that in[0..in_len) is canonical unpadded base64url and gives the
 * number of bytes it decodes to. Written without B64URL_DECODED_MAX so that
 * no length can overflow.
 */
static bool
is_canonical(const char *in, size_t in_len, size_t *decoded_len)
{
	size_t i, rem = in_len % 4;
	int last;

	if (rem == 1)
		return false;
	for (i = 0; i < in_len; i++)
		if (sextet((unsigned char)in[i]) < 0)
			return false;
	if (rem != 0) {
		/*
		 * Two characters carry 12 bits for one byte, three carry 18 bits for
		 * two bytes: the 4 or 2 bits left over must be zero.
		 */
		last = sextet((unsigned char)in[in_len - 1]);
		if ((rem == 2 && (last & 0x0f) != 0) || (rem == 3 && (last & 0x03) != 0))
			return false;
	}
	*decoded_len = in_len / 4 * 3 + (rem == 0 ? 0 : rem - 1);
	return true;
}

/* Decodes canonical input (checked by is_canonical) into out. */
static void
decode(const char *in, size_t in_len, unsigned char *out)
{
	size_t i, o = 0, rem = in_len % 4;
	uint32_t v;

	for (i = 0; i + 4 <= in_len; i += 4) {
		v = (uint32_t)sextet((unsigned char)in[i]) << 18 |
		    (uint32_t)sextet((unsigned char)in[i + 1]) << 12 |
		    (uint32_t)sextet((unsigned char)in[i + 2]) << 6 |
		    (uint32_t)sextet((unsigned char)in[i + 3]);
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
	}
	if (rem >= 2) {
		v = (uint32_t)sextet((unsigned char)in[i]) << 18 |
		    (uint32_t)sextet((unsigned char)in[i + 1]) << 12;
		if (rem == 3)
			v |= (uint32_t)sextet((unsigned char)in[i + 2]) << 6;
		out[o++] = (unsigned char)(v >> 16);
		if (rem == 3)
			out[o++] = (unsigned char)(v >> 8);
	}
}

enum status
b64url_decode(const char *in, size_t in_len, unsigned char *out, size_t out_cap, size_t *out_len,
              struct err *err)
{
	size_t len;

	if (!is_canonical(in, in_len, &len))
		return ERR_SET(err, ST_INVALID, "not canonical unpadded base64url");
	if (len > out_cap)
		return ERR_SET(err, ST_INVALID, "decodes to %zu bytes, room for %zu", len, out_cap);
	decode(in, in_len, out);
	*out_len = len;
	return ST_OK;
}

enum status
b64url_decode_arena(struct arena *arena, const char *in, size_t in_len, unsigned char **out,
                    size_t *out_len, struct err *err)
{
	unsigned char *buf;
	size_t len;

	if (!is_canonical(in, in_len, &len))
		return ERR_SET(err, ST_INVALID, "not canonical unpadded base64url");
	buf = arena_alloc(arena, len + 1); /* zeroed, so the NUL is already there */
	decode(in, in_len, buf);
	*out = buf;
	*out_len = len;
	return ST_OK;
}
