/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The neighbour module (neigh_dp) on a dataplane: while a port's next hop
 * is unresolved, nothing of the tunnel leaves that port (no broadcast: the
 * whole LAN would read the decrypted traffic), each packet is counted as a
 * neigh_unresolved drop, and the module solicits the next hop; once the
 * router answers, the packets flow to its MAC. Both directions: decrypted
 * packets to the clear port, encrypted ones to the outer port.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_mbuf.h>

#include "harness.h"
#include "neigh_dp.h"

enum {
	N_PKTS = 4,
	FRAME_MAX = 1600
};

static const uint8_t router_mac[6] = { 0x02, 0x77, 0, 0, 0, 0xfe };

/* A's neighbour module. */
static struct wg_neigh_dp nd;

TestSuite(dp_neigh, .init = h_setup, .fini = h_teardown);

/* The sender initiates: a responder sends only once its peer has. */
static void
pair_start(bool a_sends)
{
	struct h_session s;
	uint32_t b_on_a, a_on_b;

	h_gw_init(&h_a, "gwA", 1, 1);
	h_gw_init(&h_b, "gwB", 2, 1);
	h_gw_join(&h_a, &h_b);
	h_gw_start(&h_a);
	h_gw_start(&h_b);
	b_on_a = h_peer_for(&h_a, &h_b, false);
	a_on_b = h_peer_for(&h_b, &h_a, false);
	if (a_sends)
		h_handshake(&h_a, b_on_a, &h_b, a_on_b, &s, 0, 0);
	else
		h_handshake(&h_b, a_on_b, &h_a, b_on_a, &s, 0, 0);
}

/* An address in 10.0.0.0/24, the harness's outer network, or a's LAN. */
static void
port_addr(enum wg_dp_port_role role, uint8_t host, uint8_t ip[4])
{
	if (role == WG_DP_PORT_OUTER)
		memcpy(ip, (uint8_t[]){ 10, 0, 0, host }, 4);
	else
		h_lan4(&h_a, host, ip);
}

/*
 * A's neighbour module: role's gateway (.254) unknown, the other port's
 * gateway static (the harness's next hop), so only role is unresolved.
 */
static void
neigh_start(enum wg_dp_port_role role)
{
	enum wg_dp_port_role other = role == WG_DP_PORT_OUTER ? WG_DP_PORT_CLEAR :
							       WG_DP_PORT_OUTER;
	const struct rte_ether_addr *other_nh = other == WG_DP_PORT_OUTER ?
		&h_a.outer_nh : &h_a.clear_nh;
	uint8_t ip[4], gw[4];

	wg_neigh_dp_init(&nd, h_a.dp);
	port_addr(role, 1, ip);
	port_addr(role, 254, gw);
	wg_neigh_set_addr(&nd.port[role], WG_AF_INET, ip, 24);
	wg_neigh_set_gateway(&nd.port[role], WG_AF_INET, gw);
	port_addr(other, 254, gw);
	wg_neigh_set_gateway(&nd.port[other], WG_AF_INET, gw);
	cr_assert_eq(wg_neigh_add_static(&nd.port[other], WG_AF_INET, gw,
					 other_nh->addr_bytes), 0);
	wg_neigh_dp_attach(&nd);
}

/* N_PKTS inner packets through the tunnel to role's side of A. */
static void
send_toward(enum wg_dp_port_role role, uint32_t seed)
{
	struct rte_mbuf *m[N_PKTS];
	uint8_t src[4], dst[4];
	unsigned int i;

	if (role == WG_DP_PORT_CLEAR) {	/* B's LAN -> A's LAN: A decrypts */
		h_lan4(&h_b, 9, src);
		h_lan4(&h_a, 9, dst);
		for (i = 0; i < N_PKTS; i++)
			m[i] = h_inner4(&h_b, src, dst, 100, seed + i);
		h_ring_put(h_b.clear_rx[0], m, N_PKTS);
		h_poll(&h_b);
	} else {			/* A's LAN -> B's LAN: A encrypts */
		h_lan4(&h_a, 9, src);
		h_lan4(&h_b, 9, dst);
		for (i = 0; i < N_PKTS; i++)
			m[i] = h_inner4(&h_a, src, dst, 100, seed + i);
		h_ring_put(h_a.clear_rx[0], m, N_PKTS);
	}
	h_poll(&h_a);
}

