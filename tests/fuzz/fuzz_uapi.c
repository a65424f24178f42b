/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer: the UAPI `set` parser (lib/uapi_set.c). The input is the body
 * of a set request, after "set=1": its lines are fed one by one until the
 * parser completes or refuses, then an empty line stands for EOF as the
 * server feeds it. A complete set must be self-consistent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_complete(const struct wg_uapi_set *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_peers; i++) {
		if (s->peers[i].first_allowed_ip != n)
			abort();
		n += s->peers[i].n_allowed_ips;
	}
	if (n != s->n_allowed_ips)
		abort();
}

static int
feed_all(struct wg_uapi_set *s, const char *p, size_t size)
{
	const char *end = p + size;
	int rc = 0;

	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		rc = wg_uapi_set_feed_line(s, p, len);
		p += len + (nl != NULL);
	}
	if (rc == 0)
		rc = wg_uapi_set_feed_line(s, "", 0);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_uapi_set s;
	int rc;

	wg_uapi_parse_op((const char *)data, size);
	wg_uapi_set_init(&s);
	rc = feed_all(&s, (const char *)data, size);
	if (rc == WG_UAPI_SET_DONE) {
		if (s.state != WG_UAPI_SET_COMPLETE)
			abort();
		check_complete(&s);
	} else if (rc < 0) {
		/* Refused: wiped and empty, so nothing partial can be applied. */
		if (s.state != WG_UAPI_SET_FAILED || s.n_peers != 0 ||
		    s.n_allowed_ips != 0 || s.error != rc)
			abort();
	}
	wg_uapi_set_free(&s);
	return 0;
}
