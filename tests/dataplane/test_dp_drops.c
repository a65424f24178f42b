/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Everything a gateway must refuse, each with its own drop counter moving by
 * exactly the number of packets sent, no other counter moving, and nothing
 * transmitted on any port in answer (WireGuard stays silent) and nothing
 * handed to the control thread unless it is a handshake with a good mac1.
 *
 * Data messages are captured from gateway A on their way to B, then replayed,
 * cut, bit-flipped or re-addressed; authenticated messages with bad inner
 * packets are sealed with lib/transport's reference under A's sending key.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <rte_mbuf.h>

#include <sodium.h>

#include "harness.h"
#include "transport.h"

enum {
	FRAME_MAX = 1600,
	CAPTURE_MAX = 16
};

struct frame {
	uint16_t len;
	uint8_t b[FRAME_MAX];
};

static struct h_session sess;
static uint32_t peer_b_on_a, peer_a_on_b;
static struct frame cap[CAPTURE_MAX];
/* Next counter for messages the test seals itself with A's key. */
static uint64_t ref_counter = 1000;

TestSuite(drops, .init = h_setup, .fini = h_teardown);

static void
pair_start_nq(unsigned int nq, uint64_t ini_age_s, uint64_t resp_age_s)
{
	h_gw_init(&h_a, "gwA", 1, nq);
	h_gw_init(&h_b, "gwB", 2, nq);
	h_gw_join(&h_a, &h_b);
	h_gw_start(&h_a);
	h_gw_start(&h_b);
	peer_b_on_a = h_peer_for(&h_a, &h_b, false);
	peer_a_on_b = h_peer_for(&h_b, &h_a, false);
	h_handshake(&h_a, peer_b_on_a, &h_b, peer_a_on_b, &sess, ini_age_s,
		    resp_age_s);
}

static void
pair_start_aged(uint64_t ini_age_s, uint64_t resp_age_s)
{
	pair_start_nq(1, ini_age_s, resp_age_s);
}

static void
pair_start(void)
{
	pair_start_aged(0, 0);
}

/* n frames A emits for B (IPv4 inner, len bytes), taken off the wire. */
static void
capture(unsigned int n, uint16_t len, const uint8_t src4[4])
{
	struct rte_mbuf *m[CAPTURE_MAX];
	uint8_t s[4], d[4];
	unsigned int i;

	cr_assert(n <= CAPTURE_MAX);
	h_lan4(&h_a, 10, s);
	h_lan4(&h_b, 20, d);
	for (i = 0; i < n; i++)
		m[i] = h_inner4(&h_a, src4 != NULL ? src4 : s, d, len, i + 1);
	h_ring_put(h_a.clear_rx[0], m, n);
	h_poll(&h_a);
	cr_assert_eq(h_ring_take(h_b.outer_rx[0], m, n), n, "A sent %u frames", n);
	for (i = 0; i < n; i++)
		cap[i].len = h_copy(m[i], cap[i].b, FRAME_MAX);
	rte_pktmbuf_free_bulk(m, n);
}

static void
inject(const uint8_t *f, uint16_t len)
{
	struct rte_mbuf *m = h_frame(&h_b, f, len);

	h_ring_put(h_b.outer_rx[0], &m, 1);
}

/* Between the two snapshots, only reason r's drop counter moved, by n. */
static void
expect_drops(const struct wg_dp_stats *before, const struct wg_dp_stats *after,
	     enum wg_dp_drop r, uint64_t n)
{
	unsigned int i;

	for (i = 0; i < WG_DROP_MAX; i++)
		cr_expect_eq(after->drops[i] - before->drops[i], i == r ? n : 0,
			     "drop %s moved by %lu, expected %lu", wg_dp_drop_name(i),
			     (unsigned long)(after->drops[i] - before->drops[i]),
			     (unsigned long)(i == r ? n : 0));
}

