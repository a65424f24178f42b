/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The neighbour module (neigh.h) attached to a dataplane: workers hand it
 * the ARP/ND frames of each port and ask it for each port's next-hop MAC;
 * the control thread solicits the next hops until they answer.
 *
 * Each port has one next hop, the router beyond it: its IPv4 gateway if
 * configured, else its IPv6 gateway. Until that answers, the dataplane
 * drops what it would send there (neigh_unresolved): nothing is broadcast.
 * The configured static neighbours resolve at once.
 */
#ifndef WG_NEIGH_DP_H
#define WG_NEIGH_DP_H

#include <stdint.h>

#include "dp.h"
#include "neigh.h"

struct wg_neigh_dp {
	struct wg_dp *dp;
	struct wg_neigh port[WG_DP_PORT_MAX];
	uint64_t next_solicit_ns;
};

/* Fills port[] from the MACs, then the caller adds addresses and
 * neighbours with neigh.h, then attaches. */
void wg_neigh_dp_init(struct wg_neigh_dp *n, struct wg_dp *dp);
/* Installs the hooks; before any worker runs. */
void wg_neigh_dp_attach(struct wg_neigh_dp *n);
/*
 * Control thread: solicits each port's next hop while it is unresolved
 * (every 100 ms), refreshes it every 30 s once resolved (a static one is
 * never solicited), and expires stale entries (wg_neigh_expire).
 */
void wg_neigh_dp_poll(struct wg_neigh_dp *n, uint64_t now_ns);
/* 0 and the MAC if role's next hop is resolved. Any thread. */
int wg_neigh_dp_nexthop(const struct wg_neigh_dp *n, enum wg_dp_port_role role,
			uint8_t mac[WG_ETHER_ADDR_LEN]);

#endif /* WG_NEIGH_DP_H */
