/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Timing for wgedge-bench: the TSC read between two lfences (so the work
 * being timed can neither start before the first read nor still be running
 * at the second), calibrated against CLOCK_MONOTONIC, and the runner that
 * measures one case-round.
 */
#ifndef WG_BENCH_MEASURE_H
#define WG_BENCH_MEASURE_H

#include <stdint.h>

#include <x86intrin.h>

#include "bench.h"

/* What the runner needs to know of the clock. */
struct wg_bench_clock {
	double tsc_hz;		/* calibrated against CLOCK_MONOTONIC */
	uint64_t overhead;	/* cycles one empty timed region reads (median) */
};

static inline uint64_t
wg_bench_tsc(void)
{
	uint64_t t;

	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
}

/*
 * Fills clk: the TSC rate over ms milliseconds of CLOCK_MONOTONIC (the median
 * of three tries) and the timer's own overhead. -1 if the TSC did not move.
 */
int wg_bench_clock_calibrate(struct wg_bench_clock *clk, unsigned int ms);

/* Scratch for the bursts of one case-round, reused from round to round. */
struct wg_bench_bursts {
	struct wg_bench_burst *v;
	uint64_t *sorted;
	size_t n;
	size_t cap;
};

struct wg_bench_burst {
	uint64_t cycles;
	uint32_t packets;
	uint32_t inner_bytes;
};

/*
 * One lane of a case-round: what it runs (set by the runner) and what it
 * measured. The burst scratch b is kept from round to round.
 */
struct wg_bench_lane {
	struct wg_bench_case *bc;
	unsigned int lane;
	const struct wg_bench_clock *clk;
	double drop_above;
	unsigned int warm_ms;
	unsigned int duration_ms;
	struct wg_bench_bursts b;
	struct wg_bench_sample sample;
	int rc;				/* 0, or -1: out of memory for b */
};

/*
 * The loop of one lane, on the calling thread: warm_ms of untimed bursts,
 * then prepare/run for duration_ms of wall time, timing each run() alone.
 * A burst that took more than drop_above times the lane's median burst is
 * taken for one during which the thread lost its CPU (on a shared machine,
 * another task ran for a time slice: milliseconds against a burst's
 * microseconds) and is left out, counted in dropped_*; drop_above 0 keeps
 * every burst. Fills ln->sample; returns ln->rc.
 */
int wg_bench_lane_run(struct wg_bench_lane *ln);

/*
 * One case-round: ops->start() (which launches lanes 1..), lane 0 on this
 * thread, ops->stop(), then verify(). The lanes' samples, summed, go to
 * bc->sample[bc->rounds++]; verify() failing counts in bc->failures.
 * ln[WG_BENCH_MAX_LANES] is the caller's scratch, kept from round to round.
 * -1 if a lane ran out of memory or start() failed.
 */
int wg_bench_run_round(struct wg_bench_case *bc, const struct wg_bench_clock *clk,
		       struct wg_bench_lane *ln, double drop_above,
		       unsigned int warm_ms, unsigned int duration_ms);

/* Frees every lane's scratch. */
void wg_bench_lanes_free(struct wg_bench_lane *ln);

void wg_bench_bursts_free(struct wg_bench_bursts *b);

/* Median, min and max of v[0..n) (n > 0); v is reordered. */
struct wg_bench_stat wg_bench_stat_of(double *v, unsigned int n);

/* Packets per second of one lane (lcore) in a sample. */
double wg_bench_sample_pps(const struct wg_bench_sample *s,
			   const struct wg_bench_clock *clk);

/*
 * The figures of every case over its rounds, and its ratios (per round,
 * then the median) to bc->ref, bc->ref_dir and bc->ratios[] where they are
 * set. Mpps and Gbit/s of a case with several lanes are the sum over its
 * lanes (lanes x the rate of their summed timed cycles); cycles per packet
 * and every ratio are per lane.
 */
void wg_bench_compute(struct wg_bench_list *l, const struct wg_bench_clock *clk);

#endif /* WG_BENCH_MEASURE_H */
