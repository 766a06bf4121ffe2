/*
 * server/json_write.h — compact JSON text of a jansson document, written
 * straight into an arena.
 *
 * The text is byte for byte what json_dumps(j, JSON_COMPACT) gives (jansson
 * 2.14: members in insertion order, "\uXXXX" escapes in upper case for
 * control characters, UTF-8 passed through), without jansson's callback per
 * fragment, its growing heap buffer and the copy out of it: a client
 * document is written on every registration, an answer on every JSON
 * request. Documents it does not write itself (reals, nesting deeper than
 * JSON_WRITE_MAX_DEPTH, keys that are not UTF-8) go to json_dumpb, so the
 * result is always jansson's. fuzz_json_write compares the two.
 */
#ifndef SERVER_JSON_WRITE_H
#define SERVER_JSON_WRITE_H

#include <jansson.h>
#include <stddef.h>

#include "common/arena.h"

#define JSON_WRITE_MAX_DEPTH 64

/*
 * The compact text of j (an object or an array), NUL-terminated, in the
 * arena; *len (when not NULL) its length. NULL when jansson would not
 * serialise it (a scalar at the top, a string that is not UTF-8).
 */
char *json_write_compact(const json_t *j, struct arena *arena, size_t *len);

#endif
