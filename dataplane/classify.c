/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Outer RX: every frame from the outer port is classified into one of the
 * groups the worker then processes as a batch: data messages (decrypt),
 * handshake messages (mac1 check, then the ring to the control thread),
 * ARP/ND (the neighbour hook) and everything else, dropped with a reason.
 *
 * A classified packet keeps its headers; classification records where they
 * are (l2_len, l3_len, packet_type) and trims Ethernet padding, so that the
 * WireGuard message is the tail of the frame.
 */
#include <netinet/in.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "cookie.h"
#include "dp_priv.h"
#include "pmtu.h"

enum outer_class {
	CLS_DATA,
	CLS_HANDSHAKE,
	CLS_NEIGH,
	CLS_FRAG,			/* to reassembly (frag.c) */
	CLS_HELD,			/* a fragment reassembly kept */
	CLS_DROP
};

enum {
	IPPROTO_FRAG6 = 44
};

/* The IPv4 header checksum, trusting the NIC when it checked. */
static inline bool
ipv4_csum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t hl)
{
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (f == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	if (f == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return false;
	return rte_raw_cksum(ip, hl) == 0xffff;
}

/* Not drops: what outer_ipv6() says of neighbour discovery, and what
 * both say of a fragment of UDP for us. */
#define REASON_NEIGH WG_DROP_MAX
#define REASON_FRAG (WG_DROP_MAX + 1)

/* True if the header is for us: *l3 = its length, *l4 = bytes after it. */
static inline bool
outer_ipv4(const struct wg_dp *dp, const struct rte_mbuf *m, const void *p,
	   uint32_t avail, uint32_t *l3, uint32_t *l4, uint8_t *reason)
{
	const struct wg_dp_port *o = &dp->port[WG_DP_PORT_OUTER];
	const struct rte_ipv4_hdr *ip = p;
	uint32_t hl, tot;

	*reason = WG_DROP_OUTER_BAD_IP;
	if (unlikely(avail < sizeof(*ip) || (ip->version_ihl >> 4) != 4))
		return false;
	hl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(hl < sizeof(*ip) || tot < hl || tot > avail))
		return false;
	*reason = WG_DROP_OUTER_NOT_FOR_US;
	if (unlikely(ip->next_proto_id != IPPROTO_UDP || !o->has_ipv4 ||
		     ip->dst_addr != o->ipv4))
		return false;
	*reason = WG_DROP_OUTER_BAD_CSUM;
	if (unlikely(!ipv4_csum_ok(m, ip, hl)))
		return false;
	*l3 = hl;
	*l4 = tot - hl;
	*reason = REASON_FRAG;
	return likely(!(ip->fragment_offset &
		rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)));
}

/*
 * An IPv6 fragment for us: the fragment header right after the fixed one
 * (what rte_ip_frag reassembles), carrying UDP. *l3 covers both headers.
 */
static inline bool
outer_frag6(const struct wg_dp_port *o, const struct rte_ipv6_hdr *ip,
	    uint32_t plen, uint32_t *l3, uint8_t *reason)
{
	const struct rte_ipv6_fragment_ext *fh = (const void *)(ip + 1);

	*reason = WG_DROP_OUTER_NOT_FOR_US;
	if (!o->has_ipv6 || memcmp(ip->dst_addr, o->ipv6, 16) != 0)
		return false;
	*reason = WG_DROP_OUTER_FRAGMENT;
	if (plen < sizeof(*fh) || fh->next_header != IPPROTO_UDP)
		return false;
	*l3 = sizeof(*ip) + sizeof(*fh);
	*reason = REASON_FRAG;
	return false;
}

