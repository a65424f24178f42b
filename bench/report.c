/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The table and the JSON. Rows of the ratio table are the cases that differ
 * only in arch (same family, direction, size and peers): families add them
 * next to each other, so a row is a run of consecutive cases.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <intel-ipsec-mb.h>
#include <sodium.h>

#include "crypto.h"
#include "report.h"
#include "studies.h"

#ifndef WG_BENCH_VERSION
#define WG_BENCH_VERSION "unknown"
#endif

static const enum wg_crypto_arch arch_order[] = {
	WG_CRYPTO_AVX512, WG_CRYPTO_AVX2, WG_CRYPTO_SSE, WG_CRYPTO_SODIUM
};
#define NUM_ORDER (sizeof(arch_order) / sizeof(arch_order[0]))

enum {
	CELL_WIDTH = 19		/* "0.712 (0.70-0.73)" and room */
};

/* ---- the machine -------------------------------------------------------- */

static bool
has_flag(const char *flags, const char *name)
{
	size_t n = strlen(name);
	const char *p = flags;

	while ((p = strstr(p, name)) != NULL) {
		bool start = p == flags || p[-1] == ' ' || p[-1] == '\t';
		bool end = p[n] == ' ' || p[n] == '\n' || p[n] == '\0';

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

static void
set_flags(struct wg_bench_machine *m, const char *flags)
{
	m->avx512f = has_flag(flags, "avx512f");
	m->avx512ifma = has_flag(flags, "avx512ifma");
	m->avx2 = has_flag(flags, "avx2");
	m->vaes = has_flag(flags, "vaes");
	m->aes = has_flag(flags, "aes");
	m->sse4_2 = has_flag(flags, "sse4_2");
	m->hypervisor = has_flag(flags, "hypervisor");
}

/* "key<tabs>: value": the value, or NULL if line is not about key. */
static const char *
cpuinfo_value(const char *line, const char *key)
{
	size_t n = strlen(key);
	const char *colon;

	if (strncmp(line, key, n) != 0 || (line[n] != ' ' && line[n] != '\t' && line[n] != ':'))
		return NULL;
	colon = strchr(line, ':');
	return colon != NULL ? colon + 1 + (colon[1] == ' ') : NULL;
}

/* The first processor's entry alone: they are all the same here. */
static void
read_cpuinfo(struct wg_bench_machine *m)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	const char *v;

	snprintf(m->cpu_model, sizeof(m->cpu_model), "unknown");
	m->cpu_family = m->cpu_model_number = m->cpu_stepping = -1;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL && line[0] != '\n') {
		if ((v = cpuinfo_value(line, "model name")) != NULL)
			snprintf(m->cpu_model, sizeof(m->cpu_model), "%.*s",
				 (int)strcspn(v, "\n"), v);
		else if ((v = cpuinfo_value(line, "cpu family")) != NULL)
			m->cpu_family = atoi(v);
		else if ((v = cpuinfo_value(line, "model")) != NULL)
			m->cpu_model_number = atoi(v);
		else if ((v = cpuinfo_value(line, "stepping")) != NULL)
			m->cpu_stepping = atoi(v);
		else if ((v = cpuinfo_value(line, "flags")) != NULL)
			set_flags(m, v);
	}
	fclose(f);
}

