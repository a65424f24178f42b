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
#include "line_server.h"
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
	if (ctl_index_init(&c->index, c->dp, conf->max_peers) != 0 ||
	    wg_timerq_init(&c->timerq, conf->max_peers) != 0)
		return -ENOMEM;
	rc = wg_device_create(&c->dev, &dc);
	return rc;
}

/* The pool's shape, kept for wg_control_pool_range() and _holds(). */
static int
control_pool_shape(struct wg_control *c, const struct wg_control_conf *conf)
{
	const struct wg_ippool_prefix *r[2] = { conf->pool_v4, conf->pool_v6 };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		c->pool_has[i] = r[i] != NULL;
		if (r[i] != NULL)
			c->pool_range[i] = *r[i];
	}
	if (conf->n_pool_fixed == 0)
		return 0;
	c->pool_fixed = calloc(conf->n_pool_fixed, sizeof(*c->pool_fixed));
	if (c->pool_fixed == NULL)
		return -ENOMEM;
	memcpy(c->pool_fixed, conf->pool_fixed,
	       conf->n_pool_fixed * sizeof(*c->pool_fixed));
	c->n_pool_fixed = conf->n_pool_fixed;
	return 0;
}

/* Before any peer exists: every allowed IP added later is reserved. */
static int
control_pool(struct wg_control *c, const struct wg_control_conf *conf)
{
	int e;

	if (conf->pool_v4 == NULL && conf->pool_v6 == NULL)
		return 0;
	if (control_pool_shape(c, conf) != 0)
		return -ENOMEM;
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
	struct wg_uapi_server_config sc = {
		.server = c->lsrv, .ifname = conf->ifname, .device = c->dev,
	};
	char err[256];
	int rc = wg_uapi_server_open(&c->server, &sc, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "wgedge: control socket: %s\n", err);
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
		rc = wg_lsrv_create(&c->lsrv);
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
	/* The sockets first: a get in progress holds a view of the device. */
	wg_lsrv_destroy(c->lsrv);
	/* No observer events on destroy: the dataplane goes with it. */
	wg_device_destroy(c->dev);
	wg_ippool_destroy(c->pool);
	free(c->pool_fixed);
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

/* The control thread never sleeps while a ring from the workers holds work. */
static int
sleep_ms(const struct wg_control *c, int timeout_ms)
{
	return wg_dp_control_busy(c->dp) ? 0 : timeout_ms;
}

void
wg_control_poll(struct wg_control *c, int timeout_ms)
{
	uint64_t now;

	timeout_ms = sleep_ms(c, timeout_ms);
	/* Both sockets, one epoll set. */
	wg_lsrv_poll(c->lsrv, timeout_ms);
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
