/*
 * server/json_patch_test.c — JSON Patch: the examples of RFC 6902 Appendix A
 * (A.1-A.16, one test each), the pointer examples of RFC 6901 §5, and the
 * error cases: malformed operations, bad pointers, missing targets, limits,
 * and the rule that a failing patch changes nothing (RFC 6902 §5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "common/buf.h"
#include "server/json_patch.h"

static json_t *
load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

	if (j == NULL)
		fail_msg("test JSON does not parse: %s: %s", text, e.text);
	return j;
}

/*
 * Applies patch_text to doc_text. On ST_OK the result must equal want_text
 * (jansson's strict equality); on failure *out must be untouched. Either way
 * the document must be unchanged.
 */
static enum status
run(const char *doc_text, const char *patch_text, const char *want_text, struct err *err)
{
	json_t *doc = load(doc_text), *patch = load(patch_text), *before = json_deep_copy(doc);
	json_t *out = NULL, *want;
	enum status st;

	err_clear(err);
	st = json_patch_apply(doc, patch, &out, err);
	assert_true(json_equal(doc, before));
	if (st == ST_OK) {
		if (want_text == NULL)
			fail_msg("patch %s should have failed", patch_text);
		want = load(want_text);
		if (!json_equal(out, want)) {
			char *got = json_dumps(out, JSON_ENCODE_ANY | JSON_SORT_KEYS);

			fail_msg("got %s, want %s", got, want_text);
		}
		if (json_is_object(doc) || json_is_array(doc))
			assert_ptr_not_equal(out, doc);
		json_decref(want);
		json_decref(out);
	} else {
		assert_null(out);
		assert_int_equal(err->st, st);
		assert_null(strchr(err->msg, '\n'));
	}
	json_decref(before);
	json_decref(patch);
	json_decref(doc);
	return st;
}

static void
expect_ok(const char *doc_text, const char *patch_text, const char *want_text)
{
	struct err err;

	if (run(doc_text, patch_text, want_text, &err) != ST_OK)
		fail_msg("patch %s failed: %s", patch_text, err.msg);
}

/* The patch must fail with ST_INVALID and a message containing msg_part. */
static void
expect_error(const char *doc_text, const char *patch_text, const char *msg_part)
{
	struct err err;

	if (run(doc_text, patch_text, NULL, &err) != ST_INVALID)
		fail_msg("patch %s should have failed", patch_text);
	if (strstr(err.msg, msg_part) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, msg_part);
}

/* RFC 6902 Appendix A. */

static void
test_a1_adds_object_member(void **state)
{
	(void)state;
	expect_ok("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
	          "{\"baz\":\"qux\",\"foo\":\"bar\"}");
}

