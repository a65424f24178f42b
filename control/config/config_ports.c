/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ports = { outer = {...}; clear = {...}; } and workers = ( {...}, ... ).
 * A port's gateways and neighbours must be on-link in its own prefixes;
 * each worker owns one queue on both ports, queues 0..n-1, one per lcore.
 */
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

enum { CFG_NAME_LEN = 128 };

static int
cfg_port_device(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct wg_config_port *port = obj;
	const char *dev;
	size_t i, len;

	if (cfg_string(c, s, &dev) < 0)
		return -1;
	len = strlen(dev);
	for (i = 0; i < len; i++)
		if (dev[i] <= ' ' || dev[i] > '~')
			break;
	if (len == 0 || len > WG_CONFIG_DEVICE_MAX || i < len)
		return cfg_error(c, s, "malformed device name: 1..%d printable characters, no spaces",
				 WG_CONFIG_DEVICE_MAX);
	memcpy(port->device, dev, len + 1);
	return 0;
}

/* An interface address with its on-link prefix: "192.0.2.1/24". */
static int
cfg_port_addr(struct cfg_ctx *c, const config_setting_t *s,
	      struct wg_config_addr *out, uint8_t family)
{
	char name[CFG_NAME_LEN];
	struct wg_config_addr a, zero = { 0 };
	const char *text, *why;

	cfg_name(s, name, sizeof(name));
	if (cfg_string(c, s, &text) < 0)
		return -1;
	if (cfg_parse_addr(text, true, true, &a, &why) < 0)
		return cfg_error(c, s, "malformed address: '%s' %s", name, why);
	if (a.family != family)
		return cfg_error(c, s, "malformed address: '%s' must be an IPv%u address/prefix",
				 name, family);
	if (a.prefix_len == 0 || memcmp(a.addr, zero.addr, sizeof(a.addr)) == 0)
		return cfg_error(c, s, "malformed address: '%s' needs a non-zero address and prefix length",
				 name);
	*out = a;
	return 0;
}

static int
cfg_port_ipv4(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	return cfg_port_addr(c, s, &((struct wg_config_port *)obj)->ipv4,
			     WG_AF_INET);
}

static int
cfg_port_ipv6(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	return cfg_port_addr(c, s, &((struct wg_config_port *)obj)->ipv6,
			     WG_AF_INET6);
}

/* A plain address on-link in one of the port's prefixes; family 0: any. */
static int
cfg_port_onlink(struct cfg_ctx *c, const config_setting_t *s,
		const struct wg_config_port *port, uint8_t family,
		struct wg_config_addr *out)
{
	const struct wg_config_addr *net;
	struct wg_config_addr onlink;
	char name[CFG_NAME_LEN], buf[CFG_ADDR_STRLEN];
	const char *text, *why;

	cfg_name(s, name, sizeof(name));
	if (cfg_string(c, s, &text) < 0)
		return -1;
	if (cfg_parse_addr(text, false, false, out, &why) < 0)
		return cfg_error(c, s, "malformed address: '%s' %s", name, why);
	if (family != WG_AF_NONE && out->family != family)
		return cfg_error(c, s, "malformed address: '%s' must be an IPv%u address",
				 name, family);
	net = out->family == WG_AF_INET ? &port->ipv4 : &port->ipv6;
	if (net->family == WG_AF_NONE)
		return cfg_error(c, s, "'%s' is IPv%u but the port has no ipv%u address",
				 name, out->family, out->family);
	if (!cfg_addr_contains(net, out)) {
		onlink = *net;
		cfg_addr_mask(&onlink, net->prefix_len);
		return cfg_error(c, s, "'%s' is not on-link: outside the port's prefix %s",
				 name, cfg_addr_str(&onlink, true, buf));
	}
	if (memcmp(net->addr, out->addr, sizeof(out->addr)) == 0)
		return cfg_error(c, s, "'%s' is the port's own address", name);
	return 0;
}

static int
cfg_port_gateway4(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct wg_config_port *port = obj;

	return cfg_port_onlink(c, s, port, WG_AF_INET, &port->gateway4);
}

