/*
 * config/config_parse.h — the syntax of config file lines and values.
 * Private to config/: other modules include config/config.h only.
 *
 * These functions know spellings (quotes, "15m", "64KiB", "[::1]:4444"), not
 * keys; config.c decides which syntax a key takes, its range and its error
 * message. None of them allocates except the token functions.
 */
#ifndef CONFIG_CONFIG_PARSE_H
#define CONFIG_CONFIG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The words of one setting; each is a heap string, wiped when freed. */
struct config_tokens {
	char **v;
	size_t n, cap;
};

void config_tokens_push(struct config_tokens *t, char *s); /* takes s */
void config_tokens_clear(struct config_tokens *t);         /* frees the words, keeps t */
void config_tokens_free(struct config_tokens *t);

/* Wipes a NUL-terminated heap string, then frees it; NULL is a no-op. */
void config_wipe_free(char *s);

/*
 * Splits one file line (n bytes, no '\n') into t: whitespace-separated words,
 * or double-quoted strings with \" and \\ escapes; '#' starting a word begins
 * a comment; a trailing '\r' is ignored. Returns NULL, or the reason the line
 * is malformed (a static string; t may then hold some words).
 */
const char *config_parse_line(const char *s, size_t n, struct config_tokens *t);

/* Splits a comma-separated list (environment, flags) into trimmed items; "" is no item. */
void config_parse_list(const char *v, struct config_tokens *t);

/* A whole string of decimal digits, at most limit. */
bool config_parse_uint(const char *s, uint64_t limit, uint64_t *out);

/* true/false, on/off, yes/no, 1/0. */
bool config_parse_bool(const char *s, bool *out);

/* "65536", "64KiB", "1MiB", "1GiB": bytes. */
bool config_parse_size(const char *s, uint64_t *bytes_out);

/*
 * "host[:port]" or "[v6][:port]" (n bytes): host names are letters, digits,
 * '-' and '.'; bracketed hosts are IPv6 literals; a port is 0..65535 and
 * must be present when is_port_required. Gives the host without brackets.
 */
bool config_parse_hostport(const char *s, size_t n, bool is_port_required, const char **host_out,
                           size_t *host_len_out);

/*
 * Checks an issuer URL. Returns NULL and the length of its normalised form
 * (the prefix of v without trailing slashes), or the reason it is unfit.
 */
const char *config_parse_issuer(const char *v, bool is_dev, size_t *len_out);

/* Formats a duration or size the way a user would write it ("1h", "64KiB"). */
const char *config_fmt_duration(uint64_t secs, char *buf, size_t cap);
const char *config_fmt_size(uint64_t bytes, char *buf, size_t cap);

#endif
