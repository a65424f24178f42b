/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dataplane's internals, shared by its .c files and nobody else.
 *
 * Memory ordering between the control thread (sole writer of the tables)
 * and the workers (readers):
 * - peer slot fields that workers follow (keypair pointers, state) are
 *   published with __atomic stores (release) and read with acquire loads;
 * - anything a worker may still hold after it is unpublished (keypairs,
 *   route table copies, hash key slots, peer slots) is reused or
 *   freed only after an RCU QSBR grace period on dp->qsbr;
 * - the endpoint, written by the control thread and by a worker on roaming,
 *   sits behind a seqlock (readers retry, writers are rare and short).
 */
#ifndef WG_DP_PRIV_H
#define WG_DP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_fib.h>
#include <rte_log.h>
#include <rte_lpm6.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_seqlock.h>
#include <rte_spinlock.h>
#include <rte_udp.h>

#include "consts.h"
#include "dp.h"
#include "messages.h"
#include "replay.h"

enum {
	WG_DP_BURST = 32,		/* RX burst and crypto batch */
	WG_DP_PREFETCH = 3,		/* packets prefetched ahead */
	WG_DP_DRAIN_US = 100,		/* TX buffers flushed at least this often */
	WG_DP_TXBUF = 2 * WG_DP_BURST,
	WG_DP_CTL_RING = 1024,		/* control frames via worker 0 */
	WG_DP_COOKIE_RING = 256,	/* cookie replies to the control thread */
	WG_DP_ETH_LEN = RTE_ETHER_HDR_LEN,
	/* Outer headers in front of the transport header, at most. */
	WG_DP_OUTER_MAX = RTE_ETHER_HDR_LEN + WG_IPV6_HDR_LEN + WG_UDP_HDR_LEN,
	WG_DP_NO_PEER = UINT32_MAX,
	WG_DP_PASS = UINT8_MAX		/* a stage's verdict: not dropped */
};
static_assert((int)WG_DROP_MAX < (int)WG_DP_PASS, "drop reasons fit a verdict byte");

/* Headroom encryption needs in front of the inner IP header. */
static_assert(RTE_PKTMBUF_HEADROOM >= WG_DP_OUTER_MAX + sizeof(struct wg_msg_data),
	      "mbuf headroom holds Ethernet + IPv6 + UDP + WireGuard headers");
static_assert(MAX_PEERS_PER_DEVICE <= (1u << 21),
	      "peer ids fit an rte_lpm6 next hop (21 bits)");

/* ---- Keypairs ---- */

/*
 * One session's transport state. Immutable once published except for the
 * marked fields. Freed (keys wiped) through dp->kp_dq after a grace period.
 */
struct wg_dp_keypair {
	uint8_t sending_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t receiving_key[NOISE_SYMMETRIC_KEY_LEN];
	uint32_t remote_index_le;	/* receiver index we send, wire order */
	uint32_t local_index_le;	/* our index: the index table's key */
	uint32_t peer_id;
	bool initiator;
	uint8_t dead;			/* atomic: retired, never use again */
	uint8_t confirmed;		/* atomic: a next keypair received data */
	uint64_t reject_tsc;		/* unusable from this TSC on */
	uint64_t rekey_tsc;		/* send side wants a rekey (initiator) */
	uint64_t rekey_rx_tsc;		/* receive side last-minute rekey */
	uint64_t birthdate_ns;

	/* Written by every sender: one atomic add per burst. */
	uint64_t send_counter __rte_cache_aligned;

	/* Written by the receiving workers under the lock (decrypt.c). */
	rte_spinlock_t replay_lock __rte_cache_aligned;
	struct wg_replay replay;
} __rte_cache_aligned;

/* ---- Peers ---- */

enum wg_dp_peer_state {
	WG_DP_PEER_FREE = 0,
	WG_DP_PEER_LIVE,
	WG_DP_PEER_DEAD			/* being removed: workers drop its packets */
};

