/*
 * server/users_internal.h — helpers shared by users.c and users_validate.c
 * (defined in users_validate.c). Not for other modules.
 */
#ifndef SERVER_USERS_INTERNAL_H
#define SERVER_USERS_INTERNAL_H

#include <jansson.h>

#include "server/users.h"

/* Fills *p (may be NULL) with e and the formatted description; returns ST_INVALID. */
enum status users_problem(struct user_problem *p, enum oauth_error e, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
