/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Route table capacity: what the rules in the tables take, counted the way
 * DPDK 22.11 counts it, so that a change set can be refused whole before
 * it changes anything (see wg_dp_route_budget_start() in dp.h).
 *
 * Per family, two limits (the copies hold the same rules, so one count
 * serves both):
 * - rules: max_routes4 (route.c's own limit; rte_fib's rib has room for
 *   it) and max_routes6 (rte_lpm6's max_rules);
 * - tbl8 groups (256 next hops each). DIR24_8 gives one group to each /24
 *   that holds a prefix longer than /24, shared by all of them, and
 *   refuses a new such /24 when its groups are all promised. rte_lpm6
 *   walks one byte per level after the first three, so a prefix longer
 *   than /24 lies in the groups of its /24, /32, ... up to the last
 *   multiple of 8 below its length (13 for a /128), each shared with every
 *   rule below it, and freed (by reference count) when the last is gone;
 *   rte_lpm6_add refuses a rule whose missing groups are not free.
 * A group is known by its prefix (family, length, masked address); the
 * tables' groups are counted in a hash map of such prefixes to how many
 * rules lie in them. The map never holds more than the two limits
 * together, and is sized for that at creation: counting a rule in cannot
 * fail.
 *
 * The counts are exact for the rules the tables hold; what a change set
 * may need is bounded (see the budget below).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_jhash.h>
#include <rte_random.h>

#include "dp_priv.h"

enum {
	CAP_FIRST_GROUP = 24,		/* both tables index 24 bits at once */
	CAP_GROUP_BITS = 8,		/* then a group per byte (rte_lpm6) */
	CAP_MAX_GROUPS = 13,		/* of a /128 */
	CAP_MIN_SLOTS = 64
};

/* A tbl8 group, named by the prefix that leads to it. Hashed and
 * compared whole, in 32-bit words: zeroed before it is filled. */
struct cap_key {
	uint8_t addr[16];		/* masked to len */
	uint8_t family;
	uint8_t len;
	uint8_t pad[2];
} __rte_aligned(4);

struct cap_slot {
	struct cap_key key;
	uint32_t n;			/* rules in the group; 0: empty slot */
};

/* Linear probing, at most half full. */
struct cap_map {
	struct cap_slot *slot;
	uint32_t mask;
	uint32_t used;
	uint32_t seed;
};

struct dp_route_cap {
	uint32_t rules[2], max_rules[2];	/* [0] IPv4, [1] IPv6 */
	uint32_t groups[2], max_groups[2];
	struct cap_map held;		/* the tables' groups */
};

struct wg_dp_route_budget {
	const struct dp_route_cap *cap;
	bool from_empty;
	uint32_t rules[2], groups[2];	/* the tables, plus every charge */
	struct cap_map charged;		/* groups charged, not in held */
};

static unsigned int
fam(uint8_t family)
{
	return family == WG_AF_INET ? 0 : 1;
}

/* ---- The map ---- */

static int
map_init(struct cap_map *m, uint32_t entries)
{
	uint32_t slots = rte_align32pow2(RTE_MAX(2 * entries,
						 (uint32_t)CAP_MIN_SLOTS));

	m->slot = calloc(slots, sizeof(*m->slot));
	m->mask = slots - 1;
	m->used = 0;
	m->seed = (uint32_t)rte_rand();
	return m->slot != NULL ? 0 : -ENOMEM;
}

static uint32_t
map_home(const struct cap_map *m, const struct cap_key *k)
{
	return rte_jhash_32b((const uint32_t *)(const void *)k,
			     sizeof(*k) / sizeof(uint32_t), m->seed) & m->mask;
}

/* The key's slot, or the empty slot where it would go. */
static struct cap_slot *
map_slot(const struct cap_map *m, const struct cap_key *k)
{
	uint32_t i = map_home(m, k);

	while (m->slot[i].n != 0 && memcmp(&m->slot[i].key, k, sizeof(*k)) != 0)
		i = (i + 1) & m->mask;
	return &m->slot[i];
}

static uint32_t
map_count(const struct cap_map *m, const struct cap_key *k)
{
	return map_slot(m, k)->n;
}

/* One more rule in the group; the caller made sure there is room. */
static void
map_get(struct cap_map *m, const struct cap_key *k)
{
	struct cap_slot *s = map_slot(m, k);

	if (s->n == 0) {
		s->key = *k;
		m->used++;
	}
	s->n++;
}

/* One rule fewer; the last one empties the slot (backward shift). */
static void
map_put(struct cap_map *m, const struct cap_key *k)
{
	struct cap_slot *s = map_slot(m, k);
	uint32_t hole, i, home;

	if (s->n == 0 || --s->n != 0)
		return;
	m->used--;
	hole = (uint32_t)(s - m->slot);
	for (i = (hole + 1) & m->mask; m->slot[i].n != 0; i = (i + 1) & m->mask) {
		home = map_home(m, &m->slot[i].key);
		/* Stays if its home lies cyclically in (hole, i]. */
		if (((i - home) & m->mask) >= ((i - hole) & m->mask)) {
			m->slot[hole] = m->slot[i];
			m->slot[i].n = 0;
			hole = i;
		}
	}
}

/* Room for one more key: doubles the table when half full. */
static int
map_grow(struct cap_map *m)
{
	struct cap_map n;
	uint32_t i;

	if (2 * (m->used + 1) <= m->mask + 1)
		return 0;
	if (map_init(&n, m->mask + 1) != 0)
		return -ENOMEM;
	n.seed = m->seed;
	for (i = 0; i <= m->mask; i++)
		if (m->slot[i].n != 0)
			*map_slot(&n, &m->slot[i].key) = m->slot[i];
	n.used = m->used;
	free(m->slot);
	*m = n;
	return 0;
}

/* ---- Rules to groups ---- */

/* The groups a rule lies in (none for /24 or shorter); how many. */
static unsigned int
rule_groups(const struct wg_dp_route *r, struct cap_key g[CAP_MAX_GROUPS])
{
	unsigned int n = 0, len, last;

	if (r->cidr <= CAP_FIRST_GROUP)
		return 0;
	last = r->family == WG_AF_INET ? CAP_FIRST_GROUP :
	       (r->cidr - 1u) / CAP_GROUP_BITS * CAP_GROUP_BITS;
	for (len = CAP_FIRST_GROUP; len <= last; len += CAP_GROUP_BITS, n++) {
		memset(&g[n], 0, sizeof(g[n]));
		g[n].family = r->family;
		g[n].len = (uint8_t)len;
		memcpy(g[n].addr, r->addr, len / 8);
	}
	return n;
}

/* ---- The tables' counts (route.c) ---- */

struct dp_route_cap *
dp_route_cap_create(uint32_t max4, uint32_t groups4, uint32_t max6,
		    uint32_t groups6)
{
	struct dp_route_cap *cap = calloc(1, sizeof(*cap));

	if (cap == NULL)
		return NULL;
	cap->max_rules[0] = max4;
	cap->max_rules[1] = max6;
	cap->max_groups[0] = groups4;
	cap->max_groups[1] = groups6;
	if (map_init(&cap->held, groups4 + groups6) != 0) {
		free(cap);
		return NULL;
	}
	return cap;
}

void
dp_route_cap_free(struct dp_route_cap *cap)
{
	if (cap == NULL)
		return;
	free(cap->held.slot);
	free(cap);
}

int
dp_route_cap_admit(const struct dp_route_cap *cap, const struct wg_dp_route *r)
{
	struct cap_key g[CAP_MAX_GROUPS];
	unsigned int f = fam(r->family), i, n = rule_groups(r, g);
	uint32_t need = 0;

	if (cap->rules[f] >= cap->max_rules[f])
		return -ENOSPC;
	for (i = 0; i < n; i++)
		need += map_count(&cap->held, &g[i]) == 0;
	return cap->groups[f] + need <= cap->max_groups[f] ? 0 : -ENOSPC;
}

void
dp_route_cap_added(struct dp_route_cap *cap, const struct wg_dp_route *r)
{
	struct cap_key g[CAP_MAX_GROUPS];
	unsigned int f = fam(r->family), i, n = rule_groups(r, g);

	cap->rules[f]++;
	for (i = 0; i < n; i++) {
		cap->groups[f] += map_count(&cap->held, &g[i]) == 0;
		map_get(&cap->held, &g[i]);
	}
}

void
dp_route_cap_removed(struct dp_route_cap *cap, const struct wg_dp_route *r)
{
	struct cap_key g[CAP_MAX_GROUPS];
	unsigned int f = fam(r->family), i, n = rule_groups(r, g);

	cap->rules[f]--;
	for (i = 0; i < n; i++) {
		map_put(&cap->held, &g[i]);
		cap->groups[f] -= map_count(&cap->held, &g[i]) == 0;
	}
}

/* ---- Budgets ---- */

/*
 * A change set holds at every step at most what the tables hold before it
 * (nothing, from_empty: it removes every rule first) plus the rules it
 * adds that they do not hold; their groups, at most those held plus the
 * new rules' groups not held, each counted once. The budget adds these up
 * as they are charged and refuses the first that does not fit. Removals in
 * the set are not credited: that the set removes a rule before it adds
 * another depends on its order, and the bound must hold in every order.
 * A prefix charged twice counts twice as a rule (never too few).
 */
struct wg_dp_route_budget *
dp_route_budget_start(const struct dp_route_cap *cap, bool from_empty)
{
	struct wg_dp_route_budget *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->cap = cap;
	b->from_empty = from_empty;
	if (!from_empty) {
		memcpy(b->rules, cap->rules, sizeof(b->rules));
		memcpy(b->groups, cap->groups, sizeof(b->groups));
	}
	if (map_init(&b->charged, CAP_MIN_SLOTS / 2) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

int
dp_route_budget_charge(struct wg_dp_route_budget *b, const struct wg_dp_route *r)
{
	struct cap_key g[CAP_MAX_GROUPS];
	unsigned int f = fam(r->family), i, n = rule_groups(r, g);

	if (r->cidr == 0)
		return 0;		/* a /0 is no rule (see route.c) */
	if (b->rules[f] >= b->cap->max_rules[f])
		return -ENOSPC;
	b->rules[f]++;
	for (i = 0; i < n; i++) {
		if ((!b->from_empty && map_count(&b->cap->held, &g[i]) != 0) ||
		    map_count(&b->charged, &g[i]) != 0)
			continue;
		if (b->groups[f] >= b->cap->max_groups[f])
			return -ENOSPC;
		if (map_grow(&b->charged) != 0)
			return -ENOMEM;
		map_get(&b->charged, &g[i]);
		b->groups[f]++;
	}
	return 0;
}

void
wg_dp_route_budget_end(struct wg_dp_route_budget *b)
{
	if (b == NULL)
		return;
	free(b->charged.slot);
	free(b);
}
