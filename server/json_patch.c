/*
 * server/json_patch.c — JSON Patch (RFC 6902) with JSON Pointer (RFC 6901)
 * paths, on jansson values. See json_patch.h.
 *
 * json_patch_apply() deep-copies the document and applies each operation to
 * the copy in turn; the first failure discards the copy (RFC 6902 §5). Each
 * operation is parsed (op, path, from, value), its pointers decoded into
 * reference tokens, and then carried out by one of three primitives:
 * walk() finds a value, place() adds or replaces one, detach() removes one.
 *
 * Invariants: the working copy shares no value with doc or patch (added
 * values are deep copies, so a later operation cannot write into the patch),
 * and a "copy" deep-copies too, so the result is always a tree.
 *
 * To add an operation (RFC 6902 §4 allows extensions): add a row to op_table,
 * its required members and a case in apply_one().
 */
#include "server/json_patch.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/*
 * Every failure in this file is ST_INVALID. Stating the status after ERR_SET
 * lets clang's analyzer see that an error path never returns ST_OK.
 */
#define INVALID(e, ...) (ERR_SET((e), ST_INVALID, __VA_ARGS__), ST_INVALID)

enum op_kind {
	OP_ADD,
	OP_REMOVE,
	OP_REPLACE,
	OP_MOVE,
	OP_COPY,
	OP_TEST,
};

/* RFC 6902 §4.1-4.6: the six operations. */
static const struct {
	const char *name;
	enum op_kind kind;
} op_table[] = {
        {"add",     OP_ADD    },
        {"remove",  OP_REMOVE },
        {"replace", OP_REPLACE},
        {"move",    OP_MOVE   },
        {"copy",    OP_COPY   },
        {"test",    OP_TEST   },
};

/* A decoded JSON Pointer (RFC 6901). Tokens are (pointer, length) slices of buf. */
struct ptr {
	const char *what; /* "path" or "from", for messages */
	const char *text; /* as written (borrowed from the patch) */
	size_t text_len;
	char shown[56]; /* text made printable and truncated, for messages */
	char *buf;      /* owned; NULL for the root pointer "" */
	const char *tok[JSON_PATCH_MAX_DEPTH];
	size_t tok_len[JSON_PATCH_MAX_DEPTH];
	size_t ntok;
};

/*
 * Copies s[0..len) into dst as printable ASCII (anything else becomes '?'),
 * cut with "..." when it does not fit: messages stay on one line whatever the
 * patch contains.
 */
