/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wgedge-bench: options, pinning, the interleaved rounds, the studies, and
 * the output.
 *
 * Every case of every family runs once per round, the cases of one size
 * together (a ratio compares cases of the same size); round r starts at a
 * different case (the start moves by n/rounds each round), so no case is
 * always the first after a long setup or always the last. The studies
 * (latency, peer scale) run once the rounds are over and the families'
 * gateways are freed. Exit status: 0, 1 if a case failed its verify(), a
 * study failed or the run could not be set up, 2 for a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench.h"
#include "crypto.h"
#include "dp_env.h"
#include "measure.h"
#include "report.h"
#include "studies.h"

enum {
	DEFAULT_DURATION_MS = 150,
	DEFAULT_ROUNDS = 5,
	DEFAULT_DROP_ABOVE = 4,
	QUICK_DURATION_MS = 2,
	QUICK_ROUNDS = 2,
	CALIBRATE_MS = 100,
	QUICK_CALIBRATE_MS = 10,
	DEFAULT_FLOOD = 8,
	DEFAULT_LATENCY_PACKETS = 20000,
	QUICK_LATENCY_PACKETS = 200,
	/* Peer slots the dataplane family keeps beside the clients. */
	DP_PEERS_MAX = MAX_PEERS_PER_DEVICE - 2048,
	/*
	 * EAL memory (MB), from the EAL heap wg_dp_create() and the sessions
	 * took with rte_fib routes (dataplane/route.c; measure again when the
	 * tables change): a gateway's fixed tables (two DIR24_8 copies, two
	 * LPM6 copies, mbufs; 420-440 MB); per peer slot the tables sized for
	 * it (2,170-2,180 B at 100,000 to 1,000,000 slots); per client with a
	 * session its keypairs, index entries and counters (1,500 B). A load
	 * through wg setconf takes no EAL heap beyond the slots. Rounded up,
	 * 10-20 % to spare.
	 */
	MEM_BASE_MB = 256,
	MEM_GW_MB = 512,
	MEM_SLOT_B = 2560,
	MEM_SESSION_B = 1536,
	MEM_CLIENT_B = MEM_SLOT_B + MEM_SESSION_B,
	MEM_SCALE_PEER_B = MEM_SLOT_B,
	EXIT_USAGE = 2
};

/* Every family of cases, in the order their cases are listed. */
static const struct wg_bench_family *const families[] = {
	&wg_bench_crypto_family,
	&wg_bench_dp_family
};
static const uint32_t family_part[] = {
	WG_BENCH_PART_CRYPTO,
	WG_BENCH_PART_DATAPLANE
};
#define NUM_FAMILIES (sizeof(families) / sizeof(families[0]))

static const uint32_t default_sizes[] = {
	64, 128, 256, 512, 1024, WG_BENCH_MTU, WG_BENCH_SIZE_IMIX
};
static const uint32_t default_peers[] = { 1, 1000 };
static const uint32_t default_dp_peers[] = { 1, 1000, 100000 };
static const uint32_t quick_dp_peers[] = { 1, 1000, 10000 };
static const uint32_t default_scale_peers[] = { 100000, 1000000 };
static const uint32_t quick_scale_peers[] = { 1000, 3000 };
static const unsigned int default_workers[] = { 1, 2 };

static const char *const part_names[] = { "crypto", "dataplane", "latency", "scale" };
static const char *const dp_kind_names[] = {
	"io", "encrypt", "decrypt", "both", "flood", "handshake"
};

