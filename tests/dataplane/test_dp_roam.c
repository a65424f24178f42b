/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Roaming: an authenticated data message from a new outer source (address
 * and port, either family) moves the peer's endpoint, and the gateway's
 * replies go there. Unauthenticated, replayed or header-corrupted packets
 * never move it.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_mbuf.h>

#include "harness.h"

enum {
	FRAME_MAX = 1600
};

struct frame {
	uint16_t len;
	uint8_t b[FRAME_MAX];
};

static struct h_session sess;
static uint32_t peer_b_on_a, peer_a_on_b;

TestSuite(roam, .init = h_setup, .fini = h_teardown);

static void
pair_start(void)
{
	h_gw_init(&h_a, "gwA", 1, 1);
	h_gw_init(&h_b, "gwB", 2, 1);
	h_gw_join(&h_a, &h_b);
	h_gw_start(&h_a);
	h_gw_start(&h_b);
	peer_b_on_a = h_peer_for(&h_a, &h_b, false);
	peer_a_on_b = h_peer_for(&h_b, &h_a, false);
	h_handshake(&h_a, peer_b_on_a, &h_b, peer_a_on_b, &sess, 0, 0);
}

/* One packet from src's LAN to dst's LAN, through src only: its outer frame. */
static void
emit(struct h_gw *src, struct h_gw *dst, struct frame *f, uint32_t seed)
{
	struct rte_mbuf *m;
	uint8_t s[4], d[4];

	h_lan4(src, 10, s);
	h_lan4(dst, 20, d);
	m = h_inner4(src, s, d, 120, seed);
	h_ring_put(src->clear_rx[0], &m, 1);
	h_poll(src);
	cr_assert_eq(h_ring_take(src->outer_tx[0], &m, 1), 1, "%s sent", src->name);
	f->len = h_copy(m, f->b, FRAME_MAX);
	rte_pktmbuf_free(m);
}

/* B's frame, as if it came from another IPv4 address and port. */
static void
resource4(struct frame *f, const uint8_t addr[4], uint16_t port)
{
	memcpy(f->b + 14 + 12, addr, 4);
	f->b[14 + 20] = (uint8_t)(port >> 8);
	f->b[14 + 21] = (uint8_t)port;
	h_outer_fix(f->b, f->len);
}

