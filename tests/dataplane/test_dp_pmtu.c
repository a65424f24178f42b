/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Path MTU, both ways.
 *
 * Clear side: a packet larger than the tunnel MTU is answered, as a Linux
 * gateway forwarding into wg0 answers it, with ICMP "fragmentation needed"
 * (IPv4, DF set) or ICMPv6 "packet too big", from the clear port's address
 * to the sender, out of the clear port to its next hop; checksums, quoted
 * bytes and the MTU are checked byte by byte, nothing leaves the outer port,
 * and the rate limit holds.
 *
 * Outer side: a data message A sends B is cut into IPv4 or IPv6 fragments
 * here and fed to B in order, out of order, duplicated, overlapping, or
 * incomplete: B delivers the very inner packet A took in, or drops and
 * counts every fragment (a datagram left incomplete when its timeout
 * passes), and no mbuf stays in use.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_mbuf.h>

#include "harness.h"

enum {
	FRAME_MAX = 2048,
	ETH = 14,
	NFRAG_MAX = 8
};

struct frame {
	uint16_t len;
	uint8_t b[FRAME_MAX];
};

static struct h_session sess;
static uint32_t peer_b_on_a, peer_a_on_b;

TestSuite(pmtu, .init = h_setup, .fini = h_teardown);

static void
pair_start(bool outer_v6, uint32_t icmp_burst, uint32_t frag_timeout_ms)
{
	h_gw_init(&h_a, "gwA", 1, 1);
	h_gw_init(&h_b, "gwB", 2, 1);
	h_gw_join(&h_a, &h_b);
	h_a.icmp_burst = icmp_burst;
	h_a.icmp_rate = icmp_burst != 0 ? 1 : 0;
	h_b.frag_timeout_ms = frag_timeout_ms;
	h_gw_start(&h_a);
	h_gw_start(&h_b);
	peer_b_on_a = h_peer_for(&h_a, &h_b, outer_v6);
	peer_a_on_b = h_peer_for(&h_b, &h_a, outer_v6);
	h_handshake(&h_a, peer_b_on_a, &h_b, peer_a_on_b, &sess, 0, 0);
}

static uint16_t
csum16(const uint8_t *p, size_t n, uint32_t sum)
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
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
ip4_csum_fix(uint8_t *ip)
{
	ip[10] = ip[11] = 0;
	put16(ip + 10, (uint16_t)~csum16(ip, (size_t)(ip[0] & 0xf) * 4, 0));
}

/* Sets or clears DF on an IPv4 frame built by h_inner4. */
static void
set_df(struct rte_mbuf *m, bool df)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, ETH);

	ip[6] = df ? 0x40 : 0;
	ip[7] = 0;
	ip4_csum_fix(ip);
}

/* The one frame on A's clear TX queue, copied out; none on the outer side. */
static void
take_error(struct frame *e, unsigned int expect)
{
	struct rte_mbuf *m[4];
	unsigned int n;

	n = h_ring_take(h_a.clear_tx[0], m, RTE_DIM(m));
	cr_assert_eq(n, expect, "%u frames out of the clear port, %u expected",
		     n, expect);
	if (n == 1) {
		e->len = h_copy(m[0], e->b, FRAME_MAX);
		rte_pktmbuf_free(m[0]);
	}
	cr_assert_eq(rte_ring_count(h_b.outer_rx[0]), 0,
		     "nothing leaves the outer port");
	cr_assert(h_gw_tx_empty(&h_a));
}

static void
expect_eth(const struct frame *e, uint16_t type)
{
	cr_assert(memcmp(e->b, h_a.clear_nh.addr_bytes, 6) == 0, "to the next hop");
	cr_assert(memcmp(e->b + 6, h_a.clear_mac.addr_bytes, 6) == 0, "from the port");
	cr_assert_eq(get16(e->b + 12), type);
}

