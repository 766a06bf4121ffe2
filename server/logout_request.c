/*
 * server/logout_request.c — RP-Initiated Logout request parameters and the
 * pure decisions about them (see logout_request.h).
 *
 * API: logout_request_parse, logout_redirect_uri_is_registered,
 * logout_redirect_url, logout_frontchannel_url, logout_hint_audiences,
 * logout_page_html, logout_page_csp.
 * Invariants: nothing here trusts a parameter: sizes are bounded before
 * anything else looks at them, and a redirect target is only ever built
 * from a URI that is registered for the client (the caller asks
 * logout_redirect_uri_is_registered first).
 */
#include "server/logout_request.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "server/authorize_request.h"
#include "server/page.h"
#include "server/uri.h"

/* A parameter's value, NULL when absent or empty. */
static const char *
get(const struct form *params, const char *name)
{
	const char *v = form_get(params, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static bool
too_long(const char *v, size_t max)
{
	return v != NULL && strnlen(v, max + 1) > max;
}

static bool
is_printable(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e)
			return false;
	return true;
}

enum status
logout_request_parse(const struct form *params, struct logout_request *out, char *why,
                     size_t why_len)
{
	static const struct {
		const char *name;
		size_t offset;
		size_t max;
	} fields[] = {
	        {"id_token_hint",            offsetof(struct logout_request, id_token_hint),
	         LOGOUT_MAX_HINT_BYTES	                                                                                },
	        {"post_logout_redirect_uri",
	         offsetof(struct logout_request,                             post_logout_redirect_uri), LOGOUT_MAX_URI_BYTES  },
	        {"state",                    offsetof(struct logout_request, state),                    LOGOUT_MAX_STATE_BYTES},
	        {"client_id",                offsetof(struct logout_request, client_id),                LOGOUT_MAX_ID_BYTES   },
	        {"logout_hint",              offsetof(struct logout_request, logout_hint),
	         LOGOUT_MAX_OTHER_BYTES	                                                                               },
	        {"ui_locales",               offsetof(struct logout_request, ui_locales),               LOGOUT_MAX_OTHER_BYTES},
	};
	struct logout_request r;
	size_t i;

	memset(&r, 0, sizeof r);
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *v = get(params, fields[i].name);

		if (too_long(v, fields[i].max)) {
			snprintf(why, why_len, "%s is longer than %zu bytes", fields[i].name,
			         fields[i].max);
			return ST_INVALID;
		}
		memcpy((char *)&r + fields[i].offset, &v, sizeof v);
	}
	if (r.client_id != NULL && !is_printable(r.client_id)) {
		snprintf(why, why_len, "client_id is not printable ASCII");
		return ST_INVALID;
	}
	*out = r;
	return ST_OK;
}

bool
logout_redirect_uri_is_registered(const json_t *client_doc, const char *uri)
{
	const json_t *list = json_object_get(client_doc, "post_logout_redirect_uris");
	const json_t *v;
	size_t i;

	if (uri == NULL)
		return false;
	json_array_foreach(list, i, v)
	{
		/* RP-Initiated Logout §3: simple string comparison (RFC 3986 §6.2.1). */
		if (json_is_string(v) && strcmp(json_string_value(v), uri) == 0)
			return true;
	}
	return false;
}

char *
logout_redirect_url(struct arena *arena, const char *uri, const char *state)
{
	struct form_param p = {"state", state};

	return authorize_redirect_url(arena, uri, AUTHORIZE_MODE_QUERY, &p, state != NULL ? 1 : 0);
}

char *
logout_frontchannel_url(struct arena *arena, const char *uri, const char *iss, const char *sid)
{
	struct form_param p[2] = {
	        {"iss", iss},
                {"sid", sid}
        };

	return authorize_redirect_url(arena, uri, AUTHORIZE_MODE_QUERY, p, 2);
}

