/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The timer queue against a deliberately naive reference (an array scanned
 * for its minimum), under random set/cancel/pop sequences; plus the edges.
 */
#include <stdlib.h>

#include <criterion/criterion.h>

#include "timerq.h"

Test(timerq, empty_and_single)
{
	struct wg_timerq q;

	cr_assert_eq(wg_timerq_init(&q, 4), 0);
	cr_assert_eq(wg_timerq_next(&q), WG_TIMERQ_NONE);
	cr_assert_eq(wg_timerq_pop_due(&q, UINT64_MAX - 1), -1);
	wg_timerq_set(&q, 2, 100);
	cr_assert(wg_timerq_armed(&q, 2));
	cr_assert_eq(wg_timerq_next(&q), 100);
	cr_assert_eq(wg_timerq_pop_due(&q, 99), -1, "not due one before");
	cr_assert_eq(wg_timerq_pop_due(&q, 100), 2, "due at the deadline");
	cr_assert_not(wg_timerq_armed(&q, 2));
	wg_timerq_set(&q, 9, 5);	/* out of range: ignored */
	cr_assert_eq(wg_timerq_next(&q), WG_TIMERQ_NONE);
	wg_timerq_free(&q);
}

Test(timerq, rearm_moves_both_ways)
{
	struct wg_timerq q;

	cr_assert_eq(wg_timerq_init(&q, 8), 0);
	for (uint32_t s = 0; s < 8; s++)
		wg_timerq_set(&q, s, 100 + s);
	wg_timerq_set(&q, 7, 1);	/* earlier */
	cr_assert_eq(wg_timerq_pop_due(&q, 1), 7);
	wg_timerq_set(&q, 0, 1000);	/* later */
	cr_assert_eq(wg_timerq_next(&q), 101);
	wg_timerq_cancel(&q, 1);
	cr_assert_eq(wg_timerq_next(&q), 102);
	wg_timerq_free(&q);
}

/* Naive reference: deadlines in an array, minimum found by scanning. */
static uint64_t
naive_min(const uint64_t *d, uint32_t n, uint32_t *slot)
{
	uint64_t best = WG_TIMERQ_NONE;

	for (uint32_t i = 0; i < n; i++)
		if (d[i] < best) {
			best = d[i];
			*slot = i;
		}
	return best;
}

Test(timerq, random_against_naive_reference)
{
	enum { N = 997, OPS = 200000 };
	static uint64_t ref[N];
	struct wg_timerq q;
	uint64_t now = 0;

	srand(12345);
	cr_assert_eq(wg_timerq_init(&q, N), 0);
	for (uint32_t i = 0; i < N; i++)
		ref[i] = WG_TIMERQ_NONE;
	for (int op = 0; op < OPS; op++) {
		uint32_t s = rand() % N, want_slot = 0;
		int r = rand() % 10;

		if (r < 6) {
			/* Small range: many equal deadlines. */
			uint64_t d = now + rand() % 64;

			wg_timerq_set(&q, s, d);
			ref[s] = d;
		} else if (r < 7) {
			wg_timerq_cancel(&q, s);
			ref[s] = WG_TIMERQ_NONE;
		} else {
			uint64_t want = naive_min(ref, N, &want_slot);
			int64_t got;

			now += rand() % 4;
			cr_assert_eq(wg_timerq_next(&q), want, "op %d", op);
			got = wg_timerq_pop_due(&q, now);
			if (want > now) {
				cr_assert_eq(got, -1);
				continue;
			}
			/* Ties may pop any slot holding the minimum. */
			cr_assert_geq(got, 0);
			cr_assert_eq(ref[got], want, "op %d", op);
			ref[got] = WG_TIMERQ_NONE;
		}
		cr_assert_eq(wg_timerq_armed(&q, s), ref[s] != WG_TIMERQ_NONE);
	}
	wg_timerq_free(&q);
}

Test(timerq, a_million_slots)
{
	enum { N = 1 << 20 };
	struct wg_timerq q;
	uint64_t last = 0;
	uint32_t popped = 0;
	int64_t s;

	cr_assert_eq(wg_timerq_init(&q, N), 0);
	for (uint32_t i = 0; i < N; i++)
		wg_timerq_set(&q, i, (uint64_t)(i * 2654435761u) % 1000003 + 1);
	while ((s = wg_timerq_pop_due(&q, UINT64_MAX - 1)) >= 0) {
		uint64_t d = q.deadline[s];

		cr_assert_geq(d, last, "popped in deadline order");
		last = d;
		popped++;
	}
	cr_assert_eq(popped, N);
	wg_timerq_free(&q);
}