H_TEST(pmtu, icmp4_frag_needed)
{
	uint8_t src[4], dst[4], orig[1500], me[4];
	struct wg_dp_stats st;
	struct rte_mbuf *m;
	struct frame e;
	const uint8_t *ip, *icmp;

	pair_start(false, 0, 0);
	h_lan4(&h_a, 10, src);
	h_lan4(&h_b, 20, dst);
	h_lan4(&h_a, 1, me);
	m = h_inner4(&h_a, src, dst, 1500, 7);
	set_df(m, true);
	memcpy(orig, rte_pktmbuf_mtod_offset(m, uint8_t *, ETH), sizeof(orig));
	h_ring_put(h_a.clear_rx[0], &m, 1);
	h_poll(&h_a);
	take_error(&e, 1);
	expect_eth(&e, RTE_ETHER_TYPE_IPV4);
	ip = e.b + ETH;
	cr_assert_eq(ip[0], 0x45);
	cr_assert_eq(csum16(ip, 20, 0), 0xffff, "IPv4 header checksum");
	cr_assert_eq(get16(ip + 2), 576, "an error of 576 bytes, as Linux");
	cr_assert_eq(e.len, ETH + 576);
	cr_assert_eq(ip[9], 1, "ICMP");
	cr_assert(memcmp(ip + 12, me, 4) == 0, "from the clear port's address");
	cr_assert(memcmp(ip + 16, src, 4) == 0, "to the sender");
	icmp = ip + 20;
	cr_assert_eq(icmp[0], 3);
	cr_assert_eq(icmp[1], 4);
	cr_assert_eq(get16(icmp + 4), 0, "unused");
	cr_assert_eq(get16(icmp + 6), H_MTU, "next-hop MTU");
	cr_assert_eq(csum16(icmp, 576 - 20, 0), 0xffff, "ICMP checksum");
	cr_assert(memcmp(icmp + 8, orig, 576 - 28) == 0, "quotes the packet");
	h_stats(&h_a, &st);
	cr_assert_eq(st.icmp_sent, 1);
	cr_assert_eq(st.drops[WG_DROP_CLEAR_TOO_BIG], 1);
	cr_assert_eq(st.encrypted, 0);

	/* DF clear: dropped (see dataplane/icmp.c), no error. */
	m = h_inner4(&h_a, src, dst, 1500, 8);
	set_df(m, false);
	h_ring_put(h_a.clear_rx[0], &m, 1);
	h_poll(&h_a);
	take_error(&e, 0);
	h_stats(&h_a, &st);
	cr_assert_eq(st.icmp_sent, 1);
	cr_assert_eq(st.drops[WG_DROP_CLEAR_TOO_BIG], 2);

	/* At the MTU, it goes through the tunnel as before. */
	m = h_inner4(&h_a, src, dst, H_MTU, 9);
	set_df(m, true);
	h_ring_put(h_a.clear_rx[0], &m, 1);
	h_poll(&h_a);
	h_stats(&h_a, &st);
	cr_assert_eq(st.encrypted, 1);
	cr_assert_eq(st.icmp_sent, 1);
	h_ring_free(h_b.outer_rx[0]);

	/* An ICMP error, however large, is never answered. */
	m = h_inner4(&h_a, src, dst, 1500, 10);
	ip = rte_pktmbuf_mtod_offset(m, uint8_t *, ETH);
	((uint8_t *)ip)[9] = 1;			/* ICMP */
	((uint8_t *)ip)[20] = 11;		/* time exceeded */
	set_df(m, true);
	h_ring_put(h_a.clear_rx[0], &m, 1);
	h_poll(&h_a);
	take_error(&e, 0);
	h_stats(&h_a, &st);
	cr_assert_eq(st.icmp_sent + st.icmp_ratelimited + st.icmp_unsent, 1);
	cr_assert_eq(st.drops[WG_DROP_CLEAR_TOO_BIG], 3);
}

