/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control thread of one wgedge interface: the Noise handshakes (as
 * responder and initiator, with cookies under load), the protocol timers,
 * the device model that wg(8) edits through the UAPI socket, the mirroring
 * of that model into the dataplane's tables, and the expiry of idle peers.
 *
 * Everything here runs on the one control thread: wg_control_poll() is its
 * loop body, and nothing locks. Workers reach it only through the
 * dataplane's bounded rings (handshake messages, events).
 */
#ifndef WG_CONTROL_H
#define WG_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "ippool.h"
#include "uapi.h"

struct wg_dp;
struct wg_dp_stats;
struct wg_device;
struct wg_device_peer;
struct wg_control;
struct wg_lsrv;

/* A clock in nanoseconds; tests inject their own. */
typedef uint64_t (*wg_control_clock_fn)(void *ctx);

struct wg_control_conf {
	struct wg_dp *dp;		/* must outlive the control thread */
	const char *ifname;		/* names the UAPI socket */
	/* /var/run/wireguard/<ifname>.sock (wg); orchestration
	 * (control/orch/orch.h) is opened on wg_control_server(). */
	bool serve_socket;
	uint32_t max_peers;		/* <= the dataplane's max_peers */
	uint32_t idle_expiry_s;		/* wipe idle peers' state; 0 = never */
	/* Peers whose counters are read per poll for wg show's transfer
	 * figures (the timers do not depend on it); 0 = 1024. */
	uint32_t scan_slice;
	/* Monotonic time (timers) and Unix time (handshake times), in ns;
	 * NULL: CLOCK_MONOTONIC and CLOCK_REALTIME. */
	wg_control_clock_fn monotonic_ns, realtime_ns;
	void *clock_ctx;
	/*
	 * The tunnel address pool that orchestration's add-peer draws from
	 * (copied at create). Either range may be NULL: that family is not
	 * offered; both NULL: no pool. pool_fixed (the gateway's own
	 * addresses) are never handed out. Addresses in the ranges that
	 * peers hold as /32 or /128 allowed IPs, however they got them, are
	 * in use; they go back to the pool when no peer holds them any more.
	 */
	const struct wg_ippool_prefix *pool_v4, *pool_v6;
	const struct wg_ippool_addr *pool_fixed;
	size_t n_pool_fixed;
};

/* 0, or a negative errno (and a message on stderr). */
int wg_control_create(struct wg_control **out, const struct wg_control_conf *conf);
/* Wipes every key and closes the socket (removing its file). */
void wg_control_destroy(struct wg_control *c);

/* Applies a complete change set as a `wg set` would: 0 or a negative errno. */
int wg_control_apply(struct wg_control *c, const struct wg_uapi_set *set);

/*
 * One iteration of the control loop: socket requests, handshake messages,
 * dataplane events, timers, peer activity and expiry. Never blocks longer
 * than timeout_ms (0: not at all) waiting for socket activity.
 */
void wg_control_poll(struct wg_control *c, int timeout_ms);


/* The device model, read-only, for tests and tools. */
const struct wg_device *wg_control_device(const struct wg_control *c);

/* Idle expiry: read and change the age (seconds, 0 = off). */
uint32_t wg_control_idle_expiry(const struct wg_control *c);
void wg_control_set_idle_expiry(struct wg_control *c, uint32_t seconds);

/* What the control thread did, for tests, telemetry and orchestration. */
struct wg_control_stats {
	uint64_t initiations_rx, responses_rx, cookies_rx;
	uint64_t initiations_tx, responses_tx, cookies_tx;
	uint64_t handshakes_completed;
	uint64_t keepalives_tx;
	uint64_t rejected_mac;		/* bad mac1 (the worker checks first) */
	uint64_t rejected_ratelimit;	/* under load, over a source's budget */
	uint64_t rejected_handshake;	/* failed Noise, replay, flood, no peer */
	uint64_t rejected_index;	/* unknown receiver index */
	uint64_t under_load_cookies;	/* cookie replies sent under load */
	uint64_t under_load_ns;		/* time under load, between the
					 * handshake messages that found it */
	uint64_t expired_peers;		/* idle expiry wipes */
	uint64_t key_zeroings;		/* 3 x REJECT_AFTER_TIME wipes */
};
void wg_control_stats_get(const struct wg_control *c, struct wg_control_stats *st);

/* ---- for clients in the control thread (orchestration) ---------------- */

/*
 * The line server (control/server/line_server.h) that wg_control_poll()
 * serves: other protocols (orchestration) listen on it. It closes what
 * listens on it when the control thread is destroyed.
 */
struct wg_lsrv *wg_control_server(struct wg_control *c);

/* The dataplane's counters (every worker summed). */
void wg_control_dp_stats(const struct wg_control *c, struct wg_dp_stats *st);
/* Worker k's share of them; k one past the last worker is the control
 * thread's own. 0, or -EINVAL past that. */
int wg_control_worker_stats(const struct wg_control *c, unsigned int k,
			    struct wg_dp_stats *st);

/* A peer's traffic, read from the dataplane at the call. */
struct wg_control_peer_traffic {
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_packets, tx_packets;
};

/*
 * Peers in slot id order: the first peer with an id >= *cursor, with its
 * traffic in *t; *cursor moves past it. NULL after the last. Valid until
 * the device changes.
 */
const struct wg_device_peer *
wg_control_peer_next(const struct wg_control *c, uint32_t *cursor,
		     struct wg_control_peer_traffic *t);

/*
 * The address pool (wg_control_conf.pool_*). family is WG_AF_INET or
 * WG_AF_INET6. range: true with *out set if the pool has a range of that
 * family. alloc: wg_ippool_alloc() (-EAFNOSUPPORT without such a range);
 * free gives back what alloc returned. holds: p is a /32 or /128 in one of
 * the ranges, in use, and not one of the fixed addresses (so, an address
 * the pool handed out or a peer holds). count: addresses of the family in
 * use (the fixed ones excluded).
 */
bool wg_control_pool_range(const struct wg_control *c, uint8_t family,
			   struct wg_ippool_prefix *out);
int wg_control_pool_alloc(struct wg_control *c, uint8_t family,
			  struct wg_ippool_addr *out);
void wg_control_pool_free(struct wg_control *c, const struct wg_ippool_addr *a);
bool wg_control_pool_holds(const struct wg_control *c,
			   const struct wg_uapi_allowed_ip *p);
size_t wg_control_pool_count(const struct wg_control *c, uint8_t family);

#endif /* WG_CONTROL_H */
