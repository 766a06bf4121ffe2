/*
 * server/logout_worker.c — the back-channel logout delivery thread (see
 * logout_worker.h).
 *
 * API: logout_worker_start/drain/stop, logout_worker_kick, logout_worker_wait_sid,
 * logout_worker_backoff_ms, logout_worker_post.
 *
 * Invariants:
 * - The outbox is the only queue: the thread keeps nothing in memory that
 *   a restart would lose. Each round claims the due rows (leased to this
 *   worker for CLAIM_LEASE_MS, so several oidcd instances on one database
 *   deliver each token once), POSTs them one by one, and records each
 *   outcome in its own statement (delivered: the row is deleted; failed:
 *   attempts + 1 and a later due time, or given up once attempts reach
 *   logout.backchannel.max_attempts).
 * - Between rounds the thread sleeps until the earliest due time, a kick
 *   (new rows) or stop; it never holds its lock while it talks to the
 *   database or the network.
 * - Stop aborts an ongoing POST through libcurl's progress callback, so
 *   shutdown never waits for a slow relying party.
 * - Nothing is logged that holds a logout token; failures name the client
 *   and the reason only.
 */
#include "server/logout_worker.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "server/uri.h"
#include "storage/store.h"

#define ROUND_ROWS   16    /* deliveries per round */
#define IDLE_WAIT_MS 60000 /* nothing pending: look again after this anyway */
#define WAIT_STEP_MS 100   /* logout_worker_wait_sid re-reads the outbox this often */
/*
 * How long a round's claim keeps its rows from other workers (other oidcd
 * instances on the same database): longer than the round can take, every
 * POST running to its timeout, so each token is delivered once.
 */
#define CLAIM_LEASE_MS (ROUND_ROWS * LOGOUT_POST_TIMEOUT_MS + 30000)

struct logout_worker {
	const struct app *app;
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t wake;     /* kick or stop */
	pthread_cond_t progress; /* a delivery attempt was recorded */
	bool is_kicked;
	struct logout_stop draining; /* logout_worker_drain: waiters return at once */
	struct logout_stop stop;     /* also read without the lock (libcurl's progress callback) */
};

int64_t
logout_worker_backoff_ms(int64_t attempts)
{
	int64_t ms = LOGOUT_BACKOFF_BASE_MS;

	while (--attempts > 0 && ms < LOGOUT_BACKOFF_MAX_MS)
		ms *= 2;
	return ms < LOGOUT_BACKOFF_MAX_MS ? ms : LOGOUT_BACKOFF_MAX_MS;
}

/* libcurl's write callback type takes char *. */
static size_t
discard(char *data /* NOLINT(readability-non-const-parameter) */, size_t size, size_t nmemb,
        void *userdata)
{
	(void)data;
	(void)userdata;
	return size * nmemb;
}

static int
abort_on_stop(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
              curl_off_t ulnow)
{
	const struct logout_stop *stop = clientp;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return stop != NULL && atomic_load(&stop->is_set) ? 1 : 0;
}

/* The fixed transfer rules of a delivery; ST_IO when libcurl refuses one. */
static enum status
configure(CURL *curl, const char *ca_file, const char *url, const char *protocols, const char *body,
          const struct logout_stop *stop, struct err *err)
{
	CURLcode rc;

	rc = curl_easy_setopt(curl, CURLOPT_URL, url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols);
	/* Back-Channel Logout §2.5 leaves redirects open; following one would
	 * send the token somewhere the client did not register. */
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, LOGOUT_POST_TIMEOUT_MS);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_USERAGENT, "oidcd");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (const void *)stop);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	if (rc == CURLE_OK && ca_file != NULL)
		rc = curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
	if (rc != CURLE_OK)
		return ERR_SET(err, ST_IO, "curl_easy_setopt: %s", curl_easy_strerror(rc));
	return ST_OK;
}

