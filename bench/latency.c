/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Latency at a low rate, one packet at a time, through two gateways back to
 * back: A encrypts (clear -> outer), its outer TX ring is B's outer RX ring,
 * B decrypts (outer -> clear). Timed with the TSC from the enqueue of the
 * clear frame into A's RX ring to its dequeue from B's clear TX ring.
 *
 * - polled: the bench polls A's worker then B's once per packet
 *   (wg_dp_worker_poll() flushes its TX buffers at the end), so the figure
 *   is the processing alone. Interleaved packet by packet with the same
 *   frames moved by plain rte_eth_rx_burst/tx_burst through the same rings
 *   (path "io"); the added latency is the difference.
 * - worker-loop: A's worker runs its real loop on the second lcore
 *   (wg_dp_worker_launch()) while the main thread sends a packet every
 *   LOOP_GAP_US and polls B until it comes out. This is what a packet at a
 *   low rate meets in production: the worker sends a TX buffer when it
 *   holds a full burst or when its drain timer (WG_DP_DRAIN_US) expires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <sodium.h>

#include "consts.h"
#include "dp_env.h"
#include "studies.h"

enum {
	/* Between packets in worker-loop mode: LOOP_GAP_US plus a random part
	 * up to the drain timer's period, so sends keep no phase with it. */
	LOOP_GAP_US = 250,
	LOOP_JITTER_US = 100,
	LOOP_TIMEOUT_US = 20000,
	HOST_A = 11,
	HOST_B = 12
};

struct lat_pair {
	struct wg_bench_gw a, b;
	struct wg_bench_clients keys;	/* [0]: A's keys, [1]: B's */
	uint64_t tsc_hz;
};

/* A's peer is B (it routes 100.64.0.0/10); B's is A (198.51.100.0/24). */
static int
peer_add(struct wg_bench_gw *g, const struct wg_bench_gw *o, uint32_t prefix,
	 uint8_t cidr, const uint8_t *tx, const uint8_t *rx, uint32_t li, uint32_t ri)
{
	struct wg_endpoint ep = { .family = WG_AF_INET, .port = WG_DEFAULT_PORT };
	struct wg_noise_keypair kp = {
		.local_index = li, .remote_index = ri, .i_am_the_initiator = true,
		.birthdate_ns = wg_dp_clock_ns()
	};
	uint32_t ip = rte_cpu_to_be_32(o->outer_ip), pre = rte_cpu_to_be_32(prefix);
	int id = wg_dp_peer_add(g->dp), rc;

	if (id < 0)
		return id;
	memcpy(ep.addr.v4, &ip, 4);
	memcpy(kp.sending_key, tx, sizeof(kp.sending_key));
	memcpy(kp.receiving_key, rx, sizeof(kp.receiving_key));
	rc = wg_dp_peer_set_endpoint(g->dp, (uint32_t)id, &ep);
	if (rc == 0)
		rc = wg_dp_allowed_ip_add(g->dp, (uint32_t)id, WG_AF_INET,
					  (const uint8_t *)&pre, cidr);
	if (rc == 0)
		rc = wg_dp_peer_keypair_install(g->dp, (uint32_t)id, &kp);
	sodium_memzero(&kp, sizeof(kp));
	return rc;
}

static int
pair_make(struct lat_pair *p)
{
	struct wg_bench_gw_conf ca = { .name = "latA", .host = HOST_A, .nq = 1,
				       .max_peers = 16 };
	struct wg_bench_gw_conf cb = { .name = "latB", .host = HOST_B, .nq = 1,
				       .max_peers = 16 };

	if (wg_bench_clients_create(&p->keys, 2) != 0 || wg_bench_gw_create(&p->a, &ca) != 0)
		return -1;
	cb.outer_rx0 = p->a.outer_tx[0];
	if (wg_bench_gw_create(&p->b, &cb) != 0)
		return -1;
	if (peer_add(&p->a, &p->b, WG_BENCH_CLIENT_TUNNEL(0), 10, p->keys.gw_tx[0],
		     p->keys.gw_tx[1], 101, 202) != 0 ||
	    peer_add(&p->b, &p->a, WG_BENCH_NET_HOST & 0xffffff00u, 24, p->keys.gw_tx[1],
		     p->keys.gw_tx[0], 202, 101) != 0) {
		fprintf(stderr, "wgedge-bench: latency: cannot pair the gateways\n");
		return -1;
	}
	return 0;
}

