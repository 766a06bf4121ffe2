/*
 * server/router.c — route matching and the 404/405/415/500 answers.
 * See router.h. The tables are small, so matching is a linear scan.
 */
#include "server/router.h"

#include <string.h>
#include <strings.h>

#include "crypto/secret.h"
#include "server/oauth_error.h"
#include "server/secrets.h"

/*
 * Matches path against pattern segment by segment. "{...}" segments capture
 * one non-empty raw segment into raw[] (pointer + length).
 */
static bool
match(const char *pattern, const char *path, const char **raw, size_t *raw_len, size_t *nraw)
{
	*nraw = 0;
	for (;;) {
		if (*pattern == '{') {
			const char *end = strchr(path, '/');
			size_t len = end != NULL ? (size_t)(end - path) : strlen(path);

			if (len == 0 || *nraw == REQUEST_MAX_PARAMS)
				return false;
			raw[*nraw] = path;
			raw_len[*nraw] = len;
			(*nraw)++;
			path += len;
			pattern = strchr(pattern, '}') + 1;
			continue;
		}
		if (*pattern == '\0' || *path == '\0')
			return *pattern == *path;
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
}

static const char *
allow_header(struct arena *arena, unsigned methods)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
	        {HTTP_GET,     "GET"    },
                {HTTP_HEAD,    "HEAD"   },
                {HTTP_POST,    "POST"   },
	        {HTTP_PUT,     "PUT"    },
                {HTTP_DELETE,  "DELETE" },
                {HTTP_PATCH,   "PATCH"  },
	        {HTTP_OPTIONS, "OPTIONS"},
	};
	char out[64] = "";
	size_t i, n = 0;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if ((methods & names[i].bit) == 0)
			continue;
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", n > 0 ? ", " : "",
		                      names[i].name);
	}
	return arena_strdup(arena, out);
}

static bool
is_form_body(const struct request *req)
{
	const char *ct = req->content_type;
	size_t n = strlen("application/x-www-form-urlencoded");

	return ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* admin.token (when set) compared through keyed hashes, in constant time. */
static bool
is_admin_authorized(const struct app *app, const struct request *req)
{
	unsigned char want[DIGEST_SHA256_BYTES];
	const char *token;
	bool ok;

	if (app == NULL || app->cfg->admin_token == NULL || app->cfg->admin_token[0] == '\0')
		return true;
	token = request_bearer(req);
	if (token == NULL)
		return false;
	secrets_token_hash(app->cfg, app->cfg->admin_token, want);
	ok = secrets_token_matches(app->cfg, token, want);
	secret_wipe(want, sizeof want);
	return ok;
}

const struct route *
router_find_path(const struct route *table, size_t count, const char *path)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(table[i].path, path) == 0)
			return &table[i];
	return NULL;
}

void
router_dispatch(const struct app *app, const struct route *table, size_t count, struct request *req,
                struct response *res)
{
	const char *raw[REQUEST_MAX_PARAMS];
	size_t raw_len[REQUEST_MAX_PARAMS], nraw, i, j;
	unsigned allowed = 0;
	const struct route *route = NULL;
	enum status st;

	response_init(res);
	for (i = 0; i < count && route == NULL; i++) {
		if (!match(table[i].path, req->path, raw, raw_len, &nraw))
			continue;
		allowed |= table[i].methods;
		if ((table[i].methods & req->method) == 0)
			continue;
		route = &table[i];
		req->route = route;
		for (j = 0; j < nraw; j++) {
			char *decoded;

			if (form_unescape(raw[j], raw_len[j], 0, req->arena, &decoded, NULL) !=
			    ST_OK) {
				oauth_error(res, req->arena, OAUTH_INVALID_REQUEST,
				            "malformed path segment");
				return;
			}
			req->params[j] = decoded;
		}
		req->nparams = nraw;
	}
	if (route == NULL && allowed == 0) {
		oauth_error(res, req->arena, OAUTH_NOT_FOUND, NULL);
		return;
	}
	if (route == NULL) {
		oauth_error(res, req->arena, OAUTH_METHOD_NOT_ALLOWED, NULL);
		response_header(res, "Allow", allow_header(req->arena, allowed));
		return;
	}
	if ((route->flags & ROUTE_FORM_BODY) && req->body_len > 0 && !is_form_body(req)) {
		oauth_error(res, req->arena, OAUTH_UNSUPPORTED_MEDIA_TYPE,
		            "the body must be application/x-www-form-urlencoded");
		return;
	}

	if ((route->flags & ROUTE_ADMIN_AUTH) && !is_admin_authorized(app, req)) {
		oauth_error(res, req->arena, OAUTH_INVALID_TOKEN,
		            "the admin API needs Authorization: Bearer <admin.token>");
		response_header(res, "WWW-Authenticate", "Bearer realm=\"oidcd-admin\"");
		return;
	}
	err_clear(&req->err);
	st = route->handler(app, req, res);
	/* A write that already finished (no writer thread) continues at once;
	 * otherwise http.c suspends the connection and dispatches again. */
	while (st == ST_OK && res->is_deferred && req->is_write_done) {
		response_init(res);
		st = route->handler(app, req, res);
	}
	if (st != ST_OK) {
		/* The client learns nothing more than "server error" (STYLE B3.6). */
		log_event(LOG_ERROR, req->id, req->err.func, req->err.msg,
		          (struct log_field[]){LOG_STR("status", status_str(st)),
		                               LOG_NUM("line", req->err.line),
		                               LOG_STR("path", req->path)},
		          3);
		response_init(res);
		oauth_error(res, req->arena, OAUTH_SERVER_ERROR, NULL);
	}
}
