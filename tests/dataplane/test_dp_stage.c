/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Staging: packets for a peer without a session wait (at most
 * MAX_STAGED_PACKETS of them, the rest are counted drops), the control
 * thread hears "handshake wanted" for that peer exactly once, and once a
 * keypair is installed the staged packets go out in order, ahead of any
 * that arrived meanwhile. Also: purging, removal with packets staged,
 * keepalives, and the responder confirming its keypair on first data.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_mbuf.h>

#include "harness.h"
#include "transport.h"

enum {
	FRAME_MAX = 1600
};

static struct h_session sess;
static uint32_t peer_b_on_a, peer_a_on_b;

TestSuite(stage, .init = h_setup, .fini = h_teardown);

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
}

/* n packets A -> B's LAN with seeds first.., through A's worker. */
static void
send_a(unsigned int first, unsigned int n)
{
	struct rte_mbuf *m[32];
	uint8_t s[4], d[4];
	unsigned int i, k;

	h_lan4(&h_a, 10, s);
	h_lan4(&h_b, 20, d);
	while (n != 0) {
		k = RTE_MIN(n, 32u);
		for (i = 0; i < k; i++)
			m[i] = h_inner4(&h_a, s, d, 100, first + i);
		h_ring_put(h_a.clear_rx[0], m, k);
		h_poll(&h_a);
		first += k;
		n -= k;
	}
}

/* The seed an inner packet (IPv4, as send_a builds them) carries. */
static uint32_t
seed_of(const uint8_t *ip)
{
	uint32_t s;

	memcpy(&s, ip + 20, 4);
	return s;
}

/*
 * A's frames on ring r must be n data messages under the session's
 * initiator key, with seeds first.. in order; then B gets them and must
 * deliver them in that order.
 */
static void
expect_in_order(struct rte_ring *r, unsigned int first, unsigned int n)
{
	static uint8_t f[FRAME_MAX];
	struct rte_mbuf *m[MAX_STAGED_PACKETS];
	uint64_t counter;
	unsigned int i;
	uint16_t len, off;
	long pl;

	cr_assert(n <= MAX_STAGED_PACKETS);
	cr_assert_eq(h_ring_take(r, m, MAX_STAGED_PACKETS), n, "frames sent");
	for (i = 0; i < n; i++) {
		len = h_copy(m[i], f, sizeof(f));
		off = h_outer_msg_off(f);
		pl = wg_transport_open(f + off, len - off, sess.ini.sending_key, &counter);
		cr_assert(pl > 20, "opens with the reference");
		cr_assert_eq(seed_of(f + off + 16), first + i, "in order");
	}
	/* B: the same order out of its clear port. */
	for (i = 0; i < n; i += 32) {
		unsigned int k = RTE_MIN(n - i, 32u), j;

		h_ring_put(h_b.outer_rx[0], m + i, k);
		h_poll(&h_b);
		cr_assert_eq(h_ring_take(h_b.clear_tx[0], m + i, k), k);
		for (j = 0; j < k; j++)
			cr_assert_eq(seed_of(rte_pktmbuf_mtod(m[i + j], uint8_t *) + 14),
				     first + i + j);
		rte_pktmbuf_free_bulk(m + i, k);
	}
}

