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
#include "server/app.h"

/* True when client_doc (borrowed; may be NULL) asks for pairwise subjects. */
bool subject_is_pairwise(const json_t *client_doc);

/* The sub of user_id at the client of client_doc (borrowed; NULL: public). In the arena. */
const char *subject_for(const struct app *app, const json_t *client_doc, const char *user_id,
                        struct arena *arena);

#endif