static void
test_a2_adds_array_element(void **state)
{
	(void)state;
	expect_ok("{\"foo\":[\"bar\",\"baz\"]}",
	          "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
	          "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
}

static void
test_a3_removes_object_member(void **state)
{
	(void)state;
	expect_ok("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]",
	          "{\"foo\":\"bar\"}");
}

static void
test_a4_removes_array_element(void **state)
{
	(void)state;
	expect_ok("{\"foo\":[\"bar\",\"qux\",\"baz\"]}",
	          "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]", "{\"foo\":[\"bar\",\"baz\"]}");
}

static void
test_a5_replaces_value(void **state)
{
	(void)state;
	expect_ok("{\"baz\":\"qux\",\"foo\":\"bar\"}",
	          "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
	          "{\"baz\":\"boo\",\"foo\":\"bar\"}");
}

static void
test_a6_moves_value(void **state)
{
	(void)state;
	expect_ok("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
	          "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
	          "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
}

static void
test_a7_moves_array_element(void **state)
{
	(void)state;
	expect_ok("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
	          "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
	          "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}");
}

static void
test_a8_test_succeeds(void **state)
{
	(void)state;
	expect_ok("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
	          "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
	          "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
	          "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}");
}

static void
test_a9_test_fails(void **state)
{
	(void)state;
	expect_error("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]",
	             "patch[0]: test failed: path /baz");
}

static void
test_a10_adds_nested_member_object(void **state)
{
	(void)state;
	expect_ok("{\"foo\":\"bar\"}",
	          "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
	          "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}");
}

static void
test_a11_ignores_unrecognized_members(void **state)
{
	(void)state;
	expect_ok("{\"foo\":\"bar\"}",
	          "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
	          "{\"foo\":\"bar\",\"baz\":\"qux\"}");
}

static void
test_a12_add_to_nonexistent_target_fails(void **state)
{
	(void)state;
	expect_error("{\"foo\":\"bar\"}",
	             "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]",
	             "patch[0]: path /baz/bat does not exist");
}

/*
 * A.13: two "op" members. Only the parser sees both, so callers load with
 * JSON_REJECT_DUPLICATES; loaded without it (the last member wins), the patch
 * is a remove of a missing member and still fails.
 */
static void
test_a13_invalid_patch_document_fails(void **state)
{
	static const char patch[] =
	        "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"op\":\"remove\"}]";
	json_error_t e;

	(void)state;
	assert_null(json_loads(patch, JSON_REJECT_DUPLICATES, &e));
	expect_error("{\"foo\":\"bar\"}", patch, "path /baz does not exist");
}

static void
test_a14_escape_ordering(void **state)
{
	(void)state;
	expect_ok("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
	          "{\"/\":9,\"~1\":10}");
}

static void
test_a15_string_is_not_number(void **state)
{
	(void)state;
	expect_error("{\"/\":9,\"~1\":10}",
	             "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", "test failed");
}

static void
test_a16_adds_array_value(void **state)
{
	(void)state;
	expect_ok("{\"foo\":[\"bar\"]}",
	          "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
	          "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}");
}

/* RFC 6901 §5: every pointer of the example resolves to its value. */
static void
test_rfc6901_pointer_examples_resolve(void **state)
{
	static const char doc[] = "{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,"
	                          "\"g|h\":4,\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}";

	(void)state;
	expect_ok(doc,
	          "[{\"op\":\"test\",\"path\":\"\",\"value\":" /* the whole document */
	          "{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,"
	          "\"g|h\":4,\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}},"
	          "{\"op\":\"test\",\"path\":\"/foo\",\"value\":[\"bar\",\"baz\"]},"
	          "{\"op\":\"test\",\"path\":\"/foo/0\",\"value\":\"bar\"},"
	          "{\"op\":\"test\",\"path\":\"/\",\"value\":0},"
	          "{\"op\":\"test\",\"path\":\"/a~1b\",\"value\":1},"
	          "{\"op\":\"test\",\"path\":\"/c%d\",\"value\":2},"
	          "{\"op\":\"test\",\"path\":\"/e^f\",\"value\":3},"
	          "{\"op\":\"test\",\"path\":\"/g|h\",\"value\":4},"
	          "{\"op\":\"test\",\"path\":\"/i\\\\j\",\"value\":5},"
	          "{\"op\":\"test\",\"path\":\"/k\\\"l\",\"value\":6},"
	          "{\"op\":\"test\",\"path\":\"/ \",\"value\":7},"
	          "{\"op\":\"test\",\"path\":\"/m~0n\",\"value\":8}]",
	          doc);
}

/* Operations beyond Appendix A. */

static void
test_copy_and_move_to_dash_append(void **state)
{
	(void)state;
	expect_ok("{\"a\":[1],\"b\":2}",
	          "[{\"op\":\"copy\",\"from\":\"/b\",\"path\":\"/a/-\"},"
	          "{\"op\":\"move\",\"from\":\"/b\",\"path\":\"/a/-\"}]",
	          "{\"a\":[1,2,2]}");
}

static void
test_add_at_array_size_appends(void **state)
{
	(void)state;
	expect_ok("[1,2]", "[{\"op\":\"add\",\"path\":\"/2\",\"value\":3}]", "[1,2,3]");
}

static void
test_add_replaces_existing_member(void **state)
{
	(void)state;
	expect_ok("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":null}]", "{\"a\":null}");
}

static void
test_dash_is_an_ordinary_member_name(void **state)
{
	(void)state;
	expect_ok("{\"-\":1}",
	          "[{\"op\":\"replace\",\"path\":\"/-\",\"value\":2},"
	          "{\"op\":\"test\",\"path\":\"/-\",\"value\":2},{\"op\":\"remove\",\"path\":\"/"
	          "-\"}]",
	          "{}");
}

static void
test_root_is_replaced_by_add_replace_move_and_copy(void **state)
{
	(void)state;
	expect_ok("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]", "[1]");
	expect_ok("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":\"x\"}]", "\"x\"");
	expect_ok("{\"a\":{\"b\":2}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"\"}]",
	          "{\"b\":2}");
	expect_ok("{\"a\":{\"b\":2}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"\"}]",
	          "{\"b\":2}");
	expect_ok("5",
	          "[{\"op\":\"test\",\"path\":\"\",\"value\":5.0},"
	          "{\"op\":\"replace\",\"path\":\"\",\"value\":6}]",
	          "6");
}

static void
test_copy_of_root_into_member_is_a_snapshot(void **state)
{
	(void)state;
	expect_ok("{\"a\":1}",
	          "[{\"op\":\"copy\",\"from\":\"\",\"path\":\"/b\"},"
	          "{\"op\":\"add\",\"path\":\"/b/c\",\"value\":2}]",
	          "{\"a\":1,\"b\":{\"a\":1,\"c\":2}}");
}

static void
test_move_to_same_path_is_a_noop(void **state)
{
	(void)state;
	expect_ok("{\"a\":[1,2]}",
	          "[{\"op\":\"move\",\"from\":\"/a/1\",\"path\":\"/a/1\"},"
	          "{\"op\":\"move\",\"from\":\"\",\"path\":\"\"}]",
	          "{\"a\":[1,2]}");
	expect_error("{}", "[{\"op\":\"move\",\"from\":\"/x\",\"path\":\"/x\"}]",
	             "from /x does not exist");
}

static void
test_move_to_sibling_with_common_text_prefix(void **state)
{
	(void)state;
	expect_ok("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/ab\"}]",
	          "{\"ab\":1}");
}

static void
test_move_out_of_child_into_parent(void **state)
{
	(void)state;
	expect_ok("{\"a\":{\"b\":{\"c\":1}}}",
	          "[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/a\"}]", "{\"a\":{\"c\":1}}");
}

/* RFC 6902 §4.6: numbers are equal when their values are. */
static void
test_test_compares_numbers_by_value(void **state)
{
	(void)state;
	expect_ok("{\"a\":1,\"b\":100,\"c\":0,\"d\":[{\"e\":2.5}],\"f\":-3}",
	          "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1.0},"
	          "{\"op\":\"test\",\"path\":\"/b\",\"value\":1e2},"
	          "{\"op\":\"test\",\"path\":\"/c\",\"value\":-0.0},"
	          "{\"op\":\"test\",\"path\":\"/d\",\"value\":[{\"e\":25e-1}]},"
	          "{\"op\":\"test\",\"path\":\"/f\",\"value\":-3.0}]",
	          "{\"a\":1,\"b\":100,\"c\":0,\"d\":[{\"e\":2.5}],\"f\":-3}");
	expect_error("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1.5}]",
	             "test failed");
	expect_error("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":true}]",
	             "test failed");
	/* 2^53 + 1 has no double; converting it to one would round to 2^53. */
	expect_error("{\"a\":9007199254740993}",
	             "[{\"op\":\"test\",\"path\":\"/a\",\"value\":9007199254740992.0}]",
	             "test failed");
	expect_error("{\"a\":9223372036854775807}",
	             "[{\"op\":\"test\",\"path\":\"/a\",\"value\":9223372036854775808.0}]",
	             "test failed");
}

