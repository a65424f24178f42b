/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dataplane's test bench: EAL without hugepages, gateways on net_ring
 * ports, clients (peers) with sessions, and a generator of the frames a NIC
 * would hand a worker.
 *
 * - Ports are net_ring devices: every RX and TX queue is an rte_ring the
 *   bench reaches directly, so it injects exact frames (net_null's RX makes
 *   junk frames of one fixed size) and takes what the worker sent. The
 *   worker's rte_eth_rx_burst/tx_burst are then a ring dequeue/enqueue; mbuf
 *   allocation (a NIC PMD's RX refill) and freeing (its TX completion) are
 *   the generator's, outside the timed region, for the I/O ceiling and the
 *   dataplane paths alike.
 * - Clients: client i has tunnel address 100.64.0.0 + i (its /32 allowed
 *   IP), endpoint 10.128.0.0 + i port 51820, and one session whose keys are
 *   random bytes in the layout a handshake derives (struct
 *   wg_noise_keypair): the gateway is the initiator, so the keypair is
 *   current at once. 100,000 real handshakes would take half a minute; the
 *   handshake path has its own case.
 * - Keypair generations: a gateway's keypairs are reinstalled (new local
 *   indices, counters from 0) before they grow old enough for the initiator
 *   to ask for a rekey (REKEY_AFTER_TIME), so that a long run measures the
 *   steady state and never the staging path.
 * - Frames: clear side, IPv4/UDP packets from 198.51.100.1 to a client's
 *   tunnel address; outer side, WireGuard data messages from a client's
 *   endpoint carrying IPv4/UDP packets from its tunnel address to
 *   198.51.100.1, sealed by the bench with the crypto backend of the lane.
 *   Payload bytes depend on the offset only, so any output can be checked
 *   against the packet it must be.
 */
#ifndef WG_BENCH_DP_ENV_H
#define WG_BENCH_DP_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bench.h"
#include "crypto.h"
#include "dp.h"

enum {
	WG_BENCH_GW_MAXQ = WG_BENCH_MAX_LANES,
	WG_BENCH_RING_SIZE = 1024,
	WG_BENCH_MIN_INNER = 28,		/* IPv4 + UDP headers */
	WG_BENCH_OUTER_HDR = 14 + 20 + 8,	/* Ethernet, IPv4, UDP */
	/* A keypair generation is replaced after this age (REKEY_AFTER_TIME
	 * is 120 s): the longest case-round stays far below the gap. */
	WG_BENCH_REKEY_AGE_S = 60
};

/* Addresses (host byte order). */
#define WG_BENCH_CLIENT_TUNNEL(i) (UINT32_C(0x64400000) + (uint32_t)(i))
#define WG_BENCH_CLIENT_EP(i) (UINT32_C(0x0a800000) + (uint32_t)(i))
#define WG_BENCH_NET_HOST UINT32_C(0xc6336401)	/* 198.51.100.1 */
#define WG_BENCH_GW_IP(host) (UINT32_C(0x0a000000) + (uint32_t)(host))

/*
 * EAL on the CPUs given: the main lcore on cpus[0], lcore k on cpus[k];
 * memory without hugepages (mem_mb). 0 or -1 (said why).
 */
int wg_bench_eal_init(const int *cpus, unsigned int n, unsigned int mem_mb);
void wg_bench_eal_cleanup(void);
/* Lanes the EAL gives lcores to (1 + worker lcores). */
unsigned int wg_bench_eal_lanes(void);

/* The keys of n clients' sessions (the gateway's view). */
struct wg_bench_clients {
	uint32_t n;
	uint8_t (*gw_tx)[NOISE_SYMMETRIC_KEY_LEN];	/* the gateway seals with */
	uint8_t (*gw_rx)[NOISE_SYMMETRIC_KEY_LEN];	/* the gateway opens with */
};

int wg_bench_clients_create(struct wg_bench_clients *cl, uint32_t n);
void wg_bench_clients_free(struct wg_bench_clients *cl);
/* The gateway's local index of client i's session in generation gen. */
uint32_t wg_bench_gw_index(uint32_t gen, uint32_t i);
/* The client's index (the receiver index the gateway sends). */
uint32_t wg_bench_client_index(uint32_t gen, uint32_t i);

