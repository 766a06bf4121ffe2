/*
 * common/err.c — struct err helpers. See err.h.
 */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum status
err_set(struct err *e, enum status st, const char *func, int line, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return st;
	e->st = st;
	e->func = func;
	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return st;
}

void
err_clear(struct err *e)
{
	e->st = ST_OK;
	e->func = "";
	e->line = 0;
	e->msg[0] = '\0';
}

const char *
status_str(enum status st)
{
	switch (st) {
	case ST_OK:
		return "ok";
	case ST_INVALID:
		return "invalid";
	case ST_NOT_FOUND:
		return "not_found";
	case ST_CONFLICT:
		return "conflict";
	case ST_IO:
		return "io";
	case ST_CRYPTO:
		return "crypto";
	case ST_UNSUPPORTED:
		return "unsupported";
	}
	return "unknown";
}
