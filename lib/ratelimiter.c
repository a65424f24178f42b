/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Linux driver's handshake rate limiter (ratelimiter.c) with its table
 * made bounded and allocation-free after create: one open-addressing table
 * with linear probing, at least twice as many slots as max_entries so a
 * probe always ends at an empty slot, and backward-shift deletion so no
 * tombstones build up. Slots are chosen by SipHash-2-4 (crypto_shorthash)
 * under a random per-table key, so a sender cannot aim its sources at one
 * chain. The bucket algorithm is Linux's: the burst is part of the token
 * maximum, not of the rate.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ratelimiter.h"

enum {
	RL_MIN_SLOTS = 16,
	RL_KEY_LEN = 9		/* family, then 8 address bytes */
};

struct rl_entry {
	uint64_t ip;		/* IPv4 address, or IPv6 /64 prefix: raw bytes */
	uint64_t hash;		/* of (family, ip): home slot = hash & mask */
	uint64_t last_time_ns;
	uint64_t tokens;	/* ns of credit, at most TOKEN_MAX */
	uint8_t family;		/* WG_AF_NONE: the slot is empty */
};

struct wg_ratelimiter {
	uint8_t key[crypto_shorthash_KEYBYTES];
	size_t mask;		/* slots - 1, slots a power of two */
	unsigned int max_entries;
	unsigned int count;
	struct rl_entry slots[];
};

static size_t
slots_for(unsigned int max_entries)
{
	size_t n = RL_MIN_SLOTS;

	while (n < (size_t)max_entries * 2)
		n <<= 1;
	return n;
}

struct wg_ratelimiter *
wg_ratelimiter_create(unsigned int max_entries)
{
	struct wg_ratelimiter *rl;
	size_t slots;

	if (max_entries == 0 || sodium_init() < 0)
		return NULL;
	slots = slots_for(max_entries);
	if (slots > (SIZE_MAX - sizeof(*rl)) / sizeof(rl->slots[0]))
		return NULL;
	rl = calloc(1, sizeof(*rl) + slots * sizeof(rl->slots[0]));
	if (rl == NULL)
		return NULL;
	crypto_shorthash_keygen(rl->key);
	rl->mask = slots - 1;
	rl->max_entries = max_entries;
	return rl;
}

void
wg_ratelimiter_destroy(struct wg_ratelimiter *rl)
{
	if (rl == NULL)
		return;
	/* The hash key, and the addresses of who handshook lately. */
	sodium_memzero(rl, sizeof(*rl) + (rl->mask + 1) * sizeof(rl->slots[0]));
	free(rl);
}

/* The source's bucket key: the IPv4 address, or the IPv6 /64. */
static bool
source_key(const struct wg_endpoint *src, uint64_t *ip)
{
	uint8_t bytes[8] = { 0 };

	if (src->family == WG_AF_INET)
		memcpy(bytes, src->addr.v4, 4);
	else if (src->family == WG_AF_INET6)
		memcpy(bytes, src->addr.v6, 8);
	else
		return false;
	memcpy(ip, bytes, sizeof(*ip));
	return true;
}

static uint64_t
source_hash(const struct wg_ratelimiter *rl, uint8_t family, uint64_t ip)
{
	uint8_t in[RL_KEY_LEN], out[crypto_shorthash_BYTES];
	uint64_t h;

	in[0] = family;
	memcpy(in + 1, &ip, sizeof(ip));
	crypto_shorthash(out, in, sizeof(in), rl->key);
	memcpy(&h, out, sizeof(h));
	return h;
}

/*
 * The slot holding (family, ip), or else the empty slot that ends its probe
 * sequence (there always is one: at most half the slots are ever used).
 */
static struct rl_entry *
lookup(struct wg_ratelimiter *rl, uint8_t family, uint64_t ip, uint64_t hash)
{
	size_t i = hash & rl->mask;
	struct rl_entry *e;

	for (;; i = (i + 1) & rl->mask) {
		e = &rl->slots[i];
		if (e->family == WG_AF_NONE ||
		    (e->family == family && e->ip == ip))
			return e;
	}
}

/* One packet from a known source: refill by the time elapsed, then spend. */
static bool
entry_allow(struct rl_entry *e, uint64_t now_ns)
{
	uint64_t elapsed = now_ns > e->last_time_ns ? now_ns - e->last_time_ns : 0;
	uint64_t tokens;

	if (elapsed >= RATELIMIT_TOKEN_MAX_NS - e->tokens)
		tokens = RATELIMIT_TOKEN_MAX_NS;
	else
		tokens = e->tokens + elapsed;
	e->last_time_ns = now_ns;
	if (tokens < RATELIMIT_PACKET_COST_NS) {
		e->tokens = tokens;
		return false;
	}
	e->tokens = tokens - RATELIMIT_PACKET_COST_NS;
	return true;
}

bool
wg_ratelimiter_allow(struct wg_ratelimiter *rl, const struct wg_endpoint *src,
		     uint64_t now_ns)
{
	struct rl_entry *e;
	uint64_t ip, hash;

	if (!source_key(src, &ip))
		return false;
	hash = source_hash(rl, src->family, ip);
	e = lookup(rl, src->family, ip, hash);
	if (e->family != WG_AF_NONE)
		return entry_allow(e, now_ns);

	/* A new source: refused when the table is full. */
	if (rl->count >= rl->max_entries)
		return false;
	e->family = src->family;
	e->ip = ip;
	e->hash = hash;
	e->last_time_ns = now_ns;
	e->tokens = RATELIMIT_TOKEN_MAX_NS - RATELIMIT_PACKET_COST_NS;
	rl->count++;
	return true;
}

/* True if slot k lies cyclically in (i, j]. */
static bool
slot_between(size_t i, size_t k, size_t j)
{
	return i <= j ? (i < k && k <= j) : (i < k || k <= j);
}

/*
 * Empties slot i, moving later entries of its run back into the hole when
 * their home slot allows, so that every entry stays reachable from its home
 * without passing an empty slot.
 */
static void
remove_at(struct wg_ratelimiter *rl, size_t i)
{
	size_t j = i;

	for (;;) {
		j = (j + 1) & rl->mask;
		if (rl->slots[j].family == WG_AF_NONE)
			break;
		if (slot_between(i, rl->slots[j].hash & rl->mask, j))
			continue;	/* its home is after the hole: stays */
		rl->slots[i] = rl->slots[j];
		i = j;
	}
	memset(&rl->slots[i], 0, sizeof(rl->slots[i]));
	rl->count--;
}

static bool
entry_is_stale(const struct rl_entry *e, uint64_t now_ns)
{
	return e->family != WG_AF_NONE && now_ns > e->last_time_ns &&
	       now_ns - e->last_time_ns > RATELIMIT_GC_AGE_NS;
}

/*
 * Removal moves entries only backwards along their run (or from the start
 * of the table across the wrap to its end), so re-examining slot i after
 * each removal visits every entry at least once.
 */
void
wg_ratelimiter_gc(struct wg_ratelimiter *rl, uint64_t now_ns)
{
	size_t i;

	for (i = 0; i <= rl->mask; i++) {
		while (entry_is_stale(&rl->slots[i], now_ns))
			remove_at(rl, i);
	}
}

unsigned int
wg_ratelimiter_count(const struct wg_ratelimiter *rl)
{
	return rl->count;
}
