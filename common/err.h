/*
 * common/err.h — the one return convention of oidcd.
 *
 * Everything that can fail returns enum status (ST_OK == 0). Detail travels
 * in a caller-provided struct err, filled by the lowest layer that saw the
 * failure (ERR_SET) and passed through untouched by the layers above. Nothing
 * is allocated on the error path.
 */
#ifndef COMMON_ERR_H
#define COMMON_ERR_H

enum status {
	ST_OK = 0,
	ST_INVALID,   /* input failed validation */
	ST_NOT_FOUND, /* no such record, or expired / already consumed */
	ST_CONFLICT,  /* unique constraint, concurrent update */
	ST_IO,        /* SQLite or filesystem */
	ST_CRYPTO,    /* OpenSSL said no */
	ST_UNSUPPORTED,
};

struct err {
	enum status st;
	const char *func;
	int line;
	char msg[160];
};

/* Fills *e (when e is non-NULL) and returns st, so `return ERR_SET(...)` works. */
#define ERR_SET(e, st, ...) err_set((e), (st), __func__, __LINE__, __VA_ARGS__)

enum status err_set(struct err *e, enum status st, const char *func, int line, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* Resets *e to ST_OK with an empty message. */
void err_clear(struct err *e);

/* A short stable name for a status ("ok", "invalid", ...). */
const char *status_str(enum status st);

#endif
