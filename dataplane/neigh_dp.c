/* SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include <rte_mbuf.h>

#include "neigh_dp.h"

#define SOLICIT_UNRESOLVED_NS 100000000ULL	/* 100 ms */
#define SOLICIT_REFRESH_NS 30000000000ULL	/* 30 s */

void
wg_neigh_dp_init(struct wg_neigh_dp *n, struct wg_dp *dp)
{
	struct rte_ether_addr mac;
	int r;

	memset(n, 0, sizeof(*n));
	n->dp = dp;
	for (r = 0; r < WG_DP_PORT_MAX; r++) {
		wg_dp_port_mac(dp, r, &mac);
		wg_neigh_init(&n->port[r], mac.addr_bytes);
	}
}

/* The address whose MAC this port's frames go to, or NULL. */
static const uint8_t *
nexthop_ip(const struct wg_neigh *p, enum wg_family *family)
{
	if (p->has_gw4) {
		*family = WG_AF_INET;
		return p->gw4;
	}
	if (p->has_gw6) {
		*family = WG_AF_INET6;
		return p->gw6;
	}
	return NULL;
}

int
wg_neigh_dp_nexthop(const struct wg_neigh_dp *n, enum wg_dp_port_role role,
		    uint8_t mac[WG_ETHER_ADDR_LEN])
{
	enum wg_family family;
	const uint8_t *ip = nexthop_ip(&n->port[role], &family);

	return ip == NULL ? -1 : wg_neigh_lookup(&n->port[role], family, ip, mac);
}

static int
hook_nexthop_mac(void *ctx, enum wg_dp_port_role role, struct rte_ether_addr *mac)
{
	return wg_neigh_dp_nexthop(ctx, role, mac->addr_bytes);
}

static enum wg_dp_neigh_verdict
hook_input(void *ctx, enum wg_dp_port_role role, struct rte_mbuf *m)
{
	struct wg_neigh_dp *n = ctx;
	uint16_t len = rte_pktmbuf_data_len(m);
	uint16_t cap = m->buf_len - m->data_off;

	if (m->nb_segs != 1)
		return WG_DP_NEIGH_INVALID;
	switch (wg_neigh_input(&n->port[role], rte_pktmbuf_mtod(m, uint8_t *),
			       &len, cap, wg_dp_clock_ns())) {
	case WG_NEIGH_REPLY:
		m->data_len = len;
		m->pkt_len = len;
		return WG_DP_NEIGH_REPLY;
	case WG_NEIGH_CONSUMED:
	case WG_NEIGH_NOT_NEIGH:
		return WG_DP_NEIGH_CONSUMED;
	default:
		return WG_DP_NEIGH_INVALID;
	}
}

void
wg_neigh_dp_attach(struct wg_neigh_dp *n)
{
	const struct wg_dp_neigh_ops ops = {
		.nexthop_mac = hook_nexthop_mac,
		.input = hook_input,
		.ctx = n,
	};

	wg_dp_set_neigh_ops(n->dp, &ops);
}

static void
solicit(struct wg_neigh_dp *n, enum wg_dp_port_role role, uint64_t now_ns)
{
	struct wg_neigh *p = &n->port[role];
	struct rte_mempool *mp = wg_dp_mempool(n->dp);
	enum wg_family family;
	const uint8_t *ip = nexthop_ip(p, &family);
	struct rte_mbuf *m;
	uint8_t *frame;
	uint16_t len;

	if (ip == NULL || (m = rte_pktmbuf_alloc(mp)) == NULL)
		return;
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	len = wg_neigh_solicit(p, family, ip, now_ns, frame, rte_pktmbuf_tailroom(m));
	if (len == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	m->data_len = m->pkt_len = len;
	wg_dp_control_tx_port(n->dp, role, &m, 1);
}

void
wg_neigh_dp_poll(struct wg_neigh_dp *n, uint64_t now_ns)
{
	uint8_t mac[WG_ETHER_ADDR_LEN];
	bool all_resolved = true;
	int r;

	if (now_ns < n->next_solicit_ns)
		return;
	for (r = 0; r < WG_DP_PORT_MAX; r++) {
		bool resolved = wg_neigh_dp_nexthop(n, r, mac) == 0;

		all_resolved &= resolved;
		wg_neigh_expire(&n->port[r], now_ns);
		/* Unresolved: ask now; resolved: this is the refresh. */
		solicit(n, r, now_ns);
	}
	n->next_solicit_ns = now_ns + (all_resolved ? SOLICIT_REFRESH_NS :
				       SOLICIT_UNRESOLVED_NS);
}