static void
test_test_is_deep_and_ignores_member_order(void **state)
{
	(void)state;
	expect_ok("{\"a\":{\"x\":[1,{\"y\":null}],\"z\":false}}",
	          "[{\"op\":\"test\",\"path\":\"/"
	          "a\",\"value\":{\"z\":false,\"x\":[1,{\"y\":null}]}}]",
	          "{\"a\":{\"x\":[1,{\"y\":null}],\"z\":false}}");
	expect_error("{\"a\":[1,2]}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":[2,1]}]",
	             "test failed");
	expect_error("{\"a\":{\"x\":1}}",
	             "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"x\":1,\"y\":1}}]",
	             "test failed");
	expect_error("{\"a\":{\"x\":1}}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"y\":1}}]",
	             "test failed");
}

/* Error cases. */

static void
test_rejects_patch_that_is_not_an_array(void **state)
{
	(void)state;
	expect_error("{}", "{\"op\":\"remove\",\"path\":\"/a\"}", "patch is not a JSON array");
}

static void
test_rejects_malformed_operations(void **state)
{
	(void)state;
	expect_error("{}", "[1]", "patch[0]: not an operation object");
	expect_error("{}", "[{\"path\":\"/a\"}]", "patch[0]: op is missing or not a string");
	expect_error("{}", "[{\"op\":1,\"path\":\"/a\"}]", "op is missing or not a string");
	expect_error("{}", "[{\"op\":\"remove\"}]", "path is missing or not a string");
	expect_error("{}", "[{\"op\":\"remove\",\"path\":5}]", "path is missing or not a string");
	expect_error("{}", "[{\"op\":\"add\",\"path\":\"/a\"}]", "add needs a value");
	expect_error("{}", "[{\"op\":\"test\",\"path\":\"/a\"}]", "test needs a value");
	expect_error("{\"a\":1}", "[{\"op\":\"copy\",\"path\":\"/b\"}]",
	             "from is missing or not a string");
	expect_error("{\"a\":1}", "[{\"op\":\"move\",\"path\":\"/b\",\"from\":[]}]",
	             "from is missing or not a string");
}

