/*
 * crypto/digest_test.c — SHA-256 against FIPS 180-2 Appendix B, SHA-512
 * against FIPS 180-2 Appendix C and HMAC-SHA-256 against RFC 4231 §4.2-4.3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "crypto/digest.h"

/* Lowercase hex of a 32-byte digest, for readable assertions. */
static void
to_hex(const unsigned char md[DIGEST_SHA256_BYTES], char out[2 * DIGEST_SHA256_BYTES + 1])
{
	size_t i;

	for (i = 0; i < DIGEST_SHA256_BYTES; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
test_sha256_fips180_2_abc(void **state)
{
	unsigned char md[DIGEST_SHA256_BYTES];
	char hex[2 * DIGEST_SHA256_BYTES + 1];

	(void)state;
	/* FIPS 180-2 Appendix B.1: one-block message "abc". */
	digest_sha256("abc", 3, md);
	to_hex(md, hex);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_sha256_fips180_2_two_blocks(void **state)
{
	static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	unsigned char md[DIGEST_SHA256_BYTES];
	char hex[2 * DIGEST_SHA256_BYTES + 1];

	(void)state;
	/* FIPS 180-2 Appendix B.2: multi-block message. */
	digest_sha256(msg, strlen(msg), md);
	to_hex(md, hex);
	assert_string_equal(hex,
	                    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_sha256_of_empty_input(void **state)
{
	unsigned char md[DIGEST_SHA256_BYTES];
	char hex[2 * DIGEST_SHA256_BYTES + 1];

	(void)state;
	digest_sha256(NULL, 0, md);
	to_hex(md, hex);
	assert_string_equal(hex,
	                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_sha256_hex_is_lowercase_and_terminated(void **state)
{
	char hex[2 * DIGEST_SHA256_BYTES + 1];

	(void)state;
	memset(hex, 'X', sizeof hex);
	digest_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* Lowercase hex of a 64-byte digest. */
static void
to_hex512(const unsigned char md[DIGEST_SHA512_BYTES], char out[2 * DIGEST_SHA512_BYTES + 1])
{
	size_t i;

	for (i = 0; i < DIGEST_SHA512_BYTES; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
test_sha512_fips180_2_abc(void **state)
{
	unsigned char md[DIGEST_SHA512_BYTES];
	char hex[2 * DIGEST_SHA512_BYTES + 1];

	(void)state;
	/* FIPS 180-2 Appendix C.1: one-block message "abc". */
	digest_sha512("abc", 3, md);
	to_hex512(md, hex);
	assert_string_equal(hex,
	                    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	                    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

static void
test_sha512_fips180_2_two_blocks(void **state)
{
	static const char msg[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	                          "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	unsigned char md[DIGEST_SHA512_BYTES];
	char hex[2 * DIGEST_SHA512_BYTES + 1];

	(void)state;
	/* FIPS 180-2 Appendix C.2: multi-block message. */
	digest_sha512(msg, strlen(msg), md);
	to_hex512(md, hex);
	assert_string_equal(hex,
	                    "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
	                    "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

static void
test_sha512_does_not_disturb_sha256(void **state)
{
	unsigned char md512[DIGEST_SHA512_BYTES], md[DIGEST_SHA256_BYTES];
	char hex[2 * DIGEST_SHA256_BYTES + 1];

	(void)state;
	/* Both share the thread's digest context: interleaving must not mix them. */
	digest_sha512("abc", 3, md512);
	digest_sha256("abc", 3, md);
	to_hex(md, hex);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_hmac_sha256_rfc4231_case_1(void **state)
{
	unsigned char key[20];
	unsigned char mac[DIGEST_SHA256_BYTES];
	char hex[2 * DIGEST_SHA256_BYTES + 1];

	(void)state;
	memset(key, 0x0b, sizeof key);
	digest_hmac_sha256(key, sizeof key, "Hi There", 8, mac);
	to_hex(mac, hex);
	assert_string_equal(hex,
	                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void
test_hmac_sha256_rfc4231_case_2(void **state)
{
	static const char data[] = "what do ya want for nothing?";
	unsigned char mac[DIGEST_SHA256_BYTES];
	char hex[2 * DIGEST_SHA256_BYTES + 1];

	(void)state;
	digest_hmac_sha256("Jefe", 4, data, strlen(data), mac);
	to_hex(mac, hex);
	assert_string_equal(hex,
	                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void
test_hmac_sha256_accepts_empty_key_and_data(void **state)
{
	unsigned char mac[DIGEST_SHA256_BYTES];
	char hex[2 * DIGEST_SHA256_BYTES + 1];

	(void)state;
	digest_hmac_sha256(NULL, 0, NULL, 0, mac);
	to_hex(mac, hex);
	assert_string_equal(hex,
	                    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void
test_hmac_sha256_depends_on_key(void **state)
{
	unsigned char a[DIGEST_SHA256_BYTES], b[DIGEST_SHA256_BYTES];

	(void)state;
	digest_hmac_sha256("key-one", 7, "token", 5, a);
	digest_hmac_sha256("key-two", 7, "token", 5, b);
	assert_memory_not_equal(a, b, sizeof a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sha256_fips180_2_abc),
	        cmocka_unit_test(test_sha256_fips180_2_two_blocks),
	        cmocka_unit_test(test_sha256_of_empty_input),
	        cmocka_unit_test(test_sha256_hex_is_lowercase_and_terminated),
	        cmocka_unit_test(test_sha512_fips180_2_abc),
	        cmocka_unit_test(test_sha512_fips180_2_two_blocks),
	        cmocka_unit_test(test_sha512_does_not_disturb_sha256),
	        cmocka_unit_test(test_hmac_sha256_rfc4231_case_1),
	        cmocka_unit_test(test_hmac_sha256_rfc4231_case_2),
	        cmocka_unit_test(test_hmac_sha256_accepts_empty_key_and_data),
	        cmocka_unit_test(test_hmac_sha256_depends_on_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
