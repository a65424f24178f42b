/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Path MTU, both ways (icmp.c, frag.c), private to the dataplane:
 *
 * - clear side: a packet larger than the tunnel MTU is answered with ICMP
 *   "fragmentation needed" (IPv4, DF set) or ICMPv6 "packet too big", from
 *   the clear port's address, out of the clear port, rate-limited per worker
 *   by a token bucket;
 * - outer side: IPv4 and IPv6 fragments of WireGuard UDP addressed to us are
 *   reassembled in a bounded table per worker (DPDK rte_ip_frag), so that
 *   clients behind links with a small MTU work.
 *
 * Each worker owns one struct dp_pmtu, made at create time: nothing here
 * allocates from the heap on the fast path (an ICMP error takes one mbuf
 * from the dataplane's pool).
 */
#ifndef WG_DP_PMTU_H
#define WG_DP_PMTU_H

#include <stdint.h>

#include <rte_ip_frag.h>
#include <rte_mbuf.h>

struct wg_dp;
struct wg_dp_conf;
struct wg_dp_worker;

enum {
	/*
	 * Datagrams in reassembly per worker, at most. With
	 * RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments each, this bounds the mbufs a
	 * hostile sender can hold on a worker, for at most the timeout; the
	 * default pool is sized for it (dp.c).
	 */
	DP_FRAG_FLOWS = 128,
	DP_FRAG_MBUFS = DP_FRAG_FLOWS * RTE_LIBRTE_IP_FRAG_MAX_FRAG,
	DP_FRAG_TIMEOUT_MS = 1000,	/* default: whole in a second, or dropped */
	DP_ICMP_RATE = 1000,		/* default errors per second per worker */
	DP_ICMP_BURST = 50		/* default bucket depth (as Linux's
					 * icmp_msgs_per_sec / icmp_msgs_burst) */
};

struct dp_pmtu {
	struct rte_ip_frag_tbl *frag_tbl;
	struct rte_ip_frag_death_row dr;
	/* ICMP token bucket, in TSC cycles of credit: one error costs
	 * icmp_cost, the bucket holds icmp_burst errors. */
	uint64_t icmp_credit, icmp_cost, icmp_cap, icmp_last;
};

/*
 * One per worker, after the workers are made (conf: 0 = the defaults
 * above); detach frees them, fragments held included, once workers stopped.
 */
int dp_pmtu_attach(struct wg_dp *dp, const struct wg_dp_conf *c);
void dp_pmtu_detach(struct wg_dp *dp);

/*
 * icmp.c: m is a clear-side frame (Ethernet, IPv4 or IPv6 header checked,
 * longer than the MTU), which the caller then drops; answers its sender if
 * the packet deserves an answer and the bucket allows.
 */
void dp_icmp_too_big(struct wg_dp_worker *w, const struct rte_mbuf *m);

/*
 * frag.c: m is an outer fragment of UDP to our address (l2_len and l3_len
 * set, the IPv6 fragment header counted in l3_len). Takes m; returns the
 * whole datagram (possibly multi-segment, IPv4 checksum fixed) once its
 * last fragment is in, else NULL. Fragments refused are counted
 * (outer_fragment) and freed here.
 */
struct rte_mbuf *dp_frag_reassemble(struct wg_dp_worker *w, struct rte_mbuf *m);
/* Drops datagrams not completed in time (frag_timeout); on the drain timer. */
void dp_frag_expire(struct wg_dp_worker *w);

#endif /* WG_DP_PMTU_H */