/* B's counters moved only by `n` drops of reason r (and `auth` decrypts). */
static void
expect_only(const struct wg_dp_stats *before, enum wg_dp_drop r, uint64_t n,
	    uint64_t auth)
{
	struct wg_dp_stats after;

	h_stats(&h_b, &after);
	expect_drops(before, &after, r, n);
	cr_assert_eq(after.decrypted - before->decrypted, auth, "decrypted");
	cr_assert_eq(after.clear_tx_packets, before->clear_tx_packets, "delivered");
	cr_assert_eq(after.handshakes_rx, before->handshakes_rx, "to control");
	cr_assert(h_gw_tx_empty(&h_b), "B sent nothing in answer");
	cr_assert_eq(wg_dp_handshake_backlog(h_b.dp), 0);
}

/* Injects frames into B and checks only reason r moved, by n. */
static void
drop_case(const struct frame *f, unsigned int n, enum wg_dp_drop r, uint64_t auth)
{
	struct wg_dp_stats before;
	unsigned int i;

	h_stats(&h_b, &before);
	for (i = 0; i < n; i++)
		inject(f[i].b, f[i].len);
	h_poll(&h_b);
	expect_only(&before, r, n, auth);
}

/* B delivered n frames, and dropped `drops` for reason r only. */
static void
expect_delivered(const struct wg_dp_stats *before, unsigned int n,
		 enum wg_dp_drop r, uint64_t drops)
{
	struct wg_dp_stats after;
	struct rte_mbuf *m[2 * CAPTURE_MAX];
	unsigned int k, got = 0, q;

	h_stats(&h_b, &after);
	expect_drops(before, &after, r, drops);
	cr_assert_eq(after.decrypted - before->decrypted, n);
	for (q = 0; q < h_b.nq; q++) {
		k = h_ring_take(h_b.clear_tx[q], m, RTE_DIM(m));
		rte_pktmbuf_free_bulk(m, k);
		got += k;
	}
	cr_assert_eq(got, n, "delivered %u of %u", got, n);
	cr_assert(h_gw_tx_empty(&h_b));
}

/* Injects frames B must accept and deliver (and nothing else). */
static void
accept_case(const struct frame *f, unsigned int n)
{
	struct wg_dp_stats before, after;
	struct rte_mbuf *m[CAPTURE_MAX];
	unsigned int i;

	h_stats(&h_b, &before);
	for (i = 0; i < n; i++)
		inject(f[i].b, f[i].len);
	h_poll(&h_b);
	h_stats(&h_b, &after);
	cr_assert_eq(wg_dp_drops_total(&after), wg_dp_drops_total(&before));
	cr_assert_eq(after.decrypted - before.decrypted, n);
	cr_assert_eq(h_ring_take(h_b.clear_tx[0], m, CAPTURE_MAX), n, "delivered");
	rte_pktmbuf_free_bulk(m, n);
	cr_assert(h_gw_tx_empty(&h_b));
}

/* The frame with its WireGuard message replaced by msg (lengths fixed). */
static void
remessage(struct frame *out, const struct frame *tmpl, const uint8_t *msg,
	  uint16_t mlen)
{
	uint16_t off = h_outer_msg_off(tmpl->b), ulen = (uint16_t)(8 + mlen);
	uint8_t *ip = out->b + 14, *udp = out->b + off - 8;

	memcpy(out->b, tmpl->b, off);
	memcpy(out->b + off, msg, mlen);
	out->len = (uint16_t)(off + mlen);
	ip[2] = (uint8_t)((out->len - 14) >> 8);
	ip[3] = (uint8_t)(out->len - 14);
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	h_outer_fix(out->b, out->len);
}

/* An authenticated message from A to B carrying plain (sealed here). */
static void
sealed(struct frame *out, const uint8_t *plain, uint16_t plen)
{
	static uint8_t msg[FRAME_MAX];
	size_t mlen;

	mlen = wg_transport_seal(msg, sizeof(msg), sess.ini.remote_index,
				 ref_counter++, sess.ini.sending_key, plain, plen,
				 H_MTU);
	cr_assert(mlen != 0);
	remessage(out, &cap[0], msg, (uint16_t)mlen);
}

