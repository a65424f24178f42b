/* SPDX-License-Identifier: GPL-2.0-only */
/* Test helper: hex strings to bytes for known-answer vectors. */
#ifndef WG_TEST_HEXUTIL_H
#define WG_TEST_HEXUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline size_t
test_unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	while (hex[0] != '\0' && hex[1] != '\0' && n < cap) {
		char b[3] = { hex[0], hex[1], '\0' };

		out[n++] = (uint8_t)strtoul(b, NULL, 16);
		hex += 2;
	}
	return n;
}

#endif
