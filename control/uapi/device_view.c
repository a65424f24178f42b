/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device as UAPI "get" sees it: a pull-style view whose iterator reads
 * the model live, one peer at a time, so that a get of a million peers
 * needs no copy of the device (see wg_device_view_iter in device.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "device_priv.h"

/* Room for n prefixes in the iterator's buffer (not secret: no wipe). */
static int
aips_reserve(struct wg_device_view_iter *it, size_t n)
{
	struct wg_uapi_allowed_ip *a;
	size_t cap;

	if (n <= it->aips_cap)
		return 0;
	cap = it->aips_cap != 0 ? it->aips_cap : 16;
	while (cap < n)
		cap *= 2;
	a = realloc(it->aips, cap * sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	it->aips = a;
	it->aips_cap = cap;
	return 0;
}

static void
fill_peer(struct wg_device_view_iter *it, const struct wg_device_peer *p,
	  struct wg_uapi_peer_view *out)
{
	const struct wg_device_allowed_ip *a;
	size_t n = 0;

	memcpy(out->public_key, p->public_key, WG_KEY_LEN);
	memcpy(out->preshared_key, p->preshared_key, WG_KEY_LEN);
	out->endpoint = p->endpoint;
	out->last_handshake_time_sec = p->last_handshake_sec;
	out->last_handshake_time_nsec = p->last_handshake_nsec;
	out->rx_bytes = p->rx_bytes;
	out->tx_bytes = p->tx_bytes;
	out->persistent_keepalive_interval = p->persistent_keepalive;
	for (a = p->allowed_ips; a != NULL; a = a->next)
		it->aips[n++] = a->prefix;
	out->allowed_ips = it->aips;
	out->n_allowed_ips = n;
}

static int
view_next_peer(void *ctx, struct wg_uapi_peer_view *out)
{
	struct wg_device_view_iter *it = ctx;
	const struct wg_device *dev = it->dev;
	const struct wg_device_peer *p = NULL;

	if (it->budget == 0 || it->done)
		return 0;
	while (p == NULL && it->next_id < dev->next_unused)
		p = dev->slots[it->next_id++];
	if (p == NULL) {
		it->done = true;
		return 0;
	}
	if (aips_reserve(it, p->n_allowed_ips) != 0) {
		it->error = -ENOMEM;
		it->done = true;
		return -ENOMEM;
	}
	fill_peer(it, p, out);
	it->budget--;
	return 1;
}

void
wg_device_view(const struct wg_device *dev, struct wg_device_view_iter *it,
	       struct wg_uapi_device_view *view)
{
	memset(it, 0, sizeof(*it));
	it->dev = dev;
	it->budget = SIZE_MAX;
	memset(view, 0, sizeof(*view));
	if (dev->identity.has_identity)
		memcpy(view->private_key, dev->identity.static_private,
		       WG_KEY_LEN);
	view->listen_port = dev->listen_port;
	view->fwmark = dev->fwmark;
	view->next_peer = view_next_peer;
	view->ctx = it;
}

void
wg_device_view_release(struct wg_device_view_iter *it,
		       struct wg_uapi_device_view *view)
{
	free(it->aips);
	memset(it, 0, sizeof(*it));
	sodium_memzero(view, sizeof(*view));
}
