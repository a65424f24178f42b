/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wgedge-exporter [--listen ADDR:PORT] [--socket PATH] [--per-peer] INTERFACE
 *
 * Serves GET /metrics (libmicrohttpd, its own thread) on a local address,
 * 127.0.0.1:9586 by default; each scrape asks the gateway's orchestration
 * socket for its counters. SIGINT/SIGTERM stop it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <systemd/sd-daemon.h>

#include "exporter.h"

#define ORCH_DIR "/var/run/wgedge"

struct exporter {
	const char *ifname;
	char socket_path[108];
	bool per_peer;
	struct sockaddr_storage addr;
};

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int status, const char *type,
      char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
						MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload,
	   size_t *upload_len, void **state)
{
	const struct exporter *e = cls;
	char *body = NULL;
	size_t len = 0;
	json_t *stats;
	FILE *out;

	(void)version, (void)upload, (void)upload_len, (void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     strdup("GET only\n"), 9);
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain",
			     strdup("see /metrics\n"), 13);
	stats = wge_stats_query(e->socket_path, e->per_peer);
	out = open_memstream(&body, &len);
	if (out == NULL) {
		json_decref(stats);
		return MHD_NO;
	}
	wge_render(out, e->ifname, stats, e->per_peer);
	fclose(out);
	json_decref(stats);
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     body, len);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: wgedge-exporter [--listen ADDR:PORT] [--socket PATH] [--per-peer] INTERFACE\n"
		   "  Serves the gateway's counters for Prometheus on http://ADDR:PORT/metrics\n"
		   "  (default 127.0.0.1:9586), read from " ORCH_DIR "/INTERFACE.ctl or PATH.\n"
		   "  --per-peer adds series per peer (labelled by public key).\n");
}

/* "127.0.0.1:9586" or "[::1]:9586". */
static int
parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	char *end;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0 : -1;
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -1;
}

static int
parse_args(int argc, char **argv, struct exporter *e)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "socket", required_argument, NULL, 's' },
		{ "per-peer", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *listen = "127.0.0.1:9586", *sock = NULL;
	int o;

	while ((o = getopt_long(argc, argv, "l:s:ph", opts, NULL)) != -1) {
		if (o == 'l')
			listen = optarg;
		else if (o == 's')
			sock = optarg;
		else if (o == 'p')
			e->per_peer = true;
		else
			return o == 'h' ? 1 : -1;
	}
	if (optind != argc - 1)
		return -1;
	e->ifname = argv[optind];
	if (parse_listen(listen, &e->addr) != 0) {
		fprintf(stderr, "wgedge-exporter: bad --listen %s\n", listen);
		return -1;
	}
	if ((size_t)snprintf(e->socket_path, sizeof(e->socket_path), "%s",
			     sock != NULL ? sock : "") >= sizeof(e->socket_path) ||
	    (sock == NULL && (size_t)snprintf(e->socket_path, sizeof(e->socket_path),
			ORCH_DIR "/%s.ctl", e->ifname) >= sizeof(e->socket_path))) {
		fprintf(stderr, "wgedge-exporter: socket path too long\n");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct exporter e;
	struct MHD_Daemon *d;
	sigset_t set;
	int rc, sig;

	rc = parse_args(argc, argv, &e);
	if (rc != 0) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* MHD's thread inherits it */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			     (e.addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, on_request, &e,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&e.addr,
			     MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "wgedge-exporter: cannot listen: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr, "wgedge-exporter: serving %s on /metrics\n", e.ifname);
	sd_notify(0, "READY=1");
	sigwait(&set, &sig);
	sd_notify(0, "STOPPING=1");
	MHD_stop_daemon(d);
	return 0;
}