/* Where a peer's packets go: the endpoint and the IP+UDP header for it. */
struct wg_dp_ep {
	struct wg_endpoint addr;	/* family WG_AF_NONE: no endpoint */
	uint16_t ether_type;		/* network order */
	uint8_t hdr_len;		/* IPv4 or IPv6 header + UDP header */
	uint8_t hdr[WG_IPV6_HDR_LEN + WG_UDP_HDR_LEN] __rte_aligned(8);
};

/* The part of a peer the workers read: one slot per peer id. */
struct wg_dp_peer {
	struct wg_dp_keypair *cur;	/* RCU: control writes, workers read */
	struct wg_dp_keypair *prev;
	struct wg_dp_keypair *next;
	uint32_t state;			/* enum wg_dp_peer_state, atomic */
	uint32_t events;		/* enum wg_dp_event_bits, atomic */
	uint32_t watch;			/* enum wg_dp_watch_bits, atomic */
	uint32_t n_staged;		/* atomic: staged packets not yet sent */
	rte_seqlock_t ep_lock;
	struct wg_dp_ep ep;
} __rte_cache_aligned;

struct wg_dp_route {
	uint8_t family;
	uint8_t cidr;
	uint8_t addr[16];		/* masked to cidr */
};

/* One copy of the route tables (see route.c). */
struct dp_route_copy {
	struct rte_fib *fib4;
	struct rte_lpm6 *lpm6;
	/* The peers holding 0.0.0.0/0 and ::/0, or WG_DP_NO_PEER: neither
	 * table holds a /0 (see route.c). */
	uint32_t def4, def6;
};

/* The part of a peer only the control thread touches. */
struct wg_dp_peer_ctl {
	struct wg_dp_route *routes;
	uint32_t n_routes, cap_routes;
	struct rte_mbuf **staged;	/* FIFO of MAX_STAGED_PACKETS, lazily */
	uint16_t staged_head, staged_len;
};

/* One worker's view of one peer; summed by wg_dp_peer_stats_get(). */
struct wg_dp_peer_ctr {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t last_rx_tsc, last_data_rx_tsc;
	/* Any packet sent (keepalives too), and data only: the timers tell
	 * them apart (Linux's wg_timers_data_sent is for data only). */
	uint64_t last_tx_tsc, last_data_tx_tsc;
};

/* ---- Ports ---- */

struct wg_dp_port {
	uint16_t port_id;
	uint16_t n_rxq, n_txq;
	bool started;
	bool rss;
	bool tx_ip_csum, tx_udp_csum;	/* offloads in use */
	bool rx_csum;
	struct rte_ether_addr mac;
	uint64_t nexthop;		/* atomic: the static next-hop MAC */
	bool has_ipv4, has_ipv6;
	uint32_t ipv4;			/* network order */
	uint8_t ipv6[16];
	/*
	 * A device with no TX queue to spare for the control thread (af_packet
	 * with qpairs = workers, tap, small NICs): the control thread's frames
	 * go through this ring and worker 0 sends them on its own queue.
	 * NULL when the control thread has queue n_workers to itself.
	 */
	struct rte_ring *ctl_ring;
};

/* ---- Workers ---- */

struct wg_dp_txbuf {
	uint16_t n;
	struct rte_mbuf *m[WG_DP_TXBUF];
};

/* Packets to free at the end of a burst: the one place mbufs are freed. */
struct wg_dp_freeq {
	uint16_t n;
	struct rte_mbuf *m[WG_DP_BURST];
};

struct dp_pmtu;

