/*
 * common/xalloc.h — allocation that cannot fail: out of memory aborts, so a
 * NULL never has to be handled by callers (the redis zmalloc habit).
 */
#ifndef COMMON_XALLOC_H
#define COMMON_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
