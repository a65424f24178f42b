/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The DPDK dataplane of one WireGuard gateway instance (struct wg_dp): its
 * two ports, its worker lcores, its lock-free tables and its counters.
 *
 * Threads and contracts
 * - Workers (wg_dp_worker_*) run one per lcore, each owning RX/TX queue k on
 *   both ports; TX queue n_workers of each port is the control thread's. They never block, never allocate, never take a lock the
 *   control thread holds for long, and report an RCU quiescent state once per
 *   loop iteration.
 * - Every other wg_dp_* function belongs to the ONE control thread (the sole
 *   writer of the peer, index and route tables) unless it says otherwise.
 *   Functions that free memory wait for an RCU grace period, so they never
 *   run on a worker; a worker driven by wg_dp_worker_poll() is offline
 *   between polls and never holds them up.
 * - Times named *_ns are CLOCK_MONOTONIC nanoseconds, as lib/ uses them.
 *
 * Peer ids are slot indices in [0, max_peers): the control thread keeps its
 * own state (handshake, timers, keys) in an array indexed the same way.
 */
#ifndef WG_DP_H
#define WG_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "addr.h"
#include "crypto.h"
#include "drops.h"
#include "noise.h"

enum {
	WG_DP_NAME_MAX = 11,		/* names DPDK objects: "<name>_<object>" */
	WG_DP_MAX_WORKERS = 32
};

enum wg_dp_port_role {
	WG_DP_PORT_OUTER,		/* WireGuard UDP side */
	WG_DP_PORT_CLEAR,		/* LAN side: plain IP packets */
	WG_DP_PORT_MAX
};

struct wg_dp_port_conf {
	uint16_t port_id;		/* an ethdev already probed, not started */
	struct rte_ether_addr nexthop_mac;	/* static next hop (see neigh ops) */
	bool has_ipv4, has_ipv6;	/* our addresses: outer port, WireGuard's;
					 * clear port, the source of ICMP errors */
	uint8_t ipv4[4];		/* network order */
	uint8_t ipv6[16];
};

struct wg_dp_conf {
	const char *name;		/* unique in the process, <= WG_DP_NAME_MAX */
	struct wg_dp_port_conf port[WG_DP_PORT_MAX];
	uint16_t listen_port;		/* host order; 0 = WG_DEFAULT_PORT */
	uint16_t mtu;			/* tunnel (inner) MTU; 0 = WG_DEFAULT_MTU */
	uint16_t n_workers;		/* 1..WG_DP_MAX_WORKERS */
	uint32_t max_peers;		/* 0 = 4096; at most MAX_PEERS_PER_DEVICE */
	uint32_t max_routes4, max_routes6;	/* 0 = 4 * max_peers */
	uint32_t n_mbufs;		/* 0 = sized from the queues */
	uint16_t nb_rxd, nb_txd;	/* 0 = 1024 */
	uint32_t stage_ring_size;	/* all peers' staged packets in flight; 0 = 8192 */
	enum wg_crypto_arch crypto_arch;
	bool outer_udp_csum_v4;		/* compute IPv4 UDP checksums in software
					 * when the NIC cannot (default: 0, as
					 * RFC 768 allows) */
	int socket_id;			/* SOCKET_ID_ANY = the outer port's */
	uint32_t icmp_rate;		/* ICMP errors per second per worker; 0 = 1000 */
	uint32_t icmp_burst;		/* and at once; 0 = 50 */
	uint32_t frag_timeout_ms;	/* outer reassembly; 0 = 1000 */
};

struct wg_dp;
struct wg_dp_worker;

/*
 * Configures and starts both ports, creates the mempool, the tables and one
 * worker context per queue (not yet running). NULL with rte_errno set.
 */
struct wg_dp *wg_dp_create(const struct wg_dp_conf *conf);
/* Stops launched workers and the ports; frees everything it made. */
void wg_dp_destroy(struct wg_dp *dp);

struct rte_mempool *wg_dp_mempool(const struct wg_dp *dp);
/* Peer ids are below this. */
uint32_t wg_dp_max_peers(const struct wg_dp *dp);
/*
 * Changes the UDP port we listen on and send from (host order, not 0):
 * workers accept the new port at once and every peer's packets leave from it.
 */
