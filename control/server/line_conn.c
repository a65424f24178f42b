/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One connection: bytes in, lines to the protocol, answers out (see
 * line_server.h for back-pressure and the wiping of buffers).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "line_server_priv.h"

enum {
	OUT_INITIAL_CAP = 4096,
	STATE_ALIGN = 16
};

/* ---- for protocol handlers ---------------------------------------------- */

void *
wg_lsrv_conn_state(struct wg_lsrv_conn *c)
{
	return c->state;
}

const void *
wg_lsrv_conn_state_const(const struct wg_lsrv_conn *c)
{
	return c->state;
}

void *
wg_lsrv_conn_ctx(const struct wg_lsrv_conn *c)
{
	return c->lsn->ctx;
}

void
wg_lsrv_stream(struct wg_lsrv_conn *c, wg_lsrv_stream_fn fn)
{
	c->stream = fn;
}

void
wg_lsrv_want_byte(struct wg_lsrv_conn *c)
{
	c->want_byte = true;
}

void
wg_lsrv_close_after_answers(struct wg_lsrv_conn *c)
{
	c->closing = true;
}

void
wg_lsrv_fail(struct wg_lsrv_conn *c)
{
	c->failed = true;
}

/* ---- output ------------------------------------------------------------- */

static bool
output_pending(const struct wg_lsrv_conn *c)
{
	return c->out_off < c->out_len || c->stream != NULL;
}

/* Room for len more bytes. The old buffer may hold keys: wiped, not
 * realloc'd. A failure fails the connection. */
static int
out_reserve(struct wg_lsrv_conn *c, size_t len)
{
	size_t cap = c->out_cap != 0 ? c->out_cap : OUT_INITIAL_CAP;
	char *p;

	if (c->failed)
		return -ENOMEM;
	if (len <= c->out_cap - c->out_len)
		return 0;
	if (len > SIZE_MAX / 2 - c->out_len)
		goto nomem;
	while (cap < c->out_len + len)
		cap *= 2;
	p = malloc(cap);
	if (p == NULL)
		goto nomem;
	if (c->out != NULL) {
		memcpy(p, c->out, c->out_len);
		sodium_memzero(c->out, c->out_cap);
		free(c->out);
	}
	c->out = p;
	c->out_cap = cap;
	return 0;
nomem:
	c->failed = true;
	return -ENOMEM;
}

int
wg_lsrv_write(struct wg_lsrv_conn *c, const char *buf, size_t len)
{
	if (out_reserve(c, len) != 0)
		return -ENOMEM;
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return 0;
}

int
wg_lsrv_printf(struct wg_lsrv_conn *c, const char *fmt, ...)
{
	size_t room = 256;
	va_list ap;
	int n;

	for (;;) {
		if (out_reserve(c, room) != 0)
			return -ENOMEM;
		va_start(ap, fmt);
		n = vsnprintf(c->out + c->out_len, c->out_cap - c->out_len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			c->failed = true;
			return -EINVAL;
		}
		if ((size_t)n < c->out_cap - c->out_len)
			break;
		room = (size_t)n + 1;
	}
	c->out_len += (size_t)n;
	return 0;
}

int
wg_lsrv_unwrite(struct wg_lsrv_conn *c, const char *suffix, size_t len)
{
	if (c->out_len - c->out_off < len ||
	    memcmp(c->out + c->out_len - len, suffix, len) != 0)
		return -EINVAL;
	c->out_len -= len;
	sodium_memzero(c->out + c->out_len, len);
	return 0;
}

/*
 * Sends what is buffered, producing more of a streamed answer as the
 * socket takes it (at most *budget parts). Sets failed on a socket error.
 * True if anything was sent or produced.
 */
static bool
conn_flush(struct wg_lsrv_conn *c, unsigned int *budget)
{
	bool moved = false;
	ssize_t n;

	while (!c->failed) {
		if (c->out_off == c->out_len) {
			if (c->out != NULL)
				sodium_memzero(c->out, c->out_len);
			c->out_off = c->out_len = 0;
			if (c->stream == NULL || *budget == 0)
				break;
			(*budget)--;
			if (c->stream(c))
				c->stream = NULL;
			moved = true;
			continue;
		}
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			lsrv_touch(c);
			moved = true;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				c->failed = true;
			break;
		}
	}
	return moved;
}

/* ---- lines -------------------------------------------------------------- */

static bool
mid_request(const struct wg_lsrv_conn *c)
{
	const struct wg_lsrv_proto *p = c->lsn->proto;

	return p->mid_request != NULL && p->mid_request(c);
}

static bool
may_take_input(const struct wg_lsrv_conn *c)
{
	if (c->failed || c->closing)
		return false;
	return !output_pending(c) || mid_request(c);
}

/* Wipes the line; an unfinished overlong line stays overlong. */
static void
line_reset(struct wg_lsrv_conn *c, bool complete)
{
	sodium_memzero(c->line, c->line_len + 1);
	c->line_len = 0;
	if (complete)
		c->overlong = false;
}

static void
line_deliver(struct wg_lsrv_conn *c, bool overlong)
{
	c->line[c->line_len] = '\0';
	c->lsn->proto->line(c, c->line, c->line_len, overlong);
}

/*
 * Moves input up to the next '\n' (consumed, not stored) into the line
 * and serves it once complete. A line longer than its capacity is served
 * (as overlong) when that is known, and the rest of it dropped.
 */
