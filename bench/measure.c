/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The runner: TSC calibration, one case-round, and the figures over rounds.
 *
 * Only run() is timed, burst by burst. On a shared machine the thread loses
 * its CPU for whole time slices now and then; a burst that contains such a
 * slice is milliseconds long against microseconds, and a handful of them
 * would otherwise decide a round (up to 40 % of its time here). They are set
 * apart by length (drop_above x the round's median burst) and reported, so
 * the figures are those of a worker that owns its core, as a dataplane
 * lcore does; the median over interleaved rounds takes care of the slower
 * kinds of noise (frequency, the other core's load on shared caches).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "measure.h"

enum {
	CALIBRATION_TRIES = 3,
	OVERHEAD_SAMPLES = 4096
};

static double
mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* TSC ticks per second over one busy-waited interval of ms. */
static double
tsc_rate_once(unsigned int ms)
{
	double t0, t1, want = ms * 1e-3;
	uint64_t c0, c1;

	t0 = mono_seconds();
	c0 = wg_bench_tsc();
	do {
		t1 = mono_seconds();
	} while (t1 - t0 < want);
	c1 = wg_bench_tsc();
	return (double)(c1 - c0) / (t1 - t0);
}

/* The cycles two back-to-back reads see: subtracted from every timed burst. */
static uint64_t
timer_overhead(void)
{
	static uint64_t d[OVERHEAD_SAMPLES];
	unsigned int i;

	for (i = 0; i < OVERHEAD_SAMPLES; i++) {
		uint64_t t0 = wg_bench_tsc();

		d[i] = wg_bench_tsc() - t0;
	}
	qsort(d, OVERHEAD_SAMPLES, sizeof(d[0]), cmp_u64);
	return d[OVERHEAD_SAMPLES / 2];
}

int
wg_bench_clock_calibrate(struct wg_bench_clock *clk, unsigned int ms)
{
	double rate[CALIBRATION_TRIES];
	unsigned int i;

	for (i = 0; i < CALIBRATION_TRIES; i++)
		rate[i] = tsc_rate_once(ms);
	clk->tsc_hz = wg_bench_stat_of(rate, CALIBRATION_TRIES).median;
	clk->overhead = timer_overhead();
	return clk->tsc_hz > 0 ? 0 : -1;
}

static uint64_t
ms_to_cycles(const struct wg_bench_clock *clk, unsigned int ms)
{
	return (uint64_t)(clk->tsc_hz * ms * 1e-3);
}

/* Untimed bursts, so the round starts with this case's data in cache. */
static void
warm_up(struct wg_bench_case *bc, unsigned int lane, uint64_t cycles)
{
	uint64_t end = wg_bench_tsc() + cycles, bytes = 0;

	do {
		bc->ops->prepare(bc, lane);
		bc->ops->run(bc, lane, &bytes);
	} while (wg_bench_tsc() < end);
}

/* Room for one more burst; grows between bursts, never inside a timed one. */
static int
bursts_reserve(struct wg_bench_bursts *b)
{
	struct wg_bench_burst *v;
	uint64_t *sorted;
	size_t cap;

	if (b->n < b->cap)
		return 0;
	cap = b->cap != 0 ? 2 * b->cap : 4096;
	v = realloc(b->v, cap * sizeof(v[0]));
	if (v == NULL)
		return -1;
	b->v = v;
	sorted = realloc(b->sorted, cap * sizeof(sorted[0]));
	if (sorted == NULL)
		return -1;
	b->sorted = sorted;
	b->cap = cap;
	return 0;
}

void
wg_bench_bursts_free(struct wg_bench_bursts *b)
{
	free(b->v);
	free(b->sorted);
	memset(b, 0, sizeof(*b));
}

/* The round's figures from its bursts, the preempted ones set apart. */
static struct wg_bench_sample
bursts_sample(struct wg_bench_bursts *b, double drop_above)
{
	struct wg_bench_sample s = { 0 };
	double limit = INFINITY;
	size_t i;

	if (b->n != 0 && drop_above > 0) {
		for (i = 0; i < b->n; i++)
			b->sorted[i] = b->v[i].cycles;
		qsort(b->sorted, b->n, sizeof(b->sorted[0]), cmp_u64);
		limit = drop_above * (double)b->sorted[b->n / 2];
	}
	for (i = 0; i < b->n; i++) {
		const struct wg_bench_burst *x = &b->v[i];

		s.bursts++;
		if ((double)x->cycles > limit) {
			s.dropped_bursts++;
			s.dropped_cycles += x->cycles;
			continue;
		}
		s.packets += x->packets;
		s.inner_bytes += x->inner_bytes;
		s.cycles += x->cycles;
	}
	return s;
}

int
wg_bench_lane_run(struct wg_bench_lane *ln)
{
	const struct wg_bench_clock *clk = ln->clk;
	struct wg_bench_case *bc = ln->bc;
	const struct wg_bench_case_ops *ops = bc->ops;
	struct wg_bench_bursts *b = &ln->b;
	uint64_t end, t0, t1, bytes;
	uint32_t n;

	warm_up(bc, ln->lane, ms_to_cycles(clk, ln->warm_ms));
	b->n = 0;
	end = wg_bench_tsc() + ms_to_cycles(clk, ln->duration_ms);
	do {
		if (bursts_reserve(b) != 0) {
			ln->rc = -1;
			return -1;
		}
		ops->prepare(bc, ln->lane);
		bytes = 0;
		t0 = wg_bench_tsc();
		n = ops->run(bc, ln->lane, &bytes);
		t1 = wg_bench_tsc();
		b->v[b->n++] = (struct wg_bench_burst){
			.cycles = t1 - t0 > clk->overhead ? t1 - t0 - clk->overhead : 0,
			.packets = n,
			.inner_bytes = (uint32_t)bytes
		};
	} while (t1 < end);
	ln->sample = bursts_sample(b, ln->drop_above);
	ln->rc = 0;
	return 0;
}

static void
sample_add(struct wg_bench_sample *sum, const struct wg_bench_sample *s)
{
	sum->packets += s->packets;
	sum->inner_bytes += s->inner_bytes;
	sum->cycles += s->cycles;
	sum->bursts += s->bursts;
	sum->dropped_bursts += s->dropped_bursts;
	sum->dropped_cycles += s->dropped_cycles;
}

int
wg_bench_run_round(struct wg_bench_case *bc, const struct wg_bench_clock *clk,
		   struct wg_bench_lane *ln, double drop_above,
		   unsigned int warm_ms, unsigned int duration_ms)
{
	unsigned int k, lanes = bc->lanes != 0 ? bc->lanes : 1;
	struct wg_bench_sample sum = { 0 };
	int rc = 0;

	for (k = 0; k < lanes; k++) {
		ln[k].bc = bc;
		ln[k].lane = k;
		ln[k].clk = clk;
		ln[k].drop_above = drop_above;
		ln[k].warm_ms = warm_ms;
		ln[k].duration_ms = duration_ms;
		memset(&ln[k].sample, 0, sizeof(ln[k].sample));
		ln[k].rc = 0;
	}
	if (bc->ops->start != NULL && bc->ops->start(bc, ln) != 0)
		return -1;
	wg_bench_lane_run(&ln[0]);
	if (bc->ops->stop != NULL)
		bc->ops->stop(bc);
	for (k = 0; k < lanes; k++) {
		rc |= ln[k].rc;
		sample_add(&sum, &ln[k].sample);
	}
	if (rc != 0)
		return -1;
	if (bc->ops->verify(bc) != 0)
		bc->failures++;
	if (bc->rounds < WG_BENCH_MAX_ROUNDS)
		bc->sample[bc->rounds++] = sum;
	return 0;
}

void
wg_bench_lanes_free(struct wg_bench_lane *ln)
{
	unsigned int k;

	for (k = 0; k < WG_BENCH_MAX_LANES; k++)
		wg_bench_bursts_free(&ln[k].b);
}

struct wg_bench_stat
wg_bench_stat_of(double *v, unsigned int n)
{
	struct wg_bench_stat st;

	qsort(v, n, sizeof(v[0]), cmp_double);
	st.min = v[0];
	st.max = v[n - 1];
	st.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return st;
}

static double
sample_seconds(const struct wg_bench_sample *s, const struct wg_bench_clock *clk)
{
	return (double)s->cycles / clk->tsc_hz;
}

double
wg_bench_sample_pps(const struct wg_bench_sample *s, const struct wg_bench_clock *clk)
{
	return s->cycles != 0 ? (double)s->packets / sample_seconds(s, clk) : 0;
}

/* The reference rate of round r: ref's, or that of ref and ref2's mean cost. */
static double
ref_pps(const struct wg_bench_case *ref, const struct wg_bench_case *ref2,
	unsigned int r, const struct wg_bench_clock *clk)
{
	double a = wg_bench_sample_pps(&ref->sample[r], clk), b;

	if (ref2 == NULL)
		return a;
	b = wg_bench_sample_pps(&ref2->sample[r], clk);
	return a > 0 && b > 0 ? 2 / (1 / a + 1 / b) : 0;
}

/* Per round: this case's per-lane packet rate over the reference's. */
static struct wg_bench_stat
ratio_stat(const struct wg_bench_case *bc, const struct wg_bench_case *ref,
	   const struct wg_bench_case *ref2, const struct wg_bench_clock *clk)
{
	struct wg_bench_stat none = { NAN, NAN, NAN };
	double v[WG_BENCH_MAX_ROUNDS];
	unsigned int r, n = 0;

	if (ref == NULL)
		return none;
	for (r = 0; r < bc->rounds && r < ref->rounds &&
	     (ref2 == NULL || r < ref2->rounds); r++) {
		double base = ref_pps(ref, ref2, r, clk);

		if (base > 0)
			v[n++] = wg_bench_sample_pps(&bc->sample[r], clk) / base;
	}
	return n != 0 ? wg_bench_stat_of(v, n) : none;
}

static void
compute_case(struct wg_bench_case *bc, const struct wg_bench_clock *clk)
{
	double mpps[WG_BENCH_MAX_ROUNDS], gbps[WG_BENCH_MAX_ROUNDS];
	double cpp[WG_BENCH_MAX_ROUNDS], dropped[WG_BENCH_MAX_ROUNDS];
	double lanes = bc->lanes != 0 ? bc->lanes : 1;
	unsigned int r, i;

	for (r = 0; r < bc->rounds; r++) {
		const struct wg_bench_sample *s = &bc->sample[r];
		double sec = sample_seconds(s, clk);

		mpps[r] = lanes * wg_bench_sample_pps(s, clk) * 1e-6;
		gbps[r] = sec > 0 ? lanes * (double)s->inner_bytes * 8 / sec * 1e-9 : 0;
		cpp[r] = s->packets != 0 ? (double)s->cycles / (double)s->packets : 0;
		dropped[r] = s->cycles + s->dropped_cycles != 0 ?
			(double)s->dropped_cycles / (double)(s->cycles + s->dropped_cycles) : 0;
	}
	bc->mpps = wg_bench_stat_of(mpps, bc->rounds);
	bc->gbps = wg_bench_stat_of(gbps, bc->rounds);
	bc->cpp = wg_bench_stat_of(cpp, bc->rounds);
	bc->dropped = wg_bench_stat_of(dropped, bc->rounds);
	bc->ratio = ratio_stat(bc, bc->ref, NULL, clk);
	bc->ratio_dir = ratio_stat(bc, bc->ref_dir, NULL, clk);
	for (i = 0; i < bc->n_ratios; i++)
		bc->ratios[i].st = ratio_stat(bc, bc->ratios[i].ref[0],
					      bc->ratios[i].ref[1], clk);
}

void
wg_bench_compute(struct wg_bench_list *l, const struct wg_bench_clock *clk)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i]->rounds != 0)
			compute_case(l->v[i], clk);
	}
}
