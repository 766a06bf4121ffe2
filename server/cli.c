/*
 * server/cli.c — option parsing and the operator subcommands: config check,
 * migrate, keys list, keys rotate, health, backup, restore. See cli.h.
 * Output for humans goes to stdout; errors are one line on stderr.
 */
#include "server/cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/xalloc.h"
#include "crypto/jwk.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "server/keys.h"

extern char **environ;

struct usage {
	const char *command;
	const char *synopsis;
	const char *text;
};

#define COMMON_FLAGS                                                                               \
	"  --config FILE        configuration file (default: $OIDCD_CONFIG, else none)\n"          \
	"  --dev                development defaults: http issuer, ./oidcd.db, generated secret\n" \
	"  --database PATH      SQLite database file, or postgres://... URL (key: database)\n"     \
	"  --set KEY=VALUE      set any configuration key (highest precedence)\n"

/* AlignArrayOfStructures makes this prose table unreadable. */
/* clang-format off */
static const struct usage usages[] = {
	{"serve",
	 "oidcd serve [--config FILE] [--dev] [--listen HOST:PORT] [--admin-listen HOST:PORT|off]",
	 "Runs the OpenID provider: public API and admin API.\n\n" COMMON_FLAGS
	 "  --listen HOST:PORT   public listener (key: public.listen; port 0 = any free port)\n"
	 "  --admin-listen ADDR  admin listener, or 'off' (key: admin.listen)\n"},
	{"config check",
	 "oidcd config check [--config FILE] [--dev]",
	 "Loads and validates the configuration without serving; exit 0 when valid.\n\n"
	 COMMON_FLAGS},
	{"migrate",
	 "oidcd migrate [--config FILE] [--dev]",
	 "Creates the database or applies pending schema migrations.\n\n" COMMON_FLAGS},
	{"keys list",
	 "oidcd keys list [--config FILE] [--dev]",
	 "Lists the signing keys with their status: next (published, not yet signing),\n"
	 "active (signing), retired (published until the tokens it signed expire).\n\n"
	 COMMON_FLAGS},
	{"keys rotate",
	 "oidcd keys rotate [--config FILE] [--dev]",
	 "Adds a new signing key of keys.algorithm. It is published in the JWKS at once\n"
	 "and signs after keys.publish_before_use; the old key then retires.\n"
	 "A running server picks it up within keys.refresh_interval.\n\n" COMMON_FLAGS},
	{"clients create",
	 "oidcd clients create [--file FILE]",
	 "Creates a client from a JSON document (Hydra's oAuth2Client fields) read from\n"
	 "FILE or standard input, and prints it as JSON with its secret and registration\n"
	 "access token. client_id and client_secret may be chosen.\n\n" COMMON_FLAGS},
	{"clients list",
	 "oidcd clients list",
	 "Prints every client as a JSON array.\n\n" COMMON_FLAGS},
	{"clients get",
	 "oidcd clients get ID",
	 "Prints one client as JSON.\n\n" COMMON_FLAGS},
	{"clients update",
	 "oidcd clients update ID [--file FILE]",
	 "Replaces a client with the JSON document from FILE or standard input.\n\n"
	 COMMON_FLAGS},
	{"clients delete",
	 "oidcd clients delete ID",
	 "Deletes a client and everything issued to it.\n\n" COMMON_FLAGS},
	{"users add",
	 "oidcd users add USERNAME [--file CLAIMS.json]",
	 "Creates a user of the built-in store with the OIDC standard claims of FILE\n"
	 "(name, email, ...) and prints it as JSON. The password is asked twice on the\n"
	 "terminal, or read from the first line of standard input; never an argument.\n\n"
	 COMMON_FLAGS},
	{"users list",
	 "oidcd users list",
	 "Prints every user as a JSON array (never a password).\n\n" COMMON_FLAGS},
	{"users get",
	 "oidcd users get ID|USERNAME",
	 "Prints one user as JSON.\n\n" COMMON_FLAGS},
	{"users update",
	 "oidcd users update ID [--file FILE]",
	 "Replaces a user's claims (and optionally username) with the JSON document from\n"
	 "FILE or standard input.\n\n" COMMON_FLAGS},
	{"users passwd",
	 "oidcd users passwd ID|USERNAME",
	 "Sets a new password (asked twice on the terminal, or the first line of standard\n"
	 "input) and ends the user's login sessions.\n\n" COMMON_FLAGS},
	{"users delete",
	 "oidcd users delete ID",
	 "Deletes a user with their sessions, consents and tokens.\n\n" COMMON_FLAGS},
	{"health",
	 "oidcd health [--url URL] [--config FILE]",
	 "Exits 0 when URL answers 200, else 1. For container health checks and\n"
	 "monitoring. Without --url: /health/ready of the configured public.listen\n"
	 "(a wildcard address is asked on loopback), over https trusting exactly\n"
	 "public.tls_cert when native TLS is on.\n\n" COMMON_FLAGS},
	{"backup",
	 "oidcd backup FILE [--force]",
	 "Copies the database, as one consistent snapshot, to FILE while the server keeps\n"
	 "running (SQLite's online backup API). FILE appears only once complete; an\n"
	 "existing FILE is refused unless --force.\n\n" COMMON_FLAGS},
	{"restore",
	 "oidcd restore FILE",
	 "Replaces the configured database with the backup FILE, after checking it\n"
	 "(PRAGMA integrity_check, schema not newer than this oidcd). Stop the server\n"
	 "first: a database in use is refused.\n\n" COMMON_FLAGS},
	{"version", "oidcd version", "Prints the version.\n"},
	{"help", "oidcd help [COMMAND]", "Shows help for oidcd or one command.\n"},
};
/* clang-format on */