struct wg_dp_worker {
	struct wg_dp *dp;
	struct wg_crypto *crypto;
	struct dp_pmtu *pmtu;		/* pmtu.h; NULL for the control context */
	struct wg_dp_peer_ctr *peer_ctr;	/* [max_peers], this worker's */
	uint16_t id;			/* TX/RX queue on both ports; RCU thread
					 * id. The control context: n_workers */
	bool is_control;
	bool drains_ctl;		/* worker 0, when a port has a ctl_ring */
	unsigned int lcore;
	uint32_t stop;			/* atomic */
	bool launched;
	uint16_t ip_id;
	uint64_t now;			/* TSC at the start of the burst */
	uint64_t drain_tsc, next_drain;
	struct rte_ether_addr dst_mac[WG_DP_PORT_MAX];	/* per burst */
	bool dst_ok[WG_DP_PORT_MAX];	/* dst_mac resolved (per burst) */
	struct wg_dp_txbuf tx[WG_DP_PORT_MAX];
	struct wg_dp_freeq freeq;
	struct wg_dp_stats st __rte_cache_aligned;	/* no atomics: one writer */
} __rte_cache_aligned;

/* ---- The instance ---- */

typedef void (*wg_dp_csum_fn)(const struct wg_dp *dp, struct rte_mbuf *m);

struct wg_dp {
	char name[WG_DP_NAME_MAX + 1];
	struct wg_dp_port port[WG_DP_PORT_MAX];
	uint16_t listen_port_be;
	uint16_t mtu;
	uint16_t n_workers;
	uint32_t max_peers;
	int socket;
	bool outer_udp_csum_v4;

	/* Chosen once at create, never branched on per packet. */
	wg_dp_csum_fn csum4, csum6;
	struct wg_dp_neigh_ops neigh;

	struct rte_mempool *pool;
	struct rte_rcu_qsbr *qsbr;
	struct rte_rcu_qsbr_dq *kp_dq;	/* retired keypairs */
	struct rte_hash *index;		/* le32 local index -> keypair */
	struct wg_dp_keypair **index_direct;	/* [index_mask + 1]: keypair.c */
	uint32_t index_mask;
	struct dp_route_copy rt_copy[2];	/* see route.c */
	struct dp_route_copy *rt_cur;	/* atomic: the copy workers read */
	struct dp_routes *rt;		/* route.c: batch and bookkeeping */
	struct rte_ring *hs_ring;	/* mbufs to the control thread */
	struct rte_ring *ck_ring;	/* cookie replies: hs_queue.c */
	uint16_t *ck_wait;		/* [index_mask + 1]: hs_queue.c */
	struct rte_ring *ev_ring;	/* uint32_t peer ids with events */
	struct rte_ring *stage_ring;	/* mbufs (peer id in hash.usr) */

	struct wg_dp_peer *peers;	/* [max_peers] */
	struct wg_dp_peer_ctl *peer_ctl;	/* [max_peers] */
	uint32_t *free_ids;		/* stack of free peer ids */
	uint32_t n_free;
	uint32_t *reaping;		/* removed ids awaiting a grace period */
	uint32_t n_reaping;

	rte_seqlock_t mac1_lock;
	bool has_mac1_key;
	uint8_t mac1_key[NOISE_SYMMETRIC_KEY_LEN];

	uint64_t tsc_hz;
	uint64_t clock_tsc0, clock_ns0;	/* one instant on both clocks */

	struct wg_dp_worker *ctl;	/* the control thread's context */
	struct wg_dp_worker *workers[WG_DP_MAX_WORKERS];
};

/* ---- Helpers shared by the files ---- */

extern int wg_dp_logtype;
#define DP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, wg_dp_logtype, "wgdp: " fmt "\n", ##__VA_ARGS__)

void dp_freeq_flush(struct wg_dp_worker *w);

/* The one place a dropped mbuf is counted; worker_free_pending() frees it. */
static inline void
dp_drop(struct wg_dp_worker *w, struct rte_mbuf *m, enum wg_dp_drop reason)
{
	w->st.drops[reason]++;
	if (unlikely(w->freeq.n == RTE_DIM(w->freeq.m)))
		dp_freeq_flush(w);
	w->freeq.m[w->freeq.n++] = m;
}

