/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dataplane cases: the real worker loop (wg_dp_worker_poll()) of a
 * gateway on ring ports, fed by the generator of dp_env.h, one burst per
 * poll; and the plain I/O ceiling, the same frames moved from an RX ring to
 * a TX ring by rte_eth_rx_burst()/rte_eth_tx_burst() and nothing else.
 *
 * What is timed: one poll of the worker (RX burst on both ports, the
 * processing, the TX flush), nothing of the generator. With w workers the
 * case has w lanes, lane k driving worker k from its own lcore: each lane
 * generates its own traffic between its own polls (so no third thread
 * competes for the machine's two CPUs) and times only its polls. The lanes
 * share what the workers share in production: the peers' keypairs (the
 * per-keypair send counter, and the replay window, which takes a lock when
 * several queues can receive a peer's packets, as without RSS here).
 *
 * Traffic spreads over the first span clients round-robin; each lane starts
 * at a different client. Decrypted traffic takes each client's counters in
 * the order the lanes make their messages (one counter per client, shared),
 * so lanes reorder a client's messages by no more than what they hold
 * between making a burst and polling it; a lane held up (preempted) for
 * longer than the other takes to use up the replay window (8192 counters)
 * on the same client has that burst dropped as replays, which are counted
 * (extra "replay_drops") and not reported as packets processed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "dp_cases.h"
#include "studies.h"

static const char *const kind_names[] = {
	[DP_IO] = "io",
	[DP_ENCRYPT] = "encrypt",
	[DP_DECRYPT] = "decrypt",
	[DP_BOTH] = "both",
	[DP_FLOOD_JUNK] = "flood-junk",
	[DP_FLOOD_MAC1] = "flood-mac1",
	[DP_HANDSHAKE] = "handshake"
};

/* ---- Feeding and draining ----------------------------------------------- */

static void
ring_put(struct rte_ring *r, struct rte_mbuf **m, unsigned int n)
{
	unsigned int done = rte_ring_enqueue_burst(r, (void **)m, n, NULL);

	if (done < n)
		rte_pktmbuf_free_bulk(m + done, n - done);
}

/* Outputs of lane k's previous burst: the sink. */
static void
lane_drain(struct dp_case *dc, unsigned int k)
{
	wg_bench_ring_free(dc->g->outer_tx[k]);
	wg_bench_ring_free(dc->g->clear_tx[k]);
}

static void
feed_clear(struct dp_case *dc, unsigned int k)
{
	struct dp_lane *l = &dc->lane[k];
	struct rte_mbuf *m[WG_BENCH_BURST];

	if (wg_bench_gen_clear(dc->g, &l->clear, m, WG_BENCH_BURST, &l->burst_bytes) != 0)
		return;
	l->fed += WG_BENCH_BURST;
	ring_put(dc->g->clear_rx[k], m, WG_BENCH_BURST);
}

static void
feed_outer(struct dp_case *dc, unsigned int k)
{
	struct dp_lane *l = &dc->lane[k];
	struct rte_mbuf *m[WG_BENCH_BURST];

	if (wg_bench_gen_outer(dc->g, dc->env->crypto[k], &l->outer, m,
			       WG_BENCH_BURST, &l->burst_bytes) != 0)
		return;
	l->fed += WG_BENCH_BURST;
	ring_put(dc->g->outer_rx[k], m, WG_BENCH_BURST);
}

/* Position p of a burst carries a flood frame: o->flood of 32, spread out. */
static bool
flood_slot(unsigned int p, unsigned int flood)
{
	return (p + 1) * flood / WG_BENCH_BURST != p * flood / WG_BENCH_BURST;
}

/* Data messages and flood frames mixed in one burst on the outer queue. */
static void
feed_flooded(struct dp_case *dc)
{
	struct dp_lane *l = &dc->lane[0];
	unsigned int flood = dc->env->o->flood, data = WG_BENCH_BURST - flood, p, d = 0;
	struct rte_mbuf *dm[WG_BENCH_BURST], *m[WG_BENCH_BURST];

	if (wg_bench_gen_outer(dc->g, dc->env->crypto[0], &l->outer, dm, data,
			       &l->burst_bytes) != 0)
		return;
	l->fed += data;
	for (p = 0; p < WG_BENCH_BURST; p++) {
		m[p] = flood_slot(p, flood) ?
		       wg_bench_flood_frame(dc->env, dc->kind, l->flood_k++) : dm[d++];
		if (m[p] == NULL) {
			rte_pktmbuf_free_bulk(m, p);
			rte_pktmbuf_free_bulk(dm + d, data - d);
			return;
		}
	}
	ring_put(dc->g->outer_rx[0], m, WG_BENCH_BURST);
}

static void
dp_prepare(struct wg_bench_case *bc, unsigned int lane)
{
	struct dp_case *dc = bc->priv;
	struct dp_lane *l = &dc->lane[lane];

	lane_drain(dc, lane);
	l->burst_bytes = 0;
	l->fed = 0;
	switch (dc->kind) {
	case DP_IO:
	case DP_ENCRYPT:
		feed_clear(dc, lane);
		break;
	case DP_DECRYPT:
		feed_outer(dc, lane);
		break;
	case DP_BOTH:
		feed_outer(dc, lane);
		feed_clear(dc, lane);
		break;
	default:
		/* Cookie replies the control thread sent meanwhile. */
		wg_bench_ring_free(dc->g->outer_tx[dc->g->nq]);
		feed_flooded(dc);
		break;
	}
}

/* ---- Timed -------------------------------------------------------------- */

/* Packets out of the lane's TX rings since the drain, and their share of bytes. */
static uint32_t
lane_out(struct dp_case *dc, unsigned int k, uint64_t *inner_bytes)
{
	const struct dp_lane *l = &dc->lane[k];
	uint32_t out = rte_ring_count(dc->g->outer_tx[k]) + rte_ring_count(dc->g->clear_tx[k]);

	if (l->fed != 0)
		*inner_bytes += out >= l->fed ? l->burst_bytes : l->burst_bytes * out / l->fed;
	return out;
}

static uint32_t
io_run(struct wg_bench_case *bc, unsigned int lane, uint64_t *inner_bytes)
{
	struct dp_case *dc = bc->priv;
	struct rte_mbuf *m[WG_BENCH_BURST];
	uint16_t n, sent;

	n = rte_eth_rx_burst(dc->g->clear_port, (uint16_t)lane, m, WG_BENCH_BURST);
	sent = rte_eth_tx_burst(dc->g->outer_port, (uint16_t)lane, m, n);
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	return lane_out(dc, lane, inner_bytes);
}

static uint32_t
worker_run(struct wg_bench_case *bc, unsigned int lane, uint64_t *inner_bytes)
{
	struct dp_case *dc = bc->priv;

	wg_dp_worker_poll(wg_dp_worker_get(dc->g->dp, lane));
	return lane_out(dc, lane, inner_bytes);
}

/* ---- Start, stop, verify ------------------------------------------------ */

static int
lane_main(void *arg)
{
	return wg_bench_lane_run(arg);
}

static int
dp_start(struct wg_bench_case *bc, struct wg_bench_lane *ln)
{
	struct dp_case *dc = bc->priv;
	unsigned int k;

	if (wg_bench_gw_keep_fresh(dc->g) != 0)
		return -1;
	wg_dp_stats_get(dc->g->dp, &dc->st0);
	if (dc->kind == DP_FLOOD_JUNK || dc->kind == DP_FLOOD_MAC1)
		return wg_bench_ctl_launch(dc->env, 1);
	for (k = 1; k < dc->lanes; k++) {
		if (rte_eal_remote_launch(lane_main, &ln[k], k) != 0) {
			fprintf(stderr, "wgedge-bench: %s: cannot launch lane %u\n",
				bc->name, k);
			while (--k > 0)
				rte_eal_wait_lcore(k);
			return -1;
		}
	}
	return 0;
}

static void
dp_stop(struct wg_bench_case *bc)
{
	struct dp_case *dc = bc->priv;
	unsigned int k;

	if (dc->kind == DP_FLOOD_JUNK || dc->kind == DP_FLOOD_MAC1) {
		wg_bench_ctl_join(dc->env, 1);
		wg_bench_ctl_account(dc->env, bc);
		/* Flood left in the handshake ring would meet the next case. */
		wg_bench_hs_rings_free(dc->g);
		wg_bench_ring_free(dc->g->outer_tx[dc->g->nq]);
		return;
	}
	for (k = 1; k < dc->lanes; k++)
		rte_eal_wait_lcore(k);
}

/* Checks and frees what is in r; the number of frames, or -1 if one is wrong. */
static int
check_ring(struct dp_case *dc, struct rte_ring *r,
	   int (*check)(const struct wg_bench_gw *, const struct rte_mbuf *,
			uint32_t, uint32_t))
{
	struct rte_mbuf *m[WG_BENCH_BURST];
	unsigned int n, i;
	int count = 0, bad = 0;

	while ((n = rte_ring_dequeue_burst(r, (void **)m, RTE_DIM(m), NULL)) != 0) {
		for (i = 0; i < n; i++)
			bad |= check(dc->g, m[i], dc->size, dc->span);
		rte_pktmbuf_free_bulk(m, n);
		count += (int)n;
	}
	return bad != 0 ? -1 : count;
}

/* The last burst of lane k came out whole and right. */
static int
lane_verify(struct dp_case *dc, unsigned int k)
{
	int out = 0, clear = 0;

	if (dc->kind == DP_IO)
		out = check_ring(dc, dc->g->outer_tx[k], wg_bench_check_clear_in);
	if (dc->kind == DP_ENCRYPT || dc->kind == DP_BOTH)
		out = check_ring(dc, dc->g->outer_tx[k], wg_bench_check_outer_out);
	if (dc->kind != DP_IO && dc->kind != DP_ENCRYPT)
		clear = check_ring(dc, dc->g->clear_tx[k], wg_bench_check_clear_out);
	if (out < 0 || clear < 0)
		return -1;
	if ((uint32_t)(out + clear) == dc->lane[k].fed)
		return 0;
	return dc->replayed && (uint32_t)(out + clear) < dc->lane[k].fed ? 0 : -1;
}

/*
 * No drop but those the case means: flood frames (wrong mac1; the ring to
 * a control thread that cannot keep up; its cookie replies into a full
 * queue) and, with several lanes, replays (see the top of this file).
 */
static int
drops_verify(struct wg_bench_case *bc)
{
	struct dp_case *dc = bc->priv;
	struct wg_dp_stats st;
	uint64_t d[WG_DROP_MAX], other = 0;
	unsigned int r;

	wg_dp_stats_get(dc->g->dp, &st);
	for (r = 0; r < WG_DROP_MAX; r++)
		d[r] = st.drops[r] - dc->st0.drops[r];
	dc->replayed = d[WG_DROP_REPLAY] != 0 && dc->lanes > 1;
	if (dc->replayed)
		wg_bench_extra_add(bc, "replay_drops", (double)d[WG_DROP_REPLAY]);
	if (dc->kind == DP_FLOOD_JUNK || dc->kind == DP_FLOOD_MAC1) {
		wg_bench_extra_add(bc, "bad_mac1_drops", (double)d[WG_DROP_HS_BAD_MAC1]);
		wg_bench_extra_add(bc, "hs_ring_full_drops", (double)d[WG_DROP_HS_RING_FULL]);
	}
	for (r = 0; r < WG_DROP_MAX; r++) {
		if (r == WG_DROP_HS_BAD_MAC1 || r == WG_DROP_HS_RING_FULL ||
		    r == WG_DROP_TX_FULL) {
			if (dc->kind == DP_FLOOD_JUNK || dc->kind == DP_FLOOD_MAC1)
				continue;
		}
		if (r == WG_DROP_REPLAY && dc->replayed)
			continue;
		other += d[r];
	}
	if (other != 0)
		fprintf(stderr, "wgedge-bench: %s: %llu packets dropped\n", bc->name,
			(unsigned long long)other);
	return other != 0 ? -1 : 0;
}

static int
dp_verify(struct wg_bench_case *bc)
{
	struct dp_case *dc = bc->priv;
	unsigned int k;
	int rc = dc->kind == DP_IO ? 0 : drops_verify(bc);

	for (k = 0; k < dc->lanes; k++)
		if (lane_verify(dc, k) != 0)
			rc = -1;
	if (rc != 0)
		fprintf(stderr, "wgedge-bench: %s: output check failed\n", bc->name);
	return rc;
}

static void
dp_case_destroy(struct wg_bench_case *bc)
{
	free(bc->priv);
	bc->priv = NULL;
}

static const struct wg_bench_case_ops io_ops = {
	.prepare = dp_prepare,
	.run = io_run,
	.verify = dp_verify,
	.destroy = dp_case_destroy,
	.start = dp_start,
	.stop = dp_stop
};

static const struct wg_bench_case_ops worker_ops = {
	.prepare = dp_prepare,
	.run = worker_run,
	.verify = dp_verify,
	.destroy = dp_case_destroy,
	.start = dp_start,
	.stop = dp_stop
};

/* ---- The cases ---------------------------------------------------------- */

static const struct wg_bench_case *
find(const struct wg_bench_list *l, const char *family, const char *direction,
     uint32_t size, uint32_t peers, unsigned int lanes, const char *arch)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct wg_bench_case *bc = l->v[i];

		if (strcmp(bc->family, family) == 0 &&
		    strcmp(bc->direction, direction) == 0 && bc->size == size &&
		    (peers == 0 || bc->peers == peers) &&
		    (lanes == 0 || bc->lanes == lanes) &&
		    (arch == NULL || strcmp(bc->arch, arch) == 0))
			return bc;
	}
	return NULL;
}