/* As outer_ipv4; *reason REASON_NEIGH for neighbour discovery. */
static inline bool
outer_ipv6(const struct wg_dp *dp, const void *p, uint32_t avail, uint32_t *l3,
	   uint32_t *l4, uint8_t *reason)
{
	const struct wg_dp_port *o = &dp->port[WG_DP_PORT_OUTER];
	const struct rte_ipv6_hdr *ip = p;
	const uint8_t *b = p;
	uint32_t plen;

	*reason = WG_DROP_OUTER_BAD_IP;
	if (unlikely(avail < sizeof(*ip) || (b[0] >> 4) != 6))
		return false;
	plen = rte_be_to_cpu_16(ip->payload_len);
	if (unlikely(plen + sizeof(*ip) > avail))
		return false;
	if (unlikely(ip->proto != IPPROTO_UDP)) {
		if (ip->proto == IPPROTO_ICMPV6 && plen >= 1 &&
		    b[sizeof(*ip)] >= ND_FIRST && b[sizeof(*ip)] <= ND_LAST)
			*reason = REASON_NEIGH;
		else if (ip->proto == IPPROTO_FRAG6)
			return outer_frag6(o, ip, plen, l3, reason);
		else
			*reason = WG_DROP_OUTER_NOT_FOR_US;
		return false;
	}
	*reason = WG_DROP_OUTER_NOT_FOR_US;
	if (unlikely(!o->has_ipv6 || memcmp(ip->dst_addr, o->ipv6, 16) != 0))
		return false;
	*l3 = sizeof(*ip);
	*l4 = plen;
	return true;
}

/* UDP to our listen port; trims the frame to the datagram. */
static inline bool
outer_udp(const struct wg_dp *dp, struct rte_mbuf *m, uint32_t l3, uint32_t l4,
	  uint8_t *reason)
{
	const struct rte_udp_hdr *udp;
	uint32_t ulen, frame;

	*reason = WG_DROP_OUTER_BAD_IP;
	if (unlikely(l4 < sizeof(*udp)))
		return false;
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *,
				      WG_DP_ETH_LEN + l3);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(ulen < sizeof(*udp) || ulen > l4))
		return false;
	*reason = WG_DROP_OUTER_NOT_FOR_US;
	if (unlikely(udp->dst_port !=
		     __atomic_load_n(&dp->listen_port_be, __ATOMIC_RELAXED)))
		return false;
	frame = WG_DP_ETH_LEN + l3 + ulen;
	if (m->data_len > frame)
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - frame));
	return true;
}

static inline enum outer_class
outer_msg(struct rte_mbuf *m, uint32_t off, uint8_t *reason)
{
	const uint8_t *msg = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);

	switch (wg_message_type(msg, m->data_len - off)) {
	case MESSAGE_DATA:
		return CLS_DATA;
	case MESSAGE_HANDSHAKE_INITIATION:
	case MESSAGE_HANDSHAKE_RESPONSE:
	case MESSAGE_HANDSHAKE_COOKIE:
		return CLS_HANDSHAKE;
	default:
		*reason = WG_DROP_MSG_INVALID;
		return CLS_DROP;
	}
}

static inline enum outer_class
outer_classify(const struct wg_dp *dp, struct rte_mbuf *m, uint8_t *reason)
{
	const struct rte_ether_hdr *eth;
	uint32_t avail, l3 = 0, l4 = 0;
	bool ok;

	if (unlikely(m->nb_segs != 1 && rte_pktmbuf_linearize(m) != 0)) {
		*reason = WG_DROP_MULTISEG;
		return CLS_DROP;
	}
	*reason = WG_DROP_OUTER_NOT_IP;
	if (unlikely(m->data_len < WG_DP_ETH_LEN))
		return CLS_DROP;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	avail = m->data_len - WG_DP_ETH_LEN;
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		ok = outer_ipv4(dp, m, eth + 1, avail, &l3, &l4, reason);
		m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4;
	} else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		ok = outer_ipv6(dp, eth + 1, avail, &l3, &l4, reason);
		m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV6;
	} else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		return CLS_NEIGH;
	} else {
		return CLS_DROP;
	}
	if (likely(ok))
		ok = outer_udp(dp, m, l3, l4, reason);
	m->l2_len = WG_DP_ETH_LEN;
	m->l3_len = l3;
	if (unlikely(!ok))
		return *reason == REASON_NEIGH ? CLS_NEIGH :
		       *reason == REASON_FRAG ? CLS_FRAG : CLS_DROP;
	return outer_msg(m, WG_DP_ETH_LEN + l3 + sizeof(struct rte_udp_hdr), reason);
}

