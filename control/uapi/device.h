/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control thread's device model: the authoritative configuration and
 * state of one WireGuard interface (identity, listen port, fwmark, peers
 * with their preshared keys, endpoints, keepalives and allowed IPs, and the
 * statistics the control thread collects). Plain C, no EAL: the dataplane
 * mirrors the model through the observer below.
 *
 * Only the control thread touches a device; nothing here locks.
 *
 * Peers live in a hash table keyed by public key (O(1) lookup, no O(n) work
 * for a single-peer change) and have a stable slot id, a small integer in
 * [0, max_peers) that the dataplane uses as its own peer id. A freed id
 * goes to the back of a FIFO and is reused only when every id freed before
 * it was reused, so that reuse comes as late as it can.
 *
 * Allowed IPs: each prefix (family, cidr, masked address) has at most one
 * owning peer. Adding a prefix to a peer takes it away from its previous
 * owner, as wireguard-go's AllowedIPs.Insert does.
 *
 * Applying a change set is all-or-nothing (see wg_device_apply()).
 */
#ifndef WG_DEVICE_H
#define WG_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "keys.h"
#include "noise.h"
#include "uapi.h"

struct wg_device;

/* ---- the model as callers read it --------------------------------------- */

/* Chain link of the device's hash tables: private to control/device*.c. */
struct wg_device_hnode {
	struct wg_device_hnode *next;
	uint64_t hash;
};

/* One prefix and its owner. Read-only outside control/device*.c. */
struct wg_device_allowed_ip {
	struct wg_device_hnode node;		/* private: the prefix table */
	struct wg_device_allowed_ip *prev;	/* owner's list, oldest first */
	struct wg_device_allowed_ip *next;
	uint32_t owner;				/* slot id of the owning peer */
	bool stale;				/* private: replace_allowed_ips */
	struct wg_uapi_allowed_ip prefix;	/* masked; .remove is false */
};

/* One peer. Read-only outside control/device*.c. */
struct wg_device_peer {
	struct wg_device_hnode node;		/* private: the key table */
	uint32_t id;				/* slot id, < max_peers */
	uint8_t public_key[WG_KEY_LEN];
	uint8_t preshared_key[WG_KEY_LEN];	/* secret; all zero: none */
	struct wg_endpoint endpoint;		/* WG_AF_NONE: none */
	uint16_t persistent_keepalive;		/* seconds; 0: off */
	/* Its prefixes in the order they were first given to it. */
	struct wg_device_allowed_ip *allowed_ips;
	struct wg_device_allowed_ip *allowed_ips_last;
	uint32_t n_allowed_ips;
	/* Filled in by the control thread from the dataplane's counters. */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t last_handshake_sec;		/* Unix time; 0: never */
	uint32_t last_handshake_nsec;
};

/* ---- observer ----------------------------------------------------------- */

/*
 * What an apply may add to the allowed-IP table: every prefix the set adds
 * that the table does not hold before it; with from_empty (replace_peers
 * empties the table before any peer section), every prefix the set adds.
 * Whatever the order of its steps, the table never holds more than what it
 * holds before (nothing, from_empty) plus these: removals are not
 * subtracted. A prefix the set adds twice is listed twice. Masked.
 */
struct wg_device_prefix_demand {
	const struct wg_uapi_allowed_ip *const *prefixes;
	size_t n;
	bool from_empty;
};

