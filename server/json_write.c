/*
 * server/json_write.c — see json_write.h.
 */
#include "server/json_write.h"

#include <stdbool.h>
#include <string.h>

#include "common/json_members.h"
#include "server/json_unconst.h"

/* An arena buffer that doubles when full (the old one stays in the arena). */
struct out {
	struct arena *arena;
	char *p;
	size_t len;
	size_t cap;
};

static void
reserve(struct out *o, size_t n)
{
	size_t cap = o->cap;
	char *p;

	if (n <= o->cap - o->len)
		return;
	while (n > cap - o->len)
		cap *= 2;
	p = arena_alloc(o->arena, cap);
	memcpy(p, o->p, o->len);
	o->p = p;
	o->cap = cap;
}

static void
put(struct out *o, const char *s, size_t n)
{
	reserve(o, n);
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
putc_(struct out *o, char c)
{
	reserve(o, 1);
	o->p[o->len++] = c;
}

/* 1: written as is; 0: escaped (quote, backslash, control); 2: start of a UTF-8 sequence. */
static inline int
kind(unsigned char c)
{
	if (c >= 0x80)
		return 2;
	return c < 0x20 || c == '"' || c == '\\' ? 0 : 1;
}

/* jansson's dump_string: false when s is not UTF-8. */
static bool
put_string(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *end = s + n;

	putc_(o, '"');
	while (s < end) {
		const char *run = s;
		unsigned char c;

		while (s < end && kind((unsigned char)*s) == 1)
			s++;
		put(o, run, (size_t)(s - run));
		if (s == end)
			break;
		c = (unsigned char)*s;
		if (kind(c) == 2) {
			size_t seq = json_utf8_len(s, (size_t)(end - s));

			if (seq == 0)
				return false;
			put(o, s, seq);
			s += seq;
			continue;
		}
		s++;
		switch (c) {
		case '"':
			put(o, "\\\"", 2);
			break;
		case '\\':
			put(o, "\\\\", 2);
			break;
		case '\b':
			put(o, "\\b", 2);
			break;
		case '\f':
			put(o, "\\f", 2);
			break;
		case '\n':
			put(o, "\\n", 2);
			break;
		case '\r':
			put(o, "\\r", 2);
			break;
		case '\t':
			put(o, "\\t", 2);
			break;
		default: {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			put(o, esc, sizeof esc);
			break;
		}
		}
	}
	putc_(o, '"');
	return true;
}

enum verdict {
	WRITTEN,
	REFUSED, /* jansson refuses it too */
	JANSSON, /* left to jansson: a real, deep nesting, a key that is not UTF-8 */
};

/* Room for a json_int_t in decimal: a sign and 19 digits, rounded up. */
#define INT_CHARS 24

/*
 * v in decimal, as "%" JSON_INTEGER_FORMAT prints it, right-aligned at the
 * end of num; returns its length.
 */
static size_t
put_integer_digits(char num[INT_CHARS], json_int_t v)
{
	/* The magnitude as unsigned, so that INT64_MIN needs no special case. */
	unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t i = INT_CHARS;

	do {
		num[--i] = (char)('0' + m % 10);
		m /= 10;
	} while (m != 0);
	if (v < 0)
		num[--i] = '-';
	return INT_CHARS - i;
}

static enum verdict
put_value(struct out *o, const json_t *j, int depth)
{
	char num[INT_CHARS];
	size_t n;

	if (depth > JSON_WRITE_MAX_DEPTH)
		return JANSSON;
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		void *it = json_object_iter(json_unconst(j));

		putc_(o, '{');
		while (it != NULL) {
			enum verdict vd;

			/* jansson writes a key that is not UTF-8 partly and goes on. */
			if (!put_string(o, json_object_iter_key(it), json_object_iter_key_len(it)))
				return JANSSON;
			putc_(o, ':');
			vd = put_value(o, json_object_iter_value(it), depth + 1);
			if (vd != WRITTEN)
				return vd;
			it = json_object_iter_next(json_unconst(j), it);
			if (it != NULL)
				putc_(o, ',');
		}
		putc_(o, '}');
		return WRITTEN;
	}
	case JSON_ARRAY: {
		size_t i;

		putc_(o, '[');
		for (i = 0; i < json_array_size(j); i++) {
			enum verdict vd;

			if (i > 0)
				putc_(o, ',');
			vd = put_value(o, json_array_get(j, i), depth + 1);
			if (vd != WRITTEN)
				return vd;
		}
		putc_(o, ']');
		return WRITTEN;
	}
	case JSON_STRING:
		return put_string(o, json_string_value(j), json_string_length(j)) ? WRITTEN
		                                                                  : REFUSED;
	case JSON_INTEGER:
		n = put_integer_digits(num, json_integer_value(j));
		put(o, num + sizeof num - n, n);
		return WRITTEN;
	case JSON_TRUE:
		put(o, "true", 4);
		return WRITTEN;
	case JSON_FALSE:
		put(o, "false", 5);
		return WRITTEN;
	case JSON_NULL:
		put(o, "null", 4);
		return WRITTEN;
	case JSON_REAL:
	default:
		return JANSSON;
	}
}

/* Most documents fit: clients, token answers, userinfo, discovery. */
#define FIRST_TRY 2048

/* json_dumpb(j, JSON_COMPACT) into the arena: what json_write_compact leaves to jansson. */
static char *
jansson_compact(const json_t *j, struct arena *arena, size_t *len)
{
	char *buf = arena_alloc(arena, FIRST_TRY);
	size_t n = json_dumpb(j, buf, FIRST_TRY - 1, JSON_COMPACT);

	if (n == 0)
		return NULL;
	if (n >= FIRST_TRY) {
		/* Too long: json_dumpb said how long; dump again into room for it. */
		buf = arena_alloc(arena, n + 1);
		if (json_dumpb(j, buf, n, JSON_COMPACT) != n)
			return NULL;
	}
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

char *
json_write_compact(const json_t *j, struct arena *arena, size_t *len)
{
	struct out o = {arena, NULL, 0, FIRST_TRY};

	if (!json_is_object(j) && !json_is_array(j))
		return NULL; /* json_dumps needs JSON_ENCODE_ANY for these */
	o.p = arena_alloc(arena, o.cap);
	switch (put_value(&o, j, 1)) {
	case WRITTEN:
		break;
	case REFUSED:
		return NULL;
	case JANSSON:
	default:
		return jansson_compact(j, arena, len);
	}
	putc_(&o, '\0');
	if (len != NULL)
		*len = o.len - 1;
	return o.p;
}
