/*
 * crypto/b64url_test.c — base64url: RFC 4648 §10 vectors (unpadded), the
 * URL-safe alphabet, and every kind of non-canonical input the decoder
 * must reject.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "crypto/b64url.h"

struct vector {
	const char *plain;
	const char *enc;
};

/* RFC 4648 §10, with the '=' padding removed (RFC 7515 §2). */
static const struct vector rfc4648[] = {
        {"",       ""        },
        {"f",      "Zg"      },
        {"fo",     "Zm8"     },
        {"foo",    "Zm9v"    },
        {"foob",   "Zm9vYg"  },
        {"fooba",  "Zm9vYmE" },
        {"foobar", "Zm9vYmFy"},
};

static void
assert_rejected(const char *in, size_t in_len)
{
	unsigned char out[64];
	size_t out_len = 12345;
	struct err err;

	err_clear(&err);
	assert_int_equal(b64url_decode(in, in_len, out, sizeof out, &out_len, &err), ST_INVALID);
	assert_int_equal(err.st, ST_INVALID);
	assert_int_equal(out_len, 12345); /* untouched on failure */
}

static void
test_encode_rfc4648_vectors(void **state)
{
	char out[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
		n = b64url_encode(rfc4648[i].plain, strlen(rfc4648[i].plain), out);
		assert_string_equal(out, rfc4648[i].enc);
		assert_int_equal(n, strlen(rfc4648[i].enc));
		assert_int_equal(B64URL_ENCODED_LEN(strlen(rfc4648[i].plain)), n);
	}
}

static void
test_decode_rfc4648_vectors(void **state)
{
	unsigned char out[16];
	size_t i, n;
	struct err err;

	(void)state;
	for (i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
		assert_int_equal(b64url_decode(rfc4648[i].enc, strlen(rfc4648[i].enc), out,
		                               sizeof out, &n, &err),
		                 ST_OK);
		assert_int_equal(n, strlen(rfc4648[i].plain));
		assert_memory_equal(out, rfc4648[i].plain, n);
	}
}

static void
test_encode_uses_dash_and_underscore(void **state)
{
	/* Standard base64 would give "+/8=" and "++++" / "////". */
	static const unsigned char a[] = {0xfb, 0xff};
	static const unsigned char b[] = {0xfb, 0xef, 0xbe};
	static const unsigned char c[] = {0xff, 0xff, 0xff};
	char out[8];

	(void)state;
	b64url_encode(a, sizeof a, out);
	assert_string_equal(out, "-_8");
	b64url_encode(b, sizeof b, out);
	assert_string_equal(out, "----");
	b64url_encode(c, sizeof c, out);
	assert_string_equal(out, "____");
}

static void
test_decode_accepts_dash_and_underscore(void **state)
{
	static const unsigned char want[] = {0xfb, 0xff};
	unsigned char out[8];
	size_t n;
	struct err err;

	(void)state;
	assert_int_equal(b64url_decode("-_8", 3, out, sizeof out, &n, &err), ST_OK);
	assert_int_equal(n, sizeof want);
	assert_memory_equal(out, want, sizeof want);
}

static void
test_round_trip_every_length_and_byte(void **state)
{
	unsigned char in[300], back[300];
	char enc[B64URL_ENCODED_LEN(sizeof in) + 1];
	size_t len, i, n, m;
	struct err err;

	(void)state;
	for (i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)(i * 7 + 3);
	for (len = 0; len <= sizeof in; len++) {
		n = b64url_encode(in, len, enc);
		assert_int_equal(n, B64URL_ENCODED_LEN(len));
		assert_int_equal(strlen(enc), n);
		assert_true(B64URL_DECODED_MAX(n) >= len);
		assert_int_equal(b64url_decode(enc, n, back, sizeof back, &m, &err), ST_OK);
		assert_int_equal(m, len);
		assert_memory_equal(back, in, len);
	}
}

