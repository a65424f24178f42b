/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Replay window: the Linux driver's numbered self-test (selftest/counter.c)
 * case for case, word-boundary and ring-wrap edges, and a randomized
 * comparison against a deliberately naive reference.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "replay.h"

#define T_LIM (COUNTER_WINDOW_SIZE + 1)
#define W ((uint64_t)COUNTER_WINDOW_SIZE)
#define RAM ((uint64_t)REJECT_AFTER_MESSAGES)

struct step {
	uint64_t n;
	bool want;
};

static void
run_steps(struct wg_replay *r, const struct step *s, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		cr_assert_eq(wg_replay_check(r, s[i].n), s[i].want,
			     "step %zu: counter %llu", i + 1,
			     (unsigned long long)s[i].n);
}

Test(replay, linux_selftest_numbered)
{
	static const struct step s[] = {
		/*  1 */ { 0, true },
		/*  2 */ { 1, true },
		/*  3 */ { 1, false },
		/*  4 */ { 9, true },
		/*  5 */ { 8, true },
		/*  6 */ { 7, true },
		/*  7 */ { 7, false },
		/*  8 */ { T_LIM, true },
		/*  9 */ { T_LIM - 1, true },
		/* 10 */ { T_LIM - 1, false },
		/* 11 */ { T_LIM - 2, true },
		/* 12 */ { 2, true },
		/* 13 */ { 2, false },
		/* 14 */ { T_LIM + 16, true },
		/* 15 */ { 3, false },
		/* 16 */ { T_LIM + 16, false },
		/* 17 */ { T_LIM * 4, true },
		/* 18 */ { T_LIM * 4 - (T_LIM - 1), true },
		/* 19 */ { 10, false },
		/* 20 */ { T_LIM * 4 - T_LIM, false },
		/* 21 */ { T_LIM * 4 - (T_LIM + 1), false },
		/* 22 */ { T_LIM * 4 - (T_LIM - 2), true },
		/* 23 */ { T_LIM * 4 + 1 - T_LIM, false },
		/* 24 */ { 0, false },
		/* 25 */ { RAM, false },
		/* 26 */ { RAM - 1, true },
		/* 27 */ { RAM, false },
		/* 28 */ { RAM - 1, false },
		/* 29 */ { RAM - 2, true },
		/* 30 */ { RAM + 1, false },
		/* 31 */ { RAM + 2, false },
		/* 32 */ { RAM - 2, false },
		/* 33 */ { RAM - 3, true },
		/* 34 */ { 0, false },
	};
	struct wg_replay r;

	wg_replay_init(&r);
	run_steps(&r, s, sizeof(s) / sizeof(s[0]));
}

/* The Linux self-test's loops, each from a fresh window. */
Test(replay, linux_selftest_full_window_then_zero)
{
	struct wg_replay r;
	uint64_t i;

	wg_replay_init(&r);
	for (i = 1; i <= W; i++)
		cr_assert(wg_replay_check(&r, i), "counter %llu", (unsigned long long)i);
	cr_assert(wg_replay_check(&r, 0));
	cr_assert(!wg_replay_check(&r, 0));
}

Test(replay, linux_selftest_window_plus_one_then_one)
{
	struct wg_replay r;
	uint64_t i;

	wg_replay_init(&r);
	for (i = 2; i <= W + 1; i++)
		cr_assert(wg_replay_check(&r, i), "counter %llu", (unsigned long long)i);
	cr_assert(wg_replay_check(&r, 1));
	cr_assert(!wg_replay_check(&r, 0));
}

Test(replay, linux_selftest_descending)
{
	struct wg_replay r;
	uint64_t i;

	wg_replay_init(&r);
	for (i = W + 1; i-- > 0;)
		cr_assert(wg_replay_check(&r, i), "counter %llu", (unsigned long long)i);

	wg_replay_init(&r);
	for (i = W + 2; i-- > 1;)
		cr_assert(wg_replay_check(&r, i), "counter %llu", (unsigned long long)i);
	cr_assert(!wg_replay_check(&r, 0));
}

Test(replay, linux_selftest_descending_then_top)
{
	struct wg_replay r;
	uint64_t i;

	wg_replay_init(&r);
	for (i = W + 1; i-- > 1;)
		cr_assert(wg_replay_check(&r, i), "counter %llu", (unsigned long long)i);
	cr_assert(wg_replay_check(&r, W + 1));
	cr_assert(!wg_replay_check(&r, 0));

	wg_replay_init(&r);
	for (i = W + 1; i-- > 1;)
		cr_assert(wg_replay_check(&r, i), "counter %llu", (unsigned long long)i);
	cr_assert(wg_replay_check(&r, 0));
	cr_assert(wg_replay_check(&r, W + 1));
}

