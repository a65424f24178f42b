/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dataplane's part of the report: its table (per-lcore ratios to the
 * crypto and I/O ceilings), the handshake rate, the studies (gateway
 * memory, latency, peer scale), and their JSON.
 */
#include <math.h>
#include <string.h>

#include "report.h"
#include "studies.h"

enum {
	RATIO_WIDTH = 18
};

static bool
is_dp(const struct wg_bench_case *bc)
{
	return strcmp(bc->family, "dataplane") == 0;
}

static const struct wg_bench_ratio *
ratio_of(const struct wg_bench_case *bc, const char *name)
{
	unsigned int i;

	for (i = 0; i < bc->n_ratios; i++)
		if (strcmp(bc->ratios[i].name, name) == 0)
			return &bc->ratios[i];
	return NULL;
}

/* "0.71 (0.70-0.73)", or "-" without a figure. */
static void
ratio_cell(FILE *f, const struct wg_bench_case *bc, const char *name)
{
	const struct wg_bench_ratio *r = ratio_of(bc, name);
	char buf[40];

	if (r == NULL || isnan(r->st.median))
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%.2f (%.2f-%.2f)", r->st.median, r->st.min,
			 r->st.max);
	fprintf(f, "  %-*s", RATIO_WIDTH, buf);
}

static void
dp_row(FILE *f, const struct wg_bench_case *bc)
{
	char size[16], mpps[32];

	snprintf(mpps, sizeof(mpps), "%.3f (%.2f-%.2f)", bc->mpps.median, bc->mpps.min,
		 bc->mpps.max);
	fprintf(f, "%-10s %5s %6u %2u  %-20s %7.2f %6.0f", bc->direction,
		wg_bench_size_label(bc->size, size, sizeof(size)), bc->peers,
		bc->lanes ? bc->lanes : 1, mpps, bc->gbps.median, bc->cpp.median);
	ratio_cell(f, bc, "crypto");
	ratio_cell(f, bc, "io");
	ratio_cell(f, bc, "unflooded");
	if (!isnan(wg_bench_extra_get(bc, "replay_drops")))
		fprintf(f, "  replays %.0f", wg_bench_extra_get(bc, "replay_drops"));
	fprintf(f, "%s\n", bc->failures ? "  FAILED" : "");
}

static const struct wg_bench_case *
find_dp(const struct wg_bench_list *l, const char *dir)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (is_dp(l->v[i]) && strcmp(l->v[i]->direction, dir) == 0)
			return l->v[i];
	return NULL;
}

static void
handshake_line(FILE *f, const struct wg_bench_list *l)
{
	const struct wg_bench_case *bc = find_dp(l, "handshake");

	if (bc == NULL)
		return;
	fprintf(f, "\nHandshake responses of one control thread (%u initiators, valid "
		"initiations through the worker's mac1 check; one wg_control_poll() "
		"timed): %.0f/s (%.0f-%.0f), %.0f TSC cycles per handshake%s\n",
		bc->peers, bc->mpps.median * 1e6, bc->mpps.min * 1e6, bc->mpps.max * 1e6,
		bc->cpp.median, bc->failures ? ", FAILED" : "");
}

void
wg_bench_print_dataplane(FILE *f, const struct wg_bench_list *l,
			 const struct wg_bench_opts *o)
{
	size_t i;

	if (find_dp(l, "io") == NULL && find_dp(l, "encrypt") == NULL &&
	    find_dp(l, "decrypt") == NULL && find_dp(l, "both") == NULL &&
	    find_dp(l, "handshake") == NULL)
		return;
	fprintf(f, "\nDataplane: the worker loop of a gateway on net_ring ports, "
		"one burst of %d per poll and lane; Mpps and Gbit/s summed over the "
		"w worker lanes, cycles per packet per lane\n", WG_BENCH_BURST);
	fprintf(f, "Ratios of per-lane packet rates, per round, median of %u (min-max): "
		"to the raw %s crypto of the same direction and size (both: seal and "
		"open), to plain I/O forwarding (rte_eth_rx_burst -> rte_eth_tx_burst) "
		"of the same frames with the same lanes, and for floods to the "
		"unflooded decrypt\n", o->rounds, o->best_arch);
	fprintf(f, "%-10s %5s %6s %2s  %-20s %7s %6s  %-*s  %-*s  %-*s\n", "dir", "size",
		"peers", "w", "Mpps", "Gbit/s", "cyc/p", RATIO_WIDTH, "vs crypto",
		RATIO_WIDTH, "vs io", RATIO_WIDTH, "vs unflooded");
	for (i = 0; i < l->n; i++)
		if (is_dp(l->v[i]) && strcmp(l->v[i]->direction, "handshake") != 0)
			dp_row(f, l->v[i]);
	handshake_line(f, l);
}