/* Where A's frames for role's next hop land: A's TX ring (B's RX, outer). */
static struct rte_ring *
a_tx(enum wg_dp_port_role role)
{
	return role == WG_DP_PORT_OUTER ? h_a.outer_tx[0] : h_a.clear_tx[0];
}

/* Takes what A sent on role's worker queue; asserts it all went to dst. */
static unsigned int
take_sent(enum wg_dp_port_role role, const uint8_t *dst)
{
	struct rte_mbuf *m[2 * N_PKTS];
	unsigned int n = h_ring_take(a_tx(role), m, RTE_DIM(m)), i;

	for (i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(m[i], const uint8_t *);

		cr_assert(dst != NULL && memcmp(f, dst, 6) == 0,
			  "frame %u to %02x:%02x:%02x:%02x:%02x:%02x", i,
			  f[0], f[1], f[2], f[3], f[4], f[5]);
	}
	rte_pktmbuf_free_bulk(m, n);
	return n;
}

/*
 * The module's solicitation on role's control queue, answered by a router
 * owning .254 with router_mac; the answer goes in at A's role port.
 */
static void
router_answers(enum wg_dp_port_role role)
{
	struct rte_ring *ctl_tx = role == WG_DP_PORT_OUTER ? h_a.outer_tx[1] :
							    h_a.clear_tx[1];
	struct wg_neigh router;
	uint8_t frame[FRAME_MAX], gw[4];
	struct rte_mbuf *m;
	uint16_t len;

	wg_neigh_dp_poll(&nd, wg_dp_clock_ns());
	cr_assert_eq(h_ring_take(ctl_tx, &m, 1), 1, "a solicitation was sent");
	len = h_copy(m, frame, sizeof(frame));
	rte_pktmbuf_free(m);
	cr_assert(frame[12] == 0x08 && frame[13] == 0x06, "an ARP request");
	port_addr(role, 254, gw);
	wg_neigh_init(&router, router_mac);
	wg_neigh_set_addr(&router, WG_AF_INET, gw, 24);
	cr_assert_eq(wg_neigh_input(&router, frame, &len, sizeof(frame),
				    wg_dp_clock_ns()), WG_NEIGH_REPLY);
	m = h_frame(&h_a, frame, len);
	h_ring_put(role == WG_DP_PORT_OUTER ? h_a.outer_rx[0] : h_a.clear_rx[0],
		   &m, 1);
	h_poll(&h_a);
}

static void
unresolved_then_resolved(enum wg_dp_port_role role)
{
	uint8_t mac[6];

	pair_start(role == WG_DP_PORT_OUTER);
	neigh_start(role);
	send_toward(role, 1);
	cr_assert_eq(take_sent(role, NULL), 0, "nothing leaves while unresolved");
	cr_assert_eq(h_drop(&h_a, WG_DROP_NEIGH_UNRESOLVED), N_PKTS);

	router_answers(role);
	cr_assert_eq(wg_neigh_dp_nexthop(&nd, role, mac), 0, "resolved");
	cr_assert_arr_eq(mac, router_mac, 6);
	send_toward(role, 100);
	cr_assert_eq(take_sent(role, router_mac), N_PKTS, "to the router, all");
	cr_assert_eq(h_drop(&h_a, WG_DROP_NEIGH_UNRESOLVED), N_PKTS, "no new drop");
	wg_dp_set_neigh_ops(h_a.dp, NULL);
}

H_TEST(dp_neigh, decrypted_traffic_waits_for_the_clear_next_hop)
{
	unresolved_then_resolved(WG_DP_PORT_CLEAR);
}

H_TEST(dp_neigh, encrypted_traffic_waits_for_the_outer_next_hop)
{
	unresolved_then_resolved(WG_DP_PORT_OUTER);
}