static const enum wg_crypto_arch arch_preference[] = {
	WG_CRYPTO_AVX512, WG_CRYPTO_AVX2, WG_CRYPTO_SSE, WG_CRYPTO_SODIUM
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: wgedge-bench [options]\n"
		"Measures wgedge's paths on pinned CPUs, in interleaved rounds, and prints a\n"
		"table (and optionally JSON): the crypto backend's ceilings (seal, open), the\n"
		"dataplane's worker loop on net_ring ports (encrypt, decrypt, both, plain I/O\n"
		"forwarding, decrypt under handshake floods), handshake responses of one\n"
		"control thread, latency through two gateways, and loading peers with wg(8).\n"
		"  --duration-ms N  wall time per case and round, warm-up excluded (%d)\n"
		"  --rounds N       interleaved rounds; figures are medians (%d, max %d)\n"
		"  --sizes LIST     inner sizes 1..%d and/or imix, comma-separated\n"
		"                   (64,128,256,512,1024,1420,imix; the dataplane skips < %d)\n"
		"  --peers LIST     crypto: keys in rotation, 1..%d (1,1000)\n"
		"  --archs LIST     avx512,avx2,sse,sodium (every one this CPU runs)\n"
		"  --parts LIST     crypto,dataplane,latency,scale (all)\n"
		"  --dp-cases LIST  io,encrypt,decrypt,both,flood,handshake (all)\n"
		"  --dp-peers LIST  dataplane: peers traffic spreads over, 1..%d\n"
		"                   (1,1000,100000; --quick: 1,1000,10000)\n"
		"  --workers LIST   worker lcores per dataplane case, 1..%d (1,2)\n"
		"  --flood N        flood frames in each burst of %d of the flood cases,\n"
		"                   0..%d; 0: no flood cases (%d)\n"
		"  --scale-peers LIST  peers loaded through wg setconf, one gateway per\n"
		"                   count, smallest first, 1..%d\n"
		"                   (100000,1000000; --quick: 1000,3000)\n"
		"  --latency-packets N  per size and mode (%d; --quick: %d)\n"
		"  --eal-mem MB     EAL memory, no hugepages (sized from the peers)\n"
		"  --cpu N          CPU to pin to (the highest one allowed); lane k of a\n"
		"                   multi-worker case, and the control thread, take the\n"
		"                   next allowed CPUs below it\n"
		"  --drop-above F   leave out, as preempted, bursts longer than F x the\n"
		"                   round's median burst; 0 keeps all (%d)\n"
		"  --json FILE      also write the results as one JSON object\n"
		"  --quick          smoke run: %d ms x %d rounds, every case, small studies\n"
		"  --help\n",
		DEFAULT_DURATION_MS, DEFAULT_ROUNDS, WG_BENCH_MAX_ROUNDS, WG_BENCH_MTU,
		WG_BENCH_MIN_INNER, WG_BENCH_MAX_PEERS, DP_PEERS_MAX, WG_BENCH_MAX_LANES,
		WG_BENCH_BURST, WG_BENCH_BURST - 1, DEFAULT_FLOOD, DP_PEERS_MAX,
		DEFAULT_LATENCY_PACKETS, QUICK_LATENCY_PACKETS,
		DEFAULT_DROP_ABOVE, QUICK_DURATION_MS, QUICK_ROUNDS);
}

/* A decimal in [min, max], or -1. */
static long
parse_uint(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	return v;
}

/* 0, or a factor of at least 1.5 (closer to the median is not an outlier). */
static int
parse_factor(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v == 0 || (v >= 1.5 && v <= 1e6)))
		return -1;
	*out = v;
	return 0;
}

/*
 * Splits a comma-separated list and hands each item to one(); -1 if one()
 * refuses an item, an item is empty, or there are more than max.
 */
