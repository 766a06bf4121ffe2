/*
 * common/log.c — see log.h. Values are escaped for the chosen format so a
 * hostile path or header cannot forge a log line.
 *
 * Hot path (the access log, one line per request): the line is formatted
 * into a stack buffer without printf, then appended to the calling thread's
 * own buffer under that buffer's (uncontended) lock. A flusher thread
 * writes every thread's buffer out every LOG_FLUSH_MS; a full buffer is
 * written by its own thread. Warnings and errors first flush every buffer,
 * then go out at once. Without log_start_flusher() lines are written
 * immediately (CLI, tests).
 */
#define _POSIX_C_SOURCE 200809L
#include "common/log.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"

#define LOG_LINE_BYTES   2048 /* longer lines are cut, still terminated */
#define LOG_THREAD_BYTES (32 * 1024)
#define LOG_FLUSH_MS     200

static enum log_level min_level = LOG_INFO;
static enum log_format fmt_kind = LOG_FORMAT_TEXT;
static int out_fd = STDERR_FILENO;

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

/* ---- formatting into a bounded line ---- */

struct line {
	char data[LOG_LINE_BYTES];
	size_t len; /* never more than LOG_LINE_BYTES - 2: room for "}\n" */
};

static void
put(struct line *l, const char *s, size_t n)
{
	size_t room = LOG_LINE_BYTES - 2 - l->len;

	if (n > room)
		n = room;
	memcpy(l->data + l->len, s, n);
	l->len += n;
}

static void
puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void
put_num(struct line *l, long long v)
{
	char tmp[24], *p = tmp + sizeof tmp;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	put(l, p, (size_t)(tmp + sizeof tmp - p));
}

/* Bytes put_escaped() stops at: NUL (the end), controls, '"', '\\' and DEL. */
static const unsigned char escape_stop[256] = {
        [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
        [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
        [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
        [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
        [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1,  ['\\'] = 1, [0x7f] = 1,
};

/* JSON string escaping; also used for text values inside quotes. */
static void
put_escaped(struct line *l, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	for (;;) {
		const unsigned char *run = p;
		unsigned char c;
		char esc[6];

		/* One table look-up per byte: the access log escapes every value. */
		while (!escape_stop[*p])
			p++;
		put(l, (const char *)run, (size_t)(p - run));
		c = *p++;
		if (c == '\0')
			return;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(l, esc, 2);
		} else if (c == '\n') {
			put(l, "\\n", 2);
		} else {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(l, esc, 6);
		}
	}
}

static void
put_text_value(struct line *l, const char *s)
{
	const char *p;
	bool is_bare = *s != '\0';

	for (p = s; *p != '\0' && is_bare; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x21 ||
		    (unsigned char)*p == 0x7f)
			is_bare = false;
	if (is_bare) {
		puts_(l, s);
		return;
	}
	put(l, "\"", 1);
	put_escaped(l, s);
	put(l, "\"", 1);
}

static void
put_field(struct line *l, const char *key, const char *str, long long num)
{
	if (fmt_kind == LOG_FORMAT_JSON) {
		put(l, ",\"", 2);
		put_escaped(l, key);
		put(l, "\":", 2);
		if (str != NULL) {
			put(l, "\"", 1);
			put_escaped(l, str);
			put(l, "\"", 1);
		} else {
			put_num(l, num);
		}
		return;
	}
	put(l, " ", 1);
	puts_(l, key);
	put(l, "=", 1);
	if (str != NULL)
		put_text_value(l, str);
	else
		put_num(l, num);
}

/* "2026-11-26T15:38:30.827Z", the date part formatted once per second and thread. */
static void
put_timestamp(struct line *l)
{
	static _Thread_local time_t cached_sec = -1;
	static _Thread_local char cached[24];
	struct timespec now;
	char ms[5];
	int v;

	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != cached_sec) {
		struct tm tm;

		gmtime_r(&now.tv_sec, &tm);
		strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = now.tv_sec;
	}
	v = (int)(now.tv_nsec / 1000000);
	ms[0] = '.';
	ms[1] = (char)('0' + v / 100);
	ms[2] = (char)('0' + v / 10 % 10);
	ms[3] = (char)('0' + v % 10);
	ms[4] = 'Z';
	puts_(l, cached);
	put(l, ms, 5);
}

/* ---- output ---- */

struct tbuf {
	pthread_mutex_t lock;
	char data[LOG_THREAD_BYTES];
	size_t len;
	struct tbuf *next;
	bool is_dead; /* its thread exited: the flusher frees it */
};

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t list_cond = PTHREAD_COND_INITIALIZER;
static struct tbuf *tbufs;
static bool is_buffered;
static bool is_stopping;
static pthread_t flusher;
static pthread_key_t tbuf_key;
static pthread_once_t tbuf_once = PTHREAD_ONCE_INIT;

void
log_set_fd(int fd)
{
	out_fd = fd == STDOUT_FILENO ? STDOUT_FILENO : STDERR_FILENO;
}

static void
write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(out_fd, p, n);

		if (w <= 0)
			return; /* nowhere left to report a failed log write */
		p += w;
		n -= (size_t)w;
	}
}

/* Caller holds t->lock. */
static void
tbuf_flush(struct tbuf *t)
{
	write_all(t->data, t->len);
	t->len = 0;
}

static void
tbuf_thread_exit(void *arg)
{
	struct tbuf *t = arg;

	pthread_mutex_lock(&t->lock);
	tbuf_flush(t);
	t->is_dead = true;
	pthread_mutex_unlock(&t->lock);
}

static void
tbuf_key_create(void)
{
	pthread_key_create(&tbuf_key, tbuf_thread_exit);
}

static struct tbuf *
tbuf_mine(void)
{
	struct tbuf *t;

	pthread_once(&tbuf_once, tbuf_key_create);
	t = pthread_getspecific(tbuf_key);
	if (t != NULL)
		return t;
	t = xcalloc(1, sizeof *t);
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_lock(&list_lock);
	t->next = tbufs;
	tbufs = t;
	pthread_mutex_unlock(&list_lock);
	pthread_setspecific(tbuf_key, t);
	return t;
}

/* Writes out every thread's buffer; frees those of exited threads. Caller holds list_lock. */
static void
flush_all_locked(void)
{
	struct tbuf **pp = &tbufs;

	while (*pp != NULL) {
		struct tbuf *t = *pp;
		bool is_dead;

		pthread_mutex_lock(&t->lock);
		tbuf_flush(t);
		is_dead = t->is_dead;
		pthread_mutex_unlock(&t->lock);
		if (is_dead) {
			*pp = t->next;
			pthread_mutex_destroy(&t->lock);
			free(t);
		} else {
			pp = &t->next;
		}
	}
}

static void
emit(enum log_level level, const char *line, size_t n)
{
	struct tbuf *t;

	if (!__atomic_load_n(&is_buffered, __ATOMIC_ACQUIRE) || level >= LOG_WARN) {
		/* Order: what was buffered before this line goes out first. */
		pthread_mutex_lock(&list_lock);
		flush_all_locked();
		write_all(line, n);
		pthread_mutex_unlock(&list_lock);
		return;
	}
	t = tbuf_mine();
	pthread_mutex_lock(&t->lock);
	if (t->len + n > sizeof t->data)
		tbuf_flush(t);
	memcpy(t->data + t->len, line, n);
	t->len += n;
	pthread_mutex_unlock(&t->lock);
}

static void *
flusher_main(void *arg)
{
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&list_lock);
	while (!is_stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += LOG_FLUSH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&list_cond, &list_lock, &ts);
		flush_all_locked();
	}
	pthread_mutex_unlock(&list_lock);
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
	__atomic_store_n(&is_buffered, true, __ATOMIC_RELEASE);
	return true;
}

