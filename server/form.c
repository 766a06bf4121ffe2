/*
 * server/form.c — see form.h. One pass over the input; strings are decoded
 * straight into the arena.
 */
#include "server/form.h"

#include <stdbool.h>
#include <string.h>

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum status
form_unescape(const char *s, size_t len, int plus_is_space, struct arena *arena, char **out,
              struct err *err)
{
	char *dst = arena_alloc(arena, len + 1);
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return ERR_SET(err, ST_INVALID, "truncated percent-escape");
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return ERR_SET(err, ST_INVALID, "malformed percent-escape");
			c = (char)(hi * 16 + lo);
			if (c == '\0')
				return ERR_SET(err, ST_INVALID, "encoded NUL byte");
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c == '\0') {
			return ERR_SET(err, ST_INVALID, "NUL byte");
		}
		dst[n++] = c;
	}
	dst[n] = '\0';
	*out = dst;
	return ST_OK;
}

enum status
form_parse(const char *s, size_t len, struct arena *arena, struct form *out, struct err *err)
{
	struct form_param *params;
	size_t count = 0, i, pos = 0, nseps = 1;
	enum status st;

	for (i = 0; i < len; i++)
		if (s[i] == '&')
			nseps++;
	if (nseps > (size_t)FORM_MAX_PARAMS * 2)
		return ERR_SET(err, ST_INVALID, "too many parameters");
	params = arena_alloc(arena, nseps * sizeof *params);

	while (pos < len) {
		const char *pair = s + pos;
		const char *amp = memchr(pair, '&', len - pos);
		size_t pair_len = amp != NULL ? (size_t)(amp - pair) : len - pos;
		const char *eq = memchr(pair, '=', pair_len);
		size_t name_len = eq != NULL ? (size_t)(eq - pair) : pair_len;
		char *name = NULL, *value = NULL;

		pos += pair_len + 1;
		if (pair_len == 0)
			continue; /* "a=1&&b=2" and a trailing '&' are harmless */
		if (name_len == 0)
			return ERR_SET(err, ST_INVALID, "parameter without a name");
		st = form_unescape(pair, name_len, 1, arena, &name, err);
		if (st != ST_OK)
			return st;
		if (eq != NULL)
			st = form_unescape(eq + 1, pair_len - name_len - 1, 1, arena, &value, err);
		else
			value = arena_strdup(arena, "");
		if (st != ST_OK)
			return st;
		for (i = 0; i < count; i++)
			if (strcmp(params[i].name, name) == 0)
				return ERR_SET(err, ST_INVALID, "parameter given more than once");
		if (count == FORM_MAX_PARAMS)
			return ERR_SET(err, ST_INVALID, "too many parameters");
		params[count].name = name;
		params[count].value = value;
		count++;
	}
	out->params = params;
	out->count = count;
	return ST_OK;
}

const char *
form_get(const struct form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->count; i++)
		if (strcmp(f->params[i].name, name) == 0)
			return f->params[i].value;
	return NULL;
}

void
form_without(const struct form *f, const char *const *names, size_t n, struct arena *arena,
             struct form *out)
{
	out->params = arena_alloc(arena, (f->count + 1) * sizeof *out->params);
	out->count = 0;
	for (size_t i = 0; i < f->count; i++) {
		bool drop = false;

		for (size_t j = 0; j < n && !drop; j++)
			drop = strcmp(f->params[i].name, names[j]) == 0;
		if (!drop)
			out->params[out->count++] = f->params[i];
	}
}
