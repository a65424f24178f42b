/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The peer table: slots indexed by peer id, their endpoints, the staging of
 * packets that wait for a session, the events workers raise, and per-peer
 * counters. Control thread only, unless a function says otherwise.
 *
 * Staging. A worker that has a packet for a peer without a usable keypair
 * counts it against the peer's bound (n_staged < MAX_STAGED_PACKETS, else
 * the packet is dropped: the newest goes, where Linux drops the oldest) and
 * puts it, tagged with the peer id, on one multi-producer ring shared by all
 * peers. The control thread moves the ring's packets into per-peer FIFOs
 * (memory only for peers that stage, where a ring per peer would cost 2 kB
 * for every peer) and sends them, in order, once there is a session. While a
 * peer has staged packets, workers stage its new packets too, so that
 * nothing overtakes them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp_priv.h"

enum {
	STAGE_COLLECT_BURST = 64,
	EVENT_BURST = 64
};

int
dp_peers_create(struct wg_dp *dp)
{
	uint32_t i;

	dp->peers = rte_zmalloc_socket("wg_dp_peers",
				       sizeof(*dp->peers) * dp->max_peers,
				       RTE_CACHE_LINE_SIZE, dp->socket);
	dp->peer_ctl = calloc(dp->max_peers, sizeof(*dp->peer_ctl));
	dp->free_ids = malloc(sizeof(*dp->free_ids) * dp->max_peers);
	dp->reaping = malloc(sizeof(*dp->reaping) * dp->max_peers);
	if (dp->peers == NULL || dp->peer_ctl == NULL || dp->free_ids == NULL ||
	    dp->reaping == NULL)
		return -ENOMEM;
	/* Lowest ids first. */
	for (i = 0; i < dp->max_peers; i++)
		dp->free_ids[i] = dp->max_peers - 1 - i;
	dp->n_free = dp->max_peers;
	return 0;
}

void
dp_peers_free(struct wg_dp *dp)
{
	uint32_t i;

	if (dp->peers != NULL && dp->peer_ctl != NULL && dp->ctl != NULL)
		for (i = 0; i < dp->max_peers; i++)
			if (dp->peers[i].state == WG_DP_PEER_LIVE)
				wg_dp_peer_remove(dp, i);
	rte_free(dp->peers);
	free(dp->peer_ctl);
	free(dp->free_ids);
	free(dp->reaping);
	dp->peers = NULL;
	dp->peer_ctl = NULL;
	dp->free_ids = NULL;
	dp->reaping = NULL;
}

static struct wg_dp_peer *
live_peer(struct wg_dp *dp, uint32_t id)
{
	if (id >= dp->max_peers ||
	    __atomic_load_n(&dp->peers[id].state, __ATOMIC_ACQUIRE) != WG_DP_PEER_LIVE)
		return NULL;
	return &dp->peers[id];
}

/* ---- Endpoints ---- */

/*
 * The IP + UDP header template for sending to addr from our address of the
 * same family. hdr_len 0 (unusable) if we have no address of that family.
 */
void
dp_ep_build(const struct wg_dp *dp, struct wg_dp_ep *ep, const struct wg_endpoint *a)
{
	const struct wg_dp_port *o = &dp->port[WG_DP_PORT_OUTER];
	struct rte_udp_hdr *udp;

	memset(ep, 0, sizeof(*ep));
	ep->addr = *a;
	if (a->family == WG_AF_INET && o->has_ipv4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)ep->hdr;

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = o->ipv4;
		memcpy(&ip->dst_addr, a->addr.v4, 4);
		ep->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ep->hdr_len = sizeof(*ip) + sizeof(*udp);
	} else if (a->family == WG_AF_INET6 && o->has_ipv6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)ep->hdr;

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, o->ipv6, 16);
		memcpy(ip->dst_addr, a->addr.v6, 16);
		ep->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ep->hdr_len = sizeof(*ip) + sizeof(*udp);
	} else {
		return;
	}
	udp = (struct rte_udp_hdr *)(ep->hdr + ep->hdr_len - sizeof(*udp));
	udp->src_port = __atomic_load_n(&dp->listen_port_be, __ATOMIC_RELAXED);
	udp->dst_port = rte_cpu_to_be_16(a->port);
}

