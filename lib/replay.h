/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The transport counter's sliding replay window, as the Linux driver's
 * (COUNTER_BITS_TOTAL bits, of which COUNTER_WINDOW_SIZE usable): one per
 * receiving keypair. Not thread-safe: a caller whose receivers may share a
 * keypair serializes them (the dataplane holds the keypair's lock).
 */
#ifndef WG_REPLAY_H
#define WG_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "messages.h"

struct wg_replay {
	uint64_t counter;	/* one past the greatest counter accepted */
	uint64_t backtrack[COUNTER_BITS_TOTAL / 64];
};

void wg_replay_init(struct wg_replay *r);
/*
 * Call only after the packet authenticated. True if counter is new and
 * within the window (and below REJECT_AFTER_MESSAGES); it is then recorded.
 */
bool wg_replay_check(struct wg_replay *r, uint64_t counter);

#endif /* WG_REPLAY_H */