H_TEST(drops, replayed)
{
	pair_start();
	capture(8, 100, NULL);
	accept_case(cap, 8);				/* the first time */
	drop_case(cap, 8, WG_DROP_REPLAY, 0);
	drop_case(cap + 3, 1, WG_DROP_REPLAY, 0);
}

/*
 * Two workers, no RSS: a peer's packets reach both queues and the replay
 * window is shared under its lock. The same frames on both queues are
 * delivered once; every copy polled second is a replay.
 */
H_TEST(drops, replayed_across_two_workers)
{
	struct wg_dp_stats before;
	struct rte_mbuf *m[CAPTURE_MAX];
	unsigned int i, q;

	pair_start_nq(2, 0, 0);
	capture(8, 100, NULL);
	h_stats(&h_b, &before);
	for (q = 0; q < 2; q++) {
		for (i = 0; i < 8; i++)
			m[i] = h_frame(&h_b, cap[i].b, cap[i].len);
		h_ring_put(h_b.outer_rx[q], m, 8);
	}
	h_poll(&h_b);
	expect_delivered(&before, 8, WG_DROP_REPLAY, 8);
}

/*
 * The receive side is spent once the window reached REJECT_AFTER_MESSAGES:
 * a counter at the limit is refused before the open; the last valid one
 * is accepted, and after it even unseen counters inside the window are
 * refused as expired (Linux: receiving_counter.counter checked first).
 */
H_TEST(drops, receive_counter_exhausted)
{
	static struct frame f[3];

	pair_start();
	capture(1, 60, NULL);
	ref_counter = REJECT_AFTER_MESSAGES;
	sealed(&f[0], NULL, 0);
	drop_case(f, 1, WG_DROP_KEYPAIR_EXPIRED, 0);
	ref_counter = REJECT_AFTER_MESSAGES - 1;
	sealed(&f[1], NULL, 0);
	drop_case(f + 1, 1, WG_DROP_MAX, 1);
	ref_counter = REJECT_AFTER_MESSAGES - 10;
	sealed(&f[2], NULL, 0);
	drop_case(f + 2, 1, WG_DROP_KEYPAIR_EXPIRED, 0);
}

/* A keepalive to B under a keypair installed by hand (index, key). */
static void
keepalive_to(struct frame *out, uint32_t index, const uint8_t *key)
{
	static uint8_t msg[FRAME_MAX];
	size_t mlen;

	mlen = wg_transport_seal(msg, sizeof(msg), index, ref_counter++, key,
				 NULL, 0, H_MTU);
	cr_assert(mlen != 0);
	remessage(out, &cap[0], msg, (uint16_t)mlen);
}

/* Installs on B, for A, an initiator keypair receiving under index/key. */
static void
install_on_b(uint32_t index, uint8_t fill)
{
	struct wg_noise_keypair nk;

	memset(&nk, 0, sizeof(nk));
	memset(nk.receiving_key, fill, sizeof(nk.receiving_key));
	memset(nk.sending_key, fill ^ 0xff, sizeof(nk.sending_key));
	nk.local_index = index;
	nk.remote_index = 7;
	nk.i_am_the_initiator = true;
	nk.birthdate_ns = wg_dp_clock_ns();
	cr_assert(wg_dp_peer_keypair_install(h_b.dp, peer_a_on_b, &nk) == 0);
}

/*
 * Receiver indices that share their low bits share a slot of B's direct
 * index table: the first installed sits in it, the second is found through
 * the hash; a retired keypair's slot is freed for the next, and its index
 * is then unknown.
 */
