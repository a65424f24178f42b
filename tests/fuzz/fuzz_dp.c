/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer: a gateway's packet paths, through the real worker loop on
 * net_ring ports (tests/dataplane's harness). Gateway A has gateway B as
 * its peer, with a live session. Built twice:
 *
 *   fuzz_outer (FUZZ_OUTER): the input arrives on A's outer port. Its
 *     first byte chooses how: 0 the rest is a whole Ethernet frame; 1 and
 *     2 the rest is the UDP payload of a datagram from B's endpoint to A's
 *     listen port over IPv4 / IPv6 (classify, handshake messages, cookie
 *     replies, transport headers); 3 the rest is an inner packet that B
 *     seals with the session's key (decrypt, then the inner packet's
 *     checks and cryptokey routing).
 *   fuzz_clear: the input arrives on A's clear port: 0 a whole frame;
 *     1 and 2 an IPv4 / IPv6 packet whose addresses are set to a host of
 *     A's LAN and one of B's (so it is routed to B and sealed).
 *
 * After each input every ring is drained; the invariant is that nothing
 * crashes and that no mbuf stays in use once the rings are empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <sodium.h>

#include "harness.h"
#include "timers.h"
#include "transport.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	FRAME_MAX = RTE_ETHER_MAX_LEN,
	SESSION_RENEW_S = 100		/* well before REJECT_AFTER_TIME */
};

static struct h_session session;
static uint32_t peer_b, peer_a;
static uint64_t session_ns, counter;

/* A (initiator) and B make a session through both dataplanes. */
static void
session_new(void)
{
	h_handshake(&h_a, peer_b, &h_b, peer_a, &session, 0, 0);
	session_ns = wg_dp_clock_ns();
	counter = 0;
}

/* h_teardown() also removes EAL's runtime directory of this process. */
static void
fuzz_exit(void)
{
	sodium_memzero(&session, sizeof(session));
	h_teardown();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	h_setup();
	h_gw_init(&h_a, "fa", 1, 1);
	h_gw_init(&h_b, "fb", 2, 1);
	h_gw_join(&h_a, &h_b);
	h_gw_start(&h_a);
	h_gw_start(&h_b);
	peer_b = h_peer_for(&h_a, &h_b, false);
	peer_a = h_peer_for(&h_b, &h_a, false);
	session_new();
	atexit(fuzz_exit);
	return 0;
}

/* ---- building what arrives ------------------------------------------ */

static uint8_t *
eth_put(uint8_t *f, const struct rte_ether_addr *dst,
	const struct rte_ether_addr *src, uint16_t type)
{
	memcpy(f, dst->addr_bytes, RTE_ETHER_ADDR_LEN);
	memcpy(f + 6, src->addr_bytes, RTE_ETHER_ADDR_LEN);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return f + RTE_ETHER_HDR_LEN;
}

#ifdef FUZZ_OUTER
static void
be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A UDP datagram from B's endpoint to A's listen port; its length. */
static uint16_t
outer_udp(uint8_t *f, bool v6, const uint8_t *payload, size_t n)
{
	size_t iph = v6 ? 40 : 20;
	uint8_t *ip, *udp;

	if (RTE_ETHER_HDR_LEN + iph + 8 + n > FRAME_MAX)
		return 0;
	ip = eth_put(f, &h_a.outer_mac, &h_b.outer_mac,
		     v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, iph);
	if (v6) {
		ip[0] = 0x60;
		be16_put(ip + 4, (uint16_t)(8 + n));
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, h_b.ep6.addr.v6, 16);
		memcpy(ip + 24, h_a.ep6.addr.v6, 16);
	} else {
		ip[0] = 0x45;
		be16_put(ip + 2, (uint16_t)(20 + 8 + n));
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, h_b.ep4.addr.v4, 4);
		memcpy(ip + 16, h_a.ep4.addr.v4, 4);
	}
	udp = ip + iph;
	be16_put(udp, v6 ? h_b.ep6.port : h_b.ep4.port);
	be16_put(udp + 2, WG_DEFAULT_PORT);
	be16_put(udp + 4, (uint16_t)(8 + n));
	memcpy(udp + 8, payload, n);
	n += RTE_ETHER_HDR_LEN + iph + 8;
	h_outer_fix(f, (uint16_t)n);
	return (uint16_t)n;
}

