/*
 * server/oauth_error.c — the error table. See oauth_error.h.
 */
#include "server/oauth_error.h"

#include <jansson.h>

struct oauth_error_row {
	const char *code;
	int status;
	const char *text;
};

static const struct oauth_error_row rows[] = {
        [OAUTH_INVALID_REQUEST] = {"invalid_request",            400,
                                   "The request is missing a required "
                                   "parameter or is otherwise malformed."                                       },
        [OAUTH_INVALID_CLIENT] = {"invalid_client",             401, "Client authentication failed."           },
        [OAUTH_INVALID_GRANT] = {"invalid_grant",              400,
                                   "The provided grant is invalid, expired, or revoked."                        },
        [OAUTH_UNAUTHORIZED_CLIENT] = {"unauthorized_client",        400,
                                   "The client is not allowed to use this grant type."                          },
        [OAUTH_UNSUPPORTED_GRANT_TYPE] = {"unsupported_grant_type",     400,
                                   "The grant type is not supported."                                           },
        [OAUTH_INVALID_SCOPE] = {"invalid_scope",              400, "The requested scope is invalid."         },
        [OAUTH_ACCESS_DENIED] = {"access_denied",              403, "Access denied."                          },
        [OAUTH_INVALID_TOKEN] = {"invalid_token",              401,
                                   "The access token is missing, expired, revoked, or invalid."                 },
        [OAUTH_INSUFFICIENT_SCOPE] = {"insufficient_scope",         403,
                                   "The access token lacks the required scope."                                 },
        [OAUTH_INVALID_REDIRECT_URI] = {"invalid_redirect_uri",       400, "A redirect URI is invalid."              },
        [OAUTH_INVALID_CLIENT_METADATA] = {"invalid_client_metadata",    400,
                                   "A client metadata field is invalid."                                        },
        [OAUTH_NOT_FOUND] = {"not_found",                  404, "The requested resource does not exist."  },
        [OAUTH_METHOD_NOT_ALLOWED] = {"method_not_allowed",         405,
                                   "The method is not allowed for this resource."                               },
        [OAUTH_CONFLICT] = {"invalid_request",            409, "The resource exists already."            },
        [OAUTH_REQUEST_TOO_LARGE] = {"request_too_large",          413, "The request body is too large."          },
        [OAUTH_UNSUPPORTED_MEDIA_TYPE] = {"invalid_request",            415,
                                   "The request body has an unsupported content type."                          },
        [OAUTH_SERVER_ERROR] = {"server_error",               500, "The server failed to handle the request."},
        [OAUTH_TEMPORARILY_UNAVAILABLE] = {"temporarily_unavailable",    503,
                                   "The service is temporarily unavailable."                                    },
        [OAUTH_UNSUPPORTED_RESPONSE_TYPE] = {"unsupported_response_type",  400,
                                   "The response type is not supported."                                        },
        [OAUTH_REQUEST_NOT_SUPPORTED] = {"request_not_supported",      400,
                                   "The request parameter is not supported."                                    },
        [OAUTH_REQUEST_URI_NOT_SUPPORTED] = {"request_uri_not_supported",  400,
                                   "The request_uri parameter is not supported."                                },
        [OAUTH_LOGIN_REQUIRED] = {"login_required",             400, "The end-user is not logged in."          },
        [OAUTH_CONSENT_REQUIRED] = {"consent_required",           400, "The end-user has not consented."         },
        [OAUTH_INTERACTION_REQUIRED] = {"interaction_required",       400,
                                   "The end-user must interact with the server."                                },
        [OAUTH_ACCOUNT_SELECTION_REQUIRED] = {"account_selection_required", 400,
                                   "The end-user must select an account."                                       },
        [OAUTH_AUTHORIZATION_PENDING] = {"authorization_pending",      400,
                                   "The end-user has not completed the authorization yet."                      },
        [OAUTH_SLOW_DOWN] = {"slow_down",                  400, "Polling too fast: wait 5 seconds longer."},
        [OAUTH_EXPIRED_TOKEN] = {"expired_token",              400, "The device code has expired."            },
        [OAUTH_INVALID_REQUEST_OBJECT] = {"invalid_request_object",     400,
                                   "The request object is invalid."                                             },
        [OAUTH_INVALID_REQUEST_URI] = {"invalid_request_uri",        400, "The request_uri is invalid."             },
        [OAUTH_DEVICE_ACCESS_DENIED] = {"access_denied",              400,
                                   "The end-user denied the authorization."                                     },
};

const char *
oauth_error_code(enum oauth_error e)
{
	return rows[e].code;
}

int
oauth_error_status(enum oauth_error e)
{
	return rows[e].status;
}

/* RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. */
static char *
sanitize(struct arena *arena, const char *s)
{
	char *out = arena_strdup(arena, s), *p;

	for (p = out; *p != '\0'; p++) {
		if (*p == '"')
			*p = '\'';
		else if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '\\')
			*p = '?';
	}
	return out;
}

json_t *
oauth_error_body(struct arena *arena, enum oauth_error e, const char *description)
{
	return json_pack("{s:s, s:s}", "error", rows[e].code, "error_description",
	                 description != NULL ? sanitize(arena, description) : rows[e].text);
}

enum status
oauth_error(struct response *res, struct arena *arena, enum oauth_error e, const char *description)
{
	json_t *body = oauth_error_body(arena, e, description);

	response_json(res, arena, rows[e].status, body);
	/* Hydra sends error bodies without a charset (hydra-behaviour §0.1). */
	res->content_type = "application/json";
	return ST_OK;
}
