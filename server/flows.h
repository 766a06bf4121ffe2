/*
 * server/flows.h — headless mode (issue 8): with urls.login and
 * urls.consent configured, the authorization endpoint hands the login and
 * the consent to the deployment's own app, speaking Ory Hydra's challenge
 * protocol (hydra-behaviour §7), so login apps written for Hydra's
 * OAuth2Api work unchanged:
 *
 *   /oauth2/auth            -> 302 urls.login?login_challenge=C1
 *   app: GET  /admin/oauth2/auth/requests/login?login_challenge=C1
 *        PUT  .../login/accept {subject, remember, remember_for, acr, amr, context,
 *                               extend_session_lifespan, force_subject_identifier}
 *             (or .../login/reject {error, error_description})
 *        <- {"redirect_to": "<issuer>/oauth2/auth?<request>&login_verifier=V1"}
 *   /oauth2/auth?...&login_verifier=V1
 *                           -> 302 urls.consent?consent_challenge=C2
 *   app: GET  /admin/oauth2/auth/requests/consent?consent_challenge=C2
 *        PUT  .../consent/accept {grant_scope, remember, remember_for,
 *                                 session: {id_token: {...}, access_token: {...}}}
 *        <- {"redirect_to": "<issuer>/oauth2/auth?<request>&consent_verifier=V2"}
 *   /oauth2/auth?...&consent_verifier=V2
 *                           -> the client's redirect_uri with the code
 *
 * Challenges and verifiers are 256-bit random values stored as keyed
 * hashes (storage/flows.c); each request is answered once and each
 * verifier honoured once, in the browser the challenge was made for (its
 * CSRF cookie), for the same authorization request, before
 * ttl.login_consent_request. Anything else gets an error page, never a
 * code. The subject the login app names gets a user row of its own (no
 * password) so sessions, codes and tokens can refer to it; the consent
 * app's session.id_token claims reach the ID token and /userinfo
 * (filtered by the granted scopes unless oidc.claims.filter_by_scope is
 * off) and session.access_token reaches introspection ("ext").
 * extend_session_lifespan (skip true only) moves a remembered session's
 * expiry and cookie; force_subject_identifier is the sub of a pairwise
 * client (server/subject.h subject_for_client); a consent remembered with
 * remember_for 0 never expires (Hydra: "remembered indefinitely").
 */
#ifndef SERVER_FLOWS_H
#define SERVER_FLOWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "server/app.h"
#include "server/cookie.h"
#include "server/request.h"
#include "server/response.h"
#include "storage/store.h"

/* The query parameter of a kind's challenge: login_challenge, consent_challenge, logout_challenge.
 */
const char *flows_challenge_param(enum store_flow_kind kind);

/*
 * What the app is shown of a stored request (Hydra's oAuth2LoginRequest,
 * oAuth2ConsentRequest, oAuth2LogoutRequest without "client"): request
 * without oidcd's own members, with challenge. New reference.
 */
json_t *flows_request_view(enum store_flow_kind kind, const json_t *request, const char *challenge);

/* True when urls.login (and urls.consent) are configured. */
bool flows_is_headless(const struct app *app);

/* GET|POST /oauth2/auth in headless mode (handle_authorize hands over). */
enum status flows_authorize(const struct app *app, struct request *req, struct response *res);

/*
 * The body of a login or consent accept/reject (Hydra's
 * acceptOAuth2LoginRequest, acceptOAuth2ConsentRequest, rejectOAuth2Request),
 * checked and normalised into *out (compact JSON, malloc'd: free()).
 * kind: "login-accept", "consent-accept", "logout-accept" (no body) or "reject".
 * requested_scope (a
 * JSON array, may be NULL) bounds a consent's grant_scope; skip_subject
 * (may be NULL) is the only subject a skipped login may accept. ST_INVALID
 * with a description in why otherwise. Fuzzed (tests/fuzz/fuzz_flow_body.c).
 */
enum status flows_parse_body(const char *kind, const char *body, size_t len,
                             const json_t *requested_scope, const char *skip_subject, char **out,
                             char why[160]);

/* What the logout endpoint knows when headless mode decides (handle_logout.c). */
struct flows_logout {
	const char *encoded;   /* the logout request's parameters, form-encoded */
	const char *subject;   /* the session's user (NULL: no session, verifier set) */
	const char *sid;       /* the session (NULL: no session any more, verifier set) */
	const char *client_id; /* the client named by the hint or client_id, or NULL */
	const char *target;    /* where the browser goes when the app rejects */
	const char *verifier;  /* logout_verifier of the query, or NULL */
	const struct cookie_jar *cookies;
	bool is_post;
};

/* True when urls.logout is set: the app confirms logouts (Hydra's logout challenge). */
bool flows_logout_headless(const struct app *app);

/*
 * GET|POST /oauth2/sessions/logout with a session, in headless mode: hands
 * the logout to the app (302 urls.logout?logout_challenge=), or takes its
 * answer back (logout_verifier). *end_now true: the app accepted, end the
 * session now (res untouched); else res holds the answer (possibly a
 * deferred write: call again when it is done, before anything else).
 * Without a session (sid NULL) only with a verifier: it is spent all the
 * same, and a used or unknown one gets the error page (Hydra refuses
 * replays); a good one just redirects to the target.
 */
enum status flows_logout(const struct app *app, struct request *req, struct response *res,
                         const struct flows_logout *lo, bool *end_now);

#endif
