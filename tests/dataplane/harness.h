/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test harness for the DPDK dataplane: EAL without hugepages, gateways on
 * net_ring ports (outer ports of two gateways joined back to back: A's TX
 * ring k is B's RX ring k), handshakes with lib/noise carried through the
 * dataplane's own handshake path, inner packet builders, and a teardown that
 * drains every ring and checks that no mbuf is left in use.
 *
 * Each Criterion test runs in its own process: h_setup() (the suite's
 * .init) starts EAL, h_teardown() (.fini) checks and stops everything.
 */
#ifndef WG_TEST_DP_HARNESS_H
#define WG_TEST_DP_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "cookie.h"
#include "dp.h"
#include "noise.h"

enum {
	H_MAXQ = 2,
	H_RING_SIZE = 1024,
	H_MBUFS = 8191,
	H_MTU = WG_DEFAULT_MTU
};

struct h_gw {
	char name[16];
	struct wg_dp *dp;
	unsigned int nq;
	uint8_t host;			/* last byte of every address */
	bool null_outer;		/* outer port is net_null */
	uint32_t max_routes4, max_routes6;	/* 0: the dataplane's default */
	uint16_t outer_port, clear_port;
	/* outer_tx[nq] and clear_tx[nq] are the control thread's queues */
	struct rte_ring *outer_rx[H_MAXQ], *outer_tx[H_MAXQ + 1];
	struct rte_ring *clear_rx[H_MAXQ], *clear_tx[H_MAXQ + 1];
	struct rte_ether_addr outer_mac, clear_mac, outer_nh, clear_nh;
	struct wg_endpoint ep4, ep6;	/* our outer endpoints */
	uint8_t lan4[4], lan6[16];	/* our LAN prefixes: /24 and /64; the
					 * clear port is host 1 in each */
	/* Set before h_gw_start (0 = the dataplane's defaults). */
	uint32_t icmp_rate, icmp_burst, frag_timeout_ms;
	struct wg_noise_identity id;
	struct wg_cookie_checker checker;
	unsigned int in_use_start;
};

/* A session between two gateways: what each side installed. */
struct h_session {
	struct wg_noise_keypair ini, resp;
};

/* Suite fixtures. */
void h_setup(void);
void h_setup_telemetry(void);
void h_teardown(void);
/* Drains everything and asserts no mbuf is left in use (see H_TEST). */
void h_check_no_leaks(void);

/*
 * A Criterion test whose body is followed by h_check_no_leaks(): every
 * dataplane test ends with the mempool back where it started.
 */
#define H_TEST(suite, name, ...) \
	static void suite##_##name##_body(void); \
	Test(suite, name, ##__VA_ARGS__) \
	{ \
		suite##_##name##_body(); \
		h_check_no_leaks(); \
	} \
	static void suite##_##name##_body(void)

/* host 1 = "A", 2 = "B", ...; nq queues (workers). Rings only. */
void h_gw_init(struct h_gw *g, const char *name, uint8_t host, unsigned int nq);
/* A's outer TX queue k feeds B's outer RX queue k (the control queue
 * feeds queue 0), and the other way round. Before h_gw_start. */
void h_gw_join(struct h_gw *a, struct h_gw *b);
/* The outer port becomes a net_null device (TX frees, no RX). */
void h_gw_null_outer(struct h_gw *g);
/* Ports from the rings, then the dataplane; remembers the pool's use. */
void h_gw_start(struct h_gw *g);

/* The peer on g for gateway o, with o's endpoint (v4 or v6) and LANs. */
uint32_t h_peer_for(struct h_gw *g, const struct h_gw *o, bool outer_v6);
/*
 * A handshake from ini to resp through both dataplanes (control_send, the
 * workers' mac1 check and handshake ring), then installs the keypairs.
 * The ages (seconds) backdate either side's keypair (expiry tests).
 */
void h_handshake(struct h_gw *ini, uint32_t ini_peer, struct h_gw *resp,
		 uint32_t resp_peer, struct h_session *s, uint64_t ini_age_s,
		 uint64_t resp_age_s);

/* One poll of every worker of g. */
void h_poll(struct h_gw *g);
unsigned int h_ring_take(struct rte_ring *r, struct rte_mbuf **m, unsigned int max);
void h_ring_put(struct rte_ring *r, struct rte_mbuf **m, unsigned int n);
void h_ring_free(struct rte_ring *r);
/* Every TX ring of g (outer and clear, control queues included) empty. */
bool h_gw_tx_empty(const struct h_gw *g);

/*
 * An inner packet of len bytes (IPv4: 20..; IPv6: 40..) from src to dst,
 * contents derived from seed, in an Ethernet frame to g's clear port.
 */
struct rte_mbuf *h_inner4(struct h_gw *g, const uint8_t src[4], const uint8_t dst[4],
			  uint16_t len, uint32_t seed);
struct rte_mbuf *h_inner6(struct h_gw *g, const uint8_t src[16], const uint8_t dst[16],
			  uint16_t len, uint32_t seed);
/* Host addresses in a gateway's LAN. */
void h_lan4(const struct h_gw *g, uint8_t host, uint8_t out[4]);
void h_lan6(const struct h_gw *g, uint8_t host, uint8_t out[16]);

/* Copies a frame's bytes out (the mbuf may be freed after). */
uint16_t h_copy(const struct rte_mbuf *m, uint8_t *buf, uint16_t cap);
/* A frame from bytes, in g's pool. */
struct rte_mbuf *h_frame(struct h_gw *g, const uint8_t *buf, uint16_t len);

/* Fixes the IPv4 header checksum and zeroes the UDP checksum of an outer
 * frame whose headers a test rewrote; IPv6: recomputes the UDP checksum. */
void h_outer_fix(uint8_t *frame, uint16_t len);

/* Offsets in an outer frame (no IPv4 options): the WireGuard message. */
uint16_t h_outer_msg_off(const uint8_t *frame);

/*
 * Waiting on another lcore: a deadline seconds from now, and whether it is
 * still ahead. Tests wait for a condition until a generous deadline (the
 * machine may be busy), never for a number of iterations.
 */
enum { H_WAIT_S = 30 };
uint64_t h_deadline(unsigned int seconds);
bool h_before(uint64_t deadline);

uint64_t h_drop(const struct h_gw *g, enum wg_dp_drop r);
void h_stats(const struct h_gw *g, struct wg_dp_stats *st);

extern struct h_gw h_a, h_b;

#endif /* WG_TEST_DP_HARNESS_H */