H_TEST(drops, colliding_receiver_indices)
{
	static struct frame f[3];
	const uint32_t x = 0x00012345, y = x ^ 0x80000000, z = x ^ 0x40000000;
	uint8_t k[3][NOISE_SYMMETRIC_KEY_LEN];

	pair_start();
	capture(1, 60, NULL);
	memset(k[0], 0xa1, sizeof(k[0]));
	memset(k[1], 0xb2, sizeof(k[1]));
	memset(k[2], 0xc3, sizeof(k[2]));
	install_on_b(x, 0xa1);
	cr_assert_not(wg_dp_index_slot_free(h_b.dp, y));
	install_on_b(y, 0xb2);		/* current y, previous x */
	keepalive_to(&f[0], x, k[0]);
	keepalive_to(&f[1], y, k[1]);
	drop_case(f, 2, WG_DROP_MAX, 2);
	install_on_b(z, 0xc3);		/* current z, previous y; x retired */
	cr_assert(wg_dp_index_in_use(h_b.dp, z) && !wg_dp_index_in_use(h_b.dp, x));
	keepalive_to(&f[0], y, k[1]);
	keepalive_to(&f[1], z, k[2]);
	drop_case(f, 2, WG_DROP_MAX, 2);
	keepalive_to(&f[2], x, k[0]);
	drop_case(f + 2, 1, WG_DROP_UNKNOWN_INDEX, 0);
}

H_TEST(drops, truncated)
{
	static struct frame f[8];
	uint16_t off, mlen;
	unsigned int i;
	/* Bytes cut off the message: through the tag, the data, down to the
	 * header alone (15 below the minimum: not a data message at all). */
	static const uint16_t cuts[] = { 1, 15, 16, 17, 100 };

	pair_start();
	capture(1, 100, NULL);			/* a 148-byte message */
	off = h_outer_msg_off(cap[0].b);
	mlen = cap[0].len - off;
	for (i = 0; i < RTE_DIM(cuts); i++)
		remessage(&f[i], &cap[0], cap[0].b + off, mlen - cuts[i]);
	drop_case(f, RTE_DIM(cuts), WG_DROP_AUTH_FAILED, 0);
	remessage(&f[0], &cap[0], cap[0].b + off, MESSAGE_MINIMUM_LENGTH - 1);
	remessage(&f[1], &cap[0], cap[0].b + off, 16);
	remessage(&f[2], &cap[0], cap[0].b + off, 4);
	drop_case(f, 3, WG_DROP_MSG_INVALID, 0);
	/* The frame cut, its headers not: IP/UDP lengths past the end. */
	f[0] = cap[0];
	f[0].len -= 10;
	drop_case(f, 1, WG_DROP_OUTER_BAD_IP, 0);
	/* Still acceptable after all that. */
	accept_case(cap, 1);
}

H_TEST(drops, tampered)
{
	static struct frame f[8];
	uint16_t off;
	unsigned int i;

	pair_start();
	capture(1, 200, NULL);
	off = h_outer_msg_off(cap[0].b);
	/* counter (nonce), first and last ciphertext byte, tag bytes */
	const uint16_t at[] = { 8, 15, 16, 16 + 199, (uint16_t)(cap[0].len - off - 16),
				(uint16_t)(cap[0].len - off - 1) };
	for (i = 0; i < RTE_DIM(at); i++) {
		f[i] = cap[0];
		f[i].b[off + at[i]] ^= 0x01;
		h_outer_fix(f[i].b, f[i].len);
	}
	drop_case(f, RTE_DIM(at), WG_DROP_AUTH_FAILED, 0);
	/* type and reserved bytes: not a data message */
	for (i = 0; i < 4; i++) {
		f[i] = cap[0];
		f[i].b[off + i] ^= 0x10;
	}
	drop_case(f, 4, WG_DROP_MSG_INVALID, 0);
	accept_case(cap, 1);
}

H_TEST(drops, wrong_receiver_index)
{
	static struct frame f[4];
	uint16_t off;
	uint32_t idx;
	unsigned int i;

	pair_start();
	capture(1, 60, NULL);
	off = h_outer_msg_off(cap[0].b);
	for (i = 0; i < 4; i++) {
		f[i] = cap[0];
		idx = wg_le32(sess.resp.local_index + 1 + i);
		memcpy(f[i].b + off + 4, &idx, 4);
	}
	drop_case(f, 4, WG_DROP_UNKNOWN_INDEX, 0);
	/* A's own index (valid, but A's, not B's). */
	f[0] = cap[0];
	idx = wg_le32(sess.ini.local_index);
	memcpy(f[0].b + off + 4, &idx, 4);
	drop_case(f, 1, WG_DROP_UNKNOWN_INDEX, 0);
}

