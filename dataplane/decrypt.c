/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The decrypt group of an outer RX burst, in the order the Linux driver
 * checks a data message (receive.c):
 *
 *  1. receiver index -> keypair: the direct table, then one bulk hash
 *     lookup for the burst's misses;
 *  2. the keypair must be live and young enough (REJECT_AFTER_TIME, the
 *     message's counter below REJECT_AFTER_MESSAGES) and its peer not being
 *     removed;
 *  3. one batch ChaCha20-Poly1305 open through the lcore's wg_crypto;
 *  4. the replay window, only for packets that authenticated, with the
 *     window's own REJECT_AFTER_MESSAGES, under the keypair's lock (once
 *     per run of a keypair's packets: RSS does not keep a peer on one
 *     worker for sure);
 *  5. then, authenticated: roaming, confirming a next keypair, timers
 *     hints, keepalives (consumed), inner IP sanity and length (trimming
 *     padding), and the allowed-IPs source check (one bulk lookup);
 *  6. Ethernet to the clear port's next hop, into the TX buffer.
 *
 * The packet is transformed in place: the Ethernet header is written over
 * the tail of the transport header, in front of the plaintext.
 */
#include <netinet/in.h>

#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dp_priv.h"

/* Per-burst state, by position in the data group. */
struct dec_burst {
	struct wg_dp_keypair *kp[WG_DP_BURST];
	struct wg_crypto_op op[WG_DP_BURST];
	uint8_t ok[WG_DP_BURST];
	uint8_t verdict[WG_DP_BURST];	/* after the replay stage */
	uint8_t ecn[WG_DP_BURST];	/* outer ECN bits */
	bool roam[WG_DP_BURST];		/* authenticated source differs */
	uint8_t family[WG_DP_BURST];	/* inner */
	uint16_t inner_len[WG_DP_BURST];
	uint32_t src_peer[WG_DP_BURST];
};

static inline uint32_t
msg_offset(const struct rte_mbuf *m)
{
	return m->l2_len + m->l3_len + sizeof(struct rte_udp_hdr);
}

/* The outer source of a classified frame, and its ECN bits. */
static void
outer_source(const struct rte_mbuf *m, struct wg_endpoint *ep, uint8_t *ecn)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	const struct rte_udp_hdr *udp = (const void *)(l3 + m->l3_len);
	const struct rte_ipv4_hdr *ip4 = (const void *)l3;
	const struct rte_ipv6_hdr *ip6 = (const void *)l3;

	memset(ep, 0, sizeof(*ep));
	ep->port = rte_be_to_cpu_16(udp->src_port);
	if (RTE_ETH_IS_IPV4_HDR(m->packet_type)) {
		ep->family = WG_AF_INET;
		memcpy(ep->addr.v4, &ip4->src_addr, 4);
		*ecn = ip4->type_of_service & ECN_MASK;
	} else {
		ep->family = WG_AF_INET6;
		memcpy(ep->addr.v6, ip6->src_addr, 16);
		*ecn = (rte_be_to_cpu_32(ip6->vtc_flow) >> 20) & ECN_MASK;
	}
}

static bool
peer_ep_equal(const struct wg_dp_peer *p, const struct wg_endpoint *src)
{
	uint32_t sn;
	bool eq;

	do {
		sn = rte_seqlock_read_begin(&p->ep_lock);
		eq = wg_endpoint_equal(&p->ep.addr, src);
	} while (rte_seqlock_read_retry(&p->ep_lock, sn));
	return eq;
}

/* 1 + 2: keypair and freshness; builds the crypto op. False = dropped. */
static bool
dec_prepare(struct wg_dp_worker *w, struct rte_mbuf *m, struct wg_dp_keypair *kp,
	    struct wg_crypto_op *op)
{
	const struct wg_msg_data *hdr;
	uint32_t off = msg_offset(m), len = m->data_len - off;
	uint64_t counter;

	hdr = rte_pktmbuf_mtod_offset(m, const struct wg_msg_data *, off);
	counter = wg_le64(hdr->counter);
	if (unlikely(__atomic_load_n(&kp->dead, __ATOMIC_ACQUIRE) ||
		     w->now >= kp->reject_tsc || counter >= REJECT_AFTER_MESSAGES)) {
		dp_drop(w, m, WG_DROP_KEYPAIR_EXPIRED);
		return false;
	}
	if (unlikely(__atomic_load_n(&w->dp->peers[kp->peer_id].state,
				     __ATOMIC_ACQUIRE) != WG_DP_PEER_LIVE)) {
		dp_drop(w, m, WG_DROP_PEER_GONE);
		return false;
	}
	op->data = (uint8_t *)(uintptr_t)(hdr + 1);
	op->len = len - MESSAGE_MINIMUM_LENGTH;
	op->tag = op->data + op->len;
	op->key = kp->receiving_key;
	op->counter = counter;
	return true;
}