H_TEST(pmtu, icmp6_packet_too_big)
{
	uint8_t src[16], dst[16], me[16], orig[1500];
	struct wg_dp_stats st;
	struct rte_mbuf *m;
	struct frame e;
	const uint8_t *ip, *icmp;
	uint32_t sum;
	uint16_t plen;

	pair_start(false, 0, 0);
	h_lan6(&h_a, 10, src);
	h_lan6(&h_b, 20, dst);
	h_lan6(&h_a, 1, me);
	m = h_inner6(&h_a, src, dst, 1500, 7);
	memcpy(orig, rte_pktmbuf_mtod_offset(m, uint8_t *, ETH), sizeof(orig));
	h_ring_put(h_a.clear_rx[0], &m, 1);
	h_poll(&h_a);
	take_error(&e, 1);
	expect_eth(&e, RTE_ETHER_TYPE_IPV6);
	ip = e.b + ETH;
	plen = get16(ip + 4);
	cr_assert_eq(ip[0] >> 4, 6);
	cr_assert_eq(plen, 1280 - 40, "as much as fits in 1280 bytes");
	cr_assert_eq(e.len, ETH + 1280);
	cr_assert_eq(ip[6], 58, "ICMPv6");
	cr_assert(ip[7] > 0);
	cr_assert(memcmp(ip + 8, me, 16) == 0, "from the clear port's address");
	cr_assert(memcmp(ip + 24, src, 16) == 0, "to the sender");
	icmp = ip + 40;
	cr_assert_eq(icmp[0], 2);
	cr_assert_eq(icmp[1], 0);
	cr_assert_eq((uint32_t)get16(icmp + 4) << 16 | get16(icmp + 6), H_MTU, "MTU");
	sum = csum16(ip + 8, 32, 0) + plen + 58u;
	cr_assert_eq(csum16(icmp, plen, sum), 0xffff, "ICMPv6 checksum");
	cr_assert(memcmp(icmp + 8, orig, plen - 8) == 0, "quotes the packet");
	h_stats(&h_a, &st);
	cr_assert_eq(st.icmp_sent, 1);
	cr_assert_eq(st.drops[WG_DROP_CLEAR_TOO_BIG], 1);
	cr_assert_eq(st.encrypted, 0);
}

/* A bucket of 4 at 1 per second: a burst of 20 gets 4 answers (and one
 * more per second the poll takes), the rest are counted as suppressed. */
H_TEST(pmtu, icmp_rate_limited)
{
	uint8_t src[4], dst[4];
	struct rte_mbuf *m[20], *out[32];
	struct wg_dp_stats st;
	unsigned int i, n;

	pair_start(false, 4, 0);
	h_lan4(&h_a, 10, src);
	h_lan4(&h_b, 20, dst);
	for (i = 0; i < RTE_DIM(m); i++) {
		m[i] = h_inner4(&h_a, src, dst, 1500, i);
		set_df(m[i], true);
	}
	h_ring_put(h_a.clear_rx[0], m, RTE_DIM(m));
	h_poll(&h_a);
	h_stats(&h_a, &st);
	n = h_ring_take(h_a.clear_tx[0], out, RTE_DIM(out));
	rte_pktmbuf_free_bulk(out, n);
	cr_assert_eq(n, st.icmp_sent, "every error counted went out");
	cr_assert(st.icmp_sent >= 4, "the bucket's depth is sent: %lu",
		  (unsigned long)st.icmp_sent);
	cr_assert(st.icmp_ratelimited >= 1, "and the rest suppressed");
	cr_assert_eq(st.icmp_sent + st.icmp_ratelimited, RTE_DIM(m));
	cr_assert_eq(st.drops[WG_DROP_CLEAR_TOO_BIG], RTE_DIM(m));
	cr_assert_eq(rte_ring_count(h_b.outer_rx[0]), 0);
}

/* ---- Outer reassembly ---- */