static int
cfg_port_gateway6(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct wg_config_port *port = obj;

	return cfg_port_onlink(c, s, port, WG_AF_INET6, &port->gateway6);
}

struct cfg_neigh_obj {
	struct wg_config_port *port;
	struct wg_config_neighbour *n;
};

static int
cfg_neigh_ip(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_neigh_obj *o = obj;

	return cfg_port_onlink(c, s, o->port, WG_AF_NONE, &o->n->ip);
}

static int
cfg_neigh_mac(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_neigh_obj *o = obj;
	static const uint8_t zero[6];
	const char *text;

	if (cfg_string(c, s, &text) < 0)
		return -1;
	if (cfg_parse_mac(text, o->n->mac) < 0)
		return cfg_error(c, s, "malformed MAC address: expected xx:xx:xx:xx:xx:xx");
	if ((o->n->mac[0] & 1) != 0 || memcmp(o->n->mac, zero, 6) == 0)
		return cfg_error(c, s, "malformed MAC address: a neighbour needs a unicast, non-zero MAC");
	return 0;
}

static const struct cfg_field cfg_neigh_fields[] = {
	{ "ip", true, cfg_neigh_ip },
	{ "mac", true, cfg_neigh_mac },
};

/* A list of groups, or an empty array: "()" and "[]" both mean none. */
static int
cfg_group_list(struct cfg_ctx *c, const config_setting_t *s, unsigned int max,
	       unsigned int *n)
{
	char name[CFG_NAME_LEN];

	*n = (unsigned int)config_setting_length(s);
	if (config_setting_type(s) == CONFIG_TYPE_ARRAY && *n == 0)
		return 0;
	if (cfg_type(c, s, CONFIG_TYPE_LIST) < 0)
		return -1;
	if (*n > max)
		return cfg_error(c, s, "'%s' has %u entries, out of range (at most %u)",
				 cfg_name(s, name, sizeof(name)), *n, max);
	return 0;
}

static int
cfg_port_neighbours(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct wg_config_port *port = obj;
	struct cfg_neigh_obj o = { .port = port };
	const config_setting_t *e;
	char buf[CFG_ADDR_STRLEN];
	unsigned int i, j, n;

	if (cfg_group_list(c, s, WG_CONFIG_MAX_NEIGHBOURS, &n) < 0)
		return -1;
	port->neighbours = calloc(n > 0 ? n : 1, sizeof(*port->neighbours));
	if (port->neighbours == NULL)
		return cfg_nomem(c, s);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		o.n = &port->neighbours[i];
		if (cfg_parse_group(c, e, cfg_neigh_fields, 2, &o) < 0)
			return -1;
		port->n_neighbours++;
		/* At most 256 per port: a quadratic check is fine. */
		for (j = 0; j < i; j++)
			if (memcmp(&port->neighbours[j].ip, &o.n->ip,
				   sizeof(o.n->ip)) == 0)
				return cfg_error(c, e, "duplicate neighbour %s (first at line %u)",
						 cfg_addr_str(&o.n->ip, false, buf),
						 config_setting_source_line(config_setting_get_elem(s, j)));
	}
	return 0;
}

static const struct cfg_field cfg_port_fields[] = {
	{ "device", true, cfg_port_device },
	{ "ipv4", false, cfg_port_ipv4 },
	{ "ipv6", false, cfg_port_ipv6 },
	{ "gateway4", false, cfg_port_gateway4 },
	{ "gateway6", false, cfg_port_gateway6 },
	{ "neighbours", false, cfg_port_neighbours },
};

static int
cfg_port(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct wg_config_port *port = obj;
	char name[CFG_NAME_LEN];

	if (cfg_parse_group(c, s, cfg_port_fields,
			    sizeof(cfg_port_fields) / sizeof(cfg_port_fields[0]),
			    port) < 0)
		return -1;
	if (port->ipv4.family == WG_AF_NONE && port->ipv6.family == WG_AF_NONE)
		return cfg_error(c, s, "missing required setting: '%s' needs ipv4 or ipv6 (or both)",
				 cfg_name(s, name, sizeof(name)));
	return 0;
}

