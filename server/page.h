/*
 * server/page.h — the built-in HTML pages (login, consent, error, logout,
 * signed out), their stylesheet, their Content-Security-Policy and the CSRF
 * tokens their forms carry. No handlers and no storage here.
 *
 * Templates. server/templates/<name>.html are embedded in the binary at
 * build time; page_templates_load(dir) lets files of the same name in dir
 * replace them (ui.templates_dir). The syntax is deliberately tiny:
 *   {{name}}              a variable, always HTML-escaped (& < > " ' /)
 *   {{#name}}...{{/name}} a section: for "scopes", once per requested scope
 *                         (with {{scope}} and {{scope_description}}); for any
 *                         variable, once when it is non-empty, else never
 * Sections do not nest; there is no other logic. An unknown name, a stray
 * "{{" or an unbalanced section is refused when the templates are loaded.
 * Variables (see struct page_vars): action csrf error login_hint user_name
 * client_id client_name logo_uri client_uri policy_uri tos_uri title
 * description stylesheet user_code. URLs that are not safe to show are blanked
 * before rendering: logo_uri must be https, http on a loopback host, or
 * data:image/(png|gif|jpeg|webp);base64; links must be http or https.
 *
 * Stylesheet. CSP allows no inline style, so the CSS is served as a file:
 * the lead routes GET PAGE_STYLESHEET_PATH to page_stylesheet() (text/css,
 * cacheable), and CSP says style-src 'self'.
 *
 * CSRF (double-submit cookie + HMAC). Each browser gets a random binding
 * (page_csrf_binding_new, 256 bits) in an HttpOnly cookie named
 * page_csrf_cookie_name(is_https) ("__Host-oidcd_csrf" over https, so a
 * sibling subdomain cannot plant its own). Each form carries
 *   csrf = base64url(HMAC-SHA-256(secrets.system[0],
 *                                 "oidcd-csrf|" purpose "|" binding))
 * where purpose names the form and what it acts on (e.g. "consent|<id>").
 * On POST, page_csrf_check recomputes it from the cookie under every system
 * secret (constant time), so rotating secrets.system keeps open forms
 * valid. An attacker can neither read the cookie nor compute the HMAC. Once
 * a login session exists, its id may be used as the binding instead.
 */
#ifndef SERVER_PAGE_H
#define SERVER_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"
#include "config/config.h"
#include "server/response.h"

#define PAGE_STYLESHEET_PATH    "/ui/style.css"
#define PAGE_CSRF_FIELD         "csrf" /* name of the hidden input on every form */
#define PAGE_TEMPLATE_MAX_BYTES 65536  /* larger override files are refused */

enum page_kind {
	PAGE_LOGIN = 0, /* login.html */
	PAGE_CONSENT,   /* consent.html */
	PAGE_ERROR,     /* error.html: title + description, never a redirect */
	PAGE_LOGOUT,    /* logout.html: confirm with button[name=logout][value=yes] */
	PAGE_SIGNED_OUT,
	PAGE_DEVICE,      /* device.html: enter the user code of a device (RFC 8628 §3.3) */
	PAGE_DEVICE_DONE, /* device_done.html: title + description after the decision */
	PAGE_KIND_COUNT,
};

/* What a page shows. Every field may be NULL (rendered as ""). */
struct page_vars {
	const char *action;     /* the form's target, e.g. "/ui/login?login_challenge=..." */
	const char *csrf;       /* from page_csrf_token */
	const char *error;      /* login: message for the role=alert area */
	const char *login_hint; /* login: pre-fills the username (OIDC Core §3.1.2.1) */
	const char *user_name;  /* consent/logout: who is signed in */
	const char *client_id;  /* shown when client_name is NULL */
	const char *client_name;
	const char *logo_uri;   /* blanked unless safe as an <img src> (see above) */
	const char *client_uri; /* links: blanked unless http(s) */
	const char *policy_uri;
	const char *tos_uri;
	const char *scope;       /* consent: the requested scopes, space-separated */
	const char *title;       /* error page */
	const char *description; /* error page */
	const char *user_code;   /* device: the code as typed or from verification_uri_complete */
	/*
	 * An absolute URI (normally the client's redirect_uri) whose origin, or
	 * scheme for a private-use scheme (RFC 8252 §7.1), is added to CSP
	 * form-action. Needed on every page whose POST answer redirects to the
	 * client (login, consent, form_post): browsers apply form-action to the
	 * redirects that follow a form submission (CSP3 §6.3.1).
	 */
	const char *form_action;
};

struct page_templates; /* long-lived, read-only after load: share between threads */

/*
 * Loads and checks every template: the built-in ones, each replaced by
 * dir/<name> when that file exists (dir NULL: built-ins only). ST_INVALID
 * with "file:line: reason" for a template error, ST_IO when a file cannot
 * be read or exceeds PAGE_TEMPLATE_MAX_BYTES. Free with page_templates_free.
 */
enum status page_templates_load(const char *dir, struct page_templates **out, struct err *err);
void page_templates_free(struct page_templates *t); /* NULL is a no-op */

/* The stylesheet (t NULL: the built-in one); NUL-terminated, length in *len_out. */
const char *page_stylesheet(const struct page_templates *t, size_t *len_out);

/*
 * Renders kind with vars into res: status, text/html; charset=utf-8, the
 * page_csp() header and Cache-Control: no-store. t NULL uses the built-in
 * templates (checked on every call: for tests and tools). X-Frame-Options
 * is http.c's. ST_INVALID when vars->form_action is not usable in CSP.
 */
enum status page_render(struct response *res, struct arena *arena, const struct page_templates *t,
                        enum page_kind kind, const struct page_vars *vars, int status,
                        struct err *err);

/*
 * The Content-Security-Policy of every page:
 *   default-src 'none'; style-src 'self'; img-src 'self' https: data:;
 *   form-action 'self'[ <origin>]; frame-ancestors 'none'; base-uri 'none'
 * form_action as in struct page_vars (NULL or "": 'self' only). In the
 * arena. ST_INVALID for a URI that does not parse or whose scheme is
 * javascript, data, blob or filesystem.
 */
enum status page_csp(struct arena *arena, const char *form_action, char **out, struct err *err);

/* The plain-words description of a scope ("email" → "Your email address"); unknown: scope. */
const char *page_scope_description(const char *scope);

/* The CSRF binding cookie's name: "__Host-oidcd_csrf" when is_https, else "oidcd_csrf". */
const char *page_csrf_cookie_name(bool is_https);

/* A new random binding (base64url of 32 random bytes) in the arena. ST_CRYPTO when the RNG fails.
 */
enum status page_csrf_binding_new(struct arena *arena, char **out, struct err *err);

/*
 * The CSRF token for (purpose, binding) under secrets.system[0], in the
 * arena. ST_INVALID when binding is empty or holds '|', or no system
 * secret is configured.
 */
enum status page_csrf_token(const struct config *cfg, const char *binding, const char *purpose,
                            struct arena *arena, char **out, struct err *err);

/* True when token is the CSRF token for (purpose, binding) under any system secret. */
bool page_csrf_check(const struct config *cfg, const char *binding, const char *purpose,
                     const char *token);

#endif
