/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lock-free tables under churn. One worker runs on its own lcore and
 * forwards continuously while this thread, as the control thread, adds and
 * removes peers, their routes (IPv4 and IPv6) and keypairs, CHURN_ROUNDS
 * times or for CHURN_S seconds on a machine too busy for that (every
 * removal waits for the worker to pass a quiescent state). Every frame
 * that comes out is opened with the reference under the key its receiver
 * index names, and its inner packet must be intact and addressed inside
 * that very peer's allowed IPs. Packets to the stable peers are never
 * lost. Retired keypairs are freed through RCU: under ASan they live on the
 * libc heap, so a worker touching one after its grace period would be a
 * reported use-after-free.
 *
 * The two threads run at whatever pace the machine gives them. A stable
 * peer's packets that meet it between two keypairs are staged (and the
 * ones after them too, until this thread sends them), and a peer stages at
 * most MAX_STAGED_PACKETS: so no more than that many stable packets are
 * ever in flight, however far one thread runs ahead of the other.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <sodium.h>

#include "harness.h"
#include "transport.h"

enum {
	STABLE = 4,
	CHURN_ROUNDS = 2000,
	CHURN_S = 20,
	STAGE_EVERY = 100,		/* rounds between forced staging */
	RECORDS = STABLE + 2 * CHURN_ROUNDS + CHURN_ROUNDS / STAGE_EVERY + 16,
	INDEX_BASE = 0x1000,
	PER_ROUND = 8,
	FRAME_MAX = 1600
};

/* What a receiver index stands for: the key and the peer's prefixes. */
struct record {
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t v4[3];			/* a /24 */
	uint8_t v6[8];			/* a /64 */
	bool stable;
};

static struct record rec[RECORDS];
static uint32_t n_rec;
static uint32_t stable_id[STABLE], stable_rec[STABLE];
static uint64_t sent_stable, got_stable, got_churn;

TestSuite(concurrent, .init = h_setup, .fini = h_teardown);

static void
prefixes(struct record *r, uint8_t net, uint8_t sub)
{
	r->v4[0] = 172;
	r->v4[1] = net;
	r->v4[2] = sub;
	memset(r->v6, 0, sizeof(r->v6));
	r->v6[0] = 0xfd;
	r->v6[1] = net;
	r->v6[7] = sub;
}

/* A keypair the test knows, installed on peer id; returns its record. */
static uint32_t
install(uint32_t id, uint8_t net, uint8_t sub, bool stable)
{
	struct wg_noise_keypair kp;
	struct record *r;

	cr_assert(n_rec < RECORDS);
	r = &rec[n_rec];
	memset(&kp, 0, sizeof(kp));
	randombytes_buf(kp.sending_key, sizeof(kp.sending_key));
	randombytes_buf(kp.receiving_key, sizeof(kp.receiving_key));
	memcpy(r->key, kp.sending_key, sizeof(r->key));
	prefixes(r, net, sub);
	r->stable = stable;
	kp.remote_index = INDEX_BASE + n_rec;
	kp.local_index = INDEX_BASE + n_rec;
	kp.i_am_the_initiator = true;
	kp.birthdate_ns = wg_dp_clock_ns();
	cr_assert(wg_dp_peer_keypair_install(h_a.dp, id, &kp) == 0);
	sodium_memzero(&kp, sizeof(kp));
	return n_rec++;
}

static void
routes(uint32_t id, const struct record *r, bool add)
{
	uint8_t a4[4] = { r->v4[0], r->v4[1], r->v4[2], 0 }, a6[16] = { 0 };
	int rc4, rc6;

	memcpy(a6, r->v6, 8);
	if (add) {
		rc4 = wg_dp_allowed_ip_add(h_a.dp, id, WG_AF_INET, a4, 24);
		rc6 = wg_dp_allowed_ip_add(h_a.dp, id, WG_AF_INET6, a6, 64);
	} else {
		rc4 = wg_dp_allowed_ip_remove(h_a.dp, id, WG_AF_INET, a4, 24);
		rc6 = wg_dp_allowed_ip_remove(h_a.dp, id, WG_AF_INET6, a6, 64);
	}
	cr_assert(rc4 == 0 && rc6 == 0, "routes %d %d", rc4, rc6);
}

static uint32_t
peer_new(uint8_t host)
{
	struct wg_endpoint ep = { .family = WG_AF_INET, .port = 51820 };
	int id = wg_dp_peer_add(h_a.dp);

	cr_assert(id >= 0);
	memcpy(ep.addr.v4, (uint8_t[]){ 10, 0, 2, host }, 4);
	cr_assert(wg_dp_peer_set_endpoint(h_a.dp, (uint32_t)id, &ep) == 0);
	return (uint32_t)id;
}

