/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Mirrors the device model into the dataplane and into the control
 * thread's per-peer protocol state, through the model's observer: every
 * change `wg set` makes arrives here after validation, and cannot fail in
 * the model. Before that, the reserve step asks whether the dataplane's
 * route tables can take the prefixes the set may add (a budget, see
 * wg_dp_route_budget_start()), and a set that cannot fit is refused whole
 * (-ENOSPC). A route the tables still refuse in the apply phase (which
 * the budget rules out) is reported on stderr and leaves the peer without
 * it. The route changes of one apply go to the dataplane as one batch:
 * workers see all of them at once, after one RCU grace period (not one
 * per route).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "control_priv.h"
#include "dp.h"
#include "ippool.h"

struct wg_control_peer *
ctl_peer_by_dp(struct wg_control *c, uint32_t dp_id, uint32_t *slot)
{
	uint32_t s;

	if (dp_id >= c->dp_max_peers)
		return NULL;
	s = c->dp_to_slot[dp_id];
	if (s == WG_CONTROL_NO_ID || !c->peers[s].in_use)
		return NULL;
	*slot = s;
	return &c->peers[s];
}

void
ctl_peer_wipe_session(struct wg_control *c, uint32_t slot)
{
	struct wg_control_peer *p = &c->peers[slot];

	wg_dp_peer_keypairs_clear(c->dp, p->dp_id);
	wg_dp_peer_purge_staged(c->dp, p->dp_id);
	ctl_index_del(&c->index, p->hs_index);
	p->hs_index = 0;
	wg_noise_handshake_clear(&p->hs);
	wg_timers_stop(&p->timers);
	wg_timerq_cancel(&c->timerq, slot);
	p->last_handshake_ns = 0;
}

static int
on_reserve_prefixes(void *ctx, const struct wg_device_prefix_demand *d)
{
	struct wg_control *c = ctx;
	struct wg_dp_route_budget *b;
	const struct wg_uapi_allowed_ip *a;
	size_t i;
	int rc = 0;

	b = wg_dp_route_budget_start(c->dp, d->from_empty);
	if (b == NULL)
		return -ENOMEM;
	for (i = 0; rc == 0 && i < d->n; i++) {
		a = d->prefixes[i];
		rc = wg_dp_route_budget_charge(b, a->family, a->addr, a->cidr);
	}
	wg_dp_route_budget_end(b);
	return rc;
}

static void
on_apply_begin(void *ctx)
{
	struct wg_control *c = ctx;

	wg_dp_routes_batch_begin(c->dp);
}

static void
on_apply_end(void *ctx)
{
	struct wg_control *c = ctx;

	wg_dp_routes_batch_end(c->dp);
}

/*
 * Our private key changed: as Linux's wg_noise_expire_current_peer_keypairs
 * (and wireguard-go's ExpireCurrentKeypairs), nothing is sent with the
 * sessions made under the old key and the handshake in flight is
 * forgotten, but the sessions keep receiving, staged packets and timers
 * stay, and the rate limit is reset so that the next packet's initiation
 * (under the new key) goes out at once.
 */
static void
expire_current_keypairs(struct wg_control *c, uint32_t slot)
{
	struct wg_control_peer *p = &c->peers[slot];

	wg_dp_peer_expire_sending(c->dp, p->dp_id);
	ctl_index_del(&c->index, p->hs_index);
	p->hs_index = 0;
	wg_noise_handshake_clear(&p->hs);
	p->timers.last_sent_handshake_ns = 0;
}

static void
on_identity_changed(void *ctx, const struct wg_noise_identity *id)
{
	struct wg_control *c = ctx;
	const struct wg_device_peer *dp_peer = NULL;

	c->identity = *id;
	wg_cookie_checker_init(&c->checker, id->has_identity ? id->static_public : NULL);
	wg_dp_set_mac1_key(c->dp, id->has_identity ? c->checker.message_mac1_key : NULL);
	while ((dp_peer = wg_device_peer_next(c->dev, dp_peer)) != NULL) {
		wg_noise_precompute_static_static(&c->peers[dp_peer->id].hs, id);
		expire_current_keypairs(c, dp_peer->id);
	}
}

static void
on_listen_port_changed(void *ctx, uint16_t old_port, uint16_t new_port)
{
	struct wg_control *c = ctx;

	(void)old_port;
	/* 0 means "unset": keep the port the dataplane was started with. */
	if (new_port != 0)
		wg_dp_set_listen_port(c->dp, new_port);
}

static void
set_dp_endpoint(struct wg_control *c, const struct wg_device_peer *peer)
{
	wg_dp_peer_set_endpoint(c->dp, c->peers[peer->id].dp_id, &peer->endpoint);
}

static void
on_peer_added(void *ctx, const struct wg_device_peer *peer)
{
	struct wg_control *c = ctx;
	struct wg_control_peer *p = &c->peers[peer->id];
	int id = wg_dp_peer_add(c->dp);

	/* The model's max_peers never exceeds the dataplane's. */
	if (id < 0) {
		fprintf(stderr, "wgedge: dataplane refused a peer: %s\n", strerror(-id));
		return;
	}
	memset(p, 0, sizeof(*p));
	p->in_use = true;
	p->dp_id = (uint32_t)id;
	c->dp_to_slot[id] = peer->id;
	wg_noise_handshake_init(&p->hs, &c->identity, peer->public_key,
				peer->preshared_key);
	wg_cookie_init(&p->cookie, peer->public_key);
	wg_timers_init(&p->timers, 0);
	wg_timers_set_persistent_keepalive(&p->timers, peer->persistent_keepalive,
					   ctl_now(c));
	ctl_timers_rearm(c, peer->id);
	if (peer->endpoint.family != WG_AF_NONE)
		set_dp_endpoint(c, peer);
}

