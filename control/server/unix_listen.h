/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A UNIX stream socket that names one interface's service, as
 * <dir>/<ifname><suffix>: the wg(8) control socket (.sock) and the
 * orchestration socket (.ctl) both claim their name this way.
 *
 * Claiming replaces a socket file nobody listens on (a crashed instance's)
 * and refuses one somebody does (another instance owns the interface), or a
 * file that is not a socket. The file is born 0600 without the process's
 * umask being touched (it is bound in a private directory, then linked to
 * its name), in a directory created 0755 if missing; a directory that is
 * not ours, or that group or others may write to, is refused (-EPERM).
 * Closing removes the file only if it is still the one we bound (a
 * successor may have replaced it).
 */
#ifndef WG_UNIX_LISTEN_H
#define WG_UNIX_LISTEN_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

struct wg_unix_listener {
	int fd;				/* non-blocking; -1: not listening */
	dev_t dev;			/* the file we bound */
	ino_t ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/*
 * ifname: 1..15 characters, no '/', blanks or control characters.
 * Returns 0, or a negative errno with a one-line reason in err (errlen 0:
 * no reason written).
 */
int wg_unix_listen(struct wg_unix_listener *l, const char *dir,
		   const char *ifname, const char *suffix, char *err,
		   size_t errlen);
/* Stops listening and removes the file if it is still ours. */
void wg_unix_listener_close(struct wg_unix_listener *l);

/* Formats a reason into err (if errlen > 0) and returns ret. */
int wg_unix_fail(int ret, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* WG_UNIX_LISTEN_H */
