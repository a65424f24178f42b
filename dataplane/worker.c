/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The worker loop, after DPDK's l3fwd: drain the TX buffers on a TSC timer,
 * RX a burst on the outer port (classify, decrypt), RX a burst on the clear
 * port (route, encrypt), free what was dropped, send at once unless a full
 * RX burst says more is coming, report an RCU quiescent state. A worker owns RX/TX queue k on both ports and nothing else.
 *
 * The control thread has a context of the same shape (dp->ctl): it encrypts
 * staged packets and keepalives and sends on its own outer TX queue.
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_malloc.h>

#include "dp_priv.h"
#include "pmtu.h"

/* The one place packets dropped or consumed by a worker are freed. */
void
dp_freeq_flush(struct wg_dp_worker *w)
{
	if (w->freeq.n == 0)
		return;
	rte_pktmbuf_free_bulk(w->freeq.m, w->freeq.n);
	w->freeq.n = 0;
}

void
dp_txbuf_flush(struct wg_dp_worker *w, enum wg_dp_port_role role)
{
	const struct wg_dp_port *p = &w->dp->port[role];
	struct wg_dp_txbuf *b = &w->tx[role];
	uint64_t bytes = 0;
	uint16_t i, sent;

	if (b->n == 0)
		return;
	/* Lengths first: what the PMD takes is no longer ours to read. */
	for (i = 0; i < b->n; i++)
		bytes += b->m[i]->pkt_len;
	if (unlikely(w->is_control && p->ctl_ring != NULL))
		sent = (uint16_t)rte_ring_sp_enqueue_burst(p->ctl_ring, (void **)b->m,
							   b->n, NULL);
	else
		sent = rte_eth_tx_burst(p->port_id, w->id, b->m, b->n);
	for (i = sent; i < b->n; i++) {
		bytes -= b->m[i]->pkt_len;
		dp_drop(w, b->m[i], WG_DROP_TX_FULL);
	}
	if (role == WG_DP_PORT_OUTER) {
		w->st.outer_tx_packets += sent;
		w->st.outer_tx_bytes += bytes;
	} else {
		w->st.clear_tx_packets += sent;
		w->st.clear_tx_bytes += bytes;
	}
	b->n = 0;
}

void
dp_txbuf_add(struct wg_dp_worker *w, enum wg_dp_port_role role, struct rte_mbuf *m)
{
	struct wg_dp_txbuf *b = &w->tx[role];

	b->m[b->n++] = m;
	if (b->n >= WG_DP_BURST)
		dp_txbuf_flush(w, role);
}

/*
 * Worker 0 sends the control thread's frames on shared ports. They were
 * counted as sent by the control context; a refusal here is a tx_full drop.
 */
void
dp_ctl_ring_drain(struct wg_dp_worker *w)
{
	struct rte_mbuf *m[WG_DP_BURST];
	enum wg_dp_port_role r;
	unsigned int n;
	uint16_t sent;

	for (r = 0; r < WG_DP_PORT_MAX; r++) {
		const struct wg_dp_port *p = &w->dp->port[r];

		if (p->ctl_ring == NULL)
			continue;
		n = rte_ring_sc_dequeue_burst(p->ctl_ring, (void **)m, WG_DP_BURST, NULL);
		if (n == 0)
			continue;
		sent = rte_eth_tx_burst(p->port_id, w->id, m, (uint16_t)n);
		while (sent < n)
			dp_drop(w, m[sent++], WG_DROP_TX_FULL);
	}
}

static void
static_nexthop(const struct wg_dp *dp, enum wg_dp_port_role role,
	       struct rte_ether_addr *mac)
{
	dp_mac_unpack(__atomic_load_n(&dp->port[role].nexthop, __ATOMIC_RELAXED), mac);
}

/* The neighbour hook, once per burst rather than once per packet. */
void
dp_resolve_nexthops(struct wg_dp_worker *w)
{
	const struct wg_dp *dp = w->dp;
	enum wg_dp_port_role r;

	for (r = 0; r < WG_DP_PORT_MAX; r++) {
		if (dp->neigh.nexthop_mac != NULL) {
			w->dst_ok[r] = dp->neigh.nexthop_mac(dp->neigh.ctx, r,
							     &w->dst_mac[r]) == 0;
		} else {
			static_nexthop(dp, r, &w->dst_mac[r]);
			w->dst_ok[r] = true;
		}
	}
}

/*
 * Nothing of a tunnel goes to a next hop we do not know: no broadcast (the
 * whole LAN would read the decrypted traffic), no guess. The neighbour
 * module solicits until it answers.
 */
bool
dp_txbuf_add_nexthop(struct wg_dp_worker *w, enum wg_dp_port_role role,
		     struct rte_mbuf *m)
{
	if (unlikely(!w->dst_ok[role])) {
		dp_drop(w, m, WG_DROP_NEIGH_UNRESOLVED);
		return false;
	}
	dp_txbuf_add(w, role, m);
	return true;
}

static void
worker_tx_flush(struct wg_dp_worker *w)
{
	dp_txbuf_flush(w, WG_DP_PORT_OUTER);
	dp_txbuf_flush(w, WG_DP_PORT_CLEAR);
}

static void
worker_flush(struct wg_dp_worker *w)
{
	worker_tx_flush(w);
	dp_freeq_flush(w);
}

/*
 * Returns true if either port gave a full burst: more is probably waiting,
 * and what the TX buffers hold may still be joined by the next burst.
 */