/* ---- Studies ------------------------------------------------------------ */

static void
print_memory(FILE *f, const struct wg_bench_studies *st)
{
	unsigned int i;

	for (i = 0; i < st->n_dut; i++) {
		const struct wg_bench_dut_memory *d = &st->dut[i];

		fprintf(f, "Gateway with %u worker%s: wg_dp_create for %u peer slots "
			"+%.1f MB allocated (RSS +%.1f MB); %u peers with a session "
			"(wg_dp_* calls, %.2f s) +%.1f MB allocated, %.0f B per peer "
			"(RSS +%.1f MB)\n", d->workers, d->workers == 1 ? "" : "s",
			d->max_peers, d->create_alloc / 1048576.0, d->create_bytes / 1048576.0,
			d->clients, d->clients_s, d->clients_alloc / 1048576.0,
			d->clients ? (double)d->clients_alloc / d->clients : 0,
			d->clients_bytes / 1048576.0);
	}
}

static void
print_latency(FILE *f, const struct wg_bench_studies *st)
{
	char size[16];
	unsigned int i;

	if (st->n_lat == 0)
		return;
	fprintf(f, "\nLatency, one packet at a time through two gateways back to back "
		"(encrypt on A, decrypt on B), TSC ns from A's RX ring to B's TX ring\n");
	fprintf(f, "%5s %-12s %-16s %8s %6s %10s %10s %10s %10s\n", "size", "mode", "path",
		"packets", "lost", "median", "p90", "p99", "max");
	for (i = 0; i < st->n_lat; i++) {
		const struct wg_bench_latency *x = &st->lat[i];

		fprintf(f, "%5s %-12s %-16s %8u %6u %10.0f %10.0f %10.0f %10.0f\n",
			wg_bench_size_label(x->size, size, sizeof(size)), x->mode, x->path,
			x->packets, x->lost, x->median_ns, x->p90_ns, x->p99_ns, x->max_ns);
	}
	for (i = 0; i + 1 < st->n_lat; i++) {
		const struct wg_bench_latency *a = &st->lat[i], *b = &st->lat[i + 1];

		if (strcmp(a->mode, "polled") == 0 && strcmp(b->path, "io") == 0 &&
		    a->size == b->size)
			fprintf(f, "added by encrypt+decrypt at %s B (polled): median %.0f ns, "
				"p99 %.0f ns\n", wg_bench_size_label(a->size, size, sizeof(size)),
				a->median_ns - b->median_ns, a->p99_ns - b->p99_ns);
	}
}

/* The case of the dataplane at size, peers and one worker; NULL if none. */
static const struct wg_bench_case *
find_cost(const struct wg_bench_list *l, const char *dir, uint32_t size, uint32_t peers)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct wg_bench_case *bc = l->v[i];

		if (is_dp(bc) && strcmp(bc->direction, dir) == 0 && bc->size == size &&
		    bc->peers == peers && bc->lanes == 1)
			return bc;
	}
	return NULL;
}

/* Cycles per packet with the fewest and the most peers, one worker. */
static void
print_peer_cost(FILE *f, const struct wg_bench_list *l, const struct wg_bench_opts *o)
{
	static const char *const dirs[] = { "encrypt", "decrypt" };
	uint32_t lo = UINT32_MAX, hi = 0, size = o->sizes[0];
	const struct wg_bench_case *a, *b;
	unsigned int p, d;

	for (p = 0; p < o->n_dp_peers; p++) {
		lo = o->dp_peers[p] < lo ? o->dp_peers[p] : lo;
		hi = o->dp_peers[p] > hi ? o->dp_peers[p] : hi;
	}
	for (d = 0; d < 2 && lo != hi; d++) {
		a = find_cost(l, dirs[d], size, lo);
		b = find_cost(l, dirs[d], size, hi);
		if (a != NULL && b != NULL)
			fprintf(f, "%s %u B, one worker: %.0f cycles/packet with %u peer%s, "
				"%.0f with %u (x%.2f)\n", dirs[d], size, a->cpp.median, lo,
				lo == 1 ? "" : "s", b->cpp.median, hi,
				b->cpp.median / a->cpp.median);
	}
}

