/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARP and neighbour discovery: answers for our addresses only, learns from
 * what is addressed to us, keeps static entries, and a solicitation built by
 * one port is answered by another that owns the address (a round trip
 * through two instances, so builder and parser check each other).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "neigh.h"

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xbb };
static const uint8_t ip4_a[4] = { 192, 0, 2, 1 }, ip4_b[4] = { 192, 0, 2, 2 };
static const uint8_t ip4_gw[4] = { 192, 0, 2, 254 }, ip4_far[4] = { 198, 51, 100, 7 };
static const uint8_t ip6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t ip6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static struct wg_neigh a, b;

static void
setup(void)
{
	wg_neigh_init(&a, mac_a);
	wg_neigh_set_addr(&a, WG_AF_INET, ip4_a, 24);
	wg_neigh_set_addr(&a, WG_AF_INET6, ip6_a, 64);
	wg_neigh_set_gateway(&a, WG_AF_INET, ip4_gw);
	wg_neigh_init(&b, mac_b);
	wg_neigh_set_addr(&b, WG_AF_INET, ip4_b, 24);
	wg_neigh_set_addr(&b, WG_AF_INET6, ip6_b, 64);
}

TestSuite(neigh, .init = setup);

/* a asks for ip; b answers; a learns b's MAC. */
static void
round_trip(enum wg_family family, const uint8_t *ip)
{
	uint8_t frame[128], mac[6];
	uint16_t len;

	cr_assert_eq(wg_neigh_lookup(&a, family, ip, mac), -1);
	len = wg_neigh_build_solicit(&a, family, ip, frame, sizeof(frame));
	cr_assert_gt(len, 0);
	cr_assert_eq(wg_neigh_input(&b, frame, &len, sizeof(frame)), WG_NEIGH_REPLY);
	/* The answer goes to a's MAC, from b's. */
	cr_assert_arr_eq(frame, mac_a, 6);
	cr_assert_arr_eq(frame + 6, mac_b, 6);
	/* b learned a from the solicitation. */
	cr_assert_eq(wg_neigh_lookup(&b, family, family == WG_AF_INET ? ip4_a : ip6_a, mac), 0);
	cr_assert_arr_eq(mac, mac_a, 6);
	cr_assert_eq(wg_neigh_input(&a, frame, &len, sizeof(frame)), WG_NEIGH_CONSUMED);
	cr_assert_eq(wg_neigh_lookup(&a, family, ip, mac), 0);
	cr_assert_arr_eq(mac, mac_b, 6);
}

Test(neigh, arp_round_trip)
{
	round_trip(WG_AF_INET, ip4_b);
}

Test(neigh, nd_round_trip)
{
	round_trip(WG_AF_INET6, ip6_b);
}

Test(neigh, arp_reply_fields)
{
	uint8_t frame[128];
	uint16_t len = wg_neigh_build_solicit(&a, WG_AF_INET, ip4_b, frame, sizeof(frame));

	cr_assert_eq(len, 60, "padded to the Ethernet minimum");
	cr_assert_eq(wg_neigh_input(&b, frame, &len, sizeof(frame)), WG_NEIGH_REPLY);
	cr_assert_eq(frame[12], 0x08);
	cr_assert_eq(frame[13], 0x06);
	cr_assert_eq(frame[14 + 7], 2, "op is reply");
	cr_assert_arr_eq(frame + 14 + 8, mac_b, 6, "sender MAC");
	cr_assert_arr_eq(frame + 14 + 14, ip4_b, 4, "sender IP");
	cr_assert_arr_eq(frame + 14 + 18, mac_a, 6, "target MAC");
	cr_assert_arr_eq(frame + 14 + 24, ip4_a, 4, "target IP");
}

Test(neigh, arp_for_someone_else_is_not_answered_nor_learned)
{
	uint8_t frame[128], mac[6];
	uint16_t len = wg_neigh_build_solicit(&a, WG_AF_INET, ip4_gw, frame, sizeof(frame));

	cr_assert_eq(wg_neigh_input(&b, frame, &len, sizeof(frame)), WG_NEIGH_INVALID);
	cr_assert_eq(wg_neigh_lookup(&b, WG_AF_INET, ip4_a, mac), -1);
}

