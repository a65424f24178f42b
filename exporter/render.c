/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exposition (Prometheus text format 0.0.4) of a stats answer. The
 * counter groups of the answer ("control", "dataplane", "drops", per
 * worker) are rendered by name, so a counter added to the gateway shows up
 * here without a change: control.X -> wgedge_control_X_total, dataplane.X
 * -> wgedge_dataplane_X_total, drops.R -> wgedge_drops_total{reason="R"};
 * a name ending in _ns is converted to seconds (_seconds_total).
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "exporter.h"

/* A label value: \ " and newline escaped. */
static void
label_value(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void
family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{interface="..."[,key="val"]} value */
static void
sample(FILE *out, const char *name, const char *ifname, const char *key,
       const char *val, double v)
{
	fprintf(out, "%s{interface=\"", name);
	label_value(out, ifname);
	if (key != NULL) {
		fprintf(out, "\",%s=\"", key);
		label_value(out, val);
	}
	fprintf(out, "\"} %.17g\n", v);
}

static size_t
name_len_ns(const char *k, bool *is_ns)
{
	size_t n = strlen(k);

	*is_ns = n > 3 && strcmp(k + n - 3, "_ns") == 0;
	return *is_ns ? n - 3 : n;
}

/* Every number in group g as a counter wgedge_<prefix>_<key>_total. */
static void
counters(FILE *out, const char *ifname, const char *prefix, const json_t *g,
	 const char *help)
{
	char name[160];
	const char *k;
	json_t *v;
	bool ns;

	json_object_foreach((json_t *)g, k, v) {
		size_t n = name_len_ns(k, &ns);

		if (!json_is_number(v))
			continue;
		snprintf(name, sizeof(name), "wgedge_%s_%.*s%s", prefix, (int)n, k,
			 ns ? "_seconds_total" : "_total");
		family(out, name, "counter", help);
		sample(out, name, ifname, NULL, NULL,
		       json_number_value(v) / (ns ? 1e9 : 1.0));
	}
}

/* Per worker: wgedge_worker_X_total{worker="0"..., "control"}. A family's
 * samples stay together, as the format wants. */
static void
workers(FILE *out, const char *ifname, const json_t *list)
{
	const json_t *first = json_object_get(json_array_get(list, 0), "counters");
	char name[160];
	const char *k, *w;
	json_t *v, *e;
	size_t i;

	json_object_foreach((json_t *)first, k, v) {
		if (!json_is_integer(v))
			continue;
		snprintf(name, sizeof(name), "wgedge_worker_%s_total", k);
		family(out, name, "counter",
		       "Dataplane counter of one worker (\"control\": the control thread's share).");
		json_array_foreach((json_t *)list, i, e) {
			w = json_string_value(json_object_get(e, "worker"));
			v = json_object_get(json_object_get(e, "counters"), k);
			if (w != NULL && json_is_integer(v))
				sample(out, name, ifname, "worker", w,
				       (double)json_integer_value(v));
		}
	}
	family(out, "wgedge_worker_drops_total", "counter",
	       "Packets one worker dropped, all reasons.");
	json_array_foreach((json_t *)list, i, e) {
		w = json_string_value(json_object_get(e, "worker"));
		v = json_object_get(e, "drops_total");
		if (w != NULL && json_is_integer(v))
			sample(out, "wgedge_worker_drops_total", ifname, "worker", w,
			       (double)json_integer_value(v));
	}
}

static void
drops(FILE *out, const char *ifname, const json_t *g)
{
	const char *k;
	json_t *v;

	family(out, "wgedge_drops_total", "counter",
	       "Packets dropped by the dataplane, by reason.");
	json_object_foreach((json_t *)g, k, v)
		if (json_is_integer(v))
			sample(out, "wgedge_drops_total", ifname, "reason", k,
			       (double)json_integer_value(v));
}

static void
gauges(FILE *out, const char *ifname, const json_t *s)
{
	static const struct {
		const char *key, *name, *help;
	} g[] = {
		{ "peer_count", "wgedge_peers", "Configured peers." },
		{ "max_peers", "wgedge_max_peers", "Size of the peer table." },
		{ "idle_expiry", "wgedge_idle_expiry_seconds",
		  "Age of the latest handshake after which a peer's session is wiped (0: never)." },
	};
	size_t i;
	json_t *v;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		v = json_object_get(s, g[i].key);
		if (!json_is_integer(v))
			continue;
		family(out, g[i].name, "gauge", g[i].help);
		sample(out, g[i].name, ifname, NULL, NULL,
		       (double)json_integer_value(v));
	}
}

