/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the control thread lets its clients in the same thread
 * (orchestration) read and take: the line server to listen on, the
 * dataplane's and the peers' counters, and the address pool. They call
 * nothing else of its internals.
 */
#include <errno.h>
#include <string.h>

#include "control_priv.h"
#include "dp.h"
#include "ippool.h"

struct wg_lsrv *
wg_control_server(struct wg_control *c)
{
	return c->lsrv;
}

void
wg_control_dp_stats(const struct wg_control *c, struct wg_dp_stats *st)
{
	wg_dp_stats_get(c->dp, st);
}

int
wg_control_worker_stats(const struct wg_control *c, unsigned int k,
			struct wg_dp_stats *st)
{
	return wg_dp_worker_stats_get(c->dp, k, st);
}

const struct wg_device_peer *
wg_control_peer_next(const struct wg_control *c, uint32_t *cursor,
		     struct wg_control_peer_traffic *t)
{
	uint32_t max = wg_device_max_peers(c->dev);
	const struct wg_device_peer *p = NULL;
	struct wg_dp_peer_stats st;

	while (p == NULL && *cursor < max)
		p = wg_device_peer_get(c->dev, (*cursor)++);
	if (p == NULL)
		return NULL;
	/* Fresher than the model's copy, which the control loop refreshes a
	 * slice at a time. */
	st.rx_bytes = p->rx_bytes;
	st.tx_bytes = p->tx_bytes;
	st.rx_packets = st.tx_packets = 0;
	if (c->peers[p->id].in_use)
		wg_dp_peer_stats_get(c->dp, c->peers[p->id].dp_id, &st);
	t->rx_bytes = st.rx_bytes;
	t->tx_bytes = st.tx_bytes;
	t->rx_packets = st.rx_packets;
	t->tx_packets = st.tx_packets;
	return p;
}

/* ---- the address pool ---------------------------------------------------- */

static int
family_index(uint8_t family)
{
	return family == WG_AF_INET ? 0 : family == WG_AF_INET6 ? 1 : -1;
}

bool
wg_control_pool_range(const struct wg_control *c, uint8_t family,
		      struct wg_ippool_prefix *out)
{
	int i = family_index(family);

	if (c->pool == NULL || i < 0 || !c->pool_has[i])
		return false;
	*out = c->pool_range[i];
	return true;
}

int
wg_control_pool_alloc(struct wg_control *c, uint8_t family,
		      struct wg_ippool_addr *out)
{
	if (c->pool == NULL)
		return -EAFNOSUPPORT;
	return wg_ippool_alloc(c->pool, family, out);
}

void
wg_control_pool_free(struct wg_control *c, const struct wg_ippool_addr *a)
{
	if (c->pool != NULL)
		wg_ippool_free(c->pool, a);
}

/* The first cidr bits of a and b agree. */
static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned int cidr)
{
	unsigned int full = cidr / 8, rest = cidr % 8;
	uint8_t mask = (uint8_t)(0xff00 >> rest);

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & mask) == 0;
}

bool
wg_control_pool_holds(const struct wg_control *c,
		      const struct wg_uapi_allowed_ip *p)
{
	int i = family_index(p->family);
	unsigned int len = i == 0 ? 4 : 16;
	struct wg_ippool_addr a = { .family = p->family };
	size_t k;

	if (c->pool == NULL || i < 0 || !c->pool_has[i] || p->cidr != len * 8 ||
	    !prefix_match(c->pool_range[i].base.addr.v6, p->addr,
			  c->pool_range[i].cidr))
		return false;
	memcpy(a.addr.v6, p->addr, len);
	for (k = 0; k < c->n_pool_fixed; k++)
		if (c->pool_fixed[k].family == p->family &&
		    memcmp(c->pool_fixed[k].addr.v6, p->addr, len) == 0)
			return false;
	/* Network, broadcast and anycast addresses are never the pool's. */
	return wg_ippool_in_use(c->pool, &a);
}

size_t
wg_control_pool_count(const struct wg_control *c, uint8_t family)
{
	return c->pool != NULL ? wg_ippool_count(c->pool, family) : 0;
}
