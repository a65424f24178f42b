/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The WireGuard cross-platform control socket: a UNIX stream socket at
 * <dir>/<ifname>.sock (dir: /var/run/wireguard, where wg(8) looks) that
 * speaks lib/uapi.h's protocol to the stock wg tool and to orchestration,
 * answering from and applying to a struct wg_device.
 *
 * A protocol of the line server (control/server/line_server.h), which
 * owns the socket, the connections and their buffers: the device is read
 * and changed only inside wg_lsrv_poll(), in the thread that calls it.
 *
 * Per connection, as wireguard-go's IpcHandle: requests are served in a
 * loop until EOF. "get=1" must be followed by '\n' (else errno=-22 and the
 * loop goes on); "set=1" lines go to wg_uapi_set_feed_line() and a complete
 * set is applied all-or-nothing with wg_device_apply(); any other operation
 * line closes the connection without an answer. Where this differs from
 * wireguard-go, on purpose:
 *  - a set is applied only once its empty line arrives: EOF or an idle
 *    timeout before it applies nothing (wireguard-go applies what it read);
 *  - a rejected set is answered at once, then the rest of that request is
 *    read and discarded up to its empty line, and the connection goes on
 *    serving (wireguard-go stops reading, so a client still writing a big
 *    request would get EPIPE instead of the errno);
 *  - a get is streamed in chunks of peers as the socket drains, so memory
 *    does not grow with the peer count; a set applied by another
 *    connection meanwhile may or may not show in it (as a netlink dump);
 *  - a set is bounded in size (max_set_bytes below: errno=-EMSGSIZE);
 *  - connections are capped (max_connections), an operation line too
 *    (WG_UAPI_LINE_MAX, where wireguard-go reads it unbounded), and idle
 *    ones closed after idle_timeout_ms; at the cap, the longest idle
 *    connection is closed to make room.
 * As wireguard-go: lines up to WG_UAPI_LINE_MAX (64 KiB; a longer one
 * fails the set with -EIO); too many peers is -EINVAL; listen_port=0
 * picks a free port, which get reports. The input, line and output
 * buffers, which carry keys, are wiped.
 */
#ifndef WG_UAPI_SERVER_H
#define WG_UAPI_SERVER_H

#include <stddef.h>

#include "device.h"

struct wg_lsrv;

#define WG_UAPI_SERVER_DIR "/var/run/wireguard"

enum {
	WG_UAPI_SERVER_MAX_CONNECTIONS = 64,
	WG_UAPI_SERVER_IDLE_TIMEOUT_MS = 10000
};

/*
 * The largest set request (its lines and their '\n's, up to its empty
 * line), by default: 16 MiB plus 1 KiB per peer the device can hold. A
 * `wg setconf` line of a peer is under 100 bytes (a public key is 76), so
 * max_peers peers with a few allowed IPs each fit, and the parsed set,
 * about 1.5 to 3 times its text, stays bounded by the device's size. A
 * bigger set is refused with errno=-EMSGSIZE (wireguard-go has no bound
 * but its line length) and the rest of it is read and dropped.
 */
#define WG_UAPI_SERVER_SET_BYTES_BASE ((size_t)16 << 20)
#define WG_UAPI_SERVER_SET_BYTES_PER_PEER ((size_t)1024)

struct wg_uapi_server;

struct wg_uapi_server_config {
	struct wg_lsrv *server;		/* serves the socket */
	const char *ifname;		/* 1..15 chars, no '/' or whitespace */
	const char *dir;		/* NULL: WG_UAPI_SERVER_DIR */
	struct wg_device *device;
	unsigned int max_connections;	/* 0: WG_UAPI_SERVER_MAX_CONNECTIONS */
	unsigned int idle_timeout_ms;	/* 0: WG_UAPI_SERVER_IDLE_TIMEOUT_MS */
	size_t max_set_bytes;		/* 0: the default above */
};

/*
 * Creates dir (mode 0755) if it is missing and listens on <dir>/<ifname>.sock
 * with mode 0600, on cfg->server. A socket file nobody listens on (a
 * crashed instance) is replaced; a live listener, or a file there that is
 * not a socket, makes this fail: another instance owns the name. Returns 0,
 * or a negative errno with a one-line reason in err (NULL allowed when
 * errlen is 0). The server owns the result: wg_lsrv_destroy() closes it
 * too.
 */
int wg_uapi_server_open(struct wg_uapi_server **out,
			const struct wg_uapi_server_config *cfg,
			char *err, size_t errlen);

/* Open connections (for tests and statistics). */
unsigned int wg_uapi_server_connections(const struct wg_uapi_server *s);

/* The socket's path. */
const char *wg_uapi_server_path(const struct wg_uapi_server *s);

/*
 * Closes every connection (an unfinished set is dropped), stops listening
 * and removes the socket file if it is still ours. NULL is fine.
 */
void wg_uapi_server_close(struct wg_uapi_server *s);

#endif /* WG_UAPI_SERVER_H */
