/*
 * tests/fuzz/fuzz_logout_request.c — the RP-Initiated Logout parameters
 * (server/logout_request.c), driven the way handle_logout drives them:
 * form_parse of the query, logout_request_parse, the exact-match check of
 * post_logout_redirect_uri against a fixed client document, the redirect
 * URL, the front-channel URL and page, and the audiences of a hint whose
 * payload is the id_token_hint value read as JSON.
 *
 * Invariants checked (abort() on violation):
 *   - an accepted request has every field NULL or non-empty, within its
 *     size limit, and equal to the decoded parameter;
 *   - a URI counts as registered only when it equals a registered one byte
 *     for byte; the redirect URL starts with it and its state decodes back
 *     to the same bytes; without state it is the URI itself;
 *   - the front-channel URL starts with the registered URI and carries iss
 *     and sid back unchanged;
 *   - the logged-out page has exactly one script and one iframe per frame,
 *     and its CSP has exactly the fixed directives (no value adds one);
 *   - audiences, when accepted, are non-empty lists of strings.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "server/form.h"
#include "server/logout_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char doc_text[] = "{\"post_logout_redirect_uris\": [\"https://rp.example/bye\","
                               " \"https://rp.example/q?x=1\", \"http://127.0.0.1:8080/out\"]}";

static void
check_field(const struct form *f, const char *name, const char *v, size_t max)
{
	const char *raw = form_get(f, name);

	if (v == NULL) {
		if (raw != NULL && raw[0] != '\0')
			abort();
		return;
	}
	if (v[0] == '\0' || strlen(v) > max || raw == NULL || strcmp(raw, v) != 0)
		abort();
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	for (s = strstr(s, needle); s != NULL; s = strstr(s + 1, needle))
		n++;
	return n;
}

/* The value of name in the query that follows uri in url. */
static const char *
param_after(struct arena *a, const char *url, const char *uri, const char *name)
{
	const char *q = url + strlen(uri);
	struct form f;
	struct err err;

	if (*q != '?' && *q != '&')
		abort();
	/* The URI's own query (if any) is part of what parses here too. */
	q = strchr(url, '?');
	if (form_parse(q + 1, strlen(q + 1), a, &f, &err) != ST_OK)
		return NULL;
	return form_get(&f, name);
}

static void
check_redirect(struct arena *a, const json_t *doc, const struct logout_request *r)
{
	const char *uri = r->post_logout_redirect_uri;
	bool registered = false;
	const json_t *v;
	size_t i;
	char *url;

	json_array_foreach(json_object_get(doc, "post_logout_redirect_uris"), i, v)
	{
		if (uri != NULL && strcmp(json_string_value(v), uri) == 0)
			registered = true;
	}
	if (logout_redirect_uri_is_registered(doc, uri) != registered)
		abort();
	if (!registered)
		return;
	url = logout_redirect_url(a, uri, r->state);
	if (strncmp(url, uri, strlen(uri)) != 0)
		abort();
	if (r->state == NULL) {
		if (strcmp(url, uri) != 0)
			abort();
	} else {
		const char *back = param_after(a, url, uri, "state");

		if (back == NULL || strcmp(back, r->state) != 0)
			abort();
	}
	url = logout_frontchannel_url(a, uri, "https://op.example",
	                              r->state != NULL ? r->state : "s");
	if (strncmp(url, uri, strlen(uri)) != 0)
		abort();
	{
		const char *iss = param_after(a, url, uri, "iss");
		const char *sid = param_after(a, url, uri, "sid");

		if (iss == NULL || strcmp(iss, "https://op.example") != 0 || sid == NULL ||
		    strcmp(sid, r->state != NULL ? r->state : "s") != 0)
			abort();
	}
}

static void
check_page(struct arena *a, const struct logout_request *r)
{
	const char *frames[2];
	size_t n = 0;
	const char *target = r->post_logout_redirect_uri != NULL ? r->post_logout_redirect_uri : "";
	char *html, *csp;

	if (r->state != NULL)
		frames[n++] = r->state;
	if (r->client_id != NULL)
		frames[n++] = r->client_id;
	html = logout_page_html(a, target, frames, n, "00112233445566778899aabbccddeeff");
	if (count(html, "<script") != 1 || count(html, "<iframe") != n)
		abort();
	csp = logout_page_csp(a, frames, n, "00112233445566778899aabbccddeeff");
	/* default, style, img, form-action, frame-ancestors, base-uri, script[, frame-src]. */
	if (count(csp, ";") != (n > 0 ? 7u : 6u))
		abort();
}

static void
check_audiences(struct arena *a, const struct logout_request *r)
{
	json_t *claims;
	const char **auds;
	size_t n, i;

	if (r->id_token_hint == NULL)
		return;
	claims = json_loads(r->id_token_hint, JSON_REJECT_DUPLICATES, NULL);
	if (claims == NULL)
		return;
	if (logout_hint_audiences(claims, a, &auds, &n) == ST_OK) {
		if (n == 0)
			abort();
		for (i = 0; i < n; i++)
			if (auds[i] == NULL)
				abort();
	}
	json_decref(claims);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	json_t *doc = json_loads(doc_text, 0, NULL);
	struct logout_request r;
	struct form f;
	struct err err;
	char why[160];

	if (doc == NULL)
		abort();
	if (form_parse((const char *)data, size, a, &f, &err) != ST_OK)
		goto out;
	if (logout_request_parse(&f, &r, why, sizeof why) != ST_OK) {
		if (why[0] == '\0')
			abort();
		goto out;
	}
	check_field(&f, "id_token_hint", r.id_token_hint, LOGOUT_MAX_HINT_BYTES);
	check_field(&f, "post_logout_redirect_uri", r.post_logout_redirect_uri,
	            LOGOUT_MAX_URI_BYTES);
	check_field(&f, "state", r.state, LOGOUT_MAX_STATE_BYTES);
	check_field(&f, "client_id", r.client_id, LOGOUT_MAX_ID_BYTES);
	check_field(&f, "logout_hint", r.logout_hint, LOGOUT_MAX_OTHER_BYTES);
	check_field(&f, "ui_locales", r.ui_locales, LOGOUT_MAX_OTHER_BYTES);
	check_redirect(a, doc, &r);
	check_page(a, &r);
	check_audiences(a, &r);
out:
	json_decref(doc);
	arena_free(a);
	return 0;
}
