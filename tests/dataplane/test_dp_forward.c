/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Two gateways back to back on net_ring ports, a session set up with
 * lib/noise through the dataplanes' handshake path:
 * - every inner size, IPv4 20..1420 and IPv6 40..1420 (the smallest valid
 *   header up to the tunnel MTU), goes in at one gateway's clear port and
 *   comes out of the other's byte for byte, both ways, with one and with
 *   two workers (two queues: a peer's packets on both, which without RSS
 *   takes the locked replay window);
 * - the outer packets a gateway emits are checked field by field and opened
 *   with lib/transport's reference wg_transport_open(), over IPv4 and IPv6.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_mbuf.h>

#include "harness.h"
#include "transport.h"

enum {
	BATCH = 16,
	FRAME_MAX = 1600
};

struct expect {
	uint16_t len;
	uint8_t ip[FRAME_MAX];
};

/* What a batch is expected to produce, per queue, in order. */
static struct expect exp_q[H_MAXQ][BATCH];
static unsigned int exp_n[H_MAXQ];

/* The wire check: the keypair that sealed, and its next counter. */
struct wire {
	const struct wg_noise_keypair *kp;
	uint64_t counter;
};

TestSuite(forward, .init = h_setup, .fini = h_teardown);

static void
pair_start(unsigned int nq, bool outer_v6, struct h_session *s,
	   uint32_t *peer_b_on_a, uint32_t *peer_a_on_b)
{
	h_gw_init(&h_a, "gwA", 1, nq);
	h_gw_init(&h_b, "gwB", 2, nq);
	h_gw_join(&h_a, &h_b);
	h_gw_start(&h_a);
	h_gw_start(&h_b);
	*peer_b_on_a = h_peer_for(&h_a, &h_b, outer_v6);
	*peer_a_on_b = h_peer_for(&h_b, &h_a, outer_v6);
	h_handshake(&h_a, *peer_b_on_a, &h_b, *peer_a_on_b, s, 0, 0);
}

