/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cryptokey routing: each peer's allowed IPs, in rte_lpm (IPv4) and rte_lpm6
 * (IPv6) with the peer id as next hop. The same tables route clear-side
 * packets to a peer (destination lookup) and check decrypted packets came
 * from the peer that may send them (source lookup).
 *
 * The control thread is the only writer; workers read lock-free:
 * - rte_lpm has RCU QSBR integration: tbl8 groups freed by a delete are
 *   reused only after a grace period (defer-queue mode).
 * - rte_lpm6 in DPDK 22.11 has none, and its updates rewrite and recycle
 *   tbl8 groups in place, so a reader walking the table during an update
 *   can follow an entry into a group being reused. It is therefore kept in
 *   two identical copies. Workers read the copy dp->lpm6_cur points to. An
 *   update is applied to the other copy (which no worker can be reading: a
 *   grace period has passed since it was last current), the pointer is
 *   swapped (release), a grace period is waited for (after it, no worker is
 *   still inside the old copy), and the same update is applied to the old
 *   copy, which becomes the standby. Both copies see the same operations in
 *   the same order, so they stay identical and the second application
 *   cannot fail where the first succeeded. Cost: memory twice, and one grace
 *   period per IPv6 update (per batch, on peer removal).
 *
 * rte_lpm cannot hold depth 0: a /0 is stored as the two /1 halves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_rcu_qsbr.h>

#include "dp_priv.h"

enum {
	LPM4_TBL8_MAX = 1 << 16,
	LPM6_TBL8_PER_RULE = 8,
	LPM6_TBL8_MAX = 1 << 17
};

struct lpm6_op {
	bool add;
	uint8_t depth;
	uint8_t addr[16];
	uint32_t nh;
	uint32_t prev;			/* next hop before, for undo */
};

int
dp_routes_create(struct wg_dp *dp, uint32_t max4, uint32_t max6)
{
	struct rte_lpm_config c4 = {
		.max_rules = max4,
		.number_tbl8s = RTE_MIN(max4, (uint32_t)LPM4_TBL8_MAX),
	};
	struct rte_lpm6_config c6 = {
		.max_rules = max6,
		.number_tbl8s = RTE_MIN(max6 * LPM6_TBL8_PER_RULE,
					(uint32_t)LPM6_TBL8_MAX),
	};
	struct rte_lpm_rcu_config rcu = {
		.v = dp->qsbr,
		.mode = RTE_LPM_QSBR_MODE_DQ,
	};
	char name[RTE_LPM_NAMESIZE];
	int i;

	snprintf(name, sizeof(name), "%s_lpm4", dp->name);
	dp->lpm4 = rte_lpm_create(name, dp->socket, &c4);
	if (dp->lpm4 == NULL)
		return -rte_errno;
	if (rte_lpm_rcu_qsbr_add(dp->lpm4, &rcu) != 0)
		return -rte_errno;
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s_lpm6_%d", dp->name, i);
		dp->lpm6[i] = rte_lpm6_create(name, dp->socket, &c6);
		if (dp->lpm6[i] == NULL)
			return -rte_errno;
	}
	dp->lpm6_cur = dp->lpm6[0];
	return 0;
}

void
dp_routes_free(struct wg_dp *dp)
{
	rte_lpm_free(dp->lpm4);
	rte_lpm6_free(dp->lpm6[0]);
	rte_lpm6_free(dp->lpm6[1]);
	dp->lpm4 = NULL;
	dp->lpm6[0] = dp->lpm6[1] = dp->lpm6_cur = NULL;
}

void
dp_lookup_run(const struct wg_dp *dp, struct dp_lookup *lk, uint32_t *ids)
{
	uint32_t nh4[WG_DP_BURST];
	int32_t nh6[WG_DP_BURST];
	uint16_t i;

	if (lk->n4 != 0) {
		rte_lpm_lookup_bulk(dp->lpm4, lk->ip4, nh4, lk->n4);
		for (i = 0; i < lk->n4; i++)
			ids[lk->idx4[i]] = (nh4[i] & RTE_LPM_LOOKUP_SUCCESS) ?
				nh4[i] & 0x00ffffff : WG_DP_NO_PEER;
	}
	if (lk->n6 != 0) {
		rte_lpm6_lookup_bulk_func(dp_lpm6(dp), lk->ip6, nh6, lk->n6);
		for (i = 0; i < lk->n6; i++)
			ids[lk->idx6[i]] = nh6[i] >= 0 ? (uint32_t)nh6[i] :
							 WG_DP_NO_PEER;
	}
}

/* ---- IPv6: two copies ---- */

