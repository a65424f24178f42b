/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A UDP endpoint as lib/ sees it: family, address bytes and port, with no
 * sockets or mbufs involved. Used for cookies (mac2 binds the source address
 * and port) and the per-source handshake rate limiter.
 */
#ifndef WG_ADDR_H
#define WG_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum wg_family {
	WG_AF_NONE = 0,
	WG_AF_INET = 4,
	WG_AF_INET6 = 6
};

struct wg_endpoint {
	uint8_t family;		/* enum wg_family */
	uint16_t port;		/* host byte order */
	union {
		uint8_t v4[4];
		uint8_t v6[16];
	} addr;			/* network byte order */
};

static inline unsigned int
wg_endpoint_addr_len(const struct wg_endpoint *e)
{
	return e->family == WG_AF_INET ? 4 : e->family == WG_AF_INET6 ? 16 : 0;
}

static inline bool
wg_endpoint_equal(const struct wg_endpoint *a, const struct wg_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr.v6, b->addr.v6, wg_endpoint_addr_len(a)) == 0;
}

#endif /* WG_ADDR_H */
