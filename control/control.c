/* SPDX-License-Identifier: GPL-2.0-only */
/* The control thread's life cycle and loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "control_priv.h"
#include "dp.h"
#include "ippool.h"
#include "orch.h"
#include "uapi_server.h"

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * WG_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t
default_monotonic(void *ctx)
{
	(void)ctx;
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t
default_realtime(void *ctx)
{
	(void)ctx;
	return clock_ns(CLOCK_REALTIME);
}

static int
control_alloc(struct wg_control *c, const struct wg_control_conf *conf)
{
	struct wg_device_config dc = {
		.max_peers = conf->max_peers,
		.observer = &ctl_observer,
		.observer_ctx = c,
	};
	uint32_t i;
	int rc;

	c->peers = calloc(conf->max_peers, sizeof(*c->peers));
	c->dp_to_slot = malloc(c->dp_max_peers * sizeof(*c->dp_to_slot));
	c->ratelimiter = wg_ratelimiter_create(WG_CONTROL_RATELIMIT_ENTRIES);
	if (c->peers == NULL || c->dp_to_slot == NULL || c->ratelimiter == NULL)
		return -ENOMEM;
	for (i = 0; i < c->dp_max_peers; i++)
		c->dp_to_slot[i] = WG_CONTROL_NO_ID;
	if (ctl_index_init(&c->index, conf->max_peers) != 0 ||
	    wg_timerq_init(&c->timerq, conf->max_peers) != 0)
		return -ENOMEM;
	rc = wg_device_create(&c->dev, &dc);
	return rc;
}

/* Before any peer exists: every allowed IP added later is reserved. */
static int
control_pool(struct wg_control *c, const struct wg_control_conf *conf)
{
	int e;

	if (conf->pool_v4 == NULL && conf->pool_v6 == NULL)
		return 0;
	c->pool = wg_ippool_create(conf->pool_v4, conf->pool_v6, conf->pool_fixed,
				   conf->n_pool_fixed);
	e = errno;
	if (c->pool != NULL)
		return 0;
	fprintf(stderr, "wgedge: address pool: %s\n", strerror(e));
	return -e;
}

static int
control_open_socket(struct wg_control *c, const struct wg_control_conf *conf)
{
	struct wg_uapi_server_config sc = { .ifname = conf->ifname, .device = c->dev };
	struct wg_orch_server_config oc = {
		.ifname = conf->ifname, .control = c,
		.pool_v4 = conf->pool_v4, .pool_v6 = conf->pool_v6,
		.pool_fixed = conf->pool_fixed, .n_pool_fixed = conf->n_pool_fixed,
	};
	char err[256];
	int rc = wg_uapi_server_open(&c->server, &sc, err, sizeof(err));

	if (rc != 0) {
		fprintf(stderr, "wgedge: control socket: %s\n", err);
		return rc;
	}
	rc = wg_orch_server_open(&c->orch, &oc, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "wgedge: orchestration socket: %s\n", err);
	return rc;
}

int
wg_control_create(struct wg_control **out, const struct wg_control_conf *conf)
{
	struct wg_control *c;
	int rc;

	/* Every model peer needs a dataplane peer. */
	if (conf->dp == NULL || conf->max_peers == 0 ||
	    conf->max_peers > wg_dp_max_peers(conf->dp))
		return -EINVAL;
	if (sodium_init() < 0)
		return -ENOTSUP;
	wg_noise_init();
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->dp = conf->dp;
	c->max_peers = conf->max_peers;
	c->dp_max_peers = wg_dp_max_peers(conf->dp);
	c->idle_expiry_ns = conf->idle_expiry_s * WG_NSEC_PER_SEC;
	c->scan_slice = conf->scan_slice != 0 ? conf->scan_slice : WG_CONTROL_SCAN;
	c->monotonic_ns = conf->monotonic_ns ? conf->monotonic_ns : default_monotonic;
	c->realtime_ns = conf->realtime_ns ? conf->realtime_ns : default_realtime;
	c->clock_ctx = conf->clock_ctx;
	rc = control_alloc(c, conf);
	if (rc == 0)
		rc = control_pool(c, conf);
	if (rc == 0 && conf->serve_socket)
		rc = control_open_socket(c, conf);
	if (rc != 0) {
		wg_control_destroy(c);
		return rc;
	}
	*out = c;
	return 0;
}

void
wg_control_destroy(struct wg_control *c)
{
	if (c == NULL)
		return;
	wg_orch_server_close(c->orch);
	wg_uapi_server_close(c->server);
	/* No observer events on destroy: the dataplane goes with it. */
	wg_device_destroy(c->dev);
	wg_ippool_destroy(c->pool);
	if (c->peers != NULL)
		sodium_memzero(c->peers, c->max_peers * sizeof(*c->peers));
	free(c->peers);
	free(c->dp_to_slot);
	wg_ratelimiter_destroy(c->ratelimiter);
	ctl_index_free(&c->index);
	wg_timerq_free(&c->timerq);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

int
wg_control_apply(struct wg_control *c, const struct wg_uapi_set *set)
{
	return wg_device_apply(c->dev, set);
}

void
wg_control_poll(struct wg_control *c, int timeout_ms)
{
	uint64_t now;

	/* Both sockets are served; only one of them may wait. */
	if (c->orch != NULL)
		wg_orch_server_poll(c->orch, c->server != NULL ? 0 : timeout_ms);
	if (c->server != NULL)
		wg_uapi_server_poll(c->server, timeout_ms);
	ctl_handshake_rx(c);
	ctl_events_run(c);
	ctl_timers_run(c);
	ctl_expiry_run(c);
	ctl_activity_scan(c);
	now = ctl_now(c);
	if (now - c->last_gc_ns >= RATELIMIT_GC_AGE_NS) {
		wg_ratelimiter_gc(c->ratelimiter, now);
		wg_dp_reclaim(c->dp);
		c->last_gc_ns = now;
	}
}

void
wg_control_run(struct wg_control *c, volatile bool *stop)
{
	while (!*stop)
		wg_control_poll(c, 1);
}

const struct wg_device *
wg_control_device(const struct wg_control *c)
{
	return c->dev;
}

uint32_t
wg_control_idle_expiry(const struct wg_control *c)
{
	return (uint32_t)(c->idle_expiry_ns / WG_NSEC_PER_SEC);
}

void
wg_control_set_idle_expiry(struct wg_control *c, uint32_t seconds)
{
	c->idle_expiry_ns = (uint64_t)seconds * WG_NSEC_PER_SEC;
}

void
wg_control_stats_get(const struct wg_control *c, struct wg_control_stats *st)
{
	*st = c->stats;
}
