/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The server's life: listeners (claiming their socket file is
 * unix_listen.c's), the one epoll set, accepting, connection caps and idle
 * deadlines. One connection's bytes and lines are line_conn.c's.
 *
 * Each listener keeps its connections in order of their last activity
 * (accept, a read, a send), the longest idle first: with one idle timeout
 * per listener that is also deadline order, so expiry and the wait look at
 * the head only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "line_server_priv.h"

enum {
	EVENTS_PER_POLL = 64,
	ACCEPTS_PER_POLL = 64
};

uint64_t
lsrv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the server --------------------------------------------------------- */

int
wg_lsrv_create(struct wg_lsrv **out)
{
	struct wg_lsrv *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return -ENOMEM;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		free(s);
		return -errno;
	}
	*out = s;
	return 0;
}

void
wg_lsrv_destroy(struct wg_lsrv *s)
{
	if (s == NULL)
		return;
	while (s->listeners != NULL)
		wg_lsrv_listener_close(s->listeners);
	close(s->epfd);
	free(s);
}

int
wg_lsrv_fd(const struct wg_lsrv *s)
{
	return s->epfd;
}

/* ---- listeners ---------------------------------------------------------- */

/* A listener with its settings and a zeroed ctx, not listening yet. */
static struct wg_lsrv_listener *
listener_alloc(struct wg_lsrv *s, const struct wg_lsrv_listen_config *cfg)
{
	const struct wg_lsrv_proto *p = cfg->proto;
	struct wg_lsrv_listener *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->ctx = calloc(1, p->ctx_size != 0 ? p->ctx_size : 1);
	if (l->ctx == NULL) {
		free(l);
		return NULL;
	}
	l->ep.is_listener = true;
	l->srv = s;
	l->proto = p;
	l->max_conns = cfg->max_connections != 0 ? cfg->max_connections :
						   p->max_connections;
	l->idle_ms = cfg->idle_timeout_ms != 0 ? cfg->idle_timeout_ms :
						 p->idle_timeout_ms;
	return l;
}

int
wg_lsrv_listen(struct wg_lsrv *s, struct wg_lsrv_listener **out,
	       const struct wg_lsrv_listen_config *cfg, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct wg_lsrv_listener *l;
	int ret;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (cfg->ifname == NULL)
		return wg_unix_fail(-EINVAL, err, errlen, "no interface name");
	l = listener_alloc(s, cfg);
	if (l == NULL)
		return wg_unix_fail(-ENOMEM, err, errlen, "out of memory");
	ret = wg_unix_listen(&l->sock, cfg->dir, cfg->ifname, cfg->suffix, err,
			     errlen);
	ev.data.ptr = &l->ep;
	if (ret == 0 && epoll_ctl(s->epfd, EPOLL_CTL_ADD, l->sock.fd, &ev) != 0) {
		ret = wg_unix_fail(-errno, err, errlen, "epoll: %s", strerror(errno));
		wg_unix_listener_close(&l->sock);
	}
	if (ret != 0) {
		free(l->ctx);
		free(l);
		return ret;
	}
	l->next = s->listeners;
	if (s->listeners != NULL)
		s->listeners->prev = l;
	s->listeners = l;
	*out = l;
	return 0;
}

void
wg_lsrv_listener_close(struct wg_lsrv_listener *l)
{
	struct wg_lsrv *s;

	if (l == NULL)
		return;
	s = l->srv;
	while (l->head != NULL)
		lsrv_conn_close(l->head);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, l->sock.fd, NULL);
	wg_unix_listener_close(&l->sock);
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		s->listeners = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	if (l->proto->destroy != NULL)
		l->proto->destroy(l->ctx);
	free(l->ctx);
	free(l);
}

void *
wg_lsrv_listener_ctx(const struct wg_lsrv_listener *l)
{
	return l->ctx;
}

const char *
wg_lsrv_listener_path(const struct wg_lsrv_listener *l)
{
	return l->sock.path;
}