H_TEST(stage, staged_until_session_then_sent_in_order)
{
	struct wg_dp_event ev[8];
	struct wg_dp_peer_stats ps;
	struct wg_dp_stats st;

	pair_start();
	send_a(0, MAX_STAGED_PACKETS + 10);
	cr_assert(h_gw_tx_empty(&h_a), "nothing sent without a session");
	h_stats(&h_a, &st);
	cr_assert_eq(st.staged, MAX_STAGED_PACKETS);
	cr_assert_eq(st.drops[WG_DROP_STAGE_FULL], 10);
	cr_assert_eq(wg_dp_drops_total(&st), 10);
	cr_assert(wg_dp_peer_stats_get(h_a.dp, peer_b_on_a, &ps) == 0);
	cr_assert_eq(ps.staged, MAX_STAGED_PACKETS);

	/* One handshake request, however many packets asked. */
	cr_assert_eq(wg_dp_events_poll(h_a.dp, ev, 8), 1);
	cr_assert_eq(ev[0].peer_id, peer_b_on_a);
	cr_assert_eq(ev[0].bits, WG_DP_EV_HANDSHAKE | WG_DP_EV_STAGED);
	cr_assert_eq(wg_dp_events_poll(h_a.dp, ev, 8), 0);
	send_a(1000, 5);			/* the peer is full: dropped */
	cr_assert_eq(h_drop(&h_a, WG_DROP_STAGE_FULL), 15);
	cr_assert_eq(wg_dp_events_poll(h_a.dp, ev, 8), 0);
	cr_assert_eq(wg_dp_peer_send_staged(h_a.dp, peer_b_on_a), -EAGAIN,
		     "no session yet");

	h_handshake(&h_a, peer_b_on_a, &h_b, peer_a_on_b, &sess, 0, 0);
	cr_assert_eq(wg_dp_peer_send_staged(h_a.dp, peer_b_on_a), MAX_STAGED_PACKETS);
	/* The control thread's own TX queue: A's outer queue nq. */
	expect_in_order(h_a.outer_tx[h_a.nq], 0, MAX_STAGED_PACKETS);
	cr_assert(wg_dp_peer_stats_get(h_a.dp, peer_b_on_a, &ps) == 0);
	cr_assert_eq(ps.staged, 0);
	cr_assert_eq(ps.tx_packets, MAX_STAGED_PACKETS);
	/* And now straight through the worker. */
	send_a(2000, 3);
	expect_in_order(h_a.outer_tx[0], 2000, 3);
}

H_TEST(stage, nothing_overtakes_staged_packets)
{
	struct wg_dp_event ev[8];

	pair_start();
	send_a(0, 10);
	cr_assert_eq(wg_dp_events_poll(h_a.dp, ev, 8), 1);
	h_handshake(&h_a, peer_b_on_a, &h_b, peer_a_on_b, &sess, 0, 0);
	/* A session now, but ten packets still wait: these queue behind. */
	send_a(10, 5);
	cr_assert(h_gw_tx_empty(&h_a));
	cr_assert_eq(wg_dp_events_poll(h_a.dp, ev, 8), 1);
	cr_assert_eq(ev[0].bits, WG_DP_EV_STAGED, "no handshake wanted: a session exists");
	cr_assert_eq(wg_dp_peer_send_staged(h_a.dp, peer_b_on_a), 15);
	expect_in_order(h_a.outer_tx[h_a.nq], 0, 15);
}

H_TEST(stage, purged_and_removed)
{
	struct wg_dp_peer_stats ps;
	int id;

	pair_start();
	send_a(0, 20);
	cr_assert_eq(wg_dp_peer_purge_staged(h_a.dp, peer_b_on_a), 20);
	cr_assert_eq(h_drop(&h_a, WG_DROP_STAGE_PURGED), 20);
	send_a(0, 7);
	cr_assert(wg_dp_peer_remove(h_a.dp, peer_b_on_a) == 0);
	cr_assert_eq(h_drop(&h_a, WG_DROP_PEER_GONE), 7);
	/* The freed id comes back clean. */
	id = wg_dp_peer_add(h_a.dp);
	cr_assert_eq((uint32_t)id, peer_b_on_a);
	cr_assert(wg_dp_peer_stats_get(h_a.dp, (uint32_t)id, &ps) == 0);
	cr_assert_eq(ps.staged, 0);
	cr_assert_eq(ps.tx_packets + ps.rx_packets, 0);
	send_a(0, 3);
	cr_assert_eq(h_drop(&h_a, WG_DROP_NO_ROUTE), 3, "its routes went with it");
	cr_assert(h_gw_tx_empty(&h_a));
}

