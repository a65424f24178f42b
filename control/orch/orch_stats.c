/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The stats answer: the control thread's counters, the dataplane's totals
 * and every drop reason by name first, then the peers in slot id order,
 * ORCH_CHUNK at a time as the socket drains, so 100,000 peers need no big
 * buffer. Per-peer traffic is read from the dataplane at that moment.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dp.h"
#include "orch_priv.h"

struct counter {
	const char *name;
	size_t off;
};

#define CTL(f) { #f, offsetof(struct wg_control_stats, f) }
static const struct counter ctl_counters[] = {
	CTL(initiations_rx), CTL(responses_rx), CTL(cookies_rx),
	CTL(initiations_tx), CTL(responses_tx), CTL(cookies_tx),
	CTL(handshakes_completed), CTL(keepalives_tx), CTL(rejected_mac),
	CTL(rejected_ratelimit), CTL(rejected_handshake), CTL(rejected_index),
	CTL(under_load_cookies), CTL(under_load_ns), CTL(expired_peers), CTL(key_zeroings),
};
#undef CTL

#define DP(f) { #f, offsetof(struct wg_dp_stats, f) }
static const struct counter dp_counters[] = {
	DP(outer_rx_packets), DP(outer_rx_bytes), DP(outer_tx_packets),
	DP(outer_tx_bytes), DP(clear_rx_packets), DP(clear_rx_bytes),
	DP(clear_tx_packets), DP(clear_tx_bytes), DP(decrypted), DP(encrypted),
	DP(keepalives_rx), DP(handshakes_rx), DP(staged), DP(roamed),
	DP(events_lost), DP(icmp_sent), DP(icmp_ratelimited), DP(icmp_unsent),
	DP(frags_rx), DP(reassembled),
};
#undef DP

static void
json_counters(struct orch_conn *c, const char *name, const void *st,
	      const struct counter *t, size_t n)
{
	uint64_t v;
	size_t i;

	orch_printf(c, ",\"%s\":{", name);
	for (i = 0; i < n; i++) {
		memcpy(&v, (const uint8_t *)st + t[i].off, sizeof(v));
		orch_printf(c, "%s\"%s\":%llu", i == 0 ? "" : ",", t[i].name,
			    (unsigned long long)v);
	}
	orch_write(c, "}", 1);
}

/* Per worker (the last entry is the control thread's share): the same
 * counters as "dataplane", and the drops together. */
static void
json_workers(struct orch_conn *c, const struct wg_control *ctl)
{
	struct wg_dp_stats ws, next;
	unsigned int k;

	orch_printf(c, ",\"workers\":[");
	if (wg_control_worker_stats(ctl, 0, &ws) == 0) {
		for (k = 0;; k++) {
			bool last = wg_control_worker_stats(ctl, k + 1, &next) != 0;

			orch_printf(c, "%s{\"worker\":", k == 0 ? "" : ",");
			if (!last)
				orch_printf(c, "\"%u\"", k);
			else
				orch_write(c, "\"control\"", 9);
			json_counters(c, "counters", &ws, dp_counters,
				      sizeof(dp_counters) / sizeof(dp_counters[0]));
			orch_printf(c, ",\"drops_total\":%llu}",
				    (unsigned long long)wg_dp_drops_total(&ws));
			if (last)
				break;
			ws = next;
		}
	}
	orch_write(c, "]", 1);
}

static void
json_drops(struct orch_conn *c, const struct wg_dp_stats *st)
{
	unsigned int r;

	orch_printf(c, ",\"drops\":{");
	for (r = 0; r < WG_DROP_MAX; r++)
		orch_printf(c, "%s\"%s\":%llu", r == 0 ? "" : ",",
			    wg_dp_drop_name(r), (unsigned long long)st->drops[r]);
	orch_printf(c, "},\"drops_total\":%llu",
		    (unsigned long long)wg_dp_drops_total(st));
}

static void
json_pool(struct orch_conn *c)
{
	static const char *const fam[2] = { "ipv4", "ipv6" };
	static const uint8_t af[2] = { WG_AF_INET, WG_AF_INET6 };
	const struct wg_control *ctl = c->srv->ctl;
	struct wg_uapi_allowed_ip p = { 0 };
	char text[ORCH_ADDR_STRLEN];
	struct wg_ippool_prefix r;
	unsigned int i;

	orch_printf(c, ",\"pool\":{");
	for (i = 0; i < 2; i++) {
		orch_printf(c, "%s\"%s\":", i == 0 ? "" : ",", fam[i]);
		if (!wg_control_pool_range(ctl, af[i], &r)) {
			orch_printf(c, "null,\"%s_in_use\":0", fam[i]);
			continue;
		}
		p.family = r.base.family;
		p.cidr = r.cidr;
		memcpy(p.addr, r.base.addr.v6, sizeof(p.addr));
		orch_prefix_text(text, &p);
		orch_printf(c, "\"%s\",\"%s_in_use\":%zu", text, fam[i],
			    wg_control_pool_count(ctl, p.family));
	}
	orch_write(c, "}", 1);
}

