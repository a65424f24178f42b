/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Idle expiry, the provider privacy feature: once a peer's latest handshake
 * is older than the configured age, everything that says where it is or
 * what it said goes: its endpoint (in the model and the dataplane), its
 * session keys, its handshake state and its staged packets are wiped. Its
 * public key, preshared key and allowed IPs stay, so it can come back by
 * handshaking again. The latest TAI64N timestamp stays too: it protects
 * against replay of old initiations, and says nothing of where the peer is.
 *
 * Checked in slices, WG_CONTROL_SCAN peers per poll, like the activity scan.
 * The wipe is final: the keys go first, then, after one grace period for
 * the whole slice, the endpoint. A worker that found a keypair just before
 * could otherwise roam after the wipe and write the endpoint back.
 */
#include "control_priv.h"
#include "dp.h"

/* After the grace period: no worker can roam the peer any more. */
static void
expire(struct wg_control *c, uint32_t slot)
{
	static const struct wg_endpoint none;

	wg_device_peer_set_endpoint(c->dev, slot, &none);
	wg_device_peer_set_handshake(c->dev, slot, 0, 0);
	wg_dp_peer_set_endpoint(c->dp, c->peers[slot].dp_id, NULL);
	c->stats.expired_peers++;
}

void
ctl_expiry_run(struct wg_control *c)
{
	uint32_t expiring[WG_CONTROL_SCAN], n = 0, i, slot;
	uint64_t now = ctl_now(c);

	if (c->idle_expiry_ns == 0)
		return;
	for (i = 0, slot = c->scan_cursor; i < WG_CONTROL_SCAN && i < c->max_peers;
	     i++, slot = (slot + 1) % c->max_peers) {
		const struct wg_control_peer *p = &c->peers[slot];

		if (p->in_use && p->last_handshake_ns != 0 &&
		    now - p->last_handshake_ns >= c->idle_expiry_ns) {
			ctl_peer_wipe_session(c, slot);
			expiring[n++] = slot;
		}
	}
	if (n == 0)
		return;
	wg_dp_synchronize(c->dp);
	for (i = 0; i < n; i++)
		expire(c, expiring[i]);
}