/* argv joined by spaces, an argument with a space or quote single-quoted. */
static void
join_cmdline(char *out, size_t len, int argc, char **argv)
{
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < argc && used < len; i++) {
		bool quote = strpbrk(argv[i], " \t'\"") != NULL || argv[i][0] == '\0';
		int w = snprintf(out + used, len - used, "%s%s%s%s", i ? " " : "",
				 quote ? "'" : "", argv[i], quote ? "'" : "");

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

void
wg_bench_machine_read(struct wg_bench_machine *m, const struct wg_bench_clock *clk,
		      int argc, char **argv)
{
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;

	memset(m, 0, sizeof(*m));
	m->clk = clk;
	read_cpuinfo(m);
	m->online_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
	gmtime_r(&now, &tm);
	strftime(m->date, sizeof(m->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	join_cmdline(m->cmdline, sizeof(m->cmdline), argc, argv);
}

/* ---- the table ---------------------------------------------------------- */

static bool
same_row(const struct wg_bench_case *a, const struct wg_bench_case *b)
{
	return strcmp(a->family, b->family) == 0 &&
	       strcmp(a->direction, b->direction) == 0 &&
	       a->size == b->size && a->peers == b->peers;
}

static const struct wg_bench_case *
row_find(const struct wg_bench_list *l, size_t first, size_t end, const char *arch)
{
	size_t i;

	for (i = first; i < end; i++)
		if (strcmp(l->v[i]->arch, arch) == 0)
			return l->v[i];
	return NULL;
}

static void
print_header(FILE *f, const struct wg_bench_opts *o, const struct wg_bench_machine *m)
{
	fprintf(f, "wgedge-bench %s: main thread pinned to CPU %d, bursts of %d, "
		"%u interleaved rounds x %u ms per case (+%u ms warm-up)\n",
		WG_BENCH_VERSION, o->cpu, WG_BENCH_BURST, o->rounds, o->duration_ms,
		wg_bench_warm_ms(o));
	fprintf(f, "CPU: %s (family %d, model %d, stepping %d), avx512f %s, avx2 %s, "
		"%ld CPUs online%s\n", m->cpu_model, m->cpu_family, m->cpu_model_number,
		m->cpu_stepping, m->avx512f ? "yes" : "no", m->avx2 ? "yes" : "no",
		m->online_cpus, m->hypervisor ? ", virtual machine" : "");
	fprintf(f, "TSC: %.3f MHz (calibrated against CLOCK_MONOTONIC), timer overhead "
		"%llu cycles subtracted per burst\n", m->clk->tsc_hz * 1e-6,
		(unsigned long long)m->clk->overhead);
	if (o->drop_above > 0)
		fprintf(f, "Preempted bursts (longer than %g x the round's median burst) "
			"left out; their share of the timed cycles is shown\n", o->drop_above);
	else
		fprintf(f, "Every burst counted, preempted or not (--drop-above 0)\n");
	fprintf(f, "libsodium %s, intel-ipsec-mb %s, kernel %s, %s\n",
		sodium_version_string(), imb_get_version_str(), m->kernel, m->date);
	fprintf(f, "IMIX: 7 x 64, 4 x 576, 1 x 1420 B per 12 packets (classic 7:4:1, "
		"1500 clamped to the %d-byte inner MTU), mean %.2f B\n",
		WG_BENCH_MTU, wg_bench_imix_mean());
}

/* "0.712 (0.701-0.731)", "1.000" when there is no spread, "-" for none. */
static void
print_ratio_cell(FILE *f, const struct wg_bench_stat *st, int width)
{
	char buf[32];

	if (isnan(st->median))
		snprintf(buf, sizeof(buf), "-");
	else if (st->max - st->min < 0.0005)
		snprintf(buf, sizeof(buf), "%.3f", st->median);
	else
		snprintf(buf, sizeof(buf), "%.3f (%.2f-%.2f)", st->median, st->min, st->max);
	fprintf(f, "  %-*s", width, buf);
}

static void
print_ratio_row(FILE *f, const struct wg_bench_list *l, size_t first, size_t end,
		const struct wg_bench_opts *o)
{
	const struct wg_bench_case *bc = l->v[first], *sodium;
	char size[16];
	size_t a;

	fprintf(f, "%-5s %5s %6u", bc->direction,
		wg_bench_size_label(bc->size, size, sizeof(size)), bc->peers);
	for (a = 0; a < NUM_ORDER; a++) {
		const char *name = wg_crypto_arch_name(arch_order[a]);
		const struct wg_bench_case *c = row_find(l, first, end, name);

		if (!(o->archs & WG_CRYPTO_ARCH_BIT(arch_order[a])))
			continue;
		if (c != NULL)
			print_ratio_cell(f, &c->ratio, CELL_WIDTH);
		else
			fprintf(f, "  %-*s", CELL_WIDTH, "-");
	}
	sodium = row_find(l, first, end, "sodium");
	if (sodium != NULL)
		print_ratio_cell(f, &sodium->ratio_dir, 0);
	fprintf(f, "\n");
}

static void
print_ratios(FILE *f, const struct wg_bench_list *l, const struct wg_bench_opts *o)
{
	bool sodium = o->archs & WG_CRYPTO_ARCH_BIT(WG_CRYPTO_SODIUM);
	uint32_t few = wg_bench_fewest_peers(o);
	size_t first, end, a;

	fprintf(f, "\nRatios: packet rate over the %s seal of the same size with %u "
		"peer%s, taken per round; median of %u rounds (min-max)\n", o->best_arch,
		few, few == 1 ? "" : "s", o->rounds);
	if (sodium)
		fprintf(f, "(last column: sodium over %s, same direction, size and peers)\n",
			o->best_arch);
	fprintf(f, "%-5s %5s %6s", "dir", "size", "peers");
	for (a = 0; a < NUM_ORDER; a++)
		if (o->archs & WG_CRYPTO_ARCH_BIT(arch_order[a]))
			fprintf(f, "  %-*s", CELL_WIDTH, wg_crypto_arch_name(arch_order[a]));
	fprintf(f, "%s\n", sodium ? "  sodium/best" : "");
	for (first = 0; first < l->n; first = end) {
		for (end = first + 1; end < l->n && same_row(l->v[first], l->v[end]); end++)
			;
		if (strcmp(l->v[first]->family, "crypto") == 0)
			print_ratio_row(f, l, first, end, o);
	}
}

static void
print_absolute(FILE *f, const struct wg_bench_list *l, const struct wg_bench_opts *o)
{
	size_t i;

	fprintf(f, "\nAbsolute figures (a shared, noisy 2-core machine: trust the ratios "
		"first); median of %u rounds (min-max)\n", o->rounds);
	fprintf(f, "%-10s %-7s %5s %6s %2s  %-24s %-24s %-20s %-9s %s\n", "dir", "arch",
		"size", "peers", "w", "Mpps", "Gbit/s (inner)", "TSC cycles/packet",
		"preempt%", "check");
	for (i = 0; i < l->n; i++) {
		const struct wg_bench_case *bc = l->v[i];
		char size[16], mpps[32], gbps[32], cpp[32], drop[16];

		snprintf(mpps, sizeof(mpps), "%.3f (%.3f-%.3f)", bc->mpps.median,
			 bc->mpps.min, bc->mpps.max);
		snprintf(gbps, sizeof(gbps), "%.3f (%.3f-%.3f)", bc->gbps.median,
			 bc->gbps.min, bc->gbps.max);
		snprintf(cpp, sizeof(cpp), "%.0f (%.0f-%.0f)", bc->cpp.median,
			 bc->cpp.min, bc->cpp.max);
		snprintf(drop, sizeof(drop), "%.1f", bc->dropped.median * 100);
		fprintf(f, "%-10s %-7s %5s %6u %2u  %-24s %-24s %-20s %-9s %s\n",
			bc->direction, bc->arch,
			wg_bench_size_label(bc->size, size, sizeof(size)), bc->peers,
			bc->lanes ? bc->lanes : 1, mpps, gbps, cpp, drop,
			bc->failures ? "FAILED" : "ok");
	}
}

void
wg_bench_print_table(FILE *f, const struct wg_bench_list *l,
		     const struct wg_bench_opts *o, const struct wg_bench_machine *m)
{
	print_header(f, o, m);
	if (o->parts & WG_BENCH_PART_CRYPTO)
		print_ratios(f, l, o);
	wg_bench_print_dataplane(f, l, o);
	print_absolute(f, l, o);
	wg_bench_print_studies(f, l, o);
}

/* ---- JSON --------------------------------------------------------------- */

void
wg_bench_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A number, or null for NaN and infinities (JSON has neither). */
void
wg_bench_json_num(FILE *f, double x)
{
	if (isfinite(x))
		fprintf(f, "%.6g", x);
	else
		fprintf(f, "null");
}

void
wg_bench_json_size(FILE *f, uint32_t size)
{
	if (size == WG_BENCH_SIZE_IMIX)
		wg_bench_json_str(f, "imix");
	else
		fprintf(f, "%u", size);
}

static void
json_machine(FILE *f, const struct wg_bench_machine *m, const struct wg_bench_opts *o)
{
	fprintf(f, "  \"machine\": {\n    \"cpu_model\": ");
	wg_bench_json_str(f, m->cpu_model);
	fprintf(f, ",\n    \"cpu_family\": %d, \"cpu_model_number\": %d, "
		"\"cpu_stepping\": %d,\n", m->cpu_family, m->cpu_model_number,
		m->cpu_stepping);
	fprintf(f, "    \"flags\": {\"avx512f\": %s, \"avx512ifma\": %s, \"avx2\": %s, "
		"\"vaes\": %s, \"aes\": %s, \"sse4_2\": %s, \"hypervisor\": %s},\n",
		m->avx512f ? "true" : "false", m->avx512ifma ? "true" : "false",
		m->avx2 ? "true" : "false", m->vaes ? "true" : "false",
		m->aes ? "true" : "false", m->sse4_2 ? "true" : "false",
		m->hypervisor ? "true" : "false");
	fprintf(f, "    \"online_cpus\": %ld, \"pinned_cpu\": %d,\n", m->online_cpus, o->cpu);
	fprintf(f, "    \"tsc_hz\": %.0f, \"tsc_calibrated_against\": \"CLOCK_MONOTONIC\", "
		"\"timer_overhead_cycles\": %llu,\n", m->clk->tsc_hz,
		(unsigned long long)m->clk->overhead);
	fprintf(f, "    \"kernel\": ");
	wg_bench_json_str(f, m->kernel);
	fprintf(f, ", \"libsodium\": ");
	wg_bench_json_str(f, sodium_version_string());
	fprintf(f, ", \"intel_ipsec_mb\": ");
	wg_bench_json_str(f, imb_get_version_str());
	fprintf(f, "\n  },\n");
}

/* "],\n    \"key\": [v0, v1": closes the list before, opens this one. */
static void
json_counts(FILE *f, const char *key, const uint32_t *v, unsigned int n)
{
	unsigned int i;

	fprintf(f, "],\n    \"%s\": [", key);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%u", i ? ", " : "", v[i]);
}

static void
json_config(FILE *f, const struct wg_bench_opts *o)
{
	unsigned int i;
	size_t a;
	const char *sep = "";

	fprintf(f, "  \"config\": {\n    \"duration_ms\": %u, \"warmup_ms\": %u, "
		"\"rounds\": %u, \"burst\": %d, \"mtu\": %d, \"quick\": %s, "
		"\"drop_above\": %g,\n", o->duration_ms, wg_bench_warm_ms(o), o->rounds,
		WG_BENCH_BURST, WG_BENCH_MTU, o->quick ? "true" : "false", o->drop_above);
	fprintf(f, "    \"sizes\": [");
	for (i = 0; i < o->n_sizes; i++) {
		fprintf(f, "%s", i ? ", " : "");
		wg_bench_json_size(f, o->sizes[i]);
	}
	json_counts(f, "peers", o->peers, o->n_peers);
	fprintf(f, "],\n    \"archs\": [");
	for (a = 0; a < NUM_ORDER; a++) {
		if (!(o->archs & WG_CRYPTO_ARCH_BIT(arch_order[a])))
			continue;
		fprintf(f, "%s", sep);
		wg_bench_json_str(f, wg_crypto_arch_name(arch_order[a]));
		sep = ", ";
	}
	json_counts(f, "dp_peers", o->dp_peers, o->n_dp_peers);
	fprintf(f, "],\n    \"workers\": [");
	for (i = 0; i < o->n_workers; i++)
		fprintf(f, "%s%u", i ? ", " : "", o->workers[i]);
	json_counts(f, "scale_peers", o->scale_peers, o->n_scale_peers);
	fprintf(f, "],\n    \"flood_per_burst\": %u, \"latency_packets\": %u, "
		"\"parts\": %u, \"dp_kinds\": %u,\n", o->flood, o->latency_packets,
		o->parts, o->dp_kinds);
	fprintf(f, "    \"lane_cpus\": [");
	for (i = 0; i < o->n_lane_cpus; i++)
		fprintf(f, "%s%d", i ? ", " : "", o->lane_cpus[i]);
	fprintf(f, "],\n    \"best_arch\": ");
	wg_bench_json_str(f, o->best_arch);
	fprintf(f, ",\n    \"imix\": {\"sizes\": [64, 576, %d], \"weights\": [7, 4, 1], "
		"\"mean_inner_bytes\": %.4f, \"note\": \"classic 7:4:1 of "
		"64/576/1500 with 1500 clamped to the %d-byte inner MTU\"}\n  },\n",
		WG_BENCH_MTU, wg_bench_imix_mean(), WG_BENCH_MTU);
}

/* "name": median, "name_min": min, "name_max": max */
void
wg_bench_json_stat(FILE *f, const char *name, const struct wg_bench_stat *st)
{
	fprintf(f, ", \"%s\": ", name);
	wg_bench_json_num(f, st->median);
	fprintf(f, ", \"%s_min\": ", name);
	wg_bench_json_num(f, st->min);
	fprintf(f, ", \"%s_max\": ", name);
	wg_bench_json_num(f, st->max);
}

/* "ratio_to_<name>" (min, max) and "<name>_reference" for each extra ratio,
 * then the extras as one object. */
static void
json_ratios(FILE *f, const struct wg_bench_case *bc)
{
	char key[64];
	unsigned int i;

	for (i = 0; i < bc->n_ratios; i++) {
		const struct wg_bench_ratio *r = &bc->ratios[i];

		snprintf(key, sizeof(key), "ratio_to_%s", r->name);
		wg_bench_json_stat(f, key, &r->st);
		fprintf(f, ", \"%s_reference\": ", r->name);
		if (r->ref[0] == NULL) {
			fprintf(f, "null");
		} else if (r->ref[1] == NULL) {
			wg_bench_json_str(f, r->ref[0]->name);
		} else {
			fprintf(f, "[");
			wg_bench_json_str(f, r->ref[0]->name);
			fprintf(f, ", ");
			wg_bench_json_str(f, r->ref[1]->name);
			fprintf(f, "]");
		}
	}
	fprintf(f, ", \"extra\": {");
	for (i = 0; i < bc->n_extra; i++) {
		fprintf(f, "%s", i ? ", " : "");
		wg_bench_json_str(f, bc->extra[i].name);
		fprintf(f, ": ");
		wg_bench_json_num(f, bc->extra[i].value);
	}
	fprintf(f, "}");
}

static void
json_result(FILE *f, const struct wg_bench_case *bc)
{
	uint64_t packets = 0, bursts = 0, dropped = 0;
	unsigned int r;

	for (r = 0; r < bc->rounds; r++) {
		packets += bc->sample[r].packets;
		bursts += bc->sample[r].bursts;
		dropped += bc->sample[r].dropped_bursts;
	}
	fprintf(f, "    {\"case\": ");
	wg_bench_json_str(f, bc->name);
	fprintf(f, ", \"family\": ");
	wg_bench_json_str(f, bc->family);
	fprintf(f, ", \"arch\": ");
	wg_bench_json_str(f, bc->arch);
	fprintf(f, ", \"direction\": ");
	wg_bench_json_str(f, bc->direction);
	fprintf(f, ", \"size\": ");
	wg_bench_json_size(f, bc->size);
	fprintf(f, ", \"mean_inner_bytes\": %.4f, \"peers\": %u",
		wg_bench_mean_size(bc->size), bc->peers);
	wg_bench_json_stat(f, "mpps", &bc->mpps);
	wg_bench_json_stat(f, "gbps", &bc->gbps);
	wg_bench_json_stat(f, "cycles_per_packet", &bc->cpp);
	wg_bench_json_stat(f, "ratio_to_best", &bc->ratio);
	fprintf(f, ", \"ratio_reference\": ");
	if (bc->ref != NULL)
		wg_bench_json_str(f, bc->ref->name);
	else
		fprintf(f, "null");
	wg_bench_json_stat(f, "ratio_to_best_same_direction", &bc->ratio_dir);
	json_ratios(f, bc);
	fprintf(f, ", \"workers\": %u", bc->lanes ? bc->lanes : 1);
	wg_bench_json_stat(f, "preempted_share", &bc->dropped);
	fprintf(f, ", \"rounds\": %u, \"packets\": %llu, \"bursts\": %llu, "
		"\"preempted_bursts\": %llu, \"verify_failures\": %u}", bc->rounds,
		(unsigned long long)packets, (unsigned long long)bursts,
		(unsigned long long)dropped, bc->failures);
}

int
wg_bench_write_json(const char *path, const struct wg_bench_list *l,
		    const struct wg_bench_opts *o, const struct wg_bench_machine *m)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	fprintf(f, "{\n  \"tool\": \"wgedge-bench\", \"version\": ");
	wg_bench_json_str(f, WG_BENCH_VERSION);
	fprintf(f, ",\n  \"date\": ");
	wg_bench_json_str(f, m->date);
	fprintf(f, ",\n  \"command_line\": ");
	wg_bench_json_str(f, m->cmdline);
	fprintf(f, ",\n");
	json_machine(f, m, o);
	json_config(f, o);
	fprintf(f, "  \"results\": [\n");
	for (i = 0; i < l->n; i++) {
		json_result(f, l->v[i]);
		fprintf(f, "%s\n", i + 1 < l->n ? "," : "");
	}
	fprintf(f, "  ],\n");
	wg_bench_json_studies(f, l);
	fprintf(f, "}\n");
	if (fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}
