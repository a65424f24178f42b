/* SPDX-License-Identifier: GPL-2.0-only */
/* The wgedge daemon's set-up steps (control/daemon*.c). */
#ifndef WG_DAEMON_H
#define WG_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "control.h"
#include "dp.h"
#include "neigh_dp.h"

/* The dataplane's configuration; the ports must be probed. 0 or -errno. */
int wgd_dp_conf(const struct wg_config *cfg, struct wg_dp_conf *dc, char *err,
		size_t errlen);
/* Addresses, gateways and static neighbours of both ports; attaches. */
void wgd_neigh_setup(struct wg_neigh_dp *n, struct wg_dp *dp,
		     const struct wg_config *cfg);
/* Identity, listen port and peers, as one all-or-nothing set. */
int wgd_apply_config(struct wg_control *c, const struct wg_config *cfg);
/*
 * SIGHUP (daemon_reload.c): from the running configuration old to new, as
 * `wg syncconf` would, leaving the peers the sockets added and the
 * sessions of unchanged peers alone. 0, or a negative errno and a message
 * in err (a setting that needs a restart, or a refused set); then nothing
 * changed.
 */
int wgd_reload(struct wg_control *c, const struct wg_config *old,
	       const struct wg_config *new, char *err, size_t errlen);

/* A static peer into a change set (0 or a negative errno); with sync,
 * its allowed IPs are replaced and what p leaves out is cleared. */
int wgd_set_peer(struct wg_uapi_set *s, const struct wg_config_peer *p, bool sync);
int wgd_set_peer_remove(struct wg_uapi_set *s, const uint8_t key[WG_KEY_LEN]);

#endif /* WG_DAEMON_H */
