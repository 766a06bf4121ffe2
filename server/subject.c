/*
 * server/subject.c — public and pairwise subject identifiers (see subject.h).
 */
#include "server/subject.h"

#include <stdio.h>
#include <string.h>

#include "crypto/b64url.h"
#include "crypto/digest.h"
#include "crypto/secret.h"
#include "server/uri.h"
#include "storage/store.h"

bool
subject_is_pairwise(const json_t *client_doc)
{
	const char *t = json_string_value(json_object_get(client_doc, "subject_type"));

	return t != NULL && strcmp(t, "pairwise") == 0;
}

/* The sector (OIDC Core §8.1): host of sector_identifier_uri, else of the first redirect URI. */
static const char *
sector_host(const json_t *doc, struct arena *arena)
{
	const char *s = json_string_value(json_object_get(doc, "sector_identifier_uri"));
	struct uri u;
	struct err err;

	if (s == NULL)
		s = json_string_value(json_array_get(json_object_get(doc, "redirect_uris"), 0));
	if (s == NULL || uri_parse(s, arena, &u, &err) != ST_OK || u.host == NULL)
		return "";
	return u.host;
}

static const char *
salt(const struct app *app)
{
	if (app->cfg->oidc_pairwise_salt != NULL)
		return app->cfg->oidc_pairwise_salt;
	return app->cfg->secrets_system_count > 0 ? app->cfg->secrets_system[0] : "";
}

const char *
subject_for(const struct app *app, const json_t *client_doc, const char *user_id,
            struct arena *arena)
{
	unsigned char hash[DIGEST_SHA256_BYTES];
	char input[1024]; /* holds the salt: on the stack, wiped (never in the arena) */
	const char *sector;
	int n;

	if (!subject_is_pairwise(client_doc))
		return user_id;
	sector = sector_host(client_doc, arena);
	/* Lengths first, so no two (sector, id, salt) triples share an input. */
	n = snprintf(input, sizeof input, "%zu:%s|%zu:%s|%s", strlen(sector), sector,
	             strlen(user_id), user_id, salt(app));
	if (n < 0 || (size_t)n >= sizeof input)
		n = (int)sizeof input - 1; /* hosts <= 255 and ids <= 64 bytes: never */
	digest_sha256(input, (size_t)n, hash);
	secret_wipe(input, sizeof input);
	return b64url_encode_arena(arena, hash, sizeof hash);
}

enum status
subject_for_client(const struct app *app, const json_t *client_doc, const char *client_id,
                   const char *user_id, struct arena *arena, const char **out, struct err *err)
{
	enum status st;

	if (!subject_is_pairwise(client_doc)) {
		*out = user_id;
		return ST_OK;
	}
	st = store_forced_subject_get(app->store, client_id, user_id, arena, out, err);
	if (st == ST_NOT_FOUND) {
		*out = subject_for(app, client_doc, user_id, arena);
		st = ST_OK;
	}
	return st;
}