static void
test_rejects_unknown_op(void **state)
{
	(void)state;
	expect_error("{}",
	             "[{\"op\":\"test\",\"path\":\"\",\"value\":{}},"
	             "{\"op\":\"get\",\"path\":\"/a\"}]",
	             "patch[1]: unknown op \"get\"");
	expect_error("{}", "[{\"op\":\"Add\",\"path\":\"/a\",\"value\":1}]", "unknown op \"Add\"");
}

static void
test_rejects_pointer_without_leading_slash(void **state)
{
	(void)state;
	expect_error("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"a\"}]",
	             "path a is not a JSON Pointer");
	expect_error("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"a\",\"path\":\"/b\"}]",
	             "from a is not a JSON Pointer");
}

static void
test_rejects_bad_tilde_escape(void **state)
{
	(void)state;
	expect_error("{\"a~2\":1}", "[{\"op\":\"remove\",\"path\":\"/a~2\"}]",
	             "'~' must be followed by 0 or 1");
	expect_error("{\"a~\":1}", "[{\"op\":\"remove\",\"path\":\"/a~\"}]",
	             "'~' must be followed by 0 or 1");
}

static void
test_rejects_bad_array_index(void **state)
{
	(void)state;
	expect_error("{\"a\":[1,2]}", "[{\"op\":\"remove\",\"path\":\"/a/01\"}]",
	             "path /a/01: invalid array index");
	expect_error("{\"a\":[1,2]}", "[{\"op\":\"remove\",\"path\":\"/a/-1\"}]",
	             "invalid array index");
	expect_error("{\"a\":[1,2]}", "[{\"op\":\"remove\",\"path\":\"/a/+1\"}]",
	             "invalid array index");
	expect_error("{\"a\":[1,2]}", "[{\"op\":\"add\",\"path\":\"/a/x\",\"value\":0}]",
	             "invalid array index");
	expect_error("{\"a\":[1,2]}", "[{\"op\":\"test\",\"path\":\"/a/\",\"value\":1}]",
	             "invalid array index");
	expect_error("{\"a\":[1,2]}",
	             "[{\"op\":\"test\",\"path\":\"/a/99999999999999999999999\",\"value\":1}]",
	             "does not exist");
}