Test(neigh, nd_rejects_bad_hop_limit_and_checksum)
{
	uint8_t frame[128], copy[128], mac[6];
	uint16_t len = wg_neigh_build_solicit(&a, WG_AF_INET6, ip6_b, frame, sizeof(frame));
	uint16_t l2 = len;

	memcpy(copy, frame, len);
	copy[14 + 7] = 64;			/* hop limit: must be 255 */
	cr_assert_eq(wg_neigh_input(&b, copy, &l2, sizeof(copy)), WG_NEIGH_INVALID);
	memcpy(copy, frame, len);
	copy[14 + 40 + 10] ^= 1;		/* target byte: checksum breaks */
	l2 = len;
	cr_assert_eq(wg_neigh_input(&b, copy, &l2, sizeof(copy)), WG_NEIGH_INVALID);
	cr_assert_eq(wg_neigh_lookup(&b, WG_AF_INET6, ip6_a, mac), -1);
}

Test(neigh, nd_answer_checksum_is_valid)
{
	uint8_t frame[128], mac[6];
	uint16_t len = wg_neigh_build_solicit(&a, WG_AF_INET6, ip6_b, frame, sizeof(frame));

	cr_assert_eq(wg_neigh_input(&b, frame, &len, sizeof(frame)), WG_NEIGH_REPLY);
	cr_assert_eq(frame[14 + 40], 136, "an NA");
	cr_assert_eq(frame[14 + 40 + 4] & 0x60, 0x60, "solicited and override");
	/* Feeding the NA to a third party that owns nothing: still parsed. */
	cr_assert_eq(wg_neigh_input(&a, frame, &len, sizeof(frame)), WG_NEIGH_CONSUMED);
	cr_assert_eq(wg_neigh_lookup(&a, WG_AF_INET6, ip6_b, mac), 0);
}

Test(neigh, static_entries_survive_learning)
{
	static const uint8_t fixed[6] = { 0x02, 1, 2, 3, 4, 5 };
	uint8_t mac[6];

	cr_assert_eq(wg_neigh_add_static(&a, WG_AF_INET, ip4_b, fixed), 0);
	{
		uint8_t frame[128];
		uint16_t len = wg_neigh_build_solicit(&a, WG_AF_INET, ip4_b, frame,
						      sizeof(frame));

		cr_assert_eq(wg_neigh_input(&b, frame, &len, sizeof(frame)),
			     WG_NEIGH_REPLY);
		cr_assert_eq(wg_neigh_input(&a, frame, &len, sizeof(frame)),
			     WG_NEIGH_CONSUMED);
	}
	cr_assert_eq(wg_neigh_lookup(&a, WG_AF_INET, ip4_b, mac), 0);
	cr_assert_arr_eq(mac, fixed, 6);
}

Test(neigh, next_hop_is_on_link_or_gateway)
{
	cr_assert_eq(wg_neigh_next_hop(&a, WG_AF_INET, ip4_b), ip4_b);
	cr_assert_arr_eq(wg_neigh_next_hop(&a, WG_AF_INET, ip4_far), ip4_gw, 4);
	cr_assert_eq(wg_neigh_next_hop(&a, WG_AF_INET6, ip6_b), ip6_b);
	cr_assert_null(wg_neigh_next_hop(&a, WG_AF_INET6, (const uint8_t[16]){ 0x30 }),
		       "no IPv6 gateway configured");
}

Test(neigh, table_is_bounded)
{
	uint8_t ip[4] = { 10, 0, 0, 0 }, mac[6];
	int i, ok = 0;

	for (i = 0; i < WG_NEIGH_MAX + 50; i++) {
		ip[2] = i >> 8;
		ip[3] = i;
		ok += wg_neigh_learn(&a, WG_AF_INET, ip, mac_b) == 0;
	}
	cr_assert_eq(ok, WG_NEIGH_MAX);
	ip[2] = 0;
	ip[3] = 7;
	cr_assert_eq(wg_neigh_lookup(&a, WG_AF_INET, ip, mac), 0);
}

/* Every truncation of valid frames is refused without reading past it. */
Test(neigh, truncated_frames)
{
	enum wg_family fam[2] = { WG_AF_INET, WG_AF_INET6 };
	const uint8_t *ips[2] = { ip4_b, ip6_b };
	int f;

	for (f = 0; f < 2; f++) {
		uint8_t frame[128];
		uint16_t full = wg_neigh_build_solicit(&a, fam[f], ips[f], frame,
						       sizeof(frame));
		uint16_t l;

		for (l = 0; l < (fam[f] == WG_AF_INET ? 42 : full); l++) {
			uint8_t *copy = malloc(l ? l : 1);
			uint16_t len = l;

			memcpy(copy, frame, l);
			cr_assert_neq(wg_neigh_input(&b, copy, &len, l), WG_NEIGH_REPLY,
				      "family %d length %u", fam[f], l);
			free(copy);
		}
	}
}
