/*
 * server/response.h — the response a handler fills in; http.c turns it into
 * a libmicrohttpd response and adds the security headers every response
 * carries (nosniff, no-referrer, frame DENY).
 *
 * Bodies live in the request arena (sent without a copy). Cache-Control is
 * "no-store" unless the handler calls response_cache_public().
 */
#ifndef SERVER_RESPONSE_H
#define SERVER_RESPONSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"

#define RESPONSE_MAX_HEADERS 12

struct response_header {
	const char *name;
	const char *value;
};

struct response {
	int status;
	const char *content_type;
	const char *body; /* arena; may be NULL for an empty body */
	size_t body_len;
	int64_t cache_max_age_secs; /* < 0: no-store (default); >= 0: public, max-age */
	struct response_header headers[RESPONSE_MAX_HEADERS];
	size_t nheaders;
	bool is_deferred; /* a durable write is pending (request_write) */
};

/* Resets res to an empty 200 with Cache-Control: no-store. */
void response_init(struct response *res);

/* Adds a header (strings must outlive the response: literals or arena). */
void response_header(struct response *res, const char *name, const char *value);

/*
 * json_dumps(j, flags) into the arena, NUL-terminated, *len (when not NULL)
 * its length: one copy, no heap string. NULL when j cannot be serialised.
 */
char *json_dump_arena(const json_t *j, size_t flags, struct arena *arena, size_t *len);

/*
 * JSON body: serialises body (STOLEN: the reference is released here) into
 * the arena with Content-Type application/json.
 */
void response_json(struct response *res, struct arena *arena, int status, json_t *body);

/* A body already serialised (copied into the arena). */
void response_raw(struct response *res, struct arena *arena, int status, const char *content_type,
                  const char *body, size_t len);

/* A body already serialised into the request's arena (not copied). */
void response_body(struct response *res, int status, const char *content_type, const char *body,
                   size_t len);

/* Marks the response cacheable: Cache-Control: public, max-age=<secs>. */
void response_cache_public(struct response *res, int64_t max_age_secs);

#endif