/* A peer-scale count's readings. */
enum scale_stage {
	BEFORE,
	CREATED,
	LOADED
};

/* Bytes the EAL heap and malloc handed out between two of a count's readings. */
static long
scale_alloc(const struct wg_bench_scale *sc, enum scale_stage from, enum scale_stage to)
{
	const long eal[3] = { sc->eal_before, sc->eal_created, sc->eal_loaded };
	const long libc[3] = { sc->libc_before, sc->libc_created, sc->libc_loaded };

	return eal[to] - eal[from] + libc[to] - libc[from];
}

static double
per_peer(const struct wg_bench_scale *sc, long bytes)
{
	return sc->peers ? (double)bytes / sc->peers : 0;
}

static void
scale_row(FILE *f, const struct wg_bench_scale *sc)
{
	const double mb = 1048576.0;

	if (!sc->ran) {
		fprintf(f, "%-16s %8u  did not complete (the errors above the table "
			"say why)\n", sc->method ? sc->method : "-", sc->peers);
		return;
	}
	fprintf(f, "%-16s %8u %8.2f %8.0f %6d %8u", sc->method, sc->peers, sc->load_s,
		sc->load_s > 0 ? sc->peers / sc->load_s : 0, sc->status, sc->peers_loaded);
	fprintf(f, "  %6.0f %6.0f %6.0f", per_peer(sc, scale_alloc(sc, BEFORE, CREATED)),
		per_peer(sc, scale_alloc(sc, CREATED, LOADED)),
		per_peer(sc, scale_alloc(sc, BEFORE, LOADED)));
	fprintf(f, "  %8.1f %8.1f  %6.1f %6.1f\n", (sc->eal_loaded - sc->eal_before) / mb,
		(sc->libc_loaded - sc->libc_before) / mb,
		(sc->rss_created - sc->rss_before) / mb,
		(sc->rss_loaded - sc->rss_created) / mb);
}

/* One row per count, the per-peer figures from the allocators. */
static void
print_scale(FILE *f, const struct wg_bench_studies *st)
{
	unsigned int k;

	if (st->n_scale == 0)
		return;
	fprintf(f, "Loading peers through the control socket, one gateway + control "
		"thread per count, created, loaded and destroyed in turn, smallest "
		"first.\nB/peer: bytes allocated (EAL heap + malloc) per peer by "
		"creating the gateway sized for them, by the load, and in all; the "
		"same in all, EAL heap and malloc, in MB; RSS growth for reference "
		"(after the first count it understates: EAL memory, once touched, "
		"stays resident)\n");
	fprintf(f, "%-16s %8s %8s %8s %6s %8s  %-20s  %-17s  %s\n", "", "", "", "", "",
		"", "B/peer (allocated)", "alloc MB, in all", "RSS +MB");
	fprintf(f, "%-16s %8s %8s %8s %6s %8s  %6s %6s %6s  %8s %8s  %6s %6s\n",
		"method", "peers", "load s", "peers/s", "status", "in model", "create",
		"load", "all", "EAL heap", "malloc", "create", "load");
	for (k = 0; k < st->n_scale; k++)
		scale_row(f, &st->scale[k]);
}

void
wg_bench_print_studies(FILE *f, const struct wg_bench_list *l,
		       const struct wg_bench_opts *o)
{
	const struct wg_bench_studies *st = wg_bench_studies();

	print_latency(f, st);
	if (st->n_dut == 0 && st->n_scale == 0)
		return;
	fprintf(f, "\nPeer scale (EAL: %u MB without hugepages)\n", st->eal_mem_mb);
	print_memory(f, st);
	print_scale(f, st);
	print_peer_cost(f, l, o);
}

/* ---- JSON --------------------------------------------------------------- */

static void
json_memory(FILE *f, const struct wg_bench_studies *st)
{
	unsigned int i;

	fprintf(f, "    \"gateways\": [");
	for (i = 0; i < st->n_dut; i++) {
		const struct wg_bench_dut_memory *d = &st->dut[i];

		fprintf(f, "%s\n      {\"workers\": %u, \"max_peers\": %u, \"peers\": %u, "
			"\"create_rss_bytes\": %ld, \"peers_rss_bytes\": %ld, "
			"\"create_alloc_bytes\": %ld, \"peers_alloc_bytes\": %ld, "
			"\"load_s\": %.4f, \"alloc_bytes_per_peer\": ", i ? "," : "",
			d->workers, d->max_peers, d->clients, d->create_bytes,
			d->clients_bytes, d->create_alloc, d->clients_alloc, d->clients_s);
		wg_bench_json_num(f, d->clients ? (double)d->clients_alloc / d->clients : NAN);
		fprintf(f, "}");
	}
	fprintf(f, "\n    ],\n");
}

