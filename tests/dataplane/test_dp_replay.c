/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The replay window under two concurrent receivers. RSS hashes the outer
 * source address and port, which a sender chooses (and a NAT rebinding
 * changes), so one keypair's packets can reach two workers at once even on
 * a port with RSS. Here gateway A's outer port is a net_null device, which
 * advertises RSS, fed through RX callbacks from one ring per queue; every
 * data message goes to both queues, and two threads poll the two workers at
 * the same time (a round of a thousand counters each, started together). Each counter must come out of the clear port exactly once:
 * a window updated by both workers together accepts some counters twice
 * (and, moved backwards, re-accepts old ones).
 *
 * The second test narrows the same race to the workers' replay stage
 * (dp_replay_check() on the installed keypair), millions of checks from
 * two threads in step: through whole packets the race is rare, as the
 * window is a small part of a burst's work, but it is there all the same.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <rte_ethdev.h>
#include <rte_pause.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <sodium.h>

#include "dp_priv.h"
#include "harness.h"
#include "transport.h"

enum {
	NQ = 2,
	ROUND = H_RING_SIZE - 24,	/* counters per round, to both queues */
	ROUNDS = 30,
	TOTAL = ROUND * ROUNDS,
	INNER_LEN = 64,
	LOCAL_INDEX = 7,
	FRAME_MAX = 256,
	DEADLINE_S = 60,
	STAGE_TOTAL = 1 << 17,		/* counters the replay stage checks */
	STAGE_STRIDE = 64
};

static uint32_t peer_id;
static uint8_t rx_key[NOISE_SYMMETRIC_KEY_LEN];
static uint8_t seen[TOTAL];
static const struct rte_eth_rxtx_callback *cb[NQ];
static pthread_barrier_t round_start, round_end;
static bool stop_pollers, late, garbled;		/* atomic */
static uint64_t polls[NQ];			/* atomic: this round's */

TestSuite(replay_dp, .init = h_setup, .fini = h_teardown);

/*
 * The RX callback of outer queue q: what the ring holds is what the queue
 * received (the null device receives nothing of its own).
 */
static uint16_t
feed_rx(uint16_t port, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
	uint16_t max, void *ring)
{
	RTE_SET_USED(port);
	RTE_SET_USED(q);
	return (uint16_t)(n + rte_ring_sc_dequeue_burst(ring, (void **)(pkts + n),
							 max - n, NULL));
}

/* A with a null outer port (RSS), NQ workers and one peer with a keypair. */
static void
gateway_start(void)
{
	struct wg_noise_keypair kp;
	struct h_gw b;
	uint16_t q;

	h_gw_init(&h_a, "gwA", 1, NQ);
	h_gw_null_outer(&h_a);
	h_gw_start(&h_a);
	cr_assert(wg_dp_outer_rss(h_a.dp), "net_null advertises RSS");
	for (q = 0; q < NQ; q++) {
		cb[q] = rte_eth_add_rx_callback(h_a.outer_port, q, feed_rx,
						h_a.outer_rx[q]);
		cr_assert_not_null(cb[q]);
	}
	h_gw_init(&b, "gwB", 2, 1);	/* addresses only: the sender */
	peer_id = h_peer_for(&h_a, &b, false);
	memset(&kp, 0, sizeof(kp));
	randombytes_buf(kp.receiving_key, sizeof(kp.receiving_key));
	randombytes_buf(kp.sending_key, sizeof(kp.sending_key));
	memcpy(rx_key, kp.receiving_key, sizeof(rx_key));
	kp.local_index = LOCAL_INDEX;
	kp.remote_index = 9;
	kp.i_am_the_initiator = true;
	kp.birthdate_ns = wg_dp_clock_ns();
	cr_assert(wg_dp_peer_keypair_install(h_a.dp, peer_id, &kp) == 0);
	sodium_memzero(&kp, sizeof(kp));
}

static void
gateway_stop(void)
{
	uint16_t q;

	for (q = 0; q < NQ; q++) {
		cr_assert(rte_eth_remove_rx_callback(h_a.outer_port, q, cb[q]) == 0);
		/* Nobody polls now: the callback can go. */
		rte_free((void *)(uintptr_t)cb[q]);
	}
}

