/*
 * server/docs.h — the documents that do not depend on the request: the
 * discovery document and the JWKS. Built once at start and rebuilt only
 * when the published keys change (DESIGN "Request flow"); handlers copy
 * the cached text under a read lock.
 */
#ifndef SERVER_DOCS_H
#define SERVER_DOCS_H

#include <jansson.h>
#include <stdbool.h>

#include "common/err.h"
#include "server/app.h"

void docs_init(struct app_docs *docs);
void docs_free(struct app_docs *docs);

/*
 * Rebuilds both documents when the keyring's published set (kid + status)
 * differs from the one they were built from, or always when force.
 * *changed (may be NULL) tells whether they were rebuilt.
 */
enum status docs_refresh(struct app *app, bool force, bool *changed, struct err *err);

/*
 * The discovery document (new reference): exactly fields of Hydra's
 * oidcConfiguration schema; optional endpoint fields only when the route
 * exists, so every advertised value is true.
 */
json_t *docs_discovery(const struct app *app);

/*
 * Copies one cached document into the arena, with the generation of the
 * documents (*gen_out: the same number means the same text). ST_NOT_FOUND
 * when it has not been built yet.
 */
enum status docs_copy_discovery(const struct app *app, struct arena *arena, const char **out,
                                size_t *len_out, uint64_t *gen_out);
enum status docs_copy_jwks(const struct app *app, struct arena *arena, const char **out,
                           size_t *len_out, uint64_t *gen_out);

#endif
