/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cryptokey routing tables (dataplane/route.c). Lookups are compared with a
 * deliberately naive reference, the longest prefix match over a plain
 * array, under random add, move, remove, clear and peer-removal sequences
 * in both families, inside and outside batches, /0 to /32 and /128; in
 * both copies of the tables after every batch. Table-driven edges: /0
 * beside /1 halves, the first and last addresses, prefixes that reach
 * 255.255.255.255 (DPDK 22.11's rte_fib overwrites its table for some),
 * a prefix longer than /24 with its parent's peer (its tbl8 count). A
 * batch's changes stay invisible until its end, except that a peer's
 * removal publishes; a full table refuses a change and both copies still
 * agree with the reference; a reader on another lcore never sees a wrong
 * peer while tbl8 groups are recycled under it; 100,000 /32s load fast.
 *
 * Lookups run through dp_lookup_run(), the workers' own function; a copy
 * is checked by pointing the current-copy pointer at it (no worker runs).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "dp_priv.h"
#include "harness.h"

enum {
	REF_MAX = 8192,
	PROBE_MAX = 4 * REF_MAX + 256,
	RAND_PEERS = 6,
	RAND_OPS = 1200,
	RAND_CHECK_EVERY = 16,
	BIG_PEERS = 1024,
	BIG_ROUTES = 100000
};

TestSuite(routes, .init = h_setup, .fini = h_teardown);

/* ---- The reference: a plain array of prefixes and owners ---- */

struct pfx {
	uint8_t family;
	uint8_t cidr;
	uint8_t addr[16];		/* masked */
};

struct ref_route {
	struct pfx p;
	uint32_t owner;
};

struct ref {
	unsigned int n;
	struct ref_route r[REF_MAX];
};

static unsigned int
alen(uint8_t family)
{
	return family == WG_AF_INET ? 4 : 16;
}

static void
pfx_mask(struct pfx *p)
{
	unsigned int i, bits = p->cidr;

	for (i = 0; i < 16; i++, bits = bits >= 8 ? bits - 8 : 0)
		p->addr[i] &= bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
}

static bool
pfx_eq(const struct pfx *a, const struct pfx *b)
{
	return a->family == b->family && a->cidr == b->cidr &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

/* "a.b.c.d/n" or "x::y/n". */
static struct pfx
pfx_parse(const char *s)
{
	char buf[64];
	struct pfx p;
	char *slash;

	memset(&p, 0, sizeof(p));
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	cr_assert_not_null(slash, "%s", s);
	*slash = '\0';
	p.cidr = (uint8_t)atoi(slash + 1);
	p.family = strchr(buf, ':') != NULL ? WG_AF_INET6 : WG_AF_INET;
	cr_assert_eq(inet_pton(p.family == WG_AF_INET ? AF_INET : AF_INET6, buf,
			       p.addr), 1, "%s", s);
	pfx_mask(&p);
	return p;
}

static struct ref_route *
ref_find(struct ref *ref, const struct pfx *p)
{
	unsigned int i;

	for (i = 0; i < ref->n; i++)
		if (pfx_eq(&ref->r[i].p, p))
			return &ref->r[i];
	return NULL;
}

/* AllowedIPs.Insert: the prefix is the peer's, whoever had it. */
static void
ref_add(struct ref *ref, const struct pfx *p, uint32_t owner)
{
	struct ref_route *r = ref_find(ref, p);

	if (r == NULL) {
		cr_assert(ref->n < REF_MAX);
		r = &ref->r[ref->n++];
		r->p = *p;
	}
	r->owner = owner;
}

/* Only the owner removes a prefix; false if it does not hold it. */
static bool
ref_del(struct ref *ref, const struct pfx *p, uint32_t owner)
{
	struct ref_route *r = ref_find(ref, p);

	if (r == NULL || r->owner != owner)
		return false;
	*r = ref->r[--ref->n];
	return true;
}

static void
ref_clear(struct ref *ref, uint32_t owner)
{
	unsigned int i = 0;

	while (i < ref->n) {
		if (ref->r[i].owner == owner)
			ref->r[i] = ref->r[--ref->n];
		else
			i++;
	}
}

static bool
covers(const struct pfx *p, uint8_t family, const uint8_t *a)
{
	unsigned int i, bits = p->cidr;

	if (p->family != family)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (p->addr[i] != a[i])
			return false;
	return bits == 0 || ((p->addr[i] ^ a[i]) & (uint8_t)(0xff00 >> bits)) == 0;
}

/* The longest matching prefix's owner, by looking at every one. */
static uint32_t
ref_lookup(const struct ref *ref, uint8_t family, const uint8_t *a)
{
	uint32_t owner = WG_DP_NO_PEER;
	unsigned int i;
	int best = -1;

	for (i = 0; i < ref->n; i++) {
		if (ref->r[i].p.cidr > best && covers(&ref->r[i].p, family, a)) {
			best = ref->r[i].p.cidr;
			owner = ref->r[i].owner;
		}
	}
	return owner;
}

/* ---- The dataplane's side ---- */

static int
dp_add(struct wg_dp *dp, uint32_t id, const struct pfx *p)
{
	return wg_dp_allowed_ip_add(dp, id, p->family, p->addr, p->cidr);
}

static int
dp_del(struct wg_dp *dp, uint32_t id, const struct pfx *p)
{
	return wg_dp_allowed_ip_remove(dp, id, p->family, p->addr, p->cidr);
}

/* What a budget (wg_dp_route_budget_*) answers for n prefixes. */
static int
budget(struct wg_dp *dp, bool from_empty, const struct pfx *p, unsigned int n)
{
	struct wg_dp_route_budget *b = wg_dp_route_budget_start(dp, from_empty);
	unsigned int i;
	int rc = 0;

	cr_assert_not_null(b);
	for (i = 0; rc == 0 && i < n; i++)
		rc = wg_dp_route_budget_charge(b, p[i].family, p[i].addr, p[i].cidr);
	wg_dp_route_budget_end(b);
	return rc;
}

/*
 * The capacity count agrees with DPDK where a table is full: p, refused,
 * does not fit rte_fib/rte_lpm6 themselves either (the count is not too
 * strict), and a budget refuses it (nor too lenient: the tables' own
 * refusal would otherwise have come first).
 */
static void
refused_by_dpdk_too(struct wg_dp *dp, const struct pfx *p)
{
	struct dp_route_copy *c = &dp->rt_copy[0];
	uint32_t a;

	cr_assert_eq(budget(dp, false, p, 1), -ENOSPC);
	if (p->family == WG_AF_INET6) {
		cr_assert_eq(rte_lpm6_add(c->lpm6, p->addr, p->cidr, 0), -ENOSPC);
		return;
	}
	memcpy(&a, p->addr, 4);
	cr_assert_eq(rte_fib_add(c->fib4, rte_be_to_cpu_32(a), p->cidr, 2),
		     -ENOSPC);
}

struct probe {
	uint8_t family;
	uint8_t addr[16];
};

/* Peer ids for n probes from one copy (0, 1) or the current one (-1). */
static void
dp_lookup_copy(struct wg_dp *dp, int copy, const struct probe *pr,
	       unsigned int n, uint32_t *ids)
{
	struct dp_route_copy *cur = dp->rt_cur;
	struct dp_lookup lk;
	uint32_t out[WG_DP_BURST];
	unsigned int i, k;

	if (copy >= 0)
		dp->rt_cur = &dp->rt_copy[copy];
	for (i = 0; i < n; i += k) {
		memset(&lk, 0, sizeof(lk));
		for (k = 0; k < WG_DP_BURST && i + k < n; k++) {
			if (pr[i + k].family == WG_AF_INET)
				dp_lookup_add4(&lk, (uint16_t)k, pr[i + k].addr);
			else
				dp_lookup_add6(&lk, (uint16_t)k, pr[i + k].addr);
		}
		dp_lookup_run(dp, &lk, out);
		memcpy(&ids[i], out, k * sizeof(out[0]));
	}
	dp->rt_cur = cur;
}

static char *
probe_str(const struct probe *p, char *buf, size_t len)
{
	inet_ntop(p->family == WG_AF_INET ? AF_INET : AF_INET6, p->addr, buf,
		  (socklen_t)len);
	return buf;
}

/* Every probe routes in the copy as the reference says. */
static void
check(struct wg_dp *dp, int copy, const struct ref *ref, const struct probe *pr,
      unsigned int n, const char *what)
{
	static uint32_t ids[PROBE_MAX];
	char buf[64];
	unsigned int i;

	cr_assert(n <= PROBE_MAX);
	dp_lookup_copy(dp, copy, pr, n, ids);
	for (i = 0; i < n; i++)
		cr_assert_eq(ids[i], ref_lookup(ref, pr[i].family, pr[i].addr),
			     "%s: copy %d: %s routes to %u, the reference says %u",
			     what, copy, probe_str(&pr[i], buf, sizeof(buf)), ids[i],
			     ref_lookup(ref, pr[i].family, pr[i].addr));
}

static void
check_both(struct wg_dp *dp, const struct ref *ref, const struct probe *pr,
	   unsigned int n, const char *what)
{
	check(dp, 0, ref, pr, n, what);
	check(dp, 1, ref, pr, n, what);
}

/* ---- Probes: each prefix's edges and their neighbours ---- */

static void
addr_step(uint8_t *a, unsigned int len, int delta)
{
	unsigned int i = len;

	while (i-- > 0) {
		a[i] = (uint8_t)(a[i] + delta);
		if ((delta > 0 && a[i] != 0) || (delta < 0 && a[i] != 0xff))
			return;
	}
}

static void
probe_push(struct probe *pr, unsigned int *n, uint8_t family, const uint8_t *a)
{
	cr_assert(*n < PROBE_MAX);
	pr[*n].family = family;
	memset(pr[*n].addr, 0, 16);
	memcpy(pr[*n].addr, a, alen(family));
	(*n)++;
}

/* First and last address of p, and one either side. */
static void
probes_of(const struct pfx *p, struct probe *pr, unsigned int *n)
{
	unsigned int len = alen(p->family), i, bits;
	uint8_t a[16];

	memcpy(a, p->addr, 16);
	probe_push(pr, n, p->family, a);
	addr_step(a, len, -1);
	probe_push(pr, n, p->family, a);
	memcpy(a, p->addr, 16);
	for (i = 0, bits = p->cidr; i < len; i++, bits = bits >= 8 ? bits - 8 : 0)
		a[i] |= bits >= 8 ? 0 : (uint8_t)(0xff >> bits);
	probe_push(pr, n, p->family, a);
	addr_step(a, len, 1);
	probe_push(pr, n, p->family, a);
}

/* The probes of every step-th prefix. */
static unsigned int
probes_sample(const struct ref *ref, unsigned int step, struct probe *pr)
{
	unsigned int i, n = 0;

	for (i = 0; i < ref->n; i += step)
		probes_of(&ref->r[i].p, pr, &n);
	return n;
}

static unsigned int
probes_from(const struct ref *ref, const struct probe *extra, unsigned int n_extra,
	    struct probe *pr)
{
	unsigned int i, n = 0;

	for (i = 0; i < ref->n; i++)
		probes_of(&ref->r[i].p, pr, &n);
	for (i = 0; i < n_extra; i++)
		pr[n++] = extra[i];
	return n;
}

/* ---- Random prefixes from a small space (many overlaps and moves) ---- */

static uint64_t rng;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* A /1 or /2 now and then: both tables write a large share of their first
 * level for one (rte_lpm6 millions of entries), which is slow under ASan. */
static uint8_t
rand_cidr(const uint8_t *cidrs, size_t n, uint32_t r)
{
	if (r % 32 == 0)
		return (uint8_t)(1 + (r >> 5) % 2);
	return cidrs[(r >> 5) % n];
}

static struct pfx
rand_pfx4(void)
{
	static const uint8_t cidrs[] = { 0, 8, 15, 16, 17, 23, 24, 24, 25, 26, 29,
					 30, 31, 32, 32, 32, 32 };
	struct pfx p = { .family = WG_AF_INET };
	uint32_t r = rnd(), a;

	p.cidr = rand_cidr(cidrs, sizeof(cidrs), r);
	r = rnd();
	switch (r % 8) {
	case 0:
		a = rnd();				/* anywhere */
		break;
	case 1:
		a = 0xffffff00u | (r >> 8 & 0xff);	/* the top edge */
		break;
	case 2:
		a = r >> 8 & 0xff;			/* the bottom edge */
		break;
	default:
		a = 0x0a000000u | (r >> 3 & 0x1) << 16 | (r >> 4 & 0x3) << 8 |
		    (r >> 8 & 0xff);
	}
	a = htonl(a);
	memcpy(p.addr, &a, 4);
	pfx_mask(&p);
	return p;
}

static struct pfx
rand_pfx6(void)
{
	static const uint8_t cidrs[] = { 0, 16, 32, 47, 48, 49, 56, 63, 64, 64, 65,
					 96, 120, 127, 128, 128, 128 };
	struct pfx p = { .family = WG_AF_INET6 };
	uint32_t r = rnd(), i;

	p.cidr = rand_cidr(cidrs, sizeof(cidrs), r);
	r = rnd();
	switch (r % 8) {
	case 0:
		for (i = 0; i < 16; i++)
			p.addr[i] = (uint8_t)rnd();
		break;
	case 1:
		memset(p.addr, 0xff, 16);
		p.addr[15] = (uint8_t)(r >> 8);
		break;
	case 2:
		p.addr[15] = (uint8_t)(r >> 8);
		break;
	default:
		p.addr[0] = 0xfd;
		p.addr[1] = (uint8_t)(r >> 3 & 1);
		p.addr[7] = (uint8_t)(r >> 4 & 3);
		p.addr[8] = (uint8_t)(r >> 6 & 1) << 7;
		p.addr[15] = (uint8_t)(r >> 8);
	}
	pfx_mask(&p);
	return p;
}

static struct pfx
rand_pfx(void)
{
	return rnd() % 2 ? rand_pfx4() : rand_pfx6();
}

/* ---- The random walk ---- */

struct walk {
	struct wg_dp *dp;
	uint32_t ids[RAND_PEERS];
	struct ref now;			/* after every change so far */
	struct ref seen;		/* what workers must see: as published */
	unsigned int depth;		/* open batches */
	struct probe extra[64];
	struct probe pr[PROBE_MAX];
};

static void
ref_copy(struct ref *dst, const struct ref *src)
{
	dst->n = src->n;
	memcpy(dst->r, src->r, src->n * sizeof(src->r[0]));
}

/* The edges of every prefix, published or not, and the extra probes. */
static unsigned int
walk_probes(struct walk *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < w->now.n; i++)
		probes_of(&w->now.r[i].p, w->pr, &n);
	for (i = 0; w->depth != 0 && i < w->seen.n; i++)
		probes_of(&w->seen.r[i].p, w->pr, &n);
	for (i = 0; i < RTE_DIM(w->extra); i++)
		w->pr[n++] = w->extra[i];
	return n;
}

/* Workers see what was published, nothing of an open batch. */
static void
walk_check(struct walk *w, const char *what)
{
	check(w->dp, -1, &w->seen, w->pr, walk_probes(w), what);
}

/* After a batch: both copies as the reference. */
static void
walk_published(struct walk *w)
{
	ref_copy(&w->seen, &w->now);
	check_both(w->dp, &w->now, w->pr, walk_probes(w), "published");
}

static void
walk_add(struct walk *w)
{
	struct pfx p = rand_pfx();
	uint32_t id = w->ids[rnd() % RAND_PEERS];

	cr_assert_eq(dp_add(w->dp, id, &p), 0);
	ref_add(&w->now, &p, id);
}

/* A prefix some peer holds, or a random one; from its owner or not. */
static void
walk_del(struct walk *w)
{
	uint32_t id = w->ids[rnd() % RAND_PEERS];
	struct pfx p;
	bool held;

	if (w->now.n != 0 && rnd() % 4 != 0) {
		p = w->now.r[rnd() % w->now.n].p;
		if (rnd() % 4 != 0)
			id = ref_find(&w->now, &p)->owner;
	} else {
		p = rand_pfx();
	}
	held = ref_del(&w->now, &p, id);
	cr_assert_eq(dp_del(w->dp, id, &p), held ? 0 : -ENOENT);
}

static void
walk_clear(struct walk *w)
{
	uint32_t id = w->ids[rnd() % RAND_PEERS];

	wg_dp_allowed_ips_clear(w->dp, id);
	ref_clear(&w->now, id);
}

/* A removed peer's routes go with its batch (at once outside one). */
static void
walk_peer_replace(struct walk *w)
{
	unsigned int k = rnd() % RAND_PEERS;
	int id;

	cr_assert_eq(wg_dp_peer_remove(w->dp, w->ids[k]), 0);
	ref_clear(&w->now, w->ids[k]);
	if (w->depth == 0)
		ref_copy(&w->seen, &w->now);
	walk_check(w, "after a peer's removal");
	id = wg_dp_peer_add(w->dp);
	cr_assert(id >= 0);
	w->ids[k] = (uint32_t)id;
}

static void
walk_batch(struct walk *w)
{
	if (w->depth != 0 && rnd() % 2 == 0) {
		wg_dp_routes_batch_end(w->dp);
		if (--w->depth == 0)
			walk_published(w);
		return;
	}
	wg_dp_routes_batch_begin(w->dp);
	w->depth++;
}

static void
walk_step(struct walk *w, unsigned int i)
{
	uint32_t r = rnd() % 100;

	if (r < 55)
		walk_add(w);
	else if (r < 85)
		walk_del(w);
	else if (r < 88)
		walk_clear(w);
	else if (r < 90)
		walk_peer_replace(w);
	else
		walk_batch(w);
	if (w->depth == 0)
		ref_copy(&w->seen, &w->now);
	if (i % RAND_CHECK_EVERY == 0)
		walk_check(w, "random walk");
}

static void
walk_run(struct wg_dp *dp, uint64_t seed)
{
	static struct walk w;
	unsigned int i;
	int id;

	memset(&w, 0, sizeof(w));
	w.dp = dp;
	rng = seed;
	for (i = 0; i < RAND_PEERS; i++) {
		id = wg_dp_peer_add(dp);
		cr_assert(id >= 0);
		w.ids[i] = (uint32_t)id;
	}
	for (i = 0; i < RTE_DIM(w.extra); i++) {
		struct pfx p = i % 2 ? rand_pfx4() : rand_pfx6();

		w.extra[i].family = p.family;
		memcpy(w.extra[i].addr, p.addr, 16);
		w.extra[i].addr[alen(p.family) - 1] ^= (uint8_t)rnd();
	}
	for (i = 0; i < RAND_OPS; i++)
		walk_step(&w, i);
	while (w.depth != 0) {
		wg_dp_routes_batch_end(dp);
		w.depth--;
	}
	walk_published(&w);
	/* Every peer removed: nothing routes, in either copy. */
	for (i = 0; i < RAND_PEERS; i++)
		cr_assert_eq(wg_dp_peer_remove(dp, w.ids[i]), 0);
	w.depth = 1;			/* probes of the old prefixes too */
	w.now.n = 0;
	wg_dp_routes_batch_begin(dp);
	wg_dp_routes_batch_end(dp);
	check_both(dp, &w.now, w.pr, walk_probes(&w), "all removed");
}

static void
gw_a(void)
{
	h_gw_init(&h_a, "gwA", 1, 1);
	h_gw_start(&h_a);
}

H_TEST(routes, random_against_reference, .timeout = 60)
{
	static const uint64_t seeds[] = { 0x9e3779b97f4a7c15ull, 12345, 0xdeadbeef,
					  424242 };
	unsigned int s;

	gw_a();
	for (s = 0; s < RTE_DIM(seeds); s++)
		walk_run(h_a.dp, seeds[s]);
}

/* ---- Table-driven edges: /0, /1 halves, the first and last addresses ---- */

enum op_kind { ADD, DEL, CLEAR };

struct step {
	enum op_kind op;
	unsigned int peer;		/* index into the test's peers */
	const char *pfx;
	int rc;
};

static const struct step edge_steps[] = {
	{ ADD, 0, "0.0.0.0/0", 0 },
	{ ADD, 1, "0.0.0.0/1", 0 },
	{ ADD, 2, "128.0.0.0/1", 0 },
	{ ADD, 3, "255.255.255.255/32", 0 },
	{ ADD, 4, "0.0.0.0/32", 0 },
	{ ADD, 0, "::/0", 0 },
	{ ADD, 1, "::/1", 0 },
	{ ADD, 2, "8000::/1", 0 },
	{ ADD, 3, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 0 },
	{ ADD, 4, "::/128", 0 },
	{ DEL, 1, "0.0.0.0/0", -ENOENT },	/* peer 1 holds the /1, not the /0 */
	{ DEL, 1, "::/0", -ENOENT },
	{ DEL, 0, "0.0.0.0/1", -ENOENT },
	{ DEL, 1, "0.0.0.0/1", 0 },		/* the /0 shows through again */
	{ DEL, 2, "8000::/1", 0 },
	{ ADD, 1, "128.0.0.0/1", 0 },		/* a move */
	{ DEL, 2, "128.0.0.0/1", -ENOENT },
	{ ADD, 2, "::/0", 0 },			/* /0 moves too */
	{ DEL, 0, "::/0", -ENOENT },
	{ ADD, 0, "10.1.2.3/24", 0 },		/* host bits are masked */
	{ DEL, 0, "10.1.2.0/24", 0 },
	{ ADD, 3, "10.0.0.0/8", 0 },
	{ ADD, 4, "10.255.255.255/32", 0 },
	{ ADD, 0, "255.255.255.0/24", 0 },
	{ DEL, 0, "0.0.0.0/0", 0 },
	{ ADD, 1, "fd00::/8", 0 },
	{ ADD, 2, "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 0 },
	{ CLEAR, 2, NULL, 0 },			/* ::/0 and the /128 go */
	{ ADD, 0, "0.0.0.0/0", 0 },
};

/* What a few addresses route to at the end (index into the peers). */
static const struct {
	const char *addr;
	int peer;			/* -1: nothing */
} edge_expect[] = {
	{ "0.0.0.0", 4 }, { "0.0.0.1", 0 }, { "127.255.255.255", 0 },
	{ "128.0.0.0", 1 }, { "10.255.255.254", 3 }, { "10.255.255.255", 4 },
	{ "255.255.255.254", 0 }, { "255.255.255.255", 3 },
	{ "::", 4 }, { "::1", 1 }, { "8000::", -1 }, { "fd12::1", 1 },
	{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 3 },
};

/* Each step on the dataplane and the reference; both copies checked. */
static void
steps_run(const struct step *st, unsigned int n, const uint32_t *ids,
	  struct ref *ref, const struct probe *pr, unsigned int n_pr)
{
	unsigned int i;
	struct pfx p;
	int rc;

	for (i = 0; i < n; i++) {
		if (st[i].op == CLEAR) {
			wg_dp_allowed_ips_clear(h_a.dp, ids[st[i].peer]);
			ref_clear(ref, ids[st[i].peer]);
			continue;
		}
		p = pfx_parse(st[i].pfx);
		if (st[i].op == ADD) {
			rc = dp_add(h_a.dp, ids[st[i].peer], &p);
			ref_add(ref, &p, ids[st[i].peer]);
		} else {
			rc = dp_del(h_a.dp, ids[st[i].peer], &p);
			ref_del(ref, &p, ids[st[i].peer]);
		}
		cr_assert_eq(rc, st[i].rc, "step %u (%s)", i, st[i].pfx);
		check_both(h_a.dp, ref, pr, n_pr, st[i].pfx);
	}
}

/* The probes of every prefix the steps name. */
static unsigned int
steps_probes(const struct step *st, unsigned int n, struct probe *pr)
{
	unsigned int i, k = 0;
	struct pfx p;

	for (i = 0; i < n; i++) {
		if (st[i].pfx != NULL) {
			p = pfx_parse(st[i].pfx);
			probes_of(&p, pr, &k);
		}
	}
	return k;
}

H_TEST(routes, edges)
{
	static struct ref ref;
	static struct probe pr[4 * RTE_DIM(edge_steps) + RTE_DIM(edge_expect)];
	uint32_t ids[5], id;
	unsigned int i, n;

	gw_a();
	for (i = 0; i < RTE_DIM(ids); i++)
		ids[i] = (uint32_t)wg_dp_peer_add(h_a.dp);
	n = steps_probes(edge_steps, RTE_DIM(edge_steps), pr);
	for (i = 0; i < RTE_DIM(edge_expect); i++) {
		pr[n].family = strchr(edge_expect[i].addr, ':') ? WG_AF_INET6 : WG_AF_INET;
		memset(pr[n].addr, 0, 16);
		inet_pton(pr[n].family == WG_AF_INET ? AF_INET : AF_INET6,
			  edge_expect[i].addr, pr[n].addr);
		n++;
	}
	steps_run(edge_steps, RTE_DIM(edge_steps), ids, &ref, pr, n);
	for (i = 0; i < RTE_DIM(edge_expect); i++) {
		dp_lookup_copy(h_a.dp, -1, &pr[n - RTE_DIM(edge_expect) + i], 1, &id);
		cr_assert_eq(id, edge_expect[i].peer < 0 ? WG_DP_NO_PEER :
			     ids[edge_expect[i].peer], "%s", edge_expect[i].addr);
	}
}

/*
 * Prefixes that reach 255.255.255.255 over longer ones that do too: DPDK
 * 22.11's rte_fib writes such a prefix over the whole table when the
 * longer ones tile its end (see fib4_op() in route.c).
 */
static const struct step top_steps[] = {
	{ ADD, 0, "10.0.0.0/8", 0 },
	{ ADD, 1, "128.0.0.0/2", 0 },
	{ ADD, 2, "192.0.0.0/2", 0 },
	{ ADD, 3, "128.0.0.0/1", 0 },
	{ ADD, 4, "128.0.0.0/1", 0 },		/* a move */
	{ ADD, 1, "255.255.255.254/32", 0 },
	{ ADD, 2, "255.255.255.255/32", 0 },
	{ ADD, 3, "255.255.255.254/31", 0 },
	{ ADD, 0, "255.255.255.254/31", 0 },
	{ ADD, 3, "255.255.255.0/24", 0 },
	{ ADD, 4, "255.255.254.0/23", 0 },
	{ DEL, 0, "255.255.255.254/31", 0 },
	{ DEL, 4, "128.0.0.0/1", 0 },
	{ ADD, 3, "0.0.0.0/1", 0 },
	{ ADD, 0, "0.0.0.0/0", 0 },
	{ ADD, 1, "0.0.0.0/0", 0 },
	{ ADD, 4, "128.0.0.0/1", 0 },
	{ DEL, 4, "128.0.0.0/1", 0 },
	{ DEL, 1, "0.0.0.0/0", 0 },
};

H_TEST(routes, top_prefixes)
{
	static struct ref ref;
	static struct probe pr[4 * RTE_DIM(top_steps) + 64];
	unsigned int i, n;
	uint32_t ids[5];

	gw_a();
	for (i = 0; i < RTE_DIM(ids); i++)
		ids[i] = (uint32_t)wg_dp_peer_add(h_a.dp);
	n = steps_probes(top_steps, RTE_DIM(top_steps), pr);
	for (i = 0; i < 64; i++) {
		pr[n].family = WG_AF_INET;
		memcpy(pr[n].addr, (uint8_t[]){ (uint8_t)(i * 4), 1, 2, 3 }, 4);
		n++;
	}
	steps_run(top_steps, RTE_DIM(top_steps), ids, &ref, pr, n);
}

/* ---- Batches ---- */

static void
add_both(struct wg_dp *dp, struct ref *ref, uint32_t id, const char *s)
{
	struct pfx p = pfx_parse(s);

	cr_assert_eq(dp_add(dp, id, &p), 0, "%s", s);
	ref_add(ref, &p, id);
}

static void
del_both(struct wg_dp *dp, struct ref *ref, uint32_t id, const char *s, int rc)
{
	struct pfx p = pfx_parse(s);

	cr_assert_eq(dp_del(dp, id, &p), rc, "%s", s);
	ref_del(ref, &p, id);
}

/* 500 /32s and a few moves and removals, the batch's own calls seeing them. */
static void
batch_changes(struct wg_dp *dp, struct ref *now, uint32_t a, uint32_t b)
{
	char s[64];
	unsigned int i;

	for (i = 0; i < 500; i++) {
		snprintf(s, sizeof(s), "10.2.%u.%u/32", i / 250, i % 250);
		add_both(dp, now, i % 2 ? a : b, s);
	}
	add_both(dp, now, a, "0.0.0.0/0");
	add_both(dp, now, b, "::/0");
	add_both(dp, now, b, "10.1.0.0/16");		/* moved from a */
	del_both(dp, now, a, "10.1.0.0/16", -ENOENT);	/* a lost it */
	del_both(dp, now, b, "10.1.0.0/16", 0);
	add_both(dp, now, b, "10.1.0.0/16");
	del_both(dp, now, a, "fd01::/32", 0);
	del_both(dp, now, a, "fd01::/32", -ENOENT);
	add_both(dp, now, b, "fd02::/48");
	add_both(dp, now, a, "fd02::1/128");
}

H_TEST(routes, batch_invisible_until_end)
{
	static struct ref seen, now;
	static struct probe pr[PROBE_MAX];
	uint32_t a, b;
	unsigned int n;

	gw_a();
	a = (uint32_t)wg_dp_peer_add(h_a.dp);
	b = (uint32_t)wg_dp_peer_add(h_a.dp);
	add_both(h_a.dp, &seen, a, "10.1.0.0/16");
	add_both(h_a.dp, &seen, a, "fd01::/32");
	add_both(h_a.dp, &seen, b, "10.2.0.0/24");
	ref_copy(&now, &seen);
	wg_dp_routes_batch_begin(h_a.dp);
	wg_dp_routes_batch_begin(h_a.dp);		/* nested */
	batch_changes(h_a.dp, &now, a, b);
	n = probes_from(&now, NULL, 0, pr);
	n += probes_from(&seen, NULL, 0, pr + n);
	check(h_a.dp, -1, &seen, pr, n, "in the batch");
	wg_dp_routes_batch_end(h_a.dp);
	check(h_a.dp, -1, &seen, pr, n, "after the inner end");
	wg_dp_routes_batch_end(h_a.dp);
	check_both(h_a.dp, &now, pr, n, "after the end");
	/* An end without a begin changes nothing. */
	wg_dp_routes_batch_end(h_a.dp);
	check_both(h_a.dp, &now, pr, n, "after a stray end");
}

/*
 * A peer removed in a batch is unpublished at once (workers drop its
 * packets) but its routes go with the batch: workers route as at the
 * batch's start until its end, and its id is handed out again only after
 * the batch's one grace period, so that it cannot inherit them.
 */
H_TEST(routes, peer_removal_in_batch)
{
	static const char *const probed[] = { "10.1.0.0/16", "10.2.0.0/16",
					      "10.3.0.0/16", "10.4.0.0/16",
					      "fd01::/32" };
	static struct ref seen, now;
	static struct probe pr[64];
	struct wg_dp_stats st0, st1;
	unsigned int i, n;
	uint32_t a, b, c;
	struct pfx p;
	int id;

	gw_a();
	a = (uint32_t)wg_dp_peer_add(h_a.dp);
	b = (uint32_t)wg_dp_peer_add(h_a.dp);
	add_both(h_a.dp, &now, a, "10.1.0.0/16");
	add_both(h_a.dp, &now, a, "fd01::/32");
	add_both(h_a.dp, &now, a, "10.3.0.0/16");
	ref_copy(&seen, &now);
	h_stats(&h_a, &st0);
	wg_dp_routes_batch_begin(h_a.dp);
	add_both(h_a.dp, &now, b, "10.3.0.0/16");	/* moved from a */
	add_both(h_a.dp, &now, b, "10.2.0.0/16");
	cr_assert_eq(wg_dp_peer_remove(h_a.dp, a), 0);
	ref_clear(&now, a);
	/* a's id waits for the batch's grace period: c is another. */
	id = wg_dp_peer_add(h_a.dp);
	cr_assert(id >= 0);
	c = (uint32_t)id;
	cr_assert_neq(c, a);
	add_both(h_a.dp, &now, c, "10.4.0.0/16");
	n = 0;
	for (i = 0; i < RTE_DIM(probed); i++) {
		p = pfx_parse(probed[i]);
		probes_of(&p, pr, &n);
	}
	/* Workers route as at the batch's start (a's packets: peer_removed). */
	check(h_a.dp, -1, &seen, pr, n, "during the batch");
	wg_dp_routes_batch_end(h_a.dp);
	check_both(h_a.dp, &now, pr, n, "after the end");
	h_stats(&h_a, &st1);
	cr_assert_eq(st1.grace_periods - st0.grace_periods, 1);
	cr_assert_eq(wg_dp_peer_add(h_a.dp), (int)a, "a's id is free again");
}

/* ---- Full tables ---- */

/* host i as 10.9.x.y/32, in peer i % 4 */
static struct pfx
host4(uint32_t i)
{
	struct pfx p = { .family = WG_AF_INET, .cidr = 32 };
	uint32_t a = htonl(0x0a090000u + i);

	memcpy(p.addr, &a, 4);
	return p;
}

/*
 * IPv4 holds max_routes4 (4 x 1024 peers) rules: one more is refused in a
 * batch and out of one, and changes nothing; a move still works, so does
 * a /0 (held beside the table), and so does an add once a rule is gone.
 * Both copies agree throughout.
 */
H_TEST(routes, full_table_v4, .timeout = 60)
{
	static struct ref ref;
	static struct probe pr[PROBE_MAX];
	uint32_t ids[4], i, max = 4 * 1024;
	struct pfx p;
	unsigned int n;

	gw_a();
	for (i = 0; i < 4; i++)
		ids[i] = (uint32_t)wg_dp_peer_add(h_a.dp);
	wg_dp_routes_batch_begin(h_a.dp);
	for (i = 0; i < max; i++) {
		p = host4(i);
		cr_assert_eq(dp_add(h_a.dp, ids[i % 4], &p), 0, "rule %u", i);
		ref_add(&ref, &p, ids[i % 4]);
	}
	p = host4(max);
	cr_assert_eq(dp_add(h_a.dp, ids[0], &p), -ENOSPC);
	p = pfx_parse("0.0.0.0/0");
	cr_assert_eq(dp_add(h_a.dp, ids[0], &p), 0, "a /0 takes no rule");
	ref_add(&ref, &p, ids[0]);
	p = host4(7);
	cr_assert_eq(dp_add(h_a.dp, ids[0], &p), 0, "a move needs no new rule");
	ref_add(&ref, &p, ids[0]);
	wg_dp_routes_batch_end(h_a.dp);
	n = probes_sample(&ref, 16, pr);
	probes_of(&p, pr, &n);
	p = host4(max);
	probes_of(&p, pr, &n);
	check_both(h_a.dp, &ref, pr, n, "full, after the batch");
	p = host4(max + 1);
	cr_assert_eq(dp_add(h_a.dp, ids[1], &p), -ENOSPC);
	check_both(h_a.dp, &ref, pr, n, "after a refused add");
	p = host4(3);
	cr_assert_eq(dp_del(h_a.dp, ids[3], &p), 0);
	ref_del(&ref, &p, ids[3]);
	probes_of(&p, pr, &n);
	p = host4(max + 1);
	cr_assert_eq(dp_add(h_a.dp, ids[1], &p), 0);
	ref_add(&ref, &p, ids[1]);
	probes_of(&p, pr, &n);
	check_both(h_a.dp, &ref, pr, n, "after a remove and an add");
}

static struct pfx
rand_host6(void)
{
	struct pfx p = { .family = WG_AF_INET6, .cidr = 128 };
	unsigned int i;

	p.addr[0] = 0xfd;
	for (i = 1; i < 16; i++)
		p.addr[i] = (uint8_t)rnd();
	return p;
}

/*
 * IPv6: random /128s use up rte_lpm6's tbl8 groups long before its rule
 * limit; the refused add changes nothing in either copy.
 */
H_TEST(routes, full_table_v6, .timeout = 60)
{
	static struct ref ref;
	static struct probe pr[PROBE_MAX];
	uint32_t ids[4], i;
	unsigned int n;
	struct pfx p, fail;
	int rc = 0;

	gw_a();
	rng = 77;
	for (i = 0; i < 4; i++)
		ids[i] = (uint32_t)wg_dp_peer_add(h_a.dp);
	wg_dp_routes_batch_begin(h_a.dp);
	for (i = 0; rc == 0; i++) {
		cr_assert(i < 4096, "the table never filled");
		p = rand_host6();
		rc = dp_add(h_a.dp, ids[i % 4], &p);
		if (rc == 0)
			ref_add(&ref, &p, ids[i % 4]);
	}
	cr_assert_eq(rc, -ENOSPC);
	fail = p;
	p = ref.r[5].p;
	cr_assert_eq(dp_add(h_a.dp, ids[0], &p), 0, "a move needs no new group");
	ref_add(&ref, &p, ids[0]);
	wg_dp_routes_batch_end(h_a.dp);
	n = probes_sample(&ref, 8, pr);
	probes_of(&p, pr, &n);
	probes_of(&fail, pr, &n);
	check_both(h_a.dp, &ref, pr, n, "full");
	cr_assert_eq(dp_add(h_a.dp, ids[1], &fail), -ENOSPC);
	refused_by_dpdk_too(h_a.dp, &fail);
	check_both(h_a.dp, &ref, pr, n, "after a refused add");
	cr_log_info("IPv6: %u random /128s filled the table", ref.n);
}

/*
 * fd00:00<a>:00<b><random>/n: the groups of /24 to /48 shared by many
 * (a, b < 16), those further down mostly a rule's own. n is 120..128, or
 * any of 25..128 one time in 8: more groups a rule than the 8 the table is
 * sized with, so the groups run out before the rules.
 */
static struct pfx
clustered6(void)
{
	struct pfx p = { .family = WG_AF_INET6 };
	unsigned int i;

	p.cidr = (uint8_t)(rnd() % 8 == 0 ? 25 + rnd() % 104 : 120 + rnd() % 9);
	p.addr[0] = 0xfd;
	p.addr[3] = (uint8_t)(rnd() % 16);
	p.addr[5] = (uint8_t)(rnd() % 16);
	for (i = 6; i < 16; i++)
		p.addr[i] = (uint8_t)rnd();
	for (i = p.cidr; i < 128; i++)
		p.addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return p;
}

/*
 * rte_lpm6's tbl8 groups, counted (route_cap.c) through adds and removals:
 * fill with prefixes of every length over shared groups until refused,
 * remove half, fill again. Each time the table is full, rte_lpm6 itself
 * has no room for the refused prefix, and every route admitted routes.
 */
H_TEST(routes, group_count_exact_v6, .timeout = 60)
{
	static struct ref ref;
	static struct probe pr[PROBE_MAX];
	uint32_t id, round, i;
	unsigned int n;
	struct pfx p;
	int rc;

	gw_a();
	rng = 4242;
	id = (uint32_t)wg_dp_peer_add(h_a.dp);
	for (round = 0; round < 3; round++) {
		wg_dp_routes_batch_begin(h_a.dp);
		for (rc = 0, i = 0; rc == 0; i++) {
			cr_assert(i < 100000, "the table never filled");
			p = clustered6();
			rc = dp_add(h_a.dp, id, &p);
			if (rc == 0)
				ref_add(&ref, &p, id);
		}
		wg_dp_routes_batch_end(h_a.dp);
		cr_assert_eq(rc, -ENOSPC);
		refused_by_dpdk_too(h_a.dp, &p);
		n = probes_sample(&ref, 4, pr);
		check_both(h_a.dp, &ref, pr, n, "full");
		cr_assert_lt(ref.n, 4096, "full before the rule limit");
		cr_log_info("round %u: full at %u rules", round, ref.n);
		for (i = 0; i < ref.n; i++) {
			p = ref.r[i].p;
			if (rnd() % 2 == 0 && ref_del(&ref, &p, id)) {
				cr_assert_eq(dp_del(h_a.dp, id, &p), 0);
				i--;
			}
		}
	}
}

/*
 * DPDK 22.11's rte_fib skips its tbl8 count for a prefix longer than /24,
 * the first in its /24, with its parent's next hop, and counts it down on
 * removal: the count wraps and every later /24 is refused. Peers do this
 * (a /16 and a /32 inside it).
 */
H_TEST(routes, long_prefix_with_parents_peer)
{
	static struct ref ref;
	static struct probe pr[64];
	uint32_t a, b, i;
	unsigned int n = 0;
	char s[32];

	gw_a();
	a = (uint32_t)wg_dp_peer_add(h_a.dp);
	b = (uint32_t)wg_dp_peer_add(h_a.dp);
	add_both(h_a.dp, &ref, a, "10.50.0.0/16");
	for (i = 0; i < 3; i++) {
		add_both(h_a.dp, &ref, a, "10.50.1.7/32");
		del_both(h_a.dp, &ref, a, "10.50.1.7/32", 0);
	}
	for (i = 0; i < 8; i++) {
		snprintf(s, sizeof(s), "10.60.%u.1/32", i);
		add_both(h_a.dp, &ref, b, s);
	}
	add_both(h_a.dp, &ref, a, "10.50.1.7/32");
	add_both(h_a.dp, &ref, b, "10.50.1.7/32");	/* needs its tbl8 group */
	n = probes_from(&ref, NULL, 0, pr);
	check_both(h_a.dp, &ref, pr, n, "after");
}

/* ---- A gateway with room for 100,000 and more IPv4 rules ---- */

static uint16_t big_port[2];

static struct wg_dp *
big_gw_start(uint32_t max_routes4)
{
	static const char *const names[2] = { "net_null_rto", "net_null_rtc" };
	struct wg_dp_conf c;
	struct wg_dp *dp;
	int i;

	for (i = 0; i < 2; i++) {
		cr_assert(rte_vdev_init(names[i], "no-rx=1") == 0);
		cr_assert(rte_eth_dev_get_port_by_name(names[i], &big_port[i]) == 0);
	}
	memset(&c, 0, sizeof(c));
	c.name = "routes_big1";			/* WG_DP_NAME_MAX long */
	c.port[WG_DP_PORT_OUTER].port_id = big_port[0];
	c.port[WG_DP_PORT_OUTER].has_ipv4 = true;
	memcpy(c.port[WG_DP_PORT_OUTER].ipv4, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	c.port[WG_DP_PORT_CLEAR].port_id = big_port[1];
	c.n_workers = 1;
	c.max_peers = BIG_PEERS;
	c.max_routes4 = max_routes4;
	c.max_routes6 = 1024;
	c.n_mbufs = 2047;
	c.nb_rxd = c.nb_txd = 256;
	c.crypto_arch = WG_CRYPTO_AUTO;
	c.socket_id = SOCKET_ID_ANY;
	dp = wg_dp_create(&c);
	cr_assert_not_null(dp, "wg_dp_create: %s", rte_strerror(rte_errno));
	return dp;
}

static void
big_gw_stop(struct wg_dp *dp)
{
	wg_dp_destroy(dp);
	rte_eth_dev_close(big_port[0]);
	rte_eth_dev_close(big_port[1]);
}

/* 10.i>>8.i&255.1/32: each in a /24 of its own, each taking a tbl8 group. */
static struct pfx
spread4(uint32_t i)
{
	struct pfx p = { .family = WG_AF_INET, .cidr = 32 };
	uint32_t a = htonl(0x0a000001u + (i << 8));

	memcpy(p.addr, &a, 4);
	return p;
}

/*
 * rte_fib's tbl8 groups (65,536) run out before its rules (70,000): the
 * next /32 in a new /24 is refused, a /32 in a /24 that has its group and
 * a /24 are not, and both copies agree with the reference.
 */
Test(routes, full_tbl8_v4, .timeout = 60)
{
	static struct ref ref;
	static struct probe pr[PROBE_MAX];
	struct wg_dp *dp = big_gw_start(70000);
	uint32_t ids[4], i;
	unsigned int n = 0;
	struct pfx p;

	for (i = 0; i < 4; i++)
		ids[i] = (uint32_t)wg_dp_peer_add(dp);
	wg_dp_routes_batch_begin(dp);
	for (i = 0; i < 65536; i++) {
		p = spread4(i);
		cr_assert_eq(dp_add(dp, ids[i % 4], &p), 0, "rule %u", i);
		if (i % 64 == 0)
			ref_add(&ref, &p, ids[i % 4]);
	}
	p = spread4(65536);
	cr_assert_eq(dp_add(dp, ids[0], &p), -ENOSPC);
	probes_of(&p, pr, &n);
	wg_dp_routes_batch_end(dp);
	cr_assert_eq(dp_add(dp, ids[0], &p), -ENOSPC);
	refused_by_dpdk_too(dp, &p);
	add_both(dp, &ref, ids[1], "10.0.0.2/32");
	add_both(dp, &ref, ids[2], "11.1.2.0/24");
	/* The reference holds every 64th /32: the probes of its prefixes
	 * (x.y.0-2) meet no /32 it left out. */
	n += probes_sample(&ref, 1, pr + n);
	check_both(dp, &ref, pr, n, "tbl8 groups used up");
	big_gw_stop(dp);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 100.64.0.0/10 + i */
static struct pfx
cgnat4(uint32_t i)
{
	struct pfx p = { .family = WG_AF_INET, .cidr = 32 };
	uint32_t a = htonl(0x64400000u + i);

	memcpy(p.addr, &a, 4);
	return p;
}

/* Every one of the n /32s routes to its peer (i % BIG_PEERS). */
static void
check_cgnat(struct wg_dp *dp, const uint32_t *ids, uint32_t n, bool present)
{
	static struct probe pr[WG_DP_BURST];
	uint32_t got[WG_DP_BURST], i, k;
	struct pfx p;

	for (i = 0; i < n; i += k) {
		for (k = 0; k < WG_DP_BURST && i + k < n; k++) {
			p = cgnat4(i + k);
			pr[k].family = WG_AF_INET;
			memcpy(pr[k].addr, p.addr, 4);
		}
		dp_lookup_copy(dp, -1, pr, k, got);
		for (k = 0; k < WG_DP_BURST && i + k < n; k++)
			cr_assert_eq(got[k], present ? ids[(i + k) % BIG_PEERS] :
				     WG_DP_NO_PEER, "/32 number %u", i + k);
	}
}

/*
 * A budget for 100,000 /32s in 391 /24s fits 65,536 tbl8 groups: each /24
 * is counted once (a group per /32 would be 100,000). From empty, 200,000
 * charges fill the 200,000 rules (3 prefixes charged twice count twice)
 * and one more does not fit.
 */
static void
budget_cgnat(struct wg_dp *dp)
{
	static struct pfx p[2 * BIG_ROUTES + 1];
	uint32_t i;

	for (i = 0; i < RTE_DIM(p); i++)
		p[i] = cgnat4(i % (2 * BIG_ROUTES - 3));
	cr_assert_eq(budget(dp, false, p, BIG_ROUTES), 0);
	cr_assert_eq(budget(dp, true, p, 2 * BIG_ROUTES), 0);
	cr_assert_eq(budget(dp, true, p, 2 * BIG_ROUTES + 1), -ENOSPC);
}

/*
 * 100,000 /32s, as `wg setconf` of 100,000 peers gives them: in one batch,
 * then all removed with their peers (one batch each), then again one
 * change at a time. Before rte_fib this took 17-33 s (rte_lpm scans its
 * rules per add). The times are logged, not asserted: speed is bench/'s
 * (peer scale); this checks every route is right after each phase.
 */
Test(routes, load_100k, .timeout = 120)
{
	static uint32_t ids[BIG_PEERS];
	struct wg_dp *dp = big_gw_start(2 * BIG_ROUTES);
	double t0, t_batch, t_remove, t_single;
	struct pfx p;
	uint32_t i;

	for (i = 0; i < BIG_PEERS; i++)
		ids[i] = (uint32_t)wg_dp_peer_add(dp);
	budget_cgnat(dp);
	t0 = now_s();
	wg_dp_routes_batch_begin(dp);
	for (i = 0; i < BIG_ROUTES; i++) {
		p = cgnat4(i);
		cr_assert_eq(dp_add(dp, ids[i % BIG_PEERS], &p), 0);
	}
	wg_dp_routes_batch_end(dp);
	t_batch = now_s() - t0;
	check_cgnat(dp, ids, BIG_ROUTES, true);
	t0 = now_s();
	for (i = 0; i < BIG_PEERS; i++) {
		cr_assert_eq(wg_dp_peer_remove(dp, ids[i]), 0);
		ids[i] = (uint32_t)wg_dp_peer_add(dp);
	}
	t_remove = now_s() - t0;
	check_cgnat(dp, ids, BIG_ROUTES, false);
	t0 = now_s();
	for (i = 0; i < BIG_ROUTES; i++) {
		p = cgnat4(i);
		cr_assert_eq(dp_add(dp, ids[i % BIG_PEERS], &p), 0);
	}
	t_single = now_s() - t0;
	check_cgnat(dp, ids, BIG_ROUTES, true);
	cr_log_info("100,000 /32s: %.3f s in one batch, %.3f s removing their %u "
		    "peers, %.3f s one at a time", t_batch, t_remove, BIG_PEERS,
		    t_single);
	big_gw_stop(dp);
}

/* ---- Readers during updates ---- */

/*
 * A reader on the other lcore, in the place of worker 0 (its RCU thread
 * id): looks up addresses whose route never changes, over and over, and
 * counts every answer that is not that route's peer.
 */
struct reader {
	struct wg_dp *dp;
	uint32_t want;
	struct dp_lookup lk;
	uint32_t stop;			/* atomic */
	uint64_t rounds, wrong;
	uint32_t wrong_id;
};

static int
reader_main(void *arg)
{
	struct reader *r = arg;
	uint32_t ids[WG_DP_BURST];
	uint16_t i, n = r->lk.n4 + r->lk.n6;

	rte_rcu_qsbr_thread_online(r->dp->qsbr, 0);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		dp_lookup_run(r->dp, &r->lk, ids);
		for (i = 0; i < n; i++) {
			if (ids[i] != r->want) {
				r->wrong++;
				r->wrong_id = ids[i];
			}
		}
		r->rounds++;
		rte_rcu_qsbr_quiescent(r->dp->qsbr, 0);
	}
	rte_rcu_qsbr_thread_offline(r->dp->qsbr, 0);
	return 0;
}

/* Probes in the 16 /24s (/64s) where /32s (/128s) come and go. */
static void
reader_probes(struct reader *r)
{
	uint8_t a4[4] = { 10, 6, 0, 7 }, a6[16] = { 0xfd, 0x06 };
	uint16_t k;

	memset(&r->lk, 0, sizeof(r->lk));
	for (k = 0; k < 16; k++) {
		a4[2] = (uint8_t)k;
		dp_lookup_add4(&r->lk, k, a4);
		a6[7] = (uint8_t)k;
		a6[15] = 7;
		dp_lookup_add6(&r->lk, (uint16_t)(16 + k), a6);
	}
}

/* A /32 and a /128 of peer id in the k-th /24 and /64, in or out. */
static void
churn_hosts(uint32_t id, unsigned int k, uint8_t host, bool add)
{
	uint8_t a4[4] = { 10, 6, (uint8_t)k, host }, a6[16] = { 0xfd, 0x06 };
	int rc4, rc6;

	a6[7] = (uint8_t)k;
	a6[15] = host;
	rc4 = add ? wg_dp_allowed_ip_add(h_a.dp, id, WG_AF_INET, a4, 32) :
		    wg_dp_allowed_ip_remove(h_a.dp, id, WG_AF_INET, a4, 32);
	rc6 = add ? wg_dp_allowed_ip_add(h_a.dp, id, WG_AF_INET6, a6, 128) :
		    wg_dp_allowed_ip_remove(h_a.dp, id, WG_AF_INET6, a6, 128);
	cr_assert(rc4 == 0 && rc6 == 0, "%d %d", rc4, rc6);
}

/*
 * While the reader runs, /32s and /128s come and go under a /16 and a /32
 * of a stable peer: their tbl8 groups are filled, collapsed (zeroed) and
 * handed to another /24 or /64 all the time, singly and in batches. Not
 * one lookup may answer anything but the stable peer: a reader inside a
 * copy being changed would (a zeroed entry is peer 0, a reused group
 * another /24's peer).
 */
H_TEST(routes, readers_during_updates, .timeout = 60)
{
	static struct reader r;
	uint32_t stable, churn[2];
	unsigned int lcore, round, k;

	gw_a();
	churn[0] = (uint32_t)wg_dp_peer_add(h_a.dp);	/* peer 0: what zeroes read as */
	stable = (uint32_t)wg_dp_peer_add(h_a.dp);
	churn[1] = (uint32_t)wg_dp_peer_add(h_a.dp);
	cr_assert(wg_dp_allowed_ip_add(h_a.dp, stable, WG_AF_INET,
				       (uint8_t[]){ 10, 6, 0, 0 }, 16) == 0);
	cr_assert(wg_dp_allowed_ip_add(h_a.dp, stable, WG_AF_INET6,
				       (uint8_t[16]){ 0xfd, 0x06 }, 32) == 0);
	memset(&r, 0, sizeof(r));
	r.dp = h_a.dp;
	r.want = stable;
	reader_probes(&r);
	lcore = rte_get_next_lcore(-1, 1, 0);
	cr_assert(lcore < RTE_MAX_LCORE, "a second lcore");
	cr_assert(rte_eal_remote_launch(reader_main, &r, lcore) == 0);
	for (round = 0; round < 300; round++) {
		if (round % 3 == 0)
			wg_dp_routes_batch_begin(h_a.dp);
		for (k = 0; k < 16; k++)
			churn_hosts(churn[(round + k) % 2], (k + round) % 16, 5, true);
		for (k = 0; k < 16; k++)
			churn_hosts(churn[(round + k) % 2], (k + round) % 16, 5, false);
		if (round % 3 == 0)
			wg_dp_routes_batch_end(h_a.dp);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(lcore);
	cr_assert_eq(r.wrong, 0, "%lu of %lu lookup rounds answered wrong (peer %u)",
		     (unsigned long)r.wrong, (unsigned long)r.rounds, r.wrong_id);
	cr_assert_gt(r.rounds, 1000);
	cr_log_info("%lu lookup rounds of 32 during 19,200 route changes",
		    (unsigned long)r.rounds);
}
