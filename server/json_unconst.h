/*
 * server/json_unconst.h — a const jansson value as jansson's iteration API
 * wants it.
 *
 * json_object_iter, json_object_foreach and their kin take json_t * although
 * they only read; code that holds a const json_t * (a borrowed document it
 * must not change) calls them through json_unconst. The union drops the
 * qualifier without a cast, which -Wcast-qual would refuse.
 */
#ifndef SERVER_JSON_UNCONST_H
#define SERVER_JSON_UNCONST_H

#include <jansson.h>

static inline json_t *
json_unconst(const json_t *j)
{
	union {
		const json_t *c;
		json_t *m;
	} u = {.c = j};

	return u.m;
}

#endif
