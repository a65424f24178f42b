/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The orchestration socket's life: claiming <dir>/<ifname>.ctl (replacing
 * a crashed instance's file, refusing a live one's), accepting
 * connections, the epoll loop, idle timeouts and clean removal. One
 * connection's protocol is in orch_conn.c, the commands in orch_cmd.c.
 * Claiming the name is unix_listen.c's, shared with the wg socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "orch_priv.h"

enum {
	EVENTS_PER_POLL = 32,
	ACCEPTS_PER_POLL = 16
};

uint64_t
orch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- claiming the name -------------------------------------------------- */

/* ---- open / close ------------------------------------------------------- */

static int
server_start(struct wg_orch_server *s, const struct wg_orch_server_config *cfg,
	     char *err, size_t errlen)
{
	const char *dir = cfg->dir != NULL ? cfg->dir : WG_ORCH_DIR;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int ret;

	ret = wg_unix_listen(&s->lsn, dir, cfg->ifname, ".ctl", err, errlen);
	if (ret != 0)
		return ret;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lsn.fd, &ev) != 0)
		return wg_unix_fail(-errno, err, errlen, "epoll: %s", strerror(errno));
	return 0;
}

/* The pool's shape, as the control thread's pool was made. */
static int
copy_pool(struct wg_orch_server *s, const struct wg_orch_server_config *cfg)
{
	const struct wg_ippool_prefix *r[2] = { cfg->pool_v4, cfg->pool_v6 };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		s->has_range[i] = r[i] != NULL;
		if (r[i] != NULL)
			s->range[i] = *r[i];
	}
	if (cfg->n_pool_fixed == 0)
		return 0;
	s->fixed = calloc(cfg->n_pool_fixed, sizeof(*s->fixed));
	if (s->fixed == NULL)
		return -ENOMEM;
	memcpy(s->fixed, cfg->pool_fixed, cfg->n_pool_fixed * sizeof(*s->fixed));
	s->n_fixed = cfg->n_pool_fixed;
	return 0;
}

int
wg_orch_server_open(struct wg_orch_server **out,
		    const struct wg_orch_server_config *cfg,
		    char *err, size_t errlen)
{
	struct wg_orch_server *s;
	int ret;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (cfg->control == NULL || cfg->ifname == NULL)
		return wg_unix_fail(-EINVAL, err, errlen, "no control thread or interface name");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return wg_unix_fail(-ENOMEM, err, errlen, "out of memory");
	s->lsn.fd = -1;
	s->epfd = -1;
	s->ctl = cfg->control;
	s->max_conns = cfg->max_connections != 0 ? cfg->max_connections :
						   WG_ORCH_MAX_CONNECTIONS;
	s->idle_ms = cfg->idle_timeout_ms != 0 ? cfg->idle_timeout_ms :
						 WG_ORCH_IDLE_TIMEOUT_MS;
	snprintf(s->ifname, sizeof(s->ifname), "%s", cfg->ifname);
	ret = copy_pool(s, cfg) != 0 ? wg_unix_fail(-ENOMEM, err, errlen, "out of memory") :
	      server_start(s, cfg, err, errlen);
	if (ret != 0) {
		wg_orch_server_close(s);
		return ret;
	}
	*out = s;
	return 0;
}

void
wg_orch_server_close(struct wg_orch_server *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL)
		orch_conn_close(s->conns);
	wg_unix_listener_close(&s->lsn);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->fixed);
	free(s);
}

unsigned int
wg_orch_server_connections(const struct wg_orch_server *s)
{
	return s->n_conns;
}

const char *
wg_orch_server_path(const struct wg_orch_server *s)
{
	return s->lsn.path;
}

/* ---- the loop ----------------------------------------------------------- */

static void
accept_all(struct wg_orch_server *s)
{
	unsigned int i;
	int fd;

	for (i = 0; i < ACCEPTS_PER_POLL; i++) {
		fd = accept4(s->lsn.fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		orch_conn_accept(s, fd);
	}
}

static void
expire_idle(struct wg_orch_server *s)
{
	uint64_t now = orch_now_ms();
	struct orch_conn *c, *next;

	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (now >= c->deadline_ms)
			orch_conn_close(c);
	}
}

/* timeout_ms, shortened to the earliest idle deadline. */
static int
wait_ms(const struct wg_orch_server *s, int timeout_ms)
{
	uint64_t now = orch_now_ms(), until;
	const struct orch_conn *c;
	int t = timeout_ms;

	for (c = s->conns; c != NULL; c = c->next) {
		until = c->deadline_ms > now ? c->deadline_ms - now : 0;
		if (until > INT32_MAX)
			until = INT32_MAX;
		if (t < 0 || (int)until < t)
			t = (int)until;
	}
	return t;
}

int
wg_orch_server_poll(struct wg_orch_server *s, int timeout_ms)
{
	struct epoll_event evs[EVENTS_PER_POLL];
	int i, n;

	n = epoll_wait(s->epfd, evs, EVENTS_PER_POLL, wait_ms(s, timeout_ms));
	if (n < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (evs[i].data.ptr == NULL)
			accept_all(s);
		else
			orch_conn_event(evs[i].data.ptr, evs[i].events);
	}
	expire_idle(s);
	return n;
}
