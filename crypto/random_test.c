/*
 * crypto/random_test.c — shapes of random bytes, tokens and hex strings.
 * Randomness itself is OpenSSL's; these tests check lengths, alphabets and
 * that two draws differ (a collision of 256 random bits does not happen).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "crypto/b64url.h"
#include "crypto/random.h"

static void
test_bytes_differ_between_draws(void **state)
{
	unsigned char a[32], b[32], zero[32];
	struct err err;

	(void)state;
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	memset(zero, 0, sizeof zero);
	assert_int_equal(random_bytes(a, sizeof a, &err), ST_OK);
	assert_int_equal(random_bytes(b, sizeof b, &err), ST_OK);
	assert_memory_not_equal(a, zero, sizeof a);
	assert_memory_not_equal(a, b, sizeof a);
}

/*
 * Small draws come from a per-thread pool of 4096 bytes: 600 draws of 16
 * bytes cross two refills, and no draw repeats another (each byte is
 * handed out once).
 */
static void
test_small_draws_across_pool_refills_never_repeat(void **state)
{
	enum {
		DRAWS = 600,
		LEN = 16
	};
	unsigned char(*d)[LEN] = calloc(DRAWS, LEN);
	struct err err;
	size_t i, j;

	(void)state;
	assert_non_null(d);
	for (i = 0; i < DRAWS; i++)
		assert_int_equal(random_bytes(d[i], LEN, &err), ST_OK);
	for (i = 0; i < DRAWS; i++)
		for (j = i + 1; j < DRAWS; j++)
			assert_memory_not_equal(d[i], d[j], LEN);
	free(d);
}

/* Draws above the pool's per-request cap go to RAND_bytes directly. */
static void
test_large_draw_is_filled(void **state)
{
	unsigned char a[1000], b[1000];
	struct err err;

	(void)state;
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	assert_int_equal(random_bytes(a, sizeof a, &err), ST_OK);
	assert_int_equal(random_bytes(b, sizeof b, &err), ST_OK);
	assert_memory_not_equal(a, b, sizeof a);
	assert_memory_not_equal(a + 900, b + 900, 100);
}

/*
 * After fork, parent and child must not hand out the same bytes: both hold
 * a copy of the pool, and without the fork guard the child's next draw would
 * be the parent's next draw.
 */
static void
test_fork_child_does_not_reuse_the_parents_pool(void **state)
{
	unsigned char first[16], parent[16], child[16];
	struct err err;
	int fds[2], status = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(random_bytes(first, sizeof first, &err), ST_OK); /* pool filled */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned char mine[16];
		struct err cerr;

		close(fds[0]);
		if (random_bytes(mine, sizeof mine, &cerr) != ST_OK ||
		    write(fds[1], mine, sizeof mine) != (ssize_t)sizeof mine)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], child, sizeof child), (ssize_t)sizeof child);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(random_bytes(parent, sizeof parent, &err), ST_OK);
	assert_memory_not_equal(parent, child, sizeof parent);
}

static void
test_bytes_of_zero_length_is_ok(void **state)
{
	unsigned char guard = 0xaa;
	struct err err;

	(void)state;
	assert_int_equal(random_bytes(&guard, 0, &err), ST_OK);
	assert_int_equal(guard, 0xaa);
}

static void
test_token_is_prefix_then_32_bytes_of_b64url(void **state)
{
	struct arena *a = arena_new();
	unsigned char raw[64];
	char *tok = NULL;
	size_t n;
	struct err err;

	(void)state;
	assert_int_equal(random_token("oidcd_at_", a, &tok, &err), ST_OK);
	assert_non_null(tok);
	assert_int_equal(strncmp(tok, "oidcd_at_", 9), 0);
	assert_int_equal(strlen(tok), 9 + B64URL_ENCODED_LEN(32));
	assert_int_equal(b64url_decode(tok + 9, strlen(tok + 9), raw, sizeof raw, &n, &err), ST_OK);
	assert_int_equal(n, 32);
	arena_free(a);
}