unsigned int
wg_lsrv_listener_connections(const struct wg_lsrv_listener *l)
{
	return l->n_conns;
}

/* ---- the activity order ------------------------------------------------- */

void
lsrv_list_del(struct wg_lsrv_conn *c)
{
	struct wg_lsrv_listener *l = c->lsn;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

void
lsrv_list_add(struct wg_lsrv_conn *c)
{
	struct wg_lsrv_listener *l = c->lsn;

	c->prev = l->tail;
	c->next = NULL;
	if (l->tail != NULL)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

void
lsrv_touch(struct wg_lsrv_conn *c)
{
	c->deadline_ms = lsrv_now_ms() + c->lsn->idle_ms;
	if (c->lsn->tail == c)
		return;
	lsrv_list_del(c);
	lsrv_list_add(c);
}

/* ---- the loop ----------------------------------------------------------- */

static void
accept_all(struct wg_lsrv_listener *l)
{
	unsigned int i;
	int fd;

	for (i = 0; i < ACCEPTS_PER_POLL; i++) {
		fd = accept4(l->sock.fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		/* At the cap the longest idle connection makes room: refusing
		 * the new one would let idle clients lock out `wg show`. */
		if (l->n_conns >= l->max_conns && l->head != NULL)
			lsrv_conn_close(l->head);
		lsrv_conn_accept(l, fd);
	}
}

static void
expire_idle(struct wg_lsrv *s)
{
	uint64_t now = lsrv_now_ms();
	struct wg_lsrv_listener *l;

	for (l = s->listeners; l != NULL; l = l->next)
		while (l->head != NULL && now >= l->head->deadline_ms)
			lsrv_conn_close(l->head);
}

/* timeout_ms, shortened to the earliest idle deadline. */
static int
wait_ms(const struct wg_lsrv *s, int timeout_ms)
{
	uint64_t now = lsrv_now_ms(), until;
	const struct wg_lsrv_listener *l;
	int t = s->listeners != NULL ? timeout_ms : 0;

	for (l = s->listeners; l != NULL; l = l->next) {
		if (l->head == NULL)
			continue;
		until = l->head->deadline_ms > now ? l->head->deadline_ms - now : 0;
		if (until > INT32_MAX)
			until = INT32_MAX;
		if (t < 0 || (int)until < t)
			t = (int)until;
	}
	return t;
}

int
wg_lsrv_poll(struct wg_lsrv *s, int timeout_ms)
{
	struct epoll_event evs[EVENTS_PER_POLL];
	struct lsrv_ep *ep;
	int i, n;

	n = epoll_wait(s->epfd, evs, EVENTS_PER_POLL, wait_ms(s, timeout_ms));
	if (n < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	s->evs = evs;
	s->n_evs = n;
	for (i = 0; i < n; i++) {
		ep = evs[i].data.ptr;
		if (ep == NULL)
			continue;	/* closed by an earlier event */
		evs[i].data.ptr = NULL;
		if (ep->is_listener)
			accept_all((struct wg_lsrv_listener *)ep);
		else
			lsrv_conn_event((struct wg_lsrv_conn *)ep, evs[i].events);
	}
	s->evs = NULL;
	s->n_evs = 0;
	expire_idle(s);
	return n;
}

void
lsrv_forget_events(struct wg_lsrv *s, const struct wg_lsrv_conn *c)
{
	int i;

	for (i = 0; i < s->n_evs; i++)
		if (s->evs[i].data.ptr == &c->ep)
			s->evs[i].data.ptr = NULL;
}

bool
wg_lsrv_holds(const struct wg_lsrv *s, const void *needle, size_t len)
{
	const struct wg_lsrv_listener *l;
	const struct wg_lsrv_conn *c;

	for (l = s->listeners; l != NULL; l = l->next) {
		for (c = l->head; c != NULL; c = c->next) {
			if (memmem(c, c->alloc_size, needle, len) != NULL ||
			    (c->out != NULL &&
			     memmem(c->out, c->out_cap, needle, len) != NULL))
				return true;
		}
	}
	return false;
}
