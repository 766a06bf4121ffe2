/*
 * server/admin_page.h — keyset pagination of the admin list endpoints in
 * Hydra's shape: ?page_size=N&page_token=T in, a JSON array out with
 * X-Total-Count and an RFC 8288 Link rel="next" while more rows follow.
 * page_token is the base64url of the last key of the previous page
 * (opaque to clients).
 */
#ifndef SERVER_ADMIN_PAGE_H
#define SERVER_ADMIN_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/request.h"
#include "server/response.h"

#define ADMIN_PAGE_SIZE_DEFAULT 250
#define ADMIN_PAGE_SIZE_MAX     500

/*
 * Reads page_size and page_token. On a bad value fills res with a 400 and
 * returns false; *after_out is NULL for the first page.
 */
bool admin_page_params(struct request *req, struct response *res, size_t *size_out,
                       const char **after_out);

/*
 * Adds X-Total-Count and, when more rows follow, the Link to the next page
 * of path ("/admin/clients"), whose token is made from last_key.
 */
void admin_page_headers(struct request *req, struct response *res, const char *path, size_t size,
                        int64_t total, bool has_more, const char *last_key);

#endif
