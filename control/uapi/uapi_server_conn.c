/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One control socket connection: bytes in, lines, requests, answers out
 * (see uapi_server.h for the protocol and where it differs from
 * wireguard-go). Input is consumed only while no answer is waiting to go
 * out, except inside a set, which answers only at its end: a client that
 * pipelines requests without reading gets back-pressure, not our memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "uapi_server_priv.h"

/* What wg_uapi_get_write() ends a successful answer with. */
static const char get_trailer[] = "errno=0\n\n";

/* ---- output ------------------------------------------------------------- */

static bool
output_pending(const struct wg_uapi_conn *c)
{
	return c->out_off < c->out_len || c->get_active;
}

/* Room for len more bytes. The old buffer held keys: wiped, not realloc'd. */
static int
out_reserve(struct wg_uapi_conn *c, size_t len)
{
	size_t cap = c->out_cap != 0 ? c->out_cap : 4096;
	char *p;

	if (c->out_len + len <= c->out_cap)
		return 0;
	if (len > SIZE_MAX / 2 - c->out_len)
		return -ENOMEM;
	while (cap < c->out_len + len)
		cap *= 2;
	p = malloc(cap);
	if (p == NULL)
		return -ENOMEM;
	if (c->out != NULL) {
		memcpy(p, c->out, c->out_len);
		sodium_memzero(c->out, c->out_cap);
		free(c->out);
	}
	c->out = p;
	c->out_cap = cap;
	return 0;
}

static int
out_write(void *ctx, const char *buf, size_t len)
{
	struct wg_uapi_conn *c = ctx;

	if (out_reserve(c, len) != 0)
		return -ENOMEM;
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return 0;
}

static void
reply_errno(struct wg_uapi_conn *c, int err)
{
	const struct wg_uapi_writer w = { .write = out_write, .ctx = c };

	if (wg_uapi_errno_write(&w, err) != 0)
		c->failed = true;
}

/* ---- get ---------------------------------------------------------------- */

static void
get_finish(struct wg_uapi_conn *c)
{
	struct wg_uapi_device_view unused = { 0 };

	wg_device_view_release(&c->get_it, &unused);
	c->get_active = false;
	c->get_next_peer = NULL;
}

/*
 * Writes the next WG_UAPI_CONN_GET_CHUNK peers. Only the last chunk keeps
 * the errno line; the device lines come with the first (view has them).
 */
static void
get_chunk(struct wg_uapi_conn *c, const struct wg_uapi_device_view *view)
{
	const struct wg_uapi_writer w = { .write = out_write, .ctx = c };
	size_t n = sizeof(get_trailer) - 1;

	c->get_it.budget = WG_UAPI_CONN_GET_CHUNK;
	if (wg_uapi_get_write(view, &w) == -EIO) {
		c->failed = true;
		return;
	}
	if (c->get_it.done) {
		get_finish(c);
		return;
	}
	if (c->out_len - c->out_off < n ||
	    memcmp(c->out + c->out_len - n, get_trailer, n) != 0) {
		c->failed = true;
		return;
	}
	c->out_len -= n;
}

static void
get_start(struct wg_uapi_conn *c)
{
	struct wg_uapi_device_view view;

	wg_device_view(c->srv->dev, &c->get_it, &view);
	c->get_next_peer = view.next_peer;
	c->get_active = true;
	get_chunk(c, &view);
	sodium_memzero(&view, sizeof(view));
}

static void
get_next_chunk(struct wg_uapi_conn *c)
{
	struct wg_uapi_device_view view = {
		.next_peer = c->get_next_peer, .ctx = &c->get_it,
	};

	get_chunk(c, &view);
}

/*
 * Sends what is buffered, producing more get chunks as the socket takes
 * them (at most a few per call). Sets failed on a socket error.
 */
static void
conn_flush(struct wg_uapi_conn *c)
{
	unsigned int chunks = 0;
	ssize_t n;

	while (!c->failed) {
		if (c->out_off == c->out_len) {
			if (c->out != NULL)
				sodium_memzero(c->out, c->out_len);
			c->out_off = c->out_len = 0;
			if (!c->get_active ||
			    chunks++ == WG_UAPI_CONN_CHUNKS_PER_EVENT)
				return;
			get_next_chunk(c);
			continue;
		}
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			c->deadline_ms = wg_uapi_server_now_ms() + c->srv->idle_ms;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				c->failed = true;
			return;
		}
	}
}

/* ---- lines -------------------------------------------------------------- */

/*
 * Moves input up to the next '\n' (consumed, not stored) into the line.
 * Returns true when the line is complete. Bytes past the line's capacity
 * are dropped and the line marked overlong.
 */
static bool
take_line(struct wg_uapi_conn *c)
{
	const char *p = c->in + c->in_off;
	size_t avail = c->in_len - c->in_off;
	const char *nl = memchr(p, '\n', avail);
	size_t n = nl != NULL ? (size_t)(nl - p) : avail;

	if (!c->overlong && n <= sizeof(c->line) - c->line_len) {
		memcpy(c->line + c->line_len, p, n);
		c->line_len += n;
	} else {
		c->overlong = true;
	}
	c->in_off += n + (nl != NULL);
	return nl != NULL;
}

/* Wipes the line; an unfinished overlong line stays overlong. */
static void
line_reset(struct wg_uapi_conn *c, bool complete)
{
	sodium_memzero(c->line, c->line_len);
	c->line_len = 0;
	if (complete)
		c->overlong = false;
}

