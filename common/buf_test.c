/*
 * common/buf_test.c — the growable buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "common/buf.h"

static void
test_appends_grow_and_stay_terminated(void **state)
{
	struct buf b = {0};
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		buf_putc(&b, 'a');
	assert_int_equal(b.len, 1000);
	assert_int_equal(b.data[1000], '\0');
	buf_puts(&b, "xyz");
	buf_printf(&b, "%d", 7);
	assert_string_equal(b.data + 1000, "xyz7");
	buf_free(&b);
	assert_null(b.data);
}

static void
test_printf_longer_than_stack_buffer(void **state)
{
	struct buf b = {0};
	char big[1000];

	(void)state;
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	buf_printf(&b, "<%s>", big);
	assert_int_equal(b.len, sizeof big + 1);
	buf_free(&b);
}

static void
test_steal_empty_gives_empty_string(void **state)
{
	struct buf b = {0};
	char *s = buf_steal(&b);

	(void)state;
	assert_string_equal(s, "");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_appends_grow_and_stay_terminated),
	        cmocka_unit_test(test_printf_longer_than_stack_buffer),
	        cmocka_unit_test(test_steal_empty_gives_empty_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