static void
ep_clear(struct wg_dp_peer *p)
{
	rte_seqlock_write_lock(&p->ep_lock);
	memset(&p->ep, 0, sizeof(p->ep));
	rte_seqlock_write_unlock(&p->ep_lock);
}

int
wg_dp_peer_set_endpoint(struct wg_dp *dp, uint32_t id, const struct wg_endpoint *a)
{
	static const struct wg_endpoint none = { .family = WG_AF_NONE };
	struct wg_dp_peer *p = live_peer(dp, id);
	struct wg_dp_ep ep;

	if (p == NULL)
		return -ENOENT;
	if (a == NULL)
		a = &none;
	if (a->family != WG_AF_NONE && a->family != WG_AF_INET &&
	    a->family != WG_AF_INET6)
		return -EINVAL;
	dp_ep_build(dp, &ep, a);
	rte_seqlock_write_lock(&p->ep_lock);
	p->ep = ep;
	rte_seqlock_write_unlock(&p->ep_lock);
	return a->family == WG_AF_NONE || ep.hdr_len != 0 ? 0 : -EAFNOSUPPORT;
}

/*
 * Workers compare against the port at once (an atomic store); each live
 * peer's header template is rebuilt under its seqlock, as a roaming update.
 */
int
wg_dp_set_listen_port(struct wg_dp *dp, uint16_t port)
{
	struct wg_dp_peer *p;
	struct wg_dp_ep ep;
	uint32_t id;

	if (port == 0)
		return -EINVAL;
	__atomic_store_n(&dp->listen_port_be, rte_cpu_to_be_16(port),
			 __ATOMIC_RELEASE);
	for (id = 0; id < dp->max_peers; id++) {
		p = live_peer(dp, id);
		if (p == NULL)
			continue;
		rte_seqlock_write_lock(&p->ep_lock);
		ep = p->ep;
		dp_ep_build(dp, &p->ep, &ep.addr);
		rte_seqlock_write_unlock(&p->ep_lock);
	}
	return 0;
}

/* Any thread: the endpoint a worker may have moved by roaming. */
int
wg_dp_peer_get_endpoint(struct wg_dp *dp, uint32_t id, struct wg_endpoint *a)
{
	struct wg_dp_peer *p = live_peer(dp, id);
	struct wg_dp_ep ep;

	if (p == NULL)
		return -ENOENT;
	dp_peer_ep_read(p, &ep);
	*a = ep.addr;
	return 0;
}

/* ---- Staging ---- */

static int
fifo_push(struct wg_dp_peer_ctl *pc, struct rte_mbuf *m)
{
	if (pc->staged == NULL) {
		pc->staged = calloc(MAX_STAGED_PACKETS, sizeof(*pc->staged));
		if (pc->staged == NULL)
			return -ENOMEM;
	}
	/* n_staged bounds the FIFO: it cannot overflow. */
	if (pc->staged_len == MAX_STAGED_PACKETS)
		return -ENOSPC;
	pc->staged[(pc->staged_head + pc->staged_len++) % MAX_STAGED_PACKETS] = m;
	return 0;
}

static struct rte_mbuf *
fifo_pop(struct wg_dp_peer_ctl *pc)
{
	struct rte_mbuf *m = pc->staged[pc->staged_head];

	pc->staged_head = (pc->staged_head + 1) % MAX_STAGED_PACKETS;
	pc->staged_len--;
	return m;
}

/* Moves everything workers staged into the per-peer FIFOs. */
void
dp_stage_collect(struct wg_dp *dp)
{
	struct rte_mbuf *m[STAGE_COLLECT_BURST];
	unsigned int n, i;
	uint32_t id;

	do {
		n = rte_ring_sc_dequeue_burst(dp->stage_ring, (void **)m,
					      RTE_DIM(m), NULL);
		for (i = 0; i < n; i++) {
			id = m[i]->hash.usr;
			if (fifo_push(&dp->peer_ctl[id], m[i]) == 0)
				continue;
			__atomic_fetch_sub(&dp->peers[id].n_staged, 1, __ATOMIC_RELAXED);
			dp_drop(dp->ctl, m[i], WG_DROP_STAGE_FULL);
		}
	} while (n == RTE_DIM(m));
}

