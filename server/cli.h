/*
 * server/cli.h — the oidcd command line: option parsing shared by every
 * subcommand, and the subcommands other than serve (cli.c). main.c holds
 * main() and serve.
 *
 * Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error
 * (one line on stderr naming the problem).
 */
#ifndef SERVER_CLI_H
#define SERVER_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "server/app.h"
#include "storage/store.h"

#define CLI_MAX_OVERRIDES 64

struct cli_opts {
	const char *config_path; /* --config, else $OIDCD_CONFIG, else none */
	bool is_dev;             /* --dev */
	bool wants_help;         /* --help / -h */
	const char *url;         /* --url (health) */
	const char *file;        /* --file (clients create/update, users add/update; "-" = stdin) */
	bool is_force;           /* --force (backup: overwrite FILE) */
	struct config_override overrides[CLI_MAX_OVERRIDES];
	size_t noverrides;
	const char *args[8]; /* positional arguments after the command words */
	size_t nargs;
};

/*
 * Parses argv[first..argc) into opts. Returns false (after printing one line
 * to stderr) on a usage error.
 */
bool cli_parse(int argc, char **argv, int first, struct cli_opts *opts);

/* Loads the configuration for opts; prints the one-line error and returns false on failure. */
bool cli_load_config(const struct cli_opts *opts, struct config *cfg);

/*
 * In --dev without secrets.system: reads, or creates (mode 0600), the secret
 * in "<database>.secret" and installs it. Returns false after printing.
 */
bool cli_dev_secret(struct config *cfg);

/*
 * Opens (and, unless read_only, migrates) the database. Prints the one-line
 * reason and returns the exit code (2 for a file that is not a database or
 * is newer than this binary) on failure; 0 on success.
 */
int cli_open_store(const struct config *cfg, bool read_only, struct store **out);

/* One-line usage of a command, and the full help. */
void cli_usage(const char *command);

int cli_config_check(const struct cli_opts *opts);
int cli_migrate(const struct cli_opts *opts);
int cli_keys_list(const struct cli_opts *opts);
int cli_keys_rotate(const struct cli_opts *opts);
int cli_health(const struct cli_opts *opts);
int cli_backup(const struct cli_opts *opts);
int cli_restore(const struct cli_opts *opts);

/*
 * What the admin subcommands (clients, users) work on: the configuration,
 * the store, the keyring and an app around them, as the server has. Opened
 * by cli_env_open (returns the exit code on failure, after printing),
 * released by cli_env_close (also after a failed open).
 */
struct cli_env {
	struct config cfg;
	struct store *store;
	struct keyring *kr;
	struct app app;
	struct arena *arena;
};

int cli_env_open(const struct cli_opts *opts, struct cli_env *e);
void cli_env_close(struct cli_env *e);
/* Prints j (stolen) as indented JSON on stdout; 0, or 1 when it cannot be serialised. */
int cli_print_json(json_t *j);
/* Prints "oidcd: <message>" for a server-side failure; returns exit code 1. */
int cli_failed(const struct err *err);

/* cli_clients.c */
int cli_clients_create(const struct cli_opts *opts);
int cli_clients_list(const struct cli_opts *opts);
int cli_clients_get(const struct cli_opts *opts);
int cli_clients_update(const struct cli_opts *opts);
int cli_clients_delete(const struct cli_opts *opts);

/* cli_users.c */
int cli_users_add(const struct cli_opts *opts);
int cli_users_list(const struct cli_opts *opts);
int cli_users_get(const struct cli_opts *opts);
int cli_users_update(const struct cli_opts *opts);
int cli_users_passwd(const struct cli_opts *opts);
int cli_users_delete(const struct cli_opts *opts);

#endif