enum status
logout_worker_post(const char *ca_file, const char *uri, const char *token,
                   const struct logout_stop *stop, struct err *err)
{
	struct arena *arena = arena_new();
	struct buf body = {0};
	const char *protocols;
	CURL *curl = NULL;
	struct uri u;
	long code = 0;
	CURLcode rc;
	enum status st;

	st = uri_parse(uri, arena, &u, err);
	if (st != ST_OK)
		goto out;
	/* The rule registration applied (client_metadata_uris.c). */
	if (strcmp(u.scheme, "https") == 0) {
		protocols = "https";
	} else if (strcmp(u.scheme, "http") == 0 && uri_is_loopback_host(&u)) {
		protocols = "http";
	} else {
		st = ERR_SET(err, ST_INVALID, "backchannel_logout_uri is not https");
		goto out;
	}
	/* A JWS is base64url and dots: nothing to escape in a form value. */
	buf_puts(&body, "logout_token=");
	buf_puts(&body, token);
	curl = curl_easy_init();
	if (curl == NULL) {
		st = ERR_SET(err, ST_IO, "curl_easy_init failed");
		goto out;
	}
	st = configure(curl, ca_file, uri, protocols, body.data, stop, err);
	if (st != ST_OK)
		goto out;
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		st = ERR_SET(err, ST_IO, "POST failed: %s", curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	/* Back-Channel Logout §2.8: 200 OK (204 is as good) means done. */
	if (code != 200 && code != 204) {
		st = ERR_SET(err, ST_INVALID, "HTTP status %ld", code);
		goto out;
	}
	st = ST_OK;
out:
	curl_easy_cleanup(curl);
	buf_free(&body);
	arena_free(arena);
	return st;
}

/* Gives a claimed row back, due at once, for the next worker or start. */
static void
release(struct logout_worker *w, const struct store_logout_delivery *d)
{
	struct err serr;
	enum status st;

	st = store_logout_delivery_release(w->app->store, d->id, clock_now_ms(&w->app->clock),
	                                   &serr);
	if (st != ST_OK && st != ST_NOT_FOUND)
		log_msg(LOG_ERROR, NULL, serr.func, "logout delivery %s: %s", d->id, serr.msg);
}

/* Delivers one due row and records the outcome. */
static void
deliver(struct logout_worker *w, const struct store_logout_delivery *d)
{
	const struct config *cfg = w->app->cfg;
	struct store *s = w->app->store;
	int64_t next_ms = 0, attempts = d->attempts + 1;
	struct err err, serr;
	enum status st;

	err_clear(&err);
	st = logout_worker_post(cfg->http_client_ca_file, d->uri, d->logout_token, &w->stop, &err);
	if (atomic_load(&w->stop.is_set) && st != ST_OK) {
		/* Aborted by stop: the attempt does not count; due again now. */
		release(w, d);
		return;
	}
	if (st == ST_OK) {
		st = store_logout_delivery_done(s, d->id, &serr);
		if (st != ST_OK && st != ST_NOT_FOUND)
			log_msg(LOG_ERROR, NULL, serr.func, "logout delivery %s: %s", d->id,
			        serr.msg);
		log_msg(LOG_INFO, NULL, __func__, "back-channel logout delivered to client %s",
		        d->client_id);
		return;
	}
	if (attempts < (int64_t)cfg->logout_backchannel_max_attempts)
		next_ms = clock_now_ms(&w->app->clock) + logout_worker_backoff_ms(attempts);
	log_msg(next_ms > 0 ? LOG_WARN : LOG_ERROR, NULL, __func__,
	        "back-channel logout to client %s failed (attempt %lld%s): %s", d->client_id,
	        (long long)attempts, next_ms > 0 ? "" : ", giving up", err.msg);
	st = store_logout_delivery_retry(s, d->id, clock_now(&w->app->clock), next_ms, err.msg,
	                                 &serr);
	if (st != ST_OK && st != ST_NOT_FOUND)
		log_msg(LOG_ERROR, NULL, serr.func, "logout delivery %s: %s", d->id, serr.msg);
}

/* Delivers what is due; *full_out when a whole round was taken (more may be due). */
static void
round_once(struct logout_worker *w, bool *full_out)
{
	struct arena *arena = arena_new();
	struct store_logout_delivery *rows = NULL;
	size_t n = 0, i;
	struct err err;

	*full_out = false;
	if (store_logout_delivery_claim(w->app->store, clock_now_ms(&w->app->clock), CLAIM_LEASE_MS,
	                                ROUND_ROWS, arena, &rows, &n, &err) != ST_OK) {
		log_msg(LOG_ERROR, NULL, err.func, "logout outbox: %s", err.msg);
		goto out;
	}
	for (i = 0; i < n && !atomic_load(&w->stop.is_set); i++) {
		deliver(w, &rows[i]);
		pthread_mutex_lock(&w->lock);
		pthread_cond_broadcast(&w->progress);
		pthread_mutex_unlock(&w->lock);
	}
	for (; i < n; i++) /* stopped: the rows not tried go back */
		release(w, &rows[i]);
	*full_out = n == ROUND_ROWS;
out:
	arena_free(arena);
}

static void
deadline_in(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* How long to sleep before the next round: until the earliest due row, at most IDLE_WAIT_MS. */
static int64_t
idle_ms(struct logout_worker *w)
{
	int64_t at = 0, ms;
	struct err err;
	enum status st = store_logout_delivery_next_due(w->app->store, &at, &err);

	if (st == ST_NOT_FOUND)
		return IDLE_WAIT_MS;
	if (st != ST_OK) {
		log_msg(LOG_ERROR, NULL, err.func, "logout outbox: %s", err.msg);
		return 1000;
	}
	ms = at - clock_now_ms(&w->app->clock);
	return ms < 0 ? 0 : ms > IDLE_WAIT_MS ? IDLE_WAIT_MS : ms;
}

static void *
run(void *arg)
{
	struct logout_worker *w = arg;
	struct timespec ts;
	bool full;
	int64_t ms;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		w->is_kicked = false;
		pthread_mutex_unlock(&w->lock);
		if (atomic_load(&w->stop.is_set))
			break;
		round_once(w, &full);
		ms = full ? 0 : idle_ms(w);
		pthread_mutex_lock(&w->lock);
		if (ms > 0 && !atomic_load(&w->stop.is_set) && !w->is_kicked) {
			deadline_in(&ts, ms);
			pthread_cond_timedwait(&w->wake, &w->lock, &ts);
		}
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

enum status
logout_worker_start(const struct app *app, struct logout_worker **out, struct err *err)
{
	struct logout_worker *w = xcalloc(1, sizeof *w);

	w->app = app;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->progress, NULL);
	if (pthread_create(&w->tid, NULL, run, w) != 0) {
		pthread_cond_destroy(&w->progress);
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return ERR_SET(err, ST_IO, "cannot start the logout delivery thread");
	}
	*out = w;
	return ST_OK;
}

void
logout_worker_stop(struct logout_worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->draining.is_set, true);
	atomic_store(&w->stop.is_set, true);
	pthread_cond_broadcast(&w->wake);
	pthread_cond_broadcast(&w->progress);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->tid, NULL);
	pthread_cond_destroy(&w->progress);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void
logout_worker_drain(struct logout_worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->draining.is_set, true);
	pthread_cond_broadcast(&w->progress);
	pthread_mutex_unlock(&w->lock);
}

void
logout_worker_kick(struct logout_worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->is_kicked = true;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void
logout_worker_wait_sid(struct logout_worker *w, const char *sid, int64_t wait_ms)
{
	double deadline = clock_mono_ms() + (double)wait_ms;
	struct timespec ts;
	int64_t pending = 0;
	struct err err;
	double left;

	if (w == NULL || wait_ms <= 0)
		return;
	for (;;) {
		if (store_logout_delivery_pending_sid(w->app->store, sid, &pending, &err) !=
		    ST_OK) {
			log_msg(LOG_ERROR, NULL, err.func, "logout outbox: %s", err.msg);
			return;
		}
		left = deadline - clock_mono_ms();
		if (pending == 0 || left <= 0 || atomic_load(&w->draining.is_set))
			return;
		/* A timed wait: a broadcast between the count and the wait is not lost for long. */
		pthread_mutex_lock(&w->lock);
		deadline_in(&ts, left < WAIT_STEP_MS ? (int64_t)left + 1 : WAIT_STEP_MS);
		pthread_cond_timedwait(&w->progress, &w->lock, &ts);
		pthread_mutex_unlock(&w->lock);
	}
}
