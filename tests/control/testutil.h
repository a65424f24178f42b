/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the control/ suites: a growing string, test keys, and
 * a text dump of a whole device (its get answer plus what get does not
 * show: slot ids and table sizes), used to prove "unchanged".
 */
#ifndef WG_TEST_CONTROL_UTIL_H
#define WG_TEST_CONTROL_UTIL_H

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "device.h"
#include "uapi.h"

struct sbuf {
	char *p;
	size_t len;
	size_t cap;
};

static inline void
sb_append(struct sbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap != 0 ? sb->cap : 256;

		while (cap < sb->len + n + 1)
			cap *= 2;
		sb->p = realloc(sb->p, cap);
		cr_assert_not_null(sb->p);
		sb->cap = cap;
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static inline void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < sizeof(tmp));
	sb_append(sb, tmp, (size_t)n);
}

static inline char *
sb_take(struct sbuf *sb)
{
	char *p = sb->p != NULL ? sb->p : strdup("");

	memset(sb, 0, sizeof(*sb));
	return p;
}

/* Test public key number i: its first four bytes are i, big-endian. */
static inline void
test_key(uint8_t key[WG_KEY_LEN], uint32_t i)
{
	memset(key, 0xa5, WG_KEY_LEN);
	key[0] = (uint8_t)(i >> 24);
	key[1] = (uint8_t)(i >> 16);
	key[2] = (uint8_t)(i >> 8);
	key[3] = (uint8_t)i;
}

static inline const char *
test_key_hex(char out[WG_KEY_HEX_LEN + 1], uint32_t i)
{
	uint8_t key[WG_KEY_LEN];

	test_key(key, i);
	wg_key_to_hex(out, key);
	return out;
}

static inline const char *
test_key_b64(char out[WG_KEY_B64_LEN + 1], uint32_t i)
{
	uint8_t key[WG_KEY_LEN];

	test_key(key, i);
	wg_key_to_base64(out, key);
	return out;
}

/* The number test_key() put in a key. */
static inline uint32_t
key_label(const uint8_t key[WG_KEY_LEN])
{
	return (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 |
	       (uint32_t)key[2] << 8 | key[3];
}

static inline void
prefix_text(char *out, size_t cap, const struct wg_uapi_allowed_ip *a)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(a->family == WG_AF_INET ? AF_INET : AF_INET6, a->addr, ip,
		  sizeof(ip));
	snprintf(out, cap, "%s/%u", ip, a->cidr);
}

static inline int
sb_writer(void *ctx, const char *buf, size_t len)
{
	sb_append(ctx, buf, len);
	return 0;
}

/* The get answer, as wg(8) would receive it. */
static inline char *
device_get_text(const struct wg_device *dev)
{
	struct sbuf sb = { 0 };
	const struct wg_uapi_writer w = { .write = sb_writer, .ctx = &sb };
	struct wg_device_view_iter it;
	struct wg_uapi_device_view view;

	wg_device_view(dev, &it, &view);
	cr_assert_eq(wg_uapi_get_write(&view, &w), 0);
	wg_device_view_release(&it, &view);
	return sb_take(&sb);
}

/* Everything observable: get text, slot ids, counts, identity. */
static inline char *
device_dump(const struct wg_device *dev)
{
	const struct wg_noise_identity *id = wg_device_identity(dev);
	const struct wg_device_peer *p;
	struct sbuf sb = { 0 };
	char *get = device_get_text(dev);
	char hex[WG_KEY_HEX_LEN + 1];

	sb_append(&sb, get, strlen(get));
	free(get);
	wg_key_to_hex(hex, id->static_public);
	sb_printf(&sb, "has_identity=%d public=%s\n", id->has_identity, hex);
	sb_printf(&sb, "peers=%u prefixes=%zu\n", wg_device_peer_count(dev),
		  wg_device_allowed_ip_count(dev));
	for (p = wg_device_peer_next(dev, NULL); p != NULL;
	     p = wg_device_peer_next(dev, p))
		sb_printf(&sb, "slot %u: %08x n_allowed_ips=%u\n", p->id,
			  key_label(p->public_key), p->n_allowed_ips);
	return sb_take(&sb);
}

#endif /* WG_TEST_CONTROL_UTIL_H */
