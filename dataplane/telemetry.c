/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DPDK telemetry under /wgedge/, and the process-wide list of instances it
 * reads. These, and the once-only registration, are the only process-wide
 * state of the dataplane. Commands take the instance name as parameter (it
 * may be left out when there is one instance):
 *
 *   /wgedge/list                  instance names
 *   /wgedge/stats,<name>          summed worker and control counters
 *   /wgedge/drops,<name>          every drop reason and its count
 *   /wgedge/peers,<name>[,<id>]   live peers' counters from id on (a page)
 *
 * Callbacks run on the telemetry thread and hold the registry lock while
 * they read an instance, so wg_dp_destroy() (which unregisters first) never
 * frees one under them. Nothing secret is shown: no keys, no endpoints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "dp_priv.h"

enum {
	REGISTRY_MAX = 64,
	PEERS_PAGE = 32
};

static rte_spinlock_t registry_lock = RTE_SPINLOCK_INITIALIZER;
static struct wg_dp *registry[REGISTRY_MAX];
static bool commands_registered;

void
dp_registry_add(struct wg_dp *dp)
{
	unsigned int i;

	rte_spinlock_lock(&registry_lock);
	for (i = 0; i < REGISTRY_MAX && registry[i] != NULL; i++)
		;
	if (i < REGISTRY_MAX)
		registry[i] = dp;
	rte_spinlock_unlock(&registry_lock);
}

void
dp_registry_del(struct wg_dp *dp)
{
	unsigned int i;

	rte_spinlock_lock(&registry_lock);
	for (i = 0; i < REGISTRY_MAX; i++)
		if (registry[i] == dp)
			registry[i] = NULL;
	rte_spinlock_unlock(&registry_lock);
}

/* Registry lock held. name may be NULL/empty: the only instance. */
static struct wg_dp *
registry_find(const char *name, size_t len)
{
	struct wg_dp *only = NULL;
	unsigned int i, n = 0;

	for (i = 0; i < REGISTRY_MAX; i++) {
		if (registry[i] == NULL)
			continue;
		if (len != 0 && strlen(registry[i]->name) == len &&
		    strncmp(registry[i]->name, name, len) == 0)
			return registry[i];
		only = registry[i];
		n++;
	}
	return len == 0 && n == 1 ? only : NULL;
}

/* "name[,rest]": the name's length; *rest after the comma or NULL. */
static size_t
param_name(const char *params, const char **rest)
{
	const char *comma;

	*rest = NULL;
	if (params == NULL)
		return 0;
	comma = strchr(params, ',');
	if (comma == NULL)
		return strlen(params);
	*rest = comma + 1;
	return (size_t)(comma - params);
}

static int
tel_list(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned int i;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	rte_spinlock_lock(&registry_lock);
	for (i = 0; i < REGISTRY_MAX; i++)
		if (registry[i] != NULL)
			rte_tel_data_add_array_string(d, registry[i]->name);
	rte_spinlock_unlock(&registry_lock);
	return 0;
}

/* Copies an instance's counters out under the lock. */
static int
stats_of(const char *params, struct wg_dp_stats *st, char name[WG_DP_NAME_MAX + 1])
{
	const char *rest;
	size_t len = param_name(params, &rest);
	struct wg_dp *dp;

	rte_spinlock_lock(&registry_lock);
	dp = registry_find(params, len);
	if (dp != NULL) {
		wg_dp_stats_get(dp, st);
		memcpy(name, dp->name, WG_DP_NAME_MAX + 1);
	}
	rte_spinlock_unlock(&registry_lock);
	return dp == NULL ? -EINVAL : 0;
}