/* The outer frame of data message `counter` from B (10.0.0.2) to A. */
static uint16_t
frame_make(uint8_t *f, uint64_t counter)
{
	uint8_t inner[INNER_LEN] = { 0x45 }, *ip = f + 14, *udp = ip + 20;
	size_t mlen;
	uint16_t len;

	inner[2] = 0;
	inner[3] = INNER_LEN;
	inner[8] = 64;
	inner[9] = 17;
	memcpy(inner + 12, (uint8_t[]){ 192, 168, 2, 10 }, 4);
	memcpy(inner + 16, (uint8_t[]){ 192, 168, 1, 20 }, 4);
	memcpy(inner + 20, &counter, sizeof(counter));
	mlen = wg_transport_seal(udp + 8, FRAME_MAX - 42, LOCAL_INDEX, counter,
				 rx_key, inner, sizeof(inner), H_MTU);
	cr_assert(mlen != 0);
	len = (uint16_t)(42 + mlen);
	memset(f, 0, 42);
	memcpy(f, h_a.outer_mac.addr_bytes, 6);
	f[6] = 0x02;
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8);
	ip[3] = (uint8_t)(len - 14);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	memcpy(ip + 16, h_a.ep4.addr.v4, 4);
	udp[0] = udp[2] = WG_DEFAULT_PORT >> 8;
	udp[1] = udp[3] = WG_DEFAULT_PORT & 0xff;
	udp[4] = (uint8_t)((len - 34) >> 8);
	udp[5] = (uint8_t)(len - 34);
	h_outer_fix(f, len);
	return len;
}

/* What came out of worker q's clear queue: counts each counter delivered. */
static void
collect(unsigned int q)
{
	struct rte_mbuf *m[64];
	unsigned int i, n;
	uint64_t c;

	while ((n = h_ring_take(h_a.clear_tx[q], m, RTE_DIM(m))) != 0) {
		for (i = 0; i < n; i++) {
			memcpy(&c, rte_pktmbuf_mtod_offset(m[i], uint8_t *, 14 + 20),
			       sizeof(c));
			if (m[i]->data_len != 14 + INNER_LEN || c >= TOTAL)
				__atomic_store_n(&garbled, true, __ATOMIC_RELAXED);
			else
				__atomic_fetch_add(&seen[c], 1, __ATOMIC_RELAXED);
		}
		rte_pktmbuf_free_bulk(m, n);
	}
}

/*
 * Polls worker q until its queue's ring is empty, collecting as it goes
 * (the clear rings hold less than a round); false past the deadline. The
 * two workers go in step, a poll (a burst of the same counters) each at a
 * time: neither starts poll k + 1 before the other finished poll k, so
 * whenever both threads are on a CPU they check the same counters at once.
 */
static bool
drain(unsigned int q)
{
	struct wg_dp_worker *w = wg_dp_worker_get(h_a.dp, q);
	time_t end = time(NULL) + DEADLINE_S;
	uint64_t mine = 0;

	while (!rte_ring_empty(h_a.outer_rx[q])) {
		while (__atomic_load_n(&polls[q ^ 1], __ATOMIC_ACQUIRE) < mine &&
		       !rte_ring_empty(h_a.outer_rx[q ^ 1])) {
			if (time(NULL) > end)
				return false;
			rte_pause();
		}
		wg_dp_worker_poll(w);
		collect(q);
		__atomic_store_n(&polls[q], ++mine, __ATOMIC_RELEASE);
	}
	return true;
}

/* Worker q's thread: one drain per round, in step with the others. */
static void *
poller(void *arg)
{
	unsigned int q = (unsigned int)(uintptr_t)arg;

	for (;;) {
		pthread_barrier_wait(&round_start);
		if (__atomic_load_n(&stop_pollers, __ATOMIC_ACQUIRE))
			break;
		if (!drain(q))
			__atomic_store_n(&late, true, __ATOMIC_RELAXED);
		pthread_barrier_wait(&round_end);
	}
	return NULL;
}

/* Both queues get the same ROUND data messages, counters first... */
static void
round_feed(uint64_t first)
{
	static uint8_t f[ROUND][FRAME_MAX];
	static uint16_t len[ROUND];
	struct rte_mbuf *m[ROUND];
	unsigned int i, q;

	for (i = 0; i < ROUND; i++)
		len[i] = frame_make(f[i], first + i);
	for (q = 0; q < NQ; q++) {
		for (i = 0; i < ROUND; i++)
			m[i] = h_frame(&h_a, f[i], len[i]);
		h_ring_put(h_a.outer_rx[q], m, ROUND);
	}
}

