/*
 * tests/fuzz/fuzz_cookie.c — the Cookie header parser (server/cookie.c).
 *
 * Invariants checked on every input: no more than COOKIE_MAX_PAIRS pairs,
 * distinct non-empty names within the limits, every pair accepted by
 * cookie_set (so it can be sent back unchanged), and joining the pairs as
 * "name=value; ..." then parsing again gives the same jar.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "server/cookie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *arena = arena_new();
	struct cookie_jar jar, again;
	struct buf b = {0};
	char *set;
	size_t i, j;

	if (cookie_parse((const char *)data, size, arena, &jar, NULL) != ST_OK) {
		if (size <= COOKIE_MAX_HEADER_BYTES)
			abort();
		goto out;
	}
	if (jar.count > COOKIE_MAX_PAIRS)
		abort();
	for (i = 0; i < jar.count; i++) {
		const struct cookie *c = &jar.items[i];

		if (c->name[0] == '\0' || strlen(c->name) > COOKIE_MAX_NAME_BYTES ||
		    strlen(c->value) > COOKIE_MAX_VALUE_BYTES)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(c->name, jar.items[j].name) == 0)
				abort();
		if (cookie_get(&jar, c->name) != c->value)
			abort();
		if (cookie_set(arena, c->name, c->value, -1, true, true, COOKIE_SAME_SITE_LAX, &set,
		               NULL) != ST_OK)
			abort();
		if (i > 0)
			buf_puts(&b, "; ");
		buf_puts(&b, c->name);
		buf_putc(&b, '=');
		buf_puts(&b, c->value);
	}
	/* "; " may be one byte longer than the ";" it replaces: past the limit, stop here. */
	if (b.len > COOKIE_MAX_HEADER_BYTES)
		goto out;
	if (cookie_parse(b.data, b.len, arena, &again, NULL) != ST_OK || again.count != jar.count)
		abort();
	for (i = 0; i < jar.count; i++)
		if (strcmp(again.items[i].name, jar.items[i].name) != 0 ||
		    strcmp(again.items[i].value, jar.items[i].value) != 0)
			abort();
out:
	buf_free(&b);
	arena_free(arena);
	return 0;
}