#define STAT(field) { #field, offsetof(struct wg_dp_stats, field) }
static const struct {
	const char *name;
	size_t off;
} stat_fields[] = {
	STAT(outer_rx_packets), STAT(outer_rx_bytes),
	STAT(outer_tx_packets), STAT(outer_tx_bytes),
	STAT(clear_rx_packets), STAT(clear_rx_bytes),
	STAT(clear_tx_packets), STAT(clear_tx_bytes),
	STAT(decrypted), STAT(encrypted), STAT(keepalives_rx),
	STAT(handshakes_rx), STAT(staged), STAT(roamed), STAT(events_lost),
	STAT(grace_periods),
	STAT(icmp_sent), STAT(icmp_ratelimited), STAT(icmp_unsent),
	STAT(frags_rx), STAT(reassembled),
};
#undef STAT

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char name[WG_DP_NAME_MAX + 1];
	struct wg_dp_stats st;
	unsigned int i;

	RTE_SET_USED(cmd);
	if (stats_of(params, &st, name) != 0)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", name);
	for (i = 0; i < RTE_DIM(stat_fields); i++)
		rte_tel_data_add_dict_u64(d, stat_fields[i].name,
			*(const uint64_t *)((const char *)&st + stat_fields[i].off));
	rte_tel_data_add_dict_u64(d, "drops", wg_dp_drops_total(&st));
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char name[WG_DP_NAME_MAX + 1];
	struct wg_dp_stats st;
	unsigned int r;

	RTE_SET_USED(cmd);
	if (stats_of(params, &st, name) != 0)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	for (r = 0; r < WG_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(d, wg_dp_drop_name(r), st.drops[r]);
	return 0;
}

static struct rte_tel_data *
peer_dict(const struct wg_dp_peer_stats *ps)
{
	struct rte_tel_data *c = rte_tel_data_alloc();

	if (c == NULL)
		return NULL;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_u64(c, "rx_packets", ps->rx_packets);
	rte_tel_data_add_dict_u64(c, "rx_bytes", ps->rx_bytes);
	rte_tel_data_add_dict_u64(c, "tx_packets", ps->tx_packets);
	rte_tel_data_add_dict_u64(c, "tx_bytes", ps->tx_bytes);
	rte_tel_data_add_dict_u64(c, "last_rx_ns", ps->last_rx_ns);
	rte_tel_data_add_dict_u64(c, "last_tx_ns", ps->last_tx_ns);
	rte_tel_data_add_dict_u64(c, "staged", ps->staged);
	return c;
}

/* Fills d with a page of live peers from first on; the id to go on from. */
static uint32_t
peers_page(struct wg_dp *dp, uint32_t first, struct rte_tel_data *d)
{
	struct wg_dp_peer_stats ps;
	struct rte_tel_data *c;
	unsigned int n = 0;
	char key[16];
	uint32_t id;

	for (id = first; id < dp->max_peers && n < PEERS_PAGE; id++) {
		if (wg_dp_peer_stats_get(dp, id, &ps) != 0)
			continue;
		c = peer_dict(&ps);
		if (c == NULL)
			break;
		snprintf(key, sizeof(key), "%u", id);
		rte_tel_data_add_dict_container(d, key, c, 0);
		n++;
	}
	return id;
}

static int
tel_peers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const char *rest;
	size_t len = param_name(params, &rest);
	uint32_t first = rest != NULL ? (uint32_t)strtoul(rest, NULL, 10) : 0;
	struct wg_dp *dp;
	uint32_t next;

	RTE_SET_USED(cmd);
	rte_tel_data_start_dict(d);
	rte_spinlock_lock(&registry_lock);
	dp = registry_find(params, len);
	if (dp == NULL) {
		rte_spinlock_unlock(&registry_lock);
		return -EINVAL;
	}
	next = peers_page(dp, first, d);
	if (next < dp->max_peers)
		rte_tel_data_add_dict_u64(d, "next", next);
	rte_spinlock_unlock(&registry_lock);
	return 0;
}

int
wg_dp_telemetry_register(void)
{
	int rc = 0;

	rte_spinlock_lock(&registry_lock);
	if (!commands_registered) {
		rc = rte_telemetry_register_cmd("/wgedge/list", tel_list,
			"wgedge dataplane instances");
		rc |= rte_telemetry_register_cmd("/wgedge/stats", tel_stats,
			"Counters of an instance. Parameter: name");
		rc |= rte_telemetry_register_cmd("/wgedge/drops", tel_drops,
			"Drops by reason. Parameter: name");
		rc |= rte_telemetry_register_cmd("/wgedge/peers", tel_peers,
			"Per-peer counters, a page. Parameters: name[,first id]");
		commands_registered = rc == 0;
	}
	rte_spinlock_unlock(&registry_lock);
	return rc == 0 ? 0 : -EINVAL;
}
