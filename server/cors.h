/*
 * server/cors.h — CORS (Fetch standard §3.2) for the endpoints browsers
 * call directly (/oauth2/token, /userinfo): an answer is readable by an
 * origin only when the client it concerns lists that origin in
 * allowed_cors_origins (Hydra's per-client CORS, hydra-behaviour §3.1).
 */
#ifndef SERVER_CORS_H
#define SERVER_CORS_H

#include <jansson.h>

#include "server/request.h"
#include "server/response.h"

/*
 * Adds Access-Control-Allow-Origin (and Vary: Origin) to res when the
 * request's Origin is one of client_doc's allowed_cors_origins (borrowed;
 * may be NULL).
 */
void cors_allow_origin(const struct request *req, struct response *res, const json_t *client_doc);

#endif