static void
on_peer_removed(void *ctx, const struct wg_device_peer *peer)
{
	struct wg_control *c = ctx;
	struct wg_control_peer *p = &c->peers[peer->id];

	if (!p->in_use)
		return;
	ctl_index_del(&c->index, p->hs_index);
	wg_timerq_cancel(&c->timerq, peer->id);
	/* Removal wipes the dataplane's keys, routes and staged packets. */
	wg_dp_peer_remove(c->dp, p->dp_id);
	c->dp_to_slot[p->dp_id] = WG_CONTROL_NO_ID;
	sodium_memzero(p, sizeof(*p));
}

static void
on_peer_psk_changed(void *ctx, const struct wg_device_peer *peer)
{
	struct wg_control *c = ctx;

	memcpy(c->peers[peer->id].hs.preshared_key, peer->preshared_key,
	       sizeof(peer->preshared_key));
}

static void
on_peer_endpoint_changed(void *ctx, const struct wg_device_peer *peer)
{
	set_dp_endpoint(ctx, peer);
}

static void
on_peer_keepalive_changed(void *ctx, const struct wg_device_peer *peer,
			  uint16_t old_interval)
{
	struct wg_control *c = ctx;

	(void)old_interval;
	wg_timers_set_persistent_keepalive(&c->peers[peer->id].timers,
					   peer->persistent_keepalive, ctl_now(c));
	ctl_timers_rearm(c, peer->id);
}

/*
 * The address pool mirrors the allowed-IP table: an address of the pool's
 * ranges is in use exactly while some peer holds it as a /32 or /128, so
 * that `wg set` of such an address cannot later be handed to someone else,
 * and a removed peer's addresses (each announced as allowed_ip_removed
 * before peer_removed) go back. Orchestration allocates an address before
 * its apply; the reservation here then finds it in use, which is fine.
 */
static bool
pool_addr(const struct wg_control *c, const struct wg_uapi_allowed_ip *prefix,
	  struct wg_ippool_addr *a)
{
	if (c->pool == NULL ||
	    prefix->cidr != (prefix->family == WG_AF_INET ? 32 : 128))
		return false;
	memset(a, 0, sizeof(*a));
	a->family = prefix->family;
	memcpy(a->addr.v6, prefix->addr, sizeof(a->addr.v6));
	return true;
}

static void
pool_reserve(struct wg_control *c, const struct wg_uapi_allowed_ip *prefix)
{
	struct wg_ippool_addr a;

	/* -EEXIST: already in use; -ERANGE: not the pool's business. */
	if (pool_addr(c, prefix, &a) && wg_ippool_reserve(c->pool, &a) == -ENOMEM)
		fprintf(stderr, "wgedge: address pool: cannot reserve an allowed IP: %s\n",
			strerror(ENOMEM));
}

static void
pool_release(struct wg_control *c, const struct wg_uapi_allowed_ip *prefix)
{
	struct wg_ippool_addr a;

	/* -ENOENT: outside the ranges; -EPERM: a fixed address stays. */
	if (pool_addr(c, prefix, &a))
		wg_ippool_free(c->pool, &a);
}

static void
on_allowed_ip_added(void *ctx, const struct wg_device_peer *peer,
		    const struct wg_uapi_allowed_ip *prefix,
		    const struct wg_device_peer *from)
{
	struct wg_control *c = ctx;
	int rc;

	/* the dataplane moves a prefix held by another peer */
	if (from == NULL)
		pool_reserve(c, prefix);
	rc = wg_dp_allowed_ip_add(c->dp, c->peers[peer->id].dp_id, prefix->family,
				  prefix->addr, prefix->cidr);
	if (rc < 0)
		fprintf(stderr, "wgedge: dataplane refused an allowed IP: %s\n",
			strerror(-rc));
}

static void
on_allowed_ip_removed(void *ctx, const struct wg_device_peer *peer,
		      const struct wg_uapi_allowed_ip *prefix)
{
	struct wg_control *c = ctx;

	wg_dp_allowed_ip_remove(c->dp, c->peers[peer->id].dp_id, prefix->family,
				prefix->addr, prefix->cidr);
	pool_release(c, prefix);
}

const struct wg_device_observer ctl_observer = {
	.reserve_prefixes = on_reserve_prefixes,
	.apply_begin = on_apply_begin,
	.apply_end = on_apply_end,
	.identity_changed = on_identity_changed,
	.listen_port_changed = on_listen_port_changed,
	.peer_added = on_peer_added,
	.peer_removed = on_peer_removed,
	.peer_psk_changed = on_peer_psk_changed,
	.peer_endpoint_changed = on_peer_endpoint_changed,
	.peer_keepalive_changed = on_peer_keepalive_changed,
	.allowed_ip_added = on_allowed_ip_added,
	.allowed_ip_removed = on_allowed_ip_removed,
};
