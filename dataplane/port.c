/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Port set-up: one RX/TX queue pair per worker on each port, plus one TX
 * queue for the control thread (queue n_workers) where the device has one
 * to spare; where it has not, the control thread's frames go to worker 0
 * through a ring (struct wg_dp_port.ctl_ring). RSS and
 * checksum offloads are used when the device has them and done without
 * (in software, or not at all) when it does not, as with net_ring/net_null.
 */
#include <errno.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "dp_priv.h"

/*
 * Hash fields for RSS. Any deterministic hash of fields that stay constant
 * for a peer's flow keeps the peer on one queue; the outer side prefers the
 * UDP 5-tuple so that peers behind one NAT address still spread.
 */
static uint64_t
rss_fields(enum wg_dp_port_role role)
{
	if (role == WG_DP_PORT_OUTER)
		return RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP |
		       RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6;
	return RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
}

static void
port_conf_fill(struct wg_dp_port *p, enum wg_dp_port_role role,
	       const struct rte_eth_dev_info *info, struct rte_eth_conf *conf)
{
	uint64_t hf = rss_fields(role) & info->flow_type_rss_offloads;
	uint64_t tx = info->tx_offload_capa, rx = info->rx_offload_capa;

	memset(conf, 0, sizeof(*conf));
	if (p->n_rxq > 1 && hf != 0) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = hf;
		p->rss = true;
	}
	if (role != WG_DP_PORT_OUTER)
		return;
	p->tx_ip_csum = (tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
	p->tx_udp_csum = (tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
	if (p->tx_ip_csum)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	if (p->tx_udp_csum)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if ((rx & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0) {
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
		p->rx_csum = true;
	}
	if ((rx & RTE_ETH_RX_OFFLOAD_UDP_CKSUM) != 0)
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
}

static int
port_queues_setup(struct wg_dp *dp, struct wg_dp_port *p,
		  const struct rte_eth_dev_info *info,
		  const struct rte_eth_conf *conf, uint16_t nb_rxd, uint16_t nb_txd)
{
	struct rte_eth_rxconf rxq = info->default_rxconf;
	struct rte_eth_txconf txq = info->default_txconf;
	uint16_t q;
	int rc;

	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (rc != 0)
		return rc;
	rxq.offloads = conf->rxmode.offloads;
	txq.offloads = conf->txmode.offloads;
	for (q = 0; q < p->n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, dp->socket,
					    &rxq, dp->pool);
		if (rc != 0)
			return rc;
	}
	for (q = 0; q < p->n_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, dp->socket, &txq);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void
port_addrs_copy(struct wg_dp_port *p, const struct wg_dp_port_conf *pc)
{
	p->nexthop = dp_mac_pack(&pc->nexthop_mac);
	p->has_ipv4 = pc->has_ipv4;
	p->has_ipv6 = pc->has_ipv6;
	memcpy(&p->ipv4, pc->ipv4, sizeof(p->ipv4));
	memcpy(p->ipv6, pc->ipv6, sizeof(p->ipv6));
}

/* The device cannot give the control thread a queue: share worker 0's. */
static int
port_ctl_ring(struct wg_dp *dp, struct wg_dp_port *p, enum wg_dp_port_role role)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "%s_ctl%d", dp->name, (int)role);
	p->ctl_ring = rte_ring_create(name, WG_DP_CTL_RING, dp->socket,
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (p->ctl_ring == NULL)
		return -rte_errno;
	p->n_txq = dp->n_workers;
	DP_LOG(INFO, "%s: port %u: no TX queue to spare, control frames go "
	       "through worker 0", dp->name, p->port_id);
	return 0;
}

int
dp_port_setup(struct wg_dp *dp, enum wg_dp_port_role role,
	      const struct wg_dp_port_conf *pc, uint16_t nb_rxd, uint16_t nb_txd)
{
	struct wg_dp_port *p = &dp->port[role];
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int rc;

	p->port_id = pc->port_id;
	p->n_rxq = dp->n_workers;
	p->n_txq = dp->n_workers + 1;
	if (!rte_eth_dev_is_valid_port(p->port_id))
		return -ENODEV;
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0)
		return rc;
	if (p->n_txq > info.max_tx_queues && (rc = port_ctl_ring(dp, p, role)) != 0)
		return rc;
	if (p->n_rxq > info.max_rx_queues || p->n_txq > info.max_tx_queues) {
		DP_LOG(ERR, "%s: port %u has %u/%u queues, %u/%u needed",
			 dp->name, p->port_id, info.max_rx_queues,
			 info.max_tx_queues, p->n_rxq, p->n_txq);
		return -EINVAL;
	}
	port_conf_fill(p, role, &info, &conf);
	rc = rte_eth_dev_configure(p->port_id, p->n_rxq, p->n_txq, &conf);
	if (rc != 0)
		return rc;
	rc = port_queues_setup(dp, p, &info, &conf, nb_rxd, nb_txd);
	if (rc != 0)
		return rc;
	rc = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rc != 0)
		return rc;
	port_addrs_copy(p, pc);
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0)
		return rc;
	p->started = true;
	return 0;
}

void
dp_port_teardown(struct wg_dp *dp, enum wg_dp_port_role role)
{
	struct wg_dp_port *p = &dp->port[role];

	struct rte_mbuf *m;

	if (p->ctl_ring != NULL) {
		while (rte_ring_sc_dequeue(p->ctl_ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(p->ctl_ring);
		p->ctl_ring = NULL;
	}
	if (!p->started)
		return;
	rte_eth_dev_stop(p->port_id);
	p->started = false;
}