static int
parse_list(const char *arg, unsigned int max, void *out, unsigned int *n,
	   int (*one)(const char *item, void *out, unsigned int i))
{
	char buf[256], *rest = buf, *item;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return -1;
	*n = 0;
	while ((item = strsep(&rest, ",")) != NULL) {
		if (*item == '\0' || *n == max || one(item, out, *n) != 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
one_size(const char *item, void *out, unsigned int i)
{
	long v = strcmp(item, "imix") == 0 ? WG_BENCH_SIZE_IMIX
					   : parse_uint(item, 1, WG_BENCH_MTU);

	if (v < 0)
		return -1;
	((uint32_t *)out)[i] = (uint32_t)v;
	return 0;
}

static int
one_peers(const char *item, void *out, unsigned int i)
{
	long v = parse_uint(item, 1, WG_BENCH_MAX_PEERS);

	if (v < 0)
		return -1;
	((uint32_t *)out)[i] = (uint32_t)v;
	return 0;
}

static int
one_dp_peers(const char *item, void *out, unsigned int i)
{
	long v = parse_uint(item, 1, DP_PEERS_MAX);

	if (v < 0)
		return -1;
	((uint32_t *)out)[i] = (uint32_t)v;
	return 0;
}

/* A peer count to load, once in the list (each count is its own gateway). */
static int
one_scale_peers(const char *item, void *out, unsigned int i)
{
	long v = parse_uint(item, 1, DP_PEERS_MAX);
	uint32_t *counts = out;
	unsigned int k;

	if (v < 0)
		return -1;
	for (k = 0; k < i; k++)
		if (counts[k] == (uint32_t)v)
			return -1;
	counts[i] = (uint32_t)v;
	return 0;
}

/* Ascending, in place (a handful of counts). */
static void
sort_counts(uint32_t *v, unsigned int n)
{
	unsigned int i, j;
	uint32_t x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static int
one_workers(const char *item, void *out, unsigned int i)
{
	long v = parse_uint(item, 1, WG_BENCH_MAX_LANES);

	if (v < 0)
		return -1;
	((unsigned int *)out)[i] = (unsigned int)v;
	return 0;
}

/* A name of names[] (n of them): its bit into *out. */
static int
one_name(const char *item, uint32_t *out, const char *const *names, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (strcmp(item, names[k]) == 0) {
			*out |= 1u << k;
			return 0;
		}
	}
	return -1;
}

static int
one_part(const char *item, void *out, unsigned int i)
{
	(void)i;
	return one_name(item, out, part_names, sizeof(part_names) / sizeof(part_names[0]));
}

static int
one_dp_kind(const char *item, void *out, unsigned int i)
{
	(void)i;
	return one_name(item, out, dp_kind_names,
			sizeof(dp_kind_names) / sizeof(dp_kind_names[0]));
}

static int
one_arch(const char *item, void *out, unsigned int i)
{
	enum wg_crypto_arch a;

	(void)i;
	if (wg_crypto_arch_parse(item, &a) != 0 || a == WG_CRYPTO_AUTO)
		return -1;
	*(uint32_t *)out |= WG_CRYPTO_ARCH_BIT(a);
	return 0;
}

static void
set_defaults(struct wg_bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->duration_ms = DEFAULT_DURATION_MS;
	o->rounds = DEFAULT_ROUNDS;
	o->drop_above = DEFAULT_DROP_ABOVE;
	o->cpu = -1;
	memcpy(o->sizes, default_sizes, sizeof(default_sizes));
	o->n_sizes = sizeof(default_sizes) / sizeof(default_sizes[0]);
	memcpy(o->peers, default_peers, sizeof(default_peers));
	o->n_peers = sizeof(default_peers) / sizeof(default_peers[0]);
	o->archs = wg_crypto_archs_supported();
	o->parts = WG_BENCH_PART_CRYPTO | WG_BENCH_PART_DATAPLANE |
		   WG_BENCH_PART_LATENCY | WG_BENCH_PART_SCALE;
	o->dp_kinds = (1u << (sizeof(dp_kind_names) / sizeof(dp_kind_names[0]))) - 1;
	memcpy(o->dp_peers, default_dp_peers, sizeof(default_dp_peers));
	o->n_dp_peers = sizeof(default_dp_peers) / sizeof(default_dp_peers[0]);
	memcpy(o->workers, default_workers, sizeof(default_workers));
	o->n_workers = sizeof(default_workers) / sizeof(default_workers[0]);
	o->flood = DEFAULT_FLOOD;
	memcpy(o->scale_peers, default_scale_peers, sizeof(default_scale_peers));
	o->n_scale_peers = sizeof(default_scale_peers) / sizeof(default_scale_peers[0]);
	o->latency_packets = DEFAULT_LATENCY_PACKETS;
}

static const struct option long_opts[] = {
	{ "duration-ms", required_argument, NULL, 'd' },
	{ "rounds", required_argument, NULL, 'r' },
	{ "sizes", required_argument, NULL, 's' },
	{ "peers", required_argument, NULL, 'p' },
	{ "archs", required_argument, NULL, 'a' },
	{ "cpu", required_argument, NULL, 'c' },
	{ "drop-above", required_argument, NULL, 'o' },
	{ "json", required_argument, NULL, 'j' },
	{ "parts", required_argument, NULL, 'P' },
	{ "dp-cases", required_argument, NULL, 'K' },
	{ "dp-peers", required_argument, NULL, 'D' },
	{ "workers", required_argument, NULL, 'W' },
	{ "flood", required_argument, NULL, 'F' },
	{ "scale-peers", required_argument, NULL, 'S' },
	{ "latency-packets", required_argument, NULL, 'L' },
	{ "eal-mem", required_argument, NULL, 'M' },
	{ "quick", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* What --quick leaves alone because it was given. */
enum given {
	GIVEN_DURATION,
	GIVEN_ROUNDS,
	GIVEN_DP_PEERS,
	GIVEN_SCALE,
	GIVEN_LATENCY,
	GIVEN_MAX
};

/* A number option of the dataplane and studies; -1 if its argument is wrong. */
static int
apply_number(struct wg_bench_opts *o, int c, const char *arg, bool given[GIVEN_MAX])
{
	long v;

	switch (c) {
	case 'F':
		v = parse_uint(arg, 0, WG_BENCH_BURST - 1);
		o->flood = (unsigned int)v;
		break;
	case 'L':
		v = parse_uint(arg, 1, 10000000);
		o->latency_packets = (unsigned int)v;
		given[GIVEN_LATENCY] = true;
		break;
	default:
		v = parse_uint(arg, 64, 1 << 20);
		o->eal_mem_mb = (unsigned int)v;
		break;
	}
	return v < 0 ? -1 : 0;
}

/* A list option of the dataplane and studies; -1 if its argument is wrong. */
static int
apply_list(struct wg_bench_opts *o, int c, const char *arg, bool given[GIVEN_MAX])
{
	unsigned int n;

	switch (c) {
	case 'S':
		given[GIVEN_SCALE] = true;
		if (parse_list(arg, WG_BENCH_MAX_SCALE_COUNTS, o->scale_peers,
			       &o->n_scale_peers, one_scale_peers) != 0)
			return -1;
		sort_counts(o->scale_peers, o->n_scale_peers);
		return 0;
	case 'P':
		o->parts = 0;
		return parse_list(arg, 8, &o->parts, &n, one_part);
	case 'K':
		o->dp_kinds = 0;
		return parse_list(arg, 8, &o->dp_kinds, &n, one_dp_kind);
	case 'D':
		given[GIVEN_DP_PEERS] = true;
		return parse_list(arg, WG_BENCH_MAX_PEER_COUNTS, o->dp_peers,
				  &o->n_dp_peers, one_dp_peers);
	default:
		return parse_list(arg, WG_BENCH_MAX_LANES, o->workers, &o->n_workers,
				  one_workers);
	}
}

/* One option; -1 if its argument is wrong. */
static int
apply_opt(struct wg_bench_opts *o, int c, const char *arg, bool given[GIVEN_MAX])
{
	unsigned int n;
	long v;

	switch (c) {
	case 'd':
	case 'r':
		v = parse_uint(arg, 1, c == 'd' ? INT_MAX / 1000 : WG_BENCH_MAX_ROUNDS);
		if (v < 0)
			return -1;
		*(c == 'd' ? &o->duration_ms : &o->rounds) = (unsigned int)v;
		given[c == 'd' ? GIVEN_DURATION : GIVEN_ROUNDS] = true;
		return 0;
	case 's':
		return parse_list(arg, WG_BENCH_MAX_SIZES, o->sizes, &o->n_sizes, one_size);
	case 'p':
		return parse_list(arg, WG_BENCH_MAX_PEER_COUNTS, o->peers, &o->n_peers,
				  one_peers);
	case 'a':
		o->archs = 0;
		return parse_list(arg, WG_BENCH_MAX_SIZES, &o->archs, &n, one_arch);
	case 'c':
		v = parse_uint(arg, 0, CPU_SETSIZE - 1);
		if (v < 0)
			return -1;
		o->cpu = (int)v;
		return 0;
	case 'o':
		return parse_factor(arg, &o->drop_above);
	case 'j':
		o->json = arg;
		return 0;
	case 'q':
		o->quick = true;
		return 0;
	case 'P':
	case 'K':
	case 'D':
	case 'W':
	case 'S':
		return apply_list(o, c, arg, given);
	case 'F':
	case 'L':
	case 'M':
		return apply_number(o, c, arg, given);
	default:
		return -1;
	}
}

/* What --quick changes, where the option was not given. */
static void
apply_quick(struct wg_bench_opts *o, const bool given[GIVEN_MAX])
{
	if (!o->quick)
		return;
	if (!given[GIVEN_DURATION])
		o->duration_ms = QUICK_DURATION_MS;
	if (!given[GIVEN_ROUNDS])
		o->rounds = QUICK_ROUNDS;
	if (!given[GIVEN_DP_PEERS]) {
		memcpy(o->dp_peers, quick_dp_peers, sizeof(quick_dp_peers));
		o->n_dp_peers = sizeof(quick_dp_peers) / sizeof(quick_dp_peers[0]);
	}
	if (!given[GIVEN_SCALE]) {
		memcpy(o->scale_peers, quick_scale_peers, sizeof(quick_scale_peers));
		o->n_scale_peers = sizeof(quick_scale_peers) / sizeof(quick_scale_peers[0]);
	}
	if (!given[GIVEN_LATENCY])
		o->latency_packets = QUICK_LATENCY_PACKETS;
}

/* An explicitly named arch must run here; AUTO's order picks the best. */
static int
check_archs(struct wg_bench_opts *o)
{
	uint32_t missing = o->archs & ~wg_crypto_archs_supported();
	size_t i;

	for (i = 0; i < sizeof(arch_preference) / sizeof(arch_preference[0]); i++) {
		if (missing & WG_CRYPTO_ARCH_BIT(arch_preference[i])) {
			fprintf(stderr, "wgedge-bench: this CPU does not run %s\n",
				wg_crypto_arch_name(arch_preference[i]));
			return -1;
		}
	}
	for (i = 0; i < sizeof(arch_preference) / sizeof(arch_preference[0]); i++) {
		if (o->archs & WG_CRYPTO_ARCH_BIT(arch_preference[i])) {
			o->best_arch = wg_crypto_arch_name(arch_preference[i]);
			return 0;
		}
	}
	return -1;
}

/* 0, 1 (--help) or -1 (usage error, said). --quick sets what is not given. */
static int
parse_args(struct wg_bench_opts *o, int argc, char **argv)
{
	bool given[GIVEN_MAX] = { false };
	int c, idx = 0;

	set_defaults(o);
	while ((c = getopt_long(argc, argv, "", long_opts, &idx)) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?')
			return -1;
		if (apply_opt(o, c, optarg, given) != 0) {
			fprintf(stderr, "wgedge-bench: bad value '%s' for --%s\n",
				optarg, long_opts[idx].name);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wgedge-bench: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	apply_quick(o, given);
	return check_archs(o);
}

/* Lane CPUs: o->cpu, then the allowed CPUs below it (wrapping around). */
static void
lane_cpus(struct wg_bench_opts *o, const cpu_set_t *allowed)
{
	int k, cpu;

	o->lane_cpus[0] = o->cpu;
	o->n_lane_cpus = 1;
	for (k = 1; k < CPU_SETSIZE && o->n_lane_cpus < WG_BENCH_MAX_LANES; k++) {
		cpu = (o->cpu - k + CPU_SETSIZE) % CPU_SETSIZE;
		if (CPU_ISSET(cpu, allowed))
			o->lane_cpus[o->n_lane_cpus++] = cpu;
	}
}

/* Pins the calling thread to o->cpu, or to the highest CPU it may use. */
static int
pin_thread(struct wg_bench_opts *o)
{
	cpu_set_t set, allowed;
	int cpu;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
		perror("sched_getaffinity");
		return -1;
	}
	if (o->cpu < 0) {
		for (cpu = CPU_SETSIZE - 1; cpu > 0 && !CPU_ISSET(cpu, &allowed); cpu--)
			;
		o->cpu = cpu;
	}
	CPU_ZERO(&set);
	CPU_SET(o->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "wgedge-bench: cannot pin to CPU %d: %s\n", o->cpu,
			strerror(errno));
		return -1;
	}
	lane_cpus(o, &allowed);
	return 0;
}

static const struct wg_bench_case *
find_case(const struct wg_bench_list *l, const char *family, const char *direction,
	  const char *arch, uint32_t size, uint32_t peers)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct wg_bench_case *bc = l->v[i];

		if (strcmp(bc->family, family) == 0 &&
		    strcmp(bc->direction, direction) == 0 &&
		    strcmp(bc->arch, arch) == 0 && bc->size == size && bc->peers == peers)
			return bc;
	}
	return NULL;
}

/*
 * ratio_to_best is against the raw seal of the best arch, same size, fewest
 * peers, for every family: a dataplane path is read against its crypto
 * ceiling, and a row with more peers shows what the key rotation costs.
 * ratio_to_best_same_direction is against the best arch in the case's own
 * family, direction, size and peers: the arch alone (sodium vs best).
 */
static void
set_references(struct wg_bench_list *l, const struct wg_bench_opts *o)
{
	uint32_t few = wg_bench_fewest_peers(o);
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct wg_bench_case *bc = l->v[i];

		bc->ref = find_case(l, "crypto", "seal", o->best_arch, bc->size, few);
		if (strcmp(bc->family, "crypto") == 0)
			bc->ref_dir = find_case(l, bc->family, bc->direction,
						o->best_arch, bc->size, bc->peers);
	}
}

/* Execution order: by size, then list order. */
static const struct wg_bench_list *order_list;

static int
cmp_exec(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	uint32_t sx = order_list->v[x]->size, sy = order_list->v[y]->size;

	if (sx != sy)
		return sx < sy ? -1 : 1;
	return (x > y) - (x < y);
}

/*
 * The order cases run in within a round: grouped by size, so that a case
 * runs seconds, not minutes, from the references its ratios are taken
 * against (same size); NULL if out of memory.
 */
static size_t *
exec_order(const struct wg_bench_list *l)
{
	size_t *ord = malloc(l->n * sizeof(*ord)), i;

	if (ord == NULL)
		return NULL;
	for (i = 0; i < l->n; i++)
		ord[i] = i;
	order_list = l;
	qsort(ord, l->n, sizeof(*ord), cmp_exec);
	return ord;
}

static int
run_rounds(struct wg_bench_list *l, const struct wg_bench_opts *o,
	   const struct wg_bench_clock *clk)
{
	double per_round = l->n * (o->duration_ms + wg_bench_warm_ms(o)) * 1e-3;
	struct wg_bench_lane ln[WG_BENCH_MAX_LANES];
	size_t *ord = exec_order(l), k;
	unsigned int r;
	int ret = ord == NULL ? -1 : 0;

	memset(ln, 0, sizeof(ln));
	for (r = 0; r < o->rounds && ret == 0; r++) {
		size_t start = r * l->n / o->rounds;

		fprintf(stderr, "wgedge-bench: round %u/%u: %zu cases, about %.0f s\n",
			r + 1, o->rounds, l->n, per_round);
		for (k = 0; k < l->n && ret == 0; k++)
			ret = wg_bench_run_round(l->v[ord[(start + k) % l->n]], clk, ln,
						 o->drop_above, wg_bench_warm_ms(o),
						 o->duration_ms);
	}
	wg_bench_lanes_free(ln);
	free(ord);
	if (ret != 0)
		fprintf(stderr, "wgedge-bench: a case-round could not run\n");
	return ret;
}

static int
report_failures(const struct wg_bench_list *l)
{
	int failed = 0;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i]->failures != 0) {
			fprintf(stderr, "wgedge-bench: %s: output wrong in %u of %u rounds\n",
				l->v[i]->name, l->v[i]->failures, l->v[i]->rounds);
			failed = 1;
		}
	}
	return failed;
}