/* Applies ops in order; on failure, undoes the ones applied and fails. */
static int
lpm6_apply(struct rte_lpm6 *l, struct lpm6_op *ops, unsigned int n)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (rte_lpm6_is_rule_present(l, ops[i].addr, ops[i].depth,
					     &ops[i].prev) != 1)
			ops[i].prev = WG_DP_NO_PEER;
		rc = ops[i].add ? rte_lpm6_add(l, ops[i].addr, ops[i].depth, ops[i].nh) :
				  rte_lpm6_delete(l, ops[i].addr, ops[i].depth);
		if (rc == -ENOENT && !ops[i].add)
			rc = 0;
		if (rc != 0)
			break;
	}
	if (rc == 0)
		return 0;
	/* rte_lpm6_add changes nothing when it fails (it simulates first). */
	while (i-- > 0) {
		if (ops[i].prev != WG_DP_NO_PEER)
			rte_lpm6_add(l, ops[i].addr, ops[i].depth, ops[i].prev);
		else
			rte_lpm6_delete(l, ops[i].addr, ops[i].depth);
	}
	return rc;
}

static int
lpm6_update(struct wg_dp *dp, struct lpm6_op *ops, unsigned int n)
{
	struct rte_lpm6 *cur = dp->lpm6_cur;
	struct rte_lpm6 *standby = cur == dp->lpm6[0] ? dp->lpm6[1] : dp->lpm6[0];
	int rc;

	rc = lpm6_apply(standby, ops, n);
	if (rc != 0)
		return rc;	/* standby is as it was: nothing published */
	__atomic_store_n(&dp->lpm6_cur, standby, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
	rc = lpm6_apply(cur, ops, n);
	if (rc != 0)
		DP_LOG(ERR, "%s: lpm6 copies diverged (%d)", dp->name, rc);
	return 0;
}

/* ---- Per-family rule operations, /0 split in two /1 ---- */

static void
mask_addr(uint8_t *a, unsigned int len, uint8_t cidr)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		if (cidr >= 8) {
			cidr -= 8;
			continue;
		}
		a[i] &= (uint8_t)(0xff << (8 - cidr));
		cidr = 0;
	}
}

