/*
 * metrics_http.c - the Prometheus endpoint ([metrics] listen, SPEC 10):
 * libmicrohttpd serves GET /metrics (and HEAD) in the text exposition
 * format, the daemon's counters (sm_metrics.h) and what one read of Redis
 * gives at the scrape (sm_store_metrics_read, on a connection of its own,
 * with [redis] timeout_ms). Anything else gets a 4xx: another path 404,
 * another method 405, a request with a body 413; libmicrohttpd itself
 * answers a malformed request 400 and one past its memory limit (headers
 * of more than 16 kB) 431, and closes idle connections after 10 s; at most
 * 16 connections at once. The MTA's path never waits for a scrape: the
 * server has its own thread, and counting takes a mutex for a moment.
 *
 * Interface: sm_metrics_http_start(cfg), sm_metrics_http_stop() (milter.h).
 * Failure: a listen address that cannot be bound is fatal at start (the
 * admin asked for metrics); Redis down makes a scrape say
 * support_milter_up 0 with the counters still there.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <glib.h>
#include <microhttpd.h>

#include "sm_config.h"
#include "sm_log.h"
#include "sm_metrics.h"
#include "sm_store.h"
#include "milter.h"

static struct MHD_Daemon *mhd;

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned code, const char *type, const char *body,
    size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *data, size_t *data_size, void **state)
{
	static int first, refused;
	sm_config *cfg;
	sm_metrics_gauges g;
	GString *out;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	(void)data;
	/* libmicrohttpd calls once with the header, then once per piece
	 * of a body, then once more when it is all read: the answer goes
	 * then (a body is read, dropped, and refused) */
	if (*state == NULL) {
		*state = &first;
		return MHD_YES;
	}
	if (*data_size > 0) {
		*data_size = 0;
		*state = &refused;
		return MHD_YES;
	}
	if (*state == &refused)
		return reply(conn, 413, "text/plain", "no body expected\n", 17);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
		    "GET /metrics\n", 13);
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "GET /metrics\n", 13);

	memset(&g, 0, sizeof g);
	if ((cfg = sm_config_current()) != NULL) {
		char *err = NULL;
		sm_store *st = sm_store_open(cfg, &err);

		if (st != NULL) {
			if (sm_store_metrics_read(st, cfg, time(NULL), &g) < 0)
				log_warnx("metrics: cannot read the store: %s", sm_store_error(st));
			sm_store_close(st);
		} else {
			log_warnx("metrics: Redis unreachable: %s", err ? err : "?");
			g_free(err);
		}
	}
	out = g_string_sized_new(8192);
	sm_metrics_render(out, &g);
	ret = reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
	    out->str, out->len);
	g_string_free(out, TRUE);
	sm_store_metrics_clear(&g);
	if (cfg != NULL)
		sm_config_unref(cfg);
	return ret;
}

/* "127.0.0.1:9465" or "[::1]:9465" (checked by the configuration) into a
 * socket address. */
static bool
parse_listen(const char *v, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = strrchr(v, ':');
	char *host;
	guint64 port;
	bool ok = false;

	if (colon == NULL)
		return false;
	port = g_ascii_strtoull(colon + 1, NULL, 10);
	host = v[0] == '[' ? g_strndup(v + 1, colon - v - 2) : g_strndup(v, colon - v);
	memset(ss, 0, sizeof *ss);
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		ok = inet_pton(AF_INET6, host, &s6->sin6_addr) == 1;
		*len = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		ok = inet_pton(AF_INET, host, &s4->sin_addr) == 1;
		*len = sizeof *s4;
	}
	g_free(host);
	return ok && port > 0 && port < 65536;
}

void
sm_metrics_http_start(const sm_config *cfg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (mhd != NULL || cfg->metrics_listen == NULL || *cfg->metrics_listen == '\0')
		return;
	if (!parse_listen(cfg->metrics_listen, &ss, &len))
		fatalx("[metrics] listen: bad address '%s'", cfg->metrics_listen);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)8,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
	    MHD_OPTION_END);
	if (mhd == NULL)
		fatalx("[metrics] listen: cannot listen on %s", cfg->metrics_listen);
	log_info("metrics: serving http://%s/metrics", cfg->metrics_listen);
}

void
sm_metrics_http_stop(void)
{
	if (mhd != NULL)
		MHD_stop_daemon(mhd);
	mhd = NULL;
}
