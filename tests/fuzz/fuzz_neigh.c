/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer: ARP and IPv6 neighbour discovery (lib/neigh*.c) on a port
 * with both families and gateways. The input is one received Ethernet
 * frame; an answer must fit the buffer, and lookups of the gateways must
 * stay safe whatever was learned.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "neigh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FRAME_CAP = 1518 };

static const uint8_t our_mac[WG_ETHER_ADDR_LEN] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t v4[4] = { 192, 0, 2, 1 }, gw4[4] = { 192, 0, 2, 254 };
static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t gw6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xfe };

static struct wg_neigh n;

static void
port_init(void)
{
	wg_neigh_init(&n, our_mac);
	wg_neigh_set_addr(&n, WG_AF_INET, v4, 24);
	wg_neigh_set_addr(&n, WG_AF_INET6, v6, 64);
	wg_neigh_set_gateway(&n, WG_AF_INET, gw4);
	wg_neigh_set_gateway(&n, WG_AF_INET6, gw6);
}

static void
solicit_gateways(void)
{
	uint8_t frame[FRAME_CAP];

	wg_neigh_solicit(&n, WG_AF_INET, gw4, 1000, frame, sizeof(frame));
	wg_neigh_solicit(&n, WG_AF_INET6, gw6, 1000, frame, sizeof(frame));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t frame[FRAME_CAP], mac[WG_ETHER_ADDR_LEN];
	uint16_t len;

	if (size > FRAME_CAP)
		return 0;
	port_init();
	solicit_gateways();
	memcpy(frame, data, size);
	len = (uint16_t)size;
	if (wg_neigh_input(&n, frame, &len, sizeof(frame), 2000) == WG_NEIGH_REPLY &&
	    (len > sizeof(frame) || len < 42))
		abort();
	wg_neigh_lookup(&n, WG_AF_INET, gw4, mac);
	wg_neigh_lookup(&n, WG_AF_INET6, gw6, mac);
	wg_neigh_expire(&n, 1000ULL * 1000 * 1000 * 1000);
	return 0;
}