/* Ceilings: the raw crypto of the same direction (both: seal and open). */
static void
set_ratios(struct wg_bench_list *l, struct wg_bench_case *bc, const struct dp_case *dc)
{
	const struct wg_bench_opts *o = dc->env->o;
	uint32_t few = wg_bench_fewest_peers(o);
	const struct wg_bench_case *seal, *open;

	if (dc->kind == DP_IO || dc->kind == DP_HANDSHAKE)
		return;
	seal = find(l, "crypto", "seal", bc->size, few, 0, o->best_arch);
	open = find(l, "crypto", "open", bc->size, few, 0, o->best_arch);
	if (dc->kind == DP_ENCRYPT)
		wg_bench_ratio_add(bc, "crypto", seal, NULL);
	else if (dc->kind == DP_BOTH)
		wg_bench_ratio_add(bc, "crypto", seal, open);
	else
		wg_bench_ratio_add(bc, "crypto", open, NULL);
	wg_bench_ratio_add(bc, "io", find(l, "dataplane", "io", bc->size, 0, bc->lanes,
					  NULL), NULL);
	if (dc->kind == DP_FLOOD_JUNK || dc->kind == DP_FLOOD_MAC1)
		wg_bench_ratio_add(bc, "unflooded", find(l, "dataplane", "decrypt",
							 bc->size, bc->peers, 1, NULL),
				   NULL);
}

