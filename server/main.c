/*
 * server/main.c — main(): command dispatch, and `oidcd serve`:
 * flags -> config -> store -> keyring -> http -> signals -> orderly stop.
 *
 * Serving: the listeners run in libmicrohttpd's threads; the main thread
 * waits for SIGTERM/SIGINT and, every keys.refresh_interval, reloads keys
 * changed by `oidcd keys rotate` or another instance and rebuilds the
 * cached documents when the published key set changed. On a signal it stops
 * accepting, lets in-flight requests finish (up to 10 s), closes the
 * database and exits 0.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "server/app.h"
#include "server/cli.h"
#include "server/docs.h"
#include "server/http.h"
#include "server/keys.h"
#include "server/logout_worker.h"
#include "server/notify.h"
#include "server/page.h"
#include "server/users.h"
#include "version.h"

#define SHUTDOWN_GRACE_MS 10000

static char *
dev_issuer(const struct http_server *srv, const struct config *cfg)
{
	const char *addr = http_public_addr(srv);
	const char *scheme = cfg->public_tls_cert != NULL ? "https" : "http";
	char buf[128];

	/* A wildcard bind is reachable on loopback; the issuer must be a URL. */
	if (strncmp(addr, "0.0.0.0:", 8) == 0)
		snprintf(buf, sizeof buf, "%s://127.0.0.1:%u", scheme, http_public_port(srv));
	else if (strncmp(addr, "[::]:", 5) == 0)
		snprintf(buf, sizeof buf, "%s://[::1]:%u", scheme, http_public_port(srv));
	else
		snprintf(buf, sizeof buf, "%s://%s", scheme, addr);
	return xstrdup(buf);
}

static void
refresh(struct app *app, struct store *store, int64_t *generation)
{
	struct err err;
	bool changed = false;

	if (keys_refresh(store, app->keyring, clock_now(&app->clock), generation, &err) != ST_OK) {
		log_msg(LOG_ERROR, NULL, err.func, "key refresh failed: %s", err.msg);
		return;
	}
	if (docs_refresh(app, false, &changed, &err) != ST_OK) {
		log_msg(LOG_ERROR, NULL, err.func, "document rebuild failed: %s", err.msg);
		return;
	}
	if (changed)
		LOG_INFO("published keys changed: discovery and JWKS rebuilt");
}

struct sweep_round {
	int64_t now;
	int64_t batch;
	int64_t deleted;
};

static enum status
sweep_once(struct store *s, void *arg, struct err *err)
{
	struct sweep_round *r = arg;

	return store_sweep(s, r->now, r->batch, &r->deleted, err);
}

/*
 * Deletes expired codes, tokens, sessions, consents and throttle state in
 * small batches, each its own write through the writer, so request writes
 * interleave (Hydra's tables grow without bound: its users' top complaint).
 */
static void
sweep(struct app *app)
{
	struct sweep_round r = {clock_now(&app->clock), app->cfg->sweep_batch, 0};
	struct err err;
	int64_t total = 0;
	int rounds;

	for (rounds = 0; rounds < 10000; rounds++) {
		if (store_write_sync(app->store, sweep_once, &r, &err) != ST_OK) {
			log_msg(LOG_ERROR, NULL, err.func, "sweep failed: %s", err.msg);
			return;
		}
		total += r.deleted;
		if (r.deleted == 0)
			break;
	}
	if (total > 0)
		LOG_INFO("sweeper deleted %lld expired rows", (long long)total);
}

#define ANCHOR_EXPIRE_CHECK_MS 1000.0
#define ANCHOR_IDLE_MS         1000

/*
 * Waits for SIGTERM/SIGINT; meanwhile refreshes keys every
 * keys.refresh_interval and sweeps expired rows every sweep.interval.
 */