int wg_dp_set_listen_port(struct wg_dp *dp, uint16_t port);
void wg_dp_port_mac(const struct wg_dp *dp, enum wg_dp_port_role role,
		    struct rte_ether_addr *mac);
/* True if the outer port spreads flows by RSS (keeps a peer on one queue). */
bool wg_dp_outer_rss(const struct wg_dp *dp);

/* ---- Workers ---- */

struct wg_dp_worker *wg_dp_worker_get(struct wg_dp *dp, unsigned int k);
/*
 * One loop iteration from the calling thread (tests, single-threaded tools):
 * RX and process one burst on each port, then flush both TX buffers. The
 * worker is RCU-online only for the duration of the call.
 */
void wg_dp_worker_poll(struct wg_dp_worker *w);
/* Runs the worker loop on lcore until wg_dp_worker_stop(). */
int wg_dp_worker_launch(struct wg_dp_worker *w, unsigned int lcore);
/* Asks the loop to stop and waits for it; 0 or the loop's return value. */
int wg_dp_worker_stop(struct wg_dp_worker *w);

/* ---- Peers (control thread) ---- */

/* A free peer id, or -ENOSPC. The peer has no endpoint, routes or keys. */
int wg_dp_peer_add(struct wg_dp *dp);
/*
 * Removes every route to the peer and wipes its keypairs and indices
 * (workers drop its packets from now on); then, once the workers have
 * forgotten it (one grace period), wipes its endpoint, drops its staged
 * packets and frees the id. Inside a route batch that waits for the
 * batch's end, so that removing many peers costs one grace period;
 * outside, it is done before returning.
 */
int wg_dp_peer_remove(struct wg_dp *dp, uint32_t id);
/* ep == NULL or ep->family == WG_AF_NONE clears it. */
int wg_dp_peer_set_endpoint(struct wg_dp *dp, uint32_t id,
			    const struct wg_endpoint *ep);
int wg_dp_peer_get_endpoint(struct wg_dp *dp, uint32_t id, struct wg_endpoint *ep);

/*
 * Cryptokey routing: addr (network order, 4 or 16 bytes by family) / cidr
 * routes to the peer and is accepted as an inner source from it. A prefix
 * another peer held moves to this one. -ENOSPC if the table is full.
 */
int wg_dp_allowed_ip_add(struct wg_dp *dp, uint32_t id, uint8_t family,
			 const uint8_t *addr, uint8_t cidr);
int wg_dp_allowed_ip_remove(struct wg_dp *dp, uint32_t id, uint8_t family,
			    const uint8_t *addr, uint8_t cidr);
void wg_dp_allowed_ips_clear(struct wg_dp *dp, uint32_t id);

/*
 * Route batches. Workers route with tables the control thread publishes;
 * every publication waits for one RCU grace period. A change outside a
 * batch is published before its call returns. Between begin and end the
 * allowed-IP calls above are staged instead: workers keep routing as at
 * begin, the calls see the batch's own earlier changes (ownership, moves,
 * -ENOENT), and the end publishes them all with one grace period, so a
 * set of a million routes costs one. Batches nest: only the outermost end
 * publishes. A change refused inside a batch (-ENOSPC) changes nothing;
 * the batch's other changes stay and are published at the end.
 * The ids of peers removed inside a batch are freed at its end, after the
 * same grace period; wg_dp_peer_add() finding no free id meanwhile ends
 * the batch's wait early (publishes its changes so far, waits once, and
 * frees them).
 */
void wg_dp_routes_batch_begin(struct wg_dp *dp);
void wg_dp_routes_batch_end(struct wg_dp *dp);

/*
 * Route capacity, asked before a change set so that one that cannot fit
 * is refused whole. A budget starts from what the tables hold (from_empty:
 * from nothing, for a set that first removes every route); charge each
 * prefix the set may add that the tables do not hold. A charge answers
 * -ENOSPC once the rules or the tbl8 groups they take (max_routes4/6, and
 * the groups rte_fib and rte_lpm6 are sized with; see route_cap.c) would
 * not fit, -EINVAL for a bad prefix, -ENOMEM. If every charge fits, the
 * set's adds cannot fail for want of room, whatever removals come in
 * between (they are not credited) and as long as nothing else adds routes
 * before it. start returns NULL when out of memory; end takes NULL.
 */
