/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * peers = ( { public_key; preshared_key; allowed_ips; endpoint;
 * persistent_keepalive; }, ... ). Duplicate public keys and duplicate
 * allowed-IP prefixes are found with two hash sets (SipHash with a random
 * key), so a file with a million peers is checked in linear time.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config_priv.h"

enum { CFG_NAME_LEN = 128 };

/* Open addressing, linear probing; a slot holds a pointer to the key bytes
 * (owned by the wg_config being built) and the setting it came from. */
struct cfg_set_slot {
	const uint8_t *key;
	const config_setting_t *where;
};

struct cfg_set {
	struct cfg_set_slot *slot;
	size_t mask;		/* capacity - 1, capacity a power of two */
	size_t used;
	size_t key_len;
	const uint8_t *hash_key;
};

static int
cfg_set_init(struct cfg_set *set, size_t expect, size_t key_len,
	     const uint8_t *hash_key)
{
	size_t cap = 16;

	while (cap < 2 * expect)
		cap <<= 1;
	set->slot = calloc(cap, sizeof(*set->slot));
	set->mask = cap - 1;
	set->used = 0;
	set->key_len = key_len;
	set->hash_key = hash_key;
	return set->slot == NULL ? -1 : 0;
}

static size_t
cfg_set_hash(const struct cfg_set *set, const uint8_t *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, key, set->key_len, set->hash_key);
	memcpy(&v, h, sizeof(v));
	return (size_t)v;
}

static struct cfg_set_slot *
cfg_set_find(const struct cfg_set *set, const uint8_t *key)
{
	size_t i = cfg_set_hash(set, key) & set->mask;

	while (set->slot[i].key != NULL &&
	       memcmp(set->slot[i].key, key, set->key_len) != 0)
		i = (i + 1) & set->mask;
	return &set->slot[i];
}

static int
cfg_set_grow(struct cfg_set *set)
{
	struct cfg_set old = *set;
	size_t i;

	set->slot = calloc((old.mask + 1) * 2, sizeof(*set->slot));
	if (set->slot == NULL) {
		set->slot = old.slot;
		return -1;
	}
	set->mask = old.mask * 2 + 1;
	for (i = 0; i <= old.mask; i++)
		if (old.slot[i].key != NULL)
			*cfg_set_find(set, old.slot[i].key) = old.slot[i];
	free(old.slot);
	return 0;
}

/* 0: inserted; 1: already there, *first = where; -1: out of memory. */
static int
cfg_set_insert(struct cfg_set *set, const uint8_t *key,
	       const config_setting_t *where, const config_setting_t **first)
{
	struct cfg_set_slot *slot;

	if (2 * (set->used + 1) > set->mask + 1 && cfg_set_grow(set) < 0)
		return -1;
	slot = cfg_set_find(set, key);
	if (slot->key != NULL) {
		*first = slot->where;
		return 1;
	}
	slot->key = key;
	slot->where = where;
	set->used++;
	return 0;
}

struct cfg_peer_obj {
	struct wg_config_peer *peer;
	struct cfg_set keys;
	struct cfg_set ips;
};

/* Key text is never echoed, not even a public key: same rule for all. */
static int
cfg_peer_public_key(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_peer_obj *o = obj;
	const config_setting_t *first;
	char where[CFG_WHERE_LEN];
	int r;

	if (cfg_key(c, s, o->peer->public_key) < 0)
		return -1;
	if (wg_key_is_zero(o->peer->public_key))
		return cfg_error(c, s, "malformed key: a peer's public_key cannot be all zero");
	if (wg_key_equal(o->peer->public_key, c->cfg->public_key))
		return cfg_error(c, s, "peer public_key is this interface's own public key");
	r = cfg_set_insert(&o->keys, o->peer->public_key, s, &first);
	if (r < 0)
		return cfg_nomem(c, s);
	if (r > 0)
		return cfg_error(c, s, "duplicate peer: this public_key is already used at %s",
				 cfg_where(c, s, first, where));
	return 0;
}

static int
cfg_peer_preshared_key(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_peer_obj *o = obj;

	return cfg_key(c, s, o->peer->preshared_key);
}

/* One allowed IP: a masked prefix; a plain address is a /32 or /128. */
static int
cfg_allowed_ip(struct cfg_ctx *c, const config_setting_t *e,
	       struct cfg_peer_obj *o, struct wg_config_addr *a)
{
	char name[CFG_NAME_LEN], buf[CFG_ADDR_STRLEN], want[CFG_ADDR_STRLEN];
	struct wg_config_addr masked;
	const config_setting_t *first;
	char where[CFG_WHERE_LEN];
	const char *why;
	int r;

