/*
 * server/router_test.c — route matching, {id} capture, 404 / 405 + Allow,
 * 415 for non-form bodies, and the 500 that hides a handler failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server/router.h"

static enum status
echo_param(const struct app *app, struct request *req, struct response *res)
{
	(void)app;
	response_json(res, req->arena, 200,
	              json_pack("{s:s, s:i}", "id", req->nparams ? req->params[0] : "", "n",
	                        (int)req->nparams));
	return ST_OK;
}

static enum status
ok(const struct app *app, struct request *req, struct response *res)
{
	(void)app;
	response_json(res, req->arena, 204, json_object());
	return ST_OK;
}

static enum status
fails(const struct app *app, struct request *req, struct response *res)
{
	(void)app;
	(void)res;
	return ERR_SET(&req->err, ST_IO, "disk on fire (secret detail)");
}

static const struct route table[] = {
        {HTTP_GET | HTTP_HEAD,              "/things",      ok,         0              },
        {HTTP_POST,                         "/things",      ok,         ROUTE_FORM_BODY},
        {HTTP_GET | HTTP_PUT | HTTP_DELETE, "/things/{id}", echo_param, 0              },
        {HTTP_GET,                          "/broken",      fails,      0              },
};

static struct response
dispatch(enum http_method m, const char *path, const char *content_type, struct arena *a)
{
	struct request req;
	struct response res;

	memset(&req, 0, sizeof req);
	req.arena = a;
	req.method = m;
	req.path = path;
	strcpy(req.id, "0000000000000000");
	req.content_type = content_type;
	if (content_type != NULL) {
		req.body = "a=1";
		req.body_len = 3;
	}
	router_dispatch(NULL, table, sizeof table / sizeof table[0], &req, &res);
	return res;
}

static const char *
header(const struct response *res, const char *name)
{
	size_t i;

	for (i = 0; i < res->nheaders; i++)
		if (strcmp(res->headers[i].name, name) == 0)
			return res->headers[i].value;
	return NULL;
}

static void
test_exact_path_dispatches(void **state)
{
	struct arena *a = arena_new();
	struct response res = dispatch(HTTP_GET, "/things", NULL, a);

	(void)state;
	assert_int_equal(res.status, 204);
	res = dispatch(HTTP_HEAD, "/things", NULL, a);
	assert_int_equal(res.status, 204);
	arena_free(a);
}

static void
test_unknown_path_is_404_json(void **state)
{
	struct arena *a = arena_new();
	struct response res = dispatch(HTTP_GET, "/thingsx", NULL, a);

	(void)state;
	assert_int_equal(res.status, 404);
	assert_non_null(strstr(res.body, "\"error\":\"not_found\""));
	res = dispatch(HTTP_GET, "/things/a/b", NULL, a);
	assert_int_equal(res.status, 404);
	res = dispatch(HTTP_GET, "/things/", NULL, a); /* empty {id} */
	assert_int_equal(res.status, 404);
	arena_free(a);
}

static void
test_wrong_method_is_405_with_allow(void **state)
{
	struct arena *a = arena_new();
	struct response res = dispatch(HTTP_DELETE, "/things", NULL, a);

	(void)state;
	assert_int_equal(res.status, 405);
	assert_string_equal(header(&res, "Allow"), "GET, HEAD, POST");
	res = dispatch(HTTP_POST, "/things/x", NULL, a);
	assert_int_equal(res.status, 405);
	assert_string_equal(header(&res, "Allow"), "GET, PUT, DELETE");
	arena_free(a);
}

static void
test_path_parameter_is_decoded(void **state)
{
	struct arena *a = arena_new();
	struct response res = dispatch(HTTP_PUT, "/things/a%2Fb+c", NULL, a);

	(void)state;
	assert_int_equal(res.status, 200);
	assert_non_null(strstr(res.body, "\"id\":\"a/b+c\""));
	res = dispatch(HTTP_GET, "/things/%zz", NULL, a);
	assert_int_equal(res.status, 400);
	arena_free(a);
}

static void
test_form_route_rejects_other_content_types(void **state)
{
	struct arena *a = arena_new();
	struct response res = dispatch(HTTP_POST, "/things", "application/json", a);

	(void)state;
	assert_int_equal(res.status, 415);
	res = dispatch(HTTP_POST, "/things", "application/x-www-form-urlencoded; charset=UTF-8", a);
	assert_int_equal(res.status, 204);
	arena_free(a);
}

static void
test_handler_failure_is_bare_500(void **state)
{
	struct arena *a = arena_new();
	struct response res = dispatch(HTTP_GET, "/broken", NULL, a);

	(void)state;
	assert_int_equal(res.status, 500);
	assert_non_null(strstr(res.body, "server_error"));
	assert_null(strstr(res.body, "disk on fire"));
	arena_free(a);
}

static void
test_find_path(void **state)
{
	(void)state;
	assert_non_null(router_find_path(table, 4, "/things/{id}"));
	assert_null(router_find_path(table, 4, "/nothing"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_exact_path_dispatches),
	        cmocka_unit_test(test_unknown_path_is_404_json),
	        cmocka_unit_test(test_wrong_method_is_405_with_allow),
	        cmocka_unit_test(test_path_parameter_is_decoded),
	        cmocka_unit_test(test_form_route_rejects_other_content_types),
	        cmocka_unit_test(test_handler_failure_is_bare_500),
	        cmocka_unit_test(test_find_path),
	};

	log_setup(LOG_ERROR + 1, LOG_FORMAT_TEXT); /* the 500 test logs on purpose */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
