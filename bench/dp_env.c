/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * EAL, gateways on ring ports and their clients: see dp_env.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_lcore.h>

#include <sodium.h>

#include "dp_env.h"
#include "noise.h"
#include "timers.h"

enum {
	GW_DESC = 256,
	GW_ROUTES6 = 64,		/* IPv4 traffic only: keep LPM6 small */
	/* Indices of a generation: after installing generation g, the
	 * keypairs of g (current) and g - 1 (previous) hold theirs, so g + 1
	 * needs a third range. */
	IDX_GENS = 3,
	IDX_GEN_STRIDE = 0x00400000,	/* > MAX_PEERS_PER_DEVICE */
	IDX_GW_BASE = 0x01000000,
	IDX_CLIENT_BASE = 0x41000000
};

static_assert((unsigned int)IDX_GEN_STRIDE >= (unsigned int)MAX_PEERS_PER_DEVICE,
	      "indices never collide");

/* ---- EAL ---------------------------------------------------------------- */

static unsigned int eal_lanes;

int
wg_bench_eal_init(const int *cpus, unsigned int n, unsigned int mem_mb)
{
	char lcores[128], mem[16], prefix[48];
	char *argv[] = {
		"wgedge-bench", lcores, "--no-huge", "--no-shconf", "-m", mem,
		"--no-pci", "--log-level=error", "--no-telemetry", prefix
	};
	size_t used = 0;
	unsigned int k;

	used += snprintf(lcores, sizeof(lcores), "--lcores=");
	for (k = 0; k < n && used < sizeof(lcores); k++)
		used += snprintf(lcores + used, sizeof(lcores) - used, "%s%u@%d",
				 k ? "," : "", k, cpus[k]);
	snprintf(mem, sizeof(mem), "%u", mem_mb);
	/* --in-memory is refused with --no-huge by DPDK 22.11; --no-shconf is
	 * the part of it we need, a file prefix per process the rest. */
	snprintf(prefix, sizeof(prefix), "--file-prefix=wgbench%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0) {
		fprintf(stderr, "wgedge-bench: EAL: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	wg_noise_init();
	eal_lanes = n;
	return 0;
}

void
wg_bench_eal_cleanup(void)
{
	char dir[PATH_MAX];

	if (eal_lanes == 0)
		return;
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	/* EAL makes /var/run/dpdk/<file prefix> even with --no-shconf and
	 * leaves it; with --no-shconf --no-telemetry it is empty by now. */
	rmdir(dir);
	eal_lanes = 0;
}

unsigned int
wg_bench_eal_lanes(void)
{
	return eal_lanes;
}

/* ---- Clients ------------------------------------------------------------ */

int
wg_bench_clients_create(struct wg_bench_clients *cl, uint32_t n)
{
	memset(cl, 0, sizeof(*cl));
	cl->gw_tx = malloc((size_t)n * sizeof(cl->gw_tx[0]));
	cl->gw_rx = malloc((size_t)n * sizeof(cl->gw_rx[0]));
	if (cl->gw_tx == NULL || cl->gw_rx == NULL) {
		wg_bench_clients_free(cl);
		return -1;
	}
	cl->n = n;
	randombytes_buf(cl->gw_tx, (size_t)n * sizeof(cl->gw_tx[0]));
	randombytes_buf(cl->gw_rx, (size_t)n * sizeof(cl->gw_rx[0]));
	return 0;
}

void
wg_bench_clients_free(struct wg_bench_clients *cl)
{
	if (cl->gw_tx != NULL)
		sodium_memzero(cl->gw_tx, (size_t)cl->n * sizeof(cl->gw_tx[0]));
	if (cl->gw_rx != NULL)
		sodium_memzero(cl->gw_rx, (size_t)cl->n * sizeof(cl->gw_rx[0]));
	free(cl->gw_tx);
	free(cl->gw_rx);
	memset(cl, 0, sizeof(*cl));
}

uint32_t
wg_bench_gw_index(uint32_t gen, uint32_t i)
{
	return IDX_GW_BASE + gen % IDX_GENS * IDX_GEN_STRIDE + i;
}

uint32_t
wg_bench_client_index(uint32_t gen, uint32_t i)
{
	return IDX_CLIENT_BASE + gen % IDX_GENS * IDX_GEN_STRIDE + i;
}

/* ---- Gateways ----------------------------------------------------------- */

static struct rte_ring *
ring_new(const char *gw, const char *what, unsigned int k)
{
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	snprintf(name, sizeof(name), "%s_%s%u", gw, what, k);
	r = rte_ring_create(name, WG_BENCH_RING_SIZE, SOCKET_ID_ANY, 0);
	if (r == NULL)
		fprintf(stderr, "wgedge-bench: ring %s: %s\n", name,
			rte_strerror(rte_errno));
	return r;
}

static int
rings_make(struct wg_bench_gw *g, struct rte_ring *outer_rx0)
{
	unsigned int k;

	for (k = 0; k < g->nq; k++) {
		if (k == 0 && outer_rx0 != NULL)
			g->outer_rx[0] = outer_rx0;
		else
			g->outer_rx[k] = ring_new(g->name, "or", k);
		g->clear_rx[k] = ring_new(g->name, "cr", k);
		if (g->outer_rx[k] == NULL || g->clear_rx[k] == NULL)
			return -1;
	}
	g->own_outer_rx0 = outer_rx0 == NULL;
	for (k = 0; k <= g->nq; k++) {
		g->outer_tx[k] = ring_new(g->name, "ot", k);
		g->clear_tx[k] = ring_new(g->name, "ct", k);
		if (g->outer_tx[k] == NULL || g->clear_tx[k] == NULL)
			return -1;
	}
	return 0;
}

static int
port_from_rings(const struct wg_bench_gw *g, const char *what, struct rte_ring **rx,
		struct rte_ring **tx, const struct rte_ether_addr *mac)
{
	char name[32];
	int port;

	snprintf(name, sizeof(name), "%s_%s", g->name, what);
	port = rte_eth_from_rings(name, rx, g->nq, tx, g->nq + 1, SOCKET_ID_ANY);
	if (port < 0) {
		fprintf(stderr, "wgedge-bench: ring port %s: %s\n", name,
			rte_strerror(rte_errno));
		return -1;
	}
	rte_eth_dev_default_mac_addr_set((uint16_t)port, (struct rte_ether_addr *)mac);
	return port;
}

static void
mac_make(struct rte_ether_addr *m, uint8_t host, uint8_t what)
{
	memset(m, 0, sizeof(*m));
	m->addr_bytes[0] = 0x02;
	m->addr_bytes[4] = host;
	m->addr_bytes[5] = what;
}

static void
conf_fill(const struct wg_bench_gw *g, const struct wg_bench_gw_conf *c,
	  struct wg_dp_conf *dc)
{
	struct wg_dp_port_conf *o = &dc->port[WG_DP_PORT_OUTER];
	uint32_t ip = rte_cpu_to_be_32(g->outer_ip);

	memset(dc, 0, sizeof(*dc));
	dc->name = g->name;
	o->port_id = g->outer_port;
	mac_make(&o->nexthop_mac, c->host, 0x11);
	o->has_ipv4 = true;
	memcpy(o->ipv4, &ip, 4);
	dc->port[WG_DP_PORT_CLEAR].port_id = g->clear_port;
	mac_make(&dc->port[WG_DP_PORT_CLEAR].nexthop_mac, c->host, 0x12);
	dc->listen_port = WG_DEFAULT_PORT;
	dc->mtu = WG_BENCH_MTU;
	dc->n_workers = (uint16_t)g->nq;
	dc->max_peers = c->max_peers;
	dc->max_routes4 = RTE_MAX(2 * c->max_peers, (uint32_t)64);
	dc->max_routes6 = GW_ROUTES6;
	dc->nb_rxd = dc->nb_txd = GW_DESC;
	dc->crypto_arch = WG_CRYPTO_AUTO;
	dc->socket_id = SOCKET_ID_ANY;
}

int
wg_bench_gw_create(struct wg_bench_gw *g, const struct wg_bench_gw_conf *c)
{
	struct wg_dp_conf dc;
	int port;

	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", c->name);
	g->nq = c->nq;
	g->outer_ip = WG_BENCH_GW_IP(c->host);
	mac_make(&g->outer_mac, c->host, 1);
	mac_make(&g->clear_mac, c->host, 2);
	if (g->nq == 0 || g->nq > WG_BENCH_GW_MAXQ || rings_make(g, c->outer_rx0) != 0)
		return -1;
	if ((port = port_from_rings(g, "out", g->outer_rx, g->outer_tx,
				    &g->outer_mac)) < 0)
		return -1;
	g->outer_port = (uint16_t)port;
	if ((port = port_from_rings(g, "clr", g->clear_rx, g->clear_tx,
				    &g->clear_mac)) < 0)
		return -1;
	g->clear_port = (uint16_t)port;
	g->ports_made = true;
	conf_fill(g, c, &dc);
	g->dp = wg_dp_create(&dc);
	if (g->dp == NULL) {
		fprintf(stderr, "wgedge-bench: gateway %s: %s\n", g->name,
			rte_strerror(rte_errno));
		return -1;
	}
	wg_dp_port_mac(g->dp, WG_DP_PORT_OUTER, &g->outer_mac);
	wg_dp_port_mac(g->dp, WG_DP_PORT_CLEAR, &g->clear_mac);
	return 0;
}

void
wg_bench_ring_free(struct rte_ring *r)
{
	struct rte_mbuf *m[64];
	unsigned int n;

	if (r == NULL)
		return;
	while ((n = rte_ring_dequeue_burst(r, (void **)m, RTE_DIM(m), NULL)) != 0)
		rte_pktmbuf_free_bulk(m, n);
}

void
wg_bench_gw_drain(struct wg_bench_gw *g)
{
	unsigned int k;

	for (k = 0; k <= g->nq; k++) {
		wg_bench_ring_free(g->outer_tx[k]);
		wg_bench_ring_free(g->clear_tx[k]);
	}
}

static void
rings_free(struct wg_bench_gw *g)
{
	unsigned int k;

	for (k = 0; k < WG_BENCH_GW_MAXQ + 1; k++) {
		struct rte_ring *r[4] = {
			k < WG_BENCH_GW_MAXQ && (k != 0 || g->own_outer_rx0) ?
				g->outer_rx[k] : NULL,
			k < WG_BENCH_GW_MAXQ ? g->clear_rx[k] : NULL,
			g->outer_tx[k], g->clear_tx[k]
		};
		unsigned int j;

		for (j = 0; j < RTE_DIM(r); j++) {
			wg_bench_ring_free(r[j]);
			rte_ring_free(r[j]);
		}
	}
}

void
wg_bench_gw_destroy(struct wg_bench_gw *g)
{
	wg_bench_gw_drain(g);
	/* Frees every peer, keypair and staged packet. */
	wg_dp_destroy(g->dp);
	g->dp = NULL;
	if (g->ports_made) {
		rte_eth_dev_close(g->outer_port);
		rte_eth_dev_close(g->clear_port);
	}
	rings_free(g);
	free(g->next_counter);
	free(g->peer_id);
	memset(g, 0, sizeof(*g));
}

static void
keypair_fill(const struct wg_bench_gw *g, uint32_t i, struct wg_noise_keypair *kp)
{
	memcpy(kp->sending_key, g->clients->gw_tx[i], sizeof(kp->sending_key));
	memcpy(kp->receiving_key, g->clients->gw_rx[i], sizeof(kp->receiving_key));
	kp->local_index = wg_bench_gw_index(g->gen, i);
	kp->remote_index = wg_bench_client_index(g->gen, i);
	kp->i_am_the_initiator = true;
	kp->birthdate_ns = g->keys_ns;
}

int
wg_bench_gw_rekey(struct wg_bench_gw *g)
{
	struct wg_noise_keypair kp;
	uint32_t i;
	int rc = 0;

	g->gen++;
	g->keys_ns = wg_dp_clock_ns();
	for (i = 0; i < g->n_clients && rc == 0; i++) {
		keypair_fill(g, i, &kp);
		rc = wg_dp_peer_keypair_install(g->dp, g->peer_id[i], &kp);
	}
	sodium_memzero(&kp, sizeof(kp));
	memset(g->next_counter, 0, (size_t)g->n_clients * sizeof(g->next_counter[0]));
	wg_dp_reclaim(g->dp);
	if (rc != 0)
		fprintf(stderr, "wgedge-bench: %s: keypair install: %s\n", g->name,
			strerror(-rc));
	return rc != 0 ? -1 : 0;
}

int
wg_bench_gw_keep_fresh(struct wg_bench_gw *g)
{
	if (g->n_clients == 0 ||
	    wg_dp_clock_ns() - g->keys_ns < WG_BENCH_REKEY_AGE_S * WG_NSEC_PER_SEC)
		return 0;
	return wg_bench_gw_rekey(g);
}

/* Client i as a peer: endpoint and tunnel address. */
static int
client_add(struct wg_bench_gw *g, uint32_t i)
{
	struct wg_endpoint ep = { .family = WG_AF_INET, .port = WG_DEFAULT_PORT };
	uint32_t ip = rte_cpu_to_be_32(WG_BENCH_CLIENT_EP(i));
	uint32_t tun = rte_cpu_to_be_32(WG_BENCH_CLIENT_TUNNEL(i));
	int id = wg_dp_peer_add(g->dp), rc;

	if (id < 0)
		return id;
	memcpy(ep.addr.v4, &ip, 4);
	g->peer_id[i] = (uint32_t)id;
	rc = wg_dp_peer_set_endpoint(g->dp, (uint32_t)id, &ep);
	if (rc == 0)
		rc = wg_dp_allowed_ip_add(g->dp, (uint32_t)id, WG_AF_INET,
					  (const uint8_t *)&tun, 32);
	return rc;
}

int
wg_bench_gw_add_clients(struct wg_bench_gw *g, const struct wg_bench_clients *cl,
			uint32_t n)
{
	uint32_t i;
	int rc = 0;

	g->clients = cl;
	g->peer_id = calloc(n, sizeof(*g->peer_id));
	g->next_counter = calloc(n, sizeof(*g->next_counter));
	if (g->peer_id == NULL || g->next_counter == NULL) {
		fprintf(stderr, "wgedge-bench: %s: out of memory\n", g->name);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = client_add(g, i);
	if (rc != 0) {
		fprintf(stderr, "wgedge-bench: %s: adding client %u: %s\n", g->name,
			i - 1, strerror(-rc));
		return -1;
	}
	g->n_clients = n;
	return wg_bench_gw_rekey(g);
}
