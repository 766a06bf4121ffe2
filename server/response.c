/*
 * server/response.c — see response.h.
 */
#include "server/response.h"

#include <assert.h>
#include <string.h>

#include "server/json_write.h"

void
response_init(struct response *res)
{
	memset(res, 0, sizeof *res);
	res->status = 200;
	res->cache_max_age_secs = -1;
}

void
response_header(struct response *res, const char *name, const char *value)
{
	assert(res->nheaders < RESPONSE_MAX_HEADERS);
	if (res->nheaders == RESPONSE_MAX_HEADERS)
		return;
	res->headers[res->nheaders].name = name;
	res->headers[res->nheaders].value = value;
	res->nheaders++;
}

void
response_json(struct response *res, struct arena *arena, int status, json_t *body)
{
	size_t len = 0;
	char *text = json_write_compact(body, arena, &len);

	json_decref(body);
	res->status = status;
	res->content_type = "application/json; charset=utf-8";
	if (text == NULL) {
		/* Only a non-serialisable value (a programmer error) gets here. */
		res->status = 500;
		res->body = "{\"error\":\"server_error\"}";
		res->body_len = strlen(res->body);
		return;
	}
	res->body_len = len;
	res->body = text;
}

void
response_reuse(struct response *res, enum response_reuse_slot slot, uint64_t gen)
{
	res->reuse_slot = slot;
	res->reuse_gen = gen;
}

void
response_body(struct response *res, int status, const char *content_type, const char *body,
              size_t len)
{
	res->status = status;
	res->content_type = content_type;
	res->body = body;
	res->body_len = len;
}

void
response_raw(struct response *res, struct arena *arena, int status, const char *content_type,
             const char *body, size_t len)
{
	char *copy = arena_alloc(arena, len + 1);

	memcpy(copy, body, len);
	response_body(res, status, content_type, copy, len);
}

void
response_cache_public(struct response *res, int64_t max_age_secs)
{
	res->cache_max_age_secs = max_age_secs < 0 ? 0 : max_age_secs;
}
