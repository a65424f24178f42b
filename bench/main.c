/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wgedge-bench: options, pinning, the interleaved rounds, and the output.
 *
 * Every case of every family runs once per round; round r starts at a
 * different case (the start moves by n/rounds each round), so no case is
 * always the first after a long setup or always the last. Exit status: 0,
 * 1 if a case failed its verify() or the run could not be set up, 2 for a
 * usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "crypto.h"
#include "measure.h"
#include "report.h"

enum {
	DEFAULT_DURATION_MS = 150,
	DEFAULT_ROUNDS = 5,
	DEFAULT_DROP_ABOVE = 4,
	QUICK_DURATION_MS = 2,
	QUICK_ROUNDS = 2,
	CALIBRATE_MS = 100,
	QUICK_CALIBRATE_MS = 10,
	EXIT_USAGE = 2
};

/* Every family of cases; the dataplane's is added here when it lands. */
static const struct wg_bench_family *const families[] = {
	&wg_bench_crypto_family
};
#define NUM_FAMILIES (sizeof(families) / sizeof(families[0]))

static const uint32_t default_sizes[] = {
	64, 128, 256, 512, 1024, WG_BENCH_MTU, WG_BENCH_SIZE_IMIX
};
static const uint32_t default_peers[] = { 1, 1000 };

static const enum wg_crypto_arch arch_preference[] = {
	WG_CRYPTO_AVX512, WG_CRYPTO_AVX2, WG_CRYPTO_SSE, WG_CRYPTO_SODIUM
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: wgedge-bench [options]\n"
		"Measures the crypto ceilings of the dataplane's backend (seal and open,\n"
		"bursts of %d, in place, WireGuard payload layout) on one pinned CPU, in\n"
		"interleaved rounds; prints a table and optionally writes JSON.\n"
		"  --duration-ms N  wall time per case and round, warm-up excluded (%d)\n"
		"  --rounds N       interleaved rounds; figures are medians (%d, max %d)\n"
		"  --sizes LIST     inner sizes 1..%d and/or imix, comma-separated\n"
		"                   (64,128,256,512,1024,1420,imix)\n"
		"  --peers LIST     peer counts: keys in rotation, 1..%d (1,1000)\n"
		"  --archs LIST     avx512,avx2,sse,sodium (every one this CPU runs)\n"
		"  --cpu N          CPU to pin to (the highest one allowed)\n"
		"  --drop-above F   leave out, as preempted, bursts longer than F x the\n"
		"                   round's median burst; 0 keeps all (%d)\n"
		"  --json FILE      also write the results as one JSON object\n"
		"  --quick          smoke run: %d ms x %d rounds, every case\n"
		"  --help\n",
		WG_BENCH_BURST, DEFAULT_DURATION_MS, DEFAULT_ROUNDS, WG_BENCH_MAX_ROUNDS,
		WG_BENCH_MTU, WG_BENCH_MAX_PEERS, DEFAULT_DROP_ABOVE, QUICK_DURATION_MS,
		QUICK_ROUNDS);
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
	{ "quick", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* One option; -1 if its argument is wrong. */
static int
apply_opt(struct wg_bench_opts *o, int c, const char *arg, bool timed[2])
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
		timed[c == 'r'] = true;
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
	default:
		return -1;
	}
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
	bool timed[2] = { false, false };
	int c, idx = 0;

	set_defaults(o);
	while ((c = getopt_long(argc, argv, "", long_opts, &idx)) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?')
			return -1;
		if (apply_opt(o, c, optarg, timed) != 0) {
			fprintf(stderr, "wgedge-bench: bad value '%s' for --%s\n",
				optarg, long_opts[idx].name);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wgedge-bench: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->quick && !timed[0])
		o->duration_ms = QUICK_DURATION_MS;
	if (o->quick && !timed[1])
		o->rounds = QUICK_ROUNDS;
	return check_archs(o);
}

/* Pins the calling thread to o->cpu, or to the highest CPU it may use. */
static int
pin_thread(struct wg_bench_opts *o)
{
	cpu_set_t set;
	int cpu;

	if (o->cpu < 0) {
		if (sched_getaffinity(0, sizeof(set), &set) != 0) {
			perror("sched_getaffinity");
			return -1;
		}
		for (cpu = CPU_SETSIZE - 1; cpu > 0 && !CPU_ISSET(cpu, &set); cpu--)
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
		bc->ref_dir = find_case(l, bc->family, bc->direction, o->best_arch,
					bc->size, bc->peers);
	}
}

static int
run_rounds(struct wg_bench_list *l, const struct wg_bench_opts *o,
	   const struct wg_bench_clock *clk)
{
	double per_round = l->n * (o->duration_ms + wg_bench_warm_ms(o)) * 1e-3;
	struct wg_bench_bursts b = { NULL, NULL, 0, 0 };
	unsigned int r;
	int ret = 0;
	size_t k;

	for (r = 0; r < o->rounds && ret == 0; r++) {
		size_t start = r * l->n / o->rounds;

		fprintf(stderr, "wgedge-bench: round %u/%u: %zu cases, about %.0f s\n",
			r + 1, o->rounds, l->n, per_round);
		for (k = 0; k < l->n && ret == 0; k++)
			ret = wg_bench_run_round(l->v[(start + k) % l->n], clk, &b,
						 o->drop_above, wg_bench_warm_ms(o),
						 o->duration_ms);
	}
	wg_bench_bursts_free(&b);
	if (ret != 0)
		fprintf(stderr, "wgedge-bench: out of memory\n");
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

/* Sets up every family's cases, runs them, reports; the exit status. */
static int
bench(const struct wg_bench_opts *o, const struct wg_bench_clock *clk,
      struct wg_bench_machine *m)
{
	void *ctx[NUM_FAMILIES] = { NULL };
	struct wg_bench_list l = { NULL, 0, 0 };
	int status = 0;
	size_t i;

	for (i = 0; i < NUM_FAMILIES && status == 0; i++)
		if (families[i]->add(&l, o, &ctx[i]) != 0)
			status = 1;
	if (status == 0) {
		set_references(&l, o);
		status = run_rounds(&l, o, clk) != 0;
	}
	if (status == 0) {
		wg_bench_compute(&l, clk);
		wg_bench_print_table(stdout, &l, o, m);
		if (o->json != NULL && wg_bench_write_json(o->json, &l, o, m) != 0)
			status = 1;
		if (report_failures(&l))
			status = 1;
	}
	wg_bench_list_free(&l);
	for (i = 0; i < NUM_FAMILIES; i++)
		families[i]->destroy(ctx[i]);
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
	if (wg_bench_clock_calibrate(&clk, o.quick ? QUICK_CALIBRATE_MS : CALIBRATE_MS) != 0) {
		fprintf(stderr, "wgedge-bench: the TSC does not advance\n");
		return 1;
	}
	wg_bench_machine_read(&m, &clk, argc, argv);
	return bench(&o, &clk, &m);
}
