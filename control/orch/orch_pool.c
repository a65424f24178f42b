/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Orchestration's side of the address pool (which families it offers,
 * taking and giving back addresses, which allowed IPs are pool addresses),
 * and addresses as text and as allowed IPs of a change set (built with
 * uapi.h's builder, which checks as the parser of wg(8)'s lines does).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "orch_priv.h"

static const uint8_t orch_af[2] = { WG_AF_INET, WG_AF_INET6 };

unsigned int
orch_pool_families(const struct wg_orch_server *s)
{
	struct wg_ippool_prefix r;

	return (wg_control_pool_range(s->ctl, WG_AF_INET, &r) ? ORCH_FAM4 : 0) |
	       (wg_control_pool_range(s->ctl, WG_AF_INET6, &r) ? ORCH_FAM6 : 0);
}

int
orch_pool_alloc(struct wg_control *c, unsigned int fam,
		struct wg_ippool_addr out[2], unsigned int *failed_fam)
{
	unsigned int i;
	int rc;

	memset(out, 0, 2 * sizeof(*out));
	for (i = 0; i < 2; i++) {
		if (!(fam & (1u << i)))
			continue;
		rc = wg_control_pool_alloc(c, orch_af[i], &out[i]);
		if (rc != 0) {
			out[i].family = WG_AF_NONE;
			orch_pool_free(c, out);
			memset(out, 0, 2 * sizeof(*out));
			*failed_fam = 1u << i;
			return rc;
		}
	}
	return 0;
}

void
orch_pool_free(struct wg_control *c, const struct wg_ippool_addr a[2])
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (a[i].family != WG_AF_NONE)
			wg_control_pool_free(c, &a[i]);
}

bool
orch_is_pool_prefix(const struct wg_orch_server *s,
		    const struct wg_uapi_allowed_ip *p)
{
	return wg_control_pool_holds(s->ctl, p);
}

void
orch_addr_text(char buf[ORCH_ADDR_STRLEN], const struct wg_ippool_addr *a)
{
	if (inet_ntop(a->family == WG_AF_INET ? AF_INET : AF_INET6, a->addr.v6,
		      buf, ORCH_ADDR_STRLEN) == NULL)
		snprintf(buf, ORCH_ADDR_STRLEN, "?");
}

void
orch_prefix_text(char buf[ORCH_ADDR_STRLEN], const struct wg_uapi_allowed_ip *p)
{
	char ip[INET6_ADDRSTRLEN];

	if (inet_ntop(p->family == WG_AF_INET ? AF_INET : AF_INET6, p->addr, ip,
		      sizeof(ip)) == NULL)
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, ORCH_ADDR_STRLEN, "%s/%u", ip, p->cidr);
}

void
orch_json_addr(struct orch_conn *c, const struct wg_ippool_addr *a)
{
	char text[ORCH_ADDR_STRLEN];

	if (a->family == WG_AF_NONE) {
		orch_write(c, "null", 4);
		return;
	}
	orch_addr_text(text, a);
	orch_printf(c, "\"%s\"", text);
}

/* ---- change sets -------------------------------------------------------- */

int
orch_set_pool_addr(struct wg_uapi_set *s, const struct wg_ippool_addr *a)
{
	struct wg_uapi_allowed_ip ip = {
		.family = a->family,
		.cidr = a->family == WG_AF_INET ? 32 : 128,
	};

	memcpy(ip.addr, a->addr.v6, a->family == WG_AF_INET ? 4 : 16);
	return wg_uapi_set_peer_allowed_ip(s, &ip);
}
