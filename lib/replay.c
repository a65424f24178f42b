/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The replay window of RFC 6479 as the Linux driver runs it (receive.c,
 * counter_validate): a ring of COUNTER_BITS_TOTAL bits in 64-bit words.
 * Bits are numbered by counter + 1, so that r->counter == 0 can mean
 * "nothing accepted yet". When the window moves forward, whole words are
 * cleared rather than bits shifted; the COUNTER_REDUNDANT_BITS (one word)
 * that this costs are why only COUNTER_WINDOW_SIZE bits are usable.
 */
#include <string.h>

#include "replay.h"

enum {
	REPLAY_WORD_BITS = 64,
	REPLAY_WORD_SHIFT = 6,			/* log2(REPLAY_WORD_BITS) */
	REPLAY_WORDS = COUNTER_BITS_TOTAL / REPLAY_WORD_BITS
};

static_assert((int)COUNTER_REDUNDANT_BITS == (int)REPLAY_WORD_BITS,
	      "one redundant word of window");
static_assert((REPLAY_WORDS & (REPLAY_WORDS - 1)) == 0,
	      "the ring index is taken with a mask");

void
wg_replay_init(struct wg_replay *r)
{
	memset(r, 0, sizeof(*r));
}

/* Clears the words the window moves onto as it advances to position pos. */
static void
replay_advance(struct wg_replay *r, uint64_t pos)
{
	uint64_t index = pos >> REPLAY_WORD_SHIFT;
	uint64_t index_current = r->counter >> REPLAY_WORD_SHIFT;
	uint64_t top = index - index_current, i;

	/* A jump of more than the whole ring clears each word once. */
	if (top > REPLAY_WORDS)
		top = REPLAY_WORDS;
	for (i = 1; i <= top; i++)
		r->backtrack[(index_current + i) & (REPLAY_WORDS - 1)] = 0;
	r->counter = pos;
}

bool
wg_replay_check(struct wg_replay *r, uint64_t counter)
{
	uint64_t pos, bit, *word;

	/* Past REJECT_AFTER_MESSAGES the keypair is spent (and pos would wrap). */
	if (r->counter >= REJECT_AFTER_MESSAGES + 1 ||
	    counter >= REJECT_AFTER_MESSAGES)
		return false;
	pos = counter + 1;
	/* Too old: behind the window. */
	if (COUNTER_WINDOW_SIZE + pos < r->counter)
		return false;
	if (pos > r->counter)
		replay_advance(r, pos);

	word = &r->backtrack[(pos >> REPLAY_WORD_SHIFT) & (REPLAY_WORDS - 1)];
	bit = UINT64_C(1) << (pos & (REPLAY_WORD_BITS - 1));
	if (*word & bit)
		return false;			/* a replay */
	*word |= bit;
	return true;
}