static uint16_t
csum_fold(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ethernet, IP and UDP of an outer frame from src to dst; the IP length. */
static uint16_t
check_outer_headers(const struct h_gw *src, const struct h_gw *dst,
		    const uint8_t *f, uint16_t flen, uint8_t inner_ecn)
{
	const uint8_t *ip = f + 14, *udp;
	uint16_t hl, ulen;
	uint32_t sum;

	cr_assert(memcmp(f, src->outer_nh.addr_bytes, 6) == 0, "outer next hop");
	cr_assert(memcmp(f + 6, src->outer_mac.addr_bytes, 6) == 0, "outer source MAC");
	if (be16(f + 12) == RTE_ETHER_TYPE_IPV4) {
		hl = 20;
		cr_assert_eq(ip[0], 0x45);
		cr_assert_eq(be16(ip + 2), flen - 14, "IPv4 total length");
		cr_assert_eq(csum_fold(ip, 20, 0), 0xffff, "IPv4 header checksum");
		cr_assert_eq(be16(ip + 6) & 0x3fff, 0, "not a fragment");
		cr_assert(ip[8] > 0 && ip[9] == 17);
		cr_assert_eq(ip[1] & 3, inner_ecn, "outer ECN");
		cr_assert(memcmp(ip + 12, src->ep4.addr.v4, 4) == 0);
		cr_assert(memcmp(ip + 16, dst->ep4.addr.v4, 4) == 0);
		sum = csum_fold(ip + 12, 8, 0) + 17u;
	} else {
		hl = 40;
		cr_assert_eq(be16(f + 12), RTE_ETHER_TYPE_IPV6);
		cr_assert_eq(ip[0] >> 4, 6);
		cr_assert_eq((ip[1] >> 4) & 3, inner_ecn, "outer ECN");
		cr_assert_eq(be16(ip + 4), flen - 54, "IPv6 payload length");
		cr_assert(ip[6] == 17 && ip[7] > 0);
		cr_assert(memcmp(ip + 8, src->ep6.addr.v6, 16) == 0);
		cr_assert(memcmp(ip + 24, dst->ep6.addr.v6, 16) == 0);
		sum = csum_fold(ip + 8, 32, 0) + 17u;
	}
	udp = ip + hl;
	ulen = be16(udp + 4);
	cr_assert_eq(be16(udp), src->ep4.port, "UDP source port");
	cr_assert_eq(be16(udp + 2), dst->ep4.port, "UDP destination port");
	cr_assert_eq(ulen, flen - 14 - hl, "UDP length");
	/* IPv4 may leave the checksum out (0); IPv6 may not. */
	if (hl == 40 || be16(udp + 6) != 0)
		cr_assert_eq(csum_fold(udp, ulen, sum + ulen), 0xffff, "UDP checksum");
	return hl;
}

static uint8_t
ecn_of(const uint8_t *ip)
{
	uint8_t e = (ip[0] >> 4) == 4 ? ip[1] & 3 : (ip[1] >> 4) & 3;

	return e == 3 ? 2 : e;		/* CE is sent as ECT(0) */
}

/* The reference check of one outer frame against the packet it carries. */
static void
check_wire(const struct h_gw *src, const struct h_gw *dst, struct wire *w,
	   const uint8_t *f, uint16_t flen, const struct expect *e)
{
	static uint8_t msg[FRAME_MAX];
	uint16_t off = 14 + check_outer_headers(src, dst, f, flen, ecn_of(e->ip)) + 8;
	size_t mlen = flen - off, padded;
	uint32_t idx;
	uint64_t counter;
	long r;

	memcpy(msg, f + off, mlen);
	cr_assert_eq(msg[0], MESSAGE_DATA);
	cr_assert(msg[1] == 0 && msg[2] == 0 && msg[3] == 0, "reserved bytes zero");
	memcpy(&idx, msg + 4, 4);
	cr_assert_eq(wg_le32(idx), w->kp->remote_index, "receiver index");
	r = wg_transport_open(msg, mlen, w->kp->sending_key, &counter);
	padded = wg_transport_padded_len(e->len, H_MTU);
	cr_assert_eq(r, (long)padded, "padded length %ld for %u bytes", r, e->len);
	cr_assert_eq(counter, w->counter, "counter");
	w->counter++;
	cr_assert(memcmp(msg + 16, e->ip, e->len) == 0, "plaintext");
	for (size_t i = e->len; i < padded; i++)
		cr_assert_eq(msg[16 + i], 0, "padding is zeros");
}

static void
enqueue_packet(struct h_gw *src, const struct h_gw *dst, bool v6, uint16_t len,
	       uint32_t seed, unsigned int q)
{
	struct expect *e = &exp_q[q][exp_n[q]++];
	uint8_t s[16], d[16];
	struct rte_mbuf *m;

	if (v6) {
		h_lan6(src, 10, s);
		h_lan6(dst, 20, d);
		m = h_inner6(src, s, d, len, seed);
	} else {
		h_lan4(src, 10, s);
		h_lan4(dst, 20, d);
		m = h_inner4(src, s, d, len, seed);
	}
	e->len = len;
	memcpy(e->ip, rte_pktmbuf_mtod_offset(m, uint8_t *, 14), len);
	h_ring_put(src->clear_rx[q], &m, 1);
}

/* Optionally checks src's outer frames on the wire, then lets dst have them. */
static void
wire_pass(struct h_gw *src, struct h_gw *dst, struct wire *w)
{
	static uint8_t f[FRAME_MAX];
	struct rte_mbuf *m[BATCH];
	unsigned int q, n, i;

	for (q = 0; q < src->nq; q++) {
		n = h_ring_take(src->outer_tx[q], m, BATCH);
		cr_assert_eq(n, exp_n[q], "queue %u: %u frames for %u packets",
			     q, n, exp_n[q]);
		for (i = 0; w != NULL && i < n; i++)
			check_wire(src, dst, w, f, h_copy(m[i], f, sizeof(f)),
				   &exp_q[q][i]);
		h_ring_put(src->outer_tx[q], m, n);
	}
}

static void
check_delivered(struct h_gw *dst)
{
	struct rte_mbuf *m[BATCH];
	const uint8_t *p;
	unsigned int q, n, i;

	for (q = 0; q < dst->nq; q++) {
		n = h_ring_take(dst->clear_tx[q], m, BATCH);
		cr_assert_eq(n, exp_n[q], "queue %u delivered %u of %u", q, n, exp_n[q]);
		for (i = 0; i < n; i++) {
			const struct expect *e = &exp_q[q][i];

			p = rte_pktmbuf_mtod(m[i], const uint8_t *);
			cr_assert_eq(m[i]->data_len, 14 + e->len, "frame length");
			cr_assert(memcmp(p, dst->clear_nh.addr_bytes, 6) == 0);
			cr_assert(memcmp(p + 6, dst->clear_mac.addr_bytes, 6) == 0);
			cr_assert_eq(be16(p + 12), (e->ip[0] >> 4) == 4 ?
				     RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
			cr_assert(memcmp(p + 14, e->ip, e->len) == 0,
				  "inner packet of %u bytes byte for byte", e->len);
		}
		rte_pktmbuf_free_bulk(m, n);
		exp_n[q] = 0;
	}
}

/* Every size lo..hi from src to dst, BATCH at a time over all queues. */
static void
run_sizes(struct h_gw *src, struct h_gw *dst, bool v6, uint16_t lo, uint16_t hi,
	  struct wire *w)
{
	unsigned int len = lo, i;

	while (len <= hi) {
		for (i = 0; i < BATCH && len <= hi; i++, len++)
			enqueue_packet(src, dst, v6, (uint16_t)len, len * 2654435761u,
				       len % src->nq);
		h_poll(src);
		wire_pass(src, dst, w);
		h_poll(dst);
		check_delivered(dst);
		cr_assert(h_gw_tx_empty(src) && h_gw_tx_empty(dst), "nothing else sent");
	}
}

static void
check_clean(const struct h_gw *g, uint64_t decrypted, uint64_t encrypted)
{
	struct wg_dp_stats st;

	h_stats(g, &st);
	cr_assert_eq(wg_dp_drops_total(&st), 0, "%s dropped nothing", g->name);
	cr_assert_eq(st.decrypted, decrypted, "%s decrypted", g->name);
	cr_assert_eq(st.encrypted, encrypted, "%s encrypted", g->name);
	cr_assert_eq(st.clear_tx_packets, decrypted);
}

static void
forward_all_sizes(unsigned int nq)
{
	struct h_session s;
	struct wg_dp_peer_stats ps;
	uint32_t pb, pa;
	const uint64_t n = (1420 - 20 + 1) + (1420 - 40 + 1);

	pair_start(nq, false, &s, &pb, &pa);
	/* A (initiator) first: its data confirms B's next keypair. */
	run_sizes(&h_a, &h_b, false, 20, 1420, NULL);
	run_sizes(&h_a, &h_b, true, 40, 1420, NULL);
	run_sizes(&h_b, &h_a, false, 20, 1420, NULL);
	run_sizes(&h_b, &h_a, true, 40, 1420, NULL);
	check_clean(&h_a, n, n);
	check_clean(&h_b, n, n);
	cr_assert(wg_dp_peer_stats_get(h_b.dp, pa, &ps) == 0);
	cr_assert_eq(ps.rx_packets, n);
	cr_assert_eq(ps.tx_packets, n);
	cr_assert(ps.last_rx_ns != 0 && ps.last_tx_ns != 0);
}

H_TEST(forward, all_sizes_one_worker, .timeout = 60)
{
	forward_all_sizes(1);
}

H_TEST(forward, all_sizes_two_workers, .timeout = 60)
{
	forward_all_sizes(2);
	cr_assert(!wg_dp_outer_rss(h_a.dp), "net_ring has no RSS");
}

static void
wire_format(bool outer_v6)
{
	struct h_session s;
	struct wire wa, wb;
	uint32_t pb, pa;

	pair_start(1, outer_v6, &s, &pb, &pa);
	wa.kp = &s.ini;
	wa.counter = 0;
	wb.kp = &s.resp;
	wb.counter = 0;
	run_sizes(&h_a, &h_b, false, 20, 1420, &wa);
	run_sizes(&h_a, &h_b, true, 40, 1420, &wa);
	run_sizes(&h_b, &h_a, true, 40, 1420, &wb);
	run_sizes(&h_b, &h_a, false, 20, 1420, &wb);
}

H_TEST(forward, wire_format_outer_ipv4, .timeout = 60)
{
	wire_format(false);
}

H_TEST(forward, wire_format_outer_ipv6, .timeout = 60)
{
	wire_format(true);
}
