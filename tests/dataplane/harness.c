/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dataplane tests' harness: see harness.h.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_mempool.h>

#include <sodium.h>

#include "harness.h"
#include "timers.h"

struct h_gw h_a, h_b;

static struct rte_ring *h_rings[64];
static unsigned int h_n_rings;

static void
eal_start(bool telemetry)
{
	char prefix[64];
	char *argv[] = {
		"wgdp_test", "--lcores=(0-1)@(0-1)", "--no-huge", "--no-shconf",
		"-m", "1024", "--no-pci", "--log-level=error",
		telemetry ? "--telemetry" : "--no-telemetry", prefix,
	};
	int argc = RTE_DIM(argv);

	/* --in-memory is refused with --no-huge by this DPDK (it implies
	 * legacy memory); --no-shconf is the part of it we need. A file
	 * prefix per process keeps the telemetry sockets of parallel tests
	 * apart. */
	snprintf(prefix, sizeof(prefix), "--file-prefix=wgdp%d", (int)getpid());
	cr_assert(rte_eal_init(argc, argv) >= 0, "EAL init");
	cr_assert(sodium_init() >= 0);
	wg_noise_init();
	memset(&h_a, 0, sizeof(h_a));
	memset(&h_b, 0, sizeof(h_b));
	h_n_rings = 0;
}

void
h_setup(void)
{
	eal_start(false);
}

void
h_setup_telemetry(void)
{
	eal_start(true);
}

static struct rte_ring *
ring_new(const char *gw, const char *what, unsigned int k)
{
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	snprintf(name, sizeof(name), "%s_%s%u", gw, what, k);
	r = rte_ring_create(name, H_RING_SIZE, SOCKET_ID_ANY, 0);
	cr_assert_not_null(r, "ring %s", name);
	cr_assert(h_n_rings < RTE_DIM(h_rings));
	h_rings[h_n_rings++] = r;
	return r;
}

static void
mac_make(struct rte_ether_addr *m, uint8_t host, uint8_t what)
{
	static const uint8_t base[RTE_ETHER_ADDR_LEN] = { 0x02, 0, 0, 0, 0, 0 };

	memcpy(m->addr_bytes, base, sizeof(base));
	m->addr_bytes[4] = host;
	m->addr_bytes[5] = what;
}

static void
addrs_make(struct h_gw *g, uint8_t host)
{
	g->ep4.family = WG_AF_INET;
	g->ep4.port = WG_DEFAULT_PORT;
	memcpy(g->ep4.addr.v4, (uint8_t[]){ 10, 0, 0, host }, 4);
	g->ep6.family = WG_AF_INET6;
	g->ep6.port = WG_DEFAULT_PORT;
	g->ep6.addr.v6[0] = 0xfd;
	g->ep6.addr.v6[15] = host;
	memcpy(g->lan4, (uint8_t[]){ 192, 168, host, 0 }, 4);
	memset(g->lan6, 0, sizeof(g->lan6));
	g->lan6[0] = 0xfd;
	g->lan6[1] = 0x02;
	g->lan6[7] = host;
	mac_make(&g->outer_mac, host, 1);
	mac_make(&g->clear_mac, host, 2);
	mac_make(&g->outer_nh, host, 0x11);
	mac_make(&g->clear_nh, host, 0x12);
}

void
h_gw_init(struct h_gw *g, const char *name, uint8_t host, unsigned int nq)
{
	uint8_t priv[NOISE_PUBLIC_KEY_LEN];
	unsigned int k;

	cr_assert(nq >= 1 && nq <= H_MAXQ);
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->host = host;
	g->nq = nq;
	addrs_make(g, host);
	memset(priv, 0x40 + host, sizeof(priv));
	cr_assert(wg_noise_identity_set(&g->id, priv) == 0);
	sodium_memzero(priv, sizeof(priv));
	wg_cookie_checker_init(&g->checker, g->id.static_public);
	for (k = 0; k < nq; k++) {
		g->outer_rx[k] = ring_new(name, "or", k);
		g->clear_rx[k] = ring_new(name, "cr", k);
	}
	for (k = 0; k <= nq; k++) {
		g->outer_tx[k] = ring_new(name, "ot", k);
		g->clear_tx[k] = ring_new(name, "ct", k);
	}
}

