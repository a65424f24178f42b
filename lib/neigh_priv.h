/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Between the neighbour table (neigh.c) and the frames (neigh_proto.c).
 */
#ifndef WG_NEIGH_PRIV_H
#define WG_NEIGH_PRIV_H

#include "neigh.h"

/*
 * A reply to our solicitation for ip: learned (true) only while that
 * solicitation awaits its reply, and then it awaits no more.
 */
bool neigh_confirm(struct wg_neigh *n, enum wg_family family, const uint8_t *ip,
		   const uint8_t mac[WG_ETHER_ADDR_LEN], uint64_t now_ns);
/*
 * The sender of a request addressed to us: learned only when ip is the
 * port's configured gateway of that family and not resolved yet.
 */
void neigh_sender(struct wg_neigh *n, enum wg_family family, const uint8_t *ip,
		  const uint8_t mac[WG_ETHER_ADDR_LEN], uint64_t now_ns);
/* The solicitation frame for ip (see wg_neigh_solicit); 0 if none. */
uint16_t neigh_build_solicit(const struct wg_neigh *n, enum wg_family family,
			     const uint8_t *ip, uint8_t *frame, uint16_t cap);

#endif /* WG_NEIGH_PRIV_H */