static void
sanitize(char *dst, size_t cap, const char *s, size_t len)
{
	size_t i, n = 0;

	assert(cap > 4);
	for (i = 0; i < len && n < cap - 4; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			dst[n++] = s[i];
		else
			dst[n++] = '?';
	}
	if (i < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

static void
ptr_free(struct ptr *p)
{
	free(p->buf);
	p->buf = NULL;
}

/*
 * Decodes the pointer in member `what` of op into p (p->buf must then be
 * released with ptr_free, whatever the status).
 */
static enum status
ptr_parse(const json_t *op, const char *what, struct ptr *p, struct err *err)
{
	const json_t *s = json_object_get(op, what);
	char *dst;
	size_t i;

	p->what = what;
	p->ntok = 0;
	if (!json_is_string(s))
		return INVALID(err, "%s is missing or not a string", what);
	p->text = json_string_value(s);
	p->text_len = json_string_length(s);
	if (p->text_len == 0) {
		strcpy(p->shown, "\"\"");
		return ST_OK; /* RFC 6901 §5: "" is the whole document */
	}
	sanitize(p->shown, sizeof p->shown, p->text, p->text_len);

	/* RFC 6901 §3: json-pointer = *( "/" reference-token ) */
	if (p->text[0] != '/')
		return INVALID(err, "%s %s is not a JSON Pointer (must start with /)", what,
		               p->shown);
	p->buf = xmalloc(p->text_len);
	dst = p->buf;
	for (i = 0; i < p->text_len; i++) {
		char c = p->text[i];

		if (c == '/') {
			if (p->ntok == JSON_PATCH_MAX_DEPTH)
				return INVALID(err, "%s %s has more than %d tokens", what, p->shown,
				               JSON_PATCH_MAX_DEPTH);
			p->tok[p->ntok] = dst;
			p->tok_len[p->ntok] = 0;
			p->ntok++;
			continue;
		}
		/* RFC 6901 §3-4: "~0" is '~' and "~1" is '/'; any other '~' is an error. */
		if (c == '~') {
			if (i + 1 == p->text_len ||
			    (p->text[i + 1] != '0' && p->text[i + 1] != '1'))
				return INVALID(
				        err, "%s %s: '~' must be followed by 0 or 1 (RFC 6901 §3)",
				        what, p->shown);
			c = p->text[++i] == '0' ? '~' : '/';
		}
		*dst++ = c;
		p->tok_len[p->ntok - 1]++;
	}
	return ST_OK;
}

/* RFC 6901 §4: array-index = %x30 / ( %x31-39 *(%x30-39) ) */
static bool
is_array_index(const char *t, size_t len)
{
	size_t i;

	if (len == 0 || (t[0] == '0' && len > 1))
		return false;
	for (i = 0; i < len; i++)
		if (t[i] < '0' || t[i] > '9')
			return false;
	return true;
}

/*
 * Reads token i of p as an index into array. With for_add, "-" and the array
 * size name the slot after the last element (RFC 6902 §4.1); otherwise the
 * index must name an element (RFC 6901 §4: "-" names a nonexistent one).
 */
static enum status
array_index(const json_t *array, const struct ptr *p, size_t i, bool for_add, size_t *out,
            struct err *err)
{
	const char *t = p->tok[i];
	size_t len = p->tok_len[i], size = json_array_size(array), v = 0, k;

	if (len == 1 && t[0] == '-') {
		if (!for_add)
			return INVALID(err, "%s %s: \"-\" names no element (only add may use it)",
			               p->what, p->shown);
		*out = size;
		return ST_OK;
	}
	if (!is_array_index(t, len))
		return INVALID(err, "%s %s: invalid array index (RFC 6901 §4)", p->what, p->shown);
	for (k = 0; k < len; k++)
		v = v > (SIZE_MAX - 9) / 10 ? SIZE_MAX : v * 10 + (size_t)(t[k] - '0');
	/* SIZE_MAX stands for "too large": no array is that long. */
	if (v > size || (v == size && !for_add))
		return INVALID(err, "%s %s does not exist", p->what, p->shown);
	*out = v;
	return ST_OK;
}

/* Resolves the first n tokens of p from root into *out (borrowed). */
static enum status
walk(json_t *root, const struct ptr *p, size_t n, json_t **out, struct err *err)
{
	json_t *cur = root;
	size_t i, idx = 0;
	enum status st;

	for (i = 0; i < n; i++) {
		if (json_is_object(cur)) {
			cur = json_object_getn(cur, p->tok[i], p->tok_len[i]);
		} else if (json_is_array(cur)) {
			st = array_index(cur, p, i, false, &idx, err);
			if (st != ST_OK)
				return st;
			cur = json_array_get(cur, idx);
		} else {
			cur = NULL;
		}
		if (cur == NULL)
			return INVALID(err, "%s %s does not exist", p->what, p->shown);
	}
	*out = cur;
	return ST_OK;
}

/*
 * Puts value (stolen on every path) at p: with is_replace the target must
 * exist (RFC 6902 §4.3), otherwise it is added (§4.1: a member is set, an
 * array element is inserted). The root "" replaces *root.
 */
static enum status
place(json_t **root, const struct ptr *p, json_t *value, bool is_replace, struct err *err)
{
	const char *key;
	size_t key_len, idx = 0;
	json_t *parent;
	enum status st;

	if (p->ntok == 0) {
		json_decref(*root);
		*root = value;
		return ST_OK;
	}
	key = p->tok[p->ntok - 1];
	key_len = p->tok_len[p->ntok - 1];
	st = walk(*root, p, p->ntok - 1, &parent, err);
	if (st != ST_OK)
		goto fail;
	if (json_is_object(parent)) {
		if (is_replace && json_object_getn(parent, key, key_len) == NULL)
			goto missing;
		if (json_object_setn_new(parent, key, key_len, value) != 0)
			return INVALID(err, "%s %s: cannot set member", p->what, p->shown);
		return ST_OK;
	}
	if (!json_is_array(parent))
		goto missing;
	st = array_index(parent, p, p->ntok - 1, !is_replace, &idx, err);
	if (st != ST_OK)
		goto fail;
	if ((is_replace ? json_array_set_new(parent, idx, value)
	                : json_array_insert_new(parent, idx, value)) != 0)
		return INVALID(err, "%s %s: cannot set element", p->what, p->shown);
	return ST_OK;
missing:
	st = INVALID(err, "%s %s does not exist", p->what, p->shown);
fail:
	json_decref(value);
	return st;
}

/*
 * Removes the value at p (RFC 6902 §4.2) and, when out is not NULL, returns
 * it in *out (new reference).
 */
static enum status
detach(json_t *root, const struct ptr *p, json_t **out, struct err *err)
{
	const char *key;
	size_t key_len, idx = 0;
	json_t *parent, *v = NULL;
	enum status st;

	if (p->ntok == 0)
		return INVALID(err, "%s \"\": the whole document cannot be removed", p->what);
	key = p->tok[p->ntok - 1];
	key_len = p->tok_len[p->ntok - 1];
	st = walk(root, p, p->ntok - 1, &parent, err);
	if (st != ST_OK)
		return st;
	if (json_is_object(parent)) {
		v = json_object_getn(parent, key, key_len);
		if (v == NULL)
			return INVALID(err, "%s %s does not exist", p->what, p->shown);
		json_incref(v);
		json_object_deln(parent, key, key_len);
	} else if (json_is_array(parent)) {
		st = array_index(parent, p, p->ntok - 1, false, &idx, err);
		if (st != ST_OK)
			return st;
		v = json_incref(json_array_get(parent, idx));
		json_array_remove(parent, idx);
	} else {
		return INVALID(err, "%s %s does not exist", p->what, p->shown);
	}
	if (out != NULL)
		*out = v;
	else
		json_decref(v);
	return ST_OK;
}

/*
 * RFC 6902 §4.6: numbers are equal when their values are, so 1 == 1.0. An
 * integer equals a real only when the real is integral and in range, checked
 * without converting the integer (which could round).
 */
static bool
numbers_equal(const json_t *a, const json_t *b)
{
	const json_t *i, *r;
	double d;

	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_real(a) && json_is_real(b))
		return json_real_value(a) == json_real_value(b);
	i = json_is_integer(a) ? a : b;
	r = json_is_integer(a) ? b : a;
	d = json_real_value(r);
	/* json_int_t is 64 bits: in range means -2^63 <= d < 2^63. */
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) ||
	    (double)(json_int_t)d != d)
		return false;
	return (json_int_t)d == json_integer_value(i);
}

