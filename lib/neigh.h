/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARP and IPv6 neighbour discovery for one port: answers for the port's own
 * addresses, resolves the neighbours it is asked to (its next hops), holds
 * static neighbours from the configuration, and builds the solicitations.
 *
 * Trust (RFC 826 and RFC 4861 have none, so it is kept narrow): an entry is
 * learned only from a reply to our own solicitation, within
 * WG_NEIGH_ANSWER_NS of it and only the first such reply; an ARP request or
 * NS addressed to us teaches its sender only when the sender is a configured
 * gateway that is not resolved yet (it never moves a resolved entry).
 * Unsolicited ARP replies and NAs, gratuitous ARP and requests from anyone
 * else teach nothing. Static entries win: learning never changes them, and
 * they are never solicited. The table is bounded (WG_NEIGH_MAX): a learned
 * entry unconfirmed for WG_NEIGH_STALE_NS is removed by wg_neigh_expire(),
 * and a new solicitation evicts the oldest learned entry of a full table.
 *
 * It works on Ethernet frames in plain buffers (the dataplane passes
 * rte_pktmbuf_mtod), so it is tested without EAL. Times are nanoseconds of
 * one monotonic clock chosen by the caller.
 *
 * Concurrency: any thread may call wg_neigh_input(), wg_neigh_solicit() and
 * wg_neigh_expire() at any time; they take a spinlock (ARP and ND are rare).
 * wg_neigh_lookup() takes none and never waits: an entry's MAC and state
 * live in one 64-bit word read atomically, and each slot has a sequence
 * count (a seqlock) that a writer makes odd while it changes which address
 * the slot holds; a reader that sees the count odd or moved treats the slot
 * as not the one it seeks and probes on. Entries never move between slots,
 * so that miss is right: the address was being added or removed. The cost
 * over the old never-removed table: two loads per slot probed.
 */
#ifndef WG_NEIGH_H
#define WG_NEIGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum wg_neigh_limits {
	WG_NEIGH_MAX = 256,	/* neighbours per port (next hops, statics) */
	WG_ETHER_ADDR_LEN = 6,
	WG_NEIGH_FRAME_MAX = 86	/* largest frame built here: an NS */
};

/* How long a solicitation waits for its reply, and a learned entry lives
 * unconfirmed (the dataplane refreshes its next hops every 30 s). */
#define WG_NEIGH_ANSWER_NS 5000000000ULL	/* 5 s */
#define WG_NEIGH_STALE_NS 120000000000ULL	/* 120 s */

enum wg_neigh_verdict {
	WG_NEIGH_NOT_NEIGH,	/* not ARP/ND: the caller goes on with it */
	WG_NEIGH_CONSUMED,	/* handled (maybe learned); drop the frame */
	WG_NEIGH_REPLY,		/* rewritten in place as our answer: send it */
	WG_NEIGH_INVALID	/* ARP/ND but malformed or not for us: drop */
};

struct wg_neigh_entry {
	uint32_t seq;			/* atomic: odd while family/ip change */
	uint8_t family;			/* enum wg_family; 0 free, else see .c */
	uint8_t ip[16];
	uint64_t state;			/* atomic: MAC | VALID | STATIC bits */
	/* Writers only, under the lock. */
	bool asking;			/* our solicitation awaits its reply */
	uint64_t asked_ns;		/* when it was sent */
	uint64_t confirmed_ns;		/* last learned */
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
	unsigned int count;		/* live entries */
	struct wg_neigh_entry entries[WG_NEIGH_MAX];
};

void wg_neigh_init(struct wg_neigh *n, const uint8_t mac[WG_ETHER_ADDR_LEN]);
/* The port's own address and prefix; plen 0 means none of that family. */
void wg_neigh_set_addr(struct wg_neigh *n, enum wg_family family,
		       const uint8_t *ip, uint8_t plen);
void wg_neigh_set_gateway(struct wg_neigh *n, enum wg_family family,
			  const uint8_t *ip);
/*
 * A static neighbour: never replaced by learning, never solicited, never
 * expired; it replaces a learned entry for ip and evicts the oldest learned
 * entry of a full table. 0, or -1 if every slot is static.
 */
int wg_neigh_add_static(struct wg_neigh *n, enum wg_family family,
			const uint8_t *ip, const uint8_t mac[WG_ETHER_ADDR_LEN]);

/*
 * Handles one received frame of *len bytes in a buffer of cap bytes at
 * now_ns. On WG_NEIGH_REPLY the frame has been rewritten as the reply and
 * *len updated. A reply we did not ask for is WG_NEIGH_INVALID.
 */
enum wg_neigh_verdict wg_neigh_input(struct wg_neigh *n, uint8_t *frame,
				     uint16_t *len, uint16_t cap, uint64_t now_ns);
/* Removes learned entries unconfirmed for WG_NEIGH_STALE_NS and unanswered
 * solicitations older than WG_NEIGH_ANSWER_NS. */
void wg_neigh_expire(struct wg_neigh *n, uint64_t now_ns);

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
 * Asks for ip's MAC at now_ns: records the request (the one reply that
 * wg_neigh_input() will learn from) and builds its frame (ARP request, or
 * a neighbour solicitation to the solicited-node multicast address) in
 * frame. Returns the frame's length, or 0 if nothing is to be sent: ip is
 * static, cap is too small, the port has no address of that family, or
 * every slot is static.
 */
uint16_t wg_neigh_solicit(struct wg_neigh *n, enum wg_family family,
			  const uint8_t *ip, uint64_t now_ns, uint8_t *frame,
			  uint16_t cap);

#endif /* WG_NEIGH_H */
