/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals shared by line_server.c (listeners, the epoll loop, caps and
 * idle deadlines) and line_conn.c (one connection's bytes, lines and
 * answers).
 */
#ifndef WG_LINE_SERVER_PRIV_H
#define WG_LINE_SERVER_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "line_server.h"
#include "unix_listen.h"

enum {
	LSRV_IN_CAP = 4096,
	/* Streamed parts per wake-up of one connection. */
	LSRV_CHUNKS_PER_EVENT = 8
};

/* What an epoll event's data.ptr points at: a listener or a connection. */
struct lsrv_ep {
	bool is_listener;
};

struct wg_lsrv_conn {
	struct lsrv_ep ep;
	/* In the listener's list, least recently active first. */
	struct wg_lsrv_conn *prev, *next;
	struct wg_lsrv_listener *lsn;
	int fd;
	uint32_t events;		/* what epoll waits for */
	bool eof;
	bool failed;			/* a socket or memory error: close now */
	bool closing;			/* read no more; close once answered */
	bool want_byte;
	bool overlong;			/* dropping the rest of a long line */
	uint64_t deadline_ms;
	size_t alloc_size;		/* of this struct, state and line */
	/* Input read but not yet consumed (secret). */
	size_t in_off, in_len;
	char in[LSRV_IN_CAP];
	/* The line being assembled (secret): line_max + '\r' + NUL. */
	char *line;
	size_t line_len;
	/* Output not yet sent (secret). */
	char *out;
	size_t out_off, out_len, out_cap;
	wg_lsrv_stream_fn stream;	/* NULL: no answer being streamed */
	void *state;			/* the protocol's, proto->conn_size */
};

struct wg_lsrv_listener {
	struct lsrv_ep ep;
	struct wg_lsrv_listener *prev, *next;
	struct wg_lsrv *srv;
	struct wg_unix_listener sock;
	const struct wg_lsrv_proto *proto;
	void *ctx;
	unsigned int max_conns, n_conns, idle_ms;
	struct wg_lsrv_conn *head, *tail;
};

struct wg_lsrv {
	int epfd;
	struct wg_lsrv_listener *listeners;
	/* The events of the poll being served: a connection closed while
	 * they are (an eviction) is struck from those not yet served. */
	struct epoll_event *evs;
	int n_evs;
};

uint64_t lsrv_now_ms(void);
/* The connection was active now: a new deadline, to the list's tail. */
void lsrv_touch(struct wg_lsrv_conn *c);
void lsrv_list_add(struct wg_lsrv_conn *c);
void lsrv_list_del(struct wg_lsrv_conn *c);
/* c is closing: no event of this poll may reach it any more. */
void lsrv_forget_events(struct wg_lsrv *s, const struct wg_lsrv_conn *c);

/* line_conn.c */
/* Takes fd (non-blocking): a new connection, or fd closed on failure. */
void lsrv_conn_accept(struct wg_lsrv_listener *l, int fd);
/* epoll reported events on c; c may be closed (freed) on return. */
void lsrv_conn_event(struct wg_lsrv_conn *c, uint32_t events);
void lsrv_conn_close(struct wg_lsrv_conn *c);

#endif /* WG_LINE_SERVER_PRIV_H */