static bool equal(json_t *a, json_t *b);

/* jansson's object iterators take non-const values, hence the missing consts here. */
static bool
objects_equal(json_t *a, json_t *b)
{
	const char *key;
	size_t key_len;
	json_t *v, *w;

	if (json_object_size(a) != json_object_size(b))
		return false;
	json_object_keylen_foreach(a, key, key_len, v)
	{
		w = json_object_getn(b, key, key_len);
		if (w == NULL || !equal(v, w))
			return false;
	}
	return true;
}

/* RFC 6902 §4.6 deep equality: json_equal(), except for numbers. */
static bool
equal(json_t *a, json_t *b)
{
	size_t i;

	if (json_is_number(a) && json_is_number(b))
		return numbers_equal(a, b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_OBJECT:
		return objects_equal(a, b);
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (i = 0; i < json_array_size(a); i++)
			if (!equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	case JSON_STRING:
		return json_equal(a, b);
	default:
		return true; /* true, false and null: the type is the value */
	}
}

/* Number of values in v (v itself and everything nested), or limit + 1 if more. */
static size_t
count_values(json_t *v, size_t limit)
{
	const char *key;
	size_t n = 1, i;
	json_t *child;

	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v) && n <= limit; i++)
			n += count_values(json_array_get(v, i), limit - n);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, child)
		{
			if (n > limit)
				break;
			n += count_values(child, limit - n);
		}
	}
	return n;
}

/* RFC 6902 §4.4: "from" must not be a proper prefix of "path" (no move into a child). */
static bool
is_proper_prefix(const struct ptr *from, const struct ptr *path)
{
	return path->text_len > from->text_len &&
	       memcmp(path->text, from->text, from->text_len) == 0 &&
	       path->text[from->text_len] == '/';
}

static enum status
move(json_t **root, const struct ptr *from, const struct ptr *path, struct err *err)
{
	json_t *v;
	enum status st;

	/* Pointers have one spelling each (RFC 6901 §3), so comparing text is enough. */
	if (is_proper_prefix(from, path))
		return INVALID(err, "from %s is a proper prefix of path %s", from->shown,
		               path->shown);
	if (from->text_len == path->text_len && memcmp(from->text, path->text, path->text_len) == 0)
		return walk(*root, from, from->ntok, &v, err); /* a no-op, if from exists */
	st = detach(*root, from, &v, err);
	if (st != ST_OK)
		return st;
	return place(root, path, v, false, err);
}

static enum status
copy(json_t **root, const struct ptr *from, const struct ptr *path, size_t *copy_left,
     struct err *err)
{
	json_t *v, *dup;
	size_t n;
	enum status st;

