/*
 * crypto/secret_test.c — constant-time equality, wiping, and the scrypt
 * hash format: round trip, wrong password, salting, and strict parsing of
 * stored strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "crypto/secret.h"

/*
 * scrypt("password", salt "NaClNaClNaClNaCl", N=2^10, r=8, p=1, 32 bytes),
 * computed with Python's hashlib.scrypt: proves that ln is read as log2 N
 * and that salt and hash are base64url.
 */
#define KNOWN_HASH                                                                                 \
	"$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU"

static void
test_equal_compares_bytes(void **state)
{
	(void)state;
	assert_true(secret_equal("abcdef", "abcdef", 6));
	assert_false(secret_equal("abcdef", "abcdeg", 6));
	assert_false(secret_equal("xbcdef", "abcdef", 6));
	assert_true(secret_equal("", "", 0));
}

static void
test_wipe_zeroes_buffer(void **state)
{
	unsigned char buf[16];
	unsigned char zero[16];

	(void)state;
	memset(buf, 0x5a, sizeof buf);
	memset(zero, 0, sizeof zero);
	secret_wipe(buf, sizeof buf);
	assert_memory_equal(buf, zero, sizeof buf);
	secret_wipe(NULL, 0);
}

static void
test_hash_then_verify_accepts_password(void **state)
{
	char *stored = NULL;
	bool ok = false;
	struct err err;

	(void)state;
	assert_int_equal(
	        secret_scrypt_hash("correct horse", 13, SECRET_SCRYPT_LOG_N, &stored, &err), ST_OK);
	assert_int_equal(secret_scrypt_verify("correct horse", 13, stored, &ok, &err), ST_OK);
	assert_true(ok);
	free(stored);
}

static void
test_verify_rejects_wrong_password(void **state)
{
	char *stored = NULL;
	bool ok = true;
	struct err err;

	(void)state;
	assert_int_equal(
	        secret_scrypt_hash("correct horse", 13, SECRET_SCRYPT_LOG_N, &stored, &err), ST_OK);
	assert_int_equal(secret_scrypt_verify("correct horsf", 13, stored, &ok, &err), ST_OK);
	assert_false(ok);
	ok = true;
	/* A prefix of the password is a different password. */
	assert_int_equal(secret_scrypt_verify("correct horse", 12, stored, &ok, &err), ST_OK);
	assert_false(ok);
	free(stored);
}

static void
test_hash_has_documented_format(void **state)
{
	static const char prefix[] = "$scrypt$ln=15,r=8,p=1$";
	char *stored = NULL;
	size_t plen = strlen(prefix);
	struct err err;

	(void)state;
	assert_int_equal(secret_scrypt_hash("pw", 2, SECRET_SCRYPT_LOG_N, &stored, &err), ST_OK);
	assert_int_equal(strncmp(stored, prefix, plen), 0);
	/* 16-byte salt = 22 characters, 32-byte hash = 43 characters. */
	assert_int_equal(strlen(stored), plen + 22 + 1 + 43);
	assert_int_equal(stored[plen + 22], '$');
	assert_null(strchr(stored + plen, '=')); /* unpadded */
	free(stored);
}

/* hashers.scrypt_log_n: cheaper hashes say so, verify as any other; nothing dearer than 2^15. */
static void
test_hash_n_writes_its_cost_and_stays_in_bounds(void **state)
{
	char *stored = NULL;
	bool ok = false;
	struct err err;

	(void)state;
	assert_int_equal(secret_scrypt_hash("pw", 2, 10, &stored, &err), ST_OK);
	assert_int_equal(strncmp(stored, "$scrypt$ln=10,r=8,p=1$", 22), 0);
	assert_int_equal(secret_scrypt_verify("pw", 2, stored, &ok, &err), ST_OK);
	assert_true(ok);
	assert_int_equal(secret_scrypt_verify("px", 2, stored, &ok, &err), ST_OK);
	assert_false(ok);
	free(stored);
	stored = NULL;
	assert_int_equal(secret_scrypt_hash("pw", 2, 9, &stored, &err), ST_INVALID);
	assert_null(stored);
	assert_int_equal(secret_scrypt_hash("pw", 2, 16, &stored, &err), ST_INVALID);
	assert_null(stored);
}