static void
pair_free(struct lat_pair *p)
{
	/* B's outer RX ring is A's: B goes first. */
	wg_bench_gw_destroy(&p->b);
	wg_bench_gw_destroy(&p->a);
	wg_bench_clients_free(&p->keys);
}

/* One clear frame of the size's next packet in A's pool. */
static struct rte_mbuf *
frame(struct lat_pair *p, struct wg_bench_stream *s)
{
	struct rte_mbuf *m;
	uint64_t bytes = 0;

	return wg_bench_gen_clear(&p->a, s, &m, 1, &bytes) == 0 ? m : NULL;
}

static void
fwd(uint16_t from, uint16_t to)
{
	struct rte_mbuf *m[4];
	uint16_t n = rte_eth_rx_burst(from, 0, m, RTE_DIM(m)), sent;

	sent = rte_eth_tx_burst(to, 0, m, n);
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, n - sent);
}

/* One packet through A and B (or the plain I/O path); TSC cycles, 0 if lost. */
static uint64_t
one_polled(struct lat_pair *p, struct rte_mbuf *m, bool io)
{
	struct rte_mbuf *out;
	uint64_t t0, t1;

	t0 = wg_bench_tsc();
	if (rte_ring_enqueue(p->a.clear_rx[0], m) != 0) {
		rte_pktmbuf_free(m);
		return 0;
	}
	if (io) {
		fwd(p->a.clear_port, p->a.outer_port);
		fwd(p->b.outer_port, p->b.clear_port);
	} else {
		wg_dp_worker_poll(wg_dp_worker_get(p->a.dp, 0));
		wg_dp_worker_poll(wg_dp_worker_get(p->b.dp, 0));
	}
	if (rte_ring_dequeue(p->b.clear_tx[0], (void **)&out) != 0)
		return 0;
	t1 = wg_bench_tsc();
	rte_pktmbuf_free(out);
	return t1 - t0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void
record(struct lat_pair *p, uint64_t *v, unsigned int n, unsigned int lost,
       uint32_t size, const char *mode, const char *path)
{
	struct wg_bench_studies *st = wg_bench_studies();
	struct wg_bench_latency *l;
	double ns = (double)WG_NSEC_PER_SEC / (double)p->tsc_hz;

	if (st->n_lat == WG_BENCH_MAX_LATENCY)
		return;
	l = &st->lat[st->n_lat++];
	memset(l, 0, sizeof(*l));
	l->size = size;
	l->mode = mode;
	l->path = path;
	l->packets = n;
	l->lost = lost;
	if (n == 0)
		return;
	qsort(v, n, sizeof(v[0]), cmp_u64);
	l->median_ns = (double)v[n / 2] * ns;
	l->p90_ns = (double)v[(size_t)n * 90 / 100] * ns;
	l->p99_ns = (double)v[(size_t)n * 99 / 100] * ns;
	l->max_ns = (double)v[n - 1] * ns;
}

/* Polled: the dataplane and the I/O path, packet by packet in turn. */
static int
run_polled(struct lat_pair *p, uint32_t size, unsigned int packets)
{
	uint64_t *dp = calloc(packets, sizeof(*dp)), *io = calloc(packets, sizeof(*io));
	unsigned int i, ndp = 0, nio = 0, lost_dp = 0, lost_io = 0;
	struct wg_bench_stream s;
	struct rte_mbuf *m;
	uint64_t c;

	if (dp == NULL || io == NULL) {
		free(dp);
		free(io);
		return -1;
	}
	wg_bench_stream_init(&s, 1, size, 0, 1);
	for (i = 0; i < 2 * packets; i++) {
		if ((m = frame(p, &s)) == NULL)
			break;
		c = one_polled(p, m, i & 1);
		if (i & 1)
			c != 0 ? (void)(io[nio++] = c) : (void)lost_io++;
		else
			c != 0 ? (void)(dp[ndp++] = c) : (void)lost_dp++;
	}
	record(p, dp, ndp, lost_dp, size, "polled", "encrypt+decrypt");
	record(p, io, nio, lost_io, size, "polled", "io");
	free(dp);
	free(io);
	return 0;
}

/* Polls B until the packet is out; cycles since t0, or 0 after the timeout. */
static uint64_t
wait_out(struct lat_pair *p, uint64_t t0)
{
	uint64_t limit = t0 + p->tsc_hz / 1000000 * LOOP_TIMEOUT_US, t;
	struct rte_mbuf *out;

	do {
		wg_dp_worker_poll(wg_dp_worker_get(p->b.dp, 0));
		if (rte_ring_dequeue(p->b.clear_tx[0], (void **)&out) == 0) {
			t = wg_bench_tsc();
			rte_pktmbuf_free(out);
			return t - t0;
		}
	} while (wg_bench_tsc() < limit);
	return 0;
}

/* A's worker in its own loop on lcore 1; a packet now and then (see above). */
static int
run_loop(struct lat_pair *p, uint32_t size, unsigned int packets)
{
	struct wg_dp_worker *w = wg_dp_worker_get(p->a.dp, 0);
	uint64_t *v = calloc(packets, sizeof(*v)), us, next, c;
	unsigned int i, n = 0, lost = 0;
	struct wg_bench_stream s;
	struct rte_mbuf *m;

	if (v == NULL || wg_dp_worker_launch(w, 1) != 0) {
		free(v);
		return -1;
	}
	wg_bench_stream_init(&s, 1, size, 0, 1);
	us = p->tsc_hz / 1000000;
	for (i = 0; i < packets && (m = frame(p, &s)) != NULL; i++) {
		next = wg_bench_tsc() + us * (LOOP_GAP_US +
					      randombytes_uniform(LOOP_JITTER_US));
		while (wg_bench_tsc() < next)
			;
		c = rte_ring_enqueue(p->a.clear_rx[0], m) == 0 ?
		    wait_out(p, wg_bench_tsc()) : 0;
		c != 0 ? (void)(v[n++] = c) : (void)lost++;
	}
	wg_dp_worker_stop(w);
	record(p, v, n, lost, size, "worker-loop", "encrypt+decrypt");
	free(v);
	return 0;
}

/* The smallest and the largest fixed size asked for. */
static unsigned int
lat_sizes(const struct wg_bench_opts *o, uint32_t sizes[2])
{
	uint32_t lo = UINT32_MAX, hi = 0;
	unsigned int s;

	for (s = 0; s < o->n_sizes; s++) {
		if (o->sizes[s] == WG_BENCH_SIZE_IMIX || o->sizes[s] < WG_BENCH_MIN_INNER)
			continue;
		lo = RTE_MIN(lo, o->sizes[s]);
		hi = RTE_MAX(hi, o->sizes[s]);
	}
	sizes[0] = lo;
	sizes[1] = hi;
	return hi == 0 ? 0 : lo == hi ? 1 : 2;
}

int
wg_bench_latency_run(const struct wg_bench_opts *o, const struct wg_bench_clock *clk)
{
	struct lat_pair p;
	uint32_t sizes[2];
	unsigned int s, n = lat_sizes(o, sizes);
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.tsc_hz = (uint64_t)clk->tsc_hz;
	if (pair_make(&p) != 0)
		rc = -1;
	for (s = 0; s < n && rc == 0; s++) {
		fprintf(stderr, "wgedge-bench: latency, %u B\n", sizes[s]);
		rc = run_polled(&p, sizes[s], o->latency_packets);
		if (rc == 0 && wg_bench_eal_lanes() >= 2)
			rc = run_loop(&p, sizes[s], o->latency_packets / 4 + 1);
	}
	pair_free(&p);
	return rc;
}