/*
 * EAL memory (MB) for the largest phase, the phases running one after the
 * other: the peer-scale gateways (one at a time, so the largest count),
 * the dataplane cases' gateways (one per worker count, all at once, each
 * with the most clients), the latency pair.
 */
static unsigned int
eal_mem_mb(const struct wg_bench_opts *o)
{
	uint64_t most = 1, dp = 0, scale = 0, lat = 2 * MEM_GW_MB, big = 0;
	unsigned int p, w;

	for (p = 0; p < o->n_dp_peers; p++)
		most = o->dp_peers[p] > most ? o->dp_peers[p] : most;
	for (w = 0; w < o->n_workers; w++)
		dp += MEM_GW_MB + most * MEM_CLIENT_B / (1 << 20);
	for (p = 0; p < o->n_scale_peers; p++)
		big = o->scale_peers[p] > big ? o->scale_peers[p] : big;
	if (o->parts & WG_BENCH_PART_SCALE)
		scale = MEM_GW_MB + big * MEM_SCALE_PEER_B / (1 << 20);
	if (!(o->parts & WG_BENCH_PART_DATAPLANE))
		dp = 0;
	if (!(o->parts & WG_BENCH_PART_LATENCY))
		lat = 0;
	most = dp > scale ? dp : scale;
	most = most > lat ? most : lat;
	return (unsigned int)(MEM_BASE_MB + (most + 255) / 256 * 256);
}

