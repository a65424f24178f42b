/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The packet generator of the dataplane cases and the checks of what the
 * workers send (see dp_env.h): in the spirit of pktgen, frames are written
 * straight into mbufs from a pattern, a burst at a time, right before the
 * worker polls, so they sit in cache as a NIC's DMA would leave them.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dp_env.h"
#include "transport.h"

enum {
	IP_HDR = 20,
	UDP_HDR = 8,
	ETH_HDR = RTE_ETHER_HDR_LEN,
	INNER_SPORT = 4000,
	INNER_DPORT = 5000,
	FRAME_MAX = WG_BENCH_OUTER_HDR + MESSAGE_MINIMUM_LENGTH + WG_BENCH_MTU
};

/* Payload byte at each offset of an inner packet: the same for every packet. */
static uint8_t pattern[WG_BENCH_MTU];
static bool pattern_made;

static const uint8_t gen_mac[RTE_ETHER_ADDR_LEN] = { 0x02, 0, 0, 0, 0xee, 0x01 };

static void
pattern_make(void)
{
	unsigned int i;

	if (pattern_made)
		return;
	for (i = 0; i < WG_BENCH_MTU; i++)
		pattern[i] = (uint8_t)(i * 7 + (i >> 8) * 13 + 1);
	pattern_made = true;
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The IPv4 header checksum of the 20 bytes at p (field zero). */
static uint16_t
ip_csum(const uint8_t *p)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < IP_HDR; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
ip_hdr(uint8_t *p, uint16_t total, uint32_t src, uint32_t dst)
{
	memset(p, 0, IP_HDR);
	p[0] = 0x45;
	put16(p + 2, total);
	p[8] = 64;
	p[9] = 17;			/* UDP */
	put32(p + 12, src);
	put32(p + 16, dst);
	put16(p + 10, ip_csum(p));
}

static void
udp_hdr(uint8_t *p, uint16_t sport, uint16_t dport, uint16_t len)
{
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, len);
	put16(p + 6, 0);		/* none, as RFC 768 allows over IPv4 */
}

static void
eth_hdr(uint8_t *p, const struct rte_ether_addr *dst)
{
	memcpy(p, dst->addr_bytes, RTE_ETHER_ADDR_LEN);
	memcpy(p + RTE_ETHER_ADDR_LEN, gen_mac, RTE_ETHER_ADDR_LEN);
	put16(p + 2 * RTE_ETHER_ADDR_LEN, RTE_ETHER_TYPE_IPV4);
}

void
wg_bench_inner_build(uint8_t *p, uint16_t len, uint32_t src, uint32_t dst)
{
	pattern_make();
	ip_hdr(p, len, src, dst);
	udp_hdr(p + IP_HDR, INNER_SPORT, INNER_DPORT, (uint16_t)(len - IP_HDR));
	memcpy(p + IP_HDR + UDP_HDR, pattern + IP_HDR + UDP_HDR, len - IP_HDR - UDP_HDR);
}

void
wg_bench_stream_init(struct wg_bench_stream *s, uint32_t span, uint32_t size,
		     unsigned int lane, unsigned int lanes)
{
	s->span = span;
	s->size = size;
	/* Lanes start apart, so that they meet the same client only when
	 * there are fewer clients than lanes. */
	s->next = (uint32_t)((uint64_t)span * lane / (lanes ? lanes : 1));
	s->k = 0;
}

/* The next packet's client and size; advances the stream. */
static inline uint32_t
stream_next(struct wg_bench_stream *s, uint16_t *size)
{
	uint32_t i = s->next;

	*size = (uint16_t)(s->size == WG_BENCH_SIZE_IMIX ?
			   wg_bench_imix[s->k % WG_BENCH_IMIX_LEN] : s->size);
	s->k++;
	s->next = s->next + 1 == s->span ? 0 : s->next + 1;
	return i;
}

int
wg_bench_gen_clear(struct wg_bench_gw *g, struct wg_bench_stream *s,
		   struct rte_mbuf **m, unsigned int n, uint64_t *bytes)
{
	unsigned int j;
	uint16_t size;
	uint32_t i;
	uint8_t *p;

