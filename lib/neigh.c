/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The neighbour table of one port: learned and static entries, the port's
 * own addresses, and the choice of next hop. The frames are in neigh_proto.c.
 *
 * Open addressing with linear probing; a removed entry leaves a tombstone
 * (NEIGH_TOMB) so that the probes of the others go on past it, and a new
 * entry takes the first free or removed slot of its probe sequence.
 */
#include <string.h>

#include "neigh_priv.h"

#define NEIGH_TOMB 0xff		/* family of a removed entry's slot */
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

static inline bool
slot_live(const struct wg_neigh_entry *e)
{
	return e->family != 0 && e->family != NEIGH_TOMB;
}

/* t is more than age before now (a time "after" now is not). */
static inline bool
older_than(uint64_t t, uint64_t now_ns, uint64_t age)
{
	return now_ns > t && now_ns - t > age;
}

/*
 * Lock-free: the state word of ip's entry, 0 if none. A slot whose
 * sequence count is odd or moves while it is read is passed over (neigh.h
 * says why that is right); a free slot ends the probe, a removed one not.
 */
static uint64_t
slot_state(const struct wg_neigh *n, enum wg_family family, const uint8_t *ip)
{
	unsigned int i, s = slot_hash(family, ip);

	for (i = 0; i < WG_NEIGH_MAX; i++, s = (s + 1) % WG_NEIGH_MAX) {
		const struct wg_neigh_entry *e = &n->entries[s];
		uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		uint8_t f = __atomic_load_n(&e->family, __ATOMIC_RELAXED);
		bool match = f == family && memcmp(e->ip, ip, ip_len(family)) == 0;
		uint64_t state = __atomic_load_n(&e->state, __ATOMIC_RELAXED);

		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((seq & 1) || __atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq)
			continue;
		if (f == 0)
			return 0;
		if (match)
			return state;
	}
	return 0;
}

/* Writers, under the lock: the slot holding ip, or NULL. */
static struct wg_neigh_entry *
slot_find(struct wg_neigh *n, enum wg_family family, const uint8_t *ip)
{
	unsigned int i, s = slot_hash(family, ip);

	for (i = 0; i < WG_NEIGH_MAX; i++, s = (s + 1) % WG_NEIGH_MAX) {
		struct wg_neigh_entry *e = &n->entries[s];

		if (e->family == 0)
			return NULL;
		if (e->family == family && memcmp(e->ip, ip, ip_len(family)) == 0)
			return e;
	}
	return NULL;
}

/* Under the lock: makes slot e hold ip (NULL: removed), unresolved. */
static void
slot_set(struct wg_neigh_entry *e, uint8_t family, const uint8_t *ip)
{
	uint32_t seq = e->seq;

	__atomic_store_n(&e->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->state, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->family, family, __ATOMIC_RELAXED);
	if (ip != NULL)
		memcpy(e->ip, ip, ip_len(family));
	else
		memset(e->ip, 0, sizeof(e->ip));
	e->asking = false;
	e->asked_ns = e->confirmed_ns = 0;
	__atomic_store_n(&e->seq, seq + 2, __ATOMIC_RELEASE);
}

static void
slot_remove(struct wg_neigh *n, struct wg_neigh_entry *e)
{
	slot_set(e, NEIGH_TOMB, NULL);
	n->count--;
}

/* Under the lock: the learned entry heard from or asked for longest ago. */
static struct wg_neigh_entry *
slot_oldest_learned(struct wg_neigh *n)
{
	struct wg_neigh_entry *old = NULL;
	uint64_t old_t = 0, t;
	unsigned int i;

	for (i = 0; i < WG_NEIGH_MAX; i++) {
		struct wg_neigh_entry *e = &n->entries[i];

		if (!slot_live(e) || (e->state & NEIGH_STATIC))
			continue;
		t = e->asked_ns > e->confirmed_ns ? e->asked_ns : e->confirmed_ns;
		if (old == NULL || t < old_t) {
			old = e;
			old_t = t;
		}
	}
	return old;
}

/*
 * Under the lock: ip's slot, claimed if new; a full table gives up its
 * oldest learned entry. NULL if every slot is static.
 */
