/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One orchestration connection: bytes in, lines, requests, answers out
 * (see orch.h for the protocol). A request line is served only once the
 * answer before it is out, so a client that pipelines without reading
 * gets back-pressure, not our memory; a bulk-add's key lines are taken
 * while nothing is being answered anyway. Big answers (stats, bulk-add)
 * are produced chunk by chunk as the socket drains.
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

#include "orch_priv.h"

/* ---- output ------------------------------------------------------------- */

static bool
output_pending(const struct orch_conn *c)
{
	return c->out_off < c->out_len || c->stream != NULL;
}

/* Room for len more bytes (the output never holds a secret: realloc). */
static bool
out_reserve(struct orch_conn *c, size_t len)
{
	size_t cap = c->out_cap != 0 ? c->out_cap : 4096;
	char *p;

	if (c->failed)
		return false;
	if (c->out_len + len <= c->out_cap)
		return true;
	if (len > SIZE_MAX / 4 - c->out_len)
		goto nomem;
	while (cap < c->out_len + len)
		cap *= 2;
	p = realloc(c->out, cap);
	if (p == NULL)
		goto nomem;
	c->out = p;
	c->out_cap = cap;
	return true;
nomem:
	c->failed = true;
	return false;
}

void
orch_write(struct orch_conn *c, const char *s, size_t n)
{
	if (!out_reserve(c, n))
		return;
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
}

void
orch_printf(struct orch_conn *c, const char *fmt, ...)
{
	size_t room = 256;
	va_list ap;
	int n;

	for (;;) {
		if (!out_reserve(c, room))
			return;
		va_start(ap, fmt);
		n = vsnprintf(c->out + c->out_len, c->out_cap - c->out_len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			c->failed = true;
			return;
		}
		if ((size_t)n < c->out_cap - c->out_len)
			break;
		room = (size_t)n + 1;
	}
	c->out_len += (size_t)n;
}

/* Control characters and non-ASCII bytes as \u00XX: always valid JSON. */
void
orch_json_string(struct orch_conn *c, const char *s)
{
	char esc[8];

	orch_write(c, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			orch_write(c, esc, 2);
		} else if (ch < 0x20 || ch >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			orch_write(c, esc, 6);
		} else {
			orch_write(c, s, 1);
		}
	}
	orch_write(c, "\"", 1);
}

void
orch_fail_at(struct orch_conn *c, int err, uint64_t line, const char *msg)
{
	orch_printf(c, "{\"ok\":false,\"error\":");
	orch_json_string(c, msg);
	orch_printf(c, ",\"errno\":%d", err);
	if (line != 0)
		orch_printf(c, ",\"line\":%llu", (unsigned long long)line);
	orch_write(c, "}\n", 2);
}