	if (rte_pktmbuf_alloc_bulk(wg_dp_mempool(g->dp), m, n) != 0)
		return -1;
	for (j = 0; j < n; j++) {
		i = stream_next(s, &size);
		p = rte_pktmbuf_mtod(m[j], uint8_t *);
		eth_hdr(p, &g->clear_mac);
		wg_bench_inner_build(p + ETH_HDR, size, WG_BENCH_NET_HOST,
				     WG_BENCH_CLIENT_TUNNEL(i));
		m[j]->data_len = (uint16_t)(ETH_HDR + size);
		m[j]->pkt_len = m[j]->data_len;
		*bytes += size;
	}
	return 0;
}

/* Headers and plaintext of one data message; the op that seals it. */
static void
outer_one(struct wg_bench_gw *g, struct rte_mbuf *m, uint32_t i, uint16_t size,
	  struct wg_crypto_op *op)
{
	uint32_t plen = (uint32_t)wg_transport_padded_len(size, WG_BENCH_MTU);
	uint16_t msg_len = (uint16_t)wg_message_data_len(plen);
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint64_t counter = __atomic_fetch_add(&g->next_counter[i], 1, __ATOMIC_RELAXED);
	struct wg_msg_data *h;

	eth_hdr(p, &g->outer_mac);
	ip_hdr(p + ETH_HDR, (uint16_t)(IP_HDR + UDP_HDR + msg_len),
	       WG_BENCH_CLIENT_EP(i), g->outer_ip);
	udp_hdr(p + ETH_HDR + IP_HDR, WG_DEFAULT_PORT, WG_DEFAULT_PORT,
		(uint16_t)(UDP_HDR + msg_len));
	h = (struct wg_msg_data *)(p + WG_BENCH_OUTER_HDR);
	h->header.type = wg_le32(MESSAGE_DATA);
	h->key_idx = wg_le32(wg_bench_gw_index(g->gen, i));
	h->counter = wg_le64(counter);
	op->data = (uint8_t *)(h + 1);
	wg_bench_inner_build(op->data, size, WG_BENCH_CLIENT_TUNNEL(i),
			     WG_BENCH_NET_HOST);
	memset(op->data + size, 0, plen - size);
	op->len = plen;
	op->tag = op->data + plen;
	op->key = g->clients->gw_rx[i];
	op->counter = counter;
	m->data_len = (uint16_t)(WG_BENCH_OUTER_HDR + msg_len);
	m->pkt_len = m->data_len;
}

int
wg_bench_gen_outer(struct wg_bench_gw *g, struct wg_crypto *c,
		   struct wg_bench_stream *s, struct rte_mbuf **m, unsigned int n,
		   uint64_t *bytes)
{
	struct wg_crypto_op op[WG_BENCH_BURST];
	unsigned int j;
	uint16_t size;
	uint32_t i;

	if (n > WG_BENCH_BURST || rte_pktmbuf_alloc_bulk(wg_dp_mempool(g->dp), m, n) != 0)
		return -1;
	for (j = 0; j < n; j++) {
		i = stream_next(s, &size);
		outer_one(g, m[j], i, size, &op[j]);
		*bytes += size;
	}
	wg_crypto_seal_burst(c, op, (uint16_t)n);
	return 0;
}

struct rte_mbuf *
wg_bench_gen_frame(struct wg_bench_gw *g, const void *frame, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(wg_dp_mempool(g->dp));

	if (m == NULL)
		return NULL;
	memcpy(rte_pktmbuf_mtod(m, void *), frame, len);
	m->data_len = len;
	m->pkt_len = len;
	return m;
}

uint16_t
wg_bench_outer_frame(const struct wg_bench_gw *g, uint8_t *buf, uint32_t src,
		     const void *msg, uint16_t len)
{
	eth_hdr(buf, &g->outer_mac);
	ip_hdr(buf + ETH_HDR, (uint16_t)(IP_HDR + UDP_HDR + len), src, g->outer_ip);
	udp_hdr(buf + ETH_HDR + IP_HDR, WG_DEFAULT_PORT, WG_DEFAULT_PORT,
		(uint16_t)(UDP_HDR + len));
	memcpy(buf + WG_BENCH_OUTER_HDR, msg, len);
	return (uint16_t)(WG_BENCH_OUTER_HDR + len);
}

