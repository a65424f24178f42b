/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdlib.h>

#include "timerq.h"

#define NOT_IN_HEAP UINT32_MAX

int
wg_timerq_init(struct wg_timerq *q, uint32_t capacity)
{
	uint32_t i;

	q->capacity = capacity;
	q->size = 0;
	q->heap = calloc(capacity ? capacity : 1, sizeof(*q->heap));
	q->pos = malloc((capacity ? capacity : 1) * sizeof(*q->pos));
	q->deadline = calloc(capacity ? capacity : 1, sizeof(*q->deadline));
	if (q->heap == NULL || q->pos == NULL || q->deadline == NULL) {
		wg_timerq_free(q);
		return -1;
	}
	for (i = 0; i < capacity; i++)
		q->pos[i] = NOT_IN_HEAP;
	return 0;
}

void
wg_timerq_free(struct wg_timerq *q)
{
	free(q->heap);
	free(q->pos);
	free(q->deadline);
	q->heap = q->pos = NULL;
	q->deadline = NULL;
	q->capacity = q->size = 0;
}

static inline uint64_t
key_at(const struct wg_timerq *q, uint32_t i)
{
	return q->deadline[q->heap[i]];
}

static inline void
place(struct wg_timerq *q, uint32_t i, uint32_t slot)
{
	q->heap[i] = slot;
	q->pos[slot] = i;
}

static void
sift_up(struct wg_timerq *q, uint32_t i)
{
	uint32_t slot = q->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (key_at(q, parent) <= q->deadline[slot])
			break;
		place(q, i, q->heap[parent]);
		i = parent;
	}
	place(q, i, slot);
}

static void
sift_down(struct wg_timerq *q, uint32_t i)
{
	uint32_t slot = q->heap[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= q->size)
			break;
		if (child + 1 < q->size && key_at(q, child + 1) < key_at(q, child))
			child++;
		if (q->deadline[slot] <= key_at(q, child))
			break;
		place(q, i, q->heap[child]);
		i = child;
	}
	place(q, i, slot);
}

/* Takes the entry at heap position i out, filling the hole with the last. */
static void
heap_remove(struct wg_timerq *q, uint32_t i)
{
	uint32_t slot = q->heap[i], moved;

	q->pos[slot] = NOT_IN_HEAP;
	if (--q->size == i)
		return;
	moved = q->heap[q->size];
	place(q, i, moved);
	/* The moved entry may belong above or below the hole. */
	sift_down(q, i);
	sift_up(q, q->pos[moved]);
}

void
wg_timerq_set(struct wg_timerq *q, uint32_t slot, uint64_t deadline)
{
	uint32_t i;

	if (slot >= q->capacity)
		return;
	i = q->pos[slot];
	if (deadline == WG_TIMERQ_NONE) {
		if (i != NOT_IN_HEAP)
			heap_remove(q, i);
		return;
	}
	q->deadline[slot] = deadline;
	if (i == NOT_IN_HEAP) {
		i = q->size++;
		place(q, i, slot);
	}
	sift_up(q, i);
	sift_down(q, q->pos[slot]);
}

uint64_t
wg_timerq_next(const struct wg_timerq *q)
{
	return q->size > 0 ? key_at(q, 0) : WG_TIMERQ_NONE;
}

int64_t
wg_timerq_pop_due(struct wg_timerq *q, uint64_t now)
{
	uint32_t slot;

	if (q->size == 0 || key_at(q, 0) > now)
		return -1;
	slot = q->heap[0];
	heap_remove(q, 0);
	return slot;
}

bool
wg_timerq_armed(const struct wg_timerq *q, uint32_t slot)
{
	return slot < q->capacity && q->pos[slot] != NOT_IN_HEAP;
}
