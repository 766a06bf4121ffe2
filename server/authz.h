/*
 * server/authz.h — the authorization code flow with the built-in pages
 * (OIDC Core §3.1.2, RFC 6749 §4.1, RFC 7636): one authorization request
 * carried from /oauth2/auth through the login page (/ui/login) and the
 * consent page (/ui/consent) to the redirect back to the client with a
 * code.
 *
 * The request is carried, not stored: every page's form posts to
 * "/ui/<page>?<the authorization request, form-encoded>", and each step
 * parses and checks it again against the client as it is now. Its forms
 * carry a CSRF token (page.h) bound to the browser's CSRF cookie and to the
 * SHA-256 of that query string, so a token is good for one request only.
 *
 * Writes (new login session, consent, code, throttling state) are collected
 * in a struct authz_pending together with the response prepared for when
 * they are durable; authz_finish hands them to the storage writer
 * (request_write), and authz_written answers once they committed.
 */
#ifndef SERVER_AUTHZ_H
#define SERVER_AUTHZ_H

#include <stdbool.h>

#include "common/err.h"
#include "server/app.h"
#include "server/authorize_request.h"
#include "server/clients.h"
#include "server/cookie.h"
#include "server/request.h"
#include "server/response.h"
#include "server/tokens.h"
#include "storage/store.h"

#define AUTHZ_SESSION_COOKIE "oidcd_session"
#define AUTHZ_LOGIN_PATH     "/ui/login"
#define AUTHZ_CONSENT_PATH   "/ui/consent"

/* The one message of a failed login (unknown user and wrong password alike), and of throttling. */
#define AUTHZ_LOGIN_ERROR     "The username or password is incorrect."
#define AUTHZ_THROTTLED_ERROR "Too many failed sign-ins. Wait a minute, then try again."

/* One authorization request, checked against its client. */
struct authz {
	struct authorize_request r;
	struct client_record client; /* authz_clear releases it */
	const char *encoded;         /* the parameters, form-encoded again (the pages' query) */
	const char *digest;          /* base64url SHA-256 of encoded */
	struct cookie_jar cookies;
	bool is_post; /* answering a POST: redirects are 303 See Other */
};

/* What one step writes, and the answer once it is durable. */
struct authz_pending {
	struct response res;
	bool has_session;
	struct store_session session;
	unsigned char session_hash[STORE_HASH_LEN];
	bool has_consent;
	struct store_consent consent;
	bool has_code;
	struct store_code code;
	unsigned char code_hash[STORE_HASH_LEN];
	bool has_tokens; /* implicit and hybrid: an access token from the endpoint */
	struct tokens_issue tokens;
	const char *throttle_fail[2]; /* keys to count a failed login against, or NULL */
	const char *throttle_clear[2];
	int64_t now;
	/* headless mode (flows.c) */
	const char *ensure_user; /* an external subject to give a user row first, or NULL */
	const char *ensure_user_name;
	const char *granted_scope;  /* the consent app's grant_scope (else the requested scope) */
	const char *session_claims; /* the consent app's session JSON, kept with code and tokens */
	bool has_flow;              /* a login/consent/logout request to hand to the app */
	struct store_flow flow;
	unsigned char flow_hash[STORE_HASH_LEN];
	/* extend_session_lifespan: the remembered session (id hash) expires at extend_until */
	const unsigned char *extend_hash;
	int64_t extend_until;
	/* force_subject_identifier: the sub of ensure_user/forced_user at forced_client, or NULL */
	const char *forced_subject;
	const char *forced_client;
	const char *forced_user;
};

/*
 * Parses params as an authorization request and checks it against its
 * client. ST_OK with *done false: az is ready (call authz_clear). ST_OK with
 * *done true: res holds the answer (the error page, or the error redirected
 * to the client) and az needs no clearing. Another status: server failure.
 */
enum status authz_start(const struct app *app, struct request *req, struct response *res,
                        const struct form *params, bool is_post, struct authz *az, bool *done);

void authz_clear(struct authz *az);

/* The active login session of the browser (the oidcd_session cookie); ST_NOT_FOUND when none. */
enum status authz_session(const struct app *app, struct request *req, const struct authz *az,
                          struct store_session *out);
/* The same from a cookie jar (pages outside an authorization request: the device flow). */
enum status authz_session_of(const struct app *app, struct request *req,
                             const struct cookie_jar *cookies, struct store_session *out);
/*
 * The same, and the stored hash of the cookie in hash_out (logout ends the
 * session by it): keyed by secrets.system[0] or, during a rotation, by the
 * older secret that keyed the session.
 */
enum status authz_session_hash_of(const struct app *app, struct request *req,
                                  const struct cookie_jar *cookies,
                                  unsigned char hash_out[STORE_HASH_LEN],
                                  struct store_session *out);

/* The request's cookies into out (an absent or oversized Cookie header: none). */
void authz_cookies(struct request *req, struct cookie_jar *out);

