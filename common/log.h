/*
 * common/log.h — levelled logger, one line per event on stderr.
 *
 * Two formats: text (`level=info fn=main msg="..." key=value`) and json
 * (`{"level":"info","fn":"main","msg":"...","key":"value"}`). Only server/
 * and main() log (STYLE B9); the macros add __func__ themselves. Never pass
 * a secret, a token, a password or an Authorization/Cookie header here.
 * Thread-safe: each event is formatted into one buffer and appended (or
 * written) under one lock, so lines never interleave.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
};

enum log_format {
	LOG_FORMAT_TEXT = 0,
	LOG_FORMAT_JSON,
};

/* A structured field: a string (str != NULL) or an integer. */
struct log_field {
	const char *key;
	const char *str;
	long long num;
};

#define LOG_STR(k, v) ((struct log_field){.key = (k), .str = ((v) ? (v) : ""), .num = 0})
#define LOG_NUM(k, v) ((struct log_field){.key = (k), .str = NULL, .num = (long long)(v)})

/* Process-wide settings, set once by main() before any thread starts. */
void log_setup(enum log_level min_level, enum log_format format);
/* Where lines go: 2 (stderr, the default) or 1 (stdout: log.output, for containers). */
void log_set_fd(int fd);
bool log_enabled(enum log_level level);
const char *log_level_str(enum log_level level);

/*
 * Buffers info/debug lines (the access log) and writes them in chunks from a
 * flusher thread every 200 ms; warnings and errors still go out at once.
 * For the server; false when the thread cannot start (lines stay unbuffered).
 */
bool log_start_flusher(void);
/* Writes out everything buffered and stops the flusher (at exit). */
void log_flush(void);

/* Writes one event. req_id may be NULL. */
void log_event(enum log_level level, const char *req_id, const char *func, const char *msg,
               const struct log_field *fields, size_t nfields);
/* printf-style message without fields. */
void log_msg(enum log_level level, const char *req_id, const char *func, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#define LOG_ERROR(...) log_msg(LOG_ERROR, NULL, __func__, __VA_ARGS__)
#define LOG_WARN(...)  log_msg(LOG_WARN, NULL, __func__, __VA_ARGS__)
#define LOG_INFO(...)  log_msg(LOG_INFO, NULL, __func__, __VA_ARGS__)
#define LOG_DEBUG(...) log_msg(LOG_DEBUG, NULL, __func__, __VA_ARGS__)

#endif