static void
json_latency(FILE *f, const struct wg_bench_studies *st)
{
	unsigned int i;

	fprintf(f, "    \"latency\": [");
	for (i = 0; i < st->n_lat; i++) {
		const struct wg_bench_latency *x = &st->lat[i];

		fprintf(f, "%s\n      {\"size\": ", i ? "," : "");
		wg_bench_json_size(f, x->size);
		fprintf(f, ", \"mode\": ");
		wg_bench_json_str(f, x->mode);
		fprintf(f, ", \"path\": ");
		wg_bench_json_str(f, x->path);
		fprintf(f, ", \"packets\": %u, \"lost\": %u, \"median_ns\": ", x->packets,
			x->lost);
		wg_bench_json_num(f, x->median_ns);
		fprintf(f, ", \"p90_ns\": ");
		wg_bench_json_num(f, x->p90_ns);
		fprintf(f, ", \"p99_ns\": ");
		wg_bench_json_num(f, x->p99_ns);
		fprintf(f, ", \"max_ns\": ");
		wg_bench_json_num(f, x->max_ns);
		fprintf(f, "}");
	}
	fprintf(f, "\n    ],\n");
}

static void
json_scale_one(FILE *f, const struct wg_bench_scale *sc)
{
	fprintf(f, "      {\"ran\": %s, \"method\": ", sc->ran ? "true" : "false");
	if (sc->method != NULL)
		wg_bench_json_str(f, sc->method);
	else
		fprintf(f, "null");
	fprintf(f, ", \"peers\": %u, \"peers_loaded\": %u, \"status\": %d, \"load_s\": ",
		sc->peers, sc->peers_loaded, sc->status);
	wg_bench_json_num(f, sc->ran ? sc->load_s : NAN);
	fprintf(f, ",\n       \"rss_before\": %ld, \"rss_created\": %ld, \"rss_loaded\": %ld, "
		"\"bytes_per_peer_created\": ", sc->rss_before, sc->rss_created,
		sc->rss_loaded);
	wg_bench_json_num(f, sc->ran ? per_peer(sc, sc->rss_created - sc->rss_before) : NAN);
	fprintf(f, ", \"bytes_per_peer_loaded\": ");
	wg_bench_json_num(f, sc->ran ? per_peer(sc, sc->rss_loaded - sc->rss_created) : NAN);
	fprintf(f, ",\n       \"eal_alloc\": [%ld, %ld, %ld], \"malloc_alloc\": [%ld, %ld, "
		"%ld], \"alloc_bytes_per_peer_created\": ", sc->eal_before, sc->eal_created,
		sc->eal_loaded, sc->libc_before, sc->libc_created, sc->libc_loaded);
	wg_bench_json_num(f, sc->ran ? per_peer(sc, scale_alloc(sc, BEFORE, CREATED)) : NAN);
	fprintf(f, ", \"alloc_bytes_per_peer_loaded\": ");
	wg_bench_json_num(f, sc->ran ? per_peer(sc, scale_alloc(sc, CREATED, LOADED)) : NAN);
	fprintf(f, "}");
}

/* One object per count asked for, ascending; the last member of "studies". */
static void
json_scale(FILE *f, const struct wg_bench_studies *st)
{
	unsigned int k;

	fprintf(f, "    \"peer_scale\": [");
	for (k = 0; k < st->n_scale; k++) {
		fprintf(f, "%s\n", k ? "," : "");
		json_scale_one(f, &st->scale[k]);
	}
	fprintf(f, "\n    ]\n");
}

void
wg_bench_json_studies(FILE *f, const struct wg_bench_list *l)
{
	const struct wg_bench_studies *st = wg_bench_studies();

	(void)l;
	fprintf(f, "  \"studies\": {\n    \"eal_mem_mb\": %u, \"eal_lanes\": %u,\n",
		st->eal_mem_mb, st->eal_lanes);
	json_memory(f, st);
	json_latency(f, st);
	json_scale(f, st);
	fprintf(f, "  }\n");
}
