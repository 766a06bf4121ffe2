/*
 * server/client_metadata.h — validation and normalisation of OAuth 2.0
 * client metadata: OpenID Connect Dynamic Client Registration 1.0 §2,
 * RFC 7591 §2, RFC 7592, in Hydra's oAuth2Client shape
 * (hydra-behaviour §3.1). One function serves dynamic registration (strict
 * registrant policy) and the admin API (every field allowed).
 *
 * The result is the stored client document: only known members, defaults
 * written explicitly except for the operator-only members (left out at their
 * defaults; the admin view adds them back), never a secret, id, token or
 * timestamp (those live in their own columns and are added when a client is
 * rendered).
 */
#ifndef SERVER_CLIENT_METADATA_H
#define SERVER_CLIENT_METADATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"
#include "server/oauth_error.h"

enum client_policy {
	CLIENT_POLICY_REGISTRANT = 0, /* POST/PUT /oauth2/register: restricted */
	CLIENT_POLICY_ADMIN,          /* /admin/clients and the CLI: everything */
};

/*
 * Fetches an https URL (sector_identifier_uri). *body (NUL-terminated) in
 * the arena. ST_IO/ST_INVALID with a reason in err on any failure.
 */
typedef enum status client_fetch_fn(void *cls, const char *url, struct arena *arena, char **body,
                                    size_t *len, struct err *err);

struct client_validate_opts {
	enum client_policy policy;
	/* registrant limits (registration.allowed_grant_types / allowed_scopes) */
	const char *const *allowed_grant_types;
	size_t allowed_grant_types_count;
	const char *const *allowed_scopes;
	size_t allowed_scopes_count;
	/* algorithms: what oidcd can verify (JWS_ALG_* mask) and the one it signs with */
	unsigned verify_algs;
	const char *signing_alg;
	/* scope given to clients that send none (space-separated) */
	const char *default_scope;
	client_fetch_fn *fetch; /* NULL: a sector_identifier_uri is rejected */
	void *fetch_cls;
};

/* A rejected registration: which OAuth error, and a description naming the field. */
struct client_problem {
	enum oauth_error error; /* OAUTH_INVALID_CLIENT_METADATA or OAUTH_INVALID_REDIRECT_URI */
	char description[256];
};

/*
 * Validates in (borrowed; any JSON value) and builds the normalised client
 * document in *out (new reference). ST_INVALID with *problem filled when the
 * metadata is rejected; another status (with err) only when the server
 * failed. The caller handles client_id / client_secret (see the policy notes
 * in client_metadata.c); in is never modified. o->fetch is called at most
 * once, for the sector_identifier_uri of an otherwise valid document.
 */
enum status client_validate(const struct client_validate_opts *o, const json_t *in,
                            struct arena *arena, json_t **out, struct client_problem *problem,
                            struct err *err);

/*
 * True for the members only operators may set (owner, audience,
 * allowed_cors_origins, metadata, skip_consent, skip_logout_consent,
 * access_token_strategy, the 13 *_lifespan): under REGISTRANT, *out has
 * none of them, and a PUT that keeps admin-set values copies these from the
 * stored client.
 */
bool client_member_is_admin_only(const char *name);

#endif
