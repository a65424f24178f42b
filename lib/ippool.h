/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tunnel address pool: random, unused addresses drawn from one IPv4 and one
 * IPv6 prefix (say 10.0.0.0/8 and a ULA /48), one address (/32 or /128)
 * per request. Only the addresses in use are stored, in a hash set, so a
 * /8 (16M addresses) or a /48 (2^80) costs memory in proportion to the
 * peers, not to the range.
 *
 * Never handed out: the IPv4 network and broadcast addresses (for prefixes
 * up to /30; a /31 or /32 is used whole, RFC 3021), the IPv6 Subnet-Router
 * anycast address, host part zero (for prefixes up to /126, RFC 4291
 * 2.6.1; a /127 or /128 is used whole, RFC 6164), and the addresses fixed
 * at creation (the gateway's own).
 *
 * Randomness is libsodium's: wg_crypto_init() must have run. Not thread
 * safe: the control thread owns the pool.
 */
#ifndef WG_IPPOOL_H
#define WG_IPPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct wg_ippool;

struct wg_ippool_addr {
	uint8_t family;		/* WG_AF_INET or WG_AF_INET6 */
	union {
		uint8_t v4[4];
		uint8_t v6[16];
	} addr;			/* network byte order */
};

struct wg_ippool_prefix {
	struct wg_ippool_addr base;	/* host bits are ignored */
	uint8_t cidr;			/* 0..32 or 0..128 */
};

/*
 * v4 and v6 are the ranges (either may be NULL: that family is then not
 * offered). fixed[0..n_fixed) are never handed out nor freed; those outside
 * the ranges are ignored. Returns NULL with errno EINVAL (a prefix of the
 * wrong family or length) or ENOMEM.
 */
struct wg_ippool *wg_ippool_create(const struct wg_ippool_prefix *v4,
				   const struct wg_ippool_prefix *v6,
				   const struct wg_ippool_addr *fixed,
				   size_t n_fixed);
void wg_ippool_destroy(struct wg_ippool *pool);

/*
 * A uniformly random unused address of the family (WG_AF_INET or
 * WG_AF_INET6), now in use. Returns 0; -ENOSPC when every address is taken;
 * -EAFNOSUPPORT when the pool has no range of that family; -ENOMEM. On
 * error nothing changes.
 */
int wg_ippool_alloc(struct wg_ippool *pool, uint8_t family,
		    struct wg_ippool_addr *out);

/*
 * Marks a statically configured address in use. Returns 0; -EEXIST if it
 * is already in use (allocated, reserved or fixed); -ERANGE if the pool
 * would never hand it out anyway (outside the range, network, broadcast,
 * anycast: nothing to track); -EINVAL for a bad family; -ENOMEM.
 */
int wg_ippool_reserve(struct wg_ippool *pool, const struct wg_ippool_addr *a);

/*
 * Returns an allocated or reserved address to the pool. Returns 0; -ENOENT
 * if it is not in use; -EPERM if it is one of the fixed addresses.
 */
int wg_ippool_free(struct wg_ippool *pool, const struct wg_ippool_addr *a);

/* True if allocated, reserved or fixed. */
bool wg_ippool_in_use(const struct wg_ippool *pool,
		      const struct wg_ippool_addr *a);

/* Addresses of the family allocated or reserved (the fixed ones excluded). */
size_t wg_ippool_count(const struct wg_ippool *pool, uint8_t family);

#endif /* WG_IPPOOL_H */
