/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control thread's timer queue: one deadline per peer slot, in an
 * indexed binary min-heap, so that arming, re-arming and cancelling a
 * peer's next protocol deadline (lib/timers.h wg_timers_next_deadline) is
 * O(log n) and finding what is due is O(1) per due peer, for a million
 * peers. Single-threaded: the control thread owns it.
 */
#ifndef WG_TIMERQ_H
#define WG_TIMERQ_H

#include <stdbool.h>
#include <stdint.h>

#define WG_TIMERQ_NONE UINT64_MAX

struct wg_timerq {
	uint32_t capacity;	/* slots 0 .. capacity-1 */
	uint32_t size;		/* slots armed */
	uint32_t *heap;		/* heap position -> slot */
	uint32_t *pos;		/* slot -> heap position, or UINT32_MAX */
	uint64_t *deadline;	/* slot -> deadline */
};

/* 0, or -1 on allocation failure. */
int wg_timerq_init(struct wg_timerq *q, uint32_t capacity);
void wg_timerq_free(struct wg_timerq *q);
/* Arms or moves slot's deadline; WG_TIMERQ_NONE cancels it. */
void wg_timerq_set(struct wg_timerq *q, uint32_t slot, uint64_t deadline);
static inline void
wg_timerq_cancel(struct wg_timerq *q, uint32_t slot)
{
	wg_timerq_set(q, slot, WG_TIMERQ_NONE);
}
/* The earliest deadline, or WG_TIMERQ_NONE when nothing is armed. */
uint64_t wg_timerq_next(const struct wg_timerq *q);
/*
 * Removes and returns a slot whose deadline is <= now, or -1 if none is.
 * The caller re-arms it (wg_timerq_set) after handling it.
 */
int64_t wg_timerq_pop_due(struct wg_timerq *q, uint64_t now);
bool wg_timerq_armed(const struct wg_timerq *q, uint32_t slot);

#endif /* WG_TIMERQ_H */