static void
test_decode_rejects_padding(void **state)
{
	(void)state;
	assert_rejected("Zg==", 4);
	assert_rejected("Zm8=", 4);
	assert_rejected("Zg=", 3);
	assert_rejected("Zm9v====", 8);
}

static void
test_decode_rejects_whitespace(void **state)
{
	(void)state;
	assert_rejected("Zm9v\n", 5);
	assert_rejected(" Zm9v", 5);
	assert_rejected("Zm 9v", 5);
	assert_rejected("Zm9v\r\nYmFy", 10);
	assert_rejected("Zm\t9v", 5);
}

static void
test_decode_rejects_chars_outside_alphabet(void **state)
{
	(void)state;
	assert_rejected("+/8", 3); /* standard alphabet */
	assert_rejected("Zm9.", 4);
	assert_rejected("Zm\xc3\xa9", 4);
	assert_rejected("Zm\0v", 4); /* embedded NUL inside in_len */
}

static void
test_decode_rejects_length_one_mod_four(void **state)
{
	(void)state;
	assert_rejected("Z", 1);
	assert_rejected("Zm9vY", 5);
	assert_rejected("Zm9vYmFyZ", 9);
}

static void
test_decode_rejects_nonzero_trailing_bits(void **state)
{
	(void)state;
	/* "f" is "Zg"; "Zh".."Zv" carry the same byte plus stray low bits. */
	assert_rejected("Zh", 2);
	assert_rejected("Zv", 2);
	/* "fo" is "Zm8"; "Zm9" sets an unused bit. */
	assert_rejected("Zm9", 3);
	assert_rejected("Zm9vYh", 6);
}

static void
test_decode_rejects_too_small_buffer(void **state)
{
	unsigned char out[5];
	size_t n = 99;
	struct err err;

	(void)state;
	assert_int_equal(b64url_decode("Zm9vYmFy", 8, out, sizeof out, &n, &err), ST_INVALID);
	assert_int_equal(n, 99);
	assert_int_equal(b64url_decode("Zm9vYmE", 7, out, sizeof out, &n, &err), ST_OK);
	assert_int_equal(n, 5);
}

static void
test_decode_empty_is_empty(void **state)
{
	unsigned char out[1];
	size_t n = 99;
	struct err err;

	(void)state;
	assert_int_equal(b64url_decode("", 0, out, 0, &n, &err), ST_OK);
	assert_int_equal(n, 0);
}

static void
test_arena_variants_round_trip_and_nul_terminate(void **state)
{
	struct arena *a = arena_new();
	unsigned char *dec = NULL;
	size_t n = 0;
	char *enc;
	struct err err;

	(void)state;
	enc = b64url_encode_arena(a, "foobar", 6);
	assert_string_equal(enc, "Zm9vYmFy");
	assert_int_equal(b64url_decode_arena(a, "Zm9vYmE", 7, &dec, &n, &err), ST_OK);
	assert_int_equal(n, 5);
	assert_string_equal((const char *)dec, "fooba");
	assert_int_equal(b64url_decode_arena(a, "Zm9vYmE=", 8, &dec, &n, &err), ST_INVALID);
	assert_int_equal(n, 5);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_encode_rfc4648_vectors),
	        cmocka_unit_test(test_decode_rfc4648_vectors),
	        cmocka_unit_test(test_encode_uses_dash_and_underscore),
	        cmocka_unit_test(test_decode_accepts_dash_and_underscore),
	        cmocka_unit_test(test_round_trip_every_length_and_byte),
	        cmocka_unit_test(test_decode_rejects_padding),
	        cmocka_unit_test(test_decode_rejects_whitespace),
	        cmocka_unit_test(test_decode_rejects_chars_outside_alphabet),
	        cmocka_unit_test(test_decode_rejects_length_one_mod_four),
	        cmocka_unit_test(test_decode_rejects_nonzero_trailing_bits),
	        cmocka_unit_test(test_decode_rejects_too_small_buffer),
	        cmocka_unit_test(test_decode_empty_is_empty),
	        cmocka_unit_test(test_arena_variants_round_trip_and_nul_terminate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