static struct wg_neigh_entry *
slot_claim(struct wg_neigh *n, enum wg_family family, const uint8_t *ip)
{
	unsigned int i, s = slot_hash(family, ip);
	struct wg_neigh_entry *e = slot_find(n, family, ip), *victim;

	if (e != NULL)
		return e;
	if (n->count >= WG_NEIGH_MAX) {
		victim = slot_oldest_learned(n);
		if (victim == NULL)
			return NULL;
		slot_remove(n, victim);
	}
	/* Not found: no slot before the first free one holds ip. */
	for (i = 0; i < WG_NEIGH_MAX; i++, s = (s + 1) % WG_NEIGH_MAX) {
		e = &n->entries[s];
		if (!slot_live(e))
			break;
	}
	slot_set(e, family, ip);
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

/* Under the lock: e resolves to mac from now on; any request is answered. */
static void
entry_resolve(struct wg_neigh_entry *e, const uint8_t mac[WG_ETHER_ADDR_LEN],
	      uint64_t flags, uint64_t now_ns)
{
	__atomic_store_n(&e->state, mac_pack(mac) | NEIGH_VALID | flags,
			 __ATOMIC_RELEASE);
	e->confirmed_ns = now_ns;
	e->asking = false;
}

int
wg_neigh_add_static(struct wg_neigh *n, enum wg_family family, const uint8_t *ip,
		    const uint8_t mac[WG_ETHER_ADDR_LEN])
{
	struct wg_neigh_entry *e;

	neigh_lock(n);
	e = slot_claim(n, family, ip);
	if (e != NULL)
		entry_resolve(e, mac, NEIGH_STATIC, 0);
	neigh_unlock(n);
	return e != NULL ? 0 : -1;
}

bool
neigh_confirm(struct wg_neigh *n, enum wg_family family, const uint8_t *ip,
	      const uint8_t mac[WG_ETHER_ADDR_LEN], uint64_t now_ns)
{
	struct wg_neigh_entry *e;
	bool ok;

	neigh_lock(n);
	e = slot_find(n, family, ip);
	ok = e != NULL && e->asking && !(e->state & NEIGH_STATIC) &&
	     !older_than(e->asked_ns, now_ns, WG_NEIGH_ANSWER_NS);
	if (ok)
		entry_resolve(e, mac, 0, now_ns);
	neigh_unlock(n);
	return ok;
}

void
neigh_sender(struct wg_neigh *n, enum wg_family family, const uint8_t *ip,
	     const uint8_t mac[WG_ETHER_ADDR_LEN], uint64_t now_ns)
{
	const uint8_t *gw = family == WG_AF_INET ? (n->has_gw4 ? n->gw4 : NULL) :
						   (n->has_gw6 ? n->gw6 : NULL);
	struct wg_neigh_entry *e;

	if (gw == NULL || memcmp(gw, ip, ip_len(family)) != 0)
		return;
	neigh_lock(n);
	e = slot_claim(n, family, ip);
	if (e != NULL && !(e->state & NEIGH_VALID))
		entry_resolve(e, mac, 0, now_ns);
	neigh_unlock(n);
}

uint16_t
wg_neigh_solicit(struct wg_neigh *n, enum wg_family family, const uint8_t *ip,
		 uint64_t now_ns, uint8_t *frame, uint16_t cap)
{
	uint16_t len = neigh_build_solicit(n, family, ip, frame, cap);
	struct wg_neigh_entry *e;

	if (len == 0)
		return 0;
	neigh_lock(n);
	e = slot_claim(n, family, ip);
	if (e != NULL && (e->state & NEIGH_STATIC))
		e = NULL;
	if (e != NULL) {
		e->asking = true;
		e->asked_ns = now_ns;
	}
	neigh_unlock(n);
	return e != NULL ? len : 0;
}

/* Under the lock: whether learned entry e is to go; closes a stale request. */
static bool
entry_expired(struct wg_neigh_entry *e, uint64_t now_ns)
{
	if (e->asking && older_than(e->asked_ns, now_ns, WG_NEIGH_ANSWER_NS))
		e->asking = false;
	if (e->state & NEIGH_VALID)
		return older_than(e->confirmed_ns, now_ns, WG_NEIGH_STALE_NS);
	return !e->asking;
}

void
wg_neigh_expire(struct wg_neigh *n, uint64_t now_ns)
{
	unsigned int i;

	neigh_lock(n);
	for (i = 0; i < WG_NEIGH_MAX; i++) {
		struct wg_neigh_entry *e = &n->entries[i];

		if (slot_live(e) && !(e->state & NEIGH_STATIC) &&
		    entry_expired(e, now_ns))
			slot_remove(n, e);
	}
	neigh_unlock(n);
}

int
wg_neigh_lookup(const struct wg_neigh *n, enum wg_family family,
		const uint8_t *ip, uint8_t mac[WG_ETHER_ADDR_LEN])
{
	uint64_t state = slot_state(n, family, ip);

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