/* Drops all of a peer's staged packets with reason; how many. */
static unsigned int
staged_drop(struct wg_dp *dp, uint32_t id, enum wg_dp_drop reason)
{
	struct wg_dp_peer_ctl *pc = &dp->peer_ctl[id];
	unsigned int n;

	dp_stage_collect(dp);
	n = pc->staged_len;
	while (pc->staged_len != 0)
		dp_drop(dp->ctl, fifo_pop(pc), reason);
	__atomic_fetch_sub(&dp->peers[id].n_staged, n, __ATOMIC_RELAXED);
	return n;
}

int
wg_dp_peer_send_staged(struct wg_dp *dp, uint32_t id)
{
	struct wg_dp_peer *p = live_peer(dp, id);
	struct wg_dp_peer_ctl *pc = &dp->peer_ctl[id];
	struct rte_mbuf *m[WG_DP_BURST];
	uint32_t ids[WG_DP_BURST];
	uint16_t n, i;
	int sent = 0;

	if (p == NULL)
		return -ENOENT;
	dp_ctl_begin(dp);
	dp_stage_collect(dp);
	if (dp_peer_send_keypair(p, dp->ctl->now) == NULL) {
		dp_ctl_end(dp);
		return -EAGAIN;
	}
	while (pc->staged_len != 0) {
		n = RTE_MIN(pc->staged_len, (uint16_t)WG_DP_BURST);
		for (i = 0; i < n; i++) {
			m[i] = fifo_pop(pc);
			ids[i] = id;
		}
		dp_encrypt_burst(dp->ctl, m, ids, n, true);
		__atomic_fetch_sub(&p->n_staged, n, __ATOMIC_RELAXED);
		sent += n;
	}
	dp_ctl_end(dp);
	return sent;
}

unsigned int
wg_dp_peer_purge_staged(struct wg_dp *dp, uint32_t id)
{
	unsigned int n;

	if (live_peer(dp, id) == NULL)
		return 0;
	dp_ctl_begin(dp);
	n = staged_drop(dp, id, WG_DROP_STAGE_PURGED);
	dp_ctl_end(dp);
	return n;
}

void
wg_dp_peer_watch(struct wg_dp *dp, uint32_t id, uint32_t bits)
{
	struct wg_dp_peer *p = live_peer(dp, id);

	if (p != NULL)
		__atomic_store_n(&p->watch, bits, __ATOMIC_SEQ_CST);
}

/*
 * A keypair whose send counter says spent is never picked for sending
 * again (dp_peer_send_keypair, group_reserve); its receiving side and
 * replay window are untouched, which is Linux's sending.is_valid = false.
 */
static void
keypair_expire_sending(struct wg_dp_keypair *kp)
{
	if (kp != NULL)
		__atomic_store_n(&kp->send_counter, REJECT_AFTER_MESSAGES,
				 __ATOMIC_RELEASE);
}

void
wg_dp_peer_expire_sending(struct wg_dp *dp, uint32_t id)
{
	struct wg_dp_peer *p = live_peer(dp, id);

	if (p == NULL)
		return;
	keypair_expire_sending(__atomic_load_n(&p->next, __ATOMIC_ACQUIRE));
	keypair_expire_sending(__atomic_load_n(&p->cur, __ATOMIC_ACQUIRE));
}

