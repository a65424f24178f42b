/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * UAPI "get" and the answer lines (see uapi.h). Text is byte for byte what
 * wireguard-go writes: keys in lowercase hex, numbers in decimal, addresses
 * as Go's netip prints them (RFC 5952 for IPv6, "::ffff:a.b.c.d" for
 * IPv4-mapped, "[v6]:port" for endpoints).
 *
 * Lines collect in a buffer on the stack and go to the writer whenever the
 * next line might not fit, so memory does not grow with the peer count.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "uapi.h"

enum {
	UAPI_OUT_BUF = 4096,
	UAPI_OUT_LINE_MAX = 128		/* longer than any line written here */
};

struct uapi_out {
	const struct wg_uapi_writer *w;
	int err;			/* -EIO once the writer failed */
	size_t len;
	char buf[UAPI_OUT_BUF];
};

enum wg_uapi_op
wg_uapi_parse_op(const char *line, size_t len)
{
	if (len == 6 && line[5] == '\n')
		len = 5;
	if (len != 5)
		return WG_UAPI_OP_INVALID;
	if (memcmp(line, "get=1", 5) == 0)
		return WG_UAPI_OP_GET;
	if (memcmp(line, "set=1", 5) == 0)
		return WG_UAPI_OP_SET;
	return WG_UAPI_OP_INVALID;
}

/* ---- buffered output ---------------------------------------------------- */

static void
out_flush(struct uapi_out *o)
{
	if (o->err == 0 && o->len > 0 &&
	    o->w->write(o->w->ctx, o->buf, o->len) != 0)
		o->err = -EIO;
	o->len = 0;
}

/* Room for one more line, flushing first if need be. */
static char *
out_room(struct uapi_out *o)
{
	if (o->len + UAPI_OUT_LINE_MAX > sizeof(o->buf))
		out_flush(o);
	return &o->buf[o->len];
}

static void __attribute__((format(printf, 2, 3)))
out_line(struct uapi_out *o, const char *fmt, ...)
{
	char *p = out_room(o);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p, UAPI_OUT_LINE_MAX, fmt, ap);
	va_end(ap);
	/* Every format here is bounded well below UAPI_OUT_LINE_MAX. */
	if (n > 0 && n < UAPI_OUT_LINE_MAX)
		o->len += (size_t)n;
}

static void
out_key(struct uapi_out *o, const char *name, const uint8_t key[WG_KEY_LEN])
{
	char hex[WG_KEY_HEX_LEN + 1];

	wg_key_to_hex(hex, key);
	out_line(o, "%s=%s\n", name, hex);
	sodium_memzero(hex, sizeof(hex));
}

/* ---- addresses ---------------------------------------------------------- */

static int
format_v4(char *out, size_t cap, const uint8_t a[4])
{
	return snprintf(out, cap, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* The longest run of two or more zero groups (the first of equals), as Go. */
static void
v6_zero_run(const uint16_t g[8], int *start, int *end)
{
	int i, j;

	*start = *end = -1;
	for (i = 0; i < 8; i++) {
		for (j = i; j < 8 && g[j] == 0; j++)
			;
		if (j - i >= 2 && j - i > *end - *start) {
			*start = i;
			*end = j;
		}
	}
}

static int
format_v6(char *out, size_t cap, const uint8_t a[16])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	uint16_t g[8];
	int i, start, end, n = 0;

	if (memcmp(a, mapped, sizeof(mapped)) == 0) {
		n = snprintf(out, cap, "::ffff:");
		return n + format_v4(out + n, cap - (size_t)n, a + 12);
	}
	for (i = 0; i < 8; i++)
		g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	v6_zero_run(g, &start, &end);
	for (i = 0; i < 8; i++) {
		if (i == start) {
			n += snprintf(out + n, cap - (size_t)n, "::");
			i = end - 1;
			continue;
		}
		n += snprintf(out + n, cap - (size_t)n, "%s%x",
			      i > 0 && i != end ? ":" : "", g[i]);
	}
	return n;
}

static int
format_ip(char *out, size_t cap, uint8_t family, const uint8_t *a)
{
	return family == WG_AF_INET ? format_v4(out, cap, a) :
				      format_v6(out, cap, a);
}

static void
out_endpoint(struct uapi_out *o, const struct wg_endpoint *e)
{
	char ip[64];

	format_ip(ip, sizeof(ip), e->family, e->addr.v6);
	if (e->family == WG_AF_INET6)
		out_line(o, "endpoint=[%s]:%u\n", ip, e->port);
	else
		out_line(o, "endpoint=%s:%u\n", ip, e->port);
}

static void
out_allowed_ip(struct uapi_out *o, const struct wg_uapi_allowed_ip *a)
{
	char ip[64];

	format_ip(ip, sizeof(ip), a->family, a->addr);
	out_line(o, "allowed_ip=%s/%u\n", ip, a->cidr);
}

/* ---- get ---------------------------------------------------------------- */

static void
out_device(struct uapi_out *o, const struct wg_uapi_device_view *dev)
{
	if (!wg_key_is_zero(dev->private_key))
		out_key(o, "private_key", dev->private_key);
	if (dev->listen_port != 0)
		out_line(o, "listen_port=%u\n", dev->listen_port);
	if (dev->fwmark != 0)
		out_line(o, "fwmark=%" PRIu32 "\n", dev->fwmark);
}

static void
out_peer(struct uapi_out *o, const struct wg_uapi_peer_view *p)
{
	size_t i;

	out_key(o, "public_key", p->public_key);
	out_key(o, "preshared_key", p->preshared_key);
	out_line(o, "protocol_version=1\n");
	if (p->endpoint.family == WG_AF_INET ||
	    p->endpoint.family == WG_AF_INET6)
		out_endpoint(o, &p->endpoint);
	out_line(o, "last_handshake_time_sec=%" PRIu64 "\n",
		 p->last_handshake_time_sec);
	out_line(o, "last_handshake_time_nsec=%" PRIu32 "\n",
		 p->last_handshake_time_nsec);
	out_line(o, "tx_bytes=%" PRIu64 "\n", p->tx_bytes);
	out_line(o, "rx_bytes=%" PRIu64 "\n", p->rx_bytes);
	out_line(o, "persistent_keepalive_interval=%u\n",
		 p->persistent_keepalive_interval);
	for (i = 0; i < p->n_allowed_ips && o->err == 0; i++)
		out_allowed_ip(o, &p->allowed_ips[i]);
}

/* The status line ends the response; the buffer, which held keys, is wiped. */
static void
out_finish(struct uapi_out *o, int status)
{
	out_line(o, "errno=%d\n\n", status);
	out_flush(o);
	sodium_memzero(o->buf, sizeof(o->buf));
}

int
wg_uapi_get_write(const struct wg_uapi_device_view *dev,
		  const struct wg_uapi_writer *w)
{
	struct uapi_out o = { .w = w };
	struct wg_uapi_peer_view peer;
	int ret = 0;

	out_device(&o, dev);
	while (o.err == 0) {
		memset(&peer, 0, sizeof(peer));
		ret = dev->next_peer(dev->ctx, &peer);
		if (ret <= 0)
			break;
		out_peer(&o, &peer);
		ret = 0;
	}
	sodium_memzero(&peer, sizeof(peer));
	out_finish(&o, ret);
	return o.err != 0 ? o.err : ret;
}

int
wg_uapi_errno_write(const struct wg_uapi_writer *w, int err)
{
	struct uapi_out o = { .w = w };

	out_finish(&o, err);
	return o.err;
}