void
orch_fail(struct orch_conn *c, int err, const char *fmt, ...)
{
	char msg[ORCH_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	orch_fail_at(c, err, 0, msg);
}

/*
 * Sends what is buffered, producing more of a streamed answer as the
 * socket takes it (at most a few chunks per call). Sets failed on a
 * socket error.
 */
static void
conn_flush(struct orch_conn *c)
{
	unsigned int chunks = 0;
	ssize_t n;

	while (!c->failed) {
		if (c->out_off == c->out_len) {
			c->out_off = c->out_len = 0;
			if (c->stream == NULL || chunks++ == ORCH_CHUNKS_PER_EVENT)
				return;
			if (c->stream(c))
				c->stream = NULL;
			continue;
		}
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			c->deadline_ms = orch_now_ms() + c->srv->idle_ms;
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
take_line(struct orch_conn *c)
{
	const char *p = c->in + c->in_off;
	size_t avail = c->in_len - c->in_off;
	const char *nl = memchr(p, '\n', avail);
	size_t n = nl != NULL ? (size_t)(nl - p) : avail;

	if (!c->overlong && n <= ORCH_LINE_CAP - c->line_len) {
		memcpy(c->line + c->line_len, p, n);
		c->line_len += n;
	} else {
		c->overlong = true;
	}
	c->in_off += n + (nl != NULL);
	return nl != NULL;
}

/* A complete line: served, then wiped (it may hold a preshared key). */
static void
line_done(struct orch_conn *c)
{
	size_t len = c->line_len;

	if (len > 0 && c->line[len - 1] == '\r')
		len--;
	if (len > WG_ORCH_LINE_MAX)
		c->overlong = true;
	c->line[len] = '\0';
	if (c->state == ORCH_CONN_BULK)
		orch_bulk_line(c, c->line, len, c->overlong);
	else if (c->overlong)
		orch_fail(c, EMSGSIZE, "request line longer than %d bytes",
			  WG_ORCH_LINE_MAX);
	else
		orch_request(c, c->line, len);
	sodium_memzero(c->line, c->line_len + 1);
	c->line_len = 0;
	c->overlong = false;
}

/* A last line without '\n' before EOF is a request all the same. */
static bool
eof_line_waits(const struct orch_conn *c)
{
	return c->eof && c->in_off == c->in_len && c->state == ORCH_CONN_CMD &&
	       (c->line_len > 0 || c->overlong);
}

static void
conn_process(struct orch_conn *c)
{
	while (c->in_off < c->in_len && !c->failed) {
		if (output_pending(c) && c->state == ORCH_CONN_CMD)
			break;
		if (take_line(c))
			line_done(c);
	}
	if (eof_line_waits(c) && !output_pending(c) && !c->failed)
		line_done(c);
	if (c->in_off == c->in_len) {
		sodium_memzero(c->in, c->in_len);
		c->in_off = c->in_len = 0;
	}
}

/* ---- the connection ----------------------------------------------------- */

static bool
want_read(const struct orch_conn *c)
{
	return !c->eof && !c->failed && c->in_off == c->in_len;
}

static void
conn_read(struct orch_conn *c)
{
	ssize_t n;

	do
		n = read(c->fd, c->in, sizeof(c->in));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in_off = 0;
		c->in_len = (size_t)n;
		c->deadline_ms = orch_now_ms() + c->srv->idle_ms;
	} else if (n == 0) {
		c->eof = true;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		c->failed = true;
	}
}

/*
 * Done when the socket failed, or the client hung up and every answer is
 * out. A bulk-add the hang-up cut short is dropped unapplied.
 */
static bool
conn_done(const struct orch_conn *c)
{
	if (c->failed)
		return true;
	if (output_pending(c))
		return false;
	return c->eof && c->in_off == c->in_len && !eof_line_waits(c);
}

static void
conn_update_interest(struct orch_conn *c)
{
	struct epoll_event ev = { .data.ptr = c };

	ev.events = (want_read(c) ? EPOLLIN : 0) |
		    (output_pending(c) ? EPOLLOUT : 0);
	if (ev.events == c->events)
		return;
	if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		c->failed = true;
	else
		c->events = ev.events;
}

void
orch_conn_event(struct orch_conn *c, uint32_t events)
{
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && want_read(c))
		conn_read(c);
	/* Answers unblock input and input makes answers: go on until the
	 * input is used up or an answer waits for the socket. */
	do {
		conn_process(c);
		conn_flush(c);
	} while (!c->failed && c->in_off < c->in_len && !output_pending(c));
	if (conn_done(c)) {
		orch_conn_close(c);
		return;
	}
	conn_update_interest(c);
	if (c->failed)
		orch_conn_close(c);
}

void
orch_conn_accept(struct wg_orch_server *srv, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct orch_conn *c;

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
	c->deadline_ms = orch_now_ms() + srv->idle_ms;
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
orch_conn_close(struct orch_conn *c)
{
	struct wg_orch_server *srv = c->srv;

	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->n_conns--;
	orch_bulk_free(&c->bulk);
	free(c->out);
	sodium_memzero(c, sizeof(*c));
	free(c);
}