H_TEST(replay_dp, two_workers_never_accept_a_counter_twice, .timeout = 300)
{
	unsigned int r, q, twice = 0, missing = 0, c;
	struct wg_dp_stats st;
	pthread_t t[NQ];

	gateway_start();
	cr_assert(pthread_barrier_init(&round_start, NULL, NQ + 1) == 0);
	cr_assert(pthread_barrier_init(&round_end, NULL, NQ + 1) == 0);
	for (q = 0; q < NQ; q++)
		cr_assert(pthread_create(&t[q], NULL, poller, (void *)(uintptr_t)q) == 0);
	for (r = 0; r < ROUNDS && !__atomic_load_n(&late, __ATOMIC_RELAXED); r++) {
		round_feed((uint64_t)r * ROUND);
		memset(polls, 0, sizeof(polls));
		pthread_barrier_wait(&round_start);
		pthread_barrier_wait(&round_end);
	}
	__atomic_store_n(&stop_pollers, true, __ATOMIC_RELEASE);
	pthread_barrier_wait(&round_start);
	for (q = 0; q < NQ; q++)
		pthread_join(t[q], NULL);
	pthread_barrier_destroy(&round_start);
	pthread_barrier_destroy(&round_end);
	gateway_stop();
	cr_assert(!late, "the workers drained their queues");
	cr_assert(!garbled, "every delivered packet is one we sent");

	for (c = 0; c < TOTAL; c++) {
		twice += seen[c] > 1;
		missing += seen[c] == 0;
	}
	h_stats(&h_a, &st);
	cr_assert_eq(twice, 0, "%u of %u counters delivered more than once "
		     "(decrypted %lu)", twice, TOTAL, (unsigned long)st.decrypted);
	/* Whichever worker reaches a counter first finds it new and inside
	 * the window; the other copy is a replay. */
	cr_assert_eq(missing, 0, "%u counters never delivered", missing);
	cr_assert_eq(st.decrypted, TOTAL);
	cr_assert_eq(st.drops[WG_DROP_REPLAY], TOTAL);
	cr_assert_eq(wg_dp_drops_total(&st), TOTAL, "only the second copies dropped");
}

static uint8_t stage_seen[STAGE_TOTAL];
static uint64_t stage_done[NQ];			/* atomic: bursts checked */

/*
 * Thread q's share: every counter, in bursts of WG_DP_BURST, each burst
 * only once the other thread finished the one before (in step, as above).
 */
static void *
stage_checker(void *arg)
{
	unsigned int q = (unsigned int)(uintptr_t)arg, i;
	struct wg_dp_keypair *kp[WG_DP_BURST];
	struct wg_crypto_op op[WG_DP_BURST];
	uint8_t ok[WG_DP_BURST], verdict[WG_DP_BURST];
	time_t end = time(NULL) + DEADLINE_S;
	uint64_t b, c;

	memset(op, 0, sizeof(op));
	memset(ok, 1, sizeof(ok));
	for (i = 0; i < WG_DP_BURST; i++)
		kp[i] = __atomic_load_n(&h_a.dp->peers[peer_id].cur, __ATOMIC_ACQUIRE);
	for (b = 0; b < STAGE_TOTAL / WG_DP_BURST; b++) {
		while (__atomic_load_n(&stage_done[q ^ 1], __ATOMIC_ACQUIRE) < b) {
			if (time(NULL) > end) {
				__atomic_store_n(&late, true, __ATOMIC_RELAXED);
				return NULL;
			}
			rte_pause();	/* no yield: both stay on their CPUs */
		}
		/* A word of the window per counter: every check moves it. */
		for (i = 0; i < WG_DP_BURST; i++)
			op[i].counter = (b * WG_DP_BURST + i) * STAGE_STRIDE;
		dp_replay_check(kp, op, ok, verdict, WG_DP_BURST);
		for (i = 0; i < WG_DP_BURST; i++) {
			c = op[i].counter / STAGE_STRIDE;
			if (verdict[i] == WG_DP_PASS)
				__atomic_fetch_add(&stage_seen[c], 1, __ATOMIC_RELAXED);
			else if (verdict[i] != WG_DROP_REPLAY)
				__atomic_store_n(&garbled, true, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&stage_done[q], b + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

H_TEST(replay_dp, replay_stage_never_accepts_a_counter_twice, .timeout = 300)
{
	unsigned int q, c, twice = 0, missing = 0;
	pthread_t t[NQ];

	gateway_start();
	for (q = 0; q < NQ; q++)
		cr_assert(pthread_create(&t[q], NULL, stage_checker,
					 (void *)(uintptr_t)q) == 0);
	for (q = 0; q < NQ; q++)
		pthread_join(t[q], NULL);
	gateway_stop();
	cr_assert(!late, "both threads finished");
	cr_assert(!garbled, "every refusal is a replay");
	for (c = 0; c < STAGE_TOTAL; c++) {
		twice += stage_seen[c] > 1;
		missing += stage_seen[c] == 0;
	}
	cr_assert_eq(twice, 0, "%u of %u counters accepted twice", twice,
		     STAGE_TOTAL);
	cr_assert_eq(missing, 0, "%u counters never accepted", missing);
}