	st = walk(*root, from, from->ntok, &v, err);
	if (st != ST_OK)
		return st;
	n = count_values(v, *copy_left);
	if (n > *copy_left)
		return INVALID(err, "copies would duplicate more than %d values",
		               JSON_PATCH_MAX_COPY_VALUES);
	*copy_left -= n;
	dup = json_deep_copy(v);
	if (dup == NULL)
		return INVALID(err, "from %s cannot be copied", from->shown);
	return place(root, path, dup, false, err);
}

static enum status
test(json_t *root, const struct ptr *path, json_t *value, struct err *err)
{
	json_t *v;
	enum status st;

	st = walk(root, path, path->ntok, &v, err);
	if (st != ST_OK)
		return st;
	if (!equal(v, value))
		return INVALID(err, "test failed: path %s does not hold the value", path->shown);
	return ST_OK;
}

/* Applies operation object op to *root, which it may replace. */
static enum status
apply_one(json_t **root, const json_t *op, size_t *copy_left, struct err *err)
{
	struct ptr path = {0}, from = {0};
	const json_t *name;
	json_t *value, *dup;
	char shown[40];
	size_t k;
	enum op_kind kind;
	enum status st;

	if (!json_is_object(op))
		return INVALID(err, "not an operation object");
	name = json_object_get(op, "op");
	if (!json_is_string(name))
		return INVALID(err, "op is missing or not a string");
	for (k = 0; k < sizeof op_table / sizeof op_table[0]; k++)
		if (strcmp(json_string_value(name), op_table[k].name) == 0 &&
		    strlen(op_table[k].name) == json_string_length(name))
			break;
	if (k == sizeof op_table / sizeof op_table[0]) {
		sanitize(shown, sizeof shown, json_string_value(name), json_string_length(name));
		return INVALID(err, "unknown op \"%s\"", shown);
	}
	kind = op_table[k].kind;
	/* RFC 6902 §4.1, 4.3, 4.6. A JSON null is a value; only an absent member is missing. */
	value = json_object_get(op, "value");
	if ((kind == OP_ADD || kind == OP_REPLACE || kind == OP_TEST) && value == NULL)
		return INVALID(err, "%s needs a value", op_table[k].name);

	st = ptr_parse(op, "path", &path, err);
	if (st != ST_OK)
		goto out;
	if (kind == OP_MOVE || kind == OP_COPY) { /* RFC 6902 §4.4, 4.5 */
		st = ptr_parse(op, "from", &from, err);
		if (st != ST_OK)
			goto out;
	}

	switch (kind) {
	case OP_ADD:
	case OP_REPLACE:
		/* A deep copy, so that later operations never write into the patch. */
		dup = json_deep_copy(value);
		if (dup == NULL) {
			st = INVALID(err, "value cannot be copied");
			break;
		}
		st = place(root, &path, dup, kind == OP_REPLACE, err);
		break;
	case OP_REMOVE:
		st = detach(*root, &path, NULL, err);
		break;
	case OP_MOVE:
		st = move(root, &from, &path, err);
		break;
	case OP_COPY:
		st = copy(root, &from, &path, copy_left, err);
		break;
	case OP_TEST:
		st = test(*root, &path, value, err);
		break;
	}
out:
	ptr_free(&path);
	ptr_free(&from);
	return st;
}

enum status
json_patch_apply(const json_t *doc, const json_t *patch, json_t **out, struct err *err)
{
	size_t copy_left = JSON_PATCH_MAX_COPY_VALUES, i, n;
	json_t *work = NULL;
	struct err op_err;
	enum status st;

	assert(doc != NULL && out != NULL);
	if (!json_is_array(patch))
		return INVALID(err, "patch is not a JSON array");
	n = json_array_size(patch);
	if (n > JSON_PATCH_MAX_OPS)
		return INVALID(err, "patch has %zu operations, at most %d allowed", n,
		               JSON_PATCH_MAX_OPS);
	/* RFC 6902 §5: work on a copy, so that a failing patch changes nothing. */
	work = json_deep_copy(doc);
	if (work == NULL)
		return INVALID(err, "document cannot be copied");

	for (i = 0; i < n; i++) {
		err_clear(&op_err);
		st = apply_one(&work, json_array_get(patch, i), &copy_left, &op_err);
		if (st != ST_OK) {
			ERR_SET(err, st, "patch[%zu]: %s", i, op_err.msg);
			if (err != NULL) {
				err->func = op_err.func;
				err->line = op_err.line;
			}
			goto out;
		}
	}
	*out = work;
	work = NULL;
	st = ST_OK;
out:
	json_decref(work);
	return st;
}
