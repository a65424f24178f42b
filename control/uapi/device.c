/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device model's storage: creation and destruction, the two hash tables,
 * slot ids, lookups, and the counters the control thread fills in. The
 * change-set logic is in device_apply.c, the get view in device_view.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device_priv.h"

/* ---- memory ------------------------------------------------------------- */

static void *
default_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size);
}

static void
default_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	(void)size;
	free(p);
}

void *
wg_device_mem_alloc(struct wg_device *dev, size_t size)
{
	return dev->mem.alloc(dev->mem.ctx, size);
}

void
wg_device_mem_free(struct wg_device *dev, void *p, size_t size)
{
	if (p != NULL)
		dev->mem.free(dev->mem.ctx, p, size);
}

/* ---- hashing ------------------------------------------------------------ */

/*
 * SipHash under a per-device random key: bucket placement reveals nothing
 * and cannot be steered by whoever picks the keys and prefixes.
 */
uint64_t
wg_device_peer_hash(const struct wg_device *dev,
		    const uint8_t public_key[WG_KEY_LEN])
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, public_key, WG_KEY_LEN, dev->hash_key);
	memcpy(&h, out, sizeof(h));
	return h;
}

uint64_t
wg_device_prefix_hash(const struct wg_device *dev,
		      const struct wg_uapi_allowed_ip *prefix)
{
	uint8_t in[2 + sizeof(prefix->addr)], out[crypto_shorthash_BYTES];
	uint64_t h;

	in[0] = prefix->family;
	in[1] = prefix->cidr;
	memcpy(in + 2, prefix->addr, sizeof(prefix->addr));
	crypto_shorthash(out, in, sizeof(in), dev->hash_key);
	memcpy(&h, out, sizeof(h));
	return h;
}

