/*
 * crypto/seal_test.c — sealed blobs: round trip, secret rotation, and
 * every way a blob must fail to open (wrong secret, wrong aad, any flipped
 * byte, truncation, unknown version).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "crypto/seal.h"

#define SEAL_OVERHEAD (1 + 16 + 12 + 16)

static const unsigned char plain[] = "-----BEGIN PRIVATE KEY-----\nnot really\n";

/* Seals plain under secret and aad; fails the test on error. */
static unsigned char *
seal_ok(const char *secret, const char *aad, size_t *len)
{
	unsigned char *blob = NULL;
	struct err err;

	if (seal_encrypt(secret, aad, plain, sizeof plain, &blob, len, &err) != ST_OK)
		fail_msg("seal_encrypt: %s", err.msg);
	return blob;
}

static enum status
open_blob(const char *const *secrets, size_t n, const char *aad, const unsigned char *blob,
          size_t len)
{
	unsigned char *out = (unsigned char *)0x1;
	size_t out_len = 777;
	struct err err;
	enum status st;

	err_clear(&err);
	st = seal_decrypt(secrets, n, aad, blob, len, &out, &out_len, &err);
	if (st == ST_OK) {
		seal_free_plain(out, out_len);
	} else {
		assert_int_equal(err.st, st);
		assert_ptr_equal(out, (unsigned char *)0x1); /* untouched on failure */
		assert_int_equal(out_len, 777);
	}
	return st;
}

static void
test_round_trip_returns_plaintext(void **state)
{
	static const char *const secrets[] = {"system secret one"};
	unsigned char *blob, *out = NULL;
	size_t len, out_len = 0;
	struct err err;

	(void)state;
	blob = seal_ok(secrets[0], "kid-1", &len);
	assert_int_equal(len, SEAL_OVERHEAD + sizeof plain);
	assert_int_equal(blob[0], 0x01);
	assert_int_equal(seal_decrypt(secrets, 1, "kid-1", blob, len, &out, &out_len, &err), ST_OK);
	assert_int_equal(out_len, sizeof plain);
	assert_memory_equal(out, plain, sizeof plain);
	seal_free_plain(out, out_len);
	free(blob);
}

static void
test_round_trip_of_empty_plaintext(void **state)
{
	static const char *const secrets[] = {"s"};
	unsigned char *blob = NULL, *out = NULL;
	size_t len = 0, out_len = 99;
	struct err err;

	(void)state;
	assert_int_equal(seal_encrypt("s", "", NULL, 0, &blob, &len, &err), ST_OK);
	assert_int_equal(len, SEAL_OVERHEAD);
	assert_int_equal(seal_decrypt(secrets, 1, "", blob, len, &out, &out_len, &err), ST_OK);
	assert_non_null(out);
	assert_int_equal(out_len, 0);
	seal_free_plain(out, out_len);
	free(blob);
}

static void
test_ciphertext_does_not_contain_plaintext_and_differs_each_time(void **state)
{
	unsigned char *a, *b;
	size_t alen, blen;

	(void)state;
	a = seal_ok("k", "kid", &alen);
	b = seal_ok("k", "kid", &blen);
	assert_int_equal(alen, blen);
	assert_memory_not_equal(a, b, alen);
	assert_memory_not_equal(a + SEAL_OVERHEAD - 16, plain, sizeof plain);
	free(a);
	free(b);
}

static void
test_second_secret_in_list_decrypts(void **state)
{
	static const char *const secrets[] = {"new secret", "old secret"};
	unsigned char *blob;
	size_t len;

	(void)state;
	blob = seal_ok("old secret", "kid-1", &len);
	assert_int_equal(open_blob(secrets, 2, "kid-1", blob, len), ST_OK);
	free(blob);
}

static void
test_wrong_secret_is_crypto_error(void **state)
{
	static const char *const wrong[] = {"other", "", "also other"};
	unsigned char *blob;
	size_t len;

	(void)state;
	blob = seal_ok("right", "kid-1", &len);
	assert_int_equal(open_blob(wrong, 3, "kid-1", blob, len), ST_CRYPTO);
	assert_int_equal(open_blob(wrong, 0, "kid-1", blob, len), ST_CRYPTO);
	free(blob);
}

static void
test_wrong_aad_fails(void **state)
{
	static const char *const secrets[] = {"right"};
	unsigned char *blob;
	size_t len;

	(void)state;
	blob = seal_ok("right", "kid-1", &len);
	assert_int_equal(open_blob(secrets, 1, "kid-2", blob, len), ST_CRYPTO);
	assert_int_equal(open_blob(secrets, 1, "", blob, len), ST_CRYPTO);
	assert_int_equal(open_blob(secrets, 1, "kid-1", blob, len), ST_OK);
	free(blob);
}

static void
test_any_flipped_byte_fails(void **state)
{
	static const char *const secrets[] = {"right"};
	unsigned char *blob;
	size_t len, i;

	(void)state;
	blob = seal_ok("right", "kid-1", &len);
	for (i = 0; i < len; i++) {
		blob[i] ^= 0x01;
		/* The version byte is checked first; every other byte is authenticated. */
		assert_int_equal(open_blob(secrets, 1, "kid-1", blob, len),
		                 i == 0 ? ST_INVALID : ST_CRYPTO);
		blob[i] ^= 0x01;
	}
	assert_int_equal(open_blob(secrets, 1, "kid-1", blob, len), ST_OK);
	free(blob);
}

static void
test_truncated_blob_is_invalid(void **state)
{
	static const char *const secrets[] = {"right"};
	unsigned char *blob = NULL;
	size_t len = 0, i;
	struct err err;

	(void)state;
	assert_int_equal(seal_encrypt("right", "kid-1", NULL, 0, &blob, &len, &err), ST_OK);
	for (i = 0; i < len; i++)
		assert_int_equal(open_blob(secrets, 1, "kid-1", blob, i), ST_INVALID);
	assert_int_equal(open_blob(secrets, 1, "kid-1", blob, len), ST_OK);
	free(blob);

	/* A truncated blob with content is long enough to parse but fails the tag. */
	blob = seal_ok("right", "kid-1", &len);
	assert_int_equal(open_blob(secrets, 1, "kid-1", blob, len - 1), ST_CRYPTO);
	free(blob);
}

static void
test_empty_secret_is_refused(void **state)
{
	unsigned char *blob = (unsigned char *)0x1;
	size_t len = 5;
	struct err err;

	(void)state;
	assert_int_equal(seal_encrypt("", "kid", plain, sizeof plain, &blob, &len, &err),
	                 ST_INVALID);
	assert_ptr_equal(blob, (unsigned char *)0x1);
	assert_int_equal(len, 5);
}

static void
test_free_plain_accepts_null(void **state)
{
	(void)state;
	seal_free_plain(NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip_returns_plaintext),
	        cmocka_unit_test(test_round_trip_of_empty_plaintext),
	        cmocka_unit_test(test_ciphertext_does_not_contain_plaintext_and_differs_each_time),
	        cmocka_unit_test(test_second_secret_in_list_decrypts),
	        cmocka_unit_test(test_wrong_secret_is_crypto_error),
	        cmocka_unit_test(test_wrong_aad_fails),
	        cmocka_unit_test(test_any_flipped_byte_fails),
	        cmocka_unit_test(test_truncated_blob_is_invalid),
	        cmocka_unit_test(test_empty_secret_is_refused),
	        cmocka_unit_test(test_free_plain_accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