H_TEST(drops, wrong_inner_source)
{
	static const uint8_t outside[4] = { 10, 99, 0, 1 };
	uint8_t other[4], s6[16], d6[16];
	struct rte_mbuf *m;
	struct wg_dp_stats before;
	int pc;

	pair_start();
	/* A third peer on B owns 192.168.3.0/24: A may not use it. */
	pc = wg_dp_peer_add(h_b.dp);
	cr_assert(pc >= 0);
	memcpy(other, (uint8_t[]){ 192, 168, 3, 7 }, 4);
	cr_assert(wg_dp_allowed_ip_add(h_b.dp, (uint32_t)pc, WG_AF_INET, other, 24) == 0);
	capture(3, 64, outside);
	drop_case(cap, 3, WG_DROP_INNER_BAD_SRC, 3);
	capture(2, 64, other);
	drop_case(cap, 2, WG_DROP_INNER_BAD_SRC, 2);
	/* IPv6 source outside A's /64. */
	h_stats(&h_b, &before);
	memset(s6, 0, 16);
	s6[0] = 0xfd;
	s6[15] = 9;
	h_lan6(&h_b, 20, d6);
	m = h_inner6(&h_a, s6, d6, 80, 7);
	h_ring_put(h_a.clear_rx[0], &m, 1);
	h_poll(&h_a);
	h_poll(&h_b);
	expect_only(&before, WG_DROP_INNER_BAD_SRC, 1, 1);
}

H_TEST(drops, expired_keypair_receiving)
{
	/* B's keypair was born a REJECT_AFTER_TIME ago (plus a second). */
	pair_start_aged(0, REJECT_AFTER_TIME + 1);
	capture(5, 300, NULL);
	drop_case(cap, 5, WG_DROP_KEYPAIR_EXPIRED, 0);
}

H_TEST(drops, expired_keypair_sending)
{
	struct wg_dp_event ev[4];
	struct wg_dp_session ss;
	struct wg_dp_stats st;
	struct rte_mbuf *m[3];
	uint8_t s[4], d[4];
	unsigned int i;

	/* A, the initiator, holds an expired current keypair. */
	pair_start_aged(REJECT_AFTER_TIME + 1, 0);
	cr_assert(wg_dp_peer_session(h_a.dp, peer_b_on_a, &ss) == 0);
	cr_assert(!ss.valid, "an expired keypair is no session");
	h_lan4(&h_a, 10, s);
	h_lan4(&h_b, 20, d);
	for (i = 0; i < 3; i++)
		m[i] = h_inner4(&h_a, s, d, 100, i);
	h_ring_put(h_a.clear_rx[0], m, 3);
	h_poll(&h_a);
	cr_assert(h_gw_tx_empty(&h_a), "nothing sent with an expired keypair");
	h_stats(&h_a, &st);
	cr_assert_eq(st.encrypted, 0);
	cr_assert_eq(st.staged, 3, "the packets wait for a new session");
	cr_assert_eq(wg_dp_events_poll(h_a.dp, ev, 4), 1);
	cr_assert_eq(ev[0].peer_id, peer_b_on_a);
	cr_assert(ev[0].bits & WG_DP_EV_HANDSHAKE);
}

H_TEST(drops, wiped_keypair)
{
	pair_start();
	capture(3, 300, NULL);
	wg_dp_peer_keypairs_clear(h_b.dp, peer_a_on_b);
	drop_case(cap, 3, WG_DROP_UNKNOWN_INDEX, 0);
}