static bool
worker_iteration(struct wg_dp_worker *w)
{
	const struct wg_dp *dp = w->dp;
	struct rte_mbuf *pkts[WG_DP_BURST];
	uint16_t n, n_outer;

	w->now = rte_rdtsc();
	if (unlikely(w->now >= w->next_drain)) {
		worker_flush(w);
		dp_frag_expire(w);
		w->next_drain = w->now + w->drain_tsc;
	}
	if (unlikely(w->drains_ctl))
		dp_ctl_ring_drain(w);
	n = rte_eth_rx_burst(dp->port[WG_DP_PORT_OUTER].port_id, w->id, pkts,
			     WG_DP_BURST);
	if (n != 0) {
		dp_resolve_nexthops(w);
		dp_outer_input(w, pkts, n);
		dp_freeq_flush(w);
	}
	n_outer = n;
	n = rte_eth_rx_burst(dp->port[WG_DP_PORT_CLEAR].port_id, w->id, pkts,
			     WG_DP_BURST);
	if (n != 0) {
		dp_resolve_nexthops(w);
		dp_clear_input(w, pkts, n);
		dp_freeq_flush(w);
	}
	return n_outer == WG_DP_BURST || n == WG_DP_BURST;
}

/*
 * Between polls the worker is RCU-offline, so the control thread's grace
 * periods never wait for a test that is not polling.
 */
void
wg_dp_worker_poll(struct wg_dp_worker *w)
{
	rte_rcu_qsbr_thread_online(w->dp->qsbr, w->id);
	worker_iteration(w);
	worker_flush(w);
	rte_rcu_qsbr_thread_offline(w->dp->qsbr, w->id);
}

static int
worker_main(void *arg)
{
	struct wg_dp_worker *w = arg;
	struct rte_rcu_qsbr *v = w->dp->qsbr;

	rte_rcu_qsbr_thread_online(v, w->id);
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		/*
		 * A worker that is not saturated sends at once: at a low rate
		 * nothing would join its partial TX bursts but the drain
		 * timer's wait (up to WG_DP_DRAIN_US per gateway). Saturated,
		 * it fills whole bursts and the timer only mops up.
		 */
		if (!worker_iteration(w))
			worker_tx_flush(w);
		rte_rcu_qsbr_quiescent(v, w->id);
	}
	worker_flush(w);
	rte_rcu_qsbr_thread_offline(v, w->id);
	return 0;
}

int
wg_dp_worker_launch(struct wg_dp_worker *w, unsigned int lcore)
{
	int rc;

	if (w->launched)
		return -EBUSY;
	__atomic_store_n(&w->stop, 0, __ATOMIC_RELEASE);
	w->lcore = lcore;
	rc = rte_eal_remote_launch(worker_main, w, lcore);
	if (rc == 0)
		w->launched = true;
	return rc;
}

int
wg_dp_worker_stop(struct wg_dp_worker *w)
{
	int rc;

	if (!w->launched)
		return 0;
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	rc = rte_eal_wait_lcore(w->lcore);
	w->launched = false;
	return rc;
}

static struct wg_dp_worker *
worker_new(struct wg_dp *dp, uint16_t id, enum wg_crypto_arch arch)
{
	struct wg_dp_worker *w;

	w = rte_zmalloc_socket("wg_dp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
			       dp->socket);
	if (w == NULL)
		return NULL;
	w->dp = dp;
	w->id = id;
	w->is_control = id == dp->n_workers;
	/* Ports are set up before workers: their ctl_rings are known. */
	w->drains_ctl = id == 0 && (dp->port[WG_DP_PORT_OUTER].ctl_ring != NULL ||
				    dp->port[WG_DP_PORT_CLEAR].ctl_ring != NULL);
	w->drain_tsc = (dp->tsc_hz + US_PER_S - 1) / US_PER_S * WG_DP_DRAIN_US;
	w->peer_ctr = rte_zmalloc_socket("wg_dp_peer_ctr",
					 sizeof(*w->peer_ctr) * dp->max_peers,
					 RTE_CACHE_LINE_SIZE, dp->socket);
	w->crypto = wg_crypto_create(arch);
	if (w->peer_ctr == NULL || w->crypto == NULL) {
		wg_crypto_destroy(w->crypto);
		rte_free(w->peer_ctr);
		rte_free(w);
		return NULL;
	}
	return w;
}

/* Ports are stopped by now: anything still buffered is freed, not sent. */
static void
worker_free(struct wg_dp_worker *w)
{
	enum wg_dp_port_role r;

	if (w == NULL)
		return;
	wg_dp_worker_stop(w);
	for (r = 0; r < WG_DP_PORT_MAX; r++) {
		rte_pktmbuf_free_bulk(w->tx[r].m, w->tx[r].n);
		w->tx[r].n = 0;
	}
	dp_freeq_flush(w);
	wg_crypto_destroy(w->crypto);
	rte_free(w->peer_ctr);
	rte_free(w);
}

int
dp_workers_create(struct wg_dp *dp, enum wg_crypto_arch arch)
{
	uint16_t k;

	for (k = 0; k < dp->n_workers; k++) {
		dp->workers[k] = worker_new(dp, k, arch);
		if (dp->workers[k] == NULL)
			return -ENOMEM;
	}
	dp->ctl = worker_new(dp, dp->n_workers, arch);
	return dp->ctl == NULL ? -ENOMEM : 0;
}

void
dp_workers_free(struct wg_dp *dp)
{
	uint16_t k;

	for (k = 0; k < dp->n_workers; k++) {
		worker_free(dp->workers[k]);
		dp->workers[k] = NULL;
	}
	worker_free(dp->ctl);
	dp->ctl = NULL;
}

/* The control thread's context around a control call that may send or drop. */
void
dp_ctl_begin(struct wg_dp *dp)
{
	dp->ctl->now = rte_rdtsc();
	dp_resolve_nexthops(dp->ctl);
}

void
dp_ctl_end(struct wg_dp *dp)
{
	worker_flush(dp->ctl);
}
