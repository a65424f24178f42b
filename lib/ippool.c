/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tunnel address pool (see ippool.h). An address is its range's base plus
 * an offset; the usable offsets of a range are [first, first + count).
 * The addresses in use, of both families, live in one open-addressing hash
 * set (linear probing, backward-shift deletion, load kept at or below 1/2)
 * keyed with SipHash under a per-pool random key, so that reserved
 * addresses chosen from outside cannot be lined up into long probe chains.
 *
 * Allocation draws offsets uniformly and retries on collision; after
 * IPPOOL_RANDOM_TRIES misses (the range is nearly full) it walks forward
 * from a random offset. Invariant: every entry in the set is a usable
 * address of its range, so the range is full exactly when its entry count
 * reaches count, and the walk meets a free address within that many steps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ippool.h"

typedef unsigned __int128 u128;

enum {
	IPPOOL_RANDOM_TRIES = 32,
	IPPOOL_MIN_SLOTS = 16,		/* a power of two */
	IPPOOL_ADDR_LEN = 16
};

struct ippool_range {
	bool enabled;
	unsigned int bits;		/* 32 or 128 */
	u128 base;			/* network address */
	u128 hostmask;
	u128 first;			/* first usable offset */
	u128 count;			/* number of usable offsets */
	size_t in_set;			/* entries in the set, fixed included */
	size_t n_fixed;
};

struct ippool_slot {
	uint32_t hash;
	uint8_t family;			/* WG_AF_NONE: empty */
	uint8_t fixed;
	uint8_t addr[IPPOOL_ADDR_LEN];	/* IPv4 in the first 4, zero after */
};

struct wg_ippool {
	struct ippool_range v4;
	struct ippool_range v6;
	struct ippool_slot *slots;
	size_t cap;			/* a power of two */
	size_t used;
	uint8_t key[crypto_shorthash_KEYBYTES];
};

/* ---- addresses as integers ------------------------------------------- */

static unsigned int
family_len(uint8_t family)
{
	return family == WG_AF_INET ? 4 : family == WG_AF_INET6 ? 16 : 0;
}

static u128
addr_to_int(const uint8_t *a, unsigned int len)
{
	u128 x = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		x = x << 8 | a[i];
	return x;
}

static void
int_to_addr(uint8_t a[IPPOOL_ADDR_LEN], u128 x, unsigned int len)
{
	unsigned int i;

	memset(a, 0, IPPOOL_ADDR_LEN);
	for (i = len; i-- > 0; x >>= 8)
		a[i] = (uint8_t)x;
}

/* The configured range of the family, or NULL. */
static const struct ippool_range *
range_of(const struct wg_ippool *pool, uint8_t family)
{
	const struct ippool_range *r = family == WG_AF_INET ? &pool->v4 :
				       family == WG_AF_INET6 ? &pool->v6 : NULL;

	return r != NULL && r->enabled ? r : NULL;
}

/* The same, for bookkeeping; family is known to be configured. */
static struct ippool_range *
range_mut(struct wg_ippool *pool, uint8_t family)
{
	return family == WG_AF_INET ? &pool->v4 : &pool->v6;
}

/* The usable offsets of a prefix (see ippool.h for what is left out). */
static int
range_init(struct ippool_range *r, const struct wg_ippool_prefix *p,
	   uint8_t family)
{
	unsigned int bits = family_len(family) * 8, host;
	bool v4 = family == WG_AF_INET;

	if (p == NULL)
		return 0;
	if (p->base.family != family || p->cidr > bits)
		return -EINVAL;
	host = bits - p->cidr;
	r->bits = bits;
	r->hostmask = host == 128 ? ~(u128)0 : ((u128)1 << host) - 1;
	r->base = addr_to_int(p->base.addr.v6, bits / 8) & ~r->hostmask;
	if (host >= 2) {
		/* Skip offset 0, and for IPv4 the broadcast offset too. */
		r->first = 1;
		r->count = v4 ? r->hostmask - 1 : r->hostmask;
	} else {
		r->first = 0;
		r->count = r->hostmask + 1;
	}
	r->enabled = true;
	return 0;
}

/* True if the pool could hand a out; *off gets its offset. */
static bool
range_offset(const struct ippool_range *r, const struct wg_ippool_addr *a,
	     u128 *off)
{
	u128 x = addr_to_int(a->addr.v6, r->bits / 8);

	if ((x & ~r->hostmask) != r->base)
		return false;
	*off = x & r->hostmask;
	return *off >= r->first && *off - r->first < r->count;
}

/* Uniform in [0, n), n > 0. */
static u128
rand_below(u128 n)
{
	u128 mask = n - 1, x;
	unsigned int s;

	if (n <= UINT32_MAX)
		return randombytes_uniform((uint32_t)n);
	for (s = 1; s < 128; s <<= 1)
		mask |= mask >> s;
	do {
		randombytes_buf(&x, sizeof(x));
		x &= mask;
	} while (x >= n);		/* at most half the draws miss */
	return x;
}