static void
test_rejects_dash_except_where_a_value_is_added(void **state)
{
	(void)state;
	expect_error("{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/-\"}]",
	             "path /a/-: \"-\" names no element");
	expect_error("{\"a\":[1]}", "[{\"op\":\"replace\",\"path\":\"/a/-\",\"value\":2}]",
	             "\"-\" names no element");
	expect_error("{\"a\":[1]}", "[{\"op\":\"test\",\"path\":\"/a/-\",\"value\":1}]",
	             "\"-\" names no element");
	expect_error("{\"a\":[1]}", "[{\"op\":\"copy\",\"from\":\"/a/-\",\"path\":\"/b\"}]",
	             "from /a/-: \"-\" names no element");
	expect_error("{\"a\":[{}]}", "[{\"op\":\"add\",\"path\":\"/a/-/b\",\"value\":1}]",
	             "\"-\" names no element");
}

static void
test_rejects_add_past_array_end(void **state)
{
	(void)state;
	expect_error("{\"a\":[1,2]}", "[{\"op\":\"add\",\"path\":\"/a/3\",\"value\":0}]",
	             "path /a/3 does not exist");
}

static void
test_rejects_missing_targets(void **state)
{
	(void)state;
	expect_error("{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/b\"}]",
	             "path /b does not exist");
	expect_error("{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/1\"}]",
	             "path /a/1 does not exist");
	expect_error("{\"a\":[1]}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]",
	             "path /b does not exist");
	expect_error("{\"a\":[1]}", "[{\"op\":\"replace\",\"path\":\"/a/1\",\"value\":1}]",
	             "path /a/1 does not exist");
	expect_error("{\"a\":[1]}", "[{\"op\":\"test\",\"path\":\"/b\",\"value\":1}]",
	             "path /b does not exist");
	expect_error("{\"a\":[1]}", "[{\"op\":\"move\",\"from\":\"/b\",\"path\":\"/c\"}]",
	             "from /b does not exist");
	expect_error("{\"a\":[1]}", "[{\"op\":\"copy\",\"from\":\"/a/0/x\",\"path\":\"/c\"}]",
	             "from /a/0/x does not exist");
	expect_error("{\"a\":\"s\"}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]",
	             "path /a/b does not exist");
}

static void
test_rejects_removing_the_root(void **state)
{
	(void)state;
	expect_error("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]",
	             "the whole document cannot be removed");
}

static void
test_rejects_move_into_own_child(void **state)
{
	(void)state;
	expect_error("{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/c\"}]",
	             "from /a is a proper prefix of path /a/c");
	expect_error("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"\",\"path\":\"/b\"}]",
	             "proper prefix");
}

/* RFC 6902 §5: the first failure discards every earlier operation. */
static void
test_failed_patch_changes_nothing(void **state)
{
	json_t *doc = load("{\"a\":{\"b\":1}}");
	json_t *patch = load("[{\"op\":\"add\",\"path\":\"/a/c\",\"value\":2},"
	                     "{\"op\":\"remove\",\"path\":\"/a/b\"},"
	                     "{\"op\":\"remove\",\"path\":\"/nope\"}]");
	json_t *sentinel = json_null(), *out = sentinel;
	char *text;
	struct err err;

	(void)state;
	err_clear(&err);
	assert_int_equal(json_patch_apply(doc, patch, &out, &err), ST_INVALID);
	assert_ptr_equal(out, sentinel);
	assert_string_equal(err.msg, "patch[2]: path /nope does not exist");
	text = json_dumps(doc, JSON_COMPACT);
	assert_string_equal(text, "{\"a\":{\"b\":1}}");
	free(text);
	json_decref(patch);
	json_decref(doc);
}

