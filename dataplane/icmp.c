/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ICMP "too big" errors for clear-side packets larger than the tunnel MTU,
 * as a Linux gateway forwarding into wg0 sends them:
 *
 * - IPv4 with DF set: type 3 code 4 "fragmentation needed" with the
 *   next-hop MTU (RFC 792, RFC 1191), quoting the offending packet up to a
 *   576-byte error as Linux does (at least the header + 8 bytes);
 * - IPv4 with DF clear: no error. A router would fragment; we drop it
 *   (clear_too_big) instead: the packet still cannot cross the tunnel
 *   whole, fragmenting would cost a copy per fragment on the worker, and
 *   senders that clear DF on packets larger than the tunnel MTU are rare
 *   (TCP and most UDP stacks run path MTU discovery with DF set);
 * - IPv6: type 2 "packet too big" with the MTU (RFC 4443 3.2), quoting as
 *   much of the packet as fits in the minimum MTU of 1280.
 *
 * Never in answer to (RFC 1812 4.3.2.7, RFC 4443 2.4(e)): an ICMP error,
 * a non-first IPv4 fragment, a source that is not a unicast host, an IPv4
 * multicast or broadcast destination (IPv6 packet too big is the exception
 * RFC 4443 makes for multicast). The error leaves from the clear port's
 * address of the family (none: no error) through the clear port's next hop,
 * like every frame the clear port sends. A token bucket per worker limits
 * the rate; what it refuses is counted (icmp_ratelimited), as are errors we
 * could not build (icmp_unsent: no address, no mbuf).
 */
#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dp_priv.h"
#include "pmtu.h"

enum {
	ICMP4_MAX = 576,		/* an IPv4 error's total length, at most */
	ICMP6_MAX = 1280,		/* RFC 4443 2.4(c): the IPv6 minimum MTU */
	ICMP_HDR_LEN = 8,
	ICMP4_DEST_UNREACH = 3,
	ICMP4_FRAG_NEEDED = 4,
	ICMP4_MAX_TYPE = 18,		/* Linux NR_ICMP_TYPES */
	ICMP6_PACKET_TOO_BIG = 2,
	ICMP6_INFO_MASK = 0x80,		/* types 128+ are informational */
	ICMP_TTL = 64,
	ICMP4_TOS = 0xc0,		/* IPTOS_PREC_INTERNETCONTROL */
	IP6_EXT_MAX = 8			/* extension headers walked, at most */
};

/* ICMPv4 error types (Linux icmp_pointers[].error): never answered. */
static bool
icmp4_is_error(uint8_t type)
{
	return type > ICMP4_MAX_TYPE || type == 3 || type == 4 || type == 5 ||
	       type == 11 || type == 12;
}

/* The token bucket: true if one error may go now. */
static bool
icmp_allow(struct wg_dp_worker *w)
{
	struct dp_pmtu *p = w->pmtu;
	uint64_t credit = p->icmp_credit + (w->now - p->icmp_last);

	p->icmp_last = w->now;
	p->icmp_credit = RTE_MIN(credit, p->icmp_cap);
	if (p->icmp_credit < p->icmp_cost) {
		w->st.icmp_ratelimited++;
		return false;
	}
	p->icmp_credit -= p->icmp_cost;
	return true;
}

static bool
ipv4_eligible(const struct rte_ipv4_hdr *ip, uint32_t hl, uint32_t len)
{
	uint32_t src = rte_be_to_cpu_32(ip->src_addr);
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
	const uint8_t *l4 = (const uint8_t *)ip + hl;

	if (!(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) ||
	    (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)))
		return false;
	/* Source: not 0/8, loopback, multicast, class E or broadcast. */
	if ((src >> 24) == 0 || (src >> 24) == 127 || (src >> 28) >= 0xe)
		return false;
	if ((dst >> 28) >= 0xe)
		return false;
	if (ip->next_proto_id == IPPROTO_ICMP && (len <= hl || icmp4_is_error(l4[0])))
		return false;
	return true;
}

/*
 * The upper-layer protocol of an IPv6 packet is an ICMPv6 error: walks the
 * extension headers in the bytes we have. A non-first fragment's payload is
 * not a header: eligible, as Linux.
 */
static bool
ipv6_is_icmp_error(const uint8_t *ip, uint32_t len)
{
	uint8_t nh = ip[6];
	uint32_t off = sizeof(struct rte_ipv6_hdr);
	unsigned int i;

	for (i = 0; i < IP6_EXT_MAX; i++) {
		if (nh == IPPROTO_ICMPV6)
			return off >= len || !(ip[off] & ICMP6_INFO_MASK);
		if (off + 8 > len)
			return false;
		if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
		    nh == IPPROTO_DSTOPTS) {
			nh = ip[off];
			off += ((uint32_t)ip[off + 1] + 1) * 8;
		} else if (nh == IPPROTO_FRAGMENT) {
			if ((ip[off + 2] << 8 | ip[off + 3]) & ~7)
				return false;
			nh = ip[off];
			off += 8;
		} else {
			return false;
		}
	}
	return false;
}

static bool
ipv6_eligible(const struct rte_ipv6_hdr *ip, uint32_t len)
{
	static const uint8_t any[16];

	/* Source: not unspecified, not multicast. */
	if (memcmp(ip->src_addr, any, sizeof(any)) == 0 || ip->src_addr[0] == 0xff)
		return false;
	return !ipv6_is_icmp_error((const uint8_t *)ip, len);
}

