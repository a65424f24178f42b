/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARP and IPv6 neighbour discovery for one port: answers for the port's own
 * addresses, learns the link-layer address of neighbours that talk to us,
 * holds static neighbours from the configuration, and builds the
 * solicitations that resolve a next hop.
 *
 * It works on Ethernet frames in plain buffers (the dataplane passes
 * rte_pktmbuf_mtod), so it is tested without EAL.
 *
 * Concurrency: any worker may call wg_neigh_input() (which may learn) and
 * wg_neigh_lookup() at any time; learning takes a spinlock (ARP and ND are
 * rare), lookups take none: an entry's MAC and state live in one 64-bit word
 * read and written atomically, and entries are never moved or removed.
 */
#ifndef WG_NEIGH_H
#define WG_NEIGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum wg_neigh_limits {
	WG_NEIGH_MAX = 256,	/* neighbours per port (next hops, on-link peers) */
	WG_ETHER_ADDR_LEN = 6,
	WG_NEIGH_FRAME_MAX = 86	/* largest frame built here: an NS */
};

enum wg_neigh_verdict {
	WG_NEIGH_NOT_NEIGH,	/* not ARP/ND: the caller goes on with it */
	WG_NEIGH_CONSUMED,	/* handled (maybe learned); drop the frame */
	WG_NEIGH_REPLY,		/* rewritten in place as our answer: send it */
	WG_NEIGH_INVALID	/* ARP/ND but malformed or not for us: drop */
};

struct wg_neigh_entry {
	uint8_t family;			/* enum wg_family; 0 = free slot */
	uint8_t ip[16];
	uint64_t state;			/* atomic: MAC | VALID | STATIC bits */
};

struct wg_neigh {
	uint8_t mac[WG_ETHER_ADDR_LEN];
	bool has_v4, has_v6;
	uint8_t v4[4], v4_plen;
	uint8_t v6[16], v6_plen;
	uint8_t v6_link_local[16];	/* fe80::/64 + EUI-64 of mac */
	bool has_gw4, has_gw6;
	uint8_t gw4[4], gw6[16];
	volatile int lock;		/* writers only */
	unsigned int count;
	struct wg_neigh_entry entries[WG_NEIGH_MAX];
};

void wg_neigh_init(struct wg_neigh *n, const uint8_t mac[WG_ETHER_ADDR_LEN]);
/* The port's own address and prefix; plen 0 means none of that family. */
void wg_neigh_set_addr(struct wg_neigh *n, enum wg_family family,
		       const uint8_t *ip, uint8_t plen);
void wg_neigh_set_gateway(struct wg_neigh *n, enum wg_family family,
			  const uint8_t *ip);
/* A learned neighbour (replaced by later learning). 0, or -1 if full. */
int wg_neigh_learn(struct wg_neigh *n, enum wg_family family, const uint8_t *ip,
		   const uint8_t mac[WG_ETHER_ADDR_LEN]);
/* A static neighbour: never replaced by learning. 0, or -1 if full. */
int wg_neigh_add_static(struct wg_neigh *n, enum wg_family family,
			const uint8_t *ip, const uint8_t mac[WG_ETHER_ADDR_LEN]);

/*
 * Handles one received frame of *len bytes in a buffer of cap bytes. On
 * WG_NEIGH_REPLY the frame has been rewritten as the reply and *len updated.
 */
enum wg_neigh_verdict wg_neigh_input(struct wg_neigh *n, uint8_t *frame,
				     uint16_t *len, uint16_t cap);

/*
 * The address to resolve to reach dst from this port: dst itself when it is
 * on-link (inside the port's prefix), else the gateway. NULL if neither.
 */
const uint8_t *wg_neigh_next_hop(const struct wg_neigh *n, enum wg_family family,
				 const uint8_t *dst);
/* 0 and the MAC if ip is resolved; -1 if not (yet). Lock-free. */
int wg_neigh_lookup(const struct wg_neigh *n, enum wg_family family,
		    const uint8_t *ip, uint8_t mac[WG_ETHER_ADDR_LEN]);
/*
 * Builds the frame that asks for ip's MAC (ARP request, or a neighbour
 * solicitation to the solicited-node multicast address) in frame; returns
 * its length, or 0 if cap is too small or the port has no address of that
 * family.
 */
uint16_t wg_neigh_build_solicit(const struct wg_neigh *n, enum wg_family family,
				const uint8_t *ip, uint8_t *frame, uint16_t cap);

#endif /* WG_NEIGH_H */