static int
add_case(struct wg_bench_list *l, struct dp_env *e, enum dp_kind kind,
	 unsigned int workers, uint32_t size, uint32_t span)
{
	struct wg_bench_case *bc = wg_bench_case_new(l);
	struct dp_case *dc;
	char sz[16];
	unsigned int k;

	if (bc == NULL || (dc = calloc(1, sizeof(*dc))) == NULL)
		return -1;
	bc->priv = dc;
	dc->env = e;
	dc->g = &e->gw[workers];
	dc->kind = kind;
	dc->size = size;
	dc->span = span;
	dc->lanes = kind == DP_FLOOD_JUNK || kind == DP_FLOOD_MAC1 ? 1 : workers;
	for (k = 0; k < dc->lanes; k++) {
		wg_bench_stream_init(&dc->lane[k].clear, span, size, k, dc->lanes);
		wg_bench_stream_init(&dc->lane[k].outer, span, size, k, dc->lanes);
	}
	bc->ops = kind == DP_IO ? &io_ops : &worker_ops;
	bc->family = "dataplane";
	bc->arch = kind == DP_IO ? "none" : e->arch;
	bc->direction = kind_names[kind];
	bc->size = size;
	bc->peers = span;
	bc->lanes = dc->lanes;
	snprintf(bc->name, sizeof(bc->name), "dataplane/%s/%s/p%u/w%u", bc->direction,
		 wg_bench_size_label(size, sz, sizeof(sz)), span, workers);
	if (kind == DP_FLOOD_JUNK || kind == DP_FLOOD_MAC1)
		wg_bench_extra_set(bc, "flood_per_burst", e->o->flood);
	set_ratios(l, bc, dc);
	return 0;
}

