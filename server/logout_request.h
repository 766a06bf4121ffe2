/*
 * server/logout_request.h — the parameters of an RP-Initiated Logout
 * request (OpenID Connect RP-Initiated Logout 1.0 §2) at
 * /oauth2/sessions/logout, and the pure decisions about them: which
 * post_logout_redirect_uri may be used, the URL the browser is sent to,
 * the front-channel logout URL of a client, the audiences of a hint.
 * No I/O: the handler (handle_logout.c) verifies the hint and loads
 * clients. Fuzzed by tests/fuzz/fuzz_logout_request.c.
 */
#ifndef SERVER_LOGOUT_REQUEST_H
#define SERVER_LOGOUT_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "server/form.h"

#define LOGOUT_MAX_HINT_BYTES  16384 /* an ID token of ours is far smaller */
#define LOGOUT_MAX_URI_BYTES   2048
#define LOGOUT_MAX_STATE_BYTES 2048
#define LOGOUT_MAX_ID_BYTES    255  /* client_id */
#define LOGOUT_MAX_OTHER_BYTES 1024 /* logout_hint, ui_locales */

/* The parameters; each NULL when absent or empty (RFC 6749 §3.1: empty means omitted). */
struct logout_request {
	const char *id_token_hint;
	const char *post_logout_redirect_uri;
	const char *state;
	const char *client_id;
	const char *logout_hint; /* accepted, informational only */
	const char *ui_locales;  /* accepted; the pages are English only */
};

/*
 * Reads the parameters from params (strings borrowed from it). Unknown
 * parameters are ignored (§2: the OP ignores what it does not know).
 * ST_INVALID with a printable reason in why (at least 128 bytes) for a
 * value over its size limit or a client_id that is not printable ASCII.
 */
enum status logout_request_parse(const struct form *params, struct logout_request *out, char *why,
                                 size_t why_len);

/*
 * True when uri equals, byte for byte, one of the client document's
 * post_logout_redirect_uris (§3: exact match; no query may be added).
 */
bool logout_redirect_uri_is_registered(const json_t *client_doc, const char *uri);

/* uri with state added to its query (§3), state percent-encoded; NULL state: uri. In the arena. */
char *logout_redirect_url(struct arena *arena, const char *uri, const char *state);

/*
 * A client's frontchannel_logout_uri with iss and sid added to its query
 * (Front-Channel Logout 1.0 §2: always sent, whether or not the client
 * required them). In the arena.
 */
char *logout_frontchannel_url(struct arena *arena, const char *uri, const char *iss,
                              const char *sid);

/*
 * The audiences of verified ID token claims: "aud" as a string or a
 * non-empty array of strings (OIDC Core §2). *out points into claims
 * (array in the arena). ST_INVALID for anything else.
 */
enum status logout_hint_audiences(const json_t *claims, struct arena *arena, const char ***out,
                                  size_t *count_out);

/*
 * The "signed out" page that runs front-channel logout (Front-Channel
 * Logout 1.0 §3): one hidden iframe per URL of frames, then, once they all
 * loaded (or after a few seconds), the browser continues to target with
 * location.replace; a "Continue" link does the same without JavaScript.
 * The script carries script_nonce; every value is HTML-escaped. In the
 * arena. Pair it with logout_page_csp.
 */
char *logout_page_html(struct arena *arena, const char *target, const char *const *frames,
                       size_t nframes, const char *script_nonce);

/*
 * The CSP of logout_page_html: nothing may frame it, and it frames only
 * the origins of frames (RFC 6454 origins; a URL that does not parse adds
 * nothing). In the arena.
 */
char *logout_page_csp(struct arena *arena, const char *const *frames, size_t nframes,
                      const char *script_nonce);

#endif