H_TEST(drops, bad_inner_packets)
{
	static uint8_t p[200];
	static struct frame f[6];
	uint8_t src[4];

	pair_start();
	capture(1, 60, NULL);
	h_lan4(&h_a, 10, src);
	memset(p, 0, sizeof(p));
	/* Neither IPv4 nor IPv6, or too short to be either. */
	/* (the dataplane sees the padded length: 15 -> 16, 30 -> 32) */
	p[0] = 0x55;
	sealed(&f[0], p, 100);
	p[0] = 0x45;
	sealed(&f[1], p, 15);
	p[0] = 0x60;
	sealed(&f[2], p, 30);
	drop_case(f, 3, WG_DROP_INNER_BAD_TYPE, 3);
	/* IPv4 total length below a header or past the (padded: 100 ->
	 * 112) plaintext; IPv6 payload length past it. */
	p[0] = 0x45;
	memcpy(p + 12, src, 4);
	p[2] = 0;
	p[3] = 19;
	sealed(&f[0], p, 100);
	p[3] = 113;
	sealed(&f[1], p, 100);
	p[0] = 0x60;
	p[4] = 0;
	p[5] = 113 - 40;
	sealed(&f[2], p, 100);
	drop_case(f, 3, WG_DROP_INNER_BAD_LEN, 3);
}

/*
 * IPv4 header lengths (IHL) the gateway must not forward after decryption:
 * below 20 bytes, and past the total length; a header with options (24
 * bytes) is fine.
 */
H_TEST(drops, inner_ipv4_header_length)
{
	static uint8_t p[100];
	static struct frame f[3];

	pair_start();
	capture(1, 60, NULL);
	memset(p, 0, sizeof(p));
	p[3] = sizeof(p);
	h_lan4(&h_a, 10, p + 12);
	h_lan4(&h_b, 20, p + 16);
	p[0] = 0x44;				/* 16 bytes */
	sealed(&f[0], p, sizeof(p));
	p[0] = 0x4f;				/* 60 bytes, of 40 */
	p[3] = 40;
	sealed(&f[1], p, sizeof(p));
	drop_case(f, 2, WG_DROP_INNER_BAD_HDR, 2);
	p[0] = 0x46;				/* 24 bytes, of 100 */
	p[3] = sizeof(p);
	sealed(&f[2], p, sizeof(p));
	accept_case(&f[2], 1);
}

/* A's clear side: the same header lengths are refused before encryption. */
H_TEST(drops, clear_ipv4_header_length)
{
	static const uint8_t vhl[] = { 0x44, 0x4f, 0x46 };
	struct wg_dp_stats before, after;
	struct rte_mbuf *m[3];
	uint8_t s[4], d[4];
	unsigned int i;

	pair_start();
	h_lan4(&h_a, 10, s);
	h_lan4(&h_b, 20, d);
	for (i = 0; i < RTE_DIM(vhl); i++) {
		/* 40 bytes: the 60-byte header is past the total length. */
		m[i] = h_inner4(&h_a, s, d, 40, i);
		rte_pktmbuf_mtod_offset(m[i], uint8_t *, 14)[0] = vhl[i];
	}
	h_stats(&h_a, &before);
	h_ring_put(h_a.clear_rx[0], m, RTE_DIM(vhl));
	h_poll(&h_a);
	h_stats(&h_a, &after);
	for (i = 0; i < WG_DROP_MAX; i++)
		cr_expect_eq(after.drops[i] - before.drops[i],
			     i == WG_DROP_CLEAR_BAD_IP ? 2 : 0, "%s",
			     wg_dp_drop_name(i));
	cr_assert_eq(after.encrypted - before.encrypted, 1, "the 24-byte header goes");
	cr_assert_eq(h_ring_take(h_b.outer_rx[0], m, 3), 1);
	rte_pktmbuf_free(m[0]);
}

H_TEST(drops, keepalive_is_consumed_silently)
{
	struct wg_dp_stats before, after;
	static struct frame f;

	pair_start();
	capture(1, 60, NULL);
	sealed(&f, NULL, 0);
	h_stats(&h_b, &before);
	drop_case(&f, 1, WG_DROP_MAX, 1);
	h_stats(&h_b, &after);
	cr_assert_eq(after.keepalives_rx - before.keepalives_rx, 1);
}

