/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cryptokey routing: each peer's allowed IPs, in rte_fib (IPv4, DIR24_8)
 * and rte_lpm6 (IPv6) with the peer id in the next hop. The same tables
 * route clear-side packets to a peer (destination lookup) and check that
 * decrypted packets came from the peer that may send them (source lookup).
 *
 * Two copies of the tables. The control thread is the only writer and
 * workers read lock-free, but neither rte_fib nor rte_lpm6 has RCU support
 * in DPDK 22.11, and both rewrite and recycle tbl8 groups in place (a
 * group is zeroed when it collapses, then handed to another prefix): a
 * reader walking a table during an update could follow an entry into a
 * group being cleared or reused, and come out with another peer's id. So:
 * - workers read the copy dp->rt_cur points to (the current copy: an
 *   rte_fib, an rte_lpm6 and the owners of the two /0), nothing else;
 * - the control thread changes only the other (standby) copy, which no
 *   worker can be reading (see below), and logs each change it made;
 * - to publish, it swaps the pointer (release) and takes an RCU token;
 *   once that grace period is over no worker is still inside the old copy,
 *   and the log is replayed onto it: it is the standby copy now, and a
 *   worker can reach it again only after the next swap.
 * Both copies see the same operations in the same order, so they stay
 * identical and the replay cannot fail where the first application did
 * not. A change that fails leaves the standby copy as it was (rte_fib and
 * rte_lpm6 check for space before they change anything; see NH4_DEEP for
 * the one way DPDK 22.11's rte_fib would not) and is not logged.
 *
 * Batches (wg_dp_routes_batch_begin/_end): changes pile up in the standby
 * copy and the log; the outermost end publishes them all with one grace
 * period and replays the log. A change outside a batch is a batch of one.
 * Who owns a prefix is read from the standby rules, and each peer's list
 * follows them, so a batch sees its own earlier changes.
 *
 * A peer's removal takes its routes out in the batch like any change;
 * its id is freed only after the batch's grace period (dp_routes_sync()),
 * when no copy a worker can read routes to it any more, so that removing
 * many peers costs one grace period, not one each.
 *
 * /0: neither table holds one. Its owner is a field of the copy, the
 * answer when the table finds nothing: rte_lpm6 cannot hold depth 0 (and
 * the two /1 halves would be mixed up with a peer's own ::/1 or 8000::/1),
 * and DPDK 22.11's rte_fib mishandles it (see fib4_op()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_fib.h>
#include <rte_lpm6.h>
#include <rte_rcu_qsbr.h>
#include <rte_rib.h>

#include "dp_priv.h"

enum {
	FIB4_TBL8_MAX = 1 << 16,
	FIB4_DEEP_DEPTH = 24,		/* longer prefixes take a tbl8 group */
	FIB4_MAX_DEPTH = 32,
	LPM6_TBL8_PER_RULE = 8,
	LPM6_TBL8_MAX = 1 << 17,
	LOG_KEEP = 4096			/* log entries kept between batches */
};

/*
 * rte_fib next hops: peer id << 1 | NH4_DEEP for prefixes longer than /24.
 * DPDK 22.11's DIR24_8 counts the tbl8 groups it has promised to /24s
 * holding longer prefixes, except when such a prefix, the first of its
 * /24, has its parent's next hop (DPDK Bugzilla 1731, fixed upstream in
 * 2026): the count then drifts, later updates can run out of groups
 * halfway (returning success for a next-hop change they did not make), or
 * wrap it and refuse every new /24. With the flag, a long prefix never
 * shares a next hop with a parent of /24 or shorter; a long parent is in
 * the same /24, which is already counted.
 */
#define NH4_DEEP 1u
#define NH4_NONE ((uint64_t)INT32_MAX)	/* DIR24_8_4B's largest: no route */
static_assert(2ull * MAX_PEERS_PER_DEVICE + 1 < (uint64_t)INT32_MAX,
	      "every peer's next hop differs from NH4_NONE");

/* One rule change, as made to the standby copy and replayed on the other. */
struct rt_op {
	uint8_t family;
	uint8_t depth;
	bool add;
	uint32_t nh;			/* IPv4 > /0: encoded; else the peer id */
	union {
		uint32_t v4;		/* host order */
		uint8_t v6[16];
	} a;
};

struct dp_routes {
	struct dp_route_cap *cap;	/* what the standby copy holds and can
					 * take (route_cap.c) */
	unsigned int depth;		/* open batches */
	bool due;			/* published: the standby copy lacks
					 * log[] until the grace period of token */
	uint64_t token;
	struct rt_op *log;		/* changes the other copy lacks */
	uint32_t n_log, cap_log;
};

static struct dp_route_copy *
rt_standby(struct wg_dp *dp)
{
	return dp->rt_cur == &dp->rt_copy[0] ? &dp->rt_copy[1] : &dp->rt_copy[0];
}

/* ---- Create, free, look up ---- */

/* The tbl8 groups of a copy's rte_fib and rte_lpm6. */
static uint32_t
tbl8_groups4(uint32_t max4)
{
	return RTE_MIN(max4, (uint32_t)FIB4_TBL8_MAX);
}

static uint32_t
tbl8_groups6(uint32_t max6)
{
	return (uint32_t)RTE_MIN((uint64_t)max6 * LPM6_TBL8_PER_RULE,
				 (uint64_t)LPM6_TBL8_MAX);
}

static int
copy_create(struct wg_dp *dp, int i, uint32_t max4, uint32_t max6)
{
	struct rte_fib_conf c4 = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = NH4_NONE,
		.max_routes = (int)max4,
		.dir24_8 = {
			.nh_sz = RTE_FIB_DIR24_8_4B,
			.num_tbl8 = tbl8_groups4(max4),
		},
	};
	struct rte_lpm6_config c6 = {
		.max_rules = max6,
		.number_tbl8s = tbl8_groups6(max6),
	};
	struct dp_route_copy *c = &dp->rt_copy[i];
	char name[32];

	c->def4 = c->def6 = WG_DP_NO_PEER;
	snprintf(name, sizeof(name), "%s_fib4_%d", dp->name, i);
	c->fib4 = rte_fib_create(name, dp->socket, &c4);
	if (c->fib4 == NULL)
		return -rte_errno;
	snprintf(name, sizeof(name), "%s_lpm6_%d", dp->name, i);
	c->lpm6 = rte_lpm6_create(name, dp->socket, &c6);
	return c->lpm6 != NULL ? 0 : -rte_errno;
}

int
dp_routes_create(struct wg_dp *dp, uint32_t max4, uint32_t max6)
{
	int rc;

	/* rte_rib takes 2 * max_routes nodes: enough for max4 rules. */
	if (max4 == 0 || max4 > INT32_MAX / 2)
		return -EINVAL;
	dp->rt = calloc(1, sizeof(*dp->rt));
	if (dp->rt == NULL)
		return -ENOMEM;
	dp->rt->cap = dp_route_cap_create(max4, tbl8_groups4(max4), max6,
					  tbl8_groups6(max6));
	if (dp->rt->cap == NULL)
		return -ENOMEM;
	dp->rt_cur = &dp->rt_copy[0];
	rc = copy_create(dp, 0, max4, max6);
	return rc != 0 ? rc : copy_create(dp, 1, max4, max6);
}

void
dp_routes_free(struct wg_dp *dp)
{
	int i;

	for (i = 0; i < 2; i++) {
		rte_fib_free(dp->rt_copy[i].fib4);
		rte_lpm6_free(dp->rt_copy[i].lpm6);
		dp->rt_copy[i].fib4 = NULL;
		dp->rt_copy[i].lpm6 = NULL;
	}
	dp->rt_cur = NULL;
	if (dp->rt != NULL) {
		free(dp->rt->log);
		dp_route_cap_free(dp->rt->cap);
	}
	free(dp->rt);
	dp->rt = NULL;
}

void
dp_lookup_run(const struct wg_dp *dp, struct dp_lookup *lk, uint32_t *ids)
{
	const struct dp_route_copy *c = dp_routes_cur(dp);
	uint64_t nh4[WG_DP_BURST];
	int32_t nh6[WG_DP_BURST];
	uint16_t i;

	if (lk->n4 != 0) {
		rte_fib_lookup_bulk(c->fib4, lk->ip4, nh4, lk->n4);
		for (i = 0; i < lk->n4; i++)
			ids[lk->idx4[i]] = nh4[i] == NH4_NONE ? c->def4 :
						(uint32_t)(nh4[i] >> 1);
	}
	if (lk->n6 != 0) {
		rte_lpm6_lookup_bulk_func(c->lpm6, lk->ip6, nh6, lk->n6);
		for (i = 0; i < lk->n6; i++)
			ids[lk->idx6[i]] = nh6[i] >= 0 ? (uint32_t)nh6[i] : c->def6;
	}
}

/* ---- One rule change on one copy ---- */

/* -ENOENT: a delete of a rule that is not there. */
static int
fib4_op_raw(struct rte_fib *f, uint32_t ip, uint8_t depth, bool add, uint64_t nh)
{
	struct rte_rib_node *node;
	uint64_t got;
	int rc;

	if (!add)
		return rte_fib_delete(f, ip, depth);
	rc = rte_fib_add(f, ip, depth, nh);
	if (rc != 0)
		return rc;
	/* A next-hop change rte_fib could not make still returns 0. */
	node = rte_rib_lookup_exact(rte_fib_get_rib(f), ip, depth);
	if (node == NULL || rte_rib_get_nh(node, &got) != 0 || got != nh)
		return -ENOSPC;
	return 0;
}

/* The prefix of this length that holds 255.255.255.255. */
static uint32_t
top_prefix(uint8_t depth)
{
	return rte_rib_depth_to_mask(depth);
}

/*
 * DPDK 22.11's DIR24_8 (and upstream DPDK as of 2026) writes a prefix's
 * next hop over the whole table when the prefix reaches 255.255.255.255
 * and so does the last of its more specific prefixes, which starts right
 * where the one before it ends (128.0.0.0/1 over 128.0.0.0/2 and
 * 192.0.0.0/2; /0 over both /1): modify_fib() wraps to address 0 there
 * and does not notice. (Another of its wraps leaves most of the table
 * unwritten when a /0 covers nothing but prefixes in 0.0.0.0/24: the /0
 * is kept out of rte_fib.) Only the 32 "top" prefixes /1 to /31 are
 * affected, and only over a longer top prefix, so a change to a top
 * prefix is made with the longer ones out of the way: removed longest
 * first, put back shortest first, each of those steps meeting no longer
 * top prefix. Nobody reads the standby copy meanwhile, and the replay
 * takes the same steps on the other copy.
 */
static int
fib4_op(struct rte_fib *f, const struct rt_op *op)
{
	struct rte_rib *rib = rte_fib_get_rib(f);
	uint64_t nh[FIB4_MAX_DEPTH];
	uint8_t d, moved[FIB4_MAX_DEPTH];
	struct rte_rib_node *node;
	unsigned int n = 0;
	int rc;

	if (op->depth == FIB4_MAX_DEPTH || op->a.v4 != top_prefix(op->depth))
		return fib4_op_raw(f, op->a.v4, op->depth, op->add, op->nh);
	for (d = FIB4_MAX_DEPTH; d > op->depth; d--) {
		node = rte_rib_lookup_exact(rib, top_prefix(d), d);
		if (node == NULL || rte_rib_get_nh(node, &nh[n]) != 0)
			continue;
		moved[n++] = d;
		rte_fib_delete(f, top_prefix(d), d);
	}
	rc = fib4_op_raw(f, op->a.v4, op->depth, op->add, op->nh);
	while (n-- > 0)
		if (fib4_op_raw(f, top_prefix(moved[n]), moved[n], true, nh[n]) != 0)
			rc = -EIO;	/* cannot happen: it was there */
	return rc;
}

/* rte_lpm6_add changes nothing when it fails (it simulates first). */
static int
lpm6_op(struct rte_lpm6 *l, const struct rt_op *op)
{
	return op->add ? rte_lpm6_add(l, op->a.v6, op->depth, op->nh) :
			 rte_lpm6_delete(l, op->a.v6, op->depth);
}

static int
copy_op(struct dp_route_copy *c, const struct rt_op *op)
{
	uint32_t *def;

	if (op->depth == 0) {
		def = op->family == WG_AF_INET ? &c->def4 : &c->def6;
		if (!op->add && *def == WG_DP_NO_PEER)
			return -ENOENT;
		*def = op->add ? op->nh : WG_DP_NO_PEER;
		return 0;
	}
	return op->family == WG_AF_INET ? fib4_op(c->fib4, op) : lpm6_op(c->lpm6, op);
}

/* ---- The log, publication, replay ---- */

static int
log_reserve(struct dp_routes *rt, uint32_t n)
{
	struct rt_op *log;
	uint32_t cap;

	if (rt->n_log + n <= rt->cap_log)
		return 0;
	cap = RTE_MAX(2 * rt->cap_log, (uint32_t)64);
	log = realloc(rt->log, cap * sizeof(*log));
	if (log == NULL)
		return -ENOMEM;
	rt->log = log;
	rt->cap_log = cap;
	return 0;
}

/* Empties the log; a large one shrinks (but never to nothing, see
 * route_delete()). */
static void
log_reset(struct dp_routes *rt)
{
	struct rt_op *log;

	rt->n_log = 0;
	if (rt->cap_log <= LOG_KEEP)
		return;
	log = realloc(rt->log, LOG_KEEP * sizeof(*log));
	if (log != NULL) {
		rt->log = log;
		rt->cap_log = LOG_KEEP;
	}
}

/*
 * Swaps the copies if the standby one has changes; does not wait. While a
 * publication is due, the log holds what was published (every change
 * first makes the standby copy ready).
 */
static void
rt_publish(struct wg_dp *dp)
{
	struct dp_routes *rt = dp->rt;

	if (rt->n_log == 0 || rt->due)
		return;
	__atomic_store_n(&dp->rt_cur, rt_standby(dp), __ATOMIC_RELEASE);
	rt->token = rte_rcu_qsbr_start(dp->qsbr);
	rt->due = true;
}

/*
 * Makes the standby copy writable and up to date: after a publication,
 * waits for its grace period (no worker is left in it) and replays the
 * log onto it.
 */
static void
rt_ready(struct wg_dp *dp)
{
	struct dp_routes *rt = dp->rt;
	struct dp_route_copy *c;
	uint32_t i, failed = 0;
	int rc;

	if (!rt->due)
		return;
	dp->ctl->st.grace_periods++;
	rte_rcu_qsbr_check(dp->qsbr, rt->token, true);
	c = rt_standby(dp);
	for (i = 0; i < rt->n_log; i++) {
		rc = copy_op(c, &rt->log[i]);
		failed += rc != 0;
	}
	if (failed != 0)
		DP_LOG(ERR, "%s: route table copies diverged (%u of %u changes)",
		       dp->name, failed, rt->n_log);
	rt->due = false;
	log_reset(rt);
}

void
wg_dp_routes_batch_begin(struct wg_dp *dp)
{
	dp->rt->depth++;
}

/*
 * Publishes the batch's changes, waits for one grace period (that of the
 * publication, or a plain one if only peers went) and frees the ids of the
 * peers removed since the last time (dp_peers_reap()).
 */
void
dp_routes_sync(struct wg_dp *dp)
{
	rt_publish(dp);
	if (!dp->rt->due && dp->n_reaping != 0)
		dp_synchronize(dp);
	rt_ready(dp);
	dp_peers_reap(dp);
}

void
wg_dp_routes_batch_end(struct wg_dp *dp)
{
	struct dp_routes *rt = dp->rt;

	if (rt->depth == 0 || --rt->depth != 0)
		return;
	dp_routes_sync(dp);
}

/* ---- Routes to rules ---- */

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

/* The rule change a route needs. */
static void
route_op(const struct wg_dp_route *r, bool add, uint32_t id, struct rt_op *op)
{
	memset(op, 0, sizeof(*op));
	op->family = r->family;
	op->add = add;
	op->depth = r->cidr;
	op->nh = id;
	if (r->family == WG_AF_INET6) {
		memcpy(op->a.v6, r->addr, 16);
		return;
	}
	op->a.v4 = addr4_host(r->addr);
	if (r->cidr != 0)
		op->nh = id << 1 | (r->cidr > FIB4_DEEP_DEPTH ? NH4_DEEP : 0);
}

/* The peer holding exactly this route (in the standby rules), or none. */
static uint32_t
route_owner(struct wg_dp *dp, const struct wg_dp_route *r)
{
	struct dp_route_copy *c;
	struct rte_rib_node *node;
	struct rt_op op;
	uint64_t nh;
	uint32_t nh6;

	rt_ready(dp);
	c = rt_standby(dp);
	route_op(r, true, 0, &op);
	if (op.depth == 0)
		return r->family == WG_AF_INET ? c->def4 : c->def6;
	if (r->family == WG_AF_INET) {
		node = rte_rib_lookup_exact(rte_fib_get_rib(c->fib4), op.a.v4,
					    op.depth);
		if (node != NULL && rte_rib_get_nh(node, &nh) == 0)
			return (uint32_t)(nh >> 1);
	} else if (rte_lpm6_is_rule_present(c->lpm6, op.a.v6, op.depth, &nh6) == 1) {
		return nh6;
	}
	return WG_DP_NO_PEER;
}

/*
 * Changes the standby rules for one route and logs the change, or changes
 * nothing and fails. is_new: an add of a prefix no peer holds, a new rule
 * unless it is a /0; route_cap.c refuses one the tables cannot take, so
 * that the tables never fail one halfway. A delete of a rule that is not
 * there is no change.
 */
static int
route_apply(struct wg_dp *dp, const struct wg_dp_route *r, bool add,
	    uint32_t id, bool is_new)
{
	struct dp_routes *rt = dp->rt;
	bool rule = r->cidr != 0;
	struct rt_op op;
	int rc;

	rt_ready(dp);
	route_op(r, add, id, &op);
	if (log_reserve(rt, 1) != 0)
		return -ENOMEM;
	if (rule && add && is_new && dp_route_cap_admit(rt->cap, r) != 0)
		return -ENOSPC;
	rc = copy_op(rt_standby(dp), &op);
	if (rc == -ENOENT && !add)
		return 0;
	if (rc != 0)
		return rc;
	if (rule && add && is_new)
		dp_route_cap_added(rt->cap, r);
	else if (rule && !add)
		dp_route_cap_removed(rt->cap, r);
	rt->log[rt->n_log++] = op;
	return 0;
}

/*
 * A route out of the standby rules. A delete fails only if the log cannot
 * grow: then what is logged is published at once, and the log, empty and
 * as large as when this peer's routes were added, takes it. A route left
 * behind would route to an id that may be reused.
 */
static int
route_delete(struct wg_dp *dp, const struct wg_dp_route *r, uint32_t id)
{
	int rc = route_apply(dp, r, false, id, false);

	if (rc != -ENOMEM)
		return rc;
	rt_publish(dp);
	rt_ready(dp);
	return route_apply(dp, r, false, id, false);
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

/* ---- Allowed IPs ---- */

static int
allowed_ip_add(struct wg_dp *dp, uint32_t id, const struct wg_dp_route *r)
{
	uint32_t owner = route_owner(dp, r);
	int rc;

	if (owner == id)
		return 0;
	rc = list_add(&dp->peer_ctl[id], r);
	if (rc != 0)
		return rc;
	/* An add over an existing rule replaces its next hop in place. */
	rc = route_apply(dp, r, true, id, owner == WG_DP_NO_PEER);
	if (rc != 0) {
		list_del(&dp->peer_ctl[id], r);
		return rc == -ENOSPC || rc == -ENOMEM ? -ENOSPC : rc;
	}
	if (owner != WG_DP_NO_PEER)
		list_del(&dp->peer_ctl[owner], r);
	return 0;
}

int
wg_dp_allowed_ip_add(struct wg_dp *dp, uint32_t id, uint8_t family,
		     const uint8_t *addr, uint8_t cidr)
{
	struct wg_dp_route r;
	int rc;

	if (!peer_live(dp, id))
		return -ENOENT;
	rc = route_make(&r, family, addr, cidr);
	if (rc != 0)
		return rc;
	wg_dp_routes_batch_begin(dp);
	rc = allowed_ip_add(dp, id, &r);
	wg_dp_routes_batch_end(dp);
	return rc;
}

int
wg_dp_allowed_ip_remove(struct wg_dp *dp, uint32_t id, uint8_t family,
			const uint8_t *addr, uint8_t cidr)
{
	struct wg_dp_peer_ctl *pc;
	struct wg_dp_route r;
	int rc;

	if (!peer_live(dp, id))
		return -ENOENT;
	rc = route_make(&r, family, addr, cidr);
	if (rc != 0)
		return rc;
	pc = &dp->peer_ctl[id];
	if (!list_del(pc, &r))
		return -ENOENT;
	wg_dp_routes_batch_begin(dp);
	rc = route_delete(dp, &r, id);
	/* The slot list_del() just freed takes it back. */
	if (rc != 0)
		list_add(pc, &r);
	wg_dp_routes_batch_end(dp);
	return rc;
}

/* Every route of the peer out of the standby rules; inside a batch. */
static void
routes_clear(struct wg_dp *dp, uint32_t id)
{
	struct wg_dp_peer_ctl *pc = &dp->peer_ctl[id];
	uint32_t i;
	int rc;

	for (i = 0; i < pc->n_routes; i++) {
		rc = route_delete(dp, &pc->routes[i], id);
		if (rc != 0)
			DP_LOG(ERR, "%s: peer %u keeps a route (%d)", dp->name, id, rc);
	}
	free(pc->routes);
	pc->routes = NULL;
	pc->n_routes = pc->cap_routes = 0;
}

/* Removal, inside the batch wg_dp_peer_remove() opened (see the top). */
void
dp_routes_peer_release(struct wg_dp *dp, uint32_t id)
{
	routes_clear(dp, id);
}

void
wg_dp_allowed_ips_clear(struct wg_dp *dp, uint32_t id)
{
	if (!peer_live(dp, id))
		return;
	wg_dp_routes_batch_begin(dp);
	routes_clear(dp, id);
	wg_dp_routes_batch_end(dp);
}

/* ---- Capacity (route_cap.c) ---- */

struct wg_dp_route_budget *
wg_dp_route_budget_start(struct wg_dp *dp, bool from_empty)
{
	return dp_route_budget_start(dp->rt->cap, from_empty);
}

int
wg_dp_route_budget_charge(struct wg_dp_route_budget *b, uint8_t family,
			  const uint8_t *addr, uint8_t cidr)
{
	struct wg_dp_route r;
	int rc = route_make(&r, family, addr, cidr);

	return rc != 0 ? rc : dp_route_budget_charge(b, &r);
}
