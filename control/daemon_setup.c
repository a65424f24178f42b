/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * From a loaded configuration to a running gateway: the dataplane's
 * configuration, the neighbour module's addresses, and the interface's
 * identity and peers, which go in as one `set` through the very parser and
 * device model that wg(8)'s requests go through.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <sodium.h>

#include "daemon.h"
#include "keys.h"

int
wgd_dp_conf(const struct wg_config *cfg, struct wg_dp_conf *dc, char *err,
	    size_t errlen)
{
	const struct wg_config_port *ports[WG_DP_PORT_MAX] = { &cfg->outer, &cfg->clear };
	int r;

	memset(dc, 0, sizeof(*dc));
	for (r = 0; r < WG_DP_PORT_MAX; r++) {
		uint16_t id;

		if (rte_eth_dev_get_port_by_name(ports[r]->device, &id) != 0) {
			snprintf(err, errlen, "no DPDK device named '%s' (give it with "
				 "--vdev or bind a NIC)", ports[r]->device);
			return -ENODEV;
		}
		dc->port[r].port_id = id;
		memset(dc->port[r].nexthop_mac.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
	}
	dc->port[WG_DP_PORT_OUTER].has_ipv4 = cfg->outer.ipv4.family == WG_AF_INET;
	memcpy(dc->port[WG_DP_PORT_OUTER].ipv4, cfg->outer.ipv4.addr, 4);
	dc->port[WG_DP_PORT_OUTER].has_ipv6 = cfg->outer.ipv6.family == WG_AF_INET6;
	memcpy(dc->port[WG_DP_PORT_OUTER].ipv6, cfg->outer.ipv6.addr, 16);
	dc->name = "wgedge";
	dc->listen_port = cfg->listen_port;
	dc->mtu = cfg->mtu;
	dc->n_workers = cfg->n_workers;
	dc->max_peers = cfg->max_peers;
	dc->crypto_arch = (enum wg_crypto_arch)cfg->crypto;
	dc->socket_id = SOCKET_ID_ANY;
	return 0;
}

static void
neigh_port(struct wg_neigh *n, const struct wg_config_port *p)
{
	unsigned int i;

	if (p->ipv4.family == WG_AF_INET)
		wg_neigh_set_addr(n, WG_AF_INET, p->ipv4.addr, p->ipv4.prefix_len);
	if (p->ipv6.family == WG_AF_INET6)
		wg_neigh_set_addr(n, WG_AF_INET6, p->ipv6.addr, p->ipv6.prefix_len);
	if (p->gateway4.family == WG_AF_INET)
		wg_neigh_set_gateway(n, WG_AF_INET, p->gateway4.addr);
	if (p->gateway6.family == WG_AF_INET6)
		wg_neigh_set_gateway(n, WG_AF_INET6, p->gateway6.addr);
	for (i = 0; i < p->n_neighbours; i++)
		wg_neigh_add_static(n, p->neighbours[i].ip.family,
				    p->neighbours[i].ip.addr, p->neighbours[i].mac);
}

void
wgd_neigh_setup(struct wg_neigh_dp *n, struct wg_dp *dp, const struct wg_config *cfg)
{
	wg_neigh_dp_init(n, dp);
	neigh_port(&n->port[WG_DP_PORT_OUTER], &cfg->outer);
	neigh_port(&n->port[WG_DP_PORT_CLEAR], &cfg->clear);
	wg_neigh_dp_attach(n);
}

/* Feeds one formatted line; the buffer held a key: it is wiped. */
static int
feed(struct wg_uapi_set *s, const char *fmt, const char *a, unsigned int b)
{
	char line[256];
	int n = snprintf(line, sizeof(line), fmt, a, b);
	int rc = n < 0 || (size_t)n >= sizeof(line) ? -EINVAL :
		 wg_uapi_set_feed_line(s, line, (size_t)n);

	sodium_memzero(line, sizeof(line));
	return rc < 0 ? rc : 0;
}

static int
feed_key(struct wg_uapi_set *s, const char *name, const uint8_t key[WG_KEY_LEN])
{
	char hex[WG_KEY_HEX_LEN + 1], fmt[64];
	int rc;

	wg_key_to_hex(hex, key);
	snprintf(fmt, sizeof(fmt), "%s=%%s", name);
	rc = feed(s, fmt, hex, 0);
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

int
wgd_set_peer(struct wg_uapi_set *s, const struct wg_config_peer *p, bool sync)
{
	char text[64];
	unsigned int i;
	int rc = feed_key(s, "public_key", p->public_key);

	/* sync: what the file leaves out is cleared, not kept. */
	if (rc == 0 && sync)
		rc = feed(s, "replace_allowed_ips=true", "", 0);
	if (rc == 0 && (sync || !wg_key_is_zero(p->preshared_key)))
		rc = feed_key(s, "preshared_key", p->preshared_key);
	if (rc == 0 && p->endpoint.family != WG_AF_NONE) {
		wgd_endpoint_text(text, sizeof(text), &p->endpoint);
		rc = feed(s, "endpoint=%s", text, 0);
	}
	if (rc == 0 && (sync || p->persistent_keepalive != 0))
		rc = feed(s, "persistent_keepalive_interval=%s%u", "",
			  p->persistent_keepalive);
	for (i = 0; rc == 0 && i < p->n_allowed_ips; i++) {
		wgd_prefix_text(text, sizeof(text), &p->allowed_ips[i]);
		rc = feed(s, "allowed_ip=%s", text, 0);
	}
	return rc;
}

int
wgd_set_peer_remove(struct wg_uapi_set *s, const uint8_t key[WG_KEY_LEN])
{
	int rc = feed_key(s, "public_key", key);

	return rc == 0 ? feed(s, "remove=true", "", 0) : rc;
}

int
wgd_set_private_key(struct wg_uapi_set *s, const uint8_t key[WG_KEY_LEN])
{
	return feed_key(s, "private_key", key);
}

int
wgd_set_listen_port(struct wg_uapi_set *s, uint16_t port)
{
	return feed(s, "listen_port=%s%u", "", port);
}

int
wgd_set_end(struct wg_uapi_set *s)
{
	return wg_uapi_set_feed_line(s, "", 0) == WG_UAPI_SET_DONE ? 0 : -EINVAL;
}

int
wgd_apply_config(struct wg_control *c, const struct wg_config *cfg)
{
	struct wg_uapi_set s;
	unsigned int i;
	int rc;

	wg_uapi_set_init(&s);
	rc = wgd_set_private_key(&s, cfg->private_key);
	if (rc == 0)
		rc = wgd_set_listen_port(&s, cfg->listen_port);
	if (rc == 0)
		rc = feed(&s, "replace_peers=true", "", 0);
	for (i = 0; rc == 0 && i < cfg->n_peers; i++)
		rc = wgd_set_peer(&s, &cfg->peers[i], false);
	if (rc == 0)
		rc = wgd_set_end(&s);
	if (rc == 0)
		rc = wg_control_apply(c, &s);
	wg_uapi_set_free(&s);
	return rc;
}

void
wgd_endpoint_text(char *out, size_t cap, const struct wg_endpoint *e)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(e->family == WG_AF_INET ? AF_INET : AF_INET6, e->addr.v6, ip,
		  sizeof(ip));
	snprintf(out, cap, e->family == WG_AF_INET ? "%s:%u" : "[%s]:%u", ip, e->port);
}

void
wgd_prefix_text(char *out, size_t cap, const struct wg_config_addr *a)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(a->family == WG_AF_INET ? AF_INET : AF_INET6, a->addr, ip, sizeof(ip));
	snprintf(out, cap, "%s/%u", ip, a->prefix_len);
}