/* A packet consumed on purpose (keepalive): freed, not counted as a drop. */
static inline void
dp_consume(struct wg_dp_worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->freeq.n == RTE_DIM(w->freeq.m)))
		dp_freeq_flush(w);
	w->freeq.m[w->freeq.n++] = m;
}

/* Raises event bits for a peer; the first raiser queues the peer id. */
static inline void
dp_peer_signal(struct wg_dp_worker *w, struct wg_dp_peer *p, uint32_t id,
	       uint32_t bits)
{
	uint32_t old;

	/*
	 * What the signal announces (a staged packet on the ring) must be
	 * visible before we decide from the bits that the control thread
	 * already knows: it clears the bits, then looks. Without the fence the
	 * store could still sit in the store buffer while we read bits the
	 * control thread is about to clear (store-load reordering), and the
	 * packet would wait for the next signal.
	 */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if ((__atomic_load_n(&p->events, __ATOMIC_RELAXED) & bits) == bits)
		return;
	old = __atomic_fetch_or(&p->events, bits, __ATOMIC_ACQ_REL);
	if (old != 0)
		return;
	if (unlikely(rte_ring_mp_enqueue_elem(w->dp->ev_ring, &id,
					      sizeof(id)) != 0)) {
		/* Cannot happen with the ring sized for every peer twice;
		 * clear the bits so that a later signal queues it again. */
		__atomic_store_n(&p->events, 0, __ATOMIC_RELEASE);
		w->st.events_lost++;
	}
}

/*
 * Data moved for a peer: if the control thread asked to hear of it (bit in
 * p->watch), the first worker to see the bit takes it and raises
 * WG_DP_EV_ACTIVITY once. The per-peer times are written before. Costs one
 * load of a line the worker reads anyway unless a bit is set.
 */
static inline void
dp_peer_watch_hit(struct wg_dp_worker *w, struct wg_dp_peer *p, uint32_t id,
		  uint32_t bit)
{
	if (likely((__atomic_load_n(&p->watch, __ATOMIC_RELAXED) & bit) == 0))
		return;
	if (__atomic_fetch_and(&p->watch, ~bit, __ATOMIC_ACQ_REL) & bit)
		dp_peer_signal(w, p, id, WG_DP_EV_ACTIVITY);
}

/*
 * The keypair to send with: the responder's next once confirmed, else the
 * current one; NULL if that is missing, retired, expired or spent.
 */
static inline struct wg_dp_keypair *
dp_peer_send_keypair(struct wg_dp_peer *p, uint64_t now)
{
	struct wg_dp_keypair *kp;

	kp = __atomic_load_n(&p->next, __ATOMIC_ACQUIRE);
	if (kp == NULL || !__atomic_load_n(&kp->confirmed, __ATOMIC_ACQUIRE))
		kp = __atomic_load_n(&p->cur, __ATOMIC_ACQUIRE);
	if (kp == NULL || __atomic_load_n(&kp->dead, __ATOMIC_ACQUIRE) ||
	    now >= kp->reject_tsc ||
	    __atomic_load_n(&kp->send_counter, __ATOMIC_RELAXED) >=
	    REJECT_AFTER_MESSAGES)
		return NULL;
	return kp;
}

/* The direct index table's slot for a local index (wire order). */
static inline uint32_t
dp_index_slot(const struct wg_dp *dp, uint32_t index_le)
{
	return rte_le_to_cpu_32(index_le) & dp->index_mask;
}

/* A consistent copy of the peer's endpoint and header template. */
static inline void
dp_peer_ep_read(const struct wg_dp_peer *p, struct wg_dp_ep *ep)
{
	uint32_t sn;

	do {
		sn = rte_seqlock_read_begin(&p->ep_lock);
		*ep = p->ep;
	} while (rte_seqlock_read_retry(&p->ep_lock, sn));
}

/*
 * The UDP checksum of a classified outer frame, checked before we trust its
 * addresses to roam to (data and handshake messages alike).
 */
