/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One gateway instance: creation and teardown in dependency order, the
 * clocks, and the accessors. No gateway state lives outside struct wg_dp.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <sodium.h>

#include "consts.h"
#include "dp_priv.h"
#include "pmtu.h"

RTE_LOG_REGISTER(wg_dp_logtype, wgedge.dp, NOTICE);

enum {
	DP_DEFAULT_PEERS = 4096,
	DP_DEFAULT_DESC = 1024,
	DP_DEFAULT_STAGE_RING = 8192,
	DP_POOL_CACHE = 256,
	DP_MIN_MBUFS = 8191
};

uint64_t
wg_dp_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * WG_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* a * b / c without overflowing 64 bits on the way. */
static uint64_t
mul_div(uint64_t a, uint64_t b, uint64_t c)
{
	return (uint64_t)((unsigned __int128)a * b / c);
}

/* Times before the reference instant clamp to 0 (long expired). */
uint64_t
dp_ns_to_tsc(const struct wg_dp *dp, uint64_t ns)
{
	uint64_t d;

	if (ns >= dp->clock_ns0) {
		d = mul_div(ns - dp->clock_ns0, dp->tsc_hz, WG_NSEC_PER_SEC);
		return d > UINT64_MAX - dp->clock_tsc0 ? UINT64_MAX :
		       dp->clock_tsc0 + d;
	}
	d = mul_div(dp->clock_ns0 - ns, dp->tsc_hz, WG_NSEC_PER_SEC);
	return d >= dp->clock_tsc0 ? 0 : dp->clock_tsc0 - d;
}

uint64_t
dp_tsc_to_ns(const struct wg_dp *dp, uint64_t tsc)
{
	if (tsc >= dp->clock_tsc0)
		return dp->clock_ns0 + mul_div(tsc - dp->clock_tsc0,
					       WG_NSEC_PER_SEC, dp->tsc_hz);
	return dp->clock_ns0 - mul_div(dp->clock_tsc0 - tsc, WG_NSEC_PER_SEC,
				       dp->tsc_hz);
}

uint64_t
dp_mac_pack(const struct rte_ether_addr *mac)
{
	uint64_t v = 0;

	memcpy(&v, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	return v;
}

void
dp_mac_unpack(uint64_t v, struct rte_ether_addr *mac)
{
	memcpy(mac->addr_bytes, &v, RTE_ETHER_ADDR_LEN);
}

static int
conf_check(const struct wg_dp_conf *c)
{
	if (c->name == NULL || c->name[0] == '\0' ||
	    strlen(c->name) > WG_DP_NAME_MAX)
		return -EINVAL;
	if (c->n_workers == 0 || c->n_workers > WG_DP_MAX_WORKERS)
		return -EINVAL;
	if (c->max_peers > MAX_PEERS_PER_DEVICE)
		return -EINVAL;
	if (c->mtu != 0 && (c->mtu < 576 || c->mtu > 9000))
		return -EINVAL;
	if (!c->port[WG_DP_PORT_OUTER].has_ipv4 &&
	    !c->port[WG_DP_PORT_OUTER].has_ipv6)
		return -EINVAL;
	return 0;
}

static uint32_t
default_mbufs(const struct wg_dp_conf *c, uint16_t nb_rxd, uint16_t nb_txd,
	      uint32_t stage)
{
	uint32_t per_queue = nb_rxd + nb_txd + 4 * WG_DP_BURST;
	uint32_t n = 2 * per_queue * c->n_workers + nb_txd + stage +
		     MAX_QUEUED_INCOMING_HANDSHAKES +
		     DP_POOL_CACHE * rte_lcore_count() +
		     (uint32_t)DP_FRAG_MBUFS * c->n_workers;

	return RTE_MAX(n, (uint32_t)DP_MIN_MBUFS);
}

static int
create_pool(struct wg_dp *dp, const struct wg_dp_conf *c, uint16_t nb_rxd,
	    uint16_t nb_txd, uint32_t stage)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t n = c->n_mbufs ? c->n_mbufs : default_mbufs(c, nb_rxd, nb_txd, stage);

	snprintf(name, sizeof(name), "%s_pool", dp->name);
	/* Default data room: RTE_PKTMBUF_HEADROOM (128) in front, enough for
	 * the 78 bytes of outer headers encryption prepends (checked in
	 * dp_priv.h), and 2048 bytes behind for a 1514-byte frame + tag. */
	dp->pool = rte_pktmbuf_pool_create(name, n,
		RTE_MIN((uint32_t)DP_POOL_CACHE, n / 2), 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, dp->socket);
	return dp->pool == NULL ? -rte_errno : 0;
}

