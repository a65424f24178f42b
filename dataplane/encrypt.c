/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Clear RX and the encrypt path.
 *
 * dp_clear_input(): strip Ethernet, check the inner IPv4/IPv6 header, look
 * the destinations up in the allowed-IPs tables (bulk), hand the burst to
 * dp_encrypt_burst() with a peer id per packet.
 *
 * dp_encrypt_burst() groups the burst by peer (packet order is kept within
 * a peer), picks each peer's keypair once, reserves the group's counters
 * with one atomic add, stages the packets of peers without a usable
 * session (raising a handshake request once), and for the rest, in place:
 * zero padding to 16 (never past the MTU) and room for the tag at the tail,
 * transport header + UDP + IPv4/IPv6 (to the peer's endpoint, either
 * family) + Ethernet (the outer next hop) at the head; then one batch seal
 * and the outer checksums (which cover the ciphertext).
 */
#include <netinet/in.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "dp_priv.h"
#include "pmtu.h"

enum group_action {
	GRP_SEND,
	GRP_STAGE,
	GRP_DROP
};

/* The packets of one peer in a burst. */
struct enc_group {
	struct wg_dp_peer *peer;
	struct wg_dp_keypair *kp;
	uint32_t id;
	uint16_t n;
	uint8_t action;
	uint8_t reason;
	bool staged;
	uint64_t counter;		/* next one to hand out */
	uint64_t tx_bytes;
	uint16_t tx_packets;
	bool data_sent;			/* a packet other than a keepalive */
	struct wg_dp_ep ep;
};

struct enc_burst {
	struct enc_group g[WG_DP_BURST];
	uint8_t gi[WG_DP_BURST];	/* group of each packet */
	uint16_t ng;
	struct rte_mbuf *out[WG_DP_BURST];
	uint8_t out_g[WG_DP_BURST];
	struct wg_crypto_op op[WG_DP_BURST];
	uint16_t nout;
};

/* ---- Outer checksums, one variant per family chosen at create ---- */

static inline struct rte_ipv4_hdr *
outer_ip4(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, WG_DP_ETH_LEN);
}

static inline struct rte_ipv6_hdr *
outer_ip6(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, WG_DP_ETH_LEN);
}

/* IPv4 header checksum; UDP checksum 0 ("none", as RFC 768 allows). */
void
dp_outer_csum4_nocsum(const struct wg_dp *dp, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = outer_ip4(m);

	RTE_SET_USED(dp);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	((struct rte_udp_hdr *)(ip + 1))->dgram_cksum = 0;
	m->ol_flags = 0;
}

void
dp_outer_csum4(const struct wg_dp *dp, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = outer_ip4(m);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	RTE_SET_USED(dp);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	m->ol_flags = 0;
}

void
dp_outer_csum4_offload(const struct wg_dp *dp, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = outer_ip4(m);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	RTE_SET_USED(dp);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
		      RTE_MBUF_F_TX_UDP_CKSUM;
	m->l2_len = WG_DP_ETH_LEN;
	m->l3_len = sizeof(*ip);
	ip->hdr_checksum = 0;
	udp->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
}

/* UDP over IPv6 must carry a checksum (RFC 8200 8.1). */
void
dp_outer_csum6(const struct wg_dp *dp, struct rte_mbuf *m)
{
	struct rte_ipv6_hdr *ip = outer_ip6(m);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	RTE_SET_USED(dp);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
	m->ol_flags = 0;
}

void
dp_outer_csum6_offload(const struct wg_dp *dp, struct rte_mbuf *m)
{
	struct rte_ipv6_hdr *ip = outer_ip6(m);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	RTE_SET_USED(dp);
	m->ol_flags = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
	m->l2_len = WG_DP_ETH_LEN;
	m->l3_len = sizeof(*ip);
	udp->dgram_cksum = rte_ipv6_phdr_cksum(ip, m->ol_flags);
}

/* ---- Building the outer packet ---- */

/* Outer ECN as Linux INET_ECN_encapsulate(0, inner): copied, CE -> ECT(0). */
static inline uint8_t
inner_ecn(const uint8_t *ip, uint16_t len)
{
	uint8_t e;

	if (len == 0)
		return 0;
	e = (ip[0] >> 4) == 4 ? ip[1] & ECN_MASK : (ip[1] >> 4) & ECN_MASK;
	return e == ECN_CE ? ECN_ECT_0 : e;
}

/* Padded plaintext length: a multiple of 16, never past the MTU. */
static inline uint32_t
padded_len(uint32_t len, uint32_t mtu)
{
	uint32_t p = RTE_ALIGN_CEIL(len, (uint32_t)MESSAGE_PADDING_MULTIPLE);

	return p > mtu ? RTE_MAX(mtu, len) : p;
}