/*
 * The CSRF token for purpose of a page about to be rendered into res: bound
 * to the browser's binding cookie, or to a new one set on res.
 */
enum status authz_csrf_token(const struct app *app, struct request *req, struct response *res,
                             const struct cookie_jar *cookies, const char *purpose, char **out);

/* Overwrites the password wherever the request holds it (the form and the raw body). */
void authz_forget_password(struct request *req, const char *password);

/* Outcomes of authz_password_login. */
enum authz_login {
	AUTHZ_LOGIN_OK,        /* *user is the user; a new session is queued in p */
	AUTHZ_LOGIN_FAILED,    /* unknown user or wrong password (counted in p) */
	AUTHZ_LOGIN_THROTTLED, /* too many failures: not even tried */
	AUTHZ_LOGIN_EMPTY,     /* a field is missing or oversized */
};

/*
 * The password login of the built-in pages: throttled per username and
 * client address, equal cost for unknown users, the password wiped from
 * the request whatever happens. On AUTHZ_LOGIN_OK the new login session is
 * queued in p with its Set-Cookie header in *cookie_out.
 */
enum status authz_password_login(const struct app *app, struct request *req,
                                 struct authz_pending *p, const char *username,
                                 const char *password, struct store_user *user,
                                 enum authz_login *outcome, char **cookie_out);

/* Redirects error to the client (response_mode honoured, state echoed) into res. */
enum status authz_redirect_error(const struct app *app, struct request *req, struct response *res,
                                 const struct authz *az, enum oauth_error error,
                                 const char *description);

/* An HTML error page (never a redirect). */
enum status authz_error_page(const struct app *app, struct request *req, struct response *res,
                             int status, const char *title, const char *description);

/* The login page for az into res; error (may be NULL) shown in its alert area. */
enum status authz_login_page(const struct app *app, struct request *req, struct response *res,
                             const struct authz *az, const char *error, const char *username,
                             int status);

/*
 * The browser is signed in as sess (active, or new and queued in p): asks
 * for consent unless it is remembered or the client skips it, else issues
 * the code. Prepares p->res and the writes in p.
 */
enum status authz_continue(const struct app *app, struct request *req, const struct authz *az,
                           const struct store_session *sess, struct authz_pending *p);

/*
 * Answers the request for sess into p (consent given or not needed): the
 * code, access token and ID token its response_type asks for (OIDC Core
 * §3.1.2.5, §3.2.2.5, §3.3.2.5).
 */
enum status authz_issue_code(const struct app *app, struct request *req, const struct authz *az,
                             const struct store_session *sess, struct authz_pending *p);

/* A new pending step at now (in the request arena). */
struct authz_pending *authz_pending_new(const struct app *app, struct request *req);

/* Answers p: submits its writes (answer later) or copies p->res into res. */
enum status authz_finish(const struct app *app, struct request *req, struct response *res,
                         struct authz_pending *p);

/* The second run of a handler whose pending step was written. */
enum status authz_written(struct request *req, struct response *res);

/* The store_write_fn of a pending step (arg: struct authz_pending). */
enum status authz_apply(struct store *s, void *arg, struct err *err);

/* The login_attempts key "<kind>:<value>", lower-cased (in the arena). */
const char *authz_throttle_key(struct request *req, const char *kind, const char *value);

/* *locked: either key (login_attempts) is locked at now. */
enum status authz_throttled(const struct app *app, struct request *req, const char *const keys[2],
                            int64_t now, bool *locked);

/* OIDC Core §3.1.2.1: prompt, max_age and an ended or absent session (found) call for a login. */
bool authz_needs_login(const struct authz *az, const struct store_session *sess, enum status found,
                       int64_t now);

/*
 * OIDC Core §3.1.2.1 id_token_hint: false when it is not an ID token we
 * issued. A hint for another user than the session's makes the session
 * count as absent (*found = ST_NOT_FOUND): that user must sign in.
 */
bool authz_hint_matches(const struct app *app, struct request *req, const struct authz *az,
                        const struct store_session *sess, enum status *found);

/*
 * The browser's CSRF binding (cookie), or a new one set on res: what
 * headless-mode challenges are bound to.
 */
enum status authz_csrf_binding_ensure(const struct app *app, struct request *req,
                                      struct response *res, const struct cookie_jar *cookies,
                                      const char **out);

/* The login throttling policy (per username and per client address). */
const struct store_throttle_policy *authz_throttle_policy(void);

/* The CSRF purpose of page ("login" or "consent") for az. In the arena. */
const char *authz_csrf_purpose(struct request *req, const struct authz *az, const char *page,
                               const char *sid);

/* The browser's CSRF binding cookie value, or NULL. */
const char *authz_csrf_binding(const struct app *app, const struct authz *az);
const char *authz_csrf_binding_of(const struct app *app, const struct cookie_jar *cookies);

#endif
