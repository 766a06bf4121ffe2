/*
 * common/log.c — see log.h. Values are escaped for the chosen format so a
 * hostile path or header cannot forge a log line.
 */
#define _POSIX_C_SOURCE 200809L
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
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

void
log_event(enum log_level level, const char *req_id, const char *func, const char *msg,
          const struct log_field *fields, size_t nfields)
{
	struct buf b = {0};
	char ts[64];
	struct timespec now;
	struct tm tm;
	size_t i;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         now.tv_nsec / 1000000);
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
	/* One write(2) per line keeps lines whole across threads. */
	if (write(STDERR_FILENO, b.data, b.len) < 0) {
		/* Nowhere left to report a failed log write. */
	}
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
