/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The orchestration socket's life: claiming <dir>/<ifname>.ctl (replacing
 * a crashed instance's file, refusing a live one's), accepting
 * connections, the epoll loop, idle timeouts and clean removal. One
 * connection's protocol is in orch_conn.c, the commands in orch_cmd.c.
 * The claiming follows uapi_server.c step by step, for the same reasons.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "orch_priv.h"

enum {
	IFNAME_MAX = 15,		/* IFNAMSIZ - 1, as wg(8) */
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

static int __attribute__((format(printf, 4, 5)))
fail(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- claiming the name -------------------------------------------------- */

static bool
ifname_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > IFNAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] == '/' || name[i] <= ' ' || name[i] == 0x7f)
			return false;
	return true;
}

static int
make_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int e;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 :
		       fail(-ENOTDIR, err, errlen, "%s is not a directory", dir);
	/* chmod: the umask may have narrowed mkdir's mode. */
	if (errno == ENOENT && mkdir(dir, 0755) == 0 && chmod(dir, 0755) == 0)
		return 0;
	e = errno;
	if (e == EEXIST)	/* lost a race to create it: fine */
		return 0;
	return fail(-e, err, errlen, "cannot create %s: %s", dir, strerror(e));
}

/* A socket file nobody listens on is a crashed instance's: removed. */
static int
claim_path(const struct sockaddr_un *addr, char *err, size_t errlen)
{
	const char *path = addr->sun_path;
	struct stat st;
	int fd, ret, e;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 :
		       fail(-errno, err, errlen, "%s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return fail(-EEXIST, err, errlen,
			    "%s exists and is not a socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(-errno, err, errlen, "socket: %s", strerror(errno));
	ret = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	e = errno;
	close(fd);
	if (ret == 0 || e == EAGAIN || e == EINPROGRESS)
		return fail(-EADDRINUSE, err, errlen,
			    "%s is in use: another instance serves this interface",
			    path);
	if (e != ECONNREFUSED)
		return fail(-e, err, errlen, "%s: %s", path, strerror(e));
	if (unlink(path) != 0 && errno != ENOENT)
		return fail(-errno, err, errlen, "cannot remove stale %s: %s",
			    path, strerror(errno));
	return 0;
}

/* bind() creates the file: under umask 0177 it is born 0600. */
static int
bind_listen(struct wg_orch_server *s, const struct sockaddr_un *addr,
	    char *err, size_t errlen)
{
	struct stat st;
	mode_t old;
	int ret, e;

	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			      0);
	if (s->listen_fd < 0)
		return fail(-errno, err, errlen, "socket: %s", strerror(errno));
	old = umask(0177);
	ret = bind(s->listen_fd, (const struct sockaddr *)addr, sizeof(*addr));
	e = errno;
	umask(old);
	if (ret != 0)
		return fail(-e, err, errlen, "bind %s: %s", addr->sun_path,
			    strerror(e));
	if (chmod(addr->sun_path, 0600) != 0 || stat(addr->sun_path, &st) != 0 ||
	    listen(s->listen_fd, SOMAXCONN) != 0) {
		e = errno;
		unlink(addr->sun_path);
		return fail(-e, err, errlen, "listen %s: %s", addr->sun_path,
			    strerror(e));
	}
	s->sock_dev = st.st_dev;
	s->sock_ino = st.st_ino;
	return 0;
}

static int
make_addr(struct sockaddr_un *addr, const char *dir, const char *ifname,
	  char *err, size_t errlen)
{
	int n;

	if (!ifname_valid(ifname))
		return fail(-EINVAL, err, errlen, "invalid interface name");
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	n = snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s.ctl", dir,
		     ifname);
	if (n < 0 || (size_t)n >= sizeof(addr->sun_path))
		return fail(-ENAMETOOLONG, err, errlen, "socket path too long");
	return 0;
}

/* ---- open / close ------------------------------------------------------- */

static int
server_start(struct wg_orch_server *s, const struct wg_orch_server_config *cfg,
	     char *err, size_t errlen)
{
	const char *dir = cfg->dir != NULL ? cfg->dir : WG_ORCH_DIR;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct sockaddr_un addr;
	int ret;

	ret = make_addr(&addr, dir, cfg->ifname, err, errlen);
	if (ret == 0)
		ret = make_dir(dir, err, errlen);
	if (ret == 0)
		ret = claim_path(&addr, err, errlen);
	if (ret == 0)
		ret = bind_listen(s, &addr, err, errlen);
	if (ret != 0)
		return ret;
	memcpy(s->path, addr.sun_path, sizeof(s->path));
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev) != 0)
		return fail(-errno, err, errlen, "epoll: %s", strerror(errno));
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
		return fail(-EINVAL, err, errlen, "no control thread or interface name");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return fail(-ENOMEM, err, errlen, "out of memory");
	s->listen_fd = s->epfd = -1;
	s->ctl = cfg->control;
	s->max_conns = cfg->max_connections != 0 ? cfg->max_connections :
						   WG_ORCH_MAX_CONNECTIONS;
	s->idle_ms = cfg->idle_timeout_ms != 0 ? cfg->idle_timeout_ms :
						 WG_ORCH_IDLE_TIMEOUT_MS;
	snprintf(s->ifname, sizeof(s->ifname), "%s", cfg->ifname);
	ret = copy_pool(s, cfg) != 0 ? fail(-ENOMEM, err, errlen, "out of memory") :
	      server_start(s, cfg, err, errlen);
	if (ret != 0) {
		wg_orch_server_close(s);
		return ret;
	}
	*out = s;
	return 0;
}

/* Removes the socket file only if it is still the one we bound. */
static void
remove_socket_file(const struct wg_orch_server *s)
{
	struct stat st;

	if (s->path[0] != '\0' && lstat(s->path, &st) == 0 &&
	    st.st_dev == s->sock_dev && st.st_ino == s->sock_ino)
		unlink(s->path);
}

void
wg_orch_server_close(struct wg_orch_server *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL)
		orch_conn_close(s->conns);
	if (s->listen_fd >= 0) {
		remove_socket_file(s);
		close(s->listen_fd);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->fixed);
	free(s);
}

int
wg_orch_server_fd(const struct wg_orch_server *s)
{
	return s->epfd;
}

unsigned int
wg_orch_server_connections(const struct wg_orch_server *s)
{
	return s->n_conns;
}

const char *
wg_orch_server_path(const struct wg_orch_server *s)
{
	return s->path;
}

/* ---- the loop ----------------------------------------------------------- */

static void
accept_all(struct wg_orch_server *s)
{
	unsigned int i;
	int fd;

	for (i = 0; i < ACCEPTS_PER_POLL; i++) {
		fd = accept4(s->listen_fd, NULL, NULL,
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
