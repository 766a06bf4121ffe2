/*
 * tests/fuzz/fuzz_authorize_request.c — the authorization request parser
 * and checks (server/authorize_request.c), driven the way the handler
 * drives them: form_parse, authorize_request_parse, the redirect_uri check,
 * then authorize_request_check against fixed client documents (a web
 * client and a native public one).
 *
 * Invariants checked (abort() on violation):
 *   - every refusal has a description of printable ASCII without '"' or '\';
 *   - must_not_redirect is set exactly for client_id / redirect_uri faults,
 *     and then no redirect is built; a redirect is built only for a
 *     redirect_uri that equals a registered one (or its loopback port
 *     variant, for the native client);
 *   - the redirect URL starts with the redirect_uri and decodes back to the
 *     same error and the same state, byte for byte;
 *   - the form post page holds no "<script" without a nonce, and no raw '<'
 *     or '"' coming from a value;
 *   - an accepted request has openid in its scope, a redirect_uri, and a
 *     code challenge when the client is public.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/authorize_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const docs[] = {
        "{\"redirect_uris\": [\"https://rp.example/cb\", \"https://rp.example/q?x=1\"],"
        " \"response_types\": [\"code\"], \"scope\": \"openid profile email\","
        " \"token_endpoint_auth_method\": \"client_secret_basic\", \"application_type\": \"web\"}",
        "{\"redirect_uris\": [\"http://127.0.0.1/cb\", \"http://[::1]/cb\", \"app.example:/cb\"],"
        " \"response_types\": [\"code\"], \"scope\": \"openid\","
        " \"token_endpoint_auth_method\": \"none\", \"application_type\": \"native\"}",
};

static void
check_description(const struct authorize_error *e)
{
	const char *p;

	for (p = e->description; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			abort();
}

static size_t
count_of(const char *s, const char *set)
{
	size_t n = 0;

	for (s = strpbrk(s, set); s != NULL; s = strpbrk(s + 1, set))
		n++;
	return n;
}

/* Escaped values add no markup: the page has the '<' and '"' of the same page with plain values. */
static void
check_form_post(struct arena *a, const char *redirect_uri, const struct form_param *p, size_t n)
{
	struct form_param plain[3];
	const char *page, *ref;
	size_t i;

	for (i = 0; i < n; i++) {
		plain[i].name = p[i].name;
		plain[i].value = "x";
	}
	page = authorize_form_post_html(a, redirect_uri, p, n, NULL);
	ref = authorize_form_post_html(a, "x", plain, n, NULL);
	if (strstr(page, "<script") != NULL || count_of(page, "<") != count_of(ref, "<") ||
	    count_of(page, "\"") != count_of(ref, "\"") ||
	    count_of(page, ">") != count_of(ref, ">"))
		abort();
}

/* The query or fragment of url, decoded; the error and state must come back unchanged. */
static void
check_redirect(struct arena *a, const struct authorize_request *r, const struct authorize_error *e)
{
	struct form_param out[3];
	struct form back;
	const char *url, *part, *v;
	size_t n;

	n = authorize_error_params(e, r->state, out);
	if (r->response_mode == AUTHORIZE_MODE_FORM_POST) {
		check_form_post(a, r->redirect_uri, out, n);
		return;
	}
	url = authorize_redirect_url(a, r->redirect_uri, r->response_mode, out, n);
	if (strncmp(url, r->redirect_uri, strlen(r->redirect_uri)) != 0)
		abort();
	part = url + strlen(r->redirect_uri);
	if (r->response_mode == AUTHORIZE_MODE_FRAGMENT) {
		if (*part != '#')
			abort();
		part++;
	} else {
		part = strchr(url, '?') + 1; /* the registered query is decoded along */
	}
	if (form_parse(part, strlen(part), a, &back, NULL) != ST_OK)
		abort();
	if (strcmp(form_get(&back, "error"), oauth_error_code(e->error)) != 0)
		abort();
	v = form_get(&back, "state");
	if ((r->state == NULL) != (v == NULL) || (v != NULL && strcmp(v, r->state) != 0))
		abort();
}

/* Independently of the module: registered verbatim, or (native) a loopback http URI. */
static bool
is_registered(const json_t *doc, const char *uri, bool is_native)
{
	const json_t *uris = json_object_get(doc, "redirect_uris");
	size_t i;

	for (i = 0; i < json_array_size(uris); i++)
		if (strcmp(json_string_value(json_array_get(uris, i)), uri) == 0)
			return true;
	return is_native &&
	       (strncmp(uri, "http://127.0.0.1", 16) == 0 || strncmp(uri, "http://[::1]", 12) == 0);
}

static void
run(struct arena *a, const struct form *f, const json_t *doc, bool is_native_public)
{
	struct authorize_request r;
	struct authorize_error e, e2;
	enum status st;

	memset(&e, 0, sizeof e);
	st = authorize_request_parse(f, a, &r, &e);
	if (st != ST_OK) {
		check_description(&e);
		if (e.must_not_redirect)
			return; /* an error page: nothing is built */
	}
	memset(&e2, 0, sizeof e2);
	if (authorize_redirect_uri_check(&r, doc, &e2) != ST_OK) {
		check_description(&e2);
		if (!e2.must_not_redirect)
			abort();
		return;
	}
	if (!is_registered(doc, r.redirect_uri, is_native_public))
		abort();
	if (st == ST_OK) {
		st = authorize_request_check(&r, doc, false, &e);
		if (st == ST_OK) {
			if (r.scope == NULL || strstr(r.scope, "openid") == NULL ||
			    (is_native_public && r.code_challenge == NULL))
				abort();
			e.error = OAUTH_ACCESS_DENIED; /* any error: exercise the encoder */
			strcpy(e.description, "denied");
		} else {
			check_description(&e);
			if (e.must_not_redirect)
				abort(); /* the redirect_uri passed already */
		}
	}
	check_redirect(a, &r, &e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	struct form f;
	json_t *doc;
	size_t i;

	if (form_parse((const char *)data, size, a, &f, NULL) == ST_OK) {
		for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
			doc = json_loads(docs[i], 0, NULL);
			if (doc == NULL)
				abort();
			run(a, &f, doc, i == 1);
			json_decref(doc);
		}
	}
	arena_free(a);
	return 0;
}