static bool
size_fits(uint32_t size)
{
	return size == WG_BENCH_SIZE_IMIX || size >= WG_BENCH_MIN_INNER;
}

/* One kind of case for every workers count, size and peer count asked. */
static int
add_kind(struct wg_bench_list *l, struct dp_env *e, enum dp_kind kind)
{
	const struct wg_bench_opts *o = e->o;
	unsigned int w, s, p, np = kind == DP_IO ? 1 : o->n_dp_peers;
	uint32_t span;

	for (w = 0; w < o->n_workers; w++) {
		if (!e->have_gw[o->workers[w]])
			continue;
		for (s = 0; s < o->n_sizes; s++) {
			for (p = 0; p < np && size_fits(o->sizes[s]); p++) {
				span = kind == DP_IO ? o->dp_peers[0] : o->dp_peers[p];
				if (add_case(l, e, kind, o->workers[w], o->sizes[s], span) != 0)
					return -1;
			}
		}
	}
	return 0;
}

/* The peer count the flood cases use: the one nearest 1000. */
static uint32_t
flood_span(const struct wg_bench_opts *o)
{
	uint32_t best = o->dp_peers[0];
	unsigned int p;

	for (p = 1; p < o->n_dp_peers; p++)
		if (labs((long)o->dp_peers[p] - 1000) < labs((long)best - 1000))
			best = o->dp_peers[p];
	return best;
}