void
log_flush(void)
{
	bool was_buffered = __atomic_exchange_n(&is_buffered, false, __ATOMIC_ACQ_REL);

	pthread_mutex_lock(&list_lock);
	is_stopping = true;
	pthread_cond_signal(&list_cond);
	flush_all_locked();
	pthread_mutex_unlock(&list_lock);
	if (was_buffered)
		pthread_join(flusher, NULL);
	pthread_mutex_lock(&list_lock);
	flush_all_locked();
	is_stopping = false;
	pthread_mutex_unlock(&list_lock);
}

void
log_event(enum log_level level, const char *req_id, const char *func, const char *msg,
          const struct log_field *fields, size_t nfields)
{
	struct line l;
	size_t i;

	if (!log_enabled(level))
		return;
	l.len = 0;
	if (fmt_kind == LOG_FORMAT_JSON) {
		puts_(&l, "{\"time\":\"");
		put_timestamp(&l);
		puts_(&l, "\",\"level\":\"");
		puts_(&l, log_level_str(level));
		put(&l, "\"", 1);
	} else {
		puts_(&l, "time=");
		put_timestamp(&l);
		puts_(&l, " level=");
		puts_(&l, log_level_str(level));
	}
	if (req_id != NULL)
		put_field(&l, "req", req_id, 0);
	if (func != NULL)
		put_field(&l, "fn", func, 0);
	put_field(&l, "msg", msg != NULL ? msg : "", 0);
	for (i = 0; i < nfields; i++)
		put_field(&l, fields[i].key, fields[i].str, fields[i].num);
	/* A cut line may end inside a JSON string: close it so the line parses. */
	if (fmt_kind == LOG_FORMAT_JSON) {
		if (l.len == LOG_LINE_BYTES - 2) {
			l.len -= 2;
			put(&l, "\"", 1);
		}
		l.data[l.len++] = '}';
	}
	l.data[l.len++] = '\n';
	emit(level, l.data, l.len);
}

static void log_vmsg(enum log_level level, const char *req_id, const char *func, const char *fmt,
                     va_list ap) __attribute__((format(printf, 4, 0)));

static void
log_vmsg(enum log_level level, const char *req_id, const char *func, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	log_event(level, req_id, func, msg, NULL, 0);
}

void
log_msg(enum log_level level, const char *req_id, const char *func, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, req_id, func, fmt, ap);
	va_end(ap);
}
