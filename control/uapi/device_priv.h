/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals shared by control/device*.c: the device struct, its two hash
 * tables (peers by public key, prefixes by family/cidr/address) and the
 * primitives the apply phase is made of. Nothing here can fail once the
 * memory it needs was reserved.
 */
#ifndef WG_DEVICE_PRIV_H
#define WG_DEVICE_PRIV_H

#include <sodium.h>

#include "device.h"

/* Chained hash table of intrusive nodes; the bucket count is a power of 2. */
struct wg_device_htable {
	struct wg_device_hnode **buckets;
	size_t n_buckets;
	size_t count;
};

struct wg_device {
	struct wg_noise_identity identity;	/* secret */
	uint16_t listen_port;
	uint32_t fwmark;

	uint32_t max_peers;
	uint32_t n_peers;
	/* Ids [0, next_unused) were handed out at least once. */
	uint32_t next_unused;
	struct wg_device_peer **slots;		/* max_peers entries */
	/* Freed ids, oldest first: a ring of max_peers entries. */
	uint32_t *free_ids;
	uint32_t free_head;
	uint32_t free_len;

	struct wg_device_htable peers;		/* of wg_device_peer.node */
	struct wg_device_htable prefixes;	/* of wg_device_allowed_ip.node */
	uint8_t hash_key[crypto_shorthash_KEYBYTES];

	const struct wg_device_observer *obs;
	void *obs_ctx;
	struct wg_device_allocator mem;
};

enum {
	WG_DEVICE_MIN_BUCKETS = 16
};

#define WG_DEVICE_CONTAINER(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

void *wg_device_mem_alloc(struct wg_device *dev, size_t size);
void wg_device_mem_free(struct wg_device *dev, void *p, size_t size);

uint64_t wg_device_peer_hash(const struct wg_device *dev,
			     const uint8_t public_key[WG_KEY_LEN]);
uint64_t wg_device_prefix_hash(const struct wg_device *dev,
			       const struct wg_uapi_allowed_ip *prefix);
struct wg_device_peer *wg_device_peer_find(const struct wg_device *dev,
					   const uint8_t public_key[WG_KEY_LEN]);
struct wg_device_allowed_ip *
wg_device_prefix_find(const struct wg_device *dev,
		      const struct wg_uapi_allowed_ip *prefix, uint64_t hash);

/* The bucket count a table needs to hold count nodes at load factor <= 1. */
size_t wg_device_htable_size_for(size_t count);
/* Moves every node into buckets (n zeroed entries) and frees the old ones. */
void wg_device_htable_rehash(struct wg_device *dev, struct wg_device_htable *t,
			     struct wg_device_hnode **buckets, size_t n);
void wg_device_htable_insert(struct wg_device_htable *t,
			     struct wg_device_hnode *node);
void wg_device_htable_remove(struct wg_device_htable *t,
			     struct wg_device_hnode *node);

/* The apply phase's primitives; each tells the observer. */
void wg_device_peer_insert(struct wg_device *dev, struct wg_device_peer *p);
void wg_device_peer_remove(struct wg_device *dev, struct wg_device_peer *p);
void wg_device_aip_link(struct wg_device *dev, struct wg_device_peer *p,
			struct wg_device_allowed_ip *a);
void wg_device_aip_unlink(struct wg_device *dev, struct wg_device_allowed_ip *a);

#endif /* WG_DEVICE_PRIV_H */
