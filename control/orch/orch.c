/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The orchestration socket's life: a listener on the control thread's
 * line server (control/server/), which claims <dir>/<ifname>.ctl and
 * serves the connections. The protocol is in orch_conn.c, the commands
 * in orch_cmd.c.
 */
#include <errno.h>
#include <stdio.h>

#include "orch_priv.h"
#include "unix_listen.h"

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