/* Ethernet + IP + UDP in front of a WireGuard message of msg_len bytes. */
void
dp_outer_hdr_write(struct wg_dp_worker *w, uint8_t *h, const struct wg_dp_ep *ep,
		   uint16_t msg_len, uint8_t ecn)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)h;
	uint16_t udp_len = (uint16_t)(sizeof(struct rte_udp_hdr) + msg_len);
	struct rte_udp_hdr *udp;

	rte_ether_addr_copy(&w->dst_mac[WG_DP_PORT_OUTER], &eth->dst_addr);
	rte_ether_addr_copy(&w->dp->port[WG_DP_PORT_OUTER].mac, &eth->src_addr);
	eth->ether_type = ep->ether_type;
	memcpy(h + WG_DP_ETH_LEN, ep->hdr, ep->hdr_len);
	udp = (struct rte_udp_hdr *)(h + WG_DP_ETH_LEN + ep->hdr_len -
				     sizeof(struct rte_udp_hdr));
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	if (ep->addr.family == WG_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + WG_DP_ETH_LEN);

		ip->type_of_service = ecn;
		ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + udp_len);
		ip->packet_id = rte_cpu_to_be_16(w->ip_id++);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(h + WG_DP_ETH_LEN);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)ecn << 20);
		ip->payload_len = rte_cpu_to_be_16(udp_len);
	}
}

/* In place: padding and tag room at the tail, headers at the head. */
static bool
encap_one(struct wg_dp_worker *w, struct rte_mbuf *m, const struct enc_group *g,
	  uint64_t counter, struct wg_crypto_op *op)
{
	uint16_t len = (uint16_t)m->data_len;
	uint32_t plen = padded_len(len, w->dp->mtu);
	uint16_t head = WG_DP_ETH_LEN + g->ep.hdr_len + sizeof(struct wg_msg_data);
	uint8_t ecn = inner_ecn(rte_pktmbuf_mtod(m, uint8_t *), len);
	struct wg_msg_data *hdr;
	uint8_t *tail, *h;

	if (unlikely(rte_pktmbuf_headroom(m) < head ||
		     rte_pktmbuf_tailroom(m) < plen - len + NOISE_AUTHTAG_LEN))
		return false;
	tail = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(plen - len + NOISE_AUTHTAG_LEN));
	memset(tail, 0, plen - len);
	h = (uint8_t *)rte_pktmbuf_prepend(m, head);
	dp_outer_hdr_write(w, h, &g->ep, (uint16_t)wg_message_data_len(plen), ecn);
	hdr = (struct wg_msg_data *)(h + head - sizeof(*hdr));
	hdr->header.type = wg_le32(MESSAGE_DATA);
	hdr->key_idx = g->kp->remote_index_le;
	hdr->counter = wg_le64(counter);
	op->data = h + head;
	op->len = plen;
	op->tag = op->data + plen;
	op->key = g->kp->sending_key;
	op->counter = counter;
	return true;
}

/* ---- Grouping, staging, counters ---- */

static void
group_init(struct wg_dp_worker *w, struct enc_group *g, uint32_t id, bool from_stage)
{
	struct wg_dp_peer *p = &w->dp->peers[id];

	memset(g, 0, offsetof(struct enc_group, ep));
	g->peer = p;
	g->id = id;
	if (unlikely(__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != WG_DP_PEER_LIVE)) {
		g->action = GRP_DROP;
		g->reason = WG_DROP_PEER_GONE;
		return;
	}
	dp_peer_ep_read(p, &g->ep);
	if (unlikely(g->ep.hdr_len == 0)) {
		g->action = GRP_DROP;
		g->reason = WG_DROP_NO_ENDPOINT;
		return;
	}
	g->kp = dp_peer_send_keypair(p, w->now);
	/* Packets already staged go first: new ones queue behind them. */
	if (unlikely(g->kp == NULL ||
		     (!from_stage && __atomic_load_n(&p->n_staged, __ATOMIC_RELAXED))))
		g->action = GRP_STAGE;
	else
		g->action = GRP_SEND;
}

static void
group_burst(struct wg_dp_worker *w, struct enc_burst *b, const uint32_t *ids,
	    uint16_t n, bool from_stage)
{
	uint16_t i, j, last = 0;

	b->ng = 0;
	for (i = 0; i < n; i++) {
		if (b->ng == 0 || b->g[last].id != ids[i]) {
			for (j = 0; j < b->ng && b->g[j].id != ids[i]; j++)
				;
			if (j == b->ng)
				group_init(w, &b->g[b->ng++], ids[i], from_stage);
			last = j;
		}
		b->gi[i] = (uint8_t)last;
		b->g[last].n++;
	}
}

