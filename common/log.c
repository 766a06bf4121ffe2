/*
 * common/log.c — see log.h. Values are escaped for the chosen format so a
 * hostile path or header cannot forge a log line.
 */
#define _POSIX_C_SOURCE 200809L
#include "common/log.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"

static enum log_level min_level = LOG_INFO;
static enum log_format fmt_kind = LOG_FORMAT_TEXT;

void
log_setup(enum log_level level, enum log_format format)
{
	min_level = level;
	fmt_kind = format;
}

bool
log_enabled(enum log_level level)
{
	return level >= min_level;
}

const char *
log_level_str(enum log_level level)
{
	switch (level) {
	case LOG_DEBUG:
		return "debug";
	case LOG_INFO:
		return "info";
	case LOG_WARN:
		return "warn";
	case LOG_ERROR:
		return "error";
	}
	return "info";
}

/* JSON string escaping; also used for text values inside quotes. */
static void
put_escaped(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c == '\n') {
			buf_puts(b, "\\n");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_putc(b, (char)c);
		}
	}
}

static void
put_text_value(struct buf *b, const char *s)
{
	const char *p;
	bool bare = *s != '\0';

	for (p = s; *p != '\0'; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x21 ||
		    (unsigned char)*p == 0x7f)
			bare = false;
	if (bare) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	put_escaped(b, s);
	buf_putc(b, '"');
}

static void
put_field(struct buf *b, const char *key, const char *str, long long num)
{
	if (fmt_kind == LOG_FORMAT_JSON) {
		buf_puts(b, ",\"");
		put_escaped(b, key);
		buf_puts(b, "\":");
		if (str != NULL) {
			buf_putc(b, '"');
			put_escaped(b, str);
			buf_putc(b, '"');
		} else {
			buf_printf(b, "%lld", num);
		}
		return;
	}
	buf_putc(b, ' ');
	buf_puts(b, key);
	buf_putc(b, '=');
	if (str != NULL)
		put_text_value(b, str);
	else
		buf_printf(b, "%lld", num);
}

/*
 * Buffered output. Lines at info and debug (the access log) are appended to
 * one process-wide buffer and written in large chunks: by the line that
 * fills it, by the flusher thread every LOG_FLUSH_MS, and by log_flush().
 * Warnings and errors flush the buffer and go out at once, in order.
 * Without log_start_flusher() every line is written immediately.
 */
#define LOG_BUFFER_BYTES (64 * 1024)
#define LOG_FLUSH_MS     200

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t out_cond = PTHREAD_COND_INITIALIZER;
static char out_buf[LOG_BUFFER_BYTES];
static size_t out_len;
static bool is_buffered;
static bool is_stopping;
static pthread_t flusher;

static void
write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w <= 0)
			return; /* nowhere left to report a failed log write */
		p += w;
		n -= (size_t)w;
	}
}

/* Caller holds out_lock. */
static void
flush_locked(void)
{
	write_all(out_buf, out_len);
	out_len = 0;
}

static void
emit(enum log_level level, const char *line, size_t n)
{
	pthread_mutex_lock(&out_lock);
	if (!is_buffered || level >= LOG_WARN || n > sizeof out_buf) {
		flush_locked();
		write_all(line, n);
	} else {
		if (out_len + n > sizeof out_buf)
			flush_locked();
		memcpy(out_buf + out_len, line, n);
		out_len += n;
	}
	pthread_mutex_unlock(&out_lock);
}

static void *
flusher_main(void *arg)
{
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&out_lock);
	while (!is_stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += LOG_FLUSH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&out_cond, &out_lock, &ts);
		flush_locked();
	}
	pthread_mutex_unlock(&out_lock);
	return NULL;
}

bool
log_start_flusher(void)
{
	sigset_t all, old;
	int rc;

	/* The flusher takes no signals: they belong to the server's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&flusher, NULL, flusher_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return false;
	pthread_mutex_lock(&out_lock);
	is_buffered = true;
	pthread_mutex_unlock(&out_lock);
	return true;
}

void
log_flush(void)
{
	bool was_buffered;

	pthread_mutex_lock(&out_lock);
	flush_locked();
	was_buffered = is_buffered;
	is_buffered = false;
	is_stopping = true;
	pthread_cond_signal(&out_cond);
	pthread_mutex_unlock(&out_lock);
	if (was_buffered)
		pthread_join(flusher, NULL);
	pthread_mutex_lock(&out_lock);
	is_stopping = false;
	pthread_mutex_unlock(&out_lock);
}

/* "2026-11-26T15:38:30.827Z", formatting the date part once per second and thread. */
static void
timestamp(char out[32])
{
	static _Thread_local time_t cached_sec = -1;
	static _Thread_local char cached[24];
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != cached_sec) {
		struct tm tm;

		gmtime_r(&now.tv_sec, &tm);
		strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = now.tv_sec;
	}
	snprintf(out, 32, "%.19s.%03dZ", cached, (int)(now.tv_nsec / 1000000));
}

void
log_event(enum log_level level, const char *req_id, const char *func, const char *msg,
          const struct log_field *fields, size_t nfields)
{
	struct buf b = {0};
	char ts[32];
	size_t i;

	if (!log_enabled(level))
		return;
	timestamp(ts);
	if (fmt_kind == LOG_FORMAT_JSON) {
		buf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\"", ts, log_level_str(level));
	} else {
		buf_printf(&b, "time=%s level=%s", ts, log_level_str(level));
	}
	if (req_id != NULL)
		put_field(&b, "req", req_id, 0);
	if (func != NULL)
		put_field(&b, "fn", func, 0);
	put_field(&b, "msg", msg != NULL ? msg : "", 0);
	for (i = 0; i < nfields; i++)
		put_field(&b, fields[i].key, fields[i].str, fields[i].num);
	if (fmt_kind == LOG_FORMAT_JSON)
		buf_putc(&b, '}');
	buf_putc(&b, '\n');
	/* Lines stay whole across threads: each is appended or written under one lock. */
	emit(level, b.data, b.len);
	buf_free(&b);
}

void
log_msg(enum log_level level, const char *req_id, const char *func, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_event(level, req_id, func, msg, NULL, 0);
}