static int
cfg_port_outer(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	return cfg_port(c, s, &((struct wg_config *)obj)->outer);
}

static int
cfg_port_clear(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct wg_config *cfg = obj;

	if (cfg_port(c, s, &cfg->clear) < 0)
		return -1;
	if (strcmp(cfg->clear.device, cfg->outer.device) == 0)
		return cfg_error(c, config_setting_get_member(s, "device"),
				 "duplicate device: 'ports.clear.device' is the same device as 'ports.outer.device'");
	return 0;
}

static const struct cfg_field cfg_ports_fields[] = {
	{ "outer", true, cfg_port_outer },
	{ "clear", true, cfg_port_clear },
};

int
cfg_parse_ports(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	return cfg_parse_group(c, s, cfg_ports_fields, 2, obj);
}

struct cfg_worker_obj {
	struct wg_config_worker *w;
	unsigned int n_workers;
};

static int
cfg_worker_lcore(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_worker_obj *o = obj;
	long long v;

	if (cfg_int(c, s, 0, WG_CONFIG_MAX_LCORE - 1, &v) < 0)
		return -1;
	o->w->lcore = (unsigned int)v;
	return 0;
}

static int
cfg_worker_queue(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_worker_obj *o = obj;
	long long v;

	/* n workers own queues 0..n-1 exactly. */
	if (cfg_int(c, s, 0, o->n_workers - 1, &v) < 0)
		return -1;
	o->w->queue = (uint16_t)v;
	return 0;
}

static const struct cfg_field cfg_worker_fields[] = {
	{ "lcore", true, cfg_worker_lcore },
	{ "queue", true, cfg_worker_queue },
};

/* Distinct lcores (control_lcore included) and distinct queues. */
static int
cfg_worker_unique(struct cfg_ctx *c, const config_setting_t *e,
		  const struct wg_config_worker *w, unsigned int lcore_line[],
		  unsigned int queue_line[])
{
	const config_setting_t *lc = config_setting_get_member(e, "lcore");
	const config_setting_t *q = config_setting_get_member(e, "queue");

	if (w->lcore == c->cfg->control_lcore)
		return cfg_error(c, lc, "duplicate lcore %u: it is the control_lcore (line %u)",
				 w->lcore, lcore_line[w->lcore]);
	if (lcore_line[w->lcore] != 0)
		return cfg_error(c, lc, "duplicate lcore %u (first at line %u)",
				 w->lcore, lcore_line[w->lcore]);
	if (queue_line[w->queue] != 0)
		return cfg_error(c, q, "duplicate queue %u (first at line %u)",
				 w->queue, queue_line[w->queue]);
	lcore_line[w->lcore] = config_setting_source_line(lc);
	queue_line[w->queue] = config_setting_source_line(q);
	return 0;
}

int
cfg_parse_workers(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	unsigned int lcore_line[WG_CONFIG_MAX_LCORE] = { 0 };
	unsigned int queue_line[WG_CONFIG_MAX_WORKERS] = { 0 };
	const config_setting_t *cl, *e;
	struct wg_config *cfg = obj;
	struct cfg_worker_obj o;
	unsigned int i, n;

	if (cfg_group_list(c, s, WG_CONFIG_MAX_WORKERS, &n) < 0)
		return -1;
	if (n == 0)
		return cfg_error(c, s, "'workers' is empty: at least one worker is needed");
	cl = config_setting_get_member(config_setting_parent(s), "control_lcore");
	lcore_line[cfg->control_lcore] = cl != NULL ? config_setting_source_line(cl) : 0;
	cfg->workers = calloc(n, sizeof(*cfg->workers));
	if (cfg->workers == NULL)
		return cfg_nomem(c, s);
	o.n_workers = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		o.w = &cfg->workers[i];
		if (cfg_parse_group(c, e, cfg_worker_fields, 2, &o) < 0 ||
		    cfg_worker_unique(c, e, o.w, lcore_line, queue_line) < 0)
			return -1;
		cfg->n_workers++;
	}
	return 0;
}