static bool
prefix_equal(const struct wg_uapi_allowed_ip *a,
	     const struct wg_uapi_allowed_ip *b)
{
	return a->family == b->family && a->cidr == b->cidr &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* ---- hash tables -------------------------------------------------------- */

size_t
wg_device_htable_size_for(size_t count)
{
	size_t n = WG_DEVICE_MIN_BUCKETS;

	while (n < count && n <= SIZE_MAX / 2)
		n *= 2;
	return n;
}

static struct wg_device_hnode **
bucket_of(const struct wg_device_htable *t, uint64_t hash)
{
	return &t->buckets[hash & (t->n_buckets - 1)];
}

void
wg_device_htable_insert(struct wg_device_htable *t, struct wg_device_hnode *node)
{
	struct wg_device_hnode **b = bucket_of(t, node->hash);

	node->next = *b;
	*b = node;
	t->count++;
}

void
wg_device_htable_remove(struct wg_device_htable *t, struct wg_device_hnode *node)
{
	struct wg_device_hnode **pp = bucket_of(t, node->hash);

	while (*pp != node)
		pp = &(*pp)->next;
	*pp = node->next;
	node->next = NULL;
	t->count--;
}

void
wg_device_htable_rehash(struct wg_device *dev, struct wg_device_htable *t,
			struct wg_device_hnode **buckets, size_t n)
{
	struct wg_device_htable old = *t;
	struct wg_device_hnode *node, *next;
	size_t i;

	t->buckets = buckets;
	t->n_buckets = n;
	t->count = 0;
	for (i = 0; i < old.n_buckets; i++)
		for (node = old.buckets[i]; node != NULL; node = next) {
			next = node->next;
			wg_device_htable_insert(t, node);
		}
	wg_device_mem_free(dev, old.buckets, old.n_buckets * sizeof(*buckets));
}

/* ---- lookups ------------------------------------------------------------ */

struct wg_device_peer *
wg_device_peer_find(const struct wg_device *dev,
		    const uint8_t public_key[WG_KEY_LEN])
{
	uint64_t hash = wg_device_peer_hash(dev, public_key);
	struct wg_device_hnode *node = *bucket_of(&dev->peers, hash);
	struct wg_device_peer *p;

	for (; node != NULL; node = node->next) {
		if (node->hash != hash)
			continue;
		p = WG_DEVICE_CONTAINER(node, struct wg_device_peer, node);
		/* Public keys are public: memcmp is fine. */
		if (memcmp(p->public_key, public_key, WG_KEY_LEN) == 0)
			return p;
	}
	return NULL;
}

struct wg_device_allowed_ip *
wg_device_prefix_find(const struct wg_device *dev,
		      const struct wg_uapi_allowed_ip *prefix, uint64_t hash)
{
	struct wg_device_hnode *node = *bucket_of(&dev->prefixes, hash);
	struct wg_device_allowed_ip *a;

	for (; node != NULL; node = node->next) {
		if (node->hash != hash)
			continue;
		a = WG_DEVICE_CONTAINER(node, struct wg_device_allowed_ip, node);
		if (prefix_equal(&a->prefix, prefix))
			return a;
	}
	return NULL;
}

const struct wg_device_peer *
wg_device_peer_lookup(const struct wg_device *dev,
		      const uint8_t public_key[WG_KEY_LEN])
{
	return wg_device_peer_find(dev, public_key);
}

const struct wg_device_peer *
wg_device_peer_get(const struct wg_device *dev, uint32_t id)
{
	return id < dev->next_unused ? dev->slots[id] : NULL;
}

const struct wg_device_peer *
wg_device_peer_next(const struct wg_device *dev,
		    const struct wg_device_peer *prev)
{
	uint32_t id = prev == NULL ? 0 : prev->id + 1;

	for (; id < dev->next_unused; id++)
		if (dev->slots[id] != NULL)
			return dev->slots[id];
	return NULL;
}

const struct wg_device_peer *
wg_device_allowed_ip_owner(const struct wg_device *dev,
			   const struct wg_uapi_allowed_ip *prefix)
{
	struct wg_uapi_allowed_ip key = *prefix;
	const struct wg_device_allowed_ip *a;

	key.remove = false;
	a = wg_device_prefix_find(dev, &key, wg_device_prefix_hash(dev, &key));
	return a != NULL ? dev->slots[a->owner] : NULL;
}

const struct wg_noise_identity *
wg_device_identity(const struct wg_device *dev)
{
	return &dev->identity;
}

uint16_t
wg_device_listen_port(const struct wg_device *dev)
{
	return dev->listen_port;
}

uint32_t
wg_device_fwmark(const struct wg_device *dev)
{
	return dev->fwmark;
}

uint32_t
wg_device_peer_count(const struct wg_device *dev)
{
	return dev->n_peers;
}

uint32_t
wg_device_max_peers(const struct wg_device *dev)
{
	return dev->max_peers;
}

size_t
wg_device_allowed_ip_count(const struct wg_device *dev)
{
	return dev->prefixes.count;
}

/* ---- slots and links ---------------------------------------------------- */

/* The oldest freed id, else a fresh one; n_peers < max_peers guarantees one. */
static uint32_t
id_alloc(struct wg_device *dev)
{
	uint32_t id;

	if (dev->free_len == 0)
		return dev->next_unused++;
	id = dev->free_ids[dev->free_head];
	dev->free_head = (dev->free_head + 1) % dev->max_peers;
	dev->free_len--;
	return id;
}

static void
id_free(struct wg_device *dev, uint32_t id)
{
	dev->free_ids[(dev->free_head + dev->free_len) % dev->max_peers] = id;
	dev->free_len++;
}

/* Gives p an id and makes it findable. No observer event. */
void
wg_device_peer_insert(struct wg_device *dev, struct wg_device_peer *p)
{
	p->id = id_alloc(dev);
	p->node.hash = wg_device_peer_hash(dev, p->public_key);
	wg_device_htable_insert(&dev->peers, &p->node);
	dev->slots[p->id] = p;
	dev->n_peers++;
}

/* Unlinks p (it must own no prefix), frees its id, wipes and frees it. */
void
wg_device_peer_remove(struct wg_device *dev, struct wg_device_peer *p)
{
	wg_device_htable_remove(&dev->peers, &p->node);
	dev->slots[p->id] = NULL;
	id_free(dev, p->id);
	dev->n_peers--;
	sodium_memzero(p, sizeof(*p));
	wg_device_mem_free(dev, p, sizeof(*p));
}

/* Appends a (not in any list) to p's list. */
void
wg_device_aip_link(struct wg_device *dev, struct wg_device_peer *p,
		   struct wg_device_allowed_ip *a)
{
	(void)dev;
	a->owner = p->id;
	a->next = NULL;
	a->prev = p->allowed_ips_last;
	if (p->allowed_ips_last != NULL)
		p->allowed_ips_last->next = a;
	else
		p->allowed_ips = a;
	p->allowed_ips_last = a;
	p->n_allowed_ips++;
}

/* Takes a out of its owner's list. */
void
wg_device_aip_unlink(struct wg_device *dev, struct wg_device_allowed_ip *a)
{
	struct wg_device_peer *p = dev->slots[a->owner];

	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		p->allowed_ips = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	else
		p->allowed_ips_last = a->prev;
	a->prev = a->next = NULL;
	p->n_allowed_ips--;
}

/* ---- counters from the dataplane ---------------------------------------- */

static struct wg_device_peer *
slot(struct wg_device *dev, uint32_t id)
{
	return id < dev->next_unused ? dev->slots[id] : NULL;
}

void
wg_device_peer_set_stats(struct wg_device *dev, uint32_t id, uint64_t rx_bytes,
			 uint64_t tx_bytes)
{
	struct wg_device_peer *p = slot(dev, id);

	if (p == NULL)
		return;
	p->rx_bytes = rx_bytes;
	p->tx_bytes = tx_bytes;
}

void
wg_device_peer_set_handshake(struct wg_device *dev, uint32_t id, uint64_t sec,
			     uint32_t nsec)
{
	struct wg_device_peer *p = slot(dev, id);

	if (p == NULL)
		return;
	p->last_handshake_sec = sec;
	p->last_handshake_nsec = nsec;
}

void
wg_device_peer_set_endpoint(struct wg_device *dev, uint32_t id,
			    const struct wg_endpoint *endpoint)
{
	struct wg_device_peer *p = slot(dev, id);

	if (p != NULL)
		p->endpoint = *endpoint;
}

/* ---- life --------------------------------------------------------------- */

static int
device_alloc_tables(struct wg_device *dev)
{
	dev->slots = wg_device_mem_alloc(dev, dev->max_peers * sizeof(*dev->slots));
	dev->free_ids = wg_device_mem_alloc(dev,
					    dev->max_peers * sizeof(*dev->free_ids));
	dev->peers.n_buckets = dev->prefixes.n_buckets = WG_DEVICE_MIN_BUCKETS;
	dev->peers.buckets = wg_device_mem_alloc(dev,
		WG_DEVICE_MIN_BUCKETS * sizeof(*dev->peers.buckets));
	dev->prefixes.buckets = wg_device_mem_alloc(dev,
		WG_DEVICE_MIN_BUCKETS * sizeof(*dev->prefixes.buckets));
	if (dev->slots == NULL || dev->free_ids == NULL ||
	    dev->peers.buckets == NULL || dev->prefixes.buckets == NULL)
		return -ENOMEM;
	return 0;
}

int
wg_device_create(struct wg_device **out, const struct wg_device_config *cfg)
{
	static const struct wg_device_allocator default_mem = {
		.alloc = default_alloc, .free = default_free,
	};
	const struct wg_device_allocator *mem;
	struct wg_device *dev;

	*out = NULL;
	if (cfg->max_peers > MAX_PEERS_PER_DEVICE)
		return -EINVAL;
	if (sodium_init() < 0)
		return -ENOMEM;
	mem = cfg->allocator != NULL ? cfg->allocator : &default_mem;
	dev = mem->alloc(mem->ctx, sizeof(*dev));
	if (dev == NULL)
		return -ENOMEM;
	dev->mem = *mem;
	dev->max_peers = cfg->max_peers != 0 ? cfg->max_peers :
					       MAX_PEERS_PER_DEVICE;
	dev->obs = cfg->observer;
	dev->obs_ctx = cfg->observer_ctx;
	randombytes_buf(dev->hash_key, sizeof(dev->hash_key));
	if (device_alloc_tables(dev) != 0) {
		wg_device_destroy(dev);
		return -ENOMEM;
	}
	*out = dev;
	return 0;
}

static void
destroy_peer(struct wg_device *dev, struct wg_device_peer *p)
{
	struct wg_device_allowed_ip *a, *next;

	for (a = p->allowed_ips; a != NULL; a = next) {
		next = a->next;
		wg_device_mem_free(dev, a, sizeof(*a));
	}
	sodium_memzero(p, sizeof(*p));
	wg_device_mem_free(dev, p, sizeof(*p));
}

void
wg_device_destroy(struct wg_device *dev)
{
	struct wg_device_allocator mem;
	uint32_t id;

	if (dev == NULL)
		return;
	mem = dev->mem;
	for (id = 0; dev->slots != NULL && id < dev->next_unused; id++)
		if (dev->slots[id] != NULL)
			destroy_peer(dev, dev->slots[id]);
	wg_device_mem_free(dev, dev->slots, dev->max_peers * sizeof(*dev->slots));
	wg_device_mem_free(dev, dev->free_ids,
			   dev->max_peers * sizeof(*dev->free_ids));
	wg_device_mem_free(dev, dev->peers.buckets,
			   dev->peers.n_buckets * sizeof(*dev->peers.buckets));
	wg_device_mem_free(dev, dev->prefixes.buckets,
			   dev->prefixes.n_buckets * sizeof(*dev->prefixes.buckets));
	sodium_memzero(dev, sizeof(*dev));
	mem.free(mem.ctx, dev, sizeof(*dev));
}
