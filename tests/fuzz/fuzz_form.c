/*
 * tests/fuzz/fuzz_form.c — the query/form decoder (server/form.c).
 *
 * Invariants checked on every input that decodes: no more than
 * FORM_MAX_PARAMS parameters, no empty and no repeated names, and
 * re-encoding the parameters then decoding again gives the same list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "server/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_putc(b, (char)c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *arena = arena_new();
	struct form f, again;
	struct buf b = {0};
	size_t i, j;

	if (form_parse((const char *)data, size, arena, &f, NULL) == ST_OK) {
		if (f.count > FORM_MAX_PARAMS)
			abort();
		for (i = 0; i < f.count; i++) {
			if (f.params[i].name[0] == '\0')
				abort();
			for (j = 0; j < i; j++)
				if (strcmp(f.params[i].name, f.params[j].name) == 0)
					abort();
			if (i > 0)
				buf_putc(&b, '&');
			encode(&b, f.params[i].name);
			buf_putc(&b, '=');
			encode(&b, f.params[i].value);
		}
		if (form_parse(b.data != NULL ? b.data : "", b.len, arena, &again, NULL) != ST_OK ||
		    again.count != f.count)
			abort();
		for (i = 0; i < f.count; i++)
			if (strcmp(again.params[i].name, f.params[i].name) != 0 ||
			    strcmp(again.params[i].value, f.params[i].value) != 0)
				abort();
	}
	buf_free(&b);
	arena_free(arena);
	return 0;
}