struct wg_dp_route_budget;
struct wg_dp_route_budget *wg_dp_route_budget_start(struct wg_dp *dp,
						    bool from_empty);
int wg_dp_route_budget_charge(struct wg_dp_route_budget *b, uint8_t family,
			      const uint8_t *addr, uint8_t cidr);
void wg_dp_route_budget_end(struct wg_dp_route_budget *b);

/*
 * Installs the keypair of a completed handshake, as Linux add_new_keypair():
 * the initiator's becomes current at once (the old current is kept as
 * previous for packets in flight); the responder's becomes next and is used
 * for sending once the first data packet under it arrives. Keypairs pushed
 * out are wiped after a grace period. -EEXIST if the local index is in use.
 */
int wg_dp_peer_keypair_install(struct wg_dp *dp, uint32_t id,
			       const struct wg_noise_keypair *kp);
/* True if a keypair with this local index (host order) is installed: the
 * control thread picks indices for new handshakes that are not. */
bool wg_dp_index_in_use(struct wg_dp *dp, uint32_t local_index);
/* True if no installed keypair sits in this index's slot of the direct
 * table: the control thread prefers such indices (see keypair.c). */
bool wg_dp_index_slot_free(const struct wg_dp *dp, uint32_t local_index);
/* Wipes all of the peer's keypairs (expiry, key zeroing, handshake reset). */
void wg_dp_peer_keypairs_clear(struct wg_dp *dp, uint32_t id);
/*
 * Stops sending with the peer's current and next keypairs (our private key
 * changed: as Linux's wg_noise_expire_current_peer_keypairs); they still
 * receive until replaced. Packets sent from now on are staged.
 */
void wg_dp_peer_expire_sending(struct wg_dp *dp, uint32_t id);

/* What the control thread needs of the current sending keypair. */
struct wg_dp_session {
	bool valid;			/* a keypair we may send with */
	bool initiator;
	uint32_t local_index;
	uint64_t birthdate_ns;
	uint64_t send_counter;		/* nonces handed out so far */
};
int wg_dp_peer_session(struct wg_dp *dp, uint32_t id, struct wg_dp_session *s);

/*
 * Encrypts and sends the peer's staged packets in order on the control TX
 * queue if it has a usable keypair: the number sent, or -EAGAIN if none.
 */
int wg_dp_peer_send_staged(struct wg_dp *dp, uint32_t id);
/* Drops the peer's staged packets (the give-up timer). Returns how many. */
unsigned int wg_dp_peer_purge_staged(struct wg_dp *dp, uint32_t id);
/* Sends a keepalive (an empty data message) with the current keypair;
 * -EDESTADDRREQ if the peer has no endpoint (nothing is sent). */
int wg_dp_peer_send_keepalive(struct wg_dp *dp, uint32_t id);

struct wg_dp_peer_stats {
	/* Authenticated messages from and to the peer, data, keepalives and
	 * handshakes (wg_dp_peer_count_handshake), in bytes of WireGuard
	 * message: the transfer `wg show` reports, as Linux counts it. */
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t last_rx_ns;		/* any authenticated packet; 0 = never */
	uint64_t last_data_rx_ns;	/* a non-keepalive packet */
	uint64_t last_tx_ns;		/* any packet sent, keepalives too */
	uint64_t last_data_tx_ns;	/* a non-keepalive packet sent */
	unsigned int staged;		/* packets awaiting a session */
};
/* Sums every worker's counters for the peer. May run on any thread. */
int wg_dp_peer_stats_get(struct wg_dp *dp, uint32_t id, struct wg_dp_peer_stats *st);
/*
 * Counts a handshake message of len bytes that the control thread accepted
 * from the peer (rx) or sent to it (!rx) in the peer's rx/tx counters.
 */
void wg_dp_peer_count_handshake(struct wg_dp *dp, uint32_t id, bool rx,
				uint16_t len);

/* ---- Events from workers to the control thread ---- */