/* The inner packet sealed by B for A: a transport message over IPv4. */
static uint16_t
outer_sealed(uint8_t *f, const uint8_t *inner, size_t n)
{
	uint8_t msg[FRAME_MAX];
	size_t len;

	if (wg_dp_clock_ns() - session_ns > SESSION_RENEW_S * WG_NSEC_PER_SEC)
		session_new();
	len = wg_transport_seal(msg, sizeof(msg), session.resp.remote_index,
				counter++, session.resp.sending_key, inner, n,
				H_MTU);
	return len == 0 ? 0 : outer_udp(f, false, msg, len);
}
#else

/* An inner packet from a host of A's LAN to one of B's, into A's clear
 * port; the fuzzer's bytes keep everything but the addresses. */
static uint16_t
clear_inner(uint8_t *f, bool v6, const uint8_t *pkt, size_t n)
{
	uint8_t *ip;

	if (RTE_ETHER_HDR_LEN + n > FRAME_MAX)
		return 0;
	ip = eth_put(f, &h_a.clear_mac, &h_a.clear_nh,
		     v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	memcpy(ip, pkt, n);
	if (v6 && n >= 40) {
		h_lan6(&h_a, 7, ip + 8);
		h_lan6(&h_b, 9, ip + 24);
	} else if (!v6 && n >= 20) {
		h_lan4(&h_a, 7, ip + 12);
		h_lan4(&h_b, 9, ip + 16);
	}
	return (uint16_t)(RTE_ETHER_HDR_LEN + n);
}
#endif

static uint16_t
frame_build(uint8_t *f, const uint8_t *data, size_t size)
{
	const uint8_t *rest = data + 1;
	size_t n = size - 1;

	switch (data[0] & 3) {
	case 0:
		if (n > FRAME_MAX)
			return 0;
		memcpy(f, rest, n);
		return (uint16_t)n;
#ifdef FUZZ_OUTER
	case 1:
	case 2:
		return outer_udp(f, (data[0] & 3) == 2, rest, n);
	default:
		return outer_sealed(f, rest, n);
#else
	case 1:
	case 2:
		return clear_inner(f, (data[0] & 3) == 2, rest, n);
	default:
		return 0;
#endif
	}
}

/* ---- one input --------------------------------------------------------- */

static void
drain(void)
{
	struct rte_mbuf *m[32];
	struct wg_dp_event ev[32];
	unsigned int k, n;

	while ((n = wg_dp_handshake_dequeue(h_a.dp, m, RTE_DIM(m))) != 0)
		rte_pktmbuf_free_bulk(m, n);
	while (wg_dp_events_poll(h_a.dp, ev, RTE_DIM(ev)) != 0)
		;
	wg_dp_peer_purge_staged(h_a.dp, peer_b);
	for (k = 0; k <= h_a.nq; k++) {
		h_ring_free(h_a.outer_tx[k]);
		h_ring_free(h_a.clear_tx[k]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t f[FRAME_MAX];
	struct rte_mbuf *m;
	uint16_t len;

	if (size < 1)
		return 0;
	len = frame_build(f, data, size);
	if (len == 0)
		return 0;
	m = h_frame(&h_a, f, len);
#ifdef FUZZ_OUTER
	h_ring_put(h_a.outer_rx[0], &m, 1);
#else
	h_ring_put(h_a.clear_rx[0], &m, 1);
#endif
	h_poll(&h_a);
	drain();
	if (rte_mempool_in_use_count(wg_dp_mempool(h_a.dp)) != h_a.in_use_start)
		abort();
	return 0;
}