/*
 * A fragment goes to reassembly; the datagram it completes, if any, is
 * classified whole (and linearized on the way). *m changes then.
 */
static enum outer_class
outer_classify_whole(struct wg_dp_worker *w, struct rte_mbuf **m, uint8_t *reason)
{
	enum outer_class c = outer_classify(w->dp, *m, reason);

	if (likely(c != CLS_FRAG))
		return c;
	*m = dp_frag_reassemble(w, *m);
	if (*m == NULL)
		return CLS_HELD;
	c = outer_classify(w->dp, *m, reason);
	if (unlikely(c == CLS_FRAG)) {
		*reason = WG_DROP_OUTER_FRAGMENT;
		return CLS_DROP;
	}
	return c;
}

/* ARP/ND to the neighbour hook; replies go back out of the same port. */
void
dp_neigh_input(struct wg_dp_worker *w, enum wg_dp_port_role role,
	       struct rte_mbuf **pkts, uint16_t n)
{
	const struct wg_dp *dp = w->dp;
	uint16_t i;

	for (i = 0; i < n; i++) {
		if (dp->neigh.input == NULL) {
			dp_drop(w, pkts[i], WG_DROP_NEIGH);
			continue;
		}
		switch (dp->neigh.input(dp->neigh.ctx, role, pkts[i])) {
		case WG_DP_NEIGH_REPLY:
			pkts[i]->ol_flags = 0;
			dp_txbuf_add(w, role, pkts[i]);
			break;
		case WG_DP_NEIGH_CONSUMED:
			dp_consume(w, pkts[i]);
			break;
		default:
			dp_drop(w, pkts[i], WG_DROP_NEIGH_INVALID);
			break;
		}
	}
}

/* Copies the mac1 key out from under the control thread; false if none. */
static bool
mac1_key_read(const struct wg_dp *dp, uint8_t key[NOISE_SYMMETRIC_KEY_LEN])
{
	uint32_t sn;
	bool have;

	do {
		sn = rte_seqlock_read_begin(&dp->mac1_lock);
		have = dp->has_mac1_key;
		memcpy(key, dp->mac1_key, NOISE_SYMMETRIC_KEY_LEN);
	} while (rte_seqlock_read_retry(&dp->mac1_lock, sn));
	return have;
}

/* The WireGuard message of a classified handshake frame. */
static inline const uint8_t *
hs_msg(const struct rte_mbuf *m, size_t *len)
{
	uint32_t off = m->l2_len + m->l3_len + sizeof(struct rte_udp_hdr);

	*len = m->data_len - off;
	return rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
}

/*
 * pass[i]: whether initiation or response pkts[i] carries a valid mac1.
 * The key block is compressed once for the burst (the mac1 key is no
 * secret: it derives from our public key), then the messages are checked
 * side by side (wg_cookie_mac1_check_burst()).
 */
static void
mac1_verdicts(const uint8_t key[NOISE_SYMMETRIC_KEY_LEN], struct rte_mbuf **pkts,
	      uint16_t n, bool pass[])
{
	struct wg_cookie_mac1_checker ck;
	const uint8_t *msg[WG_DP_BURST];
	size_t len[WG_DP_BURST];
	uint16_t i;

	for (i = 0; i < n; i++)
		msg[i] = hs_msg(pkts[i], &len[i]);
	wg_cookie_mac1_checker_init(&ck, key);
	wg_cookie_mac1_check_burst(&ck, msg, len, n, pass);
}

/* Onto a ring to the control thread; what it refuses is dropped. */
static void
hs_enqueue(struct wg_dp_worker *w, struct rte_ring *r, struct rte_mbuf **m,
	   uint16_t n, enum wg_dp_drop full)
{
	uint16_t i, sent;

	sent = (uint16_t)rte_ring_mp_enqueue_burst(r, (void **)m, n, NULL);
	w->st.handshakes_rx += sent;
	for (i = sent; i < n; i++)
		dp_drop(w, m[i], full);
}

