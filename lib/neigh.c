/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The neighbour table of one port: learned and static entries, the port's
 * own addresses, and the choice of next hop. The frames are in neigh_proto.c.
 */
#include <string.h>

#include "neigh.h"

#define NEIGH_VALID (1ULL << 48)
#define NEIGH_STATIC (1ULL << 49)
#define NEIGH_MAC_MASK ((1ULL << 48) - 1)

static inline unsigned int
ip_len(enum wg_family family)
{
	return family == WG_AF_INET ? 4 : 16;
}

static uint64_t
mac_pack(const uint8_t mac[WG_ETHER_ADDR_LEN])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < WG_ETHER_ADDR_LEN; i++)
		v = v << 8 | mac[i];
	return v;
}

static void
mac_unpack(uint64_t v, uint8_t mac[WG_ETHER_ADDR_LEN])
{
	int i;

	for (i = WG_ETHER_ADDR_LEN - 1; i >= 0; i--, v >>= 8)
		mac[i] = v;
}

void
wg_neigh_init(struct wg_neigh *n, const uint8_t mac[WG_ETHER_ADDR_LEN])
{
	memset(n, 0, sizeof(*n));
	memcpy(n->mac, mac, WG_ETHER_ADDR_LEN);
	/* fe80::/64 with the modified EUI-64 interface identifier. */
	n->v6_link_local[0] = 0xfe;
	n->v6_link_local[1] = 0x80;
	n->v6_link_local[8] = mac[0] ^ 0x02;
	n->v6_link_local[9] = mac[1];
	n->v6_link_local[10] = mac[2];
	n->v6_link_local[11] = 0xff;
	n->v6_link_local[12] = 0xfe;
	n->v6_link_local[13] = mac[3];
	n->v6_link_local[14] = mac[4];
	n->v6_link_local[15] = mac[5];
}

void
wg_neigh_set_addr(struct wg_neigh *n, enum wg_family family, const uint8_t *ip,
		  uint8_t plen)
{
	if (family == WG_AF_INET) {
		memcpy(n->v4, ip, 4);
		n->v4_plen = plen;
		n->has_v4 = plen > 0;
	} else {
		memcpy(n->v6, ip, 16);
		n->v6_plen = plen;
		n->has_v6 = plen > 0;
	}
}

void
wg_neigh_set_gateway(struct wg_neigh *n, enum wg_family family, const uint8_t *ip)
{
	if (family == WG_AF_INET) {
		memcpy(n->gw4, ip, 4);
		n->has_gw4 = true;
	} else {
		memcpy(n->gw6, ip, 16);
		n->has_gw6 = true;
	}
}

static unsigned int
slot_hash(enum wg_family family, const uint8_t *ip)
{
	unsigned int h = 2166136261u, i;

	for (i = 0; i < ip_len(family); i++)
		h = (h ^ ip[i]) * 16777619u;
	return h % WG_NEIGH_MAX;
}

/* The slot holding ip, or NULL. Lock-free: family is published last. */
static struct wg_neigh_entry *
slot_find(const struct wg_neigh *n, enum wg_family family, const uint8_t *ip)
{
	unsigned int i, s = slot_hash(family, ip);

	for (i = 0; i < WG_NEIGH_MAX; i++, s = (s + 1) % WG_NEIGH_MAX) {
		const struct wg_neigh_entry *e = &n->entries[s];
		uint8_t f = __atomic_load_n(&e->family, __ATOMIC_ACQUIRE);

		if (f == 0)
			return NULL;
		if (f == family && memcmp(e->ip, ip, ip_len(family)) == 0)
			return (struct wg_neigh_entry *)e;
	}
	return NULL;
}

/* Called with the lock held. */
static struct wg_neigh_entry *
slot_claim(struct wg_neigh *n, enum wg_family family, const uint8_t *ip)
{
	unsigned int i, s = slot_hash(family, ip);
	struct wg_neigh_entry *e;

	e = slot_find(n, family, ip);
	if (e != NULL || n->count >= WG_NEIGH_MAX)
		return e;
	for (i = 0; i < WG_NEIGH_MAX; i++, s = (s + 1) % WG_NEIGH_MAX) {
		e = &n->entries[s];
		if (e->family == 0)
			break;
	}
	memcpy(e->ip, ip, ip_len(family));
	__atomic_store_n(&e->family, (uint8_t)family, __ATOMIC_RELEASE);
	n->count++;
	return e;
}

static void
neigh_lock(struct wg_neigh *n)
{
	while (__atomic_exchange_n(&n->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&n->lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void
neigh_unlock(struct wg_neigh *n)
{
	__atomic_store_n(&n->lock, 0, __ATOMIC_RELEASE);
}

/* Records ip -> mac unless a static entry holds ip. -1 if the table is full. */
static int
neigh_learn(struct wg_neigh *n, enum wg_family family, const uint8_t *ip,
	    const uint8_t mac[WG_ETHER_ADDR_LEN], uint64_t flags)
{
	struct wg_neigh_entry *e;
	int ret = -1;

	neigh_lock(n);
	e = slot_claim(n, family, ip);
	if (e != NULL) {
		uint64_t old = __atomic_load_n(&e->state, __ATOMIC_RELAXED);

		if (!(old & NEIGH_STATIC) || (flags & NEIGH_STATIC))
			__atomic_store_n(&e->state,
					 mac_pack(mac) | NEIGH_VALID | flags,
					 __ATOMIC_RELEASE);
		ret = 0;
	}
	neigh_unlock(n);
	return ret;
}

int
wg_neigh_learn(struct wg_neigh *n, enum wg_family family, const uint8_t *ip,
	       const uint8_t mac[WG_ETHER_ADDR_LEN])
{
	return neigh_learn(n, family, ip, mac, 0);
}

int
wg_neigh_add_static(struct wg_neigh *n, enum wg_family family, const uint8_t *ip,
		    const uint8_t mac[WG_ETHER_ADDR_LEN])
{
	return neigh_learn(n, family, ip, mac, NEIGH_STATIC);
}

int
wg_neigh_lookup(const struct wg_neigh *n, enum wg_family family,
		const uint8_t *ip, uint8_t mac[WG_ETHER_ADDR_LEN])
{
	const struct wg_neigh_entry *e = slot_find(n, family, ip);
	uint64_t state;

	if (e == NULL)
		return -1;
	state = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
	if (!(state & NEIGH_VALID))
		return -1;
	mac_unpack(state & NEIGH_MAC_MASK, mac);
	return 0;
}

static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	return bits == 0 || ((a[bytes] ^ b[bytes]) & (0xff00 >> bits)) == 0;
}

const uint8_t *
wg_neigh_next_hop(const struct wg_neigh *n, enum wg_family family,
		  const uint8_t *dst)
{
	if (family == WG_AF_INET) {
		if (n->has_v4 && prefix_match(dst, n->v4, n->v4_plen))
			return dst;
		return n->has_gw4 ? n->gw4 : NULL;
	}
	if ((n->has_v6 && prefix_match(dst, n->v6, n->v6_plen)) ||
	    prefix_match(dst, n->v6_link_local, 64))
		return dst;
	return n->has_gw6 ? n->gw6 : NULL;
}