/* Outer frames that are not WireGuard data for us. */
H_TEST(drops, outer_junk)
{
	static struct frame f[4];
	static uint8_t junk[148];
	uint16_t off;

	pair_start();
	capture(1, 60, NULL);
	off = h_outer_msg_off(cap[0].b);
	/* An initiation-sized message with a wrong mac1, and a response. */
	randombytes_buf(junk, sizeof(junk));
	junk[0] = MESSAGE_HANDSHAKE_INITIATION;
	junk[1] = junk[2] = junk[3] = 0;
	remessage(&f[0], &cap[0], junk, sizeof(struct wg_msg_initiation));
	junk[0] = MESSAGE_HANDSHAKE_RESPONSE;
	remessage(&f[1], &cap[0], junk, sizeof(struct wg_msg_response));
	drop_case(f, 2, WG_DROP_HS_BAD_MAC1, 0);
	/* Unknown type; a handshake type of the wrong size. */
	junk[0] = 9;
	remessage(&f[0], &cap[0], junk, 60);
	junk[0] = MESSAGE_HANDSHAKE_INITIATION;
	remessage(&f[1], &cap[0], junk, 147);
	drop_case(f, 2, WG_DROP_MSG_INVALID, 0);
	/* Another UDP port; not UDP at all. */
	f[0] = cap[0];
	f[0].b[off - 8 + 3] ^= 1;
	f[1] = cap[0];
	f[1].b[14 + 9] = 1;			/* ICMP */
	h_outer_fix(f[1].b, f[1].len);
	drop_case(f, 2, WG_DROP_OUTER_NOT_FOR_US, 0);
	/* A bad IPv4 header checksum; an empty fragment (one with data is
	 * held for reassembly: test_dp_pmtu). */
	f[0] = cap[0];
	f[0].b[14 + 10] ^= 0xff;
	f[1] = cap[0];
	f[1].b[14 + 6] |= 0x20;			/* more fragments */
	f[1].b[14 + 2] = 0;
	f[1].b[14 + 3] = 20;			/* the header alone */
	h_outer_fix(f[1].b, f[1].len);
	drop_case(f, 1, WG_DROP_OUTER_BAD_CSUM, 0);
	drop_case(f + 1, 1, WG_DROP_OUTER_FRAGMENT, 0);
	/* ARP without a neighbour module; a VLAN tag. */
	f[0] = cap[0];
	f[0].b[12] = 0x08;
	f[0].b[13] = 0x06;
	drop_case(f, 1, WG_DROP_NEIGH, 0);
	f[0].b[12] = 0x81;
	f[0].b[13] = 0x00;
	drop_case(f, 1, WG_DROP_OUTER_NOT_IP, 0);
}

H_TEST(drops, handshake_needs_identity)
{
	static struct frame f;
	struct wg_msg_initiation init;
	struct rte_mbuf *m;
	struct wg_cookie ck;

	pair_start();
	capture(1, 60, NULL);
	/* A good mac1 goes to the control thread... */
	memset(&init, 0x11, sizeof(init));
	init.header.type = wg_le32(MESSAGE_HANDSHAKE_INITIATION);
	wg_cookie_init(&ck, h_b.id.static_public);
	wg_cookie_add_macs(&ck, (uint8_t *)&init, sizeof(init), wg_dp_clock_ns());
	remessage(&f, &cap[0], (const uint8_t *)&init, sizeof(init));
	inject(f.b, f.len);
	h_poll(&h_b);
	cr_assert_eq(wg_dp_handshake_backlog(h_b.dp), 1);
	/* ...but not once the control thread has forgotten the identity. */
	cr_assert_eq(wg_dp_handshake_dequeue(h_b.dp, &m, 1), 1);
	rte_pktmbuf_free(m);
	wg_dp_set_mac1_key(h_b.dp, NULL);
	drop_case(&f, 1, WG_DROP_HS_NO_KEY, 0);
}

/*
 * A burst of handshake messages, initiations and responses mixed, some
 * with a bad mac1 (the worker checks a burst's mac1s side by side): the
 * good ones reach the control thread whole and in order, each bad one is
 * one hs_bad_mac1 drop.
 */