static void
test_token_with_empty_prefix_is_bare_b64url(void **state)
{
	struct arena *a = arena_new();
	unsigned char raw[64];
	char *tok = NULL;
	size_t n;
	struct err err;

	(void)state;
	assert_int_equal(random_token("", a, &tok, &err), ST_OK);
	assert_int_equal(strlen(tok), 43);
	assert_int_equal(b64url_decode(tok, strlen(tok), raw, sizeof raw, &n, &err), ST_OK);
	assert_int_equal(n, 32);
	arena_free(a);
}

static void
test_tokens_differ(void **state)
{
	struct arena *a = arena_new();
	char *t1 = NULL, *t2 = NULL;
	struct err err;

	(void)state;
	assert_int_equal(random_token("x_", a, &t1, &err), ST_OK);
	assert_int_equal(random_token("x_", a, &t2, &err), ST_OK);
	assert_string_not_equal(t1, t2);
	arena_free(a);
}

static void
assert_lower_hex(const char *s, size_t want_len)
{
	size_t i;

	assert_int_equal(strlen(s), want_len);
	for (i = 0; i < want_len; i++)
		assert_true((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'));
}

static void
test_hex_is_2n_lowercase_digits(void **state)
{
	char out[2 * 16 + 1], other[2 * 16 + 1];
	struct err err;

	(void)state;
	memset(out, 'X', sizeof out);
	assert_int_equal(random_hex(16, out, &err), ST_OK);
	assert_lower_hex(out, 32);
	assert_int_equal(random_hex(16, other, &err), ST_OK);
	assert_string_not_equal(out, other);
}

static void
test_hex_longer_than_one_chunk(void **state)
{
	char out[2 * 150 + 2];
	struct err err;

	(void)state;
	memset(out, 'X', sizeof out);
	assert_int_equal(random_hex(150, out, &err), ST_OK);
	assert_lower_hex(out, 300);
	assert_int_equal(out[301], 'X'); /* wrote exactly 2n+1 bytes */
}

static void
test_hex_of_zero_bytes_is_empty_string(void **state)
{
	char out[1] = {'X'};
	struct err err;

	(void)state;
	assert_int_equal(random_hex(0, out, &err), ST_OK);
	assert_int_equal(out[0], '\0');
}

static void
test_uuid_is_version_4_canonical(void **state)
{
	char a[37], b[37];
	size_t i;

	(void)state;
	assert_int_equal(random_uuid(a, NULL), ST_OK);
	assert_int_equal(random_uuid(b, NULL), ST_OK);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", a[i]));
	}
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
}

static void
test_uuid7_has_time_prefix_and_sorts_by_time(void **state)
{
	char a[37], b[37], c[37];

	(void)state;
	/* 0x0186a0a0b0c0 ms = 1,678,000,000,192: "0186a0a0-b0c0-7..." */
	assert_int_equal(random_uuid7(0x0186a0a0b0c0LL, a, NULL), ST_OK);
	assert_int_equal(strlen(a), 36);
	assert_memory_equal(a, "0186a0a0-b0c0-7", 15);
	assert_non_null(strchr("89ab", a[19]));
	assert_int_equal(random_uuid7(0x0186a0a0b0c1LL, b, NULL), ST_OK);
	assert_int_equal(random_uuid7(0x0186a0a0b0c1LL, c, NULL), ST_OK);
	assert_true(strcmp(a, b) < 0);
	assert_string_not_equal(b, c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bytes_differ_between_draws),
	        cmocka_unit_test(test_bytes_of_zero_length_is_ok),
	        cmocka_unit_test(test_small_draws_across_pool_refills_never_repeat),
	        cmocka_unit_test(test_large_draw_is_filled),
	        cmocka_unit_test(test_fork_child_does_not_reuse_the_parents_pool),
	        cmocka_unit_test(test_token_is_prefix_then_32_bytes_of_b64url),
	        cmocka_unit_test(test_token_with_empty_prefix_is_bare_b64url),
	        cmocka_unit_test(test_tokens_differ),
	        cmocka_unit_test(test_hex_is_2n_lowercase_digits),
	        cmocka_unit_test(test_hex_longer_than_one_chunk),
	        cmocka_unit_test(test_hex_of_zero_bytes_is_empty_string),
	        cmocka_unit_test(test_uuid_is_version_4_canonical),
	        cmocka_unit_test(test_uuid7_has_time_prefix_and_sorts_by_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
