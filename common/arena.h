/*
 * common/arena.h — bump allocator for request-lifetime memory.
 *
 * Everything a request allocates lives in its arena and is released by one
 * arena_free() at completion. Allocation cannot fail (OOM aborts). Arena
 * memory is NOT wiped: never put secrets in it (STYLE B5).
 */
#ifndef COMMON_ARENA_H
#define COMMON_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a); /* NULL is a no-op */

/* n bytes aligned for any type; zeroed. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void *arena_memdup(struct arena *a, const void *p, size_t n);
/* a then b, one string in the arena (arena_printf("%s%s") without the format). */
char *arena_concat(struct arena *a, const char *s1, const char *s2);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