/* Flood cases at the smallest and the largest size asked (64 and 1420). */
static int
add_flood(struct wg_bench_list *l, struct dp_env *e)
{
	const struct wg_bench_opts *o = e->o;
	uint32_t lo = UINT32_MAX, hi = 0, sizes[2];
	unsigned int s, n, kind;

	for (s = 0; s < o->n_sizes; s++) {
		if (o->sizes[s] == WG_BENCH_SIZE_IMIX || !size_fits(o->sizes[s]))
			continue;
		lo = RTE_MIN(lo, o->sizes[s]);
		hi = RTE_MAX(hi, o->sizes[s]);
	}
	if (hi == 0)
		return 0;
	sizes[0] = lo;
	sizes[1] = hi;
	n = lo == hi ? 1 : 2;
	/* The unflooded reference, if the decrypt cases do not include it. */
	for (s = 0; s < n; s++)
		if (find(l, "dataplane", "decrypt", sizes[s], flood_span(o), 1, NULL) == NULL &&
		    add_case(l, e, DP_DECRYPT, 1, sizes[s], flood_span(o)) != 0)
			return -1;
	for (kind = DP_FLOOD_JUNK; kind <= DP_FLOOD_MAC1; kind++)
		for (s = 0; s < n; s++)
			if (add_case(l, e, (enum dp_kind)kind, 1, sizes[s],
				     flood_span(o)) != 0)
				return -1;
	return 0;
}

