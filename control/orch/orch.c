/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The orchestration socket's life: a listener on the control thread's
 * line server (control/server/), which claims <dir>/<ifname>.ctl and
 * serves the connections. The protocol is in orch_conn.c, the commands
 * in orch_cmd.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orch_priv.h"
#include "unix_listen.h"

/* The pool's shape, as the control thread's pool was made. */
static int
copy_pool(struct wg_orch_server *s, const struct wg_orch_server_config *cfg)
{
	const struct wg_ippool_prefix *r[2] = { cfg->pool_v4, cfg->pool_v6 };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		s->has_range[i] = r[i] != NULL;
		if (r[i] != NULL)
			s->range[i] = *r[i];
	}
	if (cfg->n_pool_fixed == 0)
		return 0;
	s->fixed = calloc(cfg->n_pool_fixed, sizeof(*s->fixed));
	if (s->fixed == NULL)
		return -ENOMEM;
	memcpy(s->fixed, cfg->pool_fixed, cfg->n_pool_fixed * sizeof(*s->fixed));
	s->n_fixed = cfg->n_pool_fixed;
	return 0;
}

int
wg_orch_server_open(struct wg_orch_server **out,
		    const struct wg_orch_server_config *cfg,
		    char *err, size_t errlen)
{
	struct wg_lsrv_listen_config lc = {
		.dir = cfg->dir != NULL ? cfg->dir : WG_ORCH_DIR,
		.ifname = cfg->ifname, .suffix = ".ctl", .proto = &orch_proto,
		.max_connections = cfg->max_connections,
		.idle_timeout_ms = cfg->idle_timeout_ms,
	};
	struct wg_lsrv_listener *l;
	struct wg_orch_server *s;
	int ret;

	*out = NULL;
	if (cfg->server == NULL || cfg->control == NULL)
		return wg_unix_fail(-EINVAL, err, errlen, "no server or control thread");
	ret = wg_lsrv_listen(cfg->server, &l, &lc, err, errlen);
	if (ret != 0)
		return ret;
	s = wg_lsrv_listener_ctx(l);
	s->lsn = l;
	s->ctl = cfg->control;
	snprintf(s->ifname, sizeof(s->ifname), "%s", cfg->ifname);
	if (copy_pool(s, cfg) != 0) {
		wg_lsrv_listener_close(l);
		return wg_unix_fail(-ENOMEM, err, errlen, "out of memory");
	}
	*out = s;
	return 0;
}

void
wg_orch_server_close(struct wg_orch_server *s)
{
	if (s != NULL)
		wg_lsrv_listener_close(s->lsn);	/* frees s */
}

unsigned int
wg_orch_server_connections(const struct wg_orch_server *s)
{
	return wg_lsrv_listener_connections(s->lsn);
}

const char *
wg_orch_server_path(const struct wg_orch_server *s)
{
	return wg_lsrv_listener_path(s->lsn);
}
