/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Orchestration's side of the address pool (which families it offers,
 * taking and giving back addresses, which allowed IPs are pool addresses),
 * addresses as text, and change sets built as the text lines a `wg set`
 * sends, so that they go through the very parser and apply wg(8) uses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

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
orch_feed(struct wg_uapi_set *s, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	rc = n < 0 || (size_t)n >= sizeof(line) ? -EINVAL :
	     wg_uapi_set_feed_line(s, line, (size_t)n);
	sodium_memzero(line, sizeof(line));
	return rc < 0 ? rc : 0;
}

int
orch_feed_key(struct wg_uapi_set *s, const char *name,
	      const uint8_t key[WG_KEY_LEN])
{
	char hex[WG_KEY_HEX_LEN + 1];
	int rc;

	wg_key_to_hex(hex, key);
	rc = orch_feed(s, "%s=%s", name, hex);
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

int
orch_feed_addr(struct wg_uapi_set *s, const struct wg_ippool_addr *a)
{
	char text[ORCH_ADDR_STRLEN];

	orch_addr_text(text, a);
	return orch_feed(s, "allowed_ip=%s/%u", text,
			 a->family == WG_AF_INET ? 32 : 128);
}

int
orch_feed_prefix(struct wg_uapi_set *s, const struct wg_uapi_allowed_ip *p)
{
	char text[ORCH_ADDR_STRLEN];

	orch_prefix_text(text, p);
	return orch_feed(s, "allowed_ip=%s", text);
}

int
orch_feed_end(struct wg_uapi_set *s)
{
	int rc = wg_uapi_set_feed_line(s, "", 0);

	return rc == WG_UAPI_SET_DONE ? 0 : rc < 0 ? rc : -EINVAL;
}
