/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The orchestration socket: what a VPN provider's tooling needs and wg(8)
 * cannot say (peers with tunnel addresses drawn from the address pool,
 * address rotation, bulk loading, idle expiry, statistics as JSON). A UNIX
 * stream socket at <dir>/<ifname>.ctl (dir: /var/run/wgedge), served by the
 * control thread next to the UAPI socket; wgedgectl(1) is its client.
 *
 * Protocol: one request per line, a command then key=value arguments
 * separated by blanks; each answer is ONE line of JSON, either
 *   {"ok":true,...}   or   {"ok":false,"error":"...","errno":22}
 * (errno is the positive errno value). Requests on one connection are
 * answered in order; a refused request changes nothing and the connection
 * stays usable. An empty request line is ignored. Commands:
 *
 *   stats
 *     {"ok":true,"interface":..,"idle_expiry":..,"peer_count":..,
 *      "control":{wg_control_stats},"dataplane":{wg_dp_stats totals},
 *      "drops":{every drops.h reason by name},"pool":{..},
 *      "peers":[{"public_key":..,"endpoint":"ip:port"|null,
 *                "allowed_ips":[..],"rx_bytes":..,"tx_bytes":..,
 *                "rx_packets":..,"tx_packets":..,"last_handshake":unix|null,
 *                "persistent_keepalive":..},...]}
 *     Streamed peer by peer as the socket drains (a peer added or removed
 *     meanwhile may or may not be listed).
 *   add-peer public_key=B64 [family=4|6|both] [preshared_key=B64]
 *            [persistent_keepalive=0..65535]
 *     A new peer whose allowed IPs are a fresh random /32 and/or /128 from
 *     the pool, in one all-or-nothing apply. family defaults to every
 *     family the pool offers. {"ok":true,"public_key":..,"ipv4":"a.b.c.d"
 *     |null,"ipv6":".."|null}. EEXIST: the peer exists; ENOSPC: the pool
 *     (or the peer table) is full; EAFNOSUPPORT: no range of that family.
 *   rotate public_key=B64 [family=4|6|both]
 *     Replaces the peer's pool addresses (its /32 and /128 allowed IPs in
 *     the pool's ranges) of the family with one fresh one each, keeping its
 *     other allowed IPs, in one apply (replace_allowed_ips); the old ones go
 *     back to the pool once it succeeded. family defaults to the families
 *     the peer has pool addresses in (none: every family of the pool).
 *     {"ok":true,"public_key":..,"ipv4":new|null,"ipv6":new|null,
 *      "old_ipv4":[..],"old_ipv6":[..]}. ENOENT: no such peer.
 *   expiry [seconds=N]
 *     Reads, or sets then reads, the idle expiry age (0: off):
 *     {"ok":true,"idle_expiry":180}.
 *   bulk-add [family=4|6|both]
 *     followed by lines "public_key=B64" up to an empty line: every peer
 *     added, each with fresh addresses, in ONE apply, or none at all.
 *     {"ok":true,"count":N,"peers":[{"public_key":..,"ipv4":..,
 *      "ipv6":..},...]} (streamed), or an error naming the first bad line
 *     ("line" counts the key lines from 1). A key twice, our own key or an
 *     existing peer refuse the whole request (EINVAL, EINVAL, EEXIST).
 *
 * Errors common to all: EINVAL for an unknown command or argument, a
 * malformed value, a missing public_key; EMSGSIZE for a line longer than
 * WG_ORCH_LINE_MAX (it is discarded up to its end). Keys and values are
 * never echoed in errors; preshared keys are never answered, and the
 * buffers that held a request are wiped.
 *
 * Threading: like the UAPI server, everything runs in the control thread
 * inside wg_orch_server_poll(); connections are non-blocking, bounded
 * (WG_ORCH_MAX_CONNECTIONS) and closed after WG_ORCH_IDLE_TIMEOUT_MS of
 * silence; a client that pipelines requests without reading answers gets
 * back-pressure, not our memory.
 */
#ifndef WG_ORCH_H
#define WG_ORCH_H

#include <stddef.h>

#include "ippool.h"

#define WG_ORCH_DIR "/var/run/wgedge"

enum {
	WG_ORCH_MAX_CONNECTIONS = 16,
	WG_ORCH_IDLE_TIMEOUT_MS = 10000,
	/* Longest request line, without its '\n'. */
	WG_ORCH_LINE_MAX = 1024
};

struct wg_control;
struct wg_orch_server;

struct wg_orch_server_config {
	const char *ifname;		/* 1..15 chars, no '/' or whitespace */
	const char *dir;		/* NULL: WG_ORCH_DIR */
	struct wg_control *control;	/* must outlive the server */
	/* The ranges and fixed addresses the control thread's pool was made
	 * with (wg_control_conf): which families add-peer offers, and which
	 * allowed IPs are pool addresses. Copied. */
	const struct wg_ippool_prefix *pool_v4, *pool_v6;
	const struct wg_ippool_addr *pool_fixed;
	size_t n_pool_fixed;
	unsigned int max_connections;	/* 0: WG_ORCH_MAX_CONNECTIONS */
	unsigned int idle_timeout_ms;	/* 0: WG_ORCH_IDLE_TIMEOUT_MS */
};

/*
 * Creates dir (mode 0755) if missing and listens on <dir>/<ifname>.ctl,
 * mode 0600. A socket file nobody listens on (a crashed instance's) is
 * replaced; a live listener or a file that is not a socket is refused.
 * Returns 0, or a negative errno with a one-line reason in err. Changes
 * the process umask briefly around bind(), as wg_uapi_server_open().
 */
int wg_orch_server_open(struct wg_orch_server **out,
			const struct wg_orch_server_config *cfg,
			char *err, size_t errlen);

/*
 * Waits up to timeout_ms (-1: until there is work, no later than the next
 * idle deadline), then serves what is ready. Returns the number of events
 * served, or a negative errno if waiting failed.
 */
int wg_orch_server_poll(struct wg_orch_server *s, int timeout_ms);

unsigned int wg_orch_server_connections(const struct wg_orch_server *s);
const char *wg_orch_server_path(const struct wg_orch_server *s);

/*
 * Closes every connection (an unfinished bulk-add is dropped, nothing
 * applied), stops listening and removes the socket file if it is still
 * ours. NULL is fine.
 */
void wg_orch_server_close(struct wg_orch_server *s);

#endif /* WG_ORCH_H */