/* The address pool: its size and how much of it is in use, per family. */
static void
pool(FILE *out, const char *ifname, const json_t *p)
{
	static const char *const fam[2] = { "ipv4", "ipv6" };
	char key[16];
	const char *prefix, *slash;
	unsigned int i, bits;

	if (!json_is_object(p))
		return;
	family(out, "wgedge_pool_addresses", "gauge",
	       "Addresses in the tunnel address pool, by family.");
	for (i = 0; i < 2; i++) {
		prefix = json_string_value(json_object_get(p, fam[i]));
		if (prefix == NULL || (slash = strchr(prefix, '/')) == NULL)
			continue;
		bits = (i == 0 ? 32u : 128u) - (unsigned int)strtoul(slash + 1, NULL, 10);
		sample(out, "wgedge_pool_addresses", ifname, "family", fam[i],
		       ldexp(1.0, (int)bits));
	}
	family(out, "wgedge_pool_addresses_in_use", "gauge",
	       "Pool addresses held by peers, by family.");
	for (i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "%s_in_use", fam[i]);
		if (json_is_integer(json_object_get(p, key)))
			sample(out, "wgedge_pool_addresses_in_use", ifname, "family",
			       fam[i], (double)json_integer_value(json_object_get(p, key)));
	}
}

/* Per-peer series, labelled by public key (never by endpoint). */
static void
peers(FILE *out, const char *ifname, const json_t *list)
{
	static const struct {
		const char *key, *name, *type, *help;
	} m[] = {
		{ "rx_bytes", "wgedge_peer_rx_bytes_total", "counter", "Bytes received from the peer." },
		{ "tx_bytes", "wgedge_peer_tx_bytes_total", "counter", "Bytes sent to the peer." },
		{ "rx_packets", "wgedge_peer_rx_packets_total", "counter", "Packets received from the peer." },
		{ "tx_packets", "wgedge_peer_tx_packets_total", "counter", "Packets sent to the peer." },
		{ "last_handshake", "wgedge_peer_last_handshake_seconds", "gauge",
		  "Unix time of the peer's latest handshake (0: none)." },
	};
	size_t i, k;
	json_t *p, *v;
	const char *key;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		family(out, m[i].name, m[i].type, m[i].help);
		json_array_foreach((json_t *)list, k, p) {
			key = json_string_value(json_object_get(p, "public_key"));
			v = json_object_get(p, m[i].key);
			if (key != NULL)
				sample(out, m[i].name, ifname, "public_key", key,
				       json_is_integer(v) ? (double)json_integer_value(v) : 0);
		}
	}
}

void
wge_render(FILE *out, const char *ifname, const json_t *stats, bool per_peer)
{
	bool up = stats != NULL && json_is_true(json_object_get(stats, "ok"));

	family(out, "wgedge_up", "gauge",
	       "1 if the gateway answered on its orchestration socket.");
	sample(out, "wgedge_up", ifname, NULL, NULL, up ? 1 : 0);
	if (!up)
		return;
	gauges(out, ifname, stats);
	counters(out, ifname, "control", json_object_get(stats, "control"),
		 "Control thread counter (handshakes, cookies, expiry).");
	counters(out, ifname, "dataplane", json_object_get(stats, "dataplane"),
		 "Dataplane total over every worker.");
	if (json_is_object(json_object_get(stats, "drops")))
		drops(out, ifname, json_object_get(stats, "drops"));
	if (json_array_size(json_object_get(stats, "workers")) > 0)
		workers(out, ifname, json_object_get(stats, "workers"));
	pool(out, ifname, json_object_get(stats, "pool"));
	if (per_peer && json_is_array(json_object_get(stats, "peers")))
		peers(out, ifname, json_object_get(stats, "peers"));
}
