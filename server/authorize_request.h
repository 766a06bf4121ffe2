/*
 * server/authorize_request.h — the parameters of an authorization request
 * (GET|POST /oauth2/auth; RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636
 * §4.3) parsed and validated into a struct, and the two ways a response
 * goes back to the client (RFC 6749 §4.1.2 query, OAuth 2.0 Multiple
 * Response Types §5 fragment, OAuth 2.0 Form Post Response Mode). Pure: no
 * I/O, no storage, no HTTP.
 *
 * Validation has two steps, because an error found before the client and
 * its redirect_uri are known must never be redirected (RFC 6749 §4.1.2.1):
 *
 *   st = authorize_request_parse(form, arena, &r, &e);       syntax only
 *   if (st != ST_OK && e.must_not_redirect)   -> error page
 *   load the client named r.client_id         -> error page when unknown
 *   if (authorize_redirect_uri_check(&r, doc, &e2) != ST_OK) -> error page
 *   if (st != ST_OK)                          -> redirect e to r.redirect_uri
 *   if (authorize_request_check(&r, doc, pkce_enforced, &e) != ST_OK)
 *                                             -> redirect (or page if must_not_redirect)
 *
 * An error is redirected with authorize_error_params() and either
 * authorize_redirect_url() or authorize_form_post_html(), per r.response_mode.
 */
#ifndef SERVER_AUTHORIZE_REQUEST_H
#define SERVER_AUTHORIZE_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "server/form.h"
#include "server/oauth_error.h"

/* The words of response_type, as a set (RFC 6749 §3.1.1: their order does not matter). */
#define AUTHORIZE_RT_CODE     (1u << 0)
#define AUTHORIZE_RT_TOKEN    (1u << 1)
#define AUTHORIZE_RT_ID_TOKEN (1u << 2)

/* prompt values (OIDC Core §3.1.2.1), as a set. */
#define AUTHORIZE_PROMPT_NONE           (1u << 0)
#define AUTHORIZE_PROMPT_LOGIN          (1u << 1)
#define AUTHORIZE_PROMPT_CONSENT        (1u << 2)
#define AUTHORIZE_PROMPT_SELECT_ACCOUNT (1u << 3)

enum authorize_response_mode {
	AUTHORIZE_MODE_QUERY = 0, /* RFC 6749 §4.1.2; default for "code" */
	AUTHORIZE_MODE_FRAGMENT,  /* default when token or id_token is asked for */
	AUTHORIZE_MODE_FORM_POST, /* OAuth 2.0 Form Post Response Mode */
};

/*
 * A parsed request. Strings point into the form or the arena; NULL when the
 * parameter is absent or empty (RFC 6749 §3.1: an empty value is an
 * omitted parameter).
 */
struct authorize_request {
	unsigned response_types;   /* AUTHORIZE_RT_* set; 0 when absent */
	const char *response_type; /* canonical spelling ("code id_token") or NULL */
	const char *client_id;
	const char *redirect_uri;  /* as sent (compared byte for byte) */
	const char *scope;         /* tokens joined by one space, repeats dropped */
	const char *const *scopes; /* the same tokens, in request order */
	size_t scopes_count;
	const char *state; /* echoed byte for byte */
	const char *nonce;
	enum authorize_response_mode response_mode; /* sent, or the response type's default */
	const char *code_challenge;                 /* RFC 7636 §4.2 syntax checked */
	const char *code_challenge_method;          /* "S256" whenever code_challenge is set */
	unsigned prompt;                            /* AUTHORIZE_PROMPT_* set */
	int64_t max_age_secs;                       /* -1 when absent */
	const char *id_token_hint;                  /* not verified here */
	const char *login_hint;
	const char *acr_values;
	const char *display; /* page, popup, touch or wap */
	const char *ui_locales;
	const char *claims_locales;
	const char *claims; /* raw JSON text, checked to be an object (OIDC Core §5.5) */
	/* http on the IP literal 127.x.x.x or [::1]: a native client may vary the port (RFC 8252
	 * §7.3) */
	bool is_redirect_uri_loopback_flex;
};