/*
 * Step 1: b->kp[i] for each packet, bit i of the result set if found. The
 * direct table first (all its loads issued before any is used, so that
 * their misses overlap), the hash for the rest (see keypair.c).
 */
static uint64_t
dec_lookup(const struct wg_dp *dp, struct rte_mbuf **pkts, uint16_t n,
	   struct dec_burst *b)
{
	const void *keys[WG_DP_BURST];
	struct wg_dp_keypair *found[WG_DP_BURST];
	uint32_t idx[WG_DP_BURST];
	uint16_t i, at[WG_DP_BURST], nm = 0;
	uint64_t hits = 0, mhits = 0;

	for (i = 0; i < n; i++) {
		memcpy(&idx[i], rte_pktmbuf_mtod_offset(pkts[i], const uint8_t *,
			msg_offset(pkts[i]) + offsetof(struct wg_msg_data, key_idx)),
		       sizeof(idx[i]));
		b->kp[i] = __atomic_load_n(&dp->index_direct[dp_index_slot(dp, idx[i])],
					   __ATOMIC_ACQUIRE);
	}
	for (i = 0; i < n; i++) {
		if (likely(b->kp[i] != NULL && b->kp[i]->local_index_le == idx[i])) {
			hits |= UINT64_C(1) << i;
			continue;
		}
		keys[nm] = &idx[i];
		at[nm++] = i;
	}
	if (nm == 0)
		return hits;
	rte_hash_lookup_bulk_data(dp->index, keys, nm, &mhits, (void **)found);
	for (i = 0; i < nm; i++) {
		if (mhits & (UINT64_C(1) << i)) {
			b->kp[at[i]] = found[i];
			hits |= UINT64_C(1) << at[i];
		}
	}
	return hits;
}

/* Steps 1-3 for the burst; compacts the survivors to the front. */
static uint16_t
dec_open(struct wg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n,
	 struct dec_burst *b)
{
	uint64_t hits = dec_lookup(w->dp, pkts, n, b);
	struct wg_endpoint src;
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (unlikely(!(hits & (UINT64_C(1) << i)))) {
			dp_drop(w, pkts[i], WG_DROP_UNKNOWN_INDEX);
			continue;
		}
		if (!dec_prepare(w, pkts[i], b->kp[i], &b->op[k]))
			continue;
		/* Checksums cover the ciphertext: check them now if the
		 * packet may move the endpoint once authenticated. */
		outer_source(pkts[i], &src, &b->ecn[k]);
		b->roam[k] = !peer_ep_equal(&w->dp->peers[b->kp[i]->peer_id], &src) &&
			     dp_outer_l4_csum_ok(pkts[i]);
		b->kp[k] = b->kp[i];
		pkts[k++] = pkts[i];
	}
	if (k != 0)
		wg_crypto_open_burst(w->crypto, b->op, k, b->ok);
	return k;
}

/*
 * Step 4 for one packet. The keypair's receive side is spent once its
 * window reached REJECT_AFTER_MESSAGES; that is read here, with the window,
 * rather than before the open: the window's cache line is then touched once
 * per run, under its lock, not once more per packet.
 */
static inline uint8_t
replay_one(struct wg_dp_keypair *kp, const struct wg_crypto_op *op, uint8_t ok)
{
	if (unlikely(!ok))
		return WG_DROP_AUTH_FAILED;
	if (unlikely(kp->replay.counter >= REJECT_AFTER_MESSAGES))
		return WG_DROP_KEYPAIR_EXPIRED;
	return wg_replay_check(&kp->replay, op->counter) ? WG_DP_PASS : WG_DROP_REPLAY;
}

/*
 * Step 4 for the burst: verdict[i] = WG_DP_PASS or the drop reason for each
 * opened packet. Any worker may receive any keypair's packets: RSS hashes
 * the outer source address and port, which the sender chooses and a NAT
 * rebinding changes, so two workers can hold one keypair's packets at once
 * and the window is never left to one writer. It takes the keypair's lock
 * once per run of the same keypair's packets: uncontended (one atomic
 * exchange) when RSS keeps the peer on one queue, and when it does not,
 * two workers pass the window's line between them once per run rather than
 * once per packet.
 */