/* As Linux wg_packet_send_keepalive(): staged packets, if any, serve. */
int
wg_dp_peer_send_keepalive(struct wg_dp *dp, uint32_t id)
{
	struct wg_dp_peer *p = live_peer(dp, id);
	struct rte_mbuf *m;
	struct wg_dp_ep ep;

	if (p == NULL)
		return -ENOENT;
	dp_peer_ep_read(p, &ep);
	if (ep.hdr_len == 0)
		return -EDESTADDRREQ;
	if (__atomic_load_n(&p->n_staged, __ATOMIC_RELAXED) != 0) {
		int rc = wg_dp_peer_send_staged(dp, id);

		return rc < 0 ? rc : 0;
	}
	m = rte_pktmbuf_alloc(dp->pool);
	if (m == NULL)
		return -ENOMEM;
	dp_ctl_begin(dp);
	dp_encrypt_burst(dp->ctl, &m, &id, 1, false);
	dp_ctl_end(dp);
	return 0;
}

/* ---- Add and remove ---- */

int
wg_dp_peer_add(struct wg_dp *dp)
{
	struct wg_dp_peer *p;
	uint32_t id;

	/* Ids removed in an open batch come back after their grace period. */
	if (dp->n_free == 0 && dp->n_reaping != 0)
		dp_routes_sync(dp);
	if (dp->n_free == 0)
		return -ENOSPC;
	id = dp->free_ids[--dp->n_free];
	p = &dp->peers[id];
	p->cur = p->prev = p->next = NULL;
	p->events = 0;
	p->watch = 0;
	p->n_staged = 0;
	rte_seqlock_init(&p->ep_lock);
	memset(&p->ep, 0, sizeof(p->ep));
	__atomic_store_n(&p->state, WG_DP_PEER_LIVE, __ATOMIC_RELEASE);
	return (int)id;
}

static void
peer_counters_clear(struct wg_dp *dp, uint32_t id)
{
	unsigned int k;

	for (k = 0; k < dp->n_workers; k++)
		memset(&dp->workers[k]->peer_ctr[id], 0, sizeof(struct wg_dp_peer_ctr));
	memset(&dp->ctl->peer_ctr[id], 0, sizeof(struct wg_dp_peer_ctr));
}

/*
 * Unpublishes the peer: workers drop what they find of it from now on. The
 * rest waits for the end of the route batch (its grace period), which is
 * the end of this call outside a batch.
 */
int
wg_dp_peer_remove(struct wg_dp *dp, uint32_t id)
{
	struct wg_dp_peer *p = live_peer(dp, id);

	if (p == NULL)
		return -ENOENT;
	wg_dp_routes_batch_begin(dp);
	__atomic_store_n(&p->state, WG_DP_PEER_DEAD, __ATOMIC_RELEASE);
	dp_routes_peer_release(dp, id);
	wg_dp_peer_keypairs_clear(dp, id);
	dp->reaping[dp->n_reaping++] = id;
	wg_dp_routes_batch_end(dp);
	return 0;
}

/*
 * After a grace period that began after their removal, no worker holds the
 * removed peers' slots: they are ours to clean, and their ids free again.
 * The endpoint goes here too: a worker that saw the peer live just before
 * finds it whole (and stages, its keypairs gone) rather than half wiped.
 */
void
dp_peers_reap(struct wg_dp *dp)
{
	struct wg_dp_peer_ctl *pc;
	struct wg_dp_peer *p;
	uint32_t i, id;

	if (dp->n_reaping == 0)
		return;
	dp_ctl_begin(dp);
	for (i = 0; i < dp->n_reaping; i++) {
		id = dp->reaping[i];
		p = &dp->peers[id];
		pc = &dp->peer_ctl[id];
		staged_drop(dp, id, WG_DROP_PEER_GONE);
		ep_clear(p);
		free(pc->staged);
		memset(pc, 0, sizeof(*pc));
		peer_counters_clear(dp, id);
		p->events = 0;
		p->watch = 0;
		p->n_staged = 0;
		__atomic_store_n(&p->state, WG_DP_PEER_FREE, __ATOMIC_RELEASE);
		dp->free_ids[dp->n_free++] = id;
	}
	dp_ctl_end(dp);
	dp->n_reaping = 0;
}

/* ---- Events ---- */