static int
create_qsbr(struct wg_dp *dp)
{
	size_t sz = rte_rcu_qsbr_get_memsize(dp->n_workers);
	unsigned int k;

	dp->qsbr = rte_zmalloc_socket("wg_dp_qsbr", sz, RTE_CACHE_LINE_SIZE,
				      dp->socket);
	if (dp->qsbr == NULL)
		return -ENOMEM;
	if (rte_rcu_qsbr_init(dp->qsbr, dp->n_workers) != 0)
		return -rte_errno;
	/* Registered but offline: a worker comes online when it runs. */
	for (k = 0; k < dp->n_workers; k++)
		if (rte_rcu_qsbr_thread_register(dp->qsbr, k) != 0)
			return -rte_errno;
	return 0;
}

static struct rte_ring *
make_ring(struct wg_dp *dp, const char *what, unsigned int esize,
	  unsigned int count, unsigned int flags)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "%s_%s", dp->name, what);
	return rte_ring_create_elem(name, esize, count, dp->socket, flags);
}

static int
create_rings(struct wg_dp *dp, uint32_t stage)
{
	/* Handshakes: any worker enqueues, the control thread dequeues. */
	dp->hs_ring = make_ring(dp, "hs", sizeof(void *),
				MAX_QUEUED_INCOMING_HANDSHAKES,
				RING_F_SC_DEQ | RING_F_EXACT_SZ);
	/* A peer id is queued only when its event bits go from 0 to non-zero,
	 * so it is in the ring at most once, plus once per stale entry a
	 * removal left behind: twice the peers never fills. */
	dp->ev_ring = make_ring(dp, "ev", sizeof(uint32_t),
				rte_align32pow2(2 * dp->max_peers),
				RING_F_SC_DEQ | RING_F_EXACT_SZ);
	dp->stage_ring = make_ring(dp, "stage", sizeof(void *), stage,
				   RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (dp->hs_ring == NULL || dp->ev_ring == NULL || dp->stage_ring == NULL)
		return -rte_errno;
	return 0;
}

static void
free_ring_mbufs(struct rte_ring *r)
{
	void *m;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

static void
choose_impls(struct wg_dp *dp)
{
	const struct wg_dp_port *o = &dp->port[WG_DP_PORT_OUTER];

	if (o->tx_ip_csum && o->tx_udp_csum)
		dp->csum4 = dp_outer_csum4_offload;
	else
		dp->csum4 = dp->outer_udp_csum_v4 ? dp_outer_csum4 :
						    dp_outer_csum4_nocsum;
	dp->csum6 = o->tx_udp_csum ? dp_outer_csum6_offload : dp_outer_csum6;
}

static int
create_parts(struct wg_dp *dp, const struct wg_dp_conf *c)
{
	uint16_t nb_rxd = c->nb_rxd ? c->nb_rxd : DP_DEFAULT_DESC;
	uint16_t nb_txd = c->nb_txd ? c->nb_txd : DP_DEFAULT_DESC;
	uint32_t stage = c->stage_ring_size ? c->stage_ring_size :
					       DP_DEFAULT_STAGE_RING;
	uint32_t r4 = c->max_routes4 ? c->max_routes4 : 4 * dp->max_peers;
	uint32_t r6 = c->max_routes6 ? c->max_routes6 : 4 * dp->max_peers;
	int rc;

	if ((rc = create_pool(dp, c, nb_rxd, nb_txd, stage)) != 0 ||
	    (rc = create_qsbr(dp)) != 0 ||
	    (rc = create_rings(dp, stage)) != 0 ||
	    (rc = dp_peers_create(dp)) != 0 ||
	    (rc = dp_index_create(dp)) != 0 ||
	    (rc = dp_hs_queue_create(dp)) != 0 ||
	    (rc = dp_routes_create(dp, r4, r6)) != 0 ||
	    (rc = dp_port_setup(dp, WG_DP_PORT_OUTER, &c->port[WG_DP_PORT_OUTER],
				nb_rxd, nb_txd)) != 0 ||
	    (rc = dp_port_setup(dp, WG_DP_PORT_CLEAR, &c->port[WG_DP_PORT_CLEAR],
				nb_rxd, nb_txd)) != 0 ||
	    (rc = dp_workers_create(dp, c->crypto_arch)) != 0 ||
	    (rc = dp_pmtu_attach(dp, c)) != 0)
		return rc;
	choose_impls(dp);
	return 0;
}

struct wg_dp *
wg_dp_create(const struct wg_dp_conf *c)
{
	struct wg_dp *dp;
	int socket, rc;

	if (c == NULL || conf_check(c) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	socket = c->socket_id;
	if (socket == SOCKET_ID_ANY) {
		socket = rte_eth_dev_socket_id(c->port[WG_DP_PORT_OUTER].port_id);
		if (socket < 0)
			socket = (int)rte_socket_id();
	}
	dp = rte_zmalloc_socket("wg_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE, socket);
	if (dp == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(dp->name, sizeof(dp->name), "%s", c->name);
	dp->socket = socket;
	dp->n_workers = c->n_workers;
	dp->max_peers = c->max_peers ? c->max_peers : DP_DEFAULT_PEERS;
	dp->mtu = c->mtu ? c->mtu : WG_DEFAULT_MTU;
	dp->listen_port_be = rte_cpu_to_be_16(c->listen_port ? c->listen_port :
					      WG_DEFAULT_PORT);
	dp->outer_udp_csum_v4 = c->outer_udp_csum_v4;
	rte_seqlock_init(&dp->mac1_lock);
	dp->tsc_hz = rte_get_tsc_hz();
	dp->clock_ns0 = wg_dp_clock_ns();
	dp->clock_tsc0 = rte_rdtsc();

	rc = create_parts(dp, c);
	if (rc != 0) {
		DP_LOG(ERR, "%s: create failed: %s", c->name, strerror(-rc));
		wg_dp_destroy(dp);
		rte_errno = -rc;
		return NULL;
	}
	dp_registry_add(dp);
	wg_dp_telemetry_register();
	return dp;
}

void
wg_dp_destroy(struct wg_dp *dp)
{
	enum wg_dp_port_role r;

	unsigned int k;

	if (dp == NULL)
		return;
	dp_registry_del(dp);
	for (k = 0; k < dp->n_workers; k++)
		if (dp->workers[k] != NULL)
			wg_dp_worker_stop(dp->workers[k]);
	for (r = 0; r < WG_DP_PORT_MAX; r++)
		dp_port_teardown(dp, r);
	/* Peers first: removal frees their staged packets and keypairs. */
	dp_peers_free(dp);
	dp_pmtu_detach(dp);
	dp_workers_free(dp);
	dp_routes_free(dp);
	dp_hs_queue_free(dp);
	dp_index_free(dp);
	free_ring_mbufs(dp->hs_ring);
	free_ring_mbufs(dp->stage_ring);
	rte_ring_free(dp->hs_ring);
	rte_ring_free(dp->ev_ring);
	rte_ring_free(dp->stage_ring);
	rte_free(dp->qsbr);
	rte_mempool_free(dp->pool);
	sodium_memzero(dp->mac1_key, sizeof(dp->mac1_key));
	rte_free(dp);
}

struct rte_mempool *
wg_dp_mempool(const struct wg_dp *dp)
{
	return dp->pool;
}

uint32_t
wg_dp_max_peers(const struct wg_dp *dp)
{
	return dp->max_peers;
}

void
wg_dp_port_mac(const struct wg_dp *dp, enum wg_dp_port_role role,
	       struct rte_ether_addr *mac)
{
	*mac = dp->port[role].mac;
}

bool
wg_dp_outer_rss(const struct wg_dp *dp)
{
	return dp->port[WG_DP_PORT_OUTER].rss;
}

struct wg_dp_worker *
wg_dp_worker_get(struct wg_dp *dp, unsigned int k)
{
	return k < dp->n_workers ? dp->workers[k] : NULL;
}

void
wg_dp_set_mac1_key(struct wg_dp *dp, const uint8_t key[NOISE_SYMMETRIC_KEY_LEN])
{
	rte_seqlock_write_lock(&dp->mac1_lock);
	if (key != NULL)
		memcpy(dp->mac1_key, key, sizeof(dp->mac1_key));
	else
		memset(dp->mac1_key, 0, sizeof(dp->mac1_key));
	dp->has_mac1_key = key != NULL;
	rte_seqlock_write_unlock(&dp->mac1_lock);
}

void
wg_dp_set_neigh_ops(struct wg_dp *dp, const struct wg_dp_neigh_ops *ops)
{
	if (ops != NULL)
		dp->neigh = *ops;
	else
		memset(&dp->neigh, 0, sizeof(dp->neigh));
}

static void
stats_add(struct wg_dp_stats *sum, const struct wg_dp_stats *s)
{
	const uint64_t *src = (const uint64_t *)s;
	uint64_t *dst = (uint64_t *)sum;
	size_t i;

	static_assert(sizeof(*s) % sizeof(uint64_t) == 0, "all u64 counters");
	for (i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void
wg_dp_stats_get(struct wg_dp *dp, struct wg_dp_stats *st)
{
	unsigned int k;

	memset(st, 0, sizeof(*st));
	for (k = 0; k < dp->n_workers; k++)
		stats_add(st, &dp->workers[k]->st);
	stats_add(st, &dp->ctl->st);
}

void
wg_dp_synchronize(struct wg_dp *dp)
{
	dp_synchronize(dp);
}

int
wg_dp_worker_stats_get(struct wg_dp *dp, unsigned int k, struct wg_dp_stats *st)
{
	if (k > dp->n_workers)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	stats_add(st, k < dp->n_workers ? &dp->workers[k]->st : &dp->ctl->st);
	return 0;
}

uint64_t
wg_dp_drops_total(const struct wg_dp_stats *st)
{
	uint64_t n = 0;
	unsigned int r;

	for (r = 0; r < WG_DROP_MAX; r++)
		n += st->drops[r];
	return n;
}