static void
test_result_shares_nothing_with_patch(void **state)
{
	json_t *doc = load("{}");
	json_t *patch = load("[{\"op\":\"add\",\"path\":\"/a\",\"value\":{}},"
	                     "{\"op\":\"add\",\"path\":\"/a/b\",\"value\":[]},"
	                     "{\"op\":\"add\",\"path\":\"/a/b/-\",\"value\":1}]");
	json_t *want = load("{\"a\":{\"b\":[1]}}");
	json_t *before = json_deep_copy(patch), *out = NULL;
	struct err err;

	(void)state;
	assert_int_equal(json_patch_apply(doc, patch, &out, &err), ST_OK);
	assert_true(json_equal(patch, before));
	assert_true(json_equal(out, want));
	json_decref(want);
	json_decref(out);
	json_decref(before);
	json_decref(patch);
	json_decref(doc);
}

static void
test_copy_is_independent_of_its_source(void **state)
{
	(void)state;
	expect_ok("{\"a\":{\"x\":1}}",
	          "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b\"},"
	          "{\"op\":\"add\",\"path\":\"/b/y\",\"value\":2},"
	          "{\"op\":\"remove\",\"path\":\"/a/x\"}]",
	          "{\"a\":{},\"b\":{\"x\":1,\"y\":2}}");
}

static struct buf
repeat_ops(const char *op, size_t n)
{
	struct buf b = {0};
	size_t i;

	buf_putc(&b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_puts(&b, op);
	}
	buf_putc(&b, ']');
	return b;
}

static void
test_limits_operation_count(void **state)
{
	static const char op[] = "{\"op\":\"test\",\"path\":\"\",\"value\":{}}";
	struct buf ok = repeat_ops(op, JSON_PATCH_MAX_OPS);
	struct buf too_many = repeat_ops(op, JSON_PATCH_MAX_OPS + 1);

	(void)state;
	expect_ok("{}", ok.data, "{}");
	expect_error("{}", too_many.data, "patch has 257 operations, at most 256 allowed");
	buf_free(&ok);
	buf_free(&too_many);
}

static void
test_limits_pointer_depth(void **state)
{
	struct buf doc = {0}, deep = {0}, too_deep = {0};
	size_t i;

	(void)state;
	for (i = 0; i < JSON_PATCH_MAX_DEPTH; i++)
		buf_puts(&doc, "{\"a\":");
	buf_puts(&doc, "1");
	for (i = 0; i < JSON_PATCH_MAX_DEPTH; i++)
		buf_putc(&doc, '}');
	buf_puts(&deep, "[{\"op\":\"test\",\"value\":1,\"path\":\"");
	for (i = 0; i < JSON_PATCH_MAX_DEPTH; i++)
		buf_puts(&deep, "/a");
	buf_puts(&deep, "\"}]");
	buf_puts(&too_deep, "[{\"op\":\"remove\",\"path\":\"");
	for (i = 0; i <= JSON_PATCH_MAX_DEPTH; i++)
		buf_puts(&too_deep, "/a");
	buf_puts(&too_deep, "\"}]");

	expect_ok(doc.data, deep.data, doc.data);
	expect_error(doc.data, too_deep.data, "has more than 32 tokens");
	buf_free(&doc);
	buf_free(&deep);
	buf_free(&too_deep);
}

/* Appending the root to itself doubles the document each time; the copy budget stops it. */
static void
test_limits_values_duplicated_by_copy(void **state)
{
	struct buf bomb = repeat_ops("{\"op\":\"copy\",\"from\":\"\",\"path\":\"/a/-\"}", 40);

	(void)state;
	expect_ok("{}",
	          "[{\"op\":\"copy\",\"from\":\"\",\"path\":\"/a\"},"
	          "{\"op\":\"copy\",\"from\":\"\",\"path\":\"/a\"}]",
	          "{\"a\":{\"a\":{}}}");
	expect_error("{\"a\":[]}", bomb.data, "copies would duplicate more than 10000 values");
	buf_free(&bomb);
}

static void
test_message_stays_on_one_line(void **state)
{
	struct err err;

	(void)state;
	assert_int_equal(run("{}", "[{\"op\":\"remove\",\"path\":\"/a\\nb\\u00e9\"}]", NULL, &err),
	                 ST_INVALID);
	assert_string_equal(err.msg, "patch[0]: path /a?b?? does not exist");
	assert_int_equal(
	        run("{}",
	            "[{\"op\":\"remove\",\"path\":\"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}]",
	            NULL, &err),
	        ST_INVALID);
	assert_non_null(strstr(err.msg, "... does not exist"));
}