enum wg_dp_event_bits {
	/* No usable keypair (packets staged) or a rekey is due on send. */
	WG_DP_EV_HANDSHAKE = 1u << 0,
	/* Data arrived under an initiator keypair near REJECT_AFTER_TIME:
	 * ask wg_timers_should_rekey_on_receive(). */
	WG_DP_EV_REKEY_RX = 1u << 1,
	/* The responder's next keypair received its first data and has
	 * become current (the rotation is done by wg_dp_events_poll()). */
	WG_DP_EV_CONFIRMED = 1u << 2,
	/* Packets were staged: send them once there is a session. */
	WG_DP_EV_STAGED = 1u << 3,
	/* Data moved that the control thread watched for (wg_dp_peer_watch). */
	WG_DP_EV_ACTIVITY = 1u << 4,
	/* An authenticated packet moved the peer's endpoint (roaming). */
	WG_DP_EV_ROAMED = 1u << 5
};

/*
 * What the control thread wants to hear of, per peer, without a message per
 * packet: the next data packet received or sent after it asks. The first
 * such packet takes the bit and raises WG_DP_EV_ACTIVITY once; the per-peer
 * times (wg_dp_peer_stats_get) then say when.
 */
enum wg_dp_watch_bits {
	WG_DP_WATCH_DATA_RX = 1u << 0,
	WG_DP_WATCH_DATA_TX = 1u << 1
};
/* Replaces the peer's watch bits (0: none). */
void wg_dp_peer_watch(struct wg_dp *dp, uint32_t id, uint32_t bits);

struct wg_dp_event {
	uint32_t peer_id;
	uint32_t bits;			/* enum wg_dp_event_bits */
};
/*
 * Up to max events, each peer at most once with every bit raised since its
 * last report. Also completes the keypair rotation of CONFIRMED peers.
 */
unsigned int wg_dp_events_poll(struct wg_dp *dp, struct wg_dp_event *ev,
			       unsigned int max);

/* ---- Handshake messages ---- */

/*
 * The key of mac1 for messages to us (wg_cookie_checker.message_mac1_key);
 * NULL forgets it and workers then drop every handshake message.
 */
void wg_dp_set_mac1_key(struct wg_dp *dp, const uint8_t key[NOISE_SYMMETRIC_KEY_LEN]);
/*
 * Initiations and responses whose mac1 checked, as received frames; the
 * caller frees them (rte_pktmbuf_free).
 */
unsigned int wg_dp_handshake_dequeue(struct wg_dp *dp, struct rte_mbuf **m,
				     unsigned int n);
/* How many wait: the control thread is "under load" above a threshold. */
unsigned int wg_dp_handshake_backlog(const struct wg_dp *dp);
/*
 * Cookie replies, on their own small ring (they have no mac1: anyone can
 * make them, and they must not crowd out initiations and responses).
 * Workers pass only replies whose receiver index is one of ours: a keypair
 * or an index marked with wg_dp_cookie_wait().
 */
unsigned int wg_dp_cookie_dequeue(struct wg_dp *dp, struct rte_mbuf **m,
				  unsigned int n);
/* Marks (waiting) or unmarks a local index of a handshake in flight. */
void wg_dp_cookie_wait(struct wg_dp *dp, uint32_t local_index, bool waiting);
/* The peer id whose installed keypair has this local index, or -ENOENT. */
int wg_dp_index_peer(struct wg_dp *dp, uint32_t local_index);
/* True if a ring to the control thread (handshakes, cookies, events) holds
 * work: the control thread must not sleep. */
bool wg_dp_control_busy(const struct wg_dp *dp);
/* The source endpoint and the message of a dequeued frame. Any thread. */
int wg_dp_handshake_parse(const struct rte_mbuf *m, struct wg_endpoint *src,
			  const uint8_t **msg, uint16_t *len);
/* Sends msg (a handshake message) to dst from our listen port. */
int wg_dp_control_send(struct wg_dp *dp, const struct wg_endpoint *dst,
		       const void *msg, uint16_t len);
/*
 * Sends complete frames on the control thread's TX queue of a port. Takes
 * ownership of all n: those the queue refuses are freed and counted
 * (tx_full). Returns how many were sent.
 */
uint16_t wg_dp_control_tx_port(struct wg_dp *dp, enum wg_dp_port_role role,
			       struct rte_mbuf **m, uint16_t n);

/* ---- Neighbours ---- */

