/*
 * server/admin_page.c — see admin_page.h.
 */
#include "server/admin_page.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/b64url.h"
#include "server/oauth_error.h"

bool
admin_page_params(struct request *req, struct response *res, size_t *size_out,
                  const char **after_out)
{
	const char *size_param = request_query(req, "page_size");
	const char *token = request_query(req, "page_token");
	unsigned char *raw;
	size_t len;
	long size = ADMIN_PAGE_SIZE_DEFAULT;

	if (size_param != NULL) {
		char *end;

		size = strtol(size_param, &end, 10);
		if (*end != '\0' || size < 1 || size > ADMIN_PAGE_SIZE_MAX) {
			oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
			            "page_size must be a number in 1..500");
			return false;
		}
	}
	*size_out = (size_t)size;
	*after_out = NULL;
	if (token == NULL || token[0] == '\0')
		return true;
	if (b64url_decode_arena(req->arena, token, strlen(token), &raw, &len, NULL) != ST_OK ||
	    len == 0 || memchr(raw, '\0', len) != NULL) {
		oauth_error(res, req->arena, OAUTH_INVALID_REQUEST, "page_token is malformed");
		return false;
	}
	*after_out = (const char *)raw;
	return true;
}

void
admin_page_headers(struct request *req, struct response *res, const char *path, size_t size,
                   int64_t total, bool has_more, const char *last_key)
{
	response_header(res, "X-Total-Count", arena_printf(req->arena, "%lld", (long long)total));
	if (has_more && last_key != NULL) {
		const char *token = b64url_encode_arena(req->arena, last_key, strlen(last_key));

		/* RFC 8288 Link, as Hydra paginates (its SDK reads rel="next"). */
		response_header(res, "Link",
		                arena_printf(req->arena,
		                             "<%s?page_size=%zu&page_token=%s>; rel=\"next\"", path,
		                             size, token));
	}
}
