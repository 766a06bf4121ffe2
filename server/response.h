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
	bool is_deferred;    /* a durable write is pending (request_write) */
	unsigned reuse_slot; /* response_reuse(); 0: built for this request only */
	uint64_t reuse_gen;
};

/* The answers that are the same for every request (response_reuse). */
enum response_reuse_slot {
	RESPONSE_REUSE_NONE = 0,
	RESPONSE_REUSE_DISCOVERY,
	RESPONSE_REUSE_JWKS,
	RESPONSE_REUSE_SLOTS
};

/* Resets res to an empty 200 with Cache-Control: no-store. */
void response_init(struct response *res);

/* Adds a header (strings must outlive the response: literals or arena). */
void response_header(struct response *res, const char *name, const char *value);

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

/*
 * Marks a finished response as the same for every request while gen stays
 * the same: http.c may keep the libmicrohttpd response it builds (body and
 * headers copied) and send it again for the next request with the same slot
 * and gen, instead of building it anew. Only for answers that depend on
 * nothing in the request; one with headers of its own (response_header) is
 * always built anew.
 */
void response_reuse(struct response *res, enum response_reuse_slot slot, uint64_t gen);

/* Marks the response cacheable: Cache-Control: public, max-age=<secs>. */
void response_cache_public(struct response *res, int64_t max_age_secs);

#endif
