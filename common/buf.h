/*
 * common/buf.h — growable byte/string buffer, always NUL-terminated.
 * Heap-owned: buf_free() releases it (or buf_steal() hands the bytes over).
 */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
};

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the heap string (caller frees) and resets b; never NULL. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