void
h_gw_join(struct h_gw *a, struct h_gw *b)
{
	unsigned int k;

	cr_assert_eq(a->nq, b->nq);
	for (k = 0; k < a->nq; k++) {
		a->outer_tx[k] = b->outer_rx[k];
		b->outer_tx[k] = a->outer_rx[k];
	}
	a->outer_tx[a->nq] = b->outer_rx[0];
	b->outer_tx[b->nq] = a->outer_rx[0];
}

void
h_gw_null_outer(struct h_gw *g)
{
	g->null_outer = true;
}

static uint16_t
port_from_rings(const char *gw, const char *what, struct rte_ring **rx,
		unsigned int nrx, struct rte_ring **tx, unsigned int ntx)
{
	char name[32];
	int port;

	snprintf(name, sizeof(name), "%s_%s", gw, what);
	port = rte_eth_from_rings(name, rx, nrx, tx, ntx, SOCKET_ID_ANY);
	cr_assert(port >= 0, "ring port %s", name);
	return (uint16_t)port;
}

static uint16_t
port_null(const char *gw)
{
	char name[32];
	uint16_t port;

	snprintf(name, sizeof(name), "net_null_%s", gw);
	/* No RX: the outer side only sinks what the worker sends. */
	cr_assert(rte_vdev_init(name, "no-rx=1") == 0, "vdev %s", name);
	cr_assert(rte_eth_dev_get_port_by_name(name, &port) == 0);
	return port;
}

static void
conf_fill(const struct h_gw *g, struct wg_dp_conf *c)
{
	struct wg_dp_port_conf *o = &c->port[WG_DP_PORT_OUTER];

	memset(c, 0, sizeof(*c));
	c->name = g->name;
	o->port_id = g->outer_port;
	o->nexthop_mac = g->outer_nh;
	o->has_ipv4 = o->has_ipv6 = true;
	memcpy(o->ipv4, g->ep4.addr.v4, 4);
	memcpy(o->ipv6, g->ep6.addr.v6, 16);
	c->port[WG_DP_PORT_CLEAR].port_id = g->clear_port;
	c->port[WG_DP_PORT_CLEAR].nexthop_mac = g->clear_nh;
	c->port[WG_DP_PORT_CLEAR].has_ipv4 = c->port[WG_DP_PORT_CLEAR].has_ipv6 = true;
	h_lan4(g, 1, c->port[WG_DP_PORT_CLEAR].ipv4);
	h_lan6(g, 1, c->port[WG_DP_PORT_CLEAR].ipv6);
	c->icmp_rate = g->icmp_rate;
	c->icmp_burst = g->icmp_burst;
	c->frag_timeout_ms = g->frag_timeout_ms;
	c->listen_port = WG_DEFAULT_PORT;
	c->mtu = H_MTU;
	c->n_workers = (uint16_t)g->nq;
	c->max_peers = 1024;
	c->max_routes4 = g->max_routes4;
	c->max_routes6 = g->max_routes6;
	c->n_mbufs = H_MBUFS;
	c->nb_rxd = c->nb_txd = 256;
	c->crypto_arch = WG_CRYPTO_AUTO;
	c->socket_id = SOCKET_ID_ANY;
}

void
h_gw_start(struct h_gw *g)
{
	struct wg_dp_conf c;

	if (g->null_outer)
		g->outer_port = port_null(g->name);
	else
		g->outer_port = port_from_rings(g->name, "out", g->outer_rx, g->nq,
						g->outer_tx, g->nq + 1);
	g->clear_port = port_from_rings(g->name, "clr", g->clear_rx, g->nq,
					g->clear_tx, g->nq + 1);
	rte_eth_dev_default_mac_addr_set(g->outer_port, &g->outer_mac);
	rte_eth_dev_default_mac_addr_set(g->clear_port, &g->clear_mac);
	conf_fill(g, &c);
	g->dp = wg_dp_create(&c);
	cr_assert_not_null(g->dp, "wg_dp_create %s: %s", g->name,
			   rte_strerror(rte_errno));
	wg_dp_port_mac(g->dp, WG_DP_PORT_OUTER, &g->outer_mac);
	wg_dp_port_mac(g->dp, WG_DP_PORT_CLEAR, &g->clear_mac);
	wg_dp_set_mac1_key(g->dp, g->checker.message_mac1_key);
	g->in_use_start = rte_mempool_in_use_count(wg_dp_mempool(g->dp));
}

