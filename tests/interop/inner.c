/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IPv4 ICMP echo parsing and replies for the interop lib peer.
 */
#include <string.h>

#include "inner.h"

enum {
	IPV4_MIN_HDR = 20,
	IPV4_OFF_TOTLEN = 2,
	IPV4_OFF_FRAG = 6,
	IPV4_OFF_TTL = 8,
	IPV4_OFF_PROTO = 9,
	IPV4_OFF_CSUM = 10,
	IPV4_OFF_SRC = 12,
	IPV4_OFF_DST = 16,
	IPPROTO_ICMP_NUM = 1,
	ICMP_HDR = 8,
	ICMP_OFF_CSUM = 2,
	ICMP_OFF_ID = 4,
	ICMP_OFF_SEQ = 6,
	ICMP_ECHO_REPLY = 0,
	ICMP_ECHO_REQUEST = 8,
	REPLY_TTL = 64
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t
wgi_inet_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

bool
wgi_parse_echo_request(const uint8_t *pkt, size_t len, struct wgi_echo *e)
{
	size_t ihl, tot;

	if (len < IPV4_MIN_HDR || pkt[0] >> 4 != 4)
		return false;
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	tot = rd16(pkt + IPV4_OFF_TOTLEN);
	if (ihl < IPV4_MIN_HDR || tot > len || tot < ihl + ICMP_HDR)
		return false;
	/* No fragments: the echo must be whole (MF clear, offset 0). */
	if ((rd16(pkt + IPV4_OFF_FRAG) & 0x3fff) != 0 ||
	    pkt[IPV4_OFF_PROTO] != IPPROTO_ICMP_NUM)
		return false;
	/* A checksum over data that includes it sums to zero. */
	if (wgi_inet_csum(pkt, ihl) != 0 ||
	    wgi_inet_csum(pkt + ihl, tot - ihl) != 0)
		return false;
	if (pkt[ihl] != ICMP_ECHO_REQUEST || pkt[ihl + 1] != 0)
		return false;
	memcpy(e->src, pkt + IPV4_OFF_SRC, 4);
	memcpy(e->dst, pkt + IPV4_OFF_DST, 4);
	e->id = rd16(pkt + ihl + ICMP_OFF_ID);
	e->seq = rd16(pkt + ihl + ICMP_OFF_SEQ);
	e->ip_len = tot;
	return true;
}

size_t
wgi_make_echo_reply(const uint8_t *pkt, const struct wgi_echo *e, uint8_t *out)
{
	size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
	uint8_t *icmp = out + ihl;

	memcpy(out, pkt, e->ip_len);
	memcpy(out + IPV4_OFF_SRC, e->dst, 4);
	memcpy(out + IPV4_OFF_DST, e->src, 4);
	out[IPV4_OFF_TTL] = REPLY_TTL;
	wr16(out + IPV4_OFF_CSUM, 0);
	wr16(out + IPV4_OFF_CSUM, wgi_inet_csum(out, ihl));
	icmp[0] = ICMP_ECHO_REPLY;
	icmp[1] = 0;
	wr16(icmp + ICMP_OFF_CSUM, 0);
	wr16(icmp + ICMP_OFF_CSUM, wgi_inet_csum(icmp, e->ip_len - ihl));
	return e->ip_len;
}