	/* Names only on error: cfg_name() costs a walk of the peer list. */
	if (cfg_parse_addr(config_setting_get_string(e), false, true, a,
			   &why) < 0)
		return cfg_error(c, e, "malformed address: '%s' %s",
				 cfg_name(e, name, sizeof(name)), why);
	masked = *a;
	cfg_addr_mask(&masked, a->prefix_len);
	/* wg(8) masks silently; a set host bit is more likely a typo. */
	if (memcmp(&masked, a, sizeof(masked)) != 0)
		return cfg_error(c, e, "'%s' = %s has host bits set (did you mean %s?)",
				 cfg_name(e, name, sizeof(name)),
				 cfg_addr_str(a, true, buf),
				 cfg_addr_str(&masked, true, want));
	r = cfg_set_insert(&o->ips, (const uint8_t *)a, e, &first);
	if (r < 0)
		return cfg_nomem(c, e);
	if (r > 0)
		return cfg_error(c, e, "duplicate allowed IP %s: already assigned at %s",
				 cfg_addr_str(a, true, buf),
				 cfg_where(c, e, first, where));
	if (a->family == WG_AF_INET6 && c->first_v6_allowed == NULL)
		c->first_v6_allowed = e;
	return 0;
}

static int
cfg_peer_allowed_ips(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_peer_obj *o = obj;
	struct wg_config_peer *peer = o->peer;
	unsigned int i, n;

	if (cfg_string_list(c, s, &n) < 0)
		return -1;
	peer->allowed_ips = calloc(n > 0 ? n : 1, sizeof(*peer->allowed_ips));
	if (peer->allowed_ips == NULL)
		return cfg_nomem(c, s);
	for (i = 0; i < n; i++) {
		if (cfg_allowed_ip(c, config_setting_get_elem(s, i), o,
				   &peer->allowed_ips[i]) < 0)
			return -1;
		peer->n_allowed_ips++;
	}
	return 0;
}

/* Endpoints are not echoed either: they identify users. */
static int
cfg_peer_endpoint(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_peer_obj *o = obj;
	struct wg_endpoint *ep = &o->peer->endpoint;
	const char *text, *why;
	uint8_t outer_family;

	if (cfg_string(c, s, &text) < 0)
		return -1;
	if (cfg_parse_endpoint(text, ep, &why) < 0)
		return cfg_error(c, s, "malformed endpoint: it %s", why);
	outer_family = ep->family == WG_AF_INET ? c->cfg->outer.ipv4.family :
		       c->cfg->outer.ipv6.family;
	if (outer_family == WG_AF_NONE)
		return cfg_error(c, s, "endpoint is IPv%u but 'ports.outer' has no ipv%u address",
				 ep->family, ep->family);
	return 0;
}

static int
cfg_peer_keepalive(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_peer_obj *o = obj;
	long long v;

	if (cfg_int(c, s, 0, UINT16_MAX, &v) < 0)
		return -1;
	o->peer->persistent_keepalive = (uint16_t)v;
	return 0;
}

static const struct cfg_field cfg_peer_fields[] = {
	{ "public_key", true, cfg_peer_public_key },
	{ "preshared_key", false, cfg_peer_preshared_key },
	{ "allowed_ips", false, cfg_peer_allowed_ips },
	{ "endpoint", false, cfg_peer_endpoint },
	{ "persistent_keepalive", false, cfg_peer_keepalive },
};

static int
cfg_peers_each(struct cfg_ctx *c, const config_setting_t *s,
	       struct cfg_peer_obj *o)
{
	struct wg_config *cfg = c->cfg;
	const config_setting_t *e;
	unsigned int i;

	for (i = 0; i < (unsigned int)config_setting_length(s); i++) {
		e = config_setting_get_elem(s, i);
		o->peer = &cfg->peers[i];
		o->peer->line = config_setting_source_line(e);
		/* Counted first: wg_config_free() must see a half-built peer. */
		cfg->n_peers++;
		if (cfg_parse_group(c, e, cfg_peer_fields,
				    sizeof(cfg_peer_fields) / sizeof(cfg_peer_fields[0]),
				    o) < 0)
			return -1;
	}
	return 0;
}

int
cfg_parse_peers(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct wg_config *cfg = obj;
	struct cfg_peer_obj o = { 0 };
	unsigned int n = (unsigned int)config_setting_length(s);
	int ret = -1;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY || n != 0) {
		if (cfg_type(c, s, CONFIG_TYPE_LIST) < 0)
			return -1;
	}
	if (n > WG_CONFIG_MAX_PEERS)
		return cfg_error(c, s, "'peers' has %u entries, out of range (at most %u)",
				 n, WG_CONFIG_MAX_PEERS);
	cfg->peers = calloc(n > 0 ? n : 1, sizeof(*cfg->peers));
	if (cfg->peers == NULL ||
	    cfg_set_init(&o.keys, n, WG_KEY_LEN, c->hash_key) < 0 ||
	    cfg_set_init(&o.ips, n, sizeof(struct wg_config_addr), c->hash_key) < 0)
		ret = cfg_nomem(c, s);
	else
		ret = cfg_peers_each(c, s, &o);
	free(o.keys.slot);
	free(o.ips.slot);
	return ret;
}
