/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control thread's internals, shared by control/control*.c only.
 *
 * Ids: the device model gives every peer a slot id; the dataplane gives it
 * its own peer id. struct wg_control_peer is indexed by the model's slot id
 * and remembers the dataplane id; dp_to_slot maps back (events and stats
 * come from the dataplane by its ids).
 */
#ifndef WG_CONTROL_PRIV_H
#define WG_CONTROL_PRIV_H

/* Only the control thread's own files (and its white-box tests) are built
 * with this: its clients (orchestration, the daemon) use control.h. */
#ifndef WG_CONTROL_INTERNAL
#error "control_priv.h is the control thread's own: include control.h"
#endif

#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "cookie.h"
#include "device.h"
#include "noise.h"
#include "ratelimiter.h"
#include "timerq.h"
#include "timers.h"

struct wg_lsrv;
struct wg_uapi_server;
struct wg_ippool;

enum {
	WG_CONTROL_BURST = 32,		/* handshake messages per poll */
	WG_CONTROL_SCAN = 1024,		/* peers read per poll: stats, backstop */
	WG_CONTROL_NO_ID = UINT32_MAX,
	WG_CONTROL_RATELIMIT_ENTRIES = 1u << 16
};

/* Under load for a second after the handshake backlog last said so. */
#define WG_CONTROL_LOAD_HOLD_NS WG_NSEC_PER_SEC
/*
 * The handshake rings are drained for up to this long per poll (then the
 * timers and sockets have their turn, and the next poll goes on at once:
 * the control thread never sleeps while a ring holds work).
 */
#define WG_CONTROL_HS_BUDGET_NS 1000000ULL

struct wg_control_peer {
	bool in_use;
	uint32_t dp_id;			/* the dataplane's id for this peer */
	struct wg_handshake hs;		/* secret: wiped on removal */
	struct wg_cookie cookie;
	struct wg_timers timers;
	uint32_t hs_index;		/* local index of the handshake in flight */
	/* Activity last seen in the dataplane's counters (monotonic ns). */
	uint64_t seen_rx_ns, seen_data_rx_ns, seen_tx_ns, seen_data_tx_ns;
	uint32_t watch;			/* wg_dp_peer_watch bits last set */
	/* Monotonic time of the last authenticated handshake message or
	 * completed session; 0: none. Idle expiry counts from it. */
	uint64_t last_handshake_ns;
};

/* Open-addressing map: local index of a handshake in flight -> slot id.
 * Every index in it is marked in the dataplane's cookie filter. */
struct wg_control_index {
	struct wg_dp *dp;
	uint32_t *keys;			/* 0 = empty (index 0 is never used) */
	uint32_t *slots;
	uint32_t mask;
	uint32_t count;
};

struct wg_control {
	struct wg_dp *dp;
	struct wg_device *dev;
	struct wg_lsrv *lsrv;			/* serves the sockets */
	struct wg_uapi_server *server;		/* NULL: not serving */
	struct wg_ippool *pool;			/* NULL: no address pool */
	/* The pool's shape (by family index: IPv4, IPv6), for its clients. */
	bool pool_has[2];
	struct wg_ippool_prefix pool_range[2];
	struct wg_ippool_addr *pool_fixed;
	size_t n_pool_fixed;
	struct wg_noise_identity identity;	/* mirror of the model's */
	struct wg_cookie_checker checker;
	struct wg_ratelimiter *ratelimiter;
	struct wg_control_peer *peers;		/* by model slot id */
	uint32_t *dp_to_slot;			/* by dataplane id */
	uint32_t max_peers, dp_max_peers;
	struct wg_control_index index;
	struct wg_timerq timerq;		/* by model slot id */
	uint32_t scan_cursor, scan_slice;
	uint64_t under_load_until_ns;
	uint64_t load_seen_ns;		/* last check that found load; 0: none */
	uint64_t last_gc_ns;
	uint64_t idle_expiry_ns;
	wg_control_clock_fn monotonic_ns, realtime_ns;
	void *clock_ctx;
	struct wg_control_stats stats;
};

static inline uint64_t
ctl_now(const struct wg_control *c)
{
	return c->monotonic_ns(c->clock_ctx);
}

/* control_index.c */
int ctl_index_init(struct wg_control_index *x, struct wg_dp *dp, uint32_t max_peers);
void ctl_index_free(struct wg_control_index *x);
/* A fresh random local index, unused here and in the dataplane, mapped to slot. */
uint32_t ctl_index_new(struct wg_control *c, uint32_t slot);
void ctl_index_del(struct wg_control_index *x, uint32_t local_index);
uint32_t ctl_index_lookup(const struct wg_control_index *x, uint32_t local_index);

/* control_peers.c: the observer mirroring the model into the dataplane. */
extern const struct wg_device_observer ctl_observer;
/* Forgets a peer's session state: keys, handshake, staged packets, timers. */
void ctl_peer_wipe_session(struct wg_control *c, uint32_t slot);
struct wg_control_peer *ctl_peer_by_dp(struct wg_control *c, uint32_t dp_id,
				       uint32_t *slot);

/* control_handshake.c */
void ctl_handshake_rx(struct wg_control *c);
/* Sends an initiation unless a handshake message went out less than
 * REKEY_TIMEOUT ago; is_retry (the timers' retries) keeps the attempt count. */
void ctl_send_initiation(struct wg_control *c, uint32_t slot, bool is_retry);

/* control_timers.c */
/* Re-arms the slot's timer queue entry from its protocol timers. */
void ctl_timers_rearm(struct wg_control *c, uint32_t slot);
void ctl_timers_run(struct wg_control *c);
void ctl_events_run(struct wg_control *c);
void ctl_activity_scan(struct wg_control *c);
/* Sends the staged packets, or a keepalive if there are none. */
void ctl_send_staged_or_keepalive(struct wg_control *c, uint32_t slot);
/* A session was completed at now (initiator or confirmed responder). */
void ctl_session_complete(struct wg_control *c, uint32_t slot);

/* control_expiry.c */
void ctl_expiry_run(struct wg_control *c);

#endif /* WG_CONTROL_PRIV_H */