/*
 * Cookie replies carry no mac1: the receiver index must name one of our
 * handshakes waiting for one (hs_queue.c), and they have their own ring.
 */
static void
cookie_input(struct wg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *ok[WG_DP_BURST];
	uint32_t index_le;
	uint16_t i, k = 0;
	size_t len;

	for (i = 0; i < n; i++) {
		/* The frame puts it at an odd offset: copied, not loaded. */
		memcpy(&index_le, hs_msg(pkts[i], &len) +
		       offsetof(struct wg_msg_cookie, receiver_index), sizeof(index_le));
		if (dp_cookie_index_known(w->dp, index_le))
			ok[k++] = pkts[i];
		else
			dp_drop(w, pkts[i], WG_DROP_COOKIE_UNKNOWN_INDEX);
	}
	hs_enqueue(w, w->dp->ck_ring, ok, k, WG_DROP_COOKIE_RING_FULL);
}

/* Initiations and responses must carry a valid mac1. */
static void
initiation_response_input(struct wg_dp_worker *w, struct rte_mbuf **pkts,
			  uint16_t n, const uint8_t key[NOISE_SYMMETRIC_KEY_LEN])
{
	struct rte_mbuf *ok[WG_DP_BURST];
	bool pass[WG_DP_BURST];
	uint16_t i, k = 0;

	mac1_verdicts(key, pkts, n, pass);
	for (i = 0; i < n; i++) {
		if (pass[i])
			ok[k++] = pkts[i];
		else
			dp_drop(w, pkts[i], WG_DROP_HS_BAD_MAC1);
	}
	hs_enqueue(w, w->dp->hs_ring, ok, k, WG_DROP_HS_RING_FULL);
}

/*
 * Junk never reaches the control thread: a handshake message must have a
 * good UDP checksum (its source may become the peer's endpoint), then
 * initiations and responses a valid mac1 (keyed by our public key; mac2 is
 * the control thread's business) and cookie replies a receiver index of
 * ours.
 */
static void
handshake_input(struct wg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *msgs[WG_DP_BURST], *cookies[WG_DP_BURST];
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint16_t i, nm = 0, nc = 0;
	size_t len;

	if (unlikely(!mac1_key_read(w->dp, key))) {
		for (i = 0; i < n; i++)
			dp_drop(w, pkts[i], WG_DROP_HS_NO_KEY);
		return;
	}
	for (i = 0; i < n; i++) {
		if (unlikely(!dp_outer_l4_csum_ok(pkts[i])))
			dp_drop(w, pkts[i], WG_DROP_HS_BAD_CSUM);
		else if (hs_msg(pkts[i], &len)[0] == MESSAGE_HANDSHAKE_COOKIE)
			cookies[nc++] = pkts[i];
		else
			msgs[nm++] = pkts[i];
	}
	if (nm != 0)
		initiation_response_input(w, msgs, nm, key);
	if (nc != 0)
		cookie_input(w, cookies, nc);
}

void
dp_outer_input(struct wg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *data[WG_DP_BURST], *hs[WG_DP_BURST], *nb[WG_DP_BURST];
	uint16_t i, nd = 0, nh = 0, nn = 0;
	uint8_t reason = 0;

	for (i = 0; i < n && i < WG_DP_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		if (i + WG_DP_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + WG_DP_PREFETCH], void *));
		w->st.outer_rx_packets++;
		w->st.outer_rx_bytes += pkts[i]->pkt_len;
		switch (outer_classify_whole(w, &pkts[i], &reason)) {
		case CLS_HELD:
			break;
		case CLS_DATA:
			data[nd++] = pkts[i];
			break;
		case CLS_HANDSHAKE:
			hs[nh++] = pkts[i];
			break;
		case CLS_NEIGH:
			nb[nn++] = pkts[i];
			break;
		default:
			dp_drop(w, pkts[i], reason);
			break;
		}
	}
	if (nh != 0)
		handshake_input(w, hs, nh);
	if (nn != 0)
		dp_neigh_input(w, WG_DP_PORT_OUTER, nb, nn);
	if (nd != 0)
		dp_decrypt_burst(w, data, nd);
}
