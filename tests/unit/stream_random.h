/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A deterministic randombytes source for known-answer tests: byte k of the
 * stream is (k * 151 + 17) mod 256, the sequence the vectors in
 * test_noise.c and test_cookie.c were generated with (ephemeral keys,
 * cookie secrets and nonces all come from it, in call order).
 */
#ifndef WG_TEST_STREAM_RANDOM_H
#define WG_TEST_STREAM_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include <criterion/criterion.h>
#include <sodium.h>

static size_t stream_pos;

static void
stream_buf(void *const buf, const size_t size)
{
	uint8_t *p = buf;
	size_t k;

	for (k = 0; k < size; k++)
		p[k] = (uint8_t)((stream_pos + k) * 151 + 17);
	stream_pos += size;
}

static uint32_t
stream_random(void)
{
	uint32_t v;

	stream_buf(&v, sizeof(v));
	return v;
}

static const char *
stream_name(void)
{
	return "test-stream";
}

static randombytes_implementation stream_impl = {
	.implementation_name = stream_name,
	.random = stream_random,
	.buf = stream_buf,
};

/* From the start of the stream; libsodium must be initialised. */
static inline void
stream_random_begin(void)
{
	stream_pos = 0;
	cr_assert(randombytes_set_implementation(&stream_impl) == 0);
}

static inline void
stream_random_end(void)
{
	randombytes_set_implementation(&randombytes_internal_implementation);
}

#endif /* WG_TEST_STREAM_RANDOM_H */