void
cli_usage(const char *command)
{
	size_t i;

	if (command != NULL) {
		for (i = 0; i < sizeof usages / sizeof usages[0]; i++) {
			if (strcmp(usages[i].command, command) == 0) {
				printf("usage: %s\n\n%s", usages[i].synopsis, usages[i].text);
				return;
			}
		}
	}
	printf("oidcd — a self-hosted OpenID Connect provider\n\nusage:\n");
	for (i = 0; i < sizeof usages / sizeof usages[0]; i++)
		printf("  %s\n", usages[i].synopsis);
	printf("\nRun 'oidcd COMMAND --help' for details. Configuration keys are documented in\n"
	       "examples/oidcd.conf; each can also be set as OIDCD_<KEY> (e.g. OIDCD_ISSUER).\n");
}

static bool
add_override(struct cli_opts *opts, const char *key, const char *value)
{
	if (opts->noverrides == CLI_MAX_OVERRIDES) {
		fprintf(stderr, "oidcd: too many --set options\n");
		return false;
	}
	opts->overrides[opts->noverrides].key = key;
	opts->overrides[opts->noverrides].value = value;
	opts->noverrides++;
	return true;
}

bool
cli_parse(int argc, char **argv, int first, struct cli_opts *opts)
{
	static const struct {
		const char *flag;
		const char *key;
	} mapped[] = {
	        {"--listen",       "public.listen"},
	        {"--admin-listen", "admin.listen" },
	        {"--database",     "database"     },
	};
	int i;
	size_t j;

	memset(opts, 0, sizeof *opts);
	opts->config_path = getenv("OIDCD_CONFIG");
	for (i = first; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		bool handled = false;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			opts->wants_help = true;
			continue;
		}
		if (strcmp(a, "--dev") == 0) {
			opts->is_dev = true;
			continue;
		}
		if (strcmp(a, "--force") == 0) {
			opts->is_force = true;
			continue;
		}
		if (a[0] != '-') {
			if (opts->nargs == sizeof opts->args / sizeof opts->args[0]) {
				fprintf(stderr, "oidcd: too many arguments\n");
				return false;
			}
			opts->args[opts->nargs++] = a;
			continue;
		}
		if (next == NULL) {
			fprintf(stderr, "oidcd: %s: missing value (see 'oidcd help')\n", a);
			return false;
		}
		if (strcmp(a, "--config") == 0) {
			opts->config_path = next;
			handled = true;
		} else if (strcmp(a, "--url") == 0) {
			opts->url = next;
			handled = true;
		} else if (strcmp(a, "--file") == 0) {
			opts->file = next;
			handled = true;
		} else if (strcmp(a, "--set") == 0) {
			char *eq = strchr(next, '=');

			if (eq == NULL || eq == next) {
				fprintf(stderr, "oidcd: --set %s: expected KEY=VALUE\n", next);
				return false;
			}
			*eq = '\0';
			if (!add_override(opts, next, eq + 1))
				return false;
			handled = true;
		}
		for (j = 0; !handled && j < sizeof mapped / sizeof mapped[0]; j++) {
			if (strcmp(a, mapped[j].flag) == 0) {
				if (!add_override(opts, mapped[j].key, next))
					return false;
				handled = true;
			}
		}
		if (!handled) {
			fprintf(stderr, "oidcd: unknown option %s (see 'oidcd help')\n", a);
			return false;
		}
		i++;
	}
	return true;
}

