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
 * One case-round: warm_ms of untimed bursts, then prepare/run for
 * duration_ms of wall time, timing each run() alone. A burst that took more
 * than drop_above times the round's median burst is taken for one during
 * which the thread lost its CPU (on a shared machine, another task ran for a
 * time slice: milliseconds against a burst's microseconds) and is left out,
 * counted in dropped_*; drop_above 0 keeps every burst. The sample goes to
 * bc->sample[bc->rounds++]; verify() failing counts in bc->failures.
 * -1 if out of memory for b.
 */
int wg_bench_run_round(struct wg_bench_case *bc, const struct wg_bench_clock *clk,
		       struct wg_bench_bursts *b, double drop_above,
		       unsigned int warm_ms, unsigned int duration_ms);

void wg_bench_bursts_free(struct wg_bench_bursts *b);

/* Median, min and max of v[0..n) (n > 0); v is reordered. */
struct wg_bench_stat wg_bench_stat_of(double *v, unsigned int n);

/*
 * The figures of every case over its rounds, and its ratios (per round,
 * then the median) to bc->ref and bc->ref_dir where they are set.
 */
void wg_bench_compute(struct wg_bench_list *l, const struct wg_bench_clock *clk);

#endif /* WG_BENCH_MEASURE_H */