static uint32_t
addr4_host(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* The LPM rules a route needs: itself, or the two halves of a /0. */
static unsigned int
route_rules(const struct wg_dp_route *r, uint8_t addrs[2][16], uint8_t *depth)
{
	memset(addrs, 0, 2 * 16);
	if (r->cidr != 0) {
		memcpy(addrs[0], r->addr, 16);
		*depth = r->cidr;
		return 1;
	}
	addrs[1][0] = 0x80;
	*depth = 1;
	return 2;
}

/* The peer holding exactly this route, or WG_DP_NO_PEER. */
static uint32_t
route_owner(struct wg_dp *dp, const struct wg_dp_route *r)
{
	uint8_t a[2][16], depth;
	uint32_t nh;

	route_rules(r, a, &depth);
	if (r->family == WG_AF_INET) {
		if (rte_lpm_is_rule_present(dp->lpm4, addr4_host(a[0]), depth, &nh) == 1)
			return nh;
	} else if (rte_lpm6_is_rule_present(dp->lpm6_cur, a[0], depth, &nh) == 1) {
		return nh;
	}
	return WG_DP_NO_PEER;
}

static int
route_lpm4(struct wg_dp *dp, const struct wg_dp_route *r, bool add, uint32_t id)
{
	uint8_t a[2][16], depth;
	unsigned int i, n = route_rules(r, a, &depth);
	int rc = 0;

	for (i = 0; i < n; i++) {
		rc = add ? rte_lpm_add(dp->lpm4, addr4_host(a[i]), depth, id) :
			   rte_lpm_delete(dp->lpm4, addr4_host(a[i]), depth);
		if (rc != 0 && !(rc == -ENOENT && !add))
			break;
		rc = 0;
	}
	if (rc != 0 && add && i == 1)
		rte_lpm_delete(dp->lpm4, addr4_host(a[0]), depth);
	return rc;
}

static unsigned int
route_ops6(const struct wg_dp_route *r, bool add, uint32_t id, struct lpm6_op *ops)
{
	uint8_t a[2][16], depth;
	unsigned int i, n = route_rules(r, a, &depth);

	for (i = 0; i < n; i++) {
		ops[i].add = add;
		ops[i].depth = depth;
		ops[i].nh = id;
		memcpy(ops[i].addr, a[i], 16);
	}
	return n;
}

static int
route_apply(struct wg_dp *dp, const struct wg_dp_route *r, bool add, uint32_t id)
{
	struct lpm6_op ops[2];

	if (r->family == WG_AF_INET)
		return route_lpm4(dp, r, add, id);
	return lpm6_update(dp, ops, route_ops6(r, add, id, ops));
}

/* ---- The per-peer list (what removal must release) ---- */

static bool
route_equal(const struct wg_dp_route *a, const struct wg_dp_route *b)
{
	return a->family == b->family && a->cidr == b->cidr &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

static int
list_add(struct wg_dp_peer_ctl *pc, const struct wg_dp_route *r)
{
	struct wg_dp_route *n;
	uint32_t cap;

	if (pc->n_routes == pc->cap_routes) {
		cap = pc->cap_routes ? 2 * pc->cap_routes : 4;
		n = realloc(pc->routes, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		pc->routes = n;
		pc->cap_routes = cap;
	}
	pc->routes[pc->n_routes++] = *r;
	return 0;
}

static bool
list_del(struct wg_dp_peer_ctl *pc, const struct wg_dp_route *r)
{
	uint32_t i;

	for (i = 0; i < pc->n_routes; i++) {
		if (route_equal(&pc->routes[i], r)) {
			pc->routes[i] = pc->routes[--pc->n_routes];
			return true;
		}
	}
	return false;
}

static int
route_make(struct wg_dp_route *r, uint8_t family, const uint8_t *addr, uint8_t cidr)
{
	unsigned int len;

	if (addr == NULL || (family != WG_AF_INET && family != WG_AF_INET6))
		return -EINVAL;
	len = family == WG_AF_INET ? 4 : 16;
	if (cidr > len * 8)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->cidr = cidr;
	memcpy(r->addr, addr, len);
	mask_addr(r->addr, len, cidr);
	return 0;
}

static bool
peer_live(const struct wg_dp *dp, uint32_t id)
{
	return id < dp->max_peers &&
	       __atomic_load_n(&dp->peers[id].state, __ATOMIC_RELAXED) ==
	       WG_DP_PEER_LIVE;
}

int
wg_dp_allowed_ip_add(struct wg_dp *dp, uint32_t id, uint8_t family,
		     const uint8_t *addr, uint8_t cidr)
{
	struct wg_dp_route r;
	uint32_t owner;
	int rc;

	if (!peer_live(dp, id))
		return -ENOENT;
	rc = route_make(&r, family, addr, cidr);
	if (rc != 0)
		return rc;
	owner = route_owner(dp, &r);
	if (owner == id)
		return 0;
	rc = list_add(&dp->peer_ctl[id], &r);
	if (rc != 0)
		return rc;
	/* An add over an existing rule replaces its next hop in place. */
	rc = route_apply(dp, &r, true, id);
	if (rc != 0) {
		list_del(&dp->peer_ctl[id], &r);
		return rc == -ENOSPC || rc == -ENOMEM ? -ENOSPC : rc;
	}
	if (owner != WG_DP_NO_PEER)
		list_del(&dp->peer_ctl[owner], &r);
	return 0;
}

int
wg_dp_allowed_ip_remove(struct wg_dp *dp, uint32_t id, uint8_t family,
			const uint8_t *addr, uint8_t cidr)
{
	struct wg_dp_route r;
	int rc;

	if (!peer_live(dp, id))
		return -ENOENT;
	rc = route_make(&r, family, addr, cidr);
	if (rc != 0)
		return rc;
	if (!list_del(&dp->peer_ctl[id], &r))
		return -ENOENT;
	return route_apply(dp, &r, false, id);
}

/* Every route of the peer out of both tables; one grace period for IPv6. */
void
dp_routes_peer_release(struct wg_dp *dp, uint32_t id)
{
	struct wg_dp_peer_ctl *pc = &dp->peer_ctl[id];
	struct lpm6_op *ops;
	uint32_t i, n6 = 0;

	ops = malloc((2 * pc->n_routes + 1) * sizeof(*ops));
	for (i = 0; i < pc->n_routes; i++) {
		if (pc->routes[i].family == WG_AF_INET)
			route_lpm4(dp, &pc->routes[i], false, id);
		else if (ops != NULL)
			n6 += route_ops6(&pc->routes[i], false, id, ops + n6);
		else
			route_apply(dp, &pc->routes[i], false, id);
	}
	if (n6 != 0)
		lpm6_update(dp, ops, n6);
	free(ops);
	free(pc->routes);
	pc->routes = NULL;
	pc->n_routes = pc->cap_routes = 0;
}

void
wg_dp_allowed_ips_clear(struct wg_dp *dp, uint32_t id)
{
	if (peer_live(dp, id))
		dp_routes_peer_release(dp, id);
}