void
dp_replay_check(struct wg_dp_keypair *const *kp, const struct wg_crypto_op *op,
		const uint8_t *ok, uint8_t *verdict, uint16_t n)
{
	uint16_t i = 0, j;

	while (i < n) {
		rte_spinlock_lock(&kp[i]->replay_lock);
		for (j = i; j < n && kp[j] == kp[i]; j++)
			verdict[j] = replay_one(kp[j], &op[j], ok[j]);
		rte_spinlock_unlock(&kp[i]->replay_lock);
		i = j;
	}
}

/* Roaming: the peer is now where this authenticated packet came from. */
static void
roam(struct wg_dp_worker *w, struct wg_dp_peer *p, uint32_t id,
     const struct rte_mbuf *m)
{
	struct wg_endpoint src;
	struct wg_dp_ep ep;
	uint8_t ecn;

	outer_source(m, &src, &ecn);
	dp_ep_build(w->dp, &ep, &src);
	rte_seqlock_write_lock(&p->ep_lock);
	p->ep = ep;
	rte_seqlock_write_unlock(&p->ep_lock);
	w->st.roamed++;
	dp_peer_signal(w, p, id, WG_DP_EV_ROAMED);	/* for wg show */
}

/* What an authenticated packet tells the control thread, once. */
static void
session_hints(struct wg_dp_worker *w, struct wg_dp_peer *p, struct wg_dp_keypair *kp)
{
	struct wg_dp_keypair *cur;

	if (unlikely(kp == __atomic_load_n(&p->next, __ATOMIC_ACQUIRE) &&
		     !__atomic_load_n(&kp->confirmed, __ATOMIC_RELAXED))) {
		/* Senders switch to it at once; the control thread rotates. */
		__atomic_store_n(&kp->confirmed, 1, __ATOMIC_RELEASE);
		dp_peer_signal(w, p, kp->peer_id, WG_DP_EV_CONFIRMED);
	}
	cur = __atomic_load_n(&p->cur, __ATOMIC_ACQUIRE);
	if (unlikely(cur != NULL && w->now >= cur->rekey_rx_tsc))
		dp_peer_signal(w, p, kp->peer_id, WG_DP_EV_REKEY_RX);
}

/*
 * Inner IPv4/IPv6 header sanity, as Linux (on the padded length): the
 * family and the length to trim to, or false and the drop reason. Unlike
 * Linux, whose IP stack checks the IPv4 header length next, we forward the
 * packet: a header length (IHL) below 20 bytes or past the total length
 * is refused here.
 */
static bool
inner_check(const uint8_t *ip, uint32_t plen, uint8_t *family, uint16_t *len,
	    uint8_t *reason)
{
	uint32_t l, hl;

	*reason = WG_DROP_INNER_BAD_LEN;
	if (plen >= sizeof(struct rte_ipv4_hdr) && (ip[0] >> 4) == 4) {
		l = (uint32_t)ip[2] << 8 | ip[3];
		hl = (uint32_t)(ip[0] & 0xf) * 4;
		if (l < sizeof(struct rte_ipv4_hdr))
			return false;
		if (hl < sizeof(struct rte_ipv4_hdr) || hl > l) {
			*reason = WG_DROP_INNER_BAD_HDR;
			return false;
		}
		*family = WG_AF_INET;
	} else if (plen >= sizeof(struct rte_ipv6_hdr) && (ip[0] >> 4) == 6) {
		l = ((uint32_t)ip[4] << 8 | ip[5]) + sizeof(struct rte_ipv6_hdr);
		*family = WG_AF_INET6;
	} else {
		*reason = WG_DROP_INNER_BAD_TYPE;
		return false;
	}
	if (l > plen)
		return false;
	*len = (uint16_t)l;
	return true;
}

/* RFC 6040 decapsulation, as Linux INET_ECN_decapsulate() as WireGuard uses it. */
static void
ecn_decap(uint8_t *ip, uint8_t family, uint8_t outer)
{
	uint8_t inner = family == WG_AF_INET ? ip[1] & ECN_MASK :
					       (ip[1] >> 4) & ECN_MASK;
	uint8_t want = inner;
	uint32_t sum;
	uint16_t old, cks;

	if (inner == ECN_NOT_ECT)
		return;
	if (outer == ECN_CE)
		want = ECN_CE;
	else if (outer == ECN_ECT_1 && inner == ECN_ECT_0)
		want = ECN_ECT_1;
	if (want == inner)
		return;
	if (family == WG_AF_INET6) {
		ip[1] = (uint8_t)((ip[1] & ~(ECN_MASK << 4)) | want << 4);
		return;
	}
	/* RFC 1624 incremental update of the header checksum. */
	old = (uint16_t)(ip[0] << 8 | ip[1]);
	ip[1] = (uint8_t)((ip[1] & ~ECN_MASK) | want);
	cks = (uint16_t)(ip[10] << 8 | ip[11]);
	sum = (uint16_t)~cks + (uint32_t)(uint16_t)~old + (uint16_t)(ip[0] << 8 | ip[1]);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	cks = (uint16_t)~sum;
	ip[10] = (uint8_t)(cks >> 8);
	ip[11] = (uint8_t)cks;
}