/* ---- Checks ------------------------------------------------------------- */

static bool
size_ok(uint32_t size, uint32_t len)
{
	unsigned int k;

	if (size != WG_BENCH_SIZE_IMIX)
		return len == size;
	for (k = 0; k < WG_BENCH_IMIX_LEN; k++)
		if (wg_bench_imix[k] == len)
			return true;
	return false;
}

/* The inner packet at p (avail bytes) is the one from src to dst. */
static int
inner_check(const uint8_t *p, uint32_t avail, uint32_t size, uint32_t src,
	    uint32_t dst)
{
	uint8_t want[WG_BENCH_MTU];
	uint32_t len;

	if (avail < WG_BENCH_MIN_INNER)
		return -1;
	len = (uint32_t)p[2] << 8 | p[3];
	if (len > avail || !size_ok(size, len))
		return -1;
	wg_bench_inner_build(want, (uint16_t)len, src, dst);
	return memcmp(p, want, len) == 0 ? 0 : -1;
}

int
wg_bench_check_clear_out(const struct wg_bench_gw *g, const struct rte_mbuf *m,
			 uint32_t size, uint32_t span)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t i;

	(void)g;
	if (m->nb_segs != 1 || m->data_len < ETH_HDR + WG_BENCH_MIN_INNER ||
	    p[12] != 0x08 || p[13] != 0x00)
		return -1;
	i = get32(p + ETH_HDR + 12) - WG_BENCH_CLIENT_TUNNEL(0);
	if (i >= span || m->data_len - ETH_HDR != (int)((uint32_t)p[16] << 8 | p[17]))
		return -1;
	return inner_check(p + ETH_HDR, m->data_len - ETH_HDR, size,
			   WG_BENCH_CLIENT_TUNNEL(i), WG_BENCH_NET_HOST);
}

int
wg_bench_check_clear_in(const struct wg_bench_gw *g, const struct rte_mbuf *m,
			uint32_t size, uint32_t span)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t i;

	if (m->nb_segs != 1 || m->data_len < ETH_HDR + WG_BENCH_MIN_INNER ||
	    memcmp(p, g->clear_mac.addr_bytes, RTE_ETHER_ADDR_LEN) != 0)
		return -1;
	i = get32(p + ETH_HDR + 16) - WG_BENCH_CLIENT_TUNNEL(0);
	if (i >= span)
		return -1;
	return inner_check(p + ETH_HDR, m->data_len - ETH_HDR, size, WG_BENCH_NET_HOST,
			   WG_BENCH_CLIENT_TUNNEL(i));
}

/*
 * An encrypted frame to client i: headers to its endpoint, then the message
 * opened with the reference (lib/transport.c, libsodium) gives the packet.
 */
int
wg_bench_check_outer_out(const struct wg_bench_gw *g, const struct rte_mbuf *m,
			 uint32_t size, uint32_t span)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint8_t msg[FRAME_MAX];
	uint32_t i, len;
	uint64_t counter;
	long plen;

	if (m->nb_segs != 1 ||
	    m->data_len < (unsigned int)WG_BENCH_OUTER_HDR + MESSAGE_MINIMUM_LENGTH ||
	    m->data_len > FRAME_MAX || p[12] != 0x08 || p[13] != 0x00 ||
	    ip_csum(p + ETH_HDR) != 0)
		return -1;
	len = m->data_len - WG_BENCH_OUTER_HDR;
	memcpy(msg, p + WG_BENCH_OUTER_HDR, len);
	i = wg_le32(((const struct wg_msg_data *)msg)->key_idx) -
	    wg_bench_client_index(g->gen, 0);
	if (i >= span || get32(p + ETH_HDR + 16) != WG_BENCH_CLIENT_EP(i))
		return -1;
	plen = wg_transport_open(msg, len, g->clients->gw_tx[i], &counter);
	if (plen < WG_BENCH_MIN_INNER)
		return -1;
	return inner_check(msg + sizeof(struct wg_msg_data), (uint32_t)plen, size,
			   WG_BENCH_NET_HOST, WG_BENCH_CLIENT_TUNNEL(i));
}
