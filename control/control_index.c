/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Local indices of handshakes in flight. A response or cookie reply names
 * the index we put in our initiation or response; this map finds the peer.
 * Indices are random (as Linux and wireguard-go), never 0, and unique among
 * those in flight here and those the dataplane holds for live keypairs.
 * Linear probing with backward-shift deletion; at most one entry per peer,
 * so sizing it at twice max_peers keeps it at most half full.
 */
#include <errno.h>
#include <stdlib.h>

#include <sodium.h>

#include "control_priv.h"
#include "dp.h"

enum { CTL_INDEX_SLOT_TRIES = 8 };

int
ctl_index_init(struct wg_control_index *x, struct wg_dp *dp, uint32_t max_peers)
{
	uint32_t size = 16;

	x->dp = dp;

	while (size < 2 * (uint64_t)max_peers)
		size <<= 1;
	x->keys = calloc(size, sizeof(*x->keys));
	x->slots = calloc(size, sizeof(*x->slots));
	x->mask = size - 1;
	x->count = 0;
	if (x->keys == NULL || x->slots == NULL) {
		ctl_index_free(x);
		return -ENOMEM;
	}
	return 0;
}

/* Unmarks what is left in the dataplane's cookie filter (it outlives us). */
void
ctl_index_free(struct wg_control_index *x)
{
	uint32_t i;

	for (i = 0; x->keys != NULL && i <= x->mask; i++)
		if (x->keys[i] != 0)
			wg_dp_cookie_wait(x->dp, x->keys[i], false);
	free(x->keys);
	free(x->slots);
	x->keys = x->slots = NULL;
}

/* Indices are random already: a multiplicative mix spreads them anyway. */
static inline uint32_t
bucket(const struct wg_control_index *x, uint32_t key)
{
	return (key * 2654435761u) & x->mask;
}

uint32_t
ctl_index_lookup(const struct wg_control_index *x, uint32_t key)
{
	uint32_t i;

	if (key == 0)
		return WG_CONTROL_NO_ID;
	for (i = bucket(x, key); x->keys[i] != 0; i = (i + 1) & x->mask)
		if (x->keys[i] == key)
			return x->slots[i];
	return WG_CONTROL_NO_ID;
}

static void
index_put(struct wg_control_index *x, uint32_t key, uint32_t slot)
{
	uint32_t i = bucket(x, key);

	while (x->keys[i] != 0)
		i = (i + 1) & x->mask;
	x->keys[i] = key;
	x->slots[i] = slot;
	x->count++;
	wg_dp_cookie_wait(x->dp, key, true);
}

/*
 * A few draws look for an index whose slot in the dataplane's direct table
 * is free (it is then found with one load); past them any unused index
 * will do (the dataplane's hash finds it). Every draw is uniform, so the
 * index on the wire stays random.
 */
uint32_t
ctl_index_new(struct wg_control *c, uint32_t slot)
{
	unsigned int tries = 0;
	uint32_t key;

	for (;;) {
		key = randombytes_random();
		if (key == 0 || ctl_index_lookup(&c->index, key) != WG_CONTROL_NO_ID ||
		    wg_dp_index_in_use(c->dp, key))
			continue;
		if (tries++ < CTL_INDEX_SLOT_TRIES && !wg_dp_index_slot_free(c->dp, key))
			continue;
		break;
	}
	index_put(&c->index, key, slot);
	return key;
}

void
ctl_index_del(struct wg_control_index *x, uint32_t key)
{
	uint32_t i, j, home;

	if (key == 0)
		return;
	for (i = bucket(x, key); x->keys[i] != key; i = (i + 1) & x->mask)
		if (x->keys[i] == 0)
			return;
	wg_dp_cookie_wait(x->dp, key, false);
	/* Shift later entries of the probe run back over the hole. */
	for (j = (i + 1) & x->mask; x->keys[j] != 0; j = (j + 1) & x->mask) {
		home = bucket(x, x->keys[j]);
		if (((j - home) & x->mask) >= ((j - i) & x->mask)) {
			x->keys[i] = x->keys[j];
			x->slots[i] = x->slots[j];
			i = j;
		}
	}
	x->keys[i] = 0;
	x->count--;
}