enum status
logout_hint_audiences(const json_t *claims, struct arena *arena, const char ***out,
                      size_t *count_out)
{
	const json_t *aud = json_object_get(claims, "aud"), *v;
	const char **list;
	size_t i, n;

	if (json_is_string(aud)) {
		list = arena_alloc(arena, sizeof *list);
		list[0] = json_string_value(aud);
		*out = list;
		*count_out = 1;
		return ST_OK;
	}
	n = json_array_size(aud);
	if (!json_is_array(aud) || n == 0 || n > 64)
		return ST_INVALID;
	list = arena_alloc(arena, n * sizeof *list);
	json_array_foreach(aud, i, v)
	{
		if (!json_is_string(v))
			return ST_INVALID;
		list[i] = json_string_value(v);
	}
	*out = list;
	*count_out = n;
	return ST_OK;
}

static void
put_html(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_putc(b, *s);
			break;
		}
	}
}

/* Goes on once every iframe fired load (the RPs cleared their sessions), or after 5 s. */
static const char continue_script[] =
        "(function () {\n"
        "var a = document.getElementById('continue');\n"
        "var f = document.getElementsByTagName('iframe'), n = f.length, done = 0, gone = false;\n"
        "function go() { if (!gone) { gone = true; location.replace(a.href); } }\n"
        "function one() { if (++done >= n) setTimeout(go, 200); }\n"
        "for (var i = 0; i < n; i++) f[i].addEventListener('load', one);\n"
        "if (n === 0) go();\n"
        "setTimeout(go, 5000);\n"
        "})();\n";

char *
logout_page_html(struct arena *arena, const char *target, const char *const *frames, size_t nframes,
                 const char *script_nonce)
{
	struct buf b = {0};
	char *page;
	size_t i;

	buf_puts(&b,
	         "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	         "<meta name=\"referrer\" content=\"no-referrer\">\n"
	         "<title>Signed out</title>\n<link rel=\"stylesheet\" href=\"" PAGE_STYLESHEET_PATH
	         "\">\n</head>\n<body>\n<main>\n<h1>You are signed out</h1>\n"
	         "<p>Signing you out of the applications you used.</p>\n"
	         "<p><a id=\"continue\" href=\"");
	put_html(&b, target);
	buf_puts(&b, "\">Continue</a></p>\n");
	for (i = 0; i < nframes; i++) {
		buf_puts(&b, "<iframe hidden title=\"sign-out\" src=\"");
		put_html(&b, frames[i]);
		buf_puts(&b, "\"></iframe>\n");
	}
	buf_puts(&b, "<script nonce=\"");
	put_html(&b, script_nonce);
	buf_puts(&b, "\">\n");
	buf_puts(&b, continue_script);
	buf_puts(&b, "</script>\n</main>\n</body>\n</html>\n");
	page = arena_strdup(arena, b.data);
	buf_free(&b);
	return page;
}

char *
logout_page_csp(struct arena *arena, const char *const *frames, size_t nframes,
                const char *script_nonce)
{
	struct buf b = {0};
	struct err err;
	struct uri u;
	const char *origin;
	size_t i;
	char *csp;

	buf_puts(&b, "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none';"
	             " frame-ancestors 'none'; base-uri 'none'; script-src 'nonce-");
	buf_puts(&b, script_nonce);
	buf_puts(&b, "'");
	if (nframes > 0) {
		buf_puts(&b, "; frame-src");
		for (i = 0; i < nframes; i++) {
			if (uri_parse(frames[i], arena, &u, &err) != ST_OK ||
			    (strcmp(u.scheme, "https") != 0 && strcmp(u.scheme, "http") != 0))
				continue;
			origin = uri_origin(&u, arena);
			/* A reg-name may hold sub-delims: never let one end the directive. */
			if (strpbrk(origin, ";, '\"") != NULL)
				continue;
			buf_putc(&b, ' ');
			buf_puts(&b, origin);
		}
	}
	csp = arena_strdup(arena, b.data);
	buf_free(&b);
	return csp;
}