/* ---- the hash set ----------------------------------------------------- */

static uint32_t
slot_hash(const struct wg_ippool *pool, uint8_t family,
	  const uint8_t addr[IPPOOL_ADDR_LEN])
{
	uint8_t in[1 + IPPOOL_ADDR_LEN], out[crypto_shorthash_BYTES];
	uint32_t h;

	in[0] = family;
	memcpy(&in[1], addr, IPPOOL_ADDR_LEN);
	crypto_shorthash(out, in, sizeof(in), pool->key);
	memcpy(&h, out, sizeof(h));
	return h;
}

/* The slot holding the address, or NULL. */
static struct ippool_slot *
set_find(const struct wg_ippool *pool, uint8_t family,
	 const uint8_t addr[IPPOOL_ADDR_LEN], uint32_t hash)
{
	size_t mask = pool->cap - 1, i;
	struct ippool_slot *s;

	for (i = hash & mask;; i = (i + 1) & mask) {
		s = &pool->slots[i];
		if (s->family == WG_AF_NONE)
			return NULL;
		if (s->hash == hash && s->family == family &&
		    memcmp(s->addr, addr, IPPOOL_ADDR_LEN) == 0)
			return s;
	}
}

/* The address must be absent and a free slot must exist. */
static void
slots_put(struct ippool_slot *slots, size_t cap, const struct ippool_slot *e)
{
	size_t i;

	for (i = e->hash & (cap - 1); slots[i].family != WG_AF_NONE;
	     i = (i + 1) & (cap - 1))
		;
	slots[i] = *e;
}

static int
set_resize(struct wg_ippool *pool, size_t cap)
{
	struct ippool_slot *slots = calloc(cap, sizeof(*slots));
	size_t i;

	if (slots == NULL)
		return -ENOMEM;
	for (i = 0; i < pool->cap; i++)
		if (pool->slots[i].family != WG_AF_NONE)
			slots_put(slots, cap, &pool->slots[i]);
	sodium_memzero(pool->slots, pool->cap * sizeof(*slots));
	free(pool->slots);
	pool->slots = slots;
	pool->cap = cap;
	return 0;
}

/* Makes sure one more entry keeps the load at or below 1/2. */
static int
set_make_room(struct wg_ippool *pool)
{
	if ((pool->used + 1) * 2 <= pool->cap)
		return 0;
	if (pool->cap > SIZE_MAX / 2 / sizeof(struct ippool_slot))
		return -ENOMEM;
	return set_resize(pool, pool->cap * 2);
}

static void
set_insert(struct wg_ippool *pool, uint8_t family,
	   const uint8_t addr[IPPOOL_ADDR_LEN], uint32_t hash, bool fixed)
{
	struct ippool_slot e = { .hash = hash, .family = family, .fixed = fixed };

	memcpy(e.addr, addr, IPPOOL_ADDR_LEN);
	slots_put(pool->slots, pool->cap, &e);
	pool->used++;
	range_mut(pool, family)->in_set++;
}

/*
 * Backward-shift deletion: entries after the hole move into it unless
 * their home slot lies cyclically in (hole, their slot].
 */
static void
set_remove(struct wg_ippool *pool, struct ippool_slot *s)
{
	size_t mask = pool->cap - 1, hole = (size_t)(s - pool->slots), i, home;

	range_mut(pool, s->family)->in_set--;
	pool->used--;
	for (i = (hole + 1) & mask; pool->slots[i].family != WG_AF_NONE;
	     i = (i + 1) & mask) {
		home = pool->slots[i].hash & mask;
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			pool->slots[hole] = pool->slots[i];
			hole = i;
		}
	}
	memset(&pool->slots[hole], 0, sizeof(pool->slots[hole]));
	/* Give memory back after mass frees; failing to is harmless. */
	if (pool->cap > IPPOOL_MIN_SLOTS && pool->used * 8 < pool->cap)
		(void)set_resize(pool, pool->cap / 2);
}

/* ---- the pool --------------------------------------------------------- */

static void
add_fixed(struct wg_ippool *pool, const struct wg_ippool_addr *a)
{
	const struct ippool_range *r = range_of(pool, a->family);
	uint8_t addr[IPPOOL_ADDR_LEN];
	uint32_t hash;
	u128 off;

	if (r == NULL || !range_offset(r, a, &off))
		return;
	int_to_addr(addr, r->base + off, r->bits / 8);
	hash = slot_hash(pool, a->family, addr);
	if (set_find(pool, a->family, addr, hash) != NULL)
		return;
	set_insert(pool, a->family, addr, hash, true);
	range_mut(pool, a->family)->n_fixed++;
}