static int
eal_start(struct wg_bench_opts *o)
{
	struct wg_bench_studies *st = wg_bench_studies();

	if (!(o->parts & (WG_BENCH_PART_DATAPLANE | WG_BENCH_PART_LATENCY |
			  WG_BENCH_PART_SCALE)))
		return 0;
	st->eal_mem_mb = o->eal_mem_mb != 0 ? o->eal_mem_mb : eal_mem_mb(o);
	st->eal_lanes = o->n_lane_cpus;
	fprintf(stderr, "wgedge-bench: EAL on %u CPU%s, %u MB without hugepages\n",
		o->n_lane_cpus, o->n_lane_cpus == 1 ? "" : "s", st->eal_mem_mb);
	return wg_bench_eal_init(o->lane_cpus, o->n_lane_cpus, st->eal_mem_mb);
}

/*
 * Peer scale first (every count, one gateway at a time), while the EAL's
 * memory is untouched (see scale.c); latency once the families' gateways
 * are gone.
 */
static int
study_scale(const struct wg_bench_opts *o)
{
	return (o->parts & WG_BENCH_PART_SCALE) && wg_bench_scale_run(o) != 0;
}

static int
study_latency(const struct wg_bench_opts *o, const struct wg_bench_clock *clk)
{
	return (o->parts & WG_BENCH_PART_LATENCY) && wg_bench_latency_run(o, clk) != 0;
}