uint32_t
h_peer_for(struct h_gw *g, const struct h_gw *o, bool outer_v6)
{
	int id = wg_dp_peer_add(g->dp);

	cr_assert(id >= 0);
	cr_assert(wg_dp_peer_set_endpoint(g->dp, (uint32_t)id,
					  outer_v6 ? &o->ep6 : &o->ep4) == 0);
	cr_assert(wg_dp_allowed_ip_add(g->dp, (uint32_t)id, WG_AF_INET, o->lan4, 24) == 0);
	cr_assert(wg_dp_allowed_ip_add(g->dp, (uint32_t)id, WG_AF_INET6, o->lan6, 64) == 0);
	return (uint32_t)id;
}

/* The one handshake message g's workers queue, copied out; its source. */
static void
handshake_receive(struct h_gw *g, void *msg, uint16_t len, struct wg_endpoint *src)
{
	struct rte_mbuf *m;
	const uint8_t *p;
	uint16_t plen;

	h_poll(g);
	cr_assert_eq(wg_dp_handshake_dequeue(g->dp, &m, 1), 1,
		     "%s queued the handshake message", g->name);
	cr_assert(wg_dp_handshake_parse(m, src, &p, &plen) == 0);
	cr_assert_eq(plen, len);
	memcpy(msg, p, len);
	rte_pktmbuf_free(m);
}

void
h_handshake(struct h_gw *ini, uint32_t ini_peer, struct h_gw *resp,
	    uint32_t resp_peer, struct h_session *s, uint64_t ini_age_s,
	    uint64_t resp_age_s)
{
	struct wg_handshake hi, hr;
	struct wg_cookie ci, cr;
	struct wg_msg_initiation init;
	struct wg_msg_response rsp;
	struct wg_noise_consume st;
	struct wg_endpoint ep, src;
	uint8_t ts[NOISE_TIMESTAMP_LEN];
	uint32_t ii = randombytes_random(), ri = randombytes_random() ^ 1;
	uint64_t now = wg_dp_clock_ns();

	wg_noise_handshake_init(&hi, &ini->id, resp->id.static_public, NULL);
	wg_noise_handshake_init(&hr, &resp->id, ini->id.static_public, NULL);
	wg_cookie_init(&ci, resp->id.static_public);
	wg_cookie_init(&cr, ini->id.static_public);
	wg_tai64n_now(ts);
	cr_assert(wg_noise_create_initiation(&hi, &ini->id, &init, ii, ts) == 0);
	wg_cookie_add_macs(&ci, (uint8_t *)&init, sizeof(init), now);
	cr_assert(wg_dp_peer_get_endpoint(ini->dp, ini_peer, &ep) == 0);
	cr_assert(wg_dp_control_send(ini->dp, &ep, &init, sizeof(init)) == 0);

	handshake_receive(resp, &init, sizeof(init), &src);
	cr_assert(wg_noise_consume_initiation_begin(&resp->id, &init, &st) == 0);
	cr_assert(memcmp(st.remote_static, ini->id.static_public, 32) == 0);
	cr_assert(wg_noise_consume_initiation_finish(&st, &hr, &init, now) == 0);
	cr_assert(wg_noise_create_response(&hr, &rsp, ri) == 0);
	wg_cookie_add_macs(&cr, (uint8_t *)&rsp, sizeof(rsp), now);
	cr_assert(wg_dp_control_send(resp->dp, &src, &rsp, sizeof(rsp)) == 0);

	handshake_receive(ini, &rsp, sizeof(rsp), &src);
	cr_assert(wg_noise_consume_response(&hi, &ini->id, &rsp) == 0);
	cr_assert(wg_noise_derive_keypair(&hi, &s->ini,
					  now - ini_age_s * WG_NSEC_PER_SEC) == 0);
	cr_assert(wg_noise_derive_keypair(&hr, &s->resp,
					  now - resp_age_s * WG_NSEC_PER_SEC) == 0);
	cr_assert_eq(s->ini.remote_index, s->resp.local_index);
	cr_assert_eq(s->resp.remote_index, s->ini.local_index);
	cr_assert(s->ini.i_am_the_initiator && !s->resp.i_am_the_initiator);
	cr_assert(wg_dp_peer_keypair_install(ini->dp, ini_peer, &s->ini) == 0);
	cr_assert(wg_dp_peer_keypair_install(resp->dp, resp_peer, &s->resp) == 0);
	sodium_memzero(&hi, sizeof(hi));
	sodium_memzero(&hr, sizeof(hr));
}

void
h_poll(struct h_gw *g)
{
	unsigned int k;

	for (k = 0; k < g->nq; k++)
		wg_dp_worker_poll(wg_dp_worker_get(g->dp, k));
}

