/*
 * tests/support/jwstool.c — cross-checks crypto/ against other JOSE
 * implementations (the jose npm library in tests/integration/jwks.test.mjs).
 *
 *   jwstool sign --database DB --secret S [--payload JSON]
 *       signs with the database's active key through the same keyring code
 *       the server uses, and prints the compact JWS;
 *   jwstool verify --jwk FILE --alg ALG TOKEN
 *       exits 0 when TOKEN verifies with the public JWK in FILE, 1 if not.
 *
 * A test tool: never installed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/clock.h"
#include "common/xalloc.h"
#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "crypto/keyring.h"
#include "server/keys.h"
#include "storage/store.h"

static const char *
opt(int argc, char **argv, const char *name)
{
	int i;

	for (i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int
sign(int argc, char **argv)
{
	const char *db = opt(argc, argv, "--database");
	const char *secret = opt(argc, argv, "--secret");
	const char *payload = opt(argc, argv, "--payload");
	struct store_options o = {0};
	struct store *s = NULL;
	struct keyring *kr = NULL;
	struct arena *arena = arena_new();
	json_t *typ = json_pack("{s:s}", "typ", "JWT");
	struct err err;
	char *token = NULL;
	int rc = 1;

	if (db == NULL || secret == NULL) {
		fprintf(stderr, "usage: jwstool sign --database DB --secret S [--payload JSON]\n");
		rc = 2;
		goto out;
	}
	if (payload == NULL)
		payload = "{\"iss\":\"jwstool\",\"sub\":\"test\"}";
	o.read_only = true;
	if (store_open(db, &o, &s, &err) != ST_OK) {
		fprintf(stderr, "jwstool: %s\n", err.msg);
		goto out;
	}
	kr = keyring_new(&secret, 1, 3600);
	if (keys_load(s, kr, NULL, &err) != ST_OK ||
	    keyring_sign(kr, clock_now(NULL), typ, payload, strlen(payload), arena, &token, &err) !=
	            ST_OK) {
		fprintf(stderr, "jwstool: %s\n", err.msg);
		goto out;
	}
	printf("%s\n", token);
	rc = 0;
out:
	json_decref(typ);
	keyring_free(kr);
	store_close(s);
	arena_free(arena);
	return rc;
}

static int
verify(int argc, char **argv)
{
	const char *file = opt(argc, argv, "--jwk");
	const char *alg = opt(argc, argv, "--alg");
	const char *token = argc > 0 ? argv[argc - 1] : NULL;
	struct arena *arena = arena_new();
	struct jwk *key = NULL;
	json_t *doc = NULL;
	json_error_t jerr;
	struct jws jws;
	struct err err;
	int rc = 1;

	if (file == NULL || alg == NULL || argc < 7) {
		fprintf(stderr, "usage: jwstool verify --jwk FILE --alg ALG TOKEN\n");
		rc = 2;
		goto out;
	}
	doc = json_load_file(file, 0, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "jwstool: %s: %s\n", file, jerr.text);
		goto out;
	}
	if (jwk_import_public(doc, &key, &err) != ST_OK ||
	    jws_parse(token, arena, &jws, &err) != ST_OK ||
	    jws_verify(&jws, key, jws_alg_from_name(alg), &err) != ST_OK) {
		printf("invalid: %s\n", err.msg);
		goto out;
	}
	printf("valid\n");
	rc = 0;
out:
	json_decref(doc);
	jwk_free(key);
	arena_free(arena);
	return rc;
}

int
main(int argc, char **argv)
{
	json_set_alloc_funcs(xmalloc, free);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return sign(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return verify(argc, argv);
	fprintf(stderr, "usage: jwstool sign|verify ...\n");
	return 2;
}