static void
peer_rx_count(struct wg_dp_worker *w, uint32_t id, uint32_t msg_len, bool data)
{
	struct wg_dp_peer_ctr *c = &w->peer_ctr[id];

	c->rx_packets++;
	c->rx_bytes += msg_len;
	if (data) {
		c->last_data_rx_tsc = w->now;
		dp_peer_watch_hit(w, &w->dp->peers[id], id, WG_DP_WATCH_DATA_RX);
	}
}

/*
 * Steps 4-5 for one opened packet. Returns true if it goes on to the
 * source check with its inner packet described in b.
 */
static bool
dec_accept(struct wg_dp_worker *w, struct rte_mbuf *m, struct dec_burst *b,
	   uint16_t i, struct dp_lookup *lk, uint16_t k)
{
	struct wg_dp_keypair *kp = b->kp[i];
	struct wg_dp_peer *p = &w->dp->peers[kp->peer_id];
	uint8_t *ip = b->op[i].data;
	uint8_t reason;

	if (unlikely(b->verdict[i] != WG_DP_PASS)) {
		dp_drop(w, m, b->verdict[i]);
		return false;
	}
	w->st.decrypted++;
	w->peer_ctr[kp->peer_id].last_rx_tsc = w->now;
	if (unlikely(b->roam[i]))
		roam(w, p, kp->peer_id, m);
	session_hints(w, p, kp);
	if (b->op[i].len == 0) {
		w->st.keepalives_rx++;
		peer_rx_count(w, kp->peer_id, MESSAGE_MINIMUM_LENGTH, false);
		dp_consume(w, m);
		return false;
	}
	if (unlikely(!inner_check(ip, b->op[i].len, &b->family[i],
				  &b->inner_len[i], &reason))) {
		dp_drop(w, m, reason);
		return false;
	}
	ecn_decap(ip, b->family[i], b->ecn[i]);
	if (b->family[i] == WG_AF_INET)
		dp_lookup_add4(lk, k, ip + offsetof(struct rte_ipv4_hdr, src_addr));
	else
		dp_lookup_add6(lk, k, ip + offsetof(struct rte_ipv6_hdr, src_addr));
	return true;
}

/* Step 6: the plaintext becomes a frame to the clear port's next hop. */
static void
dec_deliver(struct wg_dp_worker *w, struct rte_mbuf *m, const struct wg_crypto_op *op,
	    uint8_t family, uint16_t inner_len)
{
	const struct wg_dp_port *c = &w->dp->port[WG_DP_PORT_CLEAR];
	struct rte_ether_hdr *eth;
	uint16_t start = (uint16_t)(op->data - rte_pktmbuf_mtod(m, uint8_t *)) -
			 WG_DP_ETH_LEN;

	rte_pktmbuf_adj(m, start);
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - WG_DP_ETH_LEN - inner_len));
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(&w->dst_mac[WG_DP_PORT_CLEAR], &eth->dst_addr);
	rte_ether_addr_copy(&c->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(family == WG_AF_INET ?
					   RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	m->ol_flags = 0;
	m->packet_type = 0;
	dp_txbuf_add_nexthop(w, WG_DP_PORT_CLEAR, m);
}

void
dp_decrypt_burst(struct wg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct dec_burst b;
	struct dp_lookup lk;
	uint16_t i, k = 0, pos[WG_DP_BURST];
	uint32_t id;

	n = dec_open(w, pkts, n, &b);
	dp_replay_check(b.kp, b.op, b.ok, b.verdict, n);
	lk.n4 = lk.n6 = 0;
	for (i = 0; i < n; i++) {
		if (i + WG_DP_PREFETCH < n)
			rte_prefetch0(b.op[i + WG_DP_PREFETCH].data);
		if (dec_accept(w, pkts[i], &b, i, &lk, k))
			pos[k++] = i;
	}
	if (k == 0)
		return;
	dp_lookup_run(w->dp, &lk, b.src_peer);
	for (i = 0; i < k; i++) {
		uint16_t j = pos[i];

		id = b.kp[j]->peer_id;
		if (unlikely(b.src_peer[i] != id)) {
			dp_drop(w, pkts[j], WG_DROP_INNER_BAD_SRC);
			continue;
		}
		peer_rx_count(w, id, wg_message_data_len(b.op[j].len), true);
		dec_deliver(w, pkts[j], &b.op[j], b.family[j], b.inner_len[j]);
	}
}
