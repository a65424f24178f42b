/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
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

static int
make_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int e;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 :
		       wg_unix_fail(-ENOTDIR, err, errlen, "%s is not a directory", dir);
	/* chmod: the umask may have narrowed mkdir's mode. */
	if (errno == ENOENT && mkdir(dir, 0755) == 0 && chmod(dir, 0755) == 0)
		return 0;
	e = errno;
	if (e == EEXIST)	/* lost a race to create it: fine */
		return 0;
	return wg_unix_fail(-e, err, errlen, "cannot create %s: %s", dir, strerror(e));
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

/* bind() creates the file: under umask 0177 it is born 0600. */
static int
bind_listen(struct wg_unix_listener *l, const struct sockaddr_un *addr,
	    char *err, size_t errlen)
{
	struct stat st;
	mode_t old;
	int ret, e;

	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return wg_unix_fail(-errno, err, errlen, "socket: %s", strerror(errno));
	old = umask(0177);
	ret = bind(l->fd, (const struct sockaddr *)addr, sizeof(*addr));
	e = errno;
	umask(old);
	if (ret != 0)
		return wg_unix_fail(-e, err, errlen, "bind %s: %s", addr->sun_path,
				    strerror(e));
	if (chmod(addr->sun_path, 0600) != 0 || stat(addr->sun_path, &st) != 0 ||
	    listen(l->fd, SOMAXCONN) != 0) {
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
		ret = bind_listen(l, &addr, err, errlen);
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