/* One atomic add per group; keep_key_fresh() on the sending side. */
static void
group_reserve(struct wg_dp_worker *w, struct enc_group *g)
{
	struct wg_dp_keypair *kp = g->kp;
	uint64_t base;

	base = __atomic_fetch_add(&kp->send_counter, g->n, __ATOMIC_RELAXED);
	if (unlikely(base >= REJECT_AFTER_MESSAGES ||
		     g->n > REJECT_AFTER_MESSAGES - base)) {
		/* Spent: these wait for a new session, as Linux re-queues. */
		g->kp = NULL;
		g->action = GRP_STAGE;
		return;
	}
	g->counter = base;
	if (unlikely(base + g->n > REKEY_AFTER_MESSAGES ||
		     (kp->initiator && w->now >= kp->rekey_tsc)))
		dp_peer_signal(w, g->peer, g->id, WG_DP_EV_HANDSHAKE);
}

static void
stage_one(struct wg_dp_worker *w, struct enc_group *g, struct rte_mbuf *m)
{
	struct wg_dp_peer *p = g->peer;

	if (__atomic_fetch_add(&p->n_staged, 1, __ATOMIC_RELAXED) >=
	    MAX_STAGED_PACKETS)
		goto full;
	m->hash.usr = g->id;
	if (unlikely(rte_ring_mp_enqueue(w->dp->stage_ring, m) != 0))
		goto full;
	w->st.staged++;
	g->staged = true;
	return;
full:
	__atomic_fetch_sub(&p->n_staged, 1, __ATOMIC_RELAXED);
	dp_drop(w, m, WG_DROP_STAGE_FULL);
}

/* Every packet to its fate: dropped, staged, or encapsulated for sealing. */
static void
dispatch(struct wg_dp_worker *w, struct enc_burst *b, struct rte_mbuf **pkts,
	 uint16_t n)
{
	struct enc_group *g;
	uint16_t i;

	b->nout = 0;
	for (i = 0; i < n; i++) {
		if (i + WG_DP_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + WG_DP_PREFETCH], void *));
		g = &b->g[b->gi[i]];
		if (g->action == GRP_DROP) {
			dp_drop(w, pkts[i], g->reason);
		} else if (g->action == GRP_STAGE) {
			stage_one(w, g, pkts[i]);
		} else if (!encap_one(w, pkts[i], g, g->counter++, &b->op[b->nout])) {
			dp_drop(w, pkts[i], WG_DROP_NO_ROOM);
		} else {
			b->out_g[b->nout] = b->gi[i];
			b->out[b->nout++] = pkts[i];
		}
	}
}

static void
groups_after(struct wg_dp_worker *w, struct enc_burst *b)
{
	struct wg_dp_peer_ctr *c;
	struct enc_group *g;
	uint16_t j;

	for (j = 0; j < b->ng; j++) {
		g = &b->g[j];
		if (g->staged)
			dp_peer_signal(w, g->peer, g->id, g->kp == NULL ?
				       WG_DP_EV_HANDSHAKE | WG_DP_EV_STAGED :
				       WG_DP_EV_STAGED);
		if (g->tx_packets == 0)
			continue;
		c = &w->peer_ctr[g->id];
		c->tx_packets += g->tx_packets;
		c->tx_bytes += g->tx_bytes;
		c->last_tx_tsc = w->now;
		if (g->data_sent) {
			c->last_data_tx_tsc = w->now;
			dp_peer_watch_hit(w, g->peer, g->id, WG_DP_WATCH_DATA_TX);
		}
	}
}

void
dp_encrypt_burst(struct wg_dp_worker *w, struct rte_mbuf **pkts,
		 const uint32_t *ids, uint16_t n, bool from_stage)
{
	struct enc_burst b;
	struct enc_group *g;
	uint16_t i;

	group_burst(w, &b, ids, n, from_stage);
	for (i = 0; i < b.ng; i++)
		if (b.g[i].action == GRP_SEND)
			group_reserve(w, &b.g[i]);
	dispatch(w, &b, pkts, n);
	if (b.nout != 0)
		wg_crypto_seal_burst(w->crypto, b.op, b.nout);
	for (i = 0; i < b.nout; i++) {
		g = &b.g[b.out_g[i]];
		if (g->ep.addr.family == WG_AF_INET)
			w->dp->csum4(w->dp, b.out[i]);
		else
			w->dp->csum6(w->dp, b.out[i]);
		if (!dp_txbuf_add_nexthop(w, WG_DP_PORT_OUTER, b.out[i]))
			continue;
		g->tx_packets++;
		g->tx_bytes += wg_message_data_len(b.op[i].len);
		g->data_sent |= b.op[i].len != 0;
	}
	w->st.encrypted += b.nout;
	groups_after(w, &b);
}

/* ---- Clear RX ---- */

enum clear_class {
	CLR_IP4,
	CLR_IP6,
	CLR_NEIGH,
	CLR_DROP
};