/* Why a request was refused. description is printable ASCII without '"' or '\'. */
struct authorize_error {
	enum oauth_error error;
	char description[200];
	/* RFC 6749 §4.1.2.1: client_id or redirect_uri is at fault; show a page, never redirect */
	bool must_not_redirect;
};

/*
 * Syntax of the parameters in params (a form already free of repeated
 * names; form_parse() refuses those, and its failure is an error page).
 * Unknown parameters are ignored. ST_OK with *out filled, or ST_INVALID
 * with *e filled. Unlike the usual rule, on ST_INVALID without
 * e->must_not_redirect, out->client_id, redirect_uri, state and
 * response_mode are still set so the error can be redirected once the
 * redirect_uri is checked against the client; the other members are then
 * unspecified. Strings live in params' memory or the arena.
 */
enum status authorize_request_parse(const struct form *params, struct arena *arena,
                                    struct authorize_request *out, struct authorize_error *e);

/*
 * RFC 6749 §3.1.2.3, OIDC Core §3.1.2.1: r->redirect_uri equals one of the
 * client's redirect_uris byte for byte; for a native client, an http
 * loopback IP literal URI may differ from a registered one in its port only
 * (RFC 8252 §7.3). client_doc (borrowed) is the stored client document.
 * ST_INVALID with e->must_not_redirect set otherwise.
 */
enum status authorize_redirect_uri_check(const struct authorize_request *r,
                                         const json_t *client_doc, struct authorize_error *e);

/*
 * The request against its client (client_doc borrowed): the redirect_uri
 * (as above), the response type (supported and registered), the scopes
 * (openid present, each one allowed to the client), and PKCE (required
 * for public clients, i.e. token_endpoint_auth_method "none", and for all
 * clients when is_pkce_enforced). ST_OK, or ST_INVALID with *e filled.
 */
enum status authorize_request_check(const struct authorize_request *r, const json_t *client_doc,
                                    bool is_pkce_enforced, struct authorize_error *e);

/*
 * The parameters of an error response (RFC 6749 §4.1.2.1): error,
 * error_description and state (when state is non-NULL), written to out;
 * returns how many. The strings are borrowed from e and state.
 */
size_t authorize_error_params(const struct authorize_error *e, const char *state,
                              struct form_param out[3]);

/*
 * redirect_uri with params added (entries whose value is NULL are skipped),
 * each name and value percent-encoded (RFC 3986 unreserved characters kept,
 * every other byte %XX). AUTHORIZE_MODE_QUERY appends to the query the URI
 * may already have (RFC 6749 §3.1.2); AUTHORIZE_MODE_FRAGMENT appends a
 * fragment (redirect URIs carry none, RFC 6749 §3.1.2). mode must not be
 * AUTHORIZE_MODE_FORM_POST. The URL is in the arena.
 */
char *authorize_redirect_url(struct arena *arena, const char *redirect_uri,
                             enum authorize_response_mode mode, const struct form_param *params,
                             size_t count);

/*
 * The HTML page of the Form Post Response Mode: a form that POSTs params
 * (NULL values skipped) to redirect_uri as application/x-www-form-urlencoded,
 * every attribute value HTML-escaped, with a visible submit button so it
 * works without script. When script_nonce is non-NULL a
 * <script nonce="..."> submits it automatically; the caller's CSP must then
 * allow that nonce (script-src 'nonce-...') and form-action the
 * redirect_uri. Without a nonce there is no script at all, so a strict CSP
 * holds. The page is in the arena.
 */
char *authorize_form_post_html(struct arena *arena, const char *redirect_uri,
                               const struct form_param *params, size_t count,
                               const char *script_nonce);

#endif