H_TEST(stage, responder_confirms_on_first_data)
{
	struct wg_dp_event ev[8];
	struct wg_dp_session s;
	struct wg_dp_stats st;
	struct rte_mbuf *m;

	pair_start();
	h_handshake(&h_a, peer_b_on_a, &h_b, peer_a_on_b, &sess, 0, 0);
	cr_assert(wg_dp_peer_session(h_b.dp, peer_a_on_b, &s) == 0);
	cr_assert(!s.valid, "the responder waits for the initiator's data");
	cr_assert(wg_dp_peer_session(h_a.dp, peer_b_on_a, &s) == 0);
	cr_assert(s.valid && s.initiator);
	/* A keepalive is data enough to confirm. */
	cr_assert(wg_dp_peer_send_keepalive(h_a.dp, peer_b_on_a) == 0);
	cr_assert_eq(h_ring_take(h_a.outer_tx[h_a.nq], &m, 1), 1);
	cr_assert_eq(m->data_len, 14 + 20 + 8 + MESSAGE_MINIMUM_LENGTH);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	h_stats(&h_b, &st);
	cr_assert_eq(st.keepalives_rx, 1);
	cr_assert(h_gw_tx_empty(&h_b), "a keepalive is not answered by the dataplane");
	cr_assert_eq(wg_dp_events_poll(h_b.dp, ev, 8), 1);
	cr_assert_eq(ev[0].peer_id, peer_a_on_b);
	cr_assert(ev[0].bits & WG_DP_EV_CONFIRMED);
	cr_assert(wg_dp_peer_session(h_b.dp, peer_a_on_b, &s) == 0);
	cr_assert(s.valid && !s.initiator);
	cr_assert_eq(s.local_index, sess.resp.local_index);
}

/* One packet from src's LAN to dst's LAN through src: its frame, held back. */
static struct rte_mbuf *
held(struct h_gw *src, struct h_gw *dst, uint32_t seed)
{
	struct rte_mbuf *m;
	uint8_t s[4], d[4];

	h_lan4(src, 10, s);
	h_lan4(dst, 20, d);
	m = h_inner4(src, s, d, 100, seed);
	h_ring_put(src->clear_rx[0], &m, 1);
	h_poll(src);
	cr_assert_eq(h_ring_take(src->outer_tx[0], &m, 1), 1);
	return m;
}

/* dst gets frame m; true if it delivered the packet inside. */
static bool
delivered(struct h_gw *dst, struct rte_mbuf *m)
{
	unsigned int n;

	h_ring_put(dst->outer_rx[0], &m, 1);
	h_poll(dst);
	n = h_ring_take(dst->clear_tx[0], &m, 1);
	if (n != 0)
		rte_pktmbuf_free(m);
	return n == 1;
}

H_TEST(stage, rekey_keeps_the_previous_keypair_for_packets_in_flight)
{
	struct wg_dp_event ev[8];
	struct wg_dp_session s;
	struct wg_dp_stats st;
	struct rte_mbuf *a1, *b1;

	pair_start();
	h_handshake(&h_a, peer_b_on_a, &h_b, peer_a_on_b, &sess, 0, 0);
	cr_assert(delivered(&h_b, held(&h_a, &h_b, 1)), "session 1 confirmed");
	cr_assert_eq(wg_dp_events_poll(h_b.dp, ev, 8), 1);
	/* In flight under session 1, both ways, while session 2 is made. */
	a1 = held(&h_a, &h_b, 2);
	b1 = held(&h_b, &h_a, 3);
	h_handshake(&h_a, peer_b_on_a, &h_b, peer_a_on_b, &sess, 0, 0);
	cr_assert(wg_dp_peer_session(h_a.dp, peer_b_on_a, &s) == 0);
	cr_assert_eq(s.local_index, sess.ini.local_index, "A sends with session 2");
	cr_assert(wg_dp_peer_session(h_b.dp, peer_a_on_b, &s) == 0);
	cr_assert_neq(s.local_index, sess.resp.local_index,
		      "B still sends with session 1 until A's data confirms 2");
	cr_assert(delivered(&h_b, a1), "B's current keypair (session 1)");
	cr_assert(delivered(&h_a, b1), "A's previous keypair (session 1)");
	/* Session 2's first data confirms it at B. */
	cr_assert(delivered(&h_b, held(&h_a, &h_b, 4)));
	cr_assert_eq(wg_dp_events_poll(h_b.dp, ev, 8), 1);
	cr_assert(ev[0].bits & WG_DP_EV_CONFIRMED);
	cr_assert(wg_dp_peer_session(h_b.dp, peer_a_on_b, &s) == 0);
	cr_assert_eq(s.local_index, sess.resp.local_index);
	cr_assert(delivered(&h_a, held(&h_b, &h_a, 5)));
	h_stats(&h_a, &st);
	cr_assert_eq(wg_dp_drops_total(&st), 0);
	h_stats(&h_b, &st);
	cr_assert_eq(wg_dp_drops_total(&st), 0);
}
