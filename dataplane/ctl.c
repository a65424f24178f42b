/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the control thread exchanges with the dataplane about handshakes:
 * the ring of received handshake messages, and sending its own messages and
 * frames on the control TX queue of the outer port.
 */
#include <errno.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dp_priv.h"

unsigned int
wg_dp_handshake_dequeue(struct wg_dp *dp, struct rte_mbuf **m, unsigned int n)
{
	return rte_ring_sc_dequeue_burst(dp->hs_ring, (void **)m, n, NULL);
}

unsigned int
wg_dp_handshake_backlog(const struct wg_dp *dp)
{
	return rte_ring_count(dp->hs_ring);
}

/* The worker classified the frame: l2_len, l3_len and packet_type are set. */
int
wg_dp_handshake_parse(const struct rte_mbuf *m, struct wg_endpoint *src,
		      const uint8_t **msg, uint16_t *len)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	const struct rte_udp_hdr *udp = (const void *)(l3 + m->l3_len);
	uint32_t off = m->l2_len + m->l3_len + sizeof(*udp);

	if (m->l2_len == 0 || m->l3_len == 0 || m->data_len < off)
		return -EINVAL;
	memset(src, 0, sizeof(*src));
	src->port = rte_be_to_cpu_16(udp->src_port);
	if (RTE_ETH_IS_IPV4_HDR(m->packet_type)) {
		src->family = WG_AF_INET;
		memcpy(src->addr.v4, &((const struct rte_ipv4_hdr *)l3)->src_addr, 4);
	} else {
		src->family = WG_AF_INET6;
		memcpy(src->addr.v6, ((const struct rte_ipv6_hdr *)l3)->src_addr, 16);
	}
	*msg = l3 + m->l3_len + sizeof(*udp);
	*len = (uint16_t)(m->data_len - off);
	return 0;
}

int
wg_dp_control_send(struct wg_dp *dp, const struct wg_endpoint *dst,
		   const void *msg, uint16_t len)
{
	struct wg_dp_ep ep;
	struct rte_mbuf *m;
	uint8_t *h;

	dp_ep_build(dp, &ep, dst);
	if (ep.hdr_len == 0)
		return -EAFNOSUPPORT;
	m = rte_pktmbuf_alloc(dp->pool);
	if (m == NULL)
		return -ENOMEM;
	h = (uint8_t *)rte_pktmbuf_append(m, WG_DP_ETH_LEN + ep.hdr_len + len);
	if (h == NULL) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	dp_ctl_begin(dp);
	dp_outer_hdr_write(dp->ctl, h, &ep, len, 0);
	memcpy(h + WG_DP_ETH_LEN + ep.hdr_len, msg, len);
	if (ep.addr.family == WG_AF_INET)
		dp->csum4(dp, m);
	else
		dp->csum6(dp, m);
	dp_txbuf_add_nexthop(dp->ctl, WG_DP_PORT_OUTER, m);
	dp_ctl_end(dp);
	return 0;
}

uint16_t
wg_dp_control_tx_port(struct wg_dp *dp, enum wg_dp_port_role role,
		      struct rte_mbuf **m, uint16_t n)
{
	const uint64_t *sent = role == WG_DP_PORT_OUTER ?
		&dp->ctl->st.outer_tx_packets : &dp->ctl->st.clear_tx_packets;
	uint64_t before;
	uint16_t i;

	if (role >= WG_DP_PORT_MAX) {
		rte_pktmbuf_free_bulk(m, n);
		return 0;
	}
	dp_ctl_begin(dp);
	before = *sent;
	for (i = 0; i < n; i++)
		dp_txbuf_add(dp->ctl, role, m[i]);
	dp_ctl_end(dp);
	return (uint16_t)(*sent - before);
}
