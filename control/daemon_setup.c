/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * From a loaded configuration to a running gateway: the dataplane's
 * configuration, the neighbour module's addresses, and the interface's
 * identity and peers, which go in as one change set (built with uapi.h's
 * builder, checked as a parsed request is) through the device model that
 * wg(8)'s requests go through.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "daemon.h"
#include "keys.h"

/*
 * The configuration (plain C, no dataplane headers) names the crypto
 * backends with its own enum; wgd_dp_conf() hands it to the dataplane by
 * value, so the two must agree value for value (and their names, in
 * config.c and crypto.c, in the same order).
 */
static_assert((int)WG_CONFIG_CRYPTO_AUTO == (int)WG_CRYPTO_AUTO &&
	      (int)WG_CONFIG_CRYPTO_AVX512 == (int)WG_CRYPTO_AVX512 &&
	      (int)WG_CONFIG_CRYPTO_AVX2 == (int)WG_CRYPTO_AVX2 &&
	      (int)WG_CONFIG_CRYPTO_SSE == (int)WG_CRYPTO_SSE &&
	      (int)WG_CONFIG_CRYPTO_SODIUM == (int)WG_CRYPTO_SODIUM &&
	      (int)WG_CONFIG_CRYPTO_MB512 == (int)WG_CRYPTO_MB512,
	      "enum wg_config_crypto and enum wg_crypto_arch differ");

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
	/* Outer: WireGuard's addresses; clear: the source of ICMP errors. */
	for (r = 0; r < WG_DP_PORT_MAX; r++) {
		dc->port[r].has_ipv4 = ports[r]->ipv4.family == WG_AF_INET;
		memcpy(dc->port[r].ipv4, ports[r]->ipv4.addr, 4);
		dc->port[r].has_ipv6 = ports[r]->ipv6.family == WG_AF_INET6;
		memcpy(dc->port[r].ipv6, ports[r]->ipv6.addr, 16);
	}
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

/* One configured peer as a section of the change set. */
int
wgd_set_peer(struct wg_uapi_set *s, const struct wg_config_peer *p, bool sync)
{
	struct wg_uapi_allowed_ip a;
	unsigned int i;
	int rc = wg_uapi_set_peer(s, p->public_key);

	/* sync: what the file leaves out is cleared, not kept. */
	if (rc == 0 && sync)
		rc = wg_uapi_set_peer_replace_allowed_ips(s);
	if (rc == 0 && (sync || !wg_key_is_zero(p->preshared_key)))
		rc = wg_uapi_set_peer_preshared_key(s, p->preshared_key);
	if (rc == 0 && p->endpoint.family != WG_AF_NONE)
		rc = wg_uapi_set_peer_endpoint(s, &p->endpoint);
	if (rc == 0 && (sync || p->persistent_keepalive != 0))
		rc = wg_uapi_set_peer_keepalive(s, p->persistent_keepalive);
	for (i = 0; rc == 0 && i < p->n_allowed_ips; i++) {
		memset(&a, 0, sizeof(a));
		a.family = p->allowed_ips[i].family;
		a.cidr = p->allowed_ips[i].prefix_len;
		memcpy(a.addr, p->allowed_ips[i].addr, sizeof(a.addr));
		rc = wg_uapi_set_peer_allowed_ip(s, &a);
	}
	return rc;
}

int
wgd_set_peer_remove(struct wg_uapi_set *s, const uint8_t key[WG_KEY_LEN])
{
	int rc = wg_uapi_set_peer(s, key);

	return rc == 0 ? wg_uapi_set_peer_remove(s) : rc;
}

int
wgd_apply_config(struct wg_control *c, const struct wg_config *cfg)
{
	struct wg_uapi_set s;
	unsigned int i;
	int rc;

	wg_uapi_set_init(&s);
	rc = wg_uapi_set_private_key(&s, cfg->private_key);
	if (rc == 0)
		rc = wg_uapi_set_listen_port(&s, cfg->listen_port);
	if (rc == 0)
		rc = wg_uapi_set_replace_peers(&s);
	for (i = 0; rc == 0 && i < cfg->n_peers; i++)
		rc = wgd_set_peer(&s, &cfg->peers[i], false);
	if (rc == 0)
		rc = wg_uapi_set_end(&s);
	if (rc == 0)
		rc = wg_control_apply(c, &s);
	wg_uapi_set_free(&s);
	return rc;
}