/*
 * Packets into the worker's clear RX ring, if it has room and, for a stable
 * peer, if they cannot overflow its staging (see the top); whether they went.
 */
static bool
inject(const struct record *r, unsigned int n, uint32_t seed)
{
	struct rte_mbuf *m[PER_ROUND];
	uint8_t s4[4] = { 192, 168, 1, 1 }, d4[4], s6[16] = { 0xfd, 0x99 }, d6[16] = { 0 };
	unsigned int i;

	if (rte_ring_free_count(h_a.clear_rx[0]) < n)
		return false;
	if (r->stable && sent_stable - got_stable + n > MAX_STAGED_PACKETS)
		return false;
	memcpy(d4, r->v4, 3);
	memcpy(d6, r->v6, 8);
	for (i = 0; i < n; i++, seed++) {
		d4[3] = (uint8_t)(1 + seed % 250);
		d6[15] = d4[3];
		m[i] = (seed & 1) ? h_inner6(&h_a, s6, d6, (uint16_t)(60 + seed % 1300), seed) :
				    h_inner4(&h_a, s4, d4, (uint16_t)(40 + seed % 1300), seed);
	}
	h_ring_put(h_a.clear_rx[0], m, n);
	if (r->stable)
		sent_stable += n;
	return true;
}

/* The inner packet as h_inner4/6 built it for its seed and length. */
static void
check_inner(const uint8_t *ip, long plen, const struct record *r)
{
	uint32_t seed;
	uint16_t len, i, hl;
	const uint8_t *p;

	if ((ip[0] >> 4) == 4) {
		len = (uint16_t)(ip[2] << 8 | ip[3]);
		hl = 20;
		cr_assert(memcmp(ip + 16, r->v4, 3) == 0, "IPv4 dst in the peer's /24");
	} else {
		len = (uint16_t)((ip[4] << 8 | ip[5]) + 40);
		hl = 40;
		cr_assert(memcmp(ip + 24, r->v6, 8) == 0, "IPv6 dst in the peer's /64");
	}
	cr_assert(len <= plen);
	p = ip + hl;
	memcpy(&seed, p, 4);
	for (i = 4; i < len - hl; i++)
		cr_assert_eq(p[i], (uint8_t)(seed * 131 + i * 7 + (i >> 8)),
			     "payload intact");
}

/* Every frame A sent: opened under the key its index names. */
static void
drain_and_check(struct rte_ring *ring)
{
	static uint8_t f[FRAME_MAX];
	struct rte_mbuf *m[32];
	unsigned int n, i;
	uint32_t idx;
	uint16_t len, off;
	uint64_t counter;
	long pl;

	while ((n = h_ring_take(ring, m, RTE_DIM(m))) != 0) {
		for (i = 0; i < n; i++) {
			len = h_copy(m[i], f, sizeof(f));
			off = h_outer_msg_off(f);
			memcpy(&idx, f + off + 4, 4);
			idx = wg_le32(idx);
			cr_assert(idx >= INDEX_BASE && idx < INDEX_BASE + n_rec,
				  "receiver index %u is one we installed", idx);
			pl = wg_transport_open(f + off, len - off,
					       rec[idx - INDEX_BASE].key, &counter);
			cr_assert(pl > 0, "opens under its keypair's key");
			check_inner(f + off + 16, pl, &rec[idx - INDEX_BASE]);
			if (rec[idx - INDEX_BASE].stable)
				got_stable++;
			else
				got_churn++;
		}
		rte_pktmbuf_free_bulk(m, n);
	}
}

/* Staged packets (a keypair retired under a worker's feet) go out. */
static void
serve_events(void)
{
	struct wg_dp_event ev[16];
	unsigned int n, i;

	n = wg_dp_events_poll(h_a.dp, ev, RTE_DIM(ev));
	for (i = 0; i < n; i++)
		if (ev[i].bits & WG_DP_EV_STAGED)
			wg_dp_peer_send_staged(h_a.dp, ev[i].peer_id);
}

static void
drain_all(void)
{
	serve_events();
	drain_and_check(h_a.outer_tx[0]);
	drain_and_check(h_a.outer_tx[1]);
}

static void
stable_start(void)
{
	unsigned int i;

	for (i = 0; i < STABLE; i++) {
		stable_id[i] = peer_new((uint8_t)(100 + i));
		stable_rec[i] = install(stable_id[i], 16, (uint8_t)i, true);
		routes(stable_id[i], &rec[stable_rec[i]], true);
	}
}

/* Every stable packet out and the worker's ring empty, or the deadline. */
static void
drain_stable(uint64_t deadline)
{
	while ((got_stable != sent_stable || rte_ring_count(h_a.clear_rx[0]) != 0) &&
	       h_before(deadline))
		drain_all();
	cr_assert_eq(got_stable, sent_stable, "stable packets out in %u s: %lu of %lu",
		     (unsigned int)H_WAIT_S, (unsigned long)got_stable,
		     (unsigned long)sent_stable);
}

