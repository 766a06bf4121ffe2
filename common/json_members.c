/*
 * common/json_members.c — see json_members.h.
 *
 * A recursive-descent validator over [p, end) that mirrors jansson 2.14's
 * lexer (load.c): whitespace is space, tab, LF and CR; strings are UTF-8
 * without control characters, escapes as RFC 8259 §7; numbers as §6;
 * literals true, false, null; one object or array at the top and nothing
 * but whitespace after it. Where jansson would accept something this
 * reader does not take (see the header), it fails the same way as for
 * invalid JSON: the caller falls back to jansson.
 */
#include "common/json_members.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define INTEGER_MAX_DIGITS 15

struct scan {
	const char *p, *end;
};

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned
hex_value(unsigned char c)
{
	if (c <= '9')
		return (unsigned)(c - '0');
	return (unsigned)((c | 0x20) - 'a' + 10);
}

size_t
json_utf8_len(const char *p, size_t avail)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n, i;
	uint32_t v;

	if (avail == 0)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xC2 && u[0] <= 0xDF) {
		n = 2;
		v = u[0] & 0x1Fu;
	} else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
		n = 3;
		v = u[0] & 0x0Fu;
	} else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
		n = 4;
		v = u[0] & 0x07u;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (u[i] & 0x3Fu);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
		return 0;
	return n;
}

/* One UTF-8 sequence starting at s->p (a byte >= 0x80). */
static bool
scan_utf8(struct scan *s)
{
	size_t n = json_utf8_len(s->p, (size_t)(s->end - s->p));

	s->p += n;
	return n > 0;
}

/* A string at s->p ('"'); *has_escape tells whether it had any. */
static bool
scan_string(struct scan *s, bool *has_escape)
{
	*has_escape = false;
	s->p++; /* the opening quote */
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;

		if (c == '"') {
			s->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c >= 0x80) {
			if (!scan_utf8(s))
				return false;
			continue;
		}
		if (c != '\\') {
			s->p++;
			continue;
		}
		*has_escape = true;
		if (s->end - s->p < 2)
			return false;
		c = (unsigned char)s->p[1];
		if (c == 'u') {
			unsigned v = 0;
			int i;

			if (s->end - s->p < 6)
				return false;
			for (i = 2; i < 6; i++) {
				if (!is_hex((unsigned char)s->p[i]))
					return false;
				v = (v << 4) | hex_value((unsigned char)s->p[i]);
			}
			/* NUL and surrogate pairs: valid or not, left to jansson */
			if (v == 0 || (v >= 0xD800 && v <= 0xDFFF))
				return false;
			s->p += 6;
			continue;
		}
		if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
			return false;
		s->p += 2;
	}
	return false;
}

/* An integer of at most INTEGER_MAX_DIGITS digits; a fraction or exponent is not taken. */
static bool
scan_integer(struct scan *s)
{
	const char *digits;

	if (*s->p == '-')
		s->p++;
	digits = s->p;
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return false;
	if (*s->p == '0') {
		s->p++;
	} else {
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p - digits > INTEGER_MAX_DIGITS)
		return false;
	/* "01", "1.5", "1e3": not taken (the first is invalid, the others reals) */
	return s->p >= s->end ||
	       !(*s->p == '.' || *s->p == 'e' || *s->p == 'E' || (*s->p >= '0' && *s->p <= '9'));
}

static bool
scan_literal(struct scan *s, const char *word, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

static bool scan_value(struct scan *s, int depth, enum json_member_kind *kind);

/* json_members_split's answer: the top-level members so far. */
struct members {
	struct json_member *m;
	int max;
	int n;
};

static bool
is_duplicate(const struct members *out, const char *key, size_t key_len)
{
	for (int i = 0; i < out->n; i++)
		if (out->m[i].key_len == key_len && memcmp(out->m[i].key, key, key_len) == 0)
			return true;
	return false;
}

/*
 * An object or array at s->p; the same grammar but for the keys. out (the
 * top-level object only, else NULL) collects the members, and refuses keys
 * with escapes, duplicate keys and more than out->max members.
 */
static bool
scan_container(struct scan *s, int depth, bool is_object, struct members *out)
{
	char close = is_object ? '}' : ']';
	struct json_member m = {0};
	bool has_escape;

	if (depth >= JSON_MEMBERS_MAX_DEPTH)
		return false;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return true;
	}
	for (;;) {
		if (is_object) {
			if (s->p >= s->end || *s->p != '"')
				return false;
			m.key = s->p + 1;
			if (!scan_string(s, &has_escape) || (out != NULL && has_escape))
				return false;
			m.key_len = (size_t)(s->p - 1 - m.key);
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return false;
			s->p++;
			skip_ws(s);
		}
		m.value = s->p;
		if (!scan_value(s, depth + 1, &m.kind))
			return false;
		if (out != NULL) {
			m.value_len = (size_t)(s->p - m.value);
			if (out->n >= out->max || is_duplicate(out, m.key, m.key_len))
				return false;
			out->m[out->n++] = m;
		}
		skip_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == close) {
			s->p++;
			return true;
		}
		if (*s->p != ',')
			return false;
		s->p++;
		skip_ws(s);
	}
}

static bool
scan_value(struct scan *s, int depth, enum json_member_kind *kind)
{
	bool has_escape;

	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '"':
		*kind = JSON_MEMBER_STRING;
		return scan_string(s, &has_escape);
	case '{':
		*kind = JSON_MEMBER_OBJECT;
		return scan_container(s, depth, true, NULL);
	case '[':
		*kind = JSON_MEMBER_ARRAY;
		return scan_container(s, depth, false, NULL);
	case 't':
		*kind = JSON_MEMBER_TRUE;
		return scan_literal(s, "true", 4);
	case 'f':
		*kind = JSON_MEMBER_FALSE;
		return scan_literal(s, "false", 5);
	case 'n':
		*kind = JSON_MEMBER_NULL;
		return scan_literal(s, "null", 4);
	default:
		*kind = JSON_MEMBER_INTEGER;
		return scan_integer(s);
	}
}

int
json_members_split(const char *text, size_t len, struct json_member *out, int max)
{
	struct scan s = {text, text + len};
	struct members members = {out, max, 0};

	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{' || !scan_container(&s, 0, true, &members))
		return -1;
	skip_ws(&s);
	return s.p == s.end ? members.n : -1;
}