/*
 * Bits are numbered counter + 1 in 64-bit words: counters 62, 63, 64 sit on
 * either side of the first word boundary. Each is recorded in its own bit
 * and a replay of one does not disturb its neighbours.
 */
Test(replay, word_boundaries)
{
	static const struct step s[] = {
		{ 63, true }, { 62, true }, { 64, true }, { 63, false },
		{ 62, false }, { 64, false }, { 127, true }, { 126, true },
		{ 128, true }, { 65, true }, { 61, true }, { 127, false },
		{ 128, false }, { 65, false }, { 0, true }, { 0, false },
	};
	struct wg_replay r;

	wg_replay_init(&r);
	run_steps(&r, s, sizeof(s) / sizeof(s[0]));
	cr_assert_eq(r.counter, 129, "one past the greatest accepted");
}

/*
 * Jumps by the window, by the ring (8192 bits: the same bit position one
 * lap on), and far past it: the word that is reused must be cleared, and
 * the far edge of the window must still be exact.
 */
Test(replay, jumps_by_window_and_ring)
{
	static const struct step s[] = {
		{ 100, true },
		{ 100 + COUNTER_BITS_TOTAL, true },	/* same bit, next lap */
		{ 100 + COUNTER_BITS_TOTAL, false },
		{ 100, false },				/* too old now */
		{ 100 + COUNTER_BITS_TOTAL - W, true },	/* exactly the edge */
		{ 100 + COUNTER_BITS_TOTAL - W - 1, false },
		{ 100 + COUNTER_BITS_TOTAL + W + 5, true },
		{ 100 + COUNTER_BITS_TOTAL + 5, true },	/* the edge again */
		{ 100 + COUNTER_BITS_TOTAL + 4, false },
		{ 100 + COUNTER_BITS_TOTAL, false },	/* seen, and too old */
		{ 100 + COUNTER_BITS_TOTAL + W + 6, true },
		{ 100 + COUNTER_BITS_TOTAL + 5, false },	/* fell off */
		{ 100 + COUNTER_BITS_TOTAL + 6, true },	/* the new edge */
		{ 1ULL << 40, true },			/* far past the ring */
		{ (1ULL << 40) - W, true },
		{ (1ULL << 40) - 1, true },
		{ (1ULL << 40) - COUNTER_BITS_TOTAL, false },
		{ (1ULL << 40) + COUNTER_BITS_TOTAL - 1, true },
		{ (1ULL << 40) + COUNTER_BITS_TOTAL - 1 - W, true },
		{ (1ULL << 40) - 1, false },
	};
	struct wg_replay r;

	wg_replay_init(&r);
	run_steps(&r, s, sizeof(s) / sizeof(s[0]));
}

/* A rejected counter leaves the window exactly as it was. */
Test(replay, rejection_changes_nothing)
{
	static const uint64_t bad[] = { 10000, 10000 - W - 1, 0, RAM, RAM + 1,
					UINT64_MAX };
	struct wg_replay r, before;
	size_t i;

	wg_replay_init(&r);
	cr_assert(wg_replay_check(&r, 10000));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(&before, &r, sizeof(r));
		cr_assert(!wg_replay_check(&r, bad[i]), "case %zu", i);
		cr_assert(memcmp(&before, &r, sizeof(r)) == 0, "case %zu", i);
	}
}

/* The naive reference: a set of every counter seen, and the greatest. */
struct ref_window {
	uint64_t *slots;	/* open addressing; a slot holds counter + 1 */
	size_t mask;
	bool any;
	uint64_t greatest;
};

static bool
ref_seen(const struct ref_window *ref, uint64_t n, size_t *slot)
{
	size_t i = (size_t)((n * 0x9e3779b97f4a7c15ULL) >> 40) & ref->mask;

	while (ref->slots[i] != 0 && ref->slots[i] != n + 1)
		i = (i + 1) & ref->mask;
	*slot = i;
	return ref->slots[i] == n + 1;
}

/*
 * Accept iff below REJECT_AFTER_MESSAGES, never seen, and at most
 * COUNTER_WINDOW_SIZE behind the greatest seen (Linux self-test case 18
 * accepts exactly that far back, case 20 one further is rejected).
 */
