/*
 * server/logout_worker.h — delivery of back-channel logout tokens (OIDC
 * Back-Channel Logout 1.0 §2.5) from the durable outbox
 * (store_logout_delivery_*): one thread POSTs each due logout token to its
 * client's backchannel_logout_uri with libcurl, retries failures with
 * exponential backoff up to logout.backchannel.max_attempts, and picks up
 * whatever was pending when the server last stopped (or was killed).
 *
 * Hydra fires and forgets these POSTs (hydra-behaviour §10 item 1); here a
 * logout request may also wait, bounded, until its deliveries succeeded
 * (logout_worker_wait_sid, logout.backchannel.wait).
 */
#ifndef SERVER_LOGOUT_WORKER_H
#define SERVER_LOGOUT_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "server/app.h"

#define LOGOUT_POST_TIMEOUT_MS   5000L  /* one POST, connect to last byte */
#define LOGOUT_BACKOFF_BASE_MS   1000   /* the wait after the first failure */
#define LOGOUT_BACKOFF_MAX_MS    300000 /* backoff stops doubling at 5 min */
#define LOGOUT_DELIVERY_TTL_SECS 604800 /* a row is kept a week, then swept */

struct logout_worker;

/* A flag one thread sets and another polls (the worker's stop). */
struct logout_stop {
	atomic_bool is_set;
};

/*
 * Starts the delivery thread for app (borrowed: must outlive the worker;
 * app->store and app->cfg are used). Start it with the asynchronous
 * signals blocked: the thread inherits the mask. ST_IO when the thread
 * cannot be created.
 */
enum status logout_worker_start(const struct app *app, struct logout_worker **out, struct err *err);
/*
 * Stops the thread (an ongoing POST is aborted), joins it and frees w;
 * NULL is a no-op. Undelivered rows stay in the outbox for the next start.
 */
void logout_worker_stop(struct logout_worker *w);
/*
 * Shutdown has begun: logout_worker_wait_sid returns at once from now on,
 * so no request holds up the listener's stop; deliveries go on until
 * logout_worker_stop. NULL is a no-op.
 */
void logout_worker_drain(struct logout_worker *w);
/* New rows were committed: look at the outbox now. NULL is a no-op. */
void logout_worker_kick(struct logout_worker *w);
/*
 * Returns once no delivery of the login session sid is pending, or after
 * wait_ms, whichever comes first (NULL w or wait_ms <= 0: at once).
 */
void logout_worker_wait_sid(struct logout_worker *w, const char *sid, int64_t wait_ms);

/* The wait after the attempts-th failed attempt (attempts >= 1): 1 s, 2 s, 4 s, ... capped. */
int64_t logout_worker_backoff_ms(int64_t attempts);

/*
 * POSTs logout_token=<token> to uri (https; http only to a loopback host,
 * as registration allows), no redirects followed, LOGOUT_POST_TIMEOUT_MS.
 * ca_file (may be NULL) is trusted besides the system CAs. stop (may be
 * NULL) aborts the transfer once it turns true. ST_OK for a 200 or 204
 * answer; otherwise ST_INVALID or ST_IO with a reason in err that never
 * quotes the token.
 */
enum status logout_worker_post(const char *ca_file, const char *uri, const char *token,
                               const struct logout_stop *stop, struct err *err);

#endif
