/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unix_listen.h"

enum { IFNAME_MAX = 15 };	/* IFNAMSIZ - 1, as wg(8) */

int
wg_unix_fail(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

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

/*
 * The directory holds our socket while we run: it must be ours and
 * writable by nobody else, or another user could replace the socket (or
 * the private directory bind_listen() uses) under our feet.
 */
static int
check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return wg_unix_fail(-errno, err, errlen, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return wg_unix_fail(-ENOTDIR, err, errlen, "%s is not a directory", dir);
	if (st.st_uid != geteuid())
		return wg_unix_fail(-EPERM, err, errlen,
				    "%s is owned by uid %u, not by us (uid %u): refusing it",
				    dir, (unsigned int)st.st_uid, (unsigned int)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return wg_unix_fail(-EPERM, err, errlen,
				    "%s is writable by group or others (mode %03o): refusing it",
				    dir, (unsigned int)(st.st_mode & 07777));
	return 0;
}

static int
make_dir(const char *dir, char *err, size_t errlen)
{
	int e;

	/* chmod: the umask may have narrowed mkdir's mode. */
	if (mkdir(dir, 0755) == 0) {
		if (chmod(dir, 0755) != 0) {
			e = errno;
			return wg_unix_fail(-e, err, errlen, "chmod %s: %s", dir,
					    strerror(e));
		}
	} else if (errno != EEXIST) {	/* EEXIST: there, or a race lost */
		e = errno;
		return wg_unix_fail(-e, err, errlen, "cannot create %s: %s", dir,
				    strerror(e));
	}
	return check_dir(dir, err, errlen);
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
		       wg_unix_fail(-errno, err, errlen, "%s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return wg_unix_fail(-EEXIST, err, errlen,
				    "%s exists and is not a socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return wg_unix_fail(-errno, err, errlen, "socket: %s", strerror(errno));
	ret = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	e = errno;
	close(fd);
	if (ret == 0 || e == EAGAIN || e == EINPROGRESS)
		return wg_unix_fail(-EADDRINUSE, err, errlen,
				    "%s is in use: another instance serves this interface",
				    path);
	if (e != ECONNREFUSED)
		return wg_unix_fail(-e, err, errlen, "%s: %s", path, strerror(e));
	if (unlink(path) != 0 && errno != ENOENT)
		return wg_unix_fail(-errno, err, errlen, "cannot remove stale %s: %s",
				    path, strerror(errno));
	return 0;
}

/*
 * <dir>/.<name>.XXXXXX: a fresh directory, 0700 and ours, that only we can
 * enter; sock gets its "/s" inside.
 */
static int
private_dir(char tmp[sizeof(((struct sockaddr_un *)0)->sun_path)],
	    struct sockaddr_un *sock, const char *dir, const char *name,
	    char *err, size_t errlen)
{
	size_t cap = sizeof(sock->sun_path);
	int n = snprintf(tmp, cap, "%s/.%s.XXXXXX", dir, name);

	if (n < 0 || (size_t)n + 2 >= cap)
		return wg_unix_fail(-ENAMETOOLONG, err, errlen, "socket path too long");
	if (mkdtemp(tmp) == NULL)
		return wg_unix_fail(-errno, err, errlen, "cannot create a directory in %s: %s",
				    dir, strerror(errno));
	memset(sock, 0, sizeof(*sock));
	sock->sun_family = AF_UNIX;
	memcpy(sock->sun_path, tmp, (size_t)n);
	memcpy(sock->sun_path + n, "/s", 2);
	return 0;
}

/*
 * The socket file must be born 0600 without touching the umask: it is
 * process-wide, and umask(0177) around bind() would narrow what DPDK's
 * threads create meanwhile. bind() makes the file with the umask's mode,
 * so it is bound in a private directory (0700: nobody else can reach it
 * there), chmod'ed to 0600, then given its name with link(), which never
 * replaces a file (a rival that appeared since claim_path() keeps its
 * socket). Clients find a UNIX socket by its inode, so the link serves.
 */
static int
bind_private(int fd, const struct sockaddr_un *addr, const char *name,
	     char *err, size_t errlen)
{
	char dir[sizeof(addr->sun_path)], tmp[sizeof(addr->sun_path)], *slash;
	struct sockaddr_un sock;
	int ret, e = 0;

	snprintf(dir, sizeof(dir), "%s", addr->sun_path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	ret = private_dir(tmp, &sock, dir, name, err, errlen);
	if (ret != 0)
		return ret;
	if (bind(fd, (const struct sockaddr *)&sock, sizeof(sock)) != 0 ||
	    chmod(sock.sun_path, 0600) != 0 || link(sock.sun_path, addr->sun_path) != 0)
		e = errno;
	unlink(sock.sun_path);
	rmdir(tmp);
	if (e == EEXIST)
		return wg_unix_fail(-EADDRINUSE, err, errlen,
				    "%s is in use: another instance serves this interface",
				    addr->sun_path);
	if (e != 0)
		return wg_unix_fail(-e, err, errlen, "bind %s: %s", addr->sun_path,
				    strerror(e));
	return 0;
}

static int
bind_listen(struct wg_unix_listener *l, const struct sockaddr_un *addr,
	    const char *name, char *err, size_t errlen)
{
	struct stat st;
	int ret, e;

	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return wg_unix_fail(-errno, err, errlen, "socket: %s", strerror(errno));
	ret = bind_private(l->fd, addr, name, err, errlen);
	if (ret != 0)
		return ret;
	if (stat(addr->sun_path, &st) != 0 || listen(l->fd, SOMAXCONN) != 0) {
		e = errno;
		unlink(addr->sun_path);
		return wg_unix_fail(-e, err, errlen, "listen %s: %s", addr->sun_path,
				    strerror(e));
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	memcpy(l->path, addr->sun_path, sizeof(l->path));
	return 0;
}

int
wg_unix_listen(struct wg_unix_listener *l, const char *dir, const char *ifname,
	       const char *suffix, char *err, size_t errlen)
{
	struct sockaddr_un addr;
	int n, ret;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (!ifname_valid(ifname))
		return wg_unix_fail(-EINVAL, err, errlen, "invalid interface name");
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s%s", dir, ifname,
		     suffix);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		return wg_unix_fail(-ENAMETOOLONG, err, errlen, "socket path too long");
	ret = make_dir(dir, err, errlen);
	if (ret == 0)
		ret = claim_path(&addr, err, errlen);
	if (ret == 0)
		ret = bind_listen(l, &addr, strrchr(addr.sun_path, '/') + 1, err,
				  errlen);
	if (ret != 0 && l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
	return ret;
}

void
wg_unix_listener_close(struct wg_unix_listener *l)
{
	struct stat st;

	if (l->fd < 0)
		return;
	if (l->path[0] != '\0' && lstat(l->path, &st) == 0 &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
	close(l->fd);
	l->fd = -1;
}