/* The outer frame A sends B for one inner packet; the inner bytes too. */
static void
capture(bool v6, uint16_t inner_len, struct frame *outer, struct frame *inner)
{
	uint8_t s4[4], d4[4], s6[16], d6[16];
	struct rte_mbuf *m;

	h_lan4(&h_a, 10, s4);
	h_lan4(&h_b, 20, d4);
	h_lan6(&h_a, 10, s6);
	h_lan6(&h_b, 20, d6);
	m = v6 ? h_inner6(&h_a, s6, d6, inner_len, 3) : h_inner4(&h_a, s4, d4, inner_len, 3);
	inner->len = h_copy(m, inner->b, FRAME_MAX);
	h_ring_put(h_a.clear_rx[0], &m, 1);
	h_poll(&h_a);
	cr_assert_eq(h_ring_take(h_b.outer_rx[0], &m, 1), 1, "A sent the frame");
	outer->len = h_copy(m, outer->b, FRAME_MAX);
	rte_pktmbuf_free(m);
}

/*
 * Cuts an outer frame's IP payload at cuts[0] = 0 < ... < cuts[n] = end
 * (multiples of 8) into n fragments, as a router on the path would. *end
 * gets the payload's length when cuts[n] is 0.
 */
static unsigned int
fragment(const struct frame *f, uint16_t *cuts, unsigned int n, struct frame *out)
{
	bool v6 = get16(f->b + 12) == RTE_ETHER_TYPE_IPV6;
	uint16_t hl = v6 ? 40 : 20, end = (uint16_t)(f->len - ETH - hl);
	const uint8_t *pay = f->b + ETH + hl;
	unsigned int i;

	if (cuts[n] == 0)
		cuts[n] = end;
	for (i = 0; i < n; i++) {
		uint16_t len = (uint16_t)(cuts[i + 1] - cuts[i]), off = cuts[i];
		uint8_t *ip = out[i].b + ETH, *data;
		bool more = i + 1 < n;

		memcpy(out[i].b, f->b, ETH + hl);
		if (!v6) {
			put16(ip + 2, (uint16_t)(hl + len));
			put16(ip + 6, (uint16_t)((more ? 0x2000 : 0) | off / 8));
			ip4_csum_fix(ip);
			data = ip + hl;
		} else {
			uint8_t *fh = ip + 40;

			put16(ip + 4, (uint16_t)(8 + len));
			fh[0] = ip[6];
			ip[6] = 44;
			fh[1] = 0;
			put16(fh + 2, (uint16_t)(off | (more ? 1 : 0)));
			memcpy(fh + 4, "\x12\x34\x56\x78", 4);
			data = fh + 8;
		}
		memcpy(data, pay + off, len);
		out[i].len = (uint16_t)(data + len - out[i].b);
	}
	return n;
}

static void
inject(const struct frame *f)
{
	struct rte_mbuf *m = h_frame(&h_b, f->b, f->len);

	h_ring_put(h_b.outer_rx[0], &m, 1);
}

/* B delivers exactly `inner` on its clear port, nothing else. */
static void
expect_delivered(const struct frame *inner)
{
	struct rte_mbuf *m[4];
	struct frame got;
	unsigned int n;

	n = h_ring_take(h_b.clear_tx[0], m, RTE_DIM(m));
	cr_assert_eq(n, 1, "B delivered %u packets, 1 expected", n);
	got.len = h_copy(m[0], got.b, FRAME_MAX);
	rte_pktmbuf_free(m[0]);
	cr_assert_eq(got.len, inner->len, "length %u, sent %u", got.len, inner->len);
	cr_assert(memcmp(got.b + ETH, inner->b + ETH, inner->len - ETH) == 0,
		  "the inner packet byte for byte");
	cr_assert(h_gw_tx_empty(&h_b));
}

/* Feeds the fragments in the order given; checks the outcome. */
static void
feed(const struct frame *fr, const unsigned int *order, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		inject(&fr[order[i]]);
	h_poll(&h_b);
}