struct wg_ippool *
wg_ippool_create(const struct wg_ippool_prefix *v4,
		 const struct wg_ippool_prefix *v6,
		 const struct wg_ippool_addr *fixed, size_t n_fixed)
{
	struct wg_ippool *pool = calloc(1, sizeof(*pool));
	size_t i;

	if (pool == NULL)
		return NULL;
	if (range_init(&pool->v4, v4, WG_AF_INET) != 0 ||
	    range_init(&pool->v6, v6, WG_AF_INET6) != 0) {
		free(pool);
		errno = EINVAL;
		return NULL;
	}
	randombytes_buf(pool->key, sizeof(pool->key));
	pool->slots = calloc(IPPOOL_MIN_SLOTS, sizeof(*pool->slots));
	pool->cap = IPPOOL_MIN_SLOTS;
	for (i = 0; pool->slots != NULL && i < n_fixed; i++) {
		if (set_make_room(pool) != 0)
			break;
		add_fixed(pool, &fixed[i]);
	}
	if (pool->slots == NULL || i < n_fixed) {
		wg_ippool_destroy(pool);
		errno = ENOMEM;
		return NULL;
	}
	return pool;
}

void
wg_ippool_destroy(struct wg_ippool *pool)
{
	if (pool == NULL)
		return;
	if (pool->slots != NULL)
		sodium_memzero(pool->slots, pool->cap * sizeof(*pool->slots));
	free(pool->slots);
	sodium_memzero(pool, sizeof(*pool));
	free(pool);
}

/* Takes base + off if it is free. */
static bool
try_take(struct wg_ippool *pool, uint8_t family, u128 off,
	 struct wg_ippool_addr *out)
{
	const struct ippool_range *r = range_of(pool, family);
	uint8_t addr[IPPOOL_ADDR_LEN];
	uint32_t hash;

	int_to_addr(addr, r->base + off, r->bits / 8);
	hash = slot_hash(pool, family, addr);
	if (set_find(pool, family, addr, hash) != NULL)
		return false;
	set_insert(pool, family, addr, hash, false);
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->addr.v6, addr, IPPOOL_ADDR_LEN);
	return true;
}

int
wg_ippool_alloc(struct wg_ippool *pool, uint8_t family,
		struct wg_ippool_addr *out)
{
	const struct ippool_range *r = range_of(pool, family);
	u128 start, i, off;
	int ret;

	if (r == NULL)
		return -EAFNOSUPPORT;
	if ((u128)r->in_set >= r->count)
		return -ENOSPC;
	ret = set_make_room(pool);
	if (ret != 0)
		return ret;
	for (i = 0; i < IPPOOL_RANDOM_TRIES; i++)
		if (try_take(pool, family, r->first + rand_below(r->count), out))
			return 0;
	/* Nearly full: at most in_set + 1 steps from anywhere. */
	start = rand_below(r->count);
	for (i = 0; i < r->count; i++) {
		off = start + i;	/* modulo count, even if the sum wraps */
		if (off < start || off >= r->count)
			off -= r->count;
		if (try_take(pool, family, r->first + off, out))
			return 0;
	}
	return -ENOSPC;		/* unreachable while the invariant holds */
}

/* The set's key for a: the address bytes, zero past the family's length. */
static void
addr_key(uint8_t key[IPPOOL_ADDR_LEN], const struct wg_ippool_addr *a)
{
	memset(key, 0, IPPOOL_ADDR_LEN);
	memcpy(key, a->addr.v6, family_len(a->family));
}

int
wg_ippool_reserve(struct wg_ippool *pool, const struct wg_ippool_addr *a)
{
	const struct ippool_range *r = range_of(pool, a->family);
	uint8_t key[IPPOOL_ADDR_LEN];
	uint32_t hash;
	u128 off;
	int ret;

	if (family_len(a->family) == 0)
		return -EINVAL;
	if (r == NULL || !range_offset(r, a, &off))
		return -ERANGE;
	addr_key(key, a);
	hash = slot_hash(pool, a->family, key);
	if (set_find(pool, a->family, key, hash) != NULL)
		return -EEXIST;
	ret = set_make_room(pool);
	if (ret != 0)
		return ret;
	set_insert(pool, a->family, key, hash, false);
	return 0;
}

static struct ippool_slot *
find_addr(const struct wg_ippool *pool, const struct wg_ippool_addr *a)
{
	uint8_t key[IPPOOL_ADDR_LEN];

	if (family_len(a->family) == 0)
		return NULL;
	addr_key(key, a);
	return set_find(pool, a->family, key, slot_hash(pool, a->family, key));
}

int
wg_ippool_free(struct wg_ippool *pool, const struct wg_ippool_addr *a)
{
	struct ippool_slot *s = find_addr(pool, a);

	if (s == NULL)
		return -ENOENT;
	if (s->fixed)
		return -EPERM;
	set_remove(pool, s);
	return 0;
}

bool
wg_ippool_in_use(const struct wg_ippool *pool, const struct wg_ippool_addr *a)
{
	return find_addr(pool, a) != NULL;
}

size_t
wg_ippool_count(const struct wg_ippool *pool, uint8_t family)
{
	const struct ippool_range *r = range_of(pool, family);

	return r == NULL ? 0 : r->in_set - r->n_fixed;
}