static void
op_line(struct wg_uapi_conn *c)
{
	enum wg_uapi_op op = WG_UAPI_OP_INVALID;

	if (!c->overlong)
		op = wg_uapi_parse_op(c->line, c->line_len);
	if (op == WG_UAPI_OP_GET) {
		c->state = WG_UAPI_CONN_GET_NL;
	} else if (op == WG_UAPI_OP_SET) {
		wg_uapi_set_init(&c->set);
		c->state = WG_UAPI_CONN_SET;
	} else {
		/* wireguard-go closes without an answer. */
		c->state = WG_UAPI_CONN_CLOSE;
	}
}

static void
set_line(struct wg_uapi_conn *c)
{
	int ret;

	if (c->overlong)
		ret = -EIO;
	else
		ret = wg_uapi_set_feed_line(&c->set, c->line, c->line_len);
	if (ret == 0)
		return;
	if (ret == WG_UAPI_SET_DONE) {
		ret = wg_device_apply(c->srv->dev, &c->set);
		c->state = WG_UAPI_CONN_OP;
	} else {
		c->state = WG_UAPI_CONN_DRAIN;
	}
	wg_uapi_set_free(&c->set);
	reply_errno(c, ret);
}

/* An empty line, as the parser sees one ("\r" too), ends a failed set. */
static void
drain_line(struct wg_uapi_conn *c)
{
	if (!c->overlong && (c->line_len == 0 ||
			     (c->line_len == 1 && c->line[0] == '\r')))
		c->state = WG_UAPI_CONN_OP;
}

static void
get_nl(struct wg_uapi_conn *c)
{
	char b = c->in[c->in_off++];

	c->state = WG_UAPI_CONN_OP;
	if (b == '\n')
		get_start(c);
	else
		reply_errno(c, -EINVAL);	/* the byte is consumed */
}

static void
conn_process(struct wg_uapi_conn *c)
{
	bool complete;

	while (c->in_off < c->in_len && c->state != WG_UAPI_CONN_CLOSE &&
	       !c->failed) {
		if (output_pending(c) && (c->state == WG_UAPI_CONN_OP ||
					  c->state == WG_UAPI_CONN_GET_NL))
			break;
		if (c->state == WG_UAPI_CONN_GET_NL) {
			get_nl(c);
			continue;
		}
		complete = take_line(c);
		/* An overlong line is acted on at once, except while draining
		 * (where it is only waited out). */
		if (!complete && !(c->overlong && c->state != WG_UAPI_CONN_DRAIN))
			continue;
		if (c->state == WG_UAPI_CONN_OP)
			op_line(c);
		else if (c->state == WG_UAPI_CONN_SET)
			set_line(c);
		else
			drain_line(c);
		line_reset(c, complete);
	}
	if (c->in_off == c->in_len) {
		sodium_memzero(c->in, c->in_len);
		c->in_off = c->in_len = 0;
	}
}

/* ---- the connection ----------------------------------------------------- */

static bool
want_read(const struct wg_uapi_conn *c)
{
	return !c->eof && !c->failed && c->in_off == c->in_len &&
	       c->state != WG_UAPI_CONN_CLOSE;
}

static void
conn_read(struct wg_uapi_conn *c)
{
	ssize_t n;

	do
		n = read(c->fd, c->in, sizeof(c->in));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in_off = 0;
		c->in_len = (size_t)n;
		c->deadline_ms = wg_uapi_server_now_ms() + c->srv->idle_ms;
	} else if (n == 0) {
		c->eof = true;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		c->failed = true;
	}
}

/*
 * Done when the socket failed, or nothing more can happen: closing was
 * asked for, or the client hung up, and every answer is out. A set the
 * hang-up cut short is dropped unapplied.
 */
static bool
conn_done(const struct wg_uapi_conn *c)
{
	if (c->failed)
		return true;
	if (output_pending(c))
		return false;
	return c->state == WG_UAPI_CONN_CLOSE ||
	       (c->eof && (c->in_off == c->in_len ||
			   c->state != WG_UAPI_CONN_OP));
}

static void
conn_update_interest(struct wg_uapi_conn *c)
{
	struct epoll_event ev = { .data.ptr = c };

	ev.events = (want_read(c) ? EPOLLIN : 0) |
		    (c->out_off < c->out_len || c->get_active ? EPOLLOUT : 0);
	if (ev.events == c->events)
		return;
	if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		c->failed = true;
	else
		c->events = ev.events;
}

void
wg_uapi_conn_event(struct wg_uapi_conn *c, uint32_t events)
{
	size_t before;

	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && want_read(c))
		conn_read(c);
	/* Answers unblock input and input makes answers: go on until
	 * neither moves. */
	do {
		before = c->in_off + c->out_off;
		conn_process(c);
		conn_flush(c);
	} while (!c->failed && c->in_off + c->out_off != before &&
		 c->in_off != c->in_len);
	if (conn_done(c)) {
		wg_uapi_conn_close(c);
		return;
	}
	conn_update_interest(c);
	if (c->failed)
		wg_uapi_conn_close(c);
}

void
wg_uapi_conn_accept(struct wg_uapi_server *srv, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct wg_uapi_conn *c;

	if (srv->n_conns >= srv->max_conns) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	c->events = EPOLLIN;
	c->deadline_ms = wg_uapi_server_now_ms() + srv->idle_ms;
	ev.data.ptr = c;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->n_conns++;
}

void
wg_uapi_conn_close(struct wg_uapi_conn *c)
{
	struct wg_uapi_server *srv = c->srv;

	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->n_conns--;
	wg_uapi_set_free(&c->set);
	if (c->get_active)
		get_finish(c);
	if (c->out != NULL) {
		sodium_memzero(c->out, c->out_cap);
		free(c->out);
	}
	sodium_memzero(c, sizeof(*c));
	free(c);
}
