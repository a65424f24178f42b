/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dataplane family's internals, shared by bench/dp_cases.c (the data
 * paths) and bench/dp_hs.c (the control thread: handshakes and floods).
 */
#ifndef WG_BENCH_DP_CASES_H
#define WG_BENCH_DP_CASES_H

#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "dp.h"
#include "dp_env.h"

enum {
	DP_HS_PEERS = 1024,		/* initiator identities of the handshake case */
	DP_HS_HEADROOM = DP_HS_PEERS + 64,	/* peer slots beyond the clients */
	DP_FLOOD_POOL = 64		/* distinct flood messages of each kind */
};

enum dp_kind {
	DP_IO,				/* RX ring -> TX ring, no processing */
	DP_ENCRYPT,			/* clear -> outer */
	DP_DECRYPT,			/* outer -> clear */
	DP_BOTH,			/* both at once, a burst of each per poll */
	DP_FLOOD_JUNK,			/* decrypt, flood with a wrong mac1 */
	DP_FLOOD_MAC1,			/* decrypt, flood with a valid mac1 */
	DP_HANDSHAKE			/* initiations -> responses, control thread */
};

struct dp_hs;

/* The family's shared state: clients, gateways, per-lane sealing backends. */
struct dp_env {
	const struct wg_bench_opts *o;
	struct wg_bench_clients clients;
	/* gw[w]: the gateway with w workers, when w is asked for */
	struct wg_bench_gw gw[WG_BENCH_MAX_LANES + 1];
	bool have_gw[WG_BENCH_MAX_LANES + 1];
	struct wg_crypto *crypto[WG_BENCH_MAX_LANES];
	const char *arch;		/* what the workers' AUTO backend is */
	struct dp_hs *hs;		/* control thread on gw[1]; NULL: none */
};

struct dp_lane {
	struct wg_bench_stream clear;	/* clear-side frames (encrypt, io) */
	struct wg_bench_stream outer;	/* outer frames (decrypt) */
	uint64_t burst_bytes;		/* inner bytes of the data fed */
	uint32_t fed;			/* data packets fed in the burst */
	uint32_t flood_k;		/* flood messages so far */
};

struct dp_case {
	struct dp_env *env;
	struct wg_bench_gw *g;
	enum dp_kind kind;
	uint32_t size;
	uint32_t span;			/* clients the traffic spreads over */
	unsigned int lanes;
	struct dp_lane lane[WG_BENCH_MAX_LANES];
	struct wg_dp_stats st0;		/* the gateway's counters at start() */
	bool replayed;			/* replay drops in the last round */
};

/* dp_hs.c: a wg_control on gw[1] with DP_HS_PEERS initiators configured. */
int wg_bench_hs_setup(struct dp_env *e);
void wg_bench_hs_free(struct dp_env *e);
extern const struct wg_bench_case_ops wg_bench_hs_ops;
/* The flood frame of kind at position k, in a fresh mbuf of g's pool. */
struct rte_mbuf *wg_bench_flood_frame(struct dp_env *e, enum dp_kind kind, uint32_t k);
/* The control thread, looping on lcore until wg_bench_ctl_join(). */
int wg_bench_ctl_launch(struct dp_env *e, unsigned int lcore);
void wg_bench_ctl_join(struct dp_env *e, unsigned int lcore);
/* Adds the control thread's counters since the launch to bc's extras. */
void wg_bench_ctl_account(struct dp_env *e, struct wg_bench_case *bc);
/* Frees what waits in the handshake and cookie rings to the control thread. */
void wg_bench_hs_rings_free(struct wg_bench_gw *g);
/*
 * Handshakes completed per second with no flood, a cookie-reply flood and a
 * valid-mac1 flood (duration_ms each), printed with their ratios to none.
 */
int wg_bench_hs_flood_study(struct dp_env *e, unsigned int duration_ms);

#endif /* WG_BENCH_DP_CASES_H */
