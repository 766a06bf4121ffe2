/*
 * server/request.c — accessors for struct request. See request.h.
 */
#include "server/request.h"

#include <strings.h>

const char *
request_header(const struct request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

const char *
request_query(const struct request *req, const char *name)
{
	return form_get(&req->query, name);
}

const char *
request_form(const struct request *req, const char *name)
{
	return form_get(&req->form, name);
}
