/*
 * server/json_cache.h — json_loads with a per-thread memory of recent texts.
 *
 * A client's stored metadata is parsed on every request that reads the
 * client (each token request does), and jansson takes about 12 us for a client
 * document of 400 bytes; a deep copy of the parsed document takes 2 us. The
 * cache is keyed by the text itself, so it never goes stale: a changed row
 * is a different text.
 */
#ifndef SERVER_JSON_CACHE_H
#define SERVER_JSON_CACHE_H

#include <jansson.h>

/*
 * json_loads(text, 0, jerr), from this thread's cache when the same text was
 * parsed here recently. The document is the caller's own (a copy: changing
 * or releasing it does not touch the cache). NULL when text is not JSON.
 */
json_t *json_cache_loads(const char *text, json_error_t *jerr);

/*
 * The same without the copy: a new reference to the document the cache
 * keeps, so it must never be changed (json_object_set / del on it would
 * change what every later load of the same text returns on this thread).
 * Release it with json_decref. For read-only hot paths.
 */
json_t *json_cache_loads_shared(const char *text, json_error_t *jerr);

#endif
