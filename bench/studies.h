/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What wgedge-bench measures beside the cases: latency through two gateways
 * back to back (bench/latency.c), loading peers through the control socket
 * with wg(8) (bench/scale.c), and the memory the dataplane cases' gateways
 * took. Filled as the run goes; bench/report.c prints and writes them.
 */
#ifndef WG_BENCH_STUDIES_H
#define WG_BENCH_STUDIES_H

#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "measure.h"

enum {
	WG_BENCH_MAX_LATENCY = 16,
	WG_BENCH_MAX_DUTS = WG_BENCH_MAX_LANES
};

/* One latency figure set: a size through one path, in nanoseconds. */
struct wg_bench_latency {
	uint32_t size;			/* inner bytes, or WG_BENCH_SIZE_IMIX */
	const char *mode;		/* "polled", "worker-loop" */
	const char *path;		/* "encrypt+decrypt", "io" */
	unsigned int packets;		/* measured */
	unsigned int lost;		/* not out within the timeout */
	double median_ns, p90_ns, p99_ns, max_ns;
};

/*
 * One peer count loaded through the control socket (or wg_control_apply),
 * into its own gateway. Only the first count's RSS deltas are whole: EAL
 * memory freed by an earlier count's gateway stays resident, so later
 * counts are read from the allocator figures (EAL heap + malloc).
 */
struct wg_bench_scale {
	bool ran;			/* set up, loaded and measured */
	const char *method;		/* "wg setconf", "wg_control_apply" */
	uint32_t peers;			/* in the file */
	uint32_t peers_loaded;		/* the device model has, after */
	int status;			/* wg's exit status, or apply's result */
	double load_s;			/* the set, until wg exited */
	long rss_before, rss_created, rss_loaded;	/* bytes */
	/* Allocated bytes: EAL heap (rte_malloc) and libc malloc in use. */
	long eal_before, eal_created, eal_loaded;
	long libc_before, libc_created, libc_loaded;
};

/* One dataplane gateway's memory (RSS deltas, bytes). */
struct wg_bench_dut_memory {
	unsigned int workers;
	uint32_t max_peers;
	uint32_t clients;		/* peers with a session */
	long create_bytes;		/* RSS: wg_dp_create sized for max_peers */
	long clients_bytes;		/* RSS: adding the clients and their keypairs */
	long create_alloc, clients_alloc;	/* the same, EAL heap + malloc */
	double clients_s;		/* adding the clients (wg_dp_* calls) */
};

struct wg_bench_studies {
	struct wg_bench_latency lat[WG_BENCH_MAX_LATENCY];
	unsigned int n_lat;
	struct wg_bench_scale scale[WG_BENCH_MAX_SCALE_COUNTS];	/* ascending */
	unsigned int n_scale;		/* counts asked for (o->n_scale_peers) */
	struct wg_bench_dut_memory dut[WG_BENCH_MAX_DUTS];
	unsigned int n_dut;
	unsigned int eal_mem_mb;
	unsigned int eal_lanes;
};

/* The run's studies (one per process). */
struct wg_bench_studies *wg_bench_studies(void);
/* The next free slot for a gateway's memory, or NULL. */
struct wg_bench_dut_memory *wg_bench_studies_dut_memory(void);

/* The resident set of this process, in bytes (/proc/self/statm). */
long wg_bench_rss_bytes(void);
/* Bytes allocated from the EAL heaps (every socket); 0 without EAL. */
long wg_bench_eal_alloc_bytes(void);
/* Bytes malloc has handed out and not had back (mallinfo2). */
long wg_bench_libc_alloc_bytes(void);

/* Latency through two gateways back to back; 0 or -1 (said why). */
int wg_bench_latency_run(const struct wg_bench_opts *o, const struct wg_bench_clock *clk);
/*
 * Loads each of o->scale_peers (ascending) through the control socket,
 * one gateway at a time; 0, or -1 (said which count failed) at the first
 * count that fails, the larger ones left with ran false.
 */
int wg_bench_scale_run(const struct wg_bench_opts *o);

#endif /* WG_BENCH_STUDIES_H */
