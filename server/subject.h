/*
 * server/subject.h — the "sub" a client sees for a user (OIDC Core §8):
 * the user's id for public clients, and for clients registered with
 * subject_type pairwise a per-sector identifier (§8.1):
 *   base64url(SHA-256(sector host || local user id || salt))
 * where the sector is the host of sector_identifier_uri, else of the
 * client's (single-host) redirect_uris, and the salt is oidc.pairwise_salt.
 * The same user gets the same sub at every client of one sector, and
 * unrelated subs across sectors.
 */
#ifndef SERVER_SUBJECT_H
#define SERVER_SUBJECT_H

#include <jansson.h>
#include <stdbool.h>

#include "common/arena.h"
#include "common/err.h"
#include "server/app.h"

/* True when client_doc (borrowed; may be NULL) asks for pairwise subjects. */
bool subject_is_pairwise(const json_t *client_doc);

/* The sub of user_id at the client of client_doc (borrowed; NULL: public). In the arena. */
const char *subject_for(const struct app *app, const json_t *client_doc, const char *user_id,
                        struct arena *arena);

/*
 * The sub of user_id at client client_id (client_doc) in ID tokens,
 * /userinfo, logout tokens and id_token_hint checks: subject_for's, except
 * that for a pairwise client a subject the headless login app forced
 * (force_subject_identifier, kept per client and user by
 * store_forced_subject_put) wins. Hydra keeps such a forced subject per
 * client and subject too, but asks the app to send it on every login;
 * oidcd keeps using the last one forced until another is, so the sub stays
 * stable for later flows (skipped logins, refreshes) either way. *out in
 * the arena (or user_id itself).
 */
enum status subject_for_client(const struct app *app, const json_t *client_doc,
                               const char *client_id, const char *user_id, struct arena *arena,
                               const char **out, struct err *err);

#endif