static inline bool
dp_outer_l4_csum_ok(const struct rte_mbuf *m)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	const struct rte_udp_hdr *udp = (const void *)(l3 + m->l3_len);
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	if (RTE_ETH_IS_IPV4_HDR(m->packet_type))
		return udp->dgram_cksum == 0 ||
		       rte_ipv4_udptcp_cksum_verify((const void *)l3, udp) == 0;
	return rte_ipv6_udptcp_cksum_verify((const void *)l3, udp) == 0;
}

/* Waits for one RCU grace period (control thread), counted. */
static inline void
dp_synchronize(struct wg_dp *dp)
{
	dp->ctl->st.grace_periods++;
	rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
}

/* The copy of the route tables workers read (see route.c). */
static inline struct dp_route_copy *
dp_routes_cur(const struct wg_dp *dp)
{
	return __atomic_load_n(&dp->rt_cur, __ATOMIC_ACQUIRE);
}

/*
 * Batched route lookups: fill in one family's addresses, run, read peer ids
 * (WG_DP_NO_PEER where nothing matches) back by packet index.
 */
struct dp_lookup {
	uint16_t n4, n6;
	uint16_t idx4[WG_DP_BURST], idx6[WG_DP_BURST];
	uint32_t ip4[WG_DP_BURST];	/* host order, as rte_fib wants */
	uint8_t ip6[WG_DP_BURST][RTE_LPM6_IPV6_ADDR_SIZE];
};

static inline void
dp_lookup_add4(struct dp_lookup *lk, uint16_t idx, const void *addr)
{
	uint32_t a;

	memcpy(&a, addr, sizeof(a));
	lk->ip4[lk->n4] = rte_be_to_cpu_32(a);
	lk->idx4[lk->n4++] = idx;
}

static inline void
dp_lookup_add6(struct dp_lookup *lk, uint16_t idx, const void *addr)
{
	memcpy(lk->ip6[lk->n6], addr, RTE_LPM6_IPV6_ADDR_SIZE);
	lk->idx6[lk->n6++] = idx;
}

void dp_lookup_run(const struct wg_dp *dp, struct dp_lookup *lk, uint32_t *ids);

/* Time: TSC <-> CLOCK_MONOTONIC ns via the instant taken at create. */
uint64_t dp_ns_to_tsc(const struct wg_dp *dp, uint64_t ns);
uint64_t dp_tsc_to_ns(const struct wg_dp *dp, uint64_t tsc);

/* The static next-hop MAC packed in a word, and back. */
uint64_t dp_mac_pack(const struct rte_ether_addr *mac);
void dp_mac_unpack(uint64_t v, struct rte_ether_addr *mac);

/* ---- Between the files ---- */

/* port.c */
int dp_port_setup(struct wg_dp *dp, enum wg_dp_port_role role,
		  const struct wg_dp_port_conf *pc, uint16_t nb_rxd, uint16_t nb_txd);
void dp_port_teardown(struct wg_dp *dp, enum wg_dp_port_role role);

/* route.c */
int dp_routes_create(struct wg_dp *dp, uint32_t max4, uint32_t max6);
void dp_routes_free(struct wg_dp *dp);
void dp_routes_peer_release(struct wg_dp *dp, uint32_t id);
void dp_routes_sync(struct wg_dp *dp);

/* route_cap.c: rules and tbl8 groups, held and free (see there) */
struct dp_route_cap;
struct dp_route_cap *dp_route_cap_create(uint32_t max4, uint32_t groups4,
					 uint32_t max6, uint32_t groups6);
void dp_route_cap_free(struct dp_route_cap *cap);
/* 0 if the tables can take r (a new rule, not a /0), else -ENOSPC. */
int dp_route_cap_admit(const struct dp_route_cap *cap, const struct wg_dp_route *r);
void dp_route_cap_added(struct dp_route_cap *cap, const struct wg_dp_route *r);
void dp_route_cap_removed(struct dp_route_cap *cap, const struct wg_dp_route *r);
struct wg_dp_route_budget *dp_route_budget_start(const struct dp_route_cap *cap,
						 bool from_empty);
