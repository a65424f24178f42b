/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Text to addresses: "10.0.0.1", "fd00::/64", "198.51.100.7:51820",
 * "[2001:db8::7]:51820", "02:00:00:00:00:fe". Numeric only: the daemon
 * never resolves host names (no DNS lookups on a dataplane's start path).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "config_priv.h"

/* Parses 1..maxdigits decimal digits (no sign, no spaces) up to max. */
static int
cfg_parse_decimal(const char *text, unsigned int maxdigits, unsigned long max,
		  unsigned long *out)
{
	unsigned long v = 0;
	size_t n = strlen(text), i;

	if (n == 0 || n > maxdigits)
		return -1;
	for (i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(text[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* A bare address: IPv6 if it has a colon, else dotted-quad IPv4. */
static int
cfg_parse_ip(const char *text, size_t len, struct wg_config_addr *out)
{
	char buf[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (memchr(buf, ':', len) != NULL) {
		if (inet_pton(AF_INET6, buf, out->addr) != 1)
			return -1;
		out->family = WG_AF_INET6;
		out->prefix_len = 128;
	} else {
		if (inet_pton(AF_INET, buf, out->addr) != 1)
			return -1;
		out->family = WG_AF_INET;
		out->prefix_len = 32;
	}
	return 0;
}

int
cfg_parse_addr(const char *text, bool want_prefix, bool allow_prefix,
	       struct wg_config_addr *out, const char **why)
{
	const char *slash = strchr(text, '/');
	size_t len = slash != NULL ? (size_t)(slash - text) : strlen(text);
	unsigned long plen;

	if (cfg_parse_ip(text, len, out) < 0) {
		*why = "is not an IPv4 or IPv6 address";
		return -1;
	}
	if (slash == NULL) {
		*why = "needs a /prefix length";
		return want_prefix ? -1 : 0;
	}
	if (!allow_prefix) {
		*why = "must be a plain address, without a /prefix length";
		return -1;
	}
	if (cfg_parse_decimal(slash + 1, 3, out->prefix_len, &plen) < 0) {
		*why = out->family == WG_AF_INET ?
		       "has a prefix length outside 0..32" :
		       "has a prefix length outside 0..128";
		return -1;
	}
	out->prefix_len = (uint8_t)plen;
	return 0;
}

int
cfg_parse_endpoint(const char *text, struct wg_endpoint *out, const char **why)
{
	const char *host = text, *colon;
	struct wg_config_addr a;
	unsigned long port;
	size_t hlen;

	if (text[0] == '[') {
		colon = strstr(text, "]:");
		host = text + 1;
		hlen = colon != NULL ? (size_t)(colon - host) : 0;
		colon = colon != NULL ? colon + 1 : NULL;
	} else {
		colon = strrchr(text, ':');
		hlen = colon != NULL ? (size_t)(colon - text) : 0;
	}
	*why = "must be ADDRESS:PORT or [IPV6]:PORT";
	if (colon == NULL || hlen == 0)
		return -1;
	if (cfg_parse_ip(host, hlen, &a) < 0 ||
	    (a.family == WG_AF_INET6) != (text[0] == '[')) {
		*why = "must be a numeric IPv4 address or a bracketed IPv6 address, then :PORT";
		return -1;
	}
	if (cfg_parse_decimal(colon + 1, 5, 65535, &port) < 0 || port == 0) {
		*why = "has a port outside 1..65535";
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->family = a.family;
	out->port = (uint16_t)port;
	memcpy(out->addr.v6, a.addr, sizeof(out->addr.v6));
	return 0;
}

int
cfg_parse_mac(const char *text, uint8_t mac[6])
{
	unsigned int i, hi, lo;
	char c;

	if (strlen(text) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		if (i > 0 && text[i * 3 - 1] != ':')
			return -1;
		c = text[i * 3];
		hi = c >= '0' && c <= '9' ? (unsigned int)(c - '0') :
		     c >= 'a' && c <= 'f' ? (unsigned int)(c - 'a' + 10) :
		     c >= 'A' && c <= 'F' ? (unsigned int)(c - 'A' + 10) : 16;
		c = text[i * 3 + 1];
		lo = c >= '0' && c <= '9' ? (unsigned int)(c - '0') :
		     c >= 'a' && c <= 'f' ? (unsigned int)(c - 'a' + 10) :
		     c >= 'A' && c <= 'F' ? (unsigned int)(c - 'A' + 10) : 16;
		if (hi > 15 || lo > 15)
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
cfg_addr_mask(struct wg_config_addr *a, unsigned int prefix_len)
{
	unsigned int i;

	for (i = 0; i < sizeof(a->addr); i++) {
		if (prefix_len >= 8 * (i + 1))
			continue;
		if (prefix_len <= 8 * i)
			a->addr[i] = 0;
		else
			a->addr[i] &= (uint8_t)(0xff00 >> (prefix_len - 8 * i));
	}
	a->prefix_len = (uint8_t)prefix_len;
}

bool
cfg_addr_contains(const struct wg_config_addr *net,
		  const struct wg_config_addr *host)
{
	struct wg_config_addr a = *net, b = *host;

	if (a.family != b.family)
		return false;
	cfg_addr_mask(&a, net->prefix_len);
	cfg_addr_mask(&b, net->prefix_len);
	return memcmp(a.addr, b.addr, sizeof(a.addr)) == 0;
}

const char *
cfg_addr_str(const struct wg_config_addr *a, bool with_prefix, char *buf)
{
	size_t n;

	if (inet_ntop(a->family == WG_AF_INET ? AF_INET : AF_INET6, a->addr,
		      buf, INET6_ADDRSTRLEN) == NULL) {
		snprintf(buf, CFG_ADDR_STRLEN, "?");
		return buf;
	}
	n = strlen(buf);
	if (with_prefix)
		snprintf(buf + n, CFG_ADDR_STRLEN - n, "/%u", a->prefix_len);
	return buf;
}
