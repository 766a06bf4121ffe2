/*
 * common/arena.c — a list of chunks; large requests get their own chunk.
 */
#include "common/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define ARENA_CHUNK_BYTES 8192
#define ARENA_ALIGN       16

struct chunk {
	struct chunk *next;
	size_t used;
	size_t cap;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

/*
 * The arena and its first chunk are one allocation: most requests never
 * need a second one.
 */
struct arena {
	struct chunk *head;
	struct chunk *first; /* inside the arena's own allocation */
};

/* Where the first chunk starts in the arena's allocation (malloc aligns to 16). */
#define ARENA_FIRST_OFFSET ((sizeof(struct arena) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

struct arena *
arena_new(void)
{
	char *block = xmalloc(ARENA_FIRST_OFFSET + sizeof(struct chunk) + ARENA_CHUNK_BYTES);
	struct arena *a = (struct arena *)(void *)block;

	a->first = (struct chunk *)(void *)(block + ARENA_FIRST_OFFSET);
	a->first->next = NULL;
	a->first->used = 0;
	a->first->cap = ARENA_CHUNK_BYTES;
	a->head = a->first;
	return a;
}

void
arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		if (c != a->first)
			free(c);
	}
	free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need == 0)
		need = ARENA_ALIGN;
	if (c == NULL || c->cap - c->used < need) {
		size_t cap = need > ARENA_CHUNK_BYTES ? need : ARENA_CHUNK_BYTES;

		c = xmalloc(sizeof(struct chunk) + cap);
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *
arena_memdup(struct arena *a, const void *p, size_t n)
{
	void *q = arena_alloc(a, n);

	if (n > 0)
		memcpy(q, p, n);
	return q;
}

char *
arena_concat(struct arena *a, const char *s1, const char *s2)
{
	char *p = arena_alloc(a, strlen(s1) + strlen(s2) + 1);

	stpcpy(stpcpy(p, s1), s2);
	return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof small)
		return arena_strndup(a, small, (size_t)n);
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