H_TEST(drops, handshake_burst_mac1_verdicts)
{
	enum { N = 24 };
	static struct frame f[N];
	static uint8_t msg[N][sizeof(struct wg_msg_initiation)];
	struct rte_mbuf *m[N];
	struct wg_dp_stats before, after;
	struct wg_cookie ck;
	unsigned int i, good = 0, got;
	uint16_t len[N];
	bool bad[N];

	pair_start();
	capture(1, 60, NULL);
	wg_cookie_init(&ck, h_b.id.static_public);
	for (i = 0; i < N; i++) {
		bool init = i % 3 != 2;
		struct wg_msg_header *h = (struct wg_msg_header *)msg[i];

		len[i] = init ? sizeof(struct wg_msg_initiation) :
				sizeof(struct wg_msg_response);
		memset(msg[i], (int)(0x20 + i), sizeof(msg[i]));
		h->type = wg_le32(init ? MESSAGE_HANDSHAKE_INITIATION :
					 MESSAGE_HANDSHAKE_RESPONSE);
		wg_cookie_add_macs(&ck, msg[i], len[i], wg_dp_clock_ns());
		bad[i] = i % 5 == 1 || i % 7 == 4;
		if (bad[i])
			msg[i][len[i] - 2 * COOKIE_LEN + i % COOKIE_LEN] ^= 0x04;
		good += !bad[i];
		remessage(&f[i], &cap[0], msg[i], len[i]);
	}
	h_stats(&h_b, &before);
	for (i = 0; i < N; i++)
		inject(f[i].b, f[i].len);
	h_poll(&h_b);
	h_stats(&h_b, &after);
	expect_drops(&before, &after, WG_DROP_HS_BAD_MAC1, N - good);
	cr_assert_eq(after.handshakes_rx - before.handshakes_rx, good);
	got = wg_dp_handshake_dequeue(h_b.dp, m, N);
	cr_assert_eq(got, good);
	for (i = 0, good = 0; i < N; i++) {
		if (bad[i])
			continue;
		cr_assert_eq(m[good]->data_len, f[i].len, "message %u", i);
		cr_assert(memcmp(rte_pktmbuf_mtod(m[good], uint8_t *), f[i].b,
				 f[i].len) == 0, "message %u", i);
		good++;
	}
	rte_pktmbuf_free_bulk(m, got);
	cr_assert(h_gw_tx_empty(&h_b));
}

/* A frame in two segments: the first one's room at the end, or none. */
static struct rte_mbuf *
two_segments(const struct frame *f, bool room)
{
	struct rte_mbuf *m1 = rte_pktmbuf_alloc(wg_dp_mempool(h_b.dp));
	struct rte_mbuf *m2 = rte_pktmbuf_alloc(wg_dp_mempool(h_b.dp));
	const uint16_t head = 60;

	cr_assert(m1 != NULL && m2 != NULL);
	if (!room)
		m1->data_off = (uint16_t)(m1->buf_len - head);
	memcpy(rte_pktmbuf_append(m1, head), f->b, head);
	memcpy(rte_pktmbuf_append(m2, f->len - head), f->b + head, f->len - head);
	cr_assert(rte_pktmbuf_chain(m1, m2) == 0);
	return m1;
}

H_TEST(drops, multi_segment_frames)
{
	struct wg_dp_stats before;
	struct rte_mbuf *m;

	pair_start();
	capture(2, 300, NULL);
	/* Linearized when the first segment has the room. */
	m = two_segments(&cap[0], true);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	cr_assert_eq(h_ring_take(h_b.clear_tx[0], &m, 1), 1, "delivered");
	cr_assert_eq(m->nb_segs, 1);
	rte_pktmbuf_free(m);
	/* Dropped, counted, when it has not. */
	h_stats(&h_b, &before);
	m = two_segments(&cap[1], false);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	expect_only(&before, WG_DROP_MULTISEG, 1, 0);
}