int dp_route_budget_charge(struct wg_dp_route_budget *b,
			   const struct wg_dp_route *r);

/* keypair.c */
int dp_index_create(struct wg_dp *dp);
void dp_index_free(struct wg_dp *dp);
void dp_keypair_retire(struct wg_dp *dp, struct wg_dp_keypair *kp);
void dp_keypairs_rotate_confirmed(struct wg_dp *dp, struct wg_dp_peer *p);

/* peer.c */
int dp_peers_create(struct wg_dp *dp);
void dp_peers_free(struct wg_dp *dp);
void dp_ep_build(const struct wg_dp *dp, struct wg_dp_ep *ep,
		 const struct wg_endpoint *addr);
void dp_stage_collect(struct wg_dp *dp);
void dp_peers_reap(struct wg_dp *dp);

/* hs_queue.c */
int dp_hs_queue_create(struct wg_dp *dp);
void dp_hs_queue_free(struct wg_dp *dp);
bool dp_cookie_index_known(const struct wg_dp *dp, uint32_t index_le);

/* classify.c */
void dp_outer_input(struct wg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
void dp_neigh_input(struct wg_dp_worker *w, enum wg_dp_port_role role,
		    struct rte_mbuf **pkts, uint16_t n);

/* decrypt.c */
void dp_decrypt_burst(struct wg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
/*
 * The replay stage: for each opened packet (ok[i] from the batch open),
 * verdict[i] = WG_DP_PASS or the drop reason. Safe for concurrent callers
 * on the same keypairs.
 */
void dp_replay_check(struct wg_dp_keypair *const *kp, const struct wg_crypto_op *op,
		     const uint8_t *ok, uint8_t *verdict, uint16_t n);

/* encrypt.c */
void dp_clear_input(struct wg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
void dp_encrypt_burst(struct wg_dp_worker *w, struct rte_mbuf **pkts,
		      const uint32_t *ids, uint16_t n, bool from_stage);
void dp_outer_hdr_write(struct wg_dp_worker *w, uint8_t *h,
			const struct wg_dp_ep *ep, uint16_t msg_len, uint8_t ecn);
void dp_outer_csum4(const struct wg_dp *dp, struct rte_mbuf *m);
void dp_outer_csum4_nocsum(const struct wg_dp *dp, struct rte_mbuf *m);
void dp_outer_csum4_offload(const struct wg_dp *dp, struct rte_mbuf *m);
void dp_outer_csum6(const struct wg_dp *dp, struct rte_mbuf *m);
void dp_outer_csum6_offload(const struct wg_dp *dp, struct rte_mbuf *m);

/* worker.c */
int dp_workers_create(struct wg_dp *dp, enum wg_crypto_arch arch);
void dp_workers_free(struct wg_dp *dp);
void dp_txbuf_add(struct wg_dp_worker *w, enum wg_dp_port_role role,
		  struct rte_mbuf *m);
void dp_txbuf_flush(struct wg_dp_worker *w, enum wg_dp_port_role role);
/*
 * A frame addressed to role's next hop (w->dst_mac): queued, or dropped
 * (neigh_unresolved, false) while that next hop is unresolved.
 */
bool dp_txbuf_add_nexthop(struct wg_dp_worker *w, enum wg_dp_port_role role,
			  struct rte_mbuf *m);
/* Worker 0: sends what the control thread queued on shared ports. */
void dp_ctl_ring_drain(struct wg_dp_worker *w);
void dp_resolve_nexthops(struct wg_dp_worker *w);
void dp_ctl_begin(struct wg_dp *dp);
void dp_ctl_end(struct wg_dp *dp);

/* telemetry.c */
void dp_registry_add(struct wg_dp *dp);
void dp_registry_del(struct wg_dp *dp);

#endif /* WG_DP_PRIV_H */