/* B's IPv4 frame rebuilt over IPv6 from addr/port to A's IPv6 address. */
static void
to_ipv6(struct frame *f, const uint8_t addr[16], uint16_t port)
{
	static struct frame n;
	uint16_t off = h_outer_msg_off(f->b), mlen = (uint16_t)(f->len - off);
	uint16_t ulen = (uint16_t)(8 + mlen);
	uint8_t *ip = n.b + 14, *udp = ip + 40;

	memset(&n, 0, sizeof(n));
	memcpy(n.b, f->b, 12);
	n.b[12] = 0x86;
	n.b[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = (uint8_t)(ulen >> 8);
	ip[5] = (uint8_t)ulen;
	ip[6] = 17;
	ip[7] = 64;
	memcpy(ip + 8, addr, 16);
	memcpy(ip + 24, h_a.ep6.addr.v6, 16);
	udp[0] = (uint8_t)(port >> 8);
	udp[1] = (uint8_t)port;
	udp[2] = (uint8_t)(WG_DEFAULT_PORT >> 8);
	udp[3] = (uint8_t)WG_DEFAULT_PORT;
	udp[4] = ip[4];
	udp[5] = ip[5];
	memcpy(udp + 8, f->b + off, mlen);
	n.len = (uint16_t)(14 + 40 + ulen);
	h_outer_fix(n.b, n.len);
	*f = n;
}

/* Gives A a frame; true if A delivered a packet from it. */
static bool
a_receives(const struct frame *f)
{
	struct rte_mbuf *m = h_frame(&h_a, f->b, f->len);
	unsigned int n;

	h_ring_put(h_a.outer_rx[0], &m, 1);
	h_poll(&h_a);
	n = h_ring_take(h_a.clear_tx[0], &m, 1);
	if (n != 0)
		rte_pktmbuf_free(m);
	return n != 0;
}

static void
expect_endpoint(const struct wg_endpoint *want)
{
	struct wg_endpoint ep;

	cr_assert(wg_dp_peer_get_endpoint(h_a.dp, peer_b_on_a, &ep) == 0);
	cr_assert(wg_endpoint_equal(&ep, want), "endpoint family %u port %u",
		  ep.family, ep.port);
}

H_TEST(roam, authenticated_packet_moves_the_endpoint)
{
	static const uint8_t new4[4] = { 10, 0, 0, 99 };
	struct wg_endpoint want = { .family = WG_AF_INET, .port = 40000 };
	struct wg_dp_stats st;
	struct frame a2b, b2a;
	struct rte_mbuf *m;

	pair_start();
	emit(&h_a, &h_b, &a2b, 1);		/* confirms B's keypair */
	m = h_frame(&h_b, a2b.b, a2b.len);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	h_ring_free(h_b.clear_tx[0]);
	emit(&h_b, &h_a, &b2a, 2);
	resource4(&b2a, new4, 40000);
	cr_assert(a_receives(&b2a), "A delivers it");
	memcpy(want.addr.v4, new4, 4);
	expect_endpoint(&want);
	h_stats(&h_a, &st);
	cr_assert_eq(st.roamed, 1);
	/* A's reply goes to the new place. */
	emit(&h_a, &h_b, &a2b, 3);
	cr_assert(memcmp(a2b.b + 14 + 16, new4, 4) == 0, "to the new address");
	cr_assert_eq(a2b.b[14 + 22] << 8 | a2b.b[14 + 23], 40000, "to the new port");
	/* The same source again is no roam. */
	emit(&h_b, &h_a, &b2a, 4);
	resource4(&b2a, new4, 40000);
	cr_assert(a_receives(&b2a));
	h_stats(&h_a, &st);
	cr_assert_eq(st.roamed, 1);
}

H_TEST(roam, across_address_families)
{
	static const uint8_t new6[16] = { 0xfd, [15] = 0x99 };
	struct wg_endpoint want = { .family = WG_AF_INET6, .port = 40001 };
	struct frame a2b, b2a;
	struct rte_mbuf *m;

	pair_start();
	emit(&h_a, &h_b, &a2b, 1);
	m = h_frame(&h_b, a2b.b, a2b.len);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	h_ring_free(h_b.clear_tx[0]);
	emit(&h_b, &h_a, &b2a, 2);
	to_ipv6(&b2a, new6, 40001);
	cr_assert(a_receives(&b2a), "A takes WireGuard over IPv6 too");
	memcpy(want.addr.v6, new6, 16);
	expect_endpoint(&want);
	emit(&h_a, &h_b, &a2b, 3);
	cr_assert_eq(a2b.b[12] << 8 | a2b.b[13], RTE_ETHER_TYPE_IPV6);
	cr_assert(memcmp(a2b.b + 14 + 24, new6, 16) == 0, "to the new address");
	cr_assert_eq(a2b.b[14 + 42] << 8 | a2b.b[14 + 43], 40001, "to the new port");
}

H_TEST(roam, unauthenticated_packets_never_move_it)
{
	static const uint8_t evil[4] = { 10, 0, 0, 66 };
	struct frame a2b, b2a, bad;
	struct rte_mbuf *m;
	uint16_t off;

	pair_start();
	emit(&h_a, &h_b, &a2b, 1);
	m = h_frame(&h_b, a2b.b, a2b.len);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	h_ring_free(h_b.clear_tx[0]);
	emit(&h_b, &h_a, &b2a, 2);
	cr_assert(a_receives(&b2a));		/* accepted from B's address */

	/* Tampered, from elsewhere. */
	bad = b2a;
	off = h_outer_msg_off(bad.b);
	bad.b[off + 20] ^= 1;
	resource4(&bad, evil, 666);
	cr_assert(!a_receives(&bad));
	/* Replayed (authentic, but seen), from elsewhere. */
	bad = b2a;
	resource4(&bad, evil, 666);
	cr_assert(!a_receives(&bad));
	/* Authentic and new, but its UDP checksum is wrong: the payload is
	 * fine, the addresses are not to be trusted. */
	emit(&h_b, &h_a, &bad, 3);
	resource4(&bad, evil, 666);
	bad.b[14 + 26] = 0x12;
	bad.b[14 + 27] = 0x34;
	cr_assert(a_receives(&bad), "delivered");
	expect_endpoint(&h_b.ep4);
	cr_assert_eq(h_drop(&h_a, WG_DROP_AUTH_FAILED), 1);
	cr_assert_eq(h_drop(&h_a, WG_DROP_REPLAY), 1);
	cr_assert(h_gw_tx_empty(&h_a), "A answered nothing");
}

H_TEST(roam, listen_port_change_is_followed_by_roaming)
{
	struct frame a2b, b2a;
	struct rte_mbuf *m;

	pair_start();
	emit(&h_a, &h_b, &a2b, 1);
	m = h_frame(&h_b, a2b.b, a2b.len);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	h_ring_free(h_b.clear_tx[0]);
	cr_assert(wg_dp_set_listen_port(h_b.dp, 51999) == 0);
	/* The old port is no longer ours... */
	emit(&h_a, &h_b, &a2b, 2);
	m = h_frame(&h_b, a2b.b, a2b.len);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	cr_assert_eq(h_drop(&h_b, WG_DROP_OUTER_NOT_FOR_US), 1);
	/* ...B now sends from the new one, and A follows it there. */
	emit(&h_b, &h_a, &b2a, 3);
	cr_assert_eq(b2a.b[14 + 20] << 8 | b2a.b[14 + 21], 51999, "source port");
	cr_assert(a_receives(&b2a));
	emit(&h_a, &h_b, &a2b, 4);
	cr_assert_eq(a2b.b[14 + 22] << 8 | a2b.b[14 + 23], 51999, "to the new port");
	m = h_frame(&h_b, a2b.b, a2b.len);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	cr_assert_eq(h_ring_take(h_b.clear_tx[0], &m, 1), 1, "B takes it");
	rte_pktmbuf_free(m);
}

/* ---- The neighbour hook ---- */

static const struct rte_ether_addr hook_mac = { { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee } };
static unsigned int hook_inputs;

static int
hook_nexthop(void *ctx, enum wg_dp_port_role role, struct rte_ether_addr *mac)
{
	RTE_SET_USED(ctx);
	RTE_SET_USED(role);
	*mac = hook_mac;
	return 0;
}

/* Answers every ARP frame by sending it back. */
static enum wg_dp_neigh_verdict
hook_input(void *ctx, enum wg_dp_port_role role, struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	RTE_SET_USED(ctx);
	cr_assert_eq(role, WG_DP_PORT_OUTER);
	hook_inputs++;
	if (p[12] == 0x08 && p[13] == 0x06) {
		memset(p, 0xff, 6);
		return WG_DP_NEIGH_REPLY;
	}
	return WG_DP_NEIGH_CONSUMED;
}

H_TEST(roam, neighbour_hook_resolves_and_answers)
{
	const struct wg_dp_neigh_ops ops = {
		.nexthop_mac = hook_nexthop, .input = hook_input,
	};
	struct frame a2b, arp;
	struct rte_mbuf *m;

	pair_start();
	wg_dp_set_neigh_ops(h_a.dp, &ops);
	emit(&h_a, &h_b, &a2b, 1);
	cr_assert(memcmp(a2b.b, hook_mac.addr_bytes, 6) == 0, "next hop from the hook");
	/* ARP in: the hook's reply goes back out of the same port. */
	arp = a2b;
	arp.b[12] = 0x08;
	arp.b[13] = 0x06;
	m = h_frame(&h_a, arp.b, 60);
	h_ring_put(h_a.outer_rx[0], &m, 1);
	h_poll(&h_a);
	cr_assert_eq(hook_inputs, 1);
	cr_assert_eq(h_ring_take(h_a.outer_tx[0], &m, 1), 1, "the reply was sent");
	cr_assert_eq(rte_pktmbuf_mtod(m, uint8_t *)[0], 0xff);
	rte_pktmbuf_free(m);
	/* Back to the static next hop without the hook. */
	wg_dp_set_neigh_ops(h_a.dp, NULL);
	emit(&h_a, &h_b, &a2b, 2);
	cr_assert(memcmp(a2b.b, h_a.outer_nh.addr_bytes, 6) == 0);
}