/* What the neighbour module did with a received ARP/ND frame. */
enum wg_dp_neigh_verdict {
	WG_DP_NEIGH_CONSUMED,		/* learned or ignored: the worker frees it */
	WG_DP_NEIGH_REPLY,		/* rewritten as our answer: the worker
					 * sends it back out of the same port */
	WG_DP_NEIGH_INVALID		/* malformed: a counted drop */
};

/*
 * The hook a neighbour (ARP/ND) module replaces; both functions run on
 * workers, so they must be lock-free and quick.
 * - nexthop_mac: the destination MAC of frames leaving a port, asked once
 *   per burst (a next hop per port, as an edge router's default gateway):
 *   0 and the MAC, or -1 while it is unresolved. Frames for an unresolved
 *   next hop are dropped (neigh_unresolved), never broadcast.
 * - input: one received ARP/ND frame (the mbuf stays the worker's); it may
 *   rewrite the frame in place (data_len/pkt_len included) as a reply.
 * Without ops, the configured static MAC is used and ARP/ND frames are
 * dropped (neigh_unhandled). Solicitations the module originates go out
 * through wg_dp_control_tx_port().
 */
struct wg_dp_neigh_ops {
	int (*nexthop_mac)(void *ctx, enum wg_dp_port_role role,
			   struct rte_ether_addr *mac);
	enum wg_dp_neigh_verdict (*input)(void *ctx, enum wg_dp_port_role role,
					  struct rte_mbuf *m);
	void *ctx;
};
/* Before any worker runs. NULL restores the static behaviour. */
void wg_dp_set_neigh_ops(struct wg_dp *dp, const struct wg_dp_neigh_ops *ops);

/* ---- Counters ---- */

struct wg_dp_stats {
	uint64_t outer_rx_packets, outer_rx_bytes;	/* frames in, outer port */
	uint64_t outer_tx_packets, outer_tx_bytes;	/* frames out, outer port */
	uint64_t clear_rx_packets, clear_rx_bytes;
	uint64_t clear_tx_packets, clear_tx_bytes;
	uint64_t decrypted;		/* data messages authenticated */
	uint64_t encrypted;		/* data messages sealed */
	uint64_t keepalives_rx;
	uint64_t handshakes_rx;		/* handed to the control thread */
	uint64_t staged;		/* packets staged for a session */
	uint64_t roamed;		/* endpoint updates from authenticated data */
	uint64_t events_lost;		/* event ring full (must stay 0) */
	uint64_t grace_periods;		/* RCU grace periods the control thread
					 * waited for */
	uint64_t icmp_sent;		/* "too big" errors sent (clear port) */
	uint64_t icmp_ratelimited;	/* and suppressed by the rate limit */
	uint64_t icmp_unsent;		/* and not sent: no clear address, no mbuf */
	uint64_t frags_rx;		/* outer fragments taken for reassembly */
	uint64_t reassembled;		/* datagrams they completed */
	uint64_t drops[WG_DROP_MAX];
};
/* Sums the workers' and the control thread's counters. Any thread. */
void wg_dp_stats_get(struct wg_dp *dp, struct wg_dp_stats *st);
/* Worker k's own counters (k below the number of workers); k equal to it
 * is the control thread's share (its TX queue, its drops). 0 or -EINVAL. */
int wg_dp_worker_stats_get(struct wg_dp *dp, unsigned int k, struct wg_dp_stats *st);
uint64_t wg_dp_drops_total(const struct wg_dp_stats *st);

/*
 * Frees what waits for a grace period (old keypairs). Call periodically;
 * everything else reclaims itself.
 */
void wg_dp_reclaim(struct wg_dp *dp);
/*
 * Waits for one grace period: afterwards no worker still holds anything
 * unpublished before the call (a keypair it found, so it cannot roam with
 * it any more).
 */
void wg_dp_synchronize(struct wg_dp *dp);

/* CLOCK_MONOTONIC now, in ns (the clock of every *_ns above). */
uint64_t wg_dp_clock_ns(void);

/*
 * Registers /wgedge/list, /wgedge/stats, /wgedge/drops and /wgedge/peers
 * with DPDK telemetry, once per process (wg_dp_create calls it).
 */
int wg_dp_telemetry_register(void);

#endif /* WG_DP_H */