unsigned int
h_ring_take(struct rte_ring *r, struct rte_mbuf **m, unsigned int max)
{
	return rte_ring_dequeue_burst(r, (void **)m, max, NULL);
}

void
h_ring_put(struct rte_ring *r, struct rte_mbuf **m, unsigned int n)
{
	cr_assert_eq(rte_ring_enqueue_bulk(r, (void **)m, n, NULL), n);
}

void
h_ring_free(struct rte_ring *r)
{
	struct rte_mbuf *m[64];
	unsigned int n;

	while ((n = h_ring_take(r, m, RTE_DIM(m))) != 0)
		rte_pktmbuf_free_bulk(m, n);
}

bool
h_gw_tx_empty(const struct h_gw *g)
{
	unsigned int k;

	for (k = 0; k <= g->nq; k++)
		if ((!g->null_outer && rte_ring_count(g->outer_tx[k]) != 0) ||
		    rte_ring_count(g->clear_tx[k]) != 0)
			return false;
	return true;
}

static uint8_t *
frame_start(struct h_gw *g, struct rte_mbuf **mp, uint16_t len, uint16_t type)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(wg_dp_mempool(g->dp));
	struct rte_ether_hdr *eth;

	cr_assert_not_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, RTE_ETHER_HDR_LEN + len);
	cr_assert_not_null(eth);
	eth->dst_addr = g->clear_mac;
	mac_make(&eth->src_addr, 0x99, 0x99);
	eth->ether_type = rte_cpu_to_be_16(type);
	*mp = m;
	return (uint8_t *)(eth + 1);
}

static void
payload_fill(uint8_t *p, uint16_t n, uint32_t seed)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
	if (n >= 4)
		memcpy(p, &seed, 4);
}

static uint16_t
csum16(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

struct rte_mbuf *
h_inner4(struct h_gw *g, const uint8_t src[4], const uint8_t dst[4], uint16_t len,
	 uint32_t seed)
{
	struct rte_mbuf *m;
	uint8_t *ip = frame_start(g, &m, len, RTE_ETHER_TYPE_IPV4);
	uint16_t c;

	cr_assert(len >= 20);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[1] = (uint8_t)seed;			/* DSCP and ECN ride along */
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[4] = (uint8_t)(seed >> 8);
	ip[8] = 64;
	ip[9] = 253;				/* experimental protocol */
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	c = (uint16_t)~csum16(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	payload_fill(ip + 20, len - 20, seed);
	return m;
}

struct rte_mbuf *
h_inner6(struct h_gw *g, const uint8_t src[16], const uint8_t dst[16], uint16_t len,
	 uint32_t seed)
{
	struct rte_mbuf *m;
	uint8_t *ip = frame_start(g, &m, len, RTE_ETHER_TYPE_IPV6);
	uint16_t plen = len - 40;

	cr_assert(len >= 40);
	ip[0] = (uint8_t)(0x60 | ((seed >> 4) & 0x0f));
	ip[1] = (uint8_t)(seed << 4 | ((seed >> 12) & 0x0f));
	ip[2] = (uint8_t)(seed >> 16);
	ip[3] = (uint8_t)(seed >> 24);
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = 253;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	payload_fill(ip + 40, plen, seed);
	return m;
}

void
h_lan4(const struct h_gw *g, uint8_t host, uint8_t out[4])
{
	memcpy(out, g->lan4, 4);
	out[3] = host;
}

void
h_lan6(const struct h_gw *g, uint8_t host, uint8_t out[16])
{
	memcpy(out, g->lan6, 16);
	out[15] = host;
}

uint16_t
h_copy(const struct rte_mbuf *m, uint8_t *buf, uint16_t cap)
{
	cr_assert_eq(m->nb_segs, 1);
	cr_assert(m->data_len <= cap);
	memcpy(buf, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
	return m->data_len;
}

struct rte_mbuf *
h_frame(struct h_gw *g, const uint8_t *buf, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(wg_dp_mempool(g->dp));
	uint8_t *p;

	cr_assert_not_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	cr_assert_not_null(p);
	memcpy(p, buf, len);
	return m;
}

uint16_t
h_outer_msg_off(const uint8_t *frame)
{
	uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);

	if (type == RTE_ETHER_TYPE_IPV4)
		return (uint16_t)(14 + (frame[14] & 0xf) * 4 + 8);
	return 14 + 40 + 8;
}

void
h_outer_fix(uint8_t *f, uint16_t len)
{
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]), c;
	uint8_t *ip = f + 14, *udp;
	uint32_t sum;
	uint16_t ulen;

	if (type == RTE_ETHER_TYPE_IPV4) {
		udp = ip + (ip[0] & 0xf) * 4;
		udp[6] = udp[7] = 0;
		ip[10] = ip[11] = 0;
		c = (uint16_t)~csum16(ip, (size_t)(ip[0] & 0xf) * 4, 0);
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		return;
	}
	udp = ip + 40;
	ulen = (uint16_t)(udp[4] << 8 | udp[5]);
	cr_assert(udp + ulen <= f + len);
	udp[6] = udp[7] = 0;
	sum = csum16(ip + 8, 32, 0) + 17u + ulen;
	c = (uint16_t)~csum16(udp, ulen, sum);
	if (c == 0)
		c = 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
}

