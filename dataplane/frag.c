/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Outer reassembly: IPv4 and IPv6 fragments of WireGuard UDP to our address
 * go into the worker's rte_ip_frag table; the datagram they complete goes
 * back to classification whole (classify.c linearizes it: decryption wants
 * one segment). Classification has already checked, on every fragment, the
 * destination (ours), the protocol (UDP), the IPv4 header checksum and the
 * lengths, so only datagrams for us can hold table entries.
 *
 * Bounds: DP_FRAG_FLOWS datagrams per worker of at most
 * RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments each, for at most the timeout; a
 * full table refuses new datagrams until an entry completes or expires.
 * What the table refuses (overlaps, duplicates of the first or last
 * fragment, too many fragments, sizes that disagree, a full table) lands on
 * the death row and is counted as outer_fragment; what expires is counted
 * as fragment_timeout.
 *
 * RSS hashes fragments on the IP addresses (RTE_ETH_RSS_IPV4/IPV6), so all
 * fragments of a datagram reach one queue; without RSS a datagram whose
 * fragments land on two workers is not reassembled (and expires).
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>

#include "dp_priv.h"
#include "pmtu.h"

enum {
	FRAG_BUCKET_ENTRIES = 4		/* a power of two, <= 16 */
};

static struct dp_pmtu *
pmtu_create(const struct wg_dp *dp, uint32_t icmp_rate, uint32_t icmp_burst,
	       uint32_t frag_timeout_ms)
{
	uint32_t ms = frag_timeout_ms ? frag_timeout_ms : DP_FRAG_TIMEOUT_MS;
	uint32_t rate = icmp_rate ? icmp_rate : DP_ICMP_RATE;
	uint32_t burst = icmp_burst ? icmp_burst : DP_ICMP_BURST;
	uint64_t cycles = (dp->tsc_hz + MS_PER_S - 1) / MS_PER_S * ms;
	struct dp_pmtu *p;

	p = rte_zmalloc_socket("wg_dp_pmtu", sizeof(*p), RTE_CACHE_LINE_SIZE,
			       dp->socket);
	if (p == NULL)
		return NULL;
	p->frag_tbl = rte_ip_frag_table_create(DP_FRAG_FLOWS, FRAG_BUCKET_ENTRIES,
					       DP_FRAG_FLOWS, cycles, dp->socket);
	if (p->frag_tbl == NULL) {
		rte_free(p);
		return NULL;
	}
	p->icmp_cost = RTE_MAX(dp->tsc_hz / rate, (uint64_t)1);
	p->icmp_cap = p->icmp_cost * burst;
	p->icmp_credit = p->icmp_cap;
	p->icmp_last = rte_rdtsc();
	return p;
}

static void
pmtu_free(struct dp_pmtu *p)
{
	uint32_t n;

	if (p == NULL)
		return;
	if (p->frag_tbl != NULL) {
		/* Entries still held go to the death row (as much as it takes
		 * at a time), then back to the pool. */
		do {
			rte_ip_frag_table_del_expired_entries(p->frag_tbl, &p->dr,
							      UINT64_MAX);
			n = p->dr.cnt;
			rte_ip_frag_free_death_row(&p->dr, 0);
		} while (n != 0);
		rte_ip_frag_table_destroy(p->frag_tbl);
	}
	rte_free(p);
}

int
dp_pmtu_attach(struct wg_dp *dp, const struct wg_dp_conf *c)
{
	uint16_t k;

	for (k = 0; k < dp->n_workers; k++) {
		dp->workers[k]->pmtu = pmtu_create(dp, c->icmp_rate, c->icmp_burst,
						   c->frag_timeout_ms);
		if (dp->workers[k]->pmtu == NULL)
			return -ENOMEM;
	}
	return 0;
}

void
dp_pmtu_detach(struct wg_dp *dp)
{
	uint16_t k;

	for (k = 0; k < dp->n_workers; k++) {
		if (dp->workers[k] == NULL)
			continue;
		pmtu_free(dp->workers[k]->pmtu);
		dp->workers[k]->pmtu = NULL;
	}
}

/* Frees the death row, counting what it held as drops of reason r. */
static void
death_row_free(struct wg_dp_worker *w, enum wg_dp_drop r)
{
	struct dp_pmtu *p = w->pmtu;

	if (p->dr.cnt == 0)
		return;
	w->st.drops[r] += p->dr.cnt;
	rte_ip_frag_free_death_row(&p->dr, 0);
}

/* The datagram's IPv4 header after reassembly: checksum, offloads. */
static void
whole_fix(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip;

	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK |
			 RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_IPV4);
	if (!RTE_ETH_IS_IPV4_HDR(m->packet_type))
		return;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

struct rte_mbuf *
dp_frag_reassemble(struct wg_dp_worker *w, struct rte_mbuf *m)
{
	struct dp_pmtu *p = w->pmtu;
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
	struct rte_mbuf *whole;

	/* rte_ip_frag trims Ethernet padding to the IP length itself. */
	w->st.frags_rx++;
	if (RTE_ETH_IS_IPV4_HDR(m->packet_type))
		whole = rte_ipv4_frag_reassemble_packet(p->frag_tbl, &p->dr, m, w->now,
			(struct rte_ipv4_hdr *)l3);
	else
		whole = rte_ipv6_frag_reassemble_packet(p->frag_tbl, &p->dr, m, w->now,
			(struct rte_ipv6_hdr *)l3,
			(struct rte_ipv6_fragment_ext *)(l3 + sizeof(struct rte_ipv6_hdr)));
	death_row_free(w, WG_DROP_OUTER_FRAGMENT);
	if (whole == NULL)
		return NULL;
	w->st.reassembled++;
	whole_fix(whole);
	return whole;
}

void
dp_frag_expire(struct wg_dp_worker *w)
{
	struct dp_pmtu *p = w->pmtu;

	if (p == NULL)
		return;
	rte_ip_frag_table_del_expired_entries(p->frag_tbl, &p->dr, w->now);
	death_row_free(w, WG_DROP_FRAG_TIMEOUT);
}