static void
test_empty_patch_returns_a_copy(void **state)
{
	(void)state;
	expect_ok("{\"a\":[1,{\"b\":null}]}", "[]", "{\"a\":[1,{\"b\":null}]}");
}

static void
test_err_may_be_null(void **state)
{
	json_t *doc = load("{}"), *patch = load("[{\"op\":\"remove\",\"path\":\"/a\"}]");
	json_t *out = NULL;

	(void)state;
	assert_int_equal(json_patch_apply(doc, patch, &out, NULL), ST_INVALID);
	assert_null(out);
	json_decref(patch);
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a1_adds_object_member),
	        cmocka_unit_test(test_a2_adds_array_element),
	        cmocka_unit_test(test_a3_removes_object_member),
	        cmocka_unit_test(test_a4_removes_array_element),
	        cmocka_unit_test(test_a5_replaces_value),
	        cmocka_unit_test(test_a6_moves_value),
	        cmocka_unit_test(test_a7_moves_array_element),
	        cmocka_unit_test(test_a8_test_succeeds),
	        cmocka_unit_test(test_a9_test_fails),
	        cmocka_unit_test(test_a10_adds_nested_member_object),
	        cmocka_unit_test(test_a11_ignores_unrecognized_members),
	        cmocka_unit_test(test_a12_add_to_nonexistent_target_fails),
	        cmocka_unit_test(test_a13_invalid_patch_document_fails),
	        cmocka_unit_test(test_a14_escape_ordering),
	        cmocka_unit_test(test_a15_string_is_not_number),
	        cmocka_unit_test(test_a16_adds_array_value),
	        cmocka_unit_test(test_rfc6901_pointer_examples_resolve),
	        cmocka_unit_test(test_copy_and_move_to_dash_append),
	        cmocka_unit_test(test_add_at_array_size_appends),
	        cmocka_unit_test(test_add_replaces_existing_member),
	        cmocka_unit_test(test_dash_is_an_ordinary_member_name),
	        cmocka_unit_test(test_root_is_replaced_by_add_replace_move_and_copy),
	        cmocka_unit_test(test_copy_of_root_into_member_is_a_snapshot),
	        cmocka_unit_test(test_move_to_same_path_is_a_noop),
	        cmocka_unit_test(test_move_to_sibling_with_common_text_prefix),
	        cmocka_unit_test(test_move_out_of_child_into_parent),
	        cmocka_unit_test(test_test_compares_numbers_by_value),
	        cmocka_unit_test(test_test_is_deep_and_ignores_member_order),
	        cmocka_unit_test(test_rejects_patch_that_is_not_an_array),
	        cmocka_unit_test(test_rejects_malformed_operations),
	        cmocka_unit_test(test_rejects_unknown_op),
	        cmocka_unit_test(test_rejects_pointer_without_leading_slash),
	        cmocka_unit_test(test_rejects_bad_tilde_escape),
	        cmocka_unit_test(test_rejects_bad_array_index),
	        cmocka_unit_test(test_rejects_dash_except_where_a_value_is_added),
	        cmocka_unit_test(test_rejects_add_past_array_end),
	        cmocka_unit_test(test_rejects_missing_targets),
	        cmocka_unit_test(test_rejects_removing_the_root),
	        cmocka_unit_test(test_rejects_move_into_own_child),
	        cmocka_unit_test(test_failed_patch_changes_nothing),
	        cmocka_unit_test(test_result_shares_nothing_with_patch),
	        cmocka_unit_test(test_copy_is_independent_of_its_source),
	        cmocka_unit_test(test_limits_operation_count),
	        cmocka_unit_test(test_limits_pointer_depth),
	        cmocka_unit_test(test_limits_values_duplicated_by_copy),
	        cmocka_unit_test(test_message_stays_on_one_line),
	        cmocka_unit_test(test_empty_patch_returns_a_copy),
	        cmocka_unit_test(test_err_may_be_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
