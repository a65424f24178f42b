/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Applying a UAPI change set to the device, all or nothing, in three steps:
 *
 *  1. simulate: walk the set as the apply will, tracking only which peers
 *     exist (a small table over the set's own keys, falling back to the
 *     model) and how many there are. This finds every reason to refuse
 *     (the peer limit at its peak), counts what the apply will create and,
 *     for an observer that mirrors the prefixes into tables of its own,
 *     lists the prefixes the apply may add (struct wg_device_prefix_demand).
 *  2. reserve: allocate every peer and prefix record the apply can need
 *     and the grown hash tables, without installing anything, then ask the
 *     observer to reserve room for the listed prefixes (the dataplane's
 *     route tables). A failure here frees what was reserved: the model was
 *     never touched.
 *  3. commit: change the model and tell the observer. Nothing in this
 *     step allocates or can fail.
 *
 * Semantics are wireguard-go's (device/uapi.go), applied in this order:
 * private key (a peer whose public key equals the new one is removed),
 * listen port, fwmark, replace_peers, then the peer sections in request
 * order, each seeing the effect of the ones before it. A section whose key
 * is the device's own public key (after this request's private key) is
 * ignored; remove=true removes the peer and ignores the section's other
 * fields; update_only=true ignores a section whose peer does not exist.
 *
 * replace_allowed_ips is applied as the smallest change with the same
 * result: prefixes the peer keeps are not removed and re-added (the
 * dataplane's routes for them never flap), those it loses are removed after
 * the section's list was applied. A peer lists its prefixes in the order it
 * first got them, so a kept prefix keeps its place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "device_priv.h"

enum {
	LISTEN_PORT_DYNAMIC_MIN = 49152	/* RFC 6335 dynamic ports: 49152..65535 */
};

/* What the simulation knows of a key the set names. */
enum sim_state {
	SIM_UNKNOWN = 0,	/* as in the model (unless replace_peers) */
	SIM_PRESENT,
	SIM_ABSENT
};

/* One open-addressing slot over the set's distinct public keys. */
struct sim_key {
	const uint8_t *key;	/* NULL: empty slot */
	uint8_t state;
};

struct apply_plan {
	/* The identity after the set; points at dev's when it is unchanged. */
	const struct wg_noise_identity *id;
	struct wg_noise_identity new_id;	/* secret */
	bool key_changes;
	bool replace_all;
	/* Simulation. */
	struct sim_key *sim;
	size_t sim_cap;
	size_t n_create;
	size_t n_adds;
	uint32_t peak;
	/* The prefixes it may add, if the observer asks (see
	 * wg_device_prefix_demand); point into the set. */
	const struct wg_uapi_allowed_ip **demand;
	size_t n_demand, demand_cap;
	/* Reservations, linked through node.next. */
	struct wg_device_hnode *peer_pool;
	struct wg_device_hnode *aip_pool;
	struct wg_device_hnode **peer_buckets;
	size_t n_peer_buckets;
	struct wg_device_hnode **prefix_buckets;
	size_t n_prefix_buckets;
};

#define EMIT(dev, cb, ...) do { \
	if ((dev)->obs != NULL && (dev)->obs->cb != NULL) \
		(dev)->obs->cb((dev)->obs_ctx, ##__VA_ARGS__); \
} while (0)

static bool
is_own_key(const struct wg_noise_identity *id, const uint8_t key[WG_KEY_LEN])
{
	return id->has_identity && wg_key_equal(id->static_public, key);
}

/* ---- 1. simulate -------------------------------------------------------- */

static int
sim_init(struct wg_device *dev, struct apply_plan *plan, size_t n_sections)
{
	plan->sim_cap = wg_device_htable_size_for(n_sections * 2);
	plan->sim = wg_device_mem_alloc(dev, plan->sim_cap * sizeof(*plan->sim));
	return plan->sim != NULL ? 0 : -ENOMEM;
}

/* The slot of key, claimed if new. The table is at most half full. */
static struct sim_key *
sim_slot(const struct wg_device *dev, struct apply_plan *plan,
	 const uint8_t key[WG_KEY_LEN])
{
	size_t i = wg_device_peer_hash(dev, key) & (plan->sim_cap - 1);

	while (plan->sim[i].key != NULL &&
	       memcmp(plan->sim[i].key, key, WG_KEY_LEN) != 0)
		i = (i + 1) & (plan->sim_cap - 1);
	plan->sim[i].key = key;
	return &plan->sim[i];
}

static bool
sim_exists(const struct wg_device *dev, const struct apply_plan *plan,
	   const struct sim_key *k)
{
	if (k->state != SIM_UNKNOWN)
		return k->state == SIM_PRESENT;
	return !plan->replace_all && wg_device_peer_find(dev, k->key) != NULL;
}

static size_t
section_adds(const struct wg_uapi_set *set, const struct wg_uapi_peer *sp)
{
	const struct wg_uapi_allowed_ip *a = wg_uapi_peer_allowed_ips(set, sp);
	size_t i, n = 0;

	for (i = 0; i < sp->n_allowed_ips; i++)
		n += !a[i].remove;
	return n;
}

/* The section's adds that the table does not hold (all: replace_peers). */
static void
sim_demand(const struct wg_device *dev, struct apply_plan *plan,
	   const struct wg_uapi_set *set, const struct wg_uapi_peer *sp)
{
	const struct wg_uapi_allowed_ip *a = wg_uapi_peer_allowed_ips(set, sp);
	size_t i;

	if (plan->demand == NULL)
		return;
	for (i = 0; i < sp->n_allowed_ips; i++)
		if (!a[i].remove && (plan->replace_all ||
		    wg_device_prefix_find(dev, &a[i],
					  wg_device_prefix_hash(dev, &a[i])) == NULL))
			plan->demand[plan->n_demand++] = &a[i];
}

/* One section: counts what it creates; -ENOSPC past the peer limit. */
static int
sim_section(const struct wg_device *dev, struct apply_plan *plan,
	    const struct wg_uapi_set *set, const struct wg_uapi_peer *sp,
	    uint32_t *count)
{
	struct sim_key *k;

	if (is_own_key(plan->id, sp->public_key))
		return 0;
	k = sim_slot(dev, plan, sp->public_key);
	if (sp->flags & WG_UAPI_PEER_REMOVE_ME) {
		if (sim_exists(dev, plan, k))
			(*count)--;
		k->state = SIM_ABSENT;
		return 0;
	}
	if (!sim_exists(dev, plan, k)) {
		if (sp->flags & WG_UAPI_PEER_UPDATE_ONLY)
			return 0;
		if (*count >= dev->max_peers)
			return -ENOSPC;
		(*count)++;
		plan->n_create++;
		k->state = SIM_PRESENT;
		if (*count > plan->peak)
			plan->peak = *count;
	}
	plan->n_adds += section_adds(set, sp);
	sim_demand(dev, plan, set, sp);
	return 0;
}

/* The private key: is it a change, and what identity results. */
static int
sim_identity(struct wg_device *dev, struct apply_plan *plan,
	     const struct wg_uapi_set *set)
{
	plan->id = &dev->identity;
	if (!(set->flags & WG_UAPI_DEVICE_HAS_PRIVATE_KEY) ||
	    sodium_memcmp(set->private_key, dev->identity.static_private,
			  WG_KEY_LEN) == 0)
		return 0;
	plan->key_changes = true;
	plan->id = &plan->new_id;
	if (wg_key_is_zero(set->private_key))
		return 0;
	return wg_noise_identity_set(&plan->new_id, set->private_key) == 0 ?
	       0 : -EINVAL;
}

static int
simulate(struct wg_device *dev, struct apply_plan *plan,
	 const struct wg_uapi_set *set)
{
	uint32_t count = dev->n_peers;
	size_t i;
	int ret;

	ret = sim_identity(dev, plan, set);
	if (ret != 0)
		return ret;
	/* The peer that has become us is removed (it cannot be in the set:
	 * sections with our key are ignored). */
	if (plan->key_changes && plan->new_id.has_identity &&
	    wg_device_peer_find(dev, plan->new_id.static_public) != NULL)
		count--;
	if (set->flags & WG_UAPI_DEVICE_REPLACE_PEERS) {
		plan->replace_all = true;
		count = 0;
	}
	plan->peak = count;
	ret = sim_init(dev, plan, set->n_peers);
	if (ret == 0 && dev->obs != NULL && dev->obs->reserve_prefixes != NULL &&
	    set->n_allowed_ips != 0) {
		plan->demand_cap = set->n_allowed_ips;
		plan->demand = wg_device_mem_alloc(dev, plan->demand_cap *
						   sizeof(*plan->demand));
		if (plan->demand == NULL)
			ret = -ENOMEM;
	}
	for (i = 0; ret == 0 && i < set->n_peers; i++)
		ret = sim_section(dev, plan, set, &set->peers[i], &count);
	return ret;
}

/* ---- 2. reserve --------------------------------------------------------- */

static int
reserve_pool(struct wg_device *dev, struct wg_device_hnode **pool, size_t n,
	     size_t size, size_t node_offset)
{
	struct wg_device_hnode *node;
	size_t i;
	char *obj;

	for (i = 0; i < n; i++) {
		obj = wg_device_mem_alloc(dev, size);
		if (obj == NULL)
			return -ENOMEM;
		node = (struct wg_device_hnode *)(void *)(obj + node_offset);
		node->next = *pool;
		*pool = node;
	}
	return 0;
}

/* New, larger buckets for t if count nodes would overload it. */
static int
reserve_buckets(struct wg_device *dev, const struct wg_device_htable *t,
		size_t count, struct wg_device_hnode ***buckets, size_t *n)
{
	size_t want = wg_device_htable_size_for(count);

	if (want <= t->n_buckets)
		return 0;
	if (want > SIZE_MAX / sizeof(**buckets))
		return -ENOMEM;
	*buckets = wg_device_mem_alloc(dev, want * sizeof(**buckets));
	if (*buckets == NULL)
		return -ENOMEM;
	*n = want;
	return 0;
}

/* The observer's own tables: the last step that may refuse the set. */
static int
reserve_observer(struct wg_device *dev, const struct apply_plan *plan)
{
	struct wg_device_prefix_demand d = {
		.prefixes = plan->demand,
		.n = plan->n_demand,
		.from_empty = plan->replace_all,
	};

	if (dev->obs == NULL || dev->obs->reserve_prefixes == NULL)
		return 0;
	return dev->obs->reserve_prefixes(dev->obs_ctx, &d);
}

static int
reserve(struct wg_device *dev, struct apply_plan *plan)
{
	int ret;

	ret = reserve_pool(dev, &plan->peer_pool, plan->n_create,
			   sizeof(struct wg_device_peer),
			   offsetof(struct wg_device_peer, node));
	if (ret == 0)
		ret = reserve_pool(dev, &plan->aip_pool, plan->n_adds,
				   sizeof(struct wg_device_allowed_ip),
				   offsetof(struct wg_device_allowed_ip, node));
	if (ret == 0)
		ret = reserve_buckets(dev, &dev->peers, plan->peak,
				      &plan->peer_buckets, &plan->n_peer_buckets);
	if (ret == 0)
		ret = reserve_buckets(dev, &dev->prefixes,
				      dev->prefixes.count + plan->n_adds,
				      &plan->prefix_buckets,
				      &plan->n_prefix_buckets);
	if (ret == 0)
		ret = reserve_observer(dev, plan);
	return ret;
}

/* Frees what the apply did not use (all of it after a failure). */
static void
plan_release(struct wg_device *dev, struct apply_plan *plan)
{
	struct wg_device_hnode *node;
	struct wg_device_peer *p;

	while ((node = plan->peer_pool) != NULL) {
		plan->peer_pool = node->next;
		p = WG_DEVICE_CONTAINER(node, struct wg_device_peer, node);
		sodium_memzero(p, sizeof(*p));
		wg_device_mem_free(dev, p, sizeof(*p));
	}
	while ((node = plan->aip_pool) != NULL) {
		plan->aip_pool = node->next;
		wg_device_mem_free(dev, WG_DEVICE_CONTAINER(node,
				   struct wg_device_allowed_ip, node),
				   sizeof(struct wg_device_allowed_ip));
	}
	wg_device_mem_free(dev, plan->peer_buckets,
			   plan->n_peer_buckets * sizeof(*plan->peer_buckets));
	wg_device_mem_free(dev, plan->prefix_buckets,
			   plan->n_prefix_buckets * sizeof(*plan->prefix_buckets));
	wg_device_mem_free(dev, plan->sim, plan->sim_cap * sizeof(*plan->sim));
	wg_device_mem_free(dev, plan->demand,
			   plan->demand_cap * sizeof(*plan->demand));
	sodium_memzero(plan, sizeof(*plan));
}

/* Cannot run dry: the simulation counted every use. */
static struct wg_device_hnode *
pool_take(struct wg_device_hnode **pool)
{
	struct wg_device_hnode *node = *pool;

	if (node == NULL)
		abort();
	*pool = node->next;
	node->next = NULL;
	return node;
}

/* ---- 3. commit: allowed IPs --------------------------------------------- */

/* The prefix leaves the table. */
static void
aip_drop(struct wg_device *dev, struct wg_device_allowed_ip *a)
{
	struct wg_device_peer *owner = dev->slots[a->owner];

	wg_device_aip_unlink(dev, a);
	wg_device_htable_remove(&dev->prefixes, &a->node);
	EMIT(dev, allowed_ip_removed, owner, &a->prefix);
	wg_device_mem_free(dev, a, sizeof(*a));
}

/* AllowedIPs.Insert: p owns the prefix from now on, whoever had it. */
static void
aip_add(struct wg_device *dev, struct apply_plan *plan, struct wg_device_peer *p,
	const struct wg_uapi_allowed_ip *prefix)
{
	uint64_t hash = wg_device_prefix_hash(dev, prefix);
	struct wg_device_allowed_ip *a = wg_device_prefix_find(dev, prefix, hash);
	struct wg_device_peer *from;

	if (a != NULL && a->owner == p->id) {
		a->stale = false;
		return;
	}
	if (a != NULL) {
		from = dev->slots[a->owner];
		wg_device_aip_unlink(dev, a);
		wg_device_aip_link(dev, p, a);
		EMIT(dev, allowed_ip_added, p, &a->prefix, from);
		return;
	}
	a = WG_DEVICE_CONTAINER(pool_take(&plan->aip_pool),
				struct wg_device_allowed_ip, node);
	a->prefix = *prefix;
	a->prefix.remove = false;
	a->node.hash = hash;
	wg_device_htable_insert(&dev->prefixes, &a->node);
	wg_device_aip_link(dev, p, a);
	EMIT(dev, allowed_ip_added, p, &a->prefix, NULL);
}

/*
 * AllowedIPs.Remove: only if p owns it. A stale prefix was already given up
 * by this section's replace_allowed_ips: the sweep removes it.
 */
static void
aip_del(struct wg_device *dev, struct wg_device_peer *p,
	const struct wg_uapi_allowed_ip *prefix)
{
	struct wg_uapi_allowed_ip key = *prefix;
	struct wg_device_allowed_ip *a;

	key.remove = false;
	a = wg_device_prefix_find(dev, &key, wg_device_prefix_hash(dev, &key));
	if (a != NULL && a->owner == p->id && !a->stale)
		aip_drop(dev, a);
}

static void
commit_allowed_ips(struct wg_device *dev, struct apply_plan *plan,
		   const struct wg_uapi_set *set, const struct wg_uapi_peer *sp,
		   struct wg_device_peer *p)
{
	const struct wg_uapi_allowed_ip *list = wg_uapi_peer_allowed_ips(set, sp);
	bool replace = sp->flags & WG_UAPI_PEER_REPLACE_ALLOWEDIPS;
	struct wg_device_allowed_ip *a, *next;
	size_t i;

	if (replace)
		for (a = p->allowed_ips; a != NULL; a = a->next)
			a->stale = true;
	for (i = 0; i < sp->n_allowed_ips; i++) {
		if (list[i].remove)
			aip_del(dev, p, &list[i]);
		else
			aip_add(dev, plan, p, &list[i]);
	}
	if (!replace)
		return;
	for (a = p->allowed_ips; a != NULL; a = next) {
		next = a->next;
		if (a->stale)
			aip_drop(dev, a);
	}
}

/* ---- 3. commit: peers --------------------------------------------------- */

static void
peer_destroy(struct wg_device *dev, struct wg_device_peer *p)
{
	while (p->allowed_ips != NULL)
		aip_drop(dev, p->allowed_ips);
	EMIT(dev, peer_removed, p);
	wg_device_peer_remove(dev, p);
}

static struct wg_device_peer *
peer_create(struct wg_device *dev, struct apply_plan *plan,
	    const struct wg_uapi_peer *sp)
{
	struct wg_device_peer *p;

	p = WG_DEVICE_CONTAINER(pool_take(&plan->peer_pool),
				struct wg_device_peer, node);
	memcpy(p->public_key, sp->public_key, WG_KEY_LEN);
	if (sp->flags & WG_UAPI_PEER_HAS_PRESHARED_KEY)
		memcpy(p->preshared_key, sp->preshared_key, WG_KEY_LEN);
	if (sp->flags & WG_UAPI_PEER_HAS_ENDPOINT)
		p->endpoint = sp->endpoint;
	if (sp->flags & WG_UAPI_PEER_HAS_PERSISTENT_KEEPALIVE)
		p->persistent_keepalive = sp->persistent_keepalive_interval;
	wg_device_peer_insert(dev, p);
	EMIT(dev, peer_added, p);
	return p;
}

static void
peer_update(struct wg_device *dev, const struct wg_uapi_peer *sp,
	    struct wg_device_peer *p)
{
	uint16_t old;

	if ((sp->flags & WG_UAPI_PEER_HAS_PRESHARED_KEY) &&
	    sodium_memcmp(p->preshared_key, sp->preshared_key, WG_KEY_LEN) != 0) {
		memcpy(p->preshared_key, sp->preshared_key, WG_KEY_LEN);
		EMIT(dev, peer_psk_changed, p);
	}
	if (sp->flags & WG_UAPI_PEER_HAS_ENDPOINT) {
		p->endpoint = sp->endpoint;
		EMIT(dev, peer_endpoint_changed, p);
	}
	if ((sp->flags & WG_UAPI_PEER_HAS_PERSISTENT_KEEPALIVE) &&
	    p->persistent_keepalive != sp->persistent_keepalive_interval) {
		old = p->persistent_keepalive;
		p->persistent_keepalive = sp->persistent_keepalive_interval;
		EMIT(dev, peer_keepalive_changed, p, old);
	}
}

static void
commit_section(struct wg_device *dev, struct apply_plan *plan,
	       const struct wg_uapi_set *set, const struct wg_uapi_peer *sp)
{
	struct wg_device_peer *p;

	if (is_own_key(&dev->identity, sp->public_key))
		return;
	p = wg_device_peer_find(dev, sp->public_key);
	if (sp->flags & WG_UAPI_PEER_REMOVE_ME) {
		if (p != NULL)
			peer_destroy(dev, p);
		return;
	}
	if (p == NULL) {
		if (sp->flags & WG_UAPI_PEER_UPDATE_ONLY)
			return;
		p = peer_create(dev, plan, sp);
	} else {
		peer_update(dev, sp, p);
	}
	commit_allowed_ips(dev, plan, set, sp, p);
}

/* ---- 3. commit: device -------------------------------------------------- */

static void
commit_identity(struct wg_device *dev, struct apply_plan *plan)
{
	struct wg_device_peer *victim = NULL;

	if (plan->new_id.has_identity)
		victim = wg_device_peer_find(dev, plan->new_id.static_public);
	if (victim != NULL)
		peer_destroy(dev, victim);
	memcpy(&dev->identity, &plan->new_id, sizeof(dev->identity));
	EMIT(dev, identity_changed, &dev->identity);
}

/*
 * listen_port=0 asks for a free port, and get then reports the one chosen
 * (wireguard-go binds port 0 and reports what the kernel gave). The
 * dataplane owns every UDP port of its outer address (no kernel stack
 * shares it), so any port is free: one is drawn at random from the
 * dynamic range (RFC 6335), as a kernel would.
 */
static uint16_t
pick_listen_port(void)
{
	return (uint16_t)(LISTEN_PORT_DYNAMIC_MIN +
			  randombytes_uniform(65536 - LISTEN_PORT_DYNAMIC_MIN));
}

static void
commit_device(struct wg_device *dev, struct apply_plan *plan,
	      const struct wg_uapi_set *set)
{
	uint16_t old_port = dev->listen_port, port;
	uint32_t old_mark = dev->fwmark, id;

	if (plan->key_changes)
		commit_identity(dev, plan);
	if (set->flags & WG_UAPI_DEVICE_HAS_LISTEN_PORT) {
		port = set->listen_port != 0 ? set->listen_port : pick_listen_port();
		if (port != old_port) {
			dev->listen_port = port;
			EMIT(dev, listen_port_changed, old_port, port);
		}
	}
	if ((set->flags & WG_UAPI_DEVICE_HAS_FWMARK) && set->fwmark != old_mark) {
		dev->fwmark = set->fwmark;
		EMIT(dev, fwmark_changed, old_mark, set->fwmark);
	}
	if (set->flags & WG_UAPI_DEVICE_REPLACE_PEERS)
		for (id = 0; id < dev->next_unused; id++)
			if (dev->slots[id] != NULL)
				peer_destroy(dev, dev->slots[id]);
}

static void
commit(struct wg_device *dev, struct apply_plan *plan,
       const struct wg_uapi_set *set)
{
	size_t i;

	if (plan->peer_buckets != NULL) {
		wg_device_htable_rehash(dev, &dev->peers, plan->peer_buckets,
					plan->n_peer_buckets);
		plan->peer_buckets = NULL;
	}
	if (plan->prefix_buckets != NULL) {
		wg_device_htable_rehash(dev, &dev->prefixes, plan->prefix_buckets,
					plan->n_prefix_buckets);
		plan->prefix_buckets = NULL;
	}
	EMIT(dev, apply_begin);
	commit_device(dev, plan, set);
	for (i = 0; i < set->n_peers; i++)
		commit_section(dev, plan, set, &set->peers[i]);
	EMIT(dev, apply_end);
}

int
wg_device_apply(struct wg_device *dev, const struct wg_uapi_set *set)
{
	struct apply_plan plan;
	int ret;

	if (set->state != WG_UAPI_SET_COMPLETE)
		return -EINVAL;
	memset(&plan, 0, sizeof(plan));
	ret = simulate(dev, &plan, set);
	if (ret == 0)
		ret = reserve(dev, &plan);
	if (ret == 0)
		commit(dev, &plan, set);
	plan_release(dev, &plan);
	return ret;
}
