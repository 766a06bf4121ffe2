/*
 * server/app.h — the long-lived dependencies every handler receives.
 *
 * Built by main() before the listeners start; const for handlers except the
 * documents cache, which has its own lock (rebuilt when keys change).
 */
#ifndef SERVER_APP_H
#define SERVER_APP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"
#include "config/config.h"
#include "crypto/keyring.h"
#include "storage/store.h"

/* Documents that do not depend on the request, built once per key change. */
struct page_templates;
struct logout_worker;

struct app_docs {
	pthread_rwlock_t lock;
	char *discovery; /* heap JSON text */
	size_t discovery_len;
	char *jwks; /* heap JSON text */
	size_t jwks_len;
	char *fingerprint;   /* kid:status list the documents were built from */
	uint64_t generation; /* +1 on every rebuild: the texts differ from the last one's */
};

struct app {
	const struct config *cfg;
	const char *issuer; /* the effective issuer (cfg->issuer, or derived in --dev) */
	struct store *store;
	struct keyring *keyring;
	struct clock clock;
	struct app_docs *docs; /* mutable cache behind its own lock */
	const char *version;
	const struct page_templates *templates; /* NULL: the built-in pages */
	struct logout_worker *logout_worker;    /* NULL: no back-channel delivery thread (tests) */
};

#endif
