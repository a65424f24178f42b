/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SIGHUP: the configuration file is read again and what may change at run
 * time is applied as one all-or-nothing set, as `wg syncconf` would apply
 * it: the private key, the listen port, idle_expiry, and the static peers
 * (a static peer that left the file is removed; every peer in the file is
 * set with replace_allowed_ips, and its preshared key and keepalive are
 * set even when absent, so that a removed one is cleared). Peers that the
 * control sockets added, and the sessions of every peer that stays, are
 * left alone. A change to anything else needs a restart: the reload is
 * then refused with the setting's name, and nothing changes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "daemon.h"
#include "keys.h"

static bool
str_arrays_equal(char **a, unsigned int na, char **b, unsigned int nb)
{
	unsigned int i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static bool
ports_equal(const struct wg_config_port *a, const struct wg_config_port *b)
{
	unsigned int i;

	if (strcmp(a->device, b->device) != 0 ||
	    memcmp(&a->ipv4, &b->ipv4, sizeof(a->ipv4)) != 0 ||
	    memcmp(&a->ipv6, &b->ipv6, sizeof(a->ipv6)) != 0 ||
	    memcmp(&a->gateway4, &b->gateway4, sizeof(a->gateway4)) != 0 ||
	    memcmp(&a->gateway6, &b->gateway6, sizeof(a->gateway6)) != 0 ||
	    a->n_neighbours != b->n_neighbours)
		return false;
	for (i = 0; i < a->n_neighbours; i++)
		if (memcmp(&a->neighbours[i], &b->neighbours[i],
			   sizeof(a->neighbours[i])) != 0)
			return false;
	return true;
}

/* The first setting that differs and cannot change at run time, or NULL. */
static const char *
frozen_change(const struct wg_config *a, const struct wg_config *b)
{
	if (strcmp(a->interface, b->interface) != 0)
		return "interface";
	if (!str_arrays_equal(a->eal_args, a->n_eal_args, b->eal_args, b->n_eal_args))
		return "eal_args";
	if (a->crypto != b->crypto)
		return "crypto";
	if (a->mtu != b->mtu)
		return "mtu";
	if (a->max_peers != b->max_peers)
		return "max_peers";
	if (!ports_equal(&a->outer, &b->outer))
		return "ports.outer";
	if (!ports_equal(&a->clear, &b->clear))
		return "ports.clear";
	if (a->control_lcore != b->control_lcore)
		return "control_lcore";
	if (a->n_workers != b->n_workers ||
	    memcmp(a->workers, b->workers, a->n_workers * sizeof(*a->workers)) != 0)
		return "workers";
	if (memcmp(&a->pool4, &b->pool4, sizeof(a->pool4)) != 0 ||
	    memcmp(&a->pool6, &b->pool6, sizeof(a->pool6)) != 0)
		return "address_pool";
	return NULL;
}

static bool
has_peer(const struct wg_config *cfg, const uint8_t key[WG_KEY_LEN])
{
	unsigned int i;

	for (i = 0; i < cfg->n_peers; i++)
		if (sodium_memcmp(cfg->peers[i].public_key, key, WG_KEY_LEN) == 0)
			return true;
	return false;
}

/* The set that takes the running gateway from old's state to new's. */
static int
reload_set(struct wg_uapi_set *s, const struct wg_config *old,
	   const struct wg_config *new)
{
	unsigned int i;
	int rc = 0;

	if (sodium_memcmp(old->private_key, new->private_key, WG_KEY_LEN) != 0)
		rc = wg_uapi_set_private_key(s, new->private_key);
	if (rc == 0 && old->listen_port != new->listen_port)
		rc = wg_uapi_set_listen_port(s, new->listen_port);
	for (i = 0; rc == 0 && i < old->n_peers; i++)
		if (!has_peer(new, old->peers[i].public_key))
			rc = wgd_set_peer_remove(s, old->peers[i].public_key);
	for (i = 0; rc == 0 && i < new->n_peers; i++)
		rc = wgd_set_peer(s, &new->peers[i], true);
	return rc == 0 ? wg_uapi_set_end(s) : rc;
}

int
wgd_reload(struct wg_control *c, const struct wg_config *old,
	   const struct wg_config *new, char *err, size_t errlen)
{
	const char *frozen = frozen_change(old, new);
	struct wg_uapi_set s;
	int rc;

	if (frozen != NULL) {
		snprintf(err, errlen, "'%s' cannot change while running: "
			 "restart wgedge for it (nothing was changed)", frozen);
		return -EINVAL;
	}
	wg_uapi_set_init(&s);
	rc = reload_set(&s, old, new);
	if (rc == 0)
		rc = wg_control_apply(c, &s);
	wg_uapi_set_free(&s);
	if (rc != 0) {
		snprintf(err, errlen, "the new peers were refused: %s "
			 "(nothing was changed)", strerror(-rc));
		return rc;
	}
	if (old->idle_expiry != new->idle_expiry)
		wg_control_set_idle_expiry(c, new->idle_expiry);
	return 0;
}