static void
test_two_hashes_of_same_password_differ(void **state)
{
	char *a = NULL, *b = NULL;
	bool ok = false;
	struct err err;

	(void)state;
	assert_int_equal(secret_scrypt_hash("same", 4, SECRET_SCRYPT_LOG_N, &a, &err), ST_OK);
	assert_int_equal(secret_scrypt_hash("same", 4, SECRET_SCRYPT_LOG_N, &b, &err), ST_OK);
	assert_string_not_equal(a, b);
	assert_int_equal(secret_scrypt_verify("same", 4, b, &ok, &err), ST_OK);
	assert_true(ok);
	free(a);
	free(b);
}

static void
test_verify_known_answer(void **state)
{
	bool ok = false;
	struct err err;

	(void)state;
	assert_int_equal(secret_scrypt_verify("password", 8, KNOWN_HASH, &ok, &err), ST_OK);
	assert_true(ok);
	assert_int_equal(secret_scrypt_verify("Password", 8, KNOWN_HASH, &ok, &err), ST_OK);
	assert_false(ok);
}

static void
test_empty_password_hashes_and_verifies(void **state)
{
	char *stored = NULL;
	bool ok = false;
	struct err err;

	(void)state;
	assert_int_equal(secret_scrypt_hash("", 0, SECRET_SCRYPT_LOG_N, &stored, &err), ST_OK);
	assert_int_equal(secret_scrypt_verify("", 0, stored, &ok, &err), ST_OK);
	assert_true(ok);
	assert_int_equal(secret_scrypt_verify("x", 1, stored, &ok, &err), ST_OK);
	assert_false(ok);
	free(stored);
}

static void
test_verify_malformed_stored_is_invalid(void **state)
{
	static const char *const bad[] = {
	        "",
	        "$scrypt$",
	        "scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$argon2$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        /* parameters out of range, or spelled twice */
	        "$scrypt$ln=9,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=21,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=10,r=0,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=10,r=33,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=10,r=8,p=0$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=10,r=8,p=17$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=010,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=+10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=10,r=8$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$r=8,ln=10,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        /* in range, but beyond the memory ceiling (2^20 * 128 * 8 bytes) */
	        "$scrypt$ln=20,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        /* salt: missing, short, padded, wrong alphabet */
	        "$scrypt$ln=10,r=8,p=1$AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=10,r=8,p=1$$AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFD$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA==$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        "$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFD+A$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU",
	        /* hash: short, long, padded, trailing data, non-canonical last char */
	        "$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvd",
	        "$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdUAA",
	        "$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU=",
	        "$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU$",
	        "$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdV",
	        "$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$"
	        "AughW9OQdIjb8Y7W3yGZXE5EX58i0ciSXZxtEpWJvdU ",
	};
	size_t i;
	bool ok;
	struct err err;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ok = true;
		err_clear(&err);
		if (secret_scrypt_verify("password", 8, bad[i], &ok, &err) != ST_INVALID)
			fail_msg("accepted malformed #%zu: %s", i, bad[i]);
		assert_int_equal(err.st, ST_INVALID);
		assert_true(ok); /* untouched on failure */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_equal_compares_bytes),
	        cmocka_unit_test(test_wipe_zeroes_buffer),
	        cmocka_unit_test(test_hash_then_verify_accepts_password),
	        cmocka_unit_test(test_verify_rejects_wrong_password),
	        cmocka_unit_test(test_hash_has_documented_format),
	        cmocka_unit_test(test_hash_n_writes_its_cost_and_stays_in_bounds),
	        cmocka_unit_test(test_two_hashes_of_same_password_differ),
	        cmocka_unit_test(test_verify_known_answer),
	        cmocka_unit_test(test_empty_password_hashes_and_verifies),
	        cmocka_unit_test(test_verify_malformed_stored_is_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
