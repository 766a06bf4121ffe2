/*
 * server/cors.c — per-client CORS (see cors.h).
 */
#include "server/cors.h"

#include <string.h>

void
cors_allow_origin(const struct request *req, struct response *res, const json_t *client_doc)
{
	const char *origin = request_header(req, "Origin");
	const json_t *v;
	size_t i;

	if (origin == NULL || client_doc == NULL)
		return;
	json_array_foreach(json_object_get(client_doc, "allowed_cors_origins"), i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), origin) == 0) {
			response_header(res, "Access-Control-Allow-Origin", origin);
			response_header(res, "Vary", "Origin");
			return;
		}
	}
}
