/*
 * common/arena_test.c — the request arena: alignment, zeroing, large
 * allocations, string helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "common/arena.h"

static void
test_allocations_are_aligned_and_zeroed(void **state)
{
	struct arena *a = arena_new();
	size_t i;

	(void)state;
	for (i = 1; i < 200; i += 7) {
		unsigned char *p = arena_alloc(a, i);
		size_t j;

		assert_int_equal((uintptr_t)p % 16, 0);
		for (j = 0; j < i; j++)
			assert_int_equal(p[j], 0);
		memset(p, 0xab, i);
	}
	arena_free(a);
}

static void
test_large_allocation_gets_its_own_chunk(void **state)
{
	struct arena *a = arena_new();
	char *small = arena_strdup(a, "before");
	char *big = arena_alloc(a, 1 << 20);

	(void)state;
	memset(big, 'x', 1 << 20);
	assert_string_equal(small, "before");
	assert_string_equal(arena_strdup(a, "after"), "after");
	arena_free(a);
}

static void
test_string_helpers(void **state)
{
	struct arena *a = arena_new();
	char longer[600];

	(void)state;
	assert_string_equal(arena_strndup(a, "abcdef", 3), "abc");
	assert_string_equal(arena_printf(a, "%s-%d", "x", 42), "x-42");
	assert_string_equal(arena_concat(a, "oidcd_at_", "AAEC"), "oidcd_at_AAEC");
	assert_string_equal(arena_concat(a, "", ""), "");
	assert_string_equal(arena_concat(a, longer, "z"), arena_printf(a, "%sz", longer));
	memset(longer, 'y', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	assert_string_equal(arena_printf(a, "%s", longer), longer);
	assert_memory_equal(arena_memdup(a, "\0\1\2", 3), "\0\1\2", 3);
	arena_free(a);
	arena_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_allocations_are_aligned_and_zeroed),
	        cmocka_unit_test(test_large_allocation_gets_its_own_chunk),
	        cmocka_unit_test(test_string_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