static int
add_handshake(struct wg_bench_list *l, struct dp_env *e)
{
	struct wg_bench_case *bc = wg_bench_case_new(l);
	struct dp_case *dc;

	if (bc == NULL || (dc = calloc(1, sizeof(*dc))) == NULL)
		return -1;
	bc->priv = dc;
	dc->env = e;
	dc->g = &e->gw[1];
	dc->kind = DP_HANDSHAKE;
	dc->lanes = 1;
	bc->ops = &wg_bench_hs_ops;
	bc->family = "dataplane";
	bc->arch = "sodium";		/* X25519 and the handshake AEADs */
	bc->direction = kind_names[DP_HANDSHAKE];
	bc->size = sizeof(struct wg_msg_initiation);
	bc->peers = DP_HS_PEERS;
	bc->lanes = 1;
	snprintf(bc->name, sizeof(bc->name), "dataplane/handshake/%u/p%u/w1",
		 bc->size, DP_HS_PEERS);
	return 0;
}

static int
add_all(struct wg_bench_list *l, struct dp_env *e)
{
	static const enum dp_kind data[] = { DP_IO, DP_ENCRYPT, DP_DECRYPT, DP_BOTH };
	static const uint32_t bit[] = {
		WG_BENCH_DP_IO, WG_BENCH_DP_ENCRYPT, WG_BENCH_DP_DECRYPT, WG_BENCH_DP_BOTH
	};
	const struct wg_bench_opts *o = e->o;
	uint32_t kinds = o->dp_kinds;
	unsigned int i;

	/* The I/O ceiling goes with every data path: the ratios need it. */
	if (kinds & (WG_BENCH_DP_ENCRYPT | WG_BENCH_DP_DECRYPT | WG_BENCH_DP_BOTH |
		     WG_BENCH_DP_FLOOD))
		kinds |= WG_BENCH_DP_IO;
	for (i = 0; i < RTE_DIM(data); i++)
		if ((kinds & bit[i]) && add_kind(l, e, data[i]) != 0)
			return -1;
	if (e->hs != NULL && (o->dp_kinds & WG_BENCH_DP_FLOOD) && o->flood != 0 &&
	    add_flood(l, e) != 0)
		return -1;
	if (e->hs != NULL && (o->dp_kinds & WG_BENCH_DP_HANDSHAKE) &&
	    add_handshake(l, e) != 0)
		return -1;
	return 0;
}

/* ---- The family --------------------------------------------------------- */

static uint32_t
most_peers(const struct wg_bench_opts *o)
{
	uint32_t m = 1;
	unsigned int p;

	for (p = 0; p < o->n_dp_peers; p++)
		m = RTE_MAX(m, o->dp_peers[p]);
	return m;
}

static long
alloc_bytes(void)
{
	return wg_bench_eal_alloc_bytes() + wg_bench_libc_alloc_bytes();
}

