/*
 * common/log_test.c — log lines: one per event, escaped in both formats so a
 * hostile value cannot forge a line, and level filtering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "common/log.h"

/* Runs log_event with stderr redirected to a pipe and returns what was written. */
static void
capture(enum log_format fmt, enum log_level min, enum log_level lvl, const char *msg,
        const char *value, char *out, size_t cap)
{
	int fds[2], saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	dup2(fds[1], STDERR_FILENO);
	log_setup(min, fmt);
	log_event(lvl, "req1", "fn1", msg, (struct log_field[]){LOG_STR("k", value)}, 1);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fds[0]);
}

static void
test_json_line_is_escaped(void **state)
{
	char line[1024];

	(void)state;
	capture(LOG_FORMAT_JSON, LOG_DEBUG, LOG_INFO, "hi", "a\"b\nc", line, sizeof line);
	assert_non_null(strstr(line, "\"level\":\"info\""));
	assert_non_null(strstr(line, "\"req\":\"req1\""));
	assert_non_null(strstr(line, "\"k\":\"a\\\"b\\nc\""));
	/* exactly one line */
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
}

static void
test_text_line_quotes_values_with_spaces(void **state)
{
	char line[1024];

	(void)state;
	capture(LOG_FORMAT_TEXT, LOG_DEBUG, LOG_WARN, "two words", "x y\nfake=1", line,
	        sizeof line);
	assert_non_null(strstr(line, "level=warn"));
	assert_non_null(strstr(line, "msg=\"two words\""));
	assert_non_null(strstr(line, "k=\"x y\\nfake=1\""));
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
}

static void
test_level_filter(void **state)
{
	char line[256];

	(void)state;
	capture(LOG_FORMAT_TEXT, LOG_WARN, LOG_INFO, "dropped", "v", line, sizeof line);
	assert_string_equal(line, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_json_line_is_escaped),
	        cmocka_unit_test(test_text_line_quotes_values_with_spaces),
	        cmocka_unit_test(test_level_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