static inline enum clear_class
clear_ipv6(const uint8_t *ip, uint32_t avail, uint32_t *len)
{
	const struct rte_ipv6_hdr *h = (const struct rte_ipv6_hdr *)ip;

	if (avail < sizeof(*h) || (ip[0] >> 4) != 6)
		return CLR_DROP;
	*len = rte_be_to_cpu_16(h->payload_len) + (uint32_t)sizeof(*h);
	if (*len > avail)
		return CLR_DROP;
	/* Neighbour discovery is for us, never for a tunnel. */
	if (h->proto == IPPROTO_ICMPV6 && *len > sizeof(*h) &&
	    ip[sizeof(*h)] >= ND_FIRST && ip[sizeof(*h)] <= ND_LAST)
		return CLR_NEIGH;
	return CLR_IP6;
}

static inline enum clear_class
clear_ipv4(const uint8_t *ip, uint32_t avail, uint32_t *len)
{
	uint32_t hl;

	if (avail < sizeof(struct rte_ipv4_hdr) || (ip[0] >> 4) != 4)
		return CLR_DROP;
	hl = (uint32_t)(ip[0] & 0xf) * 4;
	*len = (uint32_t)ip[2] << 8 | ip[3];
	if (hl < sizeof(struct rte_ipv4_hdr) || *len < hl || *len > avail)
		return CLR_DROP;
	return CLR_IP4;
}

/* Strips Ethernet and trims to the IP length; sets *reason on CLR_DROP. */
static enum clear_class
clear_classify(const struct wg_dp *dp, struct rte_mbuf *m, uint8_t *reason)
{
	const struct rte_ether_hdr *eth;
	enum clear_class c;
	uint32_t len = 0;

	*reason = WG_DROP_CLEAR_BAD_IP;
	if (unlikely(m->nb_segs != 1 && rte_pktmbuf_linearize(m) != 0)) {
		*reason = WG_DROP_MULTISEG;
		return CLR_DROP;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(m->data_len < WG_DP_ETH_LEN)) {
		*reason = WG_DROP_CLEAR_NOT_IP;
		return CLR_DROP;
	}
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		c = clear_ipv4((const uint8_t *)(eth + 1), m->data_len - WG_DP_ETH_LEN, &len);
	else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6))
		c = clear_ipv6((const uint8_t *)(eth + 1), m->data_len - WG_DP_ETH_LEN, &len);
	else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		return CLR_NEIGH;
	else
		c = CLR_DROP;
	if (c == CLR_DROP && eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6))
		*reason = WG_DROP_CLEAR_NOT_IP;
	if (c != CLR_IP4 && c != CLR_IP6)
		return c;
	if (unlikely(len > dp->mtu)) {
		*reason = WG_DROP_CLEAR_TOO_BIG;
		return CLR_DROP;
	}
	rte_pktmbuf_adj(m, WG_DP_ETH_LEN);
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - len));
	return c;
}

void
dp_clear_input(struct wg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *nb[WG_DP_BURST];
	uint32_t ids[WG_DP_BURST];
	struct dp_lookup lk;
	uint16_t i, k = 0, nn = 0;
	enum clear_class c;
	uint8_t reason;
	const uint8_t *ip;

	lk.n4 = lk.n6 = 0;
	for (i = 0; i < n && i < WG_DP_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		if (i + WG_DP_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + WG_DP_PREFETCH], void *));
		w->st.clear_rx_packets++;
		w->st.clear_rx_bytes += pkts[i]->pkt_len;
		c = clear_classify(w->dp, pkts[i], &reason);
		ip = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		if (c == CLR_IP4)
			dp_lookup_add4(&lk, k, ip + offsetof(struct rte_ipv4_hdr, dst_addr));
		else if (c == CLR_IP6)
			dp_lookup_add6(&lk, k, ip + offsetof(struct rte_ipv6_hdr, dst_addr));
		if (c == CLR_IP4 || c == CLR_IP6)
			pkts[k++] = pkts[i];
		else if (c == CLR_NEIGH)
			nb[nn++] = pkts[i];
		else {
			if (reason == WG_DROP_CLEAR_TOO_BIG)
				dp_icmp_too_big(w, pkts[i]);
			dp_drop(w, pkts[i], reason);
		}
	}
	if (nn != 0)
		dp_neigh_input(w, WG_DP_PORT_CLEAR, nb, nn);
	if (k == 0)
		return;
	dp_lookup_run(w->dp, &lk, ids);
	for (i = 0, n = k, k = 0; i < n; i++) {
		if (unlikely(ids[i] == WG_DP_NO_PEER)) {
			dp_drop(w, pkts[i], WG_DROP_NO_ROUTE);
			continue;
		}
		ids[k] = ids[i];
		pkts[k++] = pkts[i];
	}
	if (k != 0)
		dp_encrypt_burst(w, pkts, ids, k, false);
}
