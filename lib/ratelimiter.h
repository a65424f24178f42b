/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-source handshake rate limiter, as the Linux driver's: a token bucket
 * per source address (IPv4 address, or IPv6 /64), RATELIMIT_PACKETS_PER_SECOND
 * with a burst of RATELIMIT_BURST, in a table of bounded size; entries idle
 * for RATELIMIT_GC_AGE are collected. A full table refuses new sources.
 * Used by the control thread only: no locking.
 */
#ifndef WG_RATELIMITER_H
#define WG_RATELIMITER_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "consts.h"

enum ratelimiter_values {
	RATELIMIT_PACKETS_PER_SECOND = 20,
	RATELIMIT_BURST = 5
};

#define RATELIMIT_PACKET_COST_NS (WG_NSEC_PER_SEC / RATELIMIT_PACKETS_PER_SECOND)
#define RATELIMIT_TOKEN_MAX_NS (RATELIMIT_PACKET_COST_NS * RATELIMIT_BURST)
#define RATELIMIT_GC_AGE_NS WG_NSEC_PER_SEC

struct wg_ratelimiter;

/* NULL on allocation failure or max_entries == 0. */
struct wg_ratelimiter *wg_ratelimiter_create(unsigned int max_entries);
void wg_ratelimiter_destroy(struct wg_ratelimiter *rl);
/* True if one more handshake from src's address may be processed now. */
bool wg_ratelimiter_allow(struct wg_ratelimiter *rl, const struct wg_endpoint *src,
			  uint64_t now_ns);
/* Forgets sources not seen for RATELIMIT_GC_AGE_NS. */
void wg_ratelimiter_gc(struct wg_ratelimiter *rl, uint64_t now_ns);
unsigned int wg_ratelimiter_count(const struct wg_ratelimiter *rl);

#endif /* WG_RATELIMITER_H */