/* A gateway instance on ring ports. */
struct wg_bench_gw {
	char name[WG_DP_NAME_MAX + 1];
	struct wg_dp *dp;
	unsigned int nq;
	uint16_t outer_port, clear_port;
	bool ports_made;
	/* [nq] of the TX rings is the control thread's queue. */
	struct rte_ring *outer_rx[WG_BENCH_GW_MAXQ], *clear_rx[WG_BENCH_GW_MAXQ];
	struct rte_ring *outer_tx[WG_BENCH_GW_MAXQ + 1];
	struct rte_ring *clear_tx[WG_BENCH_GW_MAXQ + 1];
	bool own_outer_rx0;		/* outer_rx[0] is ours to free */
	struct rte_ether_addr outer_mac, clear_mac;
	uint32_t outer_ip;		/* host order */
	/* The clients added, their peer ids, the keypair generation. */
	const struct wg_bench_clients *clients;
	uint32_t n_clients;
	uint32_t *peer_id;
	uint32_t gen;
	uint64_t keys_ns;
	/* Per client: the next counter of the current generation, shared by
	 * the lanes (atomic), so that their messages to one client are in
	 * counter order as they are made, as one sender's would be. */
	uint64_t *next_counter;
};

struct wg_bench_gw_conf {
	const char *name;		/* <= WG_DP_NAME_MAX */
	uint8_t host;			/* outer address 10.0.0.host */
	unsigned int nq;		/* workers */
	uint32_t max_peers;
	struct rte_ring *outer_rx0;	/* NULL: a ring of its own */
};

/* 0, or -1 (said why); g is then destroyable. */
int wg_bench_gw_create(struct wg_bench_gw *g, const struct wg_bench_gw_conf *c);
void wg_bench_gw_destroy(struct wg_bench_gw *g);
/* Adds clients 0..n-1 as peers with sessions. 0 or -1 (said why). */
int wg_bench_gw_add_clients(struct wg_bench_gw *g, const struct wg_bench_clients *cl,
			    uint32_t n);
/* A new keypair generation for every client, counters from 0. */
int wg_bench_gw_rekey(struct wg_bench_gw *g);
/* Rekeys if the keypairs are WG_BENCH_REKEY_AGE_S old. */
int wg_bench_gw_keep_fresh(struct wg_bench_gw *g);
/* Frees every mbuf waiting in r. */
void wg_bench_ring_free(struct rte_ring *r);
/* Frees what waits in every TX ring of g. */
void wg_bench_gw_drain(struct wg_bench_gw *g);

/* ---- The generator (bench/dp_gen.c) ---- */

/* Where a lane's stream of packets is: the next client and IMIX slot. */
struct wg_bench_stream {
	uint32_t span;			/* clients the traffic spreads over */
	uint32_t size;			/* inner bytes, or WG_BENCH_SIZE_IMIX */
	uint32_t next;			/* next client, in [0, span) */
	uint32_t k;			/* packets so far (IMIX position) */
};

void wg_bench_stream_init(struct wg_bench_stream *s, uint32_t span, uint32_t size,
			  unsigned int lane, unsigned int lanes);

/* Builds the inner IPv4/UDP packet of len bytes from src to dst (host order). */
void wg_bench_inner_build(uint8_t *p, uint16_t len, uint32_t src, uint32_t dst);

/*
 * n clear-side frames of the stream in fresh mbufs of g's pool: m[], their
 * inner bytes added to *bytes. 0 or -1 (pool empty).
 */
int wg_bench_gen_clear(struct wg_bench_gw *g, struct wg_bench_stream *s,
		       struct rte_mbuf **m, unsigned int n, uint64_t *bytes);
/*
 * n outer data messages of the stream, sealed with c under each client's
 * next counters of g's current generation. 0 or -1 (pool empty).
 */
int wg_bench_gen_outer(struct wg_bench_gw *g, struct wg_crypto *c,
		       struct wg_bench_stream *s, struct rte_mbuf **m, unsigned int n,
		       uint64_t *bytes);
/* A frame of len bytes copied into a fresh mbuf of g's pool, or NULL. */
struct rte_mbuf *wg_bench_gen_frame(struct wg_bench_gw *g, const void *frame,
				    uint16_t len);
/* Ethernet + IPv4 + UDP to g's outer port from src (host order), then msg. */
uint16_t wg_bench_outer_frame(const struct wg_bench_gw *g, uint8_t *buf, uint32_t src,
			      const void *msg, uint16_t len);

/*
 * Checks of what a worker sent. size is the case's (IMIX: any of its sizes).
 * 0, or -1 if the frame is not the packet it must be.
 */
int wg_bench_check_clear_out(const struct wg_bench_gw *g, const struct rte_mbuf *m,
			     uint32_t size, uint32_t span);
int wg_bench_check_outer_out(const struct wg_bench_gw *g, const struct rte_mbuf *m,
			     uint32_t size, uint32_t span);
/* An unchanged clear-side frame of the stream (the I/O ceiling). */
int wg_bench_check_clear_in(const struct wg_bench_gw *g, const struct rte_mbuf *m,
			    uint32_t size, uint32_t span);

#endif /* WG_BENCH_DP_ENV_H */