unsigned int
wg_dp_events_poll(struct wg_dp *dp, struct wg_dp_event *ev, unsigned int max)
{
	uint32_t ids[EVENT_BURST], bits;
	unsigned int n, i, k = 0;
	struct wg_dp_peer *p;

	while (k < max) {
		n = rte_ring_sc_dequeue_burst_elem(dp->ev_ring, ids, sizeof(ids[0]),
						   RTE_MIN(max - k, (unsigned int)EVENT_BURST),
						   NULL);
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			p = &dp->peers[ids[i]];
			bits = __atomic_exchange_n(&p->events, 0, __ATOMIC_ACQ_REL);
			/* 0: a stale entry left by a removed peer. */
			if (bits == 0 || p->state != WG_DP_PEER_LIVE)
				continue;
			if (bits & WG_DP_EV_CONFIRMED)
				dp_keypairs_rotate_confirmed(dp, p);
			ev[k].peer_id = ids[i];
			ev[k++].bits = bits;
		}
	}
	return k;
}

/* ---- Counters ---- */

enum { LAST_RX, LAST_DATA_RX, LAST_TX, LAST_DATA_TX, LAST_MAX };

static void
ctr_add(struct wg_dp_peer_stats *st, const struct wg_dp_peer_ctr *c,
	uint64_t last[LAST_MAX])
{
	st->rx_packets += __atomic_load_n(&c->rx_packets, __ATOMIC_RELAXED);
	st->rx_bytes += __atomic_load_n(&c->rx_bytes, __ATOMIC_RELAXED);
	st->tx_packets += __atomic_load_n(&c->tx_packets, __ATOMIC_RELAXED);
	st->tx_bytes += __atomic_load_n(&c->tx_bytes, __ATOMIC_RELAXED);
	last[LAST_RX] = RTE_MAX(last[LAST_RX],
				__atomic_load_n(&c->last_rx_tsc, __ATOMIC_RELAXED));
	last[LAST_DATA_RX] = RTE_MAX(last[LAST_DATA_RX],
				     __atomic_load_n(&c->last_data_rx_tsc,
						     __ATOMIC_RELAXED));
	last[LAST_TX] = RTE_MAX(last[LAST_TX],
				__atomic_load_n(&c->last_tx_tsc, __ATOMIC_RELAXED));
	last[LAST_DATA_TX] = RTE_MAX(last[LAST_DATA_TX],
				     __atomic_load_n(&c->last_data_tx_tsc,
						     __ATOMIC_RELAXED));
}

static uint64_t
last_ns(const struct wg_dp *dp, uint64_t tsc)
{
	return tsc != 0 ? dp_tsc_to_ns(dp, tsc) : 0;
}

int
wg_dp_peer_stats_get(struct wg_dp *dp, uint32_t id, struct wg_dp_peer_stats *st)
{
	struct wg_dp_peer *p = live_peer(dp, id);
	uint64_t last[LAST_MAX] = { 0 };
	unsigned int k;

	memset(st, 0, sizeof(*st));
	if (p == NULL)
		return -ENOENT;
	for (k = 0; k < dp->n_workers; k++)
		ctr_add(st, &dp->workers[k]->peer_ctr[id], last);
	ctr_add(st, &dp->ctl->peer_ctr[id], last);
	st->last_rx_ns = last_ns(dp, last[LAST_RX]);
	st->last_data_rx_ns = last_ns(dp, last[LAST_DATA_RX]);
	st->last_tx_ns = last_ns(dp, last[LAST_TX]);
	st->last_data_tx_ns = last_ns(dp, last[LAST_DATA_TX]);
	st->staged = __atomic_load_n(&p->n_staged, __ATOMIC_RELAXED);
	return 0;
}

/* The control context's counters: the control thread is their one writer. */
void
wg_dp_peer_count_handshake(struct wg_dp *dp, uint32_t id, bool rx, uint16_t len)
{
	struct wg_dp_peer_ctr *c;

	if (live_peer(dp, id) == NULL)
		return;
	c = &dp->ctl->peer_ctr[id];
	if (rx) {
		c->rx_packets++;
		c->rx_bytes += len;
	} else {
		c->tx_packets++;
		c->tx_bytes += len;
	}
}
