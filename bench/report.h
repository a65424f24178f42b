/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What wgedge-bench reports: the machine it ran on, a table for people and
 * one JSON object for bench/plot.sh and later comparisons.
 */
#ifndef WG_BENCH_REPORT_H
#define WG_BENCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "bench.h"
#include "measure.h"

struct wg_bench_machine {
	char cpu_model[128];	/* "model name" of /proc/cpuinfo */
	int cpu_family;
	int cpu_model_number;
	int cpu_stepping;
	bool avx512f;
	bool avx512ifma;
	bool avx2;
	bool vaes;
	bool aes;
	bool sse4_2;
	bool hypervisor;
	long online_cpus;
	char kernel[80];
	char date[32];		/* UTC, ISO 8601 */
	char cmdline[1024];
	const struct wg_bench_clock *clk;
};

/* Reads /proc/cpuinfo, uname and the clock; keeps clk, copies argv. */
void wg_bench_machine_read(struct wg_bench_machine *m, const struct wg_bench_clock *clk,
			   int argc, char **argv);

/* The human table: ratios first, then the absolute figures. */
void wg_bench_print_table(FILE *f, const struct wg_bench_list *l,
			  const struct wg_bench_opts *o, const struct wg_bench_machine *m);

/* The JSON object to path; 0, or -1 after printing why. */
int wg_bench_write_json(const char *path, const struct wg_bench_list *l,
			const struct wg_bench_opts *o, const struct wg_bench_machine *m);

#endif /* WG_BENCH_REPORT_H */
