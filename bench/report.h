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

/* bench/report_dp.c: the dataplane table and the studies, printed and as JSON. */
void wg_bench_print_dataplane(FILE *f, const struct wg_bench_list *l,
			      const struct wg_bench_opts *o);
void wg_bench_print_studies(FILE *f, const struct wg_bench_list *l,
			    const struct wg_bench_opts *o);
/* "studies": {...}, with a trailing newline. */
void wg_bench_json_studies(FILE *f, const struct wg_bench_list *l);

/* JSON pieces shared by report.c and report_dp.c. */
void wg_bench_json_str(FILE *f, const char *s);
/* A number, or null for NaN and infinities. */
void wg_bench_json_num(FILE *f, double x);
/* An inner size: the number, or "imix". */
void wg_bench_json_size(FILE *f, uint32_t size);
/* , "name": median, "name_min": min, "name_max": max */
void wg_bench_json_stat(FILE *f, const char *name, const struct wg_bench_stat *st);

#endif /* WG_BENCH_REPORT_H */