/* An mbuf with Ethernet to the clear port's next hop; *l3 after it. */
static struct rte_mbuf *
error_frame(struct wg_dp_worker *w, uint16_t ether_type, uint32_t l3_len,
	    uint8_t **l3)
{
	const struct wg_dp_port *c = &w->dp->port[WG_DP_PORT_CLEAR];
	struct rte_ether_hdr *eth;
	struct rte_mbuf *e;

	e = rte_pktmbuf_alloc(w->dp->pool);
	if (e == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(e, (uint16_t)(WG_DP_ETH_LEN +
								      l3_len));
	if (eth == NULL) {
		rte_pktmbuf_free(e);
		return NULL;
	}
	rte_ether_addr_copy(&w->dst_mac[WG_DP_PORT_CLEAR], &eth->dst_addr);
	rte_ether_addr_copy(&c->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(ether_type);
	*l3 = (uint8_t *)(eth + 1);
	return e;
}

static struct rte_mbuf *
icmp4_build(struct wg_dp_worker *w, const struct rte_ipv4_hdr *orig, uint32_t len)
{
	uint32_t quote = RTE_MIN(len, (uint32_t)(ICMP4_MAX - sizeof(*orig) - ICMP_HDR_LEN));
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	struct rte_mbuf *e;
	uint8_t *l3;

	e = error_frame(w, RTE_ETHER_TYPE_IPV4, sizeof(*ip) + ICMP_HDR_LEN + quote, &l3);
	if (e == NULL)
		return NULL;
	ip = (struct rte_ipv4_hdr *)l3;
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = (orig->type_of_service & 0x1e) | ICMP4_TOS;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + ICMP_HDR_LEN + quote));
	ip->packet_id = rte_cpu_to_be_16(w->ip_id++);
	ip->time_to_live = ICMP_TTL;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = w->dp->port[WG_DP_PORT_CLEAR].ipv4;
	ip->dst_addr = orig->src_addr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = ICMP4_DEST_UNREACH;
	icmp->icmp_code = ICMP4_FRAG_NEEDED;
	icmp->icmp_cksum = 0;
	/* RFC 1191: 16 unused bits, then the next-hop MTU. */
	icmp->icmp_ident = 0;
	icmp->icmp_seq_nb = rte_cpu_to_be_16(w->dp->mtu);
	memcpy(icmp + 1, orig, quote);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, ICMP_HDR_LEN + quote);
	return e;
}

static struct rte_mbuf *
icmp6_build(struct wg_dp_worker *w, const struct rte_ipv6_hdr *orig, uint32_t len)
{
	uint32_t quote = RTE_MIN(len, (uint32_t)(ICMP6_MAX - sizeof(*orig) - ICMP_HDR_LEN));
	uint32_t l4 = ICMP_HDR_LEN + quote, sum;
	struct rte_ipv6_hdr *ip;
	struct rte_mbuf *e;
	uint8_t *l3, *icmp;
	uint32_t mtu = rte_cpu_to_be_32(w->dp->mtu);
	uint16_t cks;

	e = error_frame(w, RTE_ETHER_TYPE_IPV6, sizeof(*ip) + l4, &l3);
	if (e == NULL)
		return NULL;
	ip = (struct rte_ipv6_hdr *)l3;
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)l4);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = ICMP_TTL;
	memcpy(ip->src_addr, w->dp->port[WG_DP_PORT_CLEAR].ipv6, 16);
	memcpy(ip->dst_addr, orig->src_addr, 16);
	icmp = (uint8_t *)(ip + 1);
	icmp[0] = ICMP6_PACKET_TOO_BIG;
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	memcpy(icmp + 4, &mtu, sizeof(mtu));
	memcpy(icmp + ICMP_HDR_LEN, orig, quote);
	/* The pseudo-header (RFC 8200 8.1) and the message. */
	sum = rte_ipv6_phdr_cksum(ip, 0);
	sum += rte_raw_cksum(icmp, l4);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	cks = (uint16_t)~sum;
	memcpy(icmp + 2, &cks, sizeof(cks));
	return e;
}

void
dp_icmp_too_big(struct wg_dp_worker *w, const struct rte_mbuf *m)
{
	const struct wg_dp_port *c = &w->dp->port[WG_DP_PORT_CLEAR];
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, WG_DP_ETH_LEN);
	const struct rte_ipv4_hdr *ip4 = (const struct rte_ipv4_hdr *)l3;
	const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)l3;
	uint32_t len = m->data_len - WG_DP_ETH_LEN;
	bool v4 = (l3[0] >> 4) == 4;
	struct rte_mbuf *e = NULL;

	/* The length the IP header gives (the caller checked it fits). */
	len = RTE_MIN(len, v4 ? (uint32_t)rte_be_to_cpu_16(ip4->total_length) :
		      (uint32_t)rte_be_to_cpu_16(ip6->payload_len) + sizeof(*ip6));
	if (v4 ? !ipv4_eligible(ip4, (uint32_t)(l3[0] & 0xf) * 4, len) :
		 !ipv6_eligible(ip6, len))
		return;
	if (v4 ? !c->has_ipv4 : !c->has_ipv6) {
		w->st.icmp_unsent++;
		return;
	}
	if (!icmp_allow(w))
		return;
	e = v4 ? icmp4_build(w, ip4, len) : icmp6_build(w, ip6, len);
	if (e == NULL) {
		w->st.icmp_unsent++;
		return;
	}
	w->st.icmp_sent++;
	dp_txbuf_add(w, WG_DP_PORT_CLEAR, e);
}
