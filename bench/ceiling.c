/*
 * bench/ceiling.c — the fastest server libmicrohttpd can be, for comparison.
 *
 * bench/run.sh measures oidcd's discovery and JWKS endpoints against this
 * program and reports the ratio (DESIGN.md "Quality bar": benchmarks report
 * ratios against the libmicrohttpd ceiling measured in the same run). To be a
 * fair ceiling it uses the same threading as server/http.c —
 * MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL with a thread pool of one
 * thread per core — and queues its response on the second call of the access
 * handler: with libmicrohttpd 0.9.75 a response queued on the first call
 * (headers only) loses keep-alive (DESIGN.md "Request flow").
 *
 * It answers GET /x with a fixed JSON body of about 1 KiB (the size of our
 * discovery document) and anything else with 404.
 *
 * Usage: ceiling [--port N] [--threads N]
 *   Binds 127.0.0.1 (port 0 = any free port), prints
 *   "ceiling listening on 127.0.0.1:PORT" on stdout, serves until SIGINT or
 *   SIGTERM, then exits 0.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* About the size and shape of /.well-known/openid-configuration. Not const: MHD takes void *. */
static char ceiling_body[] =
        "{\"issuer\":\"http://127.0.0.1:4444\","
        "\"authorization_endpoint\":\"http://127.0.0.1:4444/oauth2/auth\","
        "\"token_endpoint\":\"http://127.0.0.1:4444/oauth2/token\","
        "\"jwks_uri\":\"http://127.0.0.1:4444/.well-known/jwks.json\","
        "\"userinfo_endpoint\":\"http://127.0.0.1:4444/userinfo\","
        "\"end_session_endpoint\":\"http://127.0.0.1:4444/oauth2/sessions/logout\","
        "\"revocation_endpoint\":\"http://127.0.0.1:4444/oauth2/revoke\","
        "\"response_types_supported\":[\"code\",\"code id_token\",\"id_token\"],"
        "\"subject_types_supported\":[\"public\",\"pairwise\"],"
        "\"id_token_signing_alg_values_supported\":[\"RS256\",\"ES256\",\"EdDSA\",\"PS256\"],"
        "\"scopes_supported\":[\"openid\",\"offline_access\",\"profile\",\"email\"],"
        "\"token_endpoint_auth_methods_supported\":[\"client_secret_post\","
        "\"client_secret_basic\",\"private_key_jwt\",\"none\"],"
        "\"grant_types_supported\":[\"authorization_code\",\"refresh_token\","
        "\"client_credentials\"],"
        "\"response_modes_supported\":[\"query\",\"fragment\",\"form_post\"],"
        "\"code_challenge_methods_supported\":[\"S256\"],"
        "\"request_parameter_supported\":false,"
        "\"require_request_uri_registration\":false,"
        "\"claims_parameter_supported\":false,"
        "\"frontchannel_logout_supported\":true,"
        "\"backchannel_logout_supported\":true}";

/* Any non-NULL address marks "first call seen" in *req_cls. */
static int ceiling_seen;

static enum MHD_Result
ceiling_answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
               const char *version, const char *upload_data, size_t *upload_data_size,
               void **req_cls)
{
	struct MHD_Response *res;
	enum MHD_Result ret;
	unsigned int status;

	(void)cls;
	(void)version;
	(void)upload_data;

	if (*req_cls == NULL) {
		/* First call: headers only. Queuing here would lose keep-alive. */
		*req_cls = &ceiling_seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* discard any body */
		return MHD_YES;
	}

	if (strcmp(method, "GET") == 0 && strcmp(url, "/x") == 0) {
		status = MHD_HTTP_OK;
		res = MHD_create_response_from_buffer(sizeof ceiling_body - 1, ceiling_body,
		                                      MHD_RESPMEM_PERSISTENT);
	} else {
		static char not_found[] = "{\"error\":\"not_found\"}";

		status = MHD_HTTP_NOT_FOUND;
		res = MHD_create_response_from_buffer(sizeof not_found - 1, not_found,
		                                      MHD_RESPMEM_PERSISTENT);
	}
	if (res == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, status, res);
	MHD_destroy_response(res);
	return ret;
}

static int
ceiling_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct sockaddr_in addr;
	sigset_t stop;
	long port = 0, threads;
	int i, sig;

	threads = sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	/* Options come in pairs: --port N, --threads N. */
	for (i = 1; i < argc; i += 2) {
		int bad = i + 1 >= argc;

		if (!bad && strcmp(argv[i], "--port") == 0)
			bad = ceiling_parse_int(argv[i + 1], 0, 65535, &port) != 0;
		else if (!bad && strcmp(argv[i], "--threads") == 0)
			bad = ceiling_parse_int(argv[i + 1], 1, 256, &threads) != 0;
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "usage: %s [--port N] [--threads N]\n", argv[0]);
			return 2;
		}
	}

	/* Block the stop signals before MHD starts its threads, so they inherit the mask. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0) {
		perror("pthread_sigmask");
		return 1;
	}

	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (unsigned short)port,
	                     NULL, NULL, ceiling_answer, NULL, MHD_OPTION_SOCK_ADDR, &addr,
	                     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "ceiling: MHD_start_daemon failed\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0) {
		fprintf(stderr, "ceiling: cannot read the bound port\n");
		MHD_stop_daemon(d);
		return 1;
	}
	printf("ceiling listening on 127.0.0.1:%u (threads=%ld)\n", (unsigned int)info->port,
	       threads);
	fflush(stdout);

	if (sigwait(&stop, &sig) != 0)
		perror("sigwait");
	MHD_stop_daemon(d);
	return 0;
}