/*
 * A stable peer's packets sent while it has no keypair (a handshake under
 * way) are staged for certain, whatever the scheduling; they go out with
 * its next session, at the next drain.
 */
static void
stage_round(unsigned int s, uint32_t seed)
{
	uint64_t deadline = h_deadline(H_WAIT_S), before;
	struct wg_dp_stats st;

	drain_stable(deadline);
	h_stats(&h_a, &st);
	before = st.staged;
	wg_dp_peer_keypairs_clear(h_a.dp, stable_id[s]);
	cr_assert(inject(&rec[stable_rec[s]], PER_ROUND, seed));
	do
		h_stats(&h_a, &st);
	while (st.staged < before + PER_ROUND && h_before(deadline));
	cr_assert_geq(st.staged, before + PER_ROUND, "staged without a keypair");
	stable_rec[s] = install(stable_id[s], 16, (uint8_t)s, true);
}

/* One incarnation of a peer: endpoint, keypair, routes; traffic; removal. */
static void
churn_round(unsigned int round)
{
	uint32_t id = peer_new((uint8_t)round), r;
	unsigned int s = round % STABLE;

	r = install(id, 17, (uint8_t)(id & 0xff), false);
	routes(id, &rec[r], true);
	inject(&rec[r], PER_ROUND, round * 977);
	inject(&rec[stable_rec[s]], PER_ROUND, round * 131);
	inject(&rec[stable_rec[(s + 1) % STABLE]], PER_ROUND, round * 7);
	if (round % 2 == 0)
		drain_all();
	/* A stable peer's keypairs wiped while the worker sends with them
	 * (its packets wait for the next one), then a new session. */
	wg_dp_peer_keypairs_clear(h_a.dp, stable_id[s]);
	stable_rec[s] = install(stable_id[s], 16, (uint8_t)s, true);
	if (round % 16 == 0)
		wg_dp_reclaim(h_a.dp);
	if (round % STAGE_EVERY == 0)
		stage_round((s + 2) % STABLE, round * 31);
	if (round % 3 == 0)
		routes(id, &rec[r], false);	/* routes go before the peer */
	cr_assert(wg_dp_peer_remove(h_a.dp, id) == 0);
}

/* The timeout leaves room for CHURN_S and a drain of up to H_WAIT_S. */
H_TEST(concurrent, churn_while_forwarding, .timeout = 100)
{
	struct wg_dp_worker *w;
	struct wg_dp_stats st;
	unsigned int lcore, round, i;
	uint64_t churn_end;

	h_gw_init(&h_a, "gwA", 1, 1);
	h_gw_start(&h_a);
	stable_start();
	lcore = rte_get_next_lcore(-1, 1, 0);
	cr_assert(lcore < RTE_MAX_LCORE, "a second lcore");
	w = wg_dp_worker_get(h_a.dp, 0);
	cr_assert(wg_dp_worker_launch(w, lcore) == 0);
	churn_end = h_deadline(CHURN_S);
	for (round = 0; round < CHURN_ROUNDS && h_before(churn_end); round++)
		churn_round(round);
	/* Let the worker finish what is queued (by the clock: it shares the
	 * CPUs with the rest of the machine), then stop it. */
	drain_stable(h_deadline(H_WAIT_S));
	cr_assert(wg_dp_worker_stop(w) == 0);
	drain_all();
	drain_all();
	cr_assert_eq(rte_ring_count(h_a.clear_rx[0]), 0);
	h_stats(&h_a, &st);
	for (i = 0; i < WG_DROP_MAX; i++)
		if (i != WG_DROP_NO_ROUTE && i != WG_DROP_PEER_GONE)
			cr_assert_eq(st.drops[i], 0, "%s: %lu", wg_dp_drop_name(i),
				     (unsigned long)st.drops[i]);
	cr_assert_eq(got_stable, sent_stable, "every stable peer's packet arrived "
		     "(%lu of %lu, %lu staged)", (unsigned long)got_stable,
		     (unsigned long)sent_stable, (unsigned long)st.staged);
	cr_assert(got_churn > 0);
	cr_assert_geq(st.staged, (uint64_t)(round + STAGE_EVERY - 1) / STAGE_EVERY *
		      PER_ROUND, "stable packets were staged and then delivered");
	cr_log_info("%u rounds: %lu stable and %lu churn packets checked, %lu "
		    "dropped with their peer", round,
		    (unsigned long)got_stable, (unsigned long)got_churn,
		    (unsigned long)wg_dp_drops_total(&st));
}
