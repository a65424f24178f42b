/* SPDX-License-Identifier: GPL-2.0-only */
/* The exporter's side of the orchestration socket: one stats request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "exporter.h"

enum {
	QUERY_TIMEOUT_S = 30,
	ANSWER_MAX = 1 << 30		/* a million peers' stats fit */
};

static int
connect_to(const char *path)
{
	struct timeval tv = { .tv_sec = QUERY_TIMEOUT_S };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Reads up to the first '\n' into a malloc'd buffer; its length in *n. */
static char *
read_line(int fd, size_t *n)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	while (buf != NULL) {
		if (len == cap) {
			if (cap >= ANSWER_MAX || (nb = realloc(buf, cap * 2)) == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r <= 0)
			break;
		if (memchr(buf + len, '\n', (size_t)r) != NULL) {
			len += (size_t)r;
			*n = len;
			return buf;
		}
		len += (size_t)r;
	}
	free(buf);
	errno = errno != 0 ? errno : EPROTO;
	return NULL;
}

json_t *
wge_stats_query(const char *path, bool peers)
{
	const char *req = peers ? "stats\n" : "stats peers=no\n";
	json_t *v = NULL;
	char *line;
	size_t n;
	int fd = connect_to(path);

	if (fd < 0)
		return NULL;
	errno = 0;
	if (write(fd, req, strlen(req)) == (ssize_t)strlen(req) &&
	    (line = read_line(fd, &n)) != NULL) {
		v = json_loadb(line, n, JSON_DISABLE_EOF_CHECK, NULL);
		free(line);
		if (v == NULL)
			errno = EPROTO;
	}
	close(fd);
	return v;
}
