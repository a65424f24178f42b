/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARP (RFC 826) and IPv6 neighbour discovery (RFC 4861) frames: answering
 * for our addresses, learning from the replies to our solicitations (and
 * from an unresolved gateway's requests: neigh.h), and building
 * solicitations. Frames are parsed by offset: no alignment
 * is assumed. VLAN-tagged frames are not ours (WG_NEIGH_NOT_NEIGH).
 */
#include <string.h>

#include "consts.h"
#include "neigh_priv.h"

enum {
	ETH_HLEN = 14,
	ETH_MIN_FRAME = 60,		/* without FCS */
	ETHERTYPE_ARP = 0x0806,
	ETHERTYPE_IPV6 = 0x86dd,
	ARP_LEN = 28,
	ARP_OP_REQUEST = 1,
	ARP_OP_REPLY = 2,
	IP6_HLEN = 40,
	PROTO_ICMPV6 = 58,
	ND_HOP_LIMIT = 255,
	ND_BODY_LEN = 4 + 4 + 16,	/* type/code/csum, flags, target */
	ND_OPT_SLLA = 1,
	ND_OPT_TLLA = 2,
	ND_OPT_LLA_LEN = 8,
	ND_NA_ROUTER = 0x80,
	ND_NA_SOLICITED = 0x40,
	ND_NA_OVERRIDE = 0x20
};

/* Offsets inside the ARP payload (Ethernet/IPv4 only). */
enum { ARP_OP = 6, ARP_SHA = 8, ARP_SPA = 14, ARP_THA = 18, ARP_TPA = 24 };
/* Offsets inside the IPv6 header. */
enum { IP6_PLEN = 4, IP6_NXT = 6, IP6_HLIM = 7, IP6_SRC = 8, IP6_DST = 24 };

static const uint8_t arp_fixed[6] = { 0, 1, 0x08, 0x00, 6, 4 };

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void
eth_header(uint8_t *frame, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memmove(frame, dst, WG_ETHER_ADDR_LEN);
	memmove(frame + WG_ETHER_ADDR_LEN, src, WG_ETHER_ADDR_LEN);
	put16(frame + 12, type);
}

/* Pads a frame to the Ethernet minimum when the buffer allows it. */
static uint16_t
eth_pad(uint8_t *frame, uint16_t len, uint16_t cap)
{
	if (len >= ETH_MIN_FRAME || cap < ETH_MIN_FRAME)
		return len;
	memset(frame + len, 0, ETH_MIN_FRAME - len);
	return ETH_MIN_FRAME;
}

static enum wg_neigh_verdict
arp_input(struct wg_neigh *n, uint8_t *frame, uint16_t *len, uint16_t cap,
	  uint64_t now_ns)
{
	uint8_t *arp = frame + ETH_HLEN;
	uint8_t sha[WG_ETHER_ADDR_LEN], spa[4];
	uint16_t op;

	if (*len < ETH_HLEN + ARP_LEN || memcmp(arp, arp_fixed, 6) != 0)
		return WG_NEIGH_INVALID;
	op = get16(arp + ARP_OP);
	if (!n->has_v4 || memcmp(arp + ARP_TPA, n->v4, 4) != 0)
		return WG_NEIGH_INVALID;	/* not about us */
	memcpy(sha, arp + ARP_SHA, sizeof(sha));
	memcpy(spa, arp + ARP_SPA, sizeof(spa));
	if ((sha[0] & 1) || (spa[0] == 0 && spa[1] == 0 && spa[2] == 0 && spa[3] == 0))
		return WG_NEIGH_INVALID;	/* multicast sender or probe */
	if (op == ARP_OP_REPLY)		/* learned only if we asked */
		return neigh_confirm(n, WG_AF_INET, spa, sha, now_ns) ?
		       WG_NEIGH_CONSUMED : WG_NEIGH_INVALID;
	if (op != ARP_OP_REQUEST)
		return WG_NEIGH_INVALID;
	neigh_sender(n, WG_AF_INET, spa, sha, now_ns);

	/* The request becomes our reply, in place. */
	eth_header(frame, sha, n->mac, ETHERTYPE_ARP);
	put16(arp + ARP_OP, ARP_OP_REPLY);
	memcpy(arp + ARP_THA, sha, WG_ETHER_ADDR_LEN);
	memcpy(arp + ARP_TPA, spa, 4);
	memcpy(arp + ARP_SHA, n->mac, WG_ETHER_ADDR_LEN);
	memcpy(arp + ARP_SPA, n->v4, 4);
	*len = eth_pad(frame, ETH_HLEN + ARP_LEN, cap);
	return WG_NEIGH_REPLY;
}

/* The ICMPv6 checksum over the pseudo-header and len bytes of message. */
static uint16_t
icmp6_checksum(const uint8_t *ip6, const uint8_t *msg, uint32_t len)
{
	uint32_t sum = 0, i;

	for (i = 0; i < 32; i += 2)
		sum += get16(ip6 + IP6_SRC + i);
	sum += len >> 16;
	sum += len & 0xffff;
	sum += PROTO_ICMPV6;
	for (i = 0; i + 1 < len; i += 2)
		sum += get16(msg + i);
	if (len & 1)
		sum += msg[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static bool
is_unspecified(const uint8_t ip[16])
{
	static const uint8_t zero[16];

	return memcmp(ip, zero, 16) == 0;
}

static bool
is_our_v6(const struct wg_neigh *n, const uint8_t *ip)
{
	return (n->has_v6 && memcmp(ip, n->v6, 16) == 0) ||
	       memcmp(ip, n->v6_link_local, 16) == 0;
}

/* The link-layer address option of the given type, or NULL. */
static const uint8_t *
nd_find_lla(const uint8_t *opts, uint32_t len, uint8_t type)
{
	while (len >= 8) {
		uint32_t olen = opts[1] * 8u;

		if (olen == 0 || olen > len)
			return NULL;	/* malformed: RFC 4861 says drop */
		if (opts[0] == type && olen == ND_OPT_LLA_LEN)
			return opts + 2;
		opts += olen;
		len -= olen;
	}
	return NULL;
}

/* Rewrites an NS for our address as the NA that answers it. */
static uint16_t
nd_answer(struct wg_neigh *n, uint8_t *frame, const uint8_t *dst_mac,
	  const uint8_t *target, uint16_t cap)
{
	uint8_t *ip6 = frame + ETH_HLEN, *icmp = ip6 + IP6_HLEN;
	uint8_t asker[16];

	memcpy(asker, ip6 + IP6_SRC, 16);
	eth_header(frame, dst_mac, n->mac, ETHERTYPE_IPV6);
	put16(ip6 + IP6_PLEN, ND_BODY_LEN + ND_OPT_LLA_LEN);
	ip6[IP6_HLIM] = ND_HOP_LIMIT;
	memmove(ip6 + IP6_SRC, target, 16);
	memcpy(ip6 + IP6_DST, asker, 16);
	icmp[0] = ND_NA;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	memset(icmp + 4, 0, 4);
	icmp[4] = ND_NA_ROUTER | ND_NA_SOLICITED | ND_NA_OVERRIDE;
	memmove(icmp + 8, target, 16);
	icmp[24] = ND_OPT_TLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, n->mac, WG_ETHER_ADDR_LEN);
	put16(icmp + 2, icmp6_checksum(ip6, icmp, ND_BODY_LEN + ND_OPT_LLA_LEN));
	return eth_pad(frame, ETH_HLEN + IP6_HLEN + ND_BODY_LEN + ND_OPT_LLA_LEN, cap);
}

/*
 * A solicited NA (RFC 4861 7.2.5) to one of our addresses, with the
 * target's link-layer address: learned only if we asked for the target.
 * Unsolicited NAs (S clear, or sent to a multicast group) teach nothing.
 */
static enum wg_neigh_verdict
nd_na_input(struct wg_neigh *n, const uint8_t *ip6, uint32_t plen,
	    uint64_t now_ns)
{
	const uint8_t *icmp = ip6 + IP6_HLEN, *lla;

	lla = nd_find_lla(icmp + ND_BODY_LEN, plen - ND_BODY_LEN, ND_OPT_TLLA);
	if (lla == NULL || (lla[0] & 1) || !(icmp[4] & ND_NA_SOLICITED) ||
	    !is_our_v6(n, ip6 + IP6_DST))
		return WG_NEIGH_INVALID;
	return neigh_confirm(n, WG_AF_INET6, icmp + 8, lla, now_ns) ?
	       WG_NEIGH_CONSUMED : WG_NEIGH_INVALID;
}

static enum wg_neigh_verdict
nd_input(struct wg_neigh *n, uint8_t *frame, uint16_t *len, uint16_t cap,
	 uint64_t now_ns)
{
	uint8_t *ip6 = frame + ETH_HLEN, *icmp = ip6 + IP6_HLEN;
	uint8_t target[16], src_mac[WG_ETHER_ADDR_LEN];
	const uint8_t *lla;
	uint32_t plen;

	if (*len < ETH_HLEN + IP6_HLEN + 4 || (ip6[0] >> 4) != 6 ||
	    ip6[IP6_NXT] != PROTO_ICMPV6 || (icmp[0] != ND_NS && icmp[0] != ND_NA))
		return WG_NEIGH_NOT_NEIGH;
	plen = get16(ip6 + IP6_PLEN);
	if (plen < ND_BODY_LEN || ETH_HLEN + IP6_HLEN + plen > *len ||
	    ip6[IP6_HLIM] != ND_HOP_LIMIT || icmp[1] != 0 ||
	    icmp6_checksum(ip6, icmp, plen) != 0)
		return WG_NEIGH_INVALID;
	memcpy(target, icmp + 8, 16);
	memcpy(src_mac, frame + WG_ETHER_ADDR_LEN, WG_ETHER_ADDR_LEN);

	if (icmp[0] == ND_NA)
		return nd_na_input(n, ip6, plen, now_ns);
	if (!is_our_v6(n, target))
		return WG_NEIGH_INVALID;
	lla = nd_find_lla(icmp + ND_BODY_LEN, plen - ND_BODY_LEN, ND_OPT_SLLA);
	if (is_unspecified(ip6 + IP6_SRC))
		return WG_NEIGH_CONSUMED;	/* duplicate address detection */
	if (lla != NULL && !(lla[0] & 1))
		neigh_sender(n, WG_AF_INET6, ip6 + IP6_SRC, lla, now_ns);
	*len = nd_answer(n, frame, lla != NULL ? lla : src_mac, target, cap);
	return WG_NEIGH_REPLY;
}

enum wg_neigh_verdict
wg_neigh_input(struct wg_neigh *n, uint8_t *frame, uint16_t *len, uint16_t cap,
	       uint64_t now_ns)
{
	if (*len < ETH_HLEN)
		return WG_NEIGH_NOT_NEIGH;
	switch (get16(frame + 12)) {
	case ETHERTYPE_ARP:
		return arp_input(n, frame, len, cap, now_ns);
	case ETHERTYPE_IPV6:
		return nd_input(n, frame, len, cap, now_ns);
	default:
		return WG_NEIGH_NOT_NEIGH;
	}
}

static uint16_t
build_arp_request(const struct wg_neigh *n, const uint8_t *ip, uint8_t *frame,
		  uint16_t cap)
{
	static const uint8_t bcast[WG_ETHER_ADDR_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *arp = frame + ETH_HLEN;

	if (!n->has_v4 || cap < ETH_MIN_FRAME)
		return 0;
	eth_header(frame, bcast, n->mac, ETHERTYPE_ARP);
	memcpy(arp, arp_fixed, 6);
	put16(arp + ARP_OP, ARP_OP_REQUEST);
	memcpy(arp + ARP_SHA, n->mac, WG_ETHER_ADDR_LEN);
	memcpy(arp + ARP_SPA, n->v4, 4);
	memset(arp + ARP_THA, 0, WG_ETHER_ADDR_LEN);
	memcpy(arp + ARP_TPA, ip, 4);
	return eth_pad(frame, ETH_HLEN + ARP_LEN, cap);
}

/* NS from our address to the solicited-node multicast group of ip. */
static uint16_t
build_ns(const struct wg_neigh *n, const uint8_t *ip, uint8_t *frame, uint16_t cap)
{
	uint8_t *ip6 = frame + ETH_HLEN, *icmp = ip6 + IP6_HLEN;
	uint8_t mcast_mac[WG_ETHER_ADDR_LEN] = { 0x33, 0x33, 0xff, ip[13], ip[14], ip[15] };
	static const uint8_t snm[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };
	uint16_t plen = ND_BODY_LEN + ND_OPT_LLA_LEN;

	if (cap < ETH_HLEN + IP6_HLEN + plen)
		return 0;
	eth_header(frame, mcast_mac, n->mac, ETHERTYPE_IPV6);
	memset(ip6, 0, IP6_HLEN);
	ip6[0] = 0x60;
	put16(ip6 + IP6_PLEN, plen);
	ip6[IP6_NXT] = PROTO_ICMPV6;
	ip6[IP6_HLIM] = ND_HOP_LIMIT;
	memcpy(ip6 + IP6_SRC, n->has_v6 ? n->v6 : n->v6_link_local, 16);
	memcpy(ip6 + IP6_DST, snm, sizeof(snm));
	memcpy(ip6 + IP6_DST + 13, ip + 13, 3);
	memset(icmp, 0, plen);
	icmp[0] = ND_NS;
	memcpy(icmp + 8, ip, 16);
	icmp[24] = ND_OPT_SLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, n->mac, WG_ETHER_ADDR_LEN);
	put16(icmp + 2, icmp6_checksum(ip6, icmp, plen));
	return ETH_HLEN + IP6_HLEN + plen;
}

uint16_t
neigh_build_solicit(const struct wg_neigh *n, enum wg_family family,
		    const uint8_t *ip, uint8_t *frame, uint16_t cap)
{
	if (family == WG_AF_INET)
		return build_arp_request(n, ip, frame, cap);
	return build_ns(n, ip, frame, cap);
}