/*
 * Told of every change wg_device_apply() makes, in the order it makes them,
 * so that the dataplane glue can mirror the model into its own tables.
 * reserve_prefixes alone runs before: in the reserve step, once the set
 * was validated and the model's memory reserved, it says whether the
 * observer's own tables can take the demand, and any non-zero answer (a
 * negative errno, e.g. -ENOSPC for full route tables) fails the apply
 * whole with that error and no other event. The other callbacks run only
 * in the apply phase: they cannot veto or fail a change (they have no
 * return value to do it with), so whatever can run out must be reserved
 * by reserve_prefixes. None may call back into wg_device_apply(). Any
 * callback may be NULL. Pointers passed are valid only for the duration
 * of the call (a removed peer is wiped and freed right after peer_removed
 * returns).
 *
 * The events and when they fire:
 *  - apply_begin / apply_end: around every successful apply, even one that
 *    changes nothing; never for a failed one. The glue can batch its table
 *    publication (e.g. one RCU synchronisation) at apply_end.
 *  - identity_changed: the private key changed (a different key, or
 *    removed: id->has_identity is false). Every peer's static-static DH is
 *    stale from then on; a peer whose public key became ours was removed
 *    just before (with its own events).
 *  - listen_port_changed, fwmark_changed: a different value was set.
 *  - peer_added: a new peer, with its preshared key, endpoint and keepalive
 *    already in place (no separate *_changed events for a new peer). Its
 *    allowed IPs follow as allowed_ip_added events. An id may be one a
 *    peer_removed gave back earlier, even in the same apply.
 *  - peer_removed: the peer is about to be wiped and its id freed. Every
 *    prefix it owned was announced with allowed_ip_removed just before.
 *  - peer_psk_changed: a different preshared key (all zero: none).
 *  - peer_endpoint_changed: an endpoint was set on an existing peer, even
 *    an equal one: the dataplane may have roamed away from what the model
 *    holds, and an explicit set wins (as in wireguard-go).
 *  - peer_keepalive_changed: a different interval; old is the previous
 *    one (wireguard-go sends a keepalive at once when old == 0 and the new
 *    one is not; a new peer with a non-zero interval deserves one too).
 *  - allowed_ip_added: peer now owns prefix. from is the peer it was taken
 *    from, or NULL when the prefix is new to the table: a move is this one
 *    event (the route can be replaced in place), not a remove and an add.
 *  - allowed_ip_removed: the prefix left the table.
 */
struct wg_device_observer {
	int (*reserve_prefixes)(void *ctx,
				const struct wg_device_prefix_demand *demand);
	void (*apply_begin)(void *ctx);
	void (*apply_end)(void *ctx);
	void (*identity_changed)(void *ctx, const struct wg_noise_identity *id);
	void (*listen_port_changed)(void *ctx, uint16_t old_port,
				    uint16_t new_port);
	void (*fwmark_changed)(void *ctx, uint32_t old_mark, uint32_t new_mark);
	void (*peer_added)(void *ctx, const struct wg_device_peer *peer);
	void (*peer_removed)(void *ctx, const struct wg_device_peer *peer);
	void (*peer_psk_changed)(void *ctx, const struct wg_device_peer *peer);
	void (*peer_endpoint_changed)(void *ctx,
				      const struct wg_device_peer *peer);
	void (*peer_keepalive_changed)(void *ctx,
				       const struct wg_device_peer *peer,
				       uint16_t old_interval);
	void (*allowed_ip_added)(void *ctx, const struct wg_device_peer *peer,
				 const struct wg_uapi_allowed_ip *prefix,
				 const struct wg_device_peer *from);
	void (*allowed_ip_removed)(void *ctx, const struct wg_device_peer *peer,
				   const struct wg_uapi_allowed_ip *prefix);
};

/* ---- creation ----------------------------------------------------------- */

/*
 * Where the device gets its memory, e.g. a test that fails the n-th
 * allocation. alloc returns zeroed memory or NULL; free gets the size that
 * was asked for. Memory that held a secret is wiped before it is freed.
 */
struct wg_device_allocator {
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p, size_t size);
	void *ctx;
};

struct wg_device_config {
	uint32_t max_peers;			/* 0: MAX_PEERS_PER_DEVICE */
	const struct wg_device_observer *observer;	/* NULL: none */
	void *observer_ctx;
	const struct wg_device_allocator *allocator;	/* NULL: calloc/free */
};

/*
 * Creates an empty device: no identity, listen port 0, fwmark 0, no peers.
 * Reserves the slot id table for max_peers up front (12 bytes a peer,
 * untouched pages cost nothing). Returns 0, -EINVAL (max_peers above
 * MAX_PEERS_PER_DEVICE) or -ENOMEM. Calls sodium_init().
 */
int wg_device_create(struct wg_device **out, const struct wg_device_config *cfg);
/* Wipes every key and frees everything; no observer events. NULL is fine. */
void wg_device_destroy(struct wg_device *dev);