static void
json_endpoint(struct orch_conn *c, const struct wg_endpoint *e)
{
	char ip[INET6_ADDRSTRLEN];

	if (e->family == WG_AF_NONE ||
	    inet_ntop(e->family == WG_AF_INET ? AF_INET : AF_INET6, e->addr.v6,
		      ip, sizeof(ip)) == NULL) {
		orch_write(c, "null", 4);
		return;
	}
	orch_printf(c, e->family == WG_AF_INET ? "\"%s:%u\"" : "\"[%s]:%u\"",
		    ip, e->port);
}

static void
json_peer(struct orch_conn *c, const struct wg_device_peer *p,
	  const struct wg_control_peer_traffic *st)
{
	const struct wg_device_allowed_ip *a;
	char b64[WG_KEY_B64_LEN + 1], text[ORCH_ADDR_STRLEN];

	wg_key_to_base64(b64, p->public_key);
	orch_printf(c, "%s{\"public_key\":\"%s\",\"endpoint\":",
		    c->stats_listed++ == 0 ? "" : ",", b64);
	json_endpoint(c, &p->endpoint);
	orch_printf(c, ",\"allowed_ips\":[");
	for (a = p->allowed_ips; a != NULL; a = a->next) {
		orch_prefix_text(text, &a->prefix);
		orch_printf(c, "%s\"%s\"", a == p->allowed_ips ? "" : ",", text);
	}
	orch_printf(c, "],\"rx_bytes\":%llu,\"tx_bytes\":%llu,"
		    "\"rx_packets\":%llu,\"tx_packets\":%llu,\"last_handshake\":",
		    (unsigned long long)st->rx_bytes, (unsigned long long)st->tx_bytes,
		    (unsigned long long)st->rx_packets,
		    (unsigned long long)st->tx_packets);
	if (p->last_handshake_sec == 0)
		orch_write(c, "null", 4);
	else
		orch_printf(c, "%llu", (unsigned long long)p->last_handshake_sec);
	orch_printf(c, ",\"persistent_keepalive\":%u}", p->persistent_keepalive);
}

/* The next ORCH_CHUNK peers; the end of the answer after the last. */
static bool
stats_chunk(struct orch_conn *c)
{
	struct wg_control_peer_traffic st;
	const struct wg_device_peer *p;
	unsigned int n;

	for (n = 0; n < ORCH_CHUNK; n++) {
		p = wg_control_peer_next(c->srv->ctl, &c->stats_next, &st);
		if (p == NULL) {
			orch_write(c, "]}\n", 3);
			return true;
		}
		json_peer(c, p, &st);
	}
	return false;
}

void
orch_stats_start(struct orch_conn *c, bool peers)
{
	struct wg_control *ctl = c->srv->ctl;
	const struct wg_device *dev = wg_control_device(ctl);
	struct wg_control_stats cs;
	struct wg_dp_stats ds;

	wg_control_stats_get(ctl, &cs);
	wg_control_dp_stats(ctl, &ds);
	orch_printf(c, "{\"ok\":true,\"interface\":");
	orch_json_string(c, c->srv->ifname);
	orch_printf(c, ",\"idle_expiry\":%u,\"peer_count\":%u,\"max_peers\":%u",
		    wg_control_idle_expiry(ctl), wg_device_peer_count(dev),
		    wg_device_max_peers(dev));
	json_counters(c, "control", &cs, ctl_counters,
		      sizeof(ctl_counters) / sizeof(ctl_counters[0]));
	json_counters(c, "dataplane", &ds, dp_counters,
		      sizeof(dp_counters) / sizeof(dp_counters[0]));
	json_drops(c, &ds);
	json_workers(c, ctl);
	json_pool(c);
	if (!peers) {
		orch_write(c, "}\n", 2);
		return;
	}
	orch_printf(c, ",\"peers\":[");
	c->stats_next = 0;
	c->stats_listed = 0;
	c->stream = stats_chunk;
}