void
h_stats(const struct h_gw *g, struct wg_dp_stats *st)
{
	wg_dp_stats_get(g->dp, st);
}

uint64_t
h_drop(const struct h_gw *g, enum wg_dp_drop r)
{
	struct wg_dp_stats st;

	wg_dp_stats_get(g->dp, &st);
	return st.drops[r];
}

static void
gw_quiesce(struct h_gw *g)
{
	struct rte_mbuf *m[32];
	unsigned int k, n;
	uint32_t id;

	for (k = 0; k < g->nq; k++)
		wg_dp_worker_stop(wg_dp_worker_get(g->dp, k));
	/* Removal frees each peer's staged packets. */
	for (id = 0; id < 1024; id++)
		wg_dp_peer_remove(g->dp, id);
	while ((n = wg_dp_handshake_dequeue(g->dp, m, RTE_DIM(m))) != 0)
		rte_pktmbuf_free_bulk(m, n);
	while ((n = wg_dp_cookie_dequeue(g->dp, m, RTE_DIM(m))) != 0)
		rte_pktmbuf_free_bulk(m, n);
}

static void
gw_destroy(struct h_gw *g)
{
	wg_dp_destroy(g->dp);
	g->dp = NULL;
	rte_eth_dev_close(g->outer_port);
	rte_eth_dev_close(g->clear_port);
}

/*
 * The end of every test body (H_TEST): workers stopped, peers removed (which
 * frees staged packets), every ring drained; then no mbuf of any gateway's
 * pool may be left in use. In the body rather than in .fini because
 * Criterion reports a failed assertion in .fini but counts the test passed.
 */
void
h_check_no_leaks(void)
{
	struct h_gw *gws[] = { &h_a, &h_b };
	unsigned int i, in_use;

	for (i = 0; i < RTE_DIM(gws); i++)
		if (gws[i]->dp != NULL)
			gw_quiesce(gws[i]);
	for (i = 0; i < h_n_rings; i++)
		h_ring_free(h_rings[i]);
	for (i = 0; i < RTE_DIM(gws); i++) {
		if (gws[i]->dp == NULL)
			continue;
		in_use = rte_mempool_in_use_count(wg_dp_mempool(gws[i]->dp));
		cr_assert_eq(in_use, gws[i]->in_use_start,
			     "%s: %u mbufs in use at the end, %u at the start",
			     gws[i]->name, in_use, gws[i]->in_use_start);
	}
}

/*
 * EAL makes /var/run/dpdk/<file prefix> even with --no-shconf (no option
 * avoids it) and rte_eal_cleanup() leaves it, with the telemetry socket
 * whose unlink waits for exit. The prefix is this process's own, so what
 * is in the directory is ours to remove.
 */
static void
runtime_dir_remove(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
		    (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void
h_teardown(void)
{
	struct h_gw *gws[] = { &h_a, &h_b };
	char dir[PATH_MAX];
	unsigned int i;

	for (i = 0; i < RTE_DIM(gws); i++)
		if (gws[i]->dp != NULL)
			gw_quiesce(gws[i]);
	for (i = 0; i < h_n_rings; i++)
		h_ring_free(h_rings[i]);
	for (i = 0; i < RTE_DIM(gws); i++)
		if (gws[i]->dp != NULL)
			gw_destroy(gws[i]);
	for (i = 0; i < h_n_rings; i++)
		rte_ring_free(h_rings[i]);
	h_n_rings = 0;
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	runtime_dir_remove(dir);
}

uint64_t
h_deadline(unsigned int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec + seconds;
}

bool
h_before(uint64_t deadline)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec < deadline;
}
