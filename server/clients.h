/*
 * server/clients.h — the client service: create, read, replace and delete
 * OAuth 2.0 clients on behalf of dynamic registration (RFC 7591/7592), the
 * admin API and the CLI. Validation is client_metadata.c's; storage is
 * store.h's; this module decides ids, secrets and registration tokens, and
 * renders clients in Hydra's oAuth2Client shape (hydra-behaviour §3.1).
 *
 * Views: the admin view has every field; the registrant view (what
 * /oauth2/register answers) leaves out the fields only an operator may set
 * (metadata, owner, audience, ...), so a client can PUT back what it GOT.
 */
#ifndef SERVER_CLIENTS_H
#define SERVER_CLIENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "server/app.h"
#include "server/client_metadata.h"

enum client_view {
	CLIENT_VIEW_ADMIN = 0,
	CLIENT_VIEW_REGISTRANT,
};

/* A client as loaded: its row and its parsed document (borrowed from the arena's lifetime: decref
 * doc). */
struct client_record {
	struct store_client row;
	json_t *doc; /* new reference owned by the record: clients_record_clear() */
};

void clients_record_clear(struct client_record *r);

/*
 * A rejected request: an OAuth error and its description. clients_* return
 * ST_INVALID with *problem filled for every client mistake; other statuses
 * are server failures (err).
 */

/*
 * Creates a client from in (borrowed). REGISTRANT: id is a new UUIDv4 and
 * the body may not choose id or secret. ADMIN: "client_id" and
 * "client_secret" may be chosen. *out (new reference) is the view to send:
 * with client_secret (unless auth method none), registration_access_token
 * and registration_client_uri.
 */
enum status clients_create(const struct app *app, enum client_policy policy, const json_t *in,
                           struct arena *arena, json_t **out, struct client_problem *problem,
                           struct err *err);

/*
 * A prepared change: everything decided and rendered, nothing written yet.
 * Handlers hand clients_apply(change) to the storage writer
 * (request_write) and answer with change->view once it is durable; the CLI
 * uses the synchronous clients_create/replace/delete.
 */
enum client_change_kind {
	CLIENT_CHANGE_INSERT = 0,
	CLIENT_CHANGE_UPDATE,
	CLIENT_CHANGE_DELETE,
};

struct client_change {
	enum client_change_kind kind;
	struct store_client row;                    /* INSERT */
	const char *id;                             /* UPDATE, DELETE */
	struct store_client_update update;          /* UPDATE */
	const unsigned char *expect_reg_token_hash; /* DELETE */
	const char *view; /* the answer once written: JSON text in the arena */
};

/* As clients_create / clients_replace / clients_delete, without writing. */
enum status clients_prepare_create(const struct app *app, enum client_policy policy,
                                   const json_t *in, struct arena *arena,
                                   struct client_change *change, struct client_problem *problem,
                                   struct err *err);
enum status clients_prepare_replace(const struct app *app, enum client_policy policy,
                                    const struct client_record *current, const json_t *in,
                                    struct arena *arena, struct client_change *change,
                                    struct client_problem *problem, struct err *err);
void clients_prepare_delete(const char *id, const unsigned char *expect_reg_token_hash,
                            struct client_change *change);

/* The store_write_fn that performs a prepared change (arg: struct client_change). */
enum status clients_apply(struct store *s, void *arg, struct err *err);

/*
 * Maps the write's status to the outcome: ST_OK (view ready), ST_INVALID
 * with *problem (a duplicate admin-chosen client_id), ST_NOT_FOUND (the
 * client vanished or its token changed meanwhile), or the server failure.
 */
enum status clients_outcome(const struct client_change *c, enum status write_st,
                            struct client_problem *problem);

/* Loads a client's row only (doc stays NULL). ST_NOT_FOUND when absent. */
enum status clients_load_row(const struct app *app, const char *id, struct arena *arena,
                             struct client_record *out, struct err *err);

/* Loads a client. ST_NOT_FOUND when absent. */
enum status clients_load(const struct app *app, const char *id, struct arena *arena,
                         struct client_record *out, struct err *err);

/*
 * clients_load without copying the parsed document: out->doc is shared with
 * this thread's parse cache (server/json_cache.h) and must only be read
 * (json_object_get, json_string_value...), never changed; release it with
 * clients_record_clear as usual. For the token endpoint's client
 * authentication and what it hands the grants.
 */
enum status clients_load_shared(const struct app *app, const char *id, struct arena *arena,
                                struct client_record *out, struct err *err);

/*
 * The registrant view of a row as JSON text in the arena, without parsing
 * the stored document when it holds no operator-only member (the common
 * case). NULL when the stored document is corrupt.
 */
const char *clients_registrant_view(const struct app *app, const struct store_client *row,
                                    struct arena *arena);

/* Renders a loaded client (new reference); never includes a secret or token. */
json_t *clients_render(const struct app *app, const struct client_record *r, enum client_view view,
                       struct arena *arena);

/*
 * Full replacement (RFC 7592 §2.2 for REGISTRANT, Hydra's setOAuth2Client
 * for ADMIN). REGISTRANT: the registration access token is rotated (the new
 * one is in *out) and the update only happens while the stored token hash
 * still equals the one authenticated; "client_secret" in the body must equal
 * the current secret (else ST_INVALID with OAUTH_ACCESS_DENIED, 403).
 * ADMIN: a non-empty "client_secret" sets a new secret; the registration
 * token is kept (Hydra's issue 4093 destroys it). ST_NOT_FOUND when the
 * client vanished meanwhile.
 */
enum status clients_replace(const struct app *app, enum client_policy policy,
                            const struct client_record *current, const json_t *in,
                            struct arena *arena, json_t **out, struct client_problem *problem,
                            struct err *err);

/*
 * Deletes a client (and, through foreign keys, everything issued to it).
 * expect_reg_token_hash: as store_client_delete. ST_NOT_FOUND when absent.
 */
enum status clients_delete(const struct app *app, const char *id,
                           const unsigned char *expect_reg_token_hash, struct err *err);

/* True when token is the client's current registration access token. */
bool clients_reg_token_matches(const struct app *app, const struct client_record *r,
                               const char *token);

/* The registration_client_uri of a client id (arena). */
/* True when the client document's array member (e.g. "grant_types") holds the string word. */
bool clients_doc_has_word(const json_t *doc, const char *array, const char *word);

const char *clients_registration_uri(const struct app *app, const char *id, struct arena *arena);

#endif