/* ---- applying a change set ---------------------------------------------- */

/*
 * Applies a complete change set (state WG_UAPI_SET_COMPLETE) with
 * wireguard-go's semantics (see uapi.h and device_apply.c), all or nothing:
 * first every section is simulated against the model without changing it
 * (which peers exist at each step, how many peers there are at the peak)
 * and every resource the apply can need is reserved (peer records, prefix
 * records, grown hash tables); only then is the model changed, in a phase
 * that cannot fail, with the observer told of each change. On failure the
 * model is exactly as it was and the observer heard nothing.
 *
 * Returns 0, or:
 *   -EINVAL  set is not complete, or its private key is unusable
 *   -ENOSPC  the peer count would exceed max_peers at some point
 *   -ENOMEM  a reservation failed
 *   or what the observer's reserve_prefixes answered (-ENOSPC: the
 *   dataplane's route tables cannot take the set's allowed IPs)
 */
int wg_device_apply(struct wg_device *dev, const struct wg_uapi_set *set);

/* ---- reading ------------------------------------------------------------ */

const struct wg_noise_identity *wg_device_identity(const struct wg_device *dev);
uint16_t wg_device_listen_port(const struct wg_device *dev);
uint32_t wg_device_fwmark(const struct wg_device *dev);
uint32_t wg_device_peer_count(const struct wg_device *dev);
uint32_t wg_device_max_peers(const struct wg_device *dev);
size_t wg_device_allowed_ip_count(const struct wg_device *dev);

/* NULL when absent. O(1). */
const struct wg_device_peer *
wg_device_peer_lookup(const struct wg_device *dev,
		      const uint8_t public_key[WG_KEY_LEN]);
const struct wg_device_peer *wg_device_peer_get(const struct wg_device *dev,
						uint32_t id);
/* Peers in slot id order: pass NULL for the first; NULL after the last. */
const struct wg_device_peer *
wg_device_peer_next(const struct wg_device *dev,
		    const struct wg_device_peer *prev);
/* The owner of exactly this prefix (host bits must be clear), or NULL. */
const struct wg_device_peer *
wg_device_allowed_ip_owner(const struct wg_device *dev,
			   const struct wg_uapi_allowed_ip *prefix);

/* ---- what the control thread learns from the dataplane ------------------ */

/* These change only the model: the observer is not told. */
void wg_device_peer_set_stats(struct wg_device *dev, uint32_t id,
			      uint64_t rx_bytes, uint64_t tx_bytes);
void wg_device_peer_set_handshake(struct wg_device *dev, uint32_t id,
				  uint64_t sec, uint32_t nsec);
/* An authenticated packet came from a new address (roaming). */
void wg_device_peer_set_endpoint(struct wg_device *dev, uint32_t id,
				 const struct wg_endpoint *endpoint);

/* ---- get ---------------------------------------------------------------- */

/*
 * The state of a wg_uapi_device_view's peer iterator. Peers come in slot id
 * order and are read live at each next_peer call, so an iterator may be
 * used across several calls of wg_uapi_get_write() while the device
 * changes in between (the socket server streams a large get that way): a
 * peer is then reported at most once, and one added or removed meanwhile
 * may or may not be. budget is how many more peers next_peer hands out
 * before it reports the end early (wg_device_view() sets SIZE_MAX, that is
 * no limit); done says whether the real end was reached.
 */
struct wg_device_view_iter {
	const struct wg_device *dev;
	uint32_t next_id;
	size_t budget;
	bool done;
	int error;			/* -ENOMEM from next_peer, else 0 */
	struct wg_uapi_allowed_ip *aips;	/* next_peer's buffer */
	size_t aips_cap;
};

/*
 * Fills view (private key, listen port, fwmark, next_peer over it) for
 * wg_uapi_get_write(). view holds the private key: release both with
 * wg_device_view_release(), which wipes the view.
 */
void wg_device_view(const struct wg_device *dev, struct wg_device_view_iter *it,
		    struct wg_uapi_device_view *view);
void wg_device_view_release(struct wg_device_view_iter *it,
			    struct wg_uapi_device_view *view);

#endif /* WG_DEVICE_H */
