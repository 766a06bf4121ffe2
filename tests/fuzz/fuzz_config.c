/*
 * tests/fuzz/fuzz_config.c — config_load_buffer (config/config.c and
 * config/config_parse.c), with --dev so that the file alone can be valid.
 *
 * Input: the config file text, optionally followed by NUL-separated extra
 * entries: "OIDCD_X=v" entries form the environment, "--key=value" entries
 * become overrides. The whole input is also given, as a string, to
 * config_parse_duration and config_parse_cidr.
 *
 * Invariants checked:
 * - a failure leaves a one-line, non-empty message and *out untouched;
 * - a loaded config satisfies what config.h promises (issuer normalised,
 *   secrets long enough, ranges, cache_max_age < publish_before_use, masked
 *   address blocks) and its issuer loads again unchanged (idempotence);
 * - a parsed duration prints and parses back to itself;
 * - a parsed address block contains its own address.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "config/config.h"

#define MAX_EXTRA 8
#define POISON    0x5a

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_error(const struct err *err)
{
	if (err->msg[0] == '\0' || strchr(err->msg, '\n') != NULL)
		abort();
}

static void
check_cidr(const struct config_cidr *c)
{
	struct config one;
	struct config_cidr block = *c;
	unsigned max_bits = c->family == AF_INET ? 32 : 128;

	if ((c->family != AF_INET && c->family != AF_INET6) || c->prefix_bits > max_bits)
		abort();
	for (unsigned bit = c->prefix_bits; bit < max_bits; bit++)
		if (c->addr[bit / 8] & (0x80 >> (bit % 8)))
			abort(); /* host bits must be masked */
	memset(&one, 0, sizeof one);
	one.proxy_trusted = &block;
	one.proxy_trusted_count = 1;
	if (!config_is_trusted_proxy(&one, c->family, c->addr))
		abort();
}

/* The issuer, written back as a quoted file value, loads to itself. */
static void
check_issuer_idempotent(const char *issuer)
{
	struct buf text = {0};
	struct config again;
	struct err err;

	buf_puts(&text, "issuer \"");
	for (const char *p = issuer; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(&text, '\\');
		buf_putc(&text, *p);
	}
	buf_puts(&text, "\"\n");
	if (config_load_buffer("again", text.data, text.len, NULL, NULL, 0, true, &again, &err) !=
	            ST_OK ||
	    strcmp(again.issuer, issuer) != 0)
		abort();
	config_free(&again);
	buf_free(&text);
}

static void
check_config(const struct config *cfg)
{
	size_t n;

	if (cfg->issuer == NULL || cfg->public_listen == NULL || cfg->admin_listen == NULL ||
	    cfg->database == NULL || cfg->database[0] == '\0' || cfg->public_listen[0] == '\0')
		abort();
	n = strlen(cfg->issuer);
	if ((strncmp(cfg->issuer, "https://", 8) != 0 && strncmp(cfg->issuer, "http://", 7) != 0) ||
	    cfg->issuer[n - 1] == '/' || strpbrk(cfg->issuer, "?# ") != NULL)
		abort();
	for (size_t i = 0; i < cfg->secrets_system_count; i++)
		if (strlen(cfg->secrets_system[i]) < 16)
			abort();
	if (cfg->threads < 1 || cfg->threads > 1024 || cfg->keys_rsa_bits < 2048 ||
	    cfg->keys_rsa_bits > 8192 || cfg->limits_connections < 1 ||
	    cfg->limits_connection_timeout_secs < 1 || cfg->limits_body_bytes < 1)
		abort();
	if (cfg->ttl_access_token_secs < 1 || cfg->ttl_refresh_token_secs < 1 ||
	    cfg->ttl_id_token_secs < 1 || cfg->ttl_auth_code_secs < 1 ||
	    cfg->ttl_login_session_secs < 1 || cfg->keys_refresh_interval_secs < 1 ||
	    cfg->http_cache_max_age_secs < 0 ||
	    cfg->http_cache_max_age_secs >= cfg->keys_publish_before_use_secs)
		abort();
	if ((unsigned)cfg->log_level > LOG_ERROR || (unsigned)cfg->log_format > LOG_FORMAT_JSON ||
	    (unsigned)cfg->keys_algorithm > CONFIG_ALG_EDDSA ||
	    (unsigned)cfg->database_synchronous > CONFIG_SYNC_NORMAL)
		abort();
	for (size_t i = 0; i < cfg->proxy_trusted_count; i++)
		check_cidr(&cfg->proxy_trusted[i]);
	check_issuer_idempotent(cfg->issuer);
}

static void
fuzz_load(const char *text, size_t len, const char *const *env, const struct config_override *ov,
          size_t nov)
{
	struct config cfg;
	struct err err;

	memset(&cfg, POISON, sizeof cfg);
	err.msg[0] = '\0';
	if (config_load_buffer("fuzz.conf", text, len, env, ov, nov, true, &cfg, &err) == ST_OK) {
		check_config(&cfg);
		config_free(&cfg);
	} else {
		check_error(&err);
		for (size_t i = 0; i < sizeof cfg; i++)
			if (((const unsigned char *)&cfg)[i] != POISON)
				abort(); /* *out is untouched on failure */
	}
}

static void
fuzz_values(const char *s)
{
	struct config_cidr c;
	int64_t secs, again;
	char printed[32];

	if (config_parse_duration(s, &secs) == ST_OK) {
		snprintf(printed, sizeof printed, "%lld", (long long)secs);
		if (secs < 0 || config_parse_duration(printed, &again) != ST_OK || again != secs)
			abort();
	}
	if (config_parse_cidr(s, &c) == ST_OK)
		check_cidr(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	const char *env[MAX_EXTRA + 1];
	struct config_override ov[MAX_EXTRA];
	size_t text_len, nenv = 0, nov = 0, pos;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	text_len = strlen(copy);

	/* Extra entries after the first NUL: environment variables and overrides. */
	for (pos = text_len + 1; pos < size && nenv + nov < MAX_EXTRA;
	     pos += strlen(copy + pos) + 1) {
		char *entry = copy + pos;
		char *eq = strchr(entry, '=');

		if (strncmp(entry, "--", 2) == 0 && eq != NULL) {
			*eq = '\0';
			ov[nov].key = entry + 2;
			ov[nov].value = eq + 1;
			nov++;
		} else {
			env[nenv++] = entry;
		}
	}
	env[nenv] = NULL;

	fuzz_load(copy, text_len, env, ov, nov);
	fuzz_values(copy);
	free(copy);
	return 0;
}