bool
cli_load_config(const struct cli_opts *opts, struct config *cfg)
{
	struct err err;

	if (config_load(opts->config_path, (const char *const *)environ, opts->overrides,
	                opts->noverrides, opts->is_dev, cfg, &err) != ST_OK) {
		fprintf(stderr, "oidcd: %s\n", err.msg);
		return false;
	}
	return true;
}

static bool
read_secret(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "oidcd: %s: cannot read: %s\n", path, strerror(errno));
		return false;
	}
	n = fread(out, 1, cap - 1, f);
	fclose(f);
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		out[--n] = '\0';
	if (n < 16) {
		fprintf(stderr, "oidcd: %s: the secret must be at least 16 characters\n", path);
		return false;
	}
	return true;
}

bool
cli_dev_secret(struct config *cfg)
{
	char path[4096], secret[129];
	struct err err;
	bool ok = false;
	int fd;

	if (!cfg->is_dev || cfg->secrets_system_count > 0)
		return true;
	/* A PostgreSQL URL is no file to put it beside: the working directory. */
	if (store_path_is_pg(cfg->database))
		snprintf(path, sizeof path, "oidcd-dev.secret");
	else
		snprintf(path, sizeof path, "%s.secret",
		         strncmp(cfg->database, "sqlite:", 7) == 0 ? cfg->database + 7
		                                                   : cfg->database);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		ok = read_secret(path, secret, sizeof secret);
		goto out;
	}
	if (fd < 0) {
		fprintf(stderr, "oidcd: %s: cannot create: %s\n", path, strerror(errno));
		goto out;
	}
	if (random_hex(32, secret, &err) != ST_OK) {
		fprintf(stderr, "oidcd: %s\n", err.msg);
		close(fd);
		unlink(path);
		goto out;
	}
	if (write(fd, secret, strlen(secret)) != (ssize_t)strlen(secret) ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		fprintf(stderr, "oidcd: %s: cannot write: %s\n", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	close(fd);
	LOG_WARN("development setup: generated secrets.system into %s (mode 0600); set "
	         "secrets.system for production",
	         path);
	ok = true;
out:
	if (ok)
		config_set_dev_secret(cfg, secret);
	secret_wipe(secret, sizeof secret);
	return ok;
}

int
cli_open_store(const struct config *cfg, bool read_only, struct store **out)
{
	struct store_options o = {0};
	struct store *s = NULL;
	struct err err;
	enum status st;

	o.synchronous_full = cfg->database_synchronous == CONFIG_SYNC_FULL;
	o.read_only = read_only;
	st = store_open(cfg->database, &o, &s, &err);
	if (st != ST_OK) {
		fprintf(stderr, "oidcd: %s\n", err.msg);
		return st == ST_IO ? 1 : 2;
	}
	if (!read_only && store_migrate(s, NULL, &err) != ST_OK) {
		fprintf(stderr, "oidcd: %s: migration failed: %s\n", store_path(s), err.msg);
		store_close(s);
		return 1;
	}
	*out = s;
	return 0;
}

int
cli_config_check(const struct cli_opts *opts)
{
	struct config cfg;

	if (!cli_load_config(opts, &cfg))
		return 2;
	printf("config ok: %s\n", opts->config_path != NULL ? opts->config_path : "(defaults)");
	config_free(&cfg);
	return 0;
}

int
cli_migrate(const struct cli_opts *opts)
{
	struct config cfg;
	struct store *s = NULL;
	struct err err;
	int version = 0, applied = 0, rc;

	if (!cli_load_config(opts, &cfg))
		return 2;
	rc = cli_open_store(&cfg, false, &s);
	if (rc != 0)
		goto out;
	/* cli_open_store migrated; report the state. */
	if (store_migrate(s, &applied, &err) != ST_OK ||
	    store_schema_version(s, &version, &err) != ST_OK) {
		fprintf(stderr, "oidcd: %s\n", err.msg);
		rc = 1;
		goto out;
	}
	printf("database %s: schema version %d (latest %d)\n", store_path(s), version,
	       store_schema_latest());
out:
	store_close(s);
	config_free(&cfg);
	return rc;
}

static void
fmt_time(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		snprintf(out, cap, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Opens config, dev secret, store and keyring for the keys commands. */
static int
open_keys(const struct cli_opts *opts, struct config *cfg, struct store **s, struct keyring **kr)
{
	struct err err;
	int rc;

	if (!cli_load_config(opts, cfg))
		return 2;
	if (!cli_dev_secret(cfg))
		return 2;
	rc = cli_open_store(cfg, false, s);
	if (rc != 0)
		return rc;
	*kr = keys_keyring_new(cfg);
	if (keys_load(*s, *kr, NULL, &err) != ST_OK) {
		fprintf(stderr, "oidcd: %s\n", err.msg);
		return 1;
	}
	return 0;
}

int
cli_keys_list(const struct cli_opts *opts)
{
	struct config cfg;
	struct store *s = NULL;
	struct keyring *kr = NULL;
	struct keyring_key_info info[64];
	int64_t now = clock_now(NULL);
	size_t n, i;
	int rc;

	memset(&cfg, 0, sizeof cfg);
	rc = open_keys(opts, &cfg, &s, &kr);
	if (rc != 0)
		goto out;
	n = keyring_list(kr, now, info, sizeof info / sizeof info[0]);
	if (n > sizeof info / sizeof info[0])
		n = sizeof info / sizeof info[0];
	printf("%-44s %-6s %-8s %-21s %-21s %s\n", "KID", "ALG", "STATUS", "CREATED", "SIGNS_FROM",
	       "PUBLISHED_UNTIL");
	for (i = 0; i < n; i++) {
		char c[32], u[32], p[32];

		fmt_time(info[i].created_at, c, sizeof c);
		fmt_time(info[i].usable_from, u, sizeof u);
		fmt_time(info[i].published_until, p, sizeof p);
		printf("%-44s %-6s %-8s %-21s %-21s %s\n", info[i].kid, jws_alg_name(info[i].alg),
		       keyring_status_str(info[i].status), c, u, p);
	}
out:
	keyring_free(kr);
	store_close(s);
	config_free(&cfg);
	return rc;
}

int
cli_keys_rotate(const struct cli_opts *opts)
{
	struct config cfg;
	struct store *s = NULL;
	struct keyring *kr = NULL;
	struct err err;
	char kid[64], when[32];
	int64_t usable_from = 0;
	int rc;

	memset(&cfg, 0, sizeof cfg);
	rc = open_keys(opts, &cfg, &s, &kr);
	if (rc != 0)
		goto out;
	if (keys_rotate(&cfg, s, kr, clock_now(NULL), kid, &usable_from, &err) != ST_OK) {
		fprintf(stderr, "oidcd: keys rotate: %s\n", err.msg);
		rc = 1;
		goto out;
	}
	fmt_time(usable_from, when, sizeof when);
	printf("new key %s (%s): published now, signs from %s\n", kid,
	       config_alg_name(cfg.keys_algorithm), when);
out:
	keyring_free(kr);
	store_close(s);
	config_free(&cfg);
	return rc;
}

static size_t
discard(void *p, size_t size, size_t n, void *cls)
{
	(void)p;
	(void)cls;
	return size * n;
}

/*
 * The readiness URL of the configured public listener: a wildcard address
 * is asked on loopback; https when the listener serves TLS.
 */
static void
health_url(const struct config *cfg, char *out, size_t cap)
{
	const char *scheme = cfg->public_tls_cert != NULL ? "https" : "http";
	const char *listen = cfg->public_listen;
	const char *port = strrchr(listen, ':');

	if (strncmp(listen, "0.0.0.0:", 8) == 0)
		snprintf(out, cap, "%s://127.0.0.1%s/health/ready", scheme, port);
	else if (strncmp(listen, "[::]:", 5) == 0)
		snprintf(out, cap, "%s://[::1]%s/health/ready", scheme, port);
	else
		snprintf(out, cap, "%s://%s/health/ready", scheme, listen);
}

int
cli_health(const struct cli_opts *opts)
{
	struct config cfg;
	bool has_cfg = false;
	char derived[512];
	const char *url = opts->url;
	CURL *curl = NULL;
	long code = 0;
	CURLcode rc;
	int ret = 1;

	memset(&cfg, 0, sizeof cfg);
	if (url == NULL) {
		/*
		 * The same configuration as serve (--config, OIDCD_CONFIG,
		 * OIDCD_*), loaded with --dev's relaxed checks: only the listener
		 * keys matter here, so a `serve --dev` container is probed too.
		 */
		struct cli_opts lenient = *opts;

		lenient.is_dev = true;
		if (!cli_load_config(&lenient, &cfg))
			return 2;
		has_cfg = true;
		health_url(&cfg, derived, sizeof derived);
		url = derived;
	}
	curl = curl_easy_init();
	if (curl == NULL)
		goto out;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	if (has_cfg && cfg.public_tls_cert != NULL) {
		/*
		 * Our own listener on loopback: trust exactly the configured
		 * certificate (curl accepts a leaf as its own anchor), whose
		 * names are the public host's, not 127.0.0.1.
		 */
		curl_easy_setopt(curl, CURLOPT_CAINFO, cfg.public_tls_cert);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		fprintf(stderr, "oidcd: health: %s: %s\n", url, curl_easy_strerror(rc));
		goto out;
	}
	printf("%s: %ld\n", url, code);
	ret = code == 200 ? 0 : 1;
out:
	curl_easy_cleanup(curl);
	if (has_cfg)
		config_free(&cfg);
	return ret;
}

/* The one FILE argument of backup / restore. */
static const char *
file_arg(const struct cli_opts *opts, const char *cmd)
{
	if (opts->nargs != 1) {
		fprintf(stderr, "oidcd: %s: expected one FILE argument (see 'oidcd help %s')\n",
		        cmd, cmd);
		return NULL;
	}
	return opts->args[0];
}

int
cli_backup(const struct cli_opts *opts)
{
	const char *path = file_arg(opts, "backup");
	struct config cfg;
	struct store *s = NULL;
	struct err err;
	int rc;

	if (path == NULL)
		return 2;
	if (!cli_load_config(opts, &cfg))
		return 2;
	/* Read-only: a backup never creates, migrates or writes the database. */
	rc = cli_open_store(&cfg, true, &s);
	if (rc != 0)
		goto out;
	if (store_backup(s, path, opts->is_force, &err) != ST_OK) {
		fprintf(stderr, "oidcd: backup: %s\n", err.msg);
		rc = err.st == ST_CONFLICT ? 2 : 1;
		goto out;
	}
	printf("backed up %s to %s\n", store_path(s), path);
out:
	store_close(s);
	config_free(&cfg);
	return rc;
}

int
cli_restore(const struct cli_opts *opts)
{
	const char *path = file_arg(opts, "restore");
	struct config cfg;
	struct err err;
	int rc = 0;

	if (path == NULL)
		return 2;
	if (!cli_load_config(opts, &cfg))
		return 2;
	if (store_restore(path, cfg.database, &err) != ST_OK) {
		fprintf(stderr, "oidcd: restore: %s\n", err.msg);
		rc = 1;
		goto out;
	}
	printf("restored %s from %s\n", cfg.database, path);
out:
	config_free(&cfg);
	return rc;
}

int
cli_env_open(const struct cli_opts *opts, struct cli_env *e)
{
	struct err err;
	int rc;

	memset(e, 0, sizeof *e);
	e->arena = arena_new();
	if (!cli_load_config(opts, &e->cfg) || !cli_dev_secret(&e->cfg))
		return 2;
	rc = cli_open_store(&e->cfg, false, &e->store);
	if (rc != 0)
		return rc;
	e->kr = keys_keyring_new(&e->cfg);
	if (keys_load(e->store, e->kr, NULL, &err) != ST_OK) {
		fprintf(stderr, "oidcd: %s\n", err.msg);
		return 1;
	}
	e->app.cfg = &e->cfg;
	e->app.issuer = e->cfg.issuer;
	e->app.store = e->store;
	e->app.keyring = e->kr;
	return 0;
}

void
cli_env_close(struct cli_env *e)
{
	keyring_free(e->kr);
	store_close(e->store);
	config_free(&e->cfg);
	arena_free(e->arena);
}

int
cli_print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

	json_decref(j);
	if (text == NULL)
		return 1;
	printf("%s\n", text);
	free(text);
	return 0;
}

int
cli_failed(const struct err *err)
{
	fprintf(stderr, "oidcd: %s\n", err->msg);
	return 1;
}