static void
reassembly_case(bool v6)
{
	static const unsigned int in_order[] = { 0, 1, 2 }, reverse[] = { 2, 1, 0 },
		mixed[] = { 1, 2, 0 };
	const unsigned int *orders[] = { in_order, reverse, mixed };
	struct frame outer, inner, fr[NFRAG_MAX];
	uint16_t cuts[] = { 0, 400, 808, 0 };
	struct wg_dp_stats st;
	unsigned int k;

	pair_start(v6, 0, 0);
	for (k = 0; k < RTE_DIM(orders); k++) {
		capture(v6, 1200, &outer, &inner);
		cuts[3] = 0;
		fragment(&outer, cuts, 3, fr);
		feed(fr, orders[k], 3);
		expect_delivered(&inner);
	}
	h_stats(&h_b, &st);
	cr_assert_eq(st.frags_rx, 9);
	cr_assert_eq(st.reassembled, 3);
	cr_assert_eq(st.decrypted, 3);
	cr_assert_eq(wg_dp_drops_total(&st), 0);
}

H_TEST(pmtu, reassembly_ipv4)
{
	reassembly_case(false);
}

H_TEST(pmtu, reassembly_ipv6)
{
	reassembly_case(true);
}

/*
 * What rte_ip_frag refuses, it refuses whole: a duplicated or overlapping
 * fragment makes the sizes disagree, and every fragment of the datagram is
 * dropped and counted. Then a clean datagram still goes through.
 */
static void
refused_case(bool v6)
{
	static const unsigned int dup[] = { 0, 1, 1, 2 };
	struct frame outer, inner, fr[NFRAG_MAX], over[NFRAG_MAX];
	uint16_t cuts[] = { 0, 400, 808, 0 };
	struct wg_dp_stats before, after;
	unsigned int i;

	pair_start(v6, 0, 0);
	/* Duplicated middle fragment. */
	capture(v6, 1200, &outer, &inner);
	fragment(&outer, cuts, 3, fr);
	h_stats(&h_b, &before);
	feed(fr, dup, 4);
	h_stats(&h_b, &after);
	cr_assert_eq(after.drops[WG_DROP_OUTER_FRAGMENT] -
		     before.drops[WG_DROP_OUTER_FRAGMENT], 4);
	cr_assert_eq(after.reassembled, before.reassembled);
	cr_assert(h_gw_tx_empty(&h_b), "nothing delivered");

	/* Overlapping: the second fragment reaches 8 bytes into the third. */
	capture(v6, 1200, &outer, &inner);
	fragment(&outer, (uint16_t[]){ 0, 400, 808, 0 }, 3, fr);
	fragment(&outer, (uint16_t[]){ 0, 400, 816, 0 }, 3, over);
	fr[1] = over[1];
	h_stats(&h_b, &before);
	for (i = 0; i < 3; i++)
		inject(&fr[i]);
	h_poll(&h_b);
	h_stats(&h_b, &after);
	cr_assert_eq(after.drops[WG_DROP_OUTER_FRAGMENT] -
		     before.drops[WG_DROP_OUTER_FRAGMENT], 3);
	cr_assert_eq(after.reassembled, before.reassembled);
	cr_assert(h_gw_tx_empty(&h_b), "nothing delivered");

	/* The table is clean again. */
	capture(v6, 1200, &outer, &inner);
	cuts[3] = 0;
	fragment(&outer, cuts, 3, fr);
	feed(fr, (const unsigned int[]){ 0, 1, 2 }, 3);
	expect_delivered(&inner);
}

H_TEST(pmtu, refused_ipv4)
{
	refused_case(false);
}

