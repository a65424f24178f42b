/* SPDX-License-Identifier: GPL-2.0-only */
/* The wgedge daemon's set-up steps (control/daemon*.c). */
#ifndef WG_DAEMON_H
#define WG_DAEMON_H

#include <stddef.h>

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

#endif /* WG_DAEMON_H */