static int
families_add(struct wg_bench_list *l, const struct wg_bench_opts *o, void **ctx)
{
	size_t i;

	for (i = 0; i < NUM_FAMILIES; i++)
		if ((o->parts & family_part[i]) && families[i]->add(l, o, &ctx[i]) != 0)
			return 1;
	return 0;
}

static void
families_free(void **ctx)
{
	size_t i;

	for (i = 0; i < NUM_FAMILIES; i++) {
		if (ctx[i] != NULL)
			families[i]->destroy(ctx[i]);
		ctx[i] = NULL;
	}
}

/* Sets up every family's cases, runs them and the studies, reports; the exit status. */
static int
bench(const struct wg_bench_opts *o, const struct wg_bench_clock *clk,
      struct wg_bench_machine *m)
{
	void *ctx[NUM_FAMILIES] = { NULL };
	struct wg_bench_list l = { NULL, 0, 0 };
	int failed_study = study_scale(o);
	int status = families_add(&l, o, ctx);

	if (status == 0) {
		set_references(&l, o);
		status = run_rounds(&l, o, clk) != 0;
	}
	families_free(ctx);
	if (status == 0) {
		wg_bench_compute(&l, clk);
		status = study_latency(o, clk) | failed_study;
		wg_bench_print_table(stdout, &l, o, m);
		if (o->json != NULL && wg_bench_write_json(o->json, &l, o, m) != 0)
			status = 1;
		if (report_failures(&l))
			status = 1;
	}
	wg_bench_list_free(&l);
	return status;
}

int
main(int argc, char **argv)
{
	struct wg_bench_machine m;
	struct wg_bench_clock clk;
	struct wg_bench_opts o;
	int ret;

	ret = parse_args(&o, argc, argv);
	if (ret != 0) {
		usage(ret > 0 ? stdout : stderr);
		return ret > 0 ? 0 : EXIT_USAGE;
	}
	if (pin_thread(&o) != 0)
		return 1;
	if (sodium_init() < 0 || eal_start(&o) != 0)
		return 1;
	if (wg_bench_clock_calibrate(&clk, o.quick ? QUICK_CALIBRATE_MS : CALIBRATE_MS) != 0) {
		fprintf(stderr, "wgedge-bench: the TSC does not advance\n");
		return 1;
	}
	wg_bench_machine_read(&m, &clk, argc, argv);
	ret = bench(&o, &clk, &m);
	wg_bench_eal_cleanup();
	return ret;
}