/* The gateway with w workers and every client; its memory is recorded. */
static int
gw_setup(struct dp_env *e, unsigned int w, bool control)
{
	struct wg_bench_gw_conf c = {
		.nq = w,
		.host = (uint8_t)w,
		.max_peers = e->clients.n + (control ? DP_HS_HEADROOM : 0),
	};
	struct wg_bench_dut_memory *mem;
	char name[16];
	long rss0 = wg_bench_rss_bytes(), rss1, a0 = alloc_bytes(), a1;
	uint64_t t0;

	snprintf(name, sizeof(name), "dut%u", w);
	c.name = name;
	e->have_gw[w] = true;
	if (wg_bench_gw_create(&e->gw[w], &c) != 0)
		return -1;
	rss1 = wg_bench_rss_bytes();
	a1 = alloc_bytes();
	t0 = wg_dp_clock_ns();
	if (wg_bench_gw_add_clients(&e->gw[w], &e->clients, e->clients.n) != 0)
		return -1;
	mem = wg_bench_studies_dut_memory();
	if (mem != NULL) {
		mem->workers = w;
		mem->max_peers = c.max_peers;
		mem->clients = e->clients.n;
		mem->create_bytes = rss1 - rss0;
		mem->clients_bytes = wg_bench_rss_bytes() - rss1;
		mem->create_alloc = a1 - a0;
		mem->clients_alloc = alloc_bytes() - a1;
		mem->clients_s = (wg_dp_clock_ns() - t0) * 1e-9;
	}
	return 0;
}

static void
dp_env_free(void *p)
{
	struct dp_env *e = p;
	unsigned int k;

	if (e == NULL)
		return;
	wg_bench_hs_free(e);
	for (k = 0; k <= WG_BENCH_MAX_LANES; k++)
		if (e->have_gw[k])
			wg_bench_gw_destroy(&e->gw[k]);
	for (k = 0; k < WG_BENCH_MAX_LANES; k++)
		wg_crypto_destroy(e->crypto[k]);
	wg_bench_clients_free(&e->clients);
	free(e);
}

static int
env_setup(struct dp_env *e)
{
	const struct wg_bench_opts *o = e->o;
	unsigned int k, w, lanes = wg_bench_eal_lanes();

	for (k = 0; k < lanes; k++) {
		e->crypto[k] = wg_crypto_create(WG_CRYPTO_AUTO);
		if (e->crypto[k] == NULL)
			return -1;
	}
	e->arch = wg_crypto_name(e->crypto[0]);
	if (wg_bench_clients_create(&e->clients, most_peers(o)) != 0)
		return -1;
	for (w = 0; w < o->n_workers; w++) {
		if (o->workers[w] > lanes) {
			fprintf(stderr, "wgedge-bench: %u workers need %u CPUs: skipped\n",
				o->workers[w], o->workers[w]);
			continue;
		}
		fprintf(stderr, "wgedge-bench: gateway with %u worker%s and %u peers\n",
			o->workers[w], o->workers[w] == 1 ? "" : "s", e->clients.n);
		if (gw_setup(e, o->workers[w], o->workers[w] == 1) != 0)
			return -1;
	}
	if ((o->dp_kinds & (WG_BENCH_DP_FLOOD | WG_BENCH_DP_HANDSHAKE)) == 0)
		return 0;
	if (!e->have_gw[1] || lanes < 2) {
		fprintf(stderr, "wgedge-bench: handshake and flood cases need 1 worker "
			"and a second CPU: skipped\n");
		return 0;
	}
	if (wg_bench_hs_setup(e) != 0)
		return -1;
	if ((o->dp_kinds & WG_BENCH_DP_FLOOD) && o->flood != 0)
		return wg_bench_hs_flood_study(e, o->duration_ms);
	return 0;
}

static int
dp_add(struct wg_bench_list *l, const struct wg_bench_opts *o, void **pctx)
{
	struct dp_env *e = calloc(1, sizeof(*e));

	*pctx = e;
	if (e == NULL)
		goto fail;
	e->o = o;
	if (env_setup(e) != 0 || add_all(l, e) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "wgedge-bench: cannot set up the dataplane cases\n");
	return -1;
}

const struct wg_bench_family wg_bench_dp_family = {
	.name = "dataplane",
	.add = dp_add,
	.destroy = dp_env_free
};
