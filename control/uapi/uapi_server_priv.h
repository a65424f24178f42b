/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals shared by uapi_server.c (the socket, accept, timeouts) and
 * uapi_server_conn.c (one connection's protocol).
 */
#ifndef WG_UAPI_SERVER_PRIV_H
#define WG_UAPI_SERVER_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "unix_listen.h"
#include "uapi_server.h"

enum {
	WG_UAPI_CONN_IN_CAP = 4096,
	/* A line, plus the '\r' the parser drops. */
	WG_UAPI_CONN_LINE_CAP = WG_UAPI_LINE_MAX + 1,
	/* Peers per get chunk, and chunks per wake-up (bounds the time one
	 * connection holds the control thread). */
	WG_UAPI_CONN_GET_CHUNK = 128,
	WG_UAPI_CONN_CHUNKS_PER_EVENT = 8
};

enum wg_uapi_conn_state {
	WG_UAPI_CONN_OP = 0,	/* reading an operation line */
	WG_UAPI_CONN_GET_NL,	/* after "get=1\n": the next byte must be '\n' */
	WG_UAPI_CONN_SET,	/* feeding set lines */
	WG_UAPI_CONN_DRAIN,	/* set failed: discarding up to its empty line */
	WG_UAPI_CONN_CLOSE	/* close once the output is out */
};

struct wg_uapi_conn {
	struct wg_uapi_conn *prev;
	struct wg_uapi_conn *next;
	struct wg_uapi_server *srv;
	int fd;
	uint32_t events;		/* what epoll waits for */
	enum wg_uapi_conn_state state;
	bool eof;
	bool failed;			/* a socket error: close now */
	uint64_t deadline_ms;
	/* Input read but not yet consumed (secret). */
	size_t in_off;
	size_t in_len;
	char in[WG_UAPI_CONN_IN_CAP];
	/* The line being assembled (secret). */
	size_t line_len;
	bool overlong;
	char line[WG_UAPI_CONN_LINE_CAP];
	struct wg_uapi_set set;
	/* Output not yet sent (secret). */
	char *out;
	size_t out_off;
	size_t out_len;
	size_t out_cap;
	/* A get being streamed. */
	bool get_active;
	struct wg_device_view_iter get_it;
	int (*get_next_peer)(void *ctx, struct wg_uapi_peer_view *peer);
};

struct wg_uapi_server {
	struct wg_unix_listener lsn;	/* the socket file */
	int epfd;
	struct wg_device *dev;
	unsigned int max_conns;
	unsigned int n_conns;
	unsigned int idle_ms;
	struct wg_uapi_conn *conns;
	/* Which file we bound, so that close removes only ours. */
};

uint64_t wg_uapi_server_now_ms(void);

/* Takes fd (non-blocking): a new connection, or fd closed on failure. */
void wg_uapi_conn_accept(struct wg_uapi_server *srv, int fd);
/* epoll reported events on c; c may be closed (freed) on return. */
void wg_uapi_conn_event(struct wg_uapi_conn *c, uint32_t events);
void wg_uapi_conn_close(struct wg_uapi_conn *c);

#endif /* WG_UAPI_SERVER_PRIV_H */