static void
wait_for_signal(struct app *app, struct store *store, const sigset_t *set, int64_t *generation)
{
	double now = clock_mono_ms();
	double next_refresh = now + (double)app->cfg->keys_refresh_interval_secs * 1000.0;
	double next_sweep = now + (double)app->cfg->sweep_interval_secs * 1000.0;
	struct timespec ts;
	int sig;

	for (;;) {
		double wait_ms = (next_refresh < next_sweep ? next_refresh : next_sweep) - now;

		/* At least once a second: an idle server lets go of its read anchor. */
		if (wait_ms > ANCHOR_EXPIRE_CHECK_MS)
			wait_ms = ANCHOR_EXPIRE_CHECK_MS;

		if (wait_ms < 1)
			wait_ms = 1;
		ts.tv_sec = (time_t)(wait_ms / 1000.0);
		ts.tv_nsec = (long)((wait_ms - (double)ts.tv_sec * 1000.0) * 1e6);
		sig = sigtimedwait(set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			LOG_INFO("received %s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return;
		}
		now = clock_mono_ms();
		store_anchor_expire(store, ANCHOR_IDLE_MS);
		if (now >= next_refresh) {
			refresh(app, store, generation);
			next_refresh = now + (double)app->cfg->keys_refresh_interval_secs * 1000.0;
		}
		if (now >= next_sweep) {
			sweep(app);
			next_sweep = now + (double)app->cfg->sweep_interval_secs * 1000.0;
		}
	}
}

static int
serve(const struct cli_opts *opts)
{
	struct config cfg;
	struct app app;
	struct app_docs docs;
	struct store *store = NULL;
	struct keyring *kr = NULL;
	struct http_server *srv = NULL;
	struct page_templates *templates = NULL;
	char *issuer = NULL;
	struct err err;
	int64_t generation = 0;
	sigset_t set;
	bool generated = false, imported = false;
	size_t resealed = 0;
	int rc = 1;

	memset(&app, 0, sizeof app);
	memset(&cfg, 0, sizeof cfg);
	docs_init(&docs);
	if (!cli_load_config(opts, &cfg)) {
		rc = 2;
		goto out;
	}
	log_setup(cfg.log_level, cfg.log_format);
	log_set_fd(cfg.log_output == CONFIG_LOG_STDOUT ? 1 : 2);
	if (cfg.is_dev)
		LOG_WARN("development setup (--dev): plain-http issuer allowed, dynamic "
		         "registration on; do not use in production");
	if (!cli_dev_secret(&cfg)) {
		rc = 2;
		goto out;
	}
	rc = cli_open_store(&cfg, false, &store);
	if (rc != 0)
		goto out;
	rc = 1;
	/* Writes from requests share transactions and fsyncs (store.h). */
	if (store_writer_start(store, &err) != ST_OK) {
		fprintf(stderr, "oidcd: %s\n", err.msg);
		goto out;
	}
	kr = keys_keyring_new(&cfg);
	if (keys_load(store, kr, &generation, &err) != ST_OK ||
	    keys_reseal(store, kr, &resealed, &err) != ST_OK ||
	    keys_import_if_none(&cfg, store, kr, clock_now(NULL), &imported, &err) != ST_OK ||
	    keys_bootstrap(&cfg, store, kr, clock_now(NULL), &generated, &err) != ST_OK) {
		fprintf(stderr, "oidcd: signing keys: %s\n", err.msg);
		goto out;
	}
	if (resealed > 0)
		LOG_INFO("sealed %zu signing key(s) under the first secrets.system value",
		         resealed);
	if (imported)
		LOG_INFO("imported the %s signing key from keys.import_file",
		         config_alg_name(cfg.keys_algorithm));
	if (generated)
		LOG_INFO("generated a %s signing key", config_alg_name(cfg.keys_algorithm));
	if (cfg.is_dev && users_dev_bootstrap(&cfg, store, clock_now(NULL), &err) != ST_OK) {
		fprintf(stderr, "oidcd: demo user: %s\n", err.msg);
		goto out;
	}
	if (page_templates_load(cfg.ui_templates_dir, &templates, &err) != ST_OK) {
		fprintf(stderr, "oidcd: ui.templates_dir: %s\n", err.msg);
		rc = 2;
		goto out;
	}
	if (http_bind(&cfg, &srv, &err) != ST_OK) {
		fprintf(stderr, "oidcd: %s\n", err.msg);
		goto out;
	}
	issuer = cfg.issuer_is_default ? dev_issuer(srv, &cfg) : xstrdup(cfg.issuer);

	app.cfg = &cfg;
	app.issuer = issuer;
	app.store = store;
	app.keyring = kr;
	app.docs = &docs;
	app.version = OIDCD_VERSION;
	app.templates = templates;
	if (docs_refresh(&app, true, NULL, &err) != ST_OK) {
		fprintf(stderr, "oidcd: %s\n", err.msg);
		goto out;
	}

	/* Block the stop signals in every thread (MHD's inherit the mask); the
	 * main thread takes them with sigtimedwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Back-channel logout deliveries, pending ones from before the start too. */
	if (logout_worker_start(&app, &app.logout_worker, &err) != ST_OK) {
		fprintf(stderr, "oidcd: %s\n", err.msg);
		goto out;
	}
	if (http_serve(srv, &app, &err) != ST_OK) {
		fprintf(stderr, "oidcd: %s\n", err.msg);
		goto out;
	}
	log_event(LOG_INFO, NULL, "main", "oidcd started",
	          (struct log_field[]){LOG_STR("version", OIDCD_VERSION), LOG_STR("issuer", issuer),
	                               LOG_STR("public", http_public_addr(srv)),
	                               LOG_STR("admin", http_admin_addr(srv)),
	                               LOG_STR("database", store_path(store)),
	                               LOG_NUM("threads", cfg.threads)},
	          6);
	/* Unbuffered, the access log costs one write(2) per request. */
	log_start_flusher();
	/* Type=notify units (examples/oidcd.service): the listeners serve now. */
	if (notify_send(getenv("NOTIFY_SOCKET"), "READY=1", &err) != ST_OK)
		log_msg(LOG_WARN, NULL, err.func, "%s", err.msg);
	wait_for_signal(&app, store, &set, &generation);
	logout_worker_drain(app.logout_worker); /* no request waits for deliveries now */
	(void)notify_send(getenv("NOTIFY_SOCKET"), "STOPPING=1", &err);
	http_shutdown(srv, SHUTDOWN_GRACE_MS);
	srv = NULL;
	logout_worker_stop(app.logout_worker);
	app.logout_worker = NULL;
	LOG_INFO("stopped");
	log_flush();
	rc = 0;
out:
	log_flush();
	http_shutdown(srv, 0);
	logout_worker_stop(app.logout_worker);
	keyring_free(kr);
	store_close(store);
	page_templates_free(templates);
	docs_free(&docs);
	free(issuer);
	config_free(&cfg);
	return rc;
}

static const char *
command_name(int argc, char **argv, int *first)
{
	static const char *const two_words[] = {
	        "config check", "keys list",    "keys rotate",    "clients create",
	        "clients list", "clients get",  "clients update", "clients delete",
	        "users add",    "users list",   "users get",      "users update",
	        "users passwd", "users delete",
	};
	static char name[32];
	size_t i;

	if (argc < 2)
		return NULL;
	*first = 2;
	if (argc >= 3) {
		snprintf(name, sizeof name, "%s %s", argv[1], argv[2]);
		for (i = 0; i < sizeof two_words / sizeof two_words[0]; i++) {
			if (strcmp(name, two_words[i]) == 0) {
				*first = 3;
				return two_words[i];
			}
		}
	}
	return argv[1];
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(const struct cli_opts *opts);
	} commands[] = {
	        {"serve",          serve             },
	        {"config check",   cli_config_check  },
	        {"migrate",        cli_migrate       },
	        {"keys list",      cli_keys_list     },
	        {"keys rotate",    cli_keys_rotate   },
	        {"health",         cli_health        },
	        {"backup",         cli_backup        },
	        {"restore",        cli_restore       },
	        {"clients create", cli_clients_create},
	        {"clients list",   cli_clients_list  },
	        {"clients get",    cli_clients_get   },
	        {"clients update", cli_clients_update},
	        {"clients delete", cli_clients_delete},
	        {"users add",      cli_users_add     },
	        {"users list",     cli_users_list    },
	        {"users get",      cli_users_get     },
	        {"users update",   cli_users_update  },
	        {"users passwd",   cli_users_passwd  },
	        {"users delete",   cli_users_delete  },
	};
	struct cli_opts opts;
	const char *cmd;
	int first = 1, rc;
	size_t i;

	/* A NULL from jansson then means bad input, never missing memory. */
	json_set_alloc_funcs(xmalloc, free);
	cmd = command_name(argc, argv, &first);
	if (cmd == NULL || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		cli_usage(NULL);
		return cmd == NULL ? 2 : 0;
	}
	if (strcmp(cmd, "help") == 0) {
		cli_usage(argc > 2 ? argv[2] : NULL);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("oidcd %s\n", OIDCD_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(cmd, commands[i].name) != 0)
			continue;
		if (!cli_parse(argc, argv, first, &opts))
			return 2;
		if (opts.wants_help) {
			cli_usage(cmd);
			return 0;
		}
		if (opts.nargs > 0 && strncmp(cmd, "clients ", 8) != 0 &&
		    strncmp(cmd, "users ", 6) != 0 && strcmp(cmd, "backup") != 0 &&
		    strcmp(cmd, "restore") != 0) {
			fprintf(stderr, "oidcd: %s: unexpected argument '%s'\n", cmd, opts.args[0]);
			return 2;
		}
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = commands[i].run(&opts);
		curl_global_cleanup();
		return rc;
	}
	fprintf(stderr, "oidcd: unknown command '%s' (see 'oidcd help')\n", argv[1]);
	return 2;
}
