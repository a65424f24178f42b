/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Generic time and network constants, one home for each: what is not
 * WireGuard's own (that is in messages.h) but several modules need. Plain
 * C, no EAL. Names follow the RFCs; none clashes with the netinet headers.
 */
#ifndef WG_CONSTS_H
#define WG_CONSTS_H

#define WG_NSEC_PER_SEC 1000000000ULL

/* ICMPv6 neighbour discovery message types (RFC 4861 section 4). */
enum nd_types {
	ND_FIRST = 133,			/* router solicitation */
	ND_NS = 135,			/* neighbour solicitation */
	ND_NA = 136,			/* neighbour advertisement */
	ND_LAST = 137			/* redirect */
};

/*
 * The ECN field (RFC 3168): the low 2 bits of the IPv4 TOS byte, bits 20-21
 * of the IPv6 first word (the low 2 of its traffic class).
 */
enum ecn_values {
	ECN_MASK = 3,
	ECN_NOT_ECT = 0,
	ECN_ECT_1 = 1,
	ECN_ECT_0 = 2,
	ECN_CE = 3
};

/* Smallest MTUs: the datagram every IPv4 host takes (RFC 791), the IPv6
 * link minimum (RFC 8200 section 5). */
enum mtu_limits {
	WG_IPV4_MIN_MTU = 576,
	WG_IPV6_MIN_MTU = 1280
};

#endif /* WG_CONSTS_H */