static bool
ref_check(struct ref_window *ref, uint64_t n)
{
	size_t slot;

	if (n >= RAM || ref_seen(ref, n, &slot))
		return false;
	if (ref->any && n + W < ref->greatest)
		return false;
	ref->slots[slot] = n + 1;
	if (!ref->any || n > ref->greatest)
		ref->greatest = n;
	ref->any = true;
	return true;
}

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A counter near where the window is interesting; g is the greatest seen. */
static uint64_t
pick_counter(uint64_t *rng, uint64_t g, const uint64_t recent[64])
{
	static const uint64_t jumps[] = { 63, 64, 65, W - 1, W, W + 1,
					  COUNTER_BITS_TOTAL - 1,
					  COUNTER_BITS_TOTAL,
					  COUNTER_BITS_TOTAL + 1 };
	uint64_t x = splitmix64(rng), kind = x % 100, y = splitmix64(rng);

	if (kind < 40) {				/* the far edge, +-3 */
		if (g + 3 < W)
			return y % (g + 1);
		return g - W - 3 + y % 7;
	}
	if (kind < 58)					/* inside the window */
		return g - (g < W ? y % (g + 1) : y % W);
	if (kind < 78)					/* a little ahead */
		return g + 1 + y % 64;
	if (kind < 88)					/* a recent one again */
		return recent[y % 64];
	if (kind < 94)					/* a jump */
		return g + jumps[y % (sizeof(jumps) / sizeof(jumps[0]))];
	if (kind < 98)					/* just too old */
		return g < W + 200 ? y % (g + 1) : g - W - 1 - y % 100;
	return g + y % 100000;				/* far ahead */
}

struct run_stats {
	unsigned int accepted;
	unsigned int accepted_at_limit;	/* within 8 below the limit */
	unsigned int over_limit;	/* at or past the limit */
};

/* Runs ops random checks from a fresh window, comparing every answer. */
static void
compare_with_reference(uint64_t seed, uint64_t start, unsigned int ops,
		       struct run_stats *st)
{
	struct ref_window ref = { .mask = (1u << 18) - 1 };
	struct wg_replay *r = malloc(sizeof(*r)), *before = malloc(sizeof(*r));
	uint64_t rng = seed, recent[64] = { 0 }, n;
	unsigned int i;
	bool got, want;

	ref.slots = calloc(ref.mask + 1, sizeof(uint64_t));
	cr_assert(r != NULL && before != NULL && ref.slots != NULL);
	wg_replay_init(r);
	ref.greatest = start;
	for (i = 0; i < ops; i++) {
		n = pick_counter(&rng, ref.any ? ref.greatest : start, recent);
		/* Near REJECT_AFTER_MESSAGES, straddle it now and then. */
		if (start > RAM / 2 && splitmix64(&rng) % 50 == 0)
			n = RAM - 4 + splitmix64(&rng) % 8;
		memcpy(before, r, sizeof(*r));
		want = ref_check(&ref, n);
		got = wg_replay_check(r, n);
		cr_assert_eq(got, want, "seed %llu op %u counter %llu",
			     (unsigned long long)seed, i, (unsigned long long)n);
		st->over_limit += n >= RAM;
		if (!got) {
			cr_assert(memcmp(before, r, sizeof(*r)) == 0,
				  "rejection changed state at op %u", i);
			continue;
		}
		cr_assert_eq(r->counter, ref.greatest + 1);
		st->accepted_at_limit += n >= RAM - 8;
		recent[st->accepted++ % 64] = n;
	}
	free(ref.slots);
	free(before);
	free(r);
}

Test(replay, random_against_naive_reference)
{
	struct run_stats st = { 0 };
	unsigned int ops = 100000;

	compare_with_reference(1, 0, ops, &st);
	cr_assert_gt(st.accepted, ops / 4, "the mix must exercise acceptance");
	cr_assert_lt(st.accepted, ops - ops / 4, "and rejection");
}

/*
 * Near REJECT_AFTER_MESSAGES the window soon runs into the limit and then
 * fills up, so run many short episodes, each from a fresh window.
 */
Test(replay, random_against_naive_reference_near_reject_limit)
{
	unsigned int episodes = 50, ops = 2000, i;
	struct run_stats st = { 0 };
	uint64_t rng = 3;

	for (i = 0; i < episodes; i++)
		compare_with_reference(100 + i,
			RAM - 1 - splitmix64(&rng) % 100000, ops, &st);
	cr_assert_gt(st.accepted, episodes * ops / 10, "the mix must exercise acceptance");
	cr_assert_gt(st.accepted_at_limit, episodes, "the last counters below the limit");
	cr_assert_gt(st.over_limit, episodes * ops / 10, "counters past the limit");
}
