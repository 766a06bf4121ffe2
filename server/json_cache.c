/*
 * server/json_cache.c — see json_cache.h.
 *
 * Each thread keeps JSON_CACHE_ENTRIES (text, document) pairs, replaced
 * round-robin; texts over JSON_CACHE_MAX_TEXT bytes are parsed and not kept.
 * A thread's entries are freed when it exits (pthread key destructor), so
 * worker threads that stop with the server leave nothing behind.
 */
#include "server/json_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define JSON_CACHE_ENTRIES  16
#define JSON_CACHE_MAX_TEXT 16384

struct json_cache_entry {
	char *text; /* NULL: unused */
	size_t len;
	json_t *doc;
};

struct json_cache {
	struct json_cache_entry e[JSON_CACHE_ENTRIES];
	unsigned next; /* the entry replaced next */
	bool is_keyed; /* registered for the free at thread exit */
};

static _Thread_local struct json_cache cache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void
cache_thread_exit(void *arg)
{
	struct json_cache *c = arg;
	size_t i;

	for (i = 0; i < JSON_CACHE_ENTRIES; i++) {
		free(c->e[i].text);
		json_decref(c->e[i].doc);
		c->e[i] = (struct json_cache_entry){0};
	}
}

static void
cache_key_create(void)
{
	(void)pthread_key_create(&cache_key, cache_thread_exit);
}

/*
 * The cached document for text (parsed and remembered on a miss), a new
 * reference; NULL when text is not JSON. A text too long to keep, or a
 * thread whose entries nothing could free, gets a document of its own
 * (*is_kept false).
 */
static json_t *
cached(const char *text, json_error_t *jerr, bool *is_kept)
{
	size_t len = strlen(text), i;
	struct json_cache_entry *slot;
	json_t *doc;

	for (i = 0; i < JSON_CACHE_ENTRIES; i++) {
		const struct json_cache_entry *e = &cache.e[i];

		if (e->text != NULL && e->len == len && memcmp(e->text, text, len) == 0) {
			*is_kept = true;
			return json_incref(e->doc);
		}
	}
	*is_kept = false;
	doc = json_loads(text, 0, jerr);
	if (doc == NULL || len > JSON_CACHE_MAX_TEXT)
		return doc;
	if (!cache.is_keyed) {
		pthread_once(&cache_once, cache_key_create);
		cache.is_keyed = pthread_setspecific(cache_key, &cache) == 0;
		if (!cache.is_keyed)
			return doc; /* nothing could free the entries */
	}
	slot = &cache.e[cache.next];
	cache.next = (cache.next + 1) % JSON_CACHE_ENTRIES;
	free(slot->text);
	json_decref(slot->doc);
	slot->text = xmalloc(len + 1);
	memcpy(slot->text, text, len + 1);
	slot->len = len;
	slot->doc = json_incref(doc);
	*is_kept = true;
	return doc;
}

json_t *
json_cache_loads(const char *text, json_error_t *jerr)
{
	bool is_kept;
	json_t *shared = cached(text, jerr, &is_kept), *own;

	if (shared == NULL || !is_kept)
		return shared; /* NULL, or a document nothing else holds */
	own = json_deep_copy(shared);
	json_decref(shared);
	return own;
}

json_t *
json_cache_loads_shared(const char *text, json_error_t *jerr)
{
	bool is_kept;

	return cached(text, jerr, &is_kept);
}
