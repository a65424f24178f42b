/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wgedge-bench: the shape every benchmark case has, and the runner that
 * measures them all the same way.
 *
 * A case is one path (crypto seal and open; the dataplane's encrypt, decrypt
 * and forwarding paths; the control thread's handshakes) at one arch, inner
 * packet size, number of peers and number of worker lcores. A family of cases
 * (bench/crypto_cases.c, bench/dp_cases.c) adds its cases to a list with a
 * table of functions:
 *
 *   prepare()  untimed: makes the next burst ready, the stand-in for the NIC
 *              having received it (copies packets into the buffer pool);
 *   run()      timed: pushes that burst through the path under test;
 *   verify()   after a case-round: checks the last burst came out right, so
 *              a fast but wrong path never reports a figure;
 *   start(), stop()  optional, around a case-round: what runs beside it (the
 *              other lanes of a multi-worker case, a control thread).
 *
 * The runner (bench/measure.c) alternates prepare/run for --duration-ms of
 * wall time, reads the TSC (lfence-ordered) around each run() alone, and so
 * reports what the path itself costs. A case with several lanes (one per
 * worker lcore) runs that loop on each lane's lcore at the same time, each
 * timing its own run()s. A burst during which the thread lost its CPU to
 * another task is left out (see wg_bench_run_round()). All cases run in
 * interleaved rounds (round r: every case once), and figures are medians over
 * the rounds, so a ratio compares two cases that ran under the same load.
 */
#ifndef WG_BENCH_H
#define WG_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "messages.h"

enum {
	WG_BENCH_BURST = 32,		/* ops per run(): the worker's burst */
	WG_BENCH_MTU = WG_DEFAULT_MTU,	/* the tunnel's inner MTU: padding never passes it */
	WG_BENCH_MAX_ROUNDS = 100,
	WG_BENCH_MAX_SIZES = 16,
	WG_BENCH_MAX_PEER_COUNTS = 4,
	WG_BENCH_MAX_SCALE_COUNTS = 8,	/* --scale-peers */
	WG_BENCH_MAX_PEERS = 65536,
	WG_BENCH_MAX_LANES = 4,		/* worker lcores of one case */
	WG_BENCH_MAX_RATIOS = 3,
	WG_BENCH_MAX_EXTRA = 8,
	WG_BENCH_SIZE_IMIX = 0		/* in a size list, and in a case: the IMIX */
};

/*
 * The IMIX: the classic 7:4:1 mix of 64, 576 and 1500-byte packets, with
 * 1500 clamped to the 1420-byte inner MTU. Packets come in this order of 12,
 * repeated, so every burst holds a mix rather than runs of one size.
 */
extern const uint32_t wg_bench_imix[12];
#define WG_BENCH_IMIX_LEN (sizeof(wg_bench_imix) / sizeof(wg_bench_imix[0]))
/* Mean inner bytes of the IMIX (4172 / 12 = 347.67). */
double wg_bench_imix_mean(void);

struct wg_bench_case;
struct wg_bench_lane;

/*
 * What a family provides for each of its cases; see the top of this file.
 * lane is the worker lcore's index in the case (0: the main thread); a lane
 * touches only its own queues and state, so lanes run concurrently.
 */
struct wg_bench_case_ops {
	void (*prepare)(struct wg_bench_case *bc, unsigned int lane);
	/* Returns the packets processed; adds their inner bytes to *inner_bytes. */
	uint32_t (*run)(struct wg_bench_case *bc, unsigned int lane,
			uint64_t *inner_bytes);
	/* 0 if the last burst came out right, else -1. */
	int (*verify)(struct wg_bench_case *bc);
	/* Frees bc->priv (not bc); NULL if there is nothing to free. */
	void (*destroy)(struct wg_bench_case *bc);
	/*
	 * Optional. start() runs on the main thread before a case-round: it
	 * launches lanes 1..bc->lanes-1, each calling wg_bench_lane_run(&ln[k]),
	 * and anything else that runs beside the case; 0 or -1. stop() waits
	 * for all of it once lane 0 is done, before verify().
	 */
	int (*start)(struct wg_bench_case *bc, struct wg_bench_lane *ln);
	void (*stop)(struct wg_bench_case *bc);
};

/*
 * One round's measurement of one case: the bursts kept, and those left out
 * as preempted (see wg_bench_run_round()).
 */
struct wg_bench_sample {
	uint64_t packets;
	uint64_t inner_bytes;
	uint64_t cycles;	/* TSC cycles inside run(), timer overhead removed */
	uint64_t bursts;
	uint64_t dropped_bursts;
	uint64_t dropped_cycles;
};

/* A figure over the rounds. */
struct wg_bench_stat {
	double median;
	double min;
	double max;
};

/*
 * A ratio of per-lcore packet rates, taken per round: the case's over its
 * reference's. With two references (the dataplane's "both" direction, half
 * its packets sealed and half opened) the reference rate is that of their
 * mean cost per packet.
 */
struct wg_bench_ratio {
	const char *name;		/* "crypto", "io", "unflooded" */
	const struct wg_bench_case *ref[2];	/* ref[1] may be NULL */
	struct wg_bench_stat st;
};

/* A named figure a family adds to its case (flood rate, drops seen). */
struct wg_bench_extra {
	const char *name;
	double value;
};

struct wg_bench_case {
	/* Set by the family that adds the case. */
	char name[64];		/* e.g. "crypto/seal/avx512/64/p1" */
	const char *family;	/* "crypto", "dataplane" */
	const char *arch;	/* "avx512", "avx2", "sse", "sodium" */
	/* crypto: "seal", "open"; dataplane: "encrypt", "decrypt", "both",
	 * "io", "flood-junk", "flood-mac1", "handshake" */
	const char *direction;
	uint32_t size;		/* inner payload bytes, or WG_BENCH_SIZE_IMIX */
	uint32_t peers;		/* keys in rotation, one per peer */
	unsigned int lanes;	/* worker lcores (0 means 1) */
	const struct wg_bench_case_ops *ops;
	void *priv;
	/* Ratios beyond the two below, references set by the family. */
	struct wg_bench_ratio ratios[WG_BENCH_MAX_RATIOS];
	unsigned int n_ratios;
	struct wg_bench_extra extra[WG_BENCH_MAX_EXTRA];
	unsigned int n_extra;

	/* Filled in by the runner. */
	struct wg_bench_sample sample[WG_BENCH_MAX_ROUNDS];
	unsigned int rounds;	/* samples taken */
	unsigned int failures;	/* case-rounds whose verify() failed */
	/* The raw seal of the best arch, same size, fewest peers: ratio_to_best. */
	const struct wg_bench_case *ref;
	/* The best arch, same family, direction, size and peers. */
	const struct wg_bench_case *ref_dir;
	struct wg_bench_stat mpps, gbps, cpp, ratio, ratio_dir;
	struct wg_bench_stat dropped;	/* share of timed cycles left out */
};

/* Sets (or adds) a named extra figure of the case. */
void wg_bench_extra_set(struct wg_bench_case *bc, const char *name, double value);
/* Adds v to a named extra figure (which starts at 0). */
void wg_bench_extra_add(struct wg_bench_case *bc, const char *name, double v);
/* The named extra figure, or NAN. */
double wg_bench_extra_get(const struct wg_bench_case *bc, const char *name);
/* Adds a ratio against ref (and ref2, may be NULL) named name; -1 if full. */
int wg_bench_ratio_add(struct wg_bench_case *bc, const char *name,
		       const struct wg_bench_case *ref, const struct wg_bench_case *ref2);

struct wg_bench_list {
	struct wg_bench_case **v;
	size_t n;
	size_t cap;
};

/* The parts of a run (--parts). */
enum wg_bench_part {
	WG_BENCH_PART_CRYPTO = 1u << 0,		/* crypto ceilings */
	WG_BENCH_PART_DATAPLANE = 1u << 1,	/* dataplane and handshake cases */
	WG_BENCH_PART_LATENCY = 1u << 2,	/* latency through two gateways */
	WG_BENCH_PART_SCALE = 1u << 3		/* loading peers through wg(8) */
};

/* The dataplane family's kinds of case (--dp-cases). */
enum wg_bench_dp_kind {
	WG_BENCH_DP_IO = 1u << 0,		/* plain I/O forwarding ceiling */
	WG_BENCH_DP_ENCRYPT = 1u << 1,
	WG_BENCH_DP_DECRYPT = 1u << 2,
	WG_BENCH_DP_BOTH = 1u << 3,
	WG_BENCH_DP_FLOOD = 1u << 4,		/* decrypt under handshake floods */
	WG_BENCH_DP_HANDSHAKE = 1u << 5	/* responses of one control thread */
};

/* What the user asked for; families read it to decide their cases. */
struct wg_bench_opts {
	unsigned int duration_ms;	/* wall time per case-round, warm-up excluded */
	unsigned int rounds;
	double drop_above;		/* leave out bursts this x the median; 0: none */
	int cpu;			/* the CPU the benchmark thread is pinned to */
	uint32_t sizes[WG_BENCH_MAX_SIZES];
	unsigned int n_sizes;
	uint32_t peers[WG_BENCH_MAX_PEER_COUNTS];
	unsigned int n_peers;
	uint32_t archs;			/* WG_CRYPTO_ARCH_BIT()s */
	const char *best_arch;		/* the first of archs: avx512 > avx2 > sse > sodium */
	const char *json;		/* NULL: no JSON */
	bool quick;

	uint32_t parts;			/* enum wg_bench_part */
	uint32_t dp_kinds;		/* enum wg_bench_dp_kind */
	uint32_t dp_peers[WG_BENCH_MAX_PEER_COUNTS];	/* peers traffic spreads over */
	unsigned int n_dp_peers;
	unsigned int workers[WG_BENCH_MAX_LANES];	/* worker lcore counts */
	unsigned int n_workers;
	unsigned int flood;		/* flood frames per burst of 32 */
	/* Peer counts loaded through wg setconf, one gateway each, ascending. */
	uint32_t scale_peers[WG_BENCH_MAX_SCALE_COUNTS];
	unsigned int n_scale_peers;
	unsigned int latency_packets;	/* per size and mode */
	unsigned int eal_mem_mb;	/* EAL -m; 0: sized from the peers */
	int lane_cpus[WG_BENCH_MAX_LANES];	/* lane k's CPU; [0] = cpu */
	unsigned int n_lane_cpus;	/* CPUs this process may use, up to MAX_LANES */
};

/*
 * A family of cases. add() appends its cases to l (each allocated with
 * wg_bench_case_new()) and may keep shared state in *ctx, which
 * destroy() frees once every case is destroyed. add() returns 0, or -1
 * after printing why to stderr.
 */
struct wg_bench_family {
	const char *name;
	int (*add)(struct wg_bench_list *l, const struct wg_bench_opts *o, void **ctx);
	void (*destroy)(void *ctx);
};

extern const struct wg_bench_family wg_bench_crypto_family;
extern const struct wg_bench_family wg_bench_dp_family;

/* A zeroed case appended to l, or NULL (out of memory). */
struct wg_bench_case *wg_bench_case_new(struct wg_bench_list *l);
/* Destroys every case (ops->destroy, then the case itself) and the list. */
void wg_bench_list_free(struct wg_bench_list *l);

/* Untimed warm-up before each case-round: a fifth of its duration. */
unsigned int wg_bench_warm_ms(const struct wg_bench_opts *o);

/* The smallest of o->peers: the peer count ratios are taken against. */
uint32_t wg_bench_fewest_peers(const struct wg_bench_opts *o);

/* "64", "1420", "imix". */
const char *wg_bench_size_label(uint32_t size, char *buf, size_t len);
/* Inner bytes of one packet of the case, the mean for the IMIX. */
double wg_bench_mean_size(uint32_t size);

#endif /* WG_BENCH_H */