static void
take_line(struct wg_lsrv_conn *c)
{
	const char *p = c->in + c->in_off;
	size_t avail = c->in_len - c->in_off;
	const char *nl = memchr(p, '\n', avail);
	size_t n = nl != NULL ? (size_t)(nl - p) : avail;
	size_t cap = c->lsn->proto->line_max + 1;

	c->in_off += n + (nl != NULL);
	if (!c->overlong && n > cap - c->line_len) {
		c->overlong = true;
		line_deliver(c, true);
	} else if (!c->overlong) {
		memcpy(c->line + c->line_len, p, n);
		c->line_len += n;
		if (nl != NULL)
			line_deliver(c, false);
	}
	if (nl != NULL || c->overlong)
		line_reset(c, nl != NULL);
}

/* A last line that EOF cut short, to be served. */
static bool
eof_line_waits(const struct wg_lsrv_conn *c)
{
	return c->eof && c->in_off == c->in_len && c->lsn->proto->eof_line &&
	       c->line_len > 0 && !c->overlong && !mid_request(c);
}

/* Serves the input it may; true if any was consumed. */
static bool
conn_process(struct wg_lsrv_conn *c)
{
	size_t before = c->in_off;
	bool moved = false;

	while (c->in_off < c->in_len && may_take_input(c)) {
		if (c->want_byte) {
			c->want_byte = false;
			c->lsn->proto->byte(c, c->in[c->in_off++]);
			continue;
		}
		take_line(c);
	}
	moved = c->in_off != before;
	if (eof_line_waits(c) && may_take_input(c)) {
		line_deliver(c, false);
		line_reset(c, true);
		moved = true;
	}
	if (c->in_off == c->in_len) {
		sodium_memzero(c->in, c->in_len);
		c->in_off = c->in_len = 0;
	}
	return moved;
}

/* ---- the connection ----------------------------------------------------- */

static bool
want_read(const struct wg_lsrv_conn *c)
{
	return !c->eof && !c->failed && !c->closing && c->in_off == c->in_len;
}

static void
conn_read(struct wg_lsrv_conn *c)
{
	ssize_t n;

	do
		n = read(c->fd, c->in, sizeof(c->in));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in_off = 0;
		c->in_len = (size_t)n;
		lsrv_touch(c);
	} else if (n == 0) {
		c->eof = true;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		c->failed = true;
	}
}

/*
 * Done when the socket failed, or nothing more can happen: closing was
 * asked for, or the client hung up, and every answer is out. A request
 * that the hang-up cut short is dropped.
 */
static bool
conn_done(const struct wg_lsrv_conn *c)
{
	if (c->failed)
		return true;
	if (output_pending(c))
		return false;
	return c->closing ||
	       (c->eof && c->in_off == c->in_len && !eof_line_waits(c));
}

static void
conn_update_interest(struct wg_lsrv_conn *c)
{
	struct epoll_event ev = { .data.ptr = &c->ep };

	ev.events = (want_read(c) ? EPOLLIN : 0) |
		    (output_pending(c) ? EPOLLOUT : 0);
	if (ev.events == c->events)
		return;
	if (epoll_ctl(c->lsn->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		c->failed = true;
	else
		c->events = ev.events;
}

void
lsrv_conn_event(struct wg_lsrv_conn *c, uint32_t events)
{
	unsigned int budget = LSRV_CHUNKS_PER_EVENT;
	bool moved;

	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && want_read(c))
		conn_read(c);
	/* Answers unblock input and input makes answers: go on while
	 * either moves and input waits. */
	do {
		moved = conn_process(c);
		moved |= conn_flush(c, &budget);
	} while (moved && !c->failed &&
		 (c->in_off < c->in_len || eof_line_waits(c)));
	if (conn_done(c)) {
		lsrv_conn_close(c);
		return;
	}
	conn_update_interest(c);
	if (c->failed)
		lsrv_conn_close(c);
}

static size_t
align_up(size_t n)
{
	return (n + STATE_ALIGN - 1) / STATE_ALIGN * STATE_ALIGN;
}

/* The connection, its protocol state and its line in one allocation. */
static struct wg_lsrv_conn *
conn_alloc(const struct wg_lsrv_proto *p)
{
	size_t state_off = align_up(sizeof(struct wg_lsrv_conn));
	size_t line_off = state_off + align_up(p->conn_size);
	size_t size = line_off + p->line_max + 2;
	struct wg_lsrv_conn *c = calloc(1, size);

	if (c == NULL)
		return NULL;
	c->alloc_size = size;
	c->state = (char *)c + state_off;
	c->line = (char *)c + line_off;
	return c;
}

void
lsrv_conn_accept(struct wg_lsrv_listener *l, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct wg_lsrv_conn *c = conn_alloc(l->proto);

	if (c == NULL) {
		close(fd);
		return;
	}
	c->lsn = l;
	c->fd = fd;
	c->events = EPOLLIN;
	ev.data.ptr = &c->ep;
	if (epoll_ctl(l->srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		free(c);
		return;
	}
	c->deadline_ms = lsrv_now_ms() + l->idle_ms;
	lsrv_list_add(c);
	l->n_conns++;
	if (l->proto->open != NULL)
		l->proto->open(c);
}

void
lsrv_conn_close(struct wg_lsrv_conn *c)
{
	struct wg_lsrv_listener *l = c->lsn;

	if (l->proto->close != NULL)
		l->proto->close(c);
	lsrv_forget_events(l->srv, c);
	epoll_ctl(l->srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	lsrv_list_del(c);
	l->n_conns--;
	if (c->out != NULL) {
		sodium_memzero(c->out, c->out_cap);
		free(c->out);
	}
	sodium_memzero(c, c->alloc_size);
	free(c);
}
