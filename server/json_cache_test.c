/*
 * server/json_cache_test.c — json_cache_loads: the same document as
 * json_loads, a copy the caller owns, keyed by the whole text, and nothing
 * left behind when a thread exits (LeakSanitizer checks that in the
 * sanitizer build).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "server/json_cache.h"

static const char *const TEXT =
        "{\"grant_types\":[\"client_credentials\"],\"scope\":\"api.read\",\"n\":1}";

static void
test_same_text_gives_equal_documents_that_are_the_callers_own(void **state)
{
	json_error_t jerr;
	json_t *plain = json_loads(TEXT, 0, &jerr), *a, *b;

	(void)state;
	a = json_cache_loads(TEXT, &jerr);
	b = json_cache_loads(TEXT, &jerr); /* from the cache */
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_true(json_equal(a, plain));
	assert_true(json_equal(b, plain));
	/* Changing what the caller got does not change the next answer. */
	json_object_set_new(b, "scope", json_string("changed"));
	json_array_append_new(json_object_get(b, "grant_types"), json_string("x"));
	json_decref(b);
	b = json_cache_loads(TEXT, &jerr);
	assert_true(json_equal(b, plain));
	json_decref(a);
	json_decref(b);
	json_decref(plain);
}

/* The shared load: one document for the same text, alive while referenced, copies unaffected. */
static void
test_shared_loads_give_the_cached_document(void **state)
{
	static const char *const OTHER = "{\"shared\":true}";
	json_error_t jerr;
	json_t *plain = json_loads(OTHER, 0, &jerr), *a, *b, *own;
	char text[32];
	int i;

	(void)state;
	a = json_cache_loads_shared(OTHER, &jerr); /* a miss: parsed, kept, shared */
	b = json_cache_loads_shared(OTHER, &jerr);
	assert_non_null(a);
	assert_ptr_equal(a, b);
	assert_true(json_equal(a, plain));
	own = json_cache_loads(OTHER, &jerr);
	assert_ptr_not_equal(own, a);
	json_object_set_new(own, "shared", json_false()); /* the caller's copy only */
	assert_true(json_equal(a, plain));
	json_decref(own);
	json_decref(b);
	/* Pushed out of the cache by other texts, the document lives on for its holder. */
	for (i = 0; i < 40; i++) {
		snprintf(text, sizeof text, "{\"n\":%d}", i);
		json_decref(json_cache_loads_shared(text, &jerr));
	}
	assert_true(json_equal(a, plain));
	b = json_cache_loads_shared(OTHER, &jerr); /* parsed anew */
	assert_ptr_not_equal(a, b);
	assert_true(json_equal(b, plain));
	json_decref(a);
	json_decref(b);
	assert_null(json_cache_loads_shared("{", &jerr));
	json_decref(plain);
}

static void
test_a_changed_text_is_parsed_anew(void **state)
{
	json_error_t jerr;
	json_t *a, *b;

	(void)state;
	a = json_cache_loads("{\"scope\":\"a\"}", &jerr);
	b = json_cache_loads("{\"scope\":\"b\"}", &jerr);
	assert_string_equal(json_string_value(json_object_get(a, "scope")), "a");
	assert_string_equal(json_string_value(json_object_get(b, "scope")), "b");
	json_decref(a);
	json_decref(b);
	/* Same length, one byte apart. */
	a = json_cache_loads("{\"scope\":\"c\"}", &jerr);
	assert_string_equal(json_string_value(json_object_get(a, "scope")), "c");
	json_decref(a);
}

static void
test_not_json_is_null_with_the_parsers_error(void **state)
{
	json_error_t jerr;

	(void)state;
	memset(&jerr, 0, sizeof jerr);
	assert_null(json_cache_loads("{\"a\":", &jerr));
	assert_true(jerr.text[0] != '\0');
	assert_null(json_cache_loads("{\"a\":", &jerr)); /* not cached either */
}

static void
test_more_texts_than_entries_all_parse_right(void **state)
{
	char text[64];
	json_error_t jerr;
	int round, i;

	(void)state;
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 40; i++) {
			json_t *d;

			snprintf(text, sizeof text, "{\"i\":%d}", i);
			d = json_cache_loads(text, &jerr);
			assert_non_null(d);
			assert_int_equal(json_integer_value(json_object_get(d, "i")), i);
			json_decref(d);
		}
	}
}

static void
test_a_text_over_the_cap_still_parses(void **state)
{
	size_t n = 20000, i;
	char *text = malloc(n + 16);
	json_error_t jerr;
	json_t *d;

	(void)state;
	assert_non_null(text);
	(void)stpcpy(text, "{\"s\":\"");
	for (i = 6; i < n; i++)
		text[i] = 'x';
	memcpy(text + n, "\"}", 3); /* with the NUL */
	d = json_cache_loads(text, &jerr);
	assert_non_null(d);
	assert_int_equal(json_string_length(json_object_get(d, "s")), n - 6);
	json_decref(d);
	free(text);
}

static void *
thread_loads(void *arg)
{
	json_error_t jerr;
	int i;

	(void)arg;
	for (i = 0; i < 20; i++) {
		char text[64];
		json_t *d;

		snprintf(text, sizeof text, "{\"thread\":%d}", i);
		d = json_cache_loads(text, &jerr);
		json_decref(d);
	}
	return NULL;
}

/* The entries of an exited thread are freed (LeakSanitizer would report them). */
static void
test_threads_that_exit_leave_nothing_behind(void **state)
{
	pthread_t t[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_loads, NULL), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_same_text_gives_equal_documents_that_are_the_callers_own),
	        cmocka_unit_test(test_shared_loads_give_the_cached_document),
	        cmocka_unit_test(test_a_changed_text_is_parsed_anew),
	        cmocka_unit_test(test_not_json_is_null_with_the_parsers_error),
	        cmocka_unit_test(test_more_texts_than_entries_all_parse_right),
	        cmocka_unit_test(test_a_text_over_the_cap_still_parses),
	        cmocka_unit_test(test_threads_that_exit_leave_nothing_behind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