H_TEST(pmtu, refused_ipv6)
{
	refused_case(true);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Two of three fragments, then nothing: dropped and counted at the timeout. */
static void
timeout_case(bool v6)
{
	struct frame outer, inner, fr[NFRAG_MAX];
	uint16_t cuts[] = { 0, 400, 808, 0 };
	uint64_t deadline;
	struct wg_dp_stats st;

	pair_start(v6, 0, 50);
	capture(v6, 1200, &outer, &inner);
	fragment(&outer, cuts, 3, fr);
	feed(fr, (const unsigned int[]){ 0, 2 }, 2);
	h_stats(&h_b, &st);
	cr_assert_eq(st.frags_rx, 2);
	cr_assert_eq(wg_dp_drops_total(&st), 0, "held, not dropped (yet)");
	deadline = mono_ms() + 20000;
	do {
		usleep(10000);
		h_poll(&h_b);
		h_stats(&h_b, &st);
	} while (st.drops[WG_DROP_FRAG_TIMEOUT] == 0 && mono_ms() < deadline);
	cr_assert_eq(st.drops[WG_DROP_FRAG_TIMEOUT], 2, "both fragments timed out");
	cr_assert_eq(st.reassembled, 0);
	cr_assert(h_gw_tx_empty(&h_b), "nothing delivered");
}

H_TEST(pmtu, timeout_ipv4)
{
	timeout_case(false);
}

H_TEST(pmtu, timeout_ipv6)
{
	timeout_case(true);
}

/*
 * A hostile sender: first fragments of 300 datagrams that never complete.
 * The table holds at most DP_FRAG_FLOWS (128) of them; the rest are refused
 * at once, and what was held goes at the timeout: every fragment counted,
 * no mbuf kept. Then a datagram too large for one mbuf is reassembled but
 * cannot be linearized: dropped as multiseg.
 */
H_TEST(pmtu, hostile_bounded)
{
	struct frame outer, inner, fr[NFRAG_MAX];
	uint16_t cuts[] = { 0, 400, 808, 0 };
	struct wg_dp_stats st;
	unsigned int i, base, in_use;
	uint64_t deadline;

	pair_start(false, 0, 200);
	capture(false, 1200, &outer, &inner);
	fragment(&outer, cuts, 3, fr);
	base = rte_mempool_in_use_count(wg_dp_mempool(h_b.dp));
	for (i = 0; i < 300; i++) {
		put16(fr[0].b + ETH + 4, (uint16_t)(0x1000 + i));	/* IP id */
		ip4_csum_fix(fr[0].b + ETH);
		inject(&fr[0]);
		if (i % 32 == 31)
			h_poll(&h_b);
	}
	h_poll(&h_b);
	h_stats(&h_b, &st);
	in_use = rte_mempool_in_use_count(wg_dp_mempool(h_b.dp));
	cr_assert_eq(st.frags_rx, 300);
	cr_assert(in_use <= base + 128, "%u mbufs held", in_use - base);
	cr_assert(st.drops[WG_DROP_OUTER_FRAGMENT] >= 300 - 128,
		  "refused: %lu", (unsigned long)st.drops[WG_DROP_OUTER_FRAGMENT]);
	deadline = mono_ms() + 20000;
	do {
		usleep(10000);
		h_poll(&h_b);
		h_stats(&h_b, &st);
	} while (st.drops[WG_DROP_OUTER_FRAGMENT] + st.drops[WG_DROP_FRAG_TIMEOUT] <
		 300 && mono_ms() < deadline);
	cr_assert_eq(st.drops[WG_DROP_OUTER_FRAGMENT] + st.drops[WG_DROP_FRAG_TIMEOUT],
		     300, "every fragment counted");
	cr_assert_eq(rte_mempool_in_use_count(wg_dp_mempool(h_b.dp)), base);

	/* 3 x 1000 bytes of UDP to our port: whole, it fits no mbuf. */
	for (i = 0; i < 3; i++) {
		uint8_t *ip = fr[i].b + ETH;

		fr[i] = fr[0];
		memset(ip + 20, 0x5a, 1000);
		put16(ip + 2, 20 + 1000);
		put16(ip + 4, 0x4242);
		put16(ip + 6, (uint16_t)((i < 2 ? 0x2000 : 0) | i * 1000 / 8));
		ip4_csum_fix(ip);
		fr[i].len = ETH + 20 + 1000;
	}
	put16(fr[0].b + ETH + 20 + 4, 3000);		/* UDP length */
	h_stats(&h_b, &st);
	feed(fr, (const unsigned int[]){ 0, 1, 2 }, 3);
	{
		struct wg_dp_stats after;

		h_stats(&h_b, &after);
		cr_assert_eq(after.reassembled - st.reassembled, 1);
		cr_assert_eq(after.drops[WG_DROP_MULTISEG] - st.drops[WG_DROP_MULTISEG], 1);
	}
	cr_assert(h_gw_tx_empty(&h_b));
}
