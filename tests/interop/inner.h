/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The inner (tunnelled) packets the interop test looks at: IPv4 ICMP echo
 * requests, and the echo replies the lib peer answers them with.
 */
#ifndef WGI_INNER_H
#define WGI_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wgi_echo {
	uint8_t src[4];		/* network order */
	uint8_t dst[4];
	uint16_t id;		/* host order */
	uint16_t seq;
	size_t ip_len;		/* IPv4 total length */
};

/* The Internet checksum (RFC 1071) of len bytes, as stored on the wire. */
uint16_t wgi_inet_csum(const uint8_t *p, size_t len);

/*
 * True if pkt (len bytes, possibly zero-padded past the IPv4 total length)
 * is a well-formed IPv4 ICMP echo request with valid IP and ICMP checksums.
 */
bool wgi_parse_echo_request(const uint8_t *pkt, size_t len, struct wgi_echo *e);

/*
 * Writes the reply to the request pkt (already parsed into e) into out,
 * which has room for e->ip_len bytes: addresses swapped, fresh TTL, type 0,
 * both checksums recomputed. Returns its length.
 */
size_t wgi_make_echo_reply(const uint8_t *pkt, const struct wgi_echo *e,
			   uint8_t *out);

#endif /* WGI_INNER_H */
